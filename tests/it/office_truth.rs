//! True statuses and what office files hold besides their body: encrypted files are
//! `encrypted` (never corrupt or partial), a Word 97 document is `unsupported` and named, an
//! editing restriction is not encryption; document properties and sheet names are text.

use std::path::Path;

use serde_json::Value;

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
