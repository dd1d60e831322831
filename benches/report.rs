//! The reviewer's reports at scale: a generated 1,000,000-file JSON Lines inventory (seeded,
//! so every run reads the same bytes) made into HTML, CSV and XLSX by the release binary, with
//! wall time, files per second, output size and peak memory (`/usr/bin/time -v`), and the HTML
//! page's time to interactive in headless Chromium (navigation until the overview is drawn and
//! the page answers, and until the file table's first page is drawn).
//!
//! `cargo bench --bench report` (FILES=200000 for a smaller run). Goals (issue 12): at least
//! 200,000 files/s, interactive in under 3 s.

// A benchmark reports on standard output.
#![allow(clippy::print_stdout)]

#[path = "../tests/it/browser.rs"]
mod browser;

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// xorshift64*: a fixed, seeded sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const OWNERS: [&str; 6] = ["kari", "ola", "per", "lise", "root", "www-data"];
const EXTS: [(&str, &str); 6] = [
    ("txt", "text"),
    ("csv", "csv"),
    ("pdf", "pdf"),
    ("xlsx", "xlsx"),
    ("docx", "docx"),
    ("log", "text"),
];
const KINDS: [(&str, &str); 4] = [
    ("fodselsnummer", "130********"),
    ("phone", "+47********"),
    ("email", "k***@***.no"),
    ("kontonummer", "860********"),
];

/// Writes a JSON Lines inventory of `files` files under 10,000 folders: 10 % with findings,
/// 2 % not read completely, 5 % with a retention verdict.
fn generate(path: &Path, files: u64) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(
        w,
        r#"{{"record":"scan","schema_version":"1.0","tool":{{"name":"kartlegg","version":"0.1.0","rules_hash":"sha256:{}","rules":[]}},"scan":{{"started":"2026-06-01T02:00:00.000Z","roots":["/srv/share"],"options":{{"reveal":false}},"fingerprints":{{"algorithm":"hmac-sha256","key":"provided","key_id":"hmac-sha256:0011223344556677","note":""}}}}}}"#,
        "0".repeat(64)
    )?;
    let mut rng = Rng(0x6b61_7274_6c65_6767);
    let mut line = String::with_capacity(4096);
    let (mut errors, mut with, mut total) = (0u64, 0u64, 0u64);
    let mut by_kind = std::collections::BTreeMap::new();
    for i in 0..files {
        line.clear();
        let dir = rng.below(10_000);
        let (ext, ty) = EXTS[rng.below(EXTS.len() as u64) as usize];
        let size = 200 + rng.below(2_000_000);
        let mtime = 1_500_000_000 + rng.below(250_000_000) as i64;
        let t = chrono::DateTime::from_timestamp(mtime, 0)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let owner = OWNERS[rng.below(OWNERS.len() as u64) as usize];
        let _ = write!(
            line,
            r#"{{"record":"file","path":"/srv/share/avdeling{}/prosjekt{}/{}/dokument_{i}.{ext}","size":{size},"modified":"{t}","changed":"{t}","accessed":"{t}","owner":{{"uid":1000,"name":"{owner}"}},"gid":1000,"mode":"0640","type":"{ty}","#,
            dir / 1000,
            dir % 1000 / 10,
            2015 + dir % 10,
        );
        let roll = rng.below(100);
        if roll < 2 {
            errors += 1;
            line.push_str(r#""status":"error","reason":"corrupt","detail":"the file's structure cannot be read","counts":{},"findings":[]}"#);
        } else if roll < 12 {
            let n = 1 + rng.below(4);
            with += 1;
            total += n;
            let mut counts = std::collections::BTreeMap::new();
            let mut findings = String::new();
            for j in 0..n {
                let (k, masked) = KINDS[rng.below(4) as usize];
                *counts.entry(k).or_insert(0) += 1;
                *by_kind.entry(k).or_insert(0u64) += 1;
                if j > 0 {
                    findings.push(',');
                }
                let _ = write!(
                    findings,
                    r#"{{"kind":"{k}","rule":"{k}","confidence":"high","location":{{"line":{},"column":{}}},"masked":"{masked}","fingerprint":"hmac-sha256:{:016x}{:016x}"}}"#,
                    1 + rng.below(500),
                    1 + rng.below(80),
                    rng.next(),
                    rng.next()
                );
            }
            let counts: Vec<String> = counts
                .iter()
                .map(|(k, n)| format!(r#""{k}":{n}"#))
                .collect();
            let _ = write!(
                line,
                r#""status":"scanned","counts":{{{}}},"findings":[{findings}]"#,
                counts.join(",")
            );
            if roll < 7 {
                let _ = write!(
                    line,
                    r#","retention":{{"policy":"kurs","from":"modified","date":"2019-01-01","keep_until":"2024-01-01","verdict":"overdue","overdue_days":{},"findings_overdue":{n}}}"#,
                    rng.below(900)
                );
            }
            line.push('}');
        } else {
            line.push_str(r#""status":"scanned","counts":{},"findings":[]}"#);
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
    }
    let by_kind: Vec<String> = by_kind
        .iter()
        .map(|(k, n)| format!(r#""{k}":{n}"#))
        .collect();
    writeln!(
        w,
        r#"{{"record":"summary","finished":"2026-06-01T03:00:00.000Z","files_seen":{files},"files_scanned":{},"files_errored":{errors},"files_with_findings":{with},"unscanned_by_reason":{{"error/corrupt":{errors}}},"findings":{total},"findings_by_kind":{{{}}},"findings_by_confidence":{{"high":{total}}}}}"#,
        files - errors,
        by_kind.join(",")
    )?;
    w.flush()
}

/// Runs the release binary under `/usr/bin/time -v`: wall time, CPU time (user + system) and
/// peak memory (KiB). On a shared machine the CPU time is the steadier figure.
fn timed(args: &[&str]) -> (Duration, f64, u64) {
    let bin = env!("CARGO_BIN_EXE_kartlegg");
    let t = Instant::now();
    let o = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(bin)
        .args(args)
        .output()
        .expect("/usr/bin/time (apt-get install time)");
    let wall = t.elapsed();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{args:?}: {err}");
    let field = |name: &str| -> f64 {
        err.lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    };
    let cpu = field("User time (seconds):") + field("System time (seconds):");
    (
        wall,
        cpu,
        field("Maximum resident set size (kbytes):") as u64,
    )
}

/// The load average over the last minute (other work on a shared machine).
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_default()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

fn main() {
    let files: u64 = std::env::var("FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-report");
    std::fs::create_dir_all(&dir).unwrap();
    let inv = dir.join("inventory.jsonl");
    let t = Instant::now();
    generate(&inv, files).unwrap();
    let inv_size = std::fs::metadata(&inv).unwrap().len();
    println!(
        "inventory: {files} files, {:.0} MiB of JSON Lines, generated in {:.1} s",
        mib(inv_size),
        t.elapsed().as_secs_f64()
    );
    println!(
        "\n| report | wall time | files/s (wall) | CPU (user+sys) | files per CPU-second | size | peak memory | load |\n|---|---|---|---|---|---|---|---|"
    );
    let inv_s = inv.to_str().unwrap();
    for (name, extra) in [
        ("report.html", vec![]),
        ("files.csv", vec![]),
        ("findings.csv", vec!["--findings"]),
        ("report.xlsx", vec![]),
    ] {
        let out = dir.join(name);
        let mut args = vec!["report", inv_s, "-o", out.to_str().unwrap()];
        args.extend(extra);
        let (wall, cpu, rss) = timed(&args);
        println!(
            "| {name} | {:.2} s | {:.0} | {cpu:.2} s | {:.0} | {:.1} MiB | {:.0} MiB | {} |",
            wall.as_secs_f64(),
            files as f64 / wall.as_secs_f64(),
            files as f64 / cpu,
            mib(std::fs::metadata(&out).unwrap().len()),
            rss as f64 / 1024.0,
            load()
        );
    }
    let page = dir.join("report.html");
    let mut ready = Vec::new();
    let mut table = Vec::new();
    for _ in 0..3 {
        let mut b = browser::Browser::launch();
        let t = Instant::now();
        b.open(&page);
        ready.push(t.elapsed());
        let t = Instant::now();
        b.eval("document.getElementById('tab-files').click()");
        b.wait_for(
            "document.querySelectorAll('#files tbody tr').length > 0",
            120,
        );
        table.push(t.elapsed());
    }
    ready.sort();
    table.sort();
    println!(
        "\nheadless Chromium, median of 3: interactive (overview drawn) {:.2} s after navigation; file table's first page {:.2} s after the click (best {:.2} / {:.2} s); load {}",
        ready[1].as_secs_f64(),
        table[1].as_secs_f64(),
        ready[0].as_secs_f64(),
        table[0].as_secs_f64(),
        load()
    );
}
