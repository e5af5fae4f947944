//! The scrape layer with protobuf bodies: the same series as the text body, native histograms
//! as one sample each at the job's resolution, the Prometheus 3 config keys, fallback and mixed
//! bodies.

#![cfg(all(feature = "yaml", feature = "gzip"))]

use std::io::Write;

use promtext::config::{ConfigDocument, ScrapeJob};
use promtext::content_type::{Format, PROTO_FIRST_ACCEPT, ScrapeProtocol};
use promtext::protobuf::write::{Family, Metric, Native, encode_families};
use promtext::scrape::{Collect, ScrapeConfig, ScrapeError, ScrapeReport, Scraper, Target};
use promtext_gen::seed;
use promtext_gen::{GenConfig, generate_protobuf};

const PB: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
const TEXT: &str = "text/plain; charset=UTF-8";

fn job(yaml: &str) -> ScrapeJob {
    ConfigDocument::from_yaml(yaml).unwrap().jobs()[0].clone()
}

fn target(job: &ScrapeJob) -> Target {
    let t = if job.job_name == "envoy" {
        Target::from_discovered(job, &[("__address__", "10.0.0.1:15090")])
    } else {
        Target::from_discovered(job, &seed::SAMPLE_POD_TARGETS[2])
    };
    t.unwrap().kept().unwrap().clone()
}

fn scrape(job: &ScrapeJob, body: &[u8], ct: &str, ce: &str) -> (ScrapeReport, Collect) {
    let t = target(job);
    let mut s = Scraper::new(ScrapeConfig::from_job(job).unwrap(), &t);
    let mut out = Collect::default();
    let r = s.scrape_bytes(body, ct, ce, &mut out);
    (r, out)
}

fn sorted(out: &Collect) -> Vec<(String, u64, Option<i64>)> {
    let mut v: Vec<_> = out
        .series
        .iter()
        .map(|s| {
            (
                s.labels.to_string(),
                if s.value.is_nan() {
                    1
                } else {
                    s.value.to_bits()
                },
                s.timestamp_ms,
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn config_keys() {
    let j = job(r#"
global:
  scrape_protocols: [PrometheusText0.0.4]
scrape_configs:
- job_name: a
  scrape_protocols: [PrometheusProto, OpenMetricsText1.0.0]
  scrape_native_histograms: true
  always_scrape_classic_histograms: true
  native_histogram_bucket_limit: 10
  native_histogram_min_bucket_factor: 1.1
  fallback_scrape_protocol: PrometheusProto
- job_name: b
  scrape_native_histograms: true
"#);
    let p = &j.protocols;
    assert_eq!(
        p.scrape_protocols.as_deref(),
        Some(
            &[
                ScrapeProtocol::PrometheusProto,
                ScrapeProtocol::OpenMetricsText1_0_0
            ][..]
        )
    );
    assert!(p.scrape_native_histograms && p.always_scrape_classic_histograms);
    assert_eq!((p.native_histogram_bucket_limit, p.max_schema()), (10, 2));
    assert_eq!(
        p.fallback_scrape_protocol,
        Some(ScrapeProtocol::PrometheusProto)
    );
    let c = ScrapeConfig::from_job(&j).unwrap();
    assert_eq!(
        c.accept_header(),
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,*/*;q=0.4"
    );
    // The job's header and the scrape config's are one: the same list, the same escaping.
    let docs = ConfigDocument::from_yaml("scrape_configs:\n- job_name: e\n  scrape_protocols: [PrometheusProto, PrometheusText1.0.0]\n  metric_name_escaping_scheme: dots\n").unwrap();
    let e = &docs.jobs()[0];
    let want = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,text/plain;version=1.0.0;escaping=dots;q=0.5,*/*;q=0.4";
    assert_eq!(e.accept_header(), want);
    assert_eq!(ScrapeConfig::from_job(e).unwrap().accept_header(), want);
    // The global list applies to a job without its own.
    let docs = ConfigDocument::from_yaml("global:\n  scrape_protocols: [PrometheusText0.0.4]\nscrape_configs:\n- job_name: b\n  scrape_native_histograms: true\n").unwrap();
    assert_eq!(
        ScrapeConfig::from_job(&docs.jobs()[0])
            .unwrap()
            .accept_header(),
        "text/plain;version=0.0.4;q=0.6,*/*;q=0.5"
    );
    // Without any list, native histograms put protobuf first.
    let docs = ConfigDocument::from_yaml(
        "scrape_configs:\n- job_name: b\n  scrape_native_histograms: true\n",
    )
    .unwrap();
    assert_eq!(
        ScrapeConfig::from_job(&docs.jobs()[0])
            .unwrap()
            .accept_header(),
        PROTO_FIRST_ACCEPT
    );

    for (yaml, want) in [
        (
            "scrape_protocols: [Proto]",
            "unknown scrape protocol Proto, supported: [OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto PrometheusText0.0.4 PrometheusText1.0.0]",
        ),
        (
            "scrape_protocols: [PrometheusProto, PrometheusProto]",
            "duplicated protocol in scrape_protocols, got PrometheusProto PrometheusProto",
        ),
        (
            "fallback_scrape_protocol: text",
            "unknown scrape protocol text",
        ),
    ] {
        let e = ConfigDocument::from_yaml(&format!("scrape_configs:\n- job_name: x\n  {yaml}\n"))
            .unwrap_err();
        // Job errors name their job.
        assert!(
            e.to_string().starts_with(&format!("job \"x\": {want}")),
            "{e}"
        );
    }
}

#[test]
fn protobuf_body_scrapes_like_the_text_body() {
    let j = seed::envoy_stats_job().unwrap();
    let (body, text) = generate_protobuf(&GenConfig::envoy().target_bytes(300 << 10), false);
    let (rt, ot) = scrape(&j, text.text.as_bytes(), TEXT, "");
    let (rp, op) = scrape(&j, &body, PB, "");
    assert!(rt.up() && rp.up(), "{:?} {:?}", rt.error, rp.error);
    assert_eq!(rp.format, Format::Protobuf);
    assert_eq!(
        (
            rp.samples_scraped,
            rp.samples_post_relabel,
            rp.dropped_by_relabel,
            rp.series_added
        ),
        (
            rt.samples_scraped,
            rt.samples_post_relabel,
            rt.dropped_by_relabel,
            rt.series_added
        )
    );
    assert!(rp.dropped_by_relabel > 0);
    assert_eq!(sorted(&op), sorted(&ot));
    // Compressed, and a second scrape through the cache.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&body).unwrap();
    let gz = e.finish().unwrap();
    let t = target(&j);
    let mut s = Scraper::new(ScrapeConfig::from_job(&j).unwrap(), &t);
    for round in 0..2 {
        let mut out = Collect::default();
        let r = s.scrape_bytes(&gz, PB, "gzip", &mut out);
        assert!(r.up());
        assert_eq!(sorted(&out), sorted(&ot), "round {round}");
        assert_eq!(r.cache_hits > 0, round == 1);
    }
}

fn native_body() -> Vec<u8> {
    let mut n = Native::new(3);
    n.count = 10.0;
    n.sum = 20.0;
    // Ten buckets at schema 3, two spans.
    n.positive_spans = vec![(0, 6), (2, 4)];
    n.positive = vec![1.0; 10];
    encode_families(&[Family::histogram("rq_time", "").metric(
        Metric::new(&[("cluster", "a"), ("job", "app")])
            .classic(10.0, 20.0, &[(1.0, 4.0), (2.0, 10.0)])
            .native(n),
    )])
}

#[test]
fn native_histograms_scrape_as_one_sample() {
    let base = "scrape_configs:\n- job_name: envoy\n  scrape_native_histograms: true\n";
    let (r, out) = scrape(&job(base), &native_body(), PB, "");
    assert!(r.up(), "{:?}", r.error);
    assert_eq!(
        (r.samples_scraped, r.native_histograms, out.series.len()),
        (1, 1, 0)
    );
    let h = &out.histograms[0];
    assert_eq!(
        h.labels.to_string(),
        r#"{__name__="rq_time", cluster="a", exported_job="app", instance="10.0.0.1:15090", job="envoy"}"#
    );
    assert_eq!(
        (h.schema, h.count, h.sum, h.positive.len()),
        (3, 10.0, 20.0, 10)
    );
    assert_eq!(h.positive[6].0, 8);

    // always_scrape_classic_histograms: the classic series too.
    let (r, out) = scrape(
        &job(&format!("{base}  always_scrape_classic_histograms: true\n")),
        &native_body(),
        PB,
        "",
    );
    assert_eq!(
        (r.samples_scraped, out.series.len(), out.histograms.len()),
        (1 + 5, 5, 1)
    );
    // Native histograms off: classic only.
    let (r, out) = scrape(
        &job("scrape_configs:\n- job_name: envoy\n"),
        &native_body(),
        PB,
        "",
    );
    assert_eq!(
        (r.samples_scraped, out.series.len(), out.histograms.len()),
        (5, 5, 0)
    );

    // The bucket limit lowers the resolution: schema 3 → 2 merges (0..5 and 8..11) into 3+2 buckets... until it fits.
    let (r, out) = scrape(
        &job(&format!("{base}  native_histogram_bucket_limit: 4\n")),
        &native_body(),
        PB,
        "",
    );
    assert!(r.up(), "{:?}", r.error);
    let h = &out.histograms[0];
    assert!(h.positive.len() <= 4 && h.schema < 3, "{h:?}");
    assert_eq!(h.positive.iter().map(|b| b.1).sum::<f64>(), 10.0);
    // Impossible to fit: the scrape fails.
    let (r, out) = scrape(
        &job(&format!("{base}  native_histogram_bucket_limit: 1\n")),
        &native_body(),
        PB,
        "",
    );
    assert_eq!(r.error, Some(ScrapeError::BucketLimit));
    assert_eq!(
        r.error.unwrap().to_string(),
        "histogram bucket limit exceeded"
    );
    assert!(out.histograms.is_empty());
    // The minimum bucket factor caps the schema: 1.1 allows schema 2 at most.
    let (_, out) = scrape(
        &job(&format!(
            "{base}  native_histogram_min_bucket_factor: 1.1\n"
        )),
        &native_body(),
        PB,
        "",
    );
    let h = &out.histograms[0];
    assert_eq!(h.schema, 2);
    // Index i of schema 3 goes to ((i - 1) >> 1) + 1 at schema 2.
    assert_eq!(
        h.positive,
        [
            (0, 1.0),
            (1, 2.0),
            (2, 2.0),
            (3, 1.0),
            (4, 1.0),
            (5, 2.0),
            (6, 1.0)
        ]
    );
}

#[test]
fn fallback_and_mixed_bodies() {
    let body = native_body();
    // Blank Content-Type: fails without a fallback protocol...
    let strict = job("scrape_configs:\n- job_name: envoy\n");
    let mut cfg = ScrapeConfig::from_job(&strict).unwrap();
    cfg.options.fallback_dialect = None;
    let t = Target::from_labels(&[("job", "envoy")]);
    let mut out = Collect::default();
    let r = Scraper::new(cfg, &t).scrape_bytes(&body, "", "", &mut out);
    assert!(matches!(r.error, Some(ScrapeError::ContentType(_))));
    // ...and is read as protobuf with fallback_scrape_protocol: PrometheusProto.
    let (r, _) = scrape(
        &job("scrape_configs:\n- job_name: envoy\n  fallback_scrape_protocol: PrometheusProto\n"),
        &body,
        "",
        "",
    );
    assert!(r.up(), "{:?}", r.error);
    assert_eq!(r.format, Format::Protobuf);
    assert!(r.content_type_fallback.is_some());

    // Protobuf with text glued on fails clearly.
    let mut mixed = body.clone();
    mixed.extend_from_slice(b"envoy_server_live{} 1\n");
    let (r, out) = scrape(&strict, &mixed, PB, "");
    match r.error {
        Some(ScrapeError::Parse(e)) => {
            assert_eq!(e.kind(), promtext::ErrorKind::MixedFormat, "{e}")
        }
        e => panic!("{e:?}"),
    }
    assert!(out.series.is_empty());
}

/// Prometheus 3.x (`scrape/target.go`, `PopulateDiscoveredLabels` / `PopulateLabels`): the job's
/// histogram settings become the target labels `__scrape_native_histograms__`,
/// `__always_scrape_classic_histograms__` and `__convert_classic_histograms_to_nhcb__`
/// (`strconv.FormatBool`), relabeling may change them per target, a value that is not a Go
/// boolean fails the target, and the scrape loop takes each setting from its target's label.
#[test]
fn histogram_settings_are_target_labels() {
    let on = job("scrape_configs:\n- job_name: envoy\n  scrape_native_histograms: true\n");
    let t = target(&on);
    assert_eq!(
        t.all_labels().get("__scrape_native_histograms__"),
        Some("true")
    );
    assert_eq!(
        t.all_labels().get("__always_scrape_classic_histograms__"),
        Some("false")
    );
    assert_eq!(
        t.all_labels().get("__convert_classic_histograms_to_nhcb__"),
        Some("false")
    );
    // Not target labels of the scraped series.
    assert!(t.labels().iter().all(|(n, _)| !n.starts_with("__")));

    // Turned on for one target by relabeling: native histograms are ingested for it.
    let per_target = job(
        "scrape_configs:\n- job_name: envoy\n  relabel_configs:\n  - {target_label: __scrape_native_histograms__, replacement: 'True'}\n  - {target_label: __always_scrape_classic_histograms__, replacement: '1'}\n",
    );
    let (r, out) = scrape(&per_target, &native_body(), PB, "");
    assert!(r.up(), "{:?}", r.error);
    assert_eq!(
        (r.native_histograms, out.histograms.len(), out.series.len()),
        (1, 1, 5)
    );

    // Not a Go boolean: the target fails with Prometheus' message, checked in its order.
    for (label, words) in [
        ("__scrape_native_histograms__", "scrape native histograms"),
        (
            "__always_scrape_classic_histograms__",
            "always scrape classic histograms",
        ),
        (
            "__convert_classic_histograms_to_nhcb__",
            "convert classic histograms to nhcb",
        ),
    ] {
        let bad = job(&format!(
            "scrape_configs:\n- job_name: envoy\n  relabel_configs:\n  - {{target_label: {label}, replacement: 'yes'}}\n"
        ));
        let err = Target::from_discovered(&bad, &[("__address__", "10.0.0.1:15090")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("error parsing {words}: strconv.ParseBool: parsing \"yes\": invalid syntax")
        );
    }
}

/// The first error of the text parser over the whole body, and what the whole-body check makes
/// of it.
fn whole_body_verdict(
    body: &[u8],
    dialect: promtext::Dialect,
) -> (promtext::ErrorKind, String, u64) {
    let err = promtext::parse_with(body, promtext::Settings::default().dialect(dialect))
        .find_map(Result::err)
        .expect("the text parser fails");
    let e = promtext::content_type::mixed_format_error(body, &err, Format::Text(dialect))
        .unwrap_or(err);
    (e.kind(), e.to_string(), e.offset())
}

fn streamed_verdict(
    job: &ScrapeJob,
    ct: &str,
    chunks: &[&[u8]],
) -> (promtext::ErrorKind, String, u64) {
    let t = target(job);
    let mut s = Scraper::new(ScrapeConfig::from_job(job).unwrap(), &t);
    let mut out = Collect::default();
    let mut sc = s.begin(ct, "");
    for c in chunks {
        if sc.feed(c, &mut out).is_err() {
            break;
        }
    }
    let r = sc.finish(&mut out);
    assert!(out.series.is_empty());
    match r.error {
        Some(ScrapeError::Parse(e)) => (e.kind(), e.to_string(), e.offset()),
        e => panic!("{e:?}"),
    }
}

/// Istio 1.30.0 glued text and protobuf into one body (Prometheus issue #60322): the streaming
/// text path reports it as the whole-body check does, wherever the body is cut.
#[test]
fn mixed_text_body_split_at_every_offset() {
    let strict = job("scrape_configs:\n- job_name: envoy\n");
    let text = b"# TYPE envoy_server_live gauge\nenvoy_server_live{} 1\n".to_vec();
    let small = encode_families(&[
        Family::gauge("envoy_server_live", "Live.").metric(Metric::new(&[]).value(1.0))
    ]);
    // A family over 127 bytes: a two-byte length prefix.
    let help = "h".repeat(300);
    let large =
        encode_families(&[Family::gauge("envoy_server_state", &help)
            .metric(Metric::new(&[("a", "b")]).value(0.0))]);
    assert!(large[0] >= 0x80);
    let mut cases: Vec<(Vec<u8>, bool)> = Vec::new();
    for fam in [&small, &large] {
        let mut b = text.clone();
        b.extend_from_slice(fam);
        cases.push((b.clone(), true));
        // More text after the family: still the family's start that is reported.
        b.extend_from_slice(&text);
        cases.push((b, true));
        // A truncated family is not taken as protobuf.
        let mut b = text.clone();
        b.extend_from_slice(&fam[..fam.len() - 1]);
        cases.push((b, false));
        // Nor one that does not start a line.
        let mut b = text.clone();
        b.extend_from_slice(b"x");
        b.extend_from_slice(fam);
        cases.push((b, false));
    }
    // Plain text errors.
    cases.push((b"a 1\nb{ 2\n".to_vec(), false));
    cases.push((b"a 1\nb 2 3 4 5 6 7 8 9 10 11 12\n".to_vec(), false));
    cases.push((b"\x05\nabc".to_vec(), false));
    for (body, mixed) in &cases {
        let want = whole_body_verdict(body, promtext::Dialect::Prometheus);
        assert_eq!(
            want.0 == promtext::ErrorKind::MixedFormat,
            *mixed,
            "{want:?}"
        );
        for k in 0..=body.len() {
            let got = streamed_verdict(&strict, TEXT, &[&body[..k], &body[k..]]);
            assert_eq!(
                got,
                want,
                "split at {k} of {:?}",
                String::from_utf8_lossy(body)
            );
        }
        // Three pieces around the family start.
        let at = text.len().min(body.len());
        for i in at.saturating_sub(4)..=at.min(body.len()) {
            for j in i..=(i + 4).min(body.len()) {
                let got = streamed_verdict(&strict, TEXT, &[&body[..i], &body[i..j], &body[j..]]);
                assert_eq!(got, want, "split at {i}, {j}");
            }
        }
        // One byte at a time.
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(streamed_verdict(&strict, TEXT, &bytes), want);
    }
    // OpenMetrics too.
    let mut om = b"# TYPE envoy_server_live gauge\nenvoy_server_live 1\n".to_vec();
    om.extend_from_slice(&small);
    let want = whole_body_verdict(&om, promtext::Dialect::OpenMetrics);
    assert_eq!(want.0, promtext::ErrorKind::MixedFormat);
    for k in 0..=om.len() {
        let got = streamed_verdict(
            &strict,
            "application/openmetrics-text; version=1.0.0",
            &[&om[..k], &om[k..]],
        );
        assert_eq!(got, want, "split at {k}");
    }
}

/// A lenient scrape that skips a bad line keeps converting the classic histograms after it.
#[test]
fn lenient_scrape_converts_histograms_after_a_skipped_line() {
    let hist = |name: &str| {
        format!(
            "# TYPE {name} histogram\n{name}_bucket{{le=\"1\"}} 1\n{name}_bucket{{le=\"+Inf\"}} 2\n\
{name}_sum 3\n{name}_count 2\n"
        )
    };
    let body = format!("{}bad line here\n{}", hist("a_seconds"), hist("b_seconds"));
    let j = job("scrape_configs:\n- job_name: envoy\n  convert_classic_histograms_to_nhcb: true\n");
    let mut cfg = ScrapeConfig::from_job(&j).unwrap();
    cfg.options.lenient = true;
    let mut s = Scraper::new(cfg, &target(&j));
    for _ in 0..2 {
        let mut out = Collect::default();
        let r = s.scrape_bytes(body.as_bytes(), TEXT, "", &mut out);
        assert!(r.up(), "{:?}", r.error);
        assert_eq!(r.bad_lines_skipped, 1);
        assert_eq!(out.histograms.len(), 2, "{:?}", out.series);
        assert!(out.series.is_empty(), "{:?}", out.series);
    }
}

/// `convert_classic_histograms_to_nhcb`: a classic histogram from text, OpenMetrics or
/// protobuf is one native histogram with custom buckets, one sample through relabeling and the
/// limits; its classic series stay only with `always_scrape_classic_histograms`; the target
/// label decides per target.
#[test]
fn classic_histograms_convert_to_custom_buckets() {
    let text = "# TYPE rq_seconds histogram\n\
rq_seconds_bucket{code=\"200\",le=\"0.1\"} 2\n\
rq_seconds_bucket{code=\"200\",le=\"1\"} 5\n\
rq_seconds_bucket{code=\"200\",le=\"+Inf\"} 6\n\
rq_seconds_sum{code=\"200\"} 3.5\n\
rq_seconds_count{code=\"200\"} 6\n\
up 1\n";
    let om = format!("{text}# EOF\n");
    let pb = encode_families(&[
        Family::histogram("rq_seconds", "").metric(Metric::new(&[("code", "200")]).classic(
            6.0,
            3.5,
            &[(0.1, 2.0), (1.0, 5.0), (f64::INFINITY, 6.0)],
        )),
        Family::gauge("up", "").metric(Metric::new(&[]).value(1.0)),
    ]);
    let base = "scrape_configs:\n- job_name: envoy\n  convert_classic_histograms_to_nhcb: true\n";
    let on = job(base);
    let mut seen = vec![];
    for (body, ct) in [
        (text.as_bytes(), TEXT),
        (om.as_bytes(), "application/openmetrics-text; version=1.0.0"),
        (&pb[..], PB),
    ] {
        let (r, out) = scrape(&on, body, ct, "");
        assert!(r.up(), "{ct}: {:?}", r.error);
        assert_eq!((r.samples_scraped, r.native_histograms), (2, 1), "{ct}");
        assert_eq!(out.series.len(), 1, "{ct}: only `up`");
        let h = &out.histograms[0];
        assert_eq!(h.schema, -53);
        assert_eq!(h.custom_values, [0.1, 1.0]);
        assert_eq!(h.positive, [(0, 2.0), (1, 3.0), (2, 1.0)]);
        assert_eq!((h.count, h.sum), (6.0, 3.5));
        assert!(
            h.labels.to_string().contains("__name__=\"rq_seconds\""),
            "{}",
            h.labels
        );
        seen.push(h.clone());
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]));
    // always_scrape_classic_histograms keeps the classic series too.
    let both = job(&format!("{base}  always_scrape_classic_histograms: true\n"));
    for (body, ct) in [(text.as_bytes(), TEXT), (&pb[..], PB)] {
        let (r, out) = scrape(&both, body, ct, "");
        assert!(r.up(), "{:?}", r.error);
        assert_eq!(out.histograms.len(), 1);
        assert_eq!(out.series.len(), 6, "{ct}: 3 buckets, sum, count, up");
        assert_eq!(r.samples_scraped, 7);
    }
    // A histogram counts as one sample for sample_limit, and relabeling applies to it.
    let limited = job(&format!("{base}  sample_limit: 1\n"));
    let (r, _) = scrape(&limited, text.as_bytes(), TEXT, "");
    assert!(
        matches!(r.error, Some(ScrapeError::SampleLimit)),
        "{:?}",
        r.error
    );
    let dropped = job(&format!(
        "{base}  metric_relabel_configs:\n  - source_labels: [__name__]\n    regex: rq_seconds\n    action: drop\n"
    ));
    let (r, out) = scrape(&dropped, text.as_bytes(), TEXT, "");
    assert!(r.up());
    assert!(out.histograms.is_empty());
    assert_eq!(r.dropped_by_relabel, 1);
    // Protobuf: a histogram that does not convert fails the scrape (text drops it silently).
    let bad = encode_families(&[Family::histogram("rq_seconds", "")
        .metric(Metric::new(&[]).classic(1.0, 0.0, &[(0.1, 2.0), (f64::INFINITY, 1.0)]))]);
    let (r, _) = scrape(&on, &bad, PB, "");
    match r.error {
        Some(ScrapeError::Parse(e)) => {
            assert!(e.to_string().contains("count is not cumulative"), "{e}")
        }
        e => panic!("{e:?}"),
    }
    let bad_text = "# TYPE h histogram\nh_bucket{le=\"0.1\"} 2\nh_bucket{le=\"+Inf\"} 1\nup 1\n";
    let (r, out) = scrape(&on, bad_text.as_bytes(), TEXT, "");
    assert!(r.up());
    assert!(out.histograms.is_empty());
    assert_eq!(out.series.len(), 1);
    // The target label turns it off for one target.
    let mut t = Target::from_discovered(&on, &[("__address__", "10.0.0.1:15090")])
        .unwrap()
        .kept()
        .unwrap()
        .clone();
    assert!(t.convert_classic_histograms_to_nhcb(false));
    let off = job(&format!(
        "{base}  relabel_configs:\n  - target_label: __convert_classic_histograms_to_nhcb__\n    replacement: \"false\"\n"
    ));
    t = Target::from_discovered(&off, &[("__address__", "10.0.0.1:15090")])
        .unwrap()
        .kept()
        .unwrap()
        .clone();
    let mut s = Scraper::new(ScrapeConfig::from_job(&off).unwrap(), &t);
    let mut out = Collect::default();
    let r = s.scrape_bytes(text.as_bytes(), TEXT, "", &mut out);
    assert!(r.up());
    assert!(out.histograms.is_empty());
    assert_eq!(out.series.len(), 6);
}

/// A varint, as protobuf writes lengths.
fn varint(mut n: usize, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A length-delimited field.
fn field(key: u8, bytes: &[u8]) -> Vec<u8> {
    let mut f = vec![key];
    varint(bytes.len(), &mut f);
    f.extend_from_slice(bytes);
    f
}

/// A counter family of one metric whose fields are `metric` as given (labels anywhere).
fn raw_counter(name: &str, metric: &[Vec<u8>]) -> Vec<u8> {
    let mut fam = field(0x0a, name.as_bytes());
    fam.extend_from_slice(&[0x18, 0]);
    fam.extend(field(0x22, &metric.concat()));
    let mut out = Vec::new();
    varint(fam.len(), &mut out);
    out.extend(fam);
    out
}

fn label(name: &str, value: &str) -> Vec<u8> {
    field(
        0x0a,
        &[field(0x0a, name.as_bytes()), field(0x12, value.as_bytes())].concat(),
    )
}

/// A counter's value field (`Metric.counter`, field 3).
fn counter_value(v: f64) -> Vec<u8> {
    field(0x1a, &[&[0x09][..], &v.to_le_bytes()].concat())
}

/// Series in every shape the cache keys protobuf series by: labels all in the leading run
/// (their bytes are the key), and labels the key walks — a value of 128 bytes or more, labels
/// after the value, a pair in another encoding — with buckets, quantiles, native histograms,
/// and families whose names with a suffix are another family's names.
fn cache_shapes_body(v: f64) -> Vec<u8> {
    let long = "v".repeat(200);
    let mut n = Native::new(3);
    n.count = v;
    n.sum = 2.0 * v;
    n.positive_spans = vec![(0, 2)];
    n.positive = vec![1.0, v - 1.0];
    let mut body = encode_families(&[
        Family::counter("rq", "")
            .metric(Metric::new(&[("code", "200"), ("path", "é/ü")]).value(v))
            .metric(Metric::new(&[("code", "500")]).value(v + 1.0))
            .metric(Metric::new(&[]).value(v + 2.0))
            .metric(Metric::new(&[("code", "404"), ("long", &long)]).value(v + 3.0)),
        Family::summary("lat", "").metric(Metric::new(&[("code", "200")]).summary(
            7,
            v,
            &[(0.5, 1.0), (0.99, v)],
        )),
        Family::counter("lat_count", "").metric(Metric::new(&[("code", "200")]).value(v + 4.0)),
        Family::histogram("size", "").metric(Metric::new(&[("code", "200")]).classic(
            v,
            3.0,
            &[(1.0, 1.0), (10.0, v)],
        )),
        Family::histogram("time", "").metric(Metric::new(&[("cluster", "a")]).native(n)),
        // `size_bucket{quantile="1.0"}` beside `size_bucket{le="1.0"}`.
        Family::summary("size_bucket", "").metric(Metric::new(&[("code", "200")]).summary(
            3,
            v,
            &[(1.0, 2.0)],
        )),
    ]);
    // The labels after the value; a pair with the value first.
    body.extend(raw_counter(
        "after",
        &[counter_value(v), label("code", "200"), label("x", "y")],
    ));
    let reversed = field(0x0a, &[field(0x12, b"y"), field(0x0a, b"x")].concat());
    body.extend(raw_counter(
        "reversed",
        &[reversed, label("code", "200"), counter_value(v)],
    ));
    body
}

#[test]
fn warm_protobuf_scrapes_append_what_cold_ones_do() {
    let j = job("scrape_configs:\n- job_name: envoy\n  scrape_native_histograms: true\n");
    let t = target(&j);
    let mut warm = Scraper::new(ScrapeConfig::from_job(&j).unwrap(), &t);
    for (round, v) in [5.0, 6.0, 7.0].into_iter().enumerate() {
        let body = cache_shapes_body(v);
        let (cold_report, cold) = scrape(&j, &body, PB, "");
        assert!(cold_report.up(), "{:?}", cold_report.error);
        let mut out = Collect::default();
        let r = warm.scrape_bytes(&body, PB, "", &mut out);
        assert!(r.up(), "{:?}", r.error);
        assert_eq!(sorted(&out), sorted(&cold), "round {round}");
        let hist = |c: &Collect| {
            c.histograms
                .iter()
                .map(|h| (h.labels.to_string(), h.count, h.positive.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(hist(&out), hist(&cold), "round {round}");
        // 4 counters, 4 summary series, 1, 5 bucket series, 1 native histogram, 3, 2; the
        // counter `lat_count` has the summary's `_count` labels: a duplicate, storage keeps the
        // first.
        assert_eq!((r.samples_scraped, r.duplicate_samples), (20, 1));
        assert_eq!(out.series.len() + out.histograms.len(), 19);
        assert!(
            out.series
                .iter()
                .any(|s| s.value == v && s.labels.to_string().contains("\"after\""))
        );
        assert!(
            out.series
                .iter()
                .any(|s| s.value == v && s.labels.to_string().contains("\"reversed\""))
        );
        // (In the first scrape the counter `lat_count` finds the summary's `_count`.)
        match round {
            0 => assert_eq!((r.cache_hits, r.cache_misses), (1, 19)),
            _ => assert_eq!((r.cache_hits, r.cache_misses), (20, 0)),
        }
    }
}
