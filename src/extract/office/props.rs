//! Document properties: the title, subject, author, keywords, comments, last editor, company
//! and manager that office applications keep beside the content and show in a properties
//! dialog. People put names there, and sometimes numbers: they are text like any other.
//!
//! Each value is a chunk of its own located `{"part": "properties/NAME"}`, with these names
//! whatever the format calls them: `title`, `subject`, `creator` (the author), `keywords`,
//! `description` (comments), `last_modified_by`, `category`, `content_status`, `identifier`,
//! `company`, `manager`, `hyperlink_base`, `printed_by`, and `custom` for properties a user
//! defined, read as `name: value` (the name is context for the value). They come from
//!
//! * OOXML (docx, pptx, xlsx, xlsb): `docProps/core.xml`, `docProps/app.xml`,
//!   `docProps/custom.xml`;
//! * OpenDocument (odt, odp, ods): `meta.xml` (`meta:initial-creator` is the `creator`,
//!   `dc:creator` the `last_modified_by`);
//! * OLE2 files (xls, and the doc, ppt and encrypted packages that are otherwise not read):
//!   the `\x05SummaryInformation` and `\x05DocumentSummaryInformation` property sets;
//! * RTF: the `\info` group (see [`super::rtf`]).
//!
//! Dates, counts, the application's name and the template are not read.

use std::io::{Read, Seek};

use quick_xml::events::Event;

use super::xml::{self, Xml, XmlError};
use crate::detect::ChunkContext;
use crate::extract::{Chunk, ExtractError, Limits, Location, Position, Sink};

/// Bytes of one property kept.
const MAX_PROPERTY: usize = 1 << 20;

/// (element local name, property name) of the XML property parts.
const OOXML: &[(&[u8], &str)] = &[
    (b"title", "title"),
    (b"subject", "subject"),
    (b"creator", "creator"),
    (b"keywords", "keywords"),
    (b"description", "description"),
    (b"lastModifiedBy", "last_modified_by"),
    (b"category", "category"),
    (b"contentStatus", "content_status"),
    (b"identifier", "identifier"),
    (b"Company", "company"),
    (b"Manager", "manager"),
    (b"HyperlinkBase", "hyperlink_base"),
];

const ODF: &[(&[u8], &str)] = &[
    (b"title", "title"),
    (b"subject", "subject"),
    (b"description", "description"),
    (b"keyword", "keywords"),
    (b"initial-creator", "creator"),
    (b"creator", "last_modified_by"),
    (b"printed-by", "printed_by"),
];

/// Hands one property value to the sink.
pub(super) fn emit(sink: &mut dyn Sink, name: &str, value: &str) {
    let value = value.trim();
    if value.is_empty() {
        return;
    }
    let loc = Location {
        part: Some(format!("properties/{name}")),
        ..Location::default()
    };
    sink.chunk(&Chunk::whole(
        value,
        &loc,
        Position::Fixed,
        ChunkContext::default(),
    ));
}

/// The properties of an OOXML package. Returns false if a property part is damaged (the
/// properties before the damage were read).
pub(crate) fn ooxml<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    limits: &Limits,
    sink: &mut dyn Sink,
) -> Result<bool, ExtractError> {
    let mut whole = true;
    for (member, custom) in [
        ("docProps/core.xml", None),
        ("docProps/app.xml", None),
        ("docProps/custom.xml", Some(&b"property"[..])),
    ] {
        if let Some(mut x) = Xml::open(zip, member, limits)? {
            whole &= walk(&mut x, OOXML, custom, sink)?;
        }
    }
    Ok(whole)
}

/// The properties of an OpenDocument file (`meta.xml`); false if it is damaged.
pub(crate) fn odf<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    limits: &Limits,
    sink: &mut dyn Sink,
) -> Result<bool, ExtractError> {
    match Xml::open(zip, "meta.xml", limits)? {
        Some(mut x) => walk(&mut x, ODF, Some(b"user-defined"), sink),
        None => Ok(true),
    }
}

/// Reads the properties of one XML part: the elements `names` maps, and the elements called
/// `custom` (named by their `name` attribute).
fn walk(
    x: &mut Xml<'_>,
    names: &[(&[u8], &str)],
    custom: Option<&[u8]>,
    sink: &mut dyn Sink,
) -> Result<bool, ExtractError> {
    // The property being read: its name, and its text so far.
    let mut open: Option<(&[u8], &str, String)> = None;
    loop {
        let event = match x.next() {
            Ok(e) => e,
            Err(XmlError::Damaged) => return Ok(false),
            Err(XmlError::Stop(e)) => return Err(e),
        };
        match &event {
            Event::Eof => return Ok(true),
            Event::Start(e) if open.is_none() => {
                let local = e.local_name();
                let local = local.as_ref();
                if custom == Some(local) {
                    let name = xml::attr(e, b"name").unwrap_or_default();
                    open = Some((custom.unwrap_or_default(), "custom", format!("{name}: ")));
                } else if let Some((element, name)) = names.iter().find(|(n, _)| *n == local) {
                    open = Some((element, name, String::new()));
                }
            }
            Event::End(e) => {
                if let Some((element, name, text)) = &open {
                    if e.local_name().as_ref() == *element {
                        let value = if *name == "custom" {
                            // Without a value, the name alone is not a property.
                            text.split_once(": ")
                                .filter(|(_, v)| !v.trim().is_empty())
                                .map(|_| text.as_str())
                        } else {
                            Some(text.as_str())
                        };
                        if let Some(v) = value {
                            emit(sink, name, v);
                        }
                        open = None;
                    }
                }
            }
            e => {
                if let (Some((_, _, text)), Ok(Some(t))) = (&mut open, xml::text(e)) {
                    if text.len() + t.len() <= MAX_PROPERTY {
                        text.push_str(&t);
                    }
                }
            }
        }
    }
}

/// Property ids of the summary information set, by name.
const SUMMARY: &[(u32, &str)] = &[
    (2, "title"),
    (3, "subject"),
    (4, "creator"),
    (5, "keywords"),
    (6, "description"),
    (8, "last_modified_by"),
];

/// Property ids of the document summary information set.
const DOC_SUMMARY: &[(u32, &str)] = &[(2, "category"), (14, "manager"), (15, "company")];

/// The format ids of the property sets (GUIDs as stored, little-endian fields first).
const FMTID_SUMMARY: [u8; 16] = [
    0xE0, 0x85, 0x9F, 0xF2, 0xF9, 0x4F, 0x68, 0x10, 0xAB, 0x91, 0x08, 0x00, 0x2B, 0x27, 0xB3, 0xD9,
];
const FMTID_DOC_SUMMARY: [u8; 16] = [
    0x02, 0xD5, 0xCD, 0xD5, 0x9C, 0x2E, 0x1B, 0x10, 0x93, 0x97, 0x08, 0x00, 0x2B, 0x2C, 0xF9, 0xAE,
];
const FMTID_USER: [u8; 16] = [
    0x05, 0xD5, 0xCD, 0xD5, 0x9C, 0x2E, 0x1B, 0x10, 0x93, 0x97, 0x08, 0x00, 0x2B, 0x2C, 0xF9, 0xAE,
];

/// Bytes of a property set stream read.
const MAX_SET_STREAM: u64 = 4 << 20;

/// The properties of an OLE2 file. Damaged property sets give what can be read of them.
pub(crate) fn ole<F: Read + Seek>(cf: &mut cfb::CompoundFile<F>, sink: &mut dyn Sink) {
    for name in [
        "/\u{5}SummaryInformation",
        "/\u{5}DocumentSummaryInformation",
    ] {
        let mut data = Vec::new();
        let read = cf
            .open_stream(name)
            .and_then(|s| s.take(MAX_SET_STREAM).read_to_end(&mut data));
        if read.is_ok() {
            property_sets(&data, sink);
        }
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// A property set stream (MS-OLEPS): a header, then (format id, offset) of each set.
fn property_sets(data: &[u8], sink: &mut dyn Sink) {
    let count = u32_at(data, 24).unwrap_or(0).min(2) as usize;
    for k in 0..count {
        let at = 28 + k * 20;
        let (Some(fmtid), Some(offset)) = (data.get(at..at + 16), u32_at(data, at + 16)) else {
            return;
        };
        let Some(set) = data.get(offset as usize..) else {
            continue;
        };
        let names = if fmtid == FMTID_SUMMARY {
            Names::Fixed(SUMMARY)
        } else if fmtid == FMTID_DOC_SUMMARY {
            Names::Fixed(DOC_SUMMARY)
        } else if fmtid == FMTID_USER {
            Names::Custom
        } else {
            continue;
        };
        property_set(set, names, sink);
    }
}

enum Names {
    Fixed(&'static [(u32, &'static str)]),
    /// User-defined properties, named by the set's dictionary (property 0).
    Custom,
}

/// One property set: size, count, (id, offset) pairs, typed values.
fn property_set(set: &[u8], names: Names, sink: &mut dyn Sink) {
    let count = u32_at(set, 4).unwrap_or(0).min(1024) as usize;
    let entries: Vec<(u32, usize)> = (0..count)
        .map_while(|i| Some((u32_at(set, 8 + i * 8)?, u32_at(set, 12 + i * 8)? as usize)))
        .collect();
    // Property 1 is the code page of 8-bit strings.
    let encoding = entries
        .iter()
        .find(|e| e.0 == 1)
        .and_then(|&(_, at)| u16_at(set, at + 4))
        .and_then(|cp| super::code_page(i64::from(cp)))
        .unwrap_or(encoding_rs::WINDOWS_1252);
    let dictionary = match names {
        Names::Custom => entries
            .iter()
            .find(|e| e.0 == 0)
            .map(|&(_, at)| dictionary(set, at, encoding))
            .unwrap_or_default(),
        Names::Fixed(_) => Vec::new(),
    };
    for &(id, at) in &entries {
        let Some(value) = string_value(set, at, encoding) else {
            continue;
        };
        match names {
            Names::Fixed(fixed) => {
                if let Some((_, name)) = fixed.iter().find(|(i, _)| *i == id) {
                    emit(sink, name, &value);
                }
            }
            Names::Custom if id >= 2 => {
                let name = dictionary
                    .iter()
                    .find(|(i, _)| *i == id)
                    .map_or("", |(_, n)| n);
                if !value.trim().is_empty() {
                    emit(sink, "custom", &format!("{name}: {value}"));
                }
            }
            Names::Custom => {}
        }
    }
}

/// A string property at `at`: `VT_LPSTR` (bytes in the set's code page) or `VT_LPWSTR`
/// (UTF-16). None for other types.
fn string_value(set: &[u8], at: usize, encoding: &'static encoding_rs::Encoding) -> Option<String> {
    let typ = u16_at(set, at)?;
    let len = u32_at(set, at + 4)? as usize;
    let start = at + 8;
    let text = match typ {
        0x001E => {
            let bytes = set.get(start..start.checked_add(len.min(MAX_PROPERTY))?)?;
            encoding.decode_without_bom_handling(bytes).0.into_owned()
        }
        0x001F => {
            let bytes =
                set.get(start..start.checked_add(len.min(MAX_PROPERTY).checked_mul(2)?)?)?;
            encoding_rs::UTF_16LE
                .decode_without_bom_handling(bytes)
                .0
                .into_owned()
        }
        _ => return None,
    };
    Some(text.trim_end_matches('\0').to_string())
}

/// The dictionary of user-defined property names: count, then (id, length, name), names in
/// the code page (UTF-16 and padded to 4 bytes in code page 1200).
fn dictionary(
    set: &[u8],
    at: usize,
    encoding: &'static encoding_rs::Encoding,
) -> Vec<(u32, String)> {
    let wide = encoding == encoding_rs::UTF_16LE;
    let count = u32_at(set, at).unwrap_or(0).min(1024);
    let mut out = Vec::new();
    let mut p = at + 4;
    for _ in 0..count {
        let (Some(id), Some(len)) = (u32_at(set, p), u32_at(set, p + 4)) else {
            break;
        };
        let bytes = if wide { len as usize * 2 } else { len as usize };
        let Some(name) = set.get(p + 8..p + 8 + bytes.min(4096)) else {
            break;
        };
        let name = encoding.decode_without_bom_handling(name).0;
        out.push((id, name.trim_end_matches('\0').to_string()));
        p += 8 + bytes;
        if wide {
            p = p.next_multiple_of(4);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::testing::Texts;

    fn props(sink: Texts) -> Vec<(String, String)> {
        sink.chunks
            .into_iter()
            .map(|(loc, text, _)| (loc.part.unwrap(), text))
            .collect()
    }

    #[test]
    fn ooxml_core_app_and_custom_properties() {
        let core = r#"<cp:coreProperties xmlns:cp="c" xmlns:dc="d" xmlns:dcterms="t"><dc:title>Lønn 13097248022</dc:title><dc:creator>Kari Nordmann</dc:creator><cp:lastModifiedBy>Ola</cp:lastModifiedBy><dcterms:created>2020-01-01T00:00:00Z</dcterms:created><cp:keywords></cp:keywords></cp:coreProperties>"#;
        let custom = r#"<Properties xmlns:vt="v"><property fmtid="{x}" pid="2" name="Fnr"><vt:lpwstr>20036914700</vt:lpwstr></property><property name="Tom"><vt:lpwstr> </vt:lpwstr></property></Properties>"#;
        let mut sink = Texts::default();
        for (xml, custom) in [(core, None), (custom, Some(&b"property"[..]))] {
            assert!(walk(&mut Xml::new(xml.as_bytes()), OOXML, custom, &mut sink).unwrap());
        }
        assert_eq!(
            props(sink),
            [
                ("properties/title".into(), "Lønn 13097248022".into()),
                ("properties/creator".into(), "Kari Nordmann".into()),
                ("properties/last_modified_by".into(), "Ola".into()),
                ("properties/custom".into(), "Fnr: 20036914700".into()),
            ]
        );
    }

    #[test]
    fn odf_meta_names_its_creators() {
        let meta = r#"<office:document-meta xmlns:office="o" xmlns:meta="m" xmlns:dc="d"><office:meta><meta:initial-creator>Kari</meta:initial-creator><dc:creator>Ola</dc:creator><meta:keyword>a</meta:keyword><meta:keyword>b</meta:keyword><meta:user-defined meta:name="Tlf">40300040</meta:user-defined><meta:generator>LibreOffice</meta:generator></office:meta></office:document-meta>"#;
        let mut sink = Texts::default();
        assert!(walk(
            &mut Xml::new(meta.as_bytes()),
            ODF,
            Some(b"user-defined"),
            &mut sink
        )
        .unwrap());
        assert_eq!(
            props(sink),
            [
                ("properties/creator".into(), "Kari".into()),
                ("properties/last_modified_by".into(), "Ola".into()),
                ("properties/keywords".into(), "a".into()),
                ("properties/keywords".into(), "b".into()),
                ("properties/custom".into(), "Tlf: 40300040".into()),
            ]
        );
    }

    /// A property set stream with one set of string properties.
    fn set_stream(fmtid: [u8; 16], props: &[(u32, u16, &[u8])]) -> Vec<u8> {
        let mut set = Vec::new();
        let header = 8 + props.len() * 8;
        let mut values = Vec::new();
        let mut index = Vec::new();
        for &(id, typ, bytes) in props {
            index.extend(id.to_le_bytes());
            index.extend(((header + values.len()) as u32).to_le_bytes());
            values.extend(u32::from(typ).to_le_bytes());
            let len = if typ == 0x1F {
                bytes.len() / 2
            } else {
                bytes.len()
            };
            values.extend((len as u32).to_le_bytes());
            values.extend(bytes);
            while values.len() % 4 != 0 {
                values.push(0);
            }
        }
        set.extend(((header + values.len()) as u32).to_le_bytes());
        set.extend((props.len() as u32).to_le_bytes());
        set.extend(index);
        set.extend(values);
        let mut stream = vec![0xFE, 0xFF, 0, 0, 0, 0, 0, 0];
        stream.extend([0; 16]);
        stream.extend(1u32.to_le_bytes());
        stream.extend(fmtid);
        stream.extend(48u32.to_le_bytes());
        stream.extend(set);
        stream
    }

    #[test]
    fn ole_summary_information() {
        let wide: Vec<u8> = "Kari\0"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        let stream = set_stream(
            FMTID_SUMMARY,
            &[
                (1, 0x0002, &[0xE4, 0x04, 0, 0]),
                (2, 0x001E, b"L\xf8nn\0"),
                (4, 0x001F, &wide),
                (18, 0x001E, b"Microsoft Excel\0"),
            ],
        );
        let mut sink = Texts::default();
        property_sets(&stream, &mut sink);
        assert_eq!(
            props(sink),
            [
                ("properties/title".into(), "Lønn".into()),
                ("properties/creator".into(), "Kari".into()),
            ]
        );
        // Any truncation gives what is left, never a panic.
        for n in 0..stream.len() {
            property_sets(&stream[..n], &mut Texts::default());
        }
    }
}
