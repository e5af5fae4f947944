//! End-to-end tests of `promtext targets` on the pod lists of tests/data/k8s.

mod common;
use common::run;
use std::path::{Path, PathBuf};

/// [`targets_with`] that succeeds with `active` kept targets; its stdout and stderr.
fn targets_ok(config: &Path, active: usize) -> (String, String) {
    let (code, out, err) = targets_with(config);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(&format!("{active} active targets\n")),
        "{out}"
    );
    (out, err)
}

/// `promtext targets --config CONFIG --pods tests/data/k8s/pods.json`.
fn targets_with(config: &Path) -> (i32, String, String) {
    run(
        &[
            "targets",
            "--config",
            config.to_str().unwrap(),
            "--pods",
            &data("pods.json"),
        ],
        b"",
    )
}

/// `promtext targets --config tests/data/k8s/prometheus.yml ARGS` with `stdin`.
fn targets_run(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let config = data("prometheus.yml");
    let mut all = vec!["targets", "--config", &config];
    all.extend_from_slice(args);
    run(&all, stdin)
}

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/k8s")
        .join(name)
        .display()
        .to_string()
}

fn tmp(name: &str, text: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("promtext-targets-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn table_lists_active_and_dropped_targets() {
    let (code, out, err) = targets_run(
        &[
            "--pods",
            &data("pods.json"),
            "--nodes",
            &data("nodes.json"),
            "--namespaces",
            &data("namespaces.json"),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("9 active targets\nJOB "), "{out}");
    assert!(out.contains("\n10 dropped targets\n"), "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("envoy-stats") && l.contains("reviews-v1") && l.contains("http://"))
        .unwrap();
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        cols,
        [
            "envoy-stats",
            "default",
            "reviews-v1-545db77b95-6xk2p",
            "http://10.244.1.7:15090/stats/prometheus",
            "{namespace=\"default\",",
            "pod_name=\"reviews-v1-545db77b95-6xk2p\"}"
        ]
    );
    assert!(
        out.lines().any(|l| l.starts_with("envoy-stats")
            && l.contains("productpage:9080 (http)")
            && l.ends_with("dropped by rule 0 (keep)")),
        "{out}"
    );
    assert!(
        out.contains("4 discovered targets are identical to an active one"),
        "{out}"
    );
}

#[test]
fn jsonl_has_the_fields_of_api_v1_targets() {
    let pods = std::fs::read(data("pods.json")).unwrap();
    let (code, out, err) = targets_run(
        &["--job", "envoy-stats", "--pods", "-", "--output", "jsonl"],
        &pods,
    );
    assert_eq!(code, 0, "{err}");
    let objs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objs.len(), 11);
    let active: Vec<&serde_json::Value> = objs.iter().filter(|o| o["state"] == "active").collect();
    assert_eq!(active.len(), 3);
    let a = active[0];
    assert_eq!(a["scrapePool"], "envoy-stats");
    assert_eq!(a["scrapeUrl"], "http://10.244.1.7:15090/stats/prometheus");
    assert_eq!(
        a["labels"],
        serde_json::json!({"instance": "10.244.1.7:15090", "job": "envoy-stats", "namespace": "default", "pod_name": "reviews-v1-545db77b95-6xk2p"})
    );
    assert_eq!(
        a["discoveredLabels"]["__meta_kubernetes_pod_container_port_name"],
        "http-envoy-prom"
    );
    assert_eq!(a["discoveredLabels"]["job"], "envoy-stats");
    // Labels are one object, in sorted order.
    let keys: Vec<&String> = a["discoveredLabels"].as_object().unwrap().keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let d = objs.iter().find(|o| o["state"] == "dropped").unwrap();
    assert!(d.get("labels").is_none());
    assert_eq!(d["droppedByRule"], 0);
}

#[test]
fn explain_walks_one_pod() {
    let (code, out, err) = targets_run(
        &[
            "--job",
            "envoy-stats",
            "--pods",
            &data("pods.json"),
            "--explain",
            "default/productpage-v1-d5789fdfb-8q7xz",
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.matches("== job envoy-stats, pod default/productpage-v1-d5789fdfb-8q7xz")
            .count(),
        3
    );
    assert!(
        out.contains("target 3 of 3: istio-proxy:15090 (http-envoy-prom)"),
        "{out}"
    );
    assert!(
        out.contains("rule 3 (replace): set namespace to \"default\" -> namespace=\"default\""),
        "{out}"
    );
    assert!(
        out.contains("result: active: http://10.244.2.11:15090/stats/prometheus"),
        "{out}"
    );
    assert!(out.contains("result: dropped by rule 0 (keep)"), "{out}");
    let (code, _, err) = targets_run(
        &[
            "--pods",
            &data("pods.json"),
            "--job",
            "envoy-stats",
            "--explain",
            "nope",
        ],
        b"",
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("no discovered target of pod \"nope\""),
        "{err}"
    );
}

#[test]
fn operator_values_and_errors() {
    let values = tmp(
        "values.yaml",
        "prometheus:\n  prometheusSpec:\n    additionalScrapeConfigs:\n    - job_name: envoy-stats\n      metrics_path: /stats/prometheus\n      kubernetes_sd_configs: [{role: pod, namespaces: {names: [bookinfo-v6]}}]\n      relabel_configs:\n      - {source_labels: [__meta_kubernetes_pod_container_port_name], action: keep, regex: '.*-envoy-prom'}\n",
    );
    let (out, _) = targets_ok(&values, 1);
    assert!(
        out.contains("http://[fd00:10:244:1::7]:15090/stats/prometheus"),
        "{out}"
    );
    // attach_metadata without the node list.
    let (code, _, err) = targets_run(
        &["--job", "node-exporter", "--pods", &data("pods.json")],
        b"",
    );
    assert_eq!(code, 2);
    assert!(err.contains("job \"node-exporter\": kubernetes_sd_configs[0]: attach_metadata.node needs a node list"), "{err}");
    assert!(err.contains("--nodes"), "{err}");
    // Missing files, bad pod lists, unknown jobs.
    let (code, _, err) = run(
        &["targets", "--config", "/nonexistent.yml", "--pods", "-"],
        b"",
    );
    assert_eq!(code, 2);
    assert!(err.starts_with("error: reading /nonexistent.yml"), "{err}");
    let (code, _, err) = targets_run(&["--pods", "-"], b"{\"items\": 3}");
    assert_eq!(code, 2);
    assert!(err.contains("-: cannot decode pods"), "{err}");
    let (code, _, err) = targets_run(&["--job", "nope", "--pods", &data("pods.json")], b"");
    assert_eq!(code, 2);
    assert!(
        err.contains("no scrape config with job name \"nope\""),
        "{err}"
    );
    // target_limit: Prometheus fails the whole pool.
    let limited = tmp(
        "limited.yml",
        "scrape_configs:\n- job_name: all\n  target_limit: 2\n  kubernetes_sd_configs: [{role: pod}]\n",
    );
    let (_, err) = targets_ok(&limited, 11);
    assert!(
        err.contains("job \"all\": target_limit exceeded (number of targets: 11, limit: 2)"),
        "{err}"
    );
    // Config errors name the file, line, job, list and rule.
    let broken = tmp(
        "broken.yml",
        "scrape_configs:\n- job_name: envoy-stats\n  kubernetes_sd_configs: [{role: pod}]\n  relabel_configs:\n  - source_labels: [a]\n    action: keep\n  - action: replace\n    regex: '(a'\n",
    );
    let (code, _, err) = targets_with(&broken);
    assert_eq!(code, 2);
    assert!(
        err.starts_with(&format!(
            "error: {}:8:12: job \"envoy-stats\": relabel_configs[1]: error parsing regexp: missing closing ):",
            broken.display()
        )),
        "{err}"
    );
    // A target that Prometheus refuses is reported, not listed.
    let bad = tmp(
        "bad.yml",
        "scrape_configs:\n- job_name: j\n  kubernetes_sd_configs: [{role: pod}]\n  relabel_configs:\n  - {source_labels: [__meta_kubernetes_pod_name], regex: debug, action: keep}\n  - {target_label: __address__, replacement: ''}\n",
    );
    let (code, out, err) = targets_with(&bad);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("pod default/debug: creating target failed: no address"),
        "{err}"
    );
    assert!(out.contains("1 targets failed"), "{out}");
}
