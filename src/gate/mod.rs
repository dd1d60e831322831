//! The CI gate: scan what a change adds, decide per finding whether it fails, and say why not
//! when it does not.
//!
//! Content comes from [`crate::source::git`] (the index, a range, every commit, or the tracked
//! tree), is scanned by the ordinary [`Scanner`] (so office files, archives and encodings are
//! read exactly as in an inventory; blobs are read from git in order and scanned in parallel,
//! a bounded batch at a time), and each finding gets a [`Verdict`]. Of a modified text file —
//! source, CSV, JSON, an SQL dump, YAML, XML — only what the change adds counts: findings on
//! added lines (compared without whitespace, as a multiset), and of those only the values the
//! new version holds more often than the old, so a reformatted JSON file or a dump whose
//! one-line `INSERT` gained a row adds only what is new. Every suppression is
//! keyed on content, never on a line number: a `kartlegg:allow` comment on the finding's line
//! or the line above, a `.kartleggignore` path pattern, or a baseline entry matching the
//! value's fingerprint in that path. The reporters in [`crate::report`] turn the hits into
//! SARIF, GitHub annotations or one line each.

pub mod baseline;
pub mod lines;
pub mod sarif;
pub mod target;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result};
use chrono::NaiveDate;

use crate::config::FailOn;
use crate::extract::Location;
use crate::read::sniff::{self, Sniffed};
use crate::report::{FileRecord, Finding, Status};
use crate::scan::Blobs;
use crate::source::git::{self, Change, Repo};

use baseline::{Baseline, Entry};

/// The comment that allows the findings on its line and on the line below it.
pub const ALLOW_MARKER: &str = "kartlegg:allow";
/// Path patterns (gitignore syntax) never scanned, at the repository root.
pub const IGNORE_FILE: &str = ".kartleggignore";

/// What to scan in the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The index against `HEAD`: what the next commit adds.
    Staged,
    /// What a range adds (`BASE..HEAD`, `BASE...HEAD` or `BASE`).
    Diff(String),
    /// Every commit of a rev-list range; each finding at the commit that introduced it.
    History(String),
    /// Every file tracked at a revision, whole.
    Tracked(String),
}

impl Source {
    /// Whether the scan sees all the repository's content, so that a baseline entry matching
    /// nothing is really stale.
    pub fn complete(&self) -> bool {
        matches!(self, Source::History(_) | Source::Tracked(_))
    }

    /// The command-line option that asks for this source (none for `--tracked` at `HEAD`,
    /// what `baseline add` scans by default).
    pub fn cli_flag(&self) -> Option<String> {
        use target::shell_quote;
        match self {
            Source::Staged => Some("--staged".into()),
            Source::Diff(r) => Some(format!("--diff {}", shell_quote(r))),
            Source::History(r) if r == "HEAD" => Some("--history".into()),
            Source::History(r) => Some(shell_quote(&format!("--history={r}"))),
            Source::Tracked(r) if r == "HEAD" => None,
            Source::Tracked(r) => Some(shell_quote(&format!("--tracked={r}"))),
        }
    }
}

/// What fails.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The level at which a finding fails, per kind.
    pub fail_on: FailOn,
    pub fail_on_synthetic: bool,
}

/// Why a finding does or does not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Fail,
    /// Below `--fail-on`.
    BelowThreshold,
    /// A synthetic test number, and `--fail-on-synthetic` is off.
    Synthetic,
    /// A `kartlegg:allow` comment.
    InlineAllow,
    /// A baseline entry that has not expired.
    Baseline,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Fail => "fail",
            Verdict::BelowThreshold => "below_threshold",
            Verdict::Synthetic => "synthetic",
            Verdict::InlineAllow => "inline_allow",
            Verdict::Baseline => "baseline",
        }
    }
}

/// One finding in a scanned change.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The record's path: the repository path, with `!/member` for archive members.
    pub path: String,
    /// The repository file it is in.
    pub file: String,
    /// The commit that introduced it (`--history`).
    pub commit: Option<String>,
    pub finding: Finding,
    pub verdict: Verdict,
}

/// A file or member whose content could not be read completely.
#[derive(Debug, Clone)]
pub struct Unscanned {
    pub path: String,
    pub status: Status,
    pub reason: String,
    pub commit: Option<String>,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub hits: Vec<Hit>,
    pub unscanned: Vec<Unscanned>,
    /// Files skipped by `.kartleggignore`.
    pub ignored: u64,
    pub files: u64,
    /// Baseline entries that matched nothing (only when the scan was complete).
    pub stale: Vec<Entry>,
    /// Baseline entries that matched but had expired.
    pub expired: Vec<Entry>,
}

impl Outcome {
    pub fn failing(&self) -> usize {
        self.hits
            .iter()
            .filter(|h| h.verdict == Verdict::Fail)
            .count()
    }
}

/// `.kartleggignore` at the repository root, if there is one, and `--exclude` patterns (in the
/// same gitignore syntax).
pub fn load_ignore(root: &Path, exclude: &[String]) -> Result<ignore::gitignore::Gitignore> {
    let mut b = ignore::gitignore::GitignoreBuilder::new(root);
    let file = root.join(IGNORE_FILE);
    if file.exists() {
        if let Some(e) = b.add(&file) {
            return Err(e).with_context(|| format!("bad pattern in {}", file.display()));
        }
    }
    for pattern in exclude {
        b.add_line(None, pattern)
            .with_context(|| format!("bad --exclude pattern {pattern:?}"))?;
    }
    b.build()
        .with_context(|| format!("bad pattern in {}", file.display()))
}

/// Everything a gate run needs.
pub struct Gate<'a, 'b> {
    pub repo: &'a Repo,
    pub blobs: &'a Blobs<'b>,
    pub policy: Policy,
    pub baseline: Option<&'a Baseline>,
    pub ignore: &'a ignore::gitignore::Gitignore,
    /// Blobs larger than this are listed as unscanned instead of read.
    pub max_file_size: Option<u64>,
    pub today: NaiveDate,
    /// Only files under these targets are scanned (none: every file).
    pub only: &'a [target::Target],
}

impl Gate<'_, '_> {
    pub fn run(&self, source: &Source) -> Result<Outcome> {
        let mut out = Outcome::default();
        let mut used = HashSet::new();
        let mut blobs = self.repo.blobs()?;
        match source {
            Source::Staged => self.changes(
                &mut blobs,
                &self.repo.staged()?,
                None,
                None,
                &mut used,
                &mut out,
            )?,
            Source::Diff(range) => self.changes(
                &mut blobs,
                &self.repo.diff(range)?,
                None,
                None,
                &mut used,
                &mut out,
            )?,
            Source::Tracked(rev) => self.changes(
                &mut blobs,
                &self.repo.tracked(rev)?,
                None,
                None,
                &mut used,
                &mut out,
            )?,
            Source::History(range) => {
                // A value is reported once per path: at the first commit that added it there.
                let mut seen = HashSet::new();
                for c in self.repo.history(range)? {
                    self.changes(
                        &mut blobs,
                        &c.changes,
                        Some(&c.commit),
                        Some(&mut seen),
                        &mut used,
                        &mut out,
                    )?;
                }
            }
        }
        if let (Some(b), true) = (self.baseline, source.complete()) {
            out.stale = b.stale(&used).cloned().collect();
        }
        Ok(out)
    }

    /// Loads the changed blobs (git is read in order, by one process), scans them in parallel
    /// a batch at a time, then judges the findings in change order so output is deterministic.
    fn changes(
        &self,
        blobs: &mut git::Blobs,
        changes: &[Change],
        commit: Option<&str>,
        mut seen: Option<&mut HashSet<(String, String)>>,
        used: &mut HashSet<usize>,
        out: &mut Outcome,
    ) -> Result<()> {
        let mut batch: Vec<Loaded> = Vec::new();
        let mut batch_bytes = 0;
        for ch in changes {
            // The baseline is fingerprints and a key: hex that could pass for numbers.
            if ch.path == baseline::FILE_NAME {
                continue;
            }
            // A pure rename or mode change adds no content.
            if ch.old.as_deref() == Some(ch.new.as_str()) {
                continue;
            }
            if self
                .ignore
                .matched_path_or_any_parents(&ch.path, false)
                .is_ignore()
            {
                out.ignored += 1;
                continue;
            }
            if !self.only.is_empty() {
                let shown = self.blobs.mask_name(&ch.path);
                if !self.only.iter().any(|t| t.needs_file(&shown)) {
                    continue;
                }
            }
            out.files += 1;
            let data = blobs.get(&ch.new)?;
            if let Some(max) = self.max_file_size.filter(|&m| data.len() as u64 > m) {
                out.unscanned.push(Unscanned {
                    path: self.blobs.mask_name(&ch.path),
                    status: Status::Skipped,
                    reason: format!(
                        "too_large: {} bytes is over --max-file-size {max}",
                        data.len()
                    ),
                    commit: commit.map(str::to_string),
                });
                continue;
            }
            let text = as_text(&data);
            // Text files count only what they add; other formats are scanned whole.
            let old = match (&text, &ch.old) {
                (Some(new), Some(old)) => {
                    let data = blobs.get(old)?;
                    let added = git::added_lines(&as_text(&data).unwrap_or_default(), new);
                    Some(Old {
                        data,
                        added: added.into_iter().collect(),
                    })
                }
                _ => None,
            };
            batch_bytes += data.len() + old.as_ref().map_or(0, |o| o.data.len());
            batch.push(Loaded {
                path: &ch.path,
                data,
                text,
                old,
            });
            if batch_bytes >= BATCH_BYTES {
                self.judge(
                    std::mem::take(&mut batch),
                    commit,
                    seen.as_deref_mut(),
                    used,
                    out,
                )?;
                batch_bytes = 0;
            }
        }
        self.judge(batch, commit, seen, used, out)
    }

    fn judge(
        &self,
        batch: Vec<Loaded>,
        commit: Option<&str>,
        mut seen: Option<&mut HashSet<(String, String)>>,
        used: &mut HashSet<usize>,
        out: &mut Outcome,
    ) -> Result<()> {
        let items: Vec<(&str, &[u8])> = batch.iter().map(|l| (l.path, &l.data[..])).collect();
        let mut scanned = self.blobs.scan(&items)?;
        self.keep_added(&batch, &mut scanned, seen.as_deref())?;
        for (l, recs) in batch.iter().zip(scanned) {
            let lines: Vec<&str> = l
                .text
                .as_deref()
                .map(|t| t.lines().collect())
                .unwrap_or_default();
            // The blob's own record comes first; its path is the repository path, masked.
            let file = recs.first().map_or_else(String::new, |r| r.path.clone());
            for (i, rec) in recs.into_iter().enumerate() {
                let top = i == 0;
                if rec.content_unread() {
                    out.unscanned.push(Unscanned {
                        path: rec.path.clone(),
                        status: rec.status,
                        reason: rec.reason.clone().unwrap_or_default(),
                        commit: commit.map(str::to_string),
                    });
                }
                for f in rec.findings {
                    if let Some(seen) = seen.as_deref_mut() {
                        if !seen.insert((rec.path.clone(), f.fingerprint.clone())) {
                            continue;
                        }
                    }
                    let line = file_line(&f.location).filter(|_| top);
                    let inline = line.is_some_and(|n| allowed_inline(&lines, n));
                    let verdict = self.verdict(&rec.path, &f, inline, used, out);
                    out.hits.push(Hit {
                        path: rec.path.clone(),
                        file: file.clone(),
                        commit: commit.map(str::to_string),
                        finding: f,
                        verdict,
                    });
                }
            }
        }
        Ok(())
    }

    /// Leaves in the record of each modified text file only the findings its change adds:
    /// those on added lines (or with no line of the file), and of those only as many of a
    /// value as the new version has more than the old — so a reformatted file, or a dump
    /// that rewrote a line of a hundred rows to add one, adds only what is new. The old
    /// version is scanned only when something is left to compare.
    fn keep_added(
        &self,
        batch: &[Loaded],
        scanned: &mut [Vec<FileRecord>],
        seen: Option<&HashSet<(String, String)>>,
    ) -> Result<()> {
        let mut compare = Vec::new();
        for (i, (l, recs)) in batch.iter().zip(scanned.iter_mut()).enumerate() {
            let (Some(old), Some(top)) = (&l.old, recs.first_mut()) else {
                continue;
            };
            let totals = value_counts(&top.findings);
            let path = top.path.clone();
            top.findings.retain(|f| {
                file_line(&f.location).is_none_or(|n| old.added.contains(&n))
                    && seen.is_none_or(|s| !s.contains(&(path.clone(), f.fingerprint.clone())))
            });
            if !top.findings.is_empty() {
                compare.push((i, totals));
            }
        }
        if compare.is_empty() {
            return Ok(());
        }
        let items: Vec<(&str, &[u8])> = compare
            .iter()
            .filter_map(|&(i, _)| Some((batch[i].path, &batch[i].old.as_ref()?.data[..])))
            .collect();
        let olds = self.blobs.scan(&items)?;
        for ((i, totals), old) in compare.into_iter().zip(olds) {
            let before = old
                .first()
                .map(|r| value_counts(&r.findings))
                .unwrap_or_default();
            // How many of each value this change adds.
            let mut new: HashMap<(&str, String), usize> = totals
                .into_iter()
                .map(|(v, n)| {
                    let had = before.get(&v).copied().unwrap_or(0);
                    (v, n.saturating_sub(had))
                })
                .collect();
            scanned[i][0].findings.retain(|f| {
                match new.get_mut(&(f.kind, f.fingerprint.clone())) {
                    Some(n) if *n > 0 => {
                        *n -= 1;
                        true
                    }
                    _ => false,
                }
            });
        }
        Ok(())
    }

    fn verdict(
        &self,
        path: &str,
        f: &Finding,
        inline: bool,
        used: &mut HashSet<usize>,
        out: &mut Outcome,
    ) -> Verdict {
        let entry = self
            .baseline
            .and_then(|b| b.find(path, &f.fingerprint).map(|i| (i, &b.entries[i])));
        let mut baselined = false;
        if let Some((i, e)) = entry {
            used.insert(i);
            if e.expired(self.today) {
                if !out.expired.contains(e) {
                    out.expired.push(e.clone());
                }
            } else {
                baselined = true;
            }
        }
        if f.confidence < self.policy.fail_on.level(f.kind) {
            Verdict::BelowThreshold
        } else if f.synthetic && !self.policy.fail_on_synthetic {
            Verdict::Synthetic
        } else if inline {
            Verdict::InlineAllow
        } else if baselined {
            Verdict::Baseline
        } else {
            Verdict::Fail
        }
    }
}

/// Blob bytes held in memory at once before a batch is scanned.
const BATCH_BYTES: usize = 64 << 20;

/// A changed file, read from git and ready to scan.
struct Loaded<'c> {
    path: &'c str,
    data: Vec<u8>,
    /// The content decoded, when it is text.
    text: Option<String>,
    /// For a modified text file, what it was; `None` means all of it counts.
    old: Option<Old>,
}

/// The version a text file had before the change.
struct Old {
    data: Vec<u8>,
    /// The 1-based lines of the new version that this one does not have.
    added: HashSet<u64>,
}

/// How often each value (kind and fingerprint) occurs among findings.
fn value_counts(findings: &[Finding]) -> HashMap<(&'static str, String), usize> {
    let mut m = HashMap::new();
    for f in findings {
        *m.entry((f.kind, f.fingerprint.clone())).or_default() += 1;
    }
    m
}

/// The line of the file itself a finding is on: not a line inside an e-mail part, a page or
/// a document part, which a diff, an annotation or a SARIF region would take for the file's.
pub fn file_line(l: &Location) -> Option<u64> {
    let inside = l.message.is_some()
        || l.part.is_some()
        || l.page.is_some()
        || l.sheet.is_some()
        || l.cell.is_some();
    l.line.filter(|_| !inside)
}

/// The content as text, when it sniffs as text (any encoding the text extractor reads).
fn as_text(data: &[u8]) -> Option<String> {
    match sniff::sniff(&data[..data.len().min(sniff::HEAD)]) {
        Sniffed::Text { encoding, .. } => Some(encoding.decode(data).0.into_owned()),
        _ => None,
    }
}

/// Whether line `line` (1-based) or the one above it carries the allow marker.
fn allowed_inline(lines: &[&str], line: u64) -> bool {
    let i = line as usize;
    [i, i.saturating_sub(1)]
        .iter()
        .filter(|&&n| n >= 1)
        .filter_map(|&n| lines.get(n - 1))
        .any(|l| l.contains(ALLOW_MARKER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_marker_covers_its_line_and_the_next() {
        let lines = ["a", "# kartlegg:allow", "b", "c kartlegg:allow", "d"];
        assert!(!allowed_inline(&lines, 1));
        assert!(allowed_inline(&lines, 2));
        assert!(allowed_inline(&lines, 3));
        assert!(allowed_inline(&lines, 4));
        assert!(allowed_inline(&lines, 5));
        assert!(!allowed_inline(&lines, 9));
    }
}
