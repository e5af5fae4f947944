//! Offline Kubernetes pod discovery against realistic pod lists (tests/data/k8s): Istio-injected Bookinfo pods,
//! a native sidecar, a hostNetwork DaemonSet pod, a pending pod without IP, an IPv6 pod and a port-less pod.
#![cfg(feature = "kubernetes")]

use promtext::config::{ConfigDocument, KubernetesSdConfig, ScrapeJob};
use promtext::discovery::kubernetes::Cluster;
use promtext::discovery::{DiscoveredTarget, DiscoveryError, TargetState, job_targets};

const PODS: &str = include_str!("data/k8s/pods.json");
const NODES: &str = include_str!("data/k8s/nodes.json");
const NAMESPACES: &str = include_str!("data/k8s/namespaces.json");
const CONFIG: &str = include_str!("data/k8s/prometheus.yml");

fn cluster() -> Cluster {
    Cluster::from_pods(PODS.as_bytes())
        .unwrap()
        .with_nodes(NODES.as_bytes())
        .unwrap()
        .with_namespaces(NAMESPACES.as_bytes())
        .unwrap()
}

fn job(name: &str) -> ScrapeJob {
    let doc = ConfigDocument::from_yaml(CONFIG).unwrap();
    doc.jobs()
        .iter()
        .find(|j| j.job_name == name)
        .unwrap()
        .clone()
}

fn pod_sd() -> KubernetesSdConfig {
    KubernetesSdConfig {
        role: "pod".into(),
        ..Default::default()
    }
}

fn summary(ts: &[DiscoveredTarget]) -> Vec<(String, String)> {
    ts.iter()
        .map(|t| {
            let s = match &t.state {
                TargetState::Active(a) => format!("active {} {}", a.url(), a.labels()),
                TargetState::Dropped { rule } => format!("dropped by {rule:?}"),
                TargetState::Duplicate => "duplicate".into(),
                TargetState::Failed(e) => format!("failed: {e}"),
                _ => "?".into(),
            };
            (t.source.clone(), s)
        })
        .collect()
}

#[test]
fn groups_of_the_pod_role() {
    let c = cluster();
    assert_eq!(c.pod_count(), 6);
    let groups = c.target_groups(&pod_sd()).unwrap();
    let sources: Vec<&str> = groups.iter().map(|g| g.source.as_str()).collect();
    // The pending pod has no IP, hence no group.
    assert_eq!(
        sources,
        [
            "pod/default/reviews-v1-545db77b95-6xk2p",
            "pod/default/productpage-v1-d5789fdfb-8q7xz",
            "pod/monitoring/node-exporter-x7k2d",
            "pod/bookinfo-v6/details-v1-65cfcf56f9-4xk8l",
            "pod/default/debug",
        ]
    );
    let addrs = |i: usize| -> Vec<String> {
        (0..groups[i].targets.len())
            .map(|t| {
                let l = groups[i].target_labels(t);
                let get = |n: &str| {
                    l.iter()
                        .find(|(k, _)| k == n)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                format!(
                    "{} {} init={}",
                    get("__address__"),
                    get("__meta_kubernetes_pod_container_name"),
                    get("__meta_kubernetes_pod_container_init")
                )
            })
            .collect()
    };
    // Regular containers first, then init containers (a port-less one on the bare IP).
    assert_eq!(
        addrs(0),
        [
            "10.244.1.7:9080 reviews init=false",
            "10.244.1.7:15090 istio-proxy init=false",
            "10.244.1.7 istio-init init=true",
        ]
    );
    // The native sidecar is an init container.
    assert_eq!(
        addrs(1),
        [
            "10.244.2.11:9080 productpage init=false",
            "10.244.2.11 istio-init init=true",
            "10.244.2.11:15090 istio-proxy init=true",
        ]
    );
    // hostNetwork: the pod IP is the node's.
    assert_eq!(addrs(2), ["172.18.0.2:9100 node-exporter init=false"]);
    assert_eq!(
        addrs(3),
        [
            "[fd00:10:244:1::7]:9080 details init=false",
            "[fd00:10:244:1::7]:15090 istio-proxy init=false",
            "fd00:10:244:1::7 istio-init init=true",
        ]
    );
    assert_eq!(addrs(4), ["10.244.1.9 shell init=false"]);
}

#[test]
fn every_label_of_a_sidecar_target() {
    let groups = cluster().target_groups(&pod_sd()).unwrap();
    let mut got = groups[0].target_labels(1);
    got.sort();
    let want: &[(&str, &str)] = &[
        ("__address__", "10.244.1.7:15090"),
        ("__meta_kubernetes_namespace", "default"),
        (
            "__meta_kubernetes_pod_annotation_kubectl_kubernetes_io_default_container",
            "reviews",
        ),
        (
            "__meta_kubernetes_pod_annotation_prometheus_io_path",
            "/stats/prometheus",
        ),
        (
            "__meta_kubernetes_pod_annotation_prometheus_io_port",
            "15020",
        ),
        (
            "__meta_kubernetes_pod_annotation_prometheus_io_scrape",
            "true",
        ),
        (
            "__meta_kubernetes_pod_annotation_sidecar_istio_io_status",
            r#"{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy"]}"#,
        ),
        (
            "__meta_kubernetes_pod_annotationpresent_kubectl_kubernetes_io_default_container",
            "true",
        ),
        (
            "__meta_kubernetes_pod_annotationpresent_prometheus_io_path",
            "true",
        ),
        (
            "__meta_kubernetes_pod_annotationpresent_prometheus_io_port",
            "true",
        ),
        (
            "__meta_kubernetes_pod_annotationpresent_prometheus_io_scrape",
            "true",
        ),
        (
            "__meta_kubernetes_pod_annotationpresent_sidecar_istio_io_status",
            "true",
        ),
        (
            "__meta_kubernetes_pod_container_id",
            "containerd://5f1e0c2a9b",
        ),
        (
            "__meta_kubernetes_pod_container_image",
            "docker.io/istio/proxyv2:1.24.2",
        ),
        ("__meta_kubernetes_pod_container_init", "false"),
        ("__meta_kubernetes_pod_container_name", "istio-proxy"),
        (
            "__meta_kubernetes_pod_container_port_name",
            "http-envoy-prom",
        ),
        ("__meta_kubernetes_pod_container_port_number", "15090"),
        ("__meta_kubernetes_pod_container_port_protocol", "TCP"),
        ("__meta_kubernetes_pod_controller_kind", "ReplicaSet"),
        (
            "__meta_kubernetes_pod_controller_name",
            "reviews-v1-545db77b95",
        ),
        ("__meta_kubernetes_pod_host_ip", "172.18.0.3"),
        ("__meta_kubernetes_pod_ip", "10.244.1.7"),
        ("__meta_kubernetes_pod_label_app", "reviews"),
        (
            "__meta_kubernetes_pod_label_pod_template_hash",
            "545db77b95",
        ),
        (
            "__meta_kubernetes_pod_label_security_istio_io_tlsMode",
            "istio",
        ),
        (
            "__meta_kubernetes_pod_label_service_istio_io_canonical_name",
            "reviews",
        ),
        (
            "__meta_kubernetes_pod_label_service_istio_io_canonical_revision",
            "v1",
        ),
        ("__meta_kubernetes_pod_label_version", "v1"),
        ("__meta_kubernetes_pod_labelpresent_app", "true"),
        (
            "__meta_kubernetes_pod_labelpresent_pod_template_hash",
            "true",
        ),
        (
            "__meta_kubernetes_pod_labelpresent_security_istio_io_tlsMode",
            "true",
        ),
        (
            "__meta_kubernetes_pod_labelpresent_service_istio_io_canonical_name",
            "true",
        ),
        (
            "__meta_kubernetes_pod_labelpresent_service_istio_io_canonical_revision",
            "true",
        ),
        ("__meta_kubernetes_pod_labelpresent_version", "true"),
        ("__meta_kubernetes_pod_name", "reviews-v1-545db77b95-6xk2p"),
        ("__meta_kubernetes_pod_node_name", "worker-2"),
        ("__meta_kubernetes_pod_phase", "Running"),
        ("__meta_kubernetes_pod_ready", "true"),
        (
            "__meta_kubernetes_pod_uid",
            "7c1d5c43-3d0e-4a5c-9f6e-2b8a1f0c9d21",
        ),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn empty_values_are_absent_and_ready_defaults_to_unknown() {
    let groups = cluster().target_groups(&pod_sd()).unwrap();
    // `debug`: no owner, no labels, no conditions, no container status, no ports.
    let mut got = groups[4].target_labels(0);
    got.sort();
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "__address__",
            "__meta_kubernetes_namespace",
            "__meta_kubernetes_pod_container_image",
            "__meta_kubernetes_pod_container_init",
            "__meta_kubernetes_pod_container_name",
            "__meta_kubernetes_pod_host_ip",
            "__meta_kubernetes_pod_ip",
            "__meta_kubernetes_pod_name",
            "__meta_kubernetes_pod_node_name",
            "__meta_kubernetes_pod_phase",
            "__meta_kubernetes_pod_ready",
            "__meta_kubernetes_pod_uid",
        ]
    );
    assert!(got.contains(&("__meta_kubernetes_pod_ready".into(), "unknown".into())));
    // The hostNetwork pod is not ready.
    let ne = groups[2].target_labels(0);
    assert!(ne.contains(&("__meta_kubernetes_pod_ready".into(), "false".into())));
    assert!(ne.contains(&(
        "__meta_kubernetes_pod_controller_kind".into(),
        "DaemonSet".into()
    )));
}

#[test]
fn envoy_stats_job() {
    let ts = job_targets(&job("envoy-stats"), &cluster()).unwrap();
    let s = summary(&ts);
    let active: Vec<&(String, String)> =
        s.iter().filter(|(_, v)| v.starts_with("active")).collect();
    assert_eq!(
        active,
        [
            &(
                "pod/default/reviews-v1-545db77b95-6xk2p".to_string(),
                r#"active http://10.244.1.7:15090/stats/prometheus {instance="10.244.1.7:15090", job="envoy-stats", namespace="default", pod_name="reviews-v1-545db77b95-6xk2p"}"#.to_string()
            ),
            &(
                "pod/default/productpage-v1-d5789fdfb-8q7xz".to_string(),
                r#"active http://10.244.2.11:15090/stats/prometheus {instance="10.244.2.11:15090", job="envoy-stats", namespace="default", pod_name="productpage-v1-d5789fdfb-8q7xz"}"#.to_string()
            ),
            // The address rewrite's `[^:]+` does not match an IPv6 address: the discovered port stays.
            &(
                "pod/bookinfo-v6/details-v1-65cfcf56f9-4xk8l".to_string(),
                r#"active http://[fd00:10:244:1::7]:15090/stats/prometheus {instance="[fd00:10:244:1::7]:15090", job="envoy-stats", namespace="bookinfo-v6", pod_name="details-v1-65cfcf56f9-4xk8l"}"#.to_string()
            ),
        ]
    );
    assert_eq!(ts.len(), 11);
    assert!(
        s.iter()
            .filter(|(_, v)| !v.starts_with("active"))
            .all(|(_, v)| v == "dropped by Some(0)")
    );
    // Discovered labels carry the job defaults, as /api/v1/targets shows them.
    let d = &ts[0].discovered;
    assert_eq!(d.get("job"), Some("envoy-stats"));
    assert_eq!(d.get("__scrape_interval__"), Some("30s"));
    assert_eq!(d.get("__scrape_timeout__"), Some("10s"));
    assert_eq!(d.get("__metrics_path__"), Some("/stats/prometheus"));
    assert_eq!(d.get("__scheme__"), Some("http"));
}

#[test]
fn annotation_job_deduplicates_and_shows_the_ipv6_trap() {
    let ts = job_targets(&job("kubernetes-pods"), &cluster()).unwrap();
    let s = summary(&ts);
    let got: Vec<String> = s.iter().map(|(src, v)| format!("{src} {v}")).collect();
    let rv = r#"{app="reviews", instance="10.244.1.7:15020", job="kubernetes-pods", namespace="default", pod="reviews-v1-545db77b95-6xk2p", pod_template_hash="545db77b95", security_istio_io_tlsMode="istio", service_istio_io_canonical_name="reviews", service_istio_io_canonical_revision="v1", version="v1"}"#;
    let pp = r#"{app="productpage", instance="10.244.2.11:15020", job="kubernetes-pods", namespace="default", pod="productpage-v1-d5789fdfb-8q7xz", security_istio_io_tlsMode="istio", version="v1"}"#;
    let v6 = |addr: &str| {
        format!(
            r#"pod/bookinfo-v6/details-v1-65cfcf56f9-4xk8l active http://{addr}/stats/prometheus {{app="details", instance="{addr}", job="kubernetes-pods", namespace="bookinfo-v6", pod="details-v1-65cfcf56f9-4xk8l", version="v1"}}"#
        )
    };
    assert_eq!(
        got,
        [
            format!(
                "pod/default/reviews-v1-545db77b95-6xk2p active http://10.244.1.7:15020/stats/prometheus {rv}"
            ),
            "pod/default/reviews-v1-545db77b95-6xk2p duplicate".to_string(),
            "pod/default/reviews-v1-545db77b95-6xk2p duplicate".to_string(),
            format!(
                "pod/default/productpage-v1-d5789fdfb-8q7xz active http://10.244.2.11:15020/stats/prometheus {pp}"
            ),
            "pod/default/productpage-v1-d5789fdfb-8q7xz duplicate".to_string(),
            "pod/default/productpage-v1-d5789fdfb-8q7xz duplicate".to_string(),
            "pod/monitoring/node-exporter-x7k2d dropped by Some(0)".to_string(),
            v6("[fd00:10:244:1::7]:9080"),
            v6("[fd00:10:244:1::7]:15090"),
            v6("fd00:10:244:1::7"),
            "pod/default/debug dropped by Some(0)".to_string(),
        ]
    );
}

#[test]
fn selectors_namespaces_and_attached_metadata() {
    let ts = job_targets(&job("node-exporter"), &cluster()).unwrap();
    let s = summary(&ts);
    assert_eq!(
        s,
        [(
            "pod/monitoring/node-exporter-x7k2d".to_string(),
            r#"active http://172.18.0.2:9100/metrics?collect%5B%5D=cpu&collect%5B%5D=meminfo {instance="172.18.0.2:9100", job="node-exporter", node="worker-1", owner="sre", zone="eu-west-1a"}"#.to_string()
        )]
    );
    let d = &ts[0].discovered;
    assert_eq!(d.get("__meta_kubernetes_node_name"), Some("worker-1"));
    assert_eq!(
        d.get("__meta_kubernetes_node_labelpresent_node_role_kubernetes_io_worker"),
        Some("true")
    );
    // An empty label value is absent, its `present` twin is not.
    assert_eq!(
        d.get("__meta_kubernetes_node_label_node_role_kubernetes_io_worker"),
        None
    );
    assert_eq!(
        d.get("__meta_kubernetes_namespace_label_kubernetes_io_metadata_name"),
        Some("monitoring")
    );
    assert_eq!(
        d.get("__meta_kubernetes_namespace_annotationpresent_owner"),
        Some("true")
    );
    assert_eq!(d.get("__scrape_interval__"), Some("15s"));
    assert_eq!(d.get("__param_collect[]"), Some("cpu"));
}

fn with_sd(yaml_sd: &str) -> Result<Vec<DiscoveredTarget>, DiscoveryError> {
    let doc = ConfigDocument::from_yaml(&format!(
        "scrape_configs:\n- job_name: j\n  kubernetes_sd_configs:\n{yaml_sd}"
    ))
    .unwrap();
    job_targets(&doc.jobs()[0], &cluster())
}

#[test]
fn selector_cases() {
    let count = |sd: &str| with_sd(sd).unwrap().len();
    assert_eq!(count("  - role: pod\n"), 11);
    assert_eq!(
        count("  - role: pod\n    namespaces: {names: [default]}\n"),
        7
    );
    assert_eq!(
        count("  - role: pod\n    namespaces: {names: [default, bookinfo-v6]}\n"),
        10
    );
    let sel = |label: &str, field: &str| {
        count(&format!(
            "  - role: pod\n    selectors:\n    - role: pod\n      label: '{label}'\n      field: '{field}'\n"
        ))
    };
    assert_eq!(sel("app in (reviews, details)", ""), 6);
    assert_eq!(sel("app notin (reviews)", ""), 8);
    // node-exporter (app.kubernetes.io/name only) and debug (no labels).
    assert_eq!(sel("!app", ""), 2);
    assert_eq!(sel("version=v1,app!=details", ""), 6);
    assert_eq!(sel("", "spec.nodeName=worker-1"), 4);
    assert_eq!(sel("", "spec.hostNetwork=true"), 1);
    assert_eq!(sel("", "status.podIP=fd00:10:244:1::7"), 3);
    assert_eq!(sel("", "metadata.namespace!=default"), 4);
    // Two SD configs: the same pods twice; identical targets are scraped once.
    let both = with_sd("  - role: pod\n  - role: pod\n").unwrap();
    assert_eq!(both.len(), 22);
    assert_eq!(
        both.iter()
            .filter(|t| matches!(t.state, TargetState::Duplicate))
            .count(),
        11
    );
}

#[test]
fn discovery_errors() {
    let e =
        with_sd("  - role: pod\n    selectors:\n    - role: pod\n      field: 'spec.bogus=1'\n")
            .unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"invalid selector "spec.bogus=1": field label not supported: spec.bogus"#
    );
    let e =
        with_sd("  - role: pod\n    selectors:\n    - role: pod\n      label: 'app in reviews'\n")
            .unwrap_err();
    assert!(matches!(e, DiscoveryError::Selector { .. }), "{e}");
    let e = with_sd("  - role: service\n").unwrap_err();
    assert!(matches!(e, DiscoveryError::UnsupportedRole(_)), "{e}");
    let e = with_sd("  - role: pod\n    namespaces: {own_namespace: true}\n").unwrap_err();
    assert!(matches!(e, DiscoveryError::Missing(_)), "{e}");
    let no_nodes = Cluster::from_pods(PODS.as_bytes()).unwrap();
    let e = job_targets(&job("node-exporter"), &no_nodes).unwrap_err();
    assert!(e.to_string().contains("kubectl get nodes"), "{e}");
    // Configuration errors as Prometheus words them.
    for (sd, msg) in [
        ("  - role: bogus\n", r#"unknown Kubernetes SD role "bogus""#),
        (
            "  - {}\n",
            "role missing (one of: pod, service, endpoints, endpointslice, node, ingress)",
        ),
        (
            "  - role: pod\n    selectors: [{role: service}]\n",
            "pod role supports only pod, node selectors",
        ),
    ] {
        let e = ConfigDocument::from_yaml(&format!(
            "scrape_configs:\n- job_name: j\n  kubernetes_sd_configs:\n{sd}"
        ))
        .unwrap_err();
        assert!(e.to_string().contains(msg), "{e}");
    }
    for bad in [
        "",
        "{",
        "[]",
        "{\"kind\": \"List\"}",
        "{\"items\": [{\"spec\": {\"containers\": 3}}]}",
    ] {
        assert!(Cluster::from_pods(bad.as_bytes()).is_err(), "{bad:?}");
    }
}

#[test]
fn yaml_dumps_and_single_pods() {
    let one = r#"
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns, labels: null}
spec:
  containers:
  - name: c
    ports: [{containerPort: 8080}]
status: {podIP: 10.1.2.3}
"#;
    let c = Cluster::from_pods(one.as_bytes())
        .unwrap()
        .with_own_namespace("ns");
    let g = c.target_groups(&pod_sd()).unwrap();
    assert_eq!(g.len(), 1);
    let t = g[0].target_labels(0);
    assert!(t.contains(&("__address__".into(), "10.1.2.3:8080".into())));
    // No protocol in the dump: the label is absent.
    assert!(
        !t.iter()
            .any(|(n, _)| n == "__meta_kubernetes_pod_container_port_protocol")
    );
    let sd = KubernetesSdConfig {
        role: "pod".into(),
        namespaces: promtext::config::KubernetesNamespaces {
            own_namespace: true,
            names: vec![],
        },
        ..Default::default()
    };
    assert_eq!(c.target_groups(&sd).unwrap().len(), 1);
}
