//! `parse` and `check` with `--format openmetrics2`, and OpenMetrics 2.0 chosen by its
//! Content-Type.

mod common;

/// `promtext ARGS` over `stdin`.
fn promtext(args: &[&str], stdin: &str) -> std::process::Output {
    common::promtext(args, stdin.as_bytes())
}

const BODY: &str = "# TYPE rq_total counter\nrq_total{code=\"200\"} 7 st@1700000000 # {id=\"a\"} 1 1700000001 # {id=\"b\"} 2 1700000002\n# TYPE lat histogram\nlat {count:3,sum:1.5,bucket:[0.1:1,1:3,+Inf:3]} st@1700000000\n# TYPE nh histogram\nnh {count:3,sum:4.5,schema:0,zero_threshold:0.001,zero_count:0,positive_spans:[0:2],positive_buckets:[1,2]}\n# EOF\n";

#[test]
fn parse_openmetrics2_jsonl() {
    for args in [
        &["parse", "--format", "openmetrics2", "--output", "jsonl"][..],
        &[
            "parse",
            "--content-type",
            "application/openmetrics-text; version=2.0.0; charset=utf-8",
            "--output",
            "jsonl",
        ],
    ] {
        let out = promtext(args, BODY);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[1].contains("\"name\":\"rq_total\"")
                && lines[1].contains("\"start_timestamp_ms\":1700000000000"),
            "{}",
            lines[1]
        );
        assert_eq!(
            lines[1].matches("\"labels\":{\"id\"").count(),
            2,
            "{}",
            lines[1]
        );
        let names: Vec<&str> = lines
            .iter()
            .filter_map(|l| l.split("\"name\":\"").nth(1)?.split('"').next())
            .collect();
        assert_eq!(
            names,
            [
                "rq_total",
                "rq_total",
                "lat",
                "lat_count",
                "lat_sum",
                "lat_bucket",
                "lat_bucket",
                "lat_bucket",
                "nh",
                "nh"
            ]
        );
        assert!(
            text.contains("\"kind\":\"histogram\",\"name\":\"nh\""),
            "{text}"
        );
        // The native histogram in the shape protobuf's have.
        assert!(
            text.contains("\"positive_spans\":[[0,2]]")
                && text.contains("\"positive_buckets\":[{\"index\":0,\"lower\":0.5,\"upper\":1.0,\"count\":1.0},{\"index\":1,\"lower\":1.0,\"upper\":2.0,\"count\":2.0}]"),
            "{text}"
        );
    }
}

#[test]
fn check_openmetrics2_lints_and_verdict() {
    let out = promtext(
        &["check", "--format", "openmetrics2", "--output", "jsonl"],
        BODY,
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("no-start-timestamp") && text.contains("\"nh\""),
        "{text}"
    );
    let bad = promtext(
        &["check", "--format", "openmetrics2"],
        "lat {count:1,sum:1,bucket:[1:1]}\n# EOF\n",
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("classic buckets need a +Inf bucket"));
}
