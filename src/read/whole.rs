//! The pull parser over a complete body.

use super::core::{Core, Segment};
use crate::error::Error;
use crate::event::Event;
use crate::settings::Settings;

/// A pull parser over a complete body: an [`Iterator`] of events borrowed from the input.
///
/// In the default mode iteration stops after the first error; with
/// [`Settings::lenient`] every bad line is reported and skipped.
///
/// ```
/// use promtext::Event;
/// let body = "# TYPE envoy_server_live gauge\nenvoy_server_live{} 1\n";
/// let mut samples = 0;
/// for event in promtext::parse_str(body) {
///     match event? {
///         Event::Type(t) => assert_eq!(t.name, "envoy_server_live"),
///         Event::Sample(s) => { samples += 1; assert_eq!(s.value(), 1.0); assert_eq!(s.labels().count(), 0) }
///         _ => {}
///     }
/// }
/// assert_eq!(samples, 1);
/// # Ok::<(), promtext::Error>(())
/// ```
#[derive(Debug)]
pub struct Parser<'a> {
    input: Segment<'a>,
    pos: usize,
    /// Global offset of `input[0]` (non-zero for a block of a larger body).
    base: u64,
    core: Core,
    done: bool,
    /// An OpenMetrics 2.0 composite line whose remaining events come next.
    more: Option<&'a str>,
}

impl<'a> Parser<'a> {
    /// A parser over `input` with `settings`.
    pub fn new(input: &'a [u8], settings: Settings) -> Self {
        Parser::at(input, settings, 0, 0)
    }

    /// A parser over a block of a larger body that starts at a line boundary: `lines_before`
    /// lines and `base` bytes precede it, so events and errors carry the body's line numbers
    /// and offsets.
    pub(crate) fn at(input: &'a [u8], settings: Settings, lines_before: u64, base: u64) -> Self {
        let mut core = Core::new(settings);
        core.line_no = lines_before;
        Parser {
            input: Segment::new(input),
            pos: 0,
            base,
            core,
            done: false,
            more: None,
        }
    }

    /// How many bad lines were skipped (lenient mode).
    pub fn skipped_lines(&self) -> u64 {
        self.core.skipped
    }

    /// How many malformed exemplars were dropped (OpenMetrics 2.0, whose spec has a bad
    /// exemplar dropped rather than fail the exposition).
    ///
    /// ```
    /// use promtext::{Settings, parse_with};
    /// let body = b"a_total 1 # {id=\"x\"} 1 # {id=\"y\"} 2 1700000000\n# EOF\n";
    /// let mut p = parse_with(body, Settings::openmetrics2());
    /// let Some(Ok(promtext::Event::Series(s))) = p.next() else { unreachable!() };
    /// assert_eq!(s.exemplars().count(), 1); // the first has no timestamp
    /// assert!(p.all(|e| e.is_ok()));
    /// assert_eq!(p.dropped_exemplars(), 1);
    /// ```
    pub fn dropped_exemplars(&self) -> u64 {
        self.core.dropped_exemplars()
    }

    /// How many lines were read so far.
    pub fn lines_read(&self) -> u64 {
        self.core.line_no
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.core.settings
    }

    /// How far into its input the parser has read (the start of the next line).
    #[cfg(feature = "parallel")]
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// Whether every line of the input was read (and, fail-fast, none failed).
    #[cfg(feature = "parallel")]
    pub(crate) fn finished(&self) -> bool {
        self.done && !self.core.failed
    }
}

impl<'a> Iterator for Parser<'a> {
    type Item = Result<Event<'a>, Error>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(line) = self.more {
            if let Some(ev) = self.core.expand(line) {
                return Some(Ok(ev));
            }
            self.more = None;
        }
        loop {
            if self.done || self.core.failed {
                return None;
            }
            let input = self.input.bytes();
            let start = self.pos;
            if start >= input.len() {
                self.done = true;
                return self.core.finish(self.base + start as u64).map(Err);
            }
            let offset = self.base + start as u64;
            let mut end = 0;
            if let Some(ev) = self
                .core
                .fast_line(&mut self.input, start, offset, false, &mut end)
            {
                self.pos = (end + 1).min(input.len());
                return Some(Ok(ev));
            }
            let end = match self.input.next_line_feed(start) {
                Some(n) => {
                    self.pos = n + 1;
                    n
                }
                None => {
                    self.pos = input.len();
                    input.len()
                }
            };
            let (line, text, has_backslash) = self.input.line(start, end);
            if let Some(r) = self
                .core
                .line(line, text, has_backslash, self.base + start as u64)
            {
                self.more = self.core.expanding_text(line, text);
                return Some(r);
            }
        }
    }
}

/// Parses a complete body with the default settings.
pub fn parse(input: &[u8]) -> Parser<'_> {
    Parser::new(input, Settings::default())
}

/// Parses a complete body given as `&str` with the default settings.
pub fn parse_str(input: &str) -> Parser<'_> {
    Parser::new(input.as_bytes(), Settings::default())
}

/// Parses a complete body with `settings`.
pub fn parse_with(input: &[u8], settings: Settings) -> Parser<'_> {
    Parser::new(input, settings)
}
