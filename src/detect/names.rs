//! Values inside names: a path, a member name, a sheet, table or column name, a JSON key.
//!
//! Names glue values to words (`20036914700_lonnsslipp.txt`, `kari@firma.no.eml`,
//! `lonn2003691470`), where the text detector rightly refuses a number glued to letters or
//! `_`: in prose that is a code, not a value. In a name it is how values are written, so a name
//! is first spread out — `_` becomes a space, and a space goes between letters and digits —
//! and each candidate's span is mapped back to the name as written, for masking.

use super::{Candidate, ChunkContext, Confidence, Detector};

/// A name spread out for detection, and where each of its bytes came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spread {
    pub text: String,
    /// For each byte of `text`, the offset of the byte of the name it came from; one past
    /// the end at the end, so spans map back by their start and end.
    origin: Vec<usize>,
}

impl Spread {
    pub fn new(name: &str) -> Spread {
        let mut text = String::with_capacity(name.len() + 8);
        let mut origin = Vec::with_capacity(name.len() + 9);
        let mut prev: Option<char> = None;
        for (i, c) in name.char_indices() {
            let boundary = prev.is_some_and(|p| {
                (p.is_alphabetic() && c.is_ascii_digit())
                    || (p.is_ascii_digit() && c.is_alphabetic())
            });
            if boundary {
                text.push(' ');
                origin.push(i);
            }
            let c = if c == '_' { ' ' } else { c };
            let start = text.len();
            text.push(c);
            origin.extend(std::iter::repeat_n(i, text.len() - start));
            prev = Some(c);
        }
        origin.push(name.len());
        Spread { text, origin }
    }

    /// The span in the name of the span `start..end` of the spread text.
    pub fn original(&self, start: usize, end: usize) -> (usize, usize) {
        let s = self.origin[start];
        // The end maps to the byte after the last one taken: the origin of `end` unless that
        // is a space inserted at a boundary (which has the origin of the byte after it).
        let e = if end > start {
            let last = self.origin[end - 1];
            let next = self.origin[end];
            next.max(last + 1)
        } else {
            s
        };
        (s, e)
    }
}

impl Detector {
    /// Every candidate in a name, spans in the spread text of `spread`.
    pub fn scan_name(&self, spread: &Spread, out: &mut Vec<Candidate>) {
        if self.may_match(spread.text.as_bytes()) {
            self.scan(&spread.text, &ChunkContext::default(), out);
        }
    }
}

/// Whether a candidate found in a name is hidden when the name is printed without
/// `--reveal`: every value that passed a checksum or is an address, and anything else the
/// detector is fairly sure of. Organisation numbers are not personal data.
pub(crate) fn masked_in_names(c: &Candidate) -> bool {
    use super::kind;
    match c.kind {
        kind::ORGANISASJONSNUMMER => false,
        kind::FODSELSNUMMER
        | kind::D_NUMMER
        | kind::H_NUMMER
        | kind::FH_NUMMER
        | kind::KONTONUMMER
        | kind::EMAIL => true,
        _ => c.confidence >= Confidence::Medium,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_spread_and_spans_map_back() {
        let name = "dir/20036914700_lonnsslipp.txt";
        let s = Spread::new(name);
        assert_eq!(s.text, "dir/20036914700 lonnsslipp.txt");
        let det = Detector::builtin();
        let mut out = Vec::new();
        det.scan_name(&s, &mut out);
        let c = out
            .iter()
            .find(|c| c.kind == "fodselsnummer")
            .expect("found");
        let (a, b) = s.original(c.start, c.end);
        assert_eq!(&name[a..b], "20036914700");

        let name = "lonn13097248022.pdf";
        let s = Spread::new(name);
        assert_eq!(s.text, "lonn 13097248022.pdf");
        let mut out = Vec::new();
        det.scan_name(&s, &mut out);
        let c = out
            .iter()
            .find(|c| c.kind == "fodselsnummer")
            .expect("found");
        let (a, b) = s.original(c.start, c.end);
        assert_eq!(&name[a..b], "13097248022");
        assert!(masked_in_names(c));
    }
}
