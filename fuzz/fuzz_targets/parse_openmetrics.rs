//! Arbitrary bytes through the OpenMetrics dialect at both validation levels: no panic, and
//! the whole-buffer, chunked and `Read` front ends give identical events and errors. The
//! lenient runs keep going after errors, so the strict validator sees arbitrary event orders.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use promtext::{ChunkParser, ReadParser, Settings, Validation};

#[derive(Arbitrary, Debug)]
struct Input {
    chunk: u8,
    strict: bool,
    lenient: bool,
    small_lines: bool,
    body: Vec<u8>,
}

/// Renders a parse as the sequence of its events and errors.
fn whole(body: &[u8], settings: &Settings) -> Vec<String> {
    promtext::parse_with(body, settings.clone())
        .map(|ev| match ev {
            Ok(ev) => format!("{ev:?}"),
            Err(e) => format!("error {e:?}"),
        })
        .collect()
}

fn chunked(body: &[u8], settings: &Settings, size: usize) -> Vec<String> {
    let mut p = ChunkParser::new(settings.clone());
    let mut out = Vec::new();
    for chunk in body.chunks(size) {
        for ev in p.feed(chunk) {
            out.push(match ev {
                Ok(ev) => format!("{ev:?}"),
                Err(e) => format!("error {e:?}"),
            });
        }
    }
    for ev in p.finish() {
        out.push(match ev {
            Ok(ev) => format!("{ev:?}"),
            Err(e) => format!("error {e:?}"),
        });
    }
    out
}

fn read(body: &[u8], settings: &Settings) -> Vec<String> {
    let mut p = ReadParser::new(body, settings.clone());
    let mut out = Vec::new();
    while let Some(ev) = p.next_event() {
        out.push(match ev {
            Ok(ev) => format!("{ev:?}"),
            Err(e) => format!("error {e:?}"),
        });
    }
    out
}

fuzz_target!(|input: Input| {
    let settings = common::om_settings(
        Settings::openmetrics(),
        input.strict,
        input.lenient,
        input.small_lines.then_some(32),
    );
    let want = whole(&input.body, &settings);
    let size = usize::from(input.chunk).max(1);
    assert_eq!(
        chunked(&input.body, &settings, size),
        want,
        "chunk size {size}"
    );
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
