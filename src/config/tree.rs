//! A YAML node tree with positions and tags, read from the parser's event stream.
//!
//! yaml_serde hides both the position of a node and a scalar's tag from a visitor; Go's yaml.v2 (under
//! Prometheus' config loader) uses them: every type error names its line, and a `!!binary` scalar is
//! base64-decoded into a string field. This tree is read next to the `Value` yaml_serde builds; rule lists are
//! decoded from it, and config errors point at the line and column of the offending rule or value.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use yaml_serde::Value;

/// A position in the YAML text: 1-based line and column (in characters); 0 when unknown (a tree built from a
/// `Value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl Pos {
    fn of(span: &Span) -> Pos {
        Pos {
            line: span.start.line(),
            column: span.start.col() + 1,
        }
    }

    pub(crate) fn known(self) -> bool {
        self.line > 0
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Scalar {
    /// The value (escapes and folding resolved), as yaml.v2 hands it to a string field.
    pub(crate) text: String,
    /// Written without quotes or block indicator: only then is it resolved (null, int, ...).
    pub(crate) plain: bool,
    /// The full tag (`tag:yaml.org,2002:binary` for `!!binary`), if one is written.
    pub(crate) tag: Option<String>,
    /// A literal block scalar (`|`): its lines are the text's lines.
    pub(crate) literal: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) pos: Pos,
    pub(crate) kind: Kind,
}

pub(crate) const BINARY_TAG: &str = "tag:yaml.org,2002:binary";
const NULL_TAG: &str = "tag:yaml.org,2002:null";

/// More nodes than this (aliases expanded) and no tree is built: the caller falls back to the `Value`.
const MAX_NODES: usize = 1 << 20;

impl Node {
    /// The first document's root, or `None` when the parser fails (yaml_serde has accepted the text already;
    /// the two parsers may differ on a corner of the grammar) or the tree would be too large.
    pub(crate) fn parse(text: &str) -> Option<Node> {
        let mut b = Builder {
            parser: Parser::new_from_str(text),
            anchors: HashMap::new(),
            nodes: 0,
        };
        loop {
            match b.parser.next_event()?.ok()? {
                (Event::StreamStart | Event::DocumentStart(_), _) => {}
                (Event::StreamEnd, span) => {
                    return Some(Node {
                        pos: Pos::of(&span),
                        kind: Kind::Scalar(Scalar {
                            text: String::new(),
                            plain: true,
                            tag: None,
                            literal: false,
                        }),
                    });
                }
                (ev, span) => return b.node(ev, span),
            }
        }
    }

    /// A tree without positions, for rules given as a `Value`.
    pub(crate) fn from_value(v: &Value) -> Node {
        let scalar = |text: String, plain: bool| {
            Kind::Scalar(Scalar {
                text,
                plain,
                tag: None,
                literal: false,
            })
        };
        let kind = match v {
            Value::Null => scalar(String::new(), true),
            Value::Bool(b) => scalar(b.to_string(), true),
            Value::Number(n) => scalar(n.to_string(), true),
            // Strings are values already: quoted, so that `null` stays a string.
            Value::String(s) => scalar(s.clone(), false),
            Value::Sequence(items) => Kind::Seq(items.iter().map(Node::from_value).collect()),
            Value::Mapping(m) => Kind::Map(
                m.iter()
                    .map(|(k, v)| (Node::from_value(k), Node::from_value(v)))
                    .collect(),
            ),
            Value::Tagged(t) => {
                let mut n = Node::from_value(&t.value);
                if let Kind::Scalar(s) = &mut n.kind {
                    s.tag = Some(t.tag.to_string());
                }
                n.kind
            }
        };
        Node {
            pos: Pos::default(),
            kind,
        }
    }

    /// The value of `key` in a mapping (the first one, as yaml_serde's `Value` keeps).
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(pairs) => pairs
                .iter()
                .find(|(k, _)| matches!(&k.kind, Kind::Scalar(s) if s.text == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Moves every position by `lines` and `columns`, or sets it to unknown (`None`): a document embedded in a
    /// string, whose lines are the file's only for a literal block scalar.
    pub(crate) fn shift_positions(&mut self, by: Option<(usize, usize)>) {
        self.pos = match (by, self.pos.known()) {
            (Some((l, c)), true) => Pos {
                line: self.pos.line + l,
                column: self.pos.column + c,
            },
            _ => Pos::default(),
        };
        match &mut self.kind {
            Kind::Scalar(_) => {}
            Kind::Seq(items) => items.iter_mut().for_each(|n| n.shift_positions(by)),
            Kind::Map(pairs) => pairs.iter_mut().for_each(|(k, v)| {
                k.shift_positions(by);
                v.shift_positions(by);
            }),
        }
    }

    /// Item `i` of a sequence.
    pub(crate) fn item(&self, i: usize) -> Option<&Node> {
        match &self.kind {
            Kind::Seq(items) => items.get(i),
            _ => None,
        }
    }

    /// A YAML null as yaml.v2 sees it: an untagged plain `~`, `null`, `Null`, `NULL` or nothing, or `!!null`.
    pub(crate) fn is_null(&self) -> bool {
        match &self.kind {
            Kind::Scalar(s) => match &s.tag {
                Some(t) => t == NULL_TAG,
                None => s.plain && matches!(s.text.as_str(), "" | "~" | "null" | "Null" | "NULL"),
            },
            _ => false,
        }
    }

    pub(crate) fn is_binary(&self) -> bool {
        matches!(&self.kind, Kind::Scalar(Scalar { tag: Some(t), .. }) if t == BINARY_TAG)
    }
}

struct Builder<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
}

impl Builder<'_> {
    fn node(&mut self, ev: Event<'_>, span: Span) -> Option<Node> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return None;
        }
        let pos = Pos::of(&span);
        let (anchor, node) = match ev {
            Event::Scalar(text, style, anchor, tag) => (
                anchor,
                Node {
                    pos,
                    kind: Kind::Scalar(Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain,
                        tag: tag.map(|t| format!("{}{}", t.handle, t.suffix)),
                        literal: style == ScalarStyle::Literal,
                    }),
                },
            ),
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    match self.parser.next_event()?.ok()? {
                        (Event::SequenceEnd, _) => break,
                        (ev, span) => items.push(self.node(ev, span)?),
                    }
                }
                (
                    anchor,
                    Node {
                        pos,
                        kind: Kind::Seq(items),
                    },
                )
            }
            Event::MappingStart(anchor, _) => {
                let mut pairs = Vec::new();
                loop {
                    let k = match self.parser.next_event()?.ok()? {
                        (Event::MappingEnd, _) => break,
                        (ev, span) => self.node(ev, span)?,
                    };
                    let (ev, span) = self.parser.next_event()?.ok()?;
                    let v = self.node(ev, span)?;
                    pairs.push((k, v));
                }
                (
                    anchor,
                    Node {
                        pos,
                        kind: Kind::Map(pairs),
                    },
                )
            }
            Event::Alias(id) => {
                let target = self.anchors.get(&id)?.clone();
                self.nodes = self.nodes.checked_add(count(&target))?;
                if self.nodes > MAX_NODES {
                    return None;
                }
                (0, target)
            }
            _ => return None,
        };
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Some(node)
    }
}

fn count(n: &Node) -> usize {
    match &n.kind {
        Kind::Scalar(_) => 1,
        Kind::Seq(items) => 1 + items.iter().map(count).sum::<usize>(),
        Kind::Map(pairs) => {
            1 + pairs
                .iter()
                .map(|(k, v)| count(k) + count(v))
                .sum::<usize>()
        }
    }
}

/// Go's `base64.StdEncoding.DecodeString` as yaml.v2 applies it to a `!!binary` scalar: the standard alphabet,
/// padding required, line breaks ignored.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| *b != b'\n' && *b != b'\r')
        .collect();
    if digits.len() % 4 != 0 {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(digits.len() / 4 * 3);
    let quads = digits.len() / 4;
    for (qi, q) in digits.chunks(4).enumerate() {
        let pad = q.iter().rev().take_while(|c| **c == b'=').count();
        // Padding only at the very end, at most two.
        if pad > 2 || (pad > 0 && qi + 1 != quads) {
            return None;
        }
        let mut acc = 0u32;
        for &c in &q[..4 - pad] {
            acc = acc << 6 | val(c)?;
        }
        acc <<= 6 * pad as u32;
        let bytes = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// yaml.v2's tag for a plain scalar (its `resolve`), short form, for type errors: `!!null`, `!!bool`,
/// `!!int`, `!!float` or `!!str` (timestamps are not told apart).
pub(crate) fn short_tag(s: &Scalar) -> String {
    if let Some(t) = &s.tag {
        return match t.strip_prefix("tag:yaml.org,2002:") {
            Some(rest) => format!("!!{rest}"),
            None => t.clone(),
        };
    }
    if !s.plain {
        return "!!str".into();
    }
    match resolve_plain(&s.text) {
        Resolved::Null => "!!null",
        Resolved::Bool(_) => "!!bool",
        Resolved::Int(_) => "!!int",
        Resolved::Float(_) => "!!float",
        Resolved::Str => "!!str",
    }
    .into()
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Resolved {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str,
}

/// yaml.v2's `resolve` for an untagged plain scalar (YAML 1.1 booleans, Go's integer syntax with `_`
/// removed, YAML-style floats).
pub(crate) fn resolve_plain(t: &str) -> Resolved {
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Resolved::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Resolved::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    let first = t.as_bytes()[0];
    if first == b'.' {
        return float_syntax(t).map_or(Resolved::Str, Resolved::Float);
    }
    if !(first.is_ascii_digit() || first == b'+' || first == b'-') {
        return Resolved::Str;
    }
    let plain: String = t.chars().filter(|c| *c != '_').collect();
    if let Some(i) = go_parse_int(&plain) {
        return Resolved::Int(i);
    }
    if let Some(f) = float_syntax(&plain) {
        return Resolved::Float(f);
    }
    if let Some(b) = plain.strip_prefix("0b") {
        if let Some(i) = digits(b, 2) {
            return Resolved::Int(i);
        }
    } else if let Some(b) = plain.strip_prefix("-0b") {
        if let Some(i) = digits(b, 2) {
            return Resolved::Int(-i);
        }
    }
    Resolved::Str
}

/// yaml.v2's float syntax `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, then Go's `ParseFloat`.
fn float_syntax(t: &str) -> Option<f64> {
    let b = t.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if int_digits == 0 && i == f {
            return None;
        }
    } else if int_digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    t.parse().ok()
}

/// Go's `strconv.ParseInt(s, 0, 64)`, falling back to `ParseUint(s, 0, 64)`: a sign, then `0x`, `0o`, `0b`,
/// a leading `0` (octal) or decimal digits.
fn go_parse_int(s: &str) -> Option<i128> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let v = if let Some(r) = lower.strip_prefix("0x") {
        digits(r, 16)?
    } else if let Some(r) = lower.strip_prefix("0o") {
        digits(r, 8)?
    } else if let Some(r) = lower.strip_prefix("0b") {
        digits(r, 2)?
    } else if lower.len() > 1 && lower.starts_with('0') {
        digits(&lower[1..], 8)?
    } else {
        digits(&lower, 10)?
    };
    let v = if neg { -v } else { v };
    let fits = if neg {
        v >= i64::MIN as i128
    } else {
        v <= u64::MAX as i128
    };
    fits.then_some(v)
}

fn digits(s: &str, radix: u32) -> Option<i128> {
    if s.is_empty() || s.len() > 70 {
        return None;
    }
    let mut v: i128 = 0;
    for c in s.chars() {
        v = v
            .checked_mul(radix as i128)?
            .checked_add(c.to_digit(radix)? as i128)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_as_go() {
        assert_eq!(decode_base64("YQ==").unwrap(), b"a");
        assert_eq!(decode_base64("YWJj\nZGVm\n").unwrap(), b"abcdef");
        assert_eq!(decode_base64("").unwrap(), b"");
        assert!(decode_base64("YQ").is_none());
        assert!(decode_base64("Y Q==").is_none());
        assert!(decode_base64("YQ==YQ==").is_none());
        assert!(decode_base64("Y===").is_none());
    }

    #[test]
    fn plain_scalars_resolve_as_yaml_v2() {
        assert_eq!(resolve_plain("0x1F"), Resolved::Int(31));
        assert_eq!(resolve_plain("017"), Resolved::Int(15));
        assert_eq!(resolve_plain("0o17"), Resolved::Int(15));
        assert_eq!(resolve_plain("1_000"), Resolved::Int(1000));
        assert_eq!(resolve_plain("-0b11"), Resolved::Int(-3));
        assert_eq!(resolve_plain("1.5"), Resolved::Float(1.5));
        assert_eq!(resolve_plain("1e3"), Resolved::Float(1000.0));
        assert_eq!(resolve_plain("yes"), Resolved::Bool(true));
        assert_eq!(resolve_plain("abc"), Resolved::Str);
        assert_eq!(resolve_plain("1e"), Resolved::Str);
        assert_eq!(resolve_plain("~"), Resolved::Null);
    }

    #[test]
    fn positions_and_tags() {
        let n = Node::parse("a:\n  - {x: !!binary YQ==, y: [1, 2]}\n").unwrap();
        let item = n.get("a").unwrap().item(0).unwrap();
        assert_eq!(item.pos, Pos { line: 2, column: 5 });
        let x = item.get("x").unwrap();
        assert!(x.is_binary());
        assert_eq!(x.pos, Pos { line: 2, column: 9 });
        assert_eq!(item.get("y").unwrap().item(1).unwrap().pos.column, 31);
    }
}
