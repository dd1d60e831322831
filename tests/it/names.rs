//! Values inside names (issue 9): a value in a path, a member name, a sheet, table or column
//! name, a JSON key or an error's detail is found as a finding where it is a name, and no
//! output of any format prints it raw unless `--reveal` was given.

use std::io::Write;
use std::path::Path;

use serde_json::Value;

use crate::harness::{file, kartlegg, scan, Tree};

/// Public test vectors (docs/identifiers.md) and two generated-looking valid numbers, all
/// planted only in names.
const A: &str = "13097248022";
const B: &str = "20036914700";
const C: &str = "15021951940";
const D: &str = "29020073150";
const PLANTED: [&str; 4] = [A, B, C, D];

fn zip(path: &Path, members: &[(&str, &[u8])]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, data) in members {
        z.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap();
}

/// A tree whose names hold the planted values; the contents hold none of them.
fn tree() -> Tree {
    let t = Tree::new();
    t.file(&format!("{B}_lonnsslipp.txt"), "Lønnsslipp for mars\n");
    t.file(&format!("ansatte/{A}/notat.txt"), "Ingen tall her\n");
    zip(
        &t.path().join("arkiv.zip"),
        &[
            (&format!("{C}_vitnemal.txt"), b"Vitnemal\n"),
            (&format!("kari/{D}.txt"), b"tekst\n"),
        ],
    );
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(format!("Kari {A}")).unwrap();
    ws.write_string(0, 0, "Navn").unwrap();
    ws.write_string(1, 0, "Kari").unwrap();
    wb.save(t.path().join("liste.xlsx")).unwrap();
    t.file(
        "map.json",
        format!(r#"{{"{A}": {{"navn": "Kari"}}, "personer": {{"{B}": {{"navn": "Ola"}}}}}}"#),
    );
    t.file(
        "dump.sql",
        format!(
            "CREATE TABLE `p_{A}` (`id` int, `k_{B}` varchar(20));\nINSERT INTO `p_{A}` VALUES (1,'x'),(2,'y');\n"
        ),
    );
    let db = rusqlite::Connection::open(t.path().join("db.sqlite")).unwrap();
    db.execute_batch(&format!(
        r#"CREATE TABLE "t_{C}" ("k_{D}" TEXT); INSERT INTO "t_{C}" VALUES ('x');"#
    ))
    .unwrap();
    drop(db);
    t
}

fn assert_clean(what: &str, text: &str) {
    for v in PLANTED {
        assert!(!text.contains(v), "{what} prints {v} raw:\n{text}");
    }
}

#[test]
fn values_in_names_are_findings_and_never_printed_raw() {
    let t = tree();
    // JSON, with every finding the names give.
    let s = scan(&[t.path()], &["--min-confidence", "low"]);
    assert_clean("json", &s.inv.to_string());
    assert_clean("stderr", &s.stderr);
    let rec = s
        .files()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("_lonnsslipp.txt"))
        .expect("the payslip's record");
    let f = &rec["findings"][0];
    assert_eq!(f["kind"], "fodselsnummer");
    assert_eq!(f["location"], serde_json::json!({"part": "path"}));
    assert_eq!(f["masked"], "200********");
    // A member's name is its own name: found in the member's record.
    let member = s
        .files()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("_vitnemal.txt"))
        .expect("the member's record");
    assert_eq!(member["counts"]["fodselsnummer"], 1);
    // A directory name is part of the path of each file below it.
    let note = file(&s.inv, "/notat.txt");
    assert_eq!(note["counts"]["fodselsnummer"], 1);

    // Every other output of an inventory scan.
    for format in ["jsonl", "summary"] {
        let out = kartlegg()
            .args([
                "scan",
                "--no-progress",
                "--min-confidence",
                "low",
                "--format",
                format,
            ])
            .arg(t.path())
            .output()
            .unwrap();
        assert_clean(format, &String::from_utf8_lossy(&out.stdout));
        assert_clean(format, &String::from_utf8_lossy(&out.stderr));
    }

    // With --reveal the names are printed as they are.
    let s = scan(&[t.path()], &["--reveal"]);
    let text = s.inv.to_string();
    assert!(text.contains(&format!("{B}_lonnsslipp.txt")));
}

#[test]
fn the_ci_gate_prints_no_value_from_a_name() {
    let t = tree();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(t.path())
            .args(["-c", "user.name=T", "-c", "user.email=t@example.invalid"])
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    for format in ["text-lines", "github", "sarif"] {
        let out = kartlegg()
            .current_dir(t.path())
            .args(["scan", "--staged", "--fail-on", "low", "--format", format])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_clean(format, &stdout);
        assert_clean(format, &String::from_utf8_lossy(&out.stderr));
        if format == "sarif" {
            let v: Value = serde_json::from_str(&stdout).unwrap();
            assert!(
                !v["runs"][0]["results"].as_array().unwrap().is_empty(),
                "the names give results"
            );
        }
    }
}

/// A file named after an address and its extension (`kari@firma.no.pdf`) holds the address:
/// found in the path and masked there, whatever the extension.
#[test]
fn an_address_before_a_file_extension_is_masked() {
    let t = Tree::new();
    for ext in ["txt", "pdf", "docx", "xlsx", "csv", "eml"] {
        t.file(&format!("kari.nordmann@firma.no.{ext}"), "ingen tall\n");
    }
    let s = scan(&[t.path()], &[]);
    assert!(!s.inv.to_string().contains("kari.nordmann"), "{}", s.inv);
    for ext in ["txt", "pdf", "docx", "xlsx", "csv", "eml"] {
        let rec = file(&s.inv, &format!("@***.no.{ext}"));
        assert_eq!(rec["counts"]["email"], 1, "{rec}");
    }
}

/// What the operator gives — paths, globs, settings — can hold a value: neither the
/// inventory's header nor an error message quotes it raw.
#[test]
fn options_and_errors_do_not_quote_values_raw() {
    let t = Tree::new();
    t.file("a.txt", "tekst\n");
    let policy = t.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[[policy]]\nid = \"p\"\ntitle = \"Saker for {A}\"\nkeep = \"1y\"\nfrom = \"modified\"\npaths = [\"kunder/{B}/**\"]\naction = \"Slett mappen {C}\"\n"
        ),
    )
    .unwrap();
    let exclude = format!("*{D}*");
    let s = scan(
        &[t.path()],
        &["--exclude", &exclude, "--policy", policy.to_str().unwrap()],
    );
    assert_clean("the header", &s.inv["scan"].to_string());
    // The glob's own stars stay around the masked number.
    assert_eq!(s.inv["scan"]["options"]["exclude"][0], "*290*********");

    let missing = t.path().join(format!("kunder/{A}.txt"));
    let bad_glob = format!("[{B}");
    for args in [
        vec!["scan".to_string(), missing.display().to_string()],
        vec![
            "scan".to_string(),
            "--exclude".to_string(),
            bad_glob,
            t.path().display().to_string(),
        ],
    ] {
        let out = kartlegg().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_clean("an error", &stderr);
        assert!(stderr.contains("********"), "masked, not dropped: {stderr}");
    }
}
