//! A worker process: the same [`Scanner`] as a scan in one process, behind a pipe.
//!
//! The scan starts workers by running its own binary as `kartlegg __worker`. A worker reads
//! its settings (options, rules, the fingerprint key — over the pipe, never on the command
//! line or in the environment), then jobs, one at a time; it writes each record as soon as it
//! is complete and a `Finished` after the file's own. It marks the job it is on in its slot of
//! the shared page, so when a parser takes the whole process down (a stack overflow, an abort,
//! the memory budget) or runs past its time, the scan knows which file did it.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};

use super::memory::{self, SharedMap};
use super::pool;
use super::wire::{self, Job};
use super::{Done, Options, Scanner};
use crate::detect::rules::RuleSet;
use crate::detect::Detector;
use crate::report::mask::HashKey;

/// Stack for the thread that reads files: parsers of nested formats recurse, and a deep but
/// legitimate document should not be mistaken for a crash. Untouched stack costs no memory,
/// but it is address space that `ulimit -d`/`-v` count, once per thread: 32 MiB keeps a
/// 2-thread worker well inside a 256 MiB data limit.
const STACK: usize = 32 << 20;

/// What a worker needs to know, sent once.
#[derive(Serialize, Deserialize)]
pub(crate) struct Init {
    pub options: Options,
    /// Extra rules (`--rules DIR`); the worker loads the same rule files as the scan.
    #[serde(with = "crate::walk::raw::maybe")]
    pub rules_dir: Option<PathBuf>,
    /// The scan's rule-set hash: a worker that loaded different rules refuses to start.
    pub rules_hash: String,
    pub key: Vec<u8>,
    pub key_provided: bool,
    /// This worker's slot in the shared page.
    pub slot: usize,
    /// The shared page's inherited descriptor.
    pub shared_fd: i32,
}

/// Runs a worker on standard input and output until the scan closes the pipe.
pub(crate) fn main() -> io::Result<()> {
    // Started as `/proc/self/exe` (see `pool`): named `kartlegg` again, as `ps` and `top`
    // show the scan's other processes.
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes.
    unsafe { libc::prctl(libc::PR_SET_NAME, c"kartlegg".as_ptr()) };
    let mut input = io::stdin();
    let init: Init = wire::read_init(&mut input)?;
    let set = RuleSet::load(init.rules_dir.as_deref()).map_err(io::Error::other)?;
    let det = Detector::new(set);
    if det.rules_hash() != init.rules_hash {
        return Err(io::Error::other(
            "the rule files changed since the scan started",
        ));
    }
    let key = HashKey::from_parts(init.key, init.key_provided);
    SharedMap::open(init.shared_fd)?.account_as(init.slot);
    let slot = memory::my_slot().expect("accounting was just set up");
    let opts = init.options;
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("kartlegg-worker".into())
            .stack_size(STACK)
            .spawn_scoped(s, || {
                let scanner = Scanner::new(&opts, &det, &key);
                let mut input = io::BufReader::with_capacity(64 << 10, input.lock());
                let mut out = BufWriter::with_capacity(64 << 10, Sent::new(io::stdout().lock()));
                let mut unsent = 0;
                while let Some(job) = wire::read_job(&mut input)? {
                    let id = job.id();
                    let sent = out.get_ref().bytes;
                    slot.started.store(memory::now_ms(), Ordering::Relaxed);
                    slot.job.store(id, Ordering::Release);
                    let mut failed = None;
                    let mut emit = |d: Done| {
                        if failed.is_none() {
                            failed = wire::write_record(&mut out, id, &d).err();
                        }
                    };
                    match &job {
                        Job::File { path, .. } => scanner.file(path, &mut emit),
                        Job::Bytes { name, data, .. } => scanner.bytes(name, data, &mut emit),
                        Job::Blob { name, path, .. } => scanner.blob_file(name, path, &mut emit),
                    }
                    slot.job.store(0, Ordering::Release);
                    if let Some(e) = failed {
                        return Err(e);
                    }
                    wire::write_finished(&mut out, id)?;
                    unsent += 1;
                    // More jobs already here: answer them in the same write, unless part of
                    // this answer is out already (a large record), or the pool tops this
                    // worker up once it hears of these (so the next jobs arrive while it works
                    // on those it holds). A worker that dies on the next job loses what is
                    // still buffered; the scan gives those jobs to another worker, so a job
                    // must reach it whole or not at all.
                    if input.buffer().is_empty()
                        || out.get_ref().bytes != sent
                        || unsent >= pool::REFILL_BY
                    {
                        out.flush()?;
                        unsent = 0;
                    }
                }
                Ok(())
            })?
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the worker thread panicked")))
    })
}

/// The pipe to the scan, counting the bytes that went into it.
struct Sent<W> {
    inner: W,
    bytes: u64,
}

impl<W> Sent<W> {
    fn new(inner: W) -> Sent<W> {
        Sent { inner, bytes: 0 }
    }
}

impl<W: Write> Write for Sent<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
