//! CMaps: how a font's codes split (codespace ranges), which text each code stands for
//! (`bfchar`/`bfrange` of a ToUnicode map) and which CID (`cidchar`/`cidrange` of an
//! embedded encoding).
//!
//! Parsed from the tokens of the CMap program, tolerantly: unknown operators are skipped, an
//! entry that does not parse is dropped, and at most [`MAX_ENTRIES`] entries are kept.

use super::lex::{Lexer, Token};

/// Mappings kept from one CMap.
const MAX_ENTRIES: usize = 200_000;

#[derive(Debug, Clone)]
enum Target {
    /// UTF-16 units; within a range the last unit counts up from the range's start.
    Text(Vec<u16>),
    /// One text per code of the range.
    List(Vec<Vec<u16>>),
    Cid(u32),
}

#[derive(Debug, Clone)]
struct Mapping {
    lo: u32,
    hi: u32,
    to: Target,
}

#[derive(Debug, Clone, Default)]
pub(super) struct CMap {
    /// (low, high, bytes) of each codespace range.
    codespace: Vec<(u32, u32, u8)>,
    /// Text mappings sorted by `lo`.
    text: Vec<Mapping>,
    cids: Vec<Mapping>,
}

fn code(bytes: &[u8]) -> Option<(u32, u8)> {
    if bytes.is_empty() || bytes.len() > 4 {
        return None;
    }
    Some((
        bytes.iter().fold(0u32, |v, &b| v << 8 | u32::from(b)),
        bytes.len() as u8,
    ))
}

fn units(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks(2)
        .map(|c| match c {
            [a, b] => u16::from(*a) << 8 | u16::from(*b),
            [a] => u16::from(*a),
            _ => 0,
        })
        .collect()
}

impl CMap {
    pub(super) fn parse(data: &[u8]) -> CMap {
        let mut m = CMap::default();
        let mut lx = Lexer::new(data);
        loop {
            let t = lx.next();
            let Token::Keyword(k) = t else {
                if t == Token::Eof {
                    break;
                }
                continue;
            };
            match k.as_bytes() {
                b"begincodespacerange" => {
                    while let (Token::Str(lo), Token::Str(hi)) = (lx.next(), lx.next()) {
                        if let (Some((l, n)), Some((h, _))) = (code(&lo), code(&hi)) {
                            m.codespace.push((l, h, n));
                        }
                    }
                }
                b"beginbfchar" => m.chars(&mut lx, false),
                b"begincidchar" => m.chars(&mut lx, true),
                b"beginbfrange" => m.ranges(&mut lx, false),
                b"begincidrange" => m.ranges(&mut lx, true),
                _ => {}
            }
        }
        m.text.sort_by_key(|r| r.lo);
        m.cids.sort_by_key(|r| r.lo);
        m
    }

    fn full(&self) -> bool {
        self.text.len() + self.cids.len() >= MAX_ENTRIES
    }

    /// `<src> <dst>` pairs up to `endbfchar`/`endcidchar`.
    fn chars(&mut self, lx: &mut Lexer<&[u8]>, cid: bool) {
        loop {
            let Token::Str(src) = lx.next() else { return };
            let to = match (lx.next(), cid) {
                (Token::Str(dst), false) => Target::Text(units(&dst)),
                // A glyph name as the target (some writers): its text, if known.
                (Token::Name(n), false) => match super::font::glyph_text(&n) {
                    Some(s) => Target::Text(s.encode_utf16().collect()),
                    None => continue,
                },
                (Token::Int(c), true) if c >= 0 => Target::Cid(c as u32),
                _ => return,
            };
            if let Some((c, _)) = code(&src) {
                if !self.full() {
                    let m = Mapping { lo: c, hi: c, to };
                    if cid {
                        self.cids.push(m)
                    } else {
                        self.text.push(m)
                    }
                }
            }
        }
    }

    /// `<lo> <hi> <dst>` (or `[<dst>...]`, or a CID) up to `endbfrange`/`endcidrange`.
    fn ranges(&mut self, lx: &mut Lexer<&[u8]>, cid: bool) {
        loop {
            let (Token::Str(lo), Token::Str(hi)) = (lx.next(), lx.next()) else {
                return;
            };
            let to = match lx.next() {
                Token::Str(dst) if !cid => Target::Text(units(&dst)),
                Token::Int(c) if cid && c >= 0 => Target::Cid(c as u32),
                Token::ArrayOpen if !cid => {
                    let mut list = Vec::new();
                    loop {
                        match lx.next() {
                            Token::Str(s) => list.push(units(&s)),
                            Token::ArrayClose | Token::Eof => break,
                            _ => {}
                        }
                    }
                    Target::List(list)
                }
                _ => return,
            };
            if let (Some((l, _)), Some((h, _))) = (code(&lo), code(&hi)) {
                if l <= h && !self.full() {
                    let m = Mapping { lo: l, hi: h, to };
                    if cid {
                        self.cids.push(m)
                    } else {
                        self.text.push(m)
                    }
                }
            }
        }
    }

    fn find(list: &[Mapping], c: u32) -> Option<&Mapping> {
        // The last mapping starting at or before `c`; overlapping ranges are rare, so a few
        // steps back cover them.
        let i = list.partition_point(|m| m.lo <= c);
        list[..i].iter().rev().take(8).find(|m| m.hi >= c)
    }

    /// The text of code `c`, appended to `out`; false if the map has none.
    pub(super) fn text(&self, c: u32, out: &mut String) -> bool {
        let Some(m) = Self::find(&self.text, c) else {
            return false;
        };
        let off = c - m.lo;
        let mut u: Vec<u16>;
        let units: &[u16] = match &m.to {
            Target::Text(t) => {
                u = t.clone();
                if let Some(last) = u.last_mut() {
                    *last = last.wrapping_add(off as u16);
                }
                &u
            }
            Target::List(l) => match l.get(off as usize) {
                Some(t) => t,
                None => return false,
            },
            Target::Cid(_) => return false,
        };
        let before = out.len();
        out.extend(char::decode_utf16(units.iter().copied()).filter_map(Result::ok));
        out.len() > before || units.is_empty()
    }

    pub(super) fn cid(&self, c: u32) -> Option<u32> {
        let m = Self::find(&self.cids, c)?;
        match m.to {
            Target::Cid(base) => Some(base + (c - m.lo)),
            _ => None,
        }
    }

    /// Roughly the memory the map takes.
    pub(super) fn weight(&self) -> usize {
        let entry = |m: &Mapping| {
            48 + match &m.to {
                Target::Text(t) => 2 * t.len(),
                Target::List(l) => l.iter().map(|t| 24 + 2 * t.len()).sum(),
                Target::Cid(_) => 0,
            }
        };
        self.text.iter().chain(&self.cids).map(entry).sum::<usize>() + 12 * self.codespace.len()
    }

    pub(super) fn has_codespace(&self) -> bool {
        !self.codespace.is_empty()
    }

    /// How many bytes the code starting at `bytes[0]` takes: the codespace range it falls
    /// in, else the shortest length of any range (1 when there are none).
    pub(super) fn code_len(&self, bytes: &[u8]) -> usize {
        for n in 1..=4usize.min(bytes.len()) {
            let v = bytes[..n].iter().fold(0u32, |v, &b| v << 8 | u32::from(b));
            if self
                .codespace
                .iter()
                .any(|&(lo, hi, len)| usize::from(len) == n && lo <= v && v <= hi)
            {
                return n;
            }
        }
        let shortest = self.codespace.iter().map(|c| c.2).min().unwrap_or(1);
        usize::from(shortest).clamp(1, 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TO_UNICODE: &[u8] = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap
        1 begincodespacerange <0000> <FFFF> endcodespacerange
        3 beginbfchar <0003> <0020> <0011> <0040> <0024> <00F8> endbfchar
        2 beginbfrange <0013> <001C> <0030> <0030> <0031> [<0066006C> <D83DDE00>] endbfrange
        endcmap CMapName currentdict /CMap defineresource pop end end";

    fn text(m: &CMap, c: u32) -> String {
        let mut s = String::new();
        m.text(c, &mut s);
        s
    }

    #[test]
    fn to_unicode_chars_ranges_and_lists() {
        let m = CMap::parse(TO_UNICODE);
        assert_eq!(text(&m, 0x11), "@");
        assert_eq!(text(&m, 0x24), "ø");
        assert_eq!(text(&m, 0x13), "0");
        assert_eq!(text(&m, 0x1C), "9");
        assert_eq!(text(&m, 0x30), "fl");
        assert_eq!(text(&m, 0x31), "😀");
        assert_eq!(text(&m, 0x99), "");
        assert_eq!(m.code_len(&[0, 0x13]), 2);
    }

    #[test]
    fn mixed_code_lengths_and_cids() {
        let m = CMap::parse(
            b"2 begincodespacerange <00> <80> <8140> <9FFC> endcodespacerange
              1 begincidrange <8140> <817E> 633 endcidrange 1 begincidchar <41> 34 endcidchar",
        );
        assert_eq!(m.code_len(&[0x41, 0x81]), 1);
        assert_eq!(m.code_len(&[0x81, 0x41]), 2);
        assert_eq!(m.cid(0x8141), Some(634));
        assert_eq!(m.cid(0x41), Some(34));
    }
}
