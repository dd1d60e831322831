//! What a zip file is: an office document (by its `[Content_Types].xml` or ODF `mimetype`) or
//! a plain archive. Decided from the central directory, without decompressing anything.

use super::{ExtractError, Input};
use crate::read::sniff::Format;

/// Classifies by the names in the central directory, and for ODF by the stored `mimetype`.
pub fn classify(input: &mut Input<'_>) -> Result<Format, ExtractError> {
    let ext = input.extension();
    let mut zip = match zip::ZipArchive::new(input.seekable()?) {
        Ok(z) => z,
        // A damaged directory: treat as an archive and let the archive reader report it.
        Err(_) => return Ok(Format::Zip),
    };
    let has = |zip: &zip::ZipArchive<_>, name: &str| zip.index_for_name(name).is_some();
    if has(&zip, "[Content_Types].xml") {
        return Ok(if has(&zip, "xl/workbook.bin") {
            Format::Xlsb
        } else if has(&zip, "xl/workbook.xml") {
            if ext == "xlsm" || has(&zip, "xl/vbaProject.bin") {
                Format::Xlsm
            } else {
                Format::Xlsx
            }
        } else if has(&zip, "word/document.xml") {
            Format::Docx
        } else if has(&zip, "ppt/presentation.xml") {
            Format::Pptx
        } else {
            Format::Zip
        });
    }
    if let Ok(mut f) = zip.by_name("mimetype") {
        let mut m = String::new();
        if std::io::Read::read_to_string(&mut std::io::Read::take(&mut f, 100), &mut m).is_ok() {
            return Ok(match m.trim() {
                "application/vnd.oasis.opendocument.spreadsheet" => Format::Ods,
                "application/vnd.oasis.opendocument.text" => Format::Odt,
                "application/vnd.oasis.opendocument.presentation" => Format::Odp,
                _ => Format::Zip,
            });
        }
    }
    Ok(Format::Zip)
}
