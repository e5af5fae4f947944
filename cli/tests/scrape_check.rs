//! `promtext check` end to end.

mod common;
use std::io::Write;
use std::process::{Command, Stdio};

fn check(args: &[&str], stdin: &[u8]) -> (Option<i32>, String) {
    let out = common::promtext(&[&["check"], args].concat(), stdin);
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn clean_input_exits_0() {
    let body = b"# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 1\na_total{x=\"2\"} 1\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n";
    let (code, out) = check(&[], body);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("0 problem(s); 6 series in 2 families"),
        "{out}"
    );
    assert!(out.contains("       4  h\n"), "{out}");
}

#[test]
fn every_problem_kind() {
    let body = b"# TYPE c counter
c 1
# TYPE c counter
a 1
c 2
a 1
# HELP a A
# TYPE h histogram
h_bucket{le=\"1\"} 5
h_bucket{le=\"2\"} 3
h_count 3
x{__y=\"1\"} 1
bad line
";
    let (code, out) = check(&[], body);
    assert_eq!(code, Some(1));
    for kind in [
        "counter-total",
        "type-repeated",
        "split-family",
        "duplicate-series",
        "help-after-samples",
        "histogram-not-cumulative",
        "histogram-no-inf",
        "reserved-label",
        "parse",
    ] {
        assert!(out.contains(&format!(": {kind}:")), "{kind}: {out}");
    }
    let (code, out) = check(&["--output", "jsonl"], body);
    assert_eq!(code, Some(1));
    for l in out.lines() {
        assert!(l.starts_with('{') && l.ends_with('}'), "{l}");
    }
    assert!(
        out.contains("{\"kind\":\"cardinality\",\"family\":\"c\",\"series\":2}"),
        "{out}"
    );
}

#[test]
fn legacy_scheme_and_openmetrics() {
    let (code, out) = check(&["--scheme", "legacy"], b"{\"my.metric\"} 1\n");
    assert_eq!(code, Some(3));
    assert!(out.contains("invalid-name"), "{out}");
    let (code, out) = check(
        &["--format", "openmetrics"],
        b"# TYPE a_total counter\na_total_total 1\n# EOF\n",
    );
    assert_eq!(code, Some(3));
    assert!(out.contains("counter-total"), "{out}");
    let (code, _) = check(&["/nonexistent/file"], b"");
    assert_eq!(code, Some(2));
}

#[test]
fn verdict_is_parse_s_and_lints_exit_3() {
    // A CRLF body fails `parse` and Prometheus: invalid by default, accepted with --lenient.
    let crlf = b"a 1\r\nb 2\r\n";
    let (code, out) = check(&[], crlf);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.starts_with("line 1: parse: "), "{out}");
    let (code, out) = check(&["--lenient"], crlf);
    assert_eq!(code, Some(0), "{out}");
    // An Envoy-style counter without `_total`: a lint problem only, which --lint can switch off.
    let envoy = b"# TYPE envoy_cluster_upstream_rq counter\nenvoy_cluster_upstream_rq{cluster_name=\"a\"} 3\n";
    let (code, out) = check(&[], envoy);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("counter-total"), "{out}");
    assert_eq!(check(&["--lint", "none"], envoy).0, Some(0));
    assert_eq!(
        check(&["--lint", "duplicate-series,split-family"], envoy).0,
        Some(0)
    );
    assert_eq!(check(&["--lint", "counter-total"], envoy).0, Some(3));
    let (code, _) = check(&["--lint", "bogus"], envoy);
    assert_eq!(code, Some(2));
    // --lint none still fails invalid input.
    assert_eq!(check(&["--lint", "none"], b"a{ 1\n").0, Some(1));
}

#[test]
fn compressed_bodies_and_auto_format() {
    let body = b"# TYPE a gauge\na 1\n# TYPE b_total counter\nb_total 2\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body).unwrap();
    let gz = gz.finish().unwrap();
    let (code, out) = check(&[], &gz);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("0 problem(s); 2 series in 2 families"),
        "{out}"
    );
    let z = zstd::encode_all(&body[..], 3).unwrap();
    let (code, out) = check(&["--content-encoding", "auto"], &z);
    assert_eq!(code, Some(0), "{out}");
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 5, 22);
        w.write_all(body).unwrap();
    }
    let (code, out) = check(&["--content-encoding", "br"], &br);
    assert_eq!(code, Some(0), "{out}");
    // A corrupt gzip stream is an I/O error of the body, not a lint.
    let (code, _) = check(&[], &gz[..gz.len() / 2]);
    assert_ne!(code, Some(0));
    // --format auto sniffs OpenMetrics (# EOF): `_total` family names are then the lint.
    let (code, out) = check(&[], b"# TYPE a_total counter\na_total_total 1\n# EOF\n");
    assert_eq!(code, Some(3), "{out}");
    let (code, out) = check(
        &[
            "--content-type",
            "application/openmetrics-text; version=1.0.0",
        ],
        b"# TYPE a counter\na_total 1\n# EOF\n",
    );
    assert_eq!(code, Some(0), "{out}");
    // parse reads compressed bodies too.
    let out = Command::new(env!("CARGO_BIN_EXE_promtext"))
        .args(["parse", "--output", "jsonl", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(&gz)?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains(r#"{"kind":"sample","name":"b_total","labels":{},"value":2.0"#)
    );
}

#[test]
fn bench_parse_and_scrape() {
    let dir = std::env::temp_dir().join(format!("promtext-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let body = dir.join("body.txt");
    std::fs::write(&body, "a{x=\"1\"} 1\nb 2\n".repeat(100)).unwrap();
    let cfg = dir.join("job.yml");
    std::fs::write(&cfg, "scrape_configs:\n- job_name: j\n  metric_relabel_configs:\n  - source_labels: [__name__]\n    regex: b\n    action: drop\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_promtext"))
        .args(["bench", "--iterations", "3", body.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("parse: "), "{text}");
    assert!(text.contains("200 samples, 3 timed iterations"), "{text}");
    // On all cores: the same samples (above the threshold, so the body is cut into blocks).
    let big = dir.join("big.txt");
    std::fs::write(&big, "a{x=\"1\"} 1\nb 2\n".repeat(100_000)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_promtext"))
        .args([
            "bench",
            "--parallel",
            "--iterations",
            "2",
            big.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("parse on "), "{text}");
    assert!(
        text.contains("200000 samples, 2 timed iterations"),
        "{text}"
    );
    std::fs::write(&big, "a{x=\"1\"} 1\nb 2\n".repeat(100_000) + "c{ 3\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_promtext"))
        .args(["bench", "--parallel", big.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 200001, column 4: expected label name")
    );
    let out = Command::new(env!("CARGO_BIN_EXE_promtext"))
        .args([
            "bench",
            "--iterations",
            "3",
            "--config",
            cfg.to_str().unwrap(),
            body.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("first (cold cache)"), "{text}");
    assert!(text.contains("2 timed iterations"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn series_tracking_is_bounded_and_says_so() {
    // Three series tracked; the repeat of a tracked one is still found, the fourth and fifth are not tracked.
    let body =
        b"a{x=\"1\"} 1\na{x=\"2\"} 1\na{x=\"3\"} 1\na{x=\"1\"} 1\na{x=\"4\"} 1\na{x=\"4\"} 1\n";
    let (code, out) = check(&["--max-series", "3"], body);
    // Lint problems only: promtool's exit code 3.
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("line 4: duplicate-series: a: duplicate series a{x=\"1\"}"),
        "{out}"
    );
    assert!(!out.contains("line 6:"), "{out}");
    assert!(
        out.contains("note: stopped the duplicate-series and histogram checks after 3 series (from line 4) to bound memory"),
        "{out}"
    );
    let (_, out) = check(&["--max-series", "3", "--output", "jsonl"], body);
    assert!(
        out.contains("{\"kind\":\"note\",\"message\":\"stopped the duplicate-series"),
        "{out}"
    );
}

#[test]
fn problems_beyond_the_listing_bound_are_counted() {
    let body: String = (0..10_005).map(|_| "bad line\n").collect();
    // Lenient: every bad line is a problem (strict stops at the first, as `parse` does).
    let (code, out) = check(&["--lenient"], body.as_bytes());
    assert_eq!(code, Some(1));
    assert!(
        out.contains("… and 5 more problem(s), not listed"),
        "{}",
        &out[out.len() - 300..]
    );
    assert!(
        out.contains("10005 problem(s); 0 series in 0 families"),
        "{}",
        &out[out.len() - 300..]
    );
}

#[test]
fn families_beyond_the_bound_are_counted_together() {
    let mut body: String = (0..100_001).map(|i| format!("# HELP m{i} x\n")).collect();
    body.push_str("late_family 1\n");
    let (code, out) = check(&[], body.as_bytes());
    assert_eq!(code, Some(0), "{}", &out[..300.min(out.len())]);
    assert!(
        out.contains(
            "note: stopped tracking families after 100000 (from line 100001) to bound memory"
        ),
        "{out}"
    );
    assert!(out.contains("(families beyond the first 100000)"), "{out}");
}
