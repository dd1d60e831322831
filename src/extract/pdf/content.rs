//! Content streams: the operators that show text, with enough of the graphics state to
//! know where each piece of text lands on the page.
//!
//! The stream is tokenised as it is decoded (never held whole), operands are bounded, and
//! `q` saves at most [`MAX_SAVED`] states: deeper nesting is counted and unwound by `Q`
//! without more memory (millions of nested `q` cost nothing). Each string shown becomes a
//! [`Span`] in page space: its start and end points on the baseline, its direction and its
//! font size, computed from the text matrix, the CTM and the font's widths. Form XObjects are
//! followed (at most [`MAX_FORM_DEPTH`] deep, each once per page); images only mark the page
//! as showing images; inline image data is skipped to `EI`.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::rc::Rc;

use super::doc::Doc;
use super::font::Font;
use super::lex::Token;
use super::object::{Dict, Id, Object, Parser, Stream, Syntax};
use crate::extract::{Clock, LimitHit};

/// Forms inside forms, at most.
pub(super) const MAX_FORM_DEPTH: u32 = 8;
/// Graphics states saved by `q` at once.
const MAX_SAVED: usize = 256;
/// Operands kept before an operator (real operators take at most 6; `sc` a few more).
const MAX_OPERANDS: usize = 64;
/// Memory the fonts of a document may keep (their CMaps and glyph tables).
const FONT_CACHE: usize = 8 << 20;

/// A 2D affine matrix `[a b c d e f]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Matrix([f32; 6]);

impl Matrix {
    pub(super) const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    /// `self × other` (apply `self`, then `other`).
    pub(super) fn then(&self, o: &Matrix) -> Matrix {
        let [a, b, c, d, e, f] = self.0;
        let [oa, ob, oc, od, oe, of] = o.0;
        Matrix([
            a * oa + b * oc,
            a * ob + b * od,
            c * oa + d * oc,
            c * ob + d * od,
            e * oa + f * oc + oe,
            e * ob + f * od + of,
        ])
    }

    pub(super) fn point(&self, x: f32, y: f32) -> (f32, f32) {
        let [a, b, c, d, e, f] = self.0;
        (x * a + y * c + e, x * b + y * d + f)
    }

    /// The area the unit square covers under this matrix.
    fn unit_area(&self) -> f32 {
        let [a, b, c, d, _, _] = self.0;
        (a * d - b * c).abs()
    }

    fn translate(tx: f32, ty: f32) -> Matrix {
        Matrix([1.0, 0.0, 0.0, 1.0, tx, ty])
    }

    fn from_operands(ops: &[Object]) -> Option<Matrix> {
        let v: Vec<f32> = ops.iter().filter_map(Object::as_f32).collect();
        let m: [f32; 6] = v.get(v.len().checked_sub(6)?..)?.try_into().ok()?;
        m.iter().all(|x| x.is_finite()).then_some(Matrix(m))
    }
}

/// A string shown on the page, in page space.
#[derive(Debug, Clone, Copy)]
pub(super) struct Span<'a> {
    pub text: &'a str,
    /// Baseline start and end.
    pub start: (f32, f32),
    pub end: (f32, f32),
    /// Unit vector along the baseline.
    pub dir: (f32, f32),
    /// Font size on the page (height of an em).
    pub size: f32,
}

/// Where spans go (the page layout).
pub(super) trait Spans {
    fn span(&mut self, s: &Span<'_>);
    /// A form XObject starts or ends: a block of its own.
    fn block(&mut self) {}
}

#[derive(Clone)]
struct TextState {
    font: Option<Rc<Font>>,
    size: f32,
    char_spacing: f32,
    word_spacing: f32,
    hscale: f32,
    leading: f32,
    rise: f32,
}

#[derive(Clone)]
struct State {
    ctm: Matrix,
    text: TextState,
}

/// Why a content stream stopped early.
#[derive(Debug)]
pub(super) enum Stop {
    /// Its data is damaged; what came before was shown.
    Damaged,
    /// Out of time.
    Limit(LimitHit),
}

/// What a page showed besides spans.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Shown {
    pub images: bool,
    /// The largest area one image covers, in page units squared (an image fills the unit
    /// square of the matrix it is drawn with).
    pub image_area: f32,
    /// Codes shown that have text, and codes shown that have none (fonts without a map).
    pub mapped: u64,
    pub unmapped: u64,
    /// Forms or content streams that could not be decoded.
    pub damaged: u32,
}

/// Fonts of one document, loaded once each.
#[derive(Default)]
pub(super) struct Fonts {
    by_id: HashMap<Id, Rc<Font>>,
    weight: usize,
}

pub(super) struct Interp<'a, 'i> {
    doc: &'a Doc<'i>,
    fonts: &'a mut Fonts,
    out: &'a mut dyn Spans,
    pub shown: Shown,
    forms_seen: HashSet<Id>,
    clock: Clock,
    ops_done: u64,
    text_buf: String,
}

impl<'a, 'i> Interp<'a, 'i> {
    pub(super) fn new(doc: &'a Doc<'i>, fonts: &'a mut Fonts, out: &'a mut dyn Spans) -> Self {
        Interp {
            clock: doc.clock,
            doc,
            fonts,
            out,
            shown: Shown::default(),
            forms_seen: HashSet::new(),
            ops_done: 0,
            text_buf: String::new(),
        }
    }

    /// Runs one content stream (a page's, all its parts joined) with `scope` as resources.
    pub(super) fn run_page(&mut self, content: &mut dyn Read, scope: &[Dict]) -> Result<(), Stop> {
        let mut st = initial_state();
        self.run(content, scope, &mut st, 0)
    }

    fn run(
        &mut self,
        content: &mut dyn Read,
        scope: &[Dict],
        st: &mut State,
        depth: u32,
    ) -> Result<(), Stop> {
        let mut p = Parser::new(content, false);
        let mut ops: Vec<Object> = Vec::new();
        let mut saved: Vec<State> = Vec::new();
        // `q` beyond MAX_SAVED: counted, not stored.
        let mut unsaved: u64 = 0;
        let mut tm = Matrix::IDENTITY;
        let mut tlm = Matrix::IDENTITY;
        loop {
            self.ops_done += 1;
            if self.ops_done % 4096 == 0 {
                self.clock.check().map_err(Stop::Limit)?;
            }
            let t = p.token();
            let k = match t {
                Token::Eof => break,
                Token::Keyword(k) if !matches!(k.as_bytes(), b"true" | b"false" | b"null") => k,
                other => {
                    match p.object_from(other) {
                        Ok(o) if ops.len() < MAX_OPERANDS => ops.push(o),
                        Ok(_) => {}
                        Err(Syntax::Truncated) => break,
                        Err(Syntax::TooDeep) => return Err(Stop::Damaged),
                        Err(Syntax::Unexpected) => {}
                    }
                    continue;
                }
            };
            let num = |i: usize| ops.get(i).and_then(Object::as_f32).unwrap_or(0.0);
            match k.as_bytes() {
                b"q" => {
                    if saved.len() < MAX_SAVED {
                        saved.push(st.clone());
                    } else {
                        unsaved += 1;
                    }
                }
                b"Q" => {
                    if unsaved > 0 {
                        unsaved -= 1;
                    } else if let Some(s) = saved.pop() {
                        *st = s;
                    }
                }
                b"cm" => {
                    if let Some(m) = Matrix::from_operands(&ops) {
                        st.ctm = m.then(&st.ctm);
                    }
                }
                b"BT" => {
                    tm = Matrix::IDENTITY;
                    tlm = Matrix::IDENTITY;
                }
                b"Tc" => st.text.char_spacing = num(0),
                b"Tw" => st.text.word_spacing = num(0),
                b"Tz" => st.text.hscale = num(0) / 100.0,
                b"TL" => st.text.leading = num(0),
                b"Ts" => st.text.rise = num(0),
                b"Tf" => {
                    st.text.size = num(1);
                    let name = ops.first().and_then(Object::as_name).unwrap_or(&[]);
                    st.text.font = Some(self.font(scope, name));
                }
                b"Td" | b"TD" => {
                    if k.is(b"TD") {
                        st.text.leading = -num(1);
                    }
                    tlm = Matrix::translate(num(0), num(1)).then(&tlm);
                    tm = tlm;
                }
                b"Tm" => {
                    if let Some(m) = Matrix::from_operands(&ops) {
                        tlm = m;
                        tm = m;
                    }
                }
                b"T*" => {
                    tlm = Matrix::translate(0.0, -st.text.leading).then(&tlm);
                    tm = tlm;
                }
                b"Tj" | b"TJ" | b"'" | b"\"" => {
                    if matches!(k.as_bytes(), b"'" | b"\"") {
                        if k.is(b"\"") {
                            st.text.word_spacing = num(0);
                            st.text.char_spacing = num(1);
                        }
                        tlm = Matrix::translate(0.0, -st.text.leading).then(&tlm);
                        tm = tlm;
                    }
                    if let Some(last) = ops.last() {
                        self.show(st, &mut tm, last);
                    }
                }
                b"BI" => {
                    self.image(st);
                    skip_inline_image(&mut p);
                }
                b"Do" => {
                    if let Some(name) = ops.first().and_then(Object::as_name) {
                        let name = name.to_vec();
                        self.xobject(scope, &name, st, depth)?;
                    }
                }
                _ => {}
            }
            ops.clear();
        }
        if p.lx.take_error().is_some() {
            return Err(Stop::Damaged);
        }
        Ok(())
    }

    /// The font called `name` in the resources (loaded once per document).
    fn font(&mut self, scope: &[Dict], name: &[u8]) -> Rc<Font> {
        let found = scope.iter().find_map(|res| {
            let fonts = self.doc.get_in(res, b"Font");
            fonts.as_dict()?.get(name).cloned()
        });
        match found {
            Some(Object::Ref(id)) => {
                if let Some(f) = self.fonts.by_id.get(&id) {
                    return f.clone();
                }
                let obj = self.doc.get(id);
                let f = Rc::new(match obj.as_dict() {
                    Some(d) => Font::load(self.doc, d),
                    None => Font::fallback(),
                });
                let w = f.weight();
                if self.fonts.weight + w > FONT_CACHE {
                    self.fonts.by_id.clear();
                    self.fonts.weight = 0;
                }
                self.fonts.weight += w;
                self.fonts.by_id.insert(id, f.clone());
                f
            }
            Some(Object::Dict(d)) => Rc::new(Font::load(self.doc, &d)),
            _ => Rc::new(Font::fallback()),
        }
    }

    /// `Tj`/`TJ` operands: each string a span; numbers move the pen.
    fn show(&mut self, st: &State, tm: &mut Matrix, operand: &Object) {
        let items = match operand {
            Object::Array(a) => a.as_slice(),
            o => std::slice::from_ref(o),
        };
        let font = st
            .text
            .font
            .clone()
            .unwrap_or_else(|| Rc::new(Font::fallback()));
        let ts = &st.text;
        for item in items {
            match item {
                Object::Str(bytes) => {
                    let m = tm.then(&st.ctm);
                    let mut x = 0.0f32;
                    let mut y = 0.0f32;
                    self.text_buf.clear();
                    let (mut mapped, mut unmapped) = (0u64, 0u64);
                    let buf = &mut self.text_buf;
                    font.each(bytes, |g| {
                        if g.text.is_empty() {
                            unmapped += 1;
                        } else {
                            mapped += 1;
                            buf.push_str(g.text);
                        }
                        let spacing =
                            ts.char_spacing + if g.word_space { ts.word_spacing } else { 0.0 };
                        if font.vertical {
                            y -= ts.size + spacing;
                        } else {
                            x += (g.advance * ts.size + spacing) * ts.hscale;
                        }
                    });
                    self.shown.mapped += mapped;
                    self.shown.unmapped += unmapped;
                    let start = m.point(0.0, ts.rise);
                    let end = m.point(x, y + ts.rise);
                    *tm = Matrix::translate(x, y).then(tm);
                    if self.text_buf.is_empty() {
                        continue;
                    }
                    // The baseline's direction and the em's height on the page.
                    let (dx, dy) = (m.0[0] * ts.hscale, m.0[1] * ts.hscale);
                    let len = (dx * dx + dy * dy).sqrt();
                    let dir = if len > 0.0 {
                        (dx / len, dy / len)
                    } else {
                        (1.0, 0.0)
                    };
                    let size = (ts.size * (m.0[2] * m.0[2] + m.0[3] * m.0[3]).sqrt()).abs();
                    let span = Span {
                        text: &self.text_buf,
                        start,
                        end,
                        dir,
                        size: if size.is_finite() { size } else { 0.0 },
                    };
                    self.out.span(&span);
                }
                o => {
                    if let Some(n) = o.as_f32() {
                        let d = -n / 1000.0 * ts.size;
                        *tm = if font.vertical {
                            Matrix::translate(0.0, d)
                        } else {
                            Matrix::translate(d * ts.hscale, 0.0)
                        }
                        .then(tm);
                    }
                }
            }
        }
    }

    /// `Do`: an image marks the page; a form is run with its resources in front.
    fn xobject(&mut self, scope: &[Dict], name: &[u8], st: &State, depth: u32) -> Result<(), Stop> {
        let Some(Object::Ref(id)) = scope.iter().find_map(|res| {
            let x = self.doc.get_in(res, b"XObject");
            x.as_dict()?.get(name).cloned()
        }) else {
            return Ok(());
        };
        let obj = self.doc.get(id);
        let Some(stream) = obj.as_stream() else {
            return Ok(());
        };
        match stream.dict.name(b"Subtype") {
            Some(b"Image") => self.image(st),
            Some(b"Form") => self.form(id, stream, scope, st, depth)?,
            _ => {}
        }
        Ok(())
    }

    /// An image drawn with the current matrix.
    fn image(&mut self, st: &State) {
        self.shown.images = true;
        let area = st.ctm.unit_area();
        if area.is_finite() && area > self.shown.image_area {
            self.shown.image_area = area;
        }
    }

    /// Runs a form XObject (once per page, within the depth limit) as a block of its own.
    fn form(
        &mut self,
        id: Id,
        stream: &Stream,
        scope: &[Dict],
        st: &State,
        depth: u32,
    ) -> Result<(), Stop> {
        if depth >= MAX_FORM_DEPTH || !self.forms_seen.insert(id) {
            return Ok(());
        }
        let mut inner = Vec::with_capacity(scope.len() + 1);
        if let Some(res) = self.doc.get_in(&stream.dict, b"Resources").as_dict() {
            inner.push(res.clone());
        }
        inner.extend(scope.iter().cloned());
        let mut fst = st.clone();
        if let Some(m) = stream
            .dict
            .get(b"Matrix")
            .and_then(Object::as_array)
            .and_then(Matrix::from_operands)
        {
            fst.ctm = m.then(&st.ctm);
        }
        let Ok(mut r) = self.doc.decoded(stream) else {
            self.shown.damaged += 1;
            return Ok(());
        };
        self.out.block();
        match self.run(&mut r, &inner, &mut fst, depth + 1) {
            Err(Stop::Damaged) => self.shown.damaged += 1,
            other => other?,
        }
        self.out.block();
        Ok(())
    }

    /// Runs the normal appearance of an annotation (a form field's drawn value, a signature,
    /// a typed-on note), with the page's resources behind the appearance's own.
    pub(super) fn appearance(&mut self, annot: &Dict, scope: &[Dict]) -> Result<(), Stop> {
        let ap = self.doc.get_in(annot, b"AP");
        let Some(n) = ap.as_dict().and_then(|ap| ap.get(b"N")).cloned() else {
            return Ok(());
        };
        // A dictionary of states (a check box): the one in `/AS`.
        let chosen = match &*self.doc.resolve(&n) {
            Object::Dict(states) => annot.name(b"AS").and_then(|s| states.get(s)).cloned(),
            Object::Stream(_) => Some(n.clone()),
            _ => None,
        };
        let Some(Object::Ref(id)) = chosen else {
            return Ok(());
        };
        let obj = self.doc.get(id);
        let Some(stream) = obj.as_stream() else {
            return Ok(());
        };
        let st = initial_state();
        self.form(id, stream, scope, &st, 0)
    }
}

fn initial_state() -> State {
    State {
        ctm: Matrix::IDENTITY,
        text: TextState {
            font: None,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            hscale: 1.0,
            leading: 0.0,
            rise: 0.0,
        },
    }
}

/// After `BI`: the image's dictionary up to `ID`, then its data up to `EI` (by `/L` or
/// `/Length` when given, else by searching for `EI` between white space).
fn skip_inline_image<R: Read>(p: &mut Parser<R>) {
    let mut length: Option<i64> = None;
    let mut key: Option<Vec<u8>> = None;
    for _ in 0..256 {
        match p.token() {
            Token::Keyword(k) if k.is(b"ID") => break,
            Token::Eof => return,
            Token::Name(n) if key.is_none() => key = Some(n),
            t => {
                let v = p.object_from(t).unwrap_or(Object::Null);
                if matches!(key.as_deref(), Some(b"L" | b"Length")) {
                    length = v.as_int();
                }
                key = None;
            }
        }
    }
    // One white-space byte separates `ID` from the data.
    if p.lx.peek().is_some_and(super::lex::is_white) {
        p.lx.bump();
    }
    match length.filter(|l| *l >= 0) {
        Some(l) => {
            p.lx.skip_bytes(l as u64);
            let _ = p.token(); // EI
        }
        None => {
            p.lx.skip_past_word(b"EI");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrices_compose_in_pdf_order() {
        let scale = Matrix([2.0, 0.0, 0.0, 2.0, 0.0, 0.0]);
        let shift = Matrix::translate(10.0, 5.0);
        // Scale then translate.
        assert_eq!(scale.then(&shift).point(1.0, 1.0), (12.0, 7.0));
        assert_eq!(shift.then(&scale).point(1.0, 1.0), (22.0, 12.0));
    }
}
