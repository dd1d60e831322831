//! Text files in any common encoding, decoded as a stream into overlapping windows.

use std::io::Read;

use encoding_rs::Encoding;

use super::window::{Addressing, Windower};
use super::{Clock, ExtractError, Extracted, Input, Location, Sink};
use crate::detect::ChunkContext;
use crate::read::sniff;

/// Bytes read per call; the decoder keeps partial characters between reads.
const READ: usize = 128 * 1024;
/// The first read's buffer. Most files are small, and zeroing a full [`READ`] buffer for each
/// of them was a visible cost on trees of small files; the buffer grows once a read fills it.
const FIRST_READ: usize = 16 * 1024;

/// What reading the stream saw.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stats {
    pub bytes: u64,
    /// Malformed sequences replaced by U+FFFD.
    pub had_errors: bool,
}

/// Where the bytes come from: a reader, through a buffer, or memory, read in place.
enum Source<'a> {
    Read {
        r: &'a mut dyn Read,
        buf: Vec<u8>,
        /// The last read filled the buffer: the next one gets a larger buffer.
        filled: bool,
    },
    Bytes(&'a [u8]),
}

impl Source<'_> {
    /// The next bytes; empty at the end.
    fn next(&mut self) -> std::io::Result<&[u8]> {
        match self {
            Source::Read { r, buf, filled } => {
                if *filled && buf.len() < READ {
                    buf.resize(READ, 0);
                }
                let n = crate::read::read_some(*r, buf)?;
                *filled = n == buf.len();
                Ok(&buf[..n])
            }
            Source::Bytes(rest) => {
                let (now, later) = rest.split_at(rest.len().min(READ));
                *rest = later;
                Ok(now)
            }
        }
    }
}

/// Decodes `input` (which starts at the beginning of the file, BOM included) as `encoding` and
/// pushes windows into `sink`. The time budget `clock` is checked at every read: a file of
/// any size, however dense with findings, stops at its budget.
pub(crate) fn extract(
    input: &mut dyn Read,
    encoding: &'static Encoding,
    base: &Location,
    context: ChunkContext,
    clock: &Clock,
    sink: &mut dyn Sink,
) -> Result<Stats, ExtractError> {
    let source = Source::Read {
        r: input,
        buf: vec![0u8; FIRST_READ],
        filled: false,
    };
    decode(source, encoding, base, context, clock, sink)
}

fn decode(
    mut source: Source<'_>,
    encoding: &'static Encoding,
    base: &Location,
    context: ChunkContext,
    clock: &Clock,
    sink: &mut dyn Sink,
) -> Result<Stats, ExtractError> {
    let mut decoder = encoding.new_decoder_with_bom_removal();
    let mut windower = Windower::new(Addressing::Lines, base, context);
    let mut stats = Stats::default();
    loop {
        clock.check()?;
        let bytes = source.next()?;
        let n = bytes.len();
        let last = n == 0;
        stats.bytes += n as u64;
        let out = windower.buffer();
        let need = decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16);
        out.reserve(need);
        let (_, read, errors) = decoder.decode_to_string(bytes, out, last);
        debug_assert_eq!(read, n, "capacity was reserved for the whole input");
        stats.had_errors |= errors;
        windower.flush(sink, last);
        if last {
            return Ok(stats);
        }
    }
}

/// A plain text input (structured texts go to [`super::structured`]).
pub(crate) fn extract_file(
    input: &mut Input<'_>,
    encoding: &'static Encoding,
    bom: bool,
    sink: &mut dyn Sink,
) -> Result<Extracted, ExtractError> {
    let base = Location::default();
    let clock = input.clock;
    let context = ChunkContext::default();
    let stats = if input.head_is_all() {
        // Most files are all in their head: decoded where they are, not copied to a buffer.
        decode(
            Source::Bytes(input.head),
            encoding,
            &base,
            context,
            &clock,
            sink,
        )?
    } else {
        extract(input.reader()?, encoding, &base, context, &clock, sink)?
    };
    let mut out = Extracted::new("text", stats.bytes);
    out.encoding = Some(encoding_label(encoding, bom, stats.had_errors));
    Ok(out)
}

/// The encoding as the inventory names it, noting replaced invalid sequences.
pub(crate) fn encoding_label(encoding: &'static Encoding, bom: bool, had_errors: bool) -> String {
    let mut name = sniff::encoding_name(encoding, bom);
    if had_errors {
        name.push_str(" (with invalid sequences)");
    }
    name
}
