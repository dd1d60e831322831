//! Scanned PDF pages: rendered by poppler's `pdftoppm`, then OCRed like an image.
//!
//! The PDF reader calls [`pdf_pages`] with the pages that have images but no text. The
//! document is copied into a `memfd` (memory with a descriptor and no name, never a file on
//! disk; at most [`MAX_PDF`] bytes), given to `pdfinfo`
//! (page sizes) and `pdftoppm` (one page at a time, in grey, on its standard output) as
//! descriptor 3. Each page is rendered at [`Settings::max_dpi`], or lower where the page is
//! too large for [`Settings::max_pixels`], under the same fence as Tesseract ([`engine`]).

use std::io::Read;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::process::Command;

use super::engine::{self, run, Input as Feed};
use super::raster::{Gray, Shrink};
use super::{read_page, Mode, PageError, Settings};
use crate::extract::{Clock, ExtractError, Input, Location, Sink};

/// What OCR did for a PDF's scanned pages.
#[derive(Debug, Default)]
pub struct PdfOcr {
    /// Pages read, and pages not read for want of Tesseract (for the summary).
    pub pages: super::Pages,
    /// Why pages went unread for want of Tesseract, in words.
    pub unread: Option<&'static str>,
    /// Pages whose rendering or OCR failed, with why (the first few).
    pub failed: Vec<(u32, String)>,
}

impl PdfOcr {
    /// Words for the record's detail about the pages that were not read, if any.
    pub fn detail(&self) -> Option<String> {
        if let Some(why) = self.unread {
            return Some(format!("not read: {why}"));
        }
        let (page, why) = self.failed.first()?;
        Some(format!(
            "{} scanned pages could not be read by OCR (page {page}: {why})",
            self.failed.len()
        ))
    }
}

/// The largest PDF whose scanned pages are rendered: the renderers read the whole document
/// from memory.
pub(crate) const MAX_PDF: u64 = 256 << 20;

/// OCRs the given 1-based pages of the PDF in `input` (its `bytes` when the reader held them
/// whole, else read again from its start), pushing each page's text to `sink` located
/// `{"page": N}`. Stops only when the file's time is spent.
pub fn pdf_pages(
    input: &mut Input<'_>,
    bytes: Option<&[u8]>,
    pages: &[u32],
    sink: &mut dyn Sink,
) -> Result<PdfOcr, ExtractError> {
    let settings = &input.limits.ocr;
    let mut out = PdfOcr::default();
    if pages.is_empty() {
        return Ok(out);
    }
    if settings.mode == Mode::Never {
        return Ok(out);
    }
    let engine = match engine::engine() {
        Ok(e) => e,
        Err(why) => {
            out.unread = Some(why);
            out.pages.unread = pages.len() as u64;
            return Ok(out);
        }
    };
    if input.size.is_some_and(|n| n > MAX_PDF) {
        out.unread = Some("the PDF is larger than OCR renders (256 MiB)");
        out.pages.unread = pages.len() as u64;
        return Ok(out);
    }
    let doc = if let Some(mut b) = bytes {
        memfd(&mut b).map_err(ExtractError::from)?
    } else {
        let r = input.seekable()?;
        r.seek(std::io::SeekFrom::Start(0))
            .map_err(ExtractError::from)?;
        memfd(&mut r.take(MAX_PDF)).map_err(ExtractError::from)?
    };
    let sizes = page_sizes(&doc, pages, settings, input.clock);
    for &page in pages {
        input.check_time()?;
        let size = sizes.iter().find(|s| s.0 == page).map(|s| (s.1, s.2));
        let result = render(&doc, page, size, settings, input.clock).and_then(|gray| {
            let base = Location {
                page: Some(page),
                ..Location::default()
            };
            read_page(engine, &gray, &base, false, settings, input.clock, sink)
        });
        match result {
            Ok(()) => out.pages.read += 1,
            Err(PageError::Stop(e)) => return Err(e),
            Err(PageError::Failed(why)) => out.failed.push((page, why)),
        }
    }
    Ok(out)
}

/// The document in anonymous memory, for helpers to read as descriptor 3.
fn memfd(data: &mut dyn std::io::Read) -> std::io::Result<std::fs::File> {
    // SAFETY: a NUL-terminated name; close-on-exec (helpers get a dup2 of it).
    let fd = unsafe { libc::memfd_create(c"kartlegg-pdf".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor we own.
    let mut file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    std::io::copy(data, &mut file)?;
    Ok(file)
}

/// Page sizes in points, from `pdfinfo` (pages it does not list are rendered at the DPI cap).
fn page_sizes(
    doc: &std::fs::File,
    pages: &[u32],
    settings: &Settings,
    clock: Clock,
) -> Vec<(u32, f64, f64)> {
    let (first, last) = (pages[0], pages[pages.len() - 1]);
    let mut cmd = Command::new("pdfinfo");
    cmd.args([
        "-f",
        &first.to_string(),
        "-l",
        &last.to_string(),
        "/dev/fd/3",
    ]);
    let Ok(text) = run(&mut cmd, Feed::Fd3(doc.as_fd()), 1 << 20, settings, clock) else {
        return Vec::new();
    };
    String::from_utf8_lossy(&text)
        .lines()
        .filter_map(parse_size)
        .collect()
}

/// `Page    3 size: 595.2 x 841.92 pts (A4)`.
fn parse_size(line: &str) -> Option<(u32, f64, f64)> {
    let rest = line.strip_prefix("Page")?;
    let (num, rest) = rest.trim_start().split_once(' ')?;
    let rest = rest.trim_start().strip_prefix("size:")?;
    let mut f = rest.split_whitespace();
    let w = f.next()?.parse().ok()?;
    f.next().filter(|&x| x == "x")?;
    let h = f.next()?.parse().ok()?;
    Some((num.parse().ok()?, w, h))
}

/// The resolution that keeps a page of `w` × `h` points within the pixel budget.
pub(crate) fn dpi_for(size: Option<(f64, f64)>, settings: &Settings) -> u32 {
    let max = f64::from(settings.max_dpi);
    let Some((w, h)) = size.filter(|(w, h)| *w > 0.0 && *h > 0.0) else {
        return settings.max_dpi;
    };
    let square_inches = (w / 72.0) * (h / 72.0);
    let fit = (settings.max_pixels as f64 / square_inches).sqrt();
    fit.min(max).floor().max(1.0) as u32
}

/// One page in grey, within the pixel budget.
fn render(
    doc: &std::fs::File,
    page: u32,
    size: Option<(f64, f64)>,
    settings: &Settings,
    clock: Clock,
) -> Result<Gray, PageError> {
    let dpi = dpi_for(size, settings);
    let p = page.to_string();
    let mut cmd = Command::new("pdftoppm");
    cmd.args([
        "-f",
        &p,
        "-l",
        &p,
        "-r",
        &dpi.to_string(),
        "-gray",
        "/dev/fd/3",
    ]);
    // Room for a page a little larger than pdfinfo said; it is shrunk to the budget below.
    let max = (settings.max_pixels * 4 + 64) as usize;
    let pgm = run(&mut cmd, Feed::Fd3(doc.as_fd()), max, settings, clock)?;
    from_pgm(&pgm, settings.max_pixels)
        .ok_or_else(|| PageError::Failed("the page could not be rendered".into()))
}

/// A binary PGM (as pdftoppm writes it), shrunk to `max_pixels`.
fn from_pgm(pgm: &[u8], max_pixels: u64) -> Option<Gray> {
    let mut fields = Vec::new();
    let mut at = 2;
    if !pgm.starts_with(b"P5") {
        return None;
    }
    while fields.len() < 3 {
        while pgm.get(at)?.is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while pgm.get(at)?.is_ascii_digit() {
            at += 1;
        }
        fields.push(
            std::str::from_utf8(&pgm[start..at])
                .ok()?
                .parse::<u32>()
                .ok()?,
        );
    }
    let (w, h, maxval) = (fields[0], fields[1], fields[2]);
    if maxval != 255 {
        return None;
    }
    let pixels = pgm.get(at + 1..)?;
    let mut shrink = Shrink::new(w, h, max_pixels).ok()?;
    for row in pixels.chunks_exact(w as usize) {
        shrink.row(row);
    }
    Some(shrink.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_and_resolutions() {
        assert_eq!(
            parse_size("Page    3 size: 595.2 x 841.92 pts (A4)"),
            Some((3, 595.2, 841.92))
        );
        assert_eq!(parse_size("Pages:           1"), None);
        let s = Settings::default();
        assert_eq!(
            dpi_for(Some((595.2, 841.92)), &s),
            300,
            "A4 fits at the cap"
        );
        // A poster of 100 × 100 inches gets what the budget allows.
        let dpi = dpi_for(Some((7200.0, 7200.0)), &s);
        assert_eq!(dpi, 40);
        assert_eq!(dpi_for(None, &s), 300);
    }

    #[test]
    fn rendered_pages_are_read_back_within_the_budget() {
        let mut pgm = b"P5\n4 2\n255\n".to_vec();
        pgm.extend([0, 0, 255, 255, 0, 0, 255, 255]);
        let g = from_pgm(&pgm, 2).unwrap();
        assert_eq!((g.width, g.height, g.scale), (2, 1, 2));
        assert_eq!(g.pixels(), &[0, 255]);
        assert!(from_pgm(b"P6\n1 1\n255\n\0\0\0", 10).is_none());
    }
}
