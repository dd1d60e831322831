//! Retention review: which personal data is kept longer than the organisation promised.
//!
//! A policy file (`--policy`, read by [`policy`]) lists periods — `keep = "5y"` from the
//! file's modification time, from a date in its path, or from the date of each record in it —
//! for the files its globs ([`paths`]) and kinds select. Each file record gets a verdict on
//! the as-of day: `overdue`, `due` (its period ends within `due_within`), `keep`, or
//! `no_policy` for a file with findings that no policy covers.
//!
//! # Where things happen
//! * Dates of records come from the readers, which know what a record is: a table row's date
//!   column ([`crate::extract::table`]), a message's `Date:` header, a spreadsheet row's date
//!   cell. They tell the scan's sink through [`crate::extract::Sink::record_date`] and
//!   [`crate::extract::Sink::record_end`]; the sink holds the record's findings ([`Pending`])
//!   until its end, when they take its date. In line-based text the date of the line holding a
//!   finding is looked up as the finding is made ([`LineDates`], [`dates::line_date`]): only
//!   lines with findings are read for dates, once per line.
//! * Verdicts are given in the worker, on the finished record, before its names are masked:
//!   globs match the path as written on disk, relative to the scan root ([`Review::judge`]).
//! * The summary's totals are folded by the writer ([`crate::report::RetentionSummary`]).
//!
//! Dates are looked for only where a policy that dates by content could apply, so a scan
//! without one costs nothing more. [`dates`] is pure and has no dependency above `detect`; the
//! rest works on [`crate::report`] records.

pub(crate) mod dates;
pub(crate) mod paths;
pub(crate) mod policy;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;

use crate::read::FileMeta;
use crate::report::{FileRecord, Finding, FindingDates, Retention, Status, Verdict};
pub(crate) use dates::{Rank, When};
pub(crate) use policy::{Config, From, Period, Policy};

/// A policy file made ready to judge records: in every worker, from the scan's options.
#[derive(Debug, Clone)]
pub(crate) struct Review {
    cfg: Config,
    paths: Vec<paths::Paths>,
    /// The scan's roots as records write paths.
    roots: Vec<String>,
}

/// What the scanner knows to date one input's findings by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Dating {
    /// The modification day of the file (for a member, of the file it is in).
    pub modified: Option<NaiveDate>,
    /// Findings get dates of their own: a policy that dates by content may apply.
    pub content: bool,
}

impl Review {
    pub(crate) fn new(cfg: &Config, roots: &[PathBuf]) -> Review {
        Review {
            cfg: cfg.clone(),
            paths: cfg
                .policies
                .iter()
                .map(|p| paths::Paths::new(&p.paths))
                .collect(),
            roots: roots.iter().map(|r| crate::walk::display(r)).collect(),
        }
    }

    /// How to date the findings of the input recorded as `path` (not yet masked).
    pub(crate) fn dating(&self, path: &str, modified: Option<NaiveDate>) -> Dating {
        let rel = paths::relative(&self.roots, path);
        Dating {
            modified,
            content: self
                .cfg
                .policies
                .iter()
                .zip(&self.paths)
                .any(|(p, m)| p.from == From::Content && m.matches(rel)),
        }
    }

    /// The verdict on a finished record whose path is not yet masked: the first policy whose
    /// paths and kinds both match, or `no_policy` for a file with findings; `None` for a
    /// record nothing applies to.
    pub(crate) fn judge(&self, rec: &FileRecord) -> Option<Retention> {
        let not_a_file = rec.status == Status::Skipped
            && matches!(rec.reason.as_deref(), Some("symlink" | "special_file"));
        let findings = rec.total();
        if not_a_file && findings == 0 {
            return None;
        }
        let rel = paths::relative(&self.roots, &rec.path);
        let policy = self
            .cfg
            .policies
            .iter()
            .zip(&self.paths)
            .find(|(p, m)| {
                m.matches(rel)
                    && (p.kinds.is_empty()
                        || p.kinds.iter().any(|k| rec.counts.contains_key(k.as_str())))
            })
            .map(|(p, _)| p);
        let Some(policy) = policy else {
            return (findings > 0).then(|| bare(Verdict::NoPolicy));
        };
        let facts = Facts {
            rel,
            modified: rec
                .meta
                .as_ref()
                .and_then(modified_day)
                .or(rec.tally.dates.container_modified),
            findings,
            dates: &rec.tally.dates,
        };
        Some(verdict(policy, &facts, self.cfg.as_of, self.cfg.due_within))
    }
}

/// The day of a file's modification time (UTC).
pub(crate) fn modified_day(meta: &FileMeta) -> Option<NaiveDate> {
    dates::iso_day(meta.modified.as_bytes())
}

/// What a verdict is given on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts<'a> {
    /// The path relative to the scan root.
    pub rel: &'a str,
    pub modified: Option<NaiveDate>,
    /// Findings in the record (every one, also beyond the per-file cap).
    pub findings: u64,
    /// The findings that have dates of their own.
    pub dates: &'a FindingDates,
}

/// A retention object with only a verdict.
pub(crate) fn bare(verdict: Verdict) -> Retention {
    Retention {
        policy: None,
        from: None,
        date: None,
        keep_until: None,
        verdict: verdict.as_str().to_string(),
        overdue_days: None,
        findings_overdue: None,
        oldest: None,
        newest: None,
        findings_undated: None,
        fallback: None,
    }
}

/// The verdict of `policy` on a file, on `as_of`. Pure.
pub(crate) fn verdict(
    policy: &Policy,
    f: &Facts<'_>,
    as_of: NaiveDate,
    due_within: Option<Period>,
) -> Retention {
    let day = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    let mut r = Retention {
        policy: Some(policy.id.clone()),
        from: Some(policy.from.as_str().to_string()),
        ..bare(Verdict::Keep)
    };
    let keep = policy.keep;
    let modified_over = f.modified.is_some_and(|m| keep.over(m, as_of));
    let (date, overdue_findings) = match policy.from {
        From::Modified => (f.modified, None),
        From::Path => match dates::path_date(f.rel) {
            Some(d) => (Some(d), None),
            None => {
                r.fallback = Some("modified".into());
                (f.modified, None)
            }
        },
        From::Content => {
            let undated = f.findings.saturating_sub(f.dates.dated());
            let oldest = f.dates.by_day.keys().next().copied();
            r.oldest = day(oldest);
            r.newest = day(f.dates.by_day.keys().next_back().copied());
            r.findings_undated = (undated > 0).then_some(undated);
            if oldest.is_none() {
                r.fallback = Some("modified".into());
            }
            let falls_back = undated > 0 || oldest.is_none();
            let date = match (oldest, f.modified.filter(|_| falls_back)) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let dated_over: u64 = f
                .dates
                .by_day
                .iter()
                .filter(|(d, _)| keep.over(**d, as_of))
                .map(|(_, n)| n)
                .sum();
            let undated_over = if modified_over { undated } else { 0 };
            (date, Some(dated_over + undated_over))
        }
    };
    let Some(date) = date else {
        r.fallback = Some("unknown".into());
        r.findings_overdue = Some(0);
        return r;
    };
    let keep_until = keep.after(date);
    r.date = day(Some(date));
    r.keep_until = day(keep_until);
    let verdict = match keep_until {
        Some(until) if until < as_of => {
            r.overdue_days = Some((as_of - until).num_days());
            Verdict::Overdue
        }
        Some(until)
            if due_within
                .and_then(|w| w.after(as_of))
                .is_some_and(|l| until <= l) =>
        {
            Verdict::Due
        }
        _ => Verdict::Keep,
    };
    r.verdict = verdict.as_str().to_string();
    let overdue = verdict == Verdict::Overdue;
    r.findings_overdue = Some(overdue_findings.unwrap_or(if overdue { f.findings } else { 0 }));
    r
}

/// The findings of the record being read (a table row, a message, a spreadsheet row) that
/// wait for its end to learn its date. Bounded: listed findings (at most the per-file cap),
/// and the findings beyond the cap counted per day.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    record: Option<(NaiveDate, Rank)>,
    /// Index in the record's list, and the date of the finding's line if it has one.
    listed: Vec<(usize, Option<NaiveDate>)>,
    unlisted: BTreeMap<Option<NaiveDate>, u64>,
}

impl Pending {
    /// The record being read has this date (the first of the highest rank counts).
    pub(crate) fn record_date(&mut self, day: NaiveDate, rank: Rank) {
        if self.record.is_none_or(|(_, r)| rank > r) {
            self.record = Some((day, rank));
        }
    }

    /// Finding `index` of the record's list waits, with its line's date.
    pub(crate) fn listed(&mut self, index: usize, own: Option<NaiveDate>) {
        self.listed.push((index, own));
    }

    /// A finding beyond the per-file cap waits, with its line's date.
    pub(crate) fn unlisted(&mut self, own: Option<NaiveDate>) {
        *self.unlisted.entry(own).or_default() += 1;
    }

    /// The record ended: its findings take its date if it had one, else keep their line's;
    /// each dated finding gets `date` and is counted on its day.
    pub(crate) fn end(&mut self, findings: &mut [Finding], dates: &mut FindingDates) {
        let record = self.record.take().map(|(d, _)| d);
        for (i, own) in self.listed.drain(..) {
            let (Some(f), Some(d)) = (findings.get_mut(i), record.or(own)) else {
                continue;
            };
            f.date = Some(d.to_string());
            dates.add(d, 1);
        }
        for (own, n) in std::mem::take(&mut self.unlisted) {
            if let Some(d) = record.or(own) {
                dates.add(d, n);
            }
        }
    }
}

/// The dates of the lines that hold findings in one chunk of text, asked for at increasing
/// offsets: each line is looked at once, and finding its start costs one backward search
/// over the text between two findings.
pub(crate) struct LineDates<'t> {
    text: &'t [u8],
    /// The text's first byte starts a line.
    starts_line: bool,
    modified: Option<NaiveDate>,
    at: usize,
    seen: bool,
    date: Option<NaiveDate>,
}

impl<'t> LineDates<'t> {
    pub(crate) fn new(
        text: &'t str,
        starts_line: bool,
        modified: Option<NaiveDate>,
    ) -> LineDates<'t> {
        LineDates {
            text: text.as_bytes(),
            starts_line,
            modified,
            at: 0,
            seen: false,
            date: None,
        }
    }

    /// The date of the line holding byte `offset`.
    pub(crate) fn date_at(&mut self, offset: usize) -> Option<NaiveDate> {
        let offset = offset.min(self.text.len()).max(self.at);
        let newline = memchr::memrchr(b'\n', &self.text[self.at..offset]).map(|i| self.at + i + 1);
        self.at = offset;
        if self.seen && newline.is_none() {
            return self.date;
        }
        self.seen = true;
        let start = newline.or(self.starts_line.then_some(0));
        self.date = start.and_then(|s| {
            let end = (s + dates::LINE_SCAN).min(self.text.len());
            let end = memchr::memchr(b'\n', &self.text[s..end]).map_or(end, |i| s + i);
            dates::line_date(&self.text[s..end], self.modified)
        });
        self.date
    }
}

#[cfg(test)]
mod tests;
