//! The scrape loop's per-series cache: raw series bytes → final, validated label set (or "dropped").
//!
//! Unlike [`crate::relabel::cache::SeriesCache`], which caches the outcome of the relabel rules only, this cache
//! stores what the scrape appends: the labels after `honor_labels` merging, metric relabeling, empty-label removal
//! and validation, as Prometheus' `scrapeCache` does. It uses the same key hashing and the same hygiene.

use std::collections::HashMap;

use crate::relabel::Labels;
use crate::relabel::cache::KeyHasher;

#[derive(Debug)]
struct Slot {
    /// `None`: dropped by relabeling.
    labels: Option<Labels>,
    last_seen: u64,
}

/// What a lookup found.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Hit<'c> {
    Dropped,
    Series(&'c Labels),
}

#[derive(Debug)]
pub(crate) struct ScrapeCache {
    index: HashMap<Box<[u8]>, u32, KeyHasher>,
    slots: Vec<Slot>,
    iter: u64,
    successful_count: usize,
    max_entries: usize,
    pub(crate) forced_flushes: u64,
}

impl ScrapeCache {
    pub(crate) fn new(max_entries: usize) -> Self {
        ScrapeCache {
            index: HashMap::with_hasher(KeyHasher::new()),
            slots: Vec::new(),
            iter: 1,
            successful_count: 0,
            max_entries: max_entries.min(u32::MAX as usize),
            forced_flushes: 0,
        }
    }

    /// Looks `raw` up; the flag tells whether it was already seen in this scrape.
    #[inline]
    pub(crate) fn get(&mut self, raw: &[u8]) -> Option<(Hit<'_>, bool)> {
        let &i = self.index.get(raw)?;
        let slot = &mut self.slots[i as usize];
        let again = slot.last_seen == self.iter;
        slot.last_seen = self.iter;
        Some((
            match &slot.labels {
                None => Hit::Dropped,
                Some(l) => Hit::Series(l),
            },
            again,
        ))
    }

    /// Stores a result; returns `false` when the cache is full (the entry is not stored).
    pub(crate) fn insert(&mut self, raw: &[u8], labels: Option<Labels>) -> bool {
        if self.index.len() >= self.max_entries {
            return false;
        }
        let i = self.slots.len() as u32;
        match self.index.entry(raw.into()) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i);
                self.slots.push(Slot {
                    labels,
                    last_seen: self.iter,
                });
                true
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// Prometheus' `iterDone`: after a successful scrape, forget series not seen in it; after a failed one, only
    /// when the cache grew beyond `2 × last successful size + 1000`.
    pub(crate) fn end_scrape(&mut self, success: bool) {
        let count = self.index.len();
        let flush = if success {
            true
        } else if count > self.successful_count * 2 + 1000 {
            self.forced_flushes += 1;
            true
        } else {
            false
        };
        let iter = self.iter;
        if flush && self.slots.iter().any(|s| s.last_seen != iter) {
            let mut remap = vec![u32::MAX; self.slots.len()];
            let mut w = 0usize;
            for (r, m) in remap.iter_mut().enumerate() {
                if self.slots[r].last_seen == iter {
                    *m = w as u32;
                    self.slots.swap(w, r);
                    w += 1;
                }
            }
            self.slots.truncate(w);
            self.index.retain(|_, i| {
                let m = remap[*i as usize];
                *i = m;
                m != u32::MAX
            });
        }
        if success {
            self.successful_count = self.index.len();
        }
        self.iter += 1;
    }
}
