//! Detector throughput in bytes per second on generated text of realistic Norwegian shape,
//! at a low and a high density of planted values, for each document style.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kartlegg::detect::{ChunkContext, Detector};
use kartlegg::synth::{Style, Text};

/// The size of a window the text extractor hands to the detector.
const CHUNK: usize = 256 * 1024;

fn detect(c: &mut Criterion) {
    let det = Detector::builtin();
    let mut g = c.benchmark_group("detect");
    g.throughput(Throughput::Bytes(CHUNK as u64));
    for (style, name) in [
        (Style::Letter, "letter"),
        (Style::Log, "log"),
        (Style::Csv, "csv"),
    ] {
        // 2 values per 10 KB is a busy document; 40 per 10 KB is a register export.
        for (density, per_10kb) in [("low", 2), ("high", 40)] {
            let mut text = String::new();
            Text::new(42, style, per_10kb).fill(&mut text, CHUNK);
            text.truncate(kartlegg::detect::context::floor_boundary(&text, CHUNK));
            let mut out = Vec::new();
            g.bench_function(format!("{name}/{density}"), |b| {
                b.iter(|| {
                    out.clear();
                    det.scan(&text, &ChunkContext::default(), &mut out);
                    out.len()
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, detect);
criterion_main!(benches);
