//! Writes the benchmark corpus: text of realistic Norwegian shape with planted values, from
//! fixed seeds, so every run on every machine writes the same bytes.
//!
//! ```text
//! cargo run --release --example gencorpus -- [DIR] [--mb 1024] [--files 100000]
//! ```
//!
//! Under DIR (default `bench-data`, which git ignores):
//! * `corpus/` — about `--mb` MB in 8 large files: logs, letters and CSV exports, with about
//!   3 planted values per 10 KB, four in five beside a label;
//! * `tree/` — `--files` small files of 1–8 KB in directories of 1,000;
//! * `longline/one-line.txt` — `--mb` MB on a single line (no newline at all), to show that
//!   memory stays flat whatever the line length.
//!
//! A part whose `.complete` marker exists is left as it is.

use std::io::Write;
use std::path::{Path, PathBuf};

use kartlegg::synth::{Rng, Style, Text};

/// Planted values per 10 KB: a busy but ordinary document.
const DENSITY: u32 = 3;

fn main() -> std::io::Result<()> {
    let mut dir = PathBuf::from("bench-data");
    let mut mb: u64 = 1024;
    let mut files: u64 = 100_000;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = |name: &str| -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match a.as_str() {
            "--mb" => mb = num("--mb"),
            "--files" => files = num("--files"),
            _ => dir = PathBuf::from(a),
        }
    }
    part(&dir.join("corpus"), |d| corpus(d, mb << 20))?;
    part(&dir.join("tree"), |d| tree(d, files))?;
    part(&dir.join("longline"), |d| {
        long_line(&d.join("one-line.txt"), mb << 20)
    })?;
    Ok(())
}

/// Builds one part unless it is complete already.
fn part(dir: &Path, build: impl FnOnce(&Path) -> std::io::Result<()>) -> std::io::Result<()> {
    let marker = dir.join(".complete");
    if marker.exists() {
        eprintln!("{}: complete, kept", dir.display());
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    eprintln!("{}: writing", dir.display());
    build(dir)?;
    std::fs::write(marker, "")
}

/// Streams `bytes` of `style` text into `path`, one megabyte at a time.
fn write_text(
    path: &Path,
    seed: u64,
    style: Style,
    bytes: u64,
    newline: bool,
) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut gen = Text::new(seed, style, DENSITY);
    let mut buf = String::new();
    let mut written = 0;
    while written < bytes {
        buf.clear();
        gen.fill(&mut buf, (1 << 20).min((bytes - written) as usize));
        if !newline {
            // Same text, one line: every newline becomes a space.
            buf = buf.replace('\n', " ");
        }
        f.write_all(buf.as_bytes())?;
        written += buf.len() as u64;
    }
    f.flush()
}

/// Eight large files, written in parallel.
fn corpus(dir: &Path, bytes: u64) -> std::io::Result<()> {
    let files = [
        ("app-2024-01.log", Style::Log),
        ("app-2024-02.log", Style::Log),
        ("app-2024-03.log", Style::Log),
        ("brev-saksbehandling.txt", Style::Letter),
        ("notater-2023.txt", Style::Letter),
        ("journal.txt", Style::Letter),
        ("ordre-eksport.csv", Style::Csv),
        ("kunder-eksport.csv", Style::Csv),
    ];
    let each = bytes / files.len() as u64;
    std::thread::scope(|s| {
        let handles: Vec<_> = files
            .iter()
            .enumerate()
            .map(|(i, (name, style))| {
                s.spawn(move || write_text(&dir.join(name), i as u64, *style, each, true))
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().expect("writer thread"))
    })
}

/// `n` files of 1–8 KB, 1,000 to a directory.
fn tree(dir: &Path, n: u64) -> std::io::Result<()> {
    let styles = [Style::Letter, Style::Log, Style::Csv];
    let mut sizes = Rng::new(7);
    let mut text = String::new();
    for i in 0..n {
        let sub = dir.join(format!("d{:03}", i / 1000));
        if i % 1000 == 0 {
            std::fs::create_dir_all(&sub)?;
        }
        text.clear();
        Text::new(10_000 + i, styles[(i % 3) as usize], DENSITY)
            .fill(&mut text, 1024 + sizes.below(7 * 1024) as usize);
        let ext = if i % 3 == 2 { "csv" } else { "txt" };
        std::fs::write(sub.join(format!("f{i:06}.{ext}")), &text)?;
    }
    Ok(())
}

fn long_line(path: &Path, bytes: u64) -> std::io::Result<()> {
    write_text(path, 99, Style::Letter, bytes, false)
}
