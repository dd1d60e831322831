//! Digit chains and the number shapes found in them.
//!
//! A chain is a maximal run of digit groups joined by single separators. Shapes are decided on
//! the whole chain (its grouping must be one a rule lists) or on one group that stands alone
//! between spaces; never on a slice of a longer group, so a run of 12+ digits cannot hide an
//! 11-digit match.

use super::rules::{Grouping, Rule};
use super::validate::{self, IdNumber};
use super::{ChunkContext, Detector};

/// Digits in the shortest shape (a Norwegian phone number).
pub(super) const MIN_DIGITS: usize = 8;

/// Groups beyond this many are not recorded; such a chain matches no whole shape.
const MAX_GROUPS: usize = 8;

#[derive(Debug)]
pub(super) struct Chain {
    pub start: usize,
    pub end: usize,
    /// `(start, end)` of each group (the first `n`).
    groups: [(usize, usize); MAX_GROUPS],
    seps: [u8; MAX_GROUPS],
    n: usize,
    /// Digits in the recorded groups, counted while parsing (most chains are dates, times and
    /// amounts too short for any shape, and this lets them be dropped without another pass).
    total: usize,
    overflow: bool,
}

impl Chain {
    /// Reads the chain that starts with the digit at `i`.
    pub fn parse(b: &[u8], i: usize) -> Chain {
        let mut c = Chain {
            start: i,
            end: i,
            groups: [(0, 0); MAX_GROUPS],
            seps: [0; MAX_GROUPS],
            n: 0,
            total: 0,
            overflow: false,
        };
        let mut j = i;
        loop {
            let gs = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if c.n < MAX_GROUPS {
                c.groups[c.n] = (gs, j);
                c.n += 1;
                c.total += j - gs;
            } else {
                c.overflow = true;
            }
            let (sep, width) = match b.get(j) {
                Some(b' ') => (b' ', 1),
                Some(b'.') => (b'.', 1),
                Some(b'-') => (b'-', 1),
                Some(0xC2) if b.get(j + 1) == Some(&0xA0) => (b' ', 2),
                _ => break,
            };
            if !b.get(j + width).is_some_and(u8::is_ascii_digit) {
                break;
            }
            if c.n <= MAX_GROUPS && c.n > 0 && !c.overflow {
                c.seps[c.n - 1] = sep;
            }
            j += width;
        }
        c.end = j;
        c
    }

    /// A chain of one group.
    fn single(start: usize, end: usize) -> Chain {
        let mut groups = [(0, 0); MAX_GROUPS];
        groups[0] = (start, end);
        Chain {
            start,
            end,
            groups,
            seps: [0; MAX_GROUPS],
            n: 1,
            total: end - start,
            overflow: false,
        }
    }

    /// Whether any shape can be in this chain: none is shorter than [`MIN_DIGITS`].
    pub fn may_hold_shape(&self) -> bool {
        self.total >= MIN_DIGITS || self.overflow
    }

    /// Whether groups `from..n` have exactly the lengths and separators of `g`.
    fn fits(&self, from: usize, g: &Grouping) -> bool {
        let n = self.n - from;
        !self.overflow
            && g.lens.len() == n
            && self.groups[from..self.n]
                .iter()
                .zip(&g.lens)
                .all(|((s, e), &l)| e - s == l as usize)
            && self.seps[from..self.n - 1]
                .iter()
                .zip(&g.seps)
                .all(|(a, b)| a == b)
    }

    /// The digits of groups `from..`, or `None` when they are more than any shape holds (or
    /// the chain has more groups than were recorded).
    fn digits_from(&self, b: &[u8], from: usize) -> Option<Digits> {
        if self.overflow {
            return None;
        }
        let mut d = Digits {
            buf: [0; Digits::MAX],
            len: 0,
        };
        for &(s, e) in &self.groups[from..self.n] {
            // Whole groups at a time: this runs for every date and amount long enough to pass
            // `may_hold_shape`, and a copy per digit showed in profiles.
            let group = &b[s..e];
            d.buf
                .get_mut(d.len..d.len + group.len())?
                .copy_from_slice(group);
            d.len += group.len();
        }
        Some(d)
    }
}

/// The digits of a chain without its separators, at most as many as the longest shape (an
/// IBAN, a foreign phone) holds.
pub(super) struct Digits {
    buf: [u8; Digits::MAX],
    len: usize,
}

impl Digits {
    const MAX: usize = 16;
}

impl std::ops::Deref for Digits {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// A number shape found in a chain, before scoring.
#[derive(Debug)]
pub(super) struct Raw {
    pub start: usize,
    pub end: usize,
    pub shape: Shape,
}

#[derive(Debug)]
pub(super) enum Shape {
    /// 11 digits valid as an identity number and/or an account number (under a grouping the
    /// respective rule accepts).
    Eleven {
        digits: [u8; 11],
        id: Option<IdNumber>,
        konto: bool,
        konto_grouped: bool,
        recovered_leading_zero: bool,
    },
    Iban {
        account: [u8; 11],
    },
    Org {
        digits: [u8; 9],
    },
    Phone {
        e164: String,
        /// Names of the phone rule's adjustments that apply.
        evidence: [Option<&'static str>; 2],
    },
}

fn has(rule: &Rule, chain: &Chain, from: usize) -> bool {
    rule.groupings.iter().any(|g| chain.fits(from, g))
}

/// The character before byte `i`, if any.
fn char_before(text: &str, i: usize) -> Option<char> {
    text[..i].chars().next_back()
}

fn char_at(text: &str, i: usize) -> Option<char> {
    text[i..].chars().next()
}

fn glued(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '@')
}

/// True when fewer than half of four or more 11-digit numbers within 400 bytes validate: the
/// valid ones are then likely chance hits among ids.
pub(super) fn sparse_among_numbers(elevens: &[(usize, bool)], at: usize) -> bool {
    const NEAR: usize = 400;
    let lo = elevens.partition_point(|&(p, _)| p + NEAR < at);
    let hi = elevens.partition_point(|&(p, _)| p <= at + NEAR);
    let near = &elevens[lo..hi];
    let valid = near.iter().filter(|(_, v)| *v).count();
    near.len() >= 4 && valid * 2 <= near.len()
}

/// Finds the shapes in `chain` and appends them to `raws`; every 11-digit value also goes into
/// `elevens` (with whether it validated) for the density check.
pub(super) fn shapes(
    det: &Detector,
    text: &str,
    chain: &Chain,
    ctx: &ChunkContext,
    raws: &mut Vec<Raw>,
    elevens: &mut Vec<(usize, bool)>,
) {
    let b = text.as_bytes();
    debug_assert!(
        chain.may_hold_shape(),
        "the caller drops chains too short for a shape"
    );
    let before = char_before(text, chain.start);
    let after = char_at(text, chain.end);
    // The first or last group may belong to something else: a decimal (`3,5`), an e-mail local
    // part, a word or code it is glued to. Such a group spoils the whole chain and cannot stand
    // alone, but the groups between are still read.
    let decimal_point = |c: Option<char>| matches!(c, Some(',') | Some('.'));
    let decimal_right =
        decimal_point(after) && b.get(chain.end + 1).is_some_and(u8::is_ascii_digit);
    let decimal_left =
        decimal_point(before) && chain.start >= 2 && b[chain.start - 2].is_ascii_digit();
    let bad_right = decimal_right || glued(after);
    let bad_left = decimal_left || glued(before) || before == Some('+');

    if before == Some('+') && !bad_right {
        plus_prefixed(b, chain, raws);
        return;
    }
    if glued(before) && !bad_right && iban(text, chain, raws) {
        return;
    }
    if bad_left || bad_right {
        if before != Some('+') {
            standalone_groups(det, text, chain, bad_left, bad_right, raws, elevens);
        }
        return;
    }

    let phone = &det.rules[det.phone].rule;
    // 0047 22334455 / 004722334455.
    let (g0s, g0e) = chain.groups[0];
    if b[g0s..].starts_with(b"0047") {
        let from = if g0e - g0s == 4 { 1 } else { 0 };
        let digits = chain.digits_from(b, from);
        let subscriber = digits
            .as_deref()
            .and_then(|d| if from == 0 { d.get(4..) } else { Some(d) });
        if let Some(d) = subscriber.filter(|d| d.len() == 8 && validate::norwegian_subscriber(d)) {
            raws.push(norwegian_phone(chain, d, [Some("plus47"), None]));
        }
        return;
    }
    // (+47) 22 33 44 55
    let prefixed = {
        let head = text[..chain.start].trim_end_matches([' ', '\u{a0}']);
        head.ends_with("(+47)") || head.ends_with("(0047)")
    };

    let Some(whole) = chain.digits_from(b, 0) else {
        standalone_groups(det, text, chain, false, false, raws, elevens);
        return;
    };
    let whole = &whole[..];
    let mut found = false;
    match whole.len() {
        11 => found = eleven(det, chain, 0, whole, false, raws, elevens),
        // A number that lost its leading zero in a spreadsheet or database column.
        10 if chain.n == 1 && ctx.header.is_some_and(|h| h.identity) => {
            let mut d = [b'0'; 11];
            d[1..].copy_from_slice(whole);
            found = eleven(det, chain, 0, &d, true, raws, elevens);
        }
        8 => {
            if validate::norwegian_subscriber(whole) && (prefixed || has(phone, chain, 0)) {
                let mut ev = [None, grouping_evidence(chain, 0)];
                if prefixed {
                    ev[0] = Some("plus47");
                } else if (chain.n == 1 && validate::looks_like_yyyymmdd(whole))
                    || two_years(chain, b)
                {
                    ev[0] = Some("looks_like_date");
                }
                raws.push(norwegian_phone(chain, whole, ev));
            }
            found = true;
        }
        9 => {
            let org = &det.rules[det.org].rule;
            if has(org, chain, 0) && validate::organisasjonsnummer(whole) {
                let mut d = [0u8; 9];
                d.copy_from_slice(whole);
                raws.push(Raw {
                    start: chain.start,
                    end: chain.end,
                    shape: Shape::Org { digits: d },
                });
            }
            found = true;
        }
        _ => {}
    }
    if !found && chain.n > 1 {
        standalone_groups(det, text, chain, false, false, raws, elevens);
    }
}

/// Groups that stand alone between spaces, as in lists (`40300040 92345678`). Walks the
/// chain's bytes, so it also serves chains with more groups than [`Chain`] records.
fn standalone_groups(
    det: &Detector,
    text: &str,
    chain: &Chain,
    skip_first: bool,
    skip_last: bool,
    raws: &mut Vec<Raw>,
    elevens: &mut Vec<(usize, bool)>,
) {
    let b = text.as_bytes();
    let phone = &det.rules[det.phone].rule;
    let mut i = chain.start;
    let mut left_sep = None::<u8>;
    while i < chain.end {
        let s = i;
        while i < chain.end && b[i].is_ascii_digit() {
            i += 1;
        }
        let e = i;
        // The separator after this group (a no-break space is two bytes).
        let right_sep = (e < chain.end).then(|| b[e]);
        if e < chain.end {
            i += if b[e] == 0xC2 { 2 } else { 1 };
        }
        let first = s == chain.start;
        let last = e == chain.end;
        let spaced = |sep: Option<u8>| sep.is_none_or(|c| c == b' ' || c == 0xC2);
        let alone =
            spaced(left_sep) && spaced(right_sep) && !(first && skip_first) && !(last && skip_last);
        left_sep = right_sep;
        if !alone || (first && last) {
            continue;
        }
        let single = Chain::single(s, e);
        let d = &b[s..e];
        match d.len() {
            11 => {
                eleven(det, &single, 0, d, false, raws, elevens);
            }
            8 if validate::norwegian_subscriber(d) && has(phone, &single, 0) => {
                let date = validate::looks_like_yyyymmdd(d).then_some("looks_like_date");
                raws.push(norwegian_phone(&single, d, [date, None]));
            }
            _ => {}
        }
    }
}

/// An 11-digit value: identity number and/or account, under the groupings their rules accept.
#[allow(clippy::too_many_arguments)]
fn eleven(
    det: &Detector,
    chain: &Chain,
    from: usize,
    d: &[u8],
    recovered: bool,
    raws: &mut Vec<Raw>,
    elevens: &mut Vec<(usize, bool)>,
) -> bool {
    let fr = &det.rules[det.fnr].rule;
    let kr = &det.rules[det.konto].rule;
    let id = if recovered || has(fr, chain, from) {
        validate::identity_number(d)
    } else {
        None
    };
    let konto = !recovered && has(kr, chain, from) && validate::kontonummer(d);
    elevens.push((chain.start, id.is_some()));
    if id.is_none() && !konto {
        return true;
    }
    let mut digits = [0u8; 11];
    digits.copy_from_slice(d);
    raws.push(Raw {
        start: chain.start,
        end: chain.end,
        shape: Shape::Eleven {
            digits,
            id,
            konto,
            konto_grouped: chain.n > 1,
            recovered_leading_zero: recovered,
        },
    });
    true
}

/// `1998 2023`: a 4 4 grouping that reads as two years.
fn two_years(chain: &Chain, b: &[u8]) -> bool {
    let year = |(s, e): (usize, usize)| {
        e - s == 4 && (b[s..e].starts_with(b"19") || b[s..e].starts_with(b"20"))
    };
    chain.n == 2 && year(chain.groups[0]) && year(chain.groups[1])
}

/// `phone` adjustments for the grouping of groups `from..`.
fn grouping_evidence(chain: &Chain, from: usize) -> Option<&'static str> {
    match chain.n - from {
        1 => None,
        2 => Some("pair_grouped"),
        _ => Some("grouped"),
    }
}

fn norwegian_phone(chain: &Chain, d: &[u8], evidence: [Option<&'static str>; 2]) -> Raw {
    let mut e164 = String::with_capacity(11);
    e164.push_str("+47");
    e164.push_str(std::str::from_utf8(d).expect("digits"));
    Raw {
        start: chain.start,
        end: chain.end,
        shape: Shape::Phone { e164, evidence },
    }
}

/// A chain right after `+`: `+47 …` is Norwegian, any other country code is foreign.
fn plus_prefixed(b: &[u8], chain: &Chain, raws: &mut Vec<Raw>) {
    let Some(d) = chain.digits_from(b, 0) else {
        return;
    };
    if !(8..=15).contains(&d.len()) || d[0] == b'0' {
        return;
    }
    let start = chain.start - 1; // the span includes the `+`
    if let Some(rest) = d.strip_prefix(b"47") {
        let g0 = chain.groups[0].1 - chain.groups[0].0;
        let grouping_ok = g0 == 2 || g0 == 10 || chain.n == 1;
        if rest.len() == 8 && grouping_ok && validate::norwegian_subscriber(rest) {
            let mut raw = norwegian_phone(chain, rest, [Some("plus47"), None]);
            raw.start = start;
            raws.push(raw);
        }
        return;
    }
    let mut e164 = String::with_capacity(d.len() + 1);
    e164.push('+');
    e164.push_str(std::str::from_utf8(&d).expect("digits"));
    raws.push(Raw {
        start,
        end: chain.end,
        shape: Shape::Phone {
            e164,
            evidence: [Some("foreign"), None],
        },
    });
}

/// `NO` + 13 digits with a valid mod 97 and account check digit.
fn iban(text: &str, chain: &Chain, raws: &mut Vec<Raw>) -> bool {
    let b = text.as_bytes();
    let s = chain.start;
    if s < 2 || !b[s - 2..s].eq_ignore_ascii_case(b"NO") || glued(char_before(text, s - 2)) {
        return false;
    }
    let Some(d) = chain.digits_from(b, 0).filter(|d| d.len() == 13) else {
        return false;
    };
    if !validate::iban_no(&d) {
        return false;
    }
    let mut account = [0u8; 11];
    account.copy_from_slice(&d[2..]);
    raws.push(Raw {
        start: s - 2,
        end: chain.end,
        shape: Shape::Iban { account },
    });
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_split_on_single_separators() {
        let t = b"x 13.09.72 48022, 22 33";
        let c = Chain::parse(t, 2);
        assert_eq!(
            (c.n, c.total, &t[c.start..c.end]),
            (4, 11, &b"13.09.72 48022"[..])
        );
        assert_eq!(&c.seps[..3], b".. ");
        let c = Chain::parse(b"12  34", 0);
        assert_eq!(c.n, 1, "two spaces end a chain");
        let c = Chain::parse("12\u{a0}34".as_bytes(), 0);
        assert_eq!(
            (c.n, c.seps[0]),
            (2, b' '),
            "no-break space counts as a space"
        );
    }

    #[test]
    fn density() {
        let e = [(0, false), (20, false), (40, true), (60, false)];
        assert!(sparse_among_numbers(&e, 40));
        let e = [(0, true), (20, true), (40, true), (60, false)];
        assert!(!sparse_among_numbers(&e, 40));
        assert!(!sparse_among_numbers(&[(0, true)], 0));
    }
}
