//! Classic histograms converted to native histograms with custom buckets (NHCB), as Prometheus
//! 3 does under `convert_classic_histograms_to_nhcb`.
//!
//! A classic histogram's `_bucket{le=…}`, `_count` and `_sum` series become one
//! [`NativeHistogram`] of schema −53: the finite `le` bounds are its
//! [`custom_values`](NativeHistogram::custom_values), the cumulative bucket counts are
//! de-cumulated, and empty buckets are dropped as Prometheus' `Compact` drops them (runs of
//! more than 2 empty buckets inside an integer histogram, every empty bucket of a float one).
//! A missing `+Inf` bucket is added with the `_count` (or, without `_count`, the highest
//! bucket's count); out-of-order buckets are sorted in, repeated ones ignored.
//!
//! Text (Prometheus' `NHCBParser`): only families typed `histogram` are converted; the series
//! of one histogram are collected until a series of another metric or label set, a metadata
//! line or the end, and the histogram comes out right before that event (a histogram split by
//! other lines comes out in parts). Its labels are the first series' without `le`; its
//! exemplars those of all its series; its timestamp, as in Prometheus, that of the last series
//! read when it comes out. A histogram that does not convert (buckets not cumulative, a
//! negative count, `_count` not matching the `+Inf` bucket) is dropped without an error, as in
//! Prometheus. The classic series are dropped unless `keep_classic` (Prometheus'
//! `always_scrape_classic_histograms`).
//!
//! Protobuf (Prometheus' `protobufparse`): each classic histogram (gauge histograms too, and
//! native ones when the reader ignores native histograms) converts on its own, from its
//! message; the histogram comes out after its classic series (kept only with `keep_classic`),
//! and one that does not convert fails the parse. Feed [`Converter::push_protobuf`] a reader
//! set to [`classic_histograms(true)`](crate::protobuf::Settings::classic_histograms): the
//! converter drops the classic series of native histograms itself unless `keep_classic`.
//!
//! Steady state allocates nothing: the converter's buffers are reused from one histogram to
//! the next.
//!
//! ```
//! use promtext::nhcb::{Event, Parser};
//! let body = "# TYPE rq_seconds histogram\n\
//! rq_seconds_bucket{code=\"200\",le=\"0.1\"} 2\n\
//! rq_seconds_bucket{code=\"200\",le=\"0.5\"} 2\n\
//! rq_seconds_bucket{code=\"200\",le=\"1\"} 5\n\
//! rq_seconds_bucket{code=\"200\",le=\"+Inf\"} 6\n\
//! rq_seconds_sum{code=\"200\"} 3.5\n\
//! rq_seconds_count{code=\"200\"} 6\n";
//! let mut p = Parser::new(promtext::parse_str(body), false);
//! let mut out = vec![];
//! while let Some(ev) = p.next_event() {
//!     if let Event::Histogram(h) = ev? {
//!         let labels: Vec<_> = h.labels().collect();
//!         let buckets: Vec<_> = h.positive_buckets().map(|b| (b.lower, b.upper, b.count)).collect();
//!         out.push((h.name().to_string(), labels.len(), h.schema(), h.count(), h.sum(), buckets));
//!     }
//! }
//! let inf = f64::INFINITY;
//! assert_eq!(out, [("rq_seconds".to_string(), 1, -53, 6.0, 3.5,
//!     vec![(f64::NEG_INFINITY, 0.1, 2.0), (0.1, 0.5, 0.0), (0.5, 1.0, 3.0), (1.0, inf, 1.0)])]);
//! # Ok::<(), promtext::Error>(())
//! ```

use crate::error::{Error, ErrorKind};
use crate::event::{Event as TextEvent, MetricType, Sample};
use crate::go::{format_go_g, parse_go_float};
use crate::protobuf::{
    self, CUSTOM_BUCKETS_SCHEMA, ClassicHistogram, Decoded, NativeHistogram, Series, put_exemplar,
    put_exemplar_message, put_label,
};

/// Why a classic histogram does not convert (Prometheus' `convertnhcb` errors, same wording).
#[derive(Clone, Debug, PartialEq)]
enum ConvError {
    NegativeBucketCount(f64, f64),
    NaNBucket,
    NegativeCount(f64),
    NotCumulative(f64, &'static str, f64),
    CountMismatchInt(u64, f64, f64),
    CountMismatchFloat(f64, f64, f64),
}

impl ConvError {
    fn message(&self) -> String {
        let g = format_go_g;
        match *self {
            ConvError::NegativeBucketCount(le, c) => format!(
                "bucket count must be non-negative: le={}, count={}",
                g(le),
                g(c)
            ),
            ConvError::NaNBucket => "bucket boundary must not be NaN".to_string(),
            ConvError::NegativeCount(c) => format!("count must be non-negative: count={}", g(c)),
            ConvError::NotCumulative(a, op, b) => {
                format!("count is not cumulative: {} {op} {}", g(a), g(b))
            }
            ConvError::CountMismatchInt(c, le, n) => {
                format!("count mismatch: count={c} != le={} count={}", g(le), g(n))
            }
            ConvError::CountMismatchFloat(c, le, n) => format!(
                "count mismatch: count={} != le={} count={}",
                g(c),
                g(le),
                g(n)
            ),
        }
    }
}

/// 2^63.
const TWO63: f64 = 9_223_372_036_854_775_808u64 as f64;

/// Go's `int64(x)` on amd64: out of range (NaN included) gives the smallest int64.
fn go_i64(x: f64) -> i64 {
    if (-TWO63..TWO63).contains(&x) {
        x as i64
    } else {
        i64::MIN
    }
}

/// Go's `uint64(x)` on amd64.
fn go_u64(x: f64) -> u64 {
    if x < TWO63 {
        go_i64(x) as u64
    } else {
        (go_i64(x - TWO63) as u64) ^ (1 << 63)
    }
}

/// Go's `math.Round`: half away from zero.
fn go_round(x: f64) -> f64 {
    x.round()
}

/// The classic histogram being collected (Prometheus' `TempHistogram`).
#[derive(Debug, Default)]
struct Temp {
    /// `(le, cumulative count)`, sorted by `le`.
    buckets: Vec<(f64, f64)>,
    count: f64,
    sum: f64,
    has_count: bool,
    err: Option<ConvError>,
}

impl Temp {
    fn reset(&mut self) {
        self.buckets.clear();
        self.count = 0.0;
        self.sum = 0.0;
        self.has_count = false;
        self.err = None;
    }

    fn set_bucket(&mut self, le: f64, count: f64) {
        if self.err.is_some() {
            return;
        }
        if le.is_nan() {
            self.err = Some(ConvError::NaNBucket);
            return;
        }
        if count < 0.0 {
            self.err = Some(ConvError::NegativeBucketCount(le, count));
            return;
        }
        // Buckets are expected in order; others are sorted in, repeated ones ignored.
        match self.buckets.last() {
            None => self.buckets.push((le, count)),
            Some(&(last_le, last_count)) if last_le < le => {
                if count < last_count {
                    self.err = Some(ConvError::NotCumulative(count, "<", last_count));
                    return;
                }
                self.buckets.push((le, count));
            }
            Some(&(last_le, _)) if last_le == le => {}
            Some(_) => {
                let i = self.buckets.partition_point(|b| b.0 < le);
                if self.buckets[i].0 == le {
                    return;
                }
                if i > 0 && count < self.buckets[i - 1].1 {
                    self.err = Some(ConvError::NotCumulative(count, "<", self.buckets[i - 1].1));
                    return;
                }
                if count > self.buckets[i].1 {
                    self.err = Some(ConvError::NotCumulative(count, ">", self.buckets[i].1));
                    return;
                }
                self.buckets.insert(i, (le, count));
            }
        }
    }

    fn set_count(&mut self, count: f64) {
        if self.err.is_some() {
            return;
        }
        if count < 0.0 {
            self.err = Some(ConvError::NegativeCount(count));
            return;
        }
        self.count = count;
        self.has_count = true;
    }

    fn set_sum(&mut self, sum: f64) {
        if self.err.is_none() {
            self.sum = sum;
        }
    }

    /// Prometheus' `Convert` then `Compact`, into `out`'s schema, counts, spans, buckets and
    /// custom values (labels and exemplars are the caller's). The result always passes
    /// Prometheus' `Validate`: bounds sorted and not NaN, counts cumulative, `_count` matching.
    fn convert(&mut self, out: &mut Decoded) -> Result<(), ConvError> {
        if let Some(e) = &self.err {
            return Err(e.clone());
        }
        if !self.has_count && !self.buckets.is_empty() {
            self.count = self.buckets[self.buckets.len() - 1].1;
            self.has_count = true;
        }
        if self.buckets.last().is_none_or(|b| b.0 != f64::INFINITY) {
            self.buckets.push((f64::INFINITY, self.count));
        }
        let int_count = go_u64(go_round(self.count));
        let integer = self
            .buckets
            .iter()
            .all(|b| b.1 == go_i64(go_round(b.1)) as f64)
            && self.count == int_count as f64;
        out.schema = CUSTOM_BUCKETS_SCHEMA;
        out.float = !integer;
        out.sum = self.sum;
        out.zero_threshold = 0.0;
        out.zero_count = 0.0;
        out.positive_spans.clear();
        out.negative_spans.clear();
        out.positive_deltas.clear();
        out.negative_deltas.clear();
        out.positive_counts.clear();
        out.negative_counts.clear();
        out.custom_values.clear();
        let n = self.buckets.len();
        out.custom_values
            .extend(self.buckets[..n - 1].iter().map(|b| b.0));
        let (last_le, last_count) = self.buckets[n - 1];
        if integer {
            if int_count != go_u64(last_count) {
                return Err(ConvError::CountMismatchInt(int_count, last_le, last_count));
            }
            out.count = int_count as f64;
            // De-cumulated counts, then Compact(2), then deltas.
            let mut prev = 0i64;
            let abs = self.buckets.iter().map(|b| {
                let c = go_i64(b.1);
                let d = c.wrapping_sub(prev);
                prev = c;
                d
            });
            compact(
                abs,
                2,
                |c| c == 0,
                &mut out.positive_spans,
                &mut out.positive_deltas,
            );
            let mut prev = 0i64;
            for d in out.positive_deltas.iter_mut() {
                let c = *d;
                *d = c.wrapping_sub(prev);
                prev = c;
            }
        } else {
            if self.count != last_count {
                return Err(ConvError::CountMismatchFloat(
                    self.count, last_le, last_count,
                ));
            }
            out.count = self.count;
            let mut prev = 0.0;
            let abs = self.buckets.iter().map(|b| {
                let d = b.1 - prev;
                prev = b.1;
                d
            });
            compact(
                abs,
                0,
                |c| c == 0.0,
                &mut out.positive_spans,
                &mut out.positive_counts,
            );
        }
        Ok(())
    }
}

/// Prometheus' `compactBuckets` of one span starting at index 0 holding absolute counts:
/// empty buckets at either end go, and runs of more than `max_empty` inside; a span ends where
/// a run goes, the next one's offset being the run's length.
fn compact<C: Copy>(
    counts: impl Iterator<Item = C>,
    max_empty: usize,
    empty: impl Fn(C) -> bool,
    spans: &mut Vec<(i32, u32)>,
    out: &mut Vec<C>,
) {
    // Empty buckets since the last kept one, not yet known to be kept.
    let mut gap = 0usize;
    let mut pending: Option<C> = None;
    for c in counts {
        if empty(c) {
            gap += 1;
            pending = Some(c);
            continue;
        }
        match spans.last_mut() {
            Some(last) if gap <= max_empty => {
                if let Some(z) = pending {
                    out.extend(std::iter::repeat_n(z, gap));
                }
                last.1 += gap as u32 + 1;
            }
            _ => spans.push((gap as i32, 1)),
        }
        out.push(c);
        gap = 0;
    }
}

/// What [`Converter::push`] asks of the caller, in this order: take the converted histogram
/// ([`Converter::histogram`]), then the event pushed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Action {
    /// A converted histogram is ready, before the event.
    pub histogram: bool,
    /// The event goes on (false: a classic series converted and not kept).
    pub event: bool,
}

/// The label set of the histogram being collected, without `le`.
#[derive(Debug, Default)]
struct LabelSet {
    text: String,
    /// `(name end, value end)` in `text`, each pair starting where the previous one ends.
    ends: Vec<(u32, u32)>,
}

impl LabelSet {
    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }

    fn push(&mut self, name: &str, value: &str) {
        self.text.push_str(name);
        let n = self.text.len() as u32;
        self.text.push_str(value);
        self.ends.push((n, self.text.len() as u32));
    }

    fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut start = 0usize;
        self.ends.iter().map(move |&(n, v)| {
            let pair = (
                self.text.get(start..n as usize).unwrap_or_default(),
                self.text.get(n as usize..v as usize).unwrap_or_default(),
            );
            start = v as usize;
            pair
        })
    }

    /// Whether `s`'s labels without `le` are this set, in any order (Prometheus compares hashes
    /// of sorted labels).
    fn same_as(&self, s: &Sample<'_>) -> bool {
        let mut n = 0;
        for l in s.labels() {
            if l.name == "le" {
                continue;
            }
            n += 1;
            if !self.iter().any(|(k, v)| k == l.name && v == l.value) {
                return false;
            }
        }
        n == self.ends.len()
    }
}

/// The suffix of a series of a histogram, and the base name.
fn split_name(name: &str) -> (Option<Series>, &str) {
    for (suffix, s) in [
        ("_bucket", Series::Bucket),
        ("_sum", Series::Sum),
        ("_count", Series::Count),
    ] {
        if let Some(base) = name.strip_suffix(suffix) {
            return (Some(s), base);
        }
    }
    (None, name)
}

/// Converts classic histograms to native histograms with custom buckets, fed one event at a
/// time from any front end (see the [module](self) for what Prometheus does and when).
///
/// ```
/// use promtext::{ChunkParser, Event, Settings};
/// use promtext::nhcb::Converter;
/// let body = b"# TYPE rq histogram\nrq_bucket{le=\"1\"} 1\nrq_bucket{le=\"+Inf\"} 3\nrq_count 3\nrq_sum 9\nup 1\n";
/// let (mut parser, mut conv) = (ChunkParser::new(Settings::default()), Converter::new(false));
/// let mut seen = vec![];
/// for chunk in body.chunks(10) {
///     for ev in parser.feed(chunk) {
///         let ev = ev?;
///         let a = conv.push(&ev);
///         if a.histogram {
///             let h = conv.histogram().unwrap();
///             seen.push(format!("{} {:?} {}", h.name(), h.custom_values(), h.count()));
///         }
///         if a.event {
///             if let Event::Sample(s) = &ev {
///                 seen.push(s.series().to_string());
///             }
///         }
///     }
/// }
/// for ev in parser.finish() {
///     ev?;
/// }
/// if conv.finish() {
///     seen.push(conv.histogram().unwrap().name().to_string());
/// }
/// assert_eq!(seen, ["rq [1.0] 3", "up"]);
/// # Ok::<(), promtext::Error>(())
/// ```
#[derive(Debug)]
pub struct Converter {
    keep_classic: bool,
    /// The last `# TYPE` seen: its type and name.
    typ: MetricType,
    type_name: String,
    collecting: bool,
    /// The histogram being collected: base name, labels, offset, exemplars, series.
    name: String,
    labels: LabelSet,
    offset: u64,
    temp: Temp,
    exemplars: Vec<u8>,
    /// Protobuf: the metric being collected, its timestamps and whether it is a gauge histogram.
    pb_metric: Option<u64>,
    pb_ts: Option<i64>,
    pb_start: Option<i64>,
    pb_gauge: bool,
    /// Protobuf: the `Metric` offset of the last native histogram (its classic series follow).
    pb_native: Option<u64>,
    /// The timestamp of the last text series read.
    last_ts: Option<i64>,
    /// The histogram ready to be taken.
    out: Decoded,
    out_name: String,
    out_gauge: bool,
    out_ts: Option<i64>,
    out_offset: u64,
    ready: bool,
}

impl Converter {
    /// A converter; `keep_classic` keeps the classic series of converted histograms (and, for
    /// protobuf, of native ones).
    pub fn new(keep_classic: bool) -> Self {
        Converter {
            keep_classic,
            typ: MetricType::Unknown,
            type_name: String::new(),
            collecting: false,
            name: String::new(),
            labels: LabelSet::default(),
            offset: 0,
            temp: Temp::default(),
            exemplars: Vec::new(),
            pb_metric: None,
            pb_ts: None,
            pb_start: None,
            pb_gauge: false,
            pb_native: None,
            last_ts: None,
            out: Decoded::default(),
            out_name: String::new(),
            out_gauge: false,
            out_ts: None,
            out_offset: 0,
            ready: false,
        }
    }

    /// The converter ready for a new input with `keep_classic`, keeping its buffers.
    pub fn reset(mut self, keep_classic: bool) -> Self {
        let mut fresh = Converter::new(keep_classic);
        std::mem::swap(&mut fresh.out, &mut self.out);
        std::mem::swap(&mut fresh.temp, &mut self.temp);
        std::mem::swap(&mut fresh.exemplars, &mut self.exemplars);
        std::mem::swap(&mut fresh.labels, &mut self.labels);
        std::mem::swap(&mut fresh.name, &mut self.name);
        std::mem::swap(&mut fresh.type_name, &mut self.type_name);
        std::mem::swap(&mut fresh.out_name, &mut self.out_name);
        fresh.temp.reset();
        fresh.exemplars.clear();
        fresh
    }

    /// The converted histogram, after a [`Converter::push`] or [`Converter::finish`] said one is
    /// ready (until the next call).
    pub fn histogram(&self) -> Option<NativeHistogram<'_>> {
        self.ready.then(|| {
            NativeHistogram::from_decoded(
                &self.out_name,
                self.out_gauge,
                &self.out,
                self.out_ts,
                self.out_offset,
            )
        })
    }

    /// Takes the next text event (Prometheus text format or OpenMetrics).
    pub fn push(&mut self, ev: &TextEvent<'_>) -> Action {
        self.ready = false;
        match ev {
            TextEvent::Sample(s) => {
                self.last_ts = s.timestamp_ms();
                let mut histogram = false;
                if self.collecting && self.different_metric(s) {
                    histogram = self.process();
                }
                let converted = self.handle(s);
                Action {
                    histogram,
                    event: !converted || self.keep_classic,
                }
            }
            TextEvent::Type(t) => {
                self.typ = t.metric_type;
                self.type_name.clear();
                self.type_name.push_str(t.name);
                Action {
                    histogram: self.process(),
                    event: true,
                }
            }
            _ => Action {
                histogram: self.process(),
                event: true,
            },
        }
    }

    /// The end of a text input: whether a last converted histogram is ready.
    pub fn finish(&mut self) -> bool {
        self.ready = false;
        self.process()
    }

    /// The end of a protobuf input: whether a last converted histogram is ready, or the error
    /// of one that does not convert.
    pub fn finish_protobuf(&mut self) -> Result<bool, Error> {
        self.ready = false;
        self.process_pb()
    }

    /// Prometheus' `differentMetric`.
    fn different_metric(&self, s: &Sample<'_>) -> bool {
        if self.typ != MetricType::Histogram {
            return true;
        }
        let name = s.name();
        if split_name(&name).1 != self.name {
            return true;
        }
        !self.labels.same_as(s)
    }

    /// Prometheus' `handleClassicHistogramSeries`: whether `s` went into a histogram.
    fn handle(&mut self, s: &Sample<'_>) -> bool {
        if self.typ != MetricType::Histogram {
            return false;
        }
        let name = s.name();
        let (suffix, base) = split_name(&name);
        if base != self.type_name {
            return false;
        }
        let v = s.value();
        match suffix {
            Some(Series::Bucket) => {
                let Some(le) = s.label("le") else {
                    return false;
                };
                match parse_go_float(&le) {
                    Some(le) if !le.is_nan() => {
                        self.collect(s, base);
                        self.temp.set_bucket(le, v);
                        true
                    }
                    _ => false,
                }
            }
            Some(Series::Count) => {
                self.collect(s, base);
                self.temp.set_count(v);
                true
            }
            Some(Series::Sum) => {
                self.collect(s, base);
                self.temp.set_sum(v);
                true
            }
            _ => false,
        }
    }

    /// Prometheus' `processClassicHistogramSeries`, before the series' value goes in.
    fn collect(&mut self, s: &Sample<'_>, base: &str) {
        if !self.collecting {
            self.collecting = true;
            self.name.clear();
            self.name.push_str(base);
            self.labels.clear();
            for l in s.labels() {
                if l.name != "le" {
                    self.labels.push(&l.name, &l.value);
                }
            }
            self.offset = s.offset();
        }
        if let Some(e) = s.exemplar() {
            let ts = e.timestamp().map(|t| go_i64(t * 1000.0));
            put_exemplar(
                &mut self.exemplars,
                e.labels().map(|l| (l.name, l.value)),
                e.value(),
                ts,
            );
        }
    }

    /// Prometheus' `processNHCB`: converts what was collected; whether a histogram is ready.
    fn process(&mut self) -> bool {
        if !self.collecting {
            return false;
        }
        self.collecting = false;
        let ok = self.temp.convert(&mut self.out).is_ok();
        if ok {
            self.out.labels.clear();
            for (n, v) in self.labels.iter() {
                put_label(&mut self.out.labels, n, v);
            }
            std::mem::swap(&mut self.out.exemplars, &mut self.exemplars);
            self.out.start_timestamp_ms = None;
            self.out_name.clear();
            self.out_name.push_str(&self.name);
            self.out_gauge = false;
            self.out_ts = self.last_ts;
            self.out_offset = self.offset;
            self.ready = true;
        }
        self.exemplars.clear();
        self.temp.reset();
        ok
    }

    /// Takes the next protobuf event, from a reader set to
    /// [`classic_histograms(true)`](crate::protobuf::Settings::classic_histograms). A classic
    /// histogram that does not convert fails with an
    /// [`InvalidHistogram`](ErrorKind::InvalidHistogram) error, as Prometheus' protobuf parser
    /// does.
    ///
    /// ```
    /// use promtext::nhcb::Converter;
    /// use promtext::protobuf::{self, write::{Family, Metric, encode_families}};
    /// let body = encode_families(&[Family::histogram("rq", "")
    ///     .metric(Metric::new(&[("code", "200")]).classic(3.0, 9.0, &[(1.0, 1.0), (5.0, 3.0)]))]);
    /// let settings = protobuf::Settings::default().classic_histograms(true);
    /// let mut conv = Converter::new(false);
    /// let mut kept = 0;
    /// for ev in protobuf::Parser::new(&body, settings) {
    ///     let a = conv.push_protobuf(&ev?)?;
    ///     kept += a.event as usize; // help and type; the classic series are dropped
    ///     assert!(!a.histogram);
    /// }
    /// assert!(conv.finish_protobuf()?);
    /// let h = conv.histogram().unwrap();
    /// assert_eq!((kept, h.custom_values(), h.count()), (2, &[1.0, 5.0][..], 3.0));
    /// # Ok::<(), promtext::Error>(())
    /// ```
    pub fn push_protobuf(&mut self, ev: &protobuf::Event<'_>) -> Result<Action, Error> {
        self.ready = false;
        match ev {
            protobuf::Event::Sample(s)
                if matches!(
                    s.metric_type(),
                    MetricType::Histogram | MetricType::GaugeHistogram
                ) =>
            {
                let off = s.offset();
                if self.pb_native == Some(off) {
                    // The classic series of a native histogram: never converted.
                    return Ok(Action {
                        histogram: false,
                        event: self.keep_classic,
                    });
                }
                let mut histogram = false;
                if self.pb_metric.is_some_and(|m| m != off) {
                    histogram = self.process_pb()?;
                }
                if self.pb_metric.is_none() {
                    self.start_pb(s);
                }
                Ok(Action {
                    histogram,
                    event: self.keep_classic,
                })
            }
            protobuf::Event::Histogram(h) => {
                let histogram = self.process_pb()?;
                self.pb_native = Some(h.offset());
                Ok(Action {
                    histogram,
                    event: true,
                })
            }
            _ => Ok(Action {
                histogram: self.process_pb()?,
                event: true,
            }),
        }
    }

    /// Prometheus' `convertToNHCB` of the metric `s` is a series of.
    fn start_pb(&mut self, s: &protobuf::Sample<'_>) {
        self.pb_metric = Some(s.offset());
        self.pb_ts = s.timestamp_ms();
        self.pb_start = s.start_timestamp_ms();
        self.pb_gauge = s.metric_type() == MetricType::GaugeHistogram;
        self.name.clear();
        self.name.push_str(s.family_name());
        self.labels.clear();
        for (n, v) in s.metric_labels() {
            self.labels.push(n, v);
        }
        self.offset = s.offset();
        self.temp.reset();
        self.exemplars.clear();
        let h = ClassicHistogram::of_metric(s.metric);
        self.temp.set_count(h.count());
        self.temp.set_sum(h.sum());
        for (upper, count, _) in h.buckets() {
            self.temp.set_bucket(upper, count);
        }
        for e in h.native_exemplars() {
            put_exemplar_message(&mut self.exemplars, e);
        }
    }

    fn process_pb(&mut self) -> Result<bool, Error> {
        let Some(metric) = self.pb_metric.take() else {
            return Ok(false);
        };
        let r = self.temp.convert(&mut self.out);
        self.temp.reset();
        if let Err(e) = r {
            self.exemplars.clear();
            return Err(Error::new(
                ErrorKind::InvalidHistogram,
                e.message(),
                0,
                0,
                metric,
            ));
        }
        self.out.labels.clear();
        for (n, v) in self.labels.iter() {
            put_label(&mut self.out.labels, n, v);
        }
        std::mem::swap(&mut self.out.exemplars, &mut self.exemplars);
        self.exemplars.clear();
        self.out.start_timestamp_ms = self.pb_start;
        self.out_name.clear();
        self.out_name.push_str(&self.name);
        self.out_gauge = self.pb_gauge;
        self.out_ts = self.pb_ts;
        self.out_offset = metric;
        self.ready = true;
        Ok(true)
    }
}

/// An event of a [`Parser`]: the text event, or a converted histogram.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// An event of the text parser, passed on.
    Text(TextEvent<'a>),
    /// A classic histogram converted to custom buckets.
    Histogram(NativeHistogram<'a>),
}

/// A text parser over a complete body (any iterator of text events, such as
/// [`parse`](crate::parse)) with its classic histograms converted; events come from
/// [`Parser::next_event`], which lends the converted histograms.
#[derive(Debug)]
pub struct Parser<'a, I> {
    inner: I,
    conv: Converter,
    /// The event to hand out after the histogram before it.
    held: Option<TextEvent<'a>>,
    done: bool,
}

impl<'a, I: Iterator<Item = Result<TextEvent<'a>, Error>>> Parser<'a, I> {
    /// Converts the classic histograms of `inner`'s events; `keep_classic` keeps their series.
    pub fn new(inner: I, keep_classic: bool) -> Self {
        Parser {
            inner,
            conv: Converter::new(keep_classic),
            held: None,
            done: false,
        }
    }

    /// The next event, or `None` at the end.
    pub fn next_event(&mut self) -> Option<Result<Event<'_>, Error>> {
        if let Some(ev) = self.held.take() {
            return Some(Ok(Event::Text(ev)));
        }
        loop {
            if self.done {
                return None;
            }
            match self.inner.next() {
                None => {
                    self.done = true;
                    if self.conv.finish() {
                        return self.conv.histogram().map(|h| Ok(Event::Histogram(h)));
                    }
                    return None;
                }
                Some(Err(e)) => return Some(Err(e)),
                Some(Ok(ev)) => {
                    let a = self.conv.push(&ev);
                    match (a.histogram, a.event) {
                        (true, true) => {
                            self.held = Some(ev);
                            return self.conv.histogram().map(|h| Ok(Event::Histogram(h)));
                        }
                        (true, false) => {
                            return self.conv.histogram().map(|h| Ok(Event::Histogram(h)));
                        }
                        (false, true) => return Some(Ok(Event::Text(ev))),
                        (false, false) => {}
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
