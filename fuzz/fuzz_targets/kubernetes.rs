//! Kubernetes pod discovery fuzz target: arbitrary pod lists (JSON/YAML bytes) and label/field selectors.
//! Checks: no panic; every target has a non-empty `__address__` built from the pod IP; no label value is empty;
//! every group's source names its pod; label names are sanitized.
#![no_main]

use libfuzzer_sys::fuzz_target;
use promtext::config::{KubernetesSdConfig, KubernetesSelector};
use promtext::discovery::kubernetes::Cluster;

fuzz_target!(|data: &[u8]| {
    // The first line holds the label selector, the second the field selector, the rest the pod list.
    let mut parts = data.splitn(3, |b| *b == b'\n');
    let label = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let field = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let pods = parts.next().unwrap_or_default();
    let Ok(cluster) = Cluster::from_pods(pods) else {
        return;
    };
    for selectors in [
        vec![],
        vec![KubernetesSelector {
            role: "pod".into(),
            label,
            field,
        }],
    ] {
        let sd = KubernetesSdConfig {
            role: "pod".into(),
            selectors,
            ..Default::default()
        };
        let Ok(groups) = cluster.target_groups(&sd) else {
            continue;
        };
        for g in &groups {
            assert!(g.source.starts_with("pod/"));
            let ip = g
                .labels
                .iter()
                .find(|(n, _)| n == "__meta_kubernetes_pod_ip")
                .map(|(_, v)| v.clone())
                .expect("a group has the pod IP");
            for i in 0..g.targets.len() {
                let t = g.target_labels(i);
                let addr = t.iter().find(|(n, _)| n == "__address__").expect("address");
                assert!(addr.1.contains(ip.as_str()));
                for (n, v) in &t {
                    assert!(!v.is_empty(), "{n} is empty");
                    assert!(
                        n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                        "{n} is not sanitized"
                    );
                }
            }
        }
    }
});
