//! CSV, TSV and other delimited files, read record by record with the `csv` crate (quoted
//! fields, doubled quotes, newlines inside quotes), as one [`Table`] whose column names come
//! from the header row: a finding is located `{"column": "Mobil", "row": 3, "line": 4}`, where
//! row 1 is the first record after the header and `line` is the line the record starts on.
//!
//! # Sniffing
//! Without a `csv`/`tsv`/`tab`/`psv` extension a text is read as a table only when its head
//! has the shape of one: one of `,` `;` tab `|` splits (nearly) every line into the same number
//! of fields, the fields are short (prose has commas too, between long phrases), and either
//! the first line reads as a header of short names or the shape holds over many lines.
//!
//! # Nothing is dropped
//! * The header line is scanned as text as well: a cell that holds a value (a file whose first
//!   line is data) is still found. Column names go into locations as they are; the scan masks
//!   values in every name of a record.
//! * A quote that never closes makes the rest of a file one field for a CSV parser. A record
//!   whose quotes do not balance across lines, or one that runs over [`MAX_FIELD_LINES`] lines,
//!   is taken for such a stray quote: its first line is read again with quoting off, as one
//!   record, and parsing starts afresh on the next line, so every later record keeps its row,
//!   column and line.

use std::cell::RefCell;
use std::io::{self, Read};
use std::rc::Rc;

use super::table::{Row, Table};
use super::{Chunk, Clock, Env, ExtractError, Limit, LinePos, Location, Position, Sink};
use crate::detect::ChunkContext;

/// Bytes one record may span: a record this long without a line break stops reading (the CSV
/// reader would hold it all).
const MAX_RECORD: u64 = 16 << 20;
/// Line breaks one quoted field may span before its opening quote is taken for a stray one.
const MAX_FIELD_LINES: u64 = 1000;
/// Lines of the head that sniffing looks at.
const SNIFF_LINES: usize = 50;

/// The feed stopped the CSV reader: the record being read ran over [`MAX_RECORD`] bytes or
/// [`MAX_FIELD_LINES`] lines. Found again by type (`downcast`), never by its message.
#[derive(Debug, thiserror::Error)]
#[error("a delimited record ran over {MAX_RECORD} bytes or {MAX_FIELD_LINES} lines")]
struct Runaway;

/// The raw bytes from the start of the current record on, kept beside the CSV reader so that a
/// record's line can be counted (the reader's own count misses line breaks inside quotes and
/// lags on CRLF), so that a runaway record can be read again, and so that one record cannot
/// grow past [`MAX_RECORD`].
#[derive(Default)]
struct Pending {
    /// Stream offset of `bytes[0]`.
    base: u64,
    bytes: Vec<u8>,
    /// `bytes[..done]` is behind the reader's last record.
    done: usize,
    /// Line breaks before `base + done`.
    newlines: u64,
    /// Line breaks in `bytes[done..]`: the record being read, once the reader asks for more.
    open_lines: u64,
    /// Bytes read from the input (replayed bytes are not counted again).
    input_bytes: u64,
}

/// Where a record lies in [`Pending::bytes`].
struct Span {
    /// The 1-based line of its first field.
    line: u64,
    /// `bytes[from..to]`: the record without the line breaks around it.
    from: usize,
    to: usize,
    /// Its quotes do not balance and it spans lines: a quote opened and never closed.
    runaway: bool,
}

fn newlines(b: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', b).count() as u64
}

impl Pending {
    fn extend(&mut self, b: &[u8]) {
        self.bytes.extend_from_slice(b);
        self.open_lines += newlines(b);
    }

    fn runaway(&self) -> bool {
        (self.bytes.len() - self.done) as u64 > MAX_RECORD || self.open_lines > MAX_FIELD_LINES
    }

    /// Index of a stream offset, within what is still kept.
    fn index(&self, offset: u64) -> usize {
        (offset.saturating_sub(self.base) as usize).clamp(self.done, self.bytes.len())
    }

    /// The first byte at or after `at` that is not a line break.
    fn skip_breaks(&self, at: usize) -> usize {
        at + self.bytes[at..]
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count()
    }

    /// The record the reader read from stream offset `start` to `end`.
    fn span(&self, start: u64, end: u64, quote: u8) -> Span {
        let from = self.skip_breaks(self.index(start));
        let line = 1 + self.newlines + newlines(&self.bytes[self.done..from]);
        let mut to = self.index(end).max(from);
        while to > from && matches!(self.bytes[to - 1], b'\r' | b'\n') {
            to -= 1;
        }
        let body = &self.bytes[from..to];
        let runaway = memchr::memchr(b'\n', body).is_some()
            && memchr::memchr_iter(quote, body).count() % 2 == 1;
        Span {
            line,
            from,
            to,
            runaway,
        }
    }

    /// Forgets everything before stream offset `end` (the reader's position after a record).
    fn forget(&mut self, end: u64) {
        let cut = self.index(end);
        let behind = newlines(&self.bytes[self.done..cut]);
        self.newlines += behind;
        self.open_lines = self.open_lines.saturating_sub(behind);
        self.done = cut;
        // Drop consumed bytes only now and then: draining after every record moved the whole
        // read buffer once per row.
        if self.done >= 64 * 1024 && self.done * 2 >= self.bytes.len() {
            self.bytes.drain(..self.done);
            self.base += self.done as u64;
            self.done = 0;
        }
    }

    /// Cuts the kept bytes at `from`, the start of a runaway record: returns the record's line,
    /// its first line, and everything read after that line (to be parsed again). Afterwards
    /// nothing is kept and the stream offset is the one after the first line.
    fn split(&mut self, from: usize) -> (u64, Vec<u8>, Vec<u8>) {
        let line = 1 + self.newlines + newlines(&self.bytes[self.done..from]);
        let end =
            memchr::memchr(b'\n', &self.bytes[from..]).map_or(self.bytes.len(), |i| from + i + 1);
        let first = self.bytes[from..end].to_vec();
        self.bytes.drain(..end);
        self.base += end as u64;
        self.newlines = line;
        self.done = 0;
        self.open_lines = 0;
        (line, first, std::mem::take(&mut self.bytes))
    }
}

/// The input as the CSV reader sees it: bytes to parse again first, then the stream; each byte
/// is copied into [`Pending`]. Fails with [`Runaway`] once a record runs too long, and with
/// the time limit once the budget is spent (checked at every read: all work follows reading).
struct Feed<'r> {
    replay: Vec<u8>,
    at: usize,
    inner: &'r mut dyn Read,
    pending: Rc<RefCell<Pending>>,
    clock: Clock,
}

impl Read for Feed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pending.borrow().runaway() {
            return Err(io::Error::other(Runaway));
        }
        self.clock.check()?;
        let n = if self.at < self.replay.len() {
            let n = buf.len().min(self.replay.len() - self.at);
            buf[..n].copy_from_slice(&self.replay[self.at..self.at + n]);
            self.at += n;
            n
        } else {
            let n = crate::read::read_some(self.inner, buf)?;
            self.pending.borrow_mut().input_bytes += n as u64;
            n
        };
        self.pending.borrow_mut().extend(&buf[..n]);
        Ok(n)
    }
}

/// The delimiters a table may use, in the order they are preferred on a tie.
const DELIMITERS: [u8; 4] = [b';', b',', b'\t', b'|'];

/// How many fields `line` has for each of [`DELIMITERS`], in one pass over its bytes (all
/// ASCII, so UTF-8 needs no decoding): delimiters inside quotes do not split, unless the
/// line's quotes do not pair up (a quote left open by a stray character), when all count.
fn field_counts(line: &str) -> [usize; 4] {
    // Byte class: 0 for most bytes, 1 + the delimiter's index, or QUOTE.
    const QUOTE: u8 = 5;
    const CLASS: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut i = 0;
        while i < DELIMITERS.len() {
            t[DELIMITERS[i] as usize] = i as u8 + 1;
            i += 1;
        }
        t[b'"' as usize] = QUOTE;
        t
    };
    let b = line.as_bytes();
    if memchr::memchr(b'"', b).is_none() {
        // No quotes (most lines): every delimiter splits, and counting is a vector search.
        return DELIMITERS.map(|d| 1 + memchr::memchr_iter(d, b).count());
    }
    let paired = memchr::memchr_iter(b'"', b).count() % 2 == 0;
    let mut quoted = false;
    let mut n = [1usize; 4];
    for &c in b {
        match CLASS[c as usize] {
            0 => {}
            QUOTE => quoted = !quoted && paired,
            k if !quoted => n[k as usize - 1] += 1,
            _ => {}
        }
    }
    n
}

/// The cells of a sniffed line (quotes and spaces trimmed; quoted delimiters not honoured:
/// good enough to judge their lengths).
fn cells(line: &str, d: char) -> impl Iterator<Item = &str> {
    line.split(d).map(|f| f.trim().trim_matches('"').trim())
}

/// A header names its columns: short names, mostly not numbers, no addresses.
fn header_like(line: &str, d: char) -> bool {
    let names: Vec<&str> = cells(line, d).collect();
    let numeric = names
        .iter()
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || " .,-+".contains(c)))
        .count();
    numeric * 2 <= names.len()
        && !names.iter().any(|n| n.contains('@'))
        && names
            .iter()
            .all(|n| n.chars().count() <= 48 && n.split_whitespace().count() <= 4)
}

/// The delimiter of a delimited text, and whether its first line is a header: by extension
/// (`csv`, `tsv`, `tab`, `psv`), or by the shape of the head (see the module essay). `whole`
/// says the head is the whole input (its last line is complete).
pub(crate) fn detect(ext: &str, text: &str, whole: bool) -> Option<(u8, bool)> {
    let mut lines: Vec<&str> = text.lines().take(SNIFF_LINES + 1).collect();
    if !whole || lines.len() > SNIFF_LINES {
        lines.pop(); // possibly cut off
    }
    lines.retain(|l| !l.trim().is_empty());
    let first = lines.first().copied().unwrap_or("");
    let by_ext = matches!(ext, "csv" | "tsv" | "tab" | "psv");
    let n = field_counts(first);
    if n.iter().all(|&k| k < 2) {
        return by_ext.then(|| {
            let d = match ext {
                "tsv" | "tab" => b'\t',
                "psv" => b'|',
                _ => b',',
            };
            (d, true)
        });
    }
    // The delimiter that splits the most lines like the first, then the most fields. Without
    // a table's extension, only a delimiter splitting nine lines in ten alike can make a table:
    // one is out at the first disagreement over that, and prose is decided in a few lines.
    let mut same = [0usize; 4];
    let mut out = n.map(|k| k < 2);
    for (seen, l) in lines.iter().enumerate() {
        let c = if seen == 0 { n } else { field_counts(l) };
        for i in 0..DELIMITERS.len() {
            if c[i] == n[i] {
                same[i] += 1;
            } else if !by_ext && (seen + 1 - same[i]) * 10 > lines.len() {
                out[i] = true;
            }
        }
        if out.iter().all(|&o| o) {
            return None;
        }
    }
    let (d, n, same) = (0..DELIMITERS.len())
        .filter(|&i| !out[i])
        .map(|i| (DELIMITERS[i] as char, n[i], same[i]))
        .max_by_key(|&(_, n, same)| (same, n))?;
    let header = header_like(first, d);
    if by_ext {
        return Some((d as u8, header));
    }
    // Table rows hold short values; prose holds phrases between its commas.
    let (mut cells_n, mut short) = (0, 0);
    for c in lines.iter().flat_map(|l| cells(l, d)) {
        cells_n += 1;
        short += usize::from(c.split_whitespace().nth(3).is_none());
    }
    let stable = n >= 3 && same * 10 >= lines.len() * 9 && short * 10 >= cells_n * 8;
    let enough = if header { 3 } else { 6 };
    (stable && lines.len() >= enough).then_some((d as u8, header))
}

/// What a delimited file needs while its records are read.
struct Reading<'a, 'e> {
    env: &'e Env<'a>,
    delimiter: u8,
    header: bool,
    table: Option<Table<'a>>,
    row: Row,
}

impl<'a> Reading<'a, '_> {
    /// One record, starting on `line`; `raw` is its text as written (for the header line,
    /// which is also scanned as text).
    fn record(
        &mut self,
        record: &csv::ByteRecord,
        line: u64,
        raw: &[u8],
        sink: &mut dyn Sink,
    ) -> Result<(), ExtractError> {
        let det = self.env.det;
        let t = match &mut self.table {
            Some(t) => t,
            None if self.header => {
                let names: Vec<String> = record
                    .iter()
                    .map(|f| {
                        let name = String::from_utf8_lossy(f);
                        name.trim().trim_matches('"').trim().to_string()
                    })
                    .collect();
                self.table = Some(Table::new(det, None, &names, 1));
                // A header cell may hold a value (a first line that is data after all): each
                // is scanned as a value, located by its line and column.
                let base = Location::default();
                for (field, column) in record.iter().zip(cell_columns(raw, self.delimiter)) {
                    let text = String::from_utf8_lossy(field);
                    let at = Position::Lines(LinePos { line, column });
                    sink.chunk(&Chunk::whole(&text, &base, at, ChunkContext::default()));
                }
                return Ok(());
            }
            None => self.table.insert(Table::new(det, None, &[], 1)),
        };
        self.row.clear();
        self.row.line = Some(line);
        for field in record.iter() {
            if field.is_empty() {
                // An empty field holds nothing: not counted as a value.
                self.row.begin();
                self.row.end_null();
            } else {
                self.row.push_field(field);
            }
        }
        t.row(&self.row, sink);
        Ok(())
    }
}

/// The 1-based character column where the text of each cell of a raw record starts (after
/// its opening quote).
fn cell_columns(raw: &[u8], delimiter: u8) -> Vec<u64> {
    let mut out = Vec::new();
    let mut column = 1u64;
    let mut start = true;
    let mut quoted = false;
    for &b in raw {
        if start {
            out.push(column + u64::from(b == b'"'));
            start = false;
        }
        if b == b'"' {
            quoted = !quoted;
        } else if b == delimiter && !quoted {
            start = true;
        }
        column += u64::from((b & 0xC0) != 0x80);
    }
    if start {
        out.push(column);
    }
    out
}

fn reader_builder(delimiter: u8) -> csv::ReaderBuilder {
    let mut b = csv::ReaderBuilder::new();
    b.delimiter(delimiter).has_headers(false).flexible(true);
    b
}

/// Reads delimited UTF-8 records from `reader` into `sink`; returns the bytes read.
pub(crate) fn extract(
    reader: &mut dyn Read,
    delimiter: u8,
    header: bool,
    env: &Env<'_>,
    sink: &mut dyn Sink,
) -> Result<u64, ExtractError> {
    let pending = Rc::new(RefCell::new(Pending::default()));
    let mut feed = Feed {
        replay: Vec::new(),
        at: 0,
        inner: reader,
        pending: Rc::clone(&pending),
        clock: env.clock,
    };
    let mut reading = Reading {
        env,
        delimiter,
        header,
        table: None,
        row: Row::default(),
    };
    let mut record = csv::ByteRecord::new();
    loop {
        // Each reader starts where the kept bytes start; its positions count from there.
        let origin = pending.borrow().base;
        let mut rdr = reader_builder(delimiter).from_reader(feed);
        let runaway_from = loop {
            match rdr.read_byte_record(&mut record) {
                Ok(false) => {
                    if let Some(t) = reading.table.take() {
                        t.finish(sink);
                    }
                    let n = pending.borrow().input_bytes;
                    return Ok(n);
                }
                Ok(true) => {
                    let start = origin + record.position().map_or(0, csv::Position::byte);
                    let end = origin + rdr.position().byte();
                    let p = pending.borrow();
                    let span = p.span(start, end, b'"');
                    if span.runaway {
                        break span.from;
                    }
                    reading.record(&record, span.line, &p.bytes[span.from..span.to], sink)?;
                    drop(p);
                    pending.borrow_mut().forget(end);
                }
                Err(e) => {
                    let p = pending.borrow();
                    let from = p.skip_breaks(p.done);
                    match csv_error(e) {
                        // A stray quote (a record without a line break this long is data).
                        None if memchr::memchr(b'\n', &p.bytes[from..]).is_some() => break from,
                        None => {
                            return Err(ExtractError::limit(
                                Limit::RecordLength,
                                format!("a record over {MAX_RECORD} bytes"),
                            ))
                        }
                        Some(e) => return Err(e),
                    }
                }
            }
        };
        env.clock.check()?;
        feed = rdr.into_inner();
        let (line, first, rest) = pending.borrow_mut().split(runaway_from);
        let mut replay = rest;
        replay.extend_from_slice(&feed.replay[feed.at..]);
        feed.replay = replay;
        feed.at = 0;
        // The line that opened the stray quote, as one record with quotes taken literally.
        let mut literal = reader_builder(delimiter)
            .quoting(false)
            .from_reader(&first[..]);
        match literal.read_byte_record(&mut record) {
            Ok(true) => reading.record(&record, line, first.trim_ascii_end(), sink)?,
            Ok(false) => {}
            Err(e) => {
                return Err(csv_error(e).unwrap_or_else(|| {
                    ExtractError::Corrupt("malformed delimited text: unreadable record".into())
                }))
            }
        }
    }
}

/// The extraction error of a CSV error; `None` for the feed's [`Runaway`].
fn csv_error(e: csv::Error) -> Option<ExtractError> {
    match e.into_kind() {
        csv::ErrorKind::Io(e) if e.get_ref().is_some_and(|i| i.is::<Runaway>()) => None,
        csv::ErrorKind::Io(e) => Some(ExtractError::from(e)),
        other => Some(ExtractError::Corrupt(format!(
            "malformed delimited text: {}",
            kind_name(&other)
        ))),
    }
}

/// A description of a CSV error that quotes no field content.
fn kind_name(kind: &csv::ErrorKind) -> &'static str {
    match kind {
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8",
        csv::ErrorKind::UnequalLengths { .. } => "records of unequal length",
        _ => "unreadable record",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{Column, LimitHit};

    #[test]
    fn delimiters_and_headers_are_sniffed() {
        let d = |ext, text| detect(ext, text, true);
        assert_eq!(
            d("txt", "navn;fnr;mobil\nKari;1;2\nOla;3;4\n"),
            Some((b';', true))
        );
        assert_eq!(d("csv", "a,b\n1,2\n"), Some((b',', true)));
        assert_eq!(d("txt", "a\tb\tc\n1\t2\t3\n4\t5\t6\n"), Some((b'\t', true)));
        assert_eq!(d("txt", "a|b|c\n1|2|3\n4|5|6\n"), Some((b'|', true)));
        assert_eq!(d("txt", "Hei, du. Dette, er tekst\nmed komma\n"), None);
        assert_eq!(
            d("csv", "1;2;3\n4;5;6\n"),
            Some((b';', false)),
            "no header row"
        );
        assert_eq!(d("txt", "1;2;3\n4;5;6\n"), None);
        assert_eq!(d("tsv", "enkelt\n"), Some((b'\t', true)));
        // Many headerless rows of the same shape are a table.
        let rows = "1;2;3\n".repeat(8);
        assert_eq!(d("txt", &rows), Some((b';', false)));
        // A header that opens a quote it never closes still shows its delimiter.
        assert_eq!(d("csv", "\"navn;fnr;mobil\nKari;1;2\n"), Some((b';', true)));
        // A quoted delimiter does not change a row's shape.
        assert_eq!(
            d("txt", "navn,notat,fnr\nKari,\"a, b\",1\nOla,c,2\n"),
            Some((b',', true))
        );
    }

    #[test]
    fn prose_with_commas_is_not_a_table() {
        let letter = "Hei Kari, her er fødselsnummeret ditt 13097248022, som du ba om.\n\
                      Ring meg på 41234567, eller send en e-post, så ordner vi det.\n\
                      Med vennlig hilsen, Ola Nordmann, saksbehandler hos oss\n";
        assert_eq!(detect("txt", letter, true), None);
        assert_eq!(detect("txt", &letter.repeat(5), true), None);
    }

    fn env_run(data: &[u8], header: bool) -> (Result<u64, ExtractError>, Vec<(Location, String)>) {
        let det = crate::detect::Detector::builtin();
        let limits = crate::extract::Limits::default();
        let env = Env {
            det: &det,
            clock: crate::extract::Clock::start(&limits),
            limits: &limits,
        };
        #[derive(Default)]
        struct Keep(Vec<(Location, String)>);
        impl Sink for Keep {
            fn chunk(&mut self, c: &Chunk<'_>) {
                let mut loc = c.base.clone();
                if let Position::Lines(p) = c.position {
                    loc.line = Some(p.line);
                }
                self.0.push((loc, c.text[c.report.clone()].to_string()));
            }
        }
        let mut sink = Keep::default();
        let r = extract(&mut &data[..], b',', header, &env, &mut sink);
        (r, sink.0)
    }

    /// (column name, row, line) of every value chunk holding `needle`.
    fn places(chunks: &[(Location, String)], needle: &str) -> Vec<(String, Option<u64>, u64)> {
        chunks
            .iter()
            .filter(|(_, t)| t.contains(needle))
            .map(|(l, _)| {
                let col = match &l.column {
                    Some(Column::Name(n)) => n.clone(),
                    Some(Column::Number(n)) => format!("#{n}"),
                    None => String::new(),
                };
                (col, l.row, l.line.unwrap())
            })
            .collect()
    }

    #[test]
    fn a_stray_quote_costs_one_line_not_the_rest_of_the_file() {
        let mut data = String::from("navn,fnr,mobil\n");
        for i in 1..=6 {
            let q = if i == 3 { "\"" } else { "" };
            data.push_str(&format!("{q}Kari {i},1309724802{i},4123456{i}\n"));
        }
        let (r, chunks) = env_run(data.as_bytes(), true);
        assert_eq!(r.unwrap(), data.len() as u64);
        for i in 1..=6u64 {
            assert_eq!(
                places(&chunks, &format!("1309724802{i}")),
                [("fnr".to_string(), Some(i), i + 1)],
                "row {i}"
            );
        }
    }

    #[test]
    fn a_quote_opened_in_the_header_leaves_the_rows_readable() {
        let data = b"\"navn,fnr,mobil\nKari,13097248022,41234567\nOla,20036914700,41234568\n";
        let (r, chunks) = env_run(data, true);
        r.unwrap();
        assert_eq!(
            places(&chunks, "20036914700"),
            [("fnr".to_string(), Some(2), 3)]
        );
    }

    #[test]
    fn a_quote_that_runs_over_many_lines_is_taken_back() {
        let mut data = String::from("navn,fnr\n\"Kari,1\n");
        for i in 0..3000 {
            data.push_str(&format!("Ola {i},20036914700\n"));
        }
        data.push_str("x\",2\nsist,15021951940\n");
        let (r, chunks) = env_run(data.as_bytes(), true);
        r.unwrap();
        let found = places(&chunks, "20036914700");
        assert_eq!(found.len(), 3000, "every row after the stray quote");
        assert_eq!(found[0], ("fnr".to_string(), Some(2), 3));
        assert_eq!(
            places(&chunks, "15021951940"),
            [("fnr".to_string(), Some(3003), 3004)]
        );
    }

    #[test]
    fn header_cells_are_scanned_and_named_as_columns() {
        let data = b"Kari Nordmann,13097248022,41234567\nOla,20036914700,41234568\n";
        let (r, chunks) = env_run(data, true);
        r.unwrap();
        // The header line is scanned as text, on line 1.
        assert_eq!(places(&chunks, "13097248022"), [(String::new(), None, 1)]);
        // The column is named by its header as written (the scan masks values in names).
        assert_eq!(
            places(&chunks, "20036914700"),
            [("13097248022".to_string(), Some(1), 2)]
        );
    }

    #[test]
    fn cells_start_where_their_text_starts() {
        assert_eq!(cell_columns("a;\"bø\";;c".as_bytes(), b';'), [1, 4, 8, 9]);
        assert_eq!(cell_columns(b"a;", b';'), [1, 3]);
    }

    #[test]
    fn multi_line_fields_are_still_one_value() {
        let data = b"navn,notat\r\nKari,\"ring\r\n41234567\"\r\nOla,\"x\"\"y\"\r\n";
        let (r, chunks) = env_run(data, true);
        r.unwrap();
        assert_eq!(
            places(&chunks, "41234567"),
            [("notat".to_string(), Some(1), 2)]
        );
        assert_eq!(
            chunks.iter().filter(|(_, t)| t == "x\"y").count(),
            0,
            "no digit: not pushed"
        );
    }

    #[test]
    fn a_long_line_without_breaks_stops_at_the_record_limit() {
        let mut data = b"a,b\n1,\"".to_vec();
        data.resize(MAX_RECORD as usize + (1 << 20), b'x');
        let (r, _) = env_run(&data, true);
        let err = r.unwrap_err();
        assert!(
            matches!(
                err,
                ExtractError::Limit(LimitHit {
                    limit: Limit::RecordLength,
                    ..
                })
            ),
            "{err:?}"
        );
    }
}
