//! Identity numbers: fødselsnummer and its D-, H- and FH-variants (`rules/fodselsnummer.toml`).
//!
//! An 11-digit value in a grouping the rule lists is validated ([`validate::identity_number`]);
//! every valid one is also a valid account number, so it is scored by both rules in the same
//! context and the higher score wins (a tie goes to the person). Among four or more 11-digit
//! numbers nearby, if at most half validate, the valid ones are likely chance hits among ids.

use super::digits::{self, Raw, Shape, Written};
use super::registry::{adjustments, Builtin, Needs, Spec, Trigger};
use super::validate::{self, ChecksumRule, IdNumber, IdVariant};
use super::{kind, kontonummer, Candidate, ColumnValues, Detector, Scoring, Value};

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
    needs: &[Needs {
        digits: digits::MIN_DIGITS,
        bytes: &[],
    }],
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
        QuotedLiteral = "quoted_literal",
    }
}

/// Whether the 11 digits at `start..end` are a string literal of their own (`"13097248022"`,
/// `'…'`, `` `…` ``): in code and in JSON or SQL test data, a value that passes both check
/// digits and the date check there is almost never anything else.
fn quoted_literal(text: &str, start: usize, end: usize) -> bool {
    let b = text.as_bytes();
    end - start == 11
        && start > 0
        && matches!(b[start - 1], b'"' | b'\'' | b'`')
        && b.get(end) == Some(&b[start - 1])
}

/// An 11-digit value: identity number and/or account, under the groupings their rules accept.
/// Every one goes into `elevens` (with whether it validated) for the density check.
pub(super) fn eleven(
    det: &Detector,
    at: Written<'_>,
    d: &[u8],
    recovered: bool,
    raws: &mut Vec<Raw>,
    elevens: &mut Vec<(usize, bool)>,
) {
    let fr = det.rule(Builtin::IdentityNumber);
    let kr = det.rule(Builtin::Kontonummer);
    let as_id = recovered || at.fits(fr);
    let as_konto = !recovered && at.fits(kr);
    let (id, account) = if as_id || as_konto {
        validate::identity_and_account(d)
    } else {
        (None, false)
    };
    let id = id.filter(|_| as_id);
    let konto = account && as_konto;
    let nth = elevens.len();
    elevens.push((at.start(), id.is_some()));
    if id.is_none() && !konto {
        return;
    }
    let mut digits = [0u8; 11];
    digits.copy_from_slice(d);
    raws.push(Raw {
        start: at.start(),
        end: at.end(),
        shape: Shape::Eleven {
            nth,
            digits,
            id,
            konto,
            konto_grouped: at.groups() > 1,
            recovered_leading_zero: recovered,
        },
    });
}

/// For each 11-digit number of a chunk (by its order, `nth`), whether it is *sparse among
/// numbers*: fewer than half of four or more 11-digit numbers within 400 bytes validate, so
/// the valid ones are likely chance hits among ids. Decided for all in one pass with a window
/// sliding over the numbers, however dense the text.
pub(super) struct Elevens<'a> {
    sparse: &'a [bool],
}

impl<'a> Elevens<'a> {
    /// From `(start, validated)` of each 11-digit number, in text order; `buf` holds the
    /// answers.
    pub(super) fn new(found: &[(usize, bool)], buf: &'a mut Vec<bool>) -> Elevens<'a> {
        const NEAR: usize = 400;
        let (mut lo, mut hi, mut valid) = (0, 0, 0);
        buf.clear();
        buf.extend(found.iter().map(|&(at, _)| {
            // The window holds the numbers lo..hi, those starting within NEAR of `at`.
            while hi < found.len() && found[hi].0 <= at + NEAR {
                valid += usize::from(found[hi].1);
                hi += 1;
            }
            while found[lo].0 + NEAR < at {
                valid -= usize::from(found[lo].1);
                lo += 1;
            }
            let near = hi - lo;
            near >= 4 && valid * 2 <= near
        }));
        Elevens { sparse: buf }
    }

    /// Whether the `nth` 11-digit number of the chunk is sparse among numbers.
    pub(super) fn sparse(&self, nth: usize) -> bool {
        self.sparse[nth]
    }
}

/// What an 11-digit value was found as, for scoring.
pub(super) struct Eleven<'a> {
    /// Its order among the chunk's 11-digit numbers.
    pub nth: usize,
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
    sc: &Scoring<'_>,
    v: &Eleven<'_>,
    elevens: &Elevens<'_>,
) -> Option<Candidate> {
    let (start, end) = (v.start, v.end);
    let compiled = det.compiled(Builtin::IdentityNumber);
    let fr = &compiled.rule;
    let kr = det.rule(Builtin::Kontonummer);
    let fnr_classes = v.id.map(|_| det.classes(sc, start, end, fr));
    // Both rules usually look as far: then one search serves both.
    let same_windows = (fr.window_before, fr.window_after) == (kr.window_before, kr.window_after);
    let konto_classes = v.konto.then(|| match fnr_classes {
        Some(c) if same_windows => c,
        _ => det.classes(sc, start, end, kr),
    });
    let fnr_score = v.id.zip(fnr_classes).map(|(id, classes)| {
        let mut s = fr.base + Detector::weigh(fr, classes);
        if id.rule == ChecksumRule::Rule2032 {
            s += fr.adjustment(Adjust::Rule2032Only);
        }
        if id.variant == IdVariant::FhNummer {
            s += fr.adjustment(Adjust::FhNummer);
        }
        if id.npid {
            s += fr.adjustment(Adjust::Npid);
        }
        if elevens.sparse(v.nth) {
            s += fr.adjustment(Adjust::SparseAmongNumbers);
        }
        if quoted_literal(sc.text, start, end) {
            s += fr.adjustment(Adjust::QuotedLiteral);
        }
        match sc.ctx.header().values {
            ColumnValues::IdentityNumbers => s += fr.adjustment(Adjust::IdentityColumn),
            ColumnValues::OtherNumbers => s += fr.adjustment(Adjust::NumberColumn),
            ColumnValues::Unknown => {}
        }
        s
    });
    let konto_score = konto_classes.map(|c| kontonummer::score(det, c, v.konto_grouped));
    let value = Value::digits(v.digits);
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
        let buf = &mut Vec::new();
        let e = Elevens::new(&[(0, false), (20, false), (40, true), (60, false)], buf);
        assert!(e.sparse(2));
        let e = Elevens::new(&[(0, true), (20, true), (40, true), (60, false)], buf);
        assert!(!e.sparse(2));
        assert!(!Elevens::new(&[(0, true)], buf).sparse(0));
        // Only numbers within 400 bytes count.
        let mut far = vec![(0, false), (10, false), (20, false), (30, true)];
        far.extend([(900, true), (910, true), (920, true), (930, true)]);
        let e = Elevens::new(&far, buf);
        assert!(e.sparse(3), "the valid numbers far away do not help");
        assert!(!e.sparse(6));
    }

    /// The sliding window gives what counting each number's neighbours gives.
    #[test]
    fn density_by_sliding_window_is_density_by_counting() {
        let mut rng = crate::synth::Rng::new(12);
        for _ in 0..200 {
            let mut at = 0;
            let found: Vec<(usize, bool)> = (0..rng.below(60))
                .map(|_| {
                    at += rng.below(150) as usize;
                    (at, rng.below(3) == 0)
                })
                .collect();
            let mut buf = Vec::new();
            let e = Elevens::new(&found, &mut buf);
            for (i, &(p, _)) in found.iter().enumerate() {
                let near: Vec<_> = found
                    .iter()
                    .filter(|(q, _)| q + 400 >= p && *q <= p + 400)
                    .collect();
                let valid = near.iter().filter(|(_, v)| *v).count();
                assert_eq!(
                    e.sparse(i),
                    near.len() >= 4 && valid * 2 <= near.len(),
                    "{found:?} {i}"
                );
            }
        }
    }
}
