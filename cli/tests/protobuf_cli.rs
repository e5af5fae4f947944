//! The CLI with protobuf bodies: `gen --format protobuf [--native-histograms]`, `parse` (by
//! flag, Content-Type and detection, JSON with native histograms), `check` and `scrape`.

mod common;
use common::promtext;

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn gen_parse_check_scrape_protobuf() {
    let gen_envoy = ["gen", "--profile", "envoy", "--size", "100KiB"];
    let text = promtext(&gen_envoy, b"");
    let pb = promtext(&[&gen_envoy[..], &["--format", "protobuf"]].concat(), b"");
    let native = promtext(
        &[
            &gen_envoy[..],
            &["--format", "protobuf", "--native-histograms"],
        ]
        .concat(),
        b"",
    );
    assert!(text.status.success() && pb.status.success() && native.status.success());
    assert!(pb.stdout.len() < text.stdout.len());
    let bad = promtext(&["gen", "--native-histograms"], b"");
    assert_eq!(bad.status.code(), Some(2));

    // The same sample count from text and protobuf (detected, flagged, by Content-Type).
    let count = |o: &std::process::Output| {
        stdout(o)
            .lines()
            .find_map(|l| l.strip_prefix("samples:").map(|v| v.trim().to_string()))
            .unwrap()
    };
    let t = promtext(&["parse"], &text.stdout);
    for args in [
        &["parse"][..],
        &["parse", "--format", "protobuf"],
        &[
            "parse",
            "--content-type",
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited",
        ],
    ] {
        let p = promtext(args, &pb.stdout);
        assert!(
            p.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&p.stderr)
        );
        assert_eq!(count(&p), count(&t), "{args:?}");
    }

    // JSON lines show native histograms with spans and bounded buckets.
    let j = promtext(&["parse", "--output", "jsonl"], &native.stdout);
    assert!(j.status.success());
    let h = stdout(&j)
        .lines()
        .find(|l| l.contains("\"kind\":\"histogram\"") && l.contains("\"positive_buckets\":[{"))
        .map(str::to_string)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&h).unwrap();
    let b = &v["positive_buckets"][0];
    assert!(b["upper"].as_f64().unwrap() > b["lower"].as_f64().unwrap());
    assert!(v["schema"].as_i64().unwrap() <= 4);
    assert!(
        v["positive_spans"]
            .as_array()
            .is_some_and(|s| !s.is_empty())
    );

    // check: clean, then a bucket limit lint; a text body with protobuf glued on fails.
    let c = promtext(&["check"], &native.stdout);
    assert!(c.status.success(), "{}", stdout(&c));
    let c = promtext(&["check", "--native-bucket-limit", "2"], &native.stdout);
    // A lint problem in a valid body: exit 3 (1 is kept for invalid input).
    assert_eq!(c.status.code(), Some(3));
    assert!(
        stdout(&c).contains(": native-bucket-limit: "),
        "{}",
        stdout(&c)
    );
    let mut broken = pb.stdout.clone();
    broken.extend_from_slice(b"envoy_server_live{} 1\n");
    let c = promtext(&["check", "--format", "protobuf"], &broken);
    assert_eq!(c.status.code(), Some(1));
    assert!(
        stdout(&c).contains("parse: the body mixes text and protobuf")
            || stdout(&c).contains("mixes text and protobuf"),
        "{}",
        stdout(&c)
    );

    // scrape: detected; native histograms as one sample each with --native-histograms.
    let s = promtext(
        &["scrape", "--output", "jsonl", "--native-histograms"],
        &native.stdout,
    );
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    assert!(String::from_utf8_lossy(&s.stderr).contains("note: the body is protobuf"));
    assert!(
        stdout(&s)
            .lines()
            .any(|l| l.contains("\"histogram\":{\"schema\":"))
    );
    let classic = promtext(&["scrape", "--format", "protobuf"], &pb.stdout);
    let from_text = promtext(&["scrape"], &text.stdout);
    let samples = |o: &std::process::Output| {
        stdout(o)
            .lines()
            .find(|l| l.contains("scrape_samples_scraped"))
            .map(str::to_string)
            .unwrap()
    };
    assert_eq!(samples(&classic), samples(&from_text));
}

/// `--nhcb`: classic histograms as native histograms with custom buckets, the same from text
/// and protobuf, in `parse` and `scrape`.
#[test]
fn nhcb_in_parse_and_scrape() {
    let gen_envoy = ["gen", "--profile", "envoy", "--size", "50KiB"];
    let text = promtext(&gen_envoy, b"");
    let pb = promtext(&[&gen_envoy[..], &["--format", "protobuf"]].concat(), b"");
    let hist_lines = |o: &std::process::Output| -> Vec<String> {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        stdout(o)
            .lines()
            .filter(|l| l.contains("\"schema\":-53"))
            // Offsets differ between the formats.
            .map(|l| l.split(",\"offset\"").next().unwrap().to_string())
            .collect()
    };
    let t = hist_lines(&promtext(
        &["parse", "--nhcb", "--output", "jsonl"],
        &text.stdout,
    ));
    let p = hist_lines(&promtext(
        &["parse", "--nhcb", "--output", "jsonl"],
        &pb.stdout,
    ));
    assert!(!t.is_empty());
    assert!(t[0].contains("\"custom_values\":[0.5,1.0,"), "{}", t[0]);
    assert_eq!(t, p);
    // Without --keep-classic no bucket series is left; with it they are.
    let plain = promtext(&["parse", "--nhcb", "--output", "jsonl"], &text.stdout);
    assert!(!stdout(&plain).contains("_bucket\""));
    let kept = promtext(
        &["parse", "--nhcb", "--keep-classic", "--output", "jsonl"],
        &text.stdout,
    );
    assert!(stdout(&kept).contains("_bucket\""));
    // scrape: one sample per histogram, custom bounds in the JSON.
    let s = promtext(&["scrape", "--nhcb", "--output", "jsonl"], &text.stdout);
    let s_pb = promtext(&["scrape", "--nhcb", "--output", "jsonl"], &pb.stdout);
    let hs = hist_lines(&s);
    assert_eq!(hs.len(), t.len());
    assert!(hs[0].contains("\"custom_values\":[0.5,1.0,"), "{}", hs[0]);
    assert!(
        hs.iter()
            .any(|l| l.contains("\"lower\":0.5,\"upper\":1.0,"))
    );
    assert_eq!(hs, hist_lines(&s_pb));
}
