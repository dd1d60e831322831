//! OLE2 compound files (`D0 CF 11 E0`): a container format shared by xls workbooks, Word .doc,
//! PowerPoint .ppt, Outlook .msg and password-protected OOXML files. What a file is, is decided
//! by the names of the streams in its root storage (read from the directory only), as
//! [`super::zipkind`] does for zips; only workbooks are read, the others get a status that
//! names the likely format.

use std::io::Read;

use super::{ExtractError, Extracted, Input, ReadSeek};
use crate::read::sniff::Format;

/// Classifies by the root storage's entry names.
///
/// Workbooks are `Workbook` (or `Book` for Excel 5); an OOXML file encrypted with a password
/// holds `EncryptionInfo` + `EncryptedPackage`; Word has `WordDocument`, PowerPoint
/// `PowerPoint Document`, Outlook messages `__substg1.0_*` property streams.
pub fn classify(input: &mut Input<'_>) -> Result<Format, ExtractError> {
    let cf = cfb::CompoundFile::open(input.seekable()?).map_err(|_| {
        ExtractError::Corrupt("damaged OLE compound file (directory unreadable)".into())
    })?;
    let names: Vec<String> = cf
        .read_root_storage()
        .map(|e| e.name().to_string())
        .collect();
    let has = |n: &str| names.iter().any(|x| x == n);
    Ok(if has("EncryptedPackage") {
        Format::EncryptedOoxml
    } else if has("Workbook") || has("Book") {
        Format::Xls
    } else if has("WordDocument") {
        Format::Doc
    } else if has("PowerPoint Document") {
        Format::Ppt
    } else if names.iter().any(|n| n.starts_with("__substg1.0_")) {
        Format::Msg
    } else {
        Format::Ole
    })
}

fn open(reader: &mut dyn ReadSeek) -> Result<cfb::CompoundFile<&mut dyn ReadSeek>, ExtractError> {
    cfb::CompoundFile::open(reader).map_err(|_| {
        ExtractError::Corrupt("damaged OLE compound file (directory unreadable)".into())
    })
}

/// BIFF8 sheets have at most 65 536 rows.
const XLS_MAX_ROWS: u64 = 65_536;

/// Checks the sheet dimensions and cell columns of an xls before calamine sees them: calamine
/// reserves rows × columns cells from the DIMENSIONS record and lays cells out in a dense
/// grid, so a damaged value would abort the process on allocation (found by
/// `damaged_copies_never_abort`). Records are walked from the start of
/// the stream and from every sheet offset that BOUNDSHEET records give.
pub fn check_xls(input: &mut Input<'_>) -> Result<(), ExtractError> {
    let max = input.limits.max_parse_bytes;
    let mut cf = open(input.seekable()?)?;
    let name = if cf.is_stream("/Workbook") {
        "/Workbook"
    } else {
        "/Book"
    };
    let mut stream = Vec::new();
    cf.open_stream(name)
        .map_err(|_| ExtractError::Corrupt("damaged xls workbook stream".into()))?
        .take(max)
        .read_to_end(&mut stream)?;
    let globals = walk_records(&stream, 0).ok_or_else(too_large)?;
    // Sheets at record boundaries were checked by the walk from the start; calamine reads a
    // sheet from its BOUNDSHEET offset even when damage puts that mid-record.
    for &at in &globals.sheets {
        if globals.boundaries.binary_search(&at).is_err() {
            walk_records(&stream, at).ok_or_else(too_large)?;
        }
    }
    Ok(())
}

fn too_large() -> ExtractError {
    ExtractError::Corrupt(
        "damaged xls workbook: a sheet's dimensions or a cell lie beyond the format's limits"
            .into(),
    )
}

/// Whether calamine can size a sheet from these DIMENSIONS fields: it computes
/// `(last - 1) - first + 1` rows and columns (a first column over 255 counts as 0) and
/// reserves their product, so the rows must not run backwards and the grid must fit the
/// format (65 536 × 256).
fn dimensions_ok(first_row: u64, last_row: u64, first_col: u64, last_col: u64) -> bool {
    if last_row == 0 || last_col == 0 {
        return true; // calamine then uses a one-cell grid
    }
    let first_col = if first_col > 0xFF || last_col < first_col {
        0
    } else {
        first_col
    };
    last_row > first_row
        && (last_row - first_row).saturating_mul(last_col - first_col) <= XLS_MAX_ROWS * 256
}

/// What a walk through BIFF records saw.
struct Records {
    /// Offsets of the records, ascending.
    boundaries: Vec<usize>,
    /// Sheet offsets from BOUNDSHEET records.
    sheets: Vec<usize>,
}

/// Walks BIFF records from `pos` to the end of the stream; None if a DIMENSIONS or cell
/// record is out of the format's bounds.
fn walk_records(stream: &[u8], mut pos: usize) -> Option<Records> {
    let u16_at = |p: usize| u16::from_le_bytes([stream[p], stream[p + 1]]);
    let u32_at =
        |p: usize| u32::from_le_bytes([stream[p], stream[p + 1], stream[p + 2], stream[p + 3]]);
    let mut seen = Records {
        boundaries: Vec::new(),
        sheets: Vec::new(),
    };
    while pos + 4 <= stream.len() {
        let (typ, len) = (u16_at(pos), u16_at(pos + 2) as usize);
        let data = pos + 4;
        if data + len > stream.len() {
            break;
        }
        seen.boundaries.push(pos);
        match (typ, len) {
            // DIMENSIONS: first row, last row + 1 (u32 in BIFF8, u16 before), first column,
            // last column + 1.
            (0x0200, 10 | 14) => {
                let (rows, cols) = if len == 14 {
                    (u32_at(data) as u64, u32_at(data + 4) as u64)
                } else {
                    (u16_at(data) as u64, u16_at(data + 2) as u64)
                };
                let c = if len == 14 { data + 8 } else { data + 4 };
                let (first_col, last_col) = (u16_at(c) as u64, u16_at(c + 2) as u64);
                if !dimensions_ok(rows, cols, first_col, last_col) {
                    return None;
                }
            }
            // Cell records (FORMULA, LABELSST, BLANK, NUMBER, LABEL, BOOLERR, RK): row, column.
            // calamine lays xls cells out in a dense grid, so one column past the format's
            // 256 would make the grid up to 65 536 columns wide.
            (0x0006 | 0x00FD | 0x0201 | 0x0203 | 0x0204 | 0x0205 | 0x027E, 4..)
                if u16_at(data + 2) > 0xFF =>
            {
                return None
            }
            // MULRK, MULBLANK: row, first column, ..., last column.
            (0x00BD | 0x00BE, 6..) if u16_at(data + 2) > 0xFF || u16_at(data + len - 2) > 0xFF => {
                return None
            }
            // BOUNDSHEET: the stream offset of a sheet.
            (0x0085, 4..) => seen.sheets.push(u32_at(data) as usize),
            _ => {}
        }
        pos = data + len;
    }
    Some(seen)
}

/// The status of an OLE2 file that is not a workbook (workbooks go to [`super::sheet`]).
pub fn unread(format: Format) -> Result<Extracted, ExtractError> {
    Err(match format {
        Format::EncryptedOoxml => ExtractError::Encrypted(
            "password-protected Office document (encrypted xlsx/docx/pptx package)".into(),
        ),
        Format::Doc => {
            ExtractError::Unsupported("Word 97-2003 document (.doc, OLE2) is not read".into())
        }
        Format::Ppt => ExtractError::Unsupported(
            "PowerPoint 97-2003 presentation (.ppt, OLE2) is not read".into(),
        ),
        Format::Msg => ExtractError::Unsupported("Outlook message (.msg, OLE2) is not read".into()),
        _ => ExtractError::Unsupported(
            "OLE2 compound file that is not an xls workbook (no Workbook stream)".into(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::testing::{fixture, run};

    fn kind(name: &str) -> Format {
        let mut k = None;
        let _ = run(name, &fixture(name), |input, _| {
            k = Some(classify(input).unwrap());
            Ok(Extracted::default())
        });
        k.unwrap()
    }

    #[test]
    fn compound_files_are_told_apart_by_their_streams() {
        assert_eq!(kind("ansatte.xls"), Format::Xls);
        assert_eq!(kind("encrypted.xlsx"), Format::EncryptedOoxml);
        assert_eq!(kind("brev.doc"), Format::Doc);
    }

    #[test]
    fn cells_and_dimensions_beyond_the_format_are_refused() {
        let record = |typ: u16, data: &[u8]| {
            let mut r = typ.to_le_bytes().to_vec();
            r.extend((data.len() as u16).to_le_bytes());
            r.extend(data);
            r
        };
        let number = |row: u16, col: u16| {
            let mut d = row.to_le_bytes().to_vec();
            d.extend(col.to_le_bytes());
            d.extend([0; 10]);
            record(0x0203, &d)
        };
        let dims = |first: u32, last: u32, cols: u16| {
            let mut d = first.to_le_bytes().to_vec();
            d.extend(last.to_le_bytes());
            d.extend(0u16.to_le_bytes());
            d.extend(cols.to_le_bytes());
            d.extend([0, 0]);
            record(0x0200, &d)
        };
        assert!(walk_records(&[dims(0, 100, 4), number(99, 3)].concat(), 0).is_some());
        assert!(walk_records(&number(0, 256), 0).is_none());
        assert!(walk_records(&dims(0, 1_000_000, 200), 0).is_none());
        assert!(
            walk_records(&dims(7, 3, 4), 0).is_none(),
            "rows run backwards"
        );
        assert!(walk_records(&dims(0, 0, 0), 0).is_some(), "an empty sheet");
    }

    #[test]
    fn a_damaged_directory_is_corrupt() {
        let data = fixture("ansatte.xls");
        let (r, _) = run("x.xls", &data[..600], |i, _| {
            classify(i).map(|_| Extracted::default())
        });
        assert!(matches!(r, Err(ExtractError::Corrupt(_))), "{r:?}");
    }
}
