//! Bank account numbers (`rules/kontonummer.toml`): 11 digits with a mod 11 check digit,
//! plain or grouped `RRRR.KK.NNNNC`, and Norwegian IBANs (`NO` + 13 digits, mod 97).
//!
//! A plain 11-digit account is found together with identity numbers ([`super::identity`]),
//! since every fødselsnummer is a valid account number; this module scores it and reads IBANs.

use super::context::ClassSet;
use super::digits::{self, Chain, Raw, Shape};
use super::registry::{adjustments, Builtin, Needs, Spec, Trigger};
use super::validate;
use super::{kind, Candidate, Detector, Scoring, Value};

pub(super) const SPEC: Spec = Spec {
    matcher: "kontonummer",
    kind: kind::KONTONUMMER,
    trigger: Trigger::DigitChain,
    shape: "11 digits in a grouping of the rule (RRRRKKNNNNC, RRRR.KK.NNNNC, …), or NO + 13 \
            digits (IBAN)",
    validator: "mod 11 (weights 5 4 3 2 7 6 5 4 3 2); an IBAN also mod 97",
    rule_file: (
        "rules/kontonummer.toml",
        include_str!("../../rules/kontonummer.toml"),
    ),
    adjustments: Adjust::NAMES,
    needs: &[Needs {
        digits: digits::MIN_DIGITS,
        bytes: &[],
    }],
    on_chain: None,
};

adjustments! {
    /// The `adjust` keys of `rules/kontonummer.toml`.
    pub(super) enum Adjust for Builtin::Kontonummer {
        Grouped = "grouped",
        Iban = "iban",
    }
}

/// `NO` + 13 digits with a valid mod 97 and account check digit, right before the chain.
pub(super) fn iban(text: &str, chain: &Chain, raws: &mut Vec<Raw>) -> bool {
    let b = text.as_bytes();
    let s = chain.start;
    if s < 2
        || !b[s - 2..s].eq_ignore_ascii_case(b"NO")
        || digits::glued(digits::char_before(text, s - 2))
    {
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

/// The score of an 11-digit account (grouped: written in groups) whose context classes are
/// `classes`.
pub(super) fn score(det: &Detector, classes: ClassSet, grouped: bool) -> i32 {
    let r = det.rule(Builtin::Kontonummer);
    let mut s = r.base + Detector::weigh(r, classes);
    if grouped {
        s += r.adjustment(Adjust::Grouped);
    }
    s
}

pub(super) fn score_iban(
    det: &Detector,
    sc: &Scoring<'_>,
    start: usize,
    end: usize,
    account: &[u8; 11],
) -> Candidate {
    let c = det.compiled(Builtin::Kontonummer);
    let s = det.context_score(&c.rule, sc, start, end) + c.rule.adjustment(Adjust::Iban);
    let mut cand = c.candidate(c.kind, start, end, Value::digits(account), s);
    cand.iban = true;
    cand
}
