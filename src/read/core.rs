//! The line machinery every front end (whole body, chunks, readers, parallel blocks) shares.

use crate::dialect::openmetrics::OmState;
use crate::dialect::openmetrics2::Om2State;
use crate::dialect::prometheus::{self as prom, LineCtx};
use crate::error::{Error, ErrorKind, LineError};
use crate::event::located::Located;
use crate::event::{Event, HelpLine, INLINE_LABELS, Sample, TypeLine};
use crate::lex::scan::KeyShape;
use crate::settings::{Dialect, Settings};

/// The line machinery every front end shares: numbering, limits, UTF-8, dialect dispatch,
/// error policy.
#[derive(Debug)]
pub(crate) struct Core {
    pub settings: Settings,
    cx: LineCtx,
    /// Lines started so far (the current line's 1-based number after `begin_line`).
    pub line_no: u64,
    pub skipped: u64,
    /// Set after an error in the default (fail-fast) mode.
    pub failed: bool,
    /// OpenMetrics state: `# EOF` seen, the strict validator.
    om: OmState,
    /// OpenMetrics 2.0 state: the current family, a composite line being expanded.
    om2: Om2State,
    /// Whether sample lines may take [`prom::fast_sample`] (Prometheus dialect, strict mode).
    fast: bool,
    /// Lines to leave to the general path after the fast one declined sample lines, and how
    /// many it declined in a row: a body whose lines it keeps declining (timestamps, escapes
    /// everywhere) would otherwise be scanned twice, while one declined now and then (an
    /// escaped value) costs nothing more.
    fast_pause: u32,
    fast_declines: u32,
    /// The next line is a composite line kept by a dropped iterator: its remaining events
    /// come from the expansion, not from parsing it again.
    pub resume: bool,
}

impl Core {
    pub fn new(settings: Settings) -> Self {
        let cx = LineCtx {
            lenient: settings.lenient,
            allow_duplicate_labels: settings.allow_duplicate_labels,
            // Room for the longest Envoy and Istio names at once, so that the caches do not
            // grow (and allocate) with the names a body happens to have.
            prev_name: Vec::with_capacity(256),
            prev_prefix: Vec::with_capacity(256),
            limits: crate::dialect::limits::LimitCheck::new(
                settings.label_limits,
                settings.limits_recheck,
            ),
            ..Default::default()
        };
        Core {
            om: OmState::new(&settings),
            om2: Om2State::new(&settings),
            fast: settings.dialect == Dialect::Prometheus && !settings.lenient,
            fast_pause: 0,
            fast_declines: 0,
            resume: false,
            settings,
            cx,
            line_no: 0,
            skipped: 0,
            failed: false,
        }
    }

    /// Whether `raw` is a line the dialect ignores (blank), so no event comes of it.
    #[inline(always)]
    pub fn is_ignorable(&self, raw: &[u8]) -> bool {
        // OpenMetrics has no ignorable lines: a blank line is an error.
        if raw.len() > self.settings.max_line_len
            || matches!(
                self.settings.dialect,
                Dialect::OpenMetrics | Dialect::OpenMetrics2
            )
        {
            return false;
        }
        let body = if self.settings.lenient {
            raw.strip_suffix(b"\r").unwrap_or(raw)
        } else {
            raw
        };
        body.iter().all(|&b| b == b' ' || b == b'\t')
    }

    /// The line at `start` of `seg` through [`prom::fast_sample`]: its event, its end (the LF's
    /// index, or the segment's length) stored in `end`, or `None` for the general path (the end
    /// is returned apart so that the caller's `Some(Ok(event))` is the same bytes as the
    /// event, not a copy of it). `need_lf`: a line
    /// that runs to the end of the segment may continue in the next chunk, so it is left to
    /// the caller. The segment's earlier lines must stay where they are while the caches point
    /// into it, for a line may take over labels or names of an earlier one (a chunk feeder
    /// calls [`Core::forget_buffer`] whenever it moves to another buffer). The
    /// segment's line-feed search restarts after a line taken here.
    #[inline(always)]
    pub fn fast_line<'l>(
        &mut self,
        seg: &mut Segment<'l>,
        start: usize,
        offset: u64,
        need_lf: bool,
        end: &mut usize,
    ) -> Option<Event<'l>> {
        if !self.fast {
            return None;
        }
        if self.fast_pause > 0 {
            self.fast_pause -= 1;
            return None;
        }
        let input = seg.bytes();
        if input[start] == b'#' {
            return self.fast_meta_line(seg, start, need_lf, end);
        }
        let max = self.settings.max_line_len;
        let Some(f) = prom::fast_sample(input, start, max, &mut self.cx).filter(|f| {
            // A line over a label limit is the general path's to report.
            let (limits, l) = (&self.cx.limits, f.parts.labels);
            !limits.on
                || limits.tight_block_ok(
                    &input[start + l.start() as usize..start + l.end() as usize],
                    f.n_labels,
                )
        }) else {
            self.fast_declines += 1;
            self.fast_pause = (1 << self.fast_declines.min(5)) - 2;
            return None;
        };
        self.fast_declines = 0;
        if need_lf && f.end == input.len() {
            return None;
        }
        // SAFETY: a line `fast_sample` takes is UTF-8 (see its comment). The UTF-8 check it
        // saves is a few percent of an Envoy parse.
        #[allow(unsafe_code)]
        let text = unsafe { crate::event::located::line_text(&input[start..f.end]) };
        seg.lf_stale = true;
        self.line_no += 1;
        // SAFETY: `text` is `input[start..f.end]`, UTF-8, and `fast_sample`
        // recorded the spans of the first `INLINE_LABELS` (or fewer) labels of exactly those bytes,
        // relative to `start`, as `Located` requires (see its comment where it records them).
        #[allow(unsafe_code)]
        let located = unsafe { Located::new(text, f.n_labels.min(INLINE_LABELS), f.inline) };
        let mut ev = Sample::with_located(located, f.parts, self.line_no, offset);
        if f.n_labels > INLINE_LABELS {
            // The rest of the (tight) block is re-scanned after the located labels.
            ev = ev.with_more_labels();
        }
        if let Some((ms, text)) = f.timestamp {
            ev = ev.with_timestamp(ms, text);
        }
        *end = f.end;
        Some(Event::Sample(ev))
    }

    /// The line at `start` of `seg` when it is a sample of the series `known` (a key and its
    /// shape), which the caller knows to be valid (see [`prom::known_sample`]): its event, without
    /// the label walk, and its end in `end`; `None` for any other line (and whenever the
    /// one-pass path would not be taken, or label limits apply), which the caller then parses
    /// as usual. `after_line`: an earlier line of `seg` that starts with a key sharing its
    /// first bytes with `known`'s, and how many (see [`crate::lex::scan::known_prefix_after`]).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn known_line<'l>(
        &mut self,
        seg: &mut Segment<'l>,
        start: usize,
        offset: u64,
        need_lf: bool,
        known: (&[u8], KeyShape),
        after_line: Option<(usize, usize, &[u8])>,
        end: &mut usize,
    ) -> Option<Event<'l>> {
        if !self.fast || self.cx.limits.on {
            return None;
        }
        let input = seg.bytes();
        let (f, ascii) =
            prom::known_sample(input, start, known, after_line, self.settings.max_line_len)?;
        if need_lf && f.end == input.len() {
            return None;
        }
        let line = &input[start..f.end];
        let text = if ascii {
            // SAFETY: the line is its key, whose bytes `known_prefix` found ASCII, one blank,
            // and what `line_end_value` took: a value token, which holds ASCII bytes only
            // (digits, or a token `parse_value` accepts), and maybe a blank and digits: every
            // byte is ASCII.
            #[allow(unsafe_code)]
            unsafe {
                crate::event::located::line_text(line)
            }
        } else {
            simdutf8::basic::from_utf8(line).ok()?
        };
        seg.lf_stale = true;
        self.line_no += 1;
        *end = f.end;
        let mut ev = Sample::new(text, f.parts, self.line_no, offset);
        if let Some((ms, text)) = f.timestamp {
            ev = ev.with_timestamp(ms, text);
        }
        Some(Event::Sample(ev))
    }

    /// Forgets what the one-pass path remembers as ranges of the buffer it reads (see
    /// `LineCtx::forget_buffer`): for a front end about to read another buffer.
    #[inline]
    pub fn forget_buffer(&mut self) {
        self.cx.forget_buffer();
    }

    /// [`Core::fast_line`] for a line starting with `#`, through [`prom::fast_meta`].
    #[inline(always)]
    fn fast_meta_line<'l>(
        &mut self,
        seg: &mut Segment<'l>,
        start: usize,
        need_lf: bool,
        end: &mut usize,
    ) -> Option<Event<'l>> {
        let input = seg.bytes();
        let max = self.settings.max_line_len;
        let f = prom::fast_meta(input, start, max, &mut self.cx)?;
        if need_lf && f.end == input.len() {
            return None;
        }
        // SAFETY: a line `fast_meta` takes is UTF-8 (see its comment).
        #[allow(unsafe_code)]
        let line = unsafe { crate::event::located::line_text(&input[start..f.end]) };
        let name = &line[prom::META_NAME_START..f.name_end - start];
        seg.lf_stale = true;
        self.line_no += 1;
        let ev = match f.metric_type {
            None => Event::Help(HelpLine {
                name,
                raw_text: &line[f.name_end + 1 - start..],
                line: self.line_no,
                openmetrics: false,
            }),
            Some(metric_type) => Event::Type(TypeLine {
                name,
                metric_type,
                line: self.line_no,
            }),
        };
        *end = f.end;
        Some(ev)
    }

    /// Parses one line (without its LF) starting at byte `offset`; `None` for a blank line.
    /// `text` is the same line when the caller already knows it is UTF-8; `has_backslash`
    /// may be conservatively true.
    // Out of line: the one-pass path, inlined into every front end's loop, keeps the
    // registers; the lines that come here pay one call.
    #[inline(never)]
    pub fn line<'l>(
        &mut self,
        raw: &'l [u8],
        text: Option<&'l str>,
        has_backslash: bool,
        offset: u64,
    ) -> Option<Result<Event<'l>, Error>> {
        if self.resume {
            self.resume = false;
            // The line was valid when it was first parsed; checked once more on resuming.
            match std::str::from_utf8(raw) {
                Ok(text) => {
                    if let Some(ev) = self.om2.expand(text) {
                        return Some(Ok(ev));
                    }
                }
                Err(_) => self.om2.stop_expanding(),
            }
        }
        // The common case first, without the layers below: a Prometheus line already known
        // to be UTF-8, strict mode, within the limit. Blank lines give `Ok(None)` here, as
        // `is_ignorable` would have decided.
        if let (Some(line), Dialect::Prometheus, false) =
            (text, self.settings.dialect, self.settings.lenient)
        {
            if raw.len() <= self.settings.max_line_len {
                self.line_no += 1;
                return match prom::parse_line(
                    line,
                    self.line_no,
                    offset,
                    has_backslash,
                    &mut self.cx,
                ) {
                    Some(Ok(ev)) => Some(Ok(ev)),
                    None => None,
                    Some(Err(e)) => Some(Err(self.fail(e, self.line_no, offset))),
                };
            }
        }
        self.line_general(raw, text, has_backslash, offset)
    }

    /// [`Core::line`] for every other case.
    #[inline(never)]
    fn line_general<'l>(
        &mut self,
        raw: &'l [u8],
        text: Option<&'l str>,
        has_backslash: bool,
        offset: u64,
    ) -> Option<Result<Event<'l>, Error>> {
        if self.is_ignorable(raw) {
            self.line_no += 1;
            return None;
        }
        Some(self.line_event(raw, text, has_backslash, offset))
    }

    /// Parses one line that is not ignorable.
    #[inline]
    pub fn line_event<'l>(
        &mut self,
        mut raw: &'l [u8],
        mut text: Option<&'l str>,
        has_backslash: bool,
        offset: u64,
    ) -> Result<Event<'l>, Error> {
        self.line_no += 1;
        let line_no = self.line_no;
        if raw.len() > self.settings.max_line_len {
            return Err(self.fail(self.too_long(), line_no, offset));
        }
        if self.settings.lenient {
            if let [rest @ .., b'\r'] = raw {
                raw = rest;
                text = text.map(|t| &t[..t.len() - 1]);
            }
        }
        let text = match text {
            Some(t) => Ok(t),
            None => std::str::from_utf8(raw),
        };
        let result = match text {
            Ok(line) => match self.settings.dialect {
                Dialect::Prometheus => {
                    prom::parse_line(line, line_no, offset, has_backslash, &mut self.cx).transpose()
                }
                Dialect::OpenMetrics => self.om.line(line, line_no, offset, has_backslash),
                Dialect::OpenMetrics2 => self.om2.line(line, line_no, offset, has_backslash),
            },
            Err(e) => match self.settings.dialect {
                Dialect::Prometheus => {
                    prom::invalid_utf8_line(raw, e.valid_up_to(), line_no, offset, &mut self.cx)
                }
                Dialect::OpenMetrics => Err(self.om.invalid_utf8(raw, e.valid_up_to())),
                Dialect::OpenMetrics2 => Err(self.om2.invalid_utf8(raw, e.valid_up_to())),
            },
        };
        match result {
            Ok(Some(ev)) => Ok(ev),
            // Only whitespace-only lines give no event, and those were filtered above.
            Ok(None) => Err(self.fail(
                LineError::new(ErrorKind::Syntax, 0, "unexpected blank line"),
                line_no,
                offset,
            )),
            Err(e) => Err(self.fail(e, line_no, offset)),
        }
    }

    pub fn too_long(&self) -> LineError {
        LineError::new(
            ErrorKind::LineTooLong,
            self.settings.max_line_len,
            format!(
                "line too long: longer than the limit of {} bytes",
                self.settings.max_line_len
            ),
        )
    }

    /// Applies the error policy: count and continue when lenient, stop otherwise.
    pub fn fail(&mut self, e: LineError, line_no: u64, offset: u64) -> Error {
        if self.settings.lenient {
            self.skipped += 1;
        } else {
            self.failed = true;
        }
        e.at(line_no, offset)
    }

    /// Whether the last line was an OpenMetrics 2.0 composite value with events left: the
    /// front end hands them out ([`Core::expand`]) before it reads the next line.
    #[inline(always)]
    pub fn expanding(&self) -> bool {
        self.om2.expanding()
    }

    /// The next event of the composite line `line` (the one the last event came from).
    pub fn expand<'l>(&mut self, line: &'l str) -> Option<Event<'l>> {
        self.om2.expand(line)
    }

    /// Forgets the rest of a composite line (its bytes were discarded).
    pub fn stop_expanding(&mut self) {
        self.om2.stop_expanding();
    }

    /// The composite line the last event came from, as text (it parsed, so it is UTF-8):
    /// checked once here, not once per event of the line.
    pub fn expanding_text<'l>(&self, line: &'l [u8], text: Option<&'l str>) -> Option<&'l str> {
        if !self.expanding() {
            return None;
        }
        text.or_else(|| std::str::from_utf8(line).ok())
    }

    /// Malformed exemplars dropped so far (OpenMetrics 2.0).
    pub fn dropped_exemplars(&self) -> u64 {
        self.om2.dropped_exemplars
    }

    /// End-of-input checks: OpenMetrics requires `# EOF` (the Prometheus text format has none).
    pub fn finish(&mut self, end_offset: u64) -> Option<Error> {
        let e = match self.settings.dialect {
            Dialect::OpenMetrics2 => self.om2.finish()?,
            _ => self.om.finish()?,
        };
        let line_no = self.line_no + 1;
        Some(self.fail(e, line_no, end_offset))
    }
}

/// How much of a buffer is checked for UTF-8 ahead of the parse: small enough that the bytes are
/// still in cache when the lines are parsed. Checking a 16 MiB body in one pass first and parsing
/// it afterwards read it from memory twice.
const WINDOW: usize = 64 * 1024;

/// Consecutive lines checked one by one before the rest are checked a window at a time.
const DENSE_RUN: u32 = 4;

/// Facts about one buffer computed a window at a time instead of per line (which lines are valid
/// UTF-8), and the line-feed search.
#[derive(Debug, Clone)]
pub(crate) struct Segment<'l> {
    bytes: &'l [u8],
    /// `bytes[win_start..win_end]` as text. Windows start at a line start and end after a line feed
    /// (or at the end), so a line is either inside the window or not.
    win_start: usize,
    win_end: usize,
    text: &'l str,
    /// After a window with a byte that is not UTF-8, lines starting before this offset (the one
    /// with the bad byte) are checked one by one.
    resume_at: usize,
    /// Line feeds, found by one streaming search over the buffer instead of a memchr call
    /// (with its set-up) per line; positions relative to `lf_base`.
    line_feeds: memchr::Memchr<'l>,
    lf_base: usize,
    /// Lines were consumed without the line-feed search (by the fast path): restart it.
    lf_stale: bool,
    /// Consecutive lines that needed a check outside the window, and where the next such line
    /// would start to continue the run.
    general_run: u32,
    general_next: usize,
}

impl<'l> Segment<'l> {
    pub fn new(bytes: &'l [u8]) -> Self {
        Segment {
            bytes,
            win_start: 0,
            win_end: 0,
            text: "",
            resume_at: 0,
            line_feeds: memchr::memchr_iter(b'\n', bytes),
            lf_base: 0,
            lf_stale: false,
            general_run: 0,
            general_next: 0,
        }
    }

    pub fn empty() -> Self {
        Segment::new(&[])
    }

    /// The next line feed at or after `start` (lines are consumed in order).
    #[inline(always)]
    pub fn next_line_feed(&mut self, start: usize) -> Option<usize> {
        if self.lf_stale {
            self.restart_line_feeds(start);
        }
        loop {
            match self.line_feeds.next() {
                Some(p) if p + self.lf_base < start => continue,
                other => return other.map(|p| p + self.lf_base),
            }
        }
    }

    /// Restarts the line-feed search at `start`, after lines were consumed without it.
    #[cold]
    fn restart_line_feeds(&mut self, start: usize) {
        self.line_feeds = memchr::memchr_iter(b'\n', &self.bytes[start..]);
        self.lf_base = start;
        self.lf_stale = false;
    }

    pub fn bytes(&self) -> &'l [u8] {
        self.bytes
    }

    /// Checks the window that starts with the line at `start` and holds at least up to `end`.
    #[inline(never)]
    fn advance(&mut self, start: usize, end: usize) {
        let len = self.bytes.len();
        let want = (start + WINDOW).max(end);
        let win_end = if want >= len {
            len
        } else {
            memchr::memchr(b'\n', &self.bytes[want..]).map_or(len, |p| want + p + 1)
        };
        let (valid_end, text) = match simdutf8::compat::from_utf8(&self.bytes[start..win_end]) {
            Ok(t) => (win_end, t),
            Err(e) => {
                let bad = start + e.valid_up_to();
                // The line with the bad byte is checked on its own; checking in windows resumes
                // after it.
                self.resume_at =
                    memchr::memchr(b'\n', &self.bytes[bad..]).map_or(len, |p| bad + p + 1);
                let t = std::str::from_utf8(&self.bytes[start..bad]).unwrap_or_default();
                (bad, t)
            }
        };
        self.win_start = start;
        self.win_end = valid_end;
        self.text = text;
    }

    /// The text of the line `bytes[start..end]` when it is known to be UTF-8.
    #[inline(always)]
    fn text_of(&mut self, start: usize, end: usize) -> Option<&'l str> {
        if start >= self.win_start && end <= self.win_end {
            self.text.get(start - self.win_start..end - self.win_start)
        } else {
            self.text_outside(start, end)
        }
    }

    /// [`Segment::text_of`] for a line outside the current window. A line among lines the
    /// one-pass path took (a `# TYPE` line between two Envoy families) is checked on its own:
    /// those lines are UTF-8 by construction, so a window would check their bytes for nothing.
    /// From the [`DENSE_RUN`]th consecutive line that comes here on, windows are checked.
    fn text_outside(&mut self, start: usize, end: usize) -> Option<&'l str> {
        self.general_run = if start == self.general_next {
            self.general_run.saturating_add(1)
        } else {
            0
        };
        self.general_next = end + 1;
        if self.general_run >= DENSE_RUN && start >= self.resume_at {
            self.advance(start, end);
            // A run that reaches the window's end goes on with the next window at once.
            self.general_next = self.win_end;
            if start >= self.win_start && end <= self.win_end {
                return self.text.get(start - self.win_start..end - self.win_start);
            }
        }
        std::str::from_utf8(&self.bytes[start..end]).ok()
    }

    /// The line `bytes[start..end]`: its text when known to be UTF-8, and whether it holds a
    /// backslash. The backslash is looked for in the line itself: the lines that come here are
    /// comments and the samples the one-pass path declines (Istio's long series), for which
    /// one search per line costs little, and Envoy bodies are then never searched as a whole.
    #[inline(always)]
    pub fn line(&mut self, start: usize, end: usize) -> (&'l [u8], Option<&'l str>, bool) {
        let text = self.text_of(start, end);
        let raw = &self.bytes[start..end];
        (raw, text, memchr::memchr(b'\\', raw).is_some())
    }
}
