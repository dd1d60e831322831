//! PDF tokens from any byte stream, tolerant and bounded.
//!
//! One lexer serves the file's objects, decoded object streams and content streams: it pulls
//! bytes from a `Read` through a small buffer, so a content stream of gigabytes is tokenised
//! in constant memory. It never fails: malformed input becomes the nearest sensible token
//! (`--5` is `-5`, an odd hex digit is padded, a stray `)` is skipped), the way pdf.js and
//! poppler read real files. A string or name longer than [`MAX_TOKEN`] is cut there (the rest
//! is consumed), so no token grows without bound. A read error ends the stream; the caller
//! asks [`Lexer::take_error`] whether the end was damage.

use std::io::{self, Read};

/// Bytes kept of one string or name token.
pub(super) const MAX_TOKEN: usize = 1 << 20;
/// Bytes pulled from the reader at a time.
const BUF: usize = 16 * 1024;

/// A keyword (`obj`, `R`, an operator such as `Tj`, a CMap's `begincodespacerange`); at
/// most 23 bytes are kept.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Kw {
    len: u8,
    b: [u8; 23],
}

impl Kw {
    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.b[..self.len as usize]
    }

    pub(super) fn is(&self, s: &[u8]) -> bool {
        self.as_bytes() == s
    }
}

impl std::fmt::Debug for Kw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Int(i64),
    Real(f64),
    Name(Vec<u8>),
    Str(Vec<u8>),
    ArrayOpen,
    ArrayClose,
    DictOpen,
    DictClose,
    Keyword(Kw),
    Eof,
}

pub(super) fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'\x0c' | b'\0')
}

pub(super) fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_white(b) && !is_delim(b)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

pub(super) struct Lexer<R> {
    r: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Stream bytes before `buf[0]`.
    base: u64,
    eof: bool,
    error: Option<io::Error>,
}

impl<R: Read> Lexer<R> {
    pub(super) fn new(r: R) -> Lexer<R> {
        Lexer {
            r,
            buf: vec![0; BUF],
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
            error: None,
        }
    }

    /// Offset of the next byte from the start of the stream.
    pub(super) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// The read error that ended the stream, if one did.
    pub(super) fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }

    fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        self.base += self.end as u64;
        self.pos = 0;
        self.end = 0;
        loop {
            match self.r.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return false;
                }
                Ok(n) => {
                    self.end = n;
                    return true;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.error = Some(e);
                    self.eof = true;
                    return false;
                }
            }
        }
    }

    #[inline]
    pub(super) fn peek(&mut self) -> Option<u8> {
        if self.pos < self.end || self.fill() {
            Some(self.buf[self.pos])
        } else {
            None
        }
    }

    #[inline]
    pub(super) fn bump(&mut self) {
        self.pos += 1;
    }

    #[inline]
    fn next_byte(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    /// Skips whitespace and comments.
    pub(super) fn skip_space(&mut self) {
        while let Some(b) = self.peek() {
            if is_white(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// Skips the end of line after the `stream` keyword (CRLF, LF, or a lone CR), and spaces
    /// some writers put before it.
    pub(super) fn skip_stream_eol(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'\r') => {
                self.pos += 1;
                if self.peek() == Some(b'\n') {
                    self.pos += 1;
                }
            }
            Some(b'\n') => self.pos += 1,
            _ => {}
        }
    }

    /// Consumes bytes up to and including the first occurrence of `pat` preceded by
    /// whitespace and followed by whitespace, a delimiter or the end (inline image data up to
    /// `EI`). Returns false at the end of the stream.
    pub(super) fn skip_past_word(&mut self, pat: &[u8]) -> bool {
        let mut prev_white = true;
        loop {
            let Some(b) = self.next_byte() else {
                return false;
            };
            if prev_white && b == pat[0] && self.matches_rest(&pat[1..]) {
                match self.peek() {
                    None => return true,
                    Some(c) if is_white(c) || is_delim(c) => return true,
                    _ => {}
                }
            }
            prev_white = is_white(b);
        }
    }

    /// Consumes `rest` if it comes next (within the buffer, refilling as needed).
    fn matches_rest(&mut self, rest: &[u8]) -> bool {
        for &want in rest {
            match self.peek() {
                Some(b) if b == want => self.pos += 1,
                _ => return false,
            }
        }
        true
    }

    /// Skips `n` bytes.
    pub(super) fn skip_bytes(&mut self, mut n: u64) {
        while n > 0 {
            if self.pos >= self.end && !self.fill() {
                return;
            }
            let step = ((self.end - self.pos) as u64).min(n) as usize;
            self.pos += step;
            n -= step as u64;
        }
    }

    pub(super) fn next(&mut self) -> Token {
        loop {
            self.skip_space();
            let Some(b) = self.next_byte() else {
                return Token::Eof;
            };
            return match b {
                b'[' => Token::ArrayOpen,
                b']' => Token::ArrayClose,
                b'<' if self.peek() == Some(b'<') => {
                    self.pos += 1;
                    Token::DictOpen
                }
                b'<' => self.hex_string(),
                b'>' if self.peek() == Some(b'>') => {
                    self.pos += 1;
                    Token::DictClose
                }
                b'(' => self.literal(),
                b'/' => self.name(),
                // Stray closers and PostScript braces carry nothing here.
                b'>' | b')' | b'{' | b'}' => continue,
                b'0'..=b'9' | b'+' | b'-' | b'.' => self.number(b),
                _ => self.keyword(b),
            };
        }
    }

    fn keyword(&mut self, first: u8) -> Token {
        let mut kw = Kw { len: 1, b: [0; 23] };
        kw.b[0] = first;
        while let Some(b) = self.peek() {
            if !is_regular(b) {
                break;
            }
            if (kw.len as usize) < kw.b.len() {
                kw.b[kw.len as usize] = b;
                kw.len += 1;
            }
            self.pos += 1;
        }
        Token::Keyword(kw)
    }

    /// Makes at least `n` bytes available from the current position where the stream has
    /// them (moving the unread tail to the buffer's front); returns how many are.
    fn ensure(&mut self, n: usize) -> usize {
        if self.end - self.pos < n {
            self.buf.copy_within(self.pos..self.end, 0);
            self.base += self.pos as u64;
            self.end -= self.pos;
            self.pos = 0;
            while !self.eof && self.end < n {
                match self.r.read(&mut self.buf[self.end..]) {
                    Ok(0) => self.eof = true,
                    Ok(k) => self.end += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        self.error = Some(e);
                        self.eof = true;
                    }
                }
            }
        }
        self.end - self.pos
    }

    /// Numbers as readers accept them: `--5` and `-+5` are `-5`, `5-` and `1.2.3` end at the
    /// stray character, a lone sign or dot is 0, `1e5` has an exponent.
    fn number(&mut self, first: u8) -> Token {
        let mut neg = false;
        let mut c = first;
        while matches!(c, b'+' | b'-') {
            neg |= c == b'-';
            match self.peek() {
                Some(n @ (b'+' | b'-' | b'0'..=b'9' | b'.')) => {
                    self.pos += 1;
                    c = n;
                }
                _ => return Token::Int(0),
            }
        }
        let (mut int, mut frac, mut frac_len, mut dot, mut digits) = (0i64, 0u64, 0i32, false, 0);
        loop {
            if c == b'.' {
                dot = true;
            } else {
                digits += 1;
                let d = c - b'0';
                if !dot {
                    int = int.saturating_mul(10).saturating_add(i64::from(d));
                } else if frac_len < 18 {
                    frac = frac * 10 + u64::from(d);
                    frac_len += 1;
                }
            }
            match self.peek() {
                Some(n @ b'0'..=b'9') => c = n,
                Some(b'.') if !dot => c = b'.',
                _ => break,
            }
            self.pos += 1;
        }
        let exp = if digits > 0 && matches!(self.peek(), Some(b'e' | b'E')) {
            self.exponent()
        } else {
            None
        };
        if !dot && exp.is_none() {
            return Token::Int(if neg { -int } else { int });
        }
        let mut v = int as f64 + frac as f64 / 10f64.powi(frac_len);
        if let Some(e) = exp {
            v *= 10f64.powi(e);
        }
        Token::Real(if neg { -v } else { v })
    }

    /// After the digits, `e` or `E` and a signed integer; otherwise the `e` is left alone.
    fn exponent(&mut self) -> Option<i32> {
        let avail = self.ensure(3);
        let la = &self.buf[self.pos..self.pos + avail];
        let (sign, at) = match la.get(1) {
            Some(b'-') => (-1, 2),
            Some(b'+') => (1, 2),
            _ => (1, 1),
        };
        if !la.get(at).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        self.pos += at;
        let mut e: i32 = 0;
        while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
            e = (e * 10 + i32::from(d - b'0')).min(400);
            self.pos += 1;
        }
        Some(sign * e)
    }

    fn name(&mut self) -> Token {
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            if !is_regular(b) {
                break;
            }
            self.pos += 1;
            let v = if b == b'#' {
                match (self.peek().and_then(hex), self.peek2().and_then(hex)) {
                    (Some(h), Some(l)) => {
                        self.pos += 2;
                        h << 4 | l
                    }
                    _ => b,
                }
            } else {
                b
            };
            if out.len() < MAX_TOKEN {
                out.push(v);
            }
        }
        Token::Name(out)
    }

    /// The byte after the next (names' `#xx` escapes).
    fn peek2(&mut self) -> Option<u8> {
        (self.ensure(2) >= 2).then(|| self.buf[self.pos + 1])
    }

    fn hex_string(&mut self) -> Token {
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        while let Some(b) = self.next_byte() {
            if b == b'>' {
                break;
            }
            let Some(v) = hex(b) else { continue };
            match high.take() {
                Some(h) => {
                    if out.len() < MAX_TOKEN {
                        out.push(h << 4 | v)
                    }
                }
                None => high = Some(v),
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        Token::Str(out)
    }

    fn literal(&mut self) -> Token {
        let mut out = Vec::new();
        let mut depth = 1usize;
        let push = |out: &mut Vec<u8>, b: u8| {
            if out.len() < MAX_TOKEN {
                out.push(b)
            }
        };
        while let Some(b) = self.next_byte() {
            match b {
                b'(' => {
                    depth += 1;
                    push(&mut out, b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    push(&mut out, b);
                }
                b'\r' => {
                    if self.peek() == Some(b'\n') {
                        self.pos += 1;
                    }
                    push(&mut out, b'\n');
                }
                b'\\' => {
                    let Some(e) = self.next_byte() else { break };
                    match e {
                        b'n' => push(&mut out, b'\n'),
                        b'r' => push(&mut out, b'\r'),
                        b't' => push(&mut out, b'\t'),
                        b'b' => push(&mut out, 8),
                        b'f' => push(&mut out, 12),
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            push(&mut out, v as u8);
                        }
                        // A backslash at the end of a line continues the string.
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        other => push(&mut out, other),
                    }
                }
                _ => push(&mut out, b),
            }
        }
        Token::Str(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(s: &[u8]) -> Vec<Token> {
        let mut lx = Lexer::new(s);
        let mut out = Vec::new();
        loop {
            match lx.next() {
                Token::Eof => return out,
                t => out.push(t),
            }
        }
    }

    fn kw(s: &str) -> Token {
        let mut k = Kw {
            len: s.len() as u8,
            b: [0; 23],
        };
        k.b[..s.len()].copy_from_slice(s.as_bytes());
        Token::Keyword(k)
    }

    #[test]
    fn numbers_as_readers_accept_them() {
        assert_eq!(
            tokens(b"12 -3 +4 --5 .5 -.25 1.5e3 2E-2 7e 0.1.2 3-"),
            vec![
                Token::Int(12),
                Token::Int(-3),
                Token::Int(4),
                Token::Int(-5),
                Token::Real(0.5),
                Token::Real(-0.25),
                Token::Real(1500.0),
                Token::Real(0.02),
                Token::Int(7),
                kw("e"),
                Token::Real(0.1),
                Token::Real(0.2),
                Token::Int(3),
                Token::Int(0),
            ]
        );
    }

    #[test]
    fn strings_names_and_delimiters() {
        assert_eq!(
            tokens(b"(a(b)c\\)\\101\\\nd\r\n) <48 65 6C6 > /Na#6De/x<<>>[]%c\nTj"),
            vec![
                Token::Str(b"a(b)c)Ad\n".to_vec()),
                Token::Str(b"He\x6c\x60".to_vec()),
                Token::Name(b"Name".to_vec()),
                Token::Name(b"x".to_vec()),
                Token::DictOpen,
                Token::DictClose,
                Token::ArrayOpen,
                Token::ArrayClose,
                kw("Tj"),
            ]
        );
    }

    #[test]
    fn long_tokens_are_cut_and_the_rest_consumed() {
        let mut s = b"(".to_vec();
        s.extend(std::iter::repeat_n(b'x', MAX_TOKEN + 10));
        s.extend_from_slice(b") 5");
        let t = tokens(&s);
        assert!(matches!(&t[0], Token::Str(v) if v.len() == MAX_TOKEN));
        assert_eq!(t[1], Token::Int(5));
    }

    #[test]
    fn inline_image_data_is_skipped_to_ei() {
        let mut lx = Lexer::new(&b"ID \x00EIx EI\x01 EI Q"[..]);
        assert_eq!(lx.next(), kw("ID"));
        assert!(lx.skip_past_word(b"EI"));
        assert_eq!(lx.next(), kw("Q"));
    }

    #[test]
    fn offsets_count_from_the_start() {
        let mut lx = Lexer::new(&b"  12 0 obj"[..]);
        lx.next();
        assert_eq!(lx.offset(), 4);
    }
}
