//! Sum a counter by one label: requests per upstream cluster from an Envoy `/stats/prometheus` body.
//!
//! `cargo run --example sum_by_cluster [FILE]` (without FILE: a small embedded body).

use std::collections::BTreeMap;

const BODY: &str = r#"# TYPE envoy_cluster_upstream_rq_total counter
envoy_cluster_upstream_rq_total{response_code="200",cluster_name="outbound|9080||reviews.default.svc.cluster.local"} 1200
envoy_cluster_upstream_rq_total{response_code="503",cluster_name="outbound|9080||reviews.default.svc.cluster.local"} 7
envoy_cluster_upstream_rq_total{response_code="200",cluster_name="outbound|9080||ratings.default.svc.cluster.local"} 640
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let text = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(path)?,
        None => BODY.to_string(),
    };
    let mut by_cluster: BTreeMap<String, f64> = BTreeMap::new();
    for ev in promtext::parse_str(&text) {
        let ev = ev?;
        let Some(s) = ev.as_sample() else { continue };
        if s.name() != "envoy_cluster_upstream_rq_total" {
            continue;
        }
        // `label` borrows from the body unless the value holds escapes.
        let cluster = s.label("cluster_name").unwrap_or_default();
        *by_cluster.entry(cluster.into_owned()).or_default() += s.value();
    }
    for (cluster, n) in &by_cluster {
        println!("{n:>10}  {cluster}");
    }
    Ok(())
}
