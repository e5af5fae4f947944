//! The `envoy` and `istio` generator profiles against the real captures'
//! shape: every statistic of [`Shape`] within ±20 % of the reference
//! (absolute ±0.01 where the reference share is 0), at 1 MiB and 16 MiB, on
//! two seeds.
//!
//! References (each statistic is the mean over the captures, so every
//! capture weighs the same):
//! - `envoy`: the two modern (≥ 1.24, grouped) Envoy captures,
//!   `envoy_frontproxy_2023.prom` and the Envoy part of
//!   `envoy_consul-dataplane_2023.prom` (from its first `# TYPE envoy_`
//!   line: the `consul_dataplane_*` block before it comes from a Go
//!   exporter merged into the endpoint, not from Envoy). The legacy
//!   ungrouped capture is the `envoy-ungrouped` profile's, and the Kuma file
//!   is a one-family extract.
//! - `istio`: `istio-1.5_sidecar_15090.prom`, the sidecar's Envoy port. The
//!   Istio 1.11 capture is the merged port 15020 (`istio-15020` profile) and
//!   was trimmed upstream.

mod common;

use promtext_gen::{GenConfig, Shape, generate};

/// Allowed relative deviation.
const REL: f64 = 0.20;
/// Allowed absolute deviation where the reference is 0.
const ABS: f64 = 0.01;

fn read(dir: &std::path::Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The statistics compared (all of [`Shape::stats`] but the sample count).
fn compared(s: &Shape) -> Vec<(&'static str, f64)> {
    s.stats()
        .into_iter()
        .filter(|(n, _)| *n != "samples")
        .collect()
}

fn mean(shapes: &[Shape]) -> Vec<(&'static str, f64)> {
    let rows: Vec<_> = shapes.iter().map(compared).collect();
    (0..rows[0].len())
        .map(|i| {
            let sum: f64 = rows.iter().map(|r| r[i].1).sum();
            (rows[0][i].0, sum / rows.len() as f64)
        })
        .collect()
}

fn within(reference: f64, got: f64) -> bool {
    if reference == 0.0 {
        got.abs() <= ABS
    } else {
        (got - reference).abs() <= REL * reference.abs()
    }
}

/// Prints a markdown table (captures, reference, generated bodies) and
/// returns the generated cells that are out of tolerance.
fn compare(
    profile: &str,
    captures: &[(&str, Shape)],
    generated: &[(String, Shape)],
) -> Vec<String> {
    let reference = mean(&captures.iter().map(|c| c.1).collect::<Vec<_>>());
    let mut head = format!("| {profile} statistic |");
    for (name, _) in captures {
        head.push_str(&format!(" {name} |"));
    }
    head.push_str(" reference |");
    for (name, _) in generated {
        head.push_str(&format!(" {name} |"));
    }
    println!("\n{head}");
    println!(
        "|---|{}",
        "---:|".repeat(captures.len() + 1 + generated.len())
    );
    let mut bad = Vec::new();
    for (i, (stat, r)) in reference.iter().enumerate() {
        let mut row = format!("| {stat} |");
        for (_, c) in captures {
            row.push_str(&format!(" {:.3} |", compared(c)[i].1));
        }
        row.push_str(&format!(" **{r:.3}** |"));
        for (name, g) in generated {
            let v = compared(g)[i].1;
            let ok = within(*r, v);
            row.push_str(&format!(" {v:.3}{} |", if ok { "" } else { " ✗" }));
            if !ok {
                bad.push(format!("{profile} {name}: {stat} {v:.3} vs {r:.3}"));
            }
        }
        println!("{row}");
    }
    bad
}

fn generated(base: &GenConfig) -> Vec<(String, Shape)> {
    let mut out = Vec::new();
    for (label, size) in [("1 MiB", 1usize << 20), ("16 MiB", 16 << 20)] {
        for seed in [1u64, 7] {
            let g = generate(&base.clone().seed(seed).target_bytes(size));
            // The size target still holds with the scope layout.
            let b = g.meta.bytes as f64;
            assert!(
                b >= size as f64 * 0.97 && b <= size as f64 * 1.03,
                "{label} seed {seed}: {b}"
            );
            out.push((format!("{label} s{seed}"), Shape::of(g.text.as_bytes())));
        }
    }
    out
}

#[test]
fn envoy_profile_has_the_captures_shape() {
    let Some(dir) = common::shared("corpus/envoy") else {
        return;
    };
    let consul = read(&dir, "envoy_consul-dataplane_2023.prom");
    let at = consul
        .windows(13)
        .position(|w| w == b"# TYPE envoy_")
        .expect("consul-dataplane has Envoy families");
    let captures = [
        (
            "frontproxy",
            Shape::of(&read(&dir, "envoy_frontproxy_2023.prom")),
        ),
        ("consul-dataplane (Envoy part)", Shape::of(&consul[at..])),
    ];
    let bad = compare("envoy", &captures, &generated(&GenConfig::envoy()));
    assert!(bad.is_empty(), "out of tolerance:\n{}", bad.join("\n"));
}

#[test]
fn istio_profile_has_the_captures_shape() {
    let Some(dir) = common::shared("corpus/envoy") else {
        return;
    };
    let captures = [(
        "istio-1.5 sidecar 15090",
        Shape::of(&read(&dir, "istio-1.5_sidecar_15090.prom")),
    )];
    let bad = compare("istio", &captures, &generated(&GenConfig::istio()));
    assert!(bad.is_empty(), "out of tolerance:\n{}", bad.join("\n"));
}

/// The old shape is still there under its own name, and it is what its
/// name says: far more series per family than any capture.
#[test]
fn many_series_presets_keep_the_old_shape() {
    for name in ["envoy-many-series", "istio-many-series"] {
        let cfg = GenConfig::preset(name).unwrap().target_bytes(1 << 20);
        let s = Shape::of(generate(&cfg).text.as_bytes());
        assert!(s.samples_per_family > 8.0, "{name}: {s:?}");
    }
}

/// The statistics themselves, on a body small enough to count by hand.
#[test]
fn shape_of_a_hand_written_body() {
    let body = concat!(
        "# HELP up Whether the target is up.\n",
        "# TYPE up gauge\n",
        "up{job=\"a\",instance=\"h:1\"} 1\n",
        "up{job=\"b\\\"q\",instance=\"\"} 0\n",
        "\n",
        "# TYPE rq histogram\n",
        "rq_bucket{le=\"1\"} 2\n",
        "rq_bucket{le=\"+Inf\"} 3\n",
        "rq_sum{} 4.5\n",
        "rq_count 3",
    );
    let s = Shape::of(body.as_bytes());
    assert_eq!(
        (s.lines, s.samples, s.type_lines, s.help_lines),
        (9, 6, 2, 1)
    );
    assert_eq!(s.type_share, 2.0 / 9.0);
    assert_eq!(s.help_share, 1.0 / 9.0);
    assert_eq!(s.samples_per_family, 3.0);
    assert_eq!(s.labels_per_sample, 6.0 / 6.0);
    // a, h:1, b\"q, (empty), 1, +Inf.
    let value_lens = [1, 3, 4, 0, 1, 4];
    assert_eq!(
        s.label_value_len,
        value_lens.iter().sum::<usize>() as f64 / 6.0
    );
    let lens = [28, 28, 19, 22, 12, 10];
    assert_eq!(s.line_len_mean, lens.iter().sum::<usize>() as f64 / 6.0);
    assert_eq!(s.line_len_median, (19.0 + 22.0) / 2.0);
    assert_eq!(s.escape_share, 1.0 / 6.0);
    assert_eq!(s.bucket_share, 2.0 / 6.0);
}
