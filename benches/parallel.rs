//! Single-threaded vs parallel parsing of one large generated body (feature `parallel`), the
//! consumer iterating every label name and value in both:
//!
//! - `single`: [`promtext::parse`] on the calling thread;
//! - `parallel`: [`promtext::parallel::parse_blocks`] with the default options, the labels
//!   iterated inside the blocks;
//! - `parallel_block_lines`: the same with [`Options::block_lines`]: events numbered from
//!   their block's first line, so no line feeds are counted ahead of the parse;
//! - `one_block`: `parse_blocks` with the threshold at its maximum, so the body is one block on
//!   the calling thread: the block iterator and closure of `parallel` on one core;
//! - `single_to_vec`: the events collected into a `Vec` on one thread, then the labels
//!   iterated;
//! - `parallel_to_vec`: [`promtext::parallel::parse_to_vec`], then the labels iterated on the
//!   calling thread (the convenience path, with its serial merge and second pass);
//! - `halves_scoped`: the ceiling — the body cut once at the line feed nearest its middle and
//!   the two halves parsed by [`promtext::parse`] on two scoped threads: no blocks, no
//!   line-feed count, no thread pool (the second half's line numbers are relative to it, so
//!   this is a baseline, not a correct parse).
//!
//! The speed-up is `single / parallel`; it depends on the cores free at the time (see
//! `uptime`), and `single / halves_scoped` is what the machine's two cores give at all.
//! `benches/tools/parallel_ratio.rs` measures the same ratios interleaved.

// Not every shared helper is used here.
#[allow(dead_code)]
mod common;

use std::hint::black_box;
use std::time::Duration;

use common::parallel::{blocks, consume, halves_scoped, single};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use promtext::parallel::Options;
use promtext::{Settings, parallel};
use promtext_gen::{GenConfig, generate};

fn parallel_blocks(input: &[u8]) -> usize {
    blocks(&Options::default(), input)
}

fn parallel_block_lines(input: &[u8]) -> usize {
    blocks(&Options::default().block_lines(true), input)
}

fn one_block(input: &[u8]) -> usize {
    blocks(&Options::default().threshold(usize::MAX), input)
}

fn single_to_vec(input: &[u8]) -> usize {
    promtext::parse(input)
        .collect::<Result<Vec<_>, _>>()
        .expect("valid input")
        .iter()
        .map(consume)
        .sum()
}

fn parallel_to_vec(input: &[u8]) -> usize {
    parallel::parse_to_vec(input, Settings::default())
        .expect("valid input")
        .iter()
        .map(consume)
        .sum()
}

fn generated(c: &mut Criterion) {
    let sizes: &[(&str, usize)] = &[("16mb", 16 << 20), ("64mb", 64 << 20)];
    for &(size_name, size) in sizes {
        for (profile, config) in [("envoy", GenConfig::envoy()), ("istio", GenConfig::istio())] {
            let input = generate(&config.target_bytes(size)).text.into_bytes();
            assert_eq!(single(&input), parallel_blocks(&input));
            assert_eq!(single(&input), parallel_block_lines(&input));
            let mut g = c.benchmark_group(format!("parallel_{profile}_{size_name}"));
            g.throughput(Throughput::Bytes(input.len() as u64));
            g.sample_size(10);
            g.measurement_time(Duration::from_secs(if size > 32 << 20 { 8 } else { 4 }));
            g.bench_function("single", |b| b.iter(|| single(black_box(&input))));
            g.bench_function("one_block", |b| b.iter(|| one_block(black_box(&input))));
            g.bench_function("parallel", |b| {
                b.iter(|| parallel_blocks(black_box(&input)))
            });
            g.bench_function("parallel_block_lines", |b| {
                b.iter(|| parallel_block_lines(black_box(&input)))
            });
            g.bench_function("halves_scoped", |b| {
                b.iter(|| halves_scoped(black_box(&input)))
            });
            g.bench_function("single_to_vec", |b| {
                b.iter(|| single_to_vec(black_box(&input)))
            });
            g.bench_function("parallel_to_vec", |b| {
                b.iter(|| parallel_to_vec(black_box(&input)))
            });
            g.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = generated
}
criterion_main!(benches);
