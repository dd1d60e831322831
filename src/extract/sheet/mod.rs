//! Spreadsheets (xlsx, xlsm, xlsb, xls, ods), one cell at a time.
//!
//! Every cell is its own [`Chunk`] with a fixed location (`{"sheet": "Ansatte", "cell": "B7"}`),
//! so a value is reported where a person finds it again, and a shared string counts once per
//! cell that shows it. The first text cell of a column is taken as its header and gives its
//! context (classes, and the identity flag that puts back a lost leading zero) to every cell
//! below it. Each sheet's name is text too (`{"sheet": NAME, "part": "sheet_name"}`): people
//! name sheets after whom they list.
//!
//! # Readers
//! xlsx/xlsm ([`xlsx`]), xlsb ([`xlsb`]), xls ([`xls`]) and ods ([`ods`]) are read by
//! readers of our own that stream each sheet cell by cell and check every length against the
//! data before using it. They replaced calamine, which panics on records it does not expect (a
//! real xlsb from Apache Tika's test documents; mutated xls files), fails a whole workbook for
//! one damaged record, loads the shared string table whole (ten million strings took 1.4 GB)
//! and lays ods sheets out in dense grids (a row of repeated cells took 1.4 GB). Here the
//! shared strings are kept compactly ([`strings`]), a damaged sheet fails alone, and memory
//! does not grow with the workbook. calamine remains as the reference the tests compare with.
//!
//! A sheet that cannot be read makes the file `partial` with reason `sheet_error` and the
//! detail names it; the other sheets are still reported. Hidden sheets are read like the
//! others and their findings carry `"hidden": true`. Cells whose text could hold no value are
//! not handed to the detector (the scan would skip them anyway), but their text still serves
//! as their column's header.
//!
//! A row is a record for a retention review ([`Sink::record_date`]): a date cell (xlsx `t="d"`,
//! an ods date) dates its row; a number or text under a header that dates rows (`Kursdato`,
//! `Registrert`) does too, and wins; one under a birth or expiry header never does. xlsx date
//! cells are found by their cell style ([`xlsx`]); xlsb and xls cell styles are not read, so
//! there a date is taken only under a dating header.
//!
//! Numbers are written as a person would type them: integral values without a fraction or an
//! exponent (1.2345678901E10 → `12345678901`). Formula cells hold their cached result, which
//! is scanned like a typed value; the formula itself is not scanned.

mod ods;
mod strings;
mod xls;
mod xlsb;
mod xlsx;

use std::fmt::Write as _;

use self::strings::{Shared, SharedStrings};
use super::{Chunk, ExtractError, Extracted, Input, Location, Position, Sink, Status};
use crate::detect::{ChunkContext, Detector, Header};
use crate::read::sniff::Format;
use crate::retain::dates::{self, ColumnKind};
use crate::retain::{Rank, When};

/// Columns in the widest format (xlsx: 16 384; ods allows 16 384 since LibreOffice 7.4).
const MAX_COLUMNS: usize = 16_384;

/// Characters of one cell value kept (Excel allows 32 767 per cell); a longer value in a
/// damaged or crafted file is scanned in its first part and the file is marked partial
/// (`value_too_long`).
const MAX_VALUE: usize = 1 << 20;

/// Reads a workbook: every sheet, every cell with a value.
pub fn extract(
    input: &mut Input<'_>,
    format: Format,
    sink: &mut dyn Sink,
) -> Result<Extracted, ExtractError> {
    let mut cells = Cells::new(input, sink);
    match format {
        Format::Xlsx | Format::Xlsm => xlsx::read(input, &mut cells)?,
        Format::Xlsb => xlsb::read(input, &mut cells)?,
        Format::Xls => xls::read(input, &mut cells)?,
        Format::Ods => ods::read(input, &mut cells)?,
        other => unreachable!("not a workbook format: {other:?}"),
    }
    cells.end_row();
    cells.outcome(Extracted::new(format.name(), input.size.unwrap_or(0)))
}

/// A workbook that cannot be opened at all. Library messages may quote XML, so only the
/// format is named.
fn open_error(format: Format) -> ExtractError {
    ExtractError::Corrupt(format!(
        "not a readable {} workbook (damaged or truncated)",
        format.name()
    ))
}

/// Why a sheet failed; never document text. A limit or the time budget stops the whole file
/// instead.
#[derive(Debug)]
enum SheetError {
    Damaged(&'static str),
    Stop(ExtractError),
}

impl From<ExtractError> for SheetError {
    fn from(e: ExtractError) -> Self {
        SheetError::Stop(e)
    }
}

impl From<crate::extract::office::xml::XmlError> for SheetError {
    fn from(e: crate::extract::office::xml::XmlError) -> Self {
        match e {
            crate::extract::office::xml::XmlError::Damaged => SheetError::Damaged("damaged XML"),
            crate::extract::office::xml::XmlError::Stop(e) => SheetError::Stop(e),
        }
    }
}

/// The part of a cell value that is scanned.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Value<'a> {
    Text(&'a str),
    /// Shared string `i` of the workbook's table.
    Shared(u32),
    Int(i64),
    Float(f64),
    /// A date cell: nothing to find, but it may date its row.
    Date(chrono::NaiveDate),
    /// Booleans, errors, empty cells: nothing to find.
    None,
}

/// An RK number (xls and xlsb): 30 bits of either a signed integer or the top of a double,
/// optionally hundredths.
fn rk(v: u32) -> Value<'static> {
    let hundredths = v & 1 != 0;
    if v & 2 != 0 {
        let i = i64::from((v as i32) >> 2);
        if hundredths {
            Value::Float(i as f64 / 100.0)
        } else {
            Value::Int(i)
        }
    } else {
        let f = f64::from_bits(u64::from(v & !3) << 32);
        Value::Float(if hundredths { f / 100.0 } else { f })
    }
}

/// Writes a number as a person would have typed it: integral values as integers (no `.0`,
/// no exponent), others in the shortest form that reads back the same.
fn render_number(f: f64, out: &mut String) {
    out.clear();
    // Below 2^53 every integral f64 is exact, and identifiers are far shorter.
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        let _ = write!(out, "{}", f as i64);
    } else if f.is_finite() && f.abs() < 1.0e21 {
        let _ = write!(out, "{f}");
    } else {
        // Huge or not finite: nothing an identifier could be; keep it short.
        let _ = write!(out, "{f:e}");
    }
}

/// `B7` for row 6, column 1 (0-based).
fn cell_name(row: u32, col: u32, out: &mut String) {
    out.clear();
    let mut letters = [0u8; 8];
    let mut n = col as u64 + 1;
    let mut i = letters.len();
    while n > 0 {
        i -= 1;
        letters[i] = b'A' + ((n - 1) % 26) as u8;
        n = (n - 1) / 26;
    }
    out.push_str(std::str::from_utf8(&letters[i..]).expect("ASCII letters"));
    let _ = write!(out, "{}", row as u64 + 1);
}

/// A header is a text that names something: it has a letter and is not an address.
pub(crate) fn is_header(text: &str) -> bool {
    text.chars().any(char::is_alphabetic) && !text.contains('@')
}

/// Sets column `col`'s header and what it says about dates (`heads`: the sheet's headers and
/// date kinds by column).
fn set_header(
    heads: (&mut Vec<Option<Header>>, &mut Vec<ColumnKind>),
    col: usize,
    h: Header,
    kind: ColumnKind,
) {
    let (headers, dates) = heads;
    if headers.len() <= col {
        headers.resize(col + 1, None);
        dates.resize(col + 1, ColumnKind::Other);
    }
    headers[col] = Some(h);
    dates[col] = kind;
}

/// Appends `text` to a value being collected, up to [`MAX_VALUE`] bytes; false if some was
/// left out.
fn push_capped(value: &mut String, text: &str) -> bool {
    if value.len() + text.len() <= MAX_VALUE {
        value.push_str(text);
        return true;
    }
    let room = crate::detect::context::floor_boundary(text, MAX_VALUE.saturating_sub(value.len()));
    value.push_str(&text[..room]);
    false
}

/// Everything a workbook reader hands its cells to: the column headers of the sheet being
/// read, the shared strings, and what went wrong along the way.
struct Cells<'i, 's> {
    det: &'i Detector,
    clock: super::Clock,
    sink: &'s mut dyn Sink,
    strings: SharedStrings,
    /// Per column: its header, once its first text cell was seen, and what the header says
    /// about dates under it.
    headers: Vec<Option<Header>>,
    dates: Vec<ColumnKind>,
    /// The row being read: a row is a record, dated by its date cells.
    row: Option<u32>,
    /// Cells since the clock was last read.
    ticks: u32,
    loc: Location,
    number: String,
    /// Sheets started, and the ones that failed (`'Name' (why)`).
    sheets: usize,
    failed: Vec<String>,
    /// Other reasons the file was not read whole: (reason, detail).
    notes: Vec<(&'static str, String)>,
}

impl<'i, 's> Cells<'i, 's> {
    fn new(input: &Input<'i>, sink: &'s mut dyn Sink) -> Cells<'i, 's> {
        Cells {
            det: input.det,
            clock: input.clock,
            sink,
            strings: SharedStrings::default(),
            headers: Vec::new(),
            dates: Vec::new(),
            row: None,
            ticks: 0,
            loc: Location::default(),
            number: String::new(),
            sheets: 0,
            failed: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The time limit, looked at every 4096 cells (reading the clock per cell would cost
    /// more than a cell).
    fn check_time(&mut self) -> Result<(), ExtractError> {
        self.ticks = (self.ticks + 1) % 4096;
        if self.ticks == 0 {
            self.clock.check()?;
        }
        Ok(())
    }

    /// Records a reason the file was not read whole (once per reason).
    fn note(&mut self, reason: &'static str, detail: impl Into<String>) {
        if !self.notes.iter().any(|(r, _)| *r == reason) {
            self.notes.push((reason, detail.into()));
        }
    }

    /// A value that was cut at [`MAX_VALUE`].
    fn value_cut(&mut self) {
        self.note(
            "value_too_long",
            format!(
                "a cell value over {} MiB was scanned in its first {} MiB",
                MAX_VALUE >> 20,
                MAX_VALUE >> 20
            ),
        );
    }

    /// References to DTD entities left unexpanded in a part (see [`crate::extract::office::xml`]).
    fn unexpanded(&mut self, n: u64) {
        if n > 0 {
            self.note(
                crate::extract::office::xml::UNEXPANDED,
                crate::extract::office::xml::unexpanded_detail(n),
            );
        }
    }

    /// Adds the next shared string; past the table's budget it is scanned here and now.
    fn shared_string(&mut self, text: &str) {
        let Some(i) = self.strings.push(text, self.det) else {
            return;
        };
        // The first string past the budget names where the table overflowed.
        self.note(
            "shared_strings_limit",
            format!(
                "the shared string table is over {} MiB: strings from number {} on were \
                 scanned where they are stored, not in the cells that show them",
                strings::BUDGET >> 20,
                i + 1
            ),
        );
        let loc = Location {
            part: Some("shared_strings".into()),
            row: Some(u64::from(i) + 1),
            ..Location::default()
        };
        self.sink.chunk(&Chunk::whole(
            text,
            &loc,
            Position::Fixed,
            ChunkContext::default(),
        ));
    }

    /// Reads one sheet with `read`, after its name. A damaged sheet is recorded and the
    /// workbook goes on; a limit stops it.
    fn sheet(
        &mut self,
        name: &str,
        hidden: bool,
        read: impl FnOnce(&mut Self) -> Result<(), SheetError>,
    ) -> Result<(), ExtractError> {
        self.sheets += 1;
        self.end_row();
        self.headers.clear();
        self.dates.clear();
        let named = Location {
            sheet: Some(name.to_string()),
            part: Some("sheet_name".into()),
            hidden,
            ..Location::default()
        };
        self.sink.chunk(&Chunk::whole(
            name,
            &named,
            Position::Fixed,
            ChunkContext::default(),
        ));
        self.loc = Location {
            sheet: Some(name.to_string()),
            cell: Some(String::new()),
            hidden,
            ..Location::default()
        };
        match read(self) {
            Ok(()) => Ok(()),
            Err(SheetError::Damaged(why)) => {
                // A sheet's name can hold a value: the detail names it only if it cannot.
                let shown = if self.det.may_match(name.as_bytes()) {
                    format!("sheet {}", self.sheets)
                } else {
                    format!("'{name}'")
                };
                self.failed.push(format!("{shown} ({why})"));
                Ok(())
            }
            Err(SheetError::Stop(e)) => Err(e),
        }
    }

    /// The row being read ends: its findings take its date.
    fn end_row(&mut self) {
        if self.row.take().is_some() {
            self.sink.record_end();
        }
    }

    /// What a cell says about its row's date: a date cell, or a number or text under a
    /// header that dates rows.
    fn row_date(&mut self, col: usize, value: Value<'_>) {
        let kind = self.dates.get(col).copied().unwrap_or(ColumnKind::Other);
        let when = match (value, kind) {
            (_, ColumnKind::Excluded) => return,
            (Value::Date(d), _) => When::Day(d),
            (Value::Float(f), ColumnKind::Record) => match dates::excel_serial(f) {
                Some(d) => When::Day(d),
                None => return,
            },
            (Value::Int(i), ColumnKind::Record) => match dates::excel_serial(i as f64) {
                Some(d) => When::Day(d),
                None => return,
            },
            (Value::Text(t), ColumnKind::Record) => When::Text(t.as_bytes()),
            _ => return,
        };
        let rank = match kind {
            ColumnKind::Record => Rank::Named,
            _ => Rank::Typed,
        };
        self.sink.record_date(when, rank);
    }

    fn cell(&mut self, (row, col): (u32, u32), value: Value<'_>) {
        if self.row != Some(row) {
            self.end_row();
            self.row = Some(row);
        }
        let col_i = col as usize;
        self.row_date(col_i, value);
        let header = self.headers.get(col_i).copied().flatten();
        // A damaged file can name any column: headers are kept for the columns the formats
        // allow, so this table never grows past them.
        let may_head = header.is_none() && col_i < MAX_COLUMNS;
        let text = match value {
            Value::Shared(i) => match self.strings.get(i) {
                Shared::Text(t) => t,
                Shared::Header(h, dates) => {
                    if may_head {
                        set_header((&mut self.headers, &mut self.dates), col_i, h, dates);
                    }
                    return;
                }
                Shared::Nothing | Shared::InPlace => return,
            },
            Value::Text(t) => t,
            Value::Int(i) => {
                self.number.clear();
                let _ = write!(self.number, "{i}");
                &self.number
            }
            Value::Float(f) => {
                render_number(f, &mut self.number);
                &self.number
            }
            Value::Date(_) | Value::None => return,
        };
        if text.is_empty() {
            return;
        }
        if may_head && matches!(value, Value::Text(_) | Value::Shared(_)) && is_header(text) {
            let h = self.det.header(text);
            let kind = dates::column_kind(text);
            set_header((&mut self.headers, &mut self.dates), col_i, h, kind);
        }
        if !self.det.may_match(text.as_bytes()) {
            return;
        }
        cell_name(row, col, self.loc.cell.get_or_insert_with(String::new));
        let ctx = ChunkContext {
            header,
            ..ChunkContext::default()
        };
        self.sink
            .chunk(&Chunk::whole(text, &self.loc, Position::Fixed, ctx));
    }

    /// The file's status from what went wrong: every sheet failed → corrupt; some → partial
    /// `sheet_error`; else the first other reason.
    fn outcome(self, out: Extracted) -> Result<Extracted, ExtractError> {
        let others = self
            .notes
            .iter()
            .map(|(_, d)| d.as_str())
            .collect::<Vec<_>>();
        if self.sheets > 0 && self.failed.len() == self.sheets {
            return Err(ExtractError::Corrupt(format!(
                "none of the {} sheets could be read: {}",
                self.sheets,
                self.failed.join("; ")
            )));
        }
        if !self.failed.is_empty() {
            let mut detail = format!(
                "{} of {} sheets could not be read: {}",
                self.failed.len(),
                self.sheets,
                self.failed.join("; ")
            );
            for d in others {
                detail.push_str("; ");
                detail.push_str(d);
            }
            return Ok(out.with_note(Status::Partial, "sheet_error", detail));
        }
        Ok(match self.notes.first() {
            Some((reason, _)) => out.with_note(Status::Partial, reason, others.join("; ")),
            None => out,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read, Seek};

    use calamine::{Data, Reader};

    use super::*;
    use crate::extract::testing::{fixture, run, run_with, Texts};

    fn read(name: &str, format: Format) -> (Result<Extracted, ExtractError>, Texts) {
        run(name, &fixture(name), |input, sink| {
            extract(input, format, sink)
        })
    }

    /// `Sheet!Cell=text` (with `*` for an identity column, `(hidden)` for a hidden sheet), and
    /// `Sheet!name` for a sheet's name.
    fn cells(t: &Texts) -> Vec<String> {
        t.chunks
            .iter()
            .map(|(loc, text, identity)| {
                let sheet = format!(
                    "{}{}",
                    loc.sheet.as_deref().unwrap_or("?"),
                    if loc.hidden { "(hidden)" } else { "" }
                );
                match loc.part.as_deref() {
                    Some(p) if p.starts_with("properties/") => format!("{p}={text}"),
                    Some("sheet_name") => {
                        assert_eq!(loc.sheet.as_deref(), Some(text.as_str()));
                        format!("{sheet}!name")
                    }
                    _ => format!(
                        "{sheet}!{}={text}{}",
                        loc.cell.as_deref().unwrap_or("?"),
                        if *identity { "*" } else { "" }
                    ),
                }
            })
            .collect()
    }

    /// The cells that could hold a value (the others only serve as headers: `*` shows the
    /// identity column headed `Fødselsnummer` or `Personnummer`).
    const ANSATTE: &[&str] = &[
        "Ansatte!name",
        "Ansatte!B2=13097248022*",
        "Ansatte!C2=40300040",
        "Ansatte!D2=kari@example.no",
        "Ansatte!B3=3851598730*",
        "Ansatte!C3=92345678",
        "Ansatte!D3=felles@example.no",
        "Ansatte!B4=20036914700*",
        "Ansatte!D4=felles@example.no",
        "Skjult(hidden)!name",
        "Skjult(hidden)!A2=41819077302*",
    ];

    #[test]
    fn every_format_gives_the_same_cells() {
        for (name, format) in [
            ("ansatte.xlsx", Format::Xlsx),
            ("ansatte.ods", Format::Ods),
            ("ansatte.xls", Format::Xls),
        ] {
            let (r, t) = read(name, format);
            let e = r.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!((e.file_type.as_str(), e.note), (format.name(), None));
            let mut got = cells(&t);
            got.retain(|c| !c.starts_with("properties/"));
            assert_eq!(got, ANSATTE, "{name}");
        }
    }

    #[test]
    fn a_real_xlsb_is_read() {
        let det = crate::extract::testing::all_text();
        let name = "tika_testEXCEL.xlsb";
        let (r, t) = run_with(&det, name, &fixture(name), |i, s| {
            extract(i, Format::Xlsb, s)
        });
        assert_eq!(r.unwrap().note, None);
        assert_eq!(
            cells(&t),
            [
                "Sheet1!name",
                "Sheet1!A1=This is an example spreadsheet created with Microsoft Excel 2007 Beta 2.",
                "Sheet2!name",
                "Sheet3!name",
                // Its document properties.
                "properties/title=Example document",
                "properties/subject=testing document extractors",
                "properties/creator=Microsoft",
                "properties/keywords=extractor, test, rdf",
                "properties/description=These are some sample comments.",
                "properties/last_modified_by=Christiaan Fluit",
                "properties/category=myCategory",
                "properties/content_status=myStatus",
                "properties/company=Microsoft",
            ]
        );
    }

    #[test]
    fn a_failing_sheet_is_named_and_the_others_are_read() {
        let (r, t) = read("damaged_sheet.xlsx", Format::Xlsx);
        let note = r.unwrap().note.unwrap();
        assert_eq!(
            (note.status, note.reason.as_str()),
            (Status::Partial, "sheet_error")
        );
        assert_eq!(
            note.detail,
            "1 of 2 sheets could not be read: 'Skjult' (damaged XML)"
        );
        assert_eq!(cells(&t), &ANSATTE[..10]);
    }

    #[test]
    fn damaged_workbooks_are_errors() {
        let data = fixture("ansatte.xlsx");
        let (r, _) = run("x.xlsx", &data[..data.len() / 2], |i, s| {
            extract(i, Format::Xlsx, s)
        });
        assert!(matches!(r, Err(ExtractError::Corrupt(_))), "{r:?}");
        let data = fixture("ansatte.xls");
        let (r, _) = run("x.xls", &data[..data.len() / 2], |i, s| {
            extract(i, Format::Xls, s)
        });
        assert!(matches!(r, Err(ExtractError::Corrupt(_))), "{r:?}");
    }

    /// `data` (a zip) with every member passed through `f` and stored uncompressed, so that
    /// damage reaches the parsers instead of the decompressor.
    fn rezip(data: &[u8], f: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
        use std::io::Write;
        let mut zip = zip::ZipArchive::new(Cursor::new(data)).unwrap();
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for i in 0..zip.len() {
            let mut m = zip.by_index(i).unwrap();
            let name = m.name().to_string();
            let mut bytes = Vec::new();
            m.read_to_end(&mut bytes).unwrap();
            out.start_file(name.as_str(), stored).unwrap();
            out.write_all(&f(&name, bytes)).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    /// Damaged copies of every workbook format never panic, abort or hang in our readers (an
    /// unchecked length or an allocation sized from damaged data would): the xls bytes are
    /// damaged as they are, the parts of xlsx, xlsb and ods after decompression.
    #[test]
    fn damaged_copies_never_panic() {
        let damaged = crate::extract::testing::damaged;
        for (name, format) in [
            ("ansatte.xlsx", Format::Xlsx),
            ("tika_testEXCEL.xlsb", Format::Xlsb),
            ("ansatte.xls", Format::Xls),
            ("ansatte.ods", Format::Ods),
        ] {
            let data = fixture(name);
            for seed in 0..400 {
                let n = 1 + seed as usize % 8;
                let bad = if format == Format::Xls {
                    damaged(&data, seed, n)
                } else {
                    rezip(&data, |member, bytes| {
                        if member.starts_with("xl/") || member == "content.xml" {
                            damaged(&bytes, seed ^ bytes.len() as u64, n)
                        } else {
                            bytes
                        }
                    })
                };
                let _ = run(name, &bad, |i, s| extract(i, format, s));
            }
        }
    }

    /// Text of every cell by (sheet, cell), as our reader hands it over.
    fn ours(data: &[u8], format: Format) -> std::collections::BTreeMap<(String, String), String> {
        let det = crate::extract::testing::all_text();
        let (r, t) = run_with(&det, "x", data, |i, s| extract(i, format, s));
        r.unwrap();
        t.chunks
            .into_iter()
            .filter(|(loc, _, _)| loc.part.is_none())
            .map(|(loc, text, _)| ((loc.sheet.unwrap(), loc.cell.unwrap()), text))
            .collect()
    }

    /// The same through calamine's whole-sheet reader.
    fn calamines<RS: Read + Seek, R: Reader<RS>>(
        book: &mut R,
    ) -> std::collections::BTreeMap<(String, String), String> {
        let mut out = std::collections::BTreeMap::new();
        for name in book.sheet_names() {
            let range = book.worksheet_range(&name).unwrap();
            let (row0, col0) = range.start().unwrap_or((0, 0));
            for (r, c, v) in range.used_cells() {
                let mut text = String::new();
                match v {
                    Data::String(s) => text.push_str(s),
                    Data::Float(f) => render_number(*f, &mut text),
                    Data::Int(i) => text = i.to_string(),
                    _ => continue,
                }
                if text.is_empty() {
                    continue;
                }
                let mut cell = String::new();
                cell_name(row0 + r as u32, col0 + c as u32, &mut cell);
                out.insert((name.clone(), cell), text);
            }
        }
        out
    }

    /// A workbook of random cells: strings (shared, inline, rich; Norwegian letters, digits,
    /// addresses, long texts), numbers of every size, formulas with cached results, booleans
    /// and blanks, on visible and hidden sheets.
    fn random_workbook(seed: u64) -> Vec<u8> {
        use rust_xlsxwriter::{Format as Fmt, Workbook};
        let mut rng = crate::synth::Rng::new(seed);
        let mut wb = Workbook::new();
        let words = [
            "Navn",
            "Fødselsnummer",
            "æøå ÆØÅ",
            "kari@example.no",
            "13097248022",
            "",
            " mellom rom ",
            "a&b<c>\"d\"",
            "linje\nto",
            "x".repeat(300).leak(),
        ];
        for sheet in 0..1 + rng.below(3) {
            let ws = wb.add_worksheet();
            ws.set_name(format!("Ark {sheet}")).unwrap();
            if sheet == 1 {
                ws.set_hidden(true);
            }
            for _ in 0..rng.below(200) {
                let (r, c) = (rng.below(60) as u32, rng.below(30) as u16);
                let _ = match rng.below(8) {
                    0 | 1 => ws.write_string(r, c, *rng.pick(&words)),
                    2 => ws.write_number(r, c, rng.below(100_000_000_000) as f64),
                    3 => ws.write_number(r, c, rng.below(1_000_000) as f64 / 7.0),
                    4 => ws
                        .write_formula(r, c, "=1+1")
                        .map(|w| w.set_formula_result(r, c, "2")),
                    5 => ws.write_boolean(r, c, true),
                    6 => ws.write_rich_string(
                        r,
                        c,
                        &[
                            (&Fmt::new().set_bold(), "1309"),
                            (&Fmt::default(), "7248022"),
                        ],
                    ),
                    _ => ws.write_blank(r, c, &Fmt::new().set_bold()),
                };
            }
        }
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn xlsx_cells_agree_with_calamine() {
        for seed in 0..30 {
            let data = random_workbook(seed);
            let mut book = calamine::Xlsx::new(Cursor::new(&data)).unwrap();
            assert_eq!(
                ours(&data, Format::Xlsx),
                calamines(&mut book),
                "seed {seed}"
            );
        }
    }

    /// A hand-written xlsx: what other writers do (inline strings, formula strings, cells and
    /// rows without `r`, phonetic runs, rich shared strings, a chart sheet).
    fn hand_written(sheet: &str, strings: &str) -> Vec<u8> {
        use std::io::Write;
        let ns = r#"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
        let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
        let members = [
            ("[Content_Types].xml", "<Types/>".to_string()),
            (
                "xl/workbook.xml",
                format!(
                    r#"<workbook {ns}><sheets><sheet name="Ark" sheetId="1" r:id="rId1"/><sheet name="Graf" sheetId="2" r:id="rId3"/><sheet name="Gjemt" state="veryHidden" sheetId="3" r:id="rId4"/></sheets></workbook>"#
                ),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                format!(
                    r#"<Relationships><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/a.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings" Target="/xl/strings.xml"/><Relationship Id="rId3" Type="{rel}/chartsheet" Target="chartsheets/c.xml"/><Relationship Id="rId4" Type="{rel}/worksheet" Target="worksheets/a.xml"/></Relationships>"#
                ),
            ),
            (
                "xl/worksheets/a.xml",
                format!("<worksheet {ns}><sheetData>{sheet}</sheetData></worksheet>"),
            ),
            ("xl/strings.xml", format!("<sst {ns}>{strings}</sst>")),
        ];
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, text) in members {
            out.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            out.write_all(text.as_bytes()).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn xlsx_as_other_writers_write_it() {
        let strings = r#"<si><t>Fnr</t></si><si><r><t>1309</t></r><r><rPr><b/></rPr><t>7248022</t></r><rPh sb="0" eb="1"><t>99999999</t></rPh></si><si/><si><t>Mobil</t></si>"#;
        let sheet = r#"<row r="3"><c r="B3" t="s"><v>0</v></c><c t="s"><v>3</v></c></row>
            <row><c r="B4" t="s"><v>1</v></c><c t="inlineStr"><is><t>4030</t><t>0040</t></is></c></row>
            <row><c r="B5" t="str"><f>A1</f><v>kari@example.no</v></c><c r="C5" t="b"><v>1</v></c><c r="D5" t="e"><v>#N/A</v></c>
              <c r="E5" t="d"><v>2020-01-01T00:00:00</v></c><c r="F5"><v>1.2345678901E10</v></c><c r="G5" t="s"><v>2</v></c><c r="H5" t="s"><v>99</v></c></row>"#;
        let (r, t) = run("h.xlsx", &hand_written(sheet, strings), |i, s| {
            extract(i, Format::Xlsx, s)
        });
        assert_eq!(r.unwrap().note, None);
        assert_eq!(
            cells(&t),
            [
                "Ark!name",
                "Ark!B4=13097248022*",
                "Ark!C4=40300040",
                // Under the header `Fnr` in B3.
                "Ark!B5=kari@example.no*",
                "Ark!F5=12345678901",
                "Gjemt(hidden)!name",
                "Gjemt(hidden)!B4=13097248022*",
                "Gjemt(hidden)!C4=40300040",
                "Gjemt(hidden)!B5=kari@example.no*",
                "Gjemt(hidden)!F5=12345678901",
            ]
        );
    }

    /// A hand-written ods: repeated cells and rows (and a million empty rows), merged cells,
    /// paragraphs, spaces, an annotation, numbers by type.
    fn ods_of(table: &str) -> Vec<u8> {
        use std::io::Write;
        let content = format!(
            r#"<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"><office:automatic-styles><style:style style:name="ta2" style:family="table"><style:table-properties table:display="false"/></style:style></office:automatic-styles><office:body><office:spreadsheet>{table}</office:spreadsheet></office:body></office:document-content>"#
        );
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        out.start_file(
            "mimetype",
            opts.compression_method(zip::CompressionMethod::Stored),
        )
        .unwrap();
        out.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
            .unwrap();
        out.start_file("content.xml", opts).unwrap();
        out.write_all(content.as_bytes()).unwrap();
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn ods_repeats_merges_and_paragraphs() {
        let table = r#"<table:table table:name="A"><table:table-row><table:table-cell office:value-type="string"><text:p>Fnr</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Kontakt</text:p></table:table-cell></table:table-row>
            <table:table-row table:number-rows-repeated="2"><table:table-cell office:value-type="float" office:value="13097248022" table:number-columns-repeated="1"><text:p>13 097 248 022</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>40300040<text:s text:c="2"/>x</text:p><text:p>kari@example.no</text:p><office:annotation><text:p>20036914700</text:p></office:annotation></table:table-cell></table:table-row>
            <table:table-row><table:table-cell table:number-columns-spanned="2" office:value-type="date" office:date-value="2020-01-01"/><table:covered-table-cell office:value-type="float" office:value="20036914700"/></table:table-row>
            <table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table>
            <table:table table:name="B" table:style-name="ta2"><table:table-row><table:table-cell table:number-columns-repeated="3" office:value-type="float" office:value="40300040"/></table:table-row></table:table>"#;
        let (r, t) = run("x.ods", &ods_of(table), |i, s| extract(i, Format::Ods, s));
        assert_eq!(r.unwrap().note, None);
        assert_eq!(
            cells(&t),
            [
                "A!name",
                "A!A2=13097248022*",
                "A!B2=40300040  x\nkari@example.no",
                "A!A3=13097248022*",
                "A!B3=40300040  x\nkari@example.no",
                "A!B4=20036914700",
                "B(hidden)!name",
                "B(hidden)!A1=40300040",
                "B(hidden)!B1=40300040",
                "B(hidden)!C1=40300040",
            ]
        );
    }

    #[test]
    fn ods_cells_agree_with_calamine() {
        let data = fixture("ansatte.ods");
        let mut book = calamine::Ods::new(Cursor::new(&data)).unwrap();
        let theirs = calamines(&mut book);
        assert!(theirs.len() > 10);
        assert_eq!(ours(&data, Format::Ods), theirs);
    }

    #[test]
    fn xls_cells_agree_with_calamine() {
        let data = fixture("ansatte.xls");
        let mut book = calamine::Xls::new(Cursor::new(&data)).unwrap();
        let theirs = calamines(&mut book);
        assert!(theirs.len() > 10);
        assert_eq!(ours(&data, Format::Xls), theirs);
    }

    #[test]
    fn numbers_written_by_a_library_keep_their_digits() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("Tall").unwrap();
        ws.write_string(0, 0, "Fnr").unwrap();
        ws.write_number(1, 0, 1.2345678901E10).unwrap();
        ws.write_number(2, 0, 12.5).unwrap();
        ws.write_number(3, 0, 7).unwrap();
        let data = wb.save_to_buffer().unwrap();
        let (r, t) = run("tall.xlsx", &data, |i, s| extract(i, Format::Xlsx, s));
        assert!(r.is_ok());
        assert_eq!(cells(&t), ["Tall!name", "Tall!A2=12345678901*"]);
    }

    fn number(f: f64) -> String {
        let mut s = String::new();
        render_number(f, &mut s);
        s
    }

    #[test]
    fn numbers_have_no_float_artefacts() {
        assert_eq!(number(1.2345678901E10), "12345678901");
        assert_eq!(number(3851598730.0), "3851598730");
        assert_eq!(number(40300040.0), "40300040");
        assert_eq!(number(-7.0), "-7");
        assert_eq!(number(0.1), "0.1");
        assert_eq!(number(1234.5), "1234.5");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(1e300), "1e300");
    }

    #[test]
    fn cell_names_are_a1_style() {
        let name = |r, c| {
            let mut s = String::new();
            cell_name(r, c, &mut s);
            s
        };
        assert_eq!(name(0, 0), "A1");
        assert_eq!(name(6, 1), "B7");
        assert_eq!(name(0, 25), "Z1");
        assert_eq!(name(0, 26), "AA1");
        assert_eq!(name(9, 701), "ZZ10");
        assert_eq!(name(1_048_575, 16_383), "XFD1048576");
    }

    #[test]
    fn headers_are_texts_that_name_something() {
        assert!(is_header("Fødselsnummer"));
        assert!(is_header("Mobil (privat)"));
        assert!(!is_header("13097248022"));
        assert!(!is_header("kari@example.no"));
    }
}
