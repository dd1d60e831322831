//! The Unicode of a TrueType font's glyphs, from the font program's own `cmap` table.
//!
//! Office suites and report writers embed TrueType subsets as CID fonts with `Identity-H`
//! and often no ToUnicode map: the codes are glyph ids, and the only way back to characters
//! is the character-to-glyph table inside the embedded font, read backwards (as pdf.js and
//! poppler do). Formats 0, 4, 6 and 12 of the Unicode and Windows subtables are read; every
//! offset is checked against the data, so a damaged font gives fewer glyphs, never a panic.

use std::collections::HashMap;

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

/// Glyph ids mapped at most (a font has at most 65 536 glyphs).
const MAX_GLYPHS: usize = 65_536;

/// Glyph id to character, from the font's best Unicode `cmap` subtable; `None` if there is
/// none. A symbol subtable (3,0) maps U+F0xx, which is given back as the byte xx.
pub(super) fn glyph_chars(font: &[u8]) -> Option<HashMap<u16, char>> {
    let tables = u16_at(font, 4)? as usize;
    let cmap = (0..tables.min(256)).find_map(|i| {
        let rec = 12 + 16 * i;
        (font.get(rec..rec + 4)? == b"cmap").then(|| u32_at(font, rec + 8))?
    })? as usize;
    let n = u16_at(font, cmap + 2)? as usize;
    let mut best: Option<(u8, usize, bool)> = None;
    for i in 0..n.min(64) {
        let rec = cmap + 4 + 8 * i;
        let (platform, encoding) = (u16_at(font, rec)?, u16_at(font, rec + 2)?);
        let at = cmap + u32_at(font, rec + 4)? as usize;
        let (rank, symbol) = match (platform, encoding) {
            (3, 10) => (4, false),
            (3, 1) => (3, false),
            (0, _) => (2, false),
            (3, 0) => (1, true),
            _ => continue,
        };
        if best.is_none_or(|(r, _, _)| rank > r) {
            best = Some((rank, at, symbol));
        }
    }
    let (_, at, symbol) = best?;
    let mut out = HashMap::new();
    let mut add = |c: u32, g: u32| {
        let c = if symbol && (0xF000..=0xF0FF).contains(&c) {
            c - 0xF000
        } else {
            c
        };
        if let (Some(ch), Ok(g)) = (char::from_u32(c), u16::try_from(g)) {
            if g != 0 && out.len() < MAX_GLYPHS && !ch.is_control() {
                out.entry(g).or_insert(ch);
            }
        }
    };
    match u16_at(font, at)? {
        0 => {
            for c in 0..256u32 {
                add(c, u32::from(*font.get(at + 6 + c as usize)?));
            }
        }
        4 => {
            let segs = u16_at(font, at + 6)? as usize / 2;
            let ends = at + 14;
            let starts = ends + 2 * segs + 2;
            let deltas = starts + 2 * segs;
            let ranges = deltas + 2 * segs;
            for s in 0..segs {
                let (end, start) = (u16_at(font, ends + 2 * s)?, u16_at(font, starts + 2 * s)?);
                let delta = u16_at(font, deltas + 2 * s)?;
                let ro = u16_at(font, ranges + 2 * s)? as usize;
                for c in start..=end.min(0xFFFE) {
                    let g = if ro == 0 {
                        c.wrapping_add(delta)
                    } else {
                        let at = ranges + 2 * s + ro + 2 * usize::from(c - start);
                        match u16_at(font, at) {
                            Some(0) | None => 0,
                            Some(g) => g.wrapping_add(delta),
                        }
                    };
                    add(u32::from(c), u32::from(g));
                }
            }
        }
        6 => {
            let first = u16_at(font, at + 6)?;
            let count = u16_at(font, at + 8)?;
            for i in 0..count {
                add(
                    u32::from(first) + u32::from(i),
                    u32::from(u16_at(font, at + 10 + 2 * usize::from(i))?),
                );
            }
        }
        12 => {
            let groups = u32_at(font, at + 12)? as usize;
            for i in 0..groups.min(MAX_GLYPHS) {
                let g = at + 16 + 12 * i;
                let (start, end, gid) =
                    (u32_at(font, g)?, u32_at(font, g + 4)?, u32_at(font, g + 8)?);
                for c in start..=end.min(start.saturating_add(MAX_GLYPHS as u32)) {
                    add(c, gid + (c - start));
                }
            }
        }
        _ => return None,
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A font with only a `cmap` table holding one format 4 subtable (3,1).
    fn font(segments: &[(u16, u16, i16)]) -> Vec<u8> {
        let mut sub = Vec::new();
        let n = segments.len() as u16 + 1;
        let all: Vec<(u16, u16, i16)> = segments
            .iter()
            .copied()
            .chain([(0xFFFF, 0xFFFF, 1)])
            .collect();
        sub.extend_from_slice(&4u16.to_be_bytes());
        sub.extend_from_slice(&0u16.to_be_bytes()); // length (not read)
        sub.extend_from_slice(&0u16.to_be_bytes());
        sub.extend_from_slice(&(2 * n).to_be_bytes());
        sub.extend_from_slice(&[0; 6]);
        for s in &all {
            sub.extend_from_slice(&s.1.to_be_bytes());
        }
        sub.extend_from_slice(&[0, 0]);
        for s in &all {
            sub.extend_from_slice(&s.0.to_be_bytes());
        }
        for s in &all {
            sub.extend_from_slice(&s.2.to_be_bytes());
        }
        for _ in &all {
            sub.extend_from_slice(&[0, 0]);
        }
        let mut cmap = vec![0, 0, 0, 1, 0, 3, 0, 1, 0, 0, 0, 12];
        cmap.extend(sub);
        let mut f = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        f.extend_from_slice(b"cmap");
        f.extend_from_slice(&[0; 4]);
        f.extend_from_slice(&28u32.to_be_bytes());
        f.extend_from_slice(&(cmap.len() as u32).to_be_bytes());
        f.extend(cmap);
        f
    }

    #[test]
    fn format_4_read_backwards() {
        // '0'..'9' at glyphs 19..28, '@' at 35.
        let f = font(&[(0x30, 0x39, 19 - 0x30), (0x40, 0x40, 35 - 0x40)]);
        let m = glyph_chars(&f).unwrap();
        assert_eq!(m.get(&19), Some(&'0'));
        assert_eq!(m.get(&28), Some(&'9'));
        assert_eq!(m.get(&35), Some(&'@'));
        assert_eq!(m.get(&1), None);
    }

    #[test]
    fn damaged_fonts_give_none_or_less() {
        let f = font(&[(0x30, 0x39, 19 - 0x30)]);
        for cut in 0..f.len() {
            let _ = glyph_chars(&f[..cut]);
        }
        assert!(glyph_chars(b"not a font").is_none());
    }
}
