//! Tables: rows of values under named columns, as dumps, database files and CSV files give
//! them, turned into one chunk per value located `{table, column, row}`.
//!
//! # Columns as evidence
//! A column's name gives context to every value under it (a [`Header`]), and so do its
//! values: in a column where nearly every 11-digit value validates as a fødselsnummer the
//! column is an identity column, whatever it is called; in a column of 11-digit ids about 1 in
//! 400 values validates by chance, and such hits must not come out as high confidence. Both
//! are only known after seeing many values, so each table starts with a sample (the first
//! [`SAMPLE_ROWS`] rows, at most [`SAMPLE_BYTES`] of values), measures its columns, sets each
//! column's [`ColumnValues`], and only then scores the sample's values and streams the rest.
//! The sample keeps of its rows only what scoring them needs: the values the scan will read
//! (few: most are names, amounts and flags) and each row's number, line and dating value. It
//! bounds memory; a table of a billion rows costs no more than one of a thousand.
//!
//! Values without a digit or `@` are not handed to the detector at all (unless user rules
//! with patterns are loaded): in a dump most values are names, dates and flags. Nor are
//! values the sink would drop unread ([`Sink::may_match`]).
//!
//! # Rows as records
//! Each row is a record for a retention review: the first column whose name dates the record
//! (`dato`, `created_at`, `registrert`), else the first declared `DATE`/`TIMESTAMP` column
//! ([`Table::with_date_types`]), never a birth or expiry date, gives the row's findings their
//! date ([`Sink::record_date`], [`crate::retain::dates::date_column`]).

use std::cell::RefCell;
use std::ops::Range;

use super::{Chunk, Column, Location, Position, Sink};
use crate::detect::{short_digits, validate, ChunkContext, ColumnValues, Detector, Header};
use crate::retain::dates::{self, ColumnKind};
use crate::retain::{Rank, When};

/// Rows buffered per table before its columns are measured.
pub(crate) const SAMPLE_ROWS: usize = 1000;
/// Bytes of values (and their spans) a table's sample spans at most: what it keeps of them
/// is less.
pub(crate) const SAMPLE_BYTES: usize = 16 << 20;
/// Whole-number values of 10-11 digits a column needs in its sample before its statistics
/// count: with fewer, one chance hit would swing the share.
const MIN_NUMBERS: u32 = 20;
/// Columns a table keeps a name, a sample and a count for (a spreadsheet's most). A CSV
/// header of a million names would otherwise hold hundreds of megabytes; values beyond these
/// columns are still scanned, located by column number, without a header's help.
pub(crate) const MAX_COLUMNS: usize = 16_384;

/// One row: its values concatenated, with each value's span (`None` for SQL `NULL`). Parsers
/// reuse one `Row`, so a row costs no allocation once the buffers have grown.
#[derive(Debug, Clone, Default)]
pub(crate) struct Row {
    text: Vec<u8>,
    fields: Vec<Option<Range<usize>>>,
    open: Option<usize>,
    /// The 1-based line the row starts on, where that means something to the user (CSV): the
    /// CI gate matches findings to added lines by it.
    pub line: Option<u64>,
}

impl Row {
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.fields.clear();
        self.open = None;
        self.line = None;
    }

    /// Starts a value; append its bytes with [`Row::push`], end it with [`Row::end`].
    pub(crate) fn begin(&mut self) {
        self.open = Some(self.text.len());
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.text.extend_from_slice(bytes);
    }

    #[cfg(test)]
    pub(crate) fn push_byte(&mut self, b: u8) {
        self.text.push(b);
    }

    /// Bytes of the value being built.
    pub(crate) fn open_len(&self) -> usize {
        self.open.map_or(0, |s| self.text.len() - s)
    }

    pub(crate) fn end(&mut self) {
        let start = self.open.take().unwrap_or(self.text.len());
        self.fields.push(Some(start..self.text.len()));
    }

    /// Drops the value being built (it turned out to be `NULL`, or a blob not worth scanning)
    /// and records a `NULL` in its place.
    pub(crate) fn end_null(&mut self) {
        if let Some(start) = self.open.take() {
            self.text.truncate(start);
        }
        self.fields.push(None);
    }

    /// Drops the value being built without recording a field.
    pub(crate) fn cancel(&mut self) {
        if let Some(start) = self.open.take() {
            self.text.truncate(start);
        }
    }

    /// The bytes of the value being built.
    pub(crate) fn open_value(&self) -> &[u8] {
        self.open.map_or(&[], |s| &self.text[s..])
    }

    pub(crate) fn push_field(&mut self, bytes: &[u8]) {
        self.begin();
        self.push(bytes);
        self.end();
    }

    /// Appends the fields of `text` that end at `ends`, each `gap` bytes after the one before
    /// (a delimiter, or none), in one copy: a CSV row's fields are a few bytes each, and a
    /// copy apiece was most of the cost of taking them. An empty field is a `NULL`.
    pub(crate) fn push_fields(&mut self, text: &[u8], ends: &[usize], gap: usize) {
        let base = self.text.len();
        self.text
            .extend_from_slice(&text[..ends.last().copied().unwrap_or(0)]);
        let mut start = 0;
        for &end in ends {
            self.fields
                .push((end > start).then_some(base + start..base + end));
            start = end + gap;
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.fields.len()
    }

    /// The value of field `i` (`None` for `NULL`).
    #[cfg(test)]
    pub(crate) fn get(&self, i: usize) -> Option<&[u8]> {
        self.values().get(i)
    }

    fn values(&self) -> Values<'_> {
        Values {
            text: &self.text,
            fields: &self.fields,
            line: self.line,
        }
    }

    /// The size of the row's values, as the sample counts it: its fields' bytes (not the
    /// delimiters [`Row::push_fields`] copies with them) and their spans.
    fn bytes(&self) -> usize {
        let values: usize = self.fields.iter().flatten().map(|r| r.len()).sum();
        values + self.fields.len() * 24
    }
}

/// A row's values where they are kept: in a [`Row`], or in the [`Buffered`] sample.
#[derive(Clone, Copy)]
struct Values<'r> {
    text: &'r [u8],
    /// Each value's span in `text`.
    fields: &'r [Option<Range<usize>>],
    line: Option<u64>,
}

impl<'r> Values<'r> {
    fn get(self, i: usize) -> Option<&'r [u8]> {
        self.fields.get(i)?.as_ref().map(|r| &self.text[r.clone()])
    }

    /// The values that are not `NULL`, with their columns (0-based), in column order.
    fn iter(self) -> impl Iterator<Item = (usize, &'r [u8])> {
        let text = self.text;
        self.fields
            .iter()
            .enumerate()
            .filter_map(move |(i, f)| Some((i, &text[f.clone()?])))
    }
}

/// What the sample keeps of its rows until its columns are measured, one row after another
/// in shared buffers: the values the scan will read and each row's dating value, their bytes
/// in `text`. Copying whole rows to go through every value again after the sample was 5 %
/// of a small CSV file's instructions, and nearly every value is one the scan never reads.
#[derive(Debug, Default)]
struct Buffered {
    text: Vec<u8>,
    /// Each value to read: its column (0-based) and its span in `text`.
    values: Vec<(usize, Range<usize>)>,
    rows: Vec<Kept>,
}

/// One row of the sample.
#[derive(Debug)]
struct Kept {
    /// Its number in the table, and its line where rows have lines.
    row: u64,
    line: Option<u64>,
    /// The span in `text` of the value that dates it.
    date: Option<Range<usize>>,
    /// The end of its values in `values`.
    values_end: usize,
}

/// Bytes of buffers a thread keeps for its next table's sample.
const SPARE_MAX: usize = 1 << 20;

thread_local! {
    /// The buffers of the thread's last sample, emptied: a small file's table samples all its
    /// rows, and growing three buffers from nothing for each file was a fifth of the cost of
    /// sampling them.
    static SPARE: RefCell<Buffered> = RefCell::default();
}

impl Buffered {
    /// Empty buffers, with the room the thread's last sample left.
    fn lent() -> Buffered {
        SPARE.take()
    }

    /// Keeps these buffers, emptied, for the thread's next sample, unless they hold more than
    /// [`SPARE_MAX`] bytes.
    fn give_back(mut self) {
        let held = self.text.capacity()
            + self.values.capacity() * std::mem::size_of::<(usize, Range<usize>)>()
            + self.rows.capacity() * std::mem::size_of::<Kept>();
        if held <= SPARE_MAX {
            self.text.clear();
            self.values.clear();
            self.rows.clear();
            SPARE.set(self);
        }
    }

    /// Copies `bytes` in; their span.
    fn copy(&mut self, bytes: &[u8]) -> Range<usize> {
        make_room(&mut self.text, bytes.len());
        let start = self.text.len();
        self.text.extend_from_slice(bytes);
        start..self.text.len()
    }

    /// Keeps value `v` of column `column` of the row being taken.
    fn value(&mut self, column: usize, v: &[u8]) {
        let span = self.copy(v);
        make_room(&mut self.values, 1);
        self.values.push((column, span));
    }

    /// Ends the row being taken: its values are those kept since the row before.
    fn end_row(&mut self, row: u64, line: Option<u64>, date: Option<&[u8]>) {
        let date = date.map(|d| self.copy(d));
        make_room(&mut self.rows, 1);
        self.rows.push(Kept {
            row,
            line,
            date,
            values_end: self.values.len(),
        });
    }

    /// Each row kept, with its values' columns and bytes.
    fn rows(&self) -> impl Iterator<Item = (&Kept, impl Iterator<Item = (usize, &[u8])>)> {
        let mut from = 0;
        self.rows.iter().map(move |k| {
            let values = self.values[from..k.values_end]
                .iter()
                .map(|(c, span)| (*c, &self.text[span.clone()]));
            from = k.values_end;
            (k, values)
        })
    }

    fn date(&self, k: &Kept) -> Option<&[u8]> {
        k.date.clone().map(|span| &self.text[span])
    }
}

/// Makes room for `extra` more items, growing by an eighth at a time once past 1 MiB: a sample
/// may hold [`SAMPLE_BYTES`], and doubling would count up to twice that against the memory
/// budget (copies of each row were allocated to size).
fn make_room<T>(v: &mut Vec<T>, extra: usize) {
    if v.capacity() - v.len() >= extra {
        return;
    }
    let large = v.capacity() * std::mem::size_of::<T>() >= 1 << 20;
    let grow = if large {
        v.capacity() / 8
    } else {
        v.capacity().max(64)
    };
    v.reserve_exact(extra.max(grow));
}

/// What the sample saw in one column.
#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    /// Values that are one whole number of 10 or 11 digits (separators allowed).
    numbers: u32,
    /// Of those, how many validate as an identity number (10 digits: with a leading zero).
    valid: u32,
}

impl Sample {
    fn add(&mut self, value: &[u8]) {
        // Too short for ten digits, begun by a byte the loop below stops at, or (up to 16
        // bytes, counted in a register) without ten or eleven digits: nearly every value, and
        // the test is on every value of a sample.
        let opens = |b: u8| matches!(b, b'0'..=b'9' | b'-' | b'.') || b.is_ascii_whitespace();
        if value.len() < 10
            || !opens(value[0])
            || (value.len() <= 16 && !matches!(short_digits(value), 10 | 11))
        {
            return;
        }
        let mut d = [0u8; 11];
        let mut n = 0;
        for &b in value.iter().skip_while(|b| b.is_ascii_whitespace()) {
            match b {
                b'0'..=b'9' if n < 11 => {
                    d[n] = b;
                    n += 1;
                }
                b'0'..=b'9' => return,
                b' ' | b'-' | b'.' => {}
                _ if b.is_ascii_whitespace() => {}
                _ => return,
            }
        }
        let digits = match n {
            11 => d,
            10 => {
                let mut z = [b'0'; 11];
                z[1..].copy_from_slice(&d[..10]);
                z
            }
            _ => return,
        };
        self.numbers += 1;
        if validate::identity_number(&digits).is_some() {
            self.valid += 1;
        }
    }

    /// What the sample says. An identity column validates nearly always (90 % leaves room for
    /// typos and placeholders); a column where fewer than half validate holds other numbers,
    /// and its valid ones are chance hits.
    fn verdict(self) -> ColumnValues {
        if self.numbers < MIN_NUMBERS {
            ColumnValues::Unknown
        } else if self.valid * 10 >= self.numbers * 9 {
            ColumnValues::IdentityNumbers
        } else if self.valid * 2 < self.numbers {
            ColumnValues::OtherNumbers
        } else {
            ColumnValues::Unknown
        }
    }
}

/// Whether the scan reads value `v`: the sink may find something in it, and (unless user
/// rules with patterns are loaded) it holds a digit or `@`. Most values with digits (dates,
/// amounts, house numbers) have too few to be anything: the sink says so before the value is
/// made text, and before the test for a digit, which its test implies. Asked of every value.
#[inline(always)]
fn wanted(v: &[u8], scan_all: bool, sink: &dyn Sink) -> bool {
    sink.may_match(v) && (scan_all || v.iter().any(|&b| b.is_ascii_digit() || b == b'@'))
}

struct ColumnState {
    /// `{table, column}`; the row is set per value.
    loc: Location,
    header: Header,
    sample: Sample,
    values: u64,
}

impl ColumnState {
    /// The column's name (or number), as its values are located.
    fn name(&self) -> &Column {
        self.loc
            .column
            .as_ref()
            .expect("a column's location names it")
    }

    /// Scans one value of this column, in row `row` (on `line`, where rows have lines): one
    /// the scan reads ([`wanted`]).
    fn value(&mut self, v: &[u8], row: u64, line: Option<u64>, sink: &mut dyn Sink) {
        // Valid first (the usual case, and the faster test), lossy only if not.
        let text = match std::str::from_utf8(v) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(v),
        };
        self.loc.row = Some(row);
        self.loc.line = line;
        let ctx = ChunkContext {
            header: Some(self.header),
            ..ChunkContext::default()
        };
        sink.chunk(&Chunk::whole(&text, &self.loc, Position::Fixed, ctx));
    }

    fn new(table: &Option<String>, name: Column, header: Header) -> ColumnState {
        let loc = Location {
            table: table.clone(),
            column: Some(name),
            ..Location::default()
        };
        ColumnState {
            loc,
            header,
            sample: Sample::default(),
            values: 0,
        }
    }
}

/// Headers of more names than this are measured afresh each time rather than remembered.
const MEASURED_MAX: usize = 256;

thread_local! {
    /// The last header this thread measured. A tree of exports from one system repeats one
    /// header thousands of times, and measuring it (every name lowered and matched against the
    /// context classes, the dating column looked for) was 3 % of a small CSV file's cost.
    static MEASURED: RefCell<Option<Measured>> = const { RefCell::new(None) };
}

/// What a header's names say, under one detector's classes ([`Detector::id`]).
struct Measured {
    detector: u64,
    names: Vec<String>,
    headers: Vec<Header>,
    date_column: Option<(usize, Rank)>,
}

impl Measured {
    /// The [`Header`] of each of `names`, and the column that dates a row, remembered from the
    /// thread's last table when it had the same names under the same detector.
    fn headers(det: &Detector, names: &[String]) -> (Vec<Header>, Option<(usize, Rank)>) {
        let known = MEASURED.with_borrow(|m| {
            m.as_ref()
                .filter(|m| m.detector == det.id() && m.names == names)
                .map(|m| (m.headers.clone(), m.date_column))
        });
        if let Some(known) = known {
            return known;
        }
        let headers: Vec<Header> = names.iter().map(|n| det.header(n)).collect();
        let date_column = Table::dated_by(names, &[]);
        if names.len() <= MEASURED_MAX {
            MEASURED.set(Some(Measured {
                detector: det.id(),
                names: names.to_vec(),
                headers: headers.clone(),
                date_column,
            }));
        }
        (headers, date_column)
    }
}

/// One table being read: rows in, value chunks out.
pub(crate) struct Table<'a> {
    det: &'a Detector,
    name: Option<String>,
    columns: Vec<ColumnState>,
    /// Every column beyond [`MAX_COLUMNS`]: its location's column is set per value.
    beyond: ColumnState,
    sample: Buffered,
    sample_bytes: usize,
    sampling: bool,
    /// Rows taken so far (1-based numbers continue from `first_row`).
    row: u64,
    /// The column that dates each row, and how surely.
    date_column: Option<(usize, Rank)>,
}

impl<'a> Table<'a> {
    /// A table called `name` (`None` for a CSV file) with the given column names (more
    /// columns than names are numbered by position); rows are numbered from `first_row`.
    pub(crate) fn new(
        det: &'a Detector,
        name: Option<String>,
        mut columns: Vec<String>,
        first_row: u64,
    ) -> Table<'a> {
        let beyond = ColumnState::new(&name, Column::Number(0), Header::default());
        let mut t = Table {
            det,
            name,
            columns: Vec::new(),
            beyond,
            sample: Buffered::lent(),
            sample_bytes: 0,
            sampling: true,
            row: first_row.saturating_sub(1),
            date_column: None,
        };
        columns.truncate(MAX_COLUMNS);
        let (headers, date_column) = Measured::headers(det, &columns);
        for (c, header) in columns.into_iter().zip(headers) {
            t.push_column(Column::Name(c), header);
        }
        t.date_column = date_column;
        t
    }

    /// Which columns are declared as dates (`DATE`, `TIMESTAMP`), for the rows' dates when no
    /// column's name dates them.
    pub(crate) fn with_date_types(mut self, typed: &[bool]) -> Table<'a> {
        let names: Vec<String> = self
            .columns
            .iter()
            .map(|c| match c.name() {
                Column::Name(n) => n.clone(),
                Column::Number(_) => String::new(),
            })
            .collect();
        self.date_column = Self::dated_by(&names, typed);
        self
    }

    fn dated_by(names: &[String], typed: &[bool]) -> Option<(usize, Rank)> {
        let i = dates::date_column(names, typed)?;
        let rank = match names.get(i).map(|n| dates::column_kind(n)) {
            Some(ColumnKind::Record) => Rank::Named,
            _ => Rank::Typed,
        };
        Some((i, rank))
    }

    /// The number of the last row taken.
    pub(crate) fn rows(&self) -> u64 {
        self.row
    }

    fn push_column(&mut self, name: Column, header: Header) {
        self.columns
            .push(ColumnState::new(&self.name, name, header));
    }

    /// Takes one row (its values in column order).
    pub(crate) fn row(&mut self, row: &Row, sink: &mut dyn Sink) {
        while self.columns.len() < row.len().min(MAX_COLUMNS) {
            let number = Column::Number(self.columns.len() as u64 + 1);
            self.push_column(number, Header::default());
        }
        self.row += 1;
        if !self.sampling {
            self.emit(row.values(), sink);
            return;
        }
        let scan_all = self.det.has_patterns();
        let values = row.values();
        for (i, v) in values.iter() {
            if let Some(c) = self.columns.get_mut(i) {
                c.sample.add(v);
                c.values += 1;
            }
            if wanted(v, scan_all, sink) {
                self.sample.value(i, v);
            }
        }
        let date = self.date_column.and_then(|(i, _)| values.get(i));
        self.sample.end_row(self.row, row.line, date);
        self.sample_bytes += row.bytes();
        if self.sample.rows.len() >= SAMPLE_ROWS || self.sample_bytes >= SAMPLE_BYTES {
            self.end_sample(sink);
        }
    }

    /// Measures the columns and scores what the sample kept, row by row, as [`Table::emit`]
    /// scores a row taken after it.
    fn end_sample(&mut self, sink: &mut dyn Sink) {
        self.sampling = false;
        for c in &mut self.columns {
            c.header.values = c.sample.verdict();
            if c.header.values == ColumnValues::IdentityNumbers {
                // Integer columns lose the leading zero of fødselsnummer born on days 1-9.
                c.header.identity = true;
            }
        }
        let sample = std::mem::take(&mut self.sample);
        for (kept, values) in sample.rows() {
            self.date(sample.date(kept), sink);
            for (i, v) in values {
                self.column(i).value(v, kept.row, kept.line, sink);
            }
            sink.record_end();
        }
        sample.give_back();
        self.sample_bytes = 0;
    }

    /// Scores a row taken after the sample.
    fn emit(&mut self, row: Values<'_>, sink: &mut dyn Sink) {
        self.date(self.date_column.and_then(|(i, _)| row.get(i)), sink);
        let (scan_all, n) = (self.det.has_patterns(), self.row);
        for (i, v) in row.iter() {
            if let Some(c) = self.columns.get_mut(i) {
                c.values += 1;
            }
            if wanted(v, scan_all, sink) {
                self.column(i).value(v, n, row.line, sink);
            }
        }
        sink.record_end();
    }

    /// Tells the sink the date of the row being scored, given its dating value.
    fn date(&self, value: Option<&[u8]>, sink: &mut dyn Sink) {
        if let (Some(v), Some((_, rank))) = (value, self.date_column) {
            sink.record_date(When::Text(v), rank);
        }
    }

    /// The state of column `i` (0-based): beyond [`MAX_COLUMNS`], the one they share, located
    /// by the column's number.
    fn column(&mut self, i: usize) -> &mut ColumnState {
        if i < self.columns.len() {
            return &mut self.columns[i];
        }
        let c = &mut self.beyond;
        c.loc.column = Some(Column::Number(i as u64 + 1));
        c
    }

    /// Ends the table: scores what the sample still holds and reports each column's value
    /// count.
    pub(crate) fn finish(mut self, sink: &mut dyn Sink) {
        if self.sampling {
            self.end_sample(sink);
        }
        for c in std::mem::take(&mut self.columns) {
            let ColumnState { loc, values, .. } = c;
            let name = loc.column.expect("a column's location names it");
            sink.column_values(self.name.as_deref(), name, values);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row split from a line in one copy holds the same values, and counts the same bytes
    /// towards the sample, as one built value by value.
    #[test]
    fn fields_copied_at_once_are_the_values_pushed_one_by_one() {
        let line = b"13097248022;;Kari;;";
        let mut at_once = Row::default();
        at_once.push_fields(line, &[11, 12, 17, 18, 19], 1);
        let mut one_by_one = Row::default();
        for field in line.split(|&b| b == b';') {
            if field.is_empty() {
                one_by_one.begin();
                one_by_one.end_null();
            } else {
                one_by_one.push_field(field);
            }
        }
        assert_eq!(at_once.len(), 5);
        for i in 0..5 {
            assert_eq!(at_once.get(i), one_by_one.get(i), "field {i}");
        }
        assert_eq!(at_once.bytes(), one_by_one.bytes());
    }

    #[test]
    fn samples_tell_identity_columns_from_id_columns() {
        let mut s = Sample::default();
        for _ in 0..30 {
            s.add(b"13097248022");
        }
        assert_eq!(s.verdict(), ColumnValues::IdentityNumbers);
        let mut ids = Sample::default();
        for i in 0..300u64 {
            ids.add(format!("{}", 40_000_000_000u64 + i * 7919).as_bytes());
        }
        ids.add(b"13097248022");
        assert_eq!(ids.verdict(), ColumnValues::OtherNumbers);
        let mut few = Sample::default();
        few.add(b"13097248022");
        assert_eq!(
            few.verdict(),
            ColumnValues::Unknown,
            "too few values to tell"
        );
        let mut text = Sample::default();
        for _ in 0..30 {
            text.add(b"ring 13097248022");
        }
        assert_eq!(text.numbers, 0, "only whole numbers count");
    }

    /// The sample's early refusals (first byte, digits counted in a register) count what its
    /// loop alone counts: random values of separators, digits and letters, some of them valid
    /// numbers written with separators, up to past 16 bytes.
    #[test]
    fn a_samples_quick_refusals_count_what_its_loop_counts() {
        fn by_the_loop(s: &mut Sample, value: &[u8]) {
            let mut d = Vec::new();
            for &b in value.iter().skip_while(|b| b.is_ascii_whitespace()) {
                match b {
                    b'0'..=b'9' => d.push(b),
                    b' ' | b'-' | b'.' => {}
                    _ if b.is_ascii_whitespace() => {}
                    _ => return,
                }
            }
            if d.len() == 10 {
                d.insert(0, b'0');
            }
            if d.len() == 11 {
                s.numbers += 1;
                s.valid += u32::from(validate::identity_number(&d).is_some());
            }
        }
        let mut rng = crate::synth::Rng::new(34);
        let (mut quick, mut slow) = (Sample::default(), Sample::default());
        let pieces: [&[u8]; 12] = [
            b"0", b"4", b"9", b" ", b"-", b".", b"\t", b"x", b"/", b"130972", b"48022", b"2003691",
        ];
        for _ in 0..50_000 {
            let mut v = Vec::new();
            for _ in 0..rng.below(9) {
                v.extend_from_slice(pieces[rng.below(pieces.len() as u64) as usize]);
            }
            quick.add(&v);
            by_the_loop(&mut slow, &v);
            assert_eq!(
                (quick.numbers, quick.valid),
                (slow.numbers, slow.valid),
                "{:?}",
                String::from_utf8_lossy(&v)
            );
        }
        assert!(quick.valid > 10 && quick.numbers > quick.valid, "{quick:?}");
    }

    /// Detects in each value chunk, keeping `(column, value, confidence)` of each candidate.
    struct Detect<'a>(
        &'a Detector,
        Vec<(String, String, crate::detect::Confidence)>,
    );

    impl Sink for Detect<'_> {
        fn chunk(&mut self, c: &Chunk<'_>) {
            let mut out = Vec::new();
            self.0.scan(c.text, &c.context, &mut out);
            let col = match &c.base.column {
                Some(Column::Name(n)) => n.clone(),
                Some(Column::Number(n)) => format!("#{n}"),
                None => String::new(),
            };
            for cand in out {
                self.1
                    .push((col.clone(), cand.value.into(), cand.confidence));
            }
        }
        crate::extract::testing::no_members!();
    }

    /// Runs `values` through one column called `name`.
    fn column(name: &str, values: &[String]) -> Vec<(String, String, crate::detect::Confidence)> {
        let det = Detector::builtin();
        let mut sink = Detect(&det, Vec::new());
        let mut t = Table::new(&det, Some("t".into()), vec![name.to_string()], 1);
        let mut row = Row::default();
        for v in values {
            row.clear();
            row.push_field(v.as_bytes());
            t.row(&row, &mut sink);
        }
        t.finish(&mut sink);
        sink.1
    }

    /// A header the thread measured for the table before is the header measured afresh, and
    /// only under the detector that measured it: another's classes give other headers.
    #[test]
    fn a_remembered_header_is_the_one_measured_afresh_under_its_own_detector() {
        use crate::detect::rules::RuleSet;
        let names: Vec<String> = ["kundenr", "fnr", "dato", "navn"]
            .map(String::from)
            .to_vec();
        let extra = "[classes.customer]\nwords = [\"kundenr\"]\n";
        let builtin = Detector::builtin();
        let more = Detector::new(RuleSet::with_extra(&[("mine/c.toml", extra)]).unwrap());
        let seen = |det: &Detector| {
            let t = Table::new(det, None, names.clone(), 1);
            let headers: Vec<Header> = t.columns.iter().map(|c| c.header).collect();
            (headers, t.date_column)
        };
        for det in [&builtin, &more, &builtin, &builtin, &more] {
            let fresh: Vec<Header> = names.iter().map(|n| det.header(n)).collect();
            let (headers, date_column) = seen(det);
            assert_eq!(headers, fresh);
            assert_eq!(date_column, Table::dated_by(&names, &[]));
            assert!(date_column.is_some(), "`dato` dates the rows");
        }
        assert_ne!(
            seen(&builtin).0[0],
            seen(&more).0[0],
            "`kundenr` is in a class only under the extra rules"
        );
    }

    /// A header of more than [`MAX_COLUMNS`] names keeps state for that many columns; the
    /// values beyond them are still scanned, located by their column's number.
    #[test]
    fn columns_beyond_the_most_are_scanned_by_number() {
        let det = Detector::builtin();
        let mut sink = Detect(&det, Vec::new());
        let names: Vec<String> = (0..MAX_COLUMNS + 2).map(|i| format!("c{i}")).collect();
        let mut t = Table::new(&det, None, names, 1);
        assert_eq!(t.columns.len(), MAX_COLUMNS);
        let mut row = Row::default();
        for i in 0..MAX_COLUMNS + 3 {
            let v = if i == MAX_COLUMNS + 1 {
                "fnr 13097248022"
            } else {
                "x"
            };
            row.push_field(v.as_bytes());
        }
        t.row(&row, &mut sink);
        assert_eq!(
            t.columns.len(),
            MAX_COLUMNS,
            "no state for a row's extra columns"
        );
        t.finish(&mut sink);
        let found: Vec<_> = sink
            .1
            .iter()
            .map(|f| (f.0.as_str(), f.1.as_str()))
            .collect();
        assert_eq!(
            found,
            [(format!("#{}", MAX_COLUMNS + 2).as_str(), "13097248022")]
        );
    }

    #[test]
    fn a_column_of_valid_numbers_is_an_identity_column_whatever_its_name() {
        use crate::detect::Confidence;
        let valid: Vec<String> = ["13097248022", "20036914700", "29020073150", "15021951940"]
            .iter()
            .cycle()
            .take(40)
            .map(|s| s.to_string())
            .collect();
        let found = column("verdi", &valid);
        assert_eq!(found.len(), 40);
        assert!(found.iter().all(|f| f.2 == Confidence::High), "{found:?}");
        // Without the statistics, a bare number under a neutral name is only medium.
        let few = column("verdi", &valid[..3]);
        assert!(few.iter().all(|f| f.2 == Confidence::Medium), "{few:?}");
    }

    #[test]
    fn chance_hits_in_a_column_of_ids_are_not_high() {
        use crate::detect::Confidence;
        // 11-digit ids that fail the checksums, and one that validates by chance.
        let mut ids: Vec<String> = (0..400u64)
            .map(|i| (10_000_000_000 + i * 102_947).to_string())
            .filter(|s| validate::identity_number(s.as_bytes()).is_none())
            .take(99)
            .collect();
        ids.insert(50, "15021951940".into());
        let hit = |name: &str, ids: &[String]| {
            let found = column(name, ids);
            assert!(
                found
                    .iter()
                    .all(|f| f.2 < Confidence::Medium || f.1 == "15021951940"),
                "{found:?}"
            );
            found
                .into_iter()
                .find(|f| f.1 == "15021951940")
                .expect("the chance hit")
                .2
        };
        assert!(
            hit("fnr", &ids) < Confidence::High,
            "not high even under a column called fnr"
        );
        assert_eq!(
            hit("id", &ids),
            Confidence::Low,
            "a bare id column reports nothing by default"
        );
        // The same hit with too few ids around to measure the column: medium, as before.
        assert_eq!(hit("id", &ids[45..55]), Confidence::Medium);
    }

    /// What a sink hears from a table, in order.
    #[derive(Debug, Clone, PartialEq)]
    enum Heard {
        Value {
            column: String,
            row: Option<u64>,
            line: Option<u64>,
            text: String,
        },
        Date(String),
        End,
        Count(String, u64),
    }

    /// A sink that may match values holding a `7`, and writes down what it hears.
    #[derive(Default)]
    struct Ear(Vec<Heard>);

    impl Sink for Ear {
        fn may_match(&self, value: &[u8]) -> bool {
            value.contains(&b'7')
        }
        fn chunk(&mut self, c: &Chunk<'_>) {
            self.0.push(Heard::Value {
                column: format!("{:?}", c.base.column),
                row: c.base.row,
                line: c.base.line,
                text: c.text.to_string(),
            });
        }
        crate::extract::testing::no_members!();
        fn record_date(&mut self, when: When<'_>, _: Rank) {
            match when {
                When::Text(t) => self.0.push(Heard::Date(String::from_utf8_lossy(t).into())),
                other => panic!("{other:?}"),
            }
        }
        fn record_end(&mut self) {
            self.0.push(Heard::End);
        }
        fn column_values(&mut self, _: Option<&str>, column: Column, values: u64) {
            self.0.push(Heard::Count(format!("{column:?}"), values));
        }
    }

    /// Rows in the sample and rows after it are heard alike, in the order they came: each
    /// row's date, then its values the sink may match (column by column, with their row and
    /// line), then its end; and at the end each column's count of values. Rows of every
    /// width, with `NULL`s, values without digits and long values, over more rows than a
    /// sample holds.
    #[test]
    fn a_table_is_heard_row_by_row_whether_its_rows_were_sampled_or_not() {
        let det = Detector::builtin();
        let names = ["dato", "id", "navn"].map(String::from).to_vec();
        let mut rng = crate::synth::Rng::new(39);
        let rows: Vec<Vec<Option<String>>> = (0..SAMPLE_ROWS as u64 * 2 + 17)
            .map(|_| {
                (0..rng.below(6))
                    .map(|_| match rng.below(5) {
                        0 => None,
                        1 => Some("navn uten tall".to_string()),
                        2 => Some("7".repeat(1 + rng.below(40) as usize)),
                        _ => Some(rng.below(100_000).to_string()),
                    })
                    .collect()
            })
            .collect();
        let mut ear = Ear::default();
        let mut t = Table::new(&det, Some("t".into()), names.clone(), 5);
        let mut row = Row::default();
        for (k, values) in rows.iter().enumerate() {
            row.clear();
            row.line = (k % 3 != 0).then_some(k as u64 + 100);
            for v in values {
                match v {
                    Some(v) => row.push_field(v.as_bytes()),
                    None => {
                        row.begin();
                        row.end_null();
                    }
                }
            }
            t.row(&row, &mut ear);
        }
        assert_eq!(t.rows(), 4 + rows.len() as u64, "rows are counted as taken");
        t.finish(&mut ear);
        let column = |i: usize| {
            let c = match names.get(i) {
                Some(n) => Column::Name(n.clone()),
                None => Column::Number(i as u64 + 1),
            };
            format!("{c:?}")
        };
        let mut want = Vec::new();
        let mut counts = vec![0u64; names.len().max(5)];
        for (k, values) in rows.iter().enumerate() {
            if let Some(Some(d)) = values.first() {
                want.push(Heard::Date(d.clone()));
            }
            for (i, v) in values.iter().enumerate() {
                let Some(v) = v else { continue };
                counts[i] += 1;
                if v.contains('7') {
                    want.push(Heard::Value {
                        column: format!("Some({})", column(i)),
                        row: Some(5 + k as u64),
                        line: (k % 3 != 0).then_some(k as u64 + 100),
                        text: v.clone(),
                    });
                }
            }
            want.push(Heard::End);
        }
        let widest = rows
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0)
            .max(names.len());
        for (i, &n) in counts.iter().enumerate().take(widest) {
            want.push(Heard::Count(column(i), n));
        }
        assert_eq!(ear.0.len(), want.len());
        for (k, (heard, want)) in ear.0.iter().zip(&want).enumerate() {
            assert_eq!(heard, want, "event {k}");
        }
    }

    /// A sample's buffers go to the thread's next table empty, with their room; buffers
    /// grown past [`SPARE_MAX`] are not kept.
    #[test]
    fn a_samples_buffers_are_lent_empty_to_the_next_table() {
        let mut b = Buffered::lent();
        for row in 0..100 {
            b.value(1, b"13097248022");
            b.end_row(row, None, Some(b"2024-01-02"));
        }
        assert_eq!(b.rows().count(), 100);
        let room = b.text.capacity();
        b.give_back();
        let again = Buffered::lent();
        assert_eq!(again.rows().count(), 0);
        assert!(again.text.is_empty() && again.values.is_empty());
        assert_eq!(again.text.capacity(), room);
        let mut big = again;
        big.text.reserve(SPARE_MAX + 1);
        big.give_back();
        assert_eq!(Buffered::lent().text.capacity(), 0, "too large to keep");
    }

    #[test]
    fn rows_keep_nulls_and_values_apart() {
        let mut r = Row::default();
        r.push_field(b"a");
        r.begin();
        r.push(b"xyz");
        r.end_null();
        r.begin();
        r.push_byte(b'b');
        r.push(b"c");
        r.end();
        assert_eq!(
            (r.get(0), r.get(1), r.get(2), r.len()),
            (Some(&b"a"[..]), None, Some(&b"bc"[..]), 3)
        );
    }
}
