//! What changed between two scans of the same roots: files with personal data that are new,
//! gone or changed (counts per kind up or down; distinct values up or down, and values never
//! seen before, when both inventories were keyed alike), retention verdicts that changed, and
//! files that became readable or unreadable.
//!
//! The old inventory is read first and only what can change a verdict is kept: for each file
//! with findings, a status other than scanned, or a retention verdict, its counts and
//! fingerprints; for every other file, a 64-bit hash of its path (to tell a new file from one
//! that merely gained findings). The new inventory then streams past it.
//!
//! One path may name several records (masked names that agree, roots that nest or repeat),
//! so each path keeps all its records and each hash its count. A new record takes an equal
//! old record; at a shared path one without waits until the equal ones have paired up, then
//! takes the first left. Only a record none is left for is new.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::path::Path;

use anyhow::{bail, Result};
use serde::Serialize;

use super::inventory::{self, Header, KeyKind, Visitor};
use crate::report::mask::short;
use crate::report::{FileRecord, Summary};

/// What the diff keeps of a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Seen {
    status: String,
    /// Findings per kind, and of them the non-synthetic ones.
    counts: BTreeMap<String, u64>,
    personal: BTreeMap<String, u64>,
    /// Distinct fingerprints (first 64 bits) per kind, from the listed findings.
    values: BTreeMap<String, HashSet<u64>>,
    verdict: Option<String>,
}

impl Seen {
    fn of(rec: &FileRecord) -> Seen {
        let mut s = Seen {
            status: match &rec.reason {
                Some(r) if rec.status.unscanned() => format!("{}/{r}", rec.status.as_str()),
                _ => rec.status.as_str().to_string(),
            },
            verdict: rec.retention.as_ref().map(|r| r.verdict.clone()),
            ..Seen::default()
        };
        for (k, n) in &rec.counts {
            s.counts.insert(k.to_string(), *n);
            s.personal.insert(k.to_string(), *n);
        }
        for f in &rec.findings {
            if f.synthetic {
                if let Some(p) = s.personal.get_mut(f.kind) {
                    *p = p.saturating_sub(1);
                }
            }
            s.values
                .entry(f.kind.to_string())
                .or_default()
                .insert(short(&f.fingerprint));
        }
        s.personal.retain(|_, n| *n > 0);
        s
    }

    fn readable(&self) -> bool {
        self.status == "scanned"
    }

    fn interesting(&self) -> bool {
        !self.counts.is_empty() || !self.readable() || self.verdict.is_some()
    }
}

/// Old and new figure of something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Change {
    pub old: u64,
    pub new: u64,
}

/// A file with personal data that is new, gone or changed.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FileChange {
    pub path: String,
    /// Findings per kind, old and new (kinds that changed, or all for new and gone files).
    pub counts: BTreeMap<String, Change>,
    /// Distinct values per kind, old and new (only when both inventories were keyed alike).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distinct: Option<BTreeMap<String, Change>>,
    /// Values this file has now that it did not have before (keyed alike only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_values: Option<u64>,
}

/// A retention verdict that changed.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct VerdictChange {
    pub path: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A file whose content became readable or unreadable (`status` or `status/reason`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StatusChange {
    pub path: String,
    /// None for a file that was not in the old inventory.
    pub old: Option<String>,
    pub new: String,
}

/// Two inventories compared.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Diff {
    pub roots: Vec<String>,
    pub old_started: Option<String>,
    pub new_started: Option<String>,
    /// Both inventories were keyed with the same kept key: fingerprints compare.
    pub same_key: bool,
    pub new: Vec<FileChange>,
    pub gone: Vec<FileChange>,
    pub changed: Vec<FileChange>,
    pub verdicts: Vec<VerdictChange>,
    pub readable: Vec<StatusChange>,
    pub unreadable: Vec<StatusChange>,
    /// Findings per kind over all files.
    pub findings: BTreeMap<String, Change>,
    /// Distinct values per kind over all files, as each summary counts them.
    pub distinct: BTreeMap<String, Change>,
    /// Values (per kind) in the new inventory that the old one never had (keyed alike only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_values: Option<BTreeMap<String, u64>>,
    /// New personal data appeared: a new file with personal findings, more personal findings
    /// of a kind in a file, or (keyed alike) a value a file did not have. The exit code.
    pub new_personal_data: bool,
}

fn path_hash(p: &str) -> u64 {
    let mut h = DefaultHasher::new();
    p.hash(&mut h);
    h.finish()
}

/// The old inventory, kept.
#[derive(Default)]
struct Old {
    header: Header,
    /// Records with something to compare, by path: several when paths agree.
    files: HashMap<String, Vec<Seen>>,
    /// Every other record, counted by its path's hash.
    paths: HashMap<u64, u32>,
    /// The hashes of paths of more than one record.
    shared: HashSet<u64>,
    values: BTreeMap<String, HashSet<u64>>,
    summary: Option<Summary>,
    /// Findings by kind as the records count them, for an inventory without a summary.
    counted: BTreeMap<String, u64>,
}

/// Adds a record's findings by kind to `to`.
fn count(to: &mut BTreeMap<String, u64>, rec: &FileRecord) {
    for (k, n) in &rec.counts {
        *to.entry(k.to_string()).or_default() += n;
    }
}

impl Visitor for Old {
    fn header(&mut self, h: &Header) -> Result<()> {
        self.header = h.clone();
        Ok(())
    }
    fn file(&mut self, rec: FileRecord) -> Result<()> {
        count(&mut self.counted, &rec);
        let seen = Seen::of(&rec);
        for (k, v) in &seen.values {
            self.values.entry(k.clone()).or_default().extend(v);
        }
        let hash = path_hash(&rec.path);
        if self.files.contains_key(&rec.path) || self.paths.contains_key(&hash) {
            self.shared.insert(hash);
        }
        if seen.interesting() {
            self.files.entry(rec.path).or_default().push(seen);
        } else {
            *self.paths.entry(hash).or_default() += 1;
        }
        Ok(())
    }
    fn summary(&mut self, s: Summary, _: Option<String>) -> Result<()> {
        self.summary = Some(s);
        Ok(())
    }
}

impl Old {
    /// An old record at `path` equal to `new`, taken out: `(Some(old), true)`, or `(None,
    /// true)` for one without anything to compare when `new` has nothing either.
    fn take_equal(&mut self, path: &str, new: &Seen) -> Option<(Option<Seen>, bool)> {
        let taken = match self.files.get_mut(path) {
            Some(v) => v.iter().position(|o| o == new).map(|i| v.remove(i)),
            None => None,
        };
        if let Some(old) = taken {
            if self.files.get(path).is_some_and(Vec::is_empty) {
                self.files.remove(path);
            }
            return Some((Some(old), true));
        }
        (!new.interesting() && self.take_plain(path)).then_some((None, true))
    }

    /// The old record that a new record `new` at `path` is compared with, taken out: an equal
    /// one, else the first left, else one without anything to compare (`(None, true)`);
    /// `(None, false)` when none is left (a new file).
    fn take(&mut self, path: &str, new: &Seen) -> (Option<Seen>, bool) {
        if let Some(taken) = self.take_equal(path, new) {
            return taken;
        }
        if let Some(v) = self.files.get_mut(path).filter(|v| !v.is_empty()) {
            let old = v.remove(0);
            if v.is_empty() {
                self.files.remove(path);
            }
            return (Some(old), true);
        }
        (None, self.take_plain(path))
    }

    fn take_plain(&mut self, path: &str) -> bool {
        match self.paths.get_mut(&path_hash(path)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }
}

/// The new inventory, streamed against the old.
struct New<'a> {
    old: &'a mut Old,
    diff: Diff,
    values: BTreeMap<String, HashSet<u64>>,
    summary: Option<Summary>,
    counted: BTreeMap<String, u64>,
    /// Records at a shared path with no equal old record: compared once the equal ones
    /// have paired up, with what is left.
    pending: Vec<(String, Seen)>,
}

fn changes(old: &BTreeMap<String, u64>, new: &BTreeMap<String, u64>) -> BTreeMap<String, Change> {
    let mut out = BTreeMap::new();
    for k in old.keys().chain(new.keys()) {
        let c = Change {
            old: old.get(k).copied().unwrap_or(0),
            new: new.get(k).copied().unwrap_or(0),
        };
        if c.old != c.new {
            out.insert(k.clone(), c);
        }
    }
    out
}

fn sizes(v: &BTreeMap<String, HashSet<u64>>) -> BTreeMap<String, u64> {
    v.iter().map(|(k, s)| (k.clone(), s.len() as u64)).collect()
}

impl New<'_> {
    fn compare(&mut self, path: String, old: Option<Seen>, existed: bool, new: Seen) {
        let same_key = self.diff.same_key;
        // A file the old inventory had but did not keep was scanned, with nothing found.
        let plain = Seen {
            status: "scanned".into(),
            ..Seen::default()
        };
        let o = old.as_ref().unwrap_or(&plain);
        // Readable or not.
        match (existed, o.readable(), new.readable()) {
            (true, false, true) => self.diff.readable.push(StatusChange {
                path: path.clone(),
                old: Some(o.status.clone()),
                new: new.status.clone(),
            }),
            (true, true, false) | (false, _, false) => self.diff.unreadable.push(StatusChange {
                path: path.clone(),
                old: existed.then(|| o.status.clone()),
                new: new.status.clone(),
            }),
            _ => {}
        }
        if o.verdict != new.verdict && (o.verdict.is_some() || existed) {
            self.diff.verdicts.push(VerdictChange {
                path: path.clone(),
                old: o.verdict.clone(),
                new: new.verdict.clone(),
            });
        }
        if o.counts.is_empty() && new.counts.is_empty() {
            return;
        }
        let counts = changes(&o.counts, &new.counts);
        let distinct = same_key.then(|| changes(&sizes(&o.values), &sizes(&new.values)));
        let fresh = same_key.then(|| {
            new.values
                .iter()
                .map(|(k, v)| {
                    let before = o.values.get(k);
                    v.iter()
                        .filter(|x| before.is_none_or(|b| !b.contains(x)))
                        .count() as u64
                })
                .sum::<u64>()
        });
        let more_personal = new
            .personal
            .iter()
            .any(|(k, n)| *n > o.personal.get(k).copied().unwrap_or(0));
        if (!existed || o.counts.is_empty()) && !new.personal.is_empty() {
            self.diff.new_personal_data = true;
        }
        if more_personal || fresh.is_some_and(|n| n > 0) && !new.personal.is_empty() {
            self.diff.new_personal_data = true;
        }
        let change = FileChange {
            path,
            counts,
            distinct: distinct.filter(|d| !d.is_empty()),
            new_values: fresh.filter(|n| *n > 0),
        };
        if !existed {
            let mut c = change;
            c.counts = changes(&BTreeMap::new(), &new.counts);
            self.diff.new.push(c);
        } else if !change.counts.is_empty()
            || change.distinct.is_some()
            || change.new_values.is_some()
        {
            self.diff.changed.push(change);
        }
    }
}

impl Visitor for New<'_> {
    fn header(&mut self, h: &Header) -> Result<()> {
        let (a, b) = (&self.old.header, h);
        let (ra, rb) = (a.compared_roots(), b.compared_roots());
        if ra != rb {
            bail!(
                "the inventories are of different roots ({} and {}): diff compares two scans of the same roots",
                ra.join(", "),
                rb.join(", ")
            );
        }
        // A shard holds its share of the files: against a whole scan, or another share, the
        // rest would all be "gone" or "new".
        if a.shard() != b.shard() {
            let what =
                |s: Option<String>| s.map_or("a whole scan".to_string(), |s| format!("shard {s}"));
            bail!(
                "the inventories are of different parts of their scans ({} and {}): merge the shards first (kartlegg merge)",
                what(a.shard()),
                what(b.shard())
            );
        }
        self.diff.roots = ra;
        self.diff.old_started = a.started().map(str::to_string);
        self.diff.new_started = b.started().map(str::to_string);
        self.diff.same_key = matches!((a.key(), b.key()),
            (KeyKind::Provided { id: Some(x) }, KeyKind::Provided { id: Some(y) }) if x == y);
        // Roots whose masked names look alike: under one key, their digests tell them apart.
        const DIGEST: [&str; 2] = ["scan", "roots_digest"];
        if self.diff.same_key && a.field(&DIGEST) != b.field(&DIGEST) {
            bail!(
                "the inventories are of different roots (their names are masked alike: {}): diff compares two scans of the same roots",
                self.diff.roots.join(", ")
            );
        }
        // A `--find` inventory lists only the files with the values sought: against any other,
        // the rest would all be "gone" or "new".
        const FIND: [&str; 3] = ["scan", "options", "find_digest"];
        let (fa, fb) = (a.field(&FIND), b.field(&FIND));
        if fa.is_null() != fb.is_null() || self.diff.same_key && fa != fb {
            let what = |v: &serde_json::Value| {
                if v.is_null() {
                    "a whole scan"
                } else {
                    "a scan for the values --find sought"
                }
            };
            bail!(
                "the inventories are of different searches ({} and {}): diff compares two scans that looked for the same",
                what(fa),
                what(fb)
            );
        }
        Ok(())
    }

    fn file(&mut self, rec: FileRecord) -> Result<()> {
        count(&mut self.counted, &rec);
        let seen = Seen::of(&rec);
        for (k, v) in &seen.values {
            self.values.entry(k.clone()).or_default().extend(v);
        }
        if self.old.shared.contains(&path_hash(&rec.path)) {
            match self.old.take_equal(&rec.path, &seen) {
                Some((old, existed)) => self.compare(rec.path, old, existed, seen),
                None => self.pending.push((rec.path, seen)),
            }
        } else {
            let (old, existed) = self.old.take(&rec.path, &seen);
            self.compare(rec.path, old, existed, seen);
        }
        Ok(())
    }

    fn summary(&mut self, s: Summary, _: Option<String>) -> Result<()> {
        self.summary = Some(s);
        Ok(())
    }
}

impl Diff {
    /// Compares the inventories at `old` and `new`.
    pub(crate) fn compute(old: &Path, new: &Path) -> Result<Diff> {
        let mut o = Old::default();
        inventory::read(old, &mut o)?;
        let mut n = New {
            old: &mut o,
            diff: Diff::default(),
            values: BTreeMap::new(),
            summary: None,
            counted: BTreeMap::new(),
            pending: Vec::new(),
        };
        inventory::read(new, &mut n)?;
        for (path, seen) in std::mem::take(&mut n.pending) {
            let (old, existed) = n.old.take(&path, &seen);
            n.compare(path, old, existed, seen);
        }
        let New {
            old: o,
            mut diff,
            values,
            summary,
            counted,
            pending: _,
        } = n;
        // What the old inventory had and the new one does not.
        let mut gone: Vec<(String, Seen)> = o
            .files
            .drain()
            .flat_map(|(path, v)| v.into_iter().map(move |s| (path.clone(), s)))
            .collect();
        gone.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, seen) in gone {
            if !seen.counts.is_empty() {
                diff.gone.push(FileChange {
                    path,
                    counts: changes(&seen.counts, &BTreeMap::new()),
                    distinct: None,
                    new_values: None,
                });
            }
        }
        // In path order, whatever order the scan wrote its records in.
        diff.new.sort_by(|a, b| a.path.cmp(&b.path));
        diff.changed.sort_by(|a, b| a.path.cmp(&b.path));
        diff.verdicts.sort_by(|a, b| a.path.cmp(&b.path));
        diff.readable.sort_by(|a, b| a.path.cmp(&b.path));
        diff.unreadable.sort_by(|a, b| a.path.cmp(&b.path));
        // An inventory without a summary (an interrupted scan) is counted from its records:
        // the findings by kind as they count them, the distinct values as they list them.
        let total = |s: &Option<Summary>, counted: &BTreeMap<String, u64>| {
            s.as_ref()
                .map_or_else(|| counted.clone(), |s| s.findings_by_kind.clone())
        };
        let distinct = |s: &Option<Summary>, values: &BTreeMap<String, HashSet<u64>>| {
            s.as_ref()
                .map_or_else(|| sizes(values), |s| s.distinct_by_kind.clone())
        };
        diff.findings = changes(&total(&o.summary, &o.counted), &total(&summary, &counted));
        diff.distinct = changes(
            &distinct(&o.summary, &o.values),
            &distinct(&summary, &values),
        );
        if diff.same_key {
            let fresh: BTreeMap<String, u64> = values
                .iter()
                .map(|(k, v)| {
                    let before = o.values.get(k);
                    (
                        k.clone(),
                        v.iter()
                            .filter(|x| before.is_none_or(|b| !b.contains(x)))
                            .count() as u64,
                    )
                })
                .filter(|(_, n)| *n > 0)
                .collect();
            diff.new_values = Some(fresh);
        }
        Ok(diff)
    }

    /// The readable summary.
    pub(crate) fn text(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "Roots: {}\nOld scan started {}, new scan started {}.",
            self.roots.join(", "),
            self.old_started.as_deref().unwrap_or("?"),
            self.new_started.as_deref().unwrap_or("?")
        );
        let _ = writeln!(
            o,
            "{}",
            if self.same_key {
                "Fingerprints: the same key in both, so distinct values are compared."
            } else {
                "Fingerprints: not known to share a key (random or different keys), so distinct values are not compared."
            }
        );
        let list = |o: &mut String, title: &str, mark: &str, v: &[FileChange]| {
            let _ = writeln!(o, "\n{title}: {}", v.len());
            for c in v {
                let _ = writeln!(o, "  {mark} {}  {}", c.path, describe(c));
            }
        };
        list(&mut o, "New files with personal data", "+", &self.new);
        list(&mut o, "Files with personal data gone", "-", &self.gone);
        list(
            &mut o,
            "Files whose personal data changed",
            "~",
            &self.changed,
        );
        let _ = writeln!(o, "\nRetention verdicts changed: {}", self.verdicts.len());
        for v in &self.verdicts {
            let _ = writeln!(
                o,
                "  {}  {} -> {}",
                v.path,
                v.old.as_deref().unwrap_or("none"),
                v.new.as_deref().unwrap_or("none")
            );
        }
        let status = |o: &mut String, title: &str, v: &[StatusChange]| {
            let _ = writeln!(o, "\n{title}: {}", v.len());
            for s in v {
                let _ = writeln!(
                    o,
                    "  {}  {} (was {})",
                    s.path,
                    s.new,
                    s.old.as_deref().unwrap_or("not there")
                );
            }
        };
        status(&mut o, "Now readable", &self.readable);
        status(&mut o, "Now unreadable", &self.unreadable);
        let _ = writeln!(o, "\nFindings by kind: {}", changes_text(&self.findings));
        let _ = writeln!(
            o,
            "Distinct values by kind: {}",
            changes_text(&self.distinct)
        );
        if let Some(v) = &self.new_values {
            let list: Vec<String> = v.iter().map(|(k, n)| format!("{k} {n}")).collect();
            let _ = writeln!(
                o,
                "Values not in the old inventory: {}",
                if list.is_empty() {
                    "none".into()
                } else {
                    list.join(", ")
                }
            );
        }
        let _ = writeln!(
            o,
            "\nNew personal data: {}",
            if self.new_personal_data { "yes" } else { "no" }
        );
        o
    }
}

fn changes_text(c: &BTreeMap<String, Change>) -> String {
    if c.is_empty() {
        return "unchanged".into();
    }
    let v: Vec<String> = c
        .iter()
        .map(|(k, c)| {
            format!(
                "{k} {}->{} ({:+})",
                c.old,
                c.new,
                c.new as i64 - c.old as i64
            )
        })
        .collect();
    v.join(", ")
}

fn describe(c: &FileChange) -> String {
    let mut s = changes_text(&c.counts);
    if let Some(d) = &c.distinct {
        let _ = write!(s, "; distinct {}", changes_text(d));
    }
    if let Some(n) = c.new_values {
        let _ = write!(s, "; {n} new value(s)");
    }
    s
}
