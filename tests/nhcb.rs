//! Classic histograms converted to native histograms with custom buckets: Prometheus' NHCB
//! parser cases (model/textparse/nhcbparse_test.go), the same histogram from text, OpenMetrics
//! and protobuf, a property test against a plain model, and chunking.

use promtext::nhcb::{Converter, Event as NEvent, Parser as NParser};
use promtext::protobuf::write::{
    ClassicBucket, Exemplar, Family, Metric, Native, Value, encode_families,
};
use promtext::protobuf::{self, NativeHistogram};
use promtext::{ChunkParser, Dialect, Event, Settings};
use proptest::prelude::*;

type Labels = Vec<(String, String)>;

/// A converted histogram, owned.
#[derive(Clone, Debug, PartialEq)]
struct H {
    name: String,
    labels: Labels,
    gauge: bool,
    schema: i32,
    float: bool,
    count: f64,
    sum: f64,
    spans: Vec<(i32, u32)>,
    /// `(index, lower, upper, count)`.
    buckets: Vec<(i32, f64, f64, f64)>,
    custom: Vec<f64>,
    exemplars: Vec<(Labels, f64, Option<i64>)>,
    ts: Option<i64>,
    start: Option<i64>,
}

fn own(h: &NativeHistogram<'_>) -> H {
    let mut labels: Labels = h
        .labels()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    labels.sort();
    H {
        name: h.name().to_string(),
        labels,
        gauge: h.is_gauge(),
        schema: h.schema(),
        float: h.is_float(),
        count: h.count(),
        sum: h.sum(),
        spans: h.positive_spans().collect(),
        buckets: h
            .positive_buckets()
            .map(|b| (b.index, b.lower, b.upper, b.count))
            .collect(),
        custom: h.custom_values().to_vec(),
        exemplars: h
            .exemplars()
            .map(|e| {
                (
                    e.labels()
                        .map(|(n, v)| (n.to_string(), v.to_string()))
                        .collect(),
                    e.value(),
                    e.timestamp_ms(),
                )
            })
            .collect(),
        ts: h.timestamp_ms(),
        start: h.start_timestamp_ms(),
    }
}

/// What comes out: a series (name, sorted labels, value), a histogram, or metadata.
#[derive(Clone, Debug, PartialEq)]
enum Out {
    S(String, Labels, f64),
    H(H),
    Meta,
}

fn text_out(ev: &Event<'_>) -> Out {
    match ev {
        Event::Sample(s) => {
            let mut l: Labels = s
                .labels()
                .map(|l| (l.name.into_owned(), l.value.into_owned()))
                .collect();
            l.sort();
            Out::S(s.name().into_owned(), l, s.value())
        }
        _ => Out::Meta,
    }
}

/// A whole text body through [`NParser`].
fn text(body: &str, dialect: Dialect, keep: bool) -> Vec<Out> {
    let mut p = NParser::new(
        promtext::parse_with(body.as_bytes(), Settings::default().dialect(dialect)),
        keep,
    );
    let mut out = vec![];
    while let Some(ev) = p.next_event() {
        out.push(match ev.unwrap() {
            NEvent::Text(ev) => text_out(&ev),
            NEvent::Histogram(h) => Out::H(own(&h)),
            _ => unreachable!(),
        });
    }
    out
}

/// A text body fed in `chunk`-byte chunks through [`Converter::push`].
fn text_chunked(body: &str, dialect: Dialect, keep: bool, chunk: usize) -> Vec<Out> {
    let mut p = ChunkParser::new(Settings::default().dialect(dialect));
    let mut c = Converter::new(keep);
    let mut out = vec![];
    let take = |ev: Event<'_>, c: &mut Converter, out: &mut Vec<Out>| {
        let a = c.push(&ev);
        if a.histogram {
            out.push(Out::H(own(&c.histogram().unwrap())));
        }
        if a.event {
            out.push(text_out(&ev));
        }
    };
    for ch in body.as_bytes().chunks(chunk.max(1)) {
        for ev in p.feed(ch) {
            take(ev.unwrap(), &mut c, &mut out);
        }
    }
    for ev in p.finish() {
        take(ev.unwrap(), &mut c, &mut out);
    }
    if c.finish() {
        out.push(Out::H(own(&c.histogram().unwrap())));
    }
    out
}

/// A protobuf body through the chunk reader (classic series on) and [`Converter::push_protobuf`].
fn pb(body: &[u8], native: bool, keep: bool, chunk: usize) -> Result<Vec<Out>, promtext::Error> {
    let settings = protobuf::Settings::default()
        .classic_histograms(true)
        .native_histograms(native);
    let mut p = protobuf::ChunkParser::new(settings);
    let mut c = Converter::new(keep);
    let mut out = vec![];
    let take = |ev: protobuf::Event<'_>, c: &mut Converter, out: &mut Vec<Out>| {
        let a = c.push_protobuf(&ev)?;
        if a.histogram {
            out.push(Out::H(own(&c.histogram().unwrap())));
        }
        if a.event {
            out.push(match &ev {
                protobuf::Event::Sample(s) => {
                    let mut l: Labels = s
                        .labels()
                        .map(|l| (l.name.into_owned(), l.value.into_owned()))
                        .collect();
                    l.sort();
                    Out::S(s.name().to_string(), l, s.value())
                }
                protobuf::Event::Histogram(h) => Out::H(own(h)),
                _ => Out::Meta,
            });
        }
        Ok::<(), promtext::Error>(())
    };
    for ch in body.chunks(chunk.max(1)) {
        for ev in p.feed(ch) {
            take(ev?, &mut c, &mut out)?;
        }
    }
    p.finish()?;
    if c.finish_protobuf()? {
        out.push(Out::H(own(&c.histogram().unwrap())));
    }
    Ok(out)
}

fn hists(out: &[Out]) -> Vec<H> {
    out.iter()
        .filter_map(|o| match o {
            Out::H(h) => Some(h.clone()),
            _ => None,
        })
        .collect()
}

fn series(out: &[Out]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            Out::S(n, l, _) => Some(format!(
                "{n}{{{}}}",
                l.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            )),
            _ => None,
        })
        .collect()
}

fn l(pairs: &[(&str, &str)]) -> Labels {
    let mut v: Labels = pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

/// An integer NHCB as Prometheus states it: spans and delta buckets.
fn nhcb(
    name: &str,
    labels: Labels,
    count: f64,
    sum: f64,
    spans: &[(i32, u32)],
    deltas: &[i64],
    custom: &[f64],
) -> H {
    let mut buckets = vec![];
    let (mut idx, mut running) = (0i32, 0i64);
    let mut d = deltas.iter();
    for &(off, len) in spans {
        idx += off;
        for _ in 0..len {
            running += d.next().unwrap();
            let lower = if idx == 0 {
                f64::NEG_INFINITY
            } else {
                custom[idx as usize - 1]
            };
            let upper = custom.get(idx as usize).copied().unwrap_or(f64::INFINITY);
            buckets.push((idx, lower, upper, running as f64));
            idx += 1;
        }
    }
    H {
        name: name.to_string(),
        labels,
        gauge: false,
        schema: -53,
        float: false,
        count,
        sum,
        spans: spans.to_vec(),
        buckets,
        custom: custom.to_vec(),
        exemplars: vec![],
        ts: None,
        start: None,
    }
}

fn ex(id: &str, v: f64, ts: Option<i64>) -> (Labels, f64, Option<i64>) {
    (l(&[("id", id)]), v, ts)
}

/// `TestNHCBParserOMParser_MultipleHistograms`.
#[test]
fn prometheus_multiple_histograms() {
    let input = r#"# HELP something Histogram with _created between buckets and summary
# TYPE something histogram
something_count 18
something_sum 324789.4
something_bucket{le="0.0"} 1 # {id="something-test"} -2.0
something_bucket{le="1.0"} 16 # {id="something-test"} 0.5
something_bucket{le="+Inf"} 18 # {id="something-test"} 8
something_count{a="b"} 9
something_sum{a="b"} 42123.0
something_bucket{a="b",le="0.0"} 8 # {id="something-test"} 0.0 123.321
something_bucket{a="b",le="1.0"} 8
something_bucket{a="b",le="+Inf"} 9 # {id="something-test"} 2e100 123.000
# EOF
"#;
    let mut first = nhcb(
        "something",
        l(&[]),
        18.0,
        324789.4,
        &[(0, 3)],
        &[1, 14, -13],
        &[0.0, 1.0],
    );
    first.exemplars = vec![
        ex("something-test", -2.0, None),
        ex("something-test", 0.5, None),
        ex("something-test", 8.0, None),
    ];
    let mut second = nhcb(
        "something",
        l(&[("a", "b")]),
        9.0,
        42123.0,
        &[(0, 3)],
        &[8, -8, 1],
        &[0.0, 1.0],
    );
    second.exemplars = vec![
        ex("something-test", 0.0, Some(123321)),
        ex("something-test", 2e100, Some(123000)),
    ];
    let out = text(input, Dialect::OpenMetrics, false);
    assert_eq!(
        out,
        [
            Out::Meta,
            Out::Meta,
            Out::H(first),
            Out::H(second),
            Out::Meta
        ]
    );
    for chunk in [1, 7, 64] {
        assert_eq!(text_chunked(input, Dialect::OpenMetrics, false, chunk), out);
    }
}

/// The histogram entries of `TestNHCBParserOnOMParser`: a lone `+Inf` bucket, gauge
/// histograms left alone, exemplars of the bucket and of `_count`, an empty first bucket.
#[test]
fn prometheus_om_parser_histograms() {
    let input = r#"# TYPE hh histogram
hh_bucket{le="+Inf"} 1
# TYPE gh gaugehistogram
gh_bucket{le="+Inf"} 1
# TYPE hhh histogram
hhh_bucket{le="+Inf"} 1 # {id="histogram-bucket-test"} 4
hhh_count 1 # {id="histogram-count-test"} 4
# TYPE ggh gaugehistogram
ggh_bucket{le="+Inf"} 1 # {id="gaugehistogram-bucket-test",xx="yy"} 4 123.123
ggh_count 1 # {id="gaugehistogram-count-test",xx="yy"} 4 123.123
# HELP baz Histogram with the same objective as above's summary
# TYPE baz histogram
baz_bucket{le="0.0"} 0
baz_bucket{le="+Inf"} 17
baz_count 17
baz_sum 324789.3
# EOF
"#;
    let out = text(input, Dialect::OpenMetrics, false);
    let hh = nhcb("hh", l(&[]), 1.0, 0.0, &[(0, 1)], &[1], &[]);
    let mut hhh = nhcb("hhh", l(&[]), 1.0, 0.0, &[(0, 1)], &[1], &[]);
    hhh.exemplars = vec![
        ex("histogram-bucket-test", 4.0, None),
        ex("histogram-count-test", 4.0, None),
    ];
    // The first bucket is empty: not stored, offset 1.
    let baz = nhcb("baz", l(&[]), 17.0, 324789.3, &[(1, 1)], &[17], &[0.0]);
    assert_eq!(
        out,
        [
            Out::Meta,
            Out::H(hh),
            Out::Meta,
            Out::S("gh_bucket".into(), l(&[("le", "+Inf")]), 1.0),
            Out::Meta,
            Out::H(hhh),
            Out::Meta,
            Out::S("ggh_bucket".into(), l(&[("le", "+Inf")]), 1.0),
            Out::S("ggh_count".into(), l(&[]), 1.0),
            Out::Meta,
            Out::Meta,
            Out::H(baz),
            Out::Meta,
        ]
    );
}

/// `TestNHCBParserErrorHandling` (without the `_created` lines, which Prometheus skips only with
/// start-timestamp ingestion): a histogram whose buckets are not cumulative is dropped, series
/// and all, without an error; the next one converts.
#[test]
fn prometheus_error_handling() {
    let input = r#"# HELP something Histogram with non cumulative buckets
# TYPE something histogram
something_count 18
something_sum 324789.4
something_bucket{le="0.0"} 18
something_bucket{le="+Inf"} 1
something_count{a="b"} 9
something_sum{a="b"} 42123
something_bucket{a="b",le="0.0"} 1
something_bucket{a="b",le="+Inf"} 9
# EOF"#;
    let out = text(input, Dialect::OpenMetrics, false);
    let want = nhcb(
        "something",
        l(&[("a", "b")]),
        9.0,
        42123.0,
        &[(0, 2)],
        &[1, 7],
        &[0.0],
    );
    assert_eq!(out, [Out::Meta, Out::Meta, Out::H(want), Out::Meta]);
    // The same from protobuf fails the parse, as Prometheus' protobuf parser does.
    let body = encode_families(&[Family::histogram("something", "")
        .metric(Metric::new(&[]).classic(18.0, 324789.4, &[(0.0, 18.0), (f64::INFINITY, 1.0)]))]);
    let e = pb(&body, false, false, 1 << 20).unwrap_err();
    assert_eq!(e.kind(), promtext::ErrorKind::InvalidHistogram);
    assert_eq!(e.to_string(), "byte 16: count is not cumulative: 1 < 18");
}

/// With `_created` lines and no start-timestamp ingestion (Prometheus' default), a `_created`
/// series is another metric: the histogram comes out in two parts.
#[test]
fn created_series_split_a_histogram() {
    let input = r#"# TYPE something histogram
something_count 18
something_sum 324789.4
something_created 1520430001
something_bucket{le="0.0"} 1
something_bucket{le="+Inf"} 18
# EOF
"#;
    let out = text(input, Dialect::OpenMetrics, false);
    assert_eq!(
        out,
        [
            Out::Meta,
            Out::H(nhcb(
                "something",
                l(&[]),
                18.0,
                324789.4,
                &[(0, 1)],
                &[18],
                &[]
            )),
            Out::S("something_created".into(), l(&[]), 1520430001.0),
            Out::H(nhcb(
                "something",
                l(&[]),
                18.0,
                0.0,
                &[(0, 2)],
                &[1, 16],
                &[0.0]
            )),
            Out::Meta,
        ]
    );
}

/// Series of one family interleaved by label set: every switch ends a histogram, as in
/// Prometheus (it compares each series with the last one only).
#[test]
fn interleaved_series_convert_in_parts() {
    let input = "# TYPE h histogram\n\
h_bucket{a=\"1\",le=\"1\"} 1\n\
h_bucket{a=\"2\",le=\"1\"} 2\n\
h_bucket{a=\"1\",le=\"+Inf\"} 3\n\
h_count{a=\"1\"} 3\n\
h_bucket{le=\"+Inf\",a=\"2\"} 4\n\
h_count{a=\"2\"} 4\n";
    let out = hists(&text(input, Dialect::Prometheus, false));
    assert_eq!(
        out,
        [
            nhcb("h", l(&[("a", "1")]), 1.0, 0.0, &[(0, 1)], &[1], &[1.0]),
            nhcb("h", l(&[("a", "2")]), 2.0, 0.0, &[(0, 1)], &[2], &[1.0]),
            nhcb("h", l(&[("a", "1")]), 3.0, 0.0, &[(0, 1)], &[3], &[]),
            // Label order does not matter.
            nhcb("h", l(&[("a", "2")]), 4.0, 0.0, &[(0, 1)], &[4], &[]),
        ]
    );
}

/// A histogram split by another family: the part before converts; after the other family's
/// TYPE the rest is not a histogram's and stays classic.
#[test]
fn histogram_split_by_another_family() {
    let input = "# TYPE h histogram\n\
h_bucket{le=\"1\"} 1\n\
# TYPE g gauge\n\
g 1\n\
h_bucket{le=\"+Inf\"} 2\n\
h_count 2\n";
    let out = text(input, Dialect::Prometheus, false);
    assert_eq!(
        out,
        [
            Out::Meta,
            Out::H(nhcb("h", l(&[]), 1.0, 0.0, &[(0, 1)], &[1], &[1.0])),
            Out::Meta,
            Out::S("g".into(), l(&[]), 1.0),
            Out::S("h_bucket".into(), l(&[("le", "+Inf")]), 2.0),
            Out::S("h_count".into(), l(&[]), 2.0),
        ]
    );
}

/// Missing `+Inf`, an `le` that is not a float, keeping the classic series, timestamps.
#[test]
fn edges() {
    // No +Inf bucket: added with the count.
    let out = hists(&text(
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 3\nh_sum 2\n",
        Dialect::Prometheus,
        false,
    ));
    assert_eq!(
        out,
        [nhcb("h", l(&[]), 3.0, 2.0, &[(0, 2)], &[1, 1], &[1.0])]
    );
    // Without a count either: the highest bucket's count.
    let out = hists(&text(
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\n",
        Dialect::Prometheus,
        false,
    ));
    assert_eq!(out, [nhcb("h", l(&[]), 1.0, 0.0, &[(0, 1)], &[1], &[1.0])]);
    // An le that does not parse: the series is no histogram's and stays.
    let out = text(
        "# TYPE h histogram\nh_bucket{le=\"x\"} 1\nh_count 1\n",
        Dialect::Prometheus,
        false,
    );
    assert_eq!(series(&out), ["h_bucket{le=x}"]);
    assert_eq!(
        hists(&out),
        [nhcb("h", l(&[]), 1.0, 0.0, &[(0, 1)], &[1], &[])]
    );
    // always_scrape_classic_histograms: the classic series stay, the histogram follows them.
    let body = "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 0.5\nup 1\n";
    let out = text(body, Dialect::Prometheus, true);
    assert_eq!(
        series(&out),
        [
            "h_bucket{le=1}",
            "h_bucket{le=+Inf}",
            "h_count{}",
            "h_sum{}",
            "up{}"
        ]
    );
    assert!(matches!(out[5], Out::H(_)), "{out:?}");
    // Text timestamps: the last series read when the histogram comes out (here `up`'s).
    let out = hists(&text(
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1 100\nh_count 1 200\nup 1 300\n",
        Dialect::Prometheus,
        false,
    ));
    assert_eq!(out[0].ts, Some(300));
    // Summaries and untyped series are not touched.
    let out = text(
        "# TYPE s summary\ns_count 1\ns_sum 1\nx_bucket{le=\"1\"} 1\n",
        Dialect::Prometheus,
        false,
    );
    assert_eq!(series(&out), ["s_count{}", "s_sum{}", "x_bucket{le=1}"]);
    assert!(hists(&out).is_empty());
}

fn classic_family(gauge: bool, native: Option<Native>) -> Family {
    let mut m = Metric::new(&[("cluster", "a")]);
    let ex = |id: &str, ts: Option<i64>| Exemplar {
        labels: vec![("trace_id".into(), id.into())],
        value: 0.3,
        timestamp_ms: ts,
    };
    m.value = Value::Histogram(
        5.0,
        2.5,
        vec![
            ClassicBucket {
                upper: 0.5,
                count: 2.0,
                exemplar: Some(ex("a", Some(1500))),
            },
            ClassicBucket {
                upper: 1.0,
                count: 2.0,
                exemplar: Some(ex("b", None)),
            },
            ClassicBucket {
                upper: 2.0,
                count: 5.0,
                exemplar: None,
            },
        ],
        native,
    );
    m.start_timestamp_ms = Some(1000);
    let f = if gauge {
        Family::new("rq", "", promtext::MetricType::GaugeHistogram)
    } else {
        Family::histogram("rq", "")
    };
    f.metric(m.timestamp(77))
}

/// The same classic histogram from text, OpenMetrics and protobuf converts to the same
/// histogram (exemplars where the formats carry them alike).
#[test]
fn text_openmetrics_and_protobuf_agree() {
    let prom = "# TYPE rq histogram\n\
rq_bucket{cluster=\"a\",le=\"0.5\"} 2 77\n\
rq_bucket{cluster=\"a\",le=\"1\"} 2 77\n\
rq_bucket{cluster=\"a\",le=\"2\"} 5 77\n\
rq_bucket{cluster=\"a\",le=\"+Inf\"} 5 77\n\
rq_sum{cluster=\"a\"} 2.5 77\n\
rq_count{cluster=\"a\"} 5 77\n";
    let om = "# TYPE rq histogram\n\
rq_bucket{cluster=\"a\",le=\"0.5\"} 2 0.077 # {trace_id=\"a\"} 0.3 1.5\n\
rq_bucket{cluster=\"a\",le=\"1.0\"} 2 0.077\n\
rq_bucket{cluster=\"a\",le=\"2.0\"} 5 0.077\n\
rq_bucket{cluster=\"a\",le=\"+Inf\"} 5 0.077\n\
rq_sum{cluster=\"a\"} 2.5 0.077\n\
rq_count{cluster=\"a\"} 5 0.077\n\
# EOF\n";
    let body = encode_families(&[classic_family(false, None)]);
    let p = hists(&text(prom, Dialect::Prometheus, false));
    let o = hists(&text(om, Dialect::OpenMetrics, false));
    let b = hists(&pb(&body, true, false, 1 << 20).unwrap());
    assert_eq!((p.len(), o.len(), b.len()), (1, 1, 1));
    // One empty bucket inside a span stays (integer histograms keep runs of up to 2).
    let mut want = nhcb(
        "rq",
        l(&[("cluster", "a")]),
        5.0,
        2.5,
        &[(0, 3)],
        &[2, -2, 3],
        &[0.5, 1.0, 2.0],
    );
    want.ts = Some(77);
    assert_eq!(p[0], want);
    // OpenMetrics: the exemplar as written; protobuf: only those with a timestamp.
    want.exemplars = vec![(l(&[("trace_id", "a")]), 0.3, Some(1500))];
    assert_eq!(o[0], want);
    // Protobuf: the start timestamp too.
    want.start = Some(1000);
    assert_eq!(b[0], want);
    // Gauge histograms convert from protobuf (Prometheus' protobuf parser), marked as gauges.
    let g = hists(
        &pb(
            &encode_families(&[classic_family(true, None)]),
            true,
            false,
            9,
        )
        .unwrap(),
    );
    assert!(g[0].gauge);
    assert_eq!(g[0].buckets, want.buckets);
}

/// Prometheus' requirement tables (prometheus#13532, `TestNHCBParser_NoNHCBWhenExponential`)
/// for protobuf bodies with native histograms scraped.
#[test]
fn prometheus_classic_native_nhcb_table() {
    let mut native = Native::new(0);
    native.count = 5.0;
    native.sum = 2.5;
    native.positive_spans = vec![(0, 2)];
    native.positive = vec![2.0, 3.0];
    let exp_only = encode_families(&[
        Family::histogram("rq", "").metric(Metric::new(&[]).native(native.clone()))
    ]);
    let both = encode_families(&[classic_family(false, Some(native))]);
    let classic_only = encode_families(&[classic_family(false, None)]);
    // (body, classic, nhcb) -> (classic series?, exponential?, nhcb?)
    let cases = [
        (&classic_only, false, false, (true, false, false)),
        (&classic_only, true, false, (true, false, false)),
        (&classic_only, false, true, (false, false, true)),
        (&classic_only, true, true, (true, false, true)),
        (&both, false, false, (false, true, false)),
        (&both, true, false, (true, true, false)),
        (&both, false, true, (false, true, false)),
        (&both, true, true, (true, true, false)),
        (&exp_only, false, false, (false, true, false)),
        (&exp_only, true, false, (false, true, false)),
        (&exp_only, false, true, (false, true, false)),
        (&exp_only, true, true, (false, true, false)),
    ];
    for (body, classic, convert, want) in cases {
        let out = if convert {
            pb(body, true, classic, 1 << 20).unwrap()
        } else {
            let s = protobuf::Settings::default()
                .classic_histograms(classic)
                .native_histograms(true);
            protobuf::Parser::new(body, s)
                .map(|e| match e.unwrap() {
                    protobuf::Event::Sample(s) => Out::S(s.name().to_string(), vec![], s.value()),
                    protobuf::Event::Histogram(h) => Out::H(own(&h)),
                    _ => Out::Meta,
                })
                .collect()
        };
        let got = (
            out.iter().any(|o| matches!(o, Out::S(..))),
            hists(&out).iter().any(|h| h.schema == 0),
            hists(&out).iter().any(|h| h.schema == -53),
        );
        assert_eq!(got, want, "classic={classic} nhcb={convert}");
    }
    // Native histograms not scraped: the classic part of a histogram with both converts.
    let out = pb(&both, false, false, 1 << 20).unwrap();
    assert_eq!(
        hists(&out).iter().map(|h| h.schema).collect::<Vec<_>>(),
        [-53]
    );
}

/// A generated classic histogram: sorted distinct bounds, cumulative counts, optional count
/// and +Inf bucket.
#[derive(Clone, Debug)]
struct Classic {
    bounds: Vec<f64>,
    counts: Vec<f64>,
    inf: Option<f64>,
    count: Option<f64>,
    total: f64,
    sum: f64,
}

fn classic() -> impl Strategy<Value = Classic> {
    (
        prop::collection::btree_set(-40i32..40, 0..9),
        prop::collection::vec(
            prop_oneof![4 => Just(0.0), 3 => 1.0..5.0f64, 3 => (0u32..5).prop_map(f64::from)],
            9,
        ),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        -100.0..100.0f64,
    )
        .prop_map(|(bounds, incs, integer, has_inf, has_count, sum)| {
            let bounds: Vec<f64> = bounds.into_iter().map(|b| b as f64 / 4.0).collect();
            let mut acc = 0.0;
            let mut counts = vec![];
            for (i, _) in bounds.iter().enumerate() {
                let inc = if integer { incs[i].floor() } else { incs[i] };
                acc += inc;
                counts.push(acc);
            }
            let total = acc + if integer { incs[8].floor() } else { incs[8] };
            Classic {
                bounds,
                counts,
                inf: has_inf.then_some(total),
                count: (has_count || !has_inf).then_some(total),
                total,
                sum,
            }
        })
}

fn render_text(c: &Classic, om: bool) -> String {
    let mut s = String::from("# TYPE h histogram\n");
    for (b, n) in c.bounds.iter().zip(&c.counts) {
        let le = if om {
            promtext::go::format_go_g(*b)
        } else {
            format!("{b}")
        };
        s.push_str(&format!("h_bucket{{x=\"y\",le=\"{le}\"}} {n}\n"));
    }
    if let Some(n) = c.inf {
        s.push_str(&format!("h_bucket{{x=\"y\",le=\"+Inf\"}} {n}\n"));
    }
    if let Some(n) = c.count {
        s.push_str(&format!("h_count{{x=\"y\"}} {n}\n"));
    }
    s.push_str(&format!("h_sum{{x=\"y\"}} {}\n", c.sum));
    s.push_str("# TYPE other gauge\nother 1\n");
    if om {
        s.push_str("# EOF\n");
    }
    s
}

/// A plain model of the conversion: de-cumulated counts of the finite bounds and +Inf, empty
/// buckets dropped unless inside a span as Compact keeps them.
fn model(c: &Classic) -> (Vec<f64>, Vec<(i32, f64)>, f64, bool) {
    let total = c.total;
    let mut cum: Vec<f64> = c.counts.clone();
    cum.push(c.inf.unwrap_or(total));
    let integer = cum.iter().all(|x| x.fract() == 0.0);
    let max_empty = if integer { 2 } else { 0 };
    let abs: Vec<f64> = cum
        .iter()
        .enumerate()
        .map(|(i, x)| x - if i == 0 { 0.0 } else { cum[i - 1] })
        .collect();
    let nonempty: Vec<usize> = (0..abs.len()).filter(|&i| abs[i] != 0.0).collect();
    let mut kept = vec![];
    for (k, &i) in nonempty.iter().enumerate() {
        if k > 0 {
            let prev = nonempty[k - 1];
            if i - prev - 1 <= max_empty {
                kept.extend((prev + 1..i).map(|j| (j as i32, 0.0)));
            }
        }
        kept.push((i as i32, abs[i]));
    }
    (c.bounds.clone(), kept, total, !integer)
}

fn pb_of(c: &Classic) -> Vec<u8> {
    let mut buckets: Vec<(f64, f64)> = c
        .bounds
        .iter()
        .copied()
        .zip(c.counts.iter().copied())
        .collect();
    if let Some(n) = c.inf {
        buckets.push((f64::INFINITY, n));
    }
    encode_families(&[
        Family::histogram("h", "")
            .metric(Metric::new(&[("x", "y")]).classic(c.total, c.sum, &buckets)),
        Family::gauge("other", "").metric(Metric::new(&[]).value(1.0)),
    ])
}

proptest! {
    #[test]
    fn converts_as_the_model_in_every_format(c in classic(), chunk in 1usize..40) {
        let p = hists(&text(&render_text(&c, false), Dialect::Prometheus, false));
        let o = hists(&text(&render_text(&c, true), Dialect::OpenMetrics, false));
        let b = hists(&pb(&pb_of(&c), true, false, chunk).unwrap());
        prop_assert_eq!(p.len(), 1);
        prop_assert_eq!(&p, &o);
        prop_assert_eq!(&p, &b);
        let (custom, buckets, count, float) = model(&c);
        let h = &p[0];
        prop_assert_eq!(&h.custom, &custom);
        prop_assert_eq!(h.buckets.iter().map(|b| (b.0, b.3)).collect::<Vec<_>>(), buckets);
        prop_assert_eq!(h.count, count);
        prop_assert_eq!(h.float, float);
        prop_assert_eq!(h.sum, c.sum);
        // Chunked text gives the same events as the whole body.
        let body = render_text(&c, true);
        prop_assert_eq!(text_chunked(&body, Dialect::OpenMetrics, true, chunk), text(&body, Dialect::OpenMetrics, true));
    }
}

/// Protobuf exemplars of a converted histogram, as Prometheus' protobuf parser gives them: the
/// histogram's own `exemplars` with a timestamp when it has any, else its buckets' with one.
#[test]
fn protobuf_exemplars() {
    let mut native = Native::new(0);
    native.count = 5.0;
    native.sum = 2.5;
    native.positive_spans = vec![(0, 2)];
    native.positive = vec![2.0, 3.0];
    native.exemplars = vec![
        Exemplar {
            labels: vec![("trace_id".into(), "own".into())],
            value: 0.7,
            timestamp_ms: Some(2500),
        },
        Exemplar {
            labels: vec![("trace_id".into(), "no_ts".into())],
            value: 0.8,
            timestamp_ms: None,
        },
    ];
    // Native histograms not scraped: the histogram is classic, and converts.
    let body = encode_families(&[classic_family(false, Some(native))]);
    let h = hists(&pb(&body, false, false, 1 << 20).unwrap());
    assert_eq!(
        h[0].exemplars,
        [(l(&[("trace_id", "own")]), 0.7, Some(2500))]
    );
    // Without its own, the buckets' with a timestamp.
    let body = encode_families(&[classic_family(false, None)]);
    let h = hists(&pb(&body, false, false, 1 << 20).unwrap());
    assert_eq!(h[0].exemplars, [(l(&[("trace_id", "a")]), 0.3, Some(1500))]);
}
