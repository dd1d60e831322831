//! Snapshots of what the CLI prints and writes, under a fixed fingerprint key: the readable
//! summary, the JSON inventory, the gate's lines and SARIF, and the reviewer's CSV. A change of
//! wording, field, order or format shows up as a diff of a file under `tests/it/snapshots/`
//! to review (`INSTA_UPDATE=always cargo test --test it snapshots::`, then `git diff`).
//! What differs from run to run (the temporary root, times, durations, sizes of the tool's own
//! build) is replaced by a placeholder first; everything else must be stable.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::{self, kartlegg, Tree};

const KEY: &str = "the snapshot key";

/// A small share: a table with an identity number, a phone and an e-mail, a letter with a
/// synthetic number, a damaged PDF, an empty file.
fn share() -> Tree {
    let t = Tree::new();
    t.file(
        "kurs/deltakere.csv",
        "Navn;Fødselsnummer;Mobil;E-post\nKari;13097248022;+47 912 34 567;kari@firma.no\n",
    );
    t.file(
        "brev.txt",
        "Hei!\nTestperson med fødselsnummer 03851598730 (syntetisk).\n",
    );
    t.file("ødelagt.pdf", "%PDF-1.4\n1 0 obj <<\ngarbage");
    t.file("tom.txt", "");
    t
}

/// The name of the user running the tests (files' owner in reports).
fn user() -> String {
    let o = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Placeholders for what changes between runs, in text output.
fn filters(root: &Path) -> Vec<(String, &'static str)> {
    vec![
        (regex::escape(&root.display().to_string()), "[ROOT]"),
        (format!(";{};", regex::escape(&user())), ";[OWNER];"),
        (
            r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?Z?".into(),
            "[TIME]",
        ),
        (r"\b\d+(\.\d+)? ?(ms|s|µs)\b".into(), "[DURATION]"),
        (r"\b\d+(\.\d+)? ?[KMG]?i?B/s".into(), "[RATE]"),
        (r"\b\d+(\.\d+)? files/s".into(), "[RATE]"),
        (r"kartlegg \d+\.\d+\.\d+".into(), "kartlegg [VERSION]"),
    ]
}

fn redact(text: &str, root: &Path) -> String {
    let mut out = text.to_string();
    for (re, with) in filters(root) {
        out = regex::Regex::new(&re)
            .unwrap()
            .replace_all(&out, with)
            .into_owned();
    }
    out
}

/// The JSON inventory with run-dependent values replaced, and keys in a stable order.
fn stable_json(mut v: Value, root: &Path) -> Value {
    fn walk(v: &mut Value, root: &str) {
        match v {
            Value::String(s) if s.contains(root) => *s = s.replace(root, "[ROOT]"),
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, root)),
            Value::Object(o) => {
                for (k, x) in o.iter_mut() {
                    let volatile = matches!(
                        k.as_str(),
                        "started"
                            | "finished"
                            | "modified"
                            | "accessed"
                            | "changed"
                            | "version"
                            | "as_of"
                            | "mode"
                            | "rules_hash"
                            // of the temporary root's name
                            | "roots_digest"
                            // of the records' texts, times and temporary paths included
                            | "files_digest"
                    ) || k.starts_with("duration")
                        || k.ends_with("_ms")
                        || k.ends_with("_seconds")
                        || k == "owner"
                        || k == "uid"
                        || k == "gid"
                        || k == "threads";
                    if volatile && !x.is_null() {
                        *x = Value::String(format!("[{k}]"));
                    } else {
                        walk(x, root);
                    }
                }
            }
            _ => {}
        }
    }
    walk(&mut v, &root.display().to_string());
    v
}

fn run(cmd: &mut assert_cmd::Command) -> (i32, String, String) {
    let o = cmd.env("KARTLEGG_HASH_KEY", KEY).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn the_readable_summary() {
    let t = share();
    let (code, out, _) = run(kartlegg()
        .args(["scan", "--no-progress", "--threads", "1"])
        .arg(t.path()));
    assert_eq!(code, 1);
    insta::assert_snapshot!(redact(&out, t.path()));
}

#[test]
fn the_json_inventory() {
    let t = share();
    let (code, out, err) = run(kartlegg()
        .args([
            "scan",
            "--no-progress",
            "--threads",
            "1",
            "--format",
            "json",
        ])
        .arg(t.path()));
    assert_eq!(code, 1, "{err}");
    let inv: Value = serde_json::from_str(&out).unwrap();
    harness::assert_valid(&inv);
    insta::assert_json_snapshot!(stable_json(inv, t.path()));
}

/// A repository whose next commit adds the share's files.
fn staged_repo() -> Tree {
    let t = share();
    for args in [&["init", "-q", "-b", "main"][..], &["add", "-A"]] {
        let o = Command::new("git")
            .args(args)
            .current_dir(t.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(o.status.success(), "git {args:?}");
    }
    t
}

#[test]
fn the_gate_lines_and_sarif() {
    let t = staged_repo();
    let (code, out, err) = run(kartlegg().current_dir(t.path()).args(["scan", "--staged"]));
    assert_eq!(code, 1);
    insta::assert_snapshot!(
        "gate_lines",
        redact(&format!("--- stdout\n{out}--- stderr\n{err}"), t.path())
    );
    let (code, out, _) = run(kartlegg()
        .current_dir(t.path())
        .args(["scan", "--staged", "--format", "sarif"]));
    assert_eq!(code, 1);
    let sarif: Value = serde_json::from_str(&out).unwrap();
    insta::assert_json_snapshot!("gate_sarif", stable_json(sarif, t.path()));
}

#[test]
fn the_reviewers_csv() {
    let t = share();
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inventory.json");
    let (code, _, err) = run(kartlegg()
        .args([
            "scan",
            "--no-progress",
            "--threads",
            "1",
            "--format",
            "json",
            "-o",
        ])
        .arg(&inv)
        .arg(t.path()));
    assert_eq!(code, 1, "{err}");
    for (name, extra) in [
        ("report_csv_files", &[][..]),
        ("report_csv_findings", &["--findings"]),
    ] {
        let csv = dir.path().join(format!("{name}.csv"));
        let (code, _, err) = run(kartlegg()
            .args(["report", "--format", "csv"])
            .args(extra)
            .arg(&inv)
            .arg("-o")
            .arg(&csv));
        assert_eq!(code, 0, "{err}");
        let text = std::fs::read_to_string(&csv).unwrap();
        insta::assert_snapshot!(name, redact(&text, t.path()));
    }
}
