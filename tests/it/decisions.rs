//! Decisions that survive the next scan: the decisions file, `scan --decisions`, and the
//! summary's counts, over two scans of a changing tree.

use serde_json::Value;

use crate::harness::{self, kartlegg, Tree};
use crate::report::{inventory, key, share};

/// Checks a decisions file against `schema/decisions.schema.json`.
pub fn assert_valid_decisions(doc: &Value) {
    let text = std::fs::read_to_string(harness::repo_path("schema/decisions.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let s = jsonschema::JSONSchema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .compile(&schema)
        .expect("the decisions schema compiles");
    if let Err(errors) = s.validate(doc) {
        let msgs: Vec<String> = errors
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        panic!("decisions schema violations:\n{}", msgs.join("\n"));
    };
}

fn write_decisions(dir: &std::path::Path, decisions: Value) -> std::path::PathBuf {
    let doc = serde_json::json!({"schema_version": "1.0", "decisions": decisions});
    assert_valid_decisions(&doc);
    let p = dir.join("beslutninger.json");
    std::fs::write(&p, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    p
}

/// An entry for `rec` (as the HTML page writes it: the version decided on).
fn entry(rec: &Value, extra: Value) -> Value {
    let mut e = serde_json::json!({"path": rec["path"], "reviewer": "Kari Revisor",
        "date": "2026-01-15", "size": rec["size"], "modified": rec["modified"]});
    for (k, v) in extra.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

#[test]
fn decisions_follow_files_across_scans() {
    let tree: Tree = share();
    let work = tempfile::tempdir().unwrap();
    let key = key(work.path());
    let k = key.to_str().unwrap();
    let first = inventory(
        tree.path(),
        &work.path().join("1.json"),
        &["--hash-key-file", k],
    );
    let rec = |suffix: &str| harness::file(&first, suffix).clone();
    let gone = format!("{}/kurs/2018/slettet.csv", tree.path().display());
    let file = write_decisions(
        work.path(),
        serde_json::json!([
            entry(&rec("deltakere.csv"), serde_json::json!({"decision": "delete", "note": "Kurset er over"})),
            entry(&rec("notat.txt"), serde_json::json!({"decision": "keep", "until": "2020-01-01", "reason": "Klagesak"})),
            entry(&rec("liste.txt"), serde_json::json!({"decision": "keep", "until": "2999-12-31", "reason": "Lovpålagt"})),
            entry(&rec("ansatte.csv"), serde_json::json!({"decision": "false_positive"})),
            {"path": gone, "decision": "deleted", "reviewer": "Ola", "date": "2026-01-10"},
        ]),
    );
    // Between the scans: a file is edited, and a new one with personal data appears.
    tree.file(
        "hr/ansatte.csv",
        format!(
            "navn,epost\nKari,{}\nOla,ola@firma.no\n",
            crate::report::EMAIL
        ),
    );
    tree.file("kurs/2021/ny.txt", "Fnr: 20036914700\n");
    let second = harness::scan(
        &[tree.path()],
        &["--hash-key-file", k, "--decisions", file.to_str().unwrap()],
    );
    let d = |suffix: &str| second.file(suffix).clone();
    let kurs = d("deltakere.csv");
    assert_eq!(kurs["decision"]["decision"], "delete");
    assert_eq!(kurs["decision"]["note"], "Kurset er over");
    assert_eq!(kurs["decision"]["reviewer"], "Kari Revisor");
    assert!(kurs.get("decision_stale").is_none(), "unchanged: {kurs}");
    let hr = d("ansatte.csv");
    assert_eq!(hr["decision"]["decision"], "false_positive");
    assert_eq!(hr["decision_stale"], true, "edited since the decision");
    assert_eq!(d("notat.txt")["decision"]["until"], "2020-01-01");
    assert!(d("ny.txt").get("decision").is_none());
    assert!(d("tom.txt").get("decision").is_none());
    let s = &second.inv["summary"]["decisions"];
    assert_eq!(s["decided"], 2, "deltakere.csv, liste.txt: {s}");
    assert_eq!(
        s["undecided"], 2,
        "ny.txt, and notat.txt whose keep ran out: {s}"
    );
    assert_eq!(s["keep_expired"], 1, "{s}");
    assert_eq!(s["stale"], 1, "ansatte.csv: {s}");
    assert_eq!(
        s["compared_by_size_and_modified"], 4,
        "no content hash in these inventories: {s}"
    );
    assert_eq!(
        second.inv["scan"]["options"]["decisions"],
        file.to_str().unwrap()
    );
    // Without --decisions, records and summary say nothing of decisions.
    assert!(first["summary"].get("decisions").is_none());
    assert!(first["files"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f.get("decision").is_none()));
}

#[test]
fn the_report_starts_from_the_decisions_file_and_keeps_the_rest() {
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let inv_path = work.path().join("inv.json");
    let inv = inventory(tree.path(), &inv_path, &[]);
    let gone = format!("{}/borte.txt", tree.path().display());
    let file = write_decisions(
        work.path(),
        serde_json::json!([
            entry(harness::file(&inv, "liste.txt"), serde_json::json!({"decision": "anonymised"})),
            {"path": gone, "decision": "deleted", "reviewer": "Ola", "date": "2026-01-10"},
        ]),
    );
    let page = work.path().join("r.html");
    crate::report::report(&inv_path, &page, &["--decisions", file.to_str().unwrap()]);
    let mut b = crate::browser::Browser::launch();
    b.open(&page);
    b.eval("document.getElementById('tab-decisions').click()");
    let rows = b.eval(
        "[...document.querySelectorAll('#decisions tbody tr')].map(r => r.children[1].textContent)",
    );
    // In path order: borte.txt (not in the inventory, kept), kurs/2020/liste.txt.
    assert_eq!(rows, serde_json::json!(["slettet", "anonymisert"]));
    b.eval("document.getElementById('tab-files').click()");
    let cell = b.eval("[...document.querySelectorAll('#files tbody tr')].filter(r => r.querySelector('td.path').title.endsWith('liste.txt')).map(r => r.querySelector('td[data-k=decision]').textContent)");
    assert_eq!(cell, serde_json::json!(["anonymisert"]));
}

/// `report --decisions FILE` starts from the file: a decision the inventory held for a file
/// the file does not name is not shown (the overview counted it undecided, the table showed
/// it); and a keep-until is judged on the day the inventory describes (`--as-of`), not on the
/// day the page is read.
#[test]
fn the_reports_decisions_are_the_files_judged_on_the_inventorys_day() {
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let plain = inventory(tree.path(), &work.path().join("plain.json"), &[]);
    let keep = |name: &str| {
        entry(
            harness::file(&plain, name),
            serde_json::json!({"decision": "keep", "until": "2020-01-01", "reason": "Klagesak"}),
        )
    };
    let earlier = write_decisions(work.path(), serde_json::json!([keep("deltakere.csv")]));
    let inv_path = work.path().join("inv.json");
    let args = [
        "--decisions",
        earlier.to_str().unwrap(),
        "--as-of",
        "2019-06-01",
    ];
    inventory(tree.path(), &inv_path, &args);
    let file = write_decisions(work.path(), serde_json::json!([keep("liste.txt")]));
    let page = work.path().join("r.html");
    crate::report::report(&inv_path, &page, &["--decisions", file.to_str().unwrap()]);
    let mut b = crate::browser::Browser::launch();
    b.open(&page);
    b.eval("document.getElementById('tab-files').click()");
    let cells = b.eval("[...document.querySelectorAll('#files tbody tr')].map(r => [r.querySelector('td.path').title.split('/').pop(), r.querySelector('td[data-k=decision]').textContent]).filter(([, d]) => d)");
    // Kept until 2020-01-01: not expired on 2019-06-01 (no ⌛).
    assert_eq!(cells, serde_json::json!([["liste.txt", "beholdes"]]));
}

#[test]
fn a_bad_decisions_file_stops_the_scan_naming_the_entry() {
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let p = work.path().join("d.json");
    std::fs::write(
        &p,
        r#"{"schema_version": "1.0", "decisions": [
            {"path": "/a", "decision": "delete", "reviewer": "k", "date": "2026-01-01"},
            {"path": "/b", "decision": "keep", "reviewer": "k", "date": "2026-01-01"}]}"#,
    )
    .unwrap();
    let o = kartlegg()
        .args(["scan", "--no-progress", "--decisions"])
        .arg(&p)
        .arg(tree.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("decision 2 (/b)") && err.contains("until"),
        "{err}"
    );
}
