//! Shards: `--shard I/N` (also `KARTLEGG_SHARD`, and `--shards N` with
//! `JOB_COMPLETION_INDEX`) partition the entries under the roots; `kartlegg merge` puts the
//! shards of one scan together into the inventory one machine would have written.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::harness::{kartlegg, scan, Tree};

const FNR: &str = "13097248022";

/// A tree of `n` files in a few directories (some with findings, some empty), a symlink and
/// an archive, so that shards hold every kind of entry.
pub fn tree(n: usize) -> Tree {
    let t = Tree::new();
    for i in 0..n {
        let body = if i % 3 == 0 {
            format!("fnr {FNR} nr {i}\n")
        } else {
            format!("ingenting {i}\n")
        };
        t.file(&format!("avd{}/sak{:02}/f{i}.txt", i % 4, i % 9), body);
    }
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for name in ["b.txt", "a/c.txt"] {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut zip, format!("tlf 40300040 {FNR}\n").as_bytes()).unwrap();
    }
    t.file("avd1/arkiv.zip", zip.finish().unwrap().into_inner());
    std::os::unix::fs::symlink("avd1", t.path().join("lenke")).unwrap();
    t
}

/// The paths of an inventory's records, as a set.
fn paths(inv: &Value) -> BTreeSet<String> {
    inv["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn shards_partition_the_files_and_say_which_they_are() {
    let t = tree(60);
    let whole = paths(&scan(&[t.path()], &[]).inv);
    let mut seen = BTreeSet::new();
    let mut sizes = Vec::new();
    for i in 0..3 {
        let shard = format!("{i}/3");
        let s = scan(&[t.path()], &["--shard", &shard]);
        assert_eq!(s.inv["scan"]["shard"]["index"], i);
        assert_eq!(s.inv["scan"]["shard"]["count"], 3);
        let mine = paths(&s.inv);
        sizes.push(mine.len());
        for p in mine {
            // A member goes with its container: the shard is decided by the file on disk.
            assert!(seen.insert(p.clone()), "{p} is in two shards");
        }
    }
    assert_eq!(seen, whole, "the shards together are the whole");
    assert!(
        sizes.iter().all(|&n| n > 5),
        "every shard has a share: {sizes:?}"
    );
    assert!(scan(&[t.path()], &[]).inv["scan"].get("shard").is_none());
}

#[test]
fn roots_holding_the_same_names_spread_over_the_shards() {
    // `scan home/*`: 40 homes of the same 4 names; and `scan home/*/notes.txt`: 40 file roots.
    let t = Tree::new();
    let names = [
        "notes.txt",
        ".bashrc",
        "Documents/cv.txt",
        "Documents/a.txt",
    ];
    for u in 0..40 {
        for n in names {
            t.file(&format!("u{u:02}/{n}"), format!("ingenting {u}\n"));
        }
    }
    let homes: Vec<_> = (0..40).map(|u| t.path().join(format!("u{u:02}"))).collect();
    let notes: Vec<_> = homes.iter().map(|h| h.join("notes.txt")).collect();
    for (roots, total) in [(&homes, 160), (&notes, 40)] {
        let roots: Vec<&Path> = roots.iter().map(|p| p.as_path()).collect();
        let mut seen = BTreeSet::new();
        let mut sizes = Vec::new();
        for i in 0..4 {
            let mine = paths(&scan(&roots, &["--shard", &format!("{i}/4")]).inv);
            sizes.push(mine.len());
            for p in mine {
                assert!(seen.insert(p.clone()), "{p} is in two shards");
            }
        }
        assert_eq!(
            seen,
            paths(&scan(&roots, &[]).inv),
            "the shards are the whole"
        );
        assert_eq!(seen.len(), total);
        let (lo, hi) = (total * 3 / 16, total * 5 / 16);
        assert!(
            sizes.iter().all(|n| (lo..=hi).contains(n)),
            "{total} files over 4 shards: {sizes:?}"
        );
    }
}

/// `kartlegg scan` of `root` with extra environment and arguments: (exit code, stdout, stderr).
fn run(root: &Path, env: &[(&str, &str)], args: &[&str]) -> (i32, Value, String) {
    let mut c = kartlegg();
    c.args(["scan", "--no-progress", "--format", "json"])
        .args(args)
        .arg(root);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    let inv = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        inv,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_shard_comes_from_the_environment_or_the_job_index() {
    let t = tree(20);
    let by_flag = paths(&scan(&[t.path()], &["--shard", "1/2"]).inv);
    let (_, inv, _) = run(t.path(), &[("KARTLEGG_SHARD", "1/2")], &[]);
    assert_eq!(paths(&inv), by_flag);
    let (_, inv, _) = run(
        t.path(),
        &[("JOB_COMPLETION_INDEX", "1")],
        &["--shards", "2"],
    );
    assert_eq!(paths(&inv), by_flag);
    assert_eq!(inv["scan"]["shard"]["index"], 1);
    // A job index alone changes nothing, but is said: each pod would scan every file.
    let (_, inv, err) = run(t.path(), &[("JOB_COMPLETION_INDEX", "1")], &[]);
    assert!(inv["scan"].get("shard").is_none());
    assert!(
        err.contains("JOB_COMPLETION_INDEX is set but --shards is not"),
        "{err}"
    );
    let (_, _, err) = run(
        t.path(),
        &[("JOB_COMPLETION_INDEX", "1")],
        &["--shard", "1/2"],
    );
    assert!(!err.contains("warning"), "an explicit shard: {err}");

    for (env, args, says) in [
        (vec![], vec!["--shard", "2/2"], "want I/N"),
        (vec![], vec!["--shard", "x"], "want I/N"),
        (
            vec![],
            vec!["--shards", "2"],
            "JOB_COMPLETION_INDEX, which is not set",
        ),
        (
            vec![("JOB_COMPLETION_INDEX", "2")],
            vec!["--shards", "2"],
            "want I/N",
        ),
        (
            vec![("JOB_COMPLETION_INDEX", "a")],
            vec!["--shards", "2"],
            "not a shard index",
        ),
        (
            vec![("KARTLEGG_SHARD", "0/2"), ("JOB_COMPLETION_INDEX", "1")],
            vec!["--shards", "2"],
            "not both",
        ),
    ] {
        let (code, _, err) = run(t.path(), &env, &args);
        assert_eq!(code, 2, "{env:?} {args:?}");
        assert!(err.contains(says), "{env:?} {args:?}: {err}");
    }
}

#[test]
fn a_state_belongs_to_its_shard() {
    let t = tree(10);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.state");
    let st = state.to_str().unwrap();
    let s = scan(&[t.path()], &["--shard", "0/2", "--state", st]);
    assert!(s.inv["summary"]["incremental"]["read"].as_u64().unwrap() > 0);
    let (code, _, err) = run(t.path(), &[], &["--shard", "1/2", "--state", st]);
    assert_eq!(code, 2);
    assert!(err.contains("was made for"), "{err}");
}

/// A scratch directory for inventories, and the key every shard shares.
struct Out {
    dir: tempfile::TempDir,
}

impl Out {
    fn new() -> Out {
        let o = Out {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::write(o.key(), "shared shard key\n").unwrap();
        o
    }

    fn key(&self) -> std::path::PathBuf {
        self.dir.path().join("key")
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    /// Starts `kartlegg scan ROOT -o NAME` with the shared key and `args`.
    fn start(&self, root: &Path, name: &str, args: &[&str]) -> std::process::Child {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("kartlegg"))
            .args(["scan", "--no-progress", "--threads", "2"])
            .arg("--hash-key-file")
            .arg(self.key())
            .arg("-o")
            .arg(self.path(name))
            .args(args)
            .arg(root)
            .env_remove("KARTLEGG_HASH_KEY")
            .env_remove("KARTLEGG_SHARD")
            .env_remove("KARTLEGG_AS_OF")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Runs the shards 0..n of `root` as n processes at once; returns their file names.
    fn shards(&self, root: &Path, n: u32, ext: &str, args: &[&str]) -> Vec<String> {
        let names: Vec<String> = (0..n).map(|i| format!("shard-{i}.{ext}")).collect();
        let children: Vec<_> = (0..n)
            .map(|i| {
                let shard = format!("{i}/{n}");
                let mut a = vec!["--shard", &shard];
                a.extend_from_slice(args);
                self.start(root, &names[i as usize], &a)
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        names
    }

    /// `kartlegg merge NAMES... -o merged.json`: (exit code, stderr).
    fn merge(&self, names: &[String]) -> (i32, String) {
        let out = kartlegg()
            .arg("merge")
            .args(names.iter().map(|n| self.path(n)))
            .arg("-o")
            .arg(self.path("merged.json"))
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Asserts that merging `names` is refused with `says`, leaving nothing behind.
    fn refused(&self, names: &[&str], says: &str) {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let (code, err) = self.merge(&names);
        assert_eq!(code, 2, "{names:?}: {err}");
        assert!(err.contains(says), "{names:?}: {err}");
        assert!(!self.path("merged.json").exists(), "nothing left behind");
        assert!(
            !self.path("merged.json.partial").exists(),
            "nothing left behind"
        );
    }

    fn read(&self, name: &str) -> Value {
        let v: Value = serde_json::from_slice(&std::fs::read(self.path(name)).unwrap()).unwrap();
        crate::harness::assert_valid(&v);
        v
    }
}

#[test]
fn merged_shards_equal_one_machines_inventory() {
    let t = tree(80);
    let o = Out::new();
    let mut whole = o.start(t.path(), "whole.json", &[]);
    assert!(matches!(whole.wait().unwrap().code(), Some(0 | 1)));
    let whole = o.read("whole.json");
    for (n, ext) in [(4, "json"), (3, "jsonl"), (1, "json")] {
        let names = o.shards(
            t.path(),
            n,
            ext,
            &["--format", if ext == "json" { "json" } else { "jsonl" }],
        );
        let (code, err) = o.merge(&names);
        assert_eq!(code, 0, "{err}");
        let merged = o.read("merged.json");
        assert_eq!(
            crate::state::comparable(&merged),
            crate::state::comparable(&whole),
            "{n} shards ({ext})"
        );
        assert!(merged["scan"].get("shard").is_none());
        assert!(merged["summary"]["findings"].as_u64().unwrap() > 0);
    }
}

/// A record edited in place, the number of files kept, is refused: its bytes are not those
/// the summary's `files_digest` was made of (copied line by line, or parsed, either way).
#[test]
fn merge_refuses_a_record_edited_in_place() {
    let t = tree(40);
    let o = Out::new();
    for (ext, format) in [("json", "json"), ("jsonl", "jsonl")] {
        let names = o.shards(t.path(), 2, ext, &["--format", format]);
        let (code, err) = o.merge(&names);
        assert_eq!(code, 0, "{err}");
        std::fs::remove_file(o.path("merged.json")).unwrap();
        // A finding's file said to be unreadable, its counts left as they were.
        let text = std::fs::read_to_string(o.path(&names[1])).unwrap();
        let edited = text.replacen(r#""status":"scanned""#, r#""status":"error""#, 1);
        assert_ne!(edited, text);
        let name = format!("edited.{ext}");
        std::fs::write(o.path(&name), edited).unwrap();
        o.refused(
            &[&names[0], &name],
            "its records are not those its summary was made with",
        );
    }
    // A summary without the digest: edited, or of an earlier build.
    let names = o.shards(t.path(), 2, "json", &["--format", "json"]);
    let mut l = Layout::read(&o, &names[1]);
    l.edit_summary(|s| {
        let digest = s.as_object_mut().unwrap().remove("files_digest");
        assert!(digest.is_some());
    });
    l.write(&o, "bare.json");
    o.refused(
        &[&names[0], "bare.json"],
        "its summary has no `files_digest`",
    );
}

/// Records that one machine lists twice, the shards list once each: a file under two roots
/// that nest (each root's walk shards it by its own relative path), and files whose masked
/// names and records agree. They are merged as listed, not refused as an overlap.
#[test]
fn equal_records_of_two_shards_are_merged_as_one_machine_lists_them() {
    let t = Tree::new();
    for i in 0..24 {
        t.file(&format!("sub/f{i}.txt"), format!("fnr {FNR} nr {i}\n"));
    }
    for name in [FNR, "130972 48022", "130972-48022", "130972.48022"] {
        let p = t.file(&format!("navn/{name}.txt"), "hei\n");
        let old = std::fs::FileTimes::new()
            .set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000));
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_times(old)
            .unwrap();
    }
    let sub = t.path().join("sub");
    let o = Out::new();
    let both = |name: &str, extra: &[&str]| {
        let mut c = o.start(t.path(), name, extra);
        assert!(matches!(c.wait().unwrap().code(), Some(0 | 1)));
    };
    let roots = ["--as-of", "2026-06-30", sub.to_str().unwrap()];
    both("whole.json", &roots);
    let whole = o.read("whole.json");
    let masked = whole["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"].as_str().unwrap().ends_with("/130********.txt"))
        .count();
    assert_eq!(masked, 4, "four files, one masked name");
    let names: Vec<String> = (0..4)
        .map(|i| {
            let name = format!("s{i}.json");
            let shard = format!("{i}/4");
            let mut args = vec!["--shard", shard.as_str()];
            args.extend(roots);
            both(&name, &args);
            name
        })
        .collect();
    let (code, err) = o.merge(&names);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        crate::state::comparable(&o.read("merged.json")),
        crate::state::comparable(&whole)
    );
}

#[test]
fn merged_shards_with_states_sum_their_incremental_counts() {
    let t = tree(30);
    // Older than the second the first scan starts in (the racy-timestamp rule).
    crate::state::settle();
    let o = Out::new();
    let states: Vec<String> = (0..2)
        .map(|i| o.path(&format!("s{i}.state")).to_str().unwrap().to_string())
        .collect();
    let run = |o: &Out| {
        let children: Vec<_> = (0..2)
            .map(|i| {
                let shard = format!("{i}/2");
                o.start(
                    t.path(),
                    &format!("p{i}.json"),
                    &["--shard", &shard, "--state", &states[i]],
                )
            })
            .collect();
        children.into_iter().for_each(|c| {
            c.wait_with_output().unwrap();
        });
        o.merge(&["p0.json".into(), "p1.json".into()])
    };
    assert_eq!(run(&o).0, 0);
    let first = o.read("merged.json");
    let files = 31; // 30 text files and the archive on disk
    assert_eq!(first["summary"]["incremental"]["read"], files);
    assert_eq!(run(&o).0, 0);
    let second = o.read("merged.json");
    assert_eq!(second["summary"]["incremental"]["reused"], files);
    assert_eq!(
        crate::state::comparable(&second),
        crate::state::comparable(&first)
    );
}

/// A root whose walk was given up (a dead share; see `isolation`) is given up by every shard,
/// since each walks all directories: the merge counts it once, as one machine would.
#[test]
fn a_walk_given_up_in_every_shard_counts_once_in_the_merge() {
    let t = tree(10);
    let o = Out::new();
    let names = o.shards(t.path(), 2, "json", &[]);
    for (i, name) in names.iter().enumerate() {
        edited(&o, name, &format!("w{i}.json"), |v| {
            v["summary"]["walks_stopped"] = 1.into()
        });
    }
    let (code, err) = o.merge(&["w0.json".into(), "w1.json".into()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(o.read("merged.json")["summary"]["walks_stopped"], 1);
    let (code, err) = o.merge(&names);
    assert_eq!(code, 0, "{err}");
    assert!(o.read("merged.json")["summary"]
        .get("walks_stopped")
        .is_none());
}

/// Rewrites inventory `from` as `to`, changing its header or summary with `edit`.
fn edited(o: &Out, from: &str, to: &str, edit: impl FnOnce(&mut Value)) {
    let mut v = o.read(from);
    edit(&mut v);
    std::fs::write(o.path(to), serde_json::to_vec(&v).unwrap()).unwrap();
}

#[test]
fn merge_refuses_what_is_not_one_scan() {
    let t = tree(24);
    let other = tree(4);
    let o = Out::new();
    let names = o.shards(t.path(), 3, "json", &["--as-of", "2026-06-30"]);
    let refused = |names: &[&str], says: &str| o.refused(names, says);
    refused(&["shard-0.json", "shard-1.json"], "shard 2/3 is missing");
    refused(&["shard-0.json"], "shards 1/3, 2/3 are missing");
    refused(
        &["shard-0.json", "shard-1.json", "shard-1.json"],
        "shard 1/3 and shard 1/3 overlap",
    );

    let run = |name: &str, root: &Path, args: &[&str]| {
        let c = o.start(root, name, args);
        c.wait_with_output().unwrap();
    };
    run("all.json", t.path(), &["--as-of", "2026-06-30"]);
    refused(
        &["all.json", "shard-0.json", "shard-1.json", "shard-2.json"],
        "all files (no shard) and shard 0/3 overlap",
    );
    refused(&["all.json", "all.json"], "overlap");
    run(
        "other-root.json",
        other.path(),
        &["--shard", "2/3", "--as-of", "2026-06-30"],
    );
    refused(
        &["shard-0.json", "shard-1.json", "other-root.json"],
        "of different roots",
    );
    run(
        "low.json",
        t.path(),
        &[
            "--shard",
            "2/3",
            "--as-of",
            "2026-06-30",
            "--min-confidence",
            "low",
        ],
    );
    refused(
        &["shard-0.json", "shard-1.json", "low.json"],
        "different options: min_confidence medium vs low",
    );
    // What --find sought and what a config declares synthetic (one config file, edited
    // between the shards): digests under the key.
    let config = o.path("kartlegg.toml");
    let declare = |value: &str| {
        std::fs::write(&config, format!("[synthetic]\nvalues = [\"{value}\"]\n")).unwrap()
    };
    let cfg = config.to_str().unwrap();
    for (what, option) in [("find_digest", "--find"), ("synthetic", "--config")] {
        let two = |name: &str, shard: &str, value: &str| {
            let arg = if option == "--config" {
                declare(value);
                cfg
            } else {
                value
            };
            run(
                name,
                t.path(),
                &["--shard", shard, "--as-of", "2026-06-30", option, arg],
            );
        };
        two("x0.json", "0/2", FNR);
        two("x1.json", "1/2", FNR);
        two("y1.json", "1/2", "20036914700");
        let (code, err) = o.merge(&["x0.json".into(), "x1.json".into()]);
        assert_eq!(code, 0, "{what}: {err}");
        std::fs::remove_file(o.path("merged.json")).unwrap();
        refused(
            &["x0.json", "y1.json"],
            &format!("different options: {what} "),
        );
    }
    // Globs that differ only in a value are masked alike in the header (two synthetic
    // numbers, `*138*********`): their digest under the key tells them apart.
    for (name, shard, glob) in [
        ("g0.json", "0/2", "*13897210066*"),
        ("g1.json", "1/2", "*13897210147*"),
    ] {
        run(
            name,
            t.path(),
            &["--shard", shard, "--as-of", "2026-06-30", "--exclude", glob],
        );
    }
    let exclude = |name: &str| o.read(name)["scan"]["options"]["exclude"].clone();
    assert_eq!(exclude("g0.json"), exclude("g1.json"));
    refused(
        &["g0.json", "g1.json"],
        "different options: exclude_digest ",
    );
    run(
        "date.json",
        t.path(),
        &["--shard", "2/3", "--as-of", "2026-07-01"],
    );
    refused(
        &["shard-0.json", "shard-1.json", "date.json"],
        "different as-of dates: 2026-06-30 vs 2026-07-01",
    );
    run(
        "four.json",
        t.path(),
        &["--shard", "2/4", "--as-of", "2026-06-30"],
    );
    refused(
        &["shard-0.json", "shard-1.json", "four.json"],
        "shards of 3 and of 4",
    );
    // Other rules, another key: edited headers stand in for them (the records would differ
    // too, but the header is what is checked first).
    edited(&o, "shard-2.json", "rules.json", |v| {
        v["tool"]["rules_hash"] = format!("sha256:{}", "0".repeat(64)).into()
    });
    refused(
        &["shard-0.json", "shard-1.json", "rules.json"],
        "different rules",
    );
    let random = std::process::Command::new(assert_cmd::cargo::cargo_bin("kartlegg"))
        .args([
            "scan",
            "--no-progress",
            "--shard",
            "2/3",
            "--as-of",
            "2026-06-30",
            "-o",
        ])
        .arg(o.path("random.json"))
        .arg(t.path())
        .env_remove("KARTLEGG_HASH_KEY")
        .output()
        .unwrap();
    assert!(matches!(random.status.code(), Some(0 | 1)));
    refused(
        &["shard-0.json", "shard-1.json", "random.json"],
        "different keys",
    );
    edited(&o, "shard-2.json", "old.json", |v| {
        v["tool"]["version"] = "0.0.1".into()
    });
    refused(
        &["shard-0.json", "shard-1.json", "old.json"],
        "different kartlegg versions",
    );
    refused(
        &["old.json"],
        "was made by kartlegg 0.0.1; merge with that version",
    );
    // An inventory whose list is shorter than its summary says (cut, or edited).
    edited(&o, "shard-2.json", "short.json", |v| {
        v["files"].as_array_mut().unwrap().pop();
    });
    refused(
        &["shard-0.json", "shard-1.json", "short.json"],
        "its summary counts",
    );
    // A partial inventory (the scan was interrupted) is not an inventory.
    std::fs::write(
        o.path("cut.json"),
        &std::fs::read(o.path("shard-2.json")).unwrap()[..400],
    )
    .unwrap();
    refused(
        &["shard-0.json", "shard-1.json", "cut.json"],
        "not a kartlegg inventory",
    );
    // JSON of another kind, first or not: refused as what it is, not for a field it lacks.
    std::fs::write(o.path("other.json"), "{\"hello\":\"world\"}\n").unwrap();
    for inputs in [
        ["other.json", "shard-0.json", "shard-1.json"],
        ["shard-0.json", "other.json", "shard-1.json"],
    ] {
        let names: Vec<String> = inputs.iter().map(|s| s.to_string()).collect();
        let (code, err) = o.merge(&names);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("other.json: not a kartlegg inventory"),
            "{err}"
        );
        assert!(!err.contains("made by kartlegg"), "{err}");
        assert!(!err.contains("different inventory versions"), "{err}");
    }
    let twice = kartlegg()
        .args(["merge", "-", "-", "-o"])
        .arg(o.path("merged.json"))
        .output()
        .unwrap();
    assert_eq!(twice.status.code(), Some(2));
    let err = String::from_utf8_lossy(&twice.stderr);
    assert!(err.contains("standard input (-) can be only one"), "{err}");
    // And the three together merge.
    let (code, err) = o.merge(&names);
    assert_eq!(code, 0, "{err}");
}

/// Shards that only look alike in their headers: roots whose names mask alike (two synthetic
/// numbers, `138*********`), and decisions files of one name with other decisions. Their
/// digests under the key tell them apart.
#[test]
fn merge_refuses_shards_that_only_look_alike() {
    let o = Out::new();
    let as_of = ["--as-of", "2026-06-30"];
    let [a, b] = ["13897210066", "13897210147"].map(|n| {
        let root = o.path(&format!("kunde-{n}"));
        std::fs::create_dir(&root).unwrap();
        for i in 0..8 {
            std::fs::write(root.join(format!("f{i}.txt")), format!("linje {i}\n")).unwrap();
        }
        root
    });
    for (name, root, shard) in [("a0.json", &a, "0/2"), ("b1.json", &b, "1/2")] {
        let mut args = vec!["--shard", shard];
        args.extend(as_of);
        o.start(root, name, &args).wait_with_output().unwrap();
    }
    let roots = |name: &str| o.read(name)["scan"]["roots"].clone();
    assert_eq!(roots("a0.json"), roots("b1.json"), "masked alike");
    o.refused(&["a0.json", "b1.json"], "of different roots");

    let decisions = o.path("beslutninger.json");
    let decide = |until: &str| {
        std::fs::write(
            &decisions,
            format!(
                r#"{{"schema_version": "1.0", "decisions": [{{"path": "/srv/kurs/deltakere.csv",
                "decision": "keep", "until": "{until}", "reason": "Klagesak",
                "reviewer": "Kari Revisor", "date": "2026-01-15", "size": 5120,
                "modified": "2019-05-02T08:11:00Z"}}]}}"#
            ),
        )
        .unwrap()
    };
    let shard = |name: &str, shard: &str| {
        let mut args = vec!["--shard", shard, "--decisions", decisions.to_str().unwrap()];
        args.extend(as_of);
        o.start(&a, name, &args).wait_with_output().unwrap();
    };
    decide("2027-06-30");
    shard("d0.json", "0/2");
    shard("d1.json", "1/2");
    decide("2029-06-30");
    shard("e1.json", "1/2");
    o.refused(
        &["d0.json", "e1.json"],
        "different options: decisions_digest ",
    );
    let (code, err) = o.merge(&["d0.json".into(), "d1.json".into()]);
    assert_eq!(code, 0, "{err}");
}

/// What merge cannot use is refused with what to do, and nothing given is lost: a shard
/// count in the millions names a few of the missing, an input where the merged inventory is
/// made (`-o X` writes `X.partial` first) is left as it is, and a pipe is read once.
#[test]
fn merge_names_what_is_missing_and_keeps_its_inputs() {
    let t = tree(6);
    let o = Out::new();
    o.start(t.path(), "one.json", &["--shard", "3/4000000000"])
        .wait_with_output()
        .unwrap();
    o.refused(
        &["one.json"],
        "shards 0/4000000000, 1/4000000000, 2/4000000000, 4/4000000000, 5/4000000000, 6/4000000000, 7/4000000000, 8/4000000000, 9/4000000000, 10/4000000000 and 3999999989 more are missing",
    );

    let names = o.shards(t.path(), 2, "json", &[]);
    let kept = o.path("merged.json.partial");
    std::fs::copy(o.path(&names[1]), &kept).unwrap();
    let (code, err) = o.merge(&[names[0].clone(), "merged.json.partial".into()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("is where the merged inventory is written while it is made"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&kept).unwrap(),
        std::fs::read(o.path(&names[1])).unwrap()
    );

    let (code, err) = o.merge(&names);
    assert_eq!(code, 0, "{err}");
    let files = std::fs::read(o.path("merged.json")).unwrap();
    let fifo = o.path("pipe");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a NUL-terminated path in this test's directory.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let source = o.path(&names[1]);
    let writer = std::thread::spawn({
        let fifo = fifo.clone();
        move || std::fs::write(fifo, std::fs::read(source).unwrap())
    });
    let (code, err) = o.merge(&[names[0].clone(), "pipe".into()]);
    writer.join().unwrap().unwrap();
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read(o.path("merged.json")).unwrap(), files);
}

/// One input may come on standard input: it is read twice (header, then records), so it is
/// kept first; both ways through give what the files give.
#[test]
fn a_shard_on_standard_input_merges_as_its_file_does() {
    let t = tree(24);
    let o = Out::new();
    for ext in ["json", "jsonl"] {
        let names = o.shards(
            t.path(),
            2,
            ext,
            &["--format", ext, "--as-of", "2026-06-30"],
        );
        let (code, err) = o.merge(&names);
        assert_eq!(code, 0, "{err}");
        let files = std::fs::read(o.path("merged.json")).unwrap();
        std::fs::remove_file(o.path("merged.json")).unwrap();
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("kartlegg"))
            .arg("merge")
            .arg(o.path(&names[0]))
            .arg("-")
            .arg("-o")
            .arg(o.path("merged.json"))
            .stdin(std::fs::File::open(o.path(&names[1])).unwrap())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            std::fs::read(o.path("merged.json")).unwrap(),
            files,
            "{ext}"
        );
        std::fs::remove_file(o.path("merged.json")).unwrap();
    }
}

/// `DIR/` names its files as `DIR` does: shards of either are shards of one scan.
#[test]
fn shards_of_a_root_with_and_without_its_trailing_slash_merge() {
    let t = tree(12);
    let o = Out::new();
    let slash = std::path::PathBuf::from(format!("{}/", t.path().display()));
    let as_of = ["--as-of", "2026-06-30"];
    for (i, root) in [t.path(), slash.as_path()].into_iter().enumerate() {
        let shard = format!("{i}/2");
        let mut args = vec!["--shard", shard.as_str()];
        args.extend(as_of);
        let mut c = o.start(root, &format!("s{i}.json"), &args);
        assert!(matches!(c.wait().unwrap().code(), Some(0 | 1)));
    }
    let mut whole = o.start(t.path(), "whole.json", &as_of);
    assert!(matches!(whole.wait().unwrap().code(), Some(0 | 1)));
    let (code, err) = o.merge(&["s0.json".into(), "s1.json".into()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        crate::state::comparable(&o.read("merged.json")),
        crate::state::comparable(&o.read("whole.json"))
    );
}

/// A JSON inventory as the writer lays it out: its first line (the header), its record lines
/// (without the commas between them) and its last line (the summary).
struct Layout {
    head: String,
    records: Vec<String>,
    end: String,
}

impl Layout {
    fn read(o: &Out, name: &str) -> Layout {
        let text = std::fs::read_to_string(o.path(name)).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let end = lines.pop().unwrap();
        assert!(end.starts_with("],\"summary\":"), "{end}");
        let head = lines.remove(0);
        let records = lines
            .into_iter()
            .map(|l| l.strip_suffix(',').unwrap_or(&l).to_string())
            .collect();
        Layout { head, records, end }
    }

    fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.head,
            self.records.join(",\n"),
            self.end
        )
    }

    fn write(&self, o: &Out, name: &str) {
        std::fs::write(o.path(name), self.text()).unwrap();
    }

    /// Makes the summary's `files_digest` that of the records now listed, as the writer
    /// makes it (the sum of their xxh3s): for the tests that lay records out by hand to see
    /// them copied, not refused as edited.
    fn redigest(&mut self) {
        let sum = self.records.iter().fold(0u64, |a, r| {
            a.wrapping_add(xxhash_rust::xxh3::xxh3_64(r.as_bytes()))
        });
        self.edit_summary(|s| s["files_digest"] = format!("xxh3-sum:{sum:016x}").into());
    }

    /// Changes the summary on the last line as `edit` says.
    fn edit_summary(&mut self, edit: impl FnOnce(&mut Value)) {
        const OPEN: &str = r#"],"summary":"#;
        let body = self
            .end
            .strip_prefix(OPEN)
            .unwrap()
            .strip_suffix('}')
            .unwrap();
        let mut summary: Value = serde_json::from_str(body).unwrap();
        edit(&mut summary);
        self.end = format!("{OPEN}{summary}}}");
    }
}

/// Names that the inventory escapes — quotes and backslashes (JSON), control characters and
/// bytes that are not UTF-8 (`\xHH`), a `!` before a `/` — are ordered by the bytes they
/// stand for, not by their JSON text: merged, they stand where one machine puts them.
#[test]
fn merged_shards_order_escaped_names_as_one_machine_does() {
    use std::os::unix::ffi::OsStrExt;
    let t = Tree::new();
    let names: &[&[u8]] = &[
        b"q\"uote.txt",
        b"q#.txt",
        b"q!.txt",
        b"b\\s.txt",
        b"b].txt",
        b"b[.txt",
        b"c\x01.txt",
        b"c\n.txt",
        b"c\t.txt",
        b"c .txt",
        b"x\xff.txt",
        b"x\xfe.txt",
        b"xz.txt",
        "x\u{e6}.txt".as_bytes(),
        b"a!/in.txt",
        b"a/in.txt",
        b"a.txt",
        b"a!b.txt",
    ];
    let dirs: [&[u8]; 4] = [b"d1", b"d1/d\"", b"d1/d#", b"d2\xff"];
    for dir in dirs {
        for (i, name) in names.iter().enumerate() {
            let mut p = t.path().join(std::ffi::OsStr::from_bytes(dir));
            p.push(std::ffi::OsStr::from_bytes(name));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            let body = if i % 2 == 0 {
                format!("fnr {FNR} nr {i}\n")
            } else {
                format!("ingenting {i}\n")
            };
            std::fs::write(&p, body).unwrap();
        }
    }
    let o = Out::new();
    let mut whole = o.start(t.path(), "whole.json", &[]);
    assert!(matches!(whole.wait().unwrap().code(), Some(0 | 1)));
    let whole = o.read("whole.json");
    // The test means something: as JSON text, the paths would be in another order.
    let listed: Vec<String> = Layout::read(&o, "whole.json")
        .records
        .iter()
        .map(|r| r[..r.find(r#"","#).unwrap()].to_string())
        .collect();
    let mut by_text = listed.clone();
    by_text.sort();
    assert_ne!(listed, by_text);

    let json = o.shards(t.path(), 3, "json", &["--format", "json"]);
    let jsonl = o.shards(t.path(), 3, "jsonl", &["--format", "jsonl"]);
    // Documents in the writer's layout (merged line by line); JSON Lines and a mix of both
    // (parsed and sorted).
    let mixed = vec![json[0].clone(), jsonl[1].clone(), json[2].clone()];
    for names in [json, jsonl, mixed] {
        let (code, err) = o.merge(&names);
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            crate::state::comparable(&o.read("merged.json")),
            crate::state::comparable(&whole),
            "{names:?}"
        );
    }
}

/// The summary without its finished time.
fn summary_of(inv: &Value) -> Value {
    let mut s = inv["summary"].clone();
    s.as_object_mut().unwrap().remove("finished");
    s
}

/// More distinct values than are counted exactly (so the sketch counts them), with and
/// without truncated findings: JSON inventories merged line by line and JSON Lines parsed
/// record by record both count what the whole scan counted, listed or not.
#[test]
fn distinct_values_merge_to_the_whole_scans_with_findings_listed_or_not() {
    use kartlegg::synth::{identity_number, Rng};
    let t = Tree::new();
    let mut rng = Rng::new(13);
    for f in 0..24 {
        let mut body = String::new();
        for _ in 0..250 {
            let n = identity_number(&mut rng, Default::default());
            body.push_str(&format!("fødselsnummer: {n}\n"));
        }
        t.file(&format!("d{}/f{f}.txt", f % 3), body);
    }
    // Few enough values that a shard (about 1,500) counts them exactly, and then a sketch
    // takes over: a merge unites both forms.
    t.file("small/few.txt", "fødselsnummer: 01018012345\n");
    let o = Out::new();
    for cap in ["10000", "100"] {
        let whole_name = format!("whole-{cap}.json");
        let cap_args = ["--max-findings-per-file", cap];
        let mut whole = o.start(t.path(), &whole_name, &cap_args);
        assert!(matches!(whole.wait().unwrap().code(), Some(0 | 1)));
        let whole = o.read(&whole_name);
        let distinct = whole["summary"]["distinct_by_kind"]["fodselsnummer"]
            .as_u64()
            .unwrap();
        assert!(distinct > 4096, "{distinct}: estimated, not exact");
        let args = |format| vec!["--format", format, "--max-findings-per-file", cap];
        let json = o.shards(t.path(), 4, "json", &args("json"));
        let shard = o.read(&json[0]);
        assert!(
            shard["summary"]["distinct_sketch"]["fodselsnummer"]["exact"].is_string(),
            "a shard's values are few enough to be kept exactly"
        );
        let (code, err) = o.merge(&json);
        assert_eq!(code, 0, "{err}");
        let by_lines = o.read("merged.json");
        let jsonl = o.shards(t.path(), 4, "jsonl", &args("jsonl"));
        let (code, err) = o.merge(&jsonl);
        assert_eq!(code, 0, "{err}");
        let parsed = o.read("merged.json");
        assert_eq!(summary_of(&by_lines), summary_of(&whole), "cap {cap}");
        assert_eq!(summary_of(&parsed), summary_of(&whole), "cap {cap}");
        let listed: usize = whole["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["findings"].as_array().unwrap().len())
            .sum();
        assert_eq!(listed < 6000, cap == "100", "cap {cap}: {listed} listed");
    }
}

/// A summary whose distinct values do not match what it keeps of them (edited, or written
/// before summaries kept them) is refused: its count could not be merged.
#[test]
fn merge_refuses_a_summary_without_the_values_it_counted() {
    let t = tree(30);
    let o = Out::new();
    let names = o.shards(t.path(), 3, "json", &["--format", "json"]);
    let mut one = Layout::read(&o, "shard-1.json");
    one.edit_summary(|s| {
        let sketch = s["distinct_sketch"].as_object_mut().unwrap();
        assert!(!sketch.is_empty(), "{sketch:?}");
        sketch.clear();
    });
    one.write(&o, "old.json");
    o.refused(
        &[names[0].as_str(), "old.json", names[2].as_str()],
        "without `distinct_sketch`: scan again",
    );
}

/// A tree whose files with many findings make records longer than what a merge holds of a
/// line (64 KiB), among short ones.
fn long_records_tree() -> Tree {
    let t = tree(30);
    for f in 0..6 {
        let body: String = (0..500)
            .map(|i| format!("telefon 4{:07}\n", (f * 500 + i) * 7919 % 10_000_000))
            .collect();
        t.file(&format!("avd{}/lang{f}.txt", f % 4), body);
    }
    t
}

fn record_path(line: &str) -> String {
    let v: Value = serde_json::from_str(line).unwrap();
    v["path"].as_str().unwrap().to_string()
}

/// `layout`'s summary, its file count raised by `more`.
fn count_more(layout: &mut Layout, more: u64) {
    layout.edit_summary(|s| {
        let seen = s["files_seen"].as_u64().unwrap();
        s["files_seen"] = (seen + more).into();
    });
}

/// Puts `record` into `layout` where its path sorts (before records of an equal path).
fn insert_sorted(layout: &mut Layout, record: String) {
    use kartlegg::report::order::key;
    let k = key(&record_path(&record));
    let at = layout
        .records
        .iter()
        .position(|r| key(&record_path(r)) >= k)
        .unwrap_or(layout.records.len());
    layout.records.insert(at, record);
}

#[test]
fn merged_shards_with_long_records_equal_one_machines_inventory() {
    let t = long_records_tree();
    let o = Out::new();
    let mut whole = o.start(t.path(), "whole.json", &["--format", "json"]);
    assert!(matches!(whole.wait().unwrap().code(), Some(0 | 1)));
    let whole = o.read("whole.json");
    let names = o.shards(t.path(), 3, "json", &["--format", "json"]);
    let longest = names
        .iter()
        .flat_map(|n| Layout::read(&o, n).records)
        .map(|r| r.len())
        .max()
        .unwrap();
    assert!(longest > 80 << 10, "{longest}: some records are long");
    let (code, err) = o.merge(&names);
    assert_eq!(code, 0, "{err}");
    let merged = std::fs::read_to_string(o.path("merged.json")).unwrap();
    assert_eq!(
        crate::state::comparable(&serde_json::from_str(&merged).unwrap()),
        crate::state::comparable(&whole)
    );
    // Copied as they were, separators and all: the document is laid out as a scan lays it.
    let layout = Layout::read(&o, "merged.json");
    assert!(layout.records.iter().any(|r| r.len() == longest));
    assert_eq!(layout.text(), merged);
}

/// Two shards listing one path with long records that agree in their first 64 KiB: their
/// order is that of their whole text, and identical ones are both listed.
#[test]
fn merge_compares_long_records_of_one_path_whole() {
    let t = long_records_tree();
    let o = Out::new();
    let names = o.shards(t.path(), 3, "json", &["--format", "json"]);
    let (donor, long) = (0..3)
        .find_map(|i| {
            let l = Layout::read(&o, &names[i]);
            let r = l.records.iter().find(|r| r.len() > 80 << 10)?.clone();
            Some((i, r))
        })
        .unwrap();
    let other = (donor + 1) % 3;
    // The same record but for one digit of its last fingerprint, near its end.
    const FP: &str = r#""fingerprint":"hmac-sha256:"#;
    let at = long.rfind(FP).unwrap() + FP.len();
    assert!(at > 64 << 10, "{at}");
    let mut changed = long.clone();
    let digit = if &long[at..at + 1] == "0" { "1" } else { "0" };
    changed.replace_range(at..at + 1, digit);
    let sorted = if long < changed {
        [&long, &changed]
    } else {
        [&changed, &long]
    };

    let mut l = Layout::read(&o, &names[other]);
    insert_sorted(&mut l, changed.clone());
    count_more(&mut l, 1);
    l.redigest();
    l.write(&o, "other.json");
    let mut inputs = names.clone();
    inputs[other] = "other.json".into();
    let (code, err) = o.merge(&inputs);
    assert_eq!(code, 0, "{err}");
    let merged = Layout::read(&o, "merged.json");
    let both: Vec<&String> = merged
        .records
        .iter()
        .filter(|r| record_path(r) == record_path(&long))
        .collect();
    assert_eq!(both, sorted, "ordered by their whole text");
    std::fs::remove_file(o.path("merged.json")).unwrap();

    // The record itself in two shards (one scan lists a file under two roots that nest
    // twice): listed twice.
    let mut l = Layout::read(&o, &names[other]);
    insert_sorted(&mut l, long.clone());
    count_more(&mut l, 1);
    l.redigest();
    l.write(&o, "twice.json");
    inputs[other] = "twice.json".into();
    let (code, err) = o.merge(&inputs);
    assert_eq!(code, 0, "{err}");
    let merged = Layout::read(&o, "merged.json");
    assert_eq!(merged.records.iter().filter(|r| **r == long).count(), 2);
    std::fs::remove_file(o.path("merged.json")).unwrap();

    // A long line that does not end as a record does.
    let mut l = Layout::read(&o, &names[donor]);
    let i = l.records.iter().position(|r| *r == long).unwrap();
    l.records[i].pop();
    l.write(&o, "cut.json");
    let mut inputs = names.clone();
    inputs[donor] = "cut.json".into();
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    o.refused(&refs, "not a file record");
}

/// Records whose end, comma or newline falls where what a merge holds of a line ends
/// (64 KiB) are copied whole, and only they; so is a record with a value of blanks and commas
/// longer than that, and two equal records of one input (a zip's two equal members) whose
/// comma is the last byte held.
#[test]
fn merge_copies_records_ending_where_what_it_holds_ends() {
    let t = tree(30);
    let o = Out::new();
    let names = o.shards(t.path(), 3, "json", &["--format", "json"]);
    let mut l = Layout::read(&o, &names[1]);
    assert!(l.records.len() >= 7);
    let held = 64 << 10;
    let padded = |r: &str, len: usize, fill: &str| {
        let path = serde_json::to_string(&record_path(r)).unwrap();
        let bare = format!(r#"{{"path":{path},"status":"scanned","pad":"x"}}"#);
        let pad = fill
            .repeat(len)
            .chars()
            .take(len - bare.len())
            .collect::<String>();
        let r = format!(r#"{{"path":{path},"status":"scanned","pad":"{pad}x"}}"#);
        assert_eq!(r.len(), len);
        r
    };
    let mut copies = Vec::new();
    for (i, len, fill) in [
        (0, held - 1, "x"),
        (1, held, "x"),
        (2, held + 1, "x"),
        (3, 3 * held + 7, "x"),
        (4, 3 * held, ", "),
        (5, held - 1, "x"),
    ] {
        l.records[i] = padded(&l.records[i], len, fill);
        copies.push((l.records[i].clone(), 1));
    }
    l.records[6] = l.records[5].clone();
    copies.last_mut().unwrap().1 = 2;
    l.redigest();
    l.write(&o, "padded.json");
    let mut inputs = names.clone();
    inputs[1] = "padded.json".into();
    let (code, err) = o.merge(&inputs);
    assert_eq!(code, 0, "{err}");
    let merged = Layout::read(&o, "merged.json");
    for (r, n) in &copies {
        assert_eq!(merged.records.iter().filter(|m| *m == r).count(), *n);
    }
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(o.path("merged.json")).unwrap()).unwrap();
    assert_eq!(doc["files"].as_array().unwrap().len(), merged.records.len());
}

#[test]
fn merge_refuses_edited_json_inventories_read_line_by_line() {
    let t = tree(30);
    let o = Out::new();
    let names = o.shards(t.path(), 3, "json", &["--format", "json"]);
    let one = Layout::read(&o, "shard-1.json");
    assert!(one.records.len() > 4);
    // Written back unchanged, it merges: the edits below are what is refused.
    one.write(&o, "same.json");
    let (code, err) = o.merge(&[names[0].clone(), "same.json".into(), names[2].clone()]);
    assert_eq!(code, 0, "{err}");
    std::fs::remove_file(o.path("merged.json")).unwrap();
    let edited = |name: &str, edit: &dyn Fn(&mut Layout)| {
        let mut l = Layout::read(&o, "shard-1.json");
        edit(&mut l);
        l.write(&o, name);
    };
    let refused = |name: &str, says: &str| o.refused(&["shard-0.json", name, "shard-2.json"], says);

    edited("swapped.json", &|l| l.records.swap(0, 1));
    refused("swapped.json", "not in inventory order at line 3");
    edited("short.json", &|l| {
        l.records.remove(2);
    });
    refused("short.json", "its summary counts");
    edited("garbled.json", &|l| l.records[1] = "[1, 2]".into());
    refused("garbled.json", "line 3: not a file record");
    edited("cut.json", &|l| l.end.clear());
    refused("cut.json", "it ends inside its list of files");
    edited("more.json", &|l| l.end.push_str("\n{}"));
    refused("more.json", "text after its end");
    edited("unfinished.json", &|l| l.end = "]}".into());
    refused("unfinished.json", "no summary with a finished time");
}

/// Summary counts that only the scan's own records carried (decisions) are summed over the
/// shards too: merged, they are one machine's.
#[test]
fn merged_shards_with_decisions_count_them_as_one_machine_does() {
    let t = tree(24);
    let o = Out::new();
    let mut first = o.start(t.path(), "first.json", &[]);
    assert!(matches!(first.wait().unwrap().code(), Some(0 | 1)));
    let first = o.read("first.json");
    let entries: Vec<Value> = first["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["counts"] != serde_json::json!({}))
        .take(5)
        .map(|f| {
            serde_json::json!({"path": f["path"], "decision": "delete", "reviewer": "Kari",
                "date": "2026-01-15", "size": f["size"], "modified": f["modified"]})
        })
        .collect();
    assert_eq!(entries.len(), 5);
    let file = o.path("decisions.json");
    std::fs::write(
        &file,
        serde_json::to_vec(&serde_json::json!({"schema_version": "1.0", "decisions": entries}))
            .unwrap(),
    )
    .unwrap();
    let args = ["--decisions", file.to_str().unwrap()];
    let mut whole = o.start(t.path(), "whole.json", &args);
    assert!(matches!(whole.wait().unwrap().code(), Some(0 | 1)));
    let whole = o.read("whole.json");
    assert!(whole["summary"]["decisions"]["decided"].as_u64().unwrap() > 0);
    let names = o.shards(t.path(), 3, "json", &args);
    let (code, err) = o.merge(&names);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        crate::state::comparable(&o.read("merged.json")),
        crate::state::comparable(&whole)
    );
}

/// The OCR engine that read a shard's images is in its summary, and merge refuses shards
/// read by different engines: their images would not be what one machine reads.
#[test]
fn merge_refuses_shards_whose_images_other_engines_read() {
    let t = Tree::new();
    for i in 0..6 {
        t.file(&format!("f{i}.txt"), format!("linje {i}\n"));
    }
    let page = crate::render::Page::text(crate::render::FONTS[0], 40.0, &[format!("Fnr: {FNR}")]);
    t.file("bilde.png", page.png());
    let o = Out::new();
    let names = o.shards(t.path(), 2, "json", &["--as-of", "2026-06-30"]);
    let engine = |name: &str| o.read(name)["summary"]["ocr"]["engine"].clone();
    let (with, without): (Vec<&String>, Vec<&String>) =
        names.iter().partition(|n| engine(n).is_string());
    assert_eq!(
        (with.len(), without.len()),
        (1, 1),
        "one shard has the image"
    );
    // Installed or not, the engine is named where a file asked for it, and only there.
    let named = engine(with[0]);
    assert!(
        named.as_str().unwrap().starts_with("tesseract ")
            || named.as_str().unwrap().starts_with("none: "),
        "{named}"
    );
    let (code, err) = o.merge(&names);
    assert_eq!(code, 0, "{err}");
    let whole = o.start(t.path(), "all.json", &["--as-of", "2026-06-30"]);
    whole.wait_with_output().unwrap();
    assert_eq!(
        summary_of(&o.read("merged.json")),
        summary_of(&o.read("all.json"))
    );
    assert_eq!(o.read("merged.json")["summary"]["ocr"]["engine"], named);

    std::fs::remove_file(o.path("merged.json")).unwrap();
    edited(&o, without[0], "other.json", |v| {
        v["summary"]["ocr"]["engine"] = "tesseract 9.9-other, eng".into()
    });
    o.refused(
        &[with[0], "other.json"],
        "images and scanned pages read by different OCR engines",
    );
}
