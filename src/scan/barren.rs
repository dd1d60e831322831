//! Table values that held nothing, remembered by each thread from file to file.
//!
//! A column of dates, statuses or codes repeats a few hundred texts over millions of rows
//! (and over thousands of exports of one system), and a date (`24.01.2024`) has the digits to
//! pass the detectors' quick test, so every row paid for a full scan of it. Detection is
//! pure: under the same rules, the same text with the same context finds the same
//! candidates. So a short value of fixed position (a field, a cell) in which the detector
//! found no candidate at all is remembered with its context and the detector's id, and the
//! same text in the same context is passed by. Only "nothing" is remembered: a value with
//! candidates is scanned every time, so its findings, counts and locations are made as before.

use xxhash_rust::xxh3::xxh3_64;

use crate::detect::{ChunkContext, Detector};
use crate::extract::{Chunk, Position};

/// Texts longer than this are not remembered (nearly no long value repeats).
const LONGEST: usize = 64;

/// Slots at first and at most; the memory grows only in a file whose values miss often.
const SLOTS_MIN: usize = 64;
const SLOTS_MAX: usize = 4096;

struct Slot {
    hash: u64,
    context: ChunkContext,
    text: Box<[u8]>,
}

/// Values known to hold nothing: one slot per hash (a newer value takes an older one's).
#[derive(Default)]
pub(super) struct Barren {
    slots: Vec<Option<Slot>>,
    misses: usize,
    /// [`Detector::id`] of the detector that found nothing in them.
    detector: u64,
}

thread_local! {
    static KEPT: std::cell::RefCell<Barren> = std::cell::RefCell::default();
}

impl Barren {
    /// The key of `chunk` if it may be remembered: a whole chunk of one fixed position,
    /// short, not read by OCR (whose certainty weighs each candidate).
    pub(super) fn key(chunk: &Chunk<'_>) -> Option<u64> {
        let whole = chunk.report.start == 0 && chunk.report.end == chunk.text.len();
        (matches!(chunk.position, Position::Fixed)
            && whole
            && chunk.ocr.is_none()
            && chunk.text.len() <= LONGEST)
            .then(|| xxh3_64(chunk.text.as_bytes()))
    }

    /// This thread's memory, for `det` (empty if it was another detector's). Given back with
    /// [`Barren::give_back`] when the file is done.
    pub(super) fn take(det: &Detector) -> Barren {
        let kept = KEPT.with(|k| k.take());
        if kept.detector == det.id() {
            kept
        } else {
            Barren {
                detector: det.id(),
                ..Barren::default()
            }
        }
    }

    /// Keeps this memory for the thread's next file, unless it knows less than what the
    /// thread keeps (a member's, inside a container whose own is out).
    pub(super) fn give_back(self) {
        KEPT.with(|k| {
            let mut kept = k.borrow_mut();
            if self.slots.len() >= kept.slots.len() {
                *kept = self;
            }
        });
    }

    /// Whether the text of `chunk`, with hash `key`, held nothing in the same context before.
    pub(super) fn holds_nothing(&mut self, key: u64, chunk: &Chunk<'_>) -> bool {
        let n = self.slots.len();
        let known = n > 0
            && self.slots[key as usize & (n - 1)]
                .as_ref()
                .is_some_and(|s| {
                    s.hash == key && s.context == chunk.context && *s.text == *chunk.text.as_bytes()
                });
        if !known {
            self.misses += 1;
        }
        known
    }

    /// Remembers that the text of `chunk`, with hash `key`, holds nothing.
    pub(super) fn remember(&mut self, key: u64, chunk: &Chunk<'_>) {
        let n = self.slots.len();
        if n == 0 || (self.misses > 2 * n && n < SLOTS_MAX) {
            // Values are remembered again as they come: a table's repeated ones are back soon.
            self.slots = std::iter::repeat_with(|| None)
                .take((2 * n).max(SLOTS_MIN))
                .collect();
            self.misses = 0;
        }
        let n = self.slots.len();
        self.slots[key as usize & (n - 1)] = Some(Slot {
            hash: key,
            context: chunk.context,
            text: chunk.text.as_bytes().into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Location;

    fn fixed<'a>(text: &'a str, base: &'a Location, context: ChunkContext) -> Chunk<'a> {
        Chunk::whole(text, base, Position::Fixed, context)
    }

    #[test]
    fn only_the_same_text_in_the_same_context_is_known() {
        let base = Location::default();
        let ctx = ChunkContext::default();
        let mut b = Barren::default();
        let date = fixed("24.01.2024", &base, ctx);
        let key = Barren::key(&date).expect("a short fixed value");
        assert!(!b.holds_nothing(key, &date), "nothing remembered yet");
        b.remember(key, &date);
        assert!(b.holds_nothing(key, &date));
        // Another text, even one given the same key, is not known.
        let other = fixed("25.01.2024", &base, ctx);
        assert!(!b.holds_nothing(key, &other));
        // The same text under another header is not known.
        let header = crate::detect::Header {
            identity: true,
            ..Default::default()
        };
        let in_id_column = fixed(
            "24.01.2024",
            &base,
            ChunkContext {
                header: Some(header),
                ..ctx
            },
        );
        assert!(!b.holds_nothing(key, &in_id_column));
    }

    #[test]
    fn only_short_whole_fixed_chunks_have_a_key() {
        let base = Location::default();
        let ctx = ChunkContext::default();
        assert!(Barren::key(&fixed(&"1".repeat(LONGEST), &base, ctx)).is_some());
        assert!(Barren::key(&fixed(&"1".repeat(LONGEST + 1), &base, ctx)).is_none());
        let mut part = fixed("24.01.2024 og 25.01.2024", &base, ctx);
        part.report = 0..10;
        assert!(
            Barren::key(&part).is_none(),
            "overlap belongs to a neighbour"
        );
        let offsets = Chunk::whole(
            "24.01.2024",
            &base,
            Position::Offsets { base: 0, stride: 1 },
            ctx,
        );
        assert!(Barren::key(&offsets).is_none());
    }

    #[test]
    fn the_memory_is_bounded_and_keeps_what_fits() {
        let base = Location::default();
        let ctx = ChunkContext::default();
        let mut b = Barren::default();
        let texts: Vec<String> = (0..10_000).map(|i| format!("{i:08}")).collect();
        for t in &texts {
            let c = fixed(t, &base, ctx);
            let key = Barren::key(&c).unwrap();
            if !b.holds_nothing(key, &c) {
                b.remember(key, &c);
            }
        }
        // Missed often, it grew, up to its bound.
        assert_eq!(b.slots.len(), SLOTS_MAX);
        let known = texts
            .iter()
            .filter(|t| {
                let c = fixed(t, &base, ctx);
                b.holds_nothing(Barren::key(&c).unwrap(), &c)
            })
            .count();
        assert!(known > 0 && known <= SLOTS_MAX, "{known}");
    }
}
