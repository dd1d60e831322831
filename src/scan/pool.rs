//! The scan's worker processes, and the watch kept over them.
//!
//! Parsers of hostile formats can overflow their stack, abort, loop where no time check
//! reaches, or allocate without bound inside a dependency. None of that may end a scan of
//! millions of files, so files are read in worker processes (see [`super::worker`]) and the
//! scan only walks, hands out work and writes. The pool keeps every worker's jobs in order,
//! and when a worker dies it knows from the shared page which job it was on:
//!
//! * killed by a signal or an abort → that file is `error`/`parser_crash`;
//! * over the memory budget → the file gets one more try alone with the whole budget, and
//!   `limit_exceeded`/`memory` if it fails again;
//! * running past its time budget, or blocked in one read or open past `--read-timeout` (a
//!   dead network share) → the worker is killed and the file is `error`/`timeout`.
//!
//! Records a worker sent before it died (members of an archive) are kept; jobs it had been
//! given but not started go to another worker; a new worker takes the dead one's slot. Every
//! job ends with exactly one record of its own.

use std::collections::VecDeque;
use std::io::{self, BufReader, BufWriter, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

use super::carry::Carried;
use super::memory::{self, SharedMap, EXIT_MEMORY, MAX_SLOTS};
use super::wire::{self, Job, Reply};
use super::worker::Init;
use super::{scanner, Done, Options};
use crate::extract::Limit;
use crate::read::{self, FileMeta};
use crate::report::mask::HashKey;
use crate::report::{FileRecord, Status};

/// Jobs a worker holds at most (the one it is on and those queued behind it): enough that it
/// never waits for the next, and that jobs and answers travel in batches. Every batch costs a
/// write and a wake-up on each side of the pipe: on a tree of small files, 8 → 64 took 15 to
/// 25 % off the scan's CPU. What a worker holds beyond this is bounded in bytes
/// ([`BYTES_AHEAD`]), and a worker that dies hands its jobs on.
const DEPTH: usize = 64;

/// A worker is topped up to [`DEPTH`] when it holds this many or fewer.
const REFILL_AT: usize = DEPTH / 2;

/// Jobs a refill gives a worker: it answers in writes of this many at most, so it hears of
/// the next jobs before it runs out.
pub(crate) const REFILL_BY: usize = DEPTH - REFILL_AT;

/// Bytes of files a worker holds at most, beyond its first job: large files go one to a
/// worker, so one worker never sits on a queue of them while another idles.
const BYTES_AHEAD: u64 = 1 << 20;

/// Replies of a worker passed on in one event, at most.
const REPLIES_PER_EVENT: usize = 64;

/// How often the watchdog looks at the workers.
const TICK: Duration = Duration::from_millis(100);

/// Workers that die before taking any job, in a row, before the scan gives up (a binary that
/// cannot start its workers would otherwise restart them for ever).
const MAX_START_FAILURES: u32 = 3;

/// How the pool is set up.
pub(crate) struct Config<'a> {
    pub workers: usize,
    pub options: &'a Options,
    pub rules_dir: Option<PathBuf>,
    pub rules_hash: String,
    pub key: &'a HashKey,
    /// Heap bytes all workers together may hold.
    pub max_memory: u64,
    /// A read or open blocked this long gives the file up.
    pub read_timeout: Duration,
    /// Records are reported as text ([`Event::Text`]).
    pub text: bool,
}

/// What the pool reports, in the order it happens.
#[derive(Debug)]
pub(crate) enum Event {
    /// A record of job `.0` (members first, the job's own record last).
    Record(u64, Box<Done>),
    /// A record as the JSON inventory writes it (see [`super::Out::Text`]).
    Text(Box<Carried>),
    /// The own record of job `.0`, made by the pool because its worker died or was stopped:
    /// its names are raw (the caller passes it through `Scanner::names`).
    GaveUp(u64, Box<Done>),
    /// Job `.0` is done: its own record was the last `Record` with its id.
    Finished(u64),
}

/// A job handed to a worker.
struct Assigned {
    job: Arc<Job>,
    /// The file's size as the walk saw it and its path's length (what balances the workers'
    /// loads, and bounds what each holds).
    size: u64,
    /// Run alone, with the whole memory budget.
    solo: bool,
    /// Already tried alone once (after a memory kill).
    retried: bool,
}

struct Worker {
    slot: usize,
    generation: u64,
    pid: i32,
    pidfd: Option<OwnedFd>,
    jobs: Option<Sender<Vec<Arc<Job>>>>,
    assigned: VecDeque<Assigned>,
    /// Jobs finished since this worker started.
    finished: u64,
}

enum WorkerEvent {
    /// Replies read in one go.
    Replies(usize, u64, Vec<Reply>),
    /// The worker's output ended: it exited (or closed its pipe), with this status.
    Exited(usize, u64, Option<ExitStatus>),
}

/// Why a job ended without its own record.
struct Failure {
    status: Status,
    reason: &'static str,
    detail: String,
}

pub(crate) struct Pool<'a> {
    cfg: Config<'a>,
    shared: SharedMap,
    /// Started as jobs need them ([`Pool::start_worker`]).
    workers: Vec<Worker>,
    /// How many workers run once started.
    size: usize,
    events_tx: Sender<WorkerEvent>,
    events_rx: Receiver<WorkerEvent>,
    next_generation: u64,
    start_failures: u32,
}

impl<'a> Pool<'a> {
    /// Sets up a pool of up to `cfg.workers` worker processes (running this binary as
    /// `kartlegg __worker`), started as jobs need them: a rescan with nothing changed starts
    /// none (each would load and compile the rules for no file).
    pub(crate) fn new(cfg: Config<'a>) -> io::Result<Pool<'a>> {
        let n = cfg.workers.clamp(1, MAX_SLOTS);
        let shared = SharedMap::create(cfg.max_memory, n as u32)?;
        // Bounded: a slow writer holds the workers back rather than filling memory (at most
        // 64 events of at most REPLIES_PER_EVENT replies wait here).
        let (events_tx, events_rx) = crossbeam_channel::bounded(64);
        Ok(Pool {
            cfg,
            shared,
            workers: Vec::with_capacity(n),
            size: n,
            events_tx,
            events_rx,
            next_generation: 1,
            start_failures: 0,
        })
    }

    /// Starts the next worker.
    fn start_worker(&mut self) -> io::Result<()> {
        let w = self.spawn(self.workers.len())?;
        self.workers.push(w);
        Ok(())
    }

    fn spawn(&mut self, slot: usize) -> io::Result<Worker> {
        self.shared.get().reset(slot);
        let generation = self.next_generation;
        self.next_generation += 1;
        // The running image itself: its path may not be walkable by the scanning user (a
        // binary under a private directory, run with dropped privileges), or may name
        // another file by now (an upgrade during a scan of days).
        let exe = Path::new("/proc/self/exe");
        let exe = if exe.exists() {
            exe.to_path_buf()
        } else {
            std::env::current_exe()?
        };
        let mut cmd = Command::new(exe);
        cmd.arg0("kartlegg")
            .arg("__worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // Through a pipe of ours rather than inherited: a worker stuck in the kernel (a
            // dead share) must not hold the caller's stderr open after the scan has ended.
            .stderr(Stdio::piped());
        let scan = std::process::id();
        // A worker dies with the scan, however the scan ends (a SIGTERM from `timeout` or a CI
        // cancel, a SIGKILL): it would otherwise read on to the end of a large file for no one,
        // holding it open. The signal comes when the thread that started the worker ends:
        // workers are started, run and dropped by the one thread that runs the pool.
        // SAFETY: between fork and exec only async-signal-safe calls (prctl, getppid), and no
        // allocation.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(io::Error::last_os_error());
                }
                // The scan ended before the line above: no signal would come.
                if libc::getppid() as u32 != scan {
                    return Err(io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn()?;
        let pid = child.id() as i32;
        // A pidfd names this process and no other, even after its pid is reused.
        // SAFETY: pidfd_open with a pid and no flags; the result is checked.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as i32;
        // SAFETY: a fresh descriptor we own.
        let pidfd = (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) });
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let mut stderr = child.stderr.take().expect("piped");
        std::thread::Builder::new()
            .name(format!("kartlegg-err-{slot}"))
            .spawn(move || io::copy(&mut stderr, &mut io::stderr()))?;
        let init = Init {
            options: self.cfg.options.clone(),
            rules_dir: self.cfg.rules_dir.clone(),
            rules_hash: self.cfg.rules_hash.clone(),
            key: self.cfg.key.parts().0.to_vec(),
            key_provided: self.cfg.key.parts().1,
            slot,
            shared_fd: self.shared.fd(),
        };
        let (jobs_tx, jobs_rx) = crossbeam_channel::bounded::<Vec<Arc<Job>>>(DEPTH + 1);
        let mut init_frame = Vec::new();
        wire::write_init(&mut init_frame, &init)?;
        std::thread::Builder::new()
            .name(format!("kartlegg-to-{slot}"))
            .spawn(move || feed(stdin, init_frame, jobs_rx))?;
        let events = self.events_tx.clone();
        let text = self.cfg.text;
        std::thread::Builder::new()
            .name(format!("kartlegg-from-{slot}"))
            .spawn(move || listen(child, stdout, slot, generation, events, text))?;
        Ok(Worker {
            slot,
            generation,
            pid,
            pidfd,
            jobs: Some(jobs_tx),
            assigned: VecDeque::new(),
            finished: 0,
        })
    }

    /// Runs the jobs that `jobs` yields until it is closed and every one is finished, telling
    /// `out` each record and each finished job (in batches, as they come).
    pub(crate) fn run(
        &mut self,
        jobs: &Receiver<Vec<(Job, u64)>>,
        out: &mut dyn FnMut(Vec<Event>),
    ) -> io::Result<()> {
        let mut queue: VecDeque<Assigned> = VecDeque::new();
        // Jobs to run alone, one at a time.
        let mut solo: VecDeque<Assigned> = VecDeque::new();
        let mut open = true;
        let never = crossbeam_channel::never::<Vec<(Job, u64)>>();
        loop {
            self.hand_out(&mut queue, &mut solo)?;
            // Workers start as jobs need them: one for the first job, another whenever jobs
            // wait that no started worker has room for. A rescan that reads a few files in a
            // hundred starts one or two, one that reads none starts none.
            while !queue.is_empty() && self.workers.len() < self.size {
                self.start_worker()?;
                self.hand_out(&mut queue, &mut solo)?;
            }
            let busy = self.workers.iter().any(|w| !w.assigned.is_empty());
            if !open && queue.is_empty() && solo.is_empty() && !busy {
                return Ok(());
            }
            let room = solo.is_empty()
                && queue.len() < DEPTH * self.size
                && (self.workers.len() < self.size
                    || self.workers.iter().any(|w| w.assigned.len() <= REFILL_AT));
            let source = if open && room { jobs } else { &never };
            crossbeam_channel::select! {
                recv(source) -> batch => match batch {
                    Ok(batch) => queue.extend(batch.into_iter().map(|(job, size)| Assigned {
                        job: Arc::new(job),
                        size,
                        solo: false,
                        retried: false,
                    })),
                    Err(_) => open = false,
                },
                recv(self.events_rx) -> ev => {
                    let ev = ev.expect("the pool holds a sender");
                    self.handle(ev, &mut queue, &mut solo, out)?;
                },
                default(TICK) => {},
            }
            self.watch(&mut queue, out)?;
        }
    }

    /// Gives queued jobs to workers with room; a job that must run alone waits until every
    /// worker is idle, and nothing else is handed out meanwhile.
    fn hand_out(
        &mut self,
        queue: &mut VecDeque<Assigned>,
        solo: &mut VecDeque<Assigned>,
    ) -> io::Result<()> {
        if !solo.is_empty() {
            if self.workers.iter().all(|w| w.assigned.is_empty()) {
                let a = solo.pop_front().expect("checked");
                let w = &mut self.workers[0];
                self.shared
                    .get()
                    .solo
                    .store(w.slot as u32 + 1, Ordering::Relaxed);
                send(w, vec![a]);
            }
            return Ok(());
        }
        let loads: Vec<Option<(usize, u64)>> = self
            .workers
            .iter()
            .map(|w| (w.assigned.len() <= REFILL_AT).then(|| load(&w.assigned)))
            .collect();
        let mut batches: Vec<Vec<Assigned>> = self.workers.iter().map(|_| Vec::new()).collect();
        for i in share_out(loads, queue.iter().map(|a| a.size)) {
            batches[i].push(queue.pop_front().expect("share_out takes from the queue"));
        }
        for (w, batch) in self.workers.iter_mut().zip(batches) {
            if !batch.is_empty() {
                send(w, batch);
            }
        }
        Ok(())
    }

    fn handle(
        &mut self,
        ev: WorkerEvent,
        queue: &mut VecDeque<Assigned>,
        solo: &mut VecDeque<Assigned>,
        out: &mut dyn FnMut(Vec<Event>),
    ) -> io::Result<()> {
        match ev {
            WorkerEvent::Replies(i, generation, replies) => {
                let shared = self.shared.get();
                let Some(w) = self
                    .workers
                    .get_mut(i)
                    .filter(|w| w.generation == generation)
                else {
                    return Ok(());
                };
                let mut events = Vec::with_capacity(replies.len());
                for reply in replies {
                    match reply {
                        Reply::Record { job, done } => events.push(Event::Record(job, done)),
                        Reply::Text(carried) => events.push(Event::Text(carried)),
                        Reply::Finished { job } => {
                            if let Some(pos) = w.assigned.iter().position(|a| a.job.id() == job) {
                                let a = w.assigned.remove(pos).expect("found");
                                if a.solo {
                                    shared.solo.store(0, Ordering::Relaxed);
                                }
                            }
                            w.finished += 1;
                            self.start_failures = 0;
                            events.push(Event::Finished(job));
                        }
                    }
                }
                out(events);
            }
            WorkerEvent::Exited(i, generation, status) => {
                if self.current(i, generation).is_none() {
                    return Ok(());
                }
                self.died(i, status, queue, solo, out)?;
            }
        }
        Ok(())
    }

    /// The worker in slot `i`, if it is still generation `generation`.
    fn current(&mut self, i: usize, generation: u64) -> Option<&mut Worker> {
        self.workers
            .get_mut(i)
            .filter(|w| w.generation == generation)
    }

    /// A worker ended on its own: finds the job it was on, records it, and replaces the
    /// worker.
    fn died(
        &mut self,
        i: usize,
        status: Option<ExitStatus>,
        queue: &mut VecDeque<Assigned>,
        solo: &mut VecDeque<Assigned>,
        out: &mut dyn FnMut(Vec<Event>),
    ) -> io::Result<()> {
        let on = self.shared.get().slots[i].job.load(Ordering::Acquire);
        let w = &mut self.workers[i];
        if on == 0 && w.finished == 0 {
            self.start_failures += 1;
            if self.start_failures >= MAX_START_FAILURES {
                return Err(io::Error::other(format!(
                    "worker processes end before taking any work ({})",
                    describe(status)
                )));
            }
        }
        let mut assigned = std::mem::take(&mut w.assigned);
        if let Some(pos) = assigned.iter().position(|a| a.job.id() == on) {
            let a = assigned.remove(pos).expect("found");
            if a.solo {
                self.shared.get().solo.store(0, Ordering::Relaxed);
            }
            let over_memory = status.and_then(|s| s.code()) == Some(EXIT_MEMORY);
            if over_memory && !a.retried {
                solo.push_back(Assigned {
                    job: a.job,
                    size: a.size,
                    solo: true,
                    retried: true,
                });
            } else {
                let failure = if over_memory {
                    Failure {
                        status: Status::LimitExceeded,
                        reason: Limit::Memory.reason(),
                        detail: format!(
                            "reading this file needed more than the {} MiB memory budget (--max-memory), also when read alone",
                            self.cfg.max_memory >> 20
                        ),
                    }
                } else {
                    Failure {
                        status: Status::Error,
                        reason: "parser_crash",
                        detail: format!(
                            "the process reading this file {}; it was recorded and the scan went on",
                            describe(status)
                        ),
                    }
                };
                give_up(&a.job, failure, out);
            }
        }
        // Jobs not started go to the front of the queue, in their order.
        for a in assigned.into_iter().rev() {
            queue.push_front(a);
        }
        self.replace(i)
    }

    fn replace(&mut self, i: usize) -> io::Result<()> {
        let w = self.spawn(i)?;
        self.workers[i] = w;
        Ok(())
    }

    /// The watchdog: a worker blocked in one read or open past the read timeout, or on one
    /// file past the time budget, is killed; its file is `error`/`timeout`.
    fn watch(
        &mut self,
        queue: &mut VecDeque<Assigned>,
        out: &mut dyn FnMut(Vec<Event>),
    ) -> io::Result<()> {
        let now = memory::now_ms();
        let budget_ms =
            (self.cfg.options.limits.seconds + grace(self.cfg.options.limits.seconds)) * 1000;
        let read_ms = self.cfg.read_timeout.as_millis() as u64;
        for i in 0..self.workers.len() {
            let slot = &self.shared.get().slots[i];
            let on = slot.job.load(Ordering::Acquire);
            if on == 0 {
                continue;
            }
            let blocked = slot.blocked_since.load(Ordering::Relaxed);
            let started = slot.started.load(Ordering::Relaxed);
            let detail = if blocked != 0 && now.saturating_sub(blocked) > read_ms {
                format!(
                    "a read or open of this file did not return within {} s (--read-timeout; a dead network share?); the file was given up and the scan went on",
                    read_ms / 1000
                )
            } else if now.saturating_sub(started) > budget_ms {
                format!(
                    "reading this file took over {} s and did not stop by itself; the process reading it was stopped",
                    budget_ms / 1000
                )
            } else {
                continue;
            };
            self.kill(i);
            let w = &mut self.workers[i];
            let mut assigned = std::mem::take(&mut w.assigned);
            if let Some(pos) = assigned.iter().position(|a| a.job.id() == on) {
                let a = assigned.remove(pos).expect("found");
                if a.solo {
                    self.shared.get().solo.store(0, Ordering::Relaxed);
                }
                give_up(
                    &a.job,
                    Failure {
                        status: Status::Error,
                        reason: "timeout",
                        detail,
                    },
                    out,
                );
            }
            for a in assigned.into_iter().rev() {
                queue.push_front(a);
            }
            // A process stuck in the kernel may never exit; the scan does not wait for it.
            self.replace(i)?;
        }
        Ok(())
    }

    fn kill(&mut self, i: usize) {
        let w = &mut self.workers[i];
        w.jobs = None;
        match &w.pidfd {
            // SAFETY: a pidfd we own, a valid signal, no info, no flags.
            Some(fd) => unsafe {
                libc::syscall(
                    libc::SYS_pidfd_send_signal,
                    fd.as_raw_fd(),
                    libc::SIGKILL,
                    std::ptr::null::<libc::siginfo_t>(),
                    0,
                );
            },
            // Without pidfds (kernels before 5.3): the process is not reaped before its
            // output ends, so its pid cannot have been reused yet.
            // SAFETY: sends a signal to a pid.
            None => unsafe {
                libc::kill(w.pid, libc::SIGKILL);
            },
        }
    }
}

impl Drop for Pool<'_> {
    /// Closes every worker's input: they finish and exit. Workers still busy (the scan ended
    /// early) are killed.
    fn drop(&mut self) {
        for i in 0..self.workers.len() {
            if self.workers[i].assigned.is_empty() {
                self.workers[i].jobs = None;
            } else {
                self.kill(i);
            }
        }
    }
}

/// Extra time over the per-file budget before a worker is killed: the cooperative checks in
/// the readers stop a file at its budget with `limit_exceeded`/`time_limit`; the kill is for
/// code no check reaches.
fn grace(seconds: u64) -> u64 {
    (seconds / 10).clamp(1, 60)
}

/// Jobs and bytes a worker holds.
fn load(held: &VecDeque<Assigned>) -> (usize, u64) {
    (held.len(), held.iter().map(|a| a.size).sum())
}

/// Which worker takes each of the queue's first jobs (given by size): workers due a refill
/// (`Some` of the jobs and bytes they hold) take jobs in turn, the least loaded first, until
/// each is full, in jobs or in bytes, or the queue is empty. A large file thus goes to a
/// worker of its own, and small ones spread evenly, in batches.
fn share_out(mut loads: Vec<Option<(usize, u64)>>, sizes: impl Iterator<Item = u64>) -> Vec<usize> {
    let mut picks = Vec::new();
    for size in sizes {
        let pick = loads
            .iter()
            .enumerate()
            .filter_map(|(i, l)| l.map(|l| (l, i)))
            .filter(|&((jobs, bytes), _)| jobs == 0 || (jobs < DEPTH && bytes < BYTES_AHEAD))
            .min_by_key(|&((jobs, bytes), _)| (bytes.min(BYTES_AHEAD), jobs));
        let Some((_, i)) = pick else { break };
        if let Some((jobs, bytes)) = &mut loads[i] {
            *jobs += 1;
            *bytes += size;
        }
        picks.push(i);
    }
    picks
}

fn send(w: &mut Worker, batch: Vec<Assigned>) {
    if let Some(tx) = &w.jobs {
        // The worker's feeder only ends when the worker is gone; the pool then sees it exit
        // and hands the jobs to another.
        let _ = tx.send(batch.iter().map(|a| a.job.clone()).collect());
    }
    w.assigned.extend(batch);
}

/// The record of a job that ended without its own: the file's path and, for a file, what
/// can be seen of it without reading it.
fn give_up(job: &Job, f: Failure, out: &mut dyn FnMut(Vec<Event>)) {
    let mut rec = match job {
        // Not looked at again after a timeout: its server stopped answering, and a `stat` here
        // would hang the scan itself.
        Job::File { path, .. } => FileRecord::new(
            scanner::display(path),
            (f.reason != "timeout")
                .then(|| read::lstat(path).ok())
                .flatten()
                .map(|m| FileMeta::from_metadata(&m)),
        ),
        Job::Bytes { name, .. } | Job::Blob { name, .. } => FileRecord::new(name.clone(), None),
    };
    rec.set_status(f.status, f.reason, f.detail);
    out(vec![
        Event::GaveUp(
            job.id(),
            Box::new(Done {
                rec,
                bytes: 0,
                noatime: None,
            }),
        ),
        Event::Finished(job.id()),
    ]);
}

/// "was killed by signal 11 (SIGSEGV)", "exited with code 3"...
fn describe(status: Option<ExitStatus>) -> String {
    match status {
        None => "ended".into(),
        Some(s) => match (s.code(), s.signal()) {
            (Some(c), _) => format!("exited with code {c}"),
            (None, Some(sig)) => {
                let name = match sig {
                    libc::SIGSEGV => " (SIGSEGV: a stack overflow or a memory fault)",
                    libc::SIGABRT => " (SIGABRT: an abort)",
                    libc::SIGBUS => " (SIGBUS)",
                    libc::SIGKILL => " (SIGKILL: killed from outside, perhaps by the kernel's out-of-memory killer)",
                    libc::SIGILL => " (SIGILL)",
                    libc::SIGFPE => " (SIGFPE)",
                    _ => "",
                };
                format!("was killed by signal {sig}{name}")
            }
            (None, None) => "ended".into(),
        },
    }
}

/// Writes the settings, then each batch of jobs (in one write), to a worker; closing the
/// channel closes its input.
fn feed(stdin: ChildStdin, init: Vec<u8>, jobs: Receiver<Vec<Arc<Job>>>) {
    let mut w = BufWriter::with_capacity(64 << 10, stdin);
    if w.write_all(&init).and_then(|()| w.flush()).is_err() {
        return;
    }
    for batch in jobs {
        for job in &batch {
            if wire::write_job(&mut w, job).is_err() {
                return;
            }
        }
        if w.flush().is_err() {
            return;
        }
    }
}

/// Reads a worker's replies until its output ends, then reaps it.
fn listen(
    mut child: Child,
    stdout: std::process::ChildStdout,
    slot: usize,
    generation: u64,
    events: Sender<WorkerEvent>,
    text: bool,
) {
    let mut r = BufReader::with_capacity(64 << 10, stdout);
    'read: while let Ok(Some(first)) = wire::read_reply(&mut r, text) {
        // What is already buffered goes along in the same event.
        let mut replies = vec![first];
        while !r.buffer().is_empty() && replies.len() < REPLIES_PER_EVENT {
            match wire::read_reply(&mut r, text) {
                Ok(Some(reply)) => replies.push(reply),
                Ok(None) | Err(_) => {
                    let _ = events.send(WorkerEvent::Replies(slot, generation, replies));
                    break 'read;
                }
            }
        }
        if events
            .send(WorkerEvent::Replies(slot, generation, replies))
            .is_err()
        {
            break;
        }
    }
    drop(r);
    let status = child.wait().ok();
    let _ = events.send(WorkerEvent::Exited(slot, generation, status));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_files_go_one_to_a_worker() {
        // Eight 128 MB files, two idle workers: one each, the rest wait for the first free one
        // (before, the first worker took all eight and the second idled).
        let picks = share_out(vec![Some((0, 0)), Some((0, 0))], [128 << 20; 8].into_iter());
        assert_eq!(picks, [0, 1]);
        // A worker already on a large file takes nothing more, however idle the queue.
        let picks = share_out(
            vec![Some((1, 128 << 20)), Some((0, 0))],
            [10; 3].into_iter(),
        );
        assert_eq!(picks, [1, 1, 1]);
    }

    #[test]
    fn no_worker_is_started_before_a_job_comes() {
        // A rescan that finds nothing changed hands out no job: it must not pay for starting
        // workers (here they could not start: the test binary is no `kartlegg __worker`).
        let opts = Options::default();
        let key = HashKey::from_parts(vec![1; 32], true);
        let mut pool = Pool::new(Config {
            workers: 4,
            options: &opts,
            rules_dir: None,
            rules_hash: String::new(),
            key: &key,
            max_memory: 256 << 20,
            read_timeout: Duration::from_secs(1),
            text: false,
        })
        .unwrap();
        let (tx, rx) = crossbeam_channel::bounded::<Vec<(Job, u64)>>(1);
        drop(tx);
        let mut events = 0;
        pool.run(&rx, &mut |e| events += e.len()).unwrap();
        assert_eq!((pool.workers.len(), events), (0, 0));
    }

    #[test]
    fn small_files_spread_evenly_in_batches() {
        let picks = share_out(
            vec![Some((0, 0)), Some((0, 0))],
            [1000; 4 * DEPTH].into_iter(),
        );
        assert_eq!(picks.len(), 2 * DEPTH, "each worker filled to its depth");
        let to_first = picks.iter().filter(|&&i| i == 0).count();
        assert_eq!(to_first, DEPTH);
        // A worker not due a refill (`None`) takes nothing.
        let picks = share_out(
            vec![None, Some((REFILL_AT, 0))],
            [1000; 4 * DEPTH].into_iter(),
        );
        assert_eq!(picks, vec![1; DEPTH - REFILL_AT]);
    }
}
