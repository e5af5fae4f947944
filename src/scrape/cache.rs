//! The scrape loop's per-series cache: raw series bytes → final, validated label set (or "dropped").
//!
//! Unlike [`crate::relabel::SeriesCache`], which caches the outcome of the relabel rules only, this cache
//! stores what the scrape appends: the labels after `honor_labels` merging, metric relabeling, empty-label removal
//! and validation, as Prometheus' `scrapeCache` does. Both sit on the same map (positional lookup first, then
//! the hashed index) with the same hygiene.

use crate::relabel::Labels;
use crate::relabel::series_map::SeriesMap;

/// What a lookup found.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Hit<'c> {
    Dropped,
    Series(&'c Labels),
}

/// `None`: dropped by relabeling.
#[derive(Debug)]
pub(crate) struct ScrapeCache {
    map: SeriesMap<Option<Labels>>,
}

impl ScrapeCache {
    pub(crate) fn new(max_entries: usize, max_bytes: usize) -> Self {
        ScrapeCache {
            map: SeriesMap::with_budget(max_entries, max_bytes),
        }
    }

    /// Starts a scrape: an abandoned earlier one leaves no positional state behind.
    pub(crate) fn begin_scrape(&mut self) {
        self.map.begin_scrape();
    }

    /// Looks `raw` up; the flag tells whether it was already seen in this scrape.
    #[inline]
    pub(crate) fn get(&mut self, raw: &[u8]) -> Option<(Hit<'_>, bool)> {
        let (slot, again) = self.map.get(raw)?;
        Some((
            match self.map.value(slot) {
                None => Hit::Dropped,
                Some(l) => Hit::Series(l),
            },
            again,
        ))
    }

    /// Stores a result for a series whose lookup just missed; returns `false` when the cache is full (the entry
    /// is not stored).
    pub(crate) fn insert(&mut self, raw: &[u8], labels: Option<Labels>) -> bool {
        let heap = labels.as_ref().map_or(0, Labels::heap_bytes);
        self.map.insert_sized(raw, labels, heap).is_ok()
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.map.bytes()
    }

    /// Prometheus' `iterDone`: after a successful scrape, forget series not seen in it; after a failed one, only
    /// when the cache grew beyond `2 × last successful size + 1000`.
    pub(crate) fn end_scrape(&mut self, success: bool) {
        self.map.end_scrape(success);
    }
}
