//! Tables in documents as a person reads them: a cell's values take the context of its
//! column's header, in documents LibreOffice made from one source (tests/fixtures/office/
//! tables.fodt, converted by make_tables.sh to odt, docx and rtf).

use serde_json::{json, Value};

use crate::harness::{fixture, scan, status};

/// (kind, confidence, recovered leading zero) of every finding.
fn summary(rec: &Value) -> Vec<(String, String, bool)> {
    rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().into(),
                f["confidence"].as_str().unwrap().into(),
                f["recovered_leading_zero"] == Value::Bool(true),
            )
        })
        .collect()
}

#[test]
fn cells_take_their_column_headers_in_odt_docx_and_rtf() {
    let expect = |kind: &str, confidence: &str, recovered: bool| {
        (kind.to_string(), confidence.to_string(), recovered)
    };
    let wanted = [
        // Under `Fnr`.
        expect("fodselsnummer", "high", false),
        // Under `Telefon / e-post`: a phone and an address on two lines of one cell.
        expect("phone", "high", false),
        expect("email", "low", false),
        // 03851598730 (synthetic) typed without its leading zero, under `Fnr`.
        expect("fodselsnummer", "high", true),
        expect("phone", "high", false),
        // The same digits in a paragraph after the table: no header, no phone word.
        expect("phone", "low", false),
        // A table without a marked header row: its first row names the columns (`Mobil`).
        expect("phone", "high", false),
    ];
    for name in ["tables.odt", "tables.docx", "tables.rtf"] {
        let s = scan(
            &[&fixture(&format!("office/{name}"))],
            &["--min-confidence", "low"],
        );
        let rec = &s.files()[0];
        assert_eq!(status(rec), ("scanned", ""), "{name}");
        assert_eq!(summary(rec), wanted, "{name}");
        // Cells keep the lines and columns of the text as before: the second value of a cell
        // is on the cell's second line.
        if name != "tables.rtf" {
            let part = if name == "tables.odt" {
                "content"
            } else {
                "body"
            };
            assert_eq!(
                rec["findings"][2]["location"],
                json!({"part": part, "line": 8, "column": 1}),
                "{name}"
            );
        }
    }
}

#[test]
fn at_the_default_confidence_the_header_decides() {
    let s = scan(&[&fixture("office/tables.docx")], &[]);
    let kinds: Vec<String> = summary(&s.files()[0]).into_iter().map(|k| k.0).collect();
    // The bare phone outside the table and the example-domain address stay below medium.
    assert_eq!(
        kinds,
        ["fodselsnummer", "phone", "fodselsnummer", "phone", "phone"]
    );
}

/// A form as a two-column table: labels on the left, values on the right, the first row a
/// name and no header at all.
#[test]
fn a_label_in_the_cell_to_the_left_is_context() {
    let cell = |t: &str| format!("<w:tc><w:p><w:r><w:t>{t}</w:t></w:r></w:p></w:tc>");
    let row = |a: &str, b: &str| format!("<w:tr>{}{}</w:tr>", cell(a), cell(b));
    let body = format!(
        "<w:tbl>{}{}{}</w:tbl><w:p><w:r><w:t>40300040</w:t></w:r></w:p>",
        row("Navn", "Kari Nordmann"),
        row("Mobil", "40300040"),
        row("Kundenummer", "92345678"),
    );
    let xml = format!(
        r#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
    );
    let docx = crate::harness::zip_bytes(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", xml.as_bytes()),
    ]);
    let tree = crate::harness::Tree::new();
    let s = scan(
        &[&tree.file("skjema.docx", docx)],
        &["--min-confidence", "low"],
    );
    let found: Vec<(String, String)> = summary(&s.files()[0])
        .into_iter()
        .map(|(k, c, _)| (k, c))
        .collect();
    let at_least_medium = |c: &str| c == "medium" || c == "high";
    // `Mobil` to the left: a phone; `Kundenummer` to the left: pushed down; alone: low.
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(at_least_medium(&found[0].1), "{found:?}");
    assert!(!at_least_medium(&found[1].1), "{found:?}");
    assert_eq!(found[2].1, "low", "{found:?}");
}
