//! Replacement and target templates with Go `Regexp.Expand` semantics.
//!
//! A template is parsed once, at compile time, into literal and group segments; expanding it at run time only
//! appends slices. The parser follows Go's `regexp.expand`/`extract` exactly:
//!
//! * `$$` is a literal `$`;
//! * `$name` / `${name}` name a group; a name is one or more Unicode letters (category L), decimal digits (Nd)
//!   or `_`, and in the unbraced form it is as long as possible (`$1x` is the group named `1x`);
//! * a name made only of ASCII digits, without a leading zero (the name `0` itself is fine) and below 1e8 is a
//!   group number;
//! * a malformed reference (`$` at the end, `$-1`, `${`, `${}`, `${foo-bar}`, ...) copies the `$` literally and
//!   scanning continues after it.

use std::sync::LazyLock;

/// One parsed template segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Literal text.
    Lit(String),
    /// A group reference, resolved to the candidate group indices (in group order). The first candidate that took
    /// part in the match is expanded; an empty list always expands to `""`.
    Group(Box<[usize]>),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    pub(crate) segments: Vec<Segment>,
    /// The template text had a `$` in it.
    pub(crate) has_dollar: bool,
}

/// A reference as Go's `extract` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ref<'t> {
    Num(usize),
    Name(&'t str),
}

static NAME_CHAR: LazyLock<regex::Regex> = LazyLock::new(|| {
    // Go: unicode.IsLetter || unicode.IsDigit || '_'.
    regex::Regex::new(r"^[\p{L}\p{Nd}_]$").expect("static regex is valid")
});

fn is_name_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        let mut b = [0u8; 4];
        NAME_CHAR.is_match(c.encode_utf8(&mut b))
    }
}

/// Go's `extract`: returns the reference and the rest of the string, or `None` when malformed.
fn extract(s: &str) -> Option<(Ref<'_>, &str)> {
    let (brace, body) = match s.strip_prefix('{') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let end = body
        .char_indices()
        .find(|&(_, c)| !is_name_char(c))
        .map_or(body.len(), |(i, _)| i);
    if end == 0 {
        return None;
    }
    let name = &body[..end];
    let rest = if brace {
        body[end..].strip_prefix('}')?
    } else {
        &body[end..]
    };
    // Parse a number the way Go does: every byte an ASCII digit, checking `num >= 1e8` before each digit.
    let mut num: i64 = 0;
    for b in name.bytes() {
        if !b.is_ascii_digit() || num >= 100_000_000 {
            num = -1;
            break;
        }
        num = num * 10 + i64::from(b - b'0');
    }
    if name.len() > 1 && name.as_bytes()[0] == b'0' {
        num = -1;
    }
    let r = if num >= 0 {
        Ref::Num(num as usize)
    } else {
        Ref::Name(name)
    };
    Some((r, rest))
}

impl Template {
    /// Parses `text`, resolving references against the group names (`names[i]` is the name of group `i`, group 0
    /// never has one).
    pub(crate) fn parse(text: &str, names: &[Option<String>]) -> Template {
        let mut segments: Vec<Segment> = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        let has_dollar = text.contains('$');
        while let Some(pos) = rest.find('$') {
            lit.push_str(&rest[..pos]);
            rest = &rest[pos + 1..];
            if let Some(r) = rest.strip_prefix('$') {
                lit.push('$');
                rest = r;
                continue;
            }
            match extract(rest) {
                None => lit.push('$'),
                Some((r, after)) => {
                    rest = after;
                    let candidates: Box<[usize]> = match r {
                        Ref::Num(n) => {
                            if n < names.len() {
                                Box::new([n])
                            } else {
                                Box::new([])
                            }
                        }
                        Ref::Name(name) => names
                            .iter()
                            .enumerate()
                            .filter(|(_, n)| n.as_deref() == Some(name))
                            .map(|(i, _)| i)
                            .collect(),
                    };
                    if !lit.is_empty() {
                        segments.push(Segment::Lit(std::mem::take(&mut lit)));
                    }
                    segments.push(Segment::Group(candidates));
                }
            }
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            segments.push(Segment::Lit(lit));
        }
        Template {
            segments,
            has_dollar,
        }
    }

    /// The template is a single literal (or empty) and needs no match data.
    pub(crate) fn as_literal(&self) -> Option<&str> {
        match self.segments.as_slice() {
            [] => Some(""),
            [Segment::Lit(s)] => Some(s),
            _ => None,
        }
    }

    /// The template is exactly one reference to group `g` (as `$1` or `${1}`).
    pub(crate) fn single_group(&self) -> Option<&[usize]> {
        match self.segments.as_slice() {
            [Segment::Group(g)] => Some(g),
            _ => None,
        }
    }

    /// Appends the expansion to `dst`. `group(i)` returns the span of group `i` in `src` when it took part in the
    /// match.
    pub(crate) fn expand(
        &self,
        src: &str,
        group: impl Fn(usize) -> Option<(usize, usize)>,
        dst: &mut String,
    ) {
        for seg in &self.segments {
            match seg {
                Segment::Lit(s) => dst.push_str(s),
                Segment::Group(cands) => {
                    for &g in cands.iter() {
                        if let Some((a, b)) = group(g) {
                            dst.push_str(&src[a..b]);
                            break;
                        }
                    }
                }
            }
        }
    }
}

/// Go's `Regexp.ReplaceAllString(src, template)`: every non-overlapping match is replaced by the expanded
/// template; text between matches is kept; an empty match right after a match is not replaced.
pub(crate) fn replace_all(
    re: &regex::Regex,
    t: &Template,
    src: &str,
    locs: &mut regex::CaptureLocations,
    dst: &mut String,
) {
    let end = src.len();
    let mut last_end = 0usize;
    let mut pos = 0usize;
    while pos <= end {
        if re.captures_read_at(locs, src, pos).is_none() {
            break;
        }
        let Some((a0, a1)) = locs.get(0) else { break };
        dst.push_str(&src[last_end..a0]);
        if a1 > last_end || a0 == 0 {
            t.expand(src, |i| locs.get(i), dst);
        }
        last_end = a1;
        let width = src[pos..].chars().next().map_or(0, char::len_utf8);
        if pos + width > a1 {
            pos += width;
        } else if pos + 1 > a1 {
            pos += 1;
        } else {
            pos = a1;
        }
    }
    dst.push_str(&src[last_end..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<Option<String>> {
        vec![None; n]
    }

    fn exp(
        t: &str,
        names: &[Option<String>],
        spans: &[Option<(usize, usize)>],
        src: &str,
    ) -> String {
        let t = Template::parse(t, names);
        let mut s = String::new();
        t.expand(src, |g| spans.get(g).copied().flatten(), &mut s);
        s
    }

    #[test]
    fn go_expand_table() {
        // (a)(b) against "ab".
        let n = names(3);
        let sp = [Some((0, 2)), Some((0, 1)), Some((1, 2))];
        let cases = [
            ("$1x", ""),
            ("${1}x", "ax"),
            ("$$1", "$1"),
            ("$01", ""),
            ("${}", "${}"),
            ("${foo-bar}", "${foo-bar}"),
            ("${ 1}", "${ 1}"),
            ("$1é", ""),
            ("$١", ""),
            ("${00000000001}", ""),
            ("x$", "x$"),
            ("${1", "${1"),
            ("$-1", "$-1"),
            ("$ 1", "$ 1"),
            ("$0", "ab"),
            ("$2$1", "ba"),
            ("${2}${1}", "ba"),
            ("$3", ""),
            ("$100000000", ""),
            ("$", "$"),
            ("", ""),
        ];
        for (t, want) in cases {
            assert_eq!(exp(t, &n, &sp, "ab"), want, "template {t:?}");
        }
    }

    #[test]
    fn named_groups_first_participating_wins() {
        let n = vec![None, Some("x".to_string()), Some("x".to_string())];
        assert_eq!(
            exp("[$x]", &n, &[Some((0, 1)), None, Some((0, 1))], "b"),
            "[b]"
        );
        assert_eq!(
            exp(
                "[${x}]",
                &n,
                &[Some((0, 1)), Some((0, 1)), Some((0, 1))],
                "a"
            ),
            "[a]"
        );
        assert_eq!(
            exp("[$y]", &n, &[Some((0, 1)), Some((0, 1)), None], "a"),
            "[]"
        );
    }

    #[test]
    fn literal_and_single_group() {
        assert_eq!(Template::parse("abc", &names(2)).as_literal(), Some("abc"));
        assert_eq!(Template::parse("a$$c", &names(2)).as_literal(), Some("a$c"));
        assert_eq!(
            Template::parse("$1", &names(2)).single_group(),
            Some(&[1usize][..])
        );
        assert_eq!(
            Template::parse("${1}", &names(2)).single_group(),
            Some(&[1usize][..])
        );
        assert!(Template::parse("$1", &names(2)).has_dollar);
    }
}
