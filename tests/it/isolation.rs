//! Files are read in worker processes: a worker that dies, runs out of its memory budget, runs
//! past its time or blocks on a dead file system costs its own file (recorded with the reason)
//! and nothing else.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{assert_valid, file, status, Tree};

const FNR: &str = "13097248022";

/// The worker processes of scan `pid` (those of its direct children that run as workers).
fn workers(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
    {
        let children = task.unwrap().path().join("children");
        let text = std::fs::read_to_string(children).unwrap_or_default();
        // Only children running as workers: one just forked and not yet a worker holds copies
        // of the scan's descriptors, and has not asked to die with the scan yet.
        out.extend(
            text.split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok())
                .filter(|p| {
                    std::fs::read(format!("/proc/{p}/cmdline"))
                        .is_ok_and(|c| c.split(|&b| b == 0).nth(1) == Some(b"__worker"))
                }),
        );
    }
    out
}

/// Waits until one of the scan's workers has a file open whose path `matches`; returns its
/// pid and the descriptor's `/proc/<pid>/fd/<n>` link.
pub(crate) fn worker_holding(scan: &Child, matches: impl Fn(&Path) -> bool) -> (u32, PathBuf) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        for w in workers(scan.id()) {
            let fds = std::fs::read_dir(format!("/proc/{w}/fd"))
                .into_iter()
                .flatten()
                .flatten();
            for fd in fds {
                if std::fs::read_link(fd.path()).is_ok_and(|target| matches(&target)) {
                    return (w, fd.path());
                }
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("no worker opened the file");
}

/// Waits until one of the scan's workers has `name` open; returns its pid.
fn worker_reading(scan: &Child, name: &str) -> u32 {
    worker_holding(scan, |target| target.ends_with(name)).0
}

pub(crate) fn signal(pid: u32, sig: i32) {
    // SAFETY: sends a signal to a process this test started (a worker of its scan).
    assert_eq!(unsafe { libc::kill(pid as i32, sig) }, 0);
}

/// Starts a JSON scan of `root` in the background.
fn start(root: &Path, extra: &[&str]) -> Child {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("kartlegg"));
    cmd.env_remove("KARTLEGG_HASH_KEY")
        .args(["scan", "--format", "json", "--no-progress"])
        .args(extra)
        .arg(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: Child) -> (i32, Value) {
    let out = child.wait_with_output().unwrap();
    let inv: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    assert_valid(&inv);
    (out.status.code().unwrap(), inv)
}

/// Text big enough that a worker is still reading it when the test acts on it.
fn big_text() -> Vec<u8> {
    let mut text = format!("fnr {FNR}\n").into_bytes();
    let line = b"Lorem ipsum dolor sit amet, 12.03 kr, consectetur adipiscing elit.\n";
    while text.len() < 64 << 20 {
        text.extend_from_slice(line);
    }
    text
}

#[test]
fn a_worker_killed_from_outside_costs_only_its_file() {
    let t = Tree::new();
    t.file("stor.txt", big_text());
    for i in 0..20 {
        t.file(&format!("liten{i}.txt"), format!("fnr {FNR}\n"));
    }
    let scan = start(t.path(), &["--threads", "2"]);
    let w = worker_reading(&scan, "stor.txt");
    signal(w, libc::SIGKILL);
    let (code, inv) = finish(scan);
    assert_eq!(code, 1);
    let rec = file(&inv, "stor.txt");
    assert_eq!(status(rec), ("error", "parser_crash"));
    assert!(
        rec["detail"].as_str().unwrap().contains("signal 9"),
        "{rec}"
    );
    assert!(
        rec["size"].as_u64().is_some(),
        "the file's evidence is kept"
    );
    for i in 0..20 {
        let r = file(&inv, &format!("liten{i}.txt"));
        assert_eq!(status(r), ("scanned", ""), "{r}");
        assert_eq!(r["counts"]["fodselsnummer"], 1);
    }
    assert_eq!(inv["summary"]["files_seen"], 21);
}

#[test]
fn a_file_past_its_time_is_stopped_and_the_scan_goes_on() {
    let t = Tree::new();
    t.file("stor.txt", big_text());
    t.file("liten.txt", format!("fnr {FNR}\n"));
    let scan = start(t.path(), &["--threads", "1", "--max-seconds", "1"]);
    // A worker that stops making progress: frozen mid-file.
    let w = worker_reading(&scan, "stor.txt");
    signal(w, libc::SIGSTOP);
    let (_, inv) = finish(scan);
    let rec = file(&inv, "stor.txt");
    assert_eq!(status(rec), ("error", "timeout"), "{rec}");
    assert_eq!(status(file(&inv, "liten.txt")), ("scanned", ""));
}

/// A stored (uncompressed) zip holding `name`, `size` bytes of noise.
fn zip_with(path: &Path, name: &str, size: usize) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file(name, opts).unwrap();
    let mut data = b"%PDF-1.4\n".to_vec();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    while data.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    zip.write_all(&data).unwrap();
    zip.finish().unwrap();
}

#[test]
fn memory_is_a_budget_not_a_crash() {
    let t = Tree::new();
    // A PDF inside a zip is taken into memory whole before it is parsed: 12 MiB of heap.
    zip_with(&t.path().join("a.zip"), "a.pdf", 12 << 20);
    zip_with(&t.path().join("b.zip"), "b.pdf", 12 << 20);
    t.file("liten.txt", format!("fnr {FNR}\n"));
    // 40 MiB for two workers: each zip fits when read alone, even if both are read at once.
    let (code, inv) = finish(start(t.path(), &["--threads", "2", "--max-memory", "40M"]));
    assert_eq!(code, 1);
    for name in ["a.zip", "b.zip"] {
        assert_ne!(status(file(&inv, name)).1, "memory", "{name} fits alone");
    }
    // 8 MiB: no worker can hold the member, so the file is a limit, named, and the rest is
    // read.
    let (_, inv) = finish(start(t.path(), &["--threads", "2", "--max-memory", "8M"]));
    for name in ["a.zip", "b.zip"] {
        let rec = file(&inv, name);
        assert_eq!(status(rec), ("limit_exceeded", "memory"), "{rec}");
    }
    assert_eq!(status(file(&inv, "liten.txt")), ("scanned", ""));
}

#[test]
fn a_file_read_before_a_worker_died_is_recorded_once() {
    // A file whose record is larger than the worker's 64 KiB output buffer, then one that
    // ends the worker over the memory budget. The worker had answered the first in part (the
    // large record went out) but kept its end buffered while the next job was already
    // waiting; it died with it, the scan gave the first file to another worker, and the file
    // was listed twice.
    let t = Tree::new();
    let mut rng = kartlegg::synth::Rng::new(13);
    for i in 0..3 {
        let numbers: String = (0..700)
            .map(|_| {
                let n = kartlegg::synth::identity_number(&mut rng, Default::default());
                format!("fnr {n}\n")
            })
            .collect();
        t.file(&format!("p{i}-a.txt"), numbers);
        zip_with(&t.path().join(format!("p{i}-b.zip")), "b.pdf", 9 << 20);
    }
    let (_, inv) = finish(start(t.path(), &["--threads", "1", "--max-memory", "8M"]));
    let paths: Vec<&str> = inv["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 6, "each file once: {paths:?}");
    for i in 0..3 {
        let rec = file(&inv, &format!("p{i}-a.txt"));
        assert_eq!(status(rec), ("scanned", ""));
        assert!(
            rec["findings"].as_array().unwrap().len() >= 600,
            "a large record"
        );
        assert_eq!(
            status(file(&inv, &format!("p{i}-b.zip"))),
            ("limit_exceeded", "memory")
        );
    }
}

/// A FUSE file system (python3-fusepy) with one file whose reads never return — what a dead
/// network share looks like to a reader — and one that reads fine.
const DEAD_SHARE: &str = r#"
import errno, stat, sys, time
try:
    from fuse import FUSE, Operations, FuseOSError
except ImportError:  # Debian's python3-fusepy names the module fusepy
    from fusepy import FUSE, Operations, FuseOSError
OK = b"fnr 13097248022\n"
opened = set()
class Dead(Operations):
    def getattr(self, path, fh=None):
        if path == "/":
            return dict(st_mode=stat.S_IFDIR | 0o755, st_nlink=2)
        if path in ("/stuck.txt", "/ok.txt", "/stat.txt"):
            # The share dies once stat.txt is open: the reader's fstat never returns.
            if path == "/stat.txt" and path in opened:
                time.sleep(3600)
            return dict(st_mode=stat.S_IFREG | 0o644, st_nlink=1, st_size=len(OK))
        raise FuseOSError(errno.ENOENT)
    def open(self, path, flags):
        opened.add(path)
        return 0
    def readdir(self, path, fh):
        return [".", "..", "ok.txt", "stat.txt", "stuck.txt"]
    def read(self, path, size, offset, fh):
        if path == "/stuck.txt":
            time.sleep(3600)
        return OK[offset:offset + size]
# Attributes are asked for every time (no cache), as a dead server's would be.
FUSE(Dead(), sys.argv[1], foreground=True, nothreads=False, direct_io=True, attr_timeout=0,
     entry_timeout=0)
"#;

/// A FUSE file system served by `script` (python3-fusepy) at `t/share`, once `probe` in it
/// exists; unmounted and stopped when dropped.
struct Mounted {
    mnt: std::path::PathBuf,
    server: Child,
}

impl Mounted {
    fn new(t: &Tree, script: &str, args: &[&Path], probe: &str) -> Mounted {
        let mnt = t.path().join("share");
        std::fs::create_dir(&mnt).unwrap();
        let script = t.file("share.py", script);
        // Debian's python, where apt installs python3-fusepy.
        let server = std::process::Command::new("/usr/bin/python3")
            .arg(&script)
            .arg(&mnt)
            .args(args)
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 with fusepy (python3-fusepy) is installed");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !mnt.join(probe).exists() {
            assert!(
                Instant::now() < deadline,
                "the FUSE file system did not come up (is /dev/fuse available?)"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Mounted { mnt, server }
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("fusermount")
            .args(["-u", "-z"])
            .arg(&self.mnt)
            .status();
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

#[test]
fn a_read_that_never_returns_is_given_up() {
    let t = Tree::new();
    let share = Mounted::new(&t, DEAD_SHARE, &[], "ok.txt");
    let (code, inv) = finish(start(&share.mnt, &["--read-timeout", "2"]));
    drop(share);
    assert_eq!(code, 1);
    let rec = file(&inv, "stuck.txt");
    assert_eq!(status(rec), ("error", "timeout"), "{rec}");
    assert!(rec["detail"].as_str().unwrap().contains("--read-timeout"));
    let rec = file(&inv, "stat.txt");
    assert_eq!(
        status(rec),
        ("error", "timeout"),
        "a stat that never returns: {rec}"
    );
    assert_eq!(status(file(&inv, "ok.txt")), ("scanned", ""));
}

/// A FUSE file system whose listing of `/b`, or every `stat` of its root, blocks for 5 s (a
/// dead server, to a scan with `--read-timeout 1`) while a flag file (`dir`, `root`) exists
/// in the directory given after the mount point. Not for good: a request the server has taken
/// holds its caller in the kernel, unkillable, until answered, and so the scan's process
/// (its inventory long written) would never end.
const DYING_SHARE: &str = r#"
import errno, os, stat, sys, time
try:
    from fuse import FUSE, Operations, FuseOSError
except ImportError:  # Debian's python3-fusepy names the module fusepy
    from fusepy import FUSE, Operations, FuseOSError
FLAGS = sys.argv[2]
OK = b"fnr 13097248022\n"
DIRS = {"/": ["a.txt", "b", "c.txt"], "/b": ["x.txt"]}
FILES = ["/a.txt", "/b/x.txt", "/c.txt"]
def dead(what):
    return os.path.exists(os.path.join(FLAGS, what))
class Dying(Operations):
    def getattr(self, path, fh=None):
        if path == "/" and dead("root"):
            time.sleep(5)
        if path in DIRS:
            return dict(st_mode=stat.S_IFDIR | 0o755, st_nlink=2, st_ino=1 + len(path))
        if path in FILES:
            return dict(st_mode=stat.S_IFREG | 0o644, st_nlink=1, st_size=len(OK),
                        st_ino=10 + FILES.index(path), st_mtime=1700000000)
        raise FuseOSError(errno.ENOENT)
    def readdir(self, path, fh):
        if path == "/b" and dead("dir"):
            time.sleep(5)
        return [".", ".."] + DIRS[path]
    def read(self, path, size, offset, fh):
        return OK[offset:offset + size]
# Stable inode numbers (a state compares them); attributes asked for every time.
FUSE(Dying(), sys.argv[1], foreground=True, nothreads=False, use_ino=True, attr_timeout=0,
     entry_timeout=0)
"#;

/// A walk blocked on a dead share gives its root up after `--read-timeout`: the stuck
/// directory is `error`/`timeout`, the other roots are scanned, and a state keeps the rows of
/// the files not reached, so that once the share answers they are reused, not read again.
#[test]
fn a_walk_that_never_returns_gives_up_its_root_and_the_state_keeps_the_rest() {
    let t = Tree::new();
    let flags = t.path().join("flags");
    std::fs::create_dir(&flags).unwrap();
    let share = Mounted::new(&t, DYING_SHARE, &[&flags], "a.txt");
    t.file("zz/z.txt", format!("fnr {FNR}\n"));
    crate::state::settle();
    let state = t.path().join("share.state");
    let run = || {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("kartlegg"));
        cmd.env_remove("KARTLEGG_HASH_KEY")
            .args([
                "scan",
                "--format",
                "json",
                "--no-progress",
                "--read-timeout",
                "1",
            ])
            .arg("--state")
            .arg(&state)
            // As tab completion gives it: the rows kept are those under it all the same.
            .arg(format!("{}/", share.mnt.display()))
            .arg(t.path().join("zz"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().unwrap()
    };
    let paths = |inv: &Value| -> Vec<String> {
        let files = inv["files"].as_array().unwrap();
        let root = t.path().to_str().unwrap().to_string() + "/";
        files
            .iter()
            .map(|f| {
                f["path"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches(&root)
                    .to_string()
            })
            .collect()
    };
    let all = ["share/a.txt", "share/b/x.txt", "share/c.txt", "zz/z.txt"];

    let (code, first) = finish(run());
    assert_eq!(code, 1, "{first}");
    assert_eq!(paths(&first), all);
    // A FUSE share is a network share to the default of `--threads`: two readers per core.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    assert_eq!(
        first["scan"]["options"]["threads"],
        (cores * 2).clamp(4, 32),
        "{first}"
    );
    assert_eq!(first["summary"]["incremental"]["read"], 4);
    assert!(first["summary"].get("walks_stopped").is_none());

    std::fs::write(flags.join("dir"), "").unwrap();
    let (code, cut) = finish(run());
    assert_eq!(code, 1, "{cut}");
    assert_eq!(paths(&cut), ["share/a.txt", "share/b", "zz/z.txt"]);
    let rec = file(&cut, "share/b");
    assert_eq!(status(rec), ("error", "timeout"), "{rec}");
    assert!(rec["detail"].as_str().unwrap().contains("--read-timeout"));
    assert_eq!(cut["summary"]["walks_stopped"], 1);
    assert_eq!(
        cut["summary"]["incremental"],
        serde_json::json!({"reused": 2, "read": 0, "removed": 0}),
        "the files not reached are not gone"
    );

    std::fs::remove_file(flags.join("dir")).unwrap();
    let (code, again) = finish(run());
    assert_eq!(code, 1, "{again}");
    assert_eq!(paths(&again), all);
    assert_eq!(
        again["summary"]["incremental"],
        serde_json::json!({"reused": 4, "read": 0, "removed": 0}),
        "the rows of the files not reached were kept"
    );

    // A root that does not answer at all fails the scan, with the reason, after the timeout.
    std::fs::write(flags.join("root"), "").unwrap();
    let out = run().wait_with_output().unwrap();
    std::fs::remove_file(flags.join("root")).unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did not answer within 1 s"), "{stderr}");
}
