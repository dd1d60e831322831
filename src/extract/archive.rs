//! Archives and compressed files: zip, tar, and gzip/bzip2/xz/zstd streams (a tar inside one
//! is read as a tar: `a.tar.gz!/dir/b.txt`, not `a.tar.gz!/a.tar!/dir/b.txt`).
//!
//! Nothing is extracted to disk: every member is streamed into [`Sink::nested`], which records
//! it as `archive!/name` and extracts it by its own format, one level deeper. The scan layer
//! enforces nesting depth and the decompressed bytes of a whole top-level file; this module
//! enforces the two limits only a container can see:
//!
//! * **entries** — a container with more than `max_entries` members stops with `entries`;
//! * **ratio** — a member that expands more than `max_ratio` times its compressed size stops
//!   the container with `ratio`. Zip members are checked against their declared sizes before
//!   reading and, because headers lie, again while streaming; gzip/bzip2/xz/zstd streams are
//!   checked while streaming by counting bytes in and out. Members that expand to less than
//!   [`RATIO_FLOOR`] are never stopped: small files of repeated text compress very well and do
//!   no harm.
//!
//! Zip members that cannot be read are never silently skipped: encrypted members make the
//! archive `encrypted` (reason `encrypted_entries`), members with an unsupported compression
//! method or damaged data make it `partial`; the detail gives the counts. Member names are
//! shown as stored, less any parts that would climb out of the archive (`../`, a leading `/`
//! or drive letter) — the names are only labels, as nothing is written to disk.

use std::cell::Cell;
use std::io::{self, Cursor, Read};
use std::rc::Rc;

use super::{Clock, ExtractError, Extracted, Input, Limit, LimitHit, Sink, Status};
use crate::read;
use crate::read::sniff::Format;

/// Decompressed bytes of a member below which the ratio limit does not apply.
pub const RATIO_FLOOR: u64 = 1 << 20;

/// Bytes of xz decoder state allowed (xz headers can ask for gigabytes).
const XZ_MEMLIMIT: u64 = 256 << 20;

/// A single-stream compression format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Codec {
    /// The codec of a compressed format.
    pub fn of(format: Format) -> Option<Codec> {
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
/// so that no name can claim to lie outside its archive.
pub fn member_name(raw: &str) -> String {
    let name: Vec<&str> = raw
        .split(['/', '\\'])
        .enumerate()
        .filter(|&(i, p)| {
            !(p.is_empty() || p == "." || p == ".." || (i == 0 && p.len() == 2 && p.ends_with(':')))
        })
        .map(|(_, p)| p)
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
}

impl Unread {
    fn note(self, e: Extracted) -> Extracted {
        let list = |what: &str, names: &[String]| {
            let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
            let more = if names.len() > 5 { ", ..." } else { "" };
            format!("{} {what} ({}{more})", names.len(), shown.join(", "))
        };
        let mut parts = Vec::new();
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
        if parts.is_empty() {
            return e;
        }
        let detail = format!("members not read: {}", parts.join("; "));
        if !self.encrypted.is_empty() {
            e.with_note(Status::Encrypted, "encrypted_entries", detail)
        } else if !self.damaged.is_empty() {
            e.with_note(Status::Partial, "damaged_entries", detail)
        } else {
            e.with_note(Status::Partial, "unsupported_entries", detail)
        }
    }
}

/// Opens the input as a zip, within the entries limit.
pub fn open_zip<'i>(
    input: &'i mut Input<'_>,
) -> Result<zip::ZipArchive<&'i mut dyn super::ReadSeek>, ExtractError> {
    let max = input.limits.max_entries;
    let head_is_member = input.head.starts_with(b"PK\x03\x04");
    let zip = zip::ZipArchive::new(input.seekable()?)
        .map_err(|e| ExtractError::Corrupt(format!("not a readable zip: {e}")))?;
    // A zip that starts with a member but whose directory is found further in has lost its
    // own directory (a truncated file): what was found is the directory of a zip stored
    // inside it. (Data before a zip, as in self-extracting archives, does not start with `PK`.)
    if zip.offset() > 0 && head_is_member {
        return Err(ExtractError::Corrupt(
            "the zip directory is missing (truncated?); only that of a zip stored inside was found"
                .into(),
        ));
    }
    if zip.len() as u64 > max {
        return Err(entries_error(max));
    }
    Ok(zip)
}

/// What became of one zip member.
pub enum Member {
    /// Handed to the sink; this many decompressed bytes were read.
    Read(u64),
    /// A directory or a link: nothing to read.
    NotAFile,
    Encrypted(String),
    Unsupported(String),
    /// Damaged data (a bad CRC, a truncated stream): no record could be made for it.
    Damaged(String),
}

/// Hands zip member `i` to the sink as `name`-as-stored (see [`member_name`]), within the
/// ratio limit. An error stops the container (a limit, or a directory that cannot be read).
pub fn nested_member<R: Read + io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    i: usize,
    limits: &super::Limits,
    sink: &mut dyn Sink,
) -> Result<Member, ExtractError> {
    let (name, encrypted, compressed, size) = match zip.by_index_raw(i) {
        Ok(f) if !f.is_file() => return Ok(Member::NotAFile),
        Ok(f) => (
            member_name(&String::from_utf8_lossy(f.name_raw())),
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
        Ok(()) => Ok(Member::Read(guard.out)),
        Err(e @ ExtractError::Limit(_)) => Err(e),
        Err(_) => Ok(Member::Damaged(name)),
    }
}

/// A zip archive: every file member through [`Sink::nested`].
pub fn zip(input: &mut Input<'_>, sink: &mut dyn Sink) -> Result<Extracted, ExtractError> {
    let (limits, clock) = (input.limits, input.clock);
    let mut zip = open_zip(input)?;
    let mut unread = Unread::default();
    let mut bytes = 0u64;
    for i in 0..zip.len() {
        clock.check()?;
        match nested_member(&mut zip, i, limits, sink)? {
            Member::Read(n) => bytes += n,
            Member::NotAFile => {}
            Member::Encrypted(name) => unread.encrypted.push(name),
            Member::Unsupported(name) => unread.unsupported.push(name),
            Member::Damaged(name) => unread.damaged.push(name),
        }
    }
    Ok(unread.note(Extracted::new("zip", bytes)))
}

/// Opens one zip member as a stream (office XML parts, read as they decompress) within the
/// ratio limit: the reader fails with the limit (an `io::Error` carrying a [`LimitHit`]) once
/// the member expands too much. None if there is no such member.
pub fn open_member<'z, R: Read + io::Seek>(
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
pub fn tar(input: &mut Input<'_>, sink: &mut dyn Sink) -> Result<Extracted, ExtractError> {
    let (clock, max_entries) = (input.clock, input.limits.max_entries);
    let bytes = tar_members(
        input.reader()?,
        max_entries,
        clock,
        &Rc::new(Cell::new(false)),
        sink,
    )?;
    Ok(Extracted::new("tar", bytes))
}

/// Streams the members of a tar into the sink; returns the bytes of the members read.
fn tar_members(
    r: &mut dyn Read,
    max_entries: u64,
    clock: Clock,
    tripped: &Rc<Cell<bool>>,
    sink: &mut dyn Sink,
) -> Result<u64, ExtractError> {
    let mut archive = tar::Archive::new(r);
    let damaged = |e: io::Error| ExtractError::Corrupt(format!("damaged tar: {e}"));
    let mut count = 0u64;
    let mut bytes = 0u64;
    for entry in archive.entries().map_err(damaged)? {
        clock.check()?;
        let mut entry = match entry {
            Ok(e) => e,
            Err(_) if tripped.get() => return Err(ratio_stopped()),
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
        let name = member_name(&String::from_utf8_lossy(&entry.path_bytes()));
        let size = entry.size();
        bytes += size;
        let result = sink.nested(&name, Some(size), &mut entry);
        if tripped.get() {
            return Err(ratio_stopped());
        }
        result?;
    }
    Ok(bytes)
}

/// A gzip, bzip2, xz or zstd stream: a tar inside is read as a tar; anything else is one
/// member named after the file without its compression extension.
pub fn compressed(
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
    let decoder = codec.decoder(counted)?;
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
    let file_type = if is_tar {
        tar_members(&mut stream, limits.max_entries, clock, &tripped, sink)
            .map_err(|e| ratio(&tripped, e))?;
        format!("tar+{}", codec.name())
    } else {
        let result = sink.nested(&name, None, &mut stream);
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
    Ok(Extracted::new(&file_type, count.get()))
}

/// The name of what a compressed file holds: `a.txt.gz` → `a.txt`, `a.tgz` → `a.tar`.
fn inner_name(outer: &str) -> String {
    let file = outer.rsplit("!/").next().unwrap_or(outer);
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
