//! Parser throughput (bytes/s) on the real corpus and on generated Envoy/Istio inputs of about
//! 1 MB and 16 MB. Each group carries its own baselines, so the goals are ratios in one run:
//!
//! - `memchr_lines`: count `\n` with memchr (the floor of any line-based parser);
//! - `naive_split`: split lines with memchr, skip `#` lines, take the text after the last
//!   space and parse it as `f64` (no labels, no validation);
//! - `events`: promtext events only (value touched, labels not iterated);
//! - `labels`: promtext with every label name and value iterated;
//! - `chunked_64k`: the same as `labels`, fed through `ChunkParser` in 64 KiB chunks.
//!
//! `python3 scripts/bench_table.py` turns the medians into the tables of `docs/performance.md`.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use promtext::{ChunkParser, Event, Settings};
use promtext_gen::{GenConfig, generate};

use common::{memchr_lines, naive_split};

// Inlined into the parse loops, as a consumer's own code would be: out of line, the call and
// the event it takes by reference cost a fifth of the `labels` time in `perf`.
#[inline(always)]
fn consume(ev: &Event<'_>, labels: bool) -> usize {
    match ev {
        Event::Sample(s) => {
            let mut n = s.value().to_bits() as usize & 1;
            if labels {
                for l in s.labels() {
                    n += l.name.len() + l.value.len();
                }
            }
            n
        }
        _ => 1,
    }
}

fn promtext_whole(input: &[u8], labels: bool) -> usize {
    let mut n = 0;
    for ev in promtext::parse(input) {
        n += consume(&ev.expect("valid input"), labels);
    }
    n
}

fn promtext_chunked(input: &[u8], p: &mut ChunkParser) -> usize {
    let mut n = 0;
    for chunk in input.chunks(64 * 1024) {
        for ev in p.feed(chunk) {
            n += consume(&ev.expect("valid input"), true);
        }
    }
    for ev in p.finish() {
        n += consume(&ev.expect("valid input"), true);
    }
    n
}

fn group(c: &mut Criterion, name: &str, input: &[u8]) {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(input.len() as u64));
    if input.len() > 4 << 20 {
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(4));
    }
    g.bench_function("memchr_lines", |b| {
        b.iter(|| memchr_lines(black_box(input)))
    });
    g.bench_function("naive_split", |b| b.iter(|| naive_split(black_box(input))));
    g.bench_function("events", |b| {
        b.iter(|| promtext_whole(black_box(input), false))
    });
    g.bench_function("labels", |b| {
        b.iter(|| promtext_whole(black_box(input), true))
    });
    g.bench_function("chunked_64k", |b| {
        b.iter(|| {
            let mut p = ChunkParser::new(Settings::default());
            promtext_chunked(black_box(input), &mut p)
        })
    });
    g.finish();
}

fn corpus(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !root.is_dir() {
        eprintln!("note: ../shared/corpus is absent; skipping the corpus groups");
        return;
    }
    for (name, file) in [
        (
            "corpus_envoy_frontproxy",
            "envoy/envoy_frontproxy_2023.prom",
        ),
        ("corpus_istio_sidecar", "envoy/istio-1.5_sidecar_15090.prom"),
        (
            "corpus_prom_alltypes",
            "prometheus/alltypes.237mfs.prom.txt",
        ),
    ] {
        let input = std::fs::read(root.join(file)).expect("corpus file");
        group(c, name, &input);
    }
}

fn generated(c: &mut Criterion) {
    for (name, config) in [
        ("gen_envoy_1mb", GenConfig::envoy().target_bytes(1 << 20)),
        ("gen_istio_1mb", GenConfig::istio().target_bytes(1 << 20)),
        ("gen_envoy_16mb", GenConfig::envoy().target_bytes(16 << 20)),
        ("gen_istio_16mb", GenConfig::istio().target_bytes(16 << 20)),
    ] {
        let input = generate(&config).text;
        group(c, name, input.as_bytes());
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = generated, corpus
}
criterion_main!(benches);
