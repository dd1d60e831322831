//! Spreadsheets (xlsx, xlsm, xlsb, xls, ods) through calamine, one cell at a time.
//!
//! Every cell is its own [`Chunk`] with a fixed location (`{"sheet": "Ansatte", "cell": "B7"}`),
//! so a value is reported where a person finds it again, and a shared string counts once per
//! cell that shows it. The first text cell of a column is taken as its header and gives its
//! context (classes, and the identity flag that puts back a lost leading zero) to every cell
//! below it.
//!
//! Sheets are listed with `sheets_metadata()` and loaded one by one, because calamine's
//! `worksheets()` silently drops a sheet that fails: here a failing sheet makes the file
//! `partial` with reason `sheet_error` and its name in the detail. Hidden sheets are read like
//! the others and their findings carry `"hidden": true`. xlsx and xlsb are streamed cell by
//! cell (no dense grid in memory); xls and ods only have calamine's whole-sheet reader.
//!
//! Numbers are written as a person would type them: integral values without a fraction or an
//! exponent (1.2345678901E10 → `12345678901`). Formula cells hold their cached result, which
//! is what calamine returns as the cell value, so results are scanned like typed values.

use std::fmt::Write as _;
use std::io::{Cursor, Read, Seek};

use calamine::{Data, DataRef, Reader, SheetType, SheetVisible};

use super::{Chunk, ExtractError, Extracted, Input, Location, Position, Sink, Status};
use crate::detect::{ChunkContext, Detector, Header};
use crate::read::sniff::Format;

/// Columns in the widest format (xlsx: 16 384; ods allows 16 384 since LibreOffice 7.4).
const MAX_COLUMNS: usize = 16_384;

/// Reads a workbook: every sheet, every cell with a value.
pub fn extract(
    input: &mut Input<'_>,
    format: Format,
    sink: &mut dyn Sink,
) -> Result<Extracted, ExtractError> {
    if format == Format::Xls {
        super::ole::check_xls(input)?;
    }
    // calamine needs to seek around the container; a bounded in-memory copy is also faster
    // than seeking through a nested member's reader.
    let data = input.read_all()?;
    let bytes = data.len() as u64;
    let reader = Cursor::new(data);
    let mut cells = Cells::new(input, sink);
    let failed = match format {
        Format::Xlsx | Format::Xlsm => {
            let mut book = calamine::Xlsx::new(reader).map_err(|_| open_error(format))?;
            read_sheets(&mut book, &mut cells, |book, name, cells| {
                let mut r = book
                    .worksheet_cells_reader(name)
                    .map_err(|_| "damaged XML")?;
                while let Some(c) = r.next_cell().map_err(|_| "damaged XML")? {
                    cells.check_time()?;
                    cells.cell(c.get_position(), Value::of_ref(c.get_value()));
                }
                Ok(())
            })?
        }
        Format::Xlsb => {
            let mut book = calamine::Xlsb::new(reader).map_err(|_| open_error(format))?;
            read_sheets(&mut book, &mut cells, |book, name, cells| {
                let mut r = book
                    .worksheet_cells_reader(name)
                    .map_err(|_| "damaged records")?;
                while let Some(c) = r.next_cell().map_err(|_| "damaged records")? {
                    cells.check_time()?;
                    cells.cell(c.get_position(), Value::of_ref(c.get_value()));
                }
                Ok(())
            })?
        }
        Format::Xls => {
            let mut book = calamine::Xls::new(reader).map_err(|e| match e {
                calamine::XlsError::Password => {
                    ExtractError::Encrypted("password-protected xls workbook".into())
                }
                _ => open_error(format),
            })?;
            read_sheets(&mut book, &mut cells, range_reader)?
        }
        Format::Ods => {
            let mut book = calamine::Ods::new(reader).map_err(|e| match e {
                calamine::OdsError::Password => {
                    ExtractError::Encrypted("password-protected ods workbook".into())
                }
                _ => open_error(format),
            })?;
            read_sheets(&mut book, &mut cells, range_reader)?
        }
        other => unreachable!("not a workbook format: {other:?}"),
    };
    let out = Extracted::new(format.name(), bytes);
    Ok(match failed {
        Failed { count: 0, .. } => out,
        Failed { count, of, names } => out.with_note(
            Status::Partial,
            "sheet_error",
            format!(
                "{count} of {of} sheets could not be read: {}",
                names.join("; ")
            ),
        ),
    })
}

/// A workbook that cannot be opened at all. calamine's messages may quote XML, so only the
/// format is named.
fn open_error(format: Format) -> ExtractError {
    ExtractError::Corrupt(format!(
        "not a readable {} workbook (damaged or truncated)",
        format.name()
    ))
}

/// Sheets that could not be read.
struct Failed {
    count: usize,
    of: usize,
    /// `'Name' (why)` for each.
    names: Vec<String>,
}

/// Why a sheet failed; never document text. A time limit stops the whole file instead.
enum SheetError {
    Damaged(&'static str),
    Stop(ExtractError),
}

impl From<&'static str> for SheetError {
    fn from(why: &'static str) -> Self {
        SheetError::Damaged(why)
    }
}

impl From<ExtractError> for SheetError {
    fn from(e: ExtractError) -> Self {
        SheetError::Stop(e)
    }
}

/// Runs `read` on every sheet that holds cells, recording the ones that fail.
fn read_sheets<RS: Read + Seek, R: Reader<RS>>(
    book: &mut R,
    cells: &mut Cells<'_, '_>,
    read: impl Fn(&mut R, &str, &mut Cells<'_, '_>) -> Result<(), SheetError>,
) -> Result<Failed, ExtractError> {
    let sheets: Vec<_> = book
        .sheets_metadata()
        .iter()
        // Chart sheets and VBA modules have no cells.
        .filter(|s| !matches!(s.typ, SheetType::ChartSheet | SheetType::Vba))
        .cloned()
        .collect();
    let mut failed = Failed {
        count: 0,
        of: sheets.len(),
        names: Vec::new(),
    };
    for sheet in &sheets {
        cells.start_sheet(&sheet.name, sheet.visible != SheetVisible::Visible);
        match read(book, &sheet.name, cells) {
            Ok(()) => {}
            Err(SheetError::Damaged(why)) => {
                failed.count += 1;
                failed.names.push(format!("'{}' ({why})", sheet.name));
            }
            Err(SheetError::Stop(e)) => return Err(e),
        }
    }
    if failed.of > 0 && failed.count == failed.of {
        return Err(ExtractError::Corrupt(format!(
            "none of the {} sheets could be read: {}",
            failed.of,
            failed.names.join("; ")
        )));
    }
    Ok(failed)
}

/// Whole-sheet reading for the formats without a cell stream (xls, ods).
fn range_reader<RS: Read + Seek, R: Reader<RS>>(
    book: &mut R,
    name: &str,
    cells: &mut Cells<'_, '_>,
) -> Result<(), SheetError> {
    let range = book.worksheet_range(name).map_err(|_| "damaged sheet")?;
    let (row0, col0) = range.start().unwrap_or((0, 0));
    for (r, c, v) in range.used_cells() {
        cells.check_time()?;
        cells.cell((row0 + r as u32, col0 + c as u32), Value::of(v));
    }
    Ok(())
}

/// The part of a cell value that is scanned.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Value<'a> {
    Text(&'a str),
    Int(i64),
    Float(f64),
    /// Dates, booleans, errors, empty cells: nothing to find.
    None,
}

impl<'a> Value<'a> {
    fn of(d: &'a Data) -> Value<'a> {
        match d {
            Data::String(s) => Value::Text(s),
            Data::Int(i) => Value::Int(*i),
            Data::Float(f) => Value::Float(*f),
            _ => Value::None,
        }
    }

    fn of_ref(d: &'a DataRef<'_>) -> Value<'a> {
        match d {
            DataRef::String(s) => Value::Text(s),
            DataRef::SharedString(s) => Value::Text(s),
            DataRef::Int(i) => Value::Int(*i),
            DataRef::Float(f) => Value::Float(*f),
            _ => Value::None,
        }
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
fn is_header(text: &str) -> bool {
    text.chars().any(char::is_alphabetic) && !text.contains('@')
}

/// The state of one sheet's cell stream: the column headers seen so far and a reused location
/// and number buffer.
struct Cells<'i, 's> {
    det: &'i Detector,
    clock: super::Clock,
    sink: &'s mut dyn Sink,
    /// Per column: its header, once its first text cell was seen.
    headers: Vec<Option<Header>>,
    /// Cells since the clock was last read.
    ticks: u32,
    loc: Location,
    number: String,
}

impl<'i, 's> Cells<'i, 's> {
    fn new(input: &Input<'i>, sink: &'s mut dyn Sink) -> Cells<'i, 's> {
        Cells {
            det: input.det,
            clock: input.clock,
            sink,
            headers: Vec::new(),
            ticks: 0,
            loc: Location::default(),
            number: String::new(),
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

    fn start_sheet(&mut self, name: &str, hidden: bool) {
        self.headers.clear();
        self.loc = Location {
            sheet: Some(name.to_string()),
            cell: Some(String::new()),
            hidden,
            ..Location::default()
        };
    }

    fn cell(&mut self, (row, col): (u32, u32), value: Value<'_>) {
        let col_i = col as usize;
        let header = self.headers.get(col_i).copied().flatten();
        let text = match value {
            Value::Text("") => return,
            Value::Text(t) => {
                // A damaged file can name any column: headers are kept for the columns the
                // formats allow, so this table never grows past them.
                if header.is_none() && col_i < MAX_COLUMNS && is_header(t) {
                    if self.headers.len() <= col_i {
                        self.headers.resize(col_i + 1, None);
                    }
                    self.headers[col_i] = Some(self.det.header(t));
                }
                t
            }
            Value::Int(i) => {
                self.number.clear();
                let _ = write!(self.number, "{i}");
                &self.number
            }
            Value::Float(f) => {
                render_number(f, &mut self.number);
                &self.number
            }
            Value::None => return,
        };
        cell_name(row, col, self.loc.cell.get_or_insert_with(String::new));
        let ctx = ChunkContext {
            header,
            ..ChunkContext::default()
        };
        self.sink
            .chunk(&Chunk::whole(text, &self.loc, Position::Fixed, ctx));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::testing::{fixture, run, Texts};

    fn read(name: &str, format: Format) -> (Result<Extracted, ExtractError>, Texts) {
        run(name, &fixture(name), |input, sink| {
            extract(input, format, sink)
        })
    }

    /// `Sheet!Cell=text` (with `*` for an identity column, `(hidden)` for a hidden sheet).
    fn cells(t: &Texts) -> Vec<String> {
        t.chunks
            .iter()
            .map(|(loc, text, identity)| {
                format!(
                    "{}{}!{}={text}{}",
                    loc.sheet.as_deref().unwrap_or("?"),
                    if loc.hidden { "(hidden)" } else { "" },
                    loc.cell.as_deref().unwrap_or("?"),
                    if *identity { "*" } else { "" }
                )
            })
            .collect()
    }

    const ANSATTE: &[&str] = &[
        "Ansatte!A1=Navn",
        "Ansatte!B1=Fødselsnummer",
        "Ansatte!C1=Mobil",
        "Ansatte!D1=E-post",
        "Ansatte!A2=Kari Nordmann",
        "Ansatte!B2=13097248022*",
        "Ansatte!C2=40300040",
        "Ansatte!D2=kari@example.no",
        "Ansatte!A3=Ola Nordmann",
        "Ansatte!B3=3851598730*",
        "Ansatte!C3=92345678",
        "Ansatte!D3=felles@example.no",
        "Ansatte!A4=Per Hansen",
        "Ansatte!B4=20036914700*",
        "Ansatte!D4=felles@example.no",
        "Skjult(hidden)!A1=Personnummer",
        "Skjult(hidden)!B1=Merknad",
        "Skjult(hidden)!A2=41819077302*",
        "Skjult(hidden)!B2=tekst",
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
            assert_eq!(cells(&t), ANSATTE, "{name}");
        }
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
        assert_eq!(cells(&t), &ANSATTE[..15]);
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

    /// Damaged copies never abort the process (an allocation sized from damaged data would)
    /// nor hang. A panic inside calamine is allowed here: the scan layer records it as
    /// `parser_panic` (debug builds also panic on calamine's integer overflows).
    #[test]
    fn damaged_copies_never_abort() {
        for (name, format) in [
            ("ansatte.xlsx", Format::Xlsx),
            ("ansatte.ods", Format::Ods),
            ("ansatte.xls", Format::Xls),
        ] {
            let data = fixture(name);
            for seed in 0..150 {
                let bad = crate::extract::testing::damaged(&data, seed, 1 + seed as usize % 8);
                let _ = std::panic::catch_unwind(|| run(name, &bad, |i, s| extract(i, format, s)));
            }
        }
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
        assert_eq!(
            cells(&t),
            [
                "Tall!A1=Fnr",
                "Tall!A2=12345678901*",
                "Tall!A3=12.5*",
                "Tall!A4=7*"
            ]
        );
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
