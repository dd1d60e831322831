//! Organisation numbers (`rules/organisasjonsnummer.toml`): recognised so that company numbers
//! and their surroundings are not taken for phones or identity numbers. Not personal data: the
//! rule caps them at low confidence.

use super::digits::{self, Chain, Raw, Shape, Written};
use super::registry::{Builtin, Needs, Spec, Trigger};
use super::validate;
use super::{kind, Candidate, Detector, Scoring, Value};

pub(super) const SPEC: Spec = Spec {
    matcher: "organisasjonsnummer",
    kind: kind::ORGANISASJONSNUMMER,
    trigger: Trigger::DigitChain,
    shape: "9 digits starting with 8 or 9, in a grouping of the rule (9, 3 3 3)",
    validator: "mod 11 (weights 3 2 7 6 5 4 3 2)",
    rule_file: (
        "rules/organisasjonsnummer.toml",
        include_str!("../../rules/organisasjonsnummer.toml"),
    ),
    // No adjustments: the score is the base and the context.
    adjustments: &[],
    needs: &[Needs {
        digits: digits::MIN_DIGITS,
        bytes: &[],
    }],
    on_chain: None,
};

/// A chain of 9 digits.
pub(super) fn nine(det: &Detector, chain: &Chain, d: &[u8], raws: &mut Vec<Raw>) {
    let org = det.rule(Builtin::Organisasjonsnummer);
    if Written::Chain(chain).fits(org) && validate::organisasjonsnummer(d) {
        let mut digits = [0u8; 9];
        digits.copy_from_slice(d);
        raws.push(Raw {
            start: chain.start,
            end: chain.end,
            shape: Shape::Org { digits },
        });
    }
}

pub(super) fn score(
    det: &Detector,
    sc: &Scoring<'_>,
    start: usize,
    end: usize,
    digits: &[u8; 9],
) -> Candidate {
    let c = det.compiled(Builtin::Organisasjonsnummer);
    let s = det.context_score(&c.rule, sc, start, end);
    c.candidate(c.kind, start, end, Value::digits(digits), s)
}
