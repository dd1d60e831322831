//! Document metadata as text: the `/Info` dictionary and the XMP packet.
//!
//! A title, author or subject can be a person's name or number as much as the pages can
//! (`Lønnsslipp 13097248022`), and a reviewer must be able to find it: each value is its own
//! chunk, located `{"part": "info/Title"}` or `{"part": "xmp/dc:title"}`, with line and
//! column within the value. Every string value of `/Info` is read (producers add their own
//! keys), except the two dates. XMP is read with an XML parser: element text and attribute
//! values (XMP writes simple properties as attributes of `rdf:Description`), named by the
//! property, not by the `rdf:` containers around the value.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::doc::Doc;
use super::font::text_string;
use super::object::Object;
use crate::detect::ChunkContext;
use crate::extract::{Chunk, LinePos, Location, Position, Sink};

/// Bytes of XMP read.
const MAX_XMP: u64 = 4 << 20;

fn push(sink: &mut dyn Sink, part: String, text: &str) {
    if text.trim().is_empty() {
        return;
    }
    let base = Location {
        part: Some(part),
        ..Location::default()
    };
    sink.chunk(&Chunk::whole(
        text,
        &base,
        Position::Lines(LinePos::START),
        ChunkContext::default(),
    ));
}

/// Pushes the metadata's values; returns how many there were.
pub(super) fn extract(doc: &Doc<'_>, sink: &mut dyn Sink) -> usize {
    let mut n = 0;
    let info = doc.trailer.get(b"Info").map(|o| doc.resolve(o).clone());
    if let Some(Object::Dict(info)) = info {
        for (key, value) in &info.0 {
            if matches!(key.as_slice(), b"CreationDate" | b"ModDate") {
                continue;
            }
            if let Some(s) = doc.resolve(value).as_str() {
                let text = text_string(s);
                push(
                    sink,
                    format!("info/{}", String::from_utf8_lossy(key)),
                    &text,
                );
                n += 1;
            }
        }
    }
    if let Some(cat) = doc.catalog() {
        if let Some(dict) = cat.as_dict() {
            if let Object::Stream(s) = &*doc.get_in(dict, b"Metadata") {
                if let Ok(xml) = doc.decode_whole(s, MAX_XMP) {
                    n += xmp(&xml, sink);
                }
            }
        }
    }
    n
}

/// The property an element's text belongs to: the innermost element outside the `rdf:`
/// and `x:` containers.
fn property(stack: &[String]) -> Option<&str> {
    stack
        .iter()
        .rev()
        .find(|n| !n.starts_with("rdf:") && !n.starts_with("x:") && n.as_str() != "x:xmpmeta")
        .map(String::as_str)
}

fn xmp(xml: &[u8], sink: &mut dyn Sink) -> usize {
    let mut r = Reader::from_reader(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut buf = Vec::new();
    let mut n = 0;
    loop {
        let ev = r.read_event_into(&mut buf);
        if matches!(ev, Ok(Event::Start(_) | Event::Empty(_) | Event::End(_))) {
            n += flush(&stack, &mut text, sink);
        }
        match ev {
            Ok(Event::Start(e)) => {
                n += attributes(&e, sink);
                stack.push(String::from_utf8_lossy(e.name().as_ref()).into_owned());
            }
            Ok(Event::Empty(e)) => n += attributes(&e, sink),
            Ok(Event::End(_)) => {
                stack.pop();
            }
            Ok(Event::Text(t)) => text.push_str(&t.decode().unwrap_or_default()),
            Ok(Event::CData(t)) => text.push_str(&t.decode().unwrap_or_default()),
            Ok(Event::GeneralRef(g)) => text.extend(match g.resolve_char_ref() {
                Ok(Some(c)) => Some(c),
                _ => match &*g {
                    b"amp" => Some('&'),
                    b"lt" => Some('<'),
                    b"gt" => Some('>'),
                    b"quot" => Some('"'),
                    b"apos" => Some('\''),
                    _ => None,
                },
            }),
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    n
}

/// Pushes the text gathered for the current property; returns 1 if there was some.
fn flush(stack: &[String], text: &mut String, sink: &mut dyn Sink) -> usize {
    let mut n = 0;
    if !text.trim().is_empty() {
        if let Some(p) = property(stack) {
            push(sink, format!("xmp/{p}"), text);
            n = 1;
        }
    }
    text.clear();
    n
}

/// Property values written as attributes.
fn attributes(e: &quick_xml::events::BytesStart<'_>, sink: &mut dyn Sink) -> usize {
    let mut n = 0;
    for a in e.attributes().flatten() {
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        if ["xmlns", "rdf:", "x:", "xml:"]
            .iter()
            .any(|p| key.starts_with(p))
        {
            continue;
        }
        if let Ok(v) = a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
            if !v.trim().is_empty() {
                push(sink, format!("xmp/{key}"), &v);
                n += 1;
            }
        }
    }
    n
}
