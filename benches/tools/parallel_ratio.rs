//! Wall-clock ratios of the single-threaded and the parallel parser on a generated body, with
//! every label iterated in all of them.
//!
//! `cargo run --release --example parallel_ratio -- [envoy|istio]
//! [SIZE_KIB] [ITERATIONS] [interleaved|hot] [BLOCK_KIB]` (the threshold is 0; the block size
//! defaults to the library's).
//!
//! - `interleaved` (default): the variants alternate run by run, so between two parallel
//!   parses the second core sits idle for a while — what a scraper sees, parsing one body
//!   every few seconds;
//! - `hot`: each variant runs `ITERATIONS` times back to back, three rounds, as criterion does
//!   (the second core stays busy).
//!
//! Medians are compared in both. Variants: `single` ([`promtext::parse`]), `one_block`
//! (`parse_blocks` with the body as one block on the calling thread: the cost of its iterator
//! against `Parser`'s), `parallel` (`parse_blocks` with the default blocks), `halves` (the
//! body cut once near its middle, the halves parsed on two scoped threads: no blocks, no
//! line-feed count, no pool — the machine's ceiling, not a correct parse). Last, a probe of the
//! machine: how long 2 ms of spinning on each of two threads takes right after both cores
//! were busy and after they sat idle for 5 ms (on a VM an idle vCPU can take milliseconds to
//! run again).

use std::time::{Duration, Instant};

// The benches' shared helpers (`median`, the parallel consumer and variants).
#[allow(dead_code)]
#[path = "../common/mod.rs"]
mod common;
use common::median;
use common::parallel::{blocks, single};

use promtext::parallel::Options;
use promtext_gen::{GenConfig, generate};

fn spin(d: Duration) -> u64 {
    let t = Instant::now();
    let mut n = 0u64;
    while t.elapsed() < d {
        n += 1;
    }
    n
}

/// Two threads spinning 2 ms each, after `idle` of sleep: the median wall time.
fn wake_probe(idle: Duration) -> f64 {
    let mut times = Vec::new();
    for _ in 0..21 {
        std::thread::sleep(idle);
        let t = Instant::now();
        std::thread::scope(|s| {
            let h = s.spawn(|| spin(Duration::from_millis(2)));
            spin(Duration::from_millis(2));
            h.join().expect("no panic");
        });
        times.push(t.elapsed().as_secs_f64());
    }
    median(times)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let profile = args.next().unwrap_or_else(|| "envoy".to_string());
    let kib: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(16 << 10);
    let iterations: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(30)
        .max(3);
    let hot = args.next().is_some_and(|m| m == "hot");
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
    let block_lines = options.block_lines(true);
    let one_block = Options::default().threshold(usize::MAX);
    type Variant<'v> = (&'static str, Box<dyn Fn() -> usize + 'v>);
    let variants: Vec<Variant> = vec![
        ("single", Box::new(|| single(&body))),
        ("one_block", Box::new(|| blocks(&one_block, &body))),
        ("parallel", Box::new(|| blocks(&options, &body))),
        ("block_lines", Box::new(|| blocks(&block_lines, &body))),
        (
            "halves",
            Box::new(|| common::parallel::halves_scoped(&body)),
        ),
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    let mut sink = 0usize;
    let mut run = |k: usize, times: &mut Vec<Vec<f64>>| {
        let t = Instant::now();
        sink += (variants[k].1)();
        times[k].push(t.elapsed().as_secs_f64());
    };
    if hot {
        for _round in 0..3 {
            for k in 0..variants.len() {
                for _ in 0..iterations {
                    run(k, &mut times);
                }
            }
        }
    } else {
        for _ in 0..iterations {
            for k in 0..variants.len() {
                run(k, &mut times);
            }
        }
    }
    let means: Vec<f64> = times
        .iter()
        .map(|t| t.iter().sum::<f64>() / t.len() as f64)
        .collect();
    let medians: Vec<f64> = times.into_iter().map(median).collect();
    let single = medians[0];
    let mb = body.len() as f64 / 1e6;
    println!(
        "{profile} {} KiB, blocks of {} KiB, {}, medians of {} runs:",
        body.len() >> 10,
        options.get_block_len() >> 10,
        if hot { "hot" } else { "interleaved" },
        if hot { 3 * iterations } else { iterations },
    );
    for (((name, _), m), mean) in variants.iter().zip(&medians).zip(&means) {
        println!(
            "  {name:10} {:7.3} ms {:6.0} MB/s  speed-up {:.2}x  (means: {:.3} ms, {:.2}x)",
            m * 1e3,
            mb / m,
            single / m,
            mean * 1e3,
            means[0] / mean
        );
    }
    println!(
        "  machine: 2 x 2 ms on two threads takes {:.2} ms with the cores busy, {:.2} ms after 5 ms idle (sink {})",
        wake_probe(Duration::ZERO) * 1e3,
        wake_probe(Duration::from_millis(5)) * 1e3,
        sink % 10
    );
}
