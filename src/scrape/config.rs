//! What a scrape needs of its job: [`ScrapeConfig`] and [`ScrapeOptions`].

use crate::Dialect;
use crate::config::{ProtocolSettings, ScrapeJob, ScrapeLimits};
use crate::content_type::accept_header;
use crate::relabel::{ConfigError, NameValidationScheme, Pipeline};

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
    /// The parser's maximum line length. Unbounded by default ([`usize::MAX`]): Prometheus has no line limit,
    /// only `body_size_limit`, so a scrape accepts any line that fits the body.
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
            max_line_len: usize::MAX,
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
            crate::config::escaping_scheme(&self.metric_name_escaping_scheme, self.scheme);
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
