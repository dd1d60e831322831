//! What a file is, from its first bytes: a text encoding, a known binary format, or unknown
//! binary. Content decides; the extension is only a hint for later extractors.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

/// Bytes of the head that sniffing looks at.
pub const HEAD: usize = 8192;

/// What the head of an input says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Text {
        encoding: &'static Encoding,
        bom: bool,
    },
    /// A known binary format, by magic bytes. Containers (`Zip`, `Ole`) are refined from
    /// their directories by `extract::identify`.
    Known(Format),
    /// Binary of no known format.
    Binary,
}

/// Every format kartlegg tells apart: the registry that `extract::extract` dispatches on.
/// Adding a format means a variant here, a sniff rule (magic bytes below, or a refinement in
/// `extract::identify`) and an arm in the dispatcher; the compiler finds every place that must
/// know about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Plain text in any encoding the text reader decodes.
    Text,
    /// Delimited text, with its delimiter and whether the first record is a header.
    Delimited {
        delimiter: u8,
        header: bool,
    },
    Json,
    Ndjson,
    Sql,
    /// Markup read as a person reads the page: HTML (tags removed, entities decoded) and XML
    /// (element and attribute names as context).
    Html,
    Xml,
    /// Text with tables, keys or lists: Markdown (tables' headers as context) and YAML (keys).
    Markdown,
    Yaml,
    /// An e-mail message or mailbox (`.eml`, mbox).
    Mail,
    Pdf,
    Rtf,
    Sqlite,
    /// A zip that is not an office document: an archive.
    Zip,
    Xlsx,
    Xlsm,
    Xlsb,
    Ods,
    Docx,
    Pptx,
    Odt,
    Odp,
    /// An OLE2 compound file of no kind below.
    Ole,
    Xls,
    Doc,
    Ppt,
    Msg,
    /// An OOXML file encrypted with a password (an OLE file holding `EncryptedPackage`).
    EncryptedOoxml,
    Tar,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
    SevenZ,
    Rar,
    /// An ELF executable or library: its text runs are read.
    Elf,
    /// Pictures, sound and video, by the name of their format.
    Media(Media),
    /// Binary of no known format: its text runs are read.
    Binary,
}

/// Media formats: never text, skipped (images are what OCR would read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Media {
    Png,
    Jpeg,
    Gif,
    Tiff,
    Webp,
    Wav,
    Avi,
    Mp4,
    Mp3,
    Ogg,
    Flac,
    Matroska,
}

impl Media {
    pub fn name(self) -> &'static str {
        match self {
            Media::Png => "png",
            Media::Jpeg => "jpeg",
            Media::Gif => "gif",
            Media::Tiff => "tiff",
            Media::Webp => "webp",
            Media::Wav => "wav",
            Media::Avi => "avi",
            Media::Mp4 => "mp4",
            Media::Mp3 => "mp3",
            Media::Ogg => "ogg",
            Media::Flac => "flac",
            Media::Matroska => "matroska",
        }
    }
}

impl Format {
    /// The record's `type` in the inventory.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Delimited {
                delimiter: b'\t', ..
            } => "tsv",
            Format::Delimited { .. } => "csv",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Sql => "sql",
            Format::Html => "html",
            Format::Xml => "xml",
            Format::Markdown => "markdown",
            Format::Yaml => "yaml",
            Format::Mail => "mail",
            Format::Pdf => "pdf",
            Format::Rtf => "rtf",
            Format::Sqlite => "sqlite",
            Format::Zip => "zip",
            Format::Xlsx => "xlsx",
            Format::Xlsm => "xlsm",
            Format::Xlsb => "xlsb",
            Format::Ods => "ods",
            Format::Docx => "docx",
            Format::Pptx => "pptx",
            Format::Odt => "odt",
            Format::Odp => "odp",
            Format::Ole => "ole",
            Format::Xls => "xls",
            Format::Doc => "doc",
            Format::Ppt => "ppt",
            Format::Msg => "msg",
            Format::EncryptedOoxml => "ooxml",
            Format::Tar => "tar",
            Format::Gzip => "gzip",
            Format::Bzip2 => "bzip2",
            Format::Xz => "xz",
            Format::Zstd => "zstd",
            Format::SevenZ => "7z",
            Format::Rar => "rar",
            Format::Elf => "elf",
            Format::Media(m) => m.name(),
            Format::Binary => "binary",
        }
    }
}

/// (magic, offset, format)
const MAGIC: &[(&[u8], usize, Format)] = &[
    (b"%PDF-", 0, Format::Pdf),
    (b"PK\x03\x04", 0, Format::Zip),
    (b"PK\x05\x06", 0, Format::Zip),
    (b"\x1f\x8b", 0, Format::Gzip),
    (b"BZh", 0, Format::Bzip2),
    (b"\xfd7zXZ\x00", 0, Format::Xz),
    (b"\x28\xb5\x2f\xfd", 0, Format::Zstd),
    (b"7z\xbc\xaf\x27\x1c", 0, Format::SevenZ),
    (b"Rar!\x1a\x07", 0, Format::Rar),
    (b"SQLite format 3\x00", 0, Format::Sqlite),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, Format::Ole),
    (b"{\\rtf", 0, Format::Rtf),
    // POSIX (`ustar\0`) and GNU (`ustar  `) tar headers; pre-POSIX tars are not recognised.
    (b"ustar", 257, Format::Tar),
    (b"\x7fELF", 0, Format::Elf),
    (b"\x89PNG\r\n\x1a\n", 0, Format::Media(Media::Png)),
    (b"\xff\xd8\xff", 0, Format::Media(Media::Jpeg)),
    (b"GIF87a", 0, Format::Media(Media::Gif)),
    (b"GIF89a", 0, Format::Media(Media::Gif)),
    (b"II*\x00", 0, Format::Media(Media::Tiff)),
    (b"MM\x00*", 0, Format::Media(Media::Tiff)),
    (b"WEBP", 8, Format::Media(Media::Webp)),
    (b"WAVE", 8, Format::Media(Media::Wav)),
    (b"AVI ", 8, Format::Media(Media::Avi)),
    (b"ftyp", 4, Format::Media(Media::Mp4)),
    (b"ID3", 0, Format::Media(Media::Mp3)),
    (b"OggS", 0, Format::Media(Media::Ogg)),
    (b"fLaC", 0, Format::Media(Media::Flac)),
    (b"\x1a\x45\xdf\xa3", 0, Format::Media(Media::Matroska)),
];

pub fn sniff(head: &[u8]) -> Sniffed {
    sniff_text(head).0
}

/// The byte order mark of UTF-8.
pub const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// [`sniff`], and the head as text when it is UTF-8 without a byte order mark and valid to
/// its last byte: the one check of its bytes that telling its encoding needs, kept for the
/// readers of the head (most files are all in their head; each check was a pass over it).
pub fn sniff_text(head: &[u8]) -> (Sniffed, Option<&str>) {
    if head.starts_with(UTF8_BOM) {
        return (
            Sniffed::Text {
                encoding: UTF_8,
                bom: true,
            },
            None,
        );
    }
    if head.starts_with(b"\xff\xfe") && !head.starts_with(b"\xff\xfe\x00\x00") {
        return (
            Sniffed::Text {
                encoding: UTF_16LE,
                bom: true,
            },
            None,
        );
    }
    if head.starts_with(b"\xfe\xff") {
        return (
            Sniffed::Text {
                encoding: UTF_16BE,
                bom: true,
            },
            None,
        );
    }
    for &(magic, at, format) in MAGIC {
        if head.len() >= at + magic.len() && &head[at..at + magic.len()] == magic {
            return (Sniffed::Known(format), None);
        }
    }
    // Without a NUL the head is neither UTF-16 nor binary (most text: no count of lanes).
    if memchr::memchr(0, head).is_some() {
        if let Some(enc) = utf16_by_stride(head) {
            return (
                Sniffed::Text {
                    encoding: enc,
                    bom: false,
                },
                None,
            );
        }
        return (Sniffed::Binary, None);
    }
    // encoding_rs validates with SIMD; `str::from_utf8` leaves its fast path at every `ø`, and
    // was the largest single cost of a tree of small Norwegian files. A head not valid to its
    // end is passed over again to its first fault, and only the few bytes from there go
    // through `from_utf8`, to tell a cut-off character from a bad one.
    if let Some(Cow::Borrowed(text)) =
        UTF_8.decode_without_bom_handling_and_without_replacement(head)
    {
        return (
            Sniffed::Text {
                encoding: UTF_8,
                bom: false,
            },
            Some(text),
        );
    }
    let valid = Encoding::utf8_valid_up_to(head);
    let sniffed = match std::str::from_utf8(&head[valid..]) {
        Ok(_) => Sniffed::Text {
            encoding: UTF_8,
            bom: false,
        },
        // A character cut off at the end of the head is still UTF-8.
        Err(e) if e.error_len().is_none() => Sniffed::Text {
            encoding: UTF_8,
            bom: false,
        },
        Err(_) => Sniffed::Text {
            encoding: WINDOWS_1252,
            bom: false,
        },
    };
    (sniffed, None)
}

/// UTF-16 without a BOM: mostly-ASCII text puts a NUL in every other byte.
fn utf16_by_stride(head: &[u8]) -> Option<&'static Encoding> {
    let pairs = head.len() / 2;
    if pairs < 4 {
        return None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for p in head.chunks_exact(2) {
        even += usize::from(p[0] == 0);
        odd += usize::from(p[1] == 0);
    }
    // At least 40% of one lane is NUL and almost none of the other.
    if odd * 10 >= pairs * 4 && even * 50 <= pairs {
        Some(UTF_16LE)
    } else if even * 10 >= pairs * 4 && odd * 50 <= pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// The encoding's name as written in the inventory.
pub fn encoding_name(enc: &'static Encoding, bom: bool) -> String {
    let name = match enc.name() {
        "UTF-8" => "utf-8",
        "UTF-16LE" => "utf-16le",
        "UTF-16BE" => "utf-16be",
        "windows-1252" => "windows-1252",
        other => other,
    };
    if bom {
        format!("{name}-bom")
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str, le: bool) -> Vec<u8> {
        s.encode_utf16()
            .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
            .collect()
    }

    #[test]
    fn encodings() {
        assert_eq!(
            sniff("Fødselsnummer".as_bytes()),
            Sniffed::Text {
                encoding: UTF_8,
                bom: false
            }
        );
        assert_eq!(
            sniff(b"F\xf8dselsnummer"),
            Sniffed::Text {
                encoding: WINDOWS_1252,
                bom: false
            }
        );
        assert_eq!(
            sniff(&utf16("Fødselsnummer 123", true)),
            Sniffed::Text {
                encoding: UTF_16LE,
                bom: false
            }
        );
        assert_eq!(
            sniff(&utf16("Fødselsnummer 123", false)),
            Sniffed::Text {
                encoding: UTF_16BE,
                bom: false
            }
        );
        assert_eq!(
            sniff(b"\xff\xfeF\x00"),
            Sniffed::Text {
                encoding: UTF_16LE,
                bom: true
            }
        );
        assert_eq!(
            sniff(b"\xef\xbb\xbfx"),
            Sniffed::Text {
                encoding: UTF_8,
                bom: true
            }
        );
        // "ø" cut in half at the end of the head.
        assert_eq!(
            sniff(b"abc \xc3"),
            Sniffed::Text {
                encoding: UTF_8,
                bom: false
            }
        );
    }

    /// The head comes back as text only when it is UTF-8, without a byte order mark, and
    /// valid to its last byte: what a reader may then take as it is.
    #[test]
    fn a_head_is_text_as_it_is_only_when_valid_to_its_end() {
        let text = |h: &[u8]| sniff_text(h).1.map(str::to_string);
        assert_eq!(
            text("Kari Nordmann, født 13.09.1972".as_bytes()).as_deref(),
            Some("Kari Nordmann, født 13.09.1972")
        );
        assert_eq!(text(b"").as_deref(), Some(""));
        assert_eq!(text(b"\xef\xbb\xbfmed BOM"), None);
        assert_eq!(text(b"Fr\xf8ya"), None, "windows-1252");
        assert_eq!(
            text(b"cut off \xc3"),
            None,
            "a character cut off at the end"
        );
        assert_eq!(text(b"PK\x03\x04 not text"), None);
        let utf8 = Sniffed::Text {
            encoding: UTF_8,
            bom: false,
        };
        assert_eq!(sniff_text(b"cut off \xc3").0, utf8, "still UTF-8");
        assert_eq!(sniff_text("ærlig".as_bytes()).0, utf8);
    }

    #[test]
    fn formats() {
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n...."),
            Sniffed::Known(Format::Media(Media::Png))
        );
        assert_eq!(sniff(b"%PDF-1.7\n"), Sniffed::Known(Format::Pdf));
        assert_eq!(sniff(b"\x00\x01\x02\x03\x04\x05abc\x00"), Sniffed::Binary);
    }
}
