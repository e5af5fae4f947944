//! The warm scrape path (every series in the per-series cache) allocates nothing per sample: the allocations of a
//! whole scrape are a small constant (parser, decoder and report set-up), the same for a 4× larger body.

#![cfg(all(feature = "yaml", feature = "gzip"))]

use std::io::Write;

use promtext::scrape::{Discard, ScrapeConfig, Scraper, Target};
use promtext_gen::seed;
use promtext_gen::{GenConfig, generate};

#[path = "support/alloc.rs"]
mod alloc;
use alloc::count;

fn warm_allocs(body: &[u8], encoding: &str) -> (u64, u64) {
    let job = seed::envoy_stats_job().unwrap();
    let t = Target::from_discovered(&job, &seed::SAMPLE_POD_TARGETS[2]).unwrap();
    let t = t.kept().unwrap().clone();
    let mut s = Scraper::new(ScrapeConfig::from_job(&job).unwrap(), &t);
    let mut app = Discard::default();
    let ct = "text/plain; version=0.0.4";
    let cold = s.scrape_bytes(body, ct, encoding, &mut app);
    assert!(cold.up(), "{:?}", cold.error);
    // A second warm-up scrape lets every scratch buffer reach its final size.
    s.scrape_bytes(body, ct, encoding, &mut app);
    let (r, n) = count(|| s.scrape_bytes(body, ct, encoding, &mut app));
    assert!(r.up());
    assert_eq!(r.cache_misses, 0);
    (n, r.samples_scraped)
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

#[test]
fn warm_scrape_does_not_allocate_per_sample() {
    let small = generate(&GenConfig::istio().target_bytes(256 << 10)).text;
    let big = generate(&GenConfig::istio().target_bytes(4 << 20)).text;
    for enc in ["", "gzip"] {
        let (sb, bb) = if enc.is_empty() {
            (small.as_bytes().to_vec(), big.as_bytes().to_vec())
        } else {
            (gzip(small.as_bytes()), gzip(big.as_bytes()))
        };
        let (a_small, n_small) = warm_allocs(&sb, enc);
        let (a_big, n_big) = warm_allocs(&bb, enc);
        eprintln!(
            "{enc:?}: warm scrape of {n_small} samples: {a_small} allocations; of {n_big} samples: {a_big}"
        );
        assert!(n_big > 2 * n_small, "{n_small} {n_big}");
        assert!(
            a_big <= a_small + 4,
            "{enc}: {a_small} allocations for {n_small} samples, {a_big} for {n_big}"
        );
        assert!(a_big < 64, "{enc}: {a_big} allocations for {n_big} samples");
    }
}
