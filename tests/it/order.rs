//! The JSON inventory lists files sorted by path in the walk's order, members right after
//! their container; JSON Lines stay in completion order (members before their container).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use serde_json::Value;

use crate::harness::{assert_valid_line, kartlegg, scan, Tree};

const FNR: &str = "13097248022";

fn zip(members: &[&str]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for name in members {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut zip, format!("fnr {FNR}\n").as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Names chosen to catch a wrong order: a prefix of another name, bytes that are not UTF-8
/// (escaped in the inventory, compared as bytes), a directory that sorts between an archive
/// and its members' names, and an archive with members in no order.
fn tricky() -> Tree {
    let t = Tree::new();
    t.file("b.txt", "x");
    t.file("a/z.txt", "x");
    t.file("a b.txt", "x");
    t.file("a.zip.txt", "x");
    t.file("a.zip", zip(&["y.txt", "x/2.txt", "x/1.txt"]));
    t.file("Z.txt", "x");
    t.file("æ.txt", "x");
    let raw = t.path().join(OsStr::from_bytes(b"\xff.txt"));
    std::fs::write(raw, "x").unwrap();
    t
}

fn relative(inv: &Value, root: &std::path::Path) -> Vec<String> {
    let prefix = format!("{}/", root.display());
    inv["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["path"]
                .as_str()
                .unwrap()
                .strip_prefix(&prefix)
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn json_lists_files_in_the_walks_order_with_members_after_their_container() {
    let t = tricky();
    let s = scan(&[t.path()], &["--threads", "4"]);
    assert_eq!(
        relative(&s.inv, t.path()),
        [
            "Z.txt",
            "a/z.txt",
            "a b.txt",
            "a.zip",
            "a.zip!/x/1.txt",
            "a.zip!/x/2.txt",
            "a.zip!/y.txt",
            "a.zip.txt",
            "b.txt",
            "æ.txt",
            "\\xff.txt",
        ]
    );
    // The one comparison function agrees, and so does a second scan.
    let paths: Vec<&str> = s
        .files()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths
        .windows(2)
        .all(|w| kartlegg::report::order::cmp(w[0], w[1]).is_lt()));
    let again = scan(&[t.path()], &["--threads", "1"]);
    assert_eq!(relative(&again.inv, t.path()), relative(&s.inv, t.path()));
}

#[test]
fn jsonl_stays_in_completion_order() {
    let t = tricky();
    let out = kartlegg()
        .args(["scan", "--no-progress", "--format", "jsonl"])
        .arg(t.path())
        .output()
        .unwrap();
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines.iter().for_each(assert_valid_line);
    let files: Vec<String> = lines
        .iter()
        .filter(|l| l["record"] == "file")
        .map(|l| {
            l["path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    // Written as each completes: the archive's members before the archive.
    let at = |name: &str| files.iter().position(|f| f == name).unwrap();
    assert!(at("y.txt") < at("a.zip"), "{files:?}");
    assert_eq!(files.len(), 11);
}
