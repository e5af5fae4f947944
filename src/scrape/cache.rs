//! The scrape loop's per-series cache: raw series bytes → final, validated label set (or "dropped").
//!
//! Unlike [`crate::relabel::SeriesCache`], which caches the outcome of the relabel rules only, this cache
//! stores what the scrape appends: the labels after `honor_labels` merging, metric relabeling, empty-label removal
//! and validation, as Prometheus' `scrapeCache` does. Both sit on the same map (positional lookup first, then
//! the hashed index) with the same hygiene.

use crate::lex::scan::{KeyShape, Shared};
use crate::relabel::Labels;
use crate::relabel::series_map::SeriesMap;

/// What a lookup found.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Hit<'c> {
    Dropped,
    Series(&'c Cached),
}

/// A cached series: its final labels, their [`Collisions`] hash, and the timestamp of its sample in the
/// scrape that last saw it.
#[derive(Debug)]
pub(crate) struct Cached {
    pub(crate) labels: Labels,
    pub(crate) hash: u64,
    ts: Option<i64>,
}

impl Cached {
    pub(crate) fn new(labels: Labels, hash: u64, ts: Option<i64>) -> Self {
        Cached { labels, hash, ts }
    }
}

/// `None`: dropped by relabeling.
#[derive(Debug)]
pub(crate) struct ScrapeCache {
    map: SeriesMap<Option<Cached>>,
}

impl ScrapeCache {
    pub(crate) fn new(max_entries: usize, max_bytes: usize) -> Self {
        ScrapeCache {
            map: SeriesMap::with_budget(max_entries, max_bytes).with_shared_prefixes(),
        }
    }

    /// Starts a scrape: an abandoned earlier one leaves no positional state behind.
    pub(crate) fn begin_scrape(&mut self) {
        self.map.begin_scrape();
    }

    /// Looks `raw` up for a sample at `ts`; the flag tells whether it was already seen in this scrape.
    #[inline]
    pub(crate) fn get(&mut self, raw: &[u8], ts: Option<i64>) -> Option<(Hit<'_>, bool)> {
        let (slot, again) = self.map.get(raw)?;
        Some((Self::hit(self.map.value_mut(slot), ts), again))
    }

    /// The series the next lookup most likely asks for, when it is a series of a sample the text
    /// parser accepted in the strict Prometheus dialect (stored `parsed`): its slot, bytes and
    /// shape, for the parser to compare with the next line (`ChunkParser`'s known series) and
    /// [`ScrapeCache::get_slot`] when it matched.
    #[inline]
    pub(crate) fn next_parsed(&self) -> Option<(u32, &[u8], KeyShape, Shared<'_>)> {
        self.map.next_marked()
    }

    /// [`ScrapeCache::get`] of the series in `slot` (from [`ScrapeCache::next_parsed`]), which the
    /// parser found on the line.
    #[inline]
    pub(crate) fn get_slot(&mut self, slot: u32, ts: Option<i64>) -> (Hit<'_>, bool) {
        let again = self.map.get_slot(slot);
        (Self::hit(self.map.value_mut(slot), ts), again)
    }

    /// What a found entry gives, its sample's timestamp recorded.
    #[inline]
    fn hit(entry: &mut Option<Cached>, ts: Option<i64>) -> Hit<'_> {
        match entry {
            None => Hit::Dropped,
            Some(c) => {
                c.ts = ts;
                Hit::Series(c)
            }
        }
    }

    /// Stores a result for a series whose lookup just missed; returns `false` when the cache is full (the entry
    /// is not stored). `parsed`: `raw` is the series of a sample the text parser accepted in the strict
    /// Prometheus dialect (see [`ScrapeCache::next_parsed`]).
    pub(crate) fn insert(&mut self, raw: &[u8], labels: Option<Cached>, parsed: bool) -> bool {
        // A cached label set also has an entry in the scrape's [`Collisions`] index.
        let heap = labels
            .as_ref()
            .map_or(0, |c| c.labels.heap_bytes() + COLLISION_ENTRY_BYTES);
        self.map.insert_sized(raw, labels, heap, parsed).is_ok()
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

/// What an entry of [`Collisions`] costs: its key and value, twice for the hash table's slack.
const COLLISION_ENTRY_BYTES: usize = 2 * std::mem::size_of::<(u64, (u64, Option<i64>))>();

/// Distinct raw series that end with one label set (`a{x=""}` and `a`, label order, or metric relabeling that
/// drops the difference). Prometheus appends both, and its storage keeps the first sample of a series at one
/// timestamp; the scrape layer stores the first the same way. Label sets are hashed only when a series is
/// built (a cache miss): a hash seen twice marks the set as shared, and only the samples of shared sets are
/// checked against the ones emitted in the scrape, so a target without such series pays one branch per sample.
///
/// A new raw series whose set was built by an older one in an earlier scrape makes the set shared only now,
/// after that older series may already have been emitted in this scrape unrecorded: the scrape then switches to
/// tracking every emitted set, starting from the cached series seen so far (each keeps its sample's timestamp),
/// which costs one pass over the cache in the scrapes where it happens.
#[derive(Debug)]
pub(crate) struct Collisions {
    hasher: ahash::RandomState,
    /// Per hash of a label set built so far: the scrape that built it last and its timestamp (bounded: rebuilt
    /// from the cache when it outgrows it).
    built: std::collections::HashMap<u64, (u64, Option<i64>)>,
    /// Hashes built from more than one raw series.
    shared: std::collections::HashSet<u64>,
    /// Shared sets emitted in this scrape, with their timestamp.
    emitted: std::collections::HashMap<u64, Option<i64>>,
    /// Every emitted set is recorded in `emitted` for the rest of this scrape.
    tracking: bool,
    scrape: u64,
}

impl Collisions {
    pub(crate) fn new() -> Self {
        Collisions {
            hasher: ahash::RandomState::new(),
            built: Default::default(),
            shared: Default::default(),
            emitted: Default::default(),
            tracking: false,
            scrape: 0,
        }
    }

    pub(crate) fn begin_scrape(&mut self) {
        self.emitted.clear();
        self.tracking = false;
        self.scrape += 1;
    }

    /// The hash of a label set, kept with it in the cache.
    pub(crate) fn hash(&self, labels: &Labels) -> u64 {
        self.hasher.hash_one(labels)
    }

    /// A label set (hash `h`) built on a cache miss, for a sample at `ts`. When another raw series built the
    /// same set earlier in this scrape, that one was emitted first; when one built it in an earlier scrape, it
    /// may have been emitted in this one already (see the type's note). Returns the hash when it is new, for
    /// [`Collisions::not_cached`].
    pub(crate) fn built(&mut self, h: u64, ts: Option<i64>, cache: &ScrapeCache) -> Option<u64> {
        match self.built.insert(h, (self.scrape, ts)) {
            Some((scrape, prev)) => {
                let newly_shared = self.shared.insert(h);
                if scrape == self.scrape {
                    self.emitted.entry(h).or_insert(prev);
                } else if newly_shared && !self.tracking {
                    self.tracking = true;
                    for c in cache.map.values_seen().flatten() {
                        self.emitted.entry(c.hash).or_insert(c.ts);
                    }
                }
                None
            }
            None => Some(h),
        }
    }

    /// The series of a new hash was not cached (the cache is full): it is not tracked either, so that this
    /// index stays within the cache's size. (Series beyond the cache budget are not checked for collisions.)
    pub(crate) fn not_cached(&mut self, new: Option<u64>) {
        if let Some(h) = new {
            self.built.remove(&h);
        }
    }

    /// Whether a sample of the set hashed `h` at `ts` repeats one already emitted in this scrape (Prometheus'
    /// storage rejects it: a duplicate sample for the timestamp); records it otherwise.
    #[inline(always)]
    pub(crate) fn is_repeat(&mut self, h: u64, ts: Option<i64>) -> bool {
        // Inline only the usual case: no two series of the cache share a hash.
        if !self.tracking && self.shared.is_empty() {
            return false;
        }
        self.is_repeat_shared(h, ts)
    }

    #[inline(never)]
    fn is_repeat_shared(&mut self, h: u64, ts: Option<i64>) -> bool {
        if !self.tracking && !self.shared.contains(&h) {
            return false;
        }
        self.emitted.insert(h, ts) == Some(ts)
    }

    /// After a scrape: keeps the hashes bounded by the cache (the cache forgets series; this forgets with it).
    pub(crate) fn end_scrape(&mut self, cache: &ScrapeCache) {
        if self.built.len() <= 2 * cache.len() + 4096 {
            return;
        }
        self.built.clear();
        self.shared.clear();
        for c in cache.map.values().flatten() {
            if self.built.insert(c.hash, (0, None)).is_some() {
                self.shared.insert(c.hash);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// The cached value's size, on which the series map's slot size (120 bytes, checked there)
    /// depends: a warm scrape reads a slot per sample.
    #[test]
    fn a_cached_value_is_72_bytes() {
        assert_eq!(std::mem::size_of::<Option<super::Cached>>(), 72);
    }
}
