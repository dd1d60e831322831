//! The scan: walk → read → extract → detect → report, wired together.
//!
//! One thread walks and feeds a bounded queue; a rayon pool of `--threads` workers takes files
//! from it (more workers than cores by default, because on SMB/NFS a file costs round trips
//! rather than CPU); each worker reads, extracts and detects one file and sends its record to
//! the calling thread, which alone writes the report. Every path yields exactly one record.
//!
//! With `--state` ([`state`]), the router asks the state which files of each batch are
//! unchanged before the others are handed out, and learns which rows the walk passed by (files
//! that are gone); reuse threads fetch and decode the stored records of the unchanged ones
//! for the writer, which also keeps the state (every record of a file read, the file's
//! identity once its own record is in, the rows of files that are gone).
//!
//! Bound for a JSON inventory and changed by nothing on the way (`--find`, `--decisions`), a
//! record goes to the inventory (and to the state) as the text a worker sent or the state
//! kept, and only what the totals read is decoded ([`Out::Text`]).

use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

use rayon::iter::{ParallelBridge, ParallelIterator};
use serde::{Deserialize, Serialize};

use crate::detect::{Confidence, Detector};
use crate::extract::Limits;
use crate::read;
use crate::report::mask::HashKey;
use crate::report::progress::Progress;
use crate::report::{FileRecord, Report, Summary, Totals};
use crate::walk::{Entry, Exclude, Shard, Walk};
use state::{Identity, State, StateError};
use wire::Job;

/// What the scan does, from the command line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Options {
    #[serde(with = "crate::walk::raw::many")]
    pub roots: Vec<PathBuf>,
    pub threads: usize,
    pub follow: bool,
    pub exclude: Vec<String>,
    pub max_file_size: Option<u64>,
    pub min_confidence: Confidence,
    pub reveal: bool,
    pub max_findings_per_file: usize,
    /// Limits for each top-level file and what is nested in it.
    pub limits: Limits,
    /// Extra rules (`--rules DIR`), which worker processes load too.
    #[serde(with = "crate::walk::raw::maybe")]
    pub rules_dir: Option<PathBuf>,
    pub isolation: Isolation,
    /// The retention review (`--policy`): worker processes give each record its verdict.
    #[serde(default)]
    pub retention: Option<crate::retain::Config>,
    /// What the configuration declares synthetic (`[synthetic]` in `.kartlegg.toml`).
    pub synthetic: crate::config::Synthetic,
    /// Only this shard of the files (`--shard I/N`); workers do not need it.
    #[serde(skip)]
    pub shard: Option<Shard>,
}

/// Where files are read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Isolation {
    /// In worker processes, the default: a parser that crashes, exhausts the memory budget
    /// or hangs costs its file (recorded with the reason), never the scan. See [`pool`].
    Processes {
        /// Heap bytes all workers together may hold (`--max-memory`).
        max_memory: u64,
        /// Seconds one read or open may block (`--read-timeout`).
        read_timeout: u64,
    },
    /// In threads of the calling process: for library use, benchmarks and tests of the
    /// readers themselves.
    Threads,
}

/// The memory budget of all worker processes together: with the scan's own memory, a scan
/// stays under 200 MB.
pub const DEFAULT_MAX_MEMORY: u64 = 128 << 20;

/// Seconds a read or open may block before the file is given up.
pub const DEFAULT_READ_TIMEOUT: u64 = 60;

impl Default for Isolation {
    fn default() -> Self {
        Isolation::Processes {
            max_memory: DEFAULT_MAX_MEMORY,
            read_timeout: DEFAULT_READ_TIMEOUT,
        }
    }
}

impl Options {
    /// How long one system call of the walk may block before its root is given up:
    /// `--read-timeout` (which only worker processes take for reading; threads keep the
    /// default for the walk).
    pub fn walk_timeout(&self) -> Duration {
        let secs = match self.isolation {
            Isolation::Processes { read_timeout, .. } => read_timeout,
            Isolation::Threads => DEFAULT_READ_TIMEOUT,
        };
        Duration::from_secs(secs)
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            roots: Vec::new(),
            threads: default_threads(&[]),
            follow: false,
            exclude: Vec::new(),
            max_file_size: None,
            min_confidence: Confidence::Medium,
            reveal: false,
            max_findings_per_file: 10_000,
            limits: Limits::default(),
            rules_dir: None,
            isolation: Isolation::default(),
            retention: None,
            synthetic: crate::config::Synthetic::default(),
            shard: None,
        }
    }
}

/// Files read at once unless `--threads` says. Where a root is on a network share (NFS,
/// SMB...), two per core, 4 to 32: enough reads in flight to hide its round trips without
/// thrashing its server. Where all are on local file systems, one per core, 2 to 32: a read
/// there costs CPU, not waiting, and a second worker per core only takes turns with the
/// first (on two cores, half of a tree scan's 14,900 context switches were preemptions).
pub fn default_threads(roots: &[PathBuf]) -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    if any_on_network(roots) {
        (cores * 2).clamp(4, 32)
    } else {
        cores.clamp(2, 32)
    }
}

/// How long the file systems of the roots are waited for ([`any_on_network`]).
const FS_ANSWER: Duration = Duration::from_secs(5);

/// Whether some root is on a network share. Asked in a thread of its own and waited for
/// [`FS_ANSWER`] at most: on a dead share `statfs` blocks for good, so a root that does not
/// answer counts as one (and the check of the roots then fails it, as it does now). No roots
/// (the options' default, the gate's blobs) ask nothing.
fn any_on_network(roots: &[PathBuf]) -> bool {
    if roots.is_empty() {
        return false;
    }
    let (tx, rx) = crossbeam_channel::bounded(1);
    let owned = roots.to_vec();
    let asked = std::thread::Builder::new()
        .name("kartlegg-fs".into())
        .spawn(move || {
            let _ = tx.send(owned.iter().any(|r| crate::walk::on_network_fs(r)));
        });
    asked.is_ok() && rx.recv_timeout(FS_ANSWER).unwrap_or(true)
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("cannot scan {path}: {source}")]
    Root { path: PathBuf, source: io::Error },
    #[error("bad --exclude pattern: {0}")]
    Exclude(#[from] globset::Error),
    #[error("cannot write the report: {0}")]
    Report(io::Error),
    #[error("cannot start worker threads: {0}")]
    Threads(String),
    #[error("worker processes: {0}")]
    Workers(io::Error),
    #[error(transparent)]
    State(#[from] StateError),
}

/// The result of a scan, for the exit code.
#[derive(Debug)]
pub struct Outcome {
    pub summary: Summary,
    /// Non-synthetic findings at the reported confidence.
    pub personal: u64,
    /// Files not read completely (partial, error, encrypted, unsupported, limit, too large).
    pub unscanned: u64,
}

mod barren;
pub(crate) mod carry;
pub mod memory;
pub(crate) mod pool;
mod scanner;
pub(crate) mod state;
mod walker;
pub(crate) mod wire;
pub(crate) mod worker;

pub use carry::Carried;
pub use scanner::{mask_names, Emit, Scanner};

/// A processed file on its way to the writer.
#[derive(Debug)]
pub struct Done {
    pub rec: FileRecord,
    /// Bytes read for this record (a container's own bytes; members count their own).
    pub bytes: u64,
    /// For a file opened from disk: whether O_NOATIME protected its access time.
    pub noatime: Option<bool>,
}

/// What reaches the writer thread. Job ids are the router's numbers of files on disk (0 for
/// a record that belongs to no file read: a symlink, a directory that could not be read).
#[derive(Debug)]
pub enum Out {
    /// A record (members of a file before its own).
    Record(u64, Box<Done>),
    /// With a state: file `.0` is about to be read; its identity as the walk saw it.
    Begin(u64, Identity),
    /// File `.0` is done: its own record was the last with its id.
    End(u64),
    /// With a state: a file was unchanged; its stored records came before.
    Reused,
    /// With a state: the walk passed by the file of this row; it is gone.
    Gone(state::Gone),
    /// A record as the JSON inventory writes it: for a scan whose records go to that
    /// inventory as they are, the worker's text ([`pool::Event::Text`]) or the state's
    /// ([`state::Kept::Text`]), which needs no encoding again, and of which the totals read
    /// the head ([`carry::Carried::figures`]); job ids as for `Record`.
    Text(Box<carry::Carried>),
}

/// Entries of the walk, handed over together.
struct Batch {
    /// Unix seconds before the walk looked at the first of them (the racy-timestamp rule).
    at: i64,
    entries: Vec<Entry>,
    /// The bytes of their paths.
    bytes: usize,
    /// The root whose walk was given up after these entries ([`walker`]): the files of it
    /// not reached are not seen this time, and not gone.
    cut: Option<PathBuf>,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            at: unix_now(),
            entries: Vec::with_capacity(BATCH),
            bytes: 0,
            cut: None,
        }
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// With a state: a file the router found unchanged, with its own record as its lookup read
/// it. Its members' records are fetched, and all are decoded, by a reuse thread ([`reuse`]),
/// off the router's path.
struct Unchanged {
    id: Identity,
    meta: crate::walk::Meta,
    reuse: state::Reuse,
}

/// An entry of a walked batch, a file's path moved into its identity ([`route`]).
enum Slot {
    File(Identity, crate::walk::Meta),
    Other(Entry),
}

/// Numbers the files of a batch for reading; with a state, unchanged files go to `reuse`
/// (or, without a reuse thread, have their stored records put in `outs` here), and the others'
/// identities go to `outs` for the writer. Returns what is to be read or recorded, with its job
/// id (0 for what is not a file).
fn route(
    batch: Batch,
    state: Option<&State>,
    next: &mut u64,
    outs: &mut Vec<Out>,
    reuse: Option<&Sender<Vec<Unchanged>>>,
) -> Vec<(u64, Entry)> {
    let Some(st) = state else {
        // Without a state every file is read, numbered in turn.
        return batch
            .entries
            .into_iter()
            .map(|e| match e {
                Entry::File { .. } => {
                    *next += 1;
                    (*next, e)
                }
                other => (0, other),
            })
            .collect();
    };
    // What the walk could not read is not gone: its rows are passed by, not removed; nor is
    // what it found and does not read (a link no longer followed).
    for e in &batch.entries {
        match e {
            Entry::Error { path, .. } => st.not_seen(path),
            Entry::Skipped { path, .. } => st.passed_by(path),
            Entry::File { .. } => {}
        }
    }
    // A file's path moves into its identity; it is copied back only for a file to be read.
    let slots: Vec<Slot> = batch
        .entries
        .into_iter()
        .map(|e| match e {
            Entry::File { path, meta } => Slot::File(Identity::new(path, &meta, batch.at), meta),
            other => Slot::Other(other),
        })
        .collect();
    // The batch's files are looked up at once: one query of the state, not one per file.
    let ids: Vec<&Identity> = slots
        .iter()
        .filter_map(|s| match s {
            Slot::File(id, _) => Some(id),
            Slot::Other(_) => None,
        })
        .collect();
    let answers = match st.unchanged_all(&ids) {
        Ok((found, gone)) => {
            outs.extend(gone.into_iter().map(Out::Gone));
            found
        }
        // The files are read; the state's error is the writer's to report.
        Err(e) => {
            warn_once(&e);
            vec![state::Stored::Stale; ids.len()]
        }
    };
    drop(ids);
    if let Some(root) = &batch.cut {
        st.pass_over(root);
    }
    let same = answers
        .iter()
        .filter(|a| matches!(a, state::Stored::Same(_)))
        .count();
    let mut answers = answers.into_iter();
    let mut todo = Vec::with_capacity(slots.len() - same);
    let mut unchanged = Vec::with_capacity(same);
    for slot in slots {
        let (mut id, meta) = match slot {
            Slot::File(id, meta) => (id, meta),
            Slot::Other(other) => {
                todo.push((0, other));
                continue;
            }
        };
        let stored = answers.next().expect("one answer per file");
        if let state::Stored::Same(reuse) = stored {
            unchanged.push(Unchanged { id, meta, reuse });
            continue;
        }
        // A file new to the state has no older records to delete.
        id.known = stored != state::Stored::Nothing;
        let path = id.path.clone();
        *next += 1;
        outs.push(Out::Begin(*next, id));
        todo.push((*next, Entry::File { path, meta }));
    }
    if !unchanged.is_empty() {
        match reuse {
            Some(tx) => {
                // The reuse threads end only after the router is done sending.
                let _ = tx.send(unchanged);
            }
            None => {
                let again = reuse_batch(st, unchanged, outs);
                todo.extend(read_again(again, next, outs));
            }
        }
    }
    todo
}

/// Puts the stored records of unchanged files into `outs`, each file's followed by its
/// [`Out::Reused`]; returns the files whose records could not be had, to be read instead.
fn reuse_batch(st: &State, mut batch: Vec<Unchanged>, outs: &mut Vec<Out>) -> Vec<Unchanged> {
    let answers = {
        let asked: Vec<_> = batch
            .iter_mut()
            .map(|u| (u.id.key.as_slice(), &u.meta, std::mem::take(&mut u.reuse)))
            .collect();
        st.records_all(asked)
    };
    let mut again = Vec::new();
    // Nearly every file has one record, and then its `Reused`: room made once, not by doubling.
    outs.reserve(2 * batch.len());
    for (u, answer) in batch.into_iter().zip(answers) {
        match answer {
            Ok(Some(recs)) => {
                outs.extend(recs.into_iter().map(|k| match k {
                    state::Kept::Whole(d) => Out::Record(0, d),
                    state::Kept::Text(c) => Out::Text(Box::new(c)),
                }));
                outs.push(Out::Reused);
            }
            Ok(None) => again.push(u),
            Err(e) => {
                warn_once(&e);
                again.push(u);
            }
        }
    }
    again
}

/// Files whose stored records could not be had are read after all: numbered, their
/// identities to the writer.
fn read_again(again: Vec<Unchanged>, next: &mut u64, outs: &mut Vec<Out>) -> Vec<(u64, Entry)> {
    again
        .into_iter()
        .map(|u| {
            *next += 1;
            let path = u.id.path.clone();
            outs.push(Out::Begin(*next, u.id));
            (*next, Entry::File { path, meta: u.meta })
        })
        .collect()
}

/// Reuse threads at most ([`reuse`]).
const REUSE_THREADS: usize = 4;

/// A reuse thread: fetches and decodes the stored records of the unchanged files the router
/// sends, for the writer; sends back those that must be read after all.
fn reuse(
    st: &State,
    unchanged: Receiver<Vec<Unchanged>>,
    done: Sender<Vec<Out>>,
    again: Sender<Vec<Unchanged>>,
) {
    for batch in unchanged {
        let mut outs = Vec::new();
        let back = reuse_batch(st, batch, &mut outs);
        if !outs.is_empty() {
            let _ = done.send(outs);
        }
        if !back.is_empty() {
            let _ = again.send(back);
        }
    }
}

/// A state that cannot be read is said once; its files are read instead.
fn warn_once(e: &StateError) {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| eprintln!("kartlegg: {e}; such files are read again"));
}

/// Reads in-memory inputs (git blobs for the CI gate) the way a scan reads files: in worker
/// processes by default, so a blob that crashes its parser is a record, not the end of the
/// gate.
pub struct Blobs<'a> {
    scanner: Scanner<'a>,
    threads: usize,
    pool: Option<std::cell::RefCell<pool::Pool<'a>>>,
    next_id: std::cell::Cell<u64>,
}

impl<'a> Blobs<'a> {
    pub fn new(
        opts: &'a Options,
        det: &'a Detector,
        key: &'a HashKey,
    ) -> Result<Blobs<'a>, ScanError> {
        let pool = match &opts.isolation {
            Isolation::Threads => None,
            Isolation::Processes {
                max_memory,
                read_timeout,
            } => Some(std::cell::RefCell::new(
                pool::Pool::new(pool::Config {
                    workers: opts.threads,
                    options: opts,
                    rules_dir: opts.rules_dir.clone(),
                    rules_hash: det.rules_hash().to_string(),
                    key,
                    max_memory: *max_memory,
                    read_timeout: Duration::from_secs(*read_timeout),
                    text: false,
                })
                .map_err(ScanError::Workers)?,
            )),
        };
        Ok(Blobs {
            scanner: Scanner::new(opts, det, key),
            threads: opts.threads,
            pool,
            next_id: std::cell::Cell::new(1),
        })
    }

    /// `name` as records print it: masked unless values are revealed.
    pub fn mask_name(&self, name: &str) -> String {
        self.scanner.mask_name(name)
    }

    /// Scans each `(name, content)`; for each, its own record first, then its members'.
    pub fn scan(&self, items: &[(&str, BlobInput<'_>)]) -> Result<Vec<Vec<FileRecord>>, ScanError> {
        let mut out = self.run(items)?;
        for recs in &mut out {
            // A job's own record comes last, after its members'.
            recs.rotate_right(1);
        }
        Ok(out)
    }

    /// The records of each item, in the order they were emitted.
    fn run(&self, items: &[(&str, BlobInput<'_>)]) -> Result<Vec<Vec<FileRecord>>, ScanError> {
        let Some(pool) = &self.pool else {
            use rayon::prelude::*;
            let threads = rayon::ThreadPoolBuilder::new()
                .num_threads(self.threads.max(1))
                .build()
                .map_err(|e| ScanError::Threads(e.to_string()))?;
            let scanner = &self.scanner;
            return Ok(threads.install(|| {
                items
                    .par_iter()
                    .map(|(name, input)| {
                        let mut recs = Vec::new();
                        let mut emit = |d: Done| recs.push(d.rec);
                        match input {
                            BlobInput::Bytes(data) => scanner.bytes(name, data, &mut emit),
                            BlobInput::File(path) => scanner.blob_file(name, path, &mut emit),
                        }
                        recs
                    })
                    .collect()
            }));
        };
        let base = self.next_id.get();
        self.next_id.set(base + items.len() as u64);
        let (tx, rx) = crossbeam_channel::unbounded();
        let _ = tx.send(
            items
                .iter()
                .enumerate()
                .map(|(i, (name, input))| {
                    let id = base + i as u64;
                    match input {
                        BlobInput::Bytes(data) => (
                            Job::Bytes {
                                id,
                                name: name.to_string(),
                                data: data.to_vec(),
                            },
                            data.len() as u64,
                        ),
                        BlobInput::File(path) => (
                            Job::Blob {
                                id,
                                name: name.to_string(),
                                path: path.to_path_buf(),
                            },
                            std::fs::metadata(path).map_or(0, |m| m.len()),
                        ),
                    }
                })
                .collect(),
        );
        drop(tx);
        let mut out: Vec<Vec<FileRecord>> = vec![Vec::new(); items.len()];
        pool.borrow_mut()
            .run(&rx, &mut |events| {
                for ev in events {
                    match ev {
                        pool::Event::Record(id, done) => out[(id - base) as usize].push(done.rec),
                        pool::Event::Text(..) => unreachable!("the pool was started whole"),
                        pool::Event::GaveUp(id, mut done) => {
                            self.scanner.names(&mut done.rec);
                            out[(id - base) as usize].push(done.rec)
                        }
                        pool::Event::Finished(_) => {}
                    }
                }
            })
            .map_err(ScanError::Workers)?;
        Ok(out)
    }
}

/// What [`Blobs::scan`] reads, as if it were the file called `name`: content in memory, or a
/// file holding it (a blob too large to hold, in a temporary file with no name on disk, given
/// by its `/proc/<pid>/fd/<n>` link: see [`Scanner::blob_file`]).
#[derive(Debug, Clone, Copy)]
pub enum BlobInput<'a> {
    Bytes(&'a [u8]),
    File(&'a std::path::Path),
}

/// Entries and records cross threads in batches of up to this many: one channel operation
/// per batch instead of per file is most of what a tree of small files costs.
const BATCH: usize = 128;

/// Bytes of paths a batch holds before it is handed on with fewer than [`BATCH`] entries: in a
/// tree thousands of levels deep a path is tens of kilobytes, and the queues between the walk
/// and the report, bounded in entries, held hundreds of megabytes of them.
const BATCH_BYTES: usize = 64 << 10;

/// Files to read the router gathers before it hands them out, unless [`HOLD`] passes first.
const GATHER: usize = 64;

/// How long the router holds files to read back, waiting for more ([`GATHER`]).
const HOLD: Duration = Duration::from_millis(20);

/// Reads the files of the walk in a rayon pool of `--threads` threads.
fn in_threads(
    opts: &Options,
    scanner: &Scanner<'_>,
    state: Option<&State>,
    entries: Receiver<Batch>,
    done: Sender<Vec<Out>>,
) -> Result<(), ScanError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .thread_name(|i| format!("kartlegg-{i}"))
        .build()
        .map_err(|e| ScanError::Threads(e.to_string()))?;
    let router_done = done.clone();
    let mut next = 0;
    pool.install(|| {
        entries
            .into_iter()
            .flat_map(|batch| {
                let mut outs = Vec::new();
                let todo = route(batch, state, &mut next, &mut outs, None);
                if !outs.is_empty() {
                    let _ = router_done.send(outs);
                }
                todo
            })
            .par_bridge()
            .for_each_with(done, |tx, (job, entry)| {
                let mut outs = Vec::new();
                scanner.process(entry, &mut |d| outs.push(Out::Record(job, Box::new(d))));
                if job != 0 {
                    outs.push(Out::End(job));
                }
                let _ = tx.send(outs);
            });
    });
    Ok(())
}

/// Whether the files to read waiting in `todo` are enough to hand out: [`GATHER`] of them,
/// or [`BATCH_BYTES`] of paths.
fn gathered(todo: &[(u64, Entry)]) -> bool {
    todo.len() >= GATHER
        || todo
            .iter()
            .map(|(_, e)| e.path().as_os_str().len())
            .sum::<usize>()
            >= BATCH_BYTES
}

/// Reads the files of the walk in worker processes; what needs no reading (a symlink, a
/// directory the walk could not open) is recorded here.
fn in_processes(
    cfg: pool::Config<'_>,
    scanner: &Scanner<'_>,
    state: Option<&State>,
    entries: Receiver<Batch>,
    done: Sender<Vec<Out>>,
) -> Result<(), ScanError> {
    let mut pool = pool::Pool::new(cfg).map_err(ScanError::Workers)?;
    let (jobs_tx, jobs_rx) = crossbeam_channel::bounded::<Vec<(Job, u64)>>(16);
    std::thread::scope(|s| {
        let router_done = done.clone();
        // With a state, a thread of its own fetches and decodes what unchanged files stored.
        let (reuse_tx, reuse_rx) = crossbeam_channel::bounded::<Vec<Unchanged>>(4);
        let (again_tx, again_rx) = crossbeam_channel::unbounded::<Vec<Unchanged>>();
        if let Some(st) = state {
            // Decoding stored records is most of a rescan's work, and each batch is decoded
            // on its own: one thread per core, up to a few (they share the state's lock only
            // to fetch).
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            for _ in 0..cores.clamp(1, REUSE_THREADS) {
                let (rx, done, again) = (reuse_rx.clone(), done.clone(), again_tx.clone());
                s.spawn(move || reuse(st, rx, done, again));
            }
        }
        drop((reuse_rx, again_tx));
        s.spawn(move || {
            let mut next = 0;
            // Stored records and identities go to the writer before the jobs are handed out,
            // so a file's identity reaches the writer before its records.
            let dispatch = |todo: Vec<(u64, Entry)>, mut outs: Vec<Out>| {
                let mut jobs = Vec::with_capacity(todo.len());
                for (id, entry) in todo {
                    match entry {
                        // A job weighs its file's size and its path: the workers' queues
                        // are bounded in those bytes too, and a path can be long.
                        Entry::File { path, meta } => {
                            let weight = MetadataExt::size(&meta) + path.as_os_str().len() as u64;
                            jobs.push((Job::File { id, path }, weight))
                        }
                        other => {
                            scanner.process(other, &mut |d| outs.push(Out::Record(0, Box::new(d))))
                        }
                    }
                }
                if !outs.is_empty() {
                    let _ = router_done.send(outs);
                }
                jobs.is_empty() || jobs_tx.send(jobs).is_ok()
            };
            // Files to read are handed out in batches of at least GATHER, or after HOLD: on a
            // rescan where a few files in a hundred changed, each walked batch has one or two,
            // and a job handed out alone costs a wake-up of every thread and process on its way.
            let mut todo = Vec::new();
            // When what waits in `todo` goes out at the latest.
            let mut due: Option<std::time::Instant> = None;
            loop {
                // `None`: HOLD passed with files waiting.
                let batch = match due {
                    None => match entries.recv() {
                        Ok(batch) => Some(batch),
                        Err(_) => break,
                    },
                    Some(due) => match entries.recv_deadline(due) {
                        Ok(batch) => Some(batch),
                        Err(crossbeam_channel::RecvTimeoutError::Timeout) => None,
                        Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
                    },
                };
                let mut outs = Vec::new();
                let timed_out = batch.is_none();
                if let Some(batch) = batch {
                    todo.extend(route(batch, state, &mut next, &mut outs, Some(&reuse_tx)));
                }
                while let Ok(back) = again_rx.try_recv() {
                    todo.extend(read_again(back, &mut next, &mut outs));
                }
                let jobs = if timed_out || gathered(&todo) {
                    due = None;
                    std::mem::take(&mut todo)
                } else {
                    if !todo.is_empty() {
                        due.get_or_insert_with(|| std::time::Instant::now() + HOLD);
                    }
                    Vec::new()
                };
                if !dispatch(jobs, outs) {
                    return;
                }
            }
            if !dispatch(todo, Vec::new()) {
                return;
            }
            // The walk is done: once the reuse threads have finished, what it sent back is read.
            drop(reuse_tx);
            for back in again_rx {
                let mut outs = Vec::new();
                let todo = read_again(back, &mut next, &mut outs);
                if !dispatch(todo, outs) {
                    return;
                }
            }
        });
        pool.run(&jobs_rx, &mut |events| {
            let outs: Vec<Out> = events
                .into_iter()
                .map(|ev| match ev {
                    pool::Event::Record(id, d) => Out::Record(id, d),
                    pool::Event::Text(c) => Out::Text(c),
                    pool::Event::GaveUp(id, mut d) => {
                        scanner.names(&mut d.rec);
                        Out::Record(id, d)
                    }
                    pool::Event::Finished(id) => Out::End(id),
                })
                .collect();
            if !outs.is_empty() {
                let _ = done.send(outs);
            }
        })
        .map_err(ScanError::Workers)
    })
}

/// What sees every record, in the scan's process, before the totals and the report do
/// (decisions, `--find`).
pub type OnRecord<'a> = &'a mut dyn FnMut(&mut FileRecord);

/// Runs a whole scan. `never_scan` are the (device, inode) identities of files never scanned
/// (the report being written and its `.partial` file).
pub fn run(
    opts: &Options,
    det: &Detector,
    key: &HashKey,
    report: &mut dyn Report,
    progress: &mut Progress,
    never_scan: Vec<(u64, u64)>,
    on_record: Option<OnRecord<'_>>,
) -> Result<Outcome, ScanError> {
    run_with_state(
        opts, det, key, report, progress, never_scan, on_record, None,
    )
}

/// What a scan's records depend on besides the files: the options that change results, the
/// rules, the fingerprint key, what is declared synthetic, and for the records of files whose
/// reading asked for it, the OCR engine found (see [`state::Settings`]). A state's records are
/// reused only under the same settings.
pub fn settings(opts: &Options, det: &Detector, key: &HashKey) -> state::Settings {
    use sha2::{Digest, Sha256};
    let l = &opts.limits;
    let mut s = serde_json::json!({
        "follow": opts.follow,
        "exclude": opts.exclude,
        "max_file_size": opts.max_file_size,
        "min_confidence": opts.min_confidence,
        "max_findings_per_file": opts.max_findings_per_file,
        "limits": [l.max_depth as u64, l.max_nested_bytes, l.max_entries, l.max_ratio, l.max_parse_bytes, l.seconds],
        "ocr": l.ocr,
        "isolation": opts.isolation,
        "rules": det.rules_hash(),
        "key": key.id(),
    });
    // Only where declared: the states of scans without declarations keep their settings.
    if !opts.synthetic.is_empty() {
        s["synthetic"] = opts.synthetic.digest(key).into();
    }
    let hash = |s: &serde_json::Value| {
        format!(
            "sha256:{}",
            hex::encode(Sha256::digest(s.to_string().as_bytes()))
        )
    };
    let plain = hash(&s);
    // What read an image or a scanned page decides its record as much as the mode does:
    // a record made without Tesseract (`ocr_unavailable`), or with another version or other
    // languages, is not reused under another engine. With OCR off no file asks for one.
    let ocr = l.ocr.mode != crate::extract::ocr::Mode::Never;
    state::Settings::new(plain.clone(), move || {
        if !ocr {
            return plain.clone();
        }
        let mut s = s.clone();
        s["ocr_engine"] = crate::extract::ocr::engine::described().into();
        hash(&s)
    })
}

/// The roots (and shard) of a scan in words, for a state's scope: the roots in walk order,
/// so that the same roots given in another order are the same scope.
fn scope(roots: &[&PathBuf], opts: &Options) -> String {
    let roots: Vec<String> = roots.iter().map(|r| crate::walk::display(r)).collect();
    let shard = opts.shard.map(|s| s.to_string());
    serde_json::json!({ "roots": roots, "shard": shard }).to_string()
}

/// Fails if a root cannot be read, or does not answer within `timeout` (on a dead network
/// share the calls would block for good: they are made in one thread, left behind then).
fn check_roots(roots: &[PathBuf], timeout: Duration) -> Result<(), ScanError> {
    fn check(root: &std::path::Path) -> io::Result<()> {
        let meta = std::fs::metadata(root)?;
        if meta.is_dir() {
            std::fs::read_dir(root)?;
        } else if meta.is_file() {
            read::open_following(root)?;
        }
        Ok(())
    }
    let err = |root: &PathBuf, source| ScanError::Root {
        path: root.clone(),
        source,
    };
    // The answers come in the roots' order, so the one waited for is the one not answering.
    let (tx, rx) = crossbeam_channel::unbounded();
    let owned = roots.to_vec();
    let thread = std::thread::Builder::new()
        .name("kartlegg-roots".into())
        .spawn(move || {
            for root in &owned {
                let _ = tx.send(check(root));
            }
        });
    for root in roots {
        let answer = match (&thread, rx.recv_timeout(timeout)) {
            (Err(_), _) => check(root),
            (Ok(_), Ok(answer)) => answer,
            (Ok(_), Err(crossbeam_channel::RecvTimeoutError::Timeout)) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "it did not answer within {} s (--read-timeout; a dead network share?)",
                    timeout.as_secs_f64()
                ),
            )),
            (Ok(_), Err(crossbeam_channel::RecvTimeoutError::Disconnected)) => {
                Err(io::Error::other("the check of the roots stopped"))
            }
        };
        answer.map_err(|e| err(root, e))?;
    }
    Ok(())
}

/// [`run`], with `--state`: unchanged files are not read again (see [`state`]).
#[allow(clippy::too_many_arguments)]
pub fn run_with_state(
    opts: &Options,
    det: &Detector,
    key: &HashKey,
    report: &mut dyn Report,
    progress: &mut Progress,
    never_scan: Vec<(u64, u64)>,
    mut on_record: Option<OnRecord<'_>>,
    mut state: Option<&mut State>,
) -> Result<Outcome, ScanError> {
    // A root that cannot be read fails the scan (exit 2); anything below it is a status.
    check_roots(&opts.roots, opts.walk_timeout())?;
    // Records nothing changes on their way go to a JSON inventory as the text they came as.
    let text = on_record.is_none() && report.takes_json();
    // Roots are walked in the report's order, so that a JSON report is written as its files
    // come (see `report::sort::Stream`); a state keeps its rows in that order too, and
    // refuses roots that nest (see [`state`]).
    let mut roots: Vec<&PathBuf> = opts.roots.iter().collect();
    roots.sort_by_cached_key(|r| state::key(r));
    let exclude = Exclude::new(&opts.exclude, never_scan)?;
    if let Some(st) = state.as_deref_mut() {
        st.refuse_nesting(&roots)?;
        st.begin(&scope(&roots, opts), settings(opts, det, key), opts.reveal)?;
        st.hand_on_text(text);
        st.leave_out(&roots, exclude.clone());
    }
    let state = state.as_deref();
    let walk = Walk::new(opts.follow, exclude).with_shard(opts.shard);
    let (entry_tx, entry_rx) = crossbeam_channel::bounded::<Batch>(64);
    let (done_tx, done_rx) = crossbeam_channel::bounded::<Vec<Out>>(64);
    let scanner = Scanner::new(opts, det, key);
    let mut totals = Totals::default();
    totals.summary.retention = opts.retention.as_ref().map(|c| {
        crate::report::RetentionSummary::new(c.as_of, c.policies.iter().map(|p| p.id.as_str()))
    });
    let mut write_err = None;
    let mut writer = state.map(State::writer);
    // A text's path, for the inventory's order: room made once.
    let mut path = String::new();

    let read_result = std::thread::scope(|s| {
        let walker = s.spawn(|| {
            let walked = walker::walk_roots(&walk, &roots, opts.walk_timeout(), &entry_tx);
            drop(entry_tx);
            walked
        });
        let readers = s.spawn(|| match &opts.isolation {
            Isolation::Threads => in_threads(opts, &scanner, state, entry_rx, done_tx),
            Isolation::Processes {
                max_memory,
                read_timeout,
            } => {
                let cfg = pool::Config {
                    workers: opts.threads,
                    options: opts,
                    rules_dir: opts.rules_dir.clone(),
                    rules_hash: det.rules_hash().to_string(),
                    key,
                    max_memory: *max_memory,
                    read_timeout: Duration::from_secs(*read_timeout),
                    text,
                };
                in_processes(cfg, &scanner, state, entry_rx, done_tx)
            }
        });
        loop {
            let batch = match done_rx.recv_timeout(state::COMMIT_AFTER) {
                Ok(b) => b,
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                    if let Some(w) = &mut writer {
                        w.tick();
                    }
                    continue;
                }
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
            };
            for out in batch {
                let (job, mut done) = match out {
                    Out::Record(job, done) => (job, done),
                    // A record that goes to the inventory as the text it came as.
                    Out::Text(c) => {
                        if let Some(w) = &mut writer {
                            w.record_text(&c);
                        }
                        let figures = c.figures();
                        progress.file(figures.total);
                        totals.add(figures, c.bytes(), c.noatime());
                        if write_err.is_none() {
                            path.clear();
                            path.push_str(c.path());
                            let (json, hash) = c.into_json();
                            if let Err(e) = report.file_json(&path, json, hash) {
                                write_err = Some(e);
                            }
                        }
                        continue;
                    }
                    Out::Begin(job, id) => {
                        if let Some(w) = &mut writer {
                            w.begin(job, id);
                        }
                        continue;
                    }
                    Out::End(job) => {
                        if let Some(w) = &mut writer {
                            w.end(job);
                        }
                        continue;
                    }
                    Out::Reused => {
                        if let Some(w) = &mut writer {
                            w.reused();
                        }
                        continue;
                    }
                    Out::Gone(gone) => {
                        if let Some(w) = &mut writer {
                            w.gone(gone);
                        }
                        continue;
                    }
                };
                // The state keeps the record as the file gave it; what this run seeks (--find)
                // and decided (--decisions) is applied after, to whole records only (text is
                // handed on only when nothing is to be applied).
                if let Some(w) = &mut writer {
                    w.record(job, &done);
                }
                if let Some(f) = on_record.as_mut() {
                    f(&mut done.rec);
                }
                totals.add(done.rec.figures(), done.bytes, done.noatime);
                progress.file(done.rec.total());
                if write_err.is_none() {
                    if let Err(e) = report.file(&done.rec) {
                        write_err = Some(e);
                    }
                }
            }
            // The writer looks at the clock once a batch (and every so many records within
            // one): a trickle of records from a slow share is committed on time too.
            if let Some(w) = &mut writer {
                w.tick();
            }
        }
        let walker::Walked { counts, stopped } = walker.join().expect("walker thread");
        totals.summary.walks_stopped = stopped;
        totals.summary.files_excluded = counts.excluded;
        totals.summary.atime.dirs_noatime = counts.dirs_noatime;
        totals.summary.atime.dirs_plain = counts.dirs_plain;
        readers.join().expect("reader thread")
    });
    progress.finish();
    if let Err(e) = read_result {
        // What was finished stays in the state for the next run.
        if let Some(w) = writer {
            w.close();
        }
        return Err(e);
    }
    // A state that could not be kept fails the scan (exit 2), after the report is complete.
    let state_result = match writer.map(state::Writer::finish) {
        Some(Ok(counts)) => {
            totals.summary.incremental = Some(counts);
            Ok(())
        }
        Some(Err(e)) => Err(e),
        None => Ok(()),
    };
    if totals.asked_engine {
        totals.summary.ocr.engine = Some(crate::extract::ocr::engine::described());
    }
    let summary = totals.finish().clone();
    std::thread::scope(|s| {
        // Both wait for the disk: the state's log is folded while the report is written.
        if let (Some(st), Ok(())) = (state, &state_result) {
            s.spawn(|| st.fold());
        }
        if let Some(e) = write_err {
            return Err(ScanError::Report(e));
        }
        report
            .finish(&summary, &crate::now_rfc3339())
            .map_err(ScanError::Report)
    })?;
    state_result?;
    if let (Some(st), Some(i)) = (state, &summary.incremental) {
        st.reported(i.removed);
    }
    Ok(Outcome {
        summary,
        personal: totals.personal,
        unscanned: totals.unscanned,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files to read are handed out at [`GATHER`] of them, or sooner when their paths are long.
    #[test]
    fn files_are_gathered_by_count_or_by_the_bytes_of_their_paths() {
        let todo = |n: usize, len: usize| -> Vec<(u64, Entry)> {
            let path = PathBuf::from(format!("/{}", "a".repeat(len - 1)));
            (0..n as u64)
                .map(|id| {
                    let (reason, detail) = ("io_error", String::new());
                    (
                        id,
                        Entry::Error {
                            path: path.clone(),
                            reason,
                            detail,
                        },
                    )
                })
                .collect()
        };
        assert!(!gathered(&todo(GATHER - 1, 100)));
        assert!(gathered(&todo(GATHER, 100)));
        let long = BATCH_BYTES / 4;
        assert!(!gathered(&todo(3, long)));
        assert!(gathered(&todo(4, long)));
    }
}
