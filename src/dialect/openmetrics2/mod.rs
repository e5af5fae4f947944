//! OpenMetrics 2.0 (rc0) text, experimental: one line → one or more events.
//!
//! Selected with [`Dialect::OpenMetrics2`](crate::Dialect::OpenMetrics2) (or
//! [`Settings::openmetrics2`](crate::Settings::openmetrics2)), served as
//! `application/openmetrics-text; version=2.0.0`. Prometheus parses it behind
//! `--enable-feature=openmetrics2`.
//!
//! What differs from OpenMetrics 1.0: a sample's name is its family's name (a new name starts
//! a new family); histograms, gauge histograms and summaries are one line with a composite
//! value (`{count:…,sum:…,bucket:[…]}`, native buckets with `schema`, `zero_threshold`,
//! `zero_count`, spans and buckets, `quantile:[…]`); an inline start timestamp (`st@…`)
//! replaces `_created`; a sample may carry several exemplars, each with a mandatory timestamp.
//!
//! Events: metadata lines and `# EOF` as in OpenMetrics 1.0; every sample is an
//! [`Event::Series`] ([`Sample`]). A composite value comes as the series Prometheus presents:
//! `_count`, `_sum`, then `_bucket{le=…}` per classic bucket (or the `{quantile=…}` series of a
//! summary), each carrying the line's labels, timestamp and start timestamp. A histogram with
//! native buckets is one [`Event::Histogram`] ([`Histogram`]), presented as the protobuf
//! reader's [`NativeHistogram`](crate::protobuf::NativeHistogram) by [`Histogram::native`];
//! classic buckets on the same line are then not presented, as in Prometheus by default.
//!
//! A malformed exemplar does not fail the line (the spec's one exception to failing the whole
//! exposition): it is dropped, the sample keeps its well-formed exemplars, and the parsers
//! count the dropped ones ([`Parser::dropped_exemplars`](crate::Parser::dropped_exemplars)).
//! At most [`MAX_EXEMPLARS`] are kept per sample; more are dropped and counted alike.
//!
//! Under [`Validation::Strict`](crate::Validation::Strict) the MUSTs of the spec that are not
//! grammar are errors too ([`ErrorKind::Semantic`]): families not interleaved and with at most
//! one TYPE, UNIT and HELP before their samples, the ABNF's number forms, classic buckets
//! sorted with `+Inf` last, cumulative and equal to the count, quantiles sorted within
//! `[0, 1]`, no `le`/`quantile` label on a histogram/summary, non-negative counts, counter
//! values not NaN nor negative, info values 1, stateset values 0 or 1, no unit on info and
//! stateset families, no start timestamp on a gauge histogram. The SHOULDs are lints
//! ([`lints`]).

mod composite;
mod lint;
mod sample;
pub mod write;

use std::collections::HashSet;

pub(crate) use composite::{abnf_number, abnf_real, fill_native};
pub use lint::{Lint, lints};
pub use sample::{Exemplars, Histogram, Labels, MAX_EXEMPLARS, NativeScratch, Sample};

use sample::{COMPOSITE, GAUGE, HAS_START, HAS_TIMESTAMP, LABELS_ESCAPED, NAME_ESCAPED, Parts};

use crate::dialect::openmetrics::{
    OmState, after_eof, label_set, seconds_to_ms, timestamp, unexpected,
};
use crate::dialect::prometheus::value_error;
use crate::error::{ErrorKind, LineError};
use crate::event::{Eof, Event, HelpLine, MetricType, Span, UnitLine};
use crate::go::parse_value;
use crate::go::quote_bounded as go_quote;
use crate::lex::scan::{is_metric_char, is_metric_start, metric_name_end, scan_quoted};
use crate::protobuf::Series;
use crate::settings::{Dialect, Settings, Validation};

/// What a composite value holds: the positions of its parts in the line.
#[derive(Clone, Copy, Debug, Default)]
struct Composite {
    kind: Kind,
    count: (f64, Span),
    sum: (f64, Span),
    native: Option<Native>,
    /// The text between `[` and `]` of `bucket:[…]` or `quantile:[…]`.
    list: Option<(usize, usize)>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Kind {
    #[default]
    Histogram,
    GaugeHistogram,
    Summary,
}

impl Kind {
    fn metric_type(self) -> MetricType {
        match self {
            Kind::Histogram => MetricType::Histogram,
            Kind::GaugeHistogram => MetricType::GaugeHistogram,
            Kind::Summary => MetricType::Summary,
        }
    }
}

/// The native-bucket fields of a composite value, as positions in the line.
#[derive(Clone, Copy, Debug, Default)]
#[allow(dead_code)] // Read by the native-histogram event once it lands.
struct Native {
    /// The composite value's text, between its braces.
    start: usize,
    close: usize,
    schema: i32,
    zero_threshold: f64,
    zero_count: f64,
    negative: Option<((usize, usize), (usize, usize))>,
    positive: Option<((usize, usize), (usize, usize))>,
}

/// The rest of a composite line still to hand out.
#[derive(Debug)]
struct Expand {
    p: Parts,
    /// `Sum` next, then the list items from `pos` to `end`.
    sum_next: bool,
    sum: (f64, Span),
    pos: usize,
    end: usize,
    item: Series,
}

/// The OpenMetrics 2.0 state a parser carries across lines.
#[derive(Debug)]
pub(crate) struct Om2State {
    active: bool,
    strict: bool,
    eof_seen: bool,
    labels: OmState,
    /// The current family: its name as written, type, and what it has had so far.
    family: Vec<u8>,
    family_type: MetricType,
    family_seen: u8,
    /// Strict: every family name seen, to reject interleaved families.
    seen: Option<HashSet<Vec<u8>>>,
    expand: Option<Expand>,
    pub dropped_exemplars: u64,
}

const SEEN_TYPE: u8 = 1;
const SEEN_HELP: u8 = 2;
const SEEN_UNIT: u8 = 4;
const SEEN_SAMPLE: u8 = 8;
/// A non-empty UNIT.
const HAS_UNIT: u8 = 16;

fn syntax(col: usize, msg: impl Into<String>) -> LineError {
    LineError::new(ErrorKind::Syntax, col, msg)
}

fn semantic(col: usize, msg: impl Into<String>) -> LineError {
    LineError::new(ErrorKind::Semantic, col, msg)
}

/// `<what> while parsing: "<line up to col>"`.
fn at(b: &[u8], col: usize, what: &str) -> LineError {
    syntax(
        col.min(b.len()),
        format!(
            "{what} while parsing: {}",
            go_quote(&b[..(col + 1).min(b.len())])
        ),
    )
}

impl Om2State {
    pub(crate) fn new(settings: &Settings) -> Self {
        let active = settings.dialect == Dialect::OpenMetrics2;
        let strict = active && settings.validation == Validation::Strict;
        Om2State {
            active,
            strict,
            eof_seen: false,
            labels: OmState::for_labels(
                strict,
                strict || !settings.allow_duplicate_labels,
                settings,
            ),
            family: if active {
                Vec::with_capacity(256)
            } else {
                Vec::new()
            },
            family_type: MetricType::Unknown,
            family_seen: 0,
            seen: strict.then(HashSet::new),
            expand: None,
            dropped_exemplars: 0,
        }
    }

    /// Forgets a composite line's remaining events (its bytes were discarded).
    pub(crate) fn stop_expanding(&mut self) {
        self.expand = None;
    }

    /// Whether a composite line has events left ([`Om2State::expand`]).
    #[inline(always)]
    pub(crate) fn expanding(&self) -> bool {
        self.expand.is_some()
    }

    /// The next event of the composite line `line` (the line the last event came from).
    ///
    /// `text` is the line as the front end validated it once: each event costs its own item,
    /// not the line's length.
    pub(crate) fn expand<'a>(&mut self, text: &'a str) -> Option<Event<'a>> {
        let line = text.as_bytes();
        let e = self.expand.as_mut()?;
        let mut p = e.p;
        if e.sum_next {
            e.sum_next = false;
            p.series = Series::Sum;
            (p.value, p.value_text) = e.sum;
        } else {
            let b = line;
            let colon = memchr::memchr(b':', &b[e.pos..e.end]).map_or(e.end, |n| e.pos + n);
            let stop = memchr::memchr(b',', &b[colon..e.end]).map_or(e.end, |n| colon + n);
            let bound = text.get(e.pos..colon).unwrap_or_default();
            let value = text.get((colon + 1).min(stop)..stop).unwrap_or_default();
            p.series = e.item;
            p.bound = Span::new(e.pos, colon);
            p.bound_value = parse_value(bound).unwrap_or(f64::NAN);
            p.value = parse_value(value).unwrap_or(f64::NAN);
            p.value_text = Span::new((colon + 1).min(stop), stop);
            e.pos = stop + 1;
        }
        if !e.sum_next && e.pos >= e.end {
            self.expand = None;
        }
        Some(Event::Series(Sample { text, p }))
    }

    /// Parses one line (without its line feed).
    pub(crate) fn line<'a>(
        &mut self,
        line: &'a str,
        line_no: u64,
        offset: u64,
        has_backslash: bool,
    ) -> Result<Option<Event<'a>>, LineError> {
        self.expand = None;
        if self.eof_seen {
            return Err(after_eof());
        }
        let b = line.as_bytes();
        // A line ending in CR (CRLF line endings); a CR inside a quoted string or HELP text
        // is a character like any other, and one elsewhere a syntax error.
        if b.last() == Some(&b'\r') {
            return Err(syntax(
                b.len() - 1,
                "carriage return at the end of the line (OpenMetrics 2.0 lines end with a line feed only)",
            ));
        }
        match b.first() {
            Some(b'#') => self.meta(line, line_no).map(Some),
            Some(&c) if is_metric_start(c) || c == b'{' => {
                match self.sample(line, line_no, offset, has_backslash) {
                    Err(e) if self.labels.limits.recheck(&e) => {
                        crate::dialect::limits::LimitCheck::without(
                            self,
                            |st| &mut st.labels.limits,
                            |st| st.sample(line, line_no, offset, has_backslash),
                        )
                    }
                    r => r,
                }
                .map(Some)
            }
            _ => Err(unexpected(
                "expected a valid start token",
                line,
                0,
                0,
                "INVALID",
            )),
        }
    }

    /// The error for a line that is not valid UTF-8.
    pub(crate) fn invalid_utf8(&mut self, bytes: &[u8], bad: usize) -> LineError {
        if self.eof_seen {
            return after_eof();
        }
        let _ = bytes;
        LineError::new(ErrorKind::InvalidUtf8, bad, "invalid UTF-8 in line")
    }

    /// End-of-input check: the exposition must end with `# EOF`.
    pub(crate) fn finish(&mut self) -> Option<LineError> {
        self.expand = None;
        (self.active && !self.eof_seen)
            .then(|| LineError::new(ErrorKind::MissingEof, 0, "data does not end with # EOF"))
    }

    /// Moves to the family named `name` (as written) if it is not the current one.
    fn enter(&mut self, name: &[u8], col: usize) -> Result<(), LineError> {
        if self.family == name {
            return Ok(());
        }
        self.family.clear();
        self.family.extend_from_slice(name);
        self.family_type = MetricType::Unknown;
        self.family_seen = 0;
        if let Some(seen) = self.seen.as_mut() {
            if !seen.insert(name.to_vec()) {
                return Err(semantic(
                    col,
                    format!(
                        "family {} is interleaved with another (its metadata or samples appeared before)",
                        go_quote(name)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn meta<'a>(&mut self, line: &'a str, line_no: u64) -> Result<Event<'a>, LineError> {
        let b = line.as_bytes();
        let kw = if b.starts_with(b"# HELP ") {
            SEEN_HELP
        } else if b.starts_with(b"# TYPE ") {
            SEEN_TYPE
        } else if b.starts_with(b"# UNIT ") {
            SEEN_UNIT
        } else if b == b"# EOF" {
            self.eof_seen = true;
            return Ok(Event::Eof(Eof { line: line_no }));
        } else if b.starts_with(b"# EOF") {
            return Err(LineError::new(
                ErrorKind::DataAfterEof,
                5,
                "unexpected data after # EOF",
            ));
        } else {
            return Err(at(
                b,
                1,
                "expected # HELP, # TYPE, # UNIT or # EOF (OpenMetrics allows no other comment)",
            ));
        };
        let keyword = match kw {
            SEEN_HELP => "HELP",
            SEEN_TYPE => "TYPE",
            _ => "UNIT",
        };
        let i = 7;
        let (name, name_end, escaped) = match b.get(i) {
            Some(b'"') => match scan_quoted(b, i, true) {
                Some(q) if q.end > q.start => (&line[q.start..q.end], q.end + 1, q.escaped),
                _ => return Err(at(b, i, &format!("expected metric name after {keyword}"))),
            },
            Some(&c) if is_metric_start(c) => {
                let end = metric_name_end(b, i + 1);
                (&line[i..end], end, false)
            }
            _ => return Err(at(b, i, &format!("expected metric name after {keyword}"))),
        };
        let _ = escaped;
        if b.get(name_end) != Some(&b' ') {
            return Err(at(b, name_end, &format!("expected text in {keyword}")));
        }
        let text = &line[name_end + 1..];
        self.enter(name.as_bytes(), 7)?;
        if self.strict && self.family_seen & (kw | SEEN_SAMPLE) != 0 {
            return Err(semantic(
                0,
                format!(
                    "{keyword} for family {} {}",
                    go_quote(name.as_bytes()),
                    if self.family_seen & SEEN_SAMPLE != 0 {
                        "after its samples"
                    } else {
                        "repeated"
                    }
                ),
            ));
        }
        self.family_seen |= kw;
        match kw {
            SEEN_HELP => Ok(Event::Help(HelpLine {
                name,
                raw_text: text,
                line: line_no,
                openmetrics: true,
            })),
            SEEN_TYPE => {
                let ev = super::openmetrics::type_event(name, text, name_end + 1, line_no)?;
                if let Event::Type(t) = &ev {
                    self.family_type = t.metric_type;
                }
                self.check_unit(name_end + 1)?;
                Ok(ev)
            }
            _ => {
                if let Some(bad) = text.bytes().position(|c| !is_metric_char(c)) {
                    return Err(LineError::new(
                        ErrorKind::InvalidUnit,
                        name_end + 1 + bad,
                        format!("invalid unit {}", go_quote(text.as_bytes())),
                    ));
                }
                if !text.is_empty() {
                    self.family_seen |= HAS_UNIT;
                }
                self.check_unit(name_end + 1)?;
                Ok(Event::Unit(UnitLine {
                    name,
                    unit: text,
                    line: line_no,
                }))
            }
        }
    }

    fn sample<'a>(
        &mut self,
        line: &'a str,
        line_no: u64,
        offset: u64,
        has_backslash: bool,
    ) -> Result<Event<'a>, LineError> {
        let b = line.as_bytes();
        let head = super::openmetrics::series_head(line, has_backslash, &mut self.labels)?;
        let (name, name_escaped) = (head.name, head.name_escaped);
        let labels = Span::new(head.labels.0, head.labels.1);
        let i = head.end;
        // The ABNF puts a quoted name first in the braces (Prometheus takes it anywhere).
        if self.strict && b[0] == b'{' && Span::of(line, name).start() != 2 {
            return Err(semantic(
                0,
                format!(
                    "the quoted metric name must come first in the braces while parsing: {}",
                    go_quote(&b[..i.min(b.len())])
                ),
            ));
        }
        self.enter(name.as_bytes(), 0)?;
        self.family_seen |= SEEN_SAMPLE;
        let ftype = self.family_type;
        if b.get(i) != Some(&b' ') {
            return Err(unexpected(
                "expected value after metric",
                line,
                i,
                i,
                "INVALID",
            ));
        }
        let vstart = i + 1;
        let mut comp = None;
        let vend;
        let mut value = 0.0;
        if b.get(vstart) == Some(&b'{') {
            let close = memchr::memchr(b'}', &b[vstart..])
                .map(|n| vstart + n)
                .ok_or_else(|| at(b, b.len(), "composite value not closed with }"))?;
            let c = self.composite(b, vstart + 1, close)?;
            self.check_composite_type(b, ftype, &c, vstart)?;
            if self.strict {
                let reserved = if c.kind == Kind::Summary {
                    "quantile"
                } else {
                    "le"
                };
                let escaped =
                    memchr::memchr(b'\\', &b[labels.start() as usize..labels.end() as usize])
                        .is_some();
                let block =
                    crate::event::SampleLabels::over(line, labels.start(), labels.end(), escaped);
                if (c.kind == Kind::Summary || c.list.is_some())
                    && block.into_iter().any(|l| l.name == reserved)
                {
                    return Err(semantic(
                        labels.start() as usize,
                        format!(
                            "a {} sample has no {reserved:?} label",
                            c.kind.metric_type()
                        ),
                    ));
                }
            }
            comp = Some(c);
            vend = close + 1;
            if b.get(vend).is_some_and(|&c| c != b' ') {
                return Err(at(b, vend, "expected a space after the composite value"));
            }
        } else {
            vend = memchr::memchr(b' ', &b[vstart..]).map_or(b.len(), |n| vstart + n);
            if vend == vstart {
                return Err(unexpected(
                    "expected value after metric",
                    line,
                    i,
                    vstart,
                    "INVALID",
                ));
            }
            value = self.number(line, vstart, vend)?;
            if matches!(
                ftype,
                MetricType::Histogram | MetricType::GaugeHistogram | MetricType::Summary
            ) {
                return Err(at(
                    b,
                    vstart,
                    &format!("a {ftype} sample needs a composite value"),
                ));
            }
            if self.strict {
                self.check_number_value(ftype, value, vstart)?;
            }
        }
        // [SP timestamp] [SP st@timestamp] *(SP # SP exemplar)
        let mut p = Parts {
            name: Span::of(line, name),
            labels,
            bound: Span::default(),
            value_text: Span::new(vstart, vend),
            exemplars: Span::default(),
            value,
            bound_value: f64::NAN,
            timestamp_ms: 0,
            start_ms: 0,
            line: line_no,
            offset,
            exemplar_ok: 0,
            metric_type: ftype,
            series: Series::Value,
            flags: 0,
        };
        if name_escaped {
            p.flags |= NAME_ESCAPED;
        }
        if has_backslash
            && memchr::memchr(b'\\', &b[labels.start() as usize..labels.end() as usize]).is_some()
        {
            p.flags |= LABELS_ESCAPED;
        }
        let mut i = vend;
        while i < b.len() {
            // b[i] == ' '
            if b[i..].starts_with(b" # ") {
                p.exemplars = Span::new(i, b.len());
                p.exemplar_ok = self.exemplars(line, i, has_backslash);
                break;
            }
            let tstart = i + 1;
            let tend = memchr::memchr(b' ', &b[tstart..]).map_or(b.len(), |n| tstart + n);
            if b[tstart..].starts_with(b"st@") {
                if p.flags & HAS_START != 0 {
                    return Err(at(b, tstart, "more than one start timestamp"));
                }
                let ts = self.timestamp(line, tstart + 3, tend, "invalid start timestamp")?;
                p.start_ms = seconds_to_ms(ts);
                p.flags |= HAS_START;
                if self.strict && ftype == MetricType::GaugeHistogram {
                    return Err(semantic(tstart, "a gauge histogram has no start timestamp"));
                }
            } else if p.flags & (HAS_TIMESTAMP | HAS_START) == 0 && tend > tstart {
                let ts = self.timestamp(line, tstart, tend, "invalid timestamp")?;
                p.timestamp_ms = seconds_to_ms(ts);
                p.flags |= HAS_TIMESTAMP;
            } else {
                let what = if p.flags & HAS_START != 0 {
                    "expected exemplar after start timestamp"
                } else {
                    "expected start timestamp or exemplar after timestamp"
                };
                return Err(at(b, tstart.min(b.len()), what));
            }
            i = tend;
        }
        let Some(c) = comp else {
            return Ok(Event::Series(Sample { text: line, p }));
        };
        p.metric_type = if ftype == MetricType::Unknown {
            ftype
        } else {
            c.kind.metric_type()
        };
        (p.value, p.value_text) = c.count;
        if let Some(n) = c.native {
            // One event for the whole histogram; the composite is decoded again on demand.
            p.bound = Span::new(n.start, n.close);
            p.bound_value = c.sum.0;
            p.flags |= COMPOSITE;
            if c.kind == Kind::GaugeHistogram {
                p.flags |= GAUGE;
            }
            return Ok(Event::Histogram(Histogram {
                s: Sample { text: line, p },
            }));
        }
        // The composite: `_count` now, `_sum` and the list items next.
        p.series = Series::Count;
        let (pos, end) = c.list.unwrap_or((0, 0));
        self.expand = Some(Expand {
            p,
            sum_next: true,
            sum: c.sum,
            pos,
            end,
            item: if c.kind == Kind::Summary {
                Series::Quantile
            } else {
                Series::Bucket
            },
        });
        Ok(Event::Series(Sample { text: line, p }))
    }

    /// A number: Go's `ParseFloat` forms, only the ABNF's under strict validation.
    fn number(&self, line: &str, start: usize, end: usize) -> Result<f64, LineError> {
        let v = parse_value(&line[start..end]).map_err(|e| value_error(e, line, start, end))?;
        if self.strict && !abnf_number(&line.as_bytes()[start..end]) {
            return Err(LineError::new(
                ErrorKind::InvalidValue,
                start,
                format!(
                    "number {} is not in the OpenMetrics form",
                    go_quote(&line.as_bytes()[start..end])
                ),
            ));
        }
        Ok(v)
    }

    fn timestamp(
        &self,
        line: &str,
        start: usize,
        end: usize,
        what: &str,
    ) -> Result<f64, LineError> {
        let ts = timestamp(line, start, end, what, ErrorKind::InvalidTimestamp)?;
        if self.strict && !abnf_real(&line.as_bytes()[start..end]) {
            return Err(LineError::new(
                ErrorKind::InvalidTimestamp,
                start,
                format!(
                    "{what} {} (not in the OpenMetrics form)",
                    go_quote(&line.as_bytes()[start..end])
                ),
            ));
        }
        Ok(ts)
    }

    /// Strict: info and stateset families have no unit.
    fn check_unit(&self, col: usize) -> Result<(), LineError> {
        if self.strict
            && self.family_seen & HAS_UNIT != 0
            && matches!(self.family_type, MetricType::Info | MetricType::StateSet)
        {
            return Err(LineError::new(
                ErrorKind::InvalidUnit,
                col,
                format!("a {} family has no unit", self.family_type),
            ));
        }
        Ok(())
    }

    /// Strict checks of a number value against the family type.
    fn check_number_value(&self, t: MetricType, v: f64, col: usize) -> Result<(), LineError> {
        let bad = match t {
            MetricType::Counter if v.is_nan() || v < 0.0 => {
                "a counter value must not be NaN or negative"
            }
            MetricType::Info if v != 1.0 => "an info value must be 1",
            MetricType::StateSet if v != 0.0 && v != 1.0 => "a stateset value must be 0 or 1",
            _ => return Ok(()),
        };
        Err(semantic(col, bad))
    }

    /// The exemplars from `start` (`line[start..]` starts with ` # `): a bit per well-formed
    /// one; malformed ones are counted as dropped.
    fn exemplars(&mut self, line: &str, start: usize, has_backslash: bool) -> u32 {
        let b = line.as_bytes();
        let mut ok = 0u32;
        let mut pos = start;
        let mut k = 0;
        while pos < b.len() {
            let next = if k < MAX_EXEMPLARS {
                match self.exemplar(line, pos, has_backslash) {
                    Some(end) => {
                        ok |= 1 << k;
                        end
                    }
                    None => {
                        self.dropped_exemplars += 1;
                        sample::next_exemplar(b, pos + 3, b.len())
                    }
                }
            } else {
                self.dropped_exemplars += 1;
                sample::next_exemplar(b, pos + 3, b.len())
            };
            k += 1;
            pos = next;
        }
        ok
    }

    /// The end of the well-formed exemplar at `pos` (` # {labels} value timestamp`, followed
    /// by the line's end or another ` # `), or `None` for a malformed one.
    fn exemplar(&mut self, line: &str, pos: usize, has_backslash: bool) -> Option<usize> {
        let b = line.as_bytes();
        if b.get(pos + 3) != Some(&b'{') {
            return None;
        }
        let close = label_set(
            line,
            pos + 3,
            has_backslash,
            &mut None,
            &mut self.labels,
            true,
        )
        .ok()?;
        let vstart = close + 2;
        if b.get(close + 1) != Some(&b' ') || vstart >= b.len() {
            return None;
        }
        let vend = memchr::memchr(b' ', &b[vstart..]).map(|n| vstart + n)?;
        self.number(line, vstart, vend).ok()?;
        let tstart = vend + 1;
        let tend = memchr::memchr(b' ', &b[tstart.min(b.len())..]).map_or(b.len(), |n| tstart + n);
        if tend == tstart {
            return None;
        }
        self.timestamp(line, tstart, tend, "invalid exemplar timestamp")
            .ok()?;
        if tend < b.len() && !b[tend..].starts_with(b" # ") {
            return None;
        }
        Some(tend)
    }
}
