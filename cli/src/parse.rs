//! `promtext parse`: parse an exposition and print its events, a summary, or nothing.

use std::collections::HashSet;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, ValueEnum};
use promtext::content_type::{
    ScrapeProtocol, format_for_content_type, looks_like_protobuf, looks_like_text,
};
use promtext::family::belongs_to;
use promtext::{Dialect, Event, MetricType, ReadParser, Settings, Validation};

use crate::output::{
    human_bytes, is_broken_pipe, json_labels, json_sample_open, json_str, json_value,
};

/// What `parse` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// One JSON object per event.
    Jsonl,
    /// Families, samples, bytes, elapsed time and throughput.
    Summary,
    /// Nothing: the exit status tells whether the input parsed.
    None,
}

/// The text dialect to parse with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The Prometheus text format (what Envoy serves).
    Prometheus,
    /// OpenMetrics 1.0.
    Openmetrics,
    /// OpenMetrics 2.0 (rc0), experimental.
    Openmetrics2,
    /// The delimited protobuf exposition (`application/vnd.google.protobuf`).
    Protobuf,
    /// From `--content-type` when given (Prometheus' negotiation, falling back to the
    /// Prometheus text format); otherwise sniffed from the first 64 KiB (a complete protobuf
    /// family that is not text means protobuf; `# EOF`, `# UNIT`, OpenMetrics-only types or
    /// exemplars mean OpenMetrics).
    Auto,
}

/// What the input is parsed as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chosen {
    /// A text dialect.
    Text(Dialect),
    /// The protobuf exposition.
    Protobuf,
}

/// How strictly OpenMetrics input is validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Validate {
    /// Exactly the Prometheus server's verdicts (syntax only).
    Prometheus,
    /// Full OpenMetrics 1.0, with the per-family semantic checks.
    Strict,
}

/// Arguments of `promtext parse`.
#[derive(Args, Debug)]
#[command(after_help = "Exit codes: 0 the input parsed; 1 invalid input; 2 usage or I/O error.")]
pub struct ParseArgs {
    /// The exposition to parse: a file, an `http://` or `https://` URL (scraped as Prometheus would, its
    /// Content-Type choosing the dialect), or `-`/nothing for standard input.
    pub input: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Summary)]
    pub output: Output,
    /// The dialect.
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    pub format: Format,
    /// The response's Content-Type header, used by `--format auto`.
    #[arg(long, value_name = "VALUE")]
    pub content_type: Option<String>,
    /// Validation level for OpenMetrics.
    #[arg(long, value_enum, default_value_t = Validate::Prometheus)]
    pub validate: Validate,
    /// Accept CRLF and signed timestamps; skip bad lines (reported on stderr) instead of failing.
    #[arg(long)]
    pub lenient: bool,
    /// Maximum line length in bytes.
    #[arg(long, default_value_t = promtext::DEFAULT_MAX_LINE_LEN)]
    pub max_line_len: usize,
    /// Prometheus' `label_limit`: a series with more labels (empty values not counted, the metric
    /// name not a label) is an error, its line read no further. 0: none.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub label_limit: usize,
    /// Prometheus' `label_name_length_limit` in bytes. 0: none.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub label_name_length_limit: usize,
    /// Prometheus' `label_value_length_limit` in bytes. 0: none.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub label_value_length_limit: usize,
    /// The body's Content-Encoding: identity, gzip, zstd, br, or auto (a URL's Content-Encoding header, else gzip
    /// and zstd recognized by their magic bytes).
    #[arg(long, value_name = "E", default_value = "auto")]
    pub content_encoding: String,
    /// Convert classic histograms to native histograms with custom buckets, as Prometheus'
    /// `convert_classic_histograms_to_nhcb` (shown like protobuf native histograms).
    #[arg(long)]
    pub nhcb: bool,
    /// With `--nhcb`: keep the classic series too (`always_scrape_classic_histograms`).
    #[arg(long, requires = "nhcb")]
    pub keep_classic: bool,
    /// Options for a URL input.
    #[command(flatten)]
    pub http: crate::http::HttpArgs,
}

/// Counts of one parse.
#[derive(Debug, Default)]
pub struct Stats {
    /// Distinct families (declared, or implied by sample names); at least this many when
    /// `families_capped`.
    pub families: usize,
    /// More than [`MAX_FAMILIES`] families: counting stopped there.
    pub families_capped: bool,
    /// Sample lines.
    pub samples: u64,
    /// Input bytes.
    pub bytes: u64,
    /// Lines skipped in lenient mode.
    pub skipped: u64,
}

/// Families counted at most (memory stays bounded on a body of millions of distinct names).
pub const MAX_FAMILIES: usize = 1 << 20;

/// Tracks family identity cheaply: the current declared family, and the 128-bit hashes of the
/// names seen (16 bytes a family, whatever the name's length), at most [`MAX_FAMILIES`].
#[derive(Default)]
struct FamilyCounter {
    seen: HashSet<(u64, u64)>,
    keys: (RandomState, RandomState),
    capped: bool,
    current: Option<(String, MetricType)>,
}

impl FamilyCounter {
    fn remember(&mut self, name: &str) {
        let key = (self.keys.0.hash_one(name), self.keys.1.hash_one(name));
        if self.seen.len() < MAX_FAMILIES {
            self.seen.insert(key);
        } else if !self.seen.contains(&key) {
            self.capped = true;
        }
    }

    fn meta(&mut self, name: &str, t: Option<MetricType>) {
        if self.current.as_ref().is_none_or(|(n, _)| n != name) {
            self.current = Some((name.to_string(), t.unwrap_or(MetricType::Unknown)));
        } else if let (Some(t), Some(cur)) = (t, self.current.as_mut()) {
            cur.1 = t;
        }
        self.remember(name);
    }

    fn sample(&mut self, name: &str) {
        if let Some((f, t)) = &self.current {
            if belongs_to(name, f, *t) {
                return;
            }
        }
        self.remember(name);
        self.current = Some((name.to_string(), MetricType::Unknown));
    }
}

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    n: u64,
}
impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n += k as u64;
        Ok(k)
    }
}

/// The type as the dialect spells it (`untyped` in the Prometheus text format).
fn type_word(t: MetricType, dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Prometheus => t.as_prometheus_str().unwrap_or(t.as_str()),
        _ => t.as_str(),
    }
}

/// `{"kind":KIND,"name":NAME,"FIELD":VALUE` (left open) for a metadata line, whose value field
/// is named after its kind: `type`, `text` (help) or `unit`.
fn json_metadata(out: &mut impl Write, kind: &str, name: &str, value: &str) -> io::Result<()> {
    let field = if kind == "help" { "text" } else { kind };
    write!(out, "{{\"kind\":\"{kind}\",\"name\":")?;
    json_str(out, name)?;
    write!(out, ",\"{field}\":")?;
    json_str(out, value)
}

/// A text sample's JSON object up to its value text (left open).
fn json_text_sample<'l>(
    out: &mut impl Write,
    name: &str,
    labels: impl Iterator<Item = promtext::Label<'l>>,
    (value, value_text, ts): (f64, &str, Option<i64>),
) -> io::Result<()> {
    let labels: Vec<promtext::Label<'_>> = labels.collect();
    json_sample_open(
        out,
        name,
        labels.iter().map(|l| (l.name.as_ref(), l.value.as_ref())),
        value,
        ts,
    )?;
    out.write_all(b",\"value_text\":")?;
    json_str(out, value_text)
}

fn write_event(out: &mut impl Write, ev: &Event<'_>, dialect: Dialect) -> io::Result<()> {
    match ev {
        Event::Type(t) => {
            json_metadata(out, "type", t.name, type_word(t.metric_type, dialect))?;
            write!(out, ",\"line\":{}}}", t.line)?;
        }
        Event::Help(h) => {
            json_metadata(out, "help", h.name, &h.text())?;
            write!(out, ",\"line\":{}}}", h.line)?;
        }
        Event::Comment(c) => {
            out.write_all(b"{\"kind\":\"comment\",\"text\":")?;
            json_str(out, &c.text)?;
            write!(out, ",\"line\":{}}}", c.line)?;
        }
        Event::Unit(u) => {
            json_metadata(out, "unit", u.name, u.unit)?;
            write!(out, ",\"line\":{}}}", u.line)?;
        }
        Event::Eof(e) => write!(out, "{{\"kind\":\"eof\",\"line\":{}}}", e.line)?,
        Event::Sample(s) => {
            let sample = (s.value(), s.value_text(), s.timestamp_ms());
            json_text_sample(out, &s.name(), s.labels(), sample)?;
            if let Some(e) = s.exemplar() {
                out.write_all(b",\"exemplar\":{\"labels\":")?;
                json_labels(out, e.labels())?;
                out.write_all(b",\"value\":")?;
                json_value(out, e.value())?;
                match e.timestamp() {
                    Some(ts) => {
                        out.write_all(b",\"timestamp\":")?;
                        json_value(out, ts)?;
                        out.write_all(b"}")?;
                    }
                    None => out.write_all(b",\"timestamp\":null}")?,
                }
            }
            write!(out, ",\"line\":{}}}", s.line())?;
        }
        Event::Series(s) => {
            let name = format!("{}{}", s.family_name(), s.name().suffix);
            let sample = (s.value(), s.value_text(), s.timestamp_ms());
            json_text_sample(out, &name, s.labels(), sample)?;
            if let Some(st) = s.start_timestamp_ms() {
                write!(out, ",\"start_timestamp_ms\":{st}")?;
            }
            json_exemplars(out, s.exemplars())?;
            write!(out, ",\"line\":{}}}", s.line())?;
        }
        Event::Histogram(h) => {
            // The one JSON shape of a native histogram, whatever the body's format.
            let mut scratch = promtext::openmetrics2::NativeScratch::default();
            return write_pb_histogram(out, &h.native(&mut scratch));
        }
        _ => return Ok(()),
    }
    out.write_all(b"\n")
}

/// `,"exemplars":[…]` for an OpenMetrics 2.0 sample (nothing when it has none).
fn json_exemplars<'a>(
    out: &mut impl Write,
    exemplars: impl Iterator<Item = promtext::Exemplar<'a>>,
) -> io::Result<()> {
    let mut first = true;
    for e in exemplars {
        out.write_all(if first {
            b",\"exemplars\":[{\"labels\":"
        } else {
            b",{\"labels\":"
        })?;
        first = false;
        json_labels(out, e.labels())?;
        out.write_all(b",\"value\":")?;
        json_value(out, e.value())?;
        out.write_all(b",\"timestamp\":")?;
        json_value(out, e.timestamp().unwrap_or(f64::NAN))?;
        out.write_all(b"}")?;
    }
    if !first {
        out.write_all(b"]")?;
    }
    Ok(())
}

/// Parses `reader` with `settings`, writing events per `output`; returns the stats or the
/// first error (lenient errors are printed as warnings and counted).
/// With `nhcb` `Some(keep_classic)`, classic histograms are converted to custom buckets (one
/// sample each).
pub fn parse_reader(
    reader: impl Read,
    settings: Settings,
    nhcb: Option<bool>,
    output: Output,
    out: &mut impl Write,
) -> Result<Stats, ParseFailure> {
    let mut conv = nhcb.map(promtext::nhcb::Converter::new);
    // In lenient mode a bad line is reported and skipped; otherwise it ends the parse.
    let lenient = settings.is_lenient();
    let dialect = settings.get_dialect();
    let mut counting = Counting {
        inner: reader,
        n: 0,
    };
    let mut p = ReadParser::new(&mut counting, settings);
    let mut fams = FamilyCounter::default();
    // `--output none` prints no count: nothing to track.
    let count_families = output != Output::None;
    let mut stats = Stats::default();
    while let Some(ev) = p.next_event() {
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) if lenient => {
                eprintln!("warning: skipped {e}");
                continue;
            }
            Err(e) => return Err(ParseFailure::Parse(e)),
        };
        if let Some(c) = &mut conv {
            let a = c.push(&ev);
            if !converted(c, a, &mut stats, output, out)? {
                continue;
            }
        }
        match &ev {
            Event::Type(t) if count_families => fams.meta(t.name, Some(t.metric_type)),
            Event::Help(h) if count_families => fams.meta(h.name, None),
            Event::Unit(u) if count_families => fams.meta(u.name, None),
            Event::Sample(s) => {
                stats.samples += 1;
                if count_families {
                    fams.sample(&s.name());
                }
            }
            Event::Series(s) => {
                stats.samples += 1;
                if count_families {
                    fams.sample(&s.family_name());
                }
            }
            Event::Histogram(h) => {
                stats.samples += 1;
                if count_families {
                    fams.sample(&h.family_name());
                }
            }
            _ => {}
        }
        if output == Output::Jsonl {
            write_event(out, &ev, dialect).map_err(ParseFailure::Io)?;
        }
    }
    if let Some(c) = &mut conv {
        let ready = c.finish();
        if let Some(h) = c.histogram().filter(|_| ready) {
            stats.samples += 1;
            if output == Output::Jsonl {
                write_pb_histogram(out, &h).map_err(ParseFailure::Io)?;
            }
        }
    }
    stats.skipped = p.skipped_lines();
    drop(p);
    stats.bytes = counting.n;
    stats.families = fams.seen.len();
    stats.families_capped = fams.capped;
    Ok(stats)
}

/// Why a parse failed.
#[derive(Debug)]
pub enum ParseFailure {
    /// The input is not valid.
    Parse(promtext::Error),
    /// Reading or writing failed.
    Io(io::Error),
}

/// Prints the summary block.
pub fn print_summary(out: &mut impl Write, stats: &Stats, secs: f64) -> io::Result<()> {
    let mbs = if secs > 0.0 {
        stats.bytes as f64 / 1e6 / secs
    } else {
        0.0
    };
    if stats.families_capped {
        writeln!(
            out,
            "families: more than {} (counting stopped there)",
            stats.families
        )?;
    } else {
        writeln!(out, "families: {}", stats.families)?;
    }
    writeln!(out, "samples:  {}", stats.samples)?;
    writeln!(
        out,
        "bytes:    {} ({})",
        stats.bytes,
        human_bytes(stats.bytes)
    )?;
    writeln!(out, "elapsed:  {:.3} ms", secs * 1e3)?;
    writeln!(out, "speed:    {mbs:.1} MB/s")?;
    if stats.skipped > 0 {
        writeln!(out, "skipped:  {} bad lines", stats.skipped)?;
    }
    Ok(())
}

/// Runs `promtext parse`.
pub fn run(args: ParseArgs) -> ExitCode {
    let (input, response_type) = match crate::http::open_any(
        args.input.as_deref(),
        &args.content_encoding,
        &args.http,
        None,
        &accept_for(args.format),
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let (chosen, input) = match choose_dialect(&args, response_type.as_deref(), input) {
        Ok(chosen) => chosen,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let dialect = match chosen {
        Chosen::Text(d) => d,
        Chosen::Protobuf => Dialect::Prometheus,
    };
    let validation = match args.validate {
        Validate::Prometheus => Validation::Prometheus,
        Validate::Strict => Validation::Strict,
    };
    let settings = Settings::default()
        .dialect(dialect)
        .validation(validation)
        .lenient(args.lenient)
        .max_line_len(args.max_line_len);
    let limits = promtext::LabelLimits {
        labels: args.label_limit,
        name_len: args.label_name_length_limit,
        value_len: args.label_value_length_limit,
    };
    let settings = settings.label_limits(limits);
    let nhcb = args.nhcb.then_some(args.keep_classic);
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let start = Instant::now();
    let result = match chosen {
        Chosen::Protobuf => parse_protobuf_reader(input, nhcb, limits, args.output, &mut out),
        Chosen::Text(_) => parse_reader(input, settings, nhcb, args.output, &mut out),
    };
    let secs = start.elapsed().as_secs_f64();
    let code = match result {
        Ok(stats) => {
            if args.output == Output::Summary {
                if let Err(e) = print_summary(&mut out, &stats, secs) {
                    if !is_broken_pipe(&e) {
                        eprintln!("error: {e}");
                        return ExitCode::from(2);
                    }
                }
            }
            ExitCode::SUCCESS
        }
        Err(ParseFailure::Parse(e)) => {
            let _ = out.flush();
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
        Err(ParseFailure::Io(e)) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(ParseFailure::Io(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    };
    match out.flush() {
        Err(e) if !is_broken_pipe(&e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        _ => code,
    }
}

/// Picks the format per `--format`, sniffing the input's first 64 KiB for `auto` without a
/// Content-Type (`--content-type`, else a URL's header); the sniffed bytes are put back in front of the rest.
pub fn choose_dialect(
    args: &ParseArgs,
    response_type: Option<&str>,
    input: Box<dyn Read>,
) -> io::Result<(Chosen, Box<dyn Read>)> {
    match args.format {
        Format::Prometheus => Ok((Chosen::Text(Dialect::Prometheus), input)),
        Format::Openmetrics => Ok((Chosen::Text(Dialect::OpenMetrics), input)),
        Format::Openmetrics2 => Ok((Chosen::Text(Dialect::OpenMetrics2), input)),
        Format::Protobuf => Ok((Chosen::Protobuf, input)),
        Format::Auto => auto_dialect(args.content_type.as_deref().or(response_type), input),
    }
}

/// The `Accept` header a live fetch sends for `--format`: protobuf first for `protobuf` (as
/// Prometheus asks with native histograms on), else Prometheus' default text protocols.
pub fn accept_for(format: Format) -> String {
    crate::http::accept(format == Format::Protobuf)
}

/// The format for `--format auto`: from the Content-Type when given (Prometheus' negotiation, falling back to
/// the Prometheus text format), otherwise sniffed from the first 64 KiB (protobuf when unambiguous, else the text
/// dialect), which are put back in front of the rest.
pub fn auto_dialect(
    content_type: Option<&str>,
    mut input: Box<dyn Read>,
) -> io::Result<(Chosen, Box<dyn Read>)> {
    match content_type {
        Some(ct) => {
            let n = format_for_content_type(ct, Some(ScrapeProtocol::PrometheusText0_0_4))
                .map_err(io::Error::other)?;
            if let Some(reason) = &n.fallback_reason {
                eprintln!("warning: {reason}; using the Prometheus text format");
            }
            let chosen = match n.format {
                promtext::content_type::Format::Protobuf => Chosen::Protobuf,
                _ => Chosen::Text(n.dialect),
            };
            Ok((chosen, input))
        }
        None => {
            let mut head = Vec::with_capacity(64 * 1024);
            (&mut input).take(64 * 1024).read_to_end(&mut head)?;
            let chosen = if is_protobuf(&head) {
                Chosen::Protobuf
            } else {
                Chosen::Text(sniff(&head))
            };
            Ok((chosen, Box::new(io::Cursor::new(head).chain(input))))
        }
    }
}

/// Protobuf when unambiguous: the head starts with a complete, valid family and not like text.
pub fn is_protobuf(head: &[u8]) -> bool {
    looks_like_protobuf(head) && !looks_like_text(head)
}

fn write_pb_labels<'a>(
    out: &mut impl Write,
    labels: impl Iterator<Item = (&'a str, &'a str)>,
) -> io::Result<()> {
    json_labels(
        out,
        labels.map(|(n, v)| promtext::Label {
            name: n.into(),
            value: v.into(),
        }),
    )
}

fn write_ts(out: &mut impl Write, key: &str, ts: Option<i64>) -> io::Result<()> {
    match ts {
        Some(ts) => write!(out, ",\"{key}\":{ts}"),
        None => write!(out, ",\"{key}\":null"),
    }
}

/// One protobuf event as a JSON object (`kind`: help, unit, type, sample, histogram).
pub fn write_pb_event(out: &mut impl Write, ev: &promtext::protobuf::Event<'_>) -> io::Result<()> {
    use promtext::protobuf::Event as E;
    match ev {
        E::Help(h) => {
            json_metadata(out, "help", h.name, h.text)?;
            out.write_all(b"}")?;
        }
        E::Unit(u) => {
            json_metadata(out, "unit", u.name, u.unit)?;
            out.write_all(b"}")?;
        }
        E::Type(t) => {
            json_metadata(out, "type", t.name, t.metric_type.as_str())?;
            out.write_all(b"}")?;
        }
        E::Sample(s) => {
            out.write_all(b"{\"kind\":\"sample\",\"name\":")?;
            json_str(out, &s.name().to_string())?;
            out.write_all(b",\"labels\":")?;
            json_labels(out, s.labels())?;
            out.write_all(b",\"value\":")?;
            json_value(out, s.value())?;
            write_ts(out, "timestamp_ms", s.timestamp_ms())?;
            write_ts(out, "start_timestamp_ms", s.start_timestamp_ms())?;
            if let Some(e) = s.exemplar() {
                out.write_all(b",\"exemplar\":{\"labels\":")?;
                write_pb_labels(out, e.labels())?;
                out.write_all(b",\"value\":")?;
                json_value(out, e.value())?;
                write_ts(out, "timestamp_ms", e.timestamp_ms())?;
                out.write_all(b"}")?;
            }
            write!(out, ",\"offset\":{}}}", s.offset())?;
        }
        E::Histogram(h) => return write_pb_histogram(out, h),
        _ => return Ok(()),
    }
    out.write_all(b"\n")
}

/// One native histogram as a JSON line (`kind`: histogram): schema, spans, buckets with their
/// bounds, custom values for schema −53, exemplars.
pub fn write_pb_histogram(
    out: &mut impl Write,
    h: &promtext::protobuf::NativeHistogram<'_>,
) -> io::Result<()> {
    out.write_all(b"{\"kind\":\"histogram\",\"name\":")?;
    json_str(out, h.name())?;
    out.write_all(b",\"labels\":")?;
    write_pb_labels(out, h.labels())?;
    write!(
        out,
        ",\"gauge\":{},\"schema\":{},\"count\":",
        h.is_gauge(),
        h.schema()
    )?;
    json_value(out, h.count())?;
    out.write_all(b",\"sum\":")?;
    json_value(out, h.sum())?;
    out.write_all(b",\"zero_threshold\":")?;
    json_value(out, h.zero_threshold())?;
    out.write_all(b",\"zero_count\":")?;
    json_value(out, h.zero_count())?;
    for (key, spans) in [
        ("positive_spans", h.positive_spans()),
        ("negative_spans", h.negative_spans()),
    ] {
        write!(out, ",\"{key}\":[")?;
        for (i, (off, len)) in spans.enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            write!(out, "[{off},{len}]")?;
        }
        out.write_all(b"]")?;
    }
    for (key, buckets) in [
        ("positive_buckets", h.positive_buckets()),
        ("negative_buckets", h.negative_buckets()),
    ] {
        write!(out, ",\"{key}\":[")?;
        for (i, b) in buckets.enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            write!(out, "{{\"index\":{},\"lower\":", b.index)?;
            json_value(out, b.lower)?;
            out.write_all(b",\"upper\":")?;
            json_value(out, b.upper)?;
            out.write_all(b",\"count\":")?;
            json_value(out, b.count)?;
            out.write_all(b"}")?;
        }
        out.write_all(b"]")?;
    }
    write_ts(out, "timestamp_ms", h.timestamp_ms())?;
    write_ts(out, "start_timestamp_ms", h.start_timestamp_ms())?;
    if h.schema() == -53 {
        out.write_all(b",\"custom_values\":[")?;
        for (i, v) in h.custom_values().iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            json_value(out, *v)?;
        }
        out.write_all(b"]")?;
    }
    let exemplars = h.exemplars();
    if exemplars.clone().next().is_some() {
        out.write_all(b",\"exemplars\":[")?;
        for (i, e) in exemplars.enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(b"{\"labels\":")?;
            write_pb_labels(out, e.labels())?;
            out.write_all(b",\"value\":")?;
            json_value(out, e.value())?;
            write_ts(out, "timestamp_ms", e.timestamp_ms())?;
            out.write_all(b"}")?;
        }
        out.write_all(b"]")?;
    }
    write!(out, ",\"offset\":{}}}", h.offset())?;
    out.write_all(b"\n")
}

/// After the classic-histogram converter took an event: a histogram it finished counts as one
/// sample (printed in `jsonl`); whether the event itself goes on.
fn converted(
    c: &promtext::nhcb::Converter,
    a: promtext::nhcb::Action,
    stats: &mut Stats,
    output: Output,
    out: &mut impl Write,
) -> Result<bool, ParseFailure> {
    if let Some(h) = c.histogram().filter(|_| a.histogram) {
        stats.samples += 1;
        if output == Output::Jsonl {
            write_pb_histogram(out, &h).map_err(ParseFailure::Io)?;
        }
    }
    Ok(a.event)
}

/// [`parse_reader`] for a protobuf body: a native histogram counts as one sample.
/// With `nhcb` `Some(keep_classic)`, classic histograms are converted to custom buckets;
/// `limits` are checked as the labels are read.
pub fn parse_protobuf_reader(
    reader: impl Read,
    nhcb: Option<bool>,
    limits: promtext::LabelLimits,
    output: Output,
    out: &mut impl Write,
) -> Result<Stats, ParseFailure> {
    let mut counting = Counting {
        inner: reader,
        n: 0,
    };
    let settings = promtext::protobuf::Settings::default()
        .classic_histograms(nhcb.is_some())
        .label_limits(limits);
    let mut conv = nhcb.map(promtext::nhcb::Converter::new);
    let mut p = promtext::protobuf::ReadParser::new(&mut counting, settings);
    let mut stats = Stats::default();
    while let Some(ev) = p.next_event() {
        let ev = ev.map_err(ParseFailure::Parse)?;
        if let Some(c) = &mut conv {
            let a = c.push_protobuf(&ev).map_err(ParseFailure::Parse)?;
            if !converted(c, a, &mut stats, output, out)? {
                continue;
            }
        }
        if matches!(
            ev,
            promtext::protobuf::Event::Sample(_) | promtext::protobuf::Event::Histogram(_)
        ) {
            stats.samples += 1;
        }
        if output == Output::Jsonl {
            write_pb_event(out, &ev).map_err(ParseFailure::Io)?;
        }
    }
    if let Some(c) = &mut conv {
        let ready = c.finish_protobuf().map_err(ParseFailure::Parse)?;
        if let Some(h) = c.histogram().filter(|_| ready) {
            stats.samples += 1;
            if output == Output::Jsonl {
                write_pb_histogram(out, &h).map_err(ParseFailure::Io)?;
            }
        }
    }
    stats.families = p.families_read() as usize;
    drop(p);
    stats.bytes = counting.n;
    Ok(stats)
}

/// OpenMetrics when the text shows something only OpenMetrics has.
pub fn sniff(head: &[u8]) -> Dialect {
    let text = String::from_utf8_lossy(head);
    let om = text.lines().any(|l| {
        l == "# EOF"
            || l.starts_with("# UNIT ")
            || (l.starts_with("# TYPE ")
                && ["gaugehistogram", "stateset", "info", "unknown"]
                    .iter()
                    .any(|t| l.ends_with(&format!(" {t}"))))
            || (!l.starts_with('#') && l.contains(" # {"))
    });
    if om {
        Dialect::OpenMetrics
    } else {
        Dialect::Prometheus
    }
}
