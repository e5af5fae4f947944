//! promtext against the published Rust crates a user would pick instead, on the generated
//! Envoy and Istio 1 MiB bodies and on the real corpus in `../shared/corpus` (skipped with a
//! note when absent). Every input is one criterion group with the same `memchr_lines` and
//! `naive_split` baselines as `benches/parse.rs`.
//!
//! The measured work is the same on both sides: parse the whole body and read every sample's
//! name, every label name and value (decoded) and the value. promtext does it from its
//! borrowing event iterator; the peers build their owned structures (that is their API) and
//! the loop then walks them. A peer whose output differs from promtext's is not benched as a
//! valid speed.
//!
//! Modes (the arguments are read before criterion sees them):
//! - `cargo bench --bench peers` — criterion groups (add `-- --quick` for a short run);
//! - `cargo bench --bench peers -- --report` (or `PEERS_REPORT=1`) — checks every peer's
//!   output against promtext's, counts allocations, times every parser with an interleaved
//!   median-of-N timer (`PEERS_RUNS`, default 11), prints markdown tables and writes
//!   `docs/peers.svg`;
//! - `PEERS_ONE=<parser> PEERS_INPUT=<input>` — one parse only, for `valgrind --tool=callgrind
//!   --toggle-collect='*one_parse*'` instruction counts.

mod common;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use promtext::Event;
use promtext_gen::{GenConfig, generate};

use common::{memchr_lines, naive_split};

// ---------------------------------------------------------------------------------------------
// Allocation counting: on only around the one parse being counted, so timed runs pay a single
// relaxed load per allocation.

#[path = "../tests/support/alloc.rs"]
mod alloc;
use alloc::count as count_allocs;

// ---------------------------------------------------------------------------------------------
// Normalised samples, for the correctness check.

/// One sample in a parser-neutral form. Labels are sorted (several peers keep them in hash
/// maps); `le` and `quantile` values are compared as numbers because the peers that fold
/// histograms and summaries keep only the parsed bound.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Norm {
    name: String,
    labels: Vec<(String, String)>,
    value: u64,
}

fn norm<'s>(name: &str, labels: impl IntoIterator<Item = (&'s str, &'s str)>, value: f64) -> Norm {
    let mut labels: Vec<(String, String)> = labels
        .into_iter()
        .map(|(k, v)| {
            let v = if k == "le" || k == "quantile" {
                canonical_number(v)
            } else {
                v.to_owned()
            };
            (k.to_owned(), v)
        })
        .collect();
    labels.sort();
    Norm {
        name: name.to_owned(),
        labels,
        value: value_bits(value),
    }
}

/// NaN equals NaN whatever its payload.
fn value_bits(v: f64) -> u64 {
    if v.is_nan() {
        f64::NAN.to_bits()
    } else {
        v.to_bits()
    }
}

fn canonical_number(s: &str) -> String {
    match s.parse::<f64>() {
        Ok(v) => format_bound(v),
        Err(_) => s.to_owned(),
    }
}

fn format_bound(v: f64) -> String {
    format!("{v:?}")
}

impl std::fmt::Display for Norm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{{", self.name)?;
        for (i, (k, v)) in self.labels.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            write!(f, "{sep}{k}={v:?}")?;
        }
        write!(f, "}} {}", f64::from_bits(self.value))
    }
}

/// promtext's samples: the reference every peer is compared with, keyed by line for the one
/// peer whose labels can only be looked up by name.
struct Reference {
    samples: Vec<Norm>,
    by_line: HashMap<u64, usize>,
}

fn reference(input: &str) -> Reference {
    let mut samples = Vec::new();
    let mut by_line = HashMap::new();
    for ev in promtext::parse(input.as_bytes()) {
        if let Event::Sample(s) = ev.expect("promtext parses every bench input") {
            by_line.insert(s.line(), samples.len());
            let labels: Vec<_> = s.labels().collect();
            samples.push(norm(
                &s.name(),
                labels.iter().map(|l| (&*l.name, &*l.value)),
                s.value(),
            ));
        }
    }
    Reference { samples, by_line }
}

// ---------------------------------------------------------------------------------------------
// The parsers. `work` is what is timed: parse, then read every name, label and value.
// `samples` turns the parser's output into `Norm`s for the check.

type Work = fn(&str) -> Result<usize, String>;
type Samples = fn(&str, &Reference) -> Result<Vec<Norm>, String>;

struct Parser {
    name: &'static str,
    work: Work,
    samples: Samples,
}

const PARSERS: &[Parser] = &[
    Parser {
        name: "promtext",
        work: promtext_work,
        samples: |input, _| Ok(reference(input).samples),
    },
    Parser {
        name: "prometheus-parse 0.2.5",
        work: prometheus_parse::work,
        samples: prometheus_parse::samples,
    },
    Parser {
        name: "prom_text_format_parser 0.1.0",
        work: prom_text_format::work,
        samples: prom_text_format::samples,
    },
    Parser {
        name: "nom-openmetrics 0.3.0",
        work: nom_openmetrics::work,
        samples: nom_openmetrics::samples,
    },
    Parser {
        name: "prometheus-exposition-format-rs 0.1.2",
        work: exposition_format::work,
        samples: exposition_format::samples,
    },
    Parser {
        name: "prometheus-wire 0.1.0",
        work: wire::work,
        samples: wire::samples,
    },
    Parser {
        name: "openmetrics-parser 0.5.1",
        work: openmetrics_parser::work,
        samples: openmetrics_parser::samples,
    },
];

fn promtext_work(input: &str) -> Result<usize, String> {
    let mut n = 0;
    for ev in promtext::parse(input.as_bytes()) {
        match ev.map_err(|e| e.to_string())? {
            Event::Sample(s) => {
                n += s.name().len() + (s.value().to_bits() as usize & 1);
                for l in s.labels() {
                    n += l.name.len() + l.value.len();
                }
            }
            _ => n += 1,
        }
    }
    Ok(n)
}

#[inline]
fn bit(v: f64) -> usize {
    v.to_bits() as usize & 1
}

fn short(e: impl std::fmt::Debug) -> String {
    let s = format!("{e:?}");
    let s = s.replace('\n', " ");
    match s.char_indices().nth(160) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s,
    }
}

mod prometheus_parse {
    use super::*;
    use ::prometheus_parse::{Scrape, Value};

    /// Its API takes an iterator of owned lines (`io::Result<String>`), as from `BufRead::lines`.
    fn parse(input: &str) -> Result<Scrape, String> {
        Scrape::parse(input.lines().map(|l| Ok(l.to_owned()))).map_err(short)
    }

    pub fn work(input: &str) -> Result<usize, String> {
        let scrape = parse(input)?;
        let mut n = 0;
        for s in &scrape.samples {
            n += s.metric.len();
            for (k, v) in s.labels.iter() {
                n += k.len() + v.len();
            }
            n += match &s.value {
                Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => bit(*v),
                Value::Histogram(h) => h.iter().map(|b| bit(b.less_than) + bit(b.count)).sum(),
                Value::Summary(q) => q.iter().map(|b| bit(b.quantile) + bit(b.count)).sum(),
            };
        }
        Ok(n)
    }

    /// Histogram buckets and summary quantiles come folded per series: unfold them.
    pub fn samples(input: &str, _: &Reference) -> Result<Vec<Norm>, String> {
        let scrape = parse(input)?;
        let mut out = Vec::new();
        for s in &scrape.samples {
            let labels = || s.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            match &s.value {
                Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => {
                    out.push(norm(&s.metric, labels(), *v))
                }
                Value::Histogram(h) => {
                    let name = format!("{}_bucket", s.metric);
                    for b in h {
                        let le = format_bound(b.less_than);
                        let mut l: Vec<(&str, &str)> = labels().collect();
                        l.push(("le", &le));
                        out.push(norm(&name, l, b.count));
                    }
                }
                Value::Summary(q) => {
                    for b in q {
                        let q = format_bound(b.quantile);
                        let mut l: Vec<(&str, &str)> = labels().collect();
                        l.push(("quantile", &q));
                        out.push(norm(&s.metric, l, b.count));
                    }
                }
            }
        }
        Ok(out)
    }
}

mod prom_text_format {
    use super::*;
    use prom_text_format_parser::{Scrape, Type, ValueType};

    pub fn work(input: &str) -> Result<usize, String> {
        let scrape = Scrape::parse(input).map_err(short)?;
        let mut n = 0;
        for m in &scrape.metrics {
            n += m.name.len();
            for s in &m.samples {
                for l in s.labels.iter() {
                    n += l.key.len() + l.value.len();
                }
                // The value is kept as validated text; reading it means parsing it.
                n += bit(s.value.value.as_f64());
            }
        }
        Ok(n)
    }

    /// Samples are grouped per family with a kind; the suffix comes back from the kind.
    pub fn samples(input: &str, _: &Reference) -> Result<Vec<Norm>, String> {
        let scrape = Scrape::parse(input).map_err(short)?;
        let mut out = Vec::new();
        for m in &scrape.metrics {
            for s in &m.samples {
                let suffix = match (m.kind, s.value.value_type) {
                    (Type::Histogram, ValueType::Sample) => "_bucket",
                    (Type::Histogram | Type::Summary, ValueType::Sum) => "_sum",
                    (Type::Histogram | Type::Summary, ValueType::Count) => "_count",
                    _ => "",
                };
                out.push(norm(
                    &format!("{}{suffix}", m.name),
                    s.labels.iter().map(|l| (l.key.as_str(), l.value.as_str())),
                    s.value.value.as_f64(),
                ));
            }
        }
        Ok(out)
    }
}

mod nom_openmetrics {
    use super::*;
    use ::nom_openmetrics::Family;

    fn parse(input: &str) -> Result<Vec<Family<'_>>, String> {
        match ::nom_openmetrics::parser::prometheus(input) {
            Ok((_, families)) => Ok(families),
            Err(e) => Err(short(e)),
        }
    }

    pub fn work(input: &str) -> Result<usize, String> {
        let mut n = 0;
        for f in parse(input)? {
            for s in &f.samples {
                n += s.name().len() + bit(s.number());
                for l in s.labels() {
                    n += l.name.len() + l.value.len();
                }
            }
        }
        Ok(n)
    }

    pub fn samples(input: &str, _: &Reference) -> Result<Vec<Norm>, String> {
        let mut out = Vec::new();
        for f in parse(input)? {
            for s in &f.samples {
                let labels = s.labels().iter().map(|l| (l.name, l.value.as_str()));
                out.push(norm(s.name(), labels, s.number()));
            }
        }
        Ok(out)
    }
}

mod exposition_format {
    use super::*;
    use prometheus_exposition_format_rs::parse_complete;

    pub fn work(input: &str) -> Result<usize, String> {
        let mut n = 0;
        for m in parse_complete(input).map_err(short)? {
            n += m.name.len();
            for s in &m.samples {
                n += bit(s.value);
                for (k, v) in &s.labels {
                    n += k.len() + v.len();
                }
            }
        }
        Ok(n)
    }

    pub fn samples(input: &str, _: &Reference) -> Result<Vec<Norm>, String> {
        let mut out = Vec::new();
        for m in parse_complete(input).map_err(short)? {
            for s in &m.samples {
                let labels = s.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                out.push(norm(&m.name, labels, s.value));
            }
        }
        Ok(out)
    }
}

mod wire {
    use super::*;
    use prometheus_wire::parser::{LabelList, try_read_comment, try_read_sample};

    /// A line parser: the caller splits lines and tells comments from samples, as its README
    /// shows. It has no notion of a failed line other than `None`.
    pub fn work(input: &str) -> Result<usize, String> {
        let mut n = 0;
        for line in input.lines() {
            if line.is_empty() {
                continue;
            }
            if line.starts_with('#') {
                if let Some(c) = try_read_comment(line) {
                    n += c.metric.len();
                }
            } else if let Some(s) = try_read_sample(line) {
                // Labels land in a `HashMap` its API does not expose for iteration.
                n += s.metric_name.len() + bit(s.value);
            } else {
                n += 1;
            }
        }
        Ok(n)
    }

    /// `LabelList` can only be queried by name: read the labels back by the names promtext
    /// found on the same line, and check nothing else is in the map by comparing the whole.
    pub fn samples(input: &str, reference: &Reference) -> Result<Vec<Norm>, String> {
        let mut out = Vec::new();
        for (i, line) in input.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let Some(s) = try_read_sample(line) else {
                continue; // a dropped sample: shows as missing
            };
            let names: Vec<&str> = reference
                .by_line
                .get(&(i as u64 + 1))
                .map(|&j| {
                    reference.samples[j]
                        .labels
                        .iter()
                        .map(|(k, _)| k.as_str())
                        .collect()
                })
                .unwrap_or_default();
            let mut labels: Vec<(&str, &str)> = names
                .iter()
                .filter_map(|&k| s.labels.get_string(k).map(|v| (k, v.as_str())))
                .collect();
            let whole = LabelList::from_map(
                labels
                    .iter()
                    .map(|&(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
            );
            if whole != s.labels {
                labels.push(("<other labels>", "?"));
            }
            out.push(norm(&s.metric_name, labels, s.value));
        }
        Ok(out)
    }
}

mod openmetrics_parser {
    use super::*;
    use ::openmetrics_parser::prometheus::parse_prometheus;
    use ::openmetrics_parser::{MetricsExposition, PrometheusType, PrometheusValue};

    fn parse(input: &str) -> Result<MetricsExposition<PrometheusType, PrometheusValue>, String> {
        parse_prometheus(input).map_err(short)
    }

    pub fn work(input: &str) -> Result<usize, String> {
        let mut n = 0;
        for f in parse(input)?.families.values() {
            n += f.family_name.len();
            for s in f.iter_samples() {
                let set = s.get_labelset().map_err(short)?;
                for (k, v) in set.iter() {
                    n += k.len() + v.len();
                }
                n += match &s.value {
                    PrometheusValue::Unknown(v) | PrometheusValue::Gauge(v) => bit(v.as_f64()),
                    PrometheusValue::Counter(c) => bit(c.value.as_f64()),
                    PrometheusValue::Histogram(h) => folded_bits(
                        h.buckets.iter().map(|b| b.count.as_f64()),
                        h.sum.map(|v| v.as_f64()),
                    ),
                    PrometheusValue::Summary(q) => folded_bits(
                        q.quantiles.iter().map(|b| b.value.as_f64()),
                        q.sum.map(|v| v.as_f64()),
                    ),
                };
            }
        }
        Ok(n)
    }

    /// [`bit`] over a folded histogram's or summary's values and sum.
    fn folded_bits(values: impl Iterator<Item = f64>, sum: Option<f64>) -> usize {
        values.chain(sum).map(bit).sum()
    }

    /// The lines of a folded histogram or summary: one per `(bound, value)` pair with the
    /// bound as the `label` (`le` or `quantile`) of the `suffix`ed name, then `_sum`, `_count`.
    fn push_folded(
        push: &mut impl FnMut(&str, Option<(&str, String)>, f64),
        (suffix, label): (&str, &str),
        pairs: impl Iterator<Item = (f64, f64)>,
        (sum, count): (Option<f64>, Option<f64>),
    ) {
        for (bound, v) in pairs {
            push(suffix, Some((label, format_bound(bound))), v);
        }
        if let Some(v) = sum {
            push("_sum", None, v);
        }
        if let Some(c) = count {
            push("_count", None, c);
        }
    }

    /// Families hold folded histograms and summaries: unfold them into their sample lines.
    pub fn samples(input: &str, _: &Reference) -> Result<Vec<Norm>, String> {
        let mut out = Vec::new();
        for f in parse(input)?.families.values() {
            let name = f.family_name.as_str();
            for s in f.iter_samples() {
                let set = s.get_labelset().map_err(short)?;
                let labels = || set.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                let mut push = |suffix: &str, extra: Option<(&str, String)>, v: f64| {
                    let name = format!("{name}{suffix}");
                    let mut l: Vec<(&str, &str)> = labels().collect();
                    if let Some((k, x)) = &extra {
                        l.push((k, x));
                    }
                    out.push(norm(&name, l, v));
                };
                match &s.value {
                    PrometheusValue::Unknown(v) | PrometheusValue::Gauge(v) => {
                        push("", None, v.as_f64())
                    }
                    PrometheusValue::Counter(c) => push("", None, c.value.as_f64()),
                    PrometheusValue::Histogram(h) => push_folded(
                        &mut push,
                        ("_bucket", "le"),
                        h.buckets.iter().map(|b| (b.upper_bound, b.count.as_f64())),
                        (h.sum.map(|v| v.as_f64()), h.count.map(|c| c as f64)),
                    ),
                    PrometheusValue::Summary(q) => push_folded(
                        &mut push,
                        ("", "quantile"),
                        q.quantiles.iter().map(|b| (b.quantile, b.value.as_f64())),
                        (q.sum.map(|v| v.as_f64()), q.count.map(|c| c as f64)),
                    ),
                }
            }
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs.

struct Input {
    name: String,
    text: String,
}

const CORPUS: &[&str] = &[
    "envoy/envoy_frontproxy_2023.prom",
    "envoy/envoy_consul-dataplane_2023.prom",
    "envoy/istio-1.5_sidecar_15090.prom",
    "envoy/istio-1.11_merged_15020.prom",
    "envoy/envoy_legacy-ungrouped_datadog.prom",
    "envoy/envoy_kuma_cx-connect-histogram.prom",
    // Prometheus text only: the OpenMetrics files of that folder are another format.
    "prometheus/alltypes.237mfs.prom.txt",
    "prometheus/alltypes.237mfs.nometa.prom.txt",
    "prometheus/promtestdata.txt",
    "prometheus/promtestdata.nometa.txt",
];

fn inputs() -> Vec<Input> {
    let mut v = vec![
        Input {
            name: "gen_envoy_1mb".into(),
            text: generate(&GenConfig::envoy().target_bytes(1 << 20)).text,
        },
        Input {
            name: "gen_istio_1mb".into(),
            text: generate(&GenConfig::istio().target_bytes(1 << 20)).text,
        },
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !root.is_dir() {
        eprintln!("note: ../shared/corpus is absent; only the generated inputs are compared");
        return v;
    }
    for file in CORPUS {
        let bytes = std::fs::read(root.join(file)).expect("corpus file");
        let name = Path::new(file).file_name().unwrap().to_string_lossy();
        v.push(Input {
            name: name.into_owned(),
            text: String::from_utf8(bytes).expect("corpus files are UTF-8"),
        });
    }
    v
}

// ---------------------------------------------------------------------------------------------
// The correctness check.

enum Verdict {
    Correct,
    /// Completed with different samples; the reason and one example.
    Wrong(String, String),
    Fails(String),
}

/// Compares as multisets: several peers regroup samples by name or family.
fn check(parser: &Parser, input: &str, reference: &Reference) -> Verdict {
    let mut got = match (parser.samples)(input, reference) {
        Ok(got) => got,
        Err(e) => return Verdict::Fails(e),
    };
    let mut want = reference.samples.clone();
    got.sort();
    want.sort();
    let (mut missing, mut extra) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < want.len() || j < got.len() {
        match (want.get(i), got.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), b) if b.is_none_or(|b| a < b) => {
                missing.push(a);
                i += 1;
            }
            (_, Some(b)) => {
                extra.push(b);
                j += 1;
            }
            (_, None) => unreachable!(),
        }
    }
    if missing.is_empty() && extra.is_empty() {
        return Verdict::Correct;
    }
    let total = want.len();
    let reason = if extra.is_empty() {
        format!(
            "drops {} of {} samples",
            fmt_int(missing.len() as f64),
            fmt_int(total as f64)
        )
    } else if missing.is_empty() {
        format!("adds {} samples", extra.len())
    } else if missing.len() == extra.len() {
        format!(
            "{} of {} samples differ",
            fmt_int(missing.len() as f64),
            fmt_int(total as f64)
        )
    } else {
        format!(
            "{} of {} samples missing or different, {} unmatched",
            fmt_int(missing.len() as f64),
            fmt_int(total as f64),
            extra.len()
        )
    };
    let reason = match value_damage(&missing, &extra) {
        Some(how) => format!("{reason}: {how}"),
        None => reason,
    };
    let example = match (missing.first(), extra.first()) {
        (Some(a), Some(b)) => format!("want `{a}`, got `{b}`"),
        (Some(a), None) => format!("missing `{a}`"),
        (None, Some(b)) => format!("unexpected `{b}`"),
        (None, None) => unreachable!(),
    };
    Verdict::Wrong(reason, example)
}

/// Names what happened to label values when a sample came back with the same name and label
/// names but other values.
fn value_damage(missing: &[&Norm], extra: &[&Norm]) -> Option<&'static str> {
    for (a, b) in missing.iter().zip(extra) {
        if a.name != b.name || a.labels.len() != b.labels.len() {
            continue;
        }
        for ((ka, va), (kb, vb)) in a.labels.iter().zip(&b.labels) {
            if ka != kb || va == vb {
                continue;
            }
            if va.contains(',') && va.starts_with(vb.as_str()) {
                return Some("label values cut at `,`");
            }
            if vb.contains('\\') && !va.contains('\\') {
                return Some("escapes left undecoded");
            }
        }
    }
    None
}

/// Input repairs that name the cause of a failure: the smallest set of them after which the
/// parser's output matches promtext's (on the repaired input) is reported.
type Repair = fn(&str) -> Option<String>;
const REPAIRS: &[(&str, Repair)] = &[
    ("`name{}`", |s| {
        s.contains("{} ").then(|| s.replace("{} ", " "))
    }),
    ("no final newline", |s| {
        (!s.ends_with('\n')).then(|| format!("{s}\n"))
    }),
    ("plain `#` comments", |s| {
        let plain =
            |l: &str| l.starts_with('#') && !l.starts_with("# HELP ") && !l.starts_with("# TYPE ");
        s.lines().any(plain).then(|| {
            let mut out = String::with_capacity(s.len());
            for l in s.split_inclusive('\n').filter(|l| !plain(l)) {
                out.push_str(l);
            }
            out
        })
    }),
];

fn diagnose(parser: &Parser, input: &str) -> Option<String> {
    let mut masks: Vec<u32> = (1..(1u32 << REPAIRS.len())).collect();
    masks.sort_by_key(|m| m.count_ones());
    'mask: for mask in masks {
        let mut text = input.to_owned();
        let mut applied = Vec::new();
        for (k, (what, repair)) in REPAIRS.iter().enumerate() {
            if mask & (1 << k) != 0 {
                let Some(repaired) = repair(&text) else {
                    continue 'mask; // not applicable to this input
                };
                text = repaired;
                applied.push(*what);
            }
        }
        if matches!(check(parser, &text, &reference(&text)), Verdict::Correct) {
            return Some(applied.join(", "));
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Report mode.

struct Row {
    name: String,
    secs: Option<f64>,
    /// The time of every round (in round order), for per-round ratios.
    rounds: Vec<f64>,
    allocs: Option<u64>,
    verdict: Option<Verdict>,
    /// The input features whose removal makes a wrong or failing parser correct.
    cause: Option<String>,
    baseline: bool,
}

impl Row {
    /// A row not timed yet, without allocation count or verdict.
    fn new(name: &str, baseline: bool) -> Row {
        Row {
            name: name.into(),
            secs: None,
            rounds: Vec::new(),
            allocs: None,
            verdict: None,
            cause: None,
            baseline,
        }
    }
}

fn runs() -> usize {
    std::env::var("PEERS_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(11)
}

/// Interleaved median-of-N: each round times one batch of every parser in turn, so that load
/// from other work on the machine falls on all of them alike. A batch lasts at least ~5 ms.
/// Returns every parser's per-round times, in round order.
fn time_all(fns: &[&dyn Fn()]) -> Vec<Vec<f64>> {
    let iters: Vec<u32> = fns
        .iter()
        .map(|f| {
            f();
            let t = Instant::now();
            f();
            let one = t.elapsed().as_secs_f64().max(1e-9);
            (0.005 / one).ceil().clamp(1.0, 1e5) as u32
        })
        .collect();
    let mut samples = vec![Vec::new(); fns.len()];
    for _ in 0..runs() {
        for (k, f) in fns.iter().enumerate() {
            let t = Instant::now();
            for _ in 0..iters[k] {
                f();
            }
            samples[k].push(t.elapsed().as_secs_f64() / iters[k] as f64);
        }
    }
    samples
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn measure(input: &Input) -> (Vec<Row>, usize) {
    let text = input.text.as_str();
    let reference = reference(text);
    let n = reference.samples.len();
    let mut rows = vec![
        Row::new("memchr_lines (baseline)", true),
        Row::new("naive_split (baseline)", true),
    ];
    let mut fns: Vec<Box<dyn Fn()>> = vec![
        Box::new(move || {
            black_box(memchr_lines(black_box(text.as_bytes())));
        }),
        Box::new(move || {
            black_box(naive_split(black_box(text.as_bytes())));
        }),
    ];
    let mut timed = vec![0, 1];
    for p in PARSERS {
        let verdict = if p.name == "promtext" {
            Verdict::Correct
        } else {
            check(p, text, &reference)
        };
        let (result, allocs) = count_allocs(|| (p.work)(text));
        let fails = matches!(verdict, Verdict::Fails(_)) || result.is_err();
        if !fails {
            timed.push(rows.len());
            let work = p.work;
            fns.push(Box::new(move || {
                black_box(work(black_box(text)).ok());
            }));
        }
        let cause = match verdict {
            Verdict::Correct => None,
            _ => diagnose(p, text),
        };
        rows.push(Row {
            allocs: (!fails).then_some(allocs),
            verdict: Some(verdict),
            cause,
            ..Row::new(p.name, false)
        });
    }
    let refs: Vec<&dyn Fn()> = fns.iter().map(|f| &**f).collect();
    for (k, rounds) in time_all(&refs).into_iter().enumerate() {
        rows[timed[k]].secs = Some(median(&rounds));
        rows[timed[k]].rounds = rounds;
    }
    (rows, n)
}

fn fmt_int(v: f64) -> String {
    let s = format!("{:.0}", v);
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

fn fmt_rate(v: f64) -> String {
    if v >= 100.0 {
        fmt_int(v)
    } else {
        format!("{v:.1}")
    }
}

fn fmt_ratio(v: f64) -> String {
    if v >= 10.0 {
        format!("{v:.1}×")
    } else if v >= 0.1 {
        format!("{v:.2}×")
    } else {
        format!("{v:.3}×")
    }
}

fn mbs(bytes: usize, secs: f64) -> f64 {
    bytes as f64 / secs / 1e6
}

/// A row is shown as a valid speed only when the output was checked correct.
fn is_valid(r: &Row) -> bool {
    r.baseline || matches!(r.verdict, Some(Verdict::Correct))
}

fn table(input: &Input, rows: &[Row], n: usize, notes: &mut Vec<String>) -> String {
    let bytes = input.text.len();
    let naive = rows[1].secs.expect("baseline timed");
    let mut t = String::new();
    let _ = writeln!(
        t,
        "**{}** ({} bytes, {} samples)\n",
        input.name,
        fmt_int(bytes as f64),
        fmt_int(n as f64)
    );
    t.push_str("| parser | MB/s | × naive | samples/s | allocations/sample | correct? |\n");
    t.push_str("|---|---:|---:|---:|---:|---|\n");
    for r in rows {
        let wrap = |s: String| if is_valid(r) { s } else { format!("({s})") };
        let (speed, ratio, rate) = match r.secs {
            Some(s) => (
                wrap(fmt_rate(mbs(bytes, s))),
                wrap(fmt_ratio(naive / s)),
                wrap(fmt_int(n as f64 / s)),
            ),
            None => ("fails".into(), "–".into(), "–".into()),
        };
        let allocs = match r.allocs {
            Some(a) if n > 0 => format!("{:.2}", a as f64 / n as f64),
            _ => "–".into(),
        };
        let cause = r.cause.as_deref();
        let correct = match &r.verdict {
            None => "–".to_string(),
            Some(Verdict::Correct) => "yes".into(),
            Some(Verdict::Wrong(reason, example)) => {
                notes.push(format!(
                    "{} on {}: {reason}; e.g. {example}",
                    r.name, input.name
                ));
                match cause {
                    Some(c) => format!("no: {reason} ({c})"),
                    None => format!("no: {reason}"),
                }
            }
            Some(Verdict::Fails(e)) => {
                notes.push(format!("{} on {}: {e}", r.name, input.name));
                match cause {
                    Some(c) => format!("no: fails on {c}"),
                    None => "no: error".into(),
                }
            }
        };
        let name = if r.name == "promtext" {
            "**promtext**".to_string()
        } else {
            r.name.clone()
        };
        let _ = writeln!(
            t,
            "| {name} | {speed} | {ratio} | {rate} | {allocs} | {correct} |"
        );
    }
    let promtext = rows
        .iter()
        .find(|r| r.name == "promtext" && r.secs.is_some());
    let best = rows
        .iter()
        .filter(|r| !r.baseline && r.name != "promtext" && is_valid(r))
        .filter_map(|r| r.secs.map(|s| (s, r)))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    match (promtext, best) {
        (Some(p), Some((s, peer))) => {
            // The ratio within each round as well: the machine's speed changes between
            // rounds, and a ratio of two batches timed next to each other does not see it.
            let mut per_round: Vec<f64> = peer
                .rounds
                .iter()
                .zip(&p.rounds)
                .map(|(peer, ours)| peer / ours)
                .collect();
            per_round.sort_by(f64::total_cmp);
            let q = |f: f64| per_round[((per_round.len() - 1) as f64 * f).round() as usize];
            let _ = writeln!(
                t,
                "\npromtext / fastest correct peer ({}): **{:.1}×** (ratio of the medians); \
                 per round: median {:.1}×, middle half {:.1}–{:.1}× ({} rounds)",
                peer.name,
                s / p.secs.unwrap_or(f64::NAN),
                q(0.5),
                q(0.25),
                q(0.75),
                per_round.len()
            );
        }
        _ => t.push_str("\npromtext / fastest correct peer: no peer is correct on this input\n"),
    }
    t
}

/// Horizontal log-scale bars of MB/s, one panel per input.
fn svg(panels: &[(&Input, &[Row])]) -> String {
    let (w, label_w, row_h, top) = (860.0, 300.0, 20.0, 40.0);
    let (lo, hi) = (1.0f64, 100_000.0f64);
    let x = |v: f64| {
        label_w
            + (v.max(lo).log10() - lo.log10()) / (hi.log10() - lo.log10()) * (w - label_w - 30.0)
    };
    let rows: usize = panels.iter().map(|(_, r)| r.len() + 2).sum();
    let h = top + rows as f64 * row_h + 40.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">"##
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="white"/>"##);
    let _ = writeln!(
        s,
        r##"<text x="10" y="20" font-size="14" font-weight="bold">Throughput, MB/s (log scale); hatched: output wrong, not a valid speed</text>"##
    );
    let _ = writeln!(
        s,
        r##"<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f4c7c3"/><line x1="0" y1="0" x2="0" y2="6" stroke="#c0392b" stroke-width="2"/></pattern></defs>"##
    );
    // Grid first, so that the bars are drawn over it.
    let bottom = h - 40.0 - row_h;
    for k in 0..=5 {
        let v = 10f64.powi(k);
        let _ = writeln!(
            s,
            r##"<line x1="{0:.1}" y1="{1}" x2="{0:.1}" y2="{2:.0}" stroke="#ddd"/><text x="{0:.1}" y="{3:.0}" text-anchor="middle">{4}</text>"##,
            x(v),
            top,
            bottom,
            bottom + 16.0,
            fmt_int(v)
        );
    }
    let mut y = top;
    for (input, rows) in panels {
        let bytes = input.text.len();
        let _ = writeln!(
            s,
            r##"<text x="10" y="{:.0}" font-weight="bold">{}</text>"##,
            y + 14.0,
            input.name
        );
        y += row_h;
        for r in rows.iter() {
            let _ = writeln!(
                s,
                r##"<text x="{:.0}" y="{:.0}" text-anchor="end">{}</text>"##,
                label_w - 6.0,
                y + 14.0,
                r.name
            );
            match r.secs {
                Some(secs) => {
                    let v = mbs(bytes, secs);
                    let fill = if r.baseline {
                        "#aaaaaa"
                    } else if r.name == "promtext" {
                        "#2c6fbb"
                    } else if is_valid(r) {
                        "#3a9d5d"
                    } else {
                        "url(#hatch)"
                    };
                    let _ = writeln!(
                        s,
                        r##"<rect x="{label_w}" y="{:.0}" width="{:.1}" height="{:.0}" fill="{fill}"/><text x="{:.1}" y="{:.0}">{}</text>"##,
                        y + 3.0,
                        x(v) - label_w,
                        row_h - 6.0,
                        x(v) + 4.0,
                        y + 14.0,
                        fmt_rate(v)
                    );
                }
                None => {
                    let _ = writeln!(
                        s,
                        r##"<text x="{:.0}" y="{:.0}" fill="#c0392b">fails</text>"##,
                        label_w + 4.0,
                        y + 14.0
                    );
                }
            }
            y += row_h;
        }
        y += row_h;
    }
    s.push_str("</svg>\n");
    s
}

/// Tiny bodies, one feature each, that every Envoy or Prometheus exposition may contain.
const PROBES: &[(&str, &str)] = &[
    ("`name{} 0` (Envoy untagged stats)", "a{} 1\n"),
    (
        "`\\\"`, `\\n`, `\\\\` escapes in values",
        "a{b=\"x\\\"y\\nz\\\\w\"} 1\n",
    ),
    ("`,` inside a label value", "a{b=\"UF,URX\"} 1\n"),
    ("timestamps", "a 1 1700000000000\n"),
    ("no final line feed", "a{x=\"1\"} 1\na{x=\"2\"} 2"),
    ("plain `#` comment", "# hello\na 1\n"),
    ("blank line", "a{x=\"1\"} 1\n\na{x=\"2\"} 2\n"),
    ("no `# TYPE`, several names", "a 1\nb 2\n"),
    (
        "split family (old Envoys)",
        "# TYPE a counter\na{x=\"1\"} 1\n# TYPE b gauge\nb 2\n# TYPE a counter\na{x=\"2\"} 3\n",
    ),
    (
        "label sets differ in a family",
        "# TYPE a gauge\na{x=\"1\"} 1\na{y=\"2\"} 2\n",
    ),
    (
        "`NaN`, `+Inf`, `-Inf` values",
        "a{x=\"1\"} NaN\na{x=\"2\"} +Inf\na{x=\"3\"} -Inf\n",
    ),
    ("uint64 counter value", "a 16440392441958861461\n"),
];

fn probes() -> String {
    let mut t = String::from("| feature |");
    for p in &PARSERS[1..] {
        let _ = write!(t, " {} |", p.name.split(' ').next().unwrap());
    }
    t.push_str("\n|---|");
    t.push_str(&"---|".repeat(PARSERS.len() - 1));
    t.push('\n');
    for (feature, body) in PROBES {
        let reference = reference(body);
        let _ = write!(t, "| {feature} |");
        for p in &PARSERS[1..] {
            let cell = match check(p, body, &reference) {
                Verdict::Correct => "ok",
                Verdict::Wrong(..) => "**wrong**",
                Verdict::Fails(_) => "**fails**",
            };
            let _ = write!(t, " {cell} |");
        }
        t.push('\n');
    }
    t
}

fn report() {
    let inputs = inputs();
    let mut notes = Vec::new();
    let mut measured = Vec::new();
    for input in &inputs {
        eprintln!("measuring {} ...", input.name);
        let (rows, n) = measure(input);
        println!("{}", table(input, &rows, n, &mut notes));
        measured.push((input, rows, n));
    }
    // The real corpus at a glance: MB/s where correct, the verdict otherwise.
    if measured.len() > 2 {
        let mut t = String::from("| parser |");
        for (input, _, _) in &measured[2..] {
            let _ = write!(t, " {} |", input.name);
        }
        t.push_str("\n|---|");
        t.push_str(&"---:|".repeat(measured.len() - 2));
        t.push('\n');
        for k in 2..measured[0].1.len() {
            let _ = write!(t, "| {} |", measured[0].1[k].name);
            for (input, rows, _) in &measured[2..] {
                let r = &rows[k];
                let cell = match (&r.verdict, r.secs) {
                    (Some(Verdict::Correct), Some(s)) => fmt_rate(mbs(input.text.len(), s)),
                    (Some(Verdict::Wrong(..)), _) => match &r.cause {
                        Some(c) => format!("wrong ({c})"),
                        None => "wrong".into(),
                    },
                    _ => match &r.cause {
                        Some(c) => format!("fails ({c})"),
                        None => "fails".into(),
                    },
                };
                let _ = write!(t, " {cell} |");
            }
            t.push('\n');
        }
        println!("Real corpus, MB/s where the output is correct:\n\n{t}");
    }
    println!(
        "Feature probes (tiny bodies; ok = the same samples as promtext):\n\n{}",
        probes()
    );
    println!("Notes (first difference per parser and input):\n");
    for n in &notes {
        println!("- {n}");
    }
    let panels: Vec<(&Input, &[Row])> = measured
        .iter()
        .take(2)
        .map(|(i, r, _)| (*i, &r[..]))
        .collect();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/peers.svg");
    std::fs::create_dir_all(path.parent().unwrap()).expect("docs/");
    std::fs::write(&path, svg(&panels)).expect("write docs/peers.svg");
    eprintln!("wrote docs/peers.svg");
}

// ---------------------------------------------------------------------------------------------
// One parse for callgrind.

#[inline(never)]
fn one_parse(work: Work, text: &str) -> usize {
    work(black_box(text)).unwrap_or(0)
}

fn one(parser: &str, input: &str) {
    let inputs = inputs();
    let Some(input) = inputs.iter().find(|i| i.name == input) else {
        panic!("unknown input {input}");
    };
    let work: Work = match parser {
        "memchr_lines" => |t| Ok(memchr_lines(t.as_bytes())),
        "naive_split" => |t| Ok(naive_split(t.as_bytes()) as usize),
        _ => match PARSERS
            .iter()
            .find(|p| p.name.split(' ').next() == Some(parser))
        {
            Some(p) => p.work,
            None => panic!("unknown parser {parser}"),
        },
    };
    let r = one_parse(work, &input.text);
    eprintln!(
        "{parser} on {}: {} bytes, checksum {r}",
        input.name,
        input.text.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Criterion groups.

fn criterion_groups(c: &mut Criterion) {
    for input in inputs() {
        let text = input.text.as_str();
        let reference = reference(text);
        let mut g = c.benchmark_group(format!("peers_{}", input.name));
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function("memchr_lines", |b| {
            b.iter(|| memchr_lines(black_box(text.as_bytes())))
        });
        g.bench_function("naive_split", |b| {
            b.iter(|| naive_split(black_box(text.as_bytes())))
        });
        for p in PARSERS {
            let ok = p.name == "promtext" || matches!(check(p, text, &reference), Verdict::Correct);
            if !ok {
                eprintln!(
                    "note: {} is not benched on {}: its output is wrong",
                    p.name, input.name
                );
                continue;
            }
            let id = p.name.split(' ').next().unwrap();
            g.bench_function(id, |b| b.iter(|| (p.work)(black_box(text))));
        }
        g.finish();
    }
}

fn main() {
    let report_flag = std::env::args().any(|a| a == "--report");
    if report_flag || std::env::var_os("PEERS_REPORT").is_some() {
        return report();
    }
    if let (Ok(p), Ok(i)) = (std::env::var("PEERS_ONE"), std::env::var("PEERS_INPUT")) {
        return one(&p, &i);
    }
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    criterion_groups(&mut c);
    c.final_summary();
}
