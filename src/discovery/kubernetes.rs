//! Kubernetes discovery, role `pod`, from `kubectl get pods -A -o json` (and, for `attach_metadata`, `kubectl get
//! nodes -o json` / `kubectl get namespaces -o json`): the target groups Prometheus' Kubernetes discovery builds.
//!
//! Per pod with an IP, one group (`pod/<namespace>/<name>`) whose labels are `__meta_kubernetes_namespace`,
//! `__meta_kubernetes_pod_{name,ip,ready,phase,node_name,host_ip,uid}`, the pod's labels and annotations
//! (`__meta_kubernetes_pod_label_<name>`, `…_labelpresent_<name>`, `…_annotation_<name>`,
//! `…_annotationpresent_<name>`, names sanitized to `[a-zA-Z0-9_]`) and the controlling owner
//! (`…_controller_kind`, `…_controller_name`). One target per container port (`__address__` is `ip:port`, IPv6
//! bracketed) with `…_container_{name,id,image,init}` and `…_container_port_{name,number,protocol}`; a container
//! without ports is one target on the bare pod IP. Init containers (native sidecars included) follow the regular
//! ones. Empty values are absent, as in Prometheus.
//!
//! ```
//! use promtext::discovery::kubernetes::Cluster;
//! use promtext::config::KubernetesSdConfig;
//! let pods = r#"{"items": [{
//!   "metadata": {"name": "web-0", "namespace": "shop", "labels": {"app.kubernetes.io/name": "web"}},
//!   "spec": {"nodeName": "n1", "containers": [{"name": "web", "image": "nginx",
//!     "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}]}]},
//!   "status": {"podIP": "fd00::7", "phase": "Running",
//!     "conditions": [{"type": "Ready", "status": "True"}]}
//! }]}"#;
//! let cluster = Cluster::from_pods(pods.as_bytes())?;
//! let sd = KubernetesSdConfig { role: "pod".into(), ..Default::default() };
//! let groups = cluster.target_groups(&sd)?;
//! let g = &groups[0];
//! assert_eq!(g.source, "pod/shop/web-0");
//! let t = g.target_labels(0);
//! let get = |n: &str| t.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
//! assert_eq!(get("__address__"), Some("[fd00::7]:80"));
//! assert_eq!(get("__meta_kubernetes_pod_ready"), Some("true"));
//! assert_eq!(get("__meta_kubernetes_pod_label_app_kubernetes_io_name"), Some("web"));
//! assert_eq!(get("__meta_kubernetes_pod_labelpresent_app_kubernetes_io_name"), Some("true"));
//! assert_eq!(get("__meta_kubernetes_pod_container_init"), Some("false"));
//! # Ok::<(), promtext::discovery::DiscoveryError>(())
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{DiscoveryError, TargetGroup};
use crate::config::{KubernetesSdConfig, KubernetesSelector};

const META: &str = "__meta_kubernetes_";

/// Treats an explicit `null` as the default value (`kubectl` and hand-written dumps both use it).
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ObjectMeta {
    #[serde(deserialize_with = "nullable")]
    name: String,
    #[serde(deserialize_with = "nullable")]
    namespace: String,
    #[serde(deserialize_with = "nullable")]
    uid: String,
    #[serde(deserialize_with = "nullable")]
    labels: BTreeMap<String, String>,
    #[serde(deserialize_with = "nullable")]
    annotations: BTreeMap<String, String>,
    #[serde(deserialize_with = "nullable")]
    owner_references: Vec<OwnerReference>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct OwnerReference {
    #[serde(deserialize_with = "nullable")]
    kind: String,
    #[serde(deserialize_with = "nullable")]
    name: String,
    controller: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Object {
    #[serde(deserialize_with = "nullable")]
    metadata: ObjectMeta,
    #[serde(deserialize_with = "nullable")]
    spec: NodeSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct NodeSpec {
    #[serde(deserialize_with = "nullable")]
    unschedulable: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Pod {
    #[serde(deserialize_with = "nullable")]
    metadata: ObjectMeta,
    #[serde(deserialize_with = "nullable")]
    spec: PodSpec,
    #[serde(deserialize_with = "nullable")]
    status: PodStatus,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct PodSpec {
    #[serde(deserialize_with = "nullable")]
    node_name: String,
    #[serde(deserialize_with = "nullable")]
    containers: Vec<Container>,
    #[serde(deserialize_with = "nullable")]
    init_containers: Vec<Container>,
    #[serde(deserialize_with = "nullable")]
    host_network: bool,
    #[serde(deserialize_with = "nullable")]
    restart_policy: String,
    #[serde(deserialize_with = "nullable")]
    scheduler_name: String,
    #[serde(deserialize_with = "nullable")]
    service_account_name: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Container {
    #[serde(deserialize_with = "nullable")]
    name: String,
    #[serde(deserialize_with = "nullable")]
    image: String,
    #[serde(deserialize_with = "nullable")]
    ports: Vec<ContainerPort>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ContainerPort {
    #[serde(deserialize_with = "nullable")]
    name: String,
    #[serde(deserialize_with = "nullable")]
    container_port: i64,
    #[serde(deserialize_with = "nullable")]
    protocol: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct PodStatus {
    #[serde(deserialize_with = "nullable")]
    phase: String,
    #[serde(rename = "podIP", deserialize_with = "nullable")]
    pod_ip: String,
    #[serde(rename = "podIPs", deserialize_with = "nullable")]
    pod_ips: Vec<PodIp>,
    #[serde(rename = "hostIP", deserialize_with = "nullable")]
    host_ip: String,
    #[serde(deserialize_with = "nullable")]
    nominated_node_name: String,
    #[serde(deserialize_with = "nullable")]
    conditions: Vec<Condition>,
    #[serde(deserialize_with = "nullable")]
    container_statuses: Vec<ContainerStatus>,
    #[serde(deserialize_with = "nullable")]
    init_container_statuses: Vec<ContainerStatus>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct PodIp {
    #[serde(deserialize_with = "nullable")]
    ip: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Condition {
    #[serde(rename = "type", deserialize_with = "nullable")]
    kind: String,
    #[serde(deserialize_with = "nullable")]
    status: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ContainerStatus {
    #[serde(deserialize_with = "nullable")]
    name: String,
    #[serde(rename = "containerID", deserialize_with = "nullable")]
    container_id: String,
}

#[derive(Deserialize)]
struct List<T> {
    items: Vec<T>,
}

/// Decodes a `List` (`kubectl get … -o json|yaml`) or a single object, straight into the typed model.
fn decode_list<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &'static str,
) -> Result<Vec<T>, DiscoveryError> {
    let err = |message: String| DiscoveryError::Decode { what, message };
    let json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let list: Result<List<T>, String> = if json {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    } else {
        yaml_serde::from_slice(bytes).map_err(|e| e.to_string())
    };
    match list {
        Ok(l) => Ok(l.items),
        // Not a list: one object (`kubectl get pod NAME -o json`).
        Err(e) if e.contains("missing field `items`") => {
            let has_meta = |v: &serde_json::Value| v.get("metadata").is_some();
            let v: serde_json::Value = if json {
                serde_json::from_slice(bytes).map_err(|e| err(e.to_string()))?
            } else {
                yaml_serde::from_slice(bytes).map_err(|e| err(e.to_string()))?
            };
            if !has_meta(&v) {
                return Err(err(
                    "neither a List with items nor a single object with metadata".into(),
                ));
            }
            Ok(vec![
                serde_json::from_value(v).map_err(|e| err(e.to_string()))?,
            ])
        }
        Err(e) => Err(err(e)),
    }
}

/// Pods (and optionally nodes and namespaces) of a cluster, as dumped by `kubectl`.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    pods: Vec<Pod>,
    nodes: Option<Vec<Object>>,
    namespaces: Option<Vec<Object>>,
    own_namespace: Option<String>,
}

impl Cluster {
    /// Reads a pod list (`kubectl get pods -A -o json`, or `-o yaml`, or one pod).
    pub fn from_pods(bytes: &[u8]) -> Result<Cluster, DiscoveryError> {
        Ok(Cluster {
            pods: decode_list(bytes, "pods")?,
            ..Cluster::default()
        })
    }

    /// Adds a node list (`kubectl get nodes -o json`), needed by `attach_metadata: {node: true}`.
    pub fn with_nodes(mut self, bytes: &[u8]) -> Result<Cluster, DiscoveryError> {
        self.nodes = Some(decode_list(bytes, "nodes")?);
        Ok(self)
    }

    /// Adds a namespace list (`kubectl get namespaces -o json`), needed by `attach_metadata: {namespace: true}`.
    pub fn with_namespaces(mut self, bytes: &[u8]) -> Result<Cluster, DiscoveryError> {
        self.namespaces = Some(decode_list(bytes, "namespaces")?);
        Ok(self)
    }

    /// The namespace Prometheus runs in, for `namespaces: {own_namespace: true}`.
    pub fn with_own_namespace(mut self, ns: impl Into<String>) -> Cluster {
        self.own_namespace = Some(ns.into());
        self
    }

    /// Number of pods read.
    pub fn pod_count(&self) -> usize {
        self.pods.len()
    }

    /// The target groups of one `kubernetes_sd_configs` entry, one per selected pod with an IP, in input order.
    pub fn target_groups(
        &self,
        sd: &KubernetesSdConfig,
    ) -> Result<Vec<TargetGroup>, DiscoveryError> {
        if sd.role != "pod" {
            return Err(DiscoveryError::UnsupportedRole(sd.role.clone()));
        }
        let mut names: Vec<&str> = sd.namespaces.names.iter().map(String::as_str).collect();
        if sd.namespaces.own_namespace {
            match &self.own_namespace {
                Some(ns) => names.push(ns),
                None => {
                    return Err(DiscoveryError::Missing(
                        "namespaces.own_namespace needs the namespace Prometheus runs in",
                    ));
                }
            }
        }
        let selector = |role: &str| -> Result<Option<Selectors>, DiscoveryError> {
            sd.selectors
                .iter()
                .find(|s| s.role == role)
                .map(Selectors::parse)
                .transpose()
        };
        let pod_sel = selector("pod")?;
        let node_sel = selector("node")?;
        let nodes = if sd.attach_metadata.node {
            let nodes = self.nodes.as_ref().ok_or(DiscoveryError::Missing(
                "attach_metadata.node needs a node list (kubectl get nodes -o json)",
            ))?;
            let mut kept = Vec::new();
            for n in nodes {
                if node_sel
                    .as_ref()
                    .map(|s| s.matches_node(n))
                    .transpose()?
                    .unwrap_or(true)
                {
                    kept.push(n);
                }
            }
            Some(kept)
        } else {
            None
        };
        let namespaces = if sd.attach_metadata.namespace {
            Some(self.namespaces.as_ref().ok_or(DiscoveryError::Missing(
                "attach_metadata.namespace needs a namespace list (kubectl get namespaces -o json)",
            ))?)
        } else {
            None
        };
        let mut out = Vec::new();
        for pod in &self.pods {
            if !names.is_empty() && !names.contains(&pod.metadata.namespace.as_str()) {
                continue;
            }
            if let Some(s) = &pod_sel {
                if !s.matches_pod(pod)? {
                    continue;
                }
            }
            // A pod without an IP (pending, evicted) has no targets.
            if pod.status.pod_ip.is_empty() {
                continue;
            }
            let mut g = build_pod(pod);
            if let Some(nodes) = &nodes {
                if let Some(n) = nodes.iter().find(|n| n.metadata.name == pod.spec.node_name) {
                    object_meta_labels(&mut g.labels, &n.metadata, "node");
                }
            }
            if let Some(nss) = namespaces {
                if let Some(n) = nss
                    .iter()
                    .find(|n| n.metadata.name == pod.metadata.namespace)
                {
                    // The namespace's name is already `__meta_kubernetes_namespace`.
                    meta_map_labels(&mut g.labels, "namespace_", &n.metadata);
                }
            }
            g.labels.retain(|(_, v)| !v.is_empty());
            out.push(g);
        }
        Ok(out)
    }
}

/// Prometheus' `strutil.SanitizeLabelName`: every character outside `[a-zA-Z0-9_]` becomes `_`.
pub fn sanitize_label_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn meta_map_labels(out: &mut Vec<(String, String)>, prefix: &str, m: &ObjectMeta) {
    for (kind, map) in [("label", &m.labels), ("annotation", &m.annotations)] {
        for (k, v) in map {
            let ln = sanitize_label_name(k);
            push_set(out, format!("{META}{prefix}{kind}_{ln}"), v.clone());
            push_set(
                out,
                format!("{META}{prefix}{kind}present_{ln}"),
                "true".into(),
            );
        }
    }
}

fn object_meta_labels(out: &mut Vec<(String, String)>, m: &ObjectMeta, role: &str) {
    push_set(out, format!("{META}{role}_name"), m.name.clone());
    meta_map_labels(out, &format!("{role}_"), m);
}

/// Sets `name` (a later value of a name replaces an earlier one, as in a Go map).
fn push_set(out: &mut Vec<(String, String)>, name: String, value: String) {
    match out.iter_mut().find(|(n, _)| *n == name) {
        Some(e) => e.1 = value,
        None => out.push((name, value)),
    }
}

fn pod_ready(pod: &Pod) -> String {
    pod.status
        .conditions
        .iter()
        .find(|c| c.kind == "Ready")
        .map(|c| c.status.to_lowercase())
        .unwrap_or_else(|| "unknown".into())
}

/// Go's `net.JoinHostPort`.
fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn build_pod(pod: &Pod) -> TargetGroup {
    let m = &pod.metadata;
    let s = &pod.status;
    let mut labels = vec![
        (format!("{META}pod_ip"), s.pod_ip.clone()),
        (format!("{META}pod_ready"), pod_ready(pod)),
        (format!("{META}pod_phase"), s.phase.clone()),
        (format!("{META}pod_node_name"), pod.spec.node_name.clone()),
        (format!("{META}pod_host_ip"), s.host_ip.clone()),
        (format!("{META}pod_uid"), m.uid.clone()),
    ];
    object_meta_labels(&mut labels, m, "pod");
    if let Some(c) = m
        .owner_references
        .iter()
        .find(|o| o.controller == Some(true))
    {
        labels.push((format!("{META}pod_controller_kind"), c.kind.clone()));
        labels.push((format!("{META}pod_controller_name"), c.name.clone()));
    }
    labels.push((format!("{META}namespace"), m.namespace.clone()));
    let regular = pod.spec.containers.iter().map(|c| (c, false));
    let init = pod.spec.init_containers.iter().map(|c| (c, true));
    let mut targets = Vec::new();
    for (c, is_init) in regular.chain(init) {
        let statuses = if is_init {
            &s.init_container_statuses
        } else {
            &s.container_statuses
        };
        let id = statuses
            .iter()
            .find(|st| st.name == c.name)
            .map(|st| st.container_id.clone())
            .unwrap_or_default();
        let common = [
            (format!("{META}pod_container_name"), c.name.clone()),
            (format!("{META}pod_container_id"), id),
            (format!("{META}pod_container_image"), c.image.clone()),
            (format!("{META}pod_container_init"), is_init.to_string()),
        ];
        if c.ports.is_empty() {
            // No port: the bare pod IP, for relabeling to complete.
            let mut t = vec![("__address__".to_string(), s.pod_ip.clone())];
            t.extend(common.iter().cloned());
            t.retain(|(_, v)| !v.is_empty());
            targets.push(t);
            continue;
        }
        for p in &c.ports {
            let port = p.container_port.to_string();
            let mut t = vec![("__address__".to_string(), join_host_port(&s.pod_ip, &port))];
            t.extend(common.iter().cloned());
            t.push((format!("{META}pod_container_port_name"), p.name.clone()));
            t.push((format!("{META}pod_container_port_number"), port));
            t.push((
                format!("{META}pod_container_port_protocol"),
                p.protocol.clone(),
            ));
            t.retain(|(_, v)| !v.is_empty());
            targets.push(t);
        }
    }
    labels.retain(|(_, v)| !v.is_empty());
    TargetGroup {
        source: format!("pod/{}/{}", m.namespace, m.name),
        labels,
        targets,
    }
}

/// A parsed label and field selector pair.
#[derive(Debug, Clone)]
struct Selectors {
    raw_field: String,
    label: Vec<Requirement>,
    field: Vec<(String, bool, String)>,
}

#[derive(Debug, Clone)]
enum Op {
    Exists,
    NotExists,
    Eq(String),
    NotEq(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Gt(i64),
    Lt(i64),
}

#[derive(Debug, Clone)]
struct Requirement {
    key: String,
    op: Op,
}

impl Requirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let v = labels.get(&self.key);
        match &self.op {
            Op::Exists => v.is_some(),
            Op::NotExists => v.is_none(),
            Op::Eq(x) => v == Some(x),
            Op::NotEq(x) => v != Some(x),
            Op::In(xs) => v.is_some_and(|v| xs.contains(v)),
            Op::NotIn(xs) => v.is_none_or(|v| !xs.contains(v)),
            Op::Gt(n) => v
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v > *n),
            Op::Lt(n) => v
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v < *n),
        }
    }
}

fn sel_err(selector: &str, message: impl Into<String>) -> DiscoveryError {
    DiscoveryError::Selector {
        selector: selector.to_string(),
        message: message.into(),
    }
}

/// Parses a Kubernetes label selector (`a=b,c!=d,e in (f,g),h notin (i),j,!k,l>3`).
fn parse_label_selector(s: &str) -> Result<Vec<Requirement>, DiscoveryError> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    let is_special = |c: u8| {
        matches!(c, b'!' | b'=' | b'<' | b'>' | b'(' | b')' | b',') || c.is_ascii_whitespace()
    };
    let word = |i: &mut usize| -> String {
        let st = *i;
        while *i < b.len() && !is_special(b[*i]) {
            *i += 1;
        }
        s[st..*i].to_string()
    };
    skip_ws(&mut i);
    if i == b.len() {
        return Ok(out);
    }
    loop {
        skip_ws(&mut i);
        let negated = b.get(i) == Some(&b'!');
        if negated {
            i += 1;
            skip_ws(&mut i);
        }
        let key = word(&mut i);
        if key.is_empty() {
            return Err(sel_err(s, "found an empty key or a misplaced operator"));
        }
        skip_ws(&mut i);
        let op = if negated {
            Op::NotExists
        } else if i == b.len() || b[i] == b',' {
            Op::Exists
        } else if s[i..].starts_with("==")
            || s[i..].starts_with("!=")
            || b[i] == b'='
            || b[i] == b'<'
            || b[i] == b'>'
        {
            let (len, kind) = if s[i..].starts_with("==") {
                (2, 0)
            } else if s[i..].starts_with("!=") {
                (2, 1)
            } else {
                (
                    1,
                    match b[i] {
                        b'=' => 0,
                        b'<' => 2,
                        _ => 3,
                    },
                )
            };
            i += len;
            skip_ws(&mut i);
            let v = word(&mut i);
            match kind {
                0 => Op::Eq(v),
                1 => Op::NotEq(v),
                _ => {
                    let n: i64 = v.parse().map_err(|_| {
                        sel_err(
                            s,
                            format!(
                                "for 'Gt', 'Lt' operators, the value must be an integer: {v:?}"
                            ),
                        )
                    })?;
                    if kind == 2 { Op::Lt(n) } else { Op::Gt(n) }
                }
            }
        } else {
            let w = word(&mut i);
            let not = match w.as_str() {
                "in" => false,
                "notin" => true,
                _ => {
                    return Err(sel_err(
                        s,
                        format!("found {w:?}, expected: in, notin, =, ==, !=, gt, lt"),
                    ));
                }
            };
            skip_ws(&mut i);
            if b.get(i) != Some(&b'(') {
                return Err(sel_err(s, "expected '(' after in/notin"));
            }
            i += 1;
            let mut vals = Vec::new();
            loop {
                skip_ws(&mut i);
                vals.push(word(&mut i));
                skip_ws(&mut i);
                match b.get(i) {
                    Some(b',') => i += 1,
                    Some(b')') => {
                        i += 1;
                        break;
                    }
                    _ => return Err(sel_err(s, "expected ',' or ')' in a value set")),
                }
            }
            if not { Op::NotIn(vals) } else { Op::In(vals) }
        };
        out.push(Requirement { key, op });
        skip_ws(&mut i);
        match b.get(i) {
            None => return Ok(out),
            Some(b',') => i += 1,
            Some(_) => return Err(sel_err(s, format!("unexpected {:?}", &s[i..]))),
        }
    }
}

/// Parses a field selector (`spec.nodeName=n1,status.phase!=Failed`, `\` escapes `,`, `=`, `!`, `\`).
fn parse_field_selector(s: &str) -> Result<Vec<(String, bool, String)>, DiscoveryError> {
    let mut out = Vec::new();
    if s.trim().is_empty() {
        return Ok(out);
    }
    let mut terms = vec![String::new()];
    let mut esc = false;
    // Keep escapes inside terms (to find operators), split on unescaped commas.
    for c in s.chars() {
        let last = terms.last_mut().expect("never empty");
        if esc {
            last.push('\\');
            last.push(c);
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else if c == ',' {
            terms.push(String::new());
        } else {
            last.push(c);
        }
    }
    for t in terms {
        let bytes = t.as_bytes();
        let mut found = None;
        let mut j = 0;
        while j < bytes.len() {
            if bytes[j] == b'\\' {
                j += 2;
                continue;
            }
            // Bytes, not `str` slices: an escaped character may be several bytes long.
            if bytes[j..].starts_with(b"!=") {
                found = Some((j, 2, true));
            } else if bytes[j..].starts_with(b"==") {
                found = Some((j, 2, false));
            } else if bytes[j] == b'=' {
                found = Some((j, 1, false));
            }
            if found.is_some() {
                break;
            }
            j += 1;
        }
        let Some((at, len, neg)) = found else {
            return Err(sel_err(
                s,
                format!("invalid selector: '{s}'; can't understand '{t}'"),
            ));
        };
        let unescape = |x: &str| {
            let mut o = String::new();
            let mut e = false;
            for c in x.chars() {
                if e || c != '\\' {
                    o.push(c);
                    e = false;
                } else {
                    e = true;
                }
            }
            o
        };
        out.push((unescape(&t[..at]), neg, unescape(&t[at + len..])));
    }
    Ok(out)
}

impl Selectors {
    fn parse(s: &KubernetesSelector) -> Result<Selectors, DiscoveryError> {
        Ok(Selectors {
            raw_field: s.field.clone(),
            label: parse_label_selector(&s.label)?,
            field: parse_field_selector(&s.field)?,
        })
    }

    fn fields_match(
        &self,
        value: impl Fn(&str) -> Option<Vec<String>>,
    ) -> Result<bool, DiscoveryError> {
        for (k, neg, v) in &self.field {
            let Some(vals) = value(k) else {
                return Err(sel_err(
                    &self.raw_field,
                    format!("field label not supported: {k}"),
                ));
            };
            let eq = vals.iter().any(|x| x == v);
            if eq == *neg {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn matches_pod(&self, p: &Pod) -> Result<bool, DiscoveryError> {
        if !self.label.iter().all(|r| r.matches(&p.metadata.labels)) {
            return Ok(false);
        }
        self.fields_match(|k| {
            let one = |s: &String| Some(vec![s.clone()]);
            match k {
                "metadata.name" => one(&p.metadata.name),
                "metadata.namespace" => one(&p.metadata.namespace),
                "spec.nodeName" => one(&p.spec.node_name),
                "spec.restartPolicy" => one(&p.spec.restart_policy),
                "spec.schedulerName" => one(&p.spec.scheduler_name),
                "spec.serviceAccountName" => one(&p.spec.service_account_name),
                "spec.hostNetwork" => Some(vec![p.spec.host_network.to_string()]),
                "status.phase" => one(&p.status.phase),
                "status.podIP" => one(&p.status.pod_ip),
                "status.podIPs" => Some(p.status.pod_ips.iter().map(|x| x.ip.clone()).collect()),
                "status.nominatedNodeName" => one(&p.status.nominated_node_name),
                _ => None,
            }
        })
    }

    fn matches_node(&self, n: &Object) -> Result<bool, DiscoveryError> {
        if !self.label.iter().all(|r| r.matches(&n.metadata.labels)) {
            return Ok(false);
        }
        self.fields_match(|k| match k {
            "metadata.name" => Some(vec![n.metadata.name.clone()]),
            "spec.unschedulable" => Some(vec![n.spec.unschedulable.to_string()]),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn label_selectors() {
        let l = labels(&[("app", "reviews"), ("version", "v1"), ("tier", "3")]);
        let cases: &[(&str, bool)] = &[
            ("", true),
            ("app=reviews", true),
            ("app==reviews", true),
            ("app = reviews , version=v1", true),
            ("app!=reviews", false),
            ("missing!=x", true),
            ("app", true),
            ("!app", false),
            ("!missing", true),
            ("version in (v1, v2)", true),
            ("version in(v2)", false),
            ("version notin (v2,v3)", true),
            ("missing notin (v2)", true),
            ("missing in (v2)", false),
            ("tier>2", true),
            ("tier<3", false),
            ("app=reviews,version=v2", false),
            ("app=", false),
        ];
        for (sel, want) in cases {
            let r = parse_label_selector(sel).unwrap_or_else(|e| panic!("{sel}: {e}"));
            assert_eq!(r.iter().all(|q| q.matches(&l)), *want, "{sel}");
        }
        for bad in [
            "app in v1",
            "=x",
            "app,,b",
            "tier>x",
            "app in (a",
            "app=x y",
        ] {
            assert!(parse_label_selector(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn field_selectors() {
        assert_eq!(
            parse_field_selector("spec.nodeName=n1,status.phase!=Failed").unwrap(),
            vec![
                ("spec.nodeName".to_string(), false, "n1".to_string()),
                ("status.phase".to_string(), true, "Failed".to_string())
            ]
        );
        assert_eq!(
            parse_field_selector(r"metadata.name==a\,b").unwrap(),
            vec![("metadata.name".to_string(), false, "a,b".to_string())]
        );
        assert!(parse_field_selector("spec.nodeName").is_err());
        // An escaped multi-byte character (a fuzz find).
        assert_eq!(
            parse_field_selector("a\\é=b").unwrap(),
            vec![("aé".to_string(), false, "b".to_string())]
        );
        assert!(parse_field_selector("st\u{fffd}\u{2},").is_err());
    }

    #[test]
    fn sanitize() {
        assert_eq!(
            sanitize_label_name("app.kubernetes.io/name"),
            "app_kubernetes_io_name"
        );
        assert_eq!(
            sanitize_label_name("prometheus.io/scrape"),
            "prometheus_io_scrape"
        );
        assert_eq!(sanitize_label_name("é-x"), "__x");
    }

    #[test]
    fn host_port() {
        assert_eq!(join_host_port("10.0.0.1", "80"), "10.0.0.1:80");
        assert_eq!(join_host_port("fd00::1", "80"), "[fd00::1]:80");
    }
}
