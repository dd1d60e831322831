//! Workbooks and office documents that crashed, exhausted or fooled the readers: a real xlsb
//! that made calamine panic, fuzzed xls files, entity and nesting bombs, seas of RTF groups,
//! repeated ods rows. They are rebuilt here from the project's fixtures or written from
//! scratch, small; the large versions and their peak memory are in BENCHMARKS.md.

use std::path::Path;

use serde_json::{json, Value};

use crate::harness::{file, fixture, scan, status, zip_bytes, Tree};

/// `ansatte.xls` with the bytes that a mutation fuzzer changed, (offset, new byte): each made
/// calamine panic (an out-of-range sheet offset, a string table read past its record).
const FUZZED: &[(&str, &[(usize, u8)])] = &[
    ("814680f442", &[(3022, 0o50), (4143, 0o73)]),
    (
        "8f11b6443a",
        &[
            (1307, 0o200),
            (3329, 0o377),
            (3330, 0o377),
            (3331, 0o377),
            (3332, 0o177),
            (6406, 0o224),
        ],
    ),
    ("f18a717d88", &[(3004, 0o366)]),
];

/// (kind, location) of every finding.
fn findings(rec: &Value) -> Vec<(String, Value)> {
    rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap().into(), f["location"].clone()))
        .collect()
}

fn scan_one(path: &Path, extra: &[&str]) -> Value {
    let s = scan(&[path], extra);
    assert_eq!(s.files().len(), 1, "{:?}", s.files());
    s.files()[0].clone()
}

#[test]
fn fuzzed_xls_files_are_read_around_their_damage() {
    let tree = Tree::new();
    let good = std::fs::read(fixture("docs/ansatte.xls")).unwrap();
    let whole = findings(&scan_one(&fixture("docs/ansatte.xls"), &[]));
    assert_eq!(whole.len(), 6, "{whole:?}");
    for (name, patch) in FUZZED {
        let mut bad = good.clone();
        for &(at, b) in *patch {
            bad[at] = b;
        }
        let rec = scan_one(&tree.file(&format!("{name}.xls"), &bad), &[]);
        assert_ne!(status(&rec).1, "parser_panic", "{name}");
        match *name {
            // A damaged sheet offset: the sheet is found by its place among the sheets.
            "814680f442" | "f18a717d88" => {
                assert_eq!(status(&rec), ("scanned", ""), "{name}");
                assert_eq!(findings(&rec), whole, "{name}");
            }
            // A damaged string table: the strings before the damage, and the numbers, are read.
            _ => {
                assert_eq!(status(&rec), ("partial", "damaged_parts"), "{name}");
                assert_eq!(findings(&rec), whole[..5], "{name}");
            }
        }
    }
}

#[test]
fn a_real_xlsb_from_apache_tika_is_read() {
    let tree = Tree::new();
    // A rule that finds the one text of the file, so its cell shows in the inventory.
    tree.file(
        "rules/tekst.toml",
        r#"
[[rule]]
id = "tekst"
kind = "tekst"
pattern = 'example spreadsheet'
base = 3
[[rule.examples]]
text = "an example spreadsheet"
kind = "tekst"
confidence = "high"
"#,
    );
    let rules = tree.path().join("rules");
    let rec = scan_one(
        &fixture("docs/tika_testEXCEL.xlsb"),
        &["--rules", rules.to_str().unwrap()],
    );
    assert_eq!(
        (rec["type"].as_str(), status(&rec)),
        (Some("xlsb"), ("scanned", ""))
    );
    assert_eq!(
        findings(&rec),
        [(
            "tekst".to_string(),
            json!({"sheet": "Sheet1", "cell": "A1"})
        )]
    );
}

const CONTENT_TYPES: &[u8] = b"<Types/>";

/// A minimal xlsx: one sheet `Ark1` with `sheet` (a `sheetData` body) and `strings` (the
/// `sst` body), each after `prolog` (a DTD, say).
fn xlsx(prolog: &str, sheet: &str, strings: &str) -> Vec<u8> {
    let ns = r#"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    zip_bytes(&[
        ("[Content_Types].xml", CONTENT_TYPES),
        (
            "xl/workbook.xml",
            format!(r#"<workbook {ns}><sheets><sheet name="Ark1" sheetId="1" r:id="rId1"/></sheets></workbook>"#).as_bytes(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(r#"<Relationships><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#).as_bytes(),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!("{prolog}<worksheet {ns}>{sheet}</worksheet>").as_bytes(),
        ),
        (
            "xl/sharedStrings.xml",
            format!("{prolog}<sst {ns}>{strings}</sst>").as_bytes(),
        ),
    ])
}

/// A minimal docx whose `word/document.xml` is `prolog` + the body `body`.
fn docx(prolog: &str, body: &str) -> Vec<u8> {
    let xml = format!(
        r#"{prolog}<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
    );
    zip_bytes(&[
        ("[Content_Types].xml", CONTENT_TYPES),
        ("word/document.xml", xml.as_bytes()),
    ])
}

fn para(text: &str) -> String {
    format!("<w:p><w:r><w:t>{text}</w:t></w:r></w:p>")
}

const LAUGHS: &str = r#"<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>"#;

#[test]
fn entities_declared_in_a_dtd_are_not_expanded_and_the_file_says_so() {
    let tree = Tree::new();
    let book = xlsx(
        LAUGHS,
        r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&c;</t></is></c><c r="B1" t="s"><v>0</v></c></row></sheetData>"#,
        "<si><t>Fødselsnummer 13097248022 &c;</t></si>",
    );
    let doc = docx(
        LAUGHS,
        &(para("&c;&c;") + &para("Fødselsnummer 13097248022")),
    );
    for (name, bytes, location) in [
        ("laugh.xlsx", book, json!({"sheet": "Ark1", "cell": "B1"})),
        (
            "laugh.docx",
            doc,
            json!({"part": "body", "line": 2, "column": 15}),
        ),
    ] {
        let rec = scan_one(&tree.file(name, bytes), &[]);
        assert_eq!(status(&rec), ("partial", "xml_entities"), "{name}");
        assert_eq!(
            findings(&rec),
            [("fodselsnummer".into(), location)],
            "{name}"
        );
    }
}

#[test]
fn nesting_deeper_than_the_bound_stops_after_what_came_before() {
    let tree = Tree::new();
    let deep =
        "<w:sdt>".repeat(5000) + &para("Fødselsnummer 20036914700") + &"</w:sdt>".repeat(5000);
    let body = para("Fødselsnummer 13097248022") + &deep;
    let rec = scan_one(&tree.file("nest.docx", docx("", &body)), &[]);
    assert_eq!(status(&rec), ("limit_exceeded", "nesting_limit"));
    assert_eq!(
        findings(&rec),
        [(
            "fodselsnummer".into(),
            json!({"part": "body", "line": 1, "column": 15})
        )]
    );
    // As deep as Word nests is read whole.
    let deep = "<w:sdt>".repeat(100) + &para("Fødselsnummer 20036914700") + &"</w:sdt>".repeat(100);
    let rec = scan_one(&tree.file("ok.docx", docx("", &deep)), &[]);
    assert_eq!(status(&rec), ("scanned", ""));
    assert_eq!(findings(&rec).len(), 1);
}

#[test]
fn a_sea_of_rtf_groups_is_read_through() {
    let tree = Tree::new();
    let mut rtf = br"{\rtf1\ansi Fnr 13097248022\par ".to_vec();
    rtf.extend(std::iter::repeat_n(b'{', 2 << 20));
    rtf.extend(br"\par Mobil 40300040 }");
    let rec = scan_one(&tree.file("groups.rtf", &rtf), &[]);
    assert_eq!(status(&rec), ("scanned", ""));
    let kinds: Vec<String> = findings(&rec).into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, ["fodselsnummer", "phone"]);
    // Groups that each change the state are frames of their own, up to a bound.
    let mut rtf = br"{\rtf1\ansi Fnr 13097248022\par ".to_vec();
    for i in 0..70_000 {
        rtf.extend(format!("{{\\uc{}", i % 2).as_bytes());
    }
    let rec = scan_one(&tree.file("states.rtf", &rtf), &[]);
    assert_eq!(status(&rec), ("limit_exceeded", "nesting_limit"));
    assert_eq!(findings(&rec).len(), 1);
}

#[test]
fn declared_dimensions_are_not_believed() {
    let tree = Tree::new();
    let book = xlsx(
        "",
        r#"<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="1048576"><c r="XFD1048576" t="s"><v>1</v></c></row></sheetData>"#,
        "<si><t>Fødselsnummer</t></si><si><t>13097248022</t></si>",
    );
    let rec = scan_one(&tree.file("dim.xlsx", book), &[]);
    assert_eq!(status(&rec), ("scanned", ""));
    assert_eq!(
        findings(&rec),
        [
            (
                "fodselsnummer".into(),
                json!({"sheet": "Ark1", "cell": "B1"})
            ),
            (
                "fodselsnummer".into(),
                json!({"sheet": "Ark1", "cell": "XFD1048576"})
            ),
        ]
    );
}

#[test]
fn repeated_ods_cells_count_once_per_cell() {
    let tree = Tree::new();
    let content = r#"<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="Ark1"><table:table-row><table:table-cell office:value-type="string"><text:p>Fnr</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="100"><table:table-cell table:number-columns-repeated="30" office:value-type="float" office:value="13097248022"/></table:table-row><table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#;
    let ods = zip_bytes(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
        ),
        ("content.xml", content.as_bytes()),
    ]);
    let rec = scan_one(&tree.file("rep.ods", ods), &[]);
    assert_eq!(status(&rec), ("scanned", ""));
    assert_eq!(rec["counts"]["fodselsnummer"], 3000);
    assert_eq!(
        rec["findings"][2999]["location"],
        json!({"sheet": "Ark1", "cell": "AD101"})
    );
}

#[test]
fn the_same_files_inside_an_archive_give_the_same_records() {
    let tree = Tree::new();
    let inner = std::fs::read(fixture("docs/tika_testEXCEL.xlsb")).unwrap();
    let zip = zip_bytes(&[("a/b.xlsb", &inner)]);
    let s = scan(&[&tree.file("arkiv.zip", zip)], &[]);
    let rec = file(&s.inv, "arkiv.zip!/a/b.xlsb");
    assert_eq!(
        (rec["type"].as_str(), status(rec)),
        (Some("xlsb"), ("scanned", ""))
    );
}
