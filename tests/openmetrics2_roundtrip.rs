//! OpenMetrics 2.0 round trip: random families (numbers, summaries, classic and native
//! histograms and gauge histograms; quoted names, escaped labels, timestamps, start
//! timestamps, exemplars) written by `openmetrics2::write`, parsed back: the same values.

use promtext::openmetrics2::NativeScratch;
use promtext::openmetrics2::write::{self, Exemplar, Line, Native, Value};
use promtext::protobuf::Series;
use promtext::{Event, MetricType, Settings};
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct Ex {
    labels: Vec<(String, String)>,
    value: f64,
    ts: i64,
}

#[derive(Clone, Debug)]
enum Val {
    Number(f64),
    Summary(f64, f64, Vec<(f64, f64)>),
    Classic(bool, f64, f64, Vec<(f64, f64)>),
    Native(bool, f64, f64, NativeModel),
}

#[derive(Clone, Debug)]
struct NativeModel {
    schema: i32,
    zt: f64,
    zc: f64,
    neg: (Vec<(i32, u32)>, Vec<f64>),
    pos: (Vec<(i32, u32)>, Vec<f64>),
    float: bool,
}

#[derive(Clone, Debug)]
struct LineModel {
    labels: Vec<(String, String)>,
    value: Val,
    ts: Option<i64>,
    st: Option<i64>,
    exemplars: Vec<Ex>,
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_]{0,8}",
        "[a-z]{1,4}\\.[a-z]{1,4}",
        "[a-z]{1,3}\u{e9}[a-z]{0,3}",
    ]
}

fn label_value() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z0-9 ]{0,6}", "[\"\\\\\n a-z#{}=,\u{e9}\u{1F600}]{0,8}"]
}

fn labels() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::btree_map(
        prop_oneof!["[a-km-pr-z][a-z0-9_]{0,5}", "[a-z]{1,3}\\.[a-z]{1,3}"],
        label_value(),
        0..3,
    )
    .prop_map(|m| m.into_iter().collect())
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-1000i32..1000).prop_map(f64::from),
        -1.0e6f64..1.0e6,
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(1e-7),
        Just(1.5e300),
    ]
}

fn count() -> impl Strategy<Value = f64> {
    prop_oneof![(0u32..100_000).prop_map(f64::from), 0.0f64..1e9]
}

fn ts() -> impl Strategy<Value = i64> {
    -2_000_000_000_000i64..4_000_000_000_000
}

fn exemplar() -> impl Strategy<Value = Ex> {
    (labels(), -1000.0f64..1000.0, ts()).prop_map(|(labels, value, ts)| Ex { labels, value, ts })
}

fn spans_and_counts(float: bool) -> impl Strategy<Value = (Vec<(i32, u32)>, Vec<f64>)> {
    proptest::collection::vec((0u32..4, 1u32..4), 0..3).prop_flat_map(move |gaps| {
        let spans: Vec<(i32, u32)> = gaps
            .iter()
            .enumerate()
            .map(|(i, &(g, l))| (if i == 0 { g as i32 - 2 } else { g as i32 }, l))
            .collect();
        let n: u32 = spans.iter().map(|s| s.1).sum();
        let counts = if float {
            proptest::collection::vec((0u32..1000).prop_map(|c| f64::from(c) + 0.5), n as usize)
                .boxed()
        } else {
            proptest::collection::vec((0u32..1000).prop_map(f64::from), n as usize).boxed()
        };
        (Just(spans), counts)
    })
}

fn native() -> impl Strategy<Value = NativeModel> {
    any::<bool>().prop_flat_map(|float| {
        (
            -4i32..=8,
            prop_oneof![Just(0.0), Just(1e-4), 0.0f64..1.0],
            (0u32..100).prop_map(move |c| f64::from(c) + if float { 0.25 } else { 0.0 }),
            spans_and_counts(float),
            spans_and_counts(float),
        )
            .prop_map(move |(schema, zt, zc, neg, pos)| NativeModel {
                schema,
                zt,
                zc,
                neg,
                pos,
                float,
            })
    })
}

fn thresholds(finite: usize) -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::btree_set(-1000i32..1000, 0..=finite).prop_map(|s| {
        let mut v: Vec<f64> = s.into_iter().map(|x| f64::from(x) / 8.0).collect();
        v.push(f64::INFINITY);
        v
    })
}

/// A family kind and the value of one of its lines.
fn value(kind: u8) -> BoxedStrategy<Val> {
    match kind {
        0..=2 => float().prop_map(Val::Number).boxed(),
        3 => (
            count(),
            float(),
            proptest::collection::btree_set(0u32..=100, 0..4),
        )
            .prop_map(|(c, s, q)| {
                Val::Summary(
                    c,
                    s,
                    q.into_iter().map(|q| (f64::from(q) / 100.0, 1.5)).collect(),
                )
            })
            .boxed(),
        4 | 5 => (count(), float(), thresholds(5))
            .prop_map(move |(c, s, t)| {
                let n = t.len();
                let b = t
                    .into_iter()
                    .enumerate()
                    .map(|(i, t)| (t, (i + 1) as f64))
                    .collect::<Vec<_>>();
                let _ = c;
                Val::Classic(kind == 5, n as f64, s, b)
            })
            .boxed(),
        _ => (count(), float(), native())
            .prop_map(move |(c, s, n)| {
                let c = if n.float { c + 0.5 } else { c.trunc() };
                Val::Native(kind == 7, c, s, n)
            })
            .boxed(),
    }
}

fn family() -> impl Strategy<Value = (String, u8, Vec<LineModel>)> {
    (name(), 0u8..8).prop_flat_map(|(name, kind)| {
        let line = (
            labels(),
            value(kind),
            proptest::option::of(ts()),
            proptest::option::of(ts()),
            proptest::collection::vec(exemplar(), 0..3),
        )
            .prop_map(|(labels, value, ts, st, exemplars)| LineModel {
                labels,
                value,
                ts,
                st,
                exemplars,
            });
        (
            Just(name),
            Just(kind),
            proptest::collection::vec(line, 1..3),
        )
    })
}

fn metric_type(kind: u8) -> MetricType {
    match kind {
        0 => MetricType::Counter,
        1 => MetricType::Gauge,
        2 => MetricType::Unknown,
        3 => MetricType::Summary,
        4 | 6 => MetricType::Histogram,
        _ => MetricType::GaugeHistogram,
    }
}

/// Milliseconds written as float seconds come back through Prometheus' `int64(s * 1000)`,
/// which truncates: one millisecond off at most.
fn near(a: Option<i64>, b: Option<i64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1,
        (a, b) => a == b,
    }
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

fn write_body(fams: &[(String, u8, Vec<LineModel>)]) -> String {
    let mut out = String::new();
    for (name, kind, lines) in fams {
        write::write_type(&mut out, name, metric_type(*kind));
        for l in lines {
            let labels: Vec<(&str, &str)> = l
                .labels
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect();
            let ex_labels: Vec<Vec<(&str, &str)>> = l
                .exemplars
                .iter()
                .map(|e| {
                    e.labels
                        .iter()
                        .map(|(a, b)| (a.as_str(), b.as_str()))
                        .collect()
                })
                .collect();
            let exemplars: Vec<Exemplar<'_>> = l
                .exemplars
                .iter()
                .zip(&ex_labels)
                .map(|(e, labels)| Exemplar {
                    labels,
                    value: e.value,
                    timestamp_ms: e.ts,
                })
                .collect();
            let value = match &l.value {
                Val::Number(v) => Value::Number(*v),
                Val::Summary(c, s, q) => Value::Summary {
                    count: *c,
                    sum: *s,
                    quantiles: q,
                },
                Val::Classic(g, c, s, b) => Value::Histogram {
                    gauge: *g,
                    count: *c,
                    sum: *s,
                    native: None,
                    buckets: Some(b),
                },
                Val::Native(g, c, s, n) => Value::Histogram {
                    gauge: *g,
                    count: *c,
                    sum: *s,
                    native: Some(Native {
                        schema: n.schema,
                        zero_threshold: n.zt,
                        zero_count: n.zc,
                        negative_spans: &n.neg.0,
                        negative: &n.neg.1,
                        positive_spans: &n.pos.0,
                        positive: &n.pos.1,
                        float: n.float,
                    }),
                    buckets: None,
                },
            };
            write::write_line(
                &mut out,
                name,
                &Line {
                    labels: &labels,
                    value,
                    timestamp_ms: l.ts,
                    start_timestamp_ms: l.st,
                    exemplars: &exemplars,
                },
            );
        }
    }
    write::write_eof(&mut out);
    out
}

fn labels_of<'a>(it: impl Iterator<Item = promtext::Label<'a>>) -> Vec<(String, String)> {
    it.map(|l| (l.name.into_owned(), l.value.into_owned()))
        .collect()
}

fn check_exemplars<'a>(
    got: impl Iterator<Item = promtext::Exemplar<'a>>,
    want: &[&Ex],
) -> Result<(), TestCaseError> {
    let got: Vec<_> = got.collect();
    prop_assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        prop_assert_eq!(labels_of(g.labels()), w.labels.clone());
        prop_assert!(same(g.value(), w.value));
        let ms = (g.timestamp().unwrap() * 1000.0).round() as i64;
        prop_assert!((ms - w.ts).abs() <= 1, "{} vs {}", ms, w.ts);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn written_bodies_parse_back(fams in proptest::collection::btree_map(name(), family(), 1..5)) {
        // One family per name (a name twice would be one interleaved family).
        let fams: Vec<(String, u8, Vec<LineModel>)> = fams.into_iter().map(|(n, (_, k, l))| (n, k, l)).collect();
        let body = write_body(&fams);
        let events: Vec<Event<'_>> = promtext::parse_with(body.as_bytes(), Settings::openmetrics2())
            .collect::<Result<_, _>>()
            .map_err(|e| TestCaseError::fail(format!("{e}\n{body}")))?;
        let mut it = events.iter().peekable();
        let mut scratch = NativeScratch::default();
        for (name, kind, lines) in &fams {
            let Some(Event::Type(t)) = it.next() else { return Err(TestCaseError::fail("type")) };
            prop_assert_eq!(t.name.replace("\\\"", "\"").replace("\\\\", "\\"), name.clone());
            for l in lines {
                let ts = l.ts;
                let st = l.st;
                match &l.value {
                    Val::Number(v) => {
                        let Some(Event::Series(s)) = it.next() else { return Err(TestCaseError::fail("number")) };
                        prop_assert_eq!(s.family_name().into_owned(), name.clone());
                        prop_assert_eq!(s.series(), Series::Value);
                        prop_assert_eq!(labels_of(s.labels()), l.labels.clone());
                        prop_assert!(same(s.value(), *v), "{} vs {}", s.value(), v);
                        prop_assert!(near(s.timestamp_ms(), ts));
                        prop_assert!(near(s.start_timestamp_ms(), st));
                        check_exemplars(s.exemplars(), &l.exemplars.iter().collect::<Vec<_>>())?;
                    }
                    Val::Summary(c, sum, q) | Val::Classic(_, c, sum, q) => {
                        let items = q.len();
                        let mut ex_seen = 0;
                        for k in 0..items + 2 {
                            let Some(Event::Series(s)) = it.next() else { return Err(TestCaseError::fail("series")) };
                            prop_assert_eq!(labels_of(s.metric_labels()), l.labels.clone());
                            prop_assert!(near(s.timestamp_ms(), ts));
                            prop_assert!(near(s.start_timestamp_ms(), st));
                            match k {
                                0 => { prop_assert_eq!(s.series(), Series::Count); prop_assert!(same(s.value(), *c)); }
                                1 => { prop_assert_eq!(s.series(), Series::Sum); prop_assert!(same(s.value(), *sum)); }
                                _ => {
                                    let (b, v) = q[k - 2];
                                    prop_assert!(same(s.bound(), b), "{} vs {}", s.bound(), b);
                                    prop_assert!(same(s.value(), v));
                                    prop_assert_eq!(s.metric_type(), metric_type(*kind));
                                    ex_seen += s.exemplars().count();
                                }
                            }
                        }
                        if matches!(l.value, Val::Classic(..)) {
                            // Every exemplar falls in one bucket (the last is +Inf).
                            prop_assert_eq!(ex_seen, l.exemplars.len());
                        }
                    }
                    Val::Native(g, c, sum, n) => {
                        let Some(Event::Histogram(h)) = it.next() else { return Err(TestCaseError::fail("histogram")) };
                        let nh = h.native(&mut scratch);
                        prop_assert_eq!(nh.is_gauge(), *g);
                        prop_assert_eq!(nh.schema(), n.schema);
                        prop_assert_eq!(nh.is_float(), n.float);
                        prop_assert!(same(nh.count(), *c));
                        prop_assert!(same(nh.sum(), *sum));
                        prop_assert!(same(nh.zero_threshold(), n.zt));
                        prop_assert!(same(nh.zero_count(), n.zc));
                        prop_assert_eq!(nh.positive_spans().collect::<Vec<_>>(), n.pos.0.clone());
                        prop_assert_eq!(nh.negative_spans().collect::<Vec<_>>(), n.neg.0.clone());
                        prop_assert_eq!(nh.positive_buckets().map(|b| b.count).collect::<Vec<_>>(), n.pos.1.clone());
                        prop_assert_eq!(nh.negative_buckets().map(|b| b.count).collect::<Vec<_>>(), n.neg.1.clone());
                        prop_assert!(near(nh.timestamp_ms(), ts));
                        prop_assert!(near(nh.start_timestamp_ms(), st));
                        prop_assert_eq!(nh.labels().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>(), l.labels.clone());
                        prop_assert_eq!(nh.exemplars().count(), l.exemplars.len());
                    }
                }
            }
        }
        prop_assert!(matches!(it.next(), Some(Event::Eof(_))));
        prop_assert!(it.next().is_none());
    }
}
