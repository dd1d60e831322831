//! One XML part of an office file (a docx body, a workbook's shared strings, an ODF
//! `content.xml`) read as a stream of events, within bounds that hold whatever the part holds.
//!
//! Parts are read as they decompress, never whole, so a part of any size costs the same
//! memory. Three things in XML could still make a reader grow without bound, and each has a
//! bound here:
//!
//! * quick-xml holds one event whole (a text node, a tag with its attributes, a comment): an
//!   event over [`MAX_EVENT`] bytes stops the part (`parse_bytes_limit`);
//! * every open element is remembered until it closes: elements nested deeper than
//!   [`MAX_DEPTH`] stop the part (`nesting_limit`); real documents nest a few dozen deep;
//! * entities declared in a DTD can expand exponentially (the "billion laughs"): they are
//!   never expanded. Office applications refuse a DTD in these parts, so a part that has one
//!   was not written by them; references to such entities are counted ([`Xml::unexpanded`]),
//!   so the file can be marked partial instead of silently clean.
//!
//! A part whose XML breaks off keeps what was read before the damage ([`XmlError::Damaged`]).

use std::borrow::Cow;
use std::io::{self, BufRead, BufReader, Read, Seek};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::extract::{archive, ExtractError, Limit, LimitHit, Limits};

/// Bytes one XML event may take.
pub(crate) const MAX_EVENT: u64 = 16 << 20;
/// Elements open at once.
pub(crate) const MAX_DEPTH: usize = 4096;

/// Why a part stopped before its end.
#[derive(Debug)]
pub(crate) enum XmlError {
    /// The XML (or the compressed data under it) is damaged: what came before stays.
    Damaged,
    /// A limit or the time budget: the whole file stops.
    Stop(ExtractError),
}

impl From<ExtractError> for XmlError {
    fn from(e: ExtractError) -> XmlError {
        XmlError::Stop(e)
    }
}

/// Counts the bytes quick-xml takes since the last event, and refuses more than
/// [`MAX_EVENT`]: quick-xml copies an event's bytes into its buffer as it consumes them, so
/// this bounds the buffer.
struct Budget<R> {
    inner: R,
    used: u64,
}

impl<R: BufRead> Read for Budget<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let data = self.fill_buf()?;
            let n = data.len().min(out.len());
            out[..n].copy_from_slice(&data[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Budget<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.used > MAX_EVENT {
            return Err(LimitHit::new(
                Limit::ParseBytes,
                format!("an XML text or tag over {} MiB", MAX_EVENT >> 20),
            )
            .into());
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.used += n as u64;
        self.inner.consume(n);
    }
}

/// An XML part being read.
pub(crate) struct Xml<'r> {
    reader: Reader<Budget<BufReader<Box<dyn Read + 'r>>>>,
    buf: Vec<u8>,
    depth: usize,
    /// References to entities that are neither predefined (`&amp;`...) nor characters
    /// (`&#64;`): declared in a DTD, if anywhere, and not expanded.
    pub unexpanded: u64,
}

impl<'r> Xml<'r> {
    pub(crate) fn new(r: impl Read + 'r) -> Xml<'r> {
        let inner: Box<dyn Read + 'r> = Box::new(r);
        let mut reader = Reader::from_reader(Budget {
            inner: BufReader::with_capacity(64 << 10, inner),
            used: 0,
        });
        reader.config_mut().trim_text(false);
        Xml {
            reader,
            buf: Vec::new(),
            depth: 0,
            unexpanded: 0,
        }
    }

    /// The zip member `name`, streamed within the ratio limit; None if there is none.
    pub(crate) fn open<R: Read + Seek>(
        zip: &'r mut zip::ZipArchive<R>,
        name: &str,
        limits: &Limits,
    ) -> Result<Option<Xml<'r>>, ExtractError> {
        Ok(archive::open_member(zip, name, limits)?.map(Xml::new))
    }

    /// The next event; `Event::Eof` at the end.
    pub(crate) fn next(&mut self) -> Result<Event<'_>, XmlError> {
        self.buf.clear();
        self.reader.get_mut().used = 0;
        let event = match self.reader.read_event_into(&mut self.buf) {
            Ok(e) => e,
            Err(quick_xml::Error::Io(e)) => {
                return Err(match LimitHit::in_io(&e) {
                    Some(hit) => XmlError::Stop(ExtractError::Limit(hit.clone())),
                    None => XmlError::Damaged,
                })
            }
            Err(_) => return Err(XmlError::Damaged),
        };
        match &event {
            Event::Start(_) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(XmlError::Stop(ExtractError::limit(
                        Limit::Nesting,
                        format!("XML elements nested more than {MAX_DEPTH} deep"),
                    )));
                }
            }
            Event::End(_) => self.depth = self.depth.saturating_sub(1),
            Event::GeneralRef(r) if !r.is_char_ref() && predefined(r).is_none() => {
                self.unexpanded += 1
            }
            _ => {}
        }
        Ok(event)
    }
}

/// `&amp;` and the other entities every XML reader knows.
fn predefined(name: &[u8]) -> Option<char> {
    Some(match name {
        b"amp" => '&',
        b"lt" => '<',
        b"gt" => '>',
        b"quot" => '"',
        b"apos" => '\'',
        _ => return None,
    })
}

/// The document text an event carries: text, CDATA, a character reference or a predefined
/// entity. None for other events and for entities declared in a DTD (not expanded, see the
/// module documentation).
pub(crate) fn text<'e>(event: &'e Event<'_>) -> Result<Option<Cow<'e, str>>, XmlError> {
    Ok(match event {
        Event::Text(t) => Some(t.decode().map_err(|_| XmlError::Damaged)?),
        Event::CData(t) => Some(t.decode().map_err(|_| XmlError::Damaged)?),
        Event::GeneralRef(r) => {
            let c = match r.resolve_char_ref().map_err(|_| XmlError::Damaged)? {
                Some(c) => Some(c),
                None => predefined(r),
            };
            c.map(|c| Cow::Owned(c.to_string()))
        }
        _ => None,
    })
}

/// The raw value of the attribute with local name `local` (for values that never hold
/// references: cell references, types). Attributes are not checked for duplicates (the first
/// one counts): that check costs more than the rest of a cell.
pub(crate) fn attr_bytes<'e>(e: &'e BytesStart<'_>, local: &[u8]) -> Option<Cow<'e, [u8]>> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .map(|a| a.value)
}

/// The inventory's reason for a file with references to DTD entities left unexpanded.
pub(crate) const UNEXPANDED: &str = "xml_entities";

/// The detail for `n` references left unexpanded.
pub(crate) fn unexpanded_detail(n: u64) -> String {
    format!(
        "{n} reference(s) to entities declared in a DTD were not expanded (office applications \
         do not write them; expanding them is how entity bombs work)"
    )
}

/// The value of the attribute with local name `local`, with references resolved.
pub(crate) fn attr(e: &BytesStart<'_>, local: &[u8]) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .map(
            |a| match a.normalized_value(quick_xml::XmlVersion::default()) {
                Ok(v) => v.into_owned(),
                Err(_) => String::from_utf8_lossy(&a.value).into_owned(),
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of every event until the end or an error.
    fn read_all(xml: &[u8]) -> (String, Option<XmlError>, u64) {
        let mut x = Xml::new(xml);
        let mut out = String::new();
        loop {
            match x.next() {
                Ok(Event::Eof) => return (out, None, x.unexpanded),
                Ok(e) => out.push_str(&text(&e).unwrap().unwrap_or_default()),
                Err(e) => return (out, Some(e), x.unexpanded),
            }
        }
    }

    #[test]
    fn references_are_resolved_and_dtd_entities_counted_not_expanded() {
        let (text, err, unexpanded) = read_all(
            br#"<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>1&#64;2&amp;&b;&b;</x>"#,
        );
        assert!(err.is_none());
        assert_eq!((text.as_str(), unexpanded), ("1@2&", 2));
    }

    #[test]
    fn deep_nesting_stops_with_the_nesting_limit() {
        let mut xml = b"<a>text".to_vec();
        xml.extend(b"<b>".repeat(MAX_DEPTH + 10));
        let (text, err, _) = read_all(&xml);
        assert_eq!(text, "text");
        match err {
            Some(XmlError::Stop(e)) => assert_eq!(e.as_limit(), Some(Limit::Nesting)),
            other => panic!("{other:?}"),
        }
        // As deep as allowed is fine.
        let mut xml = b"<b>".repeat(MAX_DEPTH - 1);
        xml.extend(b"x".iter().chain(b"</b>".repeat(MAX_DEPTH - 1).iter()));
        assert!(read_all(&xml).1.is_none());
    }

    #[test]
    fn a_huge_text_node_stops_with_the_parse_limit_and_memory_stays_bounded() {
        // 32 MiB of text in one node, generated as it is read.
        let body = io::repeat(b'7').take(2 * MAX_EVENT);
        let xml = (&b"<a>before</a><b>"[..]).chain(body);
        let mut x = Xml::new(xml);
        let mut seen = String::new();
        let err = loop {
            match x.next() {
                Ok(e) => seen.push_str(&text(&e).unwrap().unwrap_or_default()),
                Err(e) => break e,
            }
        };
        assert_eq!(seen, "before");
        match err {
            XmlError::Stop(e) => assert_eq!(e.as_limit(), Some(Limit::ParseBytes)),
            other => panic!("{other:?}"),
        }
        assert!(x.buf.capacity() as u64 <= 2 * MAX_EVENT, "bounded buffer");
    }

    #[test]
    fn broken_xml_is_damage_after_the_text_before_it() {
        let (text, err, _) = read_all(b"<a>ok</a><b>x</c>");
        assert_eq!(text, "okx");
        assert!(matches!(err, Some(XmlError::Damaged)));
    }
}
