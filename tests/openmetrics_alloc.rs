//! No allocation per sample in the steady state on OpenMetrics input, with and without strict
//! validation, through the whole-buffer and the chunked parser: a counting global allocator
//! counts the allocations of this thread while the events after a warm-up are consumed.

use std::fmt::Write;

use promtext::{ChunkParser, Event, Settings, Validation};

#[path = "support/alloc.rs"]
mod alloc;
use alloc::allocations;

/// An OpenMetrics body of Envoy-like families: counters (half with exemplars), gauges,
/// histograms with `_created`, a summary. `escapes` adds escaped label values.
fn body(escapes: bool) -> Vec<u8> {
    let mut s = String::new();
    let esc = if escapes { "a\\\"b\\\\c\\nd" } else { "plain" };
    for f in 0..40 {
        writeln!(s, "# TYPE envoy_cluster_{f}_upstream_rq counter").unwrap();
        writeln!(
            s,
            "# HELP envoy_cluster_{f}_upstream_rq Requests \\\"total\\\"."
        )
        .unwrap();
        for i in 0..10 {
            write!(
                s,
                "envoy_cluster_{f}_upstream_rq_total{{cluster_name=\"svc-{i}.default.svc.cluster.local\",response_code=\"200\",x=\"{esc}\"}} {}",
                1000 + i * 7
            )
            .unwrap();
            if i % 2 == 0 {
                write!(
                    s,
                    " # {{trace_id=\"4bf92f3577b34da6a3ce929d0e0e{i:04}\"}} 1 1520879607.789"
                )
                .unwrap();
            }
            s.push('\n');
        }
    }
    for f in 0..20 {
        writeln!(s, "# TYPE envoy_server_{f}_memory_bytes gauge").unwrap();
        writeln!(s, "# UNIT envoy_server_{f}_memory_bytes bytes").unwrap();
        for i in 0..10 {
            writeln!(
                s,
                "envoy_server_{f}_memory_bytes{{worker=\"{i}\"}} {}.5",
                4096 * i
            )
            .unwrap();
        }
    }
    let bounds = [
        "0.5", "1", "5", "10", "25", "50", "100", "250", "500", "1000",
    ];
    for f in 0..30 {
        writeln!(s, "# TYPE envoy_cluster_{f}_upstream_rq_time histogram").unwrap();
        for i in 0..5 {
            let labels = format!("cluster_name=\"svc-{i}\",x=\"{esc}\"");
            for (k, le) in bounds.iter().enumerate() {
                write!(
                    s,
                    "envoy_cluster_{f}_upstream_rq_time_bucket{{{labels},le=\"{le}\"}} {}",
                    k * 3
                )
                .unwrap();
                if k == 4 {
                    write!(s, " # {{trace_id=\"t{i}\"}} 20.5").unwrap();
                }
                s.push('\n');
            }
            writeln!(
                s,
                "envoy_cluster_{f}_upstream_rq_time_bucket{{{labels},le=\"+Inf\"}} 30"
            )
            .unwrap();
            writeln!(s, "envoy_cluster_{f}_upstream_rq_time_count{{{labels}}} 30").unwrap();
            writeln!(
                s,
                "envoy_cluster_{f}_upstream_rq_time_sum{{{labels}}} 1234.5"
            )
            .unwrap();
            writeln!(
                s,
                "envoy_cluster_{f}_upstream_rq_time_created{{{labels}}} 1.7e9"
            )
            .unwrap();
        }
    }
    writeln!(s, "# TYPE envoy_listener_latency summary").unwrap();
    for q in ["0", "0.5", "0.99", "1"] {
        writeln!(s, "envoy_listener_latency{{quantile=\"{q}\"}} 3.5").unwrap();
    }
    writeln!(
        s,
        "envoy_listener_latency_sum 17\nenvoy_listener_latency_count 4\n# EOF"
    )
    .unwrap();
    s.into_bytes()
}

/// Touches everything a consumer would: labels, value, timestamp, exemplar.
fn consume(ev: &Event<'_>, iterate_labels: bool) -> usize {
    match ev {
        Event::Sample(s) => {
            let mut n = s.value_text().len() + s.timestamp_ms().unwrap_or(0) as usize;
            if iterate_labels {
                n += s
                    .labels()
                    .map(|l| l.name.len() + l.value.len())
                    .sum::<usize>();
                if let Some(e) = s.exemplar() {
                    n += e.labels().count() + e.value() as usize;
                }
            }
            n + 1
        }
        _ => 1,
    }
}

const WARM_UP: usize = 600;

fn check_whole(body: &[u8], settings: Settings, iterate_labels: bool) -> (usize, u64) {
    let mut p = promtext::parse_with(body, settings);
    let mut samples = 0;
    for ev in p.by_ref().take(WARM_UP) {
        consume(&ev.unwrap(), iterate_labels);
    }
    let before = allocations();
    for ev in p {
        let ev = ev.unwrap();
        samples += usize::from(ev.as_sample().is_some());
        consume(&ev, iterate_labels);
    }
    (samples, allocations() - before)
}

fn check_chunked(body: &[u8], settings: Settings, iterate_labels: bool) -> (usize, u64) {
    let mut p = ChunkParser::new(settings);
    let mut chunks = body.chunks(4093);
    let mut samples = 0;
    // Warm up on the first chunks (straddling lines size the join buffer).
    for chunk in chunks.by_ref().take(4) {
        for ev in p.feed(chunk) {
            consume(&ev.unwrap(), iterate_labels);
        }
    }
    let before = allocations();
    for chunk in chunks {
        for ev in p.feed(chunk) {
            let ev = ev.unwrap();
            samples += usize::from(ev.as_sample().is_some());
            consume(&ev, iterate_labels);
        }
    }
    for ev in p.finish() {
        consume(&ev.unwrap(), iterate_labels);
    }
    (samples, allocations() - before)
}

#[test]
fn no_allocation_per_sample_on_openmetrics() {
    let plain = body(false);
    let escaped = body(true);
    assert!(plain.len() > 200_000);
    for validation in [Validation::Prometheus, Validation::Strict] {
        let settings = Settings::openmetrics().validation(validation);
        // Label values without escapes: labels are borrowed, so iterate them too.
        let (samples, allocs) = check_whole(&plain, settings.clone(), true);
        println!(
            "{validation:?}, whole buffer: {samples} samples after warm-up, {allocs} allocations"
        );
        assert!(samples > 2000);
        assert_eq!(allocs, 0, "{validation:?}, whole buffer");
        let (samples, allocs) = check_chunked(&plain, settings.clone(), true);
        println!("{validation:?}, chunked: {samples} samples after warm-up, {allocs} allocations");
        assert!(samples > 2000);
        assert_eq!(allocs, 0, "{validation:?}, chunked");
        // Escaped label values: parsing and validation still allocate nothing (unescaping
        // them for the caller would, which is the caller's choice).
        let (samples, allocs) = check_whole(&escaped, settings.clone(), false);
        assert!(samples > 2000);
        assert_eq!(allocs, 0, "{validation:?}, escaped label values");
    }
}
