//! Label universes: cluster names, listener addresses, HCM prefixes, Istio
//! peers, and the pre-rendered, sorted label text of every scope.

use std::collections::HashSet;

use super::rng::Rng;
use super::{GenConfig, Scope};

/// Stream keys for `Rng::derive`, one per kind of label universe.
const K_CLUSTER: u64 = 0xC1;
const K_PEER: u64 = 0x9E;
const K_SELF: u64 = 0x5E;
const K_MISC: u64 = 0x41;
const K_MTLS: u64 = 0x715;

const SVC: &[&str] = &[
    "productpage",
    "reviews",
    "ratings",
    "details",
    "mongodb",
    "mysqldb",
    "frontend",
    "cartservice",
    "checkout",
    "payment",
    "shipping",
    "email",
    "currency",
    "adservice",
    "recommendation",
    "catalogue",
    "search",
    "auth",
    "inventory",
    "orders",
    "users",
    "notifications",
    "billing",
    "jaeger-collector",
    "zipkin",
    "grafana",
    "redis-cart",
    "kafka",
    "ledger",
    "quotes",
];
const NS: &[&str] = &[
    "default",
    "bookinfo",
    "shop",
    "payments",
    "istio-system",
    "monitoring",
    "backend",
    "web",
];
const PORTS: &[u16] = &[9080, 80, 8080, 443, 53, 15012, 15020, 14250];
const STATIC_CLUSTERS: &[&str] = &[
    "xds-grpc",
    "prometheus_stats",
    "agent",
    "PassthroughCluster",
    "BlackHoleCluster",
];
const FLAGS: &[&str] = &["UF", "URX", "UF,URX", "NR", "DC"];
const CODES: &[&str] = &["200", "503", "404", "304", "500"];
const CODE_WEIGHTS: &[u32] = &[70, 10, 8, 7, 5];
const CONST_LABELS: &[(&str, &str)] = &[
    ("local_cluster", "mynginx"),
    ("consul_source_service", "mynginx"),
    ("consul_source_namespace", "default"),
    ("consul_source_partition", "default"),
    (
        "consul_source_datacenter",
        "consul-sandbox-cluster-0159c9d3",
    ),
];

/// The 25 Istio HTTP label names, modern order (istio/proxy testdata).
#[cfg(test)]
const ISTIO_HTTP_KEYS: [&str; 25] = [
    "reporter",
    "source_workload",
    "source_canonical_service",
    "source_canonical_revision",
    "source_workload_namespace",
    "source_principal",
    "source_app",
    "source_version",
    "source_cluster",
    "destination_workload",
    "destination_workload_namespace",
    "destination_principal",
    "destination_app",
    "destination_version",
    "destination_service",
    "destination_canonical_service",
    "destination_canonical_revision",
    "destination_service_name",
    "destination_service_namespace",
    "destination_cluster",
    "request_protocol",
    "response_code",
    "grpc_response_status",
    "response_flags",
    "connection_security_policy",
];

/// Appends `s` as a label value with Envoy's three escapes.
pub(crate) fn push_escaped(out: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
}

/// Stretches or shortens a word by `scale` (ASCII words only).
fn scaled(word: &str, scale: f64) -> String {
    if scale == 1.0 || word.is_empty() {
        return word.to_string();
    }
    let n = ((word.len() as f64 * scale).round() as usize).max(1);
    word.bytes().cycle().take(n).map(char::from).collect()
}

/// With probability `rate`, puts a `"`, `\` or LF into `s`.
fn maybe_escape(rng: &mut Rng, rate: f64, s: String) -> String {
    if rate <= 0.0 || !rng.chance(rate) {
        return s;
    }
    let c = ['"', '\\', '\n'][rng.below(3) as usize];
    let pos = rng.below(s.len() as u64 + 1) as usize;
    let mut s = s;
    // Generated words are ASCII, so every byte index is a char boundary.
    s.insert(pos, c);
    s
}

/// The unique service word of index `i`.
fn svc_word(i: usize, scale: f64) -> String {
    let base = scaled(SVC[i % SVC.len()], scale);
    if i < SVC.len() {
        base
    } else {
        format!("{base}-{}", i / SVC.len())
    }
}

/// Pre-rendered label text of the series of one scope, in output order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Series {
    data: Vec<u8>,
    ends: Vec<usize>,
    /// Labels per series (const labels included, `le`/`quantile` excluded).
    pub(crate) n_labels: usize,
}

impl Series {
    fn from_sorted(mut rows: Vec<(Vec<String>, Vec<u8>)>, n_labels: usize, prefix: &[u8]) -> Self {
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        let mut s = Series {
            data: Vec::new(),
            ends: Vec::with_capacity(rows.len()),
            n_labels,
        };
        for (_, body) in rows {
            s.data.extend_from_slice(prefix);
            if !prefix.is_empty() && !body.is_empty() {
                s.data.push(b',');
            }
            s.data.extend_from_slice(&body);
            s.ends.push(s.data.len());
        }
        s
    }

    /// Number of series.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Label text of series `i`, without braces (empty when untagged).
    pub(crate) fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.data[start..self.ends[i]]
    }
}

/// Every scope's series for one configuration.
pub(crate) struct Universe {
    scopes: Vec<(Scope, Series)>,
}

impl Universe {
    /// The series of `scope`.
    pub(crate) fn get(&self, scope: Scope) -> &Series {
        self.scopes
            .iter()
            .find(|(s, _)| *s == scope)
            .map_or(&EMPTY, |(_, s)| s)
    }
}

/// A scope that was not built has no series.
static EMPTY: Series = Series {
    data: Vec::new(),
    ends: Vec::new(),
    n_labels: 0,
};

/// One label: key and raw (unescaped) value.
type Row = Vec<(String, String)>;

fn render(row: &Row) -> (Vec<String>, Vec<u8>) {
    let mut body = Vec::with_capacity(64);
    let mut key = Vec::with_capacity(row.len());
    for (i, (k, v)) in row.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(k.as_bytes());
        body.extend_from_slice(b"=\"");
        push_escaped(&mut body, v);
        body.push(b'"');
        key.push(v.clone());
    }
    (key, body)
}

/// Cluster name number `i` (deterministic in seed and `i`).
fn cluster_name(cfg: &GenConfig, i: usize) -> String {
    let mut rng = Rng::derive(cfg.seed, K_CLUSTER, i as u64);
    if i == 0 {
        return if cfg.profile.is_istio() {
            "xds-grpc".to_string()
        } else {
            "service_envoyproxy_io".to_string()
        };
    }
    if (1..STATIC_CLUSTERS.len()).contains(&i) && cfg.profile.is_istio() {
        return STATIC_CLUSTERS[i].to_string();
    }
    let svc = svc_word(i, cfg.label_value_scale);
    let ns = scaled(
        NS[rng.below(NS.len() as u64) as usize],
        cfg.label_value_scale,
    );
    let port = PORTS[rng.below(PORTS.len() as u64) as usize];
    let name = match rng.below(20) {
        0..=13 => format!("outbound|{port}||{svc}.{ns}.svc.cluster.local"),
        14..=16 => format!("inbound|{port}||{svc}.{ns}.svc.cluster.local"),
        _ => format!("{svc}_{ns}_svc_{port}-{:016x}", rng.next_u64()),
    };
    maybe_escape(&mut rng, cfg.escape_rate, name)
}

/// Cluster names `0..n`, unique.
fn cluster_names(cfg: &GenConfig, n: usize) -> Vec<String> {
    let mut seen = HashSet::with_capacity(n);
    (0..n)
        .map(|i| {
            let mut name = cluster_name(cfg, i);
            while !seen.insert(name.clone()) {
                name.push('_');
            }
            name
        })
        .collect()
}

fn hcm_prefixes(h: usize) -> Vec<String> {
    const POOL: &[&str] = &[
        "ingress_http",
        "inbound_0.0.0.0_9080",
        "outbound_0.0.0.0_9080",
        "async-client",
    ];
    let mut v = vec!["admin".to_string()];
    for i in 1..h.max(1) {
        let j = i - 1;
        if j < POOL.len() {
            v.push(POOL[j].to_string());
        } else {
            v.push(format!("ingress_http_{j}"));
        }
    }
    v
}

fn listener_addresses(cfg: &GenConfig) -> Vec<String> {
    (0..cfg.listeners)
        .map(|i| match i {
            0 if cfg.profile.is_istio() => "0.0.0.0_15006".to_string(),
            0 => "0.0.0.0_10000".to_string(),
            1 => "0.0.0.0_15001".to_string(),
            2 => "[fe80__4457_a4ff_fe40_c2bd]_27017".to_string(),
            _ => format!(
                "10.244.{}.{}_{}",
                i / 250,
                i % 250 + 1,
                PORTS[i % PORTS.len()]
            ),
        })
        .collect()
}

/// One side of an Istio conversation.
#[derive(Clone)]
struct Workload {
    workload: String,
    app: String,
    version: String,
    ns: String,
    principal: String,
    service: String,
    service_name: String,
}

fn self_workload(cfg: &GenConfig) -> Workload {
    let mut rng = Rng::derive(cfg.seed, K_SELF, 0);
    let app = scaled(
        SVC[rng.below(SVC.len() as u64) as usize],
        cfg.label_value_scale,
    );
    let ns = scaled(NS[rng.below(3) as usize], cfg.label_value_scale);
    let version = format!("v{}", 1 + rng.below(3));
    Workload {
        workload: format!("{app}-{version}"),
        principal: format!("spiffe://cluster.local/ns/{ns}/sa/bookinfo-{app}"),
        service: format!("{app}.{ns}.svc.cluster.local"),
        service_name: app.clone(),
        app,
        version,
        ns,
    }
}

/// An Istio metric's label rows, split into HTTP and TCP.
struct IstioRows {
    http: Vec<Row>,
    tcp: Vec<Row>,
}

fn istio_rows(cfg: &GenConfig, peers: usize) -> IstioRows {
    let me = self_workload(cfg);
    let mut http = Vec::new();
    let mut tcp = Vec::new();
    for i in 0..peers {
        let mut rng = Rng::derive(cfg.seed, K_PEER, i as u64);
        let svc = svc_word(i, cfg.label_value_scale);
        let ns = scaled(
            NS[rng.below(NS.len() as u64) as usize],
            cfg.label_value_scale,
        );
        let version = format!("v{}", 1 + rng.below(3));
        let esc = cfg.escape_rate;
        let app = maybe_escape(&mut rng, esc, svc.clone());
        let mut peer = Workload {
            workload: maybe_escape(&mut rng, esc, format!("{svc}-{version}")),
            principal: format!("spiffe://cluster.local/ns/{ns}/sa/bookinfo-{svc}"),
            service: format!("{svc}.{ns}.svc.cluster.local"),
            service_name: svc.clone(),
            app,
            version: maybe_escape(&mut rng, esc, version),
            ns,
        };
        // Peer 0 is always a plain in-mesh HTTP peer with one reporter and
        // one code, so that even the smallest sidecar has `istio_*` HTTP
        // series (all rows are still drawn, to keep the stream aligned).
        let first = i == 0;
        if rng.chance(0.05) && !first {
            // Passthrough traffic to an IP outside the mesh.
            peer = Workload {
                workload: "unknown".into(),
                app: "unknown".into(),
                version: "unknown".into(),
                ns: "unknown".into(),
                principal: "unknown".into(),
                service: format!(
                    "10.{}.{}.{}:{}",
                    rng.below(256),
                    rng.below(256),
                    1 + rng.below(254),
                    PORTS[rng.below(PORTS.len() as u64) as usize]
                ),
                service_name: "PassthroughCluster".into(),
            };
        }
        // Own stream, so the share does not move the other draws.
        let plain = !Rng::derive(cfg.seed, K_MTLS, i as u64).chance(cfg.mtls_share);
        if plain {
            peer.principal = "unknown".into();
        }
        let is_tcp = rng.chance(cfg.tcp_share) && !first;
        let protocol = if is_tcp {
            "tcp"
        } else if rng.chance(0.1) && !first {
            "grpc"
        } else {
            "http"
        };
        let reporters: &[&str] = match rng.below(20) {
            _ if first => &["destination"],
            0..=8 => &["source"],
            9..=16 => &["destination"],
            _ => &["destination", "source"],
        };
        let k = if first {
            rng.weighted(&[75, 20, 5]);
            1
        } else {
            1 + rng.weighted(&[75, 20, 5])
        };
        let mut codes: Vec<&str> = Vec::with_capacity(k);
        while codes.len() < k {
            let c = CODES[rng.weighted(CODE_WEIGHTS)];
            if !codes.contains(&c) {
                codes.push(c);
            }
        }
        for &reporter in reporters {
            let (src, dst) = if reporter == "source" {
                (&me, &peer)
            } else {
                (&peer, &me)
            };
            let unknown = String::from("unknown");
            let (src_principal, dst_principal) = if plain {
                (&unknown, &unknown)
            } else {
                (&src.principal, &dst.principal)
            };
            let policy = if reporter == "destination" {
                if rng.chance(0.1) || plain {
                    "none"
                } else {
                    "mutual_tls"
                }
            } else {
                "unknown"
            };
            let code_list: &[&str] = if is_tcp { &[""] } else { &codes };
            for &code in code_list {
                let flags = if rng.chance(0.9) {
                    "-"
                } else {
                    FLAGS[rng.below(FLAGS.len() as u64) as usize]
                };
                let grpc = if protocol == "grpc" {
                    if code == "200" { "0" } else { "14" }
                } else {
                    ""
                };
                let mut vals: Vec<(&str, String)> = vec![
                    ("reporter", reporter.into()),
                    ("source_workload", src.workload.clone()),
                    ("source_canonical_service", src.app.clone()),
                    ("source_canonical_revision", src.version.clone()),
                    ("source_workload_namespace", src.ns.clone()),
                    ("source_principal", src_principal.clone()),
                    ("source_app", src.app.clone()),
                    ("source_version", src.version.clone()),
                    ("source_cluster", "Kubernetes".into()),
                    ("destination_workload", dst.workload.clone()),
                    ("destination_workload_namespace", dst.ns.clone()),
                    ("destination_principal", dst_principal.clone()),
                    ("destination_app", dst.app.clone()),
                    ("destination_version", dst.version.clone()),
                    ("destination_service", dst.service.clone()),
                    ("destination_canonical_service", dst.app.clone()),
                    ("destination_canonical_revision", dst.version.clone()),
                    ("destination_service_name", dst.service_name.clone()),
                    ("destination_service_namespace", dst.ns.clone()),
                    ("destination_cluster", "Kubernetes".into()),
                    ("request_protocol", protocol.into()),
                    ("response_code", code.into()),
                    ("grpc_response_status", grpc.into()),
                    ("response_flags", flags.into()),
                    ("connection_security_policy", policy.into()),
                ];
                if is_tcp {
                    vals.retain(|(k, _)| *k != "response_code" && *k != "grpc_response_status");
                }
                let row: Row = vals.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                if is_tcp {
                    tcp.push(row);
                } else {
                    http.push(row);
                }
            }
        }
    }
    IstioRows { http, tcp }
}

/// Builds every scope for `cfg` with `clusters` clusters and `peers` peers.
pub(crate) fn build(cfg: &GenConfig, needed: &[Scope]) -> Universe {
    let want = |s: Scope| needed.contains(&s);
    let istio = cfg.profile.is_istio();
    let p = if istio { "" } else { "envoy_" };
    let k = |name: &str| format!("{p}{name}");
    let classes: &[&str] = if istio {
        &["2xx", "5xx"]
    } else {
        &["1", "2", "3", "4", "5"]
    };

    // Constant labels go first on every series.
    let mut prefix = Vec::new();
    for i in 0..cfg.extra_const_labels {
        if i > 0 {
            prefix.push(b',');
        }
        let (name, value) = match CONST_LABELS.get(i) {
            Some(&(n, v)) => (n.to_string(), v.to_string()),
            None => (format!("const_label_{i}"), format!("value_{i}")),
        };
        prefix.extend_from_slice(name.as_bytes());
        prefix.extend_from_slice(b"=\"");
        push_escaped(&mut prefix, &value);
        prefix.push(b'"');
    }
    let nc = cfg.extra_const_labels;

    let clusters = cluster_names(
        cfg,
        cfg.clusters.max(if istio { cfg.sds_clusters } else { 0 }),
    );
    let full_clusters = &clusters[..cfg.clusters.min(clusters.len())];
    let hcms = hcm_prefixes(cfg.hcm_prefixes);
    let listeners = listener_addresses(cfg);
    let workers: Vec<String> = (0..cfg.workers).map(|w| w.to_string()).collect();

    let mut scopes = Vec::new();
    let mk = |rows: Vec<Row>, n: usize| -> Series {
        let rendered = rows.iter().map(render).collect();
        Series::from_sorted(rendered, n + nc, &prefix)
    };
    let one = |pairs: &[(&str, &str)]| -> Row {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };

    scopes.push((Scope::Global, mk(vec![Vec::new()], 0)));
    // Envoy sorts by the stat name with the tag values embedded; the more
    // specific tags come first in tag order, so sort keys are reversed.
    if want(Scope::Cluster) {
        let cl: Vec<Row> = full_clusters
            .iter()
            .map(|c| vec![(k("cluster_name"), c.clone())])
            .collect();
        scopes.push((Scope::Cluster, mk(cl, 1)));
    }
    if want(Scope::SdsCluster) {
        let sds: Vec<Row> = clusters
            .iter()
            .map(|c| vec![(k("cluster_name"), c.clone())])
            .collect();
        scopes.push((Scope::SdsCluster, mk(sds, 1)));
    }

    let rev = |rows: Vec<Row>, n: usize| -> Series {
        // Sort by the tag values in reverse tag order, render in tag order.
        let mut rendered: Vec<(Vec<String>, Vec<u8>)> = rows.iter().map(render).collect();
        for r in &mut rendered {
            r.0.reverse();
        }
        Series::from_sorted(rendered, n + nc, &prefix)
    };
    let mut rows = Vec::new();
    for c in full_clusters.iter().filter(|_| want(Scope::ClusterRcc)) {
        for cls in classes {
            rows.push(vec![
                (k("response_code_class"), cls.to_string()),
                (k("cluster_name"), c.clone()),
            ]);
        }
    }
    scopes.push((Scope::ClusterRcc, rev(rows, 2)));

    let hcm_rows: Vec<Row> = hcms
        .iter()
        .map(|h| vec![(k("http_conn_manager_prefix"), h.clone())])
        .collect();
    scopes.push((Scope::Hcm, mk(hcm_rows, 1)));
    let mut rows = Vec::new();
    for h in &hcms {
        for cls in classes {
            rows.push(vec![
                (k("response_code_class"), cls.to_string()),
                (k("http_conn_manager_prefix"), h.clone()),
            ]);
        }
    }
    scopes.push((Scope::HcmRcc, rev(rows, 2)));
    scopes.push((
        Scope::AdminHcm,
        mk(vec![one(&[(&k("http_conn_manager_prefix"), "admin")])], 1),
    ));
    let rows = classes
        .iter()
        .map(|cls| {
            one(&[
                (&k("response_code_class"), cls),
                (&k("http_conn_manager_prefix"), "admin"),
            ])
        })
        .collect();
    scopes.push((Scope::AdminHcmRcc, rev(rows, 2)));

    let lrows: Vec<Row> = listeners
        .iter()
        .map(|l| vec![(k("listener_address"), l.clone())])
        .collect();
    scopes.push((Scope::Listener, mk(lrows, 1)));
    let hcm_of = |i: usize| -> &str {
        if hcms.len() > 1 {
            &hcms[1 + i % (hcms.len() - 1)]
        } else {
            &hcms[0]
        }
    };
    let rows = listeners
        .iter()
        .enumerate()
        .map(|(i, l)| {
            one(&[
                (&k("http_conn_manager_prefix"), hcm_of(i)),
                (&k("listener_address"), l),
            ])
        })
        .collect();
    scopes.push((Scope::ListenerHcm, rev(rows, 2)));
    let mut rows = Vec::new();
    for (i, l) in listeners.iter().enumerate() {
        for cls in classes {
            rows.push(one(&[
                (&k("response_code_class"), cls),
                (&k("http_conn_manager_prefix"), hcm_of(i)),
                (&k("listener_address"), l),
            ]));
        }
    }
    scopes.push((Scope::ListenerHcmRcc, rev(rows, 3)));
    let mut rows = Vec::new();
    for l in &listeners {
        for w in &workers {
            rows.push(one(&[(&k("worker_id"), w), (&k("listener_address"), l)]));
        }
    }
    scopes.push((Scope::ListenerWorker, rev(rows, 2)));
    let rows = workers
        .iter()
        .map(|w| one(&[(&k("worker_id"), w)]))
        .collect();
    scopes.push((Scope::Worker, mk(rows, 1)));
    scopes.push((
        Scope::IstioBuild,
        mk(vec![one(&[("component", "proxy"), ("tag", "1.24.2")])], 2),
    ));

    if istio {
        let rows = istio_rows(cfg, cfg.istio_peers);
        // Istio metrics carry no Envoy constant labels.
        let r: Vec<_> = rows.http.iter().map(render).collect();
        scopes.push((Scope::IstioHttp, Series::from_sorted(r, 25, &[])));
        let r: Vec<_> = rows.tcp.iter().map(render).collect();
        scopes.push((Scope::IstioTcp, Series::from_sorted(r, 23, &[])));
    }

    let mut rows = Vec::new();
    for (ci, c) in full_clusters
        .iter()
        .enumerate()
        .filter(|_| want(Scope::Endpoint))
    {
        for e in 0..cfg.per_endpoint {
            let addr = format!(
                "10.{}.{}.{}:{}",
                (ci >> 8) & 255,
                ci & 255,
                e % 250 + 1,
                8080 + e / 250
            );
            rows.push(one(&[
                (&k("cluster_name"), c),
                (&k("endpoint_address"), &addr),
            ]));
        }
    }
    scopes.push((Scope::Endpoint, mk(rows, 2)));
    scopes.push((Scope::TextReadout, mk(vec![Vec::new()], 0)));

    Universe { scopes }
}

/// A text readout value for family `name`, possibly with an escape.
pub(crate) fn text_readout_value(cfg: &GenConfig, id: u64) -> String {
    let mut rng = Rng::derive(cfg.seed, K_MISC, id);
    let v = match id % 3 {
        0 => format!(
            "istiod-{:x}-{:05x}",
            rng.next_u64() >> 28,
            rng.next_u64() >> 44
        ),
        1 => format!(
            "2023-04-06T10:{:02}:{:02}Z/{}",
            rng.below(60),
            rng.below(60),
            rng.below(500)
        ),
        _ => format!("v{}.{}", rng.below(100), rng.below(1000)),
    };
    maybe_escape(&mut rng, cfg.escape_rate, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn istio_rows_have_modern_order() {
        let cfg = GenConfig::istio();
        let rows = istio_rows(&cfg, 20);
        for r in &rows.http {
            let keys: Vec<&str> = r.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(keys, ISTIO_HTTP_KEYS);
        }
        for r in &rows.tcp {
            assert_eq!(r.len(), 23);
        }
    }

    #[test]
    fn escaping() {
        let mut v = Vec::new();
        push_escaped(&mut v, "a\"b\\c\nd");
        assert_eq!(v, b"a\\\"b\\\\c\\nd");
    }

    #[test]
    fn scaling() {
        assert_eq!(scaled("abc", 2.0), "abcabc");
        assert_eq!(scaled("abcd", 0.5), "ab");
        assert_eq!(scaled("abc", 1.0), "abc");
    }

    #[test]
    fn clusters_unique() {
        let cfg = GenConfig::envoy().clusters(500);
        let names = cluster_names(&cfg, 500);
        let set: HashSet<_> = names.iter().collect();
        assert_eq!(set.len(), 500);
    }
}
