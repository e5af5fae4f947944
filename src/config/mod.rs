//! Prometheus configuration from YAML (feature `yaml`): a bare rule list, a Prometheus configuration
//! (`scrape_configs:`), or Prometheus-Operator style values where jobs sit under `additionalScrapeConfigs:` (at any
//! depth, as a list or as a YAML string holding the list).
//!
//! * [`ConfigDocument`] loads any of these; [`ScrapeJob`] is one job (with [`ScrapeLimits`], [`ProtocolSettings`],
//!   [`HttpClientConfig`], [`KubernetesSdConfig`] and its rule lists); [`rules_from_yaml`] reads a bare rule list.
//! * [`parse_duration`], [`format_duration`] and [`parse_bytes`] read and write Prometheus' units.
//! * [`RuleTests`] runs unit tests of relabel rules (`promtext relabel test`).
//!
//! The rules themselves are [`crate::relabel`]'s: this module builds
//! [`RelabelConfig`](crate::relabel::RelabelConfig)s, and the relabel module knows nothing of YAML.
//!
//! ```
//! use promtext::config::ConfigDocument;
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

mod document;
mod job;
mod kubernetes;
mod rule_tests;
mod rules;
mod tree;
mod units;
mod yaml;

pub use document::{ConfigDocument, Selection, rule_position};
pub(crate) use job::escaping_scheme;
pub use job::{
    Authorization, BasicAuth, HttpClientConfig, ProtocolSettings, ScrapeJob, ScrapeLimits,
    TlsSettings,
};
pub use kubernetes::{
    KubernetesAttachMetadata, KubernetesNamespaces, KubernetesSdConfig, KubernetesSelector,
};
pub use rule_tests::{CaseReport, Expect, RuleTests, TestCase, TestFileError};
pub use rules::{rules_from_value, rules_from_yaml};
pub(crate) use tree::Pos;
pub use units::{format_duration, parse_bytes, parse_duration};
pub use yaml::MAX_YAML_DEPTH;
