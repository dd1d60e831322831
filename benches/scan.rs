//! End-to-end scans of a generated tree through the library, at 1 and 2 threads, in bytes
//! per second: walk, open, sniff, decode, window, detect, mask and fingerprint, with a report
//! that discards its records (so the JSON writer is not what is measured).

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kartlegg::detect::Detector;
use kartlegg::report::mask::HashKey;
use kartlegg::report::progress::Progress;
use kartlegg::report::{FileRecord, Report, Summary};
use kartlegg::scan::{self, Options};
use kartlegg::synth::{Style, Text};

struct Discard;

impl Report for Discard {
    fn file(&mut self, _: &FileRecord) -> std::io::Result<()> {
        Ok(())
    }
    fn finish(&mut self, _: &Summary, _: &str) -> std::io::Result<()> {
        Ok(())
    }
}

/// 2,000 small files (1–8 KB) in 20 directories and 4 files of 4 MB; returns the bytes written.
fn tree(root: &Path) -> u64 {
    let styles = [Style::Letter, Style::Log, Style::Csv];
    let mut total = 0;
    let mut size = kartlegg::synth::Rng::new(9);
    for i in 0..2000u64 {
        let dir = root.join(format!("d{:02}", i % 20));
        std::fs::create_dir_all(&dir).unwrap();
        let mut text = String::new();
        Text::new(i, styles[i as usize % 3], 3)
            .fill(&mut text, 1024 + size.below(7 * 1024) as usize);
        total += text.len() as u64;
        std::fs::write(dir.join(format!("f{i}.txt")), text).unwrap();
    }
    for i in 0..4u64 {
        let mut text = String::new();
        Text::new(1000 + i, styles[i as usize % 3], 3).fill(&mut text, 4 << 20);
        total += text.len() as u64;
        std::fs::write(root.join(format!("large{i}.txt")), text).unwrap();
    }
    total
}

fn scan_tree(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let bytes = tree(dir.path());
    let det = Detector::builtin();
    let key = HashKey::provided(b"bench".to_vec());
    let mut g = c.benchmark_group("scan");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    for threads in [1, 2] {
        let opts = Options {
            roots: vec![dir.path().to_path_buf()],
            threads,
            ..Options::default()
        };
        g.bench_function(format!("tree/{threads}-threads"), |b| {
            b.iter(|| {
                let outcome = scan::run(
                    &opts,
                    &det,
                    &key,
                    &mut Discard,
                    &mut Progress::new(false),
                    Vec::new(),
                    None,
                )
                .unwrap();
                assert_eq!(outcome.summary.files_scanned, 2004);
                outcome.personal
            })
        });
    }
    g.finish();
}

criterion_group!(benches, scan_tree);
criterion_main!(benches);
