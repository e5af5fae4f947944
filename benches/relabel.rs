//! Relabel benchmarks: Prometheus' BenchmarkRelabel rule sets (relabel.md §9), compiled vs naive, and metric
//! relabeling per sample over Istio-like label sets, uncached vs cached.

use std::borrow::Cow;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use promtext::config::rules_from_yaml;
use promtext::relabel::naive::NaivePipeline;
use promtext::relabel::{Cached, LabelSetCache, SeriesCache};
use promtext::relabel::{Labels, NameValidationScheme, Outcome, Pipeline};
use promtext::{Event, parse_str};
use promtext_gen::{GenConfig, generate};

const UTF8: NameValidationScheme = NameValidationScheme::Utf8;

#[path = "fixtures/relabel.rs"]
mod fixtures;
use fixtures::*;

fn rule_sets(c: &mut Criterion) {
    for (name, yaml, labels, dropped) in [
        ("example", EXAMPLE, EXAMPLE_LABELS, false),
        ("kubernetes", KUBERNETES, K8S_LABELS, true),
        ("static_label_pair", STATIC, STATIC_LABELS, false),
    ] {
        let rules = rules_from_yaml(yaml, UTF8).unwrap();
        let p = Pipeline::new(&rules, UTF8).unwrap();
        let naive = NaivePipeline::new(&rules, UTF8).unwrap();
        let mut r = p.relabeler();
        assert_eq!(r.apply(labels).is_dropped(), dropped);
        assert_eq!(naive.apply(labels).is_none(), dropped);
        let mut g = c.benchmark_group(format!("relabel/{name}"));
        g.bench_function("compiled", |b| {
            b.iter(|| black_box(r.apply(black_box(labels))))
        });
        // Prometheus' own benchmark builds its sorted `labels.Labels` once and relabels it on every iteration;
        // `Labels` is our sorted form, so this is the like-for-like figure.
        let sorted = Labels::from_pairs(labels.iter().copied());
        assert_eq!(r.apply_labels(&sorted).is_dropped(), dropped);
        g.bench_function("compiled_sorted", |b| {
            b.iter(|| black_box(r.apply_labels(black_box(&sorted))))
        });
        // Target relabeling memoized per label set, as a discovery sync that re-sends an unchanged target hits it:
        // at the position it had in the previous sync (one comparison of the label bytes) ...
        let mut targets = LabelSetCache::new();
        g.bench_function("label_set_cache_same_order", |b| {
            b.iter(|| {
                targets.begin_sync();
                let c = targets.get_or_apply(&mut r, black_box(&sorted));
                let dropped = matches!(c, Cached::Dropped);
                targets.end_sync();
                black_box(dropped)
            })
        });
        // ... or elsewhere (hash of the label bytes, then the comparison).
        let mut targets = LabelSetCache::new();
        g.bench_function("label_set_cache_hashed", |b| {
            b.iter(|| {
                black_box(matches!(
                    targets.get_or_apply(&mut r, black_box(&sorted)),
                    Cached::Dropped
                ))
            })
        });
        g.bench_function("naive", |b| {
            b.iter(|| black_box(naive.apply(black_box(labels))))
        });
        g.finish();
    }
}

/// The kubernetes rule set over 256 different targets, as one discovery sync sends them: the address (and so
/// the hashmod shard: about a third are kept, which runs the label writes and builds the output), pod, namespace
/// and uid vary, and so do the label names (pods with and without `app`/`version` labels and annotations).
fn kubernetes_targets(c: &mut Criterion) {
    let rules = rules_from_yaml(KUBERNETES, UTF8).unwrap();
    let p = Pipeline::new(&rules, UTF8).unwrap();
    let mut r = p.relabeler();
    let targets = k8s_targets(256);
    let sorted: Vec<Labels> = targets
        .iter()
        .map(|t| Labels::from_pairs(t.iter().map(|(n, v)| (n.as_str(), v.as_str()))))
        .collect();
    let kept = sorted
        .iter()
        .filter(|l| !r.apply_labels(l).is_dropped())
        .count();
    eprintln!(
        "kubernetes_targets: {} targets, {kept} kept, {} to {} labels",
        sorted.len(),
        sorted.iter().map(Labels::len).min().unwrap_or(0),
        sorted.iter().map(Labels::len).max().unwrap_or(0)
    );
    let mut g = c.benchmark_group("relabel/kubernetes_targets");
    let mut i = 0;
    g.bench_function("compiled_sorted", |b| {
        b.iter(|| {
            i = (i + 1) % sorted.len();
            black_box(r.apply_labels(black_box(&sorted[i])))
        })
    });
    let mut i = 0;
    g.bench_function("compiled", |b| {
        b.iter(|| {
            i = (i + 1) % targets.len();
            black_box(r.apply(black_box(&targets[i])))
        })
    });
    g.finish();
}

fn metric_relabel(c: &mut Criterion) {
    for (group, series) in [
        ("istio_2000_series", istio_series()),
        ("envoy_2000_series", envoy_series()),
    ] {
        metric_relabel_group(c, group, &series);
    }
    // Every sample of the generated Istio body, labels borrowed from the parser as a scraper has them (the raw
    // series are slices of one contiguous body, as in a scrape).
    let body = generate(&GenConfig::istio().target_bytes(1 << 20)).text;
    let series: Vec<(&str, Vec<(&str, &str)>)> = parse_str(&body)
        .filter_map(|e| match e.expect("generated input parses") {
            Event::Sample(s) => {
                let mut l = vec![("__name__", s.raw_name())];
                l.extend(s.labels().map(|l| match (l.name, l.value) {
                    (Cow::Borrowed(n), Cow::Borrowed(v)) => (n, v),
                    _ => panic!("the generated body has no escapes"),
                }));
                Some((s.series(), l))
            }
            _ => None,
        })
        .collect();
    metric_relabel_group(c, "gen_istio_1mb", &series);
}

fn metric_relabel_group<R: AsRef<str>, N: AsRef<str>, V: AsRef<str>>(
    c: &mut Criterion,
    group: &str,
    series: &[(R, Vec<(N, V)>)],
) {
    let rules = rules_from_yaml(METRIC_RULES, UTF8).unwrap();
    let p = Pipeline::new(&rules, UTF8).unwrap();
    let naive = NaivePipeline::new(&rules, UTF8).unwrap();
    let mut r = p.relabeler();
    let dropped = series
        .iter()
        .filter(|(_, l)| r.apply(l).is_dropped())
        .count();
    assert!(dropped > 0 && dropped < series.len());
    let n = series.len() as u64;
    let avg = series.iter().map(|(r, _)| r.as_ref().len()).sum::<usize>() / series.len();
    eprintln!(
        "{group}: {} series, {dropped} dropped, raw series text {avg} bytes on average",
        series.len()
    );
    let mut g = c.benchmark_group(format!("relabel/metric_{group}"));
    g.throughput(criterion::Throughput::Elements(n));
    g.bench_function("naive", |b| {
        b.iter(|| {
            for (_, l) in series {
                black_box(naive.apply(l));
            }
        })
    });
    g.bench_function("uncached", |b| {
        b.iter(|| {
            for (_, l) in series {
                black_box(matches!(r.apply(l), Outcome::Dropped));
            }
        })
    });
    let mut cache = SeriesCache::new();
    g.bench_function("cached", |b| {
        b.iter(|| {
            cache.begin_scrape();
            for (raw, l) in series {
                black_box(cache.get_or_apply(&mut r, raw.as_ref().as_bytes(), || l));
            }
            cache.end_scrape(true);
        })
    });
    g.finish();
}

criterion_group!(benches, rule_sets, kubernetes_targets, metric_relabel);
criterion_main!(benches);
