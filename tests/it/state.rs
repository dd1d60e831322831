//! Incremental and resumable scans (`--state FILE`): the next scan reads only new and changed
//! files, reuses the records of the others, reports removed files, and a scan killed at any
//! moment resumes without reading again what it had finished.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::harness::{file, kartlegg, scan, status};

const FNR: &str = "13097248022";

/// A scratch directory with the tree to scan, the state and a key outside the tree.
pub struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    pub fn new() -> Work {
        let w = Work {
            dir: tempfile::tempdir().unwrap(),
        };
        fs::create_dir(w.tree()).unwrap();
        fs::write(w.key(), "a key the tests share\n").unwrap();
        w
    }

    pub fn tree(&self) -> PathBuf {
        self.dir.path().join("tree")
    }

    pub fn state(&self) -> PathBuf {
        self.dir.path().join("scan.state")
    }

    pub fn key(&self) -> PathBuf {
        self.dir.path().join("key")
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `name` under the tree (parents created).
    pub fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.tree().join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, bytes).unwrap();
        p
    }

    /// A scan of the tree with the shared key and `extra` options.
    pub fn scan(&self, extra: &[&str]) -> crate::harness::Scan {
        let key = self.key();
        let mut args = vec!["--hash-key-file", key.to_str().unwrap()];
        args.extend_from_slice(extra);
        scan(&[&self.tree()], &args)
    }

    /// A scan with the state and no key given: the state's own.
    pub fn scan_own_key(&self, extra: &[&str]) -> crate::harness::Scan {
        let state = self.state();
        let mut args = vec!["--state", state.to_str().unwrap()];
        args.extend_from_slice(extra);
        scan(&[&self.tree()], &args)
    }

    /// A scan of `root` with the state and its own key that is refused: its standard error.
    fn refused(&self, root: &Path) -> String {
        let state = self.state();
        let out = kartlegg()
            .args(["scan", "--no-progress", "--format", "json"])
            .args(["--state", state.to_str().unwrap()])
            .arg(root)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// A scan with the state.
    pub fn scan_state(&self, extra: &[&str]) -> crate::harness::Scan {
        let state = self.state();
        let mut args = vec!["--state", state.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.scan(&args)
    }
}

/// Files older than the second a scan starts in: a file changed in that second is read
/// again by the next scan (the racy-timestamp rule), which would hide what a test looks at.
pub fn settle() {
    std::thread::sleep(Duration::from_millis(1100));
}

/// (reused, read, removed) of a scan with a state.
fn incremental(inv: &Value) -> (u64, u64, u64) {
    let i = &inv["summary"]["incremental"];
    let n = |k: &str| i[k].as_u64().unwrap_or_else(|| panic!("no {k} in {i}"));
    (n("reused"), n("read"), n("removed"))
}

/// An inventory without what differs between two scans of the same files: the scan's own
/// timestamps and, for a state, the incremental counts.
pub fn comparable(inv: &Value) -> Value {
    let mut v = inv.clone();
    v["scan"].as_object_mut().unwrap().remove("started");
    let s = v["summary"].as_object_mut().unwrap();
    s.remove("finished");
    s.remove("incremental");
    v
}

/// A tree with files of several kinds: text with findings, a CSV, a zip with members, a
/// file with nothing, a symlink.
fn mixed_tree(w: &Work) {
    w.file("a.txt", format!("Fødselsnummer: {FNR}\n"));
    w.file(
        "dir/b.csv",
        format!("navn;fnr\nKari;{FNR}\nOla;20036914700\n"),
    );
    w.file("dir/tom.txt", "ingenting her\n");
    let list = format!("tlf 40300040 fnr {FNR}\n");
    w.file(
        "arkiv.zip",
        zip(&[("inne/liste.txt", &list), ("annen.txt", "ingen ting\n")]),
    );
    std::os::unix::fs::symlink("a.txt", w.tree().join("lenke")).unwrap();
}

/// A zip archive of these members (name, text).
fn zip(members: &[(&str, &str)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (name, text) in members {
        zip.start_file(*name, opts).unwrap();
        std::io::Write::write_all(&mut zip, text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn an_unchanged_tree_is_reused_and_equals_a_full_scan() {
    let w = Work::new();
    mixed_tree(&w);
    settle();
    let full = w.scan(&[]);
    let first = w.scan_state(&[]);
    // 4 files on disk are read (the symlink is recorded, not read).
    assert_eq!(incremental(&first.inv), (0, 4, 0));
    let second = w.scan_state(&[]);
    assert_eq!(incremental(&second.inv), (4, 0, 0));
    assert_eq!(comparable(&first.inv), comparable(&full.inv));
    assert_eq!(comparable(&second.inv), comparable(&full.inv));
    assert_eq!(second.code, full.code);
    // The members of the zip came back from the state too.
    assert_eq!(
        status(file(&second.inv, "arkiv.zip!/inne/liste.txt")).0,
        "scanned"
    );
    // The readable summary says so.
    let state = w.state();
    let out = kartlegg()
        .args(["scan", "--no-progress", "--state", state.to_str().unwrap()])
        .args(["--hash-key-file", w.key().to_str().unwrap()])
        .arg(w.tree())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Incremental: 4 files unchanged since the last scan (records reused), 0 read, 0 gone since then."),
        "{text}"
    );
}

/// The file records of a JSON Lines inventory (`--format jsonl` on standard output), by path.
fn jsonl_files(w: &Work, extra: &[&str]) -> Vec<Value> {
    let key = w.key();
    let mut args = vec![
        "scan",
        "--format",
        "jsonl",
        "--no-progress",
        "--hash-key-file",
    ];
    args.push(key.to_str().unwrap());
    args.extend_from_slice(extra);
    let out = kartlegg().args(&args).arg(w.tree()).output().unwrap();
    let mut files: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["record"] == "file")
        .collect();
    files.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    files
}

/// A JSON inventory takes stored records as the text they were stored as; other outputs, and
/// a scan that changes records on their way (`--find`, `--decisions`), take them decoded
/// whole. Either way the records are a full scan's.
#[test]
fn reused_records_are_a_full_scans_in_every_output() {
    let w = Work::new();
    mixed_tree(&w);
    settle();
    let state = w.state();
    let with_state = ["--state", state.to_str().unwrap()];
    assert_eq!(incremental(&w.scan_state(&[]).inv), (0, 4, 0));
    assert_eq!(jsonl_files(&w, &with_state), jsonl_files(&w, &[]));
    // A search reports at every confidence: its records are stored anew, then reused.
    let find = ["--find", FNR];
    w.scan_state(&find);
    let found = w.scan_state(&find);
    assert_eq!(incremental(&found.inv), (4, 0, 0));
    assert_eq!(comparable(&found.inv), comparable(&w.scan(&find).inv));
    // Only what was sought is listed: the CSV's other number is not.
    let csv = file(&found.inv, "/dir/b.csv");
    assert_eq!(csv["findings"].as_array().unwrap().len(), 1, "{csv}");
}

#[test]
fn changed_new_and_removed_files() {
    let w = Work::new();
    mixed_tree(&w);
    w.file("borte.txt", format!("fnr {FNR}\n"));
    settle();
    assert_eq!(incremental(&w.scan_state(&[]).inv), (0, 5, 0));
    // Changed content of the same size, an archive with a member fewer, a new file, a
    // removed one, one replaced by a directory (no longer a regular file).
    w.file("a.txt", format!("Fødselsnummer: {}\n", "20036914700"));
    w.file("arkiv.zip", zip(&[("annen.txt", "ingen ting\n")]));
    w.file("dir/ny.txt", format!("ny: {FNR}\n"));
    fs::remove_file(w.tree().join("borte.txt")).unwrap();
    fs::remove_file(w.tree().join("dir/tom.txt")).unwrap();
    fs::create_dir(w.tree().join("dir/tom.txt")).unwrap();
    settle();
    let after = w.scan_state(&[]);
    // Reused: b.csv; read: a.txt, arkiv.zip, ny.txt; removed: borte.txt, tom.txt.
    assert_eq!(incremental(&after.inv), (1, 3, 2));
    let full = comparable(&w.scan(&[]).inv);
    assert_eq!(comparable(&after.inv), full);
    let a = file(&after.inv, "/a.txt");
    assert_eq!(a["findings"][0]["masked"], "200********", "the new content");
    // The removed files are gone from the state: the next scan has nothing to remove, and
    // the archive's member that went is not among its stored records.
    let again = w.scan_state(&[]);
    assert_eq!(incremental(&again.inv), (4, 0, 0));
    assert_eq!(comparable(&again.inv), full);
}

#[test]
fn files_gone_anywhere_in_the_walk_are_found_whatever_the_order_of_the_roots() {
    let w = Work::new();
    // Names that sort around `/`, in two roots given against their order.
    let names = [
        "o/a/1.txt",
        "o/a.txt",
        "o/a-b/2.txt",
        "o/b/borte/3.txt",
        "o/b/borte/4.txt",
        "o/b/blir.txt",
        "p/m.txt",
        "p/z.txt",
    ];
    for n in names {
        w.file(n, format!("fnr {FNR}\n"));
    }
    let roots = [w.tree().join("p"), w.tree().join("o")];
    let state = w.state();
    let key = w.key();
    let run = |with_state: bool| {
        let mut args = vec!["--hash-key-file", key.to_str().unwrap()];
        if with_state {
            args.extend(["--state", state.to_str().unwrap()]);
        }
        scan(&[&roots[0], &roots[1]], &args).inv
    };
    settle();
    assert_eq!(incremental(&run(true)), (0, 8, 0));
    assert_eq!(incremental(&run(true)), (8, 0, 0), "nothing taken for gone");
    // The first file of the walk, a whole directory in the middle, the last file.
    fs::remove_file(w.tree().join("o/a/1.txt")).unwrap();
    fs::remove_dir_all(w.tree().join("o/b/borte")).unwrap();
    fs::remove_file(w.tree().join("p/z.txt")).unwrap();
    let after = run(true);
    assert_eq!(incremental(&after), (4, 0, 4));
    assert_eq!(comparable(&after), comparable(&run(false)));
    assert_eq!(incremental(&run(true)), (4, 0, 0));
}

#[test]
fn the_same_roots_in_another_order_are_the_same_scope() {
    let w = Work::new();
    w.file("a/x.txt", format!("fnr {FNR}\n"));
    w.file("b/y.txt", format!("fnr {FNR}\n"));
    let (a, b) = (w.tree().join("a"), w.tree().join("b"));
    let (state, key) = (w.state(), w.key());
    let run = |roots: [&Path; 2]| {
        let args = ["--hash-key-file", key.to_str().unwrap()];
        scan(
            &roots,
            &[&args[..], &["--state", state.to_str().unwrap()]].concat(),
        )
        .inv
    };
    settle();
    assert_eq!(incremental(&run([&a, &b])), (0, 2, 0));
    assert_eq!(incremental(&run([&b, &a])), (2, 0, 0), "not another scope");
}

/// A directory the scan cannot read this time (its permissions changed) holds files not
/// seen, not files gone: they are not counted removed, and once it can be read again they are
/// reused, not read again. Among the files walked and after the last of them. As `nobody`,
/// for permissions to apply (tests run as root in CI).
#[test]
fn files_in_a_directory_that_cannot_be_read_are_not_gone() {
    use std::os::unix::fs::PermissionsExt;
    let w = Work::new();
    let files = ["a.txt", "sub/b.txt", "sub/c.txt", "z.txt", "zz/d.txt"];
    for name in files {
        w.file(name, format!("fnr {FNR}\n"));
    }
    let names = ["", "tree", "key", "tree/sub", "tree/zz"].into_iter();
    for p in names
        .map(|n| w.path().join(n))
        .chain(files.map(|n| w.tree().join(n)))
    {
        std::os::unix::fs::chown(p, Some(65534), Some(65534)).unwrap();
    }
    settle();
    let scan = || {
        let out = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(assert_cmd::cargo::cargo_bin("kartlegg"))
            .args(["scan", "--format", "json", "--no-progress", "--state"])
            .arg(w.state())
            .arg("--hash-key-file")
            .arg(w.key())
            .arg(w.tree())
            .output()
            .expect("setpriv (util-linux) runs");
        let inv: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        inv
    };
    assert_eq!(incremental(&scan()), (0, 5, 0));
    let mode = |dir: &str, mode: u32| {
        fs::set_permissions(w.tree().join(dir), fs::Permissions::from_mode(mode)).unwrap()
    };
    mode("sub", 0o000);
    mode("zz", 0o000);
    let closed = scan();
    assert_eq!(incremental(&closed), (2, 0, 0), "nothing removed");
    for dir in ["sub", "zz"] {
        assert_eq!(status(file(&closed, dir)), ("error", "permission_denied"));
    }
    mode("sub", 0o755);
    mode("zz", 0o755);
    assert_eq!(incremental(&scan()), (5, 0, 0), "reused, not read again");
    // Gone while it could not be read: found gone once it can.
    fs::remove_file(w.tree().join("sub/c.txt")).unwrap();
    mode("sub", 0o000);
    assert_eq!(incremental(&scan()), (3, 0, 0));
    mode("sub", 0o755);
    assert_eq!(incremental(&scan()), (4, 0, 1));
}

/// Files found gone are counted by the report that is made: a scan whose report fails (a
/// full disk, here `/dev/full`) after its state is finished leaves them to the next scan.
#[test]
fn files_gone_are_reported_by_the_next_report_made() {
    let w = Work::new();
    for name in ["a.txt", "b.txt", "c.txt"] {
        w.file(name, format!("fnr {FNR}\n"));
    }
    settle();
    assert_eq!(incremental(&w.scan_state(&[]).inv), (0, 3, 0));
    fs::remove_file(w.tree().join("c.txt")).unwrap();
    let failed = kartlegg()
        .args([
            "scan",
            "--format",
            "json",
            "--no-progress",
            "-o",
            "/dev/full",
        ])
        .arg("--state")
        .arg(w.state())
        .arg("--hash-key-file")
        .arg(w.key())
        .arg(w.tree())
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(2), "{failed:?}");
    let next = w.scan_state(&[]).inv;
    assert_eq!(
        incremental(&next),
        (2, 0, 1),
        "c.txt counted once it is reported"
    );
    assert_eq!(
        incremental(&w.scan_state(&[]).inv),
        (2, 0, 0),
        "and once only"
    );
}

#[test]
fn files_left_out_by_exclude_are_not_counted_as_removed() {
    let w = Work::new();
    for name in ["a.txt", "b/skip/x.txt", "c.txt", "zz.log"] {
        w.file(name, format!("fnr {FNR}\n"));
    }
    settle();
    assert_eq!(incremental(&w.scan_state(&[]).inv), (0, 4, 0));
    // Left out: a directory among the files walked, and the last file of the walk; gone: one.
    fs::remove_file(w.tree().join("a.txt")).unwrap();
    let ex = ["--exclude", "skip", "--exclude", "*.log"];
    let after = w.scan_state(&ex).inv;
    // Other options: the one file left is read again.
    assert_eq!(incremental(&after), (0, 1, 1), "only a.txt is gone");
    assert_eq!(after["summary"]["files_excluded"], 2);
    assert_eq!(comparable(&after), comparable(&w.scan(&ex).inv));
    assert_eq!(incremental(&w.scan_state(&ex).inv), (1, 0, 0));
}

#[test]
fn links_no_longer_followed_are_not_counted_as_removed() {
    let w = Work::new();
    w.file("a.txt", format!("fnr {FNR}\n"));
    w.file("mappe/b.txt", format!("fnr {FNR}\n"));
    let link = |target: &str, name: &str| {
        std::os::unix::fs::symlink(target, w.tree().join(name)).unwrap();
    };
    // A link to a file and one to a directory: read, with --follow, as a file and as a
    // directory of one.
    link("a.txt", "lenke.txt");
    link("mappe", "snarvei");
    settle();
    assert_eq!(incremental(&w.scan_state(&["--follow"]).inv), (0, 4, 0));
    // Without --follow both are there, listed as links: nothing is gone.
    let after = w.scan_state(&[]).inv;
    assert_eq!(incremental(&after), (0, 2, 0));
    assert_eq!(comparable(&after), comparable(&w.scan(&[]).inv));
    // What is gone afterwards is counted: a file, not the links passed by.
    fs::remove_file(w.tree().join("a.txt")).unwrap();
    assert_eq!(incremental(&w.scan_state(&[]).inv), (1, 0, 1));
}

#[test]
fn a_report_onto_the_state_is_refused_and_the_state_kept() {
    let w = Work::new();
    w.file("a.txt", format!("fnr {FNR}\n"));
    let state = w.state();
    let run = |out: &Path| {
        kartlegg()
            .args(["scan", "--no-progress", "--format", "json", "-o"])
            .arg(out)
            .args(["--state", state.to_str().unwrap()])
            .arg(w.tree())
            .output()
            .unwrap()
    };
    let refused = |out: &Path| {
        let o = run(out);
        assert_eq!(o.status.code(), Some(2), "{}", out.display());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("would be written onto the state"), "{err}");
    };
    // A new state named as the report, or as its log beside it: nothing is made.
    refused(&state);
    assert!(!state.exists());
    refused(&w.path().join("scan.state-wal"));
    assert!(!state.exists());
    // An existing state, by its name and by others (a symlink, a path through `..`).
    settle();
    assert_eq!(incremental(&w.scan_state(&[]).inv), (0, 1, 0));
    let before = fs::read(&state).unwrap();
    let link = w.path().join("report.json");
    std::os::unix::fs::symlink(&state, &link).unwrap();
    for out in [state.clone(), link, w.tree().join("../scan.state")] {
        refused(&out);
        assert!(fs::read(&state).unwrap() == before, "{}", out.display());
    }
    assert_eq!(
        incremental(&w.scan_state(&[]).inv),
        (1, 0, 0),
        "the state kept"
    );
}

#[test]
fn roots_that_nest_are_refused_with_a_state() {
    let w = Work::new();
    w.file("a.txt", format!("fnr {FNR}\n"));
    w.file("sub/b.txt", format!("fnr {FNR}\n"));
    let state = w.state();
    let run = |roots: &[PathBuf]| {
        kartlegg()
            .args([
                "scan",
                "--no-progress",
                "--format",
                "json",
                "-o",
                "/dev/null",
            ])
            .args(["--state", state.to_str().unwrap()])
            .args(roots)
            .output()
            .unwrap()
    };
    // Inside, the same twice, or under a trailing slash: the outer walk would pass by what the
    // inner one yields and take it for gone.
    for inner in ["sub", "", "sub/"] {
        let out = run(&[w.tree().join(inner), w.tree()]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("lies inside root"), "{err}");
    }
    assert!(
        !state.exists() || finished_in(&state) == 0,
        "nothing was scanned"
    );
    // Side by side, in either order: fine.
    fs::create_dir(w.path().join("other")).unwrap();
    let out = run(&[w.path().join("other"), w.tree()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_state_of_the_first_layout_is_taken_over_and_keeps_its_key() {
    an_earlier_layout_is_taken_over(
        "CREATE TABLE meta (name TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID;
         CREATE TABLE files (path BLOB PRIMARY KEY, dev INTEGER NOT NULL,
             ino INTEGER NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
             ctime_ns INTEGER NOT NULL, checked INTEGER NOT NULL, settings TEXT NOT NULL,
             version TEXT NOT NULL, generation INTEGER NOT NULL, complete INTEGER NOT NULL
         ) WITHOUT ROWID;
         CREATE TABLE records (path BLOB NOT NULL, seq INTEGER NOT NULL,
             data BLOB NOT NULL, PRIMARY KEY (path, seq));
         INSERT INTO meta VALUES ('layout', '1'), ('generation', 3),
             ('key', x'00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff');
         INSERT INTO files VALUES (x'2f612e747874', 1, 2, 3, 4, 5, 6, 's', 'v', 3, 1);
         INSERT INTO records VALUES (x'2f612e747874', 1, x'7b7d');",
    );
}

/// Layout 2 stored each record's head as JSON, layout 3 a binary head that its sum did not
/// cover, layout 4 a file's own record in `records`; their rows are dropped as well.
#[test]
fn a_state_of_the_second_layout_is_taken_over_and_keeps_its_key() {
    a_state_of_layout_2_to_4_is_taken_over("2");
}

#[test]
fn a_state_of_the_third_layout_is_taken_over_and_keeps_its_key() {
    a_state_of_layout_2_to_4_is_taken_over("3");
}

#[test]
fn a_state_of_the_fourth_layout_is_taken_over_and_keeps_its_key() {
    a_state_of_layout_2_to_4_is_taken_over("4");
}

/// Layout 5 had today's tables, but summed a record's head and text as one: its rows, which
/// look like today's, are dropped all the same, and its key is kept.
#[test]
fn a_state_of_the_fifth_layout_is_taken_over_and_keeps_its_key() {
    let w = Work::new();
    w.file("a.txt", format!("fnr {FNR}\n"));
    settle();
    let first = w.scan_own_key(&[]).inv;
    assert_eq!(incremental(&first), (0, 1, 0));
    let db = || rusqlite::Connection::open(w.state()).unwrap();
    let meta = |name: &str| -> rusqlite::types::Value {
        db().query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .unwrap()
    };
    let key = meta("key");
    db().execute("UPDATE meta SET value = '5' WHERE name = 'layout'", [])
        .unwrap();
    let again = w.scan_own_key(&[]).inv;
    assert_eq!(
        incremental(&again),
        (0, 1, 0),
        "its rows dropped, the file read"
    );
    assert_eq!(meta("layout"), rusqlite::types::Value::Text("6".into()));
    assert_eq!(meta("key"), key);
    let fp = |inv: &Value| file(inv, "/a.txt")["findings"][0]["fingerprint"].clone();
    assert!(fp(&first).is_string());
    assert_eq!(fp(&again), fp(&first));
    assert_eq!(incremental(&w.scan_own_key(&[]).inv), (1, 0, 0));
}

/// Layouts 2 to 4 have the same tables: files' rows without their own records.
fn a_state_of_layout_2_to_4_is_taken_over(layout: &str) {
    an_earlier_layout_is_taken_over(&format!(
        "CREATE TABLE meta (name TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID;
         CREATE TABLE files (key BLOB PRIMARY KEY, dev INTEGER NOT NULL,
             ino INTEGER NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
             ctime_ns INTEGER NOT NULL, checked INTEGER NOT NULL, settings TEXT NOT NULL,
             version TEXT NOT NULL, complete INTEGER NOT NULL
         ) WITHOUT ROWID;
         CREATE TABLE records (key BLOB NOT NULL, seq INTEGER NOT NULL,
             data BLOB NOT NULL, PRIMARY KEY (key, seq));
         INSERT INTO meta VALUES ('layout', '{layout}'),
             ('key', x'00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff');
         INSERT INTO files VALUES (x'00612e747874', 1, 2, 3, 4, 5, 6, 's', 'v', 1);
         INSERT INTO records VALUES (x'00612e747874', 1, x'7b7d');"
    ));
}

/// A state of an earlier layout, made by `tables` (which also insert its key, a file and a
/// record), is taken over: its rows dropped, its file read again, its key kept.
fn an_earlier_layout_is_taken_over(tables: &str) {
    let w = Work::new();
    w.file("a.txt", format!("fnr {FNR}\n"));
    let state = w.state();
    let page_size = || -> i64 {
        rusqlite::Connection::open(&state)
            .unwrap()
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap()
    };
    {
        let db = rusqlite::Connection::open(&state).unwrap();
        db.execute_batch(&format!("PRAGMA journal_mode=WAL;\n{tables}"))
            .unwrap();
    }
    assert_eq!(page_size(), 4096, "SQLite's own");
    // Without a key of its own, the scan takes the state's.
    let scan_state = || scan(&[&w.tree()], &["--state", state.to_str().unwrap()]).inv;
    settle();
    let first = scan_state();
    assert_eq!(
        incremental(&first),
        (0, 1, 0),
        "its rows dropped, the file read"
    );
    assert_eq!(incremental(&scan_state()), (1, 0, 0));
    assert_eq!(
        page_size(),
        8192,
        "made again with the pages of a new state"
    );
    let db = rusqlite::Connection::open(&state).unwrap();
    let meta = |name: &str| -> rusqlite::types::Value {
        db.query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .unwrap()
    };
    assert_eq!(meta("layout"), rusqlite::types::Value::Text("6".into()));
    assert_eq!(
        meta("key"),
        rusqlite::types::Value::Blob(
            hex::decode("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
                .unwrap()
        )
    );
    // The fingerprint is the kept key's: a scan with that key gives the same.
    let key_file = w.path().join("old.key");
    fs::write(
        &key_file,
        hex::decode("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff").unwrap(),
    )
    .unwrap();
    let by_key = scan(
        &[&w.tree()],
        &["--hash-key-file", key_file.to_str().unwrap()],
    )
    .inv;
    let fp = |inv: &Value| file(inv, "/a.txt")["findings"][0]["fingerprint"].clone();
    assert!(fp(&first).is_string());
    assert_eq!(fp(&first), fp(&by_key));
}

#[test]
fn stored_records_that_cannot_be_had_are_read_again() {
    let w = Work::new();
    mixed_tree(&w);
    settle();
    assert_eq!(incremental(&w.scan_state(&[]).inv), (0, 4, 0));
    // One file's own record is damaged, another's member's record is gone while its row
    // counts one: the reuse thread gives them back to be read; nothing is lost from the
    // inventory.
    let db = rusqlite::Connection::open(w.state()).unwrap();
    // Rows are keyed by the path with each `/` as a NUL byte.
    let key = |name: &str| {
        let mut k = w.tree().join(name).into_os_string().into_encoded_bytes();
        k.iter_mut().filter(|b| **b == b'/').for_each(|b| *b = 0);
        k
    };
    let damaged = db
        .execute(
            "UPDATE files SET own = x'7b' WHERE key = ?1",
            [key("a.txt")],
        )
        .unwrap();
    let deleted = db
        .execute(
            "UPDATE files SET members = 1 WHERE key = ?1",
            [key("dir/b.csv")],
        )
        .unwrap();
    // A third's head is damaged where its text is whole: a byte of the count of bytes read
    // (after the sum and the job), which would go into the summary's totals unnoticed.
    let head: Vec<u8> = db
        .query_row(
            "SELECT own FROM files WHERE key = ?1",
            [key("dir/tom.txt")],
            |r| r.get(0),
        )
        .unwrap();
    let mut head = head;
    head[8 + 8 + 5] ^= 0x40;
    let headed = db
        .execute(
            "UPDATE files SET own = ?2 WHERE key = ?1",
            rusqlite::params![key("dir/tom.txt"), head],
        )
        .unwrap();
    assert_eq!((damaged, deleted, headed), (1, 1, 1));
    drop(db);
    let again = w.scan_state(&[]);
    assert_eq!(incremental(&again.inv), (1, 3, 0));
    assert_eq!(comparable(&again.inv), comparable(&w.scan(&[]).inv));
    assert!(
        again.stderr.contains("a stored record cannot be read"),
        "{}",
        again.stderr
    );
    // Read again, they were stored again.
    assert_eq!(incremental(&w.scan_state(&[]).inv), (4, 0, 0));
}

#[test]
fn a_file_changed_in_the_second_it_was_looked_at_is_read_again() {
    let w = Work::new();
    w.file("gammel.txt", format!("fnr {FNR}\n"));
    let racy = w.file("rask.txt", format!("fnr {FNR}\n"));
    // Times at or after the moment of the scan: the file may change again without its times
    // showing it, so its record is not trusted next time.
    let later = std::time::SystemTime::now() + Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&racy)
        .unwrap()
        .set_modified(later)
        .unwrap();
    settle();
    assert_eq!(incremental(&w.scan_state(&[]).inv), (0, 2, 0));
    assert_eq!(incremental(&w.scan_state(&[]).inv), (1, 1, 0));
}

#[test]
fn other_options_or_rules_invalidate_the_stored_records() {
    let w = Work::new();
    mixed_tree(&w);
    settle();
    assert_eq!(incremental(&w.scan_state(&[]).inv), (0, 4, 0));
    let low = w.scan_state(&["--min-confidence", "low"]);
    assert_eq!(incremental(&low.inv), (0, 4, 0));
    assert_eq!(
        comparable(&low.inv),
        comparable(&w.scan(&["--min-confidence", "low"]).inv)
    );
    assert_eq!(
        incremental(&w.scan_state(&["--min-confidence", "low"]).inv),
        (4, 0, 0)
    );
    // Another key: other fingerprints.
    fs::write(w.key(), "another key\n").unwrap();
    assert_eq!(
        incremental(&w.scan_state(&["--min-confidence", "low"]).inv),
        (0, 4, 0)
    );
    // Another rule set.
    let rules = w.path().join("rules");
    fs::create_dir(&rules).unwrap();
    fs::write(
        rules.join("ansatt.toml"),
        r#"
[[rule]]
id = "ansattnummer"
kind = "ansattnummer"
pattern = '\bA(?<value>\d{6})\b'
base = 3
[[rule.examples]]
text = "ansatt A123456"
kind = "ansattnummer"
"#,
    )
    .unwrap();
    let r = rules.to_str().unwrap();
    let with_rules = w.scan_state(&["--min-confidence", "low", "--rules", r]);
    assert_eq!(incremental(&with_rules.inv), (0, 4, 0));
    // Another OCR mode: images and scanned pages read, or not.
    let ocr = ["--min-confidence", "low", "--rules", r, "--ocr", "never"];
    assert_eq!(incremental(&w.scan_state(&ocr).inv), (0, 4, 0));
    assert_eq!(incremental(&w.scan_state(&ocr).inv), (4, 0, 0));
}

/// A stand-in for Tesseract in `dir`, whether or not the machine has one: a version,
/// Norwegian data, and no words read. Each run appends its first argument to `runs.log`.
fn fake_tesseract(dir: &Path) -> PathBuf {
    let fake = dir.join("tesseract");
    let log = dir.join("runs.log");
    fs::write(
        &fake,
        format!(
            "#!/bin/sh\necho \"$1\" >> '{}'\ncase \"$1\" in\n\
             --version) echo 'tesseract 0.0-test' ;;\n\
             --list-langs) printf 'List of available languages (1):\\nnor\\n' ;;\n\
             *) cat >/dev/null; printf 'level\\tpage_num\\tblock_num\\tpar_num\\tline_num\\tword_num\\tleft\\ttop\\twidth\\theight\\tconf\\ttext\\n' ;;\n\
             esac\n",
            log.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    fake
}

/// A scan with a state (or without, a full one), the OCR engine named by
/// `KARTLEGG_TESSERACT`.
fn scan_with_engine(w: &Work, engine: &Path, extra: &[&str]) -> Value {
    let (state, key) = (w.state(), w.key());
    let full = extra.first() == Some(&"--full");
    let mut cmd = kartlegg();
    cmd.env("KARTLEGG_TESSERACT", engine)
        .args(["scan", "--format", "json", "--no-progress"])
        .args(["--hash-key-file", key.to_str().unwrap()]);
    if !full {
        cmd.args(["--state", state.to_str().unwrap()]);
    }
    let out = cmd
        .args(&extra[usize::from(full)..])
        .arg(w.tree())
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn a_change_of_the_ocr_engine_reads_again_the_files_that_asked_for_it() {
    let w = Work::new();
    w.file("a.txt", format!("fnr {FNR}\n"));
    let page = crate::render::Page::text(crate::render::FONTS[0], 40.0, &[format!("Fnr: {FNR}")]);
    w.file("bilde.png", page.png());
    let fake = fake_tesseract(w.path());
    let missing = w.path().join("no-tesseract");
    let run = |engine: &Path, extra: &[&str]| scan_with_engine(&w, engine, extra);
    settle();
    let without = run(&missing, &[]);
    assert_eq!(incremental(&without), (0, 2, 0));
    assert_eq!(
        status(file(&without, "/bilde.png")),
        ("skipped", "ocr_unavailable")
    );
    assert_eq!(incremental(&run(&missing, &[])), (2, 0, 0));
    // An engine now: the image's record is not reused, the image is read by it; the text
    // file's record never depended on an engine.
    let with = run(&fake, &[]);
    assert_eq!(incremental(&with), (1, 1, 0), "the image read again");
    assert_ne!(status(file(&with, "/bilde.png")).1, "ocr_unavailable");
    assert_eq!(comparable(&with), comparable(&run(&fake, &["--full"])));
    // Reused, the image's record still names the engine that read it.
    let reused = run(&fake, &[]);
    assert_eq!(incremental(&reused), (2, 0, 0));
    assert_eq!(
        reused["summary"]["ocr"]["engine"],
        "tesseract 0.0-test, nor"
    );
    // And none again.
    let again = run(&missing, &[]);
    assert_eq!(incremental(&again), (1, 1, 0));
    assert_eq!(
        status(file(&again, "/bilde.png")),
        ("skipped", "ocr_unavailable")
    );
    // With OCR off the engine decides nothing.
    assert_eq!(incremental(&run(&missing, &["--ocr", "never"])), (0, 2, 0));
    assert_eq!(incremental(&run(&fake, &["--ocr", "never"])), (2, 0, 0));
}

/// Learning the engine's version runs Tesseract (some 13 ms, twice): a scan whose files ask
/// for no engine, with a state or without, never runs it.
#[test]
fn files_that_ask_for_no_engine_never_run_it() {
    let w = Work::new();
    w.file("a.txt", format!("fnr {FNR}\n"));
    w.file("b.csv", format!("navn;fnr\nKari;{FNR}\n"));
    let fake = fake_tesseract(w.path());
    let log = w.path().join("runs.log");
    settle();
    assert_eq!(incremental(&scan_with_engine(&w, &fake, &[])), (0, 2, 0));
    assert_eq!(incremental(&scan_with_engine(&w, &fake, &[])), (2, 0, 0));
    assert!(
        !log.exists(),
        "Tesseract was run: {:?}",
        fs::read_to_string(&log)
    );
    // An image asks for it; so does the rescan that would reuse the image's record.
    let page = crate::render::Page::text(crate::render::FONTS[0], 40.0, &[format!("Fnr: {FNR}")]);
    w.file("bilde.png", page.png());
    settle();
    assert_eq!(incremental(&scan_with_engine(&w, &fake, &[])), (2, 1, 0));
    let runs = || fs::read_to_string(&log).unwrap_or_default().lines().count();
    let after_read = runs();
    assert!(after_read >= 3, "probed and read the image: {after_read}");
    assert_eq!(incremental(&scan_with_engine(&w, &fake, &[])), (3, 0, 0));
    assert_eq!(
        runs(),
        after_read + 2,
        "probed once (version and languages)"
    );
}

#[test]
fn synthetic_declarations_are_settings_of_the_stored_records() {
    let w = Work::new();
    w.file("a.txt", format!("fnr {FNR}\n"));
    settle();
    let config = w.path().join("kartlegg.toml");
    fs::write(&config, format!("[synthetic]\nvalues = [\"{FNR}\"]\n")).unwrap();
    let cfg = ["--config", config.to_str().unwrap()];
    let synthetic = |inv: &Value| file(inv, "a.txt")["findings"][0]["synthetic"] == true;

    let plain = w.scan_state(&[]);
    assert_eq!((incremental(&plain.inv), plain.code), ((0, 1, 0), 1));
    assert!(!synthetic(&plain.inv));
    // Declared synthetic now: the stored record (not synthetic) must not be reused.
    let declared = w.scan_state(&cfg);
    assert_eq!(incremental(&declared.inv), (0, 1, 0));
    assert!(synthetic(&declared.inv));
    assert_eq!(declared.code, 0, "synthetic numbers do not count");
    assert_eq!(comparable(&declared.inv), comparable(&w.scan(&cfg).inv));
    assert_eq!(incremental(&w.scan_state(&cfg).inv), (1, 0, 0));
    // Another declaration, then none: read again each time.
    fs::write(&config, "[synthetic]\nvalues = [\"20036914700\"]\n").unwrap();
    assert_eq!(incremental(&w.scan_state(&cfg).inv), (0, 1, 0));
    let undeclared = w.scan_state(&[]);
    assert_eq!(incremental(&undeclared.inv), (0, 1, 0));
    assert!(!synthetic(&undeclared.inv));
}

/// `--find` with a state and no key: the values are fingerprinted under the state's key, the
/// one the records are fingerprinted with.
#[test]
fn values_are_found_under_the_key_kept_in_the_state() {
    let w = Work::new();
    w.file("a.txt", format!("fnr {FNR}\n"));
    w.file("b.txt", "fnr 20036914700\n");
    settle();
    let run = |extra: &[&str]| w.scan_own_key(extra);
    run(&[]);
    let found = run(&["--find", FNR]);
    assert_eq!(
        found.inv["scan"]["fingerprints"]["key"],
        "kept in the state"
    );
    assert_eq!(found.code, 1, "{}", found.stderr);
    assert_eq!(
        file(&found.inv, "a.txt")["findings"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        file(&found.inv, "b.txt")["findings"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn a_state_whose_key_is_damaged_is_refused() {
    let w = Work::new();
    w.file("liste.txt", format!("Fødselsnummer: {FNR}\n"));
    settle();
    assert_eq!(w.scan_own_key(&[]).code, 1);
    // Cut short, the key would give every fingerprint anew without a word.
    let db = rusqlite::Connection::open(w.state()).unwrap();
    let cut = db
        .execute("UPDATE meta SET value = x'abcd' WHERE name = 'key'", [])
        .unwrap();
    assert_eq!(cut, 1);
    drop(db);
    let stderr = w.refused(&w.tree());
    assert!(
        stderr.contains("its fingerprint key is damaged (2 bytes where a state keeps 32)"),
        "{stderr}"
    );
    // With a key given, the state's is not used: the scan goes on.
    assert_eq!(incremental(&w.scan_state(&[]).inv), (0, 1, 0));
}

#[test]
fn the_state_keeps_a_key_and_no_raw_values() {
    let w = Work::new();
    w.file(
        "liste.txt",
        format!("Fødselsnummer: {FNR}\nepost kari.nordmann@firma.no\n"),
    );
    settle();
    let run = |extra: &[&str]| w.scan_own_key(extra);
    let first = run(&[]);
    let fp = &first.inv["scan"]["fingerprints"];
    assert_eq!(fp["key"], "kept in the state");
    let second = run(&[]);
    assert_eq!(second.inv["scan"]["fingerprints"]["key_id"], fp["key_id"]);
    assert_eq!(
        file(&second.inv, "liste.txt")["findings"][0]["fingerprint"],
        file(&first.inv, "liste.txt")["findings"][0]["fingerprint"],
        "fingerprints correlate across the scans of one state"
    );
    let raw = |bytes: &[u8]| {
        [FNR.as_bytes(), b"kari.nordmann@firma.no"]
            .iter()
            .any(|v| bytes.windows(v.len()).any(|w| w == *v))
    };
    assert!(!raw(&fs::read(w.state()).unwrap()));
    // --reveal reads every file again and stores nothing.
    let revealed = run(&["--reveal"]);
    assert_eq!(incremental(&revealed.inv), (0, 1, 0));
    assert_eq!(
        file(&revealed.inv, "liste.txt")["findings"][0]["value"],
        FNR
    );
    assert!(!raw(&fs::read(w.state()).unwrap()));
    assert_eq!(incremental(&run(&[]).inv), (1, 0, 0));
    // A file gone meanwhile is not found gone by a --reveal scan, which says so, but by the
    // next scan that uses the state.
    w.file("annen.txt", "ingenting\n");
    settle();
    assert_eq!(incremental(&run(&[]).inv), (1, 1, 0));
    fs::remove_file(w.tree().join("annen.txt")).unwrap();
    let state = w.state();
    let said = kartlegg()
        .args(["scan", "--no-progress", "--format", "summary", "--reveal"])
        .args(["--state", state.to_str().unwrap()])
        .arg(w.tree())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&said.stdout);
    assert!(
        said.contains("Incremental: --reveal read every file (1 read) and kept nothing in the state; files gone are counted by the next scan without --reveal."),
        "{said}"
    );
    assert_eq!(incremental(&run(&[]).inv), (1, 0, 1));
    let mode = fs::metadata(w.state()).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600,
        "the state is private"
    );
}

#[test]
fn a_state_in_use_or_of_another_tree_is_refused() {
    let w = Work::new();
    w.file("a.txt", "x\n");
    let other = w.path().join("other");
    fs::create_dir(&other).unwrap();
    w.scan_state(&[]);
    let err = w.refused(&other);
    assert!(
        err.contains("was made for") && err.contains("use another state file"),
        "{err}"
    );
    // Held by another process (here: this test) → a clear error, not a wait or a mix.
    let conn = rusqlite::Connection::open(w.state()).unwrap();
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")
        .unwrap();
    conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let err = w.refused(&w.tree());
    assert!(err.contains("in use by another scan"), "{err}");
}

#[test]
fn another_applications_database_is_refused_as_it_was_found() {
    let w = Work::new();
    w.file("a.txt", "x\n");
    let state = w.state();
    // An ordinary database, in the default (rollback) journal mode.
    {
        let db = rusqlite::Connection::open(&state).unwrap();
        db.execute_batch(
            "CREATE TABLE users (id INTEGER, name TEXT); INSERT INTO users VALUES (1, 'x');",
        )
        .unwrap();
    }
    let before = fs::read(&state).unwrap();
    let out = kartlegg()
        .args([
            "scan",
            "--no-progress",
            "--format",
            "json",
            "-o",
            "/dev/null",
        ])
        .args(["--state", state.to_str().unwrap()])
        .arg(w.tree())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a kartlegg state"), "{err}");
    // Byte for byte: not switched to a write-ahead log (header bytes 18-19), nothing added.
    assert!(fs::read(&state).unwrap() == before, "left as it was");
    assert!(!w.path().join("scan.state-wal").exists());
}

/// Files whose records are complete in the state (what a resumed scan must not read again).
fn finished_in(state: &Path) -> u64 {
    let conn = rusqlite::Connection::open(state).unwrap();
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")
        .unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok", "the state is consistent after a kill");
    conn.query_row("SELECT count(*) FROM files WHERE complete = 1", [], |r| {
        r.get::<_, i64>(0)
    })
    .unwrap() as u64
}

#[test]
fn a_scan_killed_at_random_moments_resumes_without_reading_finished_files_again() {
    let w = Work::new();
    const FILES: u64 = 6000;
    let mut rng = rand::rngs::StdRng::seed_from_u64(13);
    for i in 0..FILES {
        // Text of 2-6 KB with a few values. The state commits every 1,000 statements (a file
        // read is about one: some 900 files) besides every 200 ms, and a fast machine reads
        // all of these in less: a kill after a random share of 6,000 files finds some of them
        // finished however fast the build is.
        let mut text = String::new();
        while text.len() < rng.gen_range(2_000..6_000) {
            text.push_str("Saksbehandler noterte at kunden ringte om fakturaen i dag.\n");
            if rng.gen_ratio(1, 40) {
                text.push_str(&format!("Fødselsnummer: {FNR}, mobil 40300040\n"));
            }
        }
        w.file(&format!("d{}/f{i:03}.txt", i % 7), text);
    }
    settle();
    let expected = comparable(&w.scan(&["--threads", "1"]).inv);
    let state = w.state();
    let (mut kills, mut midway) = (0, 0);
    // The killed scans write JSON Lines, whose records appear as they are written: each is
    // killed once a random number of its files are through (0: during its start).
    let lines = w.path().join("progress.jsonl");
    let partial = w.path().join("progress.jsonl.partial");
    // Until three kills landed midway (a loaded machine may let a scan finish before its
    // kill: then the state starts again from nothing).
    while midway < 3 && kills < 60 {
        let mut before = if state.exists() {
            finished_in(&state)
        } else {
            0
        };
        if before == FILES {
            for suffix in ["", "-wal", "-shm"] {
                let _ = fs::remove_file(format!("{}{suffix}", state.display()));
            }
            before = 0;
        }
        let _ = fs::remove_file(&partial);
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("kartlegg"))
            .args([
                "scan",
                "--no-progress",
                "--format",
                "jsonl",
                "--threads",
                "1",
            ])
            .args(["--hash-key-file", w.key().to_str().unwrap()])
            .args(["--state", state.to_str().unwrap()])
            .arg("-o")
            .arg(&lines)
            .arg(w.tree())
            .env_remove("KARTLEGG_HASH_KEY")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Reused files come first, then a random share of the rest.
        let target = (before + rng.gen_range(0..(FILES - before) * 3 / 4)) as usize;
        loop {
            let written = fs::read(&partial)
                .map(|b| {
                    b.split(|&c| c == b'\n')
                        .filter(|l| l.starts_with(br#"{"record":"file""#))
                        .count()
                })
                .unwrap_or(0);
            if written >= target || child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = child.kill();
        child.wait().unwrap();
        kills += 1;
        let after = finished_in(&state);
        assert!(after >= before, "finished files stay finished");
        if after > before && after < FILES {
            midway += 1;
        }
    }
    assert!(midway >= 3, "{kills} scans killed, {midway} of them midway");
    // The scan that runs to its end reads exactly what was not finished before.
    let before = finished_in(&state);
    let last = w.scan_state(&["--threads", "1"]);
    assert_eq!(incremental(&last.inv), (before, FILES - before, 0));
    assert_eq!(comparable(&last.inv), expected);
    assert_eq!(finished_in(&state), FILES);
}
