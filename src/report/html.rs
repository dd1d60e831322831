//! The HTML report: one self-contained page (inline CSS and JavaScript, a Content Security
//! Policy that forbids every request) that a reviewer opens from disk. The inventory is
//! embedded as JSON data blocks and drawn by a small script (`html/app.js`), no framework, no
//! build step:
//!
//! * `kl-rows`: one compact row per file, streamed as records arrive: `[folder, name, size,
//!   modified (s), owner, type, status, reason, [kind, count, ...], confidence (0-3), verdict,
//!   overdue days]`, where folder, owner, type, reason, kind and verdict are indexes into the
//!   dictionaries of `kl-meta` (-1 for none);
//! * `kl-details`: `[[row, {...}], ...]` for files with findings, a retention verdict, a
//!   decision or a status detail: their findings (kind, confidence, location in words, masked
//!   value, fingerprint, flags, date; value and context only when the inventory has them),
//!   columns, retention and content hash. Held in memory up to a cap (48 MiB by default);
//!   files past it keep their row and the page says how many lost their detail;
//! * `kl-meta`: header, summary, dictionaries, folder roll-ups, policies and decisions;
//! * `kl-strings`: the UI strings of the report's language.
//!
//! Inside the data blocks every `<` is written `\u003c`, so no file name can close a script.

use std::collections::HashMap;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::{json, Value};

use super::folders::{FileFigures, Folders, Policies};
use super::lang::Lang;
use super::rows;
use super::{Decision, FileRecord, Report, Status, Summary};

const PAGE: &str = include_str!("html/page.html");
const CSS: &str = include_str!("html/app.css");
const JS: &str = include_str!("html/app.js");

/// Limits on what the page embeds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caps {
    /// Bytes of detail data (findings lists) embedded in all.
    pub details_bytes: usize,
    /// Findings listed per file in its detail.
    pub findings_per_file: usize,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            details_bytes: 48 << 20,
            findings_per_file: 1000,
        }
    }
}

/// Strings numbered in order of first use.
#[derive(Default)]
struct Dict {
    index: HashMap<String, i64>,
    names: Vec<String>,
}

impl Dict {
    fn get(&mut self, s: &str) -> i64 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.names.len() as i64;
        self.names.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }
}

/// A decision to show in the page: on a row, or (`row` none) on a file the inventory lacks.
#[derive(Serialize)]
struct PageDecision<'a> {
    row: Option<u64>,
    path: &'a str,
    d: &'a Decision,
    stale: bool,
}

/// Writes `<` as `\u003c` (JSON inside a `<script>` must never hold `</script>`).
struct Esc<'a, W: Write>(&'a mut W);

impl<W: Write> Write for Esc<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = memchr::memchr(b'<', rest) {
            self.0.write_all(&rest[..i])?;
            self.0.write_all(b"\\u003c")?;
            rest = &rest[i + 1..];
        }
        self.0.write_all(rest)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

pub(crate) struct HtmlReport<W: Write> {
    out: W,
    lang: Lang,
    caps: Caps,
    header: Value,
    reveal: bool,
    rows: u64,
    folders: Folders,
    owners: Dict,
    types: Dict,
    reasons: Dict,
    kinds: Dict,
    verdicts: Dict,
    policies: Policies,
    details: Vec<u8>,
    details_files: u64,
    details_left_out: u64,
    decisions: Vec<u8>,
    /// The summary was computed from the records (the inventory had none).
    computed: bool,
    /// Decisions on files the inventory does not have (kept in the page's export).
    orphans: Vec<(String, Decision)>,
    /// The end of the page, after the data.
    tail: &'static str,
}

fn json_err(e: serde_json::Error) -> io::Error {
    io::Error::other(e)
}

impl<W: Write> HtmlReport<W> {
    /// Writes the page up to its data; `header` is the inventory's header.
    pub(crate) fn new(
        mut out: W,
        lang: Lang,
        header: Value,
        caps: Caps,
    ) -> io::Result<HtmlReport<W>> {
        let title = lang.t("title");
        let (head, tail) = PAGE.split_once("{{data}}").expect("page has a data slot");
        let head = head
            .replace("{{lang}}", lang.code())
            .replace("{{title}}", title)
            .replace("{{css}}", CSS);
        out.write_all(head.as_bytes())?;
        out.write_all(b"<script type=\"application/json\" id=\"kl-strings\">")?;
        let strings: serde_json::Map<String, Value> = lang
            .table()
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect();
        serde_json::to_writer(Esc(&mut out), &strings).map_err(json_err)?;
        out.write_all(b"</script>\n<script type=\"application/json\" id=\"kl-rows\">[")?;
        let reveal = header["scan"]["options"]["reveal"]
            .as_bool()
            .unwrap_or(false);
        let mut verdicts = Dict::default();
        for v in ["overdue", "due", "keep", "no_policy"] {
            verdicts.get(v);
        }
        Ok(HtmlReport {
            out,
            lang,
            caps,
            header,
            reveal,
            rows: 0,
            folders: Folders::default(),
            owners: Dict::default(),
            types: Dict::default(),
            reasons: Dict::default(),
            kinds: Dict::default(),
            verdicts,
            policies: Policies::default(),
            details: Vec::new(),
            details_files: 0,
            details_left_out: 0,
            decisions: Vec::new(),
            computed: false,
            orphans: Vec::new(),
            tail,
        })
    }

    /// The summary given to `finish` was computed from the records: the page says so.
    pub(crate) fn summary_computed(&mut self) {
        self.computed = true;
    }

    /// Decisions on files that are not in the inventory, carried into the page's download.
    pub(crate) fn carry_decisions(&mut self, orphans: Vec<(String, Decision)>) {
        self.orphans = orphans;
    }

    pub(crate) fn into_inner(self) -> W {
        self.out
    }

    /// Writes the record's row (see the module's documentation), without building a value:
    /// a million of these is most of the page.
    fn row(&mut self, rec: &FileRecord) -> io::Result<()> {
        let (dir, name) = rows::split_path(&rec.path);
        let dir = dir.map_or(-1, |d| i64::from(self.folders.intern(d)));
        if dir >= 0 {
            self.folders.add(dir as u32, FileFigures::of(rec));
        }
        self.policies.add(rec);
        let meta = rec.meta.as_ref();
        let owner = meta.map_or(-1, |m| match &m.owner.name {
            Some(n) => self.owners.get(n),
            None => self.owners.get(&m.owner.uid.to_string()),
        });
        let status = Status::ALL
            .iter()
            .position(|s| *s == rec.status)
            .unwrap_or(0);
        let ty = self.types.get(&rec.file_type);
        let reason = rec.reason.as_deref().map_or(-1, |r| self.reasons.get(r));
        let ret = rec.retention.as_ref();
        let verdict = ret.map_or(-1, |r| self.verdicts.get(&r.verdict));
        let o = &mut self.out;
        write!(o, "[{dir},")?;
        serde_json::to_writer(Esc(&mut *o), name).map_err(json_err)?;
        write!(o, ",{},", meta.map_or(-1, |m| m.size as i64))?;
        match meta.and_then(|m| rows::epoch(&m.modified)) {
            Some(t) => write!(o, "{t}")?,
            None => o.write_all(b"null")?,
        }
        write!(o, ",{owner},{ty},{status},{reason},")?;
        if rec.counts.is_empty() {
            o.write_all(b"0")?;
        } else {
            o.write_all(b"[")?;
            for (i, (k, n)) in rec.counts.iter().enumerate() {
                let k = self.kinds.get(k);
                let o = &mut self.out;
                if i > 0 {
                    o.write_all(b",")?;
                }
                write!(o, "{k},{n}")?;
            }
            self.out.write_all(b"]")?;
        }
        let conf = rows::max_confidence(rec).map_or(0, |c| c as u8 + 1);
        let o = &mut self.out;
        write!(o, ",{conf},{verdict},")?;
        match ret.and_then(|r| r.overdue_days) {
            Some(d) => write!(o, "{d}]"),
            None => o.write_all(b"null]"),
        }
    }

    fn detail(&mut self, rec: &FileRecord) -> Option<Value> {
        let mut d = serde_json::Map::new();
        if !rec.findings.is_empty() {
            let shown = rec.findings.len().min(self.caps.findings_per_file);
            let f: Vec<Value> = rec.findings[..shown]
                .iter()
                .map(|f| {
                    let mut v = vec![
                        json!(self.kinds.get(f.kind)),
                        json!(f.confidence as u8 + 1),
                        json!(rows::location(&f.location, self.lang)),
                        json!(f.masked),
                        json!(f.fingerprint),
                        json!(rows::flags(f, self.lang)),
                        json!(f.date),
                    ];
                    if f.value.is_some() || f.context.is_some() {
                        v.push(json!(f.value));
                        v.push(json!(f.context));
                    }
                    Value::from(v)
                })
                .collect();
            d.insert("f".into(), f.into());
            d.insert("n".into(), rec.findings.len().into());
        }
        if rec.findings_truncated {
            d.insert("t".into(), 1.into());
        }
        if !rec.columns.is_empty() {
            let c: Vec<Value> = rec
                .columns
                .iter()
                .map(|c| json!([c.table, c.column, c.values, c.matched, c.share, c.counts]))
                .collect();
            d.insert("c".into(), c.into());
        }
        if let Some(r) = &rec.retention {
            d.insert("r".into(), json!(r));
        }
        if let Some(detail) = &rec.detail {
            d.insert("d".into(), detail.as_str().into());
        }
        if d.is_empty() && rec.decision.is_none() {
            return None;
        }
        if let Some(h) = &rec.content_hash {
            d.insert("h".into(), h.as_str().into());
        }
        Some(Value::Object(d))
    }
}

impl<W: Write> Report for HtmlReport<W> {
    fn file(&mut self, rec: &FileRecord) -> io::Result<()> {
        let i = self.rows;
        if i > 0 {
            self.out.write_all(b",\n")?;
        }
        self.row(rec)?;
        self.rows += 1;
        if let Some(d) = self.detail(rec) {
            if self.details.len() < self.caps.details_bytes {
                if self.details_files > 0 {
                    self.details.push(b',');
                }
                serde_json::to_writer(&mut self.details, &json!([i, d])).map_err(json_err)?;
                self.details_files += 1;
            } else {
                self.details_left_out += 1;
            }
        }
        if let Some(d) = &rec.decision {
            if !self.decisions.is_empty() {
                self.decisions.push(b',');
            }
            let pd = PageDecision {
                row: Some(i),
                path: &rec.path,
                d,
                stale: rec.decision_stale,
            };
            serde_json::to_writer(&mut self.decisions, &pd).map_err(json_err)?;
        }
        Ok(())
    }

    fn finish(&mut self, summary: &Summary, finished: &str) -> io::Result<()> {
        self.out
            .write_all(b"]</script>\n<script type=\"application/json\" id=\"kl-details\">[")?;
        Esc(&mut self.out).write_all(&self.details)?;
        self.details = Vec::new();
        self.out
            .write_all(b"]</script>\n<script type=\"application/json\" id=\"kl-meta\">")?;
        for (path, d) in &self.orphans {
            if !self.decisions.is_empty() {
                self.decisions.push(b',');
            }
            let pd = PageDecision {
                row: None,
                path,
                d,
                stale: false,
            };
            serde_json::to_writer(&mut self.decisions, &pd).map_err(json_err)?;
        }
        let decisions: Value =
            serde_json::from_slice(&[b"[".as_slice(), &self.decisions, b"]"].concat())
                .map_err(json_err)?;
        let dirs: Vec<Value> = self
            .folders
            .nodes
            .iter()
            .map(|n| {
                json!([
                    n.parent.map_or(-1, i64::from),
                    n.name,
                    n.files,
                    n.with_findings,
                    n.findings,
                    n.overdue,
                    n.unscanned,
                    n.bytes
                ])
            })
            .collect();
        let h = &self.header;
        // The page shows counts; the fingerprints behind them are for `merge`, not for it.
        let summary = Summary {
            distinct_sketch: Default::default(),
            ..summary.clone()
        };
        let meta = json!({
            "version": h["tool"]["version"],
            "lang": self.lang.code(),
            "roots": h["scan"]["roots"],
            "started": h["scan"]["started"],
            // The day the inventory describes: a keep-until is judged on it.
            "as_of": h["scan"]["as_of"],
            "finished": finished,
            "key": h["scan"]["fingerprints"]["key"],
            "reveal": self.reveal,
            "computed": self.computed,
            "summary": summary,
            "statuses": Status::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "owners": self.owners.names,
            "types": self.types.names,
            "reasons": self.reasons.names,
            "kinds": self.kinds.names,
            "verdicts": self.verdicts.names,
            "dirs": dirs,
            "policies": self.policies.0,
            "decisions": decisions,
            "details": {"files": self.details_files, "left_out": self.details_left_out,
                        "cap_mib": self.caps.details_bytes >> 20},
        });
        serde_json::to_writer(Esc(&mut self.out), &meta).map_err(json_err)?;
        self.out.write_all(b"</script>")?;
        let tail = self.tail.replace("{{js}}", JS);
        self.out.write_all(tail.as_bytes())?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report of one root, with a provided key, written to `out`.
    fn page(out: &mut Vec<u8>) -> HtmlReport<&mut Vec<u8>> {
        let header =
            json!({"scan": {"roots": ["/r"], "options": {}, "fingerprints": {"key": "provided"}}});
        HtmlReport::new(out, Lang::Nb, header, Caps::default()).unwrap()
    }

    #[test]
    fn no_name_can_close_the_data_script() {
        let mut out = Vec::new();
        let mut r = page(&mut out);
        let mut rec = FileRecord::new("/r/</script><img src=x>.txt".into(), None);
        rec.set_status(Status::Error, "io_error", "</script>");
        r.file(&rec).unwrap();
        r.finish(&Summary::default(), "2026-01-01T00:00:00Z")
            .unwrap();
        let page = String::from_utf8(out).unwrap();
        assert!(!page.contains("</script><img"), "a name closed a script");
        assert!(page.contains("\"script>\\u003cimg src=x>.txt\""));
        assert!(page.contains("\"d\":\"\\u003c/script>\""));
        assert_eq!(
            page.matches("<script").count(),
            5,
            "four data blocks and the app"
        );
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "no address in the page"
        );
    }

    #[test]
    fn the_page_counts_distinct_values_without_their_fingerprints() {
        let mut out = Vec::new();
        let mut r = page(&mut out);
        let mut summary = Summary::default();
        let mut d = crate::report::distinct::Distinct::default();
        d.insert(0x1e7b_b6fb_7576_b026);
        summary.distinct_by_kind.insert("phone".into(), d.len());
        summary.distinct_sketch.insert("phone".into(), d);
        r.finish(&summary, "2026-01-01T00:00:00Z").unwrap();
        let page = String::from_utf8(out).unwrap();
        assert!(page.contains(r#""distinct_by_kind":{"phone":1}"#));
        assert!(!page.contains("distinct_sketch") && !page.contains("1e7bb6fb7576b026"));
    }
}
