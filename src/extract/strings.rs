//! Text runs in binary files of unknown format, like `strings`, in two passes at once: ASCII
//! runs (1:1, every other byte becomes a line break) and UTF-16LE runs at even offsets (2:1).
//! Keeping the mapping to file offsets linear lets the ordinary overlapping windows and
//! byte-offset locations serve binaries too.

use std::io::{self, Read};

use super::window::{Addressing, Windower};
use super::{Location, Sink};
use crate::detect::ChunkContext;

const READ: usize = 128 * 1024;

fn printable(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || b == b'\t'
}

/// Scans the text runs of `input`; returns the number of bytes read.
pub(crate) fn extract(
    input: &mut dyn Read,
    base: &Location,
    sink: &mut dyn Sink,
) -> io::Result<u64> {
    let runs = ChunkContext {
        binary_runs: true,
        ..ChunkContext::default()
    };
    let mut ascii = Windower::new(Addressing::Offsets { stride: 1 }, base, runs);
    let mut wide = Windower::new(Addressing::Offsets { stride: 2 }, base, runs);
    let mut buf = vec![0u8; READ];
    let mut total = 0u64;
    // A byte held over when a read ends at an odd offset, so UTF-16 pairs stay aligned.
    let mut odd: Option<u8> = None;
    loop {
        let n = crate::read::read_some(input, &mut buf)?;
        let last = n == 0;
        total += n as u64;
        let bytes = &buf[..n];
        ascii.buffer().extend(
            bytes
                .iter()
                .map(|&b| if printable(b) { b as char } else { '\n' }),
        );
        let mut pairs: Vec<u8> = Vec::with_capacity(n + 1);
        pairs.extend(odd.take());
        pairs.extend_from_slice(bytes);
        if pairs.len() % 2 == 1 {
            odd = pairs.pop();
        }
        wide.buffer().extend(pairs.chunks_exact(2).map(|p| {
            if p[1] == 0 && printable(p[0]) {
                p[0] as char
            } else {
                '\n'
            }
        }));
        ascii.flush(sink, last);
        wide.flush(sink, last);
        if last {
            return Ok(total);
        }
    }
}
