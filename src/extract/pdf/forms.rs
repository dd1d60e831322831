//! Text a person typed into a PDF besides its pages: form field values and annotations.
//!
//! A filled-in form (an application, a registration) holds names and identity numbers in its
//! fields' values (`/V`), which viewers draw from the value; an annotation (a comment, a
//! typed-on note) holds its text in `/Contents`. Fields are located `{"part": "form/Navn"}`
//! by their qualified name (or by their number, `form/#3`, when the name itself looks like a
//! value: a name is printed in the inventory as it is), annotations `{"page": 2, "part":
//! "annotation"}`. Field trees are walked with an explicit stack, each field once.

use std::collections::HashSet;

use super::doc::Doc;
use super::font::text_string;
use super::object::{Dict, Id, Object};
use crate::detect::ChunkContext;
use crate::extract::{Chunk, LinePos, Location, Position, Sink};

fn push(sink: &mut dyn Sink, base: &Location, text: &str) {
    if !text.trim().is_empty() {
        sink.chunk(&Chunk::whole(
            text,
            base,
            Position::Lines(LinePos::START),
            ChunkContext::default(),
        ));
    }
}

/// A field name fit to print: not one that holds a long number or an address.
fn printable(name: &str) -> bool {
    let mut run = 0;
    for c in name.chars() {
        if c == '@' {
            return false;
        }
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        if run >= 6 {
            return false;
        }
    }
    true
}

/// The values of the form's fields; returns how many there were.
pub(super) fn fields(doc: &Doc<'_>, sink: &mut dyn Sink) -> usize {
    let Some(cat) = doc.catalog() else { return 0 };
    let Some(form) = cat.as_dict().map(|c| doc.get_in(c, b"AcroForm").clone()) else {
        return 0;
    };
    let Some(list) = form.as_dict().map(|f| doc.get_in(f, b"Fields").clone()) else {
        return 0;
    };
    let Some(list) = list.as_array() else {
        return 0;
    };
    let mut stack: Vec<(Object, String)> = list
        .iter()
        .rev()
        .map(|o| (o.clone(), String::new()))
        .collect();
    let mut seen: HashSet<Id> = HashSet::new();
    let mut n = 0;
    while let Some((node, parent)) = stack.pop() {
        // Each field is met once (references are remembered, direct kids form no loop), so
        // the walk ends; the time budget bounds a file of millions.
        if doc.clock.check().is_err() {
            break;
        }
        if let Object::Ref(id) = node {
            if !seen.insert(id) {
                continue;
            }
        }
        let obj = doc.resolve(&node).clone();
        let Some(field) = obj.as_dict() else { continue };
        let name = match doc.get_in(field, b"T").as_str() {
            Some(t) if parent.is_empty() => text_string(t),
            Some(t) => format!("{parent}.{}", text_string(t)),
            None => parent.clone(),
        };
        if let Some(kids) = doc.get_in(field, b"Kids").as_array() {
            for k in kids.iter().rev() {
                stack.push((k.clone(), name.clone()));
            }
        }
        let values: Vec<String> = match &*doc.get_in(field, b"V") {
            Object::Str(s) => vec![text_string(s)],
            Object::Array(a) => a
                .iter()
                .filter_map(|o| doc.resolve(o).as_str().map(text_string))
                .collect(),
            _ => Vec::new(),
        };
        if values.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        n += 1;
        let part = if printable(&name) && !name.is_empty() {
            format!("form/{name}")
        } else {
            format!("form/#{n}")
        };
        let base = Location {
            part: Some(part),
            ..Location::default()
        };
        for v in &values {
            push(sink, &base, v);
        }
    }
    n
}

/// The text of a page's annotations (comments, notes, typed-on text).
pub(super) fn annotations(doc: &Doc<'_>, page: &Dict, number: u32, sink: &mut dyn Sink) {
    let annots = doc.get_in(page, b"Annots");
    let Some(list) = annots.as_array() else {
        return;
    };
    let base = Location {
        page: Some(number),
        part: Some("annotation".into()),
        ..Location::default()
    };
    for a in list {
        let a = doc.resolve(a);
        let Some(d) = a.as_dict() else { continue };
        if d.name(b"Subtype") == Some(b"Popup") {
            continue;
        }
        if let Some(s) = doc.get_in(d, b"Contents").as_str() {
            push(sink, &base, &text_string(s));
        }
    }
}
