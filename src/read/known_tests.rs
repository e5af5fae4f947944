//! The known-series path (`Events::next_known`, the scrape's cache offering the series it
//! expects next) against the plain parse: whatever valid series it is offered, wherever the
//! chunks are cut, the events are the plain parse's, every observable of them.

use proptest::prelude::*;

use super::known_check::{known_series_agree, offered, plain};
use crate::settings::{Dialect, LabelLimits, Settings};

/// Bodies with every shape the known path must take or leave: names alone, empty and
/// trailing-comma blocks, escapes, timestamps, blanks, exemplar-like tails, quoted names,
/// lines that continue a known series' name, errors after a known series.
const SHAPES: &str = "# HELP a_total Help.\n# TYPE a_total counter\na_total 1\na_total{} 2\n\
a_total{x=\"1\"} 3\na_total{x=\"1\",} 4\na_total{x=\"a\\\"b\\\\c\\n\"} 5\n\
a_total{x=\"1\"} 6 1700000000000\na_total{x=\"1\"}\t7\na_total{x=\"1\"}  8\n\
a_total {x=\"1\"} 9\n{\"a.b\"} 10\n{\"a.b\",x=\"1\"} 11\nb{x=\"é\"} 12\nb{x=\"1\"} 1.5e-3\n\
b{x=\"1\"} NaN\nb{x=\"1\"} +Inf\nb{x=\"1\"} -0\nb{x=\"1\"} 1e3\nb{x=\"1\"} -1.5\n\
a_totalx 13\na_total{x=\"1\"} 14\n\nb 15\nb{x=\"1\",y=\"2\",z=\"3\",w=\"4\"} 16\n\
b{x=\"1\"} 17 000\nb{x=\"1\"} 1.5 123456789012345678\nb{x=\"1\"} 18 1234567890123456789\n";

/// Lines that follow a known series with what no sample may have.
const BAD_TAILS: [&str; 14] = [
    " 1 2 3",
    " 1 -5",
    " 1 12a",
    " 1 9223372036854775808",
    " 1 1\t",
    " 1{ 2",
    " ",
    " x",
    " 1 # {a=\"b\"} 1",
    "x 1",
    " 1\r",
    " 1 ",
    "{y=\"2\"} 1",
    " 1\t",
];

fn istio_like(series: usize) -> String {
    let mut out = String::new();
    for i in 0..series {
        if i % 20 == 0 {
            out.push_str("# TYPE istio_requests_total counter\n");
        }
        out.push_str("istio_requests_total{");
        for l in 0..25 {
            let v = if l == 7 {
                format!("svc-{}", i % 13)
            } else {
                format!("value-{l}-{}", i % 5)
            };
            out.push_str(&format!("label_{l}=\"{v}\","));
        }
        out.pop();
        out.push_str(&format!("}} {}\n", i * 7));
    }
    out
}

/// The bodies: the shapes, an Istio-like body, and the real captures when `../shared` is here.
fn bodies() -> Vec<(String, Vec<u8>)> {
    let mut out = vec![
        ("shapes".to_string(), SHAPES.as_bytes().to_vec()),
        ("istio-like".to_string(), istio_like(300).into_bytes()),
    ];
    for dir in ["envoy", "prometheus"] {
        let d = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpus")
            .join(dir);
        let Ok(entries) = std::fs::read_dir(&d) else {
            eprintln!("note: {} is absent; skipping its bodies", d.display());
            continue;
        };
        let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            if f.extension().is_some_and(|e| e == "md") {
                continue;
            }
            out.push((f.display().to_string(), std::fs::read(&f).unwrap()));
        }
    }
    out
}

/// Each body, cut into chunks of several sizes, offered its own next series, the one after it,
/// and series from anywhere: the plain parse's events every time; its own series are taken.
#[test]
#[cfg_attr(miri, ignore = "minutes under Miri")]
fn offered_series_change_no_event() {
    let settings = Settings::default();
    let all = bodies();
    let pool: Vec<Vec<u8>> = all
        .iter()
        .flat_map(|(_, b)| plain(b, &settings, usize::MAX).1)
        .collect();
    for (name, body) in &all {
        let (want, series) = plain(body, &settings, usize::MAX);
        for chunk in [1, 13, 4096, usize::MAX] {
            if chunk == 1 && body.len() > 100_000 {
                continue;
            }
            let (got, taken) =
                offered(body, &settings, chunk, |k| series.get(k).map(Vec::as_slice));
            assert_eq!(got, want, "{name}, own series, chunks of {chunk}");
            if name.contains("istio-like") || name.contains("envoy_") {
                // Every sample line of these has the plain form the path takes.
                assert_eq!(
                    taken,
                    series.len(),
                    "{name}: own series taken, chunks of {chunk}"
                );
            }
            let (got, _) = offered(body, &settings, chunk, |k| {
                series.get(k + 1).map(Vec::as_slice)
            });
            assert_eq!(got, want, "{name}, the next series, chunks of {chunk}");
            let mut rng = 0x9e37_79b9_7f4a_7c15u64;
            let (got, _) = offered(body, &settings, chunk, |k| {
                rng = rng
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                match rng >> 62 {
                    0 => pool
                        .get((rng >> 20) as usize % pool.len())
                        .map(Vec::as_slice),
                    1 => None,
                    _ => series.get(k).map(Vec::as_slice),
                }
            });
            assert_eq!(got, want, "{name}, random series, chunks of {chunk}");
        }
    }
}

/// The head a key shares with the key before it in the scrape's order is compared with the line
/// taken before (in cache), not read from the key: shown with a key whose head is wrong but
/// whose `Shared` says it is the line before's, which is taken only at the position after that
/// line's (or at its own), and only in the same buffer.
#[test]
fn a_shared_head_is_read_from_the_line_before() {
    use crate::lex::scan::{KeyShape, Shared};
    let body = b"m{a=\"1\",b=\"x\"} 1\n# HELP m m\nm{a=\"1\",b=\"y\"} 2\n";
    let first: &[u8] = b"m{a=\"1\",b=\"x\"}";
    // `M…`: not the second line's series, whose first 11 bytes are the first line's.
    let wrong_head: &[u8] = b"M{a=\"1\",b=\"y\"}";
    let shape = KeyShape::of(first).unwrap();
    let run = |position: usize, chunk: usize| {
        let mut p = crate::ChunkParser::new(Settings::default());
        let mut taken = Vec::new();
        let mut offers = 0;
        let mut drain = |mut events: crate::read::stream::Events<'_>| {
            loop {
                let known = match offers {
                    0 => (
                        first,
                        shape,
                        Shared {
                            position: 0,
                            len: 0,
                            rest: first,
                        },
                    ),
                    _ => (
                        wrong_head,
                        shape,
                        Shared {
                            position,
                            len: 11,
                            rest: &wrong_head[11..],
                        },
                    ),
                };
                let mut t = false;
                let Some(r) = events.next_known(Some(known), &mut t) else {
                    break;
                };
                if let Ok(crate::Event::Sample(s)) = r {
                    offers += 1;
                    taken.push((t, s.series().to_string()));
                }
            }
        };
        for c in body.chunks(chunk) {
            drain(p.feed(c));
        }
        drain(p.finish());
        taken
    };
    let second = "m{a=\"1\",b=\"y\"}".to_string();
    // After the line at position 0, at position 1 (or 0): the head is the first line's, the
    // line is taken (the event is the line's, as always).
    for position in [0, 1] {
        let got = run(position, usize::MAX);
        assert_eq!(got[1], (true, second.clone()), "{position}");
    }
    // Not the position after the line taken, or the line before in another buffer (the
    // second line is carried across chunks of 20 bytes): the whole key is compared.
    assert_eq!(run(2, usize::MAX)[1], (false, second.clone()));
    assert_eq!(run(1, 20)[1], (false, second));
}

/// The shapes the path takes and leaves: what a scrape saves depends on it.
#[test]
fn plain_forms_are_taken_others_left() {
    let settings = Settings::default();
    let (_, series) = plain(SHAPES.as_bytes(), &settings, usize::MAX);
    let (_, taken) = offered(SHAPES.as_bytes(), &settings, usize::MAX, |k| {
        series.get(k).map(Vec::as_slice)
    });
    // Left: the escaped value (taken: its block is a key like any), the tab, two blanks, the
    // blank before the braces, both quoted names, a timestamp of 19 digits (taken: timestamps
    // of up to 18).
    let left = [
        "18 1234567890123456789",
        "\t7",
        "  8",
        " {x=",
        "{\"a.b\"}",
        "{\"a.b\",",
    ];
    let lines = SHAPES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .count();
    assert_eq!(series.len(), lines);
    assert_eq!(taken, lines - left.len());
}

/// A known series followed by what no sample may have: the plain parse's verdict (an error,
/// at the same position), never a sample.
#[test]
fn bad_tails_after_a_known_series_are_the_plain_verdicts() {
    let settings = Settings::default();
    for key in [
        "a_total",
        "a_total{x=\"1\"}",
        "a_total{}",
        "b{x=\"a\\\"b\"}",
    ] {
        for tail in BAD_TAILS {
            let body = format!("{key} 1\n{key}{tail}\n{key} 2\n");
            let (want, _) = plain(body.as_bytes(), &settings, usize::MAX);
            for chunk in [1, 5, usize::MAX] {
                let (got, _) = offered(body.as_bytes(), &settings, chunk, |_| Some(key.as_bytes()));
                assert_eq!(got, want, "{body:?} in chunks of {chunk}");
            }
        }
    }
}

/// Settings under which the path is off (other dialects, leniency, label limits) or must
/// leave lines (over the line limit), offered the series the default settings accept.
#[test]
fn path_is_off_where_the_one_pass_path_is() {
    let body = istio_like(40);
    let (_, series) = plain(body.as_bytes(), &Settings::default(), usize::MAX);
    let limits = LabelLimits {
        labels: 30,
        name_len: 0,
        value_len: 0,
    };
    for (what, settings) in [
        (
            "openmetrics",
            Settings::default().dialect(Dialect::OpenMetrics),
        ),
        ("lenient", Settings::default().lenient(true)),
        ("label limits", Settings::default().label_limits(limits)),
        ("line limit", Settings::default().max_line_len(100)),
    ] {
        let (want, _) = plain(body.as_bytes(), &settings, usize::MAX);
        for chunk in [64, 4096] {
            let (got, taken) = offered(body.as_bytes(), &settings, chunk, |k| {
                series.get(k).map(Vec::as_slice)
            });
            assert_eq!(got, want, "{what}");
            assert_eq!(taken, 0, "{what}");
        }
    }
}

/// The fuzz target's check passes on the shapes and an Istio-like body, for any offers.
#[test]
fn fuzz_check_agrees_on_the_shapes() {
    for chunk in [1, 7, usize::MAX] {
        for offers in [&[1u16][..], &[0, 1, 2, 5, 0xffff], &[3, 1]] {
            known_series_agree(SHAPES.as_bytes(), chunk, offers).unwrap();
            known_series_agree(istio_like(30).as_bytes(), chunk, offers).unwrap();
        }
    }
    assert!(known_series_agree(b"", 1, &[1]).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Lines assembled from known series and tails, valid and not, in any order and cut
    /// anywhere, offered series in any order: the plain parse's events.
    #[test]
    fn assembled_lines_any_offer(
        picks in proptest::collection::vec((0usize..8, 0usize..14), 1..40),
        offers in proptest::collection::vec(0usize..9, 1..40),
        chunk in 1usize..200,
    ) {
        let keys = ["a", "a{}", "a{x=\"1\"}", "a{x=\"1\",y=\"2\"}", "b{x=\"\\\\\"}",
            "a{x=\"1\",}", "c{x=\"é\"}", "a{x=\"2\"}"];
        let tails = [" 1", " 0", " 1.5", " -Inf", " 12345678901234567890", " 1 2",
            "\t1", " ", "x 1", "{z=\"1\"} 1", " 1 # x", " 1\r", "", " 7"];
        let mut body = String::new();
        for (k, t) in &picks {
            body.push_str(keys[*k]);
            body.push_str(tails[*t]);
            body.push('\n');
        }
        let settings = Settings::default();
        // Each key is the series of an accepted sample (what the scrape's cache holds).
        for key in keys {
            let (_, series) = plain(format!("{key} 1\n").as_bytes(), &settings, usize::MAX);
            prop_assert_eq!(series, vec![key.as_bytes().to_vec()]);
        }
        let (want, _) = plain(body.as_bytes(), &settings, usize::MAX);
        let (got, _) = offered(body.as_bytes(), &settings, chunk, |k| {
            let o = offers[k % offers.len()];
            keys.get(o).map(|s| s.as_bytes())
        });
        prop_assert_eq!(got, want);
    }
}
