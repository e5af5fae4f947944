//! Per-series result cache keyed by the raw series bytes, with Prometheus' scrape-cache hygiene.
//!
//! Prometheus relabels a sample only the first time its raw series text (`name{labels}` exactly as exposed) is
//! seen, and caches either a "dropped" marker or the final label set. After a successful scrape, entries not seen
//! in that scrape are evicted; after a failed scrape they are evicted only when the cache has grown beyond
//! `2 × (entries after the last successful scrape) + 1000`. A hard entry bound caps memory in between.
//!
//! ```
//! use promtext::relabel::cache::{Cached, SeriesCache};
//! use promtext::relabel::{Action, NameValidationScheme, Pipeline, RelabelConfig};
//! let p = Pipeline::new(
//!     &[RelabelConfig::new(Action::Drop).source_labels(["__name__"]).regex(".*_bucket")],
//!     NameValidationScheme::Utf8,
//! )?;
//! let mut r = p.relabeler();
//! let mut cache = SeriesCache::new();
//! cache.begin_scrape();
//! let raw = br#"latency_bucket{le="1"}"#;
//! let c = cache.get_or_apply(&mut r, raw, || vec![("__name__", "latency_bucket"), ("le", "1")]);
//! assert!(matches!(c, Cached::Dropped));
//! // The second time, the closure is not called.
//! assert!(matches!(cache.get_or_apply(&mut r, raw, || unreachable!()), Cached::Dropped));
//! cache.end_scrape(true);
//! # Ok::<(), promtext::relabel::ConfigError>(())
//! ```

use std::collections::HashMap;

use super::labels::Labels;
use super::pipeline::{Outcome, Relabeler};

/// Default hard bound on entries.
pub const DEFAULT_MAX_ENTRIES: usize = 1 << 20;

/// A cached result, borrowed from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cached<'c> {
    /// The series is dropped.
    Dropped,
    /// The series is kept with its own labels.
    Unchanged,
    /// The series is kept with these labels.
    Changed(&'c Labels),
}

#[derive(Debug)]
enum Value {
    Dropped,
    Unchanged,
    Changed(Labels),
}

#[derive(Debug)]
struct Slot {
    value: Value,
    last_seen: u64,
}

/// The cache. One per target (per scrape loop).
#[derive(Debug)]
pub struct SeriesCache {
    index: HashMap<Box<[u8]>, u32, ahash::RandomState>,
    slots: Vec<Slot>,
    iter: u64,
    successful_count: usize,
    max_entries: usize,
    hits: u64,
    misses: u64,
    forced_flushes: u64,
}

impl Default for SeriesCache {
    fn default() -> Self {
        SeriesCache::new()
    }
}

impl SeriesCache {
    /// An empty cache with [`DEFAULT_MAX_ENTRIES`].
    pub fn new() -> Self {
        SeriesCache::with_max_entries(DEFAULT_MAX_ENTRIES)
    }

    /// An empty cache holding at most `max` entries (further new series are relabeled but not cached).
    pub fn with_max_entries(max: usize) -> Self {
        SeriesCache {
            index: HashMap::with_hasher(ahash::RandomState::new()),
            slots: Vec::new(),
            iter: 1,
            successful_count: 0,
            max_entries: max.min(u32::MAX as usize),
            hits: 0,
            misses: 0,
            forced_flushes: 0,
        }
    }

    /// Starts a scrape (kept for symmetry with [`SeriesCache::end_scrape`]; the iteration counter advances there).
    pub fn begin_scrape(&mut self) {}

    /// Looks up `raw`; on a miss, relabels the labels produced by `labels` and stores the result.
    pub fn get_or_apply<'c, F, L, N, V>(&'c mut self, relabeler: &mut Relabeler, raw: &[u8], labels: F) -> Cached<'c>
    where
        F: FnOnce() -> L,
        L: AsRef<[(N, V)]>,
        N: AsRef<str>,
        V: AsRef<str>,
    {
        if let Some(&i) = self.index.get(raw) {
            self.hits += 1;
            let slot = &mut self.slots[i as usize];
            slot.last_seen = self.iter;
            return view(&slot.value);
        }
        self.misses += 1;
        let l = labels();
        let value = match relabeler.apply(l.as_ref()) {
            Outcome::Dropped => Value::Dropped,
            Outcome::Unchanged => Value::Unchanged,
            Outcome::Changed(x) => Value::Changed(x),
        };
        if self.slots.len() >= self.max_entries {
            // Not cached: keep the result in a scratch slot past the end.
            self.overflow(value);
            return view(&self.slots[self.slots.len() - 1].value);
        }
        let i = self.slots.len() as u32;
        self.slots.push(Slot {
            value,
            last_seen: self.iter,
        });
        self.index.insert(raw.into(), i);
        view(&self.slots[i as usize].value)
    }

    fn overflow(&mut self, value: Value) {
        // The overflow slot is the last one and is not indexed; it is replaced on each overflow.
        let indexed = self.index.len();
        if self.slots.len() > indexed {
            self.slots.truncate(indexed);
        }
        self.slots.push(Slot {
            value,
            last_seen: 0,
        });
    }

    /// Ends a scrape. After a successful one, entries not seen in it are evicted. After a failed one they are
    /// evicted only when the cache holds more than `2 × last successful count + 1000` entries.
    pub fn end_scrape(&mut self, success: bool) {
        let count = self.index.len();
        let flush = if success {
            self.successful_count = count;
            true
        } else if count > self.successful_count * 2 + 1000 {
            self.forced_flushes += 1;
            true
        } else {
            false
        };
        if self.slots.len() > count {
            self.slots.truncate(count);
        }
        let iter = self.iter;
        if flush && self.slots.iter().any(|s| s.last_seen != iter) {
            let mut remap = vec![u32::MAX; self.slots.len()];
            let mut w = 0usize;
            for r in 0..self.slots.len() {
                if self.slots[r].last_seen == iter {
                    remap[r] = w as u32;
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
        self.iter += 1;
    }

    /// Number of cached series.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// No cached series.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Cache hits so far.
    pub fn hits(&self) -> u64 {
        self.hits
    }

    /// Cache misses so far.
    pub fn misses(&self) -> u64 {
        self.misses
    }

    /// Flushes forced by growth after failed scrapes (Prometheus' `prometheus_target_scrapes_cache_flush_forced_total`).
    pub fn forced_flushes(&self) -> u64 {
        self.forced_flushes
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        self.index.clear();
        self.slots.clear();
    }
}

fn view(v: &Value) -> Cached<'_> {
    match v {
        Value::Dropped => Cached::Dropped,
        Value::Unchanged => Cached::Unchanged,
        Value::Changed(l) => Cached::Changed(l),
    }
}
