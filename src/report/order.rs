//! The order of a JSON inventory's files: by path, as the walk visits them.
//!
//! A path as the inventory writes it (see [`crate::walk::display`]) is cut into components at
//! every `/`, and at every `!/`, which always separates a container from its member (a `!`
//! of a name before a `/` is written `\x21`). Each component stands for the bytes its escapes
//! encode. Two paths are compared component by component: the first component that differs
//! decides, by the byte order of what it stands for, and a path that is a prefix of the other
//! comes first. So a directory's entries follow it in byte order, depth first (the walk's own
//! order), and the members of an archive follow the archive, before the next name:
//! `a.zip`, `a.zip!/x`, `a.zip!/y!/z`, `a.zip2`. Names that masking changed are ordered as they
//! are written (masked), so that anyone can sort an inventory again the same way; records with
//! equal paths (two names masked alike) are ordered by their JSON text.
//!
//! [`key`] turns a path into bytes whose plain byte order is this order; everything that
//! sorts files (the writer, `kartlegg merge`, tests) compares through it.

use std::borrow::Cow;
use std::cmp::Ordering;

/// Appends the sort key of `path` to `out`: each component's bytes, with 0x00 written
/// `01 01` and 0x01 written `01 02`, followed by a 0x00, so comparing keys byte by byte
/// compares paths component by component, a prefix first.
pub fn key_into(path: &str, out: &mut Vec<u8>) {
    // Nearly every path has nothing to undo or escape: then each component is its bytes, and
    // that is found once for the path, not for each component.
    let plain = memchr::memchr3(b'\\', 0, 1, path.as_bytes()).is_none();
    // And nearly every one names no member (`!/`) either: then the key is the path with each
    // `/` made a 0x00, and a 0x00 after, made in one pass, not a search for each component
    // (sorting a document and merging inventories key every record).
    if plain && memchr::memchr(b'!', path.as_bytes()).is_none() {
        let from = out.len();
        out.extend_from_slice(path.as_bytes());
        for b in &mut out[from..] {
            if *b == b'/' {
                *b = 0;
            }
        }
        out.push(0);
        return;
    }
    by_components(path, plain, out);
}

/// [`key_into`], component by component.
fn by_components(path: &str, plain: bool, out: &mut Vec<u8>) {
    let push = |part: &str, out: &mut Vec<u8>| {
        if plain {
            out.extend_from_slice(part.as_bytes());
        } else {
            component(part, out);
        }
        out.push(0);
    };
    let mut rest = path;
    // A byte search, not `str::split`: every record of a sorted inventory is keyed, and a
    // merge of inventories does little else.
    while let Some(i) = memchr::memchr(b'/', rest.as_bytes()) {
        // The `!` of a `!/` separates a container from its member; it is not part of the name.
        let part = &rest[..i];
        push(part.strip_suffix('!').unwrap_or(part), out);
        rest = &rest[i + 1..];
    }
    push(rest, out);
}

/// The sort key of `path` (see [`key_into`]).
pub fn key(path: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len() + 8);
    key_into(path, &mut out);
    out
}

/// Compares two inventory paths in the inventory's order.
pub fn cmp(a: &str, b: &str) -> Ordering {
    key(a).cmp(&key(b))
}

/// What every record's JSON text starts with (its path; see `FileRecord`).
pub(crate) const PATH: &[u8] = br#"{"path":""#;

/// The JSON string whose text starts at `start` of `json` (after its opening quote), its
/// escapes undone, and where its closing quote is.
pub(crate) fn string(json: &[u8], start: usize) -> Option<(Cow<'_, str>, usize)> {
    let (text, end) = raw_string(json, start)?;
    let s = match text {
        Some(text) => Cow::Borrowed(std::str::from_utf8(text).ok()?),
        None => Cow::Owned(serde_json::from_slice::<String>(&json[start - 1..=end]).ok()?),
    };
    Some((s, end))
}

/// Where the JSON string whose text starts at `start` of `json` ends (its closing quote), and
/// its text as written when it holds no escape (`None` when it does), not checked to be UTF-8:
/// for a reader that looks at a few bytes of many strings.
pub(crate) fn raw_string(json: &[u8], start: usize) -> Option<(Option<&[u8]>, usize)> {
    let mut i = start;
    let mut escaped = false;
    loop {
        i += memchr::memchr2(b'"', b'\\', json.get(i..)?)?;
        if json[i] == b'"' {
            break;
        }
        escaped = true;
        i += 2;
    }
    Some(((!escaped).then(|| &json[start..i]), i))
}

/// The path a record's JSON text starts with, as serde writes a record, and where its
/// closing quote is.
pub(crate) fn leading_path(record: &[u8]) -> Option<(Cow<'_, str>, usize)> {
    record.strip_prefix(PATH)?;
    string(record, PATH.len())
}

/// The bytes a component stands for (its escapes undone; written as it is if it is not in the
/// escape form), with 0x00 and 0x01 escaped for the key.
fn component(part: &str, out: &mut Vec<u8>) {
    let push = |out: &mut Vec<u8>, b: u8| match b {
        0 => out.extend_from_slice(&[1, 1]),
        1 => out.extend_from_slice(&[1, 2]),
        b => out.push(b),
    };
    if !part.contains('\\') {
        part.bytes().for_each(|b| push(out, b));
        return;
    }
    match crate::walk::unescape(part) {
        Ok(p) => {
            use std::os::unix::ffi::OsStrExt;
            p.as_os_str().as_bytes().iter().for_each(|&b| push(out, b));
        }
        Err(_) => part.bytes().for_each(|b| push(out, b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_walk_order_with_members_after_their_container() {
        let sorted = [
            "/srv/\\x01",
            "/srv/a",
            "/srv/a/b.txt",
            "/srv/a/b.txt/..", // never a real path; a prefix still comes first
            "/srv/a b",
            "/srv/a\\x21/in-a-dir-named-a!",
            "/srv/a.zip",
            "/srv/a.zip!/x",
            "/srv/a.zip!/x/y.txt",
            "/srv/a.zip!/y.zip",
            "/srv/a.zip!/y.zip!/z",
            "/srv/a.zip2",
            "/srv/b",
            "/srv/\u{e6}",
            "/srv/\\xff",
        ];
        let mut shuffled: Vec<&str> = sorted.iter().rev().copied().collect();
        shuffled.sort_by(|a, b| cmp(a, b));
        assert_eq!(shuffled, sorted);
        // Escapes compare as the bytes they stand for: 0xff after 'z', a backslash as 0x5c.
        assert_eq!(cmp("d/\\xff", "d/z"), Ordering::Greater);
        assert_eq!(cmp("d/\\\\", "d/]"), Ordering::Less);
        assert_eq!(cmp("d/\\\\", "d/["), Ordering::Greater);
    }

    #[test]
    fn a_directory_and_a_container_of_one_name_sort_alike() {
        // Both are a path of two components; the record's JSON then decides.
        assert_eq!(key("a!/b"), key("a/b"));
        assert_ne!(key("a\\x21/b"), key("a/b"));
    }

    #[test]
    fn bytes_0_and_1_are_escaped_in_the_key_however_written() {
        // Raw in a component of an otherwise plain path, or written as escapes.
        assert_eq!(
            key("d/a\u{1}\u{0}/b"),
            [b'd', 0, b'a', 1, 2, 1, 1, 0, b'b', 0]
        );
        assert_eq!(key("d/a\\x01\\x00/b"), key("d/a\u{1}\u{0}/b"));
        assert_eq!(key("d/plain"), [b'd', 0, b'p', b'l', b'a', b'i', b'n', 0]);
    }

    proptest! {
        /// A plain path's key, made in one pass, is the one made component by component.
        #[test]
        fn a_plain_key_is_made_as_components_make_it(path in "[a-z./!]{0,24}") {
            let mut fast = b"kept".to_vec();
            key_into(&path, &mut fast);
            let mut parts = b"kept".to_vec();
            by_components(&path, true, &mut parts);
            prop_assert_eq!(fast, parts);
        }

        /// The key order is the component-wise byte order of the paths the walk writes.
        #[test]
        fn keys_order_paths_component_by_component(
            a in proptest::collection::vec(proptest::collection::vec(1u8..=255, 0..6), 1..5),
            b in proptest::collection::vec(proptest::collection::vec(1u8..=255, 0..6), 1..5),
        ) {
            let show = |c: &Vec<Vec<u8>>| {
                let raw: Vec<u8> = c.join(&b'/');
                crate::walk::display_bytes(&raw)
            };
            // Components as the walk gives them: no '/' inside a name.
            let clean = |c: &Vec<Vec<u8>>| -> Vec<Vec<u8>> {
                c.iter().map(|n| n.iter().copied().filter(|&x| x != b'/').collect()).collect()
            };
            let (a, b) = (clean(&a), clean(&b));
            prop_assert_eq!(cmp(&show(&a), &show(&b)), a.cmp(&b));
        }
    }
}
