//! `promtext parse` end to end: the exact JSON lines, the summary, exit codes and messages.

use std::process::{Command, Output};

mod common;
use common::promtext as run;

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn jsonl_is_exact() {
    let input = b"# TYPE envoy_server_live gauge\n# HELP h a\\\\b\\nc\n# plain\nenvoy_server_live{} 1\nx{a=\"q\\\"\",b=\"\"} NaN 5\ny +Inf\nz 18446744073709551615\n";
    let o = run(&["parse", "--output", "jsonl", "-"], input);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let want = [
        r#"{"kind":"type","name":"envoy_server_live","type":"gauge","line":1}"#,
        r#"{"kind":"help","name":"h","text":"a\\b\nc","line":2}"#,
        r#"{"kind":"comment","text":" plain","line":3}"#,
        r#"{"kind":"sample","name":"envoy_server_live","labels":{},"value":1.0,"timestamp_ms":null,"value_text":"1","line":4}"#,
        r#"{"kind":"sample","name":"x","labels":{"a":"q\"","b":""},"value":"NaN","timestamp_ms":5,"value_text":"NaN","line":5}"#,
        r#"{"kind":"sample","name":"y","labels":{},"value":"+Inf","timestamp_ms":null,"value_text":"+Inf","line":6}"#,
        r#"{"kind":"sample","name":"z","labels":{},"value":1.8446744073709552e+19,"timestamp_ms":null,"value_text":"18446744073709551615","line":7}"#,
    ];
    assert_eq!(stdout(&o).lines().collect::<Vec<_>>(), want);
}

#[test]
fn untyped_is_spelled_per_dialect() {
    let o = run(
        &["parse", "--output", "jsonl", "--format", "prometheus"],
        b"# TYPE a untyped\n",
    );
    assert_eq!(
        stdout(&o).trim(),
        r#"{"kind":"type","name":"a","type":"untyped","line":1}"#
    );
    let o = run(
        &["parse", "--output", "jsonl", "--format", "openmetrics"],
        b"# TYPE a unknown\n# UNIT a \n# EOF\n",
    );
    let lines: Vec<String> = stdout(&o).lines().map(String::from).collect();
    assert_eq!(
        lines,
        [
            r#"{"kind":"type","name":"a","type":"unknown","line":1}"#,
            r#"{"kind":"unit","name":"a","unit":"","line":2}"#,
            r#"{"kind":"eof","line":3}"#
        ]
    );
}

#[test]
fn parse_errors_exit_1_with_position() {
    let o = run(&["parse", "--output", "none"], b"a 1\nb{,} 2\n");
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("error: line 2, column 3: expected label name"),
        "{err}"
    );
}

#[test]
fn label_limits_stop_a_line() {
    let body = b"a{x=\"1\"} 1\nb{x=\"1\",y=\"22\"} 2\n";
    let o = run(&["parse", "--output", "none", "--label-limit", "1"], body);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with(
            "error: line 2, column 9: label_limit exceeded (metric: b, number of labels: 2, limit: 1)"
        ),
        "{err}"
    );
    let o = run(
        &[
            "parse",
            "--output",
            "none",
            "--label-value-length-limit",
            "1",
        ],
        body,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("label_value_length_limit exceeded (metric: b, label name: y, value: \"22\", length: 2, limit: 1)"),
        "{err}"
    );
    let o = run(&["parse", "--output", "none", "--label-limit", "2"], body);
    assert!(o.status.success());
}

#[test]
fn lenient_reports_and_skips() {
    let o = run(
        &["parse", "--lenient", "--output", "summary"],
        b"a 1\r\nbad{ 1\r\nb 2 -5\r\n",
    );
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("samples:  2"), "{out}");
    assert!(out.contains("skipped:  1 bad lines"), "{out}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning: skipped line 2"));
}

#[test]
fn summary_counts_families() {
    let body = b"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\nup 1\nup{x=\"1\"} 1\n";
    let o = run(&["parse"], body);
    let out = stdout(&o);
    assert!(out.contains("families: 2"), "{out}");
    assert!(out.contains("samples:  6"), "{out}");
    assert!(out.contains("MB/s"), "{out}");
}

#[test]
fn openmetrics_strict_and_content_type() {
    let body = b"# TYPE a counter\na_total -1\n# EOF\n";
    let o = run(
        &["parse", "--output", "none", "--format", "openmetrics"],
        body,
    );
    assert!(
        o.status.success(),
        "the prometheus level accepts a negative counter"
    );
    let o = run(
        &[
            "parse",
            "--output",
            "none",
            "--format",
            "openmetrics",
            "--validate",
            "strict",
        ],
        body,
    );
    assert_eq!(o.status.code(), Some(1));
    let o = run(
        &[
            "parse",
            "--output",
            "none",
            "--content-type",
            "application/openmetrics-text; version=1.0.0",
        ],
        b"a 1\n",
    );
    assert_eq!(o.status.code(), Some(1), "OpenMetrics requires # EOF");
    assert!(String::from_utf8_lossy(&o.stderr).contains("# EOF"));
    let o = run(
        &[
            "parse",
            "--output",
            "none",
            "--content-type",
            "text/plain; charset=UTF-8",
        ],
        b"a 1\n",
    );
    assert!(o.status.success());
    // auto without a content type sniffs OpenMetrics from `# EOF`.
    let o = run(&["parse", "--output", "jsonl"], b"a 1 1.5\n# EOF\n");
    assert!(
        stdout(&o).contains(r#""timestamp_ms":1500"#),
        "{}",
        stdout(&o)
    );
}

#[test]
fn default_job_runs_on_the_embedded_exposition() {
    // The default is now the seed's scrape scenario (see cli/tests/scrape_cli.rs); a small body keeps the debug
    // build fast.
    let o = Command::new(env!("CARGO_BIN_EXE_promtext"))
        .env("PROMTEXT_SCENARIO_BYTES", "100000")
        .output()
        .unwrap();
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(
        out.contains("scrape_samples_scraped") && out.contains("top families"),
        "{out}"
    );
}
