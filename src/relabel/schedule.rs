//! Rule scheduling: the rules that can only change labels run after the last rule that can drop the series,
//! when moving them there cannot change the result.
//!
//! Target relabeling usually ends in the rules that decide whether to keep the target (a `hashmod` shard and its
//! `keep`, a namespace `drop`), after the rules that fill in `job`, `namespace`, `pod`, `instance`... With
//! sharding, most targets are dropped there, and the work of the earlier label writes is thrown away. Every rule
//! is a pure function of the label set, so a rule can run later without changing the outcome if it commutes with
//! every rule it moves past: neither writes a label the other reads or writes. A rule moved past a `keep` or
//! `drop` then does not run at all for the series that rule drops. The analysis works on the names each rule
//! reads and writes and is conservative: whenever two name sets might meet, the rules keep their order.

use super::matcher::Matcher;

/// A set of label names, as far as the compiler knows it.
#[derive(Debug, Clone)]
pub(crate) enum Names<'r> {
    /// These names.
    Exact(Vec<&'r str>),
    /// Every name starting with this (non-empty) prefix.
    Prefix(&'r str),
    /// The names the rule's anchored regex matches in full.
    Matching(&'r Matcher),
    /// Any name.
    Any,
}

/// Whether `p` and `q` can start the same name.
fn compatible(p: &str, q: &str) -> bool {
    p.starts_with(q) || q.starts_with(p)
}

impl Names<'_> {
    /// The empty set.
    pub(crate) fn none() -> Self {
        Names::Exact(Vec::new())
    }

    fn is_empty(&self) -> bool {
        matches!(self, Names::Exact(v) if v.is_empty())
    }

    fn contains(&self, name: &str) -> bool {
        match self {
            Names::Exact(v) => v.contains(&name),
            Names::Prefix(p) => name.starts_with(p),
            Names::Matching(m) => m.regex.is_match(name),
            Names::Any => true,
        }
    }

    /// The literal prefix of every name in the set, if there is one.
    fn prefix(&self) -> Option<&str> {
        match self {
            Names::Prefix(p) => Some(p),
            Names::Matching(m) => m.required_prefix(),
            _ => None,
        }
    }

    /// Whether the two sets may share a name (true when unsure).
    pub(crate) fn meets(&self, other: &Names<'_>) -> bool {
        if self.is_empty() || other.is_empty() {
            return false;
        }
        match (self, other) {
            (Names::Exact(v), o) => v.iter().any(|n| o.contains(n)),
            (s, Names::Exact(v)) => v.iter().any(|n| s.contains(n)),
            (Names::Any, _) | (_, Names::Any) => true,
            (a, b) => match (a.prefix(), b.prefix()) {
                (Some(p), Some(q)) => compatible(p, q),
                _ => true,
            },
        }
    }
}

/// What one rule does to the label set.
#[derive(Debug, Clone)]
pub(crate) struct Effect<'r> {
    /// Names whose labels (presence or value) the rule's result depends on.
    pub(crate) reads: Names<'r>,
    /// Names of labels it may set or delete.
    pub(crate) writes: Names<'r>,
    /// It may drop the series (and writes nothing).
    pub(crate) drops: bool,
}

impl Effect<'_> {
    /// Whether running the two rules in either order gives the same label set.
    fn commutes(&self, other: &Effect<'_>) -> bool {
        !self.writes.meets(&other.reads)
            && !other.writes.meets(&self.reads)
            && !self.writes.meets(&other.writes)
    }
}

/// The order to run the rules in: every rule that cannot drop and commutes with all the rules after it that stay
/// in place moves to the end (in its original order), if a rule that can drop stays after it.
pub(crate) fn order(effects: &[Effect<'_>]) -> Vec<u32> {
    let n = effects.len();
    let mut deferred = vec![false; n];
    // Walking backwards, every later rule's place is already decided.
    let mut drop_after = false;
    for i in (0..n).rev() {
        let e = &effects[i];
        if e.drops {
            drop_after = true;
            continue;
        }
        deferred[i] = drop_after
            && (i + 1..n)
                .filter(|&j| !deferred[j])
                .all(|j| e.commutes(&effects[j]));
    }
    let stay = (0..n).filter(|&i| !deferred[i]);
    let moved = (0..n).filter(|&i| deferred[i]);
    stay.chain(moved).map(|i| i as u32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&'static str]) -> Names<'static> {
        Names::Exact(names.to_vec())
    }

    fn write(reads: &[&'static str], target: &'static str) -> Effect<'static> {
        Effect {
            reads: set(reads),
            writes: set(&[target]),
            drops: false,
        }
    }

    fn drop(reads: &[&'static str]) -> Effect<'static> {
        Effect {
            reads: set(reads),
            writes: Names::none(),
            drops: true,
        }
    }

    #[test]
    fn independent_writes_move_past_the_drop() {
        let e = [
            write(&["ns"], "namespace"),
            write(&["addr"], "hash"),
            drop(&["hash"]),
            write(&["pod"], "pod_name"),
        ];
        // `hash` feeds the drop and stays; `namespace` moves; the last rule has no drop after it.
        assert_eq!(order(&e), [1, 2, 3, 0]);
    }

    #[test]
    fn conflicts_keep_the_order() {
        // Rule 0 writes what rule 1 reads; rule 1 feeds the drop.
        assert_eq!(
            order(&[write(&["a"], "b"), write(&["b"], "c"), drop(&["c"])]),
            [0, 1, 2]
        );
        // Rule 1 writes what rule 0 reads.
        assert_eq!(
            order(&[write(&["a"], "x"), write(&["b"], "a"), drop(&["a"])]),
            [0, 1, 2]
        );
        // Both write `x` and the second stays (it feeds the drop through `y`): the later write must win.
        let xy = Effect {
            reads: set(&["b"]),
            writes: set(&["x", "y"]),
            drops: false,
        };
        assert_eq!(order(&[write(&["a"], "x"), xy, drop(&["y"])]), [0, 1, 2]);
        // Both move: among the moved rules the order is kept, so the later write still wins.
        assert_eq!(
            order(&[write(&["a"], "x"), write(&["b"], "x"), drop(&["c"])]),
            [2, 0, 1]
        );
        let any = Effect {
            reads: Names::Any,
            writes: Names::Any,
            drops: false,
        };
        assert_eq!(
            order(&[write(&["a"], "x"), any.clone(), drop(&["b"])]),
            [0, 1, 2]
        );
    }

    #[test]
    fn name_sets_meet_conservatively() {
        assert!(set(&["a", "b"]).meets(&set(&["b"])));
        assert!(!set(&["a"]).meets(&set(&["b"])));
        assert!(!Names::Any.meets(&Names::none()));
        assert!(Names::Any.meets(&set(&["a"])));
        assert!(Names::Prefix("__param_").meets(&set(&["__param_x"])));
        assert!(!Names::Prefix("__param_").meets(&set(&["__address__"])));
        assert!(Names::Prefix("__p").meets(&Names::Prefix("__param_")));
        assert!(!Names::Prefix("__q").meets(&Names::Prefix("__param_")));
        assert!(Names::Prefix("__q").meets(&Names::Any));
    }
}
