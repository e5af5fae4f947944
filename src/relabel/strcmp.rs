//! Small-string comparisons, eight bytes at a time. Label names share long prefixes (`__meta_kubernetes_pod_…`)
//! and are short, so these beat calls into the C library's `memcmp`.

use std::cmp::Ordering;

/// Byte-wise order.
#[inline]
pub(crate) fn cmp_str(a: &str, b: &str) -> Ordering {
    cmp_bytes(a.as_bytes(), b.as_bytes())
}

#[inline]
fn cmp_bytes(mut a: &[u8], mut b: &[u8]) -> Ordering {
    while let (Some((x, ra)), Some((y, rb))) =
        (a.split_first_chunk::<8>(), b.split_first_chunk::<8>())
    {
        if x != y {
            return u64::from_be_bytes(*x).cmp(&u64::from_be_bytes(*y));
        }
        a = ra;
        b = rb;
    }
    a.cmp(b)
}

#[inline]
fn eq_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && cmp_bytes(a, b) == Ordering::Equal
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
