//! ods (OpenDocument spreadsheets), `content.xml` streamed.
//!
//! A sheet is a `table:table`; its rows (`table:table-row`, also inside header-row and
//! row-group elements) hold cells (`table:table-cell`, and `table:covered-table-cell` under a
//! merged cell). A cell's value is typed by `office:value-type`: numbers (`float`, `percentage`,
//! `currency`) are in `office:value`, strings are the cell's paragraphs (`text:p`, joined by
//! line breaks, with `text:s`, `text:tab` and `text:line-break` as the characters they stand
//! for), dates, times and booleans are not scanned. Comments (`office:annotation`) are not
//! part of the value. A sheet is hidden when its table style says `table:display="false"`
//! (the automatic styles come before the body in the same part).
//!
//! Calc writes runs of equal cells and rows once, with `number-columns-repeated` and
//! `number-rows-repeated`. A repeated cell is handed over once for every cell it stands for, up
//! to the format's 16 384 columns and 1 048 576 rows (the time budget bounds the rest); a
//! repeated row is kept while it is read (at most [`MAX_ROW`] bytes of values, beyond which its
//! copies are not repeated and the file is partial) and replayed, unless it is empty, as the
//! millions of empty rows at the end of many sheets are.

use std::collections::HashSet;

use quick_xml::events::{BytesStart, Event};

use super::{open_error, push_capped, Cells, SheetError, Value};
use crate::extract::office::xml::{self, Xml, XmlError};
use crate::extract::{archive, ExtractError, Input};
use crate::read::sniff::Format;

const MAX_ROWS: u32 = 1 << 20;
const MAX_COLS: u32 = 1 << 14;
/// Bytes of values of one repeated row kept to replay it.
const MAX_ROW: usize = 16 << 20;

pub(super) fn read(input: &mut Input<'_>, cells: &mut Cells<'_, '_>) -> Result<(), ExtractError> {
    let limits = input.limits;
    let mut zip = archive::open_zip(input).map_err(|e| match e {
        ExtractError::Corrupt(_) => open_error(Format::Ods),
        e => e,
    })?;
    crate::extract::office::refuse_encrypted(&mut zip, limits, "ods workbook")?;
    let mut x =
        Xml::open(&mut zip, "content.xml", limits)?.ok_or_else(|| open_error(Format::Ods))?;
    let mut state = State::default();
    loop {
        match x.next() {
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) if e.local_name().as_ref() == b"table" => {
                let name = xml::attr(&e, b"name").unwrap_or_default();
                let hidden =
                    xml::attr(&e, b"style-name").is_some_and(|s| state.hidden.contains(&s));
                let mut error = None;
                cells.sheet(&name, hidden, |cells| {
                    let read = table(&mut x, &mut state, cells);
                    if let Err(SheetError::Damaged(_)) = read {
                        error = Some(());
                    }
                    read
                })?;
                // Damage inside a table leaves the XML reader in an error state.
                if error.is_some() {
                    break;
                }
            }
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == b"style" => {
                state.style = xml::attr(&e, b"name");
            }
            Ok(Event::Start(e) | Event::Empty(e))
                if e.local_name().as_ref() == b"table-properties"
                    && xml::attr(&e, b"display").as_deref() == Some("false") =>
            {
                if let Some(s) = state.style.clone() {
                    state.hidden.insert(s);
                }
            }
            Ok(_) => {}
            Err(XmlError::Damaged) => {
                cells.note(
                    "damaged_parts",
                    "content.xml is damaged after the sheets read",
                );
                break;
            }
            Err(XmlError::Stop(e)) => return Err(e),
        }
    }
    cells.unexpanded(x.unexpanded);
    drop(x);
    if !crate::extract::office::props::odf(&mut zip, limits, cells.sink)? {
        cells.note("damaged_parts", "the document properties are damaged");
    }
    Ok(())
}

/// What the walk through `content.xml` keeps between sheets.
#[derive(Default)]
struct State {
    /// The style being read, and the table styles that hide their table.
    style: Option<String>,
    hidden: HashSet<String>,
    /// The text of the cell being read, and of the row being kept for repeating.
    text: String,
}

/// One cell of a row kept for repeating: its first column, how many columns it spans, and its
/// value (a number, or a range of the row's text).
enum Kept {
    Number(f64),
    Date(chrono::NaiveDate),
    Text(std::ops::Range<usize>),
}

/// The cell being read.
struct Cell {
    col: u32,
    repeat: u32,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Number(f64),
    Text,
    /// A date cell (`office:date-value`): it may date its row.
    Date(chrono::NaiveDate),
    Nothing,
}

/// Reads one `table:table` (its start just read) to its end.
fn table(x: &mut Xml<'_>, state: &mut State, cells: &mut Cells<'_, '_>) -> Result<(), SheetError> {
    let mut row = 0u32;
    let mut col = 0u32;
    let mut row_repeat = 1u32;
    let mut cell: Option<Cell> = None;
    // The row's cells while a repeated row is read: (column, span, value).
    let mut kept: Vec<(u32, u32, Kept)> = Vec::new();
    let mut row_text = String::new();
    let (mut paragraphs, mut in_p, mut note) = (0u32, 0u32, 0u32);
    let mut depth = 0u32;
    loop {
        cells.check_time()?;
        let event = x.next()?;
        match &event {
            Event::Eof => return Err(SheetError::Damaged("truncated XML")),
            Event::Start(e) if note > 0 => {
                note += u32::from(e.local_name().as_ref() == b"annotation")
            }
            Event::End(e) if note > 0 => {
                note -= u32::from(e.local_name().as_ref() == b"annotation");
                // The annotation's own start was counted in the depth.
                depth -= u32::from(note == 0);
            }
            _ if note > 0 => {}
            Event::Start(e) | Event::Empty(e) => {
                let empty = matches!(event, Event::Empty(_));
                if !empty {
                    depth += 1;
                }
                match e.local_name().as_ref() {
                    b"table-row" => {
                        col = 0;
                        row_repeat = repeat(e, b"number-rows-repeated");
                        kept.clear();
                        row_text.clear();
                        if empty {
                            row = row.saturating_add(row_repeat);
                        }
                    }
                    b"table-cell" | b"covered-table-cell" => {
                        let c = Cell {
                            col,
                            repeat: repeat(e, b"number-columns-repeated"),
                            kind: kind(e),
                        };
                        col = col.saturating_add(c.repeat);
                        state.text.clear();
                        paragraphs = 0;
                        if empty {
                            finish(&c, "", row, row_repeat, &mut kept, &mut row_text, cells);
                        } else {
                            cell = Some(c);
                        }
                    }
                    b"annotation" if !empty => note = 1,
                    b"p" | b"h" if cell.is_some() => {
                        if paragraphs > 0 {
                            state.text.push('\n');
                        }
                        paragraphs += 1;
                        in_p += u32::from(!empty);
                    }
                    b"s" if in_p > 0 => {
                        let n = xml::attr(e, b"c")
                            .and_then(|c| c.parse().ok())
                            .unwrap_or(1usize);
                        for _ in 0..n.min(64) {
                            state.text.push(' ');
                        }
                    }
                    b"tab" if in_p > 0 => state.text.push('\t'),
                    b"line-break" if in_p > 0 => state.text.push('\n'),
                    _ => {}
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                match e.local_name().as_ref() {
                    b"table" if depth == 0 => return Ok(()),
                    b"table" => {}
                    b"p" | b"h" => in_p = in_p.saturating_sub(1),
                    b"table-cell" | b"covered-table-cell" => {
                        if let Some(c) = cell.take() {
                            finish(
                                &c,
                                &state.text,
                                row,
                                row_repeat,
                                &mut kept,
                                &mut row_text,
                                cells,
                            );
                        }
                    }
                    b"table-row" => {
                        replay(&kept, &row_text, row, row_repeat, cells)?;
                        row = row.saturating_add(row_repeat);
                    }
                    _ => {}
                }
            }
            e if in_p > 0 => {
                if let Ok(Some(t)) = xml::text(e) {
                    if !push_capped(&mut state.text, &t) {
                        cells.value_cut();
                    }
                }
            }
            _ => {}
        }
    }
}

/// A repeat count attribute, at least 1.
fn repeat(e: &BytesStart<'_>, name: &[u8]) -> u32 {
    xml::attr_bytes(e, name)
        .and_then(|v| std::str::from_utf8(&v).ok()?.trim().parse().ok())
        .unwrap_or(1u32)
        .max(1)
}

fn kind(e: &BytesStart<'_>) -> Kind {
    match xml::attr_bytes(e, b"value-type").as_deref() {
        Some(b"float" | b"percentage" | b"currency") => xml::attr(e, b"value")
            .and_then(|v| v.trim().parse().ok())
            .map_or(Kind::Text, Kind::Number),
        Some(b"date") => xml::attr(e, b"date-value")
            .and_then(|v| crate::retain::dates::value_date(v.as_bytes()))
            .map_or(Kind::Nothing, Kind::Date),
        Some(b"time" | b"boolean") => Kind::Nothing,
        _ => Kind::Text,
    }
}

/// A cell read: handed over once per column it spans (and kept, if its row repeats).
fn finish(
    c: &Cell,
    text: &str,
    row: u32,
    row_repeat: u32,
    kept: &mut Vec<(u32, u32, Kept)>,
    row_text: &mut String,
    cells: &mut Cells<'_, '_>,
) {
    let value = match c.kind {
        Kind::Number(f) => Value::Float(f),
        Kind::Date(d) => Value::Date(d),
        Kind::Text if text.is_empty() => return,
        Kind::Text => Value::Text(text),
        Kind::Nothing => return,
    };
    let span = c.repeat.min(MAX_COLS.saturating_sub(c.col));
    for k in 0..span {
        cells.cell((row, c.col + k), value);
    }
    if row_repeat > 1 {
        let copy = match value {
            Value::Float(f) => Kept::Number(f),
            Value::Date(d) => Kept::Date(d),
            Value::Text(t) if row_text.len() + t.len() <= MAX_ROW => {
                row_text.push_str(t);
                Kept::Text(row_text.len() - t.len()..row_text.len())
            }
            _ => {
                cells.note(
                    "repeated_rows",
                    format!(
                        "a repeated row holds over {} MiB of values: its copies were not read",
                        MAX_ROW >> 20
                    ),
                );
                return;
            }
        };
        kept.push((c.col, span, copy));
    }
}

/// The copies of a repeated row (the first was handed over as it was read).
fn replay(
    kept: &[(u32, u32, Kept)],
    text: &str,
    row: u32,
    repeat: u32,
    cells: &mut Cells<'_, '_>,
) -> Result<(), SheetError> {
    if kept.is_empty() {
        return Ok(());
    }
    let last = row.saturating_add(repeat).min(MAX_ROWS);
    for r in row.saturating_add(1)..last {
        for (col, span, v) in kept {
            let value = match v {
                Kept::Number(f) => Value::Float(*f),
                Kept::Date(d) => Value::Date(*d),
                Kept::Text(range) => Value::Text(&text[range.clone()]),
            };
            for k in 0..*span {
                cells.check_time()?;
                cells.cell((r, col + k), value);
            }
        }
    }
    Ok(())
}
