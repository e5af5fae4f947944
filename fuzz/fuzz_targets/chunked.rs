//! Differential: the whole-buffer parser and the chunk-fed parser (both with the one-pass sample
//! path) and `ReadParser` (general line parser only) must give identical events and errors (with
//! positions) for an arbitrary cutting of arbitrary input, with and without label limits; so does
//! the classic-to-custom-buckets converter over them.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use promtext::nhcb::{Converter, Event as NEvent, Parser as NParser};
use promtext::{ChunkParser, Event, LabelLimits, ReadParser, Settings};

fn describe(r: &Result<Event<'_>, promtext::Error>) -> String {
    match r {
        // The labels as walked too: the whole-body parser takes labels over from earlier
        // lines and locates them, the general path re-scans them.
        Ok(Event::Sample(s)) => {
            let labels: Vec<_> = s
                .labels()
                .map(|l| format!("{}={}", l.name, l.value))
                .collect();
            format!("{s:?} {labels:?}")
        }
        Ok(ev) => format!("{ev:?}"),
        Err(e) => format!("ERR {e:?}"),
    }
}

fuzz_target!(|input: (u8, Vec<u16>, &[u8])| {
    let (mode, cuts, data) = input;
    let mut settings = Settings::default()
        .lenient(mode & 1 == 1)
        .max_line_len(if mode & 2 == 2 { 24 } else { 1 << 20 });
    // Label limits: the one-pass path checks them while it reads, the general path after.
    if mode & 8 == 8 {
        let k = usize::from(mode >> 4);
        settings = settings.label_limits(LabelLimits {
            labels: 1 + (k & 3),
            name_len: if k & 4 == 4 { 3 } else { 0 },
            value_len: if k & 8 == 8 { 4 } else { 0 },
        });
    }
    let whole: Vec<String> = promtext::parse_with(data, settings.clone())
        .map(|r| describe(&r))
        .collect();
    let points = common::cut_points(&cuts, data.len());
    let mut p = ChunkParser::new(settings.clone());
    let mut got = Vec::new();
    let mut prev = 0;
    for c in points {
        got.extend(p.feed(&data[prev..c]).map(|r| describe(&r)));
        prev = c;
    }
    got.extend(p.finish().map(|r| describe(&r)));
    // Debug output carries lines and offsets, so any leak of the chunking shows.
    assert_eq!(whole, got);
    let mut general = Vec::new();
    let mut r = ReadParser::new(data, settings.clone());
    while let Some(ev) = r.next_event() {
        general.push(describe(&ev));
    }
    assert_eq!(whole, general);

    // Classic histograms converted: the whole-body wrapper and a converter fed chunk by chunk.
    let keep = mode & 4 == 4;
    let mut n = NParser::new(promtext::parse_with(data, settings.clone()), keep);
    let mut whole = Vec::new();
    while let Some(ev) = n.next_event() {
        whole.push(match ev {
            Ok(NEvent::Text(ev)) => describe(&Ok(ev)),
            Ok(NEvent::Histogram(h)) => format!("H {h:?}"),
            Ok(_) => unreachable!(),
            Err(e) => format!("ERR {e:?}"),
        });
    }
    let mut c = Converter::new(keep);
    let mut p = ChunkParser::new(settings);
    let mut got = Vec::new();
    let mut take = |r: Result<Event<'_>, promtext::Error>, c: &mut Converter| match r {
        Ok(ev) => {
            let a = c.push(&ev);
            if a.histogram {
                got.push(format!("H {:?}", c.histogram().unwrap()));
            }
            if a.event {
                got.push(describe(&Ok(ev)));
            }
        }
        Err(e) => got.push(format!("ERR {e:?}")),
    };
    let mut prev = 0;
    let points = common::cut_points(&cuts, data.len());
    for cut in points {
        for r in p.feed(&data[prev..cut]) {
            take(r, &mut c);
        }
        prev = cut;
    }
    for r in p.finish() {
        take(r, &mut c);
    }
    if c.finish() {
        got.push(format!("H {:?}", c.histogram().unwrap()));
    }
    assert_eq!(whole, got);
});
