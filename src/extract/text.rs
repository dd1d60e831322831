//! Text files in any common encoding, decoded as a stream into overlapping windows.

use std::io::{self, Read};

use encoding_rs::Encoding;

use super::window::{Addressing, Windower};
use super::{ExtractError, Extracted, Input, Location, Sink};
use crate::detect::ChunkContext;
use crate::read::sniff;

/// Bytes read per call; the decoder keeps partial characters between reads.
const READ: usize = 128 * 1024;

/// What reading the stream saw.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub bytes: u64,
    /// Malformed sequences replaced by U+FFFD.
    pub had_errors: bool,
}

/// Decodes `input` (which starts at the beginning of the file, BOM included) as `encoding` and
/// pushes windows into `sink`.
pub fn extract(
    input: &mut dyn Read,
    encoding: &'static Encoding,
    base: &Location,
    context: ChunkContext<'_>,
    sink: &mut dyn Sink,
) -> io::Result<Stats> {
    let mut decoder = encoding.new_decoder_with_bom_removal();
    let mut windower = Windower::new(Addressing::Lines, base, context);
    let mut buf = vec![0u8; READ];
    let mut stats = Stats::default();
    loop {
        let n = match input.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let last = n == 0;
        stats.bytes += n as u64;
        let out = windower.buffer();
        let need = decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16);
        out.reserve(need);
        let (_, read, errors) = decoder.decode_to_string(&buf[..n], out, last);
        debug_assert_eq!(read, n, "capacity was reserved for the whole input");
        stats.had_errors |= errors;
        windower.flush(sink, last);
        if last {
            return Ok(stats);
        }
    }
}

/// A text input: plain, or delimited with a header row (whose column names then give context
/// to every value below them).
pub fn extract_file(
    input: &mut Input<'_>,
    encoding: &'static Encoding,
    bom: bool,
    sink: &mut dyn Sink,
) -> Result<Extracted, ExtractError> {
    let columns = delimited(&input.extension(), input.head, encoding).map(|(delim, names)| {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        input.det.columns(delim, &names)
    });
    let ctx = ChunkContext {
        header: None,
        columns: columns.as_ref(),
    };
    input.reader.rewind()?;
    let base = Location::default();
    let stats = extract(input.reader, encoding, &base, ctx, sink)?;
    let mut out = Extracted::new(if columns.is_some() { "csv" } else { "text" }, stats.bytes);
    let mut name = sniff::encoding_name(encoding, bom);
    if stats.had_errors {
        name.push_str(" (with invalid sequences)");
    }
    out.encoding = Some(name);
    Ok(out)
}

/// A delimited text with a header row: by extension (`csv`, `tsv`) or by a first line with
/// two or more of one delimiter that the second line repeats. Returns the delimiter and the
/// header names.
pub fn delimited(ext: &str, head: &[u8], encoding: &'static Encoding) -> Option<(u8, Vec<String>)> {
    let (text, _, _) = encoding.decode(head);
    let mut lines = text.lines();
    let first = lines.next()?;
    let second = lines.next().unwrap_or("");
    let count = |line: &str, d: char| line.chars().filter(|&c| c == d).count();
    let delim = [';', ',', '\t', '|']
        .into_iter()
        .filter(|&d| count(first, d) >= 1)
        .max_by_key(|&d| (count(first, d) == count(second, d), count(first, d)))?;
    let by_ext = matches!(ext, "csv" | "tsv" | "tab" | "psv");
    if !by_ext && (count(first, delim) < 2 || count(first, delim) != count(second, delim)) {
        return None;
    }
    let names: Vec<String> = first
        .split(delim)
        .map(|f| f.trim().trim_matches('"').to_string())
        .collect();
    // A header names its columns: mostly not numbers.
    let numeric = names
        .iter()
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || " .,-+".contains(c)))
        .count();
    if numeric * 2 > names.len() {
        return None;
    }
    Some((delim as u8, names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimited_texts_are_recognised_by_their_header() {
        let utf8 = encoding_rs::UTF_8;
        let (d, names) = delimited("txt", b"navn;fnr;mobil\nKari;1;2\n", utf8).unwrap();
        assert_eq!((d, names.len()), (b';', 3));
        assert_eq!(delimited("csv", b"a,b\n1,2\n", utf8).unwrap().0, b',');
        assert!(delimited("txt", b"Hei, du. Dette, er tekst\nmed komma\n", utf8).is_none());
        assert!(
            delimited("csv", b"1;2;3\n4;5;6\n", utf8).is_none(),
            "no header row"
        );
    }
}
