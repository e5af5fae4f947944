//! The duplicate-label check for lines with many labels: a hash index over the names seen so far.
//!
//! The parser's Bloom filter ([`crate::dialect::prometheus::DupCheck`]) answers "certainly new" for the few labels of an
//! ordinary series without touching memory beyond 32 bytes; once it is saturated every name is a possible
//! duplicate, and comparing each with all earlier names would make a line of `n` labels cost `n²` (a hostile line
//! of 150 000 labels took seconds). Past [`MIN_NAMES`] names the possible duplicate is looked up here instead:
//! names are keyed by a randomly seeded hash of their unescaped bytes (so crafted collisions cannot pile up in
//! one bucket) and compared exactly on a key match.

/// Duplicate label-name detection without per-sample allocation: a 256-bit Bloom filter over
/// name hashes, and a reused list of the names seen so far for the rare filter hit.
#[derive(Debug, Default)]
pub(crate) struct DupCheck {
    bloom: [u64; 4],
    seen: Vec<(u64, u32, u32, bool)>,
    /// For filter hits on lines with many labels (linear instead of quadratic).
    index: super::duplicates::DupIndex,
}

impl DupCheck {
    #[inline(always)]
    pub(crate) fn clear(&mut self) {
        self.bloom = [0; 4];
        self.seen.clear();
        // Istio's series have 20 to 30 labels: room for them from the first, so the list
        // does not grow (and allocate) with the label counts a body happens to have.
        if self.seen.capacity() == 0 {
            self.seen.reserve(64);
        }
        self.index.clear();
    }

    /// Records the name `line[start..end]` (raw; `escaped` when it is a quoted name holding a
    /// backslash) and reports whether an equal name was recorded before.
    #[inline(always)]
    pub(crate) fn insert(
        &mut self,
        line: &[u8],
        start: usize,
        end: usize,
        hash: u64,
        escaped: bool,
    ) -> bool {
        // The top bits: the multiply in `name_hash` mixes every input bit into them, while
        // its low bits see only the names' first bytes (Istio's share `source_`/`destination_`).
        let word = (hash >> 62) as usize;
        let mask = 1u64 << ((hash >> 56) & 63);
        let hit = self.bloom[word] & mask != 0;
        self.bloom[word] |= mask;
        let dup = hit && self.possible_dup(line, start, end, hash, escaped);
        self.seen.push((hash, start as u32, end as u32, escaped));
        dup
    }

    /// A filter hit: compare with the names seen so far (through the hash index once there are many).
    #[cold]
    fn possible_dup(
        &mut self,
        line: &[u8],
        start: usize,
        end: usize,
        hash: u64,
        escaped: bool,
    ) -> bool {
        if self.seen.len() >= super::duplicates::MIN_NAMES {
            return self.index.contains(line, &self.seen, start, end, escaped);
        }
        self.seen.iter().any(|&(h, s, e, esc)| {
            h == hash
                && names_equal(
                    &line[s as usize..e as usize],
                    esc,
                    &line[start..end],
                    escaped,
                )
        })
    }
}

#[inline(always)]
pub(super) fn names_equal(a: &[u8], a_esc: bool, b: &[u8], b_esc: bool) -> bool {
    if !a_esc && !b_esc {
        return a == b;
    }
    names_equal_unescaped(a, b)
}

#[cold]
pub(super) fn names_equal_unescaped(a: &[u8], b: &[u8]) -> bool {
    let mut x = Vec::with_capacity(a.len());
    crate::lex::escape::for_each_unescaped(a, |c| x.push(c));
    let mut y = Vec::with_capacity(b.len());
    crate::lex::escape::for_each_unescaped(b, |c| y.push(c));
    x == y
}

use std::collections::HashMap;
use std::hash::BuildHasher;

use smallvec::SmallVec;

/// Below this many names a linear scan of the recorded names is cheaper than building the index.
pub(crate) const MIN_NAMES: usize = 32;

/// A recorded name, as the parser keeps it: (its hash, start, end, escaped) within the current line.
pub(crate) type Seen = (u64, u32, u32, bool);

/// An index over the names of one line, built lazily from the parser's list of recorded names and caught up
/// on each lookup, so every name is hashed once: linear in the number of labels.
#[derive(Debug, Default)]
pub(crate) struct DupIndex {
    /// Seeded on first use: creating a parser must not touch ahash's global seed source (it allocates once per
    /// process, which the allocation tests would see in whichever parse came first).
    state: Option<ahash::RandomState>,
    /// Keyed hash of the unescaped name → indexes into the recorded names.
    map: HashMap<u64, SmallVec<[u32; 1]>, PassThrough>,
    /// How many of the recorded names are in `map`.
    indexed: usize,
    scratch: Vec<u8>,
    other: Vec<u8>,
}

impl DupIndex {
    /// Forgets the previous line. Cheap when the index was not used.
    #[inline(always)]
    pub(crate) fn clear(&mut self) {
        if self.indexed != 0 {
            self.map.clear();
            self.indexed = 0;
        }
    }

    /// Whether the name `line[start..end]` equals one of `seen` (all distinct, all from `line`). Indexes the
    /// names of `seen` not indexed yet; the new name itself is indexed with the next call, once the caller has
    /// recorded it.
    pub(crate) fn contains(
        &mut self,
        line: &[u8],
        seen: &[Seen],
        start: usize,
        end: usize,
        escaped: bool,
    ) -> bool {
        if self.indexed > seen.len() {
            // The caller cleared its list without clearing the index.
            self.map.clear();
            self.indexed = 0;
        }
        while self.indexed < seen.len() {
            let (_, s, e, esc) = seen[self.indexed];
            let key = self.key(&line[s as usize..e as usize], esc);
            self.map.entry(key).or_default().push(self.indexed as u32);
            self.indexed += 1;
        }
        let key = self.key(&line[start..end], escaped);
        let Some(candidates) = self.map.get(&key) else {
            return false;
        };
        let name = unescaped(&line[start..end], escaped, &mut self.scratch);
        candidates.iter().any(|&i| {
            let (_, s, e, esc) = seen[i as usize];
            unescaped(&line[s as usize..e as usize], esc, &mut self.other) == name
        })
    }

    fn key(&mut self, raw: &[u8], escaped: bool) -> u64 {
        let name = unescaped(raw, escaped, &mut self.scratch);
        self.state
            .get_or_insert_with(ahash::RandomState::new)
            .hash_one(name)
    }
}

/// The name's bytes with escapes resolved (`raw` itself when it has none).
pub(super) fn unescaped<'a>(raw: &'a [u8], escaped: bool, buf: &'a mut Vec<u8>) -> &'a [u8] {
    if !escaped {
        return raw;
    }
    buf.clear();
    crate::lex::escape::for_each_unescaped(raw, |c| buf.push(c));
    buf
}

/// The map's keys are already seeded hashes.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct PassThrough;

impl BuildHasher for PassThrough {
    type Hasher = PassThroughHasher;
    fn build_hasher(&self) -> PassThroughHasher {
        PassThroughHasher(0)
    }
}

/// A hasher for keys that are already good 64-bit hashes (shared with the OpenMetrics
/// validator).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PassThroughHasher(u64);

impl std::hash::Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the names of `line` (space-separated, `\` marks an escaped one) as the parser would, and
    /// returns the index of the first duplicate.
    fn first_dup(names: &[&str]) -> Option<usize> {
        let mut line = Vec::new();
        let mut spans = Vec::new();
        for n in names {
            let s = line.len();
            line.extend_from_slice(n.as_bytes());
            spans.push((s, line.len(), n.contains('\\')));
            line.push(b' ');
        }
        let mut idx = DupIndex::default();
        let mut seen: Vec<Seen> = Vec::new();
        for (i, &(s, e, esc)) in spans.iter().enumerate() {
            if idx.contains(&line, &seen, s, e, esc) {
                return Some(i);
            }
            seen.push((0, s as u32, e as u32, esc));
        }
        None
    }

    #[test]
    fn finds_exactly_the_duplicates() {
        let cases: &[(&[&str], Option<usize>)] = &[
            (&[], None),
            (&["a"], None),
            (&["a", "b", "c"], None),
            (&["a", "b", "a"], Some(2)),
            (&["a", "a"], Some(1)),
            (&["ab", "a", "b", "ba"], None),
            // Escapes are resolved before comparing: `\"` equals `"`, `a\\b` is not `ab`.
            (&["x\\\"", "x\""], Some(1)),
            (&["a\\\\b", "ab"], None),
            (&["a\\nb", "a\nb"], Some(1)),
        ];
        for (names, want) in cases {
            assert_eq!(first_dup(names), *want, "{names:?}");
        }
    }

    #[test]
    fn many_names_are_linear_and_exact() {
        let names: Vec<String> = (0..50_000).map(|i| format!("l{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(first_dup(&refs), None);
        let mut with_dup = refs.clone();
        with_dup.push("l12345");
        assert_eq!(first_dup(&with_dup), Some(50_000));
    }

    #[test]
    fn clear_forgets_the_line() {
        let line = b"a b";
        let mut idx = DupIndex::default();
        let seen = [(0, 0, 1, false)];
        assert!(idx.contains(line, &seen, 0, 1, false));
        idx.clear();
        // The same positions now hold another line's names.
        let line2 = b"c a";
        assert!(!idx.contains(line2, &[(0, 0, 1, false)], 2, 3, false));
        // A shorter list than what was indexed resets the index too.
        let mut idx = DupIndex::default();
        assert!(!idx.contains(line, &[(0, 0, 1, false), (0, 2, 3, false)], 0, 0, false));
        assert!(!idx.contains(line2, &[(0, 0, 1, false)], 2, 3, false));
    }
}
