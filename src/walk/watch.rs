//! What a walk is doing, for another thread to see ([`super::Walk::run_watched`]).
//!
//! A network share whose server dies leaves the walk's `fstatat`, `openat` or `getdents64`
//! blocked in the kernel, perhaps for good; the thread that made the call cannot notice, and
//! nothing can take the call back. So the walk says which call it is in and on which path,
//! and a watcher that sees one call last too long can give the walk up and go on without it
//! (the scan's, in `scan::walker`). The cost is two stores and a short copy of the path under
//! an uncontended lock per call: a few milliseconds for 100,000 files.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use super::Counts;

/// Shared between a walk and its watcher.
#[derive(Debug, Default)]
pub struct Watch {
    /// Counts up at the start and at the end of each system call: odd while one is under way.
    calls: AtomicU64,
    /// The path of the call under way (or the last one), and whether this shard owns it.
    on: Mutex<(PathBuf, bool)>,
    /// What the walk has counted so far, kept for a walk that is given up.
    counts: Mutex<Counts>,
    given_up: AtomicBool,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Watch {
    /// A system call on `path` begins; `ours`: its entry would be this shard's.
    pub(super) fn begin(&self, path: &Path, ours: bool) {
        {
            let mut on = locked(&self.on);
            on.0.as_mut_os_string().clear();
            on.0.push(path);
            on.1 = ours;
        }
        self.advance(1);
    }

    /// The call under way made progress (a listing read one more name): it counts as a new
    /// call, so that only a call that stays blocked is seen as stuck.
    pub(super) fn progress(&self) {
        self.advance(2);
    }

    pub(super) fn end(&self) {
        self.advance(1);
    }

    fn advance(&self, by: u64) {
        // Only the walk's thread writes `calls`.
        let n = self.calls.load(Ordering::Relaxed);
        self.calls.store(n + by, Ordering::Release);
    }

    pub(super) fn set_counts(&self, counts: Counts) {
        *locked(&self.counts) = counts;
    }

    /// Which call the walk is in: odd while one is under way, a new number for each call.
    pub fn call(&self) -> u64 {
        self.calls.load(Ordering::Acquire)
    }

    /// The path of the call under way (or the last one), and whether this shard owns it.
    pub fn path(&self) -> (PathBuf, bool) {
        locked(&self.on).clone()
    }

    /// What the walk has counted so far.
    pub fn counts(&self) -> Counts {
        *locked(&self.counts)
    }

    /// Tells the walk to stop at its next step (if the call it is blocked in ever returns).
    pub fn give_up(&self) {
        self.given_up.store(true, Ordering::Release);
    }

    pub fn given_up(&self) -> bool {
        self.given_up.load(Ordering::Acquire)
    }
}
