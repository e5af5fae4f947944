//! Series notation: `name{a="b", c="d"}`, `{a="b"}`, `{"utf8.name"="v"}`, `{"metric.name", a="b"}`.
//!
//! Used by the `promtext relabel` CLI and the rule-test files. Values use the exposition format's escapes
//! (`\\`, `\"`, `\n`; any other backslash sequence is kept as written). A metric name before the braces, or a lone
//! quoted string inside them, becomes the `__name__` label.
//!
//! ```
//! use promtext::relabel::parse_series;
//! let l = parse_series(r#"up{job="node", "a.b"="x\"y"}"#).unwrap();
//! assert_eq!(l, vec![
//!     ("__name__".to_string(), "up".to_string()),
//!     ("job".to_string(), "node".to_string()),
//!     ("a.b".to_string(), "x\"y".to_string()),
//! ]);
//! ```

use std::fmt;

use nom::branch::alt;
use nom::bytes::complete::{take_while, take_while1};
use nom::character::complete::{char as ch, multispace0};
use nom::combinator::{all_consuming, map, opt, recognize};
use nom::multi::separated_list0;
use nom::sequence::{delimited, pair, preceded, terminated};
use nom::{IResult, Parser};

use super::labels::Labels;

/// A notation parse error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotationError {
    /// Byte offset of the error.
    pub offset: usize,
    /// The input line.
    pub input: String,
}

impl fmt::Display for NotationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid series notation at byte {}: {:?}",
            self.offset, self.input
        )
    }
}

impl std::error::Error for NotationError {}

fn quoted(i: &str) -> IResult<&str, String> {
    let (mut rest, _) = ch('"').parse(i)?;
    let mut out = String::new();
    loop {
        let Some(c) = rest.chars().next() else {
            return Err(nom::Err::Error(nom::error::Error::new(
                rest,
                nom::error::ErrorKind::Char,
            )));
        };
        rest = &rest[c.len_utf8()..];
        match c {
            '"' => return Ok((rest, out)),
            '\\' => {
                let Some(e) = rest.chars().next() else {
                    return Err(nom::Err::Error(nom::error::Error::new(
                        rest,
                        nom::error::ErrorKind::Escaped,
                    )));
                };
                rest = &rest[e.len_utf8()..];
                match e {
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    'n' => out.push('\n'),
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            c => out.push(c),
        }
    }
}

fn metric_name(i: &str) -> IResult<&str, &str> {
    recognize(pair(
        take_while1(|c: char| c.is_ascii_alphabetic() || c == '_' || c == ':'),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
    ))
    .parse(i)
}

fn label_name(i: &str) -> IResult<&str, String> {
    alt((
        quoted,
        map(
            recognize(pair(
                take_while1(|c: char| c.is_ascii_alphabetic() || c == '_'),
                take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
            )),
            str::to_string,
        ),
    ))
    .parse(i)
}

/// An item inside braces: `name="value"` or a lone quoted metric name.
fn item(i: &str) -> IResult<&str, (Option<String>, String)> {
    let (rest, name) = label_name(i)?;
    let (rest2, eq) = opt(preceded(multispace0, ch('='))).parse(rest)?;
    if eq.is_some() {
        let (rest3, value) = preceded(multispace0, quoted).parse(rest2)?;
        Ok((rest3, (Some(name), value)))
    } else if i.starts_with('"') {
        Ok((rest, (None, name)))
    } else {
        Err(nom::Err::Error(nom::error::Error::new(
            rest,
            nom::error::ErrorKind::Char,
        )))
    }
}

type Series = (Option<String>, Vec<(Option<String>, String)>);

fn series(i: &str) -> IResult<&str, Series> {
    let braces = delimited(
        pair(ch('{'), multispace0),
        terminated(
            separated_list0(delimited(multispace0, ch(','), multispace0), item),
            pair(multispace0, opt(pair(ch(','), multispace0))),
        ),
        ch('}'),
    );
    all_consuming(delimited(
        multispace0,
        alt((
            map(
                pair(
                    map(metric_name, |s: &str| Some(s.to_string())),
                    opt(preceded(multispace0, braces)),
                ),
                |(n, b)| (n, b.unwrap_or_default()),
            ),
            map(
                delimited(
                    pair(ch('{'), multispace0),
                    terminated(
                        separated_list0(delimited(multispace0, ch(','), multispace0), item),
                        pair(multispace0, opt(pair(ch(','), multispace0))),
                    ),
                    ch('}'),
                ),
                |b| (None, b),
            ),
        )),
        multispace0,
    ))
    .parse(i)
}

/// Parses one series into `(name, value)` pairs in written order (`__name__` first when given).
pub fn parse_series(line: &str) -> Result<Vec<(String, String)>, NotationError> {
    match series(line) {
        Ok((_, (name, items))) => {
            let mut out = Vec::with_capacity(items.len() + 1);
            if let Some(n) = name {
                out.push(("__name__".to_string(), n));
            }
            for (n, v) in items {
                match n {
                    Some(n) => out.push((n, v)),
                    None => out.push(("__name__".to_string(), v)),
                }
            }
            Ok(out)
        }
        Err(e) => {
            let offset = match e {
                nom::Err::Error(e) | nom::Err::Failure(e) => line.len() - e.input.len(),
                nom::Err::Incomplete(_) => line.len(),
            };
            Err(NotationError {
                offset,
                input: line.to_string(),
            })
        }
    }
}

/// Parses one series into a sorted [`Labels`] set (empty values dropped, last repeated name wins).
pub fn parse_labels(line: &str) -> Result<Labels, NotationError> {
    parse_series(line).map(Labels::from_pairs)
}

/// Formats pairs (already sorted, or not) as `{a="1", "1a"="v"}` in the given order.
pub fn format_pairs<'x>(pairs: impl IntoIterator<Item = (&'x str, &'x str)>) -> String {
    let mut s = String::new();
    let _ = super::labels::write_set(&mut s, pairs.into_iter());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(
            parse_series("up").unwrap(),
            vec![("__name__".into(), "up".into())]
        );
        assert_eq!(parse_series("{}").unwrap(), vec![]);
        assert_eq!(parse_series(" m { a = \"1\" , } ").unwrap().len(), 2);
        assert_eq!(
            parse_series(r#"{"my.metric", "a-b"="x\\y\n"}"#).unwrap(),
            vec![
                ("__name__".into(), "my.metric".into()),
                ("a-b".into(), "x\\y\n".into())
            ]
        );
        assert_eq!(
            parse_series(r#"{a="\q"}"#).unwrap(),
            vec![("a".into(), "\\q".into())]
        );
        assert!(parse_series("{a=b}").is_err());
        assert!(parse_series("{a=\"b\"").is_err());
        assert!(parse_series("{a}").is_err());
        assert!(parse_series("1m").is_err());
    }

    #[test]
    fn round_trip_format() {
        let l = parse_labels(r#"m{"1a"="v", b="q\"\n\\"}"#).unwrap();
        assert_eq!(l.to_string(), r#"{"1a"="v", __name__="m", b="q\"\n\\"}"#);
    }
}
