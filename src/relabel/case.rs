//! Go's `strings.ToUpper` / `strings.ToLower`: per-rune *simple* case mapping.
//!
//! Rust's `str::to_uppercase` applies the full (SpecialCasing) mapping (`ß` → `SS`) and the final-sigma rule. Go
//! maps each rune on its own with the simple mapping from `UnicodeData.txt`. Rust's per-`char` mapping equals the
//! simple mapping whenever it yields a single char; the few characters whose full mapping has several chars are
//! handled by the tables below (they either keep their simple single-char mapping or map to themselves).

/// Simple uppercase of `c`.
pub(crate) fn simple_upper(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => match c as u32 {
            // Greek with ypogegrammeni: ᾀ..ᾇ → ᾈ..ᾏ, ᾐ..ᾗ → ᾘ..ᾟ, ᾠ..ᾧ → ᾨ..ᾯ.
            0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => {
                char::from_u32(c as u32 + 8).unwrap_or(c)
            }
            0x1FB3 => '\u{1FBC}',
            0x1FC3 => '\u{1FCC}',
            0x1FF3 => '\u{1FFC}',
            // ß, ŉ, ǰ, ΐ, ΰ, և, ẖ..ẚ, ὐ.., ᾲ.., ﬀ..ﬆ, ﬓ..ﬗ, titlecase ᾈ.. and the like: no simple mapping.
            _ => c,
        },
    }
}

/// Simple lowercase of `c`.
pub(crate) fn simple_lower(c: char) -> char {
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        _ => match c {
            '\u{130}' => 'i',
            _ => c,
        },
    }
}

/// Appends Go's `strings.ToUpper(s)` to `dst`.
pub(crate) fn push_upper(s: &str, dst: &mut String) {
    if s.is_ascii() {
        dst.extend(s.bytes().map(|b| b.to_ascii_uppercase() as char));
    } else {
        dst.extend(s.chars().map(simple_upper));
    }
}

/// Appends Go's `strings.ToLower(s)` to `dst`.
pub(crate) fn push_lower(s: &str, dst: &mut String) {
    if s.is_ascii() {
        dst.extend(s.bytes().map(|b| b.to_ascii_lowercase() as char));
    } else {
        dst.extend(s.chars().map(simple_lower));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(s: &str) -> String {
        let mut d = String::new();
        push_upper(s, &mut d);
        d
    }
    fn low(s: &str) -> String {
        let mut d = String::new();
        push_lower(s, &mut d);
        d
    }

    #[test]
    fn go_vs_rust_pairs() {
        assert_eq!(up("ß"), "ß");
        assert_eq!(low("İ"), "i");
        assert_eq!(up("ᾳ"), "ᾼ");
        assert_eq!(up("ﬁ"), "ﬁ");
        assert_eq!(low("ΣΑΣ"), "σασ");
        assert_eq!(low("ΟΔΟΣ"), "οδοσ");
        assert_eq!(up("bAr123Foo"), "BAR123FOO");
        assert_eq!(low("bAr123Foo"), "bar123foo");
        assert_eq!(up("ᾀ"), "ᾈ");
        assert_eq!(up("ᾈ"), "ᾈ");
        assert_eq!(low("ẞ"), "ß");
        assert_eq!(up("ǆ"), "Ǆ");
    }
}
