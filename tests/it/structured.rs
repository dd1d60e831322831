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
    // The column is named by its header, masked as every name is.
    assert_eq!(fnr[1]["location"]["column"], "130********");
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
            (6, Some("p_130********")),
            (7, Some("p_130********")),
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

// --- 3. JSON as a stream ------------------------------------------------------------------------

#[test]
fn json_keys_are_values_with_paths_lines_and_columns() {
    let doc = "{\n  \"13097248022\": {\"navn\": \"Kari\", \"mobil\": \"41234567\"},\n  \"personer\": {\"20036914700\": {\"navn\": \"Ola\"}}\n}\n";
    let rec = scan_one("kart.json", doc, &[]);
    assert_eq!(rec["type"], "json");
    let fnr = of_kind(&rec, "fodselsnummer");
    let at: Vec<(&Value, &Value, &Value)> = fnr
        .iter()
        .map(|f| {
            (
                &f["location"]["json_path"],
                &f["location"]["line"],
                &f["location"]["column"],
            )
        })
        .collect();
    assert_eq!(
        at,
        [
            (&"$['130********']".into(), &2.into(), &4.into()),
            (&"$.personer['200********']".into(), &3.into(), &17.into())
        ]
    );
    let phone = &of_kind(&rec, "phone")[0]["location"];
    assert_eq!(
        (&phone["json_path"], &phone["line"], &phone["column"]),
        (&"$['130********'].mobil".into(), &2.into(), &45.into())
    );
    let text = rec.to_string();
    assert!(!text.contains("13097248022") && !text.contains("20036914700"));
}

#[test]
fn ndjson_findings_have_rows_lines_and_columns() {
    let rec = scan_one(
        "hendelser.ndjson",
        "{\"fnr\": \"13097248022\"}\nikke json 20036914700\n{\"a\": {\"mobil\": \"41234567\"}}\n",
        &[],
    );
    assert_eq!(rec["type"], "ndjson");
    let locs: Vec<&Value> = rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["location"])
        .collect();
    assert_eq!(
        locs,
        [
            &serde_json::json!({"json_path": "$.fnr", "row": 1, "line": 1, "column": 10}),
            &serde_json::json!({"row": 2, "line": 2, "column": 11}),
            &serde_json::json!({"json_path": "$.a.mobil", "row": 3, "line": 3, "column": 18}),
        ]
    );
}

#[test]
fn invalid_json_is_read_on_as_text() {
    // A number written with a space, and a missing comma later: JSON up to the damage, text
    // from there, every value found once.
    let doc = "{\"a\": \"13097248022\",\n \"b\": 200369 14700\n \"c\": \"29020073150\"}\n";
    let rec = scan_one("skadet.json", doc, &["--min-confidence", "low"]);
    assert_eq!(status(&rec), ("scanned", ""));
    let fnr = of_kind(&rec, "fodselsnummer");
    let places: Vec<(u64, Option<&str>)> = fnr
        .iter()
        .map(|f| {
            (
                f["location"]["line"].as_u64().unwrap(),
                f["location"]["json_path"].as_str(),
            )
        })
        .collect();
    assert_eq!(places, [(1, Some("$.a")), (2, None), (3, None)], "{rec}");
}

#[test]
fn deeply_nested_json_is_bounded_and_loses_nothing() {
    let depth = 200_000;
    let doc = format!(
        "{{\"fnr\":\"13097248022\",\"a\":{}\"20036914700\"{}, \"b\": \"29020073150\"}}",
        "{\"b\":".repeat(depth),
        "}".repeat(depth)
    );
    let rec = scan_one("dyp.json", &doc, &[]);
    assert_eq!(status(&rec), ("scanned", ""));
    let fnr = of_kind(&rec, "fodselsnummer");
    assert_eq!(fnr.len(), 3, "{rec}");
    assert_eq!(fnr[0]["location"]["json_path"], "$.fnr");
    let col = doc.find("20036914700").unwrap() as u64 + 1;
    assert_eq!(
        fnr[1]["location"],
        serde_json::json!({"line": 1, "column": col})
    );
}

// --- 4. Markup, Markdown, YAML -------------------------------------------------------------------

#[test]
fn html_is_read_as_the_page_shows() {
    let page = concat!(
        "<!DOCTYPE html>\n<html><head><style>.x{width:13097248022px}</style>\n",
        "<script>var testdata = '20036914700';</script></head>\n",
        "<body>\n<p>Fødselsnummer: <b>130972</b> 48022</p>\n",
        "<p>Skriv til kari&#64;firma&#46;no, eller <a href=\"tel:+4741234567\">ring oss</a>.</p>\n",
        "</body></html>\n",
    );
    let rec = scan_one("side.html", page, &["--min-confidence", "low"]);
    assert_eq!(rec["type"], "html");
    assert_eq!(status(&rec), ("scanned", ""));
    let fnr = of_kind(&rec, "fodselsnummer");
    assert_eq!(fnr.len(), 1, "scripts and styles are not read: {rec}");
    assert_eq!(
        fnr[0]["location"],
        serde_json::json!({"line": 5, "column": 22})
    );
    assert_eq!(
        fnr[0]["confidence"], "high",
        "the label before the tag is context"
    );
    assert_eq!(lines(&rec, "email"), [(6, 14.into())]);
    let phone = of_kind(&rec, "phone");
    assert_eq!(phone.len(), 1);
    assert_eq!(
        phone[0]["location"],
        serde_json::json!({"line": 6, "column": 56})
    );
}

#[test]
fn html_table_headers_give_their_columns_context() {
    let page = concat!(
        "<html><body><table>\n",
        "<tr><th>Navn</th><th>Fnr</th><th>Mobil</th></tr>\n",
        "<tr><td>Kari</td><td>3851598730</td><td>41234567</td></tr>\n",
        "</table></body></html>\n",
    );
    let rec = scan_one("liste.html", page, &[]);
    let fnr = of_kind(&rec, "fodselsnummer");
    assert_eq!(fnr.len(), 1, "{rec}");
    assert_eq!(
        fnr[0]["recovered_leading_zero"], true,
        "under Fnr, a lost leading zero"
    );
    assert_eq!(
        fnr[0]["location"],
        serde_json::json!({"line": 3, "column": 22})
    );
    assert_eq!(lines(&rec, "phone"), [(3, 41.into())]);
}

#[test]
fn xml_values_carry_lines_and_their_names_context() {
    let doc = concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ansatte>\n",
        "  <ansatt fnr=\"3851598730\">\n    <mobil>41234567</mobil>\n",
        "    <epost>kari&#64;firma.no</epost>\n  </ansatt>\n</ansatte>\n",
    );
    let rec = scan_one("ansatte.xml", doc, &[]);
    assert_eq!(rec["type"], "xml");
    assert_eq!(lines(&rec, "fodselsnummer"), [(3, 16.into())]);
    assert_eq!(lines(&rec, "phone"), [(4, 12.into())]);
    assert_eq!(lines(&rec, "email"), [(5, 12.into())]);
}

#[test]
fn markdown_tables_and_yaml_keys_give_context_and_lines() {
    let md =
        "# Kontakter\n\n| Navn | Fnr | Mobil |\n|---|---|---|\n| Kari | 3851598730 | 41234567 |\n";
    let rec = scan_one("kontakter.md", md, &[]);
    assert_eq!(rec["type"], "markdown");
    let fnr = of_kind(&rec, "fodselsnummer");
    assert_eq!(fnr[0]["recovered_leading_zero"], true, "{rec}");
    assert_eq!(lines(&rec, "fodselsnummer"), [(5, 10.into())]);
    assert_eq!(lines(&rec, "phone"), [(5, 23.into())]);

    let yaml = "ansatte:\n  - navn: Kari\n    fnr: 3851598730\n    telefoner:\n      - 41234567\n";
    let rec = scan_one("ansatte.yaml", yaml, &[]);
    assert_eq!(rec["type"], "yaml");
    assert_eq!(
        of_kind(&rec, "fodselsnummer")[0]["recovered_leading_zero"],
        true
    );
    assert_eq!(lines(&rec, "fodselsnummer"), [(3, 10.into())]);
    assert_eq!(lines(&rec, "phone"), [(5, 9.into())]);
}
