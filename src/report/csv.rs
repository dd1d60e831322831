//! CSV for spreadsheets: semicolon-separated UTF-8 with a byte order mark, which is what
//! Norwegian Excel opens correctly by double-click. One row per file, or with `--findings` one
//! row per finding. Rows are written as records arrive; nothing is held.
//!
//! A text cell that starts with `=`, `+`, `-`, `@` or a control character gets a leading `'`,
//! so that Excel never runs it as a formula (a masked phone starts with `+`). Values and their
//! context appear only when the inventory holds them (`--reveal`).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::lang::Lang;
use super::rows::{self, KINDS};
use super::{FileRecord, Report, Summary};

/// One row per file, or one per finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rows {
    Files,
    Findings,
}

pub(crate) struct CsvReport<W: Write> {
    w: ::csv::Writer<W>,
    rows: Rows,
    lang: Lang,
    reveal: bool,
}

fn err(e: ::csv::Error) -> io::Error {
    io::Error::other(e)
}

impl<W: Write> CsvReport<W> {
    /// Writes the byte order mark and the header row. `reveal`: the inventory holds values
    /// (its header says so), so the findings rows get value and context columns.
    pub(crate) fn new(
        mut out: W,
        rows: Rows,
        lang: Lang,
        reveal: bool,
    ) -> io::Result<CsvReport<W>> {
        out.write_all("\u{feff}".as_bytes())?;
        let w = ::csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(::csv::Terminator::CRLF)
            .from_writer(out);
        let mut r = CsvReport {
            w,
            rows,
            lang,
            reveal,
        };
        let head = r.header();
        r.w.write_record(&head).map_err(err)?;
        Ok(r)
    }

    /// The output, flushed.
    pub(crate) fn into_inner(self) -> io::Result<W> {
        self.w
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))
    }

    fn header(&self) -> Vec<String> {
        let t = |k: &str| self.lang.t(k).to_string();
        match self.rows {
            Rows::Files => {
                let mut h: Vec<String> = [
                    "col_path",
                    "col_folder",
                    "col_name",
                    "col_type",
                    "col_status",
                    "col_reason",
                    "col_detail",
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
                        "col_content_hash",
                    ]
                    .iter()
                    .map(|k| t(k)),
                );
                h
            }
            Rows::Findings => {
                let mut h: Vec<String> = [
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
                .map(|k| t(k))
                .collect();
                if self.reveal {
                    h.push(t("col_value"));
                    h.push(t("col_context"));
                }
                h
            }
        }
    }

    /// Writes one file's row field by field (no row of strings is built).
    fn file_row(&mut self, rec: &FileRecord) -> ::csv::Result<()> {
        let (dir, name) = rows::split_path(&rec.path);
        let meta = rec.meta.as_ref();
        let ret = rec.retention.as_ref();
        let w = &mut self.w;
        let mut num = String::new();
        let mut n = |w: &mut ::csv::Writer<W>, v: Option<&dyn std::fmt::Display>| {
            num.clear();
            if let Some(v) = v {
                let _ = write!(num, "{v}");
            }
            w.write_field(&num)
        };
        w.write_field(text(&rec.path))?;
        w.write_field(text(dir.unwrap_or("")))?;
        w.write_field(text(name))?;
        w.write_field(text(&rec.file_type))?;
        w.write_field(rec.status.as_str())?;
        w.write_field(rec.reason.as_deref().unwrap_or(""))?;
        w.write_field(text(rec.detail.as_deref().unwrap_or("")))?;
        n(w, meta.map(|m| &m.size as &dyn std::fmt::Display))?;
        let modified = meta
            .and_then(|m| rows::utc(&m.modified))
            .map(|t| t.format("%Y-%m-%d %H:%M:%S"));
        n(w, modified.as_ref().map(|t| t as &dyn std::fmt::Display))?;
        match meta {
            Some(m) => match &m.owner.name {
                Some(o) => w.write_field(text(o))?,
                None => n(w, Some(&m.owner.uid))?,
            },
            None => w.write_field("")?,
        }
        for k in KINDS {
            n(w, rec.counts.get(k).map(|c| c as &dyn std::fmt::Display))?;
        }
        w.write_field(text(&rows::other_kinds(rec)))?;
        n(w, Some(&rec.total()))?;
        w.write_field(rows::max_confidence(rec).map_or("", |c| c.as_str()))?;
        w.write_field(text(ret.and_then(|r| r.policy.as_deref()).unwrap_or("")))?;
        w.write_field(ret.map_or("", |r| r.verdict.as_str()))?;
        n(
            w,
            ret.and_then(|r| r.overdue_days.as_ref())
                .map(|d| d as &dyn std::fmt::Display),
        )?;
        w.write_field(ret.and_then(|r| r.keep_until.as_deref()).unwrap_or(""))?;
        w.write_field(rec.decision.as_ref().map_or("", |d| d.decision.as_str()))?;
        w.write_field(if rec.decision_stale {
            self.lang.t("yes")
        } else {
            ""
        })?;
        w.write_field(rec.content_hash.as_deref().unwrap_or(""))?;
        w.write_record(None::<&[u8]>)
    }
}

/// A cell as it is.
fn b(s: &str) -> Cow<'_, [u8]> {
    Cow::Borrowed(s.as_bytes())
}

/// A text cell Excel will not take for a formula.
fn text(s: &str) -> Cow<'_, [u8]> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n') => {
            Cow::Owned(format!("'{s}").into_bytes())
        }
        _ => Cow::Borrowed(s.as_bytes()),
    }
}

impl<W: Write> Report for CsvReport<W> {
    fn file(&mut self, rec: &FileRecord) -> io::Result<()> {
        match self.rows {
            Rows::Files => self.file_row(rec).map_err(err),
            Rows::Findings => {
                for f in &rec.findings {
                    let location = rows::location(&f.location, self.lang);
                    let flags = rows::flags(f, self.lang);
                    let mut row: Vec<Cow<'_, [u8]>> = vec![
                        text(&rec.path),
                        b(f.kind),
                        b(f.confidence.as_str()),
                        text(&location),
                        text(&f.masked),
                        b(&f.fingerprint),
                        b(&flags),
                        b(f.date.as_deref().unwrap_or("")),
                    ];
                    if self.reveal {
                        row.push(text(f.value.as_deref().unwrap_or("")));
                        row.push(text(f.context.as_deref().unwrap_or("")));
                    }
                    self.w.write_record(&row).map_err(err)?;
                }
                Ok(())
            }
        }
    }

    fn finish(&mut self, _summary: &Summary, _finished: &str) -> io::Result<()> {
        self.w.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_plain_text_is_not() {
        assert_eq!(&*text("+47********"), b"'+47********");
        assert_eq!(&*text("=SUM(A1)"), b"'=SUM(A1)");
        assert_eq!(&*text("/srv/a.txt"), b"/srv/a.txt");
        assert_eq!(&*text(""), b"");
    }
}
