//! JSON and NDJSON, read as a stream: every string, number and key is a value of its own,
//! located by its JSON path (`$.deltakere[3].telefon`), line and column, and read under the
//! context of its key, as a table value is read under its column name.
//!
//! # Design
//! A tokenizer over [`Pull`] with an explicit stack of containers (no recursion, no document
//! tree): memory is the read buffer, one value (a longer one goes out in overlapping windows
//! as it is read), and the path of at most [`MAX_DEPTH`] levels, whatever the size of the
//! document. Decoded text keeps its place in the source through anchors
//! ([`Position::Mapped`]): one where a value starts and one after every escape.
//!
//! * Keys are text too: `{"13097248022": {...}}` is a finding at the key's own line, located
//!   `$['130********']` — values in path segments are masked like every name of a record.
//! * A scalar or key is handed out only once what follows confirms it (`,` `]` `}` `:`, the
//!   next record, the end). Where the input stops being JSON (damage, or nesting deeper than
//!   [`MAX_DEPTH`]), the token still held and the rest of the input are read as text instead:
//!   nothing is lost and nothing is found twice. The tokenizer is lenient where that costs
//!   nothing: bare words (`{a: 1}`), trailing commas, raw line breaks in strings.
//! * NDJSON: each line is a record located by `row` (its line); a line that is not JSON, or a
//!   record cut off by a line break, is read as text to the end of its line and the next line
//!   starts afresh. A record is a record for a retention review too: the value of a top-level
//!   key that dates records (`ts`, `timestamp`, `@timestamp`, `created_at`, `dato`) dates the
//!   line's findings ([`Sink::record_date`]).

use std::collections::HashMap;
use std::fmt::Write;
use std::io::{self, Read};

use serde_json::Value;

use super::pull::{Pull, Rest};
use super::window::{char_floor, Addressing, Mapped, Windower};
use super::{Chunk, Env, ExtractError, Location, Position, Sink};
use crate::detect::{ChunkContext, Header};
use crate::read::sniff::Format;
use crate::retain::dates::{self, ColumnKind};
use crate::retain::{Rank, When};

/// Containers nested deeper than this end structured reading: the rest is read as text.
pub(crate) const MAX_DEPTH: usize = 512;
/// Bytes of a value held whole; a longer string goes out in windows as it is read.
const LONG: usize = 256 * 1024;
/// Characters of a key shown in a path and looked up as a header.
const KEY_SHOWN: usize = 128;
/// Distinct keys whose header context is remembered.
const MAX_HEADERS: usize = 4096;

/// JSON by extension, or by content: a first line that is a whole JSON object followed by
/// another object line is NDJSON; text starting with `{` or `[` and a quoted key is JSON.
pub(crate) fn detect(ext: &str, text: &str) -> Option<Format> {
    match ext {
        "ndjson" | "jsonl" => return Some(Format::Ndjson),
        "json" | "geojson" => return Some(Format::Json),
        _ => {}
    }
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    let mut lines = trimmed.lines();
    let first = lines.next().unwrap_or("");
    let second = lines.next().unwrap_or("").trim_start();
    if first.starts_with('{')
        && second.starts_with('{')
        && serde_json::from_str::<Value>(first).is_ok()
    {
        return Some(Format::Ndjson);
    }
    trimmed.contains("\":").then_some(Format::Json)
}

/// Reads JSON (or, with `ndjson`, one record per line) from `reader` into `sink`; returns the
/// bytes read.
pub(crate) fn extract(
    reader: &mut dyn Read,
    ndjson: bool,
    env: &Env<'_>,
    sink: &mut dyn Sink,
) -> Result<u64, ExtractError> {
    let mut r = Reader {
        p: Pull::new(reader, Some(env.clock)),
        env,
        ndjson,
        stack: Vec::new(),
        path: String::from("$"),
        row: None,
        value: Mapped::default(),
        held: None,
        gap: false,
        headers: HashMap::new(),
        date_key: false,
        date_value: false,
    };
    r.run(sink)?;
    Ok(r.p.total)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// A value is expected (or `]` in an array).
    Value,
    /// A value ended: `,`, a closing bracket, or (at the top) the next value.
    AfterValue,
    /// A key is expected (or `}`).
    Key,
    /// A key ended: `:` is expected.
    Colon,
}

/// One open container.
struct Frame {
    array: bool,
    /// Items seen (arrays).
    index: u64,
    /// The path's length at the container: its children's segments go after it.
    path_len: usize,
    /// Context for the values in it: the current key's header (objects), the array's key
    /// (arrays).
    header: Option<Header>,
}

/// How a string's decoding stopped.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// At its closing quote (consumed).
    End,
    /// The value holds [`LONG`] bytes.
    Full,
    /// The input ended.
    Eof,
    /// A raw line break in NDJSON: the record is cut off there.
    Newline,
}

struct Reader<'a, 'r> {
    p: Pull<'r>,
    env: &'a Env<'a>,
    ndjson: bool,
    stack: Vec<Frame>,
    path: String,
    /// NDJSON: the line of the current record.
    row: Option<u64>,
    /// The token being read or held, decoded, and where its pieces stand in the source.
    value: Mapped,
    /// A token read but not handed out yet, with its context.
    held: Option<ChunkContext>,
    /// Whitespace was skipped after the last token.
    gap: bool,
    headers: HashMap<String, Header>,
    /// NDJSON: the key just read is a top-level key that dates its record...
    date_key: bool,
    /// ...and the value held is its value.
    date_value: bool,
}

fn bare(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.' | b'_')
}

impl Reader<'_, '_> {
    fn run(&mut self, sink: &mut dyn Sink) -> Result<(), ExtractError> {
        let mut state = State::Value;
        loop {
            let newline = self.skip_space()?;
            let Some(b) = self.p.peek()? else {
                self.confirm(sink);
                return Ok(());
            };
            if self.ndjson && newline && !self.stack.is_empty() {
                // A record cut off by its line's end: what it held is kept, the next line
                // starts afresh.
                self.confirm(sink);
                self.reset();
                state = State::Value;
            }
            if self.ndjson && self.stack.is_empty() && state == State::Value {
                // A new record: the one before it (all of it handed out) has ended.
                sink.record_end();
                self.row = Some(self.p.here().line);
            }
            let next = match state {
                State::Value => self.value_start(b, sink)?,
                State::AfterValue => self.after_value(b, newline, sink),
                State::Key => self.key_start(b, sink)?,
                State::Colon if b == b':' => {
                    self.confirm(sink);
                    self.p.pos += 1;
                    Some(State::Value)
                }
                State::Colon => None,
            };
            state = match next {
                Some(s) => s,
                None if self.give_up(sink)? => State::Value,
                None => return Ok(()),
            };
        }
    }

    /// `b` starts a value; `None` when it cannot.
    fn value_start(&mut self, b: u8, sink: &mut dyn Sink) -> Result<Option<State>, ExtractError> {
        Ok(Some(match b {
            b'{' | b'[' => {
                self.date_key = false;
                if self.stack.len() >= MAX_DEPTH {
                    return Ok(None);
                }
                self.begin_value();
                self.p.pos += 1;
                let header = self.stack.last().and_then(|f| f.header);
                let array = b == b'[';
                self.stack.push(Frame {
                    array,
                    index: 0,
                    path_len: self.path.len(),
                    header: if array { header } else { None },
                });
                if array {
                    State::Value
                } else {
                    State::Key
                }
            }
            // An empty array, or a trailing comma.
            b']' if self.stack.last().is_some_and(|f| f.array) => {
                self.p.pos += 1;
                self.stack.pop();
                State::AfterValue
            }
            b'"' => {
                self.begin_value();
                self.date_value = std::mem::take(&mut self.date_key);
                self.p.pos += 1;
                self.string(false, sink)?;
                State::AfterValue
            }
            _ if bare(b) => {
                self.begin_value();
                self.date_value = std::mem::take(&mut self.date_key);
                if !self.bare_word()? {
                    return Ok(None);
                }
                State::AfterValue
            }
            _ => return Ok(None),
        }))
    }

    /// After a value; `newline` when a line break came before `b`.
    fn after_value(&mut self, b: u8, newline: bool, sink: &mut dyn Sink) -> Option<State> {
        let top = self.stack.last().map(|f| f.array);
        match (b, top) {
            (b',', Some(array)) => {
                self.confirm(sink);
                self.p.pos += 1;
                Some(if array { State::Value } else { State::Key })
            }
            (b']', Some(true)) | (b'}', Some(false)) => {
                self.confirm(sink);
                self.p.pos += 1;
                self.stack.pop();
                Some(State::AfterValue)
            }
            // At the top: the next value on a line of its own (NDJSON's next record, or
            // concatenated JSON). Two on one line are not JSON (`130972 48022`).
            (_, None) if newline => {
                self.confirm(sink);
                Some(State::Value)
            }
            _ => None,
        }
    }

    fn key_start(&mut self, b: u8, sink: &mut dyn Sink) -> Result<Option<State>, ExtractError> {
        match b {
            b'}' => {
                self.p.pos += 1;
                self.stack.pop();
                return Ok(Some(State::AfterValue));
            }
            b'"' => {
                self.begin_key();
                self.p.pos += 1;
                self.string(true, sink)?;
            }
            _ if bare(b) => {
                self.begin_key();
                if !self.bare_word()? {
                    return Ok(None);
                }
                self.end_key();
            }
            _ => return Ok(None),
        }
        Ok(Some(State::Colon))
    }

    /// Skips whitespace; true when a line break was among it.
    fn skip_space(&mut self) -> io::Result<bool> {
        let (mut newline, mut skipped) = (false, false);
        loop {
            let avail = self.p.available()?;
            let len = avail.len();
            let n = avail
                .iter()
                .position(|&b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(len);
            newline |= memchr::memchr(b'\n', &avail[..n]).is_some();
            skipped |= n > 0;
            self.p.pos += n;
            if n < len || len == 0 {
                self.gap = skipped;
                return Ok(newline);
            }
        }
    }

    // --- Paths and context ------------------------------------------------------------------

    /// A value starts: its path segment, in an array.
    fn begin_value(&mut self) {
        match self.stack.last_mut() {
            Some(f) if f.array => {
                self.path.truncate(f.path_len);
                let _ = write!(self.path, "[{}]", f.index);
                f.index += 1;
            }
            Some(_) => {}
            None => self.path.truncate(1),
        }
    }

    fn begin_key(&mut self) {
        if let Some(f) = self.stack.last() {
            self.path.truncate(f.path_len);
        }
    }

    /// A key was read into `value`: its path segment, and the header context of the values
    /// under it. The key itself is held, to be scanned as text.
    fn end_key(&mut self) {
        let text = self.value.text();
        let key = prefix(&text, KEY_SHOWN).to_string();
        self.date_key =
            self.ndjson && self.stack.len() == 1 && dates::column_kind(&key) == ColumnKind::Record;
        self.key_segment(&key);
        let header = self.header_of(key);
        if let Some(f) = self.stack.last_mut() {
            f.header = Some(header);
        }
        self.held = Some(ChunkContext::default());
    }

    /// Appends a key's path segment (values in it are masked by the scan with the rest of
    /// the record's names).
    fn key_segment(&mut self, key: &str) {
        push_key(&mut self.path, key);
    }

    /// What a key says as a column header (remembered for the first keys seen).
    fn header_of(&mut self, key: String) -> Header {
        if let Some(h) = self.headers.get(&key) {
            return *h;
        }
        let h = self.env.det.header(&key);
        if self.headers.len() < MAX_HEADERS {
            self.headers.insert(key, h);
        }
        h
    }

    fn context(&self) -> ChunkContext {
        ChunkContext {
            header: self.stack.last().and_then(|f| f.header),
            ..ChunkContext::default()
        }
    }

    fn location(&self) -> Location {
        Location {
            json_path: Some(self.path.clone()),
            row: self.row,
            ..Location::default()
        }
    }

    fn reset(&mut self) {
        self.stack.clear();
        self.path.truncate(1);
    }

    // --- Tokens -------------------------------------------------------------------------------

    /// Hands out the held token, if it may hold a value.
    fn confirm(&mut self, sink: &mut dyn Sink) {
        let Some(ctx) = self.held.take() else { return };
        let bytes = &self.value.bytes;
        if std::mem::take(&mut self.date_value) {
            sink.record_date(When::Text(bytes), Rank::Named);
        }
        if self.env.det.has_patterns() || bytes.iter().any(|&b| b.is_ascii_digit() || b == b'@') {
            let loc = self.location();
            let text = self.value.text();
            let at = Position::Mapped(&self.value.anchors);
            sink.chunk(&Chunk::whole(&text, &loc, at, ctx));
        }
        self.value.clear();
    }

    fn start_token(&mut self) {
        self.value.clear();
        let pos = self.p.here();
        self.value.anchor(pos);
    }

    /// A number, `true`, `false`, `null` or another bare word; held. False when it is too long
    /// to be any of them (then it is held for the text read instead).
    fn bare_word(&mut self) -> io::Result<bool> {
        self.start_token();
        self.held = Some(self.context());
        loop {
            let avail = self.p.available()?;
            let len = avail.len();
            let n = avail.iter().position(|&b| !bare(b)).unwrap_or(len);
            self.value.push(&avail[..n]);
            self.p.pos += n;
            if self.value.len() > LONG {
                return Ok(false);
            }
            if n < len || len == 0 {
                return Ok(true);
            }
        }
    }

    /// A string after its opening quote. A short one is held; a long one goes out in windows
    /// as it is read.
    fn string(&mut self, key: bool, sink: &mut dyn Sink) -> Result<(), ExtractError> {
        self.start_token();
        let ctx = if key {
            ChunkContext::default()
        } else {
            self.context()
        };
        if self.decode(LONG)? != Step::Full {
            if key {
                self.end_key();
            } else {
                self.held = Some(ctx);
            }
            return Ok(());
        }
        // A long value dates nothing.
        self.date_value = false;
        // A long key: its path segment from its start; it goes out under it.
        let key_start = key.then(|| {
            let cut = char_floor(&self.value.bytes, KEY_SHOWN * 4);
            prefix(
                &String::from_utf8_lossy(&self.value.bytes[..cut]),
                KEY_SHOWN,
            )
            .to_string()
        });
        if let Some(k) = &key_start {
            self.key_segment(k);
        }
        let loc = self.location();
        let mut w = Windower::new(Addressing::Mapped, &loc, ctx);
        loop {
            let step = self.decode(LONG)?;
            // Whole characters go; a cut one waits for the rest.
            self.value.hand_over(&mut w, step != Step::Full);
            w.flush(sink, step != Step::Full);
            if step != Step::Full {
                break;
            }
            self.env.clock.check()?;
        }
        if let Some(k) = key_start {
            let header = self.header_of(k);
            if let Some(f) = self.stack.last_mut() {
                f.header = Some(header);
            }
        }
        Ok(())
    }

    /// Decodes string content into `value` until the closing quote, or until it holds
    /// `limit` bytes.
    fn decode(&mut self, limit: usize) -> io::Result<Step> {
        loop {
            if self.value.len() >= limit {
                return Ok(Step::Full);
            }
            let room = limit - self.value.len();
            let avail = self.p.available()?;
            if avail.is_empty() {
                return Ok(Step::Eof);
            }
            let scan = &avail[..avail.len().min(room)];
            let stop = if self.ndjson {
                memchr::memchr3(b'"', b'\\', b'\n', scan)
            } else {
                memchr::memchr2(b'"', b'\\', scan)
            };
            let Some(i) = stop else {
                self.value.push(scan);
                self.p.pos += scan.len();
                continue;
            };
            let b = scan[i];
            self.value.push(&scan[..i]);
            self.p.pos += i;
            match b {
                b'"' => {
                    self.p.pos += 1;
                    return Ok(Step::End);
                }
                b'\n' => return Ok(Step::Newline),
                _ => {
                    self.p.pos += 1;
                    self.escape()?;
                    let pos = self.p.here();
                    self.value.anchor(pos);
                }
            }
        }
    }

    /// One escape after its backslash; an unknown one stands for itself.
    fn escape(&mut self) -> io::Result<()> {
        let Some(c) = self.p.next()? else {
            return Ok(());
        };
        let ch = match c {
            b'n' => '\n',
            b't' => '\t',
            b'r' => '\r',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'u' => {
                let high = self.hex4()?;
                match high {
                    Some(h @ 0xD800..=0xDBFF) => {
                        let low =
                            if self.p.peek()? == Some(b'\\') && self.p.peek_at(1)? == Some(b'u') {
                                self.p.pos += 2;
                                self.hex4()?
                            } else {
                                None
                            };
                        match low {
                            Some(l @ 0xDC00..=0xDFFF) => char::from_u32(
                                0x10000 + ((u32::from(h) - 0xD800) << 10) + (u32::from(l) - 0xDC00),
                            )
                            .unwrap_or('\u{FFFD}'),
                            _ => '\u{FFFD}',
                        }
                    }
                    Some(u) => char::from_u32(u32::from(u)).unwrap_or('\u{FFFD}'),
                    None => '\u{FFFD}',
                }
            }
            other => {
                self.value.push(&[other]);
                return Ok(());
            }
        };
        let mut utf8 = [0u8; 4];
        self.value.push(ch.encode_utf8(&mut utf8).as_bytes());
        Ok(())
    }

    /// Four hex digits (fewer when the input says otherwise: then `None`).
    fn hex4(&mut self) -> io::Result<Option<u16>> {
        let mut v = 0u16;
        for _ in 0..4 {
            match self.p.peek()?.and_then(|d| (d as char).to_digit(16)) {
                Some(d) => {
                    v = v << 4 | d as u16;
                    self.p.pos += 1;
                }
                None => return Ok(None),
            }
        }
        Ok(Some(v))
    }

    // --- Giving up ------------------------------------------------------------------------------

    /// Reads on as text: the token still held (a space for what was skipped after it), then
    /// the source from here, to the end of the line (NDJSON) or of the input. Returns whether
    /// structured reading goes on (at the next line).
    fn give_up(&mut self, sink: &mut dyn Sink) -> Result<bool, ExtractError> {
        let base = Location {
            row: self.row,
            ..Location::default()
        };
        let mut w = Windower::new(Addressing::Mapped, &base, ChunkContext::default());
        if self.held.take().is_some() {
            self.value.hand_over(&mut w, true);
            if self.gap {
                w.buffer().push(' ');
            }
        }
        self.value.clear();
        w.anchor(self.p.here());
        let mut decoder = encoding_rs::UTF_8.new_decoder_without_bom_handling();
        let mut rest = Rest::new(&mut self.p, self.ndjson);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = crate::read::read_some(&mut rest, &mut buf)?;
            let out = w.buffer();
            out.reserve(decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16));
            let _ = decoder.decode_to_string(&buf[..n], out, n == 0);
            w.flush(sink, n == 0);
            if n == 0 {
                break;
            }
            self.env.clock.check()?;
        }
        self.reset();
        Ok(self.ndjson)
    }
}

/// The first `n` characters of `s`.
fn prefix(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

/// `.key` for a plain key, `['odd key']` otherwise.
fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && !key.starts_with(|c: char| c.is_ascii_digit())
        && key.chars().all(|c| c.is_alphanumeric() || c == '_');
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str("['");
        for c in key.chars() {
            if c == '\'' || c == '\\' {
                path.push('\\');
            }
            path.push(c);
        }
        path.push_str("']");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{Column, Locator};

    #[test]
    fn keys_become_path_segments() {
        let mut p = String::from("$");
        push_key(&mut p, "deltakere");
        p.push_str("[3]");
        push_key(&mut p, "fødselsnummer");
        push_key(&mut p, "e-post");
        push_key(&mut p, "it's");
        assert_eq!(p, "$.deltakere[3].fødselsnummer['e-post']['it\\'s']");
    }

    #[test]
    fn json_is_told_from_ndjson() {
        assert_eq!(
            detect("txt", "{\"a\": 1}\n{\"a\": 2}\n"),
            Some(Format::Ndjson)
        );
        assert_eq!(detect("txt", "{\n  \"a\": 1\n}\n"), Some(Format::Json));
        assert_eq!(detect("txt", "[1, 2]"), None);
        assert_eq!(detect("jsonl", "x"), Some(Format::Ndjson));
    }

    /// What a chunk held: its text, path, row, and the line and column of its first byte.
    #[derive(Debug, PartialEq)]
    struct Got {
        text: String,
        path: Option<String>,
        row: Option<u64>,
        line: u64,
        column: u64,
        identity: bool,
    }

    fn read(input: &[u8], ndjson: bool) -> Vec<Got> {
        let det = crate::detect::Detector::builtin();
        let limits = crate::extract::Limits::default();
        let env = crate::extract::testing::env(&det, &limits);
        struct Keep(Vec<Got>);
        impl Sink for Keep {
            fn chunk(&mut self, c: &Chunk<'_>) {
                let loc = Locator::new(c).locate(c.report.start);
                let Some(Column::Number(column)) = loc.column else {
                    panic!("no column: {loc:?}")
                };
                self.0.push(Got {
                    text: c.text[c.report.clone()].to_string(),
                    path: loc.json_path,
                    row: loc.row,
                    line: loc.line.unwrap(),
                    column,
                    identity: c.context.header.is_some_and(|h| h.identity),
                });
            }
        }
        let mut sink = Keep(Vec::new());
        let n = extract(&mut &input[..], ndjson, &env, &mut sink).unwrap();
        assert_eq!(n, input.len() as u64);
        sink.0
    }

    fn got(text: &str, path: &str, line: u64, column: u64) -> (String, String, u64, u64) {
        (text.into(), path.into(), line, column)
    }

    fn short(g: &[Got]) -> Vec<(String, String, u64, u64)> {
        g.iter()
            .map(|g| {
                (
                    g.text.clone(),
                    g.path.clone().unwrap_or_default(),
                    g.line,
                    g.column,
                )
            })
            .collect()
    }

    #[test]
    fn values_and_keys_with_paths_lines_and_columns() {
        let doc = concat!(
            "{\n",
            "  \"deltakere\": [\n",
            "    {\"fnr\": \"13097248022\", \"tlf\": 41234567},\n",
            "    {\"e-post\": \"kari\\u0040firma.no\", \"notat\": \"a\\nb 92345678\"}\n",
            "  ],\n",
            "  \"20036914700\": {\"navn\": \"Ola\"}\n",
            "}\n"
        );
        let g = read(doc.as_bytes(), false);
        assert_eq!(
            short(&g),
            [
                got("13097248022", "$.deltakere[0].fnr", 3, 14),
                got("41234567", "$.deltakere[0].tlf", 3, 35),
                got("kari@firma.no", "$.deltakere[1]['e-post']", 4, 17),
                got("a\nb 92345678", "$.deltakere[1].notat", 4, 48),
                got("20036914700", "$['20036914700']", 6, 4),
            ]
        );
        assert!(g[0].identity, "the key fnr is context");
    }

    #[test]
    fn escapes_keep_columns_exact() {
        let doc = b"{\"a\": \"x\\\"\\u00f8 \\ud83d\\ude00 41234567\"}";
        let det = crate::detect::Detector::builtin();
        let limits = crate::extract::Limits::default();
        let env = crate::extract::testing::env(&det, &limits);
        struct At(Vec<(String, u64)>);
        impl Sink for At {
            fn chunk(&mut self, c: &Chunk<'_>) {
                let i = c.text.find("412").unwrap();
                let loc = Locator::new(c).locate(i);
                let Some(Column::Number(col)) = loc.column else {
                    panic!()
                };
                self.0.push((c.text.to_string(), col));
            }
        }
        let mut sink = At(Vec::new());
        extract(&mut &doc[..], false, &env, &mut sink).unwrap();
        let col = doc.windows(3).position(|w| w == b"412").unwrap() as u64 + 1;
        assert_eq!(sink.0, [("x\"ø 😀 41234567".to_string(), col)]);
    }

    #[test]
    fn damage_hands_over_to_text_without_loss_or_repeats() {
        // A value written with a space (invalid JSON) is read on as text, whole.
        let g = read(b"{\"a\": \"x1\", \"fnr\": 130972 48022, \"b\": 5}", false);
        let texts: Vec<&str> = g.iter().map(|g| g.text.as_str()).collect();
        assert_eq!(texts, ["x1", "130972 48022, \"b\": 5}"], "{g:?}");
        assert_eq!((g[1].line, g[1].column), (1, 20));
        assert_eq!(g[1].path, None);
    }

    #[test]
    fn ndjson_rows_resync_at_each_line() {
        let lines = concat!(
            "{\"fnr\": \"13097248022\"}\n",
            "not json 41234567\n",
            "{\"a\": [1, \n",
            "\n",
            "{\"20036914700\": \"x\", \"k\": {\"m\": \"92345678\"}}\n",
        );
        let g = read(lines.as_bytes(), true);
        let rows: Vec<(String, Option<u64>, Option<String>, u64)> = g
            .iter()
            .map(|g| (g.text.clone(), g.row, g.path.clone(), g.column))
            .collect();
        assert_eq!(
            rows,
            [
                ("13097248022".into(), Some(1), Some("$.fnr".into()), 10),
                ("not json 41234567\n".into(), Some(2), None, 1),
                ("1".into(), Some(3), Some("$.a[0]".into()), 8),
                (
                    "20036914700".into(),
                    Some(5),
                    Some("$['20036914700']".into()),
                    3
                ),
                ("92345678".into(), Some(5), Some("$.k.m".into()), 34),
            ]
        );
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_read_as_text() {
        let depth = 100_000;
        let doc = format!(
            "{{\"fnr\":\"13097248022\",\"a\":{}\"20036914700\"{}}}",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let g = read(doc.as_bytes(), false);
        assert_eq!(g[0].path.as_deref(), Some("$.fnr"));
        let deep = g.iter().find(|g| g.text.contains("20036914700")).unwrap();
        assert_eq!(deep.path, None, "read as text");
        assert_eq!(
            g.iter().filter(|g| g.text.contains("20036914700")).count(),
            1
        );
    }

    #[test]
    fn long_strings_go_out_in_windows_with_their_path() {
        let filler = "x".repeat(LONG * 3);
        let doc = format!("{{\"notat\": \"{filler} 13097248022 {filler}\", \"b\": \"41234567\"}}");
        let det = crate::detect::Detector::builtin();
        let limits = crate::extract::Limits::default();
        let env = crate::extract::testing::env(&det, &limits);
        /// (path, line, column) of each `needle` that starts in a report range.
        struct Find(Vec<(Option<String>, u64, Column)>, usize);
        impl Sink for Find {
            fn chunk(&mut self, c: &Chunk<'_>) {
                self.1 += 1;
                let mut l = Locator::new(c);
                for (i, _) in c.text.match_indices("13097248022") {
                    if c.report.contains(&i) {
                        let loc = l.locate(i);
                        self.0
                            .push((loc.json_path, loc.line.unwrap(), loc.column.unwrap()));
                    }
                }
            }
        }
        let mut sink = Find(Vec::new(), 0);
        extract(&mut doc.as_bytes(), false, &env, &mut sink).unwrap();
        assert!(sink.1 > 4, "windows");
        let col = doc.find("13097248022").unwrap() as u64 + 1;
        assert_eq!(
            sink.0,
            [(Some("$.notat".into()), 1, Column::Number(col))],
            "found once, in place"
        );
    }
}
