//! Structured text through the CLI: CSV that breaks its own rules, lines on every finding of
//! a structured format, JSON read as a stream (keys included), markup read as a person reads
//! it, and the time budget. Every input is generated here; the numbers are public test vectors
//! (see `docs/identifiers.md`).

use serde_json::Value;

use crate::harness::{scan, status, Tree};

/// The findings of `rec` whose kind is `kind`.
fn of_kind<'a>(rec: &'a Value, kind: &str) -> Vec<&'a Value> {
    rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .collect()
}

/// (line, column) of each finding of `kind`, in order.
fn lines(rec: &Value, kind: &str) -> Vec<(u64, Value)> {
    of_kind(rec, kind)
        .iter()
        .map(|f| {
            (
                f["location"]["line"]
                    .as_u64()
                    .expect("every finding has a line"),
                f["location"]["column"].clone(),
            )
        })
        .collect()
}

/// Scans one file written into a fresh tree; returns its record.
fn scan_one(name: &str, bytes: impl AsRef<[u8]>, extra: &[&str]) -> Value {
    let t = Tree::new();
    let p = t.file(name, bytes);
    let s = scan(&[&p], extra);
    assert_eq!(s.files().len(), 1, "{}", s.stderr);
    s.files()[0].clone()
}

// --- 1. CSV -----------------------------------------------------------------------------------

#[test]
fn csv_header_with_an_unclosed_quote_keeps_its_rows() {
    let rec = scan_one(
        "eksport.csv",
        "\"navn;fnr;mobil\nKari;13097248022;41234567\nOla;20036914700;41234568\n",
        &[],
    );
    assert_eq!(status(&rec), ("scanned", ""));
    let fnr = of_kind(&rec, "fodselsnummer");
    assert_eq!(fnr.len(), 2, "{rec}");
    assert_eq!(
        fnr[1]["location"],
        serde_json::json!({"column": "fnr", "row": 2, "line": 3})
    );
    assert_eq!(of_kind(&rec, "phone").len(), 2);
}

#[test]
fn csv_stray_quote_midway_loses_nothing_after_it() {
    let mut csv = String::from("navn,fnr,mobil\n");
    for i in 0..100 {
        let q = if i == 49 { "\"" } else { "" };
        csv.push_str(&format!("{q}Kari {i},13097248022,41234567\n"));
    }
    let rec = scan_one("liste.csv", &csv, &[]);
    assert_eq!(status(&rec), ("scanned", ""));
    let fnr = of_kind(&rec, "fodselsnummer");
    assert_eq!(fnr.len(), 100);
    let rows: Vec<u64> = fnr
        .iter()
        .map(|f| f["location"]["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, (1..=100).collect::<Vec<_>>());
    assert_eq!(fnr[99]["location"]["line"], 101);
}

#[test]
fn prose_with_commas_is_read_as_text_first_line_included() {
    let letter = "Hei Kari, fødselsnummeret ditt er 13097248022, og mobil 41234567.\n\
                  Vi har, som avtalt, sendt brevet til deg, med kopi til Ola.\n\
                  Ha en fin dag, og ta kontakt om noe, så hjelper vi.\n";
    let rec = scan_one("brev.txt", letter, &[]);
    assert_eq!(rec["type"], "text");
    assert_eq!(lines(&rec, "fodselsnummer"), [(1, 35.into())]);
    assert_eq!(lines(&rec, "phone").len(), 1);
}

#[test]
fn csv_header_cells_that_hold_values_are_found_and_not_printed_as_names() {
    let rec = scan_one(
        "eksport.csv",
        "navn;13097248022;mobil\nKari;20036914700;41234567\nOla;29020073150;41234568\n",
        &[],
    );
    let fnr = of_kind(&rec, "fodselsnummer");
    assert_eq!(fnr.len(), 3, "{rec}");
    assert_eq!(
        fnr[0]["location"],
        serde_json::json!({"line": 1, "column": 6})
    );
    assert_eq!(fnr[1]["location"]["column"], "***********");
    let text = rec.to_string();
    for raw in ["13097248022", "20036914700", "29020073150"] {
        assert!(!text.contains(raw), "{raw} printed");
    }
}

// --- 2. Lines ---------------------------------------------------------------------------------

#[test]
fn sql_findings_carry_lines_and_names_carry_no_values() {
    let dump = concat!(
        "-- MySQL dump 10.13\n",
        "CREATE TABLE `p_13097248022` (\n  `id` int,\n  `fnr` char(11)\n);\n",
        "INSERT INTO `p_13097248022` VALUES (1,'20036914700'),\n(2,'29020073150');\n",
        "UPDATE `p_13097248022` SET fnr = '15021951940' WHERE id = 3;\n",
    );
    let rec = scan_one("dump.sql", dump, &["--min-confidence", "low"]);
    assert_eq!(rec["type"], "sql");
    let fnr = of_kind(&rec, "fodselsnummer");
    let mut at: Vec<(u64, Option<&str>)> = fnr
        .iter()
        .map(|f| {
            (
                f["location"]["line"].as_u64().unwrap(),
                f["location"]["table"].as_str(),
            )
        })
        .collect();
    at.sort();
    assert_eq!(
        at,
        [
            (2, None),
            (6, Some("p_***********")),
            (7, Some("p_***********")),
            (8, None)
        ],
        "{rec}"
    );
    let update = fnr.iter().find(|f| f["location"]["line"] == 8).unwrap();
    assert_eq!(
        update["location"]["column"], 35,
        "a statement's value has its column"
    );
    let text = rec.to_string();
    for raw in ["13097248022", "20036914700", "29020073150", "15021951940"] {
        assert!(!text.contains(raw), "{raw} printed");
    }
}
