//! Identity numbers: fødselsnummer and its D-, H- and FH-variants (`rules/fodselsnummer.toml`).
//!
//! An 11-digit value in a grouping the rule lists is validated ([`validate::identity_number`]);
//! every valid one is also a valid account number, so it is scored by both rules in the same
//! context and the higher score wins (a tie goes to the person). Among four or more 11-digit
//! numbers nearby, if at most half validate, the valid ones are likely chance hits among ids.

use super::digits::{self, Chain, Raw, Shape};
use super::registry::{adjustments, Builtin, Spec, Trigger};
use super::validate::{self, ChecksumRule, IdNumber, IdVariant};
use super::{kind, kontonummer, Candidate, ChunkContext, ColumnValues, Detector};

pub(super) const SPEC: Spec = Spec {
    matcher: "identity_number",
    kind: kind::FODSELSNUMMER,
    trigger: Trigger::DigitChain,
    shape: "11 digits in a grouping of the rule (DDMMYYIIIKK, DDMMYY IIIKK, DD.MM.YY IIIKK, …); \
            10 under an identity column header (a lost leading zero)",
    validator: "both check digits (classic or 2032 rule) and a real date once the D-, H- and \
                synthetic offsets are removed",
    rule_file: (
        "rules/fodselsnummer.toml",
        include_str!("../../rules/fodselsnummer.toml"),
    ),
    adjustments: Adjust::NAMES,
    on_chain: None,
};

adjustments! {
    /// The `adjust` keys of `rules/fodselsnummer.toml`.
    pub(super) enum Adjust for Builtin::IdentityNumber {
        Rule2032Only = "rule_2032_only",
        FhNummer = "fh_nummer",
        Npid = "npid",
        SparseAmongNumbers = "sparse_among_numbers",
        IdentityColumn = "identity_column",
        NumberColumn = "number_column",
    }
}

/// An 11-digit value: identity number and/or account, under the groupings their rules accept.
/// Every one goes into `elevens` (with whether it validated) for the density check.
pub(super) fn eleven(
    det: &Detector,
    chain: &Chain,
    d: &[u8],
    recovered: bool,
    raws: &mut Vec<Raw>,
    elevens: &mut Vec<(usize, bool)>,
) {
    let fr = det.rule(Builtin::IdentityNumber);
    let kr = det.rule(Builtin::Kontonummer);
    let id = if recovered || digits::has(fr, chain, 0) {
        validate::identity_number(d)
    } else {
        None
    };
    let konto = !recovered && digits::has(kr, chain, 0) && validate::kontonummer(d);
    elevens.push((chain.start, id.is_some()));
    if id.is_none() && !konto {
        return;
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

/// What an 11-digit value was found as, for scoring.
pub(super) struct Eleven<'a> {
    pub start: usize,
    pub end: usize,
    pub digits: &'a [u8; 11],
    pub id: Option<IdNumber>,
    pub konto: bool,
    pub konto_grouped: bool,
    pub recovered_leading_zero: bool,
}

/// Scores an 11-digit value as a person and as an account in the same context; the higher
/// score decides its kind.
pub(super) fn score(
    det: &Detector,
    text: &str,
    v: &Eleven<'_>,
    ctx: &ChunkContext,
    elevens: &[(usize, bool)],
) -> Option<Candidate> {
    let (start, end) = (v.start, v.end);
    let compiled = det.compiled(Builtin::IdentityNumber);
    let fr = &compiled.rule;
    let fnr_score = v.id.map(|id| {
        let mut s = det.context_score(fr, text, start, end, ctx);
        if id.rule == ChecksumRule::Rule2032 {
            s += fr.adjustment(Adjust::Rule2032Only);
        }
        if id.variant == IdVariant::FhNummer {
            s += fr.adjustment(Adjust::FhNummer);
        }
        if id.npid {
            s += fr.adjustment(Adjust::Npid);
        }
        if sparse_among_numbers(elevens, start) {
            s += fr.adjustment(Adjust::SparseAmongNumbers);
        }
        match ctx.header().values {
            ColumnValues::IdentityNumbers => s += fr.adjustment(Adjust::IdentityColumn),
            ColumnValues::OtherNumbers => s += fr.adjustment(Adjust::NumberColumn),
            ColumnValues::Unknown => {}
        }
        s
    });
    let konto_score = v
        .konto
        .then(|| kontonummer::score(det, text, start, end, v.konto_grouped, ctx));
    let value = String::from_utf8_lossy(v.digits).into_owned();
    match (v.id, fnr_score, konto_score) {
        (Some(id), Some(fs), ks) if ks.is_none_or(|ks| fs >= ks) => {
            let kind = match id.variant {
                IdVariant::Fodselsnummer => compiled.kind,
                IdVariant::DNummer => kind::D_NUMMER,
                IdVariant::HNummer => kind::H_NUMMER,
                IdVariant::FhNummer => kind::FH_NUMMER,
            };
            let mut c = compiled.candidate(kind, start, end, value, fs);
            c.checksum = Some(id.rule);
            c.synthetic = id.synthetic.is_some();
            c.recovered_leading_zero = v.recovered_leading_zero;
            Some(c)
        }
        (_, _, Some(ks)) => {
            let k = det.compiled(Builtin::Kontonummer);
            Some(k.candidate(k.kind, start, end, value, ks))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn density() {
        let e = [(0, false), (20, false), (40, true), (60, false)];
        assert!(sparse_among_numbers(&e, 40));
        let e = [(0, true), (20, true), (40, true), (60, false)];
        assert!(!sparse_among_numbers(&e, 40));
        assert!(!sparse_among_numbers(&[(0, true)], 0));
    }
}
