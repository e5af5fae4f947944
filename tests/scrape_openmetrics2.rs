//! The scrape layer with OpenMetrics 2.0 bodies (experimental): the same series as the same data
//! in OpenMetrics 1.0, composite summaries and classic histograms included; native histograms as
//! one sample each when native histograms are ingested, else their `_count`, `_sum` and `+Inf`
//! bucket, as the protobuf reader gives them.

#![cfg(feature = "yaml")]

use promtext::config::{ConfigDocument, ScrapeJob};
use promtext::scrape::{Collect, ScrapeConfig, ScrapeReport, Scraper, Target};

const OM1: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const OM2: &str = "application/openmetrics-text; version=2.0.0; charset=utf-8";

fn job(native: bool) -> ScrapeJob {
    let yaml = format!(
        "scrape_configs:\n- job_name: app\n  scrape_native_histograms: {native}\n  metric_relabel_configs:\n  - {{source_labels: [__name__], regex: 'skip.*', action: drop}}\n"
    );
    ConfigDocument::from_yaml(&yaml).unwrap().jobs()[0].clone()
}

fn scrape(job: &ScrapeJob, body: &str, ct: &str) -> (ScrapeReport, Collect) {
    let t = Target::from_discovered(job, &[("__address__", "10.0.0.1:9090")])
        .unwrap()
        .kept()
        .unwrap()
        .clone();
    let mut s = Scraper::new(ScrapeConfig::from_job(job).unwrap(), &t);
    let mut out = Collect::default();
    let r = s.scrape_bytes(body.as_bytes(), ct, "identity", &mut out);
    (r, out)
}

fn sorted(out: &Collect) -> Vec<(String, u64, Option<i64>)> {
    let mut v: Vec<_> = out
        .series
        .iter()
        .map(|s| (s.labels.to_string(), s.value.to_bits(), s.timestamp_ms))
        .collect();
    v.sort();
    v
}

#[test]
fn the_same_series_as_openmetrics_1() {
    let om1 = "# TYPE requests counter\nrequests_total{path=\"/a\"} 3 1700000000.5\nrequests_total{path=\"/b\"} 4\n\
# TYPE temp gauge\ntemp{room=\"x\"} -1.5\n\
# TYPE skipped gauge\nskipped 1\n\
# TYPE rpc summary\nrpc{quantile=\"0.5\"} 0.1\nrpc{quantile=\"0.99\"} 0.7\nrpc_sum 12.5\nrpc_count 40\n\
# TYPE lat histogram\nlat_bucket{le=\"0.1\",svc=\"a\"} 2\nlat_bucket{le=\"1.0\",svc=\"a\"} 5\nlat_bucket{le=\"+Inf\",svc=\"a\"} 6\nlat_sum{svc=\"a\"} 3.25\nlat_count{svc=\"a\"} 6\n# EOF\n";
    let om2 = "# TYPE requests counter\nrequests_total{path=\"/a\"} 3 1700000000.5\nrequests_total{path=\"/b\"} 4\n\
# TYPE temp gauge\ntemp{room=\"x\"} -1.5\n\
# TYPE skipped gauge\nskipped 1\n\
# TYPE rpc summary\nrpc {count:40,sum:12.5,quantile:[0.5:0.1,0.99:0.7]}\n\
# TYPE lat histogram\nlat{svc=\"a\"} {count:6,sum:3.25,bucket:[0.1:2,1.0:5,+Inf:6]}\n# EOF\n";
    let j = job(false);
    let (r1, out1) = scrape(&j, om1, OM1);
    let (r2, out2) = scrape(&j, om2, OM2);
    assert!(r1.up(), "{:?}", r1.error);
    assert!(r2.up(), "{:?}", r2.error);
    assert_eq!(sorted(&out2), sorted(&out1));
    assert_eq!(out2.series.len(), 12, "{:?}", sorted(&out2));
    assert_eq!(r2.samples_scraped, r1.samples_scraped);
    assert_eq!(r2.samples_post_relabel, r1.samples_post_relabel);
    assert_eq!(r2.dropped_by_relabel, 1);
    // A second scrape goes through the cache: the same series again.
    let t = Target::from_discovered(&j, &[("__address__", "10.0.0.1:9090")])
        .unwrap()
        .kept()
        .unwrap()
        .clone();
    let mut s = Scraper::new(ScrapeConfig::from_job(&j).unwrap(), &t);
    let mut out = Collect::default();
    s.scrape_bytes(om2.as_bytes(), OM2, "identity", &mut out);
    let first = sorted(&out);
    let mut again = Collect::default();
    let r = s.scrape_bytes(om2.as_bytes(), OM2, "identity", &mut again);
    assert!(r.up());
    assert!(r.cache_hits >= 12, "{}", r.cache_hits);
    assert_eq!(sorted(&again), first);
}

#[test]
fn native_histograms_one_sample_each_or_their_classic_series() {
    let body = "# TYPE lat histogram\nlat{svc=\"a\"} {count:5,sum:2.5,schema:0,zero_threshold:0.001,zero_count:1,positive_spans:[0:2],positive_buckets:[2,2]}\n# EOF\n";
    let (r, out) = scrape(&job(true), body, OM2);
    assert!(r.up(), "{:?}", r.error);
    assert_eq!(out.series.len(), 0);
    assert_eq!(out.histograms.len(), 1);
    let h = &out.histograms[0];
    assert_eq!(h.labels.get("__name__"), Some("lat"));
    assert_eq!(h.labels.get("svc"), Some("a"));
    assert_eq!((h.count, h.sum, h.schema), (5.0, 2.5, 0));
    assert_eq!(h.zero_count, 1.0);
    assert_eq!(h.positive, [(0, 2.0), (1, 2.0)]);
    assert_eq!(r.samples_scraped, 1);
    // Native histograms off: `_count`, `_sum` and the `+Inf` bucket.
    let (r, out) = scrape(&job(false), body, OM2);
    assert!(r.up(), "{:?}", r.error);
    assert!(out.histograms.is_empty());
    let got: Vec<_> = sorted(&out)
        .into_iter()
        .map(|(l, v, _)| (l, f64::from_bits(v)))
        .collect();
    assert_eq!(
        got,
        [
            (
                "{__name__=\"lat_bucket\", instance=\"10.0.0.1:9090\", job=\"app\", le=\"+Inf\", svc=\"a\"}".to_string(),
                5.0
            ),
            (
                "{__name__=\"lat_count\", instance=\"10.0.0.1:9090\", job=\"app\", svc=\"a\"}".to_string(),
                5.0
            ),
            (
                "{__name__=\"lat_sum\", instance=\"10.0.0.1:9090\", job=\"app\", svc=\"a\"}".to_string(),
                2.5
            ),
        ]
    );
    assert_eq!(r.samples_scraped, 3);
}
