//! Small-string comparisons, eight bytes at a time. Label names share long prefixes (`__meta_kubernetes_pod_…`)
//! and are short, so these beat calls into the C library's `memcmp`.

use std::cmp::Ordering;

/// Byte-wise order.
#[inline]
pub(crate) fn cmp_str(a: &str, b: &str) -> Ordering {
    cmp_bytes(a.as_bytes(), b.as_bytes())
}

#[inline]
pub(crate) fn cmp_bytes(a: &[u8], b: &[u8]) -> Ordering {
    let m = a.len().min(b.len());
    if m < 8 {
        return cmp_short(a, b);
    }
    let mut i = 0;
    while i + 8 <= m {
        let (x, y) = (word_at(a, i), word_at(b, i));
        if x != y {
            return x.cmp(&y);
        }
        i += 8;
    }
    if i < m {
        // The last eight bytes of the common length, overlapping bytes already known equal: the first
        // difference in this window is the first difference overall.
        let (x, y) = (word_at(a, m - 8), word_at(b, m - 8));
        if x != y {
            return x.cmp(&y);
        }
    }
    a.len().cmp(&b.len())
}

#[cold]
fn cmp_short(a: &[u8], b: &[u8]) -> Ordering {
    a.cmp(b)
}

/// The eight bytes at `i` as a big-endian word (so that word order is byte order).
#[inline(always)]
fn word_at(s: &[u8], i: usize) -> u64 {
    match s.get(i..i + 8) {
        Some(c) => u64::from_be_bytes(c.try_into().unwrap_or([0; 8])),
        None => 0,
    }
}

#[inline]
pub(crate) fn eq_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a == b;
    }
    let mut i = 0;
    while i + 8 <= n {
        if word_at(a, i) != word_at(b, i) {
            return false;
        }
        i += 8;
    }
    // The last eight bytes (overlapping) cover the tail.
    i == n || word_at(a, n - 8) == word_at(b, n - 8)
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

    /// Every length up to 40 with a difference at every position (and none), against std.
    #[test]
    fn agrees_with_std_at_every_length_and_position() {
        let base: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for la in 0..=40usize {
            for lb in [la.saturating_sub(1), la, (la + 1).min(40), 0, 40] {
                for d in 0..=la.max(lb) {
                    let a = &base[..la];
                    let mut b = base[..lb].to_vec();
                    if d < lb {
                        b[d] = b[d].wrapping_add(1);
                    }
                    let (a, b) = (
                        std::str::from_utf8(a).unwrap(),
                        std::str::from_utf8(&b).unwrap(),
                    );
                    assert_eq!(cmp_str(a, b), a.cmp(b), "{a:?} {b:?}");
                    assert_eq!(cmp_str(b, a), b.cmp(a), "{b:?} {a:?}");
                    assert_eq!(eq_str(a, b), a == b, "{a:?} {b:?}");
                    assert_eq!(starts_with(a, b), a.starts_with(b));
                    assert_eq!(ends_with(a, b), a.ends_with(b));
                }
            }
        }
    }
}
