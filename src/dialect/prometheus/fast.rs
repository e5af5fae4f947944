//! The one-pass sample and metadata grammar for the common shapes; it declines (returns
//! `None`) whatever it does not take, and the general grammar then parses the line.

use super::*;
use crate::event::located::utf8_run_end;
use crate::go::Decimal;
use crate::lex::scan::KeyShape;

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
/// text` and `# TYPE name type`, one space each, a legacy name — without the general comment
/// path, its per-line UTF-8 check and backslash search. Like [`fast_sample`] it never decides a
/// verdict: `None` leaves the line to the general path (quoted names, other blanks, text that
/// is not UTF-8, an unknown type, a line over the limit). A line taken here is UTF-8 without
/// a further check: the name is scanned with the ASCII table or equals one so scanned, and the
/// text search stops at every byte above 0x7f, whose characters [`utf8_run_end`] checks.
/// `b[start] == b'#'`.
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
    // The HELP line names the family its TYPE line and samples repeat: remember it. Only a
    // HELP line names the family of the line after it: the name a TYPE line follows otherwise
    // is the previous family's.
    let (ps, pe) = cx.buf_name;
    let after_help = std::mem::replace(&mut cx.after_help, is_help);
    // The next sample names this family: the previous one's prefix cannot match.
    cx.buf_prefix = (0, 0, 0);
    let name_end = if after_help
        && pe > ps
        && has_prefix_at(b, n, &b[ps..pe])
        && b.get(n + pe - ps).is_none_or(|&c| !is_metric_char(c))
    {
        n + pe - ps
    } else {
        let end = metric_name_end(b, n + 1);
        cx.buf_name = (n, end);
        end
    };
    if b.get(name_end) != Some(&b' ') {
        return None;
    }
    let text = name_end + 1;
    if !is_help {
        // The type word and its LF, compared as words rather than searched for and matched.
        if let Some((metric_type, len)) = type_word(b, text) {
            let end = text + len;
            if end - start > max_line_len {
                return None;
            }
            return Some(FastMeta {
                end,
                name_end,
                metric_type: Some(metric_type),
            });
        }
    }
    let mut end = crate::lex::structural::lf_or_non_ascii(b, text);
    if end < b.len() && b[end] != b'\n' {
        // Non-ASCII text (`# HELP temperature Température …`): its characters checked here.
        loop {
            let next = utf8_run_end(b, end)?;
            end = crate::lex::structural::lf_or_non_ascii(b, next);
            if end == b.len() || b[end] == b'\n' {
                break;
            }
        }
    }
    if end - start > max_line_len {
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

/// The first LF, blank, tab or `{` at or after `i` (a value token's end), sixteen bytes at a
/// time: floats such as `7.424100000000001e-05` are too long for a byte loop to be cheap.
#[inline(always)]
fn token_end(b: &[u8], mut i: usize) -> usize {
    use wide::u8x16;
    while let Some(chunk) = b.get(i..i + 16) {
        let mut a = [0u8; 16];
        a.copy_from_slice(chunk);
        let v = u8x16::new(a);
        let hits = (v.simd_eq(u8x16::splat(b'\n'))
            | v.simd_eq(u8x16::splat(b' '))
            | v.simd_eq(u8x16::splat(b'\t'))
            | v.simd_eq(u8x16::splat(b'{')))
        .to_bitmask();
        if hits != 0 {
            return i + hits.trailing_zeros() as usize;
        }
        i += 16;
    }
    while i < b.len() && !matches!(b[i], b'\n' | b' ' | b'\t' | b'{') {
        i += 1;
    }
    i
}

/// The Prometheus type word at `b[at..]` followed by a LF: the type and the word's length.
/// `None` for anything else (another word, the body's end, fewer than eight bytes left), which
/// the search after it then takes.
#[inline(always)]
fn type_word(b: &[u8], at: usize) -> Option<(MetricType, usize)> {
    let w = u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?);
    let word = |s: &[u8; 8]| u64::from_le_bytes(*s);
    const SIX: u64 = (1 << 48) - 1;
    Some(if w == word(b"counter\n") {
        (MetricType::Counter, 7)
    } else if w & SIX == word(b"gauge\n\0\0") {
        (MetricType::Gauge, 5)
    } else if w == word(b"summary\n") {
        (MetricType::Summary, 7)
    } else if w == word(b"histogra") && b.get(at + 8..at + 10) == Some(b"m\n") {
        (MetricType::Histogram, 9)
    } else if w == word(b"untyped\n") {
        (MetricType::Unknown, 7)
    } else {
        return None;
    })
}

/// A sample line recognised by [`fast_sample`]: absolute end (the LF's index or the body's
/// length) and the parts relative to the line start.
pub(crate) struct FastLine {
    pub end: usize,
    pub parts: SampleParts,
    pub n_labels: usize,
    pub inline: [u64; INLINE_LABELS],
    /// The timestamp and its span in the line (kept out of `parts`, whose timestamp is
    /// `None`, so that the usual sample is built without looking at it).
    pub timestamp: Option<(i64, Span)>,
}

/// Recognises a sample line of the common shape straight from the body, before its end is
/// known: `name 1`, `name{} 1`, `name{a="x",b="y"} 1`, `name 1 1733500000000` — plain labels
/// (the first [`INLINE_LABELS`] located for the iterator, up to [`FEW_LABELS`] taken one by
/// one, more over the structural index; leading labels the previous block had are taken over),
/// one blank before the value and one before a timestamp of plain digits, ended by a LF or the
/// end of the body. The general path finds the line feed first and then parses the line with
/// every option of the grammar; for the lines that make up nearly all of an Envoy body this
/// does the same work in one pass.
///
/// `None` means "not this shape" and the general path takes the line: this never decides a
/// verdict, so every error is still reported by the general path. A line taken here holds
/// no backslash (the value search stops at one and declines; no other byte it accepts is
/// one), so its values need no unescaping, and **is UTF-8** without a further check: the
/// metric name is scanned with the ASCII name table or equals a name (or prefix) scanned so
/// before, label names are scanned with the table (or are bytes equal to a block taken so
/// before, from the same buffer), the value searches stop at every byte above 0x7f, whose
/// characters are checked there ([`ValueEnd::stop`]; the structural index checks them with
/// [`utf8_run_end`]), the punctuation is
/// matched byte by byte, a sample value is either digits or a token `parse_value` accepts
/// (ASCII only), and a timestamp is digits.
/// `start < b.len()`.
#[inline(always)]
pub(crate) fn fast_sample(
    b: &[u8],
    start: usize,
    max_line_len: usize,
    cx: &mut LineCtx,
) -> Option<FastLine> {
    if !is_metric_start(b[start]) {
        return None;
    }
    let found = buffer_metric_name(b, start, cx);
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
        let open = i;
        // Whether `cx.prev_block` holds this block already.
        let mut recorded = false;
        let (close, count) = 'block: {
            // A block that starts with the previous one's labels takes them over.
            if cx.prev_block.n >= INLINE_LABELS {
                let pb = &cx.prev_block;
                let shift = open - start;
                // Most blocks that share nothing differ in their first eight bytes.
                let word = |at: usize| b.get(at..at + 8);
                if word(open) == word(pb.open) && shift + pb.len <= u16::MAX as usize {
                    let same = common_prefix(b, open, pb.open, pb.len);
                    // The labels that are the same through the byte after their closing quote.
                    let r = pb.spans[..pb.n]
                        .iter()
                        .take_while(|&&p| unpack(p)[3] + 1 < same)
                        .count();
                    if r >= INLINE_LABELS {
                        // What `Located` needs holds as it did for the previous line: the
                        // same bytes, `shift` bytes further from the line's start, and
                        // `shift + pb.len` fits every lane.
                        let lift = shift as u64 * 0x0001_0001_0001_0001;
                        (located0, located1, located2) =
                            (pb.spans[0] + lift, pb.spans[1] + lift, pb.spans[2] + lift);
                        first_eq = Some(open + unpack(pb.spans[0])[1]);
                        if r == pb.n {
                            // The whole block, its `}` included.
                            let close = open + pb.len - 1;
                            cx.prev_block.open = open;
                            recorded = true;
                            break 'block (close, r);
                        }
                        let mut names = [(0, 0); FEW_LABELS];
                        for (name, &p) in names.iter_mut().zip(&pb.spans[..r]) {
                            let [s, e, _, _] = unpack(p);
                            *name = (open + s, open + e);
                        }
                        let from = open + unpack(pb.spans[r - 1])[3] + 2;
                        let mut spans = pb.spans;
                        match few_more(b, from, open, names, r, &mut spans, &cx.value_end) {
                            More::Closed { close, n } => {
                                cx.prev_block = PrevBlock {
                                    open,
                                    len: close + 1 - open,
                                    n: r + n,
                                    spans,
                                };
                                recorded = true;
                                break 'block (close, r + n);
                            }
                            More::Decline => return None,
                            More::Many => {
                                // Left to the general path; the next such lines go to
                                // the structural index.
                                cx.many_labels = true;
                                cx.prev_block.n = 0;
                                return None;
                            }
                        }
                    }
                }
            }
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
                let ve = cx.value_end.stop(b, vs)?;
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
                    // A few more labels (Envoy's series have four to eight) are taken one
                    // by one; past `FEW_LABELS` (Istio's series have 20 and more) the rest of
                    // the block is walked quote to quote over a structural index. Which one
                    // the previous such line needed is tried first.
                    if !cx.many_labels {
                        let lift = (open - start) as u64 * 0x0001_0001_0001_0001;
                        let mut spans = [0; FEW_LABELS];
                        let mut names = [(0, 0); FEW_LABELS];
                        for (k, p) in [located0, located1, located2].into_iter().enumerate() {
                            let [s, e, _, _] = unpack(p);
                            names[k] = (start + s, start + e);
                            spans[k] = p - lift;
                        }
                        let found =
                            few_more(b, i, open, names, INLINE_LABELS, &mut spans, &cx.value_end);
                        match found {
                            More::Closed { close, n } => {
                                cx.prev_line.valid = false;
                                cx.prev_block = PrevBlock {
                                    open,
                                    len: close + 1 - open,
                                    n: count + n,
                                    spans,
                                };
                                recorded = true;
                                break 'block (close, count + n);
                            }
                            More::Decline => return None,
                            More::Many => cx.many_labels = true,
                        }
                    }
                    // Past the located labels: the rest of the block is walked quote to
                    // quote over a structural index.
                    // A line that repeats more of the previous indexed line takes those
                    // labels over (the previous line is in the same buffer).
                    let reused = if cx.prev_line.valid {
                        let three = [located0, located1, located2].map(|p| {
                            let [s, e, _, ve] = unpack(p);
                            (start + s, start + e, start + ve)
                        });
                        crate::lex::structural::reuse_prev(
                            b,
                            i,
                            three,
                            &cx.prev_line,
                            &mut cx.names,
                        )
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
                        crate::lex::structural::tight_labels(b, from, &cx.index, |s, e, c| {
                            seq.push(b, s, e, c)
                        })?
                    };
                    let more = more + taken;
                    // A repeated name is left to the general path, which reports it.
                    if !seq.distinct(b) {
                        return None;
                    }
                    // The block is valid whatever follows it: later lines may repeat it.
                    cx.prev_line = crate::lex::structural::PrevLine { valid: true };
                    cx.many_labels = count + more > FEW_LABELS;
                    cx.prev_block.n = 0;
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
        if !recorded {
            if count == INLINE_LABELS {
                let lift = (open - start) as u64 * 0x0001_0001_0001_0001;
                let spans = [located0 - lift, located1 - lift, located2 - lift];
                cx.prev_block = PrevBlock {
                    open,
                    len: close + 1 - open,
                    n: count,
                    spans: [spans[0], spans[1], spans[2], 0, 0, 0, 0, 0],
                };
            } else if count < INLINE_LABELS && cx.prev_block.n != 0 {
                // Blocks of fewer labels follow blocks of fewer labels: no comparing.
                cx.prev_block.n = 0;
            }
        }
        n_labels = count;
        labels = Span::new(base - start, close - start);
        series_end = close + 1;
        i = close + 1;
    }
    if b.get(i) != Some(&b' ') {
        return None;
    }
    i += 1;
    let vstart = i;
    let tail = line_end_value(b, i)?;
    let end = tail.end;
    if end - start > max_line_len {
        return None;
    }
    // The caches as ranges of the buffer, which holds the earlier lines.
    if found.source != NameSource::Prefix {
        if found.source == NameSource::Scanned {
            cx.buf_name = (start, name_end);
        }
        cx.buf_prefix = match first_eq {
            Some(eq) => (start, eq + 1, name_end - start),
            None => (0, 0, 0),
        };
    }
    Some(FastLine {
        end,
        parts: SampleParts {
            name: Span::new(0, name_end - start),
            name_escaped: false,
            labels,
            labels_escaped: false,
            labels_tight: true,
            value: tail.value,
            value_text: Span::new(vstart - start, tail.value_end - start),
            timestamp_ms: None,
            timestamp_text: None,
            series: Span::new(0, series_end - start),
            exemplar: None,
        },
        n_labels,
        inline: [located0, located1, located2],
        timestamp: tail
            .timestamp_ms
            .map(|ms| (ms, Span::new(tail.value_end + 1 - start, end - start))),
    })
}

/// Recognises a sample line that starts with `key`, a series the caller knows to be valid
/// (the scrape's cache holds the series of earlier samples this grammar accepted), followed by
/// one blank and a value (and maybe a timestamp) that ends the line: the one-pass shape's tail,
/// without walking or checking the labels again. Prometheus' scrape loop looks a series up in
/// its cache before it reads the labels in the same way. `None`: another line (the caller
/// parses it as usual).
/// With the line, whether its key is ASCII: then the whole line is (one blank and what
/// [`line_end_value`] took follow it, which holds ASCII bytes only).
///
/// `key` must be the `series()` of a sample this grammar accepted, in the plain form
/// `name` or `name{…}`, with the same settings but for the label limits (which it does not
/// check): whatever follows such a series on a line, the series parses the same way. `shape`
/// is the key's ([`KeyShape::of`]).
#[inline(always)]
pub(crate) fn known_sample(
    b: &[u8],
    start: usize,
    (key, shape): (&[u8], KeyShape),
    after_line: Option<(usize, usize, &[u8])>,
    max_line_len: usize,
) -> Option<(FastLine, bool)> {
    let after = start + key.len();
    if b.get(after) != Some(&b' ') {
        return None;
    }
    let ascii = match after_line {
        Some((prev, shared, rest)) => {
            crate::lex::scan::known_prefix_after(b, start, prev, shared, (key, rest))?
        }
        None => crate::lex::scan::known_prefix(b, start, key)?,
    };
    // The line starts with the key: its bytes are read from the line (in cache), not from
    // the key, whose head `known_prefix_after` did not read.
    let line_key = &b[start..after];
    // A valid key of the plain form: its name runs to its `{` (or its end), unless blanks
    // come between them.
    let name_end = shape.brace as usize;
    if name_end == 0 || name_end > line_key.len() || is_blank(line_key[name_end - 1]) {
        return None;
    }
    let labels = match line_key.get(name_end) {
        None => Span::default(),
        Some(b'{') if line_key.last() == Some(&b'}') => Span::new(name_end + 1, line_key.len() - 1),
        _ => return None,
    };
    let vstart = after + 1;
    let tail = line_end_value(b, vstart)?;
    let end = tail.end;
    if end - start > max_line_len {
        return None;
    }
    let line = FastLine {
        end,
        parts: SampleParts {
            name: Span::new(0, name_end),
            name_escaped: false,
            labels,
            labels_escaped: shape.backslash,
            labels_tight: false,
            value: tail.value,
            value_text: Span::new(vstart - start, tail.value_end - start),
            timestamp_ms: None,
            timestamp_text: None,
            series: Span::new(0, key.len()),
            exemplar: None,
        },
        n_labels: 0,
        inline: [0; INLINE_LABELS],
        timestamp: tail
            .timestamp_ms
            .map(|ms| (ms, Span::new(tail.value_end + 1 - start, end - start))),
    };
    Some((line, ascii))
}

/// What ends a sample line after its one blank: the value token and, after one more blank, a
/// timestamp of plain digits.
struct Tail {
    /// The line's end (its LF, or the end of `b`).
    end: usize,
    /// The value token's end: `end` unless a timestamp follows.
    value_end: usize,
    value: f64,
    timestamp_ms: Option<i64>,
}

/// The value token at `i` and an optional timestamp, ending the line (at a LF or the end of
/// `b`). Short integers are converted in one step and plain decimals read in place
/// ([`crate::go::decimal_at`]); any other token must be one `parse_value` accepts (ASCII
/// only). The timestamp is one blank and 1 to 18 digits (never out of `i64`'s range); signs,
/// longer runs and more blanks are left to the general path. `None`: not this shape.
#[inline(always)]
fn line_end_value(b: &[u8], mut i: usize) -> Option<Tail> {
    let vstart = i;
    let single = b.get(i + 1) == Some(&b'\n') && b[i].is_ascii_digit();
    let value = match short_digits(b, i) {
        // One digit, most of an Envoy body's values (its counters at 0): no conversion chain.
        _ if single => {
            i += 1;
            (b[vstart] - b'0') as f64
        }
        // Up to 7 digits: a signed conversion, one instruction (u64 to f64 takes several).
        Some((len, n)) if b[i + len] == b'\n' => {
            i += len;
            n as i64 as f64
        }
        // Any other number is read in place, and its next byte must end the token.
        _ => match crate::go::decimal_at(b, i) {
            Decimal::Value(end, v) if end == b.len() || b[end] == b'\n' => {
                i = end;
                v
            }
            Decimal::Value(end, v) if b[end] == b' ' => return timestamp_tail(b, end, v),
            // Summaries without observations: Envoy's and Go clients' quantiles are often
            // `NaN`.
            _ if b.get(i..i + 4) == Some(b"NaN\n") => {
                i += 3;
                f64::from_bits(crate::go::NORMAL_NAN_BITS)
            }
            _ => return other_value(b, i),
        },
    };
    Some(Tail {
        end: i,
        value_end: i,
        value,
        timestamp_ms: None,
    })
}

/// [`line_end_value`] for the tokens it does not read in place (`+Inf`, hexadecimal, mantissas
/// of more than 19 digits, a token that goes on after a number): the token's end is found,
/// then the token is parsed.
#[cold]
#[inline(never)]
fn other_value(b: &[u8], i: usize) -> Option<Tail> {
    let end = token_end(b, i);
    if end == i {
        return None;
    }
    let value = crate::go::parse_value_bytes(&b[i..end]).ok()?;
    if end < b.len() && b[end] != b'\n' {
        return timestamp_tail(b, end, value);
    }
    Some(Tail {
        end,
        value_end: end,
        value,
        timestamp_ms: None,
    })
}

/// The timestamp after a value token ending at `value_end`: one blank, 1 to 18 digits, then
/// the line's end. Inline: out of line, its `Tail` came back through memory, and every sample
/// line, with a timestamp or not, ran slower (measured).
#[inline(always)]
fn timestamp_tail(b: &[u8], value_end: usize, value: f64) -> Option<Tail> {
    if b[value_end] != b' ' {
        return None;
    }
    let (end, ms) = digit_run(b, value_end + 1);
    let digits = end - value_end - 1;
    if digits == 0 || digits > 18 || (end < b.len() && b[end] != b'\n') {
        return None;
    }
    Some(Tail {
        end,
        value_end,
        value,
        timestamp_ms: Some(ms as i64),
    })
}

/// How many labels a sample line may have for the one-pass path to take them one by one
/// rather than through the structural index (Envoy's series have up to eight).
pub(crate) const FEW_LABELS: usize = 8;

/// What [`few_more`] found.
enum More {
    /// The block closes at `close` after `n` more labels.
    Closed { close: usize, n: usize },
    /// More than [`FEW_LABELS`] labels: for the structural index.
    Many,
    /// Not the one-pass shape (or a repeated name): for the general path.
    Decline,
}

/// The labels after the first `k` (`names`: their names' spans) of the block whose `{` is at
/// `open`, from `i` (just after the comma of label `k - 1`) on, the way `fast_sample` takes
/// the first ones: a plain name, `="`, a value without backslash or LF (its characters above
/// 0x7f checked), `"`,
/// and `,` or `}`. Each name is compared with every earlier one (at most [`FEW_LABELS`]); each
/// label's spans, relative to `open`, go to `spans` (for [`PrevBlock`]).
#[inline(always)]
fn few_more(
    b: &[u8],
    mut i: usize,
    open: usize,
    mut names: [(usize, usize); FEW_LABELS],
    mut k: usize,
    spans: &mut [u64; FEW_LABELS],
    value_end: &ValueEnd,
) -> More {
    let k0 = k;
    loop {
        match b.get(i) {
            Some(&c) if is_label_start(c) => {}
            _ => return More::Decline,
        }
        let ne = label_name_end(b, i + 1);
        if b.get(ne) != Some(&b'=') || b.get(ne + 1) != Some(&b'"') {
            return More::Decline;
        }
        let name = &b[i..ne];
        if names[..k]
            .iter()
            .any(|&(s, e)| e - s == name.len() && &b[s..e] == name)
        {
            return More::Decline;
        }
        let vs = ne + 2;
        let Some(ve) = value_end.stop(b, vs) else {
            return More::Decline;
        };
        if b[ve] != b'"' || ve - open > u16::MAX as usize {
            return More::Decline;
        }
        names[k] = (i, ne);
        spans[k] = pack(i - open, ne - open, vs - open, ve - open);
        k += 1;
        i = ve + 1;
        match b.get(i) {
            Some(b'}') => break,
            Some(b',') if b.get(i + 1) == Some(&b'}') => {
                i += 1;
                break;
            }
            Some(b',') => i += 1,
            _ => return More::Decline,
        }
        if k == FEW_LABELS {
            return More::Many;
        }
    }
    More::Closed {
        close: i,
        n: k - k0,
    }
}

/// The label block of the previous sample line of the same buffer that the one-pass path took
/// with three to [`FEW_LABELS`] labels. Consecutive series often start with the same labels
/// (consul's five, a histogram's all but `le`): a block whose bytes equal the previous one's
/// through a label's closing quote and the byte after it starts with those valid, distinct
/// labels, taken over without a scan.
#[derive(Debug, Default)]
pub(crate) struct PrevBlock {
    /// Index of its `{`.
    pub open: usize,
    /// Its length through the `}`.
    pub len: usize,
    /// Its labels; fewer than [`INLINE_LABELS`] when there is none to compare with.
    pub n: usize,
    /// Each label's packed spans (see `located::pack`), relative to the `{`.
    pub spans: [u64; FEW_LABELS],
}

/// [`metric_name`] with the caches kept as ranges of the buffer (`cx.buf_name`,
/// `cx.buf_prefix`): for a whole body, whose earlier lines stay where they are, so that
/// remembering a name copies nothing.
#[inline(always)]
fn buffer_metric_name(b: &[u8], start: usize, cx: &LineCtx) -> FoundName {
    let (ps, pe, name_len) = cx.buf_prefix;
    if pe > ps && has_prefix_at(b, start, &b[ps..pe]) {
        let end = start + name_len;
        return FoundName {
            end,
            first_label: Some((end + 1, start + (pe - ps) - 1)),
            source: NameSource::Prefix,
        };
    }
    let (ns, ne) = cx.buf_name;
    let (end, source) = if ne > ns
        && has_prefix_at(b, start, &b[ns..ne])
        && b.get(start + ne - ns).is_none_or(|&c| !is_metric_char(c))
    {
        (start + ne - ns, NameSource::PrevName)
    } else {
        (metric_name_end(b, start + 1), NameSource::Scanned)
    };
    FoundName {
        end,
        first_label: None,
        source,
    }
}
