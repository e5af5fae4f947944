//! One scrape, as Prometheus does it: target relabeling, `Content-Encoding` decoding, dialect negotiation,
//! streaming parse, `honor_labels` merging, `metric_relabel_configs` through a per-series cache, limits, and the
//! `scrape_*` report.
//!
//! The body is consumed as chunks ([`Scrape::feed`]); memory is bounded by the parser's line limit, the decoder's
//! window and the per-series cache, never by the body. Series are handed to an [`Appender`], which sees
//! [`Appender::commit`] after a successful scrape and [`Appender::rollback`] after a failed one, so nothing of a
//! failed scrape needs to be kept (Prometheus rolls its appender back the same way).
//!
//! ```
//! use promtext::relabel::yaml::ConfigDocument;
//! use promtext::scrape::{Collect, ScrapeConfig, Scraper, Target};
//! let doc = ConfigDocument::from_yaml(r#"
//! scrape_configs:
//! - job_name: envoy-stats
//!   metrics_path: /stats/prometheus
//!   metric_relabel_configs:
//!   - source_labels: [__name__]
//!     regex: envoy_cluster_upstream_cx_.*
//!     action: drop
//! "#).unwrap();
//! let job = &doc.jobs()[0];
//! let target = Target::from_discovered(job, &[("__address__", "10.0.0.1:15090")])?;
//! let target = target.kept().unwrap();
//! let mut scraper = Scraper::new(ScrapeConfig::from_job(job).unwrap(), target);
//! let body = "envoy_cluster_upstream_rq{cluster_name=\"a\",job=\"app\"} 3\nenvoy_cluster_upstream_cx_total{cluster_name=\"a\"} 1\n";
//! let mut out = Collect::default();
//! let report = scraper.scrape_bytes(body.as_bytes(), "text/plain; version=0.0.4", "", &mut out);
//! assert!(report.up());
//! assert_eq!(report.samples_scraped, 2);
//! assert_eq!(report.dropped_by_relabel, 1);
//! assert_eq!(
//!     out.series[0].labels.to_string(),
//!     r#"{__name__="envoy_cluster_upstream_rq", cluster_name="a", exported_job="app", instance="10.0.0.1:15090", job="envoy-stats"}"#
//! );
//! # Ok::<(), promtext::scrape::TargetError>(())
//! ```

mod cache;
mod decode;
mod error;
mod report;
mod target;

use std::borrow::Cow;
use std::io::Read;
use std::time::Instant;

pub use decode::Encoding;
pub use error::{ScrapeError, TargetError};
pub use report::ScrapeReport;
pub use target::{
    DEFAULT_SCRAPE_INTERVAL, DEFAULT_SCRAPE_TIMEOUT, Target, TargetOutcome, format_duration,
    parse_duration,
};

use crate::content_type::{Format, ScrapeProtocol, accept_header, format_for_content_type};
use crate::event::{Event, Label, MetricType, Sample};
use crate::floatfmt::normalize_le_quantile;
use crate::protobuf;
use crate::relabel::config::is_legacy_label_name;
use crate::relabel::yaml::{ProtocolSettings, ScrapeJob, ScrapeLimits};
use crate::relabel::{ConfigError, Labels, NameValidationScheme, Outcome, Pipeline, Relabeler};
use crate::{ChunkParser, DEFAULT_MAX_LINE_LEN, Dialect, Settings};
use cache::{Hit, ScrapeCache};

/// Default bound on the entries of the per-series cache (series beyond it are relabeled every time, not cached).
pub const DEFAULT_CACHE_ENTRIES: usize = 1 << 21;

/// Default byte budget of the per-series cache: raw series keys, final label sets and per-entry overhead. A
/// body of millions of distinct series then costs this much cache, not a multiple of the body.
pub const DEFAULT_CACHE_BYTES: usize = 64 << 20;

/// How a scrape treats bad input and its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrapeOptions {
    /// `false` (the default, Prometheus): the first bad line, invalid series or exceeded limit fails the scrape.
    /// `true`: bad lines, invalid series and samples beyond `sample_limit` are skipped and counted instead
    /// (`body_size_limit` and decoding errors still fail the scrape).
    pub lenient: bool,
    /// The parser's maximum line length.
    pub max_line_len: usize,
    /// Maximum entries of the per-series cache.
    pub cache_max_entries: usize,
    /// Byte budget of the per-series cache ([`DEFAULT_CACHE_BYTES`]). When it is reached, new series are not
    /// cached (they are relabeled and validated on every scrape) until the end of a scrape evicts the series it
    /// did not see, as Prometheus' scrape cache does.
    pub cache_max_bytes: usize,
    /// The dialect used when the `Content-Type` is blank or unknown (`None`: such a scrape fails, as in
    /// Prometheus 3 without `fallback_scrape_protocol`).
    pub fallback_dialect: Option<Dialect>,
}

impl Default for ScrapeOptions {
    fn default() -> Self {
        ScrapeOptions {
            lenient: false,
            max_line_len: DEFAULT_MAX_LINE_LEN,
            cache_max_entries: DEFAULT_CACHE_ENTRIES,
            cache_max_bytes: DEFAULT_CACHE_BYTES,
            fallback_dialect: Some(Dialect::Prometheus),
        }
    }
}

/// The job settings a scrape needs.
#[derive(Debug, Clone)]
pub struct ScrapeConfig {
    /// `honor_labels`.
    pub honor_labels: bool,
    /// `honor_timestamps`.
    pub honor_timestamps: bool,
    /// Limits (0 = none).
    pub limits: ScrapeLimits,
    /// The name-validation scheme.
    pub scheme: NameValidationScheme,
    /// The compiled `metric_relabel_configs`.
    pub metric_relabel: Pipeline,
    /// Error policy and buffers.
    pub options: ScrapeOptions,
    /// Scrape protocols and native-histogram settings.
    pub protocols: ProtocolSettings,
    /// `metric_name_escaping_scheme` (empty: by [`ScrapeConfig::scheme`]), for the `Accept` header.
    pub metric_name_escaping_scheme: String,
}

impl ScrapeConfig {
    /// From a loaded job (compiles its `metric_relabel_configs`).
    pub fn from_job(job: &ScrapeJob) -> Result<ScrapeConfig, ConfigError> {
        Ok(ScrapeConfig {
            honor_labels: job.honor_labels,
            honor_timestamps: job.honor_timestamps,
            limits: job.limits.clone(),
            scheme: job.name_validation_scheme,
            metric_relabel: Pipeline::new(&job.metric_relabel_configs, job.name_validation_scheme)?,
            options: ScrapeOptions::default(),
            protocols: job.protocols.clone(),
            metric_name_escaping_scheme: job.metric_name_escaping_scheme.clone(),
        })
    }

    /// The `Accept` header Prometheus sends for this job: its `scrape_protocols` (or the
    /// defaults, protobuf first with `scrape_native_histograms`), names escaped per
    /// `metric_name_escaping_scheme`, else `allow-utf-8` under the UTF-8 scheme and
    /// `underscores` under the legacy one (as [`ScrapeJob::accept_header`]).
    ///
    /// ```
    /// use promtext::relabel::Pipeline;
    /// use promtext::scrape::ScrapeConfig;
    /// let mut c = ScrapeConfig::new(Pipeline::new(&[], Default::default()).unwrap());
    /// assert_eq!(c.accept_header(), promtext::content_type::DEFAULT_ACCEPT);
    /// c.protocols.scrape_native_histograms = true;
    /// assert_eq!(c.accept_header(), promtext::content_type::PROTO_FIRST_ACCEPT);
    /// ```
    pub fn accept_header(&self) -> String {
        let escaping =
            crate::relabel::yaml::escaping_scheme(&self.metric_name_escaping_scheme, self.scheme);
        accept_header(self.protocols.protocols(), escaping)
    }

    /// No rules, no limits, `honor_labels: false`, `honor_timestamps: true`, UTF-8 names.
    pub fn new(metric_relabel: Pipeline) -> ScrapeConfig {
        ScrapeConfig {
            honor_labels: false,
            honor_timestamps: true,
            limits: ScrapeLimits::default(),
            scheme: NameValidationScheme::Utf8,
            metric_relabel,
            options: ScrapeOptions::default(),
            protocols: ProtocolSettings::default(),
            metric_name_escaping_scheme: String::new(),
        }
    }
}

/// A final series handed to an [`Appender`]: sorted labels (with `__name__`), value and timestamp.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    /// The final labels, sorted by name, `__name__` included, no empty values.
    pub labels: &'a Labels,
    /// The value.
    pub value: f64,
    /// The value as exposed (empty for protobuf bodies, which carry no text).
    pub value_text: &'a str,
    /// The timestamp (milliseconds), when exposed and `honor_timestamps` is on.
    pub timestamp_ms: Option<i64>,
    /// Whether the series was not in the cache (counted in `scrape_series_added`).
    pub new: bool,
}

impl Series<'_> {
    /// The metric name.
    pub fn name(&self) -> &str {
        self.labels.get("__name__").unwrap_or_default()
    }

    /// Writes the series as an exposition line (`name{labels} value [timestamp]\n`).
    ///
    /// A name that is not a legacy metric name is written in the quoted form (`{"name",…}`) Prometheus 3 reads.
    ///
    /// ```
    /// use promtext::relabel::Labels;
    /// use promtext::scrape::Series;
    /// let l = Labels::from_pairs([("__name__", "my.metric"), ("a", "x\"y")]);
    /// let s = Series { labels: &l, value: 1.0, value_text: "1", timestamp_ms: Some(5), new: true };
    /// let mut out = String::new();
    /// s.write_exposition(&mut out);
    /// assert_eq!(out, "{\"my.metric\",a=\"x\\\"y\"} 1 5\n");
    /// ```
    pub fn write_exposition(&self, out: &mut String) {
        let name = self.name();
        let mut first = true;
        if is_legacy_metric_name(name) {
            out.push_str(name);
        } else {
            out.push_str("{\"");
            crate::escape::escape_label_value(name, out);
            out.push('"');
            first = false;
        }
        for (n, v) in self.labels.iter().filter(|(n, _)| *n != "__name__") {
            out.push(if first { '{' } else { ',' });
            first = false;
            if is_legacy_label_name(n) {
                out.push_str(n);
            } else {
                out.push('"');
                crate::escape::escape_label_value(n, out);
                out.push('"');
            }
            out.push_str("=\"");
            crate::escape::escape_label_value(v, out);
            out.push('"');
        }
        if !first {
            out.push('}');
        }
        out.push(' ');
        if self.value_text.is_empty() {
            out.push_str(&crate::floatfmt::format_go_g(self.value));
        } else {
            out.push_str(self.value_text);
        }
        if let Some(ts) = self.timestamp_ms {
            out.push(' ');
            out.push_str(&ts.to_string());
        }
        out.push('\n');
    }
}

/// A final native histogram series: labels as for [`Series`], the histogram at the resolution the job allows
/// (`native_histogram_min_bucket_factor`, `native_histogram_bucket_limit`), buckets as `(index, count)` in index
/// order with absolute counts.
#[derive(Debug, Clone, Copy)]
pub struct HistogramSeries<'a> {
    /// The final labels, sorted by name, `__name__` included.
    pub labels: &'a Labels,
    /// The schema, after any reduction.
    pub schema: i32,
    /// The zero bucket's threshold.
    pub zero_threshold: f64,
    /// The zero bucket's count.
    pub zero_count: f64,
    /// The observation count.
    pub count: f64,
    /// The sum of observations.
    pub sum: f64,
    /// Positive buckets `(index, count)`.
    pub positive: &'a [(i32, f64)],
    /// Negative buckets `(index, count)`.
    pub negative: &'a [(i32, f64)],
    /// Whether the counts are floats.
    pub float: bool,
    /// The timestamp (milliseconds), when exposed and `honor_timestamps` is on.
    pub timestamp_ms: Option<i64>,
    /// The start (created) timestamp.
    pub start_timestamp_ms: Option<i64>,
    /// Whether the series was not in the cache.
    pub new: bool,
}

/// An owned [`HistogramSeries`].
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedHistogramSeries {
    /// Sorted labels with `__name__`.
    pub labels: Labels,
    /// The schema.
    pub schema: i32,
    /// The zero bucket's threshold.
    pub zero_threshold: f64,
    /// The zero bucket's count.
    pub zero_count: f64,
    /// The observation count.
    pub count: f64,
    /// The sum.
    pub sum: f64,
    /// Positive buckets `(index, count)`.
    pub positive: Vec<(i32, f64)>,
    /// Negative buckets `(index, count)`.
    pub negative: Vec<(i32, f64)>,
    /// The timestamp (milliseconds).
    pub timestamp_ms: Option<i64>,
}

/// Receives the series of a scrape. A scrape ends with exactly one call of [`Appender::commit`] (success) or
/// [`Appender::rollback`] (failure: everything appended in this scrape must be discarded).
pub trait Appender {
    /// One final series.
    fn append(&mut self, series: &Series<'_>);
    /// One final native histogram (protobuf bodies); the default ignores it.
    fn append_histogram(&mut self, series: &HistogramSeries<'_>) {
        let _ = series;
    }
    /// The scrape succeeded.
    fn commit(&mut self) {}
    /// The scrape failed.
    fn rollback(&mut self) {}
}

/// An owned final series.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedSeries {
    /// Sorted labels with `__name__`.
    pub labels: Labels,
    /// The value.
    pub value: f64,
    /// The timestamp (milliseconds).
    pub timestamp_ms: Option<i64>,
}

/// An [`Appender`] that keeps the series of committed scrapes (staged series are discarded on rollback).
#[derive(Debug, Default, Clone)]
pub struct Collect {
    staged: Vec<OwnedSeries>,
    staged_histograms: Vec<OwnedHistogramSeries>,
    /// The series of committed scrapes, in scrape order.
    pub series: Vec<OwnedSeries>,
    /// The native histograms of committed scrapes, in scrape order.
    pub histograms: Vec<OwnedHistogramSeries>,
}

impl Appender for Collect {
    fn append(&mut self, s: &Series<'_>) {
        self.staged.push(OwnedSeries {
            labels: s.labels.clone(),
            value: s.value,
            timestamp_ms: s.timestamp_ms,
        });
    }
    fn append_histogram(&mut self, h: &HistogramSeries<'_>) {
        self.staged_histograms.push(OwnedHistogramSeries {
            labels: h.labels.clone(),
            schema: h.schema,
            zero_threshold: h.zero_threshold,
            zero_count: h.zero_count,
            count: h.count,
            sum: h.sum,
            positive: h.positive.to_vec(),
            negative: h.negative.to_vec(),
            timestamp_ms: h.timestamp_ms,
        });
    }
    fn commit(&mut self) {
        self.series.append(&mut self.staged);
        self.histograms.append(&mut self.staged_histograms);
    }
    fn rollback(&mut self) {
        self.staged.clear();
        self.staged_histograms.clear();
    }
}

/// An [`Appender`] that only counts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Discard {
    /// Series appended in committed scrapes.
    pub committed: u64,
    staged: u64,
}

impl Appender for Discard {
    fn append(&mut self, _: &Series<'_>) {
        self.staged += 1;
    }
    fn append_histogram(&mut self, _: &HistogramSeries<'_>) {
        self.staged += 1;
    }
    fn commit(&mut self) {
        self.committed += self.staged;
        self.staged = 0;
    }
    fn rollback(&mut self) {
        self.staged = 0;
    }
}

/// A scrape loop for one target: its relabeler and per-series cache persist across scrapes.
#[derive(Debug)]
pub struct Scraper {
    honor_labels: bool,
    honor_timestamps: bool,
    limits: ScrapeLimits,
    scheme: NameValidationScheme,
    options: ScrapeOptions,
    relabeler: Relabeler,
    cache: ScrapeCache,
    target: Labels,
    protocols: ProtocolSettings,
}

impl Scraper {
    /// A scrape loop for `target`.
    pub fn new(config: ScrapeConfig, target: &Target) -> Scraper {
        Scraper {
            honor_labels: config.honor_labels,
            honor_timestamps: config.honor_timestamps,
            limits: config.limits,
            scheme: config.scheme,
            cache: ScrapeCache::new(
                config.options.cache_max_entries,
                config.options.cache_max_bytes,
            ),
            options: config.options,
            relabeler: config.metric_relabel.relabeler(),
            target: target.labels().clone(),
            protocols: config.protocols,
        }
    }

    /// The labels attached to every sample.
    pub fn target_labels(&self) -> &Labels {
        &self.target
    }

    /// Series currently cached.
    pub fn cached_series(&self) -> usize {
        self.cache.len()
    }

    /// Bytes the per-series cache counts against [`ScrapeOptions::cache_max_bytes`].
    ///
    /// ```
    /// use promtext::relabel::Pipeline;
    /// use promtext::scrape::{Discard, ScrapeConfig, Scraper, Target};
    /// let mut cfg = ScrapeConfig::new(Pipeline::new(&[], Default::default()).unwrap());
    /// cfg.options.cache_max_bytes = 4096;
    /// let mut s = Scraper::new(cfg, &Target::from_labels(&[("job", "j")]));
    /// let body: String = (0..100).map(|i| format!("m{{i=\"{i}\"}} 1\n")).collect();
    /// let report = s.scrape_bytes(body.as_bytes(), "text/plain", "", &mut Discard::default());
    /// assert!(report.up());
    /// // Series beyond the budget are scraped, but not cached.
    /// assert!(s.cached_series() < 100);
    /// assert!(s.cached_bytes() <= 4096);
    /// ```
    pub fn cached_bytes(&self) -> usize {
        self.cache.bytes()
    }

    /// Starts a scrape of a response with these `Content-Type` and `Content-Encoding` header values (blank when
    /// absent). Header problems surface as the scrape's error at the first [`Scrape::feed`] or at
    /// [`Scrape::finish`].
    pub fn begin(&mut self, content_type: &str, content_encoding: &str) -> Scrape<'_> {
        let start = Instant::now();
        self.cache.begin_scrape();
        let mut report = ScrapeReport {
            sample_limit: self.limits.sample_limit,
            ..ScrapeReport::default()
        };
        let mut failed = None;
        let fallback = self.protocols.fallback_scrape_protocol.or(self
            .options
            .fallback_dialect
            .map(|d| match d {
                Dialect::OpenMetrics => ScrapeProtocol::OpenMetricsText1_0_0,
                _ => ScrapeProtocol::PrometheusText0_0_4,
            }));
        match format_for_content_type(content_type, fallback) {
            Ok(n) => {
                report.dialect = n.dialect;
                report.format = n.format;
                report.content_type_fallback = n.fallback_reason;
            }
            Err(e) => failed = Some(ScrapeError::ContentType(e)),
        }
        let body_limit = self.limits.body_size_limit;
        let decoder = match Encoding::parse(content_encoding)
            .and_then(|e| decode::Decoder::new(e, body_limit))
        {
            Ok(d) => d,
            Err(e) => {
                failed.get_or_insert(e);
                decode::Decoder::identity()
            }
        };
        let settings = Settings::default()
            .dialect(report.dialect)
            .lenient(self.options.lenient)
            .max_line_len(self.options.max_line_len)
            .allow_duplicate_labels(false);
        let parser = match report.format {
            Format::Protobuf => BodyParser::Protobuf(protobuf::ChunkParser::new(
                protobuf::Settings::default()
                    .classic_histograms(self.protocols.always_scrape_classic_histograms)
                    .native_histograms(self.protocols.scrape_native_histograms),
            )),
            _ => BodyParser::Text(ChunkParser::new(settings)),
        };
        Scrape {
            parser,
            decoder,
            st: State {
                s: self,
                report,
                failed,
                sample_limit_hit: false,
                mtype: MetricType::Unknown,
                key: Vec::new(),
                positive: Vec::new(),
                negative: Vec::new(),
            },
            start,
        }
    }

    /// Scrapes a whole body held in memory.
    pub fn scrape_bytes<A: Appender>(
        &mut self,
        body: &[u8],
        content_type: &str,
        content_encoding: &str,
        app: &mut A,
    ) -> ScrapeReport {
        let mut s = self.begin(content_type, content_encoding);
        for chunk in body.chunks(64 << 10) {
            if s.feed(chunk, app).is_err() {
                break;
            }
        }
        s.finish(app)
    }

    /// Scrapes a body read from `reader` in 64 KiB chunks. A read error fails the scrape as a decode error of the
    /// identity encoding.
    pub fn scrape_reader<R: Read, A: Appender>(
        &mut self,
        mut reader: R,
        content_type: &str,
        content_encoding: &str,
        app: &mut A,
    ) -> ScrapeReport {
        let mut buf = vec![0u8; 64 << 10];
        let mut s = self.begin(content_type, content_encoding);
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if s.feed(&buf[..n], app).is_err() {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    s.fail(
                        ScrapeError::Decode {
                            encoding: "identity",
                            message: format!("reading the body: {e}"),
                        },
                        app,
                    );
                    break;
                }
            }
        }
        s.finish(app)
    }
}

/// The parser of a scrape's body, by its format (one per scrape, so the size difference of the
/// variants does not matter).
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
enum BodyParser {
    Text(ChunkParser),
    Protobuf(protobuf::ChunkParser),
}

/// One scrape in progress. Feed the body's chunks, then [`Scrape::finish`].
#[derive(Debug)]
pub struct Scrape<'s> {
    parser: BodyParser,
    decoder: decode::Decoder,
    st: State<'s>,
    start: Instant,
}

#[derive(Debug)]
struct State<'s> {
    s: &'s mut Scraper,
    report: ScrapeReport,
    failed: Option<ScrapeError>,
    sample_limit_hit: bool,
    mtype: MetricType,
    /// The cache key of a protobuf series (reused).
    key: Vec<u8>,
    /// A native histogram's buckets (reused).
    positive: Vec<(i32, f64)>,
    negative: Vec<(i32, f64)>,
}

impl Scrape<'_> {
    /// Feeds the next chunk of the (possibly compressed) body. After the scrape has failed, returns the error and
    /// ignores the chunk.
    pub fn feed<A: Appender>(&mut self, chunk: &[u8], app: &mut A) -> Result<(), ScrapeError> {
        if let Some(e) = &self.st.failed {
            return Err(e.clone());
        }
        self.st.report.wire_bytes += chunk.len() as u64;
        let Scrape {
            parser,
            decoder,
            st,
            ..
        } = self;
        let r = decoder.feed(chunk, |bytes| st.body(parser, bytes, app));
        if let Err(e) = r {
            st.fail(e, app);
        }
        match &self.st.failed {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    fn fail<A: Appender>(&mut self, e: ScrapeError, app: &mut A) {
        self.st.fail(e, app);
    }

    /// Ends the scrape: flushes the decoder and the parser's last line, commits or rolls back the appender, updates
    /// the cache and returns the report.
    pub fn finish<A: Appender>(mut self, app: &mut A) -> ScrapeReport {
        if self.st.failed.is_none() {
            if let Err(e) = self.decoder.finish() {
                self.st.fail(e, app);
            }
        }
        if self.st.failed.is_none() {
            let Scrape { parser, st, .. } = &mut self;
            match parser {
                BodyParser::Text(parser) => {
                    for ev in parser.finish() {
                        if !st.event(ev, app) {
                            break;
                        }
                    }
                }
                BodyParser::Protobuf(parser) => {
                    if let Err(e) = parser.finish() {
                        st.fail(ScrapeError::Parse(e), app);
                    }
                }
            }
        }
        if self.st.failed.is_none() && self.st.sample_limit_hit {
            self.st.fail(ScrapeError::SampleLimit, app);
        }
        let mut st = self.st;
        if let BodyParser::Text(p) = &self.parser {
            st.report.bad_lines_skipped = p.skipped_lines();
        }
        let success = st.failed.is_none();
        if success {
            app.commit();
        }
        st.s.cache.end_scrape(success);
        st.report.cache_series = st.s.cache.len() as u64;
        st.report.error = st.failed.take();
        st.report.duration = self.start.elapsed();
        st.report
    }
}

impl State<'_> {
    fn fail<A: Appender>(&mut self, e: ScrapeError, app: &mut A) {
        if self.failed.is_none() {
            self.failed = Some(e);
            app.rollback();
        }
    }

    /// Decoded body bytes: the size limit, then the parser. Returns `false` to stop decoding.
    fn body<A: Appender>(&mut self, parser: &mut BodyParser, bytes: &[u8], app: &mut A) -> bool {
        if self.failed.is_some() {
            return false;
        }
        self.report.body_bytes += bytes.len() as u64;
        let limit = self.s.limits.body_size_limit;
        if limit > 0 && self.report.body_bytes >= limit {
            self.fail(ScrapeError::BodySizeLimit, app);
            return false;
        }
        match parser {
            BodyParser::Text(parser) => {
                for ev in parser.feed(bytes) {
                    if !self.event(ev, app) {
                        return false;
                    }
                }
            }
            BodyParser::Protobuf(parser) => {
                for ev in parser.feed(bytes) {
                    if !self.pb_event(ev, app) {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// One protobuf event; `false` when the scrape failed (a protobuf error always fails it).
    fn pb_event<A: Appender>(
        &mut self,
        ev: Result<protobuf::Event<'_>, crate::Error>,
        app: &mut A,
    ) -> bool {
        let r = match ev {
            Ok(protobuf::Event::Sample(s)) => self.pb_sample(&s, app),
            Ok(protobuf::Event::Histogram(h)) => self.pb_histogram(&h, app),
            Ok(protobuf::Event::Type(t)) => {
                self.mtype = t.metric_type;
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) => Err(ScrapeError::Parse(e)),
        };
        match r {
            Ok(()) => true,
            Err(e) => {
                self.fail(e, app);
                false
            }
        }
    }

    /// The cache key of a protobuf series: name, labels, separators no UTF-8 text holds.
    fn pb_key<'x>(
        &mut self,
        marker: u8,
        name: protobuf::Name<'_>,
        labels: impl Iterator<Item = Label<'x>>,
    ) -> Vec<u8> {
        let mut key = std::mem::take(&mut self.key);
        key.clear();
        key.push(marker);
        key.extend_from_slice(name.family.as_bytes());
        key.extend_from_slice(name.suffix.as_bytes());
        for l in labels {
            key.push(0xfe);
            key.extend_from_slice(l.name.as_bytes());
            key.push(0xfd);
            key.extend_from_slice(l.value.as_bytes());
        }
        key
    }

    fn pb_sample<A: Appender>(
        &mut self,
        s: &protobuf::Sample<'_>,
        app: &mut A,
    ) -> Result<(), ScrapeError> {
        self.report.samples_scraped += 1;
        let key = self.pb_key(0xff, s.name(), s.labels());
        let ts = if self.s.honor_timestamps {
            s.timestamp_ms()
        } else {
            None
        };
        let value = s.value();
        let r = self.series(
            &key,
            ts,
            |st| st.build(Cow::Owned(s.name().to_string()), s.labels()),
            |labels, new, app: &mut A| {
                app.append(&Series {
                    labels,
                    value,
                    value_text: "",
                    timestamp_ms: ts,
                    new,
                })
            },
            app,
        );
        self.key = key;
        r
    }

    fn pb_histogram<A: Appender>(
        &mut self,
        h: &protobuf::NativeHistogram<'_>,
        app: &mut A,
    ) -> Result<(), ScrapeError> {
        self.report.samples_scraped += 1;
        self.report.native_histograms += 1;
        let name = protobuf::Name {
            family: h.name(),
            suffix: "",
        };
        let labels = || {
            h.labels().map(|(n, v)| Label {
                name: Cow::Borrowed(n),
                value: Cow::Borrowed(v),
            })
        };
        let key = self.pb_key(0xfc, name, labels());
        let ts = if self.s.honor_timestamps {
            h.timestamp_ms()
        } else {
            None
        };
        let mut pos = std::mem::take(&mut self.positive);
        let mut neg = std::mem::take(&mut self.negative);
        pos.clear();
        neg.clear();
        pos.extend(h.positive_buckets().map(|b| (b.index, b.count)));
        neg.extend(h.negative_buckets().map(|b| (b.index, b.count)));
        let mut schema = h.schema();
        let r =
            reduce_resolution(&mut schema, &mut pos, &mut neg, &self.s.protocols).and_then(|()| {
                let (pos, neg) = (&pos, &neg);
                self.series(
                    &key,
                    ts,
                    |st| st.build(Cow::Borrowed(h.name()), labels()),
                    |labels, new, app: &mut A| {
                        app.append_histogram(&HistogramSeries {
                            labels,
                            schema,
                            zero_threshold: h.zero_threshold(),
                            zero_count: h.zero_count(),
                            count: h.count(),
                            sum: h.sum(),
                            positive: pos,
                            negative: neg,
                            float: h.is_float(),
                            timestamp_ms: ts,
                            start_timestamp_ms: h.start_timestamp_ms(),
                            new,
                        })
                    },
                    app,
                )
            });
        self.key = key;
        self.positive = pos;
        self.negative = neg;
        r
    }

    /// One parser event; `false` when the scrape failed.
    fn event<A: Appender>(&mut self, ev: Result<Event<'_>, crate::Error>, app: &mut A) -> bool {
        match ev {
            Ok(Event::Sample(s)) => {
                if let Err(e) = self.sample(&s, app) {
                    self.fail(e, app);
                    return false;
                }
            }
            Ok(Event::Type(t)) => self.mtype = t.metric_type,
            Ok(_) => {}
            Err(e) => {
                // Lenient parsers report skipped lines as errors and go on; they are counted by the parser.
                if !self.s.options.lenient {
                    self.fail(ScrapeError::Parse(e), app);
                    return false;
                }
            }
        }
        true
    }

    fn sample<A: Appender>(&mut self, s: &Sample<'_>, app: &mut A) -> Result<(), ScrapeError> {
        self.report.samples_scraped += 1;
        let ts = if self.s.honor_timestamps {
            s.timestamp_ms()
        } else {
            None
        };
        let (value, value_text) = (s.value(), s.value_text());
        self.series(
            s.series().as_bytes(),
            ts,
            |st| st.build(s.name(), s.labels()),
            |labels, new, app: &mut A| {
                app.append(&Series {
                    labels,
                    value,
                    value_text,
                    timestamp_ms: ts,
                    new,
                })
            },
            app,
        )
    }

    /// A sample (or native histogram) through the cache: `raw` is its cache key, `build` makes its labels on a
    /// miss, `emit` appends it.
    fn series<A: Appender>(
        &mut self,
        raw: &[u8],
        ts: Option<i64>,
        build: impl FnOnce(&mut Self) -> Result<Option<Labels>, ScrapeError>,
        emit: impl FnOnce(&Labels, bool, &mut A),
        app: &mut A,
    ) -> Result<(), ScrapeError> {
        let lenient = self.s.options.lenient;
        let sample_limit = self.s.limits.sample_limit;
        match self.s.cache.get(raw) {
            Some((Hit::Dropped, _)) => {
                self.report.cache_hits += 1;
                self.report.dropped_by_relabel += 1;
                return Ok(());
            }
            Some((Hit::Series(labels), again)) => {
                self.report.cache_hits += 1;
                if again && ts.is_none() {
                    // The same series twice without timestamps: Prometheus' storage rejects the second sample
                    // (`duplicate sample for timestamp`), counts it and goes on.
                    self.report.duplicate_samples += 1;
                    return Ok(());
                }
                self.report.samples_post_relabel += 1;
                if over_limit(
                    &mut self.report,
                    &mut self.sample_limit_hit,
                    sample_limit,
                    lenient,
                ) {
                    return Ok(());
                }
                emit(labels, false, app);
                return Ok(());
            }
            None => {}
        }
        self.report.cache_misses += 1;
        let labels = match build(self) {
            Ok(Some(l)) => l,
            Ok(None) => {
                self.report.dropped_by_relabel += 1;
                self.s.cache.insert(raw, None);
                return Ok(());
            }
            Err(e) if lenient => {
                let _ = e;
                self.report.invalid_series_skipped += 1;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        self.report.samples_post_relabel += 1;
        if over_limit(
            &mut self.report,
            &mut self.sample_limit_hit,
            sample_limit,
            lenient,
        ) {
            return Ok(());
        }
        emit(&labels, true, app);
        self.report.series_added += 1;
        self.s.cache.insert(raw, Some(labels));
        Ok(())
    }

    /// The miss path: scraped labels, `honor_labels` merge, metric relabeling, validation, label limits.
    fn build<'l>(
        &mut self,
        name: Cow<'l, str>,
        labels: impl Iterator<Item = Label<'l>>,
    ) -> Result<Option<Labels>, ScrapeError> {
        let mut pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = Vec::with_capacity(32);
        let mut empty: Vec<Cow<'_, str>> = Vec::new();
        pairs.push((Cow::Borrowed("__name__"), name));
        for l in labels {
            let mut v = l.value;
            let normalize = (self.mtype == MetricType::Histogram && l.name == "le")
                || (self.mtype == MetricType::Summary && l.name == "quantile");
            if normalize {
                let changed = match normalize_le_quantile(&v) {
                    Cow::Owned(o) => Some(o),
                    Cow::Borrowed(_) => None,
                };
                if let Some(o) = changed {
                    v = Cow::Owned(o);
                }
            }
            if v.is_empty() {
                empty.push(l.name);
            } else {
                pairs.push((l.name, v));
            }
        }
        merge_target(&mut pairs, &empty, &self.s.target, self.s.honor_labels);
        let labels = match self.s.relabeler.apply(&pairs) {
            Outcome::Dropped => return Ok(None),
            Outcome::Unchanged => sorted_labels(&pairs),
            Outcome::Changed(l) => l,
        };
        if labels.is_empty() {
            return Ok(None);
        }
        validate(&labels, self.s.scheme, &self.s.limits)?;
        Ok(Some(labels))
    }
}

/// Prometheus' `bucketLimitAppender` and `maxSchemaAppender`: lowers the schema to the job's maximum (from
/// `native_histogram_min_bucket_factor`), then until the buckets fit `native_histogram_bucket_limit`; merged
/// buckets add up.
fn reduce_resolution(
    schema: &mut i32,
    pos: &mut Vec<(i32, f64)>,
    neg: &mut Vec<(i32, f64)>,
    p: &ProtocolSettings,
) -> Result<(), ScrapeError> {
    let exponential = (-4..=8).contains(schema);
    let max = p.max_schema();
    if exponential && *schema > max {
        merge_buckets(pos, *schema - max);
        merge_buckets(neg, *schema - max);
        *schema = max;
    }
    let limit = p.native_histogram_bucket_limit;
    if limit == 0 {
        return Ok(());
    }
    while (pos.len() + neg.len()) as u64 > limit {
        if !exponential || *schema <= -4 {
            return Err(ScrapeError::BucketLimit);
        }
        merge_buckets(pos, 1);
        merge_buckets(neg, 1);
        *schema -= 1;
    }
    Ok(())
}

/// Buckets `(index, count)` in index order at a schema `delta` lower: index `i` goes to `((i - 1) >> delta) + 1`
/// (Prometheus' `targetIdx`).
fn merge_buckets(b: &mut Vec<(i32, f64)>, delta: i32) {
    let mut n = 0;
    for i in 0..b.len() {
        let (idx, c) = b[i];
        let t = ((idx - 1) >> delta) + 1;
        if n > 0 && b[n - 1].0 == t {
            b[n - 1].1 += c;
        } else {
            b[n] = (t, c);
            n += 1;
        }
    }
    b.truncate(n);
}

/// The label set of `pairs`: sorted by name, the last of a repeated name wins, empty values dropped (as
/// [`Labels::from_pairs`], without copying every pair first).
fn sorted_labels(pairs: &[(Cow<'_, str>, Cow<'_, str>)]) -> Labels {
    let mut refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(n, v)| (n.as_ref(), v.as_ref()))
        .collect();
    refs.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = Labels::new();
    let size: usize = refs.iter().map(|(n, v)| n.len() + v.len()).sum();
    out.buf.reserve_exact(size);
    out.spans.reserve_exact(refs.len());
    for (i, (n, v)) in refs.iter().enumerate() {
        let last_of_name = refs.get(i + 1).is_none_or(|next| next.0 != *n);
        if last_of_name && !v.is_empty() {
            out.push_unchecked(n, v);
        }
    }
    out
}

/// Counts a sample against `sample_limit`; `true` when it must not be appended.
fn over_limit(report: &mut ScrapeReport, hit: &mut bool, limit: u64, lenient: bool) -> bool {
    if limit == 0 || report.samples_post_relabel <= limit {
        return *hit;
    }
    if lenient {
        report.samples_over_limit += 1;
    } else {
        *hit = true;
    }
    true
}

/// Prometheus' `mutateSampleLabels` before the relabel rules.
fn merge_target<'a>(
    pairs: &mut Vec<(Cow<'a, str>, Cow<'a, str>)>,
    empty: &[Cow<'a, str>],
    target: &Labels,
    honor_labels: bool,
) {
    if honor_labels {
        for (n, v) in target.iter() {
            let present = pairs.iter().any(|(k, _)| k == n) || empty.iter().any(|k| k == n);
            if !present {
                pairs.push((Cow::Owned(n.to_string()), Cow::Owned(v.to_string())));
            }
        }
        return;
    }
    let mut conflicts: Vec<(String, Cow<'a, str>)> = Vec::new();
    for (n, v) in target.iter() {
        match pairs.iter_mut().find(|(k, _)| k == n) {
            Some(p) => {
                let old = std::mem::replace(&mut p.1, Cow::Owned(v.to_string()));
                conflicts.push((n.to_string(), old));
            }
            None => pairs.push((Cow::Owned(n.to_string()), Cow::Owned(v.to_string()))),
        }
    }
    // resolveConflictingExposedLabels: shortest names first (stable), `exported_` prepended until the name is free.
    conflicts.sort_by_key(|(n, _)| n.len());
    for (n, v) in conflicts {
        let mut name = n;
        loop {
            name.insert_str(0, "exported_");
            let taken = pairs.iter().any(|(k, val)| *k == name && !val.is_empty());
            if !taken {
                match pairs.iter_mut().find(|(k, _)| *k == name) {
                    Some(p) => p.1 = v,
                    None => pairs.push((Cow::Owned(name), v)),
                }
                break;
            }
        }
    }
}

/// `^[a-zA-Z_:][a-zA-Z0-9_:]*$`.
fn is_legacy_metric_name(name: &str) -> bool {
    let b = name.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' || *c == b':' => b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b':'),
        _ => false,
    }
}

/// The scrape loop's checks on a new series: `__name__`, name validity, `verifyLabelLimits`.
fn validate(
    labels: &Labels,
    scheme: NameValidationScheme,
    limits: &ScrapeLimits,
) -> Result<(), ScrapeError> {
    let Some(name) = labels.get("__name__") else {
        return Err(ScrapeError::MissingMetricName);
    };
    let valid = labels.iter().all(|(n, v)| {
        let name_ok = n != "__name__"
            || match scheme {
                NameValidationScheme::Utf8 => !v.is_empty(),
                NameValidationScheme::Legacy => is_legacy_metric_name(v),
            };
        name_ok && scheme.is_valid_label_name(n)
    });
    if !valid {
        return Err(ScrapeError::InvalidNames(clip(labels.to_string())));
    }
    let met = trunc(name, 50);
    if limits.label_limit > 0 && labels.len() as u64 > limits.label_limit {
        return Err(ScrapeError::LabelLimit(format!(
            "label_limit exceeded (metric: {met}, number of labels: {}, limit: {})",
            labels.len(),
            limits.label_limit
        )));
    }
    for (n, v) in labels.iter() {
        let nl = limits.label_name_length_limit;
        if nl > 0 && n.len() as u64 > nl {
            return Err(ScrapeError::LabelLimit(format!(
                "label_name_length_limit exceeded (metric: {met}, label name: {}, length: {}, limit: {nl})",
                trunc(n, 50),
                n.len()
            )));
        }
        let vl = limits.label_value_length_limit;
        if vl > 0 && v.len() as u64 > vl {
            return Err(ScrapeError::LabelLimit(format!(
                "label_value_length_limit exceeded (metric: {met}, label name: {}, value: {}, length: {}, limit: {vl})",
                trunc(n, 50),
                go_quote(trunc(v, 50)),
                v.len()
            )));
        }
    }
    Ok(())
}

/// A string from the body, for a message: longer ones keep their first 100 characters, then `… (N bytes)`.
pub(crate) fn clip(s: String) -> String {
    const KEEP: usize = 100;
    if s.len() <= KEEP + 20 {
        return s;
    }
    format!("{}… ({} bytes)", trunc(&s, KEEP), s.len())
}

/// Go's `%.Ns`: the first `n` characters.
fn trunc(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Go's `%q` for valid UTF-8 (`strconv.Quote`).
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                let u = c as u32;
                if u <= 0xffff {
                    out.push_str(&format!("\\u{u:04x}"));
                } else {
                    out.push_str(&format!("\\U{u:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_truncation() {
        assert_eq!(go_quote("a\"b\\\n\u{1}é"), r#""a\"b\\\n\x01é""#);
        assert_eq!(trunc("héllo", 2), "hé");
        assert!(is_legacy_metric_name("a:b_c1"));
        assert!(!is_legacy_metric_name("1a"));
        assert_eq!(clip("short".to_string()), "short");
        let long = "é".repeat(1000);
        assert_eq!(
            clip(long.clone()),
            format!("{}… (2000 bytes)", "é".repeat(100))
        );
    }
}
