//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::detect::Confidence;

#[derive(Debug, Parser)]
#[command(
    name = "kartlegg",
    version,
    about = "Finds Norwegian personal data in files and writes a masked inventory."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories, or what a git change adds (--staged, --diff, --history,
    /// --tracked); exit 0 if nothing was found (git modes: nothing fails the policy), 1 if
    /// personal data was found (git modes: findings fail the policy), 2 if the scan itself
    /// failed.
    Scan(Box<ScanArgs>),
    /// List the rules in use and prove their examples.
    Rules(RulesArgs),
    /// Record reviewed exceptions in the baseline file, or drop the stale ones.
    Baseline(BaselineArgs),
    /// Install a git pre-commit hook that runs `kartlegg scan --staged`.
    InstallHook(InstallHookArgs),
    /// Make a report for reviewers from an inventory: one HTML page, CSV or an Excel workbook.
    Report(ReportArgs),
    /// Compare two inventories of the same roots; exit 1 when new personal data appeared.
    Diff(DiffArgs),
    /// List every file and location that holds given values (a data-subject request), by
    /// fingerprint, in an inventory made with a kept key; exit 1 when something was found.
    Locate(LocateArgs),
    /// Print a completion script for a shell.
    Completions(CompletionsArgs),
    /// Print the manual page (or write one page per subcommand with -o DIR).
    Man(ManArgs),
    /// Merge the JSON inventories of the shards of one scan (`--shard I/N`) into the
    /// inventory one machine would have written; exit 0 when merged, 2 when refused.
    Merge(MergeArgs),
    /// A worker process of a scan (started by `kartlegg scan` itself; not for use by hand).
    #[command(name = "__worker", hide = true)]
    Worker,
}

/// Where files are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IsolationArg {
    /// In worker processes: a parser that crashes, exhausts the memory budget or hangs costs
    /// its file (recorded with the reason), never the scan.
    Processes,
    /// In threads of one process, without that protection (for debugging a reader).
    Threads,
}

/// When images and scanned PDF pages are read with OCR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OcrArg {
    /// When Tesseract is installed; the summary counts what went unread without it.
    Auto,
    /// Always: without Tesseract the scan does not start.
    Always,
    /// Never: images are media, scanned pages stay unread.
    Never,
}

impl From<OcrArg> for crate::extract::ocr::Mode {
    fn from(a: OcrArg) -> Self {
        use crate::extract::ocr::Mode;
        match a {
            OcrArg::Auto => Mode::Auto,
            OcrArg::Always => Mode::Always,
            OcrArg::Never => Mode::Never,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable summary (the default without -o).
    Summary,
    /// One JSON document (the default with -o).
    Json,
    /// JSON Lines: a scan line, one line per file, a summary line.
    Jsonl,
    /// SARIF 2.1.0, for code scanning (git modes).
    Sarif,
    /// GitHub Actions error annotations (git modes; the default under GITHUB_ACTIONS=true).
    Github,
    /// One line per failing finding: `path:line:column: kind (confidence) mask — advice`
    /// (git modes; their default).
    TextLines,
}

/// Where a CI gate's content comes from: a git repository (the path argument, default `.`).
#[derive(Debug, Clone, Default, Args)]
#[group(multiple = false)]
pub struct SourceArgs {
    /// Scan what the index adds to HEAD: the next commit (pre-commit hooks).
    #[arg(long)]
    pub staged: bool,

    /// Scan what a range adds: BASE..HEAD, BASE...HEAD (from the merge base) or BASE (to HEAD).
    #[arg(long, value_name = "RANGE")]
    pub diff: Option<String>,

    /// Scan every commit of a rev-list range (`--history=main..topic`; default HEAD), reporting the commit that
    /// introduced each finding.
    #[arg(long, value_name = "RANGE", num_args = 0..=1, require_equals = true, default_missing_value = "HEAD")]
    pub history: Option<String>,

    /// Scan every file tracked at a revision (`--tracked=v1.0`; default HEAD), whole.
    #[arg(long, value_name = "REV", num_args = 0..=1, require_equals = true, default_missing_value = "HEAD")]
    pub tracked: Option<String>,
}

impl SourceArgs {
    /// The git source asked for, if any.
    pub fn source(&self) -> Option<crate::gate::Source> {
        use crate::gate::Source;
        if self.staged {
            Some(Source::Staged)
        } else if let Some(r) = &self.diff {
            Some(Source::Diff(r.clone()))
        } else if let Some(r) = &self.history {
            Some(Source::History(r.clone()))
        } else {
            self.tracked.as_ref().map(|r| Source::Tracked(r.clone()))
        }
    }
}

/// The CI gate's policy and suppressions.
#[derive(Debug, Clone, Args)]
pub struct GateArgs {
    /// Fail on findings at this confidence and above, whatever their kind (git modes)
    /// [default: `fail_on` in .kartlegg.toml, else medium for identity numbers and high for
    /// other kinds].
    #[arg(long, value_parser = parse_confidence)]
    pub fail_on: Option<Confidence>,

    /// Let synthetic test numbers (month +80 and the like) fail too.
    #[arg(long)]
    pub fail_on_synthetic: bool,

    /// The baseline of reviewed exceptions [default: .kartlegg-baseline.json at the repository
    /// root, if it exists].
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files and directories to scan; with --staged, --diff, --history or --tracked, the
    /// repository (default `.`).
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub source: SourceArgs,

    #[command(flatten)]
    pub gate: GateArgs,

    /// Output format.
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Write the report to FILE (atomically: FILE.partial, renamed when complete).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Report findings at this confidence and above; `low` shows everything considered.
    #[arg(long, default_value = "medium", value_parser = parse_confidence)]
    pub min_confidence: Confidence,

    /// Put raw (normalised) values and their surrounding text into the report.
    #[arg(long)]
    pub reveal: bool,

    /// Key for the fingerprints (HMAC-SHA256), read from FILE; or set KARTLEGG_HASH_KEY.
    /// Without one, a random key is used and fingerprints only correlate within this scan.
    #[arg(long, value_name = "FILE")]
    pub hash_key_file: Option<PathBuf>,

    /// Add the rules in DIR/*.toml to the built-in rules.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,

    /// Settings from FILE (see docs/config.md) [git modes: default .kartlegg.toml at the
    /// repository root, if it exists; an inventory reads one only when given].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Leave out paths matching GLOB (relative path or file name); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Skip files larger than SIZE (such as 500M or 2G); they get status skipped/too_large.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,

    /// Containers nested in containers that are opened (`a.zip!/b.zip!/c.txt` is depth 2).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub max_depth: u32,

    /// Decompressed bytes of all members of one file (archives, attachments), such as 4G.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "4G")]
    pub max_archive_bytes: u64,

    /// Members of one archive (or messages of one mailbox).
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub max_entries: u64,

    /// Seconds one file may take, with everything nested in it; a file that takes longer is
    /// recorded as limit_exceeded/time_limit (or error/timeout if it had to be stopped).
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub max_seconds: u64,

    /// Times a member may expand over its compressed size (members under 1 MiB always may).
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub max_ratio: u64,

    /// Files read at once [default: 1 per core (2 to 32) on local disks; 2 per core (4 to
    /// 32) where a path is on a network share].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Follow symbolic links (loops are detected and reported).
    #[arg(long)]
    pub follow: bool,

    /// Memory (heap) that the processes reading files may use together, such as 256M. A file
    /// that needs more, even when read alone, is recorded as limit_exceeded/memory.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "128M")]
    pub max_memory: u64,

    /// Seconds one open, read or stat of a file may block (a dead network share) before the
    /// file is recorded as error/timeout and the scan goes on.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub read_timeout: u64,

    /// Where files are read.
    #[arg(long, value_enum, default_value = "processes")]
    pub isolation: IsolationArg,

    /// Read text in images (PNG, JPEG, TIFF) and scanned PDF pages with Tesseract OCR.
    #[arg(long, value_enum, default_value = "auto")]
    pub ocr: OcrArg,

    /// Exit 2 when some file's content could not be read completely.
    #[arg(long)]
    pub fail_on_unscanned: bool,

    /// Findings listed per file; counts always include all of them.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_findings_per_file: usize,

    /// No progress line on stderr.
    #[arg(long)]
    pub no_progress: bool,

    /// Review retention against the policies in FILE (TOML; see rules/retention/): each file
    /// a policy applies to, and each file with findings, gets a verdict (overdue, due, keep,
    /// no_policy), and the summary a retention section.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// Put each file's decision from this decisions file into its record, marked stale when
    /// the file changed since; the summary counts decided, undecided and stale files.
    #[arg(long, value_name = "FILE")]
    pub decisions: Option<PathBuf>,

    /// Report only findings of this value (a fødselsnummer, phone, e-mail... in any written
    /// form), at every confidence; repeatable.
    #[arg(long, value_name = "VALUE")]
    pub find: Vec<String>,

    /// The date the inventory describes and retention verdicts are given for (YYYY-MM-DD)
    /// [default: the policy file's as_of, else today, UTC]; give every shard of one scan the
    /// same one. Also KARTLEGG_AS_OF.
    #[arg(long, value_name = "DATE", env = "KARTLEGG_AS_OF")]
    pub as_of: Option<chrono::NaiveDate>,

    /// Scan only shard I of N (0-based) of the files under the roots: a partition by a hash
    /// of each path relative to its root and the root's place among the roots, the same on
    /// every machine given the same roots. Also KARTLEGG_SHARD=I/N.
    #[arg(long, value_name = "I/N", env = "KARTLEGG_SHARD")]
    pub shard: Option<crate::walk::Shard>,

    /// Scan shard I of N, I taken from JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job).
    #[arg(long, value_name = "N")]
    pub shards: Option<u32>,

    /// Keep what each file held in FILE (SQLite), and read only new and changed files when
    /// FILE is given again; a scan killed midway resumes where it stopped. FILE holds raw
    /// paths and, unless a key is given, the fingerprint key: keep it private.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
}

/// The formats of `kartlegg report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One self-contained page.
    Html,
    /// Semicolon-separated, UTF-8 with BOM.
    Csv,
    /// An Excel workbook.
    Xlsx,
}

/// The language of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    /// Norwegian bokmål.
    Nb,
    /// English.
    En,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The inventory (JSON or JSON Lines; `-` for standard input).
    pub inventory: PathBuf,

    /// The report file.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,

    /// The format [default: by the extension of FILE].
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,

    /// The report's language.
    #[arg(long, value_enum, default_value = "nb")]
    pub lang: LangArg,

    /// CSV: one row per finding instead of one per file.
    #[arg(long)]
    pub findings: bool,

    /// HTML: start from this decisions file (decisions on files the inventory lacks are kept
    /// in the page's download).
    #[arg(long, value_name = "FILE")]
    pub decisions: Option<PathBuf>,
}

/// Output of `diff` and `locate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReviewFormat {
    /// Readable lines.
    Text,
    /// One JSON document.
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier inventory.
    pub old: PathBuf,
    /// The later inventory.
    pub new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReviewFormat,
}

#[derive(Debug, Args)]
pub struct LocateArgs {
    /// The inventory (JSON or JSON Lines).
    pub inventory: PathBuf,

    /// The fingerprint key the inventory was made with (or set KARTLEGG_HASH_KEY).
    #[arg(long, value_name = "FILE")]
    pub hash_key_file: Option<PathBuf>,

    /// A fødselsnummer, D-, H- or FH-number, in any written form; repeatable.
    #[arg(long, value_name = "VALUE")]
    pub fnr: Vec<String>,

    /// An e-mail address; repeatable.
    #[arg(long, value_name = "VALUE")]
    pub email: Vec<String>,

    /// A phone number, in any written form; repeatable.
    #[arg(long, value_name = "VALUE")]
    pub phone: Vec<String>,

    /// Any other value the rules detect (an account number, a user rule's value); repeatable.
    #[arg(long, value_name = "VALUE")]
    pub value: Vec<String>,

    /// Add the rules in DIR/*.toml, as in `scan`.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReviewFormat,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write kartlegg.1 and one page per subcommand (kartlegg-scan.1, ...) into DIR.
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// Print this subcommand's page instead of the main page.
    pub subcommand: Option<String>,
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    #[command(subcommand)]
    pub action: BaselineAction,
}

#[derive(Debug, Subcommand)]
pub enum BaselineAction {
    /// Record every finding that now fails as a reviewed exception.
    Add(BaselineAddArgs),
    /// Drop entries that match nothing in the tracked files any more.
    Update(BaselineUpdateArgs),
}

#[derive(Debug, Args)]
pub struct BaselineAddArgs {
    /// What to record: `PATH:LINE` (the failing findings on that line of the file), `PATH`
    /// (every failing finding in a file, an archive's members or a directory), as the gate
    /// prints them (relative to the repository root); none: everything that fails. A
    /// directory that is the top of a work tree names the repository (default: the one
    /// containing the current directory).
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    /// What to look at (default: --tracked HEAD).
    #[command(flatten)]
    pub source: SourceArgs,

    #[command(flatten)]
    pub gate: GateArgs,

    /// Who reviewed the exceptions [default: `git config user.email`].
    #[arg(long)]
    pub reviewer: Option<String>,

    /// Why they are acceptable.
    #[arg(long)]
    pub reason: String,

    /// Stop suppressing from this day on (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub expires: Option<chrono::NaiveDate>,

    /// Add rules from DIR/*.toml, as in `scan`.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,

    /// Settings from FILE [default: .kartlegg.toml at the repository root, if it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BaselineUpdateArgs {
    /// The repository (default `.`).
    pub repo: Option<PathBuf>,

    /// The tracked files at this revision decide what is stale.
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    pub rev: String,

    /// The baseline [default: .kartlegg-baseline.json at the repository root].
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Add rules from DIR/*.toml, as in `scan`.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,

    /// Settings from FILE [default: .kartlegg.toml at the repository root, if it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InstallHookArgs {
    /// The repository (default `.`).
    pub repo: Option<PathBuf>,

    /// Replace an existing pre-commit hook.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The inventories (JSON or JSON Lines), one per shard.
    #[arg(required = true, value_name = "INVENTORY")]
    pub inputs: Vec<PathBuf>,

    /// Write the merged inventory to FILE (atomically: FILE.partial, renamed when complete);
    /// standard output by default.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Add the rules in DIR/*.toml to the built-in rules.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

fn parse_confidence(s: &str) -> Result<Confidence, String> {
    s.parse()
}

/// `1234`, `10K`, `500M`, `2G`, `1T` (powers of 1024; a trailing `B`/`iB` is allowed).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m = match c.to_ascii_uppercase() {
                'K' => 1u64 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => return Err(format!("unknown size unit in {s:?} (use K, M, G or T)")),
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    let n: u64 = num
        .trim()
        .parse()
        .map_err(|_| format!("not a size: {s:?}"))?;
    n.checked_mul(mult)
        .ok_or_else(|| format!("size too large: {s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1234"), Ok(1234));
        assert_eq!(parse_size("10K"), Ok(10 * 1024));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("5MiB"), Ok(5 << 20));
        assert!(parse_size("5X").is_err());
        assert!(parse_size("lots").is_err());
    }
}
