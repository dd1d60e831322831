//! Markdown: text, except for tables. A table's header row (the line above a `|---|---|`
//! delimiter row) names its columns, and each cell below is read as a value of its own under
//! its column's name, as a CSV cell is read under its header: a column headed `Fnr` makes a
//! 10-digit number an identity number that lost its leading zero, one headed `Mobil` makes
//! 8 digits a phone. Header cells are read as values too (one may hold a value).
//!
//! Lines are read one at a time (an overlong one in pieces, as text); text goes out through a
//! [`Windower`] with an anchor per line, cells as chunks at their own line and column.

use std::io::Read;
use std::ops::Range;

use super::pull::Pull;
use super::window::{Addressing, Windower};
use super::{Chunk, Env, ExtractError, LinePos, Location, Position, Sink};
use crate::detect::{ChunkContext, Header};

/// Bytes of a line read at once; a longer line is text, read in pieces.
const MAX_LINE: usize = 1 << 20;
/// Columns a table header may name.
const MAX_COLUMNS: usize = 1024;

/// Reads Markdown from `reader` into `sink`; returns the bytes read.
pub(crate) fn extract(
    reader: &mut dyn Read,
    env: &Env<'_>,
    sink: &mut dyn Sink,
) -> Result<u64, ExtractError> {
    let mut p = Pull::new(reader, Some(env.clock));
    let base = Location::default();
    let mut page = Windower::new(Addressing::Mapped, &base, ChunkContext::default());
    let mut line = Vec::new();
    // A line with a `|` waits for the next: it heads a table if a delimiter row follows.
    let mut held = Vec::new();
    let mut held_at: Option<LinePos> = None;
    let mut table: Option<Vec<Header>> = None;
    while let Some((pos, whole)) = p.line(&mut line, MAX_LINE)? {
        if !whole {
            if let Some(at) = held_at.take() {
                text_line(&mut page, &held, at, true, sink);
            }
            table = None;
            text_line(&mut page, &line, pos, false, sink);
            while let Some((pos, whole)) = p.line(&mut line, MAX_LINE)? {
                text_line(&mut page, &line, pos, whole, sink);
                if whole {
                    break;
                }
            }
            continue;
        }
        if let Some(headers) = &table {
            if line.contains(&b'|') && !line.trim_ascii().is_empty() {
                cells(&line, pos, Some(headers), env, sink);
                continue;
            }
            table = None;
        }
        if let Some(at) = held_at.take() {
            let names = split_cells(&held);
            if is_delimiter_row(&line, names.len()) {
                cells(&held, at, None, env, sink);
                let headers = names
                    .iter()
                    .take(MAX_COLUMNS)
                    .map(|r| env.det.header(&String::from_utf8_lossy(&held[r.clone()])))
                    .collect();
                table = Some(headers);
                continue;
            }
            text_line(&mut page, &held, at, true, sink);
        }
        if line.contains(&b'|') {
            std::mem::swap(&mut held, &mut line);
            held_at = Some(pos);
        } else {
            text_line(&mut page, &line, pos, true, sink);
        }
    }
    if let Some(at) = held_at {
        text_line(&mut page, &held, at, true, sink);
    }
    page.flush(sink, true);
    Ok(p.total)
}

/// A line (or a piece of one, `end` false) of text at `pos`.
fn text_line(page: &mut Windower, line: &[u8], pos: LinePos, end: bool, sink: &mut dyn Sink) {
    page.anchor(pos);
    page.buffer().push_str(&String::from_utf8_lossy(line));
    if end {
        page.buffer().push('\n');
    }
    page.flush(sink, false);
}

/// The cells of a table row: the text between unescaped `|`, trimmed; a leading and a
/// trailing `|` open and close the row.
fn split_cells(line: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < line.len() {
        match line[i] {
            b'\\' => i += 1,
            b'|' => {
                out.push(start..i);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(start..line.len());
    let blank = |r: &Range<usize>| line[r.clone()].trim_ascii().is_empty();
    if out.len() > 1 && out.first().is_some_and(blank) {
        out.remove(0);
    }
    if out.len() > 1 && out.last().is_some_and(blank) {
        out.pop();
    }
    out.into_iter()
        .map(|r| {
            let lead = line[r.clone()]
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            let trail = line[r.clone()]
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            r.start + lead..(r.end - trail).max(r.start + lead)
        })
        .collect()
}

/// `|---|:--:|` under a header of `columns` cells.
fn is_delimiter_row(line: &[u8], columns: usize) -> bool {
    let cells = split_cells(line);
    cells.len() == columns
        && cells.iter().all(|r| {
            let c = &line[r.clone()];
            let c = c.strip_prefix(b":").unwrap_or(c);
            let c = c.strip_suffix(b":").unwrap_or(c);
            !c.is_empty() && c.iter().all(|&b| b == b'-')
        })
}

/// Each cell of a row as a value at its own line and column, under its column's header.
fn cells(
    line: &[u8],
    pos: LinePos,
    headers: Option<&[Header]>,
    env: &Env<'_>,
    sink: &mut dyn Sink,
) {
    let base = Location::default();
    for (i, r) in split_cells(line).into_iter().enumerate() {
        let cell = &line[r.clone()];
        if !env.det.has_patterns() && !cell.iter().any(|&b| b.is_ascii_digit() || b == b'@') {
            continue;
        }
        let at = pos.advance(&line[..r.start]);
        let ctx = ChunkContext {
            header: headers.and_then(|h| h.get(i)).copied(),
            ..ChunkContext::default()
        };
        let text = String::from_utf8_lossy(cell);
        sink.chunk(&Chunk::whole(&text, &base, Position::Lines(at), ctx));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{Column, Locator};

    #[test]
    fn cells_are_split_at_unescaped_bars() {
        let line = b"| a | b\\|c |  | d|";
        let cells: Vec<&[u8]> = split_cells(line).into_iter().map(|r| &line[r]).collect();
        assert_eq!(cells, [&b"a"[..], b"b\\|c", b"", b"d"]);
        assert!(is_delimiter_row(b"|---|:--:| - | --:|", 4));
        assert!(!is_delimiter_row(b"|---|x|", 2));
    }

    #[test]
    fn table_cells_under_their_headers_at_their_places() {
        let doc = "# Liste\n\nKari har fnr 13097248022.\n\n| Navn | Fnr | Mobil |\n\
                   |------|-----|-------|\n| Kari | 3851598730 | 41234567 |\n\nSlutt | 20036914700\n";
        let det = crate::detect::Detector::builtin();
        let limits = crate::extract::Limits::default();
        let env = crate::extract::testing::env(&det, &limits);
        struct Keep(Vec<(String, u64, u64, bool)>);
        impl Sink for Keep {
            fn chunk(&mut self, c: &Chunk<'_>) {
                let mut l = Locator::new(c);
                for needle in ["13097248022", "3851598730", "41234567", "20036914700"] {
                    if let Some(i) = c.text.find(needle).filter(|i| c.report.contains(i)) {
                        let loc = l.locate(i);
                        let Some(Column::Number(col)) = loc.column else {
                            panic!()
                        };
                        let identity = c.context.header.is_some_and(|h| h.identity);
                        self.0
                            .push((needle.into(), loc.line.unwrap(), col, identity));
                    }
                }
            }
        }
        let mut sink = Keep(Vec::new());
        extract(&mut doc.as_bytes(), &env, &mut sink).unwrap();
        sink.0.sort();
        let want = [
            ("13097248022", 3, 14, false),
            ("20036914700", 9, 9, false),
            ("3851598730", 7, 10, true),
            ("41234567", 7, 23, false),
        ];
        let want: Vec<(String, u64, u64, bool)> = want
            .iter()
            .map(|&(n, l, c, i)| (n.into(), l, c, i))
            .collect();
        assert_eq!(sink.0, want);
    }
}
