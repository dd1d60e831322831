//! Inputs that once made a fuzz target fail (`fuzz/run.sh` keeps them under
//! `tests/fixtures/fuzz/TARGET/`), replayed with the target's own checks: the detector's
//! candidates stay in bounds, on character boundaries and sorted; a scan of the input never
//! records a caught panic.

use kartlegg::detect::{ChunkContext, Detector};
use kartlegg::extract::Limits;
use kartlegg::report::mask::HashKey;
use kartlegg::scan::{Isolation, Options, Scanner};

use crate::harness::fixture;

/// The file name each target scans its input as (`fuzz/fuzz_targets/*.rs`).
fn name_of(target: &str) -> &'static str {
    match target {
        "text" => "fuzz.txt",
        "csv" => "fuzz.csv",
        "json" => "fuzz.json",
        "sql" => "fuzz.sql",
        "pdf" => "fuzz.pdf",
        "office" => "fuzz.docx",
        "sheet" => "fuzz.xlsx",
        "zip" => "fuzz.zip",
        "tar" => "fuzz.tar",
        "gzip" => "fuzz.gz",
        "ole" => "fuzz.xls",
        "rtf" => "fuzz.rtf",
        "mail" => "fuzz.eml",
        "sqlite" => "fuzz.sqlite",
        other => panic!("no fuzz target {other}"),
    }
}

fn detect(det: &Detector, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut out = Vec::new();
    det.scan(&text, &ChunkContext::default(), &mut out);
    let mut last = 0;
    for c in &out {
        assert!(
            c.start <= c.end && c.end <= text.len(),
            "span out of bounds"
        );
        assert!(text.is_char_boundary(c.start) && text.is_char_boundary(c.end));
        assert!(c.start >= last, "candidates sorted by start");
        last = c.start;
    }
}

#[test]
fn inputs_that_crashed_a_fuzz_target_pass_its_checks() {
    let det = Detector::builtin();
    let key = HashKey::provided(b"fuzz".to_vec());
    let mut limits = Limits::default();
    limits.ocr.mode = kartlegg::extract::ocr::Mode::Never;
    let opts = Options {
        isolation: Isolation::Threads,
        min_confidence: kartlegg::detect::Confidence::Low,
        limits,
        ..Options::default()
    };
    let scanner = Scanner::new(&opts, &det, &key);
    let mut replayed = 0;
    for target in std::fs::read_dir(fixture("fuzz")).unwrap() {
        let target = target.unwrap();
        if !target.file_type().unwrap().is_dir() {
            continue;
        }
        let t = target.file_name().into_string().unwrap();
        for input in std::fs::read_dir(target.path()).unwrap() {
            let data = std::fs::read(input.unwrap().path()).unwrap();
            if t == "detect" {
                detect(&det, &data);
            } else {
                for rec in scanner.scan_bytes(name_of(&t), &data) {
                    let reason = rec.reason.as_deref().unwrap_or("");
                    assert!(
                        reason != "parser_panic" && reason != "detector_panic",
                        "{t}: {}: {reason}",
                        rec.path
                    );
                }
            }
            replayed += 1;
        }
    }
    assert!(
        replayed > 0,
        "the fuzz regression inputs are in tests/fixtures/fuzz"
    );
}
