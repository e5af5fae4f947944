//! The Prometheus text format (0.0.4 plus the 3.x quoted-name syntax): one line → one event.
//!
//! A pure function of the line and the settings: no I/O, and no state beyond the reusable
//! duplicate-label scratch. Verdicts follow the Prometheus server parser (`model/textparse`),
//! with the deviations documented in the crate docs.

use std::borrow::Cow;

use crate::error::{ErrorKind, LineError, go_quote};
use crate::event::{
    Comment, Event, HelpLine, INLINE_LABELS, MetricType, Sample, SampleParts, Span, TypeLine,
};
use crate::located::{Located, pack, unpack};
use crate::scan::{
    has_prefix_at, hash_unescaped, is_blank, is_label_start, is_metric_char, is_metric_start,
    label_name_end, metric_name_end, name_hash, scan_quoted, short_digits, skip_blanks,
};
use crate::value::{ValueError, parse_int_ms, parse_value};

/// Per-parser scratch and switches the line parsers need.
#[derive(Debug, Default)]
pub(crate) struct LineCtx {
    pub lenient: bool,
    pub allow_duplicate_labels: bool,
    pub dups: DupCheck,
    /// The previous sample's (valid) metric name: consecutive samples usually share it
    /// (histogram buckets, one counter per cluster), and a compare is cheaper than a scan.
    pub prev_name: Vec<u8>,
    /// The previous sample's `name{label=` prefix when it had that plain form (empty
    /// otherwise), so a repeat skips both name scans.
    pub prev_prefix: Vec<u8>,
    /// The length of the metric name at the start of `prev_prefix` (kept with the prefix:
    /// `prev_name` may have moved on after a line that failed).
    pub prev_prefix_name_len: usize,
    /// The search for the end of a label value on the one-pass path.
    pub value_end: ValueEnd,
    /// The structural index of a long label block on the one-pass path.
    pub index: crate::structural::LineIndex,
    /// The name checks of such a block.
    pub names: crate::structural::NameSeq,
    /// The last line checked through the index, whose first labels the next may repeat.
    pub prev_line: crate::structural::PrevLine,
}

/// Finds where a label value ends on the one-pass path: the first `"`, LF, `\` or byte above
/// 0x7f. Stopping at a backslash lets that path decline escaped values itself, so no separate
/// search of the body for backslashes is needed; stopping at a non-ASCII byte makes every line
/// it takes ASCII, so no UTF-8 check of those lines is needed either. Short values are
/// searched inline; longer ones go on with the CPU's widest searcher, chosen once per parser
/// instead of on every call (memchr's top-level functions dispatch through a function pointer
/// each time).
#[derive(Debug)]
pub(crate) struct ValueEnd {
    #[cfg(target_arch = "x86_64")]
    avx2: Option<memchr::arch::x86_64::avx2::memchr::Three>,
}

impl Default for ValueEnd {
    fn default() -> Self {
        ValueEnd {
            #[cfg(target_arch = "x86_64")]
            avx2: memchr::arch::x86_64::avx2::memchr::Three::new(b'"', b'\n', b'\\'),
        }
    }
}

impl ValueEnd {
    #[inline(always)]
    pub(crate) fn find(&self, haystack: &[u8]) -> Option<usize> {
        use wide::u8x16;
        // Label values are short (Envoy's cluster names 40–60 bytes): the first blocks of 16
        // inline, then the vector search with its call and set-up.
        let (quote, lf, backslash) = (u8x16::splat(b'"'), u8x16::splat(b'\n'), u8x16::splat(b'\\'));
        let mut i = 0;
        while i < 64 {
            let Some(block) = haystack.get(i..i + 16) else {
                break;
            };
            let v = u8x16::new(block.try_into().unwrap_or([0; 16]));
            // `| v`: a byte at or above 0x80 has its top bit set, so the search stops there
            // too (the one-pass path takes only ASCII lines).
            let hits = (v.simd_eq(quote) | v.simd_eq(lf) | v.simd_eq(backslash) | v).to_bitmask();
            if hits != 0 {
                return Some(i + hits.trailing_zeros() as usize);
            }
            i += 16;
        }
        let rest = &haystack[i..];
        #[cfg(target_arch = "x86_64")]
        let found = match &self.avx2 {
            Some(three) => three.find(rest),
            None => memchr::memchr3(b'"', b'\n', b'\\', rest),
        };
        #[cfg(not(target_arch = "x86_64"))]
        let found = memchr::memchr3(b'"', b'\n', b'\\', rest);
        // A value this long is rare: its bytes before the stop are checked on their own.
        let before = &rest[..found.unwrap_or(rest.len())];
        // `is_ascii` reads a word at a time; the position is wanted only when it fails.
        if !before.is_ascii() {
            return before.iter().position(|&c| !c.is_ascii()).map(|q| i + q);
        }
        found.map(|p| i + p)
    }
}

/// Duplicate label-name detection without per-sample allocation: a 256-bit Bloom filter over
/// name hashes, and a reused list of the names seen so far for the rare filter hit.
#[derive(Debug, Default)]
pub(crate) struct DupCheck {
    bloom: [u64; 4],
    seen: Vec<(u64, u32, u32, bool)>,
    /// For filter hits on lines with many labels (linear instead of quadratic).
    index: crate::dup_labels::DupIndex,
}

impl DupCheck {
    #[inline(always)]
    pub(crate) fn clear(&mut self) {
        self.bloom = [0; 4];
        self.seen.clear();
        // Istio's series have 20 to 30 labels: room for them from the first, so the list
        // does not grow (and allocate) with the label counts a body happens to have.
        if self.seen.capacity() == 0 {
            self.seen.reserve(64);
        }
        self.index.clear();
    }

    /// Records the name `line[start..end]` (raw; `escaped` when it is a quoted name holding a
    /// backslash) and reports whether an equal name was recorded before.
    #[inline(always)]
    pub(crate) fn insert(
        &mut self,
        line: &[u8],
        start: usize,
        end: usize,
        hash: u64,
        escaped: bool,
    ) -> bool {
        // The top bits: the multiply in `name_hash` mixes every input bit into them, while
        // its low bits see only the names' first bytes (Istio's share `source_`/`destination_`).
        let word = (hash >> 62) as usize;
        let mask = 1u64 << ((hash >> 56) & 63);
        let hit = self.bloom[word] & mask != 0;
        self.bloom[word] |= mask;
        let dup = hit && self.possible_dup(line, start, end, hash, escaped);
        self.seen.push((hash, start as u32, end as u32, escaped));
        dup
    }

    /// A filter hit: compare with the names seen so far (through the hash index once there are many).
    #[cold]
    fn possible_dup(
        &mut self,
        line: &[u8],
        start: usize,
        end: usize,
        hash: u64,
        escaped: bool,
    ) -> bool {
        if self.seen.len() >= crate::dup_labels::MIN_NAMES {
            return self.index.contains(line, &self.seen, start, end, escaped);
        }
        self.seen.iter().any(|&(h, s, e, esc)| {
            h == hash
                && names_equal(
                    &line[s as usize..e as usize],
                    esc,
                    &line[start..end],
                    escaped,
                )
        })
    }
}

#[inline(always)]
fn names_equal(a: &[u8], a_esc: bool, b: &[u8], b_esc: bool) -> bool {
    if !a_esc && !b_esc {
        return a == b;
    }
    names_equal_unescaped(a, b)
}

#[cold]
fn names_equal_unescaped(a: &[u8], b: &[u8]) -> bool {
    let mut x = Vec::with_capacity(a.len());
    crate::escape::for_each_unescaped(a, |c| x.push(c));
    let mut y = Vec::with_capacity(b.len());
    crate::escape::for_each_unescaped(b, |c| y.push(c));
    x == y
}

/// The token at `i`, for "got …" in messages: the end of line shows as `"\n"`.
fn token_at(line: &str, i: usize) -> (String, &'static str) {
    let b = line.as_bytes();
    if i >= b.len() {
        return (go_quote(b"\n"), "INVALID");
    }
    let c = b[i];
    if c == b',' {
        return (go_quote(b","), "COMMA");
    }
    if c.is_ascii_digit() {
        let mut j = i;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        return (go_quote(&b[i..j]), "TIMESTAMP");
    }
    let len = if c < 0x80 {
        1
    } else {
        line[i..].chars().next().map_or(1, char::len_utf8)
    };
    (go_quote(&b[i..(i + len).min(b.len())]), "INVALID")
}

/// `expected <what>, got "<tok>" ("<TYPE>") while parsing: "<line up to the token>"`.
pub(crate) fn expected(what: &str, line: &str, i: usize) -> LineError {
    let (tok, ty) = token_at(line, i);
    let b = line.as_bytes();
    let upto = if i >= b.len() {
        let mut v = b.to_vec();
        v.push(b'\n');
        go_quote(&v)
    } else {
        let len = if b[i] < 0x80 {
            1
        } else {
            line[i..].chars().next().map_or(1, char::len_utf8)
        };
        go_quote(&b[..(i + len).min(b.len())])
    };
    LineError::new(
        ErrorKind::Syntax,
        i,
        format!("expected {what}, got {tok} (\"{ty}\") while parsing: {upto}"),
    )
}

pub(crate) fn value_error(e: ValueError, line: &str, start: usize, end: usize) -> LineError {
    let text = &line.as_bytes()[start..end];
    let upto = go_quote(&line.as_bytes()[..end]);
    let msg = match e {
        ValueError::UnsupportedCharacter => {
            format!("unsupported character in float while parsing: {upto}")
        }
        ValueError::Syntax => {
            format!(
                "strconv.ParseFloat: parsing {}: invalid syntax while parsing: {upto}",
                go_quote(text)
            )
        }
        ValueError::OutOfRange => {
            format!(
                "strconv.ParseFloat: parsing {}: value out of range while parsing: {upto}",
                go_quote(text)
            )
        }
    };
    LineError::new(ErrorKind::InvalidValue, start, msg)
}

/// Parses one line (without its line feed). `None` for a blank line.
///
/// The shape (`Option<Result<Event, _>>`, the sample built as an `Event` in place) matches
/// what the parsers return, so a sample is not moved between differently laid out wrappers.
#[inline]
pub(crate) fn parse_line<'a>(
    line: &'a str,
    line_no: u64,
    offset: u64,
    has_backslash: bool,
    cx: &mut LineCtx,
) -> Option<Result<Event<'a>, LineError>> {
    let b = line.as_bytes();
    let i = skip_blanks(b, 0);
    if i == b.len() {
        return None;
    }
    if b[i] == b'#' {
        return Some(comment(line, i, line_no));
    }
    Some(sample(line, i, line_no, offset, has_backslash, cx))
}

fn comment(line: &str, hash: usize, line_no: u64) -> Result<Event<'_>, LineError> {
    let b = line.as_bytes();
    let kw = skip_blanks(b, hash + 1);
    let plain = || {
        Event::Comment(Comment {
            text: Cow::Borrowed(&line[hash + 1..]),
            line: line_no,
        })
    };
    if kw == hash + 1 || kw + 4 > b.len() {
        return Ok(plain());
    }
    let word = &b[kw..kw + 4];
    let is_help = word == b"HELP";
    if !(is_help || word == b"TYPE") || kw + 4 >= b.len() || !is_blank(b[kw + 4]) {
        return Ok(plain());
    }
    let keyword = if is_help { "HELP" } else { "TYPE" };
    let n = skip_blanks(b, kw + 4);
    let (name, name_end) = meta_name(line, n)
        .ok_or_else(|| expected(&format!("metric name after {keyword}"), line, n))?;
    // Prometheus drops exactly one separator after the name, whatever it is.
    let rest_start = if name_end < b.len() {
        name_end + line[name_end..].chars().next().map_or(1, char::len_utf8)
    } else {
        name_end
    };
    let rest = &line[rest_start..];
    if is_help {
        return Ok(Event::Help(HelpLine {
            name,
            raw_text: rest,
            line: line_no,
            openmetrics: false,
        }));
    }
    match MetricType::from_prometheus(rest) {
        Some(metric_type) if name_end < b.len() => Ok(Event::Type(TypeLine {
            name,
            metric_type,
            line: line_no,
        })),
        _ => Err(LineError::new(
            ErrorKind::InvalidType,
            rest_start.min(b.len()),
            format!("invalid metric type {}", go_quote(rest.as_bytes())),
        )),
    }
}

/// A metric name on a HELP/TYPE line: quoted (returned raw, quotes stripped) or legacy.
fn meta_name(line: &str, i: usize) -> Option<(&str, usize)> {
    let b = line.as_bytes();
    if i >= b.len() {
        return None;
    }
    if b[i] == b'"' {
        let q = scan_quoted(b, i, true)?;
        return Some((&line[q.start..q.end], q.end + 1));
    }
    if !is_metric_start(b[i]) {
        return None;
    }
    let end = metric_name_end(b, i + 1);
    Some((&line[i..end], end))
}

/// Where [`metric_name`] found a name's end.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NameSource {
    /// The line starts with the previous sample's `name{label=` prefix.
    Prefix,
    /// The line starts with the previous sample's metric name.
    PrevName,
    /// Scanned: the caller decides when to remember it in `cx.prev_name`.
    Scanned,
}

/// A metric name starting at `start` (a metric-start byte).
struct FoundName {
    end: usize,
    /// `(start, end)` of the first label's name when the prefix cache matched: known valid,
    /// and `end` is at its '='.
    first_label: Option<(usize, usize)>,
    source: NameSource,
}

/// The metric name at `start`, from the per-line caches when the line repeats the previous
/// sample's start (histogram buckets, one counter per cluster): a compare is cheaper than a
/// scan. Shared by the general and the one-pass sample paths.
#[inline(always)]
fn metric_name(b: &[u8], start: usize, cx: &LineCtx) -> FoundName {
    let prefix = &cx.prev_prefix;
    if !prefix.is_empty() && has_prefix_at(b, start, prefix) {
        let end = start + cx.prev_prefix_name_len;
        return FoundName {
            end,
            first_label: Some((end + 1, start + prefix.len() - 1)),
            source: NameSource::Prefix,
        };
    }
    let prev = &cx.prev_name;
    let (end, source) = if !prev.is_empty()
        && has_prefix_at(b, start, prev)
        && b.get(start + prev.len())
            .is_none_or(|&c| !is_metric_char(c))
    {
        (start + prev.len(), NameSource::PrevName)
    } else {
        (metric_name_end(b, start + 1), NameSource::Scanned)
    };
    FoundName {
        end,
        first_label: None,
        source,
    }
}

/// The run of ASCII digits at `i`: its end and its value (wrapping; the callers use it only
/// for runs of at most 19 digits, which are exact).
#[inline(always)]
fn leading_digits(b: &[u8], mut i: usize) -> (usize, u64) {
    let mut n: u64 = 0;
    while i < b.len() {
        let d = b[i].wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        n = n.wrapping_mul(10).wrapping_add(d as u64);
        i += 1;
    }
    (i, n)
}

#[inline]
fn sample<'a>(
    line: &'a str,
    start: usize,
    line_no: u64,
    offset: u64,
    has_backslash: bool,
    cx: &mut LineCtx,
) -> Result<Event<'a>, LineError> {
    let b = line.as_bytes();
    // (start, end, escaped) of the metric name.
    let mut name: Option<(usize, usize, bool)> = None;
    let mut i = start;
    // `Some((name start, name end))` of a first label already known valid from the cache.
    let mut first_label = None;
    if is_metric_start(b[i]) {
        let found = metric_name(b, i, cx);
        if found.source == NameSource::Scanned {
            cx.prev_name.clear();
            cx.prev_name.extend_from_slice(&b[i..found.end]);
        }
        first_label = found.first_label;
        let end = found.end;
        name = Some((i, end, false));
        i = skip_blanks(b, end);
    } else if b[i] != b'{' {
        return Err(expected("a valid start token", line, i));
    }
    let mut labels = Span::default();
    let mut labels_escaped = false;
    // No block is tight too, as the one-pass path builds it.
    let mut labels_tight = true;
    let mut inline = None;
    let mut series_end = name.map_or(start, |(s, e, _)| start + (e - s));
    if i < b.len() && b[i] == b'{' {
        let cached = first_label.is_some();
        let block = label_block(line, i, has_backslash, &mut name, first_label, cx)?;
        let (close, plain_first) = (block.close, block.plain_first);
        labels = Span::new(i + 1, close);
        labels_escaped = has_backslash && memchr::memchr(b'\\', &b[i + 1..close]).is_some();
        labels_tight = block.tight && !labels_escaped && name.is_some_and(|(s, _, _)| s < i);
        inline = Some((block.n_labels, block.inline));
        series_end = close + 1;
        if !cached {
            cx.prev_prefix.clear();
            if let (Some(eq), Some((s, e, _)), true) =
                (plain_first, name, is_metric_start(b[start]))
            {
                if i == start + (e - s) {
                    cx.prev_prefix.extend_from_slice(&b[start..=eq]);
                    cx.prev_prefix_name_len = e - s;
                }
            }
        }
        i = skip_blanks(b, close + 1);
    } else if first_label.is_none() {
        cx.prev_prefix.clear();
    }
    let Some((name_start, name_end, name_escaped)) = name else {
        return Err(LineError::new(
            ErrorKind::MetricNameNotSet,
            start,
            format!(
                "metric name not set while parsing: {}",
                go_quote(&b[..series_end])
            ),
        ));
    };
    // The value token: any run of bytes other than '{', blanks and the line end.
    // Fused with the common case of a plain integer of up to 19 digits ending the token,
    // which is exactly `parse_value`'s integer fast path.
    let vstart = i;
    let n;
    (i, n) = leading_digits(b, i);
    let value = if i > vstart && i - vstart <= 19 && (i == b.len() || is_blank(b[i])) {
        n as f64
    } else {
        while i < b.len() && !is_blank(b[i]) && b[i] != b'{' {
            i += 1;
        }
        if i == vstart {
            return Err(expected("value after metric", line, i));
        }
        parse_value(&line[vstart..i]).map_err(|e| value_error(e, line, vstart, i))?
    };
    let value_text = Span::new(vstart, i);
    let mut timestamp_ms = None;
    let mut timestamp_text = None;
    if i < b.len() {
        if b[i] == b'{' {
            return Err(expected("timestamp or new record", line, i));
        }
        i = skip_blanks(b, i);
        if i < b.len() {
            let tstart = i;
            if cx.lenient && (b[i] == b'-' || b[i] == b'+') {
                i += 1;
            }
            let dstart = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == dstart {
                return Err(expected(
                    "timestamp or new record",
                    line,
                    dstart.min(tstart.max(dstart)),
                ));
            }
            if i < b.len() && !is_blank(b[i]) {
                return Err(expected("next entry after timestamp", line, i));
            }
            let text = &line[tstart..i];
            let ts = parse_int_ms(text.as_bytes(), cx.lenient).map_err(|_| {
                LineError::new(
                    ErrorKind::InvalidTimestamp,
                    tstart,
                    format!(
                        "strconv.ParseInt: parsing {}: value out of range while parsing: {}",
                        go_quote(text.as_bytes()),
                        go_quote(&b[..i])
                    ),
                )
            })?;
            timestamp_ms = Some(ts);
            timestamp_text = Some(text);
            let after = skip_blanks(b, i);
            if after < b.len() {
                return Err(expected("next entry after timestamp", line, after));
            }
        }
    }
    let parts = SampleParts {
        name: Span::new(name_start, name_end),
        name_escaped,
        labels,
        labels_escaped,
        labels_tight,
        value,
        value_text,
        timestamp_ms,
        timestamp_text: timestamp_text.map(|t| Span::of(line, t)),
        series: Span::new(start, series_end),
        exemplar: None,
    };
    // No label block: zero labels, located (as the one-pass path does, so that both paths
    // build identical samples).
    let (n, spans) = inline.unwrap_or((0, [0; INLINE_LABELS]));
    // Located labels are plain slices of the line: not for escaped blocks.
    let located = if !labels_escaped && n <= INLINE_LABELS {
        // SAFETY: `label_block` records the spans of the first labels of `line` as `Located`
        // requires (see its comment where they are recorded), and `line` is the very `&str`
        // they index.
        #[allow(unsafe_code)]
        unsafe {
            Located::new(line, n, spans)
        }
    } else {
        Located::none(line)
    };
    Ok(Event::Sample(Sample::with_located(
        located, parts, line_no, offset,
    )))
}

/// What validating a label block found.
struct LabelBlock {
    /// Index of the closing `}`.
    close: usize,
    /// The '=' of the first label when the block starts with a plain `name=`.
    plain_first: Option<usize>,
    /// Labels in the block.
    n_labels: usize,
    /// Pre-located spans of the first labels, relative to the line (see `Located`).
    inline: [u64; INLINE_LABELS],
    /// Whether the block has the tight form (see `SampleParts::labels_tight`; escapes aside).
    tight: bool,
}

/// Validates the label block whose `{` is at `open`.
#[inline]
fn label_block(
    line: &str,
    open: usize,
    has_backslash: bool,
    name: &mut Option<(usize, usize, bool)>,
    mut known_first: Option<(usize, usize)>,
    cx: &mut LineCtx,
) -> Result<LabelBlock, LineError> {
    let b = line.as_bytes();
    let mut n_labels = 0usize;
    let mut inline = [0u64; INLINE_LABELS];
    // The '=' of the first label when the block starts with a plain `name=`, for the cache.
    let mut plain_first = None;
    let check_dups = !cx.allow_duplicate_labels;
    let mut tight = true;
    const SMALL: usize = 4;
    let mut small = [(0usize, 0usize, false); SMALL];
    let mut count = 0usize;
    let mut i = open + 1;
    loop {
        let (nstart, nend, escaped);
        if let Some((s0, e0)) = known_first.take() {
            // `name{label=` repeated from the previous sample: known valid.
            (nstart, nend, escaped) = (s0, e0, false);
            i = e0;
        } else {
            let at = i;
            i = skip_blanks(b, i);
            tight &= i == at;
            if i >= b.len() {
                return Err(expected("label name", line, i));
            }
            let c = b[i];
            if c == b'}' {
                return Ok(LabelBlock {
                    close: i,
                    plain_first,
                    n_labels,
                    inline,
                    tight,
                });
            }
            if c == b'"' {
                tight = false;
                let q = scan_quoted(b, i, has_backslash).ok_or_else(|| unterminated(line, i))?;
                let after = skip_blanks(b, q.end + 1);
                if after < b.len() && b[after] == b'=' {
                    nstart = q.start;
                    nend = q.end;
                    escaped = q.escaped;
                    i = after;
                } else if after < b.len() && (b[after] == b',' || b[after] == b'}') {
                    if name.is_some() {
                        return Err(LineError::new(
                            ErrorKind::MetricNameAlreadySet,
                            i,
                            format!(
                                "metric name already set while parsing: {}",
                                go_quote(&b[..=q.end])
                            ),
                        ));
                    }
                    *name = Some((q.start, q.end, q.escaped));
                    i = if b[after] == b',' { after + 1 } else { after };
                    continue;
                } else {
                    return Err(expected("equal", line, after));
                }
            } else if is_label_start(c) {
                let end = label_name_end(b, i + 1);
                nstart = i;
                nend = end;
                escaped = false;
                if count == 0 && i == open + 1 && end < b.len() && b[end] == b'=' {
                    plain_first = Some(end);
                }
                i = skip_blanks(b, end);
                tight &= i == end;
                if i >= b.len() || b[i] != b'=' {
                    return Err(expected("equal", line, i));
                }
            } else {
                return Err(expected("label name", line, i));
            }
        }
        // `i` is at '='.
        if check_dups {
            // Up to four names are compared directly (most series have few labels, and
            // unequal lengths settle a comparison at once); from the fifth on the Bloom
            // scratch takes over.
            if count < SMALL {
                for &(s0, e0, esc0) in &small[..count] {
                    if names_equal(&b[s0..e0], esc0, &b[nstart..nend], escaped) {
                        return Err(duplicate(line, nstart, nend, escaped));
                    }
                }
                small[count] = (nstart, nend, escaped);
            } else {
                if count == SMALL {
                    cx.dups.clear();
                    for &(s0, e0, esc0) in &small {
                        cx.dups.insert(b, s0, e0, label_hash(b, s0, e0, esc0), esc0);
                    }
                }
                if cx.dups.insert(
                    b,
                    nstart,
                    nend,
                    label_hash(b, nstart, nend, escaped),
                    escaped,
                ) {
                    return Err(duplicate(line, nstart, nend, escaped));
                }
            }
            count += 1;
        }
        let (vstart, vend) = value_after_equal(line, i, has_backslash)?;
        tight &= vstart == i + 2;
        if n_labels < INLINE_LABELS {
            // Offsets fit in u16 unless the line is huge; then the iterator re-scans.
            // For `Located`: `nstart <= nend < vstart <= vend < line.len()`, each at an ASCII
            // byte (a name's first byte or the `"` of a quoted one, the name's end at a blank
            // or `=` or closing `"`, a value's closing `"`) or just after one (the first byte
            // of a quoted name or of a value follows its `"`): char boundaries of the line.
            if vend <= u16::MAX as usize {
                inline[n_labels] = pack(nstart, nend, vstart, vend);
            } else {
                n_labels = INLINE_LABELS + 1;
            }
        }
        n_labels += 1;
        // Tight: `,` or `}` right after the closing quote, and after a comma the next name
        // or `}` right away (checked at the loop's top).
        tight &= matches!(b.get(vend + 1), Some(b',' | b'}'));
        i = after_label(b, vend + 1);
    }
}

#[inline(always)]
fn label_hash(b: &[u8], start: usize, end: usize, escaped: bool) -> u64 {
    if escaped {
        hash_unescaped(&b[start..end])
    } else {
        name_hash(&b[start..end])
    }
}

#[inline(always)]
fn after_label(b: &[u8], i: usize) -> usize {
    let j = skip_blanks(b, i);
    if j < b.len() && b[j] == b',' {
        j + 1
    } else {
        j
    }
}

/// `eq` is at '='; parses the quoted value and returns its content range.
#[inline(always)]
fn value_after_equal(
    line: &str,
    eq: usize,
    has_backslash: bool,
) -> Result<(usize, usize), LineError> {
    let b = line.as_bytes();
    let v = skip_blanks(b, eq + 1);
    if v >= b.len() || b[v] != b'"' {
        return Err(expected("label value", line, v));
    }
    let q = scan_quoted(b, v, has_backslash).ok_or_else(|| unterminated(line, v))?;
    Ok((q.start, q.end))
}

fn unterminated(line: &str, open: usize) -> LineError {
    LineError::new(
        ErrorKind::Syntax,
        open,
        format!(
            "expected closing quote, got end of line while parsing: {} (a raw line feed inside a quoted string is not allowed)",
            go_quote(line.as_bytes())
        ),
    )
}

fn duplicate(line: &str, start: usize, end: usize, escaped: bool) -> LineError {
    let raw = &line[start..end];
    let name = if escaped {
        crate::escape::unescape_label_value(raw)
    } else {
        Cow::Borrowed(raw)
    };
    LineError::new(
        ErrorKind::DuplicateLabel,
        start,
        format!("label name {} is not unique", go_quote(name.as_bytes())),
    )
}

/// The verdict for a line that is not valid UTF-8 (`bytes[bad]` is the first invalid byte).
/// Comments may hold anything; HELP text, label values and quoted names may not; elsewhere the
/// byte is a syntax error anyway.
#[cold]
pub(crate) fn invalid_utf8_line(
    bytes: &[u8],
    bad: usize,
    line_no: u64,
    offset: u64,
    cx: &mut LineCtx,
) -> Result<Option<Event<'static>>, LineError> {
    let i = skip_blanks(bytes, 0);
    let lossy = String::from_utf8_lossy(bytes).into_owned();
    if bytes[i] == b'#' {
        // Decide the line's kind on a lossy copy; only plain comments survive.
        return match comment(&lossy, i, line_no) {
            Ok(Event::Comment(_)) => Ok(Some(Event::Comment(Comment {
                text: Cow::Owned(String::from_utf8_lossy(&bytes[i + 1..]).into_owned()),
                line: line_no,
            }))),
            Ok(Event::Help(_)) => {
                let text_start = help_text_start(bytes, i);
                Err(LineError::new(
                    ErrorKind::InvalidUtf8,
                    bad,
                    format!(
                        "help text {} is not a valid utf8 string",
                        go_quote(&bytes[text_start.min(bytes.len())..])
                    ),
                ))
            }
            Ok(_) => Err(LineError::new(
                ErrorKind::InvalidUtf8,
                bad,
                "invalid UTF-8 in metric name",
            )),
            Err(mut e) => {
                e.col = e.col.min(bad);
                Err(e)
            }
        };
    }
    if inside_quotes(bytes, bad) {
        return Err(LineError::new(
            ErrorKind::InvalidUtf8,
            bad,
            "invalid UTF-8 label value",
        ));
    }
    match sample(&lossy, i, line_no, offset, true, cx) {
        Err(mut e) => {
            e.col = e.col.min(bad);
            Err(e)
        }
        // Unreachable in practice (U+FFFD is never valid outside quotes), but stay safe.
        Ok(_) => Err(expected("a valid start token", &lossy, bad)),
    }
}

fn help_text_start(bytes: &[u8], hash: usize) -> usize {
    // '#', blanks, "HELP", blanks, name, one separator.
    let kw = skip_blanks(bytes, hash + 1);
    let n = skip_blanks(bytes, kw + 4);
    let end = if n < bytes.len() && bytes[n] == b'"' {
        scan_quoted(bytes, n, true).map_or(bytes.len(), |q| q.end + 1)
    } else {
        metric_name_end(bytes, n)
    };
    end + 1
}

fn inside_quotes(b: &[u8], pos: usize) -> bool {
    let mut inside = false;
    let mut i = 0;
    while i < pos {
        match b[i] {
            b'\\' if inside => i += 1,
            b'"' => inside = !inside,
            _ => {}
        }
        i += 1;
    }
    inside
}

/// A `# HELP` or `# TYPE` line recognised by [`fast_meta`]: its end (the LF's index or the
/// body's length) and its name's end; the name starts [`META_NAME_START`] bytes into the line
/// and the text one byte after the name.
pub(crate) struct FastMeta {
    pub end: usize,
    pub name_end: usize,
    /// `None` for a HELP line; the declared type for a TYPE line.
    pub metric_type: Option<MetricType>,
}

/// Where a metadata line's name starts: after `# HELP ` or `# TYPE `.
pub(crate) const META_NAME_START: usize = 7;

/// Recognises the metadata lines that make up a third of a real Envoy body — `# HELP name
/// text` and `# TYPE name type`, one space each, a legacy name, ASCII text — without the
/// general comment path, its per-line UTF-8 check and backslash search. Like [`fast_sample`] it
/// never decides a verdict: `None` leaves the line to the general path (quoted names, other
/// blanks, non-ASCII text, an unknown type, a line over the limit). A line taken here is ASCII
/// (the name is scanned with the ASCII table or equals one so scanned, the text search stops at
/// any byte above 0x7f), so it needs no UTF-8 check. `b[start] == b'#'`.
#[inline(always)]
pub(crate) fn fast_meta(
    b: &[u8],
    start: usize,
    max_line_len: usize,
    cx: &mut LineCtx,
) -> Option<FastMeta> {
    let head = b.get(start..start + META_NAME_START)?;
    let is_help = head == b"# HELP ";
    if !is_help && head != b"# TYPE " {
        return None;
    }
    let n = start + META_NAME_START;
    if !is_metric_start(*b.get(n)?) {
        return None;
    }
    // The HELP line names the family its TYPE line and samples repeat: remember it.
    let prev = &cx.prev_name;
    let name_end = if !prev.is_empty()
        && has_prefix_at(b, n, prev)
        && b.get(n + prev.len()).is_none_or(|&c| !is_metric_char(c))
    {
        n + prev.len()
    } else {
        let end = metric_name_end(b, n + 1);
        cx.prev_name.clear();
        cx.prev_name.extend_from_slice(&b[n..end]);
        end
    };
    if b.get(name_end) != Some(&b' ') {
        return None;
    }
    let text = name_end + 1;
    let end = crate::structural::lf_or_non_ascii(b, text);
    if (end < b.len() && b[end] != b'\n') || end - start > max_line_len {
        return None;
    }
    let metric_type = if is_help {
        None
    } else {
        Some(MetricType::from_prometheus_bytes(&b[text..end])?)
    };
    Some(FastMeta {
        end,
        name_end,
        metric_type,
    })
}

/// A sample line recognised by [`fast_sample`]: absolute end (the LF's index or the body's
/// length) and the parts relative to the line start.
pub(crate) struct FastLine {
    pub end: usize,
    pub parts: SampleParts,
    pub n_labels: usize,
    pub inline: [u64; INLINE_LABELS],
}

/// Recognises a sample line of the common shape straight from the body, before its end is
/// known: `name 1`, `name{} 1`, `name{a="x",b="y"} 1` — at most [`INLINE_LABELS`] plain
/// labels, no blanks but the one before the value, no timestamp, ended by a LF or the end of
/// the body. The general path finds the line feed first and then parses the line with every
/// option of the grammar; for the lines that make up nearly all of an Envoy body this does
/// the same work in one pass.
///
/// `None` means "not this shape" and the general path takes the line: this never decides a
/// verdict, so every error is still reported by the general path. A line taken here holds
/// no backslash (the value search stops at one and declines; no other byte it accepts is
/// one), so its values need no unescaping, and **only ASCII bytes**, so it is valid UTF-8
/// without a check: the metric name is scanned with the ASCII name table or equals a name
/// (or prefix) scanned so before, label names are scanned with the table, the value search
/// stops at any byte above 0x7f and declines, the punctuation is matched byte by byte, and
/// a sample value is either digits or a token `parse_value` accepts (ASCII only).
/// `start < b.len()`.
#[inline(always)]
pub(crate) fn fast_sample(
    b: &[u8],
    start: usize,
    max_line_len: usize,
    reuse: bool,
    cx: &mut LineCtx,
) -> Option<FastLine> {
    if !is_metric_start(b[start]) {
        return None;
    }
    let found = metric_name(b, start, cx);
    let (name_end, first_label) = (found.end, found.first_label);
    let mut i = name_end;
    // No label block: no labels (located, so the iterator need not look).
    let mut n_labels = 0;
    // The located labels, as scalars rather than an array indexed by `count`, so they stay
    // in registers and reach the sample as whole words (see `located::pack`).
    let (mut located0, mut located1, mut located2) = (0u64, 0u64, 0u64);
    const _: () = assert!(INLINE_LABELS == 3);
    let mut labels = Span::default();
    let mut series_end = name_end;
    // The '=' of the first label (for the prefix cache).
    let mut first_eq = None;
    if *b.get(i)? == b'{' {
        let base = i + 1;
        let (close, count) = 'block: {
            // The first label, peeled off the loop: from the prefix cache (known valid, its
            // '=' known), else scanned; `}` right away is an empty block.
            let (mut ns, mut ne) = match first_label {
                Some(known) => known,
                None => {
                    let c = *b.get(base)?;
                    if c == b'}' {
                        break 'block (base, 0);
                    }
                    if !is_label_start(c) {
                        return None;
                    }
                    let ne = label_name_end(b, base + 1);
                    if b.get(ne) != Some(&b'=') {
                        return None;
                    }
                    (base, ne)
                }
            };
            first_eq = Some(ne);
            let mut count = 0;
            loop {
                // `ne` is at '='.
                if b.get(ne + 1) != Some(&b'"') {
                    return None;
                }
                let vs = ne + 2;
                // The closing quote, unless the line ends or a backslash comes first (escaped
                // values are left to the general path).
                let ve = vs + cx.value_end.find(&b[vs..])?;
                if b[ve] != b'"' || ve - start > u16::MAX as usize {
                    return None;
                }
                // What `Located` needs, for the caller's proof: `ns < ne` (a name byte at
                // `ns`, or `ns` just after the `{` of a cached prefix) and
                // `ne + 2 == vs <= ve`; `ns`, `ne` and `ve` hold ASCII bytes (a label's first
                // byte or the `{` before it, `=`, `"`) and `vs` follows the ASCII `"`, so all
                // four are char boundaries of the line once it is known to be UTF-8; the line
                // runs past `ve` (to the `}` at least).
                let packed = pack(ns - start, ne - start, vs - start, ve - start);
                match count {
                    0 => located0 = packed,
                    1 => located1 = packed,
                    2 => located2 = packed,
                    _ => {}
                }
                count += 1;
                i = ve + 1;
                match b.get(i) {
                    Some(b',') => i += 1,
                    Some(b'}') => break 'block (i, count),
                    _ => return None,
                }
                // The next label, or `}` after a trailing comma.
                let c = *b.get(i)?;
                if c == b'}' {
                    break 'block (i, count);
                }
                if count == INLINE_LABELS {
                    // Past the located labels (Istio's series have 20 and more): the rest of
                    // the block is walked quote to quote over a structural index.
                    // A line that repeats more of the previous indexed line takes those
                    // labels over (`reuse`: the previous line is in the same buffer).
                    let reused = if reuse && cx.prev_line.valid {
                        let three = [located0, located1, located2].map(|p| {
                            let [s, e, _, ve] = unpack(p);
                            (start + s, start + e, start + ve)
                        });
                        crate::structural::reuse_prev(b, i, three, &cx.prev_line, &mut cx.names)
                    } else {
                        None
                    };
                    cx.prev_line.valid = false;
                    let seq = &mut cx.names;
                    let (mut from, mut taken) = (i, 0);
                    match reused {
                        Some((n, next)) => match b.get(next) {
                            Some(b',') => (from, taken) = (next + 1, n - INLINE_LABELS),
                            // The block ends there: still checked for duplicates below (the
                            // first three names are this line's own).
                            Some(b'}') => (from, taken) = (next, n - INLINE_LABELS),
                            _ => return None,
                        },
                        None => {
                            seq.clear();
                            for p in [located0, located1, located2] {
                                let [s, e, _, ve] = unpack(p);
                                seq.push(b, start + s, start + e, start + ve);
                            }
                        }
                    }
                    let (close, more) = if b.get(from) == Some(&b'}') {
                        (from, 0)
                    } else {
                        if !cx.index.build(b, from) {
                            return None;
                        }
                        crate::structural::tight_labels(b, from, &cx.index, |s, e, c| {
                            seq.push(b, s, e, c)
                        })?
                    };
                    let more = more + taken;
                    // A repeated name is left to the general path, which reports it.
                    if !seq.distinct(b) {
                        return None;
                    }
                    // The block is valid whatever follows it: later lines may repeat it.
                    cx.prev_line = crate::structural::PrevLine { valid: true };
                    break 'block (close, count + more);
                }
                if !is_label_start(c) {
                    return None;
                }
                (ns, ne) = (i, label_name_end(b, i + 1));
                if b.get(ne) != Some(&b'=') {
                    return None;
                }
                // A repeated name is left to the general path, which reports it. The first
                // names are compared with the located ones; from the fourth on (Istio's
                // series have 20 and more) the duplicate scratch takes over.
                let name = &b[ns..ne];
                let same = |p: u64| {
                    let [s, e, _, _] = unpack(p);
                    &b[start + s..start + e] == name
                };
                if same(located0) || (count == 2 && same(located1)) {
                    return None;
                }
            }
        };
        n_labels = count;
        labels = Span::new(base - start, close - start);
        series_end = close + 1;
        i = close + 1;
    }
    if b.get(i) != Some(&b' ') {
        return None;
    }
    i += 1;
    // The value: a plain integer of up to 19 digits (exact in the fused loop), else any
    // token that `parse_value` accepts; it must end the line.
    let vstart = i;
    let value = match short_digits(b, i) {
        // Up to 7 digits: a signed conversion, one instruction (u64 to f64 takes several).
        Some((len, n)) if b[i + len] == b'\n' => {
            i += len;
            n as i64 as f64
        }
        _ => {
            let n;
            (i, n) = leading_digits(b, i);
            if i > vstart && i - vstart <= 19 && (i == b.len() || b[i] == b'\n') {
                n as f64
            } else {
                while i < b.len() && !matches!(b[i], b'\n' | b' ' | b'\t' | b'{') {
                    i += 1;
                }
                if i == vstart || (i < b.len() && b[i] != b'\n') {
                    return None;
                }
                crate::value::parse_value_bytes(&b[vstart..i]).ok()?
            }
        }
    };
    let end = i;
    if end - start > max_line_len {
        return None;
    }
    if found.source != NameSource::Prefix {
        if found.source == NameSource::Scanned {
            cx.prev_name.clear();
            cx.prev_name.extend_from_slice(&b[start..name_end]);
        }
        cx.prev_prefix.clear();
        if let Some(eq) = first_eq {
            cx.prev_prefix.extend_from_slice(&b[start..=eq]);
            cx.prev_prefix_name_len = name_end - start;
        }
    }
    Some(FastLine {
        end,
        parts: SampleParts {
            name: Span::new(0, name_end - start),
            name_escaped: false,
            labels,
            labels_escaped: false,
            labels_tight: true,
            value,
            value_text: Span::new(vstart - start, end - start),
            timestamp_ms: None,
            timestamp_text: None,
            series: Span::new(0, series_end - start),
            exemplar: None,
        },
        n_labels,
        inline: [located0, located1, located2],
    })
}

#[cfg(test)]
mod tests {
    use super::ValueEnd;

    /// The inline blocks, the hand-over to the vector search after them and the short tail all
    /// find what a plain byte search finds: every haystack length up to 200 with a `"`, LF, `\`
    /// or non-ASCII byte (or none) at every position, and a second hit after it in the same
    /// block or a later one.
    #[test]
    fn value_end_agrees_with_a_plain_search() {
        let search = ValueEnd::default();
        // The first `"`, LF, `\` or byte above 0x7f.
        let plain = |h: &[u8]| {
            h.iter()
                .position(|&c| matches!(c, b'"' | b'\n' | b'\\') || !c.is_ascii())
        };
        let mut checked = 0;
        for len in 0..200usize {
            for at in 0..=len {
                for (first, second, gap) in [
                    (b'"', b'\n', 1),
                    (b'\n', b'"', 5),
                    (b'\\', b'"', 2),
                    (b'"', b'\\', 17),
                    (0xc3, b'"', 1),
                    (b'"', 0xff, 3),
                    (0x80, b'\n', 70),
                ] {
                    let mut h = vec![b'a'; len];
                    // Bytes that are none of the four, before the hits.
                    if at > 0 {
                        h[at / 2] = b'{';
                    }
                    if at < len {
                        h[at] = first;
                        if at + gap < len {
                            h[at + gap] = second;
                        }
                    }
                    assert_eq!(search.find(&h), plain(&h), "len {len}, at {at}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 100_000);
    }
}
