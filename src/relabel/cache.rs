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

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

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
    index: HashMap<Box<[u8]>, u32, KeyHasher>,
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
            index: HashMap::with_hasher(KeyHasher::new()),
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

/// Hashing of raw series keys.
///
/// Keys shorter than 64 bytes go through ahash. Longer keys (Istio series are often 500–1000 bytes) go through a
/// four-lane folded-multiply hash seeded from ahash's random state, whose independent lanes hash about four times
/// faster than a single dependent chain. Lookups always compare the full key, so the hash only picks buckets.
#[derive(Clone)]
pub(crate) struct KeyHasher {
    ahash: ahash::RandomState,
    seed: [u64; 4],
}

impl std::fmt::Debug for KeyHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyHasher")
    }
}

const K: [u64; 4] = [
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
];

#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    (r as u64) ^ ((r >> 64) as u64)
}

#[inline]
fn le64(b: &[u8; 8]) -> u64 {
    u64::from_le_bytes(*b)
}

fn wide_hash(seed: &[u64; 4], mut b: &[u8]) -> u64 {
    let len = b.len() as u64;
    let mut a = *seed;
    let last: [u8; 32] = match b.last_chunk::<32>() {
        Some(l) => *l,
        None => [0; 32],
    };
    while let Some((c, rest)) = b.split_first_chunk::<32>() {
        let (c0, c1, c2, c3) = split4(c);
        a[0] = fold_mul(a[0] ^ le64(c0), K[0]);
        a[1] = fold_mul(a[1] ^ le64(c1), K[1]);
        a[2] = fold_mul(a[2] ^ le64(c2), K[2]);
        a[3] = fold_mul(a[3] ^ le64(c3), K[3]);
        b = rest;
    }
    if !b.is_empty() {
        // The tail: the last 32 bytes of the key (overlapping what was hashed, which is fine for bucketing).
        let (c0, c1, c2, c3) = split4(&last);
        a[0] = fold_mul(a[0] ^ le64(c0), K[1]);
        a[1] = fold_mul(a[1] ^ le64(c1), K[2]);
        a[2] = fold_mul(a[2] ^ le64(c2), K[3]);
        a[3] = fold_mul(a[3] ^ le64(c3), K[0]);
    }
    fold_mul(a[0] ^ a[2] ^ len, a[1] ^ a[3] ^ K[0])
}

fn split4(c: &[u8; 32]) -> (&[u8; 8], &[u8; 8], &[u8; 8], &[u8; 8]) {
    let (c0, r) = c.split_first_chunk::<8>().unwrap_or((&[0; 8], &[]));
    let (c1, r) = r.split_first_chunk::<8>().unwrap_or((&[0; 8], &[]));
    let (c2, r) = r.split_first_chunk::<8>().unwrap_or((&[0; 8], &[]));
    let (c3, _) = r.split_first_chunk::<8>().unwrap_or((&[0; 8], &[]));
    (c0, c1, c2, c3)
}

impl KeyHasher {
    pub(crate) fn new() -> Self {
        let ahash = ahash::RandomState::new();
        let seed = [
            ahash.hash_one(1u64),
            ahash.hash_one(2u64),
            ahash.hash_one(3u64),
            ahash.hash_one(4u64),
        ];
        KeyHasher { ahash, seed }
    }
}

/// The per-key hasher: `Box<[u8]>` hashes as a length prefix followed by the bytes.
pub(crate) struct KeyState {
    inner: ahash::AHasher,
    seed: [u64; 4],
    wide: Option<u64>,
}

impl Hasher for KeyState {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        if bytes.len() >= 64 {
            self.wide = Some(wide_hash(&self.seed, bytes));
        } else {
            self.inner.write(bytes);
        }
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.inner.write_usize(n);
    }
    #[inline]
    fn finish(&self) -> u64 {
        match self.wide {
            Some(w) => w,
            None => self.inner.finish(),
        }
    }
}

impl BuildHasher for KeyHasher {
    type Hasher = KeyState;
    fn build_hasher(&self) -> KeyState {
        KeyState {
            inner: self.ahash.build_hasher(),
            seed: self.seed,
            wide: None,
        }
    }
}

fn view(v: &Value) -> Cached<'_> {
    match v {
        Value::Dropped => Cached::Dropped,
        Value::Unchanged => Cached::Unchanged,
        Value::Changed(l) => Cached::Changed(l),
    }
}
