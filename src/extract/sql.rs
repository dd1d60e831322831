//! SQL dumps (mysqldump, pg_dump plain format, sqlite3 `.dump`, generic `INSERT` scripts),
//! parsed as a stream into table rows.
//!
//! # Design
//! Dumps run to hundreds of gigabytes and mysqldump writes a whole table as one extended
//! `INSERT` on one line, so nothing here holds a statement or a line: a pull parser reads the
//! stream through one fixed buffer and hands each tuple to [`Table`] as soon as its closing
//! parenthesis is read. Memory is the buffer, one row (values are capped at [`MAX_VALUE`]),
//! the column names of each `CREATE TABLE`, and the table sample ([`super::table`]).
//!
//! Statements are recognised by their first word:
//! * `INSERT`/`REPLACE ... INTO t [(cols)] VALUES (...),(...)`: the column names come from the
//!   statement, else from the table's `CREATE TABLE`, else by position (`"column": 3`).
//! * `CREATE TABLE t (...)`: its column names are remembered for later `INSERT`s.
//! * `COPY t (cols) FROM stdin;` (pg_dump): tab-separated lines up to `\.`, `\N` for `NULL`.
//! * Anything else (`SET`, `UPDATE ... WHERE fnr = '...'`, comments) is not data of a table but
//!   may still hold personal data: its text is scanned as is, located by byte offset.
//!
//! String syntax differs by dialect: MySQL treats `\` in strings as an escape, PostgreSQL (with
//! `standard_conforming_strings`, the default since 9.1) and SQLite do not. The dialect is
//! taken from the dump's head (`-- MySQL dump`, `-- MariaDB dump`, backtick identifiers).
//! PostgreSQL `E'...'` strings always take escapes.

use std::collections::{HashMap, HashSet};
use std::io::{self, Read};

use super::pull::Pull;
use super::table::{Row, Table};
use super::Env;
use super::{Anchor, Chunk, ExtractError, LinePos, Location, Position, Sink};
use crate::detect::ChunkContext;
use crate::retain::dates;

/// Bytes kept of one value; the rest is skipped (and counted in a `partial` note).
pub(crate) const MAX_VALUE: usize = 4 << 20;
/// Bytes of non-data statement text scanned at once.
const MAX_OTHER: usize = 1 << 20;
/// Rows between two checks of the time limit.
const TIME_EVERY: u64 = 4096;
/// Distinct table and column names remembered as scanned (each is scanned once, where it first
/// occurs); past this many, names are scanned wherever they occur.
const MAX_NAMES: usize = 100_000;

/// Words that start a table constraint, not a column, in `CREATE TABLE`.
const CONSTRAINTS: &[&str] = &[
    "CONSTRAINT",
    "PRIMARY",
    "KEY",
    "UNIQUE",
    "INDEX",
    "FOREIGN",
    "CHECK",
    "FULLTEXT",
    "SPATIAL",
    "EXCLUDE",
    "PERIOD",
    "LIKE",
];

/// True when `text` (the decoded head of a text input) looks like an SQL dump or script.
pub(crate) fn detect(ext: &str, text: &str) -> bool {
    if ext == "sql" {
        return true;
    }
    let first = text.lines().map(str::trim).find(|l| {
        !l.is_empty() && !l.starts_with("--") && !l.starts_with('#') && !l.starts_with("/*")
    });
    let starts_sql = first.is_none_or(|l| {
        let word = &l[..l.bytes().take_while(u8::is_ascii_alphabetic).count()];
        [
            "SET", "CREATE", "INSERT", "COPY", "DROP", "LOCK", "BEGIN", "PRAGMA", "USE", "START",
            "ALTER", "SELECT",
        ]
        .iter()
        .any(|k| word.eq_ignore_ascii_case(k))
    });
    // The first statement decides most texts; the whole head is searched only after it.
    starts_sql
        && (text.contains("INSERT INTO")
            || text.contains("CREATE TABLE")
            || text.contains(" FROM stdin;"))
}

/// Whether strings in this dump take backslash escapes (MySQL/MariaDB).
fn backslash_dialect(head: &str) -> bool {
    head.contains("MySQL dump")
        || head.contains("MariaDB dump")
        || head.contains('`')
        || head.contains("standard_conforming_strings = off")
}

/// What a dump held.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stats {
    pub bytes: u64,
    pub rows: u64,
    /// Values longer than [`MAX_VALUE`], scanned only in their first part.
    pub truncated: u64,
}

/// Parses a dump from `reader` (UTF-8, at its start) into `sink`. `head` is the decoded head,
/// for the dialect.
pub(crate) fn extract(
    reader: &mut dyn Read,
    head: &str,
    env: &Env<'_>,
    sink: &mut dyn Sink,
) -> Result<Stats, ExtractError> {
    let mut p = Parser {
        input: Pull::new(reader, Some(env.clock)),
        env,
        backslash: backslash_dialect(head),
        schemas: HashMap::new(),
        rows_seen: HashMap::new(),
        table: None,
        row: Row::default(),
        long: false,
        other: Vec::new(),
        anchors: Vec::new(),
        names: HashSet::new(),
        stats: Stats::default(),
    };
    p.run(sink)?;
    p.stats.bytes = p.input.total;
    Ok(p.stats)
}

struct Parser<'a, 'r> {
    input: Pull<'r>,
    env: &'a Env<'a>,
    backslash: bool,
    /// Column names from `CREATE TABLE`, by table name, and which are declared as dates.
    schemas: HashMap<String, (Vec<String>, Vec<bool>)>,
    /// Rows read per table so far (a table may come back in a later statement).
    rows_seen: HashMap<String, u64>,
    /// The table being read, its name and the column list it was opened with (as written:
    /// the table shows them with values hidden).
    table: Option<(Table<'a>, String, Vec<String>)>,
    row: Row,
    /// The value being read is over [`MAX_VALUE`].
    long: bool,
    /// Text of statements that are not table data, scanned as text, and where its pieces
    /// stand in the source.
    other: Vec<u8>,
    anchors: Vec<Anchor>,
    /// Names (of tables and columns) already scanned.
    names: HashSet<String>,
    stats: Stats,
}

/// How a value ended.
enum End {
    Comma,
    Paren,
    Eof,
}

fn eq_word(bytes: &[u8], word: &str) -> bool {
    bytes.eq_ignore_ascii_case(word.as_bytes())
}

impl<'a> Parser<'a, '_> {
    fn run(&mut self, sink: &mut dyn Sink) -> Result<(), ExtractError> {
        loop {
            self.env.clock.check()?;
            self.skip_space(true)?;
            self.flush_other(sink);
            let Some(b) = self.input.peek()? else { break };
            if b == b';' {
                self.input.pos += 1;
                continue;
            }
            if b == b'\\' {
                // A psql meta-command (`\restrict key` in pg_dump 15.14+): one line.
                self.skip_line(true)?;
                continue;
            }
            if !b.is_ascii_alphabetic() {
                self.skip_statement(sink)?;
                continue;
            }
            let at = self.input.here();
            let word = self.word()?;
            if eq_word(&word, "INSERT") || eq_word(&word, "REPLACE") {
                self.insert(at, &word, sink)?;
            } else if eq_word(&word, "CREATE") {
                self.create(at, &word, sink)?;
            } else if eq_word(&word, "COPY") {
                self.copy(at, &word, sink)?;
            } else {
                self.start_other(at, &word);
                self.skip_statement(sink)?;
            }
        }
        self.end_table(sink);
        self.flush_other(sink);
        Ok(())
    }

    // --- Text that is not table data ---------------------------------------------------------

    /// Starts recording a statement that is not table data, from its first word at `at`.
    fn start_other(&mut self, at: LinePos, word: &[u8]) {
        self.anchor(at);
        self.other.extend_from_slice(word);
    }

    /// Text recorded from now on stands at `at` in the source.
    fn anchor(&mut self, pos: LinePos) {
        let at = self.other.len();
        if self.anchors.last().is_some_and(|a| a.at == at) {
            self.anchors.pop();
        }
        self.anchors.push(Anchor { at, pos });
    }

    /// Text recorded from now on is what follows the position.
    fn mark(&mut self) {
        let here = self.input.here();
        self.anchor(here);
    }

    fn record(&mut self, b: u8) {
        if self.anchors.is_empty() {
            self.mark(); // every recording path marks first; a column off by one at worst
        }
        self.other.push(b);
    }

    fn flush_other(&mut self, sink: &mut dyn Sink) {
        if self.other.is_empty() {
            self.anchors.clear();
            return;
        }
        if self.env.det.has_patterns()
            || self.other.iter().any(|&b| b.is_ascii_digit() || b == b'@')
        {
            let text = String::from_utf8_lossy(&self.other);
            let base = Location::default();
            sink.chunk(&Chunk::whole(
                &text,
                &base,
                Position::Mapped(&self.anchors),
                ChunkContext::default(),
            ));
        }
        self.discard_other();
    }

    /// Forgets recorded text (the statement turned out to be table data).
    fn discard_other(&mut self) {
        self.other.clear();
        self.anchors.clear();
    }

    /// Scans a table or column name found at `at` as text, the first time it is seen: a name
    /// can hold a value (`p_13097248022`). Locations show names with such values hidden.
    fn scan_name(&mut self, name: &str, at: LinePos, sink: &mut dyn Sink) {
        if !self.env.det.may_match(name.as_bytes()) {
            return;
        }
        if self.names.len() < MAX_NAMES && !self.names.insert(name.to_string()) {
            return;
        }
        // A name glues values to words (`p_13097248022`): spread it out for detection.
        let text = crate::detect::names::Spread::new(name).text;
        let base = Location::default();
        sink.chunk(&Chunk::whole(
            &text,
            &base,
            Position::Lines(at),
            ChunkContext::default(),
        ));
    }

    // --- Lexing -------------------------------------------------------------------------------

    /// Skips whitespace and comments (`-- `, `#` in MySQL, `/* */`); `record` keeps the
    /// comments' text for scanning.
    fn skip_space(&mut self, record: bool) -> io::Result<()> {
        loop {
            let Some(b) = self.input.peek()? else {
                return Ok(());
            };
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => self.input.pos += 1,
                b'-' if self.input.peek_at(1)? == Some(b'-') => self.skip_line(record)?,
                b'#' if self.backslash => self.skip_line(record)?,
                b'/' if self.input.peek_at(1)? == Some(b'*') => {
                    self.input.pos += 2;
                    if record {
                        self.mark();
                    }
                    let mut star = false;
                    while let Some(c) = self.input.next()? {
                        if record {
                            self.record(c);
                        }
                        if star && c == b'/' {
                            break;
                        }
                        star = c == b'*';
                    }
                    if record {
                        self.record(b'\n');
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn skip_line(&mut self, record: bool) -> io::Result<()> {
        let mut first = true;
        loop {
            let avail = self.input.available()?;
            if avail.is_empty() {
                return Ok(());
            }
            let (n, done) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i + 1, true),
                None => (avail.len(), false),
            };
            if record {
                if first {
                    self.mark();
                    first = false;
                }
                let (pos, end) = (self.input.pos, self.input.pos + n);
                self.other.extend_from_slice(&self.input.buf[pos..end]);
            }
            self.input.pos += n;
            if done {
                return Ok(());
            }
        }
    }

    /// A keyword: letters, digits and `_`.
    fn word(&mut self) -> io::Result<Vec<u8>> {
        let mut w = Vec::new();
        while let Some(b) = self.input.peek()? {
            if !(b.is_ascii_alphanumeric() || b == b'_') || w.len() >= 64 {
                break;
            }
            w.push(b);
            self.input.pos += 1;
        }
        Ok(w)
    }

    /// An identifier, bare or quoted with `` ` ``, `"` or `[]`; `true` when it was quoted; and
    /// where it starts.
    fn ident(&mut self) -> io::Result<(String, bool, LinePos)> {
        self.skip_space(false)?;
        let at = self.input.here();
        let mut out = Vec::new();
        let close = match self.input.peek()? {
            Some(b'`') => Some(b'`'),
            Some(b'"') => Some(b'"'),
            Some(b'[') => Some(b']'),
            _ => None,
        };
        if let Some(close) = close {
            self.input.pos += 1;
            while let Some(b) = self.input.next()? {
                if b == close {
                    if close != b']' && self.input.peek()? == Some(close) {
                        self.input.pos += 1;
                    } else {
                        break;
                    }
                }
                if out.len() < 1024 {
                    out.push(b);
                }
            }
        } else {
            while let Some(b) = self.input.peek()? {
                if !(b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80)
                    || out.len() >= 1024
                {
                    break;
                }
                out.push(b);
                self.input.pos += 1;
            }
        }
        Ok((
            String::from_utf8_lossy(&out).into_owned(),
            close.is_some(),
            at,
        ))
    }

    /// A possibly schema-qualified name (`public.personer`), unquoted, and where it starts.
    fn name(&mut self) -> io::Result<(String, LinePos)> {
        let (mut name, _, at) = self.ident()?;
        while self.input.peek()? == Some(b'.') {
            self.input.pos += 1;
            name.push('.');
            name.push_str(&self.ident()?.0);
        }
        Ok((name, at))
    }

    /// Skips to the end of the statement (after its `;`), keeping its text for scanning.
    fn skip_statement(&mut self, sink: &mut dyn Sink) -> io::Result<()> {
        self.mark();
        while let Some(b) = self.input.next()? {
            match b {
                b';' => break,
                b'\'' | b'"' | b'`' => {
                    self.record(b);
                    self.skip_quoted(b, self.backslash && b != b'`', true)?;
                }
                b'-' if self.input.peek()? == Some(b'-') => {
                    self.record(b);
                    self.skip_line(true)?;
                }
                b'$' => {
                    self.record(b);
                    self.skip_dollar_quoted()?;
                }
                _ => self.record(b),
            }
            if self.other.len() >= MAX_OTHER {
                self.flush_other(sink);
                self.mark();
            }
        }
        self.flush_other(sink);
        Ok(())
    }

    /// Skips a quoted string or identifier whose opening quote was read.
    fn skip_quoted(&mut self, quote: u8, backslash: bool, record: bool) -> io::Result<()> {
        while let Some(b) = self.input.next()? {
            if record {
                self.record(b);
            }
            if backslash && b == b'\\' {
                if let Some(c) = self.input.next()? {
                    if record {
                        self.record(c);
                    }
                }
            } else if b == quote {
                if self.input.peek()? == Some(quote) {
                    self.input.pos += 1;
                    if record {
                        self.record(quote);
                    }
                } else {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// PostgreSQL dollar quoting (`$$ ... $$`, `$body$ ... $body$`), after the first `$`.
    fn skip_dollar_quoted(&mut self) -> io::Result<()> {
        let mut tag = vec![b'$'];
        while let Some(b) = self.input.peek()? {
            if b == b'$' {
                self.input.pos += 1;
                tag.push(b);
                self.record(b);
                break;
            }
            if !(b.is_ascii_alphanumeric() || b == b'_') || tag.len() > 64 {
                return Ok(()); // a lone `$`, or `$1`: not a quote
            }
            tag.push(b);
            self.input.pos += 1;
            self.record(b);
        }
        if tag.len() < 2
            || tag.last() != Some(&b'$')
            || tag[1..tag.len() - 1]
                .first()
                .is_some_and(u8::is_ascii_digit)
        {
            return Ok(());
        }
        let mut matched = 0;
        while let Some(b) = self.input.next()? {
            self.record(b);
            matched = if b == tag[matched] {
                matched + 1
            } else if b == tag[0] {
                1
            } else {
                0
            };
            if matched == tag.len() {
                return Ok(());
            }
        }
        Ok(())
    }

    // --- Tables -------------------------------------------------------------------------------

    /// Makes `name` with these columns the table being read.
    fn open_table(&mut self, name: &str, columns: Vec<String>, sink: &mut dyn Sink) {
        if let Some((_, open, cols)) = &self.table {
            if open == name && *cols == columns {
                return;
            }
        }
        self.end_table(sink);
        let first = self.rows_seen.get(name).copied().unwrap_or(0) + 1;
        let det = self.env.det;
        // Names go into locations as they are; the scan masks values in them (unless asked
        // to reveal) before the record leaves its worker.
        let table = Table::new(det, Some(name.to_string()), columns.clone(), first)
            .with_date_types(&self.date_types(name, &columns));
        self.table = Some((table, name.to_string(), columns));
    }

    fn end_table(&mut self, sink: &mut dyn Sink) {
        if let Some((t, name, _)) = self.table.take() {
            self.rows_seen.insert(name, t.rows());
            t.finish(sink);
        }
    }

    fn push_row(&mut self, sink: &mut dyn Sink) -> Result<(), ExtractError> {
        if let Some((t, _, _)) = &mut self.table {
            t.row(&self.row, sink);
        }
        self.stats.rows += 1;
        if self.stats.rows % TIME_EVERY == 0 {
            self.env.clock.check()?;
        }
        Ok(())
    }

    /// Column names the statement or the table's `CREATE TABLE` gives.
    fn columns_of(&self, table: &str, listed: Vec<String>) -> Vec<String> {
        if !listed.is_empty() {
            return listed;
        }
        self.schemas
            .get(table)
            .map(|(c, _)| c.clone())
            .unwrap_or_default()
    }

    /// Which of `columns` the table's `CREATE TABLE` declares as dates.
    fn date_types(&self, table: &str, columns: &[String]) -> Vec<bool> {
        let Some((names, typed)) = self.schemas.get(table) else {
            return Vec::new();
        };
        columns
            .iter()
            .map(|c| {
                names
                    .iter()
                    .position(|n| n == c)
                    .is_some_and(|i| typed.get(i) == Some(&true))
            })
            .collect()
    }

    /// A parenthesised list of column names, after its `(`.
    /// A table name and its optional `(col, ...)` list, as INSERT and COPY write them; `None`
    /// when the list is malformed (the statement is then skipped).
    fn table_and_columns(
        &mut self,
        sink: &mut dyn Sink,
    ) -> io::Result<Option<(String, Vec<String>)>> {
        let (table, at) = self.name()?;
        self.scan_name(&table, at, sink);
        self.skip_space(false)?;
        let mut listed = Vec::new();
        if self.input.peek()? == Some(b'(') {
            self.input.pos += 1;
            match self.column_list(sink)? {
                Some(c) => listed = c,
                None => {
                    self.skip_statement(sink)?;
                    return Ok(None);
                }
            }
        }
        self.skip_space(false)?;
        Ok(Some((table, listed)))
    }

    fn column_list(&mut self, sink: &mut dyn Sink) -> io::Result<Option<Vec<String>>> {
        let mut cols = Vec::new();
        loop {
            let (c, _, at) = self.ident()?;
            self.scan_name(&c, at, sink);
            cols.push(c);
            self.skip_space(false)?;
            match self.input.next()? {
                Some(b',') => {}
                Some(b')') => return Ok(Some(cols)),
                _ => return Ok(None),
            }
        }
    }

    // --- Statements ---------------------------------------------------------------------------

    /// `INSERT [modifiers] INTO t [(cols)] VALUES (...), (...);`
    fn insert(
        &mut self,
        at: LinePos,
        first: &[u8],
        sink: &mut dyn Sink,
    ) -> Result<(), ExtractError> {
        let mut seen = first.to_vec();
        loop {
            self.skip_space(false)?;
            let w = self.word()?;
            seen.push(b' ');
            seen.extend_from_slice(&w);
            if eq_word(&w, "INTO") {
                break;
            }
            let modifier = [
                "IGNORE",
                "LOW_PRIORITY",
                "DELAYED",
                "HIGH_PRIORITY",
                "OR",
                "REPLACE",
                "ABORT",
                "FAIL",
                "ROLLBACK",
            ]
            .iter()
            .any(|m| eq_word(&w, m));
            if !modifier {
                self.start_other(at, &seen);
                self.skip_statement(sink)?;
                return Ok(());
            }
        }
        let Some((table, listed)) = self.table_and_columns(sink)? else {
            return Ok(());
        };
        let w = self.word()?;
        if !(eq_word(&w, "VALUES") || eq_word(&w, "VALUE")) {
            // INSERT ... SELECT, DEFAULT VALUES, SET a = ...: scanned as text.
            self.start_other(at, b"INSERT ");
            self.other.extend_from_slice(&w);
            self.skip_statement(sink)?;
            return Ok(());
        }
        let columns = self.columns_of(&table, listed);
        self.open_table(&table, columns, sink);
        loop {
            self.skip_space(false)?;
            match self.input.peek()? {
                Some(b'(') => self.input.pos += 1,
                None => return Ok(()),
                Some(_) => return Ok(self.skip_statement(sink)?),
            }
            self.row.clear();
            self.row.line = Some(self.input.here().line);
            self.tuple()?;
            self.push_row(sink)?;
            self.skip_space(false)?;
            match self.input.next()? {
                Some(b',') => {}
                Some(b';') | None => return Ok(()),
                // ON DUPLICATE KEY UPDATE ..., ON CONFLICT ..., RETURNING ...
                Some(_) => return Ok(self.skip_statement(sink)?),
            }
        }
    }

    /// The values of one tuple, after its `(`, through its `)`.
    fn tuple(&mut self) -> io::Result<()> {
        loop {
            self.skip_space(false)?;
            let Some(b) = self.input.peek()? else {
                return Ok(());
            };
            let next = self.input.peek_at(1)?;
            self.long = false;
            self.row.begin();
            let mut null = false;
            match (b, next) {
                (b')', _) => {
                    // `()`, or a trailing comma: no further value.
                    self.input.pos += 1;
                    self.row.cancel();
                    return Ok(());
                }
                (b'\'', _) => {
                    self.input.pos += 1;
                    self.string(self.backslash)?;
                }
                (b'E' | b'e', Some(b'\'')) => {
                    self.input.pos += 2;
                    self.string(true)?;
                }
                (b'N' | b'n', Some(b'\'')) => {
                    self.input.pos += 2;
                    self.string(self.backslash)?;
                }
                (b'X' | b'x', Some(b'\'')) => {
                    self.input.pos += 2;
                    self.hex()?;
                    if self.input.peek()? == Some(b'\'') {
                        self.input.pos += 1;
                    }
                }
                (b'0', Some(b'x' | b'X')) => {
                    self.input.pos += 2;
                    self.hex()?;
                }
                (b'_', _) => {
                    // A character set introducer: `_binary '...'`, `_utf8mb4 0x...`.
                    self.word()?;
                    self.skip_space(false)?;
                    match (self.input.peek()?, self.input.peek_at(1)?) {
                        (Some(b'\''), _) => {
                            self.input.pos += 1;
                            self.string(self.backslash)?;
                        }
                        (Some(b'0'), Some(b'x' | b'X')) => {
                            self.input.pos += 2;
                            self.hex()?;
                        }
                        _ => null = self.raw()?,
                    }
                }
                _ => null = self.raw()?,
            }
            if self.long {
                self.stats.truncated += 1;
            }
            if null {
                self.row.end_null();
            } else {
                self.row.end();
            }
            match self.after_value()? {
                End::Comma => {}
                End::Paren | End::Eof => return Ok(()),
            }
        }
    }

    /// Appends to the value being read, up to [`MAX_VALUE`].
    fn keep(row: &mut Row, long: &mut bool, bytes: &[u8]) {
        let room = MAX_VALUE.saturating_sub(row.open_len());
        if bytes.len() > room {
            *long = true;
            row.push(&bytes[..room]);
        } else {
            row.push(bytes);
        }
    }

    /// A quoted string after its opening `'`: `''` is a quote; with `backslash`, `\x` escapes.
    fn string(&mut self, backslash: bool) -> io::Result<()> {
        loop {
            let avail = self.input.available()?;
            if avail.is_empty() {
                return Ok(());
            }
            let hit = if backslash {
                memchr::memchr2(b'\'', b'\\', avail)
            } else {
                memchr::memchr(b'\'', avail)
            };
            let Some(i) = hit else {
                let n = avail.len();
                let (pos, end) = (self.input.pos, self.input.end);
                Self::keep(&mut self.row, &mut self.long, &self.input.buf[pos..end]);
                self.input.pos += n;
                continue;
            };
            let pos = self.input.pos;
            Self::keep(&mut self.row, &mut self.long, &self.input.buf[pos..pos + i]);
            self.input.pos += i + 1;
            if self.input.buf[pos + i] == b'\\' {
                let Some(c) = self.input.next()? else {
                    return Ok(());
                };
                let out: &[u8] = match c {
                    b'n' => b"\n",
                    b'r' => b"\r",
                    b't' => b"\t",
                    b'0' => b" ",
                    b'b' => b"\x08",
                    b'Z' => b"\x1a",
                    // MySQL keeps the backslash of \% and \_ (LIKE wildcards).
                    b'%' => b"\\%",
                    b'_' => b"\\_",
                    _ => std::slice::from_ref(&c),
                };
                Self::keep(&mut self.row, &mut self.long, out);
            } else if self.input.peek()? == Some(b'\'') {
                self.input.pos += 1;
                Self::keep(&mut self.row, &mut self.long, b"'");
            } else {
                return Ok(());
            }
        }
    }

    /// Hex digits (`0x4B61` or the inside of `X'4B61'`), decoded to bytes.
    fn hex(&mut self) -> io::Result<()> {
        let mut high: Option<u8> = None;
        while let Some(b) = self.input.peek()? {
            let v = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => break,
            };
            self.input.pos += 1;
            match high.take() {
                None => high = Some(v),
                Some(h) => Self::keep(&mut self.row, &mut self.long, &[h << 4 | v]),
            }
        }
        Ok(())
    }

    /// An unquoted value (a number, `NULL`, `TRUE`, a function call), up to the `,` or `)`
    /// that ends it. Returns true for `NULL`.
    fn raw(&mut self) -> io::Result<bool> {
        let mut depth = 0u32;
        loop {
            let avail = self.input.available()?;
            if avail.is_empty() {
                break;
            }
            let i = avail
                .iter()
                .position(|&b| matches!(b, b',' | b')' | b'(' | b'\'' | b'"'))
                .unwrap_or(avail.len());
            let pos = self.input.pos;
            Self::keep(&mut self.row, &mut self.long, &self.input.buf[pos..pos + i]);
            self.input.pos += i;
            let Some(b) = self.input.peek()? else { break };
            match b {
                b',' | b')' if depth == 0 => break,
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ => {}
            }
            self.input.pos += 1;
            Self::keep(&mut self.row, &mut self.long, &[b]);
            if b == b'\'' || b == b'"' {
                // A string inside a call (`CONVERT('...' USING utf8)`): kept with its quotes.
                while let Some(c) = self.input.next()? {
                    Self::keep(&mut self.row, &mut self.long, &[c]);
                    if c == b'\\' && self.backslash {
                        if let Some(d) = self.input.next()? {
                            Self::keep(&mut self.row, &mut self.long, &[d]);
                        }
                    } else if c == b {
                        break;
                    }
                }
            }
        }
        let v = self.row.open_value().trim_ascii_end();
        Ok(eq_word(v, "NULL"))
    }

    /// After a value: its `,` or the tuple's `)`. Anything else (a PostgreSQL cast `::text`)
    /// is skipped.
    fn after_value(&mut self) -> io::Result<End> {
        let mut depth = 0u32;
        loop {
            self.skip_space(false)?;
            let Some(b) = self.input.next()? else {
                return Ok(End::Eof);
            };
            match b {
                b',' if depth == 0 => return Ok(End::Comma),
                b')' if depth == 0 => return Ok(End::Paren),
                b'(' => depth += 1,
                b')' => depth -= 1,
                b'\'' | b'"' => self.skip_quoted(b, self.backslash, false)?,
                _ => {}
            }
        }
    }

    /// `CREATE TABLE t (col type ..., CONSTRAINT ...) options;` — remembers the column names.
    /// Other `CREATE` statements are scanned as text.
    fn create(
        &mut self,
        at: LinePos,
        first: &[u8],
        sink: &mut dyn Sink,
    ) -> Result<(), ExtractError> {
        let mut seen = first.to_vec();
        let is_table = loop {
            self.skip_space(false)?;
            let w = self.word()?;
            seen.push(b' ');
            seen.extend_from_slice(&w);
            if eq_word(&w, "TABLE") {
                break true;
            }
            if ![
                "TEMPORARY",
                "TEMP",
                "UNLOGGED",
                "GLOBAL",
                "LOCAL",
                "OR",
                "REPLACE",
            ]
            .iter()
            .any(|m| eq_word(&w, m))
            {
                break false;
            }
        };
        if !is_table {
            self.start_other(at, &seen);
            return Ok(self.skip_statement(sink)?);
        }
        let (mut table, mut table_at) = self.name()?;
        if table.eq_ignore_ascii_case("IF") {
            self.skip_space(false)?;
            self.word()?; // NOT
            self.skip_space(false)?;
            self.word()?; // EXISTS
            (table, table_at) = self.name()?;
        }
        self.scan_name(&table, table_at, sink);
        self.skip_space(false)?;
        if self.input.peek()? != Some(b'(') {
            // CREATE TABLE ... AS SELECT
            return Ok(self.skip_statement(sink)?);
        }
        self.input.pos += 1;
        let mut columns = Vec::new();
        let mut typed = Vec::new();
        loop {
            self.skip_space(false)?;
            match self.input.peek()? {
                Some(b')') => {
                    self.input.pos += 1;
                    break;
                }
                None => break,
                _ => {}
            }
            let (name, quoted, name_at) = self.ident()?;
            if !name.is_empty()
                && (quoted || !CONSTRAINTS.iter().any(|c| name.eq_ignore_ascii_case(c)))
            {
                self.scan_name(&name, name_at, sink);
                columns.push(name);
                // The type: a DATE or TIMESTAMP column may date the table's rows.
                self.skip_space(false)?;
                let ty = self.word()?;
                typed.push(dates::is_date_type(&String::from_utf8_lossy(&ty)));
            }
            // The rest of the definition: its type, defaults, comments.
            match self.after_value()? {
                End::Comma => {}
                End::Paren | End::Eof => break,
            }
        }
        self.schemas.insert(table, (columns, typed));
        // Table options (ENGINE=..., WITHOUT ROWID) up to the `;`; nothing to scan there.
        self.skip_statement(sink)?;
        self.discard_other();
        Ok(())
    }

    /// `COPY t (cols) FROM stdin;` and its data lines, up to `\.`.
    fn copy(&mut self, at: LinePos, first: &[u8], sink: &mut dyn Sink) -> Result<(), ExtractError> {
        let Some((table, listed)) = self.table_and_columns(sink)? else {
            return Ok(());
        };
        let from = self.word()?;
        self.skip_space(false)?;
        let stdin = self.word()?;
        if !(eq_word(&from, "FROM") && eq_word(&stdin, "STDIN")) {
            // COPY ... TO ..., or FROM a file: no data follows.
            self.start_other(at, first);
            return Ok(self.skip_statement(sink)?);
        }
        self.skip_statement(sink)?;
        self.discard_other();
        // The data starts on the next line.
        self.skip_line(false)?;
        let columns = self.columns_of(&table, listed);
        self.open_table(&table, columns, sink);
        loop {
            match (
                self.input.peek()?,
                self.input.peek_at(1)?,
                self.input.peek_at(2)?,
            ) {
                (None, _, _) => break,
                (Some(b'\\'), Some(b'.'), Some(b'\n' | b'\r') | None) => {
                    self.skip_line(false)?;
                    break;
                }
                _ => {}
            }
            self.row.clear();
            self.row.line = Some(self.input.here().line);
            self.copy_line()?;
            self.push_row(sink)?;
        }
        self.end_table(sink);
        Ok(())
    }

    /// One line of `COPY` text format: tab-separated, `\N` for `NULL`, backslash escapes.
    fn copy_line(&mut self) -> io::Result<()> {
        self.row.begin();
        self.long = false;
        let mut null = false;
        loop {
            let avail = self.input.available()?;
            if avail.is_empty() {
                self.end_copy_field(null);
                return Ok(());
            }
            let i = memchr::memchr3(b'\t', b'\n', b'\\', avail).unwrap_or(avail.len());
            let pos = self.input.pos;
            Self::keep(&mut self.row, &mut self.long, &self.input.buf[pos..pos + i]);
            self.input.pos += i;
            let Some(b) = self.input.next()? else {
                continue;
            };
            match b {
                b'\t' => {
                    self.end_copy_field(null);
                    null = false;
                    self.long = false;
                    self.row.begin();
                }
                b'\n' => {
                    self.end_copy_field(null);
                    return Ok(());
                }
                _ => {
                    let Some(c) = self.input.next()? else {
                        continue;
                    };
                    let mut one = [c];
                    let out: &[u8] = match c {
                        b'N' => {
                            null = true;
                            b""
                        }
                        b'n' => b"\n",
                        b'r' => b"\r",
                        b't' => b"\t",
                        b'b' => b"\x08",
                        b'f' => b"\x0c",
                        b'v' => b"\x0b",
                        b'0'..=b'7' => {
                            let mut v = u32::from(c - b'0');
                            for _ in 0..2 {
                                match self.input.peek()? {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.input.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            one[0] = v as u8;
                            &one
                        }
                        b'x' => {
                            let mut v = 0u8;
                            for _ in 0..2 {
                                match self.input.peek()?.and_then(|d| (d as char).to_digit(16)) {
                                    Some(d) => {
                                        v = v * 16 + d as u8;
                                        self.input.pos += 1;
                                    }
                                    None => break,
                                }
                            }
                            one[0] = v;
                            &one
                        }
                        _ => &one,
                    };
                    Self::keep(&mut self.row, &mut self.long, out);
                }
            }
        }
    }

    fn end_copy_field(&mut self, null: bool) {
        if self.long {
            self.stats.truncated += 1;
        }
        if null && self.row.open_len() == 0 {
            self.row.end_null();
        } else {
            self.row.end();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Detector;
    use crate::extract::{Column, Limits};

    /// Collects each value chunk as `table.column#row=text`, and other text.
    #[derive(Default)]
    struct Values {
        cells: Vec<String>,
        other: Vec<String>,
        counts: Vec<String>,
    }

    impl Sink for Values {
        fn chunk(&mut self, c: &Chunk<'_>) {
            match c.position {
                Position::Fixed => {
                    let col = match &c.base.column {
                        Some(Column::Name(n)) => n.clone(),
                        Some(Column::Number(n)) => format!("#{n}"),
                        None => "?".into(),
                    };
                    let t = c.base.table.clone().unwrap_or_default();
                    self.cells
                        .push(format!("{t}.{col}#{}={}", c.base.row.unwrap_or(0), c.text));
                }
                _ => self.other.push(c.text.to_string()),
            }
        }
        crate::extract::testing::no_members!();
        fn column_values(&mut self, table: Option<&str>, column: Column, values: u64) {
            let col = match column {
                Column::Name(n) => n,
                Column::Number(n) => format!("#{n}"),
            };
            self.counts
                .push(format!("{}.{col}={values}", table.unwrap_or("")));
        }
    }

    fn parse(dump: &str) -> Values {
        parse_bytes(dump.as_bytes(), dump)
    }

    fn parse_bytes(dump: &[u8], head: &str) -> Values {
        parse_from(&mut &dump[..], head)
    }

    /// Parses a dump from any reader, with the head the sniffer would have seen.
    fn parse_from(reader: &mut dyn Read, head: &str) -> Values {
        let det = Detector::builtin();
        let limits = Limits::default();
        let env = crate::extract::testing::env(&det, &limits);
        let mut sink = Values::default();
        extract(reader, head, &env, &mut sink).unwrap();
        sink
    }

    #[test]
    fn mysql_extended_inserts_with_escapes() {
        let v = parse(concat!(
            "-- MySQL dump 10.13\n",
            "/*!40101 SET NAMES utf8mb4 */;\n",
            "CREATE TABLE `personer` (\n  `id` int NOT NULL,\n  `navn` varchar(50) DEFAULT 'x,y',\n",
            "  `fnr` char(11),\n  `notat` text COMMENT 'fritt (tekst)',\n  PRIMARY KEY (`id`),\n  KEY `k` (`fnr`)\n",
            ") ENGINE=InnoDB;\n",
            "INSERT INTO `personer` VALUES (1,'O\\'Brien 1','13097248022','a\\\\b 2'),",
            "(2,'Ola ''Nord'' 3',NULL,'linje\\nto 4'),(3,'x\\\"y 5','20036914700',_binary 'bin 6');\n",
        ));
        assert_eq!(
            v.cells,
            [
                "personer.id#1=1",
                "personer.navn#1=O'Brien 1",
                "personer.fnr#1=13097248022",
                "personer.notat#1=a\\b 2",
                "personer.id#2=2",
                "personer.navn#2=Ola 'Nord' 3",
                "personer.notat#2=linje\nto 4",
                "personer.id#3=3",
                "personer.navn#3=x\"y 5",
                "personer.fnr#3=20036914700",
                "personer.notat#3=bin 6",
            ]
        );
        assert_eq!(
            v.counts,
            [
                "personer.id=3",
                "personer.navn=3",
                "personer.fnr=2",
                "personer.notat=3"
            ],
            "NULL is no value"
        );
    }

    /// A dump that comes back to a table after another goes on numbering its rows where it
    /// left off: the table's rows were counted though it was still sampling when left (its
    /// third row was once located as its first).
    #[test]
    fn a_table_resumed_after_another_numbers_on() {
        let v = parse(concat!(
            "-- MySQL dump\n",
            "INSERT INTO `a` (`id`,`fnr`) VALUES (1,'x'),(2,'y');\n",
            "INSERT INTO `b` (`id`,`navn`) VALUES (1,'Kari');\n",
            "INSERT INTO `a` (`id`,`fnr`) VALUES (3,'13097248022');\n",
        ));
        assert_eq!(
            v.cells,
            [
                "a.id#1=1",
                "a.id#2=2",
                "b.id#1=1",
                "a.id#3=3",
                "a.fnr#3=13097248022"
            ]
        );
    }

    #[test]
    fn hex_literals_and_blobs_are_decoded() {
        // 0x3133303937323438303232 is "13097248022".
        let v = parse("-- MariaDB dump\nINSERT INTO `t` (`a`,`b`,`c`) VALUES (0x3133303937323438303232,X'3230303336393134373030',_binary 0x41);\n");
        assert_eq!(
            v.cells,
            ["t.a#1=13097248022", "t.b#1=20036914700"],
            "c has no digit"
        );
        assert_eq!(v.counts, ["t.a=1", "t.b=1", "t.c=1"]);
    }

    #[test]
    fn postgres_copy_blocks() {
        let v = parse(concat!(
            "--\n-- PostgreSQL database dump\n--\nSET standard_conforming_strings = on;\n",
            "CREATE FUNCTION public.f() RETURNS trigger AS $$ BEGIN RAISE 'a;b'; END $$ LANGUAGE plpgsql;\n",
            "COPY public.personer (id, navn, fnr, notat) FROM stdin;\n",
            "1\tKari\t13097248022\tlinje\\nto\\t1\n",
            "2\t\\N\t\\N\tback\\\\slash 2\n",
            "\\.\n",
            "SELECT pg_catalog.setval('public.personer_id_seq', 2, true);\n",
        ));
        assert_eq!(
            v.cells,
            [
                "public.personer.id#1=1",
                "public.personer.fnr#1=13097248022",
                "public.personer.notat#1=linje\nto\t1",
                "public.personer.id#2=2",
                "public.personer.notat#2=back\\slash 2",
            ]
        );
        assert_eq!(
            v.counts,
            [
                "public.personer.id=2",
                "public.personer.navn=1",
                "public.personer.fnr=1",
                "public.personer.notat=2"
            ]
        );
        assert!(
            v.other.iter().any(|t| t.contains("setval")),
            "other statements are scanned as text"
        );
    }

    #[test]
    fn postgres_inserts_take_columns_from_create_table() {
        let v = parse(concat!(
            "-- PostgreSQL database dump\n",
            "CREATE TABLE public.kunde (\n    id integer NOT NULL,\n    \"Mobil\" text,\n    CONSTRAINT c CHECK (id > 0)\n);\n",
            "INSERT INTO public.kunde VALUES (1, 'back\\slash 40300040');\n",
            "INSERT INTO public.kunde (id, \"Mobil\") VALUES (2, E'it\\'s 92345678');\n",
            "INSERT INTO public.ukjent VALUES (7, '8');\n",
        ));
        assert_eq!(
            v.cells,
            [
                "public.kunde.id#1=1",
                "public.kunde.Mobil#1=back\\slash 40300040",
                "public.kunde.id#2=2",
                "public.kunde.Mobil#2=it's 92345678",
                "public.ukjent.#1#1=7",
                "public.ukjent.#2#1=8",
            ],
            "rows continue across statements; unknown tables get positions"
        );
    }

    #[test]
    fn sqlite_dump_with_blobs_and_quotes() {
        let v = parse(concat!(
            "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n",
            "CREATE TABLE IF NOT EXISTS \"person\"(id INTEGER PRIMARY KEY, fnr TEXT, bilde BLOB);\n",
            "INSERT INTO person VALUES(1,'13097248022',X'00FF');\n",
            "INSERT INTO \"person\" VALUES(2,'a\\b''c 9',NULL);\n",
            "COMMIT;\n",
        ));
        assert_eq!(
            v.cells,
            [
                "person.id#1=1",
                "person.fnr#1=13097248022",
                "person.id#2=2",
                "person.fnr#2=a\\b'c 9"
            ]
        );
    }

    #[test]
    fn dumps_split_anywhere_parse_the_same() {
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(buf.len()).min(3);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let dump = "-- MySQL dump\nINSERT INTO `t` VALUES (1,'a\\'b 1',0x3132),(2,'c''d 2',NULL);\nCOPY t (a) FROM stdin;\nx\\\\1\n\\.\n";
        let whole = parse(dump);
        let trickled = parse_from(&mut Trickle(dump.as_bytes()), dump);
        assert_eq!(trickled.cells, whole.cells);
        assert_eq!(whole.cells.len(), 6);
    }

    #[test]
    fn gzip_streams_are_read_without_seeking() {
        use flate2::{read::GzDecoder, write::GzEncoder, Compression};
        use std::io::Write;
        let dump = "-- MySQL dump\nINSERT INTO `t` (`fnr`) VALUES ('13097248022');\n";
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(dump.as_bytes()).unwrap();
        let data = gz.finish().unwrap();
        let v = parse_bytes(
            &{
                let mut out = Vec::new();
                GzDecoder::new(&data[..]).read_to_end(&mut out).unwrap();
                out
            },
            dump,
        );
        assert_eq!(v.cells, ["t.fnr#1=13097248022"]);
    }

    /// Every chunk's text with the location of its first byte holding `needle`.
    fn located(dump: &str, needle: &str) -> Vec<Location> {
        struct At<'n>(&'n str, Vec<Location>);
        impl Sink for At<'_> {
            fn chunk(&mut self, c: &Chunk<'_>) {
                if let Some(i) = c.text.find(self.0) {
                    self.1.push(crate::extract::Locator::new(c).locate(i));
                }
            }
        }
        let det = Detector::builtin();
        let limits = Limits::default();
        let env = crate::extract::testing::env(&det, &limits);
        let mut sink = At(needle, Vec::new());
        extract(&mut dump.as_bytes(), dump, &env, &mut sink).unwrap();
        sink.1
    }

    #[test]
    fn rows_statements_and_names_say_their_line() {
        let dump = concat!(
            "-- MySQL dump\n",
            "CREATE TABLE `p_13097248022` (\n  `id` int,\n  `20036914700` text\n);\n",
            "INSERT INTO `p_13097248022` VALUES (1,'a'),\n(2,'29020073150');\n",
            "UPDATE t SET\n  fnr = '15021951940' WHERE 1;\n",
            "/* kontakt\n   41234567 */\n",
            "COPY x (fnr) FROM stdin;\n03851598730\n\\.\n",
        );
        let loc = |needle| located(dump, needle);
        // Names: scanned where they are first written, hidden in locations.
        let t = loc("13097248022");
        assert_eq!((t.len(), t[0].line, &t[0].table), (1, Some(2), &None));
        assert_eq!(loc("20036914700")[0].line, Some(4));
        let row = &loc("29020073150")[0];
        assert_eq!((row.line, row.row), (Some(7), Some(2)));
        // Names are kept as written here; the scan masks values in them.
        assert_eq!(row.table.as_deref(), Some("p_13097248022"));
        assert_eq!(row.column, Some(Column::Name("20036914700".into())));
        // Other statements and comments: line and column of the value itself.
        let upd = &loc("15021951940")[0];
        assert_eq!(
            (upd.line, &upd.column),
            (Some(9), &Some(Column::Number(10)))
        );
        let c = &loc("41234567")[0];
        assert_eq!((c.line, &c.column), (Some(11), &Some(Column::Number(4))));
        assert_eq!(loc("03851598730")[0].line, Some(13));
    }

    #[test]
    fn statements_that_are_not_data_are_scanned_as_text() {
        let v = parse("-- kontakt 92345678\nUPDATE t SET fnr = '13097248022' WHERE id = 1;\n");
        assert!(v.cells.is_empty());
        assert!(v.other.iter().any(|t| t.contains("92345678")));
        assert!(v
            .other
            .iter()
            .any(|t| t.contains("UPDATE t SET fnr = '13097248022'")));
    }
}
