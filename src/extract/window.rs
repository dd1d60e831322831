//! Overlapping windows over a stream of text, for files of any size.
//!
//! Text is appended until a window holds [`WINDOW`] bytes; the window is handed out with a
//! report range that leaves [`TAIL`] bytes at its end unreported; then all but [`LOOKBACK`]
//! bytes before the report end are dropped, and the next window begins. A value starting in
//! the report range is seen whole (values are far shorter than the tail) with the full context
//! windows of the rules on both sides (rule windows are capped below the overlap), and every
//! start offset falls in exactly one report range: found exactly once, memory flat.

use super::{Anchor, Chunk, LinePos, Location, Position, Sink};
use crate::detect::context::floor_boundary;
use crate::detect::ChunkContext;

/// Bytes of text per window (before overlap).
pub(crate) const WINDOW: usize = 256 * 1024;
/// Context kept before the report range.
pub(crate) const LOOKBACK: usize = 1024 + 64;
/// Bytes at the end of a window left for the next one.
pub(crate) const TAIL: usize = 1024 + 512;

/// How window offsets map back to the source.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Addressing {
    /// Lines and columns.
    Lines,
    /// Text byte `i` stands for source byte `base + i * stride` (1:1 or 2:1 transforms).
    Offsets { stride: u64 },
    /// Lines and columns through anchors set with [`Windower::anchor`] (text that is not the
    /// source byte for byte: markup without its tags, decoded strings).
    Mapped,
}

/// Decoded text being built, with the anchors that say where its pieces stand in the source:
/// the buffer of readers that decode (escapes, entities, tags removed) before they hand text
/// out, whole as one chunk ([`Position::Mapped`]) or to a [`Windower`] when it runs long.
/// Bytes are UTF-8 unless the input was not (then they are replaced when handed out).
#[derive(Debug, Default)]
pub(crate) struct Mapped {
    pub bytes: Vec<u8>,
    pub anchors: Vec<Anchor>,
}

impl Mapped {
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.anchors.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Bytes pushed from now on stand at `pos` in the source.
    pub(crate) fn anchor(&mut self, pos: LinePos) {
        let at = self.bytes.len();
        if self.anchors.last().is_some_and(|a| a.at == at) {
            self.anchors.pop();
        }
        self.anchors.push(Anchor { at, pos });
    }

    pub(crate) fn push(&mut self, b: &[u8]) {
        self.bytes.extend_from_slice(b);
    }

    /// Appends `other`, anchors and all.
    pub(crate) fn append(&mut self, other: &Mapped) {
        let base = self.bytes.len();
        for a in &other.anchors {
            let at = base + a.at;
            if self.anchors.last().is_some_and(|l| l.at == at) {
                self.anchors.pop();
            }
            self.anchors.push(Anchor { at, pos: a.pos });
        }
        self.bytes.extend_from_slice(&other.bytes);
    }

    /// The text, as one chunk's text.
    pub(crate) fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.bytes)
    }

    /// Hands the text to `w`: all of it, or (`all` false: more follows) up to its last whole
    /// character; what is not handed over stays, with its position.
    pub(crate) fn hand_over(&mut self, w: &mut Windower, all: bool) {
        let cut = if all {
            self.bytes.len()
        } else {
            whole_chars(&self.bytes)
        };
        let n = self.anchors.partition_point(|a| a.at <= cut);
        w.push_mapped(
            &String::from_utf8_lossy(&self.bytes[..cut]),
            &self.anchors[..n],
        );
        self.keep_from(cut);
    }

    /// Drops `bytes[..cut]`, rebasing the anchors on what is left.
    pub(crate) fn keep_from(&mut self, cut: usize) {
        let i = self.anchors.partition_point(|a| a.at <= cut);
        if let Some(last) = i.checked_sub(1).map(|i| self.anchors[i]) {
            let pos = last.pos.advance(&self.bytes[last.at.min(cut)..cut]);
            self.anchors.drain(..i);
            self.anchors.insert(0, Anchor { at: cut, pos });
        }
        for a in &mut self.anchors {
            a.at -= cut;
        }
        self.bytes.drain(..cut);
    }
}

/// The largest character boundary of UTF-8 `b` at or below `at`.
pub(crate) fn char_floor(b: &[u8], at: usize) -> usize {
    let mut i = at.min(b.len());
    while i > 0 && i < b.len() && (b[i] & 0xC0) == 0x80 {
        i -= 1;
    }
    i
}

/// The length of `b` without a character cut off at its end.
pub(crate) fn whole_chars(b: &[u8]) -> usize {
    let n = b.len();
    let mut start = n;
    while start > 0 && n - start < 3 && (b[start - 1] & 0xC0) == 0x80 {
        start -= 1;
    }
    let Some(lead) = start.checked_sub(1).map(|i| b[i]) else {
        return n;
    };
    let need = match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    };
    if n - (start - 1) < need {
        start - 1
    } else {
        n
    }
}

pub(crate) struct Windower {
    text: String,
    /// Start of the report range in `text`.
    report_from: usize,
    /// Line position of `text[0]`.
    pos: LinePos,
    /// Source offset of `text[0]` divided by the stride (Offsets addressing).
    dropped: u64,
    addressing: Addressing,
    /// Where pieces of `text` stand in the source ([`Addressing::Mapped`]).
    anchors: Vec<Anchor>,
    /// A copy of the base location, so that a windower can outlive the caller's (a document
    /// part that a reader switches back to).
    base: Location,
    context: ChunkContext,
}

impl Windower {
    pub(crate) fn new(addressing: Addressing, base: &Location, context: ChunkContext) -> Windower {
        Windower {
            // Grows as text is appended: a small file needs a small buffer, and a large one
            // reaches its steady size after a few doublings.
            text: String::new(),
            report_from: 0,
            pos: LinePos::START,
            dropped: 0,
            addressing,
            anchors: Vec::new(),
            base: base.clone(),
            context,
        }
    }

    /// The buffer to append decoded text to; call [`Windower::flush`] after appending.
    pub(crate) fn buffer(&mut self) -> &mut String {
        &mut self.text
    }

    /// Text appended from now on stands at `pos` in the source ([`Addressing::Mapped`]).
    pub(crate) fn anchor(&mut self, pos: LinePos) {
        self.anchor_at(self.text.len(), pos);
    }

    /// Appends mapped text with its anchors (their offsets relative to `text`).
    pub(crate) fn push_mapped(&mut self, text: &str, anchors: &[Anchor]) {
        let base = self.text.len();
        for a in anchors {
            self.anchor_at(base + a.at.min(text.len()), a.pos);
        }
        self.text.push_str(text);
    }

    fn anchor_at(&mut self, at: usize, pos: LinePos) {
        if self.anchors.last().is_some_and(|a| a.at == at) {
            self.anchors.pop();
        }
        self.anchors.push(Anchor { at, pos });
    }

    /// Hands out full windows; with `last`, hands out whatever is left.
    pub(crate) fn flush(&mut self, sink: &mut dyn Sink, last: bool) {
        while self.text.len() >= WINDOW + TAIL || (last && self.report_from < self.text.len()) {
            let report_end = if last && self.text.len() < WINDOW + TAIL {
                self.text.len()
            } else {
                floor_boundary(&self.text, self.text.len() - TAIL).max(self.report_from)
            };
            self.emit(sink, report_end);
            if report_end == self.text.len() {
                self.report_from = report_end;
                break;
            }
            self.keep(report_end, LOOKBACK);
        }
    }

    /// Appends `text` and hands it out at once as a chunk of its own with `context` instead of
    /// the windower's own (a table cell under its column's header), with up to `lookback`
    /// bytes of the text before it as context: the detector scans a chunk whole, so a small
    /// look-back keeps many small chunks from scanning their neighbours again. What was
    /// pending goes out first, with the windower's context; `text` stays context for what
    /// follows.
    pub(crate) fn push_with(
        &mut self,
        sink: &mut dyn Sink,
        text: &str,
        context: ChunkContext,
        lookback: usize,
    ) {
        self.flush(sink, true);
        self.keep(self.text.len(), lookback.min(LOOKBACK));
        let from = self.text.len();
        self.text.push_str(text);
        self.report_from = from;
        let own = std::mem::replace(&mut self.context, context);
        self.emit(sink, self.text.len());
        self.context = own;
        self.report_from = self.text.len();
    }

    /// Drops the text more than `lookback` bytes before `at` (the end of what was reported).
    fn keep(&mut self, at: usize, lookback: usize) {
        let keep_from = floor_boundary(&self.text, at.saturating_sub(lookback));
        self.drop_anchors(keep_from);
        self.pos = self.pos.advance(&self.text.as_bytes()[..keep_from]);
        self.dropped += keep_from as u64;
        self.text.drain(..keep_from);
        self.report_from = at - keep_from;
    }

    /// Rebases the anchors on text byte `keep_from` becoming byte 0.
    fn drop_anchors(&mut self, keep_from: usize) {
        if self.anchors.is_empty() {
            return;
        }
        let i = self.anchors.partition_point(|a| a.at <= keep_from);
        if i > 0 {
            let a = self.anchors[i - 1];
            let pos = a.pos.advance(&self.text.as_bytes()[a.at..keep_from]);
            self.anchors.drain(..i - 1);
            self.anchors[0] = Anchor { at: keep_from, pos };
        }
        for a in &mut self.anchors {
            a.at -= keep_from;
        }
    }

    fn emit(&self, sink: &mut dyn Sink, report_end: usize) {
        let position = match self.addressing {
            Addressing::Lines => Position::Lines(self.pos),
            Addressing::Mapped => Position::Mapped(&self.anchors),
            Addressing::Offsets { stride } => Position::Offsets {
                base: self.dropped * stride,
                stride,
            },
        };
        sink.chunk(&Chunk {
            text: &self.text,
            report: self.report_from..report_end,
            base: &self.base,
            position,
            context: self.context,
            ocr: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ranges(Vec<(usize, usize, String)>);
    impl Sink for Ranges {
        fn chunk(&mut self, c: &Chunk<'_>) {
            // The line where the reported text starts.
            let line = crate::extract::Locator::new(c)
                .locate(c.report.start)
                .line
                .unwrap_or(0) as usize;
            self.0
                .push((line, c.report.start, c.text[c.report.clone()].to_string()));
        }
        crate::extract::testing::no_members!();
    }

    #[test]
    fn text_pushed_with_a_context_is_reported_once_and_keeps_positions() {
        let base = Location::default();
        let mut w = Windower::new(Addressing::Lines, &base, ChunkContext::default());
        let mut sink = Ranges(Vec::new());
        let mut all = String::new();
        let long = "x".repeat(3000) + "\n";
        for (i, piece) in ["Navn\nTelefon\n", &long, "Kari\n", "40300040\n", "slutt\n"]
            .iter()
            .enumerate()
        {
            all.push_str(piece);
            if i == 3 {
                w.push_with(&mut sink, piece, ChunkContext::default(), 100);
            } else {
                w.buffer().push_str(piece);
                w.flush(&mut sink, false);
            }
        }
        w.flush(&mut sink, true);
        let joined: String = sink.0.iter().map(|(_, _, t)| t.as_str()).collect();
        assert_eq!(joined, all);
        // The pushed text is a chunk of its own, on the line where it stands, and the text
        // after it is located on from there.
        let cell = sink.0.iter().find(|(_, _, t)| t == "40300040\n").unwrap();
        assert_eq!(cell.0, 5);
        assert_eq!(sink.0.last().unwrap().0, 6);
    }

    #[test]
    fn report_ranges_tile_the_stream_exactly() {
        let base = Location::default();
        let mut w = Windower::new(Addressing::Lines, &base, ChunkContext::default());
        let mut sink = Ranges(Vec::new());
        let mut all = String::new();
        for i in 0..60_000 {
            let line = format!("linje {i} æøå\n");
            all.push_str(&line);
            w.buffer().push_str(&line);
            w.flush(&mut sink, false);
        }
        w.flush(&mut sink, true);
        assert!(sink.0.len() > 3, "several windows");
        let joined: String = sink.0.iter().map(|(_, _, t)| t.as_str()).collect();
        assert_eq!(joined, all);
    }

    #[test]
    fn characters_cut_at_the_end_wait() {
        let s = "aø€😀".as_bytes();
        assert_eq!(whole_chars(s), s.len());
        for cut in 1..4 {
            let b = &s[..s.len() - cut];
            assert_eq!(whole_chars(b), s.len() - 4, "{cut}");
        }
        assert_eq!(whole_chars(&s[..2]), 1);
        assert_eq!(char_floor(s, 2), 1);
    }

    #[test]
    fn mapped_windows_keep_the_source_lines() {
        // Each piece "ab12 " stands on its own source line 10 + i, at column 5.
        struct Lines(Vec<u64>);
        impl Sink for Lines {
            fn chunk(&mut self, c: &Chunk<'_>) {
                let mut l = crate::extract::Locator::new(c);
                for (i, _) in c.text[c.report.clone()].match_indices("12") {
                    self.0.push(l.locate(c.report.start + i).line.unwrap());
                }
            }
        }
        let base = Location::default();
        let mut w = Windower::new(Addressing::Mapped, &base, ChunkContext::default());
        let mut sink = Lines(Vec::new());
        let n = 200_000u64;
        for i in 0..n {
            w.anchor(LinePos {
                line: 10 + i,
                column: 5,
            });
            w.buffer().push_str("ab12 ");
            w.flush(&mut sink, false);
        }
        w.flush(&mut sink, true);
        assert_eq!(sink.0, (10..10 + n).collect::<Vec<_>>());
    }
}
