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

pub mod archive;
pub mod delimited;
pub mod json;
pub mod mail;
pub mod office;
pub mod ole;
pub mod pdf;
pub mod sheet;
pub mod sql;
pub mod sqlite;
pub mod strings;
pub mod structured;
pub mod table;
#[cfg(test)]
mod testing;
pub mod text;
pub mod window;
pub mod zipkind;

use std::io::{self, Read, Seek};
use std::ops::Range;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use crate::detect::{ChunkContext, Detector};
use crate::read::sniff::{self, Sniffed};
use zipkind::ZipKind;

/// What happened to an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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
#[derive(Debug, Clone)]
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
        }
    }
}

/// `Read + Seek`, as one object type.
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// An input to extract: a file, or a member nested in one.
pub struct Input<'a> {
    /// The display path (`dir/a.zip!/b.xlsx`); its extension is a hint, content decides.
    pub name: &'a str,
    /// The first bytes ([`sniff::HEAD`] or fewer at end of input).
    pub head: &'a [u8],
    /// The whole input from its first byte (the head included).
    pub reader: &'a mut dyn ReadSeek,
    pub size: Option<u64>,
    /// Nesting depth: 0 for a file on disk.
    pub depth: u32,
    pub limits: &'a Limits,
    /// When the top-level file's time is up.
    pub deadline: Instant,
    /// For column headers: what a header says (see [`Detector::header`]).
    pub det: &'a Detector,
}

impl Input<'_> {
    /// The lower-cased extension of the name, without the dot.
    pub fn extension(&self) -> String {
        extension(self.name)
    }

    /// An error once the time budget is spent; parsers call this in their loops.
    pub fn check_time(&self) -> Result<(), ExtractError> {
        self.clock().check()
    }

    /// The time budget as a value that does not borrow the input, for loops that hold on to
    /// the input's reader (a zip archive over it, say).
    pub fn clock(&self) -> Clock {
        Clock {
            deadline: self.deadline,
            seconds: self.limits.seconds,
        }
    }

    /// Reads the whole input into memory, within `max_parse_bytes`.
    pub fn read_all(&mut self) -> Result<Vec<u8>, ExtractError> {
        let max = self.limits.max_parse_bytes;
        if self.size.is_some_and(|s| s > max) {
            return Err(ExtractError::Limit {
                limit: "parse_bytes",
                detail: format!(
                    "{} bytes is over the {max}-byte parse limit",
                    self.size.unwrap_or(0)
                ),
            });
        }
        self.reader.rewind()?;
        let mut buf = Vec::new();
        (&mut *self.reader).take(max + 1).read_to_end(&mut buf)?;
        crate::read::BYTES_READ.fetch_add(buf.len() as u64, std::sync::atomic::Ordering::Relaxed);
        if buf.len() as u64 > max {
            return Err(ExtractError::Limit {
                limit: "parse_bytes",
                detail: format!("over the {max}-byte parse limit"),
            });
        }
        Ok(buf)
    }
}

/// See [`Input::clock`].
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    deadline: Instant,
    seconds: u64,
}

impl Clock {
    /// The budget of a stream that has no [`Input`] (a member read from a decompressor).
    pub fn new(deadline: Instant, limits: &Limits) -> Clock {
        Clock {
            deadline,
            seconds: limits.seconds,
        }
    }

    /// An error once the time budget is spent.
    pub fn check(&self) -> Result<(), ExtractError> {
        if Instant::now() > self.deadline {
            return Err(ExtractError::Limit {
                limit: "time",
                detail: format!("over {} s for this file", self.seconds),
            });
        }
        Ok(())
    }
}

/// The lower-cased extension, without the dot, of the last name in a path (`a.zip!/b.XLSX`
/// gives `xlsx`).
pub fn extension(name: &str) -> String {
    Path::new(name.rsplit("!/").next().unwrap_or(name))
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
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
    Io(#[from] io::Error),
    #[error("{0}")]
    Encrypted(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("{detail}")]
    Limit { limit: &'static str, detail: String },
    /// The input is damaged or not what it claims to be.
    #[error("{0}")]
    Corrupt(String),
}

impl ExtractError {
    /// Status and reason for the inventory.
    pub fn status(&self) -> (Status, String) {
        match self {
            ExtractError::Io(e) => (Status::Error, crate::read::io_reason(e).to_string()),
            ExtractError::Encrypted(_) => (Status::Encrypted, "encrypted".into()),
            ExtractError::Unsupported(_) => (Status::Unsupported, "unsupported_format".into()),
            ExtractError::Limit { limit, .. } => (Status::LimitExceeded, format!("{limit}_limit")),
            ExtractError::Corrupt(_) => (Status::Error, "corrupt".into()),
        }
    }
}

/// Extracts any input: sniffs it and hands it to the extractor of its format.
pub fn extract(input: &mut Input<'_>, sink: &mut dyn Sink) -> Result<Extracted, ExtractError> {
    match sniff::sniff(input.head) {
        Sniffed::Text { .. } if mail::is_mail(input.name, input.head) => mail::extract(input, sink),
        Sniffed::Text { encoding, bom } => {
            match structured::detect(&input.extension(), input.head, encoding) {
                Some(kind) => structured::extract_file(input, kind, encoding, sink),
                None => text::extract_file(input, encoding, bom, sink),
            }
        }
        Sniffed::Known { name: "sqlite", .. } => sqlite::extract(input, sink),
        Sniffed::Known { name, media: true } => Ok(Extracted::new(name, 0).with_note(
            Status::Skipped,
            "media",
            format!("{name} media file"),
        )),
        Sniffed::Known { name: "zip", .. } => match zipkind::classify(input)? {
            ZipKind::Xlsx => sheet::extract(input, sheet::Format::Xlsx, sink),
            ZipKind::Xlsm => sheet::extract(input, sheet::Format::Xlsm, sink),
            ZipKind::Xlsb => sheet::extract(input, sheet::Format::Xlsb, sink),
            ZipKind::Ods => sheet::extract(input, sheet::Format::Ods, sink),
            kind @ (ZipKind::Docx | ZipKind::Pptx | ZipKind::Odt | ZipKind::Odp) => {
                office::extract(input, kind, sink)
            }
            ZipKind::Archive => archive::zip(input, sink),
        },
        Sniffed::Known { name: "ole", .. } => ole::extract(input, sink),
        Sniffed::Known { name: "pdf", .. } => pdf::extract(input, sink),
        Sniffed::Known { name: "tar", .. } => archive::tar(input, sink),
        Sniffed::Known { name, .. } if archive::Codec::from_sniffed(name).is_some() => {
            archive::compressed(
                input,
                archive::Codec::from_sniffed(name).expect("checked"),
                sink,
            )
        }
        Sniffed::Known { name: "rtf", .. } => office::rtf(input, sink),
        Sniffed::Known {
            name: name @ ("7z" | "rar"),
            ..
        } => Err(ExtractError::Unsupported(format!(
            "{name} archives are not read"
        ))),
        // Executables and binaries of no known format: their text runs are what can hold
        // personal data.
        Sniffed::Known { name, .. } => text_runs(input, name, sink),
        Sniffed::Binary => text_runs(input, "binary", sink),
    }
}

/// Scans the ASCII and UTF-16LE text runs of a binary input.
fn text_runs(
    input: &mut Input<'_>,
    file_type: &str,
    sink: &mut dyn Sink,
) -> Result<Extracted, ExtractError> {
    input.reader.rewind()?;
    let bytes = strings::extract(input.reader, &Location::default(), sink)?;
    let mut e = Extracted::new(file_type, bytes);
    e.encoding = Some("text runs (ascii, utf-16le)".into());
    Ok(e)
}

/// A text column: a 1-based character column, or the name of a table column (or its 1-based
/// position, when a dump names no columns).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum Column {
    Number(u64),
    Name(String),
}

/// Where a finding sits. Each format fills in what it knows; absent fields are not written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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

/// How byte offsets in a chunk's text become locations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Line-addressed text; the chunk's first byte is at this line and column.
    Lines(LinePos),
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
    pub position: Position,
    pub context: ChunkContext,
}

impl Chunk<'_> {
    /// A chunk whose whole text is reported (cells, fields, short texts).
    pub fn whole<'a>(
        text: &'a str,
        base: &'a Location,
        position: Position,
        context: ChunkContext,
    ) -> Chunk<'a> {
        Chunk {
            text,
            report: 0..text.len(),
            base,
            position,
            context,
        }
    }
}

/// Where extractors push what they find.
pub trait Sink {
    /// A piece of text to detect in.
    fn chunk(&mut self, chunk: &Chunk<'_>);

    /// A member of a container (archive entry, attachment, embedded file), to be extracted as
    /// an input of its own and recorded as `container!/name`. The scan layer enforces the
    /// depth and byte limits; an error means the container must stop (a limit was hit).
    fn nested(
        &mut self,
        name: &str,
        size: Option<u64>,
        data: &mut dyn Read,
    ) -> Result<(), ExtractError>;

    /// A table column's values have all been pushed: `values` non-null values were seen (for
    /// the per-column summary's share of values that matched). Tables and CSV files call it.
    fn column_values(&mut self, _table: Option<&str>, _column: &Column, _values: u64) {}
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
            Position::Offsets { base, stride } => loc.offset = Some(base + offset as u64 * stride),
            Position::Fixed => {}
        }
        loc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_positions_advance_by_lines_and_characters() {
        let p = LinePos::START.advance("ab\næø".as_bytes());
        assert_eq!(p, LinePos { line: 2, column: 3 });
        let q = p.advance(b"xy");
        assert_eq!(q, LinePos { line: 2, column: 5 });
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
}
