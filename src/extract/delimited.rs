//! CSV, TSV and other delimited files, read record by record with `csv_core` (quoted
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
use std::io::Read;

use csv_core::ReadRecordResult;

use super::table::{self, Row, Table};
use super::{Chunk, Clock, Env, ExtractError, Limit, LinePos, Location, Position, Sink};
use crate::detect::ChunkContext;

/// Bytes one record may span: a record this long without a line break stops reading (the
/// parser would have to keep it all).
const MAX_RECORD: u64 = 16 << 20;
/// Line breaks one quoted field may span before its opening quote is taken for a stray one.
const MAX_FIELD_LINES: u64 = 1000;
/// Lines of the head that sniffing looks at.
const SNIFF_LINES: usize = 50;
/// Bytes handed to the parser at a time. The runaway checks run between them, so this decides
/// where a long quoted field is given up: 8 KiB is what the `csv` crate's reader took (which
/// read these files before). What is read ahead is handed on in these steps too, from the
/// start of the read or from where reading started afresh after a runaway record.
const CHUNK: usize = 8 << 10;
/// Bytes read from the input at a time.
const READ: usize = 64 << 10;
/// Consumed bytes kept before they are dropped from the front of the buffer: dropping after
/// every record would move the whole read-ahead once per row. Four reads' worth, so that what
/// is moved (at most a read ahead) is a quarter of what is dropped.
const DRAIN_AT: usize = 4 * READ;

thread_local! {
    /// The parsers built on this thread and not in use, by delimiter and quoting. Building one
    /// builds its DFA, which took 6 % of a scan of small files when it was done per CSV file.
    /// (They are lent, not copied: `csv_core`'s `Clone` copies half of a built DFA.)
    static PARSERS: RefCell<Vec<((u8, bool), csv_core::Reader)>> = const { RefCell::new(Vec::new()) };
}

/// A parser for one delimiter, quotes honoured or taken literally, lent by the thread (or
/// built) as good as new, and given back when dropped. Its settings are those of
/// `csv::ReaderBuilder::new()`: `"` quotes and is escaped by doubling, `\r`, `\n` and `\r\n`
/// end records, empty lines are skipped, a UTF-8 BOM at the very start is dropped.
struct Parser {
    key: (u8, bool),
    /// `Some` until dropped.
    core: Option<csv_core::Reader>,
}

impl Parser {
    fn new(delimiter: u8, quoting: bool) -> Parser {
        let key = (delimiter, quoting);
        let lent = PARSERS.with_borrow_mut(|idle| {
            let i = idle.iter().position(|(k, _)| *k == key)?;
            Some(idle.swap_remove(i).1)
        });
        let core = match lent {
            Some(mut core) => {
                core.reset();
                core
            }
            None => csv_core::ReaderBuilder::new()
                .delimiter(delimiter)
                .quoting(quoting)
                .build(),
        };
        Parser {
            key,
            core: Some(core),
        }
    }

    fn core(&mut self) -> &mut csv_core::Reader {
        self.core.as_mut().expect("a parser until dropped")
    }
}

impl Drop for Parser {
    fn drop(&mut self) {
        if let Some(core) = self.core.take() {
            // At most a few: one per delimiter and quoting unless readers nest.
            let _ = PARSERS.try_with(|idle| {
                let mut idle = idle.borrow_mut();
                if idle.len() < 16 {
                    idle.push((self.key, core));
                }
            });
        }
    }
}

/// Where `delimiter` occurs in `line`, into `out` (room for each byte of `line`); how often,
/// or `None` if `line` holds a quote. The whole line at once, not field by field (the fields
/// of a line are a few bytes each, too short for a search per field to pay for its setup):
/// 16 bytes at a time in an SSE2 register on x86-64, then eight in a machine word.
fn delimiters(line: &[u8], delimiter: u8, out: &mut [usize]) -> Option<usize> {
    use crate::detect::{zero_bits as zeros, SWAR_ONES as ONES};
    let mut n = 0;
    let mut at = 0;
    #[cfg(target_arch = "x86_64")]
    while let Some(block) = line.get(at..at + 16) {
        let (mut found, quotes) = delimiters_sse2(block.try_into().expect("16 bytes"), delimiter);
        if quotes != 0 {
            return None;
        }
        while found != 0 {
            out[n] = at + found.trailing_zeros() as usize;
            n += 1;
            found &= found - 1;
        }
        at += 16;
    }
    let (d, q) = (ONES * u64::from(delimiter), ONES * u64::from(b'"'));
    let mut words = line[at..].chunks_exact(8);
    for (k, word) in words.by_ref().enumerate() {
        let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        if zeros(w ^ q) != 0 {
            return None;
        }
        let mut found = zeros(w ^ d);
        while found != 0 {
            out[n] = at + k * 8 + found.trailing_zeros() as usize / 8;
            n += 1;
            found &= found - 1;
        }
    }
    let rest = line.len() - words.remainder().len();
    for (i, &b) in words.remainder().iter().enumerate() {
        if b == b'"' {
            return None;
        }
        if b == delimiter {
            out[n] = rest + i;
            n += 1;
        }
    }
    Some(n)
}

/// One bit per byte of `block` that is `delimiter`, and one per byte that is a quote, the
/// first byte's lowest: a compare and a mask each, where a machine word took ten operations
/// for half the bytes (the split was 7 % of a small CSV file's instructions).
#[cfg(target_arch = "x86_64")]
#[inline]
fn delimiters_sse2(block: &[u8; 16], delimiter: u8) -> (u32, u32) {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of every x86-64 processor (the target enables it), and the load
    // reads the 16 bytes `block` holds.
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast());
        let d = _mm_cmpeq_epi8(v, _mm_set1_epi8(delimiter as i8));
        let q = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        (_mm_movemask_epi8(d) as u32, _mm_movemask_epi8(q) as u32)
    }
}

fn newlines(b: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', b).count() as u64
}

/// The fields of the record just read: their unquoted text, and where each ends in it.
#[derive(Clone, Copy)]
struct Fields<'b> {
    text: &'b [u8],
    ends: &'b [usize],
    /// Bytes between one field's end and the next one's start: 0 in the parser's output, 1
    /// (the delimiter) in a line split as it was read ([`Records::plain`]).
    gap: usize,
}

impl<'b> Fields<'b> {
    fn iter(self) -> impl Iterator<Item = &'b [u8]> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let field = &self.text[start..end];
            start = end + self.gap;
            field
        })
    }
}

/// Where a record lies in [`Records::bytes`].
#[derive(Debug, PartialEq)]
struct Span {
    /// The 1-based line of its first field.
    line: u64,
    /// `bytes[from..to]`: the record without the line breaks around it.
    from: usize,
    to: usize,
    /// Line breaks from the end of the record before to the end of this one.
    breaks: u64,
}

/// What reading came to.
enum Next {
    Record(Span),
    /// A record from `bytes[from..]`, on `line`, whose quotes do not balance across lines (a
    /// quote opened and never closed), or that ran over [`MAX_RECORD`] bytes or
    /// [`MAX_FIELD_LINES`] lines: its first line is to be read again with quoting off.
    Runaway {
        from: usize,
        line: u64,
    },
    End,
}

/// Where a table's bytes come from: a reader, or memory (a file that is all in its head).
pub(crate) enum Feed<'r> {
    Read(&'r mut dyn Read),
    Bytes(&'r [u8]),
}

impl Feed<'_> {
    /// Appends up to `want` bytes to `buf`; how many (0 at the end). Bytes in memory are
    /// copied as they are: the room a read needs is zeroed first, 16 KiB for a small file.
    fn read(&mut self, buf: &mut Vec<u8>, want: usize) -> std::io::Result<usize> {
        match self {
            Feed::Read(r) => {
                let at = buf.len();
                buf.resize(at + want, 0);
                let read = crate::read::read_some(*r, &mut buf[at..]);
                buf.truncate(at + *read.as_ref().unwrap_or(&0));
                read
            }
            Feed::Bytes(rest) => {
                let (now, later) = rest.split_at(want.min(rest.len()));
                buf.extend_from_slice(now);
                *rest = later;
                Ok(now.len())
            }
        }
    }
}

/// The input parsed record by record, with the raw bytes from the start of the current record
/// on kept beside the parser: so that a record's line can be counted (the parser's own count
/// misses line breaks inside quotes), so that a runaway record can be read again, and so that
/// one record cannot grow past [`MAX_RECORD`]. The time limit is checked at every read (all
/// work follows reading).
struct Records<'r> {
    inner: Feed<'r>,
    clock: Clock,
    delimiter: u8,
    parser: Parser,
    /// Raw bytes: `bytes[..done]` is behind the last record, `bytes[done..at]` went to the
    /// parser since, `bytes[at..fed]` waits for it. `bytes[fed..]` was read before and comes
    /// again (what followed the first line of a runaway record), [`CHUNK`] bytes at a time.
    bytes: Vec<u8>,
    done: usize,
    at: usize,
    fed: usize,
    /// Line breaks before `bytes[done]`.
    newlines: u64,
    /// Line breaks in `bytes[done..open.0]`, counted as far as `open.0` for the runaway check;
    /// `None` once `done` moved.
    open: Option<(usize, u64)>,
    /// Bytes read from the input (replayed bytes are not counted again).
    input_bytes: u64,
    /// Bytes the next read asks for.
    ahead: usize,
    /// The fields of the last record (see [`Fields`]): `ends[..fields]` are its ends, in
    /// `text`, or in `bytes[line..]` when `plain` holds the line they were split from.
    text: Vec<u8>,
    ends: Vec<usize>,
    fields: usize,
    plain: Option<usize>,
    /// Whether the parser has been handed input since it was new (it drops a byte order mark
    /// only from the first input it is handed, so it reads the first record).
    started: bool,
}

impl<'r> Records<'r> {
    fn new(inner: Feed<'r>, delimiter: u8, clock: Clock) -> Records<'r> {
        Records {
            inner,
            clock,
            delimiter,
            parser: Parser::new(delimiter, true),
            bytes: Vec::new(),
            done: 0,
            at: 0,
            fed: 0,
            newlines: 0,
            open: None,
            input_bytes: 0,
            ahead: CHUNK,
            text: vec![0; 1024],
            ends: vec![0; 32],
            fields: 0,
            plain: None,
            started: false,
        }
    }

    fn fields(&self) -> Fields<'_> {
        let ends = &self.ends[..self.fields];
        match self.plain {
            Some(line) => Fields {
                text: &self.bytes[line..],
                ends,
                gap: 1,
            },
            None => Fields {
                text: &self.text,
                ends,
                gap: 0,
            },
        }
    }

    /// Reads the next record with `parser`, from `bytes[at..]`, into the fields.
    fn next(&mut self) -> Result<Next, ExtractError> {
        let (mut nout, mut nend) = (0, 0);
        let mut first = true;
        loop {
            if self.at == self.fed && !self.fill()? {
                return self.stopped();
            }
            if std::mem::take(&mut first) {
                if let Some(next) = self.plain() {
                    return Ok(next);
                }
            }
            self.started = true;
            self.plain = None;
            let (res, nin, o, e) = self.parser.core().read_record(
                &self.bytes[self.at..self.fed],
                &mut self.text[nout..],
                &mut self.ends[nend..],
            );
            self.at += nin;
            nout += o;
            nend += e;
            match res {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => self.text.resize(self.text.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                ReadRecordResult::Record => {
                    self.fields = nend;
                    return Ok(self.span());
                }
                ReadRecordResult::End => return Ok(Next::End),
            }
        }
    }

    /// The next record as the parser would read it, when it lies wholly in `bytes[at..fed]` and
    /// its line holds no quote (nearly every line of an export): empty lines skipped, the line
    /// split at each delimiter, up to its first `\r` or `\n` (which the parser takes as the
    /// record's end). Found by vector search, not a state machine run per byte; the parser is
    /// left as it was, between records, as it would be after this one.
    fn plain(&mut self) -> Option<Next> {
        if !self.started || self.done != self.at {
            return None;
        }
        let avail = &self.bytes[self.at..self.fed];
        let skip = avail.iter().position(|&b| b != b'\r' && b != b'\n')?;
        let len = memchr::memchr2(b'\n', b'\r', &avail[skip..])?;
        if self.ends.len() <= len {
            self.ends.resize(len + 1, 0);
        }
        let n = delimiters(&avail[skip..skip + len], self.delimiter, &mut self.ends)?;
        self.ends[n] = len;
        self.fields = n + 1;
        // The record's span as [`Records::span`] finds it, known here: no quote, so no line
        // break inside; the breaks skipped before it, and its own `\n` if it ends there.
        let before = avail[..skip].iter().filter(|&&b| b == b'\n').count() as u64;
        let after = u64::from(avail[skip + len] == b'\n');
        let from = self.at + skip;
        self.plain = Some(from);
        self.at = from + len + 1;
        let span = Span {
            line: 1 + self.newlines + before,
            from,
            to: from + len,
            breaks: before + after,
        };
        debug_assert!(matches!(self.span(), Next::Record(s) if s == span));
        Some(Next::Record(span))
    }

    /// Hands the parser the next [`CHUNK`] of input, replayed or read (none at the end);
    /// `false` when the record being read runs too long to go on.
    fn fill(&mut self) -> Result<bool, ExtractError> {
        let (from, n) = self.open.unwrap_or((self.done, 0));
        let open_lines = n + newlines(&self.bytes[from..self.fed]);
        self.open = Some((self.fed, open_lines));
        if (self.fed - self.done) as u64 > MAX_RECORD || open_lines > MAX_FIELD_LINES {
            return Ok(false);
        }
        self.clock.check()?;
        if self.fed < self.bytes.len() {
            self.fed = self.bytes.len().min(self.fed + CHUNK);
            return Ok(true);
        }
        // Read ahead up to [`READ`] bytes at a time (one system call per 8 KiB was 16,000 for
        // a 128 MiB export), handed on [`CHUNK`] at a time all the same. The reads grow while
        // they come back full: a small file is read as before, without a large buffer to zero.
        let want = self.ahead;
        let read = self.inner.read(&mut self.bytes, want);
        let n = read.as_ref().map_or(0, |&n| n);
        self.fed += n.min(CHUNK);
        self.input_bytes += n as u64;
        if n == want {
            self.ahead = (want * 2).min(READ);
        }
        read?;
        Ok(true)
    }

    /// The first byte at or after `at` that is not a line break, and the `\n` before it.
    fn skip_breaks(&self, at: usize) -> (usize, u64) {
        let breaks = &self.bytes[at..self.fed];
        let n = breaks
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        let lines = breaks[..n].iter().filter(|&&b| b == b'\n').count();
        (at + n, lines as u64)
    }

    /// The record the parser read from `done` to `at`.
    fn span(&self) -> Next {
        let (from, before) = self.skip_breaks(self.done);
        let line = 1 + self.newlines + before;
        let (mut to, mut after) = (self.at.max(from), 0);
        while to > from && matches!(self.bytes[to - 1], b'\r' | b'\n') {
            to -= 1;
            after += u64::from(self.bytes[to] == b'\n');
        }
        let body = &self.bytes[from..to];
        // A line break inside a record is inside quotes, so most records need no count.
        let inside = match memchr::memchr(b'"', body) {
            Some(_) => newlines(body),
            None => 0,
        };
        if inside > 0 && memchr::memchr_iter(b'"', body).count() % 2 == 1 {
            return Next::Runaway { from, line };
        }
        Next::Record(Span {
            line,
            from,
            to,
            breaks: before + inside + after,
        })
    }

    /// After the parser was stopped at a runaway record: where it starts, unless nothing after
    /// it breaks the line (a record this long without a line break is data, and too long).
    fn stopped(&self) -> Result<Next, ExtractError> {
        let (from, before) = self.skip_breaks(self.done);
        if memchr::memchr(b'\n', &self.bytes[from..self.fed]).is_none() {
            return Err(ExtractError::limit(
                Limit::RecordLength,
                format!("a record over {MAX_RECORD} bytes"),
            ));
        }
        let line = 1 + self.newlines + before;
        Ok(Next::Runaway { from, line })
    }

    /// Forgets the record just read.
    fn forget(&mut self, span: &Span) {
        self.newlines += span.breaks;
        self.done = self.at;
        self.open = None;
        // Whatever is read ahead moves too: at most as many bytes as were dropped.
        if self.done >= DRAIN_AT && self.done * 2 >= self.bytes.len() {
            self.bytes.drain(..self.done);
            self.at -= self.done;
            self.fed -= self.done;
            self.done = 0;
        }
    }

    /// The end of the line that starts at `from` (after its `\n`); there is one.
    fn line_end(&self, from: usize) -> usize {
        memchr::memchr(b'\n', &self.bytes[from..self.fed]).map_or(self.fed, |i| from + i + 1)
    }

    /// Reads `bytes[from..end]` with quotes taken literally, as one record, into the fields;
    /// `false` if it holds none.
    fn literal(&mut self, from: usize, end: usize) -> bool {
        let mut parser = Parser::new(self.delimiter, false);
        self.plain = None;
        let (mut at, mut nout, mut nend) = (from, 0, 0);
        loop {
            let (res, nin, o, e) = parser.core().read_record(
                &self.bytes[at..end],
                &mut self.text[nout..],
                &mut self.ends[nend..],
            );
            at += nin;
            nout += o;
            nend += e;
            match res {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => self.text.resize(self.text.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                ReadRecordResult::Record => {
                    self.fields = nend;
                    return true;
                }
                ReadRecordResult::End => return false,
            }
        }
    }

    /// Starts afresh after the line `line` that ends at `end`: a new parser reads what
    /// followed it again.
    fn restart(&mut self, end: usize, line: u64) {
        self.bytes.drain(..end);
        self.newlines = line;
        self.done = 0;
        self.at = 0;
        self.fed = 0;
        self.open = None;
        self.parser.core().reset();
        self.started = false;
    }
}

/// The delimiters a table may use, in the order they are preferred on a tie.
const DELIMITERS: [u8; 4] = [b';', b',', b'\t', b'|'];

/// Byte classes for the quoted pass of [`field_counts`]: 0 for most bytes, 1 + the
/// delimiter's index, or [`QUOTE`].
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
const QUOTE: u8 = DELIMITERS.len() as u8 + 1;

/// How many fields `line` has for each of [`DELIMITERS`], counted over its bytes (all ASCII,
/// so UTF-8 needs no decoding): delimiters inside quotes do not split, unless the line's
/// quotes do not pair up (a quote left open by a stray character), when all count.
fn field_counts(line: &str) -> [usize; 4] {
    const SOUGHT: [u8; 5] = [
        DELIMITERS[0],
        DELIMITERS[1],
        DELIMITERS[2],
        DELIMITERS[3],
        b'"',
    ];
    let b = line.as_bytes();
    // The delimiters and quotes in one pass, with byte-wide counters per block of 255 bytes:
    // the compiler turns this into vector compares (about ten times faster on a sample line
    // than a table lookup per byte, whose counters wait on each other, or a search per
    // delimiter, whose calls cost more than the short lines).
    let mut seen = [0usize; 5];
    for block in b.chunks(255) {
        let mut n = [0u8; 5];
        for &c in block {
            for k in 0..SOUGHT.len() {
                n[k] += u8::from(c == SOUGHT[k]);
            }
        }
        for k in 0..SOUGHT.len() {
            seen[k] += usize::from(n[k]);
        }
    }
    let quotes = seen[4];
    if quotes == 0 || quotes % 2 == 1 {
        // Every delimiter splits (most lines have no quotes).
        return std::array::from_fn(|i| 1 + seen[i]);
    }
    let mut quoted = false;
    let mut n = [1usize; 4];
    for &c in b {
        match CLASS[c as usize] {
            0 => {}
            QUOTE => quoted = !quoted,
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
    let by_ext = matches!(ext, "csv" | "tsv" | "tab" | "psv");
    // A first line longer than the head (a header of thousands of columns) is all there is of
    // it: what its start holds says which delimiter a table's extension promised.
    let cut_first = || (by_ext && !whole).then(|| lines(text).next()).flatten();
    let first_line = sniffed_lines(text, whole)
        .next()
        .or_else(cut_first)
        .unwrap_or("");
    let n = field_counts(first_line);
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
    // Without a table's extension a table has three fields or more (checked last, below): a
    // first line with fewer for every delimiter (prose with a comma in an amount) decides it.
    if !by_ext && n.iter().all(|&k| k < 3) {
        return None;
    }
    // With a table's extension and one delimiter that splits the first line, the other lines
    // cannot change the choice (nothing rules a delimiter out there): most CSV files.
    let splitting = || (0..DELIMITERS.len()).filter(|&i| n[i] >= 2);
    if by_ext && splitting().count() == 1 {
        let d = splitting().map(|i| DELIMITERS[i]).next()?;
        return Some((d, header_like(first_line, d as char)));
    }
    let lines: Vec<&str> = sniffed_lines(text, whole).collect();
    let first = lines.first().copied().unwrap_or(first_line);
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
    let enough = if header { 3 } else { 6 };
    if n < 3 || same * 10 < lines.len() * 9 || lines.len() < enough {
        return None;
    }
    // Table rows hold short values; prose holds phrases between its commas.
    let (mut cells_n, mut short) = (0, 0);
    for c in lines.iter().flat_map(|l| cells(l, d)) {
        cells_n += 1;
        short += usize::from(c.split_whitespace().nth(3).is_none());
    }
    (short * 10 >= cells_n * 8).then_some((d as u8, header))
}

/// The lines of the head that [`detect`] goes by, split as they are asked for: the first
/// [`SNIFF_LINES`] that are not blank, without the last when it may be cut off (the head is
/// not the whole input). Prose is told by the first alone.
fn sniffed_lines(text: &str, whole: bool) -> impl Iterator<Item = &str> {
    let mut taken = lines(text).take(SNIFF_LINES + 1).enumerate().peekable();
    std::iter::from_fn(move || loop {
        let (i, line) = taken.next()?;
        if taken.peek().is_none() && (!whole || i + 1 > SNIFF_LINES) {
            return None; // possibly cut off
        }
        if !line.trim().is_empty() {
            return Some(line);
        }
    })
}

/// `str::lines` by a vectorised search: the sniff splits the head of every text file.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let line = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(i) => {
                let line = &rest[..i];
                rest = &rest[i + 1..];
                line.strip_suffix('\r').unwrap_or(line)
            }
            None => std::mem::take(&mut rest),
        };
        Some(line)
    })
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
        record: Fields<'_>,
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
                    .take(table::MAX_COLUMNS)
                    .map(|f| {
                        let name = String::from_utf8_lossy(f);
                        name.trim().trim_matches('"').trim().to_string()
                    })
                    .collect();
                self.table = Some(Table::new(det, None, names, 1));
                // A header cell may hold a value (a first line that is data after all): each
                // is scanned as a value, located by its line and column.
                let base = Location::default();
                // Columns are counted in characters of the decoded line (a file in UTF-8 is
                // read as bytes, and an invalid byte is one U+FFFD there).
                let decoded = String::from_utf8_lossy(raw);
                let columns = cell_columns(decoded.as_bytes(), self.delimiter);
                for (field, column) in record.iter().zip(columns) {
                    let text = String::from_utf8_lossy(field);
                    let at = Position::Lines(LinePos { line, column });
                    sink.chunk(&Chunk::whole(&text, &base, at, ChunkContext::default()));
                }
                return Ok(());
            }
            None => self.table.insert(Table::new(det, None, Vec::new(), 1)),
        };
        self.row.clear();
        self.row.line = Some(line);
        // An empty field holds nothing: not counted as a value.
        self.row.push_fields(record.text, record.ends, record.gap);
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

/// Reads delimited UTF-8 records from `reader` into `sink`; returns the bytes read.
pub(crate) fn extract(
    input: Feed<'_>,
    delimiter: u8,
    header: bool,
    env: &Env<'_>,
    sink: &mut dyn Sink,
) -> Result<u64, ExtractError> {
    let mut records = Records::new(input, delimiter, env.clock);
    let mut reading = Reading {
        env,
        delimiter,
        header,
        table: None,
        row: Row::default(),
    };
    loop {
        match records.next()? {
            Next::Record(span) => {
                let raw = &records.bytes[span.from..span.to];
                reading.record(records.fields(), span.line, raw, sink)?;
                records.forget(&span);
            }
            Next::Runaway { from, line } => {
                env.clock.check()?;
                // The line that opened the stray quote, as one record with quotes taken
                // literally; parsing starts afresh on the next line.
                let end = records.line_end(from);
                if records.literal(from, end) {
                    let raw = records.bytes[from..end].trim_ascii_end();
                    reading.record(records.fields(), line, raw, sink)?;
                }
                records.restart(end, line);
            }
            Next::End => {
                if let Some(t) = reading.table.take() {
                    t.finish(sink);
                }
                return Ok(records.input_bytes);
            }
        }
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
        // Two delimiters split the first line: the lines after it choose.
        assert_eq!(d("csv", "a,b;c\n1,2\n3,4\n"), Some((b',', true)));
        assert_eq!(d("csv", "a,b;c\n1;2\n3;4\n"), Some((b';', true)));
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

    /// How [`field_counts`] counted before it counted in one pass: a vector search per
    /// delimiter, the quotes honoured in a second pass when they pair up.
    fn field_counts_by_search(line: &str) -> [usize; 4] {
        let b = line.as_bytes();
        if memchr::memchr(b'"', b).is_none() {
            return DELIMITERS.map(|d| 1 + memchr::memchr_iter(d, b).count());
        }
        let paired = memchr::memchr_iter(b'"', b).count() % 2 == 0;
        let mut quoted = false;
        let mut n = [1usize; 4];
        for &c in b {
            match c {
                b'"' => quoted = !quoted && paired,
                _ if quoted => {}
                _ => {
                    if let Some(i) = DELIMITERS.iter().position(|&d| d == c) {
                        n[i] += 1;
                    }
                }
            }
        }
        n
    }

    #[test]
    fn delimiters_are_counted_in_one_pass_as_they_were_searched() {
        let lines = [
            "",
            "a;b,c\td|e",
            "\"a;b\";c;\"d,e\"",
            "\"open;a;b",
            "x;\"y;\"\"z\";w\"",
            "\"\";\";\"\"",
            "ø;æ,å\t|\"|\"",
            ";;;,,,\t\t|||",
        ];
        // Longer than the 255-byte blocks of byte-wide counters.
        let long = [";".repeat(600), "\"a;b\",".repeat(100), "x|".repeat(300)];
        for l in lines.into_iter().chain(long.iter().map(String::as_str)) {
            assert_eq!(field_counts(l), field_counts_by_search(l), "{l:?}");
        }
        // And so the sniff's answers are those it gave.
        let d = |t: &str| detect("txt", t, true);
        assert_eq!(d("a;\"b;c\";d\n1;\"2;3\";4\n5;6;7\n"), Some((b';', true)));
        assert_eq!(d("\"a;b;c\n1;2;3\n4;5;6\n7;8;9\n"), Some((b';', true)));
        assert_eq!(d("a,b;c\n\"1,2\";3\n4,5;6\n"), None);
    }

    /// At the limit: a whole head of 50 lines is taken whole, one of more loses its 51st.
    #[test]
    fn sniffed_lines_stop_at_the_limit() {
        for n in [
            SNIFF_LINES - 1,
            SNIFF_LINES,
            SNIFF_LINES + 1,
            SNIFF_LINES + 2,
        ] {
            let text = "a;b\n".repeat(n);
            for whole in [true, false] {
                let want = if whole {
                    n.min(SNIFF_LINES)
                } else {
                    (n - 1).min(SNIFF_LINES)
                };
                assert_eq!(sniffed_lines(&text, whole).count(), want, "{n} {whole}");
            }
        }
    }

    proptest::proptest! {
        /// The lines are split as they are asked for, and are those the sniff took when it
        /// split the head at once.
        #[test]
        fn sniffed_lines_are_those_of_the_head_split_at_once(
            text in proptest::collection::vec(
                proptest::sample::select(&["a;b", " ", "\n", "\r\n", "x"][..]), 0..300),
            whole in proptest::prelude::any::<bool>(),
        ) {
            let text = text.concat();
            let mut at_once: Vec<&str> = lines(&text).take(SNIFF_LINES + 1).collect();
            if !whole || at_once.len() > SNIFF_LINES {
                at_once.pop();
            }
            at_once.retain(|l| !l.trim().is_empty());
            let lazily: Vec<&str> = sniffed_lines(&text, whole).collect();
            proptest::prop_assert_eq!(lazily, at_once);
        }

        #[test]
        fn one_pass_counts_equal_searched_counts(line in "[a;,\t|\"ø ]{0,600}") {
            proptest::prop_assert_eq!(field_counts(&line), field_counts_by_search(&line));
        }
    }

    #[test]
    fn prose_with_commas_is_not_a_table() {
        let letter = "Hei Kari, her er fødselsnummeret ditt 13097248022, som du ba om.\n\
                      Ring meg på 41234567, eller send en e-post, så ordner vi det.\n\
                      Med vennlig hilsen, Ola Nordmann, saksbehandler hos oss\n";
        assert_eq!(detect("txt", letter, true), None);
        assert_eq!(detect("txt", &letter.repeat(5), true), None);
        // Without a table's extension, three fields a line make a table and two do not,
        // however alike the lines (the first line decides the second at once).
        let rows = |fields: usize| {
            (0..8)
                .map(|i| vec![format!("v{i}"); fields].join(";") + "\n")
                .collect::<String>()
        };
        let delimiter = |ext: &str, t: &str| detect(ext, t, true).map(|(d, _)| d);
        assert_eq!(delimiter("txt", &rows(3)), Some(b';'));
        assert_eq!(delimiter("txt", &rows(2)), None);
        assert_eq!(delimiter("csv", &rows(2)), Some(b';'));
    }

    fn env_run(data: &[u8], header: bool) -> (Result<u64, ExtractError>, Vec<(Location, String)>) {
        let det = crate::detect::Detector::builtin();
        let limits = crate::extract::Limits::default();
        let env = crate::extract::testing::env(&det, &limits);
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
        let r = extract(Feed::Read(&mut &data[..]), b',', header, &env, &mut sink);
        // Read from memory as it is, the same records come out.
        let mut again = Keep::default();
        let m = extract(Feed::Bytes(data), b',', header, &env, &mut again);
        assert_eq!(format!("{m:?}"), format!("{r:?}"));
        assert_eq!(again.0, sink.0);
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

    /// A header longer than the head (thousands of columns) is cut there: what the head holds
    /// of it still tells a `.csv`'s delimiter and that it is a header.
    #[test]
    fn a_header_longer_than_the_head_tells_its_delimiter() {
        let header: Vec<String> = (0..1000).map(|i| format!("Sporsmaal {i:04}")).collect();
        let text = header.join(";");
        let head = &text[..crate::read::sniff::HEAD];
        assert!(!head.contains('\n'));
        assert_eq!(detect("csv", head, false), Some((b';', true)));
        // Without a table's extension one cut line is too little to call a table.
        assert_eq!(detect("txt", head, false), None);
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

#[cfg(test)]
mod reader_tests {
    use super::*;
    use proptest::prelude::*;

    /// One record as read: its fields, and where it starts and ends in the input.
    type Read = (Vec<Vec<u8>>, u64, u64);

    /// The records of `data` as the `csv` crate reads them, configured as this module once
    /// configured it.
    fn by_csv_crate(data: &[u8], delimiter: u8) -> Vec<Read> {
        let mut r = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(data);
        let mut rec = csv::ByteRecord::new();
        let mut out = Vec::new();
        while r.read_byte_record(&mut rec).unwrap() {
            let fields = rec.iter().map(<[u8]>::to_vec).collect();
            out.push((fields, rec.position().unwrap().byte(), r.position().byte()));
        }
        out
    }

    /// The records of `data` as [`Records`] reads them, up to the first runaway, with their
    /// lines and raw text.
    fn by_records(data: &[u8], delimiter: u8) -> (Vec<Read>, Vec<(u64, Vec<u8>)>) {
        let limits = crate::extract::Limits::default();
        let mut input = data;
        let mut r = Records::new(Feed::Read(&mut input), delimiter, Clock::start(&limits));
        let (mut out, mut lines) = (Vec::new(), Vec::new());
        while let Next::Record(span) = r.next().unwrap() {
            let fields = r.fields().iter().map(<[u8]>::to_vec).collect();
            out.push((fields, r.done as u64, r.at as u64));
            lines.push((span.line, r.bytes[span.from..span.to].to_vec()));
            r.forget(&span);
        }
        (out, lines)
    }

    fn strs(v: &[Vec<u8>]) -> Vec<&str> {
        v.iter().map(|f| std::str::from_utf8(f).unwrap()).collect()
    }

    #[test]
    fn quoted_fields_keep_delimiters_line_breaks_and_doubled_quotes() {
        let data = b"a,\"b,c\",\"d\ne\",\"f\"\"g\"\r\nh,i\r\n";
        let (read, lines) = by_records(data, b',');
        assert_eq!(read, by_csv_crate(data, b','));
        assert_eq!(strs(&read[0].0), ["a", "b,c", "d\ne", "f\"g"]);
        assert_eq!(strs(&read[1].0), ["h", "i"]);
        assert_eq!(
            lines,
            [
                (1, b"a,\"b,c\",\"d\ne\",\"f\"\"g\"".to_vec()),
                (3, b"h,i".to_vec())
            ]
        );
    }

    #[test]
    fn lines_and_positions_count_crlf_empty_lines_and_a_last_line_without_break() {
        let data = b"\r\n\r\nx;y\r\n\n\nz\r\nlast;1";
        let (read, lines) = by_records(data, b';');
        assert_eq!(read, by_csv_crate(data, b';'));
        assert_eq!(
            read.iter().map(|r| (r.1, r.2)).collect::<Vec<_>>(),
            [(0, 8), (8, 13), (13, 20)]
        );
        assert_eq!(
            lines,
            [
                (3, b"x;y".to_vec()),
                (6, b"z".to_vec()),
                (7, b"last;1".to_vec())
            ]
        );
    }

    #[test]
    fn unequal_lengths_and_invalid_utf8_are_read_as_they_are() {
        let data = b"a,b,c\n1\n\xff\xfe,\"\xc3\"\n";
        let (read, _) = by_records(data, b',');
        assert_eq!(read, by_csv_crate(data, b','));
        assert_eq!(
            read.iter().map(|r| r.0.len()).collect::<Vec<_>>(),
            [3, 1, 2]
        );
        assert_eq!(read[2].0, [b"\xff\xfe".to_vec(), b"\xc3".to_vec()]);
    }

    #[test]
    fn fields_longer_than_the_buffers_and_records_across_reads() {
        let long = "x".repeat(3 * CHUNK);
        let cells = vec!["y"; 100].join(",");
        let data = format!("{long},\"{long}\"\n{cells}\n");
        let (read, lines) = by_records(data.as_bytes(), b',');
        assert_eq!(read, by_csv_crate(data.as_bytes(), b','));
        assert_eq!(read[1].0.len(), 100);
        assert_eq!(lines[1].0, 2);
    }

    #[test]
    fn a_byte_order_mark_is_dropped_from_the_first_field_only() {
        let data = b"\xef\xbb\xbfa,b\n\xef\xbb\xbfc\n";
        let (read, _) = by_records(data, b',');
        assert_eq!(read, by_csv_crate(data, b','));
        assert_eq!(read[0].0[0], b"a");
        assert_eq!(read[1].0[0], b"\xef\xbb\xbfc");
    }

    #[test]
    fn a_record_that_opens_a_quote_across_lines_is_a_runaway() {
        let limits = crate::extract::Limits::default();
        let mut input = &b"a,b\n\"c,d\ne,f\n"[..];
        let mut r = Records::new(Feed::Read(&mut input), b',', Clock::start(&limits));
        let Next::Record(span) = r.next().unwrap() else {
            panic!("the first record")
        };
        r.forget(&span);
        assert!(matches!(
            r.next().unwrap(),
            Next::Runaway { from: 4, line: 2 }
        ));
        assert_eq!(r.line_end(4), 9);
        assert!(r.literal(4, 9));
        assert_eq!(
            strs(&r.fields().iter().map(<[u8]>::to_vec).collect::<Vec<_>>()),
            ["\"c", "d"]
        );
        r.restart(9, 2);
        let Next::Record(span) = r.next().unwrap() else {
            panic!("the line after")
        };
        assert_eq!(span.line, 3);
        assert_eq!(r.fields().iter().collect::<Vec<_>>(), [b"e", b"f"]);
    }

    #[test]
    fn a_parser_lent_again_reads_as_new() {
        let (mut out, mut ends) = ([0u8; 64], [0usize; 8]);
        let mut p = Parser::new(b';', true);
        // Left inside a quoted field, after the start (no BOM is dropped later).
        p.core().read_record(b"x;\"open", &mut out, &mut ends);
        drop(p);
        let mut p = Parser::new(b';', true);
        let (res, nin, nout, nend) =
            p.core()
                .read_record(b"\xef\xbb\xbfa;b\n", &mut out, &mut ends);
        assert_eq!((res, nin, nend), (ReadRecordResult::Record, 7, 2));
        assert_eq!((&out[..nout], &ends[..2]), (&b"ab"[..], &[1, 2][..]));
    }

    proptest! {
        /// Records, fields and positions are the `csv` crate's, up to the first runaway.
        #[test]
        fn records_are_read_as_the_csv_crate_reads_them(
            data in proptest::collection::vec(
                proptest::sample::select(&b"ab,;\"\r\n \xc3\xb8\xff"[..]), 0..300),
            semicolon in any::<bool>(),
        ) {
            let d = if semicolon { b';' } else { b',' };
            let (read, _) = by_records(&data, d);
            let want = by_csv_crate(&data, d);
            prop_assert_eq!(&read[..], &want[..read.len()]);
        }

        /// The same for text shaped like an export: lines, most without a quote (split without
        /// the parser), some with, ended by `\n`, `\r\n`, `\r` or empty lines, the last
        /// perhaps by nothing, over several [`CHUNK`]s.
        #[test]
        fn lines_without_quotes_are_read_as_the_csv_crate_reads_them(
            bom in any::<bool>(),
            lines in proptest::collection::vec((
                prop_oneof![
                    6 => proptest::collection::vec(
                        proptest::sample::select(&b"ab1;, \xc3\xb8\xff"[..]), 0..60),
                    1 => proptest::collection::vec(
                        proptest::sample::select(&b"ab;,\"\r\n \xc3\xb8"[..]), 0..30),
                ],
                proptest::sample::select(&["\n", "\r\n", "\r", "\n\n", "\r\n\r\n", ";\n", ""][..]),
            ), 0..600),
            semicolon in any::<bool>(),
        ) {
            let d = if semicolon { b';' } else { b',' };
            let mut data = if bom { b"\xef\xbb\xbf".to_vec() } else { Vec::new() };
            let quoted = lines.iter().any(|(l, _)| l.contains(&b'"'));
            for (line, end) in &lines {
                data.extend_from_slice(line);
                data.extend_from_slice(end.as_bytes());
            }
            let (read, _) = by_records(&data, d);
            let want = by_csv_crate(&data, d);
            if quoted {
                prop_assert_eq!(&read[..], &want[..read.len()]);
            } else {
                // No quote, no runaway: every record.
                prop_assert_eq!(read, want);
            }
        }
    }

    proptest! {
        #[test]
        fn delimiters_are_where_they_are_unless_a_quote_is(
            line in proptest::collection::vec(
                proptest::sample::select(&b";a\x00\xff\xbb\"\xa2"[..]), 0..100),
        ) {
            let mut out = vec![0; line.len()];
            let n = delimiters(&line, b';', &mut out);
            if line.contains(&b'"') {
                prop_assert_eq!(n, None);
            } else {
                let want: Vec<usize> = memchr::memchr_iter(b';', &line).collect();
                prop_assert_eq!(&out[..n.unwrap()], &want[..]);
            }
        }
    }

    proptest! {
        #[test]
        fn the_sniffs_lines_are_strs_lines(
            text in proptest::collection::vec(
                proptest::sample::select(&['\n', '\r', 'a', 'ø', ' '][..]), 0..60),
        ) {
            let text: String = text.into_iter().collect();
            prop_assert_eq!(lines(&text).collect::<Vec<_>>(), text.lines().collect::<Vec<_>>());
        }
    }

    #[test]
    fn lines_without_quotes_are_split_where_they_lie() {
        let data = b"\xef\xbb\xbfa,b\n\r\nc,,d,\re,\"f\"\n\ng,h";
        let limits = crate::extract::Limits::default();
        let mut input = &data[..];
        let mut r = Records::new(Feed::Read(&mut input), b',', Clock::start(&limits));
        let mut got = Vec::new();
        while let Next::Record(span) = r.next().unwrap() {
            let f = r.fields();
            got.push((
                span.line,
                f.gap,
                strs(&f.iter().map(<[u8]>::to_vec).collect::<Vec<_>>()).join("|"),
            ));
            r.forget(&span);
        }
        assert_eq!(
            got,
            [
                // The first record by the parser (it drops the byte order mark).
                (1, 0, "a|b".to_string()),
                (3, 1, "c||d|".to_string()),
                // A quote: the parser.
                (3, 0, "e|f".to_string()),
                // The last line has no line break: the parser ends it.
                (5, 0, "g|h".to_string()),
            ]
        );
        assert_eq!(by_records(data, b',').0, by_csv_crate(data, b','));
    }
}
