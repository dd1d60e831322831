//! `kartlegg diff OLD NEW` over two scans of a changing tree.

use std::path::Path;

use serde_json::{json, Value};

use crate::harness::{self, kartlegg};
use crate::report::{inventory, key, share, EMAIL, FNR, FNR2, PHONE};

/// `kartlegg diff OLD NEW EXTRA...`: exit code and stdout.
fn diff(old: &Path, new: &Path, extra: &[&str]) -> (i32, String, String) {
    let o = kartlegg()
        .arg("diff")
        .arg(old)
        .arg(new)
        .args(extra)
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn set_verdict(path: &Path, suffix: &str, verdict: &str) {
    let mut inv: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    for f in inv["files"].as_array_mut().unwrap() {
        if f["path"].as_str().unwrap().ends_with(suffix) {
            f["retention"] = json!({"policy": "kurs", "verdict": verdict});
        }
    }
    harness::assert_valid(&inv);
    std::fs::write(path, serde_json::to_vec(&inv).unwrap()).unwrap();
}

fn paths(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let p = c["path"].as_str().unwrap();
            p[p.find("/kurs").or(p.find("/hr")).or(p.rfind('/')).unwrap() + 1..].to_string()
        })
        .collect()
}

/// A diff that lists no file under any heading.
fn assert_nothing_listed(d: &Value) {
    for k in [
        "new",
        "gone",
        "changed",
        "verdicts",
        "readable",
        "unreadable",
    ] {
        assert_eq!(d[k], json!([]), "{k}");
    }
}

#[test]
fn a_changing_tree_diffs_file_by_file() {
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let key = key(work.path());
    let k = ["--hash-key-file", key.to_str().unwrap()];
    let old = work.path().join("old.json");
    let new = work.path().join("new.json");
    inventory(tree.path(), &old, &k);
    // A quarter later: a new course list, HR's list deleted, a phone added to the 2019 list,
    // and the damaged PDF replaced by a readable one.
    tree.file("kurs/2021/ny.txt", format!("Fnr: {FNR2}\n"));
    std::fs::remove_file(tree.path().join("hr/ansatte.csv")).unwrap();
    tree.file(
        "kurs/2019/deltakere.csv",
        format!(
            "Navn;Fødselsnummer;Mobil\nKari;{FNR};{PHONE}\nOla;{FNR2};92345678\nPer;;93456789\n"
        ),
    );
    tree.file(
        "hr/ødelagt.pdf",
        std::fs::read(harness::fixture("docs/ghostscript.pdf")).unwrap(),
    );
    inventory(tree.path(), &new, &k);
    set_verdict(&old, "liste.txt", "keep");
    set_verdict(&new, "liste.txt", "overdue");

    let (code, out, err) = diff(&old, &new, &["--format", "json"]);
    assert_eq!(code, 1, "new personal data appeared: {err}");
    let d: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(d["same_key"], true);
    assert_eq!(paths(&d["new"]), ["kurs/2021/ny.txt"]);
    assert_eq!(
        d["new"][0]["counts"]["fodselsnummer"],
        json!({"old": 0, "new": 1})
    );
    assert_eq!(paths(&d["gone"]), ["hr/ansatte.csv"]);
    assert_eq!(d["gone"][0]["counts"]["email"], json!({"old": 1, "new": 0}));
    // The PDF that could not be read before shows an identity number now.
    assert_eq!(
        paths(&d["changed"]),
        ["hr/ødelagt.pdf", "kurs/2019/deltakere.csv"]
    );
    assert_eq!(
        d["changed"][0]["counts"],
        json!({"fodselsnummer": {"old": 0, "new": 1}})
    );
    let c = &d["changed"][1];
    assert_eq!(c["counts"], json!({"phone": {"old": 2, "new": 3}}));
    assert_eq!(c["distinct"], json!({"phone": {"old": 2, "new": 3}}));
    assert_eq!(c["new_values"], 1);
    assert_eq!(paths(&d["readable"]), ["hr/ødelagt.pdf"]);
    assert_eq!(d["readable"][0]["old"], "error/corrupt");
    assert_eq!(d["unreadable"], json!([]));
    assert_eq!(paths(&d["verdicts"]), ["kurs/2020/liste.txt"]);
    assert_eq!(d["verdicts"][0]["old"], "keep");
    assert_eq!(d["verdicts"][0]["new"], "overdue");
    assert_eq!(d["findings"]["phone"], json!({"old": 2, "new": 3}));
    assert_eq!(d["findings"]["fodselsnummer"], json!({"old": 4, "new": 6}));
    // The new values: the 2021 list's number was already in 2019's; the third phone was not.
    assert_eq!(d["new_values"], json!({"phone": 1}));

    let (code, text, _) = diff(&old, &new, &[]);
    assert_eq!(code, 1);
    assert!(text.contains("New files with personal data: 1"), "{text}");
    assert!(text.contains("phone 2->3 (+1)"), "{text}");
    assert!(text.contains("keep -> overdue"), "{text}");
    assert!(text.contains("New personal data: yes"), "{text}");
    for raw in [FNR, FNR2, PHONE, "93456789", "+4793456789", EMAIL] {
        assert!(
            !text.contains(raw) && !out.contains(raw),
            "the diff shows {raw}"
        );
    }

    // Nothing new: exit 0, and the other way round only losses.
    let (code, out, _) = diff(&new, &new, &["--format", "json"]);
    assert_eq!(code, 0);
    let same: Value = serde_json::from_str(&out).unwrap();
    assert_nothing_listed(&same);
    let (code, out, _) = diff(&new, &old, &["--format", "json"]);
    let back: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(paths(&back["new"]), ["hr/ansatte.csv"]);
    assert_eq!(paths(&back["unreadable"]), ["hr/ødelagt.pdf"]);
    assert_eq!(back["unreadable"][0]["old"], "scanned");
    assert_eq!(back["unreadable"][0]["new"], "error/corrupt");
    assert_eq!(paths(&back["gone"]), ["kurs/2021/ny.txt"]);
    assert_eq!(
        code, 1,
        "ansatte.csv's address is new personal data from this side"
    );
}

#[test]
fn without_a_shared_key_values_are_not_compared() {
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let (old, new) = (work.path().join("a.json"), work.path().join("b.json"));
    inventory(tree.path(), &old, &[]);
    inventory(tree.path(), &new, &[]);
    let (code, out, _) = diff(&old, &new, &["--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let d: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(d["same_key"], false);
    assert!(d.get("new_values").is_none());
    assert_eq!(
        d["changed"],
        json!([]),
        "random keys: the same values do not look new"
    );
}

#[test]
fn inventories_of_other_roots_are_refused() {
    let (a, b) = (share(), share());
    let work = tempfile::tempdir().unwrap();
    let (old, new) = (work.path().join("a.json"), work.path().join("b.json"));
    inventory(a.path(), &old, &[]);
    inventory(b.path(), &new, &[]);
    let (code, out, err) = diff(&old, &new, &[]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("different roots"), "{err}");
}

/// Roots whose names mask alike (two synthetic numbers, `138*********`) are told apart by
/// their digest under the key; a scan for the values `--find` sought lists only the files
/// with them, and compares only with a scan for the same.
#[test]
fn roots_masked_alike_and_searches_are_told_apart() {
    let work = tempfile::tempdir().unwrap();
    let [a, b] = ["13897210066", "13897210147"].map(|n| {
        let root = work.path().join(format!("kunde-{n}"));
        std::fs::create_dir(&root).unwrap();
        std::fs::write(root.join("a.txt"), format!("fnr {FNR}\n")).unwrap();
        root
    });
    let k = key(work.path());
    let k = ["--hash-key-file", k.to_str().unwrap()];
    let (old, new) = (work.path().join("a.json"), work.path().join("b.json"));
    let (ia, ib) = (inventory(&a, &old, &k), inventory(&b, &new, &k));
    assert_eq!(ia["scan"]["roots"], ib["scan"]["roots"]);
    let (code, _, err) = diff(&old, &new, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("different roots (their names are masked alike"),
        "{err}"
    );

    let found = work.path().join("found.json");
    inventory(&a, &found, &[k[0], k[1], "--find", FNR]);
    for (x, y) in [(&old, &found), (&found, &old)] {
        let (code, _, err) = diff(x, y, &[]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("different searches"), "{err}");
    }
    let again = work.path().join("again.json");
    inventory(&a, &again, &[k[0], k[1], "--find", FNR]);
    let (code, _, err) = diff(&found, &again, &[]);
    assert_eq!(code, 0, "{err}");
}

/// An inventory without its summary (an interrupted scan) is counted from its records: the
/// same scan without its summary has all its findings and values, not none.
#[test]
fn an_inventory_without_a_summary_is_counted_from_its_records() {
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let (full, cut) = crate::report::jsonl_with_and_without_summary(tree.path(), work.path());
    for (a, b) in [(&full, &cut), (&cut, &full)] {
        let (code, out, err) = diff(a, b, &["--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let d: Value = serde_json::from_str(&out).unwrap();
        // Only changes are listed: there are none (it counted every kind down to 0).
        for what in ["findings", "distinct"] {
            assert_eq!(d[what], json!({}), "{what}: {d}");
        }
    }
}

/// A shard against the whole scan (or another shard) would list the other shards' files as
/// gone or new: refused, pointing at merge. Shards of one number compare.
#[test]
fn a_shard_compares_only_with_the_same_shard() {
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let inv = |name: &str, args: &[&str]| {
        let p = work.path().join(name);
        inventory(tree.path(), &p, args);
        p
    };
    let whole = inv("whole.json", &[]);
    let one = inv("one.json", &["--shard", "1/2"]);
    let zero = inv("zero.json", &["--shard", "0/2"]);
    for (a, b) in [(&whole, &one), (&one, &whole), (&zero, &one)] {
        let (code, out, err) = diff(a, b, &[]);
        assert_eq!(code, 2, "{err}");
        assert!(out.is_empty());
        assert!(err.contains("merge the shards first"), "{err}");
    }
    let (code, _, err) = diff(&one, &inv("again.json", &["--shard", "1/2"]), &[]);
    assert_eq!(code, 0, "{err}");
}

/// Records that share a path — names that mask alike, roots that nest or are given twice —
/// pair up one to one: an inventory against itself shows nothing, and a change to one of
/// them is that one change.
#[test]
fn records_that_share_a_path_pair_up() {
    let tree = harness::Tree::new();
    // Three names, one masked name (`130********.txt`), each a finding in its path.
    tree.file(&format!("saker/{FNR}.txt"), format!("fnr {FNR}\n"));
    tree.file("saker/130972 48022.txt", format!("fnr {FNR2}\n"));
    tree.file("saker/130972-48022.txt", "hei\n");
    tree.file("sub/liste.txt", format!("Fnr: {FNR}\n"));
    tree.file("sub/tom.txt", "ingenting her\n");
    let work = tempfile::tempdir().unwrap();
    let key = key(work.path());
    let k = ["--hash-key-file", key.to_str().unwrap()];
    let sub = tree.path().join("sub");
    let roots = [tree.path(), sub.as_path(), sub.as_path()];
    let scan_to = |out: &Path| {
        let s = harness::scan(&roots, &k);
        std::fs::write(out, serde_json::to_vec(&s.inv).unwrap()).unwrap();
        s.inv
    };
    let old = work.path().join("old.json");
    let inv = scan_to(&old);
    let masked = inv["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["path"]
                .as_str()
                .unwrap()
                .ends_with("saker/130********.txt")
        })
        .count();
    assert_eq!(masked, 3, "three files, one masked name");

    let (code, out, err) = diff(&old, &old, &["--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let same: Value = serde_json::from_str(&out).unwrap();
    assert_nothing_listed(&same);
    assert_eq!(same["new_values"], json!({}));

    // One of the three gains a phone; the others stay as they were. Its record is listed
    // first of the three (the smallest size), before the old records it does not equal have
    // paired up with their own.
    tree.file("saker/130972-48022.txt", format!("Tlf {PHONE}\n"));
    let new = work.path().join("new.json");
    let listed = scan_to(&new);
    let first = listed["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["path"]
                .as_str()
                .unwrap()
                .ends_with("saker/130********.txt")
        })
        .unwrap();
    assert!(harness::kinds(first).contains(&"phone".to_string()));
    let (code, out, err) = diff(&old, &new, &["--format", "json"]);
    assert_eq!(code, 1, "{out}{err}");
    let d: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(d["new"], json!([]));
    assert_eq!(d["gone"], json!([]));
    assert_eq!(paths(&d["changed"]), ["130********.txt"]);
    assert_eq!(
        d["changed"][0]["counts"],
        json!({"phone": {"old": 0, "new": 1}})
    );
    assert_eq!(d["new_values"], json!({"phone": 1}));
}

/// `DIR/` names its files as `DIR` does: the same root, not a refusal.
#[test]
fn a_root_with_a_trailing_slash_is_the_same_root() {
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let key = key(work.path());
    let k = ["--hash-key-file", key.to_str().unwrap()];
    let (old, new) = (work.path().join("a.json"), work.path().join("b.json"));
    inventory(tree.path(), &old, &k);
    let slash = std::path::PathBuf::from(format!("{}/", tree.path().display()));
    inventory(&slash, &new, &k);
    let (code, out, err) = diff(&old, &new, &["--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let d: Value = serde_json::from_str(&out).unwrap();
    assert_nothing_listed(&d);
}
