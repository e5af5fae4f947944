//! Bodies larger than the parser's look-ahead window (UTF-8 is checked and backslashes are searched
//! 64 KiB at a time): every line parses exactly as it does on its own, wherever escapes, invalid
//! UTF-8 and over-long lines fall relative to the window edges.

use promtext::{ChunkParser, Event, Settings, parse_with};
use promtext_gen::{GenConfig, generate};

/// What a line gives, without line numbers and offsets (those are checked separately).
fn describe(r: Result<Event<'_>, promtext::Error>) -> String {
    match r {
        Ok(Event::Sample(s)) => {
            let labels: Vec<String> = s
                .labels()
                .map(|l| format!("{}={:?}", l.name, l.value))
                .collect();
            format!("sample {} {:?} {}", s.name(), labels, s.value_text())
        }
        Ok(Event::Type(t)) => format!("type {} {:?}", t.name, t.metric_type),
        Ok(Event::Help(h)) => format!("help {} {:?}", h.name, h.raw_text),
        Ok(Event::Comment(c)) => format!("comment {:?}", c.text),
        Ok(other) => format!("other {}", other.line()),
        Err(e) => format!("error {:?} col {} {}", e.kind(), e.column(), e.message()),
    }
}

/// Reference: each line parsed by a fresh parser, with its 1-based number.
fn line_by_line(body: &[u8], settings: Settings) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        for r in parse_with(line, settings.clone()) {
            out.push((i as u64 + 1, describe(r)));
        }
    }
    out
}

/// Equality with the first difference shown (the lists are long).
fn same(got: &[(u64, String)], want: &[(u64, String)], what: &str) {
    if let Some(i) = (0..got.len().max(want.len())).find(|&i| got.get(i) != want.get(i)) {
        panic!(
            "{what}: event {i} differs: got {:?}, want {:?} ({} vs {} events)",
            got.get(i),
            want.get(i),
            got.len(),
            want.len()
        );
    }
}

fn whole(body: &[u8], settings: Settings) -> Vec<(u64, String)> {
    parse_with(body, settings)
        .map(|r| {
            let line = match &r {
                Ok(ev) => ev.line(),
                Err(e) => e.line(),
            };
            (line, describe(r))
        })
        .collect()
}

fn chunked(body: &[u8], settings: Settings, chunk: usize) -> Vec<(u64, String)> {
    let mut p = ChunkParser::new(settings);
    let mut out = Vec::new();
    let mut push = |r: Result<Event<'_>, promtext::Error>| {
        let line = match &r {
            Ok(ev) => ev.line(),
            Err(e) => e.line(),
        };
        out.push((line, describe(r)));
    };
    for c in body.chunks(chunk) {
        for r in p.feed(c) {
            push(r);
        }
    }
    for r in p.finish() {
        push(r);
    }
    out
}

/// A 600 KiB generated body with escapes in some label values.
fn generated_with_escapes(config: GenConfig, escape_rate: f64, seed: u64) -> Vec<u8> {
    let config = config
        .target_bytes(600 << 10)
        .escape_rate(escape_rate)
        .seed(seed);
    generate(&config).text.into_bytes()
}

/// Seed 1 puts escapes into the values of busy peers (dozens of lines); escapes are drawn per
/// value, so on some seeds a 2 % rate hits none of the few values a sidecar has.
fn body_with_escapes() -> Vec<u8> {
    generated_with_escapes(GenConfig::istio(), 0.02, 1)
}

/// An Envoy body: nearly every line takes the one-pass sample path (Istio's 25-label series
/// do not), so this is the body that tests its window bookkeeping and its declining of
/// escaped values. (Envoy escapes whole cluster names, so it takes a higher rate.)
fn envoy_body_with_escapes() -> Vec<u8> {
    generated_with_escapes(GenConfig::envoy(), 0.2, 11)
}

/// Puts `bad` inside the label value nearest to each offset.
fn inject(body: &mut [u8], offsets: &[usize], bad: u8) {
    for &at in offsets {
        let at = at.min(body.len() - 1);
        if let Some(p) = body[at..].iter().position(|&b| b == b'"') {
            // The byte after an opening or closing quote: a value byte or the `,`/`}` after it;
            // either way the line becomes invalid UTF-8.
            let q = at + p + 1;
            if body[q] != b'\n' {
                body[q] = bad;
            }
        }
    }
}

#[test]
fn escapes_across_windows() {
    let body = body_with_escapes();
    assert!(body.len() > 4 * 64 * 1024);
    let escaped = body
        .split(|&b| b == b'\n')
        .filter(|l| l.first() != Some(&b'#') && l.contains(&b'\\'))
        .count();
    assert!(escaped >= 20, "only {escaped} lines with escapes");
    let s = Settings::default();
    let want = line_by_line(&body, s.clone());
    same(&whole(&body, s.clone()), &want, "whole");
    same(
        &chunked(&body, s.clone(), 100_000),
        &want,
        "chunks of 100000",
    );
    same(&chunked(&body, s, 65_537), &want, "chunks of 65537");
}

#[test]
fn invalid_utf8_across_windows() {
    let mut body = body_with_escapes();
    let w = 64 * 1024;
    // Istio lines run ~750 bytes: injections a line apart or more, so each hits its own line.
    inject(
        &mut body,
        &[w - 40, w + 3, 2 * w - 1, 3 * w + 100, 3 * w + 1200, 5 * w],
        0xff,
    );
    let s = Settings::default().lenient(true);
    let want = line_by_line(&body, s.clone());
    let errors = want.iter().filter(|(_, d)| d.starts_with("error")).count();
    assert!(errors >= 5, "only {errors} bad lines");
    same(&whole(&body, s.clone()), &want, "whole");
    same(&chunked(&body, s.clone(), 70_000), &want, "chunks of 70000");
    // Fail-fast stops at the first bad line, as a line-by-line parse would.
    let strict = whole(&body, Settings::default());
    let first_bad = want
        .iter()
        .position(|(_, d)| d.starts_with("error"))
        .unwrap();
    same(&strict, &want[..=first_bad], "fail-fast");
}

#[test]
fn over_long_line_straddling_a_window() {
    let mut body = Vec::new();
    while body.len() < 60 * 1024 {
        body.extend_from_slice(b"envoy_server_live{} 1\n");
    }
    let long_value = "é".repeat(40 * 1024);
    body.extend_from_slice(format!("m{{a=\"{long_value}\"}} 1\n").as_bytes());
    body.extend_from_slice(b"after 2\n");
    for limit in [1 << 20, 50 * 1024] {
        let s = Settings::default().lenient(true).max_line_len(limit);
        let want = line_by_line(&body, s.clone());
        same(
            &whole(&body, s.clone()),
            &want,
            &format!("whole, limit {limit}"),
        );
        same(
            &chunked(&body, s, 4096),
            &want,
            &format!("chunks, limit {limit}"),
        );
    }
}

#[test]
fn envoy_escapes_across_windows() {
    let body = envoy_body_with_escapes();
    assert!(body.len() > 4 * 64 * 1024);
    let backslashes = body.iter().filter(|&&b| b == b'\\').count();
    assert!(backslashes > 20, "only {backslashes} backslashes");
    let s = Settings::default();
    let want = line_by_line(&body, s.clone());
    same(&whole(&body, s.clone()), &want, "whole");
    for size in [100_000, 65_537, 4096] {
        same(
            &chunked(&body, s.clone(), size),
            &want,
            &format!("chunks of {size}"),
        );
    }
}

#[test]
fn envoy_invalid_utf8_near_window_edges() {
    // One bad byte per body, in strict mode (the one-pass path runs only there): the parse
    // matches the line-by-line reference up to and including the bad line, wherever the byte
    // falls relative to the 64 KiB windows and to the backslashes.
    let clean = envoy_body_with_escapes();
    let w = 64 * 1024;
    for at in [
        40,
        w - 200,
        w - 40,
        w - 2,
        w + 3,
        2 * w - 1,
        3 * w + 100,
        5 * w,
    ] {
        let mut body = clean.clone();
        inject(&mut body, &[at], 0xc3);
        let s = Settings::default();
        let reference = line_by_line(&body, s.clone());
        let first_bad = reference
            .iter()
            .position(|(_, d)| d.starts_with("error"))
            .unwrap_or_else(|| panic!("no bad line for a byte near {at}"));
        let want = &reference[..=first_bad];
        same(&whole(&body, s.clone()), want, &format!("whole, near {at}"));
        same(
            &chunked(&body, s, 70_000),
            want,
            &format!("chunks, near {at}"),
        );
    }
}

#[test]
fn utf8_of_general_lines_among_one_pass_lines() {
    // Lines the general path takes are checked one by one while they come alone between
    // one-pass lines (comments, series with more than three labels, escapes), and a window at a
    // time from the fourth in a row: bad and good non-ASCII bytes in both situations, in the
    // first and in later lines of a run, give what a line-by-line parse gives.
    let one_pass = "envoy_cluster_upstream_rq{envoy_cluster_name=\"outbound|9080||reviews\"} 7\n";
    let four_labels = "istio_requests_total{a=\"1\",b=\"2\",c=\"3\",d=\"ré\"} 1\n";
    let mut lines: Vec<String> = Vec::new();
    for round in 0..40 {
        lines.push(format!("# TYPE envoy_family_{round} counter\n"));
        lines.push(format!("# HELP envoy_family_{round} café ☕\n"));
        for _ in 0..3 {
            lines.push(one_pass.to_string());
        }
        // Runs of 1 to 8 general-path lines.
        for _ in 0..(round % 8 + 1) {
            lines.push(four_labels.to_string());
        }
        lines.push(format!("envoy_x{{v=\"caf\\\"é{round}\"}} {round}\n"));
    }
    let clean: Vec<u8> = lines.concat().into_bytes();
    let starts: Vec<usize> = std::iter::once(0)
        .chain(line_feeds(&clean).map(|i| i + 1))
        .filter(|&i| i < clean.len())
        .collect();
    for s in [Settings::default(), Settings::default().lenient(true)] {
        let want = line_by_line(&clean, s.clone());
        assert!(want.iter().all(|(_, d)| !d.starts_with("error")));
        same(&whole(&clean, s.clone()), &want, "clean, whole");
        same(&chunked(&clean, s.clone(), 1000), &want, "clean, chunks");
        // A bad byte in the middle of every 7th line.
        for &line_start in starts.iter().step_by(7) {
            let mut body = clean.clone();
            let end = line_start
                + clean[line_start..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .unwrap();
            body[(line_start + end) / 2] = 0xff;
            let reference = line_by_line(&body, s.clone());
            let want = if s.is_lenient() {
                &reference[..]
            } else {
                let bad = reference.iter().position(|(_, d)| d.starts_with("error"));
                &reference[..=bad.expect("a bad line")]
            };
            let what = format!("bad byte in the line at {line_start}");
            same(&whole(&body, s.clone()), want, &what);
            same(&chunked(&body, s.clone(), 1000), want, &what);
        }
    }
}

fn line_feeds(body: &[u8]) -> impl Iterator<Item = usize> + '_ {
    body.iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .map(|(i, _)| i)
}
