//! Office text documents, archives and e-mail, scanned end to end through `kartlegg scan`.
//!
//! Real files made by other tools live in tests/fixtures/{office,archive,mail} (see the README
//! beside them); damaged copies, bombs and limit cases are built here at test time.

use std::io::Write;
use std::path::Path;

use serde_json::Value;

use crate::harness::{file, fixture, rewrite_zip, status, write_zip, zip_bytes};

/// Scans `paths` and returns the JSON report.
fn scan(paths: &[&Path], extra: &[&str]) -> Value {
    crate::harness::scan(paths, extra).inv
}

/// (kind, location) of each finding.
fn findings(rec: &Value) -> Vec<(String, Value)> {
    rec["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["kind"].as_str().unwrap().to_string(),
                        f["location"].clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn has(rec: &Value, kind: &str, location: Value) {
    let all = findings(rec);
    assert!(
        all.iter().any(|(k, l)| k == kind && *l == location),
        "{}: no {kind} at {location}; findings: {all:?}",
        rec["path"]
    );
}

// ---------------------------------------------------------------- office documents

#[test]
fn docx_parts_runs_tables_headers_footers_and_comments() {
    let r = scan(
        &[&fixture("office/report.docx")],
        &["--min-confidence", "low"],
    );
    let doc = file(&r, "report.docx");
    assert_eq!(doc["type"], "docx");
    assert_eq!(status(doc), ("scanned", ""));
    // "1309" + "7248" + "022" in three runs.
    has(
        doc,
        "fodselsnummer",
        serde_json::json!({"part": "body", "line": 2, "column": 16}),
    );
    // A table cell: paragraphs of cells are lines.
    has(
        doc,
        "phone",
        serde_json::json!({"part": "body", "line": 6, "column": 8}),
    );
    has(
        doc,
        "email",
        serde_json::json!({"part": "header1", "line": 1, "column": 10}),
    );
    has(
        doc,
        "d_nummer",
        serde_json::json!({"part": "footer1", "line": 1, "column": 10}),
    );
    has(
        doc,
        "phone",
        serde_json::json!({"part": "comments", "line": 1, "column": 6}),
    );
}

#[test]
fn pptx_slides_and_speaker_notes() {
    let r = scan(&[&fixture("office/slides.pptx")], &[]);
    let p = file(&r, "slides.pptx");
    assert_eq!(
        (p["type"].as_str(), status(p)),
        (Some("pptx"), ("scanned", ""))
    );
    has(
        p,
        "fodselsnummer",
        serde_json::json!({"part": "slide 2", "line": 2, "column": 5}),
    );
    has(
        p,
        "phone",
        serde_json::json!({"part": "notes 2", "line": 1, "column": 9}),
    );
    assert_eq!(findings(p).len(), 2);
}

#[test]
fn odt_odp_rtf_and_docx_made_by_libreoffice() {
    let r = scan(
        &[
            &fixture("office/letter.odt"),
            &fixture("office/talk.odp"),
            &fixture("office/letter.rtf"),
            &fixture("office/letter.docx"),
        ],
        &[],
    );
    let odt = file(&r, "letter.odt");
    assert_eq!(
        (odt["type"].as_str(), status(odt)),
        (Some("odt"), ("scanned", ""))
    );
    has(
        odt,
        "fodselsnummer",
        serde_json::json!({"part": "content", "line": 2, "column": 16}),
    );
    has(
        odt,
        "d_nummer",
        serde_json::json!({"part": "styles", "line": 1, "column": 10}),
    );
    // The footnote, on a line of its own after `Se fotnote.`.
    has(
        odt,
        "phone",
        serde_json::json!({"part": "content", "line": 5, "column": 9}),
    );
    // The same letter as docx, written by LibreOffice: footer and footnotes are parts.
    let docx = file(&r, "letter.docx");
    assert_eq!(status(docx), ("scanned", ""));
    has(
        docx,
        "fodselsnummer",
        serde_json::json!({"part": "body", "line": 2, "column": 16}),
    );
    has(
        docx,
        "d_nummer",
        serde_json::json!({"part": "footer1", "line": 1, "column": 10}),
    );
    has(
        docx,
        "phone",
        serde_json::json!({"part": "footnotes", "line": 3, "column": 10}),
    );
    let odp = file(&r, "talk.odp");
    assert_eq!(
        (odp["type"].as_str(), status(odp)),
        (Some("odp"), ("scanned", ""))
    );
    has(
        odp,
        "fodselsnummer",
        serde_json::json!({"part": "slide 2", "line": 2, "column": 5}),
    );
    has(
        odp,
        "phone",
        serde_json::json!({"part": "notes 2", "line": 1, "column": 9}),
    );
    let rtf = file(&r, "letter.rtf");
    assert_eq!(
        (rtf["type"].as_str(), status(rtf)),
        (Some("rtf"), ("scanned", ""))
    );
    // `F\'f8dselsnummer: ` is 15 characters once the escape is decoded; the footer comes first.
    has(
        rtf,
        "fodselsnummer",
        serde_json::json!({"line": 3, "column": 16}),
    );
    has(
        rtf,
        "d_nummer",
        serde_json::json!({"line": 1, "column": 10}),
    );
    has(rtf, "phone", serde_json::json!({"line": 4, "column": 8}));
    // The footnote (`{\*\footnote ...}`: an optional destination that is text).
    has(rtf, "phone", serde_json::json!({"line": 6, "column": 10}));
}

#[test]
fn damaged_office_files_are_recorded_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let docx = std::fs::read(fixture("office/report.docx")).unwrap();
    // Cut in half: the zip directory is gone.
    std::fs::write(dir.path().join("truncated.docx"), &docx[..docx.len() / 2]).unwrap();
    // The body XML cut off after the second paragraph's number.
    rewrite_zip(
        &fixture("office/report.docx"),
        &dir.path().join("broken-xml.docx"),
        |name, data| {
            if name == "word/document.xml" {
                let text = String::from_utf8(data).unwrap();
                let cut = text.find("022</w:t>").unwrap() + "022</w:t>".len();
                format!("{}<w:bad", &text[..cut]).into_bytes()
            } else {
                data
            }
        },
    );
    let r = scan(&[dir.path()], &[]);
    let t = file(&r, "truncated.docx");
    assert_eq!(status(t), ("error", "corrupt"));
    let b = file(&r, "broken-xml.docx");
    assert_eq!(status(b), ("partial", "damaged_parts"));
    assert!(b["detail"].as_str().unwrap().contains("body"));
    // The text before the damage is still scanned, and the other parts are whole.
    let kinds: Vec<String> = findings(b).into_iter().map(|(k, _)| k).collect();
    assert!(kinds.contains(&"fodselsnummer".to_string()), "{kinds:?}");
    assert!(
        kinds.contains(&"d_nummer".to_string()),
        "footer1 still read: {kinds:?}"
    );
}

#[test]
fn files_embedded_in_a_docx_are_members_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture("office/report.docx");
    let tmp = dir.path().join("plain.docx");
    rewrite_zip(&src, &tmp, |_, d| d);
    // Add an embedded object, as Word stores a pasted spreadsheet or OLE object.
    let mut z = zip::ZipWriter::new_append(
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&tmp)
            .unwrap(),
    )
    .unwrap();
    z.start_file(
        "word/embeddings/oleObject1.bin",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    z.write_all(b"Ansattliste\nfnr 20036914700\n").unwrap();
    z.finish().unwrap();
    let r = scan(&[&tmp], &[]);
    assert_eq!(status(file(&r, "plain.docx")), ("scanned", ""));
    has(
        file(&r, "plain.docx!/word/embeddings/oleObject1.bin"),
        "fodselsnummer",
        serde_json::json!({"line": 2, "column": 5}),
    );
}

// ---------------------------------------------------------------- archives

#[test]
fn nested_zips_name_their_members_with_bang_paths() {
    let r = scan(&[&fixture("archive/nested.zip")], &[]);
    assert_eq!(status(file(&r, "nested.zip")), ("scanned", ""));
    has(
        file(&r, "nested.zip!/dir/note.txt"),
        "phone",
        serde_json::json!({"line": 1, "column": 7}),
    );
    let inner = file(&r, "nested.zip!/dir/inner.zip!/c.txt");
    has(
        inner,
        "fodselsnummer",
        serde_json::json!({"line": 1, "column": 16}),
    );
    has(
        file(&r, "nested.zip!/report.docx"),
        "d_nummer",
        serde_json::json!({"part": "footer1", "line": 1, "column": 10}),
    );
}

#[test]
fn tar_and_compressed_streams() {
    let r = scan(&[&fixture("archive")], &[]);
    for (name, kind) in [
        ("bundle.tar", "tar"),
        ("bundle.tgz", "tar+gzip"),
        ("bundle.tar.bz2", "tar+bzip2"),
        ("bundle.tar.xz", "tar+xz"),
        ("bundle.tar.zst", "tar+zstd"),
    ] {
        let a = file(&r, &format!("archive/{name}"));
        assert_eq!(
            (a["type"].as_str(), status(a)),
            (Some(kind), ("scanned", "")),
            "{name}"
        );
        has(
            file(&r, &format!("{name}!/bundle/sub/person.txt")),
            "fodselsnummer",
            serde_json::json!({"line": 1, "column": 5}),
        );
        file(&r, &format!("{name}!/bundle/empty.txt"));
    }
    for (name, kind) in [
        ("gz", "gzip"),
        ("bz2", "bzip2"),
        ("xz", "xz"),
        ("zst", "zstd"),
    ] {
        let a = file(&r, &format!("note.txt.{name}"));
        assert_eq!(a["type"].as_str(), Some(kind));
        has(
            file(&r, &format!("note.txt.{name}!/note.txt")),
            "phone",
            serde_json::json!({"line": 1, "column": 9}),
        );
    }
}

#[test]
fn encrypted_members_make_the_archive_encrypted_and_the_rest_is_read() {
    let r = scan(&[&fixture("archive/encrypted.zip")], &[]);
    let z = file(&r, "encrypted.zip");
    assert_eq!(status(z), ("encrypted", "encrypted_entries"));
    assert!(z["detail"]
        .as_str()
        .unwrap()
        .contains("1 encrypted (secret.txt)"));
    has(
        file(&r, "encrypted.zip!/open.txt"),
        "phone",
        serde_json::json!({"line": 1, "column": 9}),
    );
}

#[test]
fn zip_slip_names_stay_inside_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    write_zip(
        &dir.path().join("slip.zip"),
        &[
            ("../../etc/evil.txt", b"fnr 13097248022\n"),
            ("/abs/x.txt", b"tlf 92345678\n"),
        ],
    );
    let r = scan(&[dir.path()], &[]);
    file(&r, "slip.zip!/etc/evil.txt");
    file(&r, "slip.zip!/abs/x.txt");
    let paths: Vec<&str> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths.iter().all(|p| !p.contains("..")), "{paths:?}");
    assert!(!dir.path().join("etc").exists() && !Path::new("/etc/evil.txt").exists());
}

#[test]
fn a_member_that_expands_too_much_stops_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    // 16 MiB of zeros deflate to about 16 KiB: a ratio near 1000.
    let zeros = vec![0u8; 16 << 20];
    write_zip(
        &dir.path().join("bomb.zip"),
        &[("ok.txt", b"tlf 92345678\n"), ("zeros.bin", &zeros)],
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&zeros).unwrap();
    std::fs::write(dir.path().join("bomb.bin.gz"), gz.finish().unwrap()).unwrap();
    let zst = zstd::encode_all(&zeros[..], 3).unwrap();
    std::fs::write(dir.path().join("bomb.zst"), zst).unwrap();
    let r = scan(&[dir.path()], &[]);
    let z = file(&r, "bomb.zip");
    assert_eq!(status(z), ("limit_exceeded", "ratio_limit"));
    assert!(z["detail"].as_str().unwrap().contains("zeros.bin"));
    // Members before the bomb were read.
    has(
        file(&r, "bomb.zip!/ok.txt"),
        "phone",
        serde_json::json!({"line": 1, "column": 5}),
    );
    assert_eq!(
        status(file(&r, "bomb.bin.gz")),
        ("limit_exceeded", "ratio_limit")
    );
    assert_eq!(
        status(file(&r, "bomb.zst")),
        ("limit_exceeded", "ratio_limit")
    );
    // A generous ratio lets the same files through.
    let r = scan(&[&dir.path().join("bomb.zip")], &["--max-ratio", "5000"]);
    assert_eq!(status(file(&r, "bomb.zip")), ("scanned", ""));
}

#[test]
fn nesting_deeper_than_the_limit_is_recorded_where_it_stops() {
    // 42.zip-style: a zip in a zip in a zip..., seven levels deep.
    let mut data = zip_bytes(&[("c.txt", b"fnr 13097248022\n")]);
    for level in (1..=6).rev() {
        data = zip_bytes(&[(&format!("level{level}.zip"), &data)]);
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("deep.zip"), &data).unwrap();
    let r = scan(&[dir.path()], &[]);
    assert_eq!(status(file(&r, "deep.zip")), ("scanned", ""));
    // Depth 5 is the last container opened; its member (depth 6) is listed, unread.
    let last = "deep.zip!/level1.zip!/level2.zip!/level3.zip!/level4.zip!/level5.zip";
    assert_eq!(status(file(&r, last)), ("scanned", ""));
    let stop = format!("{last}!/level6.zip");
    assert_eq!(status(file(&r, &stop)), ("limit_exceeded", "depth_limit"));
    let r = scan(&[dir.path()], &["--max-depth", "2"]);
    assert_eq!(
        status(file(&r, "deep.zip!/level1.zip!/level2.zip!/level3.zip")),
        ("limit_exceeded", "depth_limit")
    );
    let r = scan(&[dir.path()], &["--max-depth", "8"]);
    has(
        file(&r, "level5.zip!/level6.zip!/c.txt"),
        "fodselsnummer",
        serde_json::json!({"line": 1, "column": 5}),
    );
}

#[test]
fn entry_count_and_archive_bytes_limits() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..30).map(|i| format!("f{i}.txt")).collect();
    let members: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"hei\n"[..])).collect();
    write_zip(&dir.path().join("many.zip"), &members);
    let big = vec![b'x'; 64 << 10];
    write_zip(
        &dir.path().join("big.zip"),
        &[("a.txt", &big), ("b.txt", &big)],
    );
    let mut tar = tar::Builder::new(Vec::new());
    for n in &names {
        let mut h = tar::Header::new_gnu();
        h.set_size(4);
        h.set_mode(0o644);
        tar.append_data(&mut h, n, &b"hei\n"[..]).unwrap();
    }
    std::fs::write(dir.path().join("many.tar"), tar.into_inner().unwrap()).unwrap();
    let r = scan(
        &[dir.path()],
        &["--max-entries", "10", "--max-archive-bytes", "100K"],
    );
    let many = file(&r, "many.zip");
    assert_eq!(status(many), ("limit_exceeded", "entries_limit"));
    // A tar is streamed: the first ten members are recorded, then the limit stops it.
    assert_eq!(
        status(file(&r, "many.tar")),
        ("limit_exceeded", "entries_limit")
    );
    file(&r, "many.tar!/f9.txt");
    let paths: Vec<&str> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        !paths.iter().any(|p| p.ends_with("many.tar!/f10.txt")),
        "{paths:?}"
    );
    assert_eq!(
        status(file(&r, "big.zip")),
        ("limit_exceeded", "nested_bytes_limit")
    );
    let r = scan(&[dir.path()], &[]);
    assert_eq!(status(file(&r, "many.zip")), ("scanned", ""));
    assert_eq!(status(file(&r, "big.zip")), ("scanned", ""));
}

#[test]
fn damaged_and_unsupported_archives() {
    let dir = tempfile::tempdir().unwrap();
    let tgz = std::fs::read(fixture("archive/bundle.tgz")).unwrap();
    std::fs::write(dir.path().join("cut.tgz"), &tgz[..tgz.len() / 2]).unwrap();
    let zip = zip_bytes(&[("a.txt", b"tlf 92345678\n"), ("b.txt", b"tlf 40300040\n")]);
    std::fs::write(dir.path().join("cut.zip"), &zip[..zip.len() - 30]).unwrap();
    // Cut so that the only directory left is that of the zip stored inside.
    let nested = std::fs::read(fixture("archive/nested.zip")).unwrap();
    std::fs::write(
        dir.path().join("cut-nested.zip"),
        &nested[..nested.len() - 30],
    )
    .unwrap();
    std::fs::write(dir.path().join("x.7z"), b"7z\xbc\xaf\x27\x1c\x00\x04rest").unwrap();
    let r = scan(&[dir.path()], &[]);
    assert_eq!(status(file(&r, "cut.tgz")).0, "error");
    assert_eq!(status(file(&r, "cut.zip")), ("error", "corrupt"));
    assert_eq!(status(file(&r, "cut-nested.zip")), ("error", "corrupt"));
    assert_eq!(
        status(file(&r, "x.7z")),
        ("unsupported", "unsupported_format")
    );
}

// ---------------------------------------------------------------- e-mail

#[test]
fn eml_headers_bodies_and_attachments() {
    let r = scan(
        &[&fixture("mail/message.eml"), &fixture("mail/extensionless")],
        &[],
    );
    let m = file(&r, "message.eml");
    assert_eq!(
        (m["type"].as_str(), status(m)),
        (Some("eml"), ("scanned", ""))
    );
    // From, To, Cc are persons' addresses; the Message-ID is not one.
    has(
        m,
        "email",
        serde_json::json!({"message": 1, "part": "headers", "line": 1, "column": 22}),
    );
    has(
        m,
        "email",
        serde_json::json!({"message": 1, "part": "headers", "line": 2, "column": 20}),
    );
    has(
        m,
        "email",
        serde_json::json!({"message": 1, "part": "headers", "line": 3, "column": 5}),
    );
    assert_eq!(m["counts"]["email"], 3);
    // Quoted-printable UTF-8 body, decoded.
    has(
        m,
        "fodselsnummer",
        serde_json::json!({"message": 1, "part": "body", "line": 3, "column": 16}),
    );
    has(
        m,
        "phone",
        serde_json::json!({"message": 1, "part": "body", "line": 4, "column": 13}),
    );
    // The base64 attachment, read as its own format (a CSV).
    let a = file(&r, "message.eml!/liste.csv");
    assert_eq!(a["type"], "csv");
    has(
        a,
        "fodselsnummer",
        // A CSV member is read as a table (issue 4): column by header, row after the header.
        serde_json::json!({"column": "fødselsnummer", "row": 1, "line": 2}),
    );
    // No extension: recognised by its headers.
    let x = file(&r, "mail/extensionless");
    assert_eq!(x["type"], "eml");
    has(
        x,
        "d_nummer",
        serde_json::json!({"message": 1, "part": "body", "line": 1, "column": 10}),
    );
}

#[test]
fn mbox_messages_are_numbered_and_attachments_named_by_message() {
    let r = scan(&[&fixture("mail/inbox.mbox")], &[]);
    let m = file(&r, "inbox.mbox");
    assert_eq!(
        (m["type"].as_str(), status(m)),
        (Some("mbox"), ("scanned", ""))
    );
    // The body line `>From the desk...` is unquoted; its phone is in message 2's body.
    has(
        m,
        "phone",
        serde_json::json!({"message": 2, "part": "body", "line": 1, "column": 24}),
    );
    has(
        m,
        "email",
        serde_json::json!({"message": 1, "part": "headers", "line": 1, "column": 22}),
    );
    let docx = file(&r, "inbox.mbox!/2/rapport.docx");
    assert_eq!(docx["type"], "docx");
    has(
        docx,
        "d_nummer",
        serde_json::json!({"part": "footer1", "line": 1, "column": 10}),
    );
}

#[test]
fn e_mail_inside_an_archive_is_read_as_e_mail() {
    let eml = std::fs::read(fixture("mail/message.eml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_zip(&dir.path().join("saved.zip"), &[("2024/fwd.eml", &eml)]);
    let r = scan(&[dir.path()], &[]);
    let m = file(&r, "saved.zip!/2024/fwd.eml");
    assert_eq!(m["type"], "eml");
    has(
        m,
        "fodselsnummer",
        serde_json::json!({"message": 1, "part": "body", "line": 3, "column": 16}),
    );
    let a = file(&r, "saved.zip!/2024/fwd.eml!/liste.csv");
    has(
        a,
        "fodselsnummer",
        // A CSV member is read as a table (issue 4): column by header, row after the header.
        serde_json::json!({"column": "fødselsnummer", "row": 1, "line": 2}),
    );
}

#[test]
fn inventories_of_these_formats_match_the_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/inventory.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let schema = jsonschema::JSONSchema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .compile(&schema)
        .unwrap();
    let r = scan(
        &[&fixture("office"), &fixture("archive"), &fixture("mail")],
        &["--min-confidence", "low"],
    );
    if let Err(errors) = schema.validate(&r) {
        let msgs: Vec<String> = errors
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        panic!("schema violations:\n{}", msgs.join("\n"));
    }
    assert!(r["files"].as_array().unwrap().len() > 30);
}

#[test]
fn an_unreadable_message_in_a_mailbox_makes_it_partial_not_empty() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = "From a@b Sat Jan  1 00:00:00 2024\nFrom c@d Sat Jan  1 00:00:00 2024\nSubject: x\n\nRing 92345678\n";
    std::fs::write(dir.path().join("box.mbox"), mbox).unwrap();
    let r = scan(&[dir.path()], &[]);
    let m = file(&r, "box.mbox");
    assert_eq!(status(m), ("partial", "damaged_messages"));
    has(
        m,
        "phone",
        serde_json::json!({"message": 2, "part": "body", "line": 1, "column": 6}),
    );
}

#[test]
fn damaged_copies_of_every_fixture_get_a_record_and_never_crash_a_parser() {
    let dir = tempfile::tempdir().unwrap();
    let mut made = Vec::new();
    for sub in ["office", "archive", "mail"] {
        for entry in std::fs::read_dir(fixture(sub)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            if name.ends_with(".md") || name.ends_with(".py") || name.ends_with(".sh") {
                continue;
            }
            let data = std::fs::read(&path).unwrap();
            let mut zeroed = data.clone();
            let mid = data.len() / 2;
            zeroed[mid.saturating_sub(32)..(mid + 32).min(data.len())].fill(0);
            let copies = [
                ("third", data[..data.len() / 3].to_vec()),
                ("two-thirds", data[..data.len() * 2 / 3].to_vec()),
                ("zeroed", zeroed),
            ];
            for (how, bytes) in copies {
                let copy = format!("{how}-{name}");
                std::fs::write(dir.path().join(&copy), bytes).unwrap();
                made.push(copy);
            }
        }
    }
    let r = scan(&[dir.path()], &[]);
    for name in &made {
        let rec = file(&r, &format!("/{name}"));
        assert_ne!(rec["reason"], "parser_panic", "{name}: {rec}");
    }
    let panics: Vec<&Value> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["reason"] == "parser_panic")
        .collect();
    assert!(panics.is_empty(), "{panics:?}");
}
