//! The general sample grammar: every line the one-pass grammar (`fast`) declines, and the
//! reference both are tested against.

use super::*;

/// Where [`metric_name`] found a name's end.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum NameSource {
    /// The line starts with the previous sample's `name{label=` prefix.
    Prefix,
    /// The line starts with the previous sample's metric name.
    PrevName,
    /// Scanned: the caller decides when to remember it in `cx.prev_name`.
    Scanned,
}

/// A metric name starting at `start` (a metric-start byte).
pub(super) struct FoundName {
    pub(super) end: usize,
    /// `(start, end)` of the first label's name when the prefix cache matched: known valid,
    /// and `end` is at its '='.
    pub(super) first_label: Option<(usize, usize)>,
    pub(super) source: NameSource,
}

/// The metric name at `start`, from the per-line caches when the line repeats the previous
/// sample's start (histogram buckets, one counter per cluster): a compare is cheaper than a
/// scan. Shared by the general and the one-pass sample paths.
#[inline(always)]
pub(super) fn metric_name(b: &[u8], start: usize, cx: &LineCtx) -> FoundName {
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
pub(super) fn leading_digits(b: &[u8], mut i: usize) -> (usize, u64) {
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
pub(super) fn sample<'a>(
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
        return Err(start_token_error(line, i));
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
        inline = Some((block.n_labels, block.inline, block.fits));
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
            return Err(expected("value after metric", line, i, Lex::Value));
        }
        parse_value(&line[vstart..i]).map_err(|e| value_token_error(e, line, vstart, i))?
    };
    let value_text = Span::new(vstart, i);
    let mut timestamp_ms = None;
    let mut timestamp_text = None;
    if i < b.len() {
        if b[i] == b'{' {
            return Err(expected("timestamp or new record", line, i, Lex::Timestamp));
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
                    Lex::Timestamp,
                ));
            }
            if i < b.len() && !is_blank(b[i]) {
                return Err(expected(
                    "next entry after timestamp",
                    line,
                    i,
                    Lex::Timestamp,
                ));
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
                return Err(expected(
                    "next entry after timestamp",
                    line,
                    after,
                    Lex::Timestamp,
                ));
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
    let (n, spans, fits) = inline.unwrap_or((0, [0; INLINE_LABELS], true));
    // Located labels are plain slices of the line: not for escaped blocks. Past the first
    // labels, a tight block's rest is re-scanned after them (as the one-pass path has it).
    let more = n > INLINE_LABELS;
    let located = if !labels_escaped && fits && (!more || labels_tight) {
        // SAFETY: `label_block` records the spans of the first labels of `line` as `Located`
        // requires (see its comment where they are recorded), and `line` is the very `&str`
        // they index.
        #[allow(unsafe_code)]
        unsafe {
            Located::new(line, n.min(INLINE_LABELS), spans)
        }
    } else {
        Located::none(line)
    };
    let located_more = more && located.count().is_some();
    let sample = Sample::with_located(located, parts, line_no, offset);
    Ok(Event::Sample(if located_more {
        sample.with_more_labels()
    } else {
        sample
    }))
}

/// What validating a label block found.
pub(super) struct LabelBlock {
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
    /// Whether the first labels' spans fit `Located` (offsets below 64 KiB).
    fits: bool,
}

/// Validates the label block whose `{` is at `open`.
#[inline]
pub(super) fn label_block(
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
    let mut fits = true;
    // The '=' of the first label when the block starts with a plain `name=`, for the cache.
    let mut plain_first = None;
    let check_dups = !cx.allow_duplicate_labels;
    let mut tight = true;
    const SMALL: usize = 4;
    let mut small = [(0usize, 0usize, false); SMALL];
    let mut count = 0usize;
    // Non-empty labels, for the label limit.
    let mut limit_count = 0usize;
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
                return Err(expected("label name", line, i, Lex::Labels));
            }
            let c = b[i];
            if c == b'}' {
                return Ok(LabelBlock {
                    close: i,
                    plain_first,
                    n_labels,
                    inline,
                    tight,
                    fits,
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
                                go_quote(&b[..=after])
                            ),
                        ));
                    }
                    *name = Some((q.start, q.end, q.escaped));
                    i = if b[after] == b',' { after + 1 } else { after };
                    continue;
                } else {
                    return Err(expected("equal", line, after, Lex::Labels));
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
                    return Err(expected("equal", line, i, Lex::Labels));
                }
            } else {
                return Err(expected("label name", line, i, Lex::Labels));
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
        if cx.limits.on {
            let (n, v) = (&b[nstart..nend], &b[vstart..vend]);
            if let Some(over) = cx.limits.label(&mut limit_count, n, v) {
                return Err(over_limit(line, over, nstart, *name, (n, v), cx));
            }
        }
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
                fits = false;
            }
        }
        n_labels += 1;
        // Tight: `,` or `}` right after the closing quote, and after a comma the next name
        // or `}` right away (checked at the loop's top).
        tight &= matches!(b.get(vend + 1), Some(b',' | b'}'));
        i = after_label(b, vend + 1);
    }
}

/// The label-limit error at the label whose name starts at `at` (`label`: its raw name and
/// value), with the metric name when it is known by then.
#[cold]
fn over_limit(
    line: &str,
    over: crate::dialect::limits::Over,
    at: usize,
    name: Option<(usize, usize, bool)>,
    label: (&[u8], &[u8]),
    cx: &LineCtx,
) -> LineError {
    let metric = name.map_or(Cow::Borrowed(""), |(s, e, escaped)| {
        if escaped {
            crate::lex::escape::unescape_label_value(&line[s..e])
        } else {
            Cow::Borrowed(&line[s..e])
        }
    });
    cx.limits.error(over, at, &metric, label.0, label.1, true)
}

#[inline(always)]
pub(super) fn label_hash(b: &[u8], start: usize, end: usize, escaped: bool) -> u64 {
    if escaped {
        hash_unescaped(&b[start..end])
    } else {
        name_hash(&b[start..end])
    }
}

#[inline(always)]
pub(super) fn after_label(b: &[u8], i: usize) -> usize {
    let j = skip_blanks(b, i);
    if j < b.len() && b[j] == b',' {
        j + 1
    } else {
        j
    }
}

/// `eq` is at '='; parses the quoted value and returns its content range.
#[inline(always)]
pub(super) fn value_after_equal(
    line: &str,
    eq: usize,
    has_backslash: bool,
) -> Result<(usize, usize), LineError> {
    let b = line.as_bytes();
    let v = skip_blanks(b, eq + 1);
    if v >= b.len() || b[v] != b'"' {
        return Err(expected("label value", line, v, Lex::LValue));
    }
    let q = scan_quoted(b, v, has_backslash).ok_or_else(|| unterminated(line, v))?;
    Ok((q.start, q.end))
}
