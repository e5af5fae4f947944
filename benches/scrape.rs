//! Full scrape of the generated 16 MiB Istio sidecar body through the seed's `envoy-stats` job: gzip and plain,
//! first scrape (cold per-series cache) vs steady state (warm cache). Throughput is reported per decoded byte;
//! divide the time by the sample count printed at start-up for ns/sample. `parse_only` is the baseline for the
//! warm scrape: the goal is a warm plain scrape within 1.3× of it.

use std::hint::black_box;
use std::io::Write;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use promtext::scrape::{Discard, Scraper};
use promtext::{Event, parse};

#[path = "fixtures/scrape.rs"]
mod fixtures;
use fixtures::{CT, parse_values, seed_scrape_of};

fn bench(c: &mut Criterion) {
    let (cfg, target, body) = seed_scrape_of(promtext_gen::GenConfig::istio(), 16);
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&body).expect("gzip");
    let gz = e.finish().expect("gzip");
    let mut probe = Scraper::new(cfg.clone(), &target);
    let r = probe.scrape_bytes(&body, CT, "", &mut Discard::default());
    assert!(r.up());
    eprintln!(
        "scrape bench: {} bytes plain, {} gzip, {} samples ({} kept after metric relabeling)",
        body.len(),
        gz.len(),
        r.samples_scraped,
        r.samples_post_relabel
    );
    let mut g = c.benchmark_group("scrape_istio_16MiB");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(body.len() as u64));
    // Baselines: the parse a warm scrape cannot avoid (every event, every value read; the scrape reads the
    // labels only on cache misses), and a parse that also decodes every label.
    g.bench_function("parse_only", |b| b.iter(|| parse_values(black_box(&body))));
    g.bench_function("parse_labels", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for ev in parse(black_box(&body)) {
                if let Event::Sample(s) = ev.expect("parses") {
                    for l in s.labels() {
                        n += l.name.len() + l.value.len();
                    }
                    black_box(s.value());
                }
            }
            black_box(n)
        })
    });
    for (name, data, enc) in [("plain", &body, ""), ("gzip", &gz, "gzip")] {
        g.bench_function(format!("{name}/cold"), |b| {
            b.iter_batched(
                || Scraper::new(cfg.clone(), &target),
                |mut s| {
                    let r = s.scrape_bytes(black_box(data), CT, enc, &mut Discard::default());
                    black_box(r.samples_post_relabel);
                    s
                },
                BatchSize::PerIteration,
            )
        });
        let mut warm = Scraper::new(cfg.clone(), &target);
        warm.scrape_bytes(data, CT, enc, &mut Discard::default());
        g.bench_function(format!("{name}/warm"), |b| {
            b.iter(|| {
                let r = warm.scrape_bytes(black_box(data), CT, enc, &mut Discard::default());
                black_box(r.samples_post_relabel)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
