//! PDF objects and an iterative parser for them.
//!
//! Arrays and dictionaries nest on an explicit stack of at most [`MAX_DEPTH`] levels, so a
//! file of a million `[` costs a bounded stack and ends in a syntax error, never a stack
//! overflow. Malformed input is read the tolerant way: a dictionary key that is not a name is
//! skipped, an unclosed array or dictionary ends where the input does, a closer that matches
//! nothing is dropped.

use std::io::Read;

use super::lex::{Kw, Lexer, Token};

/// Arrays and dictionaries inside each other, at most.
pub(super) const MAX_DEPTH: usize = 100;

/// An object number and generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct Id(pub u32, pub u16);

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Object {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Str(Vec<u8>),
    Name(Vec<u8>),
    Array(Vec<Object>),
    Dict(Dict),
    Ref(Id),
    Stream(Box<Stream>),
}

/// A stream: its dictionary and where its (still encoded) data lies in the file.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Stream {
    pub dict: Dict,
    pub start: u64,
    pub len: u64,
    /// The object it is, for decryption.
    pub id: Id,
    /// `/Length` was wrong: the data was found by its `endstream` keyword.
    pub recovered: bool,
}

/// A dictionary, in file order (they are small: a linear search beats hashing).
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Dict(pub Vec<(Vec<u8>, Object)>);

impl Dict {
    pub(super) fn get(&self, key: &[u8]) -> Option<&Object> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A name value (`/Type /Page` gives `Page`).
    pub(super) fn name(&self, key: &[u8]) -> Option<&[u8]> {
        self.get(key)?.as_name()
    }

    pub(super) fn int(&self, key: &[u8]) -> Option<i64> {
        self.get(key)?.as_int()
    }

    pub(super) fn is_type(&self, t: &[u8]) -> bool {
        self.name(b"Type") == Some(t)
    }
}

impl Object {
    /// Roughly the memory the object takes (for caches' budgets).
    pub(super) fn weight(&self) -> usize {
        let mut total = 0;
        let mut todo = vec![self];
        while let Some(o) = todo.pop() {
            total += std::mem::size_of::<Object>();
            match o {
                Object::Str(s) | Object::Name(s) => total += s.len(),
                Object::Array(a) => todo.extend(a),
                Object::Dict(d) => {
                    for (k, v) in &d.0 {
                        total += k.len() + 24;
                        todo.push(v);
                    }
                }
                Object::Stream(s) => {
                    total += std::mem::size_of::<Stream>();
                    for (k, v) in &s.dict.0 {
                        total += k.len() + 24;
                        todo.push(v);
                    }
                }
                _ => {}
            }
        }
        total
    }

    pub(super) fn as_int(&self) -> Option<i64> {
        match self {
            Object::Int(i) => Some(*i),
            Object::Real(r) if r.is_finite() => Some(*r as i64),
            _ => None,
        }
    }

    pub(super) fn as_f32(&self) -> Option<f32> {
        match self {
            Object::Int(i) => Some(*i as f32),
            Object::Real(r) => Some(*r as f32).filter(|v| v.is_finite()),
            _ => None,
        }
    }

    pub(super) fn as_name(&self) -> Option<&[u8]> {
        match self {
            Object::Name(n) => Some(n),
            _ => None,
        }
    }

    pub(super) fn as_str(&self) -> Option<&[u8]> {
        match self {
            Object::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(super) fn as_array(&self) -> Option<&[Object]> {
        match self {
            Object::Array(a) => Some(a),
            _ => None,
        }
    }

    /// A dictionary, or a stream's dictionary.
    pub(super) fn as_dict(&self) -> Option<&Dict> {
        match self {
            Object::Dict(d) => Some(d),
            Object::Stream(s) => Some(&s.dict),
            _ => None,
        }
    }

    pub(super) fn as_stream(&self) -> Option<&Stream> {
        match self {
            Object::Stream(s) => Some(s),
            _ => None,
        }
    }
}

/// Why an object could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Syntax {
    /// The input ended inside the object.
    Truncated,
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Not an object where one was expected (a keyword, a closer).
    Unexpected,
}

/// Objects from a token stream: one token of look-back for `N G R` references.
pub(super) struct Parser<R> {
    pub lx: Lexer<R>,
    back: Vec<Token>,
    /// Read `N G R` as references (file objects), or not (content streams).
    refs: bool,
}

enum Frame {
    Array(Vec<Object>),
    Dict(Dict, Option<Vec<u8>>),
}

impl<R: Read> Parser<R> {
    pub(super) fn new(r: R, refs: bool) -> Parser<R> {
        Parser {
            lx: Lexer::new(r),
            back: Vec::new(),
            refs,
        }
    }

    pub(super) fn token(&mut self) -> Token {
        self.back.pop().unwrap_or_else(|| self.lx.next())
    }

    pub(super) fn push_back(&mut self, t: Token) {
        self.back.push(t);
    }

    /// The next object.
    pub(super) fn object(&mut self) -> Result<Object, Syntax> {
        let t = self.token();
        self.object_from(t)
    }

    /// The object that starts with `first`. A keyword other than `true`, `false` and `null`
    /// is `Unexpected` (with the keyword pushed back) at the top level and skipped inside
    /// arrays and dictionaries.
    pub(super) fn object_from(&mut self, first: Token) -> Result<Object, Syntax> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut t = first;
        loop {
            let value = match t {
                Token::Eof => return Err(Syntax::Truncated),
                Token::ArrayOpen | Token::DictOpen => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(Syntax::TooDeep);
                    }
                    stack.push(match t {
                        Token::ArrayOpen => Frame::Array(Vec::new()),
                        _ => Frame::Dict(Dict::default(), None),
                    });
                    None
                }
                Token::ArrayClose => match stack.pop() {
                    Some(Frame::Array(a)) => Some(Object::Array(a)),
                    // `]` closing a dictionary: take it as `>>`.
                    Some(Frame::Dict(d, _)) => Some(Object::Dict(d)),
                    None => return Err(Syntax::Unexpected),
                },
                Token::DictClose => match stack.pop() {
                    Some(Frame::Dict(d, _)) => Some(Object::Dict(d)),
                    Some(Frame::Array(a)) => Some(Object::Array(a)),
                    None => return Err(Syntax::Unexpected),
                },
                Token::Int(n) => Some(self.int_or_ref(n)),
                Token::Real(r) => Some(Object::Real(r)),
                Token::Str(s) => Some(Object::Str(s)),
                Token::Name(n) => Some(Object::Name(n)),
                Token::Keyword(k) => match keyword_value(&k) {
                    Some(v) => Some(v),
                    None if stack.is_empty() => {
                        self.push_back(Token::Keyword(k));
                        return Err(Syntax::Unexpected);
                    }
                    // A keyword ending a dictionary or array early (`endobj`, `stream`):
                    // close what is open and leave it for the caller.
                    None if is_object_end(&k) => {
                        self.push_back(Token::Keyword(k));
                        return Ok(close_all(stack));
                    }
                    None => None,
                },
            };
            if let Some(v) = value {
                match stack.last_mut() {
                    None => return Ok(v),
                    Some(Frame::Array(a)) => a.push(v),
                    Some(Frame::Dict(d, key)) => match key.take() {
                        Some(k) => d.0.push((k, v)),
                        // A key that is not a name is skipped.
                        None => {
                            if let Object::Name(n) = v {
                                *key = Some(n);
                            }
                        }
                    },
                }
            }
            t = self.token();
        }
    }

    fn int_or_ref(&mut self, n: i64) -> Object {
        if !self.refs || !(0..=i64::from(u32::MAX)).contains(&n) {
            return Object::Int(n);
        }
        let t2 = self.token();
        if let Token::Int(g) = t2 {
            if (0..=65535).contains(&g) {
                let t3 = self.token();
                if matches!(&t3, Token::Keyword(k) if k.is(b"R")) {
                    return Object::Ref(Id(n as u32, g as u16));
                }
                self.push_back(t3);
            }
        }
        self.push_back(t2);
        Object::Int(n)
    }
}

fn keyword_value(k: &Kw) -> Option<Object> {
    match k.as_bytes() {
        b"true" => Some(Object::Bool(true)),
        b"false" => Some(Object::Bool(false)),
        b"null" => Some(Object::Null),
        _ => None,
    }
}

fn is_object_end(k: &Kw) -> bool {
    matches!(
        k.as_bytes(),
        b"endobj" | b"stream" | b"endstream" | b"obj" | b"xref" | b"trailer" | b"startxref"
    )
}

/// Closes every open array and dictionary (the object broke off inside them).
fn close_all(mut stack: Vec<Frame>) -> Object {
    let mut inner: Option<Object> = None;
    while let Some(frame) = stack.pop() {
        inner = Some(match frame {
            Frame::Array(mut a) => {
                a.extend(inner.take());
                Object::Array(a)
            }
            Frame::Dict(mut d, key) => {
                if let (Some(k), Some(v)) = (key, inner.take()) {
                    d.0.push((k, v));
                }
                Object::Dict(d)
            }
        });
    }
    inner.unwrap_or(Object::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Result<Object, Syntax> {
        Parser::new(s, true).object()
    }

    fn name(s: &str) -> Object {
        Object::Name(s.as_bytes().to_vec())
    }

    #[test]
    fn objects_references_and_nesting() {
        let o = parse(b"<< /Type /Page /Kids [1 0 R 2 0 R 3] /N null /B true /F 1.5 >>").unwrap();
        let d = o.as_dict().unwrap();
        assert_eq!(d.name(b"Type"), Some(&b"Page"[..]));
        assert_eq!(
            d.get(b"Kids").unwrap().as_array().unwrap(),
            &[Object::Ref(Id(1, 0)), Object::Ref(Id(2, 0)), Object::Int(3)]
        );
        assert_eq!(d.get(b"N"), Some(&Object::Null));
        assert_eq!(d.get(b"F"), Some(&Object::Real(1.5)));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = vec![b'['; 10_000_000];
        assert_eq!(parse(&deep), Err(Syntax::TooDeep));
        let mut ok = vec![b'['; MAX_DEPTH];
        ok.extend(vec![b']'; MAX_DEPTH]);
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn damage_is_read_tolerantly() {
        // A non-name key is skipped; `]` closes a dictionary; an unclosed one ends at endobj.
        let o = parse(b"<< 5 /A /B ]").unwrap();
        assert_eq!(o.as_dict().unwrap().get(b"A"), Some(&name("B")));
        let mut p = Parser::new(&b"<< /A [1 2 endobj"[..], true);
        let o = p.object().unwrap();
        assert!(o.as_dict().is_some());
        assert!(matches!(p.token(), Token::Keyword(k) if k.is(b"endobj")));
        assert_eq!(parse(b"<< /A 1"), Err(Syntax::Truncated));
    }

    #[test]
    fn integers_not_followed_by_r_stay_integers() {
        let mut p = Parser::new(&b"1 0 obj 7 8 9"[..], true);
        assert_eq!(p.object(), Ok(Object::Int(1)));
        assert_eq!(p.object(), Ok(Object::Int(0)));
        assert_eq!(p.object(), Err(Syntax::Unexpected));
        assert!(matches!(p.token(), Token::Keyword(k) if k.is(b"obj")));
    }
}
