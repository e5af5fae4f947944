//! A structural index of a line's label block: 64-byte blocks classified into bitmasks
//! (quotes, label-name bytes, line feeds, and bytes the one-pass path declines), so that a
//! series with many labels (Istio's 20 and more) is walked quote to quote with a few bit
//! operations per label instead of byte by byte.
//!
//! Portable 16-byte vectors (`wide`, SSE2 on x86-64, NEON on aarch64) and no `unsafe`. The
//! byte-by-byte label grammar in [`crate::prom`] stays the reference: the index only ever
//! accepts a block of the tight form `name="value",…` that the reference accepts too, and
//! declines everything else to it (tests/structural.rs compares them).

use wide::u8x16;

/// 64-byte words one index covers at most: 2 KiB (longer lines take the byte-by-byte path).
const WORDS: usize = 32;

/// The 64 bytes from `at`, zero-padded past the end of `b` (a zero byte is in no class).
#[inline(always)]
fn block(b: &[u8], at: usize) -> [u8; 64] {
    match b.get(at..at + 64) {
        Some(s) => s.try_into().unwrap_or([0; 64]),
        None => {
            let mut buf = [0u8; 64];
            let rest = b.get(at..).unwrap_or_default();
            buf[..rest.len()].copy_from_slice(rest);
            buf
        }
    }
}

#[inline(always)]
fn lane(buf: &[u8; 64], k: usize) -> u8x16 {
    let mut a = [0u8; 16];
    a.copy_from_slice(&buf[k * 16..k * 16 + 16]);
    u8x16::new(a)
}

/// Bit `i` set where byte `at + i` of `b` is a `"` (none past the end).
#[inline(always)]
pub(crate) fn quote_mask(b: &[u8], at: usize) -> u64 {
    let buf = block(b, at);
    let quote = u8x16::splat(b'"');
    let mut m = 0u64;
    for k in 0..4 {
        m |= (lane(&buf, k).simd_eq(quote).to_bitmask() as u64) << (k * 16);
    }
    m
}

/// The index of the first line feed or byte above 0x7f at or after `from`, or `b.len()`.
#[inline(always)]
pub(crate) fn lf_or_non_ascii(b: &[u8], from: usize) -> usize {
    let lf = u8x16::splat(b'\n');
    let mut i = from;
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
    /// `[A-Za-z0-9_]`: the bytes of a legacy label name.
    name: u64,
    lf: u64,
    /// A backslash or a byte above 0x7f: the one-pass path leaves such lines to the general one.
    special: u64,
}

#[inline(always)]
fn masks(b: &[u8], at: usize) -> Masks {
    let buf = block(b, at);
    let (quote, lf, backslash, underscore) = (
        u8x16::splat(b'"'),
        u8x16::splat(b'\n'),
        u8x16::splat(b'\\'),
        u8x16::splat(b'_'),
    );
    let zero = u8x16::splat(0);
    let mut m = Masks {
        quote: 0,
        name: 0,
        lf: 0,
        special: 0,
    };
    for k in 0..4 {
        let v = lane(&buf, k);
        let shift = k * 16;
        m.quote |= (v.simd_eq(quote).to_bitmask() as u64) << shift;
        m.lf |= (v.simd_eq(lf).to_bitmask() as u64) << shift;
        // A byte above 0x7f has its top bit set, which `to_bitmask` reads.
        m.special |= ((v.simd_eq(backslash) | v).to_bitmask() as u64) << shift;
        // Letters: `| 0x20` folds A–Z onto a–z and moves no other byte there.
        let lower = v | u8x16::splat(0x20);
        let alpha = (lower - u8x16::splat(b'a'))
            .saturating_sub(u8x16::splat(25))
            .simd_eq(zero);
        let digit = (v - u8x16::splat(b'0'))
            .saturating_sub(u8x16::splat(9))
            .simd_eq(zero);
        let name = alpha | digit | v.simd_eq(underscore);
        m.name |= (name.to_bitmask() as u64) << shift;
    }
    m
}

/// The index of one line from a position inside its label block to its line feed.
#[derive(Debug)]
pub(crate) struct LineIndex {
    quotes: [u64; WORDS],
    names: [u64; WORDS],
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
            names: [0; WORDS],
            base: 0,
            words: 0,
            end: 0,
        }
    }
}

impl LineIndex {
    /// Indexes `b` from `from` to the end of its line. `false` when a backslash or a byte
    /// above 0x7f comes first, or the line runs past `WORDS` blocks from `from`.
    #[inline]
    pub(crate) fn build(&mut self, b: &[u8], from: usize) -> bool {
        self.base = from;
        for w in 0..WORDS {
            let at = from + w * 64;
            let m = masks(b, at);
            self.quotes[w] = m.quote;
            self.names[w] = m.name;
            if m.lf != 0 {
                let before_lf = (m.lf & m.lf.wrapping_neg()) - 1;
                self.words = w + 1;
                self.end = at + m.lf.trailing_zeros() as usize;
                return m.special & before_lf == 0;
            }
            if m.special != 0 {
                return false;
            }
            if at + 64 >= b.len() {
                self.words = w + 1;
                self.end = b.len();
                return true;
            }
        }
        false
    }

    /// Whether every byte of `start..end` (inside the index, `start < end`) is a label-name
    /// byte.
    #[inline(always)]
    fn all_names(&self, start: usize, end: usize) -> bool {
        let (s, e) = (start - self.base, end - self.base);
        let (ws, we) = (s / 64, (e - 1) / 64);
        if ws == we {
            let bits = ((!0u64) >> (64 - (e - s))) << (s % 64);
            return self.names[ws] & bits == bits;
        }
        let first = !0u64 << (s % 64);
        if self.names[ws] & first != first {
            return false;
        }
        for w in ws + 1..we {
            if self.names[w] != !0 {
                return false;
            }
        }
        let last = (!0u64) >> (63 - (e - 1) % 64);
        self.names[we] & last == last
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
/// optional trailing comma, then `}`. Calls `seen` with each name's span (it returns `true`
/// for a repeated name). Returns the `}`'s index and the number of labels, or `None` for
/// anything else (the byte-by-byte path then decides).
#[inline]
pub(crate) fn tight_labels(
    b: &[u8],
    from: usize,
    index: &LineIndex,
    mut seen: impl FnMut(usize, usize) -> bool,
) -> Option<(usize, usize)> {
    let mut quotes = Quotes::new(index);
    let mut p = from;
    let mut n = 0;
    loop {
        let c = *b.get(p)?;
        if c == b'}' {
            return Some((p, n));
        }
        if c.is_ascii_digit() {
            return None;
        }
        let open = quotes.next()?;
        // The name: `p..eq`, non-empty, every byte a name byte, then `="`.
        let eq = open.checked_sub(1)?;
        if eq <= p || b[eq] != b'=' || !index.all_names(p, eq) {
            return None;
        }
        let close = quotes.next()?;
        if close >= index.end || seen(p, eq) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The masks agree with a byte-by-byte classification at every offset, for every byte value.
    #[test]
    fn masks_agree_with_a_plain_classification() {
        let body: Vec<u8> = (0..=255u8).chain(b"a_Z9\"\\\n".iter().copied()).cycle().take(700).collect();
        for at in 0..body.len() + 3 {
            let m = masks(&body, at);
            for i in 0..64 {
                let c = body.get(at + i).copied().unwrap_or(0);
                let bit = |m: u64| m >> i & 1 == 1;
                assert_eq!(bit(m.quote), c == b'"', "quote at {at}+{i}");
                assert_eq!(bit(m.lf), c == b'\n');
                assert_eq!(bit(m.special), c == b'\\' || c > 0x7f);
                assert_eq!(bit(m.name), c.is_ascii_alphanumeric() || c == b'_', "name {c:#x}");
            }
            assert_eq!(quote_mask(&body, at), m.quote);
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
                        let plain = (from..len).find(|&i| h[i] == b'\n' || h[i] > 0x7f).unwrap_or(len);
                        assert_eq!(lf_or_non_ascii(&h, from), plain, "{len} {at} {from}");
                    }
                }
            }
        }
    }

    #[test]
    fn all_names_across_words() {
        let mut line = vec![b'a'; 300];
        line.push(b'\n');
        let mut index = LineIndex::default();
        assert!(index.build(&line, 5));
        assert_eq!(index.end, 300);
        for s in 5..300 {
            for e in s + 1..=300 {
                assert!(index.all_names(s, e));
            }
        }
        line[130] = b'-';
        assert!(index.build(&line, 5));
        for s in 5..300 {
            for e in s + 1..=300 {
                assert_eq!(index.all_names(s, e), !(s..e).contains(&130), "{s}..{e}");
            }
        }
    }
}
