//! Offline service discovery (feature `kubernetes`): the target groups a discovery mechanism would produce,
//! computed from dumps of the objects it watches, then turned into scrape targets as Prometheus' scrape manager
//! does (job defaults, `relabel_configs`, target checks, `instance` defaulting, de-duplication).
//!
//! ```
//! use promtext::discovery::kubernetes::Cluster;
//! use promtext::discovery::{TargetState, job_targets};
//! use promtext::config::ConfigDocument;
//! let doc = ConfigDocument::from_yaml(r#"
//! scrape_configs:
//! - job_name: envoy-stats
//!   metrics_path: /stats/prometheus
//!   kubernetes_sd_configs: [{role: pod}]
//!   relabel_configs:
//!   - source_labels: [__meta_kubernetes_pod_container_port_name]
//!     action: keep
//!     regex: '.*-envoy-prom'
//! "#)?;
//! let pods = r#"{"kind": "List", "items": [{
//!   "metadata": {"name": "reviews-v1-1", "namespace": "default"},
//!   "spec": {"containers": [
//!     {"name": "reviews", "ports": [{"containerPort": 9080, "protocol": "TCP"}]},
//!     {"name": "istio-proxy", "ports": [{"name": "http-envoy-prom", "containerPort": 15090, "protocol": "TCP"}]}
//!   ]},
//!   "status": {"podIP": "10.244.1.7", "phase": "Running"}
//! }]}"#;
//! let cluster = Cluster::from_pods(pods.as_bytes())?;
//! let targets = job_targets(&doc.jobs()[0], &cluster)?;
//! let active: Vec<_> = targets.iter().filter_map(|t| t.active()).collect();
//! assert_eq!(active.len(), 1);
//! assert_eq!(active[0].url(), "http://10.244.1.7:15090/stats/prometheus");
//! assert!(matches!(targets[0].state, TargetState::Dropped { rule: Some(0) }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod kubernetes;

use std::collections::HashSet;
use std::fmt;

use crate::config::ScrapeJob;
use crate::relabel::{Labels, Pipeline};
use crate::scrape::{Target, TargetError, TargetOutcome};

/// A group of targets sharing labels, as a discovery mechanism hands them to the scrape manager.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetGroup {
    /// Where the group comes from (`pod/<namespace>/<name>` for a pod).
    pub source: String,
    /// Labels common to every target of the group.
    pub labels: Vec<(String, String)>,
    /// Per-target labels (each holds `__address__`).
    pub targets: Vec<Vec<(String, String)>>,
}

impl TargetGroup {
    /// The discovered labels of target `i`: its own labels, then the group's labels it does not set itself.
    pub fn target_labels(&self, i: usize) -> Vec<(String, String)> {
        let Some(t) = self.targets.get(i) else {
            return Vec::new();
        };
        let mut out = t.clone();
        for (n, v) in &self.labels {
            if !t.iter().any(|(tn, _)| tn == n) {
                out.push((n.clone(), v.clone()));
            }
        }
        out
    }
}

/// What became of one discovered target.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TargetState {
    /// The target is scraped.
    Active(Target),
    /// `relabel_configs` dropped it; `rule` is the index of the rule that did.
    Dropped {
        /// Index of the dropping rule in `relabel_configs`.
        rule: Option<usize>,
    },
    /// The target is identical (labels and URL) to an earlier active one; Prometheus scrapes it once.
    Duplicate,
    /// Prometheus refuses the target (`no address`, bad interval or timeout, ...).
    Failed(TargetError),
}

/// One discovered target and its fate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredTarget {
    /// The source of its group (`pod/<namespace>/<name>`).
    pub source: String,
    /// The discovered labels with the job defaults, as `/api/v1/targets` shows them (`discoveredLabels`).
    pub discovered: Labels,
    /// What became of it.
    pub state: TargetState,
}

impl DiscoveredTarget {
    /// The active target, if it is one.
    pub fn active(&self) -> Option<&Target> {
        match &self.state {
            TargetState::Active(t) => Some(t),
            _ => None,
        }
    }
}

/// Errors of offline discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// An object dump does not decode.
    Decode {
        /// What was decoded (`pods`, `nodes`, `namespaces`).
        what: &'static str,
        /// The decoder's message.
        message: String,
    },
    /// The job's discovery role cannot be computed offline.
    UnsupportedRole(String),
    /// A label or field selector does not parse or names an unsupported field.
    Selector {
        /// The selector as written.
        selector: String,
        /// Why.
        message: String,
    },
    /// The configuration needs an object dump that was not given (`attach_metadata` without nodes or
    /// namespaces, `own_namespace` without the namespace).
    Missing(&'static str),
    /// The job has no discovery configuration this module understands.
    NoDiscovery(String),
    /// The job's `relabel_configs` do not compile.
    Config(String),
}

impl fmt::Display for DiscoveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiscoveryError::Decode { what, message } => {
                write!(f, "cannot decode {what}: {message}")
            }
            DiscoveryError::UnsupportedRole(r) => write!(
                f,
                "Kubernetes SD role {r:?} cannot be computed offline (supported: pod)"
            ),
            DiscoveryError::Selector { selector, message } => {
                write!(f, "invalid selector {selector:?}: {message}")
            }
            DiscoveryError::Missing(m) => f.write_str(m),
            DiscoveryError::NoDiscovery(j) => {
                write!(f, "job {j:?} has no kubernetes_sd_configs")
            }
            DiscoveryError::Config(m) => write!(f, "invalid relabel_configs: {m}"),
        }
    }
}

impl std::error::Error for DiscoveryError {}

/// Turns target groups into targets for `job` (with `relabel_configs` compiled once by the caller), in group and
/// target order. Active targets identical to an earlier one (same labels, same URL) are marked
/// [`TargetState::Duplicate`].
pub fn targets_from_groups(
    job: &ScrapeJob,
    pipeline: &Pipeline,
    groups: &[TargetGroup],
) -> Vec<DiscoveredTarget> {
    let mut out = Vec::new();
    let mut seen: HashSet<(Labels, String)> = HashSet::new();
    let mut relabeler = pipeline.relabeler();
    for g in groups {
        for i in 0..g.targets.len() {
            let pairs = Target::with_defaults(job, g.target_labels(i));
            let discovered =
                Labels::from_pairs(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())));
            let state = match Target::populate(job, &mut relabeler, &pairs, discovered.clone()) {
                Ok(TargetOutcome::Kept(t)) => {
                    if seen.insert((t.all_labels().clone(), t.url())) {
                        TargetState::Active(t)
                    } else {
                        TargetState::Duplicate
                    }
                }
                Ok(TargetOutcome::Dropped(_)) => TargetState::Dropped {
                    rule: dropping_rule(pipeline, &discovered),
                },
                Err(e) => TargetState::Failed(e),
            };
            out.push(DiscoveredTarget {
                source: g.source.clone(),
                discovered,
                state,
            });
        }
    }
    out
}

/// The index of the rule that drops `labels`.
pub fn dropping_rule(pipeline: &Pipeline, labels: &Labels) -> Option<usize> {
    let pairs: Vec<(&str, &str)> = labels.iter().collect();
    let ex = pipeline.explain(&pairs);
    ex.steps.iter().find(|s| s.after.is_none()).map(|s| s.index)
}

/// Discovers the targets of `job` in `cluster` through every `kubernetes_sd_configs` entry of the job, and turns
/// them into scrape targets ([`targets_from_groups`]).
pub fn job_targets(
    job: &ScrapeJob,
    cluster: &kubernetes::Cluster,
) -> Result<Vec<DiscoveredTarget>, DiscoveryError> {
    if job.kubernetes_sd_configs.is_empty() {
        return Err(DiscoveryError::NoDiscovery(job.job_name.clone()));
    }
    let mut groups = Vec::new();
    for sd in &job.kubernetes_sd_configs {
        groups.extend(cluster.target_groups(sd)?);
    }
    let pipeline = Pipeline::new(&job.relabel_configs, job.name_validation_scheme)
        .map_err(|e| DiscoveryError::Config(e.to_string()))?;
    Ok(targets_from_groups(job, &pipeline, &groups))
}
