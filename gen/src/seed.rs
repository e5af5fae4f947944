//! The seed scenario: the `envoy-stats` job (Prometheus Operator `additionalScrapeConfigs`, envoy.md §5) with a
//! realistic `metric_relabel_configs`, and the Kubernetes discovery labels of a meshed pod. Demo and test
//! data (the CLI's default scrape, benches, tests): the one copy of the seed job.
//!
//! ```
//! use promtext_gen::seed;
//! let job = seed::envoy_stats_job().unwrap();
//! let kept: Vec<_> = seed::SAMPLE_POD_TARGETS
//!     .iter()
//!     .filter_map(|t| promtext::scrape::Target::from_discovered(&job, t).unwrap().kept().cloned())
//!     .collect();
//! assert_eq!(kept.len(), 1);
//! assert_eq!(kept[0].url(), "http://10.244.1.7:15090/stats/prometheus");
//! ```

use promtext::config::{ConfigDocument, ScrapeJob};
use promtext::relabel::ConfigError;

/// The seed's `envoy-stats` job, as Prometheus Operator values, plus `metric_relabel_configs`.
pub const ENVOY_STATS_JOB_YAML: &str = r#"additionalScrapeConfigs:
# Scrape config for envoy stats
- job_name: 'envoy-stats'
  metrics_path: /stats/prometheus
  kubernetes_sd_configs:
  - role: pod
  relabel_configs:
  - source_labels: [__meta_kubernetes_pod_container_port_name]
    action: keep
    regex: '.*-envoy-prom'
  - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
    action: replace
    regex: ([^:]+)(?::\d+)?;(\d+)
    replacement: $1:15090
    target_label: __address__
  - action: labeldrop
    regex: __meta_kubernetes_pod_label_(.+)
  - source_labels: [__meta_kubernetes_namespace]
    action: replace
    target_label: namespace
  - source_labels: [__meta_kubernetes_pod_name]
    action: replace
    target_label: pod_name
  metric_relabel_configs:
  # One SDS update counter per cluster: rarely looked at, one series per upstream.
  - source_labels: [__name__]
    regex: envoy_cluster_client_ssl_socket_factory_.*
    action: drop
  # The byte-size histograms are the bulk of Istio's series; keep the duration histogram only.
  - source_labels: [__name__]
    regex: istio_(request|response)_bytes_bucket
    action: drop
  # The SPIFFE principals repeat the workload and namespace labels.
  - regex: (source|destination)_principal
    action: labeldrop
  # outbound|9080||reviews.default.svc.cluster.local -> upstream_service="reviews.default.svc.cluster.local"
  - source_labels: [cluster_name]
    regex: 'outbound\|\d+\|[^|]*\|(.+)'
    target_label: upstream_service
"#;

/// The job name.
pub const JOB_NAME: &str = "envoy-stats";

/// Loads [`ENVOY_STATS_JOB_YAML`].
pub fn envoy_stats_job() -> Result<ScrapeJob, ConfigError> {
    let doc = ConfigDocument::from_yaml(ENVOY_STATS_JOB_YAML)?;
    doc.select(Some(JOB_NAME), None)
        .map(|s| s.job.cloned())?
        .ok_or(ConfigError::NoRules)
}

/// Labels every target of the sample pod shares (the `pod` role's pod-level labels).
const POD: [(&str, &str); 13] = [
    ("__meta_kubernetes_namespace", "default"),
    ("__meta_kubernetes_pod_name", "reviews-v1-545db77b95-6xk2p"),
    ("__meta_kubernetes_pod_ip", "10.244.1.7"),
    (
        "__meta_kubernetes_pod_uid",
        "7c1d5c43-3d0e-4a5c-9f6e-2b8a1f0c9d21",
    ),
    ("__meta_kubernetes_pod_node_name", "worker-2"),
    ("__meta_kubernetes_pod_host_ip", "172.18.0.3"),
    ("__meta_kubernetes_pod_phase", "Running"),
    ("__meta_kubernetes_pod_ready", "true"),
    ("__meta_kubernetes_pod_label_app", "reviews"),
    ("__meta_kubernetes_pod_label_version", "v1"),
    (
        "__meta_kubernetes_pod_annotation_prometheus_io_port",
        "15020",
    ),
    (
        "__meta_kubernetes_pod_annotation_prometheus_io_scrape",
        "true",
    ),
    (
        "__meta_kubernetes_pod_annotation_prometheus_io_path",
        "/stats/prometheus",
    ),
];

macro_rules! target {
    ($addr:expr, $container:expr, $port_name:expr, $port:expr) => {
        [
            ("__address__", $addr),
            ("__meta_kubernetes_pod_container_name", $container),
            ("__meta_kubernetes_pod_container_port_name", $port_name),
            ("__meta_kubernetes_pod_container_port_number", $port),
            ("__meta_kubernetes_pod_container_port_protocol", "TCP"),
            POD[0],
            POD[1],
            POD[2],
            POD[3],
            POD[4],
            POD[5],
            POD[6],
            POD[7],
            POD[8],
            POD[9],
            POD[10],
            POD[11],
            POD[12],
        ]
    };
}

/// The `pod` role's targets for a meshed `reviews-v1` pod: one per declared container port (the application's
/// `http` port 9080, the sidecar's `http-envoy-prom` 15090 and `tcp` 15020 ports).
pub const SAMPLE_POD_TARGETS: [[(&str, &str); 18]; 3] = [
    target!("10.244.1.7:9080", "reviews", "http", "9080"),
    target!("10.244.1.7:15020", "istio-proxy", "tcp-status", "15020"),
    target!(
        "10.244.1.7:15090",
        "istio-proxy",
        "http-envoy-prom",
        "15090"
    ),
];

/// Discovered sidecar addresses and what the seed job's `relabel_configs` make of them:
/// `(__address__, container port name, prometheus.io/port annotation, the kept address or
/// None when the target is dropped)`. The relabel tests and the scrape tests check the same
/// table.
pub const ADDRESS_CASES: &[(&str, &str, Option<&str>, Option<&str>)] = &[
    (
        "10.244.1.7:15090",
        "http-envoy-prom",
        Some("15020"),
        Some("10.244.1.7:15090"),
    ),
    ("10.244.1.7:9080", "http", Some("15020"), None),
    (
        "10.244.1.7:15090",
        "http-envoy-prom",
        None,
        Some("10.244.1.7:15090"),
    ),
    (
        "10.244.1.7:8080",
        "foo-envoy-prom",
        Some("9102"),
        Some("10.244.1.7:15090"),
    ),
    (
        "10.244.1.7",
        "http-envoy-prom",
        Some("15020"),
        Some("10.244.1.7:15090"),
    ),
    (
        "[fd00:10:244::7]:15090",
        "http-envoy-prom",
        Some("15020"),
        Some("[fd00:10:244::7]:15090"),
    ),
    (
        "10.244.1.7:15090",
        "http-envoy-prom",
        Some("abc"),
        Some("10.244.1.7:15090"),
    ),
    (
        "10.244.1.7:15091",
        "http-envoy-prom",
        Some("abc"),
        Some("10.244.1.7:15091"),
    ),
];
