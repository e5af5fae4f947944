//! A hand-written OpenMetrics suite that stands on its own (no files from `../shared`):
//! every accept/reject row of format.md §2.3 with Prometheus' messages, one minimal case per
//! semantic check of §3.3 (rejected under `strict`, accepted under `prometheus`), the
//! exemplar length boundary, the `# EOF` rules, timestamp conversion, HELP unescaping and the
//! Prometheus-only leniencies.

mod common;

use promtext::{ChunkParser, ErrorKind, Event, ReadParser, Settings, Validation, parse_with};

fn om() -> Settings {
    Settings::openmetrics()
}

fn strict() -> Settings {
    Settings::openmetrics().validation(Validation::Strict)
}

/// The first error of `input`, or `None` when it parses.
fn first_error(input: &[u8], settings: Settings) -> Option<promtext::Error> {
    parse_with(input, settings).find_map(Result::err)
}

#[track_caller]
fn accepts(input: &[u8], settings: Settings) {
    if let Some(e) = first_error(input, settings) {
        panic!("{:?} rejected: {e}", String::from_utf8_lossy(input));
    }
}

/// Rejected under both levels with exactly `message`.
#[track_caller]
fn rejects(input: &[u8], message: &str) {
    for settings in [om(), strict()] {
        let level = settings.get_validation();
        let Some(e) = first_error(input, settings) else {
            panic!("{:?} accepted at {level:?}", String::from_utf8_lossy(input));
        };
        assert_eq!(
            e.message(),
            message,
            "{:?} at {level:?}",
            String::from_utf8_lossy(input)
        );
    }
}

fn samples(input: &[u8], settings: Settings) -> Vec<(String, String, Option<i64>, Option<String>)> {
    parse_with(input, settings)
        .filter_map(|ev| match ev.unwrap() {
            Event::Sample(s) => Some((
                s.name().into_owned(),
                s.value_text().to_string(),
                s.timestamp_ms(),
                s.timestamp_text().map(str::to_string),
            )),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// format.md §2.3: what Prometheus' OpenMetrics parser accepts.

#[test]
fn accepted_rows_of_2_3() {
    // Negative and exponent float-second timestamps.
    assert_eq!(
        samples(b"a 1 -1.5\n# EOF\n", om()),
        [("a".into(), "1".into(), Some(-1500), Some("-1.5".into()))]
    );
    assert_eq!(samples(b"a 1 1.5e3\n# EOF\n", om())[0].2, Some(1_500_000));
    // `# EOF` without a final line feed.
    accepts(b"a 1\n# EOF", om());
    accepts(b"a 1\n# EOF", strict());
    // An exemplar without a timestamp, and one with quoted label names.
    for input in [
        &b"# TYPE a counter\na_total 1 # {t=\"x\"} 2\n# EOF\n"[..],
        b"# TYPE a counter\na_total 1 # {\"t.x\"=\"y\"} 2\n# EOF\n",
    ] {
        accepts(input, om());
        accepts(input, strict());
    }
    // Quoted metric and label names (an extension over OpenMetrics 1.0).
    let body = b"# TYPE \"my.metric\" counter\n{\"my.metric_total\",\"a.b\"=\"c\"} 1\n# EOF\n";
    accepts(body, strict());
    let events: Vec<_> = parse_with(body, om()).map(Result::unwrap).collect();
    let Event::Sample(s) = &events[1] else {
        panic!("{events:?}")
    };
    assert_eq!(s.name(), "my.metric_total");
    let labels: Vec<_> = s.labels().map(|l| (l.name, l.value)).collect();
    assert_eq!(labels, [("a.b".into(), "c".into())]);
    // HELP with an escaped quote.
    accepts(b"# HELP a x\\\"y\n# EOF\n", om());
}

// format.md §2.3: what it rejects, with its messages.

#[test]
fn rejected_rows_of_2_3() {
    rejects(
        b"a\t1\n# EOF\n",
        r#"expected value after metric, got "\t" ("INVALID") while parsing: "a\t""#,
    );
    rejects(
        b"a  1\n# EOF\n",
        r#"expected value after metric, got "  " ("INVALID") while parsing: "a  ""#,
    );
    // Prometheus returns the sample, then fails on the line feed (the next token).
    rejects(
        b"a 1 \n# EOF\n",
        r##"expected a valid start token, got "\n#" ("LINEBREAK") while parsing: "\n#""##,
    );
    rejects(b"a 1\n", "data does not end with # EOF");
    rejects(b"a 1\n# EOF\nb 1\n", "unexpected data after # EOF");
    rejects(
        b"# hello\n# EOF\n",
        r##"expected a valid start token, got "# h" ("INVALID") while parsing: "# h""##,
    );
    rejects(
        b"a 1\n\n# EOF\n",
        r#"expected a valid start token, got "\n" ("INVALID") while parsing: "\n""#,
    );
    rejects(
        b"# TYPE a untyped\n# EOF\n",
        r#"invalid metric type "untyped""#,
    );
    rejects(
        b"# TYPE a gauge \n# EOF\n",
        r#"invalid metric type "gauge ""#,
    );
    rejects(
        b"# UNIT a seconds\n# EOF\n",
        r#"unit "seconds" not a suffix of metric "a""#,
    );
    rejects(b"a 1 +Inf\n# EOF\n", "invalid timestamp +Inf");
    rejects(
        b"a -NaN\n# EOF\n",
        r#"strconv.ParseFloat: parsing "-NaN": invalid syntax while parsing: "a -NaN""#,
    );
    rejects(
        b"a{b=\"x\ny\"} 1\n# EOF\n",
        r#"expected label value, got "\"x\n" ("INVALID") while parsing: "a{b=\"x\n""#,
    );
    rejects(
        b"a{b=\"1\", c=\"2\"} 1\n# EOF\n",
        r#"expected label name, got " " ("INVALID") while parsing: "a{b=\"1\", ""#,
    );
    rejects(
        b"a 1\r\n# EOF\n",
        r#"strconv.ParseFloat: parsing "1\r": invalid syntax while parsing: "a 1\r""#,
    );
    for (ts, shown) in [("NaN", "NaN"), ("Inf", "+Inf"), ("-Inf", "-Inf")] {
        rejects(
            format!("# TYPE a counter\na_total 1 # {{a=\"b\"}} 0.5 {ts}\n# EOF\n").as_bytes(),
            &format!("invalid exemplar timestamp {shown}"),
        );
    }
    rejects(
        b"# TYPE a counter\na_total 1 # {} 0x1p-3\n# EOF\n",
        r#"unsupported character in float while parsing: "a_total 1 # {} 0x1p-3""#,
    );
}

#[test]
fn more_syntax_rows() {
    rejects(b"# HELP a\n# EOF\n", "expected text in HELP");
    rejects(b"# UNIT a\n# EOF\n", "expected text in UNIT");
    rejects(
        b"# HELP \n# EOF\n",
        r##"expected metric name after HELP, got "\n" ("INVALID") while parsing: "# HELP \n""##,
    );
    rejects(
        b"# HELP\n# EOF\n",
        r##"expected a valid start token, got "# HELP\n" ("INVALID") while parsing: "# HELP\n""##,
    );
    rejects(
        b" # HELP a meh\n# EOF\n",
        r#"expected a valid start token, got " " ("INVALID") while parsing: " ""#,
    );
    rejects(
        b"# FOO a x\n# EOF\n",
        r##"expected a valid start token, got "# F" ("INVALID") while parsing: "# F""##,
    );
    rejects(
        b"#a_sum 0\n# EOF\n",
        r##"expected a valid start token, got "#a" ("INVALID") while parsing: "#a""##,
    );
    rejects(
        b"a{,} 1\n# EOF\n",
        r#"expected label name, got ",}" ("COMMA") while parsing: "a{,}""#,
    );
    rejects(
        b"a{a=\"1\"b=\"2\"} 1\n# EOF\n",
        r#"expected comma or brace close, got "b=" ("LNAME") while parsing: "a{a=\"1\"b=""#,
    );
    rejects(
        b"a{a='1'} 1\n# EOF\n",
        r#"expected label value, got "'" ("INVALID") while parsing: "a{a='""#,
    );
    rejects(
        b"a{a} 1\n# EOF\n",
        r#"expected equal, got "} " ("BCLOSE") while parsing: "a{a} ""#,
    );
    rejects(
        b"{\"x\",\"y\"} 1\n# EOF\n",
        r#"metric name already set while parsing: "{\"x\",\"y\"}""#,
    );
    rejects(
        b"{a=\"1\"} 1\n# EOF\n",
        r#"metric name not set while parsing: "{a=\"1\"}""#,
    );
    rejects(
        b"a 1 2 3\n# EOF\n",
        r#"expected next entry after timestamp, got " 3\n" ("TIMESTAMP") while parsing: "a 1 2 3\n""#,
    );
    rejects(
        b"a_total 1 1 # id=\"a\"} 1\n# EOF\n",
        r##"expected next entry after timestamp, got " # " ("TIMESTAMP") while parsing: "a_total 1 1 # ""##,
    );
    rejects(
        b"a_bucket{le=\"+Inf\"} 1 # {}1\n# EOF\n",
        r#"expected value after exemplar labels, got "1" ("INVALID") while parsing: "a_bucket{le=\"+Inf\"} 1 # {}1""#,
    );
    rejects(
        b"a_bucket{le=\"+Inf\"} 1 # {} 1 \n# EOF\n",
        r#"expected timestamp or comment, got " \n" ("INVALID") while parsing: "a_bucket{le=\"+Inf\"} 1 # {} 1 \n""#,
    );
    rejects(
        b"a_total 1 # {\"x\"} 1\n# EOF\n",
        r#"expected label name, got "} " ("BCLOSE") while parsing: "a_total 1 # {\"x\"} ""#,
    );
    rejects(
        b"a{b=\"\xff\"} 1\n# EOF\n",
        r#"invalid UTF-8 label value: "\"\xff\"""#,
    );
    rejects(
        b"# HELP a \xff\n# EOF\n",
        r#"help text "\xff" is not a valid utf8 string"#,
    );
    // Values follow Go's ParseFloat as Prometheus applies it.
    for v in ["0x1", "0X1", "0b1", "0B1", "0o1", "0O1", "a"] {
        rejects(
            format!("a {v}\n# EOF\n").as_bytes(),
            &format!("strconv.ParseFloat: parsing {v:?}: invalid syntax while parsing: \"a {v}\""),
        );
    }
    for v in ["1_2", "0x1p-3", "0x1P-3"] {
        rejects(
            format!("a {v}\n# EOF\n").as_bytes(),
            &format!("unsupported character in float while parsing: \"a {v}\""),
        );
    }
    rejects(
        b"a 1e400\n# EOF\n",
        r#"strconv.ParseFloat: parsing "1e400": value out of range while parsing: "a 1e400""#,
    );
    // Timestamps too.
    rejects(
        b"a 1 1z\n# EOF\n",
        r#"strconv.ParseFloat: parsing "1z": invalid syntax while parsing: "a 1 1z""#,
    );
    rejects(b"a 1 -Inf\n# EOF\n", "invalid timestamp -Inf");
    rejects(b"a 1 NaN\n# EOF\n", "invalid timestamp NaN");
}

#[test]
fn error_kinds_and_positions() {
    let e = first_error(b"# TYPE a gauge\na 1\na{b=\"1\"}x\n# EOF\n", om()).unwrap();
    assert_eq!((e.line(), e.column(), e.offset()), (3, 9, 15 + 4 + 8));
    assert_eq!(e.kind(), ErrorKind::Syntax);
    let kind = |input: &[u8], s: Settings| first_error(input, s).unwrap().kind();
    assert_eq!(kind(b"a 1\n", om()), ErrorKind::MissingEof);
    assert_eq!(kind(b"# EOF\na 1\n", om()), ErrorKind::DataAfterEof);
    assert_eq!(
        kind(b"# TYPE a untyped\n# EOF\n", om()),
        ErrorKind::InvalidType
    );
    assert_eq!(kind(b"# UNIT a s\n# EOF\n", om()), ErrorKind::InvalidUnit);
    assert_eq!(kind(b"a 1 NaN\n# EOF\n", om()), ErrorKind::InvalidTimestamp);
    assert_eq!(kind(b"a 1 1z\n# EOF\n", om()), ErrorKind::InvalidTimestamp);
    assert_eq!(kind(b"a 1z\n# EOF\n", om()), ErrorKind::InvalidValue);
    assert_eq!(
        kind(b"a_total 1 # {} 1 NaN\n# EOF\n", om()),
        ErrorKind::InvalidExemplar
    );
    assert_eq!(
        kind(b"a{b=\"\xff\"} 1\n# EOF\n", om()),
        ErrorKind::InvalidUtf8
    );
    // The missing # EOF is reported after the last line.
    let e = first_error(b"a 1\nb 2", om()).unwrap();
    assert_eq!((e.line(), e.column(), e.offset()), (3, 1, 7));
}

// ---------------------------------------------------------------------------------------
// format.md §3.3: one minimal case per semantic check. Each is rejected under `strict` with
// the given error kind and a message containing the given text, and accepted under the
// default `prometheus` level, as Prometheus accepts it.

const SEMANTIC: &[(&str, &str, ErrorKind, &str)] = &[
    (
        "duplicate label name",
        "a{x=\"1\",x=\"2\"} 1\n",
        ErrorKind::DuplicateLabel,
        "label name \"x\" is not unique",
    ),
    (
        "duplicate quoted label name",
        "a{x=\"1\",\"x\"=\"2\"} 1\n",
        ErrorKind::DuplicateLabel,
        "label name \"x\" is not unique",
    ),
    (
        "trailing comma",
        "a{x=\"1\",} 1\n",
        ErrorKind::Syntax,
        "trailing comma",
    ),
    (
        "HELP twice, even empty",
        "# HELP a \n# HELP a \n",
        ErrorKind::Semantic,
        "more than one HELP",
    ),
    (
        "TYPE twice",
        "# TYPE a counter\n# TYPE a counter\n",
        ErrorKind::Semantic,
        "more than one TYPE",
    ),
    (
        "UNIT twice",
        "# UNIT a_s s\n# UNIT a_s s\n",
        ErrorKind::Semantic,
        "more than one UNIT",
    ),
    (
        "family name reused after it ended",
        "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# TYPE a gauge\n",
        ErrorKind::Semantic,
        "appears again",
    ),
    (
        "family clashes with another family's sample names",
        "# TYPE a_created gauge\n# TYPE a counter\n",
        ErrorKind::Semantic,
        "name \"a_created\" of counter family \"a\" clashes",
    ),
    (
        "gauge named like a counter's _total",
        "# TYPE a counter\na_total 1\n# TYPE a_total gauge\na_total 2\n",
        ErrorKind::Semantic,
        "clashes",
    ),
    (
        "TYPE after samples",
        "# HELP a x\na 1\n# TYPE a gauge\n",
        ErrorKind::Semantic,
        "TYPE line for metric family \"a\" after its samples",
    ),
    (
        "HELP after samples",
        "# TYPE a gauge\na 1\n# HELP a x\n",
        ErrorKind::Semantic,
        "HELP line for metric family \"a\" after its samples",
    ),
    (
        "UNIT after samples",
        "# TYPE a_s gauge\na_s 1\n# UNIT a_s s\n",
        ErrorKind::Semantic,
        "UNIT line for metric family \"a_s\" after its samples",
    ),
    (
        "UNIT on info",
        "# TYPE x_u info\n# UNIT x_u u\n",
        ErrorKind::InvalidUnit,
        "info family \"x_u\" cannot have a unit",
    ),
    (
        "UNIT on stateset, before TYPE",
        "# UNIT x_u u\n# TYPE x_u stateset\n",
        ErrorKind::InvalidUnit,
        "stateset family \"x_u\" cannot have a unit",
    ),
    (
        "families interleaved",
        "a 1\nb 1\na 2\n",
        ErrorKind::Semantic,
        "family \"a\" appears again",
    ),
    (
        "metrics interleaved in a family",
        "# TYPE a gauge\na{x=\"1\"} 1\na{x=\"2\"} 1\na{x=\"1\"} 2\n",
        ErrorKind::Semantic,
        "interleaved with another metric",
    ),
    (
        "histogram metrics interleaved",
        "# TYPE a histogram\na_bucket{x=\"1\",le=\"+Inf\"} 0\na_bucket{x=\"2\",le=\"+Inf\"} 0\na_count{x=\"1\"} 0\n",
        ErrorKind::Semantic,
        "interleaved",
    ),
    (
        "timestamps decreasing",
        "a 0 1\na 0 0.999\n",
        ErrorKind::Semantic,
        "goes backwards",
    ),
    (
        "timestamp on some samples only",
        "a 0\na 0 0\n",
        ErrorKind::Semantic,
        "has a timestamp while the previous sample",
    ),
    (
        "timestamp missing after one",
        "a 0 0\na 0\n",
        ErrorKind::Semantic,
        "has no timestamp while the previous sample",
    ),
    (
        "counter NaN",
        "# TYPE a counter\na_total NaN\n",
        ErrorKind::Semantic,
        "cannot be NaN",
    ),
    (
        "counter negative",
        "# TYPE a counter\na_total -1\n",
        ErrorKind::Semantic,
        "cannot be negative",
    ),
    (
        "histogram _sum NaN",
        "# TYPE a histogram\na_sum NaN\n",
        ErrorKind::Semantic,
        "cannot be NaN",
    ),
    (
        "histogram _count negative",
        "# TYPE a histogram\na_count -1\n",
        ErrorKind::Semantic,
        "cannot be negative",
    ),
    (
        "histogram bucket not an integer",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} 1.5\n",
        ErrorKind::Semantic,
        "must be an integer",
    ),
    (
        "histogram negative bucket with _sum",
        "# TYPE a histogram\na_bucket{le=\"-1.0\"} 1\na_bucket{le=\"+Inf\"} 2\na_sum 1\na_count 2\n",
        ErrorKind::Semantic,
        "_sum with negative bucket thresholds",
    ),
    (
        "gaugehistogram _gcount negative",
        "# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 1\na_gcount -1\n",
        ErrorKind::Semantic,
        "cannot be negative",
    ),
    (
        "gaugehistogram _gsum NaN",
        "# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 1\na_gsum NaN\n",
        ErrorKind::Semantic,
        "cannot be NaN",
    ),
    (
        "gaugehistogram negative _gsum without negative buckets",
        "# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 1\na_gsum -1\na_gcount 1\n",
        ErrorKind::Semantic,
        "negative _gsum without negative bucket thresholds",
    ),
    (
        "summary _sum negative",
        "# TYPE a summary\na_sum -1\n",
        ErrorKind::Semantic,
        "cannot be negative",
    ),
    (
        "summary _count NaN",
        "# TYPE a summary\na_count NaN\n",
        ErrorKind::Semantic,
        "cannot be NaN",
    ),
    (
        "summary quantile value negative",
        "# TYPE a summary\na{quantile=\"0.5\"} -1\n",
        ErrorKind::Semantic,
        "summary quantile \"a\" is negative",
    ),
    (
        "histogram without buckets",
        "# TYPE a histogram\na_sum 1\na_count 0\n",
        ErrorKind::Semantic,
        "no buckets",
    ),
    (
        "gaugehistogram without buckets",
        "# TYPE a gaugehistogram\na_gsum 1\n",
        ErrorKind::Semantic,
        "no buckets",
    ),
    (
        "no +Inf bucket",
        "# TYPE a histogram\na_bucket{le=\"1\"} 0\n",
        ErrorKind::Semantic,
        "no +Inf bucket",
    ),
    (
        "+INF is not +Inf",
        "# TYPE a histogram\na_bucket{le=\"+INF\"} 0\n",
        ErrorKind::Semantic,
        "invalid \"le\" label value \"+INF\"",
    ),
    (
        "_sum without _count",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} 0\na_sum 0\n",
        ErrorKind::Semantic,
        "_sum without _count",
    ),
    (
        "_count without _sum",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} 0\na_count 0\n",
        ErrorKind::Semantic,
        "_count without _sum",
    ),
    (
        "_gsum without _gcount",
        "# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 0\na_gsum 0\n",
        ErrorKind::Semantic,
        "_gsum without _gcount",
    ),
    (
        "_gcount without _gsum",
        "# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 0\na_gcount 0\n",
        ErrorKind::Semantic,
        "_gcount without _gsum",
    ),
    (
        "_count differs from the +Inf bucket",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} 0\na_count 1\na_sum 0\n",
        ErrorKind::Semantic,
        "_count (1) does not match the +Inf bucket (0)",
    ),
    (
        "_count written before the buckets",
        "# TYPE a histogram\na_count 1\na_sum 0\na_bucket{le=\"+Inf\"} 0\n",
        ErrorKind::Semantic,
        "does not match the +Inf bucket",
    ),
    (
        "buckets out of order",
        "# TYPE a histogram\na_bucket{le=\"2\"} 0\na_bucket{le=\"1\"} 0\n",
        ErrorKind::Semantic,
        "not in increasing \"le\" order",
    ),
    (
        "repeated bucket threshold",
        "# TYPE a histogram\na_bucket{le=\"1\"} 0\na_bucket{le=\"1.0\"} 0\n",
        ErrorKind::Semantic,
        "not in increasing \"le\" order",
    ),
    (
        "bucket values decreasing",
        "# TYPE a histogram\na_bucket{le=\"1\"} 1\na_bucket{le=\"+Inf\"} 0\n",
        ErrorKind::Semantic,
        "decrease",
    ),
    (
        "summary sample without quantile",
        "# TYPE a summary\na 0\n",
        ErrorKind::Semantic,
        "has no \"quantile\" label",
    ),
    (
        "bucket without le",
        "# TYPE a histogram\na_bucket 0\n",
        ErrorKind::Semantic,
        "has no \"le\" label",
    ),
    (
        "stateset sample without the state label",
        "# TYPE a stateset\na 0\n",
        ErrorKind::Semantic,
        "no label named after the family",
    ),
    (
        "quantile out of range",
        "# TYPE a summary\na{quantile=\"1.01\"} 0\n",
        ErrorKind::Semantic,
        "invalid \"quantile\" label value \"1.01\"",
    ),
    (
        "quantile not a number",
        "# TYPE a summary\na{quantile=\"foo\"} 0\n",
        ErrorKind::Semantic,
        "invalid \"quantile\" label value",
    ),
    (
        "quantile NaN",
        "# TYPE a summary\na{quantile=\"NaN\"} 0\n",
        ErrorKind::Semantic,
        "invalid \"quantile\" label value",
    ),
    (
        "le on a histogram's _count",
        "# TYPE a histogram\na_count{le=\"1\"} 0\n",
        ErrorKind::Semantic,
        "may not have a \"le\" label",
    ),
    (
        "info value not 1",
        "# TYPE a info\na_info{x=\"y\"} 2\n",
        ErrorKind::Semantic,
        "info sample \"a_info\" must be 1",
    ),
    (
        "stateset value not 0 or 1",
        "# TYPE a stateset\na{a=\"x\"} 2\n",
        ErrorKind::Semantic,
        "must be 0 or 1",
    ),
    (
        "info family with a bare sample starts a clashing family",
        "# TYPE a info\na 1\n",
        ErrorKind::Semantic,
        "appears again",
    ),
    (
        "exemplar on a gauge",
        "# TYPE a gauge\na 1 # {x=\"y\"} 1\n",
        ErrorKind::InvalidExemplar,
        "exemplar on gauge sample \"a\"",
    ),
    (
        "exemplar on a histogram _sum",
        "# TYPE a histogram\na_sum 1 # {x=\"y\"} 1\n",
        ErrorKind::InvalidExemplar,
        "exemplar on histogram sample \"a_sum\"",
    ),
    (
        "exemplar on a counter _created",
        "# TYPE a counter\na_created 1 # {x=\"y\"} 1\n",
        ErrorKind::InvalidExemplar,
        "exemplar on counter sample \"a_created\"",
    ),
    (
        "exemplar on an unknown sample",
        "a_bucket 1 # {x=\"y\"} 1\n",
        ErrorKind::InvalidExemplar,
        "exemplar on unknown sample \"a_bucket\"",
    ),
];

#[test]
fn every_semantic_check_of_3_3() {
    for &(what, body, kind, text) in SEMANTIC {
        let body = format!("{body}# EOF\n");
        let e = first_error(body.as_bytes(), strict())
            .unwrap_or_else(|| panic!("{what}: accepted under strict"));
        assert_eq!(e.kind(), kind, "{what}: {e}");
        assert!(e.message().contains(text), "{what}: {e}");
        if let Some(e) = first_error(body.as_bytes(), om()) {
            panic!("{what}: rejected under the prometheus level: {e}");
        }
    }
}

#[test]
fn valid_families_pass_strict() {
    let body = "\
# TYPE c counter
# UNIT c_seconds seconds
# TYPE c_seconds counter
# HELP c_seconds Time \\\"spent\\\".
c_seconds_total{a=\"1\"} 1.5 100 # {trace_id=\"x\"} 0.5 99.5
c_seconds_created{a=\"1\"} 1.6e9 100
c_seconds_total{a=\"2\"} 0
# TYPE h histogram
h_bucket{le=\"0.1\",a=\"1\"} 0
h_bucket{a=\"1\",le=\"1e-0\"} 2 # {} 0.7
h_bucket{a=\"1\",le=\"+Inf\"} 3
h_count{a=\"1\"} 3
h_sum{a=\"1\"} 1.5
h_created{a=\"1\"} 1
h_bucket{a=\"2\",le=\"-5\"} 1
h_bucket{a=\"2\",le=\"+Inf\"} 1
# TYPE g gaugehistogram
g_bucket{le=\"-1\"} 1
g_bucket{le=\"+Inf\"} 2
g_gcount 2
g_gsum -3
# TYPE s summary
s{quantile=\"0\"} NaN
s{quantile=\"1\"} 3
s_sum 2
s_count 4.0
# TYPE st stateset
st{st=\"a\"} 1
st{st=\"b\"} 0.0
# TYPE i info
i_info{v=\"1\"} 1 5
i_info{v=\"1\"} 1 4
# TYPE u unknown
u -1
u_total NaN
# TYPE ts gauge
ts{a=\"1\"} 1 -1
ts{a=\"1\"} 2 -1
ts{a=\"1\"} 3 0.5
ts{a=\"2\"} 1
# EOF
";
    accepts(body.as_bytes(), strict());
    accepts(body.as_bytes(), om());
}

// ---------------------------------------------------------------------------------------
// Exemplars.

#[test]
fn exemplar_accessors() {
    let body = b"# TYPE a counter\na_total{x=\"1\"} 3 # {trace_id=\"4bf9\",\"span.id\"=\"a\\\"b\"} 0.67 1520879607.789\n# EOF\n";
    let events: Vec<_> = parse_with(body, strict()).map(Result::unwrap).collect();
    let s = events[1].as_sample().unwrap();
    assert_eq!(s.series(), "a_total{x=\"1\"}");
    let e = s.exemplar().unwrap();
    let labels: Vec<_> = e.labels().map(|l| (l.name, l.value)).collect();
    assert_eq!(
        labels,
        [
            ("trace_id".into(), "4bf9".into()),
            ("span.id".into(), "a\"b".into())
        ]
    );
    assert_eq!(e.value(), 0.67);
    assert_eq!(e.value_text(), "0.67");
    assert_eq!(e.timestamp(), Some(1520879607.789));
    assert_eq!(e.timestamp_text(), Some("1520879607.789"));
    assert_eq!(e.raw_labels(), "trace_id=\"4bf9\",\"span.id\"=\"a\\\"b\"");
    // The exemplar after a timestamp; an empty label set.
    let body = b"# TYPE a counter\na_total 3 17 # {} 1\n# EOF\n";
    let events: Vec<_> = parse_with(body, strict()).map(Result::unwrap).collect();
    let s = events[1].as_sample().unwrap();
    assert_eq!(s.timestamp_ms(), Some(17_000));
    assert_eq!(s.exemplar().unwrap().labels().count(), 0);
    assert_eq!(s.exemplar().unwrap().timestamp(), None);
}

fn exemplar_body(value: &str) -> String {
    format!(
        "# TYPE a histogram\na_bucket{{le=\"+Inf\"}} 1 # {{a=\"{value}\"}} 1 1\na_count 1\na_sum 1\n# EOF\n"
    )
}

#[test]
fn exemplar_length_boundary_is_128_code_points() {
    // The label name "a" counts: 1 + 127 = 128.
    let ascii_127 = "x".repeat(127);
    accepts(exemplar_body(&ascii_127).as_bytes(), strict());
    let ascii_128 = "x".repeat(128);
    let e = first_error(exemplar_body(&ascii_128).as_bytes(), strict()).unwrap();
    assert_eq!(e.kind(), ErrorKind::InvalidExemplar);
    assert!(e.message().contains("129 code points"), "{e}");
    // Prometheus does not check the length.
    accepts(exemplar_body(&ascii_128).as_bytes(), om());
    // Code points, not bytes: 127 snowmen are 381 bytes.
    let wide = "☃".repeat(127);
    accepts(exemplar_body(&wide).as_bytes(), strict());
    let wide = "☃".repeat(128);
    assert!(first_error(exemplar_body(&wide).as_bytes(), strict()).is_some());
    // Code points, not glyphs: "e" + combining acute accent is two.
    let combining = "e\u{301}".repeat(64);
    assert!(first_error(exemplar_body(&combining).as_bytes(), strict()).is_some());
    let combining = format!("{}x", "e\u{301}".repeat(63));
    accepts(exemplar_body(&combining).as_bytes(), strict());
    // Escapes count as the character they stand for.
    let escaped = format!("{}\\\"", "x".repeat(126));
    accepts(exemplar_body(&escaped).as_bytes(), strict());
    let escaped = format!("{}\\\\\\n", "x".repeat(126));
    assert!(first_error(exemplar_body(&escaped).as_bytes(), strict()).is_some());
}

// ---------------------------------------------------------------------------------------
// # EOF.

#[test]
fn eof_rules() {
    let eof_line = |input: &[u8]| {
        parse_with(input, om())
            .map(Result::unwrap)
            .find_map(|ev| match ev {
                Event::Eof(e) => Some(e.line),
                _ => None,
            })
    };
    assert_eq!(eof_line(b"# EOF\n"), Some(1));
    assert_eq!(eof_line(b"# EOF"), Some(1));
    assert_eq!(eof_line(b"a 1\n# EOF"), Some(2));
    for (input, kind) in [
        (&b""[..], ErrorKind::MissingEof),
        (b"\n", ErrorKind::Syntax),
        (b"a 1", ErrorKind::MissingEof),
        (b"a 1\n# EO", ErrorKind::Syntax),
        (b"# EOF\n\n", ErrorKind::DataAfterEof),
        (b"# EOF\n# EOF\n", ErrorKind::DataAfterEof),
        (b"# EOF ", ErrorKind::DataAfterEof),
        (b"# EOFblah", ErrorKind::DataAfterEof),
        (b"a 1\n# EOF\nblah", ErrorKind::DataAfterEof),
        (b"# EOF\n\xff", ErrorKind::DataAfterEof),
        (b"#EOF\n", ErrorKind::Syntax),
    ] {
        for s in [om(), strict()] {
            let e = first_error(input, s)
                .unwrap_or_else(|| panic!("{:?} accepted", String::from_utf8_lossy(input)));
            assert_eq!(e.kind(), kind, "{:?}: {e}", String::from_utf8_lossy(input));
        }
    }
    // In the Prometheus text format `# EOF` is only a comment.
    assert!(parse_with(b"# EOF\na 1\n", Settings::default()).all(|e| e.is_ok()));
}

// ---------------------------------------------------------------------------------------
// Timestamps.

#[test]
fn timestamps_are_float_seconds_truncated_to_milliseconds() {
    for (text, ms) in [
        ("0", 0),
        ("000", 0),
        ("0.0", 0),
        ("1", 1000),
        ("1.1", 1100),
        ("1520879607.789", 1_520_879_607_789),
        ("-1.5", -1500),
        ("1.5e3", 1_500_000),
        ("+2", 2000),
        ("0.0009", 0),
        ("-0.0009", 0),
        ("1.0009", 1000),
        ("-1.0009", -1000),
        ("9.2e15", 9_200_000_000_000_000_000),
        ("-9.2e15", -9_200_000_000_000_000_000),
        // Beyond the int64 millisecond range: saturated (Go's conversion is platform
        // dependent; see `seconds_to_ms`).
        ("12345678901234567890.1234567890", i64::MAX),
        ("-1e300", i64::MIN),
    ] {
        let body = format!("a 1 {text}\n# EOF\n");
        let got = samples(body.as_bytes(), om());
        assert_eq!(got[0].2, Some(ms), "{text}");
        assert_eq!(got[0].3.as_deref(), Some(text), "{text}");
    }
    assert_eq!(samples(b"a 1\n# EOF\n", om())[0].2, None);
}

// ---------------------------------------------------------------------------------------
// Names, HELP, UNIT, escapes.

#[test]
fn metadata_events() {
    let body = b"# TYPE a_seconds gauge\n# UNIT a_seconds seconds\n# HELP a_seconds x\\\\y\\nz\\\"q\\t\n# UNIT b \n# HELP b \n# TYPE c gaugehistogram\n# TYPE d stateset\n# TYPE e info\n# TYPE f unknown\n# EOF\n";
    let events: Vec<String> = parse_with(body, om())
        .map(|e| common::render(&e.unwrap()))
        .collect();
    assert_eq!(
        events,
        [
            "T a_seconds gauge",
            "U a_seconds seconds",
            "H a_seconds \"x\\\\y\\nz\\\"q\\\\t\"",
            "U b ",
            "H b \"\"",
            "T c gaugehistogram",
            "T d stateset",
            "T e info",
            "T f unknown",
            "EOF"
        ]
    );
    // The suffix must follow an underscore.
    rejects(
        b"# UNIT aseconds seconds\n# EOF\n",
        r#"unit "seconds" not a suffix of metric "aseconds""#,
    );
    rejects(
        b"# UNIT a_seconds seconds \n# EOF\n",
        r#"unit "seconds " not a suffix of metric "a_seconds""#,
    );
}

#[test]
fn label_escapes_and_special_characters() {
    let body = b"# TYPE a counter\na_total{foo=\"b\\\"a\\nr\",bar=\"b\\\\a\\z # }{\"} 1\n# EOF\n";
    let events: Vec<_> = parse_with(body, strict()).map(Result::unwrap).collect();
    let labels: Vec<_> = events[1]
        .as_sample()
        .unwrap()
        .labels()
        .map(|l| (l.name.into_owned(), l.value.into_owned()))
        .collect();
    assert_eq!(
        labels,
        [
            ("foo".to_string(), "b\"a\nr".to_string()),
            ("bar".to_string(), "b\\a\\z # }{".to_string())
        ]
    );
    // NUL is a character like any other.
    accepts(b"# HELP a he\0lp\n# EOF\n", strict());
    accepts(b"a{b=\"\0\"} 1\n# EOF\n", strict());
    // Invalid names.
    for name in ["0a", "a.b", "a-b"] {
        assert!(first_error(format!("{name} 1\n# EOF\n").as_bytes(), om()).is_some());
    }
}

#[test]
fn prometheus_leniencies_only_at_the_prometheus_level() {
    let comma = b"a{b=\"1\",} 1\n# EOF\n";
    accepts(comma, om());
    assert!(first_error(comma, strict()).is_some());
    let quoted_comma = b"{\"a\",} 1\n# EOF\n";
    accepts(quoted_comma, om());
    assert!(first_error(quoted_comma, strict()).is_some());
    let dup = b"a{b=\"1\",b=\"2\"} 1\n# EOF\n";
    accepts(dup, om());
    assert_eq!(
        first_error(dup, om().allow_duplicate_labels(false))
            .unwrap()
            .kind(),
        ErrorKind::DuplicateLabel
    );
    // The dialect switched on the default settings keeps their duplicate check.
    assert!(
        first_error(
            dup,
            Settings::default().dialect(promtext::Dialect::OpenMetrics)
        )
        .is_some()
    );
    // Duplicate labels inside an exemplar are not a series' labels.
    accepts(
        b"# TYPE a counter\na_total 1 # {b=\"1\",b=\"2\"} 1\n# EOF\n",
        strict(),
    );
}

#[test]
fn the_validator_continues_after_errors_in_lenient_mode() {
    let body =
        b"# TYPE a counter\na_total -1\na_total NaN\nbad line\n# TYPE a gauge\na 1\n# EOF\nx 1\n";
    let mut p = parse_with(body, strict().lenient(true));
    let errors: Vec<u64> = p
        .by_ref()
        .filter_map(Result::err)
        .map(|e| e.line())
        .collect();
    // Line 5 is metadata after samples; line 6 then starts a new family `a`, which clashes.
    assert_eq!(errors, [2, 3, 4, 5, 6, 8]);
    assert_eq!(p.skipped_lines(), 6);
}

// ---------------------------------------------------------------------------------------
// Front ends: chunked and Read give the same events.

#[test]
fn chunked_and_read_front_ends_agree() {
    let body: &[u8] = b"# TYPE a histogram\n# HELP a h\\\"i\na_bucket{le=\"1\"} 0 1.5 # {t=\"1\"} 0.5 1.5\na_bucket{le=\"+Inf\"} 1 1.5\na_count 1 1.5\na_sum 0.5 1.5\n# TYPE b counter\nb_total{\"x.y\"=\"z\"} 1\n# EOF";
    for settings in [om(), strict()] {
        let whole: Vec<String> = parse_with(body, settings.clone())
            .map(|e| format!("{:?}", e.unwrap()))
            .collect();
        assert_eq!(whole.len(), 9);
        for size in 1..=body.len() {
            let mut p = ChunkParser::new(settings.clone());
            let mut got = Vec::new();
            for chunk in body.chunks(size) {
                got.extend(p.feed(chunk).map(|e| format!("{:?}", e.unwrap())));
            }
            got.extend(p.finish().map(|e| format!("{:?}", e.unwrap())));
            assert_eq!(got, whole, "chunk size {size}");
        }
        let mut r = ReadParser::new(body, settings.clone());
        let mut got = Vec::new();
        while let Some(ev) = r.next_event() {
            got.push(format!("{:?}", ev.unwrap()));
        }
        assert_eq!(got, whole);
    }
    // And the same first error, wherever it is found.
    let bad: &[u8] = b"# TYPE a counter\na_total 1\na_total 2\n# TYPE b gauge\nb 1\n";
    let want = first_error(bad, strict()).unwrap();
    assert_eq!(want.kind(), ErrorKind::MissingEof);
    for size in 1..=bad.len() {
        let mut p = ChunkParser::new(strict());
        let mut err = None;
        for chunk in bad.chunks(size) {
            err = err.or(p.feed(chunk).find_map(Result::err));
        }
        err = err.or(p.finish().find_map(Result::err));
        assert_eq!(err.as_ref(), Some(&want), "chunk size {size}");
    }
}
