//! HTML and XML, read as a person reads them, with every finding at its line and column in
//! the source.
//!
//! * **HTML** is read as the page shows it: tags removed (`<b>130945</b> 22980` is one number;
//!   a block element, a table cell or a `<br>` ends a line), character references and entities
//!   decoded (`kari&#64;firma.no`, `&nbsp;`), white space collapsed. Scripts and styles are not
//!   page text and are skipped, except JSON data islands (`<script type="application/json">`),
//!   which are data. Attribute values a reader meets (`title`, `alt`, form `value`s, `tel:` and
//!   `mailto:` links, read under a phone or e-mail header) and comments are read as text of their
//!   own. A table whose header row holds `<th>` cells gives each header as context to the cells
//!   under it, as a CSV header does.
//! * **XML** is data: each element's text and each attribute's value is a value of its own, read
//!   under the context of its element or attribute name (`<fnr>`, `tlf="..."`), as a JSON value
//!   is read under its key.
//!
//! The tokenizer is a lenient state machine over [`Pull`]: anything that is not a tag is text.
//! Decoded text keeps its place through anchors ([`Position::Mapped`]); text that runs long
//! goes out through one [`Windower`], and names are capped, so memory is bounded whatever the
//! input.

use std::collections::HashMap;
use std::io::{self, Read};

use super::pull::Pull;
use super::window::{Addressing, Mapped, Windower};
use super::{Chunk, Env, ExtractError, Location, Position, Sink};
use crate::detect::{ChunkContext, Header};
use crate::read::sniff::Format;

/// Bytes of one text run, cell or attribute value held whole; longer ones go out as page text.
const LONG: usize = 256 * 1024;
/// Bytes of a tag or attribute name kept.
const MAX_NAME: usize = 64;
/// Open elements (XML) and tables (HTML) tracked; deeper ones share their ancestor's context.
const MAX_OPEN: usize = 256;
/// Columns a table header may name.
const MAX_COLUMNS: usize = 1024;
/// Distinct names whose header context is remembered.
const MAX_HEADERS: usize = 4096;

/// HTML elements that flow within a line: text on both sides of them is one text.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font", "i",
    "ins", "kbd", "label", "mark", "nobr", "q", "s", "samp", "small", "span", "strike", "strong",
    "sub", "sup", "time", "tt", "u", "var", "wbr",
];

/// HTML attributes that hold no text a reader meets (or hold script).
const SKIPPED_ATTRIBUTES: &[&str] = &["class", "id", "style", "xmlns"];

/// HTML or XML by extension, or by the head: a doctype or `<html>` is HTML, an XML declaration
/// otherwise XML.
pub(crate) fn detect(ext: &str, text: &str) -> Option<Format> {
    match ext {
        "html" | "htm" | "xhtml" | "shtml" => return Some(Format::Html),
        "xml" | "xsd" | "xsl" | "xslt" | "svg" | "rss" | "atom" | "kml" | "gpx" | "xlf"
        | "xliff" | "plist" | "resx" => return Some(Format::Xml),
        _ => {}
    }
    let head = text.trim_start_matches('\u{feff}').trim_start();
    // Markup opens with a tag; most text is decided here, with nothing copied.
    if !head.starts_with('<') {
        return None;
    }
    let start: String = head
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    if start.starts_with("<!doctype html") || start.starts_with("<html") {
        return Some(Format::Html);
    }
    if start.starts_with("<?xml") {
        let html = text.len() < 2048 && text.to_ascii_lowercase().contains("<html")
            || start.contains("<!doctype html")
            || start.contains("<html");
        return Some(if html { Format::Html } else { Format::Xml });
    }
    None
}

/// Reads HTML (or, with `xml`, XML) from `reader` into `sink`; returns the bytes read.
pub(crate) fn extract(
    reader: &mut dyn Read,
    xml: bool,
    env: &Env<'_>,
    sink: &mut dyn Sink,
) -> Result<u64, ExtractError> {
    let base = Location::default();
    let mut m = Markup {
        p: Pull::new(reader, Some(env.clock)),
        env,
        xml,
        page: Windower::new(Addressing::Mapped, &base, ChunkContext::default()),
        text: Mapped::default(),
        value: Mapped::default(),
        tables: Vec::new(),
        elements: Vec::new(),
        deeper: 0,
        pre: 0,
        json_script: false,
        spaced: true,
        headers: HashMap::new(),
    };
    m.run(sink)?;
    m.end_text(true, sink);
    m.end_cell(sink);
    m.page.flush(sink, true);
    Ok(m.p.total)
}

/// A table being read (HTML).
struct Table {
    /// Context of each column, from the `<th>` cells of a header row.
    headers: Vec<Option<Header>>,
    /// The column of the next cell.
    col: usize,
    /// The cell being read: a header cell or not, and its text.
    cell: Option<(bool, Mapped)>,
}

struct Markup<'a, 'e, 'r> {
    p: Pull<'r>,
    env: &'e Env<'a>,
    xml: bool,
    /// The page's text (HTML), and whatever runs long (both).
    page: Windower,
    /// The text run being read (between two tags).
    text: Mapped,
    /// An attribute value being read.
    value: Mapped,
    tables: Vec<Table>,
    /// Open elements (XML): their names' context.
    elements: Vec<Header>,
    /// Elements open beyond [`MAX_OPEN`].
    deeper: usize,
    /// Open `<pre>` elements (HTML): white space is kept.
    pre: usize,
    /// The last `<script>` tag read declares JSON data.
    json_script: bool,
    /// What was handed out last ends in white space (or a line): a space starting the next
    /// text run is dropped.
    spaced: bool,
    headers: HashMap<String, Header>,
}

/// What a `<` starts.
enum Tag {
    Start {
        name: String,
        closed: bool,
    },
    End(String),
    /// A comment, declaration or processing instruction: read or skipped already.
    Other,
    /// Not a tag: the `<` is text.
    Text,
}

impl Markup<'_, '_, '_> {
    fn run(&mut self, sink: &mut dyn Sink) -> Result<(), ExtractError> {
        loop {
            self.text_run(sink)?;
            if self.p.peek()?.is_none() {
                return Ok(());
            }
            match self.tag(sink)? {
                Tag::Start { name, closed } => self.start(&name, closed, sink)?,
                Tag::End(name) => self.end(&name, sink),
                Tag::Other => {}
                Tag::Text => {
                    self.p.pos += 1;
                    let pos = self.p.here();
                    self.text.push(b"<");
                    self.text.anchor(pos);
                }
            }
        }
    }

    // --- Text -------------------------------------------------------------------------------

    /// Reads text up to the next `<` into [`Markup::text`]: entities decoded, white space
    /// collapsed (HTML outside `<pre>`).
    fn text_run(&mut self, sink: &mut dyn Sink) -> Result<(), ExtractError> {
        let collapse = !self.xml && self.pre == 0;
        if self.text.anchors.is_empty() || self.text.is_empty() {
            let pos = self.p.here();
            self.text.anchor(pos);
        }
        loop {
            let avail = self.p.available()?;
            if avail.is_empty() {
                return Ok(());
            }
            let stop = avail
                .iter()
                .position(|&b| b == b'<' || b == b'&' || (collapse && b.is_ascii_whitespace()))
                .unwrap_or(avail.len());
            self.text.push(&avail[..stop]);
            let at = avail.get(stop).copied();
            self.p.pos += stop;
            match at {
                Some(b'<') => return Ok(()),
                Some(b'&') => self.entity(false)?,
                Some(_) => self.space()?,
                None => {}
            }
            if self.text.len() > LONG {
                self.spill(sink)?;
            }
        }
    }

    /// A run of white space in HTML text: one space (none at the start of a line).
    fn space(&mut self) -> io::Result<()> {
        let plain = self.p.peek()? == Some(b' ');
        let mut n = 0;
        while self.p.peek()?.is_some_and(|b| b.is_ascii_whitespace()) {
            self.p.pos += 1;
            n += 1;
        }
        let keep = match self.text.bytes.last() {
            Some(&b) => b != b' ' && b != b'\n',
            None => !self.spaced,
        };
        if keep {
            self.text.push(b" ");
        }
        if !(keep && plain && n == 1) {
            // The text and the source part ways here.
            let pos = self.p.here();
            self.text.anchor(pos);
        }
        Ok(())
    }

    /// A character reference or entity after `&`, decoded into the text (or, with `attr`, the
    /// attribute value); anything else is the `&` itself.
    fn entity(&mut self, attr: bool) -> io::Result<()> {
        let mut name = [0u8; 12];
        let mut n = 0;
        let mut end = None;
        for k in 1..=name.len() {
            match self.p.peek_at(k)? {
                Some(b';') => {
                    end = Some(k);
                    break;
                }
                Some(b) if b.is_ascii_alphanumeric() || (k == 1 && b == b'#') => {
                    name[n] = b;
                    n += 1;
                }
                _ => break,
            }
        }
        let decoded = end.and_then(|_| decode_entity(&name[..n]));
        let out = if attr {
            &mut self.value
        } else {
            &mut self.text
        };
        match decoded {
            Some(c) => {
                self.p.pos += 1 + n + 1;
                if let Some(c) = c {
                    let mut utf8 = [0u8; 4];
                    out.push(c.encode_utf8(&mut utf8).as_bytes());
                }
                let pos = self.p.here();
                out.anchor(pos);
            }
            None => {
                self.p.pos += 1;
                out.push(b"&");
            }
        }
        Ok(())
    }

    /// The text run so far is long: it goes out as page text, without a context.
    fn spill(&mut self, sink: &mut dyn Sink) -> Result<(), ExtractError> {
        if let Some((_, cell)) = self.tables.last_mut().and_then(|t| t.cell.as_mut()) {
            // A long cell is page text too.
            cell.hand_over(&mut self.page, true);
        }
        self.text.hand_over(&mut self.page, false);
        self.page.flush(sink, false);
        self.env.clock.check()?;
        Ok(())
    }

    /// The text run ends at a tag: it goes to the open cell, the page (HTML), or out as the
    /// value of the element it is in (XML). `line` when the tag ends a line of the page.
    fn end_text(&mut self, line: bool, sink: &mut dyn Sink) {
        let has_text = self.text.bytes.iter().any(|b| !b.is_ascii_whitespace());
        if let Some(&b) = self.text.bytes.last() {
            self.spaced = b == b' ' || b == b'\n';
        }
        self.spaced |= line;
        if self.xml {
            if has_text {
                let ctx = ChunkContext {
                    header: self.elements.last().copied(),
                    ..ChunkContext::default()
                };
                self.emit(&self.text, ctx, sink);
            }
        } else if let Some((_, cell)) = self.tables.last_mut().and_then(|t| t.cell.as_mut()) {
            cell.append(&self.text);
            if line && has_text {
                cell.push(b"\n");
            }
            if cell.len() > LONG {
                // A long cell is page text.
                cell.hand_over(&mut self.page, true);
                self.page.flush(sink, false);
            }
        } else if line {
            self.text_to_page(sink);
            return;
        } else {
            self.text.hand_over(&mut self.page, true);
            self.page.flush(sink, false);
        }
        self.text.clear();
    }

    /// A value with its context, as one chunk (if it could hold anything).
    fn emit(&self, m: &Mapped, ctx: ChunkContext, sink: &mut dyn Sink) {
        if !self.env.det.has_patterns() && !m.bytes.iter().any(|&b| b.is_ascii_digit() || b == b'@')
        {
            return;
        }
        let base = Location::default();
        let text = m.text();
        sink.chunk(&Chunk::whole(
            &text,
            &base,
            Position::Mapped(&m.anchors),
            ctx,
        ));
    }

    fn header_of(&mut self, name: &str) -> Header {
        if let Some(h) = self.headers.get(name) {
            return *h;
        }
        let h = self.env.det.header(name);
        if self.headers.len() < MAX_HEADERS {
            self.headers.insert(name.to_string(), h);
        }
        h
    }

    // --- Tags ---------------------------------------------------------------------------------

    /// What the `<` at the position starts; a tag is read through its `>`.
    fn tag(&mut self, sink: &mut dyn Sink) -> Result<Tag, ExtractError> {
        match self.p.peek_at(1)? {
            Some(b'!') => {
                if self.starts_with(b"<!--")? {
                    self.end_text(true, sink);
                    self.p.pos += 4;
                    self.raw_until(b"-->", sink)?;
                } else if self.starts_with(b"<![CDATA[")? {
                    self.p.pos += 9;
                    self.raw_text_until(b"]]>", sink)?;
                } else {
                    self.skip_past(b'>')?;
                }
                Ok(Tag::Other)
            }
            Some(b'?') => {
                self.skip_past(b'>')?;
                Ok(Tag::Other)
            }
            Some(b'/') => {
                self.p.pos += 2;
                let name = self.name()?;
                self.skip_past(b'>')?;
                Ok(Tag::End(name))
            }
            Some(b) if b.is_ascii_alphabetic() => {
                self.p.pos += 1;
                let name = self.name()?;
                let closed = self.attributes(&name, sink)?;
                Ok(Tag::Start { name, closed })
            }
            _ => Ok(Tag::Text),
        }
    }

    fn starts_with(&mut self, s: &[u8]) -> io::Result<bool> {
        for (k, &b) in s.iter().enumerate() {
            if self.p.peek_at(k)? != Some(b) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn skip_past(&mut self, end: u8) -> io::Result<()> {
        loop {
            let avail = self.p.available()?;
            if avail.is_empty() {
                return Ok(());
            }
            match memchr::memchr(end, avail) {
                Some(i) => {
                    self.p.pos += i + 1;
                    return Ok(());
                }
                None => self.p.pos += avail.len(),
            }
        }
    }

    /// A tag or attribute name (lower-cased in HTML), at most [`MAX_NAME`] bytes kept.
    fn name(&mut self) -> io::Result<String> {
        let mut name = Vec::new();
        while let Some(b) = self.p.peek()? {
            if b.is_ascii_whitespace() || matches!(b, b'>' | b'/' | b'=' | b'<') {
                break;
            }
            if name.len() < MAX_NAME {
                name.push(if self.xml { b } else { b.to_ascii_lowercase() });
            }
            self.p.pos += 1;
        }
        Ok(String::from_utf8_lossy(&name).into_owned())
    }

    /// A start tag's attributes, through its `>`; true when it closes itself (`/>`).
    fn attributes(&mut self, tag: &str, sink: &mut dyn Sink) -> Result<bool, ExtractError> {
        self.json_script = false;
        loop {
            while self.p.peek()?.is_some_and(|b| b.is_ascii_whitespace()) {
                self.p.pos += 1;
            }
            match self.p.peek()? {
                None => return Ok(false),
                Some(b'>') => {
                    self.p.pos += 1;
                    return Ok(false);
                }
                Some(b'/') if self.p.peek_at(1)? == Some(b'>') => {
                    self.p.pos += 2;
                    return Ok(true);
                }
                Some(b'/' | b'<' | b'=') => {
                    self.p.pos += 1;
                    continue;
                }
                _ => {}
            }
            let name = self.name()?;
            while self.p.peek()?.is_some_and(|b| b.is_ascii_whitespace()) {
                self.p.pos += 1;
            }
            if self.p.peek()? != Some(b'=') {
                continue;
            }
            self.p.pos += 1;
            while self.p.peek()?.is_some_and(|b| b.is_ascii_whitespace()) {
                self.p.pos += 1;
            }
            self.attribute_value(sink)?;
            if tag == "script" && name == "type" {
                self.json_script = self.value.text().to_ascii_lowercase().contains("json");
            }
            self.attribute(&name, sink);
        }
    }

    /// An attribute's value into [`Markup::value`], quoted or not, entities decoded.
    fn attribute_value(&mut self, sink: &mut dyn Sink) -> Result<(), ExtractError> {
        self.value.clear();
        let quote = match self.p.peek()? {
            Some(q @ (b'"' | b'\'')) => {
                self.p.pos += 1;
                Some(q)
            }
            _ => None,
        };
        let pos = self.p.here();
        self.value.anchor(pos);
        loop {
            let avail = self.p.available()?;
            if avail.is_empty() {
                return Ok(());
            }
            let stop = avail
                .iter()
                .position(|&b| match quote {
                    Some(q) => b == q || b == b'&',
                    None => b.is_ascii_whitespace() || b == b'>' || b == b'&',
                })
                .unwrap_or(avail.len());
            self.value.push(&avail[..stop]);
            let at = avail.get(stop).copied();
            self.p.pos += stop;
            match at {
                Some(b'&') => self.entity(true)?,
                Some(b) if Some(b) == quote => {
                    self.p.pos += 1;
                    return Ok(());
                }
                Some(_) => return Ok(()),
                None => {}
            }
            if self.value.len() > LONG {
                // Out as page text, without a context.
                self.value.hand_over(&mut self.page, false);
                self.page.flush(sink, false);
                self.env.clock.check()?;
            }
        }
    }

    /// A read attribute value goes out under the context of its name (or of its link).
    fn attribute(&mut self, name: &str, sink: &mut dyn Sink) {
        if !self.xml
            && (SKIPPED_ATTRIBUTES.contains(&name)
                || name.starts_with("on")
                || self.value.bytes.starts_with(b"data:"))
        {
            return;
        }
        if name.starts_with("xmlns") {
            return;
        }
        let lower: Vec<u8> = self
            .value
            .bytes
            .iter()
            .take(8)
            .map(u8::to_ascii_lowercase)
            .collect();
        let link = [
            ("tel:", "telefon"),
            ("sms:", "telefon"),
            ("mailto:", "e-post"),
        ]
        .into_iter()
        .find(|(scheme, _)| lower.starts_with(scheme.as_bytes()));
        let header = match link {
            Some((scheme, word)) => {
                self.value.keep_from(scheme.len());
                self.header_of(word)
            }
            None => self.header_of(name),
        };
        let ctx = ChunkContext {
            header: Some(header),
            ..ChunkContext::default()
        };
        self.emit(&self.value, ctx, sink);
    }

    /// Raw text (a comment) up to `end`, to the page on a line of its own.
    fn raw_until(&mut self, end: &[u8], sink: &mut dyn Sink) -> Result<(), ExtractError> {
        let pos = self.p.here();
        self.text.anchor(pos);
        self.raw_text_until(end, sink)?;
        self.text_to_page(sink);
        Ok(())
    }

    /// The text run goes to the page, as a line of its own.
    fn text_to_page(&mut self, sink: &mut dyn Sink) {
        let has_text = self.text.bytes.iter().any(|b| !b.is_ascii_whitespace());
        self.text.hand_over(&mut self.page, true);
        if has_text {
            self.page.buffer().push('\n');
        }
        self.page.flush(sink, false);
        self.text.clear();
    }

    /// Raw text (CDATA, a comment) up to `end`, into the text run.
    fn raw_text_until(&mut self, end: &[u8], sink: &mut dyn Sink) -> Result<(), ExtractError> {
        if self.text.anchors.is_empty() {
            let pos = self.p.here();
            self.text.anchor(pos);
        }
        loop {
            if self.starts_with(end)? {
                self.p.pos += end.len();
                return Ok(());
            }
            let avail = self.p.available()?;
            if avail.is_empty() {
                return Ok(());
            }
            let n = memchr::memchr(end[0], &avail[1..]).map_or(avail.len(), |i| i + 1);
            self.text.push(&avail[..n]);
            self.p.pos += n;
            if self.text.len() > LONG {
                self.spill(sink)?;
            }
        }
    }

    /// Skips an element's raw content (a script, a style) through its end tag; with `keep`,
    /// the content is page text (a JSON data island).
    fn raw_element(
        &mut self,
        tag: &str,
        keep: bool,
        sink: &mut dyn Sink,
    ) -> Result<(), ExtractError> {
        let pos = self.p.here();
        if keep {
            self.text.anchor(pos);
        }
        loop {
            let avail = self.p.available()?;
            if avail.is_empty() {
                break;
            }
            let n = memchr::memchr(b'<', avail).unwrap_or(avail.len());
            if keep {
                self.text.push(&avail[..n]);
            }
            self.p.pos += n;
            if self.p.peek()? == Some(b'<') {
                if self.p.peek_at(1)? == Some(b'/') && self.closes(tag)? {
                    break;
                }
                if keep {
                    self.text.push(b"<");
                }
                self.p.pos += 1;
            }
            if self.text.len() > LONG {
                self.spill(sink)?;
            }
        }
        self.end_text(true, sink);
        Ok(())
    }

    /// Whether `</tag` (any case) is at the position.
    fn closes(&mut self, tag: &str) -> io::Result<bool> {
        for (k, b) in tag.bytes().enumerate() {
            match self.p.peek_at(2 + k)? {
                Some(c) if c.eq_ignore_ascii_case(&b) => {}
                _ => return Ok(false),
            }
        }
        Ok(!self
            .p
            .peek_at(2 + tag.len())?
            .is_some_and(|c| c.is_ascii_alphanumeric()))
    }

    // --- Elements -------------------------------------------------------------------------------

    fn start(&mut self, name: &str, closed: bool, sink: &mut dyn Sink) -> Result<(), ExtractError> {
        if self.xml {
            self.end_text(true, sink);
            if !closed {
                if self.elements.len() < MAX_OPEN {
                    let h = self.header_of(name);
                    self.elements.push(h);
                } else {
                    self.deeper += 1;
                }
            }
            return Ok(());
        }
        self.end_text(!INLINE.contains(&name), sink);
        match name {
            "script" | "style" if !closed => {
                let data = name == "script" && self.json_script;
                return self.raw_element(name, data, sink);
            }
            "pre" => self.pre += 1,
            "table" => {
                self.end_cell(sink);
                if self.tables.len() < MAX_OPEN {
                    self.tables.push(Table {
                        headers: Vec::new(),
                        col: 0,
                        cell: None,
                    });
                }
            }
            "tr" => {
                self.end_cell(sink);
                if let Some(t) = self.tables.last_mut() {
                    t.col = 0;
                }
            }
            "td" | "th" => {
                self.end_cell(sink);
                if let Some(t) = self.tables.last_mut() {
                    t.cell = Some((name == "th", Mapped::default()));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, name: &str, sink: &mut dyn Sink) {
        if self.xml {
            self.end_text(true, sink);
            if self.deeper > 0 {
                self.deeper -= 1;
            } else {
                self.elements.pop();
            }
            return;
        }
        self.end_text(!INLINE.contains(&name), sink);
        match name {
            "pre" => self.pre = self.pre.saturating_sub(1),
            "td" | "th" | "tr" => self.end_cell(sink),
            "table" => {
                self.end_cell(sink);
                self.tables.pop();
            }
            _ => {}
        }
    }

    /// Ends the open cell: a header cell names its column (and is page text too); a cell under
    /// a named column goes out under that name; any other cell is page text.
    fn end_cell(&mut self, sink: &mut dyn Sink) {
        let Some(t) = self.tables.last_mut() else {
            return;
        };
        let Some((th, mut cell)) = t.cell.take() else {
            return;
        };
        let col = t.col;
        t.col += 1;
        let header = t.headers.get(col).copied().flatten();
        if th {
            let name = cell.text().trim().to_string();
            let h = self.header_of(&name);
            if let Some(t) = self.tables.last_mut() {
                if col < MAX_COLUMNS {
                    if t.headers.len() <= col {
                        t.headers.resize(col + 1, None);
                    }
                    t.headers[col] = Some(h);
                }
            }
        } else if let Some(h) = header {
            while cell.bytes.last().is_some_and(u8::is_ascii_whitespace) {
                cell.bytes.pop();
            }
            self.emit(
                &cell,
                ChunkContext {
                    header: Some(h),
                    ..ChunkContext::default()
                },
                sink,
            );
            return;
        }
        cell.hand_over(&mut self.page, true);
        self.page.buffer().push('\n');
        self.page.flush(sink, false);
    }
}

/// The character an entity or character reference (without `&` and `;`) stands for:
/// `Some(None)` for one that stands for nothing (a soft hyphen), `None` if unknown.
fn decode_entity(name: &[u8]) -> Option<Option<char>> {
    if let Some(num) = name.strip_prefix(b"#") {
        let (digits, radix) = match num.first() {
            Some(b'x' | b'X') => (&num[1..], 16),
            _ => (num, 10),
        };
        let v = u32::from_str_radix(std::str::from_utf8(digits).ok()?, radix).ok()?;
        return Some(Some(match v {
            0 => '\u{FFFD}',
            0xA0 => ' ',
            _ => char::from_u32(v).unwrap_or('\u{FFFD}'),
        }));
    }
    let c = match name {
        b"amp" => '&',
        b"lt" => '<',
        b"gt" => '>',
        b"quot" => '"',
        b"apos" => '\'',
        b"nbsp" | b"ensp" | b"emsp" | b"thinsp" => ' ',
        b"shy" | b"zwnj" | b"zwj" => return Some(None),
        b"ndash" => '–',
        b"mdash" => '—',
        b"minus" => '−',
        b"lsquo" => '‘',
        b"rsquo" => '’',
        b"ldquo" => '“',
        b"rdquo" => '”',
        b"laquo" => '«',
        b"raquo" => '»',
        b"hellip" => '…',
        b"middot" => '·',
        b"bull" => '•',
        b"euro" => '€',
        b"copy" => '©',
        b"reg" => '®',
        b"deg" => '°',
        b"sect" => '§',
        b"para" => '¶',
        b"plusmn" => '±',
        b"times" => '×',
        b"aelig" => 'æ',
        b"AElig" => 'Æ',
        b"oslash" => 'ø',
        b"Oslash" => 'Ø',
        b"aring" => 'å',
        b"Aring" => 'Å',
        b"auml" => 'ä',
        b"Auml" => 'Ä',
        b"ouml" => 'ö',
        b"Ouml" => 'Ö',
        b"uuml" => 'ü',
        b"Uuml" => 'Ü',
        b"eacute" => 'é',
        b"Eacute" => 'É',
        b"egrave" => 'è',
        b"agrave" => 'à',
        b"aacute" => 'á',
        b"oacute" => 'ó',
        b"iacute" => 'í',
        b"uacute" => 'ú',
        b"ccedil" => 'ç',
        b"ntilde" => 'ñ',
        b"szlig" => 'ß',
        _ => return None,
    };
    Some(Some(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{Column, Locator};

    /// A chunk's reported text, the line and column of the needle in it (if there), and
    /// whether its context is an identity column.
    type Got = (String, Option<(u64, u64)>, bool);

    /// Every chunk with a digit or `@`.
    fn read(input: &str, xml: bool, needle: &str) -> Vec<Got> {
        let det = crate::detect::Detector::builtin();
        let limits = crate::extract::Limits::default();
        let env = crate::extract::testing::env(&det, &limits);
        struct Keep<'n>(&'n str, Vec<Got>);
        impl Sink for Keep<'_> {
            fn chunk(&mut self, c: &Chunk<'_>) {
                let text = &c.text[c.report.clone()];
                if !text.bytes().any(|b| b.is_ascii_digit() || b == b'@') {
                    return;
                }
                let at = c
                    .text
                    .find(self.0)
                    .filter(|i| c.report.contains(i))
                    .map(|i| {
                        let loc = Locator::new(c).locate(i);
                        let Some(Column::Number(col)) = loc.column else {
                            panic!("no column")
                        };
                        (loc.line.unwrap(), col)
                    });
                let identity = c.context.header.is_some_and(|h| h.identity);
                self.1.push((text.to_string(), at, identity));
            }
        }
        let mut sink = Keep(needle, Vec::new());
        let n = extract(&mut input.as_bytes(), xml, &env, &mut sink).unwrap();
        assert_eq!(n, input.len() as u64);
        sink.1
    }

    /// Where `needle` was found (line, column), once.
    fn place(input: &str, xml: bool, needle: &str) -> (u64, u64) {
        let got = read(input, xml, needle);
        let at: Vec<(u64, u64)> = got.iter().filter_map(|g| g.1).collect();
        assert_eq!(at.len(), 1, "{needle} in {got:?}");
        at[0]
    }

    #[test]
    fn html_reads_as_the_page_shows() {
        let page = "<html><head><title>Liste</title><style>p{x:130972 48022}</style>\n\
                    <script>var x = \"20036914700\";</script></head>\n\
                    <body><p>Fnr: <b>130945</b> 22980, e-post kari&#64;firma.no</p>\n\
                    <p>Ring&nbsp;412&#x20;34 567</p><div>9234</div><div>5678</div></body></html>";
        let got = read(page, false, "kari");
        let text: String = got.iter().map(|g| g.0.as_str()).collect();
        assert!(
            text.contains("Fnr: 130945 22980, e-post kari@firma.no\n"),
            "{text:?}"
        );
        assert!(text.contains("Ring 412 34 567\n"), "{text:?}");
        assert!(text.contains("9234\n5678"), "blocks are lines: {text:?}");
        assert!(!text.contains("20036914700"), "scripts are skipped");
        assert!(!text.contains("48022"), "styles are skipped");
        assert_eq!(place(page, false, "130945"), (3, 18));
        // After the decoded `&#64;`: the column of the source.
        assert_eq!(place(page, false, "firma"), (3, 52));
    }

    #[test]
    fn html_links_attributes_comments_and_json_islands() {
        let page = "<a href=\"tel:+4741234567\">ring</a><a href='MAILTO:kari@firma.no'>x</a>\n\
                    <img alt=\"Kari 13097248022\" class=\"c1234567890\" src=\"data:image/png;base64,MTIzNDU2Nzg5MDEy\">\n\
                    <!-- gammel: 20036914700 -->\n\
                    <script type=\"application/json\">{\"fnr\": \"29020073150\"}</script>";
        let got = read(page, false, "x");
        let texts: Vec<&str> = got.iter().map(|g| g.0.trim()).collect();
        assert!(texts.contains(&"+4741234567"), "{texts:?}");
        assert!(texts.contains(&"kari@firma.no"), "{texts:?}");
        assert!(texts.contains(&"Kari 13097248022"), "{texts:?}");
        assert!(
            texts.iter().any(|t| t.contains("gammel: 20036914700")),
            "{texts:?}"
        );
        assert!(texts.iter().any(|t| t.contains("29020073150")), "{texts:?}");
        assert!(!texts
            .iter()
            .any(|t| t.contains("1234567890") || t.contains("MTIz")));
        assert_eq!(place(page, false, "+47"), (1, 14));
        assert_eq!(place(page, false, "20036914700"), (3, 14));
    }

    #[test]
    fn html_table_headers_are_context_for_their_columns() {
        let page = "<table>\n<tr><th>Navn</th><th>Fødselsnummer</th><th>Notat</th></tr>\n\
                    <tr><td>Kari</td><td>3851598730</td><td>ring 41234567</td></tr>\n</table>";
        let got = read(page, false, "3851598730");
        let cell = got
            .iter()
            .find(|g| g.0 == "3851598730")
            .expect("a cell of its own");
        assert!(cell.2, "under Fødselsnummer: {got:?}");
        assert_eq!(cell.1, Some((3, 22)));
        let note = got.iter().find(|g| g.0.contains("41234567")).unwrap();
        assert!(!note.2);
    }

    #[test]
    fn xml_values_under_their_names() {
        let doc = "<?xml version=\"1.0\"?>\n<personer>\n  <person fnr=\"3851598730\">\n    \
                   <navn>Kari</navn>\n    <fodselsnummer>3851598730</fodselsnummer>\n    \
                   <notat><![CDATA[ring 41234567 & <svar>]]></notat>\n  </person>\n</personer>";
        let got = read(doc, true, "3851598730");
        let ids: Vec<&Got> = got.iter().filter(|g| g.0 == "3851598730").collect();
        assert_eq!(ids.len(), 2, "{got:?}");
        assert!(
            ids.iter().all(|g| g.2),
            "attribute and element names are context"
        );
        assert_eq!(ids[0].1, Some((3, 16)));
        assert_eq!(ids[1].1, Some((5, 20)));
        assert!(
            got.iter().any(|g| g.0 == "ring 41234567 & <svar>"),
            "{got:?}"
        );
    }

    #[test]
    fn broken_markup_is_text() {
        let got = read("a < b 13097248022 <<x & y &#xZZ; <!-- open", false, "130");
        let text: String = got.iter().map(|g| g.0.as_str()).collect();
        assert!(text.contains("a < b 13097248022"), "{text:?}");
    }

    #[test]
    fn markup_is_sniffed() {
        assert_eq!(detect("txt", "<!DOCTYPE html>\n<html>"), Some(Format::Html));
        assert_eq!(detect("", "  <html lang=\"no\">"), Some(Format::Html));
        assert_eq!(detect("", "<?xml version=\"1.0\"?><a/>"), Some(Format::Xml));
        assert_eq!(
            detect("", "<?xml version=\"1.0\"?><!DOCTYPE html><html>"),
            Some(Format::Html)
        );
        assert_eq!(detect("htm", "x"), Some(Format::Html));
        assert_eq!(detect("txt", "a < b"), None);
    }
}
