//! Name validity as Prometheus' legacy validation scheme defines it.

/// Whether `s` is a legacy metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`.
///
/// ```
/// use promtext::go::is_legacy_metric_name;
/// assert!(is_legacy_metric_name("envoy_cluster:rate5m"));
/// assert!(!is_legacy_metric_name("1xx"));
/// assert!(!is_legacy_metric_name("envoy.cluster"));
/// ```
pub fn is_legacy_metric_name(s: &str) -> bool {
    let b = s.as_bytes();
    matches!(b.first(), Some(c) if c.is_ascii_alphabetic() || *c == b'_' || *c == b':')
        && b[1..]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b':')
}

/// Whether `s` is a legacy label name, `[a-zA-Z_][a-zA-Z0-9_]*`.
///
/// ```
/// use promtext::go::is_legacy_label_name;
/// assert!(is_legacy_label_name("response_code"));
/// assert!(!is_legacy_label_name("a:b"));
/// assert!(!is_legacy_label_name(""));
/// ```
pub fn is_legacy_label_name(s: &str) -> bool {
    let b = s.as_bytes();
    matches!(b.first(), Some(c) if c.is_ascii_alphabetic() || *c == b'_')
        && b[1..]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'_')
}
