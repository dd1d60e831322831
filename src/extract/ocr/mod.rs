//! OCR: text in images (PNG, JPEG, TIFF) and in scanned PDF pages, read with Tesseract.
//!
//! # Why the program, and how it is fenced in
//! Tesseract runs as a child program (`tesseract - stdout tsv`), not as a linked library:
//! its C++ and leptonica's decoders then never share an address space with the scan, the
//! child's memory is capped on its own (`RLIMIT_AS`), a page that takes too long is ended
//! with `SIGKILL`, and it dies with the worker that started it (`PR_SET_PDEATHSIG`). The
//! Debian packages `tesseract-ocr`, `-nor` and `-eng` are all it needs; no C headers, no
//! bindgen. See [`engine`].
//!
//! # Pixels
//! Images are decoded here, in Rust ([`raster`]: png, zune-jpeg, tiff — CCITT fax scans
//! included), to 8-bit grey, shrunk by whole factors to the page's pixel budget
//! ([`Settings::max_pixels`]) and handed to Tesseract as a PGM on its standard input. So a
//! hostile image file never reaches the C image decoders, every page costs Tesseract at most
//! the budget, and a multi-page TIFF is OCRed page by page. PDF pages are rendered by
//! `pdftoppm` at a DPI chosen to fit the same budget (at most [`Settings::max_dpi`]) from a
//! `memfd` holding the document ([`pdf`]).
//!
//! # Text and certainty
//! Tesseract's TSV gives words with boxes and confidences. Words become lines of text as the
//! page shows them ([`layout`]), so the detector's context rules (a label before a value, a
//! label on the line above) work as in any text. With the text goes an [`Evidence`]: for each
//! word its confidence, for each line its box. The scan weighs each candidate by it
//! ([`Evidence::judge`]): a number that passes its checksum after OCR keeps its confidence
//! (a misread digit fails the check digits, so a valid number is strong evidence); values
//! without a checksum (phones, e-mail) lose confidence with the engine's certainty; a value
//! that needed a letter read as a digit (`O`→`0`, `l`→`1`, `S`→`5`) is kept only if a
//! checksum confirms it.
//!
//! # Without Tesseract
//! `--ocr auto` (the default) reads images when the engine is installed; without it, an
//! image is `skipped`/`ocr_unavailable` and a scanned PDF page stays unread
//! (`partial`/`no_text_layer`), and the summary counts what went unread (`"ocr":
//! {"unread": N}`). `--ocr always` refuses to start without it; `--ocr never` leaves images
//! as media.

pub mod engine;
mod layout;
pub(crate) mod pdf;
pub(crate) mod raster;

use serde::{Deserialize, Serialize};

use super::{ExtractError, Extracted, Input, LimitHit, Location, Sink, Status};
use crate::detect::{kind, Candidate, Confidence};
use crate::read::sniff::Media;

pub use engine::{engine, Engine};
pub use layout::Evidence;
pub use pdf::pdf_pages;

/// When images and scanned pages are read (`--ocr`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// When Tesseract is installed; what goes unread without it is counted.
    #[default]
    Auto,
    /// Always: a scan without Tesseract does not start.
    Always,
    /// Never: images are media, scanned pages stay unread.
    Never,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Auto => "auto",
            Mode::Always => "always",
            Mode::Never => "never",
        }
    }
}

/// OCR's mode and budgets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub mode: Mode,
    /// Pixels of one page given to Tesseract: larger images are shrunk to fit. 16 Mpx holds an
    /// A4 page at 400 DPI and a 12-megapixel photo unshrunk; Tesseract needs about 130 MB for
    /// it (BENCHMARKS.md).
    pub max_pixels: u64,
    /// Resolution PDF pages are rendered at, at most (less for pages too large for
    /// `max_pixels`).
    pub max_dpi: u32,
    /// Pixels a decoder may hold for an image it cannot shrink while decoding (JPEG, TIFF,
    /// interlaced PNG); larger images are `limit_exceeded`/`pixel_limit`.
    pub max_decode_pixels: u64,
    /// Address space of each helper program (Tesseract, pdftoppm), bytes.
    pub max_child_memory: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Auto,
            max_pixels: 16_000_000,
            max_dpi: 300,
            max_decode_pixels: 64_000_000,
            max_child_memory: 768 << 20,
        }
    }
}

/// OCR's share of a record: pages (and single images) read, and those left unread because
/// Tesseract is not installed. Summed into the summary's `ocr` totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pages {
    pub read: u64,
    pub unread: u64,
}

impl Pages {
    /// No page read or left unread.
    pub fn is_none(&self) -> bool {
        *self == Pages::default()
    }
}

/// An image file: each page (one, or each page of a TIFF) is OCRed and its text detected.
pub fn image(
    input: &mut Input<'_>,
    media: Media,
    sink: &mut dyn Sink,
) -> Result<Extracted, ExtractError> {
    if input.limits.ocr.mode == Mode::Never {
        return Ok(super::media(media));
    }
    let engine = match engine() {
        Ok(e) => e,
        Err(why) => {
            let mut out = Extracted::new(media.name(), 0).with_note(
                Status::Skipped,
                "ocr_unavailable",
                format!("{} image not read: {why}", media.name()),
            );
            out.ocr.unread = 1;
            return Ok(out);
        }
    };
    let mut pages = Pages::default();
    let mut failed: Vec<(u32, String)> = Vec::new();
    let mut truncated = Vec::new();
    let paged = media == Media::Tiff;
    let (clock, settings) = (input.clock, input.limits);
    let settings = &settings.ocr;
    let mut each = |number: u32, page: Result<raster::Gray, ExtractError>| {
        clock.check()?;
        let gray = match page {
            Ok(g) => g,
            // A damaged later page costs that page; the first one decides the file.
            Err(e @ (ExtractError::Limit(_) | ExtractError::Io(_))) => return Err(e),
            Err(e) if number == 1 => return Err(e),
            Err(e) => {
                failed.push((number, e.to_string()));
                return Ok(());
            }
        };
        if !gray.complete {
            truncated.push(number);
        }
        let base = Location {
            page: paged.then_some(number),
            ..Location::default()
        };
        match read_page(engine, &gray, &base, true, settings, clock, sink) {
            Ok(()) => pages.read += 1,
            Err(PageError::Stop(e)) => return Err(e),
            Err(PageError::Failed(why)) => failed.push((number, why)),
        }
        Ok(())
    };
    let bytes = raster::pages(input, media, &mut each)?;
    let mut out = Extracted::new(media.name(), bytes);
    out.ocr = pages;
    out.encoding = Some(format!("ocr ({})", engine.describe()));
    if !failed.is_empty() {
        let total = pages.read as usize + failed.len();
        let (first, why) = &failed[0];
        out = out.with_note(
            Status::Partial,
            "ocr_error",
            format!(
                "{} of {total} pages could not be read (page {first}: {why})",
                failed.len()
            ),
        );
        out.ocr = pages;
    } else if let Some(first) = truncated.first() {
        out = out.with_note(
            Status::Partial,
            "truncated",
            format!("the image data ends early (page {first}); the rows before it were read"),
        );
        out.ocr = pages;
    }
    Ok(out)
}

/// Why one page was not read.
pub enum PageError {
    /// The file must stop (its time budget is spent).
    Stop(ExtractError),
    /// This page failed (Tesseract crashed, the page's pixels were bad); the others go on.
    Failed(String),
}

impl From<LimitHit> for PageError {
    fn from(hit: LimitHit) -> Self {
        PageError::Stop(hit.into())
    }
}

/// OCRs one grey page and pushes its text, with the evidence, as one chunk located at
/// `base` (plus line and column; plus the line's box when `boxes`).
fn read_page(
    engine: &Engine,
    gray: &raster::Gray,
    base: &Location,
    boxes: bool,
    settings: &Settings,
    clock: super::Clock,
    sink: &mut dyn Sink,
) -> Result<(), PageError> {
    let words = engine.words(gray.pgm(), settings, clock)?;
    let (text, evidence) = layout::lines(&words, gray.scale, boxes);
    if text.is_empty() {
        return Ok(());
    }
    sink.chunk(&super::Chunk {
        text: &text,
        report: 0..text.len(),
        base,
        position: super::Position::Lines(super::LinePos::START),
        context: crate::detect::ChunkContext::default(),
        ocr: Some(&evidence),
    });
    Ok(())
}

/// What OCR's certainty does to a candidate's confidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judged {
    pub confidence: Confidence,
    /// The box of the candidate's line, for images.
    pub bbox: Option<[u32; 4]>,
}

/// Kinds whose values carry a checksum the detector verified: a misread digit fails it.
fn checksummed(kind_: &str) -> bool {
    matches!(
        kind_,
        kind::FODSELSNUMMER
            | kind::D_NUMMER
            | kind::H_NUMMER
            | kind::FH_NUMMER
            | kind::KONTONUMMER
            | kind::ORGANISASJONSNUMMER
    )
}

/// One confidence step down.
fn lower(c: Confidence) -> Confidence {
    match c {
        Confidence::High => Confidence::Medium,
        _ => Confidence::Low,
    }
}

/// The confidence of a candidate read by OCR, from the detector's confidence, the lowest
/// word confidence (0–100) of the words it spans and whether a letter in them was read as a
/// digit; `None` when it is not a finding.
pub fn weigh(c: &Candidate, word_conf: f32, corrected: bool) -> Option<Confidence> {
    if checksummed(c.kind) {
        // The check digits confirm the reading; only a very unsure engine costs a step, and
        // so does a letter taken for a digit.
        let mut conf = c.confidence;
        if word_conf < 30.0 {
            conf = lower(conf);
        }
        if corrected {
            conf = lower(conf);
        }
        return Some(conf);
    }
    if corrected {
        // Nothing confirms a phone or an address read with a letter turned digit.
        return None;
    }
    Some(if word_conf >= 80.0 {
        c.confidence
    } else if word_conf >= 50.0 {
        lower(c.confidence)
    } else {
        Confidence::Low
    })
}

#[cfg(test)]
mod tests;
