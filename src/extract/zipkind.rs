//! What a zip file is: an office document (by its `[Content_Types].xml` or ODF `mimetype`) or
//! a plain archive. Decided from the central directory, without decompressing anything.

use super::{ExtractError, Input};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZipKind {
    Xlsx,
    Xlsm,
    Xlsb,
    Docx,
    Pptx,
    Ods,
    Odt,
    Odp,
    /// Any other zip: an archive whose members are scanned one by one.
    Archive,
}

impl ZipKind {
    pub fn name(self) -> &'static str {
        match self {
            ZipKind::Xlsx => "xlsx",
            ZipKind::Xlsm => "xlsm",
            ZipKind::Xlsb => "xlsb",
            ZipKind::Docx => "docx",
            ZipKind::Pptx => "pptx",
            ZipKind::Ods => "ods",
            ZipKind::Odt => "odt",
            ZipKind::Odp => "odp",
            ZipKind::Archive => "zip",
        }
    }
}

/// Classifies by the names in the central directory, and for ODF by the stored `mimetype`.
pub fn classify(input: &mut Input<'_>) -> Result<ZipKind, ExtractError> {
    let ext = input.extension();
    input.reader.rewind()?;
    let mut zip = match zip::ZipArchive::new(&mut *input.reader) {
        Ok(z) => z,
        // A damaged directory: treat as an archive and let the archive reader report it.
        Err(_) => return Ok(ZipKind::Archive),
    };
    let has = |zip: &zip::ZipArchive<_>, name: &str| zip.index_for_name(name).is_some();
    if has(&zip, "[Content_Types].xml") {
        return Ok(if has(&zip, "xl/workbook.bin") {
            ZipKind::Xlsb
        } else if has(&zip, "xl/workbook.xml") {
            if ext == "xlsm" || has(&zip, "xl/vbaProject.bin") {
                ZipKind::Xlsm
            } else {
                ZipKind::Xlsx
            }
        } else if has(&zip, "word/document.xml") {
            ZipKind::Docx
        } else if has(&zip, "ppt/presentation.xml") {
            ZipKind::Pptx
        } else {
            ZipKind::Archive
        });
    }
    if let Ok(mut f) = zip.by_name("mimetype") {
        let mut m = String::new();
        if std::io::Read::read_to_string(&mut std::io::Read::take(&mut f, 100), &mut m).is_ok() {
            return Ok(match m.trim() {
                "application/vnd.oasis.opendocument.spreadsheet" => ZipKind::Ods,
                "application/vnd.oasis.opendocument.text" => ZipKind::Odt,
                "application/vnd.oasis.opendocument.presentation" => ZipKind::Odp,
                _ => ZipKind::Archive,
            });
        }
    }
    Ok(ZipKind::Archive)
}
