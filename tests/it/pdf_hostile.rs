//! PDFs built to break readers, and PDFs other readers open, end to end: the real binary, its
//! JSON inventory (schema-checked) and its memory. The hostile files are built here with
//! `kartlegg::extract::pdf::build`; the two small real ones are in tests/fixtures/pdf_hostile
//! (its README says where they came from). Object-level cases (every reference loop, wrong
//! lengths, a rebuilt cross-reference) are unit tests in src/extract/pdf/tests.rs.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use flate2::{Compress, Compression, FlushCompress};
use kartlegg::extract::pdf::build::{Builder, HELVETICA};
use serde_json::Value;

use crate::harness::{self, file, Scan};

/// Memory the scan may map for data (heap, thread stacks): the goal is 200 MB of resident
/// memory, and a reader that holds what a bomb inflates to goes far past this.
const DATA_LIMIT: u64 = 256 << 20;

/// `kartlegg scan --format json` with its data segment limited to [`DATA_LIMIT`] (an
/// allocation beyond it fails and aborts the process: the test then has no inventory).
fn bounded_scan(paths: &[&Path]) -> Scan {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("kartlegg"));
    cmd.args([
        "scan",
        "--format",
        "json",
        "--no-progress",
        "--threads",
        "2",
    ])
    .args(paths)
    .env_remove("KARTLEGG_HASH_KEY");
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: DATA_LIMIT,
                rlim_max: DATA_LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_DATA, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or(-1);
    let inv: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no inventory (exit {code}, {e}): {stderr}"));
    harness::assert_valid(&inv);
    Scan { code, inv, stderr }
}

/// Raw deflate of `data` from a fresh compressor, ended with a full flush: it refers to
/// nothing before it, so such pieces can be laid one after another (and one repeated).
fn piece(data: &[u8]) -> Vec<u8> {
    let mut c = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(data.len() / 8 + 1024);
    c.compress_vec(data, &mut out, FlushCompress::Full).unwrap();
    while c.total_in() < data.len() as u64 {
        out.reserve(64 * 1024);
        let at = c.total_in() as usize;
        c.compress_vec(&data[at..], &mut out, FlushCompress::Full)
            .unwrap();
    }
    out
}

/// A zlib stream of `head`, `mib` MiB of spaces, then `tail`: a flate bomb, made in
/// kilobytes.
fn bomb(head: &[u8], mib: usize, tail: &[u8]) -> Vec<u8> {
    let spaces = piece(&vec![b' '; 1 << 20]);
    let mut z = vec![0x78, 0xDA];
    z.extend(piece(head));
    for _ in 0..mib {
        z.extend_from_slice(&spaces);
    }
    z.extend(piece(tail));
    // A final empty stored block ends the deflate data.
    z.extend_from_slice(&[0x01, 0x00, 0x00, 0xFF, 0xFF]);
    z
}

/// A one-page PDF whose content stream is `stream` (already encoded with `filter`).
fn page_with(stream: &[u8], filter: &str) -> Vec<u8> {
    let mut b = Builder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
        .obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
        .obj(
            3,
            "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        )
        .stream(4, filter, stream)
        .obj(5, HELVETICA);
    b.finish("")
}

fn fnrs(rec: &Value) -> usize {
    rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "fodselsnummer")
        .count()
}

#[test]
fn inflation_bombs_and_deep_nesting_run_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    // 512 MiB of spaces between two numbers (the 2 GB bomb of the hostile set behaves the
    // same; BENCHMARKS.md has its figures).
    let z = bomb(
        b"BT /F1 12 Tf 50 700 Td (Fodselsnummer 13097248022) Tj ET\n",
        512,
        b"\nBT /F1 12 Tf 50 680 Td (Fodselsnummer 20036914700) Tj ET",
    );
    assert!(z.len() < 4 << 20, "{} bytes", z.len());
    std::fs::write(
        dir.path().join("bomb.pdf"),
        page_with(&z, "/Filter /FlateDecode"),
    )
    .unwrap();
    // Eight million nested `q`, each a saved graphics state for a naive reader.
    let mut content = b"q ".repeat(8_000_000);
    content.extend_from_slice(b"BT /F1 12 Tf 50 700 Td (Fodselsnummer 13097248022) Tj ET");
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), Compression::best());
    e.write_all(&content).unwrap();
    std::fs::write(
        dir.path().join("qnest.pdf"),
        page_with(&e.finish().unwrap(), "/Filter /FlateDecode"),
    )
    .unwrap();
    let s = bounded_scan(&[dir.path()]);
    assert_eq!(s.code, 1, "{}", s.stderr);
    let bomb = file(&s.inv, "bomb.pdf");
    assert_eq!((bomb["status"].as_str(), fnrs(bomb)), (Some("scanned"), 2));
    let q = file(&s.inv, "qnest.pdf");
    assert_eq!((q["status"].as_str(), fnrs(q)), (Some("scanned"), 1));
}

#[test]
fn one_hostile_file_never_stops_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let text = b"BT /F1 12 Tf 50 700 Td (Fodselsnummer 13097248022) Tj ET";
    // The object stream that refers to itself (it aborted the whole process before).
    let page: &[u8] =
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>";
    let mut b = Builder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
        .obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
        .stream(4, "", text)
        .obj(5, HELVETICA)
        .objstm(
            10,
            &[(3, page), (11, b"300")],
            "/Extends 10 0 R",
            Some("11 0 R"),
        );
    std::fs::write(
        dir.path().join("a_objstm_loop.pdf"),
        b.finish_with_xref_stream(13, &[(3, 10, 0), (11, 10, 1)], ""),
    )
    .unwrap();
    // A /Length of a billion bytes, a negative one, and one that refers to itself.
    for (name, len) in [
        ("b_1gb", "1000000000"),
        ("c_neg", "-1"),
        ("d_loop", "6 0 R"),
    ] {
        let mut b = Builder::new();
        b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
            .obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
            .obj(3, page)
            .obj(
                4,
                [
                    format!("<< /Length {len} >>\nstream\n").as_bytes(),
                    text,
                    b"\nendstream",
                ]
                .concat(),
            )
            .obj(5, HELVETICA)
            .obj(6, "6 0 R");
        std::fs::write(dir.path().join(format!("{name}.pdf")), b.finish("")).unwrap();
    }
    // And a readable file after them.
    std::fs::write(dir.path().join("z_plain.pdf"), page_with(text, "")).unwrap();
    let s = bounded_scan(&[dir.path()]);
    assert_eq!(s.code, 1, "{}", s.stderr);
    for name in ["a_objstm_loop.pdf", "b_1gb.pdf", "c_neg.pdf", "d_loop.pdf"] {
        let rec = file(&s.inv, name);
        assert_eq!(fnrs(rec), 1, "{name}: {rec}");
        assert_eq!(
            (rec["status"].as_str(), rec["reason"].as_str()),
            (Some("partial"), Some("stream_recovered")),
            "{name}"
        );
    }
    let plain = file(&s.inv, "z_plain.pdf");
    assert_eq!(
        (plain["status"].as_str(), fnrs(plain)),
        (Some("scanned"), 1)
    );
}

#[test]
fn owner_password_pdfs_open_and_user_password_pdfs_are_encrypted() {
    let dir = harness::fixture("pdf_hostile");
    let s = harness::scan(&[&dir], &["--min-confidence", "low"]);
    let open = file(&s.inv, "owner_empty.pdf");
    assert_eq!(open["status"], "scanned", "{open}");
    let locked = file(&s.inv, "owner_user.pdf");
    assert_eq!(
        (locked["status"].as_str(), locked["reason"].as_str()),
        (Some("encrypted"), Some("encrypted"))
    );
}

#[test]
fn metadata_and_form_values_are_findings_located_by_part() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = Builder::new();
    b.obj(
        1,
        "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R] >> >>",
    )
    .obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    .obj(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>")
    .stream(4, "", b"")
    .obj(5, "<< /Title (Lonnsslipp 13097248022) /Author (HR) >>")
    .obj(6, "<< /FT /Tx /T (Fnr) /V (20036914700) >>");
    let path = dir.path().join("meta.pdf");
    std::fs::write(&path, b.finish("/Info 5 0 R")).unwrap();
    let s = harness::scan(&[&path], &[]);
    assert_eq!(s.code, 1);
    let rec = file(&s.inv, "meta.pdf");
    let locations: Vec<String> = rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"].to_string())
        .collect();
    assert_eq!(
        locations,
        [
            r#"{"column":12,"line":1,"part":"info/Title"}"#,
            r#"{"column":1,"line":1,"part":"form/Fnr"}"#
        ]
    );
    // Masked: the values are not in the inventory.
    assert!(!s.inv.to_string().contains("13097248022"));
}
