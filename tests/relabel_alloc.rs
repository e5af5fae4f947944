//! The steady state does not allocate for dropped and unchanged series, nor for cache hits.

use promtext::config::rules_from_yaml;
use promtext::relabel::{Cached, LabelSetCache, SeriesCache};
use promtext::relabel::{Labels, NameValidationScheme, Outcome, Pipeline};

#[path = "support/alloc.rs"]
mod alloc;

fn allocs() -> usize {
    alloc::allocations() as usize
}

#[path = "../benches/fixtures/relabel.rs"]
mod fixtures;
use fixtures::{K8S_LABELS, KUBERNETES};

#[test]
fn steady_state_allocation_free() {
    let rules = rules_from_yaml(KUBERNETES, NameValidationScheme::Utf8).unwrap();
    let p = Pipeline::new(&rules, NameValidationScheme::Utf8).unwrap();
    let mut r = p.relabeler();
    // The kubernetes benchmark set is dropped at rule 19 (after 18 rules changed the set).
    assert_eq!(r.apply(K8S_LABELS), Outcome::Dropped);
    let mut reversed = K8S_LABELS.to_vec();
    reversed.reverse();
    assert_eq!(r.apply(&reversed), Outcome::Dropped);
    let before = allocs();
    for _ in 0..1000 {
        assert_eq!(r.apply(K8S_LABELS), Outcome::Dropped);
        assert_eq!(r.apply(&reversed), Outcome::Dropped);
        assert_eq!(r.apply_iter(K8S_LABELS.iter().copied()), Outcome::Dropped);
    }
    assert_eq!(allocs() - before, 0, "dropped series must not allocate");

    // Sorted label sets, relabeled and memoized per label set.
    let sorted = Labels::from_pairs(K8S_LABELS.iter().copied());
    assert_eq!(r.apply_labels(&sorted), Outcome::Dropped);
    let mut targets = LabelSetCache::new();
    for round in 0..3 {
        let before = allocs();
        targets.begin_sync();
        assert_eq!(targets.get_or_apply(&mut r, &sorted), Cached::Dropped);
        targets.end_sync();
        if round > 0 {
            assert_eq!(
                allocs() - before,
                0,
                "a label-set cache hit must not allocate"
            );
        }
    }
    let before = allocs();
    for _ in 0..1000 {
        assert_eq!(r.apply_labels(&sorted), Outcome::Dropped);
    }
    assert_eq!(
        allocs() - before,
        0,
        "dropped sorted label sets must not allocate"
    );

    // Kept unchanged.
    let keep = Pipeline::new(
        &rules_from_yaml(
            "- {source_labels: [__name__], regex: 'envoy_.*_bucket', action: drop}\n- {regex: 'pod|instance_id', action: labeldrop}\n",
            NameValidationScheme::Utf8,
        )
        .unwrap(),
        NameValidationScheme::Utf8,
    )
    .unwrap();
    let mut k = keep.relabeler();
    let series = [
        ("__name__", "envoy_cluster_upstream_rq_total"),
        ("cluster_name", "outbound|9080||reviews"),
        ("namespace", "default"),
    ];
    assert_eq!(k.apply(&series), Outcome::Unchanged);
    let owned: Vec<(String, String)> = series
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(
        k.apply_copied(owned.iter().map(|(a, b)| (a.as_str(), b.as_str()))),
        Outcome::Unchanged
    );
    let before = allocs();
    for _ in 0..1000 {
        assert_eq!(k.apply(&series), Outcome::Unchanged);
        assert_eq!(k.apply(&owned), Outcome::Unchanged);
        assert_eq!(
            k.apply_copied(owned.iter().map(|(a, b)| (a.as_str(), b.as_str()))),
            Outcome::Unchanged
        );
    }
    assert_eq!(allocs() - before, 0, "unchanged series must not allocate");

    // Cache hits.
    let mut cache = SeriesCache::new();
    let raws: Vec<String> = (0..50)
        .map(|i| format!("envoy_cluster_upstream_rq_total{{x=\"{i}\"}}"))
        .collect();
    for round in 0..3 {
        let before = allocs();
        cache.begin_scrape();
        for raw in &raws {
            let c = cache.get_or_apply(&mut k, raw.as_bytes(), || series);
            assert!(matches!(c, Cached::Unchanged));
        }
        cache.end_scrape(true);
        if round > 0 {
            assert_eq!(
                allocs() - before,
                0,
                "a scrape served from the cache must not allocate"
            );
        }
    }
    let before = allocs();
    for raw in &raws {
        assert!(matches!(
            cache.get_or_apply(&mut k, raw.as_bytes(), || series),
            Cached::Unchanged
        ));
    }
    assert_eq!(allocs() - before, 0, "cache hits must not allocate");
}
