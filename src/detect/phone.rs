//! Phone numbers (`rules/phone.toml`): Norwegian 8-digit numbers of persons' lines, with or
//! without `+47`, `0047` or `(+47)`, normalised to `+47XXXXXXXX`; numbers after another `+CC`
//! in E.164.
//!
//! Any 8 digits starting 2-9 fit the numbering plan, so a bare run needs evidence: a prefix, a
//! keyword, a column header or a grouping that only phones use. The evidence found in the shape
//! is carried to scoring as the rule's typed adjustments.

use super::digits::{self, Chain, Raw, Shape, Written};
use super::registry::{adjustments, Builtin, Needs, Spec, Trigger};
use super::validate;
use super::{kind, Candidate, Detector, Scoring, Value};

pub(super) const SPEC: Spec = Spec {
    matcher: "phone",
    kind: kind::PHONE,
    trigger: Trigger::DigitChain,
    shape: "8 digits in a grouping of the rule (8, 2 2 2 2, 3 2 3, 4 4, 3 3 2), after +47, 0047 \
            or (+47) or bare; 8-15 digits after another +CC",
    validator: "a person's line in the Norwegian numbering plan (mobile 4/9, fixed 2, 3, 50-57, \
                6, 7)",
    rule_file: ("rules/phone.toml", include_str!("../../rules/phone.toml")),
    adjustments: Adjust::NAMES,
    needs: &[Needs {
        digits: digits::MIN_DIGITS,
        bytes: &[],
    }],
    on_chain: None,
};

adjustments! {
    /// The `adjust` keys of `rules/phone.toml`.
    pub(super) enum Adjust for Builtin::Phone {
        Plus47 = "plus47",
        Grouped = "grouped",
        PairGrouped = "pair_grouped",
        LooksLikeDate = "looks_like_date",
        Foreign = "foreign",
        BinaryRuns = "binary_runs",
    }
}

/// `0047 22334455` / `004722334455`: the chain is a phone or nothing. False when the chain does
/// not start with `0047`.
pub(super) fn after_0047(b: &[u8], chain: &Chain, raws: &mut Vec<Raw>) -> bool {
    let (g0s, g0e) = chain.groups[0];
    if !b[g0s..].starts_with(b"0047") {
        return false;
    }
    let from = if g0e - g0s == 4 { 1 } else { 0 };
    let digits = chain.digits_from(b, from);
    let subscriber = digits
        .as_deref()
        .and_then(|d| if from == 0 { d.get(4..) } else { Some(d) });
    if let Some(d) = subscriber.filter(|d| d.len() == 8 && validate::norwegian_subscriber(d)) {
        raws.push(norwegian(
            Written::Chain(chain),
            d,
            [Some(Adjust::Plus47), None],
        ));
    }
    true
}

/// A chain of 8 digits: a phone if written in a phone grouping or after `(+47)`.
pub(super) fn eight(det: &Detector, text: &str, chain: &Chain, d: &[u8], raws: &mut Vec<Raw>) {
    let head = text[..chain.start].trim_end_matches([' ', '\u{a0}']);
    let prefixed = head.ends_with("(+47)") || head.ends_with("(0047)");
    let phone = det.rule(Builtin::Phone);
    if !validate::norwegian_subscriber(d) || !(prefixed || Written::Chain(chain).fits(phone)) {
        return;
    }
    let mut ev = [None, grouping_evidence(chain)];
    if prefixed {
        ev[0] = Some(Adjust::Plus47);
    } else if (chain.n == 1 && validate::looks_like_yyyymmdd(d)) || two_years(chain, text) {
        ev[0] = Some(Adjust::LooksLikeDate);
    }
    raws.push(norwegian(Written::Chain(chain), d, ev));
}

/// An 8-digit group standing alone between spaces in a longer chain.
pub(super) fn standalone_eight(det: &Detector, alone: Written<'_>, d: &[u8], raws: &mut Vec<Raw>) {
    if validate::norwegian_subscriber(d) && alone.fits(det.rule(Builtin::Phone)) {
        let date = validate::looks_like_yyyymmdd(d).then_some(Adjust::LooksLikeDate);
        raws.push(norwegian(alone, d, [date, None]));
    }
}

/// `1998 2023`: a 4 4 grouping that reads as two years.
fn two_years(chain: &Chain, text: &str) -> bool {
    let b = text.as_bytes();
    let year = |(s, e): (usize, usize)| {
        e - s == 4 && (b[s..e].starts_with(b"19") || b[s..e].starts_with(b"20"))
    };
    chain.n == 2 && year(chain.groups[0]) && year(chain.groups[1])
}

/// The adjustment for the chain's grouping.
fn grouping_evidence(chain: &Chain) -> Option<Adjust> {
    match chain.n {
        1 => None,
        2 => Some(Adjust::PairGrouped),
        _ => Some(Adjust::Grouped),
    }
}

fn norwegian(at: Written<'_>, d: &[u8], evidence: [Option<Adjust>; 2]) -> Raw {
    let e164 = Value::digits_after("+47", d);
    Raw {
        start: at.start(),
        end: at.end(),
        shape: Shape::Phone { e164, evidence },
    }
}

/// A chain right after `+`: `+47 …` is Norwegian, any other country code is foreign.
pub(super) fn plus_prefixed(b: &[u8], chain: &Chain, raws: &mut Vec<Raw>) {
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
            let mut raw = norwegian(Written::Chain(chain), rest, [Some(Adjust::Plus47), None]);
            raw.start = start;
            raws.push(raw);
        }
        return;
    }
    let e164 = Value::digits_after("+", &d);
    raws.push(Raw {
        start,
        end: chain.end,
        shape: Shape::Phone {
            e164,
            evidence: [Some(Adjust::Foreign), None],
        },
    });
}

pub(super) fn score(
    det: &Detector,
    sc: &Scoring<'_>,
    start: usize,
    end: usize,
    e164: &Value,
    evidence: &[Option<Adjust>; 2],
) -> Candidate {
    let c = det.compiled(Builtin::Phone);
    let classes = det.classes(sc, start, end, &c.rule);
    let mut s = c.rule.base + Detector::weigh(&c.rule, classes);
    for adj in evidence.iter().flatten() {
        s += c.rule.adjustment(*adj);
    }
    if sc.ctx.binary_runs && Detector::weigh(&c.rule, classes) <= 0 {
        s += c.rule.adjustment(Adjust::BinaryRuns);
    }
    c.candidate(c.kind, start, end, e164.clone(), s)
}
