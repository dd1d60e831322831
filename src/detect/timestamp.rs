//! Timestamps passed by whole: `2024-08-09 07:04:07.090`, `2024-08-09T07:04:07Z`,
//! `09.08.2024 07:04`, the date alone, or a time with its seconds (`07:04:07,090`).
//!
//! Nearly every line of a log starts with one, and its digits make three or four chains (the
//! date joined to the hour by the space, the minutes, the seconds with their fraction) that
//! the shapes, the IPv6 hook and the side-by-side split each examine and reject: in a log of
//! short lines that was half the detector's time. None of those chains can hold a shape — the
//! groups are too short, and the only chain of eight digits or more has a grouping no rule
//! lists — so the detector may skip the timestamp as a whole, *provided* what stands around it
//! joins nothing to it: [`end`] answers only where the bytes before and after end every chain
//! and every address region at the timestamp's edges, and otherwise leaves the text to the
//! usual path. Skipping therefore changes no result; a test compares every candidate with and
//! without it over generated timestamps in hostile surroundings.

/// The end of the timestamp that starts at `i`, if one does and it can be passed by unread.
/// Called at every digit run: the byte after a date's or a time's first field turns most
/// runs away before a call.
#[inline(always)]
pub(super) fn end(b: &[u8], i: usize) -> Option<usize> {
    match (b.get(i + 2), b.get(i + 4)) {
        (Some(b'.' | b':'), _) | (_, Some(b'-')) => stamp(b, i),
        _ => None,
    }
}

fn stamp(b: &[u8], i: usize) -> Option<usize> {
    let mut e = if let Some(date_end) = iso_date(b, i) {
        // `T` joins an ISO date to its time, and `Z` may close it.
        match b.get(date_end) {
            Some(b' ' | b'T') => clock(b, date_end + 1, false)
                .map_or(date_end, |t| t + usize::from(b.get(t) == Some(&b'Z'))),
            _ => date_end,
        }
    } else if let Some(date_end) = dotted_date(b, i) {
        match b.get(date_end) {
            Some(b' ') => clock(b, date_end + 1, false).unwrap_or(date_end),
            _ => date_end,
        }
    } else {
        // A time alone needs its seconds: `10:30` is as often a ratio or a score.
        clock(b, i, true)?
    };
    if b.get(e) == Some(&b'Z') && b.get(i + 2) == Some(&b':') {
        e += 1;
    }
    (clear_before(b, i) && clear_after(b, e)).then_some(e)
}

/// Whether `b` holds `shape` at `at`, where each `d` of the shape stands for an ASCII digit
/// and every other byte for itself.
fn shaped(b: &[u8], at: usize, shape: &[u8]) -> bool {
    b.get(at..at + shape.len()).is_some_and(|s| {
        s.iter().zip(shape).all(|(&x, &p)| {
            if p == b'd' {
                x.is_ascii_digit()
            } else {
                x == p
            }
        })
    })
}

/// `YYYY-MM-DD`.
fn iso_date(b: &[u8], i: usize) -> Option<usize> {
    shaped(b, i, b"dddd-dd-dd").then_some(i + 10)
}

/// `DD.MM.YYYY`.
fn dotted_date(b: &[u8], i: usize) -> Option<usize> {
    shaped(b, i, b"dd.dd.dddd").then_some(i + 10)
}

/// `HH:MM` at `h`, then `:SS` (optional unless `seconds`), then optionally a fraction of at
/// most five digits (after `.` or `,`). A longer fraction makes the seconds a chain of eight
/// digits or more, which the shapes do read: not passed by.
fn clock(b: &[u8], h: usize, seconds: bool) -> Option<usize> {
    if !shaped(b, h, b"dd:dd") {
        return None;
    }
    let mut e = h + 5;
    if shaped(b, e, b":dd") {
        e += 3;
        if matches!(b.get(e), Some(b'.' | b',')) && shaped(b, e + 1, b"d") {
            let frac = b[e + 1..].iter().take_while(|d| d.is_ascii_digit()).count();
            if frac > 5 {
                return None;
            }
            e += 1 + frac;
        }
    } else if seconds {
        return None;
    }
    Some(e)
}

/// Whether the byte before `i` ends any chain and address region: the start of the text,
/// or whitespace or an opening or separating mark with no digit before it.
fn clear_before(b: &[u8], i: usize) -> bool {
    let Some(&p) = i.checked_sub(1).and_then(|p| b.get(p)) else {
        return true;
    };
    (p.is_ascii_whitespace() || b"[(\"'=|;,<>{".contains(&p))
        && !(i >= 2 && b[i - 2].is_ascii_digit())
}

/// Whether the byte at `e` ends the timestamp's last chain and address region: the end of
/// the text, whitespace not followed by a digit, a closing or separating mark, a `+` (of a
/// zone offset: a chain of its own), or a full stop that ends a sentence.
fn clear_after(b: &[u8], e: usize) -> bool {
    let Some(&x) = b.get(e) else {
        return true;
    };
    let next = b.get(e + 1).copied();
    match x {
        b' ' => !next.is_some_and(|n| n.is_ascii_digit()),
        b'.' => next.is_none_or(|n| n.is_ascii_whitespace()),
        _ => x.is_ascii_whitespace() || b"])\"'|;,<>}+".contains(&x),
    }
}
