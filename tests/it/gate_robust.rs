//! Git modes on repositories that cannot give every blob — a partial clone offline, a missing
//! object, Git LFS pointers — and blobs too large to hold: what cannot be read is listed with
//! its reason, the scan goes on, `--fail-on-unscanned` decides; scan options work or are
//! refused. Numbers are the public vectors of docs/identifiers.md.

use std::path::Path;

use super::gate::{code, git_in, kartlegg_in, stderr, stdout, Repo, REAL, REAL2};

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
