//! Profiling driver for the relabel hot paths, for `valgrind --tool=callgrind` or `perf`:
//!
//! ```text
//! cargo run --release --example relabel_profile -- kubernetes|kubernetes_targets|example|static|istio_cached|envoy_cached|istio_uncached|envoy_uncached N
//! LABEL_SET_CACHE=1 cargo run --release --example relabel_profile -- kubernetes N   # memoized per label set
//! SORTED=1 cargo run --release --example relabel_profile -- kubernetes N   # from a prebuilt `Labels`
//! ```
//!
//! Runs the named case N times (after one warm-up pass). Instruction counts per operation are
//! `(count at N) - (count at 0)` divided by N (or by N × series for the metric cases).

use std::hint::black_box;

use promtext::config::rules_from_yaml;
use promtext::relabel::{LabelSetCache, SeriesCache};
use promtext::relabel::{Labels, NameValidationScheme, Pipeline};

#[path = "../fixtures/relabel.rs"]
mod fixtures;
use fixtures::*;

const UTF8: NameValidationScheme = NameValidationScheme::Utf8;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let case = args.get(1).map(String::as_str).unwrap_or("kubernetes");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    match case {
        "kubernetes" | "example" | "static" => {
            let (yaml, labels) = match case {
                "kubernetes" => (KUBERNETES, K8S_LABELS),
                "example" => (EXAMPLE, EXAMPLE_LABELS),
                _ => (STATIC, STATIC_LABELS),
            };
            let p = Pipeline::new(&rules_from_yaml(yaml, UTF8).unwrap(), UTF8).unwrap();
            let mut r = p.relabeler();
            black_box(r.apply(labels));
            if std::env::var_os("LABEL_SET_CACHE").is_some() {
                // The `compiled_label_set_cache` bench: the same target again, answered by the memo.
                let sorted = Labels::from_pairs(labels.iter().copied());
                let mut cache = LabelSetCache::new();
                let per_sync = std::env::var_os("PER_SYNC").is_some();
                for _ in 0..n {
                    if per_sync {
                        cache.begin_sync();
                    }
                    black_box(cache.get_or_apply(&mut r, black_box(&sorted)));
                    if per_sync {
                        cache.end_sync();
                    }
                }
                return;
            }
            if std::env::var_os("SORTED").is_some() {
                // The `compiled_sorted` bench: a prebuilt `Labels`, as Prometheus' benchmark has.
                let sorted = Labels::from_pairs(labels.iter().copied());
                for _ in 0..n {
                    black_box(r.apply_labels(black_box(&sorted)));
                }
                return;
            }
            for _ in 0..n {
                black_box(r.apply(black_box(labels)));
            }
        }
        "kubernetes_targets" => {
            // 256 different targets (a third kept), as the `relabel/kubernetes_targets` bench; N passes.
            let p = Pipeline::new(&rules_from_yaml(KUBERNETES, UTF8).unwrap(), UTF8).unwrap();
            let mut r = p.relabeler();
            let sorted: Vec<Labels> = k8s_targets(256)
                .iter()
                .map(|t| Labels::from_pairs(t.iter().map(|(n, v)| (n.as_str(), v.as_str()))))
                .collect();
            for l in &sorted {
                black_box(r.apply_labels(l));
            }
            for _ in 0..n {
                for l in &sorted {
                    black_box(r.apply_labels(black_box(l)));
                }
            }
        }
        "istio_cached" | "envoy_cached" | "istio_uncached" | "envoy_uncached" => {
            let series = if case.starts_with("istio") {
                istio_series()
            } else {
                envoy_series()
            };
            let p = Pipeline::new(&rules_from_yaml(METRIC_RULES, UTF8).unwrap(), UTF8).unwrap();
            let mut r = p.relabeler();
            let mut cache = SeriesCache::new();
            let cached = case.ends_with("_cached");
            for round in 0..=n {
                cache.begin_scrape();
                for (raw, l) in &series {
                    if cached {
                        black_box(cache.get_or_apply(&mut r, raw.as_bytes(), || l));
                    } else {
                        black_box(r.apply(l));
                    }
                }
                cache.end_scrape(true);
                if round == 0 {
                    eprintln!("{} series", series.len());
                }
            }
        }
        other => {
            eprintln!("unknown case {other}");
            std::process::exit(2);
        }
    }
}
