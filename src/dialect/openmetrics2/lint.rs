//! The SHOULDs of OpenMetrics 2.0 as lints: advice on a body that parses.

use crate::event::{Event, MetricType};
use crate::protobuf::Series;
use crate::settings::Settings;

/// One piece of advice on an OpenMetrics 2.0 body ([`lints`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lint {
    /// A short stable name (`counter-without-total`, …).
    pub code: &'static str,
    /// The 1-based line.
    pub line: u64,
    /// The family concerned.
    pub family: String,
    /// What is advised, naming the family.
    pub message: String,
}

/// The spec's SHOULDs a body breaks, in line order: a counter name without `_total`, a name
/// ending in `_count`, `_sum`, `_gcount`, `_gsum` or `_bucket`, a unit that is not a suffix
/// (or, for a counter, an infix before `_total`) of the name, an empty HELP, metadata not in
/// the order TYPE, UNIT, HELP (once per family), a counter, histogram or summary sample without a start
/// timestamp, and a family without a TYPE. Parsing stops at the first error (lints are for
/// bodies that parse); the error itself is not a lint.
///
/// ```
/// let body = b"# TYPE rq counter\nrq 1\n# EOF\n";
/// let codes: Vec<_> = promtext::openmetrics2::lints(body).into_iter().map(|l| l.code).collect();
/// assert_eq!(codes, ["counter-without-total", "no-start-timestamp"]);
/// ```
pub fn lints(body: &[u8]) -> Vec<Lint> {
    let mut out = Vec::new();
    let mut family: Option<Family> = None;
    let mut last_line = 0;
    for ev in crate::parse_with(body, Settings::openmetrics2()) {
        let Ok(ev) = ev else { break };
        let (name, order) = match &ev {
            Event::Type(t) => (t.name, 0),
            Event::Unit(u) => (u.name, 1),
            Event::Help(h) => (h.name, 2),
            Event::Series(s) => {
                if s.p.line == last_line {
                    continue;
                }
                last_line = s.p.line;
                (s.name().family, 3)
            }
            Event::Histogram(h) => (h.name(), 3),
            _ => continue,
        };
        if family.as_ref().is_none_or(|f| f.name != name) {
            if let Some(f) = family.take() {
                f.finish(&mut out);
            }
            family = Some(Family {
                name: name.to_string(),
                line: ev.line(),
                typ: None,
                unit: String::new(),
                order: 0,
                order_reported: false,
                st_missing: None,
            });
        }
        let Some(f) = family.as_mut() else { continue };
        let line = ev.line();
        if order < 3 && order < f.order && !f.order_reported {
            f.order_reported = true;
            out.push(Lint {
                code: "metadata-order",
                line,
                family: f.name.clone(),
                message: format!(
                    "metadata of {:?} should be in the order TYPE, UNIT, HELP",
                    f.name
                ),
            });
        }
        f.order = f.order.max(order);
        match &ev {
            Event::Type(t) => f.typ = Some(t.metric_type),
            Event::Unit(u) => f.unit = u.unit.to_string(),
            Event::Help(h) if h.raw_text.is_empty() => out.push(Lint {
                code: "empty-help",
                line,
                family: f.name.clone(),
                message: format!("HELP of {:?} should not be empty", f.name),
            }),
            Event::Series(_) | Event::Histogram(_) => {
                let wants_st = matches!(
                    f.typ,
                    Some(MetricType::Counter | MetricType::Histogram | MetricType::Summary)
                );
                let st = match &ev {
                    Event::Series(s) => {
                        s.start_timestamp_ms().is_some()
                            || !matches!(s.series(), Series::Value | Series::Count)
                    }
                    Event::Histogram(h) => h.start_timestamp_ms().is_some(),
                    _ => true,
                };
                if wants_st && !st && f.st_missing.is_none() {
                    f.st_missing = Some(line);
                }
            }
            _ => {}
        }
    }
    if let Some(f) = family {
        f.finish(&mut out);
    }
    out.sort_by_key(|l| l.line);
    out
}

struct Family {
    name: String,
    line: u64,
    typ: Option<MetricType>,
    unit: String,
    order: u8,
    order_reported: bool,
    st_missing: Option<u64>,
}

impl Family {
    fn finish(self, out: &mut Vec<Lint>) {
        let n = &self.name;
        let mut lint = |code, message: String| {
            out.push(Lint {
                code,
                line: self.line,
                family: self.name.clone(),
                message,
            })
        };
        if self.typ.is_none() {
            lint("no-type", format!("family {n:?} should have a TYPE"));
        }
        if self.typ == Some(MetricType::Counter) && !n.ends_with("_total") {
            lint(
                "counter-without-total",
                format!("counter {n:?} should end in _total"),
            );
        }
        if let Some(s) = ["_count", "_sum", "_gcount", "_gsum", "_bucket"]
            .iter()
            .find(|s| n.ends_with(*s))
        {
            lint(
                "discouraged-suffix",
                format!("family name {n:?} should not end in {s}"),
            );
        }
        if !self.unit.is_empty() {
            let base = if self.typ == Some(MetricType::Counter) {
                n.strip_suffix("_total").unwrap_or(n)
            } else {
                n
            };
            if !base.ends_with(&format!("_{}", self.unit)) {
                lint(
                    "unit-not-suffix",
                    format!("unit {:?} should be a suffix of {n:?}", self.unit),
                );
            }
        }
        if let Some(line) = self.st_missing {
            out.push(Lint {
                code: "no-start-timestamp",
                line,
                family: n.clone(),
                message: format!("samples of {n:?} should have a start timestamp (st@)"),
            });
        }
    }
}
