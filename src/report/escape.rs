//! Paths and names as text, losslessly: the one escape form of the inventory, for paths on
//! disk and for names stored as bytes inside files (archive members, table and column names).
//!
//! A Unix file name is bytes, not text: `a\xff.txt`, `a\xfe.txt` and `a\u{FFFD}.txt` are three
//! files, and a lossy conversion writes all three as `a�.txt`. The inventory must name every
//! file distinctly and in a form a reader can turn back into the exact path, so every path it
//! prints goes through [`display`], whose escape form is:
//!
//! * a backslash is written `\\`;
//! * a byte that is not part of valid UTF-8, and every byte of a control character (U+0000 to
//!   U+001F, U+007F to U+009F: newline, tab, escape...), is written `\xHH` (two lower-case hex
//!   digits; a control character of two UTF-8 bytes gives two escapes);
//! * a `!` directly before a `/` is written `\x21`, so that `!/` in an inventory path always
//!   separates a container from its member (`a.zip!/b.csv`) and never comes from a directory
//!   called `a.zip!`;
//! * everything else is written as it is (a real U+FFFD stays U+FFFD).
//!
//! [`unescape`] is the inverse: `unescape(&display(p)) == p` for every path.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// The path in the inventory's escape form (see the module documentation).
pub fn display(path: &Path) -> String {
    display_bytes(path.as_os_str().as_bytes())
}

/// [`display`] for a path as bytes.
pub fn display_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        for (i, c) in valid.char_indices() {
            let before_slash = || valid[i + 1..].starts_with('/');
            match c {
                '\\' => out.push_str("\\\\"),
                '!' if before_slash() => out.push_str("\\x21"),
                c if c.is_control() => {
                    for b in valid[i..i + c.len_utf8()].bytes() {
                        hex(&mut out, b);
                    }
                }
                c => out.push(c),
            }
        }
        for &b in chunk.invalid() {
            hex(&mut out, b);
        }
    }
    out
}

fn hex(out: &mut String, b: u8) {
    let _ = write!(out, "\\x{b:02x}");
}

/// Why a string is not in the escape form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an escaped path: {what} at byte {at}")]
pub struct UnescapeError {
    pub at: usize,
    pub what: &'static str,
}

/// The path that [`display`] wrote as `text`. Accepts upper-case hex digits too.
pub fn unescape(text: &str) -> Result<PathBuf, UnescapeError> {
    let s = text.as_bytes();
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'\\' {
            out.push(s[i]);
            i += 1;
            continue;
        }
        match s.get(i + 1) {
            Some(b'\\') => {
                out.push(b'\\');
                i += 2;
            }
            Some(b'x') => {
                let digits = s
                    .get(i + 2..i + 4)
                    .and_then(|d| std::str::from_utf8(d).ok());
                let byte = digits.and_then(|d| u8::from_str_radix(d, 16).ok());
                let Some(b) = byte.filter(|_| digits.is_some_and(|d| d.len() == 2)) else {
                    return Err(UnescapeError {
                        at: i,
                        what: "\\x without two hex digits",
                    });
                };
                out.push(b);
                i += 4;
            }
            _ => {
                return Err(UnescapeError {
                    at: i,
                    what: "a backslash not followed by \\ or x",
                })
            }
        }
    }
    Ok(PathBuf::from(OsString::from_vec(out)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(bytes: &[u8]) -> PathBuf {
        PathBuf::from(OsString::from_vec(bytes.to_vec()))
    }

    #[test]
    fn the_escape_form() {
        let cases: &[(&[u8], &str)] = &[
            (b"dir/a.txt", "dir/a.txt"),
            (b"a\xff.txt", "a\\xff.txt"),
            (b"a\xfe.txt", "a\\xfe.txt"),
            ("a\u{FFFD}.txt".as_bytes(), "a\u{FFFD}.txt"),
            (b"a\nb\t.txt", "a\\x0ab\\x09.txt"),
            (b"back\\slash", "back\\\\slash"),
            (b"back\\x41", "back\\\\x41"),
            ("bl\u{e5}b\u{e6}r/\u{f8}".as_bytes(), "blåbær/ø"),
            // A C1 control (NEL) is two bytes of UTF-8, escaped one by one.
            ("n\u{85}".as_bytes(), "n\\xc2\\x85"),
            // A truncated UTF-8 sequence is invalid bytes.
            (b"\xc3", "\\xc3"),
            (b"a.zip!/b", "a.zip\\x21/b"),
            (b"hei!.txt", "hei!.txt"),
            (b"hei!", "hei!"),
        ];
        for (raw, shown) in cases {
            assert_eq!(display(&p(raw)), *shown, "{raw:?}");
            assert_eq!(unescape(shown).unwrap(), p(raw), "{shown:?}");
        }
    }

    #[test]
    fn names_that_a_lossy_conversion_merges_stay_distinct() {
        let names: [&[u8]; 4] = [
            b"a\xff.txt",
            b"a\xfe.txt",
            "a\u{FFFD}.txt".as_bytes(),
            b"a\n.txt",
        ];
        let shown: std::collections::HashSet<String> =
            names.iter().map(|n| display(&p(n))).collect();
        assert_eq!(shown.len(), 4);
        let lossy: std::collections::HashSet<String> = names[..3]
            .iter()
            .map(|n| p(n).to_string_lossy().into_owned())
            .collect();
        assert_eq!(lossy.len(), 1, "the defect this form exists for");
    }

    #[test]
    fn malformed_escapes_are_errors() {
        for bad in ["a\\", "a\\n", "a\\x4", "a\\xg0", "\\x\u{e5}0"] {
            assert!(unescape(bad).is_err(), "{bad:?}");
        }
        assert_eq!(unescape("A\\X41").unwrap_err().at, 1);
        assert_eq!(unescape("\\xFF").unwrap(), p(b"\xff"));
    }

    proptest! {
        #[test]
        fn round_trips_any_bytes(raw in proptest::collection::vec(any::<u8>(), 0..64)) {
            let shown = display(&p(&raw));
            prop_assert_eq!(unescape(&shown).unwrap(), p(&raw));
            // The form never holds a control character (one name, one line); being
            // invertible, it is also injective: distinct paths are written distinctly.
            prop_assert!(!shown.chars().any(char::is_control));
        }

        #[test]
        fn round_trips_text_with_escape_like_content(s in "[a-z\\\\x!/0-9\u{e5}\u{FFFD}\n]{0,24}") {
            prop_assert_eq!(unescape(&display(Path::new(&s))).unwrap(), PathBuf::from(&s));
        }
    }
}
