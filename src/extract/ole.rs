//! OLE2 compound files (`D0 CF 11 E0`): a container format shared by xls workbooks, Word .doc,
//! PowerPoint .ppt, Outlook .msg and password-protected OOXML files. What a file is, is decided
//! by the names of the streams in its root storage (read from the directory only), as
//! [`super::zipkind`] does for zips; only workbooks are read, the others get a status that
//! names the likely format.

use super::sheet::{self, Format};
use super::{ExtractError, Extracted, Input, Sink};

/// What a compound file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OleKind {
    /// An Excel 97–2003 workbook (`Workbook`, or `Book` for Excel 5).
    Xls,
    /// An xlsx/docx/pptx encrypted with a password (`EncryptionInfo` + `EncryptedPackage`).
    EncryptedOoxml,
    /// A Word 97–2003 document (`WordDocument`).
    Doc,
    /// A PowerPoint 97–2003 presentation (`PowerPoint Document`).
    Ppt,
    /// An Outlook message (`__substg1.0_*` property streams).
    Msg,
    Other,
}

/// Classifies by the root storage's entry names.
pub fn classify(input: &mut Input<'_>) -> Result<OleKind, ExtractError> {
    input.reader.rewind()?;
    let cf = cfb::CompoundFile::open(&mut *input.reader).map_err(|_| {
        ExtractError::Corrupt("damaged OLE compound file (directory unreadable)".into())
    })?;
    let names: Vec<String> = cf
        .read_root_storage()
        .map(|e| e.name().to_string())
        .collect();
    let has = |n: &str| names.iter().any(|x| x == n);
    Ok(if has("EncryptedPackage") {
        OleKind::EncryptedOoxml
    } else if has("Workbook") || has("Book") {
        OleKind::Xls
    } else if has("WordDocument") {
        OleKind::Doc
    } else if has("PowerPoint Document") {
        OleKind::Ppt
    } else if names.iter().any(|n| n.starts_with("__substg1.0_")) {
        OleKind::Msg
    } else {
        OleKind::Other
    })
}

/// Reads an OLE2 file: an xls workbook through [`sheet`], anything else as a clear status.
pub fn extract(input: &mut Input<'_>, sink: &mut dyn Sink) -> Result<Extracted, ExtractError> {
    match classify(input)? {
        OleKind::Xls => sheet::extract(input, Format::Xls, sink),
        OleKind::EncryptedOoxml => Err(ExtractError::Encrypted(
            "password-protected Office document (encrypted xlsx/docx/pptx package)".into(),
        )),
        OleKind::Doc => Err(ExtractError::Unsupported(
            "Word 97-2003 document (.doc, OLE2) is not read".into(),
        )),
        OleKind::Ppt => Err(ExtractError::Unsupported(
            "PowerPoint 97-2003 presentation (.ppt, OLE2) is not read".into(),
        )),
        OleKind::Msg => Err(ExtractError::Unsupported(
            "Outlook message (.msg, OLE2) is not read".into(),
        )),
        OleKind::Other => Err(ExtractError::Unsupported(
            "OLE2 compound file that is not an xls workbook (no Workbook stream)".into(),
        )),
    }
}
