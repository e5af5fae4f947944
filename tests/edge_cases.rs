//! Every row of format.md §1.9 (and the value rows of §1.3) as a table: input, verdict in the
//! default dialect, and the events or the error message; plus the lenient verdicts.

mod common;
use common::run;
use promtext::Settings;

enum V {
    /// Accepted with exactly these rendered events.
    Ok(&'static [&'static str]),
    /// Rejected; the message must start with this text.
    Err(&'static str),
}
use V::*;

fn def() -> Settings {
    Settings::default()
}
fn len() -> Settings {
    Settings::default().lenient(true)
}

#[track_caller]
fn check(id: &str, input: &[u8], settings: Settings, want: V) {
    let got = run(input, settings);
    match (want, &got) {
        (Ok(events), Result::Ok(g)) => {
            assert_eq!(g, events, "{id}: {:?}", String::from_utf8_lossy(input))
        }
        (Err(msg), Result::Err(m)) => assert!(
            m.starts_with(msg),
            "{id}: message {m:?} does not start with {msg:?}"
        ),
        (_, got) => panic!(
            "{id}: unexpected verdict {got:?} for {:?}",
            String::from_utf8_lossy(input)
        ),
    }
}

#[test]
fn timestamps_p01_p09() {
    check(
        "P01",
        b"a 1 -3982045",
        def(),
        Err(r#"expected timestamp or new record, got "-""#),
    );
    check(
        "P01 lenient",
        b"a 1 -3982045",
        len(),
        Ok(&["S \"a\"{} 1 @-3982045"]),
    );
    check(
        "P02",
        b"a 1 +5",
        def(),
        Err(r#"expected timestamp or new record, got "+""#),
    );
    check("P02 lenient", b"a 1 +5", len(), Ok(&["S \"a\"{} 1 @5"]));
    check(
        "P03",
        b"a 1 -0",
        def(),
        Err(r#"expected timestamp or new record, got "-""#),
    );
    check("P03 lenient", b"a 1 -0", len(), Ok(&["S \"a\"{} 1 @0"]));
    check("P04", b"a 1 0001", def(), Ok(&["S \"a\"{} 1 @1"]));
    check(
        "P05",
        b"a 1 1.5",
        def(),
        Err(r#"expected next entry after timestamp, got ".""#),
    );
    check(
        "P06",
        b"a 1 1e3",
        def(),
        Err(r#"expected next entry after timestamp, got "e""#),
    );
    check(
        "P07",
        b"a 1 99999999999999999999",
        def(),
        Err(
            r#"strconv.ParseInt: parsing "99999999999999999999": value out of range while parsing: "a 1 99999999999999999999""#,
        ),
    );
    check(
        "P08",
        b"a 1 9223372036854775807",
        def(),
        Ok(&["S \"a\"{} 1 @9223372036854775807"]),
    );
    check(
        "P09",
        b"a 1 2 3",
        def(),
        Err(r#"expected next entry after timestamp, got "3\n" ("TIMESTAMP")"#),
    );
}

#[test]
fn line_endings_and_blanks_p10_p20() {
    check(
        "P10",
        b"a 1\r\nb 2\r\n",
        def(),
        Err(r#"strconv.ParseFloat: parsing "1\r": invalid syntax while parsing: "a 1\r""#),
    );
    check(
        "P10 lenient",
        b"a 1\r\nb 2\r\n",
        len(),
        Ok(&["S \"a\"{} 1", "S \"b\"{} 2"]),
    );
    check(
        "P11",
        b"a 1 123\r\n",
        def(),
        Err(r#"expected next entry after timestamp, got "\r""#),
    );
    check(
        "P11 lenient",
        b"a 1 123\r\n",
        len(),
        Ok(&["S \"a\"{} 1 @123"]),
    );
    check(
        "P12",
        b"a 1\r",
        def(),
        Err(r#"strconv.ParseFloat: parsing "1\r": invalid syntax"#),
    );
    check("P12 lenient", b"a 1\r", len(), Ok(&["S \"a\"{} 1"]));
    check(
        "P13a",
        b"a 1   \nb 2\t",
        def(),
        Ok(&["S \"a\"{} 1", "S \"b\"{} 2"]),
    );
    check(
        "P13b",
        b"a{b=\"1\"} 1 123  \t",
        def(),
        Ok(&["S \"a\"{b=\"1\"} 1 @123"]),
    );
    check("P14 empty", b"", def(), Ok(&[]));
    check("P14 newlines", b"\n\n\n", def(), Ok(&[]));
    check("P14 blanks", b"  \n\t\n \t \n", def(), Ok(&[]));
    check("P14 no final LF", b"a 1", def(), Ok(&["S \"a\"{} 1"]));
    check("P15", b"   a 1", def(), Ok(&["S \"a\"{} 1"]));
    check("P16", b"\n\n a 1\n\n   \n", def(), Ok(&["S \"a\"{} 1"]));
    check("P17", b"\t# TYPE b gauge", def(), Ok(&["T b gauge"]));
    check("P18", b"#\tTYPE\ta\tcounter", def(), Ok(&["T a counter"]));
    check(
        "P19",
        b"a\t{\tb\t=\t\"1\"\t,\t}\t1\t2\t",
        def(),
        Ok(&["S \"a\"{b=\"1\"} 1 @2"]),
    );
    check("P20a", b"a {b=\"1\"} 1", def(), Ok(&["S \"a\"{b=\"1\"} 1"]));
    check("P20b", b"a{b=\"1\"}1", def(), Ok(&["S \"a\"{b=\"1\"} 1"]));
}

#[test]
fn type_and_help_p21_p33() {
    check(
        "P21",
        b"# TYPE a counter ",
        def(),
        Err(r#"invalid metric type "counter ""#),
    );
    check(
        "P22",
        b"# TYPE a  counter",
        def(),
        Err(r#"invalid metric type " counter""#),
    );
    check(
        "P23a",
        b"# TYPE a unknown",
        def(),
        Err(r#"invalid metric type "unknown""#),
    );
    check(
        "P23b",
        b"# TYPE a gaugehistogram",
        def(),
        Err(r#"invalid metric type "gaugehistogram""#),
    );
    check(
        "P23c",
        b"# TYPE a info",
        def(),
        Err(r#"invalid metric type "info""#),
    );
    check("P24", b"# TYPE a", def(), Err(r#"invalid metric type """#));
    check(
        "P25",
        b"# TYPE my.metric counter",
        def(),
        Err(r#"invalid metric type "metric counter""#),
    );
    check(
        "P26",
        b"# TYPE a counter\n# TYPE a gauge\na 1",
        def(),
        Ok(&["T a counter", "T a gauge", "S \"a\"{} 1"]),
    );
    check("P27a", b"#HELP a x", def(), Ok(&["C \"HELP a x\""]));
    check(
        "P27b",
        b"#TYPE a counter",
        def(),
        Ok(&["C \"TYPE a counter\""]),
    );
    check("P27c", b"#hello", def(), Ok(&["C \"hello\""]));
    check("P27d", b"# HELP", def(), Ok(&["C \" HELP\""]));
    check("P27e", b"# EOF", def(), Ok(&["C \" EOF\""]));
    check("P28a", b"# HELP a", def(), Ok(&["H a \"\""]));
    check("P28b", b"# HELP a ", def(), Ok(&["H a \"\""]));
    check(
        "P29",
        b"# HELP a  two  spaces",
        def(),
        Ok(&["H a \" two  spaces\""]),
    );
    check("P30", b"# HELP a text   ", def(), Ok(&["H a \"text   \""]));
    check(
        "P31",
        b"# HELP a \xff",
        def(),
        Err(r#"help text "\xff" is not a valid utf8 string"#),
    );
    check("P32", b"# foo \xff", def(), Ok(&["C \" foo \u{fffd}\""]));
    check(
        "P33",
        br#"# HELP a x\\y\nz\"q\tt"#,
        def(),
        Ok(&[r#"H a "x\\y\nz\\\"q\\tt""#]),
    );
}

#[test]
fn labels_p34_p47() {
    check("P34", b"a{} 1", def(), Ok(&["S \"a\"{} 1"]));
    check("P35", b"a{b=\"1\",} 1", def(), Ok(&["S \"a\"{b=\"1\"} 1"]));
    check(
        "P36",
        b"a{,} 1",
        def(),
        Err(r#"expected label name, got ",}" ("COMMA")"#),
    );
    check(
        "P37",
        b"a{b=\"1\",,c=\"2\"} 1",
        def(),
        Err(r#"expected label name, got ",c" ("COMMA")"#),
    );
    check(
        "P38",
        b"a{b=\"1\" c=\"2\"} 1",
        def(),
        Ok(&["S \"a\"{b=\"1\",c=\"2\"} 1"]),
    );
    check(
        "P39",
        b"a{b=\"1\",b=\"2\"} 1",
        def(),
        Err(r#"label name "b" is not unique"#),
    );
    check(
        "P39 allowed",
        b"a{b=\"1\",b=\"2\"} 1",
        def().allow_duplicate_labels(true),
        Ok(&["S \"a\"{b=\"1\",b=\"2\"} 1"]),
    );
    check(
        "P40",
        b"a{b=\"1\",\nc=\"2\"} 1",
        def(),
        Err(r#"expected label name, got "\n""#),
    );
    check(
        "P41",
        b"a{b=\"x\ny\"} 1",
        def(),
        Err("expected closing quote"),
    );
    check(
        "P42",
        br#"a{b="x\ty\z"} 1"#,
        def(),
        Ok(&[r#"S "a"{b="x\\ty\\z"} 1"#]),
    );
    check(
        "P43",
        br#"a{b="x\\"} 1"#,
        def(),
        Ok(&[r#"S "a"{b="x\\"} 1"#]),
    );
    check(
        "P44a",
        b"a{b=\"x\0y\"} 1",
        def(),
        Ok(&["S \"a\"{b=\"x\\0y\"} 1"]),
    );
    check("P44b", b"a{b=\"\"} 1", def(), Ok(&["S \"a\"{b=\"\"} 1"]));
    check(
        "P45",
        b"a{b='1'} 1",
        def(),
        Err(r#"expected label value, got "'""#),
    );
    check(
        "P46",
        b"a{b=\"\xff\"} 1",
        def(),
        Err("invalid UTF-8 label value"),
    );
    check(
        "P47a",
        b"a{b=\"x # y\"} 1",
        def(),
        Ok(&["S \"a\"{b=\"x # y\"} 1"]),
    );
    check(
        "P47b",
        b"a{b=\"}{\"} 1",
        def(),
        Ok(&["S \"a\"{b=\"}{\"} 1"]),
    );
}

#[test]
fn names_and_exemplars_p48_p54() {
    check("P48", b"a:b:c_d 1", def(), Ok(&["S \"a:b:c_d\"{} 1"]));
    check(
        "P49",
        b"1a 1",
        def(),
        Err(r#"expected a valid start token, got "1""#),
    );
    check(
        "P50",
        "café 1".as_bytes(),
        def(),
        Err(r#"strconv.ParseFloat: parsing "é": invalid syntax while parsing: "café""#),
    );
    check(
        "P51",
        b"a{b:c=\"1\"} 1",
        def(),
        Err(r#"expected equal, got ":""#),
    );
    check(
        "P52",
        b"\xef\xbb\xbfa 1",
        def(),
        Err(r#"expected a valid start token, got "\xef" ("INVALID")"#),
    );
    check(
        "P53",
        b"a ",
        def(),
        Err(r#"expected value after metric, got "\n" ("INVALID") while parsing: "a \n""#),
    );
    check(
        "P54",
        b"a_total 1 # {trace_id=\"x\"} 1 123",
        def(),
        Err(r##"expected timestamp or new record, got "#""##),
    );
}

#[test]
fn quoted_names_p55_p63() {
    check(
        "P55",
        b"# TYPE \"my.metric\" counter\n# HELP \"my.metric\" dotted\n{\"my.metric\", \"label.name\"=\"v\"} 1",
        def(),
        Ok(&["T my.metric counter", "H my.metric \"dotted\"", "S \"my.metric\"{label.name=\"v\"} 1"]),
    );
    check(
        "P56",
        br#"{"my\"metric", "a\nb"="v\\"} 1"#,
        def(),
        Ok(&["S \"my\\\"metric\"{a\nb=\"v\\\\\"} 1"]),
    );
    check(
        "P57",
        b"{a=\"1\", \"my.metric\"} 1",
        def(),
        Ok(&["S \"my.metric\"{a=\"1\"} 1"]),
    );
    check(
        "P58",
        b"{\"x\", \"y\"} 1",
        def(),
        Err(r#"metric name already set while parsing: "{\"x\", \"y\"}""#),
    );
    check(
        "P59",
        b"foo{\"my.metric\"} 1",
        def(),
        Err(r#"metric name already set while parsing: "foo{\"my.metric\"}""#),
    );
    check(
        "P60",
        b"foo{\"b\"=\"1\"} 1",
        def(),
        Ok(&["S \"foo\"{b=\"1\"} 1"]),
    );
    check("P61", b"{a=\"1\"} 1", def(), Err("metric name not set"));
    check(
        "P62",
        br#"# HELP "a\"b" hi"#,
        def(),
        Ok(&[r#"H a\"b "hi""#]),
    );
    check("P63a", b"{\"a b\"} 1", def(), Ok(&["S \"a b\"{} 1"]));
    check(
        "P63c",
        b"a{\"\"=\"x\"} 1",
        def(),
        Ok(&["S \"a\"{=\"x\"} 1"]),
    );
    // P63b: Prometheus' parser passes `{"\xff"} 1` and its scrape loop rejects it; promtext
    // rejects it in the parser (names are UTF-8 strings here), so the scrape verdict is the same.
    check("P63b", b"{\"\xff\"} 1", def(), Err("invalid UTF-8"));
}

#[test]
fn value_rows_of_1_3() {
    for v in [
        "NaN",
        "nan",
        "Inf",
        "+Inf",
        "inf",
        "+inf",
        "iNf",
        "INF",
        "infinity",
        "Infinity",
        "-Inf",
        "-Infinity",
    ] {
        check(
            v,
            format!("a {v}").as_bytes(),
            def(),
            Ok(Box::leak(
                vec![&*Box::leak(format!("S \"a\"{{}} {v}").into_boxed_str())].into_boxed_slice(),
            )),
        );
    }
    for v in [
        "+1.5",
        ".5",
        "5.",
        "1e3",
        "1E+03",
        "00012",
        "-0",
        "+.5e-3",
        "0.0000",
        "4.9e-324",
        "1.7976931348623157e308",
        "1e-400",
        "123456789012345678901234567890",
    ] {
        let got = run(format!("a {v}").as_bytes(), def()).unwrap();
        assert_eq!(got, [format!("S \"a\"{{}} {v}")]);
    }
    for (v, msg) in [
        (
            "0x10",
            r#"strconv.ParseFloat: parsing "0x10": invalid syntax while parsing: "a 0x10""#,
        ),
        (
            "0x1F",
            "strconv.ParseFloat: parsing \"0x1F\": invalid syntax",
        ),
        (
            "0x1p3",
            r#"unsupported character in float while parsing: "a 0x1p3""#,
        ),
        ("0x1.8p1", "unsupported character in float"),
        (
            "1_000",
            r#"unsupported character in float while parsing: "a 1_000""#,
        ),
        (
            "+nan",
            r#"strconv.ParseFloat: parsing "+nan": invalid syntax"#,
        ),
        (
            "-nan",
            "strconv.ParseFloat: parsing \"-nan\": invalid syntax",
        ),
        (
            "NaN123",
            "strconv.ParseFloat: parsing \"NaN123\": invalid syntax",
        ),
        (
            "1e",
            r#"strconv.ParseFloat: parsing "1e": invalid syntax while parsing: "a 1e""#,
        ),
        (".", "strconv.ParseFloat: parsing \".\": invalid syntax"),
        ("5e+", "strconv.ParseFloat: parsing \"5e+\": invalid syntax"),
        ("1,5", "strconv.ParseFloat: parsing \"1,5\": invalid syntax"),
        (
            "1.2.3",
            "strconv.ParseFloat: parsing \"1.2.3\": invalid syntax",
        ),
        ("١", "strconv.ParseFloat: parsing \"١\": invalid syntax"),
        (
            "1e400",
            r#"strconv.ParseFloat: parsing "1e400": value out of range while parsing: "a 1e400""#,
        ),
        (
            "-1e400",
            "strconv.ParseFloat: parsing \"-1e400\": value out of range",
        ),
    ] {
        check(v, format!("a {v}").as_bytes(), def(), Err(msg));
    }
}

#[test]
fn errors_carry_line_column_offset() {
    let mut p = promtext::parse(b"a 1\nb 2\nc{x=1} 3\n");
    assert!(p.next().unwrap().is_ok());
    assert!(p.next().unwrap().is_ok());
    let e = p.next().unwrap().unwrap_err();
    assert_eq!((e.line(), e.column(), e.offset()), (3, 5, 12));
    assert_eq!(e.kind(), promtext::ErrorKind::Syntax);
    assert!(
        e.to_string()
            .starts_with("line 3, column 5: expected label value, got \"1\""),
        "{e}"
    );
    assert!(
        p.next().is_none(),
        "the default mode stops at the first error"
    );
}

#[test]
fn lenient_skips_and_counts_bad_lines() {
    let input = b"a 1\nbad{ 1\nb 2\n1x 3\nc 4 -7\n";
    let mut p = promtext::parse_with(input, len());
    let items: Vec<_> = p.by_ref().collect();
    assert_eq!(items.len(), 5);
    assert!(items[1].is_err() && items[3].is_err());
    assert_eq!(items[1].as_ref().unwrap_err().line(), 2);
    assert_eq!(items[3].as_ref().unwrap_err().line(), 4);
    assert_eq!(p.skipped_lines(), 2);
    assert_eq!(
        items[4]
            .as_ref()
            .unwrap()
            .as_sample()
            .unwrap()
            .timestamp_ms(),
        Some(-7)
    );
}

#[test]
fn line_limit() {
    let long = format!("a{{b=\"{}\"}} 1\nc 2\n", "x".repeat(100));
    let e = run(long.as_bytes(), def().max_line_len(50)).unwrap_err();
    assert!(e.starts_with("line too long"), "{e}");
    let mut p = promtext::parse_with(long.as_bytes(), len().max_line_len(50));
    assert!(p.next().unwrap().is_err());
    assert_eq!(common::render(&p.next().unwrap().unwrap()), "S \"c\"{} 2");
}

/// Fuzz regression (target `parse`): in lenient mode a line that fails after its metric name
/// was remembered must not leave the `name{label=` cache pointing at the wrong name length.
#[test]
fn lenient_failed_line_does_not_poison_the_prefix_cache() {
    let input = b"abc{x=\"1\"} 1\nabcdef{,} 2\nabc{x=\"2\"} 3\n";
    let mut p = promtext::parse_with(input, len());
    let got: Vec<String> = p
        .by_ref()
        .map(|r| match r {
            Result::Ok(ev) => common::render(&ev),
            Result::Err(e) => format!("ERR {}", e.message()),
        })
        .collect();
    assert_eq!(
        got,
        [
            "S \"abc\"{x=\"1\"} 1",
            "ERR expected label name, got \",}\" (\"COMMA\") while parsing: \"abcdef{,}\"",
            "S \"abc\"{x=\"2\"} 3"
        ]
    );
    let crash = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/fuzz_parse_crash_prefix_cache.bin"
    ))
    .unwrap();
    for settings in [def(), len(), len().max_line_len(16)] {
        for ev in promtext::parse_with(&crash, settings) {
            if let Result::Ok(promtext::Event::Sample(s)) = ev {
                let _ = (s.name(), s.labels().count(), s.series());
            }
        }
    }
}
