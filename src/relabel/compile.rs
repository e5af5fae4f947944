//! Compiling: a validated rule list becomes a [`Program`].

use super::goregex;
use super::matcher::{Fast, Matcher};
use super::program::{Program, Rule, Shortcut};
use super::rule::{Action, ConfigError, NameValidationScheme, RelabelConfig};
use super::schedule::{self, Effect, Names};
use super::slots::{NONE, SlotTable};
use super::template::{Segment, Template};

/// How [`Pipeline::with_options`](super::Pipeline::with_options) compiles the rules.
///
/// ```
/// use promtext::relabel::{Action, CompileOptions, NameValidationScheme, Pipeline, RelabelConfig};
/// let rules = [RelabelConfig::new(Action::Keep).source_labels(["job"]).regex("envoy")];
/// // Every match through the regex: the reference the fast paths are tested against.
/// let plain = CompileOptions { fast_paths: false };
/// let p = Pipeline::with_options(&rules, NameValidationScheme::Utf8, plain)?;
/// assert!(p.relabeler().apply(&[("job", "node")]).is_dropped());
/// # Ok::<(), promtext::relabel::ConfigError>(())
/// ```
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

/// Validates (with `scheme`, unless a rule carries its own) and compiles `rules`.
pub(super) fn compile(
    rules: &[RelabelConfig],
    scheme: NameValidationScheme,
    opts: CompileOptions,
) -> Result<Program, ConfigError> {
    let mut compiled = Vec::with_capacity(rules.len());
    let mut lookup_sites = 0usize;
    let mut slots = SlotTable::default();
    for (index, config) in rules.iter().enumerate() {
        let wrap = |e: ConfigError| ConfigError::InRule {
            index,
            error: Box::new(e),
        };
        config.validate(scheme).map_err(wrap)?;
        let re = goregex::compile_anchored(config.regex.as_str())
            .map_err(ConfigError::Regex)
            .map_err(wrap)?;
        let matcher = Matcher::new(re, opts.fast_paths);
        let action = config
            .action
            .ok_or(ConfigError::EmptyAction)
            .map_err(wrap)?;
        let target = Template::parse(&config.target_label, &matcher.names);
        let target_slot = match action {
            Action::Replace => target.as_literal().map(|l| slots.intern(l)),
            Action::KeepEqual
            | Action::DropEqual
            | Action::Lowercase
            | Action::Uppercase
            | Action::HashMod => Some(slots.intern(&config.target_label)),
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
        let source_slots: Box<[u32]> = config.sources().iter().map(|s| slots.intern(s)).collect();
        let shortcut = match (action, &*source_slots) {
            (Action::Keep | Action::Drop, &[slot]) => Shortcut::KeepOrDrop {
                slot,
                keep: action == Action::Keep,
            },
            (Action::Replace, &[slot]) if matcher.fast.is_some() => {
                Shortcut::ReplaceIfMatch { slot }
            }
            _ => Shortcut::None,
        };
        compiled.push(Rule {
            shortcut,
            action,
            source_slots,
            target_slot: target_slot.unwrap_or(NONE),
            drop_slots: drop_slots.into(),
            sources: config.sources().iter().map(|s| s.as_str().into()).collect(),
            separator: config.separator.as_str().into(),
            target,
            target_label: config.target_label.as_str().into(),
            replacement: Template::parse(&config.replacement, &matcher.names),
            replacement_src: config.replacement.as_str().into(),
            matcher,
            regex_is_default: config.regex.is_default(),
            modulus: config.modulus,
            scheme: config.name_validation_scheme.unwrap_or(scheme),
            regex_src: config.regex.as_str().into(),
            first_site: lookup_sites,
        });
        lookup_sites += config.sources().len() + 1;
    }
    slots.seal();
    let run_order = if opts.fast_paths {
        schedule::order(&compiled.iter().map(Rule::effect).collect::<Vec<_>>())
    } else {
        (0..compiled.len() as u32).collect()
    };
    Ok(Program {
        run_order: run_order.into(),
        rules: compiled,
        configs: rules.to_vec(),
        fast_paths: opts.fast_paths,
        lookup_sites,
        slots,
    })
}

impl Rule {
    /// The names this rule reads and writes, for [`schedule::order`].
    pub(super) fn effect(&self) -> Effect<'_> {
        let sources = || Names::Exact(self.sources.iter().map(|s| &**s).collect());
        let target = || Names::Exact(vec![&*self.target_label]);
        let (reads, writes, drops) = match self.action {
            Action::Keep | Action::Drop => (sources(), Names::none(), true),
            Action::KeepEqual | Action::DropEqual => {
                let mut names: Vec<&str> = self.sources.iter().map(|s| &**s).collect();
                names.push(&self.target_label);
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
