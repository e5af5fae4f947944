//! Target side: `relabel_configs` over discovered labels, finalized as Prometheus' `PopulateLabels` does.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::TargetError;
use crate::config::{ScrapeJob, format_duration, parse_duration};
use crate::relabel::{Labels, Outcome, Pipeline, Relabeler};

/// Prometheus' global default `scrape_interval`.
pub const DEFAULT_SCRAPE_INTERVAL: &str = "1m";
/// Prometheus' global default `scrape_timeout`.
pub const DEFAULT_SCRAPE_TIMEOUT: &str = "10s";

/// The target labels that carry a job's histogram settings (Prometheus 3.x adds them to the
/// discovered labels; relabeling may change them per target).
const CONVERT_NHCB_LABEL: &str = "__convert_classic_histograms_to_nhcb__";
const ALWAYS_CLASSIC_LABEL: &str = "__always_scrape_classic_histograms__";
const NATIVE_HISTOGRAMS_LABEL: &str = "__scrape_native_histograms__";
/// Each label with the words Prometheus' error uses for it, in Prometheus' order of checking.
const HISTOGRAM_SETTINGS: [(&str, &str); 3] = [
    (CONVERT_NHCB_LABEL, "convert classic histograms to nhcb"),
    (ALWAYS_CLASSIC_LABEL, "always scrape classic histograms"),
    (NATIVE_HISTOGRAMS_LABEL, "scrape native histograms"),
];

/// Go's `strconv.ParseBool`.
fn go_parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// A kept scrape target: its full label set (including `__address__`, `__scheme__`, `__metrics_path__`,
/// `__param_*`, `__scrape_*__`) and the public labels attached to every scraped sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    all: Labels,
    public: Labels,
    params: BTreeMap<String, Vec<String>>,
}

/// The result of target relabeling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetOutcome {
    /// The target is scraped.
    Kept(Target),
    /// `relabel_configs` dropped the target; holds the discovered labels (with the job defaults), as Prometheus
    /// shows dropped targets.
    Dropped(Labels),
}

impl TargetOutcome {
    /// The kept target, if any.
    pub fn kept(&self) -> Option<&Target> {
        match self {
            TargetOutcome::Kept(t) => Some(t),
            TargetOutcome::Dropped(_) => None,
        }
    }
}

impl Target {
    /// Builds a target from discovered labels for `job`, as Prometheus does: the job defaults (`job`,
    /// `__scrape_interval__`, `__scrape_timeout__`, `__metrics_path__`, `__scheme__`, `__param_*`) are added where
    /// unset, `relabel_configs` run, then `__address__` must be non-empty, the interval and timeout must parse, every
    /// `__meta_*` label is deleted and `instance` defaults to `__address__`.
    ///
    /// ```
    /// use promtext::config::ConfigDocument;
    /// use promtext::scrape::Target;
    /// let doc = ConfigDocument::from_yaml(r#"
    /// scrape_configs:
    /// - job_name: envoy-stats
    ///   metrics_path: /stats/prometheus
    ///   relabel_configs:
    ///   - source_labels: [__meta_kubernetes_pod_container_port_name]
    ///     action: keep
    ///     regex: '.*-envoy-prom'
    /// "#).unwrap();
    /// let job = &doc.jobs()[0];
    /// let t = Target::from_discovered(job, &[
    ///     ("__address__", "10.244.1.7:15090"),
    ///     ("__meta_kubernetes_pod_container_port_name", "http-envoy-prom"),
    /// ])?;
    /// let t = t.kept().unwrap();
    /// assert_eq!(t.url(), "http://10.244.1.7:15090/stats/prometheus");
    /// assert_eq!(t.labels().to_string(), r#"{instance="10.244.1.7:15090", job="envoy-stats"}"#);
    /// # Ok::<(), promtext::scrape::TargetError>(())
    /// ```
    pub fn from_discovered<N: AsRef<str>, V: AsRef<str>>(
        job: &ScrapeJob,
        discovered: &[(N, V)],
    ) -> Result<TargetOutcome, TargetError> {
        let pipeline = Pipeline::new(&job.relabel_configs, job.name_validation_scheme)
            .map_err(|e| TargetError::Config(e.to_string()))?;
        Target::with_pipeline(job, &pipeline, discovered)
    }

    /// Like [`Target::from_discovered`] with `relabel_configs` compiled once by the caller.
    pub fn with_pipeline<N: AsRef<str>, V: AsRef<str>>(
        job: &ScrapeJob,
        pipeline: &Pipeline,
        discovered: &[(N, V)],
    ) -> Result<TargetOutcome, TargetError> {
        Target::with_relabeler(job, &mut pipeline.relabeler(), discovered)
    }

    /// Like [`Target::with_pipeline`] with a relabeler reused across targets (no per-target scratch).
    pub fn with_relabeler<N: AsRef<str>, V: AsRef<str>>(
        job: &ScrapeJob,
        relabeler: &mut Relabeler,
        discovered: &[(N, V)],
    ) -> Result<TargetOutcome, TargetError> {
        let pairs = Target::discovered_pairs(job, discovered);
        let before = Labels::from_pairs(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        Target::populate(job, relabeler, &pairs, before)
    }

    /// Relabels `pairs` (the discovered labels with the job defaults; `before` is the same as a label set) and
    /// finalizes the result.
    pub(crate) fn populate(
        job: &ScrapeJob,
        relabeler: &mut Relabeler,
        pairs: &[(String, String)],
        before: Labels,
    ) -> Result<TargetOutcome, TargetError> {
        let after = match relabeler.apply(pairs) {
            Outcome::Dropped => return Ok(TargetOutcome::Dropped(before)),
            Outcome::Unchanged => before,
            Outcome::Changed(l) => l,
        };
        let addr = after.get("__address__").unwrap_or_default().to_string();
        if addr.is_empty() {
            return Err(TargetError::NoAddress);
        }
        if addr.contains('/') {
            return Err(TargetError::InvalidAddress(addr));
        }
        let iv = after.get("__scrape_interval__").unwrap_or_default();
        let to = after.get("__scrape_timeout__").unwrap_or_default();
        let ivd = parse_duration(iv).ok_or_else(|| {
            TargetError::Interval(format!(
                "error parsing scrape interval: not a valid duration string: {iv:?}"
            ))
        })?;
        if ivd == 0 {
            return Err(TargetError::Interval("scrape interval cannot be 0".into()));
        }
        let tod = parse_duration(to).ok_or_else(|| {
            TargetError::Interval(format!(
                "error parsing scrape timeout: not a valid duration string: {to:?}"
            ))
        })?;
        if tod == 0 {
            return Err(TargetError::Interval("scrape timeout cannot be 0".into()));
        }
        if tod > ivd {
            return Err(TargetError::Interval(format!(
                "scrape timeout cannot be greater than scrape interval ({to:?} > {iv:?})"
            )));
        }
        for (name, what) in HISTOGRAM_SETTINGS {
            if let Some(v) = after.get(name).filter(|v| !v.is_empty()) {
                if go_parse_bool(v).is_none() {
                    return Err(TargetError::HistogramSetting(format!(
                        "error parsing {what}: strconv.ParseBool: parsing {}: invalid syntax",
                        crate::go::quote_str(v)
                    )));
                }
            }
        }
        let mut kept: Vec<(&str, &str)> = after
            .iter()
            .filter(|(n, _)| !n.starts_with("__meta_"))
            .collect();
        if after.get("instance").is_none() {
            kept.push(("instance", &addr));
        }
        let labels = Labels::from_pairs(kept);
        let public = Labels::from_pairs(labels.iter().filter(|(n, _)| !n.starts_with("__")));
        let mut params = job.params.clone();
        for (n, v) in labels.iter() {
            if let Some(k) = n.strip_prefix("__param_") {
                let e = params.entry(k.to_string()).or_default();
                match e.first_mut() {
                    Some(f) => *f = v.to_string(),
                    None => e.push(v.to_string()),
                }
            }
        }
        Ok(TargetOutcome::Kept(Target {
            all: labels,
            public,
            params,
        }))
    }

    /// The discovered labels with the job's defaults added where unset (`job`, `__scrape_interval__`,
    /// `__scrape_timeout__`, `__metrics_path__`, `__scheme__`, `__param_*`): what Prometheus shows as a target's
    /// `discoveredLabels` and what `relabel_configs` see.
    ///
    /// ```
    /// use promtext::config::ConfigDocument;
    /// use promtext::scrape::Target;
    /// let doc = ConfigDocument::from_yaml("scrape_configs:\n- job_name: app\n  scrape_interval: 60s\n").unwrap();
    /// let l = Target::discovered_labels(&doc.jobs()[0], &[("__address__", "10.0.0.1:8080")]);
    /// assert_eq!(l.get("__scrape_interval__"), Some("1m"));
    /// assert_eq!(l.get("job"), Some("app"));
    /// ```
    pub fn discovered_labels<N: AsRef<str>, V: AsRef<str>>(
        job: &ScrapeJob,
        discovered: &[(N, V)],
    ) -> Labels {
        let pairs = Target::discovered_pairs(job, discovered);
        Labels::from_pairs(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
    }

    fn discovered_pairs<N: AsRef<str>, V: AsRef<str>>(
        job: &ScrapeJob,
        discovered: &[(N, V)],
    ) -> Vec<(String, String)> {
        let pairs: Vec<(String, String)> = discovered
            .iter()
            .map(|(n, v)| (n.as_ref().to_string(), v.as_ref().to_string()))
            .collect();
        Target::with_defaults(job, pairs)
    }

    /// Adds the job defaults to owned discovered pairs.
    pub(crate) fn with_defaults(
        job: &ScrapeJob,
        mut pairs: Vec<(String, String)>,
    ) -> Vec<(String, String)> {
        let interval = job
            .scrape_interval
            .clone()
            .unwrap_or_else(|| DEFAULT_SCRAPE_INTERVAL.to_string());
        let timeout = job
            .scrape_timeout
            .clone()
            .unwrap_or_else(|| DEFAULT_SCRAPE_TIMEOUT.to_string());
        // Prometheus renders the parsed durations (`60s` becomes `1m`).
        let render = |s: &str| {
            parse_duration(s)
                .map(format_duration)
                .unwrap_or_else(|| s.to_string())
        };
        let defaults = [
            ("job", job.job_name.clone()),
            ("__scrape_interval__", render(&interval)),
            ("__scrape_timeout__", render(&timeout)),
            ("__metrics_path__", job.metrics_path.clone()),
            ("__scheme__", job.scheme.clone()),
            (
                CONVERT_NHCB_LABEL,
                job.protocols.convert_classic_histograms_to_nhcb.to_string(),
            ),
            (
                ALWAYS_CLASSIC_LABEL,
                job.protocols.always_scrape_classic_histograms.to_string(),
            ),
            (
                NATIVE_HISTOGRAMS_LABEL,
                job.protocols.scrape_native_histograms.to_string(),
            ),
        ];
        let is_unset = |pairs: &[(String, String)], n: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == n)
                .is_none_or(|(_, v)| v.is_empty())
        };
        for (n, v) in defaults {
            if is_unset(&pairs, n) {
                pairs.push((n.to_string(), v));
            }
        }
        for (k, v) in &job.params {
            let name = format!("__param_{k}");
            if let Some(first) = v.first() {
                if is_unset(&pairs, &name) {
                    pairs.push((name, first.clone()));
                }
            }
        }
        pairs
    }

    /// A target with the given public labels only (address `localhost`), for scraping captured bodies.
    pub fn from_labels<N: AsRef<str>, V: AsRef<str>>(labels: &[(N, V)]) -> Target {
        let public = Labels::from_pairs(
            labels
                .iter()
                .map(|(n, v)| (n.as_ref(), v.as_ref()))
                .filter(|(n, _)| !n.starts_with("__")),
        );
        Target {
            all: public.clone(),
            public,
            params: BTreeMap::new(),
        }
    }

    /// The labels attached to scraped samples (every label without the `__` prefix), sorted.
    pub fn labels(&self) -> &Labels {
        &self.public
    }

    /// All target labels, including the `__`-prefixed ones, sorted.
    pub fn all_labels(&self) -> &Labels {
        &self.all
    }

    /// `__address__`.
    pub fn address(&self) -> &str {
        self.all.get("__address__").unwrap_or_default()
    }

    /// Whether this target's native histograms are ingested: `__scrape_native_histograms__`
    /// (the job's `scrape_native_histograms`, possibly changed by relabeling), or `default` for a
    /// target without it.
    pub fn scrape_native_histograms(&self, default: bool) -> bool {
        self.bool_label(NATIVE_HISTOGRAMS_LABEL, default)
    }

    /// Whether this target keeps the classic series of histograms that are also native:
    /// `__always_scrape_classic_histograms__`, or `default` for a target without it.
    pub fn always_scrape_classic_histograms(&self, default: bool) -> bool {
        self.bool_label(ALWAYS_CLASSIC_LABEL, default)
    }

    /// Whether this target's classic histograms are converted to native histograms with custom
    /// buckets: `__convert_classic_histograms_to_nhcb__`, or `default` for a target without it.
    pub fn convert_classic_histograms_to_nhcb(&self, default: bool) -> bool {
        self.bool_label(CONVERT_NHCB_LABEL, default)
    }

    fn bool_label(&self, name: &str, default: bool) -> bool {
        self.all
            .get(name)
            .and_then(go_parse_bool)
            .unwrap_or(default)
    }

    /// `__scheme__`.
    pub fn scheme(&self) -> &str {
        self.all.get("__scheme__").unwrap_or("http")
    }

    /// `__metrics_path__`.
    pub fn metrics_path(&self) -> &str {
        self.all.get("__metrics_path__").unwrap_or_default()
    }

    /// The query parameters: the job's `params`, overridden by `__param_*` labels.
    pub fn params(&self) -> &BTreeMap<String, Vec<String>> {
        &self.params
    }

    /// The scrape URL, `scheme://address/path?params` (parameters sorted and query-escaped as Go's
    /// `url.Values.Encode` does).
    pub fn url(&self) -> String {
        let mut u = format!("{}://{}", self.scheme(), self.address());
        let p = self.metrics_path();
        if !p.starts_with('/') && !p.is_empty() {
            u.push('/');
        }
        u.push_str(p);
        let mut first = true;
        for (k, vs) in &self.params {
            for v in vs {
                u.push(if first { '?' } else { '&' });
                first = false;
                query_escape(&mut u, k);
                u.push('=');
                query_escape(&mut u, v);
            }
        }
        u
    }
}

fn query_escape(out: &mut String, s: &str) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
}
