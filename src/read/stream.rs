//! Streaming front ends: a chunk-fed parser and a parser over [`std::io::Read`].
//!
//! Both hold at most one partial line (bounded by [`Settings::max_line_len`]) and yield exactly
//! the events the whole-buffer [`Parser`](crate::Parser) yields, with the same line numbers,
//! offsets and errors, however the input is cut.

use std::io::{self, Read};

use super::core::{Core, Segment};

#[cfg(any(test, feature = "fuzzing"))]
#[path = "known_check.rs"]
pub(crate) mod known_check;
#[cfg(test)]
#[path = "known_tests.rs"]
mod known_tests;
use crate::error::{Error, ErrorKind};
use crate::event::Event;
use crate::lex::scan::{KeyShape, Shared};
use crate::settings::Settings;

/// A push parser: feed bytes as they arrive (from a socket, a decompressor, …) and drain the
/// events of the complete lines; the partial last line is carried to the next chunk.
///
/// Events borrow the chunk (or, for a line that straddles two chunks, the parser's small
/// join buffer), so complete lines are never copied.
///
/// ```
/// use promtext::{ChunkParser, Settings};
/// let mut p = ChunkParser::new(Settings::default());
/// let mut names = Vec::new();
/// for chunk in [&b"envoy_server_live{} 1\nenvoy_ser"[..], b"ver_uptime{} 42\n"] {
///     for ev in p.feed(chunk) {
///         names.push(ev?.as_sample().unwrap().name().into_owned());
///     }
/// }
/// for ev in p.finish() {
///     ev?;
/// }
/// assert_eq!(names, ["envoy_server_live", "envoy_server_uptime"]);
/// # Ok::<(), promtext::Error>(())
/// ```
#[derive(Debug)]
pub struct ChunkParser {
    core: Core,
    /// The unprocessed tail: a partial line (or lines left by an undrained iterator).
    carry: Vec<u8>,
    /// Holds `carry` + the head of the next chunk while a straddling line is parsed.
    joined: Vec<u8>,
    /// Global offset of `carry[0]`.
    base: u64,
    /// Lenient mode: skipping the rest of an over-long line until its line feed.
    discarding: bool,
    /// `carry` holds complete lines of an iterator dropped before it was drained (not just a partial line).
    kept: bool,
    /// An error found while a chunk was fed, not yet handed out (it is, by the next iterator, if
    /// this one is dropped first).
    pending: Option<Error>,
    /// An [`ErrorKind::Undrained`] error raised while `pending` held another error: handed out
    /// right after it.
    undrained: Option<Error>,
    finished: bool,
    /// The largest chunk fed so far: with the line limit, the bound of `carry`.
    largest_chunk: usize,
}

impl ChunkParser {
    /// A chunk parser with `settings`.
    pub fn new(settings: Settings) -> Self {
        ChunkParser {
            core: Core::new(settings),
            carry: Vec::new(),
            joined: Vec::new(),
            base: 0,
            discarding: false,
            kept: false,
            pending: None,
            undrained: None,
            finished: false,
            largest_chunk: 0,
        }
    }

    /// Feeds the next chunk and returns the events of the lines it completes.
    ///
    /// Lines of an earlier iterator dropped before it was drained are kept and come out first,
    /// here or from [`ChunkParser::finish`] (up to the bound [`ChunkParser::buffered`] states;
    /// past it they are discarded with an [`ErrorKind::Undrained`] error). Feeding a non-empty chunk after `finish` was
    /// drained yields one [`ErrorKind::FeedAfterFinish`] error and ignores the chunk.
    ///
    /// ```
    /// use promtext::{ChunkParser, ErrorKind, Settings};
    /// let mut p = ChunkParser::new(Settings::default());
    /// // Take one event of three, drop the iterator: the other two are not lost.
    /// assert!(p.feed(b"a 1\nb 2\nc 3\n").next().is_some());
    /// let names: Vec<String> = p
    ///     .feed(b"d 4\n")
    ///     .map(|ev| ev.unwrap().as_sample().unwrap().name().into_owned())
    ///     .collect();
    /// assert_eq!(names, ["b", "c", "d"]);
    /// assert_eq!(p.finish().count(), 0);
    /// let err = p.feed(b"e 5\n").next().unwrap().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::FeedAfterFinish);
    /// ```
    pub fn feed<'c>(&'c mut self, chunk: &'c [u8]) -> Events<'c> {
        self.largest_chunk = self.largest_chunk.max(chunk.len());
        let (joined, mut events) = self.split();
        if *events.finished {
            if !chunk.is_empty() && events.pending.is_none() {
                *events.pending = Some(Error::new(
                    ErrorKind::FeedAfterFinish,
                    format!("{} bytes fed after finish() were ignored", chunk.len()),
                    events.core.line_no + 1,
                    1,
                    *events.base,
                ));
            }
            return events;
        }
        if *events.kept {
            // Undrained lines first: they and the head of the chunk up to its first line feed
            // (all of it when it has none) are parsed from `joined`; a partial line at its end
            // goes back to `carry` under the line limit as usual.
            *events.kept = false;
            joined.clear();
            joined.extend_from_slice(events.carry);
            events.carry.clear();
            let head = memchr::memchr(b'\n', chunk).map_or(chunk.len(), |p| p + 1);
            joined.extend_from_slice(&chunk[..head]);
            events.first = Segment::new(joined);
            events.rest = Segment::new(chunk);
            events.rest_pos = head;
            return events;
        }
        if chunk.is_empty() {
            return events;
        }
        if !events.carry.is_empty() || *events.discarding {
            match memchr::memchr(b'\n', chunk) {
                None => {
                    if let Some(e) = events.absorb_tail(chunk) {
                        *events.pending = Some(e);
                    }
                    return events;
                }
                Some(p) if *events.discarding => {
                    // The over-long line ends here; its error was reported already.
                    *events.discarding = false;
                    *events.base += events.carry.len() as u64 + p as u64 + 1;
                    events.carry.clear();
                    events.rest_pos = p + 1;
                }
                Some(p) => {
                    joined.clear();
                    joined.extend_from_slice(events.carry);
                    joined.extend_from_slice(&chunk[..=p]);
                    events.carry.clear();
                    events.first = Segment::new(joined);
                    events.rest_pos = p + 1;
                }
            }
        }
        events.rest = Segment::new(chunk);
        events
    }

    /// Ends the input: parses the last line if it has no line feed, then runs the dialect's
    /// end-of-input checks.
    pub fn finish(&mut self) -> Events<'_> {
        std::mem::swap(&mut self.carry, &mut self.joined);
        self.carry.clear();
        let (joined, mut events) = self.split();
        *events.kept = false;
        let already = *events.finished;
        let skip_tail = *events.discarding;
        *events.discarding = false;
        if !already && !skip_tail {
            events.rest = Segment::new(joined);
        }
        events.is_final = !already;
        events
    }

    /// The buffer that joins a carried line with its rest, and an `Events` with nothing to
    /// parse yet over the parser's state.
    fn split(&mut self) -> (&mut Vec<u8>, Events<'_>) {
        let ChunkParser {
            core,
            carry,
            joined,
            base,
            discarding,
            kept,
            pending,
            undrained,
            finished,
            largest_chunk,
        } = self;
        let events = Events {
            core,
            carry,
            base,
            discarding,
            kept,
            first: Segment::empty(),
            first_pos: 0,
            rest: Segment::empty(),
            rest_pos: 0,
            is_final: false,
            finished,
            pending,
            undrained,
            largest_chunk: *largest_chunk,
            more: None,
            cached: 0,
            last_known: None,
        };
        (joined, events)
    }

    /// How many bad lines were skipped (lenient mode).
    pub fn skipped_lines(&self) -> u64 {
        self.core.skipped
    }

    /// How many lines were read so far.
    pub fn lines_read(&self) -> u64 {
        self.core.line_no
    }

    /// How many malformed exemplars were dropped (OpenMetrics 2.0; see
    /// [`Parser::dropped_exemplars`](crate::Parser::dropped_exemplars)).
    pub fn dropped_exemplars(&self) -> u64 {
        self.core.dropped_exemplars()
    }

    /// Bytes currently buffered: the partial line (never more than the line limit), plus the
    /// lines of an iterator dropped before it was drained (the rest of its chunk, kept until
    /// the next `feed` or `finish` hands them out). Never more than the line limit plus the
    /// largest chunk: when an iterator is dropped undrained while lines of an earlier one are
    /// still waiting and both would pass that, they are discarded and the next iterator reports
    /// [`ErrorKind::Undrained`].
    pub fn buffered(&self) -> usize {
        self.carry.len()
    }
}

/// The events of one [`ChunkParser::feed`] or [`ChunkParser::finish`] call.
#[derive(Debug)]
pub struct Events<'c> {
    core: &'c mut Core,
    carry: &'c mut Vec<u8>,
    base: &'c mut u64,
    discarding: &'c mut bool,
    kept: &'c mut bool,
    first: Segment<'c>,
    first_pos: usize,
    rest: Segment<'c>,
    rest_pos: usize,
    is_final: bool,
    finished: &'c mut bool,
    pending: &'c mut Option<Error>,
    undrained: &'c mut Option<Error>,
    largest_chunk: usize,
    /// An OpenMetrics 2.0 composite line whose remaining events come next, and the bytes it
    /// took (with its line feed).
    more: Option<(&'c str, usize)>,
    /// The segment the one-pass path's caches point into (0: none yet, 1: `first`, 2: `rest`):
    /// they are ranges of one buffer, forgotten whenever parsing moves to another.
    cached: u8,
    /// The last line taken as a known series: its segment (as `cached`), its start there, and
    /// the position in the scrape's order of the key it matched.
    last_known: Option<(u8, usize, usize)>,
}

impl Events<'_> {
    /// Appends an unterminated tail to the carry, enforcing the line limit.
    fn absorb_tail(&mut self, tail: &[u8]) -> Option<Error> {
        if *self.discarding {
            *self.base += tail.len() as u64;
            return None;
        }
        let limit = self.core.settings.max_line_len;
        if self.carry.len() + tail.len() <= limit {
            self.carry.extend_from_slice(tail);
            return None;
        }
        // Over the limit: report it now, as the whole-buffer parser reports it for this line,
        // and never buffer more than the limit.
        self.core.line_no += 1;
        let line_no = self.core.line_no;
        let offset = *self.base;
        let err = self.core.too_long();
        let err = self.core.fail(err, line_no, offset);
        *self.base += (self.carry.len() + tail.len()) as u64;
        self.carry.clear();
        *self.discarding = true;
        Some(err)
    }
}

impl<'c> Events<'c> {
    /// The next event, where the next sample line may be of the series `known` (its bytes,
    /// [`KeyShape`] and [`Shared`]), a series of an earlier sample of this parser's dialect and
    /// settings (the scrape's cache key): such a line is taken without its labels walked again,
    /// and `taken` is set to `true` (it is left as it was otherwise).
    ///
    /// When the last line taken this way, in the same buffer, matched the key at the position
    /// before `known`'s (or at the same position) in the previous scrape's order, it starts
    /// with that key, and `known`'s first [`Shared::len`] bytes are compared with it instead
    /// of with the key: only the rest of the key is read from memory.
    // Also the iterator's step (`known` none). Inlined into the scrape's loop, as
    // `Parser::next` is into a caller's, and the flag set through a reference: out of line, or
    // returned beside the event, the event was copied on every line.
    #[inline(always)]
    pub(crate) fn next_known(
        &mut self,
        known: Option<(&[u8], KeyShape, Shared<'_>)>,
        taken: &mut bool,
    ) -> Option<Result<Event<'c>, Error>> {
        if let Some(e) = self.pending.take() {
            *self.pending = self.undrained.take();
            return Some(Err(e));
        }
        if let Some((line, _)) = self.more {
            if let Some(ev) = self.core.expand(line) {
                return Some(Ok(ev));
            }
            self.more = None;
        }
        loop {
            if self.core.failed {
                self.first_pos = self.first.bytes().len();
                self.rest_pos = self.rest.bytes().len();
                return None;
            }
            // Lines assembled across the chunk boundary first, then the chunk itself.
            let (seg, pos, which) = if self.first_pos < self.first.bytes().len() {
                (&mut self.first, &mut self.first_pos, 1)
            } else if self.rest_pos < self.rest.bytes().len() {
                (&mut self.rest, &mut self.rest_pos, 2)
            } else {
                if self.is_final && !*self.finished {
                    *self.finished = true;
                    return self.core.finish(*self.base).map(Err);
                }
                return None;
            };
            let buf = seg.bytes();
            let start = *pos;
            if self.cached != which {
                self.core.forget_buffer();
                self.cached = which;
            }
            let mut end = 0;
            if let Some((key, shape, shared)) = known {
                // The line taken at the position before (or at this one, when no lookup
                // followed it) starts with the key there, whose first `shared.len` bytes are
                // this key's.
                let after_line = match self.last_known {
                    Some((w, prev, p))
                        if w == which && p + 1 >= shared.position && p <= shared.position =>
                    {
                        Some((prev, shared.len as usize, shared.rest))
                    }
                    _ => None,
                };
                if let Some(ev) = self.core.known_line(
                    seg,
                    start,
                    *self.base,
                    !self.is_final,
                    (key, shape),
                    after_line,
                    &mut end,
                ) {
                    let next = (end + 1).min(buf.len());
                    *pos = next;
                    *self.base += (next - start) as u64;
                    *taken = true;
                    self.last_known = Some((which, start, shared.position));
                    return Some(Ok(ev));
                }
            }
            if let Some(ev) = self
                .core
                .fast_line(seg, start, *self.base, !self.is_final, &mut end)
            {
                let next = (end + 1).min(buf.len());
                *pos = next;
                *self.base += (next - start) as u64;
                return Some(Ok(ev));
            }
            let end = match seg.next_line_feed(start) {
                Some(n) => {
                    *pos = n + 1;
                    n
                }
                None if self.is_final => {
                    *pos = buf.len();
                    buf.len()
                }
                None => {
                    *pos = buf.len();
                    let tail = &buf[start..];
                    match self.absorb_tail(tail) {
                        Some(e) => return Some(Err(e)),
                        None => continue,
                    }
                }
            };
            let next = *pos;
            let (line, text, has_backslash) = seg.line(start, end);
            let offset = *self.base;
            *self.base += (next - start) as u64;
            if let Some(r) = self.core.line(line, text, has_backslash, offset) {
                self.more = self
                    .core
                    .expanding_text(line, text)
                    .map(|t| (t, next - start));
                return Some(r);
            }
        }
    }
}

impl<'c> Iterator for Events<'c> {
    type Item = Result<Event<'c>, Error>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        self.next_known(None, &mut false)
    }
}

impl Drop for Events<'_> {
    fn drop(&mut self) {
        // Keep what the caller did not drain, in order, ahead of the next chunk.
        let (first, rest) = (self.first.bytes(), self.rest.bytes());
        let (first, rest) = (&first[self.first_pos..], &rest[self.rest_pos..]);
        // A composite line not fully handed out is kept too, and resumed where it stopped.
        let line = self.more.filter(|_| self.core.expanding());
        if line.is_none() && first.is_empty() && rest.is_empty() {
            return;
        }
        let total = line.map_or(0, |(_, took)| took) + first.len() + rest.len() + self.carry.len();
        // `first` may hold lines an earlier iterator left: keeping them and this chunk's rest
        // could grow by a chunk with every undrained drop, so past the line limit plus the
        // largest chunk they go, reported.
        let bound = self
            .core
            .settings
            .max_line_len
            .saturating_add(self.largest_chunk);
        if total > bound {
            self.discard(first, rest);
            return;
        }
        let mut kept = Vec::with_capacity(total);
        if let Some((line, took)) = line {
            kept.extend_from_slice(line.as_bytes());
            if took > line.len() {
                kept.push(b'\n');
            }
            *self.base -= took as u64;
            self.core.resume = true;
        }
        kept.extend_from_slice(first);
        kept.extend_from_slice(rest);
        kept.extend_from_slice(self.carry);
        *self.carry = kept;
        *self.kept = true;
        if self.is_final {
            *self.finished = false;
        }
    }
}

impl Events<'_> {
    /// Drops the undrained bytes with a pending [`ErrorKind::Undrained`] error; line numbers and
    /// offsets go on as if they had been read, and the rest of a partial last line is skipped.
    #[cold]
    fn discard(&mut self, first: &[u8], rest: &[u8]) {
        let len = (first.len() + rest.len() + self.carry.len()) as u64;
        let lines = [first, rest, self.carry.as_slice()]
            .iter()
            .map(|b| memchr::memchr_iter(b'\n', b).count() as u64)
            .sum::<u64>();
        let partial = [first, rest, self.carry.as_slice()]
            .iter()
            .rev()
            .find(|b| !b.is_empty())
            .is_some_and(|b| b.last() != Some(&b'\n'));
        let line_no = self.core.line_no + 1;
        // One report until it is handed out; after an error still waiting (an over-long line
        // found while its chunk was fed), not instead of it.
        let reported = self.undrained.is_some()
            || self
                .pending
                .as_ref()
                .is_some_and(|e| e.kind() == ErrorKind::Undrained);
        if !reported {
            let e = Error::new(
                ErrorKind::Undrained,
                format!(
                    "{len} bytes ({lines} lines) of dropped, undrained iterators were discarded: \
                     keeping them would pass the line limit plus one chunk"
                ),
                line_no,
                1,
                *self.base,
            );
            match self.pending {
                None => *self.pending = Some(e),
                Some(_) => *self.undrained = Some(e),
            }
        }
        self.core.line_no += lines + u64::from(partial);
        *self.base += len;
        self.carry.clear();
        *self.discarding = partial;
        *self.kept = false;
        self.core.stop_expanding();
    }
}

/// A pull parser over any [`Read`]: reads 64 KiB blocks and yields events through
/// [`ReadParser::next_event`] (a lending iterator, since events borrow the block buffer).
///
/// ```
/// use promtext::{ReadParser, Settings};
/// let body: &[u8] = b"# TYPE a counter\na 1\na 2\n";
/// let mut p = ReadParser::new(body, Settings::default());
/// let mut sum = 0.0;
/// while let Some(ev) = p.next_event() {
///     if let Some(s) = ev?.as_sample() { sum += s.value(); }
/// }
/// assert_eq!(sum, 3.0);
/// # Ok::<(), promtext::Error>(())
/// ```
#[derive(Debug)]
pub struct ReadParser<R> {
    reader: R,
    core: Core,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// `buf[start..scanned]` holds no line feed: a long line is searched once, however many
    /// reads it takes.
    scanned: usize,
    /// Global offset of `buf[start]`.
    base: u64,
    eof: bool,
    discarding: bool,
    finished: bool,
    /// An OpenMetrics 2.0 composite line (`buf[s..e]`) whose remaining events come next.
    more: bool,
    /// The composite line being expanded, copied once as text (the block buffer may move).
    more_text: String,
}

const BLOCK: usize = 64 * 1024;

impl<R: Read> ReadParser<R> {
    /// A parser reading from `reader`.
    pub fn new(reader: R, settings: Settings) -> Self {
        ReadParser {
            reader,
            core: Core::new(settings),
            buf: Vec::new(),
            start: 0,
            end: 0,
            scanned: 0,
            base: 0,
            eof: false,
            discarding: false,
            finished: false,
            more: false,
            more_text: String::new(),
        }
    }

    /// How many bad lines were skipped (lenient mode).
    pub fn skipped_lines(&self) -> u64 {
        self.core.skipped
    }

    /// How many malformed exemplars were dropped (OpenMetrics 2.0; see
    /// [`Parser::dropped_exemplars`](crate::Parser::dropped_exemplars)).
    pub fn dropped_exemplars(&self) -> u64 {
        self.core.dropped_exemplars()
    }

    /// Reads more input; `Ok(false)` at end of input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.scanned = self.scanned.saturating_sub(self.start);
            self.start = 0;
        }
        let want = (self.end + BLOCK).min(self.core.settings.max_line_len + 1 + BLOCK);
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Finds the next line; returns (start, end, next start) within `buf`, or an error event.
    fn next_line(&mut self) -> Option<Result<(usize, usize, usize), Error>> {
        loop {
            let from = self.scanned.max(self.start);
            if let Some(n) = memchr::memchr(b'\n', &self.buf[from..self.end]) {
                let n = n + from - self.start;
                let s = self.start;
                if self.discarding {
                    self.discarding = false;
                    self.base += (n + 1) as u64;
                    self.start = s + n + 1;
                    continue;
                }
                return Some(Ok((s, s + n, s + n + 1)));
            }
            let pending = self.end - self.start;
            self.scanned = self.end;
            if self.discarding {
                self.base += pending as u64;
                self.start = self.end;
            } else if pending > self.core.settings.max_line_len {
                self.core.line_no += 1;
                let line_no = self.core.line_no;
                let e = self.core.too_long();
                let e = self.core.fail(e, line_no, self.base);
                self.base += pending as u64;
                self.start = self.end;
                self.discarding = true;
                return Some(Err(e));
            }
            if self.eof {
                let s = self.start;
                if s < self.end && !self.discarding {
                    return Some(Ok((s, self.end, self.end)));
                }
                return None;
            }
            match self.fill() {
                Ok(true) => {}
                Ok(false) => self.eof = true,
                Err(e) => {
                    self.core.failed = true;
                    let line_no = self.core.line_no + 1;
                    return Some(Err(Error::new(
                        ErrorKind::Syntax,
                        format!("read error: {e}"),
                        line_no,
                        1,
                        self.base,
                    )));
                }
            }
        }
    }

    /// The next event, or `None` at the end of input (or after the first error in the
    /// default mode).
    pub fn next_event(&mut self) -> Option<Result<Event<'_>, Error>> {
        if self.more {
            if self.core.expanding() {
                return self.core.expand(&self.more_text).map(Ok);
            }
            self.more = false;
        }
        loop {
            if self.core.failed || self.finished {
                return None;
            }
            let (s, e, next) = match self.next_line() {
                Some(Ok(t)) => t,
                Some(Err(err)) => return Some(Err(err)),
                None => {
                    self.finished = true;
                    return self.core.finish(self.base).map(Err);
                }
            };
            let offset = self.base;
            self.base += (next - s) as u64;
            self.start = next;
            if self.core.is_ignorable(&self.buf[s..e]) {
                self.core.line_no += 1;
                continue;
            }
            let r = self.core.line_event(&self.buf[s..e], None, true, offset);
            if let Some(text) = self.core.expanding_text(&self.buf[s..e], None) {
                self.more_text.clear();
                self.more_text.push_str(text);
                self.more = true;
            }
            return Some(r);
        }
    }
}
