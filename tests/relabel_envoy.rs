//! The seed `envoy-stats` job (envoy.md §5) end to end, loaded exactly as written.

use promtext::config::ConfigDocument;
use promtext::relabel::parse_labels;
use promtext::relabel::{Labels, Outcome, Pipeline, Stage};

// The seed job as Prometheus Operator values (with its `metric_relabel_configs`; the target
// stage, selected by default, has the five rules checked below).
use promtext_gen::seed::ENVOY_STATS_JOB_YAML as OPERATOR_VALUES;

fn shared(address: &str, port_name: &str, annotation: Option<&str>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = [
        ("__meta_kubernetes_namespace", "default"),
        ("__meta_kubernetes_pod_name", "reviews-v1-545db77b95-6xk2p"),
        ("__meta_kubernetes_pod_label_app", "reviews"),
        ("__meta_kubernetes_pod_label_version", "v1"),
        ("__meta_kubernetes_pod_container_name", "istio-proxy"),
        ("__metrics_path__", "/stats/prometheus"),
        ("__scheme__", "http"),
        ("job", "envoy-stats"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    v.push(("__address__".into(), address.into()));
    v.push((
        "__meta_kubernetes_pod_container_port_name".into(),
        port_name.into(),
    ));
    if let Some(a) = annotation {
        v.push((
            "__meta_kubernetes_pod_annotation_prometheus_io_port".into(),
            a.into(),
        ));
    }
    v
}

fn pipeline(text: &str) -> Pipeline {
    let doc = ConfigDocument::from_yaml(text).unwrap();
    let sel = doc.select(Some("envoy-stats"), None).unwrap();
    assert_eq!(sel.stage, Stage::Target);
    let job = sel.job.unwrap();
    assert_eq!(job.metrics_path, "/stats/prometheus");
    assert_eq!(job.scheme, "http");
    assert_eq!(sel.rules.len(), 5);
    Pipeline::new(sel.rules, sel.scheme).unwrap()
}

fn result(p: &Pipeline, input: &[(String, String)]) -> Option<Labels> {
    match p.relabeler().apply(input) {
        Outcome::Dropped => None,
        Outcome::Unchanged => Some(Labels::from_pairs(input.iter().map(|(a, b)| (a, b)))),
        Outcome::Changed(l) => Some(l),
    }
}

fn check_vectors(p: &Pipeline) {
    // (address, port name, annotation, expected address or None for dropped)
    let cases = promtext_gen::seed::ADDRESS_CASES.iter().copied();
    for (addr, port, ann, want) in cases {
        let input = shared(addr, port, ann);
        let got = result(p, &input);
        match want {
            None => assert!(got.is_none(), "{addr} {port} should be dropped"),
            Some(want_addr) => {
                let l = got.unwrap_or_else(|| panic!("{addr} {port} dropped"));
                assert_eq!(
                    l.get("__address__"),
                    Some(want_addr),
                    "{addr} {port} {ann:?}"
                );
                assert_eq!(l.get("namespace"), Some("default"));
                assert_eq!(l.get("pod_name"), Some("reviews-v1-545db77b95-6xk2p"));
                assert!(
                    l.iter()
                        .all(|(n, _)| !n.starts_with("__meta_kubernetes_pod_label_"))
                );
                // Everything else is unchanged.
                for (n, v) in &input {
                    if n != "__address__" && !n.starts_with("__meta_kubernetes_pod_label_") {
                        assert_eq!(l.get(n), Some(v.as_str()), "{n}");
                    }
                }
                assert_eq!(l.len(), input.len() - 2 + 2);
            }
        }
    }
    // The first row's full output.
    let l = result(
        p,
        &shared("10.244.1.7:15090", "http-envoy-prom", Some("15020")),
    )
    .unwrap();
    let want = parse_labels(
        r#"{__address__="10.244.1.7:15090", __meta_kubernetes_namespace="default",
 __meta_kubernetes_pod_annotation_prometheus_io_port="15020",
 __meta_kubernetes_pod_container_name="istio-proxy",
 __meta_kubernetes_pod_container_port_name="http-envoy-prom",
 __meta_kubernetes_pod_name="reviews-v1-545db77b95-6xk2p", __metrics_path__="/stats/prometheus",
 __scheme__="http", job="envoy-stats", namespace="default", pod_name="reviews-v1-545db77b95-6xk2p"}"#,
    )
    .unwrap();
    assert_eq!(l, want);
}

#[test]
fn envoy_stats_operator_values() {
    check_vectors(&pipeline(OPERATOR_VALUES));
}

#[test]
fn envoy_stats_prometheus_yml() {
    let prom = OPERATOR_VALUES.replace(
        "additionalScrapeConfigs:",
        "global:\n  scrape_interval: 15s\nscrape_configs:",
    );
    let p = pipeline(&prom);
    check_vectors(&p);
    let doc = ConfigDocument::from_yaml(&prom).unwrap();
    assert_eq!(doc.jobs()[0].scrape_interval.as_deref(), Some("15s"));
}

#[test]
fn envoy_stats_nested_operator_values_and_string_form() {
    // kube-prometheus-stack nests the list under prometheus.prometheusSpec; some charts take a YAML string.
    let nested = format!(
        "prometheus:\n  prometheusSpec:\n{}",
        OPERATOR_VALUES
            .lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    );
    check_vectors(&pipeline(&nested));
    let body: String = OPERATOR_VALUES
        .lines()
        .skip(1)
        .map(|l| format!("  {l}\n"))
        .collect();
    let string_form = format!("additionalScrapeConfigs: |\n{body}");
    check_vectors(&pipeline(&string_form));
}

#[test]
fn job_fields_and_limits() {
    let text = r#"
global:
  sample_limit: 100
  body_size_limit: 10MB
  metric_name_validation_scheme: legacy
scrape_configs:
- job_name: a
  scheme: https
  honor_labels: true
  params:
    module: [http_2xx]
  label_limit: 30
  label_name_length_limit: 200
  label_value_length_limit: 1000
  static_configs:
  - targets: ['x:1']
  metric_relabel_configs:
  - source_labels: [__name__]
    regex: 'envoy_cluster_.*_bucket'
    action: drop
- job_name: b
  sample_limit: 7
  metric_name_validation_scheme: utf8
"#;
    let doc = ConfigDocument::from_yaml(text).unwrap();
    let a = &doc.jobs()[0];
    assert_eq!(a.scheme, "https");
    assert!(a.honor_labels);
    assert_eq!(a.params["module"], vec!["http_2xx".to_string()]);
    assert_eq!(a.limits.sample_limit, 100);
    assert_eq!(a.limits.label_limit, 30);
    assert_eq!(a.limits.label_name_length_limit, 200);
    assert_eq!(a.limits.label_value_length_limit, 1000);
    assert_eq!(a.limits.body_size_limit, 10 << 20);
    assert_eq!(
        a.name_validation_scheme,
        promtext::relabel::NameValidationScheme::Legacy
    );
    let b = &doc.jobs()[1];
    assert_eq!(b.limits.sample_limit, 7);
    assert_eq!(
        b.name_validation_scheme,
        promtext::relabel::NameValidationScheme::Utf8
    );
    let sel = doc.select(Some("a"), Some(Stage::Metric)).unwrap();
    assert_eq!(sel.rules.len(), 1);
    assert!(
        doc.select(None, None)
            .unwrap_err()
            .to_string()
            .contains("a, b")
    );
    assert!(doc.select(Some("zz"), None).is_err());
    let dup = "scrape_configs:\n- job_name: a\n- job_name: a\n";
    assert_eq!(
        ConfigDocument::from_yaml(dup).unwrap_err().to_string(),
        r#"found multiple scrape configs with job name "a""#
    );
    assert_eq!(
        ConfigDocument::from_yaml("scrape_configs:\n- metrics_path: /x\n")
            .unwrap_err()
            .to_string(),
        "job_name is empty"
    );
}
