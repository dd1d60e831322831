//! `kartlegg scan`: an inventory of files and directories.

use anyhow::{bail, Context, Result};
use serde_json::json;

use super::{detector, FAILED, FOUND, NOTHING_FOUND};
use crate::cli::{Format, IsolationArg, ScanArgs};
use crate::extract::Limits;
use crate::report::mask::HashKey;
use crate::report::progress::Progress;
use crate::report::text::TextReport;
use crate::report::writer::{JsonReport, JsonlReport, Output};
use crate::report::{Report, SCHEMA_VERSION};
use crate::review::decisions::{self, Decisions};
use crate::review::inventory::key_id;
use crate::review::locate::{Family, Query, Targets};
use crate::scan::{self, Isolation, Options};

/// The fingerprint key: from `--hash-key-file`, else `KARTLEGG_HASH_KEY`, else random.
pub(crate) fn hash_key(file: Option<&std::path::Path>) -> Result<HashKey> {
    if let Some(path) = file {
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

/// `kartlegg scan PATH...`: an inventory (git modes are in [`super::gate`]).
pub fn run(args: ScanArgs) -> Result<u8> {
    let det = detector(args.rules.as_deref())?;
    let key = hash_key(args.hash_key_file.as_deref())?;
    if let Some(source) = args.source.source() {
        return super::gate::scan(&args, source, &det, key);
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
    let mut decisions = match &args.decisions {
        Some(p) => Some(Decisions::load(p)?),
        None => None,
    };
    let find = if args.find.is_empty() {
        None
    } else {
        let queries: Vec<Query> = args
            .find
            .iter()
            .map(|v| Query {
                family: Family::Any,
                text: v.clone(),
            })
            .collect();
        Some(
            Targets::new(&det, &key, &queries)
                .map_err(|e| anyhow::anyhow!("{}", e.to_string().replace("--value", "--find")))?,
        )
    };
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
        // Values sought are sought in any form and context.
        min_confidence: if find.is_some() {
            crate::detect::Confidence::Low
        } else {
            args.min_confidence
        },
        reveal: args.reveal,
        max_findings_per_file: args.max_findings_per_file,
        limits: Limits {
            max_depth: args.max_depth,
            max_nested_bytes: args.max_archive_bytes,
            max_entries: args.max_entries,
            max_ratio: args.max_ratio,
            seconds: args.max_seconds,
            ..Limits::default()
        },
        rules_dir: args.rules.clone(),
        isolation: match args.isolation {
            IsolationArg::Processes => Isolation::Processes {
                max_memory: args.max_memory,
                read_timeout: args.read_timeout,
            },
            IsolationArg::Threads => Isolation::Threads,
        },
    };
    let key_note = if key.provided {
        "Fingerprints: keyed by the given key; they correlate across scans with the same key."
    } else {
        "Fingerprints: random per-scan key; they correlate only within this scan."
    };
    let namer = scan::Scanner::new(&opts, &det, &key);
    let mut header = json!({
        "schema_version": SCHEMA_VERSION,
        "tool": {
            "name": "kartlegg",
            "version": env!("CARGO_PKG_VERSION"),
            "rules_hash": det.rules_hash(),
            "rules": det.rules().map(|r| r.id.clone()).collect::<Vec<_>>(),
        },
        "scan": {
            "started": crate::now_rfc3339(),
            "roots": opts
                .roots
                .iter()
                .map(|p| namer.mask_name(&crate::walk::display(p)))
                .collect::<Vec<_>>(),
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
                "max_seconds": opts.limits.seconds,
                "isolation": match &opts.isolation {
                    Isolation::Processes { max_memory, read_timeout } => json!({
                        "mode": "processes",
                        "max_memory": max_memory,
                        "read_timeout": read_timeout,
                    }),
                    Isolation::Threads => json!({"mode": "threads"}),
                },
                "rules_dir": args.rules.as_ref().map(|p| p.to_string_lossy()),
                "decisions": args.decisions.as_ref().map(|p| p.to_string_lossy()),
                // How many values were sought, never the values.
                "find": args.find.len(),
            },
            "fingerprints": {
                "algorithm": "hmac-sha256 (first 128 bits) of kind NUL normalised value",
                "key": if key.provided { "provided" } else { "random per scan" },
                "note": key_note,
            },
        },
    });

    if key.provided {
        // Says which key without saying anything about it: `diff` and `locate` check it.
        header["scan"]["fingerprints"]["key_id"] = key_id(&key).into();
    }
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
    let today = decisions::today();
    // In this process, before a record is counted or written: what was sought, and the
    // reviewer's decisions.
    let mut on_record = |rec: &mut crate::report::FileRecord| {
        if let Some(t) = &find {
            t.filter(rec);
        }
        if let Some(d) = &mut decisions {
            d.apply(rec, today);
        }
    };
    let outcome = scan::run(
        &opts,
        &det,
        &key,
        report.as_mut(),
        &mut progress,
        never_scan,
        &mut on_record,
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
