//! The events of the protobuf exposition, borrowed from the body.

use std::borrow::Cow;
use std::fmt;

use super::native::NativeHistogram;
use super::wire::{Fields, utf8};
pub(crate) use crate::event::located::common_pair;
use crate::event::located::{PairRun, RunCheck};
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
/// allocates; a common bound is its index in [`COMMON`] (`+Inf` just past it), whose static
/// copy needs no UTF-8 check when read. Go's shortest `%g` of a float takes at most 24 bytes
/// (`-2.2250738585072014e-308`), so the event stays small.
#[derive(Clone, Copy)]
pub(crate) enum Fmt {
    Static(u8),
    Inline { len: u8, buf: [u8; 24] },
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
    pub(crate) const INF: Fmt = Fmt::Static(COMMON.len() as u8);

    /// The static copy of a common value, compared by bits (`-0.0` is not `0.0`).
    pub(crate) fn common(v: f64) -> Option<Self> {
        let bits = v.to_bits();
        COMMON
            .iter()
            .position(|(c, _)| c.to_bits() == bits)
            .map(|i| Fmt::Static(i as u8))
    }

    pub(crate) fn from_bytes(b: &[u8]) -> Self {
        let mut buf = [0; 24];
        let n = b.len().min(24);
        buf[..n].copy_from_slice(&b[..n]);
        Fmt::Inline { len: n as u8, buf }
    }

    #[inline]
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Fmt::Static(i) => COMMON.get(*i as usize).map_or("+Inf", |c| c.1),
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
    /// The metric's leading labels in the common encoding, checked once per metric.
    pub(crate) run: PairRun<'a>,
    /// Whether label fields follow the run in `metric`.
    pub(crate) more: bool,
    pub(crate) value: f64,
    /// The timestamp when `has_ts`, the start timestamp when `has_start` (kept as plain
    /// integers and flags so that the event stays within 128 bytes).
    pub(crate) timestamp_ms: i64,
    pub(crate) start_timestamp_ms: i64,
    pub(crate) has_ts: bool,
    pub(crate) has_start: bool,
    pub(crate) extra: Option<Fmt>,
    /// The `Exemplar` message (validated), decoded when asked for.
    pub(crate) exemplar: Option<&'a [u8]>,
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
        self.has_ts.then_some(self.timestamp_ms)
    }

    /// The start (created) timestamp of a counter, summary or histogram, in milliseconds.
    #[inline]
    pub fn start_timestamp_ms(&self) -> Option<i64> {
        self.has_start.then_some(self.start_timestamp_ms)
    }

    /// The exemplar of a counter or of a classic bucket, decoded from the body on each call
    /// (the event keeps only the message, so that it stays small).
    ///
    /// ```
    /// use promtext::protobuf::{self, write};
    /// let mut m = write::Metric::new(&[]).value(3.0);
    /// m.exemplar = Some(write::Exemplar {
    ///     labels: vec![("trace_id".into(), "ab12".into())],
    ///     value: 0.25,
    ///     timestamp_ms: Some(1_700_000_000_000),
    /// });
    /// let body = write::encode_families(&[write::Family::counter("rq", "").metric(m)]);
    /// let ev = protobuf::parse(&body).nth(2).unwrap()?;
    /// let e = ev.as_sample().unwrap().exemplar().unwrap();
    /// assert_eq!((e.value(), e.timestamp_ms()), (0.25, Some(1_700_000_000_000)));
    /// assert_eq!(e.labels().collect::<Vec<_>>(), [("trace_id", "ab12")]);
    /// # Ok::<(), promtext::Error>(())
    /// ```
    #[inline]
    pub fn exemplar(&self) -> Option<Exemplar<'a>> {
        self.exemplar
            .and_then(|m| super::messages::exemplar(m).ok())
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
            && self.timestamp_ms() == o.timestamp_ms()
            && self.start_timestamp_ms() == o.start_timestamp_ms()
            && self.exemplar() == o.exemplar()
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
    /// The leading pairs in the encoding encoders write, checked once for the message.
    pairs: PairRun<'a>,
    /// The rest of the message, whose labels are checked one by one.
    fields: Fields<'a>,
}

impl<'a> LabelPairs<'a> {
    #[inline]
    pub(crate) fn new(msg: &'a [u8]) -> Self {
        let check = RunCheck::of(msg);
        let pairs = utf8(&msg[..check.len()])
            .map(|text| check.pairs(text))
            .unwrap_or_default();
        LabelPairs {
            pairs,
            fields: Fields::new(&msg[pairs.len()..]),
        }
    }

    /// The labels of a message whose leading pairs are `pairs` and whose other label fields
    /// are in `rest` (the message after them, or nothing).
    #[inline]
    pub(crate) fn from_run(pairs: PairRun<'a>, rest: &'a [u8]) -> Self {
        LabelPairs {
            pairs,
            fields: Fields::new(rest),
        }
    }
}

impl<'a> LabelPairs<'a> {
    /// A label after the leading pairs.
    #[inline(always)]
    fn next_slow(&mut self) -> Option<(&'a str, &'a str)> {
        let (st, r) = self.clone().slow();
        *self = st;
        r
    }

    /// [`LabelPairs::next_slow`] on a copy of the state, returned with the label: the
    /// iterator's own state is then never passed by address, so callers keep it in
    /// registers.
    #[inline(never)]
    fn slow(mut self) -> (Self, Option<(&'a str, &'a str)>) {
        loop {
            let Some(Ok((n, v, _))) = self.fields.next_field() else {
                return (self, None);
            };
            if n != 1 {
                continue;
            }
            let Some(Ok((name, value))) = v.as_bytes().map(label_pair) else {
                return (self, None);
            };
            // Validated when the metric was read; the check again is what keeps this safe
            // without `unsafe`.
            let r = (
                utf8(name).unwrap_or_default(),
                utf8(value).unwrap_or_default(),
            );
            return (self, Some(r));
        }
    }
}

impl<'a> Iterator for LabelPairs<'a> {
    type Item = (&'a str, &'a str);

    #[inline(always)]
    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        if let r @ Some(_) = self.pairs.next_pair() {
            return r;
        }
        if self.fields.pos() >= self.fields.len() {
            return None;
        }
        self.next_slow()
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

#[cfg(test)]
mod label_tests {
    use super::*;
    use crate::dialect::protobuf::wire::put_varint;

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
                utf8(name).unwrap_or_default().to_string(),
                utf8(value).unwrap_or_default().to_string(),
            ));
        }
        out
    }

    /// Whether every pair of a run is a `common_pair` (what the metric reader passes).
    fn all_common(run: &[u8]) -> bool {
        let mut p = 0;
        while p < run.len() {
            let end = p + 2 + run[p + 1] as usize;
            if !common_pair(&run[p + 2..end]) {
                return false;
            }
            p = end;
        }
        true
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
                    let run = RunCheck::of(&msg).len();
                    if let Ok(s) = std::str::from_utf8(&msg[..run]) {
                        // The leading pairs as the metric reader hands them to events, the
                        // rest of the message walked field by field.
                        let pairs = PairRun::prefix_of(s);
                        let got: Vec<(String, String)> =
                            LabelPairs::from_run(pairs, &msg[pairs.len()..])
                                .map(|(n, v)| (n.to_string(), v.to_string()))
                                .collect();
                        assert_eq!(got, want, "{msg:x?}");
                        // A run of pairs the metric reader finds common is taken whole.
                        if all_common(s.as_bytes()) {
                            assert_eq!(pairs.len(), s.len(), "{msg:x?}");
                        }
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
