//! No allocation per sample in the steady state on OpenMetrics 2.0 input (composite values
//! expanded, exemplars iterated, native histograms decoded into a kept scratch), through the
//! whole-buffer parser, the chunked parser and the reader (whose block buffer may grow at a
//! refill); strict validation allocates once per family (the names it keeps to reject
//! interleaving), never per sample.

use std::fmt::Write;

use promtext::openmetrics2::NativeScratch;
use promtext::{ChunkParser, Event, ReadParser, Settings, Validation};

#[path = "support/alloc.rs"]
mod alloc;
use alloc::allocations;

const FAMILIES: usize = 4 * 30;

/// Counters with start timestamps and two exemplars, gauges, classic histograms, summaries and
/// native histograms, 30 families each.
fn body() -> Vec<u8> {
    let mut s = String::new();
    for f in 0..30 {
        writeln!(s, "# TYPE envoy_cluster_{f}_upstream_rq_total counter").unwrap();
        writeln!(s, "# HELP envoy_cluster_{f}_upstream_rq_total Requests.").unwrap();
        for i in 0..10 {
            writeln!(
                s,
                "envoy_cluster_{f}_upstream_rq_total{{cluster_name=\"svc-{i}.default.svc.cluster.local\",response_code=\"200\"}} {} st@1700000000.5 # {{trace_id=\"4bf92f3577b34da6a3ce929d0e0e{i:04}\"}} 1 1700000001.25 # {{trace_id=\"x{i}\"}} 2 1700000002",
                1000 + i * 7
            )
            .unwrap();
        }
        writeln!(s, "# TYPE envoy_cluster_{f}_rq_time histogram").unwrap();
        for i in 0..5 {
            writeln!(
                s,
                "envoy_cluster_{f}_rq_time{{cluster_name=\"svc-{i}\"}} {{count:30,sum:1234.5,bucket:[0.5:0,1.0:3,5.0:6,10.0:9,25.0:12,50.0:15,100.0:18,250.0:21,500.0:24,1000.0:27,+Inf:30]}} st@1700000000 # {{trace_id=\"t{i}\"}} 20.5 1700000001"
            )
            .unwrap();
        }
        writeln!(s, "# TYPE envoy_listener_{f}_latency summary").unwrap();
        for i in 0..5 {
            writeln!(
                s,
                "envoy_listener_{f}_latency{{worker=\"{i}\"}} {{count:4,sum:17,quantile:[0.0:1,0.5:3.5,0.99:7,1.0:9]}}"
            )
            .unwrap();
        }
        writeln!(s, "# TYPE envoy_server_{f}_latency histogram").unwrap();
        for i in 0..5 {
            writeln!(
                s,
                "envoy_server_{f}_latency{{worker=\"{i}\"}} {{count:17,sum:324.5,schema:3,zero_threshold:1e-4,zero_count:1,negative_spans:[1:2],negative_buckets:[1,2],positive_spans:[-1:2,3:4],positive_buckets:[1,2,3,4,3,1]}} st@1700000000 # {{trace_id=\"n{i}\"}} 0.67 1700000001"
            )
            .unwrap();
        }
    }
    s.push_str("# EOF\n");
    s.into_bytes()
}

/// Touches everything a consumer would; native histograms are decoded into `scratch`.
fn consume(ev: &Event<'_>, scratch: &mut NativeScratch) -> usize {
    match ev {
        Event::Series(s) => {
            let mut n = s.value_text().len() + s.start_timestamp_ms().unwrap_or(0) as usize;
            n += s
                .labels()
                .map(|l| l.name.len() + l.value.len())
                .sum::<usize>();
            for e in s.exemplars() {
                n += e.labels().count() + e.value() as usize;
            }
            n + s.name().family.len()
        }
        Event::Histogram(h) => {
            let n = h.native(scratch);
            n.positive_buckets()
                .map(|b| b.count as usize)
                .sum::<usize>()
                + n.negative_buckets().count()
                + n.labels().count()
                + n.exemplars().count()
        }
        _ => 1,
    }
}

fn is_sample(ev: &Event<'_>) -> bool {
    matches!(ev, Event::Series(_) | Event::Histogram(_))
}

const WARM_UP: usize = 400;

fn whole(body: &[u8], settings: Settings) -> (usize, u64) {
    let mut scratch = NativeScratch::default();
    let mut p = promtext::parse_with(body, settings);
    for ev in p.by_ref().take(WARM_UP) {
        consume(&ev.unwrap(), &mut scratch);
    }
    let before = allocations();
    let mut samples = 0;
    for ev in p {
        let ev = ev.unwrap();
        samples += usize::from(is_sample(&ev));
        consume(&ev, &mut scratch);
    }
    (samples, allocations() - before)
}

fn chunked(body: &[u8], settings: Settings) -> (usize, u64) {
    let mut scratch = NativeScratch::default();
    let mut p = ChunkParser::new(settings);
    let mut chunks = body.chunks(4093);
    // Warm up on the first chunks: straddling lines of every kind size the join buffer.
    for chunk in chunks.by_ref().take(12) {
        for ev in p.feed(chunk) {
            consume(&ev.unwrap(), &mut scratch);
        }
    }
    let before = allocations();
    let mut samples = 0;
    for chunk in chunks {
        for ev in p.feed(chunk) {
            let ev = ev.unwrap();
            samples += usize::from(is_sample(&ev));
            consume(&ev, &mut scratch);
        }
    }
    for ev in p.finish() {
        consume(&ev.unwrap(), &mut scratch);
    }
    (samples, allocations() - before)
}

fn reader(body: &[u8], settings: Settings) -> (usize, u64) {
    let mut scratch = NativeScratch::default();
    let mut p = ReadParser::new(body, settings);
    // Past the first refill, which sizes the block buffer for good.
    for _ in 0..3 * WARM_UP {
        consume(&p.next_event().unwrap().unwrap(), &mut scratch);
    }
    let before = allocations();
    let mut samples = 0;
    while let Some(ev) = p.next_event() {
        let ev = ev.unwrap();
        samples += usize::from(is_sample(&ev));
        consume(&ev, &mut scratch);
    }
    (samples, allocations() - before)
}

#[test]
fn no_allocation_per_sample_on_openmetrics2() {
    let body = body();
    assert!(body.len() > 100_000);
    for (name, run) in [
        ("whole", whole as fn(&[u8], Settings) -> (usize, u64)),
        ("chunked", chunked),
        ("reader", reader),
    ] {
        let (samples, allocs) = run(&body, Settings::openmetrics2());
        println!("{name}: {samples} sample events after warm-up, {allocs} allocations");
        assert!(samples > 2000, "{name}");
        // The reader's block buffer may still grow by a partial line at a refill (bounded by
        // the line limit, not by the samples).
        let bound = if name == "reader" { 2 } else { 0 };
        assert!(allocs <= bound, "{name}: {allocs}");
        let strict = Settings::openmetrics2().validation(Validation::Strict);
        let (samples, allocs) = run(&body, strict);
        println!("{name}, strict: {samples} sample events after warm-up, {allocs} allocations");
        assert!(allocs as usize <= FAMILIES, "{name}, strict: {allocs}");
    }
}

#[test]
fn events_stay_small() {
    // Every event moves through the parser's layers: OpenMetrics 2.0 samples must not make
    // the event larger than the other dialects' (128 bytes).
    assert!(std::mem::size_of::<Event<'_>>() <= 128);
}
