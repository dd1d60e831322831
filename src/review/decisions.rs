//! Decisions that survive the next scan. A reviewer decides per file — `delete`, `deleted`,
//! `anonymised`, `keep` (until a date, for a reason) or `false_positive` — and the decisions
//! file (JSON, `schema/decisions.schema.json`) keeps each decision with the file's path and
//! the version it was made on:
//!
//! ```json
//! {"schema_version": "1.0", "decisions": [
//!   {"path": "/srv/share/kurs/liste.csv", "decision": "keep", "until": "2027-06-30",
//!    "reason": "Klagesak pågår", "reviewer": "kari", "date": "2026-01-15",
//!    "content_hash": "…", "size": 5120, "modified": "2019-05-02T08:11:00Z"}]}
//! ```
//!
//! `kartlegg scan --decisions FILE` puts the decision for a path into that file's record. The
//! version is compared by content hash when both the decision and the record have one, else
//! by size and modification time (counted in the summary as such); a file whose version
//! differs, or cannot be compared at all, is `decision_stale`: it changed since, and needs a
//! new look. A `keep` whose `until` has passed counts as undecided again.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::report::rows::epoch;
use crate::report::{Decision, DecisionKind, FileRecord, ReviewMark, ReviewState};

pub(crate) const SCHEMA_VERSION: &str = "1.0";

/// The decisions of a decisions file, by path.
#[derive(Debug, Default)]
pub(crate) struct Decisions {
    entries: Vec<(String, Decision)>,
    by_path: HashMap<String, usize>,
    used: Vec<bool>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    schema_version: String,
    decisions: Vec<Map<String, Value>>,
}

impl Decisions {
    /// Reads and checks a decisions file; every problem names the entry.
    pub(crate) fn load(path: &Path) -> Result<Decisions> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the decisions file {}", path.display()))?;
        Decisions::parse(&text).with_context(|| format!("bad decisions file {}", path.display()))
    }

    pub(crate) fn parse(text: &str) -> Result<Decisions> {
        let doc: Doc = serde_json::from_str(text)?;
        if doc.schema_version != SCHEMA_VERSION {
            bail!(
                "schema_version {:?}: this kartlegg reads {SCHEMA_VERSION:?}",
                doc.schema_version
            );
        }
        let mut d = Decisions::default();
        for (i, mut e) in doc.decisions.into_iter().enumerate() {
            let n = i + 1;
            let path = match e.remove("path") {
                Some(Value::String(p)) if !p.is_empty() => p,
                _ => bail!("decision {n}: needs a \"path\""),
            };
            // As the schema says: chrono alone would read `27-1-1` as the year 27.
            for field in ["date", "until"] {
                if let Some(Value::String(v)) = e.get(field) {
                    let iso = v.len() == 10
                        && v.bytes().enumerate().all(|(i, b)| {
                            if i == 4 || i == 7 {
                                b == b'-'
                            } else {
                                b.is_ascii_digit()
                            }
                        });
                    if !iso {
                        bail!("decision {n} ({path}): \"{field}\" {v:?} is not a date YYYY-MM-DD");
                    }
                }
            }
            let dec: Decision = serde_json::from_value(Value::Object(e))
                .map_err(|err| anyhow!("decision {n} ({path}): {err}"))?;
            check(&dec).map_err(|err| anyhow!("decision {n} ({path}): {err}"))?;
            d.insert(path, dec)
                .map_err(|err| anyhow!("decision {n}: {err}"))?;
        }
        Ok(d)
    }

    fn insert(&mut self, path: String, dec: Decision) -> Result<()> {
        if self.by_path.contains_key(&path) {
            bail!("{path} has more than one decision");
        }
        self.by_path.insert(path.clone(), self.entries.len());
        self.entries.push((path, dec));
        self.used.push(false);
        Ok(())
    }

    /// Puts the decision for `rec`'s path into it, marks it stale when the file changed since,
    /// and marks where the record stands for the summary (as of `today`).
    pub(crate) fn apply(&mut self, rec: &mut FileRecord, today: NaiveDate) {
        let Some(&i) = self.by_path.get(&rec.path) else {
            // The file's decisions are all there is: a decision the inventory held is not.
            rec.decision = None;
            rec.decision_stale = false;
            let state = if rec.total() > 0 {
                ReviewState::Undecided
            } else {
                ReviewState::Nothing
            };
            rec.tally.review = Some(ReviewMark {
                state,
                by_size_and_modified: false,
            });
            return;
        };
        self.used[i] = true;
        let dec = &self.entries[i].1;
        let (same, by_size_and_modified) = same_version(dec, rec);
        let state = if !same {
            ReviewState::Stale
        } else if dec.expired(today) {
            ReviewState::KeepExpired
        } else {
            ReviewState::Decided
        };
        rec.decision = Some(dec.clone());
        rec.decision_stale = !same;
        rec.tally.review = Some(ReviewMark {
            state,
            by_size_and_modified,
        });
    }

    /// Decisions whose path no record has had (files gone, or outside this inventory).
    pub(crate) fn unused(&self) -> Vec<(String, Decision)> {
        self.entries
            .iter()
            .zip(&self.used)
            .filter(|(_, used)| !**used)
            .map(|(e, _)| e.clone())
            .collect()
    }
}

/// What the schema cannot say: `keep` needs `until` and `reason`; `until` only with `keep`.
fn check(d: &Decision) -> Result<()> {
    if d.reviewer.trim().is_empty() {
        bail!("\"reviewer\" is empty");
    }
    match d.decision {
        DecisionKind::Keep if d.until.is_none() => bail!("\"keep\" needs \"until\""),
        DecisionKind::Keep if d.reason.as_deref().is_none_or(|r| r.trim().is_empty()) => {
            bail!("\"keep\" needs a \"reason\"")
        }
        DecisionKind::Keep => {}
        other if d.until.is_some() => {
            bail!("\"until\" goes with \"keep\", not {:?}", other.as_str())
        }
        _ => {}
    }
    if let Some(m) = &d.modified {
        if epoch(m).is_none() {
            bail!("\"modified\" is not an RFC 3339 time: {m:?}");
        }
    }
    Ok(())
}

/// Whether `rec` is the version `dec` was made on, and whether that was judged by size and
/// modification time (no content hash on one side). Without anything to compare, it is not.
fn same_version(dec: &Decision, rec: &FileRecord) -> (bool, bool) {
    if let (Some(a), Some(b)) = (&dec.content_hash, &rec.content_hash) {
        return (a == b, false);
    }
    match (dec.size, dec.modified.as_deref(), rec.meta.as_ref()) {
        (Some(size), Some(modified), Some(m)) => {
            let same_time = epoch(modified).is_some() && epoch(modified) == epoch(&m.modified);
            (size == m.size && same_time, true)
        }
        _ => (false, false),
    }
}

/// Today in UTC, the day `keep ... until` is compared with.
pub(crate) fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{FileMeta, Owner};

    fn rec(path: &str, hash: Option<&str>, size: u64, modified: &str, findings: u64) -> FileRecord {
        let mut r = FileRecord::new(
            path.into(),
            Some(FileMeta {
                size,
                modified: modified.into(),
                changed: modified.into(),
                accessed: modified.into(),
                owner: Owner { uid: 0, name: None },
                gid: 0,
                mode: "0644".into(),
            }),
        );
        r.content_hash = hash.map(str::to_string);
        if findings > 0 {
            r.counts.insert("phone", findings);
        }
        r
    }

    const FILE: &str = r#"{"schema_version": "1.0", "decisions": [
        {"path": "/r/a.csv", "decision": "delete", "reviewer": "kari", "date": "2026-01-10",
         "content_hash": "aa", "size": 10, "modified": "2020-01-01T00:00:00Z"},
        {"path": "/r/b.csv", "decision": "keep", "until": "2026-03-01", "reason": "klagesak",
         "reviewer": "kari", "date": "2026-01-10", "size": 5, "modified": "2020-01-01T00:00:00Z"},
        {"path": "/r/gone.csv", "decision": "deleted", "reviewer": "ola", "date": "2026-01-11"}
    ]}"#;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_decision_follows_its_version() {
        let mut d = Decisions::parse(FILE).unwrap();
        let t = day("2026-02-01");
        let mut same = rec("/r/a.csv", Some("aa"), 99, "2024-01-01T00:00:00Z", 1);
        d.apply(&mut same, t);
        assert_eq!(
            same.decision.as_ref().unwrap().decision,
            DecisionKind::Delete
        );
        assert!(
            !same.decision_stale,
            "same hash: size and time do not matter"
        );
        assert_eq!(same.tally.review.unwrap().state, ReviewState::Decided);
        let mut edited = rec("/r/a.csv", Some("bb"), 10, "2020-01-01T00:00:00Z", 1);
        d.apply(&mut edited, t);
        assert!(edited.decision_stale);
        assert_eq!(edited.tally.review.unwrap().state, ReviewState::Stale);
        // No hash in the decision: size and modification time decide, and it is said.
        let mut b = rec("/r/b.csv", Some("cc"), 5, "2020-01-01T00:00:00+00:00", 2);
        d.apply(&mut b, t);
        assert_eq!(
            b.tally.review.unwrap(),
            ReviewMark {
                state: ReviewState::Decided,
                by_size_and_modified: true
            }
        );
        let mut later = b.clone();
        d.apply(&mut later, day("2026-03-02"));
        assert_eq!(later.tally.review.unwrap().state, ReviewState::KeepExpired);
        let mut none = rec("/r/c.csv", None, 1, "2020-01-01T00:00:00Z", 3);
        d.apply(&mut none, t);
        assert!(none.decision.is_none());
        assert_eq!(none.tally.review.unwrap().state, ReviewState::Undecided);
        let unused: Vec<String> = d.unused().into_iter().map(|(p, _)| p).collect();
        assert_eq!(unused, ["/r/gone.csv"]);
        // Nothing to compare a version with: it needs a new look.
        let mut d2 = Decisions::parse(FILE).unwrap();
        let mut gone = rec("/r/gone.csv", Some("dd"), 1, "2020-01-01T00:00:00Z", 0);
        d2.apply(&mut gone, t);
        assert!(gone.decision_stale);
    }

    #[test]
    fn bad_files_are_refused_with_the_entry_named() {
        let bad = |entry: &str| {
            let text = format!("{{\"schema_version\": \"1.0\", \"decisions\": [{entry}]}}");
            format!("{:#}", Decisions::parse(&text).expect_err("refused"))
        };
        let e = bad(
            r#"{"path": "/a", "decision": "keep", "reviewer": "k", "date": "2026-01-01", "reason": "x"}"#,
        );
        assert!(e.contains("decision 1 (/a)") && e.contains("until"), "{e}");
        let e =
            bad(r#"{"path": "/a", "decision": "shred", "reviewer": "k", "date": "2026-01-01"}"#);
        assert!(e.contains("shred"), "{e}");
        let e = bad(
            r#"{"path": "/a", "decision": "delete", "reviewer": "k", "date": "2026-01-01", "colour": 1}"#,
        );
        assert!(e.contains("colour"), "{e}");
        let e = bad(r#"{"path": "/a", "decision": "delete", "reviewer": "k", "date": "1 Jan"}"#);
        assert!(e.contains("decision 1"), "{e}");
        // Read as the year 27 by chrono alone.
        let e = bad(
            r#"{"path": "/a", "decision": "keep", "until": "27-1-1", "reason": "x", "reviewer": "k", "date": "2026-01-01"}"#,
        );
        assert!(
            e.contains(r#""until" "27-1-1" is not a date YYYY-MM-DD"#),
            "{e}"
        );
        let two = r#"{"path": "/a", "decision": "delete", "reviewer": "k", "date": "2026-01-01"}"#;
        let e = bad(&format!("{two},{two}"));
        assert!(e.contains("more than one"), "{e}");
        assert!(Decisions::parse(r#"{"schema_version": "2.0", "decisions": []}"#).is_err());
    }
}
