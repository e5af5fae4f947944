//! The compiled form of a rule list: what [`super::compile`] produces and [`super::run`] interprets.

use super::matcher::Matcher;
use super::rule::{Action, NameValidationScheme, RelabelConfig};
use super::slots::SlotTable;
use super::template::Template;

/// A validated rule list, ready to run. Shared by every clone of a [`super::Pipeline`].
#[derive(Debug)]
pub(super) struct Program {
    pub(super) rules: Vec<Rule>,
    /// The order the rules run in when no trace is asked for ([`super::schedule::order`]).
    pub(super) run_order: Box<[u32]>,
    /// The rules as configured, for [`super::Pipeline::configs`].
    pub(super) configs: Vec<RelabelConfig>,
    pub(super) fast_paths: bool,
    /// How many lookup sites the rules have in all (see [`Rule::first_site`]).
    pub(super) lookup_sites: usize,
    /// The label names the rules read or write by name, each resolved once per label set.
    pub(super) slots: SlotTable,
}

/// One compiled rule.
#[derive(Debug)]
pub(super) struct Rule {
    pub(super) action: Action,
    pub(super) sources: Box<[Box<str>]>,
    pub(super) separator: Box<str>,
    pub(super) matcher: Matcher,
    /// The regex is the default `(.*)`.
    pub(super) regex_is_default: bool,
    pub(super) target: Template,
    pub(super) target_label: Box<str>,
    pub(super) replacement: Template,
    pub(super) replacement_src: Box<str>,
    pub(super) modulus: u64,
    pub(super) scheme: NameValidationScheme,
    pub(super) regex_src: Box<str>,
    /// First lookup site, the index of a remembered search position: one per source label, then one for the
    /// target.
    pub(super) first_site: usize,
    /// The slot of each source label.
    pub(super) source_slots: Box<[u32]>,
    /// The slot of the target when it is a fixed name, else [`super::slots::NONE`].
    pub(super) target_slot: u32,
    /// The slots a `labeldrop` of literal names deletes.
    pub(super) drop_slots: Box<[u32]>,
    /// A shortcut for the commonest rule shapes.
    pub(super) shortcut: Shortcut,
}

/// Rules the run loop decides without `WorkingSet::apply_rule` (whose frame is large): those that read one
/// label.
#[derive(Debug, Clone, Copy)]
pub(super) enum Shortcut {
    /// No shortcut.
    None,
    /// `keep` (`keep: true`) or `drop` on one source label.
    KeepOrDrop { slot: u32, keep: bool },
    /// `replace` from one source label with a fast matcher: nothing happens unless the value matches.
    ReplaceIfMatch { slot: u32 },
}
