//! Tables in PDFs as a person reads them: cells rebuilt from where the glyphs stand, values
//! that wrap inside a narrow cell joined, neighbouring cells apart, and each value with its
//! column's header as context. The fixtures (tests/fixtures/pdf-tables, see its README) are
//! one table of identity numbers written `DDMMYY-NNNNN`, phones with `0047` and `(+47)` in
//! adjacent cells and e-mail addresses too long for their column, laid out by LibreOffice
//! (from tables.fodt, which also gives the odt and docx compared against) and by reportlab.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::harness::{fixture, scan, status, Tree};

fn tables(name: &str) -> std::path::PathBuf {
    fixture(&format!("pdf-tables/{name}"))
}

/// (kind, fingerprint) of every finding, with how many times each occurs.
fn found(rec: &Value) -> BTreeMap<(String, String), usize> {
    let mut out = BTreeMap::new();
    for f in rec["findings"].as_array().unwrap() {
        let key = (
            f["kind"].as_str().unwrap().to_string(),
            f["fingerprint"].as_str().unwrap().to_string(),
        );
        *out.entry(key).or_default() += 1;
    }
    out
}

/// (kind, confidence, value) of every finding, in the inventory's order.
fn revealed(rec: &Value) -> Vec<(String, String, String)> {
    rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("kind"), s("confidence"), s("value"))
        })
        .collect()
}

/// The values planted in each table, row by row: identity number, the phones in the `Mobil`
/// and `Telefon` cells next to it, and the e-mail address that wraps in its cell.
const PLANTED: [[&str; 4]; 4] = [
    [
        "13097248022",
        "+4792345678",
        "+4740300040",
        "kari.nordmann@example.no",
    ],
    [
        "20036914700",
        "+4741234567",
        "+4740300040",
        "ola.nord-mann@example.no",
    ],
    [
        "29020073150",
        "+4741234567",
        "+4792345678",
        "per.hansen@example.com",
    ],
    [
        "03851598730",
        "+4740300040",
        "+4792345678",
        "lise.berg@example.org",
    ],
];

#[test]
fn every_planted_value_is_found_once_whole_with_its_column_header() {
    let mut want = Vec::new();
    for [fnr, mobil, telefon, epost] in PLANTED {
        // Under `Fnr` and `Mobil`/`Telefon` the header makes the values high; the addresses
        // are at reserved example domains, which stay low whatever the column.
        for (kind, value) in [("fodselsnummer", fnr), ("phone", mobil), ("phone", telefon)] {
            want.push((kind.to_string(), "high".to_string(), value.to_string()));
        }
        want.push(("email".into(), "low".into(), epost.to_string()));
    }
    for name in ["tables.pdf", "reportlab.pdf"] {
        let s = scan(&[&tables(name)], &["--min-confidence", "low", "--reveal"]);
        let rec = &s.files()[0];
        assert_eq!(status(rec), ("scanned", ""), "{name}");
        assert_eq!(revealed(rec), want, "{name}");
        // Findings keep their page, and a row of the table is one line.
        let first = &rec["findings"][0]["location"];
        assert_eq!(first["page"], json!(1), "{name}");
        let line = |i: usize| rec["findings"][i]["location"]["line"].clone();
        assert_eq!(
            (line(1), line(2), line(3)),
            (line(0), line(0), line(0)),
            "{name}"
        );
    }
}

#[test]
fn the_pdf_holds_what_its_source_document_holds() {
    let tree = Tree::new();
    let key = tree.file("key", "en fast nøkkel for testen");
    let keyed = [
        "--hash-key-file",
        key.to_str().unwrap(),
        "--min-confidence",
        "low",
    ];
    let mut sets = Vec::new();
    for name in ["tables.odt", "tables.docx", "tables.pdf", "reportlab.pdf"] {
        let s = scan(&[&tables(name)], &keyed);
        sets.push((name, found(&s.files()[0])));
    }
    let (_, odt) = &sets[0];
    assert_eq!(odt.values().sum::<usize>(), 16, "{odt:?}");
    for (name, set) in &sets[1..] {
        assert_eq!(set, odt, "{name} against tables.odt");
    }
}

#[test]
fn at_the_default_confidence_the_headers_decide() {
    // Identity numbers and phones under their headers are reported; the example-domain
    // addresses stay below the default threshold.
    let s = scan(&[&tables("tables.pdf")], &[]);
    let kinds: Vec<&str> = s.files()[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 12, "{kinds:?}");
    assert!(!kinds.contains(&"email"), "{kinds:?}");
}
