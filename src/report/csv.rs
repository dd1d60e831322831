//! CSV for spreadsheets: semicolon-separated UTF-8 with a byte order mark, which is what
//! Norwegian Excel opens correctly by double-click. One row per file, or with `--findings` one
//! row per finding. Rows are written as records arrive; nothing is held.
//!
//! A text cell that starts with `=`, `+`, `-`, `@` or a control character gets a leading `'`,
//! so that Excel never runs it as a formula (a masked phone starts with `+`). Values and their
//! context appear only when the inventory holds them (`--reveal`).

use std::io::{self, Write};

use super::lang::Lang;
use super::rows::{self, KINDS};
use super::{FileRecord, Report, Summary};

/// One row per file, or one per finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    Files,
    Findings,
}

pub struct CsvReport<W: Write> {
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
    pub fn new(mut out: W, rows: Rows, lang: Lang, reveal: bool) -> io::Result<CsvReport<W>> {
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
    pub fn into_inner(self) -> io::Result<W> {
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

    fn file_row(&self, rec: &FileRecord) -> Vec<String> {
        let (dir, name) = rows::split_path(&rec.path);
        let meta = rec.meta.as_ref();
        let mut r = vec![
            text(&rec.path),
            text(dir.unwrap_or("")),
            text(name),
            text(&rec.file_type),
            rec.status.as_str().to_string(),
            rec.reason.clone().unwrap_or_default(),
            text(rec.detail.as_deref().unwrap_or("")),
            meta.map(|m| m.size.to_string()).unwrap_or_default(),
            meta.and_then(|m| rows::utc(&m.modified))
                .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default(),
            text(
                &meta
                    .map(|m| m.owner.name.clone().unwrap_or(m.owner.uid.to_string()))
                    .unwrap_or_default(),
            ),
        ];
        r.extend(
            KINDS
                .iter()
                .map(|k| rec.counts.get(k).map(u64::to_string).unwrap_or_default()),
        );
        let ret = rec.retention.as_ref();
        let dec = rec.decision.as_ref();
        r.extend([
            text(&rows::other_kinds(rec)),
            rec.total().to_string(),
            rows::max_confidence(rec)
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
            text(ret.and_then(|r| r.policy.as_deref()).unwrap_or("")),
            ret.map(|r| r.verdict.clone()).unwrap_or_default(),
            ret.and_then(|r| r.overdue_days)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            ret.and_then(|r| r.keep_until.clone()).unwrap_or_default(),
            dec.map(|d| d.decision.as_str().to_string())
                .unwrap_or_default(),
            if rec.decision_stale {
                self.lang.t("yes").to_string()
            } else {
                String::new()
            },
            rec.content_hash.clone().unwrap_or_default(),
        ]);
        r
    }
}

/// A text cell Excel will not take for a formula.
fn text(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n') => format!("'{s}"),
        _ => s.to_string(),
    }
}

impl<W: Write> Report for CsvReport<W> {
    fn file(&mut self, rec: &FileRecord) -> io::Result<()> {
        match self.rows {
            Rows::Files => {
                let row = self.file_row(rec);
                self.w.write_record(&row).map_err(err)
            }
            Rows::Findings => {
                for f in &rec.findings {
                    let mut row = vec![
                        text(&rec.path),
                        f.kind.to_string(),
                        f.confidence.as_str().to_string(),
                        text(&rows::location(&f.location, self.lang)),
                        text(&f.masked),
                        f.fingerprint.clone(),
                        rows::flags(f, self.lang),
                        f.date.clone().unwrap_or_default(),
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
        assert_eq!(text("+47********"), "'+47********");
        assert_eq!(text("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(text("/srv/a.txt"), "/srv/a.txt");
        assert_eq!(text(""), "");
    }
}
