//! A scrape job's settings: limits, HTTP client, protocols and rule lists.

use std::collections::BTreeMap;

use super::kubernetes::KubernetesSdConfig;
use super::yaml::nullable;
use crate::content_type::ScrapeProtocol;
use crate::relabel::{NameValidationScheme, RelabelConfig, Stage};

/// Limits of a scrape job (0 = no limit), after falling back to the global values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScrapeLimits {
    /// `sample_limit`.
    pub sample_limit: u64,
    /// `label_limit`.
    pub label_limit: u64,
    /// `label_name_length_limit` (bytes).
    pub label_name_length_limit: u64,
    /// `label_value_length_limit` (bytes).
    pub label_value_length_limit: u64,
    /// `target_limit`.
    pub target_limit: u64,
    /// `body_size_limit` in bytes (parsed from units such as `10MB`, powers of 1024).
    pub body_size_limit: u64,
}

/// The parts of a scrape job a scrape layer needs. Other Prometheus job keys (service discovery, TLS, auth, ...)
/// are accepted and ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrapeJob {
    /// `job_name`.
    pub job_name: String,
    /// `metrics_path` (default `/metrics`).
    pub metrics_path: String,
    /// `scheme` (default `http`).
    pub scheme: String,
    /// `honor_labels`.
    pub honor_labels: bool,
    /// `honor_timestamps` (default true).
    pub honor_timestamps: bool,
    /// `params`.
    pub params: BTreeMap<String, Vec<String>>,
    /// `scrape_interval`, as written (falls back to the global one).
    pub scrape_interval: Option<String>,
    /// `scrape_timeout`, as written (falls back to the global one).
    pub scrape_timeout: Option<String>,
    /// Limits.
    pub limits: ScrapeLimits,
    /// The name-validation scheme in force for this job.
    pub name_validation_scheme: NameValidationScheme,
    /// `relabel_configs`.
    pub relabel_configs: Vec<RelabelConfig>,
    /// `metric_relabel_configs`.
    pub metric_relabel_configs: Vec<RelabelConfig>,
    /// `kubernetes_sd_configs` (the keys offline discovery uses).
    pub kubernetes_sd_configs: Vec<KubernetesSdConfig>,
    /// `metric_name_escaping_scheme` (empty: `allow-utf-8` under the UTF-8 scheme, `underscores` under legacy).
    pub metric_name_escaping_scheme: String,
    /// The HTTP client settings of the job (authentication and TLS), as written.
    pub http_client: HttpClientConfig,
    /// Scrape protocols and native-histogram settings.
    pub protocols: ProtocolSettings,
}

/// A job's HTTP client settings used by a live scrape: `authorization`, `basic_auth`, `bearer_token(_file)` and
/// `tls_config`. File paths are as written (Prometheus resolves them against the configuration file's directory).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct HttpClientConfig {
    /// `authorization`.
    #[serde(deserialize_with = "nullable")]
    pub authorization: Option<Authorization>,
    /// `basic_auth`.
    #[serde(deserialize_with = "nullable")]
    pub basic_auth: Option<BasicAuth>,
    /// `bearer_token` (Prometheus 2).
    #[serde(deserialize_with = "nullable")]
    pub bearer_token: String,
    /// `bearer_token_file` (Prometheus 2).
    #[serde(deserialize_with = "nullable")]
    pub bearer_token_file: String,
    /// `tls_config`.
    #[serde(deserialize_with = "nullable")]
    pub tls_config: TlsSettings,
}

/// `authorization` of a job.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct Authorization {
    /// `type` (default `Bearer`).
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub kind: String,
    /// `credentials`.
    #[serde(deserialize_with = "nullable")]
    pub credentials: String,
    /// `credentials_file`.
    #[serde(deserialize_with = "nullable")]
    pub credentials_file: String,
}

/// `basic_auth` of a job.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct BasicAuth {
    /// `username`.
    #[serde(deserialize_with = "nullable")]
    pub username: String,
    /// `password`.
    #[serde(deserialize_with = "nullable")]
    pub password: String,
    /// `password_file`.
    #[serde(deserialize_with = "nullable")]
    pub password_file: String,
}

/// `tls_config` of a job.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct TlsSettings {
    /// `ca_file`.
    #[serde(deserialize_with = "nullable")]
    pub ca_file: String,
    /// `cert_file`.
    #[serde(deserialize_with = "nullable")]
    pub cert_file: String,
    /// `key_file`.
    #[serde(deserialize_with = "nullable")]
    pub key_file: String,
    /// `server_name`.
    #[serde(deserialize_with = "nullable")]
    pub server_name: String,
    /// `insecure_skip_verify`.
    #[serde(deserialize_with = "nullable")]
    pub insecure_skip_verify: bool,
}

impl ScrapeJob {
    /// The name-escaping scheme the job asks for on the 1.0.0 text formats:
    /// `metric_name_escaping_scheme`, else `allow-utf-8` under the UTF-8 scheme and
    /// `underscores` under the legacy one.
    pub fn escaping_scheme(&self) -> &str {
        escaping_scheme(
            &self.metric_name_escaping_scheme,
            self.name_validation_scheme,
        )
    }

    /// The `Accept` header Prometheus sends for this job: its protocols
    /// ([`ProtocolSettings::protocols`]: `scrape_protocols`, else the defaults, protobuf first
    /// with `scrape_native_histograms`), built by [`crate::content_type::accept_header`] with
    /// [`ScrapeJob::escaping_scheme`].
    ///
    /// ```
    /// use promtext::config::ConfigDocument;
    /// let doc = ConfigDocument::from_yaml("scrape_configs:\n- job_name: a\n- job_name: b\n  scrape_protocols: [PrometheusText1.0.0]\n  metric_name_validation_scheme: legacy\n- job_name: c\n  scrape_native_histograms: true\n")?;
    /// assert_eq!(doc.jobs()[0].accept_header(), promtext::content_type::DEFAULT_ACCEPT);
    /// assert_eq!(doc.jobs()[1].accept_header(), "text/plain;version=1.0.0;escaping=underscores;q=0.6,*/*;q=0.5");
    /// assert_eq!(doc.jobs()[2].accept_header(), promtext::content_type::PROTO_FIRST_ACCEPT);
    /// # Ok::<(), promtext::relabel::ConfigError>(())
    /// ```
    pub fn accept_header(&self) -> String {
        crate::content_type::accept_header(self.protocols.protocols(), self.escaping_scheme())
    }
}

/// `metric_name_escaping_scheme` when set, else the default of the name-validation scheme.
pub(crate) fn escaping_scheme(explicit: &str, scheme: NameValidationScheme) -> &str {
    if !explicit.is_empty() {
        explicit
    } else if scheme == NameValidationScheme::Legacy {
        "underscores"
    } else {
        "allow-utf-8"
    }
}

/// A job's scrape protocols and native-histogram settings (Prometheus 3 keys).
#[derive(Debug, Clone, Default)]
pub struct ProtocolSettings {
    /// `scrape_protocols` (job, else global); `None`: Prometheus' defaults, protobuf first when
    /// native histograms are scraped ([`ScrapeProtocol::defaults`]).
    pub scrape_protocols: Option<Vec<ScrapeProtocol>>,
    /// `scrape_native_histograms` (default false).
    pub scrape_native_histograms: bool,
    /// `always_scrape_classic_histograms`: keep the classic series of a histogram that also has
    /// native buckets.
    pub always_scrape_classic_histograms: bool,
    /// `convert_classic_histograms_to_nhcb`: classic histograms become native histograms with
    /// custom buckets ([`crate::nhcb`]); their classic series stay only with
    /// `always_scrape_classic_histograms`.
    pub convert_classic_histograms_to_nhcb: bool,
    /// `native_histogram_bucket_limit` (0 = none): the resolution of a native histogram with
    /// more buckets is reduced until it fits, else the scrape fails.
    pub native_histogram_bucket_limit: u64,
    /// `native_histogram_min_bucket_factor` (0 = none): the resolution is reduced until the
    /// growth factor from one bucket to the next is at least this.
    pub native_histogram_min_bucket_factor: f64,
    /// `fallback_scrape_protocol`.
    pub fallback_scrape_protocol: Option<ScrapeProtocol>,
}

impl PartialEq for ProtocolSettings {
    fn eq(&self, o: &Self) -> bool {
        self.scrape_protocols == o.scrape_protocols
            && self.scrape_native_histograms == o.scrape_native_histograms
            && self.always_scrape_classic_histograms == o.always_scrape_classic_histograms
            && self.convert_classic_histograms_to_nhcb == o.convert_classic_histograms_to_nhcb
            && self.native_histogram_bucket_limit == o.native_histogram_bucket_limit
            && self.native_histogram_min_bucket_factor.to_bits()
                == o.native_histogram_min_bucket_factor.to_bits()
            && self.fallback_scrape_protocol == o.fallback_scrape_protocol
    }
}

impl Eq for ProtocolSettings {}

impl ProtocolSettings {
    /// The protocols asked for, best first.
    pub fn protocols(&self) -> &[ScrapeProtocol] {
        match &self.scrape_protocols {
            Some(p) => p,
            None => ScrapeProtocol::defaults(self.scrape_native_histograms),
        }
    }

    /// Prometheus' `pickSchema`: the highest schema whose bucket growth factor is at least
    /// `native_histogram_min_bucket_factor` (8 without one).
    ///
    /// ```
    /// use promtext::config::ProtocolSettings;
    /// let mut p = ProtocolSettings::default();
    /// assert_eq!(p.max_schema(), 8);
    /// p.native_histogram_min_bucket_factor = 1.1;
    /// assert_eq!(p.max_schema(), 2);
    /// p.native_histogram_min_bucket_factor = 1e6;
    /// assert_eq!(p.max_schema(), -4);
    /// ```
    pub fn max_schema(&self) -> i32 {
        let mut f = self.native_histogram_min_bucket_factor;
        if f <= 1.0 {
            f = 1.00271;
        }
        let floor = (-f.log2().log2()).floor();
        floor.clamp(-4.0, 8.0) as i32
    }
}

impl ScrapeJob {
    /// The rules of a stage.
    pub fn rules(&self, stage: Stage) -> &[RelabelConfig] {
        match stage {
            Stage::Target => &self.relabel_configs,
            Stage::Metric => &self.metric_relabel_configs,
        }
    }
}
