//! Rendering protobuf events for the tests, and hand-built wire bytes.
#![allow(dead_code)]

use promtext::protobuf::{ChunkParser, Event, Parser, Settings};

/// `H name "help"`, `U name unit`, `T name type`, `S name{l="v",…} value [@ts] [st=…] [ex=…]`,
/// `N name{…} schema=… count=… sum=… zt=… zc=… +[(i,lo,hi,c)…] -[…]`.
pub fn render(ev: &Event<'_>) -> String {
    match ev {
        Event::Help(h) => format!("H {} {:?}", h.name, h.text),
        Event::Unit(u) => format!("U {} {}", u.name, u.unit),
        Event::Type(t) => format!("T {} {}", t.name, t.metric_type),
        Event::Sample(s) => {
            let labels: Vec<String> = s
                .labels()
                .map(|l| format!("{}={:?}", l.name, l.value))
                .collect();
            let mut out = format!("S {}{{{}}} {}", s.name(), labels.join(","), s.value());
            if let Some(ts) = s.timestamp_ms() {
                out.push_str(&format!(" @{ts}"));
            }
            if let Some(st) = s.start_timestamp_ms() {
                out.push_str(&format!(" st={st}"));
            }
            if let Some(e) = s.exemplar() {
                let l: Vec<String> = e.labels().map(|(n, v)| format!("{n}={v:?}")).collect();
                out.push_str(&format!(" ex={{{}}}:{}", l.join(","), e.value()));
                if let Some(ts) = e.timestamp_ms() {
                    out.push_str(&format!("@{ts}"));
                }
            }
            out
        }
        Event::Histogram(h) => {
            let labels: Vec<String> = h.labels().map(|(n, v)| format!("{n}={v:?}")).collect();
            let side = |b: promtext::protobuf::Buckets<'_>| {
                b.map(|b| format!("({},{},{},{})", b.index, b.lower, b.upper, b.count))
                    .collect::<Vec<_>>()
                    .join("")
            };
            let mut out = format!(
                "N {}{{{}}} schema={} count={} sum={} zt={} zc={} +[{}] -[{}]",
                h.name(),
                labels.join(","),
                h.schema(),
                h.count(),
                h.sum(),
                h.zero_threshold(),
                h.zero_count(),
                side(h.positive_buckets()),
                side(h.negative_buckets()),
            );
            if let Some(st) = h.start_timestamp_ms() {
                out.push_str(&format!(" st={st}"));
            }
            for e in h.exemplars() {
                out.push_str(&format!(" ex={}@{:?}", e.value(), e.timestamp_ms()));
            }
            out
        }
        _ => "?".to_string(),
    }
}

/// All events of a body rendered, or the first error as `ERR <message> @<offset>`.
pub fn render_all(body: &[u8], settings: Settings) -> Vec<String> {
    let mut out = Vec::new();
    for ev in Parser::new(body, settings) {
        match ev {
            Ok(e) => out.push(render(&e)),
            Err(e) => {
                out.push(render_err(&e));
                break;
            }
        }
    }
    out
}

/// An error as [`render_all`] shows it: `ERR kind message @offset`.
pub fn render_err(e: &promtext::Error) -> String {
    format!("ERR {:?} {} @{}", e.kind(), e.message(), e.offset())
}

/// The events of `body` fed to a [`ChunkParser`] in the chunks that end at `points` (sorted,
/// the last at the body's end) and three empty ones, each iterator dropped after as many events
/// as `takes` gives (all once it runs out), then drained by one more empty feed and finished;
/// rendered as [`render_all`] renders them. Asserts that the parser never buffers more than
/// the family limit `limit` plus the largest chunk (and a length prefix).
pub fn render_dropping(
    body: &[u8],
    settings: &Settings,
    limit: usize,
    points: &[usize],
    mut takes: impl Iterator<Item = usize>,
) -> Vec<String> {
    let rendered = |r: Result<Event<'_>, promtext::Error>| match r {
        Ok(e) => render(&e),
        Err(e) => render_err(&e),
    };
    let mut p = ChunkParser::new(settings.clone());
    let mut out = Vec::new();
    let (mut prev, mut largest) = (0, 0);
    for &end in points.iter().chain(&[body.len(); 3]) {
        let chunk = &body[prev..end];
        prev = end;
        largest = largest.max(chunk.len());
        let take = takes.next().unwrap_or(usize::MAX);
        out.extend(p.feed(chunk).take(take).map(rendered));
        assert!(
            p.buffered() <= limit + largest + 10,
            "{} buffered",
            p.buffered()
        );
    }
    out.extend(p.feed(&[]).map(rendered));
    if let Err(e) = p.finish() {
        out.push(render_err(&e));
    }
    out
}

/// Wire helpers for hand-built (including malformed) messages.
pub fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub fn field_bytes(out: &mut Vec<u8>, n: u32, b: &[u8]) {
    varint(out, ((n as u64) << 3) | 2);
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

pub fn field_varint(out: &mut Vec<u8>, n: u32, v: u64) {
    varint(out, (n as u64) << 3);
    varint(out, v);
}

pub fn field_double(out: &mut Vec<u8>, n: u32, v: f64) {
    varint(out, ((n as u64) << 3) | 1);
    out.extend_from_slice(&v.to_le_bytes());
}

/// A length-delimited family message.
pub fn delimited(msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint(&mut out, msg.len() as u64);
    out.extend_from_slice(msg);
    out
}
