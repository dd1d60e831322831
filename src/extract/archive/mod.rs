//! Archives and compressed files: zip, tar, and gzip/bzip2/xz/zstd streams (a tar inside one
//! is read as a tar: `a.tar.gz!/dir/b.txt`, not `a.tar.gz!/a.tar!/dir/b.txt`).
//!
//! Nothing is extracted to disk: every member is streamed into [`Sink::nested`], which records
//! it as `archive!/name` and extracts it by its own format, one level deeper. Zip archives are
//! walked entry by entry from their central directory ([`zipdir`]), so memory does not grow
//! with the member count. The scan layer enforces nesting depth and the decompressed bytes of
//! a whole top-level file; this module enforces the two limits only a container can see:
//!
//! * **entries** — a container stops with `entries` after `max_entries` members (those read
//!   before stay in the inventory);
//! * **ratio** — a member that expands more than `max_ratio` times its compressed size gets
//!   its own record `limit_exceeded`/`ratio_limit`, and the container goes on with its other
//!   members and ends `limit_exceeded`/`ratio_limit` naming it. Zip members are checked
//!   against their declared sizes before reading and, because headers lie, again while
//!   streaming; gzip/bzip2/xz/zstd streams are checked while streaming by counting bytes in
//!   and out. Members that expand to less than [`RATIO_FLOOR`] are never stopped: small files
//!   of repeated text compress very well and do no harm.
//!
//! Members that cannot be read are never silently skipped: encrypted zip members make the
//! archive `encrypted` (reason `encrypted_entries`), members with an unsupported compression
//! method or damaged data (a bad CRC, data cut short) make it `partial`; the detail gives the
//! counts and names. A tar member whose data ends before the size its header claims is
//! `partial`/`truncated`, and so is the tar; so are a gzip/bzip2/xz/zstd stream that breaks
//! off and its member, with everything before the cut read. Member names are shown as the archive means them
//! (zip: UTF-8 or CP437 per entry; bytes that are not valid UTF-8 as `\xHH`), less any parts
//! that would climb out of the archive (`../`, a leading `/` or drive letter) — the names are
//! only labels, as nothing is written to disk.

use std::cell::Cell;
use std::io::{self, Cursor, Read};
use std::rc::Rc;

pub(crate) mod zipdir;

use super::{lossless, Clock, ExtractError, Extracted, Input, Limit, LimitHit, Sink, Status};
use crate::read;
use crate::read::sniff::Format;

/// Decompressed bytes of a member below which the ratio limit does not apply.
pub(crate) const RATIO_FLOOR: u64 = 1 << 20;

/// Bytes of xz decoder state allowed (xz headers can ask for gigabytes).
const XZ_MEMLIMIT: u64 = 256 << 20;

/// A single-stream compression format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Codec {
    /// The codec of a compressed format.
    pub(crate) fn of(format: Format) -> Option<Codec> {
        match format {
            Format::Gzip => Some(Codec::Gzip),
            Format::Bzip2 => Some(Codec::Bzip2),
            Format::Xz => Some(Codec::Xz),
            Format::Zstd => Some(Codec::Zstd),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Bzip2 => "bzip2",
            Codec::Xz => "xz",
            Codec::Zstd => "zstd",
        }
    }

    fn decoder<'r>(self, r: impl Read + 'r) -> io::Result<Box<dyn Read + 'r>> {
        Ok(match self {
            Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(r)),
            Codec::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(r)),
            Codec::Xz => {
                let stream = liblzma::stream::Stream::new_stream_decoder(
                    XZ_MEMLIMIT,
                    liblzma::stream::CONCATENATED,
                )
                .map_err(io::Error::other)?;
                Box::new(liblzma::read::XzDecoder::new_stream(r, stream))
            }
            // zstd refuses frames whose window is over 128 MiB unless told otherwise.
            Codec::Zstd => Box::new(zstd::stream::read::Decoder::new(r)?),
        })
    }
}

/// Counts the bytes read through it into a shared counter.
struct Counted<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Stops a decompressed stream that grows past `max_ratio` times the compressed bytes behind
/// it. `tripped` tells the container afterwards why its member failed (the error itself may be
/// swallowed or rewrapped by the member's own extractor).
struct RatioGuard<R> {
    inner: R,
    out: u64,
    compressed: Rc<Cell<u64>>,
    max_ratio: u64,
    tripped: Rc<Cell<bool>>,
}

impl<R> RatioGuard<R> {
    fn new(inner: R, compressed: Rc<Cell<u64>>, max_ratio: u64) -> RatioGuard<R> {
        RatioGuard {
            inner,
            out: 0,
            compressed,
            max_ratio,
            tripped: Rc::new(Cell::new(false)),
        }
    }
}

impl<R: Read> Read for RatioGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        if over_ratio(self.out, self.compressed.get(), self.max_ratio) {
            self.tripped.set(true);
            return Err(LimitHit::new(
                Limit::Ratio,
                format!(
                    "a member expands more than {} times its compressed size",
                    self.max_ratio
                ),
            )
            .into());
        }
        Ok(n)
    }
}

fn over_ratio(out: u64, compressed: u64, max_ratio: u64) -> bool {
    out > RATIO_FLOOR && out > max_ratio.saturating_mul(compressed.max(1))
}

fn ratio_error(name: &str, max_ratio: u64) -> ExtractError {
    ExtractError::limit(
        Limit::Ratio,
        format!("member {name} expands more than {max_ratio} times its compressed size"),
    )
}

fn entries_error(max: u64) -> ExtractError {
    ExtractError::limit(Limit::Entries, format!("more than {max} members"))
}

/// The stream under a tar stopped for its ratio; the caller names the member.
fn ratio_stopped() -> ExtractError {
    ExtractError::limit(Limit::Ratio, "the compressed stream expands too much")
}

/// A member name as a label: `\` as `/`, without empty, `.` and `..` parts or a drive letter,
/// so that no name can claim to lie outside its archive. Bytes that are not UTF-8 are kept as
/// `\xHH` ([`lossless`]).
pub(crate) fn member_name(raw: &str) -> String {
    member_path(raw.as_bytes(), lossless)
}

/// [`member_name`] for a name stored as bytes, each part decoded by `decode` (the split comes
/// first, on the bytes, so that an escape can never be taken for a separator).
pub(crate) fn member_path(raw: &[u8], decode: fn(&[u8]) -> String) -> String {
    let name: Vec<String> = raw
        .split(|&b| b == b'/' || b == b'\\')
        .enumerate()
        .filter(|&(i, p)| {
            !(p.is_empty() || p == b"." || p == b".." || (i == 0 && p.len() == 2 && p[1] == b':'))
        })
        .map(|(_, p)| decode(p))
        .collect();
    if name.is_empty() {
        "unnamed".into()
    } else {
        name.join("/")
    }
}

/// Why some members of a zip were not read, for the archive's status.
#[derive(Default)]
struct Unread {
    encrypted: Vec<String>,
    unsupported: Vec<String>,
    damaged: Vec<String>,
    /// Members stopped by the ratio limit (each has its own `limit_exceeded` record).
    ratio: Vec<String>,
    /// The directory is damaged after the entries read (the error).
    directory: Option<String>,
}

impl Unread {
    fn note(self, e: Extracted, max_ratio: u64) -> Extracted {
        let list = |what: &str, names: &[String]| {
            let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
            let more = if names.len() > 5 { ", ..." } else { "" };
            format!("{} {what} ({}{more})", names.len(), shown.join(", "))
        };
        let mut parts = Vec::new();
        if !self.ratio.is_empty() {
            parts.push(list(
                &format!("expand more than {max_ratio} times their compressed size"),
                &self.ratio,
            ));
        }
        if !self.encrypted.is_empty() {
            parts.push(list("encrypted", &self.encrypted));
        }
        if !self.unsupported.is_empty() {
            parts.push(list(
                "with an unsupported compression method",
                &self.unsupported,
            ));
        }
        if !self.damaged.is_empty() {
            parts.push(list("damaged", &self.damaged));
        }
        if let Some(d) = &self.directory {
            parts.push(format!("the rest of the directory is damaged ({d})"));
        }
        if parts.is_empty() {
            return e;
        }
        let detail = format!("members not read: {}", parts.join("; "));
        if !self.ratio.is_empty() {
            e.with_note(Status::LimitExceeded, Limit::Ratio.reason(), detail)
        } else if !self.encrypted.is_empty() {
            e.with_note(Status::Encrypted, "encrypted_entries", detail)
        } else if self.directory.is_some() {
            e.with_note(Status::Partial, "damaged_directory", detail)
        } else if !self.damaged.is_empty() {
            e.with_note(Status::Partial, "damaged_entries", detail)
        } else {
            e.with_note(Status::Partial, "unsupported_entries", detail)
        }
    }
}

/// Opens the input as a zip for readers that need random access by name (office documents),
/// within the entries limit — checked on the end record before the `zip` crate builds its
/// index of every entry.
pub(crate) fn open_zip<'i>(
    input: &'i mut Input<'_>,
) -> Result<zip::ZipArchive<&'i mut dyn super::ReadSeek>, ExtractError> {
    let max = input.limits.max_entries;
    let head_is_member = input.head.starts_with(b"PK\x03\x04");
    let r = input.seekable()?;
    if let Ok(dir) = zipdir::directory(r) {
        if dir.entries > max {
            return Err(entries_error(max));
        }
    }
    let zip = zip::ZipArchive::new(r)
        .map_err(|e| ExtractError::Corrupt(format!("not a readable zip: {e}")))?;
    // A zip that starts with a member but whose directory is found further in has lost its
    // own directory (a truncated file): what was found is the directory of a zip stored
    // inside it. (Data before a zip, as in self-extracting archives, does not start with `PK`.)
    if zip.offset() > 0 && head_is_member {
        return Err(lost_directory());
    }
    if zip.len() as u64 > max {
        return Err(entries_error(max));
    }
    Ok(zip)
}

fn lost_directory() -> ExtractError {
    ExtractError::Corrupt(
        "the zip directory is missing (truncated?); only that of a zip stored inside was found"
            .into(),
    )
}

/// What became of one zip member.
pub(crate) enum Member {
    /// Handed to the sink.
    Read,
    /// A directory or a link: nothing to read.
    NotAFile,
    Encrypted(String),
    Unsupported(String),
    /// Damaged data (a bad CRC, a truncated stream).
    Damaged(String),
}

/// Hands member `i` of a zip opened with [`open_zip`] (files embedded in office documents) to
/// the sink under its stored name (see [`member_path`]), within the ratio limit. An error stops
/// the container (a limit, or a directory that cannot be read).
pub(crate) fn nested_member<R: Read + io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    i: usize,
    limits: &super::Limits,
    sink: &mut dyn Sink,
) -> Result<Member, ExtractError> {
    let (name, encrypted, compressed, size) = match zip.by_index_raw(i) {
        Ok(f) if !f.is_file() => return Ok(Member::NotAFile),
        Ok(f) => (
            member_path(f.name_raw(), lossless),
            f.encrypted(),
            f.compressed_size(),
            f.size(),
        ),
        Err(e) => {
            return Err(ExtractError::Corrupt(format!(
                "zip directory entry {i}: {e}"
            )))
        }
    };
    if encrypted {
        return Ok(Member::Encrypted(name));
    }
    if over_ratio(size, compressed, limits.max_ratio) {
        return Err(ratio_error(&name, limits.max_ratio));
    }
    let mut member = match zip.by_index(i) {
        Ok(m) => m,
        Err(zip::result::ZipError::UnsupportedArchive(_)) => return Ok(Member::Unsupported(name)),
        Err(_) => return Ok(Member::Damaged(name)),
    };
    let mut guard = RatioGuard::new(
        &mut member,
        Rc::new(Cell::new(compressed)),
        limits.max_ratio,
    );
    let tripped = guard.tripped.clone();
    let result = sink.nested(&name, Some(size), &mut guard);
    if tripped.get() {
        return Err(ratio_error(&name, limits.max_ratio));
    }
    match result {
        Ok(()) => Ok(Member::Read),
        Err(e @ ExtractError::Limit(_)) => Err(e),
        Err(_) => Ok(Member::Damaged(name)),
    }
}

/// A zip archive: every file member through [`Sink::nested`], walking the central directory
/// one entry at a time.
pub(crate) fn zip(input: &mut Input<'_>, sink: &mut dyn Sink) -> Result<Extracted, ExtractError> {
    let (limits, clock) = (input.limits, input.clock);
    let head_is_member = input.head.starts_with(b"PK\x03\x04");
    let r = input.seekable()?;
    let dir = zipdir::directory(r)?;
    if dir.shift > 0 && head_is_member {
        return Err(lost_directory());
    }
    let mut entries = zipdir::Entries::new(dir);
    let mut unread = Unread::default();
    let (mut bytes, mut count) = (0u64, 0u64);
    loop {
        clock.check()?;
        let e = match entries.next(r) {
            Ok(Some(e)) => e,
            Ok(None) => break,
            // A directory that is damaged from its first entry: not a readable zip.
            Err(err) if entries.read == 0 => return Err(err),
            Err(err) => {
                unread.directory = Some(err.to_string());
                break;
            }
        };
        if !e.is_file() {
            continue;
        }
        count += 1;
        if count > limits.max_entries {
            return Err(entries_error(limits.max_entries));
        }
        bytes += zip_member(r, &e, limits, sink, &mut unread)?;
    }
    Ok(unread.note(Extracted::new("zip", bytes), limits.max_ratio))
}

/// Reads one member of a zip into the sink; returns its decompressed bytes read, and notes in
/// `unread` why it was not read completely. An error stops the archive (the file's byte or
/// time budget is spent).
fn zip_member(
    r: &mut dyn super::ReadSeek,
    e: &zipdir::Entry,
    limits: &super::Limits,
    sink: &mut dyn Sink,
    unread: &mut Unread,
) -> Result<u64, ExtractError> {
    let name = e.label();
    if over_ratio(e.size, e.compressed, limits.max_ratio) {
        // The member gets its own record, unread.
        let hit = ratio_error(&name, limits.max_ratio);
        let ExtractError::Limit(hit) = hit else {
            unreachable!("a ratio error is a limit")
        };
        let _ = sink.nested(&name, Some(e.size), &mut Failing(Some(hit)));
        unread.ratio.push(name);
        return Ok(0);
    }
    let list = match zipdir::open(r, e) {
        Ok(mut member) => {
            let mut guard = RatioGuard::new(
                &mut member,
                Rc::new(Cell::new(e.compressed)),
                limits.max_ratio,
            );
            let tripped = guard.tripped.clone();
            let result = sink.nested(&name, Some(e.size), &mut guard);
            let out = guard.out;
            match result {
                _ if tripped.get() => &mut unread.ratio,
                Err(err @ ExtractError::Limit(_)) => return Err(err),
                _ if member.damaged.is_some() => &mut unread.damaged,
                Ok(()) => return Ok(out),
                Err(_) => &mut unread.damaged,
            }
        }
        Err(zipdir::Unreadable::Encrypted) => &mut unread.encrypted,
        Err(zipdir::Unreadable::Method) => &mut unread.unsupported,
        Err(zipdir::Unreadable::Damaged) => &mut unread.damaged,
        Err(zipdir::Unreadable::Io(err)) => return Err(err.into()),
    };
    list.push(name);
    Ok(0)
}

/// A reader whose first read fails with a limit: hands a member that will not be read to the
/// sink, so that it still gets a record of its own.
struct Failing(Option<LimitHit>);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(hit) => Err(hit.into()),
            None => Ok(0),
        }
    }
}

/// Opens one zip member as a stream (office XML parts, read as they decompress) within the
/// ratio limit: the reader fails with the limit (an `io::Error` carrying a [`LimitHit`]) once
/// the member expands too much. None if there is no such member.
pub(crate) fn open_member<'z, R: Read + io::Seek>(
    zip: &'z mut zip::ZipArchive<R>,
    name: &str,
    limits: &super::Limits,
) -> Result<Option<impl Read + 'z>, ExtractError> {
    let member = match zip.by_name(name) {
        Ok(m) => m,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(zip::result::ZipError::UnsupportedArchive(e))
            if e == zip::result::ZipError::PASSWORD_REQUIRED =>
        {
            return Err(ExtractError::Encrypted(format!("{name} is encrypted")));
        }
        Err(e) => return Err(ExtractError::Corrupt(format!("{name}: {e}"))),
    };
    // Checked while streaming only (not against the declared size first): what a part gives
    // before it expands too far is still read.
    let compressed = member.compressed_size();
    Ok(Some(RatioGuard::new(
        member,
        Rc::new(Cell::new(compressed)),
        limits.max_ratio,
    )))
}

/// A tar archive read from the start of the input.
pub(crate) fn tar(input: &mut Input<'_>, sink: &mut dyn Sink) -> Result<Extracted, ExtractError> {
    let (clock, max_entries) = (input.clock, input.limits.max_entries);
    let read = tar_members(
        input.reader()?,
        max_entries,
        clock,
        &Rc::new(Cell::new(false)),
        sink,
    )?;
    Ok(read.note(Extracted::new("tar", read.bytes)))
}

/// What reading a tar's members gave.
struct TarRead {
    /// Bytes of the members read.
    bytes: u64,
    /// The archive ends early: in this member's data, or (`None` inside) in a header.
    truncated: Option<Option<String>>,
}

impl TarRead {
    fn note(&self, e: Extracted) -> Extracted {
        match &self.truncated {
            None => e,
            Some(Some(name)) => e.with_note(
                Status::Partial,
                "truncated",
                format!("the archive ends inside member {name}, before the size its header gives"),
            ),
            Some(None) => e.with_note(
                Status::Partial,
                "truncated",
                "the archive ends inside a member header",
            ),
        }
    }
}

/// Streams the members of a tar into the sink.
fn tar_members(
    r: &mut dyn Read,
    max_entries: u64,
    clock: Clock,
    tripped: &Rc<Cell<bool>>,
    sink: &mut dyn Sink,
) -> Result<TarRead, ExtractError> {
    let mut archive = tar::Archive::new(r);
    let damaged = |e: io::Error| ExtractError::Corrupt(format!("damaged tar: {e}"));
    let mut read = TarRead {
        bytes: 0,
        truncated: None,
    };
    let mut count = 0u64;
    for entry in archive.entries().map_err(damaged)? {
        clock.check()?;
        let mut entry = match entry {
            Ok(e) => e,
            Err(_) if tripped.get() => return Err(ratio_stopped()),
            // Members were read, then the stream ended: a truncated archive, not garbage.
            Err(e) if count > 0 && e.kind() == io::ErrorKind::UnexpectedEof => {
                read.truncated = Some(None);
                break;
            }
            Err(e) => return Err(damaged(e)),
        };
        if !matches!(
            entry.header().entry_type(),
            tar::EntryType::Regular | tar::EntryType::Continuous
        ) {
            continue;
        }
        count += 1;
        if count > max_entries {
            return Err(entries_error(max_entries));
        }
        let name = member_path(&entry.path_bytes(), lossless);
        let size = entry.size();
        let mut data = Whole {
            inner: &mut entry,
            left: size,
            short: false,
        };
        let result = sink.nested(&name, Some(size), &mut data);
        if tripped.get() {
            return Err(ratio_stopped());
        }
        read.bytes += size - data.left;
        if data.short {
            // Nothing follows the missing data.
            read.truncated = Some(Some(name));
            break;
        }
        result?;
    }
    Ok(read)
}

/// A tar member's data, which must be as long as its header says: a stream that ends sooner
/// fails the member's read as truncated (the tar crate would just end it there).
struct Whole<R> {
    inner: R,
    left: u64,
    short: bool,
}

impl<R: Read> Read for Whole<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.left > 0 && !buf.is_empty() {
            self.short = true;
            return Err(super::Damage {
                truncated: true,
                detail: format!(
                    "tar member: the data ends {} bytes before the size its header gives (truncated)",
                    self.left
                ),
            }
            .into());
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// A gzip, bzip2, xz or zstd stream: a tar inside is read as a tar; anything else is one
/// member named after the file without its compression extension.
pub(crate) fn compressed(
    input: &mut Input<'_>,
    format: Format,
    sink: &mut dyn Sink,
) -> Result<Extracted, ExtractError> {
    let codec = Codec::of(format).expect("a compressed format");
    let limits = input.limits;
    let name = inner_name(input.name);
    let ratio = |tripped: &Rc<Cell<bool>>, e: ExtractError| {
        if tripped.get() {
            ratio_error(&name, limits.max_ratio)
        } else {
            e
        }
    };
    let clock = input.clock;
    let count = Rc::new(Cell::new(0));
    let counted = Counted {
        inner: input.reader()?,
        count: count.clone(),
    };
    let cut = Rc::new(Cell::new(false));
    let decoder = CutShort {
        inner: codec.decoder(counted)?,
        cut: cut.clone(),
    };
    let mut guard = RatioGuard::new(decoder, count.clone(), limits.max_ratio);
    let tripped = guard.tripped.clone();
    let head = read::read_head(&mut guard, 512).map_err(|e| {
        ratio(
            &tripped,
            ExtractError::Corrupt(format!("damaged {} stream: {e}", codec.name())),
        )
    })?;
    let is_tar = head.len() >= 262 && &head[257..262] == b"ustar";
    let mut stream = Cursor::new(head).chain(guard);
    let mut tar_read = None;
    let file_type = if is_tar {
        let read = tar_members(&mut stream, limits.max_entries, clock, &tripped, sink)
            .map_err(|e| ratio(&tripped, e))?;
        tar_read = Some(read);
        format!("tar+{}", codec.name())
    } else {
        let mut member = EndCheck {
            inner: &mut stream,
            cut: &cut,
            codec,
        };
        let result = sink.nested(&name, None, &mut member);
        if tripped.get() {
            return Err(ratio_error(&name, limits.max_ratio));
        }
        match result {
            Ok(()) => {}
            Err(e @ ExtractError::Limit(_)) => return Err(e),
            Err(e) => {
                return Err(ExtractError::Corrupt(format!(
                    "damaged {} stream: {e}",
                    codec.name()
                )))
            }
        }
        codec.name().to_string()
    };
    let out = Extracted::new(&file_type, count.get());
    Ok(match tar_read {
        Some(read) if read.truncated.is_some() => read.note(out),
        _ if cut.get() => out.with_note(Status::Partial, "truncated", cut_short(codec).detail),
        _ => out,
    })
}

fn cut_short(codec: Codec) -> super::Damage {
    super::Damage {
        truncated: true,
        detail: format!("the {} stream ends early (truncated)", codec.name()),
    }
}

/// Ends a compressed stream that breaks off (the decoder's unexpected end of input) as if it
/// ended there, and notes it: everything before the cut is read and reported, and the
/// container and its member say where it stopped.
struct CutShort<R> {
    inner: R,
    cut: Rc<Cell<bool>>,
}

impl<R: Read> Read for CutShort<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cut.get() {
            return Ok(0);
        }
        match self.inner.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && LimitHit::in_io(&e).is_none() => {
                self.cut.set(true);
                Ok(0)
            }
            r => r,
        }
    }
}

/// The one member of a compressed stream: its end, where the stream was cut, fails the read as
/// truncated ([`super::Damage`]), so that the member's record says so.
struct EndCheck<'a, R> {
    inner: R,
    cut: &'a Rc<Cell<bool>>,
    codec: Codec,
}

impl<R: Read> Read for EndCheck<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.cut.get() && !buf.is_empty() {
            return Err(cut_short(self.codec).into());
        }
        Ok(n)
    }
}

/// The name of what a compressed file holds: `a.txt.gz` → `a.txt`, `a.tgz` → `a.tar`.
fn inner_name(outer: &str) -> String {
    let file = super::own_name(outer);
    let file = file.rsplit('/').next().unwrap_or(file);
    let (stem, ext) = match file.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, e.to_ascii_lowercase()),
        _ => return file.to_string(),
    };
    match ext.as_str() {
        "gz" | "gzip" | "bz2" | "bzip2" | "xz" | "zst" | "zstd" => stem.to_string(),
        "tgz" | "tbz" | "tbz2" | "txz" | "tzst" => format!("{stem}.tar"),
        _ => file.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_cannot_climb_out() {
        assert_eq!(member_name("../../etc/passwd"), "etc/passwd");
        assert_eq!(member_name("/abs/./x.txt"), "abs/x.txt");
        assert_eq!(member_name("C:\\Users\\x.txt"), "Users/x.txt");
        assert_eq!(member_name("dir/inner.xlsx"), "dir/inner.xlsx");
        assert_eq!(member_name(".."), "unnamed");
    }

    #[test]
    fn inner_names_drop_the_compression_extension() {
        assert_eq!(inner_name("d/a.txt.gz"), "a.txt");
        assert_eq!(inner_name("x.zip!/b.tgz"), "b.tar");
        assert_eq!(inner_name("noext"), "noext");
        assert_eq!(inner_name("data.bin"), "data.bin");
    }

    #[test]
    fn the_ratio_guard_stops_a_stream_that_expands_too_much() {
        let zeros = io::repeat(0).take(4 << 20);
        let mut g = RatioGuard::new(zeros, Rc::new(Cell::new(1000)), 100);
        let err = io::copy(&mut g, &mut io::sink()).unwrap_err();
        assert_eq!(LimitHit::in_io(&err).map(|h| h.limit), Some(Limit::Ratio));
        assert!(g.tripped.get());
        // Small members are never stopped.
        let mut g = RatioGuard::new(io::repeat(0).take(RATIO_FLOOR), Rc::new(Cell::new(1)), 2);
        assert_eq!(io::copy(&mut g, &mut io::sink()).unwrap(), RATIO_FLOOR);
    }
}
