//! Arbitrary bytes through the OpenMetrics 2.0 dialect at both validation levels: no panic
//! (every accessor used, native histograms decoded), and the whole-buffer, chunked (iterators
//! drained or dropped after a few events, so composite lines are resumed) and `Read` front
//! ends give identical events and errors.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use promtext::openmetrics2::NativeScratch;
use promtext::{ChunkParser, Event, ReadParser, Settings, Validation};

#[derive(Arbitrary, Debug)]
struct Input {
    chunk: u8,
    take: u8,
    strict: bool,
    lenient: bool,
    small_lines: bool,
    body: Vec<u8>,
}

/// An event with everything a consumer could ask of it.
fn render(ev: Result<Event<'_>, promtext::Error>, scratch: &mut NativeScratch) -> String {
    match ev {
        Ok(Event::Series(s)) => {
            let labels: Vec<_> = s.labels().collect();
            let ex: Vec<_> = s
                .exemplars()
                .map(|e| {
                    (
                        e.labels().collect::<Vec<_>>(),
                        e.value().to_bits(),
                        e.timestamp_text(),
                    )
                })
                .collect();
            format!(
                "{s:?} {} {labels:?} {ex:?} {:?} {:?}",
                s.family_name(),
                s.timestamp_text(),
                s.bound_label()
            )
        }
        Ok(Event::Histogram(h)) => {
            let n = h.native(scratch);
            format!(
                "{h:?} {:?} {:?} {:?} {:?} {}",
                n.positive_buckets().collect::<Vec<_>>(),
                n.negative_buckets().collect::<Vec<_>>(),
                n.labels().collect::<Vec<_>>(),
                n.exemplars().count(),
                n.count()
            )
        }
        Ok(ev) => format!("{ev:?}"),
        Err(e) => format!("error {e:?}"),
    }
}

fn whole(body: &[u8], settings: &Settings) -> Vec<String> {
    let mut scratch = NativeScratch::default();
    promtext::parse_with(body, settings.clone())
        .map(|ev| render(ev, &mut scratch))
        .collect()
}

fn chunked(body: &[u8], settings: &Settings, size: usize, take: usize) -> Vec<String> {
    let mut scratch = NativeScratch::default();
    let mut p = ChunkParser::new(settings.clone());
    let mut out = Vec::new();
    for chunk in body.chunks(size) {
        let it = p.feed(chunk);
        if take == 0 {
            out.extend(it.map(|ev| render(ev, &mut scratch)));
        } else {
            out.extend(it.take(take).map(|ev| render(ev, &mut scratch)));
        }
    }
    loop {
        let more: Vec<String> = p.feed(b"").map(|ev| render(ev, &mut scratch)).collect();
        if more.is_empty() {
            break;
        }
        out.extend(more);
    }
    out.extend(p.finish().map(|ev| render(ev, &mut scratch)));
    out
}

fn read(body: &[u8], settings: &Settings) -> Vec<String> {
    let mut scratch = NativeScratch::default();
    let mut p = ReadParser::new(body, settings.clone());
    let mut out = Vec::new();
    while let Some(ev) = p.next_event() {
        out.push(render(ev, &mut scratch));
    }
    out
}

fuzz_target!(|input: Input| {
    let settings = common::om_settings(
        Settings::openmetrics2(),
        input.strict,
        input.lenient,
        input.small_lines.then_some(48),
    );
    let want = whole(&input.body, &settings);
    let size = usize::from(input.chunk).max(1);
    let take = usize::from(input.take % 4);
    let got = chunked(&input.body, &settings, size, take);
    // Iterators dropped undrained again and again may pass the chunk parser's bound (the line
    // limit plus the largest chunk): it then discards the waiting lines and says so; up to
    // there the events are the whole-body parse's.
    match got.iter().position(|e| e.contains("kind: Undrained")) {
        Some(at) => assert_eq!(
            got[..at],
            want[..at.min(want.len())],
            "chunk size {size}, take {take}"
        ),
        None => assert_eq!(got, want, "chunk size {size}, take {take}"),
    }
    assert_eq!(read(&input.body, &settings), want);
    // A strict verdict of "valid" implies the Prometheus verdict.
    if input.strict && !input.lenient && !want.iter().any(|e| e.starts_with("error")) {
        let prometheus = settings.validation(Validation::Prometheus);
        assert!(
            !whole(&input.body, &prometheus)
                .iter()
                .any(|e| e.starts_with("error"))
        );
    }
});
