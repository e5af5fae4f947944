//! Loading rules from YAML (feature `yaml`): a bare rule list, a Prometheus configuration (`scrape_configs:`), or
//! Prometheus-Operator style values where jobs sit under `additionalScrapeConfigs:` (at any depth, as a list or as
//! a YAML string holding the list).
//!
//! ```
//! use promtext::relabel::yaml::ConfigDocument;
//! use promtext::relabel::Stage;
//! let doc = ConfigDocument::from_yaml(r#"
//! additionalScrapeConfigs:
//! - job_name: 'envoy-stats'
//!   metrics_path: /stats/prometheus
//!   kubernetes_sd_configs:
//!   - role: pod
//!   relabel_configs:
//!   - source_labels: [__meta_kubernetes_pod_container_port_name]
//!     action: keep
//!     regex: '.*-envoy-prom'
//! "#)?;
//! let sel = doc.select(None, None)?;
//! assert_eq!(sel.rules.len(), 1);
//! assert_eq!(sel.stage, Stage::Target);
//! assert_eq!(sel.job.unwrap().metrics_path, "/stats/prometheus");
//! # Ok::<(), promtext::relabel::ConfigError>(())
//! ```

use std::collections::BTreeMap;

use yaml_serde::{Mapping, Value};

use super::config::{ConfigError, NameValidationScheme, RelabelConfig, Stage};
use crate::content_type::ScrapeProtocol;

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
    /// use promtext::relabel::yaml::ConfigDocument;
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

/// One `kubernetes_sd_configs` entry: the keys that decide which objects are discovered. Connection keys
/// (`api_server`, `kubeconfig_file`, authentication, TLS) are accepted and ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct KubernetesSdConfig {
    /// `role`: `pod`, `service`, `endpoints`, `endpointslice`, `node` or `ingress`.
    pub role: String,
    /// `namespaces`.
    #[serde(deserialize_with = "nullable")]
    pub namespaces: KubernetesNamespaces,
    /// `selectors`.
    #[serde(deserialize_with = "nullable")]
    pub selectors: Vec<KubernetesSelector>,
    /// `attach_metadata`.
    #[serde(deserialize_with = "nullable")]
    pub attach_metadata: KubernetesAttachMetadata,
}

/// `namespaces` of a Kubernetes SD config: no names means every namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct KubernetesNamespaces {
    /// `own_namespace`: add the namespace Prometheus runs in.
    pub own_namespace: bool,
    /// `names`.
    #[serde(deserialize_with = "nullable")]
    pub names: Vec<String>,
}

/// One of `selectors`: a label and/or field selector for the objects of `role`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct KubernetesSelector {
    /// The role whose objects are filtered.
    pub role: String,
    /// A label selector (`app=reviews,version in (v1,v2)`).
    pub label: String,
    /// A field selector (`spec.nodeName=worker-2`).
    pub field: String,
}

/// `attach_metadata`: add the labels of the pod's node and/or namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct KubernetesAttachMetadata {
    /// `node`.
    pub node: bool,
    /// `namespace`.
    pub namespace: bool,
}

/// Treats an explicit YAML `null` as the default value.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    use serde::Deserialize;
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

const KUBERNETES_ROLES: [&str; 6] = [
    "pod",
    "service",
    "endpoints",
    "endpointslice",
    "node",
    "ingress",
];

impl KubernetesSdConfig {
    /// Checks the role and the selectors' roles as Prometheus does when it loads the configuration.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.role.is_empty() {
            return Err(ConfigError::Decode(
                "role missing (one of: pod, service, endpoints, endpointslice, node, ingress)"
                    .into(),
            ));
        }
        if !KUBERNETES_ROLES.contains(&self.role.as_str()) {
            return Err(ConfigError::Decode(format!(
                "unknown Kubernetes SD role {:?}",
                self.role
            )));
        }
        let allowed: &[&str] = match self.role.as_str() {
            "pod" => &["pod", "node"],
            "service" => &["service"],
            "endpoints" | "endpointslice" => {
                &["endpoints", "endpointslice", "pod", "service", "node"]
            }
            "node" => &["node"],
            _ => &["ingress"],
        };
        let mut seen: Vec<&str> = Vec::new();
        for s in &self.selectors {
            if seen.contains(&s.role.as_str()) {
                return Err(ConfigError::Decode(format!(
                    "duplicated selector role: {}",
                    s.role
                )));
            }
            seen.push(&s.role);
            if !allowed.contains(&s.role.as_str()) {
                return Err(ConfigError::Decode(format!(
                    "{} role supports only {} selectors",
                    self.role,
                    allowed.join(", ")
                )));
            }
        }
        Ok(())
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
    /// `convert_classic_histograms_to_nhcb`. Accepted when false only: promtext does not
    /// convert classic histograms to custom-bucket native ones.
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
    /// use promtext::relabel::yaml::ProtocolSettings;
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

fn protocol_list(m: &Mapping, key: &str) -> Result<Option<Vec<ScrapeProtocol>>, ConfigError> {
    let Some(v) = get(m, key) else {
        return Ok(None);
    };
    let names: Vec<String> = decode(v)?;
    let mut out: Vec<ScrapeProtocol> = Vec::new();
    for n in names {
        let p = protocol(&n)?;
        if out.contains(&p) {
            return Err(ConfigError::Decode(format!(
                "duplicated protocol in scrape_protocols, got {}",
                out.iter()
                    .chain([&p])
                    .map(|p| p.name())
                    .collect::<Vec<_>>()
                    .join(" ")
            )));
        }
        out.push(p);
    }
    Ok(Some(out))
}

fn protocol(name: &str) -> Result<ScrapeProtocol, ConfigError> {
    ScrapeProtocol::from_name(name).ok_or_else(|| {
        ConfigError::Decode(format!(
            "unknown scrape protocol {name}, supported: [OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto PrometheusText0.0.4 PrometheusText1.0.0]"
        ))
    })
}

fn protocol_settings(m: &Mapping, g: &Global) -> Result<ProtocolSettings, ConfigError> {
    let flag = |key: &str| -> Result<bool, ConfigError> {
        Ok(get(m, key)
            .map(decode::<bool>)
            .transpose()?
            .unwrap_or(false))
    };
    let p = ProtocolSettings {
        scrape_protocols: protocol_list(m, "scrape_protocols")?.or_else(|| g.protocols.clone()),
        scrape_native_histograms: flag("scrape_native_histograms")?,
        always_scrape_classic_histograms: flag("always_scrape_classic_histograms")?,
        convert_classic_histograms_to_nhcb: flag("convert_classic_histograms_to_nhcb")?,
        native_histogram_bucket_limit: get_u64(m, "native_histogram_bucket_limit")?,
        native_histogram_min_bucket_factor: get(m, "native_histogram_min_bucket_factor")
            .map(decode::<f64>)
            .transpose()?
            .unwrap_or(0.0),
        fallback_scrape_protocol: get_str(m, "fallback_scrape_protocol")?
            .filter(|s| !s.is_empty())
            .map(|s| protocol(&s))
            .transpose()?,
    };
    if p.convert_classic_histograms_to_nhcb {
        return Err(ConfigError::Decode(
            "convert_classic_histograms_to_nhcb: promtext does not convert classic histograms to native ones".to_string(),
        ));
    }
    Ok(p)
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

/// A loaded configuration document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigDocument {
    /// A bare list of rules.
    Rules(Vec<RelabelConfig>),
    /// Scrape jobs (from `scrape_configs:` or `additionalScrapeConfigs:`).
    Jobs(Vec<ScrapeJob>),
}

/// Rules picked from a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection<'d> {
    /// The job, when the document has jobs.
    pub job: Option<&'d ScrapeJob>,
    /// The stage the rules come from.
    pub stage: Stage,
    /// The rules.
    pub rules: &'d [RelabelConfig],
    /// The scheme to compile them with.
    pub scheme: NameValidationScheme,
}

/// Documents nested deeper than this are refused before they are parsed.
///
/// ```
/// use promtext::relabel::yaml::ConfigDocument;
/// let e = ConfigDocument::from_yaml(&"[".repeat(100_000)).unwrap_err();
/// assert_eq!(e.to_string(), "YAML nesting deeper than 100 levels at line 1");
/// ```
pub const MAX_YAML_DEPTH: usize = 100;

/// Parses YAML text into a value after [`check_depth`]: the YAML parser's cost grows with the square of the
/// nesting depth (100 000 `[` took half a minute) before its own recursion limit of 128 applies.
pub(crate) fn parse_value(text: &str) -> Result<Value, String> {
    check_depth(text)?;
    yaml_serde::from_str(text).map_err(|e| e.to_string())
}

/// A linear, conservative estimate of the nesting depth: flow collections (`[`, `{`, outside quoted scalars
/// and comments) plus block levels (distinct indentations in force, and compact `- `/`? ` indicators on a
/// line). Errs when it exceeds [`MAX_YAML_DEPTH`].
fn check_depth(text: &str) -> Result<(), String> {
    let b = text.as_bytes();
    let mut flow = 0usize;
    let mut indents: Vec<usize> = Vec::new();
    // Inside a quoted scalar (which may span lines): its quote.
    let mut quote: Option<u8> = None;
    let mut line = 1usize;
    let mut i = 0;
    let too_deep = |line: usize| {
        Err(format!(
            "YAML nesting deeper than {MAX_YAML_DEPTH} levels at line {line}"
        ))
    };
    while i < b.len() {
        // The start of a line.
        let mut col = 0;
        while i < b.len() && b[i] == b' ' {
            i += 1;
            col += 1;
        }
        let content = i < b.len() && b[i] != b'\n' && b[i] != b'#' && b[i] != b'\r';
        if content && quote.is_none() && flow == 0 {
            while indents.last().is_some_and(|&c| c >= col) {
                indents.pop();
            }
            indents.push(col);
            let mut compact = 0;
            let mut k = i;
            while k + 1 < b.len() && (b[k] == b'-' || b[k] == b'?') && b[k + 1] == b' ' {
                compact += 1;
                k += 2;
                while k < b.len() && b[k] == b' ' {
                    k += 1;
                }
            }
            if indents.len() + compact > MAX_YAML_DEPTH {
                return too_deep(line);
            }
        }
        // The rest of the line. A quoted scalar or a flow collection starts only where a token does: at the
        // line's start, after `[`, `{` or `,`, or after `-`, `?` or `:` followed by a blank.
        let mut at_token = true;
        while i < b.len() && b[i] != b'\n' {
            let c = b[i];
            if let Some(q) = quote {
                if c == b'\\' && q == b'"' {
                    i += 1;
                } else if c == q {
                    if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                        i += 1;
                    } else {
                        quote = None;
                        at_token = false;
                    }
                }
                i += 1;
                continue;
            }
            let blank_after = matches!(b.get(i + 1), None | Some(b' ' | b'\t' | b'\r' | b'\n'));
            match c {
                b' ' | b'\t' | b'\r' => {}
                b'\'' | b'"' if at_token => quote = Some(c),
                b'#' if i == 0 || matches!(b[i - 1], b' ' | b'\t') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                    break;
                }
                // In block context a bracket inside a plain scalar (`regex: a[0-9]`) is text.
                b'[' | b'{' if flow > 0 || at_token => {
                    flow += 1;
                    at_token = true;
                    if indents.len() + flow > MAX_YAML_DEPTH {
                        return too_deep(line);
                    }
                }
                b']' | b'}' if flow > 0 => {
                    flow -= 1;
                    at_token = false;
                }
                b',' if flow > 0 => at_token = true,
                b'-' | b'?' | b':' if blank_after => at_token = true,
                _ => at_token = false,
            }
            i += 1;
        }
        i += 1;
        line += 1;
    }
    Ok(())
}

fn decode<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, ConfigError> {
    yaml_serde::from_value(v.clone()).map_err(|e| ConfigError::Decode(e.to_string()))
}

/// Parses a rule list (`null` items rejected with the stage's message) without validating the rules.
pub fn rules_from_value(v: &Value, stage: Stage) -> Result<Vec<RelabelConfig>, ConfigError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .map(|(index, it)| {
                if it.is_null() {
                    return Err(ConfigError::NullRule(stage));
                }
                decode::<RelabelConfig>(it).map_err(|e| ConfigError::InRule {
                    index,
                    error: Box::new(e),
                })
            })
            .collect(),
        _ => Err(ConfigError::Decode(
            "relabel rules must be a list".to_string(),
        )),
    }
}

/// Parses and validates a bare YAML list of rules.
pub fn rules_from_yaml(
    text: &str,
    scheme: NameValidationScheme,
) -> Result<Vec<RelabelConfig>, ConfigError> {
    let v = parse_value(text).map_err(ConfigError::Decode)?;
    let rules = rules_from_value(&v, Stage::Target)?;
    validate_all(&rules, scheme)?;
    Ok(rules)
}

fn validate_all(rules: &[RelabelConfig], scheme: NameValidationScheme) -> Result<(), ConfigError> {
    for (index, r) in rules.iter().enumerate() {
        r.validate(scheme).map_err(|e| ConfigError::InRule {
            index,
            error: Box::new(e),
        })?;
    }
    Ok(())
}

fn get<'v>(m: &'v Mapping, key: &str) -> Option<&'v Value> {
    m.get(key).filter(|v| !v.is_null())
}

fn get_u64(m: &Mapping, key: &str) -> Result<u64, ConfigError> {
    match get(m, key) {
        None => Ok(0),
        Some(v) => decode::<u64>(v),
    }
}

fn get_str(m: &Mapping, key: &str) -> Result<Option<String>, ConfigError> {
    match get(m, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(ConfigError::Decode(format!("{key} must be a string"))),
    }
}

/// Parses a Prometheus `units.Base2Bytes` value (`512`, `10KB`, `10MB`, `1GiB`, ...).
pub fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mul: u64 = match unit {
        "" | "B" => 1,
        "KB" | "KiB" => 1 << 10,
        "MB" | "MiB" => 1 << 20,
        "GB" | "GiB" => 1 << 30,
        "TB" | "TiB" => 1 << 40,
        "PB" | "PiB" => 1 << 50,
        "EB" | "EiB" => 1 << 60,
        _ => return None,
    };
    n.checked_mul(mul)
}

#[derive(Default)]
struct Global {
    limits: ScrapeLimits,
    interval: Option<String>,
    timeout: Option<String>,
    scheme: Option<NameValidationScheme>,
    protocols: Option<Vec<ScrapeProtocol>>,
}

fn limits(m: &Mapping) -> Result<ScrapeLimits, ConfigError> {
    let body = match get_str(m, "body_size_limit")? {
        None => 0,
        Some(s) => parse_bytes(&s)
            .ok_or_else(|| ConfigError::Decode(format!("invalid body_size_limit {s:?}")))?,
    };
    Ok(ScrapeLimits {
        sample_limit: get_u64(m, "sample_limit")?,
        label_limit: get_u64(m, "label_limit")?,
        label_name_length_limit: get_u64(m, "label_name_length_limit")?,
        label_value_length_limit: get_u64(m, "label_value_length_limit")?,
        target_limit: get_u64(m, "target_limit")?,
        body_size_limit: body,
    })
}

fn scheme_of(m: &Mapping) -> Result<Option<NameValidationScheme>, ConfigError> {
    match get_str(m, "metric_name_validation_scheme")? {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) => NameValidationScheme::parse(&s).map(Some),
    }
}

fn http_client(m: &Mapping) -> Result<HttpClientConfig, ConfigError> {
    let mut sub = Mapping::new();
    for k in [
        "authorization",
        "basic_auth",
        "bearer_token",
        "bearer_token_file",
        "tls_config",
    ] {
        if let Some(v) = get(m, k) {
            sub.insert(Value::from(k), v.clone());
        }
    }
    let c: HttpClientConfig = decode(&Value::Mapping(sub))?;
    let auths = [
        c.authorization.is_some(),
        c.basic_auth.is_some(),
        !c.bearer_token.is_empty() || !c.bearer_token_file.is_empty(),
    ];
    if auths.iter().filter(|a| **a).count() > 1 {
        return Err(ConfigError::Decode(
            "at most one of basic_auth, oauth2, bearer_token & bearer_token_file, authorization must be configured"
                .into(),
        ));
    }
    Ok(c)
}

fn job(v: &Value, g: &Global) -> Result<ScrapeJob, ConfigError> {
    let Value::Mapping(m) = v else {
        return Err(ConfigError::Decode(
            "a scrape config must be a mapping".to_string(),
        ));
    };
    let job_name = get_str(m, "job_name")?.unwrap_or_default();
    if job_name.is_empty() {
        return Err(ConfigError::EmptyJobName);
    }
    job_body(m, g, &job_name).map_err(|(stage, e)| ConfigError::InJob {
        job: job_name.clone(),
        stage,
        error: Box::new(e),
    })
}

/// A job's keys; errors say which rule list they come from, if any.
fn job_body(
    m: &Mapping,
    g: &Global,
    job_name: &str,
) -> Result<ScrapeJob, (Option<Stage>, ConfigError)> {
    let plain = |e: ConfigError| (None, e);
    let t = |e: ConfigError| (Some(Stage::Target), e);
    let mt = |e: ConfigError| (Some(Stage::Metric), e);
    let scheme = scheme_of(m)
        .map_err(plain)?
        .or(g.scheme)
        .unwrap_or_default();
    let mut l = limits(m).map_err(plain)?;
    let fallback = |v: &mut u64, gv: u64| {
        if *v == 0 {
            *v = gv;
        }
    };
    fallback(&mut l.sample_limit, g.limits.sample_limit);
    fallback(&mut l.label_limit, g.limits.label_limit);
    fallback(
        &mut l.label_name_length_limit,
        g.limits.label_name_length_limit,
    );
    fallback(
        &mut l.label_value_length_limit,
        g.limits.label_value_length_limit,
    );
    fallback(&mut l.target_limit, g.limits.target_limit);
    fallback(&mut l.body_size_limit, g.limits.body_size_limit);
    let params = match get(m, "params") {
        None => BTreeMap::new(),
        Some(v) => decode(v).map_err(plain)?,
    };
    let relabel_configs = rules_from_value(
        m.get("relabel_configs").unwrap_or(&Value::Null),
        Stage::Target,
    )
    .map_err(t)?;
    let metric_relabel_configs = rules_from_value(
        m.get("metric_relabel_configs").unwrap_or(&Value::Null),
        Stage::Metric,
    )
    .map_err(mt)?;
    validate_all(&relabel_configs, scheme).map_err(t)?;
    validate_all(&metric_relabel_configs, scheme).map_err(mt)?;
    let kubernetes_sd_configs: Vec<KubernetesSdConfig> = match get(m, "kubernetes_sd_configs") {
        None => Vec::new(),
        Some(v) => decode(v).map_err(plain)?,
    };
    for k in &kubernetes_sd_configs {
        k.validate().map_err(plain)?;
    }
    Ok(ScrapeJob {
        job_name: job_name.to_string(),
        metrics_path: get_str(m, "metrics_path")
            .map_err(plain)?
            .unwrap_or_else(|| "/metrics".to_string()),
        scheme: get_str(m, "scheme")
            .map_err(plain)?
            .unwrap_or_else(|| "http".to_string()),
        honor_labels: get(m, "honor_labels")
            .map(decode::<bool>)
            .transpose()
            .map_err(plain)?
            .unwrap_or(false),
        honor_timestamps: get(m, "honor_timestamps")
            .map(decode::<bool>)
            .transpose()
            .map_err(plain)?
            .unwrap_or(true),
        params,
        scrape_interval: get_str(m, "scrape_interval")
            .map_err(plain)?
            .or_else(|| g.interval.clone()),
        scrape_timeout: get_str(m, "scrape_timeout")
            .map_err(plain)?
            .or_else(|| g.timeout.clone()),
        limits: l,
        name_validation_scheme: scheme,
        relabel_configs,
        metric_relabel_configs,
        kubernetes_sd_configs,
        metric_name_escaping_scheme: get_str(m, "metric_name_escaping_scheme")
            .map_err(plain)?
            .unwrap_or_default(),
        http_client: http_client(m).map_err(plain)?,
        protocols: protocol_settings(m, g).map_err(plain)?,
    })
}

fn jobs(list: &Value, g: &Global) -> Result<Vec<ScrapeJob>, ConfigError> {
    let list = match list {
        // Helm values often carry the list as a YAML string.
        Value::String(s) => parse_value(s).map_err(ConfigError::Decode)?,
        v => v.clone(),
    };
    let Value::Sequence(items) = list else {
        return Err(ConfigError::Decode(
            "scrape configs must be a list".to_string(),
        ));
    };
    let mut out: Vec<ScrapeJob> = Vec::with_capacity(items.len());
    for it in &items {
        if it.is_null() {
            return Err(ConfigError::Decode(
                "empty or null scrape config section".to_string(),
            ));
        }
        let j = job(it, g)?;
        if out.iter().any(|o| o.job_name == j.job_name) {
            return Err(ConfigError::DuplicateJob(j.job_name));
        }
        out.push(j);
    }
    Ok(out)
}

fn find_additional(v: &Value, depth: usize) -> Option<&Value> {
    if depth > 8 {
        return None;
    }
    match v {
        Value::Mapping(m) => {
            if let Some(a) = m.get("additionalScrapeConfigs") {
                return Some(a);
            }
            m.values().find_map(|x| find_additional(x, depth + 1))
        }
        _ => None,
    }
}

impl ConfigDocument {
    /// Parses any of the three forms. Rules inside jobs are validated with the job's scheme; a bare list is
    /// validated later, when compiled with the caller's scheme.
    pub fn from_yaml(text: &str) -> Result<ConfigDocument, ConfigError> {
        let v = parse_value(text).map_err(ConfigError::Decode)?;
        match &v {
            Value::Sequence(_) => Ok(ConfigDocument::Rules(rules_from_value(&v, Stage::Target)?)),
            Value::Mapping(m) => {
                let mut g = Global::default();
                if let Some(Value::Mapping(gm)) = get(m, "global") {
                    g.limits = limits(gm)?;
                    g.interval = get_str(gm, "scrape_interval")?;
                    g.timeout = get_str(gm, "scrape_timeout")?;
                    g.scheme = scheme_of(gm)?;
                    g.protocols = protocol_list(gm, "scrape_protocols")?;
                }
                if let Some(sc) = m.get("scrape_configs") {
                    return Ok(ConfigDocument::Jobs(jobs(sc, &g)?));
                }
                if let Some(a) = find_additional(&v, 0) {
                    return Ok(ConfigDocument::Jobs(jobs(a, &g)?));
                }
                if m.contains_key("relabel_configs") || m.contains_key("metric_relabel_configs") {
                    // A single job written on its own.
                    let mut one = m.clone();
                    if get(&one, "job_name").is_none() {
                        one.insert(Value::from("job_name"), Value::from("job"));
                    }
                    return Ok(ConfigDocument::Jobs(vec![job(&Value::Mapping(one), &g)?]));
                }
                Err(ConfigError::NoRules)
            }
            Value::Null => Ok(ConfigDocument::Rules(Vec::new())),
            _ => Err(ConfigError::NoRules),
        }
    }

    /// Picks rules: a bare list as is; otherwise the named job (required when there are several) and the stage
    /// (`Target` by default).
    pub fn select(
        &self,
        job: Option<&str>,
        stage: Option<Stage>,
    ) -> Result<Selection<'_>, ConfigError> {
        match self {
            ConfigDocument::Rules(r) => Ok(Selection {
                job: None,
                stage: stage.unwrap_or_default(),
                rules: r,
                scheme: NameValidationScheme::default(),
            }),
            ConfigDocument::Jobs(jobs) => {
                let names = || jobs.iter().map(|j| j.job_name.clone()).collect::<Vec<_>>();
                let j = match job {
                    Some(name) => jobs.iter().find(|j| j.job_name == name).ok_or_else(|| {
                        ConfigError::JobNotFound {
                            name: name.to_string(),
                            available: names(),
                        }
                    })?,
                    None => match jobs.as_slice() {
                        [one] => one,
                        [] => return Err(ConfigError::NoRules),
                        _ => return Err(ConfigError::AmbiguousJob(names())),
                    },
                };
                let stage = stage.unwrap_or_default();
                Ok(Selection {
                    job: Some(j),
                    stage,
                    rules: j.rules(stage),
                    scheme: j.name_validation_scheme,
                })
            }
        }
    }

    /// The jobs (empty for a bare list).
    pub fn jobs(&self) -> &[ScrapeJob] {
        match self {
            ConfigDocument::Jobs(j) => j,
            ConfigDocument::Rules(_) => &[],
        }
    }
}
