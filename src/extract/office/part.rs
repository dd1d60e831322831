//! The text of one document part on its way to the detector, with its tables read as a
//! person reads them.
//!
//! Text is streamed through a windower, so a part of any length costs the same memory, and
//! located by the part's name and the line and column in it. Tables (docx and pptx `tbl`, ODF
//! `table:table`, RTF rows) are told to the writer as they open and close; a cell's text is
//! then collected and handed over as a chunk of its own with the header of its column as
//! context, as spreadsheet cells and CSV fields are: a column headed `Telefon` makes a bare
//! 8-digit number in it a phone, one headed `Fnr` makes a 10-digit number that lost its
//! leading zero an identity number again. A cell that holds a phone and an e-mail address on
//! two lines gives both, each with the header's context; the text just before the cell (a
//! label to its left, the line above: [`CELL_LOOKBACK`] bytes) stays context too.
//!
//! The header row is a table's first row, and any row the document marks as a header
//! (Word's `tblHeader`, ODF's `table-header-rows`, RTF's `\trhdr`); a header cell names the
//! columns it spans. Header cells are text like any other (scanned, without a header).
//! Nested tables have headers of their own; an outer cell's text is handed over where an
//! inner table interrupts it. A cell's text is collected up to [`MAX_CELL`] bytes at a time.

use super::super::window::{Addressing, Windower};
use crate::detect::{ChunkContext, Detector, Header};
use crate::extract::{Location, Sink};

/// Bytes of a cell collected before they are handed over (the rest follows as more chunks
/// with the same header).
const MAX_CELL: usize = 64 << 10;
/// Columns whose headers are kept (Word allows 63, LibreOffice Writer 1024).
const MAX_COLUMNS: usize = 1024;
/// Bytes of the text before a cell that go with it as context: the cells to its left in the
/// same row (a label: `Fødselsnummer` | `13097248022`; the rules look at most 80 bytes back),
/// never the rows above, whose values the detector would otherwise scan again with every cell
/// (a 100 000-cell table took six times longer with a look-back of 1 KiB).
const CELL_LOOKBACK: usize = 96;

pub(crate) struct PartText<'d> {
    w: Windower,
    det: &'d Detector,
    /// Nothing written yet.
    fresh: bool,
    /// The last character written ended a line.
    line_ended: bool,
    /// Open tables, innermost last.
    tables: Vec<Table>,
}

#[derive(Default)]
struct Table {
    /// Per column: its header.
    headers: Vec<Option<Header>>,
    /// Rows ended so far.
    rows: u32,
    /// The current row names the columns.
    header_row: bool,
    /// The column of the next cell.
    col: u32,
    cell: Option<Cell>,
    /// Bytes of the current row handed over so far.
    row_bytes: usize,
}

struct Cell {
    col: u32,
    span: u32,
    text: String,
}

impl<'d> PartText<'d> {
    pub(crate) fn new(part: Option<&str>, det: &'d Detector) -> PartText<'d> {
        let base = Location {
            part: part.map(str::to_string),
            ..Location::default()
        };
        PartText {
            w: Windower::new(Addressing::Lines, &base, ChunkContext::default()),
            det,
            fresh: true,
            line_ended: false,
            tables: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, text: &str, sink: &mut dyn Sink) {
        if text.is_empty() {
            return;
        }
        self.fresh = false;
        self.line_ended = text.ends_with('\n');
        if let Some(cell) = self.tables.last_mut().and_then(|t| t.cell.as_mut()) {
            cell.text.push_str(text);
            if cell.text.len() >= MAX_CELL {
                self.hand_over_cell(sink);
            }
            return;
        }
        self.w.buffer().push_str(text);
        self.w.flush(sink, false);
    }

    pub(crate) fn push_char(&mut self, c: char, sink: &mut dyn Sink) {
        self.push(c.encode_utf8(&mut [0; 4]), sink);
    }

    /// Ends the current line, unless it is already ended (or nothing has been written).
    pub(crate) fn end_line(&mut self, sink: &mut dyn Sink) {
        if !self.fresh && !self.line_ended {
            self.push("\n", sink);
        }
    }

    /// Whether a table is open.
    pub(crate) fn in_table(&self) -> bool {
        !self.tables.is_empty()
    }

    /// Whether the innermost table has a cell open.
    pub(crate) fn in_cell(&self) -> bool {
        self.tables.last().is_some_and(|t| t.cell.is_some())
    }

    /// A table starts (inside the open cell, if any).
    pub(crate) fn table_start(&mut self, sink: &mut dyn Sink) {
        // An outer cell's text so far goes out before the inner table's.
        self.hand_over_cell(sink);
        self.tables.push(Table::default());
    }

    pub(crate) fn table_end(&mut self, sink: &mut dyn Sink) {
        self.cell_end(sink);
        self.tables.pop();
    }

    /// A row starts; `header` if the document marks it as a header row.
    pub(crate) fn row_start(&mut self, header: bool, sink: &mut dyn Sink) {
        self.cell_end(sink);
        if let Some(t) = self.tables.last_mut() {
            t.col = 0;
            t.row_bytes = 0;
            t.header_row = header || t.rows == 0;
        }
    }

    /// The current row is a header row (a mark inside the row, as Word writes it).
    pub(crate) fn mark_header_row(&mut self) {
        if let Some(t) = self.tables.last_mut() {
            t.header_row = true;
        }
    }

    pub(crate) fn row_end(&mut self, sink: &mut dyn Sink) {
        self.cell_end(sink);
        if let Some(t) = self.tables.last_mut() {
            t.rows = t.rows.saturating_add(1);
        }
    }

    /// A cell starts, spanning `span` columns.
    pub(crate) fn cell_start(&mut self, span: u32, sink: &mut dyn Sink) {
        self.cell_end(sink);
        if let Some(t) = self.tables.last_mut() {
            let span = span.max(1);
            t.cell = Some(Cell {
                col: t.col,
                span,
                text: String::new(),
            });
            t.col = t.col.saturating_add(span);
        }
    }

    /// The open cell spans `span` columns (Word says so inside the cell).
    pub(crate) fn cell_span(&mut self, span: u32) {
        if let Some(t) = self.tables.last_mut() {
            if let Some(c) = t.cell.as_mut() {
                let span = span.max(1);
                t.col = c.col.saturating_add(span);
                c.span = span;
            }
        }
    }

    pub(crate) fn cell_end(&mut self, sink: &mut dyn Sink) {
        self.hand_over_cell(sink);
        if let Some(t) = self.tables.last_mut() {
            t.cell = None;
        }
    }

    /// Hands over the open cell's text: a header cell names its columns and is text like any
    /// other; a data cell is a chunk of its own under its column's header.
    fn hand_over_cell(&mut self, sink: &mut dyn Sink) {
        let Some(t) = self.tables.last_mut() else {
            return;
        };
        let Some(cell) = t.cell.as_mut() else {
            return;
        };
        if cell.text.is_empty() {
            return;
        }
        let text = std::mem::take(&mut cell.text);
        let before = t.row_bytes;
        t.row_bytes += text.len();
        if t.header_row {
            let name = text.trim();
            if crate::extract::sheet::is_header(name) {
                let header = self.det.header(name);
                let end = (cell.col.saturating_add(cell.span) as usize).min(MAX_COLUMNS);
                for col in cell.col as usize..end {
                    if t.headers.len() <= col {
                        t.headers.resize(col + 1, None);
                    }
                    t.headers[col] = Some(header);
                }
            }
            self.w.buffer().push_str(&text);
            self.w.flush(sink, false);
        } else {
            let header = t.headers.get(cell.col as usize).copied().flatten();
            let lookback = before.min(CELL_LOOKBACK);
            self.w.push_with(
                sink,
                &text,
                ChunkContext {
                    header,
                    ..ChunkContext::default()
                },
                lookback,
            );
        }
    }

    /// Hands out what is left (tables a damaged part left open included).
    pub(crate) fn finish(&mut self, sink: &mut dyn Sink) {
        while self.in_table() {
            self.table_end(sink);
        }
        self.w.flush(sink, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::testing::Texts;

    /// (text, identity flag of its header) of every chunk.
    fn chunks(sink: &Texts) -> Vec<(String, bool)> {
        sink.chunks
            .iter()
            .map(|(_, t, id)| (t.clone(), *id))
            .collect()
    }

    #[test]
    fn cells_under_a_header_row_are_chunks_with_its_context() {
        let det = Detector::builtin();
        let mut sink = Texts::default();
        let mut p = PartText::new(Some("body"), &det);
        p.push("Liste\n", &mut sink);
        p.table_start(&mut sink);
        for row in [["Navn\n", "Fnr\n"], ["Kari\n", "3851598730\n"]] {
            p.row_start(false, &mut sink);
            for text in row {
                p.cell_start(1, &mut sink);
                p.push(text, &mut sink);
                p.cell_end(&mut sink);
            }
            p.row_end(&mut sink);
        }
        p.table_end(&mut sink);
        p.push("Slutt\n", &mut sink);
        p.finish(&mut sink);
        assert_eq!(
            chunks(&sink),
            [
                ("Liste\nNavn\nFnr\n".into(), false),
                ("Kari\n".into(), false),
                ("3851598730\n".into(), true),
                ("Slutt\n".into(), false),
            ]
        );
    }

    #[test]
    fn spans_nesting_and_marked_header_rows() {
        let det = Detector::builtin();
        let mut sink = Texts::default();
        let mut p = PartText::new(None, &det);
        p.table_start(&mut sink);
        // A title row spanning both columns, then a row marked as a header.
        p.row_start(false, &mut sink);
        p.cell_start(1, &mut sink);
        p.cell_span(2);
        p.push("Ansatte", &mut sink);
        p.row_end(&mut sink);
        p.row_start(false, &mut sink);
        p.mark_header_row();
        for h in ["Navn", "Personnummer"] {
            p.cell_start(1, &mut sink);
            p.push(h, &mut sink);
        }
        p.row_end(&mut sink);
        p.row_start(false, &mut sink);
        p.cell_start(1, &mut sink);
        p.push("Kari, se", &mut sink);
        // A table inside the cell: the outer text so far goes first.
        p.table_start(&mut sink);
        p.row_start(false, &mut sink);
        p.cell_start(1, &mut sink);
        p.push("Indre", &mut sink);
        p.row_end(&mut sink);
        p.row_start(false, &mut sink);
        p.cell_start(1, &mut sink);
        p.push("x", &mut sink);
        p.table_end(&mut sink);
        p.push(" vedlegg", &mut sink);
        p.cell_start(1, &mut sink);
        p.push("13097248022", &mut sink);
        p.finish(&mut sink);
        assert_eq!(
            chunks(&sink),
            [
                ("AnsatteNavnPersonnummer".into(), false),
                ("Kari, se".into(), false),
                ("Indre".into(), false),
                ("x".into(), false),
                (" vedlegg".into(), false),
                ("13097248022".into(), true),
            ]
        );
    }
}
