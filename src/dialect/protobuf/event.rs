//! The events of the protobuf exposition, borrowed from the body.

use std::borrow::Cow;
use std::fmt;

use super::wire::{Fields, Repeated, zigzag};
use crate::event::{Label, MetricType};

/// One event of a protobuf body, in the order Prometheus' `protobufparse` presents them: per
/// family HELP, UNIT (when set), TYPE, then each metric as samples or a native histogram.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The family's help text (always sent, possibly empty, as Prometheus does).
    Help(Help<'a>),
    /// The family's unit, when it has one.
    Unit(crate::UnitLine<'a>),
    /// The family's type.
    Type(crate::TypeLine<'a>),
    /// A float sample: a counter, gauge or untyped value, or a series of a classic histogram
    /// or summary (`_count`, `_sum`, `_bucket{le=…}`, `{quantile=…}`).
    Sample(Sample<'a>),
    /// A native histogram, one event for the whole histogram.
    Histogram(NativeHistogram<'a>),
}

impl<'a> Event<'a> {
    /// The sample, if this event is one.
    pub fn as_sample(&self) -> Option<&Sample<'a>> {
        match self {
            Event::Sample(s) => Some(s),
            _ => None,
        }
    }

    /// The native histogram, if this event is one.
    pub fn as_histogram(&self) -> Option<&NativeHistogram<'a>> {
        match self {
            Event::Histogram(h) => Some(h),
            _ => None,
        }
    }
}

/// A family's help text, exactly as sent (the protobuf format has no escaping).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Help<'a> {
    /// The family name.
    pub name: &'a str,
    /// The help text (UTF-8 validated).
    pub text: &'a str,
}

/// Which series of a metric a [`Sample`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Series {
    /// A counter, gauge or untyped value (named as the family).
    Value,
    /// A summary quantile (named as the family, with a `quantile` label).
    Quantile,
    /// A classic histogram bucket (`_bucket`, with an `le` label).
    Bucket,
    /// `_sum` of a histogram or summary.
    Sum,
    /// `_count` of a histogram or summary.
    Count,
}

impl Series {
    /// The suffix appended to the family name.
    pub fn suffix(self) -> &'static str {
        match self {
            Series::Value | Series::Quantile => "",
            Series::Bucket => "_bucket",
            Series::Sum => "_sum",
            Series::Count => "_count",
        }
    }
}

/// A float formatted into the event itself (the `le`/`quantile` value), so no sample
/// allocates.
#[derive(Clone, Copy)]
pub(crate) struct Fmt {
    len: u8,
    buf: [u8; 31],
}

impl Fmt {
    pub(crate) fn from_bytes(b: &[u8]) -> Self {
        let mut f = Fmt {
            len: 0,
            buf: [0; 31],
        };
        let n = b.len().min(31);
        f.buf[..n].copy_from_slice(&b[..n]);
        f.len = n as u8;
        f
    }

    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or_default()
    }
}

impl fmt::Debug for Fmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// A metric name: the family name and the suffix of the series, shown joined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Name<'a> {
    /// The family name.
    pub family: &'a str,
    /// `""`, `_bucket`, `_sum` or `_count`.
    pub suffix: &'static str,
}

impl Name<'_> {
    /// Whether the joined name equals `s` (no allocation).
    pub fn is(&self, s: &str) -> bool {
        s.len() == self.family.len() + self.suffix.len()
            && s.starts_with(self.family)
            && s.ends_with(self.suffix)
    }

    /// Appends the joined name to `out`.
    pub fn push_to(&self, out: &mut String) {
        out.push_str(self.family);
        out.push_str(self.suffix);
    }
}

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.family)?;
        f.write_str(self.suffix)
    }
}

impl PartialEq<str> for Name<'_> {
    fn eq(&self, o: &str) -> bool {
        self.is(o)
    }
}

impl PartialEq<&str> for Name<'_> {
    fn eq(&self, o: &&str) -> bool {
        self.is(o)
    }
}

/// One float sample of a protobuf body.
///
/// The labels are read from the metric's bytes when iterated (they were validated when the
/// metric was read); the `le` or `quantile` label Prometheus adds comes last, formatted as
/// Prometheus formats it (`1.0`, `0.5`, `1e+06`, `+Inf`).
///
/// ```
/// use promtext::protobuf::{self, write};
/// let body = write::encode_families(&[write::Family::counter("rq", "Requests.")
///     .metric(write::Metric::new(&[("code", "200")]).value(7.0))]);
/// let events: Vec<_> = protobuf::parse(&body).collect::<Result<_, _>>()?;
/// let s = events[2].as_sample().unwrap();
/// assert_eq!(s.name().to_string(), "rq");
/// assert_eq!(s.labels().map(|l| (l.name, l.value)).collect::<Vec<_>>(), [("code".into(), "200".into())]);
/// assert_eq!(s.value(), 7.0);
/// # Ok::<(), promtext::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Sample<'a> {
    pub(crate) family: &'a str,
    pub(crate) metric_type: MetricType,
    pub(crate) series: Series,
    /// The `Metric` message (its labels are field 1).
    pub(crate) metric: &'a [u8],
    pub(crate) value: f64,
    pub(crate) timestamp_ms: Option<i64>,
    pub(crate) start_timestamp_ms: Option<i64>,
    pub(crate) extra: Option<Fmt>,
    pub(crate) exemplar: Option<Exemplar<'a>>,
    pub(crate) offset: u64,
}

impl<'a> Sample<'a> {
    /// The metric name (family name and suffix).
    #[inline]
    pub fn name(&self) -> Name<'a> {
        Name {
            family: self.family,
            suffix: self.series.suffix(),
        }
    }

    /// The family's name.
    #[inline]
    pub fn family_name(&self) -> &'a str {
        self.family
    }

    /// The family's type (`GaugeHistogram` for a gauge histogram).
    #[inline]
    pub fn metric_type(&self) -> MetricType {
        self.metric_type
    }

    /// Which series of the metric this is.
    #[inline]
    pub fn series(&self) -> Series {
        self.series
    }

    /// The labels: the metric's in wire order, then `le` or `quantile` when the series has it.
    #[inline]
    pub fn labels(&self) -> MetricLabels<'_> {
        MetricLabels {
            pairs: LabelPairs::new(self.metric),
            extra: self.extra.as_ref().map(|f| {
                (
                    if self.series == Series::Bucket {
                        "le"
                    } else {
                        "quantile"
                    },
                    f.as_str(),
                )
            }),
        }
    }

    /// The metric's own labels, borrowed from the body (without `le`/`quantile`).
    #[inline]
    pub fn metric_labels(&self) -> LabelPairs<'a> {
        LabelPairs::new(self.metric)
    }

    /// The `le` (bucket) or `quantile` value as Prometheus formats it, if the series has one.
    pub fn bound_label(&self) -> Option<&str> {
        self.extra.as_ref().map(Fmt::as_str)
    }

    /// The value.
    #[inline]
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The metric's timestamp in milliseconds (`timestamp_ms` 0 means none, as in Prometheus).
    #[inline]
    pub fn timestamp_ms(&self) -> Option<i64> {
        self.timestamp_ms
    }

    /// The start (created) timestamp of a counter, summary or histogram, in milliseconds.
    #[inline]
    pub fn start_timestamp_ms(&self) -> Option<i64> {
        self.start_timestamp_ms
    }

    /// The exemplar of a counter or of a classic bucket.
    #[inline]
    pub fn exemplar(&self) -> Option<&Exemplar<'a>> {
        self.exemplar.as_ref()
    }

    /// The byte offset of the `Metric` message in the body.
    #[inline]
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

impl PartialEq for Sample<'_> {
    fn eq(&self, o: &Self) -> bool {
        self.name() == o.name()
            && self.labels().eq(o.labels())
            && self.value.to_bits() == o.value.to_bits()
            && self.timestamp_ms == o.timestamp_ms
            && self.start_timestamp_ms == o.start_timestamp_ms
            && self.exemplar == o.exemplar
            && self.offset == o.offset
    }
}

/// The labels of a sample; see [`Sample::labels`].
#[derive(Clone, Debug)]
pub struct MetricLabels<'s> {
    pairs: LabelPairs<'s>,
    extra: Option<(&'static str, &'s str)>,
}

impl<'s> Iterator for MetricLabels<'s> {
    type Item = Label<'s>;

    #[inline]
    fn next(&mut self) -> Option<Label<'s>> {
        if let Some((name, value)) = self.pairs.next() {
            return Some(Label {
                name: Cow::Borrowed(name),
                value: Cow::Borrowed(value),
            });
        }
        let (name, value) = self.extra.take()?;
        Some(Label {
            name: Cow::Borrowed(name),
            value: Cow::Borrowed(value),
        })
    }
}

/// `LabelPair` messages of a message (field 1 of `Metric` and `Exemplar`), as
/// `(name, value)`, borrowed from the body.
#[derive(Clone, Debug)]
pub struct LabelPairs<'a> {
    /// The leading run of label fields, validated as UTF-8 in one call: names and values are
    /// sliced from it without another check.
    fast: &'a str,
    pos: usize,
    /// The rest of the message, whose labels are checked one by one.
    fields: Fields<'a>,
}

/// The end of the leading run of `LabelPair` fields with one-byte lengths in `msg`: what
/// encoders write first in a `Metric`. Every byte of the run outside the strings is ASCII (tags
/// and lengths below 0x80), so the run is valid UTF-8 exactly when its strings are, and each
/// string, bordered by ASCII bytes, starts and ends on char boundaries.
#[inline]
pub(crate) fn label_run(msg: &[u8]) -> usize {
    let mut p = 0;
    while p + 1 < msg.len() && msg[p] == 0x0a && msg[p + 1] < 0x80 {
        let end = p + 2 + msg[p + 1] as usize;
        if end > msg.len() {
            break;
        }
        p = end;
    }
    p
}

impl<'a> LabelPairs<'a> {
    #[inline]
    pub(crate) fn new(msg: &'a [u8]) -> Self {
        let run = label_run(msg);
        match std::str::from_utf8(&msg[..run]) {
            Ok(fast) => LabelPairs {
                fast,
                pos: 0,
                fields: Fields::new(&msg[run..]),
            },
            Err(_) => LabelPairs {
                fast: "",
                pos: 0,
                fields: Fields::new(msg),
            },
        }
    }

    /// `part` (a sub-slice of `fast`, or empty) as text.
    #[inline(always)]
    fn sub(&self, part: &'a [u8]) -> &'a str {
        if part.is_empty() {
            return "";
        }
        let off = (part.as_ptr() as usize).wrapping_sub(self.fast.as_ptr() as usize);
        self.fast
            .get(off..off.wrapping_add(part.len()))
            .or_else(|| std::str::from_utf8(part).ok())
            .unwrap_or_default()
    }
}

impl<'a> Iterator for LabelPairs<'a> {
    type Item = (&'a str, &'a str);

    #[inline]
    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        let b = self.fast.as_bytes();
        if self.pos < b.len() {
            let start = self.pos + 2;
            let end = start + b[self.pos + 1] as usize;
            self.pos = end;
            let (name, value) = label_pair(b.get(start..end)?).ok()?;
            return Some((self.sub(name), self.sub(value)));
        }
        loop {
            let (n, v, _) = self.fields.next_field()?.ok()?;
            if n != 1 {
                continue;
            }
            let (name, value) = label_pair(v.as_bytes()?).ok()?;
            // Validated when the metric was read; the check again is what keeps this safe
            // without `unsafe`.
            return Some((
                std::str::from_utf8(name).unwrap_or_default(),
                std::str::from_utf8(value).unwrap_or_default(),
            ));
        }
    }
}

/// The name and value bytes of one `LabelPair` (last occurrence wins, as in protobuf).
#[inline]
pub(crate) fn label_pair(msg: &[u8]) -> Result<(&[u8], &[u8]), super::wire::WireError> {
    // The common encoding: name (tag 0x0a, short length), value (tag 0x12, short length).
    if msg.len() >= 4 && msg[0] == 0x0a && msg[1] < 0x80 {
        let nl = msg[1] as usize;
        if let (Some(&0x12), Some(&vl)) = (msg.get(2 + nl), msg.get(3 + nl)) {
            if vl < 0x80 && 4 + nl + vl as usize == msg.len() {
                return Ok((&msg[2..2 + nl], &msg[4 + nl..]));
            }
        }
    }
    let mut name: &[u8] = &[];
    let mut value: &[u8] = &[];
    let mut f = Fields::new(msg);
    while let Some(r) = f.next_field() {
        let (n, v, at) = r?;
        let slot = match n {
            1 => &mut name,
            2 => &mut value,
            _ => continue,
        };
        *slot = v.as_bytes().ok_or(super::wire::WireError {
            at,
            what: "wrong wire type for a string field",
        })?;
    }
    Ok((name, value))
}

/// An exemplar: labels, value and optional timestamp.
#[derive(Clone, Debug)]
pub struct Exemplar<'a> {
    pub(crate) msg: &'a [u8],
    pub(crate) value: f64,
    pub(crate) timestamp_ms: Option<i64>,
}

impl<'a> Exemplar<'a> {
    /// The labels, borrowed from the body.
    pub fn labels(&self) -> LabelPairs<'a> {
        LabelPairs::new(self.msg)
    }

    /// The value.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The timestamp in milliseconds, when set.
    pub fn timestamp_ms(&self) -> Option<i64> {
        self.timestamp_ms
    }
}

impl PartialEq for Exemplar<'_> {
    fn eq(&self, o: &Self) -> bool {
        self.labels().eq(o.labels())
            && self.value.to_bits() == o.value.to_bits()
            && self.timestamp_ms == o.timestamp_ms
    }
}

/// A native histogram: one event for the whole histogram, buckets read from the body on
/// iteration.
///
/// ```
/// use promtext::protobuf::{self, write};
/// let mut h = write::Native::new(0);
/// h.count = 3.0;
/// h.sum = 4.5;
/// h.positive_spans = vec![(0, 2)];
/// h.positive = vec![1.0, 2.0]; // absolute counts, written as deltas
/// let body = write::encode_families(&[write::Family::histogram("lat", "")
///     .metric(write::Metric::new(&[]).native(h))]);
/// let ev = protobuf::parse(&body).nth(2).unwrap()?;
/// let h = ev.as_histogram().unwrap();
/// assert_eq!((h.schema(), h.count(), h.sum()), (0, 3.0, 4.5));
/// let b: Vec<_> = h.positive_buckets().map(|b| (b.index, b.lower, b.upper, b.count)).collect();
/// assert_eq!(b, [(0, 0.5, 1.0, 1.0), (1, 1.0, 2.0, 2.0)]);
/// # Ok::<(), promtext::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct NativeHistogram<'a> {
    pub(crate) family: &'a str,
    pub(crate) gauge: bool,
    pub(crate) metric: &'a [u8],
    /// The `Histogram` message.
    pub(crate) msg: &'a [u8],
    pub(crate) h: HistHead,
    pub(crate) timestamp_ms: Option<i64>,
    pub(crate) offset: u64,
}

/// The scalar fields of a `Histogram` message, read once.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct HistHead {
    pub count: u64,
    pub count_float: f64,
    pub sum: f64,
    pub schema: i32,
    pub zero_threshold: f64,
    pub zero_count: u64,
    pub zero_count_float: f64,
    pub start_ms: Option<i64>,
    pub spans: bool,
    pub buckets: usize,
    pub float: bool,
    pub inf_bucket: bool,
}

impl HistHead {
    /// Prometheus' rule: any span, or a zero bucket with a threshold or a count.
    pub(crate) fn is_native(&self) -> bool {
        self.spans || self.zero_threshold > 0.0 || self.zero_count > 0
    }
}

/// One bucket of a native histogram, with its bounds.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Bucket {
    /// The bucket index in the schema.
    pub index: i32,
    /// The lower bound (exclusive for positive buckets).
    pub lower: f64,
    /// The upper bound (inclusive for positive buckets).
    pub upper: f64,
    /// The absolute count.
    pub count: f64,
}

impl<'a> NativeHistogram<'a> {
    /// The family's name (the histogram's metric name).
    pub fn name(&self) -> &'a str {
        self.family
    }

    /// Whether the family is a gauge histogram.
    pub fn is_gauge(&self) -> bool {
        self.gauge
    }

    /// The metric's labels, borrowed from the body.
    pub fn labels(&self) -> LabelPairs<'a> {
        LabelPairs::new(self.metric)
    }

    /// The schema: −4..8 for exponential buckets (8 the finest), −53 for custom buckets.
    pub fn schema(&self) -> i32 {
        self.h.schema
    }

    /// Whether the counts are floats (`*_count_float`, absolute `*_count` buckets) rather than
    /// integers with deltas.
    pub fn is_float(&self) -> bool {
        self.h.float
    }

    /// The observation count (`sample_count_float` when it is > 0).
    pub fn count(&self) -> f64 {
        if self.h.count_float > 0.0 {
            self.h.count_float
        } else {
            self.h.count as f64
        }
    }

    /// The sum of observations.
    pub fn sum(&self) -> f64 {
        self.h.sum
    }

    /// The zero bucket's threshold.
    pub fn zero_threshold(&self) -> f64 {
        self.h.zero_threshold
    }

    /// The zero bucket's count (`zero_count_float` when it is > 0).
    pub fn zero_count(&self) -> f64 {
        if self.h.zero_count_float > 0.0 {
            self.h.zero_count_float
        } else {
            self.h.zero_count as f64
        }
    }

    /// The start (created) timestamp in milliseconds.
    pub fn start_timestamp_ms(&self) -> Option<i64> {
        self.h.start_ms
    }

    /// The metric's timestamp in milliseconds.
    pub fn timestamp_ms(&self) -> Option<i64> {
        self.timestamp_ms
    }

    /// The byte offset of the `Metric` message in the body.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The positive spans, `(offset, length)`.
    pub fn positive_spans(&self) -> Spans<'a> {
        Spans::new(self.msg, 12)
    }

    /// The negative spans, `(offset, length)`.
    pub fn negative_spans(&self) -> Spans<'a> {
        Spans::new(self.msg, 9)
    }

    /// The positive buckets in index order, with bounds `(lower, upper]`.
    pub fn positive_buckets(&self) -> Buckets<'a> {
        Buckets::new(self.msg, 12, 13, 14, self.h.schema, self.h.float, false)
    }

    /// The negative buckets in index order, with bounds `[-upper, -lower)` given as
    /// `lower = -upper(index)`, `upper = -lower(index)`.
    pub fn negative_buckets(&self) -> Buckets<'a> {
        Buckets::new(self.msg, 9, 10, 11, self.h.schema, self.h.float, true)
    }

    /// The exemplars (field `exemplars`; a native histogram's exemplars carry timestamps).
    pub fn exemplars(&self) -> Exemplars<'a> {
        Exemplars {
            fields: Fields::new(self.msg),
        }
    }
}

impl PartialEq for NativeHistogram<'_> {
    fn eq(&self, o: &Self) -> bool {
        self.family == o.family
            && self.gauge == o.gauge
            && self.labels().eq(o.labels())
            && self.h == o.h
            && self.positive_spans().eq(o.positive_spans())
            && self.negative_spans().eq(o.negative_spans())
            && self.positive_buckets().eq(o.positive_buckets())
            && self.negative_buckets().eq(o.negative_buckets())
            && self.exemplars().eq(o.exemplars())
            && self.timestamp_ms == o.timestamp_ms
            && self.offset == o.offset
    }
}

/// The exemplars of a native histogram.
#[derive(Clone, Debug)]
pub struct Exemplars<'a> {
    fields: Fields<'a>,
}

impl<'a> Iterator for Exemplars<'a> {
    type Item = Exemplar<'a>;

    fn next(&mut self) -> Option<Exemplar<'a>> {
        loop {
            let (n, v, _) = self.fields.next_field()?.ok()?;
            if n == 16 {
                return super::messages::exemplar(v.as_bytes()?).ok();
            }
        }
    }
}

/// Bucket spans `(offset, length)` of one side of a native histogram.
#[derive(Clone, Debug)]
pub struct Spans<'a> {
    fields: Fields<'a>,
    number: u32,
}

impl<'a> Spans<'a> {
    fn new(msg: &'a [u8], number: u32) -> Self {
        Spans {
            fields: Fields::new(msg),
            number,
        }
    }
}

impl Iterator for Spans<'_> {
    type Item = (i32, u32);

    fn next(&mut self) -> Option<(i32, u32)> {
        loop {
            let (n, v, _) = self.fields.next_field()?.ok()?;
            if n == self.number {
                return span(v.as_bytes()?).ok();
            }
        }
    }
}

/// A `BucketSpan`: `(offset, length)`.
pub(crate) fn span(msg: &[u8]) -> Result<(i32, u32), super::wire::WireError> {
    let (mut off, mut len) = (0i32, 0u32);
    let mut f = Fields::new(msg);
    while let Some(r) = f.next_field() {
        let (n, v, at) = r?;
        let bad = super::wire::WireError {
            at,
            what: "wrong wire type for a varint field",
        };
        match n {
            1 => off = zigzag(v.as_varint().ok_or(bad)?) as i32,
            2 => len = v.as_varint().ok_or(bad)? as u32,
            _ => {}
        }
    }
    Ok((off, len))
}

/// The buckets of one side of a native histogram, with their bounds; allocation-free.
#[derive(Clone, Debug)]
pub struct Buckets<'a> {
    spans: Spans<'a>,
    values: Repeated<'a>,
    float: bool,
    schema: i32,
    negative: bool,
    left: u32,
    index: i64,
    running: i64,
}

impl<'a> Buckets<'a> {
    fn new(
        msg: &'a [u8],
        span_field: u32,
        delta_field: u32,
        count_field: u32,
        schema: i32,
        float: bool,
        negative: bool,
    ) -> Self {
        Buckets {
            spans: Spans::new(msg, span_field),
            values: if float {
                Repeated::new(msg, count_field, true)
            } else {
                Repeated::new(msg, delta_field, false)
            },
            float,
            schema,
            negative,
            left: 0,
            index: 0,
            running: 0,
        }
    }
}

impl Iterator for Buckets<'_> {
    type Item = Bucket;

    fn next(&mut self) -> Option<Bucket> {
        while self.left == 0 {
            let (off, len) = self.spans.next()?;
            // The first span's offset is the index of its first bucket; a later one is the gap
            // after the previous span, whose end `index` points just past.
            self.index += off as i64;
            self.left = len;
        }
        let raw = self.values.next()?;
        let count = if self.float {
            f64::from_bits(raw)
        } else {
            self.running = self.running.wrapping_add(zigzag(raw));
            self.running as f64
        };
        let index = self.index as i32;
        self.index += 1;
        self.left -= 1;
        let (lo, hi) = (
            bound(index as i64 - 1, self.schema),
            bound(index as i64, self.schema),
        );
        let (lower, upper) = if self.negative { (-hi, -lo) } else { (lo, hi) };
        Some(Bucket {
            index,
            lower,
            upper,
            count,
        })
    }
}

/// The upper bound of exponential bucket `idx` in `schema`, as Prometheus' `getBound`
/// computes it (2^(idx·2^−schema), with `f64::MAX` for the last finite bucket). NaN for a
/// schema below −4: custom buckets (−53) take their bounds from values this format does not
/// carry.
pub fn bound(idx: i64, schema: i32) -> f64 {
    if schema < -4 {
        return f64::NAN;
    }
    if schema < 0 {
        let exp = idx << (-schema).min(62);
        if exp == 1024 {
            return f64::MAX;
        }
        return ldexp(1.0, exp);
    }
    let schema = schema.min(30);
    let frac_idx = idx & ((1i64 << schema) - 1);
    let frac = (frac_idx as f64 / (1i64 << schema) as f64).exp2() / 2.0;
    let exp = (idx >> schema) + 1;
    if frac == 0.5 && exp == 1025 {
        return f64::MAX;
    }
    ldexp(frac, exp)
}

/// `x · 2^e`, without intermediate overflow for large `|e|`.
fn ldexp(mut x: f64, mut e: i64) -> f64 {
    while e > 1000 && x.is_finite() && x != 0.0 {
        x *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 && x != 0.0 {
        x *= 2f64.powi(-1000);
        e += 1000;
    }
    x * 2f64.powi(e.clamp(-1100, 1100) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_match_prometheus_tables() {
        // getBound in Prometheus' model/histogram.
        assert_eq!(bound(0, 0), 1.0);
        assert_eq!(bound(1, 0), 2.0);
        assert_eq!(bound(-1, 0), 0.5);
        assert_eq!(bound(1, 1), std::f64::consts::SQRT_2);
        assert_eq!(bound(1, 3), 1.0905077326652577);
        assert_eq!(bound(2, -2), 256.0);
        assert_eq!(bound(256, -2), f64::MAX);
        assert_eq!(bound(1024, 0), f64::MAX);
        assert_eq!(bound(1025, 0), f64::INFINITY);
        assert_eq!(bound(-1074, 0), 5e-324);
        assert_eq!(bound(-1075, 0), 0.0);
        assert_eq!(bound(8192, 3), f64::MAX);
        assert!(bound(1, -53).is_nan());
    }
}
