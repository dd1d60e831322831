//! A workbook's shared string table, kept compactly.
//!
//! xlsx and xlsb cells (and BIFF8 xls cells) name their text by its index in one table for the
//! whole workbook, read before any sheet. Kept whole, a table of ten million strings takes
//! gigabytes. Most strings cannot hold anything the detector finds (no `@`, fewer than eight
//! digits: names, words, codes); of those only what they say as a column header matters. So
//! each string costs one byte, its tag:
//!
//! * a string that may hold a value ([`Detector::may_match`]) is kept whole; a cell finds it
//!   by counting the kept strings before it (a running count every 256 tags, then the tags
//!   since);
//! * a string that could be a column header (see [`super::is_header`]) is kept as its
//!   [`Header`], interned: a workbook has a handful of distinct ones;
//! * anything else is kept as nothing.
//!
//! Past [`BUDGET`] bytes the table stops growing: later strings are scanned where they are
//! stored (located `{"part": "shared_strings", "row": N}`, N counting from 1), and the cells that
//! show them give nothing more.

use std::collections::HashMap;

use crate::detect::{Detector, Header};
use crate::retain::dates::{self, ColumnKind};

/// Bytes the table may take.
pub(super) const BUDGET: usize = 48 << 20;

/// Tags: 0 nothing; `1 + h` header `h` for the first interned headers; then these two.
const KEPT: u8 = 254;
const MORE_HEADERS: u8 = 255;

/// What a cell that shows shared string `i` shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Shared<'a> {
    Text(&'a str),
    /// A string that can hold no value but names something (a header), and what it says
    /// about dates under it (for a retention review's row dates).
    Header(Header, ColumnKind),
    /// Nothing to scan, nothing to name (or no such string).
    Nothing,
    /// Scanned where it is stored: the table was over its budget.
    InPlace,
}

#[derive(Default)]
pub(super) struct SharedStrings {
    tags: Vec<u8>,
    /// Kept strings before each block of 256 tags.
    ranks: Vec<u32>,
    /// The kept strings' texts concatenated; `ends[k]` is where text `k` ends.
    text: String,
    ends: Vec<u32>,
    headers: Vec<(Header, ColumnKind)>,
    header_ids: HashMap<(u32, ColumnKind), u32>,
    /// (index, header) of strings whose header is past the ones a tag can name.
    more_headers: Vec<(u32, u32)>,
    /// Strings from this index on were scanned in place.
    in_place_from: Option<u32>,
    count: u32,
}

impl SharedStrings {
    /// Adds the next string. Returns its index if the table is full and the caller must scan
    /// it where it is.
    pub(super) fn push(&mut self, s: &str, det: &Detector) -> Option<u32> {
        let i = self.count;
        self.count = self.count.saturating_add(1);
        if self.in_place_from.is_some() {
            return Some(i);
        }
        let keep = det.may_match(s.as_bytes());
        if !self.fits(if keep { Some(s.len()) } else { None }) {
            self.in_place_from = Some(i);
            return Some(i);
        }
        if i % 256 == 0 {
            self.ranks.push(self.ends.len() as u32);
        }
        let tag = if keep {
            self.text.push_str(s);
            self.ends.push(self.text.len() as u32);
            KEPT
        } else if super::is_header(s) {
            let header = (det.header(s), dates::column_kind(s));
            let next = self.headers.len() as u32;
            let id = *self
                .header_ids
                .entry((header.0.classes.0, header.1))
                .or_insert(next);
            if id == next {
                self.headers.push(header);
            }
            match u8::try_from(id + 1) {
                Ok(tag) if tag < KEPT => tag,
                _ => {
                    self.more_headers.push((i, id));
                    MORE_HEADERS
                }
            }
        } else {
            0
        };
        self.tags.push(tag);
        None
    }

    /// Whether one more string (kept, of this length) stays within the budget, with the
    /// growth of the buffers counted as the standard library grows them (doubling).
    fn fits(&self, kept: Option<usize>) -> bool {
        let grown = |cap: usize, len: usize, add: usize| {
            if len + add > cap {
                (cap * 2).max(len + add).max(8)
            } else {
                cap
            }
        };
        let tags = grown(self.tags.capacity(), self.tags.len(), 1);
        let (text, ends) = match kept {
            Some(n) => (
                grown(self.text.capacity(), self.text.len(), n),
                grown(self.ends.capacity(), self.ends.len(), 1),
            ),
            None => (self.text.capacity(), self.ends.capacity()),
        };
        let ranks = grown(self.ranks.capacity(), self.ranks.len(), 1);
        // The offsets are u32: the kept text must stay addressable.
        self.text.len() + kept.unwrap_or(0) < u32::MAX as usize
            && tags + text + (ends + ranks) * 4 + self.more_headers.capacity() * 8 <= BUDGET
    }

    pub(super) fn get(&self, i: u32) -> Shared<'_> {
        match self.tags.get(i as usize) {
            Some(0) => Shared::Nothing,
            Some(&KEPT) => {
                let i = i as usize;
                let block = i & !255;
                let before = self.tags[block..i].iter().filter(|&&t| t == KEPT).count();
                let k = self.ranks[i >> 8] as usize + before;
                let start = if k == 0 { 0 } else { self.ends[k - 1] as usize };
                Shared::Text(&self.text[start..self.ends[k] as usize])
            }
            Some(&MORE_HEADERS) => match self.more_headers.binary_search_by_key(&i, |m| m.0) {
                Ok(k) => {
                    let (h, d) = self.headers[self.more_headers[k].1 as usize];
                    Shared::Header(h, d)
                }
                Err(_) => Shared::Nothing,
            },
            Some(&tag) => {
                let (h, d) = self.headers[usize::from(tag) - 1];
                Shared::Header(h, d)
            }
            None if self.in_place_from.is_some_and(|f| i >= f) => Shared::InPlace,
            None => Shared::Nothing,
        }
    }

    /// Memory held, by capacity.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.tags.capacity()
            + self.text.capacity()
            + (self.ranks.capacity() + self.ends.capacity()) * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_kept_headers_interned_the_rest_dropped() {
        let det = Detector::builtin();
        let mut t = SharedStrings::default();
        for s in [
            "Navn",
            "13097248022",
            "Fødselsnummer",
            "kari@example.no",
            "12",
            "Navn",
        ] {
            assert_eq!(t.push(s, &det), None);
        }
        assert_eq!(t.get(1), Shared::Text("13097248022"));
        assert_eq!(t.get(3), Shared::Text("kari@example.no"));
        assert_eq!(
            t.get(2),
            Shared::Header(det.header("Fødselsnummer"), ColumnKind::Excluded)
        );
        assert!(det.header("Fødselsnummer").identity);
        assert_eq!(t.get(0), t.get(5));
        assert_eq!(t.get(4), Shared::Nothing);
        assert_eq!(t.get(99), Shared::Nothing);
        assert_eq!(t.headers.len(), 2, "one entry per distinct header");
        assert!(t.push("Kursdato", &det).is_none());
        assert_eq!(
            t.get(6),
            Shared::Header(det.header("Kursdato"), ColumnKind::Record)
        );
    }

    #[test]
    fn ten_million_words_take_a_byte_each() {
        let det = Detector::builtin();
        let mut t = SharedStrings::default();
        for i in 0..10_000_000u32 {
            assert_eq!(t.push(if i % 2 == 0 { "ord" } else { "Navn" }, &det), None);
        }
        assert!(t.push("13097248022", &det).is_none());
        assert_eq!(t.get(10_000_000), Shared::Text("13097248022"));
        assert!(t.bytes() <= 17 << 20, "{}", t.bytes());
    }

    #[test]
    fn past_the_budget_strings_are_scanned_in_place_and_memory_stops_growing() {
        let det = Detector::builtin();
        let mut t = SharedStrings::default();
        let mut first = None;
        for i in 0..4_000_000u32 {
            // Every string may hold a value: the worst case.
            if let Some(at) = t.push(&format!("{i:011}@x"), &det) {
                assert_eq!(at, i);
                first.get_or_insert(i);
            }
        }
        let first = first.expect("the budget is reached");
        assert!(t.bytes() <= BUDGET, "{}", t.bytes());
        assert!(matches!(t.get(first - 1), Shared::Text(_)));
        assert_eq!(t.get(first), Shared::InPlace);
        assert_eq!(t.get(3_999_999), Shared::InPlace);
    }
}
