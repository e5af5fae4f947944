//! OpenMetrics round trip: a generated exposition (counters with exemplars, gauges, unknown
//! families; TYPE, UNIT, HELP; escapes and UTF-8 names; float-second timestamps) is written
//! with the writer, parsed back under `strict` (it is valid OpenMetrics by construction),
//! whole and chunked, and every event matches what was written.

use promtext::family::OwnedExemplar;
use promtext::write::{Format, write_eof, write_help, write_sample_parts, write_type, write_unit};
use promtext::{ChunkParser, Event, MetricType, Settings, Validation};
use proptest::prelude::*;

#[path = "support/strategies.rs"]
mod strategies;
use strategies::{float_value, text, unique_labels};

#[derive(Clone, Debug)]
struct Smp {
    labels: Vec<(String, String)>,
    value: f64,
    ts_ms: Option<i64>,
    exemplar: Option<OwnedExemplar>,
}

#[derive(Clone, Debug)]
struct Fam {
    name: String,
    metric_type: MetricType,
    unit: Option<String>,
    help: Option<String>,
    samples: Vec<Smp>,
}

fn label_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z_][a-zA-Z0-9_]{0,8}",
        1 => "[a-z]{1,3}\\.[a-z]{1,3}",
        1 => "[a-z]{1,3}\"[a-z]{1,3}",
    ]
    // `le` and `quantile` mean something in histograms and summaries only; keep them out of
    // the families generated here anyway, along with the state-label clash of statesets.
    .prop_filter("reserved", |n| n != "le" && n != "quantile")
}

fn labels() -> impl Strategy<Value = Vec<(String, String)>> {
    unique_labels(label_name(), 4)
}

fn counter_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0.0..1e300f64),
        Just(f64::INFINITY),
        Just(0.0),
        (0u64..u64::MAX).prop_map(|v| v as f64),
    ]
}

fn exemplar() -> impl Strategy<Value = OwnedExemplar> {
    (
        prop::collection::vec(("[a-z_]{1,6}", "[ -~]{0,20}"), 0..3),
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
        prop::option::of((-1e10..1e10f64).prop_filter("finite", |v| v.is_finite())),
    )
        .prop_map(|(mut labels, value, timestamp)| {
            let mut seen = std::collections::HashSet::new();
            labels.retain(|(n, _)| seen.insert(n.clone()));
            OwnedExemplar {
                labels,
                value,
                timestamp,
            }
        })
}

fn family(index: usize) -> impl Strategy<Value = Fam> {
    let kind = prop_oneof![
        Just(MetricType::Counter),
        Just(MetricType::Gauge),
        Just(MetricType::Unknown)
    ];
    (
        kind,
        prop_oneof![
            Just(None),
            "[a-z]{1,7}".prop_map(Some),
            Just(Some(String::new()))
        ],
        prop::option::of(text()),
        prop::bool::ANY,
        prop::bool::ANY,
        prop::option::of(-4_000_000_000_000i64..4_000_000_000_000),
    )
        .prop_flat_map(move |(t, unit, help, dotted, timestamped, ts0)| {
            let value = if t == MetricType::Counter {
                counter_value().boxed()
            } else {
                float_value().boxed()
            };
            let ex = if t == MetricType::Counter {
                prop::option::of(exemplar()).boxed()
            } else {
                Just(None).boxed()
            };
            let sample = (labels(), value, ex);
            prop::collection::vec(sample, 0..5).prop_map(move |samples| {
                let base = if dotted {
                    format!("fam.{index}")
                } else {
                    format!("fam_{index}")
                };
                let name = match &unit {
                    Some(u) if !u.is_empty() => format!("{base}_{u}"),
                    _ => base,
                };
                // One sample per metric: drop label sets seen before (in any order).
                let mut seen = std::collections::HashSet::new();
                let samples = samples
                    .into_iter()
                    .filter(|(l, _, _)| {
                        let mut key = l.clone();
                        key.sort();
                        seen.insert(key)
                    })
                    .enumerate()
                    .map(|(i, (labels, value, exemplar))| Smp {
                        labels,
                        value,
                        ts_ms: ts0.filter(|_| timestamped).map(|t| t + i as i64 * 1001),
                        exemplar,
                    })
                    .collect();
                Fam {
                    name,
                    metric_type: t,
                    unit: unit.clone(),
                    help: help.clone(),
                    samples,
                }
            })
        })
}

fn exposition() -> impl Strategy<Value = Vec<Fam>> {
    (0usize..6).prop_flat_map(|n| (0..n).map(family).collect::<Vec<_>>())
}

fn sample_name(f: &Fam) -> String {
    match f.metric_type {
        MetricType::Counter => format!("{}_total", f.name),
        _ => f.name.clone(),
    }
}

fn write(fams: &[Fam]) -> String {
    let mut out = String::new();
    for f in fams {
        write_type(&mut out, Format::OpenMetrics, &f.name, f.metric_type);
        if let Some(u) = &f.unit {
            write_unit(&mut out, Format::OpenMetrics, &f.name, u);
        }
        if let Some(h) = &f.help {
            write_help(&mut out, Format::OpenMetrics, &f.name, h);
        }
        let name = sample_name(f);
        for s in &f.samples {
            write_sample_parts(
                &mut out,
                Format::OpenMetrics,
                &name,
                s.labels.iter().map(|(n, v)| (n.as_str(), v.as_str())),
                s.value,
                None,
                s.ts_ms,
                s.exemplar.as_ref(),
            );
        }
    }
    write_eof(&mut out);
    out
}

fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

/// The text format's label-value unescaping (`\\`, `\"`, `\n`; any other backslash stays).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some(q @ ('\\' | '"')) => out.push(q),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Checks the parsed events against the model.
fn check(fams: &[Fam], events: &[Event<'_>], slack: i64) -> Result<(), TestCaseError> {
    let mut it = events.iter();
    for f in fams {
        let Some(Event::Type(t)) = it.next() else {
            return Err(TestCaseError::fail("TYPE expected"));
        };
        prop_assert_eq!(unescape(t.name), f.name.clone());
        prop_assert_eq!(t.metric_type, f.metric_type);
        if let Some(u) = &f.unit {
            let Some(Event::Unit(ev)) = it.next() else {
                return Err(TestCaseError::fail("UNIT expected"));
            };
            prop_assert_eq!(ev.unit, u.as_str());
        }
        if let Some(h) = &f.help {
            let Some(Event::Help(ev)) = it.next() else {
                return Err(TestCaseError::fail("HELP expected"));
            };
            prop_assert_eq!(ev.text().into_owned(), h.clone());
        }
        for s in &f.samples {
            let Some(Event::Sample(ev)) = it.next() else {
                return Err(TestCaseError::fail("sample expected"));
            };
            prop_assert_eq!(ev.name().into_owned(), sample_name(f));
            let labels: Vec<(String, String)> = ev
                .labels()
                .map(|l| (l.name.into_owned(), l.value.into_owned()))
                .collect();
            prop_assert_eq!(&labels, &s.labels);
            prop_assert!(same(ev.value(), s.value), "{} vs {}", ev.value(), s.value);
            match s.ts_ms {
                None => prop_assert_eq!(ev.timestamp_ms(), None),
                Some(ms) => {
                    // Milliseconds are written as exact decimal seconds; reading them back
                    // is Prometheus' int64(seconds * 1000), which truncates and can land one
                    // millisecond low when the decimal has no exact binary value.
                    let text = ev.timestamp_text().unwrap();
                    let seconds: f64 = text.parse().unwrap();
                    prop_assert_eq!(ev.timestamp_ms(), Some((seconds * 1000.0) as i64));
                    let got = ev.timestamp_ms().unwrap();
                    prop_assert!((got - ms).abs() <= slack, "{got} vs {ms}");
                }
            }
            match (&s.exemplar, ev.exemplar()) {
                (None, None) => {}
                (Some(want), Some(got)) => {
                    let labels: Vec<(String, String)> = got
                        .labels()
                        .map(|l| (l.name.into_owned(), l.value.into_owned()))
                        .collect();
                    prop_assert_eq!(&labels, &want.labels);
                    prop_assert!(same(got.value(), want.value));
                    prop_assert_eq!(
                        got.timestamp().map(f64::to_bits),
                        want.timestamp.map(f64::to_bits)
                    );
                }
                _ => return Err(TestCaseError::fail("exemplar mismatch")),
            }
        }
    }
    prop_assert!(matches!(it.next(), Some(Event::Eof(_))));
    prop_assert!(it.next().is_none());
    Ok(())
}

fn exemplar_fits(fams: &[Fam]) -> bool {
    fams.iter().flat_map(|f| &f.samples).all(|s| {
        s.exemplar.as_ref().is_none_or(|e| {
            e.labels
                .iter()
                .map(|(n, v)| n.chars().count() + v.chars().count())
                .sum::<usize>()
                <= 128
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn openmetrics_round_trips(fams in exposition()) {
        prop_assume!(exemplar_fits(&fams));
        let text = write(&fams);
        for settings in [Settings::openmetrics(), Settings::openmetrics().validation(Validation::Strict)] {
            let events: Result<Vec<Event<'_>>, _> =
                promtext::parse_with(text.as_bytes(), settings.clone()).collect();
            let events = events.map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            check(&fams, &events, 1)?;
            // The chunked parser reads the same events.
            let whole: Vec<String> = events.iter().map(|e| format!("{e:?}")).collect();
            let mut p = ChunkParser::new(settings);
            let mut chunked = Vec::new();
            for chunk in text.as_bytes().chunks(13) {
                chunked.extend(p.feed(chunk).map(|e| format!("{:?}", e.unwrap())));
            }
            chunked.extend(p.finish().map(|e| format!("{:?}", e.unwrap())));
            prop_assert_eq!(chunked, whole);
        }
    }

    /// Events written back with `write_event` parse to the same events again. The text is
    /// identical unless there are timestamps: `write_event` writes the parsed milliseconds,
    /// so a timestamp that read back one millisecond low (see above) is written so.
    #[test]
    fn openmetrics_events_rewrite_identically(fams in exposition()) {
        prop_assume!(exemplar_fits(&fams));
        let text = write(&fams);
        let events: Vec<Event<'_>> = promtext::parse_with(text.as_bytes(), Settings::openmetrics())
            .collect::<Result<_, _>>()
            .unwrap();
        let mut again = String::new();
        for ev in &events {
            promtext::write::write_event(&mut again, Format::OpenMetrics, ev);
        }
        let timestamps = fams.iter().flat_map(|f| &f.samples).any(|s| s.ts_ms.is_some());
        if !timestamps {
            prop_assert_eq!(&again, &text);
        }
        let reparsed: Vec<Event<'_>> = promtext::parse_with(again.as_bytes(), Settings::openmetrics())
            .collect::<Result<_, _>>()
            .unwrap();
        // Written back from truncated milliseconds, read back truncated once more.
        check(&fams, &reparsed, 2)?;
    }
}
