//! Access times that are really kept: a scan on a file system mounted `strictatime` (where
//! every read and every directory listing updates the access time) leaves every file's and
//! every directory's access time as it was, and its summary says so. Needs root to mount the
//! tmpfs (CI runs the tests as root).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{self, fixture};

/// A tmpfs mounted `strictatime` at a temporary directory, unmounted when dropped.
struct StrictMount {
    dir: tempfile::TempDir,
}

impl StrictMount {
    fn new() -> StrictMount {
        let dir = tempfile::tempdir().unwrap();
        let o = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                "strictatime,size=64m",
                "kartlegg-atime",
            ])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "mounting a strictatime tmpfs needs root (CI runs as root): {}",
            String::from_utf8_lossy(&o.stderr)
        );
        StrictMount { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for StrictMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Every path under `root`, itself included (listing the directories moves their access
/// times: list first, then look).
fn paths(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        }
        out.push(p);
    }
    out.sort();
    out
}

/// The access times of `paths`, in nanoseconds (`stat` does not change them).
fn atimes(paths: &[PathBuf]) -> Vec<(&PathBuf, i64)> {
    paths
        .iter()
        .map(|p| {
            let m = std::fs::symlink_metadata(p).unwrap();
            (p, m.atime() * 1_000_000_000 + m.atime_nsec())
        })
        .collect()
}

#[test]
fn a_strictatime_file_system_keeps_every_access_time() {
    let mnt = StrictMount::new();
    let root = mnt.path().join("share");
    std::fs::create_dir_all(root.join("kurs/2019")).unwrap();
    std::fs::write(
        root.join("kurs/2019/deltakere.csv"),
        "Navn;Fnr\nKari;13097248022\n",
    )
    .unwrap();
    std::fs::write(root.join("brev.txt"), "Fødselsnummer 20036914700\n").unwrap();
    std::fs::copy(
        fixture("dumps/personer.sqlite"),
        root.join("kurs/personer.sqlite"),
    )
    .unwrap();
    harness::write_zip(
        &root.join("arkiv.zip"),
        &[("inne/notat.txt", b"Fnr 29020073150\n")],
    );
    // The check itself can fail: on this mount, reading a file moves its access time.
    let probe = root.join("probe.txt");
    std::fs::write(&probe, "x").unwrap();
    let before = std::fs::metadata(&probe).unwrap().atime_nsec();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::read(&probe).unwrap();
    let after = std::fs::metadata(&probe).unwrap().atime_nsec();
    assert_ne!(
        before, after,
        "strictatime: a plain read updates the access time"
    );
    std::fs::remove_file(&probe).unwrap();

    let all = paths(&root);
    let was = atimes(&all);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let s = harness::scan(&[&root], &[]);
    assert_eq!(s.code, 1, "{}", s.stderr);
    assert_eq!(atimes(&all), was, "access times changed by the scan");
    let at = &s.inv["summary"]["atime"];
    assert_eq!(at["preserved"], true, "{at}");
    assert_eq!(at["plain_opens"], 0, "{at}");
    assert_eq!(at["dirs_plain"], 0, "{at}");
    assert_eq!(at["noatime_opens"], 4, "{at}");
    assert_eq!(at["dirs_noatime"], 3, "{at}");
}
