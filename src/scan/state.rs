//! The state of incremental scans (`--state FILE`): what each file held when it was last
//! read, kept in a SQLite database, so that the next scan reads only new and changed files and
//! a scan that was killed resumes where it stopped.
//!
//! * **One row per file on disk**, keyed by its raw path (bytes: the state never leaves the
//!   machine that scans, and holds paths as the share does) in walk order ([`key`]), with its
//!   device, inode, size, modification and change times in nanoseconds, the moment the walk
//!   looked at it, the hash of the settings that decide its records (options, rules,
//!   fingerprint key; and the OCR engine, for a file whose reading asked for one: see
//!   [`Settings`]) and the tool version; in it, the file's own finished record, and beside it
//!   (table `records`, by path and number) its members' — each exactly as the worker sent it:
//!   masked and fingerprinted, with the totals the summary needs. Most files have no members:
//!   one B-tree insert stores one, and its lookup reads its record. The state never holds a raw
//!   value: a `--reveal` scan reads every file again and stores no records.
//! * **Unchanged** means a complete row with the same inode, size, mtime and ctime, settings
//!   hash and tool version. The device number is kept but not compared: network and container
//!   mounts get a new one on every mount, and the inode and both times already tell files
//!   apart.
//! * **Racy timestamps**: a file whose mtime or ctime falls in the same second as the moment
//!   the walk looked at it, or later, might have changed again within that second without its
//!   times showing it; it is read again next time. The moment is taken before the walk's
//!   `stat` of the file (the start of its batch), so it is never later than the moment its
//!   record was stored, and the rule is at least as strict as git's.
//! * **Transient failures are not kept**: a file whose read ended in an error, a timeout, a
//!   time or memory limit, or a change under the reader is read again next time (its row says
//!   it was listed, so that it counts as removed if it is gone by then).
//! * **Crash safety**: write-ahead log, small transactions (at least every 200 ms). A file's
//!   row and records are written together when its own record (which a worker sends last)
//!   is in, its row complete; records of files still being read are held, and past
//!   [`HELD_MAX`] written with their rows incomplete. So a scan killed at any moment (SIGKILL,
//!   power loss) leaves each file either complete — reused next time — or to be read again.
//!   All writes happen in the scan's writer thread; the router only reads.
//! * **One scan at a time**: the database is opened in exclusive locking mode, so a second scan
//!   with the same state stops with a clear error, and the write-ahead log needs no shared
//!   memory (it works on a network file system, as one client).
//! * **Read in walk order**: the walk visits names in byte order, depth first, and the rows
//!   are keyed so that they sort the same way. Each batch of the walk is looked up with one
//!   range query, which also finds the **removed files**: a row in the range that the walk did
//!   not yield is a file that is gone; it is counted and deleted, and so, at the end, are the
//!   rows after the last file walked (the rows of files `--exclude` leaves out are deleted and
//!   not counted: [`State::leave_out`]; the rows of what the walk could not read this time, a
//!   directory without permission, are kept: [`State::not_seen`]). The count is kept in
//!   `meta` with the deletions, so
//!   that what a killed scan found gone is reported by the next scan that completes. Nothing
//!   is written for an unchanged file. Roots are walked in key order, and roots that nest are
//!   refused ([`State::refuse_nesting`]); a batch that goes back all the same is looked up
//!   without removing anything.
//! * **Scope**: a state belongs to one set of roots (in any order) and one shard; another
//!   scope is refused rather than having its rows counted as removed. A file that is not a
//!   state is refused before anything is written to it.

use std::fs::{File, OpenOptions};
use std::ops::Range;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension};

use super::carry::{self, Carried};
use super::Done;
use crate::read::FileMeta;
use crate::report::writer::Behind;
use crate::report::{Incremental, Status};
use crate::walk::{Exclude, Meta};

/// Version of the database layout; another one is refused (make a new state), except the
/// earlier ones, whose rows are dropped (their files are read again) and whose key is kept:
/// layout 1 keyed rows by plain paths, layout 2 stored records with a JSON head, layout 3
/// summed a record's text but not its head, layout 4 kept a file's own record in `records`
/// beside its members' (three B-tree inserts a file where one will do), layout 5 summed head
/// and text as one (the text was hashed again for the inventory's digest).
const LAYOUT: &str = "6";

/// Bytes of the state's pages. A row of `files` holds its file's own record, some hundred
/// bytes: in SQLite's 4 KiB pages, split as rows came in key order, the table took 36.7 MB for
/// 20,000 files where pages of 8 KiB take 18.8 MB. Pages of 16 KiB saved no more, and each
/// page a rescan changes is written whole to the log.
const PAGE_SIZE: i64 = 8192;

/// A write transaction is committed after this many files (ended or gone) are written...
const COMMIT_EVERY: usize = 1000;
/// ... or this long after the oldest change not yet committed, so a slow scan loses little
/// when killed.
pub(crate) const COMMIT_AFTER: Duration = Duration::from_millis(200);

/// Bytes of the fingerprint key a state makes and keeps.
const KEY_BYTES: usize = 32;

/// Paths the walk could not read that a scan keeps the rows of ([`State::not_seen`]): a
/// bound on memory for a share of millions of unreadable directories.
const UNSEEN_MAX: usize = 100_000;

/// The key of a file's rows: its raw path with each `/` as a NUL byte, which no name holds,
/// so that keys sort as the walk visits their files (a directory's files before a sibling
/// whose name is the directory's with more after it: `a/x` before `a.txt`).
pub(crate) fn key(path: &Path) -> Vec<u8> {
    let mut k = path.as_os_str().as_bytes().to_vec();
    for b in &mut k {
        if *b == b'/' {
            *b = 0;
        }
    }
    k
}

/// A key above every key inside `root`, and below those of the roots after it: the keys
/// inside a root are its key, a NUL and more, all below its key and 0x01 (taken without the
/// NULs of trailing slashes: `/srv/a/` holds `/srv/a/x`, and `/` holds everything).
fn past(root: &Path) -> Vec<u8> {
    let mut end = key(root);
    while end.last() == Some(&0) {
        end.pop();
    }
    end.push(1);
    end
}

/// The positions of `keys` in key order.
fn sorted<K: AsRef<[u8]>>(keys: &[K]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| keys[a].as_ref().cmp(keys[b].as_ref()));
    order
}

/// Raises what the lookups covered ([`State::unchanged_all`]) to `k`.
fn raise(covered: &mut Option<Vec<u8>>, k: &[u8]) {
    if covered.as_deref().is_none_or(|c| k > c) {
        *covered = Some(k.to_vec());
    }
}

/// Keys of paths the walk marked as it went (what it could not read, what it does not read),
/// at most [`UNSEEN_MAX`] of them: a bound on memory for a share of millions.
#[derive(Default)]
struct Marks(Mutex<std::collections::BTreeSet<Vec<u8>>>);

impl Marks {
    fn mark(&self, path: &Path) {
        let mut keys = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if keys.len() < UNSEEN_MAX {
            keys.insert(key(path));
        }
    }

    /// Whether `k` is a marked key or under one. The walk never yields anything under what
    /// it does not enter, so marked keys do not nest: the one that holds `k`, if any, is the
    /// greatest not above it.
    fn holds(&self, k: &[u8]) -> bool {
        let keys = self.0.lock().unwrap_or_else(|p| p.into_inner());
        keys.range::<[u8], _>((std::ops::Bound::Unbounded, std::ops::Bound::Included(k)))
            .next_back()
            .is_some_and(|u| k == u.as_slice() || k.starts_with(u) && k[u.len()] == 0)
    }
}

/// Whether two scopes ([`State::begin`]) are of the same roots and shard, whatever the order
/// of the roots (states made before scopes listed them in walk order hold them as given), and
/// with or without a root's last `/` (`DIR` and `DIR/` give their files the same paths).
fn same_scope(was: &str, now: &str) -> bool {
    let sorted = |s: &str| {
        let mut v: serde_json::Value = serde_json::from_str(s).ok()?;
        let roots = v.get_mut("roots")?.as_array_mut()?;
        for r in roots.iter_mut() {
            let root = crate::review::inventory::compared_root(r.as_str()?.to_string());
            *r = root.into();
        }
        roots.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        Some(v)
    };
    was == now || sorted(was).is_some_and(|w| Some(w) == sorted(now))
}

/// `files.complete` of a file whose records are stored whole: reused while it is unchanged.
const COMPLETE: i64 = 1;
/// `files.complete` of a file listed with a failure that may pass (see [`transient`]): read
/// again next time, and counted as removed if it is gone by then. Rows written while their
/// file was still being read are 0: they count as neither.
const LISTED: i64 = 2;

/// A row the walk passed by: its file is gone.
#[derive(Debug)]
pub struct Gone {
    pub key: Vec<u8>,
    /// Its file was in the last inventory: its row was complete, or [`LISTED`].
    pub listed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state {path}: {source}")]
    Db {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("state {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("state {path} is in use by another scan (it is locked while a scan runs)")]
    InUse { path: PathBuf },
    #[error("state {path} was made for {was}; this scan is of {now} (use another state file)")]
    Scope {
        path: PathBuf,
        was: String,
        now: String,
    },
    #[error(
        "state {path}: root {inner} lies inside root {outer}; a state needs roots that do not \
         nest (scan {outer} alone)"
    )]
    Nested {
        path: PathBuf,
        outer: String,
        inner: String,
    },
    #[error("state {path} is not a kartlegg state of this version (layout {found:?})")]
    Layout { path: PathBuf, found: String },
    #[error("state {path}: a stored record cannot be read: {detail}")]
    Record { path: PathBuf, detail: String },
    #[error(
        "state {path}: its fingerprint key is damaged ({len} bytes where a state keeps \
         {KEY_BYTES}); fingerprints made with it cannot be made again (use another state file)"
    )]
    Key { path: PathBuf, len: usize },
}

/// What a lookup found of a file in the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// No row of its path.
    Nothing,
    /// A row that is not to be reused: the file changed, or was read under other settings,
    /// or its reading did not finish.
    Stale,
    /// Its records, to be reused: its own, read with its row, and how many of its members'
    /// are to be fetched ([`State::records_all`]).
    Same(Reuse),
}

/// A file's own record as stored in its row, and the number of its members' records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reuse {
    own: Vec<u8>,
    members: i64,
}

/// What identifies the version of a file's content, as the walk saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub path: PathBuf,
    /// The key of its rows ([`key`]), made once: the lookup, the fetch of its records and the
    /// writer all ask for it.
    pub key: Vec<u8>,
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    /// Unix seconds, taken before the walk's `stat` of the file (the racy-timestamp rule).
    pub checked: i64,
    /// Whether the state may hold rows of this path (false only when a lookup found none):
    /// what is stored beyond a new reading's records must then be deleted.
    pub known: bool,
}

impl Identity {
    pub fn new(path: PathBuf, meta: &Meta, checked: i64) -> Identity {
        let ns = |s: i64, n: i64| s.saturating_mul(1_000_000_000).saturating_add(n);
        Identity {
            key: key(&path),
            path,
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
            ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
            checked,
            known: true,
        }
    }
}

/// Whether a file with these times, looked at in second `checked`, may have changed within
/// that second without its times showing it.
fn racy(mtime_ns: i64, ctime_ns: i64, checked: i64) -> bool {
    let checked_ns = checked.saturating_mul(1_000_000_000);
    mtime_ns >= checked_ns || ctime_ns >= checked_ns
}

/// A record as stored: its head ([`carry`]), then its text. (One that came as text is stored
/// as it came: [`carry::Carried::stored`].)
fn encode(done: &Done) -> Vec<u8> {
    let json = serde_json::to_vec(&done.rec).expect("records serialize");
    let mut blob = carry::head(0, done, &json);
    blob.extend_from_slice(&json);
    blob
}

/// Where the evidence is in `json`, a record as serde writes it, whose path's closing quote
/// is at `path_end` ([`carry::Carried::path_end`]): flattened into the record between its
/// path and its `type`. `None` if the record does not go on as serde writes one with
/// evidence.
fn evidence(json: &[u8], path_end: usize) -> Option<Range<usize>> {
    let from = path_end + 1;
    static TYPE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(br#","type":"#));
    let ty = from + TYPE.find(json.get(from..)?)?;
    (json[from] == b',' && from < ty).then_some(from + 1..ty)
}

/// A stored record as the state hands it on.
#[derive(Debug)]
pub enum Kept {
    /// Decoded whole.
    Whole(Box<Done>),
    /// As the JSON inventory writes it (see [`State::hand_on_text`]).
    Text(Carried),
}

#[cfg(test)]
impl Kept {
    /// The record, decoded whole.
    fn done(&self) -> &Done {
        match self {
            Kept::Whole(d) => d,
            Kept::Text(c) => panic!("kept as text: {c:?}"),
        }
    }
}

/// A read that ended this way is tried again next time rather than kept.
fn transient(status: Status, reason: Option<&str>) -> bool {
    status == Status::Error
        || matches!(
            reason,
            Some(
                "time_limit"
                    | "memory"
                    | "timeout"
                    | "changed_during_scan"
                    | "vanished"
                    | "read_error"
                    | "io_error"
            )
        )
}

/// What decides a file's records, hashed ([`crate::scan::settings`]): the scan's settings,
/// and for a file whose reading asked for the OCR engine (an image, a scanned page: see
/// [`crate::report::Tally::engine`]) those and the engine found. The second hash is made the
/// first time a row needs it, so a rescan of files that asked for no engine never runs
/// Tesseract to learn its version and languages.
pub struct Settings {
    plain: String,
    engine: OnceLock<String>,
    with_engine: Box<dyn Fn() -> String + Send + Sync>,
}

impl Settings {
    pub fn new(plain: String, with_engine: impl Fn() -> String + Send + Sync + 'static) -> Self {
        Settings {
            plain,
            engine: OnceLock::new(),
            with_engine: Box::new(with_engine),
        }
    }

    /// The hash a file's row is written with.
    fn of(&self, engine: bool) -> &str {
        if engine {
            self.engine.get_or_init(&self.with_engine)
        } else {
            &self.plain
        }
    }

    /// A row written under these settings (the engine asked for only when it is not the
    /// plain hash). Bytes, as stored: a row's text is not checked for UTF-8 to be compared.
    fn hold(&self, row: &[u8]) -> bool {
        row == self.plain.as_bytes() || row == self.of(true).as_bytes()
    }
}

/// Settings of a test: the engine's hash is the plain one and ` with an engine`.
#[cfg(test)]
impl From<&str> for Settings {
    fn from(plain: &str) -> Self {
        let engine = format!("{plain} with an engine");
        Settings::new(plain.to_string(), move || engine.clone())
    }
}

/// An open state: one connection, shared by the router (lookups) and the writer thread
/// (everything that changes it).
pub struct State {
    path: PathBuf,
    conn: Mutex<Connection>,
    /// Set by [`State::begin`].
    settings: Settings,
    /// The greatest key the lookups of this scan have covered: rows up to it were either
    /// walked or found gone ([`State::unchanged_all`]).
    covered: Mutex<Option<Vec<u8>>>,
    /// Keys of what the walk could not read this time ([`State::not_seen`]): their rows, and
    /// those of everything under them, are kept as they are.
    unseen: Marks,
    /// Keys of what the walk found and does not read ([`State::passed_by`]): their rows, and
    /// those of everything under them, are dropped without being counted as removed.
    skipped: Marks,
    /// A `--reveal` scan: nothing is looked up or stored.
    reveal: bool,
    /// Stored records are handed on as text ([`Kept::Text`]).
    text: bool,
    /// The roots and what the walk leaves out of them ([`State::leave_out`]).
    left_out: Option<(Vec<PathBuf>, Exclude)>,
}

fn db(path: &Path) -> impl Fn(rusqlite::Error) -> StateError + '_ {
    move |source| match source.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            StateError::InUse {
                path: path.to_path_buf(),
            }
        }
        _ => StateError::Db {
            path: path.to_path_buf(),
            source,
        },
    }
}

impl State {
    /// Opens (or creates, readable by its owner only) the state at `path` and locks it for
    /// this scan.
    pub fn open(path: &Path) -> Result<State, StateError> {
        let io = |source| StateError::Io {
            path: path.to_path_buf(),
            source,
        };
        // Created private: it holds raw paths and, unless one is given, the fingerprint key.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(io)?;
        let fresh = file.metadata().map_err(io)?.size() == 0;
        drop(file);
        let err = db(path);
        let conn = Connection::open(path).map_err(&err)?;
        conn.busy_timeout(Duration::from_secs(2)).map_err(&err)?;
        // Exclusive before the first access: one scan at a time, and a write-ahead log without
        // shared memory.
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")
            .map_err(&err)?;

        // What the file is, read before anything is written to it: another application's
        // database is refused as it was found (the journal mode below would change it).
        let mut upgrade = "";
        if !fresh {
            let has_meta: bool = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
                    [],
                    |r| r.get::<_, i64>(0).map(|n| n > 0),
                )
                .map_err(&err)?;
            // The file is readable and locked by now: a `meta` table of another shape is
            // another application's.
            let layout: Option<String> = if has_meta {
                conn.query_row("SELECT value FROM meta WHERE name = 'layout'", [], |r| {
                    r.get(0)
                })
                .optional()
                .unwrap_or(None)
            } else {
                None
            };
            match layout.as_deref() {
                Some(LAYOUT) => {}
                // Rows of an earlier layout: dropped, so every file is read again once; the
                // fingerprint key and the scope stay. In the transaction that makes the new
                // tables, so a scan killed meanwhile leaves one layout or the other.
                Some("1" | "2" | "3" | "4" | "5") => {
                    upgrade = "DROP TABLE files; DROP TABLE records;
                               DELETE FROM meta WHERE name IN ('layout', 'generation');"
                }
                _ => {
                    return Err(StateError::Layout {
                        path: path.to_path_buf(),
                        found: layout.unwrap_or_else(|| "none".into()),
                    })
                }
            }
        }
        if fresh {
            conn.pragma_update(None, "page_size", PAGE_SIZE)
                .map_err(&err)?;
        }
        let wal = || -> Result<(), StateError> {
            let mode: String = conn
                .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
                .map_err(&err)?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StateError::Layout {
                    path: path.to_path_buf(),
                    found: format!("journal mode {mode}"),
                });
            }
            Ok(())
        };
        wal()?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(&err)?;
        // The log is folded into the database every 64 MiB rather than SQLite's 4 MiB: each
        // fold waits for the disk (fsync) while the router's lookups wait for the connection.
        conn.pragma_update(None, "wal_autocheckpoint", 16384)
            .map_err(&err)?;
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE;
             {upgrade}
             CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS files (
                 key BLOB PRIMARY KEY,
                 dev INTEGER NOT NULL,
                 ino INTEGER NOT NULL,
                 size INTEGER NOT NULL,
                 mtime_ns INTEGER NOT NULL,
                 ctime_ns INTEGER NOT NULL,
                 checked INTEGER NOT NULL,
                 settings TEXT NOT NULL,
                 version TEXT NOT NULL,
                 complete INTEGER NOT NULL,
                 members INTEGER NOT NULL,
                 own BLOB
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS records (
                 key BLOB NOT NULL,
                 seq INTEGER NOT NULL,
                 data BLOB NOT NULL,
                 PRIMARY KEY (key, seq)
             );
             INSERT OR IGNORE INTO meta (name, value) VALUES ('layout', '{LAYOUT}');
             COMMIT;"
        ))
        .map_err(&err)?;
        if !upgrade.is_empty() {
            // Taken over with the pages it was made with: its tables are empty now, and made
            // again with pages of PAGE_SIZE in a moment, outside the log, which fixes the size
            // of its pages. A scan killed meanwhile leaves it with the old size or the new.
            conn.query_row("PRAGMA journal_mode=DELETE", [], |_| Ok(()))
                .map_err(&err)?;
            conn.pragma_update(None, "page_size", PAGE_SIZE)
                .map_err(&err)?;
            conn.execute_batch("VACUUM").map_err(&err)?;
            wal()?;
        }
        Ok(State {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
            settings: Settings::new(String::new(), String::new),
            covered: Mutex::new(None),
            unseen: Marks::default(),
            skipped: Marks::default(),
            reveal: false,
            text: false,
            left_out: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The (device, inode) of the state's files (the database and its log), which a scan
    /// never reads: they change with every scan.
    pub fn identities(&self) -> Vec<(u64, u64)> {
        [self.path.clone(), self.log_path()]
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| (m.dev(), m.ino()))
            .collect()
    }

    /// SQLite's write-ahead log of the state, beside it.
    fn log_path(&self) -> PathBuf {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        wal.into()
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StateError + '_ {
        db(&self.path)
    }

    /// The fingerprint key kept in the state, created (256 random bits) on first use.
    pub fn key(&self) -> Result<Vec<u8>, StateError> {
        let conn = self.conn();
        let get = || {
            conn.query_row("SELECT value FROM meta WHERE name = 'key'", [], |r| {
                r.get::<_, Vec<u8>>(0)
            })
            .optional()
        };
        if let Some(k) = get().map_err(self.err())? {
            // A key of another length was not made here: taken as it is, it would give every
            // fingerprint anew (a new `key_id`) without a word.
            if k.len() != KEY_BYTES {
                return Err(StateError::Key {
                    path: self.path.clone(),
                    len: k.len(),
                });
            }
            return Ok(k);
        }
        let key = crate::report::mask::HashKey::random().parts().0.to_vec();
        debug_assert_eq!(key.len(), KEY_BYTES);
        conn.execute(
            "INSERT INTO meta (name, value) VALUES ('key', ?1)",
            params![key],
        )
        .map_err(self.err())?;
        Ok(key)
    }

    /// Starts a scan of `scope` (its roots and shard, in words) whose records are decided by
    /// `settings`: checks the scope.
    pub fn begin(
        &mut self,
        scope: &str,
        settings: Settings,
        reveal: bool,
    ) -> Result<(), StateError> {
        self.settings = settings;
        self.reveal = reveal;
        let conn = self.conn.get_mut().unwrap_or_else(|p| p.into_inner());
        let err = db(&self.path);
        let meta = |name: &str| {
            conn.query_row(
                "SELECT value FROM meta WHERE name = ?1",
                params![name],
                |r| r.get::<_, rusqlite::types::Value>(0),
            )
            .optional()
        };
        match meta("scope").map_err(&err)? {
            Some(rusqlite::types::Value::Text(was)) if !same_scope(&was, scope) => {
                return Err(StateError::Scope {
                    path: self.path.clone(),
                    was,
                    now: scope.to_string(),
                })
            }
            _ => {}
        }
        conn.execute(
            "INSERT OR REPLACE INTO meta (name, value) VALUES ('scope', ?1)",
            params![scope],
        )
        .map_err(&err)?;
        *self.covered.get_mut().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(())
    }

    /// Refuses `roots`, in walk order ([`key`] order), if one lies inside another: the outer
    /// root's walk would pass by the files the inner one yields (a symlink not followed, an
    /// excluded directory, another shard's files), taking them for gone.
    pub fn refuse_nesting(&self, roots: &[&PathBuf]) -> Result<(), StateError> {
        // Keys inside a root's range start with its key and a NUL, and sort right after it.
        for pair in roots.windows(2) {
            let (outer, inner) = (key(pair[0]), key(pair[1]));
            let within = inner
                .strip_prefix(outer.as_slice())
                .is_some_and(|rest| rest.is_empty() || rest[0] == 0 || outer.last() == Some(&0));
            if within {
                return Err(StateError::Nested {
                    path: self.path.clone(),
                    outer: crate::walk::display(pair[0]),
                    inner: crate::walk::display(pair[1]),
                });
            }
        }
        Ok(())
    }

    /// The walk of `root` was given up (a dead network share): its rows not yet looked up
    /// are files not seen this time, not files gone. What the lookups covered is raised past
    /// all of them, so that neither a later batch nor [`Writer::finish`] counts them removed,
    /// and the next scan that walks them finds them as they were.
    pub fn pass_over(&self, root: &Path) {
        raise(
            &mut self.covered.lock().unwrap_or_else(|p| p.into_inner()),
            &past(root),
        );
    }

    /// The walk could not read `path` this time (a directory without permission, a stat
    /// that failed): the rows of it and of all under it are files not seen, not files gone.
    /// They are neither counted removed nor deleted, so the next scan that reads them reuses
    /// what they hold. Called before the lookup of the batch that holds the entry. At most
    /// [`UNSEEN_MAX`] are kept; the rows of those after are counted removed, as before.
    pub fn not_seen(&self, path: &Path) {
        self.unseen.mark(path);
    }

    /// Whether the row `k` is of something the walk could not read, or under it.
    fn is_unseen(&self, k: &[u8]) -> bool {
        self.unseen.holds(k)
    }

    /// The walk found `path` and does not read it: a symbolic link not followed, a FIFO. It
    /// is there, so the rows of it and of all under it (the file it was read as, or the files
    /// of the directory it led to, when the last scan followed links) are dropped without
    /// being counted as removed. Called before the lookup of the batch that holds the entry.
    /// At most [`UNSEEN_MAX`] are kept; the rows of those after are counted removed, as before.
    pub fn passed_by(&self, path: &Path) {
        self.skipped.mark(path);
    }

    /// Whether the file of a row the walk did not yield is there all the same, and its row
    /// to be dropped without being counted as removed: left out by `--exclude`, or under
    /// something the walk passed by unread.
    fn still_there(&self, k: &[u8]) -> bool {
        self.skipped.holds(k) || self.is_left_out(k)
    }

    /// The walk of `roots` leaves out what `exclude` matches: the rows of those files, which
    /// the walk passes by, are dropped without being counted as removed (the files are there,
    /// only left out, as `files_excluded` says).
    pub fn leave_out(&mut self, roots: &[&PathBuf], exclude: Exclude) {
        self.left_out = Some((roots.iter().map(|&r| r.clone()).collect(), exclude));
    }

    /// Whether the file of the row `key` is left out by the walk: it, or a directory above it
    /// inside its root, matches as the walk matches each name it visits.
    fn is_left_out(&self, key: &[u8]) -> bool {
        let Some((roots, exclude)) = &self.left_out else {
            return false;
        };
        let path = PathBuf::from(std::ffi::OsStr::from_bytes(
            &key.iter()
                .map(|&b| if b == 0 { b'/' } else { b })
                .collect::<Vec<u8>>(),
        ));
        let Some(inside) = roots.iter().find_map(|r| path.strip_prefix(r).ok()) else {
            return false;
        };
        let mut rel = PathBuf::new();
        inside.components().any(|c| {
            rel.push(c);
            exclude.matches(&rel, Path::new(c.as_os_str()))
        })
    }

    /// Whether stored records are handed on as the JSON inventory writes them ([`Kept::Text`]):
    /// for a scan whose records go to that inventory as they are.
    pub fn hand_on_text(&mut self, text: bool) {
        self.text = text;
    }

    /// [`State::unchanged_all`] and [`State::records_all`] for one file.
    #[cfg(test)]
    fn lookup(&self, id: &Identity, meta: &Meta) -> Result<Option<Vec<Kept>>, StateError> {
        let Some(Stored::Same(reuse)) = self.unchanged_all(&[id])?.0.pop() else {
            return Ok(None);
        };
        self.records_all(vec![(&id.key, meta, reuse)])
            .pop()
            .expect("one answer per file")
    }

    /// For each file of a batch of the walk, whether its row is complete and unchanged since
    /// its records were made (see the module documentation), with its own record if so; and
    /// the rows of the files the walk passed by, which are gone. One range query under one
    /// lock of the state; the router asks this of every batch, and decoding the records of the
    /// unchanged files, and fetching their members' ([`State::records_all`]), is left to
    /// another thread.
    pub fn unchanged_all(
        &self,
        files: &[&Identity],
    ) -> Result<(Vec<Stored>, Vec<Gone>), StateError> {
        let mut found = vec![Stored::Nothing; files.len()];
        if self.reveal || files.is_empty() {
            return Ok((vec![Stored::Stale; files.len()], Vec::new()));
        }
        let keys: Vec<&[u8]> = files.iter().map(|id| id.key.as_slice()).collect();
        let order = sorted(&keys);
        let (lo, hi) = (keys[order[0]], keys[order[order.len() - 1]]);
        // A batch after the last in walk order takes the rows since the last: any not walked is
        // gone. One that goes back (nested roots) only looks its own files up.
        let (onward, from) = {
            let mut covered = self.covered.lock().unwrap_or_else(|p| p.into_inner());
            let onward =
                keys.windows(2).all(|w| w[0] < w[1]) && covered.as_deref().is_none_or(|c| lo > c);
            // The least key after `c` is `c` and a NUL.
            let from = match (onward, covered.as_ref()) {
                (true, Some(c)) => [c.as_slice(), &[0]].concat(),
                (true, None) => Vec::new(),
                (false, _) => lo.to_vec(),
            };
            raise(&mut covered, hi);
            (onward, from)
        };
        let mut gone = Vec::new();
        let conn = self.conn();
        let mut at = 0;
        let r: rusqlite::Result<()> = (|| {
            let mut stmt = conn.prepare_cached(
                "SELECT key, ino, size, mtime_ns, ctime_ns, checked, settings, version, complete,
                        members, own
                 FROM files WHERE key >= ?1 AND key <= ?2 ORDER BY key",
            )?;
            let mut rows = stmt.query(params![from, hi])?;
            while let Some(r) = rows.next()? {
                let k = r.get_ref(0)?.as_blob()?;
                while at < order.len() && keys[order[at]] < k {
                    at += 1;
                }
                let row = r.get::<_, i64>(8)?;
                let complete = row == COMPLETE;
                if at == order.len() || keys[order[at]] != k {
                    if onward && !self.is_unseen(k) {
                        gone.push(Gone {
                            key: k.to_vec(),
                            listed: (complete || row == LISTED) && !self.still_there(k),
                        });
                    }
                    continue;
                }
                let valid = complete
                    && self.settings.hold(r.get_ref(6)?.as_bytes()?)
                    && r.get_ref(7)?.as_bytes()? == env!("CARGO_PKG_VERSION").as_bytes();
                let stored = (
                    r.get::<_, i64>(1)? as u64,
                    r.get::<_, i64>(2)? as u64,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                );
                let checked: i64 = r.get(5)?;
                // The same path twice in a batch (nested roots) gets the same answer.
                while at < order.len() && keys[order[at]] == k {
                    let id = files[order[at]];
                    let unchanged = valid
                        && stored == (id.ino, id.size, id.mtime_ns, id.ctime_ns)
                        && !racy(id.mtime_ns, id.ctime_ns, checked);
                    // A complete row holds its own record; one without is not reused.
                    let own = match r.get_ref(10)? {
                        rusqlite::types::ValueRef::Blob(own) if unchanged => Some(own),
                        _ => None,
                    };
                    found[order[at]] = match own {
                        Some(own) => Stored::Same(Reuse {
                            own: own.to_vec(),
                            members: r.get(9)?,
                        }),
                        None => Stored::Stale,
                    };
                    at += 1;
                }
            }
            Ok(())
        })();
        r.map_err(self.err())?;
        Ok((found, gone))
    }

    /// For each unchanged file (its key, its `Meta` and what its lookup found), its stored
    /// records: its members', then its own, with its evidence (times, owner, mode) taken from
    /// its `Meta`, as reading it now would. `None` if its members' are not all stored. The
    /// members' records, which few files have, are fetched with one range query under one
    /// lock (none when no file has any) and all are decoded after it is released (the writer
    /// thread needs it meanwhile).
    pub fn records_all(
        &self,
        files: Vec<(&[u8], &Meta, Reuse)>,
    ) -> Vec<Result<Option<Vec<Kept>>, StateError>> {
        let keys: Vec<&[u8]> = files
            .iter()
            .filter(|(_, _, r)| r.members > 0)
            .map(|(k, _, _)| *k)
            .collect();
        let members = if keys.is_empty() {
            Ok(Vec::new())
        } else {
            let conn = self.conn();
            Self::records(&conn, &keys)
        };
        // One buffer for the fresh evidence of every file of the batch.
        let mut fresh = Vec::new();
        match members {
            Ok(members) => {
                let mut members = members.into_iter();
                files
                    .into_iter()
                    .map(|(_, meta, reuse)| {
                        let members = match reuse.members {
                            0 => Vec::new(),
                            _ => members.next().expect("members of each file that has them"),
                        };
                        if members.len() as i64 != reuse.members {
                            return Ok(None);
                        }
                        self.decode_all(members, reuse.own, meta, &mut fresh)
                            .map(Some)
                    })
                    .collect()
            }
            Err(e) => {
                let detail = e.to_string();
                files
                    .iter()
                    .map(|_| {
                        Err(StateError::Record {
                            path: self.path.clone(),
                            detail: detail.clone(),
                        })
                    })
                    .collect()
            }
        }
    }

    /// The stored records of members of the files with these keys, as stored, in order: the
    /// rows from the least key to the greatest, those of other files passed over unread.
    fn records(conn: &Connection, keys: &[&[u8]]) -> rusqlite::Result<Vec<Vec<Vec<u8>>>> {
        let mut out = vec![Vec::new(); keys.len()];
        if keys.is_empty() {
            return Ok(out);
        }
        let order = sorted(keys);
        let mut stmt = conn.prepare_cached(
            "SELECT key, data FROM records WHERE key >= ?1 AND key <= ?2 ORDER BY key, seq",
        )?;
        let mut rows = stmt.query(params![keys[order[0]], keys[order[order.len() - 1]]])?;
        let mut at = 0;
        while let Some(r) = rows.next()? {
            let k = r.get_ref(0)?.as_blob()?;
            while at < order.len() && keys[order[at]] < k {
                at += 1;
            }
            if at == order.len() {
                break;
            }
            if keys[order[at]] == k {
                let mut data: Vec<u8> = r.get(1)?;
                // The same path twice (nested roots) gets the records twice.
                let mut same = order[at..].iter().take_while(|&&i| keys[i] == k).peekable();
                while let Some(&i) = same.next() {
                    let copy = match same.peek() {
                        Some(_) => data.clone(),
                        None => std::mem::take(&mut data),
                    };
                    out[i].push(copy);
                }
            }
        }
        Ok(out)
    }

    /// The stored records of one unchanged file, its members' and then its own, as the scan
    /// hands them on ([`State::records_all`]).
    fn decode_all(
        &self,
        members: Vec<Vec<u8>>,
        own: Vec<u8>,
        meta: &Meta,
        fresh: &mut Vec<u8>,
    ) -> Result<Vec<Kept>, StateError> {
        let damaged = |detail| StateError::Record {
            path: self.path.clone(),
            detail,
        };
        // Its own record, the last, gets the file's evidence (times, owner, mode) as reading
        // it now would; a text, as the text holds it: its fields, flattened (in `fresh`).
        let fresh_text = self.text.then(|| {
            fresh.clear();
            FileMeta::write_fields(meta, fresh);
            fresh.as_slice()
        });
        let last = members.len() + 1;
        let mut out = Vec::with_capacity(last);
        for (i, b) in members.into_iter().chain([own]).enumerate() {
            let own = i + 1 == last;
            // As text when it goes on as serde writes it; a record with evidence that is not
            // its file's own, or not as serde writes one, is decoded whole.
            let text = match &fresh_text {
                Some(fresh_text) => {
                    let c = carry::text(b).map_err(|e| damaged(e.to_string()))?;
                    match (c.has_evidence(), own) {
                        (false, _) => Ok(c),
                        // A text's fresh evidence is in its text; what the totals read of it,
                        // the size, is the file's now (an unchanged file has the size it was
                        // stored with).
                        (true, true) => match evidence(c.json(), c.path_end()) {
                            Some(e) => {
                                let mut c = c;
                                // Nearly always the evidence it was stored with: an unchanged
                                // file's times, owner and mode are, unless it was read by
                                // something else since.
                                if c.json()[e.clone()] != **fresh_text {
                                    c.splice(e, fresh_text);
                                }
                                Ok(c)
                            }
                            None => Err(c.into_done()),
                        },
                        (true, false) => Err(c.into_done()),
                    }
                }
                None => Err(carry::whole(&b).map(|(_, done)| done)),
            };
            let kept = match text {
                Ok(c) => Kept::Text(c),
                Err(whole) => {
                    let mut done = whole.map_err(|e| damaged(e.to_string()))?;
                    if own && done.rec.meta.is_some() {
                        done.rec.meta = Some(FileMeta::from_metadata(meta));
                    }
                    Kept::Whole(Box::new(done))
                }
            };
            out.push(kept);
        }
        Ok(out)
    }

    /// The report that counts the files found gone ([`Writer::finish`]) is in place: the
    /// count starts again from zero, and the log is folded in again. A failure here leaves
    /// the count to be reported again by the next scan.
    pub fn reported(&self, removed: u64) {
        if self.reveal || removed == 0 {
            return;
        }
        let conn = self.conn();
        if conn
            .execute("DELETE FROM meta WHERE name = 'removed'", [])
            .is_ok()
        {
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
    }

    /// Folds the write-ahead log into the database, so the state is one file at rest: after
    /// [`Writer::finish`], while the scan writes its report. If it fails, the log stays
    /// beside the database, which reads it as part of itself.
    pub fn fold(&self) {
        if !self.reveal {
            let _ = self
                .conn()
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
    }

    /// The writer's side: what changes the state, as records arrive.
    pub fn writer(&self) -> Writer<'_> {
        Writer {
            state: self,
            jobs: foldhash::HashMap::default(),
            held: 0,
            ended: Vec::new(),
            gone: Vec::new(),
            pending: 0,
            open: false,
            since: None,
            unclocked: 0,
            counts: Incremental::default(),
            error: None,
            wal: None,
        }
    }
}

/// Writes the row of the file `id` (key `path`): `complete` is [`COMPLETE`], with the file's
/// own record and the number of its members' in `records`; or [`LISTED`] or 0, without.
fn write_row(
    c: &Connection,
    path: &[u8],
    id: &Identity,
    settings: &str,
    complete: i64,
    own: Option<(&[u8], i64)>,
) -> rusqlite::Result<()> {
    let (own, members) = own.unzip();
    c.prepare_cached(
        "INSERT OR REPLACE INTO files
         (key, dev, ino, size, mtime_ns, ctime_ns, checked, settings, version, complete,
          members, own)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        path,
        id.dev as i64,
        id.ino as i64,
        id.size as i64,
        id.mtime_ns,
        id.ctime_ns,
        id.checked,
        settings,
        env!("CARGO_PKG_VERSION"),
        complete,
        members.unwrap_or(0),
        own,
    ])?;
    Ok(())
}

/// Writes numbered records of the file with key `path`, each in place where a record of its
/// number was stored: a file read again dirties its rows' pages, not a page of the index and
/// one at the end of the table too (what a rescan waits for when it folds the log into the
/// database).
fn write_records(
    c: &Connection,
    path: &[u8],
    records: impl Iterator<Item = (i64, Vec<u8>)>,
) -> rusqlite::Result<()> {
    let mut stmt = c.prepare_cached(
        "INSERT INTO records (key, seq, data) VALUES (?1, ?2, ?3)
         ON CONFLICT (key, seq) DO UPDATE SET data = excluded.data",
    )?;
    for (seq, data) in records {
        stmt.execute(params![path, seq, data])?;
    }
    Ok(())
}

/// Writes the row of a file read to its end, with its own record (its last), and its
/// members' records held for it: so a file read whole costs its row once and each member's
/// record once.
fn write_ended(c: &Connection, mut j: Job, settings: &Settings) -> rusqlite::Result<()> {
    let path = j.id.key.as_slice();
    let settings = settings.of(j.engine);
    if j.keep {
        let own = match j.held.last() {
            Some((seq, _)) if *seq == j.seq => j.held.pop().map(|(_, own)| own),
            // Written already, with the row incomplete ([`Writer::write_held`]): moved into
            // the row.
            _ => c
                .prepare_cached("SELECT data FROM records WHERE key = ?1 AND seq = ?2")?
                .query_row(params![path, j.seq], |r| r.get(0))
                .optional()?,
        };
        let members = j.seq - 1;
        match &own {
            Some(own) => write_row(c, path, &j.id, settings, COMPLETE, Some((own, members)))?,
            // Not to be had (nothing else writes records): read again next time.
            None => write_row(c, path, &j.id, settings, 0, None)?,
        }
        write_records(c, path, j.held.drain(..))?;
        if j.id.known || j.row {
            // Records stored from this reading's own on are of an older version, or the own
            // record now in the row.
            c.prepare_cached("DELETE FROM records WHERE key = ?1 AND seq > ?2")?
                .execute(params![path, members])?;
        }
    } else {
        // Listed, to be read again next time: no records, and a row, so that a file gone by
        // then is counted as removed.
        write_row(c, path, &j.id, settings, LISTED, None)?;
        if j.id.known || j.row {
            c.prepare_cached("DELETE FROM records WHERE key = ?1")?
                .execute(params![path])?;
        }
    }
    Ok(())
}

/// A file being read, between its first record and its end.
struct Job {
    id: Identity,
    /// Records taken so far.
    seq: i64,
    /// False once a record shows a failure that is not kept.
    keep: bool,
    /// Records not yet written (numbered), held so that a file's rows are written at once
    /// when it ends: its row complete, with its records, in one go.
    held: Vec<(i64, Vec<u8>)>,
    /// Its row was written, incomplete, with records held too long.
    row: bool,
    /// A record of it was made while asking for the OCR engine ([`Settings`]).
    engine: bool,
}

/// Bytes of records the writer holds for files not yet ended, at most; beyond, they are
/// written with their files' rows marked incomplete.
const HELD_MAX: usize = 8 << 20;

/// Files ended or gone are written this many at a time, under one lock of the connection: it
/// is shared with the lookups and the reuse threads, and taking it once a file kept the writer
/// waiting 0.14 s of a 0.6 s rescan after 1 % of the tree's files changed.
const WRITE_EVERY: usize = 128;

/// Records and reused files between two looks at the clock ([`Writer::soon`]): a few
/// milliseconds' worth at the rate they arrive.
const CLOCK_EVERY: u32 = 64;

/// Changes the state as records arrive, in small transactions. After the first error it stops
/// writing (the scan goes on) and [`Writer::finish`] returns that error.
pub struct Writer<'s> {
    state: &'s State,
    /// By job number (ours, not the files'): foldhash, not SipHash, for a lookup per record.
    jobs: foldhash::HashMap<u64, Job>,
    /// Bytes of the records the jobs hold, ended or not.
    held: usize,
    /// Files ended, and rows gone, not yet written ([`WRITE_EVERY`]).
    ended: Vec<Job>,
    gone: Vec<Gone>,
    /// Files written in the open transaction.
    pending: usize,
    /// A transaction is open.
    open: bool,
    /// When the oldest change not yet committed came.
    since: Option<Instant>,
    /// Calls of [`Writer::soon`] since it last read the clock.
    unclocked: u32,
    counts: Incremental,
    error: Option<StateError>,
    /// The write-ahead log, opened by the writer to sync what each commit added to it on a
    /// thread of its own ([`Behind`]): with `synchronous = NORMAL` a commit does not sync,
    /// and a fold's sync of the log, in proportion to what it holds, waited 30 ms after a
    /// rescan where 1 % of the tree's files changed and up to 160 ms, under the
    /// connection's lock, in a first scan.
    wal: Option<(File, Behind)>,
}

impl Writer<'_> {
    /// Runs `f` inside the current write transaction (opened if none is).
    fn write(&mut self, f: impl FnOnce(&Connection) -> rusqlite::Result<()>) {
        if self.error.is_some() || self.state.reveal {
            return;
        }
        self.since.get_or_insert_with(Instant::now);
        let conn = self.state.conn();
        let r = (|| {
            if !self.open {
                conn.execute_batch("BEGIN IMMEDIATE")?;
                self.open = true;
            }
            f(&conn)
        })();
        drop(conn);
        if let Err(e) = r {
            self.error = Some(self.state.err()(e));
        }
    }

    /// Writes the files ended and the rows gone since the last time, under one lock.
    fn write_ended(&mut self) {
        if self.ended.is_empty() && self.gone.is_empty() {
            return;
        }
        let ended = std::mem::take(&mut self.ended);
        let gone = std::mem::take(&mut self.gone);
        let held: usize = ended
            .iter()
            .flat_map(|j| &j.held)
            .map(|(_, d)| d.len())
            .sum();
        self.held = self.held.saturating_sub(held);
        self.pending += ended.len() + gone.len();
        let state = self.state;
        let settings = &state.settings;
        let listed = gone.iter().filter(|g| g.listed).count() as i64;
        self.write(|c| {
            for j in ended {
                write_ended(c, j, settings)?;
            }
            for g in gone {
                c.prepare_cached("DELETE FROM records WHERE key = ?1")?
                    .execute(params![g.key])?;
                c.prepare_cached("DELETE FROM files WHERE key = ?1")?
                    .execute(params![g.key])?;
            }
            // Counted with the rows dropped, in their transaction: a scan killed after it
            // leaves them to be reported by the next scan that completes ([`Writer::finish`]).
            if listed > 0 {
                c.prepare_cached(
                    "INSERT INTO meta (name, value) VALUES ('removed', ?1)
                     ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                )?
                .execute(params![listed])?;
            }
            Ok(())
        });
    }

    fn commit(&mut self) {
        self.write_ended();
        self.since = None;
        self.pending = 0;
        if !std::mem::take(&mut self.open) {
            return;
        }
        // After a statement failed, what the transaction holds may be a file's row without
        // all of its records (the row is written first): it is let go, and those files are
        // read again next time.
        let end = if self.error.is_some() {
            "ROLLBACK"
        } else {
            "COMMIT"
        };
        if let Err(e) = self.state.conn().execute_batch(end) {
            self.error.get_or_insert(self.state.err()(e));
        }
        self.sync_log();
    }

    /// Asks for the log to be synced. Best effort: SQLite syncs it itself before a fold, on
    /// its own descriptor, which is told of a failed write-back whatever became of this one.
    fn sync_log(&mut self) {
        if self.wal.is_none() {
            let Ok(f) = File::open(self.state.log_path()) else {
                return;
            };
            self.wal = Some((f, Behind::default()));
        }
        if let Some((f, behind)) = &mut self.wal {
            behind.ask(f);
        }
    }

    /// Commits when enough has changed or the oldest change is old enough: called by the scan
    /// after each batch it takes and when it is idle, and by [`Writer::soon`].
    pub fn tick(&mut self) {
        self.unclocked = 0;
        if self.pending >= COMMIT_EVERY || self.since.is_some_and(|t| t.elapsed() >= COMMIT_AFTER) {
            self.commit();
        }
    }

    /// [`Writer::tick`] as records arrive: the clock is read every [`CLOCK_EVERY`] calls (and
    /// by the scan after each batch it takes). A rescan with changes pending calls this for
    /// every file it reuses, and reading the clock for each was 1 % of one after 1 % of the
    /// tree's files changed.
    fn soon(&mut self) {
        self.unclocked += 1;
        if self.pending >= COMMIT_EVERY || self.unclocked >= CLOCK_EVERY {
            self.tick();
        }
    }

    /// Something ended or went: written with others once there are enough.
    fn queued(&mut self) {
        self.since.get_or_insert_with(Instant::now);
        if self.ended.len() + self.gone.len() >= WRITE_EVERY {
            self.write_ended();
        }
        self.soon();
    }

    /// File `job` is about to be read. Its row is covered: the end of the scan does not take
    /// it for gone, looked up or not.
    pub fn begin(&mut self, job: u64, id: Identity) {
        raise(
            &mut self.state.covered.lock().unwrap_or_else(|p| p.into_inner()),
            &id.key,
        );
        self.jobs.insert(
            job,
            Job {
                id,
                seq: 0,
                keep: true,
                held: Vec::new(),
                row: false,
                engine: false,
            },
        );
    }

    /// A record of file `job` (a member's, or its own as the last).
    pub fn record(&mut self, job: u64, done: &Done) {
        let rec = &done.rec;
        let transient = transient(rec.status, rec.reason.as_deref());
        self.store(job, transient, rec.tally.engine, || encode(done));
    }

    /// [`Writer::record`] for a record that came as text (see [`Kept::Text`]).
    pub fn record_text(&mut self, c: &Carried) {
        let f = c.figures();
        self.store(c.job(), transient(f.status, f.reason), f.engine, || {
            c.stored()
        });
    }

    fn store(&mut self, job: u64, transient: bool, engine: bool, data: impl FnOnce() -> Vec<u8>) {
        let Some(j) = self.jobs.get_mut(&job) else {
            return;
        };
        j.keep &= !transient;
        j.engine |= engine;
        j.seq += 1;
        let data = data();
        self.held += data.len();
        j.held.push((j.seq, data));
        if self.held > HELD_MAX {
            self.write_held();
        }
        self.soon();
    }

    /// Writes the records held for files not yet ended, their rows incomplete: what was
    /// stored for their paths is never read meanwhile, and is written over record by record.
    fn write_held(&mut self) {
        self.write_ended();
        if self.held <= HELD_MAX {
            return;
        }
        let state = self.state;
        let settings = &state.settings;
        let mut jobs = std::mem::take(&mut self.jobs);
        self.write(|c| {
            for j in jobs.values_mut().filter(|j| !j.held.is_empty()) {
                let path = j.id.key.as_slice();
                if !j.row {
                    // A file the last inventory listed stays listed while it is read again:
                    // gone by the next scan, it is counted removed.
                    let listed = j.id.known
                        && c.prepare_cached(&format!(
                            "SELECT complete IN ({COMPLETE}, {LISTED}) FROM files WHERE key = ?1"
                        ))?
                        .query_row(params![path], |r| r.get::<_, bool>(0))
                        .optional()?
                        .unwrap_or(false);
                    let row = if listed { LISTED } else { 0 };
                    write_row(c, path, &j.id, settings.of(j.engine), row, None)?;
                    j.row = true;
                }
                write_records(c, path, j.held.drain(..))?;
            }
            Ok(())
        });
        // After an error nothing is written any more: what is held is let go all the same.
        jobs.values_mut().for_each(|j| j.held.clear());
        self.jobs = jobs;
        self.held = 0;
        self.pending += 1;
    }

    /// File `job` is done: its own record was its last. Its row and the records held for
    /// it are written together ([`write_ended`]), with other files' (see [`WRITE_EVERY`]).
    pub fn end(&mut self, job: u64) {
        let Some(j) = self.jobs.remove(&job) else {
            return;
        };
        self.counts.read += 1;
        if j.seq == 0 {
            return;
        }
        self.ended.push(j);
        self.queued();
    }

    /// The stored records of an unchanged file went to the report: nothing of it changes.
    pub fn reused(&mut self) {
        self.counts.reused += 1;
        // A rescan may reuse files for minutes on end: what changed before them is committed
        // on time all the same.
        self.soon();
    }

    /// The walk passed by the file of a row: it is gone.
    pub fn gone(&mut self, gone: Gone) {
        self.gone.push(gone);
        self.queued();
    }

    /// After a complete walk: the rows after the last file walked are files that are gone;
    /// they are counted and deleted. Returns the counts for the summary: removed are the files
    /// gone since the last scan whose report was made ([`State::reported`]), dropped by this
    /// scan or by scans killed or failed since.
    pub fn finish(mut self) -> Result<Incremental, StateError> {
        let after = self
            .state
            .covered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_default();
        let mut removed = 0;
        self.write_ended();
        let state = self.state;
        self.write(|c| {
            let mut after_all = c.prepare(&format!(
                "SELECT key, complete IN ({COMPLETE}, {LISTED}) FROM files WHERE key > ?1"
            ))?;
            let mut kept = Vec::new();
            for row in after_all.query_map(params![after], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, bool>(1)?))
            })? {
                let (k, listed) = row?;
                if state.is_unseen(&k) {
                    kept.push(k);
                } else {
                    removed += u64::from(listed && !state.still_there(&k));
                }
            }
            // The rows kept split the rest, in key order: above `after` and below the first
            // kept, between each kept and the next, and after the last (all of it when none
            // is kept).
            let mut from = after.clone();
            for upto in kept.into_iter().map(Some).chain([None]) {
                for table in ["records", "files"] {
                    match &upto {
                        Some(k) => c.execute(
                            &format!("DELETE FROM {table} WHERE key > ?1 AND key < ?2"),
                            params![from, k],
                        )?,
                        None => c.execute(
                            &format!("DELETE FROM {table} WHERE key > ?1"),
                            params![from],
                        )?,
                    };
                }
                if let Some(k) = upto {
                    from = k;
                }
            }
            // Kept with the others found gone until the report that counts them is in place
            // ([`State::reported`]): a scan that fails or is killed before that leaves them to
            // the next.
            if removed > 0 {
                c.execute(
                    "INSERT INTO meta (name, value) VALUES ('removed', ?1)
                     ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                    params![removed as i64],
                )?;
            }
            let dropped: Option<i64> = c
                .query_row("SELECT value FROM meta WHERE name = 'removed'", [], |r| {
                    r.get(0)
                })
                .optional()?;
            removed = dropped.unwrap_or(0).max(0) as u64;
            Ok(())
        });
        self.commit();
        if let Some(e) = self.error {
            return Err(e);
        }
        self.counts.removed = removed;
        Ok(self.counts)
    }

    /// Commits what is pending, for a scan that ends early.
    pub fn close(mut self) -> Option<StateError> {
        self.commit();
        self.error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::FileRecord;
    use crate::walk::{Entry, Exclude, Walk};

    #[test]
    fn the_key_past_a_root_is_above_all_inside_it_and_below_the_next_root() {
        for root in ["/srv/a", "/srv/a/", "/srv/a//", "/", "rel/dir", "file.txt"] {
            let root = Path::new(root);
            let end = past(root);
            assert!(key(root) < end, "{root:?}");
            for inside in ["x", "x/y", "\u{ff}", "\u{10ffff}/z"] {
                assert!(key(&root.join(inside)) < end, "{root:?} {inside}");
            }
        }
        for (root, next) in [
            ("/srv/a", "/srv/b"),
            ("/srv/a/", "/srv/a0"),
            ("/srv/a", "/srv/a.d"),
        ] {
            assert!(past(Path::new(root)) < key(&Path::new(next).join("x")));
        }
    }

    /// The engine's hash is made only for a row that is not of the plain settings, and once.
    #[test]
    fn the_engine_is_asked_for_only_by_rows_that_need_it() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let asked = Arc::new(AtomicUsize::new(0));
        let counted = asked.clone();
        let s = Settings::new("plain".into(), move || {
            counted.fetch_add(1, Ordering::Relaxed);
            "engine".into()
        });
        assert!(s.hold(b"plain"));
        assert_eq!(s.of(false), "plain");
        assert_eq!(asked.load(Ordering::Relaxed), 0);
        assert!(s.hold(b"engine"));
        assert!(!s.hold(b"other"));
        assert_eq!(s.of(true), "engine");
        assert_eq!(asked.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_new_state_is_made_with_pages_of_its_own_size() {
        let dir = tempfile::tempdir().unwrap();
        let st = opened(&dir.path().join("s.state"));
        let size: i64 = st
            .conn()
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap();
        assert_eq!(size, PAGE_SIZE);
    }

    /// A state at `db`, begun for one scope and settings.
    fn opened(db: &Path) -> State {
        let mut st = State::open(db).unwrap();
        st.begin("scope", "settings".into(), false).unwrap();
        st
    }

    fn meta_of(path: &Path) -> Meta {
        let mut found = None;
        Walk::new(false, Exclude::new(&[], Vec::new()).unwrap()).run(path, &mut |e| {
            if let Entry::File { meta, .. } = e {
                found = Some(meta);
            }
        });
        found.expect("a regular file")
    }

    fn done(path: &str, status: Status, reason: Option<&str>) -> Done {
        let mut rec = FileRecord::new(path.into(), None);
        rec.status = status;
        rec.reason = reason.map(str::to_string);
        Done {
            rec,
            bytes: 7,
            noatime: Some(true),
        }
    }

    /// A file's own record: with its evidence, which a member's record has not.
    fn own(path: &str, status: Status, meta: &Meta) -> Done {
        let mut d = done(path, status, None);
        d.rec.meta = Some(FileMeta::from_metadata(meta));
        d
    }

    #[test]
    fn the_same_roots_in_another_order_or_with_a_last_slash_are_the_same_scope() {
        let (_dir, _, _, db) = a_file("f.txt");
        let scope = |roots: &str, shard: &str| format!(r#"{{"roots":{roots},"shard":{shard}}}"#);
        let mut st = State::open(&db).unwrap();
        // As states made before scopes were sorted hold them: in command-line order.
        st.begin(&scope(r#"["b","a"]"#, "null"), "s".into(), false)
            .unwrap();
        drop(st);
        let mut st = State::open(&db).unwrap();
        st.begin(&scope(r#"["a","b"]"#, "null"), "s".into(), false)
            .unwrap();
        drop(st);
        // A root with its last `/`, as a shell's completion gives it: the same files.
        let mut st = State::open(&db).unwrap();
        st.begin(&scope(r#"["a/","b"]"#, "null"), "s".into(), false)
            .unwrap();
        for (roots, shard) in [
            (r#"["a//","b"]"#, "null"),
            (r#"["a","c"]"#, "null"),
            (r#"["a"]"#, "null"),
            (r#"["a","b"]"#, r#""0/2""#),
        ] {
            assert!(
                matches!(
                    st.begin(&scope(roots, shard), "s".into(), false),
                    Err(StateError::Scope { .. })
                ),
                "{roots} {shard}"
            );
        }
    }

    #[test]
    fn keys_sort_as_the_walk_visits_files() {
        use rand::{Rng, SeedableRng};
        // Names that sort around `/` (0x2f): before it (space, `-`, `.`), after it, and bytes
        // above ASCII; directories and files of the same stems.
        let parts = ["a", "a.txt", "a-b", "a b", "a0", "ab", "Z", "å", "a.", "-"];
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            for _ in 0..40 {
                let depth = rng.gen_range(1..4);
                let mut p = dir.path().to_path_buf();
                for _ in 0..depth {
                    p.push(parts[rng.gen_range(0..parts.len())]);
                }
                // A name already taken by a file cannot be a directory, and the reverse.
                if std::fs::create_dir_all(p.parent().unwrap()).is_ok() && !p.is_dir() {
                    std::fs::write(&p, "x").unwrap();
                }
            }
            let mut keys = Vec::new();
            Walk::new(false, Exclude::new(&[], Vec::new()).unwrap()).run(dir.path(), &mut |e| {
                if let Entry::File { path, .. } = e {
                    keys.push(key(&path));
                }
            });
            assert!(keys.len() > 10);
            assert!(
                keys.windows(2).all(|w| w[0] < w[1]),
                "walk order is key order"
            );
        }
    }

    #[test]
    fn a_change_in_the_second_the_file_was_looked_at_is_racy() {
        let s = 1_000_000_000;
        assert!(
            !racy(99 * s + 999_999_999, 50 * s, 100),
            "the second before"
        );
        assert!(racy(100 * s, 50 * s, 100), "the same second");
        assert!(racy(50 * s, 100 * s + 500, 100), "ctime in the same second");
        assert!(racy(101 * s, 50 * s, 100), "later");
    }

    /// A new directory holding the file `name` and the path of a state beside it; the file's
    /// metadata, and its identity as a walk that looked at it a minute after it was written
    /// sees it.
    fn a_file(name: &str) -> (tempfile::TempDir, Meta, Identity, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(name);
        std::fs::write(&file, "x").unwrap();
        let meta = meta_of(&file);
        let id = Identity::new(file, &meta, meta.mtime().max(meta.ctime()) + 60);
        let db = dir.path().join("s.state");
        (dir, meta, id, db)
    }

    #[test]
    fn a_file_is_reused_only_once_its_own_record_is_in() {
        let (_dir, meta, id, db) = a_file("f.txt");

        let st = opened(&db);
        let mut w = st.writer();
        w.begin(1, id.clone());
        w.record(1, &done("f.txt!/member", Status::Scanned, None));
        // Killed before the file's own record: nothing of it is reused.
        assert!(w.close().is_none());
        assert!(st.lookup(&id, &meta).unwrap().is_none());

        let mut w = st.writer();
        w.begin(2, id.clone());
        w.record(2, &done("f.txt!/member", Status::Scanned, None));
        w.record(2, &own("f.txt", Status::Scanned, &meta));
        w.end(2);
        assert_eq!(
            w.finish().unwrap(),
            Incremental {
                reused: 0,
                read: 1,
                removed: 0
            }
        );
        drop(st);

        let mut st = opened(&db);
        let recs = st.lookup(&id, &meta).unwrap().expect("unchanged");
        let paths: Vec<&str> = recs.iter().map(|k| k.done().rec.path.as_str()).collect();
        assert_eq!(
            paths,
            ["f.txt!/member", "f.txt"],
            "members first, its own last"
        );
        assert_eq!(
            (recs[1].done().bytes, recs[1].done().noatime),
            (7, Some(true))
        );
        // Another size, other settings: read again.
        let mut other = id.clone();
        other.size += 1;
        assert!(st.lookup(&other, &meta).unwrap().is_none());
        st.settings = "other".into();
        assert!(st.lookup(&id, &meta).unwrap().is_none());
        drop(st);

        // A failure that may pass is not kept; and a scan that does not see the file removes it.
        let st = opened(&db);
        let mut w = st.writer();
        w.begin(3, id.clone());
        w.record(3, &done("f.txt", Status::Error, Some("timeout")));
        w.end(3);
        assert_eq!(w.finish().unwrap().removed, 0);
        assert!(st.lookup(&id, &meta).unwrap().is_none());
        let mut st2 = st;
        st2.begin("scope", "settings".into(), false).unwrap();
        assert_eq!(
            st2.writer().finish().unwrap().removed,
            1,
            "a file listed with a failure that may pass was in the inventory"
        );
        let count: i64 = st2
            .conn()
            .query_row("SELECT count(*) FROM files", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 0);
    }

    #[test]
    fn files_found_gone_by_a_scan_that_stops_are_reported_by_the_next_that_completes() {
        let (_dir, meta, id, db) = a_file("f.txt");
        let st = opened(&db);
        let mut w = st.writer();
        w.begin(1, id.clone());
        w.record(1, &own("f.txt", Status::Scanned, &meta));
        w.end(1);
        w.finish().unwrap();

        // A scan finds the file gone, drops its row, commits, and stops (killed, or failed).
        let mut w = st.writer();
        w.gone(Gone {
            key: key(&id.path),
            listed: true,
        });
        assert!(w.close().is_none());
        assert_eq!(st.unchanged_all(&[&id]).unwrap().0, [Stored::Nothing]);
        drop(st);
        // The next scan finds nothing gone itself, and counts it; if its report is not made,
        // the one after counts it again; once a report is made, nothing.
        let st = opened(&db);
        assert_eq!(st.writer().finish().unwrap().removed, 1);
        assert_eq!(st.writer().finish().unwrap().removed, 1);
        st.reported(1);
        assert_eq!(st.writer().finish().unwrap().removed, 0);
    }

    #[test]
    fn files_ended_are_written_in_groups_and_all_kept_when_a_scan_stops() {
        // More files than one group, and a group left over: a scan that stops (killed between
        // commits, or at its end) keeps every file it ended, whichever group it was in.
        let dir = tempfile::tempdir().unwrap();
        let n = 2 * WRITE_EVERY + 3;
        let files: Vec<(Meta, Identity)> = (0..n)
            .map(|i| {
                let file = dir.path().join(format!("f{i:04}.txt"));
                std::fs::write(&file, "x").unwrap();
                let meta = meta_of(&file);
                let id = Identity::new(file, &meta, meta.mtime().max(meta.ctime()) + 60);
                (meta, id)
            })
            .collect();
        let db = dir.path().join("s.state");
        let st = opened(&db);
        let mut w = st.writer();
        for (job, (meta, id)) in (1..).zip(&files) {
            w.begin(job, id.clone());
            let name = id.path.file_name().unwrap().to_string_lossy();
            w.record(job, &own(&name, Status::Scanned, meta));
            w.end(job);
        }
        // One more begun and not ended: not kept.
        let open = dir.path().join("open.txt");
        std::fs::write(&open, "x").unwrap();
        let open_meta = meta_of(&open);
        let open_id = Identity::new(open, &open_meta, open_meta.mtime() + 60);
        w.begin(n as u64 + 1, open_id.clone());
        w.record(n as u64 + 1, &own("open.txt", Status::Scanned, &open_meta));
        assert!(w.close().is_none());
        drop(st);

        let st = opened(&db);
        for (meta, id) in &files {
            let recs = st.lookup(id, meta).unwrap();
            assert_eq!(recs.map(|r| r.len()), Some(1), "{}", id.path.display());
        }
        assert!(st.lookup(&open_id, &open_meta).unwrap().is_none());
        // And through `finish`: ended files are counted and written before it ends.
        let mut w = st.writer();
        for (job, (meta, id)) in (1..).zip(files.iter().take(3)) {
            w.begin(job, id.clone());
            w.record(job, &own("again", Status::Scanned, meta));
            w.end(job);
        }
        assert_eq!(w.finish().unwrap().read, 3);
        let recs = st.lookup(&files[0].1, &files[0].0).unwrap().expect("kept");
        assert_eq!(recs[0].done().rec.path, "again");
    }

    #[test]
    fn a_change_is_committed_on_time_while_files_are_reused() {
        let (_dir, meta, id, db) = a_file("f.txt");
        let st = opened(&db);
        let mut w = st.writer();
        w.begin(1, id.clone());
        w.record(1, &own("f.txt", Status::Scanned, &meta));
        w.end(1);
        // Then only reused files, for longer than a commit may wait, and the scan is killed:
        // the writer is never closed, and what was not committed is lost with the connection.
        // (The clock is looked at every CLOCK_EVERY files.)
        std::thread::sleep(COMMIT_AFTER + Duration::from_millis(20));
        (0..CLOCK_EVERY).for_each(|_| w.reused());
        std::mem::forget(w);
        drop(st);
        let st = opened(&db);
        assert!(st.lookup(&id, &meta).unwrap().is_some(), "committed");
    }

    #[test]
    fn a_file_whose_records_failed_to_be_written_is_not_kept_half_written() {
        let (dir, meta, id, db) = a_file("f.txt");
        let st = opened(&db);
        let mut w = st.writer();
        w.begin(1, id.clone());
        w.record(1, &done("f.txt!/old", Status::Scanned, None));
        w.record(1, &own("f.txt", Status::Scanned, &meta));
        w.end(1);
        w.finish().unwrap();

        // The file changes; writing its new member's record fails (as a full disk would) after
        // its row, with its own record, was written.
        let file = dir.path().join("f.txt");
        std::fs::write(&file, "changed").unwrap();
        let meta2 = meta_of(&file);
        let mut id2 = Identity::new(file, &meta2, meta2.mtime().max(meta2.ctime()) + 60);
        id2.known = true;
        st.conn()
            .execute_batch(
                "CREATE TRIGGER full BEFORE INSERT ON records BEGIN SELECT RAISE(ABORT, 'full'); END;
                 CREATE TRIGGER full2 BEFORE UPDATE ON records BEGIN SELECT RAISE(ABORT, 'full'); END;",
            )
            .unwrap();
        let mut w = st.writer();
        w.begin(2, id2.clone());
        w.record(2, &done("f.txt!/new", Status::Scanned, None));
        w.record(2, &own("f.txt", Status::Scanned, &meta2));
        w.end(2);
        assert!(w.finish().is_err());
        st.conn()
            .execute_batch("DROP TRIGGER full; DROP TRIGGER full2;")
            .unwrap();
        // The new version is not reused (its row with the old version's records); the state
        // holds the old version whole, as before the failed write.
        assert!(
            st.lookup(&id2, &meta2).unwrap().is_none(),
            "not half written"
        );
        let old = st.lookup(&id, &meta).unwrap().expect("the old version");
        assert_eq!(old.len(), 2);
    }

    /// A file's records as the scanner makes them: a member with findings in a table column,
    /// and the file's own record, with more findings than are listed, a retention verdict and
    /// the evidence it was read with.
    fn scanned(path: &str, meta: &Meta) -> Vec<Done> {
        let opts = super::super::Options {
            max_findings_per_file: 2,
            ..Default::default()
        };
        let det = crate::detect::Detector::builtin();
        let key = crate::report::mask::HashKey::provided(b"test".to_vec());
        let scanner = super::super::Scanner::new(&opts, &det, &key);
        let mut table = String::from("navn;fnr\n");
        let mut rng = crate::synth::Rng::new(11);
        for _ in 0..3 {
            let fnr = crate::synth::identity_number(&mut rng, Default::default());
            table.push_str(&format!("Kari;{fnr}\n"));
        }
        let mut out = Vec::new();
        scanner.bytes(&format!("{path}!/liste.csv"), table.as_bytes(), &mut |d| {
            out.push(d)
        });
        scanner.bytes(path, table.as_bytes(), &mut |d| out.push(d));
        // What only the reading needs does not travel with a record.
        for d in &mut out {
            d.rec.tally.columns = Default::default();
        }
        let own = &mut out.last_mut().expect("its own record").rec;
        // Read at another moment than now: the evidence a rescan gives it is the file's now.
        own.meta = Some(FileMeta {
            accessed: "2001-01-01T00:00:00Z".into(),
            ..FileMeta::from_metadata(meta)
        });
        own.retention = Some(
            serde_json::from_value(serde_json::json!({
                "policy": "kurs", "verdict": "overdue", "findings_overdue": 3
            }))
            .unwrap(),
        );
        out
    }

    #[test]
    fn a_file_read_again_keeps_only_its_new_records() {
        let (_dir, meta, id, db) = a_file("a.zip");
        let st = opened(&db);
        let its_own = |status| own("a.zip", status, &meta);
        let paths = |st: &State, id: &Identity| -> Option<Vec<(String, Status)>> {
            let recs = st.lookup(id, &meta).unwrap()?;
            Some(
                recs.iter()
                    .map(|k| (k.done().rec.path.clone(), k.done().rec.status))
                    .collect(),
            )
        };
        let read = |st: &State, job, id: &Identity, recs: &[Done], end: bool| {
            let mut w = st.writer();
            w.begin(job, id.clone());
            for d in recs {
                w.record(job, d);
            }
            if end {
                w.end(job);
                w.finish().unwrap();
            } else {
                assert!(w.close().is_none());
            }
        };
        let member = |name: &str, status| done(&format!("a.zip!/{name}"), status, None);
        read(
            &st,
            1,
            &id,
            &[
                member("x", Status::Scanned),
                member("y", Status::Scanned),
                its_own(Status::Scanned),
            ],
            true,
        );
        assert_eq!(paths(&st, &id).unwrap().len(), 3);

        // Read again with one member fewer: the stored third record is not kept.
        read(
            &st,
            2,
            &id,
            &[member("y", Status::Partial), its_own(Status::Partial)],
            true,
        );
        assert_eq!(
            paths(&st, &id).unwrap(),
            [
                ("a.zip!/y".to_string(), Status::Partial),
                ("a.zip".to_string(), Status::Partial)
            ]
        );
        // Changed, and killed after a member: nothing of it is reused as it is now.
        let changed = Identity {
            size: id.size + 1,
            ..id.clone()
        };
        read(&st, 3, &changed, &[member("z", Status::Scanned)], false);
        assert_eq!(paths(&st, &changed), None);
        // Read whole again: exactly its records.
        read(
            &st,
            4,
            &changed,
            &[
                member("z", Status::Scanned),
                member("w", Status::Scanned),
                member("v", Status::Scanned),
                its_own(Status::Scanned),
            ],
            true,
        );
        let names: Vec<String> = paths(&st, &changed)
            .unwrap()
            .into_iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(names, ["a.zip!/z", "a.zip!/w", "a.zip!/v", "a.zip"]);
    }

    #[test]
    fn records_held_past_the_bound_are_written_incomplete_and_never_reused_alone() {
        let (_dir, meta, id, db) = a_file("big.zip");
        let st = opened(&db);
        let rows = |st: &State| -> i64 {
            st.conn()
                .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
                .unwrap()
        };
        // Members of a MiB each: past the bound, what is held is written.
        let member = |i: usize| {
            let mut d = done(&format!("big.zip!/m{i}"), Status::Scanned, None);
            d.rec.detail = Some("x".repeat(1 << 20));
            d
        };
        let mut w = st.writer();
        w.begin(1, id.clone());
        for i in 0..8 {
            w.record(1, &member(i));
        }
        assert_eq!(w.held, 0, "written, not held");
        // Killed before the file's own record: its rows are there, and not reused.
        assert!(w.close().is_none());
        assert_eq!(rows(&st), 8);
        assert!(st.lookup(&id, &meta).unwrap().is_none());
        // The lookup of the next scan finds the incomplete row: the file is known, and its
        // reading replaces every record.
        let (found, _) = st.unchanged_all(&[&id]).unwrap();
        assert_eq!(found, [Stored::Stale]);
        let mut w = st.writer();
        w.begin(2, id.clone());
        w.record(2, &done("big.zip!/m0", Status::Scanned, None));
        w.record(2, &own("big.zip", Status::Scanned, &meta));
        assert!(w.held > 0, "a file's records are held until it ends");
        w.end(2);
        w.finish().unwrap();
        assert_eq!(
            rows(&st),
            1,
            "the member's: its own record is in the file's row"
        );
        let recs = st.lookup(&id, &meta).unwrap().expect("complete");
        assert_eq!(recs.len(), 2);
        // A file the state never held is looked up as nothing.
        let (other_dir, _, other, _) = a_file("new.txt");
        assert_eq!(st.unchanged_all(&[&other]).unwrap().0, [Stored::Nothing]);
        drop(other_dir);

        // Read again (it changed) and killed past the bound: listed in the last inventory,
        // it stays listed, so once it is gone it is counted removed.
        let mut w = st.writer();
        let mut again = id.clone();
        again.known = true;
        w.begin(3, again);
        for i in 0..9 {
            w.record(3, &member(i));
        }
        assert!(w.close().is_none());
        let complete: i64 = st
            .conn()
            .query_row("SELECT complete FROM files", [], |r| r.get(0))
            .unwrap();
        assert_eq!(complete, LISTED);
        drop(st);
        let st = opened(&db);
        assert_eq!(
            st.writer().finish().unwrap().removed,
            1,
            "gone: nothing walked"
        );
    }

    #[test]
    fn an_own_record_written_before_its_file_ended_is_moved_into_its_row() {
        let (_dir, meta, id, db) = a_file("big.zip");
        let st = opened(&db);
        let big = |mut d: Done| {
            d.rec.detail = Some("x".repeat(1 << 20));
            d
        };
        // 15 members of a MiB: the first 8 are written past the bound, the next 7 held, and
        // the file's own record takes what is held past the bound again before the file ends.
        let mut w = st.writer();
        w.begin(1, id.clone());
        for i in 0..15 {
            w.record(
                1,
                &big(done(&format!("big.zip!/m{i}"), Status::Scanned, None)),
            );
        }
        w.record(1, &big(own("big.zip", Status::Scanned, &meta)));
        assert_eq!(w.held, 0, "its own record written too");
        w.end(1);
        w.finish().unwrap();
        let (records, members): (i64, i64) = st
            .conn()
            .query_row(
                "SELECT (SELECT count(*) FROM records), members FROM files",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((records, members), (15, 15));
        let recs = st.lookup(&id, &meta).unwrap().expect("complete");
        assert_eq!(recs.len(), 16);
        assert_eq!(recs[15].done().rec.path, "big.zip", "its own last");

        // A member's record lost (a state damaged by hand): the file is read again, not
        // reported without it.
        st.conn()
            .execute("DELETE FROM records WHERE seq = 3", [])
            .unwrap();
        assert!(st.lookup(&id, &meta).unwrap().is_none());
    }

    #[test]
    fn records_handed_on_as_text_are_written_and_counted_as_the_records_themselves() {
        let (_dir, meta, id, db) = a_file("f.csv");
        let mut recs = scanned("f.csv", &meta);
        let own = &recs.last().unwrap().rec;
        assert!(own.findings_truncated && !own.columns.is_empty() && own.findings.len() == 2);
        assert!(recs[0].rec.meta.is_none() && !recs[0].rec.findings.is_empty());

        let mut st = opened(&db);
        let mut w = st.writer();
        w.begin(1, id.clone());
        for d in &recs {
            w.record(1, d);
        }
        w.end(1);
        w.finish().unwrap();

        // Reused, its own record gets the file's evidence as it is now.
        recs.last_mut().unwrap().rec.meta = Some(FileMeta::from_metadata(&meta));
        st.hand_on_text(true);
        let text = st.lookup(&id, &meta).unwrap().expect("unchanged");
        st.hand_on_text(false);
        let whole = st.lookup(&id, &meta).unwrap().expect("unchanged");
        let totals = || {
            let mut t = crate::report::Totals::default();
            let day = chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
            t.summary.retention = Some(crate::report::RetentionSummary::new(day, ["kurs"]));
            t
        };
        let (mut by_text, mut by_record) = (totals(), totals());
        for ((t, w), d) in text.iter().zip(&whole).zip(&recs) {
            let (Kept::Text(c), Kept::Whole(whole)) = (t, w) else {
                panic!("{t:?} {w:?}");
            };
            assert_eq!(whole.rec, d.rec, "decoded whole, the record itself");
            assert_eq!(
                std::str::from_utf8(c.json()).unwrap(),
                serde_json::to_string(&d.rec).unwrap(),
                "the text is what the inventory writes of the record"
            );
            assert_eq!(c.path(), d.rec.path);
            by_text.add(c.figures(), c.bytes(), c.noatime());
            by_record.add(d.rec.figures(), d.bytes, d.noatime);
        }
        assert_eq!(
            (by_text.personal, by_text.unscanned),
            (by_record.personal, by_record.unscanned)
        );
        let summary = |t: &mut crate::report::Totals| serde_json::to_value(t.finish()).unwrap();
        let want = summary(&mut by_record);
        assert_eq!(
            summary(&mut by_text),
            want,
            "from the head beside the record"
        );
    }
}
