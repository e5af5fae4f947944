//! The classic-to-custom-buckets conversion allocates nothing per sample: a warm converter over
//! generated Envoy and Istio bodies (text and protobuf, classic histograms) allocates nothing,
//! and over a whole body a constant number of times whatever its size.

use promtext::nhcb::{Converter, Event as NEvent, Parser as NParser};
use promtext::{ChunkParser, Event, Settings, protobuf};
use promtext_gen::{GenConfig, generate, generate_protobuf};

#[path = "support/alloc.rs"]
mod alloc;
use alloc::count;

/// Walks every label and bucket of a converted histogram.
fn walk(h: &protobuf::NativeHistogram<'_>) -> usize {
    h.labels().map(|(n, v)| n.len() + v.len()).sum::<usize>()
        + h.positive_buckets().filter(|b| b.upper > b.lower).count()
        + h.custom_values().len()
        + h.exemplars().count()
}

fn text_pass(p: &mut ChunkParser, c: &mut Converter, body: &[u8]) -> (usize, usize) {
    let (mut samples, mut hists) = (0, 0);
    for chunk in body.chunks(16 << 10) {
        for ev in p.feed(chunk) {
            let ev = ev.unwrap();
            let a = c.push(&ev);
            if a.histogram {
                hists += walk(&c.histogram().unwrap()).min(1);
            }
            if a.event && matches!(ev, Event::Sample(_)) {
                samples += 1;
            }
        }
    }
    for ev in p.finish() {
        ev.unwrap();
    }
    if c.finish() {
        hists += 1;
    }
    (samples, hists)
}

fn pb_pass(p: &mut protobuf::ChunkParser, c: &mut Converter, body: &[u8]) -> (usize, usize) {
    let (mut samples, mut hists) = (0, 0);
    for chunk in body.chunks(16 << 10) {
        for ev in p.feed(chunk) {
            let a = c.push_protobuf(&ev.unwrap()).unwrap();
            if a.histogram {
                hists += walk(&c.histogram().unwrap()).min(1);
            }
            samples += a.event as usize;
        }
    }
    p.finish().unwrap();
    if c.finish_protobuf().unwrap() {
        hists += 1;
    }
    (samples, hists)
}

#[test]
fn warm_converters_allocate_nothing() {
    for config in [GenConfig::envoy(), GenConfig::istio()] {
        let text = generate(&config.clone().target_bytes(1 << 20)).text;
        let mut p = ChunkParser::new(Settings::default());
        let mut c = Converter::new(false);
        let warm = text_pass(&mut p, &mut c, text.as_bytes());
        assert!(warm.1 > 40, "{warm:?}");
        let mut p = ChunkParser::new(Settings::default());
        let (again, allocs) = count(|| text_pass(&mut p, &mut c, text.as_bytes()));
        assert_eq!(warm, again);
        // A new chunk parser warms up; the converter does not allocate again.
        eprintln!("text: {allocs} allocations for {} histograms", again.1);
        assert!(
            allocs <= 8,
            "text: {allocs} allocations for {} histograms",
            again.1
        );
        let (body, _) = generate_protobuf(&config.clone().target_bytes(1 << 20), false);
        let settings = protobuf::Settings::default().classic_histograms(true);
        let mut p = protobuf::ChunkParser::new(settings.clone());
        let mut c = Converter::new(false);
        let warm = pb_pass(&mut p, &mut c, &body);
        assert!(warm.1 > 40, "{warm:?}");
        let mut p = protobuf::ChunkParser::new(settings);
        pb_pass(&mut p, &mut Converter::new(false), &body);
        let (again, allocs) = count(|| pb_pass(&mut p, &mut c, &body));
        assert_eq!(warm, again);
        eprintln!("protobuf: {allocs} allocations for {} histograms", again.1);
        assert_eq!(allocs, 0, "protobuf: {} histograms", again.1);
    }
}

#[test]
fn whole_body_conversion_allocates_a_constant() {
    let run = |body: &str| {
        let mut p = NParser::new(promtext::parse_str(body), false);
        let mut n = 0;
        while let Some(ev) = p.next_event() {
            if let NEvent::Histogram(h) = ev.unwrap() {
                n += walk(&h).min(1);
            }
        }
        n
    };
    let small = generate(&GenConfig::envoy().target_bytes(256 << 10)).text;
    let large = generate(&GenConfig::envoy().target_bytes(1 << 20)).text;
    let (ns, a_small) = count(|| run(&small));
    let (nl, a_large) = count(|| run(&large));
    assert!(nl > ns + ns / 2, "{ns} {nl}");
    eprintln!("whole body: {a_small} allocations for {ns} histograms, {a_large} for {nl}");
    assert!(
        a_large <= a_small + 4 && a_large <= 64,
        "{a_small} {a_large} allocations for {ns}/{nl} histograms"
    );
}
