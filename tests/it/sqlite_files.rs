//! SQLite databases: read through kartlegg's own reader (no copies on disk, no second open by
//! path), hostile and damaged databases, and SQLite's memory bound. Databases are made at test
//! time with the bundled SQLite; numbers are public test vectors (docs/identifiers.md).

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rusqlite::Connection;
use serde_json::Value;

use crate::harness::{fixture, scan, status, Tree};

const FNR: &str = "13097248022";

/// A database at `path`, made by `sql` (a batch of statements).
fn database(path: &Path, sql: &str) {
    let c = Connection::open(path).unwrap();
    c.execute_batch(sql).unwrap();
}

/// A table `personer(id, fnr, notat)` of `rows` rows whose notes are `note_len` letters (no
/// digits: the detector skips them, so the test spends its time reading, not detecting).
fn people(path: &Path, rows: usize, note_len: usize) {
    let mut c = Connection::open(path).unwrap();
    c.execute_batch("CREATE TABLE personer (id INTEGER PRIMARY KEY, fnr TEXT, notat TEXT)")
        .unwrap();
    let tx = c.transaction().unwrap();
    {
        let mut ins = tx
            .prepare("INSERT INTO personer (fnr, notat) VALUES (?1, ?2)")
            .unwrap();
        let note = "abcdefghij".repeat(note_len / 10);
        for i in 0..rows {
            let fnr = if i % 1000 == 0 { FNR } else { "ukjent" };
            ins.execute((fnr, &note)).unwrap();
        }
    }
    tx.commit().unwrap();
}

fn zip_stored(path: &Path, members: &[(&str, &Path)]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    for (name, src) in members {
        z.start_file(*name, opts).unwrap();
        z.write_all(&std::fs::read(src).unwrap()).unwrap();
    }
    z.finish().unwrap();
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn findings_of(rec: &Value, kind: &str) -> usize {
    rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .count()
}

/// A database inside a zip is read where it is (in memory, or an unlinked temporary file when
/// large): killing the scan at any moment, by SIGKILL or SIGINT, leaves no file behind in
/// TMPDIR.
#[test]
fn a_database_in_a_zip_leaves_no_copy_when_the_scan_is_killed() {
    let t = Tree::new();
    let build = t.path().join("build");
    std::fs::create_dir(&build).unwrap();
    // About 24 MB: over the 16 MiB a member may take in memory, so it goes to a temporary
    // file, which is what could be left behind.
    people(&build.join("big.sqlite"), 24_000, 1000);
    let share = t.path().join("share");
    std::fs::create_dir(&share).unwrap();
    zip_stored(
        &share.join("scan.zip"),
        &[("db/big.sqlite", &build.join("big.sqlite"))],
    );
    std::fs::remove_dir_all(&build).unwrap();
    let tmp = t.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let run = || {
        Command::new(assert_cmd::cargo::cargo_bin("kartlegg"))
            .args(["scan", "--format", "json", "--no-progress"])
            .arg(&share)
            .env("TMPDIR", &tmp)
            .env_remove("KARTLEGG_HASH_KEY")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // A whole run: the member is read, and nothing is left.
    let start = Instant::now();
    let out = run().wait_with_output().unwrap();
    let whole = start.elapsed();
    let inv: Value = serde_json::from_slice(&out.stdout).unwrap();
    crate::harness::assert_valid(&inv);
    let member = crate::harness::file(&inv, "scan.zip!/db/big.sqlite");
    assert_eq!(status(member), ("scanned", ""));
    assert_eq!(findings_of(member, "fodselsnummer"), 24);
    assert!(files_under(&tmp).is_empty(), "{:?}", files_under(&tmp));
    // Killed at random moments of such a run.
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    for (i, signal) in [libc::SIGKILL, libc::SIGINT]
        .into_iter()
        .cycle()
        .take(6)
        .enumerate()
    {
        let mut child = run();
        let at = whole.mul_f64(rng.gen_range(0.05..0.95));
        std::thread::sleep(at);
        // SAFETY: signalling our own child, which has not been waited for yet.
        unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        child.wait().unwrap();
        let left = files_under(&tmp);
        assert!(
            left.is_empty(),
            "run {i} killed after {at:?} by signal {signal} left {left:?}"
        );
    }
}

/// A database on disk is read through the descriptor kartlegg opened with O_NOATIME: its
/// access time is kept (SQLite opening the path again would set it: the file system is
/// mounted relatime and the access time is older than the modification time).
#[test]
fn a_database_on_disk_keeps_its_access_time() {
    let t = Tree::new();
    let db = t.path().join("personer.sqlite");
    std::fs::copy(fixture("dumps/personer.sqlite"), &db).unwrap();
    let old = std::fs::FileTimes::new()
        .set_accessed(std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000));
    std::fs::File::options()
        .write(true)
        .open(&db)
        .unwrap()
        .set_times(old)
        .unwrap();
    let r = scan(&[&db], &[]);
    assert_eq!(status(r.file("personer.sqlite")), ("scanned", ""));
    assert!(findings_of(r.file("personer.sqlite"), "fodselsnummer") > 0);
    assert_eq!(std::fs::metadata(&db).unwrap().atime(), 1_000_000_000);
}

/// A database in WAL mode (its header says so) is read like any other: no WAL or shared
/// memory file is opened beside it.
#[test]
fn a_database_in_wal_mode_is_read_without_opening_anything_beside_it() {
    let t = Tree::new();
    let db = t.path().join("wal.sqlite");
    database(
        &db,
        &format!(
            "PRAGMA journal_mode = WAL; CREATE TABLE k (fnr TEXT); INSERT INTO k VALUES ('{FNR}');"
        ),
    );
    assert_eq!(
        std::fs::read(&db).unwrap()[18..20],
        [2, 2],
        "a WAL database"
    );
    let before: Vec<PathBuf> = files_under(t.path());
    let r = scan(&[&db], &[]);
    assert_eq!(status(r.file("wal.sqlite")), ("scanned", ""));
    assert_eq!(findings_of(r.file("wal.sqlite"), "fodselsnummer"), 1);
    assert_eq!(files_under(t.path()), before);
}

/// Values over 4 MiB are never loaded whole: their first 4 MiB are scanned (as in dumps), and
/// a value over SQLite's 16 MiB length limit does not stop the table.
#[test]
fn long_values_are_scanned_by_their_prefix() {
    let t = Tree::new();
    let db = t.path().join("lang.sqlite");
    database(
        &db,
        "CREATE TABLE notater (id INTEGER PRIMARY KEY, tekst TEXT, vedlegg BLOB);",
    );
    let c = Connection::open(&db).unwrap();
    let long = format!("fnr {FNR} {}", "a".repeat(5 << 20));
    let huge = "b".repeat(20 << 20);
    c.execute(
        "INSERT INTO notater (tekst, vedlegg) VALUES (?1, ?2)",
        (&long, huge.as_bytes()),
    )
    .unwrap();
    c.execute(
        "INSERT INTO notater (tekst, vedlegg) VALUES (?1, NULL)",
        (format!("tlf 92345678 {huge}"),),
    )
    .unwrap();
    c.execute("INSERT INTO notater (tekst) VALUES ('fnr 20036914700')", ())
        .unwrap();
    drop(c);
    let r = scan(&[&db], &[]);
    let rec = r.file("lang.sqlite");
    assert_eq!(status(rec), ("partial", "value_too_long"));
    assert!(rec["detail"]
        .as_str()
        .unwrap()
        .contains("3 values over 4 MiB were scanned in their first 4 MiB only"));
    assert_eq!(findings_of(rec, "fodselsnummer"), 2);
    assert_eq!(findings_of(rec, "phone"), 1);
}

/// A row whose values together need more than SQLite's heap limit (a table too wide for the
/// per-value checks, read with `SELECT *`): `limit_exceeded`/`memory`, and the other table is
/// read.
#[test]
fn a_database_over_the_sqlite_heap_limit_is_limit_exceeded() {
    let t = Tree::new();
    let db = t.path().join("bred.sqlite");
    let cols: Vec<String> = (0..1200).map(|i| format!("c{i} TEXT")).collect();
    database(
        &db,
        &format!(
            "CREATE TABLE a (fnr TEXT); INSERT INTO a VALUES ('{FNR}'); CREATE TABLE bred ({});",
            cols.join(", ")
        ),
    );
    let c = Connection::open(&db).unwrap();
    let v = "x".repeat(15 << 20);
    c.execute(
        "INSERT INTO bred (c0, c1, c2, c3, c4) VALUES (?1, ?1, ?1, ?1, ?1)",
        (&v,),
    )
    .unwrap();
    drop(c);
    let r = scan(&[&db], &[]);
    let rec = r.file("bred.sqlite");
    assert_eq!(status(rec), ("limit_exceeded", "memory"));
    assert!(rec["detail"].as_str().unwrap().contains("1 of 2 tables"));
    assert_eq!(findings_of(rec, "fodselsnummer"), 1);
}

/// Damaged copies of the fixture: a column name that is not UTF-8 (it made rusqlite panic) is
/// shown escaped and its table read; a truncated file is `partial`/`truncated`.
#[test]
fn damaged_databases_are_read_as_far_as_they_go() {
    let t = Tree::new();
    let good = std::fs::read(fixture("dumps/personer.sqlite")).unwrap();
    let mut bad_name = good.clone();
    let at = bad_name
        .windows(10)
        .position(|w| w == b"epost VARC")
        .unwrap();
    bad_name[at + 2] = 0xEF;
    t.file("navn.sqlite", &bad_name);
    t.file("kort.sqlite", &good[..5412]);
    t.file("hel.sqlite", &good);
    // Low: the `epost` column's addresses are at a reserved name (`.invalid`).
    let r = scan(&[t.path()], &["--min-confidence", "low"]);
    let rec = r.file("navn.sqlite");
    assert_eq!(status(rec), ("scanned", ""));
    let whole = findings_of(r.file("hel.sqlite"), "fodselsnummer");
    assert!(whole > 10);
    assert_eq!(findings_of(rec, "fodselsnummer"), whole);
    let cols: Vec<&str> = rec["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["column"].as_str().unwrap())
        .collect();
    assert!(cols.contains(&"ep\\xefst"), "{cols:?}");
    assert_eq!(status(r.file("kort.sqlite")), ("partial", "truncated"));
}

/// A damaged entry in the schema (one table's CREATE statement no longer parses) loses that
/// table, not the database: the other table is read and the file is partial.
#[test]
fn a_damaged_schema_entry_loses_only_its_table() {
    let t = Tree::new();
    let db = t.path().join("skjema.sqlite");
    database(
        &db,
        &format!(
            "CREATE TABLE a (x TEXT); CREATE TABLE b (fnr TEXT); INSERT INTO b VALUES ('{FNR}');"
        ),
    );
    let mut bytes = std::fs::read(&db).unwrap();
    let at = bytes
        .windows(23)
        .position(|w| w == b"CREATE TABLE a (x TEXT)")
        .unwrap();
    bytes[at + 22] = b'(';
    std::fs::write(&db, &bytes).unwrap();
    let r = scan(&[&db], &[]);
    let rec = r.file("skjema.sqlite");
    assert_eq!(status(rec), ("partial", "tables_unreadable"));
    assert!(rec["detail"].as_str().unwrap().starts_with("1 of 2 tables"));
    assert_eq!(findings_of(rec, "fodselsnummer"), 1);
}

/// In git modes the staged database is read, not the work-tree file of the same name and size.
#[test]
fn a_staged_database_is_read_from_the_index() {
    let t = Tree::new();
    let repo = t.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .current_dir(&repo)
            .args(["-c", "user.name=T", "-c", "user.email=t@example.invalid"])
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    let db = repo.join("kunder.sqlite");
    database(
        &db,
        &format!("CREATE TABLE k (fnr TEXT); INSERT INTO k VALUES ('{FNR}');"),
    );
    git(&["add", "kunder.sqlite"]);
    // The work tree is cleaned to a file of the same size.
    let staged = std::fs::read(&db).unwrap();
    let mut clean = staged.clone();
    let at = clean.windows(11).position(|w| w == FNR.as_bytes()).unwrap();
    clean[at..at + 11].copy_from_slice(b"xxxxxxxxxxx");
    std::fs::write(&db, &clean).unwrap();
    let out = crate::harness::kartlegg()
        .current_dir(&repo)
        .args(["scan", "--staged"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("kunder.sqlite") && stdout.contains("fodselsnummer"));
    assert!(!stdout.contains(FNR));
}
