//! Profiling driver for the warm scrape against its parse-only baseline, for `valgrind --tool=callgrind`:
//!
//! ```text
//! cargo run --release --example scrape_profile -- scrape_warm|parse_only|ratio|protobuf MiB N [istio|envoy]
//! ```
//!
//! Generates an Istio (or Envoy) body of `MiB` mebibytes, scrapes it once through the seed's `envoy-stats` job to warm the
//! cache, then runs the case N times. Per-run instructions are `(count at N) - (count at 0)` divided by N.
//! `protobuf` alternates warm scrapes of the same data as protobuf and as text; with
//! `SP_PROTOBUF_ONLY=R` it runs R warm protobuf scrapes only (for callgrind).
//! `ratio` alternates a warm scrape and the parse-only baseline N times and prints the ratio of their median
//! times (robust on a shared machine, like the parser's interleaved ratios).

use std::hint::black_box;

use promtext::scrape::{Discard, Scraper};

#[path = "../fixtures/scrape.rs"]
mod fixtures;
// The interleaved timing of the `ratio` mode.
#[allow(dead_code)]
#[path = "../common/mod.rs"]
mod common;
use fixtures::{CT, parse_values, seed_scrape_of};

/// The protobuf exposition's content type.
const PB: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
use promtext_gen::GenConfig;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let case = args.get(1).map(String::as_str).unwrap_or("scrape_warm");
    let mib: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(16);
    let n: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let profile = args.get(4).map(String::as_str).unwrap_or("istio");
    let gen_config = match profile {
        "envoy" => GenConfig::envoy(),
        _ => GenConfig::istio(),
    };
    let (cfg, target, body) = seed_scrape_of(gen_config.clone(), mib);
    let mut scraper = Scraper::new(cfg.clone(), &target);
    let r = scraper.scrape_bytes(&body, CT, "", &mut Discard::default());
    assert!(r.up());
    if case == "protobuf" {
        // The same data as text and as protobuf (classic histograms), each scrape warm.
        let (pb, text) =
            promtext_gen::generate_protobuf(&gen_config.target_bytes(mib << 20), false);
        let text = text.text.into_bytes();
        let mut pb_scraper = Scraper::new(cfg.clone(), &target);
        let mut text_scraper = Scraper::new(cfg, &target);
        let pb_report = pb_scraper.scrape_bytes(&pb, PB, "", &mut Discard::default());
        let text_report = text_scraper.scrape_bytes(&text, CT, "", &mut Discard::default());
        assert!(pb_report.up() && text_report.up());
        if std::env::var("SP_DEBUG").is_ok() {
            let r = pb_scraper.scrape_bytes(&pb, PB, "", &mut Discard::default());
            eprintln!("protobuf, warm: {r:?}");
            let r = text_scraper.scrape_bytes(&text, CT, "", &mut Discard::default());
            eprintln!("text, warm: {r:?}");
        }
        assert_eq!(
            pb_report.samples_post_relabel,
            text_report.samples_post_relabel
        );
        if let Ok(runs) = std::env::var("SP_PROTOBUF_ONLY") {
            // For callgrind: only warm protobuf scrapes, `runs` of them.
            for _ in 0..runs.parse().unwrap_or(1) {
                let r = pb_scraper.scrape_bytes(black_box(&pb), PB, "", &mut Discard::default());
                black_box(r.samples_post_relabel);
            }
            return;
        }
        let (p, t, _) = common::interleaved_medians(
            n.max(3),
            || {
                let r = pb_scraper.scrape_bytes(black_box(&pb), PB, "", &mut Discard::default());
                r.samples_post_relabel as usize
            },
            || {
                let r =
                    text_scraper.scrape_bytes(black_box(&text), CT, "", &mut Discard::default());
                r.samples_post_relabel as usize
            },
        );
        println!(
            "{mib} MiB {profile}: warm protobuf scrape {:.2} ms ({} KiB), warm text scrape {:.2} ms ({} KiB): text/protobuf {:.2} (medians of {} alternating runs)",
            p * 1e3,
            pb.len() >> 10,
            t * 1e3,
            text.len() >> 10,
            t / p,
            n.max(3)
        );
        return;
    }
    if case == "ratio" {
        let (w, p, _) = common::interleaved_medians(
            n.max(3),
            || {
                let r = scraper.scrape_bytes(black_box(&body), CT, "", &mut Discard::default());
                r.samples_post_relabel as usize
            },
            || parse_values(black_box(&body)) as usize,
        );
        println!(
            "{mib} MiB {profile}: warm scrape {:.2} ms, parse only {:.2} ms: {:.2}x (medians of {} alternating runs)",
            w * 1e3,
            p * 1e3,
            w / p,
            n.max(3)
        );
        return;
    }
    for _ in 0..n {
        match case {
            "scrape_warm" => {
                let r = scraper.scrape_bytes(black_box(&body), CT, "", &mut Discard::default());
                black_box(r.samples_post_relabel);
                if std::env::var("SP_DEBUG").is_ok() {
                    eprintln!("{:?}", r);
                }
            }
            "parse_only" => {
                black_box(parse_values(black_box(&body)));
            }
            other => {
                eprintln!("unknown case {other}");
                std::process::exit(2);
            }
        }
    }
}
