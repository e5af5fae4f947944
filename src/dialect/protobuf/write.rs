//! Encoding metric families as the delimited protobuf exposition, from an owned model; and the
//! conversion of parsed text families into that model (the same data in both formats).
//!
//! Not on a hot path: it allocates freely.

use super::wire::{put_key, put_varint};
use crate::event::MetricType;
use crate::family::MetricFamily;

/// A metric family to encode.
#[derive(Clone, Debug, PartialEq)]
pub struct Family {
    /// The name.
    pub name: String,
    /// The help text.
    pub help: String,
    /// The unit (empty for none).
    pub unit: String,
    /// The type: counter, gauge, summary, histogram, gauge histogram or unknown (untyped).
    pub metric_type: MetricType,
    /// The metrics.
    pub metrics: Vec<Metric>,
}

impl Family {
    /// A family of any type.
    pub fn new(name: &str, help: &str, metric_type: MetricType) -> Self {
        Family {
            name: name.to_string(),
            help: help.to_string(),
            unit: String::new(),
            metric_type,
            metrics: Vec::new(),
        }
    }

    /// A counter family.
    pub fn counter(name: &str, help: &str) -> Self {
        Family::new(name, help, MetricType::Counter)
    }

    /// A gauge family.
    pub fn gauge(name: &str, help: &str) -> Self {
        Family::new(name, help, MetricType::Gauge)
    }

    /// A summary family.
    pub fn summary(name: &str, help: &str) -> Self {
        Family::new(name, help, MetricType::Summary)
    }

    /// A histogram family (classic, native or both).
    pub fn histogram(name: &str, help: &str) -> Self {
        Family::new(name, help, MetricType::Histogram)
    }

    /// Adds a metric.
    pub fn metric(mut self, m: Metric) -> Self {
        self.metrics.push(m);
        self
    }

    /// Sets the unit.
    pub fn unit(mut self, unit: &str) -> Self {
        self.unit = unit.to_string();
        self
    }
}

/// An exemplar to encode.
#[derive(Clone, Debug, PartialEq)]
pub struct Exemplar {
    /// Labels.
    pub labels: Vec<(String, String)>,
    /// Value.
    pub value: f64,
    /// Timestamp in milliseconds.
    pub timestamp_ms: Option<i64>,
}

/// A classic histogram bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassicBucket {
    /// The upper bound.
    pub upper: f64,
    /// The cumulative count.
    pub count: f64,
    /// The exemplar.
    pub exemplar: Option<Exemplar>,
}

/// The native part of a histogram. Bucket counts are absolute; integer histograms are written
/// as deltas, float ones (`float`) as absolute counts.
#[derive(Clone, Debug, PartialEq)]
pub struct Native {
    /// The schema.
    pub schema: i32,
    /// Observation count.
    pub count: f64,
    /// Sum of observations.
    pub sum: f64,
    /// The zero bucket's threshold.
    pub zero_threshold: f64,
    /// The zero bucket's count.
    pub zero_count: f64,
    /// Positive spans `(offset, length)`.
    pub positive_spans: Vec<(i32, u32)>,
    /// Positive bucket counts.
    pub positive: Vec<f64>,
    /// Negative spans.
    pub negative_spans: Vec<(i32, u32)>,
    /// Negative bucket counts.
    pub negative: Vec<f64>,
    /// Float counts.
    pub float: bool,
    /// Exemplars (with timestamps).
    pub exemplars: Vec<Exemplar>,
}

impl Native {
    /// An empty integer histogram of `schema` (add one no-op span `(0, 0)` to keep it native
    /// without observations, as Envoy does).
    pub fn new(schema: i32) -> Self {
        Native {
            schema,
            count: 0.0,
            sum: 0.0,
            zero_threshold: 0.0,
            zero_count: 0.0,
            positive_spans: Vec::new(),
            positive: Vec::new(),
            negative_spans: Vec::new(),
            negative: Vec::new(),
            float: false,
            exemplars: Vec::new(),
        }
    }
}

/// The value part of a metric.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A counter, gauge or untyped value.
    Scalar(f64),
    /// A summary: count, sum, `(quantile, value)`s.
    Summary(u64, f64, Vec<(f64, f64)>),
    /// A histogram: count, sum, classic buckets, native part.
    Histogram(f64, f64, Vec<ClassicBucket>, Option<Native>),
}

/// One metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    /// Labels in order.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: Value,
    /// The timestamp (ms); `None` or 0 are both sent as no timestamp.
    pub timestamp_ms: Option<i64>,
    /// The start (created) timestamp of a counter, summary or histogram.
    pub start_timestamp_ms: Option<i64>,
    /// A counter's exemplar.
    pub exemplar: Option<Exemplar>,
}

impl Metric {
    /// A metric with labels and the value 0.
    pub fn new(labels: &[(&str, &str)]) -> Self {
        Metric {
            labels: labels
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            value: Value::Scalar(0.0),
            timestamp_ms: None,
            start_timestamp_ms: None,
            exemplar: None,
        }
    }

    /// A counter/gauge/untyped value.
    pub fn value(mut self, v: f64) -> Self {
        self.value = Value::Scalar(v);
        self
    }

    /// A summary.
    pub fn summary(mut self, count: u64, sum: f64, quantiles: &[(f64, f64)]) -> Self {
        self.value = Value::Summary(count, sum, quantiles.to_vec());
        self
    }

    /// A classic histogram: count, sum and `(upper bound, cumulative count)` buckets.
    pub fn classic(mut self, count: f64, sum: f64, buckets: &[(f64, f64)]) -> Self {
        let b = buckets
            .iter()
            .map(|&(upper, count)| ClassicBucket {
                upper,
                count,
                exemplar: None,
            })
            .collect();
        let native = match self.value {
            Value::Histogram(_, _, _, n) => n,
            _ => None,
        };
        self.value = Value::Histogram(count, sum, b, native);
        self
    }

    /// The native part of a histogram (its count and sum become the histogram's).
    pub fn native(mut self, n: Native) -> Self {
        let buckets = match std::mem::replace(&mut self.value, Value::Scalar(0.0)) {
            Value::Histogram(_, _, b, _) => b,
            _ => Vec::new(),
        };
        self.value = Value::Histogram(n.count, n.sum, buckets, Some(n));
        self
    }

    /// The timestamp in milliseconds.
    pub fn timestamp(mut self, ms: i64) -> Self {
        self.timestamp_ms = Some(ms);
        self
    }
}

fn put_bytes(out: &mut Vec<u8>, number: u32, b: &[u8]) {
    put_key(out, number, 2);
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn put_double(out: &mut Vec<u8>, number: u32, v: f64) {
    put_key(out, number, 1);
    out.extend_from_slice(&v.to_bits().to_le_bytes());
}

fn put_uint(out: &mut Vec<u8>, number: u32, v: u64) {
    put_key(out, number, 0);
    put_varint(out, v);
}

fn put_sint(out: &mut Vec<u8>, number: u32, v: i64) {
    put_uint(out, number, ((v << 1) ^ (v >> 63)) as u64);
}

/// Writes a nested message built by `f`.
fn put_msg(out: &mut Vec<u8>, number: u32, f: impl FnOnce(&mut Vec<u8>)) {
    let mut inner = Vec::new();
    f(&mut inner);
    put_bytes(out, number, &inner);
}

fn put_labels(out: &mut Vec<u8>, labels: &[(String, String)]) {
    for (n, v) in labels {
        put_msg(out, 1, |m| {
            put_bytes(m, 1, n.as_bytes());
            put_bytes(m, 2, v.as_bytes());
        });
    }
}

fn put_timestamp(out: &mut Vec<u8>, number: u32, ms: i64) {
    put_msg(out, number, |m| {
        let (s, n) = (ms.div_euclid(1000), ms.rem_euclid(1000) * 1_000_000);
        if s != 0 {
            put_uint(m, 1, s as u64);
        }
        if n != 0 {
            put_uint(m, 2, n as u64);
        }
    });
}

fn put_exemplar(out: &mut Vec<u8>, number: u32, e: &Exemplar) {
    put_msg(out, number, |m| {
        put_labels(m, &e.labels);
        put_double(m, 2, e.value);
        if let Some(ts) = e.timestamp_ms {
            put_timestamp(m, 3, ts);
        }
    });
}

/// An integral, non-negative count that fits a `uint64` exactly.
fn as_uint(v: f64) -> Option<u64> {
    (v >= 0.0 && v.fract() == 0.0 && v < 18446744073709551616.0).then_some(v as u64)
}

/// Writes a count as `uint64` field `int_field` when it is one, else as the `double`
/// `float_field` (Prometheus reads the float one when it is > 0).
fn put_count(out: &mut Vec<u8>, int_field: u32, float_field: u32, v: f64) {
    match as_uint(v) {
        Some(0) => {}
        Some(n) => put_uint(out, int_field, n),
        None => put_double(out, float_field, v),
    }
}

fn put_native(m: &mut Vec<u8>, n: &Native) {
    put_sint(m, 5, n.schema as i64);
    if n.zero_threshold != 0.0 {
        put_double(m, 6, n.zero_threshold);
    }
    if n.float {
        if n.zero_count != 0.0 {
            put_double(m, 8, n.zero_count);
        }
    } else {
        put_uint(m, 7, as_uint(n.zero_count).unwrap_or(0));
    }
    for (spans, counts, span_f, delta_f, count_f) in [
        (&n.negative_spans, &n.negative, 9, 10, 11),
        (&n.positive_spans, &n.positive, 12, 13, 14),
    ] {
        for &(off, len) in spans {
            put_msg(m, span_f, |s| {
                if off != 0 {
                    put_sint(s, 1, off as i64);
                }
                if len != 0 {
                    put_uint(s, 2, len as u64);
                }
            });
        }
        if counts.is_empty() {
            continue;
        }
        let mut packed = Vec::new();
        if n.float {
            for c in counts {
                packed.extend_from_slice(&c.to_bits().to_le_bytes());
            }
            put_bytes(m, count_f, &packed);
        } else {
            let mut prev = 0i64;
            for &c in counts {
                let c = c as i64;
                let d = c.wrapping_sub(prev);
                prev = c;
                put_varint(&mut packed, ((d << 1) ^ (d >> 63)) as u64);
            }
            put_bytes(m, delta_f, &packed);
        }
    }
    for e in &n.exemplars {
        put_exemplar(m, 16, e);
    }
}

/// Appends one family as a length-delimited `MetricFamily`.
pub fn encode_family(f: &Family, out: &mut Vec<u8>) {
    let mut msg = Vec::new();
    put_bytes(&mut msg, 1, f.name.as_bytes());
    if !f.help.is_empty() {
        put_bytes(&mut msg, 2, f.help.as_bytes());
    }
    let t = match f.metric_type {
        MetricType::Counter => 0,
        MetricType::Gauge => 1,
        MetricType::Summary => 2,
        MetricType::Histogram => 4,
        MetricType::GaugeHistogram => 5,
        _ => 3,
    };
    if t != 0 {
        put_uint(&mut msg, 3, t);
    }
    for m in &f.metrics {
        put_msg(&mut msg, 4, |mm| {
            put_labels(mm, &m.labels);
            let field = match f.metric_type {
                MetricType::Counter => 3,
                MetricType::Gauge => 2,
                MetricType::Summary => 4,
                MetricType::Histogram | MetricType::GaugeHistogram => 7,
                _ => 5,
            };
            put_msg(mm, field, |v| match &m.value {
                Value::Scalar(x) => {
                    put_double(v, 1, *x);
                    if field == 3 {
                        if let Some(e) = &m.exemplar {
                            put_exemplar(v, 2, e);
                        }
                        if let Some(ts) = m.start_timestamp_ms {
                            put_timestamp(v, 3, ts);
                        }
                    }
                }
                Value::Summary(count, sum, qs) => {
                    put_uint(v, 1, *count);
                    put_double(v, 2, *sum);
                    for (q, x) in qs {
                        put_msg(v, 3, |qm| {
                            put_double(qm, 1, *q);
                            put_double(qm, 2, *x);
                        });
                    }
                    if let Some(ts) = m.start_timestamp_ms {
                        put_timestamp(v, 4, ts);
                    }
                }
                Value::Histogram(count, sum, buckets, native) => {
                    if native.as_ref().is_some_and(|n| n.float) {
                        put_double(v, 4, *count);
                    } else {
                        put_count(v, 1, 4, *count);
                    }
                    put_double(v, 2, *sum);
                    for b in buckets {
                        put_msg(v, 3, |bm| {
                            put_count(bm, 1, 4, b.count);
                            put_double(bm, 2, b.upper);
                            if let Some(e) = &b.exemplar {
                                put_exemplar(bm, 3, e);
                            }
                        });
                    }
                    if let Some(n) = native {
                        put_native(v, n);
                    }
                    if let Some(ts) = m.start_timestamp_ms {
                        put_timestamp(v, 15, ts);
                    }
                }
            });
            if let Some(ts) = m.timestamp_ms {
                if ts != 0 {
                    put_uint(mm, 6, ts as u64);
                }
            }
        });
    }
    if !f.unit.is_empty() {
        put_bytes(&mut msg, 5, f.unit.as_bytes());
    }
    put_varint(out, msg.len() as u64);
    out.extend_from_slice(&msg);
}

/// Encodes families as one delimited body.
pub fn encode_families(families: &[Family]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in families {
        encode_family(f, &mut out);
    }
    out
}

/// Converts parsed text families into the protobuf model, as a client library would expose
/// the same data: histogram and summary samples are grouped into metrics by their labels
/// (without `le`/`quantile`); `_created` samples become start timestamps (seconds, as
/// OpenMetrics writes them); samples a family's type does not own become untyped families of
/// their own. Histogram counts must be non-negative (protobuf cannot carry others).
///
/// ```
/// let body = "# TYPE h histogram\nh_bucket{a=\"x\",le=\"1\"} 1\nh_bucket{a=\"x\",le=\"+Inf\"} 2\nh_sum{a=\"x\"} 3\nh_count{a=\"x\"} 2\n";
/// let fams = promtext::family::collect_families(promtext::parse_str(body))?;
/// let pb = promtext::protobuf::write::from_text(&fams);
/// assert_eq!(pb.len(), 1);
/// assert_eq!(pb[0].metrics.len(), 1);
/// # Ok::<(), promtext::Error>(())
/// ```
pub fn from_text(families: &[MetricFamily]) -> Vec<Family> {
    let mut out = Vec::new();
    for f in families {
        let help = f.help.clone().unwrap_or_default();
        let unit = f.unit.clone().unwrap_or_default();
        match f.metric_type {
            MetricType::Histogram | MetricType::GaugeHistogram | MetricType::Summary => {
                let summary = f.metric_type == MetricType::Summary;
                let mut fam = Family::new(&f.name, &help, f.metric_type);
                fam.unit = unit;
                let mut extra: Vec<Family> = Vec::new();
                // (labels without le/quantile, metric index)
                let mut index: Vec<(Vec<(String, String)>, usize)> = Vec::new();
                for s in &f.samples {
                    let suffix = s.name.strip_prefix(f.name.as_str()).unwrap_or("?");
                    let special = if summary { "quantile" } else { "le" };
                    let key: Vec<(String, String)> = s
                        .labels
                        .iter()
                        .filter(|(n, _)| {
                            !(n == special && (suffix == "_bucket" || suffix.is_empty()))
                        })
                        .cloned()
                        .collect();
                    let known = matches!(suffix, "_sum" | "_count" | "_created")
                        || (summary && suffix.is_empty())
                        || (!summary && suffix == "_bucket");
                    if !known {
                        extra.push(untyped(s));
                        continue;
                    }
                    let i = match index.iter().find(|(k, _)| *k == key) {
                        Some(&(_, i)) => i,
                        None => {
                            let mut m = Metric::new(&[]);
                            m.labels = key.clone();
                            m.value = if summary {
                                Value::Summary(0, 0.0, Vec::new())
                            } else {
                                Value::Histogram(0.0, 0.0, Vec::new(), None)
                            };
                            m.timestamp_ms = s.timestamp_ms;
                            fam.metrics.push(m);
                            index.push((key, fam.metrics.len() - 1));
                            fam.metrics.len() - 1
                        }
                    };
                    let m = &mut fam.metrics[i];
                    let bound = s.label(special).and_then(crate::go::parse_go_float);
                    match (&mut m.value, suffix) {
                        (_, "_created") => {
                            m.start_timestamp_ms = Some((s.value * 1000.0) as i64);
                        }
                        (Value::Summary(c, _, _), "_count") => *c = as_uint(s.value).unwrap_or(0),
                        (Value::Summary(_, sum, _), "_sum") => *sum = s.value,
                        (Value::Summary(_, _, qs), "") => {
                            qs.push((bound.unwrap_or(f64::NAN), s.value))
                        }
                        (Value::Histogram(c, _, _, _), "_count") => *c = s.value,
                        (Value::Histogram(_, sum, _, _), "_sum") => *sum = s.value,
                        (Value::Histogram(_, _, b, _), "_bucket") => b.push(ClassicBucket {
                            upper: bound.unwrap_or(f64::NAN),
                            count: s.value,
                            exemplar: s.exemplar.as_ref().map(exemplar),
                        }),
                        _ => {}
                    }
                }
                out.push(fam);
                out.extend(extra);
            }
            _ => {
                // One family per sample name: protobuf names a counter's samples as its family.
                let mut fams: Vec<Family> = Vec::new();
                for s in &f.samples {
                    let i = match fams.iter().position(|x| x.name == s.name) {
                        Some(i) => i,
                        None => {
                            let t = if s.name == f.name {
                                f.metric_type
                            } else {
                                MetricType::Unknown
                            };
                            let mut fam = Family::new(&s.name, &help, t);
                            if s.name == f.name {
                                fam.unit = unit.clone();
                            }
                            fams.push(fam);
                            fams.len() - 1
                        }
                    };
                    let mut m = Metric::new(&[]).value(s.value);
                    m.labels = s.labels.clone();
                    m.timestamp_ms = s.timestamp_ms;
                    if f.metric_type == MetricType::Counter && s.name == f.name {
                        m.exemplar = s.exemplar.as_ref().map(exemplar);
                    }
                    fams[i].metrics.push(m);
                }
                if fams.is_empty() {
                    let mut fam = Family::new(&f.name, &help, f.metric_type);
                    fam.unit = unit;
                    fams.push(fam);
                }
                out.extend(fams);
            }
        }
    }
    out
}

fn untyped(s: &crate::family::OwnedSample) -> Family {
    let mut m = Metric::new(&[]).value(s.value);
    m.labels = s.labels.clone();
    m.timestamp_ms = s.timestamp_ms;
    let mut f = Family::new(&s.name, "", MetricType::Unknown);
    f.metrics.push(m);
    f
}

fn exemplar(e: &crate::family::OwnedExemplar) -> Exemplar {
    Exemplar {
        labels: e.labels.clone(),
        value: e.value,
        timestamp_ms: e.timestamp.map(|t| (t * 1000.0) as i64),
    }
}
