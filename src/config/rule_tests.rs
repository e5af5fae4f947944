//! Unit tests for relabel rules (`promtext relabel test FILE...`).
//!
//! A test file is YAML:
//!
//! ```yaml
//! # Rules come either from a config file (any form ConfigDocument accepts; the path is relative to this file) ...
//! config: prometheus.yml
//! job: envoy-stats        # needed when the config has several jobs
//! stage: target           # target (relabel_configs, the default) or metric (metric_relabel_configs)
//! scheme: utf8            # optional: utf8 or legacy; defaults to the job's scheme
//! # ... or inline:
//! # rules:
//! #   - {source_labels: [a], regex: x, action: keep}
//! tests:
//!   - name: sidecar port is kept       # optional
//!     input: '{__address__="10.1.2.3:8080", __meta_kubernetes_pod_container_port_name="http-envoy-prom"}'
//!     output: '{__address__="10.1.2.3:8080", __meta_kubernetes_pod_container_port_name="http-envoy-prom"}'
//!   - input: '{__meta_kubernetes_pod_container_port_name="http"}'
//!     output: DROPPED
//! ```
//!
//! `input` and `output` use the series notation of [`crate::relabel::parse_series`]; outputs are compared as
//! label sets, so order and spacing do not matter.
//!
//! ```
//! use promtext::config::RuleTests;
//! let t = RuleTests::from_yaml(r#"
//! rules:
//!   - {source_labels: [a], regex: 'x.*', action: keep}
//! tests:
//!   - {input: '{a="xy"}', output: '{a="xy"}'}
//!   - {input: '{a="y"}', output: DROPPED}
//! "#, std::path::Path::new("."))?;
//! assert!(t.run().iter().all(|r| r.passed()));
//! # Ok::<(), promtext::config::TestFileError>(())
//! ```

use std::fmt;
use std::path::Path;

use yaml_serde::Value;

use super::document::ConfigDocument;
use super::rules::rules_from_node;
use crate::relabel::{
    ConfigError, Explanation, Labels, NameValidationScheme, NotationError, Outcome, Pipeline,
    Stage, parse_labels, parse_series,
};

/// An error in a test file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TestFileError {
    /// The config file could not be read.
    Io(String),
    /// The rules are invalid.
    Config(ConfigError),
    /// The test file does not follow the schema.
    Schema(String),
    /// A case's input or output is not valid series notation.
    Notation {
        /// Case index.
        case: usize,
        /// The error.
        error: NotationError,
    },
}

impl fmt::Display for TestFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TestFileError::Io(e) => f.write_str(e),
            TestFileError::Config(e) => e.fmt(f),
            TestFileError::Schema(e) => f.write_str(e),
            TestFileError::Notation { case, error } => write!(f, "test {case}: {error}"),
        }
    }
}

impl std::error::Error for TestFileError {}

impl From<ConfigError> for TestFileError {
    fn from(e: ConfigError) -> Self {
        TestFileError::Config(e)
    }
}

/// The expected result of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// The series is dropped.
    Dropped,
    /// The series is kept with these labels.
    Labels(Labels),
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Dropped => f.write_str("DROPPED"),
            Expect::Labels(l) => l.fmt(f),
        }
    }
}

/// One case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    /// Optional name.
    pub name: Option<String>,
    /// Input series as written.
    pub input: String,
    /// Parsed input pairs.
    pub pairs: Vec<(String, String)>,
    /// Expected result.
    pub expect: Expect,
}

/// The result of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseReport {
    /// Case index.
    pub index: usize,
    /// Case name.
    pub name: Option<String>,
    /// Expected result.
    pub expected: Expect,
    /// Actual result.
    pub got: Expect,
    /// The per-rule trace.
    pub explanation: Explanation,
}

impl CaseReport {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.expected == self.got
    }
}

/// A loaded test file.
#[derive(Debug, Clone)]
pub struct RuleTests {
    /// The compiled rules.
    pub pipeline: Pipeline,
    /// The cases.
    pub cases: Vec<TestCase>,
}

fn schema(msg: impl Into<String>) -> TestFileError {
    TestFileError::Schema(msg.into())
}

impl RuleTests {
    /// Reads a test file; `base_dir` resolves a relative `config:` path.
    pub fn from_yaml(text: &str, base_dir: &Path) -> Result<RuleTests, TestFileError> {
        let doc = super::yaml::parse_document(text).map_err(schema)?;
        let Value::Mapping(m) = doc.value else {
            return Err(schema(
                "a relabel test file must be a mapping with `tests:`",
            ));
        };
        for k in m.keys() {
            let k = k.as_str().unwrap_or("");
            if !["config", "rules", "job", "stage", "scheme", "tests"].contains(&k) {
                return Err(schema(format!("unknown key {k:?} in relabel test file")));
            }
        }
        let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
        let stage = match s("stage").as_deref() {
            None | Some("target") => None,
            Some("metric") => Some(Stage::Metric),
            Some(x) => return Err(schema(format!("stage must be target or metric, got {x:?}"))),
        };
        let scheme = s("scheme")
            .map(|x| NameValidationScheme::parse(&x))
            .transpose()?;
        let pipeline = match (m.get("config"), m.get("rules")) {
            (Some(_), Some(_)) => return Err(schema("use either `config:` or `rules:`, not both")),
            (None, None) => return Err(schema("a relabel test file needs `config:` or `rules:`")),
            (Some(c), None) => {
                let path =
                    base_dir.join(c.as_str().ok_or_else(|| schema("config must be a path"))?);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| TestFileError::Io(format!("reading {}: {e}", path.display())))?;
                let doc = ConfigDocument::from_yaml(&text)?;
                let sel = doc.select(s("job").as_deref(), stage)?;
                Pipeline::new(sel.rules, scheme.unwrap_or(sel.scheme))?
            }
            (None, Some(_)) => {
                let r = doc
                    .tree
                    .get("rules")
                    .expect("the tree has the value's keys");
                let rules = rules_from_node(r, stage.unwrap_or_default())?;
                Pipeline::new(&rules, scheme.unwrap_or_default())?
            }
        };
        let Some(Value::Sequence(items)) = m.get("tests") else {
            return Err(schema("`tests:` must be a list of {input, output}"));
        };
        let mut cases = Vec::new();
        for (i, it) in items.iter().enumerate() {
            let get = |k: &str| it.get(k).and_then(Value::as_str);
            let input = get("input").ok_or_else(|| schema(format!("test {i}: missing `input`")))?;
            let output =
                get("output").ok_or_else(|| schema(format!("test {i}: missing `output`")))?;
            let pairs =
                parse_series(input).map_err(|error| TestFileError::Notation { case: i, error })?;
            let expect = if output.trim() == "DROPPED" {
                Expect::Dropped
            } else {
                Expect::Labels(
                    parse_labels(output)
                        .map_err(|error| TestFileError::Notation { case: i, error })?,
                )
            };
            cases.push(TestCase {
                name: get("name").map(str::to_string),
                input: input.to_string(),
                pairs,
                expect,
            });
        }
        Ok(RuleTests { pipeline, cases })
    }

    /// Runs every case.
    pub fn run(&self) -> Vec<CaseReport> {
        self.cases
            .iter()
            .enumerate()
            .map(|(index, c)| {
                let explanation = self.pipeline.explain(&c.pairs);
                let got = match &explanation.outcome {
                    Outcome::Dropped => Expect::Dropped,
                    Outcome::Unchanged => {
                        Expect::Labels(Labels::from_pairs(c.pairs.iter().map(|(a, b)| (a, b))))
                    }
                    Outcome::Changed(l) => Expect::Labels(l.clone()),
                };
                CaseReport {
                    index,
                    name: c.name.clone(),
                    expected: c.expect.clone(),
                    got,
                    explanation,
                }
            })
            .collect()
    }
}
