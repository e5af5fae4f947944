//! Owned families with histograms and summaries folded, `Sample::label`, and the `serde` shape.

use promtext::family::{Histogram, Summary, collect_families};

const ENVOY: &str = "# TYPE envoy_cluster_upstream_cx_connect_ms histogram
envoy_cluster_upstream_cx_connect_ms_bucket{cluster_name=\"a\",le=\"0.5\"} 1
envoy_cluster_upstream_cx_connect_ms_bucket{cluster_name=\"b\",le=\"0.5\"} 0
envoy_cluster_upstream_cx_connect_ms_bucket{cluster_name=\"a\",le=\"1\"} 3
envoy_cluster_upstream_cx_connect_ms_bucket{cluster_name=\"a\",le=\"+Inf\"} 4
envoy_cluster_upstream_cx_connect_ms_bucket{cluster_name=\"b\",le=\"+Inf\"} 2
envoy_cluster_upstream_cx_connect_ms_sum{cluster_name=\"a\"} 2.5
envoy_cluster_upstream_cx_connect_ms_count{cluster_name=\"a\"} 4
envoy_cluster_upstream_cx_connect_ms_sum{cluster_name=\"b\"} 7
envoy_cluster_upstream_cx_connect_ms_count{cluster_name=\"b\"} 2
# TYPE rpc summary
rpc{method=\"get\",quantile=\"0.5\"} 0.25
rpc{method=\"get\",quantile=\"0.99\"} NaN
rpc_sum{method=\"get\"} 10
rpc_count{method=\"get\"} 40
rpc_created{method=\"get\"} 1.7e9
# TYPE up gauge
up 1
";

fn l(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn histograms_fold_per_label_set_even_when_interleaved() {
    let fams = collect_families(promtext::parse_str(ENVOY)).unwrap();
    assert_eq!(fams.len(), 3);
    let h = fams[0].histograms();
    assert_eq!(
        h,
        [
            Histogram {
                labels: l(&[("cluster_name", "a")]),
                buckets: vec![(0.5, 1.0), (1.0, 3.0), (f64::INFINITY, 4.0)],
                sum: Some(2.5),
                count: Some(4.0),
                created: None,
            },
            Histogram {
                labels: l(&[("cluster_name", "b")]),
                buckets: vec![(0.5, 0.0), (f64::INFINITY, 2.0)],
                sum: Some(7.0),
                count: Some(2.0),
                created: None,
            },
        ]
    );
    assert!(fams[0].summaries().is_empty());
    assert!(fams[2].histograms().is_empty() && fams[2].summaries().is_empty());
}

#[test]
fn summaries_fold_with_created() {
    let fams = collect_families(promtext::parse_str(ENVOY)).unwrap();
    let s = fams[1].summaries();
    assert_eq!(s.len(), 1);
    let Summary {
        labels,
        quantiles,
        sum,
        count,
        created,
    } = &s[0];
    assert_eq!(labels, &l(&[("method", "get")]));
    assert_eq!(quantiles[0], (0.5, 0.25));
    assert_eq!(quantiles[1].0, 0.99);
    assert!(quantiles[1].1.is_nan());
    assert_eq!(
        (*sum, *count, *created),
        (Some(10.0), Some(40.0), Some(1.7e9))
    );
}

#[test]
fn gauge_histograms_use_gsum_and_gcount() {
    let body = "# TYPE q gaugehistogram\nq_bucket{le=\"1\"} 2\nq_bucket{le=\"+Inf\"} 3\nq_gsum 4\nq_gcount 3\n# EOF\n";
    let p = promtext::Parser::new(
        body.as_bytes(),
        promtext::Settings::default().dialect(promtext::Dialect::OpenMetrics),
    );
    let fams = collect_families(p).unwrap();
    let h = &fams[0].histograms()[0];
    assert_eq!((h.sum, h.count), (Some(4.0), Some(3.0)));
    assert_eq!(h.buckets.len(), 2);
}

#[test]
fn sample_label() {
    let body = "x{a=\"1\",b=\"q\\\"\\n\"} 1\n";
    let ev = promtext::parse_str(body).next().unwrap().unwrap();
    let s = ev.as_sample().unwrap();
    assert_eq!(s.label("a").as_deref(), Some("1"));
    assert_eq!(s.label("b").as_deref(), Some("q\"\n"));
    assert_eq!(s.label("c"), None);
    assert!(matches!(s.label("a"), Some(std::borrow::Cow::Borrowed(_))));
}

#[cfg(feature = "serde")]
#[test]
fn serde_shape_matches_the_cli() {
    let fams = collect_families(promtext::parse_str(ENVOY)).unwrap();
    let v = serde_json::to_value(&fams[1]).unwrap();
    assert_eq!(v["name"], "rpc");
    assert_eq!(v["type"], "summary");
    assert_eq!(
        v["samples"][1],
        serde_json::json!({"name": "rpc", "labels": {"method": "get", "quantile": "0.99"}, "value": "NaN", "timestamp_ms": null})
    );
    let h = serde_json::to_value(fams[0].histograms()).unwrap();
    assert_eq!(
        h[0],
        serde_json::json!({"labels": {"cluster_name": "a"}, "buckets": [[0.5, 1.0], [1.0, 3.0], ["+Inf", 4.0]], "sum": 2.5, "count": 4.0, "created": null})
    );
    let labels = promtext::relabel::Labels::from_pairs([("b", "2"), ("a", "1")]);
    assert_eq!(
        serde_json::to_string(&labels).unwrap(),
        r#"{"a":"1","b":"2"}"#
    );
}
