//! Float formatting the way Envoy and Go print numbers.
//!
//! Three number dialects meet in an Envoy/Istio scrape:
//!
//! * Envoy prints histogram bounds, `_sum` values and summary quantiles with
//!   C++ `fmt::format("{:.32g}")`, which is C `printf("%.32g")`:
//!   [`format_g32`] / [`write_g32`].
//! * Go's client_golang (Istio's port 15020 agent block) prints floats with
//!   `strconv.FormatFloat(v, 'g', -1, 64)`: [`format_go_g`] / [`write_go_g`].
//! * Prometheus 3.x re-renders `le` and `quantile` label values through Go's
//!   `ParseFloat` and shortest `%g` (format.md §1.11):
//!   [`normalize_le_quantile`].
//!
//! Everything here is built on Rust's own float formatting, which is exact
//! when a precision is given (`{:.31e}` yields the exact decimal expansion
//! rounded half-to-even to 32 significant digits, as glibc does) and shortest
//! round-trip otherwise (`{:e}`).
//!
//! ```
//! use promtext::floatfmt::{format_g32, format_go_g, normalize_le_quantile};
//!
//! assert_eq!(format_g32(0.1), "0.10000000000000000555111512312578");
//! assert_eq!(format_g32(3600000.0), "3600000");
//! assert_eq!(format_go_g(1800000.0), "1.8e+06");
//! assert_eq!(normalize_le_quantile("1800000"), "1.8e+06");
//! assert_eq!(normalize_le_quantile("1"), "1.0");
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// A fixed stack buffer implementing [`fmt::Write`]; big enough for any
/// `{:.31e}` or `{:e}` rendering of an `f64` (at most ~40 bytes).
struct StackBuf {
    buf: [u8; 64],
    len: usize,
}

impl StackBuf {
    fn new() -> Self {
        StackBuf {
            buf: [0; 64],
            len: 0,
        }
    }
    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Decimal digits and exponent of a finite, non-negative float as printed by
/// `{:e}`-style formatting: value = 0.d1d2d3… × 10^(exp+1).
struct Decimal {
    digits: [u8; 40],
    nd: usize,
    /// Decimal exponent of the first digit (`d.ddd × 10^exp`).
    exp: i32,
}

/// Splits the output of `{:e}`/`{:.Ne}` (`"1.2345e-7"`, `"5e0"`) into digits
/// and exponent.
fn split_sci(s: &[u8]) -> Decimal {
    let mut d = Decimal {
        digits: [0; 40],
        nd: 0,
        exp: 0,
    };
    let mut i = 0;
    while i < s.len() && s[i] != b'e' {
        if s[i].is_ascii_digit() {
            d.digits[d.nd] = s[i];
            d.nd += 1;
        }
        i += 1;
    }
    let mut neg = false;
    i += 1;
    if i < s.len() && s[i] == b'-' {
        neg = true;
        i += 1;
    }
    let mut e: i32 = 0;
    while i < s.len() {
        e = e * 10 + i32::from(s[i] - b'0');
        i += 1;
    }
    d.exp = if neg { -e } else { e };
    d
}

/// Writes `digits` (no trailing zeros) and `exp` in exponent form with at
/// least two exponent digits: `1.8e+06`, `7.754e-05`, `1e+100`.
fn push_exp_form(out: &mut Vec<u8>, digits: &[u8], exp: i32) {
    out.push(digits[0]);
    if digits.len() > 1 {
        out.push(b'.');
        out.extend_from_slice(&digits[1..]);
    }
    out.push(b'e');
    out.push(if exp < 0 { b'-' } else { b'+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        out.push(b'0');
    }
    push_u64(out, u64::from(a));
}

/// Writes `digits` × 10^(exp+1-len) in plain positional form, without
/// trailing zeros after the point.
fn push_fixed_form(out: &mut Vec<u8>, digits: &[u8], exp: i32) {
    let nd = digits.len() as i32;
    if exp < 0 {
        out.extend_from_slice(b"0.");
        for _ in 0..(-exp - 1) {
            out.push(b'0');
        }
        out.extend_from_slice(digits);
    } else if exp + 1 >= nd {
        out.extend_from_slice(digits);
        for _ in 0..(exp + 1 - nd) {
            out.push(b'0');
        }
    } else {
        let p = (exp + 1) as usize;
        out.extend_from_slice(&digits[..p]);
        out.push(b'.');
        out.extend_from_slice(&digits[p..]);
    }
}

/// Appends the decimal digits of `v` to `out` (an `itoa` that needs no
/// allocation). Used by the generator for every integer it prints.
pub fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[i..]);
}

/// Appends C `printf("%.32g", v)` to `out`.
///
/// 32 significant digits, trailing zeros (and a trailing point) removed,
/// exponent form `d.ddde±XX` when the decimal exponent is below −4 or at least
/// 32; `nan`, `-nan`, `inf`, `-inf` as glibc spells them.
///
/// ```
/// let mut out = Vec::new();
/// promtext::floatfmt::write_g32(&mut out, 17506.15);
/// assert_eq!(out, b"17506.150000000001455191522836685");
/// ```
pub fn write_g32(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(if v.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        });
        return;
    }
    if v.is_sign_negative() {
        out.push(b'-');
    }
    let a = v.abs();
    if a.is_infinite() {
        out.extend_from_slice(b"inf");
        return;
    }
    if a == 0.0 {
        out.push(b'0');
        return;
    }
    // Fast path for integers below 2^53: %.32g prints them plainly.
    if a < 9_007_199_254_740_992.0 && a.fract() == 0.0 {
        push_u64(out, a as u64);
        return;
    }
    let mut sb = StackBuf::new();
    // Cannot fail: the buffer holds any 32-digit rendering.
    let _ = write!(sb, "{a:.31e}");
    let d = split_sci(sb.as_bytes());
    let mut nd = d.nd;
    while nd > 1 && d.digits[nd - 1] == b'0' {
        nd -= 1;
    }
    let digits = &d.digits[..nd];
    if d.exp < -4 || d.exp >= 32 {
        push_exp_form(out, digits, d.exp);
    } else {
        push_fixed_form(out, digits, d.exp);
    }
}

/// Returns C `printf("%.32g", v)`, the format Envoy uses for histogram
/// bounds, `_sum` values and summary quantiles.
///
/// ```
/// use promtext::floatfmt::format_g32;
/// assert_eq!(format_g32(0.1), "0.10000000000000000555111512312578");
/// assert_eq!(format_g32(1e-5), "1.0000000000000000818030539140313e-05");
/// assert_eq!(format_g32(0.5), "0.5");
/// assert_eq!(format_g32(f64::NAN), "nan");
/// ```
pub fn format_g32(v: f64) -> String {
    let mut out = Vec::with_capacity(40);
    write_g32(&mut out, v);
    // write_g32 emits ASCII only.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends Go `strconv.FormatFloat(v, 'g', -1, 64)` to `out`.
///
/// Shortest round-trip digits; exponent form when the decimal exponent is
/// below −4 or at least 6 (Go uses precision 6 for that decision when the
/// shortest form is requested), with at least two exponent digits. `NaN`,
/// `+Inf`, `-Inf` are spelled as Go spells them.
///
/// ```
/// let mut out = Vec::new();
/// promtext::floatfmt::write_go_g(&mut out, 7.754e-05);
/// assert_eq!(out, b"7.754e-05");
/// ```
pub fn write_go_g(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"+Inf" } else { b"-Inf" });
        return;
    }
    if v.is_sign_negative() {
        out.push(b'-');
    }
    let a = v.abs();
    if a == 0.0 {
        out.push(b'0');
        return;
    }
    let mut sb = StackBuf::new();
    let _ = write!(sb, "{a:e}");
    let mut d = split_sci(sb.as_bytes());
    ties_to_even(&mut d, a);
    let digits = &d.digits[..d.nd];
    if d.exp < -4 || d.exp >= 6 {
        push_exp_form(out, digits, d.exp);
    } else {
        push_fixed_form(out, digits, d.exp);
    }
}

/// Go's shortest formatting breaks exact ties to even (`ryuDigits32`:
/// round up on a trailing 5 only when the kept digit is odd), while Rust's
/// shortest formatting rounds such ties up. When `a` lies exactly halfway
/// between the shortest digits `d` and the next lower candidate and `d` ends
/// in an odd digit, switch to the even (lower) candidate, as Go does.
fn ties_to_even(d: &mut Decimal, a: f64) {
    let n = d.nd;
    if n < 2 || (d.digits[n - 1] - b'0') % 2 == 0 {
        return;
    }
    // Exact decimal expansion, rounded to n + 24 significant digits: a tie
    // shows as a 5 followed by zeros. Confirm with the full expansion (an f64
    // has at most 767 significant digits).
    let probe = |prec: usize| -> bool {
        let s = format!("{a:.prec$e}");
        let mant = s.split('e').next().unwrap_or("");
        let digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
        digits.len() > n && digits[n] == b'5' && digits[n + 1..].iter().all(|&c| c == b'0')
    };
    if !probe(n + 24) || !probe(800) {
        return;
    }
    let mut alt = Decimal {
        digits: d.digits,
        nd: n,
        exp: d.exp,
    };
    alt.digits[n - 1] -= 1;
    while alt.nd > 1 && alt.digits[alt.nd - 1] == b'0' {
        alt.nd -= 1;
    }
    // The lower candidate must still round-trip.
    let text: String = format!(
        "{}e{}",
        std::str::from_utf8(&alt.digits[..alt.nd]).unwrap_or("0"),
        alt.exp - (alt.nd as i32 - 1)
    );
    if text.parse::<f64>().ok() == Some(a) {
        *d = alt;
    }
}

/// Returns Go `strconv.FormatFloat(v, 'g', -1, 64)`, the float format of
/// Go's client_golang.
///
/// ```
/// use promtext::floatfmt::format_go_g;
/// assert_eq!(format_go_g(2543784.0), "2.543784e+06");
/// assert_eq!(format_go_g(0.0001054), "0.0001054");
/// assert_eq!(format_go_g(600000.0), "600000");
/// assert_eq!(format_go_g(f64::INFINITY), "+Inf");
/// ```
pub fn format_go_g(v: f64) -> String {
    let mut out = Vec::with_capacity(24);
    write_go_g(&mut out, v);
    String::from_utf8(out).unwrap_or_default()
}

/// A [`fmt::Display`] adapter printing its value as C `printf("%.32g")`, for
/// any [`fmt::Write`] or `format!` target.
///
/// ```
/// use promtext::floatfmt::G32;
/// assert_eq!(format!("x {}", G32(0.1)), "x 0.10000000000000000555111512312578");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct G32(pub f64);

impl fmt::Display for G32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(40);
        write_g32(&mut out, self.0);
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

/// A [`fmt::Display`] adapter printing its value as Go
/// `strconv.FormatFloat(v, 'g', -1, 64)`.
///
/// ```
/// use promtext::floatfmt::GoG;
/// assert_eq!(GoG(1e6).to_string(), "1e+06");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GoG(pub f64);

impl fmt::Display for GoG {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(24);
        write_go_g(&mut out, self.0);
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

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
/// use promtext::floatfmt::parse_go_float;
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
    } else {
        let cleaned: String = s.chars().filter(|&c| c != '_').collect();
        cleaned.parse::<f64>().ok()?
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
/// become `+Inf`/`-Inf` and NaN becomes `NaN`. Values that do not parse are
/// returned unchanged (borrowed). The result is borrowed whenever it equals
/// the input.
///
/// ```
/// use promtext::floatfmt::normalize_le_quantile;
/// assert_eq!(normalize_le_quantile("0.10000000000000000555111512312578"), "0.1");
/// assert_eq!(normalize_le_quantile("0.00001"), "1e-05");
/// assert_eq!(normalize_le_quantile("+Inf"), "+Inf");
/// assert_eq!(normalize_le_quantile("abc"), "abc");
/// ```
pub fn normalize_le_quantile(s: &str) -> Cow<'_, str> {
    let Some(v) = parse_go_float(s) else {
        return Cow::Borrowed(s);
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g32_table() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (0.5, "0.5"),
            (0.1, "0.10000000000000000555111512312578"),
            (17506.15, "17506.150000000001455191522836685"),
            (27.65, "27.6499999999999985789145284798"),
            (5.05, "5.049999999999999822364316059975"),
            (327.75, "327.75"),
            (3.15, "3.1499999999999999111821580299875"),
            (3600000.0, "3600000"),
            (1e31, "9999999999999999635896294965248"),
            (1e32, "1.0000000000000000536616220439347e+32"),
            (0.0001, "0.00010000000000000000479217360238593"),
            (1e-5, "1.0000000000000000818030539140313e-05"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (1e300, "1.0000000000000000525047602552044e+300"),
            (5e-324, "4.9406564584124654417656879286822e-324"),
            (18446744073709551615.0, "18446744073709551616"),
        ];
        for &(v, want) in cases {
            assert_eq!(format_g32(v), want, "value {v:e}");
        }
    }

    #[test]
    fn go_g_table() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (-1.0, "-1"),
            (0.5, "0.5"),
            (0.1, "0.1"),
            (7.754e-05, "7.754e-05"),
            (0.0001054, "0.0001054"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (999999.0, "999999"),
            (1234567.0, "1.234567e+06"),
            (2543784.0, "2.543784e+06"),
            (600000.0, "600000"),
            (1800000.0, "1.8e+06"),
            (1e6, "1e+06"),
            (1.6367444055020077e9, "1.6367444055020077e+09"),
            (1.8446744073709552e19, "1.8446744073709552e+19"),
            (1e21, "1e+21"),
            (1e100, "1e+100"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (1.897816015534054e-05, "1.897816015534054e-05"),
            (11.545366, "11.545366"),
            // Exact ties between two shortest candidates go to even, as in Go.
            (137_668.010_009_765_63, "137668.01000976562"),
            (637_742.943_847_656_2, "637742.9438476562"),
            (201_562_347_225_087.62, "2.0156234722508762e+14"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ];
        for &(v, want) in cases {
            assert_eq!(format_go_g(v), want, "value {v:e}");
        }
    }

    #[test]
    fn le_table_of_format_md() {
        // format.md §1.11, Envoy's default bounds first.
        let cases: &[(&str, &str)] = &[
            ("0.5", "0.5"),
            ("1", "1.0"),
            ("5", "5.0"),
            ("10", "10.0"),
            ("25", "25.0"),
            ("50", "50.0"),
            ("100", "100.0"),
            ("250", "250.0"),
            ("500", "500.0"),
            ("1000", "1000.0"),
            ("2500", "2500.0"),
            ("5000", "5000.0"),
            ("10000", "10000.0"),
            ("30000", "30000.0"),
            ("60000", "60000.0"),
            ("300000", "300000.0"),
            ("600000", "600000.0"),
            ("1800000", "1.8e+06"),
            ("3600000", "3.6e+06"),
            ("+Inf", "+Inf"),
            ("0.10000000000000000555111512312578", "0.1"),
            ("0.00001", "1e-05"),
            // Other rows of §1.11.
            ("0", "0.0"),
            ("-1", "-1.0"),
            ("Inf", "+Inf"),
            ("inf", "+Inf"),
            ("-Infinity", "-Inf"),
            ("nan", "NaN"),
            ("NaN", "NaN"),
            ("0.0001", "0.0001"),
            ("1e3", "1000.0"),
            ("1E+03", "1000.0"),
            ("00012", "12.0"),
            ("-0", "-0.0"),
            ("+.5e-3", "0.0005"),
            ("5.", "5.0"),
            ("1e-400", "0.0"),
            ("123456789012345678901234567890", "1.2345678901234568e+29"),
            ("1.0", "1.0"),
            ("1e+06", "1e+06"),
            // Go's ParseFloat (not Prometheus' value parser) accepts these.
            ("0x1p3", "8.0"),
            ("1_000", "1000.0"),
        ];
        for &(input, want) in cases {
            assert_eq!(normalize_le_quantile(input), want, "input {input:?}");
        }
        // Already canonical: borrowed.
        assert!(matches!(normalize_le_quantile("0.5"), Cow::Borrowed(_)));
        assert!(matches!(normalize_le_quantile("+Inf"), Cow::Borrowed(_)));
    }

    #[test]
    fn unparseable_values_left_unchanged() {
        for s in [
            "",
            " 1",
            "1 ",
            "abc",
            "0x10",
            "0x1F",
            "1p3",
            "+nan",
            "-nan",
            "-NaN",
            "NaN123",
            "1e",
            ".",
            "5e+",
            "1,5",
            "1.2.3",
            "\u{661}",
            "1e400",
            "-1e400",
            "++1",
            "infinit",
            "+-1",
            "e5",
            "1__0",
            "_1",
            "1_",
            "1_.5",
            "0x",
            "0xp1",
            "0x1p",
            "0x1p+",
            "0x1.2.3p1",
            "0x1g0p1",
            "0x1p1024",
            "-0x1p1024",
            "0x1.fffffffffffff8p1023",
            "1e_5",
            "0x1p1_",
        ] {
            assert_eq!(normalize_le_quantile(s), s, "input {s:?}");
            assert!(matches!(normalize_le_quantile(s), Cow::Borrowed(_)));
            assert_eq!(parse_go_float(s).map(|_| ()), None, "input {s:?}");
        }
        assert_eq!(normalize_le_quantile("١"), "١");
    }

    #[test]
    fn parse_go_float_accepts() {
        let cases: &[(&str, f64)] = &[
            ("+1.5", 1.5),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e3", 1000.0),
            ("1E+03", 1000.0),
            ("00012", 12.0),
            ("4.9e-324", 5e-324),
            ("1.7976931348623157e308", f64::MAX),
            ("iNf", f64::INFINITY),
            ("INF", f64::INFINITY),
            ("+inf", f64::INFINITY),
            ("Infinity", f64::INFINITY),
            ("-Inf", f64::NEG_INFINITY),
            // Go accepts hex floats and digit-separating underscores.
            ("0x1p3", 8.0),
            ("0x1.8p1", 3.0),
            ("0X1P-2", 0.25),
            ("-0x.8p1", -1.0),
            ("0x_1p0", 1.0),
            ("0x1_0p0", 16.0),
            ("1_000", 1000.0),
            ("1_000.000_1", 1000.0001),
            ("1e1_0", 1e10),
            ("0x1p-1074", 5e-324),
            ("0x1p-1075", 0.0),
            ("0x1.8p-1075", 5e-324),
            ("0x1p-1080", 0.0),
            ("0x1.fffffffffffffp1023", f64::MAX),
            ("0x1.fffffffffffff7ffp1023", f64::MAX),
            ("0x1.00000000000008p0", 1.0),
            ("0x1.00000000000018p0", 1.0000000000000004),
            (
                "0x1.000000000000080000000000000000001p0",
                1.0000000000000002,
            ),
            (
                "0xffffffffffffffffffffffffffffffffffffffffp0",
                1.461501637330903e48,
            ),
            ("0x0.0000000000001p-1022", 5e-324),
            ("0x1p-1022", 2.2250738585072014e-308),
            ("0x0.fffffffffffffp-1022", 2.225073858507201e-308),
        ];
        for &(s, want) in cases {
            assert_eq!(parse_go_float(s), Some(want), "input {s:?}");
        }
        assert!(parse_go_float("nan").unwrap().is_nan());
        assert!(parse_go_float("-0").unwrap().is_sign_negative());
    }

    #[test]
    fn push_u64_digits() {
        for v in [0u64, 7, 10, 999, 1_000_000, u64::MAX, i64::MAX as u64 + 1] {
            let mut out = Vec::new();
            push_u64(&mut out, v);
            assert_eq!(out, v.to_string().as_bytes());
        }
    }

    proptest::proptest! {
        #[test]
        fn g32_parses_back_and_matches_exact_digits(bits in proptest::prelude::any::<u64>()) {
            let v = f64::from_bits(bits);
            let s = format_g32(v);
            if v.is_nan() {
                proptest::prop_assert!(s == "nan" || s == "-nan");
            } else {
                // 32 significant digits always round-trip an f64.
                let back: f64 = s.parse().unwrap();
                proptest::prop_assert_eq!(back.to_bits(), v.to_bits());
                let digits = s.trim_start_matches('-').split('e').next().unwrap()
                    .bytes().filter(u8::is_ascii_digit).collect::<Vec<_>>();
                let sig = digits.iter().skip_while(|&&d| d == b'0').count();
                proptest::prop_assert!(sig <= 32, "{}", s);
                proptest::prop_assert!(!s.contains('.') || !s.split('e').next().unwrap().ends_with('0'), "{}", s);
            }
        }

        #[test]
        fn go_g_round_trips_exactly(bits in proptest::prelude::any::<u64>()) {
            let v = f64::from_bits(bits);
            let s = format_go_g(v);
            if v.is_nan() {
                proptest::prop_assert_eq!(s, "NaN");
            } else {
                let back = parse_go_float(&s).unwrap();
                proptest::prop_assert_eq!(back.to_bits(), v.to_bits());
                // Normalisation is idempotent.
                let n = normalize_le_quantile(&s).into_owned();
                proptest::prop_assert_eq!(normalize_le_quantile(&n), n.as_str());
            }
        }

        #[test]
        fn hex_floats_parse_exactly(bits in proptest::prelude::any::<u64>(), extra in 0u32..3) {
            let v = f64::from_bits(bits);
            proptest::prop_assume!(v.is_finite());
            let sign = if v.is_sign_negative() { "-" } else { "" };
            let e = ((bits >> 52) & 0x7ff) as i64;
            let frac = bits & ((1u64 << 52) - 1);
            // Go-style hex rendering of the exact value, with optional
            // trailing zero digits and underscores to exercise the grammar.
            let zeros = "0".repeat(extra as usize);
            let text = if e == 0 {
                format!("{sign}0x0.{frac:013x}{zeros}p-1022")
            } else {
                format!("{sign}0x1.{frac:013x}{zeros}p{}", e - 1023)
            };
            let back = parse_go_float(&text).unwrap();
            proptest::prop_assert_eq!(back.to_bits(), v.to_bits(), "{}", text);
            let under = text.replacen("0x", "0x_", 1);
            proptest::prop_assert_eq!(parse_go_float(&under).map(f64::to_bits), Some(v.to_bits()));
        }

        #[test]
        fn g32_of_small_decimals(cents in 0u64..100_000_000) {
            let v = cents as f64 / 100.0;
            let s = format_g32(v);
            proptest::prop_assert_eq!(s.parse::<f64>().unwrap(), v);
            proptest::prop_assert_eq!(normalize_le_quantile(&s).parse::<f64>().unwrap(), v);
        }
    }
}
