//! YAML, read line by line: each line under the context of its key (`mobil: 41234567`), and
//! the list items and block text under a key with no value on its own line under that key
//! (`telefoner:` then `- 41234567`), as a table value is read under its column name. Each line
//! is located by its own line number; nothing else of YAML's structure is needed for that.

use std::io::Read;

use super::pull::Pull;
use super::{Chunk, Env, ExtractError, LinePos, Location, Position, Sink};
use crate::detect::{ChunkContext, Header};

/// Bytes of a line read at once; the rest of a longer line follows in pieces.
const MAX_LINE: usize = 1 << 20;
/// Keys open above a line that are tracked.
const MAX_OPEN: usize = 256;

/// Reads YAML from `reader` into `sink`; returns the bytes read.
pub(crate) fn extract(
    reader: &mut dyn Read,
    env: &Env<'_>,
    sink: &mut dyn Sink,
) -> Result<u64, ExtractError> {
    let mut p = Pull::new(reader, Some(env.clock));
    let mut line = Vec::new();
    // Keys without a value on their line: their indentation and what they say as a header.
    let mut open: Vec<(usize, Header)> = Vec::new();
    while let Some((pos, whole)) = p.line(&mut line, MAX_LINE)? {
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        let content = &line[indent..];
        let blank = content.is_empty() || content.starts_with(b"#");
        if !blank {
            // A list item may sit at its key's own indentation.
            let item = content.starts_with(b"- ") || content == b"-";
            while open
                .last()
                .is_some_and(|&(i, _)| i > indent || (i == indent && !item))
            {
                open.pop();
            }
        }
        let key = if blank { None } else { key_of(content) };
        let header = match &key {
            Some((k, _)) => Some(env.det.header(k)),
            None => open.last().map(|&(_, h)| h),
        };
        if let (Some((_, true)), Some(h)) = (&key, header) {
            if open.len() < MAX_OPEN {
                open.push((indent, h));
            }
        }
        let ctx = ChunkContext {
            header,
            ..ChunkContext::default()
        };
        emit(&line, pos, ctx, env, sink);
        if !whole {
            while let Some((pos, whole)) = p.line(&mut line, MAX_LINE)? {
                emit(&line, pos, ctx, env, sink);
                if whole {
                    break;
                }
            }
        }
    }
    Ok(p.total)
}

fn emit(line: &[u8], pos: LinePos, ctx: ChunkContext, env: &Env<'_>, sink: &mut dyn Sink) {
    if !env.det.has_patterns() && !line.iter().any(|&b| b.is_ascii_digit() || b == b'@') {
        return;
    }
    let base = Location::default();
    let text = String::from_utf8_lossy(line);
    sink.chunk(&Chunk::whole(&text, &base, Position::Lines(pos), ctx));
}

/// The key of a `key: value` line (list dashes before it allowed, quoted or not), and whether
/// its value is below it (nothing, a block scalar or an anchor on the line).
fn key_of(content: &[u8]) -> Option<(String, bool)> {
    let mut c = content;
    while let Some(rest) = c.strip_prefix(b"- ") {
        c = rest.trim_ascii_start();
    }
    let (key, after) = match c.first() {
        Some(&q @ (b'"' | b'\'')) => {
            let end = 1 + memchr::memchr(q, &c[1..])?;
            (&c[1..end], &c[end + 1..])
        }
        _ => {
            let i =
                (0..c.len()).find(|&i| c[i] == b':' && c.get(i + 1).is_none_or(|&b| b == b' '))?;
            (&c[..i], &c[i..])
        }
    };
    let value = after.strip_prefix(b":")?.trim_ascii();
    let key = String::from_utf8_lossy(key).trim().to_string();
    if key.is_empty() || key.starts_with('#') {
        return None;
    }
    let below = value.is_empty()
        || value.starts_with(b"#")
        || value.starts_with(b"|")
        || value.starts_with(b">")
        || value.starts_with(b"&");
    Some((key, below))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_on_their_lines() {
        assert_eq!(key_of(b"mobil: 41234567"), Some(("mobil".into(), false)));
        assert_eq!(key_of(b"- fnr: '13097248022'"), Some(("fnr".into(), false)));
        assert_eq!(key_of(b"\"e-post\": x"), Some(("e-post".into(), false)));
        assert_eq!(key_of(b"telefoner:"), Some(("telefoner".into(), true)));
        assert_eq!(key_of(b"notat: |"), Some(("notat".into(), true)));
        assert_eq!(key_of(b"- http://x.no"), None);
        assert_eq!(key_of(b"- 41234567"), None);
    }

    #[test]
    fn lines_carry_the_context_of_their_key() {
        let doc = "ansatte:\n- navn: Kari\n  fnr: 3851598730\n  telefoner:\n  - 41234567\n  notat: |\n    ring 92345678\nid: 3851598730\n";
        let det = crate::detect::Detector::builtin();
        let limits = crate::extract::Limits::default();
        let env = crate::extract::testing::env(&det, &limits);
        struct Keep(Vec<(u64, Option<Header>)>);
        impl Sink for Keep {
            fn chunk(&mut self, c: &Chunk<'_>) {
                let Position::Lines(p) = c.position else {
                    panic!()
                };
                self.0.push((p.line, c.context.header));
            }
        }
        let mut sink = Keep(Vec::new());
        extract(&mut doc.as_bytes(), &env, &mut sink).unwrap();
        let h = |k: &str| Some(det.header(k));
        assert_eq!(
            sink.0,
            [
                (3, h("fnr")),
                (5, h("telefoner")),
                (7, h("notat")),
                (8, h("id"))
            ]
        );
        assert!(h("fnr").unwrap().identity);
    }
}
