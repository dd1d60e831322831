//! xls: BIFF8 (Excel 97-2003) and BIFF5 (Excel 5/95) workbooks, record by record.
//!
//! The workbook is the `Workbook` (BIFF8) or `Book` (BIFF5) stream of an OLE2 compound file: a
//! run of records (type, length, data). The globals come first, up to their `EOF`: `FILEPASS`
//! if the workbook is encrypted, the `CODEPAGE` of BIFF5 byte strings, one `BOUNDSHEET` per
//! sheet (its stream offset, state, kind and name) and the shared string table (`SST`, which
//! spills into `CONTINUE` records, with a new flags byte wherever a string's characters cross
//! into one). Each sheet is then read from its offset, from its `BOF` to its `EOF`: `LABELSST`,
//! `LABEL`, `RSTRING`, `NUMBER`, `RK`, `MULRK`, and `FORMULA` with its cached result (a number
//! in the record, a string in the `STRING` record after it).
//!
//! Records are read one at a time from the stream (never the whole stream), and every length
//! is checked against the record before it is used, so damaged data makes a sheet (or the
//! string table) fail on its own while the rest is read. An encrypted workbook
//! (`FILEPASS`: XOR obfuscation, RC4, RC4 CryptoAPI) is `encrypted`.

use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};

use super::{Cells, SheetError, Value};
use crate::extract::office::code_page;
use crate::extract::ole;
use crate::extract::{ExtractError, Input, LimitHit};

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const FILEPASS: u16 = 0x002F;
const CODEPAGE: u16 = 0x0042;
const BOUNDSHEET: u16 = 0x0085;
const SST: u16 = 0x00FC;
const CONTINUE: u16 = 0x003C;
const LABELSST: u16 = 0x00FD;
const LABEL: u16 = 0x0204;
const RSTRING: u16 = 0x00D6;
const NUMBER: u16 = 0x0203;
const RK: u16 = 0x027E;
const MULRK: u16 = 0x00BD;
const FORMULA: u16 = 0x0006;
const STRING: u16 = 0x0207;

pub(super) fn read(input: &mut Input<'_>, cells: &mut Cells<'_, '_>) -> Result<(), ExtractError> {
    let mut cf = ole::open(input.seekable()?)?;
    // Before the workbook: an encrypted workbook keeps its properties readable.
    crate::extract::office::props::ole(&mut cf, cells.sink);
    let name = ["/Workbook", "/Book"]
        .into_iter()
        .find(|n| cf.is_stream(n))
        .ok_or_else(|| ExtractError::Corrupt("an xls file without a workbook stream".into()))?;
    let stream = cf
        .open_stream(name)
        .map_err(|_| ExtractError::Corrupt("damaged xls workbook stream".into()))?;
    let mut biff = Biff::new(stream);
    let book = globals(&mut biff, cells)?;
    // The sheets' substreams in stream order, found only if some offset is wrong.
    let mut found: Option<Vec<u64>> = None;
    for (i, s) in book.sheets.iter().enumerate() {
        if !s.cells {
            continue;
        }
        cells.sheet(&s.name, s.hidden, |cells| {
            // Substreams follow the globals in the order of their BOUNDSHEET records: a
            // damaged offset is replaced by the position of the sheet's substream.
            let mut offset = s.offset;
            if !biff.starts_substream(offset) {
                let found = found.get_or_insert_with(|| biff.substreams(book.end));
                offset = found.get(i).copied().unwrap_or(offset);
            }
            sheet(&mut biff, offset, &book, cells)
        })?;
    }
    Ok(())
}

/// The records of a workbook stream.
struct Biff<R> {
    r: BufReader<R>,
    /// Stream offset of the next record.
    pos: u64,
    typ: u16,
    data: Vec<u8>,
    /// A record read ahead (after an `SST`'s last `CONTINUE`), returned next.
    ahead: bool,
}

impl<R: Read + Seek> Biff<R> {
    fn new(r: R) -> Biff<R> {
        Biff {
            r: BufReader::with_capacity(64 << 10, r),
            pos: 0,
            typ: 0,
            data: Vec::new(),
            ahead: false,
        }
    }

    fn seek(&mut self, offset: u64) -> Result<(), SheetError> {
        self.ahead = false;
        self.r.seek(SeekFrom::Start(offset)).map_err(io_error)?;
        self.pos = offset;
        Ok(())
    }

    /// Whether a `BOF` record is at `offset`.
    fn starts_substream(&mut self, offset: u64) -> bool {
        self.seek(offset).is_ok() && matches!(self.next(), Ok(Some(BOF)))
    }

    /// The offsets of the substreams (`BOF` to `EOF`) from `offset` on, in stream order, up
    /// to the end or damage.
    fn substreams(&mut self, offset: u64) -> Vec<u64> {
        let mut found = Vec::new();
        if self.seek(offset).is_err() {
            return found;
        }
        let mut depth = 0u32;
        loop {
            let at = self.pos;
            match self.next() {
                Ok(Some(BOF)) => {
                    if depth == 0 {
                        found.push(at);
                    }
                    depth += 1;
                }
                Ok(Some(EOF)) => depth = depth.saturating_sub(1),
                Ok(Some(_)) => {}
                _ => return found,
            }
        }
    }

    /// The next record (its type; data in `self.data`); None at the end of the stream.
    fn next(&mut self) -> Result<Option<u16>, SheetError> {
        if std::mem::take(&mut self.ahead) {
            return Ok(Some(self.typ));
        }
        let mut head = [0u8; 4];
        match read_full(&mut self.r, &mut head)? {
            0 => return Ok(None),
            4 => {}
            _ => return Err(SheetError::Damaged("truncated records")),
        }
        self.typ = u16::from_le_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        self.data.resize(len, 0);
        if read_full(&mut self.r, &mut self.data)? != len {
            return Err(SheetError::Damaged("truncated records"));
        }
        self.pos += 4 + len as u64;
        Ok(Some(self.typ))
    }
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
fn read_full(r: &mut impl BufRead, buf: &mut [u8]) -> Result<usize, SheetError> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(e)),
        }
    }
    Ok(n)
}

fn io_error(e: io::Error) -> SheetError {
    match LimitHit::in_io(&e) {
        Some(hit) => SheetError::Stop(ExtractError::Limit(hit.clone())),
        None => SheetError::Damaged("damaged data"),
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn f64_at(b: &[u8], at: usize) -> Option<f64> {
    Some(f64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// What the globals say.
struct Book {
    /// BIFF8 (else BIFF5: byte strings in the code page).
    biff8: bool,
    encoding: &'static encoding_rs::Encoding,
    /// Every sheet, charts too (their substreams count in the stream's order).
    sheets: Vec<SheetEntry>,
    /// Where the globals end.
    end: u64,
}

struct SheetEntry {
    name: String,
    hidden: bool,
    offset: u64,
    /// A worksheet or macro sheet (charts and VB modules have no cells).
    cells: bool,
}

/// Reads the globals substream: the sheet list and the shared strings (into `cells`).
fn globals<R: Read + Seek>(
    biff: &mut Biff<R>,
    cells: &mut Cells<'_, '_>,
) -> Result<Book, ExtractError> {
    let not_a_workbook = || ExtractError::Corrupt("damaged xls workbook (no BOF record)".into());
    let vers = match biff.next() {
        Ok(Some(BOF)) => u16_at(&biff.data, 0).ok_or_else(not_a_workbook)?,
        Err(SheetError::Stop(e)) => return Err(e),
        _ => return Err(not_a_workbook()),
    };
    let mut book = Book {
        biff8: vers >= 0x0600,
        encoding: encoding_rs::WINDOWS_1252,
        sheets: Vec::new(),
        end: 0,
    };
    loop {
        cells.check_time()?;
        let typ = match biff.next() {
            Ok(Some(t)) => t,
            Ok(None) => break,
            Err(SheetError::Stop(e)) => return Err(e),
            // A damaged globals stream: the sheets found so far are still read.
            Err(SheetError::Damaged(why)) => {
                cells.note("damaged_parts", format!("the workbook globals: {why}"));
                break;
            }
        };
        let d = &biff.data;
        match typ {
            EOF => {
                book.end = biff.pos;
                break;
            }
            FILEPASS => return Err(ExtractError::Encrypted(encryption(d))),
            CODEPAGE => {
                if let Some(enc) = u16_at(d, 0).and_then(|n| code_page(i64::from(n))) {
                    book.encoding = enc;
                }
            }
            BOUNDSHEET => {
                let (Some(offset), Some(&state), Some(&kind)) = (u32_at(d, 0), d.get(4), d.get(5))
                else {
                    continue;
                };
                let name = if book.biff8 {
                    short_unicode(d, 6)
                } else {
                    byte_string(d, 6, 1, book.encoding)
                };
                book.sheets.push(SheetEntry {
                    name: name.unwrap_or_default(),
                    hidden: state & 3 != 0,
                    offset: u64::from(offset),
                    // Charts (2) and VB modules (6) hold no cells.
                    cells: kind != 2 && kind != 6,
                });
            }
            SST => sst(biff, cells)?,
            _ => {}
        }
    }
    Ok(book)
}

/// The encryption a `FILEPASS` record names.
fn encryption(d: &[u8]) -> String {
    let kind = match (u16_at(d, 0), u16_at(d, 2)) {
        (Some(0), _) => "XOR obfuscation",
        (Some(1), Some(1)) => "RC4",
        (Some(1), Some(2..=4)) => "RC4 CryptoAPI",
        _ => "an unknown method",
    };
    format!("password-protected xls workbook (encrypted with {kind})")
}

/// A BIFF8 `ShortXLUnicodeString` at `at`: a one-byte count, flags, the characters.
fn short_unicode(d: &[u8], at: usize) -> Option<String> {
    let count = usize::from(*d.get(at)?);
    let flags = *d.get(at + 1)?;
    Some(chars(d.get(at + 2..)?, count, flags & 1 != 0).0)
}

/// A BIFF8 `XLUnicodeString` at `at`: a two-byte count, flags, the characters.
fn unicode(d: &[u8], at: usize) -> Option<String> {
    let count = usize::from(u16_at(d, at)?);
    let flags = *d.get(at + 2)?;
    Some(chars(d.get(at + 3..)?, count, flags & 1 != 0).0)
}

/// A BIFF5 string at `at`: a count of `count_len` bytes, then bytes in the code page.
fn byte_string(
    d: &[u8],
    at: usize,
    count_len: usize,
    encoding: &'static encoding_rs::Encoding,
) -> Option<String> {
    let count = match count_len {
        1 => usize::from(*d.get(at)?),
        _ => usize::from(u16_at(d, at)?),
    };
    let bytes = d.get(at + count_len..at + count_len + count)?;
    Some(encoding.decode_without_bom_handling(bytes).0.into_owned())
}

/// Up to `count` characters from the start of `d`, two bytes each (UTF-16) or one (the low
/// byte of UTF-16, Latin-1); with how many were there.
fn chars(d: &[u8], count: usize, wide: bool) -> (String, usize) {
    if wide {
        let n = count.min(d.len() / 2);
        let text = encoding_rs::UTF_16LE
            .decode_without_bom_handling(&d[..n * 2])
            .0
            .into_owned();
        (text, n)
    } else {
        let n = count.min(d.len());
        (d[..n].iter().map(|&b| char::from(b)).collect(), n)
    }
}

/// The shared string table: the `SST` record in `biff` and the `CONTINUE` records after it.
struct Segments<'b, R> {
    biff: &'b mut Biff<R>,
    at: usize,
    /// No more `CONTINUE` records.
    done: bool,
}

impl<R: Read + Seek> Segments<'_, R> {
    /// Makes sure the current segment has a byte left, moving to the next `CONTINUE`.
    fn fill(&mut self) -> Result<bool, SheetError> {
        while self.at >= self.biff.data.len() {
            if self.done {
                return Ok(false);
            }
            match self.biff.next()? {
                Some(CONTINUE) => self.at = 0,
                Some(_) => {
                    // The record after the table: read again by the globals loop.
                    self.biff.ahead = true;
                    self.done = true;
                    return Ok(false);
                }
                None => {
                    self.done = true;
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    fn byte(&mut self) -> Result<u8, SheetError> {
        if !self.fill()? {
            return Err(SheetError::Damaged("the shared string table ends early"));
        }
        self.at += 1;
        Ok(self.biff.data[self.at - 1])
    }

    fn u16(&mut self) -> Result<u16, SheetError> {
        Ok(u16::from_le_bytes([self.byte()?, self.byte()?]))
    }

    fn u32(&mut self) -> Result<u32, SheetError> {
        Ok(u32::from(self.u16()?) | (u32::from(self.u16()?) << 16))
    }

    fn skip(&mut self, mut n: u64) -> Result<(), SheetError> {
        while n > 0 {
            if !self.fill()? {
                return Err(SheetError::Damaged("the shared string table ends early"));
            }
            let k = n.min((self.biff.data.len() - self.at) as u64);
            self.at += k as usize;
            n -= k;
        }
        Ok(())
    }

    /// One `XLUnicodeRichExtendedString` into `out`.
    fn string(&mut self, out: &mut String) -> Result<(), SheetError> {
        out.clear();
        let mut left = usize::from(self.u16()?);
        let flags = self.byte()?;
        let runs = if flags & 8 != 0 { self.u16()? } else { 0 };
        let ext = if flags & 4 != 0 { self.u32()? } else { 0 };
        let mut wide = flags & 1 != 0;
        loop {
            let rest = self.biff.data.get(self.at..).unwrap_or_default();
            let (text, n) = chars(rest, left, wide);
            out.push_str(&text);
            self.at += if wide { n * 2 } else { n };
            left -= n;
            if left == 0 {
                break;
            }
            // The characters cross into a CONTINUE record, which starts with their flags
            // again (a half character left behind is damage, and is dropped).
            self.at = self.biff.data.len();
            if !self.fill()? {
                return Err(SheetError::Damaged("the shared string table ends early"));
            }
            wide = self.byte()? & 1 != 0;
        }
        self.skip(u64::from(runs) * 4 + u64::from(ext))
    }
}

/// Reads the `SST` in `biff.data` (and its continuations) into `cells`. Damage keeps the
/// strings before it and makes the file partial.
fn sst<R: Read + Seek>(biff: &mut Biff<R>, cells: &mut Cells<'_, '_>) -> Result<(), ExtractError> {
    let unique = u32_at(&biff.data, 4).unwrap_or(0);
    let mut seg = Segments {
        biff,
        at: 8,
        done: false,
    };
    let mut text = String::new();
    for i in 0..unique {
        cells.check_time()?;
        match seg.string(&mut text) {
            Ok(()) => cells.shared_string(&text),
            Err(SheetError::Stop(e)) => return Err(e),
            Err(SheetError::Damaged(why)) => {
                cells.note(
                    "damaged_parts",
                    format!("the shared string table is damaged after string {i}: {why}"),
                );
                break;
            }
        }
    }
    // Skip the rest of the table, so the globals loop goes on after it.
    loop {
        match seg.fill() {
            Ok(true) => seg.at = seg.biff.data.len(),
            Ok(false) | Err(SheetError::Damaged(_)) => return Ok(()),
            Err(SheetError::Stop(e)) => return Err(e),
        }
    }
}

/// Reads one sheet, from its `BOF` at `offset` to its `EOF`.
fn sheet<R: Read + Seek>(
    biff: &mut Biff<R>,
    offset: u64,
    book: &Book,
    cells: &mut Cells<'_, '_>,
) -> Result<(), SheetError> {
    let damaged = || SheetError::Damaged("damaged records");
    biff.seek(offset)?;
    if biff.next()? != Some(BOF) {
        return Err(SheetError::Damaged("no sheet at its offset"));
    }
    // Embedded charts are substreams of their own, BOF to EOF, inside a sheet.
    let mut depth = 1u32;
    // The cell of the last FORMULA whose string result is in the next STRING record.
    let mut formula: Option<(u32, u32)> = None;
    while let Some(typ) = biff.next()? {
        cells.check_time()?;
        let d = &biff.data;
        let at = || Some((u32::from(u16_at(d, 0)?), u32::from(u16_at(d, 2)?)));
        match typ {
            BOF => depth += 1,
            EOF => {
                depth -= 1;
                if depth == 0 {
                    return Ok(());
                }
            }
            _ if depth > 1 => {}
            LABELSST => {
                let isst = u32_at(d, 6).ok_or_else(damaged)?;
                cells.cell(at().ok_or_else(damaged)?, Value::Shared(isst));
            }
            LABEL | RSTRING => {
                let text = if book.biff8 {
                    unicode(d, 6)
                } else {
                    byte_string(d, 6, 2, book.encoding)
                };
                cells.cell(
                    at().ok_or_else(damaged)?,
                    Value::Text(&text.ok_or_else(damaged)?),
                );
            }
            NUMBER => {
                let f = f64_at(d, 6).ok_or_else(damaged)?;
                cells.cell(at().ok_or_else(damaged)?, Value::Float(f));
            }
            RK => {
                let v = super::rk(u32_at(d, 6).ok_or_else(damaged)?);
                cells.cell(at().ok_or_else(damaged)?, v);
            }
            MULRK => {
                let (row, first) = at().ok_or_else(damaged)?;
                // (xf, rk) pairs of 6 bytes between the first column and the last column.
                let n = d.len().saturating_sub(6) / 6;
                for k in 0..n {
                    let v = super::rk(u32_at(d, 4 + k * 6 + 2).ok_or_else(damaged)?);
                    cells.cell((row, first + k as u32), v);
                }
            }
            FORMULA => {
                let pos = at().ok_or_else(damaged)?;
                let result: [u8; 8] = d
                    .get(6..14)
                    .and_then(|r| r.try_into().ok())
                    .ok_or_else(damaged)?;
                // A number, or 0xFFFF in the top bytes and the kind of result in the first
                // (0: a string, in the next STRING record).
                formula = None;
                if result[6..8] != [0xFF, 0xFF] {
                    cells.cell(pos, Value::Float(f64::from_le_bytes(result)));
                } else if result[0] == 0 {
                    formula = Some(pos);
                }
            }
            STRING => {
                if let Some(pos) = formula.take() {
                    let text = if book.biff8 {
                        unicode(d, 0)
                    } else {
                        byte_string(d, 0, 2, book.encoding)
                    };
                    cells.cell(pos, Value::Text(&text.ok_or_else(damaged)?));
                }
            }
            _ => {}
        }
    }
    // The stream ended before the sheet's EOF: what was read is kept.
    Err(SheetError::Damaged("truncated sheet"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut r = typ.to_le_bytes().to_vec();
        r.extend((data.len() as u16).to_le_bytes());
        r.extend(data);
        r
    }

    #[test]
    fn strings_cross_continue_records_with_new_flags() {
        // SST: 2 strings. "Fødsel" starts 8-bit and continues wide after the boundary;
        // "nr" follows in the same CONTINUE.
        let mut sst = vec![2, 0, 0, 0, 2, 0, 0, 0];
        sst.extend([6, 0, 0]);
        sst.extend(b"F\xf8d");
        let mut cont = vec![1];
        cont.extend("sel".encode_utf16().flat_map(|u| u.to_le_bytes()));
        cont.extend([2, 0, 0]);
        cont.extend(b"nr");
        let stream = [record(SST, &sst), record(CONTINUE, &cont), record(EOF, &[])].concat();
        let mut biff = Biff::new(Cursor::new(stream));
        assert_eq!(biff.next().unwrap(), Some(SST));
        let mut seg = Segments {
            biff: &mut biff,
            at: 8,
            done: false,
        };
        let mut s = String::new();
        seg.string(&mut s).unwrap();
        assert_eq!(s, "Fødsel");
        seg.string(&mut s).unwrap();
        assert_eq!(s, "nr");
        assert!(!seg.fill().unwrap());
        // The record after the table is read again.
        assert_eq!(biff.next().unwrap(), Some(EOF));
    }

    #[test]
    fn rich_and_extended_strings_skip_their_runs() {
        // flags: rich (8) + ext (4); 1 run, 3 ext bytes.
        let mut sst = vec![1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 12, 1, 0, 3, 0, 0, 0];
        sst.extend(b"ab");
        sst.extend([9; 4 + 3]);
        let stream = [record(SST, &sst), record(EOF, &[])].concat();
        let mut biff = Biff::new(Cursor::new(stream));
        biff.next().unwrap();
        let mut seg = Segments {
            biff: &mut biff,
            at: 8,
            done: false,
        };
        let mut s = String::new();
        seg.string(&mut s).unwrap();
        assert_eq!(s, "ab");
        assert_eq!(seg.at, seg.biff.data.len());
    }

    #[test]
    fn strings_are_bounds_checked() {
        assert_eq!(
            unicode(&[3, 0, 0, b'a', b'b', b'c'], 0).as_deref(),
            Some("abc")
        );
        assert_eq!(unicode(&[200, 0, 0, b'a'], 0).as_deref(), Some("a"));
        assert_eq!(unicode(&[3, 0], 0), None);
        assert_eq!(
            short_unicode(&[2, 1, 0xf8, 0, b'x', 0], 0).as_deref(),
            Some("øx")
        );
        assert_eq!(
            byte_string(&[2, 0, 0xf8, b'x'], 0, 2, encoding_rs::WINDOWS_1252).as_deref(),
            Some("øx")
        );
        assert_eq!(
            byte_string(&[9, 0, b'x'], 0, 2, encoding_rs::WINDOWS_1252),
            None
        );
    }

    /// A sheet to lay out: its name as stored, state, kind, records.
    type TestSheet = (Vec<u8>, u8, u8, Vec<Vec<u8>>);

    /// A BIFF workbook: globals (BOF, `globals`, a BOUNDSHEET per sheet, `after`, EOF), then
    /// each sheet's substream (BOF, its records, EOF). `vers` 0x0600 is BIFF8, 0x0500 BIFF5.
    /// Sheets are (name as stored, state, kind, records); offsets are laid out here, or taken
    /// from `offsets` where given.
    fn workbook(
        vers: u16,
        globals: &[Vec<u8>],
        sheets: &[TestSheet],
        after: &[Vec<u8>],
        offsets: &[Option<u32>],
    ) -> Vec<u8> {
        let bof = |dt: u16| {
            record(
                BOF,
                &[vers.to_le_bytes(), dt.to_le_bytes(), [0; 2], [0; 2]].concat(),
            )
        };
        let boundsheet = |offset: u32, state: u8, kind: u8, name: &[u8]| {
            record(
                BOUNDSHEET,
                &[&offset.to_le_bytes()[..], &[state, kind], name].concat(),
            )
        };
        let head: usize = bof(5).len()
            + globals.iter().map(Vec::len).sum::<usize>()
            + sheets
                .iter()
                .map(|s| boundsheet(0, 0, 0, &s.0).len())
                .sum::<usize>()
            + after.iter().map(Vec::len).sum::<usize>()
            + record(EOF, &[]).len();
        let mut at = head;
        let mut bodies = Vec::new();
        let mut stream = bof(5);
        stream.extend(globals.concat());
        for (i, (name, state, kind, records)) in sheets.iter().enumerate() {
            let body = [bof(0x10), records.concat(), record(EOF, &[])].concat();
            let offset = offsets.get(i).copied().flatten().unwrap_or(at as u32);
            stream.extend(boundsheet(offset, *state, *kind, name));
            at += body.len();
            bodies.push(body);
        }
        stream.extend(after.concat());
        stream.extend(record(EOF, &[]));
        assert_eq!(stream.len(), head);
        stream.extend(bodies.concat());
        let mut cf = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        std::io::Write::write_all(&mut cf.create_stream("/Workbook").unwrap(), &stream).unwrap();
        cf.flush().unwrap();
        cf.into_inner().into_inner()
    }

    /// A cell record's start: row, column, format.
    fn cell(typ: u16, row: u16, col: u16, rest: &[u8]) -> Vec<u8> {
        record(
            typ,
            &[&row.to_le_bytes()[..], &col.to_le_bytes(), &[0, 0], rest].concat(),
        )
    }

    fn biff8_name(name: &str) -> Vec<u8> {
        [&[name.len() as u8, 0][..], name.as_bytes()].concat()
    }

    /// `Sheet!Cell=text` of every cell our reader hands over, with the all-text detector.
    fn read_cells(data: &[u8]) -> (Result<crate::extract::Extracted, ExtractError>, Vec<String>) {
        let det = crate::extract::testing::all_text();
        let (r, t) = crate::extract::testing::run_with(&det, "t.xls", data, |i, s| {
            super::super::extract(i, crate::read::sniff::Format::Xls, s)
        });
        let cells = t
            .chunks
            .iter()
            .filter(|(loc, _, _)| loc.cell.is_some())
            .map(|(loc, text, _)| {
                format!(
                    "{}{}!{}={text}",
                    loc.sheet.as_deref().unwrap_or("?"),
                    if loc.hidden { "(hidden)" } else { "" },
                    loc.cell.as_deref().unwrap_or("?"),
                )
            })
            .collect();
        (r, cells)
    }

    fn sst_of(strings: &[&str]) -> Vec<u8> {
        let mut d = (strings.len() as u32).to_le_bytes().to_vec();
        d.extend((strings.len() as u32).to_le_bytes());
        for s in strings {
            d.extend((s.len() as u16).to_le_bytes());
            d.push(0);
            d.extend(s.as_bytes());
        }
        record(SST, &d)
    }

    #[test]
    fn biff8_cells_of_every_kind() {
        let rk_int = |i: i32| ((i << 2) | 2) as u32;
        let sheet = vec![
            cell(LABELSST, 0, 0, &1u32.to_le_bytes()),
            cell(LABEL, 0, 1, &[4, 0, 0, b'F', b'n', b'r', b':']),
            cell(NUMBER, 1, 0, &13097248022f64.to_le_bytes()),
            cell(RK, 1, 1, &rk_int(40300040).to_le_bytes()),
            // 1234.5 as hundredths: 123450 / 100.
            cell(RK, 1, 2, &(rk_int(123450) | 1).to_le_bytes()),
            // MULRK: two RK values, columns 3 and 4, then the last column.
            record(
                MULRK,
                &[
                    &1u16.to_le_bytes()[..],
                    &3u16.to_le_bytes(),
                    &[0, 0],
                    &rk_int(7).to_le_bytes(),
                    &[0, 0],
                    &rk_int(8).to_le_bytes(),
                    &4u16.to_le_bytes(),
                ]
                .concat(),
            ),
            // A formula with a cached number, and one with a cached string.
            cell(
                FORMULA,
                2,
                0,
                &[&20036914700f64.to_le_bytes()[..], &[0; 6]].concat(),
            ),
            cell(
                FORMULA,
                2,
                1,
                &[&[0u8, 0, 0, 0, 0, 0, 0xFF, 0xFF][..], &[0; 6]].concat(),
            ),
            record(STRING, &[5, 0, 0, b'k', b'@', b'x', b'.', b'n']),
            // A boolean: nothing to scan.
            cell(0x0205, 2, 2, &[1, 0]),
        ];
        let data = workbook(
            0x0600,
            &[],
            &[
                (biff8_name("Ark"), 0, 0, sheet.clone()),
                (biff8_name("Graf"), 0, 2, vec![]),
                (
                    biff8_name("Skjult"),
                    1,
                    0,
                    vec![cell(LABELSST, 0, 0, &0u32.to_le_bytes())],
                ),
            ],
            &[sst_of(&["Personnummer", "Mobil og e-post"])],
            &[],
        );
        let (r, cells) = read_cells(&data);
        assert_eq!(r.unwrap().note, None);
        assert_eq!(
            cells,
            [
                "Ark!A1=Mobil og e-post",
                "Ark!B1=Fnr:",
                "Ark!A2=13097248022",
                "Ark!B2=40300040",
                "Ark!C2=1234.5",
                "Ark!D2=7",
                "Ark!E2=8",
                "Ark!A3=20036914700",
                "Ark!B3=k@x.n",
                "Skjult(hidden)!A1=Personnummer",
            ]
        );
    }

    #[test]
    fn biff5_strings_are_in_the_code_page() {
        // Windows-1251: "Имя" (3 bytes) and a sheet name in the same code page.
        let label = cell(LABEL, 0, 0, &[3, 0, 0xC8, 0xEC, 0xFF]);
        let data = workbook(
            0x0500,
            &[record(CODEPAGE, &1251u16.to_le_bytes())],
            &[(vec![3, 0xCB, 0xE8, 0xF1], 0, 0, vec![label])],
            &[],
            &[],
        );
        let (r, cells) = read_cells(&data);
        assert!(r.is_ok(), "{r:?}");
        assert_eq!(cells, ["Лис!A1=Имя"]);
    }

    #[test]
    fn an_encrypted_workbook_is_encrypted() {
        let filepass = record(FILEPASS, &[1, 0, 2, 0, 2, 0, 0, 0]);
        let data = workbook(
            0x0600,
            &[filepass],
            &[(biff8_name("Ark"), 0, 0, vec![])],
            &[],
            &[],
        );
        match read_cells(&data).0 {
            Err(ExtractError::Encrypted(d)) => assert!(d.contains("RC4 CryptoAPI"), "{d}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_damaged_sheet_offset_is_replaced_by_the_sheets_place() {
        let one = vec![cell(NUMBER, 0, 0, &13097248022f64.to_le_bytes())];
        let two = vec![cell(NUMBER, 0, 0, &20036914700f64.to_le_bytes())];
        let sheets = [(biff8_name("En"), 0, 0, one), (biff8_name("To"), 0, 0, two)];
        for offsets in [[Some(999_999), None], [None, Some(3)]] {
            let data = workbook(0x0600, &[], &sheets, &[], &offsets);
            let (r, cells) = read_cells(&data);
            assert_eq!(r.unwrap().note, None);
            assert_eq!(
                cells,
                ["En!A1=13097248022", "To!A1=20036914700"],
                "{offsets:?}"
            );
        }
    }

    #[test]
    fn encryption_methods_are_named() {
        assert!(encryption(&[1, 0, 2, 0, 2, 0]).contains("RC4 CryptoAPI"));
        assert!(encryption(&[1, 0, 1, 0, 1, 0]).contains("with RC4)"));
        assert!(encryption(&[0, 0, 1, 2, 3, 4]).contains("XOR"));
        assert!(encryption(&[]).contains("unknown"));
    }
}
