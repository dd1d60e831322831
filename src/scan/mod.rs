//! The scan: walk → read → extract → detect → report, wired together.
//!
//! One thread walks and feeds a bounded queue; a rayon pool of `--threads` workers takes files
//! from it (more workers than cores by default, because on SMB/NFS a file costs round trips
//! rather than CPU); each worker reads, extracts and detects one file and sends its record to
//! the calling thread, which alone writes the report. Every path yields exactly one record.

use std::io;
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
use crate::walk::{Counts, Entry, Exclude, Walk};
use wire::Job;

/// What the scan does, from the command line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Options {
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
    pub rules_dir: Option<PathBuf>,
    pub isolation: Isolation,
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

impl Default for Options {
    fn default() -> Self {
        Options {
            roots: Vec::new(),
            threads: default_threads(),
            follow: false,
            exclude: Vec::new(),
            max_file_size: None,
            min_confidence: Confidence::Medium,
            reveal: false,
            max_findings_per_file: 10_000,
            limits: Limits::default(),
            rules_dir: None,
            isolation: Isolation::default(),
        }
    }
}

/// Two reads in flight per core, at least 4 and at most 32: enough to hide network latency on
/// SMB/NFS without thrashing a local disk.
pub fn default_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores * 2).clamp(4, 32)
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

pub mod memory;
pub mod pool;
mod scanner;
pub mod wire;
pub mod worker;

pub use scanner::{Emit, Scanner};

/// A processed file on its way to the writer.
#[derive(Debug)]
pub struct Done {
    pub rec: FileRecord,
    /// Bytes read for this record (a container's own bytes; members count their own).
    pub bytes: u64,
    /// For a file opened from disk: whether O_NOATIME protected its access time.
    pub noatime: Option<bool>,
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
                pool::Pool::start(pool::Config {
                    workers: opts.threads,
                    options: opts,
                    rules_dir: opts.rules_dir.clone(),
                    rules_hash: det.rules_hash().to_string(),
                    key,
                    max_memory: *max_memory,
                    read_timeout: Duration::from_secs(*read_timeout),
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

    /// Scans each `(name, data)`; for each, its own record first, then its members'.
    pub fn scan(&self, items: &[(&str, &[u8])]) -> Result<Vec<Vec<FileRecord>>, ScanError> {
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
                    .map(|(name, data)| scanner.scan_bytes(name, data))
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
                .map(|(i, (name, data))| Job::Bytes {
                    id: base + i as u64,
                    name: name.to_string(),
                    data: data.to_vec(),
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
                        pool::Event::GaveUp(id, mut done) => {
                            self.scanner.names(&mut done.rec);
                            out[(id - base) as usize].push(done.rec)
                        }
                        pool::Event::Finished(_) => {}
                    }
                }
            })
            .map_err(ScanError::Workers)?;
        // A job's own record comes last, after its members'.
        for recs in &mut out {
            recs.rotate_right(1);
        }
        Ok(out)
    }
}

/// Entries and records cross threads in batches of up to this many: one channel operation
/// per batch instead of per file is most of what a tree of small files costs.
const BATCH: usize = 128;

/// Reads the files of the walk in a rayon pool of `--threads` threads.
fn in_threads(
    opts: &Options,
    scanner: &Scanner<'_>,
    entries: Receiver<Vec<Entry>>,
    done: Sender<Vec<Done>>,
) -> Result<(), ScanError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .thread_name(|i| format!("kartlegg-{i}"))
        .build()
        .map_err(|e| ScanError::Threads(e.to_string()))?;
    pool.install(|| {
        entries
            .into_iter()
            .flatten()
            .par_bridge()
            .for_each_with(done, |tx, entry| {
                let mut recs = Vec::new();
                scanner.process(entry, &mut |d| recs.push(d));
                let _ = tx.send(recs);
            });
    });
    Ok(())
}

/// Reads the files of the walk in worker processes; what needs no reading (a symlink, a
/// directory the walk could not open) is recorded here.
fn in_processes(
    cfg: pool::Config<'_>,
    scanner: &Scanner<'_>,
    entries: Receiver<Vec<Entry>>,
    done: Sender<Vec<Done>>,
) -> Result<(), ScanError> {
    let mut pool = pool::Pool::start(cfg).map_err(ScanError::Workers)?;
    let (jobs_tx, jobs_rx) = crossbeam_channel::bounded::<Vec<Job>>(16);
    std::thread::scope(|s| {
        let router_done = done.clone();
        s.spawn(move || {
            let mut id = 0;
            for batch in entries {
                let mut jobs = Vec::with_capacity(batch.len());
                let mut recs = Vec::new();
                for entry in batch {
                    match entry {
                        Entry::File { path, .. } => {
                            id += 1;
                            jobs.push(Job::File { id, path });
                        }
                        other => scanner.process(other, &mut |d| recs.push(d)),
                    }
                }
                if !recs.is_empty() {
                    let _ = router_done.send(recs);
                }
                if !jobs.is_empty() && jobs_tx.send(jobs).is_err() {
                    break;
                }
            }
        });
        pool.run(&jobs_rx, &mut |events| {
            let recs: Vec<Done> = events
                .into_iter()
                .filter_map(|ev| match ev {
                    pool::Event::Record(_, d) => Some(*d),
                    pool::Event::GaveUp(_, mut d) => {
                        scanner.names(&mut d.rec);
                        Some(*d)
                    }
                    pool::Event::Finished(_) => None,
                })
                .collect();
            if !recs.is_empty() {
                let _ = done.send(recs);
            }
        })
        .map_err(ScanError::Workers)
    })
}

/// Runs a whole scan. `never_scan` are the (device, inode) identities of files never scanned
/// (the report being written and its `.partial` file). `on_record` sees every record, in this
/// process, before the totals and the report do (decisions, `--find`).
pub fn run(
    opts: &Options,
    det: &Detector,
    key: &HashKey,
    report: &mut dyn Report,
    progress: &mut Progress,
    never_scan: Vec<(u64, u64)>,
    on_record: &mut dyn FnMut(&mut FileRecord),
) -> Result<Outcome, ScanError> {
    // A root that cannot be read fails the scan (exit 2); anything below it is a status.
    for root in &opts.roots {
        let err = |source| ScanError::Root {
            path: root.clone(),
            source,
        };
        let meta = std::fs::metadata(root).map_err(err)?;
        if meta.is_dir() {
            std::fs::read_dir(root).map_err(err)?;
        } else if meta.is_file() {
            read::open_following(root).map_err(err)?;
        }
    }
    let walk = Walk::new(opts.follow, Exclude::new(&opts.exclude, never_scan)?);
    let (entry_tx, entry_rx) = crossbeam_channel::bounded::<Vec<Entry>>(64);
    let (done_tx, done_rx) = crossbeam_channel::bounded::<Vec<Done>>(64);
    let scanner = Scanner::new(opts, det, key);
    let mut totals = Totals::default();
    let mut write_err = None;

    let read_result = std::thread::scope(|s| {
        let walker = s.spawn(|| {
            let mut counts = Counts::default();
            let mut batch = Vec::with_capacity(BATCH);
            for root in &opts.roots {
                counts += walk.run(root, &mut |e| {
                    batch.push(e);
                    if batch.len() == BATCH {
                        // The receiver only goes away if reading stopped; then stop walking.
                        let _ =
                            entry_tx.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
                    }
                });
            }
            if !batch.is_empty() {
                let _ = entry_tx.send(batch);
            }
            drop(entry_tx);
            counts
        });
        let readers = s.spawn(|| match &opts.isolation {
            Isolation::Threads => in_threads(opts, &scanner, entry_rx, done_tx),
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
                };
                in_processes(cfg, &scanner, entry_rx, done_tx)
            }
        });
        for mut done in done_rx.into_iter().flatten() {
            on_record(&mut done.rec);
            totals.add(&done.rec, done.bytes, done.noatime);
            progress.file(done.rec.total());
            if write_err.is_none() {
                if let Err(e) = report.file(&done.rec) {
                    write_err = Some(e);
                }
            }
        }
        let counts = walker.join().expect("walker thread");
        totals.summary.files_excluded = counts.excluded;
        totals.summary.atime.dirs_noatime = counts.dirs_noatime;
        totals.summary.atime.dirs_plain = counts.dirs_plain;
        readers.join().expect("reader thread")
    });
    progress.finish();
    read_result?;
    if let Some(e) = write_err {
        return Err(ScanError::Report(e));
    }
    let summary = totals.finish().clone();
    report
        .finish(&summary, &crate::now_rfc3339())
        .map_err(ScanError::Report)?;
    Ok(Outcome {
        summary,
        personal: totals.personal,
        unscanned: totals.unscanned,
    })
}
