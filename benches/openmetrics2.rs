//! OpenMetrics 2.0 against OpenMetrics 1.0 on the same histogram-heavy data: one composite
//! line per histogram (`{count:…,sum:…,bucket:[…]} st@…`) against its classic rendering
//! (`_bucket` lines, `_count`, `_sum`, `_created`). Both parses yield Prometheus' series
//! (`_count`, `_sum`, `_bucket{le=…}`), every label iterated.
//!
//! Run: `cargo bench --bench openmetrics2 -- --warm-up-time 1 --measurement-time 3`.

use std::fmt::Write;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use promtext::{Event, Settings};

const BOUNDS: [&str; 12] = [
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf",
];

/// The same histograms in both dialects: `families` families of `series` series each.
fn bodies(families: usize, series: usize) -> (Vec<u8>, Vec<u8>) {
    let (mut om1, mut om2) = (String::new(), String::new());
    for f in 0..families {
        let name = format!("http_request_{f}_duration_seconds");
        for out in [&mut om1, &mut om2] {
            writeln!(out, "# TYPE {name} histogram").unwrap();
            writeln!(out, "# UNIT {name} seconds").unwrap();
            writeln!(out, "# HELP {name} Request duration.").unwrap();
        }
        for s in 0..series {
            let labels = format!(
                "handler=\"/api/v1/endpoint_{s}\",method=\"GET\",code=\"200\",instance=\"10.0.{f}.{s}:8080\""
            );
            let counts: Vec<u64> = (0..BOUNDS.len() as u64)
                .map(|i| (i + 1) * 100 + (f * series + s) as u64)
                .collect();
            let count = counts[counts.len() - 1];
            let sum = count as f64 * 0.125;
            write!(om2, "{name}{{{labels}}} {{count:{count},sum:{sum},bucket:[").unwrap();
            for (i, (b, c)) in BOUNDS.iter().zip(&counts).enumerate() {
                if i > 0 {
                    om2.push(',');
                }
                write!(om2, "{b}:{c}").unwrap();
            }
            writeln!(om2, "]}} st@1700000000.5").unwrap();
            for (b, c) in BOUNDS.iter().zip(&counts) {
                writeln!(om1, "{name}_bucket{{{labels},le=\"{b}\"}} {c}").unwrap();
            }
            writeln!(om1, "{name}_count{{{labels}}} {count}").unwrap();
            writeln!(om1, "{name}_sum{{{labels}}} {sum}").unwrap();
            writeln!(om1, "{name}_created{{{labels}}} 1700000000.5").unwrap();
        }
    }
    om1.push_str("# EOF\n");
    om2.push_str("# EOF\n");
    (om1.into_bytes(), om2.into_bytes())
}

/// Parses `body`, iterating every sample's labels; returns the number of samples.
fn parse(body: &[u8], settings: &Settings) -> usize {
    let mut n = 0;
    for ev in promtext::parse_with(body, settings.clone()) {
        match ev.unwrap() {
            Event::Sample(s) => {
                n += s.labels().map(|l| l.value.len()).sum::<usize>() + 1;
                black_box(s.value());
            }
            Event::Series(s) => {
                n += s.labels().map(|l| l.value.len()).sum::<usize>() + 1;
                black_box((s.value(), s.start_timestamp_ms()));
            }
            _ => {}
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let (om1, om2) = bodies(50, 40);
    let mut g = c.benchmark_group("histograms_om2_vs_om1");
    // The same 2000 histograms (28,000 OM1 samples with _created) in each body.
    g.throughput(Throughput::Elements(2000));
    g.bench_function("openmetrics1", |b| {
        let s = Settings::openmetrics();
        b.iter(|| parse(black_box(&om1), &s))
    });
    g.bench_function("openmetrics2", |b| {
        let s = Settings::openmetrics2();
        b.iter(|| parse(black_box(&om2), &s))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
