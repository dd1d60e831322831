//! One input at a time: open, identify, extract, detect, and the records that come out —
//! the file's own and one per member of a container, each emitted as soon as it is complete
//! (a container's members before the container itself), so an archive of a million members
//! never holds a million records.

use std::cell::Cell;
use std::io::{self, Cursor, Read};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::barren::Barren;
use super::{Done, Options};
use std::collections::HashMap;

use crate::detect::names::{masked_in_names, Spread};
use crate::detect::{Candidate, ChunkContext, Detector};
use crate::extract::{
    self, Chunk, Clock, ExtractError, Input, Limit, LimitHit, Location, Locator, Sink,
};
use crate::read::sniff;
use crate::read::{self, FileMeta};
use crate::report::mask::{self, HashKey};
use crate::report::{FileRecord, Finding, Status};
use crate::retain::{self, Dating, LineDates, Pending, Rank, Review, When};
use crate::walk::Entry;

/// Where finished records go: the writer's channel in one process, the pipe to the parent in
/// a worker process, a vector in tests and the CI gate.
pub type Emit<'e> = dyn FnMut(Done) + 'e;

/// Reads, extracts and detects one input at a time; shared by all workers.
pub struct Scanner<'a> {
    opts: &'a Options,
    det: &'a Detector,
    key: &'a HashKey,
    content_secret: [u8; 192],
    /// The retention review (`--policy`): verdicts on records, and which need dates.
    review: Option<Review>,
}

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
            content_secret: read::content_secret(key.parts().0),
            review: opts
                .retention
                .as_ref()
                .map(|cfg| Review::new(cfg, &opts.roots)),
        }
    }

    /// How to date the findings of the input recorded as `path`, modified on `modified` (a
    /// member: its container).
    fn dating(&self, path: &str, modified: Option<chrono::NaiveDate>) -> Dating {
        match &self.review {
            Some(r) => r.dating(path, modified),
            None => Dating {
                modified,
                content: false,
            },
        }
    }

    /// Scans an in-memory input (a git blob, say) as if it were a file called `name`; returns
    /// its record and the records of anything nested in it.
    pub fn scan_bytes(&self, name: &str, data: &[u8]) -> Vec<FileRecord> {
        let mut out = Vec::new();
        self.bytes(name, data, &mut |d: Done| out.push(d.rec));
        // The input's own record first, then its members in the order they were met.
        out.rotate_right(1);
        out
    }

    /// Scans an in-memory input as a file called `name`, emitting its records.
    pub fn bytes(&self, name: &str, data: &[u8], emit: &mut Emit<'_>) {
        let emit = &mut |mut d: Done| {
            self.names(&mut d.rec);
            emit(d)
        };
        let mut rec = FileRecord::new(name.to_string(), None);
        let mut hash = xxhash_rust::xxh3::Xxh3::with_secret(self.content_secret);
        hash.update(data);
        rec.content_hash = Some(read::content_hash_text(hash.digest128()));
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
        let budget = Cell::new(0);
        let (bytes, _) = self.run_extract(&mut input, &mut rec, emit, &budget, Dating::default());
        emit(Done {
            rec,
            bytes,
            noatime: None,
        });
    }

    /// Scans pieces of one text file that start at the given 1-based lines (the added lines
    /// of a diff), as a record called `name`.
    pub fn scan_text_pieces(&self, name: &str, pieces: &[(u64, &str)]) -> FileRecord {
        let mut rec = FileRecord::new(name.to_string(), None);
        rec.file_type = "text".into();
        let limits = &self.opts.limits;
        let budget = Cell::new(0);
        let mut members = |_: Done| {};
        let mut sink = Collector::new(
            self,
            &mut rec,
            &mut members,
            &budget,
            0,
            Clock::start(limits),
            Dating::default(),
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
        drop(sink);
        rec
    }

    /// Processes one walk entry: a file is read; anything else becomes its record at once.
    pub fn process(&self, entry: Entry, emit: &mut Emit<'_>) {
        let emit = &mut |mut d: Done| {
            self.names(&mut d.rec);
            emit(d)
        };
        match entry {
            Entry::File { path, .. } => self.read_file(&path, None, emit),
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
                emit(Done {
                    rec,
                    bytes: 0,
                    noatime: None,
                });
            }
            Entry::Error {
                path,
                reason,
                detail,
            } => {
                let mut rec = FileRecord::new(display(&path), None);
                rec.set_status(Status::Error, reason, detail);
                emit(Done {
                    rec,
                    bytes: 0,
                    noatime: None,
                });
            }
        }
    }

    /// Reads one file: its members' records are emitted as they complete, its own last. The
    /// file's evidence (size, times, owner) is taken from the opened descriptor, before
    /// anything is read.
    pub fn file(&self, path: &Path, emit: &mut Emit<'_>) {
        self.read_file(path, None, &mut |mut d: Done| {
            self.names(&mut d.rec);
            emit(d)
        })
    }

    /// Reads a git blob too large to hold, from the file `path` (a `/proc/<pid>/fd/<n>` link to
    /// a temporary file with no name on disk), as if it were the file called `name`: the
    /// records carry that name, and values in it are found as in any file's name.
    pub fn blob_file(&self, name: &str, path: &Path, emit: &mut Emit<'_>) {
        self.read_file(path, Some(name), &mut |mut d: Done| {
            self.names(&mut d.rec);
            emit(d)
        })
    }

    /// [`Scanner::file`] (or with `blob`, the name of [`Scanner::blob_file`]) before names are
    /// looked at.
    fn read_file(&self, path: &Path, blob: Option<&str>, emit: &mut Emit<'_>) {
        let mut rec = FileRecord::new(blob.map_or_else(|| display(path), str::to_string), None);
        let mut one = |rec: FileRecord, noatime| {
            emit(Done {
                rec,
                bytes: 0,
                noatime,
            })
        };
        // A root is taken as named, a symbolic link to a file too (as one to a directory is
        // walked); below a root a link is followed only with --follow, so a file swapped for
        // one between the walk and the open is not read through it.
        // A blob's `/proc` link is the way to its file, never a swap. A root's entry has the
        // root's bytes (bytes compared: `Path`'s `==` parses components, 3 % of a worker's
        // time on a tree of small files).
        let is_root = || {
            self.opts
                .roots
                .iter()
                .any(|r| r.as_os_str() == path.as_os_str())
        };
        let opened = if blob.is_some() || self.opts.follow || is_root() {
            read::open_following(path)
        } else {
            read::open(path)
        };
        let read::Opened { file, noatime } = match opened {
            Ok(o) => o,
            Err(e) => {
                // Who owns a file that cannot be opened is what a reviewer asks next.
                rec.meta = read::lstat(path).ok().map(|m| FileMeta::from_metadata(&m));
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
        let meta = match read::fstat(&file) {
            Ok(m) => m,
            Err(e) => {
                rec.set_status(Status::Error, read::io_reason(&e), e.to_string());
                return one(rec, Some(noatime));
            }
        };
        rec.meta = Some(FileMeta::from_metadata(&meta));
        if !meta.is_file() {
            rec.set_status(
                Status::Skipped,
                "special_file",
                "no longer a regular file when opened",
            );
            return one(rec, Some(noatime));
        }
        if let Some(max) = self.opts.max_file_size.filter(|&max| meta.len() > max) {
            rec.set_status(
                Status::Skipped,
                "too_large",
                format!("{} bytes is over --max-file-size {max}", meta.len()),
            );
            return one(rec, Some(noatime));
        }
        let before = read::version(&meta);
        let mut file = read::Watched::new(file, Some(self.content_secret));
        let mut lent = read::HeadBuffer::lent();
        let head = match lent.read_file_head(&mut file, sniff::HEAD, meta.len()) {
            Ok(h) => h,
            Err(e) => {
                rec.set_status(Status::Error, read::io_reason(&e), e.to_string());
                return one(rec, Some(noatime));
            }
        };
        let limits = &self.opts.limits;
        let budget = Cell::new(0);
        let name = rec.path.clone();
        let dating = self.dating(&name, rec.meta.as_ref().and_then(retain::modified_day));
        let mut input = Input::seekable_from(
            &name,
            head,
            &mut file,
            Some(meta.len()),
            0,
            limits,
            Clock::start(limits),
            self.det,
        );
        let (bytes, _) = self.run_extract(&mut input, &mut rec, emit, &budget, dating);
        drop(input);
        rec.content_hash = file.content_hash(meta.len());
        // The descriptor tells both: a change to the file, and (no links left) its deletion or
        // replacement by another file under its name — no second lookup of the path.
        let after = read::fstat(&file.file).ok();
        if after.as_ref().map(read::version) != Some(before) {
            rec.set_status(
                Status::Partial,
                "changed_during_scan",
                "size or modification time changed while reading",
            );
        } else if after.is_some_and(|m| m.nlink() == 0)
            // (a blob's file has no name from the start)
            && blob.is_none()
            && rec.status == Status::Scanned
        {
            rec.set_status(
                Status::Partial,
                "vanished",
                "deleted or replaced while reading; read as opened",
            );
        }
        emit(Done {
            rec,
            bytes,
            noatime: Some(noatime),
        });
    }

    /// Identifies and extracts one input into `rec` (findings, type, status); the records of
    /// nested members go to `emit`. Returns the bytes read and the limit that stopped it, if one did (a
    /// container stops when a member exhausts the file's byte or time budget).
    fn run_extract(
        &self,
        input: &mut Input<'_>,
        rec: &mut FileRecord,
        emit: &mut Emit<'_>,
        budget: &Cell<u64>,
        dating: Dating,
    ) -> (u64, Option<Limit>) {
        let asked = extract::ocr::engine::asked();
        let result = guarded(|| extract::identify(input)).and_then(|id| {
            rec.file_type = id.format.name().to_string();
            let mut sink =
                Collector::new(self, rec, emit, budget, input.depth, input.clock, dating);
            let result = guarded(|| extract::extract(input, id, &mut sink));
            sink.finish();
            result
        });
        // Whether it ended well or not, a record made while asking for the engine (one of
        // an image, of a scanned page, or of no engine found) is not the same under another.
        rec.tally.engine = extract::ocr::engine::asked() != asked;
        match result {
            Ok(e) => {
                rec.file_type = e.file_type;
                rec.encoding = e.encoding;
                rec.tally.ocr = e.ocr;
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

impl Scanner<'_> {
    /// Values in a record's own name (its path; a member's name in its container) become
    /// findings located `{"part": "path"}`; with a retention policy the record gets its verdict
    /// (globs match the path as it is on disk); then, unless values are to be revealed, every
    /// name the record prints (path, detail, sheet, table, column, part, JSON path) is masked.
    pub fn names(&self, rec: &mut FileRecord) {
        let own = extract::own_name(&rec.path).to_string();
        let spread = Spread::new(&own);
        // A whole path in which this scan finds no candidate has nothing to mask: the masker
        // would scan the same spread text again (a tenth of a small file's names and record).
        let mut clean = own.len() == rec.path.len();
        if self.det.may_match(spread.text.as_bytes()) {
            let base = Location {
                part: Some("path".into()),
                ..Location::default()
            };
            let budget = Cell::new(0);
            let mut members = |_: Done| {};
            let limits = &self.opts.limits;
            let mut sink = Collector::new(
                self,
                rec,
                &mut members,
                &budget,
                0,
                Clock::start(limits),
                Dating::default(),
            );
            sink.chunk(&Chunk::whole(
                &spread.text,
                &base,
                extract::Position::Fixed,
                ChunkContext::default(),
            ));
            clean &= sink.cands.is_empty() && sink.detector_panics == 0;
        }
        if let Some(review) = &self.review {
            rec.retention = review.judge(rec);
        }
        if self.opts.reveal {
            return;
        }
        let mut m = Masker {
            det: self.det,
            seen: HashMap::new(),
            cands: Vec::new(),
        };
        if !clean {
            m.mask(&mut rec.path);
        }
        if let Some(d) = &mut rec.detail {
            m.mask(d);
        }
        for f in &mut rec.findings {
            let l = &mut f.location;
            for s in [&mut l.sheet, &mut l.table, &mut l.part, &mut l.json_path]
                .into_iter()
                .flatten()
            {
                m.mask(s);
            }
            if let Some(extract::Column::Name(c)) = &mut l.column {
                m.mask(c);
            }
        }
        for c in &mut rec.columns {
            if let Some(t) = &mut c.table {
                m.mask(t);
            }
            if let extract::Column::Name(n) = &mut c.column {
                m.mask(n);
            }
        }
    }
}

impl Scanner<'_> {
    /// `name` as records print it: masked unless values are revealed.
    pub fn mask_name(&self, name: &str) -> String {
        if self.opts.reveal {
            return name.to_string();
        }
        mask_names(self.det, name)
    }
}

/// `text` with the values that names can hold (see [`Detector::scan_name`]) masked: for
/// names, and for messages that quote what the operator gave (paths, globs, settings).
pub fn mask_names(det: &Detector, text: &str) -> String {
    let mut text = text.to_string();
    Masker {
        det,
        seen: HashMap::new(),
        cands: Vec::new(),
    }
    .mask(&mut text);
    text
}

/// Masks the values in names, remembering each name it has seen (a record repeats its sheet
/// and column names in every finding).
struct Masker<'d> {
    det: &'d Detector,
    seen: HashMap<String, Option<String>>,
    cands: Vec<Candidate>,
}

impl Masker<'_> {
    fn mask(&mut self, name: &mut String) {
        if !self.det.may_match(name.as_bytes()) {
            return;
        }
        if let Some(done) = self.seen.get(name.as_str()) {
            if let Some(m) = done {
                *name = m.clone();
            }
            return;
        }
        let spread = Spread::new(name);
        self.cands.clear();
        self.det.scan_name(&spread, &mut self.cands);
        let mut out = String::with_capacity(name.len());
        let mut at = 0;
        for c in self.cands.iter().filter(|c| masked_in_names(c)) {
            let (s, e) = spread.original(c.start, c.end);
            if s < at {
                continue;
            }
            out.push_str(&name[at..s]);
            out.push_str(&mask::mask(c.kind, &c.value));
            at = e;
        }
        let masked = (at > 0).then(|| {
            out.push_str(&name[at..]);
            out
        });
        self.seen.insert(name.clone(), masked.clone());
        if let Some(m) = masked {
            *name = m;
        }
    }
}

/// A path as the inventory writes it.
pub(crate) fn display(path: &Path) -> String {
    crate::walk::display(path)
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
    /// Where members' records go.
    emit: &'b mut Emit<'b>,
    /// Decompressed bytes of nested members so far, for the whole top-level file.
    budget: &'b Cell<u64>,
    depth: u32,
    clock: Clock,
    /// Chunks on which the detector panicked: their text went unchecked.
    detector_panics: u32,
    dating: Dating,
    /// Findings waiting for the end of their record to learn its date.
    pending: Pending,
    /// Digests of the values seen lately (a value repeated a million times is hashed once).
    digests: mask::Memo,
    /// Table values that held nothing (a date column's dates), not scanned again.
    barren: Barren,
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
        emit: &'b mut Emit<'b>,
        budget: &'b Cell<u64>,
        depth: u32,
        clock: Clock,
        dating: Dating,
    ) -> Collector<'a, 'b> {
        Collector {
            scanner,
            rec,
            cands: Vec::new(),
            emit,
            budget,
            depth,
            clock,
            detector_panics: 0,
            dating,
            pending: Pending::default(),
            digests: mask::Memo::default(),
            barren: Barren::take(scanner.det),
        }
    }

    /// The date of the line holding the findings of a chunk of lines, when findings are
    /// dated by content.
    fn line_dates<'t>(&self, chunk: &Chunk<'t>) -> Option<LineDates<'t>> {
        if !self.dating.content {
            return None;
        }
        let starts_line = match chunk.position {
            extract::Position::Lines(p) => p.column == 1,
            extract::Position::Mapped(_) => true,
            extract::Position::Offsets { .. } | extract::Position::Fixed => return None,
        };
        Some(LineDates::new(
            chunk.text,
            starts_line,
            self.dating.modified,
        ))
    }

    /// Marks the record when text went unchecked: a panic in detection loses no other
    /// finding, but the file was not fully checked, so it must not pass as scanned (the CI
    /// gate fails closed on it, and `--fail-on-unscanned` counts it).
    fn finish(&mut self) {
        self.record_end();
        self.rec.close_columns();
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

impl Drop for Collector<'_, '_> {
    fn drop(&mut self) {
        std::mem::take(&mut self.barren).give_back();
    }
}

impl Sink for Collector<'_, '_> {
    fn may_match(&self, value: &[u8]) -> bool {
        self.scanner.det.may_match(value)
    }

    fn chunk(&mut self, chunk: &Chunk<'_>) {
        let s = self.scanner;
        // Known first: the extractors of table values have tested each with `may_match`
        // already, and a known value passed that test when it was remembered.
        let barren = Barren::key(chunk);
        if barren.is_some_and(|key| self.barren.holds_nothing(key, chunk)) {
            return;
        }
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
        if self.cands.is_empty() {
            if let Some(key) = barren {
                self.barren.remember(key, chunk);
            }
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
        let mut lines = self.line_dates(chunk);
        let mut counts = crate::report::Counts::default();
        for c in &self.cands {
            if !chunk.report.contains(&c.start) {
                continue;
            }
            // Text read by OCR: its certainty weighs the candidate (it may drop it).
            let judged = match chunk.ocr.map(|o| o.judge(c)) {
                Some(None) => continue,
                Some(Some(j)) => Some(j),
                None => None,
            };
            let confidence = judged.map_or(c.confidence, |j| j.confidence);
            if confidence < s.opts.min_confidence {
                continue;
            }
            let date = lines.as_mut().and_then(|l| l.date_at(c.start));
            let memo = self.digests.digest(s.key, c.kind, &c.value);
            let digest = memo.digest;
            // What the configuration declares synthetic is so everywhere: counts, exit code.
            // (Tested for emptiness first: reading the value as text costs a check per value.)
            let synthetic = c.synthetic
                || (!s.opts.synthetic.is_empty()
                    && s.opts
                        .synthetic
                        .covers(c.kind, &c.value, || digest.fingerprint()));
            counts.add(c.kind, confidence, synthetic);
            // A value the memo remembers was counted when it was new.
            if memo.new {
                self.rec.tally.distinct_value(c.kind, digest.short());
            }
            if column.is_some() {
                in_column.push((c.kind, digest.short()));
            }
            if self.rec.findings.len() >= s.opts.max_findings_per_file {
                self.rec.findings_truncated = true;
                if self.dating.content {
                    self.pending.unlisted(date);
                }
                continue;
            }
            if self.dating.content {
                self.pending.listed(self.rec.findings.len(), date);
            }
            let mut location = locator.locate(c.start);
            location.bbox = judged.and_then(|j| j.bbox);
            self.rec.findings.push(Finding {
                kind: c.kind,
                rule: c.rule,
                confidence,
                location,
                masked: mask::mask(c.kind, &c.value),
                fingerprint: digest.fingerprint(),
                checksum: c.checksum.map(|r| r.as_str()),
                synthetic,
                role: c.role,
                iban: c.iban,
                recovered_leading_zero: c.recovered_leading_zero,
                scope: c.scope,
                ocr: judged.is_some(),
                value: s.opts.reveal.then(|| c.value.to_string()),
                context: s.opts.reveal.then(|| snippet(chunk.text, c.start, c.end)),
                // Set when the record holding it ends ([`Pending::end`]).
                date: None,
            });
        }
        counts.add_to(self.rec);
        if let Some(col) = column {
            self.rec
                .column_finding(chunk.base.table.as_deref(), col, &in_column);
        }
    }

    fn column_values(&mut self, table: Option<&str>, column: extract::Column, values: u64) {
        self.rec.column_values(table, column, values);
    }

    fn record_date(&mut self, when: When<'_>, rank: Rank) {
        if self.dating.content {
            if let Some(day) = when.day() {
                self.pending.record_date(day, rank);
            }
        }
    }

    fn record_end(&mut self) {
        if self.dating.content {
            self.pending
                .end(&mut self.rec.findings, &mut self.rec.tally.dates);
        }
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
        // A member has no modification time of its own here: its container's stands in.
        rec.tally.dates.container_modified = self.dating.modified;
        let dating = self.scanner.dating(&path, self.dating.modified);
        let depth = self.depth + 1;
        if depth > limits.max_depth {
            // The member is listed, unread; the container goes on with its other members.
            rec.set_status(
                Status::LimitExceeded,
                Limit::Depth.reason(),
                format!("containers nested deeper than {}", limits.max_depth),
            );
            (self.emit)(Done {
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
                (self.emit)(Done {
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
        let (bytes, stop) =
            self.scanner
                .run_extract(&mut input, &mut rec, &mut *self.emit, self.budget, dating);
        drop(input);
        if let Some(d) = reader.damage {
            // What was read is reported; the record says why it is not all (a parser that
            // failed on the cut data is explained by the cut).
            if matches!(rec.status, Status::Scanned | Status::Error) {
                let (status, reason) = ExtractError::Damaged(d.clone()).status();
                let status = if status == Status::Error && rec.total() > 0 {
                    Status::Partial
                } else {
                    status
                };
                rec.set_status(status, reason, d.detail);
            }
        }
        let detail = rec.detail.clone().unwrap_or_default();
        (self.emit)(Done {
            rec,
            bytes,
            noatime: None,
        });
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

    /// What one scan of `csv` (as `name`) finds: `(column, kind)` of each finding.
    fn csv_findings(scanner: &Scanner<'_>, name: &str, csv: &str) -> Vec<(String, String)> {
        scanner
            .scan_bytes(name, csv.as_bytes())
            .iter()
            .flat_map(|r| &r.findings)
            .map(|f| {
                let column = match &f.location.column {
                    Some(extract::Column::Name(n)) => n.clone(),
                    other => format!("{other:?}"),
                };
                (column, f.kind.to_string())
            })
            .collect()
    }

    /// A table value in which the detector found nothing is passed by when it comes again
    /// (`scan/barren.rs`), but only in the same context and under the same rules: in another
    /// column, another file's identity column, or under rules that find it, it is read.
    #[test]
    fn a_value_that_held_nothing_is_read_again_in_another_context_or_under_other_rules() {
        let opts = Options::default();
        let key = HashKey::provided(b"test".to_vec());
        let det = Detector::builtin();
        let scanner = Scanner::new(&opts, &det, &key);
        // 03851598730 (synthetic) without its leading zero: nothing under `kundenr`, an
        // identity number under `fnr`.
        let id = "3851598730";
        let fnr = || ("fnr".to_string(), "fodselsnummer".to_string());
        let both = format!("kundenr;fnr;navn\n{id};{id};Kari\n{id};{id};Ola\n");
        assert_eq!(csv_findings(&scanner, "a.csv", &both), [fnr(), fnr()]);
        // Known from the file before (the same thread), in a column like the first.
        let plain = format!("kundenr;navn\n{id};Kari\n");
        assert!(csv_findings(&scanner, "b.csv", &plain).is_empty());
        let ids = format!("fnr;navn\n{id};Kari\n");
        assert_eq!(csv_findings(&scanner, "c.csv", &ids), [fnr()]);
        // Rules that find the value under any header.
        let extra = r#"
[[rule]]
id = "kundenummer"
pattern = '\b(?<value>3851598730)\b'
base = 3
[[rule.examples]]
text = "kunde 3851598730"
kind = "kundenummer"
confidence = "high"
"#;
        let other =
            Detector::new(crate::detect::rules::RuleSet::with_extra(&[("k.toml", extra)]).unwrap());
        assert_ne!(other.id(), det.id());
        let with_rule = Scanner::new(&opts, &other, &key);
        assert_eq!(
            csv_findings(&with_rule, "d.csv", &plain),
            [("kundenr".to_string(), "kundenummer".to_string())]
        );
    }

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
        let mut emit = |d: Done| nested.push(d);
        let mut sink = Collector::new(
            &scanner,
            &mut rec,
            &mut emit,
            &budget,
            0,
            clock,
            Dating::default(),
        );
        let dump =
            b"-- MySQL dump\nINSERT INTO `kunde` (`id`,`fnr`) VALUES (1,'13097248022'),(2,NULL);\n";
        // A plain `Read` (no `Seek`), as a decompressor gives it.
        let mut stream = io::BufReader::new(&dump[..]);
        sink.nested("backup.sql", None, &mut stream).unwrap();
        drop(sink);
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
