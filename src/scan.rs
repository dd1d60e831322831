//! The scan: walk → read → extract → detect → report, wired together.
//!
//! One thread walks and feeds a bounded queue; a rayon pool of `--threads` workers takes files
//! from it (more workers than cores by default, because on SMB/NFS a file costs round trips
//! rather than CPU); each worker reads, extracts and detects one file and sends its record to
//! the calling thread, which alone writes the report. Every path yields exactly one record.

use std::cell::Cell;
use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};

use rayon::iter::{ParallelBridge, ParallelIterator};

use crate::detect::{Candidate, ChunkContext, Confidence, Detector};
use crate::extract::{
    self, Chunk, Clock, ExtractError, Input, Limit, LimitHit, Limits, Location, Locator, Sink,
};
use crate::read::sniff;
use crate::read::{self, FileMeta};
use crate::report::mask::{self, HashKey};
use crate::report::progress::Progress;
use crate::report::{FileRecord, Finding, Report, Status, Summary, Totals};
use crate::walk::{Entry, Exclude, Walk};

/// What the scan does, from the command line.
#[derive(Debug, Clone)]
pub struct Options {
    pub roots: Vec<PathBuf>,
    pub threads: usize,
    pub follow: bool,
    pub exclude: Vec<String>,
    pub max_file_size: Option<u64>,
    pub min_confidence: Confidence,
    pub reveal: bool,
    pub max_findings_per_file: usize,
    /// Limits for each top-level file and what is nested in it.
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            roots: Vec::new(),
            threads: default_threads(),
            follow: false,
            exclude: Vec::new(),
            max_file_size: None,
            min_confidence: Confidence::Medium,
            reveal: false,
            max_findings_per_file: 10_000,
            limits: Limits::default(),
        }
    }
}

/// Two reads in flight per core, at least 4 and at most 32: enough to hide network latency on
/// SMB/NFS without thrashing a local disk.
pub fn default_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores * 2).clamp(4, 32)
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("cannot scan {path}: {source}")]
    Root { path: PathBuf, source: io::Error },
    #[error("bad --exclude pattern: {0}")]
    Exclude(#[from] globset::Error),
    #[error("cannot write the report: {0}")]
    Report(io::Error),
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}

/// The result of a scan, for the exit code.
#[derive(Debug)]
pub struct Outcome {
    pub summary: Summary,
    /// Non-synthetic findings at the reported confidence.
    pub personal: u64,
    /// Files not read completely (partial, error, encrypted, unsupported, limit, too large).
    pub unscanned: u64,
}

/// A processed file on its way to the writer.
struct Done {
    rec: FileRecord,
    bytes: u64,
    noatime: Option<bool>,
}

/// Runs a whole scan. `never_scan` are paths excluded exactly (the report being written).
pub fn run(
    opts: &Options,
    det: &Detector,
    key: &HashKey,
    report: &mut dyn Report,
    progress: &mut Progress,
    never_scan: Vec<PathBuf>,
) -> Result<Outcome, ScanError> {
    // A root that cannot be read fails the scan (exit 2); anything below it is a status.
    for root in &opts.roots {
        let err = |source| ScanError::Root {
            path: root.clone(),
            source,
        };
        let meta = std::fs::metadata(root).map_err(err)?;
        if meta.is_dir() {
            std::fs::read_dir(root).map_err(err)?;
        } else if meta.is_file() {
            read::open_following(root).map_err(err)?;
        }
    }
    let walk = Walk {
        follow: opts.follow,
        exclude: Exclude::new(&opts.exclude, never_scan)?,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .thread_name(|i| format!("kartlegg-{i}"))
        .build()
        .map_err(|e| ScanError::Threads(e.to_string()))?;
    let (entry_tx, entry_rx) = crossbeam_channel::bounded::<Entry>(4096);
    let (done_tx, done_rx) = crossbeam_channel::bounded::<Done>(1024);
    let mut totals = Totals::default();
    let mut write_err = None;

    std::thread::scope(|s| {
        let walker = s.spawn(|| {
            let mut excluded = 0;
            for root in &opts.roots {
                excluded += walk.run(root, &mut |e| {
                    // The receiver only goes away if the workers stopped; then stop walking.
                    let _ = entry_tx.send(e);
                });
            }
            drop(entry_tx);
            excluded
        });
        s.spawn(|| {
            let mut scanner = Scanner::new(opts, det, key);
            // Members of a container go to the writer as they are made, not all at the end: an
            // archive of a million members must not hold a million records.
            scanner.spill = Some(done_tx.clone());
            let scanner = scanner;
            pool.install(|| {
                entry_rx
                    .into_iter()
                    .par_bridge()
                    .for_each_with(done_tx, |tx, entry| {
                        for done in scanner.process(entry) {
                            let _ = tx.send(done);
                        }
                    });
            });
        });
        for done in done_rx {
            totals.add(&done.rec, done.bytes, done.noatime);
            progress.file(done.rec.total());
            if write_err.is_none() {
                if let Err(e) = report.file(&done.rec) {
                    write_err = Some(e);
                }
            }
        }
        totals.summary.files_excluded = walker.join().expect("walker thread");
    });
    progress.finish();
    if let Some(e) = write_err {
        return Err(ScanError::Report(e));
    }
    let summary = totals.finish().clone();
    report
        .finish(&summary, &crate::now_rfc3339())
        .map_err(ScanError::Report)?;
    Ok(Outcome {
        summary,
        personal: totals.personal,
        unscanned: totals.unscanned,
    })
}

/// Reads, extracts and detects one input at a time; shared by all workers.
pub struct Scanner<'a> {
    opts: &'a Options,
    det: &'a Detector,
    key: &'a HashKey,
    /// Where records of nested members go once [`SPILL_AT`] of them are waiting (a scan's
    /// writer); without it they are all returned with their container.
    spill: Option<crossbeam_channel::Sender<Done>>,
}

/// Records of nested members kept before they are sent on to the writer.
const SPILL_AT: usize = 1024;

/// Why an extraction ended early, for the record.
struct Failure {
    status: Status,
    reason: &'static str,
    detail: String,
    limit: Option<Limit>,
}

/// Runs an extraction, turning a parser panic into an error status. The panic hook set by the
/// binary prints only the code location, never the message, which could quote document text.
fn guarded<T>(f: impl FnOnce() -> Result<T, ExtractError>) -> Result<T, Failure> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            let (status, reason) = e.status();
            Err(Failure {
                status,
                reason,
                detail: e.to_string(),
                limit: e.as_limit(),
            })
        }
        Err(_) => Err(Failure {
            status: Status::Error,
            reason: "parser_panic",
            detail:
                "the parser for this format crashed on this file; it was recorded and the scan went on"
                    .into(),
            limit: None,
        }),
    }
}

impl<'a> Scanner<'a> {
    pub fn new(opts: &'a Options, det: &'a Detector, key: &'a HashKey) -> Scanner<'a> {
        Scanner {
            opts,
            det,
            key,
            spill: None,
        }
    }

    /// Scans an in-memory input (a git blob, say) as if it were a file called `name`; returns
    /// its record and the records of anything nested in it.
    pub fn scan_bytes(&self, name: &str, data: &[u8]) -> Vec<FileRecord> {
        let mut rec = FileRecord::new(name.to_string(), None);
        let limits = &self.opts.limits;
        let head = &data[..data.len().min(sniff::HEAD)];
        let mut cursor = Cursor::new(data);
        let mut input = Input::seekable_from(
            name,
            head,
            &mut cursor,
            Some(data.len() as u64),
            0,
            limits,
            Clock::start(limits),
            self.det,
        );
        let mut nested = Vec::new();
        let budget = Cell::new(0);
        self.run_extract(&mut input, &mut rec, &mut nested, &budget);
        std::iter::once(rec)
            .chain(nested.into_iter().map(|d| d.rec))
            .collect()
    }

    /// Scans pieces of one text file that start at the given 1-based lines (the added lines
    /// of a diff), as a record called `name`.
    pub fn scan_text_pieces(&self, name: &str, pieces: &[(u64, &str)]) -> FileRecord {
        let mut rec = FileRecord::new(name.to_string(), None);
        rec.file_type = "text".into();
        let limits = &self.opts.limits;
        let budget = Cell::new(0);
        let mut nested = Vec::new();
        let mut sink = Collector::new(
            self,
            &mut rec,
            &mut nested,
            &budget,
            0,
            Clock::start(limits),
        );
        let base = Location::default();
        for &(line, text) in pieces {
            let chunk = Chunk::whole(
                text,
                &base,
                extract::Position::Lines(extract::LinePos { line, column: 1 }),
                ChunkContext::default(),
            );
            sink.chunk(&chunk);
        }
        sink.finish();
        rec
    }

    fn process(&self, entry: Entry) -> Vec<Done> {
        match entry {
            Entry::File { path, meta } => self.file(&path, &meta),
            Entry::Skipped {
                path,
                meta,
                reason,
                detail,
            } => {
                let mut rec =
                    FileRecord::new(display(&path), meta.as_ref().map(FileMeta::from_metadata));
                rec.file_type = reason.to_string();
                rec.set_status(Status::Skipped, reason, detail);
                vec![Done {
                    rec,
                    bytes: 0,
                    noatime: None,
                }]
            }
            Entry::Error {
                path,
                reason,
                detail,
            } => {
                let mut rec = FileRecord::new(display(&path), None);
                rec.set_status(Status::Error, reason, detail);
                vec![Done {
                    rec,
                    bytes: 0,
                    noatime: None,
                }]
            }
        }
    }

    fn file(&self, path: &Path, meta: &std::fs::Metadata) -> Vec<Done> {
        let mut rec = FileRecord::new(display(path), Some(FileMeta::from_metadata(meta)));
        let one = |rec: FileRecord, noatime| {
            vec![Done {
                rec,
                bytes: 0,
                noatime,
            }]
        };
        if let Some(max) = self.opts.max_file_size {
            if meta.len() > max {
                rec.set_status(
                    Status::Skipped,
                    "too_large",
                    format!("{} bytes is over --max-file-size {max}", meta.len()),
                );
                return one(rec, None);
            }
        }
        let opened = if self.opts.follow {
            read::open_following(path)
        } else {
            read::open(path)
        };
        let read::Opened { mut file, noatime } = match opened {
            Ok(o) => o,
            Err(e) => {
                let reason = read::io_reason(&e);
                let status = if reason == "symlink" {
                    Status::Skipped
                } else {
                    Status::Error
                };
                rec.set_status(status, reason, e.to_string());
                return one(rec, None);
            }
        };
        let before = match file.metadata() {
            Ok(m) if m.is_file() => read::version(&m),
            Ok(_) => {
                rec.set_status(
                    Status::Skipped,
                    "special_file",
                    "no longer a regular file when opened",
                );
                return one(rec, Some(noatime));
            }
            Err(e) => {
                rec.set_status(Status::Error, read::io_reason(&e), e.to_string());
                return one(rec, Some(noatime));
            }
        };
        let head = match read::read_head(&mut file, sniff::HEAD) {
            Ok(h) => h,
            Err(e) => {
                rec.set_status(Status::Error, read::io_reason(&e), e.to_string());
                return one(rec, Some(noatime));
            }
        };
        let limits = &self.opts.limits;
        let mut nested = Vec::new();
        let budget = Cell::new(0);
        let name = rec.path.clone();
        let mut input = Input::seekable_from(
            &name,
            &head,
            &mut file,
            Some(meta.len()),
            0,
            limits,
            Clock::start(limits),
            self.det,
        );
        let (bytes, _) = self.run_extract(&mut input, &mut rec, &mut nested, &budget);
        drop(input);
        let after_fd = file.metadata().map(|m| read::version(&m)).ok();
        let after_path = std::fs::metadata(path).map(|m| read::version(&m)).ok();
        if after_fd != Some(before) || (after_path.is_some() && after_path != Some(before)) {
            rec.set_status(
                Status::Partial,
                "changed_during_scan",
                "size or modification time changed while reading",
            );
        } else if after_path.is_none() && rec.status == Status::Scanned {
            rec.set_status(
                Status::Partial,
                "vanished",
                "deleted or renamed while reading; read as opened",
            );
        }
        let mut out = vec![Done {
            rec,
            bytes,
            noatime: Some(noatime),
        }];
        out.extend(nested);
        out
    }

    /// Identifies and extracts one input into `rec` (findings, type, status); nested members
    /// go to `nested`. Returns the bytes read and the limit that stopped it, if one did (a
    /// container stops when a member exhausts the file's byte or time budget).
    fn run_extract(
        &self,
        input: &mut Input<'_>,
        rec: &mut FileRecord,
        nested: &mut Vec<Done>,
        budget: &Cell<u64>,
    ) -> (u64, Option<Limit>) {
        let result = guarded(|| extract::identify(input)).and_then(|id| {
            rec.file_type = id.format.name().to_string();
            let mut sink = Collector::new(self, rec, nested, budget, input.depth, input.clock);
            let result = guarded(|| extract::extract(input, id, &mut sink));
            sink.finish();
            result
        });
        match result {
            Ok(e) => {
                rec.file_type = e.file_type;
                rec.encoding = e.encoding;
                if let Some(n) = e.note {
                    rec.set_status(n.status, &n.reason, n.detail);
                }
                (e.bytes, None)
            }
            Err(f) => {
                if rec.file_type == "unknown" {
                    rec.file_type = extract::sniffed_format(input.head).name().to_string();
                }
                // Findings made before an I/O error stay: the file was read in part.
                let status = if f.status == Status::Error && rec.total() > 0 {
                    Status::Partial
                } else {
                    f.status
                };
                rec.set_status(status, f.reason, f.detail);
                (0, f.limit)
            }
        }
    }
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Counts bytes read from a nested member against the top-level file's budget.
/// Damaged data below it (a member cut short, a bad checksum: [`extract::Damage`]) ends the
/// stream there, so the member's extractor reads and reports all that came before, and is
/// kept for the member's record.
struct Budgeted<'a> {
    inner: &'a mut dyn Read,
    used: &'a Cell<u64>,
    max: u64,
    damage: Option<extract::Damage>,
}

impl Read for Budgeted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.damage.is_some() {
            return Ok(0);
        }
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) => match e
                .get_ref()
                .and_then(|r| r.downcast_ref::<extract::Damage>())
            {
                Some(d) => {
                    self.damage = Some(d.clone());
                    return Ok(0);
                }
                None => return Err(e),
            },
        };
        self.used.set(self.used.get() + n as u64);
        if self.used.get() > self.max {
            return Err(LimitHit::new(
                Limit::NestedBytes,
                format!("over {} decompressed bytes in one file", self.max),
            )
            .into());
        }
        Ok(n)
    }
}

/// The sink that turns candidates into findings of one record, and nested members into
/// records of their own.
struct Collector<'a, 'b> {
    scanner: &'a Scanner<'a>,
    rec: &'b mut FileRecord,
    cands: Vec<Candidate>,
    nested: &'b mut Vec<Done>,
    /// Decompressed bytes of nested members so far, for the whole top-level file.
    budget: &'b Cell<u64>,
    depth: u32,
    clock: Clock,
    /// Chunks on which the detector panicked: their text went unchecked.
    detector_panics: u32,
}

/// The text around a value, on one line, for `--reveal`.
fn snippet(text: &str, start: usize, end: usize) -> String {
    use crate::detect::context::floor_boundary;
    let from = floor_boundary(text, start.saturating_sub(40));
    let to = floor_boundary(text, (end + 40).min(text.len()));
    text[from..to]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl<'a, 'b> Collector<'a, 'b> {
    fn new(
        scanner: &'a Scanner<'a>,
        rec: &'b mut FileRecord,
        nested: &'b mut Vec<Done>,
        budget: &'b Cell<u64>,
        depth: u32,
        clock: Clock,
    ) -> Collector<'a, 'b> {
        Collector {
            scanner,
            rec,
            cands: Vec::new(),
            nested,
            budget,
            depth,
            clock,
            detector_panics: 0,
        }
    }

    /// Marks the record when text went unchecked: a panic in detection loses no other
    /// finding, but the file was not fully checked, so it must not pass as scanned (the CI
    /// gate fails closed on it, and `--fail-on-unscanned` counts it).
    fn finish(&mut self) {
        if self.detector_panics > 0 && self.rec.status == Status::Scanned {
            self.rec.set_status(
                Status::Partial,
                "detector_panic",
                format!(
                    "detection failed on {} piece(s) of text, which went unchecked",
                    self.detector_panics
                ),
            );
        }
    }
}

impl Sink for Collector<'_, '_> {
    fn chunk(&mut self, chunk: &Chunk<'_>) {
        let s = self.scanner;
        if !s.det.may_match(chunk.text.as_bytes()) {
            return;
        }
        self.cands.clear();
        let scanned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            s.det.scan(chunk.text, &chunk.context, &mut self.cands)
        }));
        if scanned.is_err() {
            self.detector_panics += 1;
            self.cands.clear();
            return;
        }
        let mut locator = Locator::new(chunk);
        // A value of a table column (dumps, databases, CSV): its findings feed the per-column
        // summary.
        let column = match (&chunk.position, &chunk.base.column) {
            (extract::Position::Fixed, Some(col)) => Some(col),
            _ => None,
        };
        let mut in_column: Vec<(&'static str, u64)> = Vec::new();
        for c in &self.cands {
            if !chunk.report.contains(&c.start) || c.confidence < s.opts.min_confidence {
                continue;
            }
            let fingerprint = s.key.fingerprint(c.kind, &c.value);
            self.rec
                .tally
                .add(c.kind, c.confidence, c.synthetic, mask::short(&fingerprint));
            if column.is_some() {
                in_column.push((c.kind, mask::short(&fingerprint)));
            }
            *self.rec.counts.entry(c.kind).or_default() += 1;
            if self.rec.findings.len() >= s.opts.max_findings_per_file {
                self.rec.findings_truncated = true;
                continue;
            }
            self.rec.findings.push(Finding {
                kind: c.kind,
                rule: c.rule,
                confidence: c.confidence,
                location: locator.locate(c.start),
                masked: mask::mask(c.kind, &c.value),
                fingerprint,
                checksum: c.checksum.map(|r| r.as_str()),
                synthetic: c.synthetic,
                role: c.role,
                iban: c.iban,
                recovered_leading_zero: c.recovered_leading_zero,
                value: s.opts.reveal.then(|| c.value.clone()),
                context: s.opts.reveal.then(|| snippet(chunk.text, c.start, c.end)),
            });
        }
        if let Some(col) = column {
            self.rec
                .column_finding(chunk.base.table.as_deref(), col, &in_column);
        }
    }

    fn column_values(&mut self, table: Option<&str>, column: &extract::Column, values: u64) {
        self.rec.column_values(table, column, values);
    }

    fn nested(
        &mut self,
        name: &str,
        size: Option<u64>,
        data: &mut dyn Read,
    ) -> Result<(), ExtractError> {
        let limits = &self.scanner.opts.limits;
        let path = format!("{}!/{}", self.rec.path, name);
        let mut rec = FileRecord::new(path.clone(), None);
        let depth = self.depth + 1;
        if depth > limits.max_depth {
            // The member is listed, unread; the container goes on with its other members.
            rec.set_status(
                Status::LimitExceeded,
                Limit::Depth.reason(),
                format!("containers nested deeper than {}", limits.max_depth),
            );
            self.nested.push(Done {
                rec,
                bytes: 0,
                noatime: None,
            });
            return Ok(());
        }
        let mut reader = Budgeted {
            inner: data,
            used: self.budget,
            max: limits.max_nested_bytes,
            damage: None,
        };
        let head = match read::read_head(&mut reader, sniff::HEAD) {
            Ok(h) => h,
            Err(e) => {
                let e = ExtractError::from(e);
                let (status, reason) = e.status();
                rec.set_status(status, reason, e.to_string());
                self.nested.push(Done {
                    rec,
                    bytes: 0,
                    noatime: None,
                });
                return Err(e);
            }
        };
        let mut input = Input::streamed(
            &path,
            &head,
            &mut reader,
            size,
            depth,
            limits,
            self.clock,
            self.scanner.det,
        );
        let mut inner = Vec::new();
        let (bytes, stop) = self
            .scanner
            .run_extract(&mut input, &mut rec, &mut inner, self.budget);
        drop(input);
        if let Some(d) = reader.damage {
            // What was read is reported; the record says why it is not all (a parser that
            // failed on the cut data is explained by the cut).
            if matches!(rec.status, Status::Scanned | Status::Error) {
                let (status, reason) = extract::ExtractError::Damaged(d.clone()).status();
                let status = if status == Status::Error && rec.total() > 0 {
                    Status::Partial
                } else {
                    status
                };
                rec.set_status(status, reason, d.detail);
            }
        }
        let detail = rec.detail.clone().unwrap_or_default();
        self.nested.push(Done {
            rec,
            bytes,
            noatime: None,
        });
        self.nested.extend(inner);
        if self.nested.len() >= SPILL_AT {
            if let Some(tx) = &self.scanner.spill {
                for d in self.nested.drain(..) {
                    let _ = tx.send(d);
                }
            }
        }
        match stop {
            // The whole file's budget is spent: the container stops too.
            Some(limit @ (Limit::NestedBytes | Limit::Time)) => {
                Err(ExtractError::limit(limit, detail))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A text member streamed out of a container (a `.sql.gz`, a zip entry) reaches the
    /// structured readers: a dump is parsed into tables without seeking.
    #[test]
    fn nested_text_members_reach_the_structured_readers() {
        let opts = Options::default();
        let det = Detector::builtin();
        let key = HashKey::provided(b"test".to_vec());
        let scanner = Scanner::new(&opts, &det, &key);
        let mut rec = FileRecord::new("backup.sql.gz".into(), None);
        let mut nested = Vec::new();
        let budget = Cell::new(0);
        let clock = Clock::start(&opts.limits);
        let mut sink = Collector::new(&scanner, &mut rec, &mut nested, &budget, 0, clock);
        let dump =
            b"-- MySQL dump\nINSERT INTO `kunde` (`id`,`fnr`) VALUES (1,'13097248022'),(2,NULL);\n";
        // A plain `Read` (no `Seek`), as a decompressor gives it.
        let mut stream = io::BufReader::new(&dump[..]);
        sink.nested("backup.sql", None, &mut stream).unwrap();
        let member = &nested[0].rec;
        assert_eq!(
            (member.path.as_str(), member.file_type.as_str()),
            ("backup.sql.gz!/backup.sql", "sql")
        );
        let loc = &member.findings[0].location;
        assert_eq!((loc.table.as_deref(), loc.row), (Some("kunde"), Some(1)));
        assert_eq!(loc.column, Some(extract::Column::Name("fnr".into())));
        assert_eq!(
            (member.columns[0].values, member.columns[0].matched),
            (1, 1)
        );
    }
}
