//! Walking one `MetricFamily` message into events, the way Prometheus' `protobufparse` does.
//!
//! The state is positions into the family's bytes, not references, so that every front end
//! (whole buffer, chunks, `io::Read`) can hand the bytes in on each call.

use super::Settings;
use super::event::{Event, Fmt, Help, Sample, Series, common_pair, label_pair};
use super::messages::{bucket, quantile, timestamp_ms};
use super::native::{HistHead, NativeHistogram, span};
use super::wire::{Fields, Repeated, Value, WireError, count_packed, count_repeated, utf8, zigzag};
use crate::dialect::limits::LimitCheck;
use crate::error::{Error, ErrorKind};
use crate::event::located::{PairRun, RunCheck};
use crate::event::{MetricType, TypeLine, UnitLine};

mod validate;

use validate::NativeWalk;

/// Reusable buffers of a parser: the formatted `le`/`quantile` values, cached by bucket
/// position so that steady-state scrapes format nothing.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    tmp: Vec<u8>,
    bounds: Vec<(u64, Fmt)>,
}

const MAX_CACHED_BOUNDS: usize = 4096;

impl Scratch {
    fn format(&mut self, v: f64) -> Fmt {
        self.tmp.clear();
        crate::go::write_go_g(&mut self.tmp, v);
        if !self
            .tmp
            .iter()
            .any(|&c| matches!(c, b'.' | b'e' | b'N' | b'I'))
        {
            self.tmp.extend_from_slice(b".0");
        }
        Fmt::from_bytes(&self.tmp)
    }

    /// Prometheus' `formatOpenMetricsFloat`: Go's shortest `%g`, `.0` appended to an integer.
    #[inline(always)]
    fn bound(&mut self, slot: usize, v: f64) -> Fmt {
        let bits = v.to_bits();
        if let Some((b, f)) = self.bounds.get(slot) {
            if *b == bits {
                return *f;
            }
        }
        self.bound_new(slot, v)
    }

    /// [`Scratch::bound`] of a bound not cached at `slot`.
    #[inline(never)]
    fn bound_new(&mut self, slot: usize, v: f64) -> Fmt {
        let bits = v.to_bits();
        // `FormatOpenMetricsFloat` writes -0 as `0.0`, like 0.
        let v = if v == 0.0 { 0.0 } else { v };
        let f = match Fmt::common(v) {
            Some(f) => f,
            None => self.format(v),
        };
        if slot < self.bounds.len() {
            self.bounds[slot] = (bits, f);
        } else if slot == self.bounds.len() && slot < MAX_CACHED_BOUNDS {
            // Room for the usual histograms' buckets at once (not grown bucket by bucket).
            if self.bounds.capacity() == 0 {
                self.bounds.reserve(32);
            }
            self.bounds.push((bits, f));
        }
        f
    }
}

/// Whether the shortcuts give way to the general paths (which tests compare them with).
#[cfg(not(test))]
#[inline(always)]
fn general_paths() -> bool {
    false
}

#[cfg(test)]
fn general_paths() -> bool {
    tests::GENERAL.with(std::cell::Cell::get)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Help,
    Unit,
    Type,
    Metrics,
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Read the next metric.
    Next,
    Native,
    Count,
    Sum,
    /// Classic buckets or quantiles: the position in the value message, and the ordinal.
    Items(usize, usize),
    Inf,
}

type Range = (usize, usize);

fn slice(b: &[u8], r: Range) -> &[u8] {
    b.get(r.0..r.1).unwrap_or_default()
}

fn str_of(b: &[u8], r: Range) -> &str {
    utf8(slice(b, r)).unwrap_or_default()
}

/// The range of `part` inside `whole` (both from the same buffer).
fn range_in(whole: &[u8], part: &[u8]) -> Range {
    let start = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    (start, start + part.len())
}

/// Strings of a family already validated, kept by front ends that keep the family's bytes
/// borrowed between events, so that each is validated once: the name, help and unit when the
/// family is opened, the current metric's label run when the metric is read. `None` is
/// validated again where it is needed (a front end that cannot keep them passes a fresh
/// `Strs::default()` per event).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Strs<'b> {
    help: Option<&'b str>,
    unit: Option<&'b str>,
    run: Option<PairRun<'b>>,
    /// The first metric's label run (at [`FamilyState`]'s `first_run`), validated with the
    /// name: its pairs.
    first: Pre<'b>,
}

/// The strings at `a` and `b` in `fam`, as UTF-8 (`None` if one is not); a family's name and
/// help are usually next to each other, so one check covers both.
fn two_strs(fam: &[u8], a: Range, b: Range) -> (Option<&str>, Option<&str>) {
    if b.0 == b.1 {
        return (utf8(slice(fam, a)), Some(""));
    }
    let (lo, hi) = (a.0.min(b.0), a.1.max(b.1));
    if hi - lo <= (a.1 - a.0) + (b.1 - b.0) + 16 {
        if let Some(s) = utf8(slice(fam, (lo, hi))) {
            // A valid span's pieces on char boundaries are valid.
            if let (Some(x), Some(y)) = (s.get(a.0 - lo..a.1 - lo), s.get(b.0 - lo..b.1 - lo)) {
                return (Some(x), Some(y));
            }
        }
    }
    (utf8(slice(fam, a)), utf8(slice(fam, b)))
}

/// The field of key `key` at `at` in `b` when its length takes one or two bytes (what
/// encoders write for strings and messages under 16 KiB): the range of its bytes, if they lie
/// in `b`.
#[inline(always)]
fn short_field(b: &[u8], at: usize, key: u8) -> Option<Range> {
    let (s, len) = match b.get(at..)? {
        [k, l @ 0..0x80, ..] if *k == key => (at + 2, *l as usize),
        [k, l0, l1 @ 0..0x80, ..] if *k == key => {
            (at + 3, (*l0 & 0x7f) as usize | (*l1 as usize) << 7)
        }
        _ => return None,
    };
    let e = s + len;
    (e <= b.len()).then_some((s, e))
}

/// The pairs of the first metric's label run, validated with the family's head (the run's
/// length and whether it is all pairs are in [`FamilyState`]'s `first_run`).
type Pre<'b> = Option<PairRun<'b>>;

/// The current metric's leading pairs, checked once per metric when `cache` is kept.
fn run_of<'b>(fam: &'b [u8], c: &Cur, cache: &mut Strs<'b>) -> PairRun<'b> {
    match cache.run {
        Some(r) => r,
        None => {
            let r = PairRun::prefix_of(str_of(fam, (c.metric.0, c.metric.0 + c.run)));
            cache.run = Some(r);
            r
        }
    }
}

/// Whether label fields follow the leading `pairs` of the current metric.
#[inline(always)]
fn more_labels(c: &Cur, pairs: PairRun<'_>) -> bool {
    c.more || pairs.len() < c.run
}

/// The metric being walked, filled in place by [`FamilyState::read_metric`] (only the fields
/// its type uses: a counter leaves the histogram's as they were).
#[derive(Clone, Copy, Debug, Default)]
struct Cur {
    metric: Range,
    /// The length of the metric's leading run of labels, validated as UTF-8 (0 if it is not).
    run: usize,
    /// Whether label fields follow the run.
    more: bool,
    /// The value message (`counter`, `histogram`, …) for the family's type; empty if absent.
    value: Range,
    ts: Option<i64>,
    h: HistHead,
    /// Counter/gauge/untyped value, or a summary's count/sum.
    scalar: f64,
    count: f64,
    sum: f64,
    start_ms: Option<i64>,
    exemplar: Option<Range>,
}

/// Where one family stands.
#[derive(Debug)]
pub(crate) struct FamilyState {
    base: u64,
    name: Range,
    help: Range,
    unit: Range,
    mtype: MetricType,
    phase: Phase,
    /// The next position to look for a metric (field 4) at.
    pos: usize,
    step: Step,
    /// The current metric (meaningful once one was read in this family).
    cur: Cur,
    /// Whether the last classic bucket read was the +Inf one.
    last_inf: bool,
    /// The first metric message's start, when its label run was validated with the family's
    /// name, whether every pair of the run is a [`common_pair`], and the run's length.
    first_run: (usize, bool, usize),
}

/// The metric type of the protobuf enum value `code` (`MetricType` in `metrics.proto`).
#[inline(always)]
fn metric_type(code: i64) -> Option<MetricType> {
    Some(match code {
        0 => MetricType::Counter,
        1 => MetricType::Gauge,
        2 => MetricType::Summary,
        3 => MetricType::Unknown,
        4 => MetricType::Histogram,
        5 => MetricType::GaugeHistogram,
        _ => return None,
    })
}

impl FamilyState {
    /// Reads the family's metadata; `base` is its offset in the body.
    pub(crate) fn open(fam: &[u8], base: u64) -> Result<FamilyState, Error> {
        let mut st = FamilyState::empty();
        st.reopen(fam, base)?;
        Ok(st)
    }

    /// A state to [`FamilyState::reopen`].
    pub(crate) fn empty() -> Self {
        FamilyState {
            base: 0,
            name: (0, 0),
            help: (0, 0),
            unit: (0, 0),
            mtype: MetricType::Counter,
            phase: Phase::Done,
            pos: 0,
            step: Step::Next,
            cur: Cur::default(),
            last_inf: false,
            first_run: (usize::MAX, false, 0),
        }
    }

    /// The name and strings for going on in the family this state stands in, its bytes now at
    /// `fam` (a copy of those it was opened on): the name was validated then, the other
    /// strings are found again where they are needed.
    pub(crate) fn resumed<'b>(&self, fam: &'b [u8]) -> (&'b str, Strs<'b>) {
        (str_of(fam, self.name), Strs::default())
    }

    /// [`FamilyState::open`] in place, for a front end that keeps one state (the state is
    /// large: moving it per family costs more than setting its fields); also returns the
    /// validated name and the strings to pass to [`FamilyState::next_event`].
    pub(crate) fn reopen<'b>(
        &mut self,
        fam: &'b [u8],
        base: u64,
    ) -> Result<(&'b str, Strs<'b>), Error> {
        if !general_paths() {
            if let Some(r) = self.open_common(fam, base) {
                return Ok(r);
            }
        }
        let st = self;
        st.base = base;
        st.name = (0, 0);
        st.help = (0, 0);
        st.unit = (0, 0);
        st.mtype = MetricType::Counter;
        // Done until the metadata is valid.
        st.phase = Phase::Done;
        st.pos = 0;
        st.step = Step::Next;
        st.last_inf = false;
        let mut mtype: i64 = 0;
        // Every field is walked (and checked) here once: the metrics are then read from the
        // first one on without the field walker's checks again.
        let mut first_metric = fam.len();
        let mut p = 0;
        while p < fam.len() {
            // What encoders write: one-byte keys and lengths (metrics of two-byte lengths
            // too).
            match (fam[p], fam.get(p + 1)) {
                (0x22, _) => {
                    if let Some((_, e)) = short_field(fam, p, 0x22) {
                        first_metric = first_metric.min(p);
                        p = e;
                        continue;
                    }
                }
                (k @ (0x0a | 0x12 | 0x2a), Some(&l)) if l < 0x80 => {
                    let (s, e) = (p + 2, p + 2 + l as usize);
                    if e <= fam.len() {
                        match k {
                            0x0a => st.name = (s, e),
                            0x12 => st.help = (s, e),
                            _ => st.unit = (s, e),
                        }
                        p = e;
                        continue;
                    }
                }
                (0x18, Some(&t)) if t < 0x80 => {
                    mtype = t as i64;
                    p += 2;
                    continue;
                }
                _ => {}
            }
            let part = &fam[p..];
            let mut f = Fields::new(part);
            let Some(r) = f.next_field() else { break };
            let (n, v, at) = r.map_err(|e| st.wire(fam, part, e))?;
            let at = p + at;
            match n {
                1 | 2 | 5 => {
                    let b = v.as_bytes().ok_or_else(|| st.wrong_type(at, "string"))?;
                    let r = range_in(fam, b);
                    match n {
                        1 => st.name = r,
                        2 => st.help = r,
                        _ => st.unit = r,
                    }
                }
                3 => mtype = v.as_varint().ok_or_else(|| st.wrong_type(at, "enum"))? as i32 as i64,
                4 => {
                    v.as_bytes().ok_or_else(|| st.wrong_type(at, "message"))?;
                    first_metric = first_metric.min(p);
                }
                _ => {}
            }
            p += f.pos();
        }
        st.pos = first_metric;
        st.first_run = (usize::MAX, false, 0);
        if first_metric == fam.len() {
            // Prometheus skips a family without metrics before it looks at its name, help or
            // type: no events, and nothing to check but its encoding (walked above). Text can
            // read as such a family (every byte an unknown field): the front ends look at its
            // bytes ([`FamilyState::has_no_metrics`]).
            return Ok(("", Strs::default()));
        }
        let name = slice(fam, st.name);
        let (name_str, help, first) = st.head_strs(fam, first_metric);
        let name_str = match name_str {
            Some(s) if !s.is_empty() => s,
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidName,
                    format!("invalid metric name: {}", String::from_utf8_lossy(name)),
                    0,
                    0,
                    base,
                ));
            }
        };
        let at = base + st.help.0 as u64;
        let Some(help) = help else {
            return Err(Error::new(
                ErrorKind::InvalidUtf8,
                format!("invalid help for metric {name_str:?}: not valid UTF-8"),
                0,
                0,
                at,
            ));
        };
        let unit = match st.unit.0 == st.unit.1 {
            true => Ok(""),
            false => std::str::from_utf8(slice(fam, st.unit)),
        };
        let Ok(unit) = unit else {
            return Err(Error::new(
                ErrorKind::InvalidUtf8,
                format!("invalid unit for metric {name_str:?}: not valid UTF-8"),
                0,
                0,
                base + st.unit.0 as u64,
            ));
        };
        st.mtype = match metric_type(mtype) {
            Some(t) => t,
            None => {
                return Err(Error::new(
                    ErrorKind::InvalidType,
                    format!("unknown metric type for metric {name_str:?}: {mtype}"),
                    0,
                    0,
                    base,
                ));
            }
        };
        let strs = Strs {
            help: Some(help),
            unit: Some(unit),
            run: None,
            first,
        };
        st.phase = Phase::Help;
        Ok((name_str, strs))
    }

    /// [`FamilyState::reopen`] of a family in the order and encoding encoders write: name,
    /// help (if any), type (if any), then metrics only, the name's key and length one byte
    /// each, the others' lengths one or two bytes. The strings are validated in as few
    /// spans as the encoding allows: a span runs from the name on until a two-byte length
    /// (whose first byte is not UTF-8), so the name, help and first metric's label run of
    /// a family of short fields take one call. The events are the general walk's; `None` for
    /// any other family, valid or not (the general walk reads it).
    #[inline(always)]
    fn open_common<'b>(&mut self, fam: &'b [u8], base: u64) -> Option<(&'b str, Strs<'b>)> {
        let [0x0a, nl @ 1..0x80, ..] = *fam else {
            return None;
        };
        let name_end = 2 + nl as usize;
        let mut p = name_end;
        let mut help = (0, 0);
        if let Some(r) = short_field(fam, p, 0x12) {
            help = r;
            p = r.1;
        }
        let mut mtype = MetricType::Counter;
        if let [0x18, t @ 0..=5, ..] = *fam.get(p..)? {
            mtype = metric_type(t.into())?;
            p += 2;
        }
        let first = p;
        let (ms, me) = short_field(fam, first, 0x22)?;
        let mut q = me;
        while q < fam.len() {
            q = short_field(fam, q, 0x22)?.1;
        }
        // Absent, or of a one-byte length.
        let short_help = help.0 <= name_end + 2;
        let short_metric = ms == first + 2;
        // (Without a short metric, `first_run` below is `None` and these are not used.)
        let check = RunCheck::of(fam.get(ms..me).filter(|_| short_metric).unwrap_or_default());
        let (run, common) = (check.len(), check.common());
        let head_end = match (short_help, short_metric) {
            (true, true) => ms + run,
            (true, false) => help.1.max(name_end),
            (false, _) => name_end,
        };
        let head = utf8(fam.get(2..head_end)?)?;
        let name = head.get(..nl as usize)?;
        let (help_str, first_run) = if short_help {
            let h = match help.0 < help.1 {
                true => head.get(help.0 - 2..help.1 - 2)?,
                false => "",
            };
            (h, short_metric.then(|| head.get(ms - 2..)).flatten())
        } else {
            let tail_end = if short_metric { ms + run } else { help.1 };
            let tail = utf8(fam.get(help.0..tail_end)?)?;
            let r = short_metric.then(|| tail.get(ms - help.0..)).flatten();
            (tail.get(..help.1 - help.0)?, r)
        };
        self.base = base;
        self.name = (2, name_end);
        self.help = help;
        self.unit = (0, 0);
        self.mtype = mtype;
        self.phase = Phase::Help;
        self.pos = first;
        self.step = Step::Next;
        self.last_inf = false;
        self.first_run = match first_run {
            Some(_) => (ms, common, run),
            None => (usize::MAX, false, 0),
        };
        let strs = Strs {
            help: Some(help_str),
            unit: Some(""),
            run: None,
            first: first_run.map(|r| check.pairs(r)),
        };
        Some((name, strs))
    }

    /// The family's name and help as UTF-8, and the first metric's label run when it
    /// follows them closely (the first metric at `first_metric`): what encoders write lies in
    /// one span validated by one call.
    fn head_strs<'b>(
        &mut self,
        fam: &'b [u8],
        first_metric: usize,
    ) -> (Option<&'b str>, Option<&'b str>, Pre<'b>) {
        let (a, b) = (self.name, self.help);
        // A metric of a two-byte length is left out: its length's first byte is not UTF-8.
        if let (Some((ms, me)), Some(&l)) = (
            short_field(fam, first_metric, 0x22),
            fam.get(first_metric + 1),
        ) {
            if l < 0x80 && a.0 < a.1 && a.1 <= ms && b.1 <= ms {
                let check = RunCheck::of(&fam[ms..me]);
                let (run, common) = (check.len(), check.common());
                let lo = if b.0 < b.1 { a.0.min(b.0) } else { a.0 };
                let hi = ms + run;
                if hi - lo <= (a.1 - a.0) + (b.1 - b.0) + run + 16 {
                    if let Some(s) = utf8(&fam[lo..hi]) {
                        // A valid span's pieces on char boundaries are valid.
                        let help = match b.0 < b.1 {
                            true => s.get(b.0 - lo..b.1 - lo),
                            false => Some(""),
                        };
                        if let (Some(n), Some(h), Some(r)) =
                            (s.get(a.0 - lo..a.1 - lo), help, s.get(ms - lo..hi - lo))
                        {
                            self.first_run = (ms, common, run);
                            return (Some(n), Some(h), Some(check.pairs(r)));
                        }
                    }
                }
            }
        }
        let (n, h) = two_strs(fam, a, b);
        (n, h, None)
    }

    fn family_name<'b>(&self, fam: &'b [u8]) -> &'b str {
        str_of(fam, self.name)
    }

    fn err(&self, fam: &[u8], kind: ErrorKind, at: usize, msg: impl std::fmt::Display) -> Error {
        Error::new(
            kind,
            format!("metric family {:?}: {msg}", self.family_name(fam)),
            0,
            0,
            self.base + at as u64,
        )
    }

    /// A wire error inside `part` (a sub-slice of `fam`).
    fn wire(&self, fam: &[u8], part: &[u8], e: WireError) -> Error {
        let at = range_in(fam, part).0 + e.at;
        let name = utf8(slice(fam, self.name)).unwrap_or_default();
        Error::new(
            ErrorKind::Protobuf,
            if name.is_empty() {
                e.what.to_string()
            } else {
                format!("metric family {name:?}: {}", e.what)
            },
            0,
            0,
            self.base + at as u64,
        )
    }

    fn wrong_type(&self, at: usize, want: &str) -> Error {
        Error::new(
            ErrorKind::Protobuf,
            format!("wrong wire type for a {want} field"),
            0,
            0,
            self.base + at as u64,
        )
    }

    /// Whether the family has no event left, taking the step transitions that yield nothing
    /// (as [`FamilyState::next_event`] would). After `false`, `next_event` yields `Some`.
    pub(crate) fn at_end(&mut self, fam: &[u8]) -> bool {
        loop {
            match (self.phase, self.step) {
                (Phase::Done, _) => return true,
                (Phase::Metrics, Step::Next) => {
                    let Some(rest) = fam.get(self.pos..) else {
                        self.phase = Phase::Done;
                        return true;
                    };
                    let mut f = Fields::new(rest);
                    loop {
                        match f.next_field() {
                            None => {
                                self.phase = Phase::Done;
                                return true;
                            }
                            Some(Ok((4, Value::Bytes(_), _))) | Some(Err(_)) => return false,
                            Some(Ok(_)) => {}
                        }
                    }
                }
                (Phase::Metrics, Step::Items(pos, _)) => {
                    let value = slice(fam, self.cur.value);
                    let mut f = Fields::new(value.get(pos..).unwrap_or_default());
                    loop {
                        match f.next_field() {
                            None => break,
                            Some(Ok((3, _, _))) | Some(Err(_)) => return false,
                            Some(Ok(_)) => {}
                        }
                    }
                    if self.mtype == MetricType::Summary || self.last_inf {
                        self.step = Step::Next;
                    } else {
                        return false;
                    }
                }
                _ => return false,
            }
        }
    }

    /// Whether the family just opened has no metrics (and so no events).
    #[inline(always)]
    pub(crate) fn has_no_metrics(&self) -> bool {
        self.phase == Phase::Done
    }

    /// The family's name (validated by [`FamilyState::open`]); front ends that can keep it
    /// pass it to every [`FamilyState::next_event`] instead of validating it per event.
    pub(crate) fn name<'b>(&self, fam: &'b [u8]) -> &'b str {
        str_of(fam, self.name)
    }

    /// The TYPE event when it is the family's next one, `None` otherwise (then
    /// [`FamilyState::next_event`] gives the next event).
    #[inline(always)]
    pub(crate) fn type_event<'b>(&mut self, name: &'b str) -> Option<Event<'b>> {
        (self.phase == Phase::Type).then(|| self.type_line(name))
    }

    /// The TYPE event, in the family's TYPE phase; the metrics come next.
    #[inline(always)]
    fn type_line<'b>(&mut self, name: &'b str) -> Event<'b> {
        self.phase = Phase::Metrics;
        Event::Type(TypeLine {
            name,
            metric_type: self.mtype,
            line: 0,
        })
    }

    /// The next event of the family, `None` once it is done; `name` is [`FamilyState::name`].
    /// `strs` are [`FamilyState::reopen`]'s, kept between calls, or a fresh
    /// `Strs::default()` per call.
    #[inline(always)]
    pub(crate) fn next_event<'b>(
        &mut self,
        fam: &'b [u8],
        name: &'b str,
        strs: &mut Strs<'b>,
        settings: &Settings,
        scratch: &mut Scratch,
    ) -> Option<Result<Event<'b>, Error>> {
        let r = self.advance(fam, name, strs, settings, scratch);
        if matches!(r, Some(Err(_))) {
            self.phase = Phase::Done;
        }
        r
    }

    #[inline(always)]
    fn advance<'b>(
        &mut self,
        fam: &'b [u8],
        name: &'b str,
        run_cache: &mut Strs<'b>,
        settings: &Settings,
        scratch: &mut Scratch,
    ) -> Option<Result<Event<'b>, Error>> {
        match self.phase {
            Phase::Help => {
                self.phase = if self.unit.0 == self.unit.1 {
                    Phase::Type
                } else {
                    Phase::Unit
                };
                return Some(Ok(Event::Help(Help {
                    name,
                    text: run_cache.help.unwrap_or_else(|| str_of(fam, self.help)),
                })));
            }
            Phase::Unit => {
                self.phase = Phase::Type;
                return Some(Ok(Event::Unit(UnitLine {
                    name,
                    unit: run_cache.unit.unwrap_or_else(|| str_of(fam, self.unit)),
                    line: 0,
                })));
            }
            Phase::Type => return Some(Ok(self.type_line(name))),
            Phase::Done => return None,
            Phase::Metrics => {}
        }
        loop {
            match self.step {
                Step::Next => {
                    let msg = match self.next_metric(fam) {
                        Ok(Some(m)) => m,
                        Ok(None) => {
                            self.phase = Phase::Done;
                            return None;
                        }
                        Err(e) => return Some(Err(e)),
                    };
                    let pre = run_cache
                        .first
                        .filter(|_| self.first_run.0 == range_in(fam, msg).0);
                    if let Some(ev) = self.metric_event(fam, msg, name, pre, run_cache, settings) {
                        return Some(ev);
                    }
                }
                Step::Native => {
                    let c = &self.cur;
                    self.step = if (settings.classic_histograms && c.h.buckets > 0)
                        || !settings.native_histograms
                    {
                        Step::Count
                    } else {
                        Step::Next
                    };
                    let metric = slice(fam, c.metric);
                    let run = run_of(fam, c, run_cache);
                    let rest = match more_labels(c, run) {
                        true => metric.get(run.len()..).unwrap_or_default(),
                        false => &[],
                    };
                    return Some(Ok(Event::Histogram(NativeHistogram::from_wire(
                        name,
                        self.mtype == MetricType::GaugeHistogram,
                        (run, rest),
                        slice(fam, c.value),
                        &c.h,
                        c.ts,
                        self.base + c.metric.0 as u64,
                    ))));
                }
                Step::Count | Step::Sum => {
                    let count = self.step == Step::Count;
                    let c = &self.cur;
                    let run = run_of(fam, c, run_cache);
                    // The state first, so that the event is built where it is returned.
                    self.step = if count { Step::Sum } else { Step::Items(0, 0) };
                    return Some(Ok(self.sample(
                        fam,
                        name,
                        run,
                        c,
                        if count { Series::Count } else { Series::Sum },
                        if count { c.count } else { c.sum },
                        None,
                        None,
                    )));
                }
                Step::Items(pos, k) => {
                    let c = &self.cur;
                    let value = slice(fam, c.value);
                    let (item, after) = match self.next_item(fam, value, pos) {
                        Ok(Some(x)) => x,
                        Ok(None) => {
                            if self.mtype == MetricType::Summary || self.last_inf {
                                self.step = Step::Next;
                            } else {
                                self.step = Step::Inf;
                            }
                            continue;
                        }
                        Err(e) => return Some(Err(e)),
                    };
                    let next = Step::Items(after, k + 1);
                    if self.mtype == MetricType::Summary {
                        let (q, v) = match quantile(item) {
                            Ok(x) => x,
                            Err(e) => return Some(Err(self.wire(fam, item, e))),
                        };
                        let label = scratch.bound(k, q);
                        let run = run_of(fam, c, run_cache);
                        self.step = next;
                        return Some(Ok(self.sample(
                            fam,
                            name,
                            run,
                            c,
                            Series::Quantile,
                            v,
                            Some(label),
                            None,
                        )));
                    }
                    let b = match bucket(item) {
                        Ok(x) => x,
                        Err(e) => return Some(Err(self.wire(fam, item, e))),
                    };
                    let label = scratch.bound(k, b.upper);
                    let ex = b.exemplar.map(|e| range_in(fam, e));
                    let run = run_of(fam, c, run_cache);
                    // Prometheus' `getMagicLabel`: the first `+Inf` bucket is the last one
                    // presented (buckets after it are not), and none is added after it.
                    self.last_inf = b.upper == f64::INFINITY;
                    self.step = if self.last_inf { Step::Next } else { next };
                    return Some(Ok(self.sample(
                        fam,
                        name,
                        run,
                        c,
                        Series::Bucket,
                        b.count,
                        Some(label),
                        ex,
                    )));
                }
                Step::Inf => {
                    let c = &self.cur;
                    let label = Fmt::INF;
                    let run = run_of(fam, c, run_cache);
                    self.step = Step::Next;
                    return Some(Ok(self.sample(
                        fam,
                        name,
                        run,
                        c,
                        Series::Bucket,
                        c.count,
                        Some(label),
                        None,
                    )));
                }
            }
        }
    }

    /// The next item (field 3: a classic bucket or a quantile) of the value message `value`
    /// from `pos` on, and the position after it; `None` at its end.
    #[inline(always)]
    fn next_item<'b>(
        &self,
        fam: &[u8],
        value: &'b [u8],
        pos: usize,
    ) -> Result<Option<(&'b [u8], usize)>, Error> {
        // The value message was walked when the metric was read: an item in the common
        // encoding is sliced without the field walker.
        if let (Some(&0x1a), Some(&l)) = (value.get(pos), value.get(pos + 1)) {
            let (s, e) = (pos + 2, pos + 2 + l as usize);
            if l < 0x80 && e <= value.len() {
                return Ok(Some((&value[s..e], e)));
            }
        }
        let Some(rest) = value.get(pos..) else {
            return Ok(None);
        };
        let mut f = Fields::new(rest);
        loop {
            match f.next_field() {
                None => return Ok(None),
                Some(Err(e)) => return Err(self.wire(fam, rest, e)),
                Some(Ok((3, v, at))) => {
                    return match v.as_bytes() {
                        Some(b) => Ok(Some((b, pos + f.pos()))),
                        None => Err(self.wrong_type(range_in(fam, rest).0 + at, "message")),
                    };
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// The next `Metric` message of the family from `self.pos` on, `None` at its end.
    #[inline(always)]
    fn next_metric<'b>(&mut self, fam: &'b [u8]) -> Result<Option<&'b [u8]>, Error> {
        // The family's fields were all checked when it was opened: a metric in the common
        // encoding is sliced without the field walker.
        if let Some((s, e)) = short_field(fam, self.pos, 0x22) {
            self.pos = e;
            return Ok(Some(&fam[s..e]));
        }
        let Some(rest) = fam.get(self.pos..) else {
            return Ok(None);
        };
        let mut f = Fields::new(rest);
        loop {
            match f.next_field() {
                None => return Ok(None),
                Some(Err(e)) => return Err(self.wire(fam, rest, e)),
                Some(Ok((4, Value::Bytes(b), _))) => {
                    self.pos += f.pos();
                    return Ok(Some(b));
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// Reads the metric `msg` into `self.cur`: a counter's, gauge's or untyped's sample, or
    /// `None` with the steps of a summary or histogram set.
    #[inline(always)]
    fn metric_event<'b>(
        &mut self,
        fam: &'b [u8],
        msg: &'b [u8],
        name: &'b str,
        pre: Pre<'b>,
        run_cache: &mut Strs<'b>,
        settings: &Settings,
    ) -> Option<Result<Event<'b>, Error>> {
        if !settings.label_limits.on {
            if let r @ Some(_) = self.scalar_sample(fam, msg, name, pre) {
                return r;
            }
        }
        let native = settings.native_histograms;
        let read = if settings.label_limits.on {
            self.read_metric_limited(fam, msg, pre, &settings.label_limits, native)
        } else {
            self.read_metric(fam, msg, pre, native)
        };
        let run = match read {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        run_cache.run = Some(run);
        self.last_inf = false;
        match self.mtype {
            MetricType::Counter | MetricType::Gauge | MetricType::Unknown => {
                let c = &self.cur;
                return Some(Ok(Event::Sample(Sample {
                    family: name,
                    metric_type: self.mtype,
                    series: Series::Value,
                    metric: msg,
                    run,
                    more: more_labels(c, run),
                    value: c.scalar,
                    timestamp_ms: c.ts.unwrap_or_default(),
                    start_timestamp_ms: c.start_ms.unwrap_or_default(),
                    has_ts: c.ts.is_some(),
                    has_start: c.start_ms.is_some(),
                    extra: None,
                    exemplar: c.exemplar.map(|r| slice(fam, r)),
                    offset: self.base + c.metric.0 as u64,
                })));
            }
            MetricType::Summary => self.step = Step::Count,
            _ => {
                let native = self.cur.h.is_native();
                self.step = if native && settings.native_histograms {
                    Step::Native
                } else {
                    Step::Count
                };
            }
        }

        None
    }

    /// A counter's, gauge's or untyped's sample when its metric is what encoders write for
    /// one: a run of common label pairs (valid UTF-8) and the value message holding the double
    /// alone, nothing else. It is what [`FamilyState::read_metric`] reads for such a metric
    /// (every check passes on it), without the field walkers or filling `self.cur`, which only
    /// histograms and summaries read from later; `None` for any other metric or type (never
    /// an error: a metric it does not take is read by `read_metric`).
    #[inline(always)]
    fn scalar_sample<'b>(
        &self,
        fam: &'b [u8],
        msg: &'b [u8],
        name: &'b str,
        pre: Pre<'b>,
    ) -> Option<Result<Event<'b>, Error>> {
        let want: u8 = match self.mtype {
            MetricType::Counter => 3,
            MetricType::Gauge => 2,
            MetricType::Unknown => 5,
            _ => return None,
        };
        // The first metric's run was walked with the family's name.
        let check = pre.is_none().then(|| RunCheck::of(msg));
        let (run, common) = match check {
            Some(c) => (c.len(), c.common()),
            None => (self.first_run.2, self.first_run.1),
        };
        let (labels, value) = msg.split_at_checked(run)?;
        let &[k, 9, 0x09, d0, d1, d2, d3, d4, d5, d6, d7] = value else {
            return None;
        };
        if !common || k != want << 3 | 2 {
            return None;
        }
        let pairs = match pre {
            Some(p) => p,
            None => check?.pairs(utf8(labels)?),
        };
        // The type of the caller's result, so that the event is built where it is returned.
        Some(Ok(Event::Sample(Sample {
            family: name,
            metric_type: self.mtype,
            series: Series::Value,
            metric: msg,
            run: pairs,
            more: pairs.len() < run,
            value: f64::from_le_bytes([d0, d1, d2, d3, d4, d5, d6, d7]),
            timestamp_ms: 0,
            start_timestamp_ms: 0,
            has_ts: false,
            has_start: false,
            extra: None,
            exemplar: None,
            offset: self.base + range_in(fam, msg).0 as u64,
        })))
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn sample<'b>(
        &self,
        fam: &'b [u8],
        name: &'b str,
        run: PairRun<'b>,
        c: &Cur,
        series: Series,
        value: f64,
        extra: Option<Fmt>,
        exemplar_msg: Option<Range>,
    ) -> Event<'b> {
        Event::Sample(Sample {
            family: name,
            metric_type: self.mtype,
            series,
            metric: slice(fam, c.metric),
            run,
            more: more_labels(c, run),
            value,
            timestamp_ms: c.ts.unwrap_or_default(),
            start_timestamp_ms: c.start_ms.unwrap_or_default(),
            has_ts: c.ts.is_some(),
            has_start: c.start_ms.is_some(),
            extra,
            exemplar: exemplar_msg.map(|r| slice(fam, r)),
            offset: self.base + c.metric.0 as u64,
        })
    }

    /// Reads and validates one `Metric` message into `self.cur`; returns its leading run of
    /// labels.
    #[inline(always)]
    fn read_metric<'b>(
        &mut self,
        fam: &'b [u8],
        msg: &'b [u8],
        pre: Pre<'b>,
        native: bool,
    ) -> Result<PairRun<'b>, Error> {
        let want: u8 = match self.mtype {
            MetricType::Counter => 3,
            MetricType::Gauge => 2,
            MetricType::Summary => 4,
            MetricType::Unknown => 5,
            _ => 7,
        };
        let mut value: Option<&[u8]> = None;
        let mut ts: i64 = 0;
        // Labels in the leading run are validated as UTF-8 in one call (see `RunCheck`).
        // `pre`: the run validated with the family's name.
        // The first metric's run was walked with the family's name.
        let (run, common, pairs) = match pre {
            Some(p) => (self.first_run.2, self.first_run.1, Some(p)),
            None => {
                let c = RunCheck::of(msg);
                let text = utf8(&msg[..c.len()]);
                (c.len(), c.common(), text.map(|t| c.pairs(t)))
            }
        };
        let run = if pairs.is_some() { run } else { 0 };
        let mbase = range_in(fam, msg).0;
        // A pair not in the common encoding is checked on its own: the run being UTF-8 does
        // not make its strings so, since a field after a string (an unknown one, its key a
        // byte from 0x80 on) can continue a character the string cut.
        let mut p = 0;
        while !common && p < run {
            let end = p + 2 + msg.get(p + 1).copied().unwrap_or_default() as usize;
            let b = msg.get(p + 2..end).unwrap_or_default();
            if !common_pair(b) {
                self.check_label(fam, b, mbase + p)?;
            }
            p = end;
        }
        let mut more = false;
        let after = msg.get(run..).unwrap_or_default();
        // What encoders write after the labels: the value message holding one double, taken
        // without the field walker (the value message is read below either way).
        let mut rest_at = run;
        if let [k, 9, 9, ..] = after {
            if *k == want << 3 | 2 && after.len() >= 11 {
                value = Some(&after[2..11]);
                rest_at = run + 11;
            }
        }
        let rest = msg.get(rest_at..).unwrap_or_default();
        let mut f = Fields::new(rest);
        while let Some(r) = f.next_field() {
            let (n, v, at) = r.map_err(|e| self.wire(fam, rest, e))?;
            let abs = mbase + rest_at + at;
            match n {
                1 => {
                    let b = v
                        .as_bytes()
                        .ok_or_else(|| self.wrong_type(abs, "message"))?;
                    self.check_label(fam, b, abs)?;
                    more = true;
                }
                2..=5 | 7 => {
                    let b = v
                        .as_bytes()
                        .ok_or_else(|| self.wrong_type(abs, "message"))?;
                    if n == want as u32 {
                        if value.is_some() {
                            return Err(self.err(
                                fam,
                                ErrorKind::Protobuf,
                                abs,
                                format_args!("field {n} of a metric repeated (a singular message)"),
                            ));
                        }
                        value = Some(b);
                    } else {
                        self.check_other_value(fam, n, b)?;
                    }
                }
                6 => ts = v.as_varint().ok_or_else(|| self.wrong_type(abs, "int64"))? as i64,
                _ => {}
            }
        }
        let value = value.unwrap_or(&msg[msg.len()..]);
        let vabs = range_in(fam, value).0;
        let bad = |at: usize| self.wrong_type(vabs + at, "scalar");
        let (mut scalar, mut count, mut sum) = (0.0, 0.0, 0.0);
        let mut start_ms = None;
        let mut exemplar = None;
        match self.mtype {
            MetricType::Counter | MetricType::Gauge | MetricType::Unknown => {
                // The common encoding: the double alone.
                if let [0x09, d @ ..] = value {
                    if let Ok(d) = <[u8; 8]>::try_from(d) {
                        scalar = f64::from_le_bytes(d);
                    }
                }
                let mut f = Fields::new(if value.len() == 9 && value[0] == 0x09 {
                    &[]
                } else {
                    value
                });
                while let Some(r) = f.next_field() {
                    let (n, v, at) = r.map_err(|e| self.wire(fam, value, e))?;
                    match n {
                        1 => scalar = v.as_f64().ok_or_else(|| bad(at))?,
                        2 if self.mtype == MetricType::Counter => {
                            let b = v.as_bytes().ok_or_else(|| bad(at))?;
                            self.check_exemplar(fam, b)?;
                            exemplar = Some(range_in(fam, b));
                        }
                        3 if self.mtype == MetricType::Counter => {
                            start_ms =
                                Some(self.timestamp(fam, v.as_bytes().ok_or_else(|| bad(at))?)?)
                        }
                        _ => {}
                    }
                }
            }
            MetricType::Summary => {
                let mut f = Fields::new(value);
                while let Some(r) = f.next_field() {
                    let (n, v, at) = r.map_err(|e| self.wire(fam, value, e))?;
                    match n {
                        1 => count = v.as_varint().ok_or_else(|| bad(at))? as f64,
                        2 => sum = v.as_f64().ok_or_else(|| bad(at))?,
                        3 => {
                            let b = v.as_bytes().ok_or_else(|| bad(at))?;
                            quantile(b).map_err(|e| self.wire(fam, b, e))?;
                        }
                        4 => {
                            start_ms =
                                Some(self.timestamp(fam, v.as_bytes().ok_or_else(|| bad(at))?)?)
                        }
                        _ => {}
                    }
                }
            }
            _ => {
                let mut h = HistHead::default();
                self.read_histogram(fam, value, &mut h, native)?;
                // Prometheus' `protobufparse`: the float count whenever it is not 0.
                count = if h.count_float != 0.0 {
                    h.count_float
                } else {
                    h.count as f64
                };
                sum = h.sum;
                start_ms = h.start_ms;
                self.cur.h = h;
            }
        }
        let c = &mut self.cur;
        c.metric = range_in(fam, msg);
        c.run = run;
        c.more = more;
        c.value = (vabs, vabs + value.len());
        c.ts = (ts != 0).then_some(ts);
        c.scalar = scalar;
        c.count = count;
        c.sum = sum;
        // Prometheus' `StartTimestamp` gives 0 for an absent one, and the scrape takes 0 as
        // none: a start timestamp of 0 ms is none.
        c.start_ms = start_ms.filter(|&t| t != 0);
        c.exemplar = exemplar;
        Ok(pairs.unwrap_or_default())
    }

    /// Reads a `Histogram` message into `h`; a native one is checked when `native` (native
    /// histograms read as such: Prometheus checks only what it reads as native).
    fn read_histogram(
        &self,
        fam: &[u8],
        value: &[u8],
        h: &mut HistHead,
        native: bool,
    ) -> Result<(), Error> {
        let vabs = range_in(fam, value).0;
        let bad = |at: usize| self.wrong_type(vabs + at, "scalar");
        let mut f = Fields::new(value);
        let mut walk = NativeWalk::default();
        let mut last_upper = f64::NAN;
        let classic = |b: &[u8], last_upper: &mut f64, h: &mut HistHead| {
            let bk = bucket(b).map_err(|e| self.wire(fam, b, e))?;
            if let Some(e) = bk.exemplar {
                self.check_exemplar(fam, e)?;
            }
            *last_upper = bk.upper;
            h.buckets += 1;
            Ok::<(), Error>(())
        };
        loop {
            // A classic bucket in the common encoding (one-byte key and length) is taken
            // without the field walker.
            let p = f.pos();
            if let (Some(&0x1a), Some(&l)) = (value.get(p), value.get(p + 1)) {
                let e = p + 2 + l as usize;
                if l < 0x80 && e <= value.len() {
                    classic(&value[p + 2..e], &mut last_upper, h)?;
                    f.skip_to(e);
                    continue;
                }
            }
            let Some(r) = f.next_field() else { break };
            let (n, v, at) = r.map_err(|e| self.wire(fam, value, e))?;
            match n {
                1 => h.count = v.as_varint().ok_or_else(|| bad(at))?,
                2 => h.sum = v.as_f64().ok_or_else(|| bad(at))?,
                3 => classic(v.as_bytes().ok_or_else(|| bad(at))?, &mut last_upper, h)?,
                4 => h.count_float = v.as_f64().ok_or_else(|| bad(at))?,
                5 => h.schema = zigzag(v.as_varint().ok_or_else(|| bad(at))?) as i32,
                6 => h.zero_threshold = v.as_f64().ok_or_else(|| bad(at))?,
                7 => h.zero_count = v.as_varint().ok_or_else(|| bad(at))?,
                8 => h.zero_count_float = v.as_f64().ok_or_else(|| bad(at))?,
                9 | 12 => {
                    let b = v.as_bytes().ok_or_else(|| bad(at))?;
                    let (off, len) = span(b).map_err(|e| self.wire(fam, b, e))?;
                    walk.span(n, off, len);
                    h.spans = true;
                }
                10 | 11 | 13 | 14 => {
                    let r = v.as_bytes().map(|b| range_in(value, b));
                    walk.bucket_field(n, r, at);
                }
                15 => h.start_ms = Some(self.timestamp(fam, v.as_bytes().ok_or_else(|| bad(at))?)?),
                16 => {
                    let b = v.as_bytes().ok_or_else(|| bad(at))?;
                    self.check_exemplar(fam, b)?;
                }
                _ => {}
            }
        }
        h.inf_bucket = last_upper == f64::INFINITY;
        h.float = h.count_float > 0.0 || h.zero_count_float > 0.0;
        if h.is_native() && native {
            let walk = (!general_paths()).then_some(&walk);
            self.validate_native(fam, value, vabs, h, walk)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// Set: [`general_paths`] is on for this thread.
        pub(super) static GENERAL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// Adds to `bodies` every one-byte change of each: each byte set to each of `values`, and
    /// one up and one down.
    fn add_mutations(bodies: &mut Vec<Vec<u8>>, values: &[u8]) {
        let originals = bodies.clone();
        for body in &originals {
            for at in 0..body.len() {
                for v in values
                    .iter()
                    .copied()
                    .chain([body[at].wrapping_add(1), body[at].wrapping_sub(1)])
                {
                    let mut m = body.clone();
                    m[at] = v;
                    bodies.push(m);
                }
            }
        }
    }

    /// Every event and the error (kind, message, offset) of `body`, with the shortcuts or
    /// through the general paths.
    fn rendered(body: &[u8], general: bool) -> Vec<String> {
        GENERAL.with(|g| g.set(general));
        let out = super::super::Parser::new(body, Settings::default().classic_histograms(true))
            .map(|ev| match ev {
                Ok(e) => format!("{e:?}"),
                Err(e) => format!("error {:?} {} at {}", e.kind(), e.message(), e.offset()),
            })
            .collect();
        GENERAL.with(|g| g.set(false));
        out
    }

    /// Native histograms (integer and float, both sides, spans with negative offsets, packed
    /// and unpacked buckets, several occurrences of a field) with every byte replaced by
    /// values that change lengths, keys and counts: the shortcut that takes the spans and
    /// bucket fields from the metric's walk gives the events and errors of the walks
    /// `validate_native` makes without it.
    #[test]
    fn native_walk_agrees_with_the_general_path() {
        use super::super::write::{Family, Metric, Native, encode_families};
        let mut hs = Vec::new();
        let mut base = Native::new(3);
        base.zero_threshold = 1e-128;
        base.zero_count = 1.0;
        base.count = 7.0;
        base.sum = 10.0;
        base.positive_spans = vec![(0, 2), (1, 1)];
        base.positive = vec![1.0, 2.0, 1.0];
        base.negative_spans = vec![(-2, 1)];
        base.negative = vec![2.0];
        hs.push(base.clone());
        let mut f = base.clone();
        f.float = true;
        f.positive = vec![1.0, 2.5, 0.5];
        hs.push(f);
        let mut neg = base.clone();
        neg.positive_spans = vec![(0, 1), (-3, 2)];
        hs.push(neg);
        let mut bodies: Vec<Vec<u8>> = hs
            .into_iter()
            .map(|h| {
                encode_families(&[
                    Family::histogram("h", "").metric(Metric::new(&[("a", "b")]).native(h))
                ])
            })
            .collect();
        // The mutations make unpacked and repeated bucket fields too (a packed field's key
        // turned into a varint's, another field's key into a bucket field's).
        add_mutations(
            &mut bodies,
            &[
                0x00, 0x01, 0x02, 0x08, 0x10, 0x4a, 0x52, 0x5a, 0x62, 0x6a, 0x68, 0x72, 0x7f, 0x80,
                0xff,
            ],
        );
        let (mut native, mut invalid) = (0, 0);
        for body in &bodies {
            let fast = rendered(body, false);
            native += fast.iter().filter(|e| e.starts_with("Histogram")).count();
            invalid += fast
                .iter()
                .filter(|e| e.contains("InvalidHistogram"))
                .count();
            assert_eq!(fast, rendered(body, true), "{body:02x?}");
        }
        // Both sides of the checks are reached.
        assert!(native > bodies.len() / 4, "{native} of {}", bodies.len());
        assert!(invalid > bodies.len() / 10, "{invalid} of {}", bodies.len());
    }

    /// Native histograms with labels in the common encoding and not (a long value, a
    /// non-ASCII one, none), a start timestamp or not, every byte mutated: the labels a
    /// histogram event gives from the run kept with it are those read from its whole `Metric`
    /// message again, and its start timestamp, read when asked, is the one the metric's walk
    /// read.
    #[test]
    fn native_event_labels_agree_with_the_metric() {
        use super::super::event::LabelPairs;
        use super::super::write::{Family, Metric, Native, encode_families};
        let long = "v".repeat(130);
        let label_sets: [&[(&str, &str)]; 4] = [
            &[("a", "b"), ("cluster", "x")],
            &[("a", "é"), ("b", &long), ("c", "d")],
            &[("k", "v")],
            &[],
        ];
        let mut h = Native::new(0);
        h.count = 3.0;
        h.sum = 4.5;
        h.positive_spans = vec![(0, 2)];
        h.positive = vec![1.0, 2.0];
        let mut bodies = Vec::new();
        for labels in label_sets {
            for start in [None, Some(1_700_000_000_123)] {
                let mut m = Metric::new(labels).native(h.clone());
                m.start_timestamp_ms = start;
                bodies.push(encode_families(&[Family::histogram("h", "").metric(m)]));
            }
        }
        add_mutations(&mut bodies, &[0x00, 0x0a, 0x12, 0x7a, 0x80, 0xc3, 0xff]);
        let (mut seen, mut started) = (0, 0);
        for body in &bodies {
            let mut p = super::super::Parser::new(body, Settings::default());
            while let Some(Ok(ev)) = p.next() {
                let Event::Histogram(h) = ev else { continue };
                let fam = p.fam.as_ref().map(|f| f.0).unwrap_or_default();
                let metric = slice(fam, p.st.cur.metric);
                let general: Vec<_> = LabelPairs::new(metric).collect();
                assert_eq!(h.labels().collect::<Vec<_>>(), general, "{body:02x?}");
                assert_eq!(h.start_timestamp_ms(), p.st.cur.start_ms, "{body:02x?}");
                seen += 1;
                started += h.start_timestamp_ms().is_some() as usize;
            }
        }
        assert!(seen > bodies.len() / 4, "{seen} of {}", bodies.len());
        assert!(started > bodies.len() / 10, "{started} of {}", bodies.len());
    }

    /// Families of the shapes encoders write and of others (a unit, a help or a first metric
    /// of a two-byte length, no metric, an empty help, fields out of order, non-ASCII
    /// strings), with every byte replaced by values that change keys, lengths and types: the
    /// shortcut that opens the usual families gives the events and errors of the general
    /// walk.
    #[test]
    fn common_open_agrees_with_the_general_path() {
        use super::super::write::{Family, Metric, encode_families};
        let long = "h".repeat(150);
        let many: Vec<(String, String)> = (0..12)
            .map(|i| (format!("label_{i}"), format!("value_{i}")))
            .collect();
        let many: Vec<(&str, &str)> = many.iter().map(|(a, b)| (&a[..], &b[..])).collect();
        let fams = vec![
            Family::counter("rq_total", "").metric(Metric::new(&[("cluster", "a")]).value(1.0)),
            Family::gauge("up", "Whether up.")
                .metric(Metric::new(&[]).value(1.0))
                .metric(Metric::new(&[("a", "é"), ("b", "x")]).value(0.5)),
            Family::counter("c", &long).metric(Metric::new(&[("a", "b")]).value(2.0)),
            Family::gauge("g", "G.").metric(Metric::new(&many).value(3.0)),
            Family::gauge("g", "G.")
                .metric(Metric::new(&[("a", "b")]).value(3.0))
                .metric(Metric::new(&many).value(4.0)),
            Family::counter("u", "U.")
                .unit("seconds")
                .metric(Metric::new(&[("a", "b")]).value(1.0)),
            Family::summary("s", "S.").metric(Metric::new(&[("q", "r")]).summary(
                3,
                1.5,
                &[(0.5, 1.0), (0.9, 2.0)],
            )),
            Family::histogram("h", "").metric(Metric::new(&[("a", "b")]).classic(
                2.0,
                3.0,
                &[(1.0, 1.0), (5.0, 2.0)],
            )),
            Family::gauge("none", "No metric."),
            Family::new("unt", "Ü.", MetricType::Unknown).metric(Metric::new(&[]).value(7.0)),
        ];
        let mut bodies: Vec<Vec<u8>> = fams
            .iter()
            .map(|f| encode_families(std::slice::from_ref(f)))
            .collect();
        // Hand-made: an empty help sent, and help before name.
        let fam = [
            &[0x0a, 0x01, b'm', 0x12, 0x00, 0x18, 0x01][..],
            &[0x22, 0x0b, 0x12, 0x09, 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f],
        ]
        .concat();
        bodies.push([&[fam.len() as u8][..], &fam].concat());
        let fam = [
            &[0x12, 0x01, b'h', 0x0a, 0x01, b'm', 0x18, 0x01][..],
            &[0x22, 0x0b, 0x12, 0x09, 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f],
        ]
        .concat();
        bodies.push([&[fam.len() as u8][..], &fam].concat());
        add_mutations(
            &mut bodies,
            &[
                0x00, 0x01, 0x02, 0x05, 0x06, 0x0a, 0x12, 0x18, 0x1a, 0x22, 0x2a, 0x7f, 0x80, 0xc3,
                0xff,
            ],
        );
        let (mut ok, mut failed) = (0, 0);
        for body in &bodies {
            let fast = rendered(body, false);
            if fast.last().is_some_and(|e| e.starts_with("error")) {
                failed += 1;
            } else {
                ok += 1;
            }
            assert_eq!(fast, rendered(body, true), "{body:02x?}");
        }
        // Both valid and invalid families are reached.
        assert!(ok > bodies.len() / 10, "{ok} of {}", bodies.len());
        assert!(failed > bodies.len() / 10, "{failed} of {}", bodies.len());
    }

    /// Events are moved through the front ends once per sample: they stay within 128 bytes
    /// (moved inline, not by a call to `memcpy`).
    #[test]
    fn events_stay_small() {
        use std::mem::size_of;
        assert!(
            size_of::<Sample<'_>>() <= 128,
            "{}",
            size_of::<Sample<'_>>()
        );
        assert!(size_of::<NativeHistogram<'_>>() <= 128);
        assert!(size_of::<Event<'_>>() <= 128, "{}", size_of::<Event<'_>>());
        assert!(size_of::<Option<Result<Event<'_>, Error>>>() <= 136);
    }

    /// Every common bound is what the formatter writes for its value, so the static copies
    /// are found; other values are formatted inline.
    #[test]
    fn common_bounds_are_static_and_formatted() {
        let mut s = Scratch::default();
        for (k, &(v, text)) in super::super::event::COMMON.iter().enumerate() {
            assert_eq!(s.format(v).as_str(), text);
            assert_eq!(text.parse::<f64>().unwrap().to_bits(), v.to_bits());
            let f = s.bound(k, v);
            assert_eq!(f.as_str(), text);
            assert!(matches!(f, Fmt::Static(_)), "{text}");
            // Cached by slot.
            assert_eq!(s.bound(k, v).as_str(), text);
        }
        for (v, text) in [
            (0.123, "0.123"),
            (7e6, "7e+06"),
            (-1.0, "-1.0"),
            (42.0, "42.0"),
        ] {
            let f = s.bound(0, v);
            assert_eq!(f.as_str(), text);
            assert!(matches!(f, Fmt::Inline { .. }), "{text}");
        }
        assert_eq!(Fmt::INF.as_str(), "+Inf");
    }
}
