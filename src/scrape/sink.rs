//! Where the series of a scrape go: the [`Appender`] trait, the series it receives, and two appenders.

use crate::go::{is_legacy_label_name, is_legacy_metric_name};
use crate::relabel::Labels;

/// A final series handed to an [`Appender`]: sorted labels (with `__name__`), value and timestamp.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    /// The final labels, sorted by name, `__name__` included, no empty values.
    pub labels: &'a Labels,
    /// The value.
    pub value: f64,
    /// The value as exposed (empty for protobuf bodies, which carry no text).
    pub value_text: &'a str,
    /// The timestamp (milliseconds), when exposed and `honor_timestamps` is on.
    pub timestamp_ms: Option<i64>,
    /// Whether the series was not in the cache (counted in `scrape_series_added`).
    pub new: bool,
}

impl Series<'_> {
    /// The metric name.
    pub fn name(&self) -> &str {
        self.labels.get("__name__").unwrap_or_default()
    }

    /// Writes the series as an exposition line (`name{labels} value [timestamp]\n`).
    ///
    /// A name that is not a legacy metric name is written in the quoted form (`{"name",…}`) Prometheus 3 reads.
    ///
    /// ```
    /// use promtext::relabel::Labels;
    /// use promtext::scrape::Series;
    /// let l = Labels::from_pairs([("__name__", "my.metric"), ("a", "x\"y")]);
    /// let s = Series { labels: &l, value: 1.0, value_text: "1", timestamp_ms: Some(5), new: true };
    /// let mut out = String::new();
    /// s.write_exposition(&mut out);
    /// assert_eq!(out, "{\"my.metric\",a=\"x\\\"y\"} 1 5\n");
    /// ```
    pub fn write_exposition(&self, out: &mut String) {
        let name = self.name();
        let mut first = true;
        if is_legacy_metric_name(name) {
            out.push_str(name);
        } else {
            out.push_str("{\"");
            crate::lex::escape::escape_label_value(name, out);
            out.push('"');
            first = false;
        }
        for (n, v) in self.labels.iter().filter(|(n, _)| *n != "__name__") {
            out.push(if first { '{' } else { ',' });
            first = false;
            if is_legacy_label_name(n) {
                out.push_str(n);
            } else {
                out.push('"');
                crate::lex::escape::escape_label_value(n, out);
                out.push('"');
            }
            out.push_str("=\"");
            crate::lex::escape::escape_label_value(v, out);
            out.push('"');
        }
        if !first {
            out.push('}');
        }
        out.push(' ');
        if self.value_text.is_empty() {
            out.push_str(&crate::go::format_go_g(self.value));
        } else {
            out.push_str(self.value_text);
        }
        if let Some(ts) = self.timestamp_ms {
            out.push(' ');
            out.push_str(&ts.to_string());
        }
        out.push('\n');
    }
}

/// A final native histogram series: labels as for [`Series`], the histogram at the resolution the job allows
/// (`native_histogram_min_bucket_factor`, `native_histogram_bucket_limit`), buckets as `(index, count)` in index
/// order with absolute counts.
#[derive(Debug, Clone, Copy)]
pub struct HistogramSeries<'a> {
    /// The final labels, sorted by name, `__name__` included.
    pub labels: &'a Labels,
    /// The schema, after any reduction.
    pub schema: i32,
    /// The zero bucket's threshold.
    pub zero_threshold: f64,
    /// The zero bucket's count.
    pub zero_count: f64,
    /// The observation count.
    pub count: f64,
    /// The sum of observations.
    pub sum: f64,
    /// Positive buckets `(index, count)`.
    pub positive: &'a [(i32, f64)],
    /// Negative buckets `(index, count)`.
    pub negative: &'a [(i32, f64)],
    /// The custom bucket bounds of schema −53 (a converted classic histogram): bucket `i` is
    /// `(custom_values[i-1], custom_values[i]]`, the last one reaching `+Inf`.
    pub custom_values: &'a [f64],
    /// Whether the counts are floats.
    pub float: bool,
    /// The timestamp (milliseconds), when exposed and `honor_timestamps` is on.
    pub timestamp_ms: Option<i64>,
    /// The start (created) timestamp.
    pub start_timestamp_ms: Option<i64>,
    /// Whether the series was not in the cache.
    pub new: bool,
}

/// An owned [`HistogramSeries`].
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedHistogramSeries {
    /// Sorted labels with `__name__`.
    pub labels: Labels,
    /// The schema.
    pub schema: i32,
    /// The zero bucket's threshold.
    pub zero_threshold: f64,
    /// The zero bucket's count.
    pub zero_count: f64,
    /// The observation count.
    pub count: f64,
    /// The sum.
    pub sum: f64,
    /// Positive buckets `(index, count)`.
    pub positive: Vec<(i32, f64)>,
    /// Negative buckets `(index, count)`.
    pub negative: Vec<(i32, f64)>,
    /// The custom bucket bounds (schema −53).
    pub custom_values: Vec<f64>,
    /// The timestamp (milliseconds).
    pub timestamp_ms: Option<i64>,
}

/// Receives the series of a scrape. A scrape ends with exactly one call of [`Appender::commit`] (success) or
/// [`Appender::rollback`] (failure: everything appended in this scrape must be discarded).
pub trait Appender {
    /// One final series.
    fn append(&mut self, series: &Series<'_>);
    /// One final native histogram (protobuf bodies, and classic histograms converted under
    /// `convert_classic_histograms_to_nhcb`); the default ignores it.
    fn append_histogram(&mut self, series: &HistogramSeries<'_>) {
        let _ = series;
    }
    /// The scrape succeeded.
    fn commit(&mut self) {}
    /// The scrape failed.
    fn rollback(&mut self) {}
}

/// An owned final series.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedSeries {
    /// Sorted labels with `__name__`.
    pub labels: Labels,
    /// The value.
    pub value: f64,
    /// The timestamp (milliseconds).
    pub timestamp_ms: Option<i64>,
}

/// An [`Appender`] that keeps the series of committed scrapes (staged series are discarded on rollback).
#[derive(Debug, Default, Clone)]
pub struct Collect {
    staged: Vec<OwnedSeries>,
    staged_histograms: Vec<OwnedHistogramSeries>,
    /// The series of committed scrapes, in scrape order.
    pub series: Vec<OwnedSeries>,
    /// The native histograms of committed scrapes, in scrape order.
    pub histograms: Vec<OwnedHistogramSeries>,
}

impl Appender for Collect {
    fn append(&mut self, s: &Series<'_>) {
        self.staged.push(OwnedSeries {
            labels: s.labels.clone(),
            value: s.value,
            timestamp_ms: s.timestamp_ms,
        });
    }
    fn append_histogram(&mut self, h: &HistogramSeries<'_>) {
        self.staged_histograms.push(OwnedHistogramSeries {
            labels: h.labels.clone(),
            schema: h.schema,
            zero_threshold: h.zero_threshold,
            zero_count: h.zero_count,
            count: h.count,
            sum: h.sum,
            positive: h.positive.to_vec(),
            negative: h.negative.to_vec(),
            custom_values: h.custom_values.to_vec(),
            timestamp_ms: h.timestamp_ms,
        });
    }
    fn commit(&mut self) {
        self.series.append(&mut self.staged);
        self.histograms.append(&mut self.staged_histograms);
    }
    fn rollback(&mut self) {
        self.staged.clear();
        self.staged_histograms.clear();
    }
}

/// An [`Appender`] that only counts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Discard {
    /// Series appended in committed scrapes.
    pub committed: u64,
    staged: u64,
}

impl Appender for Discard {
    fn append(&mut self, _: &Series<'_>) {
        self.staged += 1;
    }
    fn append_histogram(&mut self, _: &HistogramSeries<'_>) {
        self.staged += 1;
    }
    fn commit(&mut self) {
        self.committed += self.staged;
        self.staged = 0;
    }
    fn rollback(&mut self) {
        self.staged = 0;
    }
}
