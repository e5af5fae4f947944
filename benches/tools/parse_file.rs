//! Parses a file (or a generated Envoy body) many times: a small driver for profilers
//! (`perf record`, `valgrind --tool=callgrind`).
//!
//! `cargo run --release --example parse_file -- [FILE|-] [ITERATIONS] [labels|events|naive]`
//!
//! `labels` (default) iterates every label, `events` only touches values, `naive` runs the
//! benches' naive-split baseline (split lines, parse the last token as f64), `chunked` is
//! `labels` through `ChunkParser` in 64 KiB chunks.

use promtext::Event;

// The benches' baseline itself, so the ratio printed here is the benches' ratio.
#[allow(dead_code)]
#[path = "../common/mod.rs"]
mod common;
use common::naive_split;

fn main() {
    let mut args = std::env::args().skip(1);
    let input = match args.next().filter(|a| a != "-") {
        Some(path) => std::fs::read(path).expect("readable input"),
        None => promtext_gen::generate(&promtext_gen::GenConfig::envoy().target_bytes(1 << 20))
            .text
            .into_bytes(),
    };
    let iterations: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let mode = args.next().unwrap_or_else(|| "labels".to_string());
    if mode == "ratio" {
        // Interleaved timing, robust on a shared machine: naive and full parsing alternate,
        // and the medians are compared.
        let (n, f, sink) = common::interleaved_medians(
            iterations.max(5),
            || naive_split(&input) as usize,
            || {
                let mut sum = 0;
                for ev in promtext::parse(&input) {
                    if let Event::Sample(s) = ev.expect("valid input") {
                        sum += s
                            .labels()
                            .map(|l| l.name.len() + l.value.len())
                            .sum::<usize>();
                    }
                }
                sum
            },
        );
        println!(
            "median naive {:.1} µs, full parse with labels {:.1} µs: {:.2}x of naive throughput (sink {sink})",
            n * 1e6,
            f * 1e6,
            n / f
        );
        return;
    }
    let mut total = 0usize;
    let start = std::time::Instant::now();
    for _ in 0..iterations {
        if mode == "naive" {
            total += naive_split(&input) as usize;
            continue;
        }
        if mode == "chunked" {
            let mut p = promtext::ChunkParser::new(promtext::Settings::default());
            for chunk in input.chunks(64 * 1024) {
                for ev in p.feed(chunk) {
                    if let Event::Sample(s) = ev.expect("valid input") {
                        total += s
                            .labels()
                            .map(|l| l.name.len() + l.value.len())
                            .sum::<usize>();
                    }
                }
            }
            for ev in p.finish() {
                ev.expect("valid input");
            }
            continue;
        }
        for ev in promtext::parse(&input) {
            if let Event::Sample(s) = ev.expect("valid input") {
                total += s.value().to_bits() as usize & 1;
                if mode == "labels" {
                    total += s
                        .labels()
                        .map(|l| l.name.len() + l.value.len())
                        .sum::<usize>();
                }
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{mode}: {} bytes x {iterations}: {:.1} MB/s (checksum {total})",
        input.len(),
        input.len() as f64 * iterations as f64 / secs / 1e6
    );
}
