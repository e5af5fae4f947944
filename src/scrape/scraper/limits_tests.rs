//! The label limits checked by the parser (no metric relabeling; off by default, see
//! `Scraper::early_limits`) change nothing a scrape reports: a table of bodies × limits × `honor_labels` × target labels × leniency × format,
//! each scraped twice (the second time through the per-series cache) with and without them.

use super::*;
use crate::protobuf::write::{Family, Metric, encode_families};
use crate::relabel::Pipeline;
use crate::scrape::{Collect, Target};

const TEXT: &str = "text/plain; version=0.0.4";
const OM1: &str = "application/openmetrics-text; version=1.0.0";
const OM2: &str = "application/openmetrics-text; version=2.0.0";
const PROTO: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

fn many(n: usize) -> String {
    let labels: Vec<String> = (0..n).map(|i| format!("l{i}=\"v{i}\"")).collect();
    format!("many{{{}}} 1\n", labels.join(","))
}

/// Text bodies (the Prometheus text format; the OpenMetrics runs add `# EOF`).
fn bodies() -> Vec<String> {
    let mut v: Vec<String> = [
        "m{a=\"1\",b=\"2\",c=\"3\"} 1\n",
        "m{a=\"\",b=\"\",c=\"\",d=\"1\"} 1\n",
        "m{job=\"x\",instance=\"y\",a=\"1\"} 1\n",
        "m{job=\"x\",exported_job=\"z\",a=\"1\"} 1\n",
        "m{a=\"x\",exported_a=\"y\"} 1\n",
        "m{a_rather_long_label_name=\"1\"} 1\n",
        "m{a=\"a rather long label value\"} 1\n",
        "# TYPE h histogram\nh_bucket{le=\"1.000000000000000000\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 1\n",
        "# TYPE s summary\ns{quantile=\"0.50000000000\"} 1\ns_count 1\ns_sum 1\n",
        "m{a=\"\\\"\\\"\\\"\",b=\"\\\\\\\\\"} 1\n",
        "m{a=\"1\",b=\"2\",c=\"3\",d=} 1\n",
        "m{a=\"1\",b=\"2\",c=\"3\",a=\"4\"} 1\n",
        "m{__name__=\"m\",a=\"1\",b=\"2\"} 1\n",
        "m{__name__=\"\",a=\"1\"} 1\n",
        "{\"m\",a=\"1\",b=\"2\"} 1\n",
        "{a=\"1\",b=\"2\",c=\"3\",\"m\"} 1\n",
        "m{\"a.b\"=\"1\",\"c\\\"d\"=\"2\"} 1\n",
        "ok 1\nm{a=\"1\",b=\"2\",c=\"3\",d=\"4\"} 1\nok2{a=\"1\"} 2\n",
        "a_metric_name_longer_than_the_limits{a=\"1\"} 1\n",
        "m{a=\"1\"} 1\nm{a=\"1\"} 2\n",
        "m{a=\"1\",b=\"2\",c=\"3\",d=\"4\"} 1 bad\n",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(many(40));
    v.push(many(3) + &many(40) + &many(2));
    v
}

fn proto_bodies() -> Vec<Vec<u8>> {
    let metric = |labels: &[(&str, &str)]| Metric::new(labels).value(1.0);
    let long: Vec<(String, String)> = (0..40)
        .map(|i| (format!("l{i}"), format!("v{i}")))
        .collect();
    let long: Vec<(&str, &str)> = long.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    [
        vec![metric(&[("a", "1"), ("b", "2"), ("c", "3")])],
        vec![metric(&[("a", ""), ("b", ""), ("c", "1")])],
        vec![metric(&[("job", "x"), ("instance", "y"), ("a", "1")])],
        vec![metric(&[(
            "a_rather_long_label_name",
            "a rather long value",
        )])],
        vec![metric(&[("a", "1")]), metric(&long), metric(&[("b", "2")])],
    ]
    .into_iter()
    .map(|ms| {
        let f = ms
            .into_iter()
            .fold(Family::counter("m", ""), |f, m| f.metric(m));
        encode_families(&[f])
    })
    .collect()
}

/// Everything a scrape reports but its duration, and what it stored.
fn scrape(
    limits: (u64, u64, u64),
    honor: bool,
    target: &[(&str, &str)],
    lenient: bool,
    early: bool,
    body: &[u8],
    ct: &str,
) -> Vec<String> {
    let mut cfg = ScrapeConfig::new(Pipeline::new(&[], Default::default()).unwrap());
    cfg.honor_labels = honor;
    cfg.options.lenient = lenient;
    (
        cfg.limits.label_limit,
        cfg.limits.label_name_length_limit,
        cfg.limits.label_value_length_limit,
    ) = limits;
    let mut s = Scraper::new(cfg, &Target::from_labels(target));
    s.early_limits = early;
    let mut out = Vec::new();
    for _ in 0..2 {
        let mut app = Collect::default();
        let mut r = s.scrape_bytes(body, ct, "", &mut app);
        r.duration = Default::default();
        out.push(format!("{r:?}"));
        out.extend(app.series.iter().map(|x| format!("{x:?}")));
    }
    out
}

#[test]
fn early_label_limits_change_no_scrape() {
    let limits = [
        (0, 0, 0),
        (2, 0, 0),
        (3, 0, 0),
        (4, 0, 0),
        (5, 0, 0),
        (0, 3, 0),
        (0, 0, 3),
        (2, 4, 5),
        (5, 20, 20),
        (30, 0, 0),
    ];
    let targets: [&[(&str, &str)]; 3] = [
        &[("job", "j"), ("instance", "i")],
        &[("job", "j"), ("a", "t")],
        &[],
    ];
    let mut cases: Vec<(Vec<u8>, &str)> = Vec::new();
    for b in bodies() {
        cases.push((b.clone().into_bytes(), TEXT));
        cases.push((format!("{b}# EOF\n").into_bytes(), OM1));
        cases.push((format!("{b}# EOF\n").into_bytes(), OM2));
    }
    for b in proto_bodies() {
        cases.push((b, PROTO));
    }
    let (mut compared, mut failed) = (0, 0);
    for (body, ct) in &cases {
        for &l in &limits {
            for honor in [false, true] {
                for target in targets {
                    for lenient in [false, true] {
                        let early = scrape(l, honor, target, lenient, true, body, ct);
                        let late = scrape(l, honor, target, lenient, false, body, ct);
                        assert_eq!(
                            early,
                            late,
                            "body {:?} ({ct}), limits {l:?}, honor_labels {honor}, target {target:?}, lenient {lenient}",
                            String::from_utf8_lossy(body)
                        );
                        compared += 1;
                        failed += early[0].contains("error: Some") as usize;
                    }
                }
            }
        }
    }
    // The table reaches both verdicts.
    assert!(compared > 5000 && failed > 1000, "{compared} {failed}");
}

#[test]
fn parser_limits_only_when_on_and_without_metric_relabeling() {
    let mut cfg = ScrapeConfig::new(Pipeline::new(&[], Default::default()).unwrap());
    cfg.limits.label_limit = 7;
    cfg.limits.label_value_length_limit = 9;
    let mut s = Scraper::new(cfg.clone(), &Target::from_labels(&[("job", "j")]));
    assert!(s.parser_limits().is_none(), "off by default");
    s.early_limits = true;
    let got = Settings::default().scrape_label_limits(s.parser_limits().unwrap());
    assert_eq!(
        got.get_label_limits(),
        crate::LabelLimits {
            labels: 7,
            name_len: 0,
            value_len: 9
        }
    );
    assert!(got.limits_recheck);
    let rules = match crate::config::ConfigDocument::from_yaml("- action: labeldrop\n  regex: x\n")
        .unwrap()
    {
        crate::config::ConfigDocument::Rules(r) => r,
        _ => unreachable!(),
    };
    cfg.metric_relabel = Pipeline::new(&rules, Default::default()).unwrap();
    let mut s = Scraper::new(cfg, &Target::from_labels(&[("job", "j")]));
    s.early_limits = true;
    assert!(s.parser_limits().is_none());
}
