//! The interpreter: runs a [`Program`] over a [`WorkingSet`], rule by rule.

use md5::{Digest, Md5};
use regex::CaptureLocations;

use super::case;
use super::labels::Labels;
use super::matcher::{Fast, Spans};
use super::naive::NaivePipeline;
use super::pipeline::{Outcome, Relabeler, Step};
use super::program::{Program, Rule, Shortcut};
use super::rule::Action;
use super::slots::NONE;
use super::strcmp::starts_with;
use super::template::{self, Template};
use super::working_set::{Entry, Form, Text, WorkingSet, hinted_search, recycle, text_of};

impl Relabeler {
    /// Runs the pipeline over the labels `feed` puts in the working set (maybe unsorted, with repeated names or
    /// empty values) or, with `base`, over `base` itself (nothing is fed then). With `trace`, the rules run in
    /// config order and each records a [`Step`].
    pub(super) fn run<'a>(
        &mut self,
        feed: impl FnOnce(&mut Vec<Entry<'a>>, &mut String),
        base: Option<&'a Labels>,
        trace: Option<&mut Vec<Step>>,
    ) -> Outcome {
        let program: &Program = &self.pipeline.program;
        let mut input: Vec<Entry<'a>> = recycle(std::mem::take(&mut self.entries));
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        feed(&mut input, &mut buf);
        let mut origin: Vec<Entry<'a>> = recycle(std::mem::take(&mut self.origin));
        if self.has_labelmap {
            origin.extend_from_slice(&input);
        }
        let mut set = WorkingSet {
            labels: input,
            pending: recycle(std::mem::take(&mut self.pending)),
            buf,
            join_buf: std::mem::take(&mut self.join_buf),
            site_hints: std::mem::take(&mut self.site_hints),
            changed: false,
            fast_paths: program.fast_paths,
            slot_table: &program.slots,
            slot_index: std::mem::take(&mut self.slot_index),
            slot_values: recycle(std::mem::take(&mut self.slot_values)),
            form: match base {
                Some(base) => Form::Uncopied(base),
                None => Form::Raw,
            },
            appended_from: usize::MAX,
            merge_scratch: recycle(std::mem::take(&mut self.merge_scratch)),
            slots_resolved: false,
            labelmap_collision: false,
        };
        let dropped = match trace {
            None => run_scheduled(program, &mut set, &mut self.capture_locations),
            Some(steps) => traced(
                program,
                &mut set,
                &mut self.capture_locations,
                &mut self.reference,
                &origin,
                base,
                steps,
            ),
        };
        if !dropped && matches!(set.form, Form::Raw) {
            // Repeated names and empty values in the input make the result differ from it (`changed`).
            set.settle();
        }
        let out = if set.labelmap_collision {
            let pairs: Vec<(&str, &str)> = match base {
                Some(base) => base.iter().collect(),
                None => origin
                    .iter()
                    .map(|e| (text_of(&set.buf, e.name), text_of(&set.buf, e.value)))
                    .collect(),
            };
            let reference = self
                .reference
                .get_or_insert_with(|| Box::new(reference_of(&self.pipeline.program)));
            match reference.apply(&pairs) {
                None => Outcome::Dropped,
                Some(l) => Outcome::Changed(Labels::from_pairs(l)),
            }
        } else if dropped {
            Outcome::Dropped
        } else if !set.changed {
            Outcome::Unchanged
        } else if let Form::Uncopied(base) = set.form {
            Outcome::Changed(set.base_output(base))
        } else {
            set.settle();
            Outcome::Changed(set.materialized_labels())
        };
        self.entries = recycle(set.labels);
        self.pending = recycle(set.pending);
        self.buf = set.buf;
        self.join_buf = set.join_buf;
        self.site_hints = set.site_hints;
        self.slot_index = set.slot_index;
        self.slot_values = recycle(set.slot_values);
        self.merge_scratch = recycle(set.merge_scratch);
        self.origin = recycle(origin);
        out
    }
}

/// Runs the rules in run order; true when one dropped the series. The hot loop: rules with a [`Shortcut`] are
/// decided here, without the large frame of [`WorkingSet::apply_rule`].
#[inline]
fn run_scheduled<'a>(
    program: &'a Program,
    set: &mut WorkingSet<'a>,
    capture_locations: &mut [CaptureLocations],
) -> bool {
    for &i in program.run_order.iter() {
        let i = i as usize;
        let rule = &program.rules[i];
        match rule.shortcut {
            Shortcut::KeepOrDrop { slot, keep } => {
                let v = set.slot_get(slot);
                if rule.matcher.is_match(text_of(&set.buf, v)) != keep {
                    return true;
                }
                continue;
            }
            Shortcut::ReplaceIfMatch { slot } => {
                let v = set.slot_get(slot);
                if !rule.matcher.is_match(text_of(&set.buf, v)) {
                    continue;
                }
            }
            Shortcut::None => {}
        }
        if !set.apply_rule(rule, &mut capture_locations[i], None) {
            return true;
        }
    }
    false
}

/// [`run_traced`] with Prometheus' labels after a rule from the reference run over the input (kept out of
/// [`Relabeler::run`], whose frame the untraced runs share).
#[inline(never)]
fn traced<'a>(
    program: &'a Program,
    set: &mut WorkingSet<'a>,
    capture_locations: &mut [CaptureLocations],
    reference: &mut Option<Box<NaivePipeline>>,
    origin: &[Entry<'a>],
    base: Option<&'a Labels>,
    steps: &mut Vec<Step>,
) -> bool {
    let pairs: Vec<(String, String)> = match base {
        Some(base) => base
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        None => origin
            .iter()
            .map(|e| {
                (
                    text_of(&set.buf, e.name).to_string(),
                    text_of(&set.buf, e.value).to_string(),
                )
            })
            .collect(),
    };
    let mut after_rule = |i: usize| {
        reference
            .get_or_insert_with(|| Box::new(reference_of(program)))
            .apply_prefix(&pairs, i + 1)
            .map(Labels::from_pairs)
    };
    run_traced(program, set, capture_locations, steps, &mut after_rule)
}

/// The line-by-line reference of a program's rules.
fn reference_of(p: &Program) -> NaivePipeline {
    // The pipeline's scheme: that of a rule which does not carry its own.
    let scheme = p
        .rules
        .iter()
        .zip(&p.configs)
        .find(|(_, c)| c.name_validation_scheme.is_none())
        .map(|(r, _)| r.scheme)
        .unwrap_or_default();
    NaivePipeline::new(&p.configs, scheme).expect("the rules compiled, so they validate")
}

/// Runs the rules in config order (Prometheus' order, not [`Program::run_order`]), recording a [`Step`] for
/// each; true when one dropped the series. When a `labelmap` maps two labels to one name, Prometheus' order of
/// visits decides: that step shows, and the next ones start from, `after_rule(i)`, Prometheus' labels after
/// rule `i`, so that the trace ends with the result `apply` gives.
fn run_traced<'a>(
    program: &'a Program,
    set: &mut WorkingSet<'a>,
    capture_locations: &mut [CaptureLocations],
    steps: &mut Vec<Step>,
    after_rule: &mut dyn FnMut(usize) -> Option<Labels>,
) -> bool {
    for (i, rule) in program.rules.iter().enumerate() {
        let before = set.materialized_labels();
        let mut note = String::new();
        let mut keep = set.apply_rule(rule, &mut capture_locations[i], Some(&mut note));
        let mut after = keep.then(|| set.materialized_labels());
        if keep && set.labelmap_collision {
            note.push_str(" (several labels mapped to one name: the last in Prometheus' order of visits wins)");
            after = after_rule(i);
            match &after {
                Some(l) => set.reset_to(l),
                None => keep = false,
            }
        }
        steps.push(Step {
            index: i,
            action: rule.action,
            before,
            after,
            note,
        });
        if !keep {
            return true;
        }
    }
    false
}

/// The joined value of a rule's source labels.
#[derive(Clone, Copy)]
pub(super) enum Joined<'a> {
    /// One source label: its value.
    Single(Text<'a>),
    /// Several: joined with the separator in [`WorkingSet::join_buf`].
    InJoinBuf,
}

impl<'a> WorkingSet<'a> {
    fn joined(&mut self, rule: &Rule) -> Joined<'a> {
        match &*rule.sources {
            [] => Joined::Single(Text::Borrowed("")),
            [_] => Joined::Single(self.slot_get(rule.source_slots[0])),
            _ => {
                self.join_buf.clear();
                for (i, &slot) in rule.source_slots.iter().enumerate() {
                    if i > 0 {
                        self.join_buf.push_str(&rule.separator);
                    }
                    let v = self.slot_get(slot);
                    self.join_buf.push_str(text_of(&self.buf, v));
                }
                Joined::InJoinBuf
            }
        }
    }

    fn joined_str(&self, j: Joined<'a>) -> &str {
        match j {
            Joined::Single(s) => text_of(&self.buf, s),
            Joined::InJoinBuf => &self.join_buf,
        }
    }

    /// Moves a buffer-backed joined value into `join` so that the buffer can grow while it is read.
    fn detach(&mut self, j: Joined<'a>) -> Joined<'a> {
        match j {
            Joined::Single(Text::Scratch(a, b)) => {
                self.join_buf.clear();
                self.join_buf.push_str(&self.buf[a as usize..b as usize]);
                Joined::InJoinBuf
            }
            j => j,
        }
    }

    /// Expands `t` for a match of `j`, avoiding copies for literal and single-group templates.
    fn expand(&mut self, t: &'a Template, j: Joined<'a>, spans: &Spans<'_>) -> Text<'a> {
        if let Some(l) = t.as_literal() {
            return Text::Borrowed(l);
        }
        if let Some(g) = t.single_group() {
            let span = g.iter().find_map(|&i| spans.get(i));
            let Some((a, b)) = span else {
                return Text::Borrowed("");
            };
            return match j {
                Joined::Single(Text::Borrowed(s)) => Text::Borrowed(&s[a..b]),
                Joined::Single(Text::Scratch(x, _)) => Text::Scratch(x + a as u32, x + b as u32),
                Joined::InJoinBuf => {
                    let start = self.buf.len() as u32;
                    self.buf.push_str(&self.join_buf[a..b]);
                    Text::Scratch(start, self.buf.len() as u32)
                }
            };
        }
        let j = self.detach(j);
        let start = self.buf.len() as u32;
        match j {
            Joined::Single(Text::Borrowed(src)) => t.expand(src, |i| spans.get(i), &mut self.buf),
            _ => t.expand(&self.join_buf, |i| spans.get(i), &mut self.buf),
        }
        Text::Scratch(start, self.buf.len() as u32)
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
                let m = rule.matcher.is_match(self.joined_str(j));
                let keep = m == (rule.action == Action::Keep);
                if let Some(n) = note {
                    *n = format!(
                        "regex {} {} joined value {:?}: {}",
                        crate::go::quote_str(&rule.regex_src),
                        if m { "matches" } else { "does not match" },
                        self.joined_str(j),
                        if keep { "kept" } else { "dropped" }
                    );
                }
                keep
            }
            Action::KeepEqual | Action::DropEqual => {
                let j = self.joined(rule);
                let t = self.slot_get(rule.target_slot);
                let t = text_of(&self.buf, t);
                let eq = t == self.joined_str(j);
                let keep = eq == (rule.action == Action::KeepEqual);
                if let Some(n) = note {
                    *n = format!(
                        "joined value {:?} {} {} value {:?}: {}",
                        self.joined_str(j),
                        if eq { "equals" } else { "differs from" },
                        rule.target_label,
                        t,
                        if keep { "kept" } else { "dropped" }
                    );
                }
                keep
            }
            Action::Replace => {
                let j = self.joined(rule);
                if rule.regex_is_default
                    && self.joined_str(j).is_empty()
                    && !rule.target.has_dollar
                    && !rule.replacement.has_dollar
                {
                    self.slot_set(rule.target_slot, Text::Borrowed(&rule.replacement_src));
                    if let Some(n) = note {
                        *n = format!(
                            "empty source, set {} to {:?}",
                            rule.target_label, rule.replacement_src
                        );
                    }
                    return true;
                }
                let j = self.detach(j);
                let spans = match j {
                    Joined::Single(Text::Borrowed(src)) => rule.matcher.captures(src, locs),
                    _ => rule.matcher.captures(&self.join_buf, locs),
                };
                let Some(spans) = spans else {
                    if let Some(n) = note {
                        *n = format!("regex does not match {:?}: unchanged", self.joined_str(j));
                    }
                    return true;
                };
                let target = self.expand(&rule.target, j, &spans);
                let tname = text_of(&self.buf, target);
                if !rule.scheme.is_valid_label_name(tname) {
                    if let Some(n) = note {
                        *n =
                            format!("expanded target {tname:?} is not a valid label name: skipped");
                    }
                    return true;
                }
                let value = self.expand(&rule.replacement, j, &spans);
                if let Some(n) = note {
                    let v = text_of(&self.buf, value);
                    *n = if v.is_empty() {
                        format!("empty replacement: delete {}", text_of(&self.buf, target))
                    } else {
                        format!("set {} to {v:?}", text_of(&self.buf, target))
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
                        Joined::Single(Text::Borrowed(s)) => s,
                        _ => &self.join_buf,
                    };
                    if lower {
                        case::push_lower(src, &mut self.buf);
                    } else {
                        case::push_upper(src, &mut self.buf);
                    }
                }
                let v = Text::Scratch(start, self.buf.len() as u32);
                if let Some(n) = note {
                    *n = format!("set {} to {:?}", rule.target_label, text_of(&self.buf, v));
                }
                self.slot_set(rule.target_slot, v);
                true
            }
            Action::HashMod => {
                let j = self.joined(rule);
                let h = Md5::digest(self.joined_str(j).as_bytes());
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
                    *n = format!("set {} to {m}", rule.target_label);
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
                        if !text_of(&self.buf, v).is_empty() {
                            self.slot_set(slot, Text::Borrowed(""));
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
        let (Ok(at) | Err(at)) = hinted_search(&base.spans, name, p, &mut self.site_hints[site]);
        base.spans.get(at).is_some_and(|s| name(s).starts_with(p))
    }

    /// The index range of labels whose name starts with `prefix`.
    fn prefix_range(&mut self, prefix: &str, site: usize) -> (usize, usize) {
        match self.form {
            Form::Uncopied(base) if !self.changed => {
                if !self.base_has_prefix(base, prefix, site) {
                    return (0, 0);
                }
            }
            Form::Raw => {
                // Unsorted: a scan, which spares the normalization when no name matches (the usual case).
                let buf = &self.buf;
                let found = self.labels.iter().any(|e| {
                    starts_with(text_of(buf, e.name), prefix) && !text_of(buf, e.value).is_empty()
                });
                if !found {
                    return (0, 0);
                }
            }
            Form::Uncopied(_) | Form::Sorted | Form::Patched => {}
        }
        // The prefix sorts before every name that starts with it, so its insertion point is the range start.
        let start = match self.find_at(prefix, site) {
            Ok(i) | Err(i) => i,
        };
        let mut end = start;
        while end < self.labels.len() && starts_with(self.name(end), prefix) {
            end += 1;
        }
        (start, end)
    }

    fn labelmap(&mut self, rule: &'a Rule, locs: &mut CaptureLocations) {
        if !rule.matcher.anchored {
            return self.labelmap_replace_all(rule, locs);
        }
        let (start, end) = match (self.fast_paths, rule.matcher.required_prefix()) {
            (true, Some(p)) => self.prefix_range(p, rule.first_site),
            _ => {
                self.settle();
                (0, self.labels.len())
            }
        };
        self.pending.clear();
        for i in start..end {
            let e = self.labels[i];
            let (j, spans) = match e.name {
                Text::Borrowed(n) => match rule.matcher.captures(n, locs) {
                    None => continue,
                    Some(sp) => (Joined::Single(e.name), sp),
                },
                Text::Scratch(a, b) => {
                    self.join_buf.clear();
                    self.join_buf.push_str(&self.buf[a as usize..b as usize]);
                    match rule.matcher.captures(&self.join_buf, locs) {
                        None => continue,
                        Some(sp) => (Joined::InJoinBuf, sp),
                    }
                }
            };
            let name = self.expand(&rule.replacement, j, &spans);
            self.pending.push(Entry {
                name,
                value: e.value,
            });
        }
        self.set_mapped();
    }

    /// Sets the labels a labelmap collected in `pending`, noting when two of them share a name
    /// (the caller then re-runs the series in Prometheus' order).
    fn set_mapped(&mut self) {
        let extra = std::mem::take(&mut self.pending);
        if extra.len() > 1 && self.names_collide(&extra) {
            self.labelmap_collision = true;
        }
        for e in &extra {
            self.set(e.name, e.value);
        }
        self.pending = extra;
    }

    /// Whether two of `extra` have the same name. Pairwise for a few (a labelmap maps a handful of labels),
    /// else sorted in the merge scratch.
    fn names_collide(&mut self, extra: &[Entry<'a>]) -> bool {
        let buf = &self.buf;
        if extra.len() <= 16 {
            return extra.iter().enumerate().any(|(i, a)| {
                extra[..i]
                    .iter()
                    .any(|b| text_of(buf, a.name) == text_of(buf, b.name))
            });
        }
        let mut s = std::mem::take(&mut self.merge_scratch);
        s.clear();
        s.extend_from_slice(extra);
        s.sort_unstable_by(|a, b| text_of(buf, a.name).cmp(text_of(buf, b.name)));
        let dup = s
            .windows(2)
            .any(|w| text_of(buf, w[0].name) == text_of(buf, w[1].name));
        self.merge_scratch = s;
        dup
    }

    /// Labelmap for patterns whose matches need not span the whole name: Go's `ReplaceAllString` on the name.
    fn labelmap_replace_all(&mut self, rule: &'a Rule, locs: &mut CaptureLocations) {
        self.settle();
        self.pending.clear();
        for i in 0..self.labels.len() {
            let e = self.labels[i];
            self.join_buf.clear();
            self.join_buf.push_str(text_of(&self.buf, e.name));
            if !rule.matcher.regex.is_match(&self.join_buf) {
                continue;
            }
            let start = self.buf.len() as u32;
            template::replace_all(
                &rule.matcher.regex,
                &rule.replacement,
                &self.join_buf,
                locs,
                &mut self.buf,
            );
            self.pending.push(Entry {
                name: Text::Scratch(start, self.buf.len() as u32),
                value: e.value,
            });
        }
        self.set_mapped();
    }

    fn label_drop_keep(&mut self, rule: &Rule) {
        let drop = rule.action == Action::LabelDrop;
        if self.fast_paths && drop {
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
                let (start, end) = self.prefix_range(p, rule.first_site);
                let mut w = start;
                for r in start..end {
                    let e = self.labels[r];
                    if !rule.matcher.is_match(text_of(&self.buf, e.name)) {
                        self.labels[w] = e;
                        w += 1;
                    }
                }
                if w != end {
                    self.labels.drain(w..end);
                    self.changed = true;
                    self.slots_resolved = false;
                }
                return;
            }
        }
        self.settle();
        let before = self.labels.len();
        let buf = &self.buf;
        self.labels
            .retain(|e| rule.matcher.is_match(text_of(buf, e.name)) != drop);
        if self.labels.len() != before {
            self.changed = true;
            self.slots_resolved = false;
        }
    }
}
