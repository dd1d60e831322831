//! What a zip file is: an office document (by its `[Content_Types].xml` or ODF `mimetype`) or
//! a plain archive. Decided from the central directory, walked one entry at a time (memory
//! does not grow with the entry count), without decompressing anything but `mimetype`.

use std::io::Read;

use super::archive::zipdir;
use super::{ExtractError, Input};
use crate::read::sniff::Format;

/// The names that tell the formats apart.
#[derive(Default)]
struct Seen {
    content_types: bool,
    workbook_bin: bool,
    workbook_xml: bool,
    vba: bool,
    document: bool,
    presentation: bool,
    mimetype: Option<zipdir::Entry>,
}

/// Classifies by the names in the central directory, and for ODF by the stored `mimetype`.
pub(crate) fn classify(input: &mut Input<'_>) -> Result<Format, ExtractError> {
    let ext = input.extension();
    let clock = input.clock;
    let r = input.seekable()?;
    // A damaged directory: treat as an archive and let the archive reader report it.
    let Ok(dir) = zipdir::directory(r) else {
        return Ok(Format::Zip);
    };
    let mut entries = zipdir::Entries::new(dir);
    let mut seen = Seen::default();
    while let Ok(Some(e)) = entries.next(r) {
        if entries.read % 4096 == 0 {
            clock.check()?;
        }
        match e.raw_name.as_slice() {
            b"[Content_Types].xml" => seen.content_types = true,
            b"xl/workbook.bin" => seen.workbook_bin = true,
            b"xl/workbook.xml" => seen.workbook_xml = true,
            b"xl/vbaProject.bin" => seen.vba = true,
            b"word/document.xml" => seen.document = true,
            b"ppt/presentation.xml" => seen.presentation = true,
            b"mimetype" => seen.mimetype = Some(e),
            _ => {}
        }
    }
    if seen.content_types {
        return Ok(if seen.workbook_bin {
            Format::Xlsb
        } else if seen.workbook_xml {
            if ext == "xlsm" || seen.vba {
                Format::Xlsm
            } else {
                Format::Xlsx
            }
        } else if seen.document {
            Format::Docx
        } else if seen.presentation {
            Format::Pptx
        } else {
            Format::Zip
        });
    }
    if let Some(e) = seen.mimetype {
        let mut m = String::new();
        if let Ok(f) = zipdir::open(r, &e) {
            if f.take(100).read_to_string(&mut m).is_ok() {
                return Ok(match m.trim() {
                    "application/vnd.oasis.opendocument.spreadsheet" => Format::Ods,
                    "application/vnd.oasis.opendocument.text" => Format::Odt,
                    "application/vnd.oasis.opendocument.presentation" => Format::Odp,
                    _ => Format::Zip,
                });
            }
        }
    }
    Ok(Format::Zip)
}
