//! Dump and structured-text parsing speed, in bytes per second: a generated mysqldump (extended
//! INSERTs, one line per 1 MiB as mysqldump's `net_buffer_length` makes them), a pg_dump COPY
//! block, a CSV export, an NDJSON log and a pretty-printed JSON document, each parsed into
//! values (`parse`: value chunks counted, no detection) and parsed and detected
//! (`parse+detect`: every chunk through the detector). All go through
//! `structured::extract_stream`, the entry point the scan uses.
//!
//! Time is the CPU time of the benchmarking thread (`CLOCK_THREAD_CPUTIME_ID`), so the figure
//! is bytes per second *per core* and holds on a machine shared with other work.

use std::fmt::Write;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kartlegg::detect::{ChunkContext, Detector};
use kartlegg::extract::Env;
use kartlegg::extract::{structured, Chunk, ExtractError, Limits, Sink};
use kartlegg::read::sniff::Format;
use kartlegg::synth::{self, IdSpec, Rng};

/// Bytes of each generated dump.
const SIZE: usize = 64 << 20;

/// One row's values: id, name, synthetic fødselsnummer, mobile, e-mail, a note, a date.
fn values(rng: &mut Rng, i: u64) -> [String; 7] {
    let fnr = synth::identity_number(
        rng,
        IdSpec {
            synthetic: true,
            ..IdSpec::default()
        },
    );
    [
        i.to_string(),
        format!("Testperson {i}"),
        fnr,
        synth::mobile(rng),
        format!("person{i}@epost.invalid"),
        "Kunden ringte om levering, ble lovet svar innen fredag.".into(),
        "2024-03-01 12:00:00".into(),
    ]
}

fn mysqldump(size: usize) -> String {
    let mut rng = Rng::new(7);
    let mut out = String::from("-- MySQL dump 10.13\n/*!40101 SET NAMES utf8mb4 */;\n");
    out.push_str("CREATE TABLE `kunde` (`id` int, `navn` varchar(80), `fnr` char(11), `mobil` varchar(20), `epost` varchar(80), `notat` text, `opprettet` datetime);\n");
    let mut i = 0;
    while out.len() < size {
        out.push_str("INSERT INTO `kunde` VALUES ");
        let line_start = out.len();
        while out.len() - line_start < 1 << 20 {
            i += 1;
            let v = values(&mut rng, i);
            let _ = write!(
                out,
                "({},'{}','{}','{}','{}','{}','{}'),",
                v[0], v[1], v[2], v[3], v[4], v[5], v[6]
            );
        }
        out.pop();
        out.push_str(";\n");
    }
    out
}

fn pg_copy(size: usize) -> String {
    let mut rng = Rng::new(7);
    let mut out =
        String::from("-- PostgreSQL database dump\nSET standard_conforming_strings = on;\n");
    out.push_str("COPY public.kunde (id, navn, fnr, mobil, epost, notat, opprettet) FROM stdin;\n");
    let mut i = 0;
    while out.len() < size {
        i += 1;
        let v = values(&mut rng, i);
        let _ = writeln!(out, "{}", v.join("\t"));
    }
    out.push_str("\\.\n");
    out
}

fn csv(size: usize) -> String {
    let mut rng = Rng::new(7);
    let mut out = String::from("id;navn;fnr;mobil;epost;notat;opprettet\n");
    let mut i = 0;
    while out.len() < size {
        i += 1;
        let v = values(&mut rng, i);
        let _ = writeln!(out, "{}", v.join(";"));
    }
    out
}

fn ndjson(size: usize) -> String {
    let mut rng = Rng::new(7);
    let mut out = String::new();
    let mut i = 0;
    while out.len() < size {
        i += 1;
        let v = values(&mut rng, i);
        let _ = writeln!(
            out,
            r#"{{"id":{},"navn":"{}","fnr":"{}","kontakt":{{"mobil":"{}","epost":"{}"}},"notat":"{}","opprettet":"{}"}}"#,
            v[0], v[1], v[2], v[3], v[4], v[5], v[6]
        );
    }
    out
}

/// A pretty-printed document as `serde_json`/`JSON.stringify(x, null, 2)` write them.
fn json(size: usize) -> String {
    let mut rng = Rng::new(7);
    let mut out = String::from("{\n  \"kunder\": [\n");
    let mut i = 0;
    while out.len() < size {
        i += 1;
        let v = values(&mut rng, i);
        if i > 1 {
            out.push_str(",\n");
        }
        let _ = write!(
            out,
            "    {{\n      \"id\": {},\n      \"navn\": \"{}\",\n      \"fnr\": \"{}\",\n      \"kontakt\": {{\n        \"mobil\": \"{}\",\n        \"epost\": \"{}\"\n      }},\n      \"notat\": \"{}\",\n      \"opprettet\": \"{}\"\n    }}",
            v[0], v[1], v[2], v[3], v[4], v[5], v[6]
        );
    }
    out.push_str("\n  ]\n}\n");
    out
}

/// Counts value chunks.
struct Count(u64);
impl Sink for Count {
    fn chunk(&mut self, c: &Chunk<'_>) {
        self.0 += c.text.len() as u64;
    }
    fn nested(
        &mut self,
        _: &str,
        _: Option<u64>,
        _: &mut dyn std::io::Read,
    ) -> Result<(), ExtractError> {
        Ok(())
    }
}

/// Runs the detector over every value chunk.
struct Detect<'a>(&'a Detector, Vec<kartlegg::detect::Candidate>, u64);
impl Sink for Detect<'_> {
    fn chunk(&mut self, c: &Chunk<'_>) {
        self.1.clear();
        let ctx: ChunkContext = c.context;
        self.0.scan(c.text, &ctx, &mut self.1);
        self.2 += self.1.len() as u64;
    }
    fn nested(
        &mut self,
        _: &str,
        _: Option<u64>,
        _: &mut dyn std::io::Read,
    ) -> Result<(), ExtractError> {
        Ok(())
    }
}

/// CPU time this thread has used.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for clock_gettime to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Runs `f` `iters` times; returns the thread CPU time it took.
fn cpu_time(iters: u64, mut f: impl FnMut() -> u64) -> Duration {
    let start = thread_cpu();
    for _ in 0..iters {
        std::hint::black_box(f());
    }
    thread_cpu() - start
}

fn bench(c: &mut Criterion) {
    let det = Detector::builtin();
    // One clock serves the whole run: a budget far beyond it.
    let limits = Limits {
        seconds: 86_400,
        ..Limits::default()
    };
    let env = Env {
        det: &det,
        clock: kartlegg::extract::Clock::start(&limits),
        limits: &limits,
    };
    let inputs = [
        ("mysqldump", Format::Sql, mysqldump(SIZE)),
        ("pg_copy", Format::Sql, pg_copy(SIZE)),
        (
            "csv",
            Format::Delimited {
                delimiter: b';',
                header: true,
            },
            csv(SIZE),
        ),
        ("ndjson", Format::Ndjson, ndjson(SIZE)),
        ("json", Format::Json, json(SIZE)),
    ];
    for (name, kind, dump) in inputs {
        let head = &dump.as_bytes()[..8192];
        let run = |sink: &mut dyn Sink| {
            structured::extract_stream(
                kind,
                &mut dump.as_bytes(),
                head,
                false,
                encoding_rs::UTF_8,
                &env,
                sink,
            )
            .unwrap();
        };
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(dump.len() as u64));
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(10));
        g.bench_function("parse", |b| {
            b.iter_custom(|iters| {
                cpu_time(iters, || {
                    let mut sink = Count(0);
                    run(&mut sink);
                    sink.0
                })
            })
        });
        g.bench_function("parse+detect", |b| {
            b.iter_custom(|iters| {
                cpu_time(iters, || {
                    let mut sink = Detect(&det, Vec::new(), 0);
                    run(&mut sink);
                    sink.2
                })
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
