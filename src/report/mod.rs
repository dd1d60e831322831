//! Reporting: the inventory's data model, the summary that folds every file into totals, and
//! the writers (JSON, JSON Lines, a readable summary), and the reviewer's reports made from an
//! inventory (HTML, CSV, XLSX: `html`, `csv`, `xlsx`, sharing `rows`, `folders` and `lang`).
//!
//! Records stream: the scan hands each file's record to a [`Report`] as soon as it is done,
//! the report writes it and keeps only totals, so memory does not grow with the tree.

pub(crate) mod csv;
pub(crate) mod distinct;
pub(crate) mod escape;
pub(crate) mod folders;
pub(crate) mod html;
pub(crate) mod intern;
pub(crate) mod lang;
pub mod mask;
pub mod order;
pub mod progress;
pub(crate) mod retention;
pub(crate) mod review;
pub(crate) mod rows;
pub(crate) mod sort;
pub(crate) mod text;
pub(crate) mod writer;
pub(crate) mod xlsx;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use distinct::Distinct;

use crate::detect::Confidence;
use crate::extract::{Column, Location};
use crate::read::FileMeta;
pub use retention::{FindingDates, RetentionSummary, Verdict};
pub use review::{Decision, DecisionCounts, DecisionKind, Retention, ReviewMark, ReviewState};

/// Version of the inventory format; bumped on incompatible changes.
pub const SCHEMA_VERSION: &str = "1.0";

pub use crate::extract::Status;

/// A kind, rule or checksum name: static, from a fixed set (see [`intern`]). An alias, so
/// serde does not treat the field as borrowed from its input.
pub type Name = &'static str;

fn is_false(b: &bool) -> bool {
    !*b
}

/// One finding in a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    #[serde(deserialize_with = "intern::str")]
    pub kind: Name,
    #[serde(deserialize_with = "intern::str")]
    pub rule: Name,
    pub confidence: Confidence,
    pub location: Location,
    pub masked: String,
    pub fingerprint: String,
    /// For identity numbers: the checksum rule that matched (`classic` or `2032`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "intern::opt_str"
    )]
    pub checksum: Option<Name>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub synthetic: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub role: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub iban: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub recovered_leading_zero: bool,
    /// For IP addresses: the range of one that names no person (`private`, `loopback`…).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "intern::opt_str"
    )]
    pub scope: Option<Name>,
    /// Read by OCR from an image or a scanned page; its confidence reflects OCR's certainty.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ocr: bool,
    /// The normalised value: only with `--reveal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The text around the value: only with `--reveal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The date of the record the value sits in (`--policy` with `from = "content"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// The inventory record of one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileRecord {
    pub path: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub meta: Option<FileMeta>,
    /// What the content is: `text`, `csv`, `binary`, or a known format's name.
    #[serde(rename = "type")]
    pub file_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// Keyed hash of the file's bytes (files on disk and blobs): tells an edited file from an
    /// unchanged one across scans made with the same key — the version a decision was made on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Findings by kind at the reported confidence, including any beyond the per-file cap.
    #[serde(deserialize_with = "intern::map")]
    pub counts: BTreeMap<&'static str, u64>,
    pub findings: Vec<Finding>,
    /// More findings than `--max-findings-per-file`: `counts` has them all, `findings` not.
    #[serde(default, skip_serializing_if = "is_false")]
    pub findings_truncated: bool,
    /// Per table column with findings (dumps, database files, CSV): what a retention review
    /// reads. Filled by [`FileRecord::column_finding`] and [`FileRecord::column_values`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ColumnSummary>,
    /// The retention verdict (`--policy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
    /// The reviewer's decision on this file (`--decisions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// The file changed since `decision` was made: it needs a new look.
    #[serde(default, skip_serializing_if = "is_false")]
    pub decision_stale: bool,
    /// Totals that the summary needs but the record does not show.
    #[serde(skip)]
    pub tally: Tally,
}

/// Findings by [`Confidence`]: three counts in place, where a map cost every record with
/// findings an allocation (and a rescan frees one for each file it reuses).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ByConfidence([u64; 3]);

impl ByConfidence {
    pub fn add(&mut self, c: Confidence, n: u64) {
        self.0[c as usize] += n;
    }

    /// The confidences with findings, low to high, and how many each.
    pub fn iter(&self) -> impl Iterator<Item = (Confidence, u64)> {
        Confidence::ALL
            .into_iter()
            .zip(self.0)
            .filter(|&(_, n)| n > 0)
    }
}

/// Per-file totals over every reported finding (also those beyond the per-file cap). Not
/// part of the inventory; it travels with the record from a worker process to the writer, and
/// is stored with it in a state, in the record's head ([`crate::scan::carry`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub by_confidence: ByConfidence,
    pub synthetic: u64,
    /// Non-synthetic findings: what decides the exit code.
    pub personal: u64,
    /// Distinct values per kind, by fingerprint (bounded: see [`distinct`]).
    pub distinct: ByKind<Distinct>,
    /// Where the record stands with the decisions of a `--decisions` scan.
    pub review: Option<ReviewMark>,
    /// Per-column accumulators behind [`FileRecord::columns`] (needed only while the file is
    /// read).
    pub columns: ColumnTally,
    /// The dates of the findings, for the retention verdict (needed only in the worker).
    pub dates: FindingDates,
    /// Pages and images OCR read, and those unread for want of Tesseract.
    pub ocr: crate::extract::ocr::Pages,
    /// Its reading asked for the OCR engine: the record depends on which one is installed,
    /// or whether one is ([`crate::scan::state`] keeps that apart).
    pub engine: bool,
}

/// One table column in a file's per-column summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    pub column: Column,
    /// Non-null values in the column.
    pub values: u64,
    /// Values with at least one finding.
    pub matched: u64,
    /// `matched / values` (0 when the value count is not known).
    pub share: f64,
    /// Findings by kind.
    #[serde(deserialize_with = "intern::map")]
    pub counts: BTreeMap<&'static str, u64>,
    /// Distinct values by kind, counted by fingerprint.
    #[serde(deserialize_with = "intern::map")]
    pub distinct: BTreeMap<&'static str, u64>,
}

/// Accumulates [`ColumnSummary`]s: values seen per column, and fingerprints per column with
/// findings.
///
/// Its maps hash with foldhash: SipHash, and growing its map of values, were a thirtieth of a
/// small CSV file's instructions, and the keys are short names.
#[derive(Debug, Clone, Default)]
pub struct ColumnTally {
    values: HashMap<(Option<String>, Column), u64, Fast>,
    /// `(table, column)` hashed → indexes into `FileRecord::columns`: looked up by borrowed
    /// names, so a value's findings cost no allocation.
    index: HashMap<u64, Vec<usize>, Fast>,
    hasher: Fast,
    fingerprints: Vec<ByKind<Distinct>>,
}

/// The hasher of the tallies' maps ([`ColumnTally`], [`ByKind`]): foldhash, seeded once per
/// process (names come from inventories given to `merge`, so not a seed anyone knows). Made
/// by copying the seed: foldhash's own `RandomState` draws a seed for each map, and a tally
/// has four maps, made for every record a worker reads and every one a rescan takes back.
#[derive(Clone, Debug)]
pub struct Fast(foldhash::fast::FixedState);

impl Default for Fast {
    fn default() -> Fast {
        static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        let seed = SEED.get_or_init(|| {
            std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), 0u64)
        });
        Fast(foldhash::fast::FixedState::with_seed(*seed))
    }
}

impl std::hash::BuildHasher for Fast {
    type Hasher = foldhash::fast::FoldHasher<'static>;

    fn build_hasher(&self) -> Self::Hasher {
        self.0.build_hasher()
    }
}

/// A map by finding kind (a handful of static names), hashed with foldhash: every record
/// makes one, and a writer decodes one per record it takes from a worker or a state, where
/// SipHash's seeding and rounds were a thirtieth of a rescan's time.
pub type ByKind<V> = HashMap<&'static str, V, Fast>;

impl PartialEq for ColumnTally {
    /// The same counts and fingerprints. The index is left out: its keys are hashes under
    /// each tally's own seed, and it only points into the record's columns.
    fn eq(&self, o: &ColumnTally) -> bool {
        self.values == o.values && self.fingerprints == o.fingerprints
    }
}

impl Tally {
    pub fn add(
        &mut self,
        kind: &'static str,
        confidence: Confidence,
        synthetic: bool,
        fingerprint: u64,
    ) {
        self.by_confidence.add(confidence, 1);
        if synthetic {
            self.synthetic += 1;
        } else {
            self.personal += 1;
        }
        self.distinct_value(kind, fingerprint);
    }

    /// Counts a value among the distinct values of its kind; a value counted before changes
    /// nothing, so a caller that knows it has counted one may skip it.
    pub fn distinct_value(&mut self, kind: &'static str, fingerprint: u64) {
        self.distinct.entry(kind).or_default().insert(fingerprint);
    }
}

/// Counts of the findings of one piece of text, added to its record at once
/// ([`Counts::add_to`]): a dense chunk has tens of thousands of findings, and two map lookups
/// by kind name for each (`counts`, `by_confidence`) showed in profiles. Distinct values are
/// not counted here: [`Tally::distinct_value`] takes each value once, not each finding.
#[derive(Debug, Default)]
pub struct Counts {
    /// Findings per kind, in order of first sighting (a handful of kinds).
    kinds: Vec<(&'static str, u64)>,
    by_confidence: ByConfidence,
    synthetic: u64,
    personal: u64,
}

impl Counts {
    pub fn add(&mut self, kind: &'static str, confidence: Confidence, synthetic: bool) {
        // Kinds are static names: the same kind is nearly always the same pointer.
        match self
            .kinds
            .iter_mut()
            .find(|(k, _)| std::ptr::eq(*k, kind) || *k == kind)
        {
            Some((_, n)) => *n += 1,
            None => self.kinds.push((kind, 1)),
        }
        self.by_confidence.add(confidence, 1);
        if synthetic {
            self.synthetic += 1;
        } else {
            self.personal += 1;
        }
    }

    /// Adds the counts to `rec` (its `counts` and tally) and starts again from zero.
    pub fn add_to(&mut self, rec: &mut FileRecord) {
        for (kind, n) in self.kinds.drain(..) {
            *rec.counts.entry(kind).or_default() += n;
        }
        let t = &mut rec.tally;
        for (c, n) in std::mem::take(&mut self.by_confidence).iter() {
            t.by_confidence.add(c, n);
        }
        t.synthetic += std::mem::take(&mut self.synthetic);
        t.personal += std::mem::take(&mut self.personal);
    }
}

impl FileRecord {
    /// The tally of a record read back from an inventory (which does not keep it), made
    /// again from the findings it lists: by confidence, synthetic or not, distinct values.
    /// Where decisions stand is kept.
    pub(crate) fn tally_listed(&mut self) {
        let review = self.tally.review;
        self.tally = Tally::default();
        self.tally.review = review;
        for f in &self.findings {
            self.tally.add(
                f.kind,
                f.confidence,
                f.synthetic,
                mask::short(&f.fingerprint),
            );
        }
    }

    pub fn new(path: String, meta: Option<FileMeta>) -> FileRecord {
        FileRecord {
            path,
            meta,
            file_type: "unknown".into(),
            encoding: None,
            content_hash: None,
            status: Status::Scanned,
            reason: None,
            detail: None,
            counts: BTreeMap::new(),
            findings: Vec::new(),
            findings_truncated: false,
            columns: Vec::new(),
            retention: None,
            decision: None,
            decision_stale: false,
            tally: Tally::default(),
        }
    }

    pub fn set_status(&mut self, status: Status, reason: &str, detail: impl Into<String>) {
        self.status = status;
        self.reason = Some(reason.to_string());
        let detail = detail.into();
        self.detail = (!detail.is_empty()).then_some(detail);
    }

    /// Records the findings of one value of a table column (kind and fingerprint of each).
    /// Called once per value with findings, so it neither allocates nor estimates: the
    /// counts of distinct values are filled in by [`FileRecord::close_columns`].
    pub fn column_finding(
        &mut self,
        table: Option<&str>,
        column: &Column,
        found: &[(&'static str, u64)],
    ) {
        if found.is_empty() {
            return;
        }
        let t = &mut self.tally.columns;
        let hash = std::hash::BuildHasher::hash_one(&t.hasher, (table, column));
        let slot = t.index.entry(hash).or_default();
        let known = slot.iter().copied().find(|&i| {
            let c = &self.columns[i];
            c.table.as_deref() == table && &c.column == column
        });
        let i = match known {
            Some(i) => i,
            None => {
                self.columns.push(ColumnSummary {
                    table: table.map(str::to_string),
                    column: column.clone(),
                    // Known once the file has been read (see `close_columns`).
                    values: 0,
                    matched: 0,
                    share: 0.0,
                    counts: BTreeMap::new(),
                    distinct: BTreeMap::new(),
                });
                t.fingerprints.push(ByKind::default());
                let i = self.columns.len() - 1;
                slot.push(i);
                i
            }
        };
        let c = &mut self.columns[i];
        c.matched += 1;
        for &(kind, fp) in found {
            *c.counts.entry(kind).or_default() += 1;
            t.fingerprints[i].entry(kind).or_default().insert(fp);
        }
    }

    /// Fills in each column's count of values, its share of matched values and its distinct
    /// counts, once the file has been read.
    pub fn close_columns(&mut self) {
        let t = &self.tally.columns;
        for (c, fps) in self.columns.iter_mut().zip(&t.fingerprints) {
            let key = (c.table.clone(), c.column.clone());
            c.values = t.values.get(&key).copied().unwrap_or(0);
            c.share = share(c.matched, c.values);
            for (&kind, set) in fps {
                c.distinct.insert(kind, set.len());
            }
        }
    }

    /// Records how many values a table column had.
    pub fn column_values(&mut self, table: Option<&str>, column: Column, values: u64) {
        let key = (table.map(str::to_string), column);
        *self.tally.columns.values.entry(key).or_default() += values;
    }

    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Content that may hold personal data went unread: what `--fail-on-unscanned` fails on.
    pub fn content_unread(&self) -> bool {
        content_unread(self.status, self.reason.as_deref())
    }

    /// What the summary's totals read of this record.
    pub fn figures(
        &self,
    ) -> Figures<
        '_,
        impl Iterator<Item = (&str, u64)>,
        impl Iterator<Item = (&str, distinct::Values<'_>)>,
    > {
        let t = &self.tally;
        Figures {
            status: self.status,
            reason: self.reason.as_deref(),
            size: self.meta.as_ref().map(|m| m.size),
            counts: self.counts.iter().map(|(k, n)| (*k, *n)),
            total: self.total(),
            by_confidence: t.by_confidence,
            synthetic: t.synthetic,
            personal: t.personal,
            distinct: t.distinct.iter().map(|(k, d)| (*k, d.into())),
            review: t.review,
            ocr: t.ocr,
            engine: t.engine,
            retention: self.retention.as_ref(),
        }
    }
}

/// Deliberate skips (media, symlinks, devices) do not count as content unread; a file too
/// large does.
pub(crate) fn content_unread(status: Status, reason: Option<&str>) -> bool {
    match status {
        Status::Scanned => false,
        Status::Skipped => reason == Some("too_large"),
        _ => true,
    }
}

/// What the summary's totals read of a record ([`Totals::add`]): a record's own fields
/// ([`FileRecord::figures`]), or a carried record's head read where it lies
/// ([`crate::scan::carry::Carried::figures`]), so that a rescan builds no record and no map
/// for each file it reuses.
pub struct Figures<'a, C, D> {
    pub status: Status,
    pub reason: Option<&'a str>,
    /// The size of the file's evidence (`None` without it).
    pub size: Option<u64>,
    /// Findings by kind ([`FileRecord::counts`]).
    pub counts: C,
    /// Their sum ([`FileRecord::total`]).
    pub total: u64,
    pub by_confidence: ByConfidence,
    pub synthetic: u64,
    pub personal: u64,
    /// Distinct values by kind ([`Tally::distinct`]).
    pub distinct: D,
    pub review: Option<ReviewMark>,
    pub ocr: crate::extract::ocr::Pages,
    pub engine: bool,
    pub retention: Option<&'a Retention>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// `matched / values`, rounded to four decimals (0 when `values` is unknown).
fn share(matched: u64, values: u64) -> f64 {
    if values == 0 {
        return 0.0;
    }
    (matched as f64 / values as f64 * 10_000.0).round() / 10_000.0
}

/// Totals over the whole scan (read back from inventories too: fields missing there are 0).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    pub files_seen: u64,
    pub files_scanned: u64,
    pub files_partial: u64,
    pub files_skipped: u64,
    /// Files with status `error` only: not read because something went wrong.
    pub files_errored: u64,
    /// Files that are encrypted.
    pub files_encrypted: u64,
    /// Files in a format kartlegg does not read.
    pub files_unsupported: u64,
    /// Files stopped by a limit.
    pub files_limit_exceeded: u64,
    pub files_excluded: u64,
    /// Roots whose walk was given up because one stat, open or listing did not return within
    /// `--read-timeout` (a dead network share): what it had not reached is not in the
    /// inventory. The path it was stuck on is an `error`/`timeout` entry (in the shard that
    /// owns it). Written only when not 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub walks_stopped: u64,
    /// Files with findings.
    pub files_with_findings: u64,
    /// Not scanned completely, by status and reason (`skipped/media`: 3).
    pub unscanned_by_reason: BTreeMap<String, u64>,
    pub bytes_read: u64,
    pub findings: u64,
    pub findings_by_kind: BTreeMap<String, u64>,
    pub findings_by_confidence: BTreeMap<String, u64>,
    /// Distinct values per kind, counted by fingerprint.
    pub distinct_by_kind: BTreeMap<String, u64>,
    /// What `distinct_by_kind` counted: per kind, the set of fingerprints or its sketch
    /// ([`distinct`]). `kartlegg merge` unites the shards' own, so that a merged count is the
    /// one a single scan makes, findings listed or not.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub distinct_sketch: BTreeMap<String, Distinct>,
    /// Of a JSON or JSON Lines inventory: what its records are, whatever their order
    /// ([`writer::files_digest`]), so that `kartlegg merge` can tell a record edited in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_digest: Option<String>,
    /// Findings that are synthetic test numbers (not personal data).
    pub synthetic: u64,
    pub atime: AtimeSummary,
    /// With `--policy`: files per verdict and totals per policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention: Option<RetentionSummary>,
    /// With `--decisions`: files decided, undecided and stale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decisions: Option<DecisionCounts>,
    /// With `--state`: how the files on disk were handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incremental: Option<Incremental>,
    /// Pages and images read by OCR, and those that went unread because Tesseract is not
    /// installed (`--ocr auto`).
    pub ocr: OcrSummary,
}

/// An incremental scan's files on disk: reused unchanged from the state, read, or gone since
/// the state's last scan.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incremental {
    pub reused: u64,
    pub read: u64,
    pub removed: u64,
}

/// What OCR read in the whole scan.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct OcrSummary {
    /// Image files and pages (TIFF, scanned PDF) read by OCR.
    pub pages_read: u64,
    /// Images and scanned PDF pages not read because Tesseract is not installed.
    pub pages_unread: u64,
    /// The engine that files which asked for OCR were read with (`tesseract 5.3.0,
    /// nor+eng`), or `none: ` and why; absent when no file asked (see [`Tally::engine`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
}

/// Whether access times were preserved.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AtimeSummary {
    /// True when every file read and every directory listed was opened with `O_NOATIME`.
    pub preserved: bool,
    pub noatime_opens: u64,
    /// Opened without `O_NOATIME` (not the owner): the access time may have changed, depending
    /// on the mount's `relatime`/`noatime` options.
    pub plain_opens: u64,
    /// Directories listed through a descriptor opened with `O_NOATIME`.
    pub dirs_noatime: u64,
    /// Directories listed without it (not the owner): their access times may have changed.
    pub dirs_plain: u64,
}

/// Folds records into a [`Summary`].
#[derive(Debug, Default)]
pub struct Totals {
    pub summary: Summary,
    distinct: ByKind<Distinct>,
    /// Personal (non-synthetic) findings at the reported confidence.
    pub personal: u64,
    /// Files whose content went unread (see [`FileRecord::content_unread`]).
    pub unscanned: u64,
    /// A record's reading asked for the OCR engine ([`Tally::engine`]): the scan names it
    /// in the summary.
    pub asked_engine: bool,
}

/// Adds `n` to the count of `key`.
fn add_to(counts: &mut BTreeMap<String, u64>, key: &str, n: u64) {
    match counts.get_mut(key) {
        Some(c) => *c += n,
        None => {
            counts.insert(key.to_string(), n);
        }
    }
}

impl Totals {
    pub fn add<'a, C, D>(&mut self, rec: Figures<'a, C, D>, bytes: u64, noatime: Option<bool>)
    where
        C: Iterator<Item = (&'a str, u64)>,
        D: Iterator<Item = (&'a str, distinct::Values<'a>)>,
    {
        self.asked_engine |= rec.engine;
        let s = &mut self.summary;
        s.files_seen += 1;
        s.bytes_read += bytes;
        match noatime {
            Some(true) => s.atime.noatime_opens += 1,
            Some(false) => s.atime.plain_opens += 1,
            None => {}
        }
        match rec.status {
            Status::Scanned => s.files_scanned += 1,
            Status::Partial => s.files_partial += 1,
            Status::Skipped => s.files_skipped += 1,
            Status::Error => s.files_errored += 1,
            Status::Encrypted => s.files_encrypted += 1,
            Status::Unsupported => s.files_unsupported += 1,
            Status::LimitExceeded => s.files_limit_exceeded += 1,
        }
        if content_unread(rec.status, rec.reason) {
            self.unscanned += 1;
        }
        if rec.status.unscanned() {
            let key = format!(
                "{}/{}",
                rec.status.as_str(),
                rec.reason.unwrap_or("unknown")
            );
            *s.unscanned_by_reason.entry(key).or_default() += 1;
        }
        let total = rec.total;
        if total > 0 {
            s.files_with_findings += 1;
        }
        s.findings += total;
        // Keys are allocated once per kind and confidence, not once per record.
        for (k, n) in rec.counts {
            add_to(&mut s.findings_by_kind, k, n);
        }
        for (c, n) in rec.by_confidence.iter() {
            add_to(&mut s.findings_by_confidence, c.as_str(), n);
        }
        s.synthetic += rec.synthetic;
        s.ocr.pages_read += rec.ocr.read;
        s.ocr.pages_unread += rec.ocr.unread;
        self.personal += rec.personal;
        if let Some(mark) = rec.review {
            let d = s.decisions.get_or_insert_with(Default::default);
            match mark.state {
                ReviewState::Nothing => {}
                ReviewState::Decided => d.decided += 1,
                ReviewState::Undecided => d.undecided += 1,
                ReviewState::KeepExpired => {
                    d.undecided += 1;
                    d.keep_expired += 1;
                }
                ReviewState::Stale => d.stale += 1,
            }
            d.compared_by_size_and_modified += u64::from(mark.by_size_and_modified);
        }
        for (k, values) in rec.distinct {
            match self.distinct.get_mut(k) {
                Some(d) => d.merge(values),
                // A kind's name is kept once, as the record's names are.
                None => {
                    self.distinct.insert(intern::name(k), values.into());
                }
            }
        }
        if let (Some(r), Some(retention)) = (&mut s.retention, rec.retention) {
            r.add(retention, total, rec.size.unwrap_or(0));
        }
    }

    pub fn finish(&mut self) -> &Summary {
        let s = &mut self.summary;
        s.distinct_by_kind = self
            .distinct
            .iter()
            .map(|(k, v)| (k.to_string(), v.len()))
            .collect();
        s.distinct_sketch = self
            .distinct
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        s.atime.preserved = s.atime.plain_opens == 0 && s.atime.dirs_plain == 0;
        s
    }
}

/// Where records go. Implementations write as they receive.
pub trait Report {
    fn file(&mut self, rec: &FileRecord) -> std::io::Result<()>;
    fn finish(&mut self, summary: &Summary, finished: &str) -> std::io::Result<()>;

    /// Whether this report takes records as the JSON inventory writes them
    /// ([`Report::file_json`]).
    fn takes_json(&self) -> bool {
        false
    }

    /// A record as the JSON inventory writes it (`serde_json` of a [`FileRecord`]), for a
    /// report that [`Report::takes_json`]; the report keeps the text as it is. `hash` is its
    /// [`writer::record_hash`], known to whoever checked the text against its sum.
    fn file_json(&mut self, path: &str, _json: Vec<u8>, _hash: u64) -> std::io::Result<()> {
        Err(std::io::Error::other(format!(
            "{path}: this report takes whole records only"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Findings counted in batches ([`Counts`], distinct values once each) make the record
    /// that counting each finding with [`Tally::add`] makes.
    #[test]
    fn batched_counts_are_counts_per_finding() {
        let mut rng = crate::synth::Rng::new(7);
        let kinds = ["fodselsnummer", "phone", "email"];
        let mut each = FileRecord::new("a".into(), None);
        let mut batched = FileRecord::new("a".into(), None);
        let mut seen = std::collections::HashSet::new();
        for _chunk in 0..5 {
            let mut counts = Counts::default();
            for _ in 0..rng.below(200) {
                let kind = kinds[rng.below(3) as usize];
                let confidence = Confidence::ALL[rng.below(3) as usize];
                let synthetic = rng.below(4) == 0;
                let fp = rng.below(50);
                each.tally.add(kind, confidence, synthetic, fp);
                *each.counts.entry(kind).or_default() += 1;
                counts.add(kind, confidence, synthetic);
                if seen.insert((kind, fp)) {
                    batched.tally.distinct_value(kind, fp);
                }
            }
            counts.add_to(&mut batched);
        }
        assert!(each.total() > 0);
        assert_eq!(each, batched);
    }
}
