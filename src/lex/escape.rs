//! Escaping and lazy unescaping.
//!
//! Label values and quoted names know three escapes, `\\`, `\"` and `\n`; HELP text knows two,
//! `\\` and `\n`. Any other backslash is kept verbatim with the byte after it, as Prometheus,
//! OpenMetrics and VictoriaMetrics do. Unescaping returns [`Cow::Borrowed`] unless the text
//! holds a backslash, so the common case allocates nothing.

use std::borrow::Cow;

/// Calls `f` with each byte of `s` after label-value unescaping.
#[inline]
pub(crate) fn for_each_unescaped(s: &[u8], mut f: impl FnMut(u8)) {
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b == b'\\' && i + 1 < s.len() {
            match s[i + 1] {
                b'"' => {
                    f(b'"');
                    i += 2;
                    continue;
                }
                b'\\' => {
                    f(b'\\');
                    i += 2;
                    continue;
                }
                b'n' => {
                    f(b'\n');
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        f(b);
        i += 1;
    }
}

fn unescape_with(s: &str, quote: bool) -> Cow<'_, str> {
    if memchr::memchr(b'\\', s.as_bytes()).is_none() {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            let mapped = match b[i + 1] {
                b'\\' => Some(b'\\'),
                b'n' => Some(b'\n'),
                b'"' if quote => Some(b'"'),
                _ => None,
            };
            if let Some(m) = mapped {
                out.push(m);
                i += 2;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    // Only ASCII escape pairs were replaced by ASCII bytes, so the result is still UTF-8.
    Cow::Owned(
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

/// Unescapes a label value or quoted name (`\\`, `\"`, `\n`; other escapes kept verbatim).
pub(crate) fn unescape_label_value(s: &str) -> Cow<'_, str> {
    unescape_with(s, true)
}

/// Unescapes HELP text (`\\` and `\n` only; `\"` stays two bytes).
pub(crate) fn unescape_help(s: &str) -> Cow<'_, str> {
    unescape_with(s, false)
}

fn escape_with(s: &str, out: &mut String, quote: bool) {
    let b = s.as_bytes();
    let mut last = 0;
    for (i, &c) in b.iter().enumerate() {
        let rep = match c {
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'"' if quote => "\\\"",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

/// Appends `s` escaped for a label value or quoted name.
///
/// ```
/// let mut out = String::new();
/// promtext::write::escape_label_value("a\"b\\c\nd", &mut out);
/// assert_eq!(out, r#"a\"b\\c\nd"#);
/// ```
pub fn escape_label_value(s: &str, out: &mut String) {
    escape_with(s, out, true)
}

/// Appends `s` escaped for HELP text (`\` and line feed).
///
/// ```
/// let mut out = String::new();
/// promtext::write::escape_help("a\\b\n\"c\"", &mut out);
/// assert_eq!(out, r#"a\\b\n"c""#);
/// ```
pub fn escape_help(s: &str, out: &mut String) {
    escape_with(s, out, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescaping() {
        assert_eq!(unescape_label_value(r#"a\"b\\c\nd\z"#), "a\"b\\c\nd\\z");
        assert!(matches!(unescape_label_value("plain"), Cow::Borrowed(_)));
        assert_eq!(unescape_help(r#"x\\y\nz\"q"#), "x\\y\nz\\\"q");
    }

    #[test]
    fn unknown_escapes_are_kept() {
        assert_eq!(unescape_label_value(r"x\ty\z"), r"x\ty\z");
        assert_eq!(unescape_label_value(r"x\\"), "x\\");
        assert_eq!(unescape_help(r"x\"), "x\\");
        assert_eq!(unescape_label_value(r"\é"), "\\é");
    }

    #[test]
    fn escape_round_trips() {
        for s in [
            "",
            "plain",
            "a\"b",
            "back\\slash",
            "line\nfeed",
            "\\n",
            "é\"\\\n",
        ] {
            let mut out = String::new();
            escape_label_value(s, &mut out);
            assert_eq!(unescape_label_value(&out), s);
            let mut out = String::new();
            escape_help(s, &mut out);
            assert_eq!(unescape_help(&out), s);
        }
    }
}
