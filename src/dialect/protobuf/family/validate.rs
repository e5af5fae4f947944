//! Prometheus' checks of a family's parts: native histograms (schema, spans against bucket
//! counts, counts), label names and values, exemplars, timestamps.

use super::*;

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
    need: [u64; 2],
    /// How many spans were seen.
    spans: [usize; 2],
    /// The first span after the first with a negative offset: its index and offset.
    neg: [Option<(usize, i32)>; 2],
    /// Fields 10, 11 (negative deltas, counts), 13, 14 (positive).
    buckets: [Packed; 4],
}

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
    /// Prometheus' checks of a native histogram (`histogram.Validate` and the parser's).
    /// `walk`: what the metric's walk saw of the spans and bucket fields, or `None` to walk
    /// `value` for them (the general path the shortcut is tested against).
    pub(super) fn validate_native(
        &self,
        fam: &[u8],
        value: &[u8],
        vabs: usize,
        h: &HistHead,
        walk: Option<&NativeWalk>,
    ) -> Result<(), Error> {
        let fail = |msg: String| Err(self.err(fam, ErrorKind::InvalidHistogram, vabs, msg));
        if !((-4..=8).contains(&h.schema) || h.schema == -53) {
            return fail(format!(
                "histogram has an invalid schema {}, which must be between -4 and 8 or -53",
                h.schema
            ));
        }
        let mut in_buckets = 0f64;
        let mut int_sum: u64 = 0;
        for (s, (side, span_f, delta_f, count_f)) in
            [("negative", 9, 10, 11), ("positive", 12, 13, 14)]
                .into_iter()
                .enumerate()
        {
            let (need, neg) = match walk {
                Some(w) => (w.need[s], w.neg[s]),
                None => {
                    let mut w = NativeWalk::default();
                    let mut f = Fields::new(value);
                    while let Some(r) = f.next_field() {
                        let (n, v, _) = r.map_err(|e| self.wire(fam, value, e))?;
                        if n == span_f {
                            let (off, len) = v
                                .as_bytes()
                                .map(span)
                                .and_then(Result::ok)
                                .unwrap_or((0, 0));
                            w.span(n, off, len);
                        }
                    }
                    (w.need[s], w.neg[s])
                }
            };
            if let Some((k, off)) = neg {
                return fail(format!(
                    "{side} side: span number {} with offset {off}: histogram has a span whose offset is negative",
                    k + 1
                ));
            }
            let (field, fixed) = if h.float {
                (count_f, true)
            } else {
                (delta_f, false)
            };
            let packed = match walk {
                Some(w) => w.buckets[2 * s + usize::from(h.float)],
                None => Packed::Other,
            };
            let (have, values) = match packed {
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
            if need != have as u64 {
                return fail(format!(
                    "{side} side: spans need {need} buckets, have {have} buckets: histogram spans specify different number of buckets than provided"
                ));
            }
            let mut running: i64 = 0;
            for (i, raw) in values.enumerate() {
                let c = if h.float {
                    f64::from_bits(raw)
                } else {
                    running = running.wrapping_add(zigzag(raw));
                    int_sum = int_sum.wrapping_add(running as u64);
                    running as f64
                };
                if c < 0.0 {
                    return fail(format!(
                        "{side} side: bucket number {} has observation count of {c}: histogram has a bucket whose observation count is negative",
                        i + 1
                    ));
                }
                in_buckets += c;
            }
        }
        if h.float {
            if h.zero_count_float < 0.0 || h.count_float < 0.0 {
                return fail("histogram has a negative count".to_string());
            }
            return Ok(());
        }
        let total = int_sum.wrapping_add(h.zero_count);
        let _ = in_buckets;
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
    ) -> Result<PairRun<'b>, Error> {
        match self.limited(fam, msg, pre, limits) {
            Err(e) if limits.scrape && e.kind() == ErrorKind::LabelLimit => {
                self.read_metric(fam, msg, pre)
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
        let read = self.read_metric(fam, msg, pre)?;
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
