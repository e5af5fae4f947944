//! The OpenMetrics 2.0 writer: metadata as in OpenMetrics 1.0, one line per metric with its
//! composite value, start timestamp and exemplars. Parsing what it writes gives back the
//! values, timestamps and exemplars it was given (property-tested).

use std::fmt::Write as _;

use crate::event::MetricType;
use crate::go::is_legacy_metric_name;
use crate::write::{Format, write_label, write_label_list, write_name, write_seconds};

/// An exemplar: labels, value and (mandatory in OpenMetrics 2.0) timestamp.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exemplar<'a> {
    /// Label names and values, unescaped.
    pub labels: &'a [(&'a str, &'a str)],
    /// The value.
    pub value: f64,
    /// The timestamp in milliseconds.
    pub timestamp_ms: i64,
}

/// The native buckets of a histogram: counts are absolute, integers unless `float`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Native<'a> {
    /// The schema, −4 to 8.
    pub schema: i32,
    /// The zero bucket's threshold (≥ 0).
    pub zero_threshold: f64,
    /// The zero bucket's count.
    pub zero_count: f64,
    /// Negative spans `(offset, length)` and their buckets' counts.
    pub negative_spans: &'a [(i32, u32)],
    /// The negative buckets' counts.
    pub negative: &'a [f64],
    /// Positive spans `(offset, length)`.
    pub positive_spans: &'a [(i32, u32)],
    /// The positive buckets' counts.
    pub positive: &'a [f64],
    /// Counts written as floats (`2.0`) rather than integers (`2`).
    pub float: bool,
}

/// The value of a metric line.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Value<'a> {
    /// A number (counter, gauge, info, stateset, unknown).
    Number(f64),
    /// `{count:…,sum:…,quantile:[q:v,…]}`.
    Summary {
        /// The count.
        count: f64,
        /// The sum.
        sum: f64,
        /// `(quantile, value)`, in increasing quantile order.
        quantiles: &'a [(f64, f64)],
    },
    /// `{count:…,sum:…,[native fields,][bucket:[le:count,…]]}` (`gcount`, `gsum` for a gauge
    /// histogram); at least one of `native` and `buckets` is set.
    Histogram {
        /// A gauge histogram.
        gauge: bool,
        /// The count.
        count: f64,
        /// The sum.
        sum: f64,
        /// Native buckets.
        native: Option<Native<'a>>,
        /// Classic buckets `(le, cumulative count)`, the last `+Inf`.
        buckets: Option<&'a [(f64, f64)]>,
    },
}

/// One metric line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Line<'a> {
    /// Label names and values, unescaped (no `le`/`quantile`).
    pub labels: &'a [(&'a str, &'a str)],
    /// The value.
    pub value: Value<'a>,
    /// The timestamp in milliseconds.
    pub timestamp_ms: Option<i64>,
    /// The start timestamp in milliseconds.
    pub start_timestamp_ms: Option<i64>,
    /// The exemplars.
    pub exemplars: &'a [Exemplar<'a>],
}

/// Writes `# TYPE name type`.
pub fn write_type(out: &mut String, name: &str, t: MetricType) {
    crate::write::write_type(out, Format::OpenMetrics, name, t);
}

/// Writes `# HELP name text`, escaped.
pub fn write_help(out: &mut String, name: &str, text: &str) {
    crate::write::write_help(out, Format::OpenMetrics, name, text);
}

/// Writes `# UNIT name unit`.
pub fn write_unit(out: &mut String, name: &str, unit: &str) {
    crate::write::write_unit(out, Format::OpenMetrics, name, unit);
}

/// Writes `# EOF`.
pub fn write_eof(out: &mut String) {
    out.push_str("# EOF\n");
}

/// Writes one metric line of the family `name`.
///
/// ```
/// use promtext::openmetrics2::write::{write_line, Line, Value, Exemplar};
/// let mut out = String::new();
/// let ex = [Exemplar { labels: &[("trace_id", "ab")], value: 0.5, timestamp_ms: 1_700_000_000_250 }];
/// write_line(&mut out, "rq", &Line {
///     labels: &[("code", "200")],
///     value: Value::Histogram { gauge: false, count: 3.0, sum: 1.5, native: None, buckets: Some(&[(0.1, 1.0), (f64::INFINITY, 3.0)]) },
///     timestamp_ms: None,
///     start_timestamp_ms: Some(1_700_000_000_000),
///     exemplars: &ex,
/// });
/// assert_eq!(out, "rq{code=\"200\"} {count:3,sum:1.5,bucket:[0.1:1,+Inf:3]} st@1700000000 # {trace_id=\"ab\"} 0.5 1700000000.25\n");
/// ```
pub fn write_line(out: &mut String, name: &str, line: &Line<'_>) {
    let legacy = is_legacy_metric_name(name);
    if legacy {
        out.push_str(name);
    } else {
        out.push('{');
        write_name(out, name);
    }
    if !line.labels.is_empty() || !legacy {
        if legacy {
            out.push('{');
        }
        for (i, (n, v)) in line.labels.iter().enumerate() {
            if i > 0 || !legacy {
                out.push(',');
            }
            write_label(out, n, v);
        }
        out.push('}');
    }
    out.push(' ');
    match line.value {
        Value::Number(v) => number(out, v),
        Value::Summary {
            count,
            sum,
            quantiles,
        } => {
            out.push_str("{count:");
            count_number(out, count);
            out.push_str(",sum:");
            number(out, sum);
            out.push_str(",quantile:[");
            pairs(out, quantiles, false);
            out.push_str("]}");
        }
        Value::Histogram {
            gauge,
            count,
            sum,
            native,
            buckets,
        } => {
            out.push_str(if gauge { "{gcount:" } else { "{count:" });
            if native.is_some_and(|n| n.float) {
                number(out, count);
            } else {
                count_number(out, count);
            }
            out.push_str(if gauge { ",gsum:" } else { ",sum:" });
            number(out, sum);
            if let Some(n) = native {
                let _ = write!(out, ",schema:{},zero_threshold:", n.schema);
                number(out, n.zero_threshold);
                out.push_str(",zero_count:");
                native_count(out, n.zero_count, n.float);
                for (key, spans, counts) in [
                    ("negative", n.negative_spans, n.negative),
                    ("positive", n.positive_spans, n.positive),
                ] {
                    if spans.is_empty() && counts.is_empty() {
                        continue;
                    }
                    let _ = write!(out, ",{key}_spans:[");
                    for (i, (o, l)) in spans.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        let _ = write!(out, "{o}:{l}");
                    }
                    let _ = write!(out, "],{key}_buckets:[");
                    for (i, c) in counts.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        native_count(out, *c, n.float);
                    }
                    out.push(']');
                }
            }
            if let Some(b) = buckets {
                out.push_str(",bucket:[");
                pairs(out, b, true);
                out.push(']');
            }
            out.push('}');
        }
    }
    if let Some(ts) = line.timestamp_ms {
        out.push(' ');
        write_seconds(out, ts);
    }
    if let Some(st) = line.start_timestamp_ms {
        out.push_str(" st@");
        write_seconds(out, st);
    }
    for e in line.exemplars {
        out.push_str(" # {");
        write_label_list(out, e.labels);
        out.push_str("} ");
        number(out, e.value);
        out.push(' ');
        write_seconds(out, e.timestamp_ms);
    }
    out.push('\n');
}

/// A float that parses back to the same bits: `NaN`, `±Inf`, or Rust's shortest text.
fn number(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
    } else {
        let _ = write!(out, "{v:?}");
    }
}

/// A count: as an integer when it is one (as exposers write them).
fn count_number(out: &mut String, v: f64) {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        let _ = write!(out, "{}", v as i64);
    } else {
        number(out, v);
    }
}

fn native_count(out: &mut String, v: f64, float: bool) {
    if float {
        // `2.0`, never `2`: the line's counts are then read as floats.
        number(out, v);
    } else {
        let _ = write!(out, "{}", v as i64);
    }
}

/// `threshold:value` pairs; a bucket threshold may be `±Inf`.
fn pairs(out: &mut String, items: &[(f64, f64)], buckets: bool) {
    for (i, (t, v)) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if buckets && t.is_infinite() {
            out.push_str(if *t > 0.0 { "+Inf" } else { "-Inf" });
        } else {
            number(out, *t);
        }
        out.push(':');
        count_number(out, *v);
    }
}
