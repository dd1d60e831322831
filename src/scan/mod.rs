//! The scan: walk → read → extract → detect → report, wired together.
//!
//! One thread walks and feeds a bounded queue; a rayon pool of `--threads` workers takes files
//! from it (more workers than cores by default, because on SMB/NFS a file costs round trips
//! rather than CPU); each worker reads, extracts and detects one file and sends its record to
//! the calling thread, which alone writes the report. Every path yields exactly one record.

use std::io;
use std::path::PathBuf;

use rayon::iter::{ParallelBridge, ParallelIterator};

use crate::detect::{Confidence, Detector};
use crate::extract::Limits;
use crate::read;
use crate::report::mask::HashKey;
use crate::report::progress::Progress;
use crate::report::{FileRecord, Report, Summary, Totals};
use crate::walk::{Entry, Exclude, Walk};

/// What the scan does, from the command line.
#[derive(Debug, Clone)]
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

mod scanner;

pub use scanner::{Emit, Scanner};

/// A processed file on its way to the writer.
pub struct Done {
    pub rec: FileRecord,
    /// Bytes read for this record (a container's own bytes; members count their own).
    pub bytes: u64,
    /// For a file opened from disk: whether O_NOATIME protected its access time.
    pub noatime: Option<bool>,
}

/// Runs a whole scan. `never_scan` are paths excluded exactly (the report being written).
pub fn run(
    opts: &Options,
    det: &Detector,
    key: &HashKey,
    report: &mut dyn Report,
    progress: &mut Progress,
    never_scan: Vec<PathBuf>,
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
    let walk = Walk {
        follow: opts.follow,
        exclude: Exclude::new(&opts.exclude, never_scan)?,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .thread_name(|i| format!("kartlegg-{i}"))
        .build()
        .map_err(|e| ScanError::Threads(e.to_string()))?;
    let (entry_tx, entry_rx) = crossbeam_channel::bounded::<Entry>(4096);
    let (done_tx, done_rx) = crossbeam_channel::bounded::<Done>(1024);
    let scanner = Scanner::new(opts, det, key);
    let mut totals = Totals::default();
    let mut write_err = None;

    std::thread::scope(|s| {
        let walker = s.spawn(|| {
            let mut excluded = 0;
            for root in &opts.roots {
                excluded += walk.run(root, &mut |e| {
                    // The receiver only goes away if the workers stopped; then stop walking.
                    let _ = entry_tx.send(e);
                });
            }
            drop(entry_tx);
            excluded
        });
        s.spawn(|| {
            pool.install(|| {
                entry_rx
                    .into_iter()
                    .par_bridge()
                    .for_each_with(done_tx, |tx, entry| {
                        scanner.process(entry, &mut |done| {
                            let _ = tx.send(done);
                        });
                    });
            });
        });
        for done in done_rx {
            totals.add(&done.rec, done.bytes, done.noatime);
            progress.file(done.rec.total());
            if write_err.is_none() {
                if let Err(e) = report.file(&done.rec) {
                    write_err = Some(e);
                }
            }
        }
        totals.summary.files_excluded = walker.join().expect("walker thread");
    });
    progress.finish();
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
