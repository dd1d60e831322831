//! What a retention review adds to the inventory besides each record's `retention` object
//! ([`super::Retention`], shared with the report writers): the verdicts, the dates gathered
//! while a file is read, and the summary's totals. The verdicts are given by
//! [`crate::retain`] in the worker; here they are data and their fold.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::Retention;

/// A file's standing against its policy on the as-of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Past its period (for dates from content: some record is).
    Overdue,
    /// Its period ends within the policy file's `due_within`.
    Due,
    Keep,
    /// It holds personal data and no policy applies to it.
    NoPolicy,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Overdue => "overdue",
            Verdict::Due => "due",
            Verdict::Keep => "keep",
            Verdict::NoPolicy => "no_policy",
        }
    }
}

/// The dates of a record's findings, gathered while it is read (not in the inventory).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingDates {
    /// Findings per day of their own (days are bounded by [`crate::retain::dates::YEARS`],
    /// so this map is too).
    pub by_day: BTreeMap<NaiveDate, u64>,
    /// A member's container's modification day: what its undated findings fall back to.
    pub container_modified: Option<NaiveDate>,
}

impl FindingDates {
    pub fn add(&mut self, day: NaiveDate, n: u64) {
        *self.by_day.entry(day).or_default() += n;
    }

    pub fn dated(&self) -> u64 {
        self.by_day.values().sum()
    }
}

/// The summary's `retention` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionSummary {
    /// The day verdicts were given for.
    pub as_of: NaiveDate,
    /// Files per verdict.
    pub overdue: u64,
    pub due: u64,
    pub keep: u64,
    pub no_policy: u64,
    pub findings_overdue: u64,
    pub by_policy: BTreeMap<String, PolicyTotals>,
}

/// One policy's totals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyTotals {
    /// Files it applies to, and of those per verdict.
    pub files: u64,
    pub overdue: u64,
    pub due: u64,
    pub keep: u64,
    /// Findings in its files, and those past their period.
    pub findings: u64,
    pub findings_overdue: u64,
    /// Bytes of its files on disk (members of containers count in their container), and of
    /// its overdue files.
    pub bytes: u64,
    pub bytes_overdue: u64,
}

impl RetentionSummary {
    /// A section listing every policy, also those that applied to nothing.
    pub fn new<'a>(as_of: NaiveDate, ids: impl IntoIterator<Item = &'a str>) -> RetentionSummary {
        RetentionSummary {
            as_of,
            overdue: 0,
            due: 0,
            keep: 0,
            no_policy: 0,
            findings_overdue: 0,
            by_policy: ids
                .into_iter()
                .map(|id| (id.to_string(), PolicyTotals::default()))
                .collect(),
        }
    }

    /// Adds another part's totals (a shard of the same scan, with the same policy file).
    pub fn absorb(&mut self, o: &RetentionSummary) {
        self.overdue += o.overdue;
        self.due += o.due;
        self.keep += o.keep;
        self.no_policy += o.no_policy;
        self.findings_overdue += o.findings_overdue;
        for (id, p) in &o.by_policy {
            let q = self.by_policy.entry(id.clone()).or_default();
            q.files += p.files;
            q.overdue += p.overdue;
            q.due += p.due;
            q.keep += p.keep;
            q.findings += p.findings;
            q.findings_overdue += p.findings_overdue;
            q.bytes += p.bytes;
            q.bytes_overdue += p.bytes_overdue;
        }
    }

    /// Adds a file's verdict `r`, its `findings` and the `bytes` of its evidence.
    pub fn add(&mut self, r: &Retention, findings: u64, bytes: u64) {
        let overdue = r.findings_overdue.unwrap_or(0);
        match r.verdict.as_str() {
            "overdue" => self.overdue += 1,
            "due" => self.due += 1,
            "keep" => self.keep += 1,
            _ => self.no_policy += 1,
        }
        self.findings_overdue += overdue;
        let Some(id) = &r.policy else { return };
        let p = self.by_policy.entry(id.clone()).or_default();
        p.files += 1;
        p.findings += findings;
        p.findings_overdue += overdue;
        p.bytes += bytes;
        match r.verdict.as_str() {
            "overdue" => {
                p.overdue += 1;
                p.bytes_overdue += bytes;
            }
            "due" => p.due += 1,
            "keep" => p.keep += 1,
            _ => {}
        }
    }
}
