//! Pre-located labels, unchecked line text and tight label blocks: the crate's only `unsafe`
//! code is here — two `unsafe fn`s ([`Located::new`], [`line_text`]) and the unchecked
//! slicing behind them, the walk over tight label blocks ([`QuoteWalk`], safe to call: it proves
//! what it slices itself), the cache prefetch ([`prefetch`], a safe function), text that is
//! checked ASCII ([`ascii_str`], a safe function) and protobuf label pairs checked once per
//! metric ([`PairRun`], made only by safe functions that check it). The
//! `unsafe fn`s are called only where the precondition is proved, each with a `SAFETY` comment:
//! the general sample grammar (`dialect::prometheus::general`, `Located::new`) and the
//! one-pass paths in `read::core` (`line_text` for a sample, a metadata line and a line of a
//! series the scrape knows, `Located::new` for a sample). `#![deny(unsafe_code)]` holds
//! everywhere else.
//!
//! The line parsers already know where each of a sample's first labels lies when they
//! validate it. Handing those labels out with checked slicing (`str::get`: two bound checks and
//! four char-boundary checks per label) costs a measurable share of a full parse with labels
//! iterated; a cheaper checked form gained nothing. So the parser certifies the positions
//! once, where it has the proof for free, and [`Cursor::next`] (the state of
//! [`crate::SampleLabels`]) slices without checks.
//!
//! # Invariant
//!
//! A `Located` either locates nothing (`count == Located::NONE`: its labels are re-scanned by
//! the checked path) or holds `count <= INLINE_LABELS` labels, and for each label `k < count`
//! its spans `[name_start, name_end, value_start, value_end]` (packed into one word, see
//! [`pack`]) satisfy `name_start <= name_end <= text.len()` and
//! `value_start <= value_end <= text.len()`, and all four are char boundaries of `text`. Only
//! [`Located::new`] (an `unsafe fn` whose callers prove it) and [`Located::none`] (no labels)
//! construct one, and no method changes `text`, `count` or the spans afterwards (`with_tag`
//! changes only the owner's byte). A [`Cursor`] carries the same invariant for the labels it
//! has not handed out yet. Debug builds
//! (the test suite, and the fuzz targets, which CI runs with debug assertions) check the
//! invariant in `new`, and CI runs this module's tests, which drive both line parsers and the
//! chunk feeder through it, under Miri.
//!
//! Why the parsers can prove it: every recorded position is at an ASCII byte of the line
//! (a label's first byte, its `=`, a value's closing `"`) or directly after one (a value's
//! first byte follows its opening `"`; a name's end follows its last ASCII name byte), and
//! in valid UTF-8 such a position is always a char boundary.
//!
//! The second use is [`line_text`]: the one-pass paths (`fast_sample`, `fast_meta`) accept
//! ASCII bytes and the non-ASCII characters that [`utf8_run_end`], [`utf8_block`] or
//! [`utf8_block_prefix`] (safe functions, here because this proof rests on them) checked
//! where their searches stopped, so the line they took is valid UTF-8 without a check of the
//! whole line (a check that is a few percent of an Envoy parse); so does the scrape's
//! known-series path (`known_sample`) for a line whose series it found ASCII while comparing
//! it. Debug builds check that the bytes are UTF-8, the tests of the three compare them with
//! `str::from_utf8` (every lead byte with the boundary values of the bytes after it; windows
//! of such bytes at several places of a 16-byte block, for every end), and the Miri run covers
//! them through the same tests.
//!
//! The third is [`QuoteWalk`]: past the located labels, Istio's series have twenty more, which
//! the iterator finds quote to quote. Checked slicing of each name and value was a tenth of a
//! parse of an Istio body with its labels iterated. The walk finds the quotes itself (over
//! 64-byte masks of the text it slices), so a value's bounds are quotes and need no check; a
//! name's are checked with two byte compares (an `=` before the opening quote, a first byte
//! that does not continue a character) instead of `str`'s four boundary and two bound checks.
//! Its tests feed it arbitrary text, tight or not, under Miri.
//!
//! The fourth is [`prefetch`]: a CPU hint that reads and writes nothing the program sees. Its
//! `unsafe` is the intrinsic's raw-pointer signature, with a pointer into a live slice.
//!
//! The fifth is [`ascii_str`], safe to call: the protobuf reader's strings as text after an
//! ASCII check of a few wide loads, where the standard library's UTF-8 check was an eighth of a
//! protobuf parse. Its test compares it with `str::from_utf8` on every length and position of
//! a high byte, under Miri.
//!
//! The sixth is [`PairRun`]: a protobuf metric's label pairs, handed out once per series, so a
//! classic histogram's labels are walked for each of its buckets. Slicing each name and value
//! with `str::get` (four bound and char-boundary checks per string) was over half of a
//! protobuf parse of Istio's histograms with the labels iterated; the run is checked once
//! instead, when the metric is read ([`RunCheck`] while finding the run, or
//! [`PairRun::prefix_of`]), and its pairs are then sliced by their lengths. Its tests compare
//! it with a plain decoder on pairs in and out of the common encoding, values cut inside a
//! character and arbitrary bytes, under Miri.

use wide::u8x16;

/// Asks the CPU to bring `bytes` into its cache ahead of a read. A hint with no effect on what
/// the program computes: a prefetch never faults, reads nothing into a register and writes
/// nothing. (A no-op off x86-64.)
///
/// The scrape cache's keys are read once per scrape, in the order of the previous scrape:
/// each is cold by then, and waiting for it was most of what a warm scrape added to the parse.
#[inline(always)]
pub(crate) fn prefetch(bytes: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let mut at = 0;
        while let Some(rest) = bytes.get(at..) {
            if rest.is_empty() {
                break;
            }
            // SAFETY: `_mm_prefetch` is `unsafe` only because it takes a raw pointer; it
            // dereferences nothing (any address is allowed), and this one points into `bytes`.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(rest.as_ptr().cast()) };
            at += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}

/// The 64 bytes from `at` as four vectors, and how far the masks made of them must be shifted
/// down: near the end of `b` the last 64 bytes of `b` are loaded instead (shift `> 0`), so that
/// nothing is copied; bytes past the end then read as absent. Only a `b` shorter than 64 bytes
/// is copied into a zero-padded block (a zero byte is in no class).
#[inline(always)]
pub(crate) fn lanes(b: &[u8], at: usize) -> ([u8x16; 4], usize) {
    let load = |s: &[u8]| {
        let mut a = [0u8; 16];
        a.copy_from_slice(&s[..16]);
        u8x16::new(a)
    };
    let four = |s: &[u8]| [load(s), load(&s[16..]), load(&s[32..]), load(&s[48..])];
    if let Some(s) = b.get(at..at + 64) {
        return (four(s), 0);
    }
    if b.len() >= 64 && at < b.len() {
        let base = b.len() - 64;
        return (four(&b[base..]), at - base);
    }
    let mut buf = [0u8; 64];
    let rest = b.get(at..).unwrap_or_default();
    buf[..rest.len()].copy_from_slice(rest);
    (four(&buf), 0)
}

/// Bit `i` set where byte `at + i` of `b` is a `"` (none past the end).
#[inline(always)]
pub(crate) fn quote_mask(b: &[u8], at: usize) -> u64 {
    if at >= b.len() {
        return 0;
    }
    let quote = u8x16::splat(b'"');
    let (vs, shift) = lanes(b, at);
    let mut m = 0u64;
    for (k, v) in vs.into_iter().enumerate() {
        m |= (v.simd_eq(quote).to_bitmask() as u64) << (k * 16);
    }
    m >> shift
}

/// The labels of a tight label block after the located ones, walked quote to quote and sliced
/// without `str`'s checks: the cheap half of iterating Istio's 20 and more labels per series.
///
/// A tight block is `name="value"` pairs joined by single commas, no escapes (the parser
/// validated it). The walk takes the block's quotes in pairs, each pair a value's bounds, the
/// name running from where the walk stands to the byte before the opening quote.
///
/// Its own invariant: `text` is the line up to the block's end, so every quote
/// [`quote_mask`] finds lies in `text`; `quotes` holds quote bits of the 64 bytes before `at`
/// not yet taken (bit `i` for byte `at - 64 + i`, each set bit a `"` of `text`); quotes are
/// taken in increasing order. Only [`QuoteWalk::new`] makes one, and nothing else changes it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct QuoteWalk<'a> {
    text: &'a str,
    quotes: u64,
    at: u32,
    pos: u32,
}

impl<'a> QuoteWalk<'a> {
    /// The labels of `text[from..end]` (empty if `end` is not a char boundary of `text`).
    #[inline(always)]
    pub fn new(text: &'a str, from: usize, end: usize) -> Self {
        // Positions are kept in `u32` (lines are far shorter than 4 GiB).
        let text = match text.get(..end) {
            Some(t) if t.len() < u32::MAX as usize - 64 && from <= t.len() => t,
            _ => "",
        };
        QuoteWalk {
            text,
            quotes: 0,
            at: from as u32,
            pos: from as u32,
        }
    }

    /// The next quote, or `None` at the end of `text`.
    #[inline(always)]
    fn next_quote(&mut self) -> Option<usize> {
        while self.quotes == 0 {
            if self.at as usize >= self.text.len() {
                return None;
            }
            self.quotes = quote_mask(self.text.as_bytes(), self.at as usize);
            self.at += 64;
        }
        let at = self.at as usize - 64 + self.quotes.trailing_zeros() as usize;
        self.quotes &= self.quotes - 1;
        Some(at)
    }

    /// The next label's name and value; `None` at the block's end (or at anything that is not
    /// a label of a tight block, which a validated block does not hold).
    #[inline(always)]
    pub fn next(&mut self) -> Option<(&'a str, &'a str)> {
        let b = self.text.as_bytes();
        let pos = self.pos as usize;
        if pos >= b.len() {
            return None;
        }
        let open = self.next_quote()?;
        let close = self.next_quote()?;
        // What the slicing needs beyond the quotes: a name that ends at an `=` right before the
        // opening quote and starts on a char boundary.
        if open <= pos || b[open - 1] != b'=' || (b[pos] as i8) < -0x40 {
            return None;
        }
        self.pos = close as u32 + 2;
        // SAFETY: by the invariant `open < close < text.len()` and both are `"` bytes, so
        // `open + 1` (after an ASCII byte) and `close` (an ASCII byte) are char boundaries with
        // `open + 1 <= close`. `pos < open` was checked, so `pos <= open - 1 < text.len()`;
        // `open - 1` is an `=` (ASCII) and `pos` a byte that does not continue a character
        // (checked): both are char boundaries. That is what `str::get_unchecked` requires.
        unsafe {
            Some((
                self.text.get_unchecked(pos..open - 1),
                self.text.get_unchecked(open + 1..close),
            ))
        }
    }
}

/// How many labels a sample can carry pre-located (beyond that,
/// [`SampleLabels`](crate::SampleLabels) re-scans).
pub(crate) const INLINE_LABELS: usize = 3;

/// The text of one line and the spans of its first labels, relative to the line.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Located<'a> {
    text: &'a str,
    /// Located labels, or [`Located::NONE`] when the labels must be re-scanned.
    count: u8,
    /// A byte the owner may use (the sample's flags): it would otherwise be padding, and
    /// keeping the sample at 120 bytes keeps every event at 128.
    tag: u8,
    spans: [u64; INLINE_LABELS],
}

/// The text of a line the one-pass path took, without a UTF-8 check.
///
/// # Safety
///
/// `bytes` is valid UTF-8: [`crate::dialect::prometheus::fast_sample`] and `fast_meta` look
/// at every byte of a line they take and accept ASCII bytes and characters [`utf8_run_end`],
/// [`utf8_block`] or [`utf8_block_prefix`] checked (see their comments). Debug builds check
/// it.
#[inline(always)]
pub(crate) unsafe fn line_text(bytes: &[u8]) -> &str {
    debug_assert!(std::str::from_utf8(bytes).is_ok(), "not UTF-8: {bytes:?}");
    // SAFETY: the caller's promise, checked in debug builds.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

/// The end of the run of UTF-8 encoded characters of two to four bytes at `b[i..]`: the index
/// of the first ASCII byte after it (or `b.len()`); `None` when the run holds a byte sequence
/// that is not UTF-8 (the rules of RFC 3629 as `str::from_utf8` applies them: no overlong
/// forms, no surrogates, nothing above U+10FFFF). Safe; what the one-pass path proves with it
/// lets [`line_text`] skip the UTF-8 check, so its tests compare it with `str::from_utf8`.
#[inline(always)]
pub(crate) fn utf8_run_end(b: &[u8], mut i: usize) -> Option<usize> {
    // A continuation byte (0x80..=0xbf) is below -64 as `i8`.
    let cont = |c: u8| (c as i8) < -64;
    while let Some(&c) = b.get(i) {
        if c < 0x80 {
            return Some(i);
        }
        let c1 = *b.get(i + 1)?;
        if (0xc2..=0xdf).contains(&c) {
            // Two bytes, the common case (Latin letters with accents).
            if !cont(c1) {
                return None;
            }
            i += 2;
            continue;
        }
        let c2 = *b.get(i + 2)?;
        if !cont(c2) {
            return None;
        }
        // The first continuation byte's range excludes overlong forms (after 0xe0, 0xf0),
        // surrogates (after 0xed) and code points above U+10FFFF (after 0xf4).
        let first_ok = match c {
            0xe0 => (0xa0..=0xbf).contains(&c1),
            0xed => (0x80..=0x9f).contains(&c1),
            0xe1..=0xef => cont(c1),
            0xf0 => (0x90..=0xbf).contains(&c1),
            0xf1..=0xf3 => cont(c1),
            0xf4 => (0x80..=0x8f).contains(&c1),
            _ => return None,
        };
        if !first_ok {
            return None;
        }
        if c < 0xf0 {
            i += 3;
            continue;
        }
        if !cont(*b.get(i + 3)?) {
            return None;
        }
        i += 4;
    }
    Some(i)
}

/// Whether `block[..end]` is complete UTF-8 (the same verdict as `str::from_utf8`), decided
/// for the whole block at once from its byte classes instead of character by character: a
/// label value's non-ASCII characters vary in length from one value to the next, and the
/// per-character branches of [`utf8_run_end`] were mispredicted at about every one. Safe;
/// what the one-pass path proves with it lets [`line_text`] skip the UTF-8 check, so its tests
/// compare it with `str::from_utf8`. `end <= 16`.
#[inline(always)]
pub(crate) fn utf8_block(block: [u8; 16], end: usize) -> bool {
    let (bad, past, _) = utf8_classes(block, (1u32 << end) - 1);
    !bad && past == 0
}

/// How many bytes at the start of `block` are complete UTF-8 when the rest is the start of a
/// character cut by the block's end (all 16 when none is cut); `None` if the block holds a
/// sequence that is not UTF-8 (a cut character is read whole from its start next). Safe, like
/// [`utf8_block`]. The count is at least 13 when it is not 16.
#[inline(always)]
pub(crate) fn utf8_block_prefix(block: [u8; 16]) -> Option<usize> {
    let (bad, past, lead) = utf8_classes(block, 0xffff);
    if bad {
        return None;
    }
    // A character that does not end in the block started at its last lead byte.
    Some(if past == 0 {
        16
    } else {
        31 - lead.leading_zeros() as usize
    })
}

/// The byte classes of `block`'s lanes in `inside` as bit masks (a signed compare over the 16
/// bytes each; the rules that need no shift between lanes are combined before their one mask
/// is taken, the second-byte rules through a copy of the block one lane later): whether a
/// lane breaks UTF-8 (a continuation byte where no lead expects one or the reverse, a byte
/// that never occurs — 0xc0, 0xc1, 0xf5 and above — or a second byte out of the narrower
/// range after 0xe0, 0xed, 0xf0 or 0xf4: overlong forms, surrogates, code points above
/// U+10FFFF), the continuations the lanes' leads expect past `inside`, and the lead bytes.
#[inline(always)]
fn utf8_classes(block: [u8; 16], inside: u32) -> (bool, u32, u32) {
    use wide::i8x16;
    let v = i8x16::new(block.map(|c| c as i8));
    // Each lane's byte before it (none before lane 0).
    let prev = i8x16::new(std::array::from_fn(|k| {
        if k == 0 { 0 } else { block[k - 1] as i8 }
    }));
    let splat = i8x16::splat;
    let is = |x: u8| prev.simd_eq(splat(x as i8));
    // As `i8`, bytes from 0x80 are negative: 0x80..=0xbf below -64, 0xc0 and up from -64.
    let cont_v = v.simd_lt(splat(-64));
    let high = v.to_bitmask() & inside;
    let cont = cont_v.to_bitmask() & inside;
    let lead = high & !cont;
    let three = v.simd_gt(splat(-33)).to_bitmask() & high; // 0xe0..
    let four = v.simd_gt(splat(-17)).to_bitmask() & high; // 0xf0..
    // Bytes that never occur (0xc0, 0xc1; 0xf5..), and second bytes out of the narrower
    // range after 0xe0 (from 0xa0), 0xed (to 0x9f), 0xf0 (from 0x90), 0xf4 (to 0x8f); a lane
    // flagged there that is no continuation at all breaks the expectation anyway.
    let wrong = (v.simd_lt(splat(-62)) & !cont_v)
        | (v.simd_gt(splat(-12)) & v.simd_lt(splat(0)))
        | (is(0xe0) & v.simd_lt(splat(-96)))
        | (is(0xed) & v.simd_gt(splat(-97)))
        | (is(0xf0) & v.simd_lt(splat(-112)))
        | (is(0xf4) & v.simd_gt(splat(-113)));
    // A byte is a continuation exactly where a lead before it expects one.
    let expected = lead << 1 | three << 2 | four << 3;
    let bad = (cont ^ expected | wrong.to_bitmask()) & inside != 0;
    (bad, expected & !inside, lead)
}

/// The leading label pairs of a protobuf `Metric` (or `Exemplar`) in the encoding encoders
/// write, checked once when made and then handed out pair by pair without checks: a
/// histogram's or summary's labels are walked for every one of its series, so the walk is a
/// large share of a parse of Istio's histograms.
///
/// # Invariant
///
/// `text` is a sequence of whole pairs `0x0a L 0x0a NL name 0x12 VL value` (each length below
/// 0x80, `NL` at least 1, `L = 4 + NL + VL`) and ends on a char boundary. Then every name and value starts
/// right after an ASCII byte (NL or VL), every name ends at an ASCII byte (0x12), and every
/// value ends where the next pair's tag (0x0a) lies or at the end of `text`: in valid UTF-8 all
/// of them are char boundaries. Only [`PairRun::prefix_of`] and [`RunCheck::pairs`] (for
/// the run it walked, all of whose pairs it found common) make one with pairs, and
/// [`PairRun::next_pair`] keeps the invariant for the pairs after the one it hands out.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PairRun<'a> {
    text: &'a str,
}

impl<'a> PairRun<'a> {
    /// The longest prefix of `run` that is a sequence of pairs in the common encoding (empty
    /// if `run` does not start with one).
    #[inline]
    pub(crate) fn prefix_of(run: &'a str) -> Self {
        let b = run.as_bytes();
        let (mut end, mut last) = (0, 0);
        while let [0x0a, l @ 0..0x80, 0x0a, nl @ 1..0x80, ..] = *b.get(end..).unwrap_or_default() {
            let (l, nl) = (usize::from(l), usize::from(nl));
            match b.get(end + 4 + nl..end + 6 + nl) {
                Some(&[0x12, vl]) if 4 + nl + usize::from(vl) == l && end + 2 + l <= b.len() => {}
                _ => break,
            }
            (last, end) = (end, end + 2 + l);
        }
        // A value cut inside a character (the pair after it is not one of these): the run
        // ends before that pair, at its tag.
        if !run.is_char_boundary(end) {
            end = last;
        }
        PairRun {
            // `end` is a char boundary: checked, or the start of a pair (its tag is ASCII).
            text: run.get(..end).unwrap_or_default(),
        }
    }

    /// The length of the run in bytes.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.text.len()
    }

    /// The run's bytes: the pairs' framing and strings, which determine the pairs exactly.
    // For the scrape cache's keys (feature `yaml`).
    #[cfg_attr(not(feature = "yaml"), allow(dead_code))]
    #[inline(always)]
    pub(crate) fn as_bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The next pair's name and value; `None` at the end of the run.
    #[inline(always)]
    pub(crate) fn next_pair(&mut self) -> Option<(&'a str, &'a str)> {
        let &[_, l, _, nl, ..] = self.text.as_bytes() else {
            return None;
        };
        let (end, nl) = (2 + usize::from(l), usize::from(nl));
        // SAFETY: by the invariant the text starts with a whole pair of `L = l` and `NL = nl`:
        // `4 <= 4 + nl <= 6 + nl <= end <= text.len()`, and the four bounds and `end` are char
        // boundaries (see the type's invariant). What is left after `end` is a sequence of
        // whole pairs ending where the text ends, so the invariant holds for it.
        unsafe {
            let name = self.text.get_unchecked(4..4 + nl);
            let value = self.text.get_unchecked(6 + nl..end);
            self.text = self.text.get_unchecked(end..);
            Some((name, value))
        }
    }
}

/// Whether `msg` is a `LabelPair` in the common encoding (name, then value, both shorter than
/// 128 bytes, nothing else) with a non-empty name: then the protobuf reader's `label_pair`
/// reads it as `(&msg[2..2 + nl], &msg[4 + nl..])`.
#[inline(always)]
pub(crate) fn common_pair(msg: &[u8]) -> bool {
    match msg {
        [0x0a, nl @ 1..0x80, rest @ ..] => match rest.get(*nl as usize..) {
            Some([0x12, vl @ 0..0x80, value @ ..]) => value.len() == *vl as usize,
            _ => false,
        },
        _ => false,
    }
}

/// The leading run of `LabelPair` fields of one-byte lengths in a protobuf message (what
/// encoders write first in a `Metric`), and whether every pair in it is a [`common_pair`]: one
/// walk for both, made when the metric is read, so that its [`PairRun`] needs no walk of its
/// own. Every byte of the run outside the strings is ASCII (tags and lengths below 0x80), so the
/// run is valid UTF-8 exactly when its strings are, and one check covers them all.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunCheck<'a> {
    run: &'a [u8],
    common: bool,
}

impl<'a> RunCheck<'a> {
    /// The run at the start of `msg`.
    #[inline(always)]
    pub(crate) fn of(msg: &'a [u8]) -> Self {
        let mut rest = msg;
        let mut common = true;
        while let [0x0a, l @ 0..0x80, tail @ ..] = rest {
            let Some((pair, after)) = tail.split_at_checked(*l as usize) else {
                break;
            };
            common &= common_pair(pair);
            rest = after;
        }
        RunCheck {
            run: msg.get(..msg.len() - rest.len()).unwrap_or_default(),
            common,
        }
    }

    /// The run's length in bytes.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.run.len()
    }

    /// Whether every pair of the run is a [`common_pair`].
    #[inline(always)]
    pub(crate) fn common(&self) -> bool {
        self.common
    }

    /// The pairs of `text`, the run's own bytes validated as UTF-8: the whole run when every
    /// pair of it is common (checked when the run was walked), else [`PairRun::prefix_of`].
    #[inline(always)]
    pub(crate) fn pairs(&self, text: &'a str) -> PairRun<'a> {
        // The same address and length: the same bytes, borrowed for as long as both.
        if self.common && std::ptr::eq(text.as_bytes(), self.run) {
            // Every field of the run is `0x0a L pair` with `L < 0x80` and a common pair, which
            // is the invariant's pair; the text ends where the run does.
            return PairRun { text };
        }
        PairRun::prefix_of(text)
    }
}

/// `bytes` as text when every byte is ASCII, found with a few wide loads instead of a UTF-8
/// decode: the protobuf reader's strings (names, help, label pairs) are short and nearly
/// always ASCII, and the standard library's check costs about 140 instructions on a string of
/// 24–56 bytes. `None` otherwise (the caller then checks for UTF-8). Safe to call: it proves
/// what it converts.
#[inline(always)]
pub(crate) fn ascii_str(bytes: &[u8]) -> Option<&str> {
    if !is_ascii(bytes) {
        return None;
    }
    // SAFETY: every byte is below 0x80 (checked just above), and ASCII is valid UTF-8.
    Some(unsafe { std::str::from_utf8_unchecked(bytes) })
}

/// Whether every byte of `b` is below 0x80: 16-byte lanes OR-ed (the last one overlapping)
/// from 16 bytes on, two overlapping words from 8, two overlapping halves from 4.
#[inline(always)]
fn is_ascii(b: &[u8]) -> bool {
    const HI: u64 = 0x8080_8080_8080_8080;
    let n = b.len();
    let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or([0; 8]));
    if n >= 16 {
        let lane = |at: usize| u8x16::new(b[at..at + 16].try_into().unwrap_or([0; 16]));
        let mut acc = lane(n - 16);
        let mut i = 0;
        while i + 16 < n {
            acc |= lane(i);
            i += 16;
        }
        acc.to_bitmask() == 0
    } else if n >= 8 {
        (word(0) | word(n - 8)) & HI == 0
    } else if n >= 4 {
        let half = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or([0; 4]));
        (half(0) | half(n - 4)) & 0x8080_8080 == 0
    } else {
        b.iter().all(|&c| c < 0x80)
    }
}

/// One located label's `[name_start, name_end, value_start, value_end]` as four `u16` packed
/// into one `u64` (`name_start` in the low bits). One word per label, so that the parser
/// writes it with one store and every later read of it is one load of the same word: a load
/// that spans several narrower stores made just before cannot be forwarded from the CPU's
/// store buffer and waits for them to reach the cache (`perf` showed such stalls at the first
/// reads of every sample).
#[inline(always)]
pub(crate) fn pack(
    name_start: usize,
    name_end: usize,
    value_start: usize,
    value_end: usize,
) -> u64 {
    (name_start as u16 as u64)
        | (name_end as u16 as u64) << 16
        | (value_start as u16 as u64) << 32
        | (value_end as u16 as u64) << 48
}

/// [`pack`] undone.
#[inline(always)]
pub(crate) fn unpack(p: u64) -> [usize; 4] {
    [
        p as u16 as usize,
        (p >> 16) as u16 as usize,
        (p >> 32) as u16 as usize,
        (p >> 48) as u16 as usize,
    ]
}

impl<'a> Located<'a> {
    /// The `count` of a line whose labels are not located.
    pub const NONE: u8 = u8::MAX;

    /// A line without located labels.
    #[inline(always)]
    pub fn none(text: &'a str) -> Self {
        Located {
            text,
            count: Self::NONE,
            tag: 0,
            spans: [0; INLINE_LABELS],
        }
    }

    /// A line with `count` located labels.
    ///
    /// # Safety
    ///
    /// `count <= INLINE_LABELS`, and for each `k < count`, `spans[k]` =
    /// [`pack`]`(name_start, name_end, value_start, value_end)` with
    /// `name_start <= name_end <= text.len()`, `value_start <= value_end <= text.len()`, and
    /// all four char boundaries of `text` (the module's invariant).
    #[inline(always)]
    pub unsafe fn new(text: &'a str, count: usize, spans: [u64; INLINE_LABELS]) -> Self {
        let located = Located {
            text,
            count: count as u8,
            tag: 0,
            spans,
        };
        debug_assert!(
            count <= INLINE_LABELS && located.holds(),
            "located labels break the invariant: {count} {spans:?} in {text:?}"
        );
        located
    }

    /// Whether the invariant holds (the checked form of what `new`'s callers prove).
    fn holds(&self) -> bool {
        let t = self.text;
        let n = self.count as usize;
        n <= INLINE_LABELS
            && self.spans[..n].iter().all(|&s| {
                let [a, b, c, d] = unpack(s);
                a <= b
                    && c <= d
                    && [a, b, c, d]
                        .iter()
                        .all(|&p| p <= t.len() && t.is_char_boundary(p))
            })
    }

    /// The owner's byte.
    #[inline(always)]
    pub fn tag(&self) -> u8 {
        self.tag
    }

    /// The same, with the owner's byte set to `tag`.
    #[inline(always)]
    pub fn with_tag(self, tag: u8) -> Self {
        Located { tag, ..self }
    }

    /// The line.
    #[inline(always)]
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// How many labels are located, `None` when they must be re-scanned.
    #[inline(always)]
    pub fn count(&self) -> Option<usize> {
        (self.count != Self::NONE).then_some(self.count as usize)
    }

    /// Where a label after the last of [`INLINE_LABELS`] located ones would start in a tight
    /// block: two bytes after its value's closing quote (past the comma).
    #[inline(always)]
    pub fn after_last(&self) -> usize {
        unpack(self.spans[INLINE_LABELS - 1])[3] + 2
    }

    /// The located labels as an iterator's state, copied word by word (see [`Cursor`]).
    #[inline(always)]
    pub fn cursor(&self) -> Cursor<'a> {
        Cursor {
            first: self.spans[0],
            text: self.text,
            second: self.spans[1],
            left: self.count,
            third: self.spans[2],
        }
    }

    /// Label `k`'s name and value; `None` from `k == count` on (or when none are located).
    /// (Iteration goes through [`Located::cursor`]; this is the tests' direct access.)
    #[cfg(test)]
    pub fn label(&self, k: usize) -> Option<(&'a str, &'a str)> {
        if self.count == Self::NONE || k >= self.count as usize {
            return None;
        }
        let [a, b, c, d] = unpack(*self.spans.get(k)?);
        // SAFETY: `k < count` and `count != NONE`, so the invariant makes `a..b` and `c..d`
        // in-bounds ranges whose ends are char boundaries of `text`, which is what
        // `str::get_unchecked` requires.
        unsafe { Some((self.text.get_unchecked(a..b), self.text.get_unchecked(c..d))) }
    }
}

/// The labels of a [`Located`] not yet handed out: the state of [`crate::SampleLabels`].
///
/// Its own invariant is `Located`'s, shifted: `left` is [`Located::NONE`], or the first `left`
/// of `first`, `second`, `third` are packed spans of labels of `text`, in bounds and on char
/// boundaries. Only [`Located::cursor`] makes one, and [`Cursor::next`] keeps it.
///
/// The words are separate fields, in an order unlike `Located`'s (`repr(C)`), so that copying
/// them out of a just-parsed sample is one load per word, each forwarded from the parser's own
/// store of that word: copying the whole `Located` took wider, overlapping loads that stalled
/// on the store buffer.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(crate) struct Cursor<'a> {
    first: u64,
    text: &'a str,
    second: u64,
    left: u8,
    third: u64,
}

impl<'a> Cursor<'a> {
    /// A cursor over no located labels (they are re-scanned).
    #[inline(always)]
    pub fn none(text: &'a str) -> Self {
        Located::none(text).cursor()
    }

    /// Whether the labels are located (else the owner re-scans them).
    #[inline(always)]
    pub fn is_located(&self) -> bool {
        self.left != Located::NONE
    }

    /// The line.
    #[inline(always)]
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The next located label's name and value; `None` when all are handed out (or none are
    /// located).
    #[inline(always)]
    pub fn next(&mut self) -> Option<(&'a str, &'a str)> {
        if self.left == 0 || self.left == Located::NONE {
            return None;
        }
        let [a, b, c, d] = unpack(self.first);
        (self.first, self.second) = (self.second, self.third);
        self.left -= 1;
        // SAFETY: `left` was neither 0 nor `NONE`, so by the invariant `first` held the packed
        // spans of a label of `text`: `a..b` and `c..d` are in bounds and their ends are char
        // boundaries, which is what `str::get_unchecked` requires. The shift above keeps the
        // invariant for the `left - 1` labels after it.
        unsafe { Some((self.text.get_unchecked(a..b), self.text.get_unchecked(c..d))) }
    }
}

#[cfg(test)]
mod tests {
    /// `ascii_str` gives what `str::from_utf8` gives on ASCII and `None` on anything else: every
    /// length up to 70 with no high byte and with one (0x80, a UTF-8 lead byte, 0xff) at every
    /// position, and valid multi-byte text.
    #[test]
    fn ascii_str_agrees_with_from_utf8() {
        // Under Miri every third length (its blocks' edges among them).
        for n in (0..70usize).step_by(if cfg!(miri) { 3 } else { 1 }) {
            let plain: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            assert_eq!(super::ascii_str(&plain), std::str::from_utf8(&plain).ok());
            for at in 0..n {
                for high in [0x80u8, 0xc3, 0xff] {
                    let mut b = plain.clone();
                    b[at] = high;
                    assert_eq!(super::ascii_str(&b), None, "{n} {at} {high:x}");
                }
            }
        }
        assert_eq!(
            super::ascii_str("café au lait, s'il vous plaît".as_bytes()),
            None
        );
        assert_eq!(super::ascii_str(b"\x7f\x00 ~"), Some("\x7f\x00 ~"));
    }

    use super::*;

    #[test]
    fn hands_out_the_located_labels_in_order() {
        let line = r#"m{a="x",bé="ü"} 1"#;
        // SAFETY: checked by hand, and by `new`'s debug assertion.
        let l = unsafe { Located::new(line, 2, [pack(2, 3, 5, 6), pack(8, 11, 13, 15), 0]) };
        assert_eq!(l.count(), Some(2));
        assert_eq!(l.label(0), Some(("a", "x")));
        assert_eq!(l.label(1), Some(("bé", "ü")));
        assert_eq!(l.label(2), None);
        assert_eq!(l.label(usize::MAX), None);
        assert_eq!(l.text(), line);
        let mut c = l.cursor();
        assert!(c.is_located());
        assert_eq!(c.next(), Some(("a", "x")));
        assert_eq!(c.next(), Some(("bé", "ü")));
        assert_eq!(c.next(), None);
        assert_eq!(c.next(), None);
        assert_eq!(c.text(), line);
    }

    type Pairs<'t> = Vec<(&'t str, &'t str)>;

    /// The walk's labels, and the same walk with checked slicing (the model).
    fn walk_both(text: &str, from: usize, end: usize) -> (Pairs<'_>, Pairs<'_>) {
        let mut w = QuoteWalk::new(text, from, end);
        let walked: Vec<_> = std::iter::from_fn(|| w.next()).collect();
        let mut model = Vec::new();
        if let Some(t) = text.get(..end).filter(|t| from <= t.len()) {
            let b = t.as_bytes();
            let mut quotes = (from..b.len()).filter(|&i| b[i] == b'"');
            let mut pos = from;
            while pos < b.len() {
                let (Some(open), Some(close)) = (quotes.next(), quotes.next()) else {
                    break;
                };
                let (Some(name), Some(value)) =
                    (t.get(pos..open.max(1) - 1), t.get(open + 1..close))
                else {
                    break;
                };
                if open <= pos || b[open - 1] != b'=' {
                    break;
                }
                model.push((name, value));
                pos = close + 2;
            }
        }
        (walked, model)
    }

    #[test]
    fn quote_walk_takes_tight_blocks_across_words() {
        // Values of every length around the 64-byte words, multi-byte characters at the ends.
        for len in [0, 1, 30, 61, 62, 63, 64, 65, 127, 128, 129] {
            for fill in ["v", "é", "€"] {
                let value = fill.repeat(len / fill.len());
                let labels = [("a", value.as_str()), ("bb", "x"), ("c_3", value.as_str())];
                let block: Vec<String> =
                    labels.iter().map(|(n, v)| format!("{n}=\"{v}\"")).collect();
                let line = format!("m{{{}}} 1", block.join(","));
                let (from, end) = (2, line.len() - 3);
                let (walked, model) = walk_both(&line, from, end);
                assert_eq!(walked, labels, "{line}");
                assert_eq!(model, labels, "{line}");
            }
        }
    }

    #[test]
    fn quote_walk_slices_only_on_char_boundaries() {
        // Anything, not only tight blocks: quotes, `=`, commas and multi-byte characters at
        // every place, every start and end. Under Miri a slice off a boundary or out of bounds
        // fails here.
        let alphabet = ["\"", "=", ",", "a", "\u{e9}", "\u{20ac}", "}", "\u{1f600}"];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let cases = if cfg!(miri) { 60 } else { 3000 };
        for _ in 0..cases {
            xorshift(&mut seed);
            let n = (seed % 90) as usize;
            let mut r = seed;
            let text: String = (0..n)
                .map(|_| {
                    r = r
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    alphabet[(r >> 59) as usize % alphabet.len()]
                })
                .collect();
            let len = text.len();
            for from in [0, 1, 2, 3, len / 2, len, len + 1] {
                for end in [len, len.saturating_sub(1), len / 2 + 1, len + 5] {
                    let (walked, model) = walk_both(&text, from, end);
                    assert_eq!(walked, model, "{text:?} {from} {end}");
                }
            }
        }
    }

    #[test]
    fn known_series_lines_are_unchecked_text() {
        // The scrape's known-series path takes a line whose series it found ASCII through
        // `line_text`, any other through the UTF-8 check: both give the plain parse's events
        // (under Miri too), offered their own series, in whole and in small chunks.
        use crate::read::stream::known_check::{offered, plain};
        let body = "a_total 1\na_total{x=\"1\"} 2\nb{x=\"\u{e9}\"} 3\nb{x=\"\u{20ac}\",y=\"2\"} 4\n\
                    abcdefghijklmnopqrstuvwxyz_total{envoy_cluster_name=\"outbound|9080||reviews\"} 5\n";
        let settings = crate::Settings::default();
        for chunk in [usize::MAX, 7] {
            let (want, series) = plain(body.as_bytes(), &settings, chunk);
            let (got, taken) = offered(body.as_bytes(), &settings, chunk, |k| {
                series.get(k).map(Vec::as_slice)
            });
            assert_eq!(got, want, "chunks of {chunk}");
            if chunk == usize::MAX {
                assert_eq!(taken, 5);
            }
        }
    }

    /// `utf8_run_end` accepts a run exactly when `str::from_utf8` does, and ends it at the first
    /// ASCII byte: every lead byte followed by the boundary values of three more bytes (under
    /// Miri, the lead bytes of every length class and fewer boundaries), then an ASCII stop or
    /// the slice's end.
    #[test]
    fn utf8_run_end_agrees_with_from_utf8() {
        let edges: &[u8] = if cfg!(miri) {
            &[0x22, 0x80, 0xa0, 0xc2]
        } else {
            &[
                0x00, 0x22, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0,
                0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf3, 0xf4, 0xf5, 0xff,
            ]
        };
        let leads: Vec<u8> = if cfg!(miri) {
            vec![0x80, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xf5]
        } else {
            (0x80..=0xff).collect()
        };
        let mut checked = 0;
        for &lead in &leads {
            for &a in edges {
                for &b in edges {
                    for &c in edges {
                        let bytes = [lead, a, b, c];
                        for len in 1..=4 {
                            for stop in [None, Some(b'"')] {
                                let mut s = bytes[..len].to_vec();
                                s.extend(stop);
                                let ascii = s.iter().position(|c| c.is_ascii()).unwrap_or(s.len());
                                let want = std::str::from_utf8(&s[..ascii]).ok().map(|_| ascii);
                                assert_eq!(utf8_run_end(&s, 0), want, "{s:x?}");
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > if cfg!(miri) { 3000 } else { 1_000_000 });
        // Runs of several characters, from an offset.
        let text = "aé東😀z".as_bytes();
        assert_eq!(utf8_run_end(text, 1), Some(text.len() - 1));
        assert_eq!(utf8_run_end(text, 0), Some(0));
        assert_eq!(utf8_run_end(&text[..text.len() - 2], 1), None);
    }

    #[test]
    fn utf8_block_agrees_with_from_utf8() {
        // Every window of four bytes from the edges of each class, at several places in a
        // block of valid characters, for every end.
        let edges: &[u8] = if cfg!(miri) {
            &[0x80, 0xe0, 0xf4]
        } else {
            &[
                0x00, 0x22, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0,
                0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff,
            ]
        };
        // The fourth byte of a window from fewer values (the test runs unoptimized in CI).
        let fourth: &[u8] = if cfg!(miri) {
            &[0x41, 0xbf]
        } else {
            &[0x41, 0x80, 0xbf, 0xc2, 0xe0, 0xf0]
        };
        let fills: &[&[u8]] = if cfg!(miri) {
            &["é東😀xyz€!".as_bytes()]
        } else {
            &[
                b"abcdefghijklmnop",
                "é東😀xyz€!".as_bytes(),
                "ü東😀é".as_bytes(),
            ]
        };
        let places: &[usize] = if cfg!(miri) {
            &[0, 13]
        } else {
            &[0, 9, 13, 15]
        };
        let mut checked = 0;
        for &fill in fills {
            let mut base = [b'a'; 16];
            base[..fill.len().min(16)].copy_from_slice(&fill[..fill.len().min(16)]);
            for &a in edges {
                for &b in edges {
                    for &c in edges {
                        for &d in fourth {
                            for &at in places {
                                let mut block = base;
                                for (k, x) in [a, b, c, d].into_iter().enumerate() {
                                    if at + k < 16 {
                                        block[at + k] = x;
                                    }
                                }
                                for end in 0..=16 {
                                    let want = std::str::from_utf8(&block[..end]).is_ok();
                                    assert_eq!(utf8_block(block, end), want, "{block:x?} ..{end}");
                                    checked += 1;
                                }
                                // What `from_utf8` says of the whole block, but for a
                                // character cut at its end.
                                let want = match std::str::from_utf8(&block) {
                                    Ok(_) => Some(16),
                                    Err(e) if e.error_len().is_none() => Some(e.valid_up_to()),
                                    Err(_) => None,
                                };
                                assert_eq!(utf8_block_prefix(block), want, "{block:x?}");
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > if cfg!(miri) { 1_500 } else { 15_000_000 });
    }

    #[test]
    fn prefetch_touches_only_its_slice() {
        // Under Miri (CI), each prefetch's pointer must lie in the slice's allocation: every
        // length around the 64-byte step, and slices that end where their allocation ends.
        let v: Vec<u8> = (0..=255).collect();
        for len in [0, 1, 63, 64, 65, 127, 128, 129, 256] {
            super::prefetch(&v[..len]);
            super::prefetch(&v[256 - len..]);
        }
        let boxed: Box<[u8]> = vec![7u8; 800].into_boxed_slice();
        super::prefetch(&boxed);
        assert!(boxed.iter().all(|&b| b == 7), "a prefetch changes nothing");
        assert_eq!(v, (0..=255).collect::<Vec<u8>>());
    }

    #[test]
    fn none_locates_nothing() {
        let l = Located::none("m 1");
        assert_eq!(l.count(), None);
        assert_eq!(l.label(0), None);
        assert_eq!(l.label(3), None);
        let mut c = l.cursor();
        assert!(!c.is_located());
        assert_eq!(c.next(), None);
        assert!(!Cursor::none("m 1").is_located());
    }

    #[test]
    fn the_invariant_check_rejects_bad_spans() {
        let bad = |count: u8, [a, b, c, d]: [usize; 4]| {
            !Located {
                text: "é=x",
                count,
                tag: 0,
                spans: [pack(a, b, c, d), 0, 0],
            }
            .holds()
        };
        assert!(bad(1, [1, 2, 0, 0]), "not a char boundary");
        assert!(bad(1, [2, 0, 0, 0]), "reversed");
        assert!(bad(1, [0, 0, 3, 5]), "out of bounds");
        assert!(bad(4, [0; 4]), "more than INLINE_LABELS");
        assert!(!bad(1, [0, 2, 3, 4]));
        assert!(!bad(0, [9, 9, 9, 9]), "spans past count are not looked at");
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "invariant")]
    fn new_asserts_the_invariant_in_debug_builds() {
        // SAFETY: not upheld on purpose; the debug assertion panics before any use.
        let _ = unsafe { Located::new("é", 1, [pack(1, 2, 0, 0), 0, 0]) };
    }

    /// Lines of every shape the two line parsers locate labels for (and some they do not):
    /// one to four labels, a repeated `name{label=` prefix (the fast path's cache), multibyte
    /// names' neighbours and values, blanks, quoted names, escapes, timestamps.
    const SHAPES: &str = "a{x=\"1\",y=\"\u{e9}\"} 1\n\
        a{x=\"2\",y=\"\u{fc}\u{fc}\"} 2\n\
        a{x=\"\u{1f600}\"} 3\n\
        a{x=\"\"} 4\n\
        b{ z = \"\u{fc}\" , w=\"2\"} 2 3\n\
        c{\"q\"=\"v\",r=\"\"} 3\n\
        c{\"q.\u{e9}\"=\"v\",r=\"w\"} 3\n\
        {\"d\",s=\"t\"} 4\n\
        e{} 5\n\
        f 6\n\
        g{h=\"i\",j=\"k\",l=\"m\",n=\"o\"} 7\n\
        g{h=\"i\",j=\"k\",l=\"m\"} 8\n\
        g{h=\"a\\\\b\",j=\"\\\"\"} 9\n\
        h{i=\"j\",} 1 1000\n\
        h{i=\"j\"}   1e3\n\
        # HELP k Text of the one-pass metadata path.\n\
        # TYPE k counter\n\
        k{a=\"1\",b=\"2\",c=\"3\",d=\"4\",e=\"5\",f=\"6\"} 1\n\
        k{a=\"1\",b=\"2\",c=\"3\",d=\"4\",e=\"5\",f=\"7\"} 2\n\
        k{a=\"1\",b=\"2\",c=\"3\",d=\"4\",e=\"5\",f=\"7\",g=\"\u{e9}\"} 3\n";

    /// Every label handed out equals the checked re-scan of the same block (0 for other
    /// events).
    fn labels_agree(ev: crate::Event<'_>) -> usize {
        let Some(s) = ev.as_sample() else {
            return 0;
        };
        let located: Vec<_> = s.labels().collect();
        let rescanned: Vec<_> = s.labels().rescanned().collect();
        assert_eq!(located, rescanned, "{}", s.series());
        located.len()
    }

    #[test]
    fn parsed_samples_carry_valid_located_labels() {
        // Both line parsers (the one-pass fast path and the general one) through the public
        // API, on a complete body and fed in chunks of every small size (the chunked parser
        // takes the fast path only for lines whose end it has seen).
        let n: usize = crate::parse_str(SHAPES)
            .map(|ev| labels_agree(ev.unwrap()))
            .sum();
        assert_eq!(n, 43);
        for size in [1, 2, 3, 7, 16] {
            let mut p = crate::ChunkParser::new(crate::Settings::default());
            let mut m = 0;
            for chunk in SHAPES.as_bytes().chunks(size) {
                m += p
                    .feed(chunk)
                    .map(|ev| labels_agree(ev.unwrap()))
                    .sum::<usize>();
            }
            m += p
                .finish()
                .map(|ev| labels_agree(ev.unwrap()))
                .sum::<usize>();
            assert_eq!(m, n, "chunks of {size}");
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "minutes under Miri; SHAPES covers the same paths")]
    fn captured_envoy_and_istio_bodies_carry_valid_located_labels() {
        // The real sidecar captures beside the repository (`../shared`, as the integration
        // tests read them); the generator that made such bodies here is a crate of its own now.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/envoy");
        if !dir.is_dir() {
            eprintln!("note: {} is absent; skipping", dir.display());
            return;
        }
        for name in [
            "envoy_frontproxy_2023.prom",
            "envoy_consul-dataplane_2023.prom",
            "istio-1.5_sidecar_15090.prom",
            "istio-1.11_merged_15020.prom",
        ] {
            let body = std::fs::read_to_string(dir.join(name)).unwrap();
            let mut samples = 0;
            for ev in crate::parse_str(&body) {
                let ev = ev.unwrap_or_else(|e| panic!("{name}: {e}"));
                if ev.as_sample().is_some() {
                    labels_agree(ev);
                    samples += 1;
                }
            }
            assert!(samples > 400, "{name}: {samples} samples");
        }
    }

    /// The next state of a xorshift generator: the tests' arbitrary inputs from a fixed seed.
    fn xorshift(x: &mut u64) {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
    }

    /// The leading pairs of `text` read the plain way: `0x0a L` fields whose message is a
    /// name field (non-empty) then a value field, lengths below 0x80, both strings whole
    /// characters.
    fn plain_pairs(text: &[u8]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut p = 0;
        while let [0x0a, l, ..] = text[p..] {
            let end = p + 2 + usize::from(l);
            let Some(m) = text.get(p + 2..end).filter(|_| l < 0x80) else {
                break;
            };
            let [0x0a, nl, ..] = *m else { break };
            let nl = usize::from(nl);
            if nl == 0
                || m.len() < 4 + nl
                || m[2 + nl] != 0x12
                || 4 + nl + usize::from(m[3 + nl]) != m.len()
            {
                break;
            }
            match (
                std::str::from_utf8(&m[2..2 + nl]),
                std::str::from_utf8(&m[4 + nl..]),
            ) {
                (Ok(n), Ok(v)) => out.push((n.to_string(), v.to_string())),
                _ => break,
            }
            p = end;
        }
        out
    }

    fn walk(mut run: PairRun<'_>) -> Vec<(String, String)> {
        std::iter::from_fn(|| run.next_pair())
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// `msg` checked by [`RunCheck`], as the protobuf reader does: the pairs it hands out are
    /// the plain reader's, whole when every pair is common, and the same from a copy of the
    /// run's text (another address: the check then walks the text itself).
    fn check_message(msg: &[u8]) {
        // Any text, not only a run of fields: a pair may end inside a character there.
        if let Ok(text) = std::str::from_utf8(msg) {
            assert_eq!(walk(PairRun::prefix_of(text)), plain_pairs(msg), "{msg:x?}");
        }
        let check = RunCheck::of(msg);
        let Ok(text) = std::str::from_utf8(&msg[..check.len()]) else {
            return;
        };
        let want = plain_pairs(text.as_bytes());
        let pairs = check.pairs(text);
        if check.common() {
            assert_eq!(pairs.len(), text.len(), "{msg:x?}");
        }
        assert_eq!(walk(pairs), want, "{msg:x?}");
        let copy = text.to_string();
        assert_eq!(walk(check.pairs(&copy)), want, "{msg:x?}");
        assert_eq!(walk(PairRun::prefix_of(text)), want, "{msg:x?}");
    }

    /// Label pairs in and out of the common encoding, two and three in a row, with strings of
    /// several characters and lengths that cut one: [`PairRun`] hands out exactly the leading
    /// common pairs, each on char boundaries (Miri checks the unchecked slicing).
    #[test]
    fn pair_runs_hand_out_the_leading_common_pairs() {
        fn field(inner: &[u8]) -> Vec<u8> {
            let mut f = vec![0x0a, inner.len() as u8];
            f.extend_from_slice(inner);
            f
        }
        fn pair(name: &[u8], value: &[u8]) -> Vec<u8> {
            let mut m = vec![0x0a, name.len() as u8];
            m.extend_from_slice(name);
            m.extend_from_slice(&[0x12, value.len() as u8]);
            m.extend_from_slice(value);
            field(&m)
        }
        // A pair whose value is one byte of `é`: its end is not a char boundary.
        let cut = vec![0x0a, 0x06, 0x0a, 0x01, b'a', 0x12, 0x01, 0xc3];
        let pieces: Vec<Vec<u8>> = vec![
            pair(b"code", b"200"),
            pair("bé".as_bytes(), "ü€".as_bytes()),
            pair(b"x", b""),
            pair(b"", b"v"),
            field(&[0x12, 0x01, b'v', 0x0a, 0x01, b'n']),
            field(&[0x0a, 0x01, b'n']),
            [cut.as_slice(), &[0xa9]].concat(),
            [cut.as_slice(), &[0xa9], &pair(b"b", b"c")].concat(),
            cut,
            vec![0x12, 0x01, 0x30],
            vec![0x0a],
            vec![0x0a, 0x05, 0x0a, 0x01],
        ];
        // Under Miri, which runs the unchecked slicing, the third piece from every fourth.
        let thirds = if cfg!(miri) { 4 } else { 1 };
        for a in &pieces {
            for b in &pieces {
                for c in pieces.iter().step_by(thirds) {
                    let msg: Vec<u8> = [a.as_slice(), b, c].concat();
                    check_message(&msg);
                    check_message(&msg[..msg.len() / 2]);
                }
            }
        }
    }

    /// Arbitrary short messages over the bytes that matter (tags, small lengths, ASCII, UTF-8
    /// lead and continuation bytes), from a fixed seed.
    #[test]
    fn pair_runs_of_arbitrary_bytes() {
        const BYTES: [u8; 14] = [
            0x0a, 0x12, 0, 1, 2, 3, 4, 5, 7, b'a', 0xc3, 0xa9, 0x80, 0xe2,
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let rounds = if cfg!(miri) { 400 } else { 20_000 };
        for _ in 0..rounds {
            xorshift(&mut x);
            let len = (x % 24) as usize;
            let mut y = x;
            let mut msg: Vec<u8> = (0..len)
                .map(|_| {
                    y = y.rotate_left(5).wrapping_mul(0x2545_f491_4f6c_dd1d);
                    BYTES[(y >> 59) as usize % BYTES.len()]
                })
                .collect();
            // Often a well-formed pair first, so that runs are not always empty.
            if x & 1 == 0 {
                let mut p = vec![0x0a, 7, 0x0a, 1, b'n', 0x12, 2];
                p.extend_from_slice("é".as_bytes());
                p.append(&mut msg);
                msg = p;
            }
            check_message(&msg);
        }
    }
}
