//! `promtext check`: lint an exposition like `promtool check metrics`, and more.
//!
//! Problems: parse errors, duplicate series, families whose samples are split or interleaved with other families,
//! TYPE/HELP repeated or after the family's samples, reserved (`__`) label names, names invalid under the legacy
//! scheme (`--scheme legacy`), histogram buckets that are not cumulative, not increasing or lack `+Inf`, counters
//! without `_total` (Prometheus text) or with a `_total` family name (OpenMetrics). Also prints the series count
//! per family (cardinality).
//!
//! The parse verdict is `parse`'s (and Prometheus'): a body `parse` rejects is invalid here too, unless
//! `--lenient`. Exit codes: 0 clean; 1 invalid input (parse errors); 3 lint problems only; 2 usage or I/O error.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use promtext::family::belongs_to;
use promtext::{Dialect, Event, MetricType, ReadParser, Sample, Settings};

use crate::output::{is_broken_pipe, json_str};
use crate::parse::Chosen;

/// Output of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckOutput {
    /// One line per problem, then the cardinality table.
    Text,
    /// One JSON object per problem (`kind` names the check) and per family (`kind: "cardinality"`).
    Jsonl,
}

/// Dialect for `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// The Prometheus text format.
    Prometheus,
    /// OpenMetrics 1.0.
    Openmetrics,
    /// OpenMetrics 2.0 (rc0), experimental: its SHOULDs are linted.
    Openmetrics2,
    /// The delimited protobuf exposition.
    Protobuf,
    /// From `--content-type` (else a URL's Content-Type) when given, otherwise sniffed from the first 64 KiB (as
    /// `parse` does: protobuf when the body unambiguously is protobuf).
    Auto,
}

/// Every lint `--lint` can name (`parse` errors are not lints: they make the input invalid).
pub const LINTS: [&str; 20] = [
    "counter-total",
    "duplicate-series",
    "split-family",
    "type-repeated",
    "type-after-samples",
    "help-repeated",
    "help-after-samples",
    "reserved-label",
    "invalid-name",
    "histogram-le",
    "histogram-not-cumulative",
    "histogram-no-inf",
    "native-bucket-limit",
    // OpenMetrics 2.0's SHOULDs (`--format openmetrics2`).
    "counter-without-total",
    "discouraged-suffix",
    "unit-not-suffix",
    "empty-help",
    "metadata-order",
    "no-start-timestamp",
    "no-type",
];

/// Parses `--lint`: `all`, `none`, or a comma-separated list of lint names.
fn parse_lint(s: &str) -> Result<Vec<&'static str>, String> {
    match s {
        "all" => Ok(LINTS.to_vec()),
        "none" => Ok(Vec::new()),
        list => list
            .split(',')
            .map(|n| {
                let n = n.trim();
                LINTS.iter().find(|l| **l == n).copied().ok_or_else(|| {
                    format!(
                        "unknown lint {n:?} (all, none, or some of: {})",
                        LINTS.join(", ")
                    )
                })
            })
            .collect(),
    }
}

/// Name scheme for `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckScheme {
    /// Any UTF-8 name (Prometheus 3).
    Utf8,
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` metric names, `[a-zA-Z_][a-zA-Z0-9_]*` label names.
    Legacy,
}

/// Arguments of `promtext check`.
#[derive(Args, Debug)]
#[command(
    after_help = "Exit codes: 0 clean; 1 invalid input (the parse verdict of `parse` and Prometheus); \
                  3 lint problems only; 2 usage or I/O error."
)]
pub struct CheckArgs {
    /// The exposition: a file, an `http://` or `https://` URL, or `-`/nothing for standard input.
    pub input: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckOutput::Text)]
    pub output: CheckOutput,
    /// The dialect.
    #[arg(long, value_enum, default_value_t = CheckFormat::Auto)]
    pub format: CheckFormat,
    /// The response's Content-Type, used by `--format auto`.
    #[arg(long, value_name = "VALUE")]
    pub content_type: Option<String>,
    /// The body's Content-Encoding: identity, gzip, zstd, br, or auto (magic bytes).
    #[arg(long, value_name = "E", default_value = "auto")]
    pub content_encoding: String,
    /// Skip bad lines (reported as `parse` problems) and keep linting, instead of `parse`'s verdict.
    #[arg(long)]
    pub lenient: bool,
    /// Which lints run: `all`, `none`, or a comma-separated list (counter-total, duplicate-series, split-family,
    /// type-repeated, type-after-samples, help-repeated, help-after-samples, reserved-label, invalid-name,
    /// histogram-le, histogram-not-cumulative, histogram-no-inf, native-bucket-limit; OpenMetrics 2.0:
    /// counter-without-total, discouraged-suffix, unit-not-suffix, empty-help, metadata-order,
    /// no-start-timestamp, no-type).
    #[arg(long, value_name = "LINTS", default_value = "all")]
    pub lint: String,
    /// Options for a URL input.
    #[command(flatten)]
    pub http: crate::http::HttpArgs,
    /// The name-validation scheme names are checked against.
    #[arg(long, value_enum, default_value_t = CheckScheme::Utf8)]
    pub scheme: CheckScheme,
    /// How many families the cardinality table lists (text output).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Series tracked for the duplicate and histogram checks (about 40 bytes each); beyond, those checks stop
    /// and a note says so. Bounds memory on bodies with millions of series.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_SERIES)]
    pub max_series: usize,
    /// Protobuf: native histograms with more buckets than this are reported (Prometheus would
    /// reduce their resolution under `native_histogram_bucket_limit`).
    #[arg(long, value_name = "N", default_value_t = 160)]
    pub native_bucket_limit: usize,
}

/// Default of `--max-series`.
pub const DEFAULT_MAX_SERIES: usize = 4_000_000;
/// Families tracked by name (TYPE, HELP, contiguity, cardinality); the series of further ones are counted
/// together.
const MAX_FAMILIES: usize = 100_000;
/// The cardinality table's name for the families beyond [`MAX_FAMILIES`].
const OTHER_FAMILIES: &str = "(families beyond the first 100000)";
/// Problems listed at most; further ones are counted.
const MAX_PROBLEMS: usize = 10_000;

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line.
    pub line: u64,
    /// The check (`parse`, `duplicate-series`, `split-family`, …).
    pub kind: &'static str,
    /// The family concerned.
    pub family: String,
    /// What is wrong.
    pub message: String,
}

#[derive(Debug)]
struct Group {
    last_le: f64,
    last_value: f64,
    has_inf: bool,
    line: u64,
}

/// The linter's state.
#[derive(Debug, Default)]
pub struct Linter {
    openmetrics: bool,
    legacy: bool,
    types: HashMap<String, MetricType>,
    helps: HashSet<String>,
    with_samples: HashSet<String>,
    closed: HashSet<String>,
    reported_split: HashSet<String>,
    reported_total: HashSet<String>,
    current: Option<String>,
    /// 128-bit hashes of the series seen (two independently seeded hashes).
    series: HashSet<(u64, u64)>,
    keys: (RandomState, RandomState),
    max_series: usize,
    /// Series per family.
    pub cardinality: HashMap<String, u64>,
    groups: HashMap<(String, String), Group>,
    /// Findings (at most [`MAX_PROBLEMS`]).
    pub problems: Vec<Problem>,
    /// All findings, listed or not.
    pub problem_count: u64,
    /// All findings by kind, listed or not.
    pub counts: HashMap<&'static str, u64>,
    /// Where tracking stopped to bound memory.
    pub notes: Vec<String>,
    /// Positions are byte offsets (protobuf), not lines.
    pub bytes: bool,
}

const SUFFIXES: [&str; 8] = [
    "_bucket", "_sum", "_count", "_total", "_created", "_gsum", "_gcount", "_info",
];

fn parse_le(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        _ => s.parse().ok(),
    }
}

impl Linter {
    /// A linter for the dialect and scheme.
    pub fn new(openmetrics: bool, legacy: bool) -> Self {
        Linter {
            openmetrics,
            legacy,
            max_series: DEFAULT_MAX_SERIES,
            ..Linter::default()
        }
    }

    /// Tracks at most `n` series for the duplicate and histogram checks.
    pub fn max_series(mut self, n: usize) -> Self {
        self.max_series = n;
        self
    }

    fn note(&mut self, line: u64, what: &str) {
        if !self.notes.iter().any(|n| n.contains(what)) {
            self.notes
                .push(format!("{what} (from line {line}) to bound memory"));
        }
    }

    /// Whether `fam` is tracked by name: known already (by its samples, TYPE or HELP), or there is room.
    fn tracked(&self, fam: &str) -> bool {
        self.cardinality.len() + self.types.len() + self.helps.len() < MAX_FAMILIES
            || self.cardinality.contains_key(fam)
            || self.types.contains_key(fam)
            || self.helps.contains(fam)
    }

    fn problem(&mut self, line: u64, kind: &'static str, family: &str, message: String) {
        self.problem_count += 1;
        *self.counts.entry(kind).or_default() += 1;
        if self.problems.len() >= MAX_PROBLEMS {
            return;
        }
        self.problems.push(Problem {
            line,
            kind,
            family: family.to_string(),
            message,
        });
    }

    fn family_of(&self, name: &str) -> String {
        if let Some(c) = &self.current {
            if let Some(t) = self.types.get(c) {
                if belongs_to(name, c, *t) {
                    return c.clone();
                }
            }
        }
        if self.types.contains_key(name) {
            return name.to_string();
        }
        for suf in SUFFIXES {
            if let Some(base) = name.strip_suffix(suf) {
                if let Some(t) = self.types.get(base) {
                    if belongs_to(name, base, *t) {
                        return base.to_string();
                    }
                }
            }
        }
        name.to_string()
    }

    /// One parse result.
    pub fn event(&mut self, ev: Result<Event<'_>, promtext::Error>) {
        match ev {
            Err(e) => self.problem(e.line(), "parse", "", e.message().to_string()),
            Ok(Event::Type(t)) if !self.tracked(t.name) => {
                self.note(
                    t.line,
                    &format!("stopped tracking families after {MAX_FAMILIES}"),
                );
            }
            Ok(Event::Help(h)) if !self.tracked(h.name) => {
                self.note(
                    h.line,
                    &format!("stopped tracking families after {MAX_FAMILIES}"),
                );
            }
            Ok(Event::Type(t)) => {
                let name = t.name.to_string();
                if self.types.contains_key(&name) {
                    self.problem(
                        t.line,
                        "type-repeated",
                        &name,
                        format!("second TYPE line for metric name {name:?}"),
                    );
                } else if self.with_samples.contains(&name) {
                    self.problem(
                        t.line,
                        "type-after-samples",
                        &name,
                        format!("TYPE line for {name:?} after its samples"),
                    );
                }
                if t.metric_type == MetricType::Counter
                    && self.openmetrics
                    && name.ends_with("_total")
                {
                    self.problem(t.line, "counter-total", &name, format!("OpenMetrics counter family {name:?} should not end in \"_total\" (its samples do)"));
                }
                self.types.insert(name, t.metric_type);
            }
            Ok(Event::Help(h)) => {
                let name = h.name.to_string();
                if !self.helps.insert(name.clone()) {
                    self.problem(
                        h.line,
                        "help-repeated",
                        &name,
                        format!("second HELP line for metric name {name:?}"),
                    );
                } else if self.with_samples.contains(&name) {
                    self.problem(
                        h.line,
                        "help-after-samples",
                        &name,
                        format!("HELP line for {name:?} after its samples"),
                    );
                }
            }
            Ok(Event::Sample(s)) => self.sample(&s),
            Ok(_) => {}
        }
    }

    fn sample(&mut self, s: &Sample<'_>) {
        let name = s.name().into_owned();
        let line = s.line();
        let fam = self.family_of(&name);
        if !self.tracked(&fam) {
            self.note(
                line,
                &format!("stopped tracking families after {MAX_FAMILIES}"),
            );
            *self
                .cardinality
                .entry(OTHER_FAMILIES.to_string())
                .or_default() += 1;
            return;
        }
        if self.current.as_deref() != Some(fam.as_str()) {
            if let Some(c) = self.current.take() {
                self.closed.insert(c);
            }
            if self.closed.contains(&fam) && self.reported_split.insert(fam.clone()) {
                self.problem(line, "split-family", &fam, format!("samples of family {fam:?} are not contiguous (split or interleaved with other families)"));
            }
            self.current = Some(fam.clone());
        }
        self.with_samples.insert(fam.clone());
        if self.legacy && !promtext::go::is_legacy_metric_name(&name) {
            self.problem(
                line,
                "invalid-name",
                &fam,
                format!("metric name {name:?} is not valid under the legacy scheme"),
            );
        }
        let mut labels: Vec<(String, String)> = s
            .labels()
            .map(|l| (l.name.into_owned(), l.value.into_owned()))
            .collect();
        for (n, _) in &labels {
            if n.starts_with("__") {
                self.problem(
                    line,
                    "reserved-label",
                    &fam,
                    format!("label name {n:?} is reserved (starts with \"__\")"),
                );
            } else if self.legacy && !promtext::go::is_legacy_label_name(n) {
                self.problem(
                    line,
                    "invalid-name",
                    &fam,
                    format!("label name {n:?} is not valid under the legacy scheme"),
                );
            }
        }
        labels.sort();
        let mut key = name.clone();
        for (n, v) in &labels {
            key.push('\u{0}');
            key.push_str(n);
            key.push('\u{1}');
            key.push_str(v);
        }
        let hashed = (self.keys.0.hash_one(&key), self.keys.1.hash_one(&key));
        let room = self.series.len() < self.max_series;
        if !room {
            let what = format!(
                "stopped the duplicate-series and histogram checks after {} series",
                self.max_series
            );
            self.note(line, &what);
        }
        let new = if room {
            self.series.insert(hashed)
        } else {
            !self.series.contains(&hashed)
        };
        if !new {
            self.problem(
                line,
                "duplicate-series",
                &fam,
                format!("duplicate series {}", s.series()),
            );
        }
        *self.cardinality.entry(fam.clone()).or_default() += 1;
        let t = self.types.get(&fam).copied().unwrap_or(MetricType::Unknown);
        if t == MetricType::Counter
            && !self.openmetrics
            && !name.ends_with("_total")
            && self.reported_total.insert(fam.clone())
        {
            self.problem(
                line,
                "counter-total",
                &fam,
                "counter metrics should have \"_total\" suffix".to_string(),
            );
        }
        if matches!(t, MetricType::Histogram | MetricType::GaugeHistogram)
            && name.ends_with("_bucket")
        {
            let le = labels
                .iter()
                .find(|(n, _)| n == "le")
                .map(|(_, v)| v.clone());
            let Some(le) = le.as_deref().and_then(parse_le) else {
                self.problem(
                    line,
                    "histogram-le",
                    &fam,
                    format!("bucket without a numeric le: {}", s.series()),
                );
                return;
            };
            let rest: String = labels
                .iter()
                .filter(|(n, _)| n != "le")
                .map(|(n, v)| format!("{n}={v:?},"))
                .collect();
            let v = s.value();
            let key = (fam.clone(), rest);
            if !room && !self.groups.contains_key(&key) {
                return;
            }
            let g = self.groups.entry(key).or_insert(Group {
                last_le: f64::NEG_INFINITY,
                last_value: f64::NEG_INFINITY,
                has_inf: false,
                line,
            });
            let mut found = Vec::new();
            if le <= g.last_le {
                found.push((
                    "histogram-le",
                    format!("bucket le not increasing: {}", s.series()),
                ));
            }
            if v < g.last_value {
                found.push(("histogram-not-cumulative", format!("histogram buckets are not cumulative: {} = {} is below the previous bucket's {}", s.series(), s.value_text(), g.last_value)));
            }
            g.last_le = le;
            g.last_value = v;
            g.line = line;
            if le == f64::INFINITY {
                g.has_inf = true;
            }
            for (k, m) in found {
                self.problem(line, k, &fam, m);
            }
        }
    }

    /// Final checks (histograms without `+Inf`); sorts the problems by line.
    pub fn finish(&mut self) {
        let mut missing: Vec<(u64, String, String)> = self
            .groups
            .iter()
            .filter(|(_, g)| !g.has_inf)
            .map(|((f, rest), g)| (g.line, f.clone(), rest.clone()))
            .collect();
        missing.sort();
        for (line, f, rest) in missing {
            self.problem(
                line,
                "histogram-no-inf",
                &f,
                format!(
                    "histogram {f} {{{}}} has no +Inf bucket",
                    rest.trim_end_matches(',')
                ),
            );
        }
        self.problems.sort_by_key(|p| p.line);
    }
}

/// Runs `promtext check`.
pub fn run(args: CheckArgs) -> ExitCode {
    let lints = match parse_lint(&args.lint) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: --lint: {e}");
            return ExitCode::from(2);
        }
    };
    let (input, response_type) = match crate::http::open_any(
        args.input.as_deref(),
        &args.content_encoding,
        &args.http,
        None,
        &crate::http::accept(args.format == CheckFormat::Protobuf),
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let (chosen, input) = match args.format {
        CheckFormat::Prometheus => (Chosen::Text(Dialect::Prometheus), input),
        CheckFormat::Openmetrics => (Chosen::Text(Dialect::OpenMetrics), input),
        CheckFormat::Openmetrics2 => (Chosen::Text(Dialect::OpenMetrics2), input),
        CheckFormat::Protobuf => (Chosen::Protobuf, input),
        CheckFormat::Auto => {
            match crate::parse::auto_dialect(
                args.content_type.as_deref().or(response_type.as_deref()),
                input,
            ) {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    let mut lint = match chosen {
        Chosen::Protobuf => lint_protobuf(
            input,
            args.scheme == CheckScheme::Legacy,
            args.native_bucket_limit,
            args.max_series,
        ),
        Chosen::Text(Dialect::OpenMetrics2) => match lint_openmetrics2(input, &args) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        Chosen::Text(dialect) => match lint_text(input, dialect, &args) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
    };
    lint.problems
        .retain(|p| p.kind == "parse" || lints.contains(&p.kind));
    // The count follows the selection too (listed or not).
    lint.counts
        .retain(|kind, _| *kind == "parse" || lints.contains(kind));
    lint.problem_count = lint.counts.values().sum();
    let parse_errors = lint.counts.get("parse").copied().unwrap_or(0);
    let mut out = io::stdout().lock();
    let r = match args.output {
        CheckOutput::Text => print_text(&mut out, &lint, args.top),
        CheckOutput::Jsonl => print_jsonl(&mut out, &lint),
    };
    if let Err(e) = r.and_then(|()| out.flush()) {
        if !is_broken_pipe(&e) {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    if parse_errors > 0 {
        ExitCode::from(1)
    } else if lint.problem_count == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    }
}

/// Lints an OpenMetrics 2.0 body: the parse verdict, then the spec's SHOULDs
/// ([`promtext::openmetrics2::lints`]).
fn lint_openmetrics2(mut input: Box<dyn io::Read>, args: &CheckArgs) -> Result<Linter, io::Error> {
    let mut body = Vec::new();
    input.read_to_end(&mut body)?;
    let mut lint =
        Linter::new(true, args.scheme == CheckScheme::Legacy).max_series(args.max_series);
    let settings = Settings::openmetrics2().lenient(args.lenient);
    for ev in promtext::parse_with(&body, settings) {
        if let Err(e) = ev {
            lint.event(Err(e));
            if !args.lenient {
                break;
            }
        }
    }
    for l in promtext::openmetrics2::lints(&body) {
        lint.problem(l.line, l.code, &l.family, l.message);
    }
    lint.finish();
    Ok(lint)
}

/// Lints a text body; a read error is returned (exit 2), parse errors are problems.
fn lint_text(
    input: Box<dyn io::Read>,
    dialect: Dialect,
    args: &CheckArgs,
) -> Result<Linter, promtext::Error> {
    let settings = Settings::default().dialect(dialect).lenient(args.lenient);
    let mut p = ReadParser::new(input, settings);
    let mut lint = Linter::new(
        dialect == Dialect::OpenMetrics,
        args.scheme == CheckScheme::Legacy,
    )
    .max_series(args.max_series);
    while let Some(ev) = p.next_event() {
        let failed = ev.is_err();
        if let Err(e) = &ev {
            if e.message().starts_with("read error:") {
                return Err(e.clone());
            }
        }
        lint.event(ev);
        // Strict: the first error is the verdict, as in `parse` and Prometheus.
        if failed && !args.lenient {
            break;
        }
    }
    lint.finish();
    Ok(lint)
}

fn sorted_cardinality(l: &Linter) -> Vec<(&String, &u64)> {
    let mut v: Vec<_> = l.cardinality.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v
}

fn print_text(out: &mut impl Write, l: &Linter, top: usize) -> io::Result<()> {
    let at = if l.bytes { "byte" } else { "line" };
    for p in &l.problems {
        if p.family.is_empty() {
            writeln!(out, "{at} {}: {}: {}", p.line, p.kind, p.message)?;
        } else {
            writeln!(
                out,
                "{at} {}: {}: {}: {}",
                p.line, p.kind, p.family, p.message
            )?;
        }
    }
    let unlisted = l.problem_count - l.problems.len() as u64;
    if unlisted > 0 {
        writeln!(out, "… and {unlisted} more problem(s), not listed")?;
    }
    for n in &l.notes {
        writeln!(out, "note: {n}")?;
    }
    let total: u64 = l.cardinality.values().sum();
    writeln!(
        out,
        "{} problem(s); {} series in {} families",
        l.problem_count,
        total,
        l.cardinality.len()
    )?;
    writeln!(out, "cardinality (top {top} families by series):")?;
    for (f, n) in sorted_cardinality(l).into_iter().take(top) {
        writeln!(out, "  {n:>8}  {f}")?;
    }
    Ok(())
}

fn print_jsonl(out: &mut impl Write, l: &Linter) -> io::Result<()> {
    let at = if l.bytes { "offset" } else { "line" };
    for p in &l.problems {
        write!(out, "{{\"{at}\":{},\"kind\":", p.line)?;
        json_str(out, p.kind)?;
        out.write_all(b",\"family\":")?;
        json_str(out, &p.family)?;
        out.write_all(b",\"message\":")?;
        json_str(out, &p.message)?;
        out.write_all(b"}\n")?;
    }
    for n in &l.notes {
        out.write_all(b"{\"kind\":\"note\",\"message\":")?;
        json_str(out, n)?;
        out.write_all(b"}\n")?;
    }
    for (f, n) in sorted_cardinality(l) {
        out.write_all(b"{\"kind\":\"cardinality\",\"family\":")?;
        json_str(out, f)?;
        writeln!(out, ",\"series\":{n}}}")?;
    }
    Ok(())
}

/// Lints a protobuf body: the reader's validation (names, UTF-8, types, native histograms'
/// spans against counts, negative counts, schema), duplicate series, reserved and (legacy
/// scheme) invalid names, classic buckets that are not increasing or not cumulative, and
/// native histograms whose bucket count exceeds `bucket_limit`. Positions are byte offsets.
pub fn lint_protobuf(
    input: impl std::io::Read,
    legacy: bool,
    bucket_limit: usize,
    max_series: usize,
) -> Linter {
    use promtext::protobuf::{Event as E, ReadParser, Series, Settings as PbSettings};
    let mut l = Linter::new(false, legacy).max_series(max_series);
    l.bytes = true;
    let mut p = ReadParser::new(input, PbSettings::default().classic_histograms(true));
    let mut last_bucket: Option<(String, f64, f64)> = None;
    while let Some(ev) = p.next_event() {
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => {
                l.problem(e.offset(), "parse", "", e.message().to_string());
                break;
            }
        };
        let (family, offset, name, labels): (String, u64, String, Vec<(String, String)>) = match &ev
        {
            E::Sample(s) => (
                s.family_name().to_string(),
                s.offset(),
                s.name().to_string(),
                s.labels()
                    .map(|l| (l.name.into_owned(), l.value.into_owned()))
                    .collect(),
            ),
            E::Histogram(h) => {
                let n = h.positive_buckets().count() + h.negative_buckets().count();
                if n > bucket_limit {
                    l.problem(
                        h.offset(),
                        "native-bucket-limit",
                        h.name(),
                        format!(
                            "native histogram with {n} buckets at schema {} exceeds {bucket_limit}; Prometheus would reduce its resolution",
                            h.schema()
                        ),
                    );
                }
                (
                    h.name().to_string(),
                    h.offset(),
                    h.name().to_string(),
                    h.labels()
                        .map(|(n, v)| (n.to_string(), v.to_string()))
                        .collect(),
                )
            }
            _ => continue,
        };
        if l.legacy && !promtext::go::is_legacy_metric_name(&name) {
            l.problem(
                offset,
                "invalid-name",
                &family,
                format!("metric name {name:?} is not valid under the legacy scheme"),
            );
        }
        for (n, _) in &labels {
            if n.starts_with("__") {
                l.problem(
                    offset,
                    "reserved-label",
                    &family,
                    format!("label name {n:?} is reserved (starts with \"__\")"),
                );
            }
        }
        let mut sorted = labels.clone();
        sorted.sort();
        let kind = if matches!(ev, E::Histogram(_)) {
            "native"
        } else {
            "float"
        };
        let key = format!("{kind} {name}{sorted:?}");
        let hashed = (l.keys.0.hash_one(&key), l.keys.1.hash_one(&key));
        let room = l.series.len() < l.max_series;
        if !room {
            let what = format!(
                "stopped the duplicate-series check after {} series",
                l.max_series
            );
            l.note(offset, &what);
        }
        let new = if room {
            l.series.insert(hashed)
        } else {
            !l.series.contains(&hashed)
        };
        if !new {
            l.problem(
                offset,
                "duplicate-series",
                &family,
                format!("duplicate series {name}{sorted:?}"),
            );
        }
        if l.tracked(&family) {
            *l.cardinality.entry(family.clone()).or_default() += 1;
        } else {
            l.note(
                offset,
                &format!("stopped tracking families after {MAX_FAMILIES}"),
            );
            *l.cardinality.entry(OTHER_FAMILIES.to_string()).or_default() += 1;
        }
        if let E::Sample(s) = &ev {
            if s.series() == Series::Bucket {
                let group: Vec<_> = sorted.iter().filter(|(n, _)| n != "le").collect();
                let group = format!("{name}{group:?}");
                let le = s
                    .bound_label()
                    .and_then(promtext::go::parse_go_float)
                    .unwrap_or(f64::NAN);
                if let Some((g, prev_le, prev_v)) = &last_bucket {
                    if *g == group {
                        if le <= *prev_le {
                            l.problem(
                                offset,
                                "histogram-le",
                                &family,
                                format!("bucket le={le} after le={prev_le}"),
                            );
                        }
                        if s.value() < *prev_v {
                            l.problem(
                                offset,
                                "histogram-not-cumulative",
                                &family,
                                format!("bucket le={le} has {} < {prev_v}", s.value()),
                            );
                        }
                    }
                }
                last_bucket = Some((group, le, s.value()));
            } else {
                last_bucket = None;
            }
        }
    }
    l
}
