//! SQLite database files, read through SQLite itself (rusqlite, bundled): table by table,
//! each value on its own under its column's name, located `{table, column, row}`.
//!
//! Reading the pages as raw bytes would glue neighbouring fields together (an address followed
//! by the first letter of the next field becomes a different address) and miss integers, which
//! SQLite stores in binary. A file on disk is opened read-only and `immutable` (no locks, no
//! journal, nothing written beside it); a member of a container is first copied to a private
//! temporary file, since SQLite needs a file.

use std::io::{self, Read};
use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::table::{Row, Table};
use super::{ExtractError, Extracted, Input, Sink, Status};

/// Rows between two checks of the time limit.
const TIME_EVERY: u64 = 4096;

pub fn extract(input: &mut Input<'_>, sink: &mut dyn Sink) -> Result<Extracted, ExtractError> {
    let on_disk = input.depth == 0
        && std::fs::metadata(input.name).is_ok_and(|m| m.is_file() && Some(m.len()) == input.size);
    let mut _copy = None;
    let path = if on_disk {
        Path::new(input.name).to_path_buf()
    } else {
        let max = input.limits.max_parse_bytes;
        let mut tmp = tempfile::NamedTempFile::new()?;
        io::copy(&mut input.reader()?.take(max), tmp.as_file_mut())?;
        let p = tmp.path().to_path_buf();
        _copy = Some(tmp);
        p
    };
    let conn = Connection::open_with_flags(
        uri(&path),
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|_| corrupt())?;
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|_| corrupt())?;
    let mut failed = 0;
    for name in &tables {
        match read_table(&conn, name, input, sink) {
            Ok(()) => {}
            Err(TableError::Time(e)) => return Err(e),
            Err(TableError::Sqlite) => failed += 1,
        }
    }
    let out = Extracted::new("sqlite", input.size.unwrap_or(0));
    Ok(if failed > 0 {
        out.with_note(
            Status::Partial,
            "tables_unreadable",
            format!(
                "{failed} of {} tables could not be read (virtual tables need modules)",
                tables.len()
            ),
        )
    } else {
        out
    })
}

fn corrupt() -> ExtractError {
    ExtractError::Corrupt("not a readable SQLite database".into())
}

enum TableError {
    Sqlite,
    Time(ExtractError),
}

impl From<rusqlite::Error> for TableError {
    fn from(_: rusqlite::Error) -> Self {
        TableError::Sqlite
    }
}

fn read_table(
    conn: &Connection,
    name: &str,
    input: &Input<'_>,
    sink: &mut dyn Sink,
) -> Result<(), TableError> {
    let mut stmt = conn.prepare(&format!("SELECT * FROM \"{}\"", name.replace('"', "\"\"")))?;
    let columns: Vec<String> = stmt
        .column_names()
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut table = Table::new(input.det, Some(name.to_string()), &columns, 1);
    let mut rows = stmt.query([])?;
    let mut row = Row::default();
    let mut n = 0u64;
    let mut number = String::new();
    while let Some(r) = rows.next()? {
        n += 1;
        if n % TIME_EVERY == 0 {
            input.check_time().map_err(TableError::Time)?;
        }
        row.clear();
        for i in 0..columns.len() {
            match r.get_ref(i)? {
                ValueRef::Null => {
                    row.begin();
                    row.end_null();
                }
                ValueRef::Integer(v) => {
                    number.clear();
                    use std::fmt::Write;
                    let _ = write!(number, "{v}");
                    row.push_field(number.as_bytes());
                }
                ValueRef::Real(v) => {
                    number.clear();
                    use std::fmt::Write;
                    // A whole number stored as REAL is written as an integer.
                    if v.fract() == 0.0 && v.abs() < 1e15 {
                        let _ = write!(number, "{}", v as i64);
                    } else {
                        let _ = write!(number, "{v}");
                    }
                    row.push_field(number.as_bytes());
                }
                ValueRef::Text(t) => row.push_field(t),
                // A blob is text only if it is valid UTF-8; anything else is not read.
                ValueRef::Blob(b) if std::str::from_utf8(b).is_ok() => row.push_field(b),
                ValueRef::Blob(_) => {
                    row.begin();
                    row.end_null();
                }
            }
        }
        table.row(&row, sink);
    }
    table.finish(sink);
    Ok(())
}

/// A `file:` URI for `path`, read-only and immutable, with reserved bytes percent-encoded.
fn uri(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::from("file:");
    for &b in abs.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push_str("?mode=ro&immutable=1");
    out
}

#[cfg(test)]
mod tests {
    use crate::detect::Detector;
    use crate::report::mask::HashKey;
    use crate::scan::{Options, Scanner};

    /// Bytes that are not a file on disk (a member, a git blob) go through a temporary copy.
    #[test]
    fn a_database_in_memory_is_read_through_a_temporary_copy() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/dumps/personer.sqlite"
        ))
        .unwrap();
        let (opts, det, key) = (
            Options::default(),
            Detector::builtin(),
            HashKey::provided(b"k".to_vec()),
        );
        let recs = Scanner::new(&opts, &det, &key).scan_bytes("vedlegg/personer.db", &bytes);
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
        let (opts, det, key) = (
            Options::default(),
            Detector::builtin(),
            HashKey::provided(b"k".to_vec()),
        );
        let recs = Scanner::new(&opts, &det, &key).scan_bytes("kaputt.db", &bytes);
        assert_eq!(
            (recs[0].status, recs[0].reason.as_deref()),
            (crate::report::Status::Error, Some("corrupt"))
        );
    }
}
