//! The events a parser yields: the vocabulary every other module speaks.
//!
//! Events borrow the input. Names and label values that contain escapes are unescaped lazily,
//! when asked for, into a [`Cow`].

use std::borrow::Cow;
use std::fmt;

use crate::escape::{unescape_help, unescape_label_value};
use crate::scan::{is_blank, scan_quoted, skip_blanks};

/// A metric family type, as declared by `# TYPE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MetricType {
    /// `counter`.
    Counter,
    /// `gauge`.
    Gauge,
    /// `histogram`.
    Histogram,
    /// `gaugehistogram` (OpenMetrics only).
    GaugeHistogram,
    /// `summary`.
    Summary,
    /// `info` (OpenMetrics only).
    Info,
    /// `stateset` (OpenMetrics only).
    StateSet,
    /// `unknown` in OpenMetrics, `untyped` in the Prometheus text format, or no TYPE at all.
    Unknown,
}

impl MetricType {
    /// The OpenMetrics spelling (`unknown` for untyped).
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::GaugeHistogram => "gaugehistogram",
            MetricType::Summary => "summary",
            MetricType::Info => "info",
            MetricType::StateSet => "stateset",
            MetricType::Unknown => "unknown",
        }
    }

    /// The Prometheus text format spelling, or `None` for types it cannot express.
    pub fn as_prometheus_str(self) -> Option<&'static str> {
        Some(match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::Summary => "summary",
            MetricType::Unknown => "untyped",
            _ => return None,
        })
    }

    /// Parses a Prometheus text format type word (exact, lowercase).
    pub fn from_prometheus(s: &str) -> Option<Self> {
        Some(match s {
            "counter" => MetricType::Counter,
            "gauge" => MetricType::Gauge,
            "histogram" => MetricType::Histogram,
            "summary" => MetricType::Summary,
            "untyped" => MetricType::Unknown,
            _ => return None,
        })
    }

    /// Parses an OpenMetrics type word (exact, lowercase; `untyped` is not one).
    pub fn from_openmetrics(s: &str) -> Option<Self> {
        Some(match s {
            "counter" => MetricType::Counter,
            "gauge" => MetricType::Gauge,
            "histogram" => MetricType::Histogram,
            "gaugehistogram" => MetricType::GaugeHistogram,
            "summary" => MetricType::Summary,
            "info" => MetricType::Info,
            "stateset" => MetricType::StateSet,
            "unknown" => MetricType::Unknown,
            _ => return None,
        })
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One parsed line.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// `# TYPE name type`.
    Type(TypeLine<'a>),
    /// `# HELP name text`.
    Help(HelpLine<'a>),
    /// `# UNIT name unit` (OpenMetrics).
    Unit(UnitLine<'a>),
    /// Any other `#` line (Prometheus text format only).
    Comment(Comment<'a>),
    /// A sample line.
    Sample(Sample<'a>),
    /// `# EOF` (OpenMetrics).
    Eof(Eof),
}

impl<'a> Event<'a> {
    /// The 1-based line number the event came from.
    pub fn line(&self) -> u64 {
        match self {
            Event::Type(t) => t.line,
            Event::Help(h) => h.line,
            Event::Unit(u) => u.line,
            Event::Comment(c) => c.line,
            Event::Sample(s) => s.line(),
            Event::Eof(e) => e.line,
        }
    }

    /// The sample, if this event is one.
    pub fn as_sample(&self) -> Option<&Sample<'a>> {
        match self {
            Event::Sample(s) => Some(s),
            _ => None,
        }
    }
}

/// `# TYPE name type`. A quoted name is given without its quotes and, as in Prometheus, not
/// unescaped.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TypeLine<'a> {
    /// The family name as written (quotes stripped).
    pub name: &'a str,
    /// The declared type.
    pub metric_type: MetricType,
    /// 1-based line number.
    pub line: u64,
}

/// `# HELP name text`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HelpLine<'a> {
    /// The family name as written (quotes stripped, not unescaped).
    pub name: &'a str,
    /// The text as written, still escaped.
    pub raw_text: &'a str,
    /// 1-based line number.
    pub line: u64,
    /// Whether the line came from OpenMetrics, whose HELP text also escapes `\"`.
    pub(crate) openmetrics: bool,
}

impl<'a> HelpLine<'a> {
    /// The text with `\\` and `\n` unescaped (OpenMetrics also unescapes `\"`).
    ///
    /// ```
    /// use promtext::{Settings, parse_with};
    /// let help = |body: &[u8], s| match parse_with(body, s).next().unwrap().unwrap() {
    ///     promtext::Event::Help(h) => h.text().into_owned(),
    ///     _ => unreachable!(),
    /// };
    /// assert_eq!(help(b"# HELP a x\\\"y\n", Settings::default()), "x\\\"y");
    /// assert_eq!(help(b"# HELP a x\\\"y\n# EOF\n", Settings::openmetrics()), "x\"y");
    /// ```
    pub fn text(&self) -> Cow<'a, str> {
        if self.openmetrics {
            unescape_label_value(self.raw_text)
        } else {
            unescape_help(self.raw_text)
        }
    }
}

/// `# UNIT name unit` (OpenMetrics).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnitLine<'a> {
    /// The family name.
    pub name: &'a str,
    /// The unit (possibly empty).
    pub unit: &'a str,
    /// 1-based line number.
    pub line: u64,
}

/// A comment line (Prometheus text format): the text after `#`, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Comment<'a> {
    /// The text after the `#`. Invalid UTF-8 (allowed in comments) is replaced by U+FFFD.
    pub text: Cow<'a, str>,
    /// 1-based line number.
    pub line: u64,
}

/// The `# EOF` marker (OpenMetrics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Eof {
    /// 1-based line number.
    pub line: u64,
}

/// One sample line, borrowed from the input.
///
/// ```
/// let body = "envoy_cluster_upstream_rq{response_code_class=\"5xx\",cluster_name=\"xds-grpc\"} 16440392441958861461\n";
/// let event = promtext::parse_str(body).next().unwrap().unwrap();
/// let s = event.as_sample().unwrap();
/// assert_eq!(s.name(), "envoy_cluster_upstream_rq");
/// let labels: Vec<_> = s.labels().map(|l| (l.name, l.value)).collect();
/// assert_eq!(labels, [("response_code_class".into(), "5xx".into()), ("cluster_name".into(), "xds-grpc".into())]);
/// assert_eq!(s.value_text(), "16440392441958861461"); // exact, even beyond f64 precision
/// assert_eq!(s.value_text().parse::<u64>().unwrap(), 16440392441958861461);
/// assert_eq!(s.series(), r#"envoy_cluster_upstream_rq{response_code_class="5xx",cluster_name="xds-grpc"}"#);
/// ```
#[derive(Clone, Debug)]
pub struct Sample<'a> {
    pub(crate) name: &'a str,
    pub(crate) name_escaped: bool,
    pub(crate) labels: &'a str,
    pub(crate) labels_escaped: bool,
    pub(crate) value: f64,
    pub(crate) value_text: &'a str,
    pub(crate) timestamp_ms: Option<i64>,
    pub(crate) timestamp_text: Option<&'a str>,
    pub(crate) series: &'a str,
    pub(crate) line: u64,
    pub(crate) offset: u64,
    pub(crate) exemplar: Option<Exemplar<'a>>,
}

impl<'a> Sample<'a> {
    /// The metric name, unescaped if it was a quoted name with escapes.
    #[inline]
    pub fn name(&self) -> Cow<'a, str> {
        if self.name_escaped {
            unescape_label_value(self.name)
        } else {
            Cow::Borrowed(self.name)
        }
    }

    /// The metric name as written (without quotes, escapes intact).
    #[inline]
    pub fn raw_name(&self) -> &'a str {
        self.name
    }

    /// The labels in exposition order (the quoted metric name of the brace-only form is not a
    /// label and is skipped).
    #[inline]
    pub fn labels(&self) -> Labels<'a> {
        Labels {
            block: self.labels,
            pos: 0,
            escaped: self.labels_escaped,
        }
    }

    /// The text between the braces, as written (empty when there are none).
    #[inline]
    pub fn raw_labels(&self) -> &'a str {
        self.labels
    }

    /// The parsed value. NaN carries Prometheus' canonical bit pattern.
    #[inline]
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The value exactly as written (Envoy's 20-digit counters stay exact here).
    #[inline]
    pub fn value_text(&self) -> &'a str {
        self.value_text
    }

    /// The timestamp in milliseconds. OpenMetrics float seconds are converted as Prometheus
    /// does (`int64(ts * 1000)`, truncating).
    #[inline]
    pub fn timestamp_ms(&self) -> Option<i64> {
        self.timestamp_ms
    }

    /// The timestamp exactly as written (milliseconds in the Prometheus text format, seconds in
    /// OpenMetrics).
    #[inline]
    pub fn timestamp_text(&self) -> Option<&'a str> {
        self.timestamp_text
    }

    /// The raw series text, from the metric name through the closing `}`: a stable key for
    /// per-series caches.
    #[inline]
    pub fn series(&self) -> &'a str {
        self.series
    }

    /// The 1-based line number.
    #[inline]
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The byte offset of the start of the line in the input.
    #[inline]
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The exemplar (OpenMetrics).
    #[inline]
    pub fn exemplar(&self) -> Option<&Exemplar<'a>> {
        self.exemplar.as_ref()
    }
}

impl PartialEq for Sample<'_> {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name
            && self.name_escaped == o.name_escaped
            && self.labels == o.labels
            && self.labels_escaped == o.labels_escaped
            && self.value.to_bits() == o.value.to_bits()
            && self.value_text == o.value_text
            && self.timestamp_ms == o.timestamp_ms
            && self.timestamp_text == o.timestamp_text
            && self.series == o.series
            && self.line == o.line
            && self.offset == o.offset
            && self.exemplar == o.exemplar
    }
}

/// An OpenMetrics exemplar: ` # {labels} value [timestamp]` after a sample.
#[derive(Clone, Debug)]
pub struct Exemplar<'a> {
    pub(crate) labels: &'a str,
    pub(crate) labels_escaped: bool,
    pub(crate) value: f64,
    pub(crate) value_text: &'a str,
    pub(crate) timestamp: Option<f64>,
    pub(crate) timestamp_text: Option<&'a str>,
}

impl<'a> Exemplar<'a> {
    /// Builds an exemplar from its parts (used by dialect parsers).
    pub(crate) fn new(
        labels: &'a str,
        labels_escaped: bool,
        value: f64,
        value_text: &'a str,
        timestamp: Option<f64>,
        timestamp_text: Option<&'a str>,
    ) -> Self {
        Exemplar {
            labels,
            labels_escaped,
            value,
            value_text,
            timestamp,
            timestamp_text,
        }
    }

    /// The exemplar's labels.
    pub fn labels(&self) -> Labels<'a> {
        Labels {
            block: self.labels,
            pos: 0,
            escaped: self.labels_escaped,
        }
    }

    /// The text between the exemplar's braces.
    pub fn raw_labels(&self) -> &'a str {
        self.labels
    }

    /// The exemplar value.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The exemplar value as written.
    pub fn value_text(&self) -> &'a str {
        self.value_text
    }

    /// The exemplar timestamp in seconds.
    pub fn timestamp(&self) -> Option<f64> {
        self.timestamp
    }

    /// The exemplar timestamp as written.
    pub fn timestamp_text(&self) -> Option<&'a str> {
        self.timestamp_text
    }
}

impl PartialEq for Exemplar<'_> {
    fn eq(&self, o: &Self) -> bool {
        self.labels == o.labels
            && self.labels_escaped == o.labels_escaped
            && self.value.to_bits() == o.value.to_bits()
            && self.value_text == o.value_text
            && self.timestamp.map(f64::to_bits) == o.timestamp.map(f64::to_bits)
            && self.timestamp_text == o.timestamp_text
    }
}

/// One label: name and value, unescaped only when they contain escapes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label<'a> {
    /// The label name.
    pub name: Cow<'a, str>,
    /// The label value.
    pub value: Cow<'a, str>,
}

/// Iterator over the labels of a validated label block, in exposition order.
///
/// Re-scans the block lazily: the parser has already validated it, so this is a short,
/// allocation-free loop unless a value holds escapes.
#[derive(Clone, Debug)]
pub struct Labels<'a> {
    block: &'a str,
    pos: usize,
    escaped: bool,
}

impl<'a> Labels<'a> {
    #[inline(always)]
    fn quoted_at(&mut self, open: usize) -> Option<(Cow<'a, str>, usize)> {
        let b = self.block.as_bytes();
        let q = scan_quoted(b, open, self.escaped)?;
        let raw = &self.block[q.start..q.end];
        let s = if q.escaped {
            unescape_label_value(raw)
        } else {
            Cow::Borrowed(raw)
        };
        Some((s, q.end + 1))
    }
}

impl<'a> Iterator for Labels<'a> {
    type Item = Label<'a>;

    #[inline]
    fn next(&mut self) -> Option<Label<'a>> {
        let b = self.block.as_bytes();
        loop {
            let mut i = self.pos;
            while i < b.len() && (b[i] == b',' || is_blank(b[i])) {
                i += 1;
            }
            if i >= b.len() {
                self.pos = i;
                return None;
            }
            let name;
            if b[i] == b'"' {
                let (n, after) = self.quoted_at(i)?;
                i = skip_blanks(b, after);
                if i >= b.len() || b[i] != b'=' {
                    // The quoted metric name of the brace-only form: not a label.
                    self.pos = i;
                    continue;
                }
                name = n;
            } else {
                // Validated already: the name runs to the '=' (blanks may precede it).
                let eq = crate::scan::find_byte(b, i, b'=').unwrap_or(b.len());
                let mut end = eq;
                while end > i && is_blank(b[end - 1]) {
                    end -= 1;
                }
                name = Cow::Borrowed(&self.block[i..end]);
                i = eq;
            }
            // b[i] is '=' in a validated block.
            i = skip_blanks(b, i + 1);
            let (value, after) = self.quoted_at(i)?;
            self.pos = after;
            return Some(Label { name, value });
        }
    }
}
