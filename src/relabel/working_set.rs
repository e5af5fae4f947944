//! The working set: the label set being relabeled, kept in whichever form is cheapest for the rules run so far
//! (the input as fed, an uncopied sorted input, or a sorted list), and read and written through slots.

use std::cmp::Ordering;

use smallvec::SmallVec;

use super::labels::Labels;
use super::slots::{NONE, SlotTable};
use super::strcmp::{cmp_bytes, cmp_str, eq_bytes, eq_str};

/// A string of the working set: borrowed from the input or the pipeline, or a span of the scratch buffer (which
/// grows while the rules run, so it is addressed by offsets).
#[derive(Debug, Clone, Copy)]
pub(super) enum Text<'a> {
    Borrowed(&'a str),
    Scratch(u32, u32),
}

/// One label of the working set.
#[derive(Debug, Clone, Copy)]
pub(super) struct Entry<'a> {
    pub(super) name: Text<'a>,
    pub(super) value: Text<'a>,
}

/// The string `text` stands for, given the scratch buffer.
#[inline]
pub(super) fn text_of<'x>(buf: &'x str, s: Text<'x>) -> &'x str {
    match s {
        Text::Borrowed(x) => x,
        Text::Scratch(a, b) => &buf[a as usize..b as usize],
    }
}

/// Re-types an emptied vector to another lifetime, keeping its allocation (in-place collect: `T` and `U` differ
/// only in lifetimes).
#[allow(clippy::unnecessary_filter_map)] // `filter` could not change the element type.
pub(super) fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

/// Whether a slot value is still the input's own value `old` (the very slice slots_resolved from it: no slot write).
#[inline]
fn still_input(v: Text<'_>, old: &str) -> bool {
    matches!(v, Text::Borrowed(x) if std::ptr::eq(x, old))
}

/// Binary search of `key` among `items` sorted by `name`, trying first the position in `hint` (an equal name
/// there, or its insertion point) and remembering where a search landed. Label sets of one source usually have
/// the same shape, so the remembered position is usually right.
#[inline]
pub(super) fn hinted_search<'n, T>(
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

/// What the label list of a [`WorkingSet`] holds, which tells [`WorkingSet::settle`] what to do before a lookup by
/// name.
#[derive(Debug, Clone, Copy)]
pub(super) enum Form<'a> {
    /// `labels` holds the input as fed: maybe unsorted, with repeated names and empty values. Slots work on it
    /// as they are (a slot is the last label of its name, and an empty value is an absent label), so a series
    /// that is dropped before a rule needs the whole list is never normalized.
    Raw,
    /// A sorted input that `labels` stands for and that is not copied into it yet: the rules that read and write
    /// slots only need `slot_values`; [`WorkingSet::materialize`] copies it, with the slot writes, when a rule
    /// needs the whole list. Meanwhile `labels` is empty and `changed` means that a slot write is pending.
    Uncopied(&'a Labels),
    /// `labels` is sorted by name, names are unique and values non-empty.
    Sorted,
    /// Sorted, except that labels were appended out of order (from `appended_from` on) or emptied in place
    /// through slots; [`WorkingSet::settle`] restores the sorted, non-empty form.
    Patched,
}

/// The label set being relabeled.
pub(super) struct WorkingSet<'a> {
    pub(super) labels: Vec<Entry<'a>>,
    pub(super) form: Form<'a>,
    /// The result differs from the input (or, while [`Form::Uncopied`], a slot write is pending).
    pub(super) changed: bool,
    /// `slot_index` (and `slot_values`) are valid.
    pub(super) slots_resolved: bool,
    /// Per slot: the index of its label in `labels` (or in the uncopied input), or [`NONE`]. Valid while
    /// `slots_resolved`.
    pub(super) slot_index: Vec<u32>,
    /// Per slot, while [`Form::Uncopied`] and `slots_resolved`: its current value (`""` when absent).
    pub(super) slot_values: Vec<Text<'a>>,
    /// The index of the first label appended by a slot write since the list was last settled (`usize::MAX` when
    /// none).
    pub(super) appended_from: usize,
    /// The labels a `labelmap` sets once it has read them all.
    pub(super) pending: Vec<Entry<'a>>,
    /// Scratch for the strings the rules make ([`Text::Scratch`]).
    pub(super) buf: String,
    /// Scratch for joined source values ([`super::run::Joined::InJoinBuf`]) and names being matched.
    pub(super) join_buf: String,
    /// Per lookup site: the position the last search there landed on ([`hinted_search`]).
    pub(super) site_hints: Vec<u32>,
    pub(super) fast_paths: bool,
    pub(super) slot_table: &'a SlotTable,
    /// Scratch for [`WorkingSet::settle`]'s merge.
    pub(super) merge_scratch: Vec<Entry<'a>>,
    /// A `labelmap` mapped two labels to one name: the result depends on Prometheus' order of visits, which
    /// the working set does not track (see [`super::Relabeler`]'s reference).
    pub(super) labelmap_collision: bool,
}

impl<'a> WorkingSet<'a> {
    /// A slot write appended a label or emptied one: unless the list is raw (normalized anyway), it needs
    /// settling before lookups by name.
    #[inline]
    fn mark_patched(&mut self) {
        if let Form::Sorted = self.form {
            self.form = Form::Patched;
        }
    }

    pub(super) fn name(&self, i: usize) -> &str {
        text_of(&self.buf, self.labels[i].name)
    }

    /// Copies an uncopied input (`Form::Uncopied`) into `labels` and replays the pending slot writes on it through
    /// [`WorkingSet::slot_set`].
    pub(super) fn materialize(&mut self) {
        let Form::Uncopied(base) = self.form else {
            return;
        };
        self.form = Form::Sorted;
        debug_assert!(self.labels.is_empty());
        self.labels.extend(base.iter().map(|(n, v)| Entry {
            name: Text::Borrowed(n),
            value: Text::Borrowed(v),
        }));
        if !(self.slots_resolved && self.changed) {
            return;
        }
        // The slot indices into the input are indices into `labels` now: replay the writes on the copy.
        let vals = std::mem::take(&mut self.slot_values);
        for (k, &v) in vals.iter().enumerate() {
            let unwritten = match self.slot_index[k] {
                i if i == NONE => text_of(&self.buf, v).is_empty(),
                i => still_input(v, text_of(&self.buf, self.labels[i as usize].value)),
            };
            if !unwritten {
                self.slot_set(k as u32, v);
            }
        }
        self.slot_values = vals;
    }

    /// Finds the label of every slot: one hash lookup per label name.
    #[inline(never)]
    pub(super) fn resolve(&mut self) {
        self.slot_index.clear();
        self.slot_index.resize(self.slot_table.len(), NONE);
        if let Form::Uncopied(base) = self.form {
            self.slot_values.clear();
            self.slot_values
                .resize(self.slot_table.len(), Text::Borrowed(""));
            if self.slot_table.len() > 0 {
                let bytes = base.buf.as_bytes();
                for (i, &[a, b, c]) in base.spans.iter().enumerate() {
                    if let Some(k) = self.slot_table.find_bytes(&bytes[a as usize..b as usize]) {
                        self.slot_index[k as usize] = i as u32;
                        self.slot_values[k as usize] =
                            Text::Borrowed(&base.buf[b as usize..c as usize]);
                    }
                }
            }
            self.slots_resolved = true;
            return;
        }
        if self.slot_table.len() > 0 {
            for (i, e) in self.labels.iter().enumerate() {
                if let Some(k) = self.slot_table.find(text_of(&self.buf, e.name)) {
                    self.slot_index[k as usize] = i as u32;
                }
            }
        }
        self.slots_resolved = true;
    }

    /// The value of the label in `slot` (`""` when absent).
    #[inline]
    pub(super) fn slot_get(&mut self, slot: u32) -> Text<'a> {
        if !self.slots_resolved {
            self.resolve();
        }
        if let Form::Uncopied(_) = self.form {
            return self.slot_values[slot as usize];
        }
        match self.slot_index[slot as usize] {
            i if i == NONE => Text::Borrowed(""),
            i => self.labels[i as usize].value,
        }
    }

    /// Sets the label in `slot` to `value`; an empty value deletes it. New labels are appended and deleted ones
    /// emptied in place, so that no other slot's index moves.
    #[inline]
    pub(super) fn slot_set(&mut self, slot: u32, value: Text<'a>) {
        if !self.slots_resolved {
            self.resolve();
        }
        let v = text_of(&self.buf, value);
        if let Form::Uncopied(_) = self.form {
            let cur = &mut self.slot_values[slot as usize];
            if !eq_str(text_of(&self.buf, *cur), v) {
                *cur = value;
                self.changed = true;
            }
            return;
        }
        match self.slot_index[slot as usize] {
            i if i == NONE => {
                if !v.is_empty() {
                    self.slot_index[slot as usize] = self.labels.len() as u32;
                    self.appended_from = self.appended_from.min(self.labels.len());
                    self.labels.push(Entry {
                        name: Text::Borrowed(self.slot_table.name(slot)),
                        value,
                    });
                    self.changed = true;
                    self.mark_patched();
                }
            }
            i => {
                let e = &mut self.labels[i as usize];
                let cur = text_of(&self.buf, e.value);
                if v.is_empty() {
                    if !cur.is_empty() {
                        e.value = Text::Borrowed("");
                        self.changed = true;
                        self.mark_patched();
                    }
                } else if !eq_str(cur, v) {
                    e.value = value;
                    self.changed = true;
                }
            }
        }
    }

    /// Makes `labels` the sorted list of the current labels, without repeated names or empty values: normalizes
    /// a raw input, copies an uncopied one, and after slot writes restores the order. Whatever needs the whole
    /// list calls this first. When labels move, slots resolve again.
    pub(super) fn settle(&mut self) {
        match self.form {
            Form::Raw => {
                // Normalizing also sorts the labels appended by slot writes and removes emptied ones.
                self.form = Form::Sorted;
                self.appended_from = usize::MAX;
                if self.normalize() {
                    self.slots_resolved = false;
                }
                return;
            }
            Form::Uncopied(_) => self.materialize(),
            Form::Sorted | Form::Patched => {}
        }
        if !matches!(self.form, Form::Patched) {
            return;
        }
        self.form = Form::Sorted;
        self.slots_resolved = false;
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
            if !text_of(buf, e.value).is_empty() {
                self.labels[kept] = e;
                kept += 1;
            }
        }
        if boundary >= self.labels.len() {
            split = kept;
        }
        self.labels.truncate(kept);
        let by_name =
            |a: &Entry<'_>, b: &Entry<'_>| cmp_str(text_of(buf, a.name), text_of(buf, b.name));
        // The tail is short: sort it, then merge it in through the scratch (no allocation once grown).
        self.labels[split..].sort_unstable_by(by_name);
        if split == 0
            || split == kept
            || by_name(&self.labels[split - 1], &self.labels[split]) == Ordering::Less
        {
            return;
        }
        let mut merged = std::mem::take(&mut self.merge_scratch);
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
        self.merge_scratch = merged;
    }

    /// Sorts, keeps the last value of repeated names, removes empty values. True when labels moved.
    fn normalize(&mut self) -> bool {
        let buf = &self.buf;
        let mut sorted = true;
        let mut has_empty = false;
        let mut prev: Option<&str> = None;
        for e in &self.labels {
            let n = text_of(buf, e.name);
            if let Some(p) = prev {
                sorted &= cmp_str(p, n) == Ordering::Less;
            }
            has_empty |= text_of(buf, e.value).is_empty();
            prev = Some(n);
        }
        if sorted && !has_empty {
            return false;
        }
        if has_empty {
            self.changed = true;
        }
        if !sorted {
            // Stable: among equal names the input order is kept, so the last one wins below.
            self.labels
                .sort_by(|a, b| cmp_str(text_of(buf, a.name), text_of(buf, b.name)));
        }
        let mut w = 0;
        for r in 0..self.labels.len() {
            let e = self.labels[r];
            if w > 0 && eq_str(text_of(buf, self.labels[w - 1].name), text_of(buf, e.name)) {
                self.labels[w - 1] = e;
                self.changed = true;
            } else {
                self.labels[w] = e;
                w += 1;
            }
        }
        self.labels.truncate(w);
        self.labels.retain(|e| !text_of(buf, e.value).is_empty());
        true
    }

    /// The result of an uncopied input: `base` with the slot writes, built directly. Runs of unchanged labels are
    /// copied as one slice each (a `Labels` stores its labels back to back).
    pub(super) fn base_output(&mut self, base: &Labels) -> Labels {
        debug_assert!(self.slots_resolved);
        let buf = &self.buf;
        let value_of = |i: usize| {
            let [_, b, c] = base.spans[i];
            &base.buf[b as usize..c as usize]
        };
        // Slot writes: to labels of the input (by index) and new labels (sorted by name, with their place).
        let mut changed: SmallVec<[(u32, Text<'a>); 16]> = SmallVec::new();
        let mut added: SmallVec<[(usize, &str, &str); 8]> = SmallVec::new();
        for (k, &v) in self.slot_values.iter().enumerate() {
            match self.slot_index[k] {
                i if i == NONE => {
                    let value = text_of(buf, v);
                    if !value.is_empty() {
                        added.push((0, self.slot_table.name(k as u32), value));
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
            + changed
                .iter()
                .map(|c| text_of(buf, c.1).len())
                .sum::<usize>();
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
                let value = text_of(buf, v);
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

    pub(super) fn materialized_labels(&mut self) -> Labels {
        self.settle();
        let mut l = Labels::new();
        let total: usize = self
            .labels
            .iter()
            .map(|e| text_of(&self.buf, e.name).len() + text_of(&self.buf, e.value).len())
            .sum();
        l.buf.reserve_exact(total);
        l.spans.reserve_exact(self.labels.len());
        for e in &self.labels {
            l.push_unchecked(text_of(&self.buf, e.name), text_of(&self.buf, e.value));
        }
        l
    }

    /// Binary search by name (after [`WorkingSet::settle`]).
    #[inline]
    pub(super) fn find(&self, name: &str) -> Result<usize, usize> {
        debug_assert!(matches!(self.form, Form::Sorted | Form::Patched));
        self.labels
            .binary_search_by(|e| cmp_str(text_of(&self.buf, e.name), name))
    }

    /// `find` starting from the position remembered for a lookup site (rule source or target). Label sets of one
    /// source usually have the same shape, so the remembered position is usually right.
    #[inline]
    pub(super) fn find_at(&mut self, name: &str, site: usize) -> Result<usize, usize> {
        self.settle();
        let buf = &self.buf;
        hinted_search(
            &self.labels,
            |e| text_of(buf, e.name).as_bytes(),
            name.as_bytes(),
            &mut self.site_hints[site],
        )
    }

    pub(super) fn del(&mut self, name: &str) {
        self.settle();
        if let Ok(i) = self.find(name) {
            self.labels.remove(i);
            self.changed = true;
            self.slots_resolved = false;
        }
    }

    /// Sets `name` to `value`; an empty value deletes.
    pub(super) fn set(&mut self, name: Text<'a>, value: Text<'a>) {
        self.settle();
        let found = self.find(text_of(&self.buf, name));
        self.set_found(found, name, value);
    }

    fn set_found(&mut self, found: Result<usize, usize>, name: Text<'a>, value: Text<'a>) {
        let v = text_of(&self.buf, value);
        if v.is_empty() {
            if let Ok(i) = found {
                self.labels.remove(i);
                self.changed = true;
                self.slots_resolved = false;
            }
            return;
        }
        match found {
            Ok(i) => {
                if !eq_str(text_of(&self.buf, self.labels[i].value), v) {
                    self.labels[i].value = value;
                    self.changed = true;
                }
            }
            Err(i) => {
                self.labels.insert(i, Entry { name, value });
                self.changed = true;
                self.slots_resolved = false;
            }
        }
    }

    /// Replaces the labels by `l` (sorted, unique, non-empty), copied into the scratch buffer: the trace goes on
    /// from Prometheus' result after a `labelmap` whose order of visits decides.
    pub(super) fn reset_to(&mut self, l: &Labels) {
        self.labels.clear();
        self.pending.clear();
        for (n, v) in l.iter() {
            let name = self.push_buf(n);
            let value = self.push_buf(v);
            self.labels.push(Entry { name, value });
        }
        self.form = Form::Sorted;
        self.appended_from = usize::MAX;
        self.slots_resolved = false;
        self.changed = true;
        self.labelmap_collision = false;
    }

    pub(super) fn push_buf(&mut self, s: &str) -> Text<'a> {
        let a = self.buf.len() as u32;
        self.buf.push_str(s);
        Text::Scratch(a, self.buf.len() as u32)
    }
}
