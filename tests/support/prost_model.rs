//! `io.prometheus.client` messages for prost, written by hand from metrics.proto (derive
//! macros, no protoc): the owned-decode oracle of the differential tests and the bench.
#![allow(dead_code)]

#[derive(Clone, PartialEq, prost::Message)]
pub struct LabelPair {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub value: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Timestamp {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Gauge {
    #[prost(double, tag = "1")]
    pub value: f64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Counter {
    #[prost(double, tag = "1")]
    pub value: f64,
    #[prost(message, optional, tag = "2")]
    pub exemplar: Option<Exemplar>,
    #[prost(message, optional, tag = "3")]
    pub start_timestamp: Option<Timestamp>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Quantile {
    #[prost(double, tag = "1")]
    pub quantile: f64,
    #[prost(double, tag = "2")]
    pub value: f64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Summary {
    #[prost(uint64, tag = "1")]
    pub sample_count: u64,
    #[prost(double, tag = "2")]
    pub sample_sum: f64,
    #[prost(message, repeated, tag = "3")]
    pub quantile: Vec<Quantile>,
    #[prost(message, optional, tag = "4")]
    pub start_timestamp: Option<Timestamp>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Untyped {
    #[prost(double, tag = "1")]
    pub value: f64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Histogram {
    #[prost(uint64, tag = "1")]
    pub sample_count: u64,
    #[prost(double, tag = "4")]
    pub sample_count_float: f64,
    #[prost(double, tag = "2")]
    pub sample_sum: f64,
    #[prost(message, repeated, tag = "3")]
    pub bucket: Vec<Bucket>,
    #[prost(message, optional, tag = "15")]
    pub start_timestamp: Option<Timestamp>,
    #[prost(sint32, tag = "5")]
    pub schema: i32,
    #[prost(double, tag = "6")]
    pub zero_threshold: f64,
    #[prost(uint64, tag = "7")]
    pub zero_count: u64,
    #[prost(double, tag = "8")]
    pub zero_count_float: f64,
    #[prost(message, repeated, tag = "9")]
    pub negative_span: Vec<BucketSpan>,
    #[prost(sint64, repeated, tag = "10")]
    pub negative_delta: Vec<i64>,
    #[prost(double, repeated, tag = "11")]
    pub negative_count: Vec<f64>,
    #[prost(message, repeated, tag = "12")]
    pub positive_span: Vec<BucketSpan>,
    #[prost(sint64, repeated, tag = "13")]
    pub positive_delta: Vec<i64>,
    #[prost(double, repeated, tag = "14")]
    pub positive_count: Vec<f64>,
    #[prost(message, repeated, tag = "16")]
    pub exemplars: Vec<Exemplar>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Bucket {
    #[prost(uint64, tag = "1")]
    pub cumulative_count: u64,
    #[prost(double, tag = "4")]
    pub cumulative_count_float: f64,
    #[prost(double, tag = "2")]
    pub upper_bound: f64,
    #[prost(message, optional, tag = "3")]
    pub exemplar: Option<Exemplar>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct BucketSpan {
    #[prost(sint32, tag = "1")]
    pub offset: i32,
    #[prost(uint32, tag = "2")]
    pub length: u32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Exemplar {
    #[prost(message, repeated, tag = "1")]
    pub label: Vec<LabelPair>,
    #[prost(double, tag = "2")]
    pub value: f64,
    #[prost(message, optional, tag = "3")]
    pub timestamp: Option<Timestamp>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Metric {
    #[prost(message, repeated, tag = "1")]
    pub label: Vec<LabelPair>,
    #[prost(message, optional, tag = "2")]
    pub gauge: Option<Gauge>,
    #[prost(message, optional, tag = "3")]
    pub counter: Option<Counter>,
    #[prost(message, optional, tag = "4")]
    pub summary: Option<Summary>,
    #[prost(message, optional, tag = "5")]
    pub untyped: Option<Untyped>,
    #[prost(message, optional, tag = "7")]
    pub histogram: Option<Histogram>,
    #[prost(int64, tag = "6")]
    pub timestamp_ms: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricFamily {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub help: String,
    #[prost(int32, tag = "3")]
    pub r#type: i32,
    #[prost(message, repeated, tag = "4")]
    pub metric: Vec<Metric>,
    #[prost(string, tag = "5")]
    pub unit: String,
}

/// Decodes a delimited body with prost (owned).
pub fn decode_body(mut body: &[u8]) -> Result<Vec<MetricFamily>, prost::DecodeError> {
    use prost::Message;
    let mut out = Vec::new();
    while !body.is_empty() {
        out.push(MetricFamily::decode_length_delimited(&mut body)?);
    }
    Ok(out)
}

/// Encodes families with prost as a delimited body.
pub fn encode_body(families: &[MetricFamily]) -> Vec<u8> {
    use prost::Message;
    let mut out = Vec::new();
    for f in families {
        f.encode_length_delimited(&mut out).expect("Vec grows");
    }
    out
}

/// Prometheus' `seconds * 1e3 + nanos / 1e6`, the division truncating.
fn ms(t: &Timestamp) -> i64 {
    t.seconds
        .wrapping_mul(1000)
        .wrapping_add(t.nanos as i64 / 1_000_000)
}

/// `FormatOpenMetricsFloat` (-0 is `0.0`).
fn bound_label(v: f64) -> String {
    let v = if v == 0.0 { 0.0 } else { v };
    let mut s = promtext::go::format_go_g(v);
    if !s.contains(['.', 'e', 'N', 'I']) {
        s.push_str(".0");
    }
    s
}

fn labels(l: &[LabelPair]) -> Vec<String> {
    l.iter()
        .map(|p| format!("{}={:?}", p.name, p.value))
        .collect()
}

fn exemplar(e: &Exemplar) -> String {
    let mut s = format!(" ex={{{}}}:{}", labels(&e.label).join(","), e.value);
    if let Some(t) = &e.timestamp {
        s.push_str(&format!("@{}", ms(t)));
    }
    s
}

/// What Prometheus presents for prost-decoded families, in the test renderer's notation
/// (`support/pb.rs`); `classic`: always_scrape_classic_histograms.
pub fn render(families: &[MetricFamily], classic: bool) -> Vec<String> {
    let mut out = Vec::new();
    for f in families {
        // Prometheus skips a family without metrics.
        if f.metric.is_empty() {
            continue;
        }
        out.push(format!("H {} {:?}", f.name, f.help));
        if !f.unit.is_empty() {
            out.push(format!("U {} {}", f.name, f.unit));
        }
        let t = match f.r#type {
            0 => "counter",
            1 => "gauge",
            2 => "summary",
            3 => "unknown",
            4 => "histogram",
            5 => "gaugehistogram",
            _ => "?",
        };
        out.push(format!("T {} {t}", f.name));
        for m in &f.metric {
            let l = labels(&m.label);
            let ts = if m.timestamp_ms != 0 {
                format!(" @{}", m.timestamp_ms)
            } else {
                String::new()
            };
            let sample = |suffix: &str, extra: Option<(&str, String)>, v: f64, tail: &str| {
                let mut l = l.clone();
                if let Some((n, x)) = extra {
                    l.push(format!("{n}={x:?}"));
                }
                format!("S {}{suffix}{{{}}} {v}{ts}{tail}", f.name, l.join(","))
            };
            // A start timestamp of 0 ms is none.
            let st = |t: &Option<Timestamp>| {
                t.as_ref()
                    .map(ms)
                    .filter(|&t| t != 0)
                    .map(|t| format!(" st={t}"))
                    .unwrap_or_default()
            };
            match f.r#type {
                0 => {
                    let c = m.counter.clone().unwrap_or_default();
                    let tail = format!(
                        "{}{}",
                        st(&c.start_timestamp),
                        c.exemplar.as_ref().map(exemplar).unwrap_or_default()
                    );
                    out.push(sample("", None, c.value, &tail));
                }
                1 => out.push(sample(
                    "",
                    None,
                    m.gauge.clone().unwrap_or_default().value,
                    "",
                )),
                3 => out.push(sample(
                    "",
                    None,
                    m.untyped.clone().unwrap_or_default().value,
                    "",
                )),
                2 => {
                    let s = m.summary.clone().unwrap_or_default();
                    let tail = st(&s.start_timestamp);
                    out.push(sample("_count", None, s.sample_count as f64, &tail));
                    out.push(sample("_sum", None, s.sample_sum, &tail));
                    for q in &s.quantile {
                        out.push(sample(
                            "",
                            Some(("quantile", bound_label(q.quantile))),
                            q.value,
                            &tail,
                        ));
                    }
                }
                _ => {
                    let h = m.histogram.clone().unwrap_or_default();
                    let tail = st(&h.start_timestamp);
                    let native = !h.positive_span.is_empty()
                        || !h.negative_span.is_empty()
                        || h.zero_threshold > 0.0
                        || h.zero_count > 0;
                    // A float count whenever it is not 0.
                    let count = if h.sample_count_float != 0.0 {
                        h.sample_count_float
                    } else {
                        h.sample_count as f64
                    };
                    if native {
                        let float = h.sample_count_float > 0.0 || h.zero_count_float > 0.0;
                        let side =
                            |spans: &[BucketSpan], deltas: &[i64], counts: &[f64], neg: bool| {
                                let mut s = String::new();
                                let mut idx: i64 = 0;
                                let mut k = 0;
                                let mut run: i64 = 0;
                                for sp in spans {
                                    idx += sp.offset as i64;
                                    for _ in 0..sp.length {
                                        // Spans beyond the counts: a histogram the reader
                                        // rejects, whatever is rendered here.
                                        let c = if float {
                                            counts.get(k).copied().unwrap_or(f64::NAN)
                                        } else {
                                            run = run
                                                .wrapping_add(deltas.get(k).copied().unwrap_or(0));
                                            run as f64
                                        };
                                        k += 1;
                                        let lo = promtext::protobuf::bound(idx - 1, h.schema);
                                        let hi = promtext::protobuf::bound(idx, h.schema);
                                        let (lo, hi) = if neg { (-hi, -lo) } else { (lo, hi) };
                                        s.push_str(&format!("({idx},{lo},{hi},{c})"));
                                        idx += 1;
                                    }
                                }
                                s
                            };
                        // A float histogram's float fields as they are.
                        let (count, zc) = if float {
                            (h.sample_count_float, h.zero_count_float)
                        } else {
                            (h.sample_count as f64, h.zero_count as f64)
                        };
                        let mut line = format!(
                            "N {}{{{}}} schema={} count={count} sum={} zt={} zc={zc} +[{}] -[{}]",
                            f.name,
                            l.join(","),
                            h.schema,
                            h.sample_sum,
                            h.zero_threshold,
                            side(
                                &h.positive_span,
                                &h.positive_delta,
                                &h.positive_count,
                                false
                            ),
                            side(&h.negative_span, &h.negative_delta, &h.negative_count, true),
                        );
                        line.push_str(&tail);
                        // The exemplars with a timestamp: the histogram's own, or when it has
                        // none, its classic buckets'.
                        let own: Vec<&Exemplar> = match h.exemplars.is_empty() {
                            false => h.exemplars.iter().collect(),
                            true => h
                                .bucket
                                .iter()
                                .filter_map(|b| b.exemplar.as_ref())
                                .collect(),
                        };
                        for e in own.into_iter().filter(|e| e.timestamp.is_some()) {
                            line.push_str(&format!(
                                " ex={}@{:?}",
                                e.value,
                                e.timestamp.as_ref().map(ms)
                            ));
                        }
                        out.push(line);
                        if !classic || h.bucket.is_empty() {
                            continue;
                        }
                    }
                    out.push(sample("_count", None, count, &tail));
                    out.push(sample("_sum", None, h.sample_sum, &tail));
                    // The first +Inf bucket is the last one presented.
                    let mut last_inf = false;
                    for b in &h.bucket {
                        if last_inf {
                            break;
                        }
                        let c = if b.cumulative_count_float != 0.0 {
                            b.cumulative_count_float
                        } else {
                            b.cumulative_count as f64
                        };
                        let ex = b.exemplar.as_ref().map(exemplar).unwrap_or_default();
                        out.push(sample(
                            "_bucket",
                            Some(("le", bound_label(b.upper_bound))),
                            c,
                            &format!("{tail}{ex}"),
                        ));
                        last_inf = b.upper_bound == f64::INFINITY;
                    }
                    if !last_inf {
                        out.push(sample(
                            "_bucket",
                            Some(("le", "+Inf".to_string())),
                            count,
                            &tail,
                        ));
                    }
                }
            }
        }
    }
    out
}
