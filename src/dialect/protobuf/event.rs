//! The events of the protobuf exposition, borrowed from the body.

use std::borrow::Cow;
use std::fmt;

use super::bounds::{CUSTOM_BUCKETS_SCHEMA, bound, custom_bound};
use super::wire::{Fields, Repeated, put_key, put_varint, zigzag};
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
/// allocates; common bounds point at a static copy, which needs no UTF-8 check when read.
#[derive(Clone, Copy)]
pub(crate) enum Fmt {
    Static(&'static str),
    Inline { len: u8, buf: [u8; 31] },
}

/// Bounds and quantiles as Prometheus formats them that are common in expositions (Envoy's
/// and Istio's default buckets, client libraries' defaults, usual quantiles).
pub(crate) const COMMON: &[(f64, &str)] = &[
    (0.0, "0.0"),
    (0.0001, "0.0001"),
    (0.0005, "0.0005"),
    (0.001, "0.001"),
    (0.0025, "0.0025"),
    (0.005, "0.005"),
    (0.01, "0.01"),
    (0.025, "0.025"),
    (0.05, "0.05"),
    (0.075, "0.075"),
    (0.1, "0.1"),
    (0.2, "0.2"),
    (0.25, "0.25"),
    (0.3, "0.3"),
    (0.4, "0.4"),
    (0.5, "0.5"),
    (0.6, "0.6"),
    (0.7, "0.7"),
    (0.75, "0.75"),
    (0.8, "0.8"),
    (0.9, "0.9"),
    (0.95, "0.95"),
    (0.99, "0.99"),
    (0.999, "0.999"),
    (0.9999, "0.9999"),
    (1.0, "1.0"),
    (2.0, "2.0"),
    (2.5, "2.5"),
    (3.0, "3.0"),
    (4.0, "4.0"),
    (5.0, "5.0"),
    (7.5, "7.5"),
    (10.0, "10.0"),
    (15.0, "15.0"),
    (20.0, "20.0"),
    (25.0, "25.0"),
    (30.0, "30.0"),
    (50.0, "50.0"),
    (60.0, "60.0"),
    (75.0, "75.0"),
    (100.0, "100.0"),
    (120.0, "120.0"),
    (200.0, "200.0"),
    (250.0, "250.0"),
    (300.0, "300.0"),
    (500.0, "500.0"),
    (600.0, "600.0"),
    (750.0, "750.0"),
    (1000.0, "1000.0"),
    (2000.0, "2000.0"),
    (2500.0, "2500.0"),
    (5000.0, "5000.0"),
    (10000.0, "10000.0"),
    (25000.0, "25000.0"),
    (30000.0, "30000.0"),
    (50000.0, "50000.0"),
    (60000.0, "60000.0"),
    (100000.0, "100000.0"),
    (250000.0, "250000.0"),
    (300000.0, "300000.0"),
    (500000.0, "500000.0"),
    (600000.0, "600000.0"),
    (1.0e06, "1e+06"),
    (1.8e06, "1.8e+06"),
    (3.6e06, "3.6e+06"),
    (1.0e07, "1e+07"),
    (1.0e08, "1e+08"),
    (1.0e09, "1e+09"),
];

impl Fmt {
    pub(crate) const INF: Fmt = Fmt::Static("+Inf");

    /// The static copy of a common value, compared by bits (`-0.0` is not `0.0`).
    pub(crate) fn common(v: f64) -> Option<Self> {
        let bits = v.to_bits();
        COMMON
            .iter()
            .find(|(c, _)| c.to_bits() == bits)
            .map(|&(_, s)| Fmt::Static(s))
    }

    pub(crate) fn from_bytes(b: &[u8]) -> Self {
        let mut buf = [0; 31];
        let n = b.len().min(31);
        buf[..n].copy_from_slice(&b[..n]);
        Fmt::Inline { len: n as u8, buf }
    }

    #[inline]
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Fmt::Static(s) => s,
            Fmt::Inline { len, buf } => {
                std::str::from_utf8(buf.get(..*len as usize).unwrap_or_default())
                    .unwrap_or_default()
            }
        }
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
    /// The metric's leading run of labels (see [`label_run`]), validated once per metric.
    pub(crate) run: &'a str,
    /// Whether label fields follow the run in `metric`.
    pub(crate) more: bool,
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
            pairs: self.metric_labels(),
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
        let rest = match self.more {
            true => self.metric.get(self.run.len()..).unwrap_or_default(),
            false => &[],
        };
        LabelPairs::from_run(self.run, rest)
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

    /// The labels of a validated run (a prefix of a message) and of the fields after it.
    #[inline]
    pub(crate) fn from_run(run: &'a str, rest: &'a [u8]) -> Self {
        LabelPairs {
            fast: run,
            pos: 0,
            fields: Fields::new(rest),
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

impl<'a> LabelPairs<'a> {
    /// A label of the run not in the common encoding, or one after the run.
    #[inline(never)]
    fn next_slow(&mut self, run_pair: Option<&'a [u8]>) -> Option<(&'a str, &'a str)> {
        if let Some(pair) = run_pair {
            let (name, value) = label_pair(pair).ok()?;
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

impl<'a> Iterator for LabelPairs<'a> {
    type Item = (&'a str, &'a str);

    #[inline(always)]
    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        let b = self.fast.as_bytes();
        if self.pos < b.len() {
            let start = self.pos + 2;
            let end = start + *b.get(self.pos + 1)? as usize;
            self.pos = end;
            // The common encoding (name, then value, both short) sliced straight from the run:
            // each string is bordered by ASCII bytes, so on char boundaries.
            if let (Some(&0x0a), Some(&nl)) = (b.get(start), b.get(start + 1)) {
                let ne = start + 2 + nl as usize;
                if let (true, Some(&0x12), Some(&vl)) = (nl < 0x80, b.get(ne), b.get(ne + 1)) {
                    if vl < 0x80 && ne + 2 + vl as usize == end {
                        return Some((self.fast.get(start + 2..ne)?, self.fast.get(ne + 2..end)?));
                    }
                }
            }
            return self.next_slow(Some(b.get(start..end)?));
        }
        if self.fields.pos() >= self.fields.len() {
            return None;
        }
        self.next_slow(None)
    }
}

/// Whether `msg` is a `LabelPair` in the common encoding (name, then value, both shorter than
/// 128 bytes, nothing else) with a non-empty name: then [`label_pair`] reads it as
/// `(&msg[2..2 + nl], &msg[4 + nl..])`.
#[inline(always)]
pub(crate) fn common_pair(msg: &[u8]) -> bool {
    match msg {
        [0x0a, nl @ 1..0x80, rest @ ..] => match rest.get(*nl as usize..) {
            Some([0x12, vl @ 0..0x80, value @ ..]) => value.len() == *vl as usize,
            _ => false,
        },
        _ => false,
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
///
/// The same event also carries histograms that did not come from protobuf bytes — a classic
/// histogram converted to custom buckets, a text-side native histogram — backed by decoded,
/// reused buffers; the accessors are the same.
#[derive(Clone, Debug)]
pub struct NativeHistogram<'a> {
    pub(crate) family: &'a str,
    pub(crate) gauge: bool,
    /// `LabelPair` fields (field 1 of `Metric`): the body's, or [`Decoded::labels`].
    pub(crate) metric: &'a [u8],
    pub(crate) src: Src<'a>,
    pub(crate) h: HistHead,
    pub(crate) timestamp_ms: Option<i64>,
    pub(crate) offset: u64,
}

/// What a [`NativeHistogram`]'s spans, buckets and exemplars are read from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Src<'a> {
    /// The `Histogram` message of a protobuf body.
    Wire(&'a [u8]),
    /// Decoded parts (one pointer, so the event stays as small as the wire one).
    Decoded(&'a Decoded),
}

/// The decoded parts of a native histogram, for producers that do not read protobuf (the
/// classic-to-custom-buckets conversion, text dialects with native histograms). A producer
/// keeps one and refills it per histogram ([`Decoded::clear`] keeps the capacity), so steady
/// state allocates nothing, then lends it to [`NativeHistogram::from_decoded`].
///
/// Counts are integer deltas (as protobuf's `*_delta`) unless `float` is set, then absolute
/// float counts (`*_count`); the fields of the other kind are ignored. Labels and exemplars are
/// kept in their protobuf encoding ([`Decoded::push_label`], [`Decoded::push_exemplar`]) so that
/// [`LabelPairs`] and [`Exemplars`] read both backings alike.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Decoded {
    pub schema: i32,
    /// Float counts (`*_count`, `count_float`) rather than integer deltas.
    pub float: bool,
    pub count: f64,
    pub sum: f64,
    pub zero_threshold: f64,
    pub zero_count: f64,
    pub start_timestamp_ms: Option<i64>,
    pub positive_spans: Vec<(i32, u32)>,
    pub negative_spans: Vec<(i32, u32)>,
    pub positive_deltas: Vec<i64>,
    pub negative_deltas: Vec<i64>,
    pub positive_counts: Vec<f64>,
    pub negative_counts: Vec<f64>,
    /// The upper bounds of the custom buckets (schema −53), `+Inf` not included.
    pub custom_values: Vec<f64>,
    /// `LabelPair` fields, as [`Decoded::push_label`] writes them.
    pub labels: Vec<u8>,
    /// `Exemplar` messages as field 16 of a `Histogram`, as [`Decoded::push_exemplar`] writes
    /// them.
    pub exemplars: Vec<u8>,
}

#[allow(dead_code)] // the API of producers other than the converter
impl Decoded {
    /// Empties every part, keeping the buffers.
    pub(crate) fn clear(&mut self) {
        self.schema = 0;
        self.float = false;
        self.count = 0.0;
        self.sum = 0.0;
        self.zero_threshold = 0.0;
        self.zero_count = 0.0;
        self.start_timestamp_ms = None;
        self.positive_spans.clear();
        self.negative_spans.clear();
        self.positive_deltas.clear();
        self.negative_deltas.clear();
        self.positive_counts.clear();
        self.negative_counts.clear();
        self.custom_values.clear();
        self.labels.clear();
        self.exemplars.clear();
    }

    /// Appends a label (in order; the caller keeps names unique and valid).
    pub(crate) fn push_label(&mut self, name: &str, value: &str) {
        put_label(&mut self.labels, name, value);
    }

    /// Appends an exemplar with its labels, value and timestamp in milliseconds.
    pub(crate) fn push_exemplar<N: AsRef<str>, V: AsRef<str>>(
        &mut self,
        labels: impl IntoIterator<Item = (N, V)>,
        value: f64,
        timestamp_ms: Option<i64>,
    ) {
        put_exemplar(&mut self.exemplars, labels, value, timestamp_ms);
    }

    /// Appends an `Exemplar` message as it is.
    pub(crate) fn push_exemplar_message(&mut self, msg: &[u8]) {
        put_exemplar_message(&mut self.exemplars, msg);
    }
}

/// Appends a `LabelPair` as field 1 (of a `Metric` or `Exemplar`), as [`Decoded::labels`]
/// holds them.
pub(crate) fn put_label(out: &mut Vec<u8>, name: &str, value: &str) {
    put_nested(out, 1, |m| {
        put_key(m, 1, 2);
        put_varint(m, name.len() as u64);
        m.extend_from_slice(name.as_bytes());
        put_key(m, 2, 2);
        put_varint(m, value.len() as u64);
        m.extend_from_slice(value.as_bytes());
    });
}

/// Appends an `Exemplar` message as field 16 of a `Histogram`, as [`Decoded::exemplars`]
/// holds them.
pub(crate) fn put_exemplar<N: AsRef<str>, V: AsRef<str>>(
    out: &mut Vec<u8>,
    labels: impl IntoIterator<Item = (N, V)>,
    value: f64,
    timestamp_ms: Option<i64>,
) {
    put_nested(out, 16, |m| {
        for (n, v) in labels {
            put_label(m, n.as_ref(), v.as_ref());
        }
        put_key(m, 2, 1);
        m.extend_from_slice(&value.to_bits().to_le_bytes());
        if let Some(ms) = timestamp_ms {
            put_nested(m, 3, |t| {
                let (s, n) = (ms.div_euclid(1000), ms.rem_euclid(1000) * 1_000_000);
                if s != 0 {
                    put_key(t, 1, 0);
                    put_varint(t, s as u64);
                }
                if n != 0 {
                    put_key(t, 2, 0);
                    put_varint(t, n as u64);
                }
            });
        }
    });
}

/// Appends an `Exemplar` message as it is, as field 16.
pub(crate) fn put_exemplar_message(out: &mut Vec<u8>, msg: &[u8]) {
    put_key(out, 16, 2);
    put_varint(out, msg.len() as u64);
    out.extend_from_slice(msg);
}

/// Writes field `number` holding the message `f` appends, in place: the length goes into room
/// left before the message, and the message moves back when its length took fewer bytes.
fn put_nested(out: &mut Vec<u8>, number: u32, f: impl FnOnce(&mut Vec<u8>)) {
    put_key(out, number, 2);
    let at = out.len();
    out.extend_from_slice(&[0; 10]);
    f(out);
    let len = out.len() - at - 10;
    let mut tmp = [0u8; 10];
    let n = {
        let mut v = len as u64;
        let mut i = 0;
        while v >= 0x80 {
            tmp[i] = (v as u8) | 0x80;
            v >>= 7;
            i += 1;
        }
        tmp[i] = v as u8;
        i + 1
    };
    out[at..at + n].copy_from_slice(&tmp[..n]);
    out.copy_within(at + 10.., at + n);
    out.truncate(at + n + len);
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
    /// A native histogram backed by decoded parts, for producers other than the protobuf
    /// reader: `family` is its name, `parts` holds everything else but the timestamp and the
    /// byte offset (of the line or message it was made from). The parts are taken as given:
    /// the producer checks them (spans against bucket counts, schema) as Prometheus would.
    pub(crate) fn from_decoded(
        family: &'a str,
        gauge: bool,
        parts: &'a Decoded,
        timestamp_ms: Option<i64>,
        offset: u64,
    ) -> Self {
        let float = parts.float;
        let h = HistHead {
            count: if float { 0 } else { parts.count as u64 },
            count_float: if float { parts.count } else { 0.0 },
            sum: parts.sum,
            schema: parts.schema,
            zero_threshold: parts.zero_threshold,
            zero_count: if float { 0 } else { parts.zero_count as u64 },
            zero_count_float: if float { parts.zero_count } else { 0.0 },
            start_ms: parts.start_timestamp_ms,
            spans: !(parts.positive_spans.is_empty() && parts.negative_spans.is_empty()),
            buckets: 0,
            float,
            inf_bucket: false,
        };
        NativeHistogram {
            family,
            gauge,
            metric: &parts.labels,
            src: Src::Decoded(parts),
            h,
            timestamp_ms,
            offset,
        }
    }

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

    /// The byte offset of the `Metric` message in the body (of the first line for a
    /// histogram converted from text).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The upper bounds of the custom buckets of schema −53, without the last (`+Inf`) one:
    /// bucket `i` is `(custom_values[i-1], custom_values[i]]`. Empty for exponential schemas
    /// and for protobuf bodies, whose `Histogram` message does not carry them.
    ///
    /// ```
    /// use promtext::protobuf::{self, write};
    /// let mut n = write::Native::new(0);
    /// n.positive_spans = vec![(0, 0)]; // a no-op span: native without observations
    /// let body = write::encode_families(&[write::Family::histogram("lat", "")
    ///     .metric(write::Metric::new(&[]).native(n))]);
    /// let ev = protobuf::parse(&body).nth(2).unwrap()?;
    /// assert!(ev.as_histogram().unwrap().custom_values().is_empty());
    /// # Ok::<(), promtext::Error>(())
    /// ```
    pub fn custom_values(&self) -> &'a [f64] {
        match self.src {
            Src::Wire(_) => &[],
            Src::Decoded(d) => &d.custom_values,
        }
    }

    /// The positive spans, `(offset, length)`.
    pub fn positive_spans(&self) -> Spans<'a> {
        match self.src {
            Src::Wire(msg) => Spans::new(msg, 12),
            Src::Decoded(d) => Spans::slice(&d.positive_spans),
        }
    }

    /// The negative spans, `(offset, length)`.
    pub fn negative_spans(&self) -> Spans<'a> {
        match self.src {
            Src::Wire(msg) => Spans::new(msg, 9),
            Src::Decoded(d) => Spans::slice(&d.negative_spans),
        }
    }

    /// The positive buckets in index order, with bounds `(lower, upper]` (for custom buckets
    /// the first is `[-Inf, upper]` and the last `(lower, +Inf]`).
    pub fn positive_buckets(&self) -> Buckets<'a> {
        self.buckets(false)
    }

    /// The negative buckets in index order, with bounds `[-upper, -lower)` given as
    /// `lower = -upper(index)`, `upper = -lower(index)`.
    pub fn negative_buckets(&self) -> Buckets<'a> {
        self.buckets(true)
    }

    fn buckets(&self, negative: bool) -> Buckets<'a> {
        let (schema, float) = (self.h.schema, self.h.float);
        let (spans, values, custom) = match self.src {
            Src::Wire(msg) => {
                let (sf, df, cf) = if negative { (9, 10, 11) } else { (12, 13, 14) };
                let values = if float {
                    Values::Wire(Repeated::new(msg, cf, true))
                } else {
                    Values::Wire(Repeated::new(msg, df, false))
                };
                (Spans::new(msg, sf), values, &[][..])
            }
            Src::Decoded(d) => {
                let spans = if negative {
                    &d.negative_spans
                } else {
                    &d.positive_spans
                };
                let values = match (float, negative) {
                    (true, false) => Values::Floats(d.positive_counts.iter()),
                    (true, true) => Values::Floats(d.negative_counts.iter()),
                    (false, false) => Values::Deltas(d.positive_deltas.iter()),
                    (false, true) => Values::Deltas(d.negative_deltas.iter()),
                };
                (Spans::slice(spans), values, &d.custom_values[..])
            }
        };
        Buckets {
            spans,
            values,
            float,
            schema,
            custom,
            negative,
            left: 0,
            index: 0,
            running: 0,
        }
    }

    /// The exemplars (field `exemplars`; a native histogram's exemplars carry timestamps).
    pub fn exemplars(&self) -> Exemplars<'a> {
        Exemplars {
            fields: Fields::new(match self.src {
                Src::Wire(msg) => msg,
                Src::Decoded(d) => &d.exemplars,
            }),
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
            && self.custom_values() == o.custom_values()
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
    inner: SpansInner<'a>,
}

#[derive(Clone, Debug)]
enum SpansInner<'a> {
    Wire { fields: Fields<'a>, number: u32 },
    Slice(std::slice::Iter<'a, (i32, u32)>),
}

impl<'a> Spans<'a> {
    fn new(msg: &'a [u8], number: u32) -> Self {
        Spans {
            inner: SpansInner::Wire {
                fields: Fields::new(msg),
                number,
            },
        }
    }

    fn slice(spans: &'a [(i32, u32)]) -> Self {
        Spans {
            inner: SpansInner::Slice(spans.iter()),
        }
    }
}

impl Iterator for Spans<'_> {
    type Item = (i32, u32);

    fn next(&mut self) -> Option<(i32, u32)> {
        match &mut self.inner {
            SpansInner::Slice(it) => it.next().copied(),
            SpansInner::Wire { fields, number } => loop {
                let (n, v, _) = fields.next_field()?.ok()?;
                if n == *number {
                    return span(v.as_bytes()?).ok();
                }
            },
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

/// The bucket values of one side: raw wire values, or decoded deltas or counts.
#[derive(Clone, Debug)]
enum Values<'a> {
    Wire(Repeated<'a>),
    Deltas(std::slice::Iter<'a, i64>),
    Floats(std::slice::Iter<'a, f64>),
}

/// The buckets of one side of a native histogram, with their bounds; allocation-free.
#[derive(Clone, Debug)]
pub struct Buckets<'a> {
    spans: Spans<'a>,
    values: Values<'a>,
    float: bool,
    schema: i32,
    custom: &'a [f64],
    negative: bool,
    left: u32,
    index: i64,
    running: i64,
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
        let count = match &mut self.values {
            Values::Wire(r) => {
                let raw = r.next()?;
                if self.float {
                    f64::from_bits(raw)
                } else {
                    self.running = self.running.wrapping_add(zigzag(raw));
                    self.running as f64
                }
            }
            Values::Deltas(d) => {
                self.running = self.running.wrapping_add(*d.next()?);
                self.running as f64
            }
            Values::Floats(f) => *f.next()?,
        };
        let index = self.index as i32;
        self.index += 1;
        self.left -= 1;
        let (lo, hi) = if self.schema == CUSTOM_BUCKETS_SCHEMA {
            (
                custom_bound(index as i64 - 1, self.custom),
                custom_bound(index as i64, self.custom),
            )
        } else {
            (
                bound(index as i64 - 1, self.schema),
                bound(index as i64, self.schema),
            )
        };
        let (lower, upper) = if self.negative { (-hi, -lo) } else { (lo, hi) };
        Some(Bucket {
            index,
            lower,
            upper,
            count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire_native(float: bool) -> Vec<u8> {
        use super::super::write;
        let mut n = write::Native::new(2);
        n.count = if float { 6.5 } else { 9.0 };
        n.sum = 12.25;
        n.zero_threshold = 0.001;
        n.zero_count = if float { 0.5 } else { 1.0 };
        n.positive_spans = vec![(-1, 2), (3, 1)];
        n.positive = if float {
            vec![1.5, 2.0, 0.5]
        } else {
            vec![1.0, 3.0, 2.0]
        };
        n.negative_spans = vec![(0, 1)];
        n.negative = vec![2.0];
        n.exemplars = vec![write::Exemplar {
            labels: vec![("trace_id".into(), "ab".repeat(80))],
            value: 0.7,
            timestamp_ms: Some(1_700_000_000_123),
        }];
        n.float = float;
        let label = "v".repeat(200);
        write::encode_families(&[write::Family::histogram("lat", "").metric(
            write::Metric::new(&[("a", "1"), ("long", &label)])
                .native(n)
                .timestamp(77),
        )])
    }

    #[test]
    fn decoded_backing_reads_as_the_wire_one() {
        for float in [false, true] {
            let body = wire_native(float);
            let ev = super::super::parse(&body).nth(2).unwrap().unwrap();
            let wire = ev.as_histogram().unwrap().clone();
            let mut d = Decoded {
                labels: vec![1, 2, 3],
                custom_values: vec![9.0],
                ..Decoded::default()
            };
            d.clear();
            d.schema = 2;
            d.float = float;
            d.count = wire.count();
            d.sum = 12.25;
            d.zero_threshold = 0.001;
            d.zero_count = wire.zero_count();
            d.positive_spans = vec![(-1, 2), (3, 1)];
            d.negative_spans = vec![(0, 1)];
            if float {
                d.positive_counts = vec![1.5, 2.0, 0.5];
                d.negative_counts = vec![2.0];
            } else {
                d.positive_deltas = vec![1, 2, -1];
                d.negative_deltas = vec![2];
            }
            let long = "v".repeat(200);
            d.push_label("a", "1");
            d.push_label("long", &long);
            let trace = "ab".repeat(80);
            d.push_exemplar([("trace_id", trace.as_str())], 0.7, Some(1_700_000_000_123));
            let dec = NativeHistogram::from_decoded("lat", false, &d, Some(77), wire.offset());
            assert_eq!(dec, wire, "float={float}");
            assert_eq!(
                dec.labels().collect::<Vec<_>>(),
                [("a", "1"), ("long", long.as_str())]
            );
            let ex: Vec<_> = dec.exemplars().collect();
            assert_eq!(ex.len(), 1);
            assert_eq!(ex[0].timestamp_ms(), Some(1_700_000_000_123));
            assert_eq!(
                ex[0].labels().collect::<Vec<_>>(),
                [("trace_id", trace.as_str())]
            );
            assert_eq!(dec.positive_buckets().count(), 3);
            assert!(dec.custom_values().is_empty());
        }
    }

    #[test]
    fn decoded_custom_buckets_have_custom_bounds() {
        let mut d = Decoded {
            schema: CUSTOM_BUCKETS_SCHEMA,
            count: 6.0,
            sum: 3.0,
            positive_spans: vec![(0, 2), (1, 1)],
            positive_deltas: vec![1, 1, 0],
            custom_values: vec![0.1, 0.5, 1.0],
            ..Decoded::default()
        };
        d.push_label("le_not_here", "x");
        let h = NativeHistogram::from_decoded("rq", false, &d, None, 0);
        assert_eq!(h.custom_values(), [0.1, 0.5, 1.0]);
        let b: Vec<_> = h
            .positive_buckets()
            .map(|b| (b.index, b.lower, b.upper, b.count))
            .collect();
        assert_eq!(
            b,
            [
                (0, f64::NEG_INFINITY, 0.1, 1.0),
                (1, 0.1, 0.5, 2.0),
                (3, 1.0, f64::INFINITY, 2.0)
            ]
        );
        assert_eq!(
            custom_bound(4, &d.custom_values).to_bits(),
            f64::NAN.to_bits()
        );
        assert!(custom_bound(-2, &d.custom_values).is_nan());
    }
}

#[cfg(test)]
mod label_tests {
    use super::*;

    /// The labels of a message decoded the plain way: every field 1 through the field walker.
    fn plain(msg: &[u8]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut f = Fields::new(msg);
        while let Some(Ok((n, v, _))) = f.next_field() {
            if n != 1 {
                continue;
            }
            let Some(Ok((name, value))) = v.as_bytes().map(label_pair) else {
                break;
            };
            out.push((
                std::str::from_utf8(name).unwrap_or_default().to_string(),
                std::str::from_utf8(value).unwrap_or_default().to_string(),
            ));
        }
        out
    }

    fn pair(fields: &[(u8, &[u8])]) -> Vec<u8> {
        let mut m = Vec::new();
        for (key, b) in fields {
            m.push(*key);
            put_varint(&mut m, b.len() as u64);
            m.extend_from_slice(b);
        }
        let mut out = vec![0x0a];
        put_varint(&mut out, m.len() as u64);
        out.extend_from_slice(&m);
        out
    }

    /// The run's fast path (common encoding sliced from the validated run) reads what the
    /// field walker reads, for common and uncommon encodings alike, and the quick check of
    /// a run's pair accepts only pairs `label_pair` reads with a non-empty name.
    #[test]
    fn label_run_fast_path_agrees_with_the_field_walker() {
        let long = "x".repeat(200);
        let pairs: Vec<Vec<u8>> = vec![
            pair(&[(0x0a, b"code"), (0x12, b"200")]),
            pair(&[(0x12, b"200"), (0x0a, b"code")]),
            pair(&[(0x0a, b"name")]),
            pair(&[(0x0a, b""), (0x12, b"v")]),
            pair(&[(0x0a, "é".as_bytes()), (0x12, "ü€".as_bytes())]),
            pair(&[(0x0a, b"a"), (0x12, long.as_bytes())]),
            pair(&[(0x0a, b"a"), (0x12, b"1"), (0x12, b"2")]),
            pair(&[(0x0a, b"a"), (0x12, b"1"), (0x1a, b"x")]),
        ];
        let tail: &[u8] = &[0x3a, 0x02, 0x09, 0x00, 0x30, 0x05];
        for a in &pairs {
            for b in &pairs {
                for with_tail in [false, true] {
                    let mut msg = a.clone();
                    msg.extend_from_slice(b);
                    if with_tail {
                        msg.extend_from_slice(tail);
                        msg.extend_from_slice(a);
                    }
                    let want = plain(&msg);
                    let got: Vec<(String, String)> = LabelPairs::new(&msg)
                        .map(|(n, v)| (n.to_string(), v.to_string()))
                        .collect();
                    assert_eq!(got, want, "{msg:x?}");
                    let run = label_run(&msg);
                    if let Ok(s) = std::str::from_utf8(&msg[..run]) {
                        let rest = &msg[run..];
                        let got: Vec<(String, String)> = LabelPairs::from_run(s, rest)
                            .map(|(n, v)| (n.to_string(), v.to_string()))
                            .collect();
                        assert_eq!(got, want, "{msg:x?}");
                    }
                }
            }
            let inner = &a[2..];
            if a[1] < 0x80 && common_pair(inner) {
                assert!(
                    label_pair(inner).is_ok_and(|(n, _)| !n.is_empty()),
                    "{a:x?}"
                );
            }
            for i in 0..inner.len() {
                for x in [0x00, 0x01, 0x0a, 0x12, 0x7f, 0x80, 0xff] {
                    let mut m = inner.to_vec();
                    m[i] = x;
                    if common_pair(&m) {
                        assert!(label_pair(&m).is_ok_and(|(n, _)| !n.is_empty()), "{m:x?}");
                    }
                }
            }
        }
    }
}
