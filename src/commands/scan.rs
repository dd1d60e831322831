//! `kartlegg scan`: an inventory of files and directories.

use anyhow::{bail, Context, Result};
use serde_json::json;

use super::{detector, known_kinds, FAILED, FOUND, NOTHING_FOUND};
use crate::cli::{Format, IsolationArg, ScanArgs};
use crate::config::Config;
use crate::extract::Limits;
use crate::report::mask::HashKey;
use crate::report::progress::Progress;
use crate::report::text::TextReport;
use crate::report::writer::{JsonReport, JsonlReport, Output};
use crate::report::{Report, SCHEMA_VERSION};
use crate::retain;
use crate::review::decisions::Decisions;
use crate::review::inventory::compared_root;
use crate::review::locate::{Family, Query, Targets};
use crate::scan::state::State;
use crate::scan::{self, Isolation, Options};
use crate::walk::Shard;

/// Where the fingerprint key came from.
#[derive(Clone, Copy, PartialEq)]
enum KeySource {
    Given,
    State,
    Random,
}

/// The fingerprint key: from `--hash-key-file`, else `KARTLEGG_HASH_KEY`, else random.
pub(crate) fn hash_key(file: Option<&std::path::Path>) -> Result<HashKey> {
    if let Some(path) = file {
        let raw = std::fs::read(path)
            .with_context(|| format!("cannot read --hash-key-file {}", path.display()))?;
        let key = key_line(&raw);
        if key.is_empty() {
            bail!("--hash-key-file {} is empty", path.display());
        }
        return Ok(HashKey::provided(key.to_vec()));
    }
    let env = std::env::var_os("KARTLEGG_HASH_KEY").map(|k| k.into_encoded_bytes());
    match env.as_deref().map(key_line) {
        Some(k) if !k.is_empty() => Ok(HashKey::provided(k.to_vec())),
        _ => Ok(HashKey::random()),
    }
}

/// A key as its file or variable holds it, without one line ending: a key file written by
/// `base64 > FILE` ends in one, and so does a variable filled from that file (a Kubernetes
/// secret made `--from-file`); either way it is the same key.
fn key_line(raw: &[u8]) -> &[u8] {
    let key = raw.strip_suffix(b"\n").unwrap_or(raw);
    key.strip_suffix(b"\r").unwrap_or(key)
}

/// Warns about policy kinds no rule in use reports: such a policy never applies through them
/// (a misspelt kind would otherwise pass silently).
fn warn_unknown_kinds(cfg: &retain::Config, det: &crate::detect::Detector) {
    let known = super::known_kinds(det);
    for p in &cfg.policies {
        for k in p.kinds.iter().filter(|k| !known.contains(&k.as_str())) {
            eprintln!(
                "kartlegg: warning: policy {:?} names kind {k:?}, which no rule in use reports",
                p.id
            );
        }
    }
}

/// The shard to scan: `--shard I/N` (or `KARTLEGG_SHARD`), or `--shards N` with the index from
/// `JOB_COMPLETION_INDEX` (a Kubernetes Indexed Job).
fn shard(args: &ScanArgs) -> Result<Option<Shard>> {
    let Some(count) = args.shards else {
        // A pod of an Indexed Job run without --shards scans every file, as each of its
        // siblings does: said, since merge then refuses their overlap after the work is done.
        if args.shard.is_none() && std::env::var_os("JOB_COMPLETION_INDEX").is_some() {
            eprintln!(
                "kartlegg: warning: JOB_COMPLETION_INDEX is set but --shards is not: this scan takes every file, not its share (give --shards N)"
            );
        }
        return Ok(args.shard);
    };
    if args.shard.is_some() {
        bail!("give --shard I/N (or KARTLEGG_SHARD) or --shards N, not both");
    }
    let index = std::env::var("JOB_COMPLETION_INDEX")
        .map_err(|_| anyhow::anyhow!("--shards {count} takes the shard's index from JOB_COMPLETION_INDEX, which is not set (use --shard I/N outside an Indexed Job)"))?;
    let index = index
        .trim()
        .parse::<u32>()
        .map_err(|_| anyhow::anyhow!("JOB_COMPLETION_INDEX={index:?} is not a shard index"))?;
    Ok(Some(Shard::new(index, count).map_err(anyhow::Error::msg)?))
}

/// The scan options a command line asks for (a git mode adjusts a few).
pub(super) fn options(args: &ScanArgs) -> Result<Options> {
    let ocr = crate::extract::ocr::Settings {
        mode: args.ocr.into(),
        ..Default::default()
    };
    if ocr.mode == crate::extract::ocr::Mode::Always {
        if let Err(why) = crate::extract::ocr::engine() {
            bail!("--ocr always: {why}");
        }
    }
    Ok(Options {
        roots: args.paths.clone(),
        threads: args
            .threads
            .unwrap_or_else(|| scan::default_threads(&args.paths)),
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
            seconds: args.max_seconds,
            ocr,
            ..Limits::default()
        },
        rules_dir: args.rules.clone(),
        shard: None,
        isolation: match args.isolation {
            IsolationArg::Processes => Isolation::Processes {
                max_memory: args.max_memory,
                read_timeout: args.read_timeout,
            },
            IsolationArg::Threads => Isolation::Threads,
        },
        synthetic: Default::default(),
        retention: None,
    })
}

/// `kartlegg scan PATH...`: an inventory (git modes are in [`super::gate`]).
pub(super) fn run(args: ScanArgs) -> Result<u8> {
    if let Some(source) = args.source.source() {
        if args.policy.is_some() {
            bail!("--policy reviews files on disk; it is not available with --staged, --diff, --history or --tracked");
        }
        if args.state.is_some() {
            bail!("--state is for scans of files and directories, not git modes");
        }
        if args.shard.is_some() || args.shards.is_some() {
            bail!("--shard and --shards are for scans of files and directories, not git modes");
        }
        return super::gate::scan(&args, source);
    }
    // Only a config named on the command line: one found in the scanned tree is data.
    let config = args.config.as_deref().map(Config::load).transpose()?;
    let det = detector(
        args.rules
            .as_deref()
            .or(config.as_ref().and_then(|c| c.rules.as_deref())),
    )?;
    if let Some(c) = &config {
        c.check_kinds(known_kinds(&det))?;
    }
    let key = hash_key(args.hash_key_file.as_deref())?;
    if args.paths.is_empty() {
        bail!("give the files or directories to scan (or --staged, --diff, --history, --tracked for a git repository)");
    }
    if matches!(
        args.format,
        Some(Format::Sarif | Format::Github | Format::TextLines)
    ) {
        bail!("--format sarif, github and text-lines need a git mode (--staged, --diff, --history or --tracked)");
    }
    if args.policy.is_some() && args.state.is_some() {
        // A record the state reuses was judged by the scan that read it, on its as-of day.
        bail!("--policy cannot be combined with --state yet: files the state reuses would keep the verdicts of the scan that read them");
    }
    if let Some(state) = &args.state {
        // Else the report is renamed over the state, which is lost with its kept key.
        let out = args.output.as_deref().unwrap_or(std::path::Path::new("-"));
        // (SQLite keeps the state's log and index beside it, under the same name.)
        let beside = |suffix: &str| {
            let mut p = state.as_os_str().to_owned();
            p.push(suffix);
            std::path::PathBuf::from(p)
        };
        if [state.clone(), beside("-wal"), beside("-shm")]
            .iter()
            .any(|s| Output::lands_on(out, s) || Output::is_partial_of(out, s))
        {
            bail!(
                "the report would be written onto the state {}: give the report (-o) and --state files of their own",
                state.display()
            );
        }
    }
    let today = chrono::Utc::now().date_naive();
    let retention = match &args.policy {
        Some(p) => {
            let cfg = retain::policy::load(p, args.as_of, today).map_err(anyhow::Error::msg)?;
            warn_unknown_kinds(&cfg, &det);
            Some(cfg)
        }
        None => None,
    };
    let as_of = retention
        .as_ref()
        .map_or(args.as_of.unwrap_or(today), |c| c.as_of);
    let mut decisions = match &args.decisions {
        Some(p) => Some(Decisions::load(p)?),
        None => None,
    };
    let queries: Vec<Query> = args
        .find
        .iter()
        .map(|v| Query {
            family: Family::Any,
            text: v.clone(),
        })
        .collect();
    let targets = |key: &HashKey| {
        Targets::new(&det, key, &queries)
            .map_err(|e| anyhow::anyhow!("{}", e.to_string().replace("--value", "--find")))
    };
    // Checked before a state is opened; fingerprinted below, under the key the records get.
    if !queries.is_empty() {
        targets(&key)?;
    }
    let format = args.format.unwrap_or(if args.output.is_some() {
        Format::Json
    } else {
        Format::Summary
    });
    let mut opts = options(&args)?;
    // Values sought are sought in any form and context.
    if !queries.is_empty() {
        opts.min_confidence = crate::detect::Confidence::Low;
    }
    opts.shard = shard(&args)?;
    opts.retention = retention;
    if let Some(c) = &config {
        opts.rules_dir = opts.rules_dir.or_else(|| c.rules.clone());
        opts.exclude.extend(c.exclude.iter().cloned());
        opts.synthetic = c.synthetic.clone();
    }
    // With a state and no key given, the state's own key (created once): fingerprints then
    // correlate across the scans that share the state.
    let mut state = match &args.state {
        Some(p) => Some(State::open(p)?),
        None => None,
    };
    let (key, source) = match &state {
        _ if key.provided => (key, KeySource::Given),
        Some(st) => (HashKey::provided(st.key()?), KeySource::State),
        None => (key, KeySource::Random),
    };
    let find = if queries.is_empty() {
        None
    } else {
        Some(targets(&key)?)
    };
    let key_note = match source {
        KeySource::Given => {
            "Fingerprints: keyed by the given key; they correlate across scans with the same key."
        }
        KeySource::State => {
            "Fingerprints: keyed by the key kept in the state file; they correlate across scans with that state."
        }
        KeySource::Random => {
            "Fingerprints: random per-scan key; they correlate only within this scan."
        }
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
            "as_of": as_of.to_string(),
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
                "exclude": opts.exclude.iter().map(|g| namer.mask_name(g)).collect::<Vec<_>>(),
                "max_file_size": opts.max_file_size,
                "max_findings_per_file": opts.max_findings_per_file,
                "max_depth": opts.limits.max_depth,
                "max_archive_bytes": opts.limits.max_nested_bytes,
                "max_entries": opts.limits.max_entries,
                "max_ratio": opts.limits.max_ratio,
                "max_seconds": opts.limits.seconds,
                "ocr": opts.limits.ocr.mode.as_str(),
                "isolation": match &opts.isolation {
                    Isolation::Processes { max_memory, read_timeout } => json!({
                        "mode": "processes",
                        "max_memory": max_memory,
                        "read_timeout": read_timeout,
                    }),
                    Isolation::Threads => json!({"mode": "threads"}),
                },
                "rules_dir": opts.rules_dir.as_ref().map(|p| namer.mask_name(&crate::walk::display(p))),
                "config": config.as_ref().map(|c| namer.mask_name(&crate::walk::display(&c.file))),
                // What is declared, counted and digested under the key: never the values.
                "synthetic": (!opts.synthetic.is_empty()).then(|| json!({
                    "dolly": opts.synthetic.dolly,
                    "ranges": opts.synthetic.ranges.len(),
                    "values": opts.synthetic.values.len(),
                    "fingerprints": opts.synthetic.fingerprints.len(),
                    "digest": opts.synthetic.digest(&key),
                })),
                "decisions": args.decisions.as_ref().map(|p| namer.mask_name(&crate::walk::display(p))),
                // How many values were sought, and their digest under the key; never the values.
                "find": find.as_ref().map_or(0, Targets::distinct),
                "find_digest": find.as_ref().map(|t| t.digest(&key)),
            },
            "fingerprints": {
                "algorithm": "hmac-sha256 (first 128 bits) of kind NUL normalised value",
                "key": match source {
                    KeySource::Given => "provided",
                    KeySource::State => "kept in the state",
                    KeySource::Random => "random per scan",
                },
                "key_id": key.id(),
                "note": key_note,
            },
        },
    });
    if let Some(c) = &opts.retention {
        header["scan"]["retention"] = json!({
            "policy_file": namer.mask_name(&crate::walk::display(&c.file)),
            "sha256": c.sha256,
            "as_of": c.as_of.to_string(),
            "due_within": c.due_within.map(|d| d.to_string()),
            // The policy file's digest above tells files apart; its free text (titles,
            // globs, actions) is the operator's and is masked as paths are.
            "policies": c.policies.iter().map(|p| {
                let mut p = p.clone();
                let mask = |s: &mut String| *s = namer.mask_name(s);
                p.title.as_mut().map(mask);
                p.paths.iter_mut().for_each(mask);
                p.action.as_mut().map(mask);
                p.legal_basis.as_mut().map(mask);
                p
            }).collect::<Vec<_>>(),
        });
    }

    // The roots and the decisions file above are masked or named only: two that differ in a
    // masked value, or files of one name with other contents, would look alike to merge.
    // Their digests under the key tell them apart (never the values). (What a configuration
    // changes is in the options, the rules' hash and the synthetic digest already.)
    let roots = opts
        .roots
        .iter()
        .map(|p| compared_root(crate::walk::display(p)));
    header["scan"]["roots_digest"] = json!(key.set_digest("roots", roots));
    let digest = |label: &str, file: &std::path::Path| -> Result<String> {
        let bytes =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        Ok(key.set_digest(label, [String::from_utf8_lossy(&bytes)]))
    };
    if let Some(p) = &args.decisions {
        header["scan"]["options"]["decisions_digest"] = json!(digest("decisions", p)?);
    }
    if !opts.exclude.is_empty() {
        // The globs above are masked: two that differ only in a masked value would look alike
        // to merge, so their digest under the key tells them apart (never the globs).
        header["scan"]["options"]["exclude_digest"] =
            json!(key.set_digest("exclude", &opts.exclude));
    }

    if let Some(s) = opts.shard {
        header["scan"]["shard"] = json!({"index": s.index(), "count": s.count()});
    }

    let out = match &args.output {
        Some(p) => Output::open(p).with_context(|| format!("cannot write {}", p.display()))?,
        None => Output::stdout(),
    };
    // Never scan the report we are writing, whatever its path is called.
    let mut never_scan = out.identities();
    never_scan.extend(state.iter().flat_map(State::identities));
    let mut report: Box<dyn Report> = match format {
        Format::Json => Box::new(JsonReport::streamed(out, &header)?),
        Format::Jsonl => Box::new(JsonlReport::new(out, &header)?),
        Format::Sarif | Format::Github | Format::TextLines => unreachable!("rejected above"),
        Format::Summary => Box::new(TextReport::new(out, key_note.to_string(), args.reveal)),
    };
    let mut progress = Progress::new(!args.no_progress);
    // The day the inventory describes (`--as-of`): a `keep ... until` expires against it too.
    let today = as_of;
    // In this process, before a record is counted or written: what was sought, and the
    // reviewer's decisions.
    let applies = find.is_some() || decisions.is_some();
    let mut on_record = |rec: &mut crate::report::FileRecord| {
        if let Some(t) = &find {
            t.filter(rec);
        }
        if let Some(d) = &mut decisions {
            d.apply(rec, today);
        }
    };
    let outcome = scan::run_with_state(
        &opts,
        &det,
        &key,
        report.as_mut(),
        &mut progress,
        never_scan,
        // Nothing to apply: records are not handed through the closure.
        applies.then_some(&mut on_record as scan::OnRecord<'_>),
        state.as_mut(),
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
