//! Interleaved wall-clock ratio of the single-threaded and the parallel parser on a generated
//! body, with every label iterated in both (robust on a shared machine: the two alternate,
//! and the medians are compared).
//!
//! `cargo run --release --features parallel --example parallel_ratio -- [envoy|istio] [SIZE_KIB]
//! [ITERATIONS] [BLOCK_KIB]` (the threshold is 0; the block size defaults to the library's)

use std::time::Instant;

// The benches' shared helpers (`halves`, `median`).
#[allow(dead_code)]
#[path = "../benches/common/mod.rs"]
mod common;
use common::median;

use promtext::generator::{GenConfig, generate};
use promtext::parallel::Options;
use promtext::{Event, Settings};

#[inline(always)]
fn consume(ev: &Event<'_>) -> usize {
    match ev {
        Event::Sample(s) => s
            .labels()
            .map(|l| l.name.len() + l.value.len())
            .sum::<usize>(),
        _ => 1,
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let profile = args.next().unwrap_or_else(|| "envoy".to_string());
    let kib: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(16 << 10);
    let iterations: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let block_kib: Option<usize> = args.next().and_then(|a| a.parse().ok());
    let config = match profile.as_str() {
        "istio" => GenConfig::istio(),
        _ => GenConfig::envoy(),
    };
    let body = generate(&config.target_bytes(kib << 10)).text.into_bytes();
    // No threshold: the point is to see where parallel parsing starts to pay.
    let mut options = Options::default().threshold(0);
    if let Some(kib) = block_kib {
        options = options.block_len(kib << 10);
    }
    // The ceiling: two halves on two scoped threads, no blocks, no count, no pool (the
    // benches' `halves_scoped`).
    let (first, second) = common::halves(&body);
    let parse_all = |part: &[u8]| -> usize {
        promtext::parse(part)
            .map(|ev| consume(&ev.expect("valid input")))
            .sum()
    };
    let (mut single, mut parallel, mut count) = (Vec::new(), Vec::new(), Vec::new());
    let mut halves = Vec::new();
    let mut sink = 0usize;
    for _ in 0..iterations.max(3) {
        let t = Instant::now();
        sink += parse_all(&body);
        single.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let sums = options
            .parse_blocks(&body, Settings::default(), |block| {
                block
                    .map(|ev| consume(&ev.expect("valid input")))
                    .sum::<usize>()
            })
            .expect("valid input");
        sink += sums.iter().sum::<usize>();
        parallel.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        sink += std::thread::scope(|s| {
            let h = s.spawn(|| parse_all(second));
            parse_all(first) + h.join().expect("no panic")
        });
        halves.push(t.elapsed().as_secs_f64());
        // The serial cost of the line-feed count the parallel parse spreads over the threads.
        let t = Instant::now();
        sink += memchr::memchr_iter(b'\n', &body).count();
        count.push(t.elapsed().as_secs_f64());
    }
    let (s, p, c) = (median(single), median(parallel), median(count));
    let h = median(halves);
    let mb = body.len() as f64 / 1e6;
    println!(
        "{profile} {} KiB, blocks of {} KiB: single {:.3} ms ({:.0} MB/s), parallel {:.3} ms ({:.0} MB/s), speed-up {:.2}x; two halves on scoped threads {:.3} ms ({:.2}x); line-feed count alone {:.3} ms (sink {})",
        body.len() >> 10,
        options.block_size() >> 10,
        s * 1e3,
        mb / s,
        p * 1e3,
        mb / p,
        s / p,
        h * 1e3,
        s / h,
        c * 1e3,
        sink % 10
    );
}
