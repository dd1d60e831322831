//! Tesseract and the other helper programs, run as fenced children.
//!
//! Every helper gets: its input on standard input or as descriptor 3 (never a named file),
//! an address-space limit (`RLIMIT_AS`), no core dumps, `SIGKILL` when the thread that
//! started it dies (so a worker killed by the scan takes its helper with it), one OpenMP
//! thread (workers already spread OCR over the cores), and the file's remaining time: past it
//! the helper is killed and the file is `limit_exceeded`/`time_limit`.
//!
//! Helpers that OCR share the machine's cores: a process holds one of `cores` tokens while its
//! Tesseract runs (an abstract-namespace socket bound to a name of the scan: no file, freed by
//! the kernel whatever way the process ends), so more workers than cores never means more
//! Tesseracts than cores, nor their memory.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use super::{PageError, Settings};
use crate::extract::{Clock, Limit, LimitHit};

/// The environment variable that names the Tesseract program (default `tesseract` on the
/// `PATH`); tests point it at a missing program to see a machine without it.
pub const PROGRAM_VAR: &str = "KARTLEGG_TESSERACT";

/// How long Tesseract is given to say its version and languages (it takes some 13 ms).
const PROBE_TIME: Duration = Duration::from_secs(5);

/// Bytes of TSV one page may produce (a full page is some 100 KiB).
const MAX_TSV: usize = 16 << 20;

/// An installed Tesseract with Norwegian and/or English data.
#[derive(Debug)]
pub struct Engine {
    program: OsString,
    /// `tesseract 5.3.0`.
    pub version: String,
    /// `nor+eng`, or the one of them installed.
    pub langs: String,
}

thread_local! {
    /// Times this thread asked for the engine ([`asked`]).
    static ASKED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many times this thread has asked for the engine. A file's reading happens on one
/// thread, so the count before and after it tells whether its record depends on which
/// engine is installed: a state reuses the records of other files under any engine.
pub fn asked() -> u64 {
    ASKED.with(std::cell::Cell::get)
}

/// The engine, probed once per process; or why there is none, in words.
pub fn engine() -> Result<&'static Engine, &'static str> {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    ASKED.with(|n| n.set(n.get() + 1));
    ENGINE
        .get_or_init(probe)
        .as_ref()
        .map_err(|why| why.as_str())
}

/// The engine in words, as a state's settings and a summary name it: `tesseract 5.3.0,
/// nor+eng`, or `none: ` and why there is none.
pub fn described() -> String {
    match engine() {
        Ok(e) => e.describe(),
        Err(why) => format!("none: {why}"),
    }
}

fn probe() -> Result<Engine, String> {
    let program = std::env::var_os(PROGRAM_VAR).unwrap_or_else(|| "tesseract".into());
    // Both questions asked at once: each run of Tesseract takes some 13 ms, most of it
    // loading its libraries.
    let ask = |arg: &str| {
        Command::new(&program)
            .arg(arg)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()
    };
    let (version, listed) = (ask("--version"), ask("--list-langs"));
    // A program that hangs (on a dead network mount, say) is given up, not waited for: the
    // file that asked, and every later one, then goes without.
    let deadline = std::time::Instant::now() + PROBE_TIME;
    let missing = "Tesseract OCR is not installed (Debian: tesseract-ocr tesseract-ocr-nor)";
    let out = |child: Option<Child>| -> Result<String, String> {
        let mut child = child.ok_or(missing)?;
        loop {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => {
                    let mut text = Vec::new();
                    if let Some(mut o) = child.stdout.take() {
                        o.read_to_end(&mut text).map_err(|_| missing)?;
                    }
                    return Ok(String::from_utf8_lossy(&text).into_owned());
                }
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(1))
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "Tesseract did not answer within {} s",
                        PROBE_TIME.as_secs()
                    ));
                }
                Ok(Some(_)) | Err(_) => return Err(missing.into()),
            }
        }
    };
    // Both waited for (or killed) before either's answer is looked at.
    let (version, listed) = (out(version), out(listed));
    let (version, listed) = (version?, listed?);
    let version = version
        .lines()
        .next()
        .unwrap_or("tesseract")
        .trim()
        .to_string();
    let have: Vec<&str> = listed.lines().skip(1).map(str::trim).collect();
    let langs: Vec<&str> = ["nor", "eng"]
        .into_iter()
        .filter(|l| have.contains(l))
        .collect();
    if langs.is_empty() {
        return Err(
            "Tesseract has no Norwegian or English language data (Debian: tesseract-ocr-nor)"
                .into(),
        );
    }
    Ok(Engine {
        program,
        version,
        langs: langs.join("+"),
    })
}

/// One word as Tesseract read it, in the pixels of the image it was given.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// Block, paragraph and line numbers: words with the same three share a line.
    pub line: (u32, u32, u32),
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
    /// 0–100.
    pub conf: f32,
    pub text: String,
}

impl Engine {
    /// `tesseract 5.3.0, nor+eng`.
    pub fn describe(&self) -> String {
        format!("{}, {}", self.version, self.langs)
    }

    /// The words of one page given as a PGM image.
    pub fn words(
        &self,
        pgm: &[u8],
        settings: &Settings,
        clock: Clock,
    ) -> Result<Vec<Word>, PageError> {
        let _token = Token::acquire(clock)?;
        let mut cmd = Command::new(&self.program);
        // psm 3 (the default): automatic page segmentation, no orientation detection.
        cmd.args(["-", "stdout", "-l", &self.langs, "tsv"]);
        let tsv = run(&mut cmd, Input::Stdin(pgm), MAX_TSV, settings, clock)?;
        Ok(parse_tsv(&String::from_utf8_lossy(&tsv)))
    }
}

/// Parses Tesseract's TSV: the word rows (level 5) with text.
pub fn parse_tsv(tsv: &str) -> Vec<Word> {
    let mut words = Vec::new();
    for row in tsv.lines().skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        if f.len() < 12 || f[0] != "5" {
            continue;
        }
        let n = |i: usize| f[i].parse::<u32>().unwrap_or(0);
        let text = f[11].trim();
        if text.is_empty() {
            continue;
        }
        words.push(Word {
            line: (n(2), n(3), n(4)),
            left: n(6),
            top: n(7),
            width: n(8),
            height: n(9),
            conf: f[10].parse::<f32>().unwrap_or(0.0).clamp(0.0, 100.0),
            text: text.to_string(),
        });
    }
    words
}

/// What a helper reads.
pub enum Input<'a> {
    /// These bytes on its standard input.
    Stdin(&'a [u8]),
    /// This descriptor as its descriptor 3 (`/dev/fd/3`).
    Fd3(BorrowedFd<'a>),
}

/// Runs a helper within the file's time and the helpers' memory limit; returns its standard
/// output (at most `max_out` bytes). A helper that fails or is killed fails the page; one
/// that runs out of time stops the file.
pub fn run(
    cmd: &mut Command,
    input: Input<'_>,
    max_out: usize,
    settings: &Settings,
    clock: Clock,
) -> Result<Vec<u8>, PageError> {
    clock.check()?;
    let memory = settings.max_child_memory;
    let fd3 = match &input {
        Input::Fd3(fd) => Some(fd.as_raw_fd()),
        Input::Stdin(_) => None,
    };
    cmd.stdin(match input {
        Input::Stdin(_) => Stdio::piped(),
        Input::Fd3(_) => Stdio::null(),
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .env("OMP_THREAD_LIMIT", "1");
    // SAFETY: between fork and exec only async-signal-safe calls (setrlimit, prctl, dup2) on
    // values computed before the fork.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: memory,
                rlim_max: memory,
            };
            let none = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0
                || libc::setrlimit(libc::RLIMIT_CORE, &none) != 0
                || libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0
            {
                return Err(io::Error::last_os_error());
            }
            if let Some(fd) = fd3 {
                if libc::dup2(fd, 3) < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| PageError::Failed(format!("cannot start a helper program: {e}")))?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().expect("piped");
    let result = std::thread::scope(|s| {
        if let (Some(mut w), Input::Stdin(bytes)) = (stdin, &input) {
            // A helper that dies early closes the pipe: the write fails, and its exit says why.
            s.spawn(move || {
                let _ = w.write_all(bytes);
            });
        }
        let out = read_until(stdout, max_out, clock);
        if out.is_err() {
            // Before the writer is joined: a killed helper's pipe ends the write.
            let _ = child.kill();
        }
        out
    });
    let out = match result {
        Ok(out) => out,
        Err(e) => {
            end(&mut child);
            return Err(e);
        }
    };
    let status = wait(&mut child, clock)?;
    if status.success() {
        return Ok(out);
    }
    Err(PageError::Failed(match status.signal() {
        Some(sig) => format!("the OCR helper was killed by signal {sig} (memory limit or crash)"),
        None => format!(
            "the OCR helper failed (exit code {})",
            status.code().unwrap_or(-1)
        ),
    }))
}

fn end(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Reads a helper's output to its end, within the time left and `max` bytes.
fn read_until(
    stdout: std::process::ChildStdout,
    max: usize,
    clock: Clock,
) -> Result<Vec<u8>, PageError> {
    let fd: OwnedFd = stdout.into();
    let mut file = std::fs::File::from(fd);
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let left = clock.remaining();
        if left.is_zero() {
            return Err(time_hit(&clock).into());
        }
        let mut pfd = libc::pollfd {
            fd: file.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = left.as_millis().clamp(1, 1000) as i32;
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut pfd, 1, ms) };
        if ready < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(PageError::Failed(format!("reading the OCR helper: {e}")));
        }
        if ready == 0 {
            continue;
        }
        match file.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) if out.len() + n > max => {
                return Err(PageError::Failed(format!(
                    "the OCR helper wrote more than {max} bytes"
                )))
            }
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(PageError::Failed(format!("reading the OCR helper: {e}"))),
        }
    }
}

/// Waits for a helper that closed its output, within the time left.
fn wait(child: &mut Child, clock: Clock) -> Result<std::process::ExitStatus, PageError> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if clock.remaining().is_zero() => {
                end(child);
                return Err(time_hit(&clock).into());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                end(child);
                return Err(PageError::Failed(format!(
                    "waiting for the OCR helper: {e}"
                )));
            }
        }
    }
}

fn time_hit(clock: &Clock) -> LimitHit {
    clock
        .check()
        .err()
        .unwrap_or_else(|| LimitHit::new(Limit::Time, "out of time for this file"))
}

/// One of the machine's OCR slots, held while a Tesseract runs.
struct Token(#[allow(dead_code)] OwnedFd);

impl Token {
    fn acquire(clock: Clock) -> Result<Token, LimitHit> {
        let slots = std::thread::available_parallelism().map_or(2, |n| n.get());
        let scan = scan_id();
        loop {
            for i in 0..slots {
                if let Some(t) = Self::bind(&format!("kartlegg-ocr-{scan}-{i}")) {
                    return Ok(t);
                }
            }
            clock.check()?;
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Binds an abstract unix socket named `name`: only one socket can hold a name.
    fn bind(name: &str) -> Option<Token> {
        // SAFETY: a plain socket call; the result is checked.
        let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return None;
        }
        // SAFETY: a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: sockaddr_un is plain data; zeroed is valid.
        let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
        addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
        let bytes = name.as_bytes();
        // The abstract namespace: a leading NUL, then the name.
        for (dst, &b) in addr.sun_path[1..].iter_mut().zip(bytes) {
            *dst = b as libc::c_char;
        }
        let len = std::mem::size_of::<libc::sa_family_t>() + 1 + bytes.len();
        // SAFETY: a valid address of `len` bytes for our socket.
        let ok = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                &addr as *const libc::sockaddr_un as *const libc::sockaddr,
                len as libc::socklen_t,
            )
        } == 0;
        ok.then_some(Token(fd))
    }
}

/// The scan this process belongs to: a worker's parent is the scan; otherwise the process
/// is the scan.
fn scan_id() -> u32 {
    let worker = std::env::args().nth(1).is_some_and(|a| a == "__worker");
    // SAFETY: getppid and getpid cannot fail.
    unsafe {
        if worker {
            libc::getppid() as u32
        } else {
            libc::getpid() as u32
        }
    }
}
