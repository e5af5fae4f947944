//! OpenMetrics parsing throughput, validation `prometheus` vs `strict`, every label iterated.
//!
//! Inputs: Prometheus' `alltypes.5mfs.om.txt` and `1histogram.om.txt` from
//! `../shared/corpus/prometheus/` (skipped with a note when absent), and a generated ≥ 1 MB
//! OpenMetrics rendering of an Envoy-like exposition (counters, gauges, histograms, exemplars).
//!
//! Run: `cargo bench --bench openmetrics -- --warm-up-time 1 --measurement-time 3`.

use std::fmt::Write;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use promtext::{Event, Settings, Validation};

/// A deterministic Envoy-like OpenMetrics body of at least `min_bytes`.
fn envoy_like(min_bytes: usize) -> Vec<u8> {
    let mut s = String::with_capacity(min_bytes + 64 * 1024);
    let clusters = [
        "outbound|9080||reviews.default.svc.cluster.local",
        "outbound|9080||ratings.default.svc.cluster.local",
        "outbound|9080||details.default.svc.cluster.local",
        "inbound|9080||productpage.default.svc.cluster.local",
        "xds-grpc",
        "prometheus_stats",
    ];
    let bounds = [
        "0.5", "1", "5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "10000",
        "30000", "60000", "300000", "600000", "1800000", "3600000",
    ];
    let stats = [
        "upstream_rq",
        "upstream_cx_total",
        "upstream_rq_retry",
        "upstream_rq_timeout",
        "upstream_cx_destroy",
        "upstream_rq_pending_total",
        "lb_healthy_panic",
        "update_attempt",
    ];
    let mut round = 0u64;
    while s.len() < min_bytes {
        for (k, stat) in stats.iter().enumerate() {
            let family = format!("envoy_cluster_{stat}_r{round}");
            writeln!(s, "# TYPE {family} counter").unwrap();
            for (i, c) in clusters.iter().enumerate() {
                for code in ["200", "503"] {
                    let v = (round + 1) * 1_000_003 % 99_991 * (i as u64 + k as u64 + 1);
                    write!(
                        s,
                        "{family}_total{{response_code=\"{code}\",cluster_name=\"{c}\"}} {v}"
                    )
                    .unwrap();
                    if i % 3 == 0 {
                        write!(
                            s,
                            " # {{trace_id=\"{:016x}\"}} 1 1724000000.{i:03}",
                            v * 7919
                        )
                        .unwrap();
                    }
                    s.push('\n');
                }
            }
        }
        let gauge = format!("envoy_server_memory_allocated_r{round}");
        writeln!(s, "# TYPE {gauge}_bytes gauge\n# UNIT {gauge}_bytes bytes").unwrap();
        for w in 0..8 {
            writeln!(
                s,
                "{gauge}_bytes{{worker=\"{w}\"}} {}",
                7_340_032 + w * 4096 + round
            )
            .unwrap();
        }
        let hist = format!("envoy_cluster_upstream_rq_time_r{round}");
        writeln!(s, "# TYPE {hist} histogram").unwrap();
        for c in &clusters {
            let mut cumulative = 0u64;
            for (j, le) in bounds.iter().enumerate() {
                cumulative += (j as u64 * 13 + round) % 7;
                write!(
                    s,
                    "{hist}_bucket{{cluster_name=\"{c}\",le=\"{le}\"}} {cumulative}"
                )
                .unwrap();
                if j == 3 {
                    write!(s, " # {{trace_id=\"{round:x}{j}\"}} 7.5").unwrap();
                }
                s.push('\n');
            }
            writeln!(
                s,
                "{hist}_bucket{{cluster_name=\"{c}\",le=\"+Inf\"}} {cumulative}"
            )
            .unwrap();
            writeln!(s, "{hist}_count{{cluster_name=\"{c}\"}} {cumulative}").unwrap();
            writeln!(
                s,
                "{hist}_sum{{cluster_name=\"{c}\"}} {}.25",
                cumulative * 11
            )
            .unwrap();
        }
        round += 1;
    }
    s.push_str("# EOF\n");
    s.into_bytes()
}

/// Parses `body` and touches every label, value, timestamp and exemplar.
fn run(body: &[u8], settings: &Settings) -> usize {
    let mut n = 0usize;
    for ev in promtext::parse_with(body, settings.clone()) {
        match ev.expect("bench inputs are valid") {
            Event::Sample(s) => {
                n += s.value().to_bits() as usize & 1;
                n += s.timestamp_ms().unwrap_or(0) as usize & 1;
                for l in s.labels() {
                    n += l.name.len() + l.value.len();
                }
                if let Some(e) = s.exemplar() {
                    for l in e.labels() {
                        n += l.value.len();
                    }
                }
            }
            _ => n += 1,
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let mut inputs: Vec<(String, Vec<u8>, bool)> = Vec::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/prometheus");
    // alltypes.5mfs.om.txt has a negative histogram _sum: valid for Prometheus, not for
    // strict OpenMetrics, so it is measured at the prometheus level only.
    for (file, strict_ok) in [("alltypes.5mfs.om.txt", false), ("1histogram.om.txt", true)] {
        match std::fs::read(dir.join(file)) {
            Ok(body) => inputs.push((file.to_string(), body, strict_ok)),
            Err(_) => eprintln!("note: {} is absent; skipping it", dir.join(file).display()),
        }
    }
    let generated = envoy_like(1 << 20);
    inputs.push((
        format!("envoy_like_{}KiB.om", generated.len() / 1024),
        generated,
        true,
    ));

    let prometheus = Settings::openmetrics();
    let strict = Settings::openmetrics().validation(Validation::Strict);
    for (name, body, strict_ok) in &inputs {
        let mut group = c.benchmark_group(format!("openmetrics/{name}"));
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function("prometheus", |b| {
            b.iter(|| run(black_box(body), &prometheus))
        });
        if *strict_ok {
            group.bench_function("strict", |b| b.iter(|| run(black_box(body), &strict)));
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
