//! Proptest strategies shared by the writer round trips (text and OpenMetrics).
#![allow(dead_code)]

use proptest::prelude::*;

/// Label values and help texts: plain, printable ASCII, any Unicode, and the escapes' corners.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_ ]{0,12}",
        "[ -~]{0,16}",
        any::<String>().prop_map(|s| s.chars().take(12).collect()),
        Just("a\"b\\c\nd # {}".to_string()),
        Just("\\n\\\\\\\"".to_string()),
        Just(String::new()),
    ]
}

/// Up to `max - 1` labels named by `name`, each name once (the first kept).
pub fn unique_labels(
    name: impl Strategy<Value = String>,
    max: usize,
) -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((name, text()), 0..max).prop_map(|mut v| {
        let mut seen = std::collections::HashSet::new();
        v.retain(|(n, _)| seen.insert(n.clone()));
        v
    })
}

/// Any float a gauge may hold: every bit pattern, the specials, -0, large and small integers.
pub fn float_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        (0u64..u64::MAX).prop_map(|v| v as f64),
        (0i64..1000).prop_map(|v| v as f64),
    ]
}
