//! The Prometheus text format (0.0.4 plus the 3.x quoted-name syntax): one line → one event.
//!
//! A pure function of the line and the settings: no I/O, and no state beyond the reusable
//! duplicate-label scratch. Verdicts follow the Prometheus server parser (`model/textparse`),
//! with the deviations documented in the crate docs.
//!
//! Two sample grammars live side by side: [`general`] is the reference — every line can go
//! through it, and it alone produces errors — and [`fast`] takes the common shapes in one pass
//! before the line's end is known, declining everything else. Differential tests
//! (`tests/fast_lines.rs`, `tests/structural.rs`) drive the same lines through both (the
//! `ReadParser` always takes the general grammar) and compare every observable of every event.
//! The line-level pieces both use: [`duplicates`] (the duplicate-label check) and [`errors`]
//! (Prometheus' messages).
//!
//! Error messages model Prometheus' generated lexer (`errors::lex_at`): the token a byte is
//! depends on the lexer state, and the message shows the token plus one byte.
//!
//! NUL bytes (deliberate deviations): Prometheus' lexer reads a NUL at the start of a token
//! as the end of input and skips NULs inside label values, HELP text and comment keywords.
//! Both accept NULs inside label values, HELP text and `# ` comments. Where Prometheus would
//! stop reading without an error (a NUL starting a line, `#x\0`, `# \0`) or read a different
//! line (`# TY\0PE t counter` is a TYPE line to it; `a{b= \0"x"}` and `# HELP \0a x` are
//! valid to it), promtext rejects the line. Elsewhere both reject, with Prometheus' message.

use std::borrow::Cow;

use crate::error::{ErrorKind, LineError};
use crate::event::located::{Located, pack, unpack};
use crate::event::{
    Comment, Event, HelpLine, INLINE_LABELS, MetricType, Sample, SampleParts, Span, TypeLine,
};
use crate::go::quote_bounded as go_quote;
use crate::go::{ValueError, parse_int_ms, parse_value};
use crate::lex::scan::{
    common_prefix, digit_run, has_prefix_at, hash_unescaped, is_blank, is_label_start,
    is_metric_char, is_metric_start, label_name_end, metric_name_end, name_hash, scan_quoted,
    short_digits, skip_blanks,
};

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
    /// `prev_name` and `prev_prefix` (with its name's length) as ranges of the buffer, for
    /// the one-pass path over a whole body; `(0, 0)` when there is none.
    pub buf_name: (usize, usize),
    pub buf_prefix: (usize, usize, usize),
    /// The last metadata line the one-pass path took over a whole body was a HELP line.
    pub after_help: bool,
    /// The length of the metric name at the start of `prev_prefix` (kept with the prefix:
    /// `prev_name` may have moved on after a line that failed).
    pub prev_prefix_name_len: usize,
    /// The search for the end of a label value on the one-pass path.
    pub value_end: ValueEnd,
    /// The structural index of a long label block on the one-pass path.
    pub index: crate::lex::structural::LineIndex,
    /// The name checks of such a block.
    pub names: crate::lex::structural::NameSeq,
    /// The last line checked through the index, whose first labels the next may repeat.
    pub prev_line: crate::lex::structural::PrevLine,
    /// Whether the last line with more than [`INLINE_LABELS`] labels had more than
    /// `fast::FEW_LABELS`, so the next goes to the structural index right away.
    pub many_labels: bool,
    /// The previous block the one-pass path took with a few labels (see [`fast::PrevBlock`]).
    pub prev_block: fast::PrevBlock,
    /// The label limits, checked in the general grammar's label walk.
    pub limits: crate::dialect::limits::LimitCheck,
}

/// Finds where a label value ends on the one-pass path: the first `"`, LF or `\`, past the
/// non-ASCII characters before it. Stopping at a backslash lets that path decline escaped
/// values itself, so no separate search of the body for backslashes is needed; checking the
/// characters where the search meets them means no UTF-8 check of the line is needed. A
/// value's first 256 bytes are searched inline, the rest of a longer one with the CPU's widest
/// searcher, chosen once per parser instead of on every call (memchr's top-level functions
/// dispatch through a function pointer each time).
#[derive(Debug)]
pub(crate) struct ValueEnd {
    #[cfg(target_arch = "x86_64")]
    avx2: Option<memchr::arch::x86_64::avx2::memchr::Three>,
}

impl LineCtx {
    /// Forgets the caches that are ranges of a buffer (the previous block, the name and
    /// prefix ranges, the last indexed line): the next line is read from another buffer, and
    /// those ranges would point into bytes that may have changed.
    pub(crate) fn forget_buffer(&mut self) {
        self.prev_block.n = 0;
        self.buf_name = (0, 0);
        self.buf_prefix = (0, 0, 0);
        self.after_help = false;
        self.prev_line.valid = false;
    }
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
    /// Where the label value at `b[vs..]` stops: at the first `"`, LF or `\` (the absolute
    /// index), past the non-ASCII characters before it, checked to be UTF-8 on the way (a
    /// label value may hold any UTF-8; Envoy's and Istio's are ASCII, so the characters are
    /// checked where the search meets them instead of every byte being decoded). `None`: none
    /// of the three comes, or a byte sequence is not UTF-8.
    #[inline(always)]
    pub(crate) fn stop(&self, b: &[u8], vs: usize) -> Option<usize> {
        use wide::u8x16;
        let (quote, lf, backslash) = (u8x16::splat(b'"'), u8x16::splat(b'\n'), u8x16::splat(b'\\'));
        let mut i = vs;
        // Label values are short (Envoy's cluster names 40–60 bytes; user agents and paths
        // 100–200): blocks of 16 inline up to 256 bytes, then the vector search with its call
        // and set-up.
        while i - vs < 256 {
            let Some(block) = b.get(i..i + 16) else {
                break;
            };
            let block: [u8; 16] = block.try_into().unwrap_or([0; 16]);
            let v = u8x16::new(block);
            let stops = (v.simd_eq(quote) | v.simd_eq(lf) | v.simd_eq(backslash)).to_bitmask();
            // The bytes above 0x7f: their top bits.
            let high = v.to_bitmask();
            if stops | high != 0 {
                // 32 for no stop or no such byte: a stop before any such byte ends an ASCII
                // value (told from the masks, not by reading the byte again).
                let ve = stops.trailing_zeros();
                if ve < high.trailing_zeros() {
                    return Some(i + ve as usize);
                }
                // Non-ASCII characters: the block starts where a character does (the value's
                // start, or after the characters the blocks before it held), so its bytes
                // before a stop are checked together.
                if stops != 0 {
                    let ve = ve as usize;
                    return crate::event::located::utf8_block(block, ve).then_some(i + ve);
                }
                // No stop in the block: the characters up to one cut by its end are checked,
                // and the search goes on from that character's start.
                i += crate::event::located::utf8_block_prefix(block)?;
                continue;
            }
            i += 16;
        }
        // Values longer than 256 bytes and the body's last 15 bytes: `i` is where a character
        // starts, so the bytes before the stop are checked in one pass (restarting the search
        // after each run of non-ASCII characters would read the rest of the value again for
        // each: quadratic in a hostile value).
        self.stop_far(b, i)
    }

    /// [`ValueEnd::stop`] from `b[i..]` on, where a character starts, by the vector search.
    #[cold]
    #[inline(never)]
    fn stop_far(&self, b: &[u8], i: usize) -> Option<usize> {
        let rest = &b[i..];
        #[cfg(target_arch = "x86_64")]
        let ve = match &self.avx2 {
            Some(three) => three.find(rest),
            None => memchr::memchr3(b'"', b'\n', b'\\', rest),
        }?;
        #[cfg(not(target_arch = "x86_64"))]
        let ve = memchr::memchr3(b'"', b'\n', b'\\', rest)?;
        std::str::from_utf8(&rest[..ve]).ok()?;
        Some(i + ve)
    }
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
    match sample(line, i, line_no, offset, has_backslash, cx) {
        Err(e) if cx.limits.recheck(&e) => Some(sample_without_limits(
            line,
            i,
            line_no,
            offset,
            has_backslash,
            cx,
        )),
        r => Some(r),
    }
}

/// A sample line a label limit stopped, read again without the limits (for the scrape's
/// exact report); out of line, off the path of every other line.
#[cold]
#[inline(never)]
fn sample_without_limits<'a>(
    line: &'a str,
    i: usize,
    line_no: u64,
    offset: u64,
    has_backslash: bool,
    cx: &mut LineCtx,
) -> Result<Event<'a>, LineError> {
    crate::dialect::limits::LimitCheck::without(
        cx,
        |cx| &mut cx.limits,
        |cx| sample(line, i, line_no, offset, has_backslash, cx),
    )
}

pub(super) fn comment(line: &str, hash: usize, line_no: u64) -> Result<Event<'_>, LineError> {
    let b = line.as_bytes();
    let kw = skip_blanks(b, hash + 1);
    let plain = || {
        Event::Comment(Comment {
            text: Cow::Borrowed(&line[hash + 1..]),
            line: line_no,
        })
    };
    if kw == hash + 1 || kw + 4 > b.len() {
        if kw == hash + 1 && memchr::memchr(0, &b[kw..]).is_some() {
            return Err(nul_in_comment(
                line,
                kw + memchr::memchr(0, &b[kw..]).unwrap_or(0),
            ));
        }
        if kw < b.len() && b[kw] == 0 {
            return Err(nul_in_comment(line, kw));
        }
        return Ok(plain());
    }
    let word = &b[kw..kw + 4];
    let is_help = word == b"HELP";
    if !(is_help || word == b"TYPE") || kw + 4 >= b.len() || !is_blank(b[kw + 4]) {
        if b[kw] == 0 {
            return Err(nul_in_comment(line, kw));
        }
        if let Some(nul) = nul_keyword(b, kw) {
            return Err(nul_in_keyword(line, nul));
        }
        return Ok(plain());
    }
    let keyword = if is_help { "HELP" } else { "TYPE" };
    let n = skip_blanks(b, kw + 4);
    let (name, name_end) = meta_name(line, n)
        .ok_or_else(|| expected(&format!("metric name after {keyword}"), line, n, Lex::Meta1))?;
    // Prometheus drops exactly one byte after the name as the separator, whatever it is.
    if name_end < b.len() && (b[name_end] == 0 || b[name_end] >= 0x80) {
        return Err(meta_separator_error(line, name_end, is_help));
    }
    let rest_start = (name_end + 1).min(b.len());
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
pub(super) fn meta_name(line: &str, i: usize) -> Option<(&str, usize)> {
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

pub(crate) mod duplicates;
pub(crate) mod errors;
pub(crate) mod fast;
pub(crate) mod general;

pub(crate) use duplicates::*;
pub(crate) use errors::*;
pub(crate) use fast::*;
use general::*;

#[cfg(test)]
mod tests {
    use super::ValueEnd;

    /// The inline blocks, the hand-over to the vector search after 256 bytes and the body's
    /// short tail all give what a plain search and `from_utf8` give: for every value length up
    /// to 320 (and a start 0–2 bytes into the body), a `"`, LF or `\` at every position (or
    /// none), and before it ASCII, a valid character of two to four bytes or a broken one at
    /// positions around the blocks' edges.
    #[test]
    fn stop_agrees_with_a_plain_search() {
        let search = ValueEnd::default();
        // The first `"`, LF or `\` from `vs`, if the bytes before it are UTF-8.
        let plain = |b: &[u8], vs: usize| {
            let p = vs
                + b[vs..]
                    .iter()
                    .position(|&c| matches!(c, b'"' | b'\n' | b'\\'))?;
            std::str::from_utf8(&b[vs..p]).ok().map(|_| p)
        };
        let chars: [&[u8]; 7] = [
            b"",
            "é".as_bytes(),
            "€".as_bytes(),
            "𝄞".as_bytes(),
            b"\xc3",
            b"\xe2\x82",
            b"\xff",
        ];
        let mut checked = 0;
        for len in 0..320usize {
            for vs in 0..3 {
                for at in (0..=len).filter(|at| at % 7 == 0 || at % 16 >= 13 || at + 3 >= len) {
                    for (k, ch) in chars.iter().enumerate() {
                        for stop in [b'"', b'\n', b'\\'] {
                            let mut b = vec![b'a'; vs + len];
                            if at < len {
                                b[vs + at] = stop;
                            }
                            // The character a little before the stop (or the end).
                            let place = vs + at.saturating_sub(1 + k % 4 + ch.len());
                            if place + ch.len() <= b.len() {
                                b[place..place + ch.len()].copy_from_slice(ch);
                            }
                            assert_eq!(search.stop(&b, vs), plain(&b, vs), "{b:?} from {vs}");
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 100_000, "{checked}");
        // A long value of ASCII runs with a character every 300 bytes, then the stop.
        let mut long = "x".repeat(299).into_bytes();
        for _ in 0..12 {
            long.extend_from_slice("é".as_bytes());
            long.extend_from_slice("y".repeat(298).as_bytes());
        }
        long.push(b'"');
        assert_eq!(search.stop(&long, 0), Some(long.len() - 1));
        long.insert(long.len() - 20, 0x80);
        assert_eq!(search.stop(&long, 0), None);
    }
}
