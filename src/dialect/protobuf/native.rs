//! The native-histogram event: read from protobuf bytes or from decoded, reused buffers.

use super::bounds::{CUSTOM_BUCKETS_SCHEMA, bound, custom_bound};
use super::classic::{ClassicHistogram, NativeExemplars};
use super::event::{Exemplar, LabelPairs};
use super::wire::{Fields, Repeated, put_key, put_varint, zigzag};
use crate::event::located::PairRun;

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
    /// The metric's leading label pairs in the common encoding, checked when the metric was
    /// read (empty when the labels are read from `rest` alone).
    pub(crate) run: PairRun<'a>,
    /// The label fields after `run`: the rest of the body's `Metric` message when labels
    /// follow the run, else empty; or [`Decoded::labels`].
    pub(crate) rest: &'a [u8],
    pub(crate) src: Src<'a>,
    /// The scalars as the accessors give them (the event stays within 128 bytes).
    pub(crate) count: f64,
    pub(crate) sum: f64,
    pub(crate) zero_threshold: f64,
    pub(crate) zero_count: f64,
    pub(crate) timestamp_ms: i64,
    pub(crate) offset: u64,
    pub(crate) schema: i32,
    pub(crate) float: bool,
    pub(crate) has_ts: bool,
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
        // What the wire form's accessors give for the same parts: a float count as it is, an
        // integer one truncated.
        let pick = |v: f64| match float {
            true => v,
            false => v as u64 as f64,
        };
        NativeHistogram {
            family,
            gauge,
            run: PairRun::default(),
            rest: &parts.labels,
            src: Src::Decoded(parts),
            count: pick(parts.count),
            sum: parts.sum,
            zero_threshold: parts.zero_threshold,
            zero_count: pick(parts.zero_count),
            timestamp_ms: timestamp_ms.unwrap_or_default(),
            offset,
            schema: parts.schema,
            float,
            has_ts: timestamp_ms.is_some(),
        }
    }

    /// A native histogram read from a `Histogram` message `value` whose scalars are `h`.
    ///
    /// The labels: the metric's leading pairs (`run`) and the label fields after them
    /// (`rest`), as a [`super::Sample`] keeps them.
    pub(crate) fn from_wire(
        family: &'a str,
        gauge: bool,
        (run, rest): (PairRun<'a>, &'a [u8]),
        value: &'a [u8],
        h: &HistHead,
        timestamp_ms: Option<i64>,
        offset: u64,
    ) -> Self {
        // Prometheus' `protobufparse`: a float histogram (a float count or zero count above 0)
        // takes both float fields as they are, an integer one both integer fields.
        let pick = |f: f64, n: u64| if h.float { f } else { n as f64 };
        NativeHistogram {
            family,
            gauge,
            run,
            rest,
            src: Src::Wire(value),
            count: pick(h.count_float, h.count),
            sum: h.sum,
            zero_threshold: h.zero_threshold,
            zero_count: pick(h.zero_count_float, h.zero_count),
            timestamp_ms: timestamp_ms.unwrap_or_default(),
            offset,
            schema: h.schema,
            float: h.float,
            has_ts: timestamp_ms.is_some(),
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
        // The run was validated when the metric was read: not again per call.
        match self.run.len() {
            0 => LabelPairs::new(self.rest),
            _ => LabelPairs::from_run(self.run, self.rest),
        }
    }

    /// The schema: −4..8 for exponential buckets (8 the finest), −53 for custom buckets.
    pub fn schema(&self) -> i32 {
        self.schema
    }

    /// Whether the counts are floats (`*_count_float`, absolute `*_count` buckets) rather than
    /// integers with deltas: Prometheus' rule, `sample_count_float` or `zero_count_float` above
    /// 0.
    pub fn is_float(&self) -> bool {
        self.float
    }

    /// The observation count: `sample_count_float` of a float histogram ([`Self::is_float`]),
    /// else `sample_count`.
    pub fn count(&self) -> f64 {
        self.count
    }

    /// The sum of observations.
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// The zero bucket's threshold.
    pub fn zero_threshold(&self) -> f64 {
        self.zero_threshold
    }

    /// The zero bucket's count: `zero_count_float` of a float histogram ([`Self::is_float`]),
    /// else `zero_count`.
    pub fn zero_count(&self) -> f64 {
        self.zero_count
    }

    /// The start (created) timestamp in milliseconds.
    pub fn start_timestamp_ms(&self) -> Option<i64> {
        match self.src {
            // Read when asked (it is rare), so that the event keeps room for the labels' run
            // within 128 bytes. The message was checked when the metric was read; the last
            // occurrence wins there too.
            Src::Wire(msg) => {
                let mut f = Fields::new(msg);
                let mut ts = None;
                while let Some(Ok((n, v, _))) = f.next_field() {
                    if let (15, Some(b)) = (n, v.as_bytes()) {
                        ts = super::messages::timestamp_ms(b).ok();
                    }
                }
                // 0 ms is none, as for samples.
                ts.filter(|&t| t != 0)
            }
            Src::Decoded(d) => d.start_timestamp_ms.filter(|&t| t != 0),
        }
    }

    /// The metric's timestamp in milliseconds.
    pub fn timestamp_ms(&self) -> Option<i64> {
        self.has_ts.then_some(self.timestamp_ms)
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
        let (schema, float) = (self.schema, self.float);
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

    /// The exemplars Prometheus takes for a native histogram: of one read from protobuf, those
    /// of its `exemplars` field that have a timestamp, or, when that field is empty, those of
    /// its classic buckets that have one (Prometheus' protobuf parser drops the others); of one
    /// converted from classic buckets, those the conversion kept.
    ///
    /// ```
    /// use promtext::protobuf::{self, write};
    /// let ex = |t: &str, ts| write::Exemplar { labels: vec![("t".into(), t.into())], value: 1.0, timestamp_ms: ts };
    /// let mut n = write::Native::new(0);
    /// n.count = 1.0;
    /// n.positive_spans = vec![(0, 1)];
    /// n.positive = vec![1.0];
    /// n.exemplars = vec![ex("a", Some(5)), ex("b", None)];
    /// let body = write::encode_families(&[write::Family::histogram("lat", "")
    ///     .metric(write::Metric::new(&[]).native(n))]);
    /// let ev = protobuf::parse(&body).nth(2).unwrap()?;
    /// let kept: Vec<_> = ev.as_histogram().unwrap().exemplars().map(|e| e.timestamp_ms()).collect();
    /// assert_eq!(kept, [Some(5)]);
    /// # Ok::<(), promtext::Error>(())
    /// ```
    pub fn exemplars(&self) -> Exemplars<'a> {
        Exemplars {
            inner: match self.src {
                Src::Wire(msg) => {
                    Kept::Wire(ClassicHistogram::of_histogram(msg).native_exemplars())
                }
                // As the producer made them (Prometheus' NHCB parser hands on every exemplar).
                Src::Decoded(d) => Kept::Decoded(Fields::new(&d.exemplars)),
            },
        }
    }
}

impl PartialEq for NativeHistogram<'_> {
    fn eq(&self, o: &Self) -> bool {
        self.family == o.family
            && self.gauge == o.gauge
            && self.labels().eq(o.labels())
            && self.schema == o.schema
            && self.float == o.float
            && self.count.to_bits() == o.count.to_bits()
            && self.sum.to_bits() == o.sum.to_bits()
            && self.zero_threshold.to_bits() == o.zero_threshold.to_bits()
            && self.zero_count.to_bits() == o.zero_count.to_bits()
            && self.start_timestamp_ms() == o.start_timestamp_ms()
            && self.positive_spans().eq(o.positive_spans())
            && self.negative_spans().eq(o.negative_spans())
            && self.positive_buckets().eq(o.positive_buckets())
            && self.negative_buckets().eq(o.negative_buckets())
            && self.custom_values() == o.custom_values()
            && self.exemplars().eq(o.exemplars())
            && self.timestamp_ms() == o.timestamp_ms()
            && self.offset == o.offset
    }
}

/// The exemplars of a native histogram; see [`NativeHistogram::exemplars`].
#[derive(Clone, Debug)]
pub struct Exemplars<'a> {
    inner: Kept<'a>,
}

#[derive(Clone, Debug)]
enum Kept<'a> {
    Wire(NativeExemplars<'a>),
    /// `Exemplar` messages as field 16, every one yielded.
    Decoded(Fields<'a>),
}

impl<'a> Iterator for Exemplars<'a> {
    type Item = Exemplar<'a>;

    fn next(&mut self) -> Option<Exemplar<'a>> {
        let msg = match &mut self.inner {
            Kept::Wire(kept) => kept.next()?,
            Kept::Decoded(fields) => loop {
                let (n, v, _) = fields.next_field()?.ok()?;
                if n == 16 {
                    break v.as_bytes()?;
                }
            },
        };
        super::messages::exemplar(msg).ok()
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
#[inline]
pub(crate) fn span(msg: &[u8]) -> Result<(i32, u32), super::wire::WireError> {
    // What encoders write for small spans: one-byte varints, the offset left out when 0.
    match *msg {
        [0x08, off @ 0..0x80, 0x10, len @ 0..0x80] => Ok((zigzag(off as u64) as i32, len as u32)),
        [0x10, len @ 0..0x80] => Ok((0, len as u32)),
        _ => span_fields(msg),
    }
}

/// [`span`] for any encoding.
#[inline(never)]
fn span_fields(msg: &[u8]) -> Result<(i32, u32), super::wire::WireError> {
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

    /// `span`'s shortcut reads what the field walker reads: spans as encoders write them,
    /// every cut and every byte changed.
    #[test]
    fn span_fast_path_agrees() {
        let mut cases = Vec::new();
        for (off, len) in [
            (0i64, 0u64),
            (0, 1),
            (-1, 2),
            (63, 127),
            (-64, 5),
            (64, 128),
            (3, 0),
        ] {
            let mut b = Vec::new();
            if off != 0 {
                put_key(&mut b, 1, 0);
                put_varint(&mut b, ((off << 1) ^ (off >> 63)) as u64);
            }
            if len != 0 {
                put_key(&mut b, 2, 0);
                put_varint(&mut b, len);
            }
            cases.push(b);
        }
        for b in cases {
            for cut in 0..=b.len() {
                let m = &b[..cut];
                assert_eq!(span(m), span_fields(m), "{m:x?}");
            }
            for i in 0..b.len() {
                for x in [0x00, 0x01, 0x08, 0x10, 0x7f, 0x80, 0xff] {
                    let mut m = b.clone();
                    m[i] = x;
                    assert_eq!(span(&m), span_fields(&m), "{m:x?}");
                }
            }
        }
    }

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
