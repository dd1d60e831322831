//! xlsb (Excel binary workbooks, MS-XLSB), record by record.
//!
//! An xlsb is a zip like an xlsx, with the same relationships, but its parts are streams of
//! records: a type (one or two bytes of 7 bits), a size (one to four bytes of 7 bits) and that
//! many bytes. The sheet list is in `xl/workbook.bin` (`BrtBundleSh`: state, tab id, the
//! relationship id and the name), the shared strings in the part the relationships name
//! (`BrtSSTItem`), and each sheet's cells between `BrtBeginSheetData` and `BrtEndSheetData`:
//! `BrtRowHdr` sets the row, each cell record starts with its column, and the value follows
//! (an RK number, a double, a string, a shared string index, a cached formula result). Every
//! length is checked against the record before it is used, and only the records that carry
//! values are read into memory; the others are skipped as they stream by.
//!
//! Some writers put four more bytes before the relationship id in `BrtBundleSh` (Apache
//! Tika's `testEXCEL.xlsb`); a record is read in whichever layout accounts for all its bytes
//! and names a relationship that exists.

use std::io::{self, BufRead, BufReader, Read, Seek};

use super::{open_error, rk, Cells, SheetError, Value};
use crate::extract::office::{self, Rel};
use crate::extract::{archive, ExtractError, Input, LimitHit, Limits};
use crate::read::sniff::Format;

/// Bytes of a record that is read (one cell, one string): Excel's longest string is 32 767
/// characters, 64 KiB.
const MAX_RECORD: u32 = 1 << 20;

const ROW_HDR: u16 = 0x0000;
const CELL_RK: u16 = 0x0002;
const CELL_REAL: u16 = 0x0005;
const CELL_ST: u16 = 0x0006;
const CELL_ISST: u16 = 0x0007;
const FMLA_STRING: u16 = 0x0008;
const FMLA_NUM: u16 = 0x0009;
const SST_ITEM: u16 = 0x0013;
const CELL_RSTRING: u16 = 0x003E;
const END_SHEET_DATA: u16 = 0x0092;
const BUNDLE_SH: u16 = 0x009C;

pub(super) fn read(input: &mut Input<'_>, cells: &mut Cells<'_, '_>) -> Result<(), ExtractError> {
    let limits = input.limits;
    let mut zip = archive::open_zip(input).map_err(|e| match e {
        ExtractError::Corrupt(_) => open_error(Format::Xlsb),
        e => e,
    })?;
    let rels = office::rels(&mut zip, "xl/workbook.bin", limits)?;
    let sheets = workbook(&mut zip, &rels, limits)?;
    if sheets.is_empty() {
        return Err(open_error(Format::Xlsb));
    }
    let strings = rels
        .iter()
        .find(|r| r.kind.ends_with("/sharedStrings"))
        .map_or("xl/sharedStrings.bin", |r| r.target.as_str());
    shared_strings(&mut zip, strings, limits, cells)?;
    for (name, hidden, member) in &sheets {
        cells.sheet(name, *hidden, |cells| {
            sheet(&mut zip, member, limits, cells)
        })?;
    }
    if !office::props::ooxml(&mut zip, limits, cells.sink)? {
        cells.note("damaged_parts", "the document properties are damaged");
    }
    Ok(())
}

/// A part's records.
struct Records<R> {
    r: BufReader<R>,
    /// The data of the last record read with [`Records::next`], if it was wanted.
    data: Vec<u8>,
}

impl<R: Read> Records<R> {
    fn new(r: R) -> Records<R> {
        Records {
            r: BufReader::with_capacity(64 << 10, r),
            data: Vec::new(),
        }
    }

    /// The next record's type, its data in `self.data` if `want` says so (else skipped).
    /// None at the end of the part.
    fn next(&mut self, want: impl Fn(u16) -> bool) -> Result<Option<u16>, SheetError> {
        let Some(first) = self.byte()? else {
            return Ok(None);
        };
        let mut typ = u16::from(first & 0x7F);
        if first & 0x80 != 0 {
            let b = self.more()?;
            if b & 0x80 != 0 {
                return Err(SheetError::Damaged("damaged records"));
            }
            typ |= u16::from(b) << 7;
        }
        let mut size = 0u32;
        for i in 0..4 {
            let b = self.more()?;
            size |= u32::from(b & 0x7F) << (7 * i);
            if b & 0x80 == 0 {
                break;
            }
            if i == 3 {
                return Err(SheetError::Damaged("damaged records"));
            }
        }
        self.data.clear();
        if want(typ) {
            if size > MAX_RECORD {
                return Err(SheetError::Damaged("a record too long for its kind"));
            }
            let n = (&mut self.r)
                .take(u64::from(size))
                .read_to_end(&mut self.data)
                .map_err(io_error)?;
            if n != size as usize {
                return Err(SheetError::Damaged("truncated records"));
            }
        } else {
            let n = io::copy(&mut (&mut self.r).take(u64::from(size)), &mut io::sink())
                .map_err(io_error)?;
            if n != u64::from(size) {
                return Err(SheetError::Damaged("truncated records"));
            }
        }
        Ok(Some(typ))
    }

    /// The next byte; None at the end of the part.
    fn byte(&mut self) -> Result<Option<u8>, SheetError> {
        let b = self.r.fill_buf().map_err(io_error)?.first().copied();
        if b.is_some() {
            self.r.consume(1);
        }
        Ok(b)
    }

    /// The next byte of a record header, which cannot end there.
    fn more(&mut self) -> Result<u8, SheetError> {
        self.byte()?.ok_or(SheetError::Damaged("truncated records"))
    }
}

/// A limit carried by the stream (the ratio guard) stops the file; other errors are damage.
fn io_error(e: io::Error) -> SheetError {
    match LimitHit::in_io(&e) {
        Some(hit) => SheetError::Stop(ExtractError::Limit(hit.clone())),
        None => SheetError::Damaged("damaged data"),
    }
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn f64_at(b: &[u8], at: usize) -> Option<f64> {
    Some(f64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// An `XLWideString` (a count of UTF-16 units, then the units) at `at`: the text and where it
/// ends. A nullable string's null (count `0xFFFFFFFF`) is empty.
fn wide(b: &[u8], at: usize) -> Option<(String, usize)> {
    let count = u32_at(b, at)?;
    if count == u32::MAX {
        return Some((String::new(), at + 4));
    }
    let end = (at + 4).checked_add(count as usize * 2)?;
    let units = b.get(at + 4..end)?;
    let text = encoding_rs::UTF_16LE
        .decode_without_bom_handling(units)
        .0
        .into_owned();
    Some((text, end))
}

/// Opens a part's records; None if there is no such part.
fn records<'z, R: Read + Seek>(
    zip: &'z mut zip::ZipArchive<R>,
    member: &str,
    limits: &Limits,
) -> Result<Option<Records<impl Read + 'z>>, ExtractError> {
    Ok(archive::open_member(zip, member, limits)?.map(Records::new))
}

/// (name, hidden, member) of every sheet with cells, in workbook order; without a readable
/// sheet list, the worksheets the relationships name.
fn workbook<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    rels: &[Rel],
    limits: &Limits,
) -> Result<Vec<(String, bool, String)>, ExtractError> {
    let mut sheets = Vec::new();
    if let Some(mut recs) = records(zip, "xl/workbook.bin", limits)? {
        loop {
            match recs.next(|t| t == BUNDLE_SH) {
                Ok(Some(BUNDLE_SH)) => {
                    if let Some((hidden, rel, name)) = bundle(&recs.data, rels) {
                        if rel.kind.ends_with("/worksheet") {
                            sheets.push((name, hidden, rel.target.clone()));
                        }
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(SheetError::Damaged(_)) => break,
                Err(SheetError::Stop(e)) => return Err(e),
            }
        }
    }
    if sheets.is_empty() {
        sheets = rels
            .iter()
            .filter(|r| r.kind.ends_with("/worksheet"))
            .map(|r| {
                let name = r.target.rsplit('/').next().unwrap_or_default();
                (name.to_string(), false, r.target.clone())
            })
            .collect();
    }
    Ok(sheets)
}

/// A `BrtBundleSh`: (hidden, its relationship, name), in the layout of the specification or
/// with four more bytes before the relationship id.
fn bundle<'r>(b: &[u8], rels: &'r [Rel]) -> Option<(bool, &'r Rel, String)> {
    let state = u32_at(b, 0)?;
    [8, 12].into_iter().find_map(|at| {
        let (id, end) = wide(b, at)?;
        let (name, end) = wide(b, end)?;
        let rel = rels.iter().find(|r| r.id == id)?;
        (end == b.len()).then_some((state != 0, rel, name))
    })
}

/// Reads the shared strings into `cells`; damage keeps the strings before it and makes the
/// file partial.
fn shared_strings<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    member: &str,
    limits: &Limits,
    cells: &mut Cells<'_, '_>,
) -> Result<(), ExtractError> {
    let Some(mut recs) = records(zip, member, limits)? else {
        return Ok(());
    };
    let mut count = 0u64;
    loop {
        cells.check_time()?;
        match recs.next(|t| t == SST_ITEM) {
            // A RichStr: flags, then the text.
            Ok(Some(SST_ITEM)) => {
                let text = wide(&recs.data, 1).map(|(s, _)| s).unwrap_or_default();
                cells.shared_string(&text);
                count += 1;
            }
            Ok(Some(_)) => {}
            Ok(None) => return Ok(()),
            Err(SheetError::Damaged(_)) => {
                cells.note(
                    "damaged_parts",
                    format!("the shared string table is damaged after string {count}"),
                );
                return Ok(());
            }
            Err(SheetError::Stop(e)) => return Err(e),
        }
    }
}

/// Streams one sheet's cells into `cells`.
fn sheet<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    member: &str,
    limits: &Limits,
    cells: &mut Cells<'_, '_>,
) -> Result<(), SheetError> {
    let Some(mut recs) = records(zip, member, limits)? else {
        return Err(SheetError::Damaged("its part is missing"));
    };
    let want = |t| {
        matches!(
            t,
            ROW_HDR
                | CELL_RK
                | CELL_REAL
                | CELL_ST
                | CELL_ISST
                | FMLA_STRING
                | FMLA_NUM
                | CELL_RSTRING
        )
    };
    let mut row = 0u32;
    while let Some(typ) = recs.next(want)? {
        cells.check_time()?;
        let d = &recs.data;
        if typ == END_SHEET_DATA {
            break;
        }
        if typ == ROW_HDR {
            row = u32_at(d, 0).ok_or(SheetError::Damaged("damaged records"))?;
            continue;
        }
        if !want(typ) {
            continue;
        }
        let damaged = || SheetError::Damaged("damaged records");
        let col = u32_at(d, 0).ok_or_else(damaged)?;
        let text;
        let value = match typ {
            CELL_RK => rk(u32_at(d, 8).ok_or_else(damaged)?),
            CELL_REAL | FMLA_NUM => Value::Float(f64_at(d, 8).ok_or_else(damaged)?),
            CELL_ISST => Value::Shared(u32_at(d, 8).ok_or_else(damaged)?),
            // A string; a rich string has a flags byte first.
            _ => {
                let at = if typ == CELL_RSTRING { 9 } else { 8 };
                text = wide(d, at).ok_or_else(damaged)?.0;
                Value::Text(&text)
            }
        };
        cells.cell((row, col), value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(id: &str) -> Rel {
        Rel {
            id: id.into(),
            kind: "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
                .into(),
            target: "xl/worksheets/sheet1.bin".into(),
        }
    }

    fn wide_bytes(s: &str) -> Vec<u8> {
        let units: Vec<u16> = s.encode_utf16().collect();
        let mut b = (units.len() as u32).to_le_bytes().to_vec();
        b.extend(units.iter().flat_map(|u| u.to_le_bytes()));
        b
    }

    #[test]
    fn bundles_in_both_layouts() {
        let rels = [rel("rId1")];
        let mut standard = vec![1, 0, 0, 0, 1, 0, 0, 0];
        standard.extend(wide_bytes("rId1"));
        standard.extend(wide_bytes("Ark 1"));
        let (hidden, r, name) = bundle(&standard, &rels).unwrap();
        assert_eq!(
            (hidden, r.id.as_str(), name.as_str()),
            (true, "rId1", "Ark 1")
        );
        let mut longer = vec![0; 12];
        longer[8] = 1;
        longer.extend(wide_bytes("rId1"));
        longer.extend(wide_bytes("Ark 1"));
        let (hidden, _, name) = bundle(&longer, &rels).unwrap();
        assert_eq!((hidden, name.as_str()), (false, "Ark 1"));
        assert!(bundle(&standard[..standard.len() - 1], &rels).is_none());
        assert!(bundle(&standard, &[rel("rId2")]).is_none());
    }

    #[test]
    fn wide_strings_are_bounds_checked() {
        let b = wide_bytes("Fnr");
        assert_eq!(wide(&b, 0), Some(("Fnr".into(), 10)));
        assert_eq!(wide(&b[..9], 0), None);
        assert_eq!(wide(&[0xFF; 4], 0), Some((String::new(), 4)));
        assert_eq!(wide(&[0xFE, 0xFF, 0xFF, 0xFF], 0), None);
    }

    #[test]
    fn records_with_one_and_two_byte_types_and_long_sizes() {
        let mut part = vec![0x13, 3, 1, 2, 3];
        // Type 0x0092 needs two bytes (0x92 0x01), size 200 needs two (0xC8 0x01).
        part.extend([0x92, 0x01, 0xC8, 0x01]);
        part.extend([7; 200]);
        let mut r = Records::new(&part[..]);
        assert_eq!(r.next(|_| true).unwrap(), Some(0x13));
        assert_eq!(r.data, [1, 2, 3]);
        assert_eq!(r.next(|_| false).unwrap(), Some(0x92));
        assert!(r.data.is_empty());
        assert_eq!(r.next(|_| true).unwrap(), None);
        let mut r = Records::new(&part[..7]);
        r.next(|_| true).unwrap();
        assert!(matches!(r.next(|_| true), Err(SheetError::Damaged(_))));
    }
}
