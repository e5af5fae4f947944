//! `Sample::labels` on blocks of every shape the grammar allows: pre-located (up to three
//! labels) and re-scanned (more), where the re-scan takes plain `name="value",` labels on a
//! fast shape and everything else (blanks, quoted names, escapes, a trailing comma, the
//! brace-only quoted metric name) on the general loop. Both must give the labels as written.

use promtext::{Event, parse};
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct Label {
    name: String,
    quoted_name: bool,
    value: String,
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn label() -> impl Strategy<Value = Label> {
    (
        prop_oneof![
            4 => "[a-zA-Z_][a-zA-Z0-9_]{0,12}",
            1 => "[a-z]{1,3}\\.[a-z é]{1,4}",
        ],
        any::<bool>(),
        prop_oneof![
            4 => "[a-zA-Z0-9_./:|-]{0,24}",
            1 => "[ -~]{0,12}",
            1 => Just("a\"b\\c\nd".to_string()),
            1 => Just("ünïcödé".to_string()),
        ],
    )
        .prop_map(|(name, quote, value)| {
            let legacy = promtext::go::is_legacy_label_name(&name);
            Label {
                quoted_name: quote || !legacy,
                name,
                value,
            }
        })
}

/// Blanks the grammar allows at one place: mostly none.
fn blanks() -> impl Strategy<Value = &'static str> {
    prop_oneof![6 => Just(""), 1 => Just(" "), 1 => Just("\t "),]
}

fn block() -> impl Strategy<Value = (Vec<Label>, Vec<&'static str>, bool, bool)> {
    (
        prop::collection::vec(label(), 0..9).prop_map(|mut v| {
            let mut seen = std::collections::HashSet::new();
            v.retain(|l| seen.insert(l.name.clone()));
            v
        }),
        prop::collection::vec(blanks(), 48),
        any::<bool>(),
        prop::bool::weighted(0.15),
    )
}

fn render(labels: &[Label], gaps: &[&str], trailing_comma: bool, quoted_metric: bool) -> String {
    let mut gap = gaps.iter().cycle();
    let mut line = String::new();
    if quoted_metric {
        line.push_str("{\"m.x\"");
        if !labels.is_empty() {
            line.push(',');
        }
    } else {
        line.push_str("m{");
    }
    for (k, l) in labels.iter().enumerate() {
        line.push_str(gap.next().unwrap());
        if l.quoted_name {
            line.push_str(&format!("\"{}\"", escape(&l.name)));
        } else {
            line.push_str(&l.name);
        }
        line.push_str(gap.next().unwrap());
        line.push('=');
        line.push_str(gap.next().unwrap());
        line.push_str(&format!("\"{}\"", escape(&l.value)));
        line.push_str(gap.next().unwrap());
        if k + 1 < labels.len() || trailing_comma {
            line.push(',');
        }
    }
    line.push_str(gap.next().unwrap());
    line.push_str("} 1\n");
    line
}

fn check(labels: &[Label], line: &str) {
    let events: Vec<_> = parse(line.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{line:?}: {e}"));
    let Some(Event::Sample(s)) = events.first() else {
        panic!("{line:?}: no sample");
    };
    let got: Vec<(String, String)> = s
        .labels()
        .map(|l| (l.name.into_owned(), l.value.into_owned()))
        .collect();
    let want: Vec<(String, String)> = labels
        .iter()
        .map(|l| (l.name.clone(), l.value.clone()))
        .collect();
    assert_eq!(got, want, "{line:?}");
    // A clone started anew gives the same labels; `count` agrees with the items.
    assert_eq!(s.labels().count(), want.len(), "{line:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn labels_come_back_as_written((labels, gaps, trailing, quoted_metric) in block()) {
        let line = render(&labels, &gaps, trailing && !labels.is_empty(), quoted_metric);
        check(&labels, &line);
    }
}

#[test]
fn label_shapes_table() {
    let plain = |n: &str, v: &str| Label {
        name: n.into(),
        quoted_name: false,
        value: v.into(),
    };
    let many: Vec<Label> = (0..6)
        .map(|k| plain(&format!("l{k}"), &format!("v{k}")))
        .collect();
    for (line, labels) in [
        (
            "m{l0=\"v0\",l1=\"v1\",l2=\"v2\",l3=\"v3\",l4=\"v4\",l5=\"v5\"} 1\n",
            many.clone(),
        ),
        (
            "m{l0=\"v0\",l1=\"v1\",l2=\"v2\",l3=\"v3\",l4=\"v4\",l5=\"v5\",} 1\n",
            many.clone(),
        ),
        (
            "m{l0=\"v0\", l1=\"v1\",l2 =\"v2\",l3= \"v3\",l4=\"v4\" ,l5=\"v5\"} 1\n",
            many.clone(),
        ),
        (
            "m{ l0=\"v0\",l1=\"v1\",l2=\"v2\",l3=\"v3\",l4=\"v4\",l5=\"v5\" } 1\n",
            many.clone(),
        ),
        (
            "{\"m\",l0=\"v0\",l1=\"v1\",l2=\"v2\",l3=\"v3\",l4=\"v4\",l5=\"v5\"} 1\n",
            many.clone(),
        ),
        (
            "m{l0=\"v0\",l1=\"v1\",l2=\"v2\",\"l3\"=\"v3\",l4=\"v4\",l5=\"v5\"} 1\n",
            many.clone(),
        ),
        (
            "m{l0=\"\",l1=\"\",l2=\"\",l3=\"\"} 1\n",
            (0..4).map(|k| plain(&format!("l{k}"), "")).collect(),
        ),
        (
            "m{a=\"=\",b=\"x=y\",c=\",\",d=\"}\"} 1\n",
            vec![
                plain("a", "="),
                plain("b", "x=y"),
                plain("c", ","),
                plain("d", "}"),
            ],
        ),
        (
            "m{a=\"1\",b=\"2\",c=\"3\",d=\"q\\\"q\"} 1\n",
            vec![
                plain("a", "1"),
                plain("b", "2"),
                plain("c", "3"),
                plain("d", "q\"q"),
            ],
        ),
    ] {
        check(&labels, line);
    }
}
