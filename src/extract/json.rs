//! JSON and NDJSON: every string and number is a value of its own, located by its JSON path
//! (`$.deltakere[3].telefon`) and read under the context of its key, as a table value is read
//! under its column name.
//!
//! A JSON document is parsed whole (within the parse limit); NDJSON streams one record per
//! line, each located by `row` (its line) and its path inside the record.

use std::io::{BufRead, BufReader, Read};

use serde_json::Value;

use super::Env;
use super::{Chunk, ExtractError, Limit, Location, Position, Sink};
use crate::detect::ChunkContext;
use crate::read::sniff::Format;

/// Bytes of one NDJSON line at most.
const MAX_LINE: u64 = 64 << 20;
/// Records between two checks of the time limit.
const TIME_EVERY: u64 = 1024;

/// JSON by extension, or by content: a first line that is a whole JSON object followed by
/// another object line is NDJSON; text starting with `{` or `[` and a quoted key is JSON.
pub fn detect(ext: &str, text: &str) -> Option<Format> {
    match ext {
        "ndjson" | "jsonl" => return Some(Format::Ndjson),
        "json" | "geojson" => return Some(Format::Json),
        _ => {}
    }
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    let mut lines = trimmed.lines();
    let first = lines.next().unwrap_or("");
    let second = lines.next().unwrap_or("").trim_start();
    if first.starts_with('{')
        && second.starts_with('{')
        && serde_json::from_str::<Value>(first).is_ok()
    {
        return Some(Format::Ndjson);
    }
    trimmed.contains("\":").then_some(Format::Json)
}

/// Scans a whole JSON document; false if it is not valid JSON (nothing was pushed then).
pub fn extract(buf: &[u8], env: &Env<'_>, sink: &mut dyn Sink) -> bool {
    let Ok(value) = serde_json::from_slice::<Value>(buf) else {
        return false;
    };
    let mut path = String::from("$");
    let mut loc = Location::default();
    walk(&value, &mut path, "", &mut loc, env, sink);
    true
}

/// Scans NDJSON records line by line; returns the bytes read. A line that is not JSON is
/// scanned as text located by its row.
pub fn extract_lines(
    reader: &mut dyn Read,
    env: &Env<'_>,
    sink: &mut dyn Sink,
) -> Result<u64, ExtractError> {
    let mut r = BufReader::with_capacity(256 * 1024, reader);
    let mut line = Vec::new();
    let mut bytes = 0u64;
    let mut row = 0u64;
    loop {
        line.clear();
        let n = (&mut r).take(MAX_LINE).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(bytes);
        }
        if n as u64 == MAX_LINE && line.last() != Some(&b'\n') {
            return Err(ExtractError::limit(
                Limit::LineLength,
                format!("an NDJSON line over {MAX_LINE} bytes"),
            ));
        }
        bytes += n as u64;
        row += 1;
        if row % TIME_EVERY == 0 {
            env.clock.check()?;
        }
        if line.trim_ascii().is_empty() {
            continue;
        }
        let mut loc = Location {
            row: Some(row),
            line: Some(row),
            ..Location::default()
        };
        match serde_json::from_slice::<Value>(&line) {
            Ok(v) => {
                let mut path = String::from("$");
                walk(&v, &mut path, "", &mut loc, env, sink);
            }
            Err(_) => {
                let text = String::from_utf8_lossy(&line);
                sink.chunk(&Chunk::whole(
                    &text,
                    &loc,
                    Position::Fixed,
                    ChunkContext::default(),
                ));
            }
        }
    }
}

/// Pushes every string and number under `v`; `key` is the nearest object key above it.
fn walk(
    v: &Value,
    path: &mut String,
    key: &str,
    loc: &mut Location,
    env: &Env<'_>,
    sink: &mut dyn Sink,
) {
    let len = path.len();
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                push_key(path, k);
                walk(child, path, k, loc, env, sink);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                use std::fmt::Write;
                let _ = write!(path, "[{i}]");
                walk(child, path, key, loc, env, sink);
                path.truncate(len);
            }
        }
        Value::String(s) => emit(s, path, key, loc, env, sink),
        Value::Number(n) => emit(&n.to_string(), path, key, loc, env, sink),
        Value::Bool(_) | Value::Null => {}
    }
}

fn emit(text: &str, path: &str, key: &str, loc: &mut Location, env: &Env<'_>, sink: &mut dyn Sink) {
    if !env.det.has_patterns() && !text.bytes().any(|b| b.is_ascii_digit() || b == b'@') {
        return;
    }
    loc.json_path = Some(path.to_string());
    let ctx = ChunkContext {
        header: (!key.is_empty()).then(|| env.det.header(key)),
    };
    sink.chunk(&Chunk::whole(text, loc, Position::Fixed, ctx));
}

/// `.key` for a plain key, `['odd key']` otherwise.
fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && !key.starts_with(|c: char| c.is_ascii_digit())
        && key.chars().all(|c| c.is_alphanumeric() || c == '_');
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str("['");
        for c in key.chars() {
            if c == '\'' || c == '\\' {
                path.push('\\');
            }
            path.push(c);
        }
        path.push_str("']");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_path_segments() {
        let mut p = String::from("$");
        push_key(&mut p, "deltakere");
        p.push_str("[3]");
        push_key(&mut p, "fødselsnummer");
        push_key(&mut p, "e-post");
        push_key(&mut p, "it's");
        assert_eq!(p, "$.deltakere[3].fødselsnummer['e-post']['it\\'s']");
    }

    #[test]
    fn json_is_told_from_ndjson() {
        assert_eq!(
            detect("txt", "{\"a\": 1}\n{\"a\": 2}\n"),
            Some(Format::Ndjson)
        );
        assert_eq!(detect("txt", "{\n  \"a\": 1\n}\n"), Some(Format::Json));
        assert_eq!(detect("txt", "[1, 2]"), None);
        assert_eq!(detect("jsonl", "x"), Some(Format::Ndjson));
    }
}
