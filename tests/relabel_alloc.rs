//! The steady state does not allocate for dropped and unchanged series, nor for cache hits.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use promtext::relabel::cache::{Cached, SeriesCache};
use promtext::relabel::yaml::rules_from_yaml;
use promtext::relabel::{NameValidationScheme, Outcome, Pipeline};

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn allocs() -> usize {
    ALLOCS.with(Cell::get)
}

const KUBERNETES: &str = r#"
- source_labels: [__meta_kubernetes_pod_container_port_name]
  regex: .*-metrics
  action: keep
- source_labels: [__meta_kubernetes_pod_label_name]
  action: drop
  regex: ""
- source_labels: [__meta_kubernetes_pod_phase]
  regex: Succeeded|Failed
  action: drop
- source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
  regex: "false"
  action: drop
- source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scheme]
  target_label: __scheme__
  regex: (https?)
  replacement: $1
  action: replace
- source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
  target_label: __metrics_path__
  regex: (.+)
  replacement: $1
  action: replace
- source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
  target_label: __address__
  regex: (.+?)(\:\d+)?;(\d+)
  replacement: $1:$3
  action: replace
- regex: __meta_kubernetes_pod_annotation_prometheus_io_param_(.+)
  replacement: __param_$1
  action: labelmap
- regex: __meta_kubernetes_pod_label_prometheus_io_label_(.+)
  action: labelmap
- regex: __meta_kubernetes_pod_annotation_prometheus_io_label_(.+)
  action: labelmap
- source_labels: [__meta_kubernetes_namespace, __meta_kubernetes_pod_label_name]
  separator: /
  target_label: job
  replacement: $1
  action: replace
- source_labels: [__meta_kubernetes_namespace]
  target_label: namespace
  action: replace
- source_labels: [__meta_kubernetes_pod_name]
  target_label: pod
  action: replace
- source_labels: [__meta_kubernetes_pod_container_name]
  target_label: container
  action: replace
- source_labels: [__meta_kubernetes_pod_name, __meta_kubernetes_pod_container_name, __meta_kubernetes_pod_container_port_name]
  separator: ':'
  target_label: instance
  action: replace
- target_label: cluster
  replacement: dev-us-central-0
- source_labels: [__meta_kubernetes_namespace]
  regex: hosted-grafana
  action: drop
- source_labels: [__address__]
  target_label: __tmp_hash
  modulus: 3
  action: hashmod
- source_labels: [__tmp_hash]
  regex: ^0$
  action: keep
- regex: __tmp_hash
  action: labeldrop
"#;

const K8S_LABELS: &[(&str, &str)] = &[
    ("__address__", "10.132.183.40:80"),
    ("__meta_kubernetes_namespace", "loki-boltdb-shipper"),
    (
        "__meta_kubernetes_pod_annotation_promtail_loki_boltdb_shipper_hash",
        "50523b9759094a144adcec2eae0aa4ad",
    ),
    (
        "__meta_kubernetes_pod_annotationpresent_promtail_loki_boltdb_shipper_hash",
        "true",
    ),
    ("__meta_kubernetes_pod_container_init", "false"),
    ("__meta_kubernetes_pod_container_name", "promtail"),
    ("__meta_kubernetes_pod_container_port_name", "http-metrics"),
    ("__meta_kubernetes_pod_container_port_number", "80"),
    ("__meta_kubernetes_pod_container_port_protocol", "TCP"),
    ("__meta_kubernetes_pod_controller_kind", "DaemonSet"),
    (
        "__meta_kubernetes_pod_controller_name",
        "promtail-loki-boltdb-shipper",
    ),
    ("__meta_kubernetes_pod_host_ip", "10.128.0.178"),
    ("__meta_kubernetes_pod_ip", "10.132.183.40"),
    (
        "__meta_kubernetes_pod_label_controller_revision_hash",
        "555b77cd7d",
    ),
    (
        "__meta_kubernetes_pod_label_name",
        "promtail-loki-boltdb-shipper",
    ),
    ("__meta_kubernetes_pod_label_pod_template_generation", "45"),
    (
        "__meta_kubernetes_pod_labelpresent_controller_revision_hash",
        "true",
    ),
    ("__meta_kubernetes_pod_labelpresent_name", "true"),
    (
        "__meta_kubernetes_pod_labelpresent_pod_template_generation",
        "true",
    ),
    (
        "__meta_kubernetes_pod_name",
        "promtail-loki-boltdb-shipper-jgtr7",
    ),
    (
        "__meta_kubernetes_pod_node_name",
        "gke-dev-us-central-0-main-n2s8-2-14d53341-9hkr",
    ),
    ("__meta_kubernetes_pod_phase", "Running"),
    ("__meta_kubernetes_pod_ready", "true"),
    (
        "__meta_kubernetes_pod_uid",
        "4c586419-7f6c-448d-aeec-ca4fa5b05e60",
    ),
    ("__metrics_path__", "/metrics"),
    ("__scheme__", "http"),
    ("__scrape_interval__", "15s"),
    ("__scrape_timeout__", "10s"),
    ("job", "kubernetes-pods"),
];

#[test]
fn steady_state_allocation_free() {
    let rules = rules_from_yaml(KUBERNETES, NameValidationScheme::Utf8).unwrap();
    let p = Pipeline::new(&rules, NameValidationScheme::Utf8).unwrap();
    let mut r = p.relabeler();
    // The kubernetes benchmark set is dropped at rule 19 (after 18 rules changed the set).
    assert_eq!(r.apply(K8S_LABELS), Outcome::Dropped);
    let mut reversed = K8S_LABELS.to_vec();
    reversed.reverse();
    assert_eq!(r.apply(&reversed), Outcome::Dropped);
    let before = allocs();
    for _ in 0..1000 {
        assert_eq!(r.apply(K8S_LABELS), Outcome::Dropped);
        assert_eq!(r.apply(&reversed), Outcome::Dropped);
        assert_eq!(r.apply_iter(K8S_LABELS.iter().copied()), Outcome::Dropped);
    }
    assert_eq!(allocs() - before, 0, "dropped series must not allocate");

    // Kept unchanged.
    let keep = Pipeline::new(
        &rules_from_yaml(
            "- {source_labels: [__name__], regex: 'envoy_.*_bucket', action: drop}\n- {regex: 'pod|instance_id', action: labeldrop}\n",
            NameValidationScheme::Utf8,
        )
        .unwrap(),
        NameValidationScheme::Utf8,
    )
    .unwrap();
    let mut k = keep.relabeler();
    let series = [
        ("__name__", "envoy_cluster_upstream_rq_total"),
        ("cluster_name", "outbound|9080||reviews"),
        ("namespace", "default"),
    ];
    assert_eq!(k.apply(&series), Outcome::Unchanged);
    let owned: Vec<(String, String)> = series
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(
        k.apply_copied(owned.iter().map(|(a, b)| (a.as_str(), b.as_str()))),
        Outcome::Unchanged
    );
    let before = allocs();
    for _ in 0..1000 {
        assert_eq!(k.apply(&series), Outcome::Unchanged);
        assert_eq!(k.apply(&owned), Outcome::Unchanged);
        assert_eq!(
            k.apply_copied(owned.iter().map(|(a, b)| (a.as_str(), b.as_str()))),
            Outcome::Unchanged
        );
    }
    assert_eq!(allocs() - before, 0, "unchanged series must not allocate");

    // Cache hits.
    let mut cache = SeriesCache::new();
    let raws: Vec<String> = (0..50)
        .map(|i| format!("envoy_cluster_upstream_rq_total{{x=\"{i}\"}}"))
        .collect();
    for round in 0..3 {
        let before = allocs();
        cache.begin_scrape();
        for raw in &raws {
            let c = cache.get_or_apply(&mut k, raw.as_bytes(), || series);
            assert!(matches!(c, Cached::Unchanged));
        }
        cache.end_scrape(true);
        if round > 0 {
            assert_eq!(
                allocs() - before,
                0,
                "a scrape served from the cache must not allocate"
            );
        }
    }
    let before = allocs();
    for raw in &raws {
        assert!(matches!(
            cache.get_or_apply(&mut k, raw.as_bytes(), || series),
            Cached::Unchanged
        ));
    }
    assert_eq!(allocs() - before, 0, "cache hits must not allocate");
}
