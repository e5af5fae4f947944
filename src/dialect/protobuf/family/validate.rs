//! Prometheus' checks of a family's parts: native histograms (schema, spans against bucket
//! counts, counts), label names and values, exemplars, timestamps.

use super::*;
use crate::dialect::protobuf::CUSTOM_BUCKETS_SCHEMA;

/// One bucket field (deltas or counts of one side) as [`FamilyState::read_histogram`]'s walk
/// saw it.
#[derive(Clone, Copy, Debug, Default)]
pub(super) enum Packed {
    #[default]
    Absent,
    /// Its one occurrence, packed: the range of its bytes in the value message and the
    /// position of its key.
    One(Range, usize),
    /// Several occurrences, or one not packed: counted and read by walking the message.
    Other,
}

/// What [`FamilyState::read_histogram`]'s walk saw of a native histogram's spans and bucket
/// fields, so that [`FamilyState::validate_native`] need not walk the message again for them
/// (index 0 the negative side, 1 the positive one).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct NativeWalk {
    /// The buckets the spans need.
    pub(super) need: [u64; 2],
    /// How many spans were seen.
    pub(super) spans: [usize; 2],
    /// The first span after the first with a negative offset: its index and offset.
    pub(super) neg: [Option<(usize, i32)>; 2],
    /// Fields 10, 11 (negative deltas, counts), 13, 14 (positive).
    pub(super) buckets: [Packed; 4],
}

/// The sides' names, by index (0 negative, 1 positive).
const SIDES: [&str; 2] = ["negative", "positive"];

impl NativeWalk {
    /// Notes span `(off, len)` of field `n` (9 or 12).
    #[inline(always)]
    pub(super) fn span(&mut self, n: u32, off: i32, len: u32) {
        let s = usize::from(n == 12);
        let k = self.spans[s];
        if k > 0 && off < 0 && self.neg[s].is_none() {
            self.neg[s] = Some((k, off));
        }
        self.need[s] += len as u64;
        self.spans[s] = k + 1;
    }

    /// Notes an occurrence of bucket field `n` (10, 11, 13 or 14) at key position `at`;
    /// `bytes`: its range when length-delimited.
    #[inline(always)]
    pub(super) fn bucket_field(&mut self, n: u32, bytes: Option<Range>, at: usize) {
        let i = match n {
            10 => 0,
            11 => 1,
            13 => 2,
            _ => 3,
        };
        self.buckets[i] = match (self.buckets[i], bytes) {
            (Packed::Absent, Some(r)) => Packed::One(r, at),
            _ => Packed::Other,
        };
    }
}

impl FamilyState {
    /// Prometheus' checks of a native histogram, in its order and words: the parser's
    /// (`checkNativeHistogramConsistency`: spans against bucket counts, the positive side
    /// first), then `histogram.Validate`'s (schema, span offsets, custom-bucket rules, negative
    /// counts, the count against the buckets). `walk`: what the metric's walk saw of the spans
    /// and bucket fields, or `None` to walk `value` for them (the general path the shortcut is
    /// tested against).
    pub(super) fn validate_native(
        &self,
        fam: &[u8],
        value: &[u8],
        vabs: usize,
        h: &HistHead,
        walk: Option<&NativeWalk>,
    ) -> Result<(), Error> {
        let fail = |msg: String| Err(self.err(fam, ErrorKind::InvalidHistogram, vabs, msg));
        let walked = match walk {
            Some(w) => *w,
            None => {
                let mut w = NativeWalk::default();
                let mut f = Fields::new(value);
                while let Some(r) = f.next_field() {
                    let (n, v, _) = r.map_err(|e| self.wire(fam, value, e))?;
                    if n == 9 || n == 12 {
                        let (off, len) = v
                            .as_bytes()
                            .map(span)
                            .and_then(Result::ok)
                            .unwrap_or((0, 0));
                        w.span(n, off, len);
                    }
                }
                w
            }
        };
        // Each side's bucket values (counts of a float histogram, else deltas), counted.
        let mut sides = [
            (0usize, Repeated::packed(&[], h.float)),
            (0usize, Repeated::packed(&[], h.float)),
        ];
        for (s, side) in sides.iter_mut().enumerate() {
            let (field, fixed) = match (s, h.float) {
                (0, false) => (10, false),
                (0, true) => (11, true),
                (_, false) => (13, false),
                (_, true) => (14, true),
            };
            let packed = match walk {
                Some(w) => w.buckets[2 * s + usize::from(h.float)],
                None => Packed::Other,
            };
            *side = match packed {
                Packed::Absent => (0, Repeated::packed(&[], fixed)),
                Packed::One(r, at) => {
                    let b = slice(value, r);
                    let have = count_packed(b, fixed, at).map_err(|e| self.wire(fam, value, e))?;
                    (have, Repeated::packed(b, fixed))
                }
                Packed::Other => {
                    let have = count_repeated(value, field, fixed)
                        .map_err(|e| self.wire(fam, value, e))?;
                    (have, Repeated::new(value, field, fixed))
                }
            };
        }
        // The parser's check, worded as the parser words it.
        for s in [1, 0] {
            let (need, have) = (walked.need[s], sides[s].0);
            if need != have as u64 {
                return Err(Error::new(
                    ErrorKind::InvalidHistogram,
                    format!(
                        "histogram {:?}: {} side: spans require {need} buckets, have {have}",
                        self.family_name(fam),
                        SIDES[s]
                    ),
                    0,
                    0,
                    self.base + vabs as u64,
                ));
            }
        }
        // `histogram.Validate` (and `FloatHistogram.Validate`).
        let [(negatives, negative), (_, positive)] = sides;
        let mut int_sum: u64 = 0;
        // The counts of one side: the first negative one is an error.
        let mut counts = |s: usize, values: Repeated<'_>| -> Result<(), String> {
            let mut running: i64 = 0;
            for (i, raw) in values.enumerate() {
                let bad = if h.float {
                    let c = f64::from_bits(raw);
                    (c < 0.0).then(|| crate::go::format_go_g(c))
                } else {
                    running = running.wrapping_add(zigzag(raw));
                    int_sum = int_sum.wrapping_add(running as u64);
                    (running < 0).then(|| running.to_string())
                };
                if let Some(c) = bad {
                    return Err(format!(
                        "{} side: bucket number {} has observation count of {c}: histogram has a bucket whose observation count is negative",
                        SIDES[s],
                        i + 1
                    ));
                }
            }
            Ok(())
        };
        match h.schema {
            CUSTOM_BUCKETS_SCHEMA => {
                // The body carries no custom bounds, so the spans may cover one bucket (the
                // `+Inf` one) at most.
                let (mut bad_offset, mut covered) = (None, 0i64);
                let mut f = Fields::new(value);
                let mut k = 0;
                while let Some(Ok((n, v, _))) = f.next_field() {
                    if n != 12 {
                        continue;
                    }
                    let (off, len) = v
                        .as_bytes()
                        .map(span)
                        .and_then(Result::ok)
                        .unwrap_or((0, 0));
                    if off < 0 && bad_offset.is_none() {
                        bad_offset = Some((k, off));
                    }
                    covered += i64::from(len) + i64::from(off);
                    k += 1;
                }
                if let Some((k, off)) = bad_offset {
                    return fail(format!(
                        "custom buckets: span number {} with offset {off}: histogram has a span whose offset is negative",
                        k + 1
                    ));
                }
                if covered > 1 {
                    return fail(format!(
                        "custom buckets: only 0 custom bounds defined which is insufficient to cover total span length of {covered}: histogram custom bounds are too few"
                    ));
                }
                let zero_count = match h.float {
                    true => h.zero_count_float,
                    false => h.zero_count as f64,
                };
                if zero_count != 0.0 {
                    return fail("custom buckets: must have zero count of 0".to_string());
                }
                if h.zero_threshold != 0.0 {
                    return fail("custom buckets: must have zero threshold of 0".to_string());
                }
                if walked.spans[0] > 0 {
                    return fail("custom buckets: must not have negative spans".to_string());
                }
                if negatives > 0 {
                    return fail("custom buckets: must not have negative buckets".to_string());
                }
            }
            -4..=8 => {
                for s in [1, 0] {
                    if let Some((k, off)) = walked.neg[s] {
                        return fail(format!(
                            "{} side: span number {} with offset {off}: histogram has a span whose offset is negative",
                            SIDES[s],
                            k + 1
                        ));
                    }
                }
                counts(0, negative).or_else(fail)?;
                if h.float && h.zero_count_float < 0.0 {
                    return fail(format!(
                        "zero bucket has observation count of {}: histogram has a bucket whose observation count is negative",
                        crate::go::format_go_g(h.zero_count_float)
                    ));
                }
            }
            schema => {
                return fail(format!(
                    "histogram has an invalid schema, which must be between -4 and 8 for exponential buckets, or -53 for custom buckets, got schema {schema}"
                ));
            }
        }
        if h.float && h.count_float < 0.0 {
            // Prometheus' words, two spaces included.
            return fail(format!(
                "observation count is  {}: histogram's observation count is negative",
                crate::go::format_go_g(h.count_float)
            ));
        }
        counts(1, positive).or_else(fail)?;
        if h.float {
            return Ok(());
        }
        let total = int_sum.wrapping_add(h.zero_count);
        if h.sum.is_nan() {
            if total > h.count {
                return fail(format!(
                    "{total} observations found in buckets, but the Count field is {}: histogram's observation count should be at least the number of observations found in the buckets",
                    h.count
                ));
            }
        } else if total != h.count {
            return fail(format!(
                "{total} observations found in buckets, but the Count field is {}: histogram's observation count should equal the number of observations found in the buckets (in absence of NaN)",
                h.count
            ));
        }
        Ok(())
    }

    pub(super) fn check_label(&self, fam: &[u8], b: &[u8], abs: usize) -> Result<(), Error> {
        let (name, value) = label_pair(b).map_err(|e| self.wire(fam, b, e))?;
        match utf8(name) {
            Some(n) if !n.is_empty() => {}
            _ => {
                return Err(self.err(
                    fam,
                    ErrorKind::InvalidName,
                    abs,
                    format_args!("invalid label name {:?}", String::from_utf8_lossy(name)),
                ));
            }
        }
        if utf8(value).is_none() {
            return Err(self.err(
                fam,
                ErrorKind::InvalidUtf8,
                abs,
                format_args!(
                    "invalid label value for label {:?}: not valid UTF-8",
                    String::from_utf8_lossy(name)
                ),
            ));
        }
        Ok(())
    }

    /// [`FamilyState::read_metric`] under label limits. The labels a `Metric` starts with (all
    /// of them, as encoders write them) are checked first, in order and each as `read_metric`
    /// checks it before its limits, so that a metric of many labels stops at the first one over
    /// a limit with the error `read_metric` would have met first; labels after another field
    /// (an unusual encoding) are checked once `read_metric` has read the metric.
    ///
    /// For the scrape (`LimitCheck::scrape`) a metric they stop is read again without them.
    #[inline(never)]
    pub(super) fn read_metric_limited<'b>(
        &mut self,
        fam: &'b [u8],
        msg: &'b [u8],
        pre: Pre<'b>,
        limits: &LimitCheck,
        native: bool,
    ) -> Result<PairRun<'b>, Error> {
        match self.limited(fam, msg, pre, limits, native) {
            Err(e) if limits.scrape && e.kind() == ErrorKind::LabelLimit => {
                self.read_metric(fam, msg, pre, native)
            }
            r => r,
        }
    }

    fn limited<'b>(
        &mut self,
        fam: &'b [u8],
        msg: &'b [u8],
        pre: Pre<'b>,
        limits: &LimitCheck,
        native: bool,
    ) -> Result<PairRun<'b>, Error> {
        let mbase = range_in(fam, msg).0;
        let mut count = 0;
        let mut f = Fields::new(msg);
        let mut end = 0;
        // Up to the first field that is not a well-formed label: `read_metric` reports it.
        while let Some(Ok((1, v, at))) = f.next_field() {
            let Some(b) = v.as_bytes() else {
                break;
            };
            self.check_label(fam, b, mbase + at)?;
            self.check_limits(fam, b, mbase + at, limits, &mut count)?;
            end = f.pos();
        }
        let read = self.read_metric(fam, msg, pre, native)?;
        let rest = &msg[end..];
        let mut f = Fields::new(rest);
        while let Some(r) = f.next_field() {
            let (n, v, at) = r.map_err(|e| self.wire(fam, rest, e))?;
            if let (1, Some(b)) = (n, v.as_bytes()) {
                self.check_limits(fam, b, mbase + end + at, limits, &mut count)?;
            }
        }
        Ok(read)
    }

    /// The label limits on one checked label (`b`, at byte `abs` of the family);
    /// `count` is the metric's non-empty labels before it.
    #[inline]
    pub(super) fn check_limits(
        &self,
        fam: &[u8],
        b: &[u8],
        abs: usize,
        limits: &LimitCheck,
        count: &mut usize,
    ) -> Result<(), Error> {
        let (name, value) = label_pair(b).map_err(|e| self.wire(fam, b, e))?;
        match limits.plain_label(count, name, value) {
            None => Ok(()),
            Some(over) => Err(Error::new(
                ErrorKind::LabelLimit,
                limits.message(over, self.family_name(fam), name, value, false),
                0,
                0,
                self.base + abs as u64,
            )),
        }
    }

    pub(super) fn check_exemplar(&self, fam: &[u8], b: &[u8]) -> Result<(), Error> {
        let mut f = Fields::new(b);
        while let Some(r) = f.next_field() {
            let (n, v, at) = r.map_err(|e| self.wire(fam, b, e))?;
            let abs = range_in(fam, b).0 + at;
            match n {
                1 => self.check_label(
                    fam,
                    v.as_bytes()
                        .ok_or_else(|| self.wrong_type(abs, "message"))?,
                    abs,
                )?,
                2 => {
                    v.as_f64().ok_or_else(|| self.wrong_type(abs, "double"))?;
                }
                3 => {
                    self.timestamp(
                        fam,
                        v.as_bytes()
                            .ok_or_else(|| self.wrong_type(abs, "message"))?,
                    )?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    pub(super) fn timestamp(&self, fam: &[u8], b: &[u8]) -> Result<i64, Error> {
        timestamp_ms(b).map_err(|e| self.wire(fam, b, e))
    }
}

/// The messages of `metrics.proto` a `Metric`'s value fields hold, down to their leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Msg {
    Counter,
    Gauge,
    Summary,
    Untyped,
    Histogram,
    Quantile,
    Bucket,
    Span,
    Exemplar,
    Label,
    Timestamp,
}

/// What a field of a message holds.
#[derive(Clone, Copy, Debug)]
enum Held {
    Varint,
    Double,
    Text,
    Message(Msg),
    /// A repeated varint or double, packed or not.
    Repeated {
        double: bool,
    },
    /// A field the schema does not know: any well-formed value.
    Unknown,
}

/// Field `n` of message `m`.
fn held(m: Msg, n: u32) -> Held {
    use Held::*;
    match (m, n) {
        (Msg::Counter | Msg::Gauge | Msg::Untyped, 1) => Double,
        (Msg::Counter, 2) => Message(Msg::Exemplar),
        (Msg::Counter, 3) | (Msg::Summary, 4) | (Msg::Histogram, 15) | (Msg::Exemplar, 3) => {
            Message(Msg::Timestamp)
        }
        (Msg::Summary, 1) => Varint,
        (Msg::Summary, 2) => Double,
        (Msg::Summary, 3) => Message(Msg::Quantile),
        (Msg::Quantile, 1 | 2) => Double,
        (Msg::Histogram, 1 | 5 | 7) => Varint,
        (Msg::Histogram, 2 | 4 | 6 | 8) => Double,
        (Msg::Histogram, 3) => Message(Msg::Bucket),
        (Msg::Histogram, 9 | 12) => Message(Msg::Span),
        (Msg::Histogram, 10 | 13) => Repeated { double: false },
        (Msg::Histogram, 11 | 14) => Repeated { double: true },
        (Msg::Histogram, 16) => Message(Msg::Exemplar),
        (Msg::Bucket, 1) => Varint,
        (Msg::Bucket, 2 | 4) => Double,
        (Msg::Bucket, 3) => Message(Msg::Exemplar),
        (Msg::Span, 1 | 2) | (Msg::Timestamp, 1 | 2) => Varint,
        (Msg::Exemplar, 1) => Message(Msg::Label),
        (Msg::Exemplar, 2) => Double,
        (Msg::Label, 1 | 2) => Text,
        _ => Unknown,
    }
}

/// Whether `b`, a message `m`, is well-formed as a protobuf decoder of `metrics.proto` reads
/// it (every field's wire type the schema's, nested messages too); the error names the part
/// it lies in. The schema nests four deep at most.
fn check_message(m: Msg, b: &[u8]) -> Result<(), (&[u8], WireError)> {
    let mut f = Fields::new(b);
    while let Some(r) = f.next_field() {
        let (n, v, at) = r.map_err(|e| (b, e))?;
        let ok = match (held(m, n), v) {
            (Held::Unknown, _)
            | (Held::Varint, Value::Varint(_))
            | (Held::Double, Value::Fixed64(_))
            | (Held::Text, Value::Bytes(_))
            | (Held::Repeated { double: false }, Value::Varint(_))
            | (Held::Repeated { double: true }, Value::Fixed64(_)) => true,
            (Held::Message(sub), Value::Bytes(inner)) => {
                check_message(sub, inner)?;
                true
            }
            (Held::Repeated { double }, Value::Bytes(packed)) => {
                count_packed(packed, double, at).map_err(|e| (b, e))?;
                true
            }
            _ => false,
        };
        if !ok {
            return Err((
                b,
                WireError {
                    at,
                    what: "wrong wire type for a field of a value message",
                },
            ));
        }
    }
    Ok(())
}

impl FamilyState {
    /// A value message of a type the family does not read (field `n` of a `Metric`): not
    /// read, but checked as a decoder of the whole `Metric` (Prometheus', prost) checks it.
    pub(super) fn check_other_value(&self, fam: &[u8], n: u32, b: &[u8]) -> Result<(), Error> {
        let m = match n {
            2 => Msg::Gauge,
            3 => Msg::Counter,
            4 => Msg::Summary,
            5 => Msg::Untyped,
            _ => Msg::Histogram,
        };
        check_message(m, b).map_err(|(part, e)| self.wire(fam, part, e))
    }
}
