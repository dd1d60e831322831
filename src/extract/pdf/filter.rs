//! Stream filters as streaming readers: FlateDecode, LZWDecode, ASCIIHexDecode,
//! ASCII85Decode, RunLengthDecode and the PNG/TIFF predictors.
//!
//! Every decoder is a `Read` over the one before it, so a stream is decoded as it is consumed:
//! a content stream that inflates to gigabytes is interpreted in constant memory, and a
//! caller that needs a stream whole ([`read_bounded`]) stops at its byte budget. Damage ends
//! a stream with an error after everything before it was delivered (what a damaged page
//! showed up to that point is kept). Flate data is inflated raw, after its zlib header, so a
//! wrong or missing checksum (common) costs nothing. Image codecs (DCT, JPX, JBIG2, CCITT)
//! are not decoded: images hold no text layer.

use std::io::{self, BufRead, BufReader, Read};

use flate2::{Decompress, FlushDecompress, Status};

/// A filter of a stream's `/Filter` chain.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Filter {
    Flate,
    Lzw {
        early_change: bool,
    },
    AsciiHex,
    Ascii85,
    RunLength,
    /// `/Crypt` with the identity filter: nothing to do.
    Identity,
    /// An image codec: the data is a picture, not text.
    Image(String),
    Unknown(String),
}

impl Filter {
    pub(super) fn from_name(name: &[u8], early_change: bool) -> Filter {
        match name {
            b"FlateDecode" | b"Fl" => Filter::Flate,
            b"LZWDecode" | b"LZW" => Filter::Lzw { early_change },
            b"ASCIIHexDecode" | b"AHx" => Filter::AsciiHex,
            b"ASCII85Decode" | b"A85" => Filter::Ascii85,
            b"RunLengthDecode" | b"RL" => Filter::RunLength,
            b"Crypt" => Filter::Identity,
            b"DCTDecode" | b"DCT" | b"JPXDecode" | b"JBIG2Decode" | b"CCITTFaxDecode" | b"CCF" => {
                Filter::Image(String::from_utf8_lossy(name).into_owned())
            }
            _ => Filter::Unknown(String::from_utf8_lossy(name).into_owned()),
        }
    }
}

/// `/DecodeParms` of a predictor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Predictor {
    pub predictor: u32,
    pub colors: u32,
    pub bits: u32,
    pub columns: u32,
}

/// Why a filter chain cannot be built.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Unreadable {
    /// An image codec: not text.
    Image(String),
    /// A filter kartlegg does not know.
    Unknown(String),
}

/// The decoded data of `raw` through `filters` (each with its predictor, if any).
pub(super) fn decode<'a>(
    raw: Box<dyn Read + 'a>,
    filters: &[(Filter, Option<Predictor>)],
) -> Result<Box<dyn Read + 'a>, Unreadable> {
    let mut r = raw;
    for (f, pred) in filters {
        r = match f {
            Filter::Flate => Box::new(Inflate::new(r)),
            Filter::Lzw { early_change } => Box::new(Stepped::new(Lzw::new(r, *early_change))),
            Filter::AsciiHex => Box::new(Stepped::new(AsciiHex(BufReader::new(r)))),
            Filter::Ascii85 => Box::new(Stepped::new(Ascii85(BufReader::new(r)))),
            Filter::RunLength => Box::new(Stepped::new(RunLength(BufReader::new(r)))),
            Filter::Identity => r,
            Filter::Image(n) => return Err(Unreadable::Image(n.clone())),
            Filter::Unknown(n) => return Err(Unreadable::Unknown(n.clone())),
        };
        if let Some(p) = pred.filter(|p| p.predictor >= 2) {
            r = Box::new(Stepped::new(Predicted::new(r, p)));
        }
    }
    Ok(r)
}

/// Reads `r` to its end, or fails once it gives more than `max` bytes.
pub(super) fn read_bounded(r: &mut dyn Read, max: u64) -> Result<Vec<u8>, Bounded> {
    let mut out = Vec::new();
    match r.take(max + 1).read_to_end(&mut out) {
        Ok(_) if out.len() as u64 > max => Err(Bounded::TooLarge),
        Ok(_) => Ok(out),
        Err(_) if out.is_empty() => Err(Bounded::Damaged),
        // What came before the damage.
        Err(_) => Ok(out),
    }
}

#[derive(Debug)]
pub(super) enum Bounded {
    TooLarge,
    Damaged,
}

fn damaged(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("damaged {what} data"))
}

/// Raw inflate after the zlib header (if there is one), checksum not checked.
struct Inflate<R> {
    inner: R,
    z: Decompress,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    eof: bool,
    started: bool,
    done: bool,
    failed: Option<io::Error>,
}

impl<R: Read> Inflate<R> {
    fn new(inner: R) -> Inflate<R> {
        Inflate {
            inner,
            z: Decompress::new(false),
            buf: vec![0; 16 * 1024].into_boxed_slice(),
            pos: 0,
            end: 0,
            eof: false,
            started: false,
            done: false,
            failed: None,
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        while !self.eof && self.end < self.buf.len() {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.end += n;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Inflate<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = self.failed.take() {
            self.done = true;
            return Err(e);
        }
        if self.done || out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.pos == self.end || (!self.started && self.end - self.pos < 2) {
                self.refill()?;
            }
            if !self.started {
                self.started = true;
                let h = &self.buf[self.pos..self.end];
                // A zlib header: method 8, and the check bits make the pair a multiple of 31.
                if h.len() >= 2
                    && h[0] & 0x0F == 8
                    && (u16::from(h[0]) << 8 | u16::from(h[1])) % 31 == 0
                {
                    self.pos += 2;
                }
            }
            let (in0, out0) = (self.z.total_in(), self.z.total_out());
            let res = self
                .z
                .decompress(&self.buf[self.pos..self.end], out, FlushDecompress::None);
            let used = (self.z.total_in() - in0) as usize;
            let made = (self.z.total_out() - out0) as usize;
            self.pos += used;
            match res {
                Ok(Status::StreamEnd) => {
                    self.done = true;
                    return Ok(made);
                }
                Ok(_) if made > 0 => return Ok(made),
                Ok(_) if used == 0 && self.eof && self.pos == self.end => {
                    // The data ended before the last block: truncated.
                    self.done = true;
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "flate data ends early",
                    ));
                }
                Ok(_) => {}
                Err(_) => {
                    let e = damaged("flate");
                    if made > 0 {
                        self.failed = Some(e);
                        return Ok(made);
                    }
                    self.done = true;
                    return Err(e);
                }
            }
        }
    }
}

/// A decoder that produces output a step at a time.
trait Step {
    /// Appends some output to `out`; false at the end of the data.
    fn step(&mut self, out: &mut Vec<u8>) -> io::Result<bool>;
}

/// A [`Step`] decoder as a reader.
struct Stepped<S> {
    s: S,
    pending: Vec<u8>,
    at: usize,
    done: bool,
}

impl<S: Step> Stepped<S> {
    fn new(s: S) -> Stepped<S> {
        Stepped {
            s,
            pending: Vec::new(),
            at: 0,
            done: false,
        }
    }
}

impl<S: Step> Read for Stepped<S> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.pending.len() {
            if self.done {
                return Ok(0);
            }
            self.pending.clear();
            self.at = 0;
            match self.s.step(&mut self.pending) {
                Ok(more) => self.done = !more,
                Err(e) => {
                    self.done = true;
                    if self.pending.is_empty() {
                        return Err(e);
                    }
                }
            }
        }
        let n = out.len().min(self.pending.len() - self.at);
        out[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Bytes a step produces before handing them on.
const STEP_OUT: usize = 16 * 1024;

fn byte(r: &mut impl BufRead) -> io::Result<Option<u8>> {
    let b = r.fill_buf()?.first().copied();
    if b.is_some() {
        r.consume(1);
    }
    Ok(b)
}

struct AsciiHex<R>(BufReader<R>);

impl<R: Read> Step for AsciiHex<R> {
    fn step(&mut self, out: &mut Vec<u8>) -> io::Result<bool> {
        let mut high: Option<u8> = None;
        while out.len() < STEP_OUT {
            let Some(b) = byte(&mut self.0)? else {
                out.extend(high.map(|h| h << 4));
                return Ok(false);
            };
            let v = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                b'>' => {
                    out.extend(high.map(|h| h << 4));
                    return Ok(false);
                }
                _ if super::lex::is_white(b) => continue,
                _ => return Err(damaged("ASCIIHex")),
            };
            match high.take() {
                Some(h) => out.push(h << 4 | v),
                None => high = Some(v),
            }
        }
        // Never stop between the two digits of a byte.
        if let Some(h) = high {
            loop {
                match byte(&mut self.0)? {
                    Some(b) if super::lex::is_white(b) => continue,
                    Some(b @ (b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F')) => {
                        let v = (b as char).to_digit(16).unwrap_or(0) as u8;
                        out.push(h << 4 | v);
                        break;
                    }
                    _ => {
                        out.push(h << 4);
                        return Ok(false);
                    }
                }
            }
        }
        Ok(true)
    }
}

struct Ascii85<R>(BufReader<R>);

impl<R: Read> Step for Ascii85<R> {
    fn step(&mut self, out: &mut Vec<u8>) -> io::Result<bool> {
        let mut group = [0u8; 5];
        let mut n = 0;
        loop {
            let b = byte(&mut self.0)?;
            match b {
                Some(b'z') if n == 0 => out.extend_from_slice(&[0; 4]),
                Some(c @ b'!'..=b'u') => {
                    group[n] = c - b'!';
                    n += 1;
                    if n == 5 {
                        let v = group.iter().fold(0u64, |v, &d| v * 85 + u64::from(d));
                        out.extend_from_slice(&(v as u32).to_be_bytes());
                        n = 0;
                        if out.len() >= STEP_OUT {
                            return Ok(true);
                        }
                    }
                }
                Some(c) if super::lex::is_white(c) => {}
                // `~>` or the end: a last partial group.
                Some(b'~') | None => {
                    if n > 1 {
                        for g in group.iter_mut().skip(n) {
                            *g = 84;
                        }
                        let v = group.iter().fold(0u64, |v, &d| v * 85 + u64::from(d));
                        out.extend_from_slice(&(v as u32).to_be_bytes()[..n - 1]);
                    }
                    return Ok(false);
                }
                Some(_) => return Err(damaged("ASCII85")),
            }
        }
    }
}

struct RunLength<R>(BufReader<R>);

impl<R: Read> Step for RunLength<R> {
    fn step(&mut self, out: &mut Vec<u8>) -> io::Result<bool> {
        while out.len() < STEP_OUT {
            let Some(len) = byte(&mut self.0)? else {
                return Ok(false);
            };
            match len {
                128 => return Ok(false),
                0..=127 => {
                    let start = out.len();
                    out.resize(start + len as usize + 1, 0);
                    if let Err(e) = self.0.read_exact(&mut out[start..]) {
                        out.truncate(start);
                        return Err(e);
                    }
                }
                _ => {
                    let Some(b) = byte(&mut self.0)? else {
                        return Ok(false);
                    };
                    out.extend(std::iter::repeat_n(b, 257 - len as usize));
                }
            }
        }
        Ok(true)
    }
}

/// LZW as PDF writes it: 9- to 12-bit codes, 256 clears, 257 ends, and by default the code
/// width grows one code early.
struct Lzw<R> {
    r: BufReader<R>,
    early: u32,
    bits: u64,
    nbits: u32,
    width: u32,
    /// Entries from 258: (prefix code, last byte, length).
    table: Vec<(u16, u8, u16)>,
    prev: Option<u16>,
}

impl<R: Read> Lzw<R> {
    fn new(r: R, early_change: bool) -> Lzw<R> {
        Lzw {
            r: BufReader::new(r),
            early: u32::from(early_change),
            bits: 0,
            nbits: 0,
            width: 9,
            table: Vec::with_capacity(4096),
            prev: None,
        }
    }

    fn code(&mut self) -> io::Result<Option<u16>> {
        while self.nbits < self.width {
            let Some(b) = byte(&mut self.r)? else {
                return Ok(None);
            };
            self.bits = self.bits << 8 | u64::from(b);
            self.nbits += 8;
        }
        self.nbits -= self.width;
        Ok(Some(
            ((self.bits >> self.nbits) & ((1 << self.width) - 1)) as u16,
        ))
    }

    /// Appends the string of `code` to `out`; returns its first byte.
    fn emit(&self, code: u16, out: &mut Vec<u8>) -> u8 {
        if code < 256 {
            out.push(code as u8);
            return code as u8;
        }
        let (_, _, len) = self.table[usize::from(code - 258)];
        let start = out.len();
        out.resize(start + usize::from(len), 0);
        let mut c = code;
        let mut i = start + usize::from(len);
        while c >= 258 {
            let (prefix, last, _) = self.table[usize::from(c - 258)];
            i -= 1;
            out[i] = last;
            c = prefix;
        }
        out[start] = c as u8;
        c as u8
    }

    fn len_of(&self, code: u16) -> u16 {
        if code < 256 {
            1
        } else {
            self.table[usize::from(code - 258)].2
        }
    }
}

impl<R: Read> Step for Lzw<R> {
    fn step(&mut self, out: &mut Vec<u8>) -> io::Result<bool> {
        while out.len() < STEP_OUT {
            let Some(code) = self.code()? else {
                return Ok(false);
            };
            match code {
                256 => {
                    self.table.clear();
                    self.width = 9;
                    self.prev = None;
                    continue;
                }
                257 => return Ok(false),
                _ => {}
            }
            let next = 258 + self.table.len() as u16;
            let first = if code < next {
                if (256..258).contains(&code) {
                    return Err(damaged("LZW"));
                }
                self.emit(code, out)
            } else if code == next {
                // The code being defined: the previous string plus its own first byte.
                let Some(p) = self.prev else {
                    return Err(damaged("LZW"));
                };
                let f = self.emit(p, out);
                out.push(f);
                f
            } else {
                return Err(damaged("LZW"));
            };
            if let Some(p) = self.prev {
                if self.table.len() < 4096 - 258 {
                    let len = self.len_of(p).saturating_add(1);
                    self.table.push((p, first, len));
                }
            }
            self.prev = Some(code);
            let size = 258 + self.table.len() as u32 + self.early;
            self.width = match size {
                ..=511 => 9,
                512..=1023 => 10,
                1024..=2047 => 11,
                _ => 12,
            };
        }
        Ok(true)
    }
}

/// PNG (10-15) and TIFF (2) predictors, row by row.
struct Predicted<R> {
    r: R,
    p: Predictor,
    /// Bytes per pixel (at least 1) and per row.
    bpp: usize,
    row: usize,
    prev: Vec<u8>,
    cur: Vec<u8>,
}

impl<R: Read> Predicted<R> {
    fn new(r: R, p: Predictor) -> Predicted<R> {
        let colors = p.colors.clamp(1, 32) as usize;
        let bits = p.bits.clamp(1, 16) as usize;
        let columns = p.columns.clamp(1, 1 << 20) as usize;
        let row = (colors * bits * columns).div_ceil(8);
        Predicted {
            r,
            p,
            bpp: (colors * bits).div_ceil(8).max(1),
            row,
            prev: vec![0; row],
            cur: vec![0; row + 1],
        }
    }
}

impl<R: Read> Step for Predicted<R> {
    fn step(&mut self, out: &mut Vec<u8>) -> io::Result<bool> {
        let png = self.p.predictor >= 10;
        let want = self.row + usize::from(png);
        let mut got = 0;
        while got < want {
            match self.r.read(&mut self.cur[got..want]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if got < want {
            // A short last row is passed on as it is.
            if got > usize::from(png) {
                out.extend_from_slice(&self.cur[usize::from(png)..got]);
            }
            return Ok(false);
        }
        let bpp = self.bpp;
        if png {
            let kind = self.cur[0];
            let row = &mut self.cur[1..];
            for i in 0..row.len() {
                let left = if i >= bpp { row[i - bpp] } else { 0 };
                let up = self.prev[i];
                let ul = if i >= bpp { self.prev[i - bpp] } else { 0 };
                row[i] = row[i].wrapping_add(match kind {
                    1 => left,
                    2 => up,
                    3 => ((u16::from(left) + u16::from(up)) / 2) as u8,
                    4 => paeth(left, up, ul),
                    _ => 0,
                });
            }
            self.prev.copy_from_slice(row);
            out.extend_from_slice(row);
        } else {
            let row = &mut self.cur[..self.row];
            if self.p.bits == 8 {
                for i in bpp..row.len() {
                    row[i] = row[i].wrapping_add(row[i - bpp]);
                }
            }
            out.extend_from_slice(row);
        }
        Ok(true)
    }
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn run(data: &[u8], f: Filter, p: Option<Predictor>) -> io::Result<Vec<u8>> {
        let mut r = decode(Box::new(data), &[(f, p)]).unwrap();
        let mut out = Vec::new();
        r.read_to_end(&mut out)?;
        Ok(out)
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(data).unwrap();
        z.finish().unwrap()
    }

    #[test]
    fn flate_with_and_without_header_and_with_a_bad_checksum() {
        let text = b"BT (13097248022) Tj ET ".repeat(1000);
        let z = zlib(&text);
        assert_eq!(run(&z, Filter::Flate, None).unwrap(), text);
        assert_eq!(run(&z[2..], Filter::Flate, None).unwrap(), text);
        let mut bad = z.clone();
        let n = bad.len();
        bad[n - 1] ^= 0xFF;
        assert_eq!(run(&bad, Filter::Flate, None).unwrap(), text);
    }

    #[test]
    fn truncated_flate_gives_what_it_has_then_an_error() {
        let text: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let z = zlib(&text);
        let mut r = decode(Box::new(&z[..z.len() / 2]), &[(Filter::Flate, None)]).unwrap();
        let mut out = Vec::new();
        let e = r.read_to_end(&mut out);
        assert!(e.is_err());
        assert!(out.len() > 1000 && text.starts_with(&out));
    }

    #[test]
    fn a_stream_is_decoded_as_it_is_read() {
        // 16 MiB of spaces from 16 KB: read in pieces, never held whole.
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        let block = vec![b' '; 1 << 20];
        for _ in 0..16 {
            z.write_all(&block).unwrap();
        }
        let z = z.finish().unwrap();
        let mut r = decode(Box::new(&z[..]), &[(Filter::Flate, None)]).unwrap();
        let n = io::copy(&mut r, &mut io::sink()).unwrap();
        assert_eq!(n, 16 << 20);
        let mut r = decode(Box::new(&z[..]), &[(Filter::Flate, None)]).unwrap();
        assert!(matches!(
            read_bounded(&mut r, 1 << 20),
            Err(Bounded::TooLarge)
        ));
    }

    #[test]
    fn ascii_filters_and_run_length() {
        assert_eq!(
            run(b"48 65 6c6C 6\n>", Filter::AsciiHex, None).unwrap(),
            b"Hell`"
        );
        // "Man is" in ASCII85, with `z` for four zeros.
        assert_eq!(
            run(b"9jqo^BlbD-z~>", Filter::Ascii85, None).unwrap(),
            b"Man is d\0\0\0\0"
        );
        assert_eq!(
            run(
                &[2, b'a', b'b', b'c', 254, b'x', 128],
                Filter::RunLength,
                None
            )
            .unwrap(),
            b"abcxxx"
        );
    }

    #[test]
    fn lzw_from_the_specification() {
        // The example of the PDF reference (section 7.4.4.2): 45 45 45 45 45 65 45 45 45 66.
        let data = [0x80, 0x0B, 0x60, 0x50, 0x22, 0x0C, 0x0C, 0x85, 0x01];
        assert_eq!(
            run(&data, Filter::Lzw { early_change: true }, None).unwrap(),
            [45, 45, 45, 45, 45, 65, 45, 45, 45, 66]
        );
    }

    #[test]
    fn png_up_predictor() {
        let p = Predictor {
            predictor: 12,
            colors: 1,
            bits: 8,
            columns: 3,
        };
        let rows = [2, 1, 2, 3, 2, 1, 1, 1];
        assert_eq!(
            run(&rows, Filter::Identity, Some(p)).unwrap(),
            [1, 2, 3, 2, 3, 4]
        );
    }
}
