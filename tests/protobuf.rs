//! The protobuf reader: events as Prometheus' protobufparse presents them, native histograms,
//! validation with family and offset, hostile input, and identical events under any chunking.

mod common;
#[path = "support/pb.rs"]
mod pb;
use common::Trickle;

use pb::{delimited, field_bytes, field_double, field_varint, render_all};
use promtext::ErrorKind;
use promtext::MetricType;
use promtext::protobuf::write::{
    ClassicBucket, Exemplar, Family, Metric, Native, Value, encode_families,
};
use promtext::protobuf::{ChunkParser, Event, Parser, ReadParser, Settings};
use proptest::prelude::*;

fn events(families: &[Family]) -> Vec<String> {
    render_all(&encode_families(families), Settings::default())
}

#[test]
fn counters_gauges_untyped_with_metadata() {
    let mut c = Metric::new(&[("cluster", "a"), ("code", "200")]).value(7.0);
    c.start_timestamp_ms = Some(1_700_000_000_123);
    c.exemplar = Some(Exemplar {
        labels: vec![("trace_id".into(), "ab".into())],
        value: 1.5,
        timestamp_ms: Some(1_700_000_000_500),
    });
    let fams = [
        Family::counter("rq_total", "Requests \\ \"all\"\n.")
            .metric(c)
            .unit("requests"),
        Family::gauge("live", "").metric(Metric::new(&[]).value(1.0).timestamp(42)),
        Family::new("odd", "x", MetricType::Unknown)
            .metric(Metric::new(&[("é", "ü")]).value(f64::NEG_INFINITY)),
        // timestamp_ms 0 means none.
        Family::gauge("zero_ts", "").metric(Metric::new(&[]).value(2.0).timestamp(0)),
    ];
    assert_eq!(
        events(&fams),
        [
            r#"H rq_total "Requests \\ \"all\"\n.""#,
            "U rq_total requests",
            "T rq_total counter",
            r#"S rq_total{cluster="a",code="200"} 7 st=1700000000123 ex={trace_id="ab"}:1.5@1700000000500"#,
            r#"H live """#,
            "T live gauge",
            "S live{} 1 @42",
            r#"H odd "x""#,
            "T odd unknown",
            r#"S odd{é="ü"} -inf"#,
            r#"H zero_ts """#,
            "T zero_ts gauge",
            "S zero_ts{} 2",
        ]
    );
}

#[test]
fn summaries_and_classic_histograms_as_prometheus_presents_them() {
    let fams = [
        Family::summary("rt", "").metric(Metric::new(&[("a", "x")]).summary(
            10,
            5.25,
            &[(0.5, 0.1), (0.99, 0.7), (1.0, 0.9)],
        )),
        // No +Inf bucket: synthesised from the count. Bounds as formatOpenMetricsFloat.
        Family::histogram("h", "").metric(Metric::new(&[("a", "x")]).classic(
            4.0,
            12.5,
            &[(0.005, 1.0), (1.0, 2.0), (1e6, 3.0)],
        )),
        // With +Inf: not repeated. Float counts.
        Family::histogram("hf", "").metric(Metric::new(&[]).classic(
            2.5,
            1.0,
            &[(10.0, 1.5), (f64::INFINITY, 2.5)],
        )),
        // No buckets at all: still a +Inf bucket.
        Family::histogram("h0", "").metric(Metric::new(&[]).classic(3.0, 0.0, &[])),
        Family::new("gh", "", MetricType::GaugeHistogram).metric(Metric::new(&[]).classic(
            1.0,
            2.0,
            &[(2.0, 1.0)],
        )),
    ];
    assert_eq!(
        events(&fams),
        [
            r#"H rt """#,
            "T rt summary",
            r#"S rt_count{a="x"} 10"#,
            r#"S rt_sum{a="x"} 5.25"#,
            r#"S rt{a="x",quantile="0.5"} 0.1"#,
            r#"S rt{a="x",quantile="0.99"} 0.7"#,
            r#"S rt{a="x",quantile="1.0"} 0.9"#,
            r#"H h """#,
            "T h histogram",
            r#"S h_count{a="x"} 4"#,
            r#"S h_sum{a="x"} 12.5"#,
            r#"S h_bucket{a="x",le="0.005"} 1"#,
            r#"S h_bucket{a="x",le="1.0"} 2"#,
            r#"S h_bucket{a="x",le="1e+06"} 3"#,
            r#"S h_bucket{a="x",le="+Inf"} 4"#,
            r#"H hf """#,
            "T hf histogram",
            "S hf_count{} 2.5",
            "S hf_sum{} 1",
            r#"S hf_bucket{le="10.0"} 1.5"#,
            r#"S hf_bucket{le="+Inf"} 2.5"#,
            r#"H h0 """#,
            "T h0 histogram",
            "S h0_count{} 3",
            "S h0_sum{} 0",
            r#"S h0_bucket{le="+Inf"} 3"#,
            r#"H gh """#,
            "T gh gaugehistogram",
            "S gh_count{} 1",
            "S gh_sum{} 2",
            r#"S gh_bucket{le="2.0"} 1"#,
            r#"S gh_bucket{le="+Inf"} 1"#,
        ]
    );
}

fn native(schema: i32) -> Native {
    Native::new(schema)
}

#[test]
fn native_histograms() {
    // Envoy's empty native histogram: schema 3, zero count 0, one no-op span.
    let mut empty = native(3);
    empty.positive_spans = vec![(0, 0)];
    // Buckets 0, 1 and 3 (gap of one) on the positive side, -1 on the negative one.
    let mut h = native(0);
    h.count = 9.0;
    h.sum = 10.5;
    h.zero_threshold = 0.001;
    h.zero_count = 1.0;
    h.positive_spans = vec![(0, 2), (1, 1)];
    h.positive = vec![1.0, 3.0, 2.0];
    h.negative_spans = vec![(-1, 1)];
    h.negative = vec![2.0];
    let mut f = native(-1);
    f.float = true;
    f.count = 2.5;
    f.sum = 3.0;
    f.positive_spans = vec![(1, 1)];
    f.positive = vec![2.5];
    let mut both = Metric::new(&[("k", "v")])
        .classic(9.0, 10.5, &[(1.0, 5.0), (4.0, 7.0)])
        .native(h);
    both.start_timestamp_ms = Some(5000);
    let fams = [
        Family::histogram("e", "").metric(Metric::new(&[]).native(empty)),
        Family::histogram("n", "").metric(both),
        Family::histogram("f", "").metric(Metric::new(&[]).native(f)),
    ];
    let want_native = [
        r#"H e """#,
        "T e histogram",
        "N e{} schema=3 count=0 sum=0 zt=0 zc=0 +[] -[]",
        r#"H n """#,
        "T n histogram",
        r#"N n{k="v"} schema=0 count=9 sum=10.5 zt=0.001 zc=1 +[(0,0.5,1,1)(1,1,2,3)(3,4,8,2)] -[(-1,-0.5,-0.25,2)] st=5000"#,
        r#"H f """#,
        "T f histogram",
        "N f{} schema=-1 count=2.5 sum=3 zt=0 zc=0 +[(1,1,4,2.5)] -[]",
    ];
    let body = encode_families(&fams);
    assert_eq!(render_all(&body, Settings::default()), want_native);

    // always_scrape_classic_histograms: the classic series follow, when there are buckets.
    let mut with_classic = want_native.to_vec();
    let classic = [
        r#"S n_count{k="v"} 9 st=5000"#,
        r#"S n_sum{k="v"} 10.5 st=5000"#,
        r#"S n_bucket{k="v",le="1.0"} 5 st=5000"#,
        r#"S n_bucket{k="v",le="4.0"} 7 st=5000"#,
        r#"S n_bucket{k="v",le="+Inf"} 9 st=5000"#,
    ];
    for (i, c) in classic.iter().enumerate() {
        with_classic.insert(6 + i, c);
    }
    assert_eq!(
        render_all(&body, Settings::default().classic_histograms(true)),
        with_classic
    );

    // Native histograms off: the classic view only.
    let off = render_all(&body, Settings::default().native_histograms(false));
    assert!(off.iter().all(|l| !l.starts_with('N')), "{off:?}");
    assert!(off.contains(&r#"S n_bucket{k="v",le="4.0"} 7 st=5000"#.to_string()));
    assert!(off.contains(&r#"S e_bucket{le="+Inf"} 0"#.to_string()));
}

#[test]
fn is_native_follows_prometheus() {
    // A zero threshold alone makes a histogram native; nothing native makes it classic.
    let mut zt = native(0);
    zt.zero_threshold = 1e-9;
    let out = events(&[Family::histogram("z", "").metric(Metric::new(&[]).native(zt))]);
    assert!(out[2].starts_with("N z{}"), "{out:?}");
    let out = events(&[Family::histogram("c", "").metric(Metric::new(&[]).native(native(0)))]);
    assert_eq!(out[2], "S c_count{} 0");
}

fn native_err(h: Native) -> String {
    let body =
        encode_families(&[Family::histogram("bad_h", "").metric(Metric::new(&[]).native(h))]);
    render_all(&body, Settings::default()).pop().unwrap()
}

/// The checks Prometheus makes of a native histogram, in its order and words: the parser's
/// spans-against-buckets check (`protobufparse`, the positive side first), then
/// `histogram.Validate`'s.
#[test]
fn native_histogram_validation() {
    let mut h = native(9);
    h.positive_spans = vec![(0, 0)];
    assert_eq!(
        native_err(h),
        r#"ERR InvalidHistogram metric family "bad_h": histogram has an invalid schema, which must be between -4 and 8 for exponential buckets, or -53 for custom buckets, got schema 9 @14"#
    );
    // Schema 0 with `count` and each side's spans and counts.
    type Side<'a> = (&'a [(i32, u32)], &'a [f64]);
    let sides = |count: f64, (ps, pc): Side<'_>, (ns, nc): Side<'_>| {
        let mut h = native(0);
        h.count = count;
        (h.positive_spans, h.positive) = (ps.to_vec(), pc.to_vec());
        (h.negative_spans, h.negative) = (ns.to_vec(), nc.to_vec());
        h
    };
    assert_eq!(
        native_err(sides(2.0, (&[(0, 3)], &[1.0, 2.0]), (&[], &[]))),
        r#"ERR InvalidHistogram histogram "bad_h": positive side: spans require 3 buckets, have 2 @14"#
    );
    // Both sides wrong: the positive side is reported, as the parser checks it first.
    let h = sides(2.0, (&[(0, 3)], &[1.0, 2.0]), (&[(0, 3)], &[1.0]));
    assert!(native_err(h).contains("positive side: spans require 3 buckets, have 2"));
    let h = sides(1.0, (&[], &[]), (&[(0, 2)], &[1.0]));
    assert!(native_err(h).contains("negative side: spans require 2 buckets, have 1"));
    let mut h = native(0);
    h.count = 1.0;
    h.positive_spans = vec![(0, 1), (-2, 1)];
    h.positive = vec![1.0, 0.0];
    assert!(native_err(h).ends_with(
        "positive side: span number 2 with offset -2: histogram has a span whose offset is negative @14"
    ));
    let mut h = native(0);
    h.count = 1.0;
    h.positive_spans = vec![(0, 2)];
    h.positive = vec![2.0, -1.0];
    assert!(native_err(h).ends_with(
        "positive side: bucket number 2 has observation count of -1: histogram has a bucket whose observation count is negative @14"
    ));
    let mut h = native(0);
    h.count = 1.0;
    h.sum = 3.0;
    h.positive_spans = vec![(0, 1)];
    h.positive = vec![2.0];
    assert!(native_err(h).ends_with(
        "2 observations found in buckets, but the Count field is 1: histogram's observation count should equal the number of observations found in the buckets (in absence of NaN) @14"
    ));
    // With a NaN sum the count may exceed the buckets.
    let mut h = native(0);
    h.count = 5.0;
    h.sum = f64::NAN;
    h.positive_spans = vec![(0, 1)];
    h.positive = vec![2.0];
    assert!(native_err(h).starts_with("N bad_h{}"));
    // Float histograms: negative counts, in Go's %v of the value (Prometheus' two spaces).
    let mut h = native(0);
    h.float = true;
    h.count = -0.5;
    h.zero_count = 1.0;
    h.positive_spans = vec![(0, 0)];
    assert!(
        native_err(h)
            .ends_with("observation count is  -0.5: histogram's observation count is negative @14")
    );
    let mut h = native(0);
    h.float = true;
    h.count = 1.0;
    h.positive_spans = vec![(0, 1)];
    h.positive = vec![1.0];
    h.negative_spans = vec![(0, 1)];
    h.negative = vec![-2.5];
    assert!(native_err(h).ends_with(
        "negative side: bucket number 1 has observation count of -2.5: histogram has a bucket whose observation count is negative @14"
    ));
}

/// Custom buckets (schema -53) over protobuf carry no bounds, so their spans may cover the
/// `+Inf` bucket alone, and the exponential parts must be empty (`histogram.Validate`).
#[test]
fn custom_bucket_histograms_are_checked_as_prometheus_checks_them() {
    let custom = |spans: Vec<(i32, u32)>, counts: Vec<f64>| {
        let mut h = native(-53);
        h.count = counts.iter().sum();
        h.positive_spans = spans;
        h.positive = counts;
        h
    };
    assert!(native_err(custom(vec![(0, 1)], vec![3.0])).starts_with("N bad_h{}"));
    assert!(native_err(custom(vec![(0, 3)], vec![1.0, 0.0, 2.0])).ends_with(
        "custom buckets: only 0 custom bounds defined which is insufficient to cover total span length of 3: histogram custom bounds are too few @14"
    ));
    assert!(native_err(custom(vec![(-1, 1)], vec![1.0])).ends_with(
        "custom buckets: span number 1 with offset -1: histogram has a span whose offset is negative @14"
    ));
    let mut h = custom(vec![(0, 1)], vec![1.0]);
    h.zero_count = 1.0;
    h.count = 2.0;
    assert!(native_err(h).ends_with("custom buckets: must have zero count of 0 @14"));
    let mut h = custom(vec![(0, 1)], vec![1.0]);
    h.zero_threshold = 0.5;
    assert!(native_err(h).ends_with("custom buckets: must have zero threshold of 0 @14"));
    let mut h = custom(vec![(0, 1)], vec![1.0]);
    h.negative_spans = vec![(0, 0)];
    assert!(native_err(h).ends_with("custom buckets: must not have negative spans @14"));
}

/// With native histograms off Prometheus reads a native histogram's classic part only, and
/// checks nothing of its native part.
#[test]
fn native_parts_are_not_checked_when_native_histograms_are_off() {
    let mut h = native(0);
    h.count = 2.0;
    h.positive_spans = vec![(0, 2)];
    h.positive = vec![1.0];
    let body = encode_families(&[Family::histogram("h", "").metric(Metric::new(&[]).native(h))]);
    assert!(
        render_all(&body, Settings::default())
            .pop()
            .unwrap()
            .starts_with("ERR")
    );
    assert_eq!(
        render_all(&body, Settings::default().native_histograms(false)),
        [
            r#"H h """#,
            "T h histogram",
            "S h_count{} 2",
            "S h_sum{} 0",
            r#"S h_bucket{le="+Inf"} 2"#,
        ]
    );
}

#[test]
fn structural_errors_name_family_and_offset() {
    let family = |fields: &dyn Fn(&mut Vec<u8>)| {
        let mut m = Vec::new();
        fields(&mut m);
        delimited(&m)
    };
    // The family `a` with one metric that has one label pair.
    let family_a_with_label = |name: &[u8], value: &[u8]| {
        let mut m = Vec::new();
        field_bytes(&mut m, 1, b"a");
        let mut metric = Vec::new();
        let mut lp = Vec::new();
        field_bytes(&mut lp, 1, name);
        field_bytes(&mut lp, 2, value);
        field_bytes(&mut metric, 1, &lp);
        field_bytes(&mut m, 4, &metric);
        delimited(&m)
    };
    let cases: Vec<(Vec<u8>, ErrorKind, &str)> = vec![
        (
            family(&|m| {
                field_bytes(m, 2, b"h");
                field_bytes(m, 4, &[]);
            }),
            ErrorKind::InvalidName,
            "invalid metric name:  @1",
        ),
        (
            family(&|m| {
                field_bytes(m, 1, b"a");
                field_bytes(m, 2, b"\xff");
                field_bytes(m, 4, &[]);
            }),
            ErrorKind::InvalidUtf8,
            "invalid help for metric \"a\": not valid UTF-8 @6",
        ),
        (
            family(&|m| {
                field_bytes(m, 1, b"a");
                field_varint(m, 3, 7);
                field_bytes(m, 4, &[]);
            }),
            ErrorKind::InvalidType,
            "unknown metric type for metric \"a\": 7 @1",
        ),
        (
            family_a_with_label(b"", b"v"),
            ErrorKind::InvalidName,
            "metric family \"a\": invalid label name \"\" @6",
        ),
        (
            family_a_with_label(b"n", b"\xc3"),
            ErrorKind::InvalidUtf8,
            "metric family \"a\": invalid label value for label \"n\": not valid UTF-8 @6",
        ),
        (
            family(&|m| {
                field_bytes(m, 1, b"a");
                let mut metric = Vec::new();
                field_bytes(&mut metric, 3, &[]);
                field_bytes(&mut metric, 3, &[]);
                field_bytes(m, 4, &metric);
            }),
            ErrorKind::Protobuf,
            "metric family \"a\": field 3 of a metric repeated (a singular message) @8",
        ),
        (
            family(&|m| {
                field_bytes(m, 1, b"a");
                let mut metric = Vec::new();
                let mut c = Vec::new();
                field_varint(&mut c, 1, 3); // value is a double
                field_bytes(&mut metric, 3, &c);
                field_bytes(m, 4, &metric);
            }),
            ErrorKind::Protobuf,
            "wrong wire type for a scalar field @8",
        ),
        // A length prefix far beyond the body.
        (
            vec![0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a],
            ErrorKind::FamilyTooLarge,
            "metric family of 4294967295 bytes exceeds the limit of 16777216 bytes @0",
        ),
        (
            vec![0x05, 0x0a, 0x01],
            ErrorKind::Protobuf,
            "truncated metric family: length 5, 2 bytes left @0",
        ),
        (
            vec![0x80],
            ErrorKind::Protobuf,
            "truncated metric family: length 0, 0 bytes left @0",
        ),
        (
            vec![0x03, 0x0a, 0x05, b'a'],
            ErrorKind::Protobuf,
            "length exceeds the enclosing message @1",
        ),
        (
            vec![0xff; 11],
            ErrorKind::Protobuf,
            "varint overflows 64 bits @0",
        ),
    ];
    for (body, kind, want) in cases {
        let got = render_all(&body, Settings::default()).pop().unwrap();
        assert_eq!(got, format!("ERR {kind:?} {want}"), "{body:x?}");
        let e = Parser::new(&body, Settings::default())
            .find_map(Result::err)
            .unwrap();
        assert!(e.to_string().starts_with("byte "), "{e}");
    }
}

#[test]
fn unknown_fields_and_encodings_are_accepted() {
    // Unknown fields of every wire type everywhere; the counter value twice (last wins);
    // deltas unpacked and packed mixed.
    let mut fam = Vec::new();
    field_varint(&mut fam, 99, 5);
    field_bytes(&mut fam, 1, b"x");
    field_double(&mut fam, 98, 1.0);
    field_varint(&mut fam, 3, 4);
    let mut metric = Vec::new();
    field_bytes(&mut metric, 97, b"junk");
    let mut h = Vec::new();
    field_varint(&mut h, 1, 3);
    field_double(&mut h, 2, 1.0);
    field_varint(&mut h, 5, 0); // schema 0
    let mut sp = Vec::new();
    field_varint(&mut sp, 2, 2);
    field_bytes(&mut h, 12, &sp);
    field_varint(&mut h, 13, 2); // zigzag(1): delta +1, unpacked
    field_bytes(&mut h, 13, &[2]); // packed delta +1
    metric.extend_from_slice(&[0x7b, 0x08, 0x01, 0x7c]); // an unknown group, field 15
    field_bytes(&mut metric, 7, &h);
    field_bytes(&mut fam, 4, &metric);
    let body = delimited(&fam);
    let out = render_all(&body, Settings::default());
    assert_eq!(
        out[2], "N x{} schema=0 count=3 sum=1 zt=0 zc=0 +[(0,0.5,1,1)(1,1,2,2)] -[]",
        "{out:?}"
    );
}

#[test]
fn family_size_limit() {
    let body = encode_families(&[
        Family::gauge("big", &"h".repeat(1000)).metric(Metric::new(&[]).value(1.0))
    ]);
    let s = Settings::default().max_family_len(100);
    let e = Parser::new(&body, s.clone()).find_map(Result::err).unwrap();
    assert_eq!(e.kind(), ErrorKind::FamilyTooLarge);
    let mut c = ChunkParser::new(s.clone());
    let mut kinds = Vec::new();
    for chunk in body.chunks(7) {
        kinds.extend(c.feed(chunk).filter_map(Result::err).map(|e| e.kind()));
        assert!(c.buffered() <= 16 + 7);
    }
    assert_eq!(kinds, [ErrorKind::FamilyTooLarge]);
    let mut r = ReadParser::new(&body[..], s);
    assert_eq!(
        r.next_event().unwrap().unwrap_err().kind(),
        ErrorKind::FamilyTooLarge
    );
}

/// A body with every kind of family, for the chunking properties.
fn mixed_body() -> Vec<u8> {
    let mut h = native(2);
    h.count = 6.0;
    h.sum = 2.0;
    h.positive_spans = vec![(-3, 2), (4, 1)];
    h.positive = vec![1.0, 2.0, 3.0];
    let mut fams = vec![
        Family::counter("c", "help")
            .metric(Metric::new(&[("a", "1")]).value(1.0))
            .metric(Metric::new(&[("a", "2")]).value(2.0)),
        Family::summary("s", "").metric(Metric::new(&[]).summary(3, 1.0, &[(0.5, 1.0)])),
        Family::histogram("h", "").metric(
            Metric::new(&[("le_like", "x")])
                .classic(2.0, 3.0, &[(0.25, 1.0)])
                .native(h),
        ),
        Family::gauge("empty", "no metrics"),
    ];
    let mut m = Metric::new(&[]);
    m.value = Value::Histogram(
        1.0,
        1.0,
        vec![ClassicBucket {
            upper: 1.0,
            count: 1.0,
            exemplar: Some(Exemplar {
                labels: vec![("t".into(), "x".into())],
                value: 0.5,
                timestamp_ms: None,
            }),
        }],
        None,
    );
    fams.push(Family::histogram("hx", "").metric(m));
    encode_families(&fams)
}

fn render_chunked(body: &[u8], cuts: &[usize]) -> Vec<String> {
    let mut p = ChunkParser::new(Settings::default().classic_histograms(true));
    let mut out = Vec::new();
    let mut start = 0;
    let mut bounds: Vec<usize> = cuts.iter().map(|&c| c.min(body.len())).collect();
    bounds.sort_unstable();
    bounds.push(body.len());
    for end in bounds {
        for ev in p.feed(&body[start..end]) {
            out.push(rendered(ev));
        }
        start = end;
    }
    if let Err(e) = p.finish() {
        out.push(format!(
            "ERR {:?} {} @{}",
            e.kind(),
            e.message(),
            e.offset()
        ));
    }
    out
}

fn render_read(body: &[u8], step: usize) -> Vec<String> {
    let mut p = ReadParser::new(
        Trickle {
            data: body,
            n: step,
        },
        Settings::default().classic_histograms(true),
    );
    let mut out = Vec::new();
    while let Some(ev) = p.next_event() {
        out.push(rendered(ev));
    }
    out
}

#[test]
fn the_three_front_ends_agree() {
    let body = mixed_body();
    let whole = render_all(&body, Settings::default().classic_histograms(true));
    assert!(
        whole.iter().any(|l| l.contains("ex={t=\"x\"}:0.5")),
        "{whole:?}"
    );
    assert!(whole.iter().any(|l| l.starts_with("N h{")), "{whole:?}");
    for step in [1, 2, 3, 7, 64, 1 << 20] {
        assert_eq!(render_read(&body, step), whole, "read step {step}");
        let cuts: Vec<usize> = (step..body.len()).step_by(step).collect();
        assert_eq!(render_chunked(&body, &cuts), whole, "chunk step {step}");
    }
    // Truncated bodies: the same error from every front end.
    for cut in 1..body.len() {
        let t = &body[..cut];
        let whole = render_all(t, Settings::default().classic_histograms(true));
        assert_eq!(render_chunked(t, &[cut / 2]), whole, "cut {cut}");
        assert_eq!(render_read(t, 5), whole, "cut {cut}");
    }
}

proptest! {
    #[test]
    fn any_chunking_gives_the_same_events(cuts in proptest::collection::vec(0usize..400, 0..12)) {
        let body = mixed_body();
        let whole = render_all(&body, Settings::default().classic_histograms(true));
        prop_assert_eq!(render_chunked(&body, &cuts), whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let whole = render_all(&body, Settings::default());
        prop_assert_eq!(render_chunked(&body, &[body.len() / 3]), render_all(&body, Settings::default().classic_histograms(true)));
        prop_assert!(whole.len() <= body.len() * 8 + 8);
    }
}

#[test]
fn events_are_the_documented_variants() {
    let body = mixed_body();
    let mut kinds = [0usize; 5];
    for ev in Parser::new(&body, Settings::default()) {
        match ev.unwrap() {
            Event::Help(_) => kinds[0] += 1,
            Event::Unit(_) => kinds[1] += 1,
            Event::Type(_) => kinds[2] += 1,
            Event::Sample(_) => kinds[3] += 1,
            Event::Histogram(_) => kinds[4] += 1,
            _ => unreachable!(),
        }
    }
    // The family without metrics has no events.
    assert_eq!(kinds, [4, 0, 4, 2 + 3 + 4, 1]);
}

/// Fuzz finds: a family claiming more than the limit is judged text or protobuf on the same
/// bytes by every front end, however the body is cut (the chunk parser waits for them); and
/// printable bytes that prost decodes as a nameless family read as text.
#[test]
fn mixed_check_sees_the_same_bytes_everywhere() {
    let text = vec![b'x'; 122];
    let mut binary = b"G\xff\xff\xff\xff\xff\xff\xff\x03cluster_as".to_vec();
    binary.extend_from_slice(&[b'y'; 40]);
    let mut short_text = b"Gab".to_vec();
    short_text.extend_from_slice(&[0xff; 20]);
    // A prefix claiming u64::MAX bytes (no overflow in the check's arithmetic).
    let huge = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, b'a', b'b',
    ];
    for body in [&text[..], &binary[..], &short_text[..], &huge[..]] {
        let s = Settings::default().max_family_len(64);
        let whole = Parser::new(body, s.clone()).find_map(Result::err).unwrap();
        for step in 1..body.len() {
            let mut c = ChunkParser::new(s.clone());
            let mut err = None;
            for chunk in body.chunks(step) {
                if err.is_none() {
                    err = c.feed(chunk).find_map(Result::err);
                }
            }
            let err = err.or_else(|| c.finish().err()).unwrap();
            assert_eq!(err, whole, "step {step}");
            let mut r = ReadParser::new(
                Trickle {
                    data: body,
                    n: step,
                },
                s.clone(),
            );
            let read = loop {
                match r.next_event() {
                    Some(Err(e)) => break e,
                    Some(Ok(_)) => {}
                    None => panic!("no error"),
                }
            };
            assert_eq!(read, whole, "read step {step}");
        }
    }
    let e = Parser::new(&text, Settings::default())
        .find_map(Result::err)
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::MixedFormat);
}

/// An event as `pb::render` shows it, or an error as `ERR kind message @offset`.
fn rendered(ev: Result<Event<'_>, promtext::Error>) -> String {
    match ev {
        Ok(e) => pb::render(&e),
        Err(e) => format!("ERR {:?} {} @{}", e.kind(), e.message(), e.offset()),
    }
}

/// [`pb::render_dropping`] at the cuts `cuts` (taken modulo the body's length plus one),
/// each iterator dropped after `takes[i]` events (cycled); also the position of the first
/// `Undrained` error.
fn render_dropping(
    body: &[u8],
    s: &Settings,
    limit: usize,
    cuts: &[usize],
    takes: &[usize],
) -> (Vec<String>, Option<usize>) {
    let mut points: Vec<usize> = cuts.iter().map(|&c| c % (body.len() + 1)).collect();
    points.sort_unstable();
    points.push(body.len());
    let got = pb::render_dropping(body, s, limit, &points, takes.iter().copied().cycle());
    let discarded = got.iter().position(|l| l.starts_with("ERR Undrained"));
    (got, discarded)
}

proptest! {
    /// Iterators dropped after any number of events (the rest, the open family's included,
    /// kept for the next feed) change nothing while the kept bytes stay within the family
    /// limit plus the largest chunk; past it, the parse ends with `Undrained` after events
    /// that are the whole-body parse's start.
    #[test]
    fn dropping_iterators_early_is_invisible(cuts in proptest::collection::vec(any::<usize>(), 0..12), takes in proptest::collection::vec(0usize..5, 1..16), limit in prop_oneof![Just(1usize << 20), 30usize..200]) {
        let body = mixed_body();
        let s = Settings::default().classic_histograms(true).max_family_len(limit);
        let want = render_all(&body, s.clone());
        let (got, discarded) = render_dropping(&body, &s, limit, &cuts, &takes);
        match discarded {
            None => prop_assert_eq!(&got, &want),
            Some(at) => {
                prop_assert_eq!(&got[..at], &want[..at]);
                prop_assert_eq!(got.len(), at + 1, "{:?}", got);
            }
        }
    }
}

#[test]
fn an_iterator_dropped_inside_a_family_resumes_it() {
    let body = mixed_body();
    let s = Settings::default().classic_histograms(true);
    let want = render_all(&body, s.clone());
    // One event at a time, the whole body in one chunk: every drop is inside a family.
    let mut p = ChunkParser::new(s.clone());
    let mut got: Vec<String> = p.feed(&body).take(1).map(rendered).collect();
    // Bounded: a parser that handed out the same events again would never run dry.
    for _ in 0..want.len() * 2 {
        let before = got.len();
        got.extend(p.feed(&[]).take(1).map(rendered));
        if got.len() == before {
            break;
        }
    }
    p.finish().unwrap();
    assert_eq!(got, want);
    assert_eq!(p.buffered(), 0);
    assert_eq!(p.families_read(), 5);
    // And again with the next chunks arriving while kept bytes wait.
    let (got, discarded) = render_dropping(&body, &s, 1 << 20, &[7, 50, 51, 120], &[2, 0, 1, 3, 0]);
    assert_eq!((got, discarded), (want, None));
}

#[test]
fn undrained_bytes_past_the_bound_end_the_body_with_an_error() {
    let body = mixed_body();
    let s = Settings::default().max_family_len(100);
    let mut p = ChunkParser::new(s.clone());
    // Never drained: two chunks are kept, the third would pass 100 + 60 bytes.
    for chunk in body.chunks(60).take(3) {
        drop(p.feed(chunk));
        assert!(p.buffered() <= 170, "{}", p.buffered());
    }
    assert_eq!(p.buffered(), 0);
    let errs: Vec<String> = p.feed(&body[180..]).map(rendered).collect();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0]
            .starts_with("ERR Undrained 180 bytes of dropped, undrained iterators were discarded"),
        "{errs:?}"
    );
    assert!(errs[0].ends_with("@0"), "{errs:?}");
    assert_eq!(p.finish().map_err(|e| e.kind()), Ok(()));
    // Reported by finish when no iterator comes.
    let mut p = ChunkParser::new(s.clone());
    for chunk in body.chunks(60).take(3) {
        drop(p.feed(chunk));
    }
    assert_eq!(p.finish().map_err(|e| e.kind()), Err(ErrorKind::Undrained));
    // An iterator dropped before it handed the error out leaves it to the next one.
    let mut p = ChunkParser::new(s);
    for chunk in body.chunks(60).take(3) {
        drop(p.feed(chunk));
    }
    drop(p.feed(&[]));
    assert_eq!(p.finish().map_err(|e| e.kind()), Err(ErrorKind::Undrained));
}

#[test]
fn finishing_before_kept_families_were_drained_is_an_error() {
    let body = mixed_body();
    let mut p = ChunkParser::new(Settings::default());
    assert_eq!(p.feed(&body).take(3).count(), 3);
    let e = p.finish().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Undrained);
    assert!(
        e.message().contains("feed an empty chunk to drain them"),
        "{e}"
    );
    assert_eq!(e.offset(), 0);
}

/// A family of one metric, built by hand: `name`, type `mtype`, and the metric's fields.
fn raw_family(name: &str, mtype: u64, metric: &dyn Fn(&mut Vec<u8>)) -> Vec<u8> {
    let mut m = Vec::new();
    field_bytes(&mut m, 1, name.as_bytes());
    field_varint(&mut m, 3, mtype);
    let mut met = Vec::new();
    metric(&mut met);
    field_bytes(&mut m, 4, &met);
    delimited(&m)
}

/// What Prometheus' `protobufparse` reads from the values and bounds encoders rarely write:
/// the first `+Inf` bucket ends the buckets, `-0` is `0.0`, a float count is taken whenever it
/// is not 0, a float histogram's count and zero count are its float fields as they are.
#[test]
fn values_and_bounds_as_prometheus_reads_them() {
    // Buckets after the first +Inf one are not presented, and no +Inf bucket is added.
    let fams = [Family::histogram("h", "").metric(Metric::new(&[]).classic(
        3.0,
        1.0,
        &[(1.0, 1.0), (f64::INFINITY, 3.0), (5.0, 2.0), (-0.0, 0.0)],
    ))];
    assert_eq!(
        events(&fams),
        [
            r#"H h """#,
            "T h histogram",
            "S h_count{} 3",
            "S h_sum{} 1",
            r#"S h_bucket{le="1.0"} 1"#,
            r#"S h_bucket{le="+Inf"} 3"#,
        ]
    );
    // -0 formats as 0.0 (`FormatOpenMetricsFloat`), for bounds and quantiles alike.
    let fams = [
        Family::histogram("z", "").metric(Metric::new(&[]).classic(1.0, 0.0, &[(-0.0, 1.0)])),
        Family::summary("q", "").metric(Metric::new(&[]).summary(1, 0.0, &[(-0.0, 2.0)])),
    ];
    let ev = events(&fams);
    assert!(
        ev.contains(&r#"S z_bucket{le="0.0"} 1"#.to_string()),
        "{ev:?}"
    );
    assert!(
        ev.contains(&r#"S q{quantile="0.0"} 2"#.to_string()),
        "{ev:?}"
    );
    // Float counts that are not 0, negative or NaN, win over the integer ones.
    let body = raw_family("f", 4, &|met| {
        let mut h = Vec::new();
        field_varint(&mut h, 1, 3);
        field_double(&mut h, 4, -1.0);
        let mut b = Vec::new();
        field_varint(&mut b, 1, 1);
        field_double(&mut b, 2, 1.0);
        field_double(&mut b, 4, f64::NAN);
        field_bytes(&mut h, 3, &b);
        field_bytes(met, 7, &h);
    });
    assert_eq!(
        render_all(&body, Settings::default())[2..],
        [
            "S f_count{} -1",
            "S f_sum{} 0",
            r#"S f_bucket{le="1.0"} NaN"#,
            r#"S f_bucket{le="+Inf"} -1"#,
        ]
    );
    // A float native histogram (a float zero count above 0) takes its float count as it is:
    // 0 here, not the integer count.
    let body = raw_family("n", 4, &|met| {
        let mut h = Vec::new();
        field_varint(&mut h, 1, 7);
        field_double(&mut h, 8, 1.0);
        field_bytes(&mut h, 12, &[]);
        field_bytes(met, 7, &h);
    });
    let ev = render_all(&body, Settings::default());
    assert!(
        ev[2].starts_with("N n{} schema=0 count=0 sum=0 zt=0 zc=1 "),
        "{ev:?}"
    );
}

/// Start timestamps as Prometheus reads them: `seconds * 1000 + nanos / 1e6` truncated, and 0
/// (an empty timestamp message included) meaning none.
#[test]
fn start_timestamps_as_prometheus_reads_them() {
    let counter = |ts: &dyn Fn(&mut Vec<u8>)| {
        raw_family("c", 0, &|met| {
            let mut st = Vec::new();
            ts(&mut st);
            let mut c = Vec::new();
            field_double(&mut c, 1, 1.0);
            field_bytes(&mut c, 3, &st);
            field_bytes(met, 3, &c);
        })
    };
    let sample = |body: Vec<u8>| render_all(&body, Settings::default()).pop().unwrap();
    assert_eq!(sample(counter(&|_| {})), "S c{} 1");
    assert_eq!(
        sample(counter(&|t| field_varint(t, 1, 0))),
        "S c{} 1",
        "0 s is none"
    );
    assert_eq!(
        sample(counter(&|t| {
            field_varint(t, 1, 1);
            field_varint(t, 2, -1i64 as u64);
        })),
        "S c{} 1 st=1000"
    );
    assert_eq!(
        sample(counter(&|t| field_varint(t, 2, -1_500_000i64 as u64))),
        "S c{} 1 st=-1"
    );
    assert_eq!(
        sample(counter(&|t| {
            field_varint(t, 1, 2);
            field_varint(t, 2, 999_999_999);
        })),
        "S c{} 1 st=2999"
    );
}

/// Prometheus skips a family without metrics before it looks at its name, help or type: no
/// events and no error, whatever its metadata; a malformed one is still an error.
#[test]
fn families_without_metrics_are_skipped() {
    let mut body = Vec::new();
    let mut m = Vec::new();
    field_bytes(&mut m, 1, b"none");
    field_bytes(&mut m, 2, b"No metric.");
    field_varint(&mut m, 3, 1);
    body.extend(delimited(&m));
    // No name, help not UTF-8, an unknown type: skipped all the same.
    let mut m = Vec::new();
    field_bytes(&mut m, 2, b"\xff");
    field_varint(&mut m, 3, 9);
    body.extend(delimited(&m));
    body.extend(delimited(&[]));
    body.extend(encode_families(&[
        Family::gauge("g", "").metric(Metric::new(&[]).value(1.0))
    ]));
    let want = [r#"H g """#, "T g gauge", "S g{} 1"];
    assert_eq!(render_all(&body, Settings::default()), want);
    for cuts in [&[1, 2, 3, 5, 8, 13, 21][..], &[4, 9, 17]] {
        let (got, _) = render_dropping(&body, &Settings::default(), 1 << 20, cuts, &[1, 0, 2]);
        assert_eq!(got, want, "{cuts:?}");
    }
    // A fuzz find: families of unknown fields whose bytes read as text after their length
    // prefix, but not with it (the bytes the mixed-body check looks at), are skipped too.
    let odd = b"\x02\x40\x00\x08hh@P@@@@";
    assert!(render_all(odd, Settings::default()).is_empty());
    assert!(
        render_dropping(odd, &Settings::default(), 1 << 20, &[3, 5], &[1])
            .0
            .is_empty()
    );
    // A malformed field in such a family is still an error.
    let mut bad = delimited(&[0x0a, 0x05, b'a']);
    bad.extend(encode_families(&[
        Family::gauge("g", "").metric(Metric::new(&[]).value(1.0))
    ]));
    assert!(render_all(&bad, Settings::default())[0].starts_with("ERR Protobuf"));
}

/// A value message of another type than the family's is not read, but a malformed one is an
/// error, as for a decoder of the whole `Metric` (Prometheus', prost): truncated, or a known
/// field of the wrong wire type, however deep.
#[test]
fn value_messages_of_other_types_are_checked() {
    let counter_with = |other: u32, bytes: &[u8]| {
        let bytes = bytes.to_vec();
        raw_family("c", 0, &move |met| {
            let mut c = Vec::new();
            field_double(&mut c, 1, 1.0);
            field_bytes(met, 3, &c);
            field_bytes(met, other, &bytes);
        })
    };
    let last = |body: Vec<u8>| render_all(&body, Settings::default()).pop().unwrap();
    // Well-formed: skipped.
    let mut h = Vec::new();
    field_varint(&mut h, 1, 2);
    field_double(&mut h, 2, 0.5);
    let mut b = Vec::new();
    field_double(&mut b, 2, 1.0);
    field_bytes(&mut h, 3, &b);
    field_bytes(&mut h, 13, &[0x02, 0x01]);
    assert_eq!(last(counter_with(7, &h)), "S c{} 1");
    assert_eq!(
        last(counter_with(2, &[0x09, 0, 0, 0, 0, 0, 0, 0, 0])),
        "S c{} 1"
    );
    // Truncated.
    assert_eq!(
        last(counter_with(7, &[0x08])),
        r#"ERR Protobuf metric family "c": truncated varint @22"#
    );
    // A double as a varint, in a bucket of a histogram on a counter.
    let mut h = Vec::new();
    let mut b = Vec::new();
    field_varint(&mut b, 2, 1);
    field_bytes(&mut h, 3, &b);
    assert_eq!(
        last(counter_with(7, &h)),
        r#"ERR Protobuf metric family "c": wrong wire type for a field of a value message @23"#
    );
    // A malformed packed double in a gauge family's histogram field.
    let body = raw_family("g", 1, &|met| {
        let mut g = Vec::new();
        field_double(&mut g, 1, 1.0);
        field_bytes(met, 2, &g);
        field_bytes(met, 7, &[0x72, 0x03, 0, 0, 0]);
    });
    assert!(last(body).starts_with(r#"ERR Protobuf metric family "g": packed doubles"#));
}

/// A proptest find: a label value cut inside a character, the character continued by the key
/// of an unknown field after it (a byte from 0x80 on), so that the metric's label bytes are
/// UTF-8 as a whole. The value is not, and is an error, not a label read as "".
#[test]
fn a_value_cut_inside_a_character_is_an_error() {
    let body = raw_family("v", 1, &|met| {
        let mut lp = Vec::new();
        field_bytes(&mut lp, 1, b"a");
        field_bytes(&mut lp, 2, &[b'x', 0xe0, 0xba]);
        // Field 1188, fixed32: key a5 49, whose first byte ends the character.
        lp.extend_from_slice(&[0xa5, 0x49, 1, 2, 3, 4]);
        field_bytes(met, 1, &lp);
        let mut g = Vec::new();
        field_double(&mut g, 1, 1.0);
        field_bytes(met, 2, &g);
    });
    assert!(std::str::from_utf8(&body[8..8 + 14]).is_ok());
    for s in [
        Settings::default(),
        Settings::default().label_limits(promtext::LabelLimits {
            labels: usize::MAX,
            name_len: usize::MAX,
            value_len: usize::MAX,
        }),
    ] {
        assert_eq!(
            render_all(&body, s).pop().unwrap(),
            r#"ERR InvalidUtf8 metric family "v": invalid label value for label "a": not valid UTF-8 @8"#
        );
    }
}
