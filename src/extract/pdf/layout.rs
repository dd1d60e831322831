//! From spans to lines of text, as a reader sees them.
//!
//! Spans arrive in content order with their positions. A span whose baseline is off the
//! previous one's by more than half an em, or that runs in another direction, starts a new
//! line; one that starts a visible gap (over [`GAP`] em) after the previous one, or jumps
//! back, is separated from it by a space: so `Fødselsnummer` and the number placed after it
//! do not run together, and the cells of a table row stay apart. Text is handed to the
//! windower as it comes, so a page of any length costs bounded memory. Tables that the page
//! pass found ([`super::grid`]) come in whole, as rows of cells ([`Flow::table`]).

use super::content::{Span, Spans};
use super::grid::Cell;
use crate::detect::{ChunkContext, Detector, Header};
use crate::extract::window::Windower;
use crate::extract::Sink;

/// A gap wider than this many ems between two spans on a line is a space.
pub(super) const GAP: f32 = 0.15;
/// Bytes of the row before a table cell that go with it as context (a label to its left),
/// as for the cells of office tables (see `office::part`): never the rows above.
const CELL_LOOKBACK: usize = 96;
/// Words a column header has at most (`Telefon / e-post`, `Dato for registrering`).
const HEADER_WORDS: usize = 5;

/// Where the last span ended.
#[derive(Clone, Copy)]
struct Pen {
    end: (f32, f32),
    dir: (f32, f32),
    size: f32,
}

pub(super) struct Flow<'w, 's> {
    w: &'w mut Windower,
    sink: &'s mut dyn Sink,
    last: Option<Pen>,
}

impl<'w, 's> Flow<'w, 's> {
    pub(super) fn new(w: &'w mut Windower, sink: &'s mut dyn Sink) -> Self {
        Flow {
            w,
            sink,
            last: None,
        }
    }

    /// Hands out what is left.
    pub(super) fn finish(self) {
        self.w.flush(self.sink, true);
    }

    /// A table found on the page ([`super::grid`]): one line per row, its cells a tab apart.
    /// A first row of words names the columns (else the `inherited` headers do); each data
    /// cell is a chunk of its own with its column's header as context, as the cells of office
    /// tables are. Returns the headers used.
    pub(super) fn table(
        &mut self,
        rows: &[Vec<Cell>],
        det: &Detector,
        inherited: Option<&[(usize, Header)]>,
    ) -> Vec<(usize, Header)> {
        newline(self.w.buffer());
        let mut body = rows;
        let mut headers: Vec<(usize, Header)> = inherited.unwrap_or_default().to_vec();
        if let Some(first) = rows.first().filter(|r| names_columns(r)) {
            headers = first.iter().map(|(c, t)| (*c, det.header(t))).collect();
            let names: Vec<&str> = first.iter().map(|c| c.1.as_str()).collect();
            let buf = self.w.buffer();
            buf.push_str(&names.join("\t"));
            buf.push('\n');
            self.w.flush(self.sink, false);
            body = &rows[1..];
        }
        let mut text = String::new();
        for row in body {
            let mut before = 0;
            for (col, cell) in row {
                text.clear();
                if before > 0 {
                    text.push('\t');
                }
                text.push_str(cell);
                let context = ChunkContext {
                    header: headers.iter().find(|h| h.0 == *col).map(|h| h.1),
                    ..ChunkContext::default()
                };
                self.w
                    .push_with(self.sink, &text, context, before.min(CELL_LOOKBACK));
                before += text.len();
            }
            self.w.buffer().push('\n');
        }
        self.w.flush(self.sink, false);
        self.last = None;
        headers
    }
}

/// Whether a table's first row names its columns: two or more cells, all a few words (at
/// most [`HEADER_WORDS`]) without digits.
fn names_columns(row: &[Cell]) -> bool {
    row.len() >= 2
        && row.iter().all(|(_, c)| {
            crate::extract::sheet::is_header(c)
                && !c.chars().any(|ch| ch.is_ascii_digit())
                && c.split_whitespace().count() <= HEADER_WORDS
        })
}

/// How a span continues the text after `prev`.
pub(super) fn joint(
    prev_end: (f32, f32),
    prev_dir: (f32, f32),
    prev_size: f32,
    s: &Span<'_>,
) -> Joint {
    let (dx, dy) = (s.start.0 - prev_end.0, s.start.1 - prev_end.1);
    let along = dx * prev_dir.0 + dy * prev_dir.1;
    let across = dy * prev_dir.0 - dx * prev_dir.1;
    let em = prev_size.max(s.size).max(0.01);
    let same_dir = prev_dir.0 * s.dir.0 + prev_dir.1 * s.dir.1 > 0.99;
    if !same_dir || across.abs() > 0.5 * em {
        Joint::Line
    } else if along > GAP * em || along < -0.5 * em {
        Joint::Space
    } else {
        Joint::Glued
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Joint {
    Glued,
    Space,
    Line,
}

impl Spans for Flow<'_, '_> {
    fn span(&mut self, s: &Span<'_>) {
        let buf = self.w.buffer();
        if let Some(p) = self.last {
            match joint(p.end, p.dir, p.size, s) {
                Joint::Line => newline(buf),
                Joint::Space => space(buf),
                Joint::Glued => {}
            }
        }
        // Line breaks inside a string are spaces: lines come from positions.
        buf.extend(
            s.text
                .chars()
                .map(|c| if c == '\n' || c == '\r' { ' ' } else { c }),
        );
        self.last = Some(Pen {
            end: s.end,
            dir: s.dir,
            size: s.size,
        });
        self.w.flush(self.sink, false);
    }

    fn block(&mut self) {
        newline(self.w.buffer());
        self.last = None;
    }
}

pub(super) fn newline(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

pub(super) fn space(out: &mut String) {
    if !out.is_empty() && !out.ends_with([' ', '\n']) {
        out.push(' ');
    }
}
