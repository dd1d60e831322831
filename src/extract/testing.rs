//! Test support for extractors: run one on bytes and collect the chunks it pushes.

use std::io::Cursor;

use super::{Chunk, Clock, ExtractError, Extracted, Input, Limits, Location, Sink};
use crate::detect::Detector;
use crate::read::sniff;

/// The chunks an extractor pushed: base location, reported text, and the chunk's header
/// context flag (`identity`).
#[derive(Default)]
pub(super) struct Texts {
    pub chunks: Vec<(Location, String, bool)>,
}

impl Sink for Texts {
    fn chunk(&mut self, chunk: &Chunk<'_>) {
        let identity = chunk.context.header.is_some_and(|h| h.identity);
        self.chunks.push((
            chunk.base.clone(),
            chunk.text[chunk.report.clone()].to_string(),
            identity,
        ));
    }
}

/// A test sink's [`Sink::nested`] for an extractor that has no members (text, tables): a
/// member handed to it fails the test, where the trait's default would read and drop it.
macro_rules! no_members {
    () => {
        fn nested(
            &mut self,
            _: &str,
            _: Option<u64>,
            _: &mut dyn std::io::Read,
        ) -> Result<(), crate::extract::ExtractError> {
            unreachable!("this extractor has no members")
        }
    };
}
pub(super) use no_members;

/// An extractor's environment: `det`, and `limits` with their clock started now.
pub(super) fn env<'a>(det: &'a Detector, limits: &'a Limits) -> super::Env<'a> {
    super::Env {
        det,
        clock: Clock::start(limits),
        limits,
    }
}

/// Runs `f` on `data` as an input called `name`.
pub(super) fn run(
    name: &str,
    data: &[u8],
    f: impl FnOnce(&mut Input<'_>, &mut dyn Sink) -> Result<Extracted, ExtractError>,
) -> (Result<Extracted, ExtractError>, Texts) {
    run_with(&Detector::builtin(), name, data, f)
}

/// A detector with a user rule whose pattern matches any word: with it, extractors hand over
/// every text they read (they skip text that cannot match), so tests see all of it.
pub(super) fn all_text() -> Detector {
    let rule = r#"
[[rule]]
id = "word"
pattern = '\w+'
base = 1
[[rule.examples]]
text = "ord"
kind = "word"
confidence = "low"
"#;
    Detector::new(crate::detect::rules::RuleSet::with_extra(&[("test/word.toml", rule)]).unwrap())
}

/// [`run`] with the given detector.
pub(super) fn run_with(
    det: &Detector,
    name: &str,
    data: &[u8],
    f: impl FnOnce(&mut Input<'_>, &mut dyn Sink) -> Result<Extracted, ExtractError>,
) -> (Result<Extracted, ExtractError>, Texts) {
    // Extractor tests do not start Tesseract; OCR has tests of its own.
    let mut limits = Limits::default();
    limits.ocr.mode = super::ocr::Mode::Never;
    let head = &data[..data.len().min(sniff::HEAD)];
    let mut cursor = Cursor::new(data);
    let mut input = Input::seekable_from(
        name,
        head,
        &mut cursor,
        Some(data.len() as u64),
        0,
        &limits,
        Clock::start(&limits),
        det,
    );
    let mut texts = Texts::default();
    let r = f(&mut input, &mut texts);
    (r, texts)
}

/// A fixture from `tests/fixtures/docs`.
pub(super) fn fixture(name: &str) -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/docs/");
    std::fs::read(format!("{path}{name}")).expect("fixture exists")
}

/// `data` with `n` bytes at seeded positions inverted: damaged copies for robustness tests.
pub(super) fn damaged(data: &[u8], seed: u64, n: usize) -> Vec<u8> {
    let mut rng = crate::synth::Rng::new(seed);
    let mut out = data.to_vec();
    for _ in 0..n {
        let i = rng.below(out.len() as u64) as usize;
        out[i] ^= 0xFF;
    }
    out
}
