//! Profiling driver for the warm scrape against its parse-only baseline, for `valgrind --tool=callgrind`:
//!
//! ```text
//! cargo run --release --example scrape_profile -- scrape_warm|parse_only MiB N
//! ```
//!
//! Generates an Istio body of `MiB` mebibytes, scrapes it once through the seed's `envoy-stats` job to warm the
//! cache, then runs the case N times. Per-run instructions are `(count at N) - (count at 0)` divided by N.

use std::hint::black_box;

use promtext::generator::{GenConfig, generate};
use promtext::scrape::{Discard, ScrapeConfig, Scraper, Target, seed};
use promtext::{Event, parse};

const CT: &str = "text/plain; version=0.0.4; charset=utf-8";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let case = args.get(1).map(String::as_str).unwrap_or("scrape_warm");
    let mib: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(16);
    let n: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let job = seed::envoy_stats_job().expect("seed job");
    let target = Target::from_discovered(&job, &seed::SAMPLE_POD_TARGETS[2])
        .expect("target")
        .kept()
        .expect("kept")
        .clone();
    let body = generate(&GenConfig::istio().target_bytes(mib << 20))
        .text
        .into_bytes();
    let mut scraper = Scraper::new(ScrapeConfig::from_job(&job).expect("config"), &target);
    let r = scraper.scrape_bytes(&body, CT, "", &mut Discard::default());
    assert!(r.up());
    for _ in 0..n {
        match case {
            "scrape_warm" => {
                let r = scraper.scrape_bytes(black_box(&body), CT, "", &mut Discard::default());
                black_box(r.samples_post_relabel);
            }
            "parse_only" => {
                let mut acc = 0.0;
                for ev in parse(black_box(&body)) {
                    if let Event::Sample(s) = ev.expect("parses") {
                        acc += s.value();
                    }
                }
                black_box(acc);
            }
            other => {
                eprintln!("unknown case {other}");
                std::process::exit(2);
            }
        }
    }
}
