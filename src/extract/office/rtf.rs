//! RTF, interpreted by hand: groups and control words just enough that text, `\'xx` escapes
//! (in the document's ANSI code page), `\uN` characters, paragraphs and tabs come out right;
//! font tables, style sheets, pictures and other destinations are left out. The one Rust RTF
//! crate (rtf-parser) builds a styled document model and depends on wasm-bindgen, and text
//! extraction needs only this.
//!
//! The input is streamed, and its text goes to the detector as it is read, so a file of any
//! size costs the same memory. The one structure that grows with the input is the stack of
//! open groups: each `{` opens a group that inherits its parent's state. The stack is kept
//! run-length encoded — a group that changes nothing costs a counter increment, not a frame —
//! so `{` repeated a hundred million times is one frame; groups whose states differ are frames
//! of their own, up to [`MAX_FRAMES`] (then `nesting_limit`).

use std::io::{self, BufRead, BufReader, Read};

use super::PartText;
use crate::extract::{Clock, ExtractError, Extracted, Input, Limit, Sink};

/// Distinct group states open at once.
const MAX_FRAMES: usize = 1 << 16;

/// Bytes of one property kept.
const MAX_PROPERTY: usize = 1 << 20;

/// Optional (`\*`) destinations that are document text: footnotes and comments, as
/// LibreOffice and Word write them.
const READ: &[&[u8]] = &[b"footnote", b"annotation"];

/// Destinations whose content is not document text.
const SKIP: &[&[u8]] = &[
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
];

/// The document properties in the `\info` group: (destination, property name; see
/// [`super::props`]). The rest of the group (dates, counts) is not text.
const INFO: &[(&[u8], &str)] = &[
    (b"title", "title"),
    (b"subject", "subject"),
    (b"author", "creator"),
    (b"operator", "last_modified_by"),
    (b"keywords", "keywords"),
    (b"doccomm", "description"),
    (b"company", "company"),
    (b"manager", "manager"),
    (b"category", "category"),
    (b"hlinkbase", "hyperlink_base"),
];

/// Reads an RTF document into the detector.
pub(crate) fn extract(
    input: &mut Input<'_>,
    sink: &mut dyn Sink,
) -> Result<Extracted, ExtractError> {
    let clock = input.clock;
    let mut out = PartText::new(None, input.det);
    let mut parser = Parser::new(input.reader()?);
    let read = parser.run(&mut out, sink, clock);
    // What was read before an error or a limit is reported either way.
    out.finish(sink);
    read?;
    Ok(Extracted::new("rtf", parser.src.bytes))
}

/// The state a group inherits from its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Frame {
    /// Inside a destination that is not document text.
    skipped: bool,
    /// `\ucN`: characters of fallback after each `\u`.
    uc: u8,
    /// Inside the `\info` group.
    info: bool,
    /// Inside a property of the `\info` group: its index in [`INFO`].
    property: Option<u8>,
}

/// The open groups, run-length encoded: (state, how many nested groups have it).
struct Groups {
    frames: Vec<(Frame, u64)>,
}

impl Groups {
    fn new() -> Groups {
        Groups {
            frames: vec![(
                Frame {
                    skipped: false,
                    uc: 1,
                    info: false,
                    property: None,
                },
                1,
            )],
        }
    }

    fn top(&self) -> Frame {
        self.frames.last().expect("the outer level stays").0
    }

    fn open(&mut self) {
        self.frames.last_mut().expect("the outer level stays").1 += 1;
    }

    /// Closes the innermost group; the outer level is never closed (a stray `}`).
    fn close(&mut self) {
        let last = self.frames.last_mut().expect("the outer level stays");
        if last.1 > 1 {
            last.1 -= 1;
        } else if self.frames.len() > 1 {
            self.frames.pop();
        }
    }

    /// Gives the innermost group a new state.
    fn set(&mut self, frame: Frame) -> Result<(), ExtractError> {
        let last = self.frames.last_mut().expect("the outer level stays");
        if last.0 == frame {
            return Ok(());
        }
        if last.1 == 1 {
            last.0 = frame;
            return Ok(());
        }
        last.1 -= 1;
        if self.frames.len() >= MAX_FRAMES {
            return Err(ExtractError::limit(
                Limit::Nesting,
                format!("RTF groups with {MAX_FRAMES} different states open at once"),
            ));
        }
        self.frames.push((frame, 1));
        Ok(())
    }
}

/// The input, a byte at a time.
struct Source<R> {
    r: BufReader<R>,
    bytes: u64,
}

impl<R: Read> Source<R> {
    fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(self.r.fill_buf()?.first().copied())
    }

    fn next(&mut self) -> io::Result<Option<u8>> {
        let b = self.peek()?;
        if b.is_some() {
            self.r.consume(1);
            self.bytes += 1;
        }
        Ok(b)
    }

    /// Skips `n` bytes (`\binN` data).
    fn skip(&mut self, n: u64) -> io::Result<()> {
        self.bytes += io::copy(&mut (&mut self.r).take(n), &mut io::sink())?;
        Ok(())
    }
}

struct Parser<R> {
    src: Source<R>,
    groups: Groups,
    /// Bytes of `\'xx` escapes and 8-bit text waiting to be decoded together (a multi-byte code
    /// page character).
    pending: Vec<u8>,
    encoding: &'static encoding_rs::Encoding,
    /// After `\*`: the destination that follows is skipped unless it is one we read.
    star: bool,
    /// Fallback characters still to skip after a `\u`.
    skip_fallback: usize,
    /// The text of the property being read.
    property: String,
    /// The paragraph is in a table (`\intbl`, until `\pard`).
    intbl: bool,
    /// A table row is open (cells seen since the last `\row`).
    row_open: bool,
    /// The row being defined is a header row (`\trhdr`, until the next `\trowd`).
    header_row: bool,
}

impl<R: Read> Parser<R> {
    fn new(r: R) -> Parser<R> {
        Parser {
            src: Source {
                r: BufReader::with_capacity(64 << 10, r),
                bytes: 0,
            },
            groups: Groups::new(),
            pending: Vec::new(),
            encoding: encoding_rs::WINDOWS_1252,
            star: false,
            skip_fallback: 0,
            property: String::new(),
            intbl: false,
            row_open: false,
            header_row: false,
        }
    }

    fn run(
        &mut self,
        out: &mut PartText<'_>,
        sink: &mut dyn Sink,
        clock: Clock,
    ) -> Result<(), ExtractError> {
        let mut ticks = 0u32;
        while let Some(b) = self.src.next()? {
            ticks = ticks.wrapping_add(1);
            if ticks % (1 << 16) == 0 {
                clock.check()?;
            }
            match b {
                b'{' => {
                    self.flush(out, sink);
                    self.groups.open();
                }
                b'}' => {
                    self.flush(out, sink);
                    let property = self.groups.top().property;
                    self.groups.close();
                    if property.is_some() && self.groups.top().property != property {
                        let name = INFO[usize::from(property.unwrap_or_default())].1;
                        super::props::emit(sink, name, &self.property);
                        self.property.clear();
                    }
                }
                b'\\' => self.control(out, sink)?,
                b'\r' | b'\n' => {}
                _ => self.text_byte(b, out, sink),
            }
        }
        self.flush(out, sink);
        Ok(())
    }

    /// A byte of document text (or of an escape): ASCII directly, others through the code
    /// page.
    fn text_byte(&mut self, b: u8, out: &mut PartText<'_>, sink: &mut dyn Sink) {
        if self.skip_fallback > 0 {
            self.skip_fallback -= 1;
        } else if !self.groups.top().skipped {
            if b < 0x80 {
                self.flush(out, sink);
                self.put_char(b as char, out, sink);
            } else {
                self.pending.push(b);
                if self.pending.len() >= 4096 {
                    self.flush(out, sink);
                }
            }
        }
    }

    /// Decodes the pending code page bytes.
    fn flush(&mut self, out: &mut PartText<'_>, sink: &mut dyn Sink) {
        if !self.pending.is_empty() {
            let text = self
                .encoding
                .decode_without_bom_handling(&self.pending)
                .0
                .into_owned();
            self.pending.clear();
            self.put(&text, out, sink);
        }
    }

    /// Document text: to the part (into a table cell in a table paragraph; a paragraph out
    /// of the table after its last row ends the table), or to the property being read.
    fn put(&mut self, text: &str, out: &mut PartText<'_>, sink: &mut dyn Sink) {
        if self.groups.top().property.is_some() {
            if self.property.len() + text.len() <= MAX_PROPERTY {
                self.property.push_str(text);
            }
            return;
        }
        if self.intbl {
            self.enter_cell(out, sink);
        } else if out.in_table() && !self.row_open {
            out.table_end(sink);
        }
        out.push(text, sink);
    }

    /// Makes sure a table, a row and a cell are open (text of a table paragraph).
    fn enter_cell(&mut self, out: &mut PartText<'_>, sink: &mut dyn Sink) {
        if !out.in_table() {
            out.table_start(sink);
        }
        if !self.row_open {
            out.row_start(self.header_row, sink);
            self.row_open = true;
        }
        if !out.in_cell() {
            out.cell_start(1, sink);
        }
    }

    /// `\cell`: the cell ends (with a tab, so that cells do not run together) and the next
    /// one starts.
    fn cell(&mut self, out: &mut PartText<'_>, sink: &mut dyn Sink) {
        self.enter_cell(out, sink);
        out.push_char('\t', sink);
        out.cell_end(sink);
        out.cell_start(1, sink);
    }

    /// `\row`: the row ends, and its line.
    fn row(&mut self, out: &mut PartText<'_>, sink: &mut dyn Sink) {
        if out.in_table() {
            out.row_end(sink);
        }
        self.row_open = false;
        out.push_char('\n', sink);
    }

    fn put_char(&mut self, c: char, out: &mut PartText<'_>, sink: &mut dyn Sink) {
        self.put(c.encode_utf8(&mut [0; 4]), out, sink);
    }

    /// After a backslash: an escape, a control symbol or a control word.
    fn control(&mut self, out: &mut PartText<'_>, sink: &mut dyn Sink) -> Result<(), ExtractError> {
        let Some(c) = self.src.next()? else {
            return Ok(());
        };
        if c == b'\'' {
            let hi = self.src.next()?;
            let lo = self.src.next()?;
            let hex = |b: Option<u8>| (b? as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(hi), hex(lo)) {
                let b = (h * 16 + l) as u8;
                // An escaped byte is always code page text, even below 0x80.
                if self.skip_fallback > 0 {
                    self.skip_fallback -= 1;
                } else if !self.groups.top().skipped {
                    self.pending.push(b);
                }
            }
            return Ok(());
        }
        self.flush(out, sink);
        if !c.is_ascii_alphabetic() {
            self.symbol(c, out, sink);
            return Ok(());
        }
        // Control words are at most 32 letters and their numbers at most 10 digits: longer ones
        // are read past, not stored.
        let mut word = [0u8; 32];
        let mut len = 1;
        word[0] = c;
        while let Some(b) = self.src.peek()?.filter(u8::is_ascii_alphabetic) {
            if len < word.len() {
                word[len] = b;
                len += 1;
            }
            self.src.next()?;
        }
        let negative = self.src.peek()? == Some(b'-');
        if negative {
            self.src.next()?;
        }
        let (mut num, mut digits) = (0i64, 0);
        while let Some(d) = self.src.peek()?.filter(u8::is_ascii_digit) {
            if digits < 10 {
                num = num * 10 + i64::from(d - b'0');
            }
            digits += 1;
            self.src.next()?;
        }
        let num = (digits > 0).then_some(if negative { -num } else { num });
        if self.src.peek()? == Some(b' ') {
            self.src.next()?;
        }
        self.word(&word[..len], num, out, sink)
    }

    /// A control symbol: `\*`, `\~`, `\_`, escaped braces and backslashes, `\` + newline.
    fn symbol(&mut self, c: u8, out: &mut PartText<'_>, sink: &mut dyn Sink) {
        let skipped = self.groups.top().skipped;
        match c {
            b'*' => self.star = true,
            _ if skipped => {}
            b'~' => self.put_char(' ', out, sink),
            b'_' => self.put_char('-', out, sink),
            b'\\' | b'{' | b'}' => self.put_char(c as char, out, sink),
            b'\n' | b'\r' => self.put_char('\n', out, sink),
            _ => {}
        }
    }

    fn word(
        &mut self,
        word: &[u8],
        num: Option<i64>,
        out: &mut PartText<'_>,
        sink: &mut dyn Sink,
    ) -> Result<(), ExtractError> {
        let mut frame = self.groups.top();
        if std::mem::take(&mut self.star) && !READ.contains(&word) {
            frame.skipped = true;
            self.groups.set(frame)?;
        }
        let skipped = frame.skipped;
        match word {
            b"par" | b"line" | b"sect" | b"page" | b"footnote" | b"annotation" | b"nestrow"
                if !skipped =>
            {
                self.put_char('\n', out, sink)
            }
            b"tab" | b"nestcell" if !skipped => self.put_char('\t', out, sink),
            // Tables: rows of cells in paragraphs marked `\intbl` (nested tables are read as
            // cells of the table around them).
            b"cell" if !skipped => self.cell(out, sink),
            b"row" if !skipped => self.row(out, sink),
            b"intbl" if !skipped => self.intbl = true,
            b"pard" => self.intbl = false,
            b"trowd" => self.header_row = false,
            b"trhdr" => self.header_row = true,
            b"ansicpg" => {
                if let Some(enc) = num.and_then(super::code_page) {
                    self.encoding = enc;
                }
            }
            // The fallback length only matters where text is read.
            b"uc" if !skipped => {
                frame.uc = num.unwrap_or(1).clamp(0, 16) as u8;
                self.groups.set(frame)?;
            }
            b"u" => {
                if !skipped {
                    // Negative values are UTF-16 units written as signed 16-bit numbers.
                    let unit = num.unwrap_or(0).rem_euclid(65536) as u32;
                    if let Some(c) = char::from_u32(unit) {
                        self.put_char(c, out, sink);
                    }
                }
                self.skip_fallback = usize::from(frame.uc);
            }
            b"bin" => self.src.skip(num.unwrap_or(0).max(0) as u64)?,
            w if SKIP.contains(&w) && !skipped => {
                frame.skipped = true;
                self.groups.set(frame)?;
            }
            b"info" if !skipped => {
                frame.skipped = true;
                frame.info = true;
                self.groups.set(frame)?;
            }
            w if frame.info && frame.property.is_none() => {
                if let Some(i) = INFO.iter().position(|(d, _)| *d == w) {
                    frame.skipped = false;
                    frame.property = Some(i as u8);
                    self.groups.set(frame)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::testing::{run, Texts};

    fn text(rtf: &[u8]) -> (Result<Extracted, ExtractError>, String) {
        let (r, t): (_, Texts) = run("x.rtf", rtf, extract);
        (
            r,
            t.chunks.iter().map(|(_, text, _)| text.as_str()).collect(),
        )
    }

    #[test]
    fn footnotes_are_read_and_other_optional_destinations_are_not() {
        let rtf = br"{\rtf1\ansi Se note.{\super\chftn}{\*\footnote \pard{\chftn}\tab Telefon 40300040}{\*\bkmkstart x}{\*\unknown skip}\par}";
        assert_eq!(text(rtf).1, "Se note.\n\tTelefon 40300040\n");
    }

    #[test]
    fn escapes_digits_and_paragraphs() {
        let rtf = br"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times;}}{\*\generator Writer;}{\info{\author X}}
\pard F\'f8dselsnummer: 1309\b 7248\b0 022\par
E-post: kari\'40example.no\tab \u248?x\par}";
        let (r, text) = text(rtf);
        assert!(r.is_ok());
        assert!(text.contains("Fødselsnummer: 13097248022\n"), "{text:?}");
        assert!(text.contains("kari@example.no\tøx"), "{text:?}");
        assert!(
            !text.contains("Times") && !text.contains("Writer"),
            "{text:?}"
        );
    }

    #[test]
    fn the_info_group_gives_the_document_properties() {
        let rtf = br"{\rtf1\ansi{\info{\title L\'f8nn 13097248022}{\author Kari}{\creatim\yr2020\mo1}{\*\company Firma}{\doccomm Ring 40300040}}Tekst\par}";
        let (r, t): (_, Texts) = run("x.rtf", rtf, extract);
        assert!(r.is_ok());
        let chunks: Vec<(Option<String>, String)> = t
            .chunks
            .into_iter()
            .map(|(l, text, _)| (l.part, text))
            .collect();
        assert_eq!(
            chunks,
            [
                (Some("properties/title".into()), "Lønn 13097248022".into()),
                (Some("properties/creator".into()), "Kari".into()),
                (Some("properties/company".into()), "Firma".into()),
                (
                    Some("properties/description".into()),
                    "Ring 40300040".into()
                ),
                (None, "Tekst\n".into()),
            ]
        );
    }

    #[test]
    fn table_cells_are_chunks_under_their_column_header() {
        // As LibreOffice writes a table: a row definition, table paragraphs, \cell, \row.
        let rtf = br"{\rtf1\ansi Liste\par
\trowd\trhdr\cellx1000\cellx2000\pard\intbl Navn\cell\pard\intbl Fnr\cell\row
\trowd\cellx1000\cellx2000\pard\intbl Kari\cell\pard\intbl 3851598730\par 40300040\cell\row
\pard Slutt\par}";
        let (r, t): (_, Texts) = run("x.rtf", rtf, extract);
        assert!(r.is_ok());
        let chunks: Vec<(String, bool)> = t
            .chunks
            .into_iter()
            .map(|(_, text, id)| (text, id))
            .collect();
        assert_eq!(
            chunks,
            [
                ("Liste\nNavn\tFnr\t\n".into(), false),
                ("Kari\t".into(), false),
                ("3851598730\n40300040\t".into(), true),
                ("\nSlutt\n".into(), false),
            ]
        );
    }

    #[test]
    fn multi_byte_code_pages_and_uc_fallbacks() {
        // Shift-JIS 0x93 0xFA is one character; \uc2 makes two fallback bytes.
        let rtf = br"{\rtf1\ansi\ansicpg932 \'93\'fa{\uc2\u26085\'93\'fa}x\par}";
        assert_eq!(text(rtf).1, "\u{65E5}\u{65E5}x\n");
    }

    #[test]
    fn a_sea_of_open_groups_costs_one_frame() {
        let mut rtf = br"{\rtf1 Fnr 13097248022\par ".to_vec();
        rtf.extend(std::iter::repeat_n(b'{', 1 << 20));
        rtf.extend(b"Mobil 40300040");
        let mut p = Parser::new(&rtf[..]);
        let det = crate::detect::Detector::builtin();
        let mut out = PartText::new(None, &det);
        let mut sink = Texts::default();
        let limits = crate::extract::Limits::default();
        p.run(&mut out, &mut sink, Clock::start(&limits)).unwrap();
        out.finish(&mut sink);
        assert_eq!(p.groups.frames.len(), 1);
        let all: String = sink.chunks.iter().map(|(_, t, _)| t.as_str()).collect();
        assert_eq!(all, "Fnr 13097248022\nMobil 40300040");
    }

    #[test]
    fn groups_of_different_states_stop_at_the_nesting_limit_after_the_text_before() {
        let mut rtf = br"{\rtf1 Fnr 13097248022\par ".to_vec();
        for i in 0..MAX_FRAMES + 10 {
            rtf.extend(format!("{{\\uc{}", i % 2).as_bytes());
        }
        let (r, text) = text(&rtf);
        assert_eq!(r.unwrap_err().as_limit(), Some(Limit::Nesting));
        assert_eq!(text, "Fnr 13097248022\n");
    }

    #[test]
    fn long_control_words_and_numbers_are_read_past() {
        let mut rtf = br"{\rtf1 a\".to_vec();
        rtf.extend(std::iter::repeat_n(b'x', 10_000));
        rtf.extend(b"99999999999999999999 b\\bin99999999999999 c}");
        let (r, text) = text(&rtf);
        assert!(r.is_ok());
        assert_eq!(text, "ab");
    }
}
