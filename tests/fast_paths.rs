//! Differential tests of the parser's fast paths against its general paths.

use promtext::go::parse_value;
use promtext::{Event, Settings, parse_str, parse_with};
use promtext_gen::{GenConfig, generate};

/// Strict Prometheus lines take the fast path through the line machinery; lenient mode takes
/// the general one. On input without carriage returns, bad lines or signed timestamps the two
/// must agree event for event, labels included.
#[test]
fn strict_fast_path_agrees_with_the_general_path() {
    let mut bodies: Vec<String> = [1u64, 2, 3]
        .iter()
        .map(|&seed| {
            generate(
                &GenConfig::envoy()
                    .seed(seed)
                    .escape_rate(0.2)
                    .target_bytes(64 << 10),
            )
            .text
        })
        .collect();
    bodies.push(generate(&GenConfig::istio().target_bytes(64 << 10)).text);
    bodies.push(
        "# HELP a x\n\n  \t\na{} 1\n a 2 3\n{\"q.n\",b=\"c\"} 4\nb{x=\"1\",y=\"2\",z=\"3\",w=\"4\"} -5\n"
            .to_string(),
    );
    for body in &bodies {
        let fast: Vec<Event<'_>> = parse_with(body.as_bytes(), Settings::default())
            .collect::<Result<_, _>>()
            .expect("valid body");
        let general: Vec<Event<'_>> =
            parse_with(body.as_bytes(), Settings::default().lenient(true))
                .collect::<Result<_, _>>()
                .expect("valid body");
        assert_eq!(fast, general);
        for (f, g) in fast.iter().zip(&general) {
            if let (Event::Sample(f), Event::Sample(g)) = (f, g) {
                assert_eq!(
                    f.labels().collect::<Vec<_>>(),
                    g.labels().collect::<Vec<_>>()
                );
            }
        }
    }
}

/// The value scan handles plain integers in one pass; every other token goes through
/// `parse_value`. Both must give the same verdicts.
#[test]
fn fused_integer_value_agrees_with_parse_value() {
    let mut tokens: Vec<String> = [
        "0",
        "7",
        "-12",
        "-0",
        "+5",
        "00012",
        "1e3",
        "1.5",
        "NaN",
        "+Inf",
        "1_0",
        "0x10",
        "12a",
        "9007199254740993",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for len in 1..=25 {
        tokens.push("9".repeat(len));
        tokens.push(format!("1{}", "0".repeat(len - 1)));
        tokens.push(format!("-{}", "7".repeat(len)));
    }
    for token in &tokens {
        for line in [
            format!("a {token}"),
            format!("a{{b=\"c\"}} {token}"),
            format!("a {token} 17"),
        ] {
            let got = parse_str(&line).next().expect("one event");
            match parse_value(token) {
                Ok(v) => {
                    let ev = got.unwrap_or_else(|e| panic!("{line}: {e}"));
                    let s = ev.as_sample().expect("a sample");
                    assert_eq!(s.value().to_bits(), v.to_bits(), "{line}");
                    assert_eq!(s.value_text(), token, "{line}");
                }
                Err(_) => assert!(got.is_err(), "{line}"),
            }
        }
    }
    // A value running into a brace or a timestamp into junk stays an error.
    assert!(parse_str("a 12{").next().unwrap().is_err());
    assert!(parse_str("a 12 x").next().unwrap().is_err());
}
