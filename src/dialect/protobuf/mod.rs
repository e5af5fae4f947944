//! The Prometheus protobuf exposition (`application/vnd.google.protobuf;
//! proto=io.prometheus.client.MetricFamily; encoding=delimited`): length-delimited
//! `MetricFamily` messages, read without copying, and native histograms.
//!
//! The events follow Prometheus' `protobufparse`: per family HELP (always), UNIT (when set) and
//! TYPE, then per metric either samples (counters, gauges, untyped; classic histograms as
//! `_count`, `_sum` and `_bucket{le=…}` with a `+Inf` bucket added when absent; summaries as
//! `_count`, `_sum` and `{quantile=…}`) or one [`NativeHistogram`] event. Names, help, label
//! names and values are borrowed from the body (UTF-8 validated); labels are read from the
//! body when iterated, so no sample allocates.
//!
//! Three front ends yield the same events however the body is cut: [`Parser`] over a complete
//! body, [`ChunkParser`] fed chunks, [`ReadParser`] over an [`io::Read`]. The streaming ones
//! buffer at most one family, bounded by [`Settings::max_family_len`].
//!
//! What Prometheus reads from the values encoders rarely write, promtext reads alike: a family
//! without metrics is skipped unread (unless its bytes, length prefix included, read as text:
//! the mixed-body error); the first `+Inf` bucket ends a histogram's buckets; `-0`
//! formats as `0.0`; a float count is taken whenever it is not 0 (of a native histogram: when
//! it is a float histogram, its float fields as they are); a start timestamp of 0 ms is none;
//! timestamps are `seconds * 1000 + nanos / 1e6`, truncated; a native histogram keeps only
//! exemplars with a timestamp, its classic buckets' when its own field is empty; its checks
//! are the parser's and `histogram.Validate`'s, in their order and words, and none when
//! native histograms are off; a value message of another type than the family's (a
//! `histogram` field on a counter) is not read, but a malformed one fails as it fails
//! Prometheus' decoder. Where promtext differs, on purpose:
//!
//! - Every native histogram is checked when it is read, so the parse fails at its offset;
//!   Prometheus runs `histogram.Validate` when it appends, after relabeling, so a series that
//!   relabeling drops never fails there (the scrape fails either way otherwise).
//! - Each metric of a histogram family is read as what it is. Prometheus decides from the
//!   metric before it: a native histogram after a classic one in the same family is presented
//!   as classic series, and only the family's first native histogram is checked.
//! - An untyped metric without a value reads 0; Prometheus' decoder keeps the previous
//!   metric's untyped value.
//! - A value message given twice in one metric is an error; protobuf (and Prometheus'
//!   decoder) merges the two.
//! - Strings are `str`: a unit or an exemplar's label that is not UTF-8 is an error.
//!   Prometheus passes a unit's bytes on, and drops such an exemplar with a log line.
//!
//! ```
//! use promtext::protobuf::{self, Event, write};
//! let body = write::encode_families(&[
//!     write::Family::histogram("rq_time", "Request time.")
//!         .metric(write::Metric::new(&[("cluster", "a")]).classic(3.0, 42.0, &[(1.0, 1.0), (10.0, 3.0)])),
//! ]);
//! let series: Vec<String> = protobuf::parse(&body)
//!     .filter_map(|e| match e {
//!         Ok(Event::Sample(s)) => Some(format!("{} {:?} {}", s.name(), s.bound_label(), s.value())),
//!         _ => None,
//!     })
//!     .collect();
//! assert_eq!(series, [
//!     "rq_time_count None 3", "rq_time_sum None 42",
//!     "rq_time_bucket Some(\"1.0\") 1", "rq_time_bucket Some(\"10.0\") 3", "rq_time_bucket Some(\"+Inf\") 3",
//! ]);
//! ```

mod bounds;
mod classic;
mod event;
mod family;
mod messages;
mod native;
mod wire;
pub mod write;

use std::io::{self, Read};

pub(crate) use bounds::CUSTOM_BUCKETS_SCHEMA;
pub use bounds::{bound, custom_bound};
pub(crate) use classic::ClassicHistogram;
pub use event::{Event, Exemplar, Help, LabelPairs, MetricLabels, Name, Sample, Series};
use family::{FamilyState, Scratch, Strs};
pub use native::{Bucket, Buckets, Exemplars, NativeHistogram, Spans};
pub(crate) use native::{Decoded, put_exemplar, put_exemplar_message, put_label};

use crate::error::{Error, ErrorKind};

/// The default limit on one family's encoded size: 16 MiB.
pub const DEFAULT_MAX_FAMILY_LEN: usize = 16 << 20;

/// Reader settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub(crate) max_family_len: usize,
    pub(crate) classic_histograms: bool,
    pub(crate) native_histograms: bool,
    pub(crate) label_limits: crate::dialect::limits::LimitCheck,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_family_len: DEFAULT_MAX_FAMILY_LEN,
            classic_histograms: false,
            native_histograms: true,
            label_limits: Default::default(),
        }
    }
}

impl Settings {
    /// The largest family accepted, in bytes (default 16 MiB); a larger one is an
    /// [`ErrorKind::FamilyTooLarge`] error, and streaming readers never buffer more.
    pub fn max_family_len(mut self, bytes: usize) -> Self {
        self.max_family_len = bytes;
        self
    }

    /// Prometheus' `always_scrape_classic_histograms`: a native histogram that also has classic
    /// buckets yields its classic series after the native event.
    pub fn classic_histograms(mut self, on: bool) -> Self {
        self.classic_histograms = on;
        self
    }

    /// Whether native histograms are yielded as [`Event::Histogram`] (default). Off, as with
    /// native-histogram ingestion off in Prometheus, a native histogram yields its classic
    /// series only.
    pub fn native_histograms(mut self, on: bool) -> Self {
        self.native_histograms = on;
        self
    }

    /// Limits on each metric's labels, checked while they are read, as
    /// [`crate::Settings::label_limits`] does for text: the first label over a limit is an
    /// [`ErrorKind::LabelLimit`] error (at its byte offset) and the rest are not read. The
    /// synthesized `le` and `quantile` labels of histograms and summaries are not checked.
    ///
    /// ```
    /// use promtext::protobuf::write::{Family, Metric, encode_families};
    /// use promtext::protobuf::{Parser, Settings};
    /// use promtext::{ErrorKind, LabelLimits};
    /// let metric = Metric::new(&[("a", "x"), ("b", "y")]).value(1.0);
    /// let body = encode_families(&[Family::counter("m", "").metric(metric)]);
    /// let limits = LabelLimits { labels: 1, ..LabelLimits::default() };
    /// let err = Parser::new(&body, Settings::default().label_limits(limits))
    ///     .find_map(Result::err)
    ///     .unwrap();
    /// assert_eq!(err.kind(), ErrorKind::LabelLimit);
    /// assert_eq!(err.message(), "label_limit exceeded (metric: m, number of labels: 2, limit: 1)");
    /// ```
    pub fn label_limits(mut self, limits: crate::LabelLimits) -> Self {
        self.label_limits = crate::dialect::limits::LimitCheck::new(limits, false);
        self
    }
}

/// The result of reading a family's length prefix from `b`.
enum Prefix {
    /// `(prefix bytes, message length)`.
    Complete(usize, usize),
    Incomplete,
    Bad(&'static str),
}

fn read_prefix(b: &[u8]) -> Prefix {
    let mut p = 0;
    match wire::read_varint(b, &mut p) {
        Ok(n) => match usize::try_from(n) {
            Ok(n) => Prefix::Complete(p, n),
            Err(_) => Prefix::Bad("family length overflows"),
        },
        Err(e) if e.what == "truncated varint" && b.len() < 10 => Prefix::Incomplete,
        Err(e) => Prefix::Bad(e.what),
    }
}

/// [`read_prefix`] with the lengths encoders write for most families (one or two bytes:
/// families under 16 KiB) read inline.
#[inline(always)]
fn read_prefix_short(b: &[u8]) -> Prefix {
    match *b {
        [l @ 0..0x80, ..] => Prefix::Complete(1, l as usize),
        [l0 @ 0x80..=0xff, l1 @ 0..0x80, ..] => {
            Prefix::Complete(2, (l0 & 0x7f) as usize | (l1 as usize) << 7)
        }
        _ => read_prefix(b),
    }
}

/// A family's length prefix at `*pos` (for the mixed-body check).
pub(crate) fn read_len(b: &[u8], pos: &mut usize) -> Result<usize, ()> {
    let n = wire::read_varint(b, pos).map_err(|_| ())?;
    usize::try_from(n).map_err(|_| ())
}

/// How many bytes of a family claiming `len` bytes after a `p`-byte prefix the mixed-body check
/// looks at.
fn check_len(p: usize, len: usize) -> usize {
    p.saturating_add(len).min(16)
}

/// Whether `fam` is a family message with valid metadata.
pub(crate) fn family_ok(fam: &[u8]) -> bool {
    FamilyState::open(fam, 0).is_ok()
}

/// An error where a family should start: if text lies there, the body mixes formats (Istio
/// 1.30.0 once glued a text exposition and a protobuf one into one body), and the error says
/// so. `bytes` is the family as its prefix claims it (prefix included), clipped to the body's
/// end, so every front end decides on the same bytes (only the first 16 count).
fn at_family_start(e: Error, bytes: &[u8], offset: u64) -> Error {
    if !crate::content_type::looks_like_text(bytes) {
        return e;
    }
    let msg = if offset == 0 {
        "the body is a text exposition, not protobuf".to_string()
    } else {
        format!(
            "a text exposition starts at byte {offset} of a protobuf body: the body mixes text and protobuf"
        )
    };
    Error::new(ErrorKind::MixedFormat, msg, 0, 0, offset)
}

/// The error for a family without metrics (which Prometheus skips) whose bytes, as
/// [`at_family_start`] takes them, read as text: text where a family should start, which
/// would otherwise read as families of unknown fields and go unnoticed.
/// Called only for a family without metrics ([`FamilyState::has_no_metrics`]).
#[cold]
#[inline(never)]
fn text_as_empty_family(bytes: &[u8], offset: u64) -> Option<Error> {
    crate::content_type::looks_like_text(bytes).then(|| {
        let e = Error::new(
            ErrorKind::Protobuf,
            "a metric family without metrics",
            0,
            0,
            offset,
        );
        at_family_start(e, bytes, offset)
    })
}

fn too_large(len: usize, limit: usize, offset: u64) -> Error {
    Error::new(
        ErrorKind::FamilyTooLarge,
        format!("metric family of {len} bytes exceeds the limit of {limit} bytes"),
        0,
        0,
        offset,
    )
}

fn truncated(len: usize, left: usize, offset: u64) -> Error {
    Error::new(
        ErrorKind::Protobuf,
        format!("truncated metric family: length {len}, {left} bytes left"),
        0,
        0,
        offset,
    )
}

/// A pull parser over a complete protobuf body; stops at the first error.
///
/// ```
/// use promtext::protobuf::{self, write};
/// let body = write::encode_families(&[write::Family::gauge("up", "").metric(write::Metric::new(&[]).value(1.0))]);
/// let mut p = protobuf::Parser::new(&body, protobuf::Settings::default());
/// assert_eq!(p.by_ref().filter(|e| e.as_ref().is_ok_and(|e| e.as_sample().is_some())).count(), 1);
/// assert_eq!(p.families_read(), 1);
/// ```
#[derive(Debug)]
pub struct Parser<'a> {
    buf: &'a [u8],
    pos: usize,
    settings: Settings,
    /// The state of the current family, reused from family to family.
    st: FamilyState,
    fam: Option<(&'a [u8], &'a str, Strs<'a>)>,
    scratch: Scratch,
    failed: bool,
    families: u64,
}

impl<'a> Parser<'a> {
    /// A parser over `body`.
    pub fn new(body: &'a [u8], settings: Settings) -> Self {
        Parser {
            buf: body,
            pos: 0,
            settings,
            st: FamilyState::empty(),
            fam: None,
            scratch: Scratch::default(),
            failed: false,
            families: 0,
        }
    }

    /// How many families were opened so far.
    pub fn families_read(&self) -> u64 {
        self.families
    }
}

/// Parses a complete body with the default settings.
pub fn parse(body: &[u8]) -> Parser<'_> {
    Parser::new(body, Settings::default())
}

impl<'a> Iterator for Parser<'a> {
    type Item = Result<Event<'a>, Error>;

    // The TYPE event that follows every HELP is taken here, where the caller can inline it;
    // the rest in `next_general`.
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if let (false, Some((_, name, _))) = (self.failed, &self.fam) {
            if let Some(e) = self.st.type_event(name) {
                return Some(Ok(e));
            }
        }
        self.next_general()
    }
}

impl<'a> Parser<'a> {
    fn next_general(&mut self) -> Option<Result<Event<'a>, Error>> {
        loop {
            if self.failed {
                return None;
            }
            if let Some((fam, name, strs)) = &mut self.fam {
                match self
                    .st
                    .next_event(fam, name, strs, &self.settings, &mut self.scratch)
                {
                    Some(r) => {
                        self.failed = r.is_err();
                        return Some(r);
                    }
                    None => self.fam = None,
                }
            }
            if let Err(e) = self.open_next()? {
                self.failed = true;
                return Some(Err(e));
            }
        }
    }
}

impl<'a> Parser<'a> {
    /// Opens the next family (kept out of the per-event path: its code would weigh on every
    /// event's entry); `None` at the end of the body.
    #[inline(never)]
    fn open_next(&mut self) -> Option<Result<(), Error>> {
        let rest = &self.buf[self.pos..];
        if rest.is_empty() {
            return None;
        }
        let at = self.pos as u64;
        let prefix = read_prefix_short(rest);
        let claimed = |rest: &'a [u8]| match prefix {
            Prefix::Complete(p, len) => &rest[..rest.len().min(check_len(p, len))],
            _ => rest,
        };
        let r = match prefix {
            Prefix::Complete(_, len) if len > self.settings.max_family_len => {
                Err(too_large(len, self.settings.max_family_len, at))
            }
            Prefix::Complete(p, len) if len > rest.len() - p => {
                Err(truncated(len, rest.len() - p, at))
            }
            Prefix::Complete(p, len) => {
                let (s, e) = (self.pos + p, self.pos + p + len);
                self.pos = e;
                let fam = &self.buf[s..e];
                self.st
                    .reopen(fam, s as u64)
                    .map(|(name, strs)| (fam, name, strs))
            }
            Prefix::Incomplete => Err(truncated(0, 0, at)),
            Prefix::Bad(what) => Err(Error::new(ErrorKind::Protobuf, what, 0, 0, at)),
        };
        Some(match r {
            Ok(f) => {
                if self.st.has_no_metrics() {
                    if let Some(e) = text_as_empty_family(claimed(rest), at) {
                        return Some(Err(e));
                    }
                }
                self.families += 1;
                self.fam = Some(f);
                Ok(())
            }
            Err(e) => Err(at_family_start(e, claimed(rest), at)),
        })
    }
}

/// A push parser: feed chunks as they arrive and drain the events of the families they
/// complete. Complete families are read from the chunk in place; only a family cut by a chunk
/// boundary is copied (at most [`Settings::max_family_len`] bytes), and what an iterator
/// dropped before it was drained left (see [`ChunkParser::feed`]).
///
/// ```
/// use promtext::protobuf::{self, write};
/// let body = write::encode_families(&[write::Family::gauge("up", "").metric(write::Metric::new(&[]).value(1.0))]);
/// let mut p = protobuf::ChunkParser::new(protobuf::Settings::default());
/// let mut values = Vec::new();
/// for chunk in body.chunks(3) {
///     for ev in p.feed(chunk) {
///         if let Some(s) = ev?.as_sample() {
///             values.push(s.value());
///         }
///     }
/// }
/// p.finish()?;
/// assert_eq!(values, [1.0]);
/// # Ok::<(), promtext::Error>(())
/// ```
#[derive(Debug)]
pub struct ChunkParser {
    inner: Inner,
    carry: Vec<u8>,
    joined: Vec<u8>,
}

#[derive(Debug)]
struct Inner {
    settings: Settings,
    /// The state of the current family, reused from family to family.
    st: FamilyState,
    scratch: Scratch,
    failed: bool,
    /// The body offset of the next byte not yet consumed (the start of `carry`).
    offset: u64,
    families: u64,
    /// Whether the first family of the carry is one a dropped iterator stopped inside: it goes
    /// on from `st` instead of being opened again.
    resume: bool,
    /// The largest chunk fed (what dropped iterators may leave is bounded by it).
    largest_chunk: usize,
    /// An [`ErrorKind::Undrained`] error for the next iterator or `finish`.
    undrained: Option<Error>,
}

impl ChunkParser {
    /// A chunk parser with `settings`.
    pub fn new(settings: Settings) -> Self {
        ChunkParser {
            inner: Inner {
                settings,
                st: FamilyState::empty(),
                scratch: Scratch::default(),
                failed: false,
                offset: 0,
                families: 0,
                resume: false,
                largest_chunk: 0,
                undrained: None,
            },
            carry: Vec::new(),
            joined: Vec::new(),
        }
    }

    /// Feeds the next chunk. Drain the returned iterator before feeding again: what a dropped
    /// iterator did not hand out (the rest of a family included) is kept and comes first from
    /// the next one, up to [`Settings::max_family_len`] plus the largest chunk; past that it is
    /// discarded and the next iterator (or [`ChunkParser::finish`]) reports
    /// [`ErrorKind::Undrained`], which ends the body.
    pub fn feed<'c>(&'c mut self, chunk: &'c [u8]) -> ChunkEvents<'c> {
        let ChunkParser {
            inner,
            carry,
            joined,
        } = self;
        inner.largest_chunk = inner.largest_chunk.max(chunk.len());
        let mut ev = ChunkEvents {
            inner,
            carry,
            first: &[],
            rest: chunk,
            fam: None,
            pending: None,
        };
        if let Some(e) = ev.inner.undrained.take() {
            ev.pending = Some(e);
            ev.rest = &[];
            return ev;
        }
        if ev.inner.failed {
            ev.rest = &[];
            return ev;
        }
        if ev.carry.is_empty() {
            return ev;
        }
        // Whole families at the head of the carry (left by a dropped iterator) come first;
        // then a family cut by the last chunk is completed with the head of this one.
        let limit = ev.inner.settings.max_family_len;
        let whole = whole_families(ev.carry, limit);
        let cut = &ev.carry[whole..];
        let mut head = [0u8; 16];
        let n = cut.len().min(16);
        head[..n].copy_from_slice(&cut[..n]);
        let m = (16 - n).min(chunk.len());
        head[n..n + m].copy_from_slice(&chunk[..m]);
        let head = &head[..n + m];
        joined.clear();
        let complete = match read_prefix(&head[..head.len().min(10)]) {
            _ if cut.is_empty() => Some(0),
            Prefix::Complete(p, len) if len <= limit => {
                (cut.len() + chunk.len() >= p + len).then(|| p + len - cut.len())
            }
            // Too few bytes yet to tell text from protobuf as the other readers do.
            Prefix::Complete(p, len) if head.len() < check_len(p, len) => None,
            Prefix::Incomplete => None,
            // An error: the walk over the joined bytes reports it at its offset.
            Prefix::Complete(..) | Prefix::Bad(_) => Some(chunk.len()),
        };
        match complete {
            Some(need) => {
                joined.extend_from_slice(ev.carry);
                joined.extend_from_slice(&chunk[..need]);
                ev.carry.clear();
                ev.rest = &chunk[need..];
            }
            None => {
                joined.extend_from_slice(&ev.carry[..whole]);
                ev.carry.drain(..whole);
                ev.carry.extend_from_slice(chunk);
                ev.rest = &[];
            }
        }
        ev.first = joined;
        ev
    }

    /// Ends the body: an error if a family is incomplete, or if bytes a dropped iterator left
    /// were never handed out (feed an empty chunk to drain them first).
    pub fn finish(&mut self) -> Result<(), Error> {
        if let Some(e) = self.inner.undrained.take() {
            return Err(e);
        }
        if self.inner.failed || self.carry.is_empty() {
            return Ok(());
        }
        self.inner.failed = true;
        let at = self.inner.offset;
        let limit = self.inner.settings.max_family_len;
        let carry = &self.carry;
        let whole = whole_families(carry, limit);
        if whole > 0 {
            return Err(Error::new(
                ErrorKind::Undrained,
                format!(
                    "{whole} bytes of whole families left by dropped, undrained iterators were \
                     not handed out before the body ended (feed an empty chunk to drain them)"
                ),
                0,
                0,
                at,
            ));
        }
        let e = match read_prefix(carry) {
            Prefix::Complete(p, len) if len > limit => {
                let claimed = &carry[..carry.len().min(check_len(p, len))];
                return Err(at_family_start(too_large(len, limit, at), claimed, at));
            }
            Prefix::Complete(p, len) => truncated(len, carry.len() - p, at),
            Prefix::Bad(what) => Error::new(ErrorKind::Protobuf, what, 0, 0, at),
            Prefix::Incomplete => truncated(0, 0, at),
        };
        Err(at_family_start(e, carry, at))
    }

    /// Bytes buffered: a family cut by a chunk boundary (at most [`Settings::max_family_len`]),
    /// plus what a dropped, undrained iterator left for the next one (see
    /// [`ChunkParser::feed`]).
    pub fn buffered(&self) -> usize {
        self.carry.len()
    }

    /// How many families were opened so far.
    pub fn families_read(&self) -> u64 {
        self.inner.families
    }
}

/// The length of the whole families (each within `limit`) at the head of `b`.
fn whole_families(b: &[u8], limit: usize) -> usize {
    let mut at = 0;
    while let Prefix::Complete(p, len) = read_prefix_short(&b[at..]) {
        if len > limit || b.len() - at - p < len {
            break;
        }
        at += p + len;
    }
    at
}

/// The events of one [`ChunkParser::feed`] call.
#[derive(Debug)]
pub struct ChunkEvents<'c> {
    inner: &'c mut Inner,
    carry: &'c mut Vec<u8>,
    /// Whole families kept from the carry, then the family completed with the chunk's head
    /// (or, when that family holds an error, the whole chunk); or empty.
    first: &'c [u8],
    /// The rest of the chunk.
    rest: &'c [u8],
    /// The open family: its bytes with their length prefix, its message, name and strings.
    fam: Option<(&'c [u8], &'c [u8], &'c str, Strs<'c>)>,
    /// An [`ErrorKind::Undrained`] error to hand out first.
    pending: Option<Error>,
}

impl<'c> ChunkEvents<'c> {
    /// Opens the family `fam` (`whole`: with its length prefix, at body offset `start`) at
    /// body offset `base`, or goes on in it where a dropped iterator stopped.
    fn open(
        &mut self,
        whole: &'c [u8],
        fam: &'c [u8],
        base: u64,
        start: u64,
    ) -> Option<Result<Event<'c>, Error>> {
        if std::mem::take(&mut self.inner.resume) {
            let (name, strs) = self.inner.st.resumed(fam);
            self.fam = Some((whole, fam, name, strs));
            return None;
        }
        match self.inner.st.reopen(fam, base) {
            Ok((name, strs)) => {
                if self.inner.st.has_no_metrics() {
                    if let Some(e) = text_as_empty_family(whole, start) {
                        return Some(Err(self.fail(e)));
                    }
                }
                self.inner.families += 1;
                self.fam = Some((whole, fam, name, strs));
                None
            }
            Err(e) => Some(Err(self.fail(at_family_start(e, whole, start)))),
        }
    }

    fn fail(&mut self, e: Error) -> Error {
        self.inner.failed = true;
        self.rest = &[];
        self.first = &[];
        self.fam = None;
        e
    }
}

impl<'c> Iterator for ChunkEvents<'c> {
    type Item = Result<Event<'c>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.pending.take() {
            return Some(Err(self.fail(e)));
        }
        loop {
            if let Some((_, fam, name, strs)) = &mut self.fam {
                let inner = &mut *self.inner;
                match inner
                    .st
                    .next_event(fam, name, strs, &inner.settings, &mut inner.scratch)
                {
                    Some(Ok(e)) => return Some(Ok(e)),
                    Some(Err(e)) => return Some(Err(self.fail(e))),
                    None => self.fam = None,
                }
            }
            if self.inner.failed {
                return None;
            }
            // `first` before `rest`; `rest` is empty unless `first` holds whole families only.
            // The segment is taken: what is not a whole family goes to the carry or fails.
            let in_first = !self.first.is_empty();
            let seg = std::mem::take(if in_first {
                &mut self.first
            } else {
                &mut self.rest
            });
            if seg.is_empty() {
                return None;
            }
            let limit = self.inner.settings.max_family_len;
            let at = self.inner.offset;
            match read_prefix_short(seg) {
                Prefix::Complete(p, len) if len > limit && seg.len() < check_len(p, len) => {
                    // Too few bytes yet to tell text from protobuf as the other readers do.
                    self.carry.extend_from_slice(seg);
                }
                Prefix::Complete(p, len) if len > limit => {
                    let claimed = &seg[..check_len(p, len)];
                    let e = at_family_start(too_large(len, limit, at), claimed, at);
                    return Some(Err(self.fail(e)));
                }
                Prefix::Complete(p, len) if seg.len() - p >= len => {
                    let (whole, next) = seg.split_at(p + len);
                    *(if in_first {
                        &mut self.first
                    } else {
                        &mut self.rest
                    }) = next;
                    self.inner.offset += (p + len) as u64;
                    if let Some(r) = self.open(whole, &whole[p..], at + p as u64, at) {
                        return Some(r);
                    }
                }
                Prefix::Complete(..) | Prefix::Incomplete => self.carry.extend_from_slice(seg),
                Prefix::Bad(what) => {
                    let e = Error::new(ErrorKind::Protobuf, what, 0, 0, at);
                    return Some(Err(self.fail(e)));
                }
            }
        }
    }
}

impl Drop for ChunkEvents<'_> {
    /// Keeps what was not handed out for the next feed, in order: the open family (resumed
    /// where it stopped), the families not reached yet, a family cut at the chunk's end.
    fn drop(&mut self) {
        if let Some(e) = self.pending.take() {
            self.inner.undrained = Some(e);
            return;
        }
        if self.inner.failed {
            return;
        }
        let open = self.fam.map_or(&[][..], |(whole, ..)| whole);
        if open.is_empty() && self.first.is_empty() && self.rest.is_empty() {
            return;
        }
        let total = open.len() + self.first.len() + self.rest.len() + self.carry.len();
        // (10: the longest length prefix, that of a family kept whole.)
        let bound = (self.inner.settings.max_family_len)
            .saturating_add(self.inner.largest_chunk)
            .saturating_add(10);
        // The open family's offset counts from its length prefix again.
        self.inner.offset -= open.len() as u64;
        if total > bound {
            self.discard(total);
            return;
        }
        let mut kept = Vec::with_capacity(total);
        kept.extend_from_slice(open);
        kept.extend_from_slice(self.first);
        kept.extend_from_slice(self.rest);
        kept.extend_from_slice(self.carry);
        *self.carry = kept;
        // A resumed family this iterator never reached is still to be resumed.
        self.inner.resume |= !open.is_empty();
    }
}

impl ChunkEvents<'_> {
    /// Drops `len` undrained bytes, ending the body with an [`ErrorKind::Undrained`] error
    /// for the next iterator or [`ChunkParser::finish`].
    #[cold]
    fn discard(&mut self, len: usize) {
        let limit = self.inner.settings.max_family_len;
        self.inner.undrained = Some(Error::new(
            ErrorKind::Undrained,
            format!(
                "{len} bytes of dropped, undrained iterators were discarded: keeping them would \
                 pass the family limit of {limit} bytes plus one chunk"
            ),
            0,
            0,
            self.inner.offset,
        ));
        self.inner.failed = true;
        self.inner.resume = false;
        self.carry.clear();
    }
}

/// A parser over an [`io::Read`]: one family at a time is read into a reused buffer
/// (bounded by [`Settings::max_family_len`]).
///
/// ```
/// use promtext::protobuf::{self, write};
/// let body = write::encode_families(&[write::Family::gauge("up", "").metric(write::Metric::new(&[]).value(1.0))]);
/// let mut p = protobuf::ReadParser::new(&body[..], protobuf::Settings::default());
/// let mut n = 0;
/// while let Some(ev) = p.next_event() {
///     n += ev?.as_sample().is_some() as usize;
/// }
/// assert_eq!(n, 1);
/// # Ok::<(), promtext::Error>(())
/// ```
#[derive(Debug)]
pub struct ReadParser<R> {
    reader: io::BufReader<R>,
    buf: Vec<u8>,
    settings: Settings,
    scratch: Scratch,
    fam: Option<FamilyState>,
    offset: u64,
    failed: bool,
    families: u64,
}

impl<R: Read> ReadParser<R> {
    /// A parser over `reader`.
    pub fn new(reader: R, settings: Settings) -> Self {
        ReadParser {
            reader: io::BufReader::with_capacity(64 << 10, reader),
            buf: Vec::new(),
            settings,
            scratch: Scratch::default(),
            fam: None,
            offset: 0,
            failed: false,
            families: 0,
        }
    }

    /// How many families were opened so far.
    pub fn families_read(&self) -> u64 {
        self.families
    }

    fn io_error(&mut self, e: io::Error) -> Error {
        self.failed = true;
        Error::new(
            ErrorKind::Protobuf,
            format!("read error: {e}"),
            0,
            0,
            self.offset,
        )
    }

    /// Reads the next family into `buf`; `Ok(false)` at the end of the body.
    fn read_family(&mut self) -> Result<bool, Error> {
        let at = self.offset;
        let mut head = [0u8; 10];
        let mut n = 0;
        let len = loop {
            let mut byte = [0u8; 1];
            match self.reader.read(&mut byte) {
                Ok(0) if n == 0 => return Ok(false),
                Ok(0) => return Err(truncated(0, 0, at)),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io_error(e)),
            }
            head[n] = byte[0];
            n += 1;
            match read_prefix(&head[..n]) {
                Prefix::Complete(_, len) => break len,
                Prefix::Incomplete => {}
                Prefix::Bad(what) => return Err(Error::new(ErrorKind::Protobuf, what, 0, 0, at)),
            }
        };
        if len > self.settings.max_family_len {
            // The first bytes of the claimed family, for the mixed-body check.
            let mut claimed = head[..n].to_vec();
            let more = check_len(n, len).saturating_sub(n) as u64;
            let _ = (&mut self.reader).take(more).read_to_end(&mut claimed);
            let e = too_large(len, self.settings.max_family_len, at);
            return Err(at_family_start(e, &claimed, at));
        }
        self.buf.clear();
        // `take` grows the buffer with the data actually read, never to a claimed length.
        let got = (&mut self.reader)
            .take(len as u64)
            .read_to_end(&mut self.buf)
            .map_err(|e| self.io_error(e))?;
        let mut start = [0u8; 16];
        let k = n.min(16);
        start[..k].copy_from_slice(&head[..k]);
        let m = (16 - k).min(self.buf.len());
        start[k..k + m].copy_from_slice(&self.buf[..m]);
        let start = &start[..k + m];
        if got < len {
            return Err(at_family_start(truncated(len, got, at), start, at));
        }
        self.offset += (n + len) as u64;
        let st = FamilyState::open(&self.buf, at + n as u64)
            .map_err(|e| at_family_start(e, start, at))?;
        if st.has_no_metrics() {
            if let Some(e) = text_as_empty_family(start, at) {
                return Err(e);
            }
        }
        self.fam = Some(st);
        self.families += 1;
        Ok(true)
    }

    /// The next event, `None` at the end of the body or after an error.
    #[allow(clippy::should_implement_trait)]
    pub fn next_event(&mut self) -> Option<Result<Event<'_>, Error>> {
        loop {
            if self.failed {
                return None;
            }
            if self.fam.is_none() {
                match self.read_family() {
                    Ok(true) => {}
                    Ok(false) => return None,
                    Err(e) => {
                        self.failed = true;
                        return Some(Err(e));
                    }
                }
            }
            let Some(st) = self.fam.as_mut() else {
                continue;
            };
            // The end of a family is found before the call that borrows `buf` for the event
            // (a borrow returned on one path would otherwise last through the next read).
            if st.at_end(&self.buf) {
                self.fam = None;
                continue;
            }
            let name = st.name(&self.buf);
            let r = st.next_event(
                &self.buf,
                name,
                &mut Strs::default(),
                &self.settings,
                &mut self.scratch,
            );
            if !matches!(r, Some(Ok(_))) {
                self.failed = true;
            }
            return r;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(p: Prefix) -> (u8, usize, usize, &'static str) {
        match p {
            Prefix::Complete(a, b) => (0, a, b, ""),
            Prefix::Incomplete => (1, 0, 0, ""),
            Prefix::Bad(what) => (2, 0, 0, what),
        }
    }

    /// The inline prefix reads what the varint reader does on every body start of up to
    /// three bytes (the third byte: a continuation or not).
    #[test]
    fn short_prefix_agrees_with_read_prefix() {
        let mut starts: Vec<Vec<u8>> = vec![vec![]];
        for a in 0..=255u8 {
            starts.push(vec![a]);
            for b in 0..=255u8 {
                starts.push(vec![a, b]);
                for c in [0x00, 0x7f, 0x80, 0xff] {
                    starts.push(vec![a, b, c]);
                }
            }
        }
        for b in &starts {
            assert_eq!(key(read_prefix_short(b)), key(read_prefix(b)), "{b:02x?}");
        }
    }
}
