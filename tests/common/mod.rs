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
