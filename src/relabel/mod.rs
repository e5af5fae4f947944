//! Prometheus-compatible relabeling, compiled.
//!
//! The semantics are Prometheus' (`model/relabel`) exactly: the same config shape, defaults and validation
//! messages (under both the `utf8` and the `legacy` name-validation schemes), regexes anchored as `^(?s:…)$` with
//! Go's syntax and ASCII `\d \w \s \b`, Go's `Regexp.Expand` rules for `$` templates, MD5 `hashmod`, Go's simple
//! case mapping for `lowercase`/`uppercase`, and the same result rule by rule.
//!
//! * [`RelabelConfig`] is one rule (serde, with Prometheus' defaults); `promtext::config` (feature `yaml`) loads
//!   rule lists, `prometheus.yml` scrape jobs and Prometheus-Operator `additionalScrapeConfigs:` values.
//! * [`Pipeline`] is the validated, compiled rule list: immutable, `Send + Sync`, cheap to clone. Each rule gets a
//!   fast matcher when its regex has a simple shape (match-all, empty, literal, alternation of literals,
//!   prefix/suffix around `.*`/`.+`, `.*lit.*`), derived from the same parsed pattern as the regex itself.
//! * [`Relabeler`] is a per-thread scratch that applies a pipeline to borrowed labels in any order, without
//!   allocating for series that are dropped or left unchanged. Rules read and write the labels they name through
//!   slots resolved once per label set; the input is copied, sorted or normalized only when a rule needs the
//!   whole list, and rules that only write labels run after the last rule that can drop the series when that
//!   cannot change the result ([`Pipeline::run_order`]), so a series dropped by a late `keep` costs little.
//! * [`SeriesCache`] memoizes results per raw series text, with Prometheus' scrape-cache hygiene.
//! * [`LabelSetCache`] memoizes target relabeling per whole label set, for discovery updates that re-send
//!   unchanged targets.
//! * [`Pipeline::explain`] traces every rule; `promtext::config::RuleTests` runs rule unit tests.
//! * [`parse_series`] and [`parse_labels`] read the `{name="value", ...}` series notation used in tests and
//!   the CLI; [`Labels`] prints it back.
//!
//! Inside: `rule.rs` is one rule and its validation; `compile.rs` turns a rule list into a program
//! (`program.rs`: rules with their slots, fast matchers and shortcuts, in run order) that the interpreter
//! (`run.rs`) runs over a working set (`working_set.rs`: the labels in the cheapest form for the rules run so
//! far); `pipeline.rs` is the facade.
//!
//! ```
//! # #[cfg(feature = "yaml")]
//! # fn main() -> Result<(), promtext::relabel::ConfigError> {
//! use promtext::config::rules_from_yaml;
//! use promtext::relabel::{NameValidationScheme, Outcome, Pipeline};
//!
//! let rules = rules_from_yaml(
//!     r#"
//! - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
//!   action: replace
//!   regex: ([^:]+)(?::\d+)?;(\d+)
//!   replacement: $1:15090
//!   target_label: __address__
//! - action: labeldrop
//!   regex: __meta_kubernetes_pod_label_(.+)
//! "#,
//!     NameValidationScheme::Utf8,
//! )?;
//! let pipeline = Pipeline::new(&rules, NameValidationScheme::Utf8)?;
//! let mut relabeler = pipeline.relabeler();
//! let input = [
//!     ("__meta_kubernetes_pod_label_app", "reviews"),
//!     ("__address__", "10.1.2.3:8080"),
//!     ("__meta_kubernetes_pod_annotation_prometheus_io_port", "15020"),
//! ];
//! let Outcome::Changed(labels) = relabeler.apply(&input) else { unreachable!() };
//! assert_eq!(
//!     labels.to_string(),
//!     r#"{__address__="10.1.2.3:15090", __meta_kubernetes_pod_annotation_prometheus_io_port="15020"}"#
//! );
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "yaml"))]
//! # fn main() {}
//! ```
//!
//! Known differences from Prometheus: a YAML `!!binary` scalar is read as its text (the YAML library resolves the
//! tag), and Unicode tables are those of the `regex` crate (Unicode 16) rather than Go 1.23's (Unicode 15).

mod cache;
mod case;
mod compile;
pub(crate) mod goregex;
mod labels;
mod matcher;
#[doc(hidden)]
pub mod naive;
mod notation;
mod pipeline;
mod program;
mod rule;
mod run;
mod schedule;
pub(crate) mod series_map;
mod slots;
mod strcmp;
mod template;
mod working_set;

pub use cache::{Cached, DEFAULT_CACHE_MAX_ENTRIES, LabelSetCache, SeriesCache};
pub use compile::CompileOptions;
pub use goregex::RegexError;
pub use labels::Labels;
pub use notation::{NotationError, format_pairs, parse_labels, parse_series};
pub use pipeline::{Explanation, Outcome, Pipeline, Relabeler, Step};
pub use rule::{
    Action, ConfigError, DEFAULT_REGEX, DEFAULT_REPLACEMENT, DEFAULT_SEPARATOR,
    NameValidationScheme, RegexSpec, RelabelConfig, Stage, is_legacy_target_template,
};
