//! Compiled matchers: the anchored Go regex plus an optional fast path derived from its syntax tree.
//!
//! Every fast path is derived from the *same* parsed pattern the regex is compiled from (`^(?s:…)$`), so both
//! agree by construction; the differential tests and the fuzz target check it.

use regex::CaptureLocations;
use regex_syntax::hir::{Class, Hir, HirKind, Look};

use super::goregex::GoRegex;
use super::strcmp::{ends_with, eq_str, starts_with};

/// Maximum number of strings a literal-set fast path may hold.
const MAX_SET: usize = 100;

/// A fast matcher shape. All shapes are whole-string matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fast {
    /// Matches anything (`.*`).
    All,
    /// Matches one literal (`""` for the empty regex).
    Literal(Box<str>),
    /// Matches one of a few literals (alternations, small classes, `?`).
    Set(Box<[Box<str>]>),
    /// `prefix .* suffix` (or `.+` when `nonempty`).
    Affix {
        prefix: Box<str>,
        suffix: Box<str>,
        nonempty: bool,
    },
    /// `.*lit.*`.
    Contains(Box<str>),
}

/// Where the single capture group sits, for shapes that can report spans without the regex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CapShape {
    /// No capture groups.
    NoGroups,
    /// Group 1 spans the whole match.
    Whole,
    /// Group 1 spans the `.*`/`.+` of an [`Fast::Affix`] / [`Fast::All`].
    Middle,
    /// Captures need the regex.
    Regex,
}

/// Capture spans of one match.
pub(crate) enum Spans<'l> {
    /// Group 0 and (maybe) group 1.
    Fast([Option<(usize, usize)>; 2]),
    /// From the regex.
    Locs(&'l CaptureLocations),
}

impl Spans<'_> {
    /// Span of group `i`, when it took part in the match.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<(usize, usize)> {
        match self {
            Spans::Fast(a) => a.get(i).copied().flatten(),
            Spans::Locs(l) => l.get(i),
        }
    }
}

/// Necessary conditions for a whole-string match, checked before a regex without a fast shape runs: the length
/// bounds and the bytes a match can end with (derived from the pattern's syntax tree, like the fast shapes).
/// `(.+?)(\:\d+)?;(\d+)` on `10.132.183.40:80;` is rejected by its last byte without running the regex.
#[derive(Debug, Clone)]
pub(crate) struct Prefilter {
    min_len: usize,
    max_len: usize,
    /// Bit `b` set: a non-empty match can end with byte `b`.
    last: [u64; 4],
}

impl Prefilter {
    fn new(h: &Hir) -> Option<Prefilter> {
        if !is_anchored(h) {
            return None;
        }
        let p = h.properties();
        let (last, _) = tail(h);
        Some(Prefilter {
            min_len: p.minimum_len().unwrap_or(usize::MAX),
            max_len: p.maximum_len().unwrap_or(usize::MAX),
            last,
        })
    }

    /// False when `s` cannot match.
    #[inline]
    fn admits(&self, s: &str) -> bool {
        let n = s.len();
        if n < self.min_len || n > self.max_len {
            return false;
        }
        match s.as_bytes().last() {
            Some(&b) => self.last[usize::from(b >> 6)] >> (b & 63) & 1 == 1,
            None => true,
        }
    }
}

fn add_bytes(set: &mut [u64; 4], lo: u8, hi: u8) {
    for b in lo..=hi {
        set[usize::from(b >> 6)] |= 1 << (b & 63);
    }
}

/// The bytes a non-empty match of `h` can end with, and whether `h` can match the empty string.
fn tail(h: &Hir) -> ([u64; 4], bool) {
    let mut set = [0u64; 4];
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => return (set, true),
        HirKind::Literal(l) => match l.0.last() {
            Some(&b) => add_bytes(&mut set, b, b),
            None => return (set, true),
        },
        HirKind::Class(Class::Bytes(c)) => {
            for r in c.ranges() {
                add_bytes(&mut set, r.start(), r.end());
            }
        }
        HirKind::Class(Class::Unicode(c)) => {
            for r in c.ranges() {
                let (a, b) = (u32::from(r.start()), u32::from(r.end()));
                if a < 0x80 {
                    add_bytes(&mut set, a as u8, b.min(0x7f) as u8);
                }
                if b >= 0x80 {
                    // A multi-byte UTF-8 sequence ends with a continuation byte.
                    add_bytes(&mut set, 0x80, 0xbf);
                }
            }
        }
        HirKind::Repetition(r) => {
            let (s, n) = tail(&r.sub);
            return (s, n || r.min == 0);
        }
        HirKind::Capture(c) => return tail(&c.sub),
        HirKind::Concat(items) => {
            for item in items.iter().rev() {
                let (s, n) = tail(item);
                for (a, b) in set.iter_mut().zip(s) {
                    *a |= b;
                }
                if !n {
                    return (set, false);
                }
            }
            return (set, true);
        }
        HirKind::Alternation(items) => {
            let mut nullable = false;
            for item in items {
                let (s, n) = tail(item);
                for (a, b) in set.iter_mut().zip(s) {
                    *a |= b;
                }
                nullable |= n;
            }
            return (set, nullable);
        }
    }
    (set, false)
}

/// A compiled rule regex.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    pub(crate) regex: regex::Regex,
    pub(crate) fast: Option<Fast>,
    /// For patterns without a fast shape (fast paths on).
    pub(crate) pre: Option<Prefilter>,
    pub(crate) caps: CapShape,
    /// Every match spans the whole string (the pattern is `^…$` at the top level), so `ReplaceAllString` is one
    /// expansion. False for patterns such as `a)|(b` whose alternation escapes the anchors.
    pub(crate) anchored: bool,
    /// `names[i]`: Go name of group `i`.
    pub(crate) names: Vec<Option<String>>,
}

fn is_any_char(h: &Hir) -> bool {
    match h.kind() {
        HirKind::Class(Class::Unicode(c)) => {
            let r = c.ranges();
            r.len() == 1 && r[0].start() == '\0' && r[0].end() == char::MAX
        }
        _ => false,
    }
}

/// `.*` (min 0) or `.+` (min 1) over any char: Some(nonempty).
fn any_rep(h: &Hir) -> Option<bool> {
    match h.kind() {
        HirKind::Repetition(r) if r.max.is_none() && r.min <= 1 && is_any_char(&r.sub) => {
            Some(r.min == 1)
        }
        _ => None,
    }
}

fn lit_str(h: &Hir) -> Option<&str> {
    match h.kind() {
        HirKind::Literal(l) => std::str::from_utf8(&l.0).ok(),
        _ => None,
    }
}

fn count_caps(h: &Hir) -> usize {
    h.properties().explicit_captures_len()
}

/// Expands `h` into the finite set of strings it matches, if small.
fn expand(h: &Hir, out: &mut Vec<String>) -> bool {
    match h.kind() {
        HirKind::Empty => {
            out.push(String::new());
            true
        }
        HirKind::Literal(l) => match std::str::from_utf8(&l.0) {
            Ok(s) => {
                out.push(s.to_string());
                true
            }
            Err(_) => false,
        },
        HirKind::Class(Class::Unicode(c)) => {
            let mut n = 0usize;
            for r in c.ranges() {
                n += (r.end() as usize).saturating_sub(r.start() as usize) + 1;
                if n > MAX_SET {
                    return false;
                }
            }
            for r in c.ranges() {
                for ch in r.start()..=r.end() {
                    out.push(ch.to_string());
                }
            }
            true
        }
        HirKind::Class(Class::Bytes(_)) | HirKind::Look(_) => false,
        HirKind::Capture(c) => expand(&c.sub, out),
        HirKind::Repetition(r) => {
            let Some(max) = r.max else { return false };
            if max > 4 {
                return false;
            }
            let mut sub = Vec::new();
            if !expand(&r.sub, &mut sub) {
                return false;
            }
            for k in r.min..=max {
                let mut acc = vec![String::new()];
                for _ in 0..k {
                    acc = match cross(&acc, &sub) {
                        Some(a) => a,
                        None => return false,
                    };
                }
                out.extend(acc);
                if out.len() > MAX_SET {
                    return false;
                }
            }
            true
        }
        HirKind::Concat(items) => {
            let mut acc = vec![String::new()];
            for it in items {
                let mut sub = Vec::new();
                if !expand(it, &mut sub) {
                    return false;
                }
                acc = match cross(&acc, &sub) {
                    Some(a) => a,
                    None => return false,
                };
            }
            out.extend(acc);
            out.len() <= MAX_SET
        }
        HirKind::Alternation(items) => {
            for it in items {
                if !expand(it, out) || out.len() > MAX_SET {
                    return false;
                }
            }
            true
        }
    }
}

fn cross(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() * b.len() > MAX_SET {
        return None;
    }
    let mut v = Vec::with_capacity(a.len() * b.len());
    for x in a {
        for y in b {
            let mut s = String::with_capacity(x.len() + y.len());
            s.push_str(x);
            s.push_str(y);
            v.push(s);
        }
    }
    Some(v)
}

/// Classifies the pieces between the anchors. Returns the shape and where a single capture sits.
fn classify(middle: &[Hir], ncaps: usize) -> Option<(Fast, CapShape)> {
    // Unwrap one outer capture around everything.
    if let [one] = middle {
        if let HirKind::Capture(c) = one.kind() {
            if ncaps == 1 {
                let inner: Vec<Hir> = match c.sub.kind() {
                    HirKind::Concat(v) => v.clone(),
                    _ => vec![(*c.sub).clone()],
                };
                let (fast, shape) = classify(&inner, 0)?;
                let shape = match shape {
                    CapShape::NoGroups => CapShape::Whole,
                    _ => CapShape::Regex,
                };
                return Some((fast, shape));
            }
        }
    }
    let no_caps = if ncaps == 0 {
        CapShape::NoGroups
    } else {
        CapShape::Regex
    };
    // Finite sets of strings.
    let mut set = Vec::new();
    let whole = Hir::concat(middle.to_vec());
    if expand(&whole, &mut set) {
        set.sort();
        set.dedup();
        let fast = if set.len() == 1 {
            Fast::Literal(set.pop().unwrap_or_default().into())
        } else {
            Fast::Set(set.into_iter().map(Into::into).collect())
        };
        return Some((fast, no_caps));
    }
    // [lit] ANY [lit], with ANY optionally captured.
    let (prefix, rest) = match middle.first().and_then(lit_str) {
        Some(p) => (p, &middle[1..]),
        None => ("", middle),
    };
    let (suffix, rest) = match rest.last().and_then(lit_str) {
        Some(s) if !rest.is_empty() => (s, &rest[..rest.len() - 1]),
        _ => ("", rest),
    };
    if let [mid] = rest {
        let (rep, captured) = match mid.kind() {
            HirKind::Capture(c) => (&*c.sub, true),
            _ => (mid, false),
        };
        if let Some(nonempty) = any_rep(rep) {
            let shape = match (captured, ncaps) {
                (false, 0) => CapShape::NoGroups,
                (true, 1) => CapShape::Middle,
                _ => CapShape::Regex,
            };
            let fast = if prefix.is_empty() && suffix.is_empty() && !nonempty {
                Fast::All
            } else {
                Fast::Affix {
                    prefix: prefix.into(),
                    suffix: suffix.into(),
                    nonempty,
                }
            };
            return Some((fast, shape));
        }
    }
    // .*lit.*
    if let [a, l, b] = middle {
        if any_rep(a) == Some(false) && any_rep(b) == Some(false) {
            if let Some(lit) = lit_str(l) {
                return Some((Fast::Contains(lit.into()), no_caps));
            }
        }
    }
    None
}

impl Matcher {
    /// Builds the matcher; `fast_paths` false keeps only the regex.
    pub(crate) fn new(re: GoRegex, fast_paths: bool) -> Matcher {
        let mut fast = None;
        let mut caps = CapShape::Regex;
        let mut pre = None;
        if fast_paths {
            if let Some((f, c)) = analyze(&re.hir) {
                fast = Some(f);
                caps = c;
            } else {
                pre = Prefilter::new(&re.hir);
            }
        }
        Matcher {
            pre,
            anchored: is_anchored(&re.hir),
            regex: re.regex,
            fast,
            caps,
            names: re.names,
        }
    }

    /// Whole-string match.
    #[inline]
    pub(crate) fn is_match(&self, s: &str) -> bool {
        match &self.fast {
            Some(f) => fast_match(f, s),
            None => self.pre.as_ref().is_none_or(|p| p.admits(s)) && self.regex.is_match(s),
        }
    }

    /// Matches and reports capture spans.
    #[inline]
    pub(crate) fn captures<'l>(
        &self,
        s: &str,
        locs: &'l mut CaptureLocations,
    ) -> Option<Spans<'l>> {
        if let Some(f) = &self.fast {
            if !fast_match(f, s) {
                return None;
            }
            let whole = Some((0, s.len()));
            match self.caps {
                CapShape::NoGroups => return Some(Spans::Fast([whole, None])),
                CapShape::Whole => return Some(Spans::Fast([whole, whole])),
                CapShape::Middle => {
                    let (p, sx) = match f {
                        Fast::Affix { prefix, suffix, .. } => (prefix.len(), suffix.len()),
                        _ => (0, 0),
                    };
                    return Some(Spans::Fast([whole, Some((p, s.len() - sx))]));
                }
                CapShape::Regex => {}
            }
        }
        if self.pre.as_ref().is_some_and(|p| !p.admits(s)) {
            return None;
        }
        self.regex.captures_read(locs, s)?;
        Some(Spans::Locs(locs))
    }

    /// The literal prefix every match starts with (for range scans over sorted label names).
    pub(crate) fn required_prefix(&self) -> Option<&str> {
        match &self.fast {
            Some(Fast::Affix { prefix, .. }) if !prefix.is_empty() => Some(prefix),
            Some(Fast::Literal(l)) if !l.is_empty() => Some(l),
            _ => None,
        }
    }
}

/// Fast whole-string match.
#[inline]
fn fast_match(f: &Fast, s: &str) -> bool {
    match f {
        Fast::All => true,
        Fast::Literal(l) => eq_str(s, l),
        Fast::Set(v) => v.iter().any(|x| eq_str(x, s)),
        Fast::Affix {
            prefix,
            suffix,
            nonempty,
        } => {
            s.len() >= prefix.len() + suffix.len() + usize::from(*nonempty)
                && starts_with(s, prefix)
                && ends_with(s, suffix)
        }
        Fast::Contains(lit) => memchr::memmem::find(s.as_bytes(), lit.as_bytes()).is_some(),
    }
}

/// The pattern is a concatenation starting with `^` and ending with `$` (text anchors).
fn is_anchored(h: &Hir) -> bool {
    match h.kind() {
        HirKind::Concat(items) => {
            items.len() >= 2
                && matches!(items[0].kind(), HirKind::Look(Look::Start))
                && matches!(items[items.len() - 1].kind(), HirKind::Look(Look::End))
        }
        _ => false,
    }
}

/// Analyzes the HIR of `^(?s:…)$`.
fn analyze(h: &Hir) -> Option<(Fast, CapShape)> {
    let HirKind::Concat(items) = h.kind() else {
        return None;
    };
    let n = items.len();
    let mut a = 0;
    while a < n && matches!(items[a].kind(), HirKind::Look(Look::Start)) {
        a += 1;
    }
    let mut b = n;
    while b > a && matches!(items[b - 1].kind(), HirKind::Look(Look::End)) {
        b -= 1;
    }
    if a == 0 || b == n {
        return None;
    }
    let middle = &items[a..b];
    let ncaps = middle.iter().map(count_caps).sum::<usize>();
    let looks = middle.iter().any(|m| !m.properties().look_set().is_empty());
    if looks {
        return None;
    }
    if middle.is_empty() {
        return Some((Fast::Literal("".into()), CapShape::NoGroups));
    }
    classify(middle, ncaps)
}

#[cfg(test)]
mod tests {
    use super::super::goregex::compile_anchored;
    use super::*;

    fn m(p: &str) -> Matcher {
        Matcher::new(compile_anchored(p).unwrap(), true)
    }

    #[test]
    fn shapes() {
        assert_eq!(m("(.*)").fast, Some(Fast::All));
        assert_eq!(m("(.*)").caps, CapShape::Whole);
        assert_eq!(m("").fast, Some(Fast::Literal("".into())));
        assert_eq!(m("abc").fast, Some(Fast::Literal("abc".into())));
        assert!(matches!(m("Succeeded|Failed").fast, Some(Fast::Set(_))));
        assert!(matches!(m("(https?)").fast, Some(Fast::Set(_))));
        assert_eq!(m("(https?)").caps, CapShape::Whole);
        assert!(matches!(m(".*-metrics").fast, Some(Fast::Affix { .. })));
        assert_eq!(m("__meta_kubernetes_pod_label_(.+)").caps, CapShape::Middle);
        assert!(matches!(m(".*foo.*").fast, Some(Fast::Contains(_))));
        assert_eq!(m("^0$").fast, Some(Fast::Literal("0".into())));
        assert!(m("(.+?)(\\:\\d+)?;(\\d+)").fast.is_none());
        assert!(m("(?i)abc").fast.is_some());
    }

    /// Patterns without a fast shape: the prefilter must never reject a string the regex matches.
    #[test]
    fn prefilter_agrees_with_the_regex() {
        // Each pattern with strings it matches, so the sweep below is not only about rejections.
        let patterns: [(&str, &[&str]); 10] = [
            ("(.+?)(\\:\\d+)?;(\\d+)", &["10.1.2.3:8080;15090", "a;9"]),
            ("([^:]+)(?::\\d+)?;(\\d+)", &["h:1;2", "h;2"]),
            ("a[0-9]{2,4}", &["a99", "a9999"]),
            ("(a|bc)?x*", &["", "bcxx", "a"]),
            ("\\d+\\.\\d+|é", &["1.5", "é"]),
            ("[α-ω]+b?", &["αωb", "\u{3b1}"]),
            ("(?i)k+8s", &["K8s", "kK8S"]),
            ("x\\b", &["x"]),
            ("(ab|)(c|)[0-9]+", &["1", "abc9", "c99"]),
            ("[^a]", &["b", "\u{10000}"]),
        ];
        let alphabet: Vec<char> = "ab9c:;x.K8sé\u{3b1}\u{3c9}\u{10000} ".chars().collect();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for (p, examples) in patterns {
            let fast = m(p);
            for e in examples {
                assert!(fast.is_match(e), "{p} matches {e:?}");
            }
            assert!(
                fast.fast.is_none() && fast.pre.is_some(),
                "{p} has a prefilter"
            );
            let plain = Matcher::new(compile_anchored(p).unwrap(), false);
            for _ in 0..4000 {
                let len = (next() % 9) as usize;
                let s: String = (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect();
                let want = plain.regex.is_match(&s);
                assert_eq!(fast.is_match(&s), want, "{p} on {s:?}");
                let mut l1 = plain.regex.capture_locations();
                let mut l2 = plain.regex.capture_locations();
                assert_eq!(
                    fast.captures(&s, &mut l1).is_some(),
                    plain.captures(&s, &mut l2).is_some()
                );
            }
        }
        // The rejection is real: the Kubernetes address rule's pattern on a string without a port.
        let k = m("(.+?)(\\:\\d+)?;(\\d+)");
        assert!(!k.pre.as_ref().unwrap().admits("10.132.183.40:80;"));
        assert!(k.pre.as_ref().unwrap().admits("10.132.183.40:80;9"));
    }
}
