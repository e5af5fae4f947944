//! The sample event of OpenMetrics 2.0, borrowed from its line.

use std::borrow::Cow;

use crate::event::{Exemplar, Label, MetricType, SampleLabels, Span};
use crate::lex::escape::unescape_label_value;
use crate::protobuf::{Name, Series};

pub(crate) const NAME_ESCAPED: u8 = 1;
pub(crate) const LABELS_ESCAPED: u8 = 2;
pub(crate) const HAS_TIMESTAMP: u8 = 4;
pub(crate) const HAS_START: u8 = 8;
/// A gauge histogram (`gcount`, `gsum`).
pub(crate) const GAUGE: u8 = 16;
/// The line's value is a composite (a native histogram's event).
pub(crate) const COMPOSITE: u8 = 32;

/// Most exemplars kept per sample: which of them are well formed is one bit each.
pub const MAX_EXEMPLARS: usize = 32;

/// Everything of a sample but its line: spans into the line, and the parsed numbers. `Copy`,
/// so that a composite line's template is kept between the events it expands to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Parts {
    pub name: Span,
    pub labels: Span,
    /// The `le` or `quantile` text of a bucket or quantile series.
    pub bound: Span,
    pub value_text: Span,
    /// From the space before the first exemplar's `#` to the end of the line.
    pub exemplars: Span,
    pub value: f64,
    /// The threshold of a bucket or quantile; a native histogram's sum.
    pub bound_value: f64,
    pub timestamp_ms: i64,
    pub start_ms: i64,
    pub line: u64,
    pub offset: u64,
    /// Bit `k`: the line's exemplar `k` is well formed (malformed ones are dropped).
    pub exemplar_ok: u32,
    pub metric_type: MetricType,
    pub series: Series,
    pub flags: u8,
}

/// One sample of an OpenMetrics 2.0 body: a number line as written, or one of the series a
/// composite value (summary, classic histogram) stands for, as Prometheus presents them —
/// `_count`, `_sum`, then the `_bucket` series with an `le` label or the quantile series with
/// a `quantile` label — each with the line's labels, timestamp and start timestamp.
///
/// Everything is borrowed from the line: names and labels are sliced when asked for, and the
/// `le`/`quantile` value is the threshold as written, normalised as Prometheus does (`1` →
/// `1.0`) only when it is not already in that form.
///
/// ```
/// use promtext::{Event, Settings, parse_with};
/// let body = b"# TYPE rq histogram\nrq{code=\"200\"} {count:3,sum:1.5,bucket:[0.1:1,1:3,+Inf:3]} st@1700000000.5\n# EOF\n";
/// let mut series = Vec::new();
/// for ev in parse_with(body, Settings::openmetrics2()) {
///     if let Event::Series(s) = ev? {
///         let labels: Vec<String> = s.labels().map(|l| format!("{}={}", l.name, l.value)).collect();
///         series.push(format!("{}{{{}}} {} st={:?}", s.name(), labels.join(","), s.value(), s.start_timestamp_ms()));
///     }
/// }
/// assert_eq!(series, [
///     "rq_count{code=200} 3 st=Some(1700000000500)",
///     "rq_sum{code=200} 1.5 st=Some(1700000000500)",
///     "rq_bucket{code=200,le=0.1} 1 st=Some(1700000000500)",
///     "rq_bucket{code=200,le=1.0} 3 st=Some(1700000000500)",
///     "rq_bucket{code=200,le=+Inf} 3 st=Some(1700000000500)",
/// ]);
/// # Ok::<(), promtext::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Sample<'a> {
    pub(crate) text: &'a str,
    pub(crate) p: Parts,
}

impl<'a> Sample<'a> {
    fn get(&self, s: Span) -> &'a str {
        self.text
            .get(s.start() as usize..s.end() as usize)
            .unwrap_or_default()
    }

    /// The metric name: the family name as written (quotes stripped, escapes intact) and the
    /// suffix of the series (`""` for a number line or a quantile).
    pub fn name(&self) -> Name<'a> {
        Name {
            family: self.get(self.p.name),
            suffix: self.p.series.suffix(),
        }
    }

    /// The family name, unescaped if it was a quoted name with escapes. In OpenMetrics 2.0 a
    /// number line's name is its family's name.
    pub fn family_name(&self) -> Cow<'a, str> {
        let raw = self.get(self.p.name);
        if self.p.flags & NAME_ESCAPED != 0 {
            unescape_label_value(raw)
        } else {
            Cow::Borrowed(raw)
        }
    }

    /// Which series of the line this is.
    pub fn series(&self) -> Series {
        self.p.series
    }

    /// The type of the family, as declared by `# TYPE` (`Unknown` when none was).
    pub fn metric_type(&self) -> MetricType {
        self.p.metric_type
    }

    /// The line's labels, then `le` (a bucket) or `quantile` (a quantile series).
    pub fn labels(&self) -> Labels<'a> {
        Labels {
            line: self.metric_labels(),
            extra: self.bound_label().map(|v| {
                let name = if self.p.series == Series::Bucket {
                    "le"
                } else {
                    "quantile"
                };
                Label {
                    name: Cow::Borrowed(name),
                    value: v,
                }
            }),
        }
    }

    /// The labels written on the line (without `le`/`quantile`).
    pub fn metric_labels(&self) -> SampleLabels<'a> {
        SampleLabels::over(
            self.text,
            self.p.labels.start(),
            self.p.labels.end(),
            self.p.flags & LABELS_ESCAPED != 0,
        )
    }

    /// The text between the line's label braces, as written.
    pub fn raw_labels(&self) -> &'a str {
        self.get(self.p.labels)
    }

    /// The `le` or `quantile` value as Prometheus formats it, if the series has one.
    pub fn bound_label(&self) -> Option<Cow<'a, str>> {
        if !matches!(self.p.series, Series::Bucket | Series::Quantile) {
            return None;
        }
        let raw = self.get(self.p.bound);
        Some(if canonical_bound(raw.as_bytes()) {
            Cow::Borrowed(raw)
        } else {
            crate::go::normalize_le_quantile(raw)
        })
    }

    /// The threshold below this bucket's (the previous one on the line), `-Inf` for the first.
    fn bound_below(&self) -> f64 {
        let b = self.text.as_bytes();
        let start = self.p.bound.start() as usize;
        if b.get(start.wrapping_sub(1)) != Some(&b',') {
            return f64::NEG_INFINITY;
        }
        let from = memchr::memrchr2(b',', b'[', &b[..start - 1]).map_or(0, |n| n + 1);
        let colon = memchr::memchr(b':', &b[from..start]).map_or(start, |n| from + n);
        crate::go::parse_value(self.text.get(from..colon).unwrap_or_default())
            .unwrap_or(f64::NEG_INFINITY)
    }

    /// The `le` or `quantile` threshold as a number (NaN when the series has none).
    pub fn bound(&self) -> f64 {
        self.p.bound_value
    }

    /// The value.
    pub fn value(&self) -> f64 {
        self.p.value
    }

    /// The value as written (for a composite, the count, sum, bucket or quantile value).
    pub fn value_text(&self) -> &'a str {
        self.get(self.p.value_text)
    }

    /// The timestamp in milliseconds, converted from float seconds as Prometheus does.
    pub fn timestamp_ms(&self) -> Option<i64> {
        (self.p.flags & HAS_TIMESTAMP != 0).then_some(self.p.timestamp_ms)
    }

    /// The timestamp as written (seconds).
    pub fn timestamp_text(&self) -> Option<&'a str> {
        if self.p.flags & HAS_TIMESTAMP == 0 {
            return None;
        }
        // The token after the line's value (after the composite's `}` for a composite).
        let b = self.text.as_bytes();
        let mut end = self.p.value_text.end() as usize;
        if self.p.series != Series::Value || self.p.flags & COMPOSITE != 0 {
            end = memchr::memchr(b'}', &b[end.min(b.len())..]).map_or(b.len(), |n| end + n + 1);
        }
        let start = (end + 1).min(b.len());
        let stop = memchr::memchr(b' ', &b[start..]).map_or(b.len(), |n| start + n);
        self.text.get(start..stop)
    }

    /// The start timestamp (`st@…`) in milliseconds.
    pub fn start_timestamp_ms(&self) -> Option<i64> {
        (self.p.flags & HAS_START != 0).then_some(self.p.start_ms)
    }

    /// The well-formed exemplars of the sample, in line order. A number line has all of its
    /// line's; a `_bucket` series those whose value falls in its bucket (above the next lower
    /// threshold, up to its own); `_count`, `_sum` and quantiles none. Malformed exemplars
    /// were dropped when the line was parsed (see
    /// [`Parser::dropped_exemplars`](crate::Parser::dropped_exemplars)).
    pub fn exemplars(&self) -> Exemplars<'a> {
        let region = if matches!(self.p.series, Series::Value | Series::Bucket) {
            self.p.exemplars
        } else {
            Span::default()
        };
        Exemplars {
            text: self.text,
            pos: region.start() as usize,
            end: region.end() as usize,
            index: 0,
            ok: self.p.exemplar_ok,
            bucket: (self.p.series == Series::Bucket)
                .then(|| (self.bound_below(), self.p.bound_value)),
        }
    }

    /// The 1-based line number.
    pub fn line(&self) -> u64 {
        self.p.line
    }

    /// The byte offset of the line in the input.
    pub fn offset(&self) -> u64 {
        self.p.offset
    }

    /// The whole line the sample came from.
    pub fn line_text(&self) -> &'a str {
        self.text
    }
}

impl PartialEq for Sample<'_> {
    fn eq(&self, o: &Self) -> bool {
        let (a, b) = (&self.p, &o.p);
        self.name() == o.name()
            && self.raw_labels() == o.raw_labels()
            && self.bound_label() == o.bound_label()
            && a.value.to_bits() == b.value.to_bits()
            && self.value_text() == o.value_text()
            && self.timestamp_ms() == o.timestamp_ms()
            && self.start_timestamp_ms() == o.start_timestamp_ms()
            && a.metric_type == b.metric_type
            && a.series == b.series
            && a.line == b.line
            && a.offset == b.offset
            && self.exemplars().eq(o.exemplars())
    }
}

/// The labels of a [`Sample`]: the line's, then `le` or `quantile`.
#[derive(Clone, Debug)]
pub struct Labels<'a> {
    line: SampleLabels<'a>,
    extra: Option<Label<'a>>,
}

impl<'a> Iterator for Labels<'a> {
    type Item = Label<'a>;

    fn next(&mut self) -> Option<Label<'a>> {
        self.line.next().or_else(|| self.extra.take())
    }
}

/// The exemplars of a [`Sample`] (see [`Sample::exemplars`]).
#[derive(Clone, Debug)]
pub struct Exemplars<'a> {
    text: &'a str,
    pos: usize,
    end: usize,
    index: usize,
    ok: u32,
    bucket: Option<(f64, f64)>,
}

impl<'a> Iterator for Exemplars<'a> {
    type Item = Exemplar<'a>;

    fn next(&mut self) -> Option<Exemplar<'a>> {
        let b = self.text.as_bytes();
        while self.pos < self.end && self.index < MAX_EXEMPLARS {
            // `b[pos..]` starts with " # ".
            let k = self.index;
            self.index += 1;
            let ok = self.ok & (1u32 << k) != 0;
            let next = if ok {
                validated_exemplar_end(b, self.pos + 3)
            } else {
                next_exemplar(b, self.pos + 3, self.end)
            };
            let start = self.pos + 3;
            self.pos = next;
            if !ok {
                continue;
            }
            let ex = Exemplar::from_validated(self.text.get(start..next).unwrap_or_default());
            if let Some((lo, hi)) = self.bucket {
                let v = ex.value();
                if !(v > lo && v <= hi) {
                    continue;
                }
            }
            return Some(ex);
        }
        None
    }
}

/// Whether `s` is a threshold already in the form Prometheus gives `le` and `quantile`
/// values (`normalize_le_quantile` would return it unchanged): `±Inf`, or a plain decimal in
/// [1e-4, 1e6) with a fractional part, no superfluous zeros and at most 15 significant digits
/// (so it is the shortest text of its value). Checked first so that the common thresholds are
/// lent without formatting them.
fn canonical_bound(s: &[u8]) -> bool {
    if s == b"+Inf" || s == b"-Inf" {
        return true;
    }
    let body = s.strip_prefix(b"-").unwrap_or(s);
    let Some(dot) = memchr::memchr(b'.', body) else {
        return false;
    };
    let (int, frac) = (&body[..dot], &body[dot + 1..]);
    if int.is_empty()
        || frac.is_empty()
        || int.len() > 6
        || !int.iter().chain(frac).all(u8::is_ascii_digit)
        || (int.len() > 1 && int[0] == b'0')
    {
        return false;
    }
    if frac == b"0" {
        // `1.0`; `0.0` only unsigned.
        return int != b"0" || body.len() == s.len();
    }
    if frac.last() == Some(&b'0') {
        return false;
    }
    let significant = if int == b"0" {
        let zeros = frac.iter().take_while(|&&c| c == b'0').count();
        if zeros > 3 {
            return false;
        }
        frac.len() - zeros
    } else {
        int.len() + frac.len()
    };
    significant <= 15
}

/// Where the exemplar after a malformed one starts: the next ` # ` (or `end`).
pub(crate) fn next_exemplar(b: &[u8], from: usize, end: usize) -> usize {
    memchr::memmem::find(&b[from.min(end)..end], b" # ").map_or(end, |n| from + n)
}

/// The end of the well-formed exemplar whose `{` is at `open`: after its timestamp.
pub(crate) fn validated_exemplar_end(b: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    while i < b.len() {
        match b[i] {
            b'"' => match crate::lex::scan::scan_quoted(b, i, true) {
                Some(q) => i = q.end + 1,
                None => return b.len(),
            },
            b'}' => break,
            _ => i += 1,
        }
    }
    // `} value timestamp`: two spaces on.
    let mut spaces = 0;
    i += 1;
    while i < b.len() {
        if b[i] == b' ' {
            spaces += 1;
            if spaces == 3 {
                return i;
            }
        }
        i += 1;
    }
    b.len()
}

/// A histogram or gauge histogram line with native buckets: one event for the whole
/// histogram, as the protobuf exposition gives one. [`Histogram::native`] presents it as the
/// very [`NativeHistogram`](crate::protobuf::NativeHistogram) event of the protobuf reader,
/// decoded into a [`NativeScratch`] the caller keeps (reused, so steady state allocates
/// nothing). Classic buckets on the same line are not presented (as Prometheus does unless
/// told to scrape classic histograms too).
///
/// ```
/// use promtext::openmetrics2::NativeScratch;
/// use promtext::{Event, Settings, parse_with};
/// let body = b"# TYPE lat histogram\nlat{a=\"b\"} {count:3,sum:4.5,schema:0,zero_threshold:0.001,zero_count:0,positive_spans:[0:2],positive_buckets:[1,2]} st@10\n# EOF\n";
/// let mut scratch = NativeScratch::default();
/// let ev = parse_with(body, Settings::openmetrics2()).nth(1).unwrap()?;
/// let Event::Histogram(h) = ev else { unreachable!() };
/// let n = h.native(&mut scratch);
/// assert_eq!((n.name(), n.schema(), n.count(), n.sum(), n.is_float()), ("lat", 0, 3.0, 4.5, false));
/// assert_eq!(n.start_timestamp_ms(), Some(10_000));
/// let b: Vec<_> = n.positive_buckets().map(|b| (b.index, b.upper, b.count)).collect();
/// assert_eq!(b, [(0, 1.0, 1.0), (1, 2.0, 2.0)]);
/// assert_eq!(n.labels().collect::<Vec<_>>(), [("a", "b")]);
/// # Ok::<(), promtext::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram<'a> {
    pub(crate) s: Sample<'a>,
}

/// The reusable buffers a [`Histogram`] is decoded into.
#[derive(Clone, Debug, Default)]
pub struct NativeScratch(crate::protobuf::Decoded);

impl<'a> Histogram<'a> {
    /// The family name as written (quotes stripped, escapes intact).
    pub fn name(&self) -> &'a str {
        self.s.name().family
    }

    /// The family name, unescaped.
    pub fn family_name(&self) -> Cow<'a, str> {
        self.s.family_name()
    }

    /// Whether the line is a gauge histogram (`gcount`, `gsum`).
    pub fn is_gauge(&self) -> bool {
        self.s.p.series == Series::Value && self.s.p.flags & GAUGE != 0
    }

    /// The type of the family, as declared (`Unknown` when none was).
    pub fn metric_type(&self) -> MetricType {
        self.s.p.metric_type
    }

    /// The line's labels.
    pub fn labels(&self) -> SampleLabels<'a> {
        self.s.metric_labels()
    }

    /// The observation count.
    pub fn count(&self) -> f64 {
        self.s.p.value
    }

    /// The sum of observations.
    pub fn sum(&self) -> f64 {
        self.s.p.bound_value
    }

    /// The composite value as written, without its braces.
    pub fn raw_value(&self) -> &'a str {
        self.s.get(self.s.p.bound)
    }

    /// The timestamp in milliseconds.
    pub fn timestamp_ms(&self) -> Option<i64> {
        self.s.timestamp_ms()
    }

    /// The start timestamp in milliseconds.
    pub fn start_timestamp_ms(&self) -> Option<i64> {
        self.s.start_timestamp_ms()
    }

    /// The well-formed exemplars (all of the line's).
    pub fn exemplars(&self) -> Exemplars<'a> {
        self.s.exemplars()
    }

    /// The 1-based line number.
    pub fn line(&self) -> u64 {
        self.s.p.line
    }

    /// The byte offset of the line in the input.
    pub fn offset(&self) -> u64 {
        self.s.p.offset
    }

    /// The histogram as the protobuf reader's native-histogram event, decoded into `scratch`.
    /// Counts are integers (as protobuf deltas) when every count of the line is written as an
    /// integer, else floats (`is_float`); labels and exemplars are unescaped into `scratch`.
    pub fn native<'s>(&self, scratch: &'s mut NativeScratch) -> crate::protobuf::NativeHistogram<'s>
    where
        'a: 's,
    {
        let d = &mut scratch.0;
        d.clear();
        let b = self.s.text.as_bytes();
        super::fill_native(
            b,
            self.s.p.bound.start() as usize,
            self.s.p.bound.end() as usize,
            d,
        );
        d.start_timestamp_ms = self.start_timestamp_ms();
        for l in self.labels() {
            d.push_label(&l.name, &l.value);
        }
        for e in self.exemplars() {
            let labels: smallvec::SmallVec<[crate::event::Label<'_>; 4]> = e.labels().collect();
            d.push_exemplar(
                labels.iter().map(|l| (l.name.as_ref(), l.value.as_ref())),
                e.value(),
                e.timestamp().map(|t| (t * 1000.0) as i64),
            );
        }
        crate::protobuf::NativeHistogram::from_decoded(
            self.name(),
            self.is_gauge(),
            &scratch.0,
            self.timestamp_ms(),
            self.offset(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_bound;
    use crate::go::normalize_le_quantile;

    #[test]
    fn canonical_bounds_are_what_normalisation_keeps() {
        let mut texts: Vec<String> = [
            "+Inf",
            "-Inf",
            "0.0",
            "-0.0",
            "1.0",
            "1",
            "0.5",
            "0.50",
            "00.5",
            "0.0001",
            "0.00001",
            "999999.5",
            "1000000.0",
            "-2.5",
            "0.1",
            "1e3",
            "10.0",
            "0.005",
            ".5",
            "5.",
            "NaN",
            "0.10000000000000000555",
            "123456.123456789",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for i in 0..2000u32 {
            let v = f64::from(i) * 0.37 - 100.0;
            texts.push(format!("{v}"));
            texts.push(format!("{v:.1}"));
            texts.push(format!("{:.3}", v / 1000.0));
        }
        for t in texts {
            if canonical_bound(t.as_bytes()) {
                assert_eq!(normalize_le_quantile(&t), t.as_str(), "{t}");
            }
        }
        for t in ["+Inf", "1.0", "0.5", "0.0001", "-2.5", "10.0", "0.0"] {
            assert!(canonical_bound(t.as_bytes()), "{t}");
        }
    }
}
