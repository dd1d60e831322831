//! `kartlegg scan --staged` on a typical commit: ten changed files, about 200 KB, in a
//! temporary repository. Measures what a pre-commit hook costs: the whole process, wall time,
//! including starting it and the git commands it runs. Goal: under 100 ms.

use std::path::Path;
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion};

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Bench",
            "-c",
            "user.email=bench@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git")
        .status
        .success();
    assert!(ok, "git {args:?}");
}

/// Source-like text, with a synthetic test number now and then: a clean commit, exit 0.
fn text_file(seed: usize, lines: usize) -> String {
    let mut s = String::new();
    for i in 0..lines {
        match (i + seed) % 50 {
            0 => s.push_str(&format!(
                "    let fnr = \"03851598730\"; // synthetic test number {i}\n"
            )),
            _ => s.push_str(&format!(
                "    let value_{i} = compute(input_{seed}, {i}) + offset * {};\n",
                i * 7
            )),
        }
    }
    s
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    for f in 0..10 {
        std::fs::write(d.join(format!("src{f}.rs")), text_file(f, 150)).unwrap();
    }
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "base"]);
    // The commit under test: each file grows by about 20 KB of new lines.
    let mut total = 0;
    for f in 0..10 {
        let content = text_file(f, 150) + &text_file(f + 100, 250);
        total += content.len();
        std::fs::write(d.join(format!("src{f}.rs")), content).unwrap();
    }
    git(d, &["add", "-A"]);
    eprintln!("staged: 10 files, {} KB", total / 1024);
    dir
}

fn staged(c: &mut Criterion) {
    let dir = setup();
    let bin = env!("CARGO_BIN_EXE_kartlegg");
    let run = || {
        let out = Command::new(bin)
            .current_dir(dir.path())
            .args(["scan", "--staged"])
            .output()
            .expect("kartlegg");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run();
    let mut g = c.benchmark_group("gate");
    g.sample_size(30);
    g.bench_function("scan --staged, 10 files ~200 KB", |b| b.iter(run));
    g.finish();
}

criterion_group!(benches, staged);
criterion_main!(benches);
