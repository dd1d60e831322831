//! Tests of the PDF reader as a whole: fixtures from several producers, damage, hostile files.

use super::*;
use crate::extract::testing::{fixture, run};

/// The text of each page, in page order (metadata left out).
fn pages(name: &str) -> (Result<Extracted, ExtractError>, Vec<(u32, String)>) {
    let (r, t) = run(name, &fixture(name), extract);
    let pages = t
        .chunks
        .into_iter()
        .filter_map(|(loc, text, _)| Some((loc.page?, text)))
        .collect();
    (r, pages)
}

#[test]
fn lines_follow_positions_and_cells_of_a_row_stay_on_one_line() {
    let (r, p) = pages("reportlab.pdf");
    assert_eq!(r.unwrap().note, None);
    assert_eq!(
        p[0],
        (
            1,
            "Fødselsnummer: 13097248022\nE-post: kari@example.no\nMobil: 403 00 040".into()
        )
    );
    // Two strings placed separately at the same height: one line, a space between.
    assert_eq!(p[1], (2, "Ola Nordmann 20036914700".into()));
}

#[test]
fn to_unicode_cmaps_give_digits_letters_and_at_signs() {
    let (r, p) = pages("libreoffice.pdf");
    assert!(r.is_ok());
    let text = &p[0].1;
    for want in [
        "Brev til Kari Nordmann",
        "Fødselsnummer: 13097248022",
        "E-post: kari@example.no",
        "+47 403 00 040",
    ] {
        assert!(text.contains(want), "{want:?} not in {text:?}");
    }
}

#[test]
fn other_producers_read() {
    let (_, p) = pages("ghostscript.pdf");
    assert!(
        p[0].1
            .contains("Fodselsnummer 20036914700\nE-post ola@example.com"),
        "{:?}",
        p[0].1
    );
    let (_, p) = pages("fpdf2.pdf");
    assert!(
        p[0].1
            .contains("post@example.org, telefon 92345678\nFnr 13097248022"),
        "{:?}",
        p[0].1
    );
}

#[test]
fn empty_user_password_opens_other_passwords_do_not() {
    let (r, p) = pages("owner_only.pdf");
    assert!(r.is_ok());
    assert!(p[0].1.contains("13097248022"));
    let (r, p) = pages("encrypted.pdf");
    assert!(matches!(r, Err(ExtractError::Encrypted(_))), "{r:?}");
    assert!(p.is_empty());
}

#[test]
fn image_pages_make_the_file_partial() {
    let (r, p) = pages("scan.pdf");
    let note = r.unwrap().note.unwrap();
    assert_eq!(
        (note.status, note.reason.as_str()),
        (Status::Partial, "no_text_layer")
    );
    assert!(note.detail.starts_with("1 of 2 pages"), "{}", note.detail);
    assert_eq!(p.len(), 1);
}

#[test]
fn damage_is_an_error_or_a_partial_read() {
    let (r, _) = pages("truncated.pdf");
    assert!(matches!(r, Err(ExtractError::Corrupt(_))), "{r:?}");
    let (r, p) = pages("flipped.pdf");
    let note = r.unwrap().note.unwrap();
    assert_eq!(
        (note.status, note.reason.as_str()),
        (Status::Partial, "page_error")
    );
    assert_eq!(p, vec![(2, "Ola Nordmann 20036914700".to_string())]);
    let (r, _) = run("x.pdf", b"%PDF-1.4\n%garbage", extract);
    assert!(matches!(r, Err(ExtractError::Corrupt(_))), "{r:?}");
}

/// A one-page PDF with `content`, Helvetica as `F1` and a form `X1` showing `form`,
/// both resources inherited from the page tree.
fn made(content: &[u8], form: &[u8]) -> Vec<u8> {
    let mut b = build::Builder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
        .obj(2, "<< /Type /Pages /Kids [4 0 R] /Count 1 /Resources << /Font << /F1 3 0 R >> /XObject << /X1 6 0 R >> >> /MediaBox [0 0 595 842] >>")
        .obj(3, build::HELVETICA)
        .obj(4, "<< /Type /Page /Parent 2 0 R /Contents 5 0 R >>")
        .stream(5, "", content)
        .stream(6, "/Type /XObject /Subtype /Form /BBox [0 0 100 100] /Resources << /Font << /F1 3 0 R >> >>", form);
    b.finish("")
}

#[test]
fn text_moves_and_tj_gaps_become_spaces_and_lines_and_forms_are_read() {
    let pdf = made(
        b"BT /F1 12 Tf 72 700 Td (Navn) Tj 100 0 Td (Kari) Tj 0 -14 Td [(Fnr) -300 (1309) 5 (7248022)] TJ \
          14 TL T* (neste) Tj (linje) ' ET /X1 Do",
        b"BT /F1 10 Tf 0 0 Td (skjema@example.no) Tj ET",
    );
    let (r, t) = run("made.pdf", &pdf, extract);
    assert_eq!(r.unwrap().note, None);
    let text: String = t.chunks.iter().map(|c| c.1.as_str()).collect();
    assert_eq!(
        text,
        "Navn Kari\nFnr 13097248022\nneste\nlinje\nskjema@example.no\n"
    );
}

#[test]
fn damaged_copies_never_panic() {
    for name in ["reportlab.pdf", "libreoffice.pdf", "ghostscript.pdf"] {
        let data = fixture(name);
        for seed in 0..150 {
            let bad = crate::extract::testing::damaged(&data, seed, 1 + seed as usize % 8);
            // Any Ok or Err is fine; a panic fails the test.
            let _ = run(name, &bad, extract);
        }
    }
}

#[test]
fn forms_that_draw_themselves_stop() {
    // A form that invokes itself is walked once per page.
    let pdf = made(b"/X1 Do", b"BT /F1 10 Tf (igjen) Tj ET /X1 Do");
    let (r, t) = run("loop.pdf", &pdf, extract);
    assert!(r.is_ok());
    let text: String = t.chunks.iter().map(|c| c.1.as_str()).collect();
    assert_eq!(text, "igjen\n");
}

// ---- Hostile files, built here (the README of tests/fixtures/pdf_hostile says where each
// ---- kind came from). Each must give its text or an honest status, never hang or crash.

use build::{Builder, HELVETICA};

/// A page showing a fødselsnummer (a public test vector) in Helvetica.
const TEXT: &[u8] = b"BT /F1 12 Tf 50 700 Td (Fodselsnummer 13097248022) Tj ET";

/// Catalog 1, page tree 2 holding page 3 (contents 4, font 5 as `/F1`).
fn one_page(b: &mut Builder) -> &mut Builder {
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
        .obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
        .obj(
            3,
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        )
        .obj(5, HELVETICA)
}

/// Page text of `pdf` (all pages joined) and the result.
fn read(pdf: &[u8]) -> (Result<Extracted, ExtractError>, String) {
    let (r, t) = run("hostile.pdf", pdf, extract);
    let text = t
        .chunks
        .iter()
        .filter(|c| c.0.page.is_some() && c.0.part.is_none())
        .map(|c| c.1.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    (r, text)
}

fn note(r: &Result<Extracted, ExtractError>) -> Option<(Status, String)> {
    let n = r.as_ref().expect("read").note.as_ref()?;
    Some((n.status, n.reason.clone()))
}

fn recovered() -> Option<(Status, String)> {
    Some((Status::Partial, "stream_recovered".into()))
}

#[test]
fn an_object_stream_that_holds_its_own_length_is_read() {
    // Object stream 10 holds the page (3) and its own /Length (11), and extends itself: it
    // aborted the process with a stack overflow before. Its length is found by `endstream`.
    let page: &[u8] = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>";
    let mut b = Builder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
        .obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
        .stream(4, "", TEXT)
        .obj(5, HELVETICA)
        .objstm(
            10,
            &[(3, page), (11, b"300")],
            "/Extends 10 0 R",
            Some("11 0 R"),
        );
    let pdf = b.finish_with_xref_stream(13, &[(3, 10, 0), (11, 10, 1)], "");
    let (r, text) = read(&pdf);
    assert_eq!(text, "Fodselsnummer 13097248022");
    assert_eq!(note(&r), recovered());
}

#[test]
fn reference_loops_read_as_null_and_the_text_is_still_found() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("/Length refers to itself", {
            let mut b = Builder::new();
            one_page(&mut b)
                .obj(
                    4,
                    [&b"<< /Length 6 0 R >>\nstream\n"[..], TEXT, b"\nendstream"].concat(),
                )
                .obj(6, "6 0 R");
            b.finish("")
        }),
        ("/Kids holds its own tree", {
            let mut b = Builder::new();
            one_page(&mut b)
                .obj(2, "<< /Type /Pages /Kids [3 0 R 2 0 R 6 0 R] /Count 3 >>")
                .obj(
                    6,
                    "<< /Type /Pages /Kids [6 0 R 2 0 R] /Parent 2 0 R /Count 2 >>",
                )
                .stream(4, "", TEXT);
            b.finish("")
        }),
        ("a form draws itself", {
            let mut b = Builder::new();
            b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
                .obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
                .obj(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /X1 7 0 R >> >> >>")
                .obj(5, HELVETICA)
                .stream(4, "", b"/X1 Do /X1 Do")
                .stream(7, "/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /XObject << /X1 7 0 R >> /Font << /F1 5 0 R >> >>", &[&b"/X1 Do "[..], TEXT].concat());
            b.finish("")
        }),
        ("/Prev points to its own section", {
            let mut b = Builder::new();
            one_page(&mut b).stream(4, "", TEXT);
            b.finish("/Prev {xref}")
        }),
        ("resources are a loop of references", {
            let mut b = Builder::new();
            b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
                .obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
                .obj(
                    3,
                    "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources 7 0 R >>",
                )
                .stream(4, "", TEXT)
                .obj(7, "8 0 R")
                .obj(8, "7 0 R");
            b.finish("")
        }),
    ];
    for (what, pdf) in cases {
        let (r, text) = read(&pdf);
        assert!(r.is_ok(), "{what}: {r:?}");
        assert!(
            text.contains("Fodselsnummer 13097248022"),
            "{what}: {text:?}"
        );
    }
}

#[test]
fn millions_of_nested_operators_and_brackets_are_bounded() {
    // Two million `q` (each would save a graphics state), then the text.
    let mut content = b"q ".repeat(2_000_000);
    content.extend_from_slice(TEXT);
    let mut b = Builder::new();
    one_page(&mut b).flate(4, "", &content);
    let (r, text) = read(&b.finish(""));
    assert_eq!(note(&r), None);
    assert_eq!(text, "Fodselsnummer 13097248022");
    // A million `[` after the text: the page is damaged there, the text before it stays.
    let mut content = TEXT.to_vec();
    content.extend(std::iter::repeat_n(b'[', 1_000_000));
    let mut b = Builder::new();
    one_page(&mut b).flate(4, "", &content);
    let (r, text) = read(&b.finish(""));
    assert_eq!(note(&r), Some((Status::Partial, "page_error".into())));
    assert_eq!(text, "Fodselsnummer 13097248022");
    // And in an object: the page tree cannot be read, the file is an error, not a crash.
    let mut b = Builder::new();
    one_page(&mut b).stream(4, "", TEXT);
    b.obj(
        2,
        [
            &b"<< /Type /Pages /Kids [3 0 R] /X "[..],
            &b"[".repeat(1_000_000),
        ]
        .concat(),
    );
    let (r, _) = read(&b.finish(""));
    assert!(
        r.is_ok() || matches!(r, Err(ExtractError::Corrupt(_))),
        "{r:?}"
    );
}

#[test]
fn wrong_stream_lengths_are_recovered_by_endstream() {
    let packed = {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut z, TEXT).unwrap();
        z.finish().unwrap()
    };
    let n = packed.len() as i64;
    let with = |length: String| {
        let mut b = Builder::new();
        let body = [
            format!("<< /Length {length} /Filter /FlateDecode >>\nstream\n").as_bytes(),
            &packed,
            b"\nendstream",
        ]
        .concat();
        one_page(&mut b).obj(4, body).obj(6, "6 0 R");
        b.finish("")
    };
    for length in [
        (n + 5).to_string(),
        "-1".into(),
        "1000000000".into(),
        "99999999999999999999".into(),
        "6 0 R".into(),
        "7 0 R".into(),
    ] {
        let (r, text) = read(&with(length.clone()));
        assert_eq!(text, "Fodselsnummer 13097248022", "/Length {length}");
        assert_eq!(note(&r), recovered(), "/Length {length}");
    }
    // A length one byte off (an end of line counted or not) is a slip, not damage.
    for length in [n + 1, n - 1] {
        let (r, text) = read(&with(length.to_string()));
        assert_eq!(text, "Fodselsnummer 13097248022", "/Length {length}");
        assert_eq!(note(&r), None, "/Length {length}");
    }
}

#[test]
fn a_damaged_cross_reference_is_rebuilt_by_scanning() {
    let mut b = Builder::new();
    one_page(&mut b).stream(4, "", TEXT);
    let good = b.finish("");
    // startxref points nowhere.
    let at = memchr::memmem::rfind(&good, b"startxref").unwrap();
    let mut bad_start = good[..at].to_vec();
    bad_start.extend_from_slice(b"startxref\n5\n%%EOF\n");
    // Every offset wrong: junk inserted after the header.
    let mut shifted = good[..15].to_vec();
    shifted.extend_from_slice(b"% junk junk junk junk\n");
    shifted.extend_from_slice(&good[15..]);
    // No cross-reference and no trailer at all: the catalog is found by its /Type.
    let xref = memchr::memmem::rfind(&good, b"xref").unwrap();
    let no_xref = good[..xref].to_vec();
    for (what, pdf) in [
        ("bad startxref", bad_start),
        ("shifted", shifted),
        ("no xref", no_xref),
    ] {
        let (r, text) = read(&pdf);
        assert_eq!(text, "Fodselsnummer 13097248022", "{what}");
        assert_eq!(note(&r), None, "{what}");
    }
}

#[test]
fn out_of_time_is_the_time_limit() {
    use crate::detect::Detector;
    use crate::extract::{Clock, Limit, Limits};
    let pdf = crate::extract::pdf::build::text_pdf(&[TEXT; 3]);
    let det = Detector::builtin();
    let limits = Limits {
        seconds: 0,
        ..Limits::default()
    };
    let clock = Clock::start(&limits);
    // Past the coarse clock's next tick, every 1 to 10 ms by the kernel's build.
    std::thread::sleep(std::time::Duration::from_millis(25));
    let mut cur = std::io::Cursor::new(&pdf[..]);
    let mut input = Input::seekable_from(
        "t.pdf",
        &pdf[..pdf.len().min(8192)],
        &mut cur,
        Some(pdf.len() as u64),
        0,
        &limits,
        clock,
        &det,
    );
    let r = extract(&mut input, &mut crate::extract::testing::Texts::default());
    assert_eq!(r.err().and_then(|e| e.as_limit()), Some(Limit::Time));
}

#[test]
fn metadata_form_fields_and_annotations_are_text() {
    let xmp = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\
        <rdf:Description xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\" pdf:Keywords=\"ansatt 20036914700\">\
        <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">L&#248;nn 13097248022</rdf:li></rdf:Alt></dc:title>\
        </rdf:Description></rdf:RDF></x:xmpmeta>";
    let mut b = Builder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R /Metadata 8 0 R /AcroForm << /Fields [9 0 R] >> >>")
        .obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
        .obj(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /Annots [9 0 R 10 0 R] >>")
        .stream(4, "", b"")
        .obj(5, HELVETICA)
        // Title in UTF-16 with a byte order mark: "Kåre 13097248022".
        .obj(6, "<< /Title <FEFF004B00E50072006500200031003300300039003700320034003800300032003200> /Author (Ola 20036914700) /CreationDate (D:20240101) >>")
        .stream(8, "/Type /Metadata /Subtype /XML", xmp.as_bytes())
        // A text field whose value is drawn by its appearance stream.
        .obj(9, "<< /Type /Annot /Subtype /Widget /FT /Tx /T (Fnr) /V (03851598730) /Rect [0 0 100 20] /AP << /N 11 0 R >> >>")
        .obj(10, "<< /Type /Annot /Subtype /Text /Contents (Ring kari@example.no) /Rect [0 0 10 10] >>")
        .stream(11, "/Type /XObject /Subtype /Form /BBox [0 0 100 20] /Resources << /Font << /F1 5 0 R >> >>", b"BT /F1 10 Tf 2 5 Td (03851598730) Tj ET");
    let (r, t) = run("meta.pdf", &b.finish("/Info 6 0 R"), extract);
    assert!(r.is_ok(), "{r:?}");
    let got: Vec<(Option<u32>, Option<String>, String)> = t
        .chunks
        .iter()
        .map(|(loc, text, _)| (loc.page, loc.part.clone(), text.trim().to_string()))
        .collect();
    let want = |page: Option<u32>, part: Option<&str>, text: &str| {
        assert!(
            got.contains(&(page, part.map(String::from), text.to_string())),
            "{page:?} {part:?} {text:?} not in {got:#?}"
        )
    };
    want(None, Some("info/Title"), "Kåre 13097248022");
    want(None, Some("info/Author"), "Ola 20036914700");
    want(None, Some("xmp/dc:title"), "Lønn 13097248022");
    want(None, Some("xmp/pdf:Keywords"), "ansatt 20036914700");
    want(None, Some("form/Fnr"), "03851598730");
    want(Some(1), Some("annotation"), "Ring kari@example.no");
    // The field's appearance is on the page.
    want(Some(1), None, "03851598730");
    // Dates are not text worth scanning.
    assert!(!got
        .iter()
        .any(|g| g.1.as_deref() == Some("info/CreationDate")));
}

#[test]
fn hostile_files_damaged_at_random_never_panic() {
    let mut b = Builder::new();
    let page: &[u8] =
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>";
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
        .obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
        .stream(4, "", TEXT)
        .obj(5, HELVETICA)
        .objstm(
            10,
            &[(3, page), (11, b"300")],
            "/Extends 10 0 R",
            Some("11 0 R"),
        );
    let objstm = b.finish_with_xref_stream(13, &[(3, 10, 0), (11, 10, 1)], "");
    let text = crate::extract::pdf::build::text_pdf(&[TEXT, b"[(a) -300 (b)] TJ"]);
    for data in [objstm, text, fixture("owner_only.pdf")] {
        for seed in 0..100 {
            let bad = crate::extract::testing::damaged(&data, seed, 1 + seed as usize % 6);
            let _ = run("x.pdf", &bad, extract);
        }
    }
}
