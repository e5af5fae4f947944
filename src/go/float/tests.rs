use std::borrow::Cow;

use super::format::*;
use super::parse::*;

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
        // Prometheus' FormatOpenMetricsFloat: `f == 0` holds for -0 too.
        ("-0", "0.0"),
        ("-0.0", "0.0"),
        ("-1e-400", "0.0"),
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

/// Decimals both Go's `ParseFloat` and Prometheus' value grammar take.
const DECIMALS: &[(&str, f64)] = &[
    ("+1.5", 1.5),
    (".5", 0.5),
    ("5.", 5.0),
    ("1e3", 1000.0),
    ("1E+03", 1000.0),
    ("00012", 12.0),
];

#[test]
fn parse_go_float_accepts() {
    let cases: &[(&str, f64)] = &[
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
    for &(s, want) in DECIMALS.iter().chain(cases) {
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

/// The next number of a xorshift sequence (for generated test inputs).
fn xorshift(rng: &mut u64) -> u64 {
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    *rng
}

/// A decimal of the shape `r` picks: an optional `-`, 0–11 digits, a point (always after no
/// digit), 0–13 digits, an optional exponent of up to two digits with or without a sign; more
/// than 19 digits and a lone point among them.
fn generated_decimal(r: u64) -> String {
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
    s
}

/// The short-decimal path gives exactly what the full parser gives, on generated decimals
/// of every shape it takes or declines.
#[test]
fn short_decimals_agree_with_the_full_parser() {
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut taken = 0;
    for _ in 0..200_000 {
        let s = generated_decimal(xorshift(&mut rng));
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

/// Mantissas above 2^53 (16–19 digits) go through the exact wide path: every power of ten it
/// takes, halfway cases (which must round to even) and their neighbours give the bits the full
/// parser gives.
#[test]
fn wide_decimals_agree_with_the_full_parser() {
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut checked = 0;
    let mut check = |s: &str| {
        let want = parse_value_slow(s).map(f64::to_bits);
        assert_eq!(parse_value(s).map(f64::to_bits), want, "{s:?}");
        if let Some(v) = parse_short_decimal(s.as_bytes()) {
            assert_eq!(Ok(v.to_bits()), want, "{s:?}");
            checked += 1;
        }
    };
    for _ in 0..100_000 {
        xorshift(&mut rng);
        // 16 to 19 digits, above 2^53.
        let m = (1u64 << 53) + 1 + rng % (10_000_000_000_000_000_000 - (1 << 53) - 1);
        let digits = m.to_string();
        let point = (rng >> 3) as usize % (digits.len() + 1);
        let e = (rng >> 9) % 45;
        let sign = if rng >> 20 & 1 == 0 { "" } else { "-" };
        let mut s = format!("{sign}{}.{}", &digits[..point], &digits[point..]);
        if rng >> 21 & 1 == 0 {
            s.push_str(&format!("e-{e}"));
        } else if rng >> 22 & 1 == 0 {
            s.push_str(&format!("e{}", e % 25));
        }
        check(&s);
    }
    // Exact halfway points between neighbouring doubles (odd multiples of a half unit),
    // written with few enough digits, and one unit in the last digit either side.
    for t in 1..=8u32 {
        for j in 0..2_000u64 {
            let odd = (1u128 << 53) + 2 * u128::from(j) + 1;
            // odd / 2^t = odd × 5^t / 10^t: an exact decimal with t fraction digits.
            let m = odd * 5u128.pow(t);
            let text = m.to_string();
            if text.len() > 19 {
                continue;
            }
            let (int, frac) = text.split_at(text.len() - t as usize);
            for delta in [-1i128, 0, 1] {
                let m2 = (m as i128 + delta).to_string();
                let (i2, f2) = m2.split_at(m2.len() - t as usize);
                check(&format!("{i2}.{f2}"));
            }
            check(&format!("{int}.{frac}"));
            check(&format!("{int}{frac}e-{t}"));
        }
    }
    for s in [
        "0.018467653000000002",
        "685119639.07358336",
        "9007199254740993",
        "9007199254740.993e3",
        "1844674407370955.1615",
        "9999999999999999999e-21",
        "9999999999999999999e19",
        "1234567890123456789e-22",
        "18446744073709551615",
        "-18446744073709551615",
        "18446744073709551616",
        "18446744073709551617",
        "10000000000000000000",
        "19999999999999999999",
        "29999999999999999999",
        "09999999999999999999",
        "18446744073709551615e1",
        "18446744073709551615.",
        "184467440737095516150",
    ] {
        check(s);
    }
    // Twenty-digit integers around 2^64, where the digit run wraps.
    for k in 0..20_000u64 {
        let v = u128::from(u64::MAX) - 10_000 + u128::from(k);
        check(&v.to_string());
        check(&(10u128.pow(19) + u128::from(k) * 7_919_000_000_000).to_string());
    }
    assert!(checked > 50_000, "{checked}");
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
    for &(s, v) in DECIMALS.iter().chain(cases) {
        assert_eq!(parse_value(s), Ok(v), "{s}");
    }
    let neg_zero = parse_value("-0").unwrap();
    assert!(neg_zero == 0.0 && neg_zero.is_sign_negative());
}

#[test]
fn rejected_values_of_format_md_1_3() {
    for s in [
        "0x10", "0x1F", "+nan", "-nan", "NaN123", "1e", ".", "5e+", "1,5", "1.2.3", "١", "", "-",
        "+",
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

/// `decimal_at` reads a number in place: on decimals of every shape followed by bytes that end
/// a token and bytes that do not, a value it gives is the full parser's for the bytes it took,
/// which no digit follows; and a number ended by a blank or a line feed is taken whole exactly
/// when `parse_short_decimal` takes it alone.
#[test]
fn decimals_read_in_place_agree_with_the_full_parser() {
    let mut rng = 0x853C_49E6_748F_EA9Bu64;
    let mut taken = 0;
    for _ in 0..100_000 {
        let s = generated_decimal(xorshift(&mut rng));
        let r = xorshift(&mut rng);
        let whole = s.len();
        let after = b"\n }x.eE5-+\t"[r as usize % 11];
        let mut b = s.clone().into_bytes();
        if r >> 8 & 3 != 0 {
            b.push(after);
            b.extend_from_slice(b"1.5\n");
        }
        match decimal_at(&b, 0) {
            Decimal::Value(end, v) => {
                taken += 1;
                let token = std::str::from_utf8(&b[..end]).unwrap();
                assert_eq!(
                    parse_value_slow(token).map(f64::to_bits),
                    Ok(v.to_bits()),
                    "{token:?} of {s:?}"
                );
                // It stops at the number's end, never inside a run of digits.
                assert!(
                    !b.get(end).is_some_and(u8::is_ascii_digit),
                    "{s:?} stopped before a digit"
                );
            }
            Decimal::Long | Decimal::Not => {}
        }
        // Ended by a blank or a line feed (or the body), the number is taken whole exactly
        // when the short path takes it alone.
        if b.len() == whole || matches!(b[whole], b'\n' | b' ') {
            let alone = parse_short_decimal(s.as_bytes()).map(f64::to_bits);
            let here = match decimal_at(&b, 0) {
                Decimal::Value(end, v) if end == whole => Some(v.to_bits()),
                // Long mantissas are the caller's fallback's, as they are `parse_short_decimal`'s.
                Decimal::Long => alone,
                _ => None,
            };
            assert_eq!(here, alone, "{s:?}");
        }
    }
    assert!(taken > 30_000, "{taken}");
}
