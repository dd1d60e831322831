//! The scan: walk → read → extract → detect → report, wired together.
//!
//! One thread walks and feeds a bounded queue; a rayon pool of `--threads` workers takes files
//! from it (more workers than cores by default, because on SMB/NFS a file costs round trips
//! rather than CPU); each worker reads, extracts and detects one file and sends its record to
//! the calling thread, which alone writes the report. Every path yields exactly one record.

use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::iter::{ParallelBridge, ParallelIterator};

use crate::detect::{Candidate, ChunkContext, Confidence, Detector};
use crate::extract::{self, Chunk, ExtractError, Input, Limits, Location, Locator, Sink};
use crate::read::sniff::{self, Sniffed};
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
    let scanner = Scanner::new(opts, det, key);
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
}

/// Runs an extraction, turning a parser panic into an error status. The panic hook set by the
/// binary prints only the code location, never the message, which could quote document text.
fn guarded<T>(f: impl FnOnce() -> Result<T, ExtractError>) -> Result<T, (Status, String, String)> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            let (status, reason) = e.status();
            Err((status, reason, e.to_string()))
        }
        Err(_) => Err((
            Status::Error,
            "parser_panic".into(),
            "the parser for this format crashed on this file; it was recorded and the scan went on"
                .into(),
        )),
    }
}

impl<'a> Scanner<'a> {
    pub fn new(opts: &'a Options, det: &'a Detector, key: &'a HashKey) -> Scanner<'a> {
        Scanner { opts, det, key }
    }

    /// Scans an in-memory input (a git blob, say) as if it were a file called `name`; returns
    /// its record and the records of anything nested in it.
    pub fn scan_bytes(&self, name: &str, data: &[u8]) -> Vec<FileRecord> {
        let mut rec = FileRecord::new(name.to_string(), None);
        let limits = self.opts.limits.clone();
        let head = data[..data.len().min(sniff::HEAD)].to_vec();
        let mut cursor = Cursor::new(data);
        let mut input = Input {
            name,
            head: &head,
            reader: &mut cursor,
            size: Some(data.len() as u64),
            depth: 0,
            limits: &limits,
            deadline: Instant::now() + Duration::from_secs(limits.seconds),
            det: self.det,
        };
        let mut nested = Vec::new();
        let mut budget = 0;
        self.run_extract(&mut input, &mut rec, &mut nested, &mut budget);
        std::iter::once(rec)
            .chain(nested.into_iter().map(|d| d.rec))
            .collect()
    }

    /// Scans pieces of one text file that start at the given 1-based lines (the added lines
    /// of a diff), as a record called `name`.
    pub fn scan_text_pieces(&self, name: &str, pieces: &[(u64, &str)]) -> FileRecord {
        let mut rec = FileRecord::new(name.to_string(), None);
        rec.file_type = "text".into();
        let limits = self.opts.limits.clone();
        let mut sink = Collector {
            scanner: self,
            rec: &mut rec,
            cands: Vec::new(),
            nested: &mut Vec::new(),
            budget: &mut 0,
            depth: 0,
            limits: &limits,
            deadline: Instant::now() + Duration::from_secs(limits.seconds),
        };
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
        let limits = self.opts.limits.clone();
        let deadline = Instant::now() + Duration::from_secs(limits.seconds);
        let mut nested = Vec::new();
        let mut budget = 0u64;
        let mut input = Input {
            name: &rec.path.clone(),
            head: &head,
            reader: &mut file,
            size: Some(meta.len()),
            depth: 0,
            limits: &limits,
            deadline,
            det: self.det,
        };
        let bytes = self.run_extract(&mut input, &mut rec, &mut nested, &mut budget);
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

    /// Extracts one input into `rec` (findings, type, status); nested members go to `nested`.
    /// Returns the bytes read.
    fn run_extract(
        &self,
        input: &mut Input<'_>,
        rec: &mut FileRecord,
        nested: &mut Vec<Done>,
        budget: &mut u64,
    ) -> u64 {
        let mut sink = Collector {
            scanner: self,
            rec,
            cands: Vec::new(),
            nested,
            budget,
            depth: input.depth,
            limits: input.limits,
            deadline: input.deadline,
        };
        let result = guarded(|| extract::extract(input, &mut sink));
        match result {
            Ok(e) => {
                rec.file_type = e.file_type;
                rec.encoding = e.encoding;
                if let Some(n) = e.note {
                    rec.set_status(n.status, &n.reason, n.detail);
                }
                e.bytes
            }
            Err((status, reason, detail)) => {
                if rec.file_type == "unknown" {
                    rec.file_type = match sniff::sniff(input.head) {
                        Sniffed::Known { name, .. } => name.into(),
                        Sniffed::Text { .. } => "text".into(),
                        Sniffed::Binary => "binary".into(),
                    };
                }
                // Findings made before an I/O error stay: the file was read in part.
                let status = if status == Status::Error && rec.total() > 0 {
                    Status::Partial
                } else {
                    status
                };
                rec.set_status(status, &reason, detail);
                0
            }
        }
    }
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Counts bytes read from a nested member against the top-level file's budget.
struct Budgeted<'a> {
    inner: &'a mut dyn Read,
    used: &'a mut u64,
    max: u64,
}

impl Read for Budgeted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        *self.used += n as u64;
        if *self.used > self.max {
            return Err(io::Error::other(NESTED_BYTES_EXCEEDED));
        }
        Ok(n)
    }
}

const NESTED_BYTES_EXCEEDED: &str = "nested bytes limit";

/// The sink that turns candidates into findings of one record, and nested members into
/// records of their own.
struct Collector<'a, 'b> {
    scanner: &'a Scanner<'a>,
    rec: &'b mut FileRecord,
    cands: Vec<Candidate>,
    nested: &'b mut Vec<Done>,
    /// Decompressed bytes of nested members so far, for the whole top-level file.
    budget: &'b mut u64,
    depth: u32,
    limits: &'b Limits,
    deadline: Instant,
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

impl Sink for Collector<'_, '_> {
    fn chunk(&mut self, chunk: &Chunk<'_>) {
        let s = self.scanner;
        if !s.det.may_match(chunk.text.as_bytes()) {
            return;
        }
        self.cands.clear();
        s.det.scan(chunk.text, &chunk.context, &mut self.cands);
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
            // Distinct values are counted by a cheap keyed hash; the HMAC fingerprint is made
            // only for the findings that are listed.
            let distinct = s.key.distinct(c.kind, &c.value);
            self.rec
                .tally
                .add(c.kind, c.confidence, c.synthetic, distinct);
            if column.is_some() {
                in_column.push((c.kind, distinct));
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
                fingerprint: s.key.fingerprint(c.kind, &c.value),
                checksum: c.checksum.map(|r| r.as_str()),
                synthetic: c.synthetic,
                role: c.role,
                iban: c.iban,
                recovered_leading_zero: c.recovered_leading_zero,
                scope: c.scope,
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
        let limits = self.limits;
        if self.depth + 1 > limits.max_depth {
            return Err(ExtractError::Limit {
                limit: "depth",
                detail: format!("containers nested deeper than {}", limits.max_depth),
            });
        }
        let path = format!("{}!/{}", self.rec.path, name);
        let mut rec = FileRecord::new(path.clone(), None);
        let mut reader = Budgeted {
            inner: data,
            used: self.budget,
            max: limits.max_nested_bytes,
        };
        let over = |e: &io::Error| e.to_string() == NESTED_BYTES_EXCEEDED;
        let limit_err = || ExtractError::Limit {
            limit: "nested_bytes",
            detail: format!(
                "over {} decompressed bytes in one file",
                limits.max_nested_bytes
            ),
        };
        let head = match read::read_head(&mut reader, sniff::HEAD) {
            Ok(h) => h,
            Err(e) if over(&e) => return Err(limit_err()),
            Err(e) => return Err(e.into()),
        };
        let bytes;
        let text = match sniff::sniff(&head) {
            // E-mail is text to the sniffer, but is read as messages (through `extract`).
            Sniffed::Text { .. } if extract::mail::is_mail(name, &head) => None,
            Sniffed::Text { encoding, bom } => Some((encoding, bom)),
            _ => None,
        };
        if let Some((encoding, bom)) = text {
            // Text streams through without being held in memory; structured text (an SQL
            // dump in a .gz, a CSV in a zip) goes to its reader the same way.
            let mut chained = (&head[..]).chain(&mut reader);
            let mut sink = Collector {
                scanner: self.scanner,
                rec: &mut rec,
                cands: Vec::new(),
                nested: &mut Vec::new(),
                budget: &mut 0,
                depth: self.depth + 1,
                limits,
                deadline: self.deadline,
            };
            let env = extract::structured::Env {
                det: self.scanner.det,
                clock: extract::Clock::new(self.deadline, limits),
                limits,
            };
            match extract::structured::extract_member(
                name,
                &head,
                &mut chained,
                encoding,
                bom,
                &env,
                &mut sink,
            ) {
                Ok(e) => {
                    bytes = e.bytes;
                    rec.file_type = e.file_type;
                    rec.encoding = e.encoding;
                    if let Some(n) = e.note {
                        rec.set_status(n.status, &n.reason, n.detail);
                    }
                }
                Err(ExtractError::Io(e)) if over(&e) => {
                    self.nested.push(Done {
                        rec,
                        bytes: 0,
                        noatime: None,
                    });
                    return Err(limit_err());
                }
                Err(e) => {
                    bytes = 0;
                    let (status, reason) = e.status();
                    let status = if status == Status::Error && rec.total() > 0 {
                        Status::Partial
                    } else {
                        status
                    };
                    rec.set_status(status, &reason, e.to_string());
                }
            }
        } else {
            // Other formats need the whole member (zip directories, PDF cross-references).
            let mut buf = head;
            let room = limits.max_parse_bytes.saturating_sub(buf.len() as u64);
            match (&mut reader).take(room + 1).read_to_end(&mut buf) {
                Ok(_) => {}
                Err(e) if over(&e) => return Err(limit_err()),
                Err(e) => return Err(e.into()),
            }
            if buf.len() as u64 > limits.max_parse_bytes {
                rec.set_status(
                    Status::LimitExceeded,
                    "parse_bytes_limit",
                    format!(
                        "member over the {}-byte parse limit",
                        limits.max_parse_bytes
                    ),
                );
                self.nested.push(Done {
                    rec,
                    bytes: 0,
                    noatime: None,
                });
                return Ok(());
            }
            let head_len = buf.len().min(sniff::HEAD);
            let head = buf[..head_len].to_vec();
            let size = buf.len() as u64;
            let mut cursor = Cursor::new(buf);
            let mut input = Input {
                name: &path,
                head: &head,
                reader: &mut cursor,
                size: Some(size),
                depth: self.depth + 1,
                limits,
                deadline: self.deadline,
                det: self.scanner.det,
            };
            let mut inner = Vec::new();
            bytes = self
                .scanner
                .run_extract(&mut input, &mut rec, &mut inner, self.budget);
            self.nested.push(Done {
                rec,
                bytes,
                noatime: None,
            });
            self.nested.extend(inner);
            let _ = size;
            return Ok(());
        }
        let _ = size;
        self.nested.push(Done {
            rec,
            bytes,
            noatime: None,
        });
        Ok(())
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
        let limits = Limits::default();
        let mut rec = FileRecord::new("backup.sql.gz".into(), None);
        let mut nested = Vec::new();
        let mut sink = Collector {
            scanner: &scanner,
            rec: &mut rec,
            cands: Vec::new(),
            nested: &mut nested,
            budget: &mut 0,
            depth: 0,
            limits: &limits,
            deadline: Instant::now() + Duration::from_secs(60),
        };
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
