//! An Excel workbook for reviewers (rust_xlsxwriter): sheets `Oversikt` (totals), `Filer` (one
//! row per file), `Funn` (one row per finding), `Mapper` (folder roll-ups) and `Ikke skannet`
//! (files not read completely, with reasons). Header rows are frozen and filtered; sizes,
//! counts and days are numbers, times are dates.
//!
//! The row sheets are written in the library's constant-memory mode (each streams to a
//! temporary file), so memory stays flat however many files the inventory has. A sheet holds
//! at most 1,048,576 rows; rows beyond that are left out, and the sheet's last row and the
//! overview say so.

use std::io::{self, Write};

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use super::folders::{FileFigures, Folders, Policies};
use super::lang::Lang;
use super::rows::{self, KINDS};
use super::{FileRecord, Report, Summary};

/// The most characters an Excel cell holds.
const CELL_MAX: usize = 32_767;

/// `text` as a cell holds it: cut, and marked where cut, past [`CELL_MAX`] (a path thousands
/// of levels deep; Excel refuses the whole workbook otherwise).
fn fits(text: &str) -> std::borrow::Cow<'_, str> {
    const CUT: &str = " …";
    // Characters are at most 4 bytes: a text of up to CELL_MAX bytes fits whatever it holds.
    if text.len() <= CELL_MAX || text.chars().count() <= CELL_MAX {
        return text.into();
    }
    let keep: String = text.chars().take(CELL_MAX - CUT.chars().count()).collect();
    (keep + CUT).into()
}

const OVERVIEW: usize = 0;
const FILES: usize = 1;
const FINDINGS: usize = 2;
const FOLDERS: usize = 3;
const UNSCANNED: usize = 4;
const NAMES: [&str; 5] = ["Oversikt", "Filer", "Funn", "Mapper", "Ikke skannet"];

/// Rows an Excel sheet holds, the header row included.
const MAX_ROWS: u32 = 1_048_576;

fn err(e: XlsxError) -> io::Error {
    io::Error::other(e)
}

/// A sheet being filled row by row.
#[derive(Debug, Default, Clone, Copy)]
struct Cursor {
    /// The next row to write (row 0 is the header).
    next: u32,
    /// Rows that did not fit.
    left_out: u64,
    columns: u16,
}

pub(crate) struct XlsxReport<W: Write> {
    book: Workbook,
    out: Option<W>,
    lang: Lang,
    reveal: bool,
    header: serde_json::Value,
    cursors: [Cursor; 5],
    date: Format,
    bold: Format,
    folders: Folders,
    policies: Policies,
}

impl<W: Write + io::Seek + Send> XlsxReport<W> {
    /// `header` is the inventory's header (roots, times, key); `reveal` adds value and context
    /// columns to `Funn` (the inventory holds them).
    pub(crate) fn new(
        out: W,
        lang: Lang,
        header: serde_json::Value,
        reveal: bool,
    ) -> io::Result<XlsxReport<W>> {
        let mut book = Workbook::new();
        book.set_tempdir(std::env::temp_dir()).map_err(err)?;
        for (i, name) in NAMES.iter().enumerate() {
            let ws = if i == FILES || i == FINDINGS || i == UNSCANNED {
                book.add_worksheet_with_constant_memory()
            } else {
                book.add_worksheet()
            };
            ws.set_name(*name).map_err(err)?;
        }
        let mut r = XlsxReport {
            book,
            out: Some(out),
            lang,
            reveal,
            header,
            cursors: [Cursor::default(); 5],
            date: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
            bold: Format::new().set_bold(),
            folders: Folders::default(),
            policies: Policies::default(),
        };
        r.headings(FILES, &r.file_headings())?;
        let mut f: Vec<String> = [
            "col_path",
            "col_kind",
            "col_confidence",
            "col_location",
            "col_masked",
            "col_fingerprint",
            "col_flags",
            "col_date",
        ]
        .iter()
        .map(|k| lang.t(k).to_string())
        .collect();
        if reveal {
            f.push(lang.t("col_value").into());
            f.push(lang.t("col_context").into());
        }
        r.headings(FINDINGS, &f)?;
        let u: Vec<String> = [
            "col_path",
            "col_type",
            "col_status",
            "col_reason",
            "col_detail",
            "col_size",
            "col_modified",
        ]
        .iter()
        .map(|k| lang.t(k).to_string())
        .collect();
        r.headings(UNSCANNED, &u)?;
        Ok(r)
    }

    fn file_headings(&self) -> Vec<String> {
        let t = |k: &str| self.lang.t(k).to_string();
        let mut h: Vec<String> = [
            "col_path",
            "col_folder",
            "col_name",
            "col_type",
            "col_status",
            "col_reason",
            "col_size",
            "col_modified",
            "col_owner",
        ]
        .iter()
        .map(|k| t(k))
        .collect();
        h.extend(KINDS.iter().map(|k| self.lang.kind(k)));
        h.extend(
            [
                "col_other_kinds",
                "col_findings",
                "col_confidence",
                "col_policy",
                "col_verdict",
                "col_overdue",
                "col_keep_until",
                "col_decision",
                "col_stale",
            ]
            .iter()
            .map(|k| t(k)),
        );
        h
    }

    fn sheet(&mut self, i: usize) -> &mut Worksheet {
        self.book.worksheet_from_index(i).expect("the five sheets")
    }

    fn headings(&mut self, i: usize, names: &[String]) -> io::Result<()> {
        let bold = self.bold.clone();
        let ws = self.sheet(i);
        for (c, name) in names.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, name, &bold)
                .map_err(err)?;
        }
        ws.set_freeze_panes(1, 0).map_err(err)?;
        self.cursors[i] = Cursor {
            next: 1,
            left_out: 0,
            columns: names.len() as u16,
        };
        Ok(())
    }

    /// The next row of sheet `i`, or None when the sheet is full (counted as left out).
    fn row(&mut self, i: usize) -> Option<u32> {
        let c = &mut self.cursors[i];
        // The last row is kept for the note that says rows were left out.
        if c.next >= MAX_ROWS - 1 {
            c.left_out += 1;
            return None;
        }
        c.next += 1;
        Some(c.next - 1)
    }

    fn files_row(&mut self, rec: &FileRecord) -> Result<(), XlsxError> {
        let Some(r) = self.row(FILES) else {
            return Ok(());
        };
        let date = self.date.clone();
        let lang = self.lang;
        let ws = self.book.worksheet_from_index(FILES)?;
        let (dir, name) = rows::split_path(&rec.path);
        let meta = rec.meta.as_ref();
        ws.write_string(r, 0, fits(&rec.path))?;
        ws.write_string(r, 1, fits(dir.unwrap_or("")))?;
        ws.write_string(r, 2, fits(name))?;
        ws.write_string(r, 3, &rec.file_type)?;
        ws.write_string(r, 4, rec.status.as_str())?;
        ws.write_string(r, 5, rec.reason.as_deref().unwrap_or(""))?;
        if let Some(m) = meta {
            ws.write_number(r, 6, m.size as f64)?;
            write_time(ws, r, 7, &m.modified, &date)?;
            let owner = m.owner.name.clone().unwrap_or(m.owner.uid.to_string());
            ws.write_string(r, 8, owner)?;
        }
        let mut c = 9u16;
        for k in KINDS {
            if let Some(n) = rec.counts.get(k) {
                ws.write_number(r, c, *n as f64)?;
            }
            c += 1;
        }
        let other = rows::other_kinds(rec);
        if !other.is_empty() {
            ws.write_string(r, c, other)?;
        }
        ws.write_number(r, c + 1, rec.total() as f64)?;
        if let Some(conf) = rows::max_confidence(rec) {
            ws.write_string(r, c + 2, conf.as_str())?;
        }
        if let Some(ret) = &rec.retention {
            if let Some(p) = &ret.policy {
                ws.write_string(r, c + 3, p)?;
            }
            ws.write_string(r, c + 4, &ret.verdict)?;
            if let Some(d) = ret.overdue_days {
                ws.write_number(r, c + 5, d as f64)?;
            }
            if let Some(d) = ret.keep_until.as_deref().and_then(rows::date) {
                write_date(ws, r, c + 6, d)?;
            }
        }
        if let Some(d) = &rec.decision {
            ws.write_string(r, c + 7, d.decision.as_str())?;
        }
        if rec.decision_stale {
            ws.write_string(r, c + 8, lang.t("yes"))?;
        }
        Ok(())
    }

    fn findings_rows(&mut self, rec: &FileRecord) -> Result<(), XlsxError> {
        for f in &rec.findings {
            let Some(r) = self.row(FINDINGS) else {
                continue;
            };
            let lang = self.lang;
            let reveal = self.reveal;
            let ws = self.book.worksheet_from_index(FINDINGS)?;
            ws.write_string(r, 0, fits(&rec.path))?;
            ws.write_string(r, 1, f.kind)?;
            ws.write_string(r, 2, f.confidence.as_str())?;
            ws.write_string(r, 3, fits(&rows::location(&f.location, lang)))?;
            ws.write_string(r, 4, &f.masked)?;
            ws.write_string(r, 5, &f.fingerprint)?;
            ws.write_string(r, 6, rows::flags(f, lang))?;
            if let Some(d) = f.date.as_deref().and_then(rows::date) {
                write_date(ws, r, 7, d)?;
            }
            if reveal {
                ws.write_string(r, 8, f.value.as_deref().unwrap_or(""))?;
                ws.write_string(r, 9, fits(f.context.as_deref().unwrap_or("")))?;
            }
        }
        Ok(())
    }

    fn unscanned_row(&mut self, rec: &FileRecord) -> Result<(), XlsxError> {
        if !rec.status.unscanned() {
            return Ok(());
        }
        let Some(r) = self.row(UNSCANNED) else {
            return Ok(());
        };
        let date = self.date.clone();
        let ws = self.book.worksheet_from_index(UNSCANNED)?;
        ws.write_string(r, 0, fits(&rec.path))?;
        ws.write_string(r, 1, &rec.file_type)?;
        ws.write_string(r, 2, rec.status.as_str())?;
        ws.write_string(r, 3, rec.reason.as_deref().unwrap_or(""))?;
        ws.write_string(r, 4, fits(rec.detail.as_deref().unwrap_or("")))?;
        if let Some(m) = &rec.meta {
            ws.write_number(r, 5, m.size as f64)?;
            write_time(ws, r, 6, &m.modified, &date)?;
        }
        Ok(())
    }

    /// Closes a row sheet: the note on rows left out, the autofilter over what was written.
    fn close(&mut self, i: usize) -> Result<(), XlsxError> {
        let c = self.cursors[i];
        let note = self
            .lang
            .t("rows_capped")
            .replace("{0}", &(c.next - 1).to_string());
        let ws = self.book.worksheet_from_index(i)?;
        ws.autofilter(
            0,
            0,
            c.next.saturating_sub(1).max(1),
            c.columns.saturating_sub(1),
        )?;
        if c.left_out > 0 {
            ws.write_string(c.next, 0, note)?;
        }
        Ok(())
    }

    fn folders_sheet(&mut self) -> Result<(), XlsxError> {
        let lang = self.lang;
        let bold = self.bold.clone();
        let heads = [
            "col_folder",
            "col_files",
            "col_with_findings",
            "col_findings",
            "col_files_overdue",
            "col_unscanned",
            "col_bytes",
        ];
        // Folders in path order, so a folder's subfolders follow it.
        let mut order: Vec<(String, usize)> = (0..self.folders.nodes.len())
            .map(|i| (self.folders.path(i as u32), i))
            .collect();
        order.sort();
        let ws = self.book.worksheet_from_index(FOLDERS)?;
        for (c, h) in heads.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, lang.t(h), &bold)?;
        }
        ws.set_freeze_panes(1, 0)?;
        let mut r = 1u32;
        for (path, i) in order.iter().take(MAX_ROWS as usize - 1) {
            let n = &self.folders.nodes[*i];
            ws.write_string(r, 0, fits(path))?;
            for (c, v) in [
                n.files,
                n.with_findings,
                n.findings,
                n.overdue,
                n.unscanned,
                n.bytes,
            ]
            .into_iter()
            .enumerate()
            {
                ws.write_number(r, c as u16 + 1, v as f64)?;
            }
            r += 1;
        }
        ws.autofilter(0, 0, (r - 1).max(1), heads.len() as u16 - 1)?;
        ws.set_column_width(0, 60)?;
        Ok(())
    }

    fn overview_sheet(&mut self, s: &Summary, finished: &str) -> Result<(), XlsxError> {
        let lang = self.lang;
        let t = |k: &str| lang.t(k).to_string();
        let bold = self.bold.clone();
        let h = &self.header;
        let roots: Vec<&str> = h["scan"]["roots"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        let key = if h["scan"]["fingerprints"]["key"] == "provided" {
            t("key_provided")
        } else {
            t("key_random")
        };
        let mut lines: Vec<(String, Option<f64>, String)> = vec![
            (t("scan_of"), None, roots.join(", ")),
            (
                t("started"),
                None,
                h["scan"]["started"].as_str().unwrap_or("").to_string(),
            ),
            (t("finished"), None, finished.to_string()),
            (String::new(), None, key),
        ];
        if self.reveal {
            lines.push((String::new(), None, t("revealed")));
        }
        let n = |v: u64| Some(v as f64);
        let unscanned: u64 = s.unscanned_by_reason.values().sum();
        lines.extend([
            (t("files_seen"), n(s.files_seen), String::new()),
            (t("files_scanned"), n(s.files_scanned), String::new()),
            (t("files_unscanned"), n(unscanned), String::new()),
            (
                t("files_with_findings"),
                n(s.files_with_findings),
                String::new(),
            ),
            (t("findings"), n(s.findings), String::new()),
            (t("synthetic"), n(s.synthetic), t("synthetic_note")),
        ]);
        let mut section = |title: &str, rows: Vec<(String, u64, String)>| {
            if rows.is_empty() {
                return;
            }
            lines.push((String::new(), None, String::new()));
            lines.push((title.to_string(), None, String::new()));
            for (k, v, note) in rows {
                lines.push((k, n(v), note));
            }
        };
        section(
            &t("by_kind"),
            s.findings_by_kind
                .iter()
                .map(|(k, v)| {
                    let d = s.distinct_by_kind.get(k).copied().unwrap_or(0);
                    (
                        lang.kind(k),
                        *v,
                        format!("{} {}", d, t("distinct").to_lowercase()),
                    )
                })
                .collect(),
        );
        section(
            &t("by_confidence"),
            s.findings_by_confidence
                .iter()
                .map(|(k, v)| (t(&format!("conf_{k}")), *v, String::new()))
                .collect(),
        );
        section(
            &t("files_unscanned"),
            s.unscanned_by_reason
                .iter()
                .map(|(k, v)| (k.clone(), *v, String::new()))
                .collect(),
        );
        section(
            &t("by_policy"),
            self.policies
                .0
                .iter()
                .map(|(p, f)| {
                    (
                        match format!("verdict_{p}") {
                            k if f.by_verdict && t(&k) != k => t(&k),
                            _ => p.clone(),
                        },
                        f.overdue,
                        format!(
                            "{}: {} {}, {}: {}",
                            t("col_files"),
                            f.files,
                            t("verdict_overdue"),
                            t("col_findings_overdue"),
                            f.findings_overdue
                        ),
                    )
                })
                .collect(),
        );
        if let Some(d) = &s.decisions {
            section(
                &t("decisions_summary"),
                vec![
                    (t("decided"), d.decided, String::new()),
                    (t("undecided"), d.undecided, String::new()),
                    (t("stale"), d.stale, String::new()),
                    (t("keep_expired"), d.keep_expired, String::new()),
                ],
            );
        }
        for i in [FILES, FINDINGS, UNSCANNED] {
            let c = self.cursors[i];
            if c.left_out > 0 {
                let note = t("rows_capped").replace("{0}", &(c.next - 1).to_string());
                lines.push((NAMES[i].to_string(), n(c.left_out), note));
            }
        }
        let ws = self.book.worksheet_from_index(OVERVIEW)?;
        ws.write_string_with_format(0, 0, t("title"), &bold)?;
        ws.write_string_with_format(1, 0, t("col_what"), &bold)?;
        ws.write_string_with_format(1, 1, t("col_count"), &bold)?;
        ws.set_freeze_panes(2, 0)?;
        for (i, (k, v, note)) in lines.iter().enumerate() {
            let r = i as u32 + 2;
            ws.write_string(r, 0, k)?;
            if let Some(v) = v {
                ws.write_number(r, 1, *v)?;
            }
            if !note.is_empty() {
                ws.write_string(r, 2, note)?;
            }
        }
        ws.autofilter(1, 0, lines.len() as u32 + 1, 2)?;
        ws.set_column_width(0, 36)?;
        ws.set_column_width(2, 60)?;
        Ok(())
    }

    fn finish_book(&mut self, s: &Summary, finished: &str) -> Result<(), XlsxError> {
        for i in [FILES, FINDINGS, UNSCANNED] {
            self.close(i)?;
        }
        self.folders_sheet()?;
        self.overview_sheet(s, finished)?;
        let out = self.out.as_mut().expect("the output");
        self.book.save_to_writer(out)?;
        Ok(())
    }

    /// The output, after [`Report::finish`] wrote the workbook into it.
    pub(crate) fn into_inner(mut self) -> W {
        self.out.take().expect("the output")
    }
}

fn write_time(
    ws: &mut Worksheet,
    r: u32,
    c: u16,
    rfc3339: &str,
    fmt: &Format,
) -> Result<(), XlsxError> {
    let Some(secs) = rows::epoch(rfc3339) else {
        return Ok(());
    };
    // Excel's calendar starts in 1900; an earlier (or absurd) time stays text.
    match ExcelDateTime::from_timestamp(secs) {
        Ok(t) if secs >= -2_208_988_800 => ws.write_datetime_with_format(r, c, &t, fmt).map(|_| ()),
        _ => ws.write_string(r, c, rfc3339).map(|_| ()),
    }
}

fn write_date(ws: &mut Worksheet, r: u32, c: u16, d: chrono::NaiveDate) -> Result<(), XlsxError> {
    use chrono::Datelike;
    let fmt = Format::new().set_num_format("yyyy-mm-dd");
    match ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8) {
        Ok(t) if d.year() >= 1900 => ws.write_datetime_with_format(r, c, &t, &fmt).map(|_| ()),
        _ => ws.write_string(r, c, d.to_string()).map(|_| ()),
    }
}

impl<W: Write + io::Seek + Send> Report for XlsxReport<W> {
    fn file(&mut self, rec: &FileRecord) -> io::Result<()> {
        self.files_row(rec).map_err(err)?;
        self.findings_rows(rec).map_err(err)?;
        self.unscanned_row(rec).map_err(err)?;
        if let (Some(dir), _) = rows::split_path(&rec.path) {
            let d = self.folders.intern(dir);
            self.folders.add(d, FileFigures::of(rec));
        }
        self.policies.add(rec);
        Ok(())
    }

    fn finish(&mut self, summary: &Summary, finished: &str) -> io::Result<()> {
        self.finish_book(summary, finished).map_err(err)
    }
}
