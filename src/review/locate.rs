//! Finding one person: a data-subject request (GDPR art. 15/17) names values — a
//! fødselsnummer, an e-mail address, a phone number — and asks where they are. The values are
//! normalised by the detector itself (any written form: `130972 48022`, `+47 412 34 567`,
//! `Kari@Example.NO`), fingerprinted under the inventory's key for every kind the detector
//! gives them (an identity number may have been recorded as `d_nummer`, or as `kontonummer` in
//! an account's context), and matched against the fingerprints of the findings. The inventory
//! never needs to hold a raw value, and nothing here prints one: values are shown masked.
//!
//! The same [`Targets`] filter a live scan (`kartlegg scan PATH --find VALUE`) in the scan's
//! own process, under the scan's key.

use std::collections::{HashMap, HashSet};

use anyhow::{bail, Result};
use serde::Serialize;

use crate::detect::{kind, validate, ChunkContext, Detector};
use crate::extract::Location;
use crate::report::mask::{self, HashKey};
use crate::report::{FileRecord, Status};

/// What a value given on the command line is said to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Family {
    /// `--fnr`: a fødselsnummer, D-, H- or FH-number.
    Fnr,
    Email,
    Phone,
    /// `--value` or `scan --find`: whatever the rules detect.
    Any,
}

impl Family {
    /// The word put before the value, so the detector scores it as what it is said to be.
    fn label(self) -> &'static str {
        match self {
            Family::Fnr => "Fødselsnummer: ",
            Family::Email => "E-post: ",
            Family::Phone => "Telefon: ",
            Family::Any => "",
        }
    }

    /// Kinds of which at least one must be found for the value to be accepted.
    fn kinds(self) -> &'static [&'static str] {
        match self {
            Family::Fnr => &[
                kind::FODSELSNUMMER,
                kind::D_NUMMER,
                kind::H_NUMMER,
                kind::FH_NUMMER,
            ],
            Family::Email => &[kind::EMAIL],
            Family::Phone => &[kind::PHONE],
            Family::Any => &[],
        }
    }

    pub(crate) fn flag(self) -> &'static str {
        match self {
            Family::Fnr => "--fnr",
            Family::Email => "--email",
            Family::Phone => "--phone",
            Family::Any => "--value",
        }
    }
}

/// One value asked for.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    pub family: Family,
    pub text: String,
}

/// A value asked for, as it may be shown: its number, kinds and masked forms.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Sought {
    /// 1-based, in the order given.
    pub value: usize,
    pub family: Family,
    /// (kind, masked) for each kind the detector gave the value.
    pub kinds: Vec<(String, String)>,
}

/// The fingerprints to look for, and which value each stands for.
#[derive(Debug, Default)]
pub(crate) struct Targets {
    by_fingerprint: HashMap<String, usize>,
    pub sought: Vec<Sought>,
}

impl Targets {
    /// Normalises every query with the detector and fingerprints it under `key`. A value the
    /// detector does not recognise (as what its flag says) is an error that names the flag and
    /// the value's number, never the value.
    pub(crate) fn new(det: &Detector, key: &HashKey, queries: &[Query]) -> Result<Targets> {
        let mut t = Targets::default();
        for (i, q) in queries.iter().enumerate() {
            let n = i + 1;
            let text = format!("{}{}", q.family.label(), q.text.trim());
            let start = q.family.label().len();
            let mut cands = Vec::new();
            det.scan(&text, &ChunkContext::default(), &mut cands);
            let mut kinds: Vec<(String, String)> = Vec::new();
            // One value an argument: a second of a kind would be sought in silence or not
            // at all. (The same value found twice, or under two kinds, is one.)
            let mut values: Vec<&str> = Vec::new();
            for c in cands.iter().filter(|c| c.end > start) {
                if !values.contains(&c.value.as_str()) {
                    values.push(&c.value);
                }
            }
            if values.len() > 1 {
                bail!(
                    "{} value {n} holds {} values: give each on its own ({} A {} B; none is shown here)",
                    q.family.flag(),
                    values.len(),
                    q.family.flag(),
                    q.family.flag()
                );
            }
            let mut add = |kind: &str, value: &str| {
                if !kinds.iter().any(|(k, _)| k == kind) {
                    t.by_fingerprint.insert(key.fingerprint(kind, value), n);
                    kinds.push((kind.to_string(), mask::mask(kind, value)));
                }
            };
            for c in cands.iter().filter(|c| c.end > start) {
                add(c.kind, &c.value);
                // Every valid identity number is also a valid account number, and a scan
                // records it as one in an account's context (`Kontonr 13097248022`).
                if Family::Fnr.kinds().contains(&c.kind)
                    && validate::kontonummer(c.value.as_bytes())
                {
                    add(kind::KONTONUMMER, &c.value);
                }
            }
            let wanted = q.family.kinds();
            if kinds.is_empty()
                || (!wanted.is_empty() && !kinds.iter().any(|(k, _)| wanted.contains(&k.as_str())))
            {
                bail!(
                    "{} value {n} is not recognised as {} (check its digits or spelling; it is not shown here)",
                    q.family.flag(),
                    match q.family {
                        Family::Fnr => "a valid fødselsnummer, D-, H- or FH-number",
                        Family::Email => "an e-mail address",
                        Family::Phone => "a phone number",
                        Family::Any => "any kind the rules detect",
                    }
                );
            }
            t.sought.push(Sought {
                value: n,
                family: q.family,
                kinds,
            });
        }
        Ok(t)
    }

    /// What was sought, in a form that tells two searches apart but not what they sought: a
    /// digest, under `key`, of the fingerprints looked for.
    /// How many different values are sought (a value given twice, in any spelling, once).
    pub(crate) fn distinct(&self) -> usize {
        self.by_fingerprint.values().collect::<HashSet<_>>().len()
    }

    pub(crate) fn digest(&self, key: &HashKey) -> String {
        key.set_digest("find", self.by_fingerprint.keys())
    }

    /// The value (1-based) a fingerprint stands for.
    pub(crate) fn matches(&self, fingerprint: &str) -> Option<usize> {
        self.by_fingerprint.get(fingerprint).copied()
    }

    /// Keeps only the findings of the values sought, with counts and totals made again from
    /// them (the per-column summary, which describes all values, is dropped). A file whose
    /// findings were cut at `--max-findings-per-file` and whose listed ones do not match may
    /// hide a match among those not listed: it becomes `partial`/`findings_truncated`.
    pub(crate) fn filter(&self, rec: &mut FileRecord) {
        let truncated = rec.findings_truncated;
        rec.findings
            .retain(|f| self.matches(&f.fingerprint).is_some());
        rec.counts.clear();
        rec.columns.clear();
        rec.findings_truncated = false;
        for f in &rec.findings {
            *rec.counts.entry(f.kind).or_default() += 1;
        }
        rec.tally_listed();
        if truncated && rec.findings.is_empty() && rec.status == Status::Scanned {
            rec.set_status(
                Status::Partial,
                "findings_truncated",
                "more findings than --max-findings-per-file: those not listed were not compared with the --find values",
            );
        }
    }
}

/// One place a value was found.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Hit {
    pub path: String,
    /// The value asked for (1-based).
    pub value: usize,
    pub kind: String,
    pub confidence: crate::detect::Confidence,
    pub location: Location,
    pub masked: String,
    pub fingerprint: String,
}

/// What a search of an inventory found, and what it could not look at.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Found {
    pub hits: Vec<Hit>,
    /// Files with at least one hit.
    pub files: usize,
    /// Files not read completely: they may hold the values unseen.
    pub unread_files: u64,
    /// Files that listed fewer findings than they had: a match may be among those not listed.
    pub truncated_files: u64,
}

impl Found {
    /// Looks for the targets in one record.
    pub(crate) fn add(&mut self, rec: &FileRecord, targets: &Targets) {
        let before = self.hits.len();
        for f in &rec.findings {
            if let Some(value) = targets.matches(&f.fingerprint) {
                self.hits.push(Hit {
                    path: rec.path.clone(),
                    value,
                    kind: f.kind.to_string(),
                    confidence: f.confidence,
                    location: f.location.clone(),
                    masked: f.masked.clone(),
                    fingerprint: f.fingerprint.clone(),
                });
            }
        }
        self.files += usize::from(self.hits.len() > before);
        self.unread_files += u64::from(rec.content_unread());
        self.truncated_files += u64::from(rec.findings_truncated);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::rules::RuleSet;

    fn det() -> Detector {
        Detector::new(RuleSet::load(None).unwrap())
    }

    fn q(family: Family, text: &str) -> Query {
        Query {
            family,
            text: text.into(),
        }
    }

    #[test]
    fn any_written_form_gives_the_same_fingerprint() {
        let det = det();
        let key = HashKey::provided(b"k".to_vec());
        let t = Targets::new(
            &det,
            &key,
            &[
                q(Family::Fnr, "130972 48022"),
                q(Family::Phone, "+47 412 34 567"),
                q(Family::Email, "Kari.Nordmann@Example.NO"),
            ],
        )
        .unwrap();
        assert_eq!(
            t.matches(&key.fingerprint("fodselsnummer", "13097248022")),
            Some(1)
        );
        assert_eq!(t.matches(&key.fingerprint("phone", "+4741234567")), Some(2));
        assert_eq!(
            t.matches(&key.fingerprint("email", "kari.nordmann@example.no")),
            Some(3)
        );
        assert_eq!(t.matches(&key.fingerprint("phone", "+4741234568")), None);
        // Another key, other fingerprints.
        let other = HashKey::provided(b"k2".to_vec());
        assert_eq!(t.matches(&other.fingerprint("phone", "+4741234567")), None);
        // A D-number is sought as what it is (docs/identifiers.md).
        let d = Targets::new(&det, &key, &[q(Family::Fnr, "53097248016")]).unwrap();
        assert!(d.sought[0].kinds.iter().any(|(k, _)| k == "d_nummer"));
        assert_eq!(
            d.matches(&key.fingerprint("d_nummer", "53097248016")),
            Some(1)
        );
    }

    #[test]
    fn an_identity_number_is_sought_as_an_account_too() {
        let det = det();
        let key = HashKey::provided(b"k".to_vec());
        let t = Targets::new(
            &det,
            &key,
            &[
                q(Family::Fnr, "13097248022"),
                q(Family::Any, "53097248016"),
                q(Family::Phone, "41234567"),
            ],
        )
        .unwrap();
        assert_eq!(
            t.matches(&key.fingerprint("kontonummer", "13097248022")),
            Some(1)
        );
        assert_eq!(
            t.matches(&key.fingerprint("kontonummer", "53097248016")),
            Some(2)
        );
        assert!(t.sought[0].kinds.iter().any(|(k, _)| k == "kontonummer"));
        assert!(!t.sought[2].kinds.iter().any(|(k, _)| k == "kontonummer"));
        for (_, masked) in t.sought.iter().flat_map(|s| &s.kinds) {
            assert!(!masked.contains("13097248022") && !masked.contains("53097248016"));
        }
    }

    #[test]
    fn a_wrong_value_is_refused_without_being_shown() {
        let det = det();
        let key = HashKey::provided(b"k".to_vec());
        let e = Targets::new(&det, &key, &[q(Family::Fnr, "13097248023")])
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("--fnr value 1"), "{e}");
        assert!(!e.contains("13097248023"), "{e}");
        assert!(Targets::new(&det, &key, &[q(Family::Email, "ikke en adresse")]).is_err());
    }
}
