//! End-to-end scrape tests: the seed scenario, limits, honor_labels, encodings, bad bodies.

#![cfg(all(
    feature = "yaml",
    feature = "gzip",
    feature = "zstd",
    feature = "brotli"
))]

use std::io::Write;

use promtext::config::{ConfigDocument, ScrapeJob};
use promtext::relabel::Pipeline;
use promtext::scrape::{
    Collect, ScrapeConfig, ScrapeError, ScrapeReport, Scraper, Target, TargetError, TargetOutcome,
};
use promtext_gen::seed;
use promtext_gen::{GenConfig, generate};

const PROM: &str = "text/plain; version=0.0.4; charset=utf-8";

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn zstd(b: &[u8]) -> Vec<u8> {
    zstd::encode_all(b, 3).unwrap()
}

fn brotli(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        w.write_all(b).unwrap();
    }
    out
}

fn job(yaml: &str) -> ScrapeJob {
    ConfigDocument::from_yaml(yaml).unwrap().jobs()[0].clone()
}

fn seed_target() -> (ScrapeJob, Target) {
    let job = seed::envoy_stats_job().unwrap();
    let t = Target::from_discovered(&job, &seed::SAMPLE_POD_TARGETS[2]).unwrap();
    (job, t.kept().unwrap().clone())
}

fn scrape_with(
    cfg: ScrapeConfig,
    target: &Target,
    body: &[u8],
    ct: &str,
    ce: &str,
) -> (ScrapeReport, Collect) {
    let mut s = Scraper::new(cfg, target);
    let mut out = Collect::default();
    let r = s.scrape_bytes(body, ct, ce, &mut out);
    (r, out)
}

fn plain(target_labels: &[(&str, &str)]) -> (ScrapeConfig, Target) {
    (
        ScrapeConfig::new(Pipeline::new(&[], Default::default()).unwrap()),
        Target::from_labels(target_labels),
    )
}

fn strs(out: &Collect) -> Vec<String> {
    out.series.iter().map(|s| s.labels.to_string()).collect()
}

// ---------------------------------------------------------------- target side

#[test]
fn seed_target_is_kept_with_prometheus_labels() {
    let (_, t) = seed_target();
    assert_eq!(t.url(), "http://10.244.1.7:15090/stats/prometheus");
    assert_eq!(
        t.labels().to_string(),
        r#"{instance="10.244.1.7:15090", job="envoy-stats", namespace="default", pod_name="reviews-v1-545db77b95-6xk2p"}"#
    );
    assert_eq!(
        t.all_labels().to_string(),
        r#"{__address__="10.244.1.7:15090", __always_scrape_classic_histograms__="false", __convert_classic_histograms_to_nhcb__="false", __metrics_path__="/stats/prometheus", __scheme__="http", __scrape_interval__="1m", __scrape_native_histograms__="false", __scrape_timeout__="10s", instance="10.244.1.7:15090", job="envoy-stats", namespace="default", pod_name="reviews-v1-545db77b95-6xk2p"}"#
    );
    assert!(
        t.all_labels()
            .iter()
            .all(|(n, _)| !n.starts_with("__meta_"))
    );
}

#[test]
fn seed_other_ports_are_dropped() {
    let job = seed::envoy_stats_job().unwrap();
    for t in &seed::SAMPLE_POD_TARGETS[..2] {
        match Target::from_discovered(&job, t).unwrap() {
            TargetOutcome::Dropped(l) => {
                assert_eq!(l.get("job"), Some("envoy-stats"));
                assert!(l.get("__meta_kubernetes_pod_container_port_name").is_some());
            }
            TargetOutcome::Kept(k) => panic!("kept {k:?}"),
        }
    }
}

#[test]
fn envoy_vectors_address_rewrite() {
    let job = seed::envoy_stats_job().unwrap();
    let base = [
        ("__meta_kubernetes_namespace", "default"),
        ("__meta_kubernetes_pod_name", "reviews-v1-545db77b95-6xk2p"),
    ];
    let cases = promtext_gen::seed::ADDRESS_CASES.iter().copied();
    for (addr, port, ann, want) in cases {
        let mut l: Vec<(&str, &str)> = base.to_vec();
        l.push(("__address__", addr));
        l.push(("__meta_kubernetes_pod_container_port_name", port));
        if let Some(a) = ann {
            l.push(("__meta_kubernetes_pod_annotation_prometheus_io_port", a));
        }
        let got = Target::from_discovered(&job, &l).unwrap();
        assert_eq!(
            got.kept().map(|t| t.address().to_string()).as_deref(),
            want,
            "{addr}"
        );
        if let Some(t) = got.kept() {
            assert_eq!(t.labels().get("instance"), want);
        }
    }
}

#[test]
fn target_errors_and_params() {
    let j = job(
        "scrape_configs:\n- job_name: j\n  params:\n    module: [http_2xx]\n  scrape_interval: 60s\n  relabel_configs:\n  - source_labels: [__meta_x]\n    target_label: __param_target\n",
    );
    assert_eq!(
        Target::from_discovered(&j, &[("__meta_x", "a b")]).unwrap_err(),
        TargetError::NoAddress
    );
    let t = Target::from_discovered(
        &j,
        &[
            ("__address__", "h:1"),
            ("__meta_x", "a b"),
            ("instance", "mine"),
        ],
    )
    .unwrap();
    let t = t.kept().unwrap();
    assert_eq!(t.url(), "http://h:1/metrics?module=http_2xx&target=a+b");
    assert_eq!(t.labels().get("instance"), Some("mine"));
    assert_eq!(t.all_labels().get("__scrape_interval__"), Some("1m"));
    assert_eq!(
        Target::from_discovered(&j, &[("__address__", "h/x")])
            .unwrap_err()
            .to_string(),
        r#""h/x" is not a valid hostname"#
    );
    let bad = job("scrape_configs:\n- job_name: j\n  scrape_interval: 5s\n  scrape_timeout: 10s\n");
    assert_eq!(
        Target::from_discovered(&bad, &[("__address__", "h:1")])
            .unwrap_err()
            .to_string(),
        r#"scrape timeout cannot be greater than scrape interval ("10s" > "5s")"#
    );
}

// ---------------------------------------------------------------- the seed scenario end to end

fn istio_body(bytes: usize) -> String {
    generate(&GenConfig::istio().target_bytes(bytes)).text
}

#[test]
fn seed_scenario_end_to_end_gzip() {
    let (job, target) = seed_target();
    let body = istio_body(200 << 10);
    let parsed = promtext::parse_str(&body)
        .filter(|e| e.as_ref().unwrap().as_sample().is_some())
        .count() as u64;
    let gz = gzip(body.as_bytes());
    let mut s = Scraper::new(ScrapeConfig::from_job(&job).unwrap(), &target);
    let mut out = Collect::default();
    let r = s.scrape_bytes(
        &gz,
        "text/plain; version=0.0.4; charset=utf-8",
        "gzip",
        &mut out,
    );
    assert!(r.up(), "{:?}", r.error);
    assert_eq!(r.samples_scraped, parsed);
    assert_eq!(r.wire_bytes, gz.len() as u64);
    assert_eq!(r.body_bytes, body.len() as u64);
    assert!(r.dropped_by_relabel > 0);
    assert_eq!(
        r.samples_scraped,
        r.samples_post_relabel + r.dropped_by_relabel
    );
    assert_eq!(r.series_added, r.samples_post_relabel);
    assert_eq!(out.series.len() as u64, r.samples_post_relabel);
    for s in &out.series {
        let l = &s.labels;
        assert_eq!(l.get("job"), Some("envoy-stats"));
        assert_eq!(l.get("instance"), Some("10.244.1.7:15090"));
        assert_eq!(l.get("namespace"), Some("default"));
        assert_eq!(l.get("pod_name"), Some("reviews-v1-545db77b95-6xk2p"));
        let name = l.get("__name__").unwrap();
        assert!(!name.starts_with("envoy_cluster_client_ssl_socket_factory_"));
        assert!(!name.starts_with("istio_request_bytes_bucket"));
        assert!(l.get("source_principal").is_none());
        assert!(l.iter().all(|(_, v)| !v.is_empty()));
        if let Some(le) = l.get("le") {
            assert!(le.contains('.') || le.contains('e') || le == "+Inf", "{le}");
        }
        if let Some(c) = l.get("cluster_name") {
            if let Some(rest) = c.strip_prefix("outbound|") {
                assert_eq!(l.get("upstream_service"), rest.rsplit('|').next());
            }
        }
    }
    // Second scrape: everything from the cache, same result.
    let mut out2 = Collect::default();
    let r2 = s.scrape_bytes(&gz, PROM, "gzip", &mut out2);
    assert!(r2.up());
    assert_eq!(r2.series_added, 0);
    assert_eq!(r2.cache_misses, 0);
    assert_eq!(r2.samples_post_relabel, r.samples_post_relabel);
    assert_eq!(out.series, out2.series);
    let report = r2.to_exposition(target.labels());
    assert!(report.contains(&format!(
        "scrape_samples_scraped{{instance=\"10.244.1.7:15090\",job=\"envoy-stats\",namespace=\"default\",pod_name=\"reviews-v1-545db77b95-6xk2p\"}} {parsed}\n"
    )));
}

#[test]
fn every_encoding_gives_the_same_series() {
    let (job, target) = seed_target();
    let body = istio_body(64 << 10);
    let cfg = || ScrapeConfig::from_job(&job).unwrap();
    let (r0, want) = scrape_with(cfg(), &target, body.as_bytes(), PROM, "");
    assert!(r0.up());
    for (enc, data) in [
        ("gzip", gzip(body.as_bytes())),
        ("x-gzip", gzip(body.as_bytes())),
        ("zstd", zstd(body.as_bytes())),
        ("br", brotli(body.as_bytes())),
        ("identity", body.as_bytes().to_vec()),
    ] {
        // Fed in odd-sized chunks.
        let mut s = Scraper::new(cfg(), &target);
        let mut out = Collect::default();
        let mut sc = s.begin(PROM, enc);
        for c in data.chunks(777) {
            sc.feed(c, &mut out).unwrap();
        }
        let r = sc.finish(&mut out);
        assert!(r.up(), "{enc}: {:?}", r.error);
        assert_eq!(r.body_bytes, body.len() as u64, "{enc}");
        assert_eq!(out.series, want.series, "{enc}");
    }
}

#[test]
fn openmetrics_content_type_and_protobuf() {
    let (cfg, t) = plain(&[("job", "j")]);
    let body = b"# TYPE a counter\na_total 1 1520879607.789\n# EOF\n";
    let (r, out) = scrape_with(
        cfg.clone(),
        &t,
        body,
        "application/openmetrics-text; version=1.0.0",
        "",
    );
    assert!(r.up(), "{:?}", r.error);
    assert_eq!(r.dialect, promtext::Dialect::OpenMetrics);
    assert_eq!(out.series[0].timestamp_ms, Some(1520879607789));
    // The same body as the Prometheus text format does not parse (`# EOF` is a comment, the float timestamp is not).
    let (r, _) = scrape_with(cfg.clone(), &t, body, PROM, "");
    assert!(matches!(r.error, Some(ScrapeError::Parse(_))));
    let (r, _) = scrape_with(
        cfg.clone(),
        &t,
        body,
        "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited",
        "",
    );
    // Read as protobuf, the text body is caught as text, not misread.
    assert!(
        matches!(&r.error, Some(ScrapeError::Parse(e)) if e.kind() == promtext::ErrorKind::MixedFormat),
        "{:?}",
        r.error
    );
    // OpenMetrics without `# EOF` fails at the end.
    let (r, out) = scrape_with(cfg, &t, b"a 1\n", "application/openmetrics-text", "");
    assert!(
        matches!(r.error, Some(ScrapeError::Parse(_))),
        "{:?}",
        r.error
    );
    assert!(out.series.is_empty());
}

// ---------------------------------------------------------------- honor_labels

#[test]
fn honor_labels_false_exports_conflicts() {
    let (cfg, t) = plain(&[("job", "envoy-stats"), ("instance", "10.0.0.1:15090")]);
    let body = b"a{job=\"app\",instance=\"x\"} 1\nb{job=\"app\",exported_job=\"older\"} 2\nc{job=\"\"} 3\n";
    let (r, out) = scrape_with(cfg, &t, body, PROM, "");
    assert!(r.up());
    assert_eq!(
        strs(&out),
        [
            r#"{__name__="a", exported_instance="x", exported_job="app", instance="10.0.0.1:15090", job="envoy-stats"}"#,
            r#"{__name__="b", exported_exported_job="app", exported_job="older", instance="10.0.0.1:15090", job="envoy-stats"}"#,
            r#"{__name__="c", instance="10.0.0.1:15090", job="envoy-stats"}"#,
        ]
    );
}

#[test]
fn honor_labels_true_scraped_wins() {
    let (mut cfg, t) = plain(&[("job", "envoy-stats"), ("instance", "10.0.0.1:15090")]);
    cfg.honor_labels = true;
    let body = b"a{job=\"app\"} 1\nb{job=\"\"} 2\n";
    let (r, out) = scrape_with(cfg, &t, body, PROM, "");
    assert!(r.up());
    assert_eq!(
        strs(&out),
        [
            r#"{__name__="a", instance="10.0.0.1:15090", job="app"}"#,
            // A scraped empty `job` blocks the target's and is then dropped as empty (mutateSampleLabels).
            r#"{__name__="b", instance="10.0.0.1:15090"}"#,
        ]
    );
}

// ---------------------------------------------------------------- limits

fn with_limits(f: impl FnOnce(&mut ScrapeConfig)) -> (ScrapeConfig, Target) {
    let (mut cfg, t) = plain(&[("job", "j")]);
    f(&mut cfg);
    (cfg, t)
}

const BODY: &[u8] =
    b"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_count 2\nh_sum 3\n";

#[test]
fn body_size_limit_on_decompressed_bytes() {
    let n = BODY.len() as u64;
    for (limit, ok) in [(n + 1, true), (n, false), (0, true)] {
        let (cfg, t) = with_limits(|c| c.limits.body_size_limit = limit);
        for (enc, data) in [("", BODY.to_vec()), ("gzip", gzip(BODY))] {
            let (r, out) = scrape_with(cfg.clone(), &t, &data, PROM, enc);
            assert_eq!(r.up(), ok, "limit {limit} {enc}");
            if !ok {
                assert_eq!(
                    r.error.as_ref().unwrap().to_string(),
                    "body size limit exceeded"
                );
                assert!(out.series.is_empty());
                assert!(
                    r.to_exposition(t.labels())
                        .contains("scrape_body_size_bytes{job=\"j\"} -1\n")
                );
            }
        }
    }
}

#[test]
fn sample_limit_counted_after_relabeling() {
    let drop_count = ConfigDocument::from_yaml(
        "- source_labels: [__name__]\n  regex: h_count\n  action: drop\n",
    )
    .unwrap();
    let rules = match &drop_count {
        ConfigDocument::Rules(r) => r.clone(),
        _ => unreachable!(),
    };
    for (limit, ok) in [(3, true), (2, false), (4, true)] {
        let (mut cfg, t) = with_limits(|c| c.limits.sample_limit = limit);
        cfg.metric_relabel = Pipeline::new(&rules, Default::default()).unwrap();
        let (r, out) = scrape_with(cfg.clone(), &t, BODY, PROM, "");
        assert_eq!(r.up(), ok, "limit {limit}");
        assert_eq!(r.samples_scraped, 4);
        if ok {
            assert_eq!(out.series.len(), 3);
        } else {
            assert_eq!(r.error, Some(ScrapeError::SampleLimit));
            assert_eq!(r.error.unwrap().to_string(), "sample limit exceeded");
            assert!(out.series.is_empty());
        }
        // Lenient: the excess is skipped and counted.
        cfg.options.lenient = true;
        let (r, out) = scrape_with(cfg, &t, BODY, PROM, "");
        assert!(r.up());
        assert_eq!(out.series.len() as u64, 3.min(limit));
        assert_eq!(r.samples_over_limit, 3u64.saturating_sub(limit));
    }
}

#[test]
fn label_limit() {
    // h_bucket has __name__, job, le: 3 labels.
    for (limit, ok) in [(3, true), (2, false)] {
        let (cfg, t) = with_limits(|c| c.limits.label_limit = limit);
        let (r, out) = scrape_with(cfg, &t, BODY, PROM, "");
        assert_eq!(r.up(), ok);
        if !ok {
            assert_eq!(
                r.error.unwrap().to_string(),
                "label_limit exceeded (metric: h_bucket, number of labels: 3, limit: 2)"
            );
            assert!(out.series.is_empty());
        }
    }
}

#[test]
fn label_name_length_limit() {
    // The longest name is __name__ (8 bytes).
    for (limit, ok) in [(8, true), (7, false)] {
        let (cfg, t) = with_limits(|c| c.limits.label_name_length_limit = limit);
        let (r, _) = scrape_with(cfg, &t, BODY, PROM, "");
        assert_eq!(r.up(), ok);
        if !ok {
            assert_eq!(
                r.error.unwrap().to_string(),
                "label_name_length_limit exceeded (metric: h_bucket, label name: __name__, length: 8, limit: 7)"
            );
        }
    }
}

#[test]
fn label_value_length_limit() {
    let body = "m{v=\"0123456789\\\"abcdefghij0123456789abcdefghij0123456789abcdefghij\"} 1\n";
    // The longest value: 10 + 1 + 50 = 61 bytes.
    for (limit, ok) in [(61, true), (60, false)] {
        let (cfg, t) = with_limits(|c| c.limits.label_value_length_limit = limit);
        let (r, out) = scrape_with(cfg, &t, body.as_bytes(), PROM, "");
        assert_eq!(r.up(), ok);
        if !ok {
            assert_eq!(
                r.error.unwrap().to_string(),
                r#"label_value_length_limit exceeded (metric: m, label name: v, value: "0123456789\"abcdefghij0123456789abcdefghij012345678", length: 61, limit: 60)"#
            );
            assert!(out.series.is_empty());
        }
    }
}

#[test]
fn label_limit_lenient_skips_the_series() {
    let (mut cfg, t) = with_limits(|c| c.limits.label_limit = 2);
    cfg.options.lenient = true;
    let (r, out) = scrape_with(cfg, &t, BODY, PROM, "");
    assert!(r.up());
    assert_eq!(r.invalid_series_skipped, 2);
    assert_eq!(out.series.len(), 2); // h_count, h_sum
}

// ---------------------------------------------------------------- names after relabeling

#[test]
fn missing_metric_name_and_invalid_names() {
    let rules = |y: &str| match ConfigDocument::from_yaml(y).unwrap() {
        ConfigDocument::Rules(r) => r,
        _ => unreachable!(),
    };
    let (mut cfg, t) = plain(&[("job", "j")]);
    cfg.metric_relabel = Pipeline::new(
        &rules("- action: labeldrop\n  regex: __name__\n"),
        Default::default(),
    )
    .unwrap();
    let (r, out) = scrape_with(cfg, &t, b"a 1\n", PROM, "");
    assert_eq!(
        r.error.unwrap().to_string(),
        "missing metric name (__name__ label)"
    );
    assert!(out.series.is_empty());

    let (mut cfg, t) = plain(&[("job", "j")]);
    cfg.scheme = promtext::relabel::NameValidationScheme::Legacy;
    let (r, _) = scrape_with(cfg.clone(), &t, b"{\"my.metric\",a=\"1\"} 1\n", PROM, "");
    assert_eq!(
        r.error.unwrap().to_string(),
        r#"invalid metric name or label names: {__name__="my.metric", a="1", job="j"}"#
    );
    let (r, _) = scrape_with(cfg, &t, b"ok{\"my.label\"=\"1\"} 1\n", PROM, "");
    assert!(matches!(r.error, Some(ScrapeError::InvalidNames(_))));
}

// ---------------------------------------------------------------- bad bodies

#[test]
fn bad_bodies_fail_cleanly() {
    let (cfg, t) = plain(&[("job", "j")]);
    let good = istio_body(32 << 10);
    let gz = gzip(good.as_bytes());
    let z = zstd(good.as_bytes());
    let br = brotli(good.as_bytes());
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated gzip", gz[..gz.len() / 2].to_vec(), "gzip"),
        (
            "truncated gzip trailer",
            gz[..gz.len() - 4].to_vec(),
            "gzip",
        ),
        ("truncated zstd", z[..z.len() / 2].to_vec(), "zstd"),
        ("truncated brotli", br[..br.len() / 2].to_vec(), "br"),
        ("garbage as gzip", b"\x00\x01\x02garbage".to_vec(), "gzip"),
        ("garbage as zstd", b"\x00\x01\x02garbage".to_vec(), "zstd"),
        (
            "plain text as brotli",
            good.as_bytes()[..4096].to_vec(),
            "br",
        ),
    ];
    for (what, body, enc) in cases {
        let (r, out) = scrape_with(cfg.clone(), &t, &body, PROM, enc);
        let e = r
            .error
            .clone()
            .unwrap_or_else(|| panic!("{what}: scrape succeeded"));
        assert!(
            matches!(e, ScrapeError::Decode { .. } | ScrapeError::Parse(_)),
            "{what}: {e}"
        );
        assert!(out.series.is_empty(), "{what}: half-applied");
    }
    let mut invalid_utf8 = b"a 1\nb{x=\"".to_vec();
    invalid_utf8.extend_from_slice(&[0xff, 0xfe]);
    invalid_utf8.extend_from_slice(b"\"} 2\n");
    let mut garbage = b"a 1\n".to_vec();
    garbage.extend((0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
    for (what, body) in [("invalid UTF-8", invalid_utf8), ("binary garbage", garbage)] {
        let (r, out) = scrape_with(cfg.clone(), &t, &body, PROM, "");
        assert!(
            matches!(r.error, Some(ScrapeError::Parse(_))),
            "{what}: {:?}",
            r.error
        );
        assert!(out.series.is_empty(), "{what}");
        assert_eq!(r.samples_scraped, 1, "{what}");
    }
    let (r, _) = scrape_with(cfg.clone(), &t, b"a 1\n", PROM, "compress");
    assert_eq!(
        r.error.unwrap().to_string(),
        "unsupported Content-Encoding \"compress\""
    );
}

#[test]
fn lenient_skips_bad_lines() {
    let (mut cfg, t) = plain(&[("job", "j")]);
    cfg.options.lenient = true;
    let (r, out) = scrape_with(cfg, &t, b"a 1\nthis is bad\nb 2\n", PROM, "");
    assert!(r.up());
    assert_eq!(r.bad_lines_skipped, 1);
    assert_eq!(out.series.len(), 2);
}

#[test]
fn failed_scrape_then_success_and_cache_hygiene() {
    let (cfg, t) = plain(&[("job", "j")]);
    let mut s = Scraper::new(cfg, &t);
    let mut out = Collect::default();
    let r = s.scrape_bytes(b"a 1\nb 2\nbad line\n", PROM, "", &mut out);
    assert!(!r.up());
    assert!(out.series.is_empty());
    let r = s.scrape_bytes(b"a 1\nc 3\n", PROM, "", &mut out);
    assert!(r.up());
    assert_eq!(r.series_added, 1); // a was cached by the failed scrape
    assert_eq!(s.cached_series(), 2); // b evicted after the successful scrape
}

#[test]
fn timestamps_and_le_normalisation() {
    let (mut cfg, t) = plain(&[("job", "j")]);
    let body = b"# TYPE s summary\ns{quantile=\"1\"} 1 1000\n# TYPE c counter\nc{le=\"1\"} 1\n";
    let (r, out) = scrape_with(cfg.clone(), &t, body, PROM, "");
    assert!(r.up());
    assert_eq!(out.series[0].labels.get("quantile"), Some("1.0"));
    assert_eq!(out.series[0].timestamp_ms, Some(1000));
    assert_eq!(out.series[1].labels.get("le"), Some("1")); // not a histogram
    cfg.honor_timestamps = false;
    let (_, out) = scrape_with(cfg, &t, body, PROM, "");
    assert_eq!(out.series[0].timestamp_ms, None);
}

#[test]
fn duplicate_samples_are_skipped_not_fatal() {
    let (cfg, t) = plain(&[("job", "j")]);
    let (r, out) = scrape_with(cfg, &t, b"a 1\na 2\nb 1 100\nb 2 200\n", PROM, "");
    assert!(r.up());
    assert_eq!(r.duplicate_samples, 1);
    // Prometheus counts the rejected repeat in `added` (scrape_samples_post_metric_relabeling) too.
    assert_eq!(r.samples_post_relabel, 4);
    assert_eq!(out.series.len(), 3);
    assert_eq!(out.series[0].value, 1.0);
}
