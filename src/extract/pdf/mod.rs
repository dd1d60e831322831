//! PDF: the text of every page, the document's metadata, and an honest status.
//!
//! PDFs come from thousands of producers and many are damaged; a scanner must read what
//! pdf.js and poppler read, and a hostile PDF must not stop, crash or exhaust it. So the file
//! is read by a reader of our own, built to be tolerant and bounded ([`doc`]): objects are
//! loaded lazily with cycle detection (a reference loop reads as null instead of recursing),
//! every nesting is bounded by an explicit stack, the cross-reference is rebuilt by scanning
//! for `N G obj` when it is damaged, a stream whose `/Length` is wrong is recovered by its
//! `endstream` keyword, and streams are decoded as they are read ([`filter`]): a content
//! stream that inflates to gigabytes is interpreted in constant memory. Encrypted files open
//! with the empty user password when they allow it ([`crypt`]).
//!
//! Each page's content stream is interpreted ([`content`]) into positioned spans of text,
//! decoded through the fonts ([`font`], [`cmap`]), and laid out into lines ([`layout`]):
//! findings are located `{"page": 3, "line": 12, "column": 40}`. Tables are rebuilt from
//! where the glyphs stand ([`grid`]): a row is one line, its cells apart, a value that wraps
//! inside its cell whole again, and each cell read under its column's header. The `/Info` and XMP
//! metadata are text too ([`meta`]), located `{"part": "info/Title"}`, and so are form field
//! values and annotations ([`forms`]).
//!
//! The status says what could not be read: `partial` with reason `page_error` (a page's
//! content is damaged; what came before the damage is read), `unmapped_text` (text in a font
//! with no way to Unicode), `stream_recovered` (a stream's length was wrong; it was read up to
//! its `endstream`, which may not be its true end) or `no_text_layer` (pages that are images
//! only: scans). `encrypted` when a password is needed; `error`/`corrupt` only when nothing
//! can be read at all; `limit_exceeded` when the time budget runs out (what was read is kept).

pub mod build;
mod cmap;
mod content;
mod crypt;
mod doc;
mod filter;
mod font;
mod forms;
mod grid;
mod layout;
mod lex;
mod meta;
mod object;
mod tables;
mod truetype;

use std::collections::{HashSet, VecDeque};
use std::io::{self, Read};
use std::rc::Rc;

use content::{Fonts, Interp, Shown, Spans, Stop};
use crypt::Locked;
use doc::{Doc, OpenError};
use layout::Flow;
use object::{Dict, Id, Object};

use super::window::{Addressing, Windower};
use super::{ExtractError, Extracted, Input, Limit, Location, Sink, Status};
use crate::detect::ChunkContext;

pub fn extract(input: &mut Input<'_>, sink: &mut dyn Sink) -> Result<Extracted, ExtractError> {
    let det = input.det;
    let doc = match Doc::open(input) {
        Ok(d) => d,
        Err(OpenError::Corrupt(m)) => return Err(ExtractError::Corrupt(m)),
        Err(OpenError::Locked(Locked::Password(m) | Locked::Unsupported(m))) => {
            return Err(ExtractError::Encrypted(m))
        }
        Err(OpenError::Stop(e)) => return Err(e),
    };
    let meta = meta::extract(&doc, sink) + forms::fields(&doc, sink);
    let (pages, tree_ok) = match page_list(&doc) {
        list if !list.is_empty() => (list, true),
        _ => (
            doc.loose_pages()
                .into_iter()
                .map(|id| PageRef {
                    area: doc
                        .get(id)
                        .as_dict()
                        .and_then(|d| media_area(&doc, d))
                        .unwrap_or(A4),
                    obj: Rc::new(Object::Ref(id)),
                    inherited: None,
                })
                .collect(),
            false,
        ),
    };
    if pages.is_empty() && meta == 0 {
        return Err(ExtractError::Corrupt(
            "damaged PDF: no pages found (page tree unreadable)".into(),
        ));
    }
    let mut fonts = Fonts::default();
    // A table's headers, for its continuation on the next pages.
    let mut carried: grid::Carried = None;
    let mut tally = Tally {
        pages: pages.len(),
        ..Tally::default()
    };
    for (i, page) in pages.iter().enumerate() {
        doc.clock.check()?;
        let base = Location {
            page: Some(i as u32 + 1),
            ..Location::default()
        };
        let mut w = Windower::new(Addressing::Lines, &base, ChunkContext::default());
        let mut flow = Flow::new(&mut w, sink);
        let mut spans = grid::PageSpans::new(&mut flow, det, &mut carried);
        let shown = read_page(&doc, page, &mut fonts, &mut spans).map(|mut s| {
            s.image_area /= page.area;
            s
        });
        spans.finish();
        flow.finish();
        if let Some(d) = doc.resolve(&page.obj).as_dict() {
            forms::annotations(&doc, d, i as u32 + 1, sink);
        }
        match shown {
            Ok(s) => tally.add(i as u32 + 1, &s, false),
            Err(PageFail::Damaged(s)) => tally.add(i as u32 + 1, &s, true),
            Err(PageFail::Stop(e)) => return Err(e),
        }
    }
    let notes = tally.notes(&doc, tree_ok);
    let len = doc.len();
    let bytes = doc.into_bytes();
    // Scanned pages are read by OCR where it is available.
    let ocr = super::ocr::pdf_pages(input, bytes.as_deref(), &tally.scanned, sink)?;
    let unread = tally.scanned.len() - (ocr.pages.read as usize).min(tally.scanned.len());
    let mut out = notes.status(Extracted::new("pdf", len), tally.pages, unread, &ocr);
    out.ocr = ocr.pages;
    Ok(out)
}

/// A page: its object and the resources it inherits from the page tree.
struct PageRef {
    obj: Rc<Object>,
    inherited: Option<Rc<Object>>,
    /// The area of its `/MediaBox`, inherited like its resources (an A4 page's when none
    /// can be read).
    area: f32,
}

/// The pages in the order of the page tree, walked with an explicit stack; a node met twice
/// (a loop in `/Kids`) is walked once.
fn page_list(doc: &Doc<'_>) -> Vec<PageRef> {
    let Some(cat) = doc.catalog() else {
        return Vec::new();
    };
    let Some(root) = cat.as_dict().and_then(|c| c.get(b"Pages")).cloned() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut seen: HashSet<Id> = HashSet::new();
    let mut stack: Vec<(Object, Option<Rc<Object>>, Option<f32>)> = vec![(root, None, None)];
    while let Some((node, inherited, inherited_area)) = stack.pop() {
        if doc.clock.check().is_err() {
            break;
        }
        if let Object::Ref(id) = node {
            if !seen.insert(id) {
                continue;
            }
        }
        let obj = Rc::new(doc.resolve(&node).clone());
        let Some(dict) = obj.as_dict() else { continue };
        let kids = doc.get_in(dict, b"Kids");
        let is_tree = !dict.is_type(b"Page") && kids.as_array().is_some();
        let resources = match doc.get_in(dict, b"Resources") {
            r if r.as_dict().is_some() => Some(Rc::new(r.clone())),
            _ => inherited,
        };
        let area = media_area(doc, dict).or(inherited_area);
        if is_tree {
            if let Some(k) = kids.as_array() {
                for kid in k.iter().rev() {
                    stack.push((kid.clone(), resources.clone(), area));
                }
            }
        } else if dict.is_type(b"Page") || dict.get(b"Contents").is_some() {
            out.push(PageRef {
                obj: match node {
                    Object::Ref(_) => Rc::new(node),
                    _ => obj.clone(),
                },
                inherited: resources,
                area: area.unwrap_or(A4),
            });
        }
    }
    out
}

enum PageFail {
    Damaged(Shown),
    Stop(ExtractError),
}

/// An A4 page's area, for a page whose `/MediaBox` cannot be read.
const A4: f32 = 595.0 * 842.0;

/// The area of a page tree node's own `/MediaBox`, if it has a usable one.
fn media_area(doc: &Doc<'_>, dict: &Dict) -> Option<f32> {
    let bx = doc.get_in(dict, b"MediaBox");
    let v: Vec<f32> = bx
        .as_array()?
        .iter()
        .filter_map(|o| doc.resolve(o).as_f32())
        .collect();
    let [x0, y0, x1, y1] = <[f32; 4]>::try_from(v).ok()?;
    let area = ((x1 - x0) * (y1 - y0)).abs();
    (area.is_finite() && area >= 1.0).then_some(area)
}

/// Interprets one page's content into `out`.
fn read_page(
    doc: &Doc<'_>,
    page: &PageRef,
    fonts: &mut Fonts,
    out: &mut dyn Spans,
) -> Result<Shown, PageFail> {
    let obj = doc.resolve(&page.obj);
    let Some(dict) = obj.as_dict() else {
        return Err(PageFail::Damaged(Shown::default()));
    };
    let resources = match doc.get_in(dict, b"Resources") {
        r if r.as_dict().is_some() => r.as_dict().cloned(),
        _ => page.inherited.as_ref().and_then(|r| r.as_dict().cloned()),
    };
    let scope: Vec<Dict> = resources.into_iter().collect();
    let contents = doc.get_in(dict, b"Contents");
    let parts: Vec<Object> = match &*contents {
        Object::Array(a) => a.iter().map(|o| doc.resolve(o).clone()).collect(),
        o @ Object::Stream(_) => vec![o.clone()],
        _ => Vec::new(),
    };
    let mut damaged = false;
    let mut readers: VecDeque<Box<dyn Read + '_>> = VecDeque::new();
    for part in &parts {
        match part.as_stream().map(|s| doc.decoded(s)) {
            Some(Ok(r)) => readers.push_back(r),
            Some(Err(_)) => damaged = true,
            // A null part (a missing object): nothing to show.
            None => damaged |= !matches!(part, Object::Null),
        }
    }
    let mut joined = Joined {
        parts: readers,
        gap: false,
    };
    let mut interp = Interp::new(doc, fonts, out);
    let mut result = interp.run_page(&mut joined, &scope);
    // What annotations draw on the page: field values, signatures, typed-on text.
    if let Some(annots) = doc.get_in(dict, b"Annots").as_array() {
        for a in annots {
            let Some(d) = doc.resolve(a).as_dict().cloned() else {
                continue;
            };
            match interp.appearance(&d, &scope) {
                Ok(()) => {}
                Err(Stop::Damaged) => interp.shown.damaged += 1,
                Err(stop @ Stop::Limit(_)) => {
                    result = Err(stop);
                    break;
                }
            }
        }
    }
    let shown = interp.shown;
    match result {
        Ok(()) if !damaged && shown.damaged == 0 => Ok(shown),
        Ok(()) | Err(Stop::Damaged) => Err(PageFail::Damaged(shown)),
        Err(Stop::Limit(hit)) => Err(PageFail::Stop(hit.into())),
    }
}

/// A page's content streams as one, with white space between the parts (a part may end in
/// the middle of nothing but a token).
struct Joined<'a> {
    parts: VecDeque<Box<dyn Read + 'a>>,
    gap: bool,
}

impl Read for Joined<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if buf.is_empty() {
                return Ok(0);
            }
            if self.gap {
                self.gap = false;
                buf[0] = b'\n';
                return Ok(1);
            }
            let Some(part) = self.parts.front_mut() else {
                return Ok(0);
            };
            match part.read(buf) {
                Ok(0) => {
                    self.parts.pop_front();
                    self.gap = !self.parts.is_empty();
                }
                r => return r,
            }
        }
    }
}

/// A page with at most this many characters of text over an image covering at least
/// [`PARTIAL_COVER`] of it has a text layer for only part of what it shows: its image is read
/// by OCR too. A searchable scan (a full OCR text layer) or a page of text over a background
/// picture holds far more text than a typed header or a stamp.
const PARTIAL_TEXT: u64 = 400;
const PARTIAL_COVER: f32 = 0.5;

/// Pages by what they showed.
#[derive(Default)]
struct Tally {
    pages: usize,
    damaged: usize,
    /// Pages (1-based) with images but no text, or a little text over an image that fills
    /// most of the page (a typed header over a scanned body): scans, for OCR.
    scanned: Vec<u32>,
    /// Text drawn in fonts that give no characters, and no other text.
    unmapped: usize,
}

impl Tally {
    fn add(&mut self, page: u32, s: &Shown, damaged: bool) {
        self.damaged += usize::from(damaged);
        if s.mapped == 0 {
            if s.unmapped > 0 {
                self.unmapped += 1;
            } else if s.images {
                self.scanned.push(page);
            }
        } else if s.mapped <= PARTIAL_TEXT && s.image_area >= PARTIAL_COVER {
            self.scanned.push(page);
        }
    }

    /// What went wrong in the document, before OCR had its say on the scanned pages.
    fn notes(&self, doc: &Doc<'_>, tree_ok: bool) -> Notes {
        let total = self.pages;
        let recovered = doc.damage.borrow().streams_recovered;
        let mut notes: Vec<(&str, String)> = Vec::new();
        if self.damaged > 0 {
            notes.push((
                "page_error",
                format!(
                    "{} of {total} pages could not be decoded completely",
                    self.damaged
                ),
            ));
        }
        if !tree_ok {
            notes.push((
                "page_error",
                if total == 0 {
                    "no pages found (page tree unreadable); only the metadata was read".into()
                } else {
                    format!("the page tree is damaged: {total} pages found by scanning its objects")
                },
            ));
        }
        if self.unmapped > 0 {
            notes.push((
                "unmapped_text",
                format!(
                    "{} of {total} pages show text only in fonts without a Unicode mapping",
                    self.unmapped
                ),
            ));
        }
        if recovered > 0 {
            notes.push((
                "stream_recovered",
                format!(
                    "{recovered} streams had a wrong /Length and were read up to their endstream keyword"
                ),
            ));
        }
        let too_large = doc.damage.borrow().too_large;
        if too_large > 0 {
            // Over a memory budget: a limit, named as such, ahead of the other notes.
            notes.insert(
                0,
                (
                    Limit::ParseBytes.reason(),
                    format!(
                        "{too_large} streams decode to more than {} MiB and were not read",
                        doc::MAX_DECODED >> 20
                    ),
                ),
            );
        }
        Notes { notes, too_large }
    }
}

/// A document's problems, in order: the first is the reason of its status.
struct Notes {
    notes: Vec<(&'static str, String)>,
    /// Streams over the decoding budget: the status is then `limit_exceeded`.
    too_large: u32,
}

impl Notes {
    /// The file's status: the first problem is the reason, the detail names them all; scanned
    /// pages that OCR did not read (`unread` of them) are one more problem.
    fn status(
        mut self,
        out: Extracted,
        total: usize,
        unread: usize,
        ocr: &super::ocr::pdf::PdfOcr,
    ) -> Extracted {
        if unread > 0 {
            let why = ocr.detail().map(|d| format!("; {d}")).unwrap_or_default();
            self.notes.push((
                if ocr.failed.is_empty() {
                    "no_text_layer"
                } else {
                    "ocr_error"
                },
                format!(
                    "{unread} of {total} pages have no text layer, or one over only part of \
                     a scanned page{why}"
                ),
            ));
        }
        let Some((reason, _)) = self.notes.first() else {
            return out;
        };
        let status = if self.too_large > 0 {
            Status::LimitExceeded
        } else {
            Status::Partial
        };
        let detail: Vec<&str> = self.notes.iter().map(|(_, d)| d.as_str()).collect();
        out.with_note(status, reason, detail.join("; "))
    }
}

#[cfg(test)]
mod tests;
