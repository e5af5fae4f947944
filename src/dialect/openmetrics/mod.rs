//! OpenMetrics 1.0 text: one line → one event, plus the little state the dialect needs
//! across lines (`# EOF` seen, the strict validator).
//!
//! The grammar follows Prometheus' OpenMetrics lexer (`model/textparse/openmetricslex.l`):
//! exactly one space between tokens, no blank or other comment lines, float-second
//! timestamps, exemplars. Error messages use its wording: `expected <what>, got "<token>"
//! ("<TOKEN>") while parsing: "<line up to the token>"`. Under [`Validation::Strict`] the
//! leniencies of Prometheus' parser (a trailing comma in a label set, duplicate label names)
//! are errors and every event also goes through the per-family [`validate::Validator`].

pub(crate) mod validate;

use crate::dialect::prometheus::{DupCheck, Substituted, enclosing_quotes, value_error};
use crate::error::{ErrorKind, LineError};
use crate::event::{Eof, Event, HelpLine, MetricType, Sample, TypeLine, UnitLine};
use crate::event::{SampleParts, Span};
use crate::go::parse_value;
use crate::go::quote_bounded as go_quote;
use crate::lex::scan::{
    hash_unescaped, is_label_start, is_metric_start, label_name_end, metric_name_end, name_hash,
    scan_quoted,
};
use crate::settings::{Dialect, Settings, Validation};

use validate::Validator;

/// The OpenMetrics state a parser carries across lines.
#[derive(Debug)]
pub(crate) struct OmState {
    active: bool,
    eof_seen: bool,
    /// The error Prometheus reports at the start of the next line (see [`OmState::gap`]).
    pending: Option<Pending>,
    lenient: bool,
    strict: bool,
    check_dups: bool,
    dups: DupCheck,
    validator: Option<Box<Validator>>,
    /// The label limits, checked in [`label_set`] (series only).
    pub(crate) limits: crate::dialect::limits::LimitCheck,
}

impl OmState {
    /// The state [`label_set`] needs, for another dialect's lines (OpenMetrics 2.0).
    pub(crate) fn for_labels(strict: bool, check_dups: bool, settings: &Settings) -> Self {
        OmState {
            active: false,
            eof_seen: false,
            pending: None,
            lenient: false,
            strict,
            check_dups,
            dups: DupCheck::default(),
            validator: None,
            limits: limit_check(settings),
        }
    }

    pub(crate) fn new(settings: &Settings) -> Self {
        let active = settings.dialect == Dialect::OpenMetrics;
        let strict = active && settings.validation == Validation::Strict;
        OmState {
            active,
            eof_seen: false,
            pending: None,
            lenient: settings.lenient,
            strict,
            check_dups: strict || !settings.allow_duplicate_labels,
            dups: DupCheck::default(),
            validator: strict.then(|| Box::new(Validator::new())),
            limits: limit_check(settings),
        }
    }

    /// Parses one line (without its line feed) and validates the event. Always `Some` event
    /// on success (the `Option` is the shape the front ends take, built in place).
    #[inline]
    pub(crate) fn line<'a>(
        &mut self,
        line: &'a str,
        line_no: u64,
        offset: u64,
        has_backslash: bool,
    ) -> Result<Option<Event<'a>>, LineError> {
        if self.eof_seen || self.pending.is_some() {
            return Err(self.cold_start(line.as_bytes()));
        }
        let result = match parse_line(line, line_no, offset, has_backslash, self) {
            Err(e) if self.limits.recheck(&e) => crate::dialect::limits::LimitCheck::without(
                self,
                |st| &mut st.limits,
                |st| parse_line(line, line_no, offset, has_backslash, st),
            ),
            r => r,
        };
        if let Ok(Some(ev)) = &result {
            if matches!(ev, Event::Eof(_)) {
                self.eof_seen = true;
            }
            if let Some(v) = self.validator.as_deref_mut() {
                v.event(ev)?;
            }
        }
        result
    }

    /// The error for a line that is not valid UTF-8 (`bytes[bad]` is the first bad byte).
    #[cold]
    pub(crate) fn invalid_utf8(&mut self, bytes: &[u8], bad: usize) -> LineError {
        if self.eof_seen || self.pending.is_some() {
            return self.cold_start(bytes);
        }
        // The copy keeps every byte offset and every verdict (see `Substituted`).
        let sub = Substituted::new(bytes);
        let syntax = parse_line(&sub.text, 0, 0, true, self)
            .err()
            .map(|e| sub.restore(e));
        // A gap left pending by the copy belongs to no line.
        self.pending = None;
        let open = enclosing_quotes(bytes, bad).map_or(bad, |(open, _)| open);
        if let Some(e) = &syntax {
            if e.col < open {
                return syntax.unwrap_or_else(|| unreachable_error(bad));
            }
        }
        if bytes.starts_with(b"# HELP ") {
            if let Some(text) = help_text(bytes) {
                return LineError::new(
                    ErrorKind::InvalidUtf8,
                    bad,
                    format!("help text {} is not a valid utf8 string", go_quote(text)),
                );
            }
        }
        if let Some((open, close)) = enclosing_quotes(bytes, bad) {
            return LineError::new(
                ErrorKind::InvalidUtf8,
                bad,
                format!(
                    "invalid UTF-8 label value: {}",
                    go_quote(&bytes[open..close.min(bytes.len())])
                ),
            );
        }
        match syntax {
            Some(e) if e.col == bad => e,
            _ => LineError::new(ErrorKind::InvalidUtf8, bad, "invalid UTF-8 in line"),
        }
    }

    /// The error for a line after `# EOF`, or the one left pending by the line before.
    #[cold]
    fn cold_start(&mut self, next: &[u8]) -> LineError {
        match self.pending.take() {
            Some(p) => p.error(Some(next)),
            None => after_eof(),
        }
    }

    /// A sample line whose value is followed by a space and then a space or the line's end
    /// (`a 1 `, `a 1  2`): Prometheus' lexer finds no token there, and its parser, which has
    /// no case for that, returns the sample; the next token (the line feed, or what follows
    /// the second space) then fails as `expected a valid start token`. So the sample is
    /// returned here and that error comes with the next line (or at the end of input).
    /// Lenient parsers report it on this line instead, so that no other line is lost.
    #[cold]
    fn gap(&mut self, line: &str, space: usize) -> Result<(), LineError> {
        let b = line.as_bytes();
        let p = if space + 1 >= b.len() {
            Pending::Linebreak
        } else {
            // The lexer restarts at the second space, in the timestamp state.
            let start = space + 1;
            let (tok, stop) = match (b.get(start + 1), b.get(start + 2), b.get(start + 3)) {
                (None | Some(b' '), _, _) => ("INVALID", start + 1),
                (Some(b'#'), Some(b' '), Some(b'{')) => ("COMMENT", start + 4),
                _ => (
                    "TIMESTAMP",
                    memchr::memchr(b' ', &b[start + 1..]).map_or(b.len(), |n| start + 1 + n),
                ),
            };
            let seen = span(b, start, stop);
            Pending::Ready(LineError::new(
                ErrorKind::Syntax,
                start,
                format!(
                    "expected a valid start token, got {} (\"{tok}\") while parsing: {}",
                    go_quote(&seen),
                    go_quote(&seen)
                ),
            ))
        };
        if self.lenient {
            return Err(p.error(None));
        }
        self.pending = Some(p);
        Ok(())
    }

    /// End-of-input check: the exposition must have ended with `# EOF`.
    pub(crate) fn finish(&mut self) -> Option<LineError> {
        if let Some(p) = self.pending.take() {
            return Some(p.error(None));
        }
        (self.active && !self.eof_seen)
            .then(|| LineError::new(ErrorKind::MissingEof, 0, "data does not end with # EOF"))
    }
}

/// An error Prometheus reports one token after the line that caused it.
#[derive(Debug)]
enum Pending {
    /// The line feed after `a 1 `: its message shows the byte after it.
    Linebreak,
    Ready(LineError),
}

impl Pending {
    /// The error, given the next line (`None`: the end of input, or not known).
    fn error(self, next: Option<&[u8]>) -> LineError {
        match self {
            Pending::Ready(e) => e,
            Pending::Linebreak => {
                let mut seen = vec![b'\n'];
                if let Some(n) = next {
                    seen.push(n.first().copied().unwrap_or(b'\n'));
                }
                LineError::new(
                    ErrorKind::Syntax,
                    0,
                    format!(
                        "expected a valid start token, got {} (\"LINEBREAK\") while parsing: {}",
                        go_quote(&seen),
                        go_quote(&seen)
                    ),
                )
            }
        }
    }
}

pub(crate) fn after_eof() -> LineError {
    LineError::new(ErrorKind::DataAfterEof, 0, "unexpected data after # EOF")
}

fn unreachable_error(col: usize) -> LineError {
    LineError::new(ErrorKind::Syntax, col, "invalid line")
}

/// The raw HELP text of a `# HELP name text` line given as bytes.
fn help_text(b: &[u8]) -> Option<&[u8]> {
    let i = 7;
    let end = if b.get(i) == Some(&b'"') {
        scan_quoted(b, i, true)?.end + 1
    } else {
        metric_name_end(b, i)
    };
    (b.get(end) == Some(&b' ')).then(|| &b[end + 1..])
}

/// The lexer's view of `b[start..=last]`: an index at the end of the line is its line feed.
fn span(b: &[u8], start: usize, last: usize) -> Vec<u8> {
    let start = start.min(b.len());
    let mut v = b[start..(last + 1).min(b.len())].to_vec();
    if last >= b.len() {
        v.push(b'\n');
    }
    v
}

/// `expected <what>, got "<b[start..=last]>" ("<tok>") while parsing: "<b[..=last]>"`.
///
/// For a byte no lexer rule accepts, `start..=last` runs from the token start to that byte
/// (tok `INVALID`); for a valid token in the wrong place it is the token plus the byte after
/// it, as Prometheus prints them.
pub(crate) fn unexpected(
    what: &str,
    line: &str,
    start: usize,
    last: usize,
    tok: &str,
) -> LineError {
    let b = line.as_bytes();
    LineError::new(
        ErrorKind::Syntax,
        last.min(b.len()),
        format!(
            "{what}, got {} (\"{tok}\") while parsing: {}",
            go_quote(&span(b, start, last)),
            go_quote(&span(b, 0, last))
        ),
    )
}

/// The token at `i` inside a label set, reported as unexpected there.
pub(crate) fn unexpected_label_token(what: &str, line: &str, i: usize) -> LineError {
    let b = line.as_bytes();
    if i >= b.len() {
        return unexpected(what, line, i, i, "INVALID");
    }
    let (tok, end) = match b[i] {
        b',' => ("COMMA", i + 1),
        b'=' => ("EQUAL", i + 1),
        b'}' => ("BCLOSE", i + 1),
        b'"' => match scan_quoted(b, i, true) {
            Some(q) => ("QSTRING", q.end + 1),
            None => return unexpected(what, line, i, b.len(), "INVALID"),
        },
        c if is_label_start(c) => ("LNAME", label_name_end(b, i)),
        _ => return unexpected(what, line, i, i, "INVALID"),
    };
    unexpected(what, line, i, end, tok)
}

/// The token after a value or timestamp at `i` (`b[i]` is a space) that is neither a
/// timestamp nor an exemplar where one of them was expected.
fn unexpected_after(what: &str, line: &str, i: usize) -> LineError {
    let b = line.as_bytes();
    if i + 1 < b.len() && b[i + 1] != b' ' {
        let end = memchr::memchr(b' ', &b[i + 1..]).map_or(b.len(), |n| i + 1 + n);
        return unexpected(what, line, i, end, "TIMESTAMP");
    }
    unexpected(what, line, i, i + 1, "INVALID")
}

/// A `# TYPE` line's event from its type word (OpenMetrics' words; 1.0 and 2.0 alike), or
/// Prometheus' error for an unknown one at column `at`.
pub(crate) fn type_event<'a>(
    name: &'a str,
    word: &str,
    at: usize,
    line_no: u64,
) -> Result<Event<'a>, LineError> {
    match MetricType::from_openmetrics(word) {
        Some(metric_type) => Ok(Event::Type(TypeLine {
            name,
            metric_type,
            line: line_no,
        })),
        None => Err(LineError::new(
            ErrorKind::InvalidType,
            at,
            format!("invalid metric type {}", go_quote(word.as_bytes())),
        )),
    }
}

/// Parses one OpenMetrics line; `has_backslash` may be conservatively true.
#[inline]
pub(crate) fn parse_line<'a>(
    line: &'a str,
    line_no: u64,
    offset: u64,
    has_backslash: bool,
    st: &mut OmState,
) -> Result<Option<Event<'a>>, LineError> {
    let b = line.as_bytes();
    match b.first() {
        Some(&c) if is_metric_start(c) || c == b'{' => {
            sample(line, line_no, offset, has_backslash, st)
        }
        Some(b'#') => meta(line, line_no).map(Some),
        _ => Err(unexpected(
            "expected a valid start token",
            line,
            0,
            0,
            "INVALID",
        )),
    }
}

const KEYWORDS: [&[u8]; 4] = [b"HELP ", b"TYPE ", b"UNIT ", b"EOF"];

fn meta(line: &str, line_no: u64) -> Result<Event<'_>, LineError> {
    let b = line.as_bytes();
    if b.get(1) != Some(&b' ') {
        return Err(unexpected(
            "expected a valid start token",
            line,
            0,
            1,
            "INVALID",
        ));
    }
    let rest = &b[2..];
    let Some(kw) = KEYWORDS.iter().position(|k| rest.starts_with(k)) else {
        // The lexer fails at the first byte that no keyword continues with.
        let matched = KEYWORDS
            .iter()
            .map(|k| k.iter().zip(rest).take_while(|(x, y)| x == y).count())
            .max()
            .unwrap_or(0);
        return Err(unexpected(
            "expected a valid start token",
            line,
            0,
            2 + matched,
            "INVALID",
        ));
    };
    if kw == 3 {
        if rest.len() == 3 {
            return Ok(Event::Eof(Eof { line: line_no }));
        }
        return Err(LineError::new(
            ErrorKind::DataAfterEof,
            5,
            "unexpected data after # EOF",
        ));
    }
    let keyword = ["HELP", "TYPE", "UNIT"][kw];
    let i = 7;
    let (name, name_end) = match b.get(i) {
        Some(b'"') => match scan_quoted(b, i, true) {
            Some(q) => (&line[q.start..q.end], q.end + 1),
            None => {
                return Err(unexpected(
                    &format!("expected metric name after {keyword}"),
                    line,
                    i,
                    b.len(),
                    "INVALID",
                ));
            }
        },
        Some(&c) if is_metric_start(c) => {
            let end = metric_name_end(b, i + 1);
            (&line[i..end], end)
        }
        _ => {
            return Err(unexpected(
                &format!("expected metric name after {keyword}"),
                line,
                i,
                i,
                "INVALID",
            ));
        }
    };
    if b.get(name_end) != Some(&b' ') {
        return Err(LineError::new(
            ErrorKind::Syntax,
            name_end,
            format!("expected text in {keyword}"),
        ));
    }
    let text = &line[name_end + 1..];
    match kw {
        0 => Ok(Event::Help(HelpLine {
            name,
            raw_text: text,
            line: line_no,
            openmetrics: true,
        })),
        1 => type_event(name, text, name_end + 1, line_no),
        _ => {
            if !unit_is_suffix(name, text) {
                return Err(LineError::new(
                    ErrorKind::InvalidUnit,
                    name_end + 1,
                    format!(
                        "unit {} not a suffix of metric {}",
                        go_quote(text.as_bytes()),
                        go_quote(name.as_bytes())
                    ),
                ));
            }
            Ok(Event::Unit(UnitLine {
                name,
                unit: text,
                line: line_no,
            }))
        }
    }
}

/// An empty unit, or one the family name ends with after an underscore.
pub(crate) fn unit_is_suffix(name: &str, unit: &str) -> bool {
    unit.is_empty()
        || (name.len() > unit.len()
            && name.ends_with(unit)
            && name.as_bytes()[name.len() - unit.len() - 1] == b'_')
}

/// The series part of a sample line (OpenMetrics 1.0 and 2.0).
pub(crate) struct SeriesHead<'a> {
    /// The metric name: before the braces, or quoted inside them (raw).
    pub name: &'a str,
    /// Whether the quoted name holds escapes.
    pub name_escaped: bool,
    /// The text inside the braces (empty range without braces).
    pub labels: (usize, usize),
    /// Where the series ends: after the name, or after `}`.
    pub end: usize,
}

/// Reads a sample line's metric name and label set (checked by [`label_set`] against `st`).
#[inline]
pub(crate) fn series_head<'a>(
    line: &'a str,
    has_backslash: bool,
    st: &mut OmState,
) -> Result<SeriesHead<'a>, LineError> {
    let b = line.as_bytes();
    let mut name: Option<(&'a str, bool)> = None;
    let mut i = 0;
    if b[0] != b'{' {
        i = metric_name_end(b, 1);
        name = Some((&line[..i], false));
    }
    let mut labels = (i, i);
    if b.get(i) == Some(&b'{') {
        let close = label_set(line, i, has_backslash, &mut name, st, false)?;
        labels = (i + 1, close);
        i = close + 1;
    }
    let Some((name, name_escaped)) = name else {
        return Err(LineError::new(
            ErrorKind::MetricNameNotSet,
            0,
            format!(
                "metric name not set while parsing: {}",
                go_quote(&b[..i.min(b.len())])
            ),
        ));
    };
    Ok(SeriesHead {
        name,
        name_escaped,
        labels,
        end: i,
    })
}

#[inline]
fn sample<'a>(
    line: &'a str,
    line_no: u64,
    offset: u64,
    has_backslash: bool,
    st: &mut OmState,
) -> Result<Option<Event<'a>>, LineError> {
    let b = line.as_bytes();
    let SeriesHead {
        name,
        name_escaped,
        labels,
        end: series_end,
    } = series_head(line, has_backslash, st)?;
    let labels = &line[labels.0..labels.1];
    let i = series_end;
    // The value: one space, then anything up to the next space.
    if b.get(i) != Some(&b' ') {
        // After `}` the lexer is in sValue, where `{` is a token (BOPEN).
        let (last, tok) = if b.get(i) == Some(&b'{') {
            (i + 1, "BOPEN")
        } else {
            (i, "INVALID")
        };
        return Err(unexpected(
            "expected value after metric",
            line,
            i,
            last,
            tok,
        ));
    }
    let vstart = i + 1;
    let vend = memchr::memchr(b' ', &b[vstart..]).map_or(b.len(), |n| vstart + n);
    if vend == vstart {
        return Err(unexpected(
            "expected value after metric",
            line,
            i,
            vstart,
            "INVALID",
        ));
    }
    let value_text = &line[vstart..vend];
    let value = parse_value(value_text).map_err(|e| value_error(e, line, vstart, vend))?;
    let mut timestamp_ms = None;
    let mut timestamp_text = None;
    let mut exemplar = None;
    let mut i = vend;
    let mut gap = None;
    if i < b.len() {
        if i + 1 >= b.len() || b[i + 1] == b' ' {
            gap = Some(i);
        } else if !b[i..].starts_with(b" # {") {
            let tstart = i + 1;
            let tend = memchr::memchr(b' ', &b[tstart..]).map_or(b.len(), |n| tstart + n);
            let ts = timestamp(
                line,
                tstart,
                tend,
                "invalid timestamp",
                ErrorKind::InvalidTimestamp,
            )?;
            timestamp_ms = Some(seconds_to_ms(ts));
            timestamp_text = Some(&line[tstart..tend]);
            i = tend;
            if i < b.len() && !b[i..].starts_with(b" # {") {
                return Err(unexpected_after(
                    "expected next entry after timestamp",
                    line,
                    i,
                ));
            }
        }
        if i < b.len() && gap.is_none() {
            // Validated here; `Sample::exemplar` decodes the text when asked.
            parse_exemplar(line, i + 3, has_backslash, st)?;
            exemplar = Some(Span::new(i + 3, b.len()));
        }
    }
    let parts = SampleParts {
        name: Span::of(line, name),
        name_escaped,
        labels: Span::of(line, labels),
        // Exact, so that every front end gives equal events whatever it knew of backslashes.
        labels_escaped: has_backslash && memchr::memchr(b'\\', labels.as_bytes()).is_some(),
        labels_tight: false,
        value,
        value_text: Span::of(line, value_text),
        timestamp_ms,
        timestamp_text: timestamp_text.map(|t| Span::of(line, t)),
        series: Span::new(0, series_end),
        exemplar,
    };
    if let Some(space) = gap {
        st.gap(line, space)?;
    }
    Ok(Some(Event::Sample(Sample::new(
        line, parts, line_no, offset,
    ))))
}

/// `int64(ts * 1000)` as Prometheus converts float seconds (truncating toward zero), with
/// milliseconds beyond the int64 range saturated to `i64::MAX` / `i64::MIN`.
///
/// Go leaves an out-of-range conversion to the platform (amd64 gives `MinInt64` in both
/// directions, so Prometheus stores such a sample at the most negative timestamp). promtext
/// saturates instead (a deliberate deviation): the line is valid OpenMetrics (the official
/// suite's `timestamps` case has `12345678901234567890.1234567890`), so it is not rejected,
/// and the sign of the timestamp is kept.
#[inline]
pub(crate) fn seconds_to_ms(ts: f64) -> i64 {
    // Rust's float-to-int `as` truncates toward zero in range and saturates outside it.
    (ts * 1000.0) as i64
}

/// Parses the float-seconds timestamp `line[start..end]`; NaN and infinities are rejected.
pub(crate) fn timestamp(
    line: &str,
    start: usize,
    end: usize,
    what: &str,
    kind: ErrorKind,
) -> Result<f64, LineError> {
    let ts = parse_value(&line[start..end]).map_err(|e| {
        let mut err = value_error(e, line, start, end);
        err.kind = kind;
        err
    })?;
    if ts.is_finite() {
        return Ok(ts);
    }
    let shown = if ts.is_nan() {
        "NaN"
    } else if ts > 0.0 {
        "+Inf"
    } else {
        "-Inf"
    };
    Err(LineError::new(kind, start, format!("{what} {shown}")))
}

/// The exemplar whose `{` is at `open` (after ` # `).
fn parse_exemplar(
    line: &str,
    open: usize,
    has_backslash: bool,
    st: &mut OmState,
) -> Result<(), LineError> {
    let b = line.as_bytes();
    let close = label_set(line, open, has_backslash, &mut None, st, true)?;
    let i = close + 1;
    let bad_value = |last| {
        unexpected(
            "expected value after exemplar labels",
            line,
            i,
            last,
            "INVALID",
        )
    };
    if b.get(i) != Some(&b' ') {
        return Err(bad_value(i));
    }
    let vstart = i + 1;
    let vend = memchr::memchr(b' ', &b[vstart..]).map_or(b.len(), |n| vstart + n);
    if vend == vstart {
        return Err(bad_value(vstart));
    }
    let value_text = &line[vstart..vend];
    let value = parse_value(value_text).map_err(|e| {
        let mut err = value_error(e, line, vstart, vend);
        err.kind = ErrorKind::InvalidExemplar;
        err
    })?;
    let mut ts = None;
    let mut ts_text = None;
    if vend < b.len() {
        if vend + 1 >= b.len() || b[vend + 1] == b' ' {
            return Err(unexpected(
                "expected timestamp or comment",
                line,
                vend,
                vend + 1,
                "INVALID",
            ));
        }
        let tstart = vend + 1;
        let tend = memchr::memchr(b' ', &b[tstart..]).map_or(b.len(), |n| tstart + n);
        ts = Some(timestamp(
            line,
            tstart,
            tend,
            "invalid exemplar timestamp",
            ErrorKind::InvalidExemplar,
        )?);
        ts_text = Some(&line[tstart..tend]);
        if tend < b.len() {
            return Err(unexpected_after(
                "expected next entry after exemplar timestamp",
                line,
                tend,
            ));
        }
    }
    let _ = (value, value_text, ts, ts_text);
    Ok(())
}

/// Validates the label set whose `{` is at `open`; returns the index of its `}`.
///
/// In a series a quoted string followed by `,` or `}` is the metric name (Prometheus'
/// extension); in an exemplar it is an error.
#[inline]
pub(crate) fn label_set<'a>(
    line: &'a str,
    open: usize,
    has_backslash: bool,
    name: &mut Option<(&'a str, bool)>,
    st: &mut OmState,
    exemplar: bool,
) -> Result<usize, LineError> {
    let b = line.as_bytes();
    let check_dups = st.check_dups && !exemplar;
    if check_dups {
        st.dups.clear();
    }
    let mut i = open + 1;
    let mut after_comma = false;
    // Non-empty labels, for the label limit.
    let mut limit_count = 0usize;
    loop {
        let Some(&c) = b.get(i) else {
            return Err(unexpected("expected label name", line, i, i, "INVALID"));
        };
        if c == b'}' {
            if after_comma && st.strict {
                return Err(LineError::new(
                    ErrorKind::Syntax,
                    i,
                    format!(
                        "trailing comma in label set (OpenMetrics allows none) while parsing: {}",
                        go_quote(&b[..=i])
                    ),
                ));
            }
            return Ok(i);
        }
        let (nstart, nend, escaped, quoted);
        if c == b'"' {
            let Some(q) = scan_quoted(b, i, has_backslash) else {
                return Err(unexpected(
                    "expected label name",
                    line,
                    i,
                    b.len(),
                    "INVALID",
                ));
            };
            (nstart, nend, escaped, quoted) = (q.start, q.end, q.escaped, true);
            i = q.end + 1;
        } else if is_label_start(c) {
            let end = label_name_end(b, i);
            (nstart, nend, escaped, quoted) = (i, end, false, false);
            i = end;
        } else {
            return Err(unexpected_label_token("expected label name", line, i));
        }
        match b.get(i) {
            Some(b'=') => {}
            Some(&t @ (b',' | b'}')) => {
                // Prometheus' order (`parseLVals`): only a quoted string can be a name here;
                // an exemplar has none; a series has at most one.
                if !quoted {
                    return Err(unexpected_label_token("expected equal", line, i));
                }
                if exemplar {
                    return Err(unexpected_label_token("expected label name", line, i));
                }
                if name.is_some() {
                    return Err(LineError::new(
                        ErrorKind::MetricNameAlreadySet,
                        nstart.saturating_sub(1),
                        format!(
                            "metric name already set while parsing: {}",
                            go_quote(&b[..=i])
                        ),
                    ));
                }
                *name = Some((&line[nstart..nend], escaped));
                if t == b'}' {
                    return Ok(i);
                }
                i += 1;
                after_comma = true;
                continue;
            }
            _ => return Err(unexpected_label_token("expected equal", line, i)),
        }
        if check_dups {
            let hash = if escaped {
                hash_unescaped(&b[nstart..nend])
            } else {
                name_hash(&b[nstart..nend])
            };
            if st.dups.insert(b, nstart, nend, hash, escaped) {
                return Err(duplicate(line, nstart, nend, escaped));
            }
        }
        i += 1;
        if b.get(i) != Some(&b'"') {
            return Err(unexpected("expected label value", line, i, i, "INVALID"));
        }
        let Some(q) = scan_quoted(b, i, has_backslash) else {
            return Err(unexpected(
                "expected label value",
                line,
                i,
                b.len(),
                "INVALID",
            ));
        };
        if st.limits.on && !exemplar {
            let (n, v) = (&b[nstart..nend], &b[q.start..q.end]);
            if let Some(over) = st.limits.label(&mut limit_count, n, v) {
                let metric = name.map_or(std::borrow::Cow::Borrowed(""), |(m, escaped)| {
                    if escaped {
                        crate::lex::escape::unescape_label_value(m)
                    } else {
                        std::borrow::Cow::Borrowed(m)
                    }
                });
                return Err(st.limits.error(over, nstart, &metric, n, v, true));
            }
        }
        i = q.end + 1;
        match b.get(i) {
            Some(b',') => {
                i += 1;
                after_comma = true;
            }
            Some(b'}') => return Ok(i),
            _ => {
                return Err(unexpected_label_token(
                    "expected comma or brace close",
                    line,
                    i,
                ));
            }
        }
    }
}

fn limit_check(settings: &Settings) -> crate::dialect::limits::LimitCheck {
    crate::dialect::limits::LimitCheck::new(settings.label_limits, settings.limits_recheck)
}

fn duplicate(line: &str, start: usize, end: usize, escaped: bool) -> LineError {
    let raw = &line[start..end];
    let name = if escaped {
        crate::lex::escape::unescape_label_value(raw)
    } else {
        std::borrow::Cow::Borrowed(raw)
    };
    LineError::new(
        ErrorKind::DuplicateLabel,
        start,
        format!("label name {} is not unique", go_quote(name.as_bytes())),
    )
}
