//! The protobuf reader allocates nothing per sample: parsing generated Envoy and Istio bodies
//! (classic and native histograms) with every label and bucket walked costs a constant number
//! of allocations (scratch warm-up) whatever the body's size, and none once warm.

use promtext::protobuf::{ChunkParser, Event, Parser, Settings};
use promtext_gen::{GenConfig, generate_protobuf};

#[path = "support/alloc.rs"]
mod alloc;
use alloc::count;

/// Walks everything an event offers; returns (samples + histograms, a checksum).
fn touch(ev: &Event<'_>) -> (usize, usize) {
    match ev {
        Event::Sample(s) => (
            1,
            s.labels()
                .map(|l| l.name.len() + l.value.len())
                .sum::<usize>()
                + s.name().family.len(),
        ),
        Event::Histogram(h) => (
            1,
            h.labels().map(|(n, v)| n.len() + v.len()).sum::<usize>()
                + h.positive_buckets()
                    .map(|b| (b.upper > 0.0) as usize)
                    .sum::<usize>()
                + h.negative_buckets().count(),
        ),
        _ => (0, 0),
    }
}

fn walk<'a>(events: impl Iterator<Item = Result<Event<'a>, promtext::Error>>) -> (usize, usize) {
    let mut n = (0, 0);
    for ev in events {
        let t = touch(&ev.unwrap());
        n = (n.0 + t.0, n.1 + t.1);
    }
    n
}

#[test]
fn no_allocation_per_sample() {
    for (config, native) in [
        (GenConfig::envoy(), false),
        (GenConfig::envoy(), true),
        (GenConfig::istio(), false),
        (GenConfig::istio(), true),
    ] {
        let (small, _) = generate_protobuf(&config.clone().target_bytes(256 << 10), native);
        let (large, _) = generate_protobuf(&config.clone().target_bytes(1 << 20), native);
        let ((ns, _), a_small) = count(|| walk(Parser::new(&small, Settings::default())));
        let ((nl, _), a_large) = count(|| walk(Parser::new(&large, Settings::default())));
        assert!(nl > ns + ns / 2, "{ns} {nl}");
        assert!(
            a_small == a_large && a_large <= 64,
            "{a_small} {a_large} allocations ({ns}/{nl} samples, native {native})"
        );

        // A warm chunk parser: none at all.
        let mut p = ChunkParser::new(Settings::default());
        let feed = |p: &mut ChunkParser| {
            let mut n = 0;
            for chunk in large.chunks(16 << 10) {
                n += walk(p.feed(chunk)).0;
            }
            p.finish().unwrap();
            n
        };
        let warm = feed(&mut p);
        let (again, allocs) = count(|| feed(&mut p));
        assert_eq!(warm, again);
        assert_eq!(allocs, 0, "warm chunk parser, native {native}");
    }
}
