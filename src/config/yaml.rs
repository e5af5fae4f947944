//! The YAML reader under every loader: a depth guard before parsing, and typed access to mappings.

use yaml_serde::{Mapping, Value};

use super::tree::{Kind, Node};
use crate::relabel::ConfigError;

/// Documents nested deeper than this are refused before they are parsed.
///
/// ```
/// use promtext::config::ConfigDocument;
/// let e = ConfigDocument::from_yaml(&"[".repeat(100_000)).unwrap_err();
/// assert_eq!(e.to_string(), "YAML nesting deeper than 100 levels at line 1");
/// ```
pub const MAX_YAML_DEPTH: usize = 100;

/// A parsed document: the value, and the node tree with positions and tags it was read from.
pub(super) struct Document {
    pub(super) value: Value,
    pub(super) tree: Node,
}

/// Parses YAML text after [`check_depth`]: the value (yaml_serde) and the positioned tree (the parser's events).
///
/// The values of string-typed Prometheus keys ([`SOURCE_TEXT_KEYS`]) keep their source text, as Go's yaml.v2
/// gives it to a string field: `replacement: 1.50` is `1.50` (not `1.5`), `0x1F` stays `0x1F`, `True` stays
/// `True`; a YAML null (`~`, `null`, nothing) is null. A `!!binary` scalar in a string is its decoded base64.
pub(super) fn parse_document(text: &str) -> Result<Document, String> {
    check_depth(text)?;
    use serde::de::DeserializeSeed;
    let de = yaml_serde::Deserializer::from_str(text);
    let mut value = Node_::Root.deserialize(de).map_err(|e| {
        let line = e.location().map(|l| l.line());
        go_type_error(&e.to_string(), line).unwrap_or_else(|| e.to_string())
    })?;
    let tree = match Node::parse(text) {
        Some(tree) => {
            decode_binary(&mut value, &tree).map_err(|e| e.to_string())?;
            tree
        }
        None => {
            // The two parsers disagree on this text (or it expands to a huge tree): no positions, and a
            // `!!binary` tag, which yaml_serde drops, cannot be honoured.
            reject_binary(text)?;
            Node::from_value(&value)
        }
    };
    Ok(Document { value, tree })
}

/// Replaces the text of each `!!binary` string scalar of `value` by its decoded base64, as yaml.v2 does for a
/// string field, walking the tree it was read from.
fn decode_binary(value: &mut Value, tree: &Node) -> Result<(), ConfigError> {
    match (value, &tree.kind) {
        (Value::String(s), Kind::Scalar(sc)) if tree.is_binary() => {
            *s = super::rules::binary_text(sc)?;
        }
        (Value::Sequence(items), Kind::Seq(nodes)) => {
            for (v, n) in items.iter_mut().zip(nodes) {
                decode_binary(v, n)?;
            }
        }
        (Value::Mapping(m), Kind::Map(pairs)) => {
            let mut seen: Vec<&str> = Vec::new();
            for (k, n) in pairs {
                // The value keeps the first of duplicated keys.
                let Kind::Scalar(ks) = &k.kind else { continue };
                if seen.contains(&ks.text.as_str()) {
                    continue;
                }
                seen.push(&ks.text);
                if let Some(v) = m.get_mut(ks.text.as_str()) {
                    decode_binary(v, n)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// yaml.v2's wording for a value of the wrong kind in a string field (`decoder.terror`): `yaml: unmarshal
/// errors:\n  line N: cannot unmarshal !!map into string`. `None` for other errors.
fn go_type_error(msg: &str, line: Option<usize>) -> Option<String> {
    let (_, rest) = msg.split_once("invalid type: ")?;
    let (kind, rest) = rest.split_once(", expected ")?;
    let into = if rest.starts_with("a list of strings") {
        "model.LabelNames"
    } else if rest.starts_with("a string") {
        "string"
    } else {
        return None;
    };
    let what = match kind {
        "map" => "!!map".to_string(),
        "sequence" => "!!seq".to_string(),
        k => {
            // A scalar where a list was expected: `string "a"`, with the value in backquotes.
            let v = k.strip_prefix("string ")?;
            // serde quotes it as Rust's `{:?}`; the plain cases are enough for a message.
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            format!("!!str `{}`", v.replace("\\\"", "\"").replace("\\\\", "\\"))
        }
    };
    Some(format!(
        "yaml: unmarshal errors:\n  line {}: cannot unmarshal {what} into {into}",
        line?
    ))
}

/// yaml.v2 decodes a `!!binary` scalar's base64 into a string field (`!!binary YQ==` is `a`); the YAML parser
/// here drops that tag and would keep the base64 text, a different meaning. So the tag is refused: any
/// `!!binary` (or its long form) written as a tag, outside comments, fails the load.
fn reject_binary(text: &str) -> Result<(), String> {
    const TAGS: [&str; 2] = ["!!binary", "!<tag:yaml.org,2002:binary>"];
    for (n, line) in text.lines().enumerate() {
        let b = line.as_bytes();
        let mut quote: Option<u8> = None;
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            match quote {
                Some(b'"') if c == b'\\' => i += 1,
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => {
                    let boundary = i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'[' | b'{' | b',');
                    match c {
                        b'\'' | b'"' if boundary || b[i - 1] == b':' => quote = Some(c),
                        b'#' if boundary => break,
                        b'!' if boundary => {
                            let hit = TAGS.iter().any(|t| {
                                line[i..].starts_with(t)
                                    && matches!(
                                        b.get(i + t.len()),
                                        None | Some(b' ' | b'\t' | b'\r')
                                    )
                            });
                            if hit {
                                return Err(format!(
                                    "line {}: !!binary values are not supported (Prometheus decodes their base64)",
                                    n + 1
                                ));
                            }
                        }
                        _ => {}
                    }
                }
            }
            i += 1;
        }
    }
    Ok(())
}

/// Keys whose values are Go strings (or lists of strings) in Prometheus' config structs, so yaml.v2 hands
/// them the scalar's source text whatever it looks like. Other keys keep the YAML 1.2 typing (they are
/// numbers, booleans or structures in Prometheus too).
const SOURCE_TEXT_KEYS: [&str; 9] = [
    "source_labels",
    "separator",
    "regex",
    "target_label",
    "replacement",
    "action",
    "job_name",
    "metrics_path",
    "scheme",
];

/// How a node is built: typed (`Any`), as a scalar's source text (`Text`), or as a list of those (`TextList`);
/// a rule list's items and everything in them (`Rule`) keep the first of duplicated keys (the rule decoder
/// reports them as yaml.v2 does; they take any content, decoded from the positioned tree); the document's root (`Root`) is a rule
/// list when it is a sequence.
#[derive(Clone, Copy, PartialEq)]
enum Node_ {
    Any,
    Text,
    TextList,
    RuleList,
    Rule,
    Root,
}

impl<'de> serde::de::DeserializeSeed<'de> for Node_ {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        match self {
            // `deserialize_option` resolves YAML nulls first; `visit_some` then reads the text.
            Node_::Text | Node_::TextList => d.deserialize_option(NodeVisitor(self)),
            _ => d.deserialize_any(NodeVisitor(self)),
        }
    }
}

struct NodeVisitor(Node_);

impl<'de> serde::de::Visitor<'de> for NodeVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Node_::Text => "a string",
            Node_::TextList => "a list of strings",
            _ => "any YAML value",
        })
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<Value, E> {
        // As yaml_serde's own `Value`: an integer beyond 64 bits is a float.
        Ok(Value::Number((v as f64).into()))
    }
    fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(Value::Number((v as f64).into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        match self.0 {
            // yaml_serde's `deserialize_str` gives a scalar's value without resolving its type.
            Node_::Text => d.deserialize_str(self),
            Node_::TextList => d.deserialize_seq(self),
            _ => d.deserialize_any(self),
        }
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let item = match self.0 {
            Node_::TextList => Node_::Text,
            Node_::RuleList | Node_::Root | Node_::Rule => Node_::Rule,
            _ => Node_::Any,
        };
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(v) = seq.next_element_seed(item)? {
            out.push(v);
        }
        Ok(Value::Sequence(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Mapping::new();
        while let Some(key) = map.next_key_seed(Node_::Any)? {
            let seed = match &key {
                // A rule is decoded from the positioned tree, not from this value: any content is taken here,
                // and the rule decoder reports wrong kinds and duplicates as yaml.v2 does.
                _ if self.0 == Node_::Rule => Node_::Rule,
                Value::String(k) if k == "source_labels" => Node_::TextList,
                // `rules:` is the rule list of a `promtext relabel test` file.
                Value::String(k)
                    if k == "relabel_configs" || k == "metric_relabel_configs" || k == "rules" =>
                {
                    Node_::RuleList
                }
                Value::String(k) if SOURCE_TEXT_KEYS.contains(&k.as_str()) => Node_::Text,
                _ => Node_::Any,
            };
            let value = map.next_value_seed(seed)?;
            if out.contains_key(&key) {
                if self.0 == Node_::Rule {
                    continue;
                }
                return Err(serde::de::Error::custom(format_args!(
                    "duplicate entry with key {}",
                    key_text(&key)
                )));
            }
            out.insert(key, value);
        }
        Ok(Value::Mapping(out))
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        use serde::de::VariantAccess;
        // yaml_serde presents an explicitly tagged node (`!tag value`) as an enum variant.
        let (tag, contents): (String, _) = data.variant()?;
        let value = contents.newtype_variant_seed(Node_::Any)?;
        Ok(Value::Tagged(Box::new(yaml_serde::value::TaggedValue {
            tag: yaml_serde::value::Tag::new(tag),
            value,
        })))
    }
}

fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => format!("{s:?}"),
        other => yaml_serde::to_string(other)
            .map(|s| s.trim_end().to_string())
            .unwrap_or_default(),
    }
}

/// A linear, conservative estimate of the nesting depth: flow collections (`[`, `{`, outside quoted scalars
/// and comments) plus block levels (distinct indentations in force, and compact `- `/`? ` indicators on a
/// line). Errs when it exceeds [`MAX_YAML_DEPTH`].
pub(super) fn check_depth(text: &str) -> Result<(), String> {
    let b = text.as_bytes();
    let mut flow = 0usize;
    let mut indents: Vec<usize> = Vec::new();
    // Inside a quoted scalar (which may span lines): its quote.
    let mut quote: Option<u8> = None;
    let mut line = 1usize;
    let mut i = 0;
    let too_deep = |line: usize| {
        Err(format!(
            "YAML nesting deeper than {MAX_YAML_DEPTH} levels at line {line}"
        ))
    };
    while i < b.len() {
        // The start of a line.
        let mut col = 0;
        while i < b.len() && b[i] == b' ' {
            i += 1;
            col += 1;
        }
        let content = i < b.len() && b[i] != b'\n' && b[i] != b'#' && b[i] != b'\r';
        if content && quote.is_none() && flow == 0 {
            while indents.last().is_some_and(|&c| c >= col) {
                indents.pop();
            }
            indents.push(col);
            let mut compact = 0;
            let mut k = i;
            while k + 1 < b.len() && (b[k] == b'-' || b[k] == b'?') && b[k + 1] == b' ' {
                compact += 1;
                k += 2;
                while k < b.len() && b[k] == b' ' {
                    k += 1;
                }
            }
            if indents.len() + compact > MAX_YAML_DEPTH {
                return too_deep(line);
            }
        }
        // The rest of the line. A quoted scalar or a flow collection starts only where a token does: at the
        // line's start, after `[`, `{` or `,`, or after `-`, `?` or `:` followed by a blank.
        let mut at_token = true;
        while i < b.len() && b[i] != b'\n' {
            let c = b[i];
            if let Some(q) = quote {
                if c == b'\\' && q == b'"' {
                    i += 1;
                } else if c == q {
                    if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                        i += 1;
                    } else {
                        quote = None;
                        at_token = false;
                    }
                }
                i += 1;
                continue;
            }
            let blank_after = matches!(b.get(i + 1), None | Some(b' ' | b'\t' | b'\r' | b'\n'));
            match c {
                b' ' | b'\t' | b'\r' => {}
                b'\'' | b'"' if at_token => quote = Some(c),
                b'#' if i == 0 || matches!(b[i - 1], b' ' | b'\t') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                    break;
                }
                // In block context a bracket inside a plain scalar (`regex: a[0-9]`) is text.
                b'[' | b'{' if flow > 0 || at_token => {
                    flow += 1;
                    at_token = true;
                    if indents.len() + flow > MAX_YAML_DEPTH {
                        return too_deep(line);
                    }
                }
                b']' | b'}' if flow > 0 => {
                    flow -= 1;
                    at_token = false;
                }
                b',' if flow > 0 => at_token = true,
                b'-' | b'?' | b':' if blank_after => at_token = true,
                _ => at_token = false,
            }
            i += 1;
        }
        i += 1;
        line += 1;
    }
    Ok(())
}

pub(super) fn decode<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, ConfigError> {
    yaml_serde::from_value(v.clone()).map_err(|e| ConfigError::Decode(e.to_string()))
}

/// Treats an explicit YAML `null` as the default value.
pub(super) fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    use serde::Deserialize;
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

pub(super) fn get<'v>(m: &'v Mapping, key: &str) -> Option<&'v Value> {
    m.get(key).filter(|v| !v.is_null())
}

pub(super) fn get_u64(m: &Mapping, key: &str) -> Result<u64, ConfigError> {
    match get(m, key) {
        None => Ok(0),
        Some(v) => decode::<u64>(v),
    }
}

pub(super) fn get_str(m: &Mapping, key: &str) -> Result<Option<String>, ConfigError> {
    match get(m, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(ConfigError::Decode(format!("{key} must be a string"))),
    }
}
