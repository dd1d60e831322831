//! Extraction: turning an opened input into text chunks that know where they came from.
//!
//! An extractor pushes [`Chunk`]s into a [`Sink`]; the scan stage implements the sink (it
//! detects, locates and records). Every chunk says how a byte offset in its text becomes a
//! [`Location`] — by lines (text files, PDF pages), by byte offset (text runs in binaries), or
//! fixed (a spreadsheet cell, a table column) — so new formats plug in as new extractors that
//! fill in the location fields they know.
//!
//! Long inputs are cut into windows by [`window::Windower`]: each window overlaps its
//! neighbours, and only candidates that *start* in the window's `report` range belong to it, so
//! a value across a window border is found exactly once while memory stays flat.

pub(crate) mod archive;
pub(crate) mod delimited;
pub(crate) mod json;
pub(crate) mod mail;
pub(crate) mod markdown;
pub(crate) mod markup;
pub mod ocr;
pub(crate) mod office;
pub(crate) mod ole;
pub mod pdf;
pub(crate) mod pull;
pub mod sheet;
pub(crate) mod sql;
pub(crate) mod sqlite;
pub(crate) mod strings;
pub mod structured;
pub(crate) mod table;
#[cfg(test)]
mod testing;
pub(crate) mod text;
pub(crate) mod window;
pub(crate) mod yaml;
pub(crate) mod zipkind;

use std::borrow::Cow;
use std::io::{self, Read, Seek};
use std::ops::Range;
use std::path::Path;

use serde::{Deserialize, Serialize};

use encoding_rs::Encoding;

use crate::detect::{ChunkContext, Detector};
use crate::read::sniff::{self, Format, Media, Sniffed};
use crate::retain::{Rank, When};

/// What happened to an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Read completely.
    Scanned,
    /// Read in part; `reason` says what is missing.
    Partial,
    /// Deliberately not read (media, too large, a symlink...); `reason` says why.
    Skipped,
    /// Could not be read; `reason` says why.
    Error,
    /// Encrypted (a password-protected PDF, zip entry, office file).
    Encrypted,
    /// A format kartlegg does not read (7z, rar...).
    Unsupported,
    /// A limit was hit (depth, bytes, entries, ratio, time); `reason` names it.
    LimitExceeded,
}

impl Status {
    /// Every status, in the order declared: a status's number in the HTML page and in a
    /// carried record's head (`scan::carry`).
    pub const ALL: [Status; 7] = [
        Status::Scanned,
        Status::Partial,
        Status::Skipped,
        Status::Error,
        Status::Encrypted,
        Status::Unsupported,
        Status::LimitExceeded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scanned => "scanned",
            Status::Partial => "partial",
            Status::Skipped => "skipped",
            Status::Error => "error",
            Status::Encrypted => "encrypted",
            Status::Unsupported => "unsupported",
            Status::LimitExceeded => "limit_exceeded",
        }
    }

    /// Not read completely, for any reason (listed in summaries).
    pub fn unscanned(self) -> bool {
        self != Status::Scanned
    }
}

/// Limits for one top-level file and everything nested in it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Limits {
    /// Containers inside containers (`a.zip!/b.zip!/c.txt` is depth 2).
    pub max_depth: u32,
    /// Decompressed bytes of all members of one top-level file.
    pub max_nested_bytes: u64,
    /// Members of one container.
    pub max_entries: u64,
    /// Decompressed size / compressed size of one member.
    pub max_ratio: u64,
    /// Bytes a parser that needs the whole input in memory (PDF, office XML) may load.
    pub max_parse_bytes: u64,
    /// Seconds for one top-level file, nested members included.
    pub seconds: u64,
    /// Reading text in images and scanned pages (`--ocr`), and its budgets.
    #[serde(default)]
    pub ocr: ocr::Settings,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 5,
            max_nested_bytes: 4 << 30,
            max_entries: 100_000,
            max_ratio: 200,
            max_parse_bytes: 512 << 20,
            seconds: 300,
            ocr: ocr::Settings::default(),
        }
    }
}

/// A limit that stopped reading. Limits are told apart by this type, never by an error
/// message's wording; each has its own `reason` in the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// `--max-depth`: containers nested too deep.
    Depth,
    /// `--max-archive-bytes`: decompressed bytes of all members of one file.
    NestedBytes,
    /// `--max-entries`: members of one container.
    Entries,
    /// `--max-ratio`: a member that expands too much.
    Ratio,
    /// What a parser that needs its whole input may load into memory.
    ParseBytes,
    /// The per-file time budget.
    Time,
    /// The memory a file may take (the worker process's allocation budget).
    Memory,
    /// One line of a line-based format (NDJSON).
    LineLength,
    /// One record of a delimited file.
    RecordLength,
    /// Elements or groups nested deeper than a document parser follows (XML elements, RTF
    /// groups): each open level costs memory, and no real document nests thousands deep.
    Nesting,
    /// Pixels of one image or page that a decoder may hold (OCR).
    Pixels,
}

impl Limit {
    /// The inventory's `reason` for a file stopped by this limit.
    pub fn reason(self) -> &'static str {
        match self {
            Limit::Depth => "depth_limit",
            Limit::NestedBytes => "nested_bytes_limit",
            Limit::Entries => "entries_limit",
            Limit::Ratio => "ratio_limit",
            Limit::ParseBytes => "parse_bytes_limit",
            Limit::Time => "time_limit",
            Limit::Memory => "memory",
            Limit::LineLength => "line_length_limit",
            Limit::RecordLength => "record_length_limit",
            Limit::Nesting => "nesting_limit",
            Limit::Pixels => "pixel_limit",
        }
    }
}

/// A limit hit, with what went over it. A reader that enforces a budget returns it inside an
/// `io::Error`; [`LimitHit::in_io`] finds it there again, so a limit crosses any number of
/// readers and decompressors and still arrives as a limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct LimitHit {
    pub limit: Limit,
    pub detail: String,
}

impl LimitHit {
    pub fn new(limit: Limit, detail: impl Into<String>) -> LimitHit {
        LimitHit {
            limit,
            detail: detail.into(),
        }
    }

    /// The limit carried by an I/O error, if it carries one.
    pub fn in_io(e: &io::Error) -> Option<&LimitHit> {
        e.get_ref()?.downcast_ref::<LimitHit>()
    }
}

impl From<LimitHit> for io::Error {
    fn from(hit: LimitHit) -> io::Error {
        io::Error::other(hit)
    }
}

/// Damaged data found by a reader below the extractor (a container's member whose data ends
/// before its declared size, or fails its checksum). Like [`LimitHit`] it travels inside an
/// `io::Error` through any decompressor or parser and arrives as itself
/// ([`ExtractError::Damaged`]), so the member's record says what happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct Damage {
    /// The data ends early (`partial`/`truncated`); else it is wrong (`error`/`corrupt`).
    pub truncated: bool,
    pub detail: String,
}

impl From<Damage> for io::Error {
    fn from(d: Damage) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, d)
    }
}

/// `Read + Seek`, as one object type.
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// Bytes of a stream kept in memory when a parser needs random access; beyond this the
/// stream goes to an unlinked temporary file (`O_TMPFILE`: it has no name, so nothing is left
/// behind whatever way the process ends).
const SPILL_IN_MEMORY: u64 = 16 << 20;

/// How an input's bytes are reached.
enum Reader<'a> {
    /// A file, or bytes in memory: random access.
    Seek(&'a mut dyn ReadSeek),
    /// A member streamed out of a container: read once, from the first byte.
    Stream(Replay<'a>),
    /// A stream taken in for random access (see [`Input::seekable`]).
    Taken(Box<dyn ReadSeek + 'a>),
}

/// A stream whose head was already read for sniffing: gives the head again, then the rest.
struct Replay<'a> {
    head: &'a [u8],
    at: usize,
    rest: &'a mut dyn Read,
    started: bool,
}

impl Read for Replay<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.started = true;
        if self.at < self.head.len() {
            let n = buf.len().min(self.head.len() - self.at);
            buf[..n].copy_from_slice(&self.head[self.at..self.at + n]);
            self.at += n;
            return Ok(n);
        }
        self.rest.read(buf)
    }
}

/// An input to extract: a file, or a member nested in one.
pub struct Input<'a> {
    /// The display path (`dir/a.zip!/b.xlsx`); its extension is a hint, content decides.
    pub name: &'a str,
    /// The first bytes ([`sniff::HEAD`] or fewer at end of input).
    pub head: &'a [u8],
    reader: Reader<'a>,
    /// The head again, for readers of an input that [`Input::head_is_all`]: most files are
    /// that small, and each is then read once, not read again after a seek.
    memory: io::Cursor<&'a [u8]>,
    pub size: Option<u64>,
    /// Nesting depth: 0 for a file on disk.
    pub depth: u32,
    pub limits: &'a Limits,
    /// The top-level file's time budget.
    pub clock: Clock,
    /// For column headers: what a header says (see [`Detector::header`]).
    pub det: &'a Detector,
    /// The head as text, when [`identify`] found it UTF-8 (no byte order mark) to its last
    /// byte: checked once, read as it is by the readers of a text all in its head.
    pub(crate) head_text: Option<&'a str>,
}

impl<'a> Input<'a> {
    /// An input with random access (a file, bytes in memory).
    #[allow(clippy::too_many_arguments)]
    pub fn seekable_from(
        name: &'a str,
        head: &'a [u8],
        reader: &'a mut dyn ReadSeek,
        size: Option<u64>,
        depth: u32,
        limits: &'a Limits,
        clock: Clock,
        det: &'a Detector,
    ) -> Input<'a> {
        Input {
            name,
            head,
            reader: Reader::Seek(reader),
            memory: io::Cursor::new(head),
            size,
            depth,
            limits,
            clock,
            det,
            head_text: None,
        }
    }

    /// An input streamed out of a container; `rest` continues after `head`.
    #[allow(clippy::too_many_arguments)]
    pub fn streamed(
        name: &'a str,
        head: &'a [u8],
        rest: &'a mut dyn Read,
        size: Option<u64>,
        depth: u32,
        limits: &'a Limits,
        clock: Clock,
        det: &'a Detector,
    ) -> Input<'a> {
        Input {
            name,
            head,
            reader: Reader::Stream(Replay {
                head,
                at: 0,
                rest,
                started: false,
            }),
            memory: io::Cursor::new(head),
            size,
            depth,
            limits,
            clock,
            det,
            head_text: None,
        }
    }

    /// The lower-cased extension of the name, without the dot.
    pub fn extension(&self) -> String {
        extension(self.name)
    }

    /// An error once the time budget is spent; parsers call this in their loops.
    pub fn check_time(&self) -> Result<(), ExtractError> {
        Ok(self.clock.check()?)
    }

    /// Whether the whole input is in `head` (it ended before [`sniff::HEAD`] bytes).
    pub fn head_is_all(&self) -> bool {
        self.head.len() < sniff::HEAD
    }

    /// The input from its first byte, for readers that stream it (text, dumps, decompressors).
    /// A streamed member can be read this way once (but for one whose head is all of it).
    pub fn reader(&mut self) -> io::Result<&mut dyn Read> {
        if self.head_is_all() {
            self.memory.set_position(0);
            return Ok(&mut self.memory);
        }
        match &mut self.reader {
            Reader::Seek(r) => {
                r.rewind()?;
                Ok(&mut **r)
            }
            Reader::Taken(r) => {
                r.rewind()?;
                Ok(&mut **r)
            }
            Reader::Stream(r) if !r.started => Ok(r),
            Reader::Stream(_) => Err(io::Error::other(
                "internal: a streamed input was read twice",
            )),
        }
    }

    /// The input from its first byte with random access, for parsers that need it (zip
    /// directories, PDF cross-references, OLE sectors). A streamed member is first taken in:
    /// up to [`SPILL_IN_MEMORY`] in memory, the rest into an unlinked temporary file, within
    /// `max_parse_bytes`.
    pub fn seekable(&mut self) -> Result<&mut dyn ReadSeek, ExtractError> {
        if self.head_is_all() {
            self.memory.set_position(0);
            return Ok(&mut self.memory);
        }
        if let Reader::Stream(r) = &mut self.reader {
            if r.started {
                return Err(io::Error::other("internal: a streamed input was read twice").into());
            }
            let taken = take_in(r, self.limits.max_parse_bytes)?;
            self.size = Some(taken.1);
            self.reader = Reader::Taken(taken.0);
        }
        match &mut self.reader {
            Reader::Seek(r) => {
                r.rewind()?;
                Ok(&mut **r)
            }
            Reader::Taken(r) => {
                r.rewind()?;
                Ok(&mut **r)
            }
            Reader::Stream(_) => unreachable!("taken in above"),
        }
    }

    /// Reads the whole input into memory, within `max_parse_bytes`.
    pub fn read_all(&mut self) -> Result<Vec<u8>, ExtractError> {
        let max = self.limits.max_parse_bytes;
        if let Some(size) = self.size.filter(|&s| s > max) {
            return Err(LimitHit::new(
                Limit::ParseBytes,
                format!("{size} bytes is over the {max}-byte parse limit"),
            )
            .into());
        }
        let mut buf = Vec::new();
        self.reader()?.take(max + 1).read_to_end(&mut buf)?;
        crate::read::BYTES_READ.fetch_add(buf.len() as u64, std::sync::atomic::Ordering::Relaxed);
        if buf.len() as u64 > max {
            return Err(LimitHit::new(
                Limit::ParseBytes,
                format!("over the {max}-byte parse limit"),
            )
            .into());
        }
        Ok(buf)
    }
}

/// Reads a stream whole for random access: in memory while small, then into an unlinked
/// temporary file. Returns the reader and the size.
fn take_in<'a>(r: &mut dyn Read, max: u64) -> Result<(Box<dyn ReadSeek + 'a>, u64), ExtractError> {
    let mut mem = Vec::new();
    r.take(SPILL_IN_MEMORY.min(max) + 1).read_to_end(&mut mem)?;
    if mem.len() as u64 <= SPILL_IN_MEMORY.min(max) {
        let n = mem.len() as u64;
        return Ok((Box::new(io::Cursor::new(mem)), n));
    }
    if mem.len() as u64 > max {
        return Err(LimitHit::new(
            Limit::ParseBytes,
            format!("member over the {max}-byte parse limit"),
        )
        .into());
    }
    // `tempfile::tempfile` opens with O_TMPFILE where the file system allows it (a file with
    // no name), else creates and unlinks at once: no copy outlives the process.
    let mut file = tempfile::tempfile()?;
    io::Write::write_all(&mut file, &mem)?;
    drop(mem);
    let rest = io::copy(&mut r.take(max + 1 - SPILL_IN_MEMORY.min(max)), &mut file)?;
    let n = SPILL_IN_MEMORY.min(max) + 1 + rest;
    if n > max {
        return Err(LimitHit::new(
            Limit::ParseBytes,
            format!("member over the {max}-byte parse limit"),
        )
        .into());
    }
    Ok((Box::new(file), n))
}

/// The time budget of one top-level file, shared by everything nested in it, on the coarse
/// clock ([`crate::read::now_ms`]): a budget of seconds needs no finer one.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// [`crate::read::now_ms`] at which the budget is spent.
    deadline: u64,
    seconds: u64,
}

impl Clock {
    /// A budget of `limits.seconds` from now.
    pub fn start(limits: &Limits) -> Clock {
        Clock {
            deadline: crate::read::now_ms().saturating_add(limits.seconds.saturating_mul(1000)),
            seconds: limits.seconds,
        }
    }

    /// Time left in the budget (zero once it is spent): how long a helper program may run.
    pub fn remaining(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.deadline.saturating_sub(crate::read::now_ms()))
    }

    /// An error once the time budget is spent.
    pub fn check(&self) -> Result<(), LimitHit> {
        if crate::read::now_ms() > self.deadline {
            return Err(LimitHit::new(
                Limit::Time,
                format!("over {} s for this file", self.seconds),
            ));
        }
        Ok(())
    }
}

/// The last name in a path of members (`a.zip!/b.csv` gives `b.csv`; a file's path is its
/// own). Found by its `!`, not by a substring search, which cost a small file about a
/// thousand instructions.
pub fn own_name(path: &str) -> &str {
    let b = path.as_bytes();
    let mut end = b.len();
    while let Some(i) = memchr::memrchr(b'!', &b[..end]) {
        if b.get(i + 1) == Some(&b'/') {
            return &path[i + 2..];
        }
        end = i;
    }
    path
}

/// The lower-cased extension, without the dot, of the last name in a path (`a.zip!/b.XLSX`
/// gives `xlsx`).
pub fn extension(name: &str) -> String {
    Path::new(own_name(name))
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
}

/// A name stored as bytes (a zip or tar member, a table or column), as text that keeps every
/// byte, in the inventory's one escape form ([`crate::report::escape`]): two different names
/// never read the same.
pub fn lossless(raw: &[u8]) -> String {
    crate::report::escape::display_bytes(raw)
}

/// What extraction found out about an input besides its text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    /// `text`, `csv`, `binary`, `pdf`, `xlsx`...
    pub file_type: String,
    pub encoding: Option<String>,
    /// Bytes read from the input.
    pub bytes: u64,
    /// A status other than `scanned`, with its reason (such as `partial`/`no_text_layer`).
    pub note: Option<Note>,
    /// Pages and images read by OCR, and those left unread for want of Tesseract.
    pub ocr: ocr::Pages,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub status: Status,
    pub reason: String,
    pub detail: String,
}

impl Extracted {
    pub fn new(file_type: &str, bytes: u64) -> Extracted {
        Extracted {
            file_type: file_type.to_string(),
            bytes,
            ..Default::default()
        }
    }

    pub fn with_note(
        mut self,
        status: Status,
        reason: &str,
        detail: impl Into<String>,
    ) -> Extracted {
        self.note = Some(Note {
            status,
            reason: reason.to_string(),
            detail: detail.into(),
        });
        self
    }
}

/// Why an input could not be extracted. Each maps to a status and a reason in the inventory;
/// messages never carry document text.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("{0}")]
    Io(io::Error),
    #[error("{0}")]
    Encrypted(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Limit(LimitHit),
    /// The input is damaged or not what it claims to be.
    #[error("{0}")]
    Corrupt(String),
    /// A reader below the extractor found the data damaged (see [`Damage`]).
    #[error("{0}")]
    Damaged(Damage),
}

impl From<io::Error> for ExtractError {
    /// An I/O error that carries a limit (from a budgeted reader) is that limit.
    fn from(e: io::Error) -> ExtractError {
        if let Some(hit) = LimitHit::in_io(&e) {
            return ExtractError::Limit(hit.clone());
        }
        match e.get_ref().and_then(|r| r.downcast_ref::<Damage>()) {
            Some(d) => ExtractError::Damaged(d.clone()),
            None => ExtractError::Io(e),
        }
    }
}

impl From<LimitHit> for ExtractError {
    fn from(hit: LimitHit) -> ExtractError {
        ExtractError::Limit(hit)
    }
}

impl ExtractError {
    /// A limit hit, as an error.
    pub fn limit(limit: Limit, detail: impl Into<String>) -> ExtractError {
        ExtractError::Limit(LimitHit::new(limit, detail))
    }

    /// Status and reason for the inventory.
    pub fn status(&self) -> (Status, &'static str) {
        match self {
            ExtractError::Io(e) => (Status::Error, crate::read::io_reason(e)),
            ExtractError::Encrypted(_) => (Status::Encrypted, "encrypted"),
            ExtractError::Unsupported(_) => (Status::Unsupported, "unsupported_format"),
            ExtractError::Limit(hit) => (Status::LimitExceeded, hit.limit.reason()),
            ExtractError::Corrupt(_) => (Status::Error, "corrupt"),
            ExtractError::Damaged(d) if d.truncated => (Status::Partial, "truncated"),
            ExtractError::Damaged(_) => (Status::Error, "corrupt"),
        }
    }

    /// The limit this error is, if it is one.
    pub fn as_limit(&self) -> Option<Limit> {
        match self {
            ExtractError::Limit(hit) => Some(hit.limit),
            _ => None,
        }
    }
}

/// What a structured text reader needs besides its stream.
pub struct Env<'a> {
    pub det: &'a Detector,
    pub clock: Clock,
    pub limits: &'a Limits,
}

/// What an input is, and for text its encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identified {
    pub format: Format,
    /// For text formats: the encoding and whether a BOM starts the input.
    pub text: Option<(&'static Encoding, bool)>,
}

/// Decides an input's format: magic bytes first, then what containers hold (a zip's
/// directory, an OLE file's streams) and what a text's head looks like (a dump, a table,
/// JSON, a message). The extension only breaks ties.
pub fn identify(input: &mut Input<'_>) -> Result<Identified, ExtractError> {
    let (sniffed, text) = sniff::sniff_text(input.head);
    input.head_text = text;
    let format = match sniffed {
        Sniffed::Text { encoding, bom } => {
            let format = if mail::is_mail(input.name, input.head) {
                Format::Mail
            } else {
                let head = text.map_or_else(|| encoding.decode(input.head).0, Cow::Borrowed);
                structured::detect(&input.extension(), &head, input.head_is_all())
                    .unwrap_or(Format::Text)
            };
            return Ok(Identified {
                format,
                text: Some((encoding, bom)),
            });
        }
        Sniffed::Known(Format::Zip) => zipkind::classify(input)?,
        Sniffed::Known(Format::Ole) => ole::classify(input)?,
        Sniffed::Known(format) => format,
        Sniffed::Binary => Format::Binary,
    };
    Ok(Identified { format, text: None })
}

/// The format the head alone shows, for a record whose extraction failed before
/// [`identify`] could finish.
pub fn sniffed_format(head: &[u8]) -> Format {
    match sniff::sniff(head) {
        Sniffed::Text { .. } => Format::Text,
        Sniffed::Known(f) => f,
        Sniffed::Binary => Format::Binary,
    }
}

/// Extracts an identified input with the extractor of its format: the one dispatcher for
/// files on disk, git blobs and members of containers alike.
pub fn extract(
    input: &mut Input<'_>,
    id: Identified,
    sink: &mut dyn Sink,
) -> Result<Extracted, ExtractError> {
    let text = id.text.unwrap_or((encoding_rs::UTF_8, false));
    match id.format {
        Format::Text => text::extract_file(input, text.0, text.1, sink),
        f @ (Format::Delimited { .. }
        | Format::Json
        | Format::Ndjson
        | Format::Sql
        | Format::Html
        | Format::Xml
        | Format::Markdown
        | Format::Yaml) => structured::extract_file(input, f, text.0, sink),
        Format::Mail => mail::extract(input, sink),
        Format::Sqlite => sqlite::extract(input, sink),
        Format::Media(m @ (Media::Png | Media::Jpeg | Media::Tiff)) => ocr::image(input, m, sink),
        Format::Media(m) => Ok(media(m)),
        f @ (Format::Xlsx | Format::Xlsm | Format::Xlsb | Format::Xls | Format::Ods) => {
            sheet::extract(input, f, sink)
        }
        f @ (Format::Docx | Format::Pptx | Format::Odt | Format::Odp) => {
            office::extract(input, f, sink)
        }
        Format::Zip => archive::zip(input, sink),
        f @ (Format::Ole | Format::Doc | Format::Ppt | Format::Msg | Format::EncryptedOoxml) => {
            ole::unread(input, f, sink)
        }
        Format::Pdf => pdf::extract(input, sink),
        Format::Tar => archive::tar(input, sink),
        f @ (Format::Gzip | Format::Bzip2 | Format::Xz | Format::Zstd) => {
            archive::compressed(input, f, sink)
        }
        Format::Rtf => office::rtf(input, sink),
        f @ (Format::SevenZ | Format::Rar) => Err(ExtractError::Unsupported(format!(
            "{} archives are not read",
            f.name()
        ))),
        // Executables and binaries of no known format: their text runs are what can hold
        // personal data.
        f @ (Format::Elf | Format::Binary) => text_runs(input, f.name(), sink),
    }
}

/// A picture, sound or video that is not read.
pub fn media(m: Media) -> Extracted {
    Extracted::new(m.name(), 0).with_note(
        Status::Skipped,
        "media",
        format!("{} media file", m.name()),
    )
}

/// Scans the ASCII and UTF-16LE text runs of a binary input.
fn text_runs(
    input: &mut Input<'_>,
    file_type: &str,
    sink: &mut dyn Sink,
) -> Result<Extracted, ExtractError> {
    let bytes = strings::extract(input.reader()?, &Location::default(), sink)?;
    let mut e = Extracted::new(file_type, bytes);
    e.encoding = Some("text runs (ascii, utf-16le)".into());
    Ok(e)
}

/// A text column: a 1-based character column, or the name of a table column (or its 1-based
/// position, when a dump names no columns).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Column {
    Number(u64),
    Name(String),
}

/// Where a finding sits. Each format fills in what it knows; absent fields are not written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    /// The sheet is hidden in the workbook: a reviewer must unhide it to see the cell.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// A JSON path such as `$.deltakere[3].telefon`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<Column>,
    /// Byte offset in the file (text runs found in binary files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Text read by OCR from an image: the line's box in the image's pixels, `[x, y, width,
    /// height]` from the top left corner.
    #[serde(rename = "box", skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[u32; 4]>,
}

/// The 1-based line and character column of a chunk's first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinePos {
    pub line: u64,
    pub column: u64,
}

impl LinePos {
    pub const START: LinePos = LinePos { line: 1, column: 1 };

    /// The position after `text`, starting from `self`.
    pub fn advance(self, text: &[u8]) -> LinePos {
        let newlines = memchr::memchr_iter(b'\n', text).count() as u64;
        match memchr::memrchr(b'\n', text) {
            Some(last) => LinePos {
                line: self.line + newlines,
                column: 1 + chars(&text[last + 1..]),
            },
            None => LinePos {
                line: self.line,
                column: self.column + chars(text),
            },
        }
    }
}

/// Characters in UTF-8 bytes (bytes that are not continuation bytes).
fn chars(text: &[u8]) -> u64 {
    text.iter().filter(|&&b| (b & 0xC0) != 0x80).count() as u64
}

/// Text from byte `at` of a chunk on stands at `pos` in the source (see [`Position::Mapped`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    pub at: usize,
    pub pos: LinePos,
}

/// How byte offsets in a chunk's text become locations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position<'a> {
    /// Line-addressed text; the chunk's first byte is at this line and column.
    Lines(LinePos),
    /// Text that is not the source byte for byte (tags removed, escapes and entities decoded,
    /// pieces joined): each anchor, in increasing `at` order, says where the text from its
    /// byte on stands in the source; from there on, lines and columns advance with the text.
    /// An extractor sets an anchor after every place where text and source part ways (so a
    /// decoded `\n` never moves the line: the next anchor follows it at once).
    Mapped(&'a [Anchor]),
    /// Text byte `i` stands for file byte `base + i * stride`.
    Offsets { base: u64, stride: u64 },
    /// Every finding in the chunk has the chunk's base location (a cell, a field).
    Fixed,
}

/// A piece of extracted text.
#[derive(Debug, Clone)]
pub struct Chunk<'a> {
    pub text: &'a str,
    /// Only candidates that start in this range belong to the chunk; the rest is overlap that
    /// gives context and is reported by a neighbouring chunk.
    pub report: Range<usize>,
    /// The location fields common to the chunk (page, sheet and cell, table...).
    pub base: &'a Location,
    pub position: Position<'a>,
    pub context: ChunkContext,
    /// Text read by OCR: how sure the engine was of each word, and where each line is. The
    /// sink weighs candidates by it ([`ocr::Evidence::judge`]).
    pub ocr: Option<&'a ocr::Evidence>,
}

impl Chunk<'_> {
    /// A chunk whose whole text is reported (cells, fields, short texts).
    pub fn whole<'a>(
        text: &'a str,
        base: &'a Location,
        position: Position<'a>,
        context: ChunkContext,
    ) -> Chunk<'a> {
        Chunk {
            text,
            report: 0..text.len(),
            base,
            position,
            context,
            ocr: None,
        }
    }
}

/// Where extractors push what they find.
pub trait Sink {
    /// A piece of text to detect in.
    fn chunk(&mut self, chunk: &Chunk<'_>);

    /// Whether a value (a table cell) may hold something the sink looks for: `false` spares
    /// making a chunk of it (its text, its location) that [`Sink::chunk`] would drop unread.
    /// The default takes every value.
    fn may_match(&self, _value: &[u8]) -> bool {
        true
    }

    /// A member of a container (archive entry, attachment, embedded file), to be extracted as
    /// an input of its own and recorded as `container!/name`. The scan layer enforces the
    /// depth and byte limits; an error means the container must stop (a limit was hit). The
    /// default reads the member and drops it: for sinks that only look at text.
    fn nested(
        &mut self,
        _name: &str,
        _size: Option<u64>,
        data: &mut dyn Read,
    ) -> Result<(), ExtractError> {
        io::copy(data, &mut io::sink())?;
        Ok(())
    }

    /// A table column's values have all been pushed: `values` non-null values were seen (for
    /// the per-column summary's share of values that matched). Tables and CSV files call it,
    /// handing over the column's name, which they are done with.
    fn column_values(&mut self, _table: Option<&str>, _column: Column, _values: u64) {}

    /// The record being read (a table row, a message, a spreadsheet row) is dated `when`:
    /// its chunks, before and after this call up to [`Sink::record_end`], hold the record's
    /// data. Of several dates of one record, the first of the highest rank counts. Text is
    /// parsed only if a retention policy wants dates ([`crate::retain`]).
    fn record_date(&mut self, _when: When<'_>, _rank: Rank) {}

    /// The record being read ends.
    fn record_end(&mut self) {}
}

/// Turns candidate offsets in one chunk into locations, walking forward through the text once
/// (offsets must be asked for in increasing order).
pub struct Locator<'a> {
    chunk: &'a Chunk<'a>,
    at: usize,
    pos: LinePos,
}

impl<'a> Locator<'a> {
    pub fn new(chunk: &'a Chunk<'a>) -> Locator<'a> {
        let pos = match chunk.position {
            Position::Lines(p) => p,
            _ => LinePos::START,
        };
        Locator { chunk, at: 0, pos }
    }

    pub fn locate(&mut self, offset: usize) -> Location {
        let mut loc = self.chunk.base.clone();
        match self.chunk.position {
            Position::Lines(_) => {
                debug_assert!(offset >= self.at, "offsets must increase");
                let offset = offset.max(self.at);
                self.pos = self
                    .pos
                    .advance(&self.chunk.text.as_bytes()[self.at..offset]);
                self.at = offset;
                loc.line = Some(self.pos.line);
                loc.column = Some(Column::Number(self.pos.column));
            }
            Position::Mapped(anchors) => {
                let i = anchors.partition_point(|a| a.at <= offset);
                if let Some(a) = i.checked_sub(1).map(|i| anchors[i]) {
                    let text = self.chunk.text.as_bytes();
                    let pos = a
                        .pos
                        .advance(&text[a.at.min(text.len())..offset.min(text.len())]);
                    loc.line = Some(pos.line);
                    loc.column = Some(Column::Number(pos.column));
                }
            }
            Position::Offsets { base, stride } => loc.offset = Some(base + offset as u64 * stride),
            Position::Fixed => {}
        }
        loc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file that cannot be read: an input all in its head must never need it.
    struct Unreadable;

    impl Read for Unreadable {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("read again"))
        }
    }

    impl Seek for Unreadable {
        fn seek(&mut self, _: io::SeekFrom) -> io::Result<u64> {
            Err(io::Error::other("sought"))
        }
    }

    #[test]
    fn a_members_own_name_is_what_follows_the_last_bang_slash() {
        for path in [
            "/srv/a.zip!/b.csv",
            "/srv/a.zip!/d/b.tar!/c!d.txt",
            "/srv/a!b/c.txt",
            "a!!/b",
            "a.zip!/",
            "!/b",
            "!",
            "",
            "/srv/æ!ø!/å",
        ] {
            let expected = path.rsplit("!/").next().unwrap_or(path);
            assert_eq!(own_name(path), expected, "{path}");
        }
    }

    #[test]
    fn an_input_all_in_its_head_is_read_from_memory() {
        let det = Detector::builtin();
        let limits = Limits::default();
        let inputs: [(&str, &[u8]); 6] = [
            ("a.txt", b"Ordre 10240042\n"),
            ("a.csv", b"navn;ordre\nKari;10240042\n"),
            ("a.json", br#"{"navn": "Kari", "ordre": "10240042"}"#),
            (
                "a.sql",
                b"INSERT INTO t (navn, ordre) VALUES ('Kari', '10240042');\n",
            ),
            ("a.html", b"<html><body><p>Ordre 10240042</p></body></html>"),
            (
                "a.eml",
                b"From: a@example.com\r\nSubject: Hei\r\n\r\nOrdre 10240042\r\n",
            ),
        ];
        for (name, data) in inputs {
            assert!(data.len() < sniff::HEAD);
            for streamed in [false, true] {
                let (mut disk, mut rest) = (Unreadable, Unreadable);
                let mut input = if streamed {
                    let clock = Clock::start(&limits);
                    Input::streamed(name, data, &mut rest, None, 1, &limits, clock, &det)
                } else {
                    let (size, clock) = (Some(data.len() as u64), Clock::start(&limits));
                    Input::seekable_from(name, data, &mut disk, size, 0, &limits, clock, &det)
                };
                let id = identify(&mut input).unwrap();
                let mut texts = testing::Texts::default();
                let got = extract(&mut input, id, &mut texts);
                assert!(got.is_ok(), "{name} (streamed: {streamed}): {got:?}");
                assert!(
                    texts.chunks.iter().any(|c| c.1.contains("10240042")),
                    "{name} (streamed: {streamed}): {:?}",
                    texts.chunks
                );
            }
        }
    }

    #[test]
    fn line_positions_advance_by_lines_and_characters() {
        let p = LinePos::START.advance("ab\næø".as_bytes());
        assert_eq!(p, LinePos { line: 2, column: 3 });
        let q = p.advance(b"xy");
        assert_eq!(q, LinePos { line: 2, column: 5 });
    }

    #[test]
    fn lossless_names_keep_every_byte_and_stay_distinct() {
        assert_eq!(lossless("Fødsel.txt".as_bytes()), "Fødsel.txt");
        assert_eq!(lossless(b"a\xff.txt"), "a\\xff.txt");
        assert_eq!(lossless(b"a\\xFF.txt"), "a\\\\xFF.txt");
        assert_eq!(lossless(b"\xc3"), "\\xc3");
        assert_ne!(lossless(b"a\xff"), lossless("a\u{fffd}".as_bytes()));
    }

    #[test]
    fn locator_walks_forward() {
        let base = Location::default();
        let chunk = Chunk::whole(
            "a\nbb cc\nd",
            &base,
            Position::Lines(LinePos {
                line: 10,
                column: 1,
            }),
            ChunkContext::default(),
        );
        let mut l = Locator::new(&chunk);
        assert_eq!(l.locate(2).line, Some(11));
        let loc = l.locate(5);
        assert_eq!((loc.line, loc.column), (Some(11), Some(Column::Number(4))));
        assert_eq!(l.locate(8).line, Some(12));
    }

    #[test]
    fn mapped_text_is_located_by_its_nearest_anchor() {
        let base = Location::default();
        // `a\nb` decoded from a JSON string on line 3, then text from line 7.
        let anchors = [
            Anchor {
                at: 0,
                pos: LinePos { line: 3, column: 9 },
            },
            Anchor {
                at: 2,
                pos: LinePos {
                    line: 3,
                    column: 12,
                },
            },
            Anchor {
                at: 3,
                pos: LinePos { line: 7, column: 1 },
            },
        ];
        let chunk = Chunk::whole(
            "a\nbxy",
            &base,
            Position::Mapped(&anchors),
            ChunkContext::default(),
        );
        let mut l = Locator::new(&chunk);
        let at = |loc: Location| (loc.line.unwrap(), loc.column.unwrap());
        assert_eq!(at(l.locate(0)), (3, Column::Number(9)));
        assert_eq!(at(l.locate(2)), (3, Column::Number(12)));
        assert_eq!(at(l.locate(4)), (7, Column::Number(2)));
    }
}
