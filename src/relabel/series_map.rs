//! The map behind both series caches (relabel results and the scrape loop's final label sets): raw series bytes →
//! a value, with Prometheus' scrape-cache hygiene and a positional fast path.
//!
//! Exporters write their series in the same order on every scrape (Envoy sorts its stats), so the `k`-th lookup
//! of a scrape is almost always the key that was `k`-th in the previous one. That slot is tried first with one
//! byte comparison; only when it differs is the key hashed and looked up. Hashing an 800-byte Istio series costs
//! several times the comparison.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use crate::lex::scan::{KeyShape, Shared, shared_len};

/// How many lookups ahead the positional key is prefetched.
const PREFETCH_AHEAD: usize = 8;

/// No slot (a miss that was not stored, or an overflowing insert).
const NONE: u32 = u32::MAX;

#[derive(Debug)]
// A warm scrape reads a slot per sample, in order: its size is memory read per sample (on a
// 16 MiB Envoy body, 8 bytes more per slot cost more than a tenth of the scrape's time), so
// the fields are packed into 120 bytes with the scrape cache's value.
struct Slot<V> {
    key: Arc<[u8]>,
    value: V,
    /// The low 32 bits of the scrape counter when the slot was last seen (a slot is forgotten
    /// at the end of a successful scrape that did not see it, long before the counter's low
    /// bits come round).
    last_seen: u32,
    /// What the entry counts against the byte budget (`u32::MAX` at most; an entry that large
    /// is over any budget).
    cost: u32,
    /// The slot looked up right before this one when it was last looked up after another
    /// ([`NONE`] before that), and how many leading bytes their keys share (at most
    /// `u16::MAX`): a caller with that key's bytes at hand (the line before, in the body)
    /// compares only the rest of this key, which is all that must come from memory (see
    /// [`SeriesMap::next_marked`]).
    pred: u32,
    shared: u16,
    /// The key was stored marked (see [`SeriesMap::next_marked`]): its shape, as
    /// [`KeyShape`]'s `brace` and [`MARKED`] and [`BACKSLASH`] in `flags`.
    brace: u32,
    flags: u8,
    /// The key's bytes after `shared`, when they fit here ([`TAIL_INLINE`] bytes; `tail_len`
    /// is `u8::MAX` when they do not): read with the slot, so that a key differing from the
    /// one before it only at its end (a histogram's next `le`) is not read at all.
    tail_len: u8,
    tail: [u8; TAIL_INLINE],
}

/// The longest rest of a key that its slot holds (see `Slot::tail`).
const TAIL_INLINE: usize = 12;

/// `Slot::flags`: the key was stored marked.
const MARKED: u8 = 1;
/// `Slot::flags`: the marked key holds a backslash.
const BACKSLASH: u8 = 2;

impl<V> Slot<V> {
    /// The shape of a marked key.
    #[inline(always)]
    fn marked(&self) -> Option<KeyShape> {
        (self.flags & MARKED != 0).then_some(KeyShape {
            brace: self.brace,
            backslash: self.flags & BACKSLASH != 0,
        })
    }
}

/// The bytes an entry holds besides its key and its value's heap: the slot, its index entry (with the hash
/// table's slack at the lowest load factor), the key's reference counts, its two positional records.
fn entry_overhead<V>() -> usize {
    std::mem::size_of::<Slot<V>>() + 2 * (std::mem::size_of::<(Arc<[u8]>, u32)>() + 1) + 16 + 8
}

#[derive(Debug)]
pub(crate) struct SeriesMap<V> {
    index: HashMap<Arc<[u8]>, u32, KeyHasher>,
    slots: Vec<Slot<V>>,
    /// Scrape counter; a slot seen in the current scrape has `last_seen == iter`.
    iter: u64,
    /// How many slots have `last_seen == iter`: when all of them, the end of a scrape has
    /// nothing to forget and does not read every slot to find out.
    seen: usize,
    successful_count: usize,
    max_entries: usize,
    /// Byte budget and what the entries hold now (see [`entry_overhead`]).
    max_bytes: usize,
    bytes: usize,
    /// Slot of each lookup of the previous scrape, in order ([`NONE`] where there was none).
    prev_order: Vec<u32>,
    /// The same for the current scrape so far.
    cur_order: Vec<u32>,
    /// The last lookup missed, and `insert` fills its place in `cur_order`.
    pending_miss: bool,
    /// Slots keep what their keys share with the key before them (for callers of
    /// [`SeriesMap::next_marked`]; others compare whole keys and skip the bookkeeping).
    shared_prefixes: bool,
    pub(crate) forced_flushes: u64,
}

impl<V> SeriesMap<V> {
    pub(crate) fn new(max_entries: usize) -> Self {
        SeriesMap::with_budget(max_entries, usize::MAX)
    }

    /// A map holding at most `max_entries` entries and about `max_bytes` bytes of keys, values and overhead.
    pub(crate) fn with_budget(max_entries: usize, max_bytes: usize) -> Self {
        SeriesMap {
            index: HashMap::with_hasher(KeyHasher::new()),
            slots: Vec::new(),
            iter: 1,
            seen: 0,
            successful_count: 0,
            max_entries: max_entries.min(NONE as usize - 1),
            max_bytes,
            bytes: 0,
            prev_order: Vec::new(),
            cur_order: Vec::new(),
            pending_miss: false,
            shared_prefixes: false,
            forced_flushes: 0,
        }
    }

    /// Keeps in each slot what its key shares with the key looked up before it, for a caller
    /// of [`SeriesMap::next_marked`] that compares only the rest (the scrape cache).
    // For the scrape cache (feature `yaml`).
    #[cfg_attr(not(feature = "yaml"), allow(dead_code))]
    pub(crate) fn with_shared_prefixes(mut self) -> Self {
        self.shared_prefixes = true;
        self
    }

    /// Forgets the order of a scrape that was abandoned without [`SeriesMap::end_scrape`].
    pub(crate) fn begin_scrape(&mut self) {
        self.cur_order.clear();
        self.pending_miss = false;
    }

    #[inline]
    fn record(&mut self, slot: u32) {
        if self.shared_prefixes {
            return self.record_shared(slot);
        }
        // Bounded even when a user never ends a scrape; past the bound only the positional hint is lost.
        if self.cur_order.len() < self.max_entries {
            self.cur_order.push(slot);
        }
        // The key a few lookups ahead is cold (last read a scrape ago): fetched now, it is in
        // cache when its line comes.
        let ahead = self.cur_order.len() + PREFETCH_AHEAD - 1;
        if let Some(s) = self
            .prev_order
            .get(ahead)
            .and_then(|&i| self.slots.get(i as usize))
        {
            crate::event::located::prefetch(&s.key);
        }
    }

    /// [`SeriesMap::record`] keeping what keys share with the key before them. Out of line, so
    /// that the relabel cache's lookups (whose caller compares whole keys) stay as small as
    /// they were.
    #[inline(never)]
    fn record_shared(&mut self, slot: u32) {
        if self.cur_order.len() < self.max_entries {
            if let Some(&before) = self.cur_order.last() {
                self.follows(slot, before);
            }
            self.cur_order.push(slot);
        }
        // As in `record`, only the part of the key after what it shares with the key before
        // it (a caller of `next_marked` reads the head from the line before), and nothing of
        // it when the slot holds that part.
        let ahead = self.cur_order.len() + PREFETCH_AHEAD - 1;
        if let Some((_, _, _, rest)) = self.at_position(ahead) {
            crate::event::located::prefetch(rest);
        }
    }

    /// Notes that `slot` was looked up right after `before`: what their keys share is kept in
    /// the slot with `before`, unless it is there already (an exporter's order repeats, so
    /// this is nearly always one comparison).
    #[inline(always)]
    fn follows(&mut self, slot: u32, before: u32) {
        if slot == NONE || before == NONE {
            return;
        }
        if self
            .slots
            .get(slot as usize)
            .is_some_and(|s| s.pred != before)
        {
            self.set_pred(slot, before);
        }
    }

    /// Sets the key before `slot`'s and what the two share.
    #[cold]
    #[inline(never)]
    fn set_pred(&mut self, slot: u32, before: u32) {
        let shared = match (
            self.slots.get(before as usize),
            self.slots.get(slot as usize),
        ) {
            (Some(a), Some(b)) => u16::try_from(shared_len(&a.key, &b.key)).unwrap_or(u16::MAX),
            _ => return,
        };
        let s = &mut self.slots[slot as usize];
        (s.pred, s.shared) = (before, shared);
        let rest = s.key.get(shared as usize..).unwrap_or_default();
        s.tail_len = match s.tail.get_mut(..rest.len()) {
            Some(tail) => {
                tail.copy_from_slice(rest);
                rest.len() as u8
            }
            None => u8::MAX,
        };
    }

    /// The slot at position `at` of the previous scrape's order, how many leading bytes its key
    /// shares with the key at `at - 1` (0 when the slot holds the number for another key before
    /// it), and the key's bytes after those (the slot's copy when they are short).
    #[inline(always)]
    fn at_position(&self, at: usize) -> Option<(u32, &Slot<V>, u32, &[u8])> {
        let i = *self.prev_order.get(at)?;
        let slot = self.slots.get(i as usize)?;
        let before = at.checked_sub(1).and_then(|b| self.prev_order.get(b));
        if before.is_some_and(|&b| b != NONE && b == slot.pred) {
            let rest = match slot.tail.get(..usize::from(slot.tail_len)) {
                Some(tail) => tail,
                None => slot.key.get(slot.shared as usize..).unwrap_or_default(),
            };
            return Some((i, slot, u32::from(slot.shared), rest));
        }
        Some((i, slot, 0, &slot.key))
    }

    /// Looks `raw` up and marks it seen: its slot (for [`SeriesMap::value`]) and whether it was already seen in
    /// this scrape. (A slot number rather than a reference, so that callers can use the map again on a miss.)
    #[inline]
    pub(crate) fn get(&mut self, raw: &[u8]) -> Option<(u32, bool)> {
        let at = self.cur_order.len();
        let positional = match self.prev_order.get(at) {
            Some(&i) if self.slots.get(i as usize).is_some_and(|s| *s.key == *raw) => Some(i),
            _ => None,
        };
        let found = match positional {
            Some(i) => Some(i),
            None => self.index.get(raw).copied(),
        };
        match found {
            Some(i) => Some((i, self.get_slot(i))),
            None => {
                self.record(NONE);
                self.pending_miss = true;
                None
            }
        }
    }

    /// The key the next lookup most likely asks for (the one at its position in the previous
    /// scrape) when it was stored marked: its slot, bytes and shape. A caller that finds its key
    /// equal takes the slot with [`SeriesMap::get_slot`] instead of looking the key up.
    // For the scrape cache (feature `yaml`).
    #[cfg_attr(not(feature = "yaml"), allow(dead_code))]
    #[inline]
    pub(crate) fn next_marked(&self) -> Option<(u32, &[u8], KeyShape, Shared<'_>)> {
        let at = self.cur_order.len();
        let (i, slot, len, rest) = self.at_position(at)?;
        let shared = Shared {
            position: at,
            len,
            rest,
        };
        Some((i, &*slot.key, slot.marked()?, shared))
    }

    /// Marks the slot of a found key seen, in order: whether it was seen before in this scrape.
    /// [`SeriesMap::get`] after its lookup, and the scrape cache for the key in a slot from
    /// [`SeriesMap::next_marked`] that the caller found equal to its key.
    #[inline]
    pub(crate) fn get_slot(&mut self, i: u32) -> bool {
        self.pending_miss = false;
        self.record(i);
        let slot = &mut self.slots[i as usize];
        let again = slot.last_seen == self.iter as u32;
        slot.last_seen = self.iter as u32;
        self.seen += usize::from(!again);
        again
    }

    /// The value in a slot returned by [`SeriesMap::get`] (valid until the next insert or end of scrape).
    #[inline]
    pub(crate) fn value(&self, slot: u32) -> &V {
        &self.slots[slot as usize].value
    }

    /// The value in a slot returned by [`SeriesMap::get`], to update it.
    // For the scrape cache (feature `yaml`).
    #[cfg_attr(not(feature = "yaml"), allow(dead_code))]
    #[inline]
    pub(crate) fn value_mut(&mut self, slot: u32) -> &mut V {
        &mut self.slots[slot as usize].value
    }

    /// The values of the keys seen in the current scrape so far.
    // For the scrape cache (feature `yaml`).
    #[cfg_attr(not(feature = "yaml"), allow(dead_code))]
    pub(crate) fn values_seen(&self) -> impl Iterator<Item = &V> + '_ {
        let iter = self.iter as u32;
        self.slots
            .iter()
            .filter(move |s| s.last_seen == iter)
            .map(|s| &s.value)
    }

    /// Stores the value for a key whose lookup just missed. Gives the value back when the map is full.
    pub(crate) fn insert(&mut self, raw: &[u8], value: V) -> Result<&V, V> {
        self.insert_sized(raw, value, 0, false)
    }

    /// [`SeriesMap::insert`] of a value holding `value_heap` bytes on the heap. Gives the value back when the map
    /// is full by entries or bytes: then the key is not cached (its owner is recomputed on every lookup) until
    /// the end of a scrape frees the entries it did not see. A `marked` key is offered by
    /// [`SeriesMap::next_marked`], with its shape.
    pub(crate) fn insert_sized(
        &mut self,
        raw: &[u8],
        value: V,
        value_heap: usize,
        marked: bool,
    ) -> Result<&V, V> {
        let cost = raw.len() + value_heap + entry_overhead::<V>();
        if self.index.len() >= self.max_entries || self.bytes.saturating_add(cost) > self.max_bytes
        {
            self.pending_miss = false;
            return Err(value);
        }
        let shape = if marked { KeyShape::of(raw) } else { None };
        let key: Arc<[u8]> = Arc::from(raw);
        let i = self.slots.len() as u32;
        match self.index.entry(key.clone()) {
            std::collections::hash_map::Entry::Occupied(_) => return Err(value),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i);
            }
        }
        self.slots.push(Slot {
            key,
            value,
            last_seen: self.iter as u32,
            cost: u32::try_from(cost).unwrap_or(u32::MAX),
            pred: NONE,
            shared: 0,
            brace: shape.map_or(0, |k| k.brace),
            flags: shape.map_or(0, |k| MARKED | if k.backslash { BACKSLASH } else { 0 }),
            tail: [0; TAIL_INLINE],
            tail_len: u8::MAX,
        });
        self.seen += 1;
        self.bytes += cost;
        if std::mem::take(&mut self.pending_miss) {
            let at = self.cur_order.len();
            if at > 0 && self.cur_order[at - 1] == NONE {
                self.cur_order[at - 1] = i;
                match at.checked_sub(2).and_then(|b| self.cur_order.get(b)) {
                    Some(&before) if self.shared_prefixes => self.follows(i, before),
                    _ => {}
                }
            }
        }
        Ok(&self.slots[i as usize].value)
    }

    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// The stored values.
    // For the scrape cache (feature `yaml`).
    #[cfg_attr(not(feature = "yaml"), allow(dead_code))]
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.slots.iter().map(|s| &s.value)
    }

    /// The bytes counted against the budget.
    // For the scrape cache (feature `yaml`).
    #[cfg_attr(not(feature = "yaml"), allow(dead_code))]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn clear(&mut self) {
        self.index.clear();
        self.slots.clear();
        self.seen = 0;
        self.bytes = 0;
        self.prev_order.clear();
        self.cur_order.clear();
        self.pending_miss = false;
    }

    /// Prometheus' `iterDone`: after a successful scrape, forget series not seen in it; after a failed one, only
    /// when the map grew beyond `2 × (size after the last successful scrape) + 1000`.
    pub(crate) fn end_scrape(&mut self, success: bool) {
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
        let iter = self.iter as u32;
        debug_assert_eq!(
            self.seen,
            self.slots.iter().filter(|s| s.last_seen == iter).count()
        );
        if flush && self.seen != self.slots.len() {
            let mut remap = vec![NONE; self.slots.len()];
            let mut w = 0usize;
            for (r, m) in remap.iter_mut().enumerate() {
                if self.slots[r].last_seen == iter {
                    *m = w as u32;
                    self.slots.swap(w, r);
                    w += 1;
                }
            }
            self.slots.truncate(w);
            self.bytes = 0;
            for s in &mut self.slots {
                self.bytes += s.cost as usize;
                // A key before this one that is forgotten: nothing is known of the slot that
                // takes its number.
                if s.pred != NONE {
                    s.pred = remap[s.pred as usize];
                }
            }
            self.index.retain(|_, i| {
                let m = remap[*i as usize];
                *i = m;
                m != NONE
            });
            for i in &mut self.cur_order {
                if *i != NONE {
                    *i = remap[*i as usize];
                }
            }
        }
        self.seen = 0;
        std::mem::swap(&mut self.prev_order, &mut self.cur_order);
        self.cur_order.clear();
        // Sized now, so that the next scrape of the same shape does not allocate.
        self.cur_order.reserve(self.prev_order.len());
        self.pending_miss = false;
        self.iter += 1;
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

/// The per-key hasher: `[u8]` keys hash as a length prefix followed by the bytes.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference model: a plain map with the same hygiene, no positional path.
    #[test]
    fn positional_path_agrees_with_the_index() {
        let mut m: SeriesMap<usize> = SeriesMap::new(1000);
        let keys: Vec<Vec<u8>> = (0..50)
            .map(|i| format!("s{{k=\"{i}\"}}").repeat(1 + i % 40).into_bytes())
            .collect();
        // Scrapes with the same order, a shifted order, duplicates, insertions and removals.
        let scrapes: Vec<Vec<usize>> = vec![
            (0..30).collect(),
            (0..30).collect(),
            (1..30).chain([0]).collect(),
            (0..10).chain([5, 5]).chain(10..40).collect(),
            (20..50).rev().collect(),
            (20..50).rev().collect(),
            vec![],
            (0..5).collect(),
        ];
        for (n, order) in scrapes.iter().enumerate() {
            m.begin_scrape();
            let mut seen = std::collections::HashSet::new();
            for &k in order {
                let first = seen.insert(k);
                match m.get(&keys[k]) {
                    Some((slot, again)) => {
                        assert_eq!(*m.value(slot), k, "scrape {n}");
                        assert_eq!(again, !first, "scrape {n} key {k}");
                    }
                    None => {
                        assert!(first);
                        assert_eq!(m.insert(&keys[k], k).copied(), Ok(k));
                    }
                }
            }
            m.end_scrape(true);
            assert_eq!(m.len(), seen.len(), "after scrape {n}");
        }
    }

    #[test]
    fn full_map_gives_the_value_back_and_keeps_positions() {
        let mut m: SeriesMap<u8> = SeriesMap::new(2);
        for round in 0..3 {
            m.begin_scrape();
            for (i, k) in [b"a", b"b", b"c", b"d"].iter().enumerate() {
                match m.get(*k) {
                    Some((slot, _)) => assert_eq!(*m.value(slot), i as u8),
                    None => {
                        let r = m.insert(*k, i as u8);
                        assert_eq!(r.is_ok(), i < 2, "round {round} key {i}");
                    }
                }
            }
            m.end_scrape(true);
            assert_eq!(m.len(), 2);
        }
    }

    #[test]
    fn byte_budget_bounds_the_map_and_end_of_scrape_frees_it() {
        let over = entry_overhead::<()>();
        // Room for three 10-byte keys.
        let mut m: SeriesMap<()> = SeriesMap::with_budget(1000, 3 * (10 + over) + 5);
        let key = |i: u32| format!("series{i:04}").into_bytes();
        m.begin_scrape();
        for i in 0..10 {
            assert!(m.get(&key(i)).is_none());
            assert_eq!(
                m.insert_sized(&key(i), (), 0, false).is_ok(),
                i < 3,
                "key {i}"
            );
        }
        assert_eq!((m.len(), m.bytes()), (3, 3 * (10 + over)));
        m.end_scrape(true);
        // The next scrape sees other keys: the old ones go at its end, and the keys after them fit again.
        m.begin_scrape();
        for i in 5..8 {
            assert!(m.get(&key(i)).is_none());
            assert!(m.insert_sized(&key(i), (), 0, false).is_err());
        }
        m.end_scrape(true);
        assert_eq!((m.len(), m.bytes()), (0, 0));
        m.begin_scrape();
        for i in 5..8 {
            assert!(m.get(&key(i)).is_none());
            assert!(m.insert_sized(&key(i), (), 0, false).is_ok());
        }
        // A value's heap counts too.
        assert!(m.get(&key(9)).is_none());
        assert!(m.insert_sized(&key(9), (), 1, false).is_err());
        m.clear();
        assert_eq!(m.bytes(), 0);
    }

    /// The count of slots seen (which spares the end of a scrape a pass over every slot when
    /// all were seen) stays right through abandoned, failed and successful scrapes, repeated
    /// lookups and inserts (`end_scrape` checks it against the slots in debug builds).
    #[test]
    fn end_of_scrape_forgets_exactly_the_unseen_keys() {
        let mut m: SeriesMap<u32> = SeriesMap::new(100);
        let scrape = |m: &mut SeriesMap<u32>, keys: &[u32], end: Option<bool>| {
            m.begin_scrape();
            for &k in keys {
                if m.get(&k.to_le_bytes()).is_none() {
                    m.insert(&k.to_le_bytes(), k).unwrap();
                }
            }
            if let Some(success) = end {
                m.end_scrape(success);
            }
        };
        scrape(&mut m, &[1, 2, 3, 2], Some(true));
        assert_eq!(m.len(), 3);
        // All seen again (in another order, one twice): nothing to forget.
        scrape(&mut m, &[3, 3, 2, 1], Some(true));
        assert_eq!(m.len(), 3);
        // Abandoned after one key, then a scrape that sees two: the third is forgotten.
        scrape(&mut m, &[1], None);
        scrape(&mut m, &[2, 4], Some(true));
        let mut keys: Vec<u32> = m.values().copied().collect();
        keys.sort();
        assert_eq!(keys, [1, 2, 4]);
        // A failed scrape keeps what it did not see (the map did not grow past the bound).
        scrape(&mut m, &[5], Some(false));
        assert_eq!(m.len(), 4);
        scrape(&mut m, &[5, 1], Some(true));
        let mut keys: Vec<u32> = m.values().copied().collect();
        keys.sort();
        assert_eq!(keys, [1, 5]);
        m.clear();
        scrape(&mut m, &[7], Some(true));
        assert_eq!(m.len(), 1);
    }

    /// Every slot that names the key before it holds exactly what the two keys share, and
    /// `next_marked` offers that number for a key after the one its slot names, 0 otherwise.
    fn assert_shared_exact<V>(m: &SeriesMap<V>) {
        for s in &m.slots {
            if s.pred != NONE {
                let before = &m.slots[s.pred as usize].key;
                assert_eq!(
                    u32::from(s.shared),
                    shared_len(before, &s.key),
                    "{:?}",
                    s.key
                );
            }
        }
        if let Some((_, key, _, offered)) = m.next_marked() {
            let at = m.cur_order.len();
            assert_eq!(offered.position, at);
            let want = match at.checked_sub(1).map(|b| m.prev_order[b]) {
                Some(b) if b != NONE && m.slots[m.prev_order[at] as usize].pred == b => {
                    shared_len(&m.slots[b as usize].key, key)
                }
                _ => 0,
            };
            assert_eq!(offered.len, want);
            assert_eq!(offered.rest, &key[want as usize..]);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// Scrapes of keys sharing prefixes, in orders that repeat, shift, skip and repeat keys,
        /// with misses past a small capacity, abandoned and failed scrapes and clears: the
        /// shared lengths stay exact through lookups, inserts and the compaction at a
        /// scrape's end.
        #[test]
        fn shared_prefixes_stay_exact(
            scrapes in proptest::collection::vec(
                (proptest::collection::vec(0usize..24, 0..40), 0u8..8),
                1..12,
            ),
            capacity in 4usize..30,
        ) {
            let keys: Vec<Vec<u8>> = (0..24)
                .map(|i| {
                    // Every fourth key with a long last label: rests longer than a slot holds.
                    let long = if i % 4 == 0 { ",c=\"0123456789abcdefghij\"" } else { "" };
                    format!("m{}{{a=\"{}\",b=\"{}\"{long}}}", i / 8, i % 3, i).into_bytes()
                })
                .collect();
            let mut m: SeriesMap<usize> = SeriesMap::new(capacity).with_shared_prefixes();
            // Without the bookkeeping (the relabel cache's map): nothing is ever offered shared.
            let mut plain: SeriesMap<usize> = SeriesMap::new(capacity);
            let mut last: Vec<usize> = Vec::new();
            for (order, how) in scrapes {
                // Half the scrapes repeat the last order, as exporters do, with one change.
                let order = if how % 2 == 0 && !last.is_empty() {
                    let mut o = last.clone();
                    let end = o.len() - 1;
                    o.swap(0, end);
                    o
                } else {
                    order
                };
                for m in [&mut m, &mut plain] {
                    m.begin_scrape();
                    for &k in &order {
                        if m.get(&keys[k]).is_none() {
                            let _ = m.insert_sized(&keys[k], k, 0, how % 3 == 0);
                        }
                        assert_shared_exact(m);
                    }
                    match how {
                        7 => m.clear(),
                        5 => {}
                        6 => m.end_scrape(false),
                        _ => m.end_scrape(true),
                    }
                    assert_shared_exact(m);
                }
                assert!(plain.slots.iter().all(|s| s.pred == NONE));
                last = order;
            }
        }
    }

    /// The slot stays at 120 bytes with a value of the scrape cache's size (72 bytes, checked
    /// beside it): see `Slot`.
    #[test]
    fn a_slot_with_the_scrape_cache_value_is_120_bytes() {
        assert_eq!(std::mem::size_of::<Slot<[u64; 9]>>(), 120);
    }

    #[test]
    fn order_is_bounded_without_end_scrape() {
        let mut m: SeriesMap<()> = SeriesMap::new(10);
        for i in 0..1000u32 {
            if m.get(&i.to_le_bytes()).is_none() {
                let _ = m.insert(&i.to_le_bytes(), ());
            }
        }
        assert!(m.cur_order.len() <= 10);
        assert_eq!(m.len(), 10);
    }
}
