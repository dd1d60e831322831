//! The CI gate: scan what a change adds, decide per finding whether it fails, and say why not
//! when it does not.
//!
//! Content comes from [`crate::source::git`] (the index, a range, every commit, or the tracked
//! tree), is scanned by the ordinary [`Scanner`] (so office files, archives and encodings are
//! read exactly as in an inventory; blobs are read from git in order and scanned in parallel,
//! a bounded batch at a time), and each finding gets a [`Verdict`]. Every suppression is
//! keyed on content, never on a line number: a `kartlegg:allow` comment on the finding's line
//! or the line above, a `.kartleggignore` path pattern, or a baseline entry matching the
//! value's fingerprint in that path. The reporters in [`crate::report`] turn the hits into
//! SARIF, GitHub annotations or one line each.

pub mod baseline;
pub mod lines;
pub mod sarif;

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context, Result};
use chrono::NaiveDate;

use crate::detect::Confidence;
use crate::read::sniff::{self, Sniffed};
use crate::report::{Finding, Status};
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
}

/// What fails.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub fail_on: Confidence,
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
            // Text files count only their added lines; other formats are scanned whole.
            let added = match (&text, &ch.old) {
                (Some(new), Some(old)) => {
                    let old = blobs.get(old)?;
                    let old = as_text(&old).unwrap_or_default();
                    Some(git::added_lines(&old, new).into_iter().collect())
                }
                _ => None,
            };
            batch_bytes += data.len();
            batch.push(Loaded {
                path: &ch.path,
                data,
                text,
                added,
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
        let scanned = self.blobs.scan(&items)?;
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
                    let line = f.location.line;
                    if let (true, Some(added), Some(line)) = (top, &l.added, line) {
                        if !added.contains(&line) {
                            continue;
                        }
                    }
                    if let Some(seen) = seen.as_deref_mut() {
                        if !seen.insert((rec.path.clone(), f.fingerprint.clone())) {
                            continue;
                        }
                    }
                    let inline = top && line.is_some_and(|n| allowed_inline(&lines, n));
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
        if f.confidence < self.policy.fail_on {
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
    /// For a modified text file, the lines it adds; `None` means all of it counts.
    added: Option<HashSet<u64>>,
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
