//! The structural paths of the one-pass parser against the general (byte-by-byte) one: long
//! label blocks walked over the quote index, names checked against the last indexed line's,
//! labels taken over from the previous line, and the iterator's quote walk of tight blocks.
//! Bodies of consecutive series that share long label prefixes (as Istio's and consul's do),
//! mutated at every place a shared prefix could hide a difference: a value, a name, a repeated
//! name, an invalid name, an escape, a non-ASCII byte, a blank. The whole-body parser (which
//! takes labels over), the chunk feeder (which does not) and the general path must give the
//! same events, labels and errors.

mod common;
use promtext::Settings;
use proptest::prelude::*;

/// Everything a user can see of an event: its `Debug` form, and a sample's labels as walked.
fn describe(r: Result<&promtext::Event<'_>, &promtext::Error>) -> String {
    match r {
        Ok(ev) => {
            let mut s = format!("{ev:?}");
            if let Some(sample) = ev.as_sample() {
                for l in sample.labels() {
                    s.push_str(&format!(" [{}={}]", l.name, l.value));
                }
            }
            s
        }
        Err(e) => format!("error: {e}"),
    }
}

fn whole(input: &[u8], s: &Settings) -> Vec<String> {
    common::whole_with(input, s, describe)
}

fn general(input: &[u8], s: &Settings) -> Vec<String> {
    common::general_with(input, s, describe)
}

/// The chunk feeder, fed chunks of `size` bytes.
fn chunked(input: &[u8], size: usize, s: &Settings) -> Vec<String> {
    let size = size.max(1);
    let cuts: Vec<usize> = (size..input.len()).step_by(size).collect();
    common::chunked_at_with(input, &cuts, s, describe)
}

const NAMES: &[&str] = &[
    "reporter",
    "source_workload",
    "source_workload_namespace",
    "destination_service",
    "a",
    "b",
    "le",
    "x_1",
    "_u",
    "Z9",
    "connection_security_policy",
];
const BAD_NAMES: &[&str] = &["9x", "a-b", "", "é"];
const VALUES: &[&str] = &[
    "1",
    "destination",
    "",
    "abc def",
    "x,y=z}",
    "spiffe://cluster.local/ns/default/sa/bookinfo-ratings-v2",
    "ratings-v2.default.svc.cluster.local",
    "São Paulo 東京 😀",
    "üüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüü",
];
/// Escapes, a tab, non-ASCII characters and (the control bytes, replaced after the body is
/// written) byte sequences that are not UTF-8.
const ODD_VALUES: &[&str] = &[
    "v\\\"q",
    "é",
    "a\\\\b",
    "tab\there",
    "cut\u{1}",
    "\u{2}surrogate",
    "over\u{3}long",
    "\u{4}",
];

/// What `ODD_VALUES`' control bytes stand for: a truncated character, a surrogate, an overlong
/// form, a code point above U+10FFFF.
fn not_utf8(body: String) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    for &c in body.as_bytes() {
        match c {
            1 => out.extend_from_slice(b"\xe2\x82"),
            2 => out.extend_from_slice(b"\xed\xa0\x80"),
            3 => out.extend_from_slice(b"\xc0\xaf"),
            4 => out.extend_from_slice(b"\xf4\x90\x80\x80"),
            c => out.push(c),
        }
    }
    out
}

/// How a line differs from the one before it.
#[derive(Debug, Clone)]
enum Change {
    Fresh(Vec<(usize, usize)>),
    Value(usize, usize),
    Name(usize, usize),
    Repeat(usize, usize),
    BadName(usize, usize),
    OddValue(usize, usize),
    Blank(usize),
    Same,
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        2 => proptest::collection::vec((0..NAMES.len(), 0..VALUES.len()), 0..30).prop_map(Change::Fresh),
        3 => (any::<usize>(), 0..VALUES.len()).prop_map(|(i, v)| Change::Value(i, v)),
        1 => (any::<usize>(), 0..NAMES.len()).prop_map(|(i, n)| Change::Name(i, n)),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(i, j)| Change::Repeat(i, j)),
        1 => (any::<usize>(), 0..BAD_NAMES.len()).prop_map(|(i, n)| Change::BadName(i, n)),
        1 => (any::<usize>(), 0..ODD_VALUES.len()).prop_map(|(i, v)| Change::OddValue(i, v)),
        1 => any::<usize>().prop_map(Change::Blank),
        2 => Just(Change::Same),
    ]
}

/// A body of lines, each the previous one changed.
fn body(metric: usize, changes: &[Change]) -> Vec<u8> {
    let metrics = [
        "m",
        "istio_requests_total",
        "envoy_cluster_upstream_cx_connect_ms_bucket",
    ];
    let mut labels: Vec<(String, String)> = Vec::new();
    let mut out = String::new();
    for (k, c) in changes.iter().enumerate() {
        let mut blank = None;
        match c {
            Change::Fresh(list) => {
                labels = list
                    .iter()
                    .map(|&(n, v)| (NAMES[n].to_string(), VALUES[v].to_string()))
                    .collect();
                // Distinct names, as a valid body has them (repeats come from `Repeat`).
                let mut seen = std::collections::HashSet::new();
                labels.retain(|(n, _)| seen.insert(n.clone()));
            }
            Change::Value(i, v) if !labels.is_empty() => {
                let i = i % labels.len();
                labels[i].1 = VALUES[*v].to_string();
            }
            Change::Name(i, n) if !labels.is_empty() => {
                let i = i % labels.len();
                labels[i].0 = NAMES[*n].to_string();
            }
            Change::Repeat(i, j) if !labels.is_empty() => {
                let (i, j) = (i % labels.len(), j % labels.len());
                labels[i].0 = labels[j].0.clone();
            }
            Change::BadName(i, n) if !labels.is_empty() => {
                let i = i % labels.len();
                labels[i].0 = BAD_NAMES[*n].to_string();
            }
            Change::OddValue(i, v) if !labels.is_empty() => {
                let i = i % labels.len();
                labels[i].1 = ODD_VALUES[*v].to_string();
            }
            Change::Blank(i) if !labels.is_empty() => blank = Some(i % labels.len()),
            _ => {}
        }
        out.push_str(metrics[(metric + k / 5) % metrics.len()]);
        out.push('{');
        for (i, (n, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            if blank == Some(i) {
                out.push(' ');
            }
            out.push_str(&format!("{n}=\"{v}\""));
        }
        out.push_str(&format!("}} {}\n", k % 3));
    }
    not_utf8(out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn structural_paths_agree_with_the_general_one(
        metric in 0usize..3,
        changes in proptest::collection::vec(change(), 1..14),
        size in 1usize..200,
    ) {
        let input = body(metric, &changes);
        for s in [Settings::default(), Settings::default().lenient(true), Settings::default().allow_duplicate_labels(true)] {
            let want = general(&input, &s);
            prop_assert_eq!(&whole(&input, &s), &want, "{}", String::from_utf8_lossy(&input));
            prop_assert_eq!(&chunked(&input, size, &s), &want, "chunks of {}", size);
        }
    }
}

/// The shapes the proptest reaches by chance, written out: a histogram whose buckets differ in
/// `le` only, lines that repeat all labels, lines that differ in a name or carry a repeated name
/// past the third label, and a line whose shared prefix ends inside a name.
#[test]
fn repeated_label_blocks() {
    let labels: String = (0..24).map(|k| format!("l{k}=\"v{k}\",")).collect();
    let mut body = String::new();
    for le in ["0.5", "1", "5", "+Inf"] {
        body.push_str(&format!("h_bucket{{{labels}le=\"{le}\"}} 1\n"));
    }
    body.push_str(&format!("h_bucket{{{labels}le=\"+Inf\"}} 2\n"));
    body.push_str(&format!(
        "h_bucket{{{}le=\"1\"}} 3\n",
        labels.replace("l20=", "l20x=")
    ));
    body.push_str(&format!(
        "h_bucket{{{}le=\"1\"}} 4\n",
        labels.replace("l20=", "l2=")
    ));
    body.push_str(&format!(
        "h_bucket{{{}le=\"1\"}} 5\n",
        labels.replace("l5=", "l50=")
    ));
    // Differences just before a shared label's closing quote: an invalid name and a repeated
    // one of the same length (taken over, they would pass unchecked).
    body.push_str(&format!(
        "h_bucket{{{}le=\"1\"}} 6\n",
        labels.replace("l15=", "5l5=")
    ));
    body.push_str(&format!(
        "h_bucket{{{}le=\"1\"}} 7\n",
        labels.replace("l17=", "l13=")
    ));
    let s = Settings::default();
    let want = general(body.as_bytes(), &s);
    assert_eq!(whole(body.as_bytes(), &s), want);
    // The repeated name `l2` fails the line (after the good ones).
    assert!(want[6].contains("is not unique"), "{}", want[6]);
    let lenient = Settings::default().lenient(true);
    let want = general(body.as_bytes(), &lenient);
    assert_eq!(whole(body.as_bytes(), &lenient), want);
    assert_eq!(want.len(), 10);
    assert!(want[7].contains("[l50=v5]"), "{}", want[7]);
    assert!(want[8].starts_with("error"), "{}", want[8]);
    assert!(want[9].contains("is not unique"), "{}", want[9]);
    assert_eq!(want[0].matches(" [l").count(), 25);
    assert!(want[0].ends_with(" [le=0.5]"), "{}", want[0]);
}

/// Blocks of three to nine labels (the one-pass path takes up to eight one by one and keeps
/// the last such block to take its leading labels over): a line repeating the previous one,
/// then that line with every byte of its block replaced, in turn, by each byte that could
/// move a boundary or hide an error (a quote, separators, a brace, a backslash, a name or
/// non-name byte, a blank, a non-ASCII byte, a LF), and the name of a later label set to an
/// earlier one. Each such body gives the same events, labels and errors whole and through the
/// general path.
#[test]
fn few_label_blocks_taken_over_or_not() {
    let names = [
        "local_cluster",
        "consul_source_service",
        "consul_source_namespace",
        "consul_source_partition",
        "consul_source_datacenter",
        "envoy_cluster_name",
        "le",
        "x",
        "y",
    ];
    let block = |n: usize, last: &str| -> String {
        let labels: Vec<String> = (0..n)
            .map(|k| {
                let v = if k + 1 == n { last } else { "mynginx" };
                format!("{}=\"{v}\"", names[k])
            })
            .collect();
        format!("{{{}}}", labels.join(","))
    };
    let replacements: &[&[u8]] = &[
        b"\"",
        b",",
        b"=",
        b"}",
        b"\\",
        b"a",
        b"-",
        b" ",
        "é".as_bytes(),
    ];
    let (s, lenient) = (Settings::default(), Settings::default().lenient(true));
    let mut bodies = 0;
    for n in 3..=9 {
        let first = format!("envoy_a{} 1\n", block(n, "one"));
        let second = block(n, "two");
        for name in ["envoy_b", "envoy_a"] {
            let same = format!("{first}{name}{} 2\n{name}{} 3\n", block(n, "one"), second);
            for settings in [&s, &lenient] {
                let want = general(same.as_bytes(), settings);
                assert_eq!(whole(same.as_bytes(), settings), want, "{same}");
            }
            for at in 0..second.len() {
                for r in replacements {
                    let mut changed = second.as_bytes()[..at].to_vec();
                    changed.extend_from_slice(r);
                    changed.extend_from_slice(&second.as_bytes()[at + 1..]);
                    let mut body = format!("{first}{name}").into_bytes();
                    body.extend_from_slice(&changed);
                    body.extend_from_slice(b" 2\n");
                    body.extend_from_slice(format!("{name}{} 3\n", block(n, "one")).as_bytes());
                    for settings in [&s, &lenient] {
                        let want = general(&body, settings);
                        assert_eq!(
                            whole(&body, settings),
                            want,
                            "{}",
                            String::from_utf8_lossy(&body)
                        );
                    }
                    bodies += 1;
                }
            }
            // A later label named as an earlier one, in the taken-over part or after it.
            for (i, j) in [(3, 0), (3, 2), (4, 1), (n - 1, 0), (n - 1, n - 2)] {
                if i >= n || j >= i {
                    continue;
                }
                let repeated =
                    second.replacen(&format!("{}=", names[i]), &format!("{}=", names[j]), 1);
                let body = format!("{first}{name}{repeated} 2\n");
                let want = general(body.as_bytes(), &s);
                assert_eq!(whole(body.as_bytes(), &s), want, "{body}");
                assert!(want[1].contains("is not unique"), "{}", want[1]);
            }
        }
    }
    assert!(bodies > 20_000, "{bodies}");
}

/// The chunk feeder remembers earlier lines of a chunk as ranges of it; a caller may refill
/// the same buffer with other bytes for the next chunk. Blocks that equal the previous chunk's
/// bytes at those positions, but carry a repeated or an invalid name there, must still be
/// checked: fed through one reused buffer (drained or dropped after one event), the events
/// equal the general path's over the concatenated body.
#[test]
fn chunk_buffers_refilled_in_place() {
    let good = "m{local_cluster=\"a\",consul_source_service=\"b\",consul_source_namespace=\"c\",envoy_cluster_name=\"d\",zone=\"e\"} 1\n";
    let repeated = good.replace("envoy_cluster_name=\"d\"", "local_cluster=\"dddddd\"");
    let invalid = good.replace("consul_source_service=", "consul-source_service=");
    let a = format!("{good}{good}");
    for (i, second) in [&repeated, &invalid].into_iter().enumerate() {
        assert_eq!(second.len(), good.len());
        // The second chunk holds the bad line twice: where the first chunk's last block was,
        // the bad line's own bytes stand when its first copy is read.
        let b = format!("{second}{second}");
        let body = format!("{a}{b}");
        // Strict: the one-pass path is off in lenient mode; the first error ends the parse.
        let want = general(body.as_bytes(), &Settings::default());
        for drop_early in [false, true] {
            let mut p = promtext::ChunkParser::new(Settings::default());
            let mut buf = a.clone().into_bytes();
            let mut got: Vec<String> = Vec::new();
            {
                let mut events = p.feed(&buf);
                if drop_early {
                    got.extend(events.next().map(|r| describe(r.as_ref())));
                } else {
                    got.extend(events.map(|r| describe(r.as_ref())));
                }
            }
            buf.copy_from_slice(b.as_bytes());
            got.extend(p.feed(&buf).map(|r| describe(r.as_ref())));
            got.extend(p.finish().map(|r| describe(r.as_ref())));
            assert_eq!(got, want, "case {i}, dropped early: {drop_early}");
            assert_eq!(want.len(), 3);
            assert!(want[2].starts_with("error"), "{}", want[2]);
        }
    }
}
