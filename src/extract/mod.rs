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

pub mod strings;
pub mod text;
pub mod window;

use std::ops::Range;

use serde::Serialize;

use crate::detect::ChunkContext;

/// A text column: a 1-based character column, or the name of a table column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    pub context: ChunkContext<'a>,
}

impl Chunk<'_> {
    /// A chunk whose whole text is reported (cells, fields, short texts).
    pub fn whole<'a>(text: &'a str, base: &'a Location, position: Position, context: ChunkContext<'a>) -> Chunk<'a> {
        Chunk {
            text,
            report: 0..text.len(),
            base,
            position,
            context,
        }
    }
}

/// Where extractors push their chunks.
pub trait Sink {
    fn chunk(&mut self, chunk: &Chunk<'_>);
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
                self.pos = self.pos.advance(&self.chunk.text.as_bytes()[self.at..offset]);
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
        let chunk = Chunk::whole("a\nbb cc\nd", &base, Position::Lines(LinePos { line: 10, column: 1 }), ChunkContext::default());
        let mut l = Locator::new(&chunk);
        assert_eq!(l.locate(2).line, Some(11));
        let loc = l.locate(5);
        assert_eq!((loc.line, loc.column), (Some(11), Some(Column::Number(4))));
        assert_eq!(l.locate(8).line, Some(12));
    }
}
