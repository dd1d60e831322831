//! Detector throughput in bytes per second on generated text of realistic Norwegian shape,
//! at a low and a high density of planted values, for each document style; and on dense
//! input, where nearly every byte belongs to a value (issue 9).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kartlegg::detect::{ChunkContext, Detector};
use kartlegg::synth::{self, IdSpec, Rng, Style, Text};

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
    for (name, text) in [("numbers", dense_numbers()), ("register", dense_register())] {
        let mut out = Vec::new();
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(format!("dense/{name}"), |b| {
            b.iter(|| {
                out.clear();
                det.scan(&text, &ChunkContext::default(), &mut out);
                out.len()
            })
        });
    }
    g.finish();
}

/// Valid identity numbers joined by single spaces, without a newline: the shape of the
/// `text_time_limit` file of issue 9 (one chain of millions of groups).
fn dense_numbers() -> String {
    let mut rng = Rng::new(9);
    let mut text = String::with_capacity(CHUNK + 12);
    while text.len() + 12 <= CHUNK {
        text.push_str(&synth::identity_number(&mut rng, IdSpec::default()));
        text.push(' ');
    }
    text
}

/// A register export: one person per line, identity number, name, mobile and address.
fn dense_register() -> String {
    let mut rng = Rng::new(10);
    let mut text = String::from("fnr;navn;mobil;epost\n");
    let names = ["Kari Nordmann", "Ola Hansen", "Åse Bjørnstad", "Per Olsen"];
    while text.len() < CHUNK - 100 {
        let name = *rng.pick(&names);
        let id = synth::identity_number(&mut rng, IdSpec::default());
        let mobile = synth::mobile(&mut rng);
        let user = name.split(' ').next().unwrap_or("x").to_lowercase();
        text.push_str(&format!(
            "{id};{name};{mobile};{user}.{}@firma.no\n",
            rng.below(1000)
        ));
    }
    text
}

criterion_group!(benches, detect);
criterion_main!(benches);
