//! PDF text, page by page, through lopdf.
//!
//! lopdf parses the file, decrypts it when the user password is empty, and maps font codes to
//! Unicode (ToUnicode CMaps, WinAnsi/Standard/MacRoman encodings and `Differences`). Its own
//! `extract_text` only breaks lines at `ET`/`T*`, so words placed by `Td`/`Tm` run together
//! (`Fødselsnummer13097248022` hides the number) and form XObjects are not followed. So the
//! content stream is walked here: a vertical move starts a new line, a horizontal move or a
//! wide `TJ` gap is a space, and `Do` descends into forms (depth-limited, each form once per
//! page).
//!
//! Each page becomes line-addressed text with `{"page": N}`, so a finding reads page, line and
//! column. A page with images but no text is a scan: the file becomes `partial` with reason
//! `no_text_layer` and the count, never clean. A page whose content cannot be decoded makes
//! the file `partial` with reason `page_error`.

use std::collections::{HashMap, HashSet};

use lopdf::content::Content;
use lopdf::Encoding;
use lopdf::{Dictionary, Document, Object, ObjectId};

use super::window::{Addressing, Windower};
use super::{ExtractError, Extracted, Input, Location, Sink, Status};
use crate::detect::ChunkContext;

/// Forms inside forms, at most.
const MAX_FORM_DEPTH: u32 = 8;
/// A `TJ` gap wider than this (thousandths of an em) is a word space, not kerning.
const TJ_SPACE: f32 = 180.0;

pub fn extract(input: &mut Input<'_>, sink: &mut dyn Sink) -> Result<Extracted, ExtractError> {
    let data = input.read_all()?;
    let doc = Document::load_mem(&data).map_err(|_| {
        ExtractError::Corrupt("damaged or truncated PDF: its objects cannot be read".into())
    })?;
    // lopdf decrypts with the empty user password itself; what stays encrypted needs one.
    if doc.is_encrypted() {
        return Err(ExtractError::Encrypted(
            "PDF needs a password to open".into(),
        ));
    }
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(ExtractError::Corrupt(
            "damaged PDF: no pages found (page tree unreadable)".into(),
        ));
    }
    let mut fonts = Fonts::default();
    let mut no_text = 0usize;
    // Pages with images and no text: scans, for OCR.
    let mut scanned = Vec::new();
    let mut failed = 0usize;
    let mut text = String::new();
    for (&number, &page_id) in &pages {
        input.check_time()?;
        text.clear();
        match page_text(&doc, page_id, &mut fonts, &mut text, input) {
            Ok(page) => {
                if text.trim().is_empty() {
                    no_text += usize::from(page.images);
                    if page.images {
                        scanned.push(number);
                    }
                    continue;
                }
            }
            Err(PageError::Stop(e)) => return Err(e),
            Err(PageError::Damaged) => {
                failed += 1;
                if text.trim().is_empty() {
                    continue;
                }
            }
        }
        let base = Location {
            page: Some(number),
            ..Location::default()
        };
        let mut w = Windower::new(Addressing::Lines, &base, ChunkContext::default());
        w.buffer().push_str(&text);
        w.flush(sink, true);
    }
    // OCR hook: scanned pages are read by OCR where it is available.
    let ocr = super::ocr::pdf_pages(&data, &scanned, input, sink)?;
    let no_text = no_text - ocr.pages.read as usize;
    let unread = ocr.detail().map(|d| format!("; {d}")).unwrap_or_default();
    let mut out = Extracted::new("pdf", data.len() as u64);
    out.ocr = ocr.pages;
    let total = pages.len();
    Ok(if failed > 0 {
        out.with_note(
            Status::Partial,
            "page_error",
            format!(
                "{failed} of {total} pages could not be decoded{}",
                scans(no_text)
            ),
        )
    } else if no_text > 0 {
        out.with_note(
            Status::Partial,
            if ocr.failed.is_empty() {
                "no_text_layer"
            } else {
                "ocr_error"
            },
            format!("{no_text} of {total} pages have no text layer (scanned images){unread}"),
        )
    } else {
        out
    })
}

fn scans(no_text: usize) -> String {
    match no_text {
        0 => String::new(),
        n => format!("; {n} pages have no text layer"),
    }
}

enum PageError {
    /// The page's content is damaged; what was read so far stays.
    Damaged,
    /// Out of time: the file stops.
    Stop(ExtractError),
}

impl From<lopdf::Error> for PageError {
    fn from(_: lopdf::Error) -> Self {
        PageError::Damaged
    }
}

/// Font encodings, each parsed once per document (keyed by the font dictionary's address,
/// which is stable while the document lives).
#[derive(Default)]
struct Fonts<'d> {
    by_dict: HashMap<usize, Option<Encoding<'d>>>,
}

impl<'d> Fonts<'d> {
    fn get(&mut self, doc: &'d Document, font: &'d Dictionary) -> Option<&Encoding<'d>> {
        self.by_dict
            .entry(font as *const Dictionary as usize)
            .or_insert_with(|| font.get_font_encoding(doc).ok())
            .as_ref()
    }
}

/// A resource scope: the resource dictionaries searched for a name, innermost first.
type Scope<'d> = Vec<&'d Dictionary>;

fn lookup<'d>(
    doc: &'d Document,
    scope: &Scope<'d>,
    category: &[u8],
    name: &[u8],
) -> Option<&'d Object> {
    scope.iter().find_map(|res| {
        let cat = res.get_deref(category, doc).ok()?.as_dict().ok()?;
        let obj = cat.get(name).ok()?;
        doc.dereference(obj).ok().map(|(_, o)| o)
    })
}

/// What a page has besides its text.
struct Page {
    images: bool,
}

/// Appends the text of one page to `out`.
fn page_text<'d>(
    doc: &'d Document,
    page_id: ObjectId,
    fonts: &mut Fonts<'d>,
    out: &mut String,
    input: &Input<'_>,
) -> Result<Page, PageError> {
    let (inline, ids) = doc.get_page_resources(page_id)?;
    let mut scope: Scope<'d> = inline.into_iter().collect();
    scope.extend(ids.iter().filter_map(|&id| doc.get_dictionary(id).ok()));
    // Not `get_page_content`: it passes a stream that fails to decompress on as raw bytes,
    // which would make a damaged page look empty rather than damaged.
    let mut content = Vec::new();
    for id in doc.get_page_contents(page_id) {
        let stream = doc.get_object(id)?.as_stream()?;
        let plain = stream.get_plain_content()?;
        // lopdf passes on what a broken stream decodes to, without an error: data that
        // decodes to nothing is damaged.
        if plain.is_empty() && !stream.content.trim_ascii().is_empty() {
            return Err(PageError::Damaged);
        }
        content.extend_from_slice(&plain);
        content.push(b'\n');
    }
    let mut walk = Walk {
        doc,
        fonts,
        out,
        input,
        images: false,
        seen_forms: HashSet::new(),
        pen: Pen::default(),
    };
    walk.content(&content, &scope, 0)?;
    Ok(Page {
        images: walk.images,
    })
}

/// The text position, as far as line breaks need it (text-space y; x moves only as "moved").
#[derive(Debug, Default)]
struct Pen {
    y: f32,
    leading: f32,
    /// Moved since the last text was shown.
    moved: bool,
    /// `T*`, `'` or `"`: a new line even if the leading is 0.
    new_line: bool,
    /// Where the last text was shown.
    shown_y: Option<f32>,
}

impl Pen {
    fn next_line(&mut self) {
        self.y -= self.leading;
        self.new_line = true;
    }
}

struct Walk<'d, 'f, 'o, 'i, 'n> {
    doc: &'d Document,
    fonts: &'f mut Fonts<'d>,
    out: &'o mut String,
    input: &'i Input<'n>,
    images: bool,
    seen_forms: HashSet<ObjectId>,
    pen: Pen,
}

fn newline(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

fn space(out: &mut String) {
    if !out.is_empty() && !out.ends_with([' ', '\n']) {
        out.push(' ');
    }
}

/// `Tj`/`TJ` operands: strings decoded by the font, wide gaps as spaces.
fn show(out: &mut String, enc: Option<&Encoding<'_>>, operands: &[Object]) {
    let Some(enc) = enc else { return };
    for op in operands {
        match op {
            Object::String(bytes, _) => {
                // Undecodable codes are skipped rather than guessed.
                let _ = enc.write_to_string(bytes, out);
            }
            Object::Array(items) => show(out, Some(enc), items),
            Object::Integer(_) | Object::Real(_)
                if op.as_float().is_ok_and(|gap| gap.abs() > TJ_SPACE) =>
            {
                space(out)
            }
            _ => {}
        }
    }
}

impl<'d> Walk<'d, '_, '_, '_, '_> {
    /// Before showing text: a new line if the pen moved vertically since the last text, a
    /// space if it only moved sideways.
    fn before_show(&mut self) {
        let pen = &mut self.pen;
        match pen.shown_y {
            Some(y) if pen.new_line || (y - pen.y).abs() > 0.5 => newline(self.out),
            Some(_) if pen.moved => space(self.out),
            _ => {}
        }
        pen.shown_y = Some(pen.y);
        pen.moved = false;
        pen.new_line = false;
    }

    fn content(&mut self, bytes: &[u8], scope: &Scope<'d>, depth: u32) -> Result<(), PageError> {
        let ops = Content::decode(bytes)?.operations;
        let mut font: Option<&'d Dictionary> = None;
        for (i, op) in ops.iter().enumerate() {
            if i % 4096 == 4095 {
                self.input.check_time().map_err(PageError::Stop)?;
            }
            let num = |k: usize| {
                op.operands
                    .get(k)
                    .and_then(|o| o.as_float().ok())
                    .unwrap_or(0.0)
            };
            let pen = &mut self.pen;
            match op.operator.as_str() {
                // The text matrix starts at the identity in every text object.
                "BT" => {
                    pen.y = 0.0;
                    pen.moved = true;
                    pen.new_line = false;
                }
                "Tf" => {
                    font = op
                        .operands
                        .first()
                        .and_then(|o| o.as_name().ok())
                        .and_then(|name| lookup(self.doc, scope, b"Font", name))
                        .and_then(|o| o.as_dict().ok());
                }
                "TL" => pen.leading = num(0),
                "Td" | "TD" => {
                    if op.operator == "TD" {
                        pen.leading = -num(1);
                    }
                    pen.y += num(1);
                    pen.moved = true;
                }
                // An absolute position: it alone decides whether this is a new line.
                "Tm" => {
                    pen.y = num(5);
                    pen.moved = true;
                    pen.new_line = false;
                }
                "T*" => pen.next_line(),
                "Tj" | "TJ" => {
                    self.before_show();
                    let enc = font.and_then(|f| self.fonts.get(self.doc, f));
                    show(self.out, enc, &op.operands)
                }
                "'" | "\"" => {
                    pen.next_line();
                    self.before_show();
                    let enc = font.and_then(|f| self.fonts.get(self.doc, f));
                    let last = op.operands.len().saturating_sub(1);
                    show(self.out, enc, op.operands.get(last..).unwrap_or(&[]))
                }
                "BI" | "ID" => self.images = true,
                "Do" => {
                    let Some(name) = op.operands.first().and_then(|o| o.as_name().ok()) else {
                        continue;
                    };
                    self.xobject(scope, name, depth)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// `Do`: an image marks the page as showing images; a form's content is walked with its
    /// own resources in front of the page's.
    fn xobject(&mut self, scope: &Scope<'d>, name: &[u8], depth: u32) -> Result<(), PageError> {
        let Some(Object::Reference(id)) = scope.iter().find_map(|res| {
            let cat = res.get_deref(b"XObject", self.doc).ok()?.as_dict().ok()?;
            cat.get(name).ok()
        }) else {
            return Ok(());
        };
        let Ok(stream) = self.doc.get_object(*id).and_then(Object::as_stream) else {
            return Ok(());
        };
        match stream.dict.get(b"Subtype").and_then(Object::as_name) {
            Ok(b"Image") => self.images = true,
            Ok(b"Form") if depth < MAX_FORM_DEPTH && self.seen_forms.insert(*id) => {
                let bytes = stream.get_plain_content()?;
                let mut inner = scope.clone();
                if let Ok(res) = stream
                    .dict
                    .get_deref(b"Resources", self.doc)
                    .and_then(Object::as_dict)
                {
                    inner.insert(0, res);
                }
                // A form is a block of its own, in its own coordinates.
                newline(self.out);
                self.pen = Pen::default();
                self.content(&bytes, &inner, depth + 1)?;
                newline(self.out);
                self.pen = Pen::default();
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::testing::{fixture, run};

    /// The text of each page, in page order.
    fn pages(name: &str) -> (Result<Extracted, ExtractError>, Vec<(u32, String)>) {
        let (r, t) = run(name, &fixture(name), extract);
        let pages = t
            .chunks
            .into_iter()
            .map(|(loc, text, _)| (loc.page.unwrap_or(0), text))
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
        use lopdf::{dictionary, Stream};
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
        });
        let form = doc.add_object(Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Form",
                "BBox" => vec![0.into(), 0.into(), 100.into(), 100.into()],
                "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
            },
            form.to_vec(),
        ));
        let resources = doc.add_object(dictionary! {
            "Font" => dictionary! { "F1" => font },
            "XObject" => dictionary! { "X1" => form },
        });
        let contents = doc.add_object(Stream::new(dictionary! {}, content.to_vec()));
        let page = doc.add_object(
            dictionary! { "Type" => "Page", "Parent" => pages_id, "Contents" => contents },
        );
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1, "Resources" => resources,
                "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        let mut buf = Vec::new();
        doc.save_to(&mut buf).expect("written");
        buf
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
}
