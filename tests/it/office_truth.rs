//! True statuses and what office files hold besides their body: encrypted files are
//! `encrypted` (never corrupt or partial), a Word 97 document is `unsupported` and named, an
//! editing restriction is not encryption; document properties and sheet names are text.

use std::path::Path;

use serde_json::{json, Value};

use crate::harness::{fixture, scan, status, zip_bytes, zip_with, Tree};

fn scan_one(path: &Path) -> Value {
    let s = scan(&[path], &[]);
    assert_eq!(s.files().len(), 1, "{:?}", s.files());
    s.files()[0].clone()
}

/// `data` (a compound file) with the FAT entries past the end of the file marked end-of-chain
/// instead of free, as Word writes them (Word's own `.doc` files and encrypted packages).
fn words_fat(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    let u32_at = |d: &[u8], at: usize| u32::from_le_bytes(d[at..at + 4].try_into().unwrap());
    let size = 1usize << u16::from_le_bytes([data[30], data[31]]);
    let sectors = (data.len() - size) / size;
    for k in 0..u32_at(data, 44) as usize {
        let fat = (u32_at(data, 76 + 4 * k) as usize + 1) * size;
        for e in 0..size / 4 {
            let at = fat + 4 * e;
            if k * size / 4 + e >= sectors && u32_at(&out, at) == u32::MAX {
                out[at..at + 4].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
            }
        }
    }
    assert_ne!(out, data, "the FAT describes sectors past the end");
    out
}

/// An OpenDocument file of `mimetype` whose manifest lists `content.xml` as encrypted (as
/// LibreOffice writes a password-protected file), with AES output in place of the XML.
fn encrypted_odf(mimetype: &str) -> Vec<u8> {
    let manifest = r#"<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="x"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml" manifest:size="1824"><manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k" manifest:checksum="qSVW"><manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc" manifest:initialisation-vector="oTHB"/></manifest:encryption-data></manifest:file-entry></manifest:manifest>"#;
    let noise: Vec<u8> = (0..1824u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    zip_bytes(&[
        ("mimetype", mimetype.as_bytes()),
        ("META-INF/manifest.xml", manifest.as_bytes()),
        ("content.xml", &noise),
    ])
}

#[test]
fn encrypted_files_are_encrypted_never_corrupt() {
    let tree = Tree::new();
    let package = words_fat(&std::fs::read(fixture("docs/encrypted.xlsx")).unwrap());
    let files = [
        (
            fixture("docs/tika_testEXCEL_protected_passtika.xls"),
            "encrypted with RC4",
        ),
        (
            fixture("office/tika_testODTEncrypted.odt"),
            "OpenDocument text",
        ),
        (
            tree.file(
                "liste.ods",
                encrypted_odf("application/vnd.oasis.opendocument.spreadsheet"),
            ),
            "ods workbook",
        ),
        (
            tree.file(
                "talk.odp",
                encrypted_odf("application/vnd.oasis.opendocument.presentation"),
            ),
            "OpenDocument presentation",
        ),
        // An encrypted package whose FAT runs past the end of the file, as Word writes it.
        (
            tree.file("protected.docx", package),
            "encrypted xlsx/docx/pptx package",
        ),
    ];
    for (path, detail) in &files {
        let rec = scan_one(path);
        assert_eq!(status(&rec), ("encrypted", "encrypted"), "{path:?}");
        let d = rec["detail"].as_str().unwrap();
        assert!(d.contains(detail), "{path:?}: {d}");
    }
}

#[test]
fn a_word_97_document_with_words_fat_is_unsupported_and_named() {
    let tree = Tree::new();
    let doc = words_fat(&std::fs::read(fixture("docs/brev.doc")).unwrap());
    let rec = scan_one(&tree.file("brev.doc", doc));
    assert_eq!(status(&rec), ("unsupported", "unsupported_format"));
    assert_eq!(rec["type"], "doc");
    assert!(rec["detail"].as_str().unwrap().contains("Word 97-2003"));
}

#[test]
fn editing_protection_is_not_encryption() {
    let tree = Tree::new();
    let settings = br#"<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:documentProtection w:edit="readOnly" w:enforcement="1" w:cryptProviderType="rsaAES" w:cryptAlgorithmClass="hash" w:cryptAlgorithmType="typeAny" w:cryptAlgorithmSid="14" w:cryptSpinCount="100000" w:hash="x" w:salt="y"/></w:settings>"#;
    let docx = zip_with(
        &fixture("office/report.docx"),
        &[("word/settings.xml", settings)],
    );
    let rec = scan_one(&tree.file("protected.docx", docx));
    assert_eq!(status(&rec), ("scanned", ""));
    let plain = scan_one(&fixture("office/report.docx"));
    assert_eq!(rec["counts"], plain["counts"]);
    assert!(rec["counts"]["fodselsnummer"].as_u64().unwrap() > 0);
}

/// (kind, location) of every finding.
fn findings(rec: &Value) -> Vec<(String, Value)> {
    rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap().into(), f["location"].clone()))
        .collect()
}

fn has(rec: &Value, kind: &str, location: Value) {
    let all = findings(rec);
    assert!(
        all.iter().any(|(k, l)| k == kind && *l == location),
        "{}: no {kind} at {location}; findings: {all:?}",
        rec["path"]
    );
}

const CORE: &str = r#"<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Lønnsslipp 13097248022</dc:title><dc:creator>Kari Nordmann</dc:creator><cp:keywords>mobil 40300040</cp:keywords></cp:coreProperties>"#;
const CUSTOM: &str = r#"<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Fødselsnummer"><vt:lpwstr>20036914700</vt:lpwstr></property></Properties>"#;
const APP: &str = r#"<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Company>Firma AS, tlf 92345678</Company><Manager>Ola</Manager></Properties>"#;

#[test]
fn document_properties_are_text() {
    let tree = Tree::new();
    let parts: &[(&str, &[u8])] = &[
        ("docProps/core.xml", CORE.as_bytes()),
        ("docProps/custom.xml", CUSTOM.as_bytes()),
        ("docProps/app.xml", APP.as_bytes()),
    ];
    for name in [
        "office/report.docx",
        "office/slides.pptx",
        "docs/ansatte.xlsx",
    ] {
        let file = name.rsplit('/').next().unwrap();
        let rec = scan_one(&tree.file(file, zip_with(&fixture(name), parts)));
        assert_eq!(status(&rec).0, "scanned", "{name}");
        has(&rec, "fodselsnummer", json!({"part": "properties/title"}));
        has(&rec, "phone", json!({"part": "properties/keywords"}));
        has(&rec, "fodselsnummer", json!({"part": "properties/custom"}));
        has(&rec, "phone", json!({"part": "properties/company"}));
    }
    let meta = r#"<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta><dc:title>Lønnsslipp 13097248022</dc:title><meta:user-defined meta:name="Fødselsnummer">20036914700</meta:user-defined></office:meta></office:document-meta>"#;
    for name in ["office/letter.odt", "office/talk.odp", "docs/ansatte.ods"] {
        let file = name.rsplit('/').next().unwrap();
        let odf = zip_with(&fixture(name), &[("meta.xml", meta.as_bytes())]);
        let rec = scan_one(&tree.file(file, odf));
        assert_eq!(status(&rec).0, "scanned", "{name}");
        has(&rec, "fodselsnummer", json!({"part": "properties/title"}));
        has(&rec, "fodselsnummer", json!({"part": "properties/custom"}));
    }
}

/// A `\x05SummaryInformation` stream (MS-OLEPS) with a title and an author in Windows-1252.
fn summary_information(title: &str, author: &str) -> Vec<u8> {
    let mut values: Vec<u8> = Vec::new();
    let mut index: Vec<u8> = Vec::new();
    let props: [(u32, Vec<u8>); 3] = [
        (1, [2u32.to_le_bytes(), 1252u32.to_le_bytes()].concat()),
        (2, lpstr(title)),
        (4, lpstr(author)),
    ];
    let header = 8 + props.len() * 8;
    for (id, value) in &props {
        index.extend(id.to_le_bytes());
        index.extend(((header + values.len()) as u32).to_le_bytes());
        values.extend(value);
    }
    let mut set = ((header + values.len()) as u32).to_le_bytes().to_vec();
    set.extend((props.len() as u32).to_le_bytes());
    set.extend(index);
    set.extend(values);
    let fmtid = [
        0xE0, 0x85, 0x9F, 0xF2, 0xF9, 0x4F, 0x68, 0x10, 0xAB, 0x91, 0x08, 0x00, 0x2B, 0x27, 0xB3,
        0xD9,
    ];
    let mut stream = vec![0xFE, 0xFF, 0, 0, 0, 0, 0, 0];
    stream.extend([0; 16]);
    stream.extend(1u32.to_le_bytes());
    stream.extend(fmtid);
    stream.extend(48u32.to_le_bytes());
    stream.extend(set);
    stream
}

/// A `VT_LPSTR` value: type, length with the NUL, Windows-1252 bytes, padding.
fn lpstr(s: &str) -> Vec<u8> {
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(s);
    let mut v = 0x1Eu32.to_le_bytes().to_vec();
    v.extend((bytes.len() as u32 + 1).to_le_bytes());
    v.extend(bytes.iter());
    v.push(0);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

#[test]
fn ole_summary_information_is_text_in_every_compound_file() {
    use std::io::Write;
    let tree = Tree::new();
    let stream = summary_information("Lønnsslipp 13097248022", "Kari Nordmann");
    for (name, expect) in [
        ("docs/ansatte.xls", ("scanned", "")),
        ("docs/brev.doc", ("unsupported", "unsupported_format")),
        ("docs/encrypted.xlsx", ("encrypted", "encrypted")),
    ] {
        let file = tree.file(
            name.rsplit('/').next().unwrap(),
            std::fs::read(fixture(name)).unwrap(),
        );
        let mut cf = cfb::open_rw(&file).unwrap();
        cf.create_stream("/\u{5}SummaryInformation")
            .unwrap()
            .write_all(&stream)
            .unwrap();
        cf.flush().unwrap();
        drop(cf);
        let rec = scan_one(&file);
        assert_eq!(status(&rec), expect, "{name}");
        has(&rec, "fodselsnummer", json!({"part": "properties/title"}));
    }
}

#[test]
fn sheet_names_are_text() {
    let tree = Tree::new();
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().set_name("Kari 13097248022").unwrap();
    let ws = wb.add_worksheet();
    ws.set_name("Tall").unwrap();
    ws.write_string(0, 0, "ingen").unwrap();
    let path = tree.file("navn.xlsx", wb.save_to_buffer().unwrap());
    let rec = scan_one(&path);
    assert_eq!(
        findings(&rec),
        [(
            "fodselsnummer".to_string(),
            // The sheet name is printed masked: a value in a name is a value too.
            json!({"sheet": "Kari 130********", "part": "sheet_name"})
        )]
    );
    assert!(!rec.to_string().contains("13097248022"));
}
