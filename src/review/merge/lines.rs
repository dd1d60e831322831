//! The fast way through `kartlegg merge`: JSON documents in the JSON writer's layout (the
//! header on the first line, one record per line in inventory order, the summary on the last
//! line) are merged k ways, line by line, and each record's bytes are copied unchanged.
//!
//! Nothing in a record is parsed but its `path`, at the start of every line as the writer puts
//! it: unescaped only when it holds a backslash, then compared through [`order::key`]. (The
//! distinct values come from each input's summary, not from its findings.) Lines are checked
//! to be in the order the writer sorts them by (the path's key, then the record's text): an
//! input out of order was edited, and is refused, as is an input whose lines are not records
//! as the writer writes them. Memory holds one line per input and a read buffer each.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufRead, BufReader};

use super::{overlap, Input, MergeError, Tail};
use crate::report::order::{self, leading_path};
use crate::report::sort::Head;
use crate::report::writer::Document;
use crate::review::inventory;

/// The read buffer of each input (128 KiB: a larger one only touched more pages).
const BUF: usize = 1 << 17;

/// An input read a line at a time.
pub(super) struct Lines {
    r: BufReader<File>,
    /// The number of the line last read.
    n: usize,
    listed: u64,
    tail: Option<Tail>,
}

fn read_error(input: &Input, e: impl std::fmt::Display) -> MergeError {
    MergeError::Read(anyhow::anyhow!(
        "cannot read the inventory {}: {e}",
        input.path.display()
    ))
}

/// Opens every input past its header line; `None` when one is not in the writer's layout
/// (JSON Lines, or a document laid out otherwise): those take the parsing way.
pub(super) fn open(inputs: &[Input]) -> Result<Option<Vec<Lines>>, MergeError> {
    let mut all = Vec::with_capacity(inputs.len());
    for input in inputs {
        let Ok(f) = File::open(&input.path) else {
            // Not a file (`-`): the other way reports what it is.
            return Ok(None);
        };
        let mut r = BufReader::with_capacity(BUF, f);
        let mut first = Vec::new();
        r.read_until(b'\n', &mut first)
            .map_err(|e| read_error(input, e))?;
        match std::str::from_utf8(&first) {
            Ok(first) if inventory::is_document_head(first) => {}
            _ => return Ok(None),
        }
        all.push(Lines {
            r,
            n: 1,
            listed: 0,
            tail: None,
        });
    }
    Ok(Some(all))
}

/// `BufRead::read_until` of a line, with memchr's search (std's is a plainer loop, and this
/// is most of what a merge does).
fn read_line(r: &mut impl BufRead, out: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut read = 0;
    loop {
        let buf = r.fill_buf()?;
        let (n, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), buf.is_empty()),
        };
        out.extend_from_slice(&buf[..n]);
        r.consume(n);
        read += n;
        if done {
            return Ok(read);
        }
    }
}

/// The path of a record line.
pub(super) fn path_of(line: &[u8]) -> Option<Cow<'_, str>> {
    leading_path(line).map(|(p, _)| p)
}

impl Lines {
    /// The next record of input `tag`, read into `spare`'s buffers; `None` at the end of the
    /// list, whose summary is then kept.
    fn next(
        &mut self,
        input: &Input,
        tag: u32,
        spare: Option<Head>,
    ) -> Result<Option<Head>, MergeError> {
        let mut h = spare.unwrap_or(Head {
            key: Vec::new(),
            data: Vec::new(),
            tag,
            run: 0,
        });
        h.tag = tag;
        let not_record = |n: usize| {
            read_error(
                input,
                format!("line {n}: not a file record as kartlegg writes it"),
            )
        };
        loop {
            h.data.clear();
            let read = read_line(&mut self.r, &mut h.data).map_err(|e| read_error(input, e))?;
            self.n += 1;
            if read == 0 {
                return Err(read_error(
                    input,
                    "not a kartlegg inventory: it ends inside its list of files",
                ));
            }
            let len = h.data.trim_ascii_end().len();
            h.data.truncate(len);
            match h.data.first() {
                None => continue,
                Some(b']') => {
                    self.end(input, &h.data)?;
                    return Ok(None);
                }
                Some(_) => {}
            }
            if h.data.last() == Some(&b',') {
                h.data.pop();
            }
            if h.data.last() != Some(&b'}') {
                return Err(not_record(self.n));
            }
            let (path, _) = leading_path(&h.data).ok_or_else(|| not_record(self.n))?;
            h.key.clear();
            order::key_into(&path, &mut h.key);
            self.listed += 1;
            return Ok(Some(h));
        }
    }

    /// The last line, `],"summary":…}`, and nothing but blank lines after it.
    fn end(&mut self, input: &Input, line: &[u8]) -> Result<(), MergeError> {
        let line = std::str::from_utf8(line).map_err(|e| read_error(input, e))?;
        let end = inventory::document_end(self.n, line).map_err(|e| read_error(input, e))?;
        loop {
            let rest = self.r.fill_buf().map_err(|e| read_error(input, e))?;
            if rest.is_empty() {
                break;
            }
            if !rest.iter().all(u8::is_ascii_whitespace) {
                return Err(read_error(
                    input,
                    "not a kartlegg inventory: text after its end",
                ));
            }
            let n = rest.len();
            self.r.consume(n);
        }
        let (summary, finished) = end.ok_or_else(|| super::unfinished(&input.path))?;
        self.tail = Some(Tail {
            summary,
            finished: finished.ok_or_else(|| super::unfinished(&input.path))?,
            files: self.listed,
        });
        Ok(())
    }
}

/// Merges the inputs' records into `doc`, in order. Returns the inputs' ends, in input order.
pub(super) fn merge(
    inputs: &[Input],
    mut lines: Vec<Lines>,
    doc: &mut Document<'_>,
) -> Result<Vec<Tail>, MergeError> {
    let mut heap = BinaryHeap::with_capacity(lines.len());
    for (tag, (l, input)) in lines.iter_mut().zip(inputs).enumerate() {
        if let Some(h) = l.next(input, tag as u32, None)? {
            heap.push(Reverse(h));
        }
    }
    // The record written last, whose buffers are reused for the next line read.
    let mut prev: Option<Head> = None;
    while let Some(Reverse(h)) = heap.pop() {
        let tag = h.tag as usize;
        if let Some(e) = prev
            .as_ref()
            .and_then(|p| overlap(inputs, p.entry(), h.entry()))
        {
            return Err(e);
        }
        doc.record(&h.data).map_err(MergeError::Write)?;
        let spare = prev.replace(h);
        let next = lines[tag].next(&inputs[tag], tag as u32, spare)?;
        if let Some(next) = next {
            let p = prev.as_ref().expect("just written");
            // Equal lines of one input are kept, as the writer would.
            if (&next.key, &next.data) < (&p.key, &p.data) {
                return Err(MergeError::Order {
                    path: inputs[tag].name.clone(),
                    line: lines[tag].n,
                });
            }
            heap.push(Reverse(next));
        }
    }
    Ok(lines
        .into_iter()
        .map(|l| l.tail.expect("every input read to its end"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_with_escapes_is_keyed_as_the_bytes_it_stands_for() {
        // `q"` is written `q\"`, whose backslash would sort it before `q#`; a `\xff` byte
        // would sort before `z` as text.
        let key = |json: &str| {
            let line = format!(r#"{{"path":{json},"counts":{{}},"findings":[]}}"#);
            order::key(&path_of(line.as_bytes()).unwrap())
        };
        assert!(key(r#""/r/q\"""#) < key(r#""/r/q#""#));
        assert!(key(r#""/r/z""#) < key(r#""/r/\\xff""#));
        assert!(key(r#""/r/\u0061""#) == key(r#""/r/a""#));
        assert_eq!(path_of(br#"{"type":"text"}"#), None);
        assert_eq!(path_of(br#"{"path":"/r/unterminated\"}"#), None);
    }
}
