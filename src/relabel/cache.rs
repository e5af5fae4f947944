//! Per-series result cache keyed by the raw series bytes, with Prometheus' scrape-cache hygiene.
//!
//! Prometheus relabels a sample only the first time its raw series text (`name{labels}` exactly as exposed) is
//! seen, and caches either a "dropped" marker or the final label set. After a successful scrape, entries not seen
//! in that scrape are evicted; after a failed scrape they are evicted only when the cache has grown beyond
//! `2 × (entries after the last successful scrape) + 1000`. A hard entry bound caps memory in between.
//!
//! ```
//! use promtext::relabel::{Cached, SeriesCache};
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

/// Default hard bound on the entries of a [`SeriesCache`] or [`LabelSetCache`].
pub const DEFAULT_CACHE_MAX_ENTRIES: usize = 1 << 20;

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
    /// An empty cache with [`DEFAULT_CACHE_MAX_ENTRIES`].
    pub fn new() -> Self {
        SeriesCache::with_max_entries(DEFAULT_CACHE_MAX_ENTRIES)
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
        self.get_or_compute(raw, || relabeler.apply(labels().as_ref()))
    }

    /// Looks up `raw`; on a miss, stores the outcome of `relabel`.
    fn get_or_compute<'c>(
        &'c mut self,
        raw: &[u8],
        relabel: impl FnOnce() -> Outcome,
    ) -> Cached<'c> {
        if let Some((slot, _)) = self.map.get(raw) {
            self.hits += 1;
            return view(self.map.value(slot));
        }
        self.misses += 1;
        let value = match relabel() {
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

/// Memo of relabel results keyed by the whole label set, for target relabeling (`relabel_configs`).
///
/// Prometheus' discovery manager hands the scrape manager every target of a group again on each update, and
/// each one is relabeled from scratch although almost all of them did not change (a Kubernetes pod role re-sends
/// the pods of a namespace when one of them changes). This cache answers the unchanged ones with one comparison
/// of the label bytes. Its hygiene is the [`SeriesCache`]'s with "sync" for "scrape": after
/// [`LabelSetCache::end_sync`], entries not looked up since [`LabelSetCache::begin_sync`] are evicted.
///
/// ```
/// use promtext::relabel::{Cached, LabelSetCache};
/// use promtext::relabel::{Action, Labels, NameValidationScheme, Pipeline, RelabelConfig};
/// let p = Pipeline::new(
///     &[RelabelConfig::new(Action::Replace).source_labels(["__meta_pod"]).target_label("pod")],
///     NameValidationScheme::Utf8,
/// )?;
/// let mut r = p.relabeler();
/// let mut cache = LabelSetCache::new();
/// let target = Labels::from_pairs([("__address__", "10.1.2.3:15090"), ("__meta_pod", "reviews-v1")]);
/// for _ in 0..2 {
///     cache.begin_sync();
///     let Cached::Changed(l) = cache.get_or_apply(&mut r, &target) else { unreachable!() };
///     assert_eq!(l.get("pod"), Some("reviews-v1"));
///     cache.end_sync();
/// }
/// assert_eq!((cache.hits(), cache.misses()), (1, 1));
/// # Ok::<(), promtext::relabel::ConfigError>(())
/// ```
#[derive(Debug)]
pub struct LabelSetCache {
    inner: SeriesCache,
    key: Vec<u8>,
}

impl Default for LabelSetCache {
    fn default() -> Self {
        LabelSetCache::new()
    }
}

impl LabelSetCache {
    /// An empty cache with [`DEFAULT_CACHE_MAX_ENTRIES`].
    pub fn new() -> Self {
        LabelSetCache::with_max_entries(DEFAULT_CACHE_MAX_ENTRIES)
    }

    /// An empty cache holding at most `max` label sets (further new ones are relabeled but not cached).
    pub fn with_max_entries(max: usize) -> Self {
        LabelSetCache {
            inner: SeriesCache::with_max_entries(max),
            key: Vec::new(),
        }
    }

    /// Starts a discovery sync (a round of lookups that covers every current target).
    pub fn begin_sync(&mut self) {
        self.inner.begin_scrape();
    }

    /// Ends a sync: label sets not looked up in it are evicted.
    pub fn end_sync(&mut self) {
        self.inner.end_scrape(true);
    }

    /// The result of relabeling `labels`, from the cache when this label set was relabeled before.
    pub fn get_or_apply<'c>(
        &'c mut self,
        relabeler: &mut Relabeler,
        labels: &Labels,
    ) -> Cached<'c> {
        // The key is the label bytes followed by the label boundaries: `Labels` tiles its buffer, so the two
        // together determine the set, and equal sets have equal keys.
        let text = labels.buf.len();
        self.key.clear();
        self.key.resize(text + 8 * labels.spans.len(), 0);
        let (head, bounds) = self.key.split_at_mut(text);
        head.copy_from_slice(labels.buf.as_bytes());
        for (out, &[_, b, c]) in bounds.chunks_exact_mut(8).zip(&labels.spans) {
            out[..4].copy_from_slice(&b.to_le_bytes());
            out[4..].copy_from_slice(&c.to_le_bytes());
        }
        let LabelSetCache { inner, key } = self;
        inner.get_or_compute(key, || relabeler.apply_labels(labels))
    }

    /// Number of cached label sets.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// No cached label sets.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Lookups answered from the cache.
    pub fn hits(&self) -> u64 {
        self.inner.hits()
    }

    /// Lookups that relabeled.
    pub fn misses(&self) -> u64 {
        self.inner.misses()
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        self.inner.clear();
    }
}
