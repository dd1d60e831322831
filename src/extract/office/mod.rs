//! Office text documents: docx and pptx (Office Open XML), odt and odp (OpenDocument), and rtf.
//!
//! A document is read part by part. Each part's XML is streamed through quick-xml as it
//! decompresses ([`xml`], which also bounds what XML could make grow: one event, nesting,
//! entities) and turned into plain text: the runs of a paragraph are joined with nothing
//! between them (Word splits `01019012345` into runs wherever formatting or spell-checking
//! touched it), paragraphs and line breaks end lines, tabs stay tabs. The text goes to the
//! detector through a windower as it is made ([`PartText`]), so a part of any size costs the
//! same memory, located `{"part": ..., "line": L, "column": C}` where `line` counts the
//! paragraphs (and line breaks) of that part. The parts:
//!
//! * docx: `body`, `header1`.., `footer1`.., `footnotes`, `endnotes`, `comments` (tracked
//!   deletions are text too: still in the file);
//! * pptx: `slide N` and `notes N` (speaker notes) and `comments N`, N in presentation order;
//! * odt: `content` (body; notes and annotations on lines of their own) and `styles`
//!   (headers, footers);
//! * odp: `slide N` and `notes N` from `content.xml`, `styles` for master pages;
//! * rtf ([`rtf`]): no parts; `line` counts paragraphs of the text (footnotes and comments
//!   included).
//!
//! Tables are told to the part's writer as they open and close ([`part`]), so that each
//! cell goes to the detector with its column's header as context; document properties are
//! read by [`props`].
//!
//! Files embedded in OOXML documents (`word/embeddings/`, `ppt/embeddings/`: a spreadsheet
//! pasted into a report) are scanned as members, `report.docx!/word/embeddings/x.xlsx`.
//! A part whose XML is damaged keeps the text read before the damage and makes the document
//! `partial` (reason `damaged_parts`); a limit keeps it too, and stops the document.

mod part;
pub(crate) mod props;
mod rtf;
pub(crate) mod xml;

use std::io::{Read, Seek};

use quick_xml::events::{BytesStart, Event};

use self::part::PartText;
use self::xml::{Xml, XmlError};
use super::archive;
use super::{Clock, ExtractError, Extracted, Input, Sink, Status};
use crate::detect::Detector;
use crate::read::sniff::Format;

pub(crate) use self::rtf::extract as rtf;

/// How an XML vocabulary marks up text (local element names).
struct Vocab {
    /// Elements after which a line ends.
    paragraphs: &'static [&'static [u8]],
    /// Elements whose text is document text; empty: all text inside a paragraph is.
    text: &'static [&'static [u8]],
    tabs: &'static [&'static [u8]],
    breaks: &'static [&'static [u8]],
    /// ODF's `text:s`: `c` spaces.
    spaces: &'static [u8],
    /// Elements left out with all they contain (duplicate fallback copies, tab stop lists).
    skip: &'static [&'static [u8]],
    /// Elements inside a paragraph set on lines of their own (ODF footnotes and comments, so
    /// that `Se note.` + `Telefon 40300040` do not run together).
    apart: &'static [&'static [u8]],
    tables: TableVocab,
}

/// How a vocabulary marks up tables (see [`part`]).
struct TableVocab {
    table: &'static [u8],
    row: &'static [u8],
    /// Elements that are one cell each (ODF's covered cells under a merge too).
    cells: &'static [&'static [u8]],
    /// An element inside a row that makes it a header row (Word's `tblHeader`).
    header_mark: &'static [u8],
    /// An element around header rows (ODF's `table-header-rows`).
    header_rows: &'static [u8],
    /// An element inside a cell whose `val` is the number of grid columns the cell spans
    /// (Word's `gridSpan`; DrawingML and ODF write a cell element per merged column instead).
    span: &'static [u8],
    /// An attribute of a cell that repeats it (ODF's `number-columns-repeated`).
    repeat: &'static [u8],
}

const OOXML: Vocab = Vocab {
    // `cm`: a legacy pptx comment, which has no paragraphs of its own.
    paragraphs: &[b"p", b"cm"],
    // `delText`: text of a tracked deletion; `text`: a legacy pptx comment.
    text: &[b"t", b"delText", b"text"],
    tabs: &[b"tab"],
    breaks: &[b"br", b"cr"],
    spaces: b"",
    skip: &[b"Fallback", b"tabs", b"tabLst", b"instrText"],
    apart: &[],
    // WordprocessingML `w:tbl` and DrawingML `a:tbl` (pptx) alike.
    tables: TableVocab {
        table: b"tbl",
        row: b"tr",
        cells: &[b"tc"],
        header_mark: b"tblHeader",
        header_rows: b"",
        span: b"gridSpan",
        repeat: b"",
    },
};

const ODF: Vocab = Vocab {
    paragraphs: &[b"p", b"h"],
    text: &[],
    tabs: &[b"tab"],
    breaks: &[b"line-break"],
    spaces: b"s",
    // The note's number, glued to the text around it otherwise.
    skip: &[b"note-citation"],
    apart: &[b"note-body", b"annotation"],
    tables: TableVocab {
        table: b"table",
        row: b"table-row",
        cells: &[b"table-cell", b"covered-table-cell"],
        header_mark: b"",
        header_rows: b"table-header-rows",
        span: b"",
        repeat: b"number-columns-repeated",
    },
};

/// The parts an XML walk writes to: one, except in an odp `content.xml`, which holds every
/// slide and its speaker notes.
struct Parts<'s, 'd> {
    sink: &'s mut dyn Sink,
    det: &'d Detector,
    open: Vec<(String, PartText<'d>)>,
    current: usize,
}

impl<'s, 'd> Parts<'s, 'd> {
    fn new(sink: &'s mut dyn Sink, det: &'d Detector) -> Parts<'s, 'd> {
        Parts {
            sink,
            det,
            open: Vec::new(),
            current: 0,
        }
    }

    /// Makes `name` the part text goes to (opened if new).
    fn switch(&mut self, name: &str) {
        self.current = match self.open.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                let part = PartText::new(Some(name), self.det);
                self.open.push((name.to_string(), part));
                self.open.len() - 1
            }
        };
    }

    /// The current part, and the sink it writes to.
    fn part(&mut self) -> (&mut PartText<'d>, &mut dyn Sink) {
        if self.open.is_empty() {
            self.switch("body");
        }
        (&mut self.open[self.current].1, &mut *self.sink)
    }

    fn push(&mut self, text: &str) {
        let (part, sink) = self.part();
        part.push(text, sink);
    }

    fn push_char(&mut self, c: char) {
        let (part, sink) = self.part();
        part.push_char(c, sink);
    }

    fn end_line(&mut self) {
        let (part, sink) = self.part();
        part.end_line(sink);
    }

    /// Hands out what is left of part `name` and closes it (a slide whose page ended).
    fn close(&mut self, name: &str) {
        if let Some(i) = self.open.iter().position(|(n, _)| n == name) {
            let (_, mut part) = self.open.remove(i);
            part.finish(self.sink);
            self.current = 0;
        }
    }

    /// Hands out what is left of every part.
    fn finish(&mut self) {
        for (_, part) in &mut self.open {
            part.finish(self.sink);
        }
        self.open.clear();
    }
}

/// The state of a walk through one XML part.
struct Walk<'v> {
    vocab: &'v Vocab,
    /// The part the walk started in.
    name: &'v str,
    in_para: u32,
    in_text: u32,
    /// Depth inside an element left out.
    skipping: u32,
    /// Depth inside ODF header rows.
    header_rows: u32,
    slide: u32,
}

/// Walks one XML part into `parts`, starting in part `name`. An odp `content.xml` switches to
/// `slide N`/`notes N` as it goes. On damage, the text before it has been written.
fn walk(
    xml: &mut Xml<'_>,
    vocab: &Vocab,
    name: &str,
    parts: &mut Parts<'_, '_>,
    clock: Clock,
) -> Result<(), XmlError> {
    parts.switch(name);
    let mut w = Walk {
        vocab,
        name,
        in_para: 0,
        in_text: 0,
        skipping: 0,
        header_rows: 0,
        slide: 0,
    };
    let mut ticks = 0u32;
    loop {
        ticks = ticks.wrapping_add(1);
        if ticks % 4096 == 0 {
            clock.check().map_err(ExtractError::from)?;
        }
        let event = xml.next()?;
        match &event {
            Event::Eof => return Ok(()),
            Event::Start(e) if w.skipping > 0 => {
                w.skipping += u32::from(vocab.skip.contains(&e.local_name().as_ref()));
            }
            Event::End(e) if w.skipping > 0 => {
                w.skipping -= u32::from(vocab.skip.contains(&e.local_name().as_ref()));
            }
            _ if w.skipping > 0 => {}
            Event::Start(e) => w.start(e, parts),
            Event::End(e) => w.end(e, parts),
            Event::Empty(e) => w.empty(e, parts),
            e if w.text_here() => {
                if let Some(t) = xml::text(e)? {
                    parts.push(&t);
                }
            }
            _ => {}
        }
    }
}

impl Walk<'_> {
    fn text_here(&self) -> bool {
        if self.vocab.text.is_empty() {
            self.in_para > 0
        } else {
            self.in_text > 0
        }
    }

    fn start(&mut self, e: &BytesStart<'_>, parts: &mut Parts<'_, '_>) {
        let (vocab, t) = (self.vocab, &self.vocab.tables);
        let local = e.local_name();
        let local = local.as_ref();
        if vocab.skip.contains(&local) {
            self.skipping = 1;
        } else if vocab.paragraphs.contains(&local) {
            self.in_para += 1;
        } else if vocab.text.contains(&local) {
            self.in_text += 1;
        } else if vocab.apart.contains(&local) {
            parts.end_line();
        } else if local == t.table {
            let (p, sink) = parts.part();
            p.table_start(sink);
        } else if local == t.row {
            let (p, sink) = parts.part();
            p.row_start(self.header_rows > 0, sink);
        } else if t.cells.contains(&local) {
            let (p, sink) = parts.part();
            p.cell_start(cell_repeat(e, t), sink);
        } else if local == t.header_rows {
            self.header_rows += 1;
        } else if e.name().as_ref() == b"draw:page" {
            self.slide += 1;
            parts.switch(&format!("slide {}", self.slide));
        } else if e.name().as_ref() == b"presentation:notes" {
            parts.switch(&format!("notes {}", self.slide));
        }
    }

    fn end(&mut self, e: &quick_xml::events::BytesEnd<'_>, parts: &mut Parts<'_, '_>) {
        let (vocab, t) = (self.vocab, &self.vocab.tables);
        let local = e.local_name();
        let local = local.as_ref();
        if vocab.paragraphs.contains(&local) {
            self.in_para = self.in_para.saturating_sub(1);
            parts.push("\n");
        } else if vocab.text.contains(&local) {
            self.in_text = self.in_text.saturating_sub(1);
        } else if vocab.apart.contains(&local) {
            parts.end_line();
        } else if local == t.table {
            let (p, sink) = parts.part();
            p.table_end(sink);
        } else if local == t.row {
            let (p, sink) = parts.part();
            p.row_end(sink);
        } else if t.cells.contains(&local) {
            let (p, sink) = parts.part();
            p.cell_end(sink);
        } else if local == t.header_rows {
            self.header_rows = self.header_rows.saturating_sub(1);
        } else if e.name().as_ref() == b"presentation:notes" {
            parts.switch(&format!("slide {}", self.slide));
        } else if e.name().as_ref() == b"draw:page" {
            parts.close(&format!("slide {}", self.slide));
            parts.close(&format!("notes {}", self.slide));
            parts.switch(self.name);
        }
    }

    /// A self-closing element: tabs, breaks, ODF spaces, empty paragraphs, empty cells and
    /// the marks and spans of tables.
    fn empty(&mut self, e: &BytesStart<'_>, parts: &mut Parts<'_, '_>) {
        let (vocab, t) = (self.vocab, &self.vocab.tables);
        let local = e.local_name();
        let local = local.as_ref();
        if vocab.tabs.contains(&local) {
            parts.push_char('\t');
        } else if vocab.breaks.contains(&local) || vocab.paragraphs.contains(&local) {
            parts.push_char('\n');
        } else if !vocab.spaces.is_empty() && local == vocab.spaces {
            let n = xml::attr(e, b"c")
                .and_then(|c| c.parse::<usize>().ok())
                .unwrap_or(1);
            // A count is a header value: cap it rather than trust it.
            for _ in 0..n.min(64) {
                parts.push_char(' ');
            }
        } else if t.cells.contains(&local) {
            let (p, sink) = parts.part();
            p.cell_start(cell_repeat(e, t), sink);
            p.cell_end(sink);
        } else if local == t.span {
            let span = xml::attr(e, b"val").and_then(|v| v.parse().ok());
            parts.part().0.cell_span(span.unwrap_or(1));
        } else if local == t.header_mark {
            parts.part().0.mark_header_row();
        }
    }
}

/// How many columns a cell element stands for (ODF repeats cells with an attribute).
fn cell_repeat(e: &BytesStart<'_>, t: &TableVocab) -> u32 {
    if t.repeat.is_empty() {
        return 1;
    }
    xml::attr(e, t.repeat)
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// The docx part name for a zip member, or None for members without text.
fn docx_part(member: &str) -> Option<String> {
    let file = member.strip_prefix("word/")?.strip_suffix(".xml")?;
    if file == "document" {
        return Some("body".into());
    }
    let known = ["header", "footer", "footnotes", "endnotes", "comments"];
    let digits = file.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let word = &file[..file.len() - digits.len()];
    (known.contains(&word) && digits.bytes().all(|b| b.is_ascii_digit())).then(|| file.to_string())
}

/// Office documents stored as zip files.
pub(crate) fn extract(
    input: &mut Input<'_>,
    kind: Format,
    sink: &mut dyn Sink,
) -> Result<Extracted, ExtractError> {
    let (limits, clock, size) = (input.limits, input.clock, input.size.unwrap_or(0));
    let det = input.det;
    let mut zip = archive::open_zip(input)?;
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    // (zip member, part name, vocabulary)
    let mut plan: Vec<(String, String, &Vocab)> = Vec::new();
    match kind {
        Format::Docx => {
            let mut word: Vec<(String, String)> = names
                .iter()
                .filter_map(|n| Some((n.clone(), docx_part(n)?)))
                .collect();
            // The body first, then the other parts by name (header2 before header10).
            word.sort_by_key(|(_, p)| {
                (
                    p != "body",
                    p.trim_end_matches(|c: char| c.is_ascii_digit()).to_string(),
                    natural(p),
                )
            });
            plan.extend(word.into_iter().map(|(m, p)| (m, p, &OOXML)));
        }
        Format::Pptx => {
            for (n, slide) in pptx_slides(&mut zip, &names, limits)?
                .into_iter()
                .enumerate()
            {
                let n = n + 1;
                let rels = rels(&mut zip, &slide, limits)?;
                plan.push((slide, format!("slide {n}"), &OOXML));
                for rel in rels {
                    if rel.kind.ends_with("/notesSlide") {
                        plan.push((rel.target, format!("notes {n}"), &OOXML));
                    } else if rel.kind.ends_with("/comments") {
                        plan.push((rel.target, format!("comments {n}"), &OOXML));
                    }
                }
            }
        }
        Format::Odt | Format::Odp => {
            let what = if kind == Format::Odt {
                "OpenDocument text"
            } else {
                "OpenDocument presentation"
            };
            refuse_encrypted(&mut zip, limits, what)?;
            plan.push(("content.xml".into(), "content".into(), &ODF));
            plan.push(("styles.xml".into(), "styles".into(), &ODF));
        }
        _ => unreachable!("office::extract is called for text documents only"),
    }
    let mut damaged = Vec::new();
    let mut unexpanded = 0;
    for (member, part, vocab) in &plan {
        clock.check()?;
        let mut xml = match Xml::open(&mut zip, member, limits) {
            Ok(Some(x)) => x,
            Ok(None) => continue,
            Err(ExtractError::Corrupt(_)) => {
                damaged.push(part.clone());
                continue;
            }
            Err(e) => return Err(e),
        };
        let mut parts = Parts::new(sink, det);
        let walked = walk(&mut xml, vocab, part, &mut parts, clock);
        // What was read before damage or a limit is reported either way.
        parts.finish();
        unexpanded += xml.unexpanded;
        match walked {
            Ok(()) => {}
            Err(XmlError::Damaged) => damaged.push(part.clone()),
            Err(XmlError::Stop(e)) => return Err(e),
        }
    }
    let properties = match kind {
        Format::Docx | Format::Pptx => props::ooxml(&mut zip, limits, sink)?,
        _ => props::odf(&mut zip, limits, sink)?,
    };
    if !properties {
        damaged.push("properties".into());
    }
    for i in 0..zip.len() {
        clock.check()?;
        let embedded = zip
            .name_for_index(i)
            .is_some_and(|n| n.starts_with("word/embeddings/") || n.starts_with("ppt/embeddings/"));
        if !embedded {
            continue;
        }
        match archive::nested_member(&mut zip, i, limits, sink)? {
            archive::Member::Read | archive::Member::NotAFile => {}
            archive::Member::Encrypted(n)
            | archive::Member::Unsupported(n)
            | archive::Member::Damaged(n) => damaged.push(n),
        }
    }
    Ok(note(
        Extracted::new(kind.name(), size),
        &damaged,
        unexpanded,
    ))
}

/// The status of a document some of whose parts could not be read whole: `partial`, with the
/// damaged parts, or with the entity references left unexpanded.
pub(super) fn note(out: Extracted, damaged: &[String], unexpanded: u64) -> Extracted {
    if !damaged.is_empty() {
        return out.with_note(
            Status::Partial,
            "damaged_parts",
            format!(
                "{} damaged part(s) read up to the damage: {}",
                damaged.len(),
                damaged.join(", ")
            ),
        );
    }
    if unexpanded > 0 {
        return out.with_note(
            Status::Partial,
            xml::UNEXPANDED,
            xml::unexpanded_detail(unexpanded),
        );
    }
    out
}

/// Refuses an OpenDocument file whose parts are encrypted (a password was set when it was
/// saved): its `META-INF/manifest.xml` lists them with `manifest:encryption-data`. Their bytes
/// are AES or Blowfish output, which would otherwise read as damaged XML.
pub(crate) fn refuse_encrypted<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    limits: &super::Limits,
    what: &str,
) -> Result<(), ExtractError> {
    let Some(mut x) = Xml::open(zip, "META-INF/manifest.xml", limits)? else {
        return Ok(());
    };
    let mut encrypted = 0u32;
    loop {
        match x.next() {
            Ok(Event::Start(e) | Event::Empty(e))
                if e.local_name().as_ref() == b"encryption-data" =>
            {
                encrypted += 1
            }
            Ok(Event::Eof) | Err(XmlError::Damaged) => break,
            Ok(_) => {}
            Err(XmlError::Stop(e)) => return Err(e),
        }
    }
    if encrypted > 0 {
        return Err(ExtractError::Encrypted(format!(
            "password-protected {what} ({encrypted} encrypted parts)"
        )));
    }
    Ok(())
}

/// The encoding of a Windows code page number, as RTF (`\ansicpgN`), BIFF (`CODEPAGE`) and
/// OLE property sets give it. None for code pages without a decoder (the caller keeps its
/// default, Windows-1252).
pub(crate) fn code_page(n: i64) -> Option<&'static encoding_rs::Encoding> {
    use encoding_rs::*;
    Some(match n {
        874 => WINDOWS_874,
        932 => SHIFT_JIS,
        936 => GBK,
        949 => EUC_KR,
        950 => BIG5,
        1200 => UTF_16LE,
        1201 => UTF_16BE,
        1250 => WINDOWS_1250,
        1251 => WINDOWS_1251,
        1252 => WINDOWS_1252,
        1253 => WINDOWS_1253,
        1254 => WINDOWS_1254,
        1255 => WINDOWS_1255,
        1256 => WINDOWS_1256,
        1257 => WINDOWS_1257,
        1258 => WINDOWS_1258,
        866 => IBM866,
        10000 => MACINTOSH,
        20866 => KOI8_R,
        28591 => WINDOWS_1252,
        28592 => ISO_8859_2,
        28605 => ISO_8859_15,
        65001 => UTF_8,
        _ => return None,
    })
}

/// Orders names with numbers by the numbers (`slide2` before `slide10`).
fn natural(name: &str) -> u64 {
    let digits: String = name.chars().filter(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(0)
}

/// The slide parts in presentation order (from `presentation.xml` and its relationships), or
/// by their file numbers when those cannot be read.
fn pptx_slides<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    names: &[String],
    limits: &super::Limits,
) -> Result<Vec<String>, ExtractError> {
    let rels = rels(zip, "ppt/presentation.xml", limits)?;
    let mut ordered = Vec::new();
    if let Some(mut xml) = Xml::open(zip, "ppt/presentation.xml", limits)? {
        loop {
            match xml.next() {
                Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == b"sldId" => {
                    let id = e
                        .attributes()
                        .with_checks(false)
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == b"id" && a.key.prefix().is_some())
                        .map(|a| String::from_utf8_lossy(&a.value).into_owned());
                    if let Some(target) =
                        id.and_then(|id| rels.iter().find(|r| r.id == id).map(|r| r.target.clone()))
                    {
                        ordered.push(target);
                    }
                }
                Ok(Event::Eof) | Err(XmlError::Damaged) => break,
                Ok(_) => {}
                Err(XmlError::Stop(e)) => return Err(e),
            }
        }
    }
    ordered.retain(|t| names.contains(t));
    if ordered.is_empty() {
        ordered = names
            .iter()
            .filter(|n| n.starts_with("ppt/slides/slide") && n.ends_with(".xml"))
            .cloned()
            .collect();
        ordered.sort_by_key(|n| natural(n));
    }
    Ok(ordered)
}

/// One relationship of an OOXML part.
pub(crate) struct Rel {
    pub id: String,
    /// The relationship type, a URI (`.../relationships/worksheet`).
    pub kind: String,
    /// The target as a member name.
    pub target: String,
}

/// The relationships of an OOXML part, from `dir/_rels/file.rels`. A damaged relationship
/// part gives what was read before the damage.
pub(crate) fn rels<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    part: &str,
    limits: &super::Limits,
) -> Result<Vec<Rel>, ExtractError> {
    let (dir, file) = part.rsplit_once('/').unwrap_or(("", part));
    let rels_name = format!("{dir}/_rels/{file}.rels");
    let mut out = Vec::new();
    let Some(mut xml) = Xml::open(zip, rels_name.trim_start_matches('/'), limits)? else {
        return Ok(out);
    };
    loop {
        match xml.next() {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == b"Relationship" => {
                let attr = |name| xml::attr(&e, name).unwrap_or_default();
                let target = attr(b"Target");
                if !target.is_empty() && attr(b"TargetMode") != "External" {
                    out.push(Rel {
                        id: attr(b"Id"),
                        kind: attr(b"Type"),
                        target: resolve(dir, &target),
                    });
                }
            }
            Ok(Event::Eof) | Err(XmlError::Damaged) => return Ok(out),
            Ok(_) => {}
            Err(XmlError::Stop(e)) => return Err(e),
        }
    }
}

/// A relationship target relative to the part's folder, as a member name.
fn resolve(dir: &str, target: &str) -> String {
    if let Some(abs) = target.strip_prefix('/') {
        return abs.to_string();
    }
    let mut path: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for p in target.split('/') {
        match p {
            ".." => {
                path.pop();
            }
            "." | "" => {}
            p => path.push(p),
        }
    }
    path.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::testing::Texts;
    use crate::extract::Limits;

    /// The text of each part a walk wrote, in the order the parts were first written, and how
    /// the walk ended.
    fn walked(xml: &[u8], vocab: &Vocab) -> (Vec<(String, String)>, Result<(), XmlError>) {
        let mut sink = Texts::default();
        let limits = Limits::default();
        let det = Detector::builtin();
        let r = {
            let mut parts = Parts::new(&mut sink, &det);
            let r = walk(
                &mut Xml::new(xml),
                vocab,
                "body",
                &mut parts,
                Clock::start(&limits),
            );
            parts.finish();
            r
        };
        let mut out: Vec<(String, String)> = Vec::new();
        for (loc, text, _) in sink.chunks {
            let part = loc.part.unwrap_or_default();
            match out.iter_mut().find(|(p, _)| *p == part) {
                Some((_, t)) => t.push_str(&text),
                None => out.push((part, text)),
            }
        }
        (out, r)
    }

    fn texts(xml: &str, vocab: &Vocab) -> Vec<(String, String)> {
        let (parts, r) = walked(xml.as_bytes(), vocab);
        assert!(r.is_ok(), "{r:?}");
        parts
    }

    #[test]
    fn runs_of_a_paragraph_are_joined_and_paragraphs_are_lines() {
        let xml = r#"<w:document xmlns:w="w"><w:body>
            <w:p><w:pPr><w:tabs><w:tab w:val="left"/></w:tabs></w:pPr>
              <w:r><w:t>Fnr: 1309</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>7248</w:t></w:r><w:r><w:t xml:space="preserve">022 </w:t></w:r></w:p>
            <w:p><w:r><w:t>a&amp;b</w:t><w:tab/><w:t>&#64;</w:t></w:r></w:p>
            <w:p><w:r><w:delText>slettet</w:delText></w:r></w:p>
            <mc:AlternateContent xmlns:mc="mc"><mc:Choice><w:p><w:r><w:t>boks</w:t></w:r></w:p></mc:Choice>
              <mc:Fallback><w:p><w:r><w:t>boks</w:t></w:r></w:p></mc:Fallback></mc:AlternateContent>
            </w:body></w:document>"#;
        let parts = texts(xml, &OOXML);
        assert_eq!(
            parts,
            vec![(
                "body".to_string(),
                "Fnr: 13097248022 \na&b\t@\nslettet\nboks\n".to_string()
            )]
        );
    }

    #[test]
    fn odp_slides_and_notes_are_parts_of_their_own() {
        let xml = r#"<office:document-content xmlns:office="o" xmlns:draw="d" xmlns:text="t" xmlns:presentation="p"><office:body>
            <draw:page><draw:frame><draw:text-box><text:p>En<text:s text:c="2"/>to</text:p></draw:text-box></draw:frame>
              <presentation:notes><draw:frame><draw:text-box><text:p>Notat <text:span>4030</text:span>0040</text:p></draw:text-box></draw:frame></presentation:notes></draw:page>
            <draw:page><draw:frame><draw:text-box><text:p>Tre</text:p></draw:text-box></draw:frame></draw:page>
            </office:body></office:document-content>"#;
        let parts = texts(xml, &ODF);
        let get = |n: &str| parts.iter().find(|(p, _)| p == n).map(|(_, t)| t.as_str());
        assert_eq!(get("slide 1"), Some("En  to\n"));
        assert_eq!(get("notes 1"), Some("Notat 40300040\n"));
        assert_eq!(get("slide 2"), Some("Tre\n"));
    }

    #[test]
    fn odf_notes_are_lines_of_their_own_without_their_number() {
        let xml = r#"<text:p>Se note.<text:note><text:note-citation>1</text:note-citation><text:note-body><text:p>Telefon 40300040</text:p></text:note-body></text:note> Slutt.</text:p>"#;
        assert_eq!(
            texts(xml, &ODF)[0].1,
            "Se note.\nTelefon 40300040\n Slutt.\n"
        );
    }

    #[test]
    fn damaged_xml_keeps_the_text_before_the_damage() {
        let (parts, r) = walked(b"<w:p><w:t>1309</w:t></w:p><w:p><w:t>x</w:q>", &OOXML);
        assert!(matches!(r, Err(XmlError::Damaged)), "{r:?}");
        assert_eq!(parts[0].1, "1309\nx");
    }

    /// (text, identity flag) of every chunk a walk hands out.
    fn table_chunks(xml: &str, vocab: &Vocab) -> Vec<(String, bool)> {
        let mut sink = Texts::default();
        let det = Detector::builtin();
        let limits = Limits::default();
        let mut parts = Parts::new(&mut sink, &det);
        let r = walk(
            &mut Xml::new(xml.as_bytes()),
            vocab,
            "body",
            &mut parts,
            Clock::start(&limits),
        );
        parts.finish();
        assert!(r.is_ok(), "{r:?}");
        sink.chunks.into_iter().map(|(_, t, id)| (t, id)).collect()
    }

    #[test]
    fn word_tables_give_cells_their_column_headers() {
        // A title row spanning both columns (gridSpan), a row marked as a header, data.
        let xml = r#"<w:document xmlns:w="w"><w:body><w:tbl><w:tblGrid/>
            <w:tr><w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p><w:r><w:t>Ansatte</w:t></w:r></w:p></w:tc></w:tr>
            <w:tr><w:trPr><w:tblHeader/></w:trPr><w:tc><w:p><w:r><w:t>Navn</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Personnummer</w:t></w:r></w:p></w:tc></w:tr>
            <w:tr><w:tc><w:p><w:r><w:t>Kari</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>3851598730</w:t></w:r></w:p><w:p><w:r><w:t>40300040</w:t></w:r></w:p></w:tc></w:tr>
            </w:tbl><w:p><w:r><w:t>Slutt</w:t></w:r></w:p></w:body></w:document>"#;
        assert_eq!(
            table_chunks(xml, &OOXML),
            [
                ("Ansatte\nNavn\nPersonnummer\n".into(), false),
                ("Kari\n".into(), false),
                ("3851598730\n40300040\n".into(), true),
                ("Slutt\n".into(), false),
            ]
        );
    }

    #[test]
    fn odf_and_drawingml_tables_too() {
        // ODF: header rows, a repeated empty cell that still counts its columns, a covered cell.
        let odf = r#"<office:text xmlns:table="t" xmlns:text="x"><table:table><table:table-header-rows><table:table-row>
            <table:table-cell table:number-columns-repeated="2"/><table:table-cell><text:p>Fødselsnummer</text:p></table:table-cell></table:table-row></table:table-header-rows>
            <table:table-row><table:table-cell table:number-columns-spanned="2"><text:p>Kari</text:p></table:table-cell><table:covered-table-cell/><table:table-cell><text:p>13097248022</text:p></table:table-cell></table:table-row>
            </table:table></office:text>"#;
        assert_eq!(
            table_chunks(odf, &ODF),
            [
                ("Fødselsnummer\n".into(), false),
                ("Kari\n".into(), false),
                ("13097248022\n".into(), true),
            ]
        );
        // DrawingML (pptx): a merged-away cell is a cell element of its own.
        let pptx = r#"<p:sld xmlns:a="a" xmlns:p="p"><a:tbl><a:tr><a:tc gridSpan="2"><a:txBody><a:p><a:r><a:t>Navn</a:t></a:r></a:p></a:txBody></a:tc><a:tc hMerge="1"/><a:tc><a:txBody><a:p><a:r><a:t>Fnr</a:t></a:r></a:p></a:txBody></a:tc></a:tr>
            <a:tr><a:tc><a:txBody><a:p><a:r><a:t>Kari</a:t></a:r></a:p></a:txBody></a:tc><a:tc/><a:tc><a:txBody><a:p><a:r><a:t>13097248022</a:t></a:r></a:p></a:txBody></a:tc></a:tr></a:tbl></p:sld>"#;
        assert_eq!(
            table_chunks(pptx, &OOXML),
            [
                ("Navn\nFnr\n".into(), false),
                ("Kari\n".into(), false),
                ("13097248022\n".into(), true),
            ]
        );
    }

    #[test]
    fn docx_parts_are_named_by_their_role() {
        assert_eq!(docx_part("word/document.xml").as_deref(), Some("body"));
        assert_eq!(docx_part("word/header2.xml").as_deref(), Some("header2"));
        assert_eq!(
            docx_part("word/footnotes.xml").as_deref(),
            Some("footnotes")
        );
        assert_eq!(docx_part("word/styles.xml"), None);
        assert_eq!(docx_part("word/theme/theme1.xml"), None);
    }

    #[test]
    fn relationship_targets_resolve_to_member_names() {
        assert_eq!(
            resolve("ppt/slides", "../notesSlides/notesSlide1.xml"),
            "ppt/notesSlides/notesSlide1.xml"
        );
        assert_eq!(resolve("ppt", "slides/slide2.xml"), "ppt/slides/slide2.xml");
        assert_eq!(
            resolve("ppt", "/ppt/slides/slide2.xml"),
            "ppt/slides/slide2.xml"
        );
    }
}
