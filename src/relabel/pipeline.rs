//! The compiled pipeline and its reusable scratch ([`Relabeler`]).

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use md5::{Digest, Md5};
use regex::CaptureLocations;
use smallvec::SmallVec;

use super::case;
use super::config::{Action, ConfigError, NameValidationScheme, RelabelConfig};
use super::goregex;
use super::labels::Labels;
use super::matcher::{Fast, Matcher, Spans};
use super::schedule::{self, Effect, Names};
use super::slots::{NONE, SlotTable};
use super::strcmp::{cmp_bytes, cmp_str, eq_bytes, eq_str};
use super::template::{Segment, Template};

/// Compile options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompileOptions {
    /// Use the per-rule fast paths (literal, set, prefix/suffix, contains, sorted-range scans). When false every
    /// match goes through the regex: the "plain" path the fast paths are checked against.
    pub fast_paths: bool,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions { fast_paths: true }
    }
}

#[derive(Debug)]
struct Rule {
    action: Action,
    sources: Box<[Box<str>]>,
    separator: Box<str>,
    matcher: Matcher,
    default_regex: bool,
    target: Template,
    target_str: Box<str>,
    replacement: Template,
    replacement_str: Box<str>,
    modulus: u64,
    scheme: NameValidationScheme,
    regex_src: Box<str>,
    /// First lookup site: one per source label, then one for the target.
    site: usize,
    /// The slot of each source label.
    src_slots: Box<[u32]>,
    /// The slot of the target when it is a fixed name, else [`NONE`].
    target_slot: u32,
    /// The slots a `labeldrop` of literal names deletes.
    drop_slots: Box<[u32]>,
    /// A shortcut for the commonest rule shapes.
    quick: Quick,
}

/// Rules the run loop decides without [`Work::apply_rule`] (whose frame is large): those that read one label.
#[derive(Debug, Clone, Copy)]
enum Quick {
    /// No shortcut.
    No,
    /// `keep` (`keep: true`) or `drop` on one source label.
    KeepDrop { slot: u32, keep: bool },
    /// `replace` from one source label with a fast matcher: nothing happens unless the value matches.
    ReplaceIfMatch { slot: u32 },
}

impl Rule {
    /// The names this rule reads and writes, for [`schedule::order`].
    fn effect(&self) -> Effect<'_> {
        let sources = || Names::Exact(self.sources.iter().map(|s| &**s).collect());
        let target = || Names::Exact(vec![&*self.target_str]);
        let (reads, writes, drops) = match self.action {
            Action::Keep | Action::Drop => (sources(), Names::none(), true),
            Action::KeepEqual | Action::DropEqual => {
                let mut names: Vec<&str> = self.sources.iter().map(|s| &**s).collect();
                names.push(&self.target_str);
                (Names::Exact(names), Names::none(), true)
            }
            Action::Replace => match self.target.as_literal() {
                Some(t) => (sources(), Names::Exact(vec![t]), false),
                None => (sources(), Names::Any, false),
            },
            Action::Lowercase | Action::Uppercase | Action::HashMod => (sources(), target(), false),
            Action::LabelMap if self.matcher.anchored => {
                let writes = match self.replacement.as_literal() {
                    Some(l) => Names::Exact(vec![l]),
                    None => match self.replacement.segments.first() {
                        Some(Segment::Lit(p)) if !p.is_empty() => Names::Prefix(p),
                        _ => Names::Any,
                    },
                };
                (Names::Matching(&self.matcher), writes, false)
            }
            // A name that matches is deleted: the rule reads and writes the same set.
            Action::LabelDrop => (
                Names::Matching(&self.matcher),
                Names::Matching(&self.matcher),
                false,
            ),
            Action::LabelMap | Action::LabelKeep => (Names::Any, Names::Any, false),
        };
        Effect {
            reads,
            writes,
            drops,
        }
    }
}

#[derive(Debug)]
struct Inner {
    rules: Vec<Rule>,
    /// The order the rules run in when no trace is asked for ([`schedule::order`]).
    order: Box<[u32]>,
    configs: Vec<RelabelConfig>,
    fast_paths: bool,
    sites: usize,
    slots: SlotTable,
}

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
    inner: Arc<Inner>,
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
        let mut out = Vec::with_capacity(rules.len());
        let mut sites = 0usize;
        let mut slots = SlotTable::default();
        for (index, c) in rules.iter().enumerate() {
            let wrap = |e: ConfigError| ConfigError::InRule {
                index,
                error: Box::new(e),
            };
            c.validate(scheme).map_err(wrap)?;
            let re = goregex::compile_anchored(c.regex.as_str())
                .map_err(ConfigError::Regex)
                .map_err(wrap)?;
            let matcher = Matcher::new(re, opts.fast_paths);
            let action = c.action.ok_or(ConfigError::EmptyAction).map_err(wrap)?;
            let target = Template::parse(&c.target_label, &matcher.names);
            let target_slot = match action {
                Action::Replace => target.as_literal().map(|l| slots.intern(l)),
                Action::KeepEqual
                | Action::DropEqual
                | Action::Lowercase
                | Action::Uppercase
                | Action::HashMod => Some(slots.intern(&c.target_label)),
                _ => None,
            };
            let drop_slots = match (action, &matcher.fast) {
                (Action::LabelDrop, Some(Fast::Literal(l))) if opts.fast_paths => {
                    vec![slots.intern(l)]
                }
                (Action::LabelDrop, Some(Fast::Set(v))) if opts.fast_paths => {
                    v.iter().map(|l| slots.intern(l)).collect()
                }
                _ => Vec::new(),
            };
            let src_slots: Box<[u32]> = c.sources().iter().map(|s| slots.intern(s)).collect();
            let quick = match (action, &*src_slots) {
                (Action::Keep | Action::Drop, &[slot]) => Quick::KeepDrop {
                    slot,
                    keep: action == Action::Keep,
                },
                (Action::Replace, &[slot]) if matcher.fast.is_some() => {
                    Quick::ReplaceIfMatch { slot }
                }
                _ => Quick::No,
            };
            out.push(Rule {
                quick,
                action,
                src_slots,
                target_slot: target_slot.unwrap_or(NONE),
                drop_slots: drop_slots.into(),
                sources: c.sources().iter().map(|s| s.as_str().into()).collect(),
                separator: c.separator.as_str().into(),
                target,
                target_str: c.target_label.as_str().into(),
                replacement: Template::parse(&c.replacement, &matcher.names),
                replacement_str: c.replacement.as_str().into(),
                matcher,
                default_regex: c.regex.is_default(),
                modulus: c.modulus,
                scheme: c.name_validation_scheme.unwrap_or(scheme),
                regex_src: c.regex.as_str().into(),
                site: sites,
            });
            sites += c.sources().len() + 1;
        }
        slots.seal();
        let order = if opts.fast_paths {
            schedule::order(&out.iter().map(Rule::effect).collect::<Vec<_>>())
        } else {
            (0..out.len() as u32).collect()
        };
        Ok(Pipeline {
            inner: Arc::new(Inner {
                order: order.into(),
                rules: out,
                configs: rules.to_vec(),
                fast_paths: opts.fast_paths,
                sites,
                slots,
            }),
        })
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.inner.rules.len()
    }

    /// No rules.
    pub fn is_empty(&self) -> bool {
        self.inner.rules.is_empty()
    }

    /// The rules this pipeline was compiled from.
    pub fn configs(&self) -> &[RelabelConfig] {
        &self.inner.configs
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
        &self.inner.order
    }

    /// A reusable scratch for applying this pipeline (one per thread).
    pub fn relabeler(&self) -> Relabeler {
        Relabeler::new(self.clone())
    }

    /// Applies the rules to `labels` and records a per-rule trace.
    pub fn explain<N: AsRef<str>, V: AsRef<str>>(&self, labels: &[(N, V)]) -> Explanation {
        let mut r = self.relabeler();
        let mut steps = Vec::new();
        let outcome = r.run(
            |ls, _| {
                for (n, v) in labels {
                    ls.push(Entry {
                        name: S::In(n.as_ref()),
                        value: S::In(v.as_ref()),
                    });
                }
            },
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

/// A string borrowed from the input or the pipeline, or a span of the scratch buffer.
#[derive(Debug, Clone, Copy)]
enum S<'a> {
    In(&'a str),
    Buf(u32, u32),
}

#[derive(Debug, Clone, Copy)]
struct Entry<'a> {
    name: S<'a>,
    value: S<'a>,
}

#[inline]
fn res<'x>(buf: &'x str, s: S<'x>) -> &'x str {
    match s {
        S::In(x) => x,
        S::Buf(a, b) => &buf[a as usize..b as usize],
    }
}

/// Re-types an emptied vector to another lifetime, keeping its allocation (in-place collect: `T` and `U` differ
/// only in lifetimes).
#[allow(clippy::unnecessary_filter_map)] // `filter` could not change the element type.
fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

/// Whether a slot value is still the input's own value `old` (the very slice resolved from it: no slot write).
#[inline]
fn still_input(v: S<'_>, old: &str) -> bool {
    matches!(v, S::In(x) if std::ptr::eq(x, old))
}

/// Binary search of `key` among `items` sorted by `name`, trying first the position in `hint` (an equal name
/// there, or its insertion point) and remembering where a search landed. Label sets of one source usually have
/// the same shape, so the remembered position is usually right.
#[inline]
fn hinted_search<'n, T>(
    items: &'n [T],
    name: impl Fn(&'n T) -> &'n [u8],
    key: &[u8],
    hint: &mut u32,
) -> Result<usize, usize> {
    let h = *hint as usize;
    let n = items.len();
    if h < n && eq_bytes(name(&items[h]), key) {
        return Ok(h);
    }
    if h <= n
        && (h == 0 || cmp_bytes(name(&items[h - 1]), key) == Ordering::Less)
        && (h == n || cmp_bytes(key, name(&items[h])) == Ordering::Less)
    {
        return Err(h);
    }
    let r = items.binary_search_by(|t| cmp_bytes(name(t), key));
    *hint = match r {
        Ok(i) | Err(i) => i as u32,
    };
    r
}

/// A reusable relabel scratch for one [`Pipeline`]. Not shared between threads; create one per thread.
///
/// In the steady state (buffers grown to the largest label set seen) applying does not allocate for series that
/// are dropped or left unchanged.
#[derive(Debug)]
pub struct Relabeler {
    pipeline: Pipeline,
    entries: Vec<Entry<'static>>,
    extra: Vec<Entry<'static>>,
    buf: String,
    join: String,
    locs: Vec<CaptureLocations>,
    hints: Vec<u32>,
    slot_idx: Vec<u32>,
    slot_vals: Vec<S<'static>>,
    merged: Vec<Entry<'static>>,
}

impl Relabeler {
    /// A scratch for `pipeline`.
    pub fn new(pipeline: Pipeline) -> Relabeler {
        let locs = pipeline
            .inner
            .rules
            .iter()
            .map(|r| r.matcher.regex.capture_locations())
            .collect();
        let hints = vec![0; pipeline.inner.sites];
        Relabeler {
            pipeline,
            entries: Vec::new(),
            extra: Vec::new(),
            buf: String::new(),
            join: String::new(),
            hints,
            locs,
            slot_idx: Vec::new(),
            slot_vals: Vec::new(),
            merged: Vec::new(),
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
                    name: S::In(n.as_ref()),
                    value: S::In(v.as_ref()),
                }))
            },
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
                    name: S::In(n),
                    value: S::In(v),
                }))
            },
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
                        name: S::Buf(a, b),
                        value: S::Buf(b, c),
                    });
                }
            },
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
        self.run_normalized(|_, _| {}, None, Some(labels))
    }

    fn run<'a>(
        &mut self,
        feed: impl FnOnce(&mut Vec<Entry<'a>>, &mut String),
        trace: Option<&mut Vec<Step>>,
    ) -> Outcome {
        self.run_normalized(feed, trace, None)
    }

    /// Without `base`, the fed labels may be unsorted, repeat names or hold empty values; with it, nothing is fed
    /// and the rules start from `base`.
    fn run_normalized<'a>(
        &mut self,
        feed: impl FnOnce(&mut Vec<Entry<'a>>, &mut String),
        mut trace: Option<&mut Vec<Step>>,
        base: Option<&'a Labels>,
    ) -> Outcome {
        let inner: &Inner = &self.pipeline.inner;
        let mut input: Vec<Entry<'a>> = recycle(std::mem::take(&mut self.entries));
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        feed(&mut input, &mut buf);
        let mut w = Work {
            labels: input,
            extra: recycle(std::mem::take(&mut self.extra)),
            buf,
            join: std::mem::take(&mut self.join),
            hints: std::mem::take(&mut self.hints),
            dirty: false,
            fast: inner.fast_paths,
            table: &inner.slots,
            slot_idx: std::mem::take(&mut self.slot_idx),
            slot_vals: recycle(std::mem::take(&mut self.slot_vals)),
            base,
            raw: base.is_none(),
            appended_from: usize::MAX,
            merged: recycle(std::mem::take(&mut self.merged)),
            resolved: false,
            messy: false,
        };
        let mut dropped = false;
        if trace.is_none() {
            for &i in inner.order.iter() {
                let i = i as usize;
                let rule = &inner.rules[i];
                match rule.quick {
                    Quick::KeepDrop { slot, keep } => {
                        let v = w.slot_get(slot);
                        if rule.matcher.is_match(res(&w.buf, v)) != keep {
                            dropped = true;
                            break;
                        }
                        continue;
                    }
                    Quick::ReplaceIfMatch { slot } => {
                        let v = w.slot_get(slot);
                        if !rule.matcher.is_match(res(&w.buf, v)) {
                            continue;
                        }
                    }
                    Quick::No => {}
                }
                if !w.apply_rule(rule, &mut self.locs[i], None) {
                    dropped = true;
                    break;
                }
            }
        }
        for (i, rule) in inner.rules.iter().enumerate() {
            if trace.is_none() {
                break;
            }
            let before = trace.as_ref().map(|_| {
                w.settle();
                w.materialized_labels()
            });
            let mut note = String::new();
            let keep = w.apply_rule(
                rule,
                &mut self.locs[i],
                trace.is_some().then_some(&mut note),
            );
            if let (Some(t), Some(before)) = (trace.as_deref_mut(), before) {
                t.push(Step {
                    index: i,
                    action: rule.action,
                    before,
                    after: keep.then(|| {
                        w.settle();
                        w.materialized_labels()
                    }),
                    note,
                });
            }
            if !keep {
                dropped = true;
                break;
            }
        }
        if !dropped && w.raw {
            // Repeated names and empty values in the input make the result differ from it (`dirty`).
            w.settle();
        }
        let out = if dropped {
            Outcome::Dropped
        } else if !w.dirty {
            Outcome::Unchanged
        } else if let Some(base) = w.base {
            Outcome::Changed(w.base_output(base))
        } else {
            w.settle();
            Outcome::Changed(w.materialized_labels())
        };
        self.entries = recycle(w.labels);
        self.extra = recycle(w.extra);
        self.buf = w.buf;
        self.join = w.join;
        self.hints = w.hints;
        self.slot_idx = w.slot_idx;
        self.slot_vals = recycle(w.slot_vals);
        self.merged = recycle(w.merged);
        out
    }
}

/// The label set being relabeled.
struct Work<'a> {
    labels: Vec<Entry<'a>>,
    extra: Vec<Entry<'a>>,
    buf: String,
    join: String,
    hints: Vec<u32>,
    dirty: bool,
    fast: bool,
    table: &'a SlotTable,
    /// Per slot: the index of its label in `labels` (or in `base`), or [`NONE`]. Valid while `resolved`.
    slot_idx: Vec<u32>,
    /// A sorted input that `labels` stands for and that is not copied into it yet: the rules that read and write
    /// slots only need `slot_vals`; [`Work::materialize`] copies it, with the slot writes, when a rule needs the
    /// whole list. While it is set, `labels` is empty, `dirty` means that a slot write is pending and `messy` is
    /// false.
    base: Option<&'a Labels>,
    /// Per slot, while `base` is set and `resolved`: its current value (`""` when absent).
    slot_vals: Vec<S<'a>>,
    /// The index of the first label appended by a slot write since the list was last settled (`usize::MAX` when
    /// none).
    appended_from: usize,
    /// Scratch for [`Work::settle`]'s merge.
    merged: Vec<Entry<'a>>,
    /// `labels` holds the input as fed: maybe unsorted, with repeated names and empty values. Slots work on it
    /// as they are (a slot is the last label of its name, and an empty value is an absent label), so a series
    /// that is dropped before a rule needs the whole list is never normalized.
    raw: bool,
    resolved: bool,
    /// Labels were appended out of order or emptied in place through slots; [`Work::settle`] restores the sorted,
    /// non-empty form that lookups by name need.
    messy: bool,
}

/// The joined source value.
#[derive(Clone, Copy)]
enum Joined<'a> {
    One(S<'a>),
    Join,
}

impl<'a> Work<'a> {
    fn name(&self, i: usize) -> &str {
        res(&self.buf, self.labels[i].name)
    }

    /// Copies `base` into `labels` and replays the pending slot writes on it through [`Work::slot_set`].
    fn materialize(&mut self) {
        let Some(base) = self.base.take() else {
            return;
        };
        debug_assert!(self.labels.is_empty());
        self.labels.extend(base.iter().map(|(n, v)| Entry {
            name: S::In(n),
            value: S::In(v),
        }));
        if !(self.resolved && self.dirty) {
            return;
        }
        // The slot indices into `base` are indices into `labels` now: replay the writes on the copy.
        let vals = std::mem::take(&mut self.slot_vals);
        for (k, &v) in vals.iter().enumerate() {
            let unwritten = match self.slot_idx[k] {
                i if i == NONE => res(&self.buf, v).is_empty(),
                i => still_input(v, res(&self.buf, self.labels[i as usize].value)),
            };
            if !unwritten {
                self.slot_set(k as u32, v);
            }
        }
        self.slot_vals = vals;
    }

    /// Finds the label of every slot: one hash lookup per label name.
    #[inline(never)]
    fn resolve(&mut self) {
        self.slot_idx.clear();
        self.slot_idx.resize(self.table.len(), NONE);
        if let Some(base) = self.base {
            self.slot_vals.clear();
            self.slot_vals.resize(self.table.len(), S::In(""));
            if self.table.len() > 0 {
                let bytes = base.buf.as_bytes();
                for (i, &[a, b, c]) in base.spans.iter().enumerate() {
                    if let Some(k) = self.table.find_bytes(&bytes[a as usize..b as usize]) {
                        self.slot_idx[k as usize] = i as u32;
                        self.slot_vals[k as usize] = S::In(&base.buf[b as usize..c as usize]);
                    }
                }
            }
            self.resolved = true;
            return;
        }
        if self.table.len() > 0 {
            for (i, e) in self.labels.iter().enumerate() {
                if let Some(k) = self.table.find(res(&self.buf, e.name)) {
                    self.slot_idx[k as usize] = i as u32;
                }
            }
        }
        self.resolved = true;
    }

    /// The value of the label in `slot` (`""` when absent).
    #[inline]
    fn slot_get(&mut self, slot: u32) -> S<'a> {
        if !self.resolved {
            self.resolve();
        }
        if self.base.is_some() {
            return self.slot_vals[slot as usize];
        }
        match self.slot_idx[slot as usize] {
            i if i == NONE => S::In(""),
            i => self.labels[i as usize].value,
        }
    }

    /// Sets the label in `slot` to `value`; an empty value deletes it. New labels are appended and deleted ones
    /// emptied in place, so that no other slot's index moves.
    #[inline]
    fn slot_set(&mut self, slot: u32, value: S<'a>) {
        if !self.resolved {
            self.resolve();
        }
        let v = res(&self.buf, value);
        if self.base.is_some() {
            let cur = &mut self.slot_vals[slot as usize];
            if !eq_str(res(&self.buf, *cur), v) {
                *cur = value;
                self.dirty = true;
            }
            return;
        }
        match self.slot_idx[slot as usize] {
            i if i == NONE => {
                if !v.is_empty() {
                    self.slot_idx[slot as usize] = self.labels.len() as u32;
                    self.appended_from = self.appended_from.min(self.labels.len());
                    self.labels.push(Entry {
                        name: S::In(self.table.name(slot)),
                        value,
                    });
                    self.dirty = true;
                    self.messy = true;
                }
            }
            i => {
                let e = &mut self.labels[i as usize];
                let cur = res(&self.buf, e.value);
                if v.is_empty() {
                    if !cur.is_empty() {
                        e.value = S::In("");
                        self.dirty = true;
                        self.messy = true;
                    }
                } else if !eq_str(cur, v) {
                    e.value = value;
                    self.dirty = true;
                }
            }
        }
    }

    /// Makes `labels` the sorted list of the current labels, without repeated names or empty values: normalizes
    /// a raw input, copies an uncopied one, and after slot writes restores the order. Whatever needs the whole
    /// list calls this first. When labels move, slots resolve again.
    fn settle(&mut self) {
        if self.raw {
            self.raw = false;
            // Normalizing also sorts the labels appended by slot writes and removes emptied ones.
            self.messy = false;
            self.appended_from = usize::MAX;
            if self.normalize() {
                self.resolved = false;
            }
            return;
        }
        self.materialize();
        if !self.messy {
            return;
        }
        self.messy = false;
        self.resolved = false;
        // The labels before the first appended one are sorted (appends are the only writes that break the order,
        // and the list was settled before them); names are unique (a slot's label is appended only when absent).
        let boundary = self.appended_from.min(self.labels.len());
        self.appended_from = usize::MAX;
        let buf = &self.buf;
        let (mut kept, mut split) = (0, 0);
        for r in 0..self.labels.len() {
            if r == boundary {
                split = kept;
            }
            let e = self.labels[r];
            if !res(buf, e.value).is_empty() {
                self.labels[kept] = e;
                kept += 1;
            }
        }
        if boundary >= self.labels.len() {
            split = kept;
        }
        self.labels.truncate(kept);
        let by_name = |a: &Entry<'_>, b: &Entry<'_>| cmp_str(res(buf, a.name), res(buf, b.name));
        // The tail is short: sort it, then merge it in through the scratch (no allocation once grown).
        self.labels[split..].sort_unstable_by(by_name);
        if split == 0
            || split == kept
            || by_name(&self.labels[split - 1], &self.labels[split]) == Ordering::Less
        {
            return;
        }
        let mut merged = std::mem::take(&mut self.merged);
        merged.clear();
        let (head, tail) = self.labels.split_at(split);
        // Each tail label finds its place in the head by binary search; the head is copied in runs.
        let mut i = 0;
        for t in tail {
            let at = i + head[i..].partition_point(|h| by_name(h, t) == Ordering::Less);
            merged.extend_from_slice(&head[i..at]);
            merged.push(*t);
            i = at;
        }
        merged.extend_from_slice(&head[i..]);
        std::mem::swap(&mut self.labels, &mut merged);
        self.merged = merged;
    }

    /// Sorts, keeps the last value of repeated names, removes empty values. True when labels moved.
    fn normalize(&mut self) -> bool {
        let buf = &self.buf;
        let mut sorted = true;
        let mut has_empty = false;
        let mut prev: Option<&str> = None;
        for e in &self.labels {
            let n = res(buf, e.name);
            if let Some(p) = prev {
                sorted &= cmp_str(p, n) == Ordering::Less;
            }
            has_empty |= res(buf, e.value).is_empty();
            prev = Some(n);
        }
        if sorted && !has_empty {
            return false;
        }
        if has_empty {
            self.dirty = true;
        }
        if !sorted {
            // Stable: among equal names the input order is kept, so the last one wins below.
            self.labels
                .sort_by(|a, b| cmp_str(res(buf, a.name), res(buf, b.name)));
        }
        let mut w = 0;
        for r in 0..self.labels.len() {
            let e = self.labels[r];
            if w > 0 && eq_str(res(buf, self.labels[w - 1].name), res(buf, e.name)) {
                self.labels[w - 1] = e;
                self.dirty = true;
            } else {
                self.labels[w] = e;
                w += 1;
            }
        }
        self.labels.truncate(w);
        self.labels.retain(|e| !res(buf, e.value).is_empty());
        true
    }

    /// The result of an uncopied input: `base` with the slot writes, built directly. Runs of unchanged labels are
    /// copied as one slice each (a `Labels` stores its labels back to back).
    fn base_output(&mut self, base: &Labels) -> Labels {
        debug_assert!(self.resolved);
        let buf = &self.buf;
        let value_of = |i: usize| {
            let [_, b, c] = base.spans[i];
            &base.buf[b as usize..c as usize]
        };
        // Slot writes: to labels of the input (by index) and new labels (sorted by name, with their place).
        let mut changed: SmallVec<[(u32, S<'a>); 16]> = SmallVec::new();
        let mut added: SmallVec<[(usize, &str, &str); 8]> = SmallVec::new();
        for (k, &v) in self.slot_vals.iter().enumerate() {
            match self.slot_idx[k] {
                i if i == NONE => {
                    let value = res(buf, v);
                    if !value.is_empty() {
                        added.push((0, self.table.name(k as u32), value));
                    }
                }
                i => {
                    if !still_input(v, value_of(i as usize)) {
                        changed.push((i, v));
                    }
                }
            }
        }
        changed.sort_unstable_by_key(|c| c.0);
        let names = |i: usize| {
            let [a, b, _] = base.spans[i];
            &base.buf[a as usize..b as usize]
        };
        for a in added.iter_mut() {
            a.0 = base.spans.partition_point(|&[x, y, _]| {
                cmp_str(&base.buf[x as usize..y as usize], a.1) == Ordering::Less
            });
        }
        added.sort_unstable_by(|a, b| cmp_str(a.1, b.1));
        let extra: usize = added.iter().map(|a| a.1.len() + a.2.len()).sum::<usize>()
            + changed.iter().map(|c| res(buf, c.1).len()).sum::<usize>();
        let mut out = Labels::new();
        out.buf.reserve_exact(base.buf.len() + extra);
        out.spans.reserve_exact(base.len() + added.len());
        // Copies the unchanged labels `from..to` of the input as one slice.
        let copy_run = |out: &mut Labels, from: usize, to: usize| {
            if from >= to {
                return;
            }
            let start = base.spans[from][0];
            let end = base.spans[to - 1][2];
            let at = out.buf.len() as u32;
            out.buf.push_str(&base.buf[start as usize..end as usize]);
            out.spans.extend(
                base.spans[from..to]
                    .iter()
                    .map(|s| s.map(|x| x - start + at)),
            );
        };
        let (mut run, mut next_added, mut next_changed) = (0, 0, 0);
        for i in 0..=base.len() {
            let adds = added[next_added..].iter().take_while(|a| a.0 == i).count();
            let change = changed.get(next_changed).filter(|c| c.0 as usize == i);
            if adds == 0 && change.is_none() && i < base.len() {
                continue;
            }
            copy_run(&mut out, run, i);
            for &(_, name, value) in &added[next_added..next_added + adds] {
                out.push_unchecked(name, value);
            }
            next_added += adds;
            run = i + 1;
            if let Some(&(_, v)) = change {
                next_changed += 1;
                let value = res(buf, v);
                if !value.is_empty() {
                    out.push_unchecked(names(i), value);
                }
            } else if i < base.len() {
                run = i;
            }
        }
        debug_assert_eq!(next_added, added.len());
        debug_assert_eq!(next_changed, changed.len());
        out
    }

    fn materialized_labels(&mut self) -> Labels {
        self.settle();
        let mut l = Labels::new();
        let total: usize = self
            .labels
            .iter()
            .map(|e| res(&self.buf, e.name).len() + res(&self.buf, e.value).len())
            .sum();
        l.buf.reserve_exact(total);
        l.spans.reserve_exact(self.labels.len());
        for e in &self.labels {
            l.push_unchecked(res(&self.buf, e.name), res(&self.buf, e.value));
        }
        l
    }

    /// Binary search by name (after [`Work::materialize`]).
    #[inline]
    fn find(&self, name: &str) -> Result<usize, usize> {
        debug_assert!(self.base.is_none() && !self.raw);
        self.labels
            .binary_search_by(|e| cmp_str(res(&self.buf, e.name), name))
    }

    /// `find` starting from the position remembered for a lookup site (rule source or target). Label sets of one
    /// source usually have the same shape, so the remembered position is usually right.
    #[inline]
    fn find_at(&mut self, name: &str, site: usize) -> Result<usize, usize> {
        self.settle();
        let buf = &self.buf;
        hinted_search(
            &self.labels,
            |e| res(buf, e.name).as_bytes(),
            name.as_bytes(),
            &mut self.hints[site],
        )
    }

    fn del(&mut self, name: &str) {
        self.settle();
        if let Ok(i) = self.find(name) {
            self.labels.remove(i);
            self.dirty = true;
            self.resolved = false;
        }
    }

    /// Sets `name` to `value`; an empty value deletes.
    fn set(&mut self, name: S<'a>, value: S<'a>) {
        self.settle();
        let found = self.find(res(&self.buf, name));
        self.set_found(found, name, value);
    }

    fn set_found(&mut self, found: Result<usize, usize>, name: S<'a>, value: S<'a>) {
        let v = res(&self.buf, value);
        if v.is_empty() {
            if let Ok(i) = found {
                self.labels.remove(i);
                self.dirty = true;
                self.resolved = false;
            }
            return;
        }
        match found {
            Ok(i) => {
                if !eq_str(res(&self.buf, self.labels[i].value), v) {
                    self.labels[i].value = value;
                    self.dirty = true;
                }
            }
            Err(i) => {
                self.labels.insert(i, Entry { name, value });
                self.dirty = true;
                self.resolved = false;
            }
        }
    }

    fn push_buf(&mut self, s: &str) -> S<'a> {
        let a = self.buf.len() as u32;
        self.buf.push_str(s);
        S::Buf(a, self.buf.len() as u32)
    }

    fn joined(&mut self, rule: &Rule) -> Joined<'a> {
        match &*rule.sources {
            [] => Joined::One(S::In("")),
            [_] => Joined::One(self.slot_get(rule.src_slots[0])),
            _ => {
                self.join.clear();
                for (i, &slot) in rule.src_slots.iter().enumerate() {
                    if i > 0 {
                        self.join.push_str(&rule.separator);
                    }
                    let v = self.slot_get(slot);
                    self.join.push_str(res(&self.buf, v));
                }
                Joined::Join
            }
        }
    }

    fn jstr(&self, j: Joined<'a>) -> &str {
        match j {
            Joined::One(s) => res(&self.buf, s),
            Joined::Join => &self.join,
        }
    }

    /// Moves a buffer-backed joined value into `join` so that the buffer can grow while it is read.
    fn detach(&mut self, j: Joined<'a>) -> Joined<'a> {
        match j {
            Joined::One(S::Buf(a, b)) => {
                self.join.clear();
                self.join.push_str(&self.buf[a as usize..b as usize]);
                Joined::Join
            }
            j => j,
        }
    }

    /// Expands `t` for a match of `j`, avoiding copies for literal and single-group templates.
    fn expand(&mut self, t: &'a Template, j: Joined<'a>, spans: &Spans<'_>) -> S<'a> {
        if let Some(l) = t.as_literal() {
            return S::In(l);
        }
        if let Some(g) = t.single_group() {
            let span = g.iter().find_map(|&i| spans.get(i));
            let Some((a, b)) = span else { return S::In("") };
            return match j {
                Joined::One(S::In(s)) => S::In(&s[a..b]),
                Joined::One(S::Buf(x, _)) => S::Buf(x + a as u32, x + b as u32),
                Joined::Join => {
                    let start = self.buf.len() as u32;
                    self.buf.push_str(&self.join[a..b]);
                    S::Buf(start, self.buf.len() as u32)
                }
            };
        }
        let j = self.detach(j);
        let start = self.buf.len() as u32;
        match j {
            Joined::One(S::In(src)) => t.expand(src, |i| spans.get(i), &mut self.buf),
            _ => t.expand(&self.join, |i| spans.get(i), &mut self.buf),
        }
        S::Buf(start, self.buf.len() as u32)
    }

    /// Applies one rule; false when the series is dropped.
    fn apply_rule(
        &mut self,
        rule: &'a Rule,
        locs: &mut CaptureLocations,
        note: Option<&mut String>,
    ) -> bool {
        match rule.action {
            Action::Keep | Action::Drop => {
                let j = self.joined(rule);
                let m = rule.matcher.is_match(self.jstr(j));
                let keep = m == (rule.action == Action::Keep);
                if let Some(n) = note {
                    *n = format!(
                        "regex {} {} joined value {:?}: {}",
                        super::config::go_quote(&rule.regex_src),
                        if m { "matches" } else { "does not match" },
                        self.jstr(j),
                        if keep { "kept" } else { "dropped" }
                    );
                }
                keep
            }
            Action::KeepEqual | Action::DropEqual => {
                let j = self.joined(rule);
                let t = self.slot_get(rule.target_slot);
                let t = res(&self.buf, t);
                let eq = t == self.jstr(j);
                let keep = eq == (rule.action == Action::KeepEqual);
                if let Some(n) = note {
                    *n = format!(
                        "joined value {:?} {} {} value {:?}: {}",
                        self.jstr(j),
                        if eq { "equals" } else { "differs from" },
                        rule.target_str,
                        t,
                        if keep { "kept" } else { "dropped" }
                    );
                }
                keep
            }
            Action::Replace => {
                let j = self.joined(rule);
                if rule.default_regex
                    && self.jstr(j).is_empty()
                    && !rule.target.has_dollar
                    && !rule.replacement.has_dollar
                {
                    self.slot_set(rule.target_slot, S::In(&rule.replacement_str));
                    if let Some(n) = note {
                        *n = format!(
                            "empty source, set {} to {:?}",
                            rule.target_str, rule.replacement_str
                        );
                    }
                    return true;
                }
                let j = self.detach(j);
                let spans = match j {
                    Joined::One(S::In(src)) => rule.matcher.captures(src, locs),
                    _ => rule.matcher.captures(&self.join, locs),
                };
                let Some(spans) = spans else {
                    if let Some(n) = note {
                        *n = format!("regex does not match {:?}: unchanged", self.jstr(j));
                    }
                    return true;
                };
                let target = self.expand(&rule.target, j, &spans);
                let tname = res(&self.buf, target);
                if !rule.scheme.is_valid_label_name(tname) {
                    if let Some(n) = note {
                        *n =
                            format!("expanded target {tname:?} is not a valid label name: skipped");
                    }
                    return true;
                }
                let value = self.expand(&rule.replacement, j, &spans);
                if let Some(n) = note {
                    let v = res(&self.buf, value);
                    *n = if v.is_empty() {
                        format!("empty replacement: delete {}", res(&self.buf, target))
                    } else {
                        format!("set {} to {v:?}", res(&self.buf, target))
                    };
                }
                if rule.target_slot != NONE {
                    self.slot_set(rule.target_slot, value);
                } else {
                    self.settle();
                    self.set(target, value);
                }
                true
            }
            Action::Lowercase | Action::Uppercase => {
                let j = self.joined(rule);
                let j = self.detach(j);
                let start = self.buf.len() as u32;
                let lower = rule.action == Action::Lowercase;
                {
                    let src: &str = match j {
                        Joined::One(S::In(s)) => s,
                        _ => &self.join,
                    };
                    if lower {
                        case::push_lower(src, &mut self.buf);
                    } else {
                        case::push_upper(src, &mut self.buf);
                    }
                }
                let v = S::Buf(start, self.buf.len() as u32);
                if let Some(n) = note {
                    *n = format!("set {} to {:?}", rule.target_str, res(&self.buf, v));
                }
                self.slot_set(rule.target_slot, v);
                true
            }
            Action::HashMod => {
                let j = self.joined(rule);
                let h = Md5::digest(self.jstr(j).as_bytes());
                let mut b = [0u8; 8];
                b.copy_from_slice(&h[8..16]);
                let m = u64::from_be_bytes(b) % rule.modulus;
                let mut digits = [0u8; 20];
                let mut i = digits.len();
                let mut x = m;
                loop {
                    i -= 1;
                    digits[i] = b'0' + (x % 10) as u8;
                    x /= 10;
                    if x == 0 {
                        break;
                    }
                }
                let s = std::str::from_utf8(&digits[i..]).unwrap_or("0");
                let v = self.push_buf(s);
                if let Some(n) = note {
                    *n = format!("set {} to {m}", rule.target_str);
                }
                self.slot_set(rule.target_slot, v);
                true
            }
            Action::LabelMap => {
                self.labelmap(rule, locs);
                if let Some(n) = note {
                    *n = "copied matching labels".to_string();
                }
                true
            }
            Action::LabelDrop | Action::LabelKeep => {
                if !rule.drop_slots.is_empty() {
                    let mut removed = 0;
                    for &slot in rule.drop_slots.iter() {
                        let v = self.slot_get(slot);
                        if !res(&self.buf, v).is_empty() {
                            self.slot_set(slot, S::In(""));
                            removed += 1;
                        }
                    }
                    if let Some(n) = note {
                        *n = format!("removed {removed} label(s)");
                    }
                    return true;
                }
                if note.is_some() {
                    self.settle();
                }
                let before = self.labels.len();
                self.label_drop_keep(rule);
                if let Some(n) = note {
                    *n = format!("removed {} label(s)", before - self.labels.len());
                }
                true
            }
        }
    }

    /// Whether a name of the uncopied `base` starts with `prefix` (its insertion point, remembered per site).
    fn base_has_prefix(&mut self, base: &Labels, prefix: &str, site: usize) -> bool {
        let bytes = base.buf.as_bytes();
        let name = |&[a, b, _]: &[u32; 3]| &bytes[a as usize..b as usize];
        let p = prefix.as_bytes();
        // The prefix sorts before every name that starts with it, so its insertion point is where one would be.
        let (Ok(at) | Err(at)) = hinted_search(&base.spans, name, p, &mut self.hints[site]);
        base.spans.get(at).is_some_and(|s| name(s).starts_with(p))
    }

    /// The index range of labels whose name starts with `prefix`.
    fn prefix_range(&mut self, prefix: &str, site: usize) -> (usize, usize) {
        if let Some(base) = self.base.filter(|_| !self.dirty) {
            if !self.base_has_prefix(base, prefix, site) {
                return (0, 0);
            }
        } else if self.raw {
            // Unsorted: a scan, which spares the normalization when no name matches (the usual case).
            let buf = &self.buf;
            let found = self.labels.iter().any(|e| {
                super::strcmp::starts_with(res(buf, e.name), prefix)
                    && !res(buf, e.value).is_empty()
            });
            if !found {
                return (0, 0);
            }
        }
        // The prefix sorts before every name that starts with it, so its insertion point is the range start.
        let start = match self.find_at(prefix, site) {
            Ok(i) | Err(i) => i,
        };
        let mut end = start;
        while end < self.labels.len() && super::strcmp::starts_with(self.name(end), prefix) {
            end += 1;
        }
        (start, end)
    }

    fn labelmap(&mut self, rule: &'a Rule, locs: &mut CaptureLocations) {
        if !rule.matcher.anchored {
            return self.labelmap_replace_all(rule, locs);
        }
        let (start, end) = match (self.fast, rule.matcher.required_prefix()) {
            (true, Some(p)) => self.prefix_range(p, rule.site),
            _ => {
                self.settle();
                (0, self.labels.len())
            }
        };
        self.extra.clear();
        for i in start..end {
            let e = self.labels[i];
            let (j, spans) = match e.name {
                S::In(n) => match rule.matcher.captures(n, locs) {
                    None => continue,
                    Some(sp) => (Joined::One(e.name), sp),
                },
                S::Buf(a, b) => {
                    self.join.clear();
                    self.join.push_str(&self.buf[a as usize..b as usize]);
                    match rule.matcher.captures(&self.join, locs) {
                        None => continue,
                        Some(sp) => (Joined::Join, sp),
                    }
                }
            };
            let name = self.expand(&rule.replacement, j, &spans);
            self.extra.push(Entry {
                name,
                value: e.value,
            });
        }
        let extra = std::mem::take(&mut self.extra);
        for e in &extra {
            self.set(e.name, e.value);
        }
        self.extra = extra;
    }

    /// Labelmap for patterns whose matches need not span the whole name: Go's `ReplaceAllString` on the name.
    fn labelmap_replace_all(&mut self, rule: &'a Rule, locs: &mut CaptureLocations) {
        self.settle();
        self.extra.clear();
        for i in 0..self.labels.len() {
            let e = self.labels[i];
            self.join.clear();
            self.join.push_str(res(&self.buf, e.name));
            if !rule.matcher.regex.is_match(&self.join) {
                continue;
            }
            let start = self.buf.len() as u32;
            super::template::replace_all(
                &rule.matcher.regex,
                &rule.replacement,
                &self.join,
                locs,
                &mut self.buf,
            );
            self.extra.push(Entry {
                name: S::Buf(start, self.buf.len() as u32),
                value: e.value,
            });
        }
        let extra = std::mem::take(&mut self.extra);
        for e in &extra {
            self.set(e.name, e.value);
        }
        self.extra = extra;
    }

    fn label_drop_keep(&mut self, rule: &Rule) {
        let drop = rule.action == Action::LabelDrop;
        if self.fast && drop {
            match &rule.matcher.fast {
                Some(Fast::Literal(l)) => {
                    self.del(l);
                    return;
                }
                Some(Fast::Set(v)) => {
                    for l in v.iter() {
                        self.del(l);
                    }
                    return;
                }
                _ => {}
            }
            if let Some(p) = rule.matcher.required_prefix() {
                let (start, end) = self.prefix_range(p, rule.site);
                let mut w = start;
                for r in start..end {
                    let e = self.labels[r];
                    if !rule.matcher.is_match(res(&self.buf, e.name)) {
                        self.labels[w] = e;
                        w += 1;
                    }
                }
                if w != end {
                    self.labels.drain(w..end);
                    self.dirty = true;
                    self.resolved = false;
                }
                return;
            }
        }
        self.settle();
        let before = self.labels.len();
        let buf = &self.buf;
        self.labels
            .retain(|e| rule.matcher.is_match(res(buf, e.name)) != drop);
        if self.labels.len() != before {
            self.dirty = true;
            self.resolved = false;
        }
    }
}
