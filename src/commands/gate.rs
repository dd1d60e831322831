//! The gate's commands: `scan` in a git mode, `baseline add|update`, `install-hook`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::cli::{
    BaselineAddArgs, BaselineUpdateArgs, Format, GateArgs, InstallHookArgs, ScanArgs,
};
use crate::detect::{Confidence, Detector};
use crate::gate::baseline::{self, Baseline, Entry};
use crate::gate::{lines, sarif, Gate, Outcome, Policy, Source, Verdict};
use crate::report::mask::HashKey;
use crate::report::writer::Output;
use crate::scan::{Blobs, Options};
use crate::source::git::Repo;

/// Exit codes, as for every scan.
use super::{FAILED, FOUND, NOTHING_FOUND};

fn repo_dir(paths: &[PathBuf]) -> Result<PathBuf> {
    match paths {
        [] => Ok(PathBuf::from(".")),
        [one] => Ok(one.clone()),
        _ => bail!("a git mode scans one repository: give one path (default .)"),
    }
}

fn baseline_path(repo: &Repo, given: Option<&Path>) -> PathBuf {
    given.map_or_else(|| repo.root.join(baseline::FILE_NAME), Path::to_path_buf)
}

/// The baseline in force: the given file (which must exist), or the default one if it exists.
fn load_baseline(repo: &Repo, gate: &GateArgs) -> Result<Option<Baseline>> {
    let path = baseline_path(repo, gate.baseline.as_deref());
    if gate.baseline.is_some() || path.exists() {
        return Baseline::load(&path).map(Some);
    }
    Ok(None)
}

fn options(min_confidence: Confidence, reveal: bool) -> Options {
    Options {
        min_confidence,
        reveal,
        ..Options::default()
    }
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// `kartlegg scan` with --staged, --diff, --history or --tracked.
pub fn scan(args: &ScanArgs, source: Source, det: &Detector, provided_key: HashKey) -> Result<u8> {
    if args.reveal {
        bail!("--reveal is not available with --staged, --diff, --history or --tracked: CI outputs never show raw values");
    }
    let repo = Repo::open(&repo_dir(&args.paths)?)?;
    let baseline = load_baseline(&repo, &args.gate)?;
    // Baseline fingerprints only match under the baseline's own key.
    let key = baseline.as_ref().map_or(provided_key, Baseline::key);
    // Findings below --fail-on are still reported (as notes in SARIF) down to --min-confidence.
    let opts = options(args.min_confidence.min(args.gate.fail_on), false);
    let blobs = Blobs::new(&opts, det, &key)?;
    let ignore = crate::gate::load_ignore(&repo.root, &args.exclude)?;
    let gate = Gate {
        repo: &repo,
        blobs: &blobs,
        policy: Policy {
            fail_on: args.gate.fail_on,
            fail_on_synthetic: args.gate.fail_on_synthetic,
        },
        baseline: baseline.as_ref(),
        ignore: &ignore,
        max_file_size: args.max_file_size,
        today: today(),
    };
    let outcome = gate.run(&source)?;

    let github = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
    let format = args.format.unwrap_or(if github {
        Format::Github
    } else {
        Format::TextLines
    });
    let mut out = match &args.output {
        Some(p) => Output::open(p).with_context(|| format!("cannot write {}", p.display()))?,
        None => Output::stdout(),
    };
    match format {
        Format::TextLines => lines::write_text(&mut out, &outcome.hits)?,
        Format::Github => lines::write_github(&mut out, &outcome.hits)?,
        Format::Sarif => sarif::write(&mut out, det, &outcome.hits)?,
        Format::Summary | Format::Json | Format::Jsonl => {
            bail!("--format {format:?} is for inventories; a git mode writes text-lines, github or sarif")
        }
    }
    out.commit().context("cannot write the report")?;
    summarise(&outcome, &args.gate);

    if outcome.failing() > 0 {
        return Ok(FOUND);
    }
    if args.fail_on_unscanned && !outcome.unscanned.is_empty() {
        return Ok(FAILED);
    }
    Ok(NOTHING_FOUND)
}

/// A few lines on stderr: what failed, what was let through and why, stale baseline entries.
fn summarise(o: &Outcome, gate: &GateArgs) {
    let count = |v: Verdict| o.hits.iter().filter(|h| h.verdict == v).count();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "kartlegg: {} file(s) scanned, {} ignored; {} finding(s) fail (--fail-on {}); passed: {} baseline, {} kartlegg:allow, {} synthetic, {} below the level",
        o.files,
        o.ignored,
        o.failing(),
        gate.fail_on.as_str(),
        count(Verdict::Baseline),
        count(Verdict::InlineAllow),
        count(Verdict::Synthetic),
        count(Verdict::BelowThreshold),
    );
    for u in &o.unscanned {
        let _ = writeln!(
            err,
            "kartlegg: not read completely: {} ({}/{})",
            u.path,
            u.status.as_str(),
            u.reason
        );
    }
    for e in &o.expired {
        let _ = writeln!(
            err,
            "kartlegg: baseline entry expired {}: {} {} (reviewer {})",
            e.expires.map(|d| d.to_string()).unwrap_or_default(),
            e.path,
            e.kind,
            e.reviewer
        );
    }
    for e in &o.stale {
        let _ = writeln!(err, "kartlegg: stale baseline entry (matches nothing): {} {} {} — run `kartlegg baseline update`", e.path, e.kind, e.fingerprint);
    }
}

/// `kartlegg baseline add`: every finding that now fails becomes an entry.
pub fn baseline_add(args: &BaselineAddArgs, det: &Detector) -> Result<u8> {
    let repo = Repo::open(args.repo.as_deref().unwrap_or(Path::new(".")))?;
    let path = baseline_path(&repo, args.gate.baseline.as_deref());
    let mut b = if path.exists() {
        Baseline::load(&path)?
    } else {
        Baseline::new()
    };
    let source = args
        .source
        .source()
        .unwrap_or(Source::Tracked("HEAD".into()));
    let key = b.key();
    let opts = options(args.gate.fail_on, false);
    let blobs = Blobs::new(&opts, det, &key)?;
    let ignore = crate::gate::load_ignore(&repo.root, &[])?;
    let outcome = Gate {
        repo: &repo,
        blobs: &blobs,
        policy: Policy {
            fail_on: args.gate.fail_on,
            fail_on_synthetic: args.gate.fail_on_synthetic,
        },
        baseline: Some(&b),
        ignore: &ignore,
        max_file_size: None,
        today: today(),
    }
    .run(&source)?;
    let date = today();
    let mut added = 0;
    for h in outcome.hits.iter().filter(|h| h.verdict == Verdict::Fail) {
        // An expired entry for the same value is renewed rather than duplicated.
        b.entries
            .retain(|e| !(e.path == h.path && e.fingerprint == h.finding.fingerprint));
        b.entries.push(Entry {
            fingerprint: h.finding.fingerprint.clone(),
            kind: h.finding.kind.to_string(),
            path: h.path.clone(),
            reviewer: args.reviewer.clone(),
            reason: args.reason.clone(),
            date,
            expires: args.expires,
        });
        added += 1;
    }
    b.save(&path)?;
    eprintln!(
        "kartlegg: {added} exception(s) recorded in {}",
        path.display()
    );
    Ok(NOTHING_FOUND)
}

/// `kartlegg baseline update`: drops entries that match nothing in the tracked files.
pub fn baseline_update(args: &BaselineUpdateArgs, det: &Detector) -> Result<u8> {
    let repo = Repo::open(args.repo.as_deref().unwrap_or(Path::new(".")))?;
    let path = baseline_path(&repo, args.baseline.as_deref());
    let mut b = Baseline::load(&path)?;
    let key = b.key();
    let opts = options(Confidence::Low, false);
    let blobs = Blobs::new(&opts, det, &key)?;
    let ignore = crate::gate::load_ignore(&repo.root, &[])?;
    let outcome = Gate {
        repo: &repo,
        blobs: &blobs,
        policy: Policy {
            fail_on: Confidence::Low,
            fail_on_synthetic: true,
        },
        baseline: Some(&b),
        ignore: &ignore,
        max_file_size: None,
        today: today(),
    }
    .run(&Source::Tracked(args.rev.clone()))?;
    let before = b.entries.len();
    b.entries.retain(|e| !outcome.stale.contains(e));
    b.save(&path)?;
    eprintln!(
        "kartlegg: {} stale entr(y/ies) removed from {}",
        before - b.entries.len(),
        path.display()
    );
    Ok(NOTHING_FOUND)
}

/// `kartlegg install-hook`: a plain `pre-commit` hook. `KARTLEGG` in the environment picks
/// the binary (default: `kartlegg` on PATH).
pub fn install_hook(args: &InstallHookArgs) -> Result<u8> {
    let repo = Repo::open(args.repo.as_deref().unwrap_or(Path::new(".")))?;
    let hook = repo.git_path("hooks/pre-commit")?;
    if hook.exists() && !args.force {
        bail!("{} exists; use --force to replace it", hook.display());
    }
    if let Some(dir) = hook.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let script = "#!/bin/sh\n\
        # Installed by `kartlegg install-hook`: stops commits that add personal numbers.\n\
        # Skip once with `git commit --no-verify`; record reviewed exceptions with\n\
        # `kartlegg baseline add --staged --reviewer NAME --reason WHY`.\n\
        exec \"${KARTLEGG:-kartlegg}\" scan --staged\n";
    std::fs::write(&hook, script).with_context(|| format!("cannot write {}", hook.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))?;
    }
    eprintln!("kartlegg: installed {}", hook.display());
    Ok(NOTHING_FOUND)
}
