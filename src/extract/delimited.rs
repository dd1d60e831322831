//! CSV, TSV and other delimited files, read record by record with the `csv` crate (quoted
//! fields, doubled quotes, newlines inside quotes), as one [`Table`] whose column names come
//! from the header row: a finding is located `{"column": "Mobil", "row": 3}`, where row 1 is
//! the first record after the header.
//!
//! The delimiter is sniffed from the head: of `,` `;` tab and `|`, the one the first line uses
//! and the second repeats as often. A text with no such repetition is a CSV only by extension.

use std::cell::RefCell;
use std::io::{self, Read};
use std::rc::Rc;

use super::table::{Row, Table};
use super::Env;
use super::{ExtractError, Limit, Sink};

/// Records between two checks of the time limit.
const TIME_EVERY: u64 = 4096;
/// Bytes one record may span. A stray quote makes the rest of a file one field; the CSV reader
/// would hold it all, so reading stops here instead.
const MAX_RECORD: u64 = 64 << 20;
const RECORD_TOO_LONG: &str = "delimited record too long";

/// The raw bytes from the start of the current record on, kept beside the CSV reader so that a
/// record's line can be counted (the reader's own count misses line breaks inside quotes and
/// lags on CRLF), and so that one record cannot grow past [`MAX_RECORD`].
#[derive(Default)]
struct Pending {
    /// Stream offset of `bytes[0]`.
    base: u64,
    bytes: Vec<u8>,
    /// `bytes[..done]` is behind the reader's last record.
    done: usize,
    /// Line breaks before `base + done`.
    newlines: u64,
}

impl Pending {
    /// The 1-based line of the record starting at `start` (line breaks before its first field
    /// skipped), then forgets everything before `end` (the reader's position after it).
    fn line(&mut self, start: u64, end: u64) -> u64 {
        let at = (start.saturating_sub(self.base) as usize).clamp(self.done, self.bytes.len());
        let lead = self.bytes[at..]
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .filter(|&&b| b == b'\n')
            .count();
        let line = 1
            + self.newlines
            + memchr::memchr_iter(b'\n', &self.bytes[self.done..at]).count() as u64
            + lead as u64;
        let cut = (end.saturating_sub(self.base) as usize).clamp(self.done, self.bytes.len());
        self.newlines += memchr::memchr_iter(b'\n', &self.bytes[self.done..cut]).count() as u64;
        self.done = cut;
        // Forget consumed bytes only now and then: draining after every record moved the
        // whole read buffer once per row.
        if self.done >= 64 * 1024 && self.done * 2 >= self.bytes.len() {
            self.bytes.drain(..self.done);
            self.base += self.done as u64;
            self.done = 0;
        }
        line
    }

    /// Bytes read but not yet behind a finished record.
    fn open(&self) -> usize {
        self.bytes.len() - self.done
    }
}

/// Copies what is read into [`Pending`]; fails once a record has run over [`MAX_RECORD`].
struct Bounded<'r> {
    inner: &'r mut dyn Read,
    pending: Rc<RefCell<Pending>>,
}

impl Read for Bounded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pending.borrow().open() as u64 > MAX_RECORD {
            return Err(io::Error::other(RECORD_TOO_LONG));
        }
        let n = crate::read::read_some(self.inner, buf)?;
        self.pending.borrow_mut().bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// The delimiter of a delimited text, and whether its first line is a header: by extension
/// (`csv`, `tsv`, `tab`, `psv`) or by a first line with two or more of one delimiter that the
/// second line repeats as often.
pub fn detect(ext: &str, text: &str) -> Option<(u8, bool)> {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("");
    let second = lines.next().unwrap_or("");
    let count = |line: &str, d: char| line.chars().filter(|&c| c == d).count();
    let by_ext = matches!(ext, "csv" | "tsv" | "tab" | "psv");
    let found = [';', ',', '\t', '|']
        .into_iter()
        .filter(|&d| count(first, d) >= 1)
        .max_by_key(|&d| (count(first, d) == count(second, d), count(first, d)));
    let delim = match found {
        Some(d) => d,
        None if by_ext => match ext {
            "tsv" | "tab" => '\t',
            "psv" => '|',
            _ => ',',
        },
        None => return None,
    };
    if !by_ext && (count(first, delim) < 2 || count(first, delim) != count(second, delim)) {
        return None;
    }
    // A header names its columns: mostly not numbers.
    let names: Vec<&str> = first
        .split(delim)
        .map(|f| f.trim().trim_matches('"'))
        .collect();
    let numeric = names
        .iter()
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || " .,-+".contains(c)))
        .count();
    let header = numeric * 2 <= names.len() && !names.iter().any(|n| n.contains('@'));
    if !by_ext && !header {
        return None;
    }
    Some((delim as u8, header))
}

/// Reads delimited UTF-8 records from `reader` into `sink`; returns the bytes read.
pub fn extract(
    reader: &mut dyn Read,
    delimiter: u8,
    header: bool,
    env: &Env<'_>,
    sink: &mut dyn Sink,
) -> Result<u64, ExtractError> {
    let pending = Rc::new(RefCell::new(Pending::default()));
    let bounded = Bounded {
        inner: reader,
        pending: Rc::clone(&pending),
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(bounded);
    let mut record = csv::ByteRecord::new();
    let mut table: Option<Table<'_>> = None;
    let mut row = Row::default();
    let mut n = 0u64;
    while rdr.read_byte_record(&mut record).map_err(csv_error)? {
        let start = record.position().map_or(0, csv::Position::byte);
        let line = Some(pending.borrow_mut().line(start, rdr.position().byte()));
        n += 1;
        if n % TIME_EVERY == 0 {
            env.clock.check()?;
        }
        let t = match &mut table {
            Some(t) => t,
            None => {
                let names: Vec<String> = if header {
                    record
                        .iter()
                        .map(|f| String::from_utf8_lossy(f).trim().to_string())
                        .collect()
                } else {
                    Vec::new()
                };
                let t = table.insert(Table::new(env.det, None, &names, 1));
                if header {
                    continue;
                }
                t
            }
        };
        row.clear();
        row.line = line;
        for field in record.iter() {
            if field.is_empty() {
                // An empty field holds nothing: not counted as a value.
                row.begin();
                row.end_null();
            } else {
                row.push_field(field);
            }
        }
        t.row(&row, sink);
    }
    if let Some(t) = table {
        t.finish(sink);
    }
    Ok(rdr.position().byte())
}

fn csv_error(e: csv::Error) -> ExtractError {
    match e.into_kind() {
        csv::ErrorKind::Io(e) if e.to_string() == RECORD_TOO_LONG => ExtractError::limit(
            Limit::RecordLength,
            format!("a record over {MAX_RECORD} bytes (an unclosed quote?)"),
        ),
        csv::ErrorKind::Io(e) => ExtractError::Io(e),
        other => ExtractError::Corrupt(format!("malformed delimited text: {}", kind_name(&other))),
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
    use crate::extract::LimitHit;

    #[test]
    fn delimiters_and_headers_are_sniffed() {
        assert_eq!(
            detect("txt", "navn;fnr;mobil\nKari;1;2\n"),
            Some((b';', true))
        );
        assert_eq!(detect("csv", "a,b\n1,2\n"), Some((b',', true)));
        assert_eq!(detect("txt", "a\tb\tc\n1\t2\t3\n"), Some((b'\t', true)));
        assert_eq!(detect("txt", "a|b|c\n1|2|3\n"), Some((b'|', true)));
        assert_eq!(detect("txt", "Hei, du. Dette, er tekst\nmed komma\n"), None);
        assert_eq!(
            detect("csv", "1;2;3\n4;5;6\n"),
            Some((b';', false)),
            "no header row"
        );
        assert_eq!(detect("txt", "1;2;3\n4;5;6\n"), None);
        assert_eq!(detect("tsv", "enkelt\n"), Some((b'\t', true)));
    }

    #[test]
    fn an_unclosed_quote_stops_at_the_record_limit() {
        let det = crate::detect::Detector::builtin();
        let limits = crate::extract::Limits::default();
        let env = Env {
            det: &det,
            clock: crate::extract::Clock::start(&limits),
            limits: &limits,
        };
        let mut data = b"a,b\n1,\"".to_vec();
        data.resize(MAX_RECORD as usize + (1 << 20), b'x');
        struct Nothing;
        impl Sink for Nothing {
            fn chunk(&mut self, _: &crate::extract::Chunk<'_>) {}
        }
        let err = extract(&mut &data[..], b',', true, &env, &mut Nothing).unwrap_err();
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
