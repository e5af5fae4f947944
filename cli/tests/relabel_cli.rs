//! End-to-end tests of `promtext relabel`.

mod common;
use std::path::{Path, PathBuf};

/// `promtext relabel --config CFG --job other --stage metric EXTRA...` with `stdin`.
fn relabel_other_metric(cfg: &Path, extra: &[&str], stdin: &str) -> (i32, String, String) {
    let mut args = vec![
        "relabel",
        "--config",
        cfg.to_str().unwrap(),
        "--job",
        "other",
        "--stage",
        "metric",
    ];
    args.extend_from_slice(extra);
    run(&args, stdin)
}

fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    common::run(args, stdin.as_bytes())
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "promtext-relabel-cli-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The seed's `envoy-stats` job (Operator values) and a second job with metric rules.
fn envoy_values() -> String {
    format!(
        "{}- job_name: other\n  metric_relabel_configs:\n  - {{source_labels: [__name__], regex: '.*_bucket', action: drop}}\n",
        promtext_gen::seed::ENVOY_STATS_JOB_YAML
    )
}

#[test]
fn relabel_envoy_job_from_operator_values() {
    let d = tmpdir("envoy");
    let cfg = d.join("values.yaml");
    std::fs::write(&cfg, envoy_values()).unwrap();
    let input = r#"
# a comment
{__address__="10.1.2.3:8080", __meta_kubernetes_pod_container_port_name="http-envoy-prom", __meta_kubernetes_pod_annotation_prometheus_io_port="15020", __meta_kubernetes_namespace="default", __meta_kubernetes_pod_name="p1", __meta_kubernetes_pod_label_app="x"}
{__address__="10.1.2.3:8080", __meta_kubernetes_pod_container_port_name="http-metrics"}
{__address__="10.1.2.3:8080", __meta_kubernetes_pod_container_port_name="http-envoy-prom"}
"#;
    let (code, out, err) = run(
        &[
            "relabel",
            "--config",
            cfg.to_str().unwrap(),
            "--job",
            "envoy-stats",
        ],
        input,
    );
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        vec![
            r#"{__address__="10.1.2.3:15090", __meta_kubernetes_namespace="default", __meta_kubernetes_pod_annotation_prometheus_io_port="15020", __meta_kubernetes_pod_container_port_name="http-envoy-prom", __meta_kubernetes_pod_name="p1", namespace="default", pod_name="p1"}"#,
            "DROPPED",
            r#"{__address__="10.1.2.3:8080", __meta_kubernetes_pod_container_port_name="http-envoy-prom"}"#,
        ]
    );
    // Several jobs and no --job: a clear error, exit 2.
    let (code, _, err) = run(&["relabel", "--config", cfg.to_str().unwrap()], "");
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: ") && err.contains("envoy-stats, other"),
        "{err}"
    );
    // Metric stage of the other job, input from a file argument.
    let inp = d.join("in.txt");
    std::fs::write(&inp, "lat_bucket{le=\"1\"}\nlat_sum\n").unwrap();
    let (code, out, _) = relabel_other_metric(&cfg, &[inp.to_str().unwrap()], "");
    assert_eq!(code, 0);
    assert_eq!(out, "DROPPED\n{__name__=\"lat_sum\"}\n");
}

#[test]
fn relabel_bare_list_formatting_explain_and_errors() {
    let d = tmpdir("bare");
    let cfg = d.join("rules.yml");
    std::fs::write(
        &cfg,
        "- {source_labels: [a], regex: 'f(.*)', target_label: d, replacement: 'ch${1}'}\n",
    )
    .unwrap();
    let (code, out, _) = run(
        &["relabel", "--config", cfg.to_str().unwrap(), "-"],
        "m{a=\"foo\", \"1a\"=\"v\\\\ \\\"q\\\"\\n\"}\n",
    );
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "{\"1a\"=\"v\\\\ \\\"q\\\"\\n\", __name__=\"m\", a=\"foo\", d=\"choo\"}\n"
    );
    let (code, out, _) = run(
        &["relabel", "--config", cfg.to_str().unwrap(), "--explain"],
        "{a=\"foo\"}\n",
    );
    assert_eq!(code, 0);
    assert!(out.starts_with("# rule 0 (replace)"), "{out}");
    assert!(out.ends_with("{a=\"foo\", d=\"choo\"}\n"));
    // Config errors: exit 2 with Prometheus' message.
    std::fs::write(&cfg, "- {action: hashmod, target_label: x}\n").unwrap();
    let (code, _, err) = run(&["relabel", "--config", cfg.to_str().unwrap()], "");
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!(
            "error: {}:1:3: rule 0: relabel configuration for hashmod requires non-zero modulus\n",
            cfg.display()
        )
    );
    std::fs::write(&cfg, "- {regex: 'abc(def', target_label: x}\n").unwrap();
    let (code, _, err) = run(&["relabel", "--config", cfg.to_str().unwrap()], "");
    assert_eq!(code, 2);
    assert!(
        err.starts_with(&format!(
            "error: {}:1:11: rule 0: error parsing regexp: missing closing ): `^(?s:abc(def)$`",
            cfg.display()
        )),
        "{err}"
    );
    // Legacy scheme rejects a UTF-8 target.
    std::fs::write(&cfg, "- {target_label: 'utf-8.label', replacement: x}\n").unwrap();
    let (code, _, err) = run(
        &[
            "relabel",
            "--config",
            cfg.to_str().unwrap(),
            "--scheme",
            "legacy",
        ],
        "",
    );
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!(
            "error: {}:1:3: rule 0: \"utf-8.label\" is invalid 'target_label' for replace action\n",
            cfg.display()
        )
    );
}

#[test]
fn relabel_test_subcommand() {
    let d = tmpdir("test");
    std::fs::write(d.join("values.yaml"), envoy_values()).unwrap();
    let good = d.join("good.yaml");
    std::fs::write(
        &good,
        r#"config: values.yaml
job: envoy-stats
tests:
  - name: sidecar
    input: '{__address__="10.1.2.3:8080", __meta_kubernetes_pod_container_port_name="http-envoy-prom", __meta_kubernetes_pod_annotation_prometheus_io_port="15020"}'
    output: '{__address__="10.1.2.3:15090", __meta_kubernetes_pod_annotation_prometheus_io_port="15020", __meta_kubernetes_pod_container_port_name="http-envoy-prom"}'
  - input: '{__meta_kubernetes_pod_container_port_name="http-metrics"}'
    output: DROPPED
"#,
    )
    .unwrap();
    let (code, out, err) = run(&["relabel", "test", good.to_str().unwrap()], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.ends_with("2 passed, 0 failed\n"), "{out}");
    let bad = d.join("bad.yaml");
    std::fs::write(
        &bad,
        r#"rules:
  - {source_labels: [a], regex: 'x', action: keep}
tests:
  - name: wrong
    input: '{a="y"}'
    output: '{a="y"}'
  - input: '{a="x"}'
    output: '{a="x"}'
"#,
    )
    .unwrap();
    let (code, out, _) = run(
        &[
            "relabel",
            "test",
            good.to_str().unwrap(),
            bad.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 1);
    assert!(out.contains("FAIL") && out.contains("(wrong)"), "{out}");
    assert!(
        out.contains("expected: {a=\"y\"}") && out.contains("got:      DROPPED"),
        "{out}"
    );
    assert!(out.contains("| rule 0 (keep)"), "{out}");
    assert!(out.ends_with("3 passed, 1 failed\n"), "{out}");
}

#[test]
fn relabel_an_exposition_dump_and_jsonl() {
    let d = tmpdir("dump");
    let cfg = d.join("values.yaml");
    std::fs::write(&cfg, envoy_values()).unwrap();
    let body = "# HELP lat A histogram.\n# TYPE lat histogram\nlat_bucket{le=\"1\"} 1\nlat_bucket{le=\"+Inf\"} 2\nlat_sum 3.5\nlat_count 2 1700000000000\n";
    let (code, out, err) = relabel_other_metric(&cfg, &[], body);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "lat_sum 3.5\nlat_count 2 1700000000000\n");
    let jsonl = ["--output", "jsonl"];
    let (code, out, _) = relabel_other_metric(&cfg, &jsonl, body);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "{\"kind\":\"sample\",\"name\":\"lat_sum\",\"labels\":{},\"value\":3.5,\"timestamp_ms\":null}\n{\"kind\":\"sample\",\"name\":\"lat_count\",\"labels\":{},\"value\":2.0,\"timestamp_ms\":1700000000000}\n"
    );
    // An exposition without HELP/TYPE (the first line has a value), with NaN/Inf values.
    let (code, out, _) = relabel_other_metric(&cfg, &jsonl, "x{a=\"1\"} NaN\ny -Inf\n");
    assert_eq!(code, 0);
    assert!(
        out.contains("\"labels\":{\"a\":\"1\"},\"value\":\"NaN\""),
        "{out}"
    );
    assert!(out.contains("\"value\":\"-Inf\""), "{out}");
    // An invalid body: exit 1.
    let (code, _, err) = relabel_other_metric(&cfg, &[], "# TYPE x gauge\nx{ 1\n");
    assert_eq!(code, 1);
    assert!(err.starts_with("error: "), "{err}");
    // Label sets as JSON.
    let (code, out, _) = relabel_other_metric(
        &cfg,
        &["--output", "jsonl"],
        "lat_bucket{le=\"1\"}\n{a=\"b\"}\n",
    );
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "{\"kind\":\"labels\",\"name\":\"lat_bucket\",\"labels\":{\"le\":\"1\"},\"dropped\":true}\n{\"kind\":\"labels\",\"name\":null,\"labels\":{\"a\":\"b\"},\"dropped\":false}\n"
    );
    // Config errors name the file, job, rule list and rule.
    std::fs::write(&cfg, "scrape_configs:\n- job_name: envoy\n  metric_relabel_configs:\n  - {action: keep, regex: a}\n  - {action: bogus}\n").unwrap();
    let (code, _, err) = run(&["relabel", "--config", cfg.to_str().unwrap()], "");
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!(
            "error: {}:5:14: job \"envoy\": metric_relabel_configs[1]: unknown relabel action \"bogus\"\n",
            cfg.display()
        )
    );
    // Flow style: the line and column of the offending value (or rule), also in multi-line flow lists and
    // nested flow mappings.
    let flow_cases: &[(&str, &str)] = &[
        (
            "scrape_configs:\n- job_name: envoy\n  relabel_configs: [{source_labels: [a], regex: \"(\"}]\n",
            "3:49: job \"envoy\": relabel_configs[0]: error parsing regexp: missing closing ): `^(?s:()$`",
        ),
        (
            "scrape_configs:\n- job_name: envoy\n  relabel_configs: [\n    {action: keep, regex: a},\n    {source_labels: [a],\n     action: hashmod, target_label: h}\n  ]\n",
            "5:5: job \"envoy\": relabel_configs[1]: relabel configuration for hashmod requires non-zero modulus",
        ),
        (
            "scrape_configs: [{job_name: envoy, metric_relabel_configs: [{action: keep}, {action: drop, regex: {a: 1}}]}]\n",
            "1:99: job \"envoy\": metric_relabel_configs[1]: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!map into string",
        ),
        (
            "scrape_configs:\n- {job_name: envoy, relabel_configs: [{source_labels: [a, \"\"], target_label: b}]}\n",
            "2:59: job \"envoy\": relabel_configs[0]: \"\" is not a valid label name",
        ),
        // Operator values holding the jobs as a literal block: the file's line and column.
        (
            "prometheus:\n  prometheusSpec:\n    additionalScrapeConfigs: |\n      - job_name: envoy\n        relabel_configs:\n        - action: keep\n\n          regex: '('\n",
            "8:18: job \"envoy\": relabel_configs[0]: error parsing regexp: missing closing ): `^(?s:()$`",
        ),
    ];
    for (yaml, want) in flow_cases {
        std::fs::write(&cfg, yaml).unwrap();
        let (code, _, err) = run(&["relabel", "--config", cfg.to_str().unwrap()], "");
        assert_eq!(code, 2);
        assert_eq!(err, format!("error: {}:{want}\n", cfg.display()), "{yaml}");
    }
}

/// `--explain` walks the rules as written (Prometheus' order, not the engine's schedule), and a `labelmap` that
/// maps several labels to one name shows Prometheus' result, so the trace ends with the printed result.
#[test]
fn relabel_explain_in_prometheus_order() {
    let d = tmpdir("explain");
    let cfg = d.join("rules.yml");
    std::fs::write(
        &cfg,
        "- target_label: a\n  replacement: x\n- action: labelmap\n  regex: (.*)\n  replacement: same\n- source_labels: [same]\n  target_label: copy\n",
    )
    .unwrap();
    let (code, out, _) = run(
        &["relabel", "--config", cfg.to_str().unwrap(), "--explain"],
        "{z=\"1\"}\n",
    );
    assert_eq!(code, 0);
    let rules: Vec<&str> = out.lines().filter(|l| l.starts_with("# rule ")).collect();
    assert_eq!(rules.len(), 3, "{out}");
    for (i, l) in rules.iter().enumerate() {
        assert!(l.starts_with(&format!("# rule {i} (")), "{out}");
    }
    assert!(
        out.ends_with(
            "#   after:  {a=\"x\", copy=\"x\", same=\"x\", z=\"1\"}\n{a=\"x\", copy=\"x\", same=\"x\", z=\"1\"}\n"
        ),
        "{out}"
    );
}
