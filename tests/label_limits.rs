//! `Settings::label_limits`: a table of limits × dialects × front ends (whole body with the
//! one-pass paths, `ReadParser` on the general grammar, `ChunkParser` cut at every byte,
//! parallel blocks), the protobuf readers, and a property test against a model of
//! Prometheus' `verifyLabelLimits` on random label sets.

mod common;

use common::{chunked_at_with, general_with, render, whole_with};
use promtext::{Dialect, ErrorKind, Event, LabelLimits, Settings};
use proptest::prelude::*;

fn describe(r: Result<&Event<'_>, &promtext::Error>) -> String {
    match r {
        Ok(ev) => render(ev),
        Err(e) => format!(
            "E {:?} {}:{} @{} {}",
            e.kind(),
            e.line(),
            e.column(),
            e.offset(),
            e.message()
        ),
    }
}

fn limits(labels: usize, name_len: usize, value_len: usize) -> LabelLimits {
    LabelLimits {
        labels,
        name_len,
        value_len,
    }
}

/// The body in `dialect` (OpenMetrics ends with `# EOF`).
fn in_dialect(body: &str, dialect: Dialect) -> String {
    match dialect {
        Dialect::Prometheus => body.to_string(),
        _ => format!("{body}# EOF\n"),
    }
}

/// Every front end gives the same events for `body`; returns them.
fn all_front_ends(body: &[u8], s: &Settings) -> Vec<String> {
    let whole = whole_with(body, s, describe);
    assert_eq!(general_with(body, s, describe), whole, "ReadParser");
    for cut in 0..=body.len() {
        assert_eq!(
            chunked_at_with(body, &[cut], s, describe),
            whole,
            "ChunkParser cut at {cut}"
        );
    }
    #[cfg(feature = "parallel")]
    {
        let options = promtext::parallel::Options::default()
            .threshold(0)
            .block_len(16);
        let first_error = whole.iter().find(|d| d.starts_with("E "));
        match options.parse_to_vec(body, s.clone()) {
            Ok(events) if !s.is_lenient() => {
                assert!(first_error.is_none(), "parallel: no error");
                let got: Vec<String> = events.iter().map(render).collect();
                assert_eq!(got, whole, "parallel");
            }
            Ok(_) => {}
            Err(e) => assert_eq!(Some(&describe(Err(&e))), first_error, "parallel"),
        }
    }
    whole
}

/// `Ok` or a label-limit error's `(column, message)`.
type Verdict = Result<(), (u64, String)>;

/// What a one-line body gives under `l`.
fn verdict(line: &str, dialect: Dialect, l: LabelLimits) -> Verdict {
    let body = in_dialect(line, dialect);
    let s = Settings::default().dialect(dialect).label_limits(l);
    let out = all_front_ends(body.as_bytes(), &s);
    let err = promtext::parse_with(body.as_bytes(), s).find_map(Result::err);
    match err {
        None => Ok(()),
        Some(e) => {
            assert_eq!(e.kind(), ErrorKind::LabelLimit, "{line:?} {dialect:?}: {e}");
            assert!(out.iter().any(|d| d.starts_with("E LabelLimit")));
            Err((e.column(), e.message().to_string()))
        }
    }
}

const TEXT_DIALECTS: [Dialect; 3] = [
    Dialect::Prometheus,
    Dialect::OpenMetrics,
    Dialect::OpenMetrics2,
];

#[test]
fn limits_table() {
    let long_value = "é".repeat(60);
    let long_line = format!("m{{a=\"{long_value}\"}} 1\n");
    let ten: String = (0..10)
        .map(|i| format!("l{i}=\"v{i}\""))
        .collect::<Vec<_>>()
        .join(",");
    let ten_line = format!("m{{{ten}}} 1\n");
    let ten_long = ten_line.replace("v8", "v8xxxx");
    #[rustfmt::skip]
    let cases: Vec<(&str, LabelLimits, Verdict)> = vec![
        // The (limit+1)th label, at its name.
        ("m{a=\"1\",b=\"2\",c=\"3\"} 1\n", limits(2, 0, 0),
         Err((15, "label_limit exceeded (metric: m, number of labels: 3, limit: 2)".into()))),
        ("m{a=\"1\",b=\"2\",c=\"3\"} 1\n", limits(3, 0, 0), Ok(())),
        // Empty values count for nothing.
        ("m{a=\"\",b=\"1\",c=\"\",d=\"2\"} 1\n", limits(2, 1, 1), Ok(())),
        ("m{abcd=\"\"} 1\n", limits(0, 3, 0), Ok(())),
        ("m{ab=\"1\",abcd=\"2\"} 1\n", limits(0, 3, 0),
         Err((10, "label_name_length_limit exceeded (metric: m, label name: abcd, length: 4, limit: 3)".into()))),
        ("m{a=\"12\",b=\"1234\"} 1\n", limits(0, 0, 3),
         Err((10, "label_value_length_limit exceeded (metric: m, label name: b, value: \"1234\", length: 4, limit: 3)".into()))),
        // Unescaped lengths: `\"\"\"` is three bytes.
        ("m{a=\"\\\"\\\"\\\"\"} 1\n", limits(0, 0, 3), Ok(())),
        ("m{a=\"\\\"\\\"\\\"\"} 1\n", limits(0, 0, 2),
         Err((3, "label_value_length_limit exceeded (metric: m, label name: a, value: \"\\\"\\\"\\\"\", length: 3, limit: 2)".into()))),
        // The metric name is not a label here, and one in the braces after the stop is unknown.
        ("a_long_metric_name{a=\"1\"} 1\n", limits(1, 1, 1), Ok(())),
        ("{a=\"1\",b=\"2\",\"m\"} 1\n", limits(1, 0, 0),
         Err((8, "label_limit exceeded (metric: , number of labels: 2, limit: 1)".into()))),
        ("{\"m.x\",a=\"1\",b=\"2\"} 1\n", limits(1, 0, 0),
         Err((14, "label_limit exceeded (metric: m.x, number of labels: 2, limit: 1)".into()))),
        // Go's `%.50q`: 50 characters of the value, its length in bytes.
        (long_line.as_str(), limits(0, 0, 50),
         Err((3, format!("label_value_length_limit exceeded (metric: m, label name: a, value: \"{}\", length: 120, limit: 50)", "é".repeat(50))))),
        // The limit stops the line before a later error.
        ("m{a=\"1\",b=\"2\",c=} 1\n", limits(1, 0, 0),
         Err((9, "label_limit exceeded (metric: m, number of labels: 2, limit: 1)".into()))),
        ("m{a=\"1\",b=\"2\",a=\"3\"} 1\n", limits(1, 0, 0),
         Err((9, "label_limit exceeded (metric: m, number of labels: 2, limit: 1)".into()))),
        // Lines of more than three labels (the one-pass path's structural index).
        (ten_line.as_str(), limits(10, 2, 2), Ok(())),
        (ten_line.as_str(), limits(9, 0, 0),
         Err((75, "label_limit exceeded (metric: m, number of labels: 10, limit: 9)".into()))),
        (ten_long.as_str(), limits(10, 2, 5),
         Err((67, "label_value_length_limit exceeded (metric: m, label name: l8, value: \"v8xxxx\", length: 6, limit: 5)".into()))),
    ];
    for (line, l, want) in &cases {
        for dialect in TEXT_DIALECTS {
            assert_eq!(
                &verdict(line, dialect, *l),
                want,
                "{line:?} under {l:?} in {dialect:?}"
            );
            // No limit: the line parses as before (the broken ones aside).
            if want.is_ok() {
                assert!(verdict(line, dialect, LabelLimits::default()).is_ok());
            }
        }
    }
}

#[test]
fn exemplar_labels_are_not_series_labels() {
    let line = "m_total{a=\"1\"} 1 # {trace_id=\"abcdef\"} 1\n";
    for dialect in [Dialect::OpenMetrics, Dialect::OpenMetrics2] {
        let body = format!("# TYPE m counter\n{line}");
        assert_eq!(verdict(&body, dialect, limits(1, 1, 1)), Ok(()));
    }
}

#[test]
fn lenient_parsers_skip_the_line() {
    let body = "a{x=\"1\"} 1\nb{x=\"1\",y=\"2\"} 2\nc 3\n";
    for dialect in TEXT_DIALECTS {
        let body = in_dialect(body, dialect);
        let s = Settings::default()
            .dialect(dialect)
            .lenient(true)
            .label_limits(limits(1, 0, 0));
        let out = all_front_ends(body.as_bytes(), &s);
        let kinds: Vec<bool> = out.iter().map(|d| d.starts_with("E ")).collect();
        let mut want = vec![false, true, false];
        if dialect != Dialect::Prometheus {
            want.push(false); // `# EOF`
        }
        assert_eq!(kinds, want, "{dialect:?}: {out:?}");
        let mut p = promtext::parse_with(body.as_bytes(), s);
        assert_eq!(p.by_ref().filter(Result::is_err).count(), 1);
        assert_eq!(p.skipped_lines(), 1);
    }
}

// ---------------------------------------------------------------- protobuf

mod pb {
    use super::*;
    use promtext::protobuf::write::{Family, Metric, encode_families};
    use promtext::protobuf::{ChunkParser, Parser, ReadParser, Settings as PbSettings};

    fn body(labels: &[(&str, &str)]) -> Vec<u8> {
        let f = Family::counter("m", "")
            .metric(Metric::new(&[("k", "1")]).value(1.0))
            .metric(Metric::new(labels).value(2.0));
        encode_families(&[f])
    }

    /// `Ok(samples)` or the error's `(offset, message)`, the same from all three readers.
    pub(super) fn verdict(body: &[u8], l: LabelLimits) -> Result<usize, (u64, String)> {
        let s = PbSettings::default().label_limits(l);
        let whole: Result<Vec<_>, _> = Parser::new(body, s.clone()).collect();
        let whole = whole
            .map(|evs| evs.len())
            .map_err(|e| (e.offset(), e.message().to_string()));
        for cut in [1, 7, body.len() / 2, body.len()] {
            let mut p = ChunkParser::new(s.clone());
            let mut n = 0;
            let mut err = None;
            for chunk in [&body[..cut], &body[cut..]] {
                for ev in p.feed(chunk) {
                    match ev {
                        Ok(_) => n += 1,
                        Err(e) => err = err.or(Some((e.offset(), e.message().to_string()))),
                    }
                }
            }
            let got = match err {
                None => p
                    .finish()
                    .map(|_| n)
                    .map_err(|e| (e.offset(), e.message().to_string())),
                Some(e) => Err(e),
            };
            assert_eq!(got, whole, "ChunkParser cut at {cut}");
        }
        let mut r = ReadParser::new(body, s);
        let mut n = 0;
        let got = loop {
            match r.next_event() {
                None => break Ok(n),
                Some(Ok(_)) => n += 1,
                Some(Err(e)) => break Err((e.offset(), e.message().to_string())),
            }
        };
        assert_eq!(got, whole, "ReadParser");
        whole
    }

    /// The offset of the `LabelPair` whose name is `name`.
    pub(super) fn pair_at(body: &[u8], name: &str) -> u64 {
        let mut pat = vec![0x0a, name.len() as u8];
        pat.extend_from_slice(name.as_bytes());
        pat.push(0x12);
        let at = body.windows(pat.len()).position(|w| w == pat).unwrap();
        // Back over the pair's own tag and length.
        (at - 2) as u64
    }

    #[test]
    fn protobuf_table() {
        let b = body(&[("a", "1"), ("b", ""), ("c", "3"), ("d", "4")]);
        assert!(verdict(&b, limits(3, 1, 1)).is_ok());
        assert_eq!(
            verdict(&b, limits(2, 0, 0)),
            Err((
                pair_at(&b, "d"),
                "label_limit exceeded (metric: m, number of labels: 3, limit: 2)".into()
            ))
        );
        let b = body(&[("a", "1"), ("name", "v"), ("c", "value")]);
        assert_eq!(
            verdict(&b, limits(0, 3, 0)),
            Err((
                pair_at(&b, "name"),
                "label_name_length_limit exceeded (metric: m, label name: name, length: 4, limit: 3)"
                    .into()
            ))
        );
        assert_eq!(
            verdict(&b, limits(0, 0, 4)),
            Err((
                pair_at(&b, "c"),
                "label_value_length_limit exceeded (metric: m, label name: c, value: \"value\", length: 5, limit: 4)"
                    .into()
            ))
        );
        // A backslash in a protobuf value is a byte like any other.
        let b = body(&[("a", "\\\\")]);
        assert!(verdict(&b, limits(0, 0, 2)).is_ok());
        // Long pairs are past the leading run of short ones.
        let long = "x".repeat(300);
        let b = body(&[("a", "1"), ("b", &long), ("c", "3")]);
        assert!(verdict(&b, limits(0, 0, 300)).is_ok());
        assert_eq!(
            verdict(&b, limits(2, 0, 0)).unwrap_err().0,
            pair_at(&b, "c")
        );
        // Labels after the value (encoders write them first; protobuf allows any order).
        let pair = |n: &str, v: &str| {
            let mut p = vec![0x0a, 6 + n.len() as u8 - 1, 0x0a, n.len() as u8];
            p.extend_from_slice(n.as_bytes());
            p.extend_from_slice(&[0x12, v.len() as u8]);
            p.extend_from_slice(v.as_bytes());
            p[1] = (p.len() - 2) as u8;
            p
        };
        let mut metric = pair("a", "1");
        metric.extend_from_slice(&[0x1a, 9, 0x09]);
        metric.extend_from_slice(&1f64.to_le_bytes());
        metric.extend(pair("b", "2"));
        metric.extend(pair("c", "3"));
        let mut family = vec![0x0a, 1, b'm', 0x18, 0, 0x22, metric.len() as u8];
        family.extend(metric);
        let mut b = vec![family.len() as u8];
        b.extend(family);
        assert!(verdict(&b, limits(3, 1, 1)).is_ok());
        assert_eq!(
            verdict(&b, limits(2, 0, 0)).unwrap_err(),
            (
                pair_at(&b, "c"),
                "label_limit exceeded (metric: m, number of labels: 3, limit: 2)".into()
            )
        );
        assert_eq!(
            verdict(&b, limits(1, 0, 0)).unwrap_err().0,
            pair_at(&b, "b")
        );
        // Summary quantiles and histogram buckets are not labels of the message.
        let s = Family::summary("s", "").metric(Metric::new(&[("a", "1")]).summary(
            3,
            1.0,
            &[(0.5, 1.0), (0.99, 2.0)],
        ));
        let h = Family::histogram("h", "").metric(Metric::new(&[("a", "1")]).classic(
            3.0,
            1.0,
            &[(0.25, 1.0), (1.0, 2.0)],
        ));
        let b = encode_families(&[s, h]);
        assert!(verdict(&b, limits(1, 1, 1)).is_ok());
    }
}

// ---------------------------------------------------------------- model

/// Prometheus' `verifyLabelLimits` over the non-empty labels in order, stopping at the first
/// label over a limit as the parser does: `None` or `(index of the label, message)`.
fn model(labels: &[(String, String)], l: LabelLimits) -> Option<(usize, String)> {
    let mut count = 0;
    for (i, (n, v)) in labels.iter().enumerate() {
        if v.is_empty() {
            continue;
        }
        count += 1;
        if l.labels > 0 && count > l.labels {
            return Some((
                i,
                format!(
                    "label_limit exceeded (metric: m, number of labels: {}, limit: {})",
                    l.labels + 1,
                    l.labels
                ),
            ));
        }
        if l.name_len > 0 && n.len() > l.name_len {
            return Some((
                i,
                format!(
                    "label_name_length_limit exceeded (metric: m, label name: {}, length: {}, limit: {})",
                    trunc50(n),
                    n.len(),
                    l.name_len
                ),
            ));
        }
        if l.value_len > 0 && v.len() > l.value_len {
            return Some((
                i,
                format!(
                    "label_value_length_limit exceeded (metric: m, label name: {}, value: {}, length: {}, limit: {})",
                    trunc50(n),
                    promtext::go::quote_str(&trunc50(v)),
                    v.len(),
                    l.value_len
                ),
            ));
        }
    }
    None
}

/// Go's `%.50s`.
fn trunc50(s: &str) -> String {
    s.chars().take(50).collect()
}

fn escape(v: &str) -> String {
    let mut out = String::new();
    promtext::write::escape_label_value(v, &mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Random label sets (distinct names of 1–6 bytes, values of 0–6 characters with escapes and
    /// non-ASCII) under random limits: every front end agrees, and the verdict, column and
    /// message are the model's.
    #[test]
    fn parser_limits_follow_the_model(
        names in proptest::collection::btree_set("[a-c][a-c_]{0,5}", 0..9),
        values in proptest::collection::vec("[xé\"\\\\\n]{0,6}|", 9),
        l in (0usize..5, 0usize..6, 0usize..6),
        dialect in prop_oneof![Just(Dialect::Prometheus), Just(Dialect::OpenMetrics), Just(Dialect::OpenMetrics2)],
    ) {
        let labels: Vec<(String, String)> =
            names.into_iter().zip(values).collect();
        let l = limits(l.0, l.1, l.2);
        let mut line = String::from("m{");
        let mut starts = Vec::new();
        for (i, (n, v)) in labels.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            starts.push(line.len());
            line.push_str(&format!("{n}=\"{}\"", escape(v)));
        }
        line.push_str("} 1\n");
        let got = verdict(&line, dialect, l);
        let want = model(&labels, l).map(|(i, msg)| (starts[i] as u64 + 1, msg));
        prop_assert_eq!(got, want.map_or(Ok(()), Err), "{:?}", line);
    }
}

// ---------------------------------------------------------------- real bodies

/// [`model`] for a sample of the corpus: its name and its labels, unescaped.
fn model_of(s: &promtext::Sample<'_>, l: LabelLimits) -> Option<String> {
    let labels: Vec<(String, String)> = s
        .labels()
        .map(|x| (x.name.into_owned(), x.value.into_owned()))
        .collect();
    let metric = format!("(metric: {},", trunc50(&s.name()));
    model(&labels, l).map(|(_, msg)| msg.replacen("(metric: m,", &metric, 1))
}

/// Over every sample line of the Prometheus-text corpus, one line at a time through the
/// one-pass paths (`parse_with`) and the general grammar (`ReadParser`): under each set of
/// limits a line parses exactly as without them, or fails with the model's message.
#[test]
fn corpus_lines_follow_the_model() {
    let Some(dir) = common::shared("corpus") else {
        return;
    };
    let limit_sets = [
        limits(3, 0, 0),
        limits(8, 0, 0),
        limits(0, 12, 0),
        limits(0, 0, 20),
        limits(10, 20, 40),
        limits(30, 30, 60),
    ];
    let (mut lines, mut stopped) = (0, 0);
    for sub in ["envoy", "prometheus"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !(name.ends_with(".prom") || name.ends_with(".prom.txt")) {
                continue;
            }
            let body = std::fs::read(&path).unwrap();
            for line in body.split_inclusive(|&b| b == b'\n') {
                let Some(Ok(ev)) = promtext::parse(line).next() else {
                    continue;
                };
                let Some(s) = ev.as_sample() else {
                    continue;
                };
                lines += 1;
                let plain = render(&ev);
                for l in limit_sets {
                    let settings = Settings::default().label_limits(l);
                    let whole = whole_with(line, &settings, describe);
                    let general = general_with(line, &settings, describe);
                    assert_eq!(whole, general, "{name}: {}", String::from_utf8_lossy(line));
                    match model_of(s, l) {
                        None => {
                            assert_eq!(whole, std::slice::from_ref(&plain), "{name} under {l:?}")
                        }
                        Some(msg) => {
                            stopped += 1;
                            assert_eq!(whole.len(), 1);
                            assert!(
                                whole[0].starts_with("E LabelLimit 1:") && whole[0].ends_with(&msg),
                                "{name} under {l:?}: {} (model: {msg})",
                                whole[0]
                            );
                        }
                    }
                }
            }
        }
    }
    eprintln!("{lines} corpus sample lines, {stopped} stops");
    assert!(lines > 1000 && stopped > 1000, "{lines} {stopped}");
}
