//! Owned, sorted label sets.

use std::fmt;

use crate::go::is_legacy_label_name;

/// An owned label set, sorted by name with unique names, stored in one string buffer.
///
/// ```
/// use promtext::relabel::Labels;
/// let l = Labels::from_pairs([("b", "2"), ("a", "1")]);
/// assert_eq!(l.get("a"), Some("1"));
/// assert_eq!(l.to_string(), r#"{a="1", b="2"}"#);
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Labels {
    pub(crate) buf: String,
    /// `[name_start, name_end (= value start), value_end]` into `buf`; each label starts where the last ended.
    pub(crate) spans: Vec<[u32; 3]>,
}

impl Labels {
    /// The bytes this set holds on the heap.
    // For the scrape cache (feature `yaml`).
    #[cfg_attr(not(feature = "yaml"), allow(dead_code))]
    pub(crate) fn heap_bytes(&self) -> usize {
        self.buf.capacity() + self.spans.capacity() * std::mem::size_of::<[u32; 3]>()
    }

    /// An empty label set.
    pub fn new() -> Self {
        Labels::default()
    }

    /// Builds a label set from pairs in any order: sorted by name, the last value of a repeated name wins, and
    /// empty values are dropped (an empty value means "absent" in Prometheus).
    pub fn from_pairs<I, N, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (N, V)>,
        N: AsRef<str>,
        V: AsRef<str>,
    {
        // The pairs are moved, not copied: only the final buffer is allocated per label set.
        let mut v: Vec<(N, V)> = pairs.into_iter().collect();
        // Stable: the last of a repeated name stays last.
        v.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
        let mut out = Labels::new();
        let cap: usize = v
            .iter()
            .map(|(n, v)| n.as_ref().len() + v.as_ref().len())
            .sum();
        out.buf.reserve(cap);
        out.spans.reserve(v.len());
        let mut i = 0;
        while i < v.len() {
            let mut j = i;
            while j + 1 < v.len() && v[j + 1].0.as_ref() == v[i].0.as_ref() {
                j += 1;
            }
            let (n, val) = (v[j].0.as_ref(), v[j].1.as_ref());
            if !val.is_empty() {
                out.push_unchecked(n, val);
            }
            i = j + 1;
        }
        out
    }

    /// Appends without checking order (callers keep the set sorted).
    pub(crate) fn push_unchecked(&mut self, name: &str, value: &str) {
        let a = self.buf.len() as u32;
        self.buf.push_str(name);
        let b = self.buf.len() as u32;
        self.buf.push_str(value);
        let c = self.buf.len() as u32;
        self.spans.push([a, b, c]);
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// No labels.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Label `i` in name order.
    pub fn at(&self, i: usize) -> Option<(&str, &str)> {
        let [a, b, c] = *self.spans.get(i)?;
        Some((
            &self.buf[a as usize..b as usize],
            &self.buf[b as usize..c as usize],
        ))
    }

    /// Iterates `(name, value)` in name order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        // `push_unchecked` is the only writer, so the spans tile `buf` in order: walking it with `split_at` checks
        // one boundary per string instead of two.
        let mut rest = self.buf.as_str();
        self.spans.iter().map(move |&[a, b, c]| {
            debug_assert_eq!(self.buf.len() - rest.len(), a as usize);
            let (name, r) = rest.split_at((b - a) as usize);
            let (value, r) = r.split_at((c - b) as usize);
            rest = r;
            (name, value)
        })
    }

    /// Value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        let i = self
            .spans
            .binary_search_by(|&[a, b, _]| self.buf[a as usize..b as usize].cmp(name))
            .ok()?;
        self.at(i).map(|(_, v)| v)
    }

    /// Copies into `(name, value)` pairs.
    pub fn to_vec(&self) -> Vec<(String, String)> {
        self.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Writes a label name: bare when it is a legacy label name, else quoted like a value.
pub(crate) fn write_name(f: &mut impl fmt::Write, name: &str) -> fmt::Result {
    if is_legacy_label_name(name) {
        f.write_str(name)
    } else {
        write_quoted(f, name)
    }
}

/// Writes `"value"` as Prometheus' `labels.Labels.String()` does: Go's `strconv.Quote`, so tabs, NBSP, U+2028 and
/// the other non-printable characters are escaped (`\t`, `\u00a0`, `\u2028`).
pub(crate) fn write_quoted(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    crate::go::write_quoted(f, s)
}

/// Formats pairs as `{a="1", b="2"}`.
pub(crate) fn write_set<'x>(
    f: &mut impl fmt::Write,
    it: impl Iterator<Item = (&'x str, &'x str)>,
) -> fmt::Result {
    f.write_char('{')?;
    for (i, (n, v)) in it.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write_name(f, n)?;
        f.write_char('=')?;
        write_quoted(f, v)?;
    }
    f.write_char('}')
}

impl fmt::Display for Labels {
    /// Series notation sorted by name: `{a="foo", "1a"="v"}`; `__name__` is printed as a label.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_set(f, self.iter())
    }
}

/// Serializes as one JSON-style object in name order (feature `serde`).
#[cfg(feature = "serde")]
impl serde::Serialize for Labels {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.len()))?;
        for (n, v) in self.iter() {
            m.serialize_entry(n, v)?;
        }
        m.end()
    }
}
