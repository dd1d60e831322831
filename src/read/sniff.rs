//! What a file is, from its first bytes: a text encoding, a known binary format, or unknown
//! binary. Content decides; the extension is only a hint for later extractors.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

/// Bytes of the head that sniffing looks at.
pub const HEAD: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Text {
        encoding: &'static Encoding,
        bom: bool,
    },
    /// A known binary format, by magic bytes (`media` ones may be skipped).
    Known { name: &'static str, media: bool },
    /// Binary of no known format.
    Binary,
}

/// (magic, offset, name, media)
const MAGIC: &[(&[u8], usize, &str, bool)] = &[
    (b"%PDF-", 0, "pdf", false),
    (b"PK\x03\x04", 0, "zip", false),
    (b"PK\x05\x06", 0, "zip", false),
    (b"\x1f\x8b", 0, "gzip", false),
    (b"BZh", 0, "bzip2", false),
    (b"\xfd7zXZ\x00", 0, "xz", false),
    (b"\x28\xb5\x2f\xfd", 0, "zstd", false),
    (b"7z\xbc\xaf\x27\x1c", 0, "7z", false),
    (b"Rar!\x1a\x07", 0, "rar", false),
    (b"SQLite format 3\x00", 0, "sqlite", false),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "ole", false),
    (b"{\\rtf", 0, "rtf", false),
    // POSIX (`ustar\0`) and GNU (`ustar  `) tar headers; pre-POSIX tars are not recognised.
    (b"ustar", 257, "tar", false),
    (b"\x7fELF", 0, "elf", false),
    (b"\x89PNG\r\n\x1a\n", 0, "png", true),
    (b"\xff\xd8\xff", 0, "jpeg", true),
    (b"GIF87a", 0, "gif", true),
    (b"GIF89a", 0, "gif", true),
    (b"II*\x00", 0, "tiff", true),
    (b"MM\x00*", 0, "tiff", true),
    (b"WEBP", 8, "webp", true),
    (b"WAVE", 8, "wav", true),
    (b"AVI ", 8, "avi", true),
    (b"ftyp", 4, "mp4", true),
    (b"ID3", 0, "mp3", true),
    (b"OggS", 0, "ogg", true),
    (b"fLaC", 0, "flac", true),
    (b"\x1a\x45\xdf\xa3", 0, "matroska", true),
];

pub fn sniff(head: &[u8]) -> Sniffed {
    if head.starts_with(b"\xef\xbb\xbf") {
        return Sniffed::Text {
            encoding: UTF_8,
            bom: true,
        };
    }
    if head.starts_with(b"\xff\xfe") && !head.starts_with(b"\xff\xfe\x00\x00") {
        return Sniffed::Text {
            encoding: UTF_16LE,
            bom: true,
        };
    }
    if head.starts_with(b"\xfe\xff") {
        return Sniffed::Text {
            encoding: UTF_16BE,
            bom: true,
        };
    }
    for &(magic, at, name, media) in MAGIC {
        if head.len() >= at + magic.len() && &head[at..at + magic.len()] == magic {
            return Sniffed::Known { name, media };
        }
    }
    if let Some(enc) = utf16_by_stride(head) {
        return Sniffed::Text {
            encoding: enc,
            bom: false,
        };
    }
    if memchr::memchr(0, head).is_some() {
        return Sniffed::Binary;
    }
    // encoding_rs validates with SIMD; `str::from_utf8` leaves its fast path at every `ø`, and
    // was the largest single cost of a tree of small Norwegian files. Only the few bytes after
    // the valid prefix go through `from_utf8`, to tell a cut-off character from a bad one.
    let valid = Encoding::utf8_valid_up_to(head);
    match std::str::from_utf8(&head[valid..]) {
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
    }
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

    #[test]
    fn formats() {
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n...."),
            Sniffed::Known {
                name: "png",
                media: true
            }
        );
        assert_eq!(
            sniff(b"%PDF-1.7\n"),
            Sniffed::Known {
                name: "pdf",
                media: false
            }
        );
        assert_eq!(sniff(b"\x00\x01\x02\x03\x04\x05abc\x00"), Sniffed::Binary);
    }
}
