//! The known-series path (`Events::next_known`) against the plain parse, for the tests and the
//! `known` fuzz target (feature `fuzzing`).

use crate::lex::scan::{KeyShape, Shared, shared_len};
use crate::settings::Settings;
use crate::{ChunkParser, Error, Event};

/// Every observable of an event (of a sample: its labels walked, the value's bits, position).
pub(crate) fn describe(r: &Result<Event<'_>, Error>) -> String {
    match r {
        Ok(Event::Sample(s)) => {
            let labels: Vec<String> = s
                .labels()
                .map(|l| format!("{:?}={:?}", l.name, l.value))
                .collect();
            format!(
                "S {:?} {:?} [{}] {:?} {:x} {:?} {:?} {:?} line {} at {}",
                s.name(),
                s.raw_name(),
                labels.join(","),
                s.series(),
                s.value().to_bits(),
                s.value_text(),
                s.timestamp_ms(),
                s.timestamp_text(),
                s.line(),
                s.offset()
            )
        }
        Ok(ev) => format!("{ev:?}"),
        Err(e) => format!("E {e:?}"),
    }
}

/// The plain parse in chunks of `chunk` bytes: the described events and the series of its
/// samples, in order.
pub(crate) fn plain(body: &[u8], settings: &Settings, chunk: usize) -> (Vec<String>, Vec<Vec<u8>>) {
    let mut p = ChunkParser::new(settings.clone());
    let (mut out, mut series) = (Vec::new(), Vec::new());
    let mut take = |r: Result<Event<'_>, Error>| {
        if let Ok(Event::Sample(s)) = &r {
            series.push(s.series().as_bytes().to_vec());
        }
        out.push(describe(&r));
    };
    for c in body.chunks(chunk.max(1)) {
        p.feed(c).for_each(&mut take);
    }
    p.finish().for_each(&mut take);
    (out, series)
}

/// The parse with `offer(k)` offered before each event, `k` the samples seen so far: the
/// described events and how many lines were taken as known.
pub(crate) fn offered<'k>(
    body: &[u8],
    settings: &Settings,
    chunk: usize,
    mut offer: impl FnMut(usize) -> Option<&'k [u8]>,
) -> (Vec<String>, usize) {
    let mut p = ChunkParser::new(settings.clone());
    let (mut out, mut samples, mut taken) = (Vec::new(), 0, 0);
    // The key offered for the last sample (the position before this one), as the scrape's
    // order holds it: with it, what the next key shares with it (the scrape's `Shared`).
    let mut before: Option<&[u8]> = None;
    let mut drain = |mut events: crate::read::stream::Events<'_>| {
        loop {
            let key = offer(samples);
            let len = match (before, key) {
                (Some(a), Some(b)) => shared_len(a, b),
                _ => 0,
            };
            let shared = Shared {
                position: samples,
                len,
                rest: key.map_or(&[][..], |k| &k[len as usize..]),
            };
            let known = key.and_then(|k| Some((k, KeyShape::of(k)?, shared)));
            let mut known_line = false;
            let Some(r) = events.next_known(known, &mut known_line) else {
                break;
            };
            if known_line {
                taken += 1;
                let series = r
                    .as_ref()
                    .ok()
                    .and_then(|e| e.as_sample())
                    .map(|s| s.series());
                assert_eq!(series.map(str::as_bytes), key, "taken as another series");
            }
            if matches!(r, Ok(Event::Sample(_))) {
                samples += 1;
                before = key;
            }
            out.push(describe(&r));
        }
    };
    for c in body.chunks(chunk.max(1)) {
        drain(p.feed(c));
    }
    drain(p.finish());
    (out, taken)
}

/// The fuzz target's check: `data` parsed in chunks of `chunk` bytes, offered before each event
/// the series `offers` picks among the plain parse's (0: none; `v`: the series `v - 1` places
/// after the one expected at this position), gives the plain parse's events; `Err` names the
/// first difference.
pub fn known_series_agree(data: &[u8], chunk: usize, offers: &[u16]) -> Result<(), String> {
    let settings = Settings::default();
    let (want, series) = plain(data, &settings, usize::MAX);
    if series.is_empty() || offers.is_empty() {
        return Ok(());
    }
    let (got, _) = offered(data, &settings, chunk, |k| match offers[k % offers.len()] {
        0 => None,
        v => series
            .get((k + usize::from(v) - 1) % series.len())
            .map(Vec::as_slice),
    });
    if got == want {
        return Ok(());
    }
    let at = got
        .iter()
        .zip(&want)
        .position(|(g, w)| g != w)
        .unwrap_or(got.len().min(want.len()));
    Err(format!(
        "event {at}: offered {:?}, plain {:?}",
        got.get(at),
        want.get(at)
    ))
}
