//! A pull reader over one fixed buffer, for the parsers that walk a stream byte by byte (SQL
//! dumps, JSON, markup): a few bytes of lookahead, the buffered bytes for fast scans with
//! `memchr`, and the line and column of the position, so every value a parser hands out can
//! say where it stands in the source.
//!
//! The time budget is checked at every refill: however a parser spends its time, it reads,
//! and no loop that reads can outlive the budget by more than one buffer's work.
//!
//! Positions are counted lazily: [`Pull::here`] advances a remembered position over the bytes
//! read since the last call, and a refill counts the bytes it is about to drop. Each byte is
//! counted once, however often positions are asked for.

use std::io::{self, Read};

use super::{Clock, LinePos};

/// Bytes read from the stream at a time.
const BUF: usize = 256 * 1024;

pub(crate) struct Pull<'r> {
    r: &'r mut dyn Read,
    pub buf: Vec<u8>,
    /// The position: `buf[pos..end]` is read but not consumed.
    pub pos: usize,
    pub end: usize,
    /// Bytes read from `r`.
    pub total: u64,
    /// `buf[known]` is at `known_pos` in the source.
    known: usize,
    known_pos: LinePos,
    clock: Option<Clock>,
}

impl<'r> Pull<'r> {
    /// A reader that checks the time budget `clock` at every refill (`None`: no budget).
    pub(crate) fn new(r: &'r mut dyn Read, clock: Option<Clock>) -> Pull<'r> {
        Pull {
            clock,
            r,
            buf: vec![0; BUF],
            pos: 0,
            end: 0,
            total: 0,
            known: 0,
            known_pos: LinePos::START,
        }
    }

    /// The byte `k` ahead of the position (`k` far below the buffer's size), reading more when
    /// needed.
    #[inline]
    pub(crate) fn peek_at(&mut self, k: usize) -> io::Result<Option<u8>> {
        if self.pos + k < self.end {
            return Ok(Some(self.buf[self.pos + k]));
        }
        self.refill(k)
    }

    #[cold]
    fn refill(&mut self, k: usize) -> io::Result<Option<u8>> {
        while self.end - self.pos <= k {
            if let Some(c) = &self.clock {
                c.check()?;
            }
            if self.pos > 0 {
                self.known_pos = self.known_pos.advance(&self.buf[self.known..self.pos]);
                self.buf.copy_within(self.pos..self.end, 0);
                self.end -= self.pos;
                self.pos = 0;
                self.known = 0;
            }
            let n = crate::read::read_some(&mut self.r, &mut self.buf[self.end..])?;
            if n == 0 {
                return Ok(None);
            }
            self.end += n;
            self.total += n as u64;
        }
        Ok(Some(self.buf[self.pos + k]))
    }

    #[inline]
    pub(crate) fn peek(&mut self) -> io::Result<Option<u8>> {
        self.peek_at(0)
    }

    /// The byte at the position, consumed.
    #[inline]
    #[allow(clippy::should_implement_trait)] // fallible: not an `Iterator`
    pub(crate) fn next(&mut self) -> io::Result<Option<u8>> {
        let b = self.peek()?;
        if b.is_some() {
            self.pos += 1;
        }
        Ok(b)
    }

    /// The buffered bytes from the position (at least one unless at the end).
    pub(crate) fn available(&mut self) -> io::Result<&[u8]> {
        self.peek()?;
        Ok(&self.buf[self.pos..self.end])
    }

    /// Reads one line into `out` (without its line break, or a CR before it), at most `max`
    /// bytes of it: returns where it starts and whether it ended (false when `max` cut it; the
    /// next call goes on with the rest). `None` at the end of the input.
    pub(crate) fn line(
        &mut self,
        out: &mut Vec<u8>,
        max: usize,
    ) -> io::Result<Option<(LinePos, bool)>> {
        out.clear();
        let start = self.here();
        let mut any = false;
        loop {
            let avail = self.available()?;
            if avail.is_empty() {
                return Ok(any.then_some((start, true)));
            }
            any = true;
            let take = &avail[..avail.len().min(max - out.len())];
            let (n, ended) = match memchr::memchr(b'\n', take) {
                Some(i) => {
                    out.extend_from_slice(&take[..i]);
                    (i + 1, true)
                }
                None => {
                    out.extend_from_slice(take);
                    (take.len(), false)
                }
            };
            self.pos += n;
            if ended {
                if out.last() == Some(&b'\r') {
                    out.pop();
                }
                return Ok(Some((start, true)));
            }
            if out.len() >= max {
                return Ok(Some((start, false)));
            }
        }
    }

    /// The line and column of the position.
    pub(crate) fn here(&mut self) -> LinePos {
        if self.known < self.pos {
            self.known_pos = self.known_pos.advance(&self.buf[self.known..self.pos]);
            self.known = self.pos;
        }
        self.known_pos
    }
}

/// The rest of a [`Pull`]'s input as a `Read`: all of it, or up to and including the next line
/// break (`line`), for parsers that give up on structure and read on as text.
pub(crate) struct Rest<'p, 'r> {
    pub pull: &'p mut Pull<'r>,
    pub line: bool,
    done: bool,
}

impl<'p, 'r> Rest<'p, 'r> {
    pub(crate) fn new(pull: &'p mut Pull<'r>, line: bool) -> Rest<'p, 'r> {
        Rest {
            pull,
            line,
            done: false,
        }
    }
}

impl Read for Rest<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        let line = self.line;
        let avail = self.pull.available()?;
        let mut n = avail.len().min(buf.len());
        if line {
            if let Some(i) = memchr::memchr(b'\n', &avail[..n]) {
                n = i + 1;
                self.done = true;
            }
        }
        buf[..n].copy_from_slice(&avail[..n]);
        self.pull.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gives its bytes three at a time, so every refill path is taken.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(3);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn positions_follow_lines_and_characters_across_refills() {
        let text = "ab\næø x\n\ny".repeat(40_000);
        let mut t = Trickle(text.as_bytes());
        let mut p = Pull::new(&mut t, None);
        let mut expect = LinePos::START;
        let mut i = 0;
        while let Some(b) = p.peek().unwrap() {
            if b == b'x' || b == b'y' {
                assert_eq!(p.here(), expect, "at byte {i}");
            }
            expect = expect.advance(&[b]);
            p.next().unwrap();
            i += 1;
        }
        assert_eq!(p.total, text.len() as u64);
        assert_eq!(p.here().line, 3 * 40_000 + 1);
    }

    #[test]
    fn lines_with_their_positions_cut_at_a_maximum() {
        let mut t = Trickle(b"ab\r\ncdefgh\n\nh");
        let mut p = Pull::new(&mut t, None);
        let mut l = Vec::new();
        let mut got = Vec::new();
        while let Some((pos, whole)) = p.line(&mut l, 4).unwrap() {
            got.push((
                String::from_utf8(l.clone()).unwrap(),
                pos.line,
                pos.column,
                whole,
            ));
        }
        let want = [
            ("ab", 1, 1, true),
            ("cdef", 2, 1, false),
            ("gh", 2, 5, true),
            ("", 3, 1, true),
            ("h", 4, 1, true),
        ];
        let want: Vec<(String, u64, u64, bool)> = want
            .iter()
            .map(|&(s, l, c, w)| (s.to_string(), l, c, w))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn the_rest_of_a_line_or_of_the_input() {
        let mut t = Trickle(b"ab\ncd\nef");
        let mut p = Pull::new(&mut t, None);
        p.next().unwrap();
        let mut out = String::new();
        Rest::new(&mut p, true).read_to_string(&mut out).unwrap();
        assert_eq!(out, "b\n");
        out.clear();
        Rest::new(&mut p, false).read_to_string(&mut out).unwrap();
        assert_eq!(out, "cd\nef");
    }
}
