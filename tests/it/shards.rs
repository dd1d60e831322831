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
    // A job index alone changes nothing.
    let (_, inv, _) = run(t.path(), &[("JOB_COMPLETION_INDEX", "1")], &[]);
    assert!(inv["scan"].get("shard").is_none());

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
