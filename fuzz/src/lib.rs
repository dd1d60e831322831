//! What every fuzz target shares: one scanner set up once, in this process (no worker
//! processes: a panic or an abort must reach the fuzzer), with small limits so a run spends
//! its time on parsing rather than on large inputs. OCR is off: it runs child programs
//! (Tesseract, pdftoppm) that are not the code under test.

use std::sync::OnceLock;

use kartlegg::detect::Detector;
use kartlegg::extract::Limits;
use kartlegg::report::mask::HashKey;
use kartlegg::scan::{Isolation, Options, Scanner};

struct Setup {
    opts: Options,
    det: Detector,
    key: HashKey,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| Setup {
        opts: Options {
            isolation: Isolation::Threads,
            min_confidence: kartlegg::detect::Confidence::Low,
            limits: Limits {
                max_parse_bytes: 16 << 20,
                max_nested_bytes: 64 << 20,
                max_entries: 1000,
                seconds: 20,
                ocr: kartlegg::extract::ocr::Settings {
                    mode: kartlegg::extract::ocr::Mode::Never,
                    ..Limits::default().ocr
                },
                ..Limits::default()
            },
            ..Options::default()
        },
        det: Detector::builtin(),
        key: HashKey::provided(b"fuzz".to_vec()),
    })
}

/// Scans `data` as a file called `name` (its extension is a hint; content decides) and fails
/// on any caught panic: a record may say `corrupt`, never `parser_panic`.
pub fn scan_as(name: &str, data: &[u8]) {
    let s = setup();
    let scanner = Scanner::new(&s.opts, &s.det, &s.key);
    for rec in scanner.scan_bytes(name, data) {
        let reason = rec.reason.as_deref().unwrap_or("");
        assert!(
            reason != "parser_panic" && reason != "detector_panic",
            "{}: {reason}",
            rec.path
        );
    }
}

/// Runs the detector over `data` read as UTF-8 (lossily) and checks what it returns.
pub fn detect(data: &[u8]) {
    let s = setup();
    let text = String::from_utf8_lossy(data);
    let mut out = Vec::new();
    s.det
        .scan(&text, &kartlegg::detect::ChunkContext::default(), &mut out);
    let mut last = 0;
    for c in &out {
        assert!(c.start <= c.end && c.end <= text.len(), "span out of bounds");
        assert!(text.is_char_boundary(c.start) && text.is_char_boundary(c.end));
        assert!(c.start >= last, "candidates sorted by start");
        last = c.start;
    }
}
