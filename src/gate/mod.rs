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
//! value's fingerprint in that path. The writers in [`lines`] and [`sarif`] turn the hits into
//! SARIF, GitHub annotations or one line each.
//!
//! What cannot be read is [`Unscanned`] with its reason — a blob missing from a partial or
//! damaged clone, an LFS object that is not here, a file over a limit — and the run goes on.
//! Memory is bounded by design: a batch holds at most 32 MiB of blobs, and a blob over 8 MiB
//! is written to a temporary file with no name on disk ([`Spooled`]), which a worker opens
//! through `/proc` and reads like any file.

pub(crate) mod baseline;
pub(crate) mod lines;
pub(crate) mod sarif;
pub(crate) mod target;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result};
use chrono::NaiveDate;

use crate::config::FailOn;
use crate::detect::Confidence;
use crate::extract::Location;
use crate::read::sniff::{self, Sniffed};
use crate::report::{FileRecord, Finding, Status};
use crate::scan::{BlobInput, Blobs};
use crate::source::git::{self, Change, Repo};

use baseline::{Baseline, Entry};

/// The comment that allows the findings on its line and on the line below it.
pub(crate) const ALLOW_MARKER: &str = "kartlegg:allow";
/// Path patterns (gitignore syntax) never scanned, at the repository root.
pub(crate) const IGNORE_FILE: &str = ".kartleggignore";

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
pub(crate) struct Policy {
    /// The level at which a finding fails, per kind.
    pub fail_on: FailOn,
    pub fail_on_synthetic: bool,
}

/// Why a finding does or does not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
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
    pub(crate) fn as_str(self) -> &'static str {
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
pub(crate) struct Hit {
    /// The record's path: the repository path, with `!/member` for archive members.
    pub path: String,
    /// The repository file it is in.
    pub file: String,
    /// The commit that introduced it (`--history`).
    pub commit: Option<String>,
    pub finding: Finding,
    pub verdict: Verdict,
}

impl Hit {
    /// The line of the repository file the finding is on: none for a member of an archive
    /// (its line is the member's, not the file's) or a place inside a document.
    pub(crate) fn file_line(&self) -> Option<u64> {
        file_line(&self.finding.location).filter(|_| self.path == self.file)
    }

    /// The member of an archive the finding is in, if it is in one.
    pub(crate) fn member(&self) -> Option<&str> {
        self.path
            .strip_prefix(self.file.as_str())
            .and_then(|m| m.strip_prefix("!/"))
    }
}

/// A file or member whose content could not be read completely.
#[derive(Debug, Clone)]
pub(crate) struct Unscanned {
    pub path: String,
    pub status: Status,
    pub reason: String,
    pub commit: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Outcome {
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
    pub(crate) fn failing(&self) -> usize {
        self.hits
            .iter()
            .filter(|h| h.verdict == Verdict::Fail)
            .count()
    }
}

/// `.kartleggignore` at the repository root, if there is one, and `--exclude` patterns (in the
/// same gitignore syntax).
pub(crate) fn load_ignore(root: &Path, exclude: &[String]) -> Result<ignore::gitignore::Gitignore> {
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
pub(crate) struct Gate<'a, 'b> {
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
    /// Findings below this are not reported; they still match baseline entries, so an entry
    /// is stale only when its value is found at no confidence at all (as `baseline update`
    /// sees it). The blobs are scanned down to the lowest confidence when there is a baseline.
    pub report_from: Confidence,
}

/// The state of one gate run as it goes through the changes.
struct Run {
    blobs: git::Blobs,
    /// Baseline entries that matched something.
    used: HashSet<usize>,
    /// `--history`: the values already reported, per path.
    seen: Option<HashSet<(String, String)>>,
    out: Outcome,
}

impl Gate<'_, '_> {
    pub(crate) fn run(&self, source: &Source) -> Result<Outcome> {
        let mut run = Run {
            blobs: self.repo.blobs()?,
            used: HashSet::new(),
            seen: None,
            out: Outcome::default(),
        };
        match source {
            Source::Staged => self.changes(&mut run, &self.repo.staged()?, None)?,
            Source::Diff(range) => self.changes(&mut run, &self.repo.diff(range)?, None)?,
            Source::Tracked(rev) => self.changes(&mut run, &self.repo.tracked(rev)?, None)?,
            Source::History(range) => {
                // A value is reported once per path: at the first commit that added it there.
                run.seen = Some(HashSet::new());
                for c in self.repo.history(range)? {
                    self.changes(&mut run, &c.changes, Some(&c.commit))?;
                }
            }
        }
        let mut out = run.out;
        if let (Some(b), true) = (self.baseline, source.complete()) {
            out.stale = b.stale(&run.used).cloned().collect();
        }
        Ok(out)
    }

    /// Loads the changed blobs (git is read in order, by one process), scans them in parallel
    /// a batch at a time, then judges the findings in change order so output is deterministic.
    fn changes(&self, run: &mut Run, changes: &[Change], commit: Option<&str>) -> Result<()> {
        let wanted: Vec<&Change> = changes.iter().filter(|ch| self.wanted(ch, run)).collect();
        let ids: Vec<&str> = wanted
            .iter()
            .flat_map(|ch| std::iter::once(ch.new.as_str()).chain(ch.old.as_deref()))
            .collect();
        self.repo.prefetch(&ids)?;
        let mut batch: Vec<Loaded> = Vec::new();
        let mut batch_bytes = 0;
        for ch in wanted {
            run.out.files += 1;
            let Some(l) = self.load(run, ch, commit)? else {
                continue;
            };
            batch_bytes += l.content.held() + l.old.as_ref().map_or(0, |o| o.content.held());
            batch.push(l);
            if batch_bytes >= BATCH_BYTES {
                self.judge(run, std::mem::take(&mut batch), commit)?;
                batch_bytes = 0;
            }
        }
        self.judge(run, batch, commit)
    }

    /// Whether a change is scanned at all (counting the ignored ones).
    fn wanted(&self, ch: &Change, run: &mut Run) -> bool {
        // The baseline is fingerprints and a key: hex that could pass for numbers.
        // A pure rename or mode change adds no content.
        if ch.path == baseline::FILE_NAME || ch.old.as_deref() == Some(ch.new.as_str()) {
            return false;
        }
        if self
            .ignore
            .matched_path_or_any_parents(&ch.path, false)
            .is_ignore()
        {
            run.out.ignored += 1;
            return false;
        }
        if self.only.is_empty() {
            return true;
        }
        let shown = self.blobs.mask_name(&ch.path);
        self.only.iter().any(|t| t.needs_file(&shown))
    }

    /// Reads a changed file (and, for text, what it was), or says why it cannot be read.
    fn load<'c>(
        &self,
        run: &mut Run,
        ch: &'c Change,
        commit: Option<&str>,
    ) -> Result<Option<Loaded<'c>>> {
        let unscanned = |run: &mut Run, status, reason: String| {
            run.out.unscanned.push(Unscanned {
                path: self.blobs.mask_name(&ch.path),
                status,
                reason,
                commit: commit.map(str::to_string),
            });
        };
        let (size, blob) = self.fetch(run, &ch.new)?;
        let mut content = match blob {
            git::Blob::Memory(d) => Content::Memory(d),
            git::Blob::Spooled(f) => Content::File(Spooled::new(f)),
            git::Blob::Skipped => {
                unscanned(run, Status::Skipped, self.too_large(size));
                return Ok(None);
            }
            git::Blob::Missing => {
                unscanned(run, Status::Error, MISSING.into());
                return Ok(None);
            }
        };
        // A Git LFS pointer: the content is the LFS object, if this clone has it.
        let lfs = content.memory().and_then(git::lfs_pointer);
        if let Some((oid, size)) = &lfs {
            let size = *size;
            if self.max_file_size.is_some_and(|m| size > m) {
                unscanned(run, Status::Skipped, self.too_large(size));
                return Ok(None);
            }
            let Some(object) = self.repo.lfs_object(oid) else {
                unscanned(run, Status::Skipped, LFS_MISSING.into());
                return Ok(None);
            };
            let mut spool = git::spool_file()?;
            std::fs::File::open(&object)
                .and_then(|mut f| std::io::copy(&mut f, &mut spool))
                .with_context(|| format!("cannot copy {}", object.display()))?;
            content = Content::File(Spooled::new(spool));
        }
        let text = content.memory().and_then(as_text);
        // LFS content and binary formats are scanned whole; text counts what it adds.
        let old = match &ch.old {
            Some(old) if lfs.is_none() && content.is_text() => {
                match self.fetch(run, old)?.1 {
                    git::Blob::Memory(d) => Some(Old {
                        added: text
                            .as_deref()
                            .map(|new| git::added_lines(&as_text(&d).unwrap_or_default(), new))
                            .map(|a| a.into_iter().collect()),
                        content: Content::Memory(d),
                    }),
                    git::Blob::Spooled(f) => Some(Old {
                        content: Content::File(Spooled::new(f)),
                        added: None,
                    }),
                    // Without the old version all of the new one counts: fail closed.
                    git::Blob::Skipped | git::Blob::Missing => None,
                }
            }
            _ => None,
        };
        Ok(Some(Loaded {
            path: &ch.path,
            content,
            text,
            old,
        }))
    }

    /// A blob, in memory or (when large) in an unlinked temporary file; one over
    /// `--max-file-size` is skipped.
    fn fetch(&self, run: &mut Run, id: &str) -> Result<(u64, git::Blob)> {
        let max = self.max_file_size;
        run.blobs.fetch(id, |size| {
            if max.is_some_and(|m| size > m) {
                git::Want::Skip
            } else if size > IN_MEMORY {
                git::Want::Spool
            } else {
                git::Want::Memory
            }
        })
    }

    fn too_large(&self, size: u64) -> String {
        format!(
            "too_large: {size} bytes is over --max-file-size {}",
            self.max_file_size.unwrap_or_default()
        )
    }

    fn judge(&self, run: &mut Run, batch: Vec<Loaded>, commit: Option<&str>) -> Result<()> {
        let items: Vec<(&str, BlobInput)> =
            batch.iter().map(|l| (l.path, l.content.input())).collect();
        let mut scanned = self.blobs.scan(&items)?;
        self.keep_added(&batch, &mut scanned, run.seen.as_ref())?;
        for (l, recs) in batch.iter().zip(scanned) {
            // The lines that hold an allow comment; of a blob too large to hold, read from its
            // file only when it has findings of its own.
            let marked: HashSet<u64> = match (&l.text, &l.content) {
                (Some(t), _) => marked_lines(t.as_bytes()),
                (None, Content::File(f))
                    if recs.first().is_some_and(|r| !r.findings.is_empty()) =>
                {
                    let file = std::fs::File::open(&f.path)
                        .with_context(|| format!("cannot read {} again", l.path))?;
                    marked_lines_in(std::io::BufReader::new(file))
                        .with_context(|| format!("cannot read {} again", l.path))?
                }
                _ => HashSet::new(),
            };
            // The blob's own record comes first; its path is the repository path, masked.
            let file = recs.first().map_or_else(String::new, |r| r.path.clone());
            for (i, rec) in recs.into_iter().enumerate() {
                let top = i == 0;
                if rec.content_unread() {
                    run.out.unscanned.push(Unscanned {
                        path: rec.path.clone(),
                        status: rec.status,
                        reason: rec.reason.clone().unwrap_or_default(),
                        commit: commit.map(str::to_string),
                    });
                }
                for f in rec.findings {
                    if f.confidence < self.report_from {
                        if let Some(b) = self.baseline {
                            run.used.extend(b.find_all(&rec.path, &f.fingerprint));
                        }
                        continue;
                    }
                    if let Some(seen) = &mut run.seen {
                        if !seen.insert((rec.path.clone(), f.fingerprint.clone())) {
                            continue;
                        }
                    }
                    let line = file_line(&f.location).filter(|_| top);
                    let inline = line.is_some_and(|n| allowed_inline(&marked, n));
                    let verdict = self.verdict(&rec.path, &f, inline, &mut run.used, &mut run.out);
                    run.out.hits.push(Hit {
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
                // A table's record is located at the line it starts on, not at its value's:
                // a value changed on a later line of a record over several lines (a quoted
                // CSV field, an SQL tuple) is decided by the counts below alone.
                let record = f.location.row.is_some() || f.location.table.is_some();
                let added = match (&old.added, file_line(&f.location)) {
                    (Some(added), Some(n)) if !record => added.contains(&n),
                    _ => true,
                };
                added && seen.is_none_or(|s| !s.contains(&(path.clone(), f.fingerprint.clone())))
            });
            if !top.findings.is_empty() {
                compare.push((i, totals));
            }
        }
        if compare.is_empty() {
            return Ok(());
        }
        let items: Vec<(&str, BlobInput)> = compare
            .iter()
            .filter_map(|&(i, _)| Some((batch[i].path, batch[i].old.as_ref()?.content.input())))
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
        // Of entries for the same value (baselines put together), one that has not expired.
        let entry = self.baseline.and_then(|b| {
            let all: Vec<usize> = b.find_all(path, &f.fingerprint).collect();
            used.extend(&all);
            let pick = all
                .iter()
                .find(|&&i| !b.entries[i].expired(self.today))
                .or(all.first());
            pick.map(|&i| &b.entries[i])
        });
        let mut baselined = false;
        if let Some(e) = entry {
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
const BATCH_BYTES: usize = 32 << 20;

/// A blob larger than this is written to a temporary file with no name on disk, which a worker
/// reads like any file: never held in memory, however large.
const IN_MEMORY: u64 = 8 << 20;

/// Why a blob that is not in the clone is unscanned.
const MISSING: &str = "missing_object: the blob is not in this clone (a partial clone whose remote could not be reached, or a damaged repository)";
/// Why a Git LFS file whose object is not here is unscanned.
const LFS_MISSING: &str = "lfs_pointer: the content is in Git LFS and its object is not in this clone (run `git lfs fetch`, or check out with LFS)";

/// A changed file, read from git and ready to scan.
struct Loaded<'c> {
    path: &'c str,
    content: Content,
    /// The content decoded, when it is text held in memory.
    text: Option<String>,
    /// For a modified text file, what it was; `None` means all of it counts.
    old: Option<Old>,
}

/// The version a text file had before the change.
struct Old {
    content: Content,
    /// The 1-based lines of the new version that this one does not have (unknown for files
    /// too large to hold: then values alone decide).
    added: Option<HashSet<u64>>,
}

/// A blob's content: in memory, or in a spooled file gone when this is dropped.
enum Content {
    Memory(Vec<u8>),
    File(Spooled),
}

/// A blob too large to hold, in a temporary file that has no name on disk ([`git::spool_file`]):
/// no other user can open it, and nothing of it outlives the scan however it ends. The name
/// of the blob's file never reaches the disk either. Readers open it through this process's
/// descriptor, `/proc/<pid>/fd/<n>`: the scan's worker processes are its children with its
/// uid, so they may; the records are named by the blob's repository path, not this one.
struct Spooled {
    /// Held open for as long as the blob is scanned: it is the file's only reference.
    _file: std::fs::File,
    path: std::path::PathBuf,
}

impl Spooled {
    fn new(file: std::fs::File) -> Spooled {
        use std::os::fd::AsRawFd;
        let path = format!("/proc/{}/fd/{}", std::process::id(), file.as_raw_fd()).into();
        Spooled { _file: file, path }
    }
}

impl Content {
    fn input(&self) -> BlobInput<'_> {
        match self {
            Content::Memory(d) => BlobInput::Bytes(d),
            Content::File(s) => BlobInput::File(&s.path),
        }
    }

    fn memory(&self) -> Option<&[u8]> {
        match self {
            Content::Memory(d) => Some(d),
            Content::File(_) => None,
        }
    }

    /// Bytes held in memory.
    fn held(&self) -> usize {
        self.memory().map_or(0, <[u8]>::len)
    }

    /// Whether it sniffs as text (for a file, by its head).
    fn is_text(&self) -> bool {
        let head = match self {
            Content::Memory(d) => d[..d.len().min(sniff::HEAD)].to_vec(),
            Content::File(s) => {
                let mut head = Vec::with_capacity(sniff::HEAD);
                let read = std::fs::File::open(&s.path).and_then(|f| {
                    std::io::Read::read_to_end(
                        &mut std::io::Read::take(f, sniff::HEAD as u64),
                        &mut head,
                    )
                });
                if read.is_err() {
                    return false;
                }
                head
            }
        };
        matches!(sniff::sniff(&head), Sniffed::Text { .. })
    }
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
pub(crate) fn file_line(l: &Location) -> Option<u64> {
    let inside = l.message.is_some()
        || l.part.is_some()
        || l.page.is_some()
        || l.sheet.is_some()
        || l.cell.is_some();
    l.line.filter(|_| !inside)
}

/// The character column (1-based) of a finding on its line; not a table's column, which a
/// SQL row or a CSV record gives by position when it names none.
pub(crate) fn char_column(l: &Location) -> Option<u64> {
    match l.column {
        Some(crate::extract::Column::Number(c)) if l.row.is_none() && l.table.is_none() => Some(c),
        _ => None,
    }
}

/// The content as text, when it sniffs as text (any encoding the text extractor reads).
fn as_text(data: &[u8]) -> Option<String> {
    match sniff::sniff(&data[..data.len().min(sniff::HEAD)]) {
        Sniffed::Text { encoding, .. } => Some(encoding.decode(data).0.into_owned()),
        _ => None,
    }
}

/// Whether line `line` (1-based) or the one above it carries the allow marker.
fn allowed_inline(marked: &HashSet<u64>, line: u64) -> bool {
    marked.contains(&line) || line > 1 && marked.contains(&(line - 1))
}

/// The 1-based numbers of the lines of `text` that hold [`ALLOW_MARKER`].
fn marked_lines(text: &[u8]) -> HashSet<u64> {
    marked_lines_in(text).expect("reading memory cannot fail")
}

/// [`marked_lines`] of text read a line at a time (a blob too large to hold).
fn marked_lines_in(mut r: impl std::io::BufRead) -> std::io::Result<HashSet<u64>> {
    let finder = memchr::memmem::Finder::new(ALLOW_MARKER);
    let mut marked = HashSet::new();
    let mut line = Vec::new();
    let mut n = 0;
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)? == 0 {
            return Ok(marked);
        }
        n += 1;
        if finder.find(&line).is_some() {
            marked.insert(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_column_is_not_a_character_column() {
        use crate::extract::Column;
        let text = Location {
            line: Some(3),
            column: Some(Column::Number(7)),
            ..Location::default()
        };
        assert_eq!(char_column(&text), Some(7));
        // `INSERT INTO sak VALUES (2, '...')`: the value is the table's second column.
        let row = Location {
            table: Some("sak".into()),
            row: Some(1),
            ..text.clone()
        };
        assert_eq!(char_column(&row), None);
        let named = Location {
            column: Some(Column::Name("fnr".into())),
            ..text
        };
        assert_eq!(char_column(&named), None);
    }

    #[test]
    fn allow_marker_covers_its_line_and_the_next() {
        let text = "a\n# kartlegg:allow\r\nb\nc kartlegg:allow\nd";
        let lines = marked_lines(text.as_bytes());
        assert_eq!(lines, HashSet::from([2, 4]));
        // Read a line at a time, as the file of a blob too large to hold: the same lines.
        let small = std::io::BufReader::with_capacity(4, text.as_bytes());
        assert_eq!(marked_lines_in(small).unwrap(), lines);
        assert!(!allowed_inline(&lines, 1));
        assert!(allowed_inline(&lines, 2));
        assert!(allowed_inline(&lines, 3));
        assert!(allowed_inline(&lines, 4));
        assert!(allowed_inline(&lines, 5));
        assert!(!allowed_inline(&lines, 9));
    }
}
