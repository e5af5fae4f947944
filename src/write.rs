//! The exposition writer: the inverse of the parsers, for both dialects.
//!
//! Names that are not legacy names are written in the Prometheus 3.x quoted form
//! (`{"my.metric", "label.name"="v"}`); label values, quoted names and HELP text are escaped.
//! `parse(write(x)) == x` is property-tested.

use std::fmt::Write as _;

use crate::event::{Event, MetricType, Sample};
use crate::family::{MetricFamily, OwnedExemplar, OwnedSample};
use crate::go::{is_legacy_label_name, is_legacy_metric_name};
pub use crate::lex::escape::{escape_help, escape_label_value};

/// The output dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Format {
    /// The Prometheus text format (0.0.4, with quoted names where needed).
    #[default]
    Prometheus,
    /// OpenMetrics 1.0 (`# EOF` is written by [`write_eof`] or [`write_families`]).
    OpenMetrics,
}

/// Writes a value: the text as written when known, else a round-tripping rendering.
fn write_value(out: &mut String, value: f64, text: Option<&str>) {
    if let Some(t) = text {
        out.push_str(t);
    } else if value.is_nan() {
        out.push_str("NaN");
    } else if value == f64::INFINITY {
        out.push_str("+Inf");
    } else if value == f64::NEG_INFINITY {
        out.push_str("-Inf");
    } else {
        // `{:?}` is the shortest text that parses back to the same bits, with `e` notation
        // for large and small magnitudes.
        let _ = write!(out, "{value:?}");
    }
}

/// OpenMetrics float seconds from milliseconds, exact (`1500` → `1.5`, `-1` → `-0.001`).
pub(crate) fn write_seconds(out: &mut String, ms: i64) {
    let neg = ms < 0;
    let abs = ms.unsigned_abs();
    if neg {
        out.push('-');
    }
    let _ = write!(out, "{}", abs / 1000);
    let frac = abs % 1000;
    if frac != 0 {
        let s = format!("{frac:03}");
        out.push('.');
        out.push_str(s.trim_end_matches('0'));
    }
}

/// `name="value"`, the name quoted when it is not a legacy name.
pub(crate) fn write_label(out: &mut String, name: &str, value: &str) {
    if is_legacy_label_name(name) {
        out.push_str(name);
    } else {
        write_name(out, name);
    }
    out.push_str("=\"");
    escape_label_value(value, out);
    out.push('"');
}

/// `n="v",…` without braces.
pub(crate) fn write_label_list<N: AsRef<str>, V: AsRef<str>>(out: &mut String, labels: &[(N, V)]) {
    for (i, (n, v)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_label(out, n.as_ref(), v.as_ref());
    }
}

/// A quoted (UTF-8) name.
pub(crate) fn write_name(out: &mut String, name: &str) {
    out.push('"');
    escape_label_value(name, out);
    out.push('"');
}

/// Writes a sample line from its parts. `labels` are unescaped; `timestamp_ms` is written as
/// milliseconds (Prometheus) or float seconds (OpenMetrics).
// One argument per part of a sample line, in line order.
#[allow(clippy::too_many_arguments)]
pub fn write_sample_parts<'l>(
    out: &mut String,
    format: Format,
    name: &str,
    labels: impl IntoIterator<Item = (&'l str, &'l str)> + Clone,
    value: f64,
    value_text: Option<&str>,
    timestamp_ms: Option<i64>,
    exemplar: Option<&OwnedExemplar>,
) {
    let legacy = is_legacy_metric_name(name);
    let mut first = true;
    if legacy {
        out.push_str(name);
    } else {
        out.push('{');
        write_name(out, name);
        first = false;
    }
    let mut any = !first;
    for (n, v) in labels {
        if !any {
            out.push('{');
            any = true;
        }
        if !first {
            out.push(',');
        }
        first = false;
        write_label(out, n, v);
    }
    if any {
        out.push('}');
    }
    out.push(' ');
    write_value(out, value, value_text);
    if let Some(ts) = timestamp_ms {
        out.push(' ');
        match format {
            Format::Prometheus => {
                let _ = write!(out, "{ts}");
            }
            Format::OpenMetrics => write_seconds(out, ts),
        }
    }
    if let (Some(e), Format::OpenMetrics) = (exemplar, format) {
        out.push_str(" # {");
        write_label_list(out, &e.labels);
        out.push_str("} ");
        write_value(out, e.value, None);
        if let Some(ts) = e.timestamp {
            out.push(' ');
            write_value(out, ts, None);
        }
    }
    out.push('\n');
}

/// Writes an owned sample.
pub fn write_owned_sample(out: &mut String, format: Format, s: &OwnedSample) {
    write_sample_parts(
        out,
        format,
        &s.name,
        s.labels.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        s.value,
        s.value_text.as_deref(),
        s.timestamp_ms,
        s.exemplar.as_ref(),
    );
}

fn write_meta_name(out: &mut String, name: &str) {
    if is_legacy_metric_name(name) {
        out.push_str(name);
    } else {
        write_name(out, name);
    }
}

/// Writes `# TYPE name type`. Types the Prometheus format cannot express are written
/// `untyped` there.
pub fn write_type(out: &mut String, format: Format, name: &str, t: MetricType) {
    out.push_str("# TYPE ");
    write_meta_name(out, name);
    out.push(' ');
    out.push_str(match format {
        Format::Prometheus => t.as_prometheus_str().unwrap_or("untyped"),
        Format::OpenMetrics => t.as_str(),
    });
    out.push('\n');
}

/// Writes `# HELP name text` with the dialect's escaping.
pub fn write_help(out: &mut String, format: Format, name: &str, text: &str) {
    out.push_str("# HELP ");
    write_meta_name(out, name);
    out.push(' ');
    match format {
        Format::Prometheus => escape_help(text, out),
        Format::OpenMetrics => escape_label_value(text, out),
    }
    out.push('\n');
}

/// Writes `# UNIT name unit` (OpenMetrics only; nothing in the Prometheus format).
pub fn write_unit(out: &mut String, format: Format, name: &str, unit: &str) {
    if format == Format::OpenMetrics {
        out.push_str("# UNIT ");
        write_meta_name(out, name);
        out.push(' ');
        out.push_str(unit);
        out.push('\n');
    }
}

/// Writes the OpenMetrics terminator `# EOF`.
pub fn write_eof(out: &mut String) {
    out.push_str("# EOF\n");
}

/// Writes a borrowed sample event (labels re-escaped, the value as written).
pub fn write_sample(out: &mut String, format: Format, s: &Sample<'_>) {
    let labels: Vec<_> = s.labels().collect();
    let ex = s.exemplar().as_ref().map(OwnedExemplar::from_exemplar);
    write_sample_parts(
        out,
        format,
        &s.name(),
        labels.iter().map(|l| (l.name.as_ref(), l.value.as_ref())),
        s.value(),
        Some(s.value_text()),
        s.timestamp_ms(),
        ex.as_ref(),
    );
}

/// Writes one series of an OpenMetrics 2.0 line as a Prometheus or OpenMetrics 1.0 sample
/// line (`_count`, `_sum`, `_bucket{le=…}` of a composite value; its first exemplar in
/// OpenMetrics 1.0, which has room for one).
pub fn write_series(out: &mut String, format: Format, s: &crate::openmetrics2::Sample<'_>) {
    let labels: Vec<_> = s.labels().collect();
    let ex = s
        .exemplars()
        .next()
        .map(|e| OwnedExemplar::from_exemplar(&e));
    let name = format!("{}{}", s.family_name(), s.name().suffix);
    write_sample_parts(
        out,
        format,
        &name,
        labels.iter().map(|l| (l.name.as_ref(), l.value.as_ref())),
        s.value(),
        Some(s.value_text()),
        s.timestamp_ms(),
        ex.as_ref(),
    );
}

/// Writes one parsed event back. Comments are written in the Prometheus format only.
pub fn write_event(out: &mut String, format: Format, event: &Event<'_>) {
    match event {
        Event::Type(t) => write_type(
            out,
            format,
            &crate::lex::escape::unescape_label_value(t.name),
            t.metric_type,
        ),
        Event::Help(h) => write_help(
            out,
            format,
            &crate::lex::escape::unescape_label_value(h.name),
            &h.text(),
        ),
        Event::Unit(u) => write_unit(out, format, u.name, u.unit),
        Event::Comment(c) => {
            if format == Format::Prometheus {
                out.push('#');
                out.push_str(&c.text.replace('\n', " "));
                out.push('\n');
            }
        }
        Event::Sample(s) => write_sample(out, format, s),
        Event::Series(s) => write_series(out, format, s),
        // Neither the Prometheus text format nor OpenMetrics 1.0 has native buckets.
        Event::Histogram(_) => {}
        Event::Eof(_) => {
            if format == Format::OpenMetrics {
                write_eof(out)
            }
        }
    }
}

/// Writes families: TYPE, UNIT, HELP, then the samples; `# EOF` at the end in OpenMetrics.
///
/// ```
/// use promtext::family::{MetricFamily, OwnedSample};
/// use promtext::write::{write_families, Format};
/// use promtext::MetricType;
/// let mut f = MetricFamily::new("my.requests", MetricType::Counter);
/// f.help = Some("Requests \"served\"\nso far".into());
/// f.samples.push(OwnedSample::new("my.requests", vec![("path".into(), "/a\"b".into())], 3.0));
/// let mut out = String::new();
/// write_families(&mut out, Format::Prometheus, &[f.clone()]);
/// assert_eq!(out, "# TYPE \"my.requests\" counter\n# HELP \"my.requests\" Requests \"served\"\\nso far\n{\"my.requests\",path=\"/a\\\"b\"} 3.0\n");
/// let back = promtext::family::collect_families(promtext::parse_str(&out)).unwrap();
/// assert_eq!(back, [f]);
/// ```
pub fn write_families(out: &mut String, format: Format, families: &[MetricFamily]) {
    for f in families {
        write_type(out, format, &f.name, f.metric_type);
        if let Some(u) = &f.unit {
            write_unit(out, format, &f.name, u);
        }
        if let Some(h) = &f.help {
            write_help(out, format, &f.name, h);
        }
        for s in &f.samples {
            write_owned_sample(out, format, s);
        }
    }
    if format == Format::OpenMetrics {
        write_eof(out);
    }
}
