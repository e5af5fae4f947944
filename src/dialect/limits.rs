//! [`LabelLimits`] as the readers check them while they walk a series' labels: one test of
//! [`LimitCheck::on`] per label when no limit is set; the rest, and every message, off the hot
//! path.

use std::borrow::Cow;

use crate::error::{ErrorKind, LineError};
use crate::go::quote_str;
use crate::lex::escape::unescape_label_value;
use crate::settings::LabelLimits;

/// The limits in the form the label walks use: `usize::MAX` for "none".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LimitCheck {
    /// Whether any limit is set: the one test the walks make per label when none is.
    pub on: bool,
    labels: usize,
    name_len: usize,
    value_len: usize,
    /// The scrape's use ([`Settings`](crate::Settings)' `limits_recheck`): a line the limits
    /// stop is read again without them (the scrape reports what Prometheus reports, which
    /// needs the whole line), and the values of `le` and `quantile` are not checked (the scrape
    /// normalizes them, `1.0` to `1`, so their raw length says nothing about the stored one).
    pub scrape: bool,
}

impl Default for LimitCheck {
    fn default() -> Self {
        LimitCheck::new(LabelLimits::default(), false)
    }
}

/// What one label passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Over {
    Labels,
    NameLen(usize),
    ValueLen(usize),
}

fn none_if_zero(n: usize) -> usize {
    if n == 0 { usize::MAX } else { n }
}

impl LimitCheck {
    pub(crate) fn new(l: LabelLimits, scrape: bool) -> Self {
        LimitCheck {
            on: l.is_set(),
            labels: none_if_zero(l.labels),
            name_len: none_if_zero(l.name_len),
            value_len: none_if_zero(l.value_len),
            scrape,
        }
    }

    /// Whether `e` is a limit error the scrape wants the line read again for.
    #[inline(always)]
    pub(crate) fn recheck(&self, e: &LineError) -> bool {
        self.scrape && e.kind == ErrorKind::LabelLimit
    }

    /// Runs `f` with the limits off (the scrape's second reading of a line they stopped).
    #[cold]
    pub(crate) fn without<T, C>(
        cx: &mut C,
        get: impl Fn(&mut C) -> &mut LimitCheck,
        f: impl FnOnce(&mut C) -> T,
    ) -> T {
        let saved = std::mem::take(get(cx));
        let r = f(cx);
        *get(cx) = saved;
        r
    }

    /// Checks one label whose raw name is `name` and raw value `value` (as written, quotes
    /// stripped, escapes kept: the unescaped text is never longer); `count` is the series'
    /// non-empty labels before this one, and is counted up.
    #[inline(always)]
    pub(crate) fn label(&self, count: &mut usize, name: &[u8], value: &[u8]) -> Option<Over> {
        if value.is_empty() {
            return None;
        }
        *count += 1;
        if *count > self.labels {
            return Some(Over::Labels);
        }
        if name.len() > self.name_len {
            let n = unescaped_len(name);
            if n > self.name_len {
                return Some(Over::NameLen(n));
            }
        }
        if value.len() > self.value_len && !(self.scrape && is_le_quantile(name)) {
            let n = unescaped_len(value);
            if n > self.value_len {
                return Some(Over::ValueLen(n));
            }
        }
        None
    }

    /// [`LimitCheck::label`] for names and values that hold no escapes (protobuf's).
    #[inline]
    pub(crate) fn plain_label(&self, count: &mut usize, name: &[u8], value: &[u8]) -> Option<Over> {
        if value.is_empty() {
            return None;
        }
        *count += 1;
        if *count > self.labels {
            Some(Over::Labels)
        } else if name.len() > self.name_len {
            Some(Over::NameLen(name.len()))
        } else if value.len() > self.value_len && !(self.scrape && is_le_quantile(name)) {
            Some(Over::ValueLen(value.len()))
        } else {
            None
        }
    }

    /// Prometheus' message (`verifyLabelLimits` in `scrape/scrape.go`) for `over`, at the label
    /// `name` with value `value` (raw, unescaped here when `escaped`) of the metric `metric`
    /// (empty when not yet known).
    #[cold]
    pub(crate) fn message(
        &self,
        over: Over,
        metric: &str,
        name: &[u8],
        value: &[u8],
        escaped: bool,
    ) -> String {
        let text = |b: &[u8]| -> String {
            let s = String::from_utf8_lossy(b);
            if escaped {
                unescape_label_value(&s).into_owned()
            } else {
                s.into_owned()
            }
        };
        let met = go_trunc(metric, 50);
        match over {
            Over::Labels => format!(
                "label_limit exceeded (metric: {met}, number of labels: {}, limit: {})",
                self.labels.saturating_add(1),
                self.labels
            ),
            Over::NameLen(len) => format!(
                "label_name_length_limit exceeded (metric: {met}, label name: {}, length: {len}, limit: {})",
                go_trunc(&text(name), 50),
                self.name_len
            ),
            Over::ValueLen(len) => format!(
                "label_value_length_limit exceeded (metric: {met}, label name: {}, value: {}, length: {len}, limit: {})",
                go_trunc(&text(name), 50),
                quote_str(go_trunc(&text(value), 50)),
                self.value_len
            ),
        }
    }

    /// The error for `over` at byte `col` of the line: [`LimitCheck::message`].
    #[cold]
    pub(crate) fn error(
        &self,
        over: Over,
        col: usize,
        metric: &str,
        name: &[u8],
        value: &[u8],
        escaped: bool,
    ) -> LineError {
        LineError::new(
            ErrorKind::LabelLimit,
            col,
            self.message(over, metric, name, value, escaped),
        )
    }

    /// Checks a sample line the one-pass text path took: `block` is its label block between
    /// the braces, in the tight form that path takes (`n="v",n="v"`, plain names, values
    /// without escapes or quotes), with `n_labels` labels. `false` hands the line to the
    /// general path, which reports the error. Out of line: only parsers with limits call it.
    #[inline(never)]
    pub(crate) fn tight_block_ok(&self, block: &[u8], n_labels: usize) -> bool {
        // The common case: few labels, and none long enough to pass a length limit.
        if n_labels <= self.labels && block.len() <= self.name_len.min(self.value_len) {
            return true;
        }
        // Walked quote to quote over 64-byte quote masks: each label is `name="value"`, so the
        // quotes pair up as the values' bounds, and a name ends one byte (the `=`) before its
        // value's opening quote and starts two bytes (the quote and a comma) after the previous
        // value's closing one.
        let mut count = 0;
        let (mut name_start, mut open) = (0, usize::MAX);
        let mut at = 0;
        while at < block.len() {
            let mut m = crate::lex::structural::quote_mask(block, at);
            while m != 0 {
                let q = at + m.trailing_zeros() as usize;
                m &= m - 1;
                if open == usize::MAX {
                    open = q;
                    continue;
                }
                let Some(name) = block.get(name_start..open.saturating_sub(1)) else {
                    return false;
                };
                if self.label(&mut count, name, &block[open + 1..q]).is_some() {
                    return false;
                }
                (name_start, open) = (q + 2, usize::MAX);
            }
            at += 64;
        }
        true
    }
}

fn is_le_quantile(name: &[u8]) -> bool {
    name == b"le" || name == b"quantile"
}

/// The length of a raw name or value once unescaped (`\\`, `\"` and `\n` are one byte each;
/// other escapes stay two).
fn unescaped_len(raw: &[u8]) -> usize {
    if memchr::memchr(b'\\', raw).is_none() {
        return raw.len();
    }
    match std::str::from_utf8(raw) {
        Ok(s) => match unescape_label_value(s) {
            Cow::Borrowed(b) => b.len(),
            Cow::Owned(o) => o.len(),
        },
        Err(_) => raw.len(),
    }
}

/// Go's `%.Ns`: the first `n` characters.
pub(crate) fn go_trunc(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(labels: usize, name_len: usize, value_len: usize) -> LimitCheck {
        LimitCheck::new(
            LabelLimits {
                labels,
                name_len,
                value_len,
            },
            false,
        )
    }

    #[test]
    fn empty_values_count_for_nothing() {
        let c = check(1, 2, 2);
        let mut n = 0;
        assert_eq!(c.label(&mut n, b"long_name", b""), None);
        assert_eq!(n, 0);
        assert_eq!(c.label(&mut n, b"ab", b"cd"), None);
        assert_eq!(c.label(&mut n, b"x", b""), None);
        assert_eq!(c.label(&mut n, b"y", b"1"), Some(Over::Labels));
    }

    #[test]
    fn lengths_are_of_the_unescaped_text() {
        let c = check(0, 3, 3);
        let mut n = 0;
        // `a\"b` is three bytes once unescaped; `a\tb` keeps its backslash (four).
        assert_eq!(c.label(&mut n, b"abc", br#"a\"b"#), None);
        assert_eq!(c.label(&mut n, b"abc", br"a\tb"), Some(Over::ValueLen(4)));
        assert_eq!(c.label(&mut n, br"a\nb", b"v"), None);
        assert_eq!(c.label(&mut n, b"abcd", b"v"), Some(Over::NameLen(4)));
        assert_eq!(c.plain_label(&mut n, b"abcd", b"v"), Some(Over::NameLen(4)));
    }

    #[test]
    fn le_and_quantile_exempt_for_the_scrape() {
        let l = LabelLimits {
            value_len: 2,
            ..LabelLimits::default()
        };
        let mut n = 0;
        let c = LimitCheck::new(l, true);
        assert_eq!(c.label(&mut n, b"le", b"1.000"), None);
        assert_eq!(c.label(&mut n, b"lf", b"1.000"), Some(Over::ValueLen(5)));
        let c = LimitCheck::new(l, false);
        assert_eq!(c.label(&mut n, b"le", b"1.000"), Some(Over::ValueLen(5)));
    }

    #[test]
    fn messages_in_prometheus_words() {
        let c = check(30, 5, 5);
        let long = "é".repeat(60);
        assert_eq!(
            c.message(Over::Labels, &long, b"", b"", false),
            format!(
                "label_limit exceeded (metric: {}, number of labels: 31, limit: 30)",
                "é".repeat(50)
            )
        );
        assert_eq!(
            c.message(Over::NameLen(6), "m", b"abcdef", b"v", false),
            "label_name_length_limit exceeded (metric: m, label name: abcdef, length: 6, limit: 5)"
        );
        assert_eq!(
            c.message(Over::ValueLen(6), "m", b"a", br#"x\"yzvw"#, true),
            r#"label_value_length_limit exceeded (metric: m, label name: a, value: "x\"yzvw", length: 6, limit: 5)"#
        );
    }

    #[test]
    fn tight_blocks() {
        let c = check(2, 0, 3);
        assert!(c.tight_block_ok(br#"a="1",b="",c="2""#, 3));
        assert!(!c.tight_block_ok(br#"a="1",b="2",c="3""#, 3));
        assert!(!c.tight_block_ok(br#"a="1234""#, 1));
        assert!(c.tight_block_ok(br#"a="123","#, 1));
        assert!(c.tight_block_ok(b"", 0));
    }
}
