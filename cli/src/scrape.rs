//! `promtext scrape`: one scrape of a captured body, as Prometheus would store it; and the default scenario
//! (`promtext` with no arguments).

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use promtext::config::{ConfigDocument, ScrapeJob, ScrapeLimits, parse_bytes};
use promtext::relabel::NameValidationScheme;
use promtext::relabel::parse_series;
use promtext::scrape::{
    Appender, HistogramSeries, ScrapeConfig, ScrapeReport, Scraper, Series, Target, TargetOutcome,
};
use promtext_gen::seed;

use crate::output::{
    human_bytes, is_broken_pipe, json_label_object, json_sample_open, json_str, json_value,
    open_input,
};

/// What `scrape` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScrapeOutput {
    /// The final series in the Prometheus text format (written only when the scrape succeeds).
    Exposition,
    /// One JSON object per final series (written only when the scrape succeeds), then a report object
    /// (`kind` `report`).
    Jsonl,
    /// The target, the scrape report and the top families by series count (memory stays bounded).
    Summary,
}

/// Arguments of `promtext scrape`.
///
/// Exit codes: 0 the scrape succeeded (`up` 1); 1 the scrape failed or the target was dropped; 2 usage,
/// configuration or I/O error.
#[derive(Args, Debug)]
#[command(
    after_help = "Exit codes: 0 the scrape succeeded (up 1); 1 the scrape failed or the target was dropped; \
                  2 usage, configuration or I/O error."
)]
pub struct ScrapeArgs {
    /// The response body: a file, `-`/nothing for standard input (possibly compressed), or an `http://` or
    /// `https://` URL scraped live (its Content-Type and Content-Encoding headers are used).
    pub input: Option<String>,
    /// Scrape the target's own URL (`__scheme__://__address____metrics_path__?params` after `relabel_configs`)
    /// instead of reading a body.
    #[arg(long, conflicts_with = "input")]
    pub fetch: bool,
    /// A prometheus.yml, operator values with `additionalScrapeConfigs:`, or a single job. Without it: no rules,
    /// job `promtext`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The job (required when the config has several).
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,
    /// Discovered target labels in series notation, e.g. `{__address__="10.0.0.1:15090",__meta_kubernetes_namespace="default"}`,
    /// as a JSON object, or as one target of `/api/v1/targets` (its `discoveredLabels`); `relabel_configs` run
    /// over them. A whole `/api/v1/targets` response scrapes every active target of the job's pool live, like
    /// --pods. `@FILE` reads the value from a file. Default: `{__address__="localhost"}`.
    #[arg(long, value_name = "LABELS")]
    pub target_labels: Option<String>,
    /// The response's Content-Type (default: a URL's Content-Type header, else `text/plain; version=0.0.4`).
    #[arg(long, value_name = "VALUE")]
    pub content_type: Option<String>,
    /// The response's Content-Encoding: identity, gzip, zstd, br, or auto (gzip and zstd detected by their magic
    /// bytes).
    #[arg(long, value_name = "E", default_value = "auto")]
    pub content_encoding: String,
    /// The body's format: `protobuf` sends the protobuf Content-Type (overriding
    /// `--content-type`); `auto` reads an uncompressed body as protobuf when it unambiguously is
    /// one and no Content-Type was given (neither `--content-type` nor a URL's header).
    #[arg(long, value_enum, default_value_t = ScrapeFormat::Auto)]
    pub format: ScrapeFormat,
    /// Override the job's honor_labels with true.
    #[arg(long)]
    pub honor_labels: bool,
    /// Ingest native histograms (`scrape_native_histograms: true`); otherwise a protobuf body's
    /// native histograms yield their classic series only.
    #[arg(long)]
    pub native_histograms: bool,
    /// Convert classic histograms to native histograms with custom buckets
    /// (`convert_classic_histograms_to_nhcb: true`); their classic series stay only with the job's
    /// `always_scrape_classic_histograms`.
    #[arg(long)]
    pub nhcb: bool,
    /// Override the job's sample_limit.
    #[arg(long, value_name = "N")]
    pub sample_limit: Option<u64>,
    /// Override the job's label_limit.
    #[arg(long, value_name = "N")]
    pub label_limit: Option<u64>,
    /// Override the job's label_name_length_limit.
    #[arg(long, value_name = "N")]
    pub label_name_length_limit: Option<u64>,
    /// Override the job's label_value_length_limit.
    #[arg(long, value_name = "N")]
    pub label_value_length_limit: Option<u64>,
    /// Override the job's body_size_limit (bytes, or with a unit: 10MB, 1GiB).
    #[arg(long, value_name = "SIZE")]
    pub body_size_limit: Option<String>,
    /// Skip bad lines, invalid series and samples over the sample limit (counted) instead of failing the scrape.
    #[arg(long)]
    pub lenient: bool,
    /// Maximum entries of the per-series cache (series beyond it are relabeled on every sample, not cached);
    /// bounds memory on bodies with millions of distinct series.
    #[arg(long, value_name = "N", default_value_t = promtext::scrape::DEFAULT_CACHE_ENTRIES)]
    pub cache_entries: usize,
    /// Byte budget of the per-series cache (bytes, or with a unit: 64MiB); series beyond it are relabeled on every
    /// sample, not cached.
    #[arg(long, value_name = "SIZE", default_value = "64MiB")]
    pub cache_bytes: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScrapeOutput::Summary)]
    pub output: ScrapeOutput,
    /// How many families `summary` lists.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Scrape every active target the job's Kubernetes pod discovery yields from this pod list (`kubectl get pods
    /// -A -o json`, `-` for standard input), as `promtext targets` computes them; prints one report per target.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["input", "fetch", "target_labels"])]
    pub pods: Option<String>,
    /// Nodes for `attach_metadata` (with --pods).
    #[arg(long, value_name = "FILE", requires = "pods")]
    pub nodes: Option<String>,
    /// Namespaces for `attach_metadata` (with --pods).
    #[arg(long, value_name = "FILE", requires = "pods")]
    pub namespaces: Option<String>,
    /// How many targets are scraped at once (with --pods).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: usize,
    /// Options for a live scrape.
    #[command(flatten)]
    pub http: crate::http::HttpArgs,
}

/// `promtext scrape --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScrapeFormat {
    /// By `--content-type`, or detected.
    Auto,
    /// By `--content-type` only.
    ContentType,
    /// The protobuf exposition.
    Protobuf,
}

/// The Content-Type Envoy sends with a protobuf body.
const PROTOBUF_CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

fn fail(code: u8, msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(code)
}

/// Families the summary counts by name at most; the series of further families are counted together.
const MAX_FAMILIES: usize = 100_000;
/// The summary's name for the families beyond [`MAX_FAMILIES`].
const OTHER_FAMILIES: &str = "(families beyond the first 100000)";

/// Counts final series per family; staged until commit.
#[derive(Default)]
struct FamilyCounter {
    staged: HashMap<String, u64>,
    committed: HashMap<String, u64>,
}

/// The family a final series belongs to: its name without a histogram/summary suffix.
fn family_of(name: &str) -> &str {
    for suf in ["_bucket", "_sum", "_count"] {
        if let Some(f) = name.strip_suffix(suf) {
            return f;
        }
    }
    name
}

impl FamilyCounter {
    fn count(&mut self, family: &str) {
        let mut f = family;
        let known = self.staged.len() + self.committed.len();
        if known >= MAX_FAMILIES && !self.staged.contains_key(f) && !self.committed.contains_key(f)
        {
            f = OTHER_FAMILIES;
        }
        match self.staged.get_mut(f) {
            Some(n) => *n += 1,
            None => {
                self.staged.insert(f.to_string(), 1);
            }
        }
    }
}

impl Appender for FamilyCounter {
    fn append(&mut self, s: &Series<'_>) {
        self.count(family_of(s.name()));
    }
    fn append_histogram(&mut self, h: &HistogramSeries<'_>) {
        self.count(h.labels.get("__name__").unwrap_or_default());
    }
    fn commit(&mut self) {
        for (k, v) in self.staged.drain() {
            *self.committed.entry(k).or_default() += v;
        }
    }
    fn rollback(&mut self) {
        self.staged.clear();
    }
}

/// Renders series into a spool that is written out only after a successful scrape.
struct Render {
    jsonl: bool,
    staged: Spool,
    text: String,
    line: Vec<u8>,
}

impl Appender for Render {
    fn append(&mut self, s: &Series<'_>) {
        if self.jsonl {
            self.line.clear();
            let _ = write_json_series(&mut self.line, s);
            self.staged.push(&self.line);
        } else {
            self.text.clear();
            s.write_exposition(&mut self.text);
            self.staged.push(self.text.as_bytes());
        }
    }
    fn append_histogram(&mut self, h: &HistogramSeries<'_>) {
        self.line.clear();
        if self.jsonl {
            let _ = write_json_histogram(&mut self.line, h);
        } else {
            // The text format cannot carry a native histogram: a comment keeps it visible.
            let _ = write!(
                self.line,
                "# native histogram {} schema={} count={} sum={} zero_threshold={} zero_count={} positive={:?} negative={:?}",
                h.labels,
                h.schema,
                h.count,
                h.sum,
                h.zero_threshold,
                h.zero_count,
                h.positive,
                h.negative
            );
            if let Some(ts) = h.timestamp_ms {
                let _ = write!(self.line, " timestamp_ms={ts}");
            }
            self.line.push(b'\n');
        }
        self.staged.push(&self.line);
    }
    fn rollback(&mut self) {
        self.staged.clear();
    }
}

/// Output held until the scrape's verdict: in memory up to [`Spool::MEMORY`] bytes, then in an unnamed temporary
/// file, so memory stays bounded whatever the number of series.
#[derive(Default)]
struct Spool {
    mem: Vec<u8>,
    file: Option<std::fs::File>,
    /// The first error writing the file (reported when the output is written).
    error: Option<io::Error>,
}

impl Spool {
    const MEMORY: usize = 8 << 20;

    fn push(&mut self, bytes: &[u8]) {
        self.mem.extend_from_slice(bytes);
        if self.mem.len() >= Self::MEMORY && self.error.is_none() {
            if let Err(e) = self.spill() {
                self.error = Some(e);
            }
        }
    }

    fn spill(&mut self) -> io::Result<()> {
        if self.file.is_none() {
            self.file = Some(temp_file()?);
        }
        if let Some(f) = &mut self.file {
            f.write_all(&self.mem)?;
        }
        self.mem.clear();
        Ok(())
    }

    fn clear(&mut self) {
        self.mem.clear();
        if let Some(f) = &mut self.file {
            use std::io::Seek;
            let _ = f.set_len(0).and_then(|()| f.rewind());
        }
    }

    /// Copies everything to `out`.
    fn write_to(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if let Some(f) = &mut self.file {
            use std::io::Seek;
            f.rewind()?;
            io::copy(f, out)?;
        }
        out.write_all(&self.mem)
    }
}

/// A temporary file that is gone once closed (removed right after creation where the platform allows it).
fn temp_file() -> io::Result<std::fs::File> {
    let dir = std::env::temp_dir();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    for attempt in 0..100u32 {
        let path = dir.join(format!(
            "promtext-scrape-{}-{nanos}-{attempt}.tmp",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => {
                let _ = std::fs::remove_file(&path);
                return Ok(f);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("no temporary file name left"))
}

fn write_json_histogram(out: &mut Vec<u8>, h: &HistogramSeries<'_>) -> io::Result<()> {
    out.write_all(b"{\"kind\":\"histogram\",\"name\":")?;
    json_str(out, h.labels.get("__name__").unwrap_or_default())?;
    out.write_all(b",\"labels\":")?;
    json_label_object(out, h.labels.iter().filter(|(n, _)| *n != "__name__"))?;
    write!(out, ",\"histogram\":{{\"schema\":{},\"count\":", h.schema)?;
    json_value(out, h.count)?;
    out.write_all(b",\"sum\":")?;
    json_value(out, h.sum)?;
    out.write_all(b",\"zero_threshold\":")?;
    json_value(out, h.zero_threshold)?;
    out.write_all(b",\"zero_count\":")?;
    json_value(out, h.zero_count)?;
    for (key, buckets, neg) in [
        ("positive", h.positive, false),
        ("negative", h.negative, true),
    ] {
        write!(out, ",\"{key}\":[")?;
        for (i, &(idx, c)) in buckets.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            let bound = |i: i64| {
                if h.schema == -53 {
                    promtext::protobuf::custom_bound(i, h.custom_values)
                } else {
                    promtext::protobuf::bound(i, h.schema)
                }
            };
            let (lo, hi) = (bound(idx as i64 - 1), bound(idx as i64));
            let (lo, hi) = if neg { (-hi, -lo) } else { (lo, hi) };
            write!(out, "{{\"index\":{idx},\"lower\":")?;
            json_value(out, lo)?;
            out.write_all(b",\"upper\":")?;
            json_value(out, hi)?;
            out.write_all(b",\"count\":")?;
            json_value(out, c)?;
            out.write_all(b"}")?;
        }
        out.write_all(b"]")?;
    }
    if h.schema == -53 {
        out.write_all(b",\"custom_values\":[")?;
        for (i, v) in h.custom_values.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            json_value(out, *v)?;
        }
        out.write_all(b"]")?;
    }
    out.write_all(b"}")?;
    match h.timestamp_ms {
        Some(ts) => write!(out, ",\"timestamp_ms\":{ts}")?,
        None => out.write_all(b",\"timestamp_ms\":null")?,
    }
    writeln!(out, "}}")
}

fn write_json_series(out: &mut Vec<u8>, s: &Series<'_>) -> io::Result<()> {
    json_sample_open(out, s.name(), s.labels.iter(), s.value, s.timestamp_ms)?;
    out.write_all(b"}\n")
}

/// The machine-readable report closing `--output jsonl`: the target, the `scrape_*` series Prometheus writes and
/// the counts behind them.
pub fn write_json_report(
    out: &mut dyn Write,
    target: &Target,
    r: &ScrapeReport,
    encoding: &str,
) -> io::Result<()> {
    out.write_all(b"{\"kind\":\"report\",\"target\":")?;
    json_label_object(out, target.labels().iter())?;
    out.write_all(b",\"scrapeUrl\":")?;
    json_str(out, &target.url())?;
    let body: i64 = if matches!(r.error, Some(promtext::scrape::ScrapeError::BodySizeLimit)) {
        -1
    } else {
        r.body_bytes as i64
    };
    write!(
        out,
        ",\"up\":{},\"scrape_duration_seconds\":{},\"scrape_samples_scraped\":{},\
         \"scrape_samples_post_metric_relabeling\":{},\"scrape_series_added\":{},\"scrape_sample_limit\":{},\
         \"scrape_body_size_bytes\":{body},\"wire_bytes\":{},\"content_encoding\":",
        u8::from(r.up()),
        r.duration.as_secs_f64(),
        r.samples_scraped,
        r.samples_post_relabel,
        r.series_added,
        r.sample_limit,
        r.wire_bytes,
    )?;
    json_str(out, encoding)?;
    out.write_all(b",\"dialect\":")?;
    json_str(out, &format!("{:?}", r.dialect))?;
    write!(
        out,
        ",\"dropped_by_relabel\":{},\"bad_lines_skipped\":{},\"invalid_series_skipped\":{},\
         \"samples_over_limit\":{},\"duplicate_samples\":{},\"errors\":[",
        r.dropped_by_relabel,
        r.bad_lines_skipped,
        r.invalid_series_skipped,
        r.samples_over_limit,
        r.duplicate_samples,
    )?;
    if let Some(e) = &r.error {
        json_str(out, &e.to_string())?;
    }
    out.write_all(b"]")?;
    if let Some(f) = &r.content_type_fallback {
        out.write_all(b",\"content_type_fallback\":")?;
        json_str(out, &f.to_string())?;
    }
    out.write_all(b"}\n")
}

/// `--target-labels @FILE` reads the value from a file.
fn read_at_file(s: &str) -> Result<String, String> {
    match s.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}")),
        None => Ok(s.to_string()),
    }
}

/// One active target of a `/api/v1/targets` response: its `scrapePool` and `discoveredLabels`.
type ListedTarget = (Option<String>, Vec<(String, String)>);

/// The active targets of a whole `/api/v1/targets` response; `None` when `s` is not one.
fn api_targets(s: &str) -> Option<Result<Vec<ListedTarget>, String>> {
    let v: serde_json::Value = serde_json::from_str(s.trim_start()).ok()?;
    let active = v.get("data")?.get("activeTargets")?.as_array()?;
    Some(
        active
            .iter()
            .map(|t| {
                let pool = t
                    .get("scrapePool")
                    .and_then(|p| p.as_str())
                    .map(str::to_string);
                let labels = t
                    .get("discoveredLabels")
                    .and_then(|l| l.as_object())
                    .ok_or("an active target without discoveredLabels")?
                    .iter()
                    .map(|(k, v)| match v.as_str() {
                        Some(v) => Ok((k.clone(), v.to_string())),
                        None => Err(format!("label {k:?}: the value must be a string")),
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                Ok((pool, labels))
            })
            .collect(),
    )
}

/// The scrape targets the job makes of the listed targets of its own pool (`relabel_configs` run
/// again over each one's discovered labels); targets it drops are left out.
fn api_targets_of_job(job: &ScrapeJob, listed: Vec<ListedTarget>) -> Result<Vec<Target>, String> {
    let mut out = Vec::new();
    for (pool, labels) in listed {
        if pool.is_some_and(|p| p != job.job_name) {
            continue;
        }
        match Target::from_discovered(job, &labels) {
            Ok(TargetOutcome::Kept(t)) => out.push(t),
            Ok(TargetOutcome::Dropped(_)) => {}
            Err(e) => return Err(format!("target {}: {e}", format_pairs_of(&labels))),
        }
    }
    Ok(out)
}

fn format_pairs_of(labels: &[(String, String)]) -> String {
    promtext::relabel::Labels::from_pairs(labels.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        .to_string()
}

/// Parses `--target-labels`: series notation, a JSON object of labels, or one target of `/api/v1/targets`
/// (its `discoveredLabels`).
pub fn parse_target_labels(s: &str) -> Result<Vec<(String, String)>, String> {
    let t = s.trim_start();
    if t.starts_with("{\"") && t.contains("\":") {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(t) {
            let obj = v
                .get("discoveredLabels")
                .unwrap_or(&v)
                .as_object()
                .ok_or("a JSON object of labels, or a target with discoveredLabels")?;
            return obj
                .iter()
                .map(|(k, v)| match v.as_str() {
                    Some(v) => Ok((k.clone(), v.to_string())),
                    None => Err(format!("label {k:?}: the value must be a string")),
                })
                .collect();
        }
    }
    parse_series(s).map_err(|e| e.to_string())
}

fn load_job(args: &ScrapeArgs) -> Result<ScrapeJob, String> {
    let mut job = match &args.config {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let doc = ConfigDocument::from_yaml(&text)
                .map_err(|e| crate::output::config_error(&path.display().to_string(), &text, &e))?;
            match &doc {
                ConfigDocument::Rules(r) => {
                    // A bare rule list: taken as metric_relabel_configs.
                    let mut j = empty_job(args.job.as_deref().unwrap_or("promtext"));
                    j.metric_relabel_configs = r.clone();
                    j
                }
                ConfigDocument::Jobs(_) => {
                    let sel = doc
                        .select(args.job.as_deref(), None)
                        .map_err(|e| e.to_string())?;
                    sel.job.cloned().ok_or("no job in the config")?
                }
                _ => return Err("the config holds no scrape job".into()),
            }
        }
        None => empty_job(args.job.as_deref().unwrap_or("promtext")),
    };
    if args.honor_labels {
        job.honor_labels = true;
    }
    if args.native_histograms {
        job.protocols.scrape_native_histograms = true;
    }
    if args.nhcb {
        job.protocols.convert_classic_histograms_to_nhcb = true;
    }
    let l = &mut job.limits;
    for (dst, src) in [
        (&mut l.sample_limit, args.sample_limit),
        (&mut l.label_limit, args.label_limit),
        (&mut l.label_name_length_limit, args.label_name_length_limit),
        (
            &mut l.label_value_length_limit,
            args.label_value_length_limit,
        ),
    ] {
        if let Some(v) = src {
            *dst = v;
        }
    }
    if let Some(s) = &args.body_size_limit {
        l.body_size_limit = parse_bytes(s).ok_or_else(|| format!("bad --body-size-limit {s:?}"))?;
    }
    Ok(job)
}

fn empty_job(name: &str) -> ScrapeJob {
    ScrapeJob {
        job_name: name.to_string(),
        metrics_path: "/metrics".into(),
        scheme: "http".into(),
        honor_labels: false,
        honor_timestamps: true,
        params: Default::default(),
        scrape_interval: None,
        scrape_timeout: None,
        limits: ScrapeLimits::default(),
        name_validation_scheme: NameValidationScheme::Utf8,
        relabel_configs: Vec::new(),
        metric_relabel_configs: Vec::new(),
        kubernetes_sd_configs: Vec::new(),
        metric_name_escaping_scheme: String::new(),
        http_client: Default::default(),
        protocols: Default::default(),
    }
}

/// Reads the first chunk (for encoding detection), then streams the rest.
fn sniff_encoding(first: &[u8]) -> &'static str {
    if first.starts_with(&[0x1f, 0x8b]) {
        "gzip"
    } else if first.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        "zstd"
    } else {
        "identity"
    }
}

/// Runs `promtext scrape`.
pub fn run(args: ScrapeArgs) -> ExitCode {
    let job = match load_job(&args) {
        Ok(j) => j,
        Err(e) => return fail(2, e),
    };
    let base = args
        .config
        .as_deref()
        .and_then(|p| p.parent())
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let http = match args.http.for_job(&job, &base) {
        Ok(h) => h,
        Err(e) => return fail(2, e),
    };
    if args.pods.is_some() {
        return run_discovered(&args, &job, &http);
    }
    let target_labels = match args.target_labels.as_deref().map(read_at_file) {
        Some(Err(e)) => return fail(2, format!("--target-labels: {e}")),
        Some(Ok(s)) => Some(s),
        None => None,
    };
    if let Some(listed) = target_labels.as_deref().and_then(api_targets) {
        let targets = match listed.and_then(|l| api_targets_of_job(&job, l)) {
            Ok(t) => t,
            Err(e) => return fail(2, format!("--target-labels: {e}")),
        };
        return scrape_targets(&args, &job, &http, targets);
    }
    let discovered = match &target_labels {
        Some(s) => match parse_target_labels(s) {
            Ok(v) => v,
            Err(e) => return fail(2, format!("--target-labels: {e}")),
        },
        None => vec![("__address__".to_string(), "localhost".to_string())],
    };
    let target = match Target::from_discovered(&job, &discovered) {
        Ok(TargetOutcome::Kept(t)) => t,
        Ok(TargetOutcome::Dropped(l)) => {
            return fail(1, format!("target dropped by relabel_configs: {l}"));
        }
        Err(e) => return fail(1, format!("target: {e}")),
    };
    let mut cfg = match ScrapeConfig::from_job(&job) {
        Ok(c) => c,
        Err(e) => return fail(2, e),
    };
    cfg.options.lenient = args.lenient;
    cfg.options.cache_max_entries = args.cache_entries;
    cfg.options.cache_max_bytes = match parse_bytes(&args.cache_bytes) {
        Some(b) => usize::try_from(b).unwrap_or(usize::MAX),
        None => return fail(2, format!("bad --cache-bytes {:?}", args.cache_bytes)),
    };
    let url = match (&args.input, args.fetch) {
        (_, true) => Some(target.url()),
        (Some(i), _) if crate::http::is_url(i) => Some(i.clone()),
        _ => None,
    };
    let (mut input, header_type, header_encoding): (Box<dyn Read>, String, String) = match &url {
        Some(url) => {
            let timeout = match http.timeout(job.scrape_timeout.as_deref()) {
                Ok(t) => t,
                Err(e) => return fail(2, e),
            };
            match http.fetch(url, timeout, &job.accept_header()) {
                Ok(r) => (Box::new(r.body), r.content_type, r.content_encoding),
                // The target is down: Prometheus' `up` 0.
                Err(e) => return fail(1, format!("scrape failed: {e}")),
            }
        }
        None => match open_input(args.input.as_deref()) {
            Ok(r) => (r, String::new(), String::new()),
            Err(e) => return fail(2, e),
        },
    };
    // Detection only when nobody named the type (neither --content-type nor the response).
    let default_ct = args.content_type.is_none() && header_type.is_empty();
    let content_type = args
        .content_type
        .clone()
        .or(Some(header_type).filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "text/plain; version=0.0.4".to_string());
    let mut scraper = Scraper::new(cfg, &target);
    let mut buf = vec![0u8; 64 << 10];
    let first = match read_some(&mut input, &mut buf) {
        Ok(n) => n,
        Err(e) => return fail(2, e),
    };
    let encoding = if args.content_encoding != "auto" {
        args.content_encoding.clone()
    } else if !header_encoding.is_empty() {
        header_encoding
    } else {
        sniff_encoding(&buf[..first]).to_string()
    };
    let content_type = match args.format {
        ScrapeFormat::Protobuf => PROTOBUF_CONTENT_TYPE.to_string(),
        ScrapeFormat::Auto
            if default_ct
                && matches!(encoding.as_str(), "identity" | "")
                && crate::parse::is_protobuf(&buf[..first]) =>
        {
            eprintln!("note: the body is protobuf; scraping it as {PROTOBUF_CONTENT_TYPE}");
            PROTOBUF_CONTENT_TYPE.to_string()
        }
        _ => content_type,
    };
    let stdout = io::stdout();
    match args.output {
        ScrapeOutput::Summary => {
            let mut app = FamilyCounter::default();
            let report = match stream(
                &mut scraper,
                &content_type,
                &encoding,
                &mut input,
                &mut buf,
                first,
                &mut app,
            ) {
                Ok(r) => r,
                Err(e) => return fail(2, e),
            };
            let mut out = stdout.lock();
            let r = print_target(&mut out, &job, &discovered, &target)
                .and_then(|()| print_report(&mut out, &report, &encoding))
                .and_then(|()| print_peak_rss(&mut out))
                .and_then(|()| print_top(&mut out, &app.committed, args.top));
            if let Err(e) = r {
                if !is_broken_pipe(&e) {
                    return fail(2, e);
                }
            }
            exit_for(&report)
        }
        ScrapeOutput::Exposition | ScrapeOutput::Jsonl => {
            let mut app = Render {
                jsonl: args.output == ScrapeOutput::Jsonl,
                staged: Spool::default(),
                text: String::new(),
                line: Vec::new(),
            };
            let report = match stream(
                &mut scraper,
                &content_type,
                &encoding,
                &mut input,
                &mut buf,
                first,
                &mut app,
            ) {
                Ok(r) => r,
                Err(e) => return fail(2, e),
            };
            let jsonl = app.jsonl;
            let mut out = stdout.lock();
            let mut w = || -> io::Result<()> {
                if report.up() {
                    app.staged.write_to(&mut out)?;
                }
                if jsonl {
                    write_json_report(&mut out, &target, &report, &encoding)?;
                }
                out.flush()
            };
            if let Err(e) = w() {
                if !is_broken_pipe(&e) {
                    return fail(2, e);
                }
            }
            if !jsonl {
                let mut err = io::stderr().lock();
                let _ = print_report(&mut err, &report, &encoding);
            }
            exit_for(&report)
        }
    }
}

fn exit_for(report: &ScrapeReport) -> ExitCode {
    match &report.error {
        None => ExitCode::SUCCESS,
        Some(e) => fail(1, format!("scrape failed: {e}")),
    }
}

fn read_some(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Streams the input through a scrape; I/O errors are returned (exit 2), scrape failures are in the report.
#[allow(clippy::too_many_arguments)]
fn stream<A: Appender>(
    scraper: &mut Scraper,
    content_type: &str,
    encoding: &str,
    input: &mut dyn Read,
    buf: &mut [u8],
    first: usize,
    app: &mut A,
) -> io::Result<ScrapeReport> {
    let mut s = scraper.begin(content_type, encoding);
    let mut n = first;
    while n > 0 {
        if s.feed(&buf[..n], app).is_err() {
            break;
        }
        n = read_some(input, buf)?;
    }
    Ok(s.finish(app))
}

/// Prints the target: discovered address, final labels, URL.
pub fn print_target(
    out: &mut dyn Write,
    job: &ScrapeJob,
    discovered: &[(String, String)],
    target: &Target,
) -> io::Result<()> {
    let addr = discovered
        .iter()
        .find(|(n, _)| n == "__address__")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    writeln!(out, "target (job {:?}): kept", job.job_name)?;
    writeln!(out, "  discovered address  {addr}")?;
    writeln!(out, "  scrape URL          {}", target.url())?;
    writeln!(out, "  labels              {}", target.labels())?;
    Ok(())
}

/// Prints the scrape report.
pub fn print_report(out: &mut dyn Write, r: &ScrapeReport, encoding: &str) -> io::Result<()> {
    writeln!(
        out,
        "scrape: {}",
        if r.up() { "up" } else { "FAILED (up 0)" }
    )?;
    if let Some(e) = &r.error {
        writeln!(out, "  error                              {e}")?;
    }
    writeln!(
        out,
        "  bytes (wire / body)                {} / {} ({encoding}, {:?})",
        human_bytes(r.wire_bytes),
        human_bytes(r.body_bytes),
        r.format
    )?;
    if r.native_histograms > 0 {
        writeln!(
            out,
            "  native histograms (one sample each) {}",
            r.native_histograms
        )?;
    }
    if let Some(f) = &r.content_type_fallback {
        writeln!(out, "  content type fallback              {f}")?;
    }
    writeln!(
        out,
        "  scrape_duration_seconds            {:.6}",
        r.duration.as_secs_f64()
    )?;
    writeln!(
        out,
        "  scrape_samples_scraped             {}",
        r.samples_scraped
    )?;
    writeln!(
        out,
        "  scrape_samples_post_metric_relabeling {}",
        r.samples_post_relabel
    )?;
    writeln!(
        out,
        "  scrape_series_added                {}",
        r.series_added
    )?;
    writeln!(
        out,
        "  dropped by metric relabeling       {}",
        r.dropped_by_relabel
    )?;
    writeln!(
        out,
        "  bad lines skipped                  {}",
        r.bad_lines_skipped
    )?;
    writeln!(
        out,
        "  invalid series skipped             {}",
        r.invalid_series_skipped
    )?;
    writeln!(
        out,
        "  samples over sample_limit skipped  {}",
        r.samples_over_limit
    )?;
    writeln!(
        out,
        "  cache hits / misses / series       {} / {} / {}",
        r.cache_hits, r.cache_misses, r.cache_series
    )?;
    let secs = r.duration.as_secs_f64();
    if secs > 0.0 && r.samples_scraped > 0 {
        writeln!(
            out,
            "  throughput                         {:.1} MiB/s body, {:.0} ns/sample",
            r.body_bytes as f64 / secs / (1 << 20) as f64,
            secs * 1e9 / r.samples_scraped as f64
        )?;
    }
    Ok(())
}

/// The process' peak resident set size in bytes (Linux `VmHWM`), when known.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Prints the peak RSS line (nothing where it is unknown).
fn print_peak_rss(out: &mut dyn Write) -> io::Result<()> {
    match peak_rss() {
        Some(b) => writeln!(
            out,
            "  peak RSS                           {} ({b} bytes)",
            human_bytes(b)
        ),
        None => Ok(()),
    }
}

/// Prints the top families by series count.
pub fn print_top(out: &mut dyn Write, counts: &HashMap<String, u64>, top: usize) -> io::Result<()> {
    let mut v: Vec<(&String, &u64)> = counts.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    writeln!(out, "top families by series count ({} families):", v.len())?;
    for (name, n) in v.into_iter().take(top) {
        writeln!(out, "  {n:>8}  {name}")?;
    }
    Ok(())
}

/// `promtext` with no arguments: the seed's whole scenario on an embedded default.
pub fn run_default() -> ExitCode {
    let job = match seed::envoy_stats_job() {
        Ok(j) => j,
        Err(e) => return fail(2, e),
    };
    // PROMTEXT_SCENARIO_BYTES shrinks the body (the CLI tests run the scenario in a debug build).
    let size = std::env::var("PROMTEXT_SCENARIO_BYTES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(16 << 20);
    let generated = promtext_gen::generate(&promtext_gen::GenConfig::istio().target_bytes(size));
    let body = generated.text.as_bytes();
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        if let Err(e) = e.write_all(body) {
            return fail(2, e);
        }
        match e.finish() {
            Ok(v) => v,
            Err(e) => return fail(2, e),
        }
    };
    let mut out = io::stdout().lock();
    let _ = writeln!(
        out,
        "promtext: the envoy-stats scenario — a generated Istio sidecar /stats/prometheus body \
         ({}, gzip {}, seed {}), the seed's envoy-stats job (Prometheus Operator additionalScrapeConfigs) \
         and the Kubernetes pod-role targets of reviews-v1-545db77b95-6xk2p\n",
        human_bytes(body.len() as u64),
        human_bytes(gz.len() as u64),
        generated.meta.seed()
    );
    let mut kept = None;
    for t in &seed::SAMPLE_POD_TARGETS {
        let addr = t
            .iter()
            .find(|(n, _)| *n == "__address__")
            .map(|(_, v)| *v)
            .unwrap_or("");
        let port = t
            .iter()
            .find(|(n, _)| *n == "__meta_kubernetes_pod_container_port_name")
            .map(|(_, v)| *v)
            .unwrap_or("");
        match Target::from_discovered(&job, t) {
            Ok(TargetOutcome::Kept(k)) => {
                let _ = writeln!(out, "target {addr} (port {port:?}): kept");
                let _ = writeln!(out, "  __address__ rewritten to  {}", k.address());
                let _ = writeln!(out, "  scrape URL                {}", k.url());
                let _ = writeln!(out, "  target labels             {}", k.labels());
                kept = Some(k);
            }
            Ok(TargetOutcome::Dropped(_)) => {
                let _ = writeln!(
                    out,
                    "target {addr} (port {port:?}): dropped by relabel_configs (keep .*-envoy-prom)"
                );
            }
            Err(e) => {
                let _ = writeln!(out, "target {addr}: error: {e}");
            }
        }
    }
    let Some(target) = kept else {
        return fail(1, "no target kept");
    };
    let cfg = match ScrapeConfig::from_job(&job) {
        Ok(c) => c,
        Err(e) => return fail(2, e),
    };
    let _ = writeln!(
        out,
        "\nmetric_relabel_configs: {} rules (drop SDS counters and byte-size buckets, labeldrop principals, upstream_service from cluster_name)\n",
        job.metric_relabel_configs.len()
    );
    let mut scraper = Scraper::new(cfg, &target);
    let mut app = FamilyCounter::default();
    let ct = "text/plain; version=0.0.4; charset=utf-8";
    let first = scraper.scrape_bytes(&gz, ct, "gzip", &mut app);
    let _ = writeln!(out, "first scrape (cold cache):");
    let _ = print_report(&mut out, &first, "gzip");
    let mut discard = promtext::scrape::Discard::default();
    let second = scraper.scrape_bytes(&gz, ct, "gzip", &mut discard);
    let _ = writeln!(out, "\nsecond scrape (warm cache):");
    let _ = print_report(&mut out, &second, "gzip");
    let _ = writeln!(out);
    let _ = print_top(&mut out, &app.committed, 10);
    let _ = writeln!(out, "\nas Prometheus reports it:");
    let _ = out.write_all(second.to_exposition(target.labels()).as_bytes());
    exit_for(&second)
}

/// What one live scrape of a discovered target gave.
enum Scraped {
    Report(Box<ScrapeReport>, String),
    Unreachable(String),
}

/// `scrape --pods`: discovery, then every active target scraped live, `--concurrency` at a time.
fn run_discovered(args: &ScrapeArgs, job: &ScrapeJob, http: &crate::http::HttpArgs) -> ExitCode {
    if args.output == ScrapeOutput::Exposition {
        return fail(
            2,
            "--pods prints one report per target: --output summary or jsonl",
        );
    }
    let pods = args.pods.as_deref().unwrap_or("-");
    let cluster = crate::targets::load_cluster(
        pods,
        args.nodes.as_deref(),
        args.namespaces.as_deref(),
        None,
    );
    let cluster = match cluster {
        Ok(c) => c,
        Err(e) => return fail(2, e),
    };
    let discovered = match promtext::discovery::job_targets(job, &cluster) {
        Ok(t) => t,
        Err(e) => return fail(2, format!("job {:?}: {e}", job.job_name)),
    };
    let targets: Vec<Target> = discovered
        .iter()
        .filter_map(|t| t.active().cloned())
        .collect();
    scrape_targets(args, job, http, targets)
}

/// Scrapes `targets` live, `--concurrency` at a time, and prints one report per target.
fn scrape_targets(
    args: &ScrapeArgs,
    job: &ScrapeJob,
    http: &crate::http::HttpArgs,
    targets: Vec<Target>,
) -> ExitCode {
    use std::io::IsTerminal;
    use std::sync::atomic::{AtomicUsize, Ordering};
    if args.output == ScrapeOutput::Exposition {
        return fail(
            2,
            "several targets print one report each: --output summary or jsonl",
        );
    }
    let mut cfg = match ScrapeConfig::from_job(job) {
        Ok(c) => c,
        Err(e) => return fail(2, e),
    };
    cfg.options.lenient = args.lenient;
    cfg.options.cache_max_entries = args.cache_entries;
    let timeout = match http.timeout(job.scrape_timeout.as_deref()) {
        Ok(t) => t,
        Err(e) => return fail(2, e),
    };
    let accept = job.accept_header();
    let results: Vec<std::sync::Mutex<Option<Scraped>>> = targets
        .iter()
        .map(|_| std::sync::Mutex::new(None))
        .collect();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let progress = io::stderr().is_terminal();
    std::thread::scope(|sc| {
        for _ in 0..args.concurrency.clamp(1, 64).min(targets.len().max(1)) {
            sc.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(t) = targets.get(i) else { break };
                    let r = match http.fetch(&t.url(), timeout, &accept) {
                        Err(e) => Scraped::Unreachable(e),
                        Ok(resp) => {
                            let mut scraper = Scraper::new(cfg.clone(), t);
                            let enc = if resp.content_encoding.is_empty() {
                                "identity".to_string()
                            } else {
                                resp.content_encoding.clone()
                            };
                            let ct = if resp.content_type.is_empty() {
                                "text/plain; version=0.0.4".to_string()
                            } else {
                                resp.content_type.clone()
                            };
                            let mut sink = promtext::scrape::Discard::default();
                            let rep = scraper.scrape_reader(resp.body, &ct, &enc, &mut sink);
                            Scraped::Report(Box::new(rep), enc)
                        }
                    };
                    if let Ok(mut slot) = results[i].lock() {
                        *slot = Some(r);
                    }
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if progress {
                        let mut e = io::stderr().lock();
                        let _ = write!(e, "\rscraped {n}/{} targets", targets.len());
                        let _ = e.flush();
                    }
                }
            });
        }
    });
    if progress {
        eprintln!();
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut failed = 0usize;
    let mut w = || -> io::Result<()> {
        if args.output == ScrapeOutput::Summary {
            writeln!(
                out,
                "{} active targets of job {:?}",
                targets.len(),
                job.job_name
            )?;
        }
        for (t, slot) in targets.iter().zip(&results) {
            let r = slot.lock().ok().and_then(|mut s| s.take());
            let up = matches!(&r, Some(Scraped::Report(rep, _)) if rep.up());
            if !up {
                failed += 1;
            }
            match (args.output, r) {
                (ScrapeOutput::Jsonl, Some(Scraped::Report(rep, enc))) => {
                    write_json_report(&mut out, t, &rep, &enc)?
                }
                (ScrapeOutput::Jsonl, r) => {
                    let msg = match r {
                        Some(Scraped::Unreachable(e)) => e,
                        _ => "not scraped".into(),
                    };
                    out.write_all(b"{\"kind\":\"report\",\"target\":")?;
                    json_label_object(&mut out, t.labels().iter())?;
                    out.write_all(b",\"scrapeUrl\":")?;
                    json_str(&mut out, &t.url())?;
                    out.write_all(b",\"up\":0,\"errors\":[")?;
                    json_str(&mut out, &msg)?;
                    out.write_all(b"]}\n")?;
                }
                (_, Some(Scraped::Report(rep, _))) => writeln!(
                    out,
                    "{:<4} {}  samples {} (after metric relabeling {}), {:.3} s{}",
                    if rep.up() { "up" } else { "DOWN" },
                    t.url(),
                    rep.samples_scraped,
                    rep.samples_post_relabel,
                    rep.duration.as_secs_f64(),
                    rep.error
                        .as_ref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                )?,
                (_, r) => writeln!(
                    out,
                    "DOWN {}: {}",
                    t.url(),
                    match r {
                        Some(Scraped::Unreachable(e)) => e,
                        _ => "not scraped".into(),
                    }
                )?,
            }
        }
        out.flush()
    };
    if let Err(e) = w() {
        if !is_broken_pipe(&e) {
            return fail(2, e);
        }
    }
    if failed > 0 {
        fail(1, format!("{failed} of {} targets down", targets.len()))
    } else {
        ExitCode::SUCCESS
    }
}
