//! Golden tests over the real corpus: every Prometheus-text file in ../shared/corpus parses in
//! the default dialect, and the sample counts agree with a deliberately naive line counter and
//! with the counts recorded in the corpus provenance files. Skipped (with a note) when
//! ../shared is absent.

mod common;
use promtext::{ChunkParser, Event, Settings};

/// The naive oracle: a sample is a line whose first non-blank byte exists and is not `#`.
fn naive_samples(body: &[u8]) -> usize {
    body.split(|&b| b == b'\n')
        .filter(|l| {
            l.iter()
                .find(|&&b| b != b' ' && b != b'\t')
                .is_some_and(|&b| b != b'#')
        })
        .count()
}

struct Counts {
    samples: usize,
    types: usize,
    helps: usize,
    comments: usize,
    label_pairs: usize,
}

fn parse_counts(body: &[u8]) -> Counts {
    let mut c = Counts {
        samples: 0,
        types: 0,
        helps: 0,
        comments: 0,
        label_pairs: 0,
    };
    for ev in promtext::parse(body) {
        match ev.unwrap_or_else(|e| panic!("{e}")) {
            Event::Sample(s) => {
                c.samples += 1;
                c.label_pairs += s.labels().count();
            }
            Event::Type(_) => c.types += 1,
            Event::Help(_) => c.helps += 1,
            Event::Comment(_) => c.comments += 1,
            _ => {}
        }
    }
    c
}

const PROM_TEXT: &[(&str, usize)] = &[
    ("corpus/envoy/envoy_frontproxy_2023.prom", 630),
    ("corpus/envoy/envoy_consul-dataplane_2023.prom", 1317),
    ("corpus/envoy/istio-1.5_sidecar_15090.prom", 773),
    ("corpus/envoy/istio-1.11_merged_15020.prom", 461),
    ("corpus/envoy/envoy_legacy-ungrouped_datadog.prom", 1030),
    ("corpus/envoy/envoy_kuma_cx-connect-histogram.prom", 264),
    ("corpus/prometheus/alltypes.237mfs.prom.txt", 1857),
    ("corpus/prometheus/alltypes.237mfs.nometa.prom.txt", 1857),
    ("corpus/prometheus/promtestdata.txt", 410),
    ("corpus/prometheus/promtestdata.nometa.txt", 410),
];

#[test]
fn every_prometheus_text_file_parses_with_the_right_counts() {
    let Some(root) = common::shared("corpus") else {
        return;
    };
    let root = root.parent().unwrap();
    for &(file, documented) in PROM_TEXT {
        let body = std::fs::read(root.join(file)).unwrap();
        let c = parse_counts(&body);
        assert_eq!(
            c.samples,
            naive_samples(&body),
            "{file}: parser vs naive counter"
        );
        assert_eq!(c.samples, documented, "{file}: parser vs provenance file");
        // Chunked at 64 KiB and at an odd size: the same sample count.
        for size in [65536, 4099] {
            let mut p = ChunkParser::new(Settings::default());
            let mut n = 0;
            for chunk in body.chunks(size) {
                n += p
                    .feed(chunk)
                    .map(|r| r.unwrap())
                    .filter(|e| e.as_sample().is_some())
                    .count();
            }
            n += p
                .finish()
                .map(|r| r.unwrap())
                .filter(|e| e.as_sample().is_some())
                .count();
            assert_eq!(n, documented, "{file} chunked at {size}");
        }
        eprintln!(
            "{file}: {} samples, {} TYPE, {} HELP, {} comments, {} labels",
            c.samples, c.types, c.helps, c.comments, c.label_pairs
        );
    }
}

#[test]
fn envoy_specifics_survive_exactly() {
    let Some(root) = common::shared("corpus/envoy") else {
        return;
    };
    let read = |f: &str| std::fs::read(root.join(f)).unwrap();

    // `name{} v`: untagged stats have an empty label set, not a dropped sample.
    let body = read("envoy_frontproxy_2023.prom");
    let live: Vec<_> = promtext::parse(&body)
        .map(Result::unwrap)
        .filter_map(|e| {
            e.as_sample()
                .filter(|s| s.name() == "envoy_server_version")
                .map(|s| (s.series().to_string(), s.value_text().to_string()))
        })
        .collect();
    assert_eq!(
        live,
        [("envoy_server_version{}".to_string(), "9993205".to_string())]
    );

    // %.32g sums keep their exact text.
    let body = read("envoy_kuma_cx-connect-histogram.prom");
    assert!(promtext::parse(&body).map(Result::unwrap).any(|e| {
        e.as_sample()
            .is_some_and(|s| s.value_text() == "27.6499999999999985789145284798")
    }));

    // Consul: summaries with NaN quantiles.
    let body = read("envoy_consul-dataplane_2023.prom");
    let nans = promtext::parse(&body)
        .map(Result::unwrap)
        .filter(|e| e.as_sample().is_some_and(|s| s.value().is_nan()))
        .count();
    assert!(nans >= 3);

    // Istio 1.5: 24-label series, empty values kept by the parser, no final LF.
    let body = read("istio-1.5_sidecar_15090.prom");
    assert_ne!(body.last(), Some(&b'\n'));
    let max_labels = promtext::parse(&body)
        .map(Result::unwrap)
        .filter_map(|e| e.as_sample().map(|s| s.labels().count()))
        .max();
    // The naive oracle: `="` pairs per sample line (no value in this file contains `="`).
    let naive_max = body
        .split(|&b| b == b'\n')
        .filter(|l| !l.starts_with(b"#"))
        .map(|l| l.windows(2).filter(|w| w == b"=\"").count())
        .max();
    assert_eq!(max_labels, naive_max);
    assert_eq!(max_labels, Some(24));
    let empty = promtext::parse(&body)
        .map(Result::unwrap)
        .filter_map(|e| {
            e.as_sample()
                .map(|s| s.labels().filter(|l| l.value.is_empty()).count())
        })
        .sum::<usize>();
    assert_eq!(empty, 469);

    // Legacy ungrouped: the duplicated TYPE line is accepted (no family tracking).
    let body = read("envoy_legacy-ungrouped_datadog.prom");
    let dup = promtext::parse(&body)
        .map(Result::unwrap)
        .filter(|e| matches!(e, Event::Type(t) if t.name == "envoy_cluster_http2_stream_refused_errors"))
        .count();
    assert_eq!(dup, 2);
    // The family layer merges split families back together.
    let fams = promtext::family::collect_families(promtext::parse(&body)).unwrap();
    let names: std::collections::HashSet<_> = fams.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names.len(),
        fams.len(),
        "each family appears once after merging"
    );
}
