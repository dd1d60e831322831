//! Overlapping windows over a stream of text, for files of any size.
//!
//! Text is appended until a window holds [`WINDOW`] bytes; the window is handed out with a
//! report range that leaves [`TAIL`] bytes at its end unreported; then all but [`LOOKBACK`]
//! bytes before the report end are dropped, and the next window begins. A value starting in
//! the report range is seen whole (values are far shorter than the tail) with the full context
//! windows of the rules on both sides (rule windows are capped below the overlap), and every
//! start offset falls in exactly one report range: found exactly once, memory flat.

use super::{Chunk, LinePos, Location, Position, Sink};
use crate::detect::context::floor_boundary;
use crate::detect::ChunkContext;

/// Bytes of text per window (before overlap).
pub const WINDOW: usize = 256 * 1024;
/// Context kept before the report range.
pub const LOOKBACK: usize = 1024 + 64;
/// Bytes at the end of a window left for the next one.
pub const TAIL: usize = 1024 + 512;

/// How window offsets map back to the source.
#[derive(Debug, Clone, Copy)]
pub enum Addressing {
    /// Lines and columns.
    Lines,
    /// Text byte `i` stands for source byte `base + i * stride` (1:1 or 2:1 transforms).
    Offsets { stride: u64 },
}

pub struct Windower<'a> {
    text: String,
    /// Start of the report range in `text`.
    report_from: usize,
    /// Line position of `text[0]`.
    pos: LinePos,
    /// Source offset of `text[0]` divided by the stride (Offsets addressing).
    dropped: u64,
    addressing: Addressing,
    base: &'a Location,
    context: ChunkContext,
}

impl<'a> Windower<'a> {
    pub fn new(addressing: Addressing, base: &'a Location, context: ChunkContext) -> Windower<'a> {
        Windower {
            // Grows as text is appended: a small file needs a small buffer, and a large one
            // reaches its steady size after a few doublings.
            text: String::new(),
            report_from: 0,
            pos: LinePos::START,
            dropped: 0,
            addressing,
            base,
            context,
        }
    }

    /// The buffer to append decoded text to; call [`Windower::flush`] after appending.
    pub fn buffer(&mut self) -> &mut String {
        &mut self.text
    }

    /// Hands out full windows; with `last`, hands out whatever is left.
    pub fn flush(&mut self, sink: &mut dyn Sink, last: bool) {
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
            let keep_from = floor_boundary(&self.text, report_end.saturating_sub(LOOKBACK));
            self.pos = self.pos.advance(&self.text.as_bytes()[..keep_from]);
            self.dropped += keep_from as u64;
            self.text.drain(..keep_from);
            self.report_from = report_end - keep_from;
        }
    }

    fn emit(&self, sink: &mut dyn Sink, report_end: usize) {
        let position = match self.addressing {
            Addressing::Lines => Position::Lines(self.pos),
            Addressing::Offsets { stride } => Position::Offsets {
                base: self.dropped * stride,
                stride,
            },
        };
        sink.chunk(&Chunk {
            text: &self.text,
            report: self.report_from..report_end,
            base: self.base,
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
            let line = match c.position {
                Position::Lines(p) => p.line as usize,
                _ => 0,
            };
            self.0
                .push((line, c.report.start, c.text[c.report.clone()].to_string()));
        }
        fn nested(
            &mut self,
            _: &str,
            _: Option<u64>,
            _: &mut dyn std::io::Read,
        ) -> Result<(), crate::extract::ExtractError> {
            unreachable!("text has no members")
        }
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
}
