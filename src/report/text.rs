//! The readable summary printed when no `--format`/`-o` is given (with `--policy`, a
//! retention section).

use std::collections::HashMap;
use std::io::{self, Write};

use super::writer::Output;
use super::{FileRecord, Report, RetentionSummary, Summary};

const TOP: usize = 10;
const UNSCANNED_LISTED: usize = 20;
/// Folders whose overdue findings are counted for the retention section: enough for any
/// share's folders with overdue files, and a bound on memory for a pathological tree (the
/// section then says the list may be incomplete).
const MAX_FOLDERS: usize = 100_000;

pub(crate) struct TextReport {
    out: Output,
    top: Vec<(u64, String)>,
    unscanned: Vec<String>,
    /// One line about the fingerprint key.
    key_note: String,
    /// A `--reveal` scan: a state is neither read nor written.
    reveal: bool,
    /// Overdue findings per folder (of the file on disk, for members of containers).
    folders: HashMap<String, u64>,
    folders_cut: bool,
}

/// The folder of a record's file on disk (`.` for a file given by its name alone).
fn folder(path: &str) -> &str {
    let on_disk = path.split("!/").next().unwrap_or(path);
    match on_disk.rfind('/') {
        Some(0) => "/",
        Some(i) => &on_disk[..i],
        None => ".",
    }
}

impl TextReport {
    pub(crate) fn new(out: Output, key_note: String, reveal: bool) -> TextReport {
        TextReport {
            out,
            top: Vec::new(),
            unscanned: Vec::new(),
            key_note,
            reveal,
            folders: HashMap::new(),
            folders_cut: false,
        }
    }

    /// The retention section: per policy the overdue files and findings, then the folders
    /// with the most overdue findings.
    fn retention(&mut self, r: &RetentionSummary) -> io::Result<()> {
        let o = &mut self.out;
        writeln!(
            o,
            "\nRetention as of {}: {} files overdue, {} due, {} to keep, {} with findings and no policy; {} findings overdue",
            r.as_of, r.overdue, r.due, r.keep, r.no_policy, r.findings_overdue
        )?;
        for (id, p) in &r.by_policy {
            writeln!(
                o,
                "  {id:<28} {:>6} of {:>6} files overdue ({} bytes), {:>8} of {:>8} findings overdue{}",
                p.overdue,
                p.files,
                p.bytes_overdue,
                p.findings_overdue,
                p.findings,
                if p.due > 0 {
                    format!(", {} due", p.due)
                } else {
                    String::new()
                }
            )?;
        }
        let mut top: Vec<(&String, &u64)> = self.folders.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        if !top.is_empty() {
            writeln!(o, "  Folders with the most overdue findings:")?;
            for (f, n) in top.into_iter().take(TOP) {
                writeln!(o, "    {n:>8}  {f}")?;
            }
            if self.folders_cut {
                writeln!(
                    o,
                    "    (over {MAX_FOLDERS} folders had overdue findings; later ones are not counted here, see --format json)"
                )?;
            }
        }
        Ok(())
    }
}

impl Report for TextReport {
    fn file(&mut self, rec: &FileRecord) -> io::Result<()> {
        let overdue = rec.retention.as_ref().and_then(|r| r.findings_overdue);
        if let Some(n) = overdue.filter(|&n| n > 0) {
            let f = folder(&rec.path);
            if let Some(c) = self.folders.get_mut(f) {
                *c += n;
            } else if self.folders.len() < MAX_FOLDERS {
                self.folders.insert(f.to_string(), n);
            } else {
                self.folders_cut = true;
            }
        }
        let n = rec.total();
        if n > 0 {
            self.top.push((n, rec.path.clone()));
            if self.top.len() > TOP * 4 {
                self.top
                    .sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
                self.top.truncate(TOP);
            }
        }
        if rec.status.unscanned() && self.unscanned.len() < UNSCANNED_LISTED {
            self.unscanned.push(format!(
                "  {}: {} ({}{})",
                rec.path,
                rec.status.as_str(),
                rec.reason.as_deref().unwrap_or(""),
                rec.detail
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            ));
        }
        Ok(())
    }

    fn finish(&mut self, s: &Summary, _finished: &str) -> io::Result<()> {
        let o = &mut self.out;
        writeln!(
            o,
            "Scanned {} of {} files ({} bytes read); {} partial, {} skipped, {} errors, {} encrypted, {} unsupported, {} stopped by a limit, {} excluded.",
            s.files_scanned,
            s.files_seen,
            s.bytes_read,
            s.files_partial,
            s.files_skipped,
            s.files_errored,
            s.files_encrypted,
            s.files_unsupported,
            s.files_limit_exceeded,
            s.files_excluded
        )?;
        if s.walks_stopped > 0 {
            writeln!(
                o,
                "The walk of {} root(s) was given up: a stat, open or listing did not return within --read-timeout (a dead network share?); the files it had not reached are not in this report.",
                s.walks_stopped
            )?;
        }
        if let (Some(i), true) = (&s.incremental, self.reveal) {
            writeln!(
                o,
                "Incremental: --reveal read every file ({} read) and kept nothing in the state; files gone are counted by the next scan without --reveal.",
                i.read
            )?;
        } else if let Some(i) = &s.incremental {
            writeln!(
                o,
                "Incremental: {} files unchanged since the last scan (records reused), {} read, {} gone since then.",
                i.reused, i.read, i.removed
            )?;
        }
        writeln!(
            o,
            "\nFindings: {} in {} files",
            s.findings, s.files_with_findings
        )?;
        for (kind, n) in &s.findings_by_kind {
            let distinct = s.distinct_by_kind.get(kind).copied().unwrap_or(0);
            writeln!(o, "  {kind:<20} {n:>8}  ({distinct} distinct)")?;
        }
        if !s.findings_by_confidence.is_empty() {
            let by: Vec<String> = s
                .findings_by_confidence
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect();
            writeln!(o, "  by confidence: {}", by.join(", "))?;
        }
        if s.synthetic > 0 {
            writeln!(o, "  of which synthetic test numbers: {}", s.synthetic)?;
        }
        self.top
            .sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        self.top.truncate(TOP);
        if !self.top.is_empty() {
            writeln!(o, "\nFiles with the most findings:")?;
            for (n, p) in &self.top {
                writeln!(o, "  {n:>8}  {p}")?;
            }
        }
        if let Some(r) = &s.retention {
            self.retention(r)?;
        }
        let o = &mut self.out;
        let unscanned: u64 = s.unscanned_by_reason.values().sum();
        if unscanned > 0 {
            writeln!(o, "\nNot scanned completely: {unscanned}")?;
            for (reason, n) in &s.unscanned_by_reason {
                writeln!(o, "  {reason:<32} {n:>8}")?;
            }
            for line in &self.unscanned {
                writeln!(o, "{line}")?;
            }
            if unscanned as usize > self.unscanned.len() {
                writeln!(
                    o,
                    "  … and {} more (see --format json)",
                    unscanned as usize - self.unscanned.len()
                )?;
            }
        }
        let ocr = &s.ocr;
        if ocr.pages_read > 0 || ocr.pages_unread > 0 {
            let by = ocr
                .engine
                .as_deref()
                .filter(|e| !e.starts_with("none"))
                .map(|e| format!(" ({e})"))
                .unwrap_or_default();
            writeln!(
                o,
                "\nOCR: {} images or scanned pages read{by}.",
                ocr.pages_read
            )?;
        }
        if ocr.pages_unread > 0 {
            writeln!(
                o,
                "  {} images or scanned pages not read: Tesseract OCR is not installed (install tesseract-ocr and tesseract-ocr-nor, or pass --ocr never).",
                ocr.pages_unread
            )?;
        }
        let a = &s.atime;
        if a.preserved {
            writeln!(
                o,
                "\nAccess times: preserved (O_NOATIME on every file read and directory listed)."
            )?;
        } else {
            writeln!(
                o,
                "\nAccess times: NOT guaranteed for {} files and {} directories opened without O_NOATIME (not their owner); {} files and {} directories preserved.",
                a.plain_opens, a.dirs_plain, a.noatime_opens, a.dirs_noatime
            )?;
        }
        writeln!(o, "{}", self.key_note)?;
        // A file is written beside its name and renamed into place: only now does it exist.
        o.commit()
    }
}
