//! OCR speed in pages per second, on pages drawn here (seeded generated values, DejaVu Sans
//! at 12 pt and 300 DPI: an A4-wide form of 40 lines, 1.6 megapixels of text area padded to a
//! full A4 page of 2480 × 3508 pixels).
//!
//! Each case is the whole pipeline for one input (`Scanner::scan_bytes`: decode, shrink,
//! Tesseract, layout, detection), run `ROUNDS` times; it prints pages per second. Needs
//! Tesseract (`tesseract-ocr`, `-nor`, `-eng`) and poppler-utils (for the PDF case).
//!
//! `cargo bench --bench ocr`

#[path = "../tests/it/render.rs"]
#[allow(dead_code)]
mod render;

use std::time::Instant;

use kartlegg::detect::Detector;
use kartlegg::report::mask::HashKey;
use kartlegg::scan::{Options, Scanner};
use kartlegg::synth::{self, IdSpec, Rng};
use render::{scanned_pdf, Page, FONTS};

const ROUNDS: usize = 3;

/// A full A4 page at 300 DPI with 40 lines of a form.
fn a4_page(seed: u64) -> Page {
    let mut rng = Rng::new(seed);
    let mut lines = Vec::new();
    for i in 0..10 {
        let fnr = synth::identity_number(&mut rng, IdSpec::default());
        let mobile = synth::mobile(&mut rng);
        lines.push(format!(
            "Navn: Person {i}, Avdeling for drift og vedlikehold"
        ));
        lines.push(format!("Fødselsnummer: {fnr}"));
        lines.push(format!("Mobil: {mobile}"));
        lines.push(format!("E-post: ansatt{i}@firma.no"));
    }
    let text = Page::text(FONTS[0], 50.0, &lines);
    let mut page = Page::new(2480, 3508);
    for y in 0..text.height.min(page.height) {
        for x in 0..text.width.min(page.width) {
            page.pixels[(y * 2480 + x) as usize] = text.pixels[(y * text.width + x) as usize];
        }
    }
    page
}

#[allow(clippy::print_stdout)] // the table is the output
fn main() {
    if kartlegg::extract::ocr::engine().is_err() {
        eprintln!("ocr bench: Tesseract is not installed; nothing measured");
        return;
    }
    let opts = Options::default();
    let det = Detector::builtin();
    let key = HashKey::provided(b"bench".to_vec());
    let scanner = Scanner::new(&opts, &det, &key);
    let a = a4_page(1);
    let b = a4_page(2);
    let cases: Vec<(&str, Vec<u8>, usize)> = vec![
        ("png, 1 page", a.png(), 1),
        ("jpeg q75, 1 page", a.jpeg(75), 1),
        ("tiff, 2 pages", Page::tiff(&[&a, &b]), 2),
        (
            "pdf scan, 1 page",
            scanned_pdf(&a.jpeg(75), a.width, a.height),
            1,
        ),
    ];
    println!("| input | pages/s | s/page | findings |");
    println!("|---|---:|---:|---:|");
    for (name, data, pages) in &cases {
        let file = if name.starts_with("pdf") {
            "a.pdf"
        } else {
            "a.img"
        };
        let start = Instant::now();
        let mut findings = 0;
        for _ in 0..ROUNDS {
            let recs = scanner.scan_bytes(file, data);
            findings = recs[0].total();
        }
        let secs = start.elapsed().as_secs_f64() / (ROUNDS * pages) as f64;
        println!("| {name} | {:.2} | {secs:.2} | {findings} |", 1.0 / secs);
    }
}
