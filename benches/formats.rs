//! Spreadsheet and PDF extraction speed, on inputs generated here (seeded, synthetic numbers).
//!
//! * `sheet/*`: a 20 000 × 10 xlsx (200 000 cells: names, synthetic identity numbers as
//!   numbers, phones, addresses, amounts) written by rust_xlsxwriter. `extract` is kartlegg's
//!   xlsx reader and cell loop into a sink that only counts; `detect_cells` is `Detector::scan`
//!   alone on the same cell texts; `scan` is the whole pipeline (`Scanner::scan_bytes`).
//!   Throughput is in cells.
//! * `pdf/*`: a 200-page PDF (50 lines per page, Helvetica/WinAnsi, Flate-compressed) written
//!   by kartlegg's test writer (`extract::pdf::build`); `extract` is kartlegg's PDF reader, `pdftotext` runs poppler's `pdftotext` on the
//!   same file (process start included, about 1 ms), when it is installed.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kartlegg::detect::{Candidate, ChunkContext, Detector};
use kartlegg::extract::{self, sheet, Chunk, Clock, ExtractError, Input, Limits, Sink};
use kartlegg::read::sniff::Format;
use kartlegg::report::mask::HashKey;
use kartlegg::scan::{Options, Scanner};
use kartlegg::synth::{self, IdSpec, Rng};

const ROWS: u32 = 20_000;

fn workbook() -> Vec<u8> {
    let mut rng = Rng::new(7);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let headers = [
        "Navn",
        "Fødselsnummer",
        "Mobil",
        "E-post",
        "Avdeling",
        "Lønn",
        "Startdato",
        "Kommentar",
        "Konto",
        "Nr",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let spec = IdSpec {
        synthetic: true,
        ..IdSpec::default()
    };
    for r in 1..=ROWS {
        let fnr: f64 = synth::identity_number(&mut rng, spec).parse().unwrap();
        let mobile: f64 = synth::mobile(&mut rng).parse().unwrap();
        ws.write_string(r, 0, format!("Person {r}")).unwrap();
        ws.write_number(r, 1, fnr).unwrap();
        ws.write_number(r, 2, mobile).unwrap();
        ws.write_string(r, 3, format!("person{r}@example.no"))
            .unwrap();
        ws.write_string(r, 4, *rng.pick(&["Økonomi", "Drift", "Salg", "HR"]))
            .unwrap();
        ws.write_number(r, 5, 400_000.0 + rng.below(400_000) as f64 + 0.5)
            .unwrap();
        ws.write_number(r, 6, 40_000.0 + rng.below(9000) as f64)
            .unwrap();
        ws.write_string(r, 7, "Ingen merknader til denne raden")
            .unwrap();
        ws.write_string(r, 8, synth::kontonummer(&mut rng)).unwrap();
        ws.write_number(r, 9, r as f64).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

/// Counts chunks; optionally runs detection on each, as the scan's sink does.
struct Counting<'a> {
    cells: u64,
    detect: Option<&'a Detector>,
    cands: Vec<Candidate>,
}

impl Sink for Counting<'_> {
    fn chunk(&mut self, chunk: &Chunk<'_>) {
        self.cells += 1;
        if let Some(det) = self.detect {
            self.cands.clear();
            det.scan(chunk.text, &chunk.context, &mut self.cands);
        }
    }
}

/// Runs the extractor `f` over `data`, pushing into `sink`.
fn run(
    data: &[u8],
    det: &Detector,
    sink: &mut Counting<'_>,
    f: fn(&mut Input<'_>, &mut dyn Sink) -> Result<extract::Extracted, ExtractError>,
) {
    let limits = Limits::default();
    let mut cursor = std::io::Cursor::new(data);
    let mut input = Input::seekable_from(
        "bench",
        &data[..data.len().min(8192)],
        &mut cursor,
        Some(data.len() as u64),
        0,
        &limits,
        Clock::start(&limits),
        det,
    );
    f(&mut input, sink).expect("extracts");
}

fn xlsx(input: &mut Input<'_>, sink: &mut dyn Sink) -> Result<extract::Extracted, ExtractError> {
    sheet::extract(input, Format::Xlsx, sink)
}

fn sheets(c: &mut Criterion) {
    let data = workbook();
    let det = Detector::builtin();
    let mut probe = Counting {
        cells: 0,
        detect: None,
        cands: Vec::new(),
    };
    run(&data, &det, &mut probe, xlsx);
    assert!(probe.cells > 0);
    // Throughput counts the workbook's cells (the header row and ROWS rows of 10), also those
    // the reader does not hand over because they cannot hold a value.
    let mut g = c.benchmark_group("sheet");
    g.throughput(Throughput::Elements(u64::from(ROWS + 1) * 10));
    g.sample_size(10);
    g.bench_function("extract", |b| {
        b.iter(|| {
            let mut s = Counting {
                cells: 0,
                detect: None,
                cands: Vec::new(),
            };
            run(&data, &det, &mut s, xlsx);
            s.cells
        })
    });
    g.bench_function("extract_detect", |b| {
        b.iter(|| {
            let mut s = Counting {
                cells: 0,
                detect: Some(&det),
                cands: Vec::new(),
            };
            run(&data, &det, &mut s, xlsx);
            s.cells
        })
    });
    // Detection alone on the cell texts (what the per-cell scan call costs).
    let texts: Vec<String> = (1..=ROWS)
        .flat_map(|r| {
            [
                format!("Person {r}"),
                "13097248022".to_string(),
                "40300040".to_string(),
                format!("person{r}@example.no"),
                "Drift".to_string(),
                "612345.5".to_string(),
                "44000".to_string(),
                "Ingen merknader til denne raden".to_string(),
                "12345678903".to_string(),
                r.to_string(),
            ]
        })
        .collect();
    g.bench_function("detect_cells", |b| {
        let mut out = Vec::new();
        let ctx = ChunkContext::default();
        b.iter(|| {
            for t in &texts {
                out.clear();
                det.scan(t, &ctx, &mut out);
            }
        })
    });
    let opts = Options::default();
    let key = HashKey::provided(vec![1; 32]);
    let scanner = Scanner::new(&opts, &det, &key);
    g.bench_function("scan", |b| {
        b.iter(|| scanner.scan_bytes("bench.xlsx", &data).len())
    });
    g.finish();
}

fn pdf_document(pages: usize) -> Vec<u8> {
    let mut rng = Rng::new(11);
    let contents: Vec<Vec<u8>> = (0..pages)
        .map(|p| {
            let mut content = String::from("BT /F1 9 Tf 40 800 Td 14 TL\n");
            for l in 0..50 {
                let fnr = synth::identity_number(
                    &mut rng,
                    IdSpec {
                        synthetic: true,
                        ..IdSpec::default()
                    },
                );
                let line = format!(
                    "Ansatt {}: Person {} (fodselsnummer {fnr}), mobil {}, e-post person{l}@example.no, avdeling Drift.",
                    p * 50 + l,
                    l,
                    synth::mobile(&mut rng)
                );
                content.push_str(&format!("({line}) Tj T*\n"));
            }
            content.push_str("ET\n");
            content.into_bytes()
        })
        .collect();
    let refs: Vec<&[u8]> = contents.iter().map(Vec::as_slice).collect();
    extract::pdf::build::text_pdf(&refs)
}

fn pdfs(c: &mut Criterion) {
    let data = pdf_document(200);
    let det = Detector::builtin();
    let mut g = c.benchmark_group("pdf");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(10);
    g.bench_function("extract", |b| {
        b.iter(|| {
            let mut s = Counting {
                cells: 0,
                detect: None,
                cands: Vec::new(),
            };
            run(&data, &det, &mut s, extract::pdf::extract);
            s.cells
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.pdf");
    std::fs::write(&path, &data).unwrap();
    if std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_ok()
    {
        g.bench_function("pdftotext", |b| {
            b.iter(|| {
                let out = std::process::Command::new("pdftotext")
                    .arg(&path)
                    .arg("-")
                    .output()
                    .unwrap();
                out.stdout.len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, sheets, pdfs);
criterion_main!(benches);
