//! The fast way through `kartlegg merge`: JSON documents in the JSON writer's layout (the
//! header on the first line, one record per line in inventory order, the summary on the last
//! line) are merged k ways, line by line, and each record's bytes are copied unchanged.
//!
//! Nothing in a record is parsed but its `path`, at the start of every line as the writer puts
//! it: unescaped only when it holds a backslash, then compared through [`order::key`]. (The
//! distinct values come from each input's summary, not from its findings.) Lines are checked
//! to be in the order the writer sorts them by (the path's key, then the record's text): an
//! input out of order was edited, and is refused, as is an input whose lines are not records
//! as the writer writes them.
//!
//! Memory holds a read buffer per input and at most [`HELD`] bytes of its current line: the
//! rest of a longer line (a record with thousands of findings is megabytes) is copied to the
//! output when the record is written, never held, so it costs no fresh memory. Only where the
//! held bytes may not decide are lines read whole: two inputs listing the same path (to order
//! them by their text). Within one input, a line whose path equals the
//! one before is checked against what was held of that one: an input out of order there is
//! refused unless the two records agree in their first [`HELD`] bytes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufRead, BufReader};

use super::{Input, MergeError, Tail};
use crate::report::order::{self, leading_path};
use crate::report::sort::Head;
use crate::report::writer::{self, Document};
use crate::review::inventory;

/// The read buffer of each input (128 KiB: a larger one only touched more pages).
const BUF: usize = 1 << 17;

/// Of a line, the bytes held in memory until its record is written.
const HELD: usize = 64 << 10;

/// An input read a line at a time.
pub(super) struct Lines {
    r: BufReader<File>,
    /// The number of the line last read.
    n: usize,
    listed: u64,
    tail: Option<Tail>,
    /// The current record's line goes on past what its head holds.
    rest: bool,
    /// The [`writer::record_hash`]es of the records written, summed.
    digest: u64,
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
        let Ok(f) = input.file() else {
            // Gone since its header was read: the other way reports it.
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
            rest: false,
            digest: 0,
        });
    }
    Ok(Some(all))
}

/// `BufRead::read_until` of a line, with memchr's search (std's is a plainer loop, and this
/// is most of what a merge does), stopping early once `out` holds `cap` bytes. The bytes read,
/// and whether the line ended (at its newline or at the end of the input).
fn read_line(r: &mut impl BufRead, out: &mut Vec<u8>, cap: usize) -> io::Result<(usize, bool)> {
    let mut read = 0;
    loop {
        let room = cap.saturating_sub(out.len());
        if room == 0 {
            return Ok((read, false));
        }
        let buf = r.fill_buf()?;
        let buf = &buf[..buf.len().min(room)];
        let (n, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), buf.is_empty()),
        };
        out.extend_from_slice(&buf[..n]);
        r.consume(n);
        read += n;
        if done {
            return Ok((read, true));
        }
    }
}

/// Where the blanks and commas that end `b` start (`b.len()` when it ends otherwise).
fn content_end(b: &[u8]) -> usize {
    b.iter()
        .rposition(|b| !(b.is_ascii_whitespace() || *b == b','))
        .map_or(0, |i| i + 1)
}

/// Whether a line whose content ends with `last` and goes on with `after` (blanks and commas
/// only) ends as the writer ends a record: `}`, at most one comma, blanks.
fn ends_record(last: Option<u8>, after: &[u8]) -> bool {
    let after = after.trim_ascii_end();
    last == Some(b'}') && (after.is_empty() || after == b",")
}

/// A whole line made its record: without its newline, trailing blanks and one comma. False
/// when it does not end as a record does.
fn record_end(line: &mut Vec<u8>) -> bool {
    let len = content_end(line);
    let ok = ends_record(line[..len].last().copied(), &line[len..]);
    line.truncate(len);
    ok
}

fn not_record(input: &Input, n: usize) -> MergeError {
    read_error(
        input,
        format!("line {n}: not a file record as kartlegg writes it"),
    )
}

fn cut_short(input: &Input) -> MergeError {
    read_error(
        input,
        "not a kartlegg inventory: it ends inside its list of files",
    )
}

impl Lines {
    /// The next record of input number `run`, read into `spare`'s buffers; `None` at the end
    /// of the list, whose summary is then kept.
    fn next(
        &mut self,
        input: &Input,
        run: usize,
        spare: Option<Head>,
    ) -> Result<Option<Head>, MergeError> {
        let mut h = spare.unwrap_or(Head {
            key: Vec::new(),
            data: Vec::new(),
            run,
        });
        h.run = run;
        loop {
            h.data.clear();
            // A line read whole (two inputs listing one path) may have left megabytes behind.
            h.data.shrink_to(HELD);
            let (read, whole) =
                read_line(&mut self.r, &mut h.data, HELD).map_err(|e| read_error(input, e))?;
            self.n += 1;
            if read == 0 {
                return Err(cut_short(input));
            }
            self.rest = !whole;
            // The start of a long line is kept when it holds a record's path; anything else
            // (the list's end with its summary) is read whole.
            if self.rest && leading_path(&h.data).is_none() {
                self.read_rest(input, &mut h.data)?;
            }
            if !self.rest {
                let len = h.data.trim_ascii_end().len();
                match h.data[..len].first() {
                    None => continue,
                    Some(b']') => {
                        h.data.truncate(len);
                        self.end(input, &h.data)?;
                        return Ok(None);
                    }
                    Some(_) => {}
                }
                if !record_end(&mut h.data) {
                    return Err(not_record(input, self.n));
                }
            }
            let (path, _) = leading_path(&h.data).ok_or_else(|| not_record(input, self.n))?;
            h.key.clear();
            order::key_into(&path, &mut h.key);
            self.listed += 1;
            return Ok(Some(h));
        }
    }

    /// Appends the rest of the current line to `line`.
    fn read_rest(&mut self, input: &Input, line: &mut Vec<u8>) -> Result<(), MergeError> {
        if std::mem::take(&mut self.rest) {
            read_line(&mut self.r, line, usize::MAX).map_err(|e| read_error(input, e))?;
        }
        Ok(())
    }

    /// Makes `h`, this input's current record, whole: what its head held and the rest.
    fn complete(&mut self, input: &Input, h: &mut Head) -> Result<(), MergeError> {
        if self.rest {
            self.read_rest(input, &mut h.data)?;
            if !record_end(&mut h.data) {
                return Err(not_record(input, self.n));
            }
        }
        Ok(())
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
            digest: self.digest,
        });
        Ok(())
    }

    /// Writes the current record, `held` (what its head holds) and, of a long line, the rest,
    /// copied as it is read: all but the line's newline, trailing blanks and one comma. `held`
    /// is left holding the start of the record as written.
    fn write(
        &mut self,
        input: &Input,
        held: &mut Vec<u8>,
        doc: &mut Document<'_>,
    ) -> Result<(), MergeError> {
        if !std::mem::take(&mut self.rest) {
            self.digest = self.digest.wrapping_add(writer::record_hash(held));
            return doc.record(held).map_err(MergeError::Write);
        }
        // A long record is hashed as it is copied, part by part.
        let mut hash = xxhash_rust::xxh3::Xxh3::new();
        // A run of blanks and commas ends the record only if nothing else follows it on the
        // line, so it waits; only after a `}` (where a record may end) and while it is short:
        // a longer one is no ending the writer writes, and is written as content.
        let mut waiting = held.split_off(content_end(held));
        doc.record(held).map_err(MergeError::Write)?;
        hash.update(held);
        let mut more = |doc: &mut Document<'_>, b: &[u8]| {
            hash.update(b);
            doc.more(b).map_err(MergeError::Write)
        };
        let mut last = held.last().copied();
        loop {
            if last != Some(b'}') || waiting.len() > HELD {
                more(doc, &waiting)?;
                last = waiting.last().copied().or(last);
                waiting.clear();
            }
            let buf = self.r.fill_buf().map_err(|e| read_error(input, e))?;
            if buf.is_empty() {
                return Err(cut_short(input));
            }
            let (part, done) = match memchr::memchr(b'\n', buf) {
                Some(i) => (&buf[..i], true),
                None => (buf, false),
            };
            let content = content_end(part);
            if content > 0 {
                more(doc, &waiting)?;
                waiting.clear();
                more(doc, &part[..content])?;
                last = Some(part[content - 1]);
            }
            waiting.extend_from_slice(&part[content..]);
            let used = part.len() + usize::from(done);
            self.r.consume(used);
            if done {
                break;
            }
        }
        if !ends_record(last, &waiting) {
            return Err(not_record(input, self.n));
        }
        self.digest = self.digest.wrapping_add(hash.digest());
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
    for (run, (l, input)) in lines.iter_mut().zip(inputs).enumerate() {
        if let Some(h) = l.next(input, run, None)? {
            heap.push(Reverse(h));
        }
    }
    // The record written last, whose buffers are reused for the next line read.
    let mut prev: Option<Head> = None;
    while let Some(Reverse(mut h)) = heap.pop() {
        let from = h.run;
        // Another input lists the same path: both lines are compared whole, for their order
        // (the heap ordered them by what their heads held).
        let mut completed = false;
        if let Some(mut top) = heap.peek_mut() {
            let other = top.0.run;
            if top.0.key == h.key && (lines[from].rest || lines[other].rest) {
                lines[from].complete(&inputs[from], &mut h)?;
                lines[other].complete(&inputs[other], &mut top.0)?;
                completed = true;
            }
        }
        if completed && heap.peek().is_some_and(|t| t.0 < h) {
            heap.push(Reverse(h));
            continue;
        }
        lines[from].write(&inputs[from], &mut h.data, doc)?;
        let spare = prev.replace(h);
        let next = lines[from].next(&inputs[from], from, spare)?;
        if let Some(mut next) = next {
            let p = prev.as_ref().expect("just written");
            if next.key == p.key {
                lines[from].complete(&inputs[from], &mut next)?;
            }
            // Equal lines of one input are kept, as the writer would. (`p` holds the start of
            // a long record: a line less than that is less than the whole.)
            if (&next.key, &next.data) < (&p.key, &p.data) {
                return Err(MergeError::Order {
                    path: inputs[from].name.clone(),
                    line: lines[from].n,
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
    use std::borrow::Cow;

    use super::*;

    /// The path of a record line.
    fn path_of(line: &[u8]) -> Option<Cow<'_, str>> {
        leading_path(line).map(|(p, _)| p)
    }

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
