//! Multi-core parsing of one complete body (feature `parallel`).
//!
//! A body of at least [`Options::threshold`] bytes is cut at line feeds into blocks of about
//! [`Options::block_len`] bytes, the blocks are parsed on rayon's thread pool, and the results
//! come back in input order. A block's items are exactly the items [`Parser`] yields for the
//! same lines of the whole body — the same events, line numbers, byte offsets and errors —
//! because the Prometheus text format has no state that crosses a line: each block knows the
//! line number and offset it starts at, and the parser's per-line caches, which start empty in
//! every block, never change an event.
//!
//! Parsed on one thread, as one block on the calling thread:
//!
//! - bodies below the threshold (default [`DEFAULT_THRESHOLD`]), where setting up the blocks
//!   costs more than a second core gains;
//! - OpenMetrics: `# EOF` turns every later line into an error and strict validation checks
//!   families across lines, so a block's events depend on the lines before it;
//! - a thread pool of one thread.
//!
//! The calling thread parses blocks itself from the start, and other threads join as they
//! wake: inside [`rayon::ThreadPool::install`] the pool's other workers (the caller is one of
//! them); outside any pool a private pool of one thread fewer than rayon's global pool (so
//! `RAYON_NUM_THREADS` and [`rayon::ThreadPoolBuilder::build_global`] still set the count,
//! caller included).
//!
//! ```
//! use promtext::parallel::{Options, parse_blocks};
//! use promtext::{Event, Settings};
//!
//! let body = "# TYPE envoy_cluster_upstream_rq counter\n\
//!             envoy_cluster_upstream_rq{envoy_cluster_name=\"a\"} 3\n\
//!             envoy_cluster_upstream_rq{envoy_cluster_name=\"b\"} 4\n";
//! // Map each block's events to a result, in parallel; the results are in input order.
//! let sums = parse_blocks(body.as_bytes(), Settings::default(), |block| {
//!     let mut sum = 0.0;
//!     for event in block {
//!         if let Ok(Event::Sample(s)) = event {
//!             sum += s.value();
//!         }
//!     }
//!     sum
//! })?;
//! assert_eq!(sums.iter().sum::<f64>(), 7.0);
//!
//! // All events, borrowed from the body. Tiny blocks and no threshold, to show the cutting:
//! let options = Options::default().threshold(0).block_len(16);
//! let events = options.parse_to_vec(body.as_bytes(), Settings::default())?;
//! assert_eq!(events.len(), 3);
//! assert_eq!(events[2].line(), 3);
//!
//! // The first error of the body, as the single-threaded parser reports it.
//! let bad = b"a 1\nb 2\nc{x=1} 3\nd 4\n";
//! let err = options.parse_to_vec(bad, Settings::default()).unwrap_err();
//! assert_eq!((err.line(), err.column(), err.offset()), (3, 5, 12));
//! # Ok::<(), promtext::Error>(())
//! ```

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::Parser;
use crate::error::Error;
use crate::event::Event;
use crate::settings::{Dialect, Settings};

/// The default size below which a body is parsed on one thread: 1 MiB.
pub const DEFAULT_THRESHOLD: usize = 1 << 20;

/// The default block size: 256 KiB.
pub const DEFAULT_BLOCK_LEN: usize = 256 << 10;

/// The smallest block the default cutting makes of a small body (a smaller
/// [`Options::block_len`] is used as given).
pub const MIN_BLOCK_LEN: usize = 32 << 10;

/// Blocks per thread the cutting aims for, at least, in a body too small for
/// [`Options::block_len`] blocks.
const BLOCKS_PER_THREAD: usize = 8;

/// How a body is cut into blocks, and the entry points that parse it.
///
/// ```
/// use promtext::parallel::Options;
/// let options = Options::default().threshold(4 << 20).block_len(1 << 20);
/// assert_eq!(options.get_threshold(), 4 << 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    threshold: usize,
    block_len: usize,
    block_lines: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threshold: DEFAULT_THRESHOLD,
            block_len: DEFAULT_BLOCK_LEN,
            block_lines: false,
        }
    }
}

impl Options {
    /// Bodies shorter than `bytes` are parsed on one thread (default [`DEFAULT_THRESHOLD`]).
    pub fn threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }

    /// The target block size (default [`DEFAULT_BLOCK_LEN`]); a block ends at the first line
    /// feed at or after it, so a block holds whole lines and may be longer. Smaller bodies
    /// get smaller blocks, down to [`MIN_BLOCK_LEN`], so that every thread has several.
    pub fn block_len(mut self, bytes: usize) -> Self {
        self.block_len = bytes.max(1);
        self
    }

    /// Events' line numbers count from their block's first line (`true`), or from the body's
    /// (`false`, the default).
    ///
    /// For the body's line numbers every block needs the number of lines before it when it
    /// starts: the line feeds of the blocks before it whose parse has not finished (with all
    /// threads running, the part of the previous block its thread has not read yet) are
    /// counted first, up to half a pass more over the body, a tenth of the parallel speed-up
    /// on a body that does not fit in the cache. A scraper does not need the line of every
    /// sample: with block-relative lines nothing is counted ahead, [`BlockEvents::first_line`]
    /// counts the lines before its block only when called (so `block.first_line() - 1 +
    /// event.line()` is an event's line in the body), and errors still carry the body's line
    /// numbers (the lines before a block are counted at its first error).
    ///
    /// ```
    /// use promtext::parallel::Options;
    /// use promtext::{Event, Settings};
    ///
    /// let body = b"a 1\nb 2\nc 3\nd 4\n";
    /// let options = Options::default().threshold(0).block_len(8).block_lines(true);
    /// let lines = options.parse_blocks(body, Settings::default(), |block| {
    ///     let relative: Vec<u64> = block.by_ref().map(|e| e.unwrap().line()).collect();
    ///     (block.first_line(), relative)
    /// })?;
    /// assert_eq!(lines, [(1, vec![1, 2]), (3, vec![1, 2])]);
    ///
    /// let bad = b"a 1\nb 2\nc 3\nd{x=1} 4\n";
    /// let err = options.parse_to_vec(bad, Settings::default()).unwrap_err();
    /// assert_eq!(err.line(), 4);
    /// # Ok::<(), promtext::Error>(())
    /// ```
    pub fn block_lines(mut self, relative: bool) -> Self {
        self.block_lines = relative;
        self
    }

    /// Whether events' line numbers count from their block's first line.
    pub fn get_block_lines(&self) -> bool {
        self.block_lines
    }

    /// The threshold in use.
    pub fn get_threshold(&self) -> usize {
        self.threshold
    }

    /// The target block size in use.
    pub fn get_block_len(&self) -> usize {
        self.block_len
    }

    /// Parses `body` in blocks and maps each block's items with `f`, in parallel; the results
    /// are in input order.
    ///
    /// `f` gets a [`BlockEvents`], an iterator over the block's items (`Result<Event, Error>`,
    /// exactly as [`Parser`] yields them for those lines).
    ///
    /// By default (fail-fast) the first error of the body, in input order, is returned as
    /// `Err`, as the single-threaded parser stops there; `f` may also see it as an item, and
    /// the results of every block are dropped. Lines `f` leaves unread are still checked after
    /// it returns, so the verdict covers the whole body. Blocks after the failing one may have
    /// been passed to `f` already (they run concurrently), but blocks that had not started are
    /// skipped.
    ///
    /// With [`Settings::lenient`] bad lines are items of their block (and counted by
    /// [`BlockEvents::skipped_lines`]), never an `Err` of the whole, and unread lines are not
    /// parsed.
    pub fn parse_blocks<'a, R, F>(
        &self,
        body: &'a [u8],
        settings: Settings,
        f: F,
    ) -> Result<Vec<R>, Error>
    where
        R: Send,
        F: Fn(&mut BlockEvents<'a>) -> R + Sync,
    {
        let single = body.len() < self.threshold
            || settings.dialect != Dialect::Prometheus
            || rayon::current_num_threads() < 2;
        let bounds = if single {
            Vec::new()
        } else {
            // Enough blocks per thread that one slowed down (by other work on its core) is
            // made up for by the others.
            let per_thread = body.len() / (BLOCKS_PER_THREAD * threads());
            split(body, self.block_len.min(per_thread.max(MIN_BLOCK_LEN)))
        };
        if bounds.len() < 2 {
            let mut block = BlockEvents::new(body, settings, 0, Some(0), 0, None);
            let r = f(&mut block);
            return block.verdict(r).map(|r| vec![r]);
        }

        // Blocks are handed out in input order to one worker per thread, so that, on a
        // loaded machine too, a block starts soon after the one before it. A finished parse
        // publishes its block's line feeds. A block that needs the number of lines before it
        // (at its start for the body's line numbers; at an error or `first_line` with
        // block-relative lines) counts the earlier blocks not published yet: usually only the
        // one another worker is parsing, whose bytes that worker is bringing into the shared
        // cache.
        let lines = Arc::new(LineCounts::new(body, bounds));
        let bounds = &lines.bounds;
        let next = AtomicUsize::new(0);
        // The lowest index of a block that failed: later blocks cannot contribute, and those
        // not started yet are skipped.
        let failed = AtomicUsize::new(usize::MAX);
        let done: Mutex<Vec<(usize, Result<R, Error>)>> = Mutex::new(Vec::new());
        let work = || {
            let mut mine = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= bounds.len() || failed.load(Ordering::Relaxed) < index {
                    break;
                }
                let (start, end) = bounds[index];
                let lines_before = (!self.block_lines).then(|| lines.before(index));
                let mut block = BlockEvents::new(
                    &body[start..end],
                    settings.clone(),
                    index,
                    lines_before,
                    start as u64,
                    Some(Arc::clone(&lines)),
                );
                let r = f(&mut block);
                let (verdict, parsed_lines) = block.finish(r);
                // A block ends after a line feed, except the last when the body has none.
                if let Some(n) = parsed_lines.filter(|_| body[end - 1] == b'\n') {
                    lines.publish(index, n);
                }
                if verdict.is_err() {
                    failed.fetch_min(index, Ordering::Relaxed);
                }
                mine.push((index, verdict));
            }
            // Only taken here, once per worker: a panic in `f` cannot poison it while held.
            done.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .append(&mut mine);
        };
        let workers = threads().min(bounds.len());
        run_workers(workers, &work);
        let done = done.into_inner().unwrap_or_else(PoisonError::into_inner);

        let mut results: Vec<Option<Result<R, Error>>> = (0..bounds.len()).map(|_| None).collect();
        for (index, verdict) in done {
            results[index] = Some(verdict);
        }
        let mut out = Vec::with_capacity(results.len());
        for result in results {
            match result {
                Some(Ok(r)) => out.push(r),
                Some(Err(e)) => return Err(e),
                None => unreachable!("a block is skipped only after an earlier block failed"),
            }
        }
        Ok(out)
    }

    /// All events of `body`, borrowed from it: what
    /// `parse_with(body, settings).collect::<Result<Vec<_>, _>>()` gives (the first error, in
    /// lenient mode too), parsed in parallel.
    ///
    /// The blocks' events are moved into one vector at the end, a serial copy;
    /// [`Options::parse_blocks`] avoids it. The events have the body's line numbers whatever
    /// [`Options::block_lines`] says: each block's line count sizes its vector (setting the
    /// lines after a block-relative parse instead, with vectors growing as they fill, is
    /// markedly slower).
    pub fn parse_to_vec<'a>(
        &self,
        body: &'a [u8],
        settings: Settings,
    ) -> Result<Vec<Event<'a>>, Error> {
        let options = self.block_lines(false);
        let blocks = options.parse_blocks(body, settings, |block| {
            let reserve = block.line_count().map_or(0, |n| n as usize);
            let mut events = Vec::with_capacity(reserve);
            for item in block {
                events.push(item?);
            }
            Ok(events)
        })?;
        if blocks.len() == 1 {
            return blocks.into_iter().next().unwrap_or(Ok(Vec::new()));
        }
        let mut total = 0;
        for block in &blocks {
            match block {
                Ok(events) => total += events.len(),
                // Lenient mode: the first bad line, in input order.
                Err(e) => return Err(e.clone()),
            }
        }
        let mut out = Vec::with_capacity(total);
        for mut events in blocks.into_iter().flatten() {
            out.append(&mut events);
        }
        Ok(out)
    }
}

/// [`Options::parse_blocks`] with the default options.
pub fn parse_blocks<'a, R, F>(body: &'a [u8], settings: Settings, f: F) -> Result<Vec<R>, Error>
where
    R: Send,
    F: Fn(&mut BlockEvents<'a>) -> R + Sync,
{
    Options::default().parse_blocks(body, settings, f)
}

/// [`Options::parse_to_vec`] with the default options.
pub fn parse_to_vec(body: &[u8], settings: Settings) -> Result<Vec<Event<'_>>, Error> {
    Options::default().parse_to_vec(body, settings)
}

/// The number of threads a parse uses from the current context: rayon's global pool (one per
/// core unless `RAYON_NUM_THREADS` says otherwise), or the pool it runs in.
pub fn threads() -> usize {
    rayon::current_num_threads()
}

/// Runs `work` on `workers` threads, the calling thread among them, and returns when all are
/// done.
///
/// The calling thread starts at once instead of waiting while idle cores wake up (on a VM that
/// takes up to milliseconds, and 16 MiB of Envoy text parses in about four: handing all the
/// work to the pool gave 1.0–1.3x on two cores, against 1.8x this way, measured interleaved).
/// Inside a pool the caller is one of its workers and the pool's others help. Outside any pool
/// a private pool of `workers - 1` helpers does: rayon's global pool would have one thread more
/// than the cores, left spinning idle, which cost a tenth of the speed-up with the cores busy.
fn run_workers<'w, W: Fn() + Sync>(workers: usize, work: &'w W) {
    let spawn_all = |scope: &rayon::Scope<'w>| {
        for _ in 1..workers {
            scope.spawn(|_| work());
        }
        work();
    };
    if rayon::current_thread_index().is_none() {
        if let Some(helpers) = helpers() {
            return helpers.in_place_scope(spawn_all);
        }
    }
    rayon::in_place_scope(spawn_all)
}

/// The helper threads of parses started outside any pool: one fewer than the global pool's
/// threads (`None` when that is one, or the threads cannot be started; the global pool is
/// used then).
fn helpers() -> Option<&'static rayon::ThreadPool> {
    static HELPERS: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    HELPERS
        .get_or_init(|| {
            let n = rayon::current_num_threads().saturating_sub(1);
            if n == 0 {
                return None;
            }
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .thread_name(|i| format!("promtext-parse-{i}"))
                .build()
                .ok()
        })
        .as_ref()
}

/// Block boundaries: each block ends just after the first line feed at or after
/// `block_len` bytes from its start (the last one at the end of the body).
fn split(body: &[u8], block_len: usize) -> Vec<(usize, usize)> {
    let mut bounds = Vec::with_capacity(body.len() / block_len + 1);
    let mut start = 0;
    while start < body.len() {
        let target = start + block_len;
        let end = if target >= body.len() {
            body.len()
        } else {
            memchr::memchr(b'\n', &body[target - 1..]).map_or(body.len(), |p| target + p)
        };
        bounds.push((start, end));
        start = end;
    }
    bounds
}

/// Line-feed counts of the blocks and the number of lines before each, published by whichever
/// worker computes them first (every worker computes the same values).
struct LineCounts<'b> {
    body: &'b [u8],
    bounds: Vec<(usize, usize)>,
    /// Line feeds in block `i`; `UNKNOWN` until counted.
    counts: Vec<AtomicU64>,
    /// Lines before block `i`; `UNKNOWN` until summed.
    before: Vec<AtomicU64>,
    /// How far the parse of block `i` has come: [`progress`]-packed bytes read and the line
    /// feeds in them (0 until published). A cache line each: neighbouring blocks are parsed
    /// by different workers at once, and each publishes every few events.
    progress: Vec<CachePadded<AtomicU64>>,
}

/// A value alone in its cache line, so that a worker writing it does not take the line from
/// another writing its neighbour.
#[repr(align(64))]
struct CachePadded<T>(T);

/// Events between two publications of a block's progress (every other event when fuzzing, whose
/// blocks are tiny).
const PROGRESS_EVERY: u32 = if cfg!(feature = "fuzzing") { 2 } else { 32 };

/// Bytes read and the line feeds in them, packed into one word so that a reader sees both of
/// one moment; `None` when either does not fit in 32 bits.
fn progress(read: usize, line_feeds: u64) -> Option<u64> {
    let read = u32::try_from(read).ok()?;
    let line_feeds = u32::try_from(line_feeds).ok()?;
    Some(u64::from(read) << 32 | u64::from(line_feeds))
}

const UNKNOWN: u64 = u64::MAX;

impl<'b> LineCounts<'b> {
    fn new(body: &'b [u8], bounds: Vec<(usize, usize)>) -> Self {
        let blocks = bounds.len();
        let unknown = || (0..blocks).map(|_| AtomicU64::new(UNKNOWN)).collect();
        let before: Vec<AtomicU64> = unknown();
        before[0].store(0, Ordering::Relaxed);
        LineCounts {
            body,
            bounds,
            counts: unknown(),
            before,
            progress: (0..blocks)
                .map(|_| CachePadded(AtomicU64::new(0)))
                .collect(),
        }
    }

    /// The line feeds in block `index`: published by its parse, or counted here after the
    /// part its parse has published so far (the part its thread has in cache already; the
    /// rest, read here first, is then in the shared cache for that parse).
    fn count(&self, index: usize) -> u64 {
        let known = self.counts[index].load(Ordering::Relaxed);
        if known != UNKNOWN {
            return known;
        }
        let (start, end) = self.bounds[index];
        let done = self.progress[index].0.load(Ordering::Relaxed);
        let (read, line_feeds) = ((done >> 32) as usize, done & u64::from(u32::MAX));
        let rest = memchr::memchr_iter(b'\n', &self.body[start + read..end]).count() as u64;
        let n = line_feeds + rest;
        self.counts[index].store(n, Ordering::Relaxed);
        n
    }

    /// Publishes how far the parse of block `index` has come.
    fn advance(&self, index: usize, progress: u64) {
        self.progress[index].0.store(progress, Ordering::Relaxed);
    }

    /// Publishes the line feeds of block `index` as its parse found them.
    fn publish(&self, index: usize, line_feeds: u64) {
        self.counts[index].store(line_feeds, Ordering::Relaxed);
    }

    /// The lines before block `index`: from the nearest block before it whose number is
    /// known (usually the previous one), adding the counts in between.
    fn before(&self, index: usize) -> u64 {
        let mut from = index;
        let mut lines = loop {
            let known = self.before[from].load(Ordering::Relaxed);
            if known != UNKNOWN {
                break known;
            }
            from -= 1;
        };
        while from < index {
            lines += self.count(from);
            from += 1;
            self.before[from].store(lines, Ordering::Relaxed);
        }
        lines
    }
}

impl std::fmt::Debug for LineCounts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineCounts")
            .field("blocks", &self.bounds.len())
            .finish_non_exhaustive()
    }
}

/// The items of one block: an iterator of `Result<Event, Error>` borrowed from the body, with
/// the body's byte offsets and line numbers (or, with [`Options::block_lines`], events' line
/// numbers counted from the block's first line).
#[derive(Debug)]
pub struct BlockEvents<'a> {
    parser: Parser<'a>,
    input: &'a [u8],
    index: usize,
    /// The lines before the block, once known.
    lines_before: OnceLock<u64>,
    /// Events' lines count from the block's first line.
    relative: bool,
    /// The blocks' line counts (blocks of a parallel parse): where the lines before the block
    /// and in it are counted when needed.
    counts: Option<Arc<LineCounts<'a>>>,
    offset: u64,
    /// Fail-fast mode: the error that ended the block.
    error: Option<Error>,
    /// Events until the block's progress is published next (blocks whose line count a later
    /// block may need before this parse ends).
    until_progress: u32,
}

impl<'a> BlockEvents<'a> {
    /// A block whose events count lines from `lines_before`, or from its own first line when
    /// that is `None`.
    fn new(
        input: &'a [u8],
        settings: Settings,
        index: usize,
        lines_before: Option<u64>,
        offset: u64,
        counts: Option<Arc<LineCounts<'a>>>,
    ) -> Self {
        let parser = Parser::at(input, settings, lines_before.unwrap_or(0), offset);
        BlockEvents {
            parser,
            input,
            index,
            lines_before: lines_before.map_or_else(OnceLock::new, OnceLock::from),
            relative: lines_before.is_none(),
            until_progress: if counts.is_some() && lines_before.is_some() {
                PROGRESS_EVERY
            } else {
                u32::MAX
            },
            counts,
            offset,
            error: None,
        }
    }

    /// Publishes how far the parse has come, so that a block after this one that needs its
    /// line count counts only the rest.
    #[cold]
    #[inline(never)]
    fn publish_progress(&mut self) {
        let counts = match &self.counts {
            Some(counts) if !self.relative => counts,
            _ => {
                self.until_progress = u32::MAX;
                return;
            }
        };
        self.until_progress = PROGRESS_EVERY;
        // After a line: every line read so far ended with a line feed.
        let read = self.parser.position();
        if read == 0 || self.input.get(read - 1) != Some(&b'\n') {
            return;
        }
        let lines = self.parser.lines_read() - self.lines_before();
        if let Some(p) = progress(read, lines) {
            counts.advance(self.index, p);
        }
    }

    /// The lines before the block in the body (counted on first use with block-relative
    /// lines).
    fn lines_before(&self) -> u64 {
        *self.lines_before.get_or_init(|| {
            self.counts
                .as_ref()
                .map_or(0, |counts| counts.before(self.index))
        })
    }

    /// The block's position among the blocks (0-based).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The 1-based line number of the block's first line in the body. With
    /// [`Options::block_lines`] the lines before the block are counted on the first call
    /// (those of earlier blocks whose parse has not published them).
    pub fn first_line(&self) -> u64 {
        self.lines_before() + 1
    }

    /// The byte offset of the block's start in the body.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The block's text.
    pub fn input(&self) -> &'a [u8] {
        self.input
    }

    /// The number of lines in the block (blocks of a parallel parse, counted on the first call
    /// unless a parse published it; `None` when the body is parsed as one block): an upper
    /// bound on its items, to reserve space with.
    pub fn line_count(&self) -> Option<u64> {
        let counts = self.counts.as_ref()?;
        let ends_line = self.input.last() == Some(&b'\n');
        Some(counts.count(self.index) + u64::from(!ends_line))
    }

    /// How many of the block's lines were read so far.
    pub fn lines_read(&self) -> u64 {
        // The parser started at the lines before the block, or at 0 (block-relative).
        let start = if self.relative {
            0
        } else {
            self.lines_before()
        };
        self.parser.lines_read() - start
    }

    /// How many bad lines of this block were skipped so far (lenient mode).
    pub fn skipped_lines(&self) -> u64 {
        self.parser.skipped_lines()
    }

    /// Fail-fast mode: checks the lines `f` left unread; the block's first error wins.
    fn verdict<R>(self, r: R) -> Result<R, Error> {
        self.finish(r).0
    }

    /// [`BlockEvents::verdict`], and the block's line feeds when the parse read all of it
    /// (unread lines are not parsed in lenient mode).
    fn finish<R>(mut self, r: R) -> (Result<R, Error>, Option<u64>) {
        if !self.parser.settings().is_lenient() {
            while self.error.is_none() && self.next().is_some() {}
        }
        let lines = self.parser.finished().then(|| self.lines_read());
        match self.error {
            Some(e) => (Err(e), lines),
            None => (Ok(r), lines),
        }
    }
}

impl<'a> Iterator for BlockEvents<'a> {
    type Item = Result<Event<'a>, Error>;

    // Inlined into `f`'s loop like `Parser::next`: out of line, the event goes through memory
    // and a block parses about an eighth slower than the same lines through `Parser`.
    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        self.until_progress -= 1;
        if self.until_progress == 0 {
            self.publish_progress();
        }
        match self.parser.next() {
            Some(Err(mut e)) => {
                self.record(&mut e);
                Some(Err(e))
            }
            item => item,
        }
    }
}

impl BlockEvents<'_> {
    /// Gives a block-relative error the body's line number and, fail-fast, keeps the error
    /// that ends the block for [`BlockEvents::verdict`].
    #[cold]
    #[inline(never)]
    fn record(&mut self, e: &mut Error) {
        if self.relative {
            e.add_lines(self.lines_before());
        }
        if !self.parser.settings().is_lenient() {
            self.error = Some(e.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A block's line count taken from a published progress and the rest counted, for every
    /// line boundary of every block, equals the plain count; and a block's events publish
    /// progress that agrees with its bytes.
    #[test]
    fn counts_after_published_progress_are_exact() {
        let body: Vec<u8> = (0..300)
            .map(|i| match i % 4 {
                0 => format!("# TYPE m{i} counter\n"),
                1 => "\n".to_string(),
                _ => format!("m{i}{{a=\"{}\"}} {i}\n", "x".repeat(i % 7)),
            })
            .flat_map(String::into_bytes)
            .collect();
        let bounds = split(&body, 700);
        assert!(bounds.len() > 3);
        let plain = |(s, e): (usize, usize)| memchr::memchr_iter(b'\n', &body[s..e]).count();
        for (index, &(start, end)) in bounds.iter().enumerate() {
            let block = &body[start..end];
            for read in std::iter::once(0).chain(memchr::memchr_iter(b'\n', block).map(|i| i + 1)) {
                let lines = LineCounts::new(&body, bounds.clone());
                let before = block[..read].iter().filter(|&&b| b == b'\n').count() as u64;
                lines.advance(index, progress(read, before).expect("small"));
                assert_eq!(lines.count(index), plain((start, end)) as u64);
            }
        }
        // What the events publish, read by a block after them before the parse ends.
        for index in 0..bounds.len() - 1 {
            let lines = Arc::new(LineCounts::new(&body, bounds.clone()));
            let (start, end) = bounds[index];
            let before = lines.before(index);
            let mut block = BlockEvents::new(
                &body[start..end],
                Settings::default(),
                index,
                Some(before),
                start as u64,
                Some(Arc::clone(&lines)),
            );
            let mut published = 0;
            for _ in block.by_ref().take(2 * PROGRESS_EVERY as usize + 3) {
                let p = lines.progress[index].0.load(Ordering::Relaxed);
                let read = (p >> 32) as usize;
                assert_eq!(
                    p & u64::from(u32::MAX),
                    memchr::memchr_iter(b'\n', &body[start..start + read]).count() as u64
                );
                published = published.max(read);
            }
            assert!(published > 0, "block {index} published no progress");
            assert_eq!(lines.count(index), plain((start, end)) as u64);
        }
    }
}
