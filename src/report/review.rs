//! What a review adds to a record: the reviewer's decision on the file (see `review::decisions`
//! for the decisions file and how it is applied), and the retention verdict in the shape a
//! `--policy` scan writes it. Only the types live here, so that every writer can show them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What a reviewer decided about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// To be deleted.
    Delete,
    /// Has been deleted (the decision stays on record while copies turn up).
    Deleted,
    /// The personal data has been removed or replaced.
    Anonymised,
    /// Kept on purpose, until `until`, for `reason`.
    Keep,
    /// The findings are not personal data.
    FalsePositive,
}

impl DecisionKind {
    pub const ALL: [DecisionKind; 5] = [
        DecisionKind::Delete,
        DecisionKind::Deleted,
        DecisionKind::Anonymised,
        DecisionKind::Keep,
        DecisionKind::FalsePositive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Delete => "delete",
            DecisionKind::Deleted => "deleted",
            DecisionKind::Anonymised => "anonymised",
            DecisionKind::Keep => "keep",
            DecisionKind::FalsePositive => "false_positive",
        }
    }
}

/// One decision on one version of a file: in the decisions file (with the file's path) and,
/// after a scan with `--decisions`, in the file's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub decision: DecisionKind,
    /// `keep`: the last day the file may be kept; after it the file is undecided again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
    /// `keep`: why the file is kept (required for `keep`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub reviewer: String,
    /// The day of the decision.
    pub date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The version decided on: the record's `content_hash` when the inventory had one...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    /// ...and its size and modification time (compared when either side has no hash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
}

impl Decision {
    /// A `keep` whose `until` has passed no longer decides anything.
    pub fn expired(&self, today: NaiveDate) -> bool {
        self.decision == DecisionKind::Keep && self.until.is_some_and(|u| u < today)
    }
}

/// Where a record stands with the decisions of a `--decisions` scan (for the summary only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// No findings and no decision: nothing to decide.
    Nothing,
    /// A current decision applies.
    Decided,
    /// Findings and no decision.
    Undecided,
    /// A `keep` whose `until` has passed: undecided again.
    KeepExpired,
    /// A decision exists, but the file changed since.
    Stale,
}

/// A record's [`ReviewState`], and whether its version was compared by size and modification
/// time for want of a content hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewMark {
    pub state: ReviewState,
    pub by_size_and_modified: bool,
}

/// The summary's `decisions` block.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DecisionCounts {
    pub decided: u64,
    pub undecided: u64,
    pub stale: u64,
    /// Of the undecided: files kept with an `until` that has passed.
    pub keep_expired: u64,
    /// Files whose version was compared by size and modification time, because the inventory
    /// or the decision has no content hash.
    pub compared_by_size_and_modified: u64,
}

/// A record's retention verdict, as `--policy` writes it (every field but `verdict` optional,
/// so that records from any version of that feature are read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retention {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_until: Option<String>,
    /// `overdue`, `due`, `keep` or `no_policy`.
    pub verdict: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overdue_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings_overdue: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest: Option<String>,
    /// `from = "content"`: findings with no date of their own, judged by the modification
    /// time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings_undated: Option<u64>,
    /// Where `date` came from when not from where the policy said: `modified` (no date in
    /// the path, no dated record) or `unknown` (no date at all: judged `keep`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
}
