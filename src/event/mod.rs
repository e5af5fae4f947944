//! The events a parser yields: the vocabulary every other module speaks.
//!
//! Events borrow the input. Names and label values that contain escapes are unescaped lazily,
//! when asked for, into a [`Cow`].

use std::borrow::Cow;
use std::fmt;

use crate::lex::escape::{unescape_help, unescape_label_value};
// The one fenced `unsafe` module: label spans located by the parser, sliced without checks.
#[allow(unsafe_code)]
pub(crate) mod located;

use crate::lex::scan::{is_blank, is_label_start, scan_quoted, skip_blanks};
pub(crate) use located::INLINE_LABELS;
use located::{Cursor, Located, QuoteWalk};

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
        Self::from_prometheus_bytes(s.as_bytes())
    }

    /// [`MetricType::from_prometheus`] of bytes (the one-pass metadata path has not made a
    /// `&str` of them).
    pub(crate) fn from_prometheus_bytes(s: &[u8]) -> Option<Self> {
        Some(match s {
            b"counter" => MetricType::Counter,
            b"gauge" => MetricType::Gauge,
            b"histogram" => MetricType::Histogram,
            b"summary" => MetricType::Summary,
            b"untyped" => MetricType::Unknown,
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
    /// A sample of OpenMetrics 2.0 ([`Dialect::OpenMetrics2`](crate::Dialect::OpenMetrics2)),
    /// with its start timestamp and exemplars; a composite value (summary, classic histogram)
    /// comes as several, one per series, as Prometheus presents them.
    Series(crate::openmetrics2::Sample<'a>),
    /// A histogram with native buckets of OpenMetrics 2.0: one event for the whole histogram,
    /// presented as the protobuf reader's native-histogram event by
    /// [`Histogram::native`](crate::openmetrics2::Histogram::native).
    Histogram(crate::openmetrics2::Histogram<'a>),
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
            Event::Series(s) => s.p.line,
            Event::Histogram(h) => h.s.p.line,
        }
    }

    /// Sets the line number: for example to the body's, for an event of a block parsed with
    /// block-relative lines ([`Options::block_lines`](crate::parallel::Options::block_lines),
    /// feature `parallel`).
    ///
    /// ```
    /// let mut event = promtext::parse(b"a 1\n").next().unwrap()?;
    /// event.set_line(event.line() + 41);
    /// assert_eq!(event.line(), 42);
    /// # Ok::<(), promtext::Error>(())
    /// ```
    pub fn set_line(&mut self, line: u64) {
        match self {
            Event::Type(t) => t.line = line,
            Event::Help(h) => h.line = line,
            Event::Unit(u) => u.line = line,
            Event::Comment(c) => c.line = line,
            Event::Sample(s) => s.line = line,
            Event::Eof(e) => e.line = line,
            Event::Series(s) => s.p.line = line,
            Event::Histogram(h) => h.s.p.line = line,
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

/// A byte range inside a sample's line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span(u64);

impl Span {
    #[inline(always)]
    pub(crate) fn new(start: usize, end: usize) -> Self {
        Span((start as u32 as u64) | ((end as u32 as u64) << 32))
    }

    #[inline(always)]
    pub(crate) fn start(self) -> u32 {
        self.0 as u32
    }

    #[inline(always)]
    pub(crate) fn end(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// The span of `part` inside `line`, computed from their addresses; an empty span for a
    /// `part` that does not lie inside `line` (such as a `""` literal).
    #[inline(always)]
    pub(crate) fn of(line: &str, part: &str) -> Self {
        let off = (part.as_ptr() as usize).wrapping_sub(line.as_ptr() as usize);
        if off <= line.len() && part.len() <= line.len() - off {
            Span::new(off, off + part.len())
        } else {
            Span::default()
        }
    }

    #[inline(always)]
    fn get(self, line: &str) -> &str {
        line.get(self.start() as usize..self.end() as usize)
            .unwrap_or_default()
    }
}

const NAME_ESCAPED: u8 = 1;
const LABELS_ESCAPED: u8 = 2;
const HAS_TIMESTAMP: u8 = 4;
const HAS_EXEMPLAR: u8 = 8;
/// The label block is tight (`name="value"` joined by single commas, no blank, quoted name or
/// escape), so the re-scan walks it quote to quote.
const LABELS_TIGHT: u8 = 16;
/// A tight block with more labels than the located ones: the re-scan takes over after them.
const LABELS_MORE: u8 = 32;

/// One sample line, borrowed from the input.
///
/// Compact on purpose (events are moved through every layer of the parser): the parts are
/// spans into the line, sliced when asked for, and the first few labels are pre-located so
/// that iterating them needs no second scan.
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
    /// The line, and its pre-located labels.
    located: Located<'a>,
    name: Span,
    labels: Span,
    value_text: Span,
    timestamp_text: Span,
    series: Span,
    value: f64,
    timestamp_ms: i64,
    line: u64,
    offset: u64,
}

/// The parts a dialect parser hands to [`Sample::new`], as spans of the line.
pub(crate) struct SampleParts {
    pub name: Span,
    pub name_escaped: bool,
    pub labels: Span,
    pub labels_escaped: bool,
    /// The block has the tight form of [`LABELS_TIGHT`].
    pub labels_tight: bool,
    pub value: f64,
    pub value_text: Span,
    pub timestamp_ms: Option<i64>,
    pub timestamp_text: Option<Span>,
    pub series: Span,
    /// The exemplar's text after ` # ` (`{labels} value [timestamp]`), validated. It must
    /// start three bytes after the timestamp (or the value) and run to the end of the line,
    /// where OpenMetrics puts it; only its presence is stored.
    pub exemplar: Option<Span>,
}

impl<'a> Sample<'a> {
    #[inline(always)]
    pub(crate) fn new(line_text: &'a str, p: SampleParts, line: u64, offset: u64) -> Self {
        let mut flags = 0;
        if p.name_escaped {
            flags |= NAME_ESCAPED;
        }
        if p.labels_escaped {
            flags |= LABELS_ESCAPED;
        }
        if p.labels_tight {
            flags |= LABELS_TIGHT;
        }
        if p.timestamp_ms.is_some() {
            flags |= HAS_TIMESTAMP;
        }
        if let Some(e) = p.exemplar {
            debug_assert_eq!(e.end() as usize, line_text.len());
            flags |= HAS_EXEMPLAR;
        }
        Sample {
            located: Located::none(line_text).with_tag(flags),
            name: p.name,
            labels: p.labels,
            value_text: p.value_text,
            timestamp_text: p.timestamp_text.unwrap_or_default(),
            series: p.series,
            value: p.value,
            timestamp_ms: p.timestamp_ms.unwrap_or(0),
            line,
            offset,
        }
    }

    /// [`Sample::new`] with the labels `located` in the line (`located.text()` is the line).
    #[inline(always)]
    pub(crate) fn with_located(
        located: Located<'a>,
        p: SampleParts,
        line: u64,
        offset: u64,
    ) -> Self {
        debug_assert!(!p.labels_escaped || located.count().is_none());
        let s = Sample::new(located.text(), p, line, offset);
        Sample {
            located: located.with_tag(s.flags()),
            ..s
        }
    }

    /// The same sample, its labels after the [`INLINE_LABELS`] located ones re-scanned from
    /// the byte after the last located label's comma: for a tight block with more labels.
    #[inline(always)]
    pub(crate) fn with_more_labels(self) -> Self {
        debug_assert!(
            self.flags() & LABELS_TIGHT != 0 && self.located.count() == Some(INLINE_LABELS),
            "more labels after a block that is not tight or not fully located"
        );
        Sample {
            located: self.located.with_tag(self.flags() | LABELS_MORE),
            ..self
        }
    }

    /// The same sample with a timestamp (`text`: its span in the line), for the one-pass
    /// path, whose usual sample has none.
    #[inline(always)]
    pub(crate) fn with_timestamp(self, ms: i64, text: Span) -> Self {
        Sample {
            located: self.located.with_tag(self.flags() | HAS_TIMESTAMP),
            timestamp_ms: ms,
            timestamp_text: text,
            ..self
        }
    }

    /// `NAME_ESCAPED` | `LABELS_ESCAPED` | `HAS_TIMESTAMP` | `HAS_EXEMPLAR`.
    #[inline(always)]
    fn flags(&self) -> u8 {
        self.located.tag()
    }

    /// The metric name, unescaped if it was a quoted name with escapes.
    #[inline]
    pub fn name(&self) -> Cow<'a, str> {
        let raw = self.name.get(self.located.text());
        if self.flags() & NAME_ESCAPED != 0 {
            unescape_label_value(raw)
        } else {
            Cow::Borrowed(raw)
        }
    }

    /// The metric name as written (without quotes, escapes intact).
    #[inline]
    pub fn raw_name(&self) -> &'a str {
        self.name.get(self.located.text())
    }

    /// The labels in exposition order (the quoted metric name of the brace-only form is not a
    /// label and is skipped).
    #[inline]
    pub fn labels(&self) -> SampleLabels<'a> {
        // With more labels after the located ones, the re-scan starts after them.
        let pos = if self.flags() & LABELS_MORE != 0 {
            self.located.after_last()
        } else {
            0
        };
        // A tight block's labels past the located ones, or all of them when none are located,
        // are walked quote to quote; most blocks need no walk.
        let (walking, from) = if pos != 0 {
            (true, pos)
        } else {
            let unlocated = self.located.count().is_none();
            let tight = self.flags() & LABELS_TIGHT != 0;
            (tight && unlocated, self.labels.start() as usize)
        };
        SampleLabels {
            // The block is sliced only if it must be re-scanned: pre-located labels are
            // sliced from the line directly.
            located: self.located.cursor(),
            base: self.labels.start(),
            end: self.labels.end(),
            pos,
            escaped: self.flags() & LABELS_ESCAPED != 0,
            walking,
            walk: if walking {
                QuoteWalk::new(self.located.text(), from, self.labels.end() as usize)
            } else {
                QuoteWalk::new("", 0, 0)
            },
        }
    }

    /// The value of label `name` (the first such label), unescaped; borrowed from the input unless it holds
    /// escapes.
    ///
    /// ```
    /// let body = "envoy_cluster_upstream_rq_total{cluster_name=\"outbound|9080||reviews\",response_code=\"200\"} 7\n";
    /// let ev = promtext::parse_str(body).next().unwrap()?;
    /// let s = ev.as_sample().unwrap();
    /// assert_eq!(s.label("response_code").as_deref(), Some("200"));
    /// assert_eq!(s.label("missing"), None);
    /// # Ok::<(), promtext::Error>(())
    /// ```
    #[inline]
    pub fn label(&self, name: &str) -> Option<Cow<'a, str>> {
        self.labels().find(|l| l.name == name).map(|l| l.value)
    }

    /// The text between the braces, as written (empty when there are none).
    #[inline]
    pub fn raw_labels(&self) -> &'a str {
        self.labels.get(self.located.text())
    }

    /// The parsed value. NaN carries Prometheus' canonical bit pattern.
    #[inline]
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The value exactly as written (Envoy's 20-digit counters stay exact here).
    #[inline]
    pub fn value_text(&self) -> &'a str {
        self.value_text.get(self.located.text())
    }

    /// The timestamp in milliseconds. OpenMetrics float seconds are converted as Prometheus
    /// does (`int64(ts * 1000)`, truncating).
    #[inline]
    pub fn timestamp_ms(&self) -> Option<i64> {
        (self.flags() & HAS_TIMESTAMP != 0).then_some(self.timestamp_ms)
    }

    /// The timestamp exactly as written (milliseconds in the Prometheus text format, seconds in
    /// OpenMetrics).
    #[inline]
    pub fn timestamp_text(&self) -> Option<&'a str> {
        (self.flags() & HAS_TIMESTAMP != 0).then(|| self.timestamp_text.get(self.located.text()))
    }

    /// The raw series text, from the metric name through the closing `}`: a stable key for
    /// per-series caches.
    #[inline]
    pub fn series(&self) -> &'a str {
        self.series.get(self.located.text())
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

    /// Whether the label block holds a backslash (so values may need unescaping).
    #[inline]
    pub(crate) fn labels_escaped(&self) -> bool {
        self.flags() & LABELS_ESCAPED != 0
    }

    /// The exemplar (OpenMetrics), decoded from its already validated text on each call.
    #[inline]
    pub fn exemplar(&self) -> Option<Exemplar<'a>> {
        (self.flags() & HAS_EXEMPLAR != 0).then(|| {
            let after = if self.flags() & HAS_TIMESTAMP != 0 {
                self.timestamp_text.end()
            } else {
                self.value_text.end()
            };
            Exemplar::from_validated(
                self.located
                    .text()
                    .get(after as usize + 3..)
                    .unwrap_or_default(),
            )
        })
    }
}

impl PartialEq for Sample<'_> {
    fn eq(&self, o: &Self) -> bool {
        self.name() == o.name()
            && self.raw_name() == o.raw_name()
            && self.raw_labels() == o.raw_labels()
            // How the block was read is not part of the sample.
            && self.flags() & !(LABELS_TIGHT | LABELS_MORE) == o.flags() & !(LABELS_TIGHT | LABELS_MORE)
            && self.value.to_bits() == o.value.to_bits()
            && self.value_text() == o.value_text()
            && self.timestamp_ms() == o.timestamp_ms()
            && self.timestamp_text() == o.timestamp_text()
            && self.series() == o.series()
            && self.line == o.line
            && self.offset == o.offset
            && self.exemplar() == o.exemplar()
    }
}

/// An OpenMetrics exemplar: ` # {labels} value [timestamp]` after a sample.
#[derive(Clone, Debug)]
pub struct Exemplar<'a> {
    labels: &'a str,
    pub(crate) labels_escaped: bool,
    value: f64,
    value_text: &'a str,
    timestamp: Option<f64>,
    timestamp_text: Option<&'a str>,
}

impl<'a> Exemplar<'a> {
    /// Decodes `{labels} value [timestamp]`, text a dialect parser has validated.
    pub(crate) fn from_validated(raw: &'a str) -> Self {
        let b = raw.as_bytes();
        // The closing brace: the first '}' outside quotes.
        let mut i = 1;
        let mut close = b.len();
        while i < b.len() {
            match b[i] {
                b'"' => match scan_quoted(b, i, true) {
                    Some(q) => i = q.end + 1,
                    None => break,
                },
                b'}' => {
                    close = i;
                    break;
                }
                _ => i += 1,
            }
        }
        let labels = raw.get(1..close).unwrap_or_default();
        let rest = raw
            .get(close + 1..)
            .unwrap_or_default()
            .trim_start_matches(' ');
        let (value_text, timestamp_text) = match rest.split_once(' ') {
            Some((v, t)) => (v, Some(t)),
            None => (rest, None),
        };
        Exemplar {
            labels,
            labels_escaped: labels.contains('\\'),
            value: crate::go::parse_value(value_text).unwrap_or(f64::NAN),
            value_text,
            timestamp: timestamp_text.and_then(|t| t.parse().ok()),
            timestamp_text,
        }
    }

    /// The exemplar's labels.
    pub fn labels(&self) -> SampleLabels<'a> {
        SampleLabels {
            located: Cursor::none(self.labels),
            base: 0,
            end: self.labels.len() as u32,
            pos: 0,
            escaped: self.labels_escaped,
            walking: false,
            walk: QuoteWalk::new("", 0, 0),
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
pub struct SampleLabels<'a> {
    /// The text holding the block `text[base..end]` (the sample's line, or an exemplar's
    /// label text), and the labels located in it.
    located: Cursor<'a>,
    base: u32,
    end: u32,
    pos: usize,
    escaped: bool,
    /// Whether the labels after the located ones (all, if none are located) are those of a
    /// tight block (see `LABELS_TIGHT`), which `walk` takes quote to quote.
    walking: bool,
    walk: QuoteWalk<'a>,
}

impl<'a> SampleLabels<'a> {
    /// The labels of the validated block `text[base..end]`, re-scanned when iterated.
    pub(crate) fn over(text: &'a str, base: u32, end: u32, escaped: bool) -> Self {
        SampleLabels {
            located: Cursor::none(text),
            base,
            end,
            pos: 0,
            escaped,
            walking: false,
            walk: QuoteWalk::new("", 0, 0),
        }
    }

    /// The same labels through the re-scan, ignoring the located ones (differential tests).
    #[cfg(test)]
    pub(crate) fn rescanned(mut self) -> Self {
        self.located = Cursor::none(self.located.text());
        self.pos = 0;
        // The general re-scan, the reference for the tight walk too.
        self.walking = false;
        self
    }

    /// The text holding the block.
    #[inline(always)]
    fn text(&self) -> &'a str {
        self.located.text()
    }

    #[inline(always)]
    fn quoted_at(&mut self, open: usize) -> Option<(Cow<'a, str>, usize)> {
        let b = self.text().as_bytes();
        let q = scan_quoted(b, open, self.escaped)?;
        let raw = &self.text()[q.start..q.end];
        let s = if q.escaped {
            unescape_label_value(raw)
        } else {
            Cow::Borrowed(raw)
        };
        Some((s, q.end + 1))
    }
}

impl<'a> Iterator for SampleLabels<'a> {
    type Item = Label<'a>;

    /// The pre-located labels are a few loads and slices: inlined into the caller's loop,
    /// with the re-scan kept out of line so it does not weigh on it.
    #[inline(always)]
    fn next(&mut self) -> Option<Label<'a>> {
        if let Some((name, value)) = self.located.next() {
            return Some(Label {
                name: Cow::Borrowed(name),
                value: Cow::Borrowed(value),
            });
        }
        if self.walking {
            return self.next_tight();
        }
        if self.located.is_located() {
            return None;
        }
        self.next_rescan()
    }
}

impl<'a> SampleLabels<'a> {
    /// [`Labels::next`] without pre-located labels: scans the validated block
    /// `text[base..end]`, with `pos` an index into `text` (0 before the first label).
    ///
    /// The shape of nearly every label is taken inline: `name="value"` followed by ',' or the
    /// block's end, with no blank, quoted name or escape. In a validated block nothing but
    /// the name lies between a name's first byte and its '=' when no blank precedes the '=',
    /// and no '"' lies inside an unescaped value. Anything else takes the general loop.
    #[inline(always)]
    fn next_rescan(&mut self) -> Option<Label<'a>> {
        let end = self.end as usize;
        let i = self.pos.max(self.base as usize);
        let b = self.text().as_bytes();
        if !self.escaped && i < end && end <= b.len() && is_label_start(b[i]) {
            let b = &b[..end];
            if let Some(eq) = crate::lex::scan::find_byte(b, i + 1, b'=') {
                if !is_blank(b[eq - 1]) && b.get(eq + 1) == Some(&b'"') {
                    if let Some(close) = crate::lex::scan::find_byte_short(b, eq + 2, b'"') {
                        let after = close + 1;
                        if after == end || b[after] == b',' {
                            if let (Some(name), Some(value)) =
                                (self.text().get(i..eq), self.text().get(eq + 2..close))
                            {
                                self.pos = (after + 1).min(end);
                                return Some(Label {
                                    name: Cow::Borrowed(name),
                                    value: Cow::Borrowed(value),
                                });
                            }
                        }
                    }
                }
            }
        }
        self.next_general()
    }

    /// The next label of a tight block.
    #[inline(always)]
    fn next_tight(&mut self) -> Option<Label<'a>> {
        let (name, value) = self.walk.next()?;
        Some(Label {
            name: Cow::Borrowed(name),
            value: Cow::Borrowed(value),
        })
    }

    /// The general re-scan: blanks, quoted names and escapes.
    #[inline(never)]
    fn next_general(&mut self) -> Option<Label<'a>> {
        let b = self.text().as_bytes().get(..self.end as usize)?;
        let mut i = self.pos.max(self.base as usize);
        loop {
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
                    continue;
                }
                name = n;
            } else {
                // Validated already: the name runs to the '=' (blanks may precede it).
                let eq = crate::lex::scan::find_byte(b, i, b'=').unwrap_or(b.len());
                let mut end = eq;
                while end > i && is_blank(b[end - 1]) {
                    end -= 1;
                }
                name = Cow::Borrowed(self.text().get(i..end)?);
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
