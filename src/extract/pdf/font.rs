//! Fonts: from the bytes of a shown string to text and advance widths.
//!
//! A code's text comes from the font's ToUnicode CMap when it has one for the code; else,
//! for simple fonts, from the encoding (`/Encoding` name or `/BaseEncoding` with
//! `/Differences` glyph names, or the built-in encoding of an embedded Type 1 program, or
//! StandardEncoding/WinAnsi by font type); for composite (Type 0) fonts with a predefined
//! Unicode CMap (`Uni…-UCS2-H`, `Uni…-UTF16-H`) the code is UTF-16 itself. Codes split by the
//! encoding CMap's codespace ranges (two bytes for `Identity-H`).
//!
//! Widths place the text: `/Widths` of simple fonts, `/W` and `/DW` of CID fonts, Type 3
//! widths through the `/FontMatrix`, and for the standard fonts written without widths
//! (Helvetica, Times, Courier: common in generated PDFs) Adobe's metrics in [`super::tables`].

use std::collections::HashMap;

use super::cmap::CMap;
use super::doc::{Doc, MAX_DECODED};
use super::lex::{Lexer, Token};
use super::object::{Dict, Object};
use super::tables::{CORE_WIDTHS, GLYPHS, PDFDOC, STANDARD, SYMBOL};
use super::truetype::glyph_chars;

/// The text of a glyph name: the Adobe Glyph List, `uniXXXX`, `uXXXX`, ligatures written
/// `f_f_i`, and names with a variant suffix (`one.oldstyle`).
pub(super) fn glyph_text(name: &[u8]) -> Option<String> {
    let name = std::str::from_utf8(name).ok()?;
    let base = name.split('.').next().filter(|b| !b.is_empty())?;
    if base.contains('_') {
        let parts: Option<String> = base.split('_').map(|p| glyph_text(p.as_bytes())).collect();
        return parts;
    }
    if let Ok(i) = GLYPHS.binary_search_by(|(n, _)| n.cmp(&base)) {
        return Some(GLYPHS[i].1.to_string());
    }
    let hex_chars = |h: &str, width: usize| -> Option<String> {
        if h.is_empty() || h.len() % width != 0 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        (0..h.len())
            .step_by(width)
            .map(|i| {
                u32::from_str_radix(&h[i..i + width], 16)
                    .ok()
                    .and_then(char::from_u32)
            })
            .collect()
    };
    if let Some(h) = base.strip_prefix("uni") {
        return hex_chars(h, 4);
    }
    if let Some(h) = base.strip_prefix('u') {
        if (4..=6).contains(&h.len()) {
            return hex_chars(h, h.len());
        }
    }
    None
}

/// A text string (`/Title`, `/Author`...): UTF-16 with a byte order mark, UTF-8 with one, or
/// PDFDocEncoding.
pub(super) fn text_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units = rest
            .chunks_exact(2)
            .map(|c| u16::from(c[0]) << 8 | u16::from(c[1]));
        return char::decode_utf16(units).filter_map(Result::ok).collect();
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let units = rest
            .chunks_exact(2)
            .map(|c| u16::from(c[1]) << 8 | u16::from(c[0]));
        return char::decode_utf16(units).filter_map(Result::ok).collect();
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    bytes
        .iter()
        .map(|&b| PDFDOC[usize::from(b)])
        .filter(|&c| c != '\0')
        .collect()
}

/// How a font's strings split into codes.
#[derive(Debug, Clone)]
enum Codes {
    One,
    Two,
    ByCMap(CMap),
}

/// Where a simple font's code text comes from, besides ToUnicode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    Standard,
    WinAnsi,
    MacRoman,
    PdfDoc,
    Symbol,
}

fn base_char(base: Base, code: u8) -> Option<char> {
    let c = match base {
        Base::Standard => STANDARD[usize::from(code)],
        Base::PdfDoc => PDFDOC[usize::from(code)],
        Base::Symbol => SYMBOL[usize::from(code)],
        Base::WinAnsi => single(encoding_rs::WINDOWS_1252, code)?,
        Base::MacRoman => single(encoding_rs::MACINTOSH, code)?,
    };
    (c != '\0' && (c >= ' ' || c == '\t')).then_some(c)
}

/// The character of one byte in a single-byte encoding.
fn single(enc: &'static encoding_rs::Encoding, code: u8) -> Option<char> {
    let bytes = [code];
    let (s, _) = enc.decode_without_bom_handling(&bytes);
    s.chars().next()
}

/// One shown code: its text (possibly empty), its advance in text space per unit of font
/// size, and whether it is the single-byte space that word spacing widens.
pub(super) struct Glyph<'a> {
    pub text: &'a str,
    pub advance: f32,
    pub word_space: bool,
}

#[derive(Debug, Clone)]
pub(super) struct Font {
    codes: Codes,
    to_unicode: Option<CMap>,
    /// Simple fonts: the text of each code by the encoding.
    simple: Vec<String>,
    /// Simple fonts: the width of each code (glyph units).
    simple_widths: Vec<f32>,
    /// Composite fonts: code to CID (identity if absent).
    cids: Option<CMap>,
    /// Composite fonts: `/W` as (first CID, last CID, width), sorted.
    cid_widths: Vec<(u32, u32, f32)>,
    default_width: f32,
    /// Composite fonts whose codes are UTF-16 (predefined Unicode CMaps).
    utf16: bool,
    /// Composite fonts without ToUnicode: glyph id to character from the embedded TrueType
    /// program, and CID to glyph id (identity if absent).
    glyphs: Option<HashMap<u16, char>>,
    cid_to_gid: Option<Vec<u16>>,
    /// Composite fonts of an Adobe CJK collection: CIDs 1-95 are ASCII.
    collection: Option<Collection>,
    /// Glyph units to text space (1/1000, or a Type 3 font's matrix).
    scale: f32,
    pub vertical: bool,
}

impl Font {
    /// A font for a `Tf` whose font cannot be found: codes as WinAnsi, average widths.
    pub(super) fn fallback() -> Font {
        Font {
            codes: Codes::One,
            to_unicode: None,
            simple: (0..=255u8)
                .map(|c| {
                    base_char(Base::WinAnsi, c)
                        .map(String::from)
                        .unwrap_or_default()
                })
                .collect(),
            simple_widths: vec![500.0; 256],
            cids: None,
            cid_widths: Vec::new(),
            default_width: 500.0,
            utf16: false,
            glyphs: None,
            cid_to_gid: None,
            collection: None,
            scale: 0.001,
            vertical: false,
        }
    }

    pub(super) fn load(doc: &Doc<'_>, dict: &Dict) -> Font {
        let to_unicode = match &*doc.get_in(dict, b"ToUnicode") {
            Object::Stream(s) => doc
                .decode_whole(s, MAX_DECODED)
                .ok()
                .map(|d| CMap::parse(&d)),
            _ => None,
        };
        match dict.name(b"Subtype") {
            Some(b"Type0") => composite(doc, dict, to_unicode),
            sub => simple(doc, dict, sub, to_unicode),
        }
    }

    /// Calls `f` for each code of `bytes`.
    pub(super) fn each(&self, bytes: &[u8], mut f: impl FnMut(Glyph<'_>)) {
        let mut text = String::new();
        let mut i = 0;
        while i < bytes.len() {
            let n = match &self.codes {
                Codes::One => 1,
                Codes::Two => 2,
                Codes::ByCMap(m) => m.code_len(&bytes[i..]),
            }
            .min(bytes.len() - i);
            let raw = &bytes[i..i + n];
            let code = raw.iter().fold(0u32, |v, &b| v << 8 | u32::from(b));
            i += n;
            text.clear();
            let mapped = self
                .to_unicode
                .as_ref()
                .is_some_and(|m| m.text(code, &mut text));
            let (simple, w) = if self.simple.is_empty() {
                (None, self.cid_width(code))
            } else {
                let c = (code & 0xFF) as usize;
                (Some(&self.simple[c]), self.simple_widths[c])
            };
            if !mapped {
                if let Some(s) = simple {
                    text.push_str(s);
                } else if let Some(c) = self.glyph_char(code).or_else(|| self.collection_char(code))
                {
                    text.push(c);
                } else if self.utf16 {
                    // A high surrogate waits for its pair.
                    let u = code as u16;
                    if (0xD800..0xDC00).contains(&u) && i + 2 <= bytes.len() {
                        let lo = u16::from(bytes[i]) << 8 | u16::from(bytes[i + 1]);
                        i += 2;
                        text.extend(char::decode_utf16([u, lo]).filter_map(Result::ok));
                    } else {
                        text.extend(char::from_u32(code));
                    }
                }
            }
            clean(&mut text);
            f(Glyph {
                text: &text,
                advance: w * self.scale,
                word_space: n == 1 && code == 32,
            });
        }
    }

    /// Roughly the memory the font takes, for the cache's budget.
    pub(super) fn weight(&self) -> usize {
        let maps = self
            .to_unicode
            .iter()
            .chain(&self.cids)
            .map(CMap::weight)
            .sum::<usize>();
        maps + self.simple.len() * 32
            + self.cid_widths.len() * 12
            + self.glyphs.as_ref().map_or(0, |g| g.len() * 16)
            + self.cid_to_gid.as_ref().map_or(0, |g| g.len() * 2)
            + 512
    }

    /// The character of a composite font's code through the embedded TrueType's own table.
    fn glyph_char(&self, code: u32) -> Option<char> {
        let glyphs = self.glyphs.as_ref()?;
        let cid = self.cids.as_ref().and_then(|m| m.cid(code)).unwrap_or(code);
        let gid = match &self.cid_to_gid {
            Some(map) => *map.get(cid as usize)?,
            None => u16::try_from(cid).ok()?,
        };
        glyphs.get(&gid).copied()
    }

    /// The ASCII character of CIDs 1-95 in an Adobe CJK collection.
    fn collection_char(&self, code: u32) -> Option<char> {
        let coll = self.collection?;
        let cid = self.cids.as_ref().and_then(|m| m.cid(code)).unwrap_or(code);
        match (coll, cid) {
            (Collection::Japan1, 61) => Some('¥'),
            (Collection::Japan1, 95) => Some('‾'),
            (_, 1..=95) => char::from_u32(0x1F + cid),
            _ => None,
        }
    }

    fn cid_width(&self, code: u32) -> f32 {
        let cid = self.cids.as_ref().and_then(|m| m.cid(code)).unwrap_or(code);
        let i = self.cid_widths.partition_point(|r| r.0 <= cid);
        match i.checked_sub(1).map(|i| self.cid_widths[i]) {
            Some((_, last, w)) if cid <= last => w,
            _ => self.default_width,
        }
    }
}

/// The core font a base font name stands for, if any: (index into CORE_WIDTHS, or None
/// for Courier's fixed 600).
fn core(base_font: &[u8]) -> Option<Option<usize>> {
    let name = String::from_utf8_lossy(base_font).to_ascii_lowercase();
    // A subset prefix `ABCDEF+` and style separators do not matter.
    let name = name
        .rsplit('+')
        .next()
        .unwrap_or(&name)
        .replace([',', '-', ' '], "");
    let bold = name.contains("bold") || name.contains("black") || name.contains("heavy");
    let italic = name.contains("italic") || name.contains("oblique");
    if name.starts_with("courier") {
        return Some(None);
    }
    if name.starts_with("helvetica") || name.starts_with("arial") {
        return Some(Some(usize::from(bold)));
    }
    if name.starts_with("times") {
        return Some(Some(2 + usize::from(bold) + 2 * usize::from(italic)));
    }
    None
}

fn simple(doc: &Doc<'_>, dict: &Dict, sub: Option<&[u8]>, to_unicode: Option<CMap>) -> Font {
    let base_font = doc
        .get_in(dict, b"BaseFont")
        .as_name()
        .unwrap_or(&[])
        .to_vec();
    let descriptor = doc.get_in(dict, b"FontDescriptor").as_dict().cloned();
    let flags = descriptor
        .as_ref()
        .and_then(|d| d.int(b"Flags"))
        .unwrap_or(0);
    let symbolic = flags & 4 != 0 && flags & 32 == 0;
    let enc = doc.get_in(dict, b"Encoding").clone();
    let named = |n: &[u8]| match n {
        b"WinAnsiEncoding" => Some(Base::WinAnsi),
        b"MacRomanEncoding" => Some(Base::MacRoman),
        b"StandardEncoding" => Some(Base::Standard),
        b"PDFDocEncoding" => Some(Base::PdfDoc),
        _ => None,
    };
    let enc_base = match &enc {
        Object::Name(n) => named(n),
        Object::Dict(d) => d.name(b"BaseEncoding").and_then(named),
        _ => None,
    };
    // The font's own encoding: an embedded Type 1 program's, or by font type.
    let builtin = descriptor.as_ref().and_then(|d| type1_encoding(doc, d));
    let is_symbol = base_font.rsplit(|&b| b == b'+').next() == Some(b"Symbol");
    let base = enc_base.unwrap_or(match sub {
        _ if is_symbol => Base::Symbol,
        Some(b"TrueType") => Base::WinAnsi,
        _ if symbolic => Base::WinAnsi,
        _ => Base::Standard,
    });
    let mut table: Vec<String> = (0..=255u8)
        .map(|c| base_char(base, c).map(String::from).unwrap_or_default())
        .collect();
    if enc_base.is_none() {
        if let Some(b) = builtin {
            for (code, name) in b {
                if let Some(t) = glyph_text(&name) {
                    table[usize::from(code)] = t;
                }
            }
        }
    }
    if let Object::Dict(d) = &enc {
        if let Some(diffs) = doc.get_in(d, b"Differences").as_array() {
            let mut code = 0usize;
            for item in diffs {
                match item {
                    Object::Int(c) => code = (*c).clamp(0, 255) as usize,
                    Object::Name(n) => {
                        if code < 256 {
                            // An unknown name keeps the base encoding's text.
                            if let Some(t) = glyph_text(n) {
                                table[code] = t;
                            }
                        }
                        code += 1;
                    }
                    _ => {}
                }
            }
        }
    }
    // Widths: /Widths from /FirstChar, else the core font's metrics, else MissingWidth.
    let missing = descriptor
        .as_ref()
        .and_then(|d| d.get(b"MissingWidth").and_then(Object::as_f32))
        .filter(|w| *w > 0.0);
    let core = core(&base_font);
    let mut widths: Vec<f32> = (0..256usize)
        .map(|c| match core {
            Some(None) => 600.0,
            Some(Some(k)) => {
                let ch = table[c].chars().next().unwrap_or(' ').to_string();
                let (bytes, _, bad) = encoding_rs::WINDOWS_1252.encode(&ch);
                match (bad, bytes.first()) {
                    (false, Some(&b)) => f32::from(CORE_WIDTHS[k][usize::from(b)]),
                    _ => 0.0,
                }
                .max(if table[c].is_empty() { 0.0 } else { 250.0 })
            }
            None => missing.unwrap_or(500.0),
        })
        .collect();
    let first = doc
        .get_in(dict, b"FirstChar")
        .as_int()
        .unwrap_or(0)
        .clamp(0, 255) as usize;
    if let Some(list) = doc.get_in(dict, b"Widths").as_array() {
        for (i, w) in list.iter().enumerate() {
            if first + i < 256 {
                if let Some(w) = doc.resolve(w).as_f32() {
                    widths[first + i] = w;
                }
            }
        }
    }
    let scale = if sub == Some(b"Type3") {
        doc.get_in(dict, b"FontMatrix")
            .as_array()
            .and_then(|m| m.first()?.as_f32())
            .filter(|s| s.is_finite() && *s != 0.0)
            .unwrap_or(0.001)
    } else {
        0.001
    };
    Font {
        codes: Codes::One,
        to_unicode,
        simple: table,
        simple_widths: widths,
        cids: None,
        cid_widths: Vec::new(),
        default_width: missing.unwrap_or(500.0),
        utf16: false,
        glyphs: None,
        cid_to_gid: None,
        collection: None,
        scale,
        vertical: false,
    }
}

fn composite(doc: &Doc<'_>, dict: &Dict, to_unicode: Option<CMap>) -> Font {
    let enc = doc.get_in(dict, b"Encoding").clone();
    // `known`: codes that are CIDs by a known rule (Identity, or an embedded CMap).
    let (codes, cids, utf16, vertical, known) = match &enc {
        Object::Name(n) => {
            let utf16 =
                n.starts_with(b"Uni") && (n.windows(4).any(|w| w == b"UCS2" || w == b"UTF1"));
            let vertical = n.ends_with(b"-V");
            let codes = match &to_unicode {
                // A predefined CJK CMap kartlegg does not carry: ToUnicode's codespace.
                Some(m) if !n.starts_with(b"Identity") && !utf16 && m.has_codespace() => {
                    Codes::ByCMap(m.clone())
                }
                _ => Codes::Two,
            };
            let known = n.starts_with(b"Identity") || utf16;
            (codes, None, utf16, vertical, known)
        }
        Object::Stream(s) => {
            let m = doc
                .decode_whole(s, MAX_DECODED)
                .ok()
                .map(|d| CMap::parse(&d))
                .unwrap_or_default();
            let codes = if m.has_codespace() {
                Codes::ByCMap(m.clone())
            } else {
                Codes::Two
            };
            (codes, Some(m), false, false, true)
        }
        _ => (Codes::Two, None, false, false, true),
    };
    let descendant = doc
        .get_in(dict, b"DescendantFonts")
        .as_array()
        .and_then(|a| a.first().map(|o| doc.resolve(o).clone()))
        .and_then(|o| o.as_dict().cloned())
        .unwrap_or_default();
    let default_width = doc.get_in(&descendant, b"DW").as_f32().unwrap_or(1000.0);
    let mut cid_widths = Vec::new();
    if let Some(w) = doc.get_in(&descendant, b"W").as_array() {
        let items: Vec<Object> = w.iter().map(|o| doc.resolve(o).clone()).collect();
        let mut i = 0;
        while i < items.len() && cid_widths.len() < 100_000 {
            let Some(first) = items[i].as_int().filter(|v| *v >= 0) else {
                i += 1;
                continue;
            };
            match (items.get(i + 1), items.get(i + 2)) {
                (Some(Object::Array(list)), _) => {
                    for (k, w) in list.iter().enumerate() {
                        if let Some(w) = doc.resolve(w).as_f32() {
                            let c = first as u32 + k as u32;
                            cid_widths.push((c, c, w));
                        }
                    }
                    i += 2;
                }
                (Some(last), Some(w)) => {
                    if let (Some(l), Some(w)) = (last.as_int(), w.as_f32()) {
                        if l >= first {
                            cid_widths.push((first as u32, l as u32, w));
                        }
                    }
                    i += 3;
                }
                _ => break,
            }
        }
        cid_widths.sort_by_key(|r| r.0);
    }
    // `/ToUnicode /Identity-H` (a name, not a map): the codes are UTF-16 themselves.
    let utf16 = utf16
        || matches!(
            doc.get_in(dict, b"ToUnicode").as_name(),
            Some(b"Identity-H" | b"Identity-V")
        );
    let collection = doc
        .get_in(&descendant, b"CIDSystemInfo")
        .as_dict()
        .and_then(|info| collection(doc, info));
    // No ToUnicode and glyph ids for codes: the embedded TrueType's own table.
    let (glyphs, cid_to_gid) = if to_unicode.is_none() && !utf16 && known {
        embedded_glyphs(doc, &descendant)
    } else {
        (None, None)
    };
    Font {
        codes,
        to_unicode,
        simple: Vec::new(),
        simple_widths: Vec::new(),
        cids,
        cid_widths,
        default_width,
        utf16,
        glyphs,
        cid_to_gid,
        collection,
        scale: 0.001,
        vertical,
    }
}

/// The Adobe character collections whose CIDs 1 to 95 are the printable ASCII characters
/// (their "proportional Roman" block): Latin text, digits and `@` set in a CJK font read
/// without a ToUnicode map. Japan1 has the yen sign and overline at 0x5C and 0x7E.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Collection {
    Japan1,
    Other,
}

fn collection(doc: &Doc<'_>, info: &Dict) -> Option<Collection> {
    if doc.get_in(info, b"Registry").as_str() != Some(b"Adobe") {
        return None;
    }
    match doc.get_in(info, b"Ordering").as_str()? {
        b"Japan1" => Some(Collection::Japan1),
        b"GB1" | b"CNS1" | b"Korea1" => Some(Collection::Other),
        _ => None,
    }
}

/// Glyph id to character from a CID font's embedded TrueType program, and its
/// `/CIDToGIDMap` when that is a stream.
fn embedded_glyphs(
    doc: &Doc<'_>,
    cid_font: &Dict,
) -> (Option<HashMap<u16, char>>, Option<Vec<u16>>) {
    let descriptor = doc.get_in(cid_font, b"FontDescriptor");
    let Some(file) = descriptor.as_dict().map(|d| doc.get_in(d, b"FontFile2")) else {
        return (None, None);
    };
    let Some(program) = file
        .as_stream()
        .and_then(|s| doc.decode_whole(s, MAX_DECODED).ok())
    else {
        return (None, None);
    };
    let glyphs = glyph_chars(&program);
    let map = match &*doc.get_in(cid_font, b"CIDToGIDMap") {
        Object::Stream(s) => doc.decode_whole(s, 1 << 20).ok().map(|d| {
            d.chunks_exact(2)
                .map(|c| u16::from(c[0]) << 8 | u16::from(c[1]))
                .collect()
        }),
        _ => None,
    };
    (glyphs, map)
}

/// Expands ligatures (`ﬁ` is `fi`: an address typeset with one must still read as one) and
/// drops control characters other than tabs (some fonts map spaces there).
fn clean(text: &mut String) {
    if !text
        .chars()
        .any(|c| c.is_control() || ('\u{FB00}'..='\u{FB06}').contains(&c))
    {
        return;
    }
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    *text = out;
}

/// The encoding written in an embedded Type 1 font program (`dup 65 /A put`), read from its
/// clear-text part.
fn type1_encoding(doc: &Doc<'_>, descriptor: &Dict) -> Option<Vec<(u8, Vec<u8>)>> {
    let file = doc.get_in(descriptor, b"FontFile");
    let s = file.as_stream()?;
    // The clear-text part (`/Length1` bytes) holds the encoding; 64 KiB when unknown.
    let clear = match doc.get_in(&s.dict, b"Length1").as_int() {
        Some(n) if n > 0 => n.min(1 << 20) as u64,
        _ => 64 * 1024,
    };
    let data = doc.decode_head(s, clear)?;
    let data = data.as_slice();
    let at = memchr::memmem::find(data, b"/Encoding")?;
    let mut lx = Lexer::new(&data[at + 9..]);
    let mut out = Vec::new();
    let mut prev: [Option<Token>; 2] = [None, None];
    for _ in 0..4096 {
        let t = lx.next();
        match &t {
            Token::Eof => break,
            Token::Keyword(k) if k.is(b"StandardEncoding") && out.is_empty() => return None,
            Token::Keyword(k) if k.is(b"def") || k.is(b"readonly") => break,
            Token::Keyword(k) if k.is(b"put") => {
                if let [Some(Token::Int(c)), Some(Token::Name(n))] = &prev {
                    if (0..256).contains(c) {
                        out.push((*c as u8, n.clone()));
                    }
                }
            }
            _ => {}
        }
        prev = [prev[1].take(), Some(t)];
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyph_names_become_text() {
        let t = |n: &str| glyph_text(n.as_bytes());
        assert_eq!(t("oslash").as_deref(), Some("ø"));
        assert_eq!(t("Aring").as_deref(), Some("Å"));
        assert_eq!(t("at").as_deref(), Some("@"));
        assert_eq!(t("one.oldstyle").as_deref(), Some("1"));
        assert_eq!(t("uni00E6").as_deref(), Some("æ"));
        assert_eq!(t("uni00660069").as_deref(), Some("fi"));
        assert_eq!(t("u1F600").as_deref(), Some("😀"));
        assert_eq!(t("f_f_i").as_deref(), Some("ffi"));
        assert_eq!(t("g123"), None);
    }

    #[test]
    fn text_strings_in_every_encoding() {
        assert_eq!(text_string(b"\xFE\xFF\x00K\x00\xE5\x00r\x00e"), "Kåre");
        assert_eq!(text_string(b"Kj\xe6r \x84 x"), "Kjær — x");
        assert_eq!(text_string(b"\xEF\xBB\xBFS\xC3\xB8s"), "Søs");
    }

    #[test]
    fn base_encodings_differ_where_they_should() {
        assert_eq!(base_char(Base::Standard, 0xF9), Some('ø'));
        assert_eq!(base_char(Base::WinAnsi, 0xF8), Some('ø'));
        assert_eq!(base_char(Base::MacRoman, 0xBF), Some('ø'));
        assert_eq!(base_char(Base::Standard, b'\''), Some('’'));
    }

    #[test]
    fn core_font_names() {
        assert_eq!(core(b"Helvetica"), Some(Some(0)));
        assert_eq!(core(b"ABCDEF+Arial,Bold"), Some(Some(1)));
        assert_eq!(core(b"Times-BoldItalic"), Some(Some(5)));
        assert_eq!(core(b"Courier-Oblique"), Some(None));
        assert_eq!(core(b"DejaVuSans"), None);
    }
}
