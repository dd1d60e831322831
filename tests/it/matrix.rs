//! Every fixture format through every way of scanning (issue 8): a directory scan, and the CI
//! gate's `--staged`, `--diff` and `--history` over a repository holding the same files, find
//! the same values in the same places — a format read one way is read the same way in all.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::{fixture, kartlegg, scan, Tree};

/// (path relative to the data root, kind) → findings.
type Found = BTreeMap<(String, String), u64>;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Copies every fixture (not the READMEs and scripts that made them) under `dst`.
fn copy_fixtures(dst: &Path) -> usize {
    let mut n = 0;
    for dir in ["archive", "docs", "dumps", "mail", "office"] {
        for e in std::fs::read_dir(fixture(dir)).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            let made = name == "README.md"
                || [".sh", ".py"].iter().any(|x| name.ends_with(x))
                || name == "source.sql";
            if made {
                continue;
            }
            std::fs::create_dir_all(dst.join(dir)).unwrap();
            std::fs::copy(&p, dst.join(dir).join(&name)).unwrap();
            n += 1;
        }
    }
    n
}

/// Findings of a directory scan, by path relative to `root`: all of them, and the distinct
/// values (`--history` reports a value once per path, at the commit that added it).
fn from_inventory(inv: &Value, root: &Path) -> (Found, Found) {
    let prefix = format!("{}/", kartlegg::walk::display(root));
    let (mut all, mut distinct) = (Found::new(), Found::new());
    for f in inv["files"].as_array().unwrap() {
        let path = f["path"]
            .as_str()
            .unwrap()
            .strip_prefix(&prefix)
            .unwrap()
            .to_string();
        for (kind, n) in f["counts"].as_object().unwrap() {
            *all.entry((path.clone(), kind.clone())).or_default() += n.as_u64().unwrap();
        }
        let mut seen = std::collections::BTreeSet::new();
        for finding in f["findings"].as_array().unwrap() {
            let kind = finding["kind"].as_str().unwrap().to_string();
            if seen.insert((kind.clone(), finding["fingerprint"].clone().to_string())) {
                *distinct.entry((path.clone(), kind)).or_default() += 1;
            }
        }
    }
    (all, distinct)
}

/// Findings of a gate run, from its SARIF.
fn from_sarif(sarif: &Value) -> Found {
    let mut found = Found::new();
    for r in sarif["runs"][0]["results"].as_array().unwrap() {
        let p = &r["properties"];
        let key = (
            p["path"].as_str().unwrap().to_string(),
            p["kind"].as_str().unwrap().to_string(),
        );
        *found.entry(key).or_default() += 1;
    }
    found
}

fn gate(repo: &Path, mode: &[&str]) -> Found {
    let out = kartlegg()
        .current_dir(repo)
        .arg("scan")
        .args(mode)
        .args([
            "--format",
            "sarif",
            "--fail-on",
            "low",
            "--min-confidence",
            "low",
        ])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{mode:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    from_sarif(&sarif)
}

#[test]
fn every_format_reads_the_same_in_every_mode() {
    let t = Tree::new();
    let repo = t.path();
    let files = copy_fixtures(repo);
    assert!(files > 40, "fixtures copied: {files}");

    let inv = scan(&[repo], &["--min-confidence", "low"]).inv;
    let (dir, distinct) = from_inventory(&inv, repo);
    let with_findings: std::collections::BTreeSet<&str> = dir
        .keys()
        .map(|(p, _)| p.rsplit('.').next().unwrap_or(""))
        .collect();
    for ext in [
        "xlsx", "ods", "xls", "pdf", "docx", "odt", "rtf", "pptx", "sql", "csv", "json",
    ] {
        assert!(
            with_findings.contains(ext),
            "no findings from any .{ext}: {with_findings:?}"
        );
    }

    git(repo, &["init", "-q", "-b", "main"]);
    git(repo, &["add", "-A"]);
    let staged = gate(repo, &["--staged"]);
    assert_eq!(staged, dir, "--staged reads as a directory scan does");

    git(repo, &["rm", "-q", "-r", "--cached", "."]);
    git(repo, &["commit", "-q", "--allow-empty", "-m", "base"]);
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "all"]);
    assert_eq!(gate(repo, &["--diff", "HEAD~1"]), dir, "--diff");
    assert_eq!(gate(repo, &["--history"]), distinct, "--history");
}
