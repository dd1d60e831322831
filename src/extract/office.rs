//! Office text documents: docx and pptx (Office Open XML), odt and odp (OpenDocument), and rtf.
//!
//! A document is read part by part. Each part's XML is walked once with quick-xml and turned
//! into plain text: the runs of a paragraph are joined with nothing between them (Word splits
//! `01019012345` into runs wherever formatting or spell-checking touched it), paragraphs and
//! line breaks end lines, tabs stay tabs. Each part is then scanned as line-addressed text, so a
//! finding's location is `{"part": ..., "line": L, "column": C}` where `line` counts the
//! paragraphs (and line breaks) of that part. The parts:
//!
//! * docx: `body`, `header1`.., `footer1`.., `footnotes`, `endnotes`, `comments` (tracked
//!   deletions are text too: still in the file);
//! * pptx: `slide N` and `notes N` (speaker notes) and `comments N`, N in presentation order;
//! * odt: `content` (body; notes and annotations on lines of their own) and `styles`
//!   (headers, footers);
//! * odp: `slide N` and `notes N` from `content.xml`, `styles` for master pages;
//! * rtf: no parts; `line` counts paragraphs of the text (footnotes and comments included).
//!   RTF is interpreted by hand: the one Rust RTF crate (rtf-parser) builds a styled document
//!   model and depends on wasm-bindgen, and text extraction needs only groups, a few control
//!   words and the escapes.
//!
//! Files embedded in OOXML documents (`word/embeddings/`, `ppt/embeddings/`: a spreadsheet
//! pasted into a report) are scanned as members, `report.docx!/word/embeddings/x.xlsx`.
//! A part whose XML is damaged keeps the text read before the damage and makes the document
//! `partial` (reason `damaged_parts`).

use std::io::{Read, Seek};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::archive;
use super::window::{Addressing, Windower};
use super::{ExtractError, Extracted, Input, Location, Sink, Status};
use crate::detect::ChunkContext;
use crate::read::sniff::Format;

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
};

/// Texts by part name, in document order.
#[derive(Default)]
struct Parts {
    parts: Vec<(String, String)>,
    current: usize,
}

impl Parts {
    /// Makes `name` the part text goes to (created at the end if new).
    fn switch(&mut self, name: &str) {
        self.current = match self.parts.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                self.parts.push((name.to_string(), String::new()));
                self.parts.len() - 1
            }
        };
    }

    /// Ends the current line, unless it is already ended (or nothing has been written).
    fn end_line(&mut self) {
        let text = self.text();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
    }

    fn text(&mut self) -> &mut String {
        if self.parts.is_empty() {
            self.switch("body");
        }
        &mut self.parts[self.current].1
    }
}

/// Walks one XML part into `parts`, starting in part `name`. An odp `content.xml` switches to
/// `slide N`/`notes N` as it goes. Returns false if the XML is damaged (the text before the
/// damage is kept).
fn walk(xml: &[u8], vocab: &Vocab, name: &str, parts: &mut Parts) -> bool {
    parts.switch(name);
    let mut reader = Reader::from_reader(xml);
    let (mut in_para, mut in_text, mut skipping) = (0u32, 0u32, 0u32);
    let mut slide = 0u32;
    let text_here = |in_para: u32, in_text: u32| {
        if vocab.text.is_empty() {
            in_para > 0
        } else {
            in_text > 0
        }
    };
    loop {
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(_) => return false,
        };
        match event {
            Event::Eof => return true,
            Event::Start(e) if skipping > 0 => {
                skipping += u32::from(vocab.skip.contains(&e.local_name().as_ref()));
            }
            Event::End(e) if skipping > 0 => {
                skipping -= u32::from(vocab.skip.contains(&e.local_name().as_ref()));
            }
            _ if skipping > 0 => {}
            Event::Start(e) => {
                let local = e.local_name();
                let local = local.as_ref();
                if vocab.skip.contains(&local) {
                    skipping = 1;
                } else if vocab.paragraphs.contains(&local) {
                    in_para += 1;
                } else if vocab.text.contains(&local) {
                    in_text += 1;
                } else if vocab.apart.contains(&local) {
                    parts.end_line();
                } else if e.name().as_ref() == b"draw:page" {
                    slide += 1;
                    parts.switch(&format!("slide {slide}"));
                } else if e.name().as_ref() == b"presentation:notes" {
                    parts.switch(&format!("notes {slide}"));
                }
            }
            Event::End(e) => {
                let local = e.local_name();
                let local = local.as_ref();
                if vocab.paragraphs.contains(&local) {
                    in_para = in_para.saturating_sub(1);
                    parts.text().push('\n');
                } else if vocab.text.contains(&local) {
                    in_text = in_text.saturating_sub(1);
                } else if vocab.apart.contains(&local) {
                    parts.end_line();
                } else if e.name().as_ref() == b"presentation:notes" {
                    parts.switch(&format!("slide {slide}"));
                }
            }
            Event::Empty(e) => empty(&e, vocab, parts),
            Event::Text(t) if text_here(in_para, in_text) => match t.decode() {
                Ok(s) => parts.text().push_str(&s),
                Err(_) => return false,
            },
            Event::CData(t) if text_here(in_para, in_text) => match t.decode() {
                Ok(s) => parts.text().push_str(&s),
                Err(_) => return false,
            },
            Event::GeneralRef(r) if text_here(in_para, in_text) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    Ok(None) => match &*r {
                        b"amp" => Some('&'),
                        b"lt" => Some('<'),
                        b"gt" => Some('>'),
                        b"quot" => Some('"'),
                        b"apos" => Some('\''),
                        _ => None,
                    },
                    Err(_) => return false,
                };
                parts.text().extend(c);
            }
            _ => {}
        }
    }
}

/// A self-closing element: tabs, breaks, ODF spaces, empty paragraphs.
fn empty(e: &BytesStart<'_>, vocab: &Vocab, parts: &mut Parts) {
    let local = e.local_name();
    let local = local.as_ref();
    if vocab.tabs.contains(&local) {
        parts.text().push('\t');
    } else if vocab.breaks.contains(&local) || vocab.paragraphs.contains(&local) {
        parts.text().push('\n');
    } else if !vocab.spaces.is_empty() && local == vocab.spaces {
        let n = e
            .attributes()
            .flatten()
            .find(|a| a.key.local_name().as_ref() == b"c")
            .and_then(|a| std::str::from_utf8(&a.value).ok()?.parse::<usize>().ok())
            .unwrap_or(1);
        // A count is a header value: cap it rather than trust it.
        parts.text().extend(std::iter::repeat_n(' ', n.min(64)));
    }
}

/// Scans each part's text as line-addressed text located by its part name.
fn emit(parts: &Parts, sink: &mut dyn Sink) {
    for (name, text) in &parts.parts {
        if text.trim().is_empty() {
            continue;
        }
        let base = Location {
            part: Some(name.clone()),
            ..Location::default()
        };
        let mut w = Windower::new(Addressing::Lines, &base, ChunkContext::default());
        w.buffer().push_str(text);
        w.flush(sink, true);
    }
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
pub fn extract(
    input: &mut Input<'_>,
    kind: Format,
    sink: &mut dyn Sink,
) -> Result<Extracted, ExtractError> {
    let (limits, clock, size) = (input.limits, input.clock, input.size.unwrap_or(0));
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
            for (n, slide) in pptx_slides(&mut zip, &names, limits)
                .into_iter()
                .enumerate()
            {
                let n = n + 1;
                let rels = pptx_rels(&mut zip, &slide, limits);
                plan.push((slide, format!("slide {n}"), &OOXML));
                for (kind, target) in rels {
                    if kind.ends_with("/notesSlide") {
                        plan.push((target, format!("notes {n}"), &OOXML));
                    } else if kind.ends_with("/comments") {
                        plan.push((target, format!("comments {n}"), &OOXML));
                    }
                }
            }
        }
        Format::Odt | Format::Odp => {
            plan.push(("content.xml".into(), "content".into(), &ODF));
            plan.push(("styles.xml".into(), "styles".into(), &ODF));
        }
        _ => unreachable!("office::extract is called for text documents only"),
    }
    let mut parts = Parts::default();
    let mut damaged = Vec::new();
    for (member, part, vocab) in &plan {
        clock.check()?;
        let xml = match archive::read_member(&mut zip, member, limits) {
            Ok(Some(x)) => x,
            Ok(None) => continue,
            Err(ExtractError::Corrupt(_)) => {
                damaged.push(part.clone());
                continue;
            }
            Err(e) => return Err(e),
        };
        if !walk(&xml, vocab, part, &mut parts) {
            damaged.push(part.clone());
        }
    }
    emit(&parts, sink);
    for i in 0..zip.len() {
        clock.check()?;
        let embedded = zip
            .name_for_index(i)
            .is_some_and(|n| n.starts_with("word/embeddings/") || n.starts_with("ppt/embeddings/"));
        if !embedded {
            continue;
        }
        match archive::nested_member(&mut zip, i, limits, sink)? {
            archive::Member::Read(_) | archive::Member::NotAFile => {}
            archive::Member::Encrypted(n)
            | archive::Member::Unsupported(n)
            | archive::Member::Damaged(n) => damaged.push(n),
        }
    }
    let out = Extracted::new(kind.name(), size);
    Ok(if damaged.is_empty() {
        out
    } else {
        out.with_note(
            Status::Partial,
            "damaged_parts",
            format!(
                "{} damaged part(s) read up to the damage: {}",
                damaged.len(),
                damaged.join(", ")
            ),
        )
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
) -> Vec<String> {
    let rels = pptx_rels(zip, "ppt/presentation.xml", limits);
    let mut ordered = Vec::new();
    if let Ok(Some(xml)) = archive::read_member(zip, "ppt/presentation.xml", limits) {
        let mut reader = Reader::from_reader(xml.as_slice());
        while let Ok(event) = reader.read_event() {
            match event {
                Event::Eof => break,
                Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"sldId" => {
                    let id = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == b"id" && a.key.prefix().is_some())
                        .map(|a| String::from_utf8_lossy(&a.value).into_owned());
                    if let Some(target) = id
                        .and_then(|id| rels.iter().find(|(i, _)| *i == id).map(|(_, t)| t.clone()))
                    {
                        ordered.push(target);
                    }
                }
                _ => {}
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
    ordered
}

/// The relationships of an OOXML part: for `presentation.xml` (id, target); for a slide
/// (type, target). Targets are resolved to member names.
fn pptx_rels<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    part: &str,
    limits: &super::Limits,
) -> Vec<(String, String)> {
    let (dir, file) = part.rsplit_once('/').unwrap_or(("", part));
    let rels_name = format!("{dir}/_rels/{file}.rels");
    let Ok(Some(xml)) = archive::read_member(zip, &rels_name, limits) else {
        return Vec::new();
    };
    let by_id = file == "presentation.xml";
    let mut out = Vec::new();
    let mut reader = Reader::from_reader(xml.as_slice());
    while let Ok(event) = reader.read_event() {
        match event {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"Relationship" => {
                let attr = |name: &[u8]| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == name)
                        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
                };
                let (Some(key), Some(target)) =
                    (attr(if by_id { b"Id" } else { b"Type" }), attr(b"Target"))
                else {
                    continue;
                };
                out.push((key, resolve(dir, &target)));
            }
            _ => {}
        }
    }
    out
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

/// An RTF document as text: groups and control words are interpreted just enough that text,
/// `\'xx` escapes (in the document's ANSI code page), `\uN` characters, paragraphs and tabs
/// come out right; font tables, style sheets, pictures and other destinations are left out.
pub fn rtf(input: &mut Input<'_>, sink: &mut dyn Sink) -> Result<Extracted, ExtractError> {
    let data = input.read_all()?;
    let text = rtf_text(&data);
    let base = Location::default();
    let mut w = Windower::new(Addressing::Lines, &base, ChunkContext::default());
    w.buffer().push_str(&text);
    w.flush(sink, true);
    Ok(Extracted::new("rtf", data.len() as u64))
}

/// Optional (`\*`) destinations that are document text: footnotes and comments, as
/// LibreOffice and Word write them.
const RTF_READ: &[&[u8]] = &[b"footnote", b"annotation"];

/// Destinations whose content is not document text.
const RTF_SKIP: &[&[u8]] = &[
    b"fonttbl",
    b"colortbl",
    b"stylesheet",
    b"pict",
    b"object",
    b"themedata",
    b"colorschememapping",
    b"latentstyles",
    b"datastore",
    b"listtable",
    b"listoverridetable",
    b"rsidtbl",
    b"generator",
    b"xmlnstbl",
    b"filetbl",
    b"revtbl",
    b"fldinst",
    b"bkmkstart",
    b"bkmkend",
    b"info",
];

fn rtf_text(data: &[u8]) -> String {
    let mut out = String::new();
    // Bytes of `\'xx` escapes waiting to be decoded together (a multi-byte code page character).
    let mut pending: Vec<u8> = Vec::new();
    let mut encoding = encoding_rs::WINDOWS_1252;
    // Per group: (skipped, \ucN fallback length).
    let mut stack: Vec<(bool, usize)> = vec![(false, 1)];
    // After `\*`: the destination that follows is skipped unless it is one we read.
    let mut star = false;
    let mut skip_fallback = 0usize;
    let mut i = 0;
    let flush = |pending: &mut Vec<u8>, out: &mut String, enc: &'static encoding_rs::Encoding| {
        if !pending.is_empty() {
            out.push_str(&enc.decode_without_bom_handling(pending).0);
            pending.clear();
        }
    };
    while i < data.len() {
        let (skipped, uc) = *stack.last().expect("the outer group stays");
        let b = data[i];
        match b {
            b'{' => {
                flush(&mut pending, &mut out, encoding);
                stack.push((skipped, uc));
                i += 1;
            }
            b'}' => {
                flush(&mut pending, &mut out, encoding);
                if stack.len() > 1 {
                    stack.pop();
                }
                i += 1;
            }
            b'\\' => {
                i += 1;
                let Some(&c) = data.get(i) else { break };
                if c == b'\'' {
                    let hex = data
                        .get(i + 1..i + 3)
                        .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
                    i += 3;
                    if skip_fallback > 0 {
                        skip_fallback -= 1;
                    } else if let (Some(h), false) = (hex, skipped) {
                        pending.push(h);
                    }
                    continue;
                }
                flush(&mut pending, &mut out, encoding);
                if !c.is_ascii_alphabetic() {
                    // A control symbol.
                    i += 1;
                    match c {
                        b'*' => star = true,
                        b'~' if !skipped => out.push(' '),
                        b'_' if !skipped => out.push('-'),
                        b'\\' | b'{' | b'}' if !skipped => out.push(c as char),
                        b'\n' | b'\r' if !skipped => out.push('\n'),
                        _ => {}
                    }
                    continue;
                }
                let start = i;
                while i < data.len() && data[i].is_ascii_alphabetic() {
                    i += 1;
                }
                let word = &data[start..i];
                if std::mem::take(&mut star) && !RTF_READ.contains(&word) {
                    stack.last_mut().expect("group").0 = true;
                }
                let skipped = stack.last().expect("group").0;
                let num_start = i;
                if i < data.len() && data[i] == b'-' {
                    i += 1;
                }
                while i < data.len() && data[i].is_ascii_digit() {
                    i += 1;
                }
                let num: Option<i64> = std::str::from_utf8(&data[num_start..i])
                    .ok()
                    .and_then(|s| s.parse().ok());
                if i < data.len() && data[i] == b' ' {
                    i += 1;
                }
                match word {
                    b"par" | b"line" | b"row" | b"sect" | b"page" | b"footnote" | b"annotation"
                        if !skipped =>
                    {
                        out.push('\n')
                    }
                    b"tab" | b"cell" if !skipped => out.push('\t'),
                    b"ansicpg" => {
                        if let Some(enc) = num.and_then(|n| {
                            encoding_rs::Encoding::for_label(format!("windows-{n}").as_bytes())
                        }) {
                            encoding = enc;
                        }
                    }
                    b"uc" => {
                        stack.last_mut().expect("group").1 = num.unwrap_or(1).clamp(0, 16) as usize
                    }
                    b"u" => {
                        if !skipped {
                            // Negative values are UTF-16 units written as signed 16-bit numbers.
                            let unit = num.unwrap_or(0).rem_euclid(65536) as u32;
                            out.extend(char::from_u32(unit));
                        }
                        skip_fallback = uc;
                    }
                    b"bin" => i += num.unwrap_or(0).clamp(0, (data.len() - i) as i64) as usize,
                    w if RTF_SKIP.contains(&w) => stack.last_mut().expect("group").0 = true,
                    _ => {}
                }
            }
            b'\r' | b'\n' => i += 1,
            _ => {
                flush(&mut pending, &mut out, encoding);
                if skip_fallback > 0 {
                    skip_fallback -= 1;
                } else if !skipped {
                    out.push(b as char);
                }
                i += 1;
            }
        }
    }
    flush(&mut pending, &mut out, encoding);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(xml: &str, vocab: &Vocab) -> Vec<(String, String)> {
        let mut parts = Parts::default();
        assert!(walk(xml.as_bytes(), vocab, "body", &mut parts));
        parts.parts
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
    fn rtf_footnotes_are_read_and_other_optional_destinations_are_not() {
        let rtf = br"{\rtf1\ansi Se note.{\super\chftn}{\*\footnote \pard{\chftn}\tab Telefon 40300040}{\*\bkmkstart x}{\*\unknown skip}\par}";
        assert_eq!(rtf_text(rtf), "Se note.\n\tTelefon 40300040\n");
    }

    #[test]
    fn damaged_xml_keeps_the_text_before_the_damage() {
        let mut parts = Parts::default();
        assert!(!walk(
            b"<w:p><w:t>1309</w:t></w:p><w:p><w:t>x</w:q>",
            &OOXML,
            "body",
            &mut parts
        ));
        assert_eq!(parts.parts[0].1, "1309\nx");
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

    #[test]
    fn rtf_text_keeps_escapes_digits_and_paragraphs() {
        let rtf = br"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times;}}{\*\generator Writer;}{\info{\author X}}
\pard F\'f8dselsnummer: 1309\b 7248\b0 022\par
E-post: kari\'40example.no\tab \u248?x\par}";
        let text = rtf_text(rtf);
        assert!(text.contains("Fødselsnummer: 13097248022\n"), "{text:?}");
        assert!(text.contains("kari@example.no\tøx"), "{text:?}");
        assert!(
            !text.contains("Times") && !text.contains("Writer"),
            "{text:?}"
        );
    }
}
