//! The parallel parser against the single-threaded one: identical events, line numbers,
//! offsets, errors and skipped-line counts for every way of cutting the body into blocks.
//!
//! The `parallel` feature is off by default; `cargo test --workspace` turns it on through the
//! CLI's dependency on the library (feature unification).
#![cfg(feature = "parallel")]

mod common;
use promtext::parallel::{BlockEvents, Options};
use promtext::{Error, Event, Settings};
use promtext_gen::{GenConfig, generate};
use proptest::prelude::*;

type Item<'a> = Result<Event<'a>, Error>;

/// What one block gave: its items, skipped count and position.
struct Block<'a> {
    items: Vec<Item<'a>>,
    skipped: u64,
    first_line: u64,
    offset: u64,
    len: usize,
    lines_read: u64,
    /// `line_count` asked before the block's items are read and after.
    line_count: (Option<u64>, Option<u64>),
}

fn read_block<'a>(b: &mut BlockEvents<'a>) -> Block<'a> {
    // Every other block counts its lines before its parse; the others are told after it,
    // from the count the parse published (or counted then, in lenient mode).
    let before = (b.index() % 2 == 0).then(|| b.line_count());
    let items: Vec<Item<'a>> = b.by_ref().collect();
    let after = b.line_count();
    Block {
        line_count: (before.unwrap_or(after), after),
        items,
        lines_read: b.lines_read(),
        skipped: b.skipped_lines(),
        first_line: b.first_line(),
        offset: b.offset(),
        len: b.input().len(),
    }
}

/// Panics at the first differing item, so a failure on a large body stays readable.
fn assert_same(want: &[Item<'_>], got: &[Item<'_>], what: &str) {
    for (i, (w, g)) in want.iter().zip(got).enumerate() {
        assert_eq!(w, g, "{what}: item {i} differs");
    }
    assert_eq!(want.len(), got.len(), "{what}: item counts differ");
}

/// Three worker threads whatever the machine (a one-thread pool takes the single-threaded
/// path), more than the cores here, so blocks finish out of order.
fn pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .expect("thread pool")
    })
}

/// Compares the parallel parse of `body` under `options`, with the body's line numbers and
/// with block-relative ones, with the single-threaded parse; returns the number of blocks.
fn check(body: &[u8], settings: &Settings, options: Options) -> usize {
    let blocks = check_lines(body, settings, options.block_lines(false));
    assert_eq!(
        check_lines(body, settings, options.block_lines(true)),
        blocks
    );
    blocks
}

fn check_lines(body: &[u8], settings: &Settings, options: Options) -> usize {
    let mut p = promtext::parse_with(body, settings.clone());
    let want: Vec<Item<'_>> = p.by_ref().collect();
    let want_skipped = p.skipped_lines();
    let fail_fast = !settings.is_lenient();

    let got = pool().install(|| options.parse_blocks(body, settings.clone(), read_block));
    let blocks = match (fail_fast, want.last()) {
        (true, Some(Err(e))) => {
            assert_eq!(got.as_ref().err(), Some(e), "fail-fast: the first error");
            0
        }
        _ => {
            let blocks = got.expect("no error in the single-threaded parse");
            // The blocks tile the body, and each knows where it starts.
            let (mut offset, mut lines_before) = (0, 0);
            for b in &blocks {
                assert_eq!(b.offset, offset as u64);
                assert_eq!(b.first_line, lines_before as u64 + 1);
                let line_feeds = memchr_count(&body[offset..offset + b.len]);
                let unterminated = b.len > 0 && body[offset + b.len - 1] != b'\n';
                if settings.is_lenient() || !b.items.iter().any(|i| i.is_err()) {
                    assert_eq!(
                        b.lines_read,
                        (line_feeds + usize::from(unterminated)) as u64
                    );
                }
                let lines = (line_feeds + usize::from(unterminated)) as u64;
                let want_count = (blocks.len() > 1).then_some(lines);
                assert_eq!(b.line_count, (want_count, want_count), "line_count");
                lines_before += line_feeds;
                offset += b.len;
            }
            assert_eq!(offset, body.len());
            // Block-relative events: moved to the body's lines, they are the same events.
            let relative = options.get_block_lines();
            let items: Vec<Item<'_>> = blocks
                .iter()
                .flat_map(|b| {
                    b.items.iter().cloned().map(move |mut item| {
                        if let (Ok(ev), true) = (&mut item, relative) {
                            ev.set_line(ev.line() + b.first_line - 1);
                        }
                        item
                    })
                })
                .collect();
            assert_same(&want, &items, "parse_blocks");
            let skipped: u64 = blocks.iter().map(|b| b.skipped).sum();
            assert_eq!(skipped, want_skipped, "skipped lines");
            blocks.len()
        }
    };

    let want_vec: Result<Vec<Event<'_>>, Error> = want.iter().cloned().collect();
    let got_vec = pool().install(|| options.parse_to_vec(body, settings.clone()));
    match (want_vec, got_vec) {
        (Ok(w), Ok(g)) => {
            for (i, (w, g)) in w.iter().zip(&g).enumerate() {
                assert_eq!(w, g, "parse_to_vec: event {i} differs");
            }
            assert_eq!(w.len(), g.len(), "parse_to_vec length");
        }
        (Err(w), Err(g)) => assert_eq!(w, g, "parse_to_vec error"),
        (w, g) => panic!("parse_to_vec: want {:?}, got {:?}", w.err(), g.err()),
    }
    blocks
}

fn memchr_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&c| c == b'\n').count()
}

/// Options that always split, into blocks of `block_len` bytes.
fn tiny(block_len: usize) -> Options {
    Options::default().threshold(0).block_len(block_len)
}

fn settings_variants() -> Vec<Settings> {
    vec![
        Settings::default(),
        Settings::default().lenient(true),
        Settings::default().lenient(true).max_line_len(40),
        Settings::default().max_line_len(40),
        Settings::default().allow_duplicate_labels(true),
    ]
}

#[test]
fn generated_envoy_and_istio() {
    for config in [
        GenConfig::envoy().target_bytes(3 << 20),
        GenConfig::istio().target_bytes(3 << 20),
        GenConfig::istio()
            .target_bytes(1 << 20)
            .escape_rate(0.2)
            .final_newline(false),
    ] {
        let body = generate(&config).text.into_bytes();
        // The defaults (the body is above the threshold), and many small blocks.
        let n = check(&body, &Settings::default(), Options::default().threshold(0));
        assert!(n > 1, "{n} blocks");
        for block_len in [4096, 65_536] {
            let n = check(&body, &Settings::default(), tiny(block_len));
            assert!(n >= body.len() / block_len / 2, "{n} blocks");
        }
        check(&body, &Settings::default().lenient(true), tiny(8192));
    }
}

/// Called from a thread outside any pool (the calling thread works as one of the workers,
/// rayon's global pool supplies the others), the result is the same as inside a pool.
#[test]
fn outside_a_pool() {
    // Three threads unless another test set the global pool up first (none in this file).
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build_global();
    let body = generate(&GenConfig::envoy().target_bytes(1 << 20))
        .text
        .into_bytes();
    let want: Vec<Event<'_>> = promtext::parse(&body)
        .collect::<Result<_, _>>()
        .expect("valid body");
    let blocks = tiny(16 << 10)
        .parse_blocks(&body, Settings::default(), |b| {
            b.collect::<Result<Vec<_>, _>>().expect("valid body")
        })
        .expect("valid body");
    assert!(blocks.len() > 10, "{} blocks", blocks.len());
    let got: Vec<Event<'_>> = blocks.into_iter().flatten().collect();
    assert_eq!(want, got);
    let bad = b"a 1\nb 2\nc{x=1} 3\nd 4\n";
    let err = tiny(4).parse_to_vec(bad, Settings::default()).unwrap_err();
    assert_eq!((err.line(), err.column()), (3, 5));
}

/// A panic in the block function reaches the caller (after the other workers stop), inside
/// a pool and outside one, and the parser is usable afterwards.
#[test]
fn a_panic_in_the_block_function_propagates() {
    let body = valid_body(2000);
    let options = tiny(1024);
    let run = || {
        options.parse_blocks(body.as_bytes(), Settings::default(), |b| {
            if b.index() == 3 {
                panic!("block three");
            }
            b.count()
        })
    };
    for inside in [true, false] {
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if inside { pool().install(run) } else { run() }
        }));
        let payload = caught.expect_err("the panic reaches the caller");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"block three"));
    }
    let counts = pool()
        .install(|| options.parse_blocks(body.as_bytes(), Settings::default(), |b| b.count()))
        .expect("valid body");
    // 2,000 samples, a HELP and a TYPE line.
    assert_eq!(counts.iter().sum::<usize>(), 2002);
}

#[test]
fn corpus() {
    let Some(root) = common::shared("corpus") else {
        return;
    };
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).expect("readable corpus") {
            let path = entry.expect("corpus entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(!files.is_empty());
    for path in files {
        let body = std::fs::read(&path).expect("corpus file");
        for settings in settings_variants() {
            for block_len in [1, 97, 4096] {
                check(&body, &settings, tiny(block_len));
            }
        }
        // OpenMetrics is parsed as one block, with the single-threaded result.
        check(&body, &Settings::openmetrics(), tiny(64));
        let lenient = Settings::openmetrics().lenient(true);
        assert_eq!(check(&body, &lenient, tiny(64)), 1);
    }
}

/// A valid body of `n` lines with a few metadata lines and a histogram.
fn valid_body(n: usize) -> String {
    let mut body = String::from("# HELP envoy_rq requests\n# TYPE envoy_rq counter\n");
    for i in 0..n {
        body.push_str(&format!(
            "envoy_rq{{cluster=\"c{}\",code=\"{}\"}} {i}\n",
            i % 7,
            200 + i % 3
        ));
    }
    body
}

#[test]
fn errors_in_various_blocks() {
    let lines: Vec<String> = valid_body(400).lines().map(str::to_string).collect();
    for bad_at in [0, 1, 57, 200, 399, 401] {
        for bad in [
            "c{x=1} 3",
            "a b c",
            "a{b=\"1\",b=\"2\"} 1",
            "x 1 2 3",
            "a{\"\\q\"} 1",
        ] {
            let mut body = lines.clone();
            body[bad_at] = bad.to_string();
            let body = body.join("\n");
            for settings in settings_variants() {
                for block_len in [1, 64, 1000, 1 << 20] {
                    check(body.as_bytes(), &settings, tiny(block_len));
                }
            }
        }
    }
    // Two errors in different blocks: the first one wins, in input order.
    let mut body = lines.clone();
    body[30] = "first{ 1".to_string();
    body[350] = "second{ 1".to_string();
    let body = body.join("\n") + "\n";
    for block_len in [1, 100, 5000] {
        let err = tiny(block_len)
            .parse_to_vec(body.as_bytes(), Settings::default())
            .unwrap_err();
        assert_eq!(err.line(), 31);
        check(body.as_bytes(), &Settings::default(), tiny(block_len));
        check(
            body.as_bytes(),
            &Settings::default().lenient(true),
            tiny(block_len),
        );
    }
}

#[test]
fn unread_lines_are_checked_in_fail_fast_mode() {
    let body = valid_body(300) + "bad{ 1\n" + &valid_body(10);
    let options = tiny(256);
    pool().install(|| {
        // The closure reads nothing, yet the error is found.
        let err = options
            .parse_blocks(body.as_bytes(), Settings::default(), |_| ())
            .unwrap_err();
        assert_eq!(err.line(), 303);
        // In lenient mode unread lines are not parsed: nothing fails.
        let lenient = Settings::default().lenient(true);
        let blocks = options
            .parse_blocks(body.as_bytes(), lenient, |b| b.skipped_lines())
            .unwrap();
        assert!(blocks.len() > 10);
        assert_eq!(blocks.iter().sum::<u64>(), 0);
        // A closure that stops at the first error sees it as an item.
        let seen = options
            .parse_blocks(body.as_bytes(), Settings::default(), |b| {
                b.find_map(Result::err)
            })
            .unwrap_err();
        assert_eq!(seen.line(), 303);
    });
}

#[test]
fn line_endings_and_blank_lines() {
    let body = valid_body(50);
    let crlf = body.replace('\n', "\r\n");
    let no_final = body.trim_end_matches('\n').to_string();
    let blank_lines = body.replace("\n", "\n\n  \n\t\n");
    let only_feeds = "\n".repeat(100);
    let mixed = format!("{crlf}{no_final}");
    for body in [&body, &crlf, &no_final, &blank_lines, &only_feeds, &mixed] {
        for settings in settings_variants() {
            for block_len in [1, 2, 3, 17, 256] {
                check(body.as_bytes(), &settings, tiny(block_len));
            }
        }
    }
    for body in ["", "\n", "a 1", "a 1\n", "\r\n", "a{} 1\r"] {
        for settings in settings_variants() {
            check(body.as_bytes(), &settings, tiny(1));
        }
    }
}

#[test]
fn invalid_utf8_and_long_lines() {
    let mut body = valid_body(100).into_bytes();
    body[300] = 0xff; // inside a line of the first block
    body.extend_from_slice(b"a{b=\"\xe2\"} 1\n# HELP h \xc3\nz 1\n");
    body.extend_from_slice(&[b'x'; 200]);
    body.extend_from_slice(b" 1\nlast 2");
    for settings in settings_variants() {
        for block_len in [1, 50, 333, 4096] {
            check(&body, &settings, tiny(block_len));
        }
    }
}

#[test]
fn openmetrics_and_small_bodies_are_one_block() {
    let om = "# TYPE a counter\na_total 1\n# EOF\n";
    for settings in [
        Settings::openmetrics(),
        Settings::openmetrics().validation(promtext::Validation::Strict),
        Settings::openmetrics().lenient(true),
    ] {
        assert_eq!(check(om.as_bytes(), &settings, tiny(1)), 1);
        let after_eof = format!("{om}b_total 2\n{om}");
        check(after_eof.as_bytes(), &settings, tiny(1));
    }
    let body = valid_body(100);
    assert_eq!(
        check(
            body.as_bytes(),
            &Settings::default(),
            Options::default().block_len(16)
        ),
        1,
        "below the default threshold"
    );
    assert!(check(body.as_bytes(), &Settings::default(), tiny(16)) > 100);
}

/// Lines that exercise every path: valid samples sharing prefixes (the per-line caches),
/// escapes, comments, metadata, blank lines, CRLF, bad syntax, invalid UTF-8.
fn line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => (0u8..3, 0u8..3, 0u32..100).prop_map(|(n, l, v)| format!(
            "m{n}{{a=\"{l}\",b=\"x\"}} {v}"
        )
        .into_bytes()),
        1 => Just(b"m0{a=\"\\\"q\\\\\\n\"} 1".to_vec()),
        1 => Just(b"# TYPE m0 counter".to_vec()),
        1 => Just(b"# HELP m1 text \\n here".to_vec()),
        1 => Just(b"# plain comment".to_vec()),
        1 => Just(b"".to_vec()),
        1 => Just(b" \t".to_vec()),
        1 => Just(b"m1{a=\"1\"} 2 -3\r".to_vec()),
        1 => Just(b"m0{a=\"1\",a=\"2\"} 1".to_vec()),
        1 => Just(b"m0{a=1} 1".to_vec()),
        1 => Just(b"m0{a=\"\xff\"} 1".to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..12),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parallel_equals_single_threaded(
        lines in prop::collection::vec(line(), 0..60),
        final_newline in any::<bool>(),
        block_len in 1usize..80,
        mode in 0u8..4,
    ) {
        let mut body = lines.join(&b'\n');
        if final_newline {
            body.push(b'\n');
        }
        let settings = Settings::default()
            .lenient(mode & 1 == 1)
            .max_line_len(if mode & 2 == 2 { 16 } else { 1 << 20 });
        check(&body, &settings, tiny(block_len));
    }
}

/// The block iterator can be shared and sent like the parser it wraps.
#[test]
fn block_events_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<BlockEvents<'static>>();
}
