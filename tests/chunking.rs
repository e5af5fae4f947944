//! Whole buffer vs chunk-fed vs io::Read: identical events and errors for every way of cutting
//! the input, including lines longer than the limit and bad lines in lenient mode.

mod common;
use promtext::{ChunkParser, ErrorKind, ReadParser, Settings};
use proptest::prelude::*;

/// Events and errors rendered with their positions, so any divergence shows.
fn whole(input: &[u8], s: &Settings) -> Vec<String> {
    promtext::parse_with(input, s.clone())
        .map(|r| describe(r.as_ref().map_err(|e| e.clone())))
        .collect()
}

fn describe(r: Result<&promtext::Event<'_>, promtext::Error>) -> String {
    match r {
        Ok(ev) => {
            let extra = ev
                .as_sample()
                .map(|s| format!(" off={} series={:?}", s.offset(), s.series()))
                .unwrap_or_default();
            format!("{} L{}{extra}", common::render(ev), ev.line())
        }
        Err(e) => format!("ERR {e} off={} kind={:?}", e.offset(), e.kind()),
    }
}

fn chunked(input: &[u8], cuts: &[usize], s: &Settings) -> Vec<String> {
    let mut p = ChunkParser::new(s.clone());
    let mut out = Vec::new();
    let mut prev = 0;
    let mut points: Vec<usize> = cuts.iter().map(|&c| c % (input.len() + 1)).collect();
    points.sort_unstable();
    points.push(input.len());
    for c in points {
        for r in p.feed(&input[prev..c]) {
            out.push(describe(r.as_ref().map_err(|e| e.clone())));
        }
        prev = c;
    }
    for r in p.finish() {
        out.push(describe(r.as_ref().map_err(|e| e.clone())));
    }
    out
}

use common::Trickle;

fn read(input: &[u8], n: usize, s: &Settings) -> Vec<String> {
    let mut p = ReadParser::new(
        Trickle {
            data: input,
            n: n.max(1),
        },
        s.clone(),
    );
    let mut out = Vec::new();
    while let Some(r) = p.next_event() {
        out.push(describe(r.as_ref().map_err(|e| e.clone())));
    }
    out
}

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("# TYPE a counter".to_string()),
        Just("# HELP a some \\\\ help\\n".to_string()),
        Just("# a comment".to_string()),
        Just(String::new()),
        Just("   ".to_string()),
        Just("envoy_server_live{} 1".to_string()),
        Just("a{b=\"x\\\"y\",c=\"\\\\\"} 1e3 123".to_string()),
        Just("{\"my.metric\", \"a.b\"=\"v\"} NaN".to_string()),
        Just("bad{ line".to_string()),
        Just("a 1\r".to_string()),
        Just("a 1 -5".to_string()),
        Just("x{le=\"+Inf\"} 16440392441958861461".to_string()),
        "[a-z_]{1,8}\\{[a-z]{1,3}=\"[ -~]{0,40}\"\\} [0-9]{1,5}",
        "[ -~]{0,80}",
    ]
}

fn body() -> impl Strategy<Value = (Vec<u8>, bool)> {
    (prop::collection::vec(line(), 0..30), any::<bool>()).prop_map(|(lines, final_lf)| {
        let mut s = lines.join("\n");
        if final_lf {
            s.push('\n');
        }
        (s.into_bytes(), final_lf)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn chunking_is_invisible((input, _) in body(), cuts in prop::collection::vec(any::<usize>(), 0..12), lenient in any::<bool>(), limit in prop_oneof![Just(1usize << 20), 8usize..64], n in 1usize..40) {
        let s = Settings::default().lenient(lenient).max_line_len(limit);
        let want = whole(&input, &s);
        prop_assert_eq!(&chunked(&input, &cuts, &s), &want);
        prop_assert_eq!(&read(&input, n, &s), &want);
    }

    /// Iterators dropped after any number of events (the rest kept for the next feed or
    /// finish) change nothing either.
    #[test]
    fn dropping_iterators_early_is_invisible((input, _) in body(), cuts in prop::collection::vec(any::<usize>(), 0..12), takes in prop::collection::vec(0usize..4, 14), lenient in any::<bool>(), limit in prop_oneof![Just(1usize << 20), 8usize..64]) {
        let s = Settings::default().lenient(lenient).max_line_len(limit);
        let want = whole(&input, &s);
        let mut p = ChunkParser::new(s.clone());
        let mut got = Vec::new();
        let mut points: Vec<usize> = cuts.iter().map(|&c| c % (input.len() + 1)).collect();
        points.sort_unstable();
        points.push(input.len());
        let mut prev = 0;
        let mut largest = 0;
        let mut discarded = None;
        let mut record = |r: Result<&promtext::Event<'_>, &promtext::Error>, got: &mut Vec<String>| {
            if discarded.is_none() && r.is_err_and(|e| e.kind() == ErrorKind::Undrained) {
                discarded = Some(got.len());
            }
            got.push(describe(r.map_err(|e| e.clone())));
        };
        for (i, c) in points.into_iter().enumerate() {
            largest = largest.max(c - prev);
            for r in p.feed(&input[prev..c]).take(takes[i]) {
                record(r.as_ref(), &mut got);
            }
            prop_assert!(p.buffered() <= limit + largest, "{} buffered", p.buffered());
            prev = c;
        }
        // The last finish is drained; the ones before it may be dropped early too.
        for r in p.finish().take(takes[13]) {
            record(r.as_ref(), &mut got);
        }
        for r in p.finish() {
            record(r.as_ref(), &mut got);
        }
        match discarded {
            // Nothing had to go: exactly the whole-body events.
            None => prop_assert_eq!(&got, &want),
            // Lines waiting past the bound were dropped, and said so: what came before is the
            // whole-body parse's start.
            Some(at) => prop_assert_eq!(&got[..at], &want[..at]),
        }
    }
}

#[test]
fn undrained_iterators_lose_nothing() {
    let input = b"a 1\nb 2\nc 3\nd 4\n";
    let mut p = ChunkParser::new(Settings::default());
    let mut names = Vec::new();
    // Take one event per feed and drop the rest of the iterator.
    for chunk in [&input[..9], &input[9..]] {
        if let Some(ev) = p.feed(chunk).next() {
            names.push(ev.unwrap().as_sample().unwrap().name().into_owned());
        }
    }
    for ev in p.feed(b"") {
        names.push(ev.unwrap().as_sample().unwrap().name().into_owned());
    }
    for ev in p.finish() {
        names.push(ev.unwrap().as_sample().unwrap().name().into_owned());
    }
    assert_eq!(names, ["a", "b", "c", "d"]);
}

#[test]
fn memory_is_bounded_by_the_line_limit() {
    let mut p = ChunkParser::new(Settings::default().lenient(true).max_line_len(1000));
    let block = vec![b'x'; 4096];
    let mut errors = 0;
    for _ in 0..100 {
        errors += p.feed(&block).filter(|r| r.is_err()).count();
        assert!(p.buffered() <= 1000);
    }
    assert_eq!(errors, 1, "one over-long line, one error");
    let evs: Vec<_> = p.feed(b"\na 1\n").collect();
    assert_eq!(evs.len(), 1);
    assert!(evs[0].is_ok());
}

/// Lines that share prefixes with their neighbours in every way the parser's per-line caches
/// (previous metric name, previous `name{label=` prefix) could get wrong.
fn cache_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a{b=\"1\"} 1".to_string()),
        Just("a{b=\"2\",le=\"+Inf\"} 2".to_string()),
        Just("a{b=\"1\",b=\"2\"} 3".to_string()),
        Just("a{bc=\"1\"} 4".to_string()),
        Just("a{b =\"1\"} 5".to_string()),
        Just("a {b=\"1\"} 6".to_string()),
        Just("ab{b=\"1\"} 7".to_string()),
        Just("a_bucket{b=\"1\"} 8".to_string()),
        Just("a{b=\"x\\\"y\"} 9".to_string()),
        Just("a{\"b\"=\"1\"} 10".to_string()),
        Just("{\"a\", b=\"1\"} 11".to_string()),
        Just("a{} 12".to_string()),
        Just("a 13".to_string()),
        Just("a:b{b=\"1\"} 14".to_string()),
        Just("a{b=1} 15".to_string()),
        Just("a{b=\"1\"}16".to_string()),
        Just("a-1 17".to_string()),
        "a[a-c_:]{0,2}\\{[bc]{1,2}=\"[0-9]\"(,[bc]=\"1\")?\\} [0-9]",
    ]
}

/// A line parsed alone: no state from earlier lines.
fn alone(line: &str) -> Vec<String> {
    promtext::parse_str(line)
        .map(|r| match r {
            Ok(ev) => common::render(&ev),
            Err(e) => format!("ERR {}", e.message()),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn per_line_caches_are_invisible(lines in prop::collection::vec(cache_line(), 1..40)) {
        let body = lines.join("\n");
        let mut want = Vec::new();
        for l in &lines {
            let got = alone(l);
            let failed = got.iter().any(|g| g.starts_with("ERR"));
            want.extend(got);
            if failed {
                break; // the default mode stops at the first error
            }
        }
        let got: Vec<String> = promtext::parse_str(&body)
            .map(|r| match r {
                Ok(ev) => common::render(&ev),
                Err(e) => format!("ERR {}", e.message()),
            })
            .collect();
        prop_assert_eq!(got, want);
    }
}

/// A proptest case (2026-12-07): an over-long line found while its chunk was fed waits as an
/// error for the next iterator; a later drop that discards undrained lines must report that too,
/// after it, not be swallowed because an error was already waiting.
#[test]
fn an_undrained_discard_behind_a_waiting_error_is_reported() {
    let s = Settings::default().lenient(true).max_line_len(8);
    let mut p = ChunkParser::new(s);
    let first: Vec<_> = p.feed(b"aaaaaaaaaaaa\nb").map(|r| r.is_err()).collect();
    assert_eq!(first, [true]);
    // Line 2 passes the limit inside this chunk: its error waits; the iterator is dropped.
    drop(p.feed(b"bbbbbbbbbbbbbbb"));
    // Line 2 ends; lines 3 to 5 are kept undrained (more than the line limit).
    drop(p.feed(b"bb\nc 1\nd 2\ne 3\n"));
    // Kept lines and this chunk together pass the bound: discarded.
    drop(p.feed("e 1\n".repeat(8).as_bytes()));
    let rest: Vec<(ErrorKind, u64)> = p
        .finish()
        .map(|r| {
            let e = r.expect_err("only errors are left");
            (e.kind(), e.line())
        })
        .collect();
    assert_eq!(
        rest,
        [(ErrorKind::LineTooLong, 2), (ErrorKind::Undrained, 3)]
    );
}
