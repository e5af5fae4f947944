//! prost as the oracle: our zero-copy reader and prost's owned decode, presented the way
//! Prometheus presents protobuf, agree on generated bodies (encoded by our writer and by prost)
//! and on arbitrary bytes; the same data as text and as protobuf yields the same series, on
//! generated families and on the real Envoy corpus converted to protobuf.

mod common;
#[path = "support/pb.rs"]
mod pb;
#[path = "support/prost_model.rs"]
mod prost_model;

use promtext::MetricType;
use promtext::protobuf::write::{self, ClassicBucket, Family, Metric, Native, Value};
use promtext::protobuf::{Event, Parser, Settings};
use promtext::{ErrorKind, go};
use proptest::prelude::*;

/// Ours, rendered; `Err` with the error kind and message.
fn ours(body: &[u8], classic: bool) -> Result<Vec<String>, (ErrorKind, String)> {
    let mut out = Vec::new();
    for ev in Parser::new(body, Settings::default().classic_histograms(classic)) {
        match ev {
            Ok(e) => out.push(pb::render(&e)),
            Err(e) => return Err((e.kind(), e.message().to_string())),
        }
    }
    Ok(out)
}

fn oracle(body: &[u8], classic: bool) -> Result<Vec<String>, prost::DecodeError> {
    prost_model::decode_body(body).map(|f| prost_model::render(&f, classic))
}

/// Our writer's model in prost's.
fn to_prost(f: &Family) -> prost_model::MetricFamily {
    use prost_model as p;
    let ts = |ms: i64| p::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    };
    let lp = |l: &[(String, String)]| {
        l.iter()
            .map(|(n, v)| p::LabelPair {
                name: n.clone(),
                value: v.clone(),
            })
            .collect::<Vec<_>>()
    };
    let ex = |e: &write::Exemplar| p::Exemplar {
        label: lp(&e.labels),
        value: e.value,
        timestamp: e.timestamp_ms.map(ts),
    };
    let t = match f.metric_type {
        MetricType::Counter => 0,
        MetricType::Gauge => 1,
        MetricType::Summary => 2,
        MetricType::Histogram => 4,
        MetricType::GaugeHistogram => 5,
        _ => 3,
    };
    let metric = f
        .metrics
        .iter()
        .map(|m| {
            let mut out = p::Metric {
                label: lp(&m.labels),
                timestamp_ms: m.timestamp_ms.unwrap_or(0),
                ..Default::default()
            };
            match (&m.value, t) {
                (Value::Scalar(v), 0) => {
                    out.counter = Some(p::Counter {
                        value: *v,
                        exemplar: m.exemplar.as_ref().map(ex),
                        start_timestamp: m.start_timestamp_ms.map(ts),
                    })
                }
                (Value::Scalar(v), 1) => out.gauge = Some(p::Gauge { value: *v }),
                (Value::Scalar(v), _) => out.untyped = Some(p::Untyped { value: *v }),
                (Value::Summary(c, s, q), _) => {
                    out.summary = Some(p::Summary {
                        sample_count: *c,
                        sample_sum: *s,
                        quantile: q
                            .iter()
                            .map(|&(quantile, value)| p::Quantile { quantile, value })
                            .collect(),
                        start_timestamp: m.start_timestamp_ms.map(ts),
                    })
                }
                (Value::Histogram(c, s, b, n), _) => {
                    let float = n.as_ref().is_some_and(|n| n.float);
                    let uint =
                        |v: f64| (v >= 0.0 && v.fract() == 0.0 && v < 1.8e19).then_some(v as u64);
                    let mut h = p::Histogram {
                        sample_sum: *s,
                        start_timestamp: m.start_timestamp_ms.map(ts),
                        bucket: b
                            .iter()
                            .map(|b| p::Bucket {
                                cumulative_count: uint(b.count).unwrap_or(0),
                                cumulative_count_float: if uint(b.count).is_some() {
                                    0.0
                                } else {
                                    b.count
                                },
                                upper_bound: b.upper,
                                exemplar: b.exemplar.as_ref().map(ex),
                            })
                            .collect(),
                        ..Default::default()
                    };
                    if float {
                        h.sample_count_float = *c;
                    } else if let Some(u) = uint(*c) {
                        h.sample_count = u;
                    } else {
                        h.sample_count_float = *c;
                    }
                    if let Some(n) = n {
                        h.schema = n.schema;
                        h.zero_threshold = n.zero_threshold;
                        if float {
                            h.zero_count_float = n.zero_count;
                        } else {
                            h.zero_count = n.zero_count as u64;
                        }
                        let spans = |s: &[(i32, u32)]| {
                            s.iter()
                                .map(|&(offset, length)| p::BucketSpan { offset, length })
                                .collect::<Vec<_>>()
                        };
                        let deltas = |c: &[f64]| {
                            let mut prev = 0i64;
                            c.iter()
                                .map(|&x| {
                                    let d = (x as i64).wrapping_sub(prev);
                                    prev = x as i64;
                                    d
                                })
                                .collect::<Vec<_>>()
                        };
                        h.positive_span = spans(&n.positive_spans);
                        h.negative_span = spans(&n.negative_spans);
                        if float {
                            h.positive_count = n.positive.clone();
                            h.negative_count = n.negative.clone();
                        } else {
                            h.positive_delta = deltas(&n.positive);
                            h.negative_delta = deltas(&n.negative);
                        }
                        h.exemplars = n.exemplars.iter().map(ex).collect();
                    }
                    out.histogram = Some(h);
                }
            }
            out
        })
        .collect();
    p::MetricFamily {
        name: f.name.clone(),
        help: f.help.clone(),
        r#type: t,
        metric,
        unit: f.unit.clone(),
    }
}

fn arb_labels() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec(("[a-z][a-z_]{0,4}", "\\PC{0,6}"), 0..4)
}

fn arb_exemplar() -> impl Strategy<Value = Option<write::Exemplar>> {
    proptest::option::of(
        (
            arb_labels(),
            any::<f64>(),
            proptest::option::of(-1_000_000_000_000i64..4_000_000_000_000),
        )
            .prop_map(|(labels, value, timestamp_ms)| write::Exemplar {
                labels,
                value,
                timestamp_ms,
            }),
    )
}

/// A native histogram that passes validation: spans and counts agree, counts add up.
fn arb_native() -> impl Strategy<Value = Native> {
    let side = || {
        (
            -6i32..6,
            proptest::collection::vec((0i32..3, 0u32..4), 0..3),
            proptest::collection::vec(0u32..50, 0..12),
        )
            .prop_map(|(first, rest, pool)| {
                let mut spans = Vec::new();
                if !rest.is_empty() {
                    spans.push((first, rest[0].1));
                    spans.extend(rest[1..].iter().copied());
                }
                let n: u32 = spans.iter().map(|s| s.1).sum();
                let counts: Vec<f64> = (0..n as usize)
                    .map(|i| *pool.get(i).unwrap_or(&1) as f64)
                    .collect();
                (spans, counts)
            })
    };
    (
        -4i32..=8,
        side(),
        side(),
        0u32..5,
        prop_oneof![Just(0.0), 1e-9..1e-3f64],
        any::<bool>(),
        -1e6..1e6f64,
        proptest::collection::vec(arb_exemplar(), 0..2),
    )
        .prop_map(|(schema, (ps, pc), (ns, nc), zc, zt, float, sum, ex)| {
            let mut n = Native::new(schema);
            n.zero_threshold = zt;
            n.zero_count = zc as f64;
            n.count = pc.iter().sum::<f64>() + nc.iter().sum::<f64>() + zc as f64;
            n.sum = sum;
            n.float = float && n.count > 0.0;
            n.positive_spans = if ps.is_empty() && zt == 0.0 && zc == 0 {
                vec![(0, 0)]
            } else {
                ps
            };
            n.positive = pc;
            n.negative_spans = ns;
            n.negative = nc;
            n.exemplars = ex.into_iter().flatten().collect();
            n
        })
}

fn arb_family() -> impl Strategy<Value = Family> {
    let kind = 0u8..6;
    (
        kind,
        "[a-z_][a-z0-9_]{0,8}",
        "\\PC{0,12}",
        prop_oneof![Just(String::new()), "[a-z]{1,5}".prop_map(|s| s)],
    )
        .prop_flat_map(|(kind, name, help, unit)| {
            let metric = (
                arb_labels(),
                any::<f64>(),
                proptest::option::of(-10_000_000_000i64..10_000_000_000),
                proptest::option::of(0i64..4_000_000_000_000),
                arb_exemplar(),
                proptest::collection::vec((any::<f64>(), 0u32..1000), 0..5),
                0u64..10_000,
                proptest::option::of(arb_native()),
            )
                .prop_map(move |(labels, v, ts, st, exm, items, count, native)| {
                    let mut m = Metric::new(&[]);
                    m.labels = labels;
                    m.timestamp_ms = ts;
                    m.start_timestamp_ms = st;
                    m.value = match kind {
                        2 => Value::Summary(
                            count,
                            v,
                            items.iter().map(|&(q, x)| (q, x as f64)).collect(),
                        ),
                        4 | 5 => Value::Histogram(
                            count as f64,
                            v,
                            items
                                .iter()
                                .map(|&(u, c)| ClassicBucket {
                                    upper: u,
                                    count: c as f64,
                                    exemplar: None,
                                })
                                .collect(),
                            None,
                        ),
                        _ => Value::Scalar(v),
                    };
                    if kind == 0 {
                        m.exemplar = exm;
                    } else if kind == 4 || kind == 5 {
                        if let Some(n) = native {
                            m = m.native(n);
                        }
                    }
                    m
                });
            proptest::collection::vec(metric, 0..4).prop_map(move |metrics| {
                let t = KINDS[kind as usize];
                let mut f = Family::new(&name, &help, t);
                f.unit = unit.clone();
                f.metrics = metrics;
                f
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Our writer's bodies and prost's encoding of the same families: both read the same,
    /// and as prost reads them.
    #[test]
    fn ours_agrees_with_prost_on_generated_bodies(fams in proptest::collection::vec(arb_family(), 0..5), classic in any::<bool>()) {
        let body = write::encode_families(&fams);
        let want = oracle(&body, classic).expect("prost decodes our writer's body");
        prop_assert_eq!(ours(&body, classic).map_err(|e| e.1), Ok(want));
        // prost's encoding (which drops defaults such as -0.0, packs differently, orders
        // fields by tag).
        let prost_fams: Vec<_> = fams.iter().map(to_prost).collect();
        let pbody = prost_model::encode_body(&prost_fams);
        let want = oracle(&pbody, classic).expect("prost decodes its own body");
        prop_assert_eq!(ours(&pbody, classic).map_err(|e| e.1), Ok(want));
    }

    /// Arbitrary bytes, and generated bodies with bytes flipped: where prost decodes and we
    /// accept, the events agree; where prost decodes and we refuse, it is for one of
    /// Prometheus' semantic rules, a repeated singular message (prost merges those) or bytes
    /// that read as text (a family without a name whose bytes are printable).
    #[test]
    fn ours_agrees_with_prost_on_damaged_bodies(
        fams in proptest::collection::vec(arb_family(), 1..3),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        junk in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut body = write::encode_families(&fams);
        for (i, b) in flips {
            let i = i.index(body.len());
            body[i] = b;
        }
        for b in [&body[..], &junk[..]] {
            check_against_prost(b);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Metrics, labels and names past 127 bytes (two-byte lengths, read without the field
    /// walker), the first metric's labels validated with or apart from the family's name: as
    /// prost reads them, and where bytes are flipped, agreeing where both accept.
    #[test]
    fn long_metrics_agree_with_prost(
        fams in proptest::collection::vec(arb_family(), 1..4),
        long in "[a-z]{0,40}\\PC{0,3}[a-z]{100,300}",
        first in any::<bool>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
    ) {
        let mut fams = fams;
        for f in &mut fams {
            if first {
                f.name.push_str(&long[..long.len().min(60)].replace(|c: char| !c.is_ascii_lowercase(), "_"));
            }
            for (k, m) in f.metrics.iter_mut().enumerate() {
                let at = if first { 0 } else { m.labels.len() };
                m.labels.insert(at, (format!("long{k}"), long.clone()));
            }
        }
        let body = write::encode_families(&fams);
        let want = oracle(&body, false).expect("prost decodes our writer's body");
        prop_assert_eq!(ours(&body, false).map_err(|e| e.1), Ok(want));
        let mut body = body;
        for (i, b) in flips {
            let i = i.index(body.len());
            body[i] = b;
        }
        check_against_prost(&body);
    }
}

/// Every event and the error, with its offset, under `settings`.
fn all_events(body: &[u8], settings: Settings) -> Vec<String> {
    Parser::new(body, settings)
        .map(|ev| match ev {
            Ok(e) => pb::render(&e),
            Err(e) => format!("error {:?} {} at {}", e.kind(), e.message(), e.offset()),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The reader's shortcut for a counter, gauge or untyped metric in the common encoding
    /// against the full metric reader (which label limits that never trip go through): the
    /// same events and errors, on generated bodies and with bytes flipped.
    #[test]
    fn scalar_shortcut_agrees_with_the_metric_reader(
        fams in proptest::collection::vec(arb_family(), 1..4),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
    ) {
        let mut body = write::encode_families(&fams);
        let limits = promtext::LabelLimits { labels: usize::MAX, name_len: usize::MAX, value_len: usize::MAX };
        let plain = Settings::default().label_limits(limits);
        prop_assert_eq!(all_events(&body, Settings::default()), all_events(&body, plain.clone()));
        for (i, b) in flips {
            let i = i.index(body.len());
            body[i] = b;
        }
        prop_assert_eq!(all_events(&body, Settings::default()), all_events(&body, plain));
    }
}

fn check_against_prost(body: &[u8]) {
    let (Ok(want), got) = (oracle(body, false), ours(body, false)) else {
        return;
    };
    match got {
        Ok(got) => assert_eq!(got, want, "{body:02x?}"),
        Err((kind, msg)) => assert!(
            matches!(
                kind,
                ErrorKind::InvalidName
                    | ErrorKind::InvalidType
                    | ErrorKind::InvalidHistogram
                    | ErrorKind::MixedFormat
            ) || msg.contains("repeated (a singular message)"),
            "prost decodes, we fail with {kind:?} {msg}: {body:02x?}"
        ),
    }
}

/// A series as both formats present it: name, sorted labels (le/quantile normalised), value
/// bits (NaNs equal), timestamp.
type Key = (String, Vec<(String, String)>, u64, Option<i64>);

/// The family types the strategies pick from, by index.
const KINDS: [MetricType; 6] = [
    MetricType::Counter,
    MetricType::Gauge,
    MetricType::Summary,
    MetricType::Unknown,
    MetricType::Histogram,
    MetricType::GaugeHistogram,
];

fn bits(v: f64) -> u64 {
    if v.is_nan() {
        f64::NAN.to_bits()
    } else {
        v.to_bits()
    }
}

/// A sample's [`Key`], its labels sorted.
fn key(name: String, mut labels: Vec<(String, String)>, value: f64, ts: Option<i64>) -> Key {
    labels.sort();
    (name, labels, bits(value), ts)
}

fn text_series(body: &[u8]) -> Vec<Key> {
    let mut out = Vec::new();
    for ev in promtext::parse(body) {
        if let promtext::Event::Sample(s) = ev.expect("text parses") {
            let labels: Vec<(String, String)> = s
                .labels()
                .map(|l| {
                    let v = if l.name == "le" || l.name == "quantile" {
                        go::normalize_le_quantile(&l.value).into_owned()
                    } else {
                        l.value.into_owned()
                    };
                    (l.name.into_owned(), v)
                })
                .collect();
            out.push(key(
                s.name().into_owned(),
                labels,
                s.value(),
                s.timestamp_ms(),
            ));
        }
    }
    out.sort();
    out
}

fn pb_series(body: &[u8]) -> Vec<Key> {
    let mut out = Vec::new();
    for ev in Parser::new(body, Settings::default()) {
        if let Event::Sample(s) = ev.expect("protobuf parses") {
            let labels: Vec<(String, String)> = s
                .labels()
                .map(|l| (l.name.into_owned(), l.value.into_owned()))
                .collect();
            out.push(key(
                s.name().to_string(),
                labels,
                s.value(),
                s.timestamp_ms(),
            ));
        }
    }
    out.sort();
    out
}

fn text_to_protobuf(text: &[u8]) -> Vec<u8> {
    let fams = promtext::family::collect_families(promtext::parse(text)).expect("text parses");
    write::encode_families(&write::from_text(&fams))
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Renders families as Prometheus text (classic histograms with their +Inf bucket).
fn to_text(fams: &[Family]) -> String {
    let mut out = String::new();
    for f in fams {
        let t = f.metric_type.as_prometheus_str().unwrap_or("untyped");
        out.push_str(&format!(
            "# HELP {} {}\n# TYPE {} {t}\n",
            f.name,
            f.help.replace('\\', "\\\\").replace('\n', "\\n"),
            f.name
        ));
        for m in &f.metrics {
            let ls = |extra: Option<(&str, f64)>| {
                let mut l: Vec<String> = m
                    .labels
                    .iter()
                    .map(|(n, v)| format!("{n}=\"{}\"", escape(v)))
                    .collect();
                if let Some((n, v)) = extra {
                    l.push(format!("{n}=\"{}\"", go::format_go_g(v)));
                }
                format!("{{{}}}", l.join(","))
            };
            let ts = m
                .timestamp_ms
                .filter(|&t| t != 0)
                .map(|t| format!(" {t}"))
                .unwrap_or_default();
            let mut line = |suffix: &str, extra: Option<(&str, f64)>, v: f64| {
                out.push_str(&format!(
                    "{}{suffix}{} {}{ts}\n",
                    f.name,
                    ls(extra),
                    go::format_go_g(v)
                ));
            };
            match &m.value {
                Value::Scalar(v) => line("", None, *v),
                Value::Summary(c, s, q) => {
                    for &(q, v) in q {
                        line("", Some(("quantile", q)), v);
                    }
                    line("_sum", None, *s);
                    line("_count", None, *c as f64);
                }
                Value::Histogram(c, s, b, _) => {
                    for b in b {
                        line("_bucket", Some(("le", b.upper)), b.count);
                    }
                    line("_sum", None, *s);
                    line("_count", None, *c);
                }
            }
        }
    }
    out
}

fn arb_text_family(i: usize) -> impl Strategy<Value = Family> {
    let metric = |kind: u8| {
        (
            proptest::collection::vec(("[a-z][a-z0-9_]{0,3}", "\\PC{0,5}"), 0..3),
            prop_oneof![any::<f64>(), (-1000i64..1000).prop_map(|x| x as f64)],
            proptest::option::of(1i64..4_000_000_000_000),
            proptest::collection::btree_set(-100i32..100, 0..4),
            proptest::collection::vec(0u32..20, 4),
        )
            .prop_map(move |(mut labels, v, ts, bounds, counts)| {
                // Label names unique and not the ones the types reserve.
                labels.sort_by(|a, b| a.0.cmp(&b.0));
                labels.dedup_by(|a, b| a.0 == b.0);
                labels.retain(|(n, _)| n != "le" && n != "quantile");
                let mut m = Metric::new(&[]);
                m.labels = labels;
                m.timestamp_ms = ts;
                let mut run = 0.0;
                let items: Vec<(f64, f64)> = bounds
                    .iter()
                    .zip(&counts)
                    .map(|(&b, &c)| {
                        run += c as f64;
                        (b as f64 / 8.0, run)
                    })
                    .collect();
                m.value = match kind {
                    2 => Value::Summary(
                        run as u64,
                        v,
                        items.iter().map(|&(q, x)| (q.abs() / 16.0, x)).collect(),
                    ),
                    4 => {
                        let mut b: Vec<ClassicBucket> = items
                            .iter()
                            .map(|&(u, c)| ClassicBucket {
                                upper: u,
                                count: c,
                                exemplar: None,
                            })
                            .collect();
                        b.push(ClassicBucket {
                            upper: f64::INFINITY,
                            count: run + 1.0,
                            exemplar: None,
                        });
                        Value::Histogram(run + 1.0, v, b, None)
                    }
                    _ => Value::Scalar(v),
                };
                m
            })
    };
    (
        prop_oneof![Just(0u8), Just(1), Just(2), Just(3), Just(4)],
        "[a-z]{1,4}",
        "[ -~]{0,10}",
    )
        .prop_flat_map(move |(kind, name, help)| {
            let name = format!("f{i}_{name}");
            proptest::collection::vec(metric(kind), 0..4).prop_map(move |mut metrics| {
                // One metric per label set, as a family groups them.
                metrics.sort_by(|a, b| a.labels.cmp(&b.labels));
                metrics.dedup_by(|a, b| a.labels == b.labels);
                let t = KINDS[kind as usize];
                let mut f = Family::new(&name, &help, t);
                f.metrics = metrics;
                f
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The same data as text and as protobuf: identical series and values.
    #[test]
    fn text_and_protobuf_yield_the_same_series(fams in (arb_text_family(0), arb_text_family(1), arb_text_family(2))) {
        let fams = [fams.0, fams.1, fams.2];
        let text = to_text(&fams);
        let from_text = text_series(text.as_bytes());
        // Converted from the parsed text, and encoded straight from the model.
        prop_assert_eq!(&pb_series(&text_to_protobuf(text.as_bytes())), &from_text, "{}", text);
        prop_assert_eq!(&pb_series(&write::encode_families(&fams)), &from_text, "{}", text);
    }
}

#[test]
fn the_envoy_corpus_agrees_as_protobuf() {
    let Some(root) = common::shared("corpus/envoy") else {
        return;
    };
    let mut files = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "prom") {
            continue;
        }
        let text = std::fs::read(&path).unwrap();
        let body = text_to_protobuf(&text);
        let t = text_series(&text);
        let p = pb_series(&body);
        assert_eq!(t.len(), p.len(), "{}", path.display());
        for (a, b) in t.iter().zip(&p) {
            assert_eq!(a, b, "{}", path.display());
        }
        // And prost reads the converted body as we do.
        assert_eq!(
            ours(&body, false).unwrap(),
            oracle(&body, false).unwrap(),
            "{}",
            path.display()
        );
        eprintln!(
            "{}: {} series, text {} bytes, protobuf {} bytes ({:.0}%)",
            path.file_name().unwrap().to_string_lossy(),
            t.len(),
            text.len(),
            body.len(),
            100.0 * body.len() as f64 / text.len() as f64
        );
        files += 1;
    }
    assert!(files >= 5, "{files} corpus files");
}

/// The generator's bodies (classic, and native as Envoy's `prometheusnative`): text and
/// protobuf agree, and prost reads them as we do.
#[test]
fn generated_envoy_and_istio_agree() {
    use promtext_gen::{GenConfig, Profile, generate_protobuf};
    for profile in [
        Profile::Envoy,
        Profile::EnvoyUngrouped,
        Profile::Istio,
        Profile::Istio15020,
    ] {
        let config = GenConfig::new(profile).target_bytes(200 << 10);
        let (body, text) = generate_protobuf(&config, false);
        assert_eq!(
            pb_series(&body),
            text_series(text.text.as_bytes()),
            "{profile:?}"
        );
        let (native, _) = generate_protobuf(&config, true);
        let got = ours(&native, false).unwrap();
        assert_eq!(got, oracle(&native, false).unwrap(), "{profile:?}");
        if profile != Profile::Istio15020 {
            assert!(got.iter().any(|l| l.starts_with('N')), "{profile:?}");
        }
    }
}
