//! A counting global allocator proves the steady state allocates nothing per sample: parsing
//! the generated Envoy and Istio inputs (label values without escapes) with every label
//! iterated costs a small constant number of allocations (scratch warm-up), independent of the
//! number of samples, and zero once a streaming parser is warm.

use promtext::{ChunkParser, Event, Settings};
use promtext_gen::{GenConfig, generate};

#[path = "support/alloc.rs"]
mod alloc;
use alloc::count;

fn touch(ev: &Event<'_>) -> usize {
    match ev {
        Event::Sample(s) => {
            s.labels()
                .map(|l| l.name.len() + l.value.len())
                .sum::<usize>()
                + s.name().len()
                + s.series().len()
        }
        _ => 0,
    }
}

fn whole(input: &[u8]) -> (usize, usize) {
    let mut samples = 0;
    let mut bytes = 0;
    for ev in promtext::parse(input) {
        let ev = ev.unwrap();
        samples += ev.as_sample().is_some() as usize;
        bytes += touch(&ev);
    }
    (samples, bytes)
}

fn inputs() -> Vec<(&'static str, String)> {
    vec![
        (
            "envoy",
            generate(&GenConfig::envoy().target_bytes(1 << 20)).text,
        ),
        (
            "istio",
            generate(&GenConfig::istio().target_bytes(1 << 20)).text,
        ),
    ]
}

#[test]
fn whole_buffer_allocations_do_not_grow_with_samples() {
    for (name, text) in inputs() {
        let ((samples, _), allocs) = count(|| whole(text.as_bytes()));
        let doubled = format!("{text}{text}");
        let ((samples2, _), allocs2) = count(|| whole(doubled.as_bytes()));
        eprintln!(
            "{name}: {samples} samples → {allocs} allocations; {samples2} samples → {allocs2}"
        );
        assert!(samples > 1000, "{name}: {samples}");
        assert!(
            allocs <= 16,
            "{name}: {allocs} allocations for {samples} samples"
        );
        assert_eq!(
            allocs, allocs2,
            "{name}: allocations grew with the number of samples"
        );
    }
}

#[test]
fn warm_streaming_parser_allocates_nothing() {
    for (name, text) in inputs() {
        let mut p = ChunkParser::new(Settings::default());
        let run = |p: &mut ChunkParser| {
            let mut n = 0;
            for chunk in text.as_bytes().chunks(64 * 1024) {
                for ev in p.feed(chunk) {
                    n += touch(&ev.unwrap());
                }
            }
            n
        };
        run(&mut p); // warm-up: scratch and join buffers reach their size
        let (_, allocs) = count(|| run(&mut p));
        eprintln!(
            "{name}: warm chunked parse of {} bytes → {allocs} allocations",
            text.len()
        );
        assert_eq!(allocs, 0, "{name}");
    }
}
