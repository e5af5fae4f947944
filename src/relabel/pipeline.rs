//! The facade: [`Pipeline`] (a compiled rule list), [`Relabeler`] (its per-thread scratch) and what they return.

use std::fmt;
use std::sync::Arc;

use regex::CaptureLocations;

use super::compile::{CompileOptions, compile};
use super::labels::Labels;
use super::program::Program;
use super::rule::{Action, ConfigError, NameValidationScheme, RelabelConfig};
use super::working_set::{Entry, Text};

/// An immutable, compiled list of relabel rules. Cheap to clone (an `Arc` inside), `Send + Sync`.
///
/// ```
/// use promtext::relabel::{Action, NameValidationScheme, Outcome, Pipeline, RelabelConfig};
/// let rules = [
///     RelabelConfig::new(Action::Keep).source_labels(["__meta_port_name"]).regex(".*-envoy-prom"),
///     RelabelConfig::new(Action::Replace).source_labels(["__meta_ns"]).target_label("namespace"),
/// ];
/// let pipeline = Pipeline::new(&rules, NameValidationScheme::Utf8)?;
/// let mut r = pipeline.relabeler();
/// match r.apply(&[("__meta_port_name", "http-envoy-prom"), ("__meta_ns", "default")]) {
///     Outcome::Changed(l) => assert_eq!(l.get("namespace"), Some("default")),
///     other => panic!("{other:?}"),
/// }
/// assert!(matches!(r.apply(&[("__meta_port_name", "http")]), Outcome::Dropped));
/// # Ok::<(), promtext::relabel::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub(super) program: Arc<Program>,
}

impl Pipeline {
    /// Validates (with `scheme`, unless a rule carries its own) and compiles `rules`.
    pub fn new(
        rules: &[RelabelConfig],
        scheme: NameValidationScheme,
    ) -> Result<Pipeline, ConfigError> {
        Pipeline::with_options(rules, scheme, CompileOptions::default())
    }

    /// Like [`Pipeline::new`] with explicit options.
    pub fn with_options(
        rules: &[RelabelConfig],
        scheme: NameValidationScheme,
        opts: CompileOptions,
    ) -> Result<Pipeline, ConfigError> {
        Ok(Pipeline {
            program: Arc::new(compile(rules, scheme, opts)?),
        })
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.program.rules.len()
    }

    /// No rules.
    pub fn is_empty(&self) -> bool {
        self.program.rules.is_empty()
    }

    /// The rules this pipeline was compiled from.
    pub fn configs(&self) -> &[RelabelConfig] {
        &self.program.configs
    }

    /// The order in which [`Relabeler`] runs the rules, as indices into [`Pipeline::configs`].
    ///
    /// A rule that only sets or deletes labels runs after the last rule that can drop the series (`keep`, `drop`,
    /// `keepequal`, `dropequal`) when it provably commutes with every rule it moves past: neither writes a label
    /// name the other reads or writes. The result is the same as in config order, and a series that a later
    /// `keep` drops (a `hashmod` shard, say) skips those rules. [`Pipeline::explain`] traces in config order.
    /// Without fast paths ([`CompileOptions`]) this is the config order.
    ///
    /// ```
    /// use promtext::relabel::{Action, NameValidationScheme, Pipeline, RelabelConfig};
    /// let rules = [
    ///     RelabelConfig::new(Action::Replace).source_labels(["__meta_ns"]).target_label("namespace"),
    ///     RelabelConfig::new(Action::HashMod).source_labels(["__address__"]).target_label("__tmp_hash").modulus(3),
    ///     RelabelConfig::new(Action::Keep).source_labels(["__tmp_hash"]).regex("0"),
    /// ];
    /// let pipeline = Pipeline::new(&rules, NameValidationScheme::Utf8)?;
    /// assert_eq!(pipeline.run_order(), [1, 2, 0]);
    /// # Ok::<(), promtext::relabel::ConfigError>(())
    /// ```
    pub fn run_order(&self) -> &[u32] {
        &self.program.run_order
    }

    /// A reusable scratch for applying this pipeline (one per thread).
    pub fn relabeler(&self) -> Relabeler {
        Relabeler::new(self.clone())
    }

    /// Applies the rules to `labels` and records a per-rule trace, in the order the rules are written
    /// (Prometheus' order, whatever [`Pipeline::run_order`] schedules); the trace ends with the result
    /// [`Relabeler::apply`] gives, also where a `labelmap` maps several labels to one name.
    ///
    /// ```
    /// use promtext::config::rules_from_yaml;
    /// use promtext::relabel::{NameValidationScheme, Pipeline};
    /// let rules = rules_from_yaml(
    ///     "- {target_label: a, replacement: x}\n- {action: labelmap, regex: (.*), replacement: same}\n",
    ///     NameValidationScheme::Utf8,
    /// )?;
    /// let e = Pipeline::new(&rules, NameValidationScheme::Utf8)?.explain(&[("z", "1")]);
    /// assert_eq!(e.steps.len(), 2);
    /// // `a` (set by rule 0) is visited after the input's `z`, as in Prometheus: its value wins.
    /// assert_eq!(e.steps[1].after.as_ref().unwrap().get("same"), Some("x"));
    /// # Ok::<(), promtext::relabel::ConfigError>(())
    /// ```
    pub fn explain<N: AsRef<str>, V: AsRef<str>>(&self, labels: &[(N, V)]) -> Explanation {
        let mut r = self.relabeler();
        let mut steps = Vec::new();
        let outcome = r.run(
            |ls, _| {
                for (n, v) in labels {
                    ls.push(Entry {
                        name: Text::Borrowed(n.as_ref()),
                        value: Text::Borrowed(v.as_ref()),
                    });
                }
            },
            None,
            Some(&mut steps),
        );
        Explanation { steps, outcome }
    }
}

/// The result of applying a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A rule dropped the series.
    Dropped,
    /// No rule changed the label set: the input pairs (as a set) are the result.
    Unchanged,
    /// The resulting label set, sorted by name. (In rare cases, e.g. a label set and later deleted again, it can
    /// equal the input.)
    Changed(Labels),
}

impl Outcome {
    /// Whether the series was dropped.
    pub fn is_dropped(&self) -> bool {
        matches!(self, Outcome::Dropped)
    }
}

/// One step of an [`Explanation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Index of the rule in the pipeline.
    pub index: usize,
    /// Its action.
    pub action: Action,
    /// Labels before the rule.
    pub before: Labels,
    /// Labels after the rule (`None` when it dropped the series).
    pub after: Option<Labels>,
    /// What happened and why.
    pub note: String,
}

/// A per-rule trace, in the spirit of Prometheus' `relabel_steps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// One entry per rule that ran (rules after a drop do not run).
    pub steps: Vec<Step>,
    /// The final outcome.
    pub outcome: Outcome,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.steps {
            writeln!(f, "rule {} ({}): {}", s.index, s.action, s.note)?;
            writeln!(f, "  before: {}", s.before)?;
            match &s.after {
                Some(a) => writeln!(f, "  after:  {a}")?,
                None => writeln!(f, "  after:  DROPPED")?,
            }
        }
        Ok(())
    }
}

/// A reusable relabel scratch for one [`Pipeline`]. Not shared between threads; create one per thread.
///
/// In the steady state (buffers grown to the largest label set seen) applying does not allocate for series that
/// are dropped or left unchanged.
#[derive(Debug)]
pub struct Relabeler {
    pub(super) pipeline: Pipeline,
    // The working set's buffers, kept between runs so that the steady state does not allocate (the lifetimes
    // are re-typed per run; see `working_set::recycle`).
    pub(super) entries: Vec<Entry<'static>>,
    pub(super) pending: Vec<Entry<'static>>,
    pub(super) buf: String,
    pub(super) join_buf: String,
    pub(super) site_hints: Vec<u32>,
    pub(super) slot_index: Vec<u32>,
    pub(super) slot_values: Vec<Text<'static>>,
    pub(super) merge_scratch: Vec<Entry<'static>>,
    /// One per rule.
    pub(super) capture_locations: Vec<CaptureLocations>,
    /// The pipeline has a `labelmap` rule: an input fed as pairs is kept in `origin` for the reference.
    pub(super) has_labelmap: bool,
    pub(super) origin: Vec<Entry<'static>>,
    /// Built on first need: the line-by-line reference run when a `labelmap` maps two labels to one name, where
    /// Prometheus' order of visits (`labels.Builder.Range`: the untouched input, then the labels set so far in
    /// the order they were set) decides which value wins.
    pub(super) reference: Option<Box<super::naive::NaivePipeline>>,
}

impl Relabeler {
    /// A scratch for `pipeline`.
    pub fn new(pipeline: Pipeline) -> Relabeler {
        let capture_locations = pipeline
            .program
            .rules
            .iter()
            .map(|r| r.matcher.regex.capture_locations())
            .collect();
        let site_hints = vec![0; pipeline.program.lookup_sites];
        let has_labelmap = pipeline
            .program
            .rules
            .iter()
            .any(|r| r.action == Action::LabelMap);
        Relabeler {
            pipeline,
            entries: Vec::new(),
            pending: Vec::new(),
            buf: String::new(),
            join_buf: String::new(),
            site_hints,
            capture_locations,
            slot_index: Vec::new(),
            slot_values: Vec::new(),
            merge_scratch: Vec::new(),
            has_labelmap,
            origin: Vec::new(),
            reference: None,
        }
    }

    /// The pipeline.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// Applies the pipeline to a label set given as pairs in any order, without copying it.
    pub fn apply<N: AsRef<str>, V: AsRef<str>>(&mut self, labels: &[(N, V)]) -> Outcome {
        self.run(
            |ls, _| {
                ls.extend(labels.iter().map(|(n, v)| Entry {
                    name: Text::Borrowed(n.as_ref()),
                    value: Text::Borrowed(v.as_ref()),
                }))
            },
            None,
            None,
        )
    }

    /// Applies the pipeline to borrowed `(name, value)` pairs from any iterator, without copying them.
    pub fn apply_iter<'a, I>(&mut self, labels: I) -> Outcome
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        self.run(
            |ls, _| {
                ls.extend(labels.into_iter().map(|(n, v)| Entry {
                    name: Text::Borrowed(n),
                    value: Text::Borrowed(v),
                }))
            },
            None,
            None,
        )
    }

    /// Applies the pipeline to pairs of anything string-like (e.g. owned `String`s or `Cow`s yielded by value);
    /// the strings are copied into the scratch buffer (no allocation in the steady state).
    pub fn apply_copied<I, N, V>(&mut self, labels: I) -> Outcome
    where
        I: IntoIterator<Item = (N, V)>,
        N: AsRef<str>,
        V: AsRef<str>,
    {
        self.run(
            |ls, buf| {
                for (n, v) in labels {
                    let a = buf.len() as u32;
                    buf.push_str(n.as_ref());
                    let b = buf.len() as u32;
                    buf.push_str(v.as_ref());
                    let c = buf.len() as u32;
                    ls.push(Entry {
                        name: Text::Scratch(a, b),
                        value: Text::Scratch(b, c),
                    });
                }
            },
            None,
            None,
        )
    }

    /// Applies the pipeline to a [`Labels`] set. Its names are sorted and unique and its values non-empty by
    /// construction, so the input needs no normalisation: this is the cheapest entry point, and the one that
    /// matches Prometheus' own (its `labels.Labels` are sorted the same way).
    ///
    /// ```
    /// use promtext::relabel::{Action, Labels, NameValidationScheme, Outcome, Pipeline, RelabelConfig};
    /// let rules = [RelabelConfig::new(Action::Replace).source_labels(["a"]).target_label("b")];
    /// let mut r = Pipeline::new(&rules, NameValidationScheme::Utf8)?.relabeler();
    /// let input = Labels::from_pairs([("a", "1")]);
    /// match r.apply_labels(&input) {
    ///     Outcome::Changed(l) => assert_eq!(l.to_string(), r#"{a="1", b="1"}"#),
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok::<(), promtext::relabel::ConfigError>(())
    /// ```
    pub fn apply_labels(&mut self, labels: &Labels) -> Outcome {
        // Not copied: the rules read and write their slots over `labels` until one needs the whole list.
        self.run(|_, _| {}, Some(labels), None)
    }
}
