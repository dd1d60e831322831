//! Measures the CI gate on generated code: a repository of Kotlin, Java, TypeScript and C#
//! test code and JSON and SQL fixtures ([`kartlegg::synth::code`]), scanned with
//! `kartlegg scan --tracked --format sarif` and the default policy. Prints the share of
//! valid, non-synthetic identity numbers that fail (per context: key word, key word inside
//! an identifier, bare literal) and every failure that is not on one.
//!
//! ```text
//! cargo build && cargo run --example gatecorpus -- [--kartlegg target/debug/kartlegg] [--files 120] [--per-file 20] [--seed 1] [--keep DIR] [-- SCAN-OPTIONS]
//! ```

#![allow(clippy::print_stdout)] // a measurement prints its figures

use std::path::Path;
use std::process::Command;

use kartlegg::synth::code::{binary_noise, corpus, Score};

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=M", "-c", "user.email=m@example.invalid"])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .expect("git")
        .success();
    assert!(ok, "git {args:?}");
}

fn main() {
    let mut bin = String::from("target/debug/kartlegg");
    let (mut files, mut per_file, mut seed) = (120, 20, 1);
    let mut extra = Vec::new();
    let mut keep = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--" {
            extra.extend(args.by_ref());
            break;
        }
        let v = args.next().expect("a value");
        match a.as_str() {
            "--kartlegg" => bin = v,
            "--files" => files = v.parse().expect("a number"),
            "--per-file" => per_file = v.parse().expect("a number"),
            "--seed" => seed = v.parse().expect("a number"),
            "--keep" => keep = Some(std::path::PathBuf::from(v)),
            _ => panic!("unknown option {a}"),
        }
    }
    let bin = std::fs::canonicalize(&bin).expect("the kartlegg binary");
    let dir = tempfile::tempdir().expect("temp dir");
    let d = match &keep {
        Some(k) => {
            std::fs::create_dir_all(k).unwrap();
            k.as_path()
        }
        None => dir.path(),
    };
    git(d, &["init", "-q"]);
    let made = corpus(seed, files, per_file);
    for f in &made {
        let p = d.join(&f.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, &f.text).unwrap();
    }
    // Binary noise with address-like runs: none of it may fail.
    std::fs::create_dir_all(d.join("assets")).unwrap();
    std::fs::write(d.join("assets/noise.bin"), binary_noise(seed, 64 << 10)).unwrap();
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "corpus"]);
    let out = Command::new(bin)
        .current_dir(d)
        .args(["scan", "--tracked", "--format", "sarif"])
        .args(&extra)
        .output()
        .expect("kartlegg");
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF");
    let failed: Vec<(String, u64)> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["properties"]["verdict"] == "fail")
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                loc["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                loc["region"]["startLine"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let s = Score::new(&made, &failed);
    println!(
        "{files} files, {} real identity numbers: {} fail ({:.1} %)",
        s.real.iter().sum::<usize>(),
        s.real_failed.iter().sum::<usize>(),
        100.0 * s.share()
    );
    for (i, name) in ["key word", "key word in an identifier", "bare literal"]
        .iter()
        .enumerate()
    {
        println!("  {name}: {}/{}", s.real_failed[i], s.real[i]);
    }
    for p in made.iter().flat_map(|f| &f.planted) {
        let hit = failed.iter().any(|(f, l)| *f == p.path && *l == p.line);
        if p.truth == kartlegg::synth::code::Truth::Real && !hit {
            let line = made
                .iter()
                .find(|f| f.path == p.path)
                .unwrap()
                .text
                .lines()
                .nth(p.line as usize - 1)
                .unwrap();
            println!(
                "  missed ({:?}): {}:{}: {}",
                p.context,
                p.path,
                p.line,
                line.replace(&p.value, "<number>")
            );
        }
    }
    let noise = s
        .wrong
        .iter()
        .filter(|(p, _)| p == "assets/noise.bin")
        .count();
    println!(
        "failures not on a real number: {} in the code, {noise} in 64 KiB of binary noise",
        s.wrong.len() - noise
    );
    for (p, l) in s.wrong.iter().filter(|(p, _)| p != "assets/noise.bin") {
        println!("  {p}:{l}");
    }
}
