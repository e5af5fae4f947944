//! Relabel benchmarks: Prometheus' BenchmarkRelabel rule sets (relabel.md §9), compiled vs naive, and metric
//! relabeling per sample over Istio-like label sets, uncached vs cached.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use promtext::relabel::cache::SeriesCache;
use promtext::relabel::naive::NaivePipeline;
use promtext::relabel::yaml::rules_from_yaml;
use promtext::relabel::{NameValidationScheme, Outcome, Pipeline};

const UTF8: NameValidationScheme = NameValidationScheme::Utf8;

const EXAMPLE: &str = r#"
- source_labels: [job, __meta_dns_name]
  regex: "(.*)some-[regex]"
  target_label: job
  replacement: foo-${1}
- source_labels: [abc]
  target_label: cde
- replacement: static
  target_label: abc
- regex:
  replacement: static
  target_label: abc
"#;
const EXAMPLE_LABELS: &[(&str, &str)] = &[
    ("__meta_dns_name", "example-some-x.com"),
    ("abc", "def"),
    ("job", "foo"),
];

const STATIC: &str = r#"
- replacement: wwwwww
  target_label: wwwwww
- replacement: yyyyyyyyyyyy
  target_label: xxxxxxxxx
- replacement: xxxxxxxxx
  target_label: yyyyyyyyyyyy
- source_labels: ["something"]
  target_label: with_source_labels
  replacement: value
- replacement: dropped
  target_label: ${0}
- replacement: ${0}
  target_label: dropped
"#;
const STATIC_LABELS: &[(&str, &str)] = &[
    ("abcdefg01", "hijklmn1"),
    ("abcdefg02", "hijklmn2"),
    ("abcdefg03", "hijklmn3"),
    ("abcdefg04", "hijklmn4"),
    ("abcdefg05", "hijklmn5"),
    ("abcdefg06", "hijklmn6"),
    ("abcdefg07", "hijklmn7"),
    ("abcdefg08", "hijklmn8"),
    ("job", "foo"),
];

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

const METRIC_RULES: &str = r#"
- source_labels: [__name__]
  regex: 'istio_(request|response)_(duration_milliseconds|bytes)_bucket|envoy_cluster_upstream_cx_length_ms_bucket'
  action: drop
- source_labels: [__name__, le]
  regex: 'envoy_cluster_upstream_rq_time_bucket;(1|5)'
  action: drop
- regex: 'source_principal|destination_principal|connection_security_policy|source_canonical_revision|destination_canonical_revision'
  action: labeldrop
- source_labels: [destination_service_name, destination_service_namespace]
  separator: .
  target_label: destination_fqdn
  regex: '(.+)\.(.+)'
  replacement: $1.$2.svc.cluster.local
"#;

/// ~2000 Istio-style label sets with 25 labels each, with their raw series text.
fn istio_series() -> Vec<(String, Vec<(String, String)>)> {
    let families = [
        "istio_requests_total",
        "istio_request_duration_milliseconds_bucket",
        "istio_request_duration_milliseconds_sum",
        "istio_request_duration_milliseconds_count",
        "istio_request_bytes_bucket",
        "istio_response_bytes_sum",
        "istio_tcp_sent_bytes_total",
        "istio_tcp_received_bytes_total",
    ];
    let les = [
        "0.5", "1", "5", "10", "25", "50", "100", "250", "500", "1000", "+Inf",
    ];
    let mut out = Vec::new();
    let mut i = 0usize;
    while out.len() < 2000 {
        let fam = families[i % families.len()];
        let svc = format!("svc-{}", i % 37);
        let ns = format!("ns-{}", i % 5);
        let mut l: Vec<(String, String)> = vec![
            ("__name__".into(), fam.into()),
            ("connection_security_policy".into(), "mutual_tls".into()),
            ("destination_app".into(), svc.clone()),
            ("destination_canonical_revision".into(), "v1".into()),
            ("destination_canonical_service".into(), svc.clone()),
            ("destination_cluster".into(), "Kubernetes".into()),
            (
                "destination_principal".into(),
                format!("spiffe://cluster.local/ns/{ns}/sa/{svc}"),
            ),
            (
                "destination_service".into(),
                format!("{svc}.{ns}.svc.cluster.local"),
            ),
            ("destination_service_name".into(), svc.clone()),
            ("destination_service_namespace".into(), ns.clone()),
            ("destination_version".into(), "v1".into()),
            ("destination_workload".into(), format!("{svc}-v1")),
            ("destination_workload_namespace".into(), ns.clone()),
            (
                "reporter".into(),
                if i % 2 == 0 { "source" } else { "destination" }.into(),
            ),
            ("request_protocol".into(), "http".into()),
            ("response_code".into(), ["200", "404", "503"][i % 3].into()),
            ("response_flags".into(), "-".into()),
            ("source_app".into(), format!("client-{}", i % 11)),
            ("source_canonical_revision".into(), "latest".into()),
            (
                "source_canonical_service".into(),
                format!("client-{}", i % 11),
            ),
            ("source_cluster".into(), "Kubernetes".into()),
            (
                "source_principal".into(),
                format!("spiffe://cluster.local/ns/{ns}/sa/client"),
            ),
            ("source_version".into(), "unknown".into()),
            ("source_workload".into(), format!("client-{}-v1", i % 11)),
        ];
        if fam.ends_with("_bucket") {
            l.push(("le".into(), les[i % les.len()].into()));
        } else {
            l.push(("source_workload_namespace".into(), ns.clone()));
        }
        // Exposition order is not sorted: Istio writes `le` last and the name first.
        let raw = format!(
            "{fam}{{{}}}",
            l[1..]
                .iter()
                .map(|(n, v)| format!("{n}=\"{v}\""))
                .collect::<Vec<_>>()
                .join(",")
        );
        out.push((raw, l));
        i += 1;
    }
    out
}

/// ~2000 Envoy-style series (a few labels, ~100 bytes of raw text) for comparison with the long Istio series.
fn envoy_series() -> Vec<(String, Vec<(String, String)>)> {
    let stats = [
        "upstream_rq_total",
        "upstream_cx_active",
        "upstream_rq_time_bucket",
        "upstream_cx_length_ms_bucket",
    ];
    (0..2000)
        .map(|i| {
            let name = format!("envoy_cluster_{}", stats[i % stats.len()]);
            let cluster = format!(
                "outbound|9080||svc-{}.ns-{}.svc.cluster.local",
                i % 97,
                i % 5
            );
            let mut l = vec![
                ("__name__".to_string(), name.clone()),
                ("cluster_name".to_string(), cluster.clone()),
            ];
            let mut raw = format!("{name}{{cluster_name=\"{cluster}\"");
            if name.ends_with("_bucket") {
                let le = ["1", "5", "25", "100", "+Inf"][i % 5];
                l.push(("le".to_string(), le.to_string()));
                raw.push_str(&format!(",le=\"{le}\""));
            }
            raw.push('}');
            (raw, l)
        })
        .collect()
}

fn rule_sets(c: &mut Criterion) {
    for (name, yaml, labels, dropped) in [
        ("example", EXAMPLE, EXAMPLE_LABELS, false),
        ("kubernetes", KUBERNETES, K8S_LABELS, true),
        ("static_label_pair", STATIC, STATIC_LABELS, false),
    ] {
        let rules = rules_from_yaml(yaml, UTF8).unwrap();
        let p = Pipeline::new(&rules, UTF8).unwrap();
        let naive = NaivePipeline::new(&rules, UTF8).unwrap();
        let mut r = p.relabeler();
        assert_eq!(r.apply(labels).is_dropped(), dropped);
        assert_eq!(naive.apply(labels).is_none(), dropped);
        let mut g = c.benchmark_group(format!("relabel/{name}"));
        g.bench_function("compiled", |b| {
            b.iter(|| black_box(r.apply(black_box(labels))))
        });
        g.bench_function("naive", |b| {
            b.iter(|| black_box(naive.apply(black_box(labels))))
        });
        g.finish();
    }
}

fn metric_relabel(c: &mut Criterion) {
    for (group, series) in [
        ("istio_2000_series", istio_series()),
        ("envoy_2000_series", envoy_series()),
    ] {
        metric_relabel_group(c, group, &series);
    }
}

fn metric_relabel_group(
    c: &mut Criterion,
    group: &str,
    series: &[(String, Vec<(String, String)>)],
) {
    let rules = rules_from_yaml(METRIC_RULES, UTF8).unwrap();
    let p = Pipeline::new(&rules, UTF8).unwrap();
    let naive = NaivePipeline::new(&rules, UTF8).unwrap();
    let mut r = p.relabeler();
    let dropped = series
        .iter()
        .filter(|(_, l)| r.apply(l).is_dropped())
        .count();
    assert!(dropped > 0 && dropped < series.len());
    let n = series.len() as u64;
    let avg = series.iter().map(|(r, _)| r.len()).sum::<usize>() / series.len();
    eprintln!(
        "{group}: {} series, {dropped} dropped, raw series text {avg} bytes on average",
        series.len()
    );
    let mut g = c.benchmark_group(format!("relabel/metric_{group}"));
    g.throughput(criterion::Throughput::Elements(n));
    g.bench_function("naive", |b| {
        b.iter(|| {
            for (_, l) in series {
                black_box(naive.apply(l));
            }
        })
    });
    g.bench_function("uncached", |b| {
        b.iter(|| {
            for (_, l) in series {
                black_box(matches!(r.apply(l), Outcome::Dropped));
            }
        })
    });
    let mut cache = SeriesCache::new();
    g.bench_function("cached", |b| {
        b.iter(|| {
            cache.begin_scrape();
            for (raw, l) in series {
                black_box(cache.get_or_apply(&mut r, raw.as_bytes(), || l));
            }
            cache.end_scrape(true);
        })
    });
    g.finish();
}

criterion_group!(benches, rule_sets, metric_relabel);
criterion_main!(benches);
