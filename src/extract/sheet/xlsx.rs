//! xlsx and xlsm (SpreadsheetML), streamed part by part.
//!
//! The sheet list comes from `xl/workbook.xml` (names, hidden state) and its relationships
//! (which part holds each sheet); the shared strings from the part the relationships name
//! (`xl/sharedStrings.xml` by default), into the compact table of [`super::strings`]; then
//! every worksheet is streamed: a cell's value (`<v>`, or the `<is>` of an inline string) is
//! handed over at the cell's end, typed by its `t` attribute (`s` shared string, `str` formula
//! text, `inlineStr`, `n` or none a number, `b`/`e`/`d` nothing to scan). Phonetic runs
//! (`<rPh>`) are left out, as Excel shows none of them. A cell without an `r` attribute
//! follows the one before it, a row without one the row before it.
//!
//! Dates are numbers with a date format: the cell formats of `xl/styles.xml` say which styles
//! are dates ([`date_styles`]), so that such a cell can date its row for a retention review
//! instead of being read as a number.

use std::io::{Read, Seek};

use quick_xml::events::{BytesStart, Event};

use super::{open_error, push_capped, Cells, SheetError, Value};
use crate::extract::office::xml::{self, Xml, XmlError};
use crate::extract::office::{self, Rel};
use crate::extract::{archive, ExtractError, Input, Limits};
use crate::read::sniff::Format;

/// A sheet to read.
struct Sheet {
    name: String,
    hidden: bool,
    /// Its zip member, if the relationships name one.
    member: Option<String>,
}

pub(super) fn read(input: &mut Input<'_>, cells: &mut Cells<'_, '_>) -> Result<(), ExtractError> {
    let limits = input.limits;
    let mut zip = archive::open_zip(input).map_err(|e| match e {
        ExtractError::Corrupt(_) => open_error(Format::Xlsx),
        e => e,
    })?;
    let rels = office::rels(&mut zip, "xl/workbook.xml", limits)?;
    let sheets = workbook(&mut zip, &rels, limits)?;
    if sheets.is_empty() {
        return Err(open_error(Format::Xlsx));
    }
    let strings = rels
        .iter()
        .find(|r| r.kind.ends_with("/sharedStrings"))
        .map_or("xl/sharedStrings.xml", |r| r.target.as_str());
    shared_strings(&mut zip, strings, limits, cells)?;
    let styles = rels
        .iter()
        .find(|r| r.kind.ends_with("/styles"))
        .map_or("xl/styles.xml", |r| r.target.as_str());
    let dates = date_styles(&mut zip, styles, limits)?;
    for s in &sheets {
        cells.sheet(&s.name, s.hidden, |cells| match &s.member {
            Some(m) => sheet(&mut zip, m, limits, &dates, cells),
            None => Err(SheetError::Damaged("no part holds it")),
        })?;
    }
    if !office::props::ooxml(&mut zip, limits, cells.sink)? {
        cells.note("damaged_parts", "the document properties are damaged");
    }
    Ok(())
}

/// The sheets with cells, in workbook order. A damaged `workbook.xml` gives the sheets listed
/// before the damage; without any, the worksheets the relationships name.
fn workbook<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    rels: &[Rel],
    limits: &Limits,
) -> Result<Vec<Sheet>, ExtractError> {
    let has_cells = |r: &Rel| r.kind.ends_with("/worksheet") || r.kind.ends_with("/xlMacrosheet");
    let mut sheets = Vec::new();
    if let Some(mut x) = Xml::open(zip, "xl/workbook.xml", limits)? {
        loop {
            match x.next() {
                Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == b"sheet" => {
                    let rel = xml::attr(&e, b"id").and_then(|id| rels.iter().find(|r| r.id == id));
                    // Chart sheets and dialog sheets hold no cells.
                    if rel.is_some_and(|r| !has_cells(r)) {
                        continue;
                    }
                    let state = xml::attr(&e, b"state").unwrap_or_default();
                    sheets.push(Sheet {
                        name: xml::attr(&e, b"name").unwrap_or_default(),
                        hidden: state == "hidden" || state == "veryHidden",
                        member: rel.map(|r| r.target.clone()),
                    });
                }
                Ok(Event::Eof) | Err(XmlError::Damaged) => break,
                Ok(_) => {}
                Err(XmlError::Stop(e)) => return Err(e),
            }
        }
    }
    if sheets.is_empty() {
        sheets = rels
            .iter()
            .filter(|r| has_cells(r))
            .map(|r| Sheet {
                name: r.target.rsplit('/').next().unwrap_or_default().to_string(),
                hidden: false,
                member: Some(r.target.clone()),
            })
            .collect();
    }
    Ok(sheets)
}

/// Cell styles kept: Excel allows 64,000; a damaged file naming more gets no dates past them.
const MAX_STYLES: usize = 65_536;

/// Whether a number format shows a date: the built-in date formats (14-17, 22, and the East
/// Asian 27-36, 50-58), or a format code with a day or year part outside quotes and brackets.
fn is_date_format(id: u32, code: Option<&str>) -> bool {
    if let Some(code) = code {
        let (mut quoted, mut bracket, mut escaped) = (false, false, false);
        for c in code.chars() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quoted = !quoted,
                '[' if !quoted => bracket = true,
                ']' if !quoted => bracket = false,
                'd' | 'D' | 'y' | 'Y' if !quoted && !bracket => return true,
                _ => {}
            }
        }
        return false;
    }
    matches!(id, 14..=17 | 22 | 27..=36 | 50..=58)
}

/// Per cell style (`<cellXfs>`, by index): whether it formats numbers as dates. A missing or
/// damaged styles part gives what was read (dates are then read as numbers).
fn date_styles<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    member: &str,
    limits: &Limits,
) -> Result<Vec<bool>, ExtractError> {
    let Some(mut x) = Xml::open(zip, member, limits)? else {
        return Ok(Vec::new());
    };
    let mut custom: Vec<(u32, bool)> = Vec::new();
    let mut dates = Vec::new();
    let mut in_xfs = false;
    let id = |e: &BytesStart<'_>| {
        xml::attr(e, b"numFmtId")
            .and_then(|v| v.trim().parse::<u32>().ok())
            .unwrap_or(0)
    };
    loop {
        match x.next() {
            Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                b"numFmt" if custom.len() < MAX_STYLES => {
                    let code = xml::attr(&e, b"formatCode");
                    custom.push((
                        id(&e),
                        is_date_format(0, Some(code.as_deref().unwrap_or(""))),
                    ));
                }
                b"cellXfs" => in_xfs = true,
                b"xf" if in_xfs && dates.len() < MAX_STYLES => {
                    let n = id(&e);
                    let date = match custom.iter().find(|(c, _)| *c == n) {
                        Some(&(_, d)) => d,
                        None => is_date_format(n, None),
                    };
                    dates.push(date);
                }
                _ => {}
            },
            Ok(Event::End(e)) if e.local_name().as_ref() == b"cellXfs" => break,
            Ok(Event::Eof) | Err(XmlError::Damaged) => break,
            Ok(_) => {}
            Err(XmlError::Stop(e)) => return Err(e),
        }
    }
    Ok(dates)
}

/// Reads the shared string table into `cells`. A damaged table keeps the strings before the
/// damage and makes the file partial.
fn shared_strings<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    member: &str,
    limits: &Limits,
    cells: &mut Cells<'_, '_>,
) -> Result<(), ExtractError> {
    let Some(mut x) = Xml::open(zip, member, limits)? else {
        return Ok(());
    };
    let mut text = String::new();
    let (mut in_si, mut in_t, mut phonetic) = (false, false, 0u32);
    let mut count = 0u64;
    loop {
        cells.check_time()?;
        let event = match x.next() {
            Ok(e) => e,
            Err(XmlError::Damaged) => {
                cells.note(
                    "damaged_parts",
                    format!("the shared string table is damaged after string {count}"),
                );
                break;
            }
            Err(XmlError::Stop(e)) => return Err(e),
        };
        match &event {
            Event::Eof => break,
            Event::Start(e) => match e.local_name().as_ref() {
                b"si" => {
                    in_si = true;
                    text.clear();
                }
                b"t" => in_t = true,
                b"rPh" => phonetic += 1,
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == b"si" => {
                count += 1;
                cells.shared_string("");
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"si" => {
                    in_si = false;
                    count += 1;
                    cells.shared_string(&text);
                }
                b"t" => in_t = false,
                b"rPh" => phonetic = phonetic.saturating_sub(1),
                _ => {}
            },
            e if in_si && in_t && phonetic == 0 => {
                if let Ok(Some(t)) = xml::text(e) {
                    if !push_capped(&mut text, &t) {
                        cells.value_cut();
                    }
                }
            }
            _ => {}
        }
    }
    cells.unexpanded(x.unexpanded);
    Ok(())
}

/// How a cell's value is written (its `t` attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Shared,
    Text,
    /// An ISO 8601 date (`t="d"`): it may date its row.
    Date,
    /// A number in a date style: a date serial.
    DateNumber,
    /// Booleans, errors.
    Nothing,
}

/// The cell being read.
struct Open {
    at: (u32, u32),
    kind: Kind,
}

/// Streams one worksheet's cells into `cells`.
fn sheet<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    member: &str,
    limits: &Limits,
    dates: &[bool],
    cells: &mut Cells<'_, '_>,
) -> Result<(), SheetError> {
    let Some(mut x) = Xml::open(zip, member, limits)? else {
        return Err(SheetError::Damaged("its part is missing"));
    };
    let mut value = String::new();
    // The current row and the last column seen in it (0-based).
    let (mut row, mut col): (Option<u32>, Option<u32>) = (None, None);
    let mut open: Option<Open> = None;
    let (mut in_v, mut in_is, mut in_t, mut phonetic) = (false, false, false, 0u32);
    let read = loop {
        cells.check_time()?;
        let event = match x.next() {
            Ok(e) => e,
            Err(e) => break Err(e),
        };
        match &event {
            Event::Eof => break Ok(()),
            Event::Start(e) => match e.local_name().as_ref() {
                b"row" => (row, col) = (Some(row_number(e, row)), None),
                b"c" => {
                    let (at, kind, style) = cell_start(e, row, col);
                    (row, col) = (Some(at.0), Some(at.1));
                    let dated = style.is_some_and(|s| dates.get(s as usize) == Some(&true));
                    let kind = match kind {
                        Kind::Number if dated => Kind::DateNumber,
                        k => k,
                    };
                    open = Some(Open { at, kind });
                    value.clear();
                }
                b"v" => in_v = true,
                b"is" => in_is = true,
                b"t" => in_t = true,
                b"rPh" => phonetic += 1,
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                b"row" => (row, col) = (Some(row_number(e, row)), None),
                b"c" => {
                    let (at, ..) = cell_start(e, row, col);
                    (row, col) = (Some(at.0), Some(at.1));
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                b"c" => {
                    if let Some(c) = open.take() {
                        cells.cell(c.at, cell_value(c.kind, &value));
                    }
                }
                b"v" => in_v = false,
                b"is" => in_is = false,
                b"t" => in_t = false,
                b"rPh" => phonetic = phonetic.saturating_sub(1),
                _ => {}
            },
            e if open.is_some() && (in_v || (in_is && in_t && phonetic == 0)) => {
                if let Ok(Some(t)) = xml::text(e) {
                    if !push_capped(&mut value, &t) {
                        cells.value_cut();
                    }
                }
            }
            _ => {}
        }
    };
    cells.unexpanded(x.unexpanded);
    Ok(read?)
}

/// A cell's value by its kind.
fn cell_value(kind: Kind, v: &str) -> Value<'_> {
    match kind {
        Kind::Shared => v.trim().parse().map_or(Value::None, Value::Shared),
        // A number that does not parse is still text someone wrote: scan it.
        Kind::Number => v.trim().parse().map_or(Value::Text(v), Value::Float),
        Kind::Text => Value::Text(v),
        Kind::Date => {
            crate::retain::dates::value_date(v.as_bytes()).map_or(Value::None, Value::Date)
        }
        // A date serial dates its row; a number out of the dates' range is read as a number.
        Kind::DateNumber => match v.trim().parse() {
            Ok(f) => crate::retain::dates::excel_serial(f).map_or(Value::Float(f), Value::Date),
            Err(_) => Value::Text(v),
        },
        Kind::Nothing => Value::None,
    }
}

/// A cell's 0-based (row, column) — its `r` (`B7`), else the next column of the current
/// row — its kind (its `t`) and its style (`s`), from one pass over its attributes.
fn cell_start(
    e: &BytesStart<'_>,
    row: Option<u32>,
    col: Option<u32>,
) -> ((u32, u32), Kind, Option<u32>) {
    let (mut at, mut kind, mut style) = (None, Kind::Number, None);
    for a in e.attributes().with_checks(false).flatten() {
        match a.key.local_name().as_ref() {
            b"r" => at = cell_ref(&a.value),
            b"s" => {
                style = std::str::from_utf8(&a.value)
                    .ok()
                    .and_then(|s| s.trim().parse().ok())
            }
            b"t" => {
                kind = match &*a.value {
                    b"n" => Kind::Number,
                    b"s" => Kind::Shared,
                    b"d" => Kind::Date,
                    b"b" | b"e" => Kind::Nothing,
                    // `str`, `inlineStr`, and anything unknown: text.
                    _ => Kind::Text,
                }
            }
            _ => {}
        }
    }
    let next = (row.unwrap_or(0), col.map_or(0, |c| c.saturating_add(1)));
    (at.unwrap_or(next), kind, style)
}

/// A row's 0-based number: its `r`, else the one after the previous row.
fn row_number(e: &BytesStart<'_>, previous: Option<u32>) -> u32 {
    xml::attr_bytes(e, b"r")
        .and_then(|r| std::str::from_utf8(&r).ok()?.trim().parse::<u32>().ok())
        .and_then(|r| r.checked_sub(1))
        .unwrap_or_else(|| previous.map_or(0, |p| p.saturating_add(1)))
}

/// `B7` → (6, 1); None if it is not a cell reference.
fn cell_ref(r: &[u8]) -> Option<(u32, u32)> {
    let letters = r.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let col = r[..letters].iter().fold(0u32, |n, b| {
        n * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1
    });
    let row: u32 = std::str::from_utf8(&r[letters..]).ok()?.parse().ok()?;
    Some((row.checked_sub(1)?, col - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_formats() {
        for (id, code) in [
            (14, None),
            (22, None),
            (164, Some("yyyy-mm-dd")),
            (165, Some("d. mmm yyyy")),
            (166, Some("[$-414]dd.mm.yyyy;@")),
            (167, Some("DD/MM/YY")),
        ] {
            assert!(is_date_format(id, code), "{id} {code:?}");
        }
        for (id, code) in [
            (0, None),
            (2, None),
            (18, None),
            (164, Some("0.00")),
            (165, Some("#,##0 \"dager\"")),
            (166, Some("[Red]0")),
            (167, Some("\\d0")),
            (168, Some("General")),
        ] {
            assert!(!is_date_format(id, code), "{id} {code:?}");
        }
    }

    #[test]
    fn cell_references() {
        assert_eq!(cell_ref(b"A1"), Some((0, 0)));
        assert_eq!(cell_ref(b"B7"), Some((6, 1)));
        assert_eq!(cell_ref(b"AA10"), Some((9, 26)));
        assert_eq!(cell_ref(b"XFD1048576"), Some((1_048_575, 16_383)));
        assert_eq!(cell_ref(b"A0"), None);
        assert_eq!(cell_ref(b"A"), None);
        assert_eq!(cell_ref(b"ABCD1"), None);
        assert_eq!(cell_ref(b"7"), None);
    }

    #[test]
    fn values_by_kind() {
        assert_eq!(cell_value(Kind::Shared, "3"), Value::Shared(3));
        assert_eq!(cell_value(Kind::Shared, "x"), Value::None);
        assert_eq!(
            cell_value(Kind::Number, "1.2345678901E10"),
            Value::Float(1.2345678901E10)
        );
        assert_eq!(
            cell_value(Kind::Number, "kari@x.no"),
            Value::Text("kari@x.no")
        );
        assert_eq!(cell_value(Kind::Nothing, "1"), Value::None);
    }
}
