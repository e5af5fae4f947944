//! Parses a file (or a generated Envoy body) many times with all labels iterated: a small
//! driver for profilers (`perf record`, `valgrind --tool=callgrind`).
//!
//! `cargo run --release --example parse_file -- [FILE] [ITERATIONS]`

use promtext::Event;

fn main() {
    let mut args = std::env::args().skip(1);
    let input = match args.next().filter(|a| a != "-") {
        Some(path) => std::fs::read(path).expect("readable input"),
        None => promtext::generator::generate(
            &promtext::generator::GenConfig::envoy().target_bytes(1 << 20),
        )
        .text
        .into_bytes(),
    };
    let iterations: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let mut total = 0usize;
    let start = std::time::Instant::now();
    for _ in 0..iterations {
        for ev in promtext::parse(&input) {
            if let Event::Sample(s) = ev.expect("valid input") {
                total += s
                    .labels()
                    .map(|l| l.name.len() + l.value.len())
                    .sum::<usize>();
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{} bytes x {iterations}: {:.1} MB/s (checksum {total})",
        input.len(),
        input.len() as f64 * iterations as f64 / secs / 1e6
    );
}
