//! Writer round trip: families → write → parse → families, equal (escapes, UTF-8 names,
//! NaN/±Inf, timestamps, empty label sets).

use promtext::MetricType;
use promtext::family::{MetricFamily, OwnedSample, collect_families, sample_suffixes};
use promtext::write::{Format, write_families};
use proptest::prelude::*;

#[path = "support/strategies.rs"]
mod strategies;
use strategies::{float_value, text, unique_labels};

fn metric_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z_:][a-zA-Z0-9_:]{0,10}",
        1 => "[a-z]{1,4}\\.[a-z]{1,4}",
        1 => any::<String>().prop_filter("non-empty", |s| !s.is_empty()).prop_map(|s| s.chars().take(8).collect()),
    ]
}

fn label_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z_][a-zA-Z0-9_]{0,8}",
        1 => "[a-z]{1,3}\\.[a-z]{1,3}",
        1 => text(),
    ]
}

fn labels() -> impl Strategy<Value = Vec<(String, String)>> {
    unique_labels(label_name(), 5)
}

fn family() -> impl Strategy<Value = MetricFamily> {
    let types = prop_oneof![
        Just(MetricType::Counter),
        Just(MetricType::Gauge),
        Just(MetricType::Histogram),
        Just(MetricType::Summary),
        Just(MetricType::Unknown),
    ];
    (
        metric_name(),
        types,
        prop::option::of(text()),
        prop::collection::vec(
            (
                0usize..5,
                labels(),
                float_value(),
                prop::option::of(prop_oneof![0i64..=i64::MAX, Just(0), Just(i64::MAX)]),
            ),
            0..5,
        ),
    )
        .prop_map(|(name, t, help, samples)| {
            let mut suffixes = vec![String::new()];
            suffixes.extend(sample_suffixes(t).iter().map(|s| s.to_string()));
            let samples = samples
                .into_iter()
                .map(|(k, labels, v, ts)| {
                    let mut s = OwnedSample::new(
                        format!("{name}{}", suffixes[k % suffixes.len()]),
                        labels,
                        v,
                    );
                    s.timestamp_ms = ts;
                    s
                })
                .collect();
            MetricFamily {
                name,
                metric_type: t,
                help,
                unit: None,
                samples,
            }
        })
}

fn families() -> impl Strategy<Value = Vec<MetricFamily>> {
    prop::collection::vec(family(), 0..6).prop_map(|mut v| {
        // Family names must be unique and must not be another family's sample name.
        let mut taken: Vec<String> = Vec::new();
        v.retain(|f| {
            let clash = taken
                .iter()
                .any(|t| t == &f.name || f.samples.iter().any(|s| &s.name == t));
            let own: Vec<String> = std::iter::once(f.name.clone())
                .chain(f.samples.iter().map(|s| s.name.clone()))
                .collect();
            let clash = clash
                || v_names_overlap(&taken, &own)
                || own.iter().any(|n| {
                    taken
                        .iter()
                        .any(|t| n.starts_with(t.as_str()) || t.starts_with(n.as_str()))
                });
            if !clash {
                taken.extend(own);
            }
            !clash
        });
        v
    })
}

fn v_names_overlap(a: &[String], b: &[String]) -> bool {
    a.iter().any(|x| b.contains(x))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn prometheus_text_round_trips(fams in families()) {
        let mut out = String::new();
        write_families(&mut out, Format::Prometheus, &fams);
        let back = collect_families(promtext::parse_str(&out));
        prop_assert!(back.is_ok(), "{:?}\n{}", back, out);
        prop_assert_eq!(back.unwrap(), fams, "{}", out);
    }

    #[test]
    fn written_events_reparse_identically(fams in families()) {
        // parse → write_event → parse gives the same owned samples.
        let mut first = String::new();
        write_families(&mut first, Format::Prometheus, &fams);
        let mut second = String::new();
        for ev in promtext::parse_str(&first) {
            promtext::write::write_event(&mut second, Format::Prometheus, &ev.unwrap());
        }
        let a = collect_families(promtext::parse_str(&first)).unwrap();
        let b = collect_families(promtext::parse_str(&second)).unwrap();
        prop_assert_eq!(a, b);
    }
}

#[test]
fn negative_timestamps_round_trip_under_lenient() {
    let mut f = MetricFamily::new("a", MetricType::Gauge);
    for ts in [-1, i64::MIN, -3982045] {
        let mut s = OwnedSample::new("a", vec![], 1.0);
        s.timestamp_ms = Some(ts);
        f.samples.push(s);
    }
    let mut out = String::new();
    write_families(&mut out, Format::Prometheus, std::slice::from_ref(&f));
    assert!(
        collect_families(promtext::parse_str(&out)).is_err(),
        "the default dialect rejects signed timestamps"
    );
    let back = collect_families(promtext::parse_with(
        out.as_bytes(),
        promtext::Settings::default().lenient(true),
    ))
    .unwrap();
    assert_eq!(back, [f]);
}
