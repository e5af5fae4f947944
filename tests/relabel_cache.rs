//! The per-series cache is transparent: whatever the order of series between scrapes (the positional lookup
//! guesses from the previous scrape), duplicates, failed scrapes or a full cache, every lookup gives what the
//! relabeler gives, the labels are only asked for on misses, and the hygiene keeps exactly the series of the last
//! successful scrape.

use std::collections::HashSet;

use promtext::relabel::{Action, Labels, NameValidationScheme, Outcome, Pipeline, RelabelConfig};
use promtext::relabel::{Cached, LabelSetCache, SeriesCache};
use proptest::prelude::*;

/// Series `k`: name and labels chosen so that some are dropped, some changed and some left alone.
fn series(k: u8) -> (String, Vec<(String, String)>) {
    let name = ["up", "latency_bucket", "requests_total"][k as usize % 3];
    let labels = vec![
        ("__name__".to_string(), name.to_string()),
        ("instance".to_string(), format!("pod-{}", k / 3)),
    ];
    // Long keys for some series, so that both hashing paths take part.
    let pad = "x".repeat(if k % 2 == 0 { 0 } else { 70 });
    (
        format!("{name}{{instance=\"pod-{}\",pad=\"{pad}\"}}", k / 3),
        labels,
    )
}

/// Drop buckets; mark `instance="pod-1"` with `special="yes"`.
fn rules() -> Vec<RelabelConfig> {
    vec![
        RelabelConfig::new(Action::Drop)
            .source_labels(["__name__"])
            .regex(".*_bucket"),
        RelabelConfig::new(Action::Replace)
            .source_labels(["instance"])
            .regex("pod-1")
            .target_label("special")
            .replacement("yes"),
    ]
}

fn pipeline() -> Pipeline {
    Pipeline::new(&rules(), NameValidationScheme::Utf8).expect("valid rules")
}

fn same(c: Cached<'_>, o: &Outcome) -> bool {
    match (c, o) {
        (Cached::Dropped, Outcome::Dropped) | (Cached::Unchanged, Outcome::Unchanged) => true,
        (Cached::Changed(a), Outcome::Changed(b)) => a == b,
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn cache_is_transparent(
        scrapes in prop::collection::vec(
            (prop::collection::vec(0u8..24, 0..40), any::<bool>()),
            1..8,
        ),
        max in prop_oneof![Just(1usize << 20), 1usize..8],
    ) {
        let p = pipeline();
        let mut r = p.relabeler();
        let mut reference = p.relabeler();
        let mut cache = SeriesCache::with_max_entries(max);
        for (keys, success) in &scrapes {
            cache.begin_scrape();
            let mut seen = HashSet::new();
            for &k in keys {
                let (raw, labels) = series(k);
                let want = reference.apply(&labels);
                let mut asked = false;
                let got = cache.get_or_apply(&mut r, raw.as_bytes(), || {
                    asked = true;
                    labels.clone()
                });
                prop_assert!(same(got, &want), "series {} gave {:?}, want {:?}", k, got, want);
                // A series already seen in this scrape is cached unless the cache is full.
                if seen.contains(&k) && max >= 24 {
                    prop_assert!(!asked, "series {} relabeled twice in one scrape", k);
                }
                seen.insert(k);
            }
            cache.end_scrape(*success);
            prop_assert!(cache.len() <= max);
            if *success {
                // Only series of this scrape survive; all of them when they fit.
                prop_assert!(cache.len() <= seen.len());
                if max >= 24 {
                    prop_assert_eq!(cache.len(), seen.len());
                }
            }
        }
    }
}

#[test]
fn warm_scrape_in_the_same_order_never_relabels() {
    let p = pipeline();
    let mut r = p.relabeler();
    let mut cache = SeriesCache::new();
    let keys: Vec<u8> = (0..24).collect();
    for round in 0..3 {
        cache.begin_scrape();
        let mut asked = 0;
        for &k in &keys {
            let (raw, labels) = series(k);
            cache.get_or_apply(&mut r, raw.as_bytes(), || {
                asked += 1;
                labels
            });
        }
        cache.end_scrape(true);
        assert_eq!(asked, if round == 0 { 24 } else { 0 });
    }
    // A reordered scrape still hits (through the hashed index).
    cache.begin_scrape();
    for &k in keys.iter().rev() {
        let (raw, _) = series(k);
        let never: fn() -> Vec<(String, String)> = || unreachable!("cached");
        cache.get_or_apply(&mut r, raw.as_bytes(), never);
    }
    cache.end_scrape(true);
    assert_eq!(cache.misses(), 24);
    assert_eq!(cache.hits(), 72);
}

/// Label set `k` of a small pool; some share their bytes and differ only in where names and values split.
fn label_set(k: u8) -> Labels {
    match k % 8 {
        0 => Labels::from_pairs([("ab", "c")]),
        1 => Labels::from_pairs([("a", "bc")]),
        2 => Labels::from_pairs([("a", "b"), ("c", "x")]),
        3 => Labels::from_pairs([("a", "bcx")]),
        4 => Labels::from_pairs([("__name__", "latency_bucket"), ("a", "1")]),
        5 => Labels::from_pairs([("__name__", "up"), ("instance", "pod-1")]),
        6 => Labels::new(),
        _ => Labels::from_pairs([("instance", format!("pod-{}", k / 8))]),
    }
}

/// [`rules`] with `a` copied to `copied` in between.
fn target_pipeline() -> Pipeline {
    let mut rules = rules();
    rules.insert(
        1,
        RelabelConfig::new(Action::Replace)
            .source_labels(["a"])
            .target_label("copied"),
    );
    Pipeline::new(&rules, NameValidationScheme::Utf8).expect("valid rules")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn label_set_cache_is_transparent(
        syncs in prop::collection::vec(prop::collection::vec(0u8..40, 0..30), 1..6),
        max in prop_oneof![Just(1usize << 20), 1usize..6],
    ) {
        let p = target_pipeline();
        let mut r = p.relabeler();
        let mut reference = p.relabeler();
        let mut cache = LabelSetCache::with_max_entries(max);
        for keys in &syncs {
            cache.begin_sync();
            let mut seen = HashSet::new();
            for &k in keys {
                let l = label_set(k);
                let want = reference.apply_labels(&l);
                let misses = cache.misses();
                let got = cache.get_or_apply(&mut r, &l);
                prop_assert!(same(got, &want), "set {} gave {:?}, want {:?}", l, got, want);
                if seen.contains(&l) && max >= 40 {
                    prop_assert_eq!(cache.misses(), misses, "{} relabeled twice in one sync", l);
                }
                seen.insert(l);
            }
            cache.end_sync();
            prop_assert!(cache.len() <= max);
            prop_assert!(cache.len() <= seen.len());
            if max >= 40 {
                prop_assert_eq!(cache.len(), seen.len());
            }
        }
    }
}

#[test]
fn label_set_cache_keys_keep_label_boundaries() {
    let p = target_pipeline();
    let mut r = p.relabeler();
    let mut cache = LabelSetCache::new();
    cache.begin_sync();
    // The same bytes "abc" split three ways are three label sets with three results.
    let got: Vec<String> = (0..4u8)
        .map(|k| match cache.get_or_apply(&mut r, &label_set(k)) {
            Cached::Changed(l) => l.to_string(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        [
            "Unchanged",
            r#"{a="bc", copied="bc"}"#,
            r#"{a="b", c="x", copied="b"}"#,
            r#"{a="bcx", copied="bcx"}"#,
        ]
    );
    assert_eq!((cache.hits(), cache.misses()), (0, 4));
    cache.end_sync();
    // The next sync finds all four, and one that is left out is evicted.
    cache.begin_sync();
    for k in 0..3u8 {
        cache.get_or_apply(&mut r, &label_set(k));
    }
    cache.end_sync();
    assert_eq!((cache.hits(), cache.misses(), cache.len()), (3, 4, 3));
}
