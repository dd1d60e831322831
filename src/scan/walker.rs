//! The walk as the scan runs it: in a thread of its own, and watched.
//!
//! A network share whose server dies leaves the walk blocked in the kernel, in a `stat`,
//! `open` or `getdents` that may never return, and no thread can take the call back. So the
//! roots are walked, one after another, in a thread of the walk's own
//! ([`Walk::run_watched`]), and the scan's walk thread watches it: once one system call has
//! lasted `--read-timeout`, it gives the root being walked up. What the walk had found is
//! handed on, with an `error`/`timeout` entry for the path it was stuck on (in the shard that
//! owns that path), and the batch says the root was cut short, so that a state keeps the rows
//! of the files not reached (they are not gone, only not seen;
//! [`super::state::State::pass_over`]). A new thread walks the roots after it. The blocked
//! thread is left behind; should its call return, it stops at its next step and hands on
//! nothing more.
//!
//! Entries go from the walk's thread to the readers in batches, under a lock the watcher
//! takes only to give the walk up: so an entry is either handed on before the walk is given
//! up or never, and the path the walk was stuck on gets no entry but the timeout's.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crossbeam_channel::{RecvTimeoutError, Sender};

use super::{Batch, BATCH, BATCH_BYTES};
use crate::walk::{Counts, Entry, Walk, Watch};

/// What the walks of all roots counted, and how many were given up.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Walked {
    pub counts: Counts,
    pub stopped: u64,
}

/// One walk thread's, between it and the watcher.
struct Shared {
    watch: Watch,
    out: Mutex<Out>,
}

struct Out {
    /// `None` once the walk is given up: nothing more is handed on.
    tx: Option<Sender<Batch>>,
    batch: Batch,
    /// The root being walked (its index in the roots).
    root: usize,
    /// What the walks of the roots before it counted.
    counts: Counts,
}

impl Shared {
    fn out(&self) -> MutexGuard<'_, Out> {
        self.out.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push(&self, e: Entry) {
        let mut out = self.out();
        let Out {
            tx: Some(tx),
            batch,
            ..
        } = &mut *out
        else {
            return;
        };
        batch.bytes += e.path().as_os_str().len();
        batch.entries.push(e);
        if batch.entries.len() == BATCH || batch.bytes >= BATCH_BYTES {
            // The receiver only goes away if reading stopped; then what follows is not read.
            let _ = tx.send(std::mem::replace(batch, Batch::new()));
        }
    }

    /// Hands on what is left at the end of a walk that was not given up.
    fn flush(&self) {
        let mut out = self.out();
        if let Out {
            tx: Some(tx),
            batch,
            ..
        } = &mut *out
        {
            if !batch.entries.is_empty() {
                let _ = tx.send(std::mem::replace(batch, Batch::new()));
            }
        }
    }

    /// Gives the walk up if it is still in `call`: hands on what it found, an
    /// `error`/`timeout` entry for the path it is stuck on, and the cut of its root. Returns
    /// the root's index and what the walk counted, its own root's part included.
    fn give_up(&self, call: u64, roots: &[&PathBuf], timeout: Duration) -> Option<(usize, Counts)> {
        let mut out = self.out();
        // The path first: once the call is seen unchanged after it, the path is that call's.
        let (path, ours) = self.watch.path();
        if self.watch.call() != call {
            return None;
        }
        self.watch.give_up();
        let tx = out.tx.take()?;
        let mut batch = std::mem::replace(&mut out.batch, Batch::new());
        let (i, mut counts) = (out.root, out.counts);
        drop(out);
        counts += self.watch.counts();
        let root = roots[i];
        if ours {
            let detail = format!(
                "the walk's stat, open or listing of this did not return within {} s (--read-timeout; a dead network share?); the walk of {} stopped here, and what it had not reached yet is not in this inventory",
                timeout.as_secs_f64(),
                crate::walk::display(root),
            );
            batch.entries.push(Entry::Error {
                path,
                reason: "timeout",
                detail,
            });
        }
        batch.cut = Some(root.to_path_buf());
        let _ = tx.send(batch);
        Some((i, counts))
    }
}

/// The walk's thread: the roots from `from` on, watched.
fn walk_from(shared: &Shared, from: usize, walk: &Walk, roots: &[impl AsRef<Path>]) {
    for (i, root) in roots.iter().enumerate().skip(from) {
        let root = root.as_ref();
        // Given up, and its call returned after all: the roots after it are another's.
        if shared.watch.given_up() {
            return;
        }
        shared.out().root = i;
        let counts = walk.run_watched(root, i, &shared.watch, &mut |e| shared.push(e));
        shared.out().counts += counts;
    }
    shared.flush();
}

/// Walks `roots` in order, handing entries to `tx` in batches; a root whose walk stays in one
/// system call for `timeout` is given up (see the module documentation).
pub(super) fn walk_roots(
    walk: &Walk,
    roots: &[&PathBuf],
    timeout: Duration,
    tx: &Sender<Batch>,
) -> Walked {
    let mut walked = Walked::default();
    let mut from = 0;
    while from < roots.len() {
        let shared = Arc::new(Shared {
            watch: Watch::default(),
            out: Mutex::new(Out {
                tx: Some(tx.clone()),
                batch: Batch::new(),
                root: from,
                counts: Counts::default(),
            }),
        });
        let (done_tx, done_rx) = crossbeam_channel::bounded::<()>(1);
        let thread = {
            let (walk, shared) = (walk.clone(), Arc::clone(&shared));
            let roots: Vec<PathBuf> = roots.iter().map(|&r| r.clone()).collect();
            std::thread::Builder::new()
                .name("kartlegg-walk".into())
                .spawn(move || {
                    walk_from(&shared, from, &walk, &roots);
                    let _ = done_tx.send(());
                })
        };
        let Ok(thread) = thread else {
            // No thread to be had: walked here, with no one to watch.
            walk_from(&shared, from, walk, roots);
            walked.counts += shared.out().counts;
            break;
        };
        let poll = (timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
        let mut stuck: Option<(u64, Instant)> = None;
        from = loop {
            match done_rx.recv_timeout(poll) {
                Ok(()) => {
                    walked.counts += shared.out().counts;
                    break roots.len();
                }
                Err(RecvTimeoutError::Disconnected) => {
                    // The walk's thread ended without saying so: it panicked.
                    if let Err(p) = thread.join() {
                        std::panic::resume_unwind(p);
                    }
                    break roots.len();
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            let call = shared.watch.call();
            match stuck {
                _ if call % 2 == 0 => stuck = None,
                Some((c, since)) if c == call && since.elapsed() >= timeout => {
                    if let Some((i, counts)) = shared.give_up(call, roots, timeout) {
                        walked.counts += counts;
                        walked.stopped += 1;
                        break i + 1;
                    }
                }
                Some((c, _)) if c == call => {}
                _ => stuck = Some((call, Instant::now())),
            }
        };
    }
    walked
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Long paths close a batch before it has [`BATCH`] entries: 200 files under 15 levels of
    /// 200-byte names (paths of 3 KB) went in batches of up to 390 KB, and the walk's queue
    /// holds 64 batches.
    #[test]
    fn batches_are_bounded_in_the_bytes_of_their_paths() {
        let t = tempfile::tempdir().unwrap();
        let mut dir = t.path().to_path_buf();
        for _ in 0..15 {
            dir.push("d".repeat(200));
        }
        std::fs::create_dir_all(&dir).unwrap();
        for i in 0..200 {
            std::fs::write(dir.join(format!("f{i:03}.txt")), "").unwrap();
        }
        let (tx, rx) = crossbeam_channel::unbounded();
        let root = t.path().to_path_buf();
        let walk = Walk::new(false, crate::walk::Exclude::new(&[], Vec::new()).unwrap());
        walk_roots(&walk, &[&root], Duration::from_secs(60), &tx);
        drop(tx);
        let batches: Vec<Batch> = rx.iter().collect();
        let files: usize = batches.iter().map(|b| b.entries.len()).sum();
        assert_eq!(files, 200);
        let longest = dir.as_os_str().len() + 9;
        for b in &batches {
            let bytes: usize = b.entries.iter().map(|e| e.path().as_os_str().len()).sum();
            assert_eq!(b.bytes, bytes);
            assert!(bytes < BATCH_BYTES + longest, "{bytes} bytes in a batch");
        }
        assert!(
            batches.len() >= 200 * (longest - 9) / BATCH_BYTES,
            "{}",
            batches.len()
        );
    }
}
