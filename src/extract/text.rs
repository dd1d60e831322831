//! Text files in any common encoding, decoded as a stream into overlapping windows.

use std::io::Read;

use encoding_rs::{Encoding, UTF_8};

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

/// Hands out `text`, known to be valid, as [`decode`] hands out the same text read in one
/// piece.
fn windows(text: &str, base: &Location, context: ChunkContext, sink: &mut dyn Sink) -> Stats {
    let mut windower = Windower::new(Addressing::Lines, base, context);
    windower.buffer().push_str(text);
    windower.flush(sink, false);
    windower.flush(sink, true);
    Stats {
        bytes: text.len() as u64,
        had_errors: false,
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
    let as_is = input
        .head_text
        .filter(|_| encoding == UTF_8 && input.head_is_all());
    let stats = if let Some(text) = as_is {
        // Most files are all in their head, and most of those are UTF-8 that sniffing found
        // valid: windowed as they are, neither decoded nor checked again.
        clock.check()?;
        windows(text, &base, context, sink)
    } else if input.head_is_all() {
        // Decoded where they are, not copied to a buffer.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{Chunk, Limits};

    /// Every chunk as the detector would see it: text, reported range, location, position
    /// and context.
    #[derive(Default)]
    struct Seen(Vec<String>);

    impl Sink for Seen {
        fn chunk(&mut self, c: &Chunk<'_>) {
            let at = (c.text, &c.report, c.base, c.position, c.context);
            self.0.push(format!("{at:?}"));
        }
    }

    /// A valid text handed out as it is gives the chunks that decoding its bytes gives.
    #[test]
    fn a_valid_head_windowed_as_it_is_gives_the_decoded_chunks() {
        let lines = [
            "",
            "Kari Nordmann, fnr 13097248022",
            "linje med vognretur\r",
            "ærlig talt ø",
        ];
        let texts = [
            String::new(),
            "én linje uten linjeskift".to_string(),
            lines.join("\n"),
            lines.join("\n").repeat(100) + "\n",
        ];
        let clock = Clock::start(&Limits::default());
        for text in &texts {
            assert!(text.len() < sniff::HEAD);
            let (mut direct, mut decoded) = (Seen::default(), Seen::default());
            let base = Location::default();
            let context = ChunkContext::default();
            let stats = windows(text, &base, context, &mut direct);
            let source = Source::Bytes(text.as_bytes());
            let want = decode(
                source,
                encoding_rs::UTF_8,
                &base,
                context,
                &clock,
                &mut decoded,
            );
            assert_eq!(stats, want.unwrap());
            assert_eq!(direct.0, decoded.0);
            assert_eq!(direct.0.is_empty(), text.is_empty());
        }
    }
}
