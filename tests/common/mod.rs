//! Helpers shared by the integration tests.
#![allow(dead_code)]

use promtext::{Event, Settings};

/// Renders events compactly: `T name type`, `H name text`, `C text`, `S name{a=v,…} value [ts]`.
pub fn render(ev: &Event<'_>) -> String {
    match ev {
        Event::Type(t) => format!("T {} {}", t.name, t.metric_type),
        Event::Help(h) => format!("H {} {:?}", h.name, h.text()),
        Event::Unit(u) => format!("U {} {}", u.name, u.unit),
        Event::Comment(c) => format!("C {:?}", c.text),
        Event::Sample(s) => {
            let labels: Vec<String> = s
                .labels()
                .map(|l| format!("{}={:?}", l.name, l.value))
                .collect();
            let mut out = format!(
                "S {:?}{{{}}} {}",
                s.name(),
                labels.join(","),
                s.value_text()
            );
            if let Some(ts) = s.timestamp_ms() {
                out.push_str(&format!(" @{ts}"));
            }
            out
        }
        Event::Eof(_) => "EOF".to_string(),
        _ => "?".to_string(),
    }
}

/// Parses all of `input`; `Ok(rendered events)` or the first error's message.
pub fn run(input: &[u8], settings: Settings) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for ev in promtext::parse_with(input, settings) {
        match ev {
            Ok(ev) => out.push(render(&ev)),
            Err(e) => return Err(e.message().to_string()),
        }
    }
    Ok(out)
}

/// The path of a folder under `../shared`, or `None` (with a printed note) when absent.
pub fn shared(sub: &str) -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(sub);
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "note: {} is absent; skipping the tests that read it",
            p.display()
        );
        None
    }
}

/// What one parse of a body produced, each event or error rendered by `describe`.
pub type Described = Vec<String>;

/// The whole-buffer parser (one-pass paths on).
pub fn whole_with(
    input: &[u8],
    s: &Settings,
    describe: impl Fn(Result<&Event<'_>, &promtext::Error>) -> String,
) -> Described {
    promtext::parse_with(input, s.clone())
        .map(|r| describe(r.as_ref()))
        .collect()
}

/// The general path only: `ReadParser` never takes the one-pass paths.
pub fn general_with(
    input: &[u8],
    s: &Settings,
    describe: impl Fn(Result<&Event<'_>, &promtext::Error>) -> String,
) -> Described {
    let mut p = promtext::ReadParser::new(input, s.clone());
    let mut out = Vec::new();
    while let Some(r) = p.next_event() {
        out.push(describe(r.as_ref()));
    }
    out
}

/// The chunk feeder, fed `input` cut at `cuts` (offsets, taken modulo the length and sorted).
pub fn chunked_at_with(
    input: &[u8],
    cuts: &[usize],
    s: &Settings,
    describe: impl Fn(Result<&Event<'_>, &promtext::Error>) -> String,
) -> Described {
    let mut p = promtext::ChunkParser::new(s.clone());
    let mut points: Vec<usize> = cuts.iter().map(|&c| c % (input.len() + 1)).collect();
    points.sort_unstable();
    points.push(input.len());
    let mut out = Vec::new();
    let mut prev = 0;
    for c in points {
        out.extend(p.feed(&input[prev..c]).map(|r| describe(r.as_ref())));
        prev = c;
    }
    out.extend(p.finish().map(|r| describe(r.as_ref())));
    out
}

/// A reader handing out at most `n` bytes per call.
pub struct Trickle<'a> {
    pub data: &'a [u8],
    pub n: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.n.min(buf.len()).min(self.data.len());
        buf[..k].copy_from_slice(&self.data[..k]);
        self.data = &self.data[k..];
        Ok(k)
    }
}
