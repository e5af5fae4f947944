//! Go's `ParseFloat` and Prometheus' value grammar on top of it.

use std::borrow::Cow;

use super::format::write_go_g;
use crate::lex::scan::digit_run;
/// Parses `s` exactly as Go's `strconv.ParseFloat(s, 64)` does, returning
/// `None` where Go returns an error.
///
/// Accepted: an optional sign; decimal digits with an optional point (at
/// least one digit) and an optional exponent `e`/`E` with optional sign;
/// hexadecimal mantissas `0x…` with a mandatory binary exponent `p`/`P`;
/// underscores between digits (or after a `0x` prefix) as in Go literals;
/// `inf`/`infinity` (any case, optional sign); `nan` (any case, unsigned).
/// Rejected: blanks, signed NaN, `0x10` (hex without `p`), misplaced
/// underscores, and overflow such as `1e400` (Go's "value out of range").
/// Underflow to zero is accepted, as in Go.
///
/// Prometheus' sample-value parser additionally rejects any `p`, `P` or `_`
/// before calling `ParseFloat` (format.md §1.3); that check belongs to the
/// value parser, not here. `normalizeFloatsInLabelValues` calls `ParseFloat`
/// directly, so `le="0x1p3"` does become `8.0` in Prometheus.
///
/// ```
/// use promtext::go::parse_go_float;
/// assert_eq!(parse_go_float("+.5e-3"), Some(0.0005));
/// assert_eq!(parse_go_float("Infinity"), Some(f64::INFINITY));
/// assert_eq!(parse_go_float("0x1.8p1"), Some(3.0));
/// assert_eq!(parse_go_float("1_000"), Some(1000.0));
/// assert_eq!(parse_go_float("-nan"), None);
/// assert_eq!(parse_go_float("1e400"), None);
/// assert_eq!(parse_go_float("0x10"), None);
/// ```
pub fn parse_go_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let neg = b.first() == Some(&b'-');
    let body = match b.first() {
        Some(b'+') | Some(b'-') => &b[1..],
        _ => b,
    };
    if body.is_empty() {
        return None;
    }
    if body.eq_ignore_ascii_case(b"nan") {
        return if body.len() == b.len() {
            Some(f64::NAN)
        } else {
            None
        };
    }
    if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        return Some(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    let hex = body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x';
    // Grammar check (Go's readFloat), noting underscores.
    let mut i = if hex { 2 } else { 0 };
    let mut digits = 0;
    let mut dot = false;
    let mut underscores = false;
    while i < body.len() {
        let c = body[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            digits += 1;
        } else if c == b'_' {
            underscores = true;
        } else if c == b'.' && !dot {
            dot = true;
        } else {
            break;
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    let exp_char = if hex { b'p' } else { b'e' };
    let mut exp_start = None;
    if i < body.len() && (body[i] | 0x20) == exp_char {
        i += 1;
        if i < body.len() && (body[i] == b'+' || body[i] == b'-') {
            i += 1;
        }
        if i >= body.len() || !body[i].is_ascii_digit() {
            return None;
        }
        exp_start = Some(i);
        while i < body.len() && (body[i].is_ascii_digit() || body[i] == b'_') {
            underscores |= body[i] == b'_';
            i += 1;
        }
    } else if hex {
        // A hexadecimal mantissa must have a `p` exponent.
        return None;
    }
    if i != body.len() || (underscores && !underscore_ok(b)) {
        return None;
    }
    let v = if hex {
        parse_hex(&body[2..], exp_start.map(|e| &body[e - 1..]), neg)?
    } else if underscores {
        let cleaned: String = s.chars().filter(|&c| c != '_').collect();
        cleaned.parse::<f64>().ok()?
    } else {
        // Checked above: the decimal grammar Rust's parser reads the same, without a copy.
        s.parse::<f64>().ok()?
    };
    if v.is_infinite() {
        // Finite syntax that rounds to infinity: Go reports ErrRange.
        return None;
    }
    Some(v)
}

/// Go's `underscoreOK`: underscores only between digits, or between a base
/// prefix and a digit.
fn underscore_ok(s: &[u8]) -> bool {
    let mut s = s;
    if let Some(b'+' | b'-') = s.first() {
        s = &s[1..];
    }
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if s.len() >= 2 && s[0] == b'0' && matches!(s[1] | 0x20, b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = (s[1] | 0x20) == b'x';
    }
    while i < s.len() {
        let c = s[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// Value of a hexadecimal float: `mant` is the mantissa text after `0x`
/// (hex digits, one optional point, underscores) up to the exponent, `exp`
/// the text from the sign/digits after `p`. Rounds half to even, with
/// gradual underflow; returns ±inf on overflow.
fn parse_hex(mant: &[u8], exp: Option<&[u8]>, neg: bool) -> Option<f64> {
    let mut m: u128 = 0;
    let mut ndig = 0;
    let mut e2: i64 = 0;
    let mut sticky = false;
    let mut after_dot = false;
    for &c in mant {
        let d = match c {
            b'_' => continue,
            b'.' => {
                after_dot = true;
                continue;
            }
            b'p' | b'P' => break,
            _ => u128::from((c as char).to_digit(16)?),
        };
        if m == 0 && d == 0 {
            if after_dot {
                e2 -= 4;
            }
            continue;
        }
        if ndig < 30 {
            m = m * 16 + d;
            ndig += 1;
            if after_dot {
                e2 -= 4;
            }
        } else {
            sticky |= d != 0;
            if !after_dot {
                e2 += 4;
            }
        }
    }
    let mut pexp: i64 = 0;
    if let Some(e) = exp {
        let mut sign = 1;
        for &c in e {
            match c {
                b'-' => sign = -1,
                b'0'..=b'9' => pexp = (pexp * 10 + i64::from(c - b'0')).min(1 << 20),
                _ => {}
            }
        }
        pexp *= sign;
    }
    let e2 = e2 + pexp;
    let sign_bit = if neg { 1u64 << 63 } else { 0 };
    if m == 0 {
        return Some(f64::from_bits(sign_bit));
    }
    if sticky {
        m |= 1;
    }
    let nbits = 128 - i64::from(m.leading_zeros());
    // Binary exponent of the leading bit.
    let big_e = e2 + nbits - 1;
    if big_e > 1023 {
        return Some(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    let prec = if big_e >= -1022 { 53 } else { big_e + 1075 };
    if prec < 0 {
        return Some(f64::from_bits(sign_bit));
    }
    let shift = nbits - prec;
    let mut q: u128 = if shift > 0 {
        let sh = shift as u32;
        let q = if sh >= 128 { 0 } else { m >> sh };
        let rem = if sh >= 128 {
            m
        } else {
            m & ((1u128 << sh) - 1)
        };
        let half = 1u128 << (sh - 1);
        if rem > half || (rem == half && q & 1 == 1) {
            q + 1
        } else {
            q
        }
    } else {
        m << (-shift) as u32
    };
    let bits = if big_e >= -1022 {
        let mut e = big_e;
        if q == 1u128 << 53 {
            q >>= 1;
            e += 1;
            if e > 1023 {
                return Some(if neg {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                });
            }
        }
        (((e + 1023) as u64) << 52) | (q as u64 & ((1u64 << 52) - 1))
    } else {
        // Subnormal: the rounded mantissa is the bit pattern (a carry into
        // bit 52 yields the smallest normal, as it should).
        q as u64
    };
    Some(f64::from_bits(bits | sign_bit))
}

/// Prometheus 3.x `normalizeFloatsInLabelValues` for one `le` (histogram)
/// or `quantile` (summary) label value (format.md §1.11).
///
/// A value Go's `ParseFloat` accepts is re-rendered as Go's shortest `%g`
/// with `.0` appended when the result has neither `.` nor `e`; infinities
/// become `+Inf`/`-Inf` and NaN becomes `NaN`. Negative zero (`-0`, `-0.0`,
/// `-1e-400`) becomes `0.0`: Prometheus' `labels.FormatOpenMetricsFloat`
/// tests `f == 0` before formatting, which is true for both zeros. Values that do not parse are
/// returned unchanged (borrowed). The result is borrowed whenever it equals
/// the input.
///
/// ```
/// use promtext::go::normalize_le_quantile;
/// assert_eq!(normalize_le_quantile("0.10000000000000000555111512312578"), "0.1");
/// assert_eq!(normalize_le_quantile("0.00001"), "1e-05");
/// assert_eq!(normalize_le_quantile("+Inf"), "+Inf");
/// assert_eq!(normalize_le_quantile("abc"), "abc");
/// assert_eq!(normalize_le_quantile("-0"), "0.0");
/// ```
pub fn normalize_le_quantile(s: &str) -> Cow<'_, str> {
    let Some(mut v) = parse_go_float(s) else {
        return Cow::Borrowed(s);
    };
    if v == 0.0 {
        v = 0.0;
    }
    let mut out = Vec::with_capacity(24);
    write_go_g(&mut out, v);
    if !out
        .iter()
        .any(|&c| c == b'.' || c == b'e' || c == b'N' || c == b'I')
    {
        out.extend_from_slice(b".0");
    }
    if out == s.as_bytes() {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(String::from_utf8(out).unwrap_or_default())
    }
}

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
/// use promtext::go::{parse_value, ValueError};
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
    if let Some(v) = parse_short_decimal(b) {
        return Ok(v);
    }
    parse_value_slow(s)
}

/// [`parse_value`] of bytes, for a caller that has not checked them for UTF-8: the common forms
/// need no check (they are ASCII by construction), the rest are checked first.
#[inline]
pub(crate) fn parse_value_bytes(b: &[u8]) -> Result<f64, ValueError> {
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

/// A decimal such as `0.000106744`, `-12.5` or `4.9351e-05` of at most 19 significant digits
/// (see [`decimal_at`]); longer mantissas with leading zeros take [`long_short_decimal`].
/// `None` for every other text, which the full parser takes.
#[inline]
pub(super) fn parse_short_decimal(b: &[u8]) -> Option<f64> {
    match decimal_at(b, 0) {
        Decimal::Value(end, v) => (end == b.len()).then_some(v),
        Decimal::Long => match b.first() {
            Some(b'-') => long_short_decimal(true, &b[1..]),
            _ => long_short_decimal(false, b),
        },
        Decimal::Not => None,
    }
}

/// What [`decimal_at`] found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Decimal {
    /// A decimal that ends at this index (the first byte that cannot continue it), with its
    /// value.
    Value(usize, f64),
    /// A mantissa of more than 19 digits (leading zeros among them).
    Long,
    /// No digit, an exponent without digits or of more than four, or a power of ten out of
    /// the quick paths' reach: for the full parser.
    Not,
}

/// Powers of ten that fit in a `u64`.
const POW10_U64: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut k = 1;
    while k < 20 {
        t[k] = t[k - 1] * 10;
        k += 1;
    }
    t
};

/// The plain decimal at `b[at..]`: an optional `-`, digits with an optional point (at least
/// one digit), an optional exponent of up to four digits; at most 19 digits in the mantissa.
/// Its value is the correctly rounded result Go's `ParseFloat` gives for those bytes: when
/// the digits fit in 2^53 and the power of ten is at most 22 either way, `digits × 10^e` or
/// `digits ÷ 10^-e` rounded once (Clinger's fast path); larger mantissas take
/// [`wide_decimal`]. It stops at the first byte that cannot continue the number and does not
/// judge it: a caller reading a token in place (a sample value, ended by a blank or a line
/// feed) checks that byte, which spares it finding the token's end first and reading it twice.
#[inline(always)]
pub(crate) fn decimal_at(b: &[u8], at: usize) -> Decimal {
    let neg = b.get(at) == Some(&b'-');
    let s = at + usize::from(neg);
    // The digits before and after the point, eight at a time.
    let (int_end, int) = digit_run(b, s);
    let (mut i, mut digits, mut frac) = (int_end, int_end - s, None);
    if b.get(int_end) == Some(&b'.') {
        let (end, value) = digit_run(b, int_end + 1);
        digits += end - int_end - 1;
        frac = Some((end - int_end - 1, value));
        i = end;
    }
    if digits > 19 {
        // Twenty digits from 1 and nothing else: a u64 unless the run wrapped past 2^64, which
        // leaves less than 10^19 (Envoy's uint64 counters, 18446744073709551615 for a gauge
        // that went below zero). `as f64` rounds it correctly.
        if digits == 20
            && frac.is_none()
            && b[s] == b'1'
            && int >= POW10_U64[19]
            && !matches!(b.get(i), Some(b'e' | b'E'))
        {
            let v = int as f64;
            return Decimal::Value(i, if neg { -v } else { v });
        }
        return Decimal::Long;
    }
    // At least one digit in the mantissa (`.` alone or `-` alone is not a number).
    if digits == 0 {
        return Decimal::Not;
    }
    // Below 10^19: no overflow.
    let (mantissa, exp) = match frac {
        Some((len, value)) => (int * POW10_U64[len] + value, -(len as i32)),
        None => (int, 0),
    };
    let Some((end, e)) = exponent_at(b, i) else {
        return Decimal::Not;
    };
    match scaled(neg, mantissa, exp + e) {
        Some(v) => Decimal::Value(end, v),
        None => Decimal::Not,
    }
}

/// [`parse_short_decimal`] for mantissas of more than 19 digits with leading zeros: a digit at
/// a time, leading zeros not counted.
#[cold]
fn long_short_decimal(neg: bool, rest: &[u8]) -> Option<f64> {
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
    let (end, e) = exponent_at(rest, i)?;
    if end != rest.len() {
        return None;
    }
    scaled(neg, mantissa, exp + e)
}

/// The exponent at `b[i..]`, if one starts there (`e` or `E`, an optional sign, one to four
/// digits): where it ends and its value; `(i, 0)` for none. `None` for an `e` without digits
/// or with more than four.
#[inline(always)]
fn exponent_at(b: &[u8], mut i: usize) -> Option<(usize, i32)> {
    if !matches!(b.get(i), Some(b'e' | b'E')) {
        return Some((i, 0));
    }
    i += 1;
    let neg = match b.get(i) {
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
    while let Some(&c) = b.get(i) {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        if i - start == 4 {
            return None;
        }
        e = e * 10 + d as i32;
        i += 1;
    }
    if i == start {
        return None;
    }
    Some((i, if neg { -e } else { e }))
}

/// `mantissa × 10^exp`, negated for `neg`, correctly rounded; `None` where the quick paths do
/// not reach (a power of ten beyond 10^22 for a mantissa up to 2^53, beyond `wide_decimal`'s
/// range above).
#[inline(always)]
fn scaled(neg: bool, mantissa: u64, exp: i32) -> Option<f64> {
    let v = if exp == 0 {
        // One rounding, to nearest even, as Go's.
        mantissa as f64
    } else if mantissa > 1 << 53 {
        wide_decimal(mantissa, exp)?
    } else {
        let m = mantissa as f64;
        if exp >= 0 {
            m * *POW10.get(exp as usize)?
        } else {
            m / *POW10.get((-exp) as usize)?
        }
    };
    Some(if neg { -v } else { v })
}

/// `mantissa × 10^exp` correctly rounded (to nearest, ties to even, as Go and Rust round),
/// for a mantissa above 2^53, where the quick path's single rounding does not hold: the
/// 16–19-digit values Go clients print for sums and rates (`0.018467653000000002`). Exact
/// integer arithmetic: for `exp ≥ 0` the product fits in 128 bits and converts once; for
/// `exp < 0` the quotient, at least 55 bits long, is truncated with a sticky bit for a non-zero
/// remainder, so its one conversion rounds as the exact quotient would, and the power-of-two
/// scale after it is exact (the result is a normal number). `None` outside `-21..=19`.
#[inline(never)]
pub(super) fn wide_decimal(mantissa: u64, exp: i32) -> Option<f64> {
    if exp >= 0 {
        // Below 2^64 × 10^19 < 2^128.
        let p = 10u128.pow(u32::try_from(exp).ok().filter(|&e| e <= 19)?);
        return Some((u128::from(mantissa) * p) as f64);
    }
    let k = exp.unsigned_abs();
    if k > 21 {
        return None;
    }
    let d = 10u128.pow(k);
    let bits = |x: u128| 128 - x.leading_zeros();
    // A shift that leaves the quotient at least 55 bits long: the rounding bit and a bit below
    // it for the sticky bit. The shifted mantissa stays within 55 + 70 bits.
    let shift = (55 + bits(d)).saturating_sub(bits(u128::from(mantissa)));
    let n = u128::from(mantissa) << shift;
    let q = (n / d) | u128::from(n % d != 0);
    // 2^-shift: at most 2^-71 (the mantissa has 54 bits or more), a normal number.
    let scale = f64::from_bits(u64::from(1023 - shift) << 52);
    Some(q as f64 * scale)
}

#[cold]
pub(super) fn parse_value_slow(s: &str) -> Result<f64, ValueError> {
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
