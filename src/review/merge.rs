//! `kartlegg merge`: the inventories of the shards of one scan become the inventory one
//! machine would have written — files sorted by path ([`crate::report::order`]), summary recomputed.
//!
//! Inputs are checked before their files are read: they must come from the same kartlegg
//! version (this one's), of the same roots, with the same options (but `threads`), rules, fingerprint
//! key (`key_id`) and as-of date; their shards must be of one count, none twice and none
//! missing (or, without shards, a single inventory). While the files stream through a bounded
//! sort, each input's count is checked against its own summary, and a record found in two
//! inputs is refused as an overlap; on any refusal no output is left behind.
//!
//! The summary: counts by status, reason and kind come from folding the records
//! ([`crate::report::Totals`]); what records do not carry — bytes read, findings by confidence (also
//! those beyond a file's `--max-findings-per-file`), synthetic findings, files opened with or
//! without `O_NOATIME`, excluded paths, incremental counts — is summed over the inputs; every
//! shard lists every directory, so directory counts are the largest input's. Distinct values
//! per kind are counted from the fingerprints of the listed findings: exact unless a record's
//! findings were truncated, where the count is at least each input's own (a lower bound).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::inventory::{self, Visitor};
use crate::report::mask;
use crate::report::sort::Entry;
use crate::report::writer::{JsonReport, Output};
use crate::report::{FileRecord, Incremental, Summary, Tally, Totals};

/// An inventory's header: every top-level field but `files` and `summary`.
type Header = serde_json::Map<String, Value>;

/// The end of an input: its summary, when it finished, and how many files it listed.
struct Tail {
    summary: Summary,
    finished: String,
    files: u64,
}

/// Reads the header of the inventory at `path`.
fn header(path: &Path) -> Result<Header, MergeError> {
    Ok(inventory::header(path).map_err(MergeError::Read)?.raw)
}

/// Reads the inventory at `path` (JSON or JSON Lines, streamed), giving each file record to
/// `on_file` in the order listed.
fn records(
    path: &Path,
    on_file: &mut dyn FnMut(FileRecord) -> anyhow::Result<()>,
) -> Result<Tail, MergeError> {
    struct Records<'f> {
        on_file: &'f mut dyn FnMut(FileRecord) -> anyhow::Result<()>,
        files: u64,
        end: Option<(Summary, Option<String>)>,
    }
    impl Visitor for Records<'_> {
        fn header(&mut self, _: &inventory::Header) -> anyhow::Result<()> {
            Ok(())
        }
        fn file(&mut self, rec: FileRecord) -> anyhow::Result<()> {
            self.files += 1;
            (self.on_file)(rec)
        }
        fn summary(&mut self, s: Summary, finished: Option<String>) -> anyhow::Result<()> {
            self.end = Some((s, finished));
            Ok(())
        }
    }
    let mut r = Records {
        on_file,
        files: 0,
        end: None,
    };
    inventory::read(path, &mut r).map_err(MergeError::Read)?;
    let unfinished = || {
        MergeError::Read(anyhow::anyhow!(
            "{}: no summary with a finished time (an unfinished inventory?)",
            path.display()
        ))
    };
    let (summary, finished) = r.end.ok_or_else(unfinished)?;
    Ok(Tail {
        summary,
        finished: finished.ok_or_else(unfinished)?,
        files: r.files,
    })
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum MergeError {
    #[error("{0:#}")]
    Read(anyhow::Error),
    #[error("cannot merge {a} and {b}: {what}")]
    Mismatch { a: String, b: String, what: String },
    #[error("cannot merge: {0}")]
    Shards(String),
    #[error("{path}: its summary counts {summary} files but it lists {listed} (an unfinished or edited inventory)")]
    Count {
        path: String,
        summary: u64,
        listed: u64,
    },
    #[error("cannot merge: {a} and {b} both hold {path} (overlapping shards)")]
    Overlap { a: String, b: String, path: String },
    #[error("cannot write the merged inventory: {0}")]
    Write(io::Error),
}

/// An input, after its header was read.
struct Input {
    path: PathBuf,
    name: String,
    header: Header,
    shard: Option<(u64, u64)>,
}

fn at<'v>(h: &'v Header, path: &[&str]) -> &'v Value {
    let mut v = h.get(path[0]).unwrap_or(&Value::Null);
    for p in &path[1..] {
        v = v.get(*p).unwrap_or(&Value::Null);
    }
    v
}

fn words(v: &Value) -> String {
    match v {
        Value::Null => "none".into(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

impl Input {
    fn read(path: &Path) -> Result<Input, MergeError> {
        let header = header(path)?;
        let shard = at(&header, &["scan", "shard"]);
        let shard = shard["index"].as_u64().zip(shard["count"].as_u64());
        Ok(Input {
            path: path.to_path_buf(),
            name: path.display().to_string(),
            header,
            shard,
        })
    }

    fn shard_words(&self) -> String {
        match self.shard {
            Some((i, n)) => format!("shard {i}/{n}"),
            None => "all files (no shard)".into(),
        }
    }
}

/// Refuses inputs that are not shards of one scan (see the module documentation).
fn check_alike(a: &Input, b: &Input) -> Result<(), MergeError> {
    let mismatch = |what: String| MergeError::Mismatch {
        a: a.name.clone(),
        b: b.name.clone(),
        what,
    };
    let same = |path: &[&str], what: &str, hint: &str| {
        let (x, y) = (at(&a.header, path), at(&b.header, path));
        if x == y {
            Ok(())
        } else {
            Err(mismatch(format!(
                "{what}: {} vs {}{hint}",
                words(x),
                words(y)
            )))
        }
    };
    same(&["schema_version"], "different inventory versions", "")?;
    same(&["tool", "name"], "not both kartlegg inventories", "")?;
    same(
        &["tool", "version"],
        "made by different kartlegg versions",
        "",
    )?;
    same(&["scan", "roots"], "of different roots", "")?;
    same(&["tool", "rules_hash"], "scanned with different rules", "")?;
    same(
        &["scan", "fingerprints", "key_id"],
        "fingerprinted with different keys",
        " (give every shard the same --hash-key-file or KARTLEGG_HASH_KEY)",
    )?;
    same(
        &["scan", "as_of"],
        "of different as-of dates",
        " (give every shard the same --as-of)",
    )?;
    same(
        &["scan", "retention", "sha256"],
        "reviewed with different retention policies",
        " (give every shard the same --policy file, or none)",
    )?;
    // Threads change how fast, not what.
    let options = |h: &Header| {
        let mut o = at(h, &["scan", "options"])
            .as_object()
            .cloned()
            .unwrap_or_default();
        o.remove("threads");
        o
    };
    let (x, y) = (options(&a.header), options(&b.header));
    let differ: Vec<String> = x
        .keys()
        .chain(y.keys())
        .filter(|k| x.get(*k) != y.get(*k))
        .map(|k| {
            let v = |o: &serde_json::Map<String, Value>| words(o.get(k).unwrap_or(&Value::Null));
            format!("{k} {} vs {}", v(&x), v(&y))
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !differ.is_empty() {
        return Err(mismatch(format!(
            "scanned with different options: {}",
            differ.join(", ")
        )));
    }
    Ok(())
}

/// Refuses overlapping and missing shards; orders the inputs by shard.
fn check_shards(inputs: &mut [Input]) -> Result<(), MergeError> {
    inputs.sort_by_key(|i| i.shard);
    let overlap = |a: &Input, b: &Input| MergeError::Mismatch {
        a: a.name.clone(),
        b: b.name.clone(),
        what: format!("{} and {} overlap", a.shard_words(), b.shard_words()),
    };
    for w in inputs.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        match (a.shard, b.shard) {
            (Some((_, n)), Some((_, m))) if n != m => {
                return Err(MergeError::Mismatch {
                    a: a.name.clone(),
                    b: b.name.clone(),
                    what: format!("shards of {n} and of {m}"),
                })
            }
            (Some((i, _)), Some((j, _))) if i != j => {}
            _ => return Err(overlap(a, b)),
        }
    }
    if let Some((_, n)) = inputs[0].shard {
        let have: Vec<u64> = inputs.iter().filter_map(|i| i.shard.map(|s| s.0)).collect();
        let missing: Vec<String> = (0..n)
            .filter(|i| !have.contains(i))
            .map(|i| format!("{i}/{n}"))
            .collect();
        if !missing.is_empty() {
            let (what, are) = if missing.len() == 1 {
                ("shard", "is")
            } else {
                ("shards", "are")
            };
            return Err(MergeError::Shards(format!(
                "{what} {} {are} missing",
                missing.join(", ")
            )));
        }
    }
    Ok(())
}

/// A record's totals, as the scan kept them, from its listed findings.
fn tally(rec: &FileRecord) -> Tally {
    let mut t = Tally::default();
    for f in &rec.findings {
        t.add(
            f.kind,
            f.confidence,
            f.synthetic,
            mask::short(&f.fingerprint),
        );
    }
    t
}

/// Folds the inputs' summaries into the merged one (see the module documentation).
fn summary(mut totals: Totals, tails: &[Tail], truncated: bool) -> Summary {
    let mut s = totals.finish().clone();
    let sum = |f: &dyn Fn(&Summary) -> u64| tails.iter().map(|t| f(&t.summary)).sum::<u64>();
    let max = |f: &dyn Fn(&Summary) -> u64| tails.iter().map(|t| f(&t.summary)).max().unwrap_or(0);
    s.bytes_read = sum(&|s| s.bytes_read);
    s.synthetic = sum(&|s| s.synthetic);
    s.files_excluded = sum(&|s| s.files_excluded);
    s.atime.noatime_opens = sum(&|s| s.atime.noatime_opens);
    s.atime.plain_opens = sum(&|s| s.atime.plain_opens);
    s.atime.dirs_noatime = max(&|s| s.atime.dirs_noatime);
    s.atime.dirs_plain = max(&|s| s.atime.dirs_plain);
    s.atime.preserved = s.atime.plain_opens == 0 && s.atime.dirs_plain == 0;
    let mut by_confidence = BTreeMap::new();
    for t in tails {
        for (c, n) in &t.summary.findings_by_confidence {
            *by_confidence.entry(c.clone()).or_default() += n;
        }
    }
    s.findings_by_confidence = by_confidence;
    // Every input was reviewed with the same policy file (checked): the totals add up.
    s.retention = tails
        .iter()
        .filter_map(|t| t.summary.retention.clone())
        .reduce(|mut a, b| {
            a.absorb(&b);
            a
        });
    if truncated {
        for t in tails {
            for (k, n) in &t.summary.distinct_by_kind {
                let d = s.distinct_by_kind.entry(k.clone()).or_default();
                *d = (*d).max(*n);
            }
        }
    }
    s.incremental = tails
        .iter()
        .map(|t| t.summary.incremental)
        .collect::<Option<Vec<Incremental>>>()
        .map(|all| {
            all.iter().fold(Incremental::default(), |a, i| Incremental {
                reused: a.reused + i.reused,
                read: a.read + i.read,
                removed: a.removed + i.removed,
            })
        });
    s
}

/// Merges the inventories at `paths` into one, written to `out`. Returns its summary.
pub(crate) fn merge(paths: &[PathBuf], out: Output) -> Result<Summary, MergeError> {
    let inputs = match checked(paths) {
        Ok(i) => i,
        Err(e) => {
            let _ = out.discard();
            return Err(e);
        }
    };
    let mut report = JsonReport::new(out, &Value::Object(inputs[0].header.clone()))
        .map_err(MergeError::Write)?;
    match fill(&inputs, &mut report) {
        Ok(summary) => Ok(summary),
        Err(e) => {
            let _ = report.discard();
            Err(e)
        }
    }
}

/// The inputs' headers, checked to be the shards of one scan, in shard order.
fn checked(paths: &[PathBuf]) -> Result<Vec<Input>, MergeError> {
    let mut inputs = paths
        .iter()
        .map(|p| Input::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    if inputs.is_empty() {
        return Err(MergeError::Shards("no inventories given".into()));
    }
    // Records are read into this version's types: another version's could lose fields.
    let version = at(&inputs[0].header, &["tool", "version"]);
    if version != env!("CARGO_PKG_VERSION") {
        return Err(MergeError::Shards(format!(
            "{} was made by kartlegg {}; merge with that version (this is {})",
            inputs[0].name,
            words(version),
            env!("CARGO_PKG_VERSION")
        )));
    }
    for i in &inputs[1..] {
        check_alike(&inputs[0], i)?;
    }
    check_shards(&mut inputs)?;
    Ok(inputs)
}

/// Streams every input's files into the report and finishes it.
fn fill(inputs: &[Input], report: &mut JsonReport) -> Result<Summary, MergeError> {
    let mut totals = Totals::default();
    let mut tails = Vec::with_capacity(inputs.len());
    let mut truncated = false;
    let mut json = Vec::new();
    for (tag, input) in inputs.iter().enumerate() {
        let tail = records(&input.path, &mut |mut rec| {
            rec.tally = tally(&rec);
            truncated |= rec.findings_truncated;
            totals.add(&rec, 0, None);
            json.clear();
            serde_json::to_writer(&mut json, &rec)?;
            Ok(report.json(&rec.path, &json, tag as u32)?)
        })?;
        if tail.summary.files_seen != tail.files {
            return Err(MergeError::Count {
                path: input.name.clone(),
                summary: tail.summary.files_seen,
                listed: tail.files,
            });
        }
        tails.push(tail);
    }
    let started = tails_started(inputs);
    let finished = tails
        .iter()
        .map(|t| t.finished.clone())
        .max()
        .unwrap_or_default();
    let header = report.header_mut();
    if let Some(scan) = header.get_mut("scan").and_then(Value::as_object_mut) {
        scan.remove("shard");
        if let Some(s) = started {
            scan.insert("started".into(), Value::String(s));
        }
    }
    let summary = summary(totals, &tails, truncated);
    let mut overlap = None;
    let written = report.finish_checked(&summary, &finished, &mut |e: Entry<'_>, prev| {
        if let Some(p) = prev {
            if p.key == e.key && p.data == e.data && p.tag != e.tag {
                let path = serde_json::from_slice::<Value>(e.data)
                    .ok()
                    .and_then(|v| v["path"].as_str().map(str::to_string))
                    .unwrap_or_default();
                overlap = Some(MergeError::Overlap {
                    a: inputs[p.tag as usize].name.clone(),
                    b: inputs[e.tag as usize].name.clone(),
                    path,
                });
                return Err(io::Error::other("overlap"));
            }
        }
        Ok(())
    });
    match (written, overlap) {
        (_, Some(e)) => Err(e),
        (Err(e), None) => Err(MergeError::Write(e)),
        (Ok(()), None) => Ok(summary),
    }
}

/// The earliest start of the inputs.
fn tails_started(inputs: &[Input]) -> Option<String> {
    inputs
        .iter()
        .filter_map(|i| at(&i.header, &["scan", "started"]).as_str())
        .min()
        .map(str::to_string)
}
