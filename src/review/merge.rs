//! `kartlegg merge`: the inventories of the shards of one scan become the inventory one
//! machine would have written — files sorted by path ([`crate::report::order`]), summary recomputed.
//!
//! Inputs are checked before their files are read: they must come from the same kartlegg
//! version (this one's), of the same roots, with the same options (but `threads`), rules, fingerprint
//! key (`key_id`) and as-of date; their shards must be of one count, none twice and none
//! missing (or, without shards, a single inventory). While the files stream through, each
//! input's count is checked against its own summary; on any refusal no output is left at
//! `-o` (what went to standard output stays: the exit status tells). Each input is read twice,
//! its header and then its records, so standard input (`-`, one input at most) is first copied
//! to an unnamed temporary file.
//!
//! Two shards may list equal records, and that is no overlap: one scan lists them too (a file
//! under two roots that nest, two files whose masked names and records agree). The shards'
//! numbers are what says they are disjoint.
//!
//! Two ways through, one result. JSON documents as the JSON writer lays them out (one record
//! per line, already in inventory order) take the fast way ([`lines`]): their lines are merged
//! k ways and copied unchanged, never parsed; a document whose lines are out of order was
//! edited, and is refused. Anything else (JSON Lines, a document laid out otherwise) is read
//! record by record into a bounded external sort, as a scan's records are.
//!
//! The summary ([`summary`]) is the same either way, and needs no record but for one count:
//! shards are disjoint, so every count that is a sum over files (files by status, by reason,
//! with findings; findings, by kind and by confidence; synthetic findings; bytes read; files
//! opened with or without `O_NOATIME`; OCR pages; decisions; retention totals; `incremental`)
//! and excluded paths are sums of the inputs' summaries, each of which is checked against the
//! files it lists: their number (`files_seen`), and the sum of their texts' hashes
//! (`files_digest`, hashed as they are copied or as they are written again), which a record
//! edited in place changes. Every shard lists every directory, so directory counts
//! are the largest input's. Distinct values per kind are not additive: each summary keeps
//! the set of fingerprints it counted, or its sketch (`distinct_sketch`), checked against its
//! own counts, and the merged count is that of their union — the one a single scan makes,
//! however many findings its records list.

mod lines;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Seek};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::inventory::{self, field as at, Visitor};
use crate::report::distinct::Distinct;
use crate::report::writer::{self, Document, JsonReport, Output};
use crate::report::{
    AtimeSummary, DecisionCounts, FileRecord, Incremental, OcrSummary, Report, Summary,
};

/// An inventory's header: every top-level field but `files` and `summary`.
type Header = serde_json::Map<String, Value>;

/// The end of an input: its summary, when it finished, how many files it listed, and the sum
/// of their [`writer::record_hash`]es.
struct Tail {
    summary: Summary,
    finished: String,
    files: u64,
    digest: u64,
}

/// Reads `input` (JSON or JSON Lines, streamed), giving each file record to `on_file` in the
/// order listed.
fn records(
    input: &Input,
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
    inventory::read_named(input.file()?, &input.path, &mut r).map_err(MergeError::Read)?;
    let (summary, finished) = r.end.ok_or_else(|| unfinished(&input.path))?;
    Ok(Tail {
        summary,
        finished: finished.ok_or_else(|| unfinished(&input.path))?,
        files: r.files,
        digest: 0,
    })
}

fn unfinished(path: &Path) -> MergeError {
    MergeError::Read(anyhow::anyhow!(
        "{}: no summary with a finished time (an unfinished inventory?)",
        path.display()
    ))
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
    #[error("{path}: its summary counts {summary} distinct {kind} values but keeps {kept} (an edited inventory, or one of an earlier build without `distinct_sketch`: scan again)")]
    Sketch {
        path: String,
        kind: String,
        summary: u64,
        kept: u64,
    },
    #[error("{0}: its records are not those its summary was made with (its `files_digest` differs: an edited inventory)")]
    Digest(String),
    #[error("{0}: its summary has no `files_digest` (an edited inventory, or one of an earlier build: scan again)")]
    NoDigest(String),
    #[error("{path}: its files are not in inventory order at line {line} (an edited inventory)")]
    Order { path: String, line: usize },
    #[error("cannot write the merged inventory: {0}")]
    Write(io::Error),
}

/// An input, after its header was read.
struct Input {
    path: PathBuf,
    name: String,
    /// Standard input (`-`) or a pipe, copied once to an unnamed temporary file (removed when
    /// closed): an input is read twice, its header and then its records.
    spool: Option<File>,
    header: Header,
    shard: Option<(u64, u64)>,
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
        let mut input = Input {
            path: path.to_path_buf(),
            name: path.display().to_string(),
            spool: None,
            header: Header::new(),
            shard: None,
        };
        // Standard input, a pipe (`<(...)`) or a device can be read once only.
        let once = path == Path::new("-")
            || std::fs::metadata(path).is_ok_and(|m| {
                let t = m.file_type();
                t.is_fifo() || t.is_char_device() || t.is_socket()
            });
        if once {
            let spooled = tempfile::tempfile().and_then(|mut f| {
                if path == Path::new("-") {
                    io::copy(&mut io::stdin().lock(), &mut f)?;
                } else {
                    io::copy(&mut File::open(path)?, &mut f)?;
                }
                Ok(f)
            });
            input.spool = Some(spooled.map_err(|e| {
                let what = if path == Path::new("-") {
                    "standard input".into()
                } else {
                    input.name.clone()
                };
                MergeError::Read(anyhow::anyhow!("cannot keep {what}: {e}"))
            })?);
        }
        input.header = inventory::header(input.file()?, path)
            .map_err(MergeError::Read)?
            .raw;
        let shard = at(&input.header, &["scan", "shard"]);
        input.shard = shard["index"].as_u64().zip(shard["count"].as_u64());
        Ok(input)
    }

    /// The input from its start.
    fn file(&self) -> Result<File, MergeError> {
        let file = match &self.spool {
            Some(f) => f.try_clone().and_then(|mut f| {
                f.rewind()?;
                Ok(f)
            }),
            None => File::open(&self.path),
        };
        file.map_err(|e| MergeError::Read(anyhow::anyhow!("cannot open {}: {e}", self.name)))
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
    same(
        &["tool", "version"],
        "made by different kartlegg versions",
        "",
    )?;
    let roots = |h: &Header| {
        inventory::Header {
            raw: Header::clone(h),
        }
        .compared_roots()
    };
    let other_roots = || {
        let (x, y) = (
            at(&a.header, &["scan", "roots"]),
            at(&b.header, &["scan", "roots"]),
        );
        mismatch(format!("of different roots: {} vs {}", words(x), words(y)))
    };
    if roots(&a.header) != roots(&b.header) {
        return Err(other_roots());
    }
    same(&["tool", "rules_hash"], "scanned with different rules", "")?;
    same(
        &["scan", "fingerprints", "key_id"],
        "fingerprinted with different keys",
        " (give every shard the same --hash-key-file or KARTLEGG_HASH_KEY)",
    )?;
    // Masked names can look alike: under one key, their digest tells them apart.
    if at(&a.header, &["scan", "roots_digest"]) != at(&b.header, &["scan", "roots_digest"]) {
        return Err(other_roots());
    }
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
        // The inputs are sorted and distinct by now: the missing are the gaps between them,
        // named up to a few (N may be in the billions).
        let have = inputs.iter().filter_map(|i| i.shard.map(|s| s.0));
        let count = n - inputs.len() as u64;
        let mut named = Vec::new();
        let mut next = 0;
        for i in have.chain([n]) {
            named.extend(
                (next..i)
                    .take(MISSING_NAMED - named.len())
                    .map(|m| format!("{m}/{n}")),
            );
            next = i + 1;
        }
        if count > 0 {
            let (what, are) = if count == 1 {
                ("shard", "is")
            } else {
                ("shards", "are")
            };
            let more = if count > named.len() as u64 {
                format!(" and {} more", count - named.len() as u64)
            } else {
                String::new()
            };
            return Err(MergeError::Shards(format!(
                "{what} {}{more} {are} missing",
                named.join(", ")
            )));
        }
    }
    Ok(())
}

/// Missing shards named in the error, at most.
const MISSING_NAMED: usize = 10;

/// The merged summary (see the module documentation): the inputs' summaries added up, their
/// distinct values united.
fn summary(tails: &[Tail]) -> Summary {
    let mut s = Summary::default();
    let add = |to: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>| {
        for (k, n) in from {
            *to.entry(k.clone()).or_default() += n;
        }
    };
    for t in tails {
        // Every field by name: a new one does not compile until it is merged deliberately.
        let Summary {
            files_seen,
            files_scanned,
            files_partial,
            files_skipped,
            files_errored,
            files_encrypted,
            files_unsupported,
            files_limit_exceeded,
            files_excluded,
            walks_stopped,
            files_with_findings,
            unscanned_by_reason,
            bytes_read,
            findings,
            findings_by_kind,
            findings_by_confidence,
            distinct_by_kind: _,
            distinct_sketch,
            files_digest: _,
            synthetic,
            atime:
                AtimeSummary {
                    preserved: _,
                    noatime_opens,
                    plain_opens,
                    dirs_noatime,
                    dirs_plain,
                },
            retention,
            decisions,
            incremental: _,
            ocr:
                OcrSummary {
                    pages_read,
                    pages_unread,
                    engine: _,
                },
        } = &t.summary;
        s.files_seen += files_seen;
        s.files_scanned += files_scanned;
        s.files_partial += files_partial;
        s.files_skipped += files_skipped;
        s.files_errored += files_errored;
        s.files_encrypted += files_encrypted;
        s.files_unsupported += files_unsupported;
        s.files_limit_exceeded += files_limit_exceeded;
        s.files_excluded += files_excluded;
        // Every shard walks every directory of the same roots, as with `dirs_*` below.
        s.walks_stopped = s.walks_stopped.max(*walks_stopped);
        s.files_with_findings += files_with_findings;
        add(&mut s.unscanned_by_reason, unscanned_by_reason);
        s.bytes_read += bytes_read;
        s.findings += findings;
        add(&mut s.findings_by_kind, findings_by_kind);
        add(&mut s.findings_by_confidence, findings_by_confidence);
        for (k, d) in distinct_sketch {
            s.distinct_sketch.entry(k.clone()).or_default().merge(d);
        }
        s.synthetic += synthetic;
        s.atime.noatime_opens += noatime_opens;
        s.atime.plain_opens += plain_opens;
        s.atime.dirs_noatime = s.atime.dirs_noatime.max(*dirs_noatime);
        s.atime.dirs_plain = s.atime.dirs_plain.max(*dirs_plain);
        // Every input was reviewed with the same policy file (checked): the totals add up.
        if let Some(r) = retention {
            match &mut s.retention {
                Some(sum) => sum.absorb(r),
                None => s.retention = Some(r.clone()),
            }
        }
        if let Some(d) = decisions {
            let sum = s.decisions.get_or_insert_with(DecisionCounts::default);
            sum.decided += d.decided;
            sum.undecided += d.undecided;
            sum.stale += d.stale;
            sum.keep_expired += d.keep_expired;
            sum.compared_by_size_and_modified += d.compared_by_size_and_modified;
        }
        s.ocr.pages_read += pages_read;
        s.ocr.pages_unread += pages_unread;
    }
    // The records are the inputs' (each checked against its digest in [`finish`]).
    let sum = tails.iter().fold(0u64, |a, t| a.wrapping_add(t.digest));
    s.files_digest = Some(writer::files_digest(sum));
    // Checked alike ([`finish`]): the one engine of the shards whose files asked for one.
    s.ocr.engine = tails.iter().find_map(|t| t.summary.ocr.engine.clone());
    s.atime.preserved = s.atime.plain_opens == 0 && s.atime.dirs_plain == 0;
    s.distinct_by_kind = s
        .distinct_sketch
        .iter()
        .map(|(k, d)| (k.clone(), d.len()))
        .collect();
    // Counts of a state's files: known only when every input kept a state.
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
pub(crate) fn merge(paths: &[PathBuf], mut out: Output) -> Result<Summary, MergeError> {
    let ways = checked(paths).and_then(|inputs| Ok((lines::open(&inputs)?, inputs)));
    let (lines, inputs) = match ways {
        Ok(w) => w,
        Err(e) => {
            let _ = out.discard();
            return Err(e);
        }
    };
    let header = merged_header(&inputs);
    let Some(lines) = lines else {
        return parsed(&inputs, header, out);
    };
    let merged = (|| {
        let mut doc = Document::begin(&mut out, &header).map_err(MergeError::Write)?;
        let tails = lines::merge(&inputs, lines, &mut doc)?;
        let summary = finish(&inputs, &tails)?;
        doc.end(&summary, &finished(&tails))
            .map_err(MergeError::Write)?;
        Ok(summary)
    })();
    if merged.is_err() {
        let _ = out.discard();
    }
    merged
}

/// The merged inventory's header: the first input's, without a shard, started when the
/// earliest input started.
fn merged_header(inputs: &[Input]) -> Value {
    let mut header = Value::Object(inputs[0].header.clone());
    let started = inputs
        .iter()
        .filter_map(|i| at(&i.header, &["scan", "started"]).as_str())
        .min()
        .map(str::to_string);
    if let Some(scan) = header.get_mut("scan").and_then(Value::as_object_mut) {
        scan.remove("shard");
        if let Some(s) = started {
            scan.insert("started".into(), Value::String(s));
        }
    }
    header
}

/// When the last input finished.
fn finished(tails: &[Tail]) -> String {
    tails
        .iter()
        .map(|t| t.finished.clone())
        .max()
        .unwrap_or_default()
}

/// Checks each input's counts of files and of distinct values against its summary; the
/// merged summary.
fn finish(inputs: &[Input], tails: &[Tail]) -> Result<Summary, MergeError> {
    for (input, tail) in inputs.iter().zip(tails) {
        let s = &tail.summary;
        if s.files_seen != tail.files {
            return Err(MergeError::Count {
                path: input.name.clone(),
                summary: s.files_seen,
                listed: tail.files,
            });
        }
        let listed = writer::files_digest(tail.digest);
        match &s.files_digest {
            Some(d) if *d == listed => {}
            Some(_) => return Err(MergeError::Digest(input.name.clone())),
            None => return Err(MergeError::NoDigest(input.name.clone())),
        }
        for kind in s.distinct_by_kind.keys().chain(s.distinct_sketch.keys()) {
            let counted = s.distinct_by_kind.get(kind).copied().unwrap_or(0);
            let kept = s.distinct_sketch.get(kind).map_or(0, Distinct::len);
            if counted != kept {
                return Err(MergeError::Sketch {
                    path: input.name.clone(),
                    kind: kind.clone(),
                    summary: counted,
                    kept,
                });
            }
        }
    }
    // Images read by one engine and not by another (or by none) are not what one machine
    // would have written.
    let engines = inputs
        .iter()
        .zip(tails)
        .filter_map(|(i, t)| Some((i, t.summary.ocr.engine.as_ref()?)));
    let mut first = None;
    for (input, engine) in engines {
        match first {
            None => first = Some((input, engine)),
            Some((a, was)) if was != engine => {
                return Err(MergeError::Mismatch {
                    a: a.name.clone(),
                    b: input.name.clone(),
                    what: format!(
                        "images and scanned pages read by different OCR engines: {was} vs {engine}"
                    ),
                })
            }
            Some(_) => {}
        }
    }
    Ok(summary(tails))
}

/// The inputs' headers, checked to be the shards of one scan, in shard order.
fn checked(paths: &[PathBuf]) -> Result<Vec<Input>, MergeError> {
    if paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(MergeError::Shards(
            "standard input (-) can be only one of the inventories".into(),
        ));
    }
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

/// The parsing way: every input's records through the report's bounded sort.
fn parsed(inputs: &[Input], header: Value, out: Output) -> Result<Summary, MergeError> {
    let mut report = JsonReport::new(out, &header).map_err(MergeError::Write)?;
    match fill(inputs, &mut report) {
        Ok(summary) => Ok(summary),
        Err(e) => {
            let _ = report.discard();
            Err(e)
        }
    }
}

/// Streams every input's files into the report and finishes it.
fn fill(inputs: &[Input], report: &mut JsonReport) -> Result<Summary, MergeError> {
    let mut tails = Vec::with_capacity(inputs.len());
    for input in inputs {
        // A record read back is written as the JSON writer wrote it: its share of the digest
        // is what it was.
        let mut digest = 0u64;
        let mut tail = records(input, &mut |rec| {
            let json = serde_json::to_vec(&rec)?;
            let hash = writer::record_hash(&json);
            digest = digest.wrapping_add(hash);
            Ok(report.json(&rec.path, json, hash)?)
        })?;
        tail.digest = digest;
        tails.push(tail);
    }
    let summary = finish(inputs, &tails)?;
    report
        .finish(&summary, &finished(&tails))
        .map_err(MergeError::Write)?;
    Ok(summary)
}
