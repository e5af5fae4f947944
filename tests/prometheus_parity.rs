//! Issue 22, parser items 6–11: each row is one body, the dialect, and what Prometheus 3.x's
//! `model/textparse` makes of it (its exact message, or the events), with the Prometheus
//! behaviour the row encodes. Messages follow `parseError`: `got %q` of the token from its
//! start to one byte past where the generated lexer stopped, `while parsing: %q` of the line
//! up to the same byte, and the token's name from the lexer state (`promlex.l`,
//! `openmetricslex.l`). Rows marked "deviation" are deliberate differences (see the crate
//! docs): there the expectation is promtext's own verdict.

mod common;
use common::run;
use promtext::Settings;

#[derive(Clone, Copy)]
enum D {
    /// The Prometheus text format.
    Text,
    /// OpenMetrics (the default, prometheus-level validation).
    Om,
}

enum Want {
    Err(&'static str),
    Ok(&'static [&'static str]),
}
use Want::*;

fn settings(d: D) -> Settings {
    match d {
        D::Text => Settings::default(),
        D::Om => Settings::openmetrics(),
    }
}

#[track_caller]
fn check(rows: &[(&str, D, &[u8], Want)]) {
    let mut failures = Vec::new();
    for (id, d, input, want) in rows {
        let got = run(input, settings(*d));
        let ok = match (want, &got) {
            (Err(m), Result::Err(g)) => m == g,
            (Ok(evs), Result::Ok(g)) => evs == g,
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{id}: {:?}\n    got {got:?}",
                String::from_utf8_lossy(input)
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Item 6 and the token names and extents of item 11, in the text format. Unless noted the
/// row is a case of `promparse_test.go` `TestPromParseErrors`.
#[test]
fn text_tokens_and_extents() {
    check(&[
        // Item 6: in sLabels `=` is EQUAL; the lexer stopped after it, so one more byte.
        (
            "6 empty label name",
            D::Text,
            b"a{=\"1\"} 1\n",
            Err(r#"expected label name, got "=\"" ("EQUAL") while parsing: "a{=\"""#),
        ),
        (
            "6 TestPromParseErrors empty_label_name",
            D::Text,
            b"empty_label_name{=\"\"} 0",
            Err(
                r#"expected label name, got "=\"" ("EQUAL") while parsing: "empty_label_name{=\"""#,
            ),
        ),
        // Item 11: `,` is COMMA in sLabels; COMMA plus the byte after it.
        (
            "11 a{,}",
            D::Text,
            b"a{,}\n",
            Err(r#"expected label name, got ",}" ("COMMA") while parsing: "a{,}""#),
        ),
        // Item 11: a digit at the start of a line: sInit has no digit rule, so INVALID, and
        // the lexer stopped at the digit itself.
        (
            "11 1a",
            D::Text,
            b"1a 1\n",
            Err(r#"expected a valid start token, got "1" ("INVALID") while parsing: "1""#),
        ),
        // `}` is BCLOSE; the error comes after the name `A`.
        (
            "{A}0",
            D::Text,
            b"{A}0",
            Err(r#"expected equal, got "}0" ("BCLOSE") while parsing: "{A}0""#),
        ),
        (
            "quoted name then LNAME",
            D::Text,
            br#"{"a", "b = "c"}"#,
            Err(r#"expected equal, got "c\"" ("LNAME") while parsing: "{\"a\", \"b = \"c\"""#),
        ),
        (
            "backslash after a label name",
            D::Text,
            br#"{"a",b\nc="d"} 1"#,
            Err(r#"expected equal, got "\\" ("INVALID") while parsing: "{\"a\",b\\""#),
        ),
        (
            "single quotes",
            D::Text,
            b"a{b='c'} 1\n",
            Err(r#"expected label value, got "'" ("INVALID") while parsing: "a{b='""#),
        ),
        (
            "no value after =",
            D::Text,
            b"a{b=\n",
            Err(r#"expected label value, got "\n" ("INVALID") while parsing: "a{b=\n""#),
        ),
        (
            "no value",
            D::Text,
            b"a",
            Err(r#"expected value after metric, got "\n" ("INVALID") while parsing: "a\n""#),
        ),
        (
            "timestamp then _",
            D::Text,
            b"foo 0 1_2\n",
            Err(
                r#"expected next entry after timestamp, got "_" ("INVALID") while parsing: "foo 0 1_""#,
            ),
        ),
        // A second timestamp is a TIMESTAMP token in sTimestamp (not in TestPromParseErrors:
        // from the lexer rules).
        (
            "two timestamps",
            D::Text,
            b"a 1 2 3\n",
            Err(
                r#"expected next entry after timestamp, got "3\n" ("TIMESTAMP") while parsing: "a 1 2 3\n""#,
            ),
        ),
        // `{` after the series is BOPEN in sValue (lexer rules).
        (
            "brace for value",
            D::Text,
            b"a{b=\"c\"} {\n",
            Err(
                r#"expected value after metric, got "{\n" ("BOPEN") while parsing: "a{b=\"c\"} {\n""#,
            ),
        ),
        (
            "TYPE #",
            D::Text,
            b"# TYPE #\n#EOF\n",
            Err(
                r##"expected metric name after TYPE, got "#" ("INVALID") while parsing: "# TYPE #""##,
            ),
        ),
        (
            "HELP #",
            D::Text,
            b"# HELP #\n#EOF\n",
            Err(
                r##"expected metric name after HELP, got "#" ("INVALID") while parsing: "# HELP #""##,
            ),
        ),
        // `parseLVals`: `metric name already set while parsing: %q` of the line up to the
        // token after the quoted name (lexer rules).
        (
            "metric name already set",
            D::Text,
            b"a{\"b\"} 1\n",
            Err(r#"metric name already set while parsing: "a{\"b\"}""#),
        ),
        (
            "a valid start token: BOM",
            D::Text,
            b"\xef\xbb\xbfa 1",
            Err(r#"expected a valid start token, got "\xef" ("INVALID") while parsing: "\xef""#),
        ),
    ]);
}

/// Item 11: invalid bytes as Go's `%q` writes them (`\xff`), and the label value in the
/// UTF-8 message.
#[test]
fn text_invalid_utf8() {
    check(&[
        (
            "TestPromParseErrors \\xff label name",
            D::Text,
            b"a{\xff=\"foo\"} 1\n",
            Err(r#"expected label name, got "\xff" ("INVALID") while parsing: "a{\xff""#),
        ),
        (
            "TestPromParseErrors \\xff label value",
            D::Text,
            b"a{b=\"\xff\"} 1\n",
            Err(r#"invalid UTF-8 label value: "\"\xff\"""#),
        ),
        // An earlier syntax error wins over a later invalid value (the lexer reads in order).
        (
            "syntax error before the bad value",
            D::Text,
            b"a{b c=\"\xff\"} 1\n",
            Err(r#"expected equal, got "c=" ("LNAME") while parsing: "a{b c=""#),
        ),
        // A value token with an invalid byte: strconv.ParseFloat's message (`%q` of the token).
        (
            "bad value",
            D::Text,
            b"a \xff\xfe\n",
            Err(
                r#"strconv.ParseFloat: parsing "\xff\xfe": invalid syntax while parsing: "a \xff\xfe""#,
            ),
        ),
        // A control byte of the line itself is not mistaken for an invalid one.
        (
            "control byte and invalid byte",
            D::Text,
            b"a{b\x01=\"\xff\"} 1\n",
            Err(r#"expected equal, got "\x01" ("INVALID") while parsing: "a{b\x01""#),
        ),
        (
            "invalid HELP text",
            D::Text,
            b"# HELP a x\xffy\n",
            Err(r#"help text "x\xffy" is not a valid utf8 string"#),
        ),
        // Deviation: with an invalid byte as the one-byte separator Prometheus reads the
        // (valid) rest as the text or type; promtext cannot return an event borrowing such a
        // line and rejects it.
        (
            "HELP invalid separator",
            D::Text,
            b"# HELP a\xffxyz\n",
            Err("invalid UTF-8 byte as the separator after the metric name in HELP"),
        ),
        (
            "TYPE invalid separator",
            D::Text,
            b"# TYPE a\xffcounter\n",
            Err("invalid UTF-8 byte as the separator after the metric name in TYPE"),
        ),
        (
            "bad byte after a name",
            D::Text,
            b"a\xff 1\n",
            Err(r#"strconv.ParseFloat: parsing "\xff": invalid syntax while parsing: "a\xff""#),
        ),
    ]);
}

/// Item 7: `# HELP a` then a multi-byte character: Prometheus' separator is one byte (the
/// `{C}*` text token starts at it and `p.text = buf[1:]`), so the text starts with a
/// continuation byte and fails `utf8.Valid` (`promparse.go`, `tHelp` case).
#[test]
fn help_separator_is_one_byte() {
    check(&[
        (
            "7 HELP",
            D::Text,
            "# HELP aé\n".as_bytes(),
            Err(r#"help text "\xa9" is not a valid utf8 string"#),
        ),
        (
            "7 HELP with more text",
            D::Text,
            "# HELP aé text\n".as_bytes(),
            Err(r#"help text "\xa9 text" is not a valid utf8 string"#),
        ),
        // TYPE has no UTF-8 check: the type word is compared as it is.
        (
            "7 TYPE",
            D::Text,
            "# TYPE aé counter\n".as_bytes(),
            Err(r#"invalid metric type "\xa9 counter""#),
        ),
        // An ASCII separator of any kind is dropped, one byte only.
        (
            "ASCII separator",
            D::Text,
            b"# HELP a{x y\n",
            Ok(&[r#"H a "x y""#]),
        ),
    ]);
}

/// Item 8: `normalizeFloatsInLabelValues` formats `le` of a histogram and `quantile` of a
/// summary with `labels.FormatOpenMetricsFloat`, whose `case f == 0: return "0.0"` holds for
/// negative zero too. Checked on the normalizer every consumer uses.
#[test]
fn negative_zero_bounds_normalise_to_zero() {
    for s in ["-0", "-0.0", "-0e5", "-1e-400"] {
        assert_eq!(promtext::go::normalize_le_quantile(s), "0.0", "{s}");
    }
    assert_eq!(promtext::go::normalize_le_quantile("-0.5"), "-0.5");
}

/// Item 10: NUL bytes. Prometheus' lexer treats a NUL at the start of a token as the end of
/// input (`\0  return tEOF` in `promlex.l`; `consumeComment` returns `tEOF` at a NUL) and its
/// `next()` skips NULs inside label values, HELP text and comment keywords. Where that makes
/// Prometheus stop silently or read a different line, promtext rejects the line (deviation
/// rows); where Prometheus rejects too, the message is its own.
#[test]
fn nul_bytes() {
    check(&[
        // Deviation: Prometheus keeps `a 1` and silently drops everything from the NUL on.
        (
            "10 NUL starts a line",
            D::Text,
            b"a 1\n\0b 2\nc 3\n",
            Err(
                r#"unexpected NUL byte at the start of a line (Prometheus ends the exposition here without an error; promtext rejects it) while parsing: "\x00""#,
            ),
        ),
        // Deviation: Prometheus skips the NUL inside the keyword and reads a TYPE line.
        (
            "10 TYPE\\0",
            D::Text,
            b"# TYPE\0 t counter\nt 1\n",
            Err(
                r##"unexpected NUL byte in a HELP/TYPE keyword (Prometheus skips it and reads the line as metadata; promtext rejects it) while parsing: "# TYPE\x00""##,
            ),
        ),
        (
            "10 TY\\0PE",
            D::Text,
            b"# TY\0PE t counter\n",
            Err(
                r##"unexpected NUL byte in a HELP/TYPE keyword (Prometheus skips it and reads the line as metadata; promtext rejects it) while parsing: "# TY\x00""##,
            ),
        ),
        (
            "10 HE\\0\\0LP",
            D::Text,
            b"# HE\0\0LP a x\n",
            Err(
                r##"unexpected NUL byte in a HELP/TYPE keyword (Prometheus skips it and reads the line as metadata; promtext rejects it) while parsing: "# HE\x00""##,
            ),
        ),
        // Not a keyword even with the NUL skipped: a comment for both.
        (
            "HELPx with NUL",
            D::Text,
            b"# HEL\0Px a\n",
            Ok(&["C \" HEL\\0Px a\""]),
        ),
        // Deviation: in a comment with no blank after `#`, or right after `# `, a NUL is
        // Prometheus' end of input.
        (
            "10 #x\\0y",
            D::Text,
            b"#x\0y\na 1\n",
            Err(
                r##"unexpected NUL byte in a comment (Prometheus ends the exposition here without an error; promtext rejects it) while parsing: "#x\x00""##,
            ),
        ),
        (
            "10 # \\0x",
            D::Text,
            b"# \0x\na 1\n",
            Err(
                r##"unexpected NUL byte in a comment (Prometheus ends the exposition here without an error; promtext rejects it) while parsing: "# \x00""##,
            ),
        ),
        // Deviation: Prometheus' whitespace token after `=` skips the NUL, then reads the
        // value; promtext rejects it where a value must start.
        (
            "10 blank then NUL before a value",
            D::Text,
            b"a{b= \0\"x\"} 1\n",
            Err(r#"expected label value, got "\x00" ("INVALID") while parsing: "a{b= \x00""#),
        ),
        // Deviation: `HELP[\t ]+` skips the NUL, so Prometheus reads HELP for `a`.
        (
            "10 HELP blank NUL name",
            D::Text,
            b"# HELP \0a x\n",
            Err(
                r##"expected metric name after HELP, got "\x00" ("INVALID") while parsing: "# HELP \x00""##,
            ),
        ),
        // Same verdict: `TestPromNullByteHandling` rows.
        (
            "11 a\\0 1 (value token starts at \\x01)",
            D::Text,
            b"a\0 1\n",
            Err(r#"expected value after metric, got "\x00" ("INVALID") while parsing: "a\x00""#),
        ),
        (
            "a\\0{b=...}",
            D::Text,
            b"a\0{b=\"ddd\"} 1",
            Err(r#"expected value after metric, got "\x00" ("INVALID") while parsing: "a\x00""#),
        ),
        (
            "NUL before a value",
            D::Text,
            b"a{b=\0\"ssss\"} 1\n",
            Err(r#"expected label value, got "\x00" ("INVALID") while parsing: "a{b=\x00""#),
        ),
        (
            "NUL after a label name",
            D::Text,
            b"a{b\0=\"hiih\"}\t1",
            Err(r#"expected equal, got "\x00" ("INVALID") while parsing: "a{b\x00""#),
        ),
        (
            "NUL after a timestamp",
            D::Text,
            b"a 0 1\0",
            Err(
                r#"expected next entry after timestamp, got "\x00" ("INVALID") while parsing: "a 0 1\x00""#,
            ),
        ),
        // The value token ends at the NUL; sTimestamp has no rule for it.
        (
            "NUL after a value",
            D::Text,
            b"a 1\0\n",
            Err(
                r#"expected timestamp or new record, got "\x00" ("INVALID") while parsing: "a 1\x00""#,
            ),
        ),
        // The text token `{C}*` cannot start at a NUL: empty text, then the NUL is `tEOF`.
        (
            "HELP a\\0x",
            D::Text,
            b"# HELP a\0x\n",
            Err(
                r##"linebreak expected after metadata, got "\x00x" ("EOF") while parsing: "# HELP a\x00x""##,
            ),
        ),
        (
            "TYPE a\\0counter",
            D::Text,
            b"# TYPE a\0counter\n",
            Err(r#"invalid metric type """#),
        ),
        // Accepted by both: NULs inside label values, HELP text and `# ` comments.
        (
            "NUL in a label value",
            D::Text,
            b"null_byte_metric{a=\"abc\0\"} 1\na{b=\"\0ss\"} 1\n",
            Ok(&[
                "S \"null_byte_metric\"{a=\"abc\\0\"} 1",
                "S \"a\"{b=\"\\0ss\"} 1",
            ]),
        ),
        (
            "NUL in HELP text and a comment",
            D::Text,
            b"# HELP a he\0lp\n# x\0y\n",
            Ok(&["H a \"he\\0lp\"", "C \" x\\0y\""]),
        ),
    ]);
}

/// Item 9: OpenMetrics timestamps are float seconds that Prometheus converts with
/// `int64(ts * 1000)`, which Go leaves to the platform out of range (amd64: MinInt64 both
/// ways). promtext saturates (deviation, documented on `seconds_to_ms`): such a line is valid
/// OpenMetrics (the official suite's `timestamps` case), so it is kept, with its sign.
#[test]
fn openmetrics_timestamp_range() {
    check(&[
        (
            "9 beyond int64 ms",
            D::Om,
            b"a 1 99999999999999999999\n# EOF\n",
            Ok(&["S \"a\"{} 1 @9223372036854775807", "EOF"]),
        ),
        (
            "9 below int64 ms",
            D::Om,
            b"a 1 -1e17\n# EOF\n",
            Ok(&["S \"a\"{} 1 @-9223372036854775808", "EOF"]),
        ),
        // In range: truncated toward zero, as Go's conversion.
        (
            "9 in range",
            D::Om,
            b"a 1 9.2e15\na 2 -1.0009\n# EOF\n",
            Ok(&[
                "S \"a\"{} 1 @9200000000000000000",
                "S \"a\"{} 2 @-1000",
                "EOF",
            ]),
        ),
    ]);
}

/// Item 11 in OpenMetrics (`openmetricsparse.go`, `openmetricslex.l`).
#[test]
fn openmetrics_first_errors() {
    check(&[
        // `parseLVals` tests `isQString` before "metric name already set": an unquoted name
        // followed by `}` is "expected equal", BCLOSE plus one byte.
        (
            "11 OM a{a} 1",
            D::Om,
            b"a{a} 1\n# EOF\n",
            Err(r#"expected equal, got "} " ("BCLOSE") while parsing: "a{a} ""#),
        ),
        // After the value, ` ` then a line feed matches no rule; `parseSeriesEndOfLine` has
        // no default case, so the sample is returned, and the next `Next()` lexes the line
        // feed (LINEBREAK) where a line must start.
        (
            "11 OM a 1 then # EOF",
            D::Om,
            b"a 1 \n# EOF\n",
            Err(r##"expected a valid start token, got "\n#" ("LINEBREAK") while parsing: "\n#""##),
        ),
        // The byte after the line feed is the next line's first: here a line feed too.
        (
            "OM a 1 then a blank line",
            D::Om,
            b"a 1 \n\n# EOF\n",
            Err(r#"expected a valid start token, got "\n\n" ("LINEBREAK") while parsing: "\n\n""#),
        ),
        (
            "OM a 1 at the end of input",
            D::Om,
            b"a 1 \n",
            Err(r#"expected a valid start token, got "\n" ("LINEBREAK") while parsing: "\n""#),
        ),
        // Two spaces: the lexer restarts at the second, where ` 2` is a TIMESTAMP token.
        (
            "OM a 1  2",
            D::Om,
            b"a 1  2\n# EOF\n",
            Err(r#"expected a valid start token, got " 2\n" ("TIMESTAMP") while parsing: " 2\n""#),
        ),
        (
            "OM a 1  (two trailing spaces)",
            D::Om,
            b"a 1  \n# EOF\n",
            Err(r#"expected a valid start token, got " \n" ("INVALID") while parsing: " \n""#),
        ),
        // In sValue `{` is BOPEN (`<sValue>\{`).
        (
            "OM brace after labels",
            D::Om,
            b"a{b=\"c\"}{} 1\n# EOF\n",
            Err(r#"expected value after metric, got "{}" ("BOPEN") while parsing: "a{b=\"c\"}{}""#),
        ),
        (
            "OM \\xff label name",
            D::Om,
            b"a{\xff=\"x\"} 1\n# EOF\n",
            Err(r#"expected label name, got "\xff" ("INVALID") while parsing: "a{\xff""#),
        ),
        (
            "OM \\xff label value",
            D::Om,
            b"a{b=\"\xff\"} 1\n# EOF\n",
            Err(r#"invalid UTF-8 label value: "\"\xff\"""#),
        ),
    ]);
}

/// The sample before a trailing space is returned first, as Prometheus returns it.
#[test]
fn openmetrics_trailing_space_returns_the_sample_first() {
    let items: Vec<Result<String, String>> =
        promtext::parse_with(b"a 1 \n# EOF\n", Settings::openmetrics())
            .map(|r| {
                r.map(|e| common::render(&e))
                    .map_err(|e| e.message().to_string())
            })
            .collect();
    assert_eq!(items[0], Result::Ok("S \"a\"{} 1".to_string()));
    assert!(items[1].is_err(), "{items:?}");
    // A lenient parser reports it on the line itself and loses no other line.
    let items: Vec<Result<String, String>> =
        promtext::parse_with(b"a 1 \nb 2\n# EOF\n", Settings::openmetrics().lenient(true))
            .map(|r| {
                r.map(|e| common::render(&e))
                    .map_err(|e| e.message().to_string())
            })
            .collect();
    assert_eq!(
        items,
        [
            Result::Err(
                r#"expected a valid start token, got "\n" ("LINEBREAK") while parsing: "\n""#
                    .to_string()
            ),
            Result::Ok("S \"b\"{} 2".to_string()),
            Result::Ok("EOF".to_string()),
        ]
    );
}
