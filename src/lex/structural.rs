//! A structural index of a line's label block: 64-byte blocks classified into bitmasks
//! (quotes, label-name bytes, line feeds, and bytes the one-pass path declines), so that a
//! series with many labels (Istio's 20 and more) is walked quote to quote with a few bit
//! operations per label instead of byte by byte.
//!
//! Portable 16-byte vectors (`wide`, SSE2 on x86-64, NEON on aarch64) and no `unsafe`. The
//! byte-by-byte label grammar in [`crate::dialect::prometheus`] stays the reference: the index only ever
//! accepts a block of the tight form `name="value",…` that the reference accepts too, and
//! declines everything else to it (tests/structural.rs compares them).

use wide::u8x16;

/// 64-byte words one index covers at most: 2 KiB (longer lines take the byte-by-byte path).
const WORDS: usize = 32;

pub(crate) use crate::event::located::quote_mask;
use crate::event::located::{lanes, utf8_run_end};

/// The index of the first line feed or byte above 0x7f at or after `from`, or `b.len()`.
#[inline(always)]
pub(crate) fn lf_or_non_ascii(b: &[u8], from: usize) -> usize {
    let lf = u8x16::splat(b'\n');
    let mut i = from;
    // A HELP text is a few dozen bytes: its first 64 in one mask, without a branch per block
    // (whose exit at a varying length would be mispredicted on most lines).
    if let Some(block) = b.get(i..i + 64) {
        let mut m = 0u64;
        for (k, chunk) in block.chunks_exact(16).enumerate() {
            let mut a = [0u8; 16];
            a.copy_from_slice(chunk);
            let v = u8x16::new(a);
            m |= ((v.simd_eq(lf) | v).to_bitmask() as u64) << (k * 16);
        }
        if m != 0 {
            return i + m.trailing_zeros() as usize;
        }
        i += 64;
    }
    while let Some(chunk) = b.get(i..i + 16) {
        let mut a = [0u8; 16];
        a.copy_from_slice(chunk);
        let v = u8x16::new(a);
        // `| v`: a byte above 0x7f has its top bit set.
        let hits = (v.simd_eq(lf) | v).to_bitmask();
        if hits != 0 {
            return i + hits.trailing_zeros() as usize;
        }
        i += 16;
    }
    while i < b.len() && b[i] != b'\n' && b[i] < 0x80 {
        i += 1;
    }
    i
}

/// The classes of one 64-byte block, bit `i` for byte `i`.
struct Masks {
    quote: u64,
    /// A line feed, a backslash or a byte above 0x7f: where the index stops (the one-pass path
    /// leaves lines with the last two to the general one).
    stop: u64,
}

#[inline(always)]
fn masks(b: &[u8], at: usize) -> Masks {
    let (quote, lf, backslash) = (u8x16::splat(b'"'), u8x16::splat(b'\n'), u8x16::splat(b'\\'));
    let mut m = Masks { quote: 0, stop: 0 };
    let (vs, down) = lanes(b, at);
    for (k, v) in vs.into_iter().enumerate() {
        let shift = k * 16;
        m.quote |= (v.simd_eq(quote).to_bitmask() as u64) << shift;
        // A byte above 0x7f has its top bit set, which `to_bitmask` reads.
        m.stop |= ((v.simd_eq(lf) | v.simd_eq(backslash) | v).to_bitmask() as u64) << shift;
    }
    m.quote >>= down;
    m.stop >>= down;
    m
}

/// The index of one line from a position inside its label block to its line feed.
#[derive(Debug)]
pub(crate) struct LineIndex {
    quotes: [u64; WORDS],
    /// The body position of bit 0 of word 0.
    base: usize,
    words: usize,
    /// The line's end: its line feed, or the body's end.
    pub end: usize,
}

impl Default for LineIndex {
    fn default() -> Self {
        LineIndex {
            quotes: [0; WORDS],
            base: 0,
            words: 0,
            end: 0,
        }
    }
}

impl LineIndex {
    /// Indexes `b` from `from` to the end of its line. `false` when a backslash or bytes
    /// that are not UTF-8 come first, or the line runs past `WORDS` blocks from `from`.
    #[inline]
    pub(crate) fn build(&mut self, b: &[u8], from: usize) -> bool {
        self.base = from;
        // Bytes before this are UTF-8 checked (a run of non-ASCII characters may reach into
        // the next word).
        let mut checked = from;
        for w in 0..WORDS {
            let at = from + w * 64;
            let m = masks(b, at);
            self.quotes[w] = m.quote;
            let mut stop = m.stop;
            while stop != 0 {
                let p = at + stop.trailing_zeros() as usize;
                if p < checked {
                    // The end of a character checked with the word before.
                    stop &= stop - 1;
                    continue;
                }
                if b[p] < 0x80 {
                    // The first line feed or backslash: the line's end if a LF.
                    self.words = w + 1;
                    self.end = p;
                    return b[p] == b'\n';
                }
                // Non-ASCII characters (in a label value: the names are checked against the
                // ASCII name table as they are walked) are checked here, once.
                let Some(next) = utf8_run_end(b, p) else {
                    return false;
                };
                checked = next;
                stop &= u64::MAX.checked_shl((next - at) as u32).unwrap_or(0);
            }
            if at + 64 >= b.len() {
                self.words = w + 1;
                self.end = b.len();
                return true;
            }
        }
        false
    }
}

/// Walks the quotes of a [`LineIndex`] in order.
struct Quotes<'i> {
    index: &'i LineIndex,
    word: usize,
    bits: u64,
}

impl<'i> Quotes<'i> {
    fn new(index: &'i LineIndex) -> Self {
        Quotes {
            index,
            word: 0,
            bits: index.quotes[0],
        }
    }

    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        while self.bits == 0 {
            self.word += 1;
            if self.word >= self.index.words {
                return None;
            }
            self.bits = self.index.quotes[self.word];
        }
        let bit = self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Some(self.index.base + self.word * 64 + bit)
    }
}

/// Walks the labels of a tight block from `from` (a label's first byte, or the `}`), with
/// `b` indexed from `from` in `index`: `name="value"` pairs joined by single commas, an
/// optional trailing comma, then `}`. `label` is called with each name's span (non-empty, the
/// `=` after it checked) and its value's closing quote, and says whether the name is a valid
/// label name. Returns the `}`'s index and the number of labels, or `None` for anything else
/// (the byte-by-byte path then decides).
#[inline]
pub(crate) fn tight_labels(
    b: &[u8],
    from: usize,
    index: &LineIndex,
    mut label: impl FnMut(usize, usize, usize) -> bool,
) -> Option<(usize, usize)> {
    let mut quotes = Quotes::new(index);
    let mut p = from;
    let mut n = 0;
    loop {
        let c = *b.get(p)?;
        if c == b'}' {
            return Some((p, n));
        }
        let open = quotes.next()?;
        // The name: `p..eq`, non-empty, then `="`.
        let eq = open.checked_sub(1)?;
        if eq <= p || b[eq] != b'=' {
            return None;
        }
        let close = quotes.next()?;
        if close >= index.end || !label(p, eq, close) {
            return None;
        }
        n += 1;
        match b.get(close + 1) {
            Some(b',') => p = close + 2,
            Some(b'}') => return Some((close + 1, n)),
            _ => return None,
        }
    }
}

/// Most names one [`NameSeq`] checks; a longer block takes the byte-by-byte path.
pub(crate) const SEQ_NAMES: usize = 64;

/// The name checks of a long tight block: valid label names, no two equal. Series of one body
/// repeat the same label names in the same order (Istio's 20 and more on every line), so each
/// name is first compared with the same place of the last line that passed the full checks:
/// a line that repeats that list name for name is valid and free of duplicates without any
/// other work. From the first difference on, names are scanned, and the whole list is checked
/// for duplicates at the end (a 256-bit filter over name hashes, exact comparison on a hit).
#[derive(Debug)]
pub(crate) struct NameSeq {
    /// This line's names, and their values' closing quotes.
    spans: [(u32, u32); SEQ_NAMES],
    closes: [u32; SEQ_NAMES],
    n: usize,
    /// Whether every name so far equals the remembered one at its place.
    same: bool,
    /// The remembered line's names: their bytes, and `(offset, length)` in them.
    prev_bytes: Vec<u8>,
    prev: [(u32, u32); SEQ_NAMES],
    prev_n: usize,
}

impl Default for NameSeq {
    fn default() -> Self {
        NameSeq {
            spans: [(0, 0); SEQ_NAMES],
            closes: [0; SEQ_NAMES],
            n: 0,
            same: true,
            prev_bytes: Vec::new(),
            prev: [(0, 0); SEQ_NAMES],
            prev_n: 0,
        }
    }
}

impl NameSeq {
    #[inline(always)]
    pub(crate) fn clear(&mut self) {
        self.n = 0;
        self.same = true;
    }

    /// Records the name `start..end` of the line (non-empty) whose value closes at `close`,
    /// and says whether it is a valid label name; `false` too when the list is full.
    #[inline(always)]
    pub(crate) fn push(&mut self, b: &[u8], start: usize, end: usize, close: usize) -> bool {
        let k = self.n;
        if k == SEQ_NAMES {
            return false;
        }
        self.spans[k] = (start as u32, end as u32);
        self.closes[k] = close as u32;
        self.n = k + 1;
        if self.same && k < self.prev_n {
            let (off, len) = self.prev[k];
            let known = &self.prev_bytes[off as usize..(off + len) as usize];
            if end - start == len as usize && crate::lex::scan::has_prefix_at(b, start, known) {
                return true;
            }
        }
        self.same = false;
        crate::lex::scan::is_label_start(b[start])
            && crate::lex::scan::label_name_end(b, start + 1) >= end
    }

    /// Whether the recorded names (spans into `b`) are all different: free when they are the
    /// remembered list or its start (a histogram's `_sum` and `_count` after its buckets, the
    /// same labels but `le`), which stays remembered.
    #[inline(always)]
    pub(crate) fn distinct(&mut self, b: &[u8]) -> bool {
        if self.same && self.n <= self.prev_n {
            return true;
        }
        self.distinct_full(b)
    }

    #[inline(never)]
    fn distinct_full(&mut self, b: &[u8]) -> bool {
        let n = self.n;
        let mut hashes = [0u64; SEQ_NAMES];
        let mut bloom = [0u64; 4];
        for k in 0..n {
            let (s, e) = self.spans[k];
            let name = &b[s as usize..e as usize];
            let h = crate::lex::scan::name_hash(name);
            hashes[k] = h;
            let (word, bit) = ((h >> 62) as usize, 1u64 << ((h >> 56) & 63));
            if bloom[word] & bit != 0 {
                let earlier = hashes[..k].iter().zip(&self.spans[..k]);
                for (&h0, &(s0, e0)) in earlier {
                    if h0 == h && &b[s0 as usize..e0 as usize] == name {
                        return false;
                    }
                }
            }
            bloom[word] |= bit;
        }
        // Remember this list for the lines after it. The names of an indexed line fit in a
        // few KiB: reserved once, so that changing lists do not reallocate as they grow.
        // The names lie in order along the line: the bytes from the first to the last are
        // copied at once.
        self.prev_bytes.clear();
        if self.prev_bytes.capacity() == 0 {
            self.prev_bytes.reserve(2 * WORDS * 64);
        }
        if n > 0 {
            let first = self.spans[0].0;
            self.prev_bytes
                .extend_from_slice(&b[first as usize..self.spans[n - 1].1 as usize]);
            for k in 0..n {
                let (s, e) = self.spans[k];
                self.prev[k] = (s - first, e - s);
            }
        }
        self.prev_n = n;
        true
    }
}

/// A previous sample line of the same buffer whose labels the one-pass path checked through
/// the index: its names and closing quotes stay in the [`NameSeq`] until the next such line.
#[derive(Debug, Default)]
pub(crate) struct PrevLine {
    pub valid: bool,
}

/// Consecutive series of a family differ in few labels (a histogram's `le`, Envoy's cluster
/// name after consul's five constant labels): when the labels after the first three, from
/// `from` on, start with the same bytes as the previous checked line's from its fourth label
/// on, through a label's closing quote and the byte after it, those labels are the same valid
/// labels (shifted), and are taken over without a scan. `located`: this line's first three
/// labels (name start, name end, closing quote), already scanned. Returns the number of labels
/// so far and the index of the byte after the last one taken over (`,` or `}`), with `seq`
/// holding them all; `None` when none is shared.
#[inline(always)]
pub(crate) fn reuse_prev(
    b: &[u8],
    from: usize,
    located: [(usize, usize, usize); 3],
    prev: &PrevLine,
    seq: &mut NameSeq,
) -> Option<(usize, usize)> {
    if !prev.valid || seq.n <= 3 {
        return None;
    }
    // The previous line's names are the remembered list or its start.
    debug_assert!(seq.n <= seq.prev_n);
    // The previous line's fourth label, after its third value's quote and comma.
    let p4 = seq.closes[2] as usize + 2;
    // The compared length: through the byte after the last label's closing quote.
    let limit = seq.closes[seq.n - 1] as usize - p4 + 2;
    let shared = crate::lex::scan::common_prefix(b, p4, from, limit);
    // Labels whose closing quote and the byte after it are shared.
    // (The closing quotes grow along the line.)
    let j = 3 + seq.closes[3..seq.n].partition_point(|&c| (c as usize - p4) + 1 < shared);
    if j == 3 {
        return None;
    }
    // The remembered list starts with the previous line's names (a line becomes `prev` only
    // after its names were checked, which leaves them remembered or finds them the start of
    // the remembered list), so names 4 to `j` are the remembered
    // ones at their places: recorded as such (shifted), without comparing them again. The
    // first three are this line's own, compared as usual.
    let shift = |x: u32| (x as usize - p4 + from) as u32;
    for k in 3..j {
        let ((ns, ne), close) = (seq.spans[k], seq.closes[k]);
        seq.spans[k] = (shift(ns), shift(ne));
        seq.closes[k] = shift(close);
    }
    seq.clear();
    for (ns, ne, ve) in located {
        // Scanned valid already: only the comparison with the remembered name matters.
        seq.push(b, ns, ne, ve);
    }
    seq.n = j;
    Some((j, seq.closes[j - 1] as usize + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The masks agree with a byte-by-byte classification at every offset, for every byte value.
    #[test]
    fn masks_agree_with_a_plain_classification() {
        let long: Vec<u8> = (0..=255u8)
            .chain(b"a_Z9\"\\\n".iter().copied())
            .cycle()
            .take(700)
            .collect();
        // Long and short bodies: near the end the last 64 bytes are loaded and shifted.
        for body in [&long[..], &long[..63], &long[200..264], &long[..1]] {
            for at in 0..body.len() + 3 {
                let m = masks(body, at);
                for i in 0..64 {
                    let c = body.get(at + i).copied().unwrap_or(0);
                    let bit = |m: u64| m >> i & 1 == 1;
                    assert_eq!(bit(m.quote), c == b'"', "quote at {at}+{i}");
                    assert_eq!(bit(m.stop), c == b'\n' || c == b'\\' || c > 0x7f);
                }
                assert_eq!(quote_mask(body, at), m.quote);
            }
        }
    }

    #[test]
    fn lf_or_non_ascii_agrees_with_a_plain_search() {
        for len in 0..80usize {
            for at in 0..=len {
                for hit in [b'\n', 0x80, 0xff] {
                    let mut h = vec![b'x'; len];
                    if at < len {
                        h[at] = hit;
                    }
                    for from in 0..=len {
                        let plain = (from..len)
                            .find(|&i| h[i] == b'\n' || h[i] > 0x7f)
                            .unwrap_or(len);
                        assert_eq!(lf_or_non_ascii(&h, from), plain, "{len} {at} {from}");
                    }
                }
            }
        }
    }

    /// The name checks against plain ones, on repeated, permuted, duplicated and invalid name
    /// lists, one after another (so the remembered list is used and replaced).
    #[test]
    fn name_seq_agrees_with_plain_checks() {
        let names = [
            "reporter",
            "source_workload",
            "source_app",
            "a",
            "b",
            "source_workload",
            "x_1",
            "9x",
            "sourcE_workload",
            "source-app",
        ];
        let mut seq = NameSeq::default();
        let mut rng = 7u64;
        let mut shortcut = 0;
        for round in 0..4000 {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = 1 + (rng >> 33) as usize % 6;
            let list: Vec<&str> = if round % 3 == 0 {
                names[..4].to_vec()
            } else if round % 5 == 1 {
                // The start of the list above.
                names[..len.min(4)].to_vec()
            } else {
                (0..len)
                    .map(|k| names[(rng >> (k * 5)) as usize % names.len()])
                    .collect()
            };
            let line = list.join(",");
            let b = line.as_bytes();
            seq.clear();
            let mut valid = true;
            let mut at = 0;
            for name in &list {
                valid &= seq.push(b, at, at + name.len(), at + name.len());
                at += name.len() + 1;
            }
            let plain_valid = list.iter().all(|n| {
                n.bytes()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
                    && n.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
            });
            assert_eq!(valid, plain_valid, "{list:?}");
            if !valid {
                continue;
            }
            shortcut += usize::from(seq.same && seq.n <= seq.prev_n);
            let distinct = (0..list.len()).all(|i| (0..i).all(|j| list[i] != list[j]));
            assert_eq!(seq.distinct(b), distinct, "{list:?}");
        }
        assert!(
            shortcut > 500,
            "the remembered list was used {shortcut} times"
        );
    }
}
