//! `promtext scrape` and the default scenario end to end.

use std::io::Write;
use std::process::{Command, Stdio};

fn run(args: &[&str], stdin: &[u8]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_promtext"))
        .args(args)
        .env("PROMTEXT_SCENARIO_BYTES", "200000")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run promtext");
    let mut i = c.stdin.take().unwrap();
    let data = stdin.to_vec();
    let t = std::thread::spawn(move || {
        let _ = i.write_all(&data);
    });
    let out = c.wait_with_output().unwrap();
    t.join().unwrap();
    out
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

const JOB: &str = "scrape_configs:
- job_name: envoy-stats
  metrics_path: /stats/prometheus
  relabel_configs:
  - source_labels: [__meta_kubernetes_pod_container_port_name]
    action: keep
    regex: '.*-envoy-prom'
  metric_relabel_configs:
  - source_labels: [__name__]
    regex: b
    action: drop
";

fn config() -> tempfile_path::Path {
    tempfile_path::write(JOB)
}

mod tempfile_path {
    pub struct Path(pub std::path::PathBuf);
    impl Drop for Path {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    pub fn write(s: &str) -> Path {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "promtext-scrape-cli-{}-{}.yml",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&p, s).unwrap();
        Path(p)
    }
}

const TARGET: &str =
    r#"{__address__="10.0.0.1:15090",__meta_kubernetes_pod_container_port_name="http-envoy-prom"}"#;

#[test]
fn exposition_from_gzip_stdin() {
    let cfg = config();
    let body = gzip(b"a{job=\"app\"} 1\nb 2\nc{x=\"\"} 3 1000\n");
    let out = run(
        &[
            "scrape",
            "--config",
            cfg.0.to_str().unwrap(),
            "--job",
            "envoy-stats",
            "--target-labels",
            TARGET,
            "--output",
            "exposition",
            "-",
        ],
        &body,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "a{exported_job=\"app\",instance=\"10.0.0.1:15090\",job=\"envoy-stats\"} 1\nc{instance=\"10.0.0.1:15090\",job=\"envoy-stats\"} 3 1000\n"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("scrape_samples_scraped             3"),
        "{err}"
    );
    assert!(
        err.contains("dropped by metric relabeling       1"),
        "{err}"
    );
}

#[test]
fn honor_labels_flag_and_jsonl() {
    let out = run(
        &["scrape", "--honor-labels", "--output", "jsonl"],
        b"a{job=\"app\"} 1\n",
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(
        lines[0],
        "{\"kind\":\"sample\",\"name\":\"a\",\"labels\":{\"instance\":\"localhost\",\"job\":\"app\"},\"value\":1.0,\"timestamp_ms\":null}"
    );
    let r: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(r["kind"], "report");
    assert_eq!(r["up"], 1);
    assert_eq!(r["scrape_samples_scraped"], 1);
    assert_eq!(r["scrape_samples_post_metric_relabeling"], 1);
    assert_eq!(
        r["target"],
        serde_json::json!({"instance": "localhost", "job": "promtext"})
    );
    assert_eq!(r["errors"], serde_json::json!([]));
}

#[test]
fn jsonl_report_of_a_failed_scrape_and_json_target_labels() {
    let out = run(
        &["scrape", "--sample-limit", "1", "--output", "jsonl"],
        b"a 1\nb 2\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    let r: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["up"], 0);
    assert_eq!(r["errors"], serde_json::json!(["sample limit exceeded"]));
    // One target of /api/v1/targets (or `promtext targets --output jsonl`) as --target-labels.
    let t = r#"{"state":"active","discoveredLabels":{"__address__":"10.1.2.3:15090","__scheme__":"http","job":"x","pod":"p"},"labels":{}}"#;
    let out = run(
        &["scrape", "--target-labels", t, "--output", "jsonl"],
        b"a 1\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("{\"kind\":\"sample\",\"name\":\"a\",\"labels\":{\"instance\":\"10.1.2.3:15090\",\"job\":\"x\",\"pod\":\"p\"}"),
        "{text}"
    );
    let out = run(
        &[
            "scrape",
            "--target-labels",
            r#"{"__address__":"h:1","a":"b"}"#,
            "--output",
            "jsonl",
        ],
        b"a 1\n",
    );
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"scrapeUrl\":\"http://h:1/metrics\""));
    let out = run(
        &["scrape", "--target-labels", r#"{"__address__":1}"#],
        b"a 1\n",
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn failed_scrape_writes_nothing_and_exits_1() {
    let out = run(
        &["scrape", "--sample-limit", "1", "--output", "exposition"],
        b"a 1\nb 2\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("error: scrape failed: sample limit exceeded")
    );
    let out = run(
        &["scrape", "--body-size-limit", "4", "--output", "exposition"],
        b"a 1\nb 2\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("body size limit exceeded"));
    let out = run(&["scrape", "--content-encoding", "gzip"], b"a 1\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid gzip body"));
    // Lenient: the bad line is skipped and counted.
    let out = run(&["scrape", "--lenient"], b"a 1\nbad line\n");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("bad lines skipped                  1"));
}

#[test]
fn dropped_target_and_usage_errors() {
    let cfg = config();
    let out = run(
        &[
            "scrape",
            "--config",
            cfg.0.to_str().unwrap(),
            "--target-labels",
            r#"{__address__="h:1"}"#,
        ],
        b"a 1\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("target dropped by relabel_configs"));
    let out = run(&["scrape", "--config", "/nonexistent/x.yml"], b"");
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["scrape", "--target-labels", "{oops"], b"");
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["scrape", "--help"], b"");
    assert!(String::from_utf8_lossy(&out.stdout).contains("--content-encoding"));
}

#[test]
fn default_scenario() {
    let out = run(&[], b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("target 10.244.1.7:9080 (port \"http\"): dropped"),
        "{text}"
    );
    assert!(
        text.contains("scrape URL                http://10.244.1.7:15090/stats/prometheus"),
        "{text}"
    );
    assert!(text.contains("second scrape (warm cache):"), "{text}");
    assert!(text.contains("top families by series count"), "{text}");
    assert!(text.contains("up{instance=\"10.244.1.7:15090\",job=\"envoy-stats\",namespace=\"default\",pod_name=\"reviews-v1-545db77b95-6xk2p\"} 1"), "{text}");
}

/// Memory is bounded by the line limit and the cache, not the body: a generated 24 MiB body streamed from stdin
/// with the cache off keeps the peak RSS far below the body size. (The 1 GiB measurement is in the report.)
#[test]
fn peak_memory_does_not_grow_with_the_body() {
    let mut producer = Command::new(env!("CARGO_BIN_EXE_promtext"))
        .args(["gen", "--profile", "istio", "--size", "24MiB"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_promtext"))
        .args(["scrape", "--cache-entries", "0", "-"])
        .stdin(producer.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(producer.wait().unwrap().success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    let peak = |text: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.contains("peak RSS"))?;
        Some(
            line.rsplit('(')
                .next()
                .unwrap()
                .trim_end_matches(" bytes)")
                .parse()
                .unwrap(),
        )
    };
    let Some(bytes) = peak(&text) else {
        return; // not Linux
    };
    // The same command on a one-line body: what the (debug) binary needs whatever the body.
    let tiny = run(&["scrape", "--cache-entries", "0", "-"], b"a 1\n");
    let base = peak(&String::from_utf8(tiny.stdout).unwrap()).unwrap();
    assert!(
        bytes < base + (8 << 20),
        "24 MiB body: {bytes} bytes, one-line body: {base} bytes"
    );
    assert!(text.contains("24.00 MiB"), "{text}");
}

#[test]
fn large_output_is_spooled_and_written_only_on_success() {
    // About 12 MiB of exposition output: beyond the in-memory part of the spool.
    let body: String = (0..300_000)
        .map(|i| format!("m{{i=\"{i}\"}} 1\n"))
        .collect();
    let out = run(&["scrape", "--output", "exposition"], body.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 300_000);
    assert!(
        text.starts_with("m{i=\"0\",instance=\"localhost\",job=\"promtext\"} 1\n"),
        "{}",
        &text[..200]
    );
    assert!(text.ends_with("m{i=\"299999\",instance=\"localhost\",job=\"promtext\"} 1\n"));
    // The same body failing at its end (sample limit): nothing written.
    let out = run(
        &["scrape", "--output", "jsonl", "--sample-limit", "299999"],
        body.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    // No series, only the closing report object (up 0).
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "{}", &text[..text.len().min(300)]);
    assert!(
        text.starts_with("{\"kind\":\"report\"") && text.contains("\"up\":0"),
        "{text}"
    );
    // A cache budget too small for the body: same output, fewer series cached.
    let out = run(&["scrape", "--cache-bytes", "1MiB"], body.as_bytes());
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("scrape_samples_scraped             300000")
    );
    let out = run(&["scrape", "--cache-bytes", "lots"], b"a 1\n");
    assert_eq!(out.status.code(), Some(2));
}
