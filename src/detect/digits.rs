//! The digit-chain trigger: digit chains, and the Norwegian number shapes decided on them.
//!
//! A chain is a maximal run of digit groups joined by single separators. Shapes are decided on
//! the whole chain (its grouping must be one a rule lists) or on one group that stands alone
//! between spaces; never on a slice of a longer group, so a run of 12+ digits cannot hide an
//! 11-digit match.
//!
//! Identity numbers, account numbers, organisation numbers and phones compete for the same
//! digits (every fødselsnummer is a valid account number; a `0047` prefix makes the rest a
//! phone), so [`numbers`] decides among them in one place, in this order: what stands before
//! the chain (`+`, `NO`, a glued word or decimal), a `0047` prefix, then the chain's digit
//! count; each shape itself lives in its detector's module.

use super::rules::{Grouping, Rule};
use super::validate::IdNumber;
use super::{identity, kontonummer, organisasjonsnummer, phone, ChunkContext, Detector};

/// Digits in the shortest shape (a Norwegian phone number).
pub(super) const MIN_DIGITS: usize = 8;

/// Groups beyond this many are not recorded; such a chain matches no whole shape.
const MAX_GROUPS: usize = 8;

#[derive(Debug)]
pub(super) struct Chain {
    pub start: usize,
    pub end: usize,
    /// `(start, end)` of each group (the first `n`).
    pub groups: [(usize, usize); MAX_GROUPS],
    seps: [u8; MAX_GROUPS],
    /// Groups recorded (at most [`MAX_GROUPS`]).
    pub n: usize,
    /// Digits in the recorded groups, counted while parsing (most chains are dates, times and
    /// amounts too short for any shape, and this lets them be dropped without another pass).
    total: usize,
    overflow: bool,
}

impl Chain {
    /// Reads the chain that starts with the digit at `i`. Inlined into the detector's loop,
    /// its one caller, whatever unit the compiler puts either in (not inlined, a log took 4 %
    /// more instructions).
    #[inline]
    pub(super) fn parse(b: &[u8], i: usize) -> Chain {
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
            j = digits_end(b, j, b.len());
            if c.n < MAX_GROUPS {
                c.groups[c.n] = (gs, j);
                c.n += 1;
                c.total += j - gs;
            } else {
                c.overflow = true;
            }
            let Some((sep, width)) = joint(b, j) else {
                break;
            };
            if c.n <= MAX_GROUPS && c.n > 0 && !c.overflow {
                c.seps[c.n - 1] = sep;
            }
            j += width;
        }
        c.end = j;
        c
    }

    /// Where the chain starting with the digit at `i` ends, if it is a single group too short
    /// for any shape (an amount, a counter, a part of a time); `None` for any other chain.
    /// Most digit runs of a log or an export are such, and the scan passes them by without
    /// reading them as a chain.
    pub(super) fn short_alone(b: &[u8], i: usize) -> Option<usize> {
        let end = digits_end(b, i, b.len());
        (end - i < MIN_DIGITS && joint(b, end).is_none()).then_some(end)
    }

    /// The separators between the recorded groups.
    pub(super) fn seps(&self) -> &[u8] {
        &self.seps[..self.n.saturating_sub(1)]
    }

    /// Whether any shape can be in this chain: none is shorter than [`MIN_DIGITS`].
    pub(super) fn may_hold_shape(&self) -> bool {
        self.total >= MIN_DIGITS || self.overflow
    }

    /// The chain of groups `from..to` alone.
    fn sub(&self, from: usize, to: usize) -> Chain {
        let mut c = Chain {
            start: self.groups[from].0,
            end: self.groups[to - 1].1,
            groups: [(0, 0); MAX_GROUPS],
            seps: [0; MAX_GROUPS],
            n: to - from,
            total: 0,
            overflow: false,
        };
        c.groups[..c.n].copy_from_slice(&self.groups[from..to]);
        c.seps[..c.n - 1].copy_from_slice(&self.seps[from..to - 1]);
        c.total = c.groups[..c.n].iter().map(|(s, e)| e - s).sum();
        c
    }

    /// Whether the groups have exactly the lengths and separators of `g`.
    fn fits(&self, g: &Grouping) -> bool {
        !self.overflow
            && g.lens.len() == self.n
            && self.groups[..self.n]
                .iter()
                .zip(&g.lens)
                .all(|((s, e), &l)| e - s == l as usize)
            && self.seps[..self.n - 1]
                .iter()
                .zip(&g.seps)
                .all(|(a, b)| a == b)
    }

    /// The digits of groups `from..`, or `None` when they are more than any shape holds (or
    /// the chain has more groups than were recorded).
    pub(super) fn digits_from(&self, b: &[u8], from: usize) -> Option<Digits> {
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

/// The separator at `j` that joins the digit group ending there to a next one: a single
/// space, dot, hyphen or no-break space followed by a digit; as `(separator, its width)`, a
/// no-break space read as a space.
#[inline]
fn joint(b: &[u8], j: usize) -> Option<(u8, usize)> {
    let (sep, width) = match b.get(j) {
        Some(b' ') => (b' ', 1),
        Some(b'.') => (b'.', 1),
        Some(b'-') => (b'-', 1),
        Some(0xC2) if b.get(j + 1) == Some(&0xA0) => (b' ', 2),
        _ => return None,
    };
    b.get(j + width)
        .is_some_and(u8::is_ascii_digit)
        .then_some((sep, width))
}

/// The end of the run of ASCII digits at `i`, at most `end`. Eight bytes at a time: a dense
/// file is runs of 11 digits, and a byte loop over them (twice per chain: parsed, then its lone
/// groups read) was a sixth of the work.
#[inline]
fn digits_end(b: &[u8], mut i: usize, end: usize) -> usize {
    while i + 8 <= end {
        let word = u64::from_le_bytes(b[i..i + 8].try_into().expect("word length"));
        let m = non_digits(word);
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < end && b[i].is_ascii_digit() {
        i += 1;
    }
    i
}

/// The high bit of each byte of `w` that is not an ASCII digit, exact for every byte: with
/// the `0` bits cleared a digit is 0..=9, and adding 0x76 to the low seven bits of each byte
/// sets its high bit from 10 up without carrying into the next byte.
#[inline]
fn non_digits(w: u64) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let d = w ^ 0x3030_3030_3030_3030;
    (((d & !HIGH) + 0x7676_7676_7676_7676) | d) & HIGH
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

/// A number shape found in a chain, before scoring (scoring waits for the whole chunk: the
/// density check of identity numbers looks at the 11-digit numbers around).
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
        /// Its order among the chunk's 11-digit numbers (see `identity::Elevens`).
        nth: usize,
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
        e164: super::Value,
        /// The phone rule's adjustments that apply.
        evidence: [Option<phone::Adjust>; 2],
    },
}

/// How a value's digits are written: a whole chain, or one group standing alone in a longer
/// chain (`40300040 92345678`).
#[derive(Clone, Copy)]
pub(super) enum Written<'a> {
    Chain(&'a Chain),
    Alone { start: usize, end: usize },
}

impl Written<'_> {
    pub(super) fn start(&self) -> usize {
        match self {
            Written::Chain(c) => c.start,
            Written::Alone { start, .. } => *start,
        }
    }

    pub(super) fn end(&self) -> usize {
        match self {
            Written::Chain(c) => c.end,
            Written::Alone { end, .. } => *end,
        }
    }

    /// Groups of digits.
    pub(super) fn groups(&self) -> usize {
        match self {
            Written::Chain(c) => c.n,
            Written::Alone { .. } => 1,
        }
    }

    /// Whether it is written in a grouping `rule` lists.
    pub(super) fn fits(&self, rule: &Rule) -> bool {
        match self {
            Written::Chain(c) => rule.groupings.iter().any(|g| c.fits(g)),
            Written::Alone { start, end } => rule.lists_alone(end - start),
        }
    }
}

/// The character before byte `i`, if any.
pub(super) fn char_before(text: &str, i: usize) -> Option<char> {
    text[..i].chars().next_back()
}

fn char_at(text: &str, i: usize) -> Option<char> {
    text[i..].chars().next()
}

/// A neighbour that makes a chain part of a word, code or address.
pub(super) fn glued(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '@')
}

/// Finds the Norwegian number shapes in `chain` and appends them to `raws`; every 11-digit
/// value also goes into `elevens` (with whether it validated) for the density check.
///
/// A chain that is no shape as a whole may be numbers side by side (a table row from a PDF, a
/// fixed-width export: `13097248022 0047 92345678`): it is split at its spaces into the
/// numbers the shapes allow ([`side_by_side`]), and otherwise its groups that stand alone are
/// read.
pub(super) fn numbers(
    det: &Detector,
    text: &str,
    chain: &Chain,
    ctx: &ChunkContext,
    raws: &mut Vec<Raw>,
    elevens: &mut Vec<(usize, bool)>,
) {
    debug_assert!(
        chain.may_hold_shape(),
        "the caller drops chains too short for a shape"
    );
    match whole(det, text, chain, ctx, raws, elevens) {
        Whole::Decided => {}
        Whole::Split => {
            if !side_by_side(det, text, chain, ctx, raws, elevens) {
                standalone_groups(det, text, chain, false, false, raws, elevens);
            }
        }
        Whole::SplitOnly => {
            side_by_side(det, text, chain, ctx, raws, elevens);
        }
    }
}

/// What the shapes made of a whole chain.
enum Whole {
    /// Found its value, or decided that it holds none.
    Decided,
    /// No shape: it may be numbers side by side, or groups that stand alone.
    Split,
    /// No shape after a prefix (`+`, `0047`) that claims the chain as a phone: it may still be
    /// the phone and other numbers side by side, but its groups do not stand alone.
    SplitOnly,
}

/// The shapes of `chain` taken whole.
fn whole(
    det: &Detector,
    text: &str,
    chain: &Chain,
    ctx: &ChunkContext,
    raws: &mut Vec<Raw>,
    elevens: &mut Vec<(usize, bool)>,
) -> Whole {
    let b = text.as_bytes();
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

    let found = raws.len();
    let found_none = |raws: &Vec<Raw>| {
        if raws.len() == found {
            Whole::SplitOnly
        } else {
            Whole::Decided
        }
    };
    if before == Some('+') && !bad_right {
        phone::plus_prefixed(b, chain, raws);
        return found_none(raws);
    }
    if glued(before) && !bad_right && kontonummer::iban(text, chain, raws) {
        return Whole::Decided;
    }
    if bad_left || bad_right {
        if before != Some('+') {
            standalone_groups(det, text, chain, bad_left, bad_right, raws, elevens);
        }
        return Whole::Decided;
    }
    if phone::after_0047(b, chain, raws) {
        return found_none(raws);
    }
    // A chain of one of these lengths is decided whole, valid or not. The parse counted its
    // digits: they are copied out only for these (most chains of 8 digits or more are a date
    // with its time, of 10 or 12). A chain with more groups or digits than any shape holds,
    // or with more than one group and another length, may be numbers side by side.
    let fits = !chain.overflow && chain.total <= Digits::MAX;
    let identity_column = chain.n == 1 && ctx.header.is_some_and(|h| h.identity);
    let decided =
        fits && (matches!(chain.total, 8 | 9 | 11) || (chain.total == 10 && identity_column));
    if !decided {
        return if fits && chain.n == 1 {
            Whole::Decided
        } else {
            Whole::Split
        };
    }
    let Some(whole) = chain.digits_from(b, 0) else {
        return Whole::Split;
    };
    match whole.len() {
        11 => identity::eleven(det, Written::Chain(chain), &whole, false, raws, elevens),
        // A number that lost its leading zero in a spreadsheet or database column.
        10 if identity_column => {
            let mut d = [b'0'; 11];
            d[1..].copy_from_slice(&whole);
            identity::eleven(det, Written::Chain(chain), &d, true, raws, elevens)
        }
        8 => phone::eight(det, text, chain, &whole, raws),
        9 => organisasjonsnummer::nine(det, chain, &whole, raws),
        // No other length is decided whole.
        _ => {}
    }
    Whole::Decided
}

/// Numbers side by side, joined by single spaces: the chain's space-separated parts are
/// taken left to right, each time as the longest run of parts that is a shape of its own
/// (`13097248022`, `0047 92345678`, `923 45 678`, `1234.56.78903`). Done only when something
/// anchors the split: an 11- or 8-digit group between spaces, or a run of parts that is a
/// number with check digits (`130972 48022`) or a phone after its prefix; so the four-digit
/// groups of a card number are not split into phones. False when it found nothing.
fn side_by_side(
    det: &Detector,
    text: &str,
    chain: &Chain,
    ctx: &ChunkContext,
    raws: &mut Vec<Raw>,
    elevens: &mut Vec<(usize, bool)>,
) -> bool {
    if chain.overflow || chain.n < 2 {
        return false;
    }
    // Group index where each part starts, and the end.
    let mut bounds = [0usize; MAX_GROUPS + 1];
    let mut parts = 0;
    for (i, &sep) in chain.seps().iter().enumerate() {
        if sep == b' ' {
            parts += 1;
            bounds[parts] = i + 1;
        }
    }
    parts += 1;
    bounds[parts] = chain.n;
    if parts < 2 {
        return false;
    }
    // Anchors: a group of 8 or 11 digits between spaces, or a run of parts that is a number
    // with check digits or a phone after its prefix.
    let lone = |p: usize| {
        bounds[p + 1] - bounds[p] == 1 && {
            let (s, e) = chain.groups[bounds[p]];
            e - s == 8 || e - s == 11
        }
    };
    // Only a run of these many digits, or one after a prefix, can be a shape: other runs are
    // not tried (every line of a log has a `2024-03-20 14:30` chain).
    let plus = text[..chain.start].ends_with('+');
    let digits = |k: usize, m: usize| -> usize {
        chain.groups[bounds[k]..bounds[m]]
            .iter()
            .map(|(s, e)| e - s)
            .sum()
    };
    // Below 11 digits every shape is one group or groups joined by spaces (`923 45 678`), so a
    // run whose parts hold other separators (`2024-03-20`) is none.
    let spaced = |k: usize, m: usize| (k..m).all(|p| bounds[p + 1] - bounds[p] == 1);
    let may_be_shape = |k: usize, m: usize| {
        let n = digits(k, m);
        n == 11
            || ((8..=10).contains(&n) && spaced(k, m))
            || (k == 0 && plus)
            || text.as_bytes()[chain.groups[bounds[k]].0..].starts_with(b"0047")
    };
    let strong = |raw: &Raw| match &raw.shape {
        Shape::Eleven { .. } | Shape::Org { .. } | Shape::Iban { .. } => true,
        Shape::Phone { evidence, .. } => {
            matches!(
                evidence[0],
                Some(phone::Adjust::Plus47 | phone::Adjust::Foreign)
            )
        }
    };
    // Plain loops: a log line's date and time (`2024-03-20 14:30`) come here, anchor nothing,
    // and iterator adaptors over these few parts cost more than the tests.
    let mut anchored = (0..parts).any(lone);
    'runs: for k in 0..parts {
        if anchored {
            break;
        }
        for m in k + 1..=parts {
            if !(k == 0 && m == parts)
                && may_be_shape(k, m)
                && trial(det, text, &chain.sub(bounds[k], bounds[m]), ctx)
                    .0
                    .iter()
                    .any(strong)
            {
                anchored = true;
                break 'runs;
            }
        }
    }
    if !anchored {
        return false;
    }
    let mut any = false;
    let mut k = 0;
    while k < parts {
        let next = ((k + 1)..=parts)
            .rev()
            // The whole chain was decided already.
            .filter(|&m| !(k == 0 && m == parts) && may_be_shape(k, m))
            .find_map(|m| {
                let (r, e) = trial(det, text, &chain.sub(bounds[k], bounds[m]), ctx);
                (!r.is_empty()).then_some((m, r, e))
            });
        let Some((m, found, found_elevens)) = next else {
            k += 1;
            continue;
        };
        for mut raw in found {
            if let Shape::Eleven { nth, .. } = &mut raw.shape {
                *nth += elevens.len();
            }
            raws.push(raw);
        }
        elevens.extend(found_elevens);
        any = true;
        k = m;
    }
    any
}

/// The shapes of `sub` taken whole, in buffers of their own.
fn trial(
    det: &Detector,
    text: &str,
    sub: &Chain,
    ctx: &ChunkContext,
) -> (Vec<Raw>, Vec<(usize, bool)>) {
    let (mut raws, mut elevens) = (Vec::new(), Vec::new());
    if sub.may_hold_shape() {
        whole(det, text, sub, ctx, &mut raws, &mut elevens);
    }
    (raws, elevens)
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
    // Only groups of 8 or 11 digits are read. A chain whose groups are all recorded and hold
    // none of those (every log line's `2024-03-20 14:30`) has nothing to walk.
    if !chain.overflow
        && !chain.groups[..chain.n]
            .iter()
            .any(|&(s, e)| matches!(e - s, 8 | 11))
    {
        return;
    }
    let b = text.as_bytes();
    let mut i = chain.start;
    let mut left_sep = None::<u8>;
    while i < chain.end {
        let s = i;
        i = digits_end(b, i, chain.end);
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
        let alone = Written::Alone { start: s, end: e };
        let d = &b[s..e];
        match d.len() {
            11 => identity::eleven(det, alone, d, false, raws, elevens),
            8 => phone::standalone_eight(det, alone, d, raws),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The run end read eight bytes at a time is the one a byte loop finds, for every byte
    /// value next to digits and every start and end.
    #[test]
    fn digit_runs_end_where_the_byte_loop_ends_them() {
        for other in 0..=255u8 {
            let mut b = b"0123456789012345678".to_vec();
            for at in [0, 3, 7, 8, 9, 15, 18] {
                let saved = b[at];
                b[at] = other;
                for i in 0..b.len() {
                    for end in i..=b.len() {
                        let mut want = i;
                        while want < end && b[want].is_ascii_digit() {
                            want += 1;
                        }
                        assert_eq!(digits_end(&b, i, end), want, "{other} at {at}, {i}..{end}");
                    }
                }
                b[at] = saved;
            }
        }
    }

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

    /// A run passed by unread is exactly a chain of one group too short for any shape.
    #[test]
    fn short_lone_runs_are_the_chains_that_cannot_hold_a_shape() {
        let cases: [&[u8]; 10] = [
            b"12]",
            b"1234567 kr",
            b"201,26",
            b"12.x",
            b"12 34",
            b"12-34",
            b"12.34",
            b"12345678",
            "12\u{a0}34".as_bytes(),
            b"9",
        ];
        for t in cases {
            let c = Chain::parse(t, 0);
            let alone = c.n == 1 && !c.may_hold_shape();
            assert_eq!(
                Chain::short_alone(t, 0),
                alone.then_some(c.end),
                "{}",
                String::from_utf8_lossy(t)
            );
        }
        assert_eq!(Chain::short_alone(b"1234567 kr", 0), Some(7));
        assert_eq!(Chain::short_alone(b"12 34", 0), None);
    }
}
