//! Go's `%g` and C's `%.32g`.

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
/// promtext::go::write_g32(&mut out, 17506.15);
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
/// use promtext::go::format_g32;
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
/// promtext::go::write_go_g(&mut out, 7.754e-05);
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
/// use promtext::go::format_go_g;
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
/// use promtext::go::G32;
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
/// use promtext::go::GoG;
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
