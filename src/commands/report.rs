//! `kartlegg report INVENTORY -o FILE`: an inventory made into an HTML page, CSV or an Excel
//! workbook for reviewers. The inventory streams through; the format comes from `--format` or
//! FILE's extension.

use std::io::{Seek, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};

use super::NOTHING_FOUND;
use crate::cli::{LangArg, ReportArgs, ReportFormat};
use crate::report::csv::{CsvReport, Rows};
use crate::report::html::{Caps, HtmlReport};
use crate::report::lang::Lang;
use crate::report::writer::Output;
use crate::report::xlsx::XlsxReport;
use crate::report::{FileRecord, Report, Summary, Totals};
use crate::review::decisions::{self, Decisions};
use crate::review::inventory::{self, Header, Visitor};

fn format_of(args: &ReportArgs) -> Result<ReportFormat> {
    if let Some(f) = args.format {
        return Ok(f);
    }
    let ext = args
        .output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    Ok(match ext.as_deref() {
        Some("html" | "htm") => ReportFormat::Html,
        Some("csv") => ReportFormat::Csv,
        Some("xlsx") => ReportFormat::Xlsx,
        _ => bail!(
            "cannot tell the format from {}: give --format html, csv or xlsx",
            args.output.display()
        ),
    })
}

/// The writer being fed, made when the inventory's header has been read.
enum Writer {
    Html(Box<HtmlReport<Output>>),
    Csv(Box<CsvReport<Output>>),
    Xlsx(Box<XlsxReport<std::fs::File>>),
}

impl Writer {
    fn report(&mut self) -> &mut dyn Report {
        match self {
            Writer::Html(w) => w.as_mut(),
            Writer::Csv(w) => w.as_mut(),
            Writer::Xlsx(w) => w.as_mut(),
        }
    }

    /// Puts the finished report in place.
    fn commit(self, target: &Path) -> Result<()> {
        let mut out = match self {
            Writer::Html(w) => w.into_inner(),
            Writer::Csv(w) => w.into_inner()?,
            Writer::Xlsx(w) => {
                let mut tmp = w.into_inner();
                tmp.rewind()?;
                let mut out = Output::open(target)?;
                std::io::copy(&mut tmp, &mut out)?;
                out
            }
        };
        out.flush()?;
        out.commit()?;
        Ok(())
    }
}

struct Feed<'a> {
    args: &'a ReportArgs,
    format: ReportFormat,
    lang: Lang,
    writer: Option<Writer>,
    decisions: Option<Decisions>,
    summary: Option<(Summary, Option<String>)>,
    /// Totals folded from the records, for an inventory without a summary.
    totals: Totals,
    /// The day the inventory describes (`scan.as_of`; today for one without): a keep-until
    /// is judged on it, as the scan judged it.
    as_of: chrono::NaiveDate,
}

impl Visitor for Feed<'_> {
    fn header(&mut self, h: &Header) -> Result<()> {
        if let Some(d) = h
            .field(&["scan", "as_of"])
            .as_str()
            .and_then(|d| d.parse().ok())
        {
            self.as_of = d;
        }
        let open = || {
            Output::open(&self.args.output)
                .with_context(|| format!("cannot write {}", self.args.output.display()))
        };
        self.writer = Some(match self.format {
            ReportFormat::Html => Writer::Html(Box::new(HtmlReport::new(
                open()?,
                self.lang,
                h.to_value(),
                Caps::default(),
            )?)),
            ReportFormat::Csv => {
                let rows = if self.args.findings {
                    Rows::Findings
                } else {
                    Rows::Files
                };
                Writer::Csv(Box::new(CsvReport::new(
                    open()?,
                    rows,
                    self.lang,
                    h.reveal(),
                )?))
            }
            ReportFormat::Xlsx => Writer::Xlsx(Box::new(XlsxReport::new(
                tempfile::tempfile()?,
                self.lang,
                h.to_value(),
                h.reveal(),
            )?)),
        });
        Ok(())
    }

    fn file(&mut self, mut rec: FileRecord) -> Result<()> {
        // For the totals of an inventory without a summary.
        rec.tally_listed();
        if let Some(d) = &mut self.decisions {
            d.apply(&mut rec, self.as_of);
        }
        let bytes = rec.meta.as_ref().map_or(0, |m| m.size);
        self.totals.add(rec.figures(), bytes, None);
        let w = self.writer.as_mut().expect("the header comes first");
        w.report().file(&rec)?;
        Ok(())
    }

    fn summary(&mut self, s: Summary, finished: Option<String>) -> Result<()> {
        self.summary = Some((s, finished));
        Ok(())
    }
}

pub(super) fn run(args: ReportArgs) -> Result<u8> {
    let target = args.output.clone();
    let result = write(args);
    if result.is_err() {
        // A report that failed is not left half made beside its name.
        if let Some(p) = Output::partial_of(&target) {
            let _ = std::fs::remove_file(p);
        }
    }
    result
}

fn write(args: ReportArgs) -> Result<u8> {
    let format = format_of(&args)?;
    if Output::lands_on(&args.output, &args.inventory) {
        bail!(
            "the report would be written onto its inventory {}: give the report (-o) a name of its own",
            super::masked(&args.inventory.display().to_string())
        );
    }
    if args.findings && format != ReportFormat::Csv {
        bail!(
            "--findings is for --format csv (the HTML page and the workbook list findings anyway)"
        );
    }
    let decisions = match &args.decisions {
        Some(p) if format == ReportFormat::Html => Some(Decisions::load(p)?),
        Some(_) => bail!("--decisions is for the HTML report"),
        None => None,
    };
    let mut feed = Feed {
        args: &args,
        format,
        lang: match args.lang {
            LangArg::Nb => Lang::Nb,
            LangArg::En => Lang::En,
        },
        writer: None,
        decisions,
        summary: None,
        totals: Totals::default(),
        as_of: decisions::today(),
    };
    inventory::read(&args.inventory, &mut feed)?;
    let mut writer = feed.writer.take().expect("the reader gives a header");
    let computed = feed.summary.is_none();
    let (mut summary, finished) = match feed.summary.take() {
        Some(s) => s,
        None => (feed.totals.finish().clone(), None),
    };
    if let Some(d) = &feed.decisions {
        // The summary of the inventory knew nothing of these decisions.
        summary.decisions = feed.totals.summary.decisions.clone();
        if let Writer::Html(h) = &mut writer {
            h.carry_decisions(d.unused());
        }
    }
    if computed {
        eprintln!(
            "kartlegg: {} has no summary (an interrupted scan?); the report's totals are computed from its records",
            super::masked(&args.inventory.display().to_string())
        );
        if let Writer::Html(h) = &mut writer {
            h.summary_computed();
        }
    }
    writer
        .report()
        .finish(&summary, finished.as_deref().unwrap_or(""))
        .context("cannot write the report")?;
    writer.commit(&args.output)?;
    Ok(NOTHING_FOUND)
}
