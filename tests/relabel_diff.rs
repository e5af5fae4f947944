//! Differential tests: fast paths vs the plain regex path vs the naive engine; cache behaviour; explain.

use proptest::prelude::*;

#[cfg(feature = "yaml")]
use promtext::config::rules_from_yaml;
use promtext::relabel::naive::NaivePipeline;
use promtext::relabel::{
    Action, CompileOptions, Labels, NameValidationScheme, Outcome, Pipeline, RelabelConfig,
};
use promtext::relabel::{Cached, SeriesCache};

// The kubernetes rule set is YAML: the tests that use it need the `yaml` feature.
#[cfg(feature = "yaml")]
#[path = "../benches/fixtures/relabel.rs"]
mod fixtures;
#[cfg(feature = "yaml")]
use fixtures::{K8S_LABELS, KUBERNETES, k8s_targets};

const FRAGMENTS: &[&str] = &[
    "a", "b", "ab", ".*", ".+", "(.*)", "(.+)", "a|b", "(a|ab)", "[ab]", "x?", "(?i)a", "", "\\d",
    "\\n", "é", ";", "(?:a|b)+", ".", "(b)", "_", ".*a.*", "a.*", ".*b", "(?P<n>a)", "[^a]", "\\.",
    "a)|(b",
];
const NAMES: &[&str] = &["a", "b", "ab", "a_b", "__x", "é", "t", "m_a", "__name__"];
const TARGETS: &[&str] = &["t", "a", "$1", "${1}x", "b", "m_$1", "${n}"];
const REPLACEMENTS: &[&str] = &["$1", "x", "", "$0-$2", "${1}", "m_$1", "[$n]"];

fn pattern() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(prop::sample::select(FRAGMENTS), 1..4),
        any::<bool>(),
    )
        .prop_map(|(v, wrap)| {
            let s = v.concat();
            if wrap { format!("({s})") } else { s }
        })
}

fn value() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(&["a", "b", "\n", ";", "é", "_", "x", "1", "."][..]),
        0..6,
    )
    .prop_map(|v| v.concat())
}

fn rule() -> impl Strategy<Value = RelabelConfig> {
    (
        prop::sample::select(&Action::ALL[..]),
        prop::collection::vec(prop::sample::select(NAMES), 0..3),
        prop::option::of(pattern()),
        prop::sample::select(TARGETS),
        prop::sample::select(REPLACEMENTS),
        1u64..5,
        prop::sample::select(&[";", "", "-"][..]),
    )
        .prop_map(|(action, src, re, target, repl, modulus, sep)| {
            let mut c = RelabelConfig::new(action);
            match action {
                Action::LabelDrop | Action::LabelKeep => {}
                Action::KeepEqual | Action::DropEqual => {
                    c = c.source_labels(src).target_label(if target.contains('$') {
                        "t"
                    } else {
                        target
                    });
                    return c;
                }
                Action::LabelMap => {
                    c = c.replacement(repl);
                }
                Action::Lowercase | Action::Uppercase => {
                    c = c
                        .source_labels(src)
                        .separator(sep)
                        .target_label(if target.contains('$') { "t" } else { target });
                }
                _ => {
                    c = c
                        .source_labels(src)
                        .separator(sep)
                        .target_label(target)
                        .replacement(repl)
                        .modulus(modulus);
                }
            }
            if let Some(re) = re {
                c = c.regex(re);
            }
            c
        })
}

fn labels() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        (
            prop::sample::select(NAMES).prop_map(str::to_string),
            value(),
        ),
        0..7,
    )
}

fn render(o: Outcome, input: &[(String, String)]) -> Option<Labels> {
    match o {
        Outcome::Dropped => None,
        Outcome::Unchanged => Some(Labels::from_pairs(input.iter().map(|(a, b)| (a, b)))),
        Outcome::Changed(l) => Some(l),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn fast_plain_naive_agree(rules in prop::collection::vec(rule(), 1..5), input in labels()) {
        let rules: Vec<RelabelConfig> = rules
            .into_iter()
            .filter(|r| r.validate(NameValidationScheme::Utf8).is_ok())
            .collect();
        let fast = Pipeline::new(&rules, NameValidationScheme::Utf8).unwrap();
        let plain = Pipeline::with_options(&rules, NameValidationScheme::Utf8, CompileOptions { fast_paths: false }).unwrap();
        let naive = NaivePipeline::new(&rules, NameValidationScheme::Utf8).unwrap();
        let a = render(fast.relabeler().apply(&input), &input);
        let b = render(plain.relabeler().apply(&input), &input);
        let c = naive.apply(&input).map(Labels::from_pairs);
        prop_assert_eq!(&a, &b, "fast vs plain, rules {:?}", rules);
        prop_assert_eq!(&a, &c, "fast vs naive, rules {:?}", rules);
        // The pre-sorted entry point agrees with the pairs entry point, with and without fast paths.
        let sorted = Labels::from_pairs(input.iter().map(|(n, v)| (n, v)));
        for p in [&fast, &plain] {
            let d = match p.relabeler().apply_labels(&sorted) {
                Outcome::Dropped => None,
                Outcome::Unchanged => Some(sorted.clone()),
                Outcome::Changed(l) => Some(l),
            };
            prop_assert_eq!(&a, &d, "apply_labels, rules {:?}", rules);
        }
        // Explain agrees with apply.
        let e = fast.explain(&input);
        prop_assert_eq!(render(e.outcome, &input), a.clone());
        if let Some(l) = &a {
            let names: Vec<&str> = l.iter().map(|(n, _)| n).collect();
            prop_assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted unique names");
        }
    }

    #[test]
    fn scheduled_order_agrees(
        rules in prop::collection::vec(rule(), 2..9),
        last in prop::collection::vec(rule(), 1..3),
        input in labels(),
    ) {
        // Longer rule lists, ending in rules that can drop, so that writers move past them (`run_order`); the
        // plain pipeline runs in config order.
        let rules: Vec<RelabelConfig> = rules
            .into_iter()
            .chain(last.into_iter().map(|mut r| {
                if !matches!(r.action, Some(Action::Keep | Action::Drop | Action::KeepEqual | Action::DropEqual)) {
                    r.action = Some(Action::Keep);
                    r.target_label = "t".into();
                }
                r
            }))
            .filter(|r| r.validate(NameValidationScheme::Utf8).is_ok())
            .collect();
        let fast = Pipeline::new(&rules, NameValidationScheme::Utf8).unwrap();
        let plain = Pipeline::with_options(&rules, NameValidationScheme::Utf8, CompileOptions { fast_paths: false }).unwrap();
        let naive = NaivePipeline::new(&rules, NameValidationScheme::Utf8).unwrap();
        prop_assert!(plain.run_order().iter().enumerate().all(|(i, &r)| r as usize == i));
        let mut order = fast.run_order().to_vec();
        order.sort_unstable();
        prop_assert!(order.iter().enumerate().all(|(i, &r)| r as usize == i), "a permutation");
        let a = render(fast.relabeler().apply(&input), &input);
        let b = render(plain.relabeler().apply(&input), &input);
        let c = naive.apply(&input).map(Labels::from_pairs);
        prop_assert_eq!(&a, &b, "fast vs plain, rules {:?}, order {:?}", rules, fast.run_order());
        prop_assert_eq!(&a, &c, "fast vs naive, rules {:?}, order {:?}", rules, fast.run_order());
        let sorted = Labels::from_pairs(input.iter().map(|(n, v)| (n, v)));
        let d = match fast.relabeler().apply_labels(&sorted) {
            Outcome::Dropped => None,
            Outcome::Unchanged => Some(sorted.clone()),
            Outcome::Changed(l) => Some(l),
        };
        prop_assert_eq!(&a, &d, "apply_labels, rules {:?}", rules);
    }

    #[test]
    fn matcher_fast_equals_regex(p in pattern(), v in value()) {
        // keep (is_match) and replace (captures) through both paths.
        let rules = [
            RelabelConfig::new(Action::Replace).source_labels(["v"]).regex(p.clone()).target_label("t").replacement("[$0|$1|$2|$n]"),
            RelabelConfig::new(Action::Keep).source_labels(["v"]).regex(p.clone()),
        ];
        let Ok(fast) = Pipeline::new(&rules, NameValidationScheme::Utf8) else { return Ok(()) };
        let plain = Pipeline::with_options(&rules, NameValidationScheme::Utf8, CompileOptions { fast_paths: false }).unwrap();
        let input = [("v", v.as_str())];
        prop_assert_eq!(fast.relabeler().apply(&input), plain.relabeler().apply(&input), "pattern {:?}", p);
    }
}

#[test]
fn fast_path_edge_cases() {
    // Bug history worth keeping (VictoriaMetrics #5297, #3131) and (?s) agreement.
    let cases: &[(&str, &[&str])] = &[
        (".+;|;.+", &["a;", ";a", ";", "a;b", ""]),
        (".*foo|bar|baz.*", &["xfoo", "bar", "bazx", "foox", "xbar"]),
        ("a\\$", &["a$", "a"]),
        ("x.y", &["x\ny", "xzy", "xy"]),
        ("a.*a", &["a", "aa", "aba"]),
        ("(?i)k", &["K", "k", "\u{212A}"]),
        ("^0$", &["0", "00"]),
        ("foo|foobar", &["foo", "foobar", "foob"]),
        ("", &["", "a"]),
    ];
    for (p, values) in cases {
        let rules = [RelabelConfig::new(Action::Replace)
            .source_labels(["v"])
            .regex(*p)
            .target_label("t")
            .replacement("<$0>")];
        let fast = Pipeline::new(&rules, NameValidationScheme::Utf8).unwrap();
        let plain = Pipeline::with_options(
            &rules,
            NameValidationScheme::Utf8,
            CompileOptions { fast_paths: false },
        )
        .unwrap();
        for v in *values {
            let input = [("v", *v)];
            assert_eq!(
                fast.relabeler().apply(&input),
                plain.relabeler().apply(&input),
                "{p} on {v:?}"
            );
        }
    }
}

#[test]
fn labelmap_snapshot_and_overwrite() {
    let rules = [
        RelabelConfig::new(Action::LabelMap)
            .regex("__meta_(.+)")
            .replacement("$1"),
        RelabelConfig::new(Action::LabelMap)
            .regex("(.)(.*)")
            .replacement("${2}"),
    ];
    let p = Pipeline::new(&rules, NameValidationScheme::Utf8).unwrap();
    let input = [("__meta_a", "1"), ("a", "0"), ("__meta_b", "2")];
    let n = NaivePipeline::new(&rules, NameValidationScheme::Utf8).unwrap();
    assert_eq!(
        render(p.relabeler().apply(&input), &[]),
        n.apply(&input).map(Labels::from_pairs)
    );
}

#[test]
fn go_case_mapping_in_pipeline() {
    let rules = [
        RelabelConfig::new(Action::Uppercase)
            .source_labels(["v"])
            .target_label("u"),
        RelabelConfig::new(Action::Lowercase)
            .source_labels(["v"])
            .target_label("l"),
    ];
    let p = Pipeline::new(&rules, NameValidationScheme::Utf8).unwrap();
    let Outcome::Changed(l) = p.relabeler().apply(&[("v", "ßİΣΑΣᾳ")]) else {
        panic!()
    };
    assert_eq!(l.get("u"), Some("ßİΣΑΣᾼ"));
    assert_eq!(l.get("l"), Some("ßiσασᾳ"));
}

#[test]
fn input_normalization() {
    let p = Pipeline::new(
        &[RelabelConfig::new(Action::Keep)
            .source_labels(["a"])
            .regex(".*")],
        NameValidationScheme::Utf8,
    )
    .unwrap();
    let mut r = p.relabeler();
    // Any order, sorted output; unchanged when nothing changes.
    assert_eq!(r.apply(&[("b", "2"), ("a", "1")]), Outcome::Unchanged);
    // Empty values are absent, so the result differs from the input pairs.
    let Outcome::Changed(l) = r.apply(&[("b", ""), ("a", "1")]) else {
        panic!()
    };
    assert_eq!(l.to_string(), r#"{a="1"}"#);
    // Repeated names: the last wins.
    let Outcome::Changed(l) = r.apply(&[("a", "1"), ("a", "2")]) else {
        panic!()
    };
    assert_eq!(l.to_string(), r#"{a="2"}"#);
    assert_eq!(r.apply_iter([("b", "2"), ("a", "1")]), Outcome::Unchanged);
}

#[test]
fn cache_hygiene() {
    let p = Pipeline::new(
        &[
            RelabelConfig::new(Action::Drop)
                .source_labels(["__name__"])
                .regex(".*_bucket"),
            RelabelConfig::new(Action::LabelDrop).regex("pod"),
        ],
        NameValidationScheme::Utf8,
    )
    .unwrap();
    let mut r = p.relabeler();
    let mut c = SeriesCache::new();
    let calls = std::cell::Cell::new(0);
    let mut scrape =
        |c: &mut SeriesCache, series: &[(&str, Vec<(&'static str, &'static str)>)], ok: bool| {
            c.begin_scrape();
            let mut out = Vec::new();
            for (raw, labels) in series {
                let res = c.get_or_apply(&mut r, raw.as_bytes(), || {
                    calls.set(calls.get() + 1);
                    labels.clone()
                });
                out.push(match res {
                    Cached::Dropped => "DROPPED".to_string(),
                    Cached::Unchanged => "UNCHANGED".to_string(),
                    Cached::Changed(l) => l.to_string(),
                });
            }
            c.end_scrape(ok);
            out
        };
    let s1 = vec![
        (
            "a_bucket{le=\"1\"}",
            vec![("__name__", "a_bucket"), ("le", "1")],
        ),
        ("b{pod=\"x\"}", vec![("__name__", "b"), ("pod", "x")]),
        ("c", vec![("__name__", "c")]),
    ];
    let out = scrape(&mut c, &s1, true);
    assert_eq!(out, vec!["DROPPED", "{__name__=\"b\"}", "UNCHANGED"]);
    assert_eq!(calls.get(), 3);
    assert_eq!(scrape(&mut c, &s1, true), out);
    assert_eq!(calls.get(), 3, "second scrape is served from the cache");
    assert_eq!(c.len(), 3);
    // A successful scrape without `c` evicts it.
    scrape(&mut c, &s1[..2], true);
    assert_eq!(c.len(), 2);
    // A failed scrape does not evict.
    scrape(&mut c, &s1[..1], false);
    assert_eq!(c.len(), 2);
    assert_eq!(c.forced_flushes(), 0);
    // Growth beyond 2 × last successful + 1000 after a failed scrape forces a flush.
    let many: Vec<(String, Vec<(&str, &str)>)> = (0..1100)
        .map(|i| (format!("m{{i=\"{i}\"}}"), vec![("__name__", "m")]))
        .collect();
    let many_ref: Vec<(&str, Vec<(&str, &str)>)> =
        many.iter().map(|(a, b)| (a.as_str(), b.clone())).collect();
    let _ = many_ref;
    c.begin_scrape();
    for (raw, l) in &many {
        let _ = c.get_or_apply(&mut r, raw.as_bytes(), || l.clone());
    }
    c.end_scrape(false);
    assert_eq!(c.forced_flushes(), 1);
    assert_eq!(c.len(), 1100, "only entries seen in this scrape survive");
    // Long keys (hashed by the wide hash) that differ only in the middle.
    let mut long = SeriesCache::new();
    let keys: Vec<String> = (0..200)
        .map(|i| format!("{}{i:04}{}", "x".repeat(100), "y".repeat(100)))
        .collect();
    for round in 0..2 {
        long.begin_scrape();
        for (i, k) in keys.iter().enumerate() {
            let v = i.to_string();
            let res = long.get_or_apply(&mut r, k.as_bytes(), || {
                vec![("__name__", "m"), ("pod", "p"), ("i", v.as_str())]
            });
            let Cached::Changed(l) = res else { panic!() };
            assert_eq!(l.get("i"), Some(i.to_string().as_str()), "round {round}");
        }
        long.end_scrape(true);
    }
    assert_eq!(long.len(), 200);
    assert_eq!(long.hits(), 200);
    // A bounded cache still answers.
    let mut small = SeriesCache::with_max_entries(1);
    for raw in ["x{a=\"1\"}", "y{a=\"1\"}", "x{a=\"1\"}"] {
        let res = small.get_or_apply(&mut r, raw.as_bytes(), || {
            vec![("__name__", &raw[..1]), ("pod", "p")]
        });
        assert!(matches!(res, Cached::Changed(_)));
    }
    assert_eq!(small.len(), 1);
}

#[test]
fn explain_trace() {
    let p = Pipeline::new(
        &[
            RelabelConfig::new(Action::Replace)
                .source_labels(["a"])
                .target_label("b"),
            RelabelConfig::new(Action::Keep)
                .source_labels(["a"])
                .regex("nope"),
            RelabelConfig::new(Action::Replace)
                .target_label("c")
                .replacement("x"),
        ],
        NameValidationScheme::Utf8,
    )
    .unwrap();
    let e = p.explain(&[("a", "1")]);
    assert_eq!(e.outcome, Outcome::Dropped);
    assert_eq!(e.steps.len(), 2);
    assert_eq!(e.steps[0].index, 0);
    assert_eq!(e.steps[0].after.as_ref().unwrap().get("b"), Some("1"));
    assert_eq!(e.steps[1].action, Action::Keep);
    assert!(e.steps[1].after.is_none());
    assert!(e.steps[1].note.contains("dropped"), "{}", e.steps[1].note);
    let text = e.to_string();
    assert!(text.contains("rule 1 (keep)"), "{text}");
}

#[test]
fn pipeline_is_send_sync_and_shared() {
    fn check<T: Send + Sync + Clone>() {}
    check::<Pipeline>();
    let p = Pipeline::new(
        &[RelabelConfig::new(Action::Replace)
            .target_label("x")
            .replacement("y")],
        NameValidationScheme::Utf8,
    )
    .unwrap();
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let p = p.clone();
            std::thread::spawn(move || {
                matches!(p.relabeler().apply(&[("a", "b")]), Outcome::Changed(_))
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap());
    }
}

#[test]
fn labelmap_replace_all_when_anchors_escape() {
    // `a)|(b` is anchored as `^(?s:a)|(b)$`: ReplaceAllString replaces both ends of "axb" and keeps the middle.
    let rules = [RelabelConfig::new(Action::LabelMap)
        .regex("a)|(b")
        .replacement("<$0>")];
    let p = Pipeline::new(&rules, NameValidationScheme::Utf8).unwrap();
    let Outcome::Changed(l) = p.relabeler().apply(&[("axb", "1"), ("zz", "2")]) else {
        panic!()
    };
    assert_eq!(l.get("<a>x<b>"), Some("1"));
    let n = NaivePipeline::new(&rules, NameValidationScheme::Utf8).unwrap();
    assert_eq!(
        Some(l),
        n.apply(&[("axb", "1"), ("zz", "2")])
            .map(Labels::from_pairs)
    );
}

/// The kubernetes benchmark rules (relabel.md §9) compiled with fast paths, without them, and for the naive
/// engine.
#[cfg(feature = "yaml")]
fn kubernetes_pipelines() -> (Pipeline, Pipeline, NaivePipeline) {
    let rules = rules_from_yaml(KUBERNETES, NameValidationScheme::Utf8).unwrap();
    let plain_options = CompileOptions { fast_paths: false };
    (
        Pipeline::new(&rules, NameValidationScheme::Utf8).unwrap(),
        Pipeline::with_options(&rules, NameValidationScheme::Utf8, plain_options).unwrap(),
        NaivePipeline::new(&rules, NameValidationScheme::Utf8).unwrap(),
    )
}

#[cfg(feature = "yaml")]
#[test]
fn kubernetes_label_writes_run_after_the_shard_keep() {
    let (fast, plain, naive) = kubernetes_pipelines();
    // Rules 11-16 (job, namespace, pod, container, instance, cluster; 0-based 10-15) commute with the namespace
    // drop, the hashmod and its keep (and with the final labeldrop, which stays in place as no drop follows it);
    // the labelmaps before them write any name and stay in place.
    let expected: Vec<u32> = (0..10).chain(16..20).chain(10..16).collect();
    assert_eq!(fast.run_order(), expected.as_slice());
    // The benchmark target is dropped by the shard keep; find addresses in each shard and compare everything.
    let mut kept = 0;
    for i in 0..30 {
        let address = format!("10.132.183.{i}:80");
        let input: Vec<(&str, &str)> = K8S_LABELS
            .iter()
            .map(|&(n, v)| {
                (
                    n,
                    if n == "__address__" {
                        address.as_str()
                    } else {
                        v
                    },
                )
            })
            .collect();
        let a = render(fast.relabeler().apply(&input), &[]);
        assert_eq!(a, render(plain.relabeler().apply(&input), &[]), "{address}");
        assert_eq!(a, naive.apply(&input).map(Labels::from_pairs), "{address}");
        if let Some(l) = a {
            kept += 1;
            assert_eq!(
                l.get("instance"),
                Some("promtail-loki-boltdb-shipper-jgtr7:promtail:http-metrics")
            );
            assert_eq!(l.get("__tmp_hash"), None);
        }
    }
    assert!((3..27).contains(&kept), "{kept} of 30 kept");
}

#[cfg(feature = "yaml")]
#[test]
fn kubernetes_targets_agree_across_entry_points() {
    // 256 different targets (a third kept): the sorted entry point (no copy of the input, output built from
    // it directly), the pairs entry point, the plain path and the naive engine give the same result.
    let (fast, plain, naive) = kubernetes_pipelines();
    let (mut r, mut p) = (fast.relabeler(), plain.relabeler());
    let mut kept = 0;
    for t in k8s_targets(256) {
        let sorted = Labels::from_pairs(t.iter().map(|(n, v)| (n, v)));
        let expected = naive.apply(&t).map(Labels::from_pairs);
        let from_sorted = match r.apply_labels(&sorted) {
            Outcome::Dropped => None,
            Outcome::Unchanged => Some(sorted.clone()),
            Outcome::Changed(l) => Some(l),
        };
        assert_eq!(from_sorted, expected, "{sorted}");
        assert_eq!(render(r.apply(&t), &t), expected, "{sorted}");
        assert_eq!(render(p.apply(&t), &t), expected, "{sorted}");
        if let Some(l) = &from_sorted {
            kept += 1;
            // The output is a well-formed set: it prints and re-parses to itself.
            assert_eq!(&Labels::from_pairs(l.iter()), l);
        }
    }
    assert!(kept > 50 && kept < 200, "{kept} kept");
}
