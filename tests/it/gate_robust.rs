//! Git modes on repositories that cannot give every blob — a partial clone offline, a missing
//! object, Git LFS pointers — and blobs too large to hold: what cannot be read is listed with
//! its reason, the scan goes on, `--fail-on-unscanned` decides; scan options work or are
//! refused. Numbers are the public vectors of docs/identifiers.md.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::gate::{assert_no_raw, code, git_in, kartlegg_in, stderr, stdout, Repo, REAL, REAL2};
use super::isolation::{signal, worker_holding};

/// Text of about `bytes` bytes with no numbers in it (one line in 8 says so).
fn filler(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 64);
    let mut i = 0;
    while s.len() < bytes {
        s.push_str(&format!(
            "linje {} uten noe spesielt i seg, bare tekst\n",
            i % 7
        ));
        i += 1;
    }
    s
}

fn clone(parent: &Path, url: &str, args: &[&str]) -> std::path::PathBuf {
    let mut a = vec!["clone", "-q"];
    a.extend(args);
    a.extend([url, "clone"]);
    let out = git_in(parent, &a);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    parent.join("clone")
}

#[test]
fn a_partial_clone_offline_lists_missing_blobs_and_goes_on() {
    let r = Repo::new();
    r.git(&["config", "uploadpack.allowFilter", "true"]);
    r.git(&["config", "uploadpack.allowAnySHA1InWant", "true"]);
    r.stage("small.txt", format!("fnr {REAL}\n"));
    r.stage("big.txt", filler(4000) + &format!("fnr {REAL2}\n"));
    r.commit("one");
    r.stage(
        "big.txt",
        filler(4000) + &format!("fnr {REAL2}\nfnr {REAL}\n"),
    );
    r.git(&["mv", "small.txt", "renamed.txt"]);
    r.commit("two");
    let parent = tempfile::tempdir().unwrap();
    let url = format!("file://{}", r.path().display());
    // Blobs over 1 KiB stay on the server; without a checkout, HEAD's too.
    let c = clone(
        parent.path(),
        &url,
        &["--no-checkout", "--filter=blob:limit=1k"],
    );
    // The server goes away.
    let gone = parent.path().join("gone");
    std::fs::rename(r.path(), &gone).unwrap();
    let o = kartlegg_in(&c, &["scan", "--tracked"], &[]);
    assert_eq!(code(&o), 1, "the small file is read: {}", stderr(&o));
    assert!(
        stdout(&o).starts_with("renamed.txt:1:5: fodselsnummer"),
        "{}",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains(
            "not read completely: big.txt (error/missing_object: the blob is not in this clone"
        ),
        "{}",
        stderr(&o)
    );
    // Only unscanned: --fail-on-unscanned decides, and says why.
    let o = kartlegg_in(&c, &["scan", "--tracked", "--exclude", "renamed.txt"], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = kartlegg_in(
        &c,
        &[
            "scan",
            "--tracked",
            "--exclude",
            "renamed.txt",
            "--fail-on-unscanned",
        ],
        &[],
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("big.txt (error/missing_object"),
        "{}",
        stderr(&o)
    );
    // History and ranges need rename detection, which needs the missing blobs: without it,
    // the rename is paired by name, and the scan goes on.
    for args in [&["scan", "--history"][..], &["scan", "--diff", "HEAD~1"]] {
        let o = kartlegg_in(&c, args, &[]);
        assert_ne!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("missing_object"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    let o = kartlegg_in(&c, &["scan", "--diff", "HEAD~1"], &[]);
    assert_eq!(code(&o), 0, "the rename adds nothing: {}", stdout(&o));

    // With the server back, the missing blobs are fetched in one go and read.
    std::fs::rename(&gone, r.path()).unwrap();
    let o = kartlegg_in(&c, &["scan", "--tracked"], &[]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(!stderr(&o).contains("missing_object"), "{}", stderr(&o));
    assert!(stdout(&o).contains("big.txt:"), "{}", stdout(&o));
}

#[test]
fn a_missing_object_is_listed_not_fatal() {
    let r = Repo::new();
    r.stage("a.txt", format!("fnr {REAL}\n"));
    r.stage("b.txt", format!("fnr {REAL2}\n"));
    r.commit("two files");
    let id = r.git(&["rev-parse", "HEAD:b.txt"]);
    std::fs::remove_file(r.path().join(".git/objects").join(&id[..2]).join(&id[2..])).unwrap();
    let o = r.kartlegg(&["scan", "--tracked"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
    assert!(
        stderr(&o).contains("b.txt (error/missing_object"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn lfs_files_are_read_from_the_local_object_or_listed() {
    let r = Repo::new();
    let content = format!("navn;fnr\nOla;{REAL}\n");
    let oid = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";
    r.stage(
        "data/kunder.csv",
        format!(
            "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {}\n",
            content.len()
        ),
    );
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stderr(&o).contains("data/kunder.csv (skipped/lfs_pointer: the content is in Git LFS"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        code(&r.kartlegg(&["scan", "--staged", "--fail-on-unscanned"])),
        2
    );
    // Checked out with LFS, the object is in .git/lfs: it is what gets scanned.
    let dir = r
        .path()
        .join(".git/lfs/objects")
        .join(&oid[..2])
        .join(&oid[2..4]);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(oid), &content).unwrap();
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("data/kunder.csv:2: fodselsnummer (high) 130"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn large_blobs_are_read_from_a_spool_file_with_their_own_name() {
    let r = Repo::new();
    // Over the in-memory size: the blob goes to a temporary file that a worker reads.
    let big = filler(9 << 20);
    let dump = |rows: &str| format!("{big}INSERT INTO person VALUES {rows};\n");
    r.stage("db/dump.sql", dump(&format!("(1,'{REAL}')")));
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("db/dump.sql"), "{out}");
    assert!(out.contains("130********"), "{out}");
    r.commit("dump");
    // The old version is large too: values decide what the change adds.
    r.stage("db/dump.sql", dump(&format!("(1,'{REAL}'),(2,'{REAL2}')")));
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("200********"), "{}", stdout(&o));
    // --max-file-size skips it without reading it.
    let o = r.kartlegg(&["scan", "--staged", "--max-file-size", "1M"]);
    assert_eq!(code(&o), 0);
    assert!(
        stderr(&o).contains("db/dump.sql (skipped/too_large"),
        "{}",
        stderr(&o)
    );
}

/// What is in `dir` (not recursively: a directory left behind counts).
fn entries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

/// Whether process `pid` has ended (a zombie, or gone).
fn ended(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // `pid (comm) S ...`: the state follows the last `)`.
        Ok(stat) => {
            matches!(stat.rsplit_once(") "), Some((_, rest)) if rest.starts_with(['Z', 'X']))
        }
        Err(_) => true,
    }
}

/// A blob too large to hold, whose file name holds a value, is written to a temporary file with
/// no name on disk: while a worker reads it, nothing of it (not even its name) is in TMPDIR,
/// and no other user may open it. A scan ended from outside meanwhile — SIGTERM (`timeout`, a
/// CI cancel) or SIGKILL — leaves nothing behind, and its workers end with it.
#[test]
fn a_large_blob_leaves_nothing_on_disk_however_the_scan_ends() {
    let r = Repo::new();
    r.stage(
        &format!("data/kunder_{REAL2}.txt"),
        filler(16 << 20) + &format!("fnr {REAL}\n"),
    );
    let tmp = tempfile::tempdir().unwrap();
    let tmp = tmp.path();
    // Read whole: under its repository path, masked, with the value in its name.
    let o = kartlegg_in(
        r.path(),
        &["scan", "--staged"],
        &[("TMPDIR", tmp.to_str().unwrap())],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("data/kunder_200********.txt:"), "{out}");
    assert!(
        out.contains("data/kunder_200********.txt (part path)"),
        "{out}"
    );
    assert_no_raw(&o, &[REAL, REAL2]);
    assert_eq!(entries(tmp), Vec::<PathBuf>::new());
    for sig in [libc::SIGTERM, libc::SIGKILL] {
        let mut scan = std::process::Command::new(assert_cmd::cargo::cargo_bin("kartlegg"))
            .current_dir(r.path())
            .args(["scan", "--staged"])
            .env("TMPDIR", tmp)
            .env_remove("KARTLEGG_HASH_KEY")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (w, fd) = worker_holding(&scan, |target| target.starts_with(tmp));
        // Stopped, the worker holds the blob for as long as the scan lives, and would stay
        // for ever unless it is ended with the scan.
        signal(w, libc::SIGSTOP);
        let target = std::fs::read_link(&fd).expect("the worker still holds the blob");
        let meta = std::fs::metadata(&fd).unwrap();
        assert_eq!(meta.nlink(), 0, "the blob's file has a name: {target:?}");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{target:?}");
        assert!(!target.to_string_lossy().contains("kunder"), "{target:?}");
        assert_eq!(entries(tmp), Vec::<PathBuf>::new());
        signal(scan.id(), sig);
        scan.wait().unwrap();
        assert_eq!(entries(tmp), Vec::<PathBuf>::new(), "after signal {sig}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while !ended(w) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let alive = !ended(w);
        // SAFETY: a worker of this test's scan; a zombie or a gone pid takes no harm.
        unsafe { libc::kill(w as i32, libc::SIGKILL) };
        assert!(!alive, "worker {w} outlived the scan ended by signal {sig}");
    }
}

#[test]
fn scan_options_work_in_git_modes_or_are_refused() {
    let r = Repo::new();
    let mut inner = std::io::Cursor::new(Vec::new());
    {
        use std::io::Write;
        let mut z = zip::ZipWriter::new(&mut inner);
        let o = zip::write::SimpleFileOptions::default();
        z.start_file("a.txt", o).unwrap();
        z.write_all(format!("fnr {REAL}\n").as_bytes()).unwrap();
        z.start_file("b.txt", o).unwrap();
        z.write_all(format!("fnr {REAL2}\n").as_bytes()).unwrap();
        z.finish().unwrap();
    }
    r.stage("export.zip", inner.into_inner());
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
    // Archive limits reach the workers.
    let o = r.kartlegg(&["scan", "--staged", "--max-entries", "1"]);
    assert!(
        stderr(&o).contains("export.zip (limit_exceeded/entries_limit)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        code(&o),
        1,
        "the first member is read, the second is over the limit"
    );
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
    let o = r.kartlegg(&["scan", "--staged", "--max-depth", "0"]);
    assert!(
        stderr(&o).contains("(limit_exceeded/depth_limit)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(code(&o), 0);
    for extra in [
        &["--threads", "1"][..],
        &["--isolation", "threads"],
        &[
            "--max-memory",
            "64M",
            "--read-timeout",
            "5",
            "--max-seconds",
            "30",
        ],
        &["--max-ratio", "100", "--max-archive-bytes", "1G"],
    ] {
        let mut a = vec!["scan", "--staged"];
        a.extend(extra);
        let o = r.kartlegg(&a);
        assert_eq!(code(&o), 1, "{extra:?}: {}", stderr(&o));
        assert_eq!(stdout(&o).lines().count(), 2, "{extra:?}: {}", stdout(&o));
    }
    let o = r.kartlegg(&["scan", "--staged", "--follow"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("--follow is for inventories"),
        "{}",
        stderr(&o)
    );
    let o = r.kartlegg(&["scan", "--staged", "--shard", "0/2"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("--shard and --shards are for scans of files"),
        "{}",
        stderr(&o)
    );
}
