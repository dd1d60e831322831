//! Finding one person: `kartlegg locate` over inventories of a changing tree, and
//! `kartlegg scan --find`.

use std::path::Path;

use serde_json::Value;

use crate::harness::{self, kartlegg};
use crate::report::{inventory, key, share, EMAIL, FNR, FNR2, PHONE};

/// `kartlegg locate INV --format json EXTRA...`: exit code, the JSON (if any), stderr.
fn locate(inv: &Path, extra: &[&str]) -> (i32, Value, String) {
    let o = kartlegg()
        .arg("locate")
        .arg(inv)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    for raw in [FNR, FNR2, PHONE, EMAIL, "+4741234567"] {
        assert!(!out.contains(raw), "locate printed {raw}");
    }
    (
        o.status.code().unwrap(),
        serde_json::from_str(&out).unwrap_or(Value::Null),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// (path suffix below the tree, kind, value number) of each hit, sorted.
fn hits(found: &Value, root: &Path) -> Vec<(String, String, u64)> {
    let root = format!("{}/", root.display());
    let mut v: Vec<(String, String, u64)> = found["found"]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["path"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches(&root)
                    .to_string(),
                h["kind"].as_str().unwrap().to_string(),
                h["value"].as_u64().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

fn hit(p: &str, k: &str, n: u64) -> (String, String, u64) {
    (p.to_string(), k.to_string(), n)
}

#[test]
fn a_person_is_found_in_any_written_form_across_scans() {
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let key = key(work.path());
    let k = key.to_str().unwrap();
    let inv = work.path().join("1.json");
    inventory(tree.path(), &inv, &["--hash-key-file", k]);
    let ask = [
        "--hash-key-file",
        k,
        "--fnr",
        "130972 48022",
        "--email",
        "Kari.Nordmann@Firma.NO",
        "--phone",
        "+47 412 34 567",
    ];
    let (code, found, err) = locate(&inv, &ask);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        hits(&found, tree.path()),
        [
            hit("hr/ansatte.csv", "email", 2),
            hit("kurs/2019/deltakere.csv", "fodselsnummer", 1),
            hit("kurs/2019/deltakere.csv", "phone", 3),
            hit("kurs/2020/liste.txt", "fodselsnummer", 1),
        ]
    );
    let h = &found["found"]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["kind"] == "phone")
        .unwrap()
        .clone();
    assert_eq!(h["location"]["column"], "Mobil");
    assert_eq!(h["location"]["row"], 1);
    assert_eq!(h["masked"], "+47********");
    assert_eq!(
        found["found"]["unread_files"], 1,
        "the damaged PDF (the picture is skipped on purpose)"
    );
    assert_eq!(found["sought"][0]["kinds"][0][1], "130********");

    // Next quarter: the 2020 list is gone, the number turns up in a new letter.
    std::fs::remove_file(tree.path().join("kurs/2020/liste.txt")).unwrap();
    tree.file(
        "kurs/2021/brev.txt",
        "Gjelder fødselsnummer 130972-48022.\n",
    );
    let inv2 = work.path().join("2.jsonl");
    let o = kartlegg()
        .args([
            "scan",
            "--no-progress",
            "--format",
            "jsonl",
            "--hash-key-file",
            k,
            "-o",
        ])
        .arg(&inv2)
        .arg(tree.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let (code, found, _) = locate(&inv2, &["--hash-key-file", k, "--fnr", FNR]);
    assert_eq!(code, 1);
    assert_eq!(
        hits(&found, tree.path()),
        [
            hit("kurs/2019/deltakere.csv", "fodselsnummer", 1),
            hit("kurs/2021/brev.txt", "fodselsnummer", 1),
        ]
    );
    // Someone who is not there.
    let (code, found, _) = locate(
        &inv2,
        &[
            "--hash-key-file",
            k,
            "--fnr",
            "29020073150",
            "--phone",
            "99887766",
        ],
    );
    assert_eq!(code, 1, "29020073150 is in notat.txt");
    assert_eq!(
        hits(&found, tree.path()),
        [hit("kurs/2019/notat.txt", "fodselsnummer", 1)]
    );
    let (code, found, _) = locate(&inv2, &["--hash-key-file", k, "--phone", "99887766"]);
    assert_eq!(code, 0);
    assert_eq!(found["found"]["hits"], serde_json::json!([]));
    // The readable form names files and locations, masked.
    let o = kartlegg()
        .arg("locate")
        .arg(&inv2)
        .args(["--hash-key-file", k, "--fnr", FNR])
        .output()
        .unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("brev.txt\tline 1, column 23\tvalue 1\tfodselsnummer 130********"),
        "{text}"
    );
    assert!(text.contains("2 locations in 2 files."), "{text}");
    assert!(!text.contains(FNR));
}

#[test]
fn locate_refuses_what_cannot_match() {
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let key = key(work.path());
    let random = work.path().join("random.json");
    inventory(tree.path(), &random, &[]);
    let (code, _, err) = locate(
        &random,
        &["--hash-key-file", key.to_str().unwrap(), "--fnr", FNR],
    );
    assert_eq!(code, 2);
    assert!(err.contains("random per-scan key"), "{err}");
    let keyed = work.path().join("keyed.json");
    inventory(
        tree.path(),
        &keyed,
        &["--hash-key-file", key.to_str().unwrap()],
    );
    let other = work.path().join("annen");
    std::fs::write(&other, "en annen nøkkel").unwrap();
    let (code, _, err) = locate(
        &keyed,
        &["--hash-key-file", other.to_str().unwrap(), "--fnr", FNR],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("not the one the inventory was made with"),
        "{err}"
    );
    let (code, _, err) = locate(
        &keyed,
        &[
            "--hash-key-file",
            key.to_str().unwrap(),
            "--fnr",
            "13097248023",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("--fnr value 1 is not recognised"), "{err}");
    assert!(
        !err.contains("13097248023"),
        "the value is not echoed: {err}"
    );
    // Two numbers in one argument: the second was dropped in silence.
    let two = format!("{FNR} {FNR2}");
    let (code, _, err) = locate(
        &keyed,
        &["--hash-key-file", key.to_str().unwrap(), "--fnr", &two],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("--fnr value 1 holds 2 values: give each on its own"),
        "{err}"
    );
    assert!(!err.contains(FNR) && !err.contains(FNR2), "{err}");
    let (code, _, err) = locate(&keyed, &["--fnr", FNR]);
    assert_eq!(code, 2);
    assert!(err.contains("--hash-key-file"), "{err}");
}

#[test]
fn scan_find_reports_only_the_values_sought() {
    let tree = share();
    tree.file("kurs/brev.txt", "Ang. 130972 48022: ring 412 34 567.\n");
    let s = harness::scan(
        &[tree.path()],
        &["--find", "13.09.72 48022", "--find", "+4741234567"],
    );
    assert_eq!(s.code, 1);
    let kinds = |suffix: &str| harness::kinds(s.file(suffix));
    assert_eq!(kinds("deltakere.csv"), ["fodselsnummer", "phone"]);
    assert_eq!(kinds("kurs/brev.txt"), ["fodselsnummer", "phone"]);
    assert_eq!(kinds("liste.txt"), ["fodselsnummer"]);
    assert!(kinds("notat.txt").is_empty(), "another person's number");
    assert!(kinds("ansatte.csv").is_empty());
    assert_eq!(
        s.file("deltakere.csv")["counts"],
        serde_json::json!({"fodselsnummer": 1, "phone": 1})
    );
    assert!(s.file("deltakere.csv").get("columns").is_none());
    assert_eq!(s.inv["summary"]["findings"], 5);
    assert_eq!(s.inv["summary"]["files_with_findings"], 3);
    assert_eq!(s.inv["scan"]["options"]["find"], 2);
    assert!(
        !s.inv.to_string().contains("48022"),
        "values sought are not in the header"
    );
    // The same value again, in another spelling: the same search, as shards' merge sees it.
    let work = tempfile::tempdir().unwrap();
    let key = work.path().join("key");
    std::fs::write(&key, "nøkkel").unwrap();
    let options = |find: &[&str]| {
        let mut args = vec!["--hash-key-file", key.to_str().unwrap()];
        find.iter().for_each(|v| args.extend(["--find", v]));
        harness::scan(&[tree.path()], &args).inv["scan"]["options"].clone()
    };
    assert_eq!(
        options(&["13.09.72 48022", "+4741234567", "13097248022"]),
        options(&["13.09.72 48022", "+4741234567"])
    );
    let none = harness::scan(&[tree.path()], &["--find", "99887766"]);
    assert_eq!(none.code, 0);
    assert_eq!(none.inv["summary"]["findings"], 0);
}

/// Every valid identity number is a valid account number, and in an account's context a scan
/// records it as one: `locate --fnr` and `scan --find` look for it as both.
#[test]
fn an_identity_number_recorded_as_an_account_is_found() {
    let tree = harness::Tree::new();
    tree.file("notat.txt", format!("Kontonr {FNR} betalt\n"));
    let work = tempfile::tempdir().unwrap();
    let key = key(work.path());
    let k = key.to_str().unwrap();
    let inv = work.path().join("inv.json");
    let scanned = inventory(tree.path(), &inv, &["--hash-key-file", k]);
    assert_eq!(
        harness::kinds(harness::file(&scanned, "notat.txt")),
        ["kontonummer"]
    );
    let (code, found, err) = locate(&inv, &["--hash-key-file", k, "--fnr", FNR]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        hits(&found, tree.path()),
        [hit("notat.txt", "kontonummer", 1)]
    );
    let s = harness::scan(&[tree.path()], &["--find", FNR]);
    assert_eq!(s.code, 1, "{}", s.stderr);
    assert_eq!(harness::kinds(s.file("notat.txt")), ["kontonummer"]);
    assert_eq!(s.inv["summary"]["findings"], 1);
}
