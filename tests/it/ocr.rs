//! OCR: page images made at test time from generated identity numbers, phones and e-mail
//! addresses (a seeded generator), in three fonts at 200 and 300 DPI, skewed, JPEG-compressed,
//! as TIFF pages, inside a zip and an e-mail, and as a PDF page with no text layer. The scan
//! must find what was planted (recall) and nothing else. Needs Tesseract with Norwegian and
//! English data (`.ci/run` installs it).

use std::collections::BTreeSet;
use std::io::Write;

use serde_json::Value;

use crate::harness::{kartlegg, scan, status, Scan, Tree};
use crate::render::{scanned_pdf, typed_over_scan, Page, FONTS};
use kartlegg::synth::{self, IdSpec, Rng};

/// A filled-in form for `people` people: its lines, and the values planted in it as the
/// inventory writes them with `--reveal` (digits, `+47…`, lower-case addresses).
fn form(seed: u64, people: usize) -> (Vec<String>, BTreeSet<String>) {
    let mut rng = Rng::new(seed);
    let (mut lines, mut planted) = (Vec::new(), BTreeSet::new());
    for i in 0..people {
        let fnr = synth::identity_number(&mut rng, IdSpec::default());
        let mobile = synth::mobile(&mut rng);
        let mail = format!("ansatt{}.{i}@firma.no", rng.below(1000));
        lines.push(format!("Navn: Person {i}"));
        lines.push(format!("Fødselsnummer: {fnr}"));
        lines.push(format!(
            "Mobil: {} {} {}",
            &mobile[..3],
            &mobile[3..5],
            &mobile[5..]
        ));
        lines.push(format!("E-post: {mail}"));
        planted.extend([fnr, format!("+47{mobile}"), mail]);
    }
    (lines, planted)
}

/// The revealed values of a record's findings.
fn values(rec: &Value) -> BTreeSet<String> {
    rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["value"].as_str().unwrap().to_string())
        .collect()
}

fn scan_revealed(t: &Tree) -> Scan {
    scan(&[t.path()], &["--reveal"])
}

/// Every finding is marked as OCR and its line's box lies within the image.
fn boxes_within(rec: &Value, width: u32, height: u32) {
    for f in rec["findings"].as_array().unwrap() {
        assert_eq!(f["ocr"], true, "{f}");
        let b: Vec<u64> = f["location"]["box"]
            .as_array()
            .unwrap_or_else(|| panic!("no box: {f}"))
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert!(b[2] > 0 && b[3] > 0, "{f}");
        assert!(
            b[0] + b[2] <= u64::from(width) && b[1] + b[3] <= u64::from(height),
            "{f}"
        );
    }
}

#[test]
fn planted_values_are_read_in_several_fonts_sizes_skews_and_jpeg() {
    let t = Tree::new();
    let mut all = BTreeSet::new();
    let mut images = Vec::new();
    // (name, font, pixel height of the text: 12 pt at 300 DPI is 50, at 200 DPI 33)
    let cases = [
        ("sans300.png", FONTS[0], 50.0, 0.0, None),
        ("serif300.png", FONTS[1], 50.0, 0.0, None),
        ("mono200.png", FONTS[2], 33.0, 0.0, None),
        ("skjev.png", FONTS[0], 50.0, 2.0, None),
        ("komprimert.jpg", FONTS[1], 46.0, 0.0, Some(35)),
    ];
    for (seed, (name, font, px, skew, jpeg)) in cases.into_iter().enumerate() {
        let (lines, planted) = form(100 + seed as u64, 4);
        let mut page = Page::text(font, px, &lines);
        if skew != 0.0 {
            page = page.turned(skew);
        }
        let bytes = match jpeg {
            Some(q) => page.jpeg(q),
            None => page.png(),
        };
        t.file(name, bytes);
        all.extend(planted.iter().cloned());
        images.push((name, planted, page.width, page.height));
    }
    let s = scan_revealed(&t);
    let mut found_all = BTreeSet::new();
    for (name, planted, w, h) in &images {
        let rec = s.file(name);
        assert_eq!(status(rec), ("scanned", ""), "{name}: {rec}");
        let found = values(rec);
        let invented: Vec<_> = found.difference(planted).collect();
        assert!(invented.is_empty(), "{name}: invented {invented:?}");
        let hit = found.intersection(planted).count();
        assert!(
            hit * 4 >= planted.len() * 3,
            "{name}: {hit} of {}",
            planted.len()
        );
        boxes_within(rec, *w, *h);
        found_all.extend(found);
    }
    let hit = found_all.intersection(&all).count();
    assert!(hit * 10 >= all.len() * 9, "recall {hit} of {}", all.len());
    assert_eq!(s.inv["summary"]["ocr"]["pages_read"], 5);
    assert_eq!(s.inv["scan"]["options"]["ocr"], "auto");
}

#[test]
fn labels_give_context_and_near_misses_are_not_findings() {
    let t = Tree::new();
    let mut rng = Rng::new(5);
    let good = synth::identity_number(&mut rng, IdSpec::default());
    // The same number with its last check digit changed: a near miss.
    let last = good.as_bytes()[10] - b'0';
    let near = format!("{}{}", &good[..10], (last + 1) % 10);
    let lines = [
        format!("Fødselsnummer: {good}"),
        format!("Kundenummer: {near}"),
        "Saksnummer: 2024/118, side 3 av 4".to_string(),
    ];
    t.file("skjema.png", Page::text(FONTS[0], 50.0, &lines).png());
    let s = scan(&[t.path()], &["--reveal", "--min-confidence", "low"]);
    let rec = s.file("skjema.png");
    let found: Vec<(String, String)> = rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["value"].as_str().unwrap().into(),
                f["confidence"].as_str().unwrap().into(),
            )
        })
        .collect();
    // The label before the number makes it high, as in any text; the near miss and the
    // case number are nothing, even at `low`.
    assert_eq!(found, [(good, "high".to_string())]);
    assert_eq!(rec["findings"][0]["location"]["line"], 1);
}

#[test]
fn tiff_pages_are_pages() {
    let t = Tree::new();
    let (one, p1) = form(7, 2);
    let (two, p2) = form(8, 2);
    let a = Page::text(FONTS[0], 50.0, &one);
    let b = Page::text(FONTS[1], 50.0, &two);
    t.file("skann.tif", Page::tiff(&[&a, &b]));
    let s = scan_revealed(&t);
    let rec = s.file("skann.tif");
    assert_eq!(status(rec), ("scanned", ""));
    assert_eq!(rec["type"], "tiff");
    for f in rec["findings"].as_array().unwrap() {
        let value = f["value"].as_str().unwrap();
        let page = f["location"]["page"].as_u64().unwrap();
        let want = if p1.contains(value) { 1 } else { 2 };
        assert!(p1.contains(value) || p2.contains(value), "invented {value}");
        assert_eq!(page, want, "{f}");
    }
    let pages: BTreeSet<u64> = rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["page"].as_u64().unwrap())
        .collect();
    assert_eq!(pages, BTreeSet::from([1, 2]));
    assert_eq!(s.inv["summary"]["ocr"]["pages_read"], 2);
}

#[test]
fn images_in_zips_and_e_mails_are_read_as_members() {
    let t = Tree::new();
    let (lines, planted) = form(21, 2);
    let png = Page::text(FONTS[0], 50.0, &lines).png();
    let mut z = zip::ZipWriter::new(std::fs::File::create(t.path().join("arkiv.zip")).unwrap());
    z.start_file("skjema.png", zip::write::SimpleFileOptions::default())
        .unwrap();
    z.write_all(&png).unwrap();
    z.finish().unwrap();
    let b64 = base64(&png);
    let mail = format!(
        "From: a@firma.no\r\nTo: b@firma.no\r\nSubject: skjema\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"X\"\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nVedlagt.\r\n\
         --X\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"skann.png\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--X--\r\n"
    );
    t.file("melding.eml", mail);
    let s = scan_revealed(&t);
    for member in ["arkiv.zip!/skjema.png", "melding.eml!/skann.png"] {
        let rec = s.file(member);
        assert_eq!(status(rec), ("scanned", ""), "{member}");
        let found = values(rec);
        assert!(found.is_subset(&planted), "{member}: {found:?}");
        assert!(found.len() * 4 >= planted.len() * 3, "{member}: {found:?}");
    }
}

/// Base64 with line breaks, for a MIME attachment.
fn base64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, c) in data.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= c.len() {
                out.push(A[(n >> (18 - 6 * k)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A member of an archive cannot be read twice: the PDF reader hands OCR the bytes it holds.
#[test]
fn a_scanned_pdf_inside_a_zip_is_read() {
    let t = Tree::new();
    let (lines, planted) = form(37, 2);
    let page = Page::text(FONTS[0], 50.0, &lines);
    let pdf = scanned_pdf(&page.jpeg(85), page.width, page.height);
    t.file(
        "arkiv.zip",
        crate::harness::zip_bytes(&[("skann/side.pdf", &pdf)]),
    );
    let s = scan_revealed(&t);
    let rec = s.file("arkiv.zip!/skann/side.pdf");
    assert_eq!(status(rec), ("scanned", ""), "{rec}");
    let found = values(rec);
    assert!(found.is_subset(&planted), "{found:?}");
    assert!(
        found.len() * 10 >= planted.len() * 9,
        "{found:?} of {planted:?}"
    );
}

#[test]
fn scanned_pdf_pages_are_read() {
    let t = Tree::new();
    let (lines, planted) = form(31, 3);
    let page = Page::text(FONTS[0], 50.0, &lines);
    t.file(
        "skannet.pdf",
        scanned_pdf(&page.jpeg(85), page.width, page.height),
    );
    let s = scan_revealed(&t);
    let rec = s.file("skannet.pdf");
    assert_eq!(status(rec), ("scanned", ""), "{rec}");
    let found = values(rec);
    assert!(found.is_subset(&planted), "{found:?}");
    assert!(
        found.len() * 10 >= planted.len() * 9,
        "{found:?} of {planted:?}"
    );
    for f in rec["findings"].as_array().unwrap() {
        assert_eq!(
            (f["ocr"].as_bool(), f["location"]["page"].as_u64()),
            (Some(true), Some(1))
        );
        assert!(f["location"].get("box").is_none(), "boxes are for images");
    }
    // Without OCR the page stays unread, and says so.
    let off = scan(&[t.path()], &["--ocr", "never"]);
    let rec = off.file("skannet.pdf");
    assert_eq!(status(rec), ("partial", "no_text_layer"));
    assert_eq!(rec["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn a_typed_header_over_a_scanned_body_leaves_the_body_to_ocr() {
    let t = Tree::new();
    let (lines, planted) = form(47, 3);
    let page = Page::text(FONTS[0], 50.0, &lines);
    let jpeg = page.jpeg(85);
    // A stamped header with a value of its own (a text layer over part of the page).
    let header = vec!["Kursbevis for deltaker med fnr. 13097248022".to_string()];
    t.file(
        "stemplet.pdf",
        typed_over_scan(&jpeg, page.width, page.height, &header),
    );
    // A searchable scan: a full text layer over the image (here 60 lines of prose).
    let prose: Vec<String> = (0..60)
        .map(|i| format!("Linje {i} av en tekst som allerede er lest inn med OCR."))
        .collect();
    t.file(
        "sokbar.pdf",
        typed_over_scan(&jpeg, page.width, page.height, &prose),
    );
    let s = scan_revealed(&t);
    let rec = s.file("stemplet.pdf");
    assert_eq!(status(rec), ("scanned", ""), "{rec}");
    let findings = rec["findings"].as_array().unwrap();
    let typed: Vec<&Value> = findings.iter().filter(|f| f["ocr"] != true).collect();
    assert!(
        typed.iter().any(|f| f["value"] == "13097248022"),
        "the header's own value, from the text layer: {rec}"
    );
    let read: BTreeSet<String> = findings
        .iter()
        .filter(|f| f["ocr"] == true)
        .filter_map(|f| f["value"].as_str().map(str::to_string))
        .collect();
    let body: BTreeSet<String> = read.intersection(&planted).cloned().collect();
    assert!(
        body.len() * 10 >= planted.len() * 9,
        "the scanned body is read by OCR: {body:?} of {planted:?}"
    );
    // The searchable scan is read from its text layer alone: nothing comes from OCR.
    let rec = s.file("sokbar.pdf");
    assert_eq!(status(rec), ("scanned", ""), "{rec}");
    let ocr = rec["findings"].as_array().unwrap();
    assert!(ocr.iter().all(|f| f["ocr"] != true), "{rec}");
    // Without OCR the stamped page says its body went unread.
    let off = scan(&[t.path()], &["--ocr", "never"]);
    let rec = off.file("stemplet.pdf");
    assert_eq!(status(rec), ("partial", "no_text_layer"), "{rec}");
    assert!(off.file("sokbar.pdf")["status"] == "scanned");
}

#[test]
fn without_tesseract_images_and_scans_are_counted_as_unread() {
    let t = Tree::new();
    let page = Page::text(FONTS[0], 40.0, &["Fnr: 13097248022".to_string()]);
    t.file("bilde.png", page.png());
    t.file(
        "skannet.pdf",
        scanned_pdf(&page.jpeg(85), page.width, page.height),
    );
    let out = kartlegg()
        .env("KARTLEGG_TESSERACT", "/nonexistent/tesseract")
        .args(["scan", "--format", "json", "--no-progress"])
        .arg(t.path())
        .output()
        .unwrap();
    let inv: Value = serde_json::from_slice(&out.stdout).unwrap();
    crate::harness::assert_valid(&inv);
    let img = crate::harness::file(&inv, "bilde.png");
    assert_eq!(status(img), ("skipped", "ocr_unavailable"));
    assert!(img["detail"].as_str().unwrap().contains("not installed"));
    let pdf = crate::harness::file(&inv, "skannet.pdf");
    assert_eq!(status(pdf), ("partial", "no_text_layer"));
    assert!(pdf["detail"]
        .as_str()
        .unwrap()
        .contains("not read: Tesseract"));
    assert_eq!(inv["summary"]["ocr"]["pages_unread"], 2);
    assert_eq!(inv["summary"]["ocr"]["pages_read"], 0);

    // The readable summary says it too.
    let out = kartlegg()
        .env("KARTLEGG_TESSERACT", "/nonexistent/tesseract")
        .args(["scan", "--no-progress"])
        .arg(t.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("2 images or scanned pages not read"),
        "{text}"
    );

    // `--ocr always` does not start without it.
    let out = kartlegg()
        .env("KARTLEGG_TESSERACT", "/nonexistent/tesseract")
        .args(["scan", "--ocr", "always", "--no-progress"])
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--ocr always"));
}

#[test]
fn damaged_and_oversized_images_get_a_status_never_a_crash() {
    let t = Tree::new();
    let page = Page::text(FONTS[0], 30.0, &["Fnr: 13097248022".to_string()]);
    let png = page.png();
    let jpeg = page.jpeg(80);
    let tiff = Page::tiff(&[&page]);
    t.file("kort.png", &png[..png.len() / 3]);
    t.file("kort.jpg", &jpeg[..40]);
    t.file("kort.tif", &tiff[..20]);
    t.file("tom.png", b"\x89PNG\r\n\x1a\n");
    // A JPEG whose frame header claims 60000 × 60000 pixels: refused before decoding.
    let mut huge = jpeg.clone();
    let sof = huge
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline frame header");
    huge[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    t.file("stor.jpg", huge);
    let s = scan(&[t.path()], &[]);
    assert_eq!(status(s.file("kort.jpg")).0, "error");
    assert_eq!(status(s.file("kort.tif")).0, "error");
    assert_eq!(status(s.file("tom.png")), ("error", "corrupt"));
    assert_eq!(
        status(s.file("stor.jpg")),
        ("limit_exceeded", "pixel_limit")
    );
    // A PNG cut short: the rows it has are read, and the record says it is not all.
    assert_eq!(status(s.file("kort.png")), ("partial", "truncated"));
    for f in s.files() {
        assert_ne!(f["reason"], "parser_crash", "{f}");
        assert_ne!(f["reason"], "parser_panic", "{f}");
    }
}

/// A Tesseract that never answers (a dead network mount, a broken wrapper) is given up after
/// a few seconds (the program would sleep for two minutes): the image is `ocr_unavailable`
/// with that reason, and the scan ends.
#[test]
fn a_tesseract_that_hangs_is_given_up() {
    let t = Tree::new();
    let page = Page::text(FONTS[0], 40.0, &["Fnr: 13097248022".to_string()]);
    t.file("bilde.png", page.png());
    let fake = t.path().join("tesseract");
    std::fs::write(&fake, "#!/bin/sh\nexec sleep 120\n").unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = kartlegg()
        .env("KARTLEGG_TESSERACT", &fake)
        .args([
            "scan",
            "--no-progress",
            "--format",
            "json",
            "--isolation",
            "threads",
        ])
        .arg(t.path().join("bilde.png"))
        .output()
        .unwrap();
    let inv: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let rec = &inv["files"][0];
    assert_eq!(rec["status"], "skipped", "{rec}");
    assert_eq!(rec["reason"], "ocr_unavailable", "{rec}");
    assert!(
        rec["detail"].as_str().unwrap().contains("did not answer"),
        "{rec}"
    );
    assert!(inv["summary"]["ocr"]["engine"]
        .as_str()
        .unwrap()
        .starts_with("none: Tesseract did not answer"));
}
