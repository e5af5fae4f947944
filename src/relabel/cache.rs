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
//! let never: fn() -> Vec<(&'static str, &'static str)> = || unreachable!();
//! assert!(matches!(cache.get_or_apply(&mut r, raw, never), Cached::Dropped));
//! cache.end_scrape(true);
//! # Ok::<(), promtext::relabel::ConfigError>(())
//! ```

use super::labels::Labels;
use super::pipeline::{Outcome, Relabeler};
use super::series_map::SeriesMap;

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

/// The cache. One per target (per scrape loop).
///
/// Lookups first try the series that came at the same position in the previous scrape (exporters keep their
/// order), so a warm scrape compares each key once instead of hashing it.
#[derive(Debug)]
pub struct SeriesCache {
    map: SeriesMap<Value>,
    /// The result of the last series that did not fit (the cache was full).
    overflow: Value,
    hits: u64,
    misses: u64,
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
            map: SeriesMap::new(max),
            overflow: Value::Unchanged,
            hits: 0,
            misses: 0,
        }
    }

    /// Starts a scrape. Optional after [`SeriesCache::end_scrape`]; after an abandoned scrape it resets the
    /// positional lookup.
    pub fn begin_scrape(&mut self) {
        self.map.begin_scrape();
    }

    /// Looks up `raw`; on a miss, relabels the labels produced by `labels` and stores the result.
    pub fn get_or_apply<'c, F, L, N, V>(
        &'c mut self,
        relabeler: &mut Relabeler,
        raw: &[u8],
        labels: F,
    ) -> Cached<'c>
    where
        F: FnOnce() -> L,
        L: AsRef<[(N, V)]>,
        N: AsRef<str>,
        V: AsRef<str>,
    {
        if let Some((slot, _)) = self.map.get(raw) {
            self.hits += 1;
            return view(self.map.value(slot));
        }
        self.misses += 1;
        let l = labels();
        let value = match relabeler.apply(l.as_ref()) {
            Outcome::Dropped => Value::Dropped,
            Outcome::Unchanged => Value::Unchanged,
            Outcome::Changed(x) => Value::Changed(x),
        };
        match self.map.insert(raw, value) {
            Ok(v) => view(v),
            Err(value) => {
                self.overflow = value;
                view(&self.overflow)
            }
        }
    }

    /// Ends a scrape. After a successful one, entries not seen in it are evicted. After a failed one they are
    /// evicted only when the cache holds more than `2 × last successful count + 1000` entries.
    pub fn end_scrape(&mut self, success: bool) {
        self.map.end_scrape(success);
    }

    /// Number of cached series.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// No cached series.
    pub fn is_empty(&self) -> bool {
        self.map.len() == 0
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
        self.map.forced_flushes
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        self.map.clear();
    }
}

fn view(v: &Value) -> Cached<'_> {
    match v {
        Value::Dropped => Cached::Dropped,
        Value::Unchanged => Cached::Unchanged,
        Value::Changed(l) => Cached::Changed(l),
    }
}
