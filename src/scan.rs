//! The scan: walk → read → extract → detect → report, wired together.
//!
//! One thread walks and feeds a bounded queue; a rayon pool of `--threads` workers takes files
//! from it (more workers than cores by default, because on SMB/NFS a file costs round trips
//! rather than CPU); each worker reads, extracts and detects one file and sends its record to
//! the calling thread, which alone writes the report. Every path yields exactly one record.

use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};

use rayon::iter::{ParallelBridge, ParallelIterator};

use crate::detect::{Candidate, ChunkContext, Confidence, Detector};
use crate::extract::{self, Chunk, Locator, Location, Sink};
use crate::read::sniff::{self, Sniffed};
use crate::read::{self, FileMeta};
use crate::report::mask::{self, HashKey};
use crate::report::progress::Progress;
use crate::report::{Finding, FileRecord, Report, Status, Summary, Totals};
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
    for root in &opts.roots {
        std::fs::symlink_metadata(root).map_err(|source| ScanError::Root {
            path: root.clone(),
            source,
        })?;
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
    let scanner = FileScanner { opts, det, key };
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
                entry_rx.into_iter().par_bridge().for_each_with(done_tx, |tx, entry| {
                    let done = scanner.process(entry);
                    let _ = tx.send(done);
                });
            });
        });
        for done in done_rx {
            totals.add(&done.rec, done.bytes, done.noatime);
            progress.file(done.bytes, done.rec.total());
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

struct FileScanner<'a> {
    opts: &'a Options,
    det: &'a Detector,
    key: &'a HashKey,
}

fn io_reason(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::PermissionDenied => "permission_denied",
        io::ErrorKind::NotFound => "vanished",
        _ if e.raw_os_error() == Some(libc::ELOOP) => "symlink",
        _ => "io_error",
    }
}

/// Reads up to `n` bytes (fewer only at end of file).
fn read_head(r: &mut dyn Read, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

impl FileScanner<'_> {
    fn process(&self, entry: Entry) -> Done {
        match entry {
            Entry::File { path, meta } => self.file(&path, &meta),
            Entry::Skipped {
                path,
                meta,
                reason,
                detail,
            } => {
                let mut rec = FileRecord::new(display(&path), meta.as_ref().map(FileMeta::from_metadata));
                rec.file_type = reason.to_string();
                rec.set_status(Status::Skipped, reason, detail);
                Done {
                    rec,
                    bytes: 0,
                    noatime: None,
                }
            }
            Entry::Error { path, reason, detail } => {
                let mut rec = FileRecord::new(display(&path), None);
                rec.set_status(Status::Error, reason, detail);
                Done {
                    rec,
                    bytes: 0,
                    noatime: None,
                }
            }
        }
    }

    fn file(&self, path: &Path, meta: &std::fs::Metadata) -> Done {
        let mut rec = FileRecord::new(display(path), Some(FileMeta::from_metadata(meta)));
        let done = |rec: FileRecord, bytes, noatime| Done { rec, bytes, noatime };
        if let Some(max) = self.opts.max_file_size {
            if meta.len() > max {
                rec.set_status(Status::Skipped, "too_large", format!("{} bytes is over --max-file-size {max}", meta.len()));
                return done(rec, 0, None);
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
                let reason = io_reason(&e);
                let status = if reason == "symlink" { Status::Skipped } else { Status::Error };
                rec.set_status(status, reason, e.to_string());
                return done(rec, 0, None);
            }
        };
        let before = match file.metadata() {
            Ok(m) if m.is_file() => read::version(&m),
            Ok(_) => {
                rec.set_status(Status::Skipped, "special_file", "no longer a regular file when opened");
                return done(rec, 0, Some(noatime));
            }
            Err(e) => {
                rec.set_status(Status::Error, io_reason(&e), e.to_string());
                return done(rec, 0, Some(noatime));
            }
        };
        let bytes = match self.extract(&mut file, path, &mut rec) {
            Ok(bytes) => bytes,
            Err(e) => {
                // What was found before the error stays in the record.
                let status = if rec.total() > 0 { Status::Partial } else { Status::Error };
                rec.set_status(status, "read_error", e.to_string());
                return done(rec, 0, Some(noatime));
            }
        };
        let after_fd = file.metadata().map(|m| read::version(&m)).ok();
        let after_path = std::fs::metadata(path).map(|m| read::version(&m)).ok();
        if after_fd != Some(before) || (after_path.is_some() && after_path != Some(before)) {
            rec.set_status(Status::Partial, "changed_during_scan", "size or modification time changed while reading");
        } else if after_path.is_none() && rec.status == Status::Scanned {
            rec.set_status(Status::Partial, "vanished", "deleted or renamed while reading; read as opened");
        }
        done(rec, bytes, Some(noatime))
    }

    /// Sniffs and extracts one opened file; returns the bytes read.
    fn extract(&self, file: &mut std::fs::File, path: &Path, rec: &mut FileRecord) -> io::Result<u64> {
        let head = read_head(file, sniff::HEAD)?;
        let mut input = Cursor::new(head.clone()).chain(file);
        let base = Location::default();
        let mut sink = Collector::new(self, rec);
        match sniff::sniff(&head) {
            Sniffed::Text { encoding, bom } => {
                let columns = delimited(path, &head, encoding).map(|(delim, names)| {
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    self.det.columns(delim, &names)
                });
                let ctx = ChunkContext {
                    header: None,
                    columns: columns.as_ref(),
                };
                let stats = extract::text::extract(&mut input, encoding, &base, ctx, &mut sink)?;
                let rec = sink.into_record();
                rec.file_type = if columns.is_some() { "csv" } else { "text" }.into();
                let mut name = sniff::encoding_name(encoding, bom);
                if stats.had_errors {
                    name.push_str(" (with invalid sequences)");
                }
                rec.encoding = Some(name);
                Ok(stats.bytes)
            }
            Sniffed::Known { name, media: true } => {
                let rec = sink.into_record();
                rec.file_type = name.into();
                rec.set_status(Status::Skipped, "media", format!("{name} media file"));
                Ok(head.len() as u64)
            }
            Sniffed::Known { name, media: false } => {
                let bytes = extract::strings::extract(&mut input, &base, &mut sink)?;
                let rec = sink.into_record();
                rec.file_type = name.into();
                rec.set_status(
                    Status::Partial,
                    "format_not_extracted",
                    format!("no {name} reader yet: only its raw text runs were scanned"),
                );
                Ok(bytes)
            }
            Sniffed::Binary => {
                let bytes = extract::strings::extract(&mut input, &base, &mut sink)?;
                let rec = sink.into_record();
                rec.file_type = "binary".into();
                rec.encoding = Some("text runs (ascii, utf-16le)".into());
                Ok(bytes)
            }
        }
    }
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// A delimited text with a header row: by extension (`.csv`, `.tsv`) or by a first line with
/// two or more of one delimiter that the second line repeats. Returns the delimiter and the
/// header names.
fn delimited(path: &Path, head: &[u8], encoding: &'static encoding_rs::Encoding) -> Option<(u8, Vec<String>)> {
    let (text, _, _) = encoding.decode(head);
    let mut lines = text.lines();
    let first = lines.next()?;
    let second = lines.next().unwrap_or("");
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let count = |line: &str, d: char| line.chars().filter(|&c| c == d).count();
    let delim = [';', ',', '\t', '|']
        .into_iter()
        .filter(|&d| count(first, d) >= 1)
        .max_by_key(|&d| (count(first, d) == count(second, d), count(first, d)))?;
    let by_ext = matches!(ext.as_str(), "csv" | "tsv" | "tab" | "psv");
    if !by_ext && (count(first, delim) < 2 || count(first, delim) != count(second, delim)) {
        return None;
    }
    let names: Vec<String> = first.split(delim).map(|f| f.trim().trim_matches('"').to_string()).collect();
    // A header names its columns: mostly not numbers.
    let numeric = names.iter().filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || " .,-+".contains(c))).count();
    if numeric * 2 > names.len() {
        return None;
    }
    Some((delim as u8, names))
}

/// The sink that turns candidates into findings of one record.
struct Collector<'a, 'b> {
    scanner: &'a FileScanner<'a>,
    rec: &'b mut FileRecord,
    cands: Vec<Candidate>,
}

impl<'a, 'b> Collector<'a, 'b> {
    fn new(scanner: &'a FileScanner<'a>, rec: &'b mut FileRecord) -> Self {
        Collector {
            scanner,
            rec,
            cands: Vec::new(),
        }
    }

    fn into_record(self) -> &'b mut FileRecord {
        self.rec
    }
}

/// The text around a value, on one line, for `--reveal`.
fn snippet(text: &str, start: usize, end: usize) -> String {
    use crate::detect::context::floor_boundary;
    let from = floor_boundary(text, start.saturating_sub(40));
    let to = floor_boundary(text, (end + 40).min(text.len()));
    text[from..to].split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Sink for Collector<'_, '_> {
    fn chunk(&mut self, chunk: &Chunk<'_>) {
        let s = self.scanner;
        self.cands.clear();
        s.det.scan(chunk.text, &chunk.context, &mut self.cands);
        let mut locator = Locator::new(chunk);
        for c in &self.cands {
            if !chunk.report.contains(&c.start) || c.confidence < s.opts.min_confidence {
                continue;
            }
            let fingerprint = s.key.fingerprint(c.kind, &c.value);
            self.rec.tally.add(c.kind, c.confidence, c.synthetic, mask::short(&fingerprint));
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimited_texts_are_recognised_by_their_header() {
        let utf8 = encoding_rs::UTF_8;
        let (d, names) = delimited(Path::new("x.txt"), b"navn;fnr;mobil\nKari;1;2\n", utf8).unwrap();
        assert_eq!((d, names.len()), (b';', 3));
        assert_eq!(delimited(Path::new("x.csv"), b"a,b\n1,2\n", utf8).unwrap().0, b',');
        assert!(delimited(Path::new("x.txt"), b"Hei, du. Dette, er tekst\nmed komma\n", utf8).is_none());
        assert!(delimited(Path::new("x.csv"), b"1;2;3\n4;5;6\n", utf8).is_none(), "no header row");
    }
}
