//! Zip archives read from the central directory one entry at a time, in bounded memory.
//!
//! A general zip library builds an index of every entry before handing out the first one (the
//! `zip` crate's takes about 1.4 KiB per entry: 1.4 GB for a million members). kartlegg only
//! needs each member once, in directory order, so this reader (written from PKWARE's
//! APPNOTE) finds the end-of-directory record, walks the directory through a small buffer and
//! opens each member by its local header's offset: memory is one entry and one decompressor,
//! whatever the member count.
//!
//! What it reads: stored, deflate, deflate64, bzip2, zstd and xz members; ZIP64 sizes and
//! offsets; data before the archive (self-extracting archives, where all offsets are shifted);
//! names per the UTF-8 flag, else the Info-ZIP Unicode Path field, else CP437 ([`Entry::name`]).
//! Every member's CRC-32 and size are checked at its end; a mismatch is an error of that
//! member's read (`InvalidData`), and [`Checked::damaged`] tells the archive afterwards.

use std::io::{self, BufReader, Read, SeekFrom};

use crate::extract::{Damage, ExtractError, ReadSeek};

const EOCD: u32 = 0x0605_4b50;
const ZIP64_EOCD: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const LOCAL: u32 = 0x0403_4b50;
/// Why a member whose data ends before its size is damaged.
const TRUNCATED: &str = "data ends before the size the directory gives (truncated)";
/// Bytes of the directory read at once.
const CHUNK: usize = 64 << 10;

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"))
}

fn corrupt(what: impl Into<String>) -> ExtractError {
    ExtractError::Corrupt(what.into())
}

/// Where the central directory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Directory {
    /// Absolute offset of the first entry.
    pub start: u64,
    /// Bytes of the directory.
    pub size: u64,
    /// Entries, as the end record says.
    pub entries: u64,
    /// Added to every stored offset: the bytes of data before the archive.
    pub shift: u64,
    /// The size of the whole input.
    pub file_size: u64,
}

/// Finds the central directory from the end of the input.
pub(crate) fn directory(r: &mut dyn ReadSeek) -> Result<Directory, ExtractError> {
    let file_size = r.seek(SeekFrom::End(0))?;
    // The end record (22 bytes) is followed by a comment of at most 65535 bytes.
    let tail_len = file_size.min(22 + 0xFFFF) as usize;
    let tail_at = file_size - tail_len as u64;
    let tail = read_at(r, tail_at, tail_len)?;
    if tail.len() < 22 {
        return Err(corrupt("not a zip: too short for a zip directory"));
    }
    // The last end record that leads to a directory wins (a comment may hold a stray one).
    for i in (0..=tail.len() - 22).rev() {
        if u32_at(&tail, i) != EOCD {
            continue;
        }
        let at = tail_at + i as u64;
        if let Some(dir) = from_end_record(r, &tail[i..], at, file_size)? {
            return Ok(dir);
        }
    }
    Err(corrupt(
        "not a readable zip: no end of central directory found",
    ))
}

/// The directory an end record at `at` describes, if it checks out.
fn from_end_record(
    r: &mut dyn ReadSeek,
    rec: &[u8],
    at: u64,
    file_size: u64,
) -> Result<Option<Directory>, ExtractError> {
    let (disk, cd_disk) = (u16_at(rec, 4), u16_at(rec, 6));
    let mut entries = u64::from(u16_at(rec, 10));
    let mut size = u64::from(u32_at(rec, 12));
    let mut offset = u64::from(u32_at(rec, 16));
    // Where the directory ends: right before the end record, or before the ZIP64 records.
    let mut end = at;
    if at >= 20 {
        let loc = read_at(r, at - 20, 20)?;
        if loc.len() == 20 && u32_at(&loc, 0) == ZIP64_LOCATOR {
            let declared = u64_at(&loc, 8);
            // The ZIP64 end record is usually 56 bytes before the locator; data before the
            // archive shifts the declared offset.
            for pos in [Some(declared), (at - 20).checked_sub(56)]
                .into_iter()
                .flatten()
            {
                let z = read_at(r, pos, 56)?;
                if z.len() == 56 && u32_at(&z, 0) == ZIP64_EOCD {
                    entries = u64_at(&z, 32);
                    size = u64_at(&z, 40);
                    offset = u64_at(&z, 48);
                    end = pos;
                    break;
                }
            }
        }
    }
    if disk != 0 || cd_disk != 0 {
        // Split archives keep the directory on the last disk; members are on others.
        if end == at {
            return Err(ExtractError::Unsupported(
                "split (multi-disk) zip archives are not read".into(),
            ));
        }
    }
    let Some(start) = end.checked_sub(size) else {
        return Ok(None);
    };
    let dir = |start: u64, shift: u64| Directory {
        start,
        size,
        entries,
        shift,
        file_size,
    };
    if size == 0 {
        return Ok((entries == 0).then(|| dir(start, 0)));
    }
    // The directory right before the end record, shifted by any data before the archive...
    if start >= offset && signature_at(r, start)? == Some(CENTRAL) {
        return Ok(Some(dir(start, start - offset)));
    }
    // ...or where the end record says, with something between it and the end record.
    if offset < end && signature_at(r, offset)? == Some(CENTRAL) {
        return Ok(Some(dir(offset, 0)));
    }
    Ok(None)
}

fn signature_at(r: &mut dyn ReadSeek, at: u64) -> io::Result<Option<u32>> {
    let b = read_at(r, at, 4)?;
    Ok((b.len() == 4).then(|| u32_at(&b, 0)))
}

/// Reads up to `n` bytes at `at` (fewer at the end of the input, none past it: an offset
/// from a damaged header may lie anywhere).
fn read_at(r: &mut dyn ReadSeek, at: u64, n: usize) -> io::Result<Vec<u8>> {
    if at > i64::MAX as u64 {
        return Ok(Vec::new());
    }
    match r.seek(SeekFrom::Start(at)) {
        // Beyond the largest file the file system allows: nothing there.
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => return Ok(Vec::new()),
        r => r?,
    };
    let mut buf = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// One entry of the central directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The name as stored.
    pub raw_name: Vec<u8>,
    /// The name from an Info-ZIP Unicode Path field that matches `raw_name`.
    unicode_name: Option<Vec<u8>>,
    pub flags: u16,
    pub method: u16,
    pub crc: u32,
    pub compressed: u64,
    pub size: u64,
    /// Absolute offset of the local header.
    pub local: u64,
    made_by: u16,
    external: u32,
}

impl Entry {
    /// Encrypted (traditional PKWARE, or strong/AES encryption).
    pub(crate) fn encrypted(&self) -> bool {
        self.flags & 1 != 0 || self.method == 99
    }

    /// A file: not a directory or a symbolic link (which have nothing to read).
    pub(crate) fn is_file(&self) -> bool {
        let dir = self.raw_name.ends_with(b"/") || self.raw_name.ends_with(b"\\");
        // Unix hosts keep the mode in the high half of the external attributes.
        let unix = self.made_by >> 8 == 3;
        let link = unix && (self.external >> 16) & 0o170000 == 0o120000;
        !dir && !link
    }

    /// The name as the archive means it, as a label inside the archive
    /// ([`super::member_path`]): UTF-8 when the entry says so (general-purpose bit 11) or an
    /// Info-ZIP Unicode Path field gives it, else CP437, the zip default. Bytes that are not
    /// valid UTF-8 under the flag are kept as `\xHH` (see [`crate::extract::lossless`]), so two
    /// different stored names never read the same.
    pub(crate) fn label(&self) -> String {
        let decode: fn(&[u8]) -> String = match &self.unicode_name {
            Some(_) => crate::extract::lossless,
            None if self.flags & 0x800 != 0 => crate::extract::lossless,
            None => cp437,
        };
        super::member_path(
            self.unicode_name.as_deref().unwrap_or(&self.raw_name),
            decode,
        )
    }
}

/// CP437 as Unicode: ASCII below 0x80, then this table.
const CP437_HIGH: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', //
    'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', '¢', '£', '¥', '₧', 'ƒ', //
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '⌐', '¬', '½', '¼', '¡', '«', '»', //
    '░', '▒', '▓', '│', '┤', '╡', '╢', '╖', '╕', '╣', '║', '╗', '╝', '╜', '╛', '┐', //
    '└', '┴', '┬', '├', '─', '┼', '╞', '╟', '╚', '╔', '╩', '╦', '╠', '═', '╬', '╧', //
    '╨', '╤', '╥', '╙', '╘', '╒', '╓', '╫', '╪', '┘', '┌', '█', '▄', '▌', '▐', '▀', //
    'α', 'ß', 'Γ', 'π', 'Σ', 'σ', 'µ', 'τ', 'Φ', 'Θ', 'Ω', 'δ', '∞', 'φ', 'ε', '∩', //
    '≡', '±', '≥', '≤', '⌠', '⌡', '÷', '≈', '°', '∙', '·', '√', 'ⁿ', '²', '■', '\u{a0}',
];

/// Bytes as CP437 (every byte is a character of its own, so distinct names stay distinct).
pub(crate) fn cp437(raw: &[u8]) -> String {
    raw.iter()
        .map(|&b| {
            if b < 0x80 {
                b as char
            } else {
                CP437_HIGH[usize::from(b - 0x80)]
            }
        })
        .collect()
}

/// Walks the central directory through a small buffer.
pub(crate) struct Entries {
    dir: Directory,
    /// Absolute offset of the next entry.
    next: u64,
    buf: Vec<u8>,
    /// Absolute offset of `buf[0]`.
    buf_at: u64,
    /// Entries read so far.
    pub read: u64,
}

impl Entries {
    pub(crate) fn new(dir: Directory) -> Entries {
        Entries {
            dir,
            next: dir.start,
            buf: Vec::new(),
            buf_at: 0,
            read: 0,
        }
    }

    /// `n` bytes of the directory at `self.next` (fewer at the end of the input).
    fn bytes(&mut self, r: &mut dyn ReadSeek, n: usize) -> io::Result<&[u8]> {
        let have =
            self.next >= self.buf_at && self.next + n as u64 <= self.buf_at + self.buf.len() as u64;
        if !have {
            self.buf = read_at(r, self.next, n.max(CHUNK))?;
            self.buf_at = self.next;
        }
        let from = (self.next - self.buf_at) as usize;
        Ok(&self.buf[from..(from + n).min(self.buf.len())])
    }

    /// The next entry, `None` at the end of the directory. An entry that cannot be parsed
    /// ends the walk with an error (the directory is damaged from there on).
    pub(crate) fn next(&mut self, r: &mut dyn ReadSeek) -> Result<Option<Entry>, ExtractError> {
        let end = self.dir.start.saturating_add(self.dir.size);
        if self.next >= end {
            return Ok(None);
        }
        let index = self.read + 1;
        let damaged = move |what: &str| corrupt(format!("zip directory entry {index}: {what}"));
        let head = self.bytes(r, 46)?;
        if head.len() < 46 || u32_at(head, 0) != CENTRAL {
            return Err(damaged("no entry where the directory says"));
        }
        let head: [u8; 46] = head.try_into().expect("46 bytes");
        let (n, m, k) = (
            usize::from(u16_at(&head, 28)),
            usize::from(u16_at(&head, 30)),
            usize::from(u16_at(&head, 32)),
        );
        let all = self.bytes(r, 46 + n + m)?;
        if all.len() < 46 + n + m {
            return Err(damaged("cut short"));
        }
        let mut e = Entry {
            raw_name: all[46..46 + n].to_vec(),
            unicode_name: None,
            made_by: u16_at(&head, 4),
            flags: u16_at(&head, 8),
            method: u16_at(&head, 10),
            crc: u32_at(&head, 16),
            compressed: u64::from(u32_at(&head, 20)),
            size: u64::from(u32_at(&head, 24)),
            local: u64::from(u32_at(&head, 42)),
            external: u32_at(&head, 38),
        };
        let extra = all[46 + n..46 + n + m].to_vec();
        read_extra(&mut e, &extra);
        e.local = e.local.wrapping_add(self.dir.shift);
        self.next += (46 + n + m + k) as u64;
        self.read += 1;
        Ok(Some(e))
    }
}

/// Applies the extra fields kartlegg needs: ZIP64 sizes and offset, the Unicode Path name.
fn read_extra(e: &mut Entry, mut extra: &[u8]) {
    while extra.len() >= 4 {
        let (id, len) = (u16_at(extra, 0), usize::from(u16_at(extra, 2)));
        let Some(data) = extra.get(4..4 + len) else {
            return;
        };
        match id {
            0x0001 => {
                // Only the fields whose 32-bit value is the 0xFFFFFFFF marker are present.
                let mut fields = data.chunks_exact(8).map(|c| u64_at(c, 0));
                if e.size == 0xFFFF_FFFF {
                    e.size = fields.next().unwrap_or(e.size);
                }
                if e.compressed == 0xFFFF_FFFF {
                    e.compressed = fields.next().unwrap_or(e.compressed);
                }
                if e.local == 0xFFFF_FFFF {
                    e.local = fields.next().unwrap_or(e.local);
                }
            }
            0x7075 if data.len() >= 5 && data[0] == 1 => {
                // Valid only for the name it was written for (a renaming tool may not know it).
                let mut crc = flate2::Crc::new();
                crc.update(&e.raw_name);
                if crc.sum() == u32_at(data, 1) {
                    e.unicode_name = Some(data[5..].to_vec());
                }
            }
            _ => {}
        }
        extra = &extra[4 + len..];
    }
}

/// Why a member cannot be read at all.
#[derive(Debug)]
pub(crate) enum Unreadable {
    Encrypted,
    /// A compression method kartlegg does not decode.
    Method,
    /// No local header where the directory says, or data beyond the file.
    Damaged,
    Io(io::Error),
}

impl From<io::Error> for Unreadable {
    fn from(e: io::Error) -> Unreadable {
        Unreadable::Io(e)
    }
}

/// How a member's data is stored: the directory's values, or its local header's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stored {
    method: u16,
    compressed: u64,
    size: u64,
    crc: u32,
}

/// Members up to this size whose local header disagrees with the directory are decoded once
/// in advance to see which of the two describes the data.
const TRIAL_MAX: u64 = 64 << 20;

/// Opens member `e` for reading: its decompressed bytes, checked against its size and CRC-32.
///
/// Where the local header disagrees with the directory (method, sizes or CRC), the directory
/// is believed unless its values fail on the data and the local header's pass (as `unzip`
/// reads such members); members over [`TRIAL_MAX`] keep the directory's values.
pub(crate) fn open<'a>(
    r: &'a mut dyn ReadSeek,
    e: &Entry,
) -> Result<Checked<Box<dyn Read + 'a>>, Unreadable> {
    if e.encrypted() {
        return Err(Unreadable::Encrypted);
    }
    let local = read_at(r, e.local, 30)?;
    if local.len() < 30 || u32_at(&local, 0) != LOCAL {
        return Err(Unreadable::Damaged);
    }
    let (n, m) = (u64::from(u16_at(&local, 26)), u64::from(u16_at(&local, 28)));
    // `e.local` is under i64::MAX (its header was read), so this cannot overflow.
    let data = e.local + 30 + n + m;
    let central = Stored {
        method: e.method,
        compressed: e.compressed,
        size: e.size,
        crc: e.crc,
    };
    let mut stored = central;
    if let Some(alt) = local_values(r, &local, e.local + 30 + n, m, central)? {
        let fits = |r: &mut dyn ReadSeek, s: Stored| {
            s.size <= TRIAL_MAX
                && decode(r, data, s).is_ok_and(|mut c| io::copy(&mut c, &mut io::sink()).is_ok())
        };
        if !fits(r, central) && fits(r, alt) {
            stored = alt;
        }
    }
    decode(r, data, stored)
}

/// The local header's values where they differ from the directory's (`None` when they agree,
/// or when a data descriptor leaves the header's sizes and CRC unset).
fn local_values(
    r: &mut dyn ReadSeek,
    local: &[u8],
    extra_at: u64,
    extra_len: u64,
    central: Stored,
) -> io::Result<Option<Stored>> {
    let descriptor = u16_at(local, 6) & 0x08 != 0;
    let mut alt = Stored {
        method: u16_at(local, 8),
        ..central
    };
    if !descriptor {
        alt.crc = u32_at(local, 14);
        alt.compressed = u64::from(u32_at(local, 18));
        alt.size = u64::from(u32_at(local, 22));
        if alt.size == 0xFFFF_FFFF || alt.compressed == 0xFFFF_FFFF {
            // ZIP64 in a local header holds both sizes, uncompressed first.
            let extra = read_at(r, extra_at, extra_len as usize)?;
            let mut rest = extra.as_slice();
            while rest.len() >= 4 {
                let (id, len) = (u16_at(rest, 0), usize::from(u16_at(rest, 2)));
                let Some(d) = rest.get(4..4 + len) else { break };
                if id == 0x0001 && d.len() >= 16 {
                    alt.size = u64_at(d, 0);
                    alt.compressed = u64_at(d, 8);
                }
                rest = &rest[4 + len..];
            }
        }
    }
    Ok((alt != central).then_some(alt))
}

/// A decoder for data at `data` stored as `s`.
fn decode<'a>(
    r: &'a mut dyn ReadSeek,
    data: u64,
    s: Stored,
) -> Result<Checked<Box<dyn Read + 'a>>, Unreadable> {
    if data > i64::MAX as u64 {
        return Err(Unreadable::Damaged);
    }
    match r.seek(SeekFrom::Start(data)) {
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => return Err(Unreadable::Damaged),
        r => r?,
    };
    let raw = r.take(s.compressed);
    let decoded: Box<dyn Read + 'a> = match s.method {
        0 => Box::new(raw),
        8 => Box::new(flate2::read::DeflateDecoder::new(raw)),
        9 => Box::new(deflate64::Deflate64Decoder::new(raw)),
        12 => Box::new(bzip2::read::BzDecoder::new(raw)),
        93 => Box::new(zstd::stream::read::Decoder::new(raw)?),
        95 => Box::new(liblzma::read::XzDecoder::new(BufReader::new(raw))),
        _ => return Err(Unreadable::Method),
    };
    Ok(Checked {
        inner: decoded,
        size: s.size,
        crc: s.crc,
        out: 0,
        sum: flate2::Crc::new(),
        damaged: None,
    })
}

/// A member's bytes, checked at the end against the size and CRC-32 the directory gives (and
/// never more bytes than that size: a lying header cannot make a member longer).
pub(crate) struct Checked<R> {
    inner: R,
    size: u64,
    crc: u32,
    out: u64,
    sum: flate2::Crc,
    /// Why the data is damaged, once known.
    pub damaged: Option<&'static str>,
}

impl<R> Checked<R> {
    fn fail(&mut self, what: &'static str) -> io::Error {
        self.damaged = Some(what);
        Damage {
            truncated: what == TRUNCATED,
            detail: format!("zip member: {what}"),
        }
        .into()
    }
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // One byte more than the size may be asked for, to see whether the data goes on.
        let room = (self.size - self.out.min(self.size)).saturating_add(1);
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = match self.inner.read(&mut buf[..want]) {
            Ok(n) => n,
            Err(e) if crate::extract::LimitHit::in_io(&e).is_some() => return Err(e),
            Err(_) => return Err(self.fail("damaged compressed data")),
        };
        if n == 0 {
            if self.out < self.size {
                return Err(self.fail(TRUNCATED));
            }
            if self.sum.sum() != self.crc {
                return Err(self.fail("CRC-32 mismatch"));
            }
            return Ok(0);
        }
        self.out += n as u64;
        if self.out > self.size {
            return Err(self.fail("more data than the directory's size"));
        }
        self.sum.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn zip_of(members: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(method);
        for (name, data) in members {
            z.start_file(*name, opts).unwrap();
            z.write_all(data).unwrap();
        }
        z.finish().unwrap().into_inner()
    }

    fn read_all(bytes: &[u8]) -> Vec<(String, Result<Vec<u8>, String>)> {
        let mut r = Cursor::new(bytes.to_vec());
        let dir = directory(&mut r).unwrap();
        let mut entries = Entries::new(dir);
        let mut out = Vec::new();
        while let Some(e) = entries.next(&mut r).unwrap() {
            let mut data = Vec::new();
            let got = match open(&mut r, &e) {
                Ok(mut m) => m
                    .read_to_end(&mut data)
                    .map(|_| data)
                    .map_err(|e| e.to_string()),
                Err(u) => Err(format!("{u:?}")),
            };
            out.push((e.label(), got));
        }
        out
    }

    #[test]
    fn members_are_read_in_directory_order_by_offset() {
        for method in [
            zip::CompressionMethod::Stored,
            zip::CompressionMethod::Deflated,
        ] {
            let z = zip_of(&[("a.txt", b"hei"), ("dir/b.txt", b"hallo")], method);
            let got = read_all(&z);
            assert_eq!(got[0], ("a.txt".into(), Ok(b"hei".to_vec())));
            assert_eq!(got[1], ("dir/b.txt".into(), Ok(b"hallo".to_vec())));
        }
    }

    #[test]
    fn data_before_the_archive_shifts_every_offset() {
        let mut z = b"#!/bin/sh\nexit 0\n".to_vec();
        z.extend(zip_of(
            &[("a.txt", b"hei")],
            zip::CompressionMethod::Deflated,
        ));
        assert_eq!(read_all(&z)[0].1, Ok(b"hei".to_vec()));
    }

    #[test]
    fn a_crc_mismatch_is_an_error_at_the_end_of_the_member() {
        let mut z = zip_of(&[("a.txt", b"hei")], zip::CompressionMethod::Stored);
        let at = z.windows(3).position(|w| w == b"hei").unwrap();
        z[at] = b'H';
        assert_eq!(read_all(&z)[0].1, Err("zip member: CRC-32 mismatch".into()));
    }

    #[test]
    fn names_follow_the_utf8_flag_else_cp437() {
        let mut e = Entry {
            raw_name: b"r\x9bd.txt".to_vec(),
            ..Default::default()
        };
        assert_eq!(e.label(), "r¢d.txt");
        e.flags = 0x800;
        assert_eq!(e.label(), "r\\x9bd.txt");
        e.raw_name = "rød.txt".as_bytes().to_vec();
        assert_eq!(e.label(), "rød.txt");
        // Every byte is its own character in CP437: distinct names stay distinct.
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(cp437(&all).chars().count(), 256);
    }

    /// Seeded random damage to a small zip (bytes changed, the file cut): the walk and every
    /// member's read end in a value or an error, never a panic (debug builds check overflow).
    #[test]
    fn damaged_zips_never_panic() {
        use rand::{Rng, SeedableRng};
        let mut data = b"prefix".to_vec();
        data.extend(zip_of(
            &[("a.txt", b"hei hei hei"), ("b/c.txt", b"hallo")],
            zip::CompressionMethod::Deflated,
        ));
        let mut rng = rand::rngs::StdRng::seed_from_u64(8);
        for _ in 0..3000 {
            let mut z = data.clone();
            for _ in 0..rng.gen_range(1..6) {
                let i = rng.gen_range(0..z.len());
                z[i] = rng.gen();
            }
            if rng.gen_bool(0.2) {
                z.truncate(rng.gen_range(0..z.len()));
            }
            let mut r = Cursor::new(z);
            let Ok(dir) = directory(&mut r) else { continue };
            let mut entries = Entries::new(dir);
            while let Ok(Some(e)) = entries.next(&mut r) {
                let _ = e.label();
                if let Ok(mut m) = open(&mut r, &e) {
                    let _ = io::copy(&mut (&mut m).take(1 << 20), &mut io::sink());
                }
            }
        }
    }
}
