//! SQLite database files, read through SQLite itself (bundled): table by table, each value on
//! its own under its column's name, located `{table, column, row}`.
//!
//! Reading the pages as raw bytes would glue neighbouring fields together (an address followed
//! by the first letter of the next field becomes a different address) and miss integers, which
//! SQLite stores in binary. SQLite reads the input through [`vfs`], a VFS over kartlegg's own
//! reader: never by path, never through a copy on disk (see there).
//!
//! A hostile database must not stop the scan or lose the rest of the file:
//! * names (tables, columns) are bytes, not necessarily UTF-8; they are shown with invalid
//!   bytes escaped ([`crate::extract::lossless`]) and quoted as bytes in the queries;
//! * a table that cannot be read (damaged pages, a module that is not built in) makes the
//!   file `partial`/`tables_unreadable` and the other tables are still read, as are the rows
//!   of a damaged table before the damage;
//! * values over [`MAX_VALUE`] are never loaded whole: the query only reports their length,
//!   and their first [`MAX_VALUE`] bytes are read through the blob API (`partial`/
//!   `value_too_long`, as for dumps);
//! * SQLite's memory is capped ([`vfs::HEAP_LIMIT`]); a database that needs more gets
//!   `limit_exceeded`/`memory`, with what was read before it.

mod vfs;

use std::ffi::CString;
use std::fmt::Write as _;

use self::vfs::{Db, Failure, Stmt, Value};
use super::sql::MAX_VALUE;
use super::table::{Row, Table};
use super::{lossless, Clock, ExtractError, Extracted, Input, Limit, LimitHit, Sink, Status};
use crate::detect::Detector;

/// Rows between two checks of the time limit.
const TIME_EVERY: u64 = 4096;
/// Widest table read with per-value length checks (each column takes two result columns, and
/// SQLite allows 2000); wider tables are read with `SELECT *`, where the connection's length
/// limit stops a table with a value over it.
const GATED_COLUMNS: usize = 998;

pub(crate) fn extract(
    input: &mut Input<'_>,
    sink: &mut dyn Sink,
) -> Result<Extracted, ExtractError> {
    let (det, clock) = (input.det, input.clock);
    let size = input.size;
    let db = Db::open(input.seekable()?, clock).map_err(|f| fatal(f, "open"))?;
    let tables = list_tables(&db).map_err(|f| fatal(f, "read the schema of"))?;
    let mut tally = Tally::default();
    let mut reader = TableReader {
        db: &db,
        row: Row::default(),
        prefix: Vec::new(),
        number: String::new(),
    };
    for name in &tables {
        match reader.read(name, det, clock, sink, &mut tally) {
            Ok(()) => {}
            Err(Failure::Time) => return Err(time_limit(clock)),
            Err(Failure::Io(e)) => return Err(e.into()),
            Err(Failure::Memory) => tally.memory += 1,
            Err(Failure::Sqlite(_)) => tally.failed += 1,
        }
    }
    tally.truncated_file = db.truncated();
    Ok(tally.note(Extracted::new("sqlite", size.unwrap_or(0)), tables.len()))
}

/// An error that stops the whole database.
fn fatal(f: Failure, what: &str) -> ExtractError {
    match f {
        Failure::Io(e) => e.into(),
        Failure::Time => ExtractError::limit(Limit::Time, "over the time budget inside SQLite"),
        Failure::Memory => memory_limit(),
        Failure::Sqlite(rc) => ExtractError::Corrupt(format!(
            "SQLite could not {what} this database: {}",
            Db::describe(rc)
        )),
    }
}

fn memory_limit() -> ExtractError {
    ExtractError::Limit(memory_hit("the database"))
}

fn memory_hit(what: &str) -> LimitHit {
    LimitHit::new(
        Limit::Memory,
        format!(
            "{what} needed more than SQLite's {} MiB heap limit (shared by the databases read at once)",
            vfs::HEAP_LIMIT >> 20
        ),
    )
}

fn time_limit(clock: Clock) -> ExtractError {
    match clock.check() {
        Err(hit) => hit.into(),
        Ok(()) => ExtractError::limit(Limit::Time, "over the time budget inside SQLite"),
    }
}

/// The names of the tables, as stored (bytes).
fn list_tables(db: &Db<'_>) -> Result<Vec<Vec<u8>>, Failure> {
    let mut stmt = db.prepare(
        b"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
    )?;
    let mut names = Vec::new();
    while stmt.step().map_err(|rc| db.failure(rc))? {
        if let Value::Text(t) | Value::Blob(t) = stmt.value(0) {
            names.push(t.to_vec());
        }
    }
    Ok(names)
}

/// What went less than perfectly over the whole database.
#[derive(Default)]
struct Tally {
    /// Tables that could not be read (completely).
    failed: usize,
    /// Tables stopped by the memory limits.
    memory: usize,
    /// Values over [`MAX_VALUE`] scanned by their prefix.
    truncated: u64,
    /// Values over [`MAX_VALUE`] that could not be read at all (no rowid to reach them by).
    unread: u64,
    /// The file ends before the pages SQLite asked for.
    truncated_file: bool,
}

impl Tally {
    fn note(self, e: Extracted, tables: usize) -> Extracted {
        let mut parts = Vec::new();
        if self.memory > 0 {
            parts.push(memory_hit(&format!("{} of {tables} tables", self.memory)).detail);
        }
        if self.failed > 0 {
            parts.push(format!(
                "{} of {tables} tables could not be read completely (damaged, or a virtual table whose module is not built in)",
                self.failed
            ));
        }
        if self.unread > 0 {
            parts.push(format!(
                "{} values over {} MiB could not be read",
                self.unread,
                MAX_VALUE >> 20
            ));
        }
        if self.truncated > 0 {
            parts.push(format!(
                "{} values over {} MiB were scanned in their first {} MiB only",
                self.truncated,
                MAX_VALUE >> 20,
                MAX_VALUE >> 20
            ));
        }
        if self.truncated_file {
            parts.insert(
                0,
                "the file ends before the database does (truncated): the missing pages read as empty".into(),
            );
        }
        let detail = parts.join("; ");
        if self.memory > 0 {
            e.with_note(Status::LimitExceeded, Limit::Memory.reason(), detail)
        } else if self.truncated_file {
            e.with_note(Status::Partial, "truncated", detail)
        } else if self.failed > 0 {
            e.with_note(Status::Partial, "tables_unreadable", detail)
        } else if self.unread + self.truncated > 0 {
            e.with_note(Status::Partial, "value_too_long", detail)
        } else {
            e
        }
    }
}

/// How a table's query lays out its result columns.
struct Query {
    /// Column 0 is the rowid (else `NULL`: a table without one).
    rowid: bool,
    /// Each table column takes two result columns: the value (`NULL` when over
    /// [`MAX_VALUE`]) and whether it is over; else one, the value.
    gated: bool,
    /// The table's column names, as stored.
    columns: Vec<Vec<u8>>,
}

/// Reads tables, reusing its buffers.
struct TableReader<'d, 'r> {
    db: &'d Db<'r>,
    row: Row,
    prefix: Vec<u8>,
    number: String,
}

impl TableReader<'_, '_> {
    /// Reads table `name` into the sink; the rows read before an error are kept.
    fn read(
        &mut self,
        name: &[u8],
        det: &Detector,
        clock: Clock,
        sink: &mut dyn Sink,
        tally: &mut Tally,
    ) -> Result<(), Failure> {
        let (mut stmt, query) = prepare(self.db, name)?;
        let names: Vec<String> = query.columns.iter().map(|c| lossless(c)).collect();
        let mut table = Table::new(det, Some(lossless(name)), names, 1);
        let result = self.rows(&mut stmt, &query, name, &mut table, clock, sink, tally);
        // The rows sampled so far are scored and reported even when the table failed.
        table.finish(sink);
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn rows(
        &mut self,
        stmt: &mut Stmt<'_>,
        query: &Query,
        name: &[u8],
        table: &mut Table<'_>,
        clock: Clock,
        sink: &mut dyn Sink,
        tally: &mut Tally,
    ) -> Result<(), Failure> {
        let db = self.db;
        let c_table = CString::new(name).ok();
        let c_columns: Vec<Option<CString>> = query
            .columns
            .iter()
            .map(|c| CString::new(c.as_slice()).ok())
            .collect();
        let mut n = 0u64;
        while stmt.step().map_err(|rc| db.failure(rc))? {
            n += 1;
            if n % TIME_EVERY == 0 && clock.check().is_err() {
                return Err(Failure::Time);
            }
            self.row.clear();
            let rowid = match stmt.value(0) {
                Value::Integer(id) if query.rowid => Some(id),
                _ => None,
            };
            for (i, c_column) in c_columns.iter().enumerate() {
                let (value, over) = if query.gated {
                    let over = matches!(stmt.value(2 + 2 * i), Value::Integer(1));
                    (stmt.value(1 + 2 * i), over)
                } else {
                    (stmt.value(1 + i), false)
                };
                if over {
                    let at = c_table.as_deref().zip(c_column.as_deref()).zip(rowid);
                    self.long_value(at, tally)?;
                } else {
                    push_value(&mut self.row, &mut self.number, value);
                }
            }
            table.row(&self.row, sink);
        }
        Ok(())
    }

    /// A value over [`MAX_VALUE`]: its prefix, read through the blob API, if it is text.
    fn long_value(
        &mut self,
        at: Option<((&std::ffi::CStr, &std::ffi::CStr), i64)>,
        tally: &mut Tally,
    ) -> Result<(), Failure> {
        let read = match at {
            Some(((t, c), rowid)) => {
                match self
                    .db
                    .read_prefix(t, c, rowid, MAX_VALUE, &mut self.prefix)
                {
                    Ok(_) => true,
                    Err(f @ (Failure::Time | Failure::Io(_))) => return Err(f),
                    Err(_) => false,
                }
            }
            None => false,
        };
        if !read {
            tally.unread += 1;
            self.row.begin();
            self.row.end_null();
            return Ok(());
        }
        // Text, or a blob that is UTF-8 up to where it was cut.
        match std::str::from_utf8(&self.prefix) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() => self.prefix.truncate(e.valid_up_to()),
            Err(_) => {
                self.row.begin();
                self.row.end_null();
                return Ok(());
            }
        }
        tally.truncated += 1;
        self.row.push_field(&self.prefix);
        Ok(())
    }
}

/// Compiles the query of table `name`: with the rowid and per-value length checks where the
/// table allows them.
fn prepare<'d>(db: &'d Db<'_>, name: &[u8]) -> Result<(Stmt<'d>, Query), Failure> {
    let from = [b" FROM ".as_slice(), &quote(name)].concat();
    let columns: Vec<Vec<u8>> = {
        let stmt = db.prepare(&[b"SELECT *".as_slice(), &from].concat())?;
        (0..stmt.column_count())
            .map(|i| match stmt.column_name(i) {
                Some(n) => n.to_vec(),
                None => format!("column {}", i + 1).into_bytes(),
            })
            .collect()
    };
    let gated = columns.len() <= GATED_COLUMNS;
    let rowid = rowid_alias(&columns);
    let mut list = Vec::new();
    if gated {
        for c in &columns {
            let c = quote(c);
            let len = [b"octet_length(".as_slice(), &c, b")"].concat();
            list.extend_from_slice(b", CASE WHEN ");
            list.extend_from_slice(&len);
            list.extend_from_slice(format!(" > {MAX_VALUE} THEN NULL ELSE ").as_bytes());
            list.extend_from_slice(&c);
            list.extend_from_slice(b" END, ");
            list.extend_from_slice(&len);
            list.extend_from_slice(format!(" > {MAX_VALUE}").as_bytes());
        }
    } else {
        list.extend_from_slice(b", *");
    }
    let sql = |first: &[u8]| [b"SELECT ".as_slice(), first, &list, &from].concat();
    // A table without a rowid (WITHOUT ROWID, some virtual tables) refuses the alias.
    if let Some(alias) = rowid {
        if let Ok(stmt) = db.prepare(&sql(alias)) {
            return Ok((
                stmt,
                Query {
                    rowid: true,
                    gated,
                    columns,
                },
            ));
        }
    }
    let stmt = db.prepare(&sql(b"NULL"))?;
    Ok((
        stmt,
        Query {
            rowid: false,
            gated,
            columns,
        },
    ))
}

/// A name for the rowid that no column of the table shadows.
fn rowid_alias(columns: &[Vec<u8>]) -> Option<&'static [u8]> {
    [b"rowid".as_slice(), b"_rowid_", b"oid"]
        .into_iter()
        .find(|a| !columns.iter().any(|c| c.eq_ignore_ascii_case(a)))
}

/// `"name"`, with quotes doubled.
fn quote(name: &[u8]) -> Vec<u8> {
    let mut q = Vec::with_capacity(name.len() + 2);
    q.push(b'"');
    for &b in name {
        if b == b'"' {
            q.push(b'"');
        }
        q.push(b);
    }
    q.push(b'"');
    q
}

/// Adds one value to the row as the table reader wants it: numbers as written, text and UTF-8
/// blobs as they are, anything else as `NULL`.
fn push_value(row: &mut Row, number: &mut String, value: Value<'_>) {
    match value {
        Value::Null => {
            row.begin();
            row.end_null();
        }
        Value::Integer(v) => {
            number.clear();
            let _ = write!(number, "{v}");
            row.push_field(number.as_bytes());
        }
        Value::Real(v) => {
            number.clear();
            // A whole number stored as REAL is written as an integer.
            if v.fract() == 0.0 && v.abs() < 1e15 {
                let _ = write!(number, "{}", v as i64);
            } else {
                let _ = write!(number, "{v}");
            }
            row.push_field(number.as_bytes());
        }
        Value::Text(t) => row.push_field(t),
        // A blob is text only if it is valid UTF-8; anything else is not read.
        Value::Blob(b) if std::str::from_utf8(b).is_ok() => row.push_field(b),
        Value::Blob(_) => {
            row.begin();
            row.end_null();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Detector;
    use crate::report::mask::HashKey;
    use crate::scan::{Options, Scanner};

    fn scan(name: &str, bytes: &[u8]) -> Vec<crate::report::FileRecord> {
        let (opts, det, key) = (
            Options::default(),
            Detector::builtin(),
            HashKey::provided(b"k".to_vec()),
        );
        Scanner::new(&opts, &det, &key).scan_bytes(name, bytes)
    }

    fn fixture() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/dumps/personer.sqlite"
        ))
        .unwrap()
    }

    /// Bytes that are not a file on disk (a member, a git blob) are read where they are.
    #[test]
    fn a_database_in_memory_is_read_in_place() {
        let recs = scan("vedlegg/personer.db", &fixture());
        assert_eq!(
            (recs[0].file_type.as_str(), recs[0].status),
            ("sqlite", crate::report::Status::Scanned)
        );
        let fnr = recs[0]
            .columns
            .iter()
            .find(|c| c.column == crate::extract::Column::Name("fnr".into()))
            .unwrap();
        assert_eq!(
            (fnr.table.as_deref(), fnr.values, fnr.matched),
            (Some("deltakere"), 30, 30)
        );
    }

    #[test]
    fn a_damaged_database_is_an_error_not_a_panic() {
        let mut bytes = b"SQLite format 3\0".to_vec();
        bytes.resize(4096, 0xAB);
        let recs = scan("kaputt.db", &bytes);
        assert_eq!(
            (recs[0].status, recs[0].reason.as_deref()),
            (crate::report::Status::Error, Some("corrupt"))
        );
    }

    /// A column name that is not UTF-8 (a mutated copy of the fixture) is shown escaped, and
    /// the table is read.
    #[test]
    fn column_names_that_are_not_utf8_are_escaped() {
        let mut bytes = fixture();
        let at = bytes
            .windows(10)
            .position(|w| w == b"notat TEXT")
            .expect("the schema names column notat");
        bytes[at + 3] = 0xEA;
        let recs = scan("mutert.sqlite", &bytes);
        assert_eq!(recs[0].status, crate::report::Status::Scanned);
        let cols: Vec<String> = recs[0]
            .columns
            .iter()
            .map(|c| format!("{:?}", c.column))
            .collect();
        assert!(cols.iter().any(|c| c.contains("fnr")), "{cols:?}");
        let fnr = recs[0]
            .columns
            .iter()
            .find(|c| c.column == crate::extract::Column::Name("fnr".into()))
            .unwrap();
        assert_eq!(fnr.matched, 30);
    }

    #[test]
    fn names_are_quoted_as_bytes() {
        assert_eq!(quote(b"a\"b\xff"), b"\"a\"\"b\xff\"");
        let cols = vec![b"ROWID".to_vec(), b"x".to_vec()];
        assert_eq!(rowid_alias(&cols), Some(&b"_rowid_"[..]));
        let all = vec![b"rowid".to_vec(), b"_ROWID_".to_vec(), b"oid".to_vec()];
        assert_eq!(rowid_alias(&all), None);
    }
}
