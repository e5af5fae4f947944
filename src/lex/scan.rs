//! Byte classes and the scanners every dialect shares: names, blanks, quoted strings.

/// Bit flags per byte.
const METRIC_START: u8 = 1;
const METRIC_CHAR: u8 = 2;
const LABEL_START: u8 = 4;
const LABEL_CHAR: u8 = 8;

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let alpha = c.is_ascii_alphabetic() || c == b'_';
        let digit = c.is_ascii_digit();
        let mut v = 0;
        if alpha || c == b':' {
            v |= METRIC_START | METRIC_CHAR;
        }
        if digit {
            v |= METRIC_CHAR | LABEL_CHAR;
        }
        if alpha {
            v |= LABEL_START | LABEL_CHAR;
        }
        t[i] = v;
        i += 1;
    }
    t
};

#[inline(always)]
pub(crate) fn is_metric_start(b: u8) -> bool {
    CLASS[b as usize] & METRIC_START != 0
}

#[inline(always)]
pub(crate) fn is_metric_char(b: u8) -> bool {
    CLASS[b as usize] & METRIC_CHAR != 0
}

#[inline(always)]
pub(crate) fn is_label_start(b: u8) -> bool {
    CLASS[b as usize] & LABEL_START != 0
}

/// Index of the first byte at or after `i` that is not a metric-name character.
#[inline(always)]
pub(crate) fn metric_name_end(b: &[u8], i: usize) -> usize {
    name_end::<true>(b, i)
}

/// Index of the first byte at or after `i` that is not a label-name character.
#[inline(always)]
pub(crate) fn label_name_end(b: &[u8], i: usize) -> usize {
    name_end::<false>(b, i)
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// High bit of each byte set where `x` (bytes ≤ 0x7f) lies in `lo..=hi`.
#[inline(always)]
fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let ge_lo = x.wrapping_add((0x80 - lo as u64) * LO);
    let gt_hi = x.wrapping_add((0x7f - hi as u64) * LO);
    ge_lo & !gt_hi & HI
}

/// The run of ASCII digits at `i` when it is 1 to 7 digits long and the 8 bytes from `i` are
/// in `b`: its length and value, without a branch per digit (sample values have every length
/// from 1 to 7 digits, and a loop's exit would be mispredicted on many lines). `None` for no
/// digit, 8 or more, or fewer than 8 bytes left: the caller counts them one by one then.
#[inline(always)]
pub(crate) fn short_digits(b: &[u8], i: usize) -> Option<(usize, u64)> {
    let w = u64::from_le_bytes(b.get(i..i + 8)?.try_into().ok()?);
    // Digits: bytes without the high bit whose low seven bits lie in '0'..='9'.
    let digits = in_range(w & !HI, b'0', b'9') & !w;
    let k = ((!digits & HI).trailing_zeros() / 8) as usize;
    if k == 0 || k == 8 {
        return None;
    }
    Some((k, first_digits(w, k)))
}

/// The value of the first `k` bytes of `w` (1 to 8, all ASCII digits, the first the lowest
/// byte): moved to the top bytes with zeros (leading zero digits) below, then eight digits
/// combined in three multiplications.
#[inline(always)]
fn first_digits(w: u64, k: usize) -> u64 {
    let v = (w << (8 * (8 - k))) & 0x0f0f_0f0f_0f0f_0f0f;
    let v = (v.wrapping_mul(10 << 8 | 1) >> 8) & 0x00ff_00ff_00ff_00ff;
    let v = (v.wrapping_mul(100 << 16 | 1) >> 16) & 0x0000_ffff_0000_ffff;
    v.wrapping_mul(10000 << 32 | 1) >> 32
}

/// The run of ASCII digits at `i`: its end and its value modulo 2^64 (what a digit-by-digit
/// loop gives), eight bytes per step. Long integer values (Envoy's counters) and millisecond
/// timestamps (13 digits) would otherwise take a branch per digit.
#[inline(always)]
pub(crate) fn digit_run(b: &[u8], mut i: usize) -> (usize, u64) {
    const POW10: [u64; 9] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
    ];
    let mut n: u64 = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let digits = in_range(w & !HI, b'0', b'9') & !w;
        let k = ((!digits & HI).trailing_zeros() / 8) as usize;
        if k == 0 {
            return (i, n);
        }
        n = n.wrapping_mul(POW10[k]).wrapping_add(first_digits(w, k));
        i += k;
        if k < 8 {
            return (i, n);
        }
    }
    while let Some(&c) = b.get(i) {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        n = n.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    (i, n)
}

/// High bit of each byte set where `x` (bytes ≤ 0x7f) equals `c`.
#[inline(always)]
fn eq_byte(x: u64, c: u8) -> u64 {
    let t = x ^ (c as u64 * LO);
    !t.wrapping_add(0x7f * LO) & HI
}

/// Name scanning sixteen bytes at a time with portable vectors (`wide`): the names of Envoy and
/// Istio series are long (30–60 bytes), and a byte-at-a-time table loop was the largest cost of
/// a sample line. The last bytes of a body (fewer than 16) go through the eight-byte (SWAR)
/// loop, then [`name_end_scalar`], which is the reference both are tested against.
#[inline(always)]
fn name_end<const METRIC: bool>(b: &[u8], mut i: usize) -> usize {
    use wide::u8x16;
    while let Some(chunk) = b.get(i..i + 16) {
        let mut a = [0u8; 16];
        a.copy_from_slice(chunk);
        let v = u8x16::new(a);
        let zero = u8x16::splat(0);
        // `| 0x20` folds A–Z onto a–z and moves no other byte there.
        let alpha = ((v | u8x16::splat(0x20)) - u8x16::splat(b'a'))
            .saturating_sub(u8x16::splat(25))
            .simd_eq(zero);
        let digit = (v - u8x16::splat(b'0'))
            .saturating_sub(u8x16::splat(9))
            .simd_eq(zero);
        let mut ok = alpha | digit | v.simd_eq(u8x16::splat(b'_'));
        if METRIC {
            ok |= v.simd_eq(u8x16::splat(b':'));
        }
        let bad = !ok.to_bitmask() & 0xffff;
        if bad != 0 {
            return i + bad.trailing_zeros() as usize;
        }
        i += 16;
    }
    while i + 8 <= b.len() {
        let w = word_at(b, i);
        let ascii = !w & HI;
        let x = w & !HI; // clear high bits so no lane carries into the next
        let lower = x | (0x20 * LO);
        let mut ok = in_range(lower, b'a', b'z') | in_range(x, b'0', b'9') | eq_byte(x, b'_');
        if METRIC {
            ok |= eq_byte(x, b':');
        }
        let bad = !(ok & ascii) & HI;
        if bad != 0 {
            return i + (bad.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + name_end_scalar(&b[i..], 0, if METRIC { METRIC_CHAR } else { LABEL_CHAR })
}

/// The 16 bytes of `s` from `i` as one vector.
#[inline(always)]
fn vec16(s: &[u8], i: usize) -> wide::u8x16 {
    let mut a = [0u8; 16];
    a.copy_from_slice(&s[i..i + 16]);
    wide::u8x16::new(a)
}

/// Whether `b[at..]` starts with `p`, compared sixteen bytes at a time inline: the per-line
/// name and prefix caches compare 20–80 bytes, where a call to the C library's `memcmp` cost
/// more than the comparison.
#[inline(always)]
pub(crate) fn has_prefix_at(b: &[u8], at: usize, p: &[u8]) -> bool {
    let Some(h) = b.get(at..at + p.len()) else {
        return false;
    };
    let n = p.len();
    if n >= 16 {
        let mut i = 0;
        while i + 16 <= n {
            if vec16(h, i).simd_eq(vec16(p, i)).to_bitmask() != 0xffff {
                return false;
            }
            i += 16;
        }
        // The last (overlapping) sixteen bytes.
        return i == n || vec16(h, n - 16).simd_eq(vec16(p, n - 16)).to_bitmask() == 0xffff;
    }
    if n >= 8 {
        return word_at(h, 0) == word_at(p, 0) && word_at(h, n - 8) == word_at(p, n - 8);
    }
    h == p
}

/// How many bytes `b[a..]` and `b[c..]` have in common from the start, up to `max` (and the
/// end of `b`): 64 at a time while they agree (Istio's consecutive label blocks share hundreds
/// of bytes), then 16 at a time, the tail in one overlapping vector.
#[inline(always)]
pub(crate) fn common_prefix(b: &[u8], a: usize, c: usize, max: usize) -> usize {
    let max = max.min(b.len() - a.max(c));
    let same = |i: usize| vec16(b, a + i).simd_eq(vec16(b, c + i));
    let mut i = 0;
    while i + 64 <= max {
        if (same(i) & same(i + 16) & same(i + 32) & same(i + 48)).to_bitmask() != 0xffff {
            break;
        }
        i += 64;
    }
    while i + 16 <= max {
        let diff = !same(i).to_bitmask() & 0xffff;
        if diff != 0 {
            return i + diff.trailing_zeros() as usize;
        }
        i += 16;
    }
    if i < max && max >= 16 {
        // The last 16 bytes, of which those before `i` are known equal.
        let diff = (!same(max - 16).to_bitmask() & 0xffff) >> (i + 16 - max);
        return if diff == 0 {
            max
        } else {
            i + diff.trailing_zeros() as usize
        };
    }
    while i < max && b[a + i] == b[c + i] {
        i += 1;
    }
    i
}

/// What the scrape's known-series path needs to know of a cached key besides its bytes, found
/// once when the key is stored (each line only compares its bytes with the key's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyShape {
    /// The index of the key's first `{` (the key's length without one).
    pub brace: u32,
    /// Whether the key holds a backslash.
    pub backslash: bool,
}

/// Where a cached key offered for the next line stands in the previous scrape's order, and how
/// many of its leading bytes it shares with the key before it there: a line after the line of
/// that key needs only the rest compared with the cached key (see [`known_prefix_after`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shared<'k> {
    /// The lookup's position in the scrape.
    pub(crate) position: usize,
    /// Leading bytes shared with the key at `position - 1` of the previous scrape's order (at
    /// most that many: never more than the two keys have in common).
    pub(crate) len: u32,
    /// The key's bytes after `len`: the key's own, or a copy kept where the cache reads in
    /// order anyway (a short rest), so that the key itself is not read.
    pub(crate) rest: &'k [u8],
}

impl KeyShape {
    /// The shape of `key`; `None` for a key too long to describe (over 4 GiB).
    pub(crate) fn of(key: &[u8]) -> Option<KeyShape> {
        let brace = memchr::memchr(b'{', key).unwrap_or(key.len());
        Some(KeyShape {
            brace: u32::try_from(brace).ok()?,
            backslash: memchr::memchr(b'\\', key).is_some(),
        })
    }
}

/// Whether `b[at..]` starts with `key`, and then whether those bytes are all ASCII, in one pass
/// of 16-byte vectors (the scrape's known-series path reads each line's series this way: a
/// call each to `memcmp` and a UTF-8 check cost more than the line's parse).
#[inline(always)]
pub(crate) fn known_prefix(b: &[u8], at: usize, key: &[u8]) -> Option<bool> {
    let h = b.get(at..at + key.len())?;
    let n = key.len();
    if n < 16 {
        return short_prefix(h, key);
    }
    let zero = wide::u8x16::splat(0);
    let mut high = zero;
    let mut i = 0;
    // Sixty-four bytes per test (a known line is nearly always its key).
    while i + 64 <= n {
        let v = [0, 16, 32, 48].map(|k| vec16(h, i + k));
        let diff = [0, 16, 32, 48].map(|k| v[k / 16] ^ vec16(key, i + k));
        if (diff[0] | diff[1] | diff[2] | diff[3])
            .simd_eq(zero)
            .to_bitmask()
            != 0xffff
        {
            return None;
        }
        high |= v[0] | v[1] | v[2] | v[3];
        i += 64;
    }
    while i + 16 <= n {
        let v = vec16(h, i);
        if v.simd_eq(vec16(key, i)).to_bitmask() != 0xffff {
            return None;
        }
        high |= v;
        i += 16;
    }
    if i < n {
        // The last (overlapping) sixteen bytes.
        let v = vec16(h, n - 16);
        if v.simd_eq(vec16(key, n - 16)).to_bitmask() != 0xffff {
            return None;
        }
        high |= v;
    }
    Some(high.to_bitmask() == 0)
}

/// [`known_prefix`] for fewer than 16 bytes (`h` and `key` of one length): two overlapping
/// words (or half-words) compared and their high bits gathered, without a call (the rest of a
/// key after the head it shares with the key before it is often this short).
#[inline(always)]
fn short_prefix(h: &[u8], key: &[u8]) -> Option<bool> {
    let n = key.len();
    let (diff, high) = if n >= 8 {
        let (a, b) = (word_at(h, 0), word_at(h, n - 8));
        ((a ^ word_at(key, 0)) | (b ^ word_at(key, n - 8)), a | b)
    } else if n >= 4 {
        let (a, b) = (half_at(h, 0), half_at(h, n - 4));
        ((a ^ half_at(key, 0)) | (b ^ half_at(key, n - 4)), a | b)
    } else {
        let mut word = (0u64, 0u64);
        for (i, (&x, &y)) in h.iter().zip(key).enumerate() {
            word.0 |= u64::from(x ^ y) << (8 * i);
            word.1 |= u64::from(x) << (8 * i);
        }
        word
    };
    (diff == 0).then_some(high & 0x8080_8080_8080_8080 == 0)
}

/// [`known_prefix`] for the line at `at` of `b` when the line at `prev` before it starts with
/// a key whose first `shared` bytes are also `key`'s: those are compared with that line, which
/// is in cache, and only `rest` (`key`'s bytes after `shared`, or a copy of them) with the rest
/// of the line. The same answer as [`known_prefix`] (the plain comparison of `key` when
/// `shared` does not fit before `at`).
#[inline(always)]
pub(crate) fn known_prefix_after(
    b: &[u8],
    at: usize,
    prev: usize,
    shared: usize,
    (key, rest): (&[u8], &[u8]),
) -> Option<bool> {
    match b.get(prev..prev + shared) {
        Some(head) if prev + shared <= at && shared + rest.len() == key.len() => {
            let head_ascii = known_prefix(b, at, head)?;
            let rest_ascii = known_prefix(b, at + shared, rest)?;
            Some(head_ascii && rest_ascii)
        }
        _ => known_prefix(b, at, key),
    }
}

/// How many bytes two keys have in common from the start (at most `u32::MAX`): what
/// [`Shared::len`] holds. [`common_prefix`] is the same within one buffer.
pub(crate) fn shared_len(a: &[u8], b: &[u8]) -> u32 {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let (x, y) = (word_at(a, i), word_at(b, i));
        if x != y {
            i += ((x ^ y).trailing_zeros() / 8) as usize;
            return u32::try_from(i).unwrap_or(u32::MAX);
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// The little-endian half-word at `b[i..i + 4]`, widened.
#[inline(always)]
fn half_at(b: &[u8], i: usize) -> u64 {
    let mut half = [0u8; 4];
    half.copy_from_slice(&b[i..i + 4]);
    u64::from(u32::from_le_bytes(half))
}

/// The little-endian word at `b[i..i + 8]`.
#[inline(always)]
fn word_at(b: &[u8], i: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(word)
}

/// High bits marking the bytes of `w` equal to `c`. The lowest set bit marks the first such byte
/// exactly (false positives can only appear above a true match), which is all the searches need.
#[inline(always)]
fn first_match_bits(w: u64, c: u8) -> u64 {
    let x = w ^ (c as u64 * LO);
    x.wrapping_sub(LO) & !x & HI
}

/// Index of the first `c` in `b` at or after `i`, eight bytes at a time. Short spans (label
/// values are a few dozen bytes) are where `memchr`'s call and SIMD set-up cost more than the
/// search itself.
#[inline(always)]
pub(crate) fn find_byte(b: &[u8], mut i: usize, c: u8) -> Option<usize> {
    let long = i + 64;
    while i + 8 <= b.len() {
        let found = first_match_bits(word_at(b, i), c);
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
        if i >= long {
            // Long spans: let memchr's vector loop take over.
            return memchr::memchr(c, &b[i..]).map(|p| i + p);
        }
    }
    b[i..].iter().position(|&x| x == c).map(|p| i + p)
}

/// [`find_byte`] for spans that are usually short (label values: `200`, `v1`, `http`): two
/// words inline, then memchr.
#[inline(always)]
pub(crate) fn find_byte_short(b: &[u8], i: usize, c: u8) -> Option<usize> {
    let mut j = i;
    while j + 8 <= b.len() && j < i + 16 {
        let found = first_match_bits(word_at(b, j), c);
        if found != 0 {
            return Some(j + (found.trailing_zeros() / 8) as usize);
        }
        j += 8;
    }
    memchr::memchr(c, &b[j..]).map(|p| j + p)
}

/// The byte-at-a-time reference scanner.
#[inline(always)]
fn name_end_scalar(b: &[u8], i: usize, class: u8) -> usize {
    match b[i..].iter().position(|&c| CLASS[c as usize] & class == 0) {
        Some(p) => i + p,
        None => b.len(),
    }
}

/// A cheap O(1) hash of a name: its length and its first and last eight bytes. Collisions
/// only cost an exact comparison, so speed matters more than spread here.
#[inline(always)]
pub(crate) fn name_hash(b: &[u8]) -> u64 {
    let n = b.len();
    let (head, tail) = if n >= 8 {
        let mut h = [0u8; 8];
        h.copy_from_slice(&b[..8]);
        let mut t = [0u8; 8];
        t.copy_from_slice(&b[n - 8..]);
        (u64::from_le_bytes(h), u64::from_le_bytes(t))
    } else {
        (b.iter().fold(0u64, |acc, &c| (acc << 8) | c as u64), 0)
    };
    (head ^ tail.rotate_left(29) ^ ((n as u64) << 56)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

#[inline(always)]
pub(crate) fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

#[inline(always)]
pub(crate) fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    // Most calls find no blank: one comparison rejects every byte above the space.
    while i < b.len() && b[i] <= b' ' && is_blank(b[i]) {
        i += 1;
    }
    i
}

/// A quoted string found by [`scan_quoted`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Quoted {
    /// Content start (after the opening quote).
    pub start: usize,
    /// Content end (the closing quote's index).
    pub end: usize,
    /// Whether the content holds a backslash, so it may need unescaping.
    pub escaped: bool,
}

/// Scans a quoted string whose opening `"` is at `open`. `line_has_backslash` lets the common
/// case use a single memchr. Returns `None` when the line ends before the closing quote.
#[inline(always)]
pub(crate) fn scan_quoted(b: &[u8], open: usize, line_has_backslash: bool) -> Option<Quoted> {
    let start = open + 1;
    if !line_has_backslash {
        let end = find_byte_short(b, start, b'"')?;
        return Some(Quoted {
            start,
            end,
            escaped: false,
        });
    }
    let mut i = start;
    let mut escaped = false;
    loop {
        let j = i + memchr::memchr2(b'"', b'\\', &b[i..])?;
        if b[j] == b'"' {
            return Some(Quoted {
                start,
                end: j,
                escaped,
            });
        }
        escaped = true;
        i = j + 2;
        if i > b.len() {
            return None;
        }
    }
}

/// [`name_hash`] of the unescaped content of a quoted name (rare: allocates).
pub(crate) fn hash_unescaped(s: &[u8]) -> u64 {
    let mut v = Vec::with_capacity(s.len());
    crate::lex::escape::for_each_unescaped(s, |b| v.push(b));
    name_hash(&v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_prefix_agrees_with_plain_checks() {
        let keys = [
            "",
            "a",
            "up",
            "a{b=\"c\"}",
            "envoy_cluster_upstream_cx_total",
            "envoy_cluster_upstream_cx_total{envoy_cluster_name=\"outbound|9080||reviews\"}",
            "m{a=\"\\\\\"}",
            "m{a=\"\u{e9}\"}",
            "{\"quoted\"}",
            "abcdefghijklmno{",
            "abcdefghijklmnop{",
            "abcdefghijklmnopq{x=\"\u{20ac}\"}",
            "abcdefghijklmnopqrstuvwxyz0123\u{e9}",
            "\u{e9}bcdefghijklmnopqrstuvwxyz0123456",
        ];
        // Keys around the 16- and 64-byte strides, with and without a two-byte character in
        // each place.
        let mut keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        for len in [31, 63, 64, 65, 79, 127, 128, 129, 200] {
            let plain: String = (0..len).map(|i| (b'a' + (i % 26) as u8) as char).collect();
            keys.push(plain.clone());
            for at in [0, 15, 16, 47, 63, 64, 100, len - 2] {
                if at + 2 <= len {
                    keys.push(format!("{}\u{e9}{}", &plain[..at], &plain[at + 2..]));
                }
            }
        }
        for key in &keys {
            let key = key.as_bytes();
            let shape = KeyShape::of(key).expect("short key");
            let brace = key.iter().position(|&c| c == b'{').unwrap_or(key.len());
            assert_eq!(shape.brace as usize, brace, "{key:?}");
            assert_eq!(shape.backslash, key.contains(&b'\\'), "{key:?}");
            for pad in 0..3 {
                let mut b = vec![b'x'; pad];
                b.extend_from_slice(key);
                b.extend_from_slice(b" 1\n");
                assert_eq!(known_prefix(&b, pad, key), Some(key.is_ascii()), "{key:?}");
                // Any one byte changed, and the line cut short: not the key.
                for k in 0..key.len() {
                    let mut c = b.clone();
                    c[pad + k] ^= 0x20;
                    assert_eq!(known_prefix(&c, pad, key), None);
                    assert_eq!(known_prefix(&b[..pad + k], pad, key), None);
                }
            }
        }
    }

    /// `known_prefix_after` gives `known_prefix`'s answer for a line after one that starts
    /// with a key sharing any number of leading bytes (up to what the two keys share) with the
    /// key offered: the key, the key with one byte changed (in the shared part, in the rest, in
    /// a two-byte character), the line cut short; and `shared_len` is the byte loop's count.
    #[test]
    fn known_prefix_after_agrees_with_known_prefix() {
        let stem = "istio_request_duration_milliseconds_bucket{reporter=\"destination\",\
                    source_workload=\"productpage-v1\",destination_service=\"reviews\"";
        let keys: Vec<String> = [
            "",
            "a",
            "istio",
            "istio_requests_total",
            "m{a=\"\u{e9}\"}",
            "m{a=\"\u{e9}x\"}",
        ]
        .iter()
        .map(|k| k.to_string())
        .chain(["1", "5", "10", "25", "+Inf", "\u{e9}"].map(|le| format!("{stem},le=\"{le}\"}}")))
        .chain([format!("{stem}}}"), format!("{stem},x=\"1\"}}")])
        .collect();
        for prev in &keys {
            for key in &keys {
                let (prev, key) = (prev.as_bytes(), key.as_bytes());
                let lcp = shared_len(prev, key) as usize;
                let by_loop = prev.iter().zip(key).take_while(|(x, y)| x == y).count();
                assert_eq!(lcp, by_loop, "{prev:?} {key:?}");
                let mut b = prev.to_vec();
                b.extend_from_slice(b" 1\n# TYPE m counter\n");
                let at = b.len();
                b.extend_from_slice(key);
                b.extend_from_slice(b" 2\n");
                for shared in [0, lcp / 2, lcp.saturating_sub(1), lcp] {
                    let want = known_prefix(&b, at, key);
                    assert_eq!(want, Some(key.is_ascii()));
                    assert_eq!(
                        known_prefix_after(&b, at, 0, shared, (key, &key[shared..])),
                        want
                    );
                    for k in 0..key.len() {
                        let mut c = b.clone();
                        c[at + k] ^= 0x20;
                        assert_eq!(
                            known_prefix_after(&c, at, 0, shared, (key, &key[shared..])),
                            None,
                            "{k}"
                        );
                        let cut = &b[..at + k];
                        assert_eq!(
                            known_prefix_after(cut, at, 0, shared, (key, &key[shared..])),
                            None
                        );
                    }
                }
            }
        }
    }

    /// `short_prefix` is the plain comparison and ASCII check for every length under 16: equal
    /// bytes (ASCII, or with a high byte at each place) and a difference at each place.
    #[test]
    fn short_prefixes_agree_with_plain_checks() {
        let plain = |h: &[u8], k: &[u8]| (h == k).then(|| h.is_ascii());
        for n in 0..16 {
            let key: Vec<u8> = (0..n).map(|i| b'a' + i as u8).collect();
            assert_eq!(short_prefix(&key, &key), Some(true));
            for at in 0..n {
                let mut high = key.clone();
                high[at] = 0xc3;
                assert_eq!(short_prefix(&high, &high), plain(&high, &high), "{n} {at}");
                for flip in [0x01, 0x20, 0x80] {
                    let mut h = key.clone();
                    h[at] ^= flip;
                    assert_eq!(short_prefix(&h, &key), None, "{n} {at} {flip}");
                    assert_eq!(short_prefix(&key, &h), None, "{n} {at} {flip}");
                }
            }
        }
    }

    #[test]
    fn common_prefix_agrees_with_a_byte_loop() {
        // Differences at every place of runs around the vector widths, either run first.
        let plain = |b: &[u8], a: usize, c: usize, max: usize| {
            let max = max.min(b.len() - a.max(c));
            (0..max).take_while(|&i| b[a + i] == b[c + i]).count()
        };
        for len in [0, 1, 15, 16, 17, 63, 64, 65, 100, 128, 130, 200] {
            let run: Vec<u8> = (0..len).map(|i| b'a' + (i % 23) as u8).collect();
            for diff in (0..=len).step_by(1 + len / 40) {
                let mut other = run.clone();
                if diff < len {
                    other[diff] = b'#';
                }
                let b = [run.as_slice(), b"|", &other].concat();
                let c = len + 1;
                for max in [0, diff, len / 2, len, len + 5] {
                    assert_eq!(common_prefix(&b, 0, c, max), plain(&b, 0, c, max));
                    assert_eq!(common_prefix(&b, c, 0, max), plain(&b, c, 0, max));
                }
            }
        }
    }
    use crate::go::{is_legacy_label_name, is_legacy_metric_name};

    /// `digit_run` against a digit-by-digit loop (wrapping, as the general path's): runs of 0 to
    /// 30 digits followed by every byte value, cut at every length from the run's start.
    #[test]
    fn digit_run_agrees_with_a_digit_loop() {
        let reference = |b: &[u8], i: usize| {
            let run = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            let n = b[i..i + run].iter().fold(0u64, |n, &c| {
                n.wrapping_mul(10).wrapping_add(u64::from(c - b'0'))
            });
            (i + run, n)
        };
        let mut checked = 0;
        for run in 0..=30usize {
            for end in 0..=255u8 {
                let mut b = b"x ".to_vec();
                b.extend((0..run).map(|k| b"9081726354"[(k * 7 + run) % 10]));
                b.push(end);
                b.extend_from_slice(b"1234567890");
                for cut in 2..=b.len() {
                    let b = &b[..cut];
                    assert_eq!(
                        digit_run(b, 2),
                        reference(b, 2),
                        "{:?}",
                        String::from_utf8_lossy(b)
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 100_000, "{checked}");
    }

    /// `short_digits` against counting digit by digit: runs of 0 to 10 digits followed by every
    /// byte value, at every offset where 8 bytes remain, and with fewer left.
    #[test]
    fn short_digits_agree_with_a_digit_loop() {
        let reference = |b: &[u8], i: usize| {
            let run = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            let fits = b.len() >= i + 8 && (1..=7).contains(&run);
            fits.then(|| {
                (
                    run,
                    b[i..i + run]
                        .iter()
                        .fold(0u64, |n, &c| n * 10 + (c - b'0') as u64),
                )
            })
        };
        let mut checked = 0;
        for run in 0..=10usize {
            for end in 0..=255u8 {
                let digits: Vec<u8> = (0..run)
                    .map(|k| b"9081726354"[(k * 7 + run) % 10])
                    .collect();
                let mut b = b"x ".to_vec();
                b.extend_from_slice(&digits);
                b.push(end);
                b.extend_from_slice(b"\n1234567");
                for i in [2usize] {
                    for cut in [b.len(), i + 8, i + 7, i + run + 1] {
                        let b = &b[..cut.min(b.len())];
                        assert_eq!(
                            short_digits(b, i),
                            reference(b, i),
                            "{:?} at {i}",
                            String::from_utf8_lossy(b)
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(short_digits(b"1234567\n", 0), Some((7, 1234567)));
        assert_eq!(short_digits(b"0\n......", 0), Some((1, 0)));
        assert_eq!(short_digits(b"12345678\n", 0), None);
        assert!(checked > 10_000);
    }

    #[test]
    fn classes() {
        assert!(is_legacy_metric_name("a:b:c_d"));
        assert!(is_legacy_metric_name(":a"));
        assert!(!is_legacy_metric_name("1a"));
        assert!(!is_legacy_metric_name("a.b"));
        assert!(!is_legacy_metric_name(""));
        assert!(is_legacy_label_name("_a1"));
        assert!(!is_legacy_label_name("a:b"));
        assert!(!is_legacy_label_name("1a"));
    }

    #[test]
    fn swar_name_scan_agrees_with_the_table() {
        // Every byte value in every lane position, and runs of valid bytes of every length.
        for pos in 0..20 {
            for byte in 0..=255u8 {
                let mut v = b"abcdefghijklmnopqrstuvwxyz_:0123456789".to_vec();
                v.truncate(pos + 1);
                v[pos] = byte;
                v.extend_from_slice(b"x{");
                assert_eq!(
                    metric_name_end(&v, 0),
                    name_end_scalar(&v, 0, METRIC_CHAR),
                    "{v:?}"
                );
                assert_eq!(
                    label_name_end(&v, 0),
                    name_end_scalar(&v, 0, LABEL_CHAR),
                    "{v:?}"
                );
            }
        }
        for len in 0..40 {
            let v = vec![b'a'; len];
            assert_eq!(metric_name_end(&v, 0), len);
            assert_eq!(label_name_end(&v, 3.min(len)), len);
        }
    }

    #[test]
    fn find_byte_agrees_with_memchr() {
        for len in 0..150 {
            for at in 0..len + 1 {
                let mut v: Vec<u8> = (0..len).map(|k| b'a' + (k % 26) as u8).collect();
                if at < len {
                    v[at] = b'"';
                }
                for start in [0, 1, 7, 9].into_iter().filter(|&s| s <= len) {
                    let want = memchr::memchr(b'"', &v[start..]).map(|p| start + p);
                    assert_eq!(find_byte(&v, start, b'"'), want);
                    assert_eq!(find_byte_short(&v, start, b'"'), want);
                }
            }
        }
        // Bytes just above and below the needle, and high bytes, must not match.
        let v = [b'!', b'#', 0xa2, 0x22 | 0x80, b'"'];
        assert_eq!(find_byte(&v, 0, b'"'), Some(4));
        assert_eq!(find_byte_short(&v, 0, b'"'), Some(4));
    }

    #[test]
    fn quoted() {
        let b = br#""ab\"c" x"#;
        assert_eq!(
            scan_quoted(b, 0, true),
            Some(Quoted {
                start: 1,
                end: 6,
                escaped: true
            })
        );
        assert_eq!(scan_quoted(b"\"abc", 0, false), None);
        assert_eq!(scan_quoted(b"\"abc\\", 0, true), None);
        assert_eq!(
            scan_quoted(b"\"\\\\\"", 0, true),
            Some(Quoted {
                start: 1,
                end: 3,
                escaped: true
            })
        );
    }
}
