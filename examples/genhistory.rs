//! Writes a git repository with a long history of generated code, for measuring
//! `kartlegg scan --history` (BENCHMARKS.md):
//!
//! ```text
//! cargo run --release --example genhistory -- DIR [--commits 3000] [--files 600] [--seed 1]
//! ```
//!
//! The files are [`kartlegg::synth::code`]'s test code and fixtures (Kotlin, Java,
//! TypeScript, C#, JSON, SQL) with planted identity numbers. They grow the way code does:
//! each commit reveals the next lines of three files (a new file appears when its first
//! lines do), so the history holds every version in between. Written with `git
//! fast-import`: seconds for thousands of commits. Deterministic for a seed.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use kartlegg::synth::code::corpus;
use kartlegg::synth::Rng;

/// Lines each touched file gains per commit.
const STEP: usize = 8;
/// Files touched per commit.
const TOUCHED: usize = 3;

fn main() {
    let mut dir = None;
    let (mut commits, mut files, mut seed) = (3000usize, 600usize, 1u64);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = || -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{a} needs a number"))
        };
        match a.as_str() {
            "--commits" => commits = num() as usize,
            "--files" => files = num() as usize,
            "--seed" => seed = num(),
            _ => dir = Some(PathBuf::from(&a)),
        }
    }
    let dir = dir.expect("give the directory to write the repository in");
    std::fs::create_dir_all(&dir).unwrap();
    let git = |args: &[&str]| {
        Command::new("git")
            .current_dir(&dir)
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stdin(Stdio::piped())
            .spawn()
            .expect("git")
    };
    assert!(git(&["init", "-q", "-b", "main"]).wait().unwrap().success());
    let made = corpus(seed, files, 40);
    let lines: Vec<Vec<&str>> = made.iter().map(|f| f.text.lines().collect()).collect();
    let mut shown = vec![0usize; made.len()];
    let mut rng = Rng::new(seed ^ 0x9e37);
    let mut fi = git(&["fast-import", "--quiet"]);
    let mut w = std::io::BufWriter::new(fi.stdin.take().unwrap());
    for c in 1..=commits {
        let msg = format!("change {c}");
        writeln!(w, "commit refs/heads/main").unwrap();
        writeln!(w, "mark :{c}").unwrap();
        writeln!(
            w,
            "committer Gen <gen@example.invalid> {} +0000",
            1_700_000_000 + c * 600
        )
        .unwrap();
        writeln!(w, "data {}\n{msg}", msg.len()).unwrap();
        if c > 1 {
            writeln!(w, "from :{}", c - 1).unwrap();
        }
        for _ in 0..TOUCHED {
            let i = rng.below(made.len() as u64) as usize;
            // A file fully shown gets a comment line instead: it changes, its values do not.
            let mut text = lines[i][..(shown[i] + STEP).min(lines[i].len())].join("\n");
            text.push('\n');
            if shown[i] >= lines[i].len() {
                text.push_str(&format!("// revidert i endring {c}\n"));
            }
            shown[i] = (shown[i] + STEP).min(lines[i].len());
            writeln!(w, "M 100644 inline {}", made[i].path).unwrap();
            writeln!(w, "data {}\n{text}", text.len()).unwrap();
        }
    }
    drop(w);
    assert!(fi.wait().unwrap().success(), "git fast-import");
    assert!(git(&["checkout", "-q", "main"]).wait().unwrap().success());
}
