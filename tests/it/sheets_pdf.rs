//! Spreadsheets, PDFs and OLE2 files end to end: `kartlegg scan` on the fixtures in
//! tests/fixtures/docs (see its README for how each was made), checking the JSON inventory.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::harness::file;

fn fixture(name: &str) -> PathBuf {
    crate::harness::fixture(&format!("docs/{name}"))
}

/// Scans `path` whole (`--format json`, schema-checked) with `extra` options.
fn scan_path(path: &Path, extra: &[&str]) -> Value {
    crate::harness::scan(&[path], extra).inv
}

/// Scans one fixture at confidence `low` and returns its record.
fn scan(name: &str) -> Value {
    let doc = scan_path(&fixture(name), &["--min-confidence", "low"]);
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    files[0].clone()
}

/// `kind confidence location-json` (keys sorted) per finding, with the flags that matter here.
fn findings(rec: &Value) -> Vec<String> {
    rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let mut s = format!(
                "{} {} {}",
                f["kind"].as_str().unwrap(),
                f["confidence"].as_str().unwrap(),
                f["location"]
            );
            for flag in ["recovered_leading_zero", "synthetic"] {
                if f[flag] == Value::Bool(true) {
                    s.push(' ');
                    s.push_str(flag);
                }
            }
            s
        })
        .collect()
}

fn status(rec: &Value) -> (String, String) {
    (
        rec["status"].as_str().unwrap().to_string(),
        rec["reason"].as_str().unwrap_or("").to_string(),
    )
}

const WORKBOOK: &[&str] = &[
    r#"fodselsnummer high {"cell":"B2","sheet":"Ansatte"}"#,
    r#"phone high {"cell":"C2","sheet":"Ansatte"}"#,
    r#"email low {"cell":"D2","sheet":"Ansatte"}"#,
    r#"fodselsnummer high {"cell":"B3","sheet":"Ansatte"} recovered_leading_zero synthetic"#,
    r#"phone high {"cell":"C3","sheet":"Ansatte"}"#,
    r#"email low {"cell":"D3","sheet":"Ansatte"}"#,
    r#"fodselsnummer high {"cell":"B4","sheet":"Ansatte"}"#,
    r#"email low {"cell":"D4","sheet":"Ansatte"}"#,
    r#"d_nummer high {"cell":"A2","hidden":true,"sheet":"Skjult"} synthetic"#,
];

#[test]
fn workbooks_in_every_format_locate_cells_and_flag_hidden_sheets() {
    for (name, ty) in [
        ("ansatte.xlsx", "xlsx"),
        ("ansatte.ods", "ods"),
        ("ansatte.xls", "xls"),
    ] {
        let rec = scan(name);
        assert_eq!(rec["type"], ty, "{name}");
        assert_eq!(status(&rec), ("scanned".into(), "".into()), "{name}");
        assert_eq!(findings(&rec), WORKBOOK, "{name}");
        // The shared string in D3 and D4 counts twice; the cached formula result in B4 counts.
        assert_eq!(rec["counts"]["email"], 3, "{name}");
        assert_eq!(rec["counts"]["fodselsnummer"], 3, "{name}");
    }
}

#[test]
fn content_decides_not_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("eksport.dat");
    std::fs::copy(fixture("ansatte.xlsx"), &path).unwrap();
    let doc = scan_path(&path, &[]);
    assert_eq!(doc["files"][0]["type"], "xlsx");
    assert_eq!(doc["files"][0]["counts"]["fodselsnummer"], 3);
}

#[test]
fn a_damaged_sheet_makes_the_workbook_partial_and_names_the_sheet() {
    let rec = scan("damaged_sheet.xlsx");
    assert_eq!(status(&rec), ("partial".into(), "sheet_error".into()));
    assert_eq!(
        rec["detail"],
        "1 of 2 sheets could not be read: 'Skjult' (damaged XML)"
    );
    assert_eq!(findings(&rec), &WORKBOOK[..8]);
}

#[test]
fn ole_files_other_than_workbooks_get_a_clear_status() {
    let rec = scan("encrypted.xlsx");
    assert_eq!(status(&rec), ("encrypted".into(), "encrypted".into()));
    let rec = scan("brev.doc");
    assert_eq!(
        status(&rec),
        ("unsupported".into(), "unsupported_format".into())
    );
    assert!(rec["detail"].as_str().unwrap().contains("Word 97-2003"));
}

#[test]
fn pdfs_from_several_producers_give_page_line_and_column() {
    let rec = scan("reportlab.pdf");
    assert_eq!(
        (rec["type"].as_str().unwrap(), status(&rec)),
        ("pdf", ("scanned".into(), "".into()))
    );
    assert_eq!(
        findings(&rec),
        [
            r#"fodselsnummer high {"column":16,"line":1,"page":1}"#,
            r#"email low {"column":9,"line":2,"page":1}"#,
            r#"phone high {"column":8,"line":3,"page":1}"#,
            r#"fodselsnummer medium {"column":14,"line":1,"page":2}"#,
        ]
    );
    let rec = scan("libreoffice.pdf");
    assert_eq!(
        findings(&rec),
        [
            r#"fodselsnummer high {"column":16,"line":2,"page":1}"#,
            r#"email low {"column":9,"line":3,"page":1}"#,
            r#"phone high {"column":10,"line":4,"page":1}"#,
        ]
    );
    let rec = scan("ghostscript.pdf");
    assert_eq!(
        findings(&rec),
        [
            r#"fodselsnummer high {"column":15,"line":1,"page":1}"#,
            r#"email low {"column":8,"line":2,"page":1}"#,
        ]
    );
    let rec = scan("fpdf2.pdf");
    assert_eq!(rec["counts"]["fodselsnummer"], 1);
    assert_eq!(rec["counts"]["phone"], 1);
    assert_eq!(rec["counts"]["email"], 1);
}

#[test]
fn encrypted_pdfs_open_only_with_the_empty_user_password() {
    let rec = scan("owner_only.pdf");
    assert_eq!(status(&rec), ("scanned".into(), "".into()));
    assert_eq!(rec["counts"]["fodselsnummer"], 2);
    let rec = scan("encrypted.pdf");
    assert_eq!(status(&rec), ("encrypted".into(), "encrypted".into()));
    assert_eq!(rec["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn scanned_pages_are_never_clean() {
    // Without OCR (with it, see `ocr::`).
    let doc = scan_path(&fixture("scan.pdf"), &["--ocr", "never"]);
    let rec = &doc["files"][0];
    assert_eq!(status(rec), ("partial".into(), "no_text_layer".into()));
    assert_eq!(
        rec["detail"],
        "1 of 2 pages have no text layer, or one over only part of a scanned page"
    );
}

#[test]
fn damaged_pdfs_get_an_error_or_partial_status() {
    let rec = scan("truncated.pdf");
    assert_eq!(status(&rec), ("error".into(), "corrupt".into()));
    let rec = scan("flipped.pdf");
    assert_eq!(status(&rec), ("partial".into(), "page_error".into()));
    assert_eq!(
        findings(&rec),
        [r#"fodselsnummer medium {"column":14,"line":1,"page":2}"#]
    );
}

/// pdftotext (poppler-utils) and kartlegg agree on every PDF fixture with text: each value
/// kartlegg reports is in pdftotext's text, and each 11-digit number and address pdftotext
/// shows is reported by kartlegg.
#[test]
fn pdftotext_agrees_on_the_values() {
    for name in [
        "reportlab.pdf",
        "libreoffice.pdf",
        "ghostscript.pdf",
        "fpdf2.pdf",
        "owner_only.pdf",
    ] {
        let out = Command::new("pdftotext")
            .arg(fixture(name))
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils) is installed");
        let text = String::from_utf8(out.stdout).unwrap();
        let compact: String = text.split_whitespace().collect::<String>().to_lowercase();
        let doc = scan_path(&fixture(name), &["--min-confidence", "low", "--reveal"]);
        let values: Vec<String> = doc["files"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                f["value"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("+47")
                    .to_string()
            })
            .collect();
        assert!(!values.is_empty(), "{name}");
        for v in &values {
            assert!(
                compact.contains(v.as_str()),
                "{name}: a value pdftotext does not show"
            );
        }
        for word in text.split(|c: char| c.is_whitespace() || c == ',') {
            let word = word.trim_end_matches('.');
            let is_fnr = word.len() == 11 && word.bytes().all(|b| b.is_ascii_digit());
            if is_fnr || word.contains('@') {
                assert!(
                    values.iter().any(|v| v == word),
                    "{name}: missed a value pdftotext shows"
                );
            }
        }
    }
}

#[test]
fn workbooks_and_pdfs_inside_archives_keep_their_locations() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("arkiv.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for (name, fixture_name) in [
        ("2019/liste.xlsx", "ansatte.xlsx"),
        ("brev.pdf", "reportlab.pdf"),
    ] {
        zip.start_file(name, opts).unwrap();
        zip.write_all(&std::fs::read(fixture(fixture_name)).unwrap())
            .unwrap();
    }
    zip.finish().unwrap();
    let doc = scan_path(&path, &[]);
    let rec = |suffix: &str| file(&doc, suffix).clone();
    let sheet = rec("arkiv.zip!/2019/liste.xlsx");
    assert_eq!(sheet["type"], "xlsx");
    assert_eq!(
        sheet["findings"][0]["location"],
        serde_json::json!({"sheet": "Ansatte", "cell": "B2"})
    );
    let pdf = rec("arkiv.zip!/brev.pdf");
    assert_eq!(pdf["type"], "pdf");
    assert_eq!(
        pdf["findings"][0]["location"],
        serde_json::json!({"page": 1, "line": 1, "column": 16})
    );
}
