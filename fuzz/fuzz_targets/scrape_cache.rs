//! Differential: a scrape through a warm cache (the scraper scraped the same body, or the first
//! half of it, before) appends exactly what a scrape with a cold cache appends and reports the
//! same counts, for text and protobuf bodies, native histograms on or off. Input: a mode byte
//! (bit 0: protobuf, bit 1: native histograms, bit 2: the first half scraped first), then the
//! body.
#![no_main]
use libfuzzer_sys::fuzz_target;
use promtext::relabel::Pipeline;
use promtext::scrape::{Collect, ScrapeConfig, ScrapeReport, Scraper, Target};

const PB: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
const TEXT: &str = "text/plain; version=0.0.4";

fn config(native: bool) -> ScrapeConfig {
    let mut c = ScrapeConfig::new(Pipeline::new(&[], Default::default()).expect("no rules"));
    c.protocols.scrape_native_histograms = native;
    c
}

/// What a scrape appended and reported, but for what depends on the cache (hits, misses,
/// series added).
fn outcome(r: &ScrapeReport, out: &Collect) -> String {
    format!(
        "up {} error {:?} scraped {} kept {} dropped {} duplicates {} native {}\n{:?}\n{:?}",
        r.up(),
        r.error.as_ref().map(|e| e.to_string()),
        r.samples_scraped,
        r.samples_post_relabel,
        r.dropped_by_relabel,
        r.duplicate_samples,
        r.native_histograms,
        out.series,
        out.histograms,
    )
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let ct = if mode & 1 != 0 { PB } else { TEXT };
    let native = mode & 2 != 0;
    let target = Target::from_labels(&[("job", "fuzz"), ("instance", "pod:15090")]);
    let mut out = Collect::default();
    let r = Scraper::new(config(native), &target).scrape_bytes(body, ct, "", &mut out);
    let cold = outcome(&r, &out);
    let mut warm = Scraper::new(config(native), &target);
    if mode & 4 != 0 {
        warm.scrape_bytes(&body[..body.len() / 2], ct, "", &mut Collect::default());
    }
    for round in 0..2 {
        let mut out = Collect::default();
        let r = warm.scrape_bytes(body, ct, "", &mut out);
        assert_eq!(outcome(&r, &out), cold, "warm scrape {round}");
    }
});
