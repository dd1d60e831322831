//! Timestamps passed by whole: `2024-08-09 07:04:07.090`, `2024-08-09T07:04:07Z`,
//! `09.08.2024 07:04`, or the date alone.
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
/// Called at every digit run: the byte after a date's first field turns most runs away
/// before a call.
#[inline(always)]
pub(super) fn end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i + 4) == Some(&b'-') || b.get(i + 2) == Some(&b'.') {
        dated(b, i)
    } else {
        None
    }
}

fn dated(b: &[u8], i: usize) -> Option<usize> {
    let date_end = if b.get(i + 4) == Some(&b'-') {
        iso_date(b, i)?
    } else if b.get(i + 2) == Some(&b'.') {
        dotted_date(b, i)?
    } else {
        return None;
    };
    if !clear_before(b, i) {
        return None;
    }
    let iso = b[i + 4] == b'-';
    let mut e = date_end;
    if let Some(t) = time(b, date_end, iso) {
        e = t;
        if iso && b.get(e) == Some(&b'Z') {
            e += 1;
        }
    }
    clear_after(b, e).then_some(e)
}

fn digits_at(b: &[u8], at: usize, n: usize) -> bool {
    b.get(at..at + n)
        .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
}

/// `YYYY-MM-DD`.
fn iso_date(b: &[u8], i: usize) -> Option<usize> {
    (digits_at(b, i, 4)
        && b.get(i + 4) == Some(&b'-')
        && digits_at(b, i + 5, 2)
        && b.get(i + 7) == Some(&b'-')
        && digits_at(b, i + 8, 2))
    .then_some(i + 10)
}

/// `DD.MM.YYYY`.
fn dotted_date(b: &[u8], i: usize) -> Option<usize> {
    (digits_at(b, i, 2)
        && b.get(i + 2) == Some(&b'.')
        && digits_at(b, i + 3, 2)
        && b.get(i + 5) == Some(&b'.')
        && digits_at(b, i + 6, 4))
    .then_some(i + 10)
}

/// ` HH:MM`, then optionally `:SS`, then optionally a fraction of at most five digits (after
/// `.` or `,`), right after a date at `at` (`T` also for an ISO date). A longer fraction makes
/// the seconds a chain of eight digits or more, which the shapes do read: not passed by.
fn time(b: &[u8], at: usize, iso: bool) -> Option<usize> {
    let sep = *b.get(at)?;
    if !(sep == b' ' || (iso && sep == b'T')) {
        return None;
    }
    let h = at + 1;
    if !(digits_at(b, h, 2) && b.get(h + 2) == Some(&b':') && digits_at(b, h + 3, 2)) {
        return None;
    }
    let mut e = h + 5;
    if b.get(e) == Some(&b':') && digits_at(b, e + 1, 2) {
        e += 3;
        if matches!(b.get(e), Some(b'.') | Some(b',')) && digits_at(b, e + 1, 1) {
            let frac = b[e + 1..].iter().take_while(|d| d.is_ascii_digit()).count();
            if frac > 5 {
                return None;
            }
            e += 1 + frac;
        }
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
