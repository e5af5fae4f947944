//! Self-checks of the generator that do not use the promtext parser: a
//! deliberately naive line classifier checks the metadata and the layout
//! rules of envoy.md §4.

use std::collections::{HashMap, HashSet};

use promtext::go::{format_g32, format_go_g, normalize_le_quantile, parse_go_float};
use promtext_gen::{AppBlock, GenConfig, PRESETS, Profile, generate, generate_to};

/// Naive counts: samples = non-blank lines not starting with `#`.
struct Naive {
    samples: usize,
    type_lines: usize,
    help_lines: usize,
    lines: usize,
    max_line_len: usize,
}

fn naive(text: &str) -> Naive {
    let mut n = Naive {
        samples: 0,
        type_lines: 0,
        help_lines: 0,
        lines: 0,
        max_line_len: 0,
    };
    for line in text.split_terminator('\n') {
        n.lines += 1;
        n.max_line_len = n.max_line_len.max(line.len());
        if line.starts_with("# TYPE ") {
            n.type_lines += 1;
        } else if line.starts_with("# HELP ") {
            n.help_lines += 1;
        } else if !line.is_empty() && !line.starts_with('#') {
            n.samples += 1;
        }
    }
    n
}

/// Splits a sample line into (name, labels as written, value).
fn split_sample(line: &str) -> (&str, Vec<(&str, &str)>, &str) {
    let (series, value) = line.rsplit_once(' ').expect("value");
    let Some(brace) = series.find('{') else {
        return (series, Vec::new(), value);
    };
    let name = &series[..brace];
    let body = &series[brace + 1..series.len() - 1];
    let mut labels = Vec::new();
    let b = body.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let eq = body[i..].find("=\"").expect("=\"") + i;
        let key = &body[i..eq];
        let mut j = eq + 2;
        while b[j] != b'"' {
            j += if b[j] == b'\\' { 2 } else { 1 };
        }
        labels.push((key, &body[eq + 2..j]));
        i = j + 1;
        if i < b.len() && b[i] == b',' {
            i += 1;
        }
    }
    (name, labels, value)
}

fn all_configs() -> Vec<GenConfig> {
    let mut v: Vec<GenConfig> = Profile::ALL.iter().map(|&p| GenConfig::new(p)).collect();
    v.push(GenConfig::envoy().openmetrics(true));
    v.push(GenConfig::istio().openmetrics(true));
    let mut c = GenConfig::new(Profile::Istio15020);
    c.app_block = AppBlock::OpenMetrics;
    v.push(c.clone());
    c.app_block = AppBlock::Text;
    v.push(c.clone());
    v.push(c.openmetrics(true));
    let mut s = GenConfig::envoy();
    s.summary_mode = true;
    s.text_readouts = true;
    s.per_endpoint = 3;
    s.extra_const_labels = 5;
    v.push(s.clone());
    v.push(s.openmetrics(true));
    v.push(GenConfig::istio().escape_rate(0.3).final_newline(false));
    v
}

#[test]
fn deterministic_and_seed_sensitive() {
    for cfg in all_configs() {
        let a = generate(&cfg);
        let b = generate(&cfg);
        assert_eq!(a.text, b.text, "{}", cfg.profile.name());
        let c = generate(&cfg.clone().seed(cfg.seed ^ 1));
        assert_ne!(a.text, c.text, "{}", cfg.profile.name());
    }
}

#[test]
fn meta_matches_naive_counts() {
    for cfg in all_configs() {
        let g = generate(&cfg);
        let n = naive(&g.text);
        let m = &g.meta;
        let what = cfg.to_json();
        assert_eq!(m.bytes, g.text.len(), "{what}");
        assert_eq!(m.samples, n.samples, "{what}");
        assert_eq!(m.type_lines, n.type_lines, "{what}");
        assert_eq!(m.help_lines, n.help_lines, "{what}");
        assert_eq!(m.lines, n.lines, "{what}");
        assert_eq!(m.max_line_len, n.max_line_len, "{what}");
        // Without duplicated TYPE lines, families = TYPE lines.
        if cfg.profile != Profile::EnvoyUngrouped {
            assert_eq!(m.families.total(), n.type_lines, "{what}");
        }
        let max_labels = g
            .text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| split_sample(l).1.len())
            .max()
            .unwrap_or(0);
        assert_eq!(m.max_labels, max_labels, "{what}");
        assert!(m.to_json().contains(&format!("\"samples\":{}", n.samples)));
    }
}

#[test]
fn streaming_equals_in_memory() {
    for cfg in all_configs() {
        let mut v = Vec::new();
        let meta = generate_to(&cfg, &mut v).unwrap();
        let g = generate(&cfg);
        assert_eq!(v, g.text.as_bytes());
        assert_eq!(meta, g.meta);
    }
    // Big enough to cross the internal flush threshold several times; the
    // sized ones have whole and partial stat scopes.
    for cfg in [
        GenConfig::envoy().clusters(60),
        GenConfig::envoy().target_bytes(2 << 20),
        GenConfig::istio().target_bytes(2 << 20).seed(3),
    ] {
        let mut v = Vec::new();
        let meta = generate_to(&cfg, &mut v).unwrap();
        assert!(v.len() > 768 << 10, "{}", v.len());
        let g = generate(&cfg);
        assert_eq!(meta, g.meta);
        assert_eq!(v, g.text.into_bytes());
    }
}

#[test]
fn target_sizes_within_tolerance() {
    for (cfg, target) in [
        (GenConfig::envoy(), 600_000usize),
        (GenConfig::envoy(), 1_000_000),
        (GenConfig::istio(), 1_000_000),
        (GenConfig::new(Profile::EnvoyUngrouped), 500_000),
        (GenConfig::new(Profile::Istio15020), 300_000),
        (GenConfig::envoy().openmetrics(true), 1_100_000),
    ] {
        let g = generate(&cfg.clone().target_bytes(target));
        let b = g.meta.bytes as f64;
        let t = target as f64;
        assert!(
            b >= t * 0.97 && b <= t * 1.05,
            "{} target {target} got {}",
            cfg.profile.name(),
            g.meta.bytes
        );
    }
}

#[test]
fn presets_exist_and_small_ones_have_their_size() {
    for (name, _) in PRESETS {
        assert!(GenConfig::preset(name).is_some(), "{name}");
    }
    let g = generate(&GenConfig::preset("small-sidecar").unwrap());
    assert!(
        (95_000..=110_000).contains(&g.meta.bytes),
        "{}",
        g.meta.bytes
    );
    // Even the smallest sidecar has Istio HTTP histograms (25 labels + le).
    assert_eq!(g.meta.max_labels, 26);
    assert!(g.text.contains("\nistio_requests_total{reporter="));
    let g = generate(&GenConfig::preset("legacy-ungrouped").unwrap());
    assert!(
        (970_000..=1_050_000).contains(&g.meta.bytes),
        "{}",
        g.meta.bytes
    );
    let g = generate(&GenConfig::preset("merged-15020-openmetrics").unwrap());
    assert!(g.text.ends_with("# EOF\n"));
    assert!(
        (1_940_000..=2_100_000).contains(&g.meta.bytes),
        "{}",
        g.meta.bytes
    );
}

#[test]
fn envoy_family_order() {
    // One stat scope, and many (whole and partial) scopes.
    for cfg in [GenConfig::envoy(), GenConfig::envoy().target_bytes(1 << 20)] {
        envoy_family_order_of(&cfg);
    }
}

fn envoy_family_order_of(cfg: &GenConfig) {
    let g = generate(cfg);
    assert!(cfg.target_bytes.is_none() || g.text.contains("\n# TYPE envoy_s2_"));
    let types: Vec<(&str, &str)> = g
        .text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| l.split_once(' ').unwrap())
        .collect();
    // Sections: counters, gauges, histograms.
    let rank = |t: &str| {
        ["counter", "gauge", "histogram"]
            .iter()
            .position(|&x| x == t)
            .unwrap()
    };
    assert!(types.windows(2).all(|w| rank(w[0].1) <= rank(w[1].1)));
    // Within each section every envoy_cluster_* precedes envoy_cluster_manager_*.
    for sec in ["counter", "gauge", "histogram"] {
        let names: Vec<&str> = types.iter().filter(|t| t.1 == sec).map(|t| t.0).collect();
        // Stat scope k's families are `envoy_s<k>_…`, in the scope's run.
        let scope_of = |n: &str| {
            n.strip_prefix("envoy_s")
                .and_then(|r| r.split_once('_'))
                .and_then(|(k, _)| k.parse::<usize>().ok())
                .unwrap_or(0)
        };
        let unscoped = |n: &str| {
            let k = scope_of(n);
            if k == 0 {
                n.to_string()
            } else {
                n.replacen(&format!("envoy_s{k}_"), "envoy_", 1)
            }
        };
        assert!(names.windows(2).all(|w| scope_of(w[0]) <= scope_of(w[1])));
        let scopes = names.last().map_or(0, |n| scope_of(n));
        for k in 0..=scopes {
            let names: Vec<String> = names
                .iter()
                .filter(|n| scope_of(n) == k)
                .map(|n| unscoped(n))
                .collect();
            let last_cluster = names.iter().rposition(|n| {
                n.starts_with("envoy_cluster_") && !n.starts_with("envoy_cluster_manager_")
            });
            let first_cm = names
                .iter()
                .position(|n| n.starts_with("envoy_cluster_manager_"));
            if let (Some(a), Some(b)) = (last_cluster, first_cm) {
                assert!(a < b, "{sec}: {} after {}", names[a], names[b]);
            }
        }
    }
    // Not byte-sorted, as in the real capture.
    let counters: Vec<&str> = types
        .iter()
        .filter(|t| t.1 == "counter")
        .map(|t| t.0)
        .collect();
    let mut sorted = counters.clone();
    sorted.sort_unstable();
    assert_ne!(counters, sorted);
    // Every family appears once.
    let set: HashSet<_> = types.iter().map(|t| t.0).collect();
    assert_eq!(set.len(), types.len());
}

#[test]
fn istio_family_sits_between_cluster_manager_and_listener_manager() {
    let g = generate(&GenConfig::istio());
    let names: Vec<&str> = g
        .text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter(|l| l.ends_with(" counter"))
        .map(|l| l.split_once(' ').unwrap().0)
        .collect();
    let rq = names
        .iter()
        .position(|&n| n == "istio_requests_total")
        .unwrap();
    assert!(
        names[rq - 1].starts_with("envoy_cluster_manager_"),
        "{}",
        names[rq - 1]
    );
    assert!(
        names[rq + 1..]
            .iter()
            .any(|n| n.starts_with("envoy_listener_manager_"))
    );
    assert!(
        !names[..rq]
            .iter()
            .any(|n| n.starts_with("envoy_listener_manager_"))
    );
}

#[test]
fn series_sorted_and_braces() {
    // Without the sidecar's constant labels, so that untagged series exist.
    let mut cfg = GenConfig::envoy().clusters(30);
    cfg.extra_const_labels = 0;
    let g = generate(&cfg);
    let mut untagged = 0;
    let mut last: Option<(String, Vec<String>)> = None;
    for line in g.text.lines() {
        if line.starts_with('#') {
            last = None;
            continue;
        }
        let (name, labels, _) = split_sample(line);
        if labels.is_empty() {
            assert!(line.contains("{} "), "no braces: {line}");
            untagged += 1;
        }
        // Cluster-scoped counters: series sorted by cluster name.
        if labels.len() == 1 && labels[0].0 == "envoy_cluster_name" {
            let key = vec![labels[0].1.to_string()];
            if let Some((n, k)) = &last {
                if n == name {
                    assert!(k < &key, "{line}");
                }
            }
            last = Some((name.to_string(), key));
        }
    }
    assert!(untagged > 80);
}

#[test]
fn istio_labels_and_histograms() {
    let g = generate(&GenConfig::istio().istio_peers(20));
    let mut istio_lines = 0;
    for line in g
        .text
        .lines()
        .filter(|l| l.starts_with("istio_") && !l.starts_with("istio_build"))
    {
        let (name, labels, _) = split_sample(line);
        let keys: Vec<&str> = labels.iter().map(|l| l.0).collect();
        let tcp = name.starts_with("istio_tcp_");
        let want = if tcp {
            23
        } else if name.ends_with("_bucket") {
            26
        } else {
            25
        };
        assert_eq!(keys.len(), want, "{line}");
        assert_eq!(keys[0], "reporter");
        if !tcp {
            assert_eq!(keys[21], "response_code");
            assert_eq!(keys[24], "connection_security_policy");
        }
        if name.ends_with("_bucket") {
            assert_eq!(keys[25], "le");
        }
        istio_lines += 1;
    }
    assert!(istio_lines > 500);
    check_histograms(&g.text);
}

/// Buckets cumulative, `+Inf` == `_count`, 22 lines per Envoy series.
fn check_histograms(text: &str) {
    let mut buckets: HashMap<String, Vec<(String, f64)>> = HashMap::new();
    let mut counts: HashMap<String, f64> = HashMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (name, labels, value) = split_sample(line);
        let v: f64 = if value == "nan" {
            f64::NAN
        } else {
            value.parse().unwrap()
        };
        let rest: Vec<String> = labels
            .iter()
            .filter(|l| l.0 != "le")
            .map(|l| format!("{}={}", l.0, l.1))
            .collect();
        if let Some(base) = name.strip_suffix("_bucket") {
            let le = labels.iter().find(|l| l.0 == "le").unwrap().1.to_string();
            assert_eq!(labels.last().unwrap().0, "le", "{line}");
            buckets
                .entry(format!("{base}|{}", rest.join(",")))
                .or_default()
                .push((le, v));
        } else if let Some(base) = name.strip_suffix("_count") {
            counts.insert(format!("{base}|{}", rest.join(",")), v);
        }
    }
    assert!(!buckets.is_empty());
    for (key, bs) in &buckets {
        assert!(
            bs.windows(2).all(|w| w[0].1 <= w[1].1),
            "not cumulative: {key}"
        );
        let (le, inf) = bs.last().unwrap();
        assert_eq!(le, "+Inf");
        assert_eq!(Some(inf), counts.get(key), "{key}");
        if !key.starts_with("istio_agent") && !key.starts_with("http_request") {
            assert_eq!(bs.len(), 20, "{key}");
        }
    }
}

#[test]
fn envoy_histograms_and_bounds() {
    let g = generate(&GenConfig::envoy());
    check_histograms(&g.text);
    let les: Vec<&str> = g
        .text
        .lines()
        .filter(|l| l.starts_with("envoy_server_initialization_time_ms_bucket"))
        .map(|l| split_sample(l).1.last().unwrap().1)
        .collect();
    assert_eq!(
        les.join(" "),
        "0.5 1 5 10 25 50 100 250 500 1000 2500 5000 10000 30000 60000 300000 600000 1800000 3600000 +Inf"
    );
    // Values of counters and gauges are plain integers; some version hashes
    // exceed i64::MAX on some seed.
    let mut big = false;
    for seed in 0..8 {
        let g = generate(&GenConfig::envoy().seed(seed));
        for line in g
            .text
            .lines()
            .filter(|l| !l.starts_with('#') && split_sample(l).0.ends_with("_version"))
        {
            let v = split_sample(line).2;
            assert!(v.bytes().all(|c| c.is_ascii_digit()), "{line}");
            big |= v.parse::<u64>().unwrap() > i64::MAX as u64;
        }
    }
    assert!(big);
}

#[test]
fn blankline_ungrouped_and_final_newline() {
    let g = generate(&GenConfig::new(Profile::EnvoyBlankline));
    assert!(g.text.ends_with("\n\n"));
    let blanks = g.text.lines().filter(|l| l.is_empty()).count();
    assert_eq!(blanks, g.meta.type_lines);

    let g = generate(&GenConfig::new(Profile::EnvoyUngrouped).clusters(6));
    // Some family's samples come in more than one run.
    let mut seen_runs: HashMap<String, usize> = HashMap::new();
    let mut prev = String::new();
    for line in g.text.lines().filter(|l| !l.starts_with('#')) {
        let name = split_sample(line).0.to_string();
        if name != prev {
            *seen_runs.entry(name.clone()).or_default() += 1;
            prev = name;
        }
    }
    assert!(seen_runs.values().filter(|&&r| r > 1).count() > 50);

    for cfg in all_configs() {
        let g = generate(&cfg.clone().final_newline(false));
        assert!(!g.text.ends_with('\n'), "{}", cfg.profile.name());
        let g = generate(&cfg.final_newline(true));
        assert!(g.text.ends_with('\n'));
    }
}

#[test]
fn openmetrics_rendering() {
    for cfg in all_configs().into_iter().filter(|c| c.openmetrics) {
        let g = generate(&cfg);
        assert!(g.text.ends_with("# EOF\n"));
        assert_eq!(g.text.matches("# EOF").count(), 1);
        let mut types: HashMap<&str, &str> = HashMap::new();
        let mut fam_order: Vec<&str> = Vec::new();
        for line in g.text.lines() {
            assert!(!line.is_empty(), "blank line in OM");
            assert!(!line.contains("  ") && !line.ends_with(' '), "{line}");
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (n, t) = rest.split_once(' ').unwrap();
                assert!(types.insert(n, t).is_none(), "family twice: {n}");
                assert_ne!(t, "untyped");
                fam_order.push(n);
                continue;
            }
            if line.starts_with('#') {
                assert!(line.starts_with("# HELP ") || line == "# EOF", "{line}");
                continue;
            }
            assert!(!line.contains("{}"), "{line}");
            let (name, _, value) = split_sample(line);
            let fam = *fam_order.last().unwrap();
            let t = types[fam];
            match t {
                "counter" => {
                    assert!(
                        name == format!("{fam}_total") || name == format!("{fam}_created"),
                        "{line}"
                    );
                    assert!(value.parse::<f64>().unwrap() >= 0.0);
                }
                "gauge" => assert_eq!(name, fam),
                "histogram" => assert!(name.starts_with(fam)),
                "summary" => assert!(name.starts_with(fam)),
                _ => panic!("type {t}"),
            }
        }
        if g.text.contains("_bucket") {
            check_histograms(&g.text);
        }
    }
}

#[test]
fn escapes() {
    let mut cfg = GenConfig::istio().escape_rate(0.3);
    cfg.text_readouts = true;
    cfg.clusters = 20;
    let g = generate(&cfg);
    for seq in ["\\\"", "\\\\", "\\n"] {
        assert!(g.text.contains(seq), "missing {seq}");
    }
    // Every line is a whole sample: no raw LF inside a value.
    for line in g
        .text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (_, labels, value) = split_sample(line);
        assert!(value.parse::<f64>().is_ok() || value == "nan", "{line}");
        for (_, v) in labels {
            assert!(!v.contains('\n'));
        }
    }
    assert_eq!(naive(&g.text).samples, g.meta.samples);
    // Off by default.
    assert!(!generate(&GenConfig::istio()).text.contains('\\'));
}

#[test]
fn istio_15020_layout() {
    let mut cfg = GenConfig::new(Profile::Istio15020);
    cfg.app_block = AppBlock::Text;
    let g = generate(&cfg);
    let first_envoy = g.text.find("\n# TYPE envoy_").unwrap();
    let go = &g.text[..first_envoy];
    assert!(go.starts_with("# HELP istio_agent_"));
    assert!(
        go.lines()
            .filter(|l| !l.starts_with('#'))
            .all(|l| !l.contains("{}"))
    );
    assert!(go.contains("e+0"), "Go %g exponents");
    assert!(go.contains("le=\"1e+06\""));
    assert!(g.text[first_envoy..].contains("{} "));
    assert!(!g.text.contains("# EOF"));
    assert!(
        g.text
            .ends_with("http_request_duration_seconds_count{handler=\"/healthz\"} 400\n")
            || g.text.contains("http_requests_total{")
    );
}

#[test]
fn summary_mode_prints_nan_and_quantiles() {
    let mut cfg = GenConfig::envoy();
    cfg.summary_mode = true;
    let g = generate(&cfg);
    assert!(g.meta.families.summaries > 0 && g.meta.families.histograms == 0);
    assert!(g.text.contains("quantile=\"0.995\"} "));
    assert!(g.text.contains("\"} nan\n"));
    assert!(!g.text.contains("_bucket"));
}

#[test]
fn float_formats_round_trip() {
    for v in [
        0.1,
        17506.15,
        1e-7,
        123456.789,
        1e300,
        5e-324,
        2.0f64.powi(70),
    ] {
        assert_eq!(format_g32(v).parse::<f64>().unwrap(), v);
        assert_eq!(format_go_g(v).parse::<f64>().unwrap(), v);
        assert_eq!(parse_go_float(&format_go_g(v)), Some(v));
    }
    assert_eq!(normalize_le_quantile("3600000"), "3.6e+06");
}
