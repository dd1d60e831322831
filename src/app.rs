//! From a parsed command line to a finished scan and an exit code.

use std::io::Write;

use anyhow::{bail, Context, Result};
use serde_json::json;

use crate::cli::{BaselineAction, Cli, Command, Format, RulesArgs, ScanArgs};
use crate::detect::rules::{Matcher, RuleSet};
use crate::detect::Detector;
use crate::extract::Limits;
use crate::gate;
use crate::report::mask::HashKey;
use crate::report::progress::Progress;
use crate::report::text::TextReport;
use crate::report::writer::{JsonReport, JsonlReport, Output};
use crate::report::{Report, SCHEMA_VERSION};
use crate::scan::{self, Options};

/// Exit codes.
pub const NOTHING_FOUND: u8 = 0;
pub const FOUND: u8 = 1;
pub const FAILED: u8 = 2;

pub fn run(cli: Cli) -> Result<u8> {
    quiet_panics();
    match cli.command {
        Command::Scan(args) => scan_command(args),
        Command::Rules(args) => rules_command(args),
        Command::Baseline(args) => {
            let det = |rules: Option<&std::path::Path>| detector(rules);
            match args.action {
                BaselineAction::Add(a) => {
                    gate::command::baseline_add(&a, &det(a.rules.as_deref())?)
                }
                BaselineAction::Update(a) => {
                    gate::command::baseline_update(&a, &det(a.rules.as_deref())?)
                }
            }
        }
        Command::InstallHook(args) => gate::command::install_hook(&args),
    }
}

/// A panic inside a parser is caught and recorded per file (`parser_panic`); its message may
/// quote document text, so only the code location is printed.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_else(|| "unknown location".into());
        eprintln!(
            "kartlegg: internal error at {at} (message withheld: it may quote file contents)"
        );
    }));
}

/// Loads the rule set and, for user rules, proves their examples.
fn detector(dir: Option<&std::path::Path>) -> Result<Detector> {
    let set = RuleSet::load(dir).map_err(anyhow::Error::msg)?;
    let det = Detector::new(set);
    if dir.is_some() {
        let failures = det.example_failures();
        if !failures.is_empty() {
            bail!("rule examples do not hold:\n  {}", failures.join("\n  "));
        }
    }
    Ok(det)
}

fn hash_key(args: &ScanArgs) -> Result<HashKey> {
    if let Some(path) = &args.hash_key_file {
        let raw = std::fs::read(path)
            .with_context(|| format!("cannot read --hash-key-file {}", path.display()))?;
        let key = raw.strip_suffix(b"\n").unwrap_or(&raw);
        let key = key.strip_suffix(b"\r").unwrap_or(key);
        if key.is_empty() {
            bail!("--hash-key-file {} is empty", path.display());
        }
        return Ok(HashKey::provided(key.to_vec()));
    }
    match std::env::var_os("KARTLEGG_HASH_KEY") {
        Some(k) if !k.is_empty() => Ok(HashKey::provided(k.into_encoded_bytes())),
        _ => Ok(HashKey::random()),
    }
}

fn scan_command(args: ScanArgs) -> Result<u8> {
    let det = detector(args.rules.as_deref())?;
    let key = hash_key(&args)?;
    if let Some(source) = args.source.source() {
        return gate::command::scan(&args, source, &det, key);
    }
    if args.paths.is_empty() {
        bail!("give the files or directories to scan (or --staged, --diff, --history, --tracked for a git repository)");
    }
    if matches!(
        args.format,
        Some(Format::Sarif | Format::Github | Format::TextLines)
    ) {
        bail!("--format sarif, github and text-lines need a git mode (--staged, --diff, --history or --tracked)");
    }
    let format = args.format.unwrap_or(if args.output.is_some() {
        Format::Json
    } else {
        Format::Summary
    });
    let opts = Options {
        roots: args.paths.clone(),
        threads: args.threads.unwrap_or_else(scan::default_threads),
        follow: args.follow,
        exclude: args.exclude.clone(),
        max_file_size: args.max_file_size,
        min_confidence: args.min_confidence,
        reveal: args.reveal,
        max_findings_per_file: args.max_findings_per_file,
        limits: Limits {
            max_depth: args.max_depth,
            max_nested_bytes: args.max_archive_bytes,
            max_entries: args.max_entries,
            max_ratio: args.max_ratio,
            ..Limits::default()
        },
    };
    let key_note = if key.provided {
        "Fingerprints: keyed by the given key; they correlate across scans with the same key."
    } else {
        "Fingerprints: random per-scan key; they correlate only within this scan."
    };
    let header = json!({
        "schema_version": SCHEMA_VERSION,
        "tool": {
            "name": "kartlegg",
            "version": env!("CARGO_PKG_VERSION"),
            "rules_hash": det.rules_hash(),
            "rules": det.rules().map(|r| r.id.clone()).collect::<Vec<_>>(),
        },
        "scan": {
            "started": crate::now_rfc3339(),
            "roots": opts.roots.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>(),
            "options": {
                "min_confidence": opts.min_confidence,
                "reveal": opts.reveal,
                "threads": opts.threads,
                "follow": opts.follow,
                "exclude": opts.exclude,
                "max_file_size": opts.max_file_size,
                "max_findings_per_file": opts.max_findings_per_file,
                "max_depth": opts.limits.max_depth,
                "max_archive_bytes": opts.limits.max_nested_bytes,
                "max_entries": opts.limits.max_entries,
                "max_ratio": opts.limits.max_ratio,
                "rules_dir": args.rules.as_ref().map(|p| p.to_string_lossy()),
            },
            "fingerprints": {
                "algorithm": "hmac-sha256 (first 128 bits) of kind NUL normalised value",
                "key": if key.provided { "provided" } else { "random per scan" },
                "note": key_note,
            },
        },
    });

    let out = match &args.output {
        Some(p) => Output::open(p).with_context(|| format!("cannot write {}", p.display()))?,
        None => Output::stdout(),
    };
    // Never scan the report we are writing, whatever its path is called.
    let never_scan = out.identities();
    let mut report: Box<dyn Report> = match format {
        Format::Json => Box::new(JsonReport::new(out, &header)?),
        Format::Jsonl => Box::new(JsonlReport::new(out, &header)?),
        Format::Sarif | Format::Github | Format::TextLines => unreachable!("rejected above"),
        Format::Summary => match &args.output {
            Some(_) => Box::new(TextReport::new(out, key_note.to_string())),
            None => Box::new(TextReport::new(
                std::io::stdout().lock(),
                key_note.to_string(),
            )),
        },
    };
    let mut progress = Progress::new(!args.no_progress);
    let outcome = scan::run(
        &opts,
        &det,
        &key,
        report.as_mut(),
        &mut progress,
        never_scan,
    )?;
    if args.fail_on_unscanned && outcome.unscanned > 0 {
        return Ok(FAILED);
    }
    Ok(if outcome.personal > 0 {
        FOUND
    } else {
        NOTHING_FOUND
    })
}

fn rules_command(args: RulesArgs) -> Result<u8> {
    let det = Detector::new(RuleSet::load(args.rules.as_deref()).map_err(anyhow::Error::msg)?);
    let mut out = std::io::stdout().lock();
    writeln!(out, "rules {}", det.rules_hash())?;
    for r in det.rules() {
        let how = match &r.matcher {
            Matcher::Builtin(m) => format!("built-in {m}"),
            Matcher::Pattern { regex, validator } => match validator {
                Some(v) => format!("pattern {:?} + {v:?}", regex.as_str()),
                None => format!("pattern {:?}", regex.as_str()),
            },
        };
        writeln!(
            out,
            "{:<22} {:<20} {} examples, {} counter-examples  {}  ({})",
            r.id,
            r.kind,
            r.examples.len(),
            r.counter_examples.len(),
            how,
            r.file.display()
        )?;
    }
    let failures = det.example_failures();
    for f in &failures {
        writeln!(out, "FAIL {f}")?;
    }
    Ok(if failures.is_empty() {
        NOTHING_FOUND
    } else {
        FAILED
    })
}
