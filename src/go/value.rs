//! Sample values and timestamps, with Go `strconv` acceptance rules.
//!
//! Prometheus parses values with `strconv.ParseFloat` after rejecting `p`, `P` and `_`. Rust's
//! `f64::from_str` differs in two ways that are corrected here: it accepts signed NaN and it
//! returns infinity on overflow where Go reports "value out of range".

/// The NaN bit pattern Prometheus stores for a scraped NaN (`value.NormalNaN`).
pub const NORMAL_NAN_BITS: u64 = 0x7ff8_0000_0000_0001;

/// Why a value was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueError {
    /// The text holds `p`, `P` or `_` (Prometheus: `unsupported character in float`).
    UnsupportedCharacter,
    /// Not a number (`strconv.ParseFloat: … invalid syntax`).
    Syntax,
    /// A finite spelling that overflows (`strconv.ParseFloat: … value out of range`).
    OutOfRange,
}

/// Parses a sample value as Prometheus does.
///
/// Integers of up to 19 digits take a fast path; everything else goes through the standard
/// library with Go's extra checks. NaN comes back with the [`NORMAL_NAN_BITS`] pattern.
///
/// ```
/// use promtext::value::{parse_value, ValueError};
/// assert_eq!(parse_value("1e3"), Ok(1000.0));
/// assert_eq!(parse_value("+Inf"), Ok(f64::INFINITY));
/// assert!(parse_value("nan").unwrap().is_nan());
/// assert_eq!(parse_value("-nan"), Err(ValueError::Syntax));
/// assert_eq!(parse_value("1_000"), Err(ValueError::UnsupportedCharacter));
/// assert_eq!(parse_value("1e400"), Err(ValueError::OutOfRange));
/// ```
#[inline]
pub fn parse_value(s: &str) -> Result<f64, ValueError> {
    let b = s.as_bytes();
    if let Some(v) = parse_small_int(b) {
        return Ok(v);
    }
    if let Some(v) = parse_short_decimal(b) {
        return Ok(v);
    }
    parse_value_slow(s)
}

/// [`parse_value`] of bytes, for a caller that has not checked them for UTF-8: the common forms
/// need no check (they are ASCII by construction), the rest are checked first.
#[inline]
pub(crate) fn parse_value_bytes(b: &[u8]) -> Result<f64, ValueError> {
    if let Some(v) = parse_small_int(b) {
        return Ok(v);
    }
    if let Some(v) = parse_short_decimal(b) {
        return Ok(v);
    }
    // Summaries without observations: Envoy's and Go clients' quantiles are often `NaN`.
    if b == b"NaN" {
        return Ok(f64::from_bits(NORMAL_NAN_BITS));
    }
    match std::str::from_utf8(b) {
        Ok(s) => parse_value_slow(s),
        Err(_) => Err(ValueError::Syntax),
    }
}

/// Exact powers of ten: every one up to 10^22 is a double.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A decimal such as `0.000106744`, `-12.5` or `4.9351e-05` whose digits fit in 2^53 and whose
/// power of ten is at most 22 either way: the value is then exactly `digits × 10^e` or
/// `digits ÷ 10^-e` rounded once, which is the correctly rounded result Go's `ParseFloat`
/// gives (Clinger's fast path). `None` for every other text, which the full parser takes.
#[inline]
fn parse_short_decimal(b: &[u8]) -> Option<f64> {
    let (neg, rest) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    let mut i = 0;
    let mut mantissa: u64 = 0;
    let mut digits = 0u32;
    let mut exp: i32 = 0;
    let mut seen_dot = false;
    while i < rest.len() {
        let c = rest[i];
        let d = c.wrapping_sub(b'0');
        if d <= 9 {
            if digits >= 19 {
                return None;
            }
            // Leading zeros do not count against the 19 digits.
            if mantissa != 0 || d != 0 {
                digits += 1;
            }
            mantissa = mantissa * 10 + d as u64;
            if seen_dot {
                exp -= 1;
            }
        } else if c == b'.' && !seen_dot {
            seen_dot = true;
        } else {
            break;
        }
        i += 1;
    }
    // At least one digit in the mantissa (`.` alone or `-` alone is not a number).
    let mantissa_len = i - usize::from(seen_dot);
    if mantissa_len == 0 {
        return None;
    }
    if i < rest.len() {
        if rest[i] | 0x20 != b'e' {
            return None;
        }
        i += 1;
        let eneg = match rest.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut e: i32 = 0;
        while i < rest.len() && i - start < 4 {
            let d = rest[i].wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            e = e * 10 + d as i32;
            i += 1;
        }
        if i == start || i != rest.len() {
            return None;
        }
        exp += if eneg { -e } else { e };
    }
    if mantissa > 1 << 53 {
        return None;
    }
    let m = mantissa as f64;
    let v = if exp >= 0 {
        m * *POW10.get(exp as usize)?
    } else {
        m / *POW10.get((-exp) as usize)?
    };
    Some(if neg { -v } else { v })
}

#[inline(always)]
fn parse_small_int(b: &[u8]) -> Option<f64> {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut n: u64 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n * 10 + d as u64;
    }
    // u64 → f64 rounds to nearest-even, which is the correctly rounded decimal parse.
    let v = n as f64;
    Some(if neg { -v } else { v })
}

#[cold]
fn parse_value_slow(s: &str) -> Result<f64, ValueError> {
    let b = s.as_bytes();
    if b.iter().any(|&c| c == b'_' || c == b'p' || c == b'P') {
        return Err(ValueError::UnsupportedCharacter);
    }
    let unsigned = match b.first() {
        Some(b'+' | b'-') => &s[1..],
        _ => s,
    };
    let signed = unsigned.len() != s.len();
    if unsigned.eq_ignore_ascii_case("nan") {
        return if signed {
            Err(ValueError::Syntax)
        } else {
            Ok(f64::from_bits(NORMAL_NAN_BITS))
        };
    }
    let v: f64 = s.parse().map_err(|_| ValueError::Syntax)?;
    if v.is_nan() {
        // Only a spelled-out NaN gets here, handled above; keep the canonical pattern anyway.
        return Ok(f64::from_bits(NORMAL_NAN_BITS));
    }
    if v.is_infinite()
        && !(unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity"))
    {
        return Err(ValueError::OutOfRange);
    }
    Ok(v)
}

/// Parses `[0-9]+` (with an optional sign when `signed`) into an `i64`.
/// `Err(true)` means overflow, `Err(false)` malformed text.
#[inline]
pub(crate) fn parse_int_ms(b: &[u8], signed: bool) -> Result<i64, bool> {
    let (neg, digits) = match b.first() {
        Some(b'-') if signed => (true, &b[1..]),
        Some(b'+') if signed => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        return Err(false);
    }
    let mut n: i64 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return Err(false);
        }
        // Accumulate negatively so that i64::MIN is representable.
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_sub(d as i64))
            .ok_or(true)?;
    }
    if neg {
        Ok(n)
    } else {
        n.checked_neg().ok_or(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The short-decimal path gives exactly what the full parser gives, on generated decimals
    /// of every shape it takes or declines.
    #[test]
    fn short_decimals_agree_with_the_full_parser() {
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let mut taken = 0;
        for _ in 0..200_000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let r = rng;
            let int_len = (r % 12) as usize;
            let frac_len = ((r >> 4) % 14) as usize;
            let mut s = String::new();
            if r >> 8 & 3 == 0 {
                s.push('-');
            }
            for k in 0..int_len {
                s.push((b'0' + ((r >> (10 + k * 3)) % 10) as u8) as char);
            }
            if r >> 50 & 1 == 0 || int_len == 0 {
                s.push('.');
            }
            for k in 0..frac_len {
                s.push((b'0' + ((r.rotate_left(k as u32 * 5 + 3)) % 10) as u8) as char);
            }
            if r >> 52 & 1 == 0 {
                s.push(if r >> 53 & 1 == 0 { 'e' } else { 'E' });
                match r >> 54 & 3 {
                    0 => s.push('-'),
                    1 => s.push('+'),
                    _ => {}
                }
                let e = (r >> 56) % 40;
                s.push_str(&e.to_string());
            }
            let want = parse_value_slow(&s);
            let fast = parse_short_decimal(s.as_bytes());
            if let Some(v) = fast {
                taken += 1;
                assert_eq!(Ok(v.to_bits()), want.map(f64::to_bits), "{s:?}");
            }
            assert_eq!(
                parse_value(&s).map(f64::to_bits),
                want.map(f64::to_bits),
                "{s:?}"
            );
        }
        assert!(taken > 50_000, "{taken}");
        for s in [
            "1.",
            ".5",
            "-.5",
            "0.000106744",
            "7.424100000000001e-05",
            "1e22",
            "-0.0",
        ] {
            assert_eq!(
                parse_short_decimal(s.as_bytes()).map(f64::to_bits),
                parse_value_slow(s).ok().map(f64::to_bits),
                "{s}"
            );
        }
        for s in [
            ".", "-", "1e", "1e+", "e5", "1.2.3", "1e5x", "+1.5", "0x10", "1_0", "1e23",
        ] {
            assert_eq!(parse_short_decimal(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn accepted_values_of_format_md_1_3() {
        let nan = ["NaN", "nan"];
        for s in nan {
            assert_eq!(parse_value(s).unwrap().to_bits(), NORMAL_NAN_BITS, "{s}");
        }
        for s in [
            "Inf", "+Inf", "inf", "+inf", "iNf", "INF", "infinity", "Infinity",
        ] {
            assert_eq!(parse_value(s), Ok(f64::INFINITY), "{s}");
        }
        for s in ["-Inf", "-Infinity"] {
            assert_eq!(parse_value(s), Ok(f64::NEG_INFINITY), "{s}");
        }
        let cases: &[(&str, f64)] = &[
            ("+1.5", 1.5),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e3", 1000.0),
            ("1E+03", 1000.0),
            ("00012", 12.0),
            ("+.5e-3", 0.0005),
            ("0.0000", 0.0),
            ("4.9e-324", 5e-324),
            ("1.7976931348623157e308", f64::MAX),
            ("1e-400", 0.0),
            ("123456789012345678901234567890", 1.2345678901234568e29),
            ("18446744073709551615", 18446744073709551615u64 as f64),
            ("16440392441958861461", 16440392441958861461u64 as f64),
            ("9007199254740993", 9007199254740993u64 as f64),
        ];
        for &(s, v) in cases {
            assert_eq!(parse_value(s), Ok(v), "{s}");
        }
        let neg_zero = parse_value("-0").unwrap();
        assert!(neg_zero == 0.0 && neg_zero.is_sign_negative());
    }

    #[test]
    fn rejected_values_of_format_md_1_3() {
        for s in [
            "0x10", "0x1F", "+nan", "-nan", "NaN123", "1e", ".", "5e+", "1,5", "1.2.3", "١", "",
            "-", "+",
        ] {
            assert_eq!(parse_value(s), Err(ValueError::Syntax), "{s}");
        }
        for s in ["0x1p3", "0x1.8p1", "1_000", "P"] {
            assert_eq!(parse_value(s), Err(ValueError::UnsupportedCharacter), "{s}");
        }
        for s in ["1e400", "-1e400"] {
            assert_eq!(parse_value(s), Err(ValueError::OutOfRange), "{s}");
        }
    }

    #[test]
    fn fast_path_agrees_with_std() {
        for s in [
            "0",
            "7",
            "-12",
            "9999999999999999999",
            "1234567890123456789",
            "-0000",
        ] {
            assert_eq!(
                parse_value(s).unwrap().to_bits(),
                s.parse::<f64>().unwrap().to_bits(),
                "{s}"
            );
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_int_ms(b"0001", false), Ok(1));
        assert_eq!(parse_int_ms(b"9223372036854775807", false), Ok(i64::MAX));
        assert_eq!(parse_int_ms(b"9223372036854775808", false), Err(true));
        assert_eq!(parse_int_ms(b"99999999999999999999", false), Err(true));
        assert_eq!(parse_int_ms(b"-5", false), Err(false));
        assert_eq!(parse_int_ms(b"-5", true), Ok(-5));
        assert_eq!(parse_int_ms(b"+5", true), Ok(5));
        assert_eq!(parse_int_ms(b"-9223372036854775808", true), Ok(i64::MIN));
        assert_eq!(parse_int_ms(b"-", true), Err(false));
    }
}
