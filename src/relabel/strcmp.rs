//! Small-string comparisons, eight bytes at a time. Label names share long prefixes (`__meta_kubernetes_pod_…`)
//! and are short, so these beat calls into the C library's `memcmp`.

use std::cmp::Ordering;

/// Byte-wise order.
#[inline]
pub(crate) fn cmp_str(a: &str, b: &str) -> Ordering {
    cmp_bytes(a.as_bytes(), b.as_bytes())
}

#[inline]
fn cmp_bytes(a: &[u8], b: &[u8]) -> Ordering {
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let (x, y) = (word(x), word(y));
        if x != y {
            return x.cmp(&y);
        }
    }
    let n = (a.len().min(b.len()) / 8) * 8;
    let (a, b) = (&a[n..], &b[n..]);
    // Fewer than eight bytes left on one side: compare zero-padded words, then lengths.
    let (x, y) = (tail_word(a), tail_word(b));
    if x != y {
        return x.cmp(&y);
    }
    a.len().cmp(&b.len())
}

/// An eight-byte chunk as a big-endian word.
#[inline]
fn word(c: &[u8]) -> u64 {
    u64::from_be_bytes(c.try_into().unwrap_or([0; 8]))
}

/// Up to eight leading bytes as a big-endian word, zero-padded.
#[inline]
fn tail_word(s: &[u8]) -> u64 {
    // A byte loop (at most eight steps): a variable-length `copy_from_slice` would call `memcpy`.
    let mut w = 0u64;
    for (i, &b) in s.iter().take(8).enumerate() {
        w |= u64::from(b) << (56 - 8 * i);
    }
    w
}

#[inline]
fn eq_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        if word(x) != word(y) {
            return false;
        }
    }
    tail_word(ra) == tail_word(rb)
}

/// Equality, lengths first.
#[inline]
pub(crate) fn eq_str(a: &str, b: &str) -> bool {
    eq_bytes(a.as_bytes(), b.as_bytes())
}

/// `s.starts_with(p)`.
#[inline]
pub(crate) fn starts_with(s: &str, p: &str) -> bool {
    s.len() >= p.len() && eq_bytes(&s.as_bytes()[..p.len()], p.as_bytes())
}

/// `s.ends_with(p)`.
#[inline]
pub(crate) fn ends_with(s: &str, p: &str) -> bool {
    s.len() >= p.len() && eq_bytes(&s.as_bytes()[s.len() - p.len()..], p.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_std() {
        let words = [
            "",
            "a",
            "ab",
            "abcdefgh",
            "abcdefghi",
            "abcdefgg",
            "__meta_kubernetes_pod_x",
            "__meta_kubernetes_pod_y",
            "é",
            "zzzzzzzzzzzzzzzzzz",
        ];
        for a in words {
            for b in words {
                assert_eq!(cmp_str(a, b), a.cmp(b), "{a} {b}");
                assert_eq!(eq_str(a, b), a == b);
                assert_eq!(starts_with(a, b), a.starts_with(b));
                assert_eq!(ends_with(a, b), a.ends_with(b));
            }
        }
    }
}
