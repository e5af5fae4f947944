//! Rule lists: `relabel_configs` / `metric_relabel_configs` items, or a bare YAML list of rules.
//!
//! Rules are decoded from the positioned [`Node`] tree the way Go's yaml.v2 decodes them in Prometheus'
//! strict load (`yaml.UnmarshalStrict`):
//!
//! * a *type error* (a value of the wrong kind, a field written twice, an unknown field) is collected with its
//!   line and decoding goes on; all of them are reported together as `yaml: unmarshal errors:\n  line N: …`;
//! * a *fatal* error (a regex that does not compile, an unknown action, an invalid source label name, bad
//!   `!!binary` data) stops the whole load at once, and the type errors collected so far are dropped.

use yaml_serde::Value;

use super::tree::{self, Kind, Node, Pos, Resolved, Scalar};
use super::yaml::parse_document;
use crate::go::quote_str;
use crate::relabel::{Action, ConfigError, NameValidationScheme, RegexSpec, RelabelConfig, Stage};

/// One yaml.v2 type error: its message (without the `line N: ` prefix) and position, with the rule it is in.
#[derive(Debug, Clone)]
pub(super) struct TypeIssue {
    pub(super) pos: Pos,
    pub(super) msg: String,
    pub(super) index: Option<usize>,
    /// The job and rule list, when the list is a job's.
    pub(super) context: Option<(String, Option<Stage>)>,
}

/// yaml.v2's `TypeError` text over the collected issues.
pub(super) fn type_errors_text(issues: &[TypeIssue]) -> String {
    let mut s = String::from("yaml: unmarshal errors:");
    for i in issues {
        s.push_str("\n  ");
        if i.pos.known() {
            s.push_str(&format!("line {}: ", i.pos.line));
        }
        s.push_str(&i.msg);
    }
    s
}

/// A fatal error of a rule list: the rule index, the position of the offending value and the error.
#[derive(Debug)]
pub(super) struct Fatal {
    pub(super) index: Option<usize>,
    pub(super) pos: Pos,
    pub(super) error: ConfigError,
}

impl Fatal {
    /// The error wrapped with its position and rule index.
    pub(super) fn into_error(self) -> ConfigError {
        let e = ConfigError::at(self.pos, self.error);
        match self.index {
            Some(index) => ConfigError::InRule {
                index,
                error: Box::new(e),
            },
            None => e,
        }
    }
}

/// The collected type errors as one error, in document order (yaml.v2 decodes in that order), located at the
/// first one (and in its rule and job).
pub(super) fn type_error(issues: &mut [TypeIssue]) -> ConfigError {
    // Stable: without positions the order of decoding stays.
    issues.sort_by_key(|i| (i.pos.line, i.pos.column));
    let first = &issues[0];
    let e = Fatal {
        index: first.index,
        pos: first.pos,
        error: ConfigError::Decode(type_errors_text(issues)),
    }
    .into_error();
    match &first.context {
        Some((job, stage)) => ConfigError::InJob {
            job: job.clone(),
            stage: *stage,
            error: Box::new(e),
        },
        None => e,
    }
}

/// A decoded rule list: the rules that decoded without error, and the first null item (index, position).
#[derive(Debug, Default)]
pub(super) struct RuleList {
    pub(super) rules: Vec<RelabelConfig>,
    pub(super) first_null: Option<(usize, Pos)>,
}

impl RuleList {
    /// Prometheus' check after the list is unmarshalled: `empty or null … relabeling rule in scrape config`.
    pub(super) fn null_error(&self, stage: Stage) -> Option<ConfigError> {
        self.first_null.map(|(index, pos)| {
            Fatal {
                index: Some(index),
                pos,
                error: ConfigError::NullRule(stage),
            }
            .into_error()
        })
    }
}

/// Decodes a rule list node, appending type errors to `issues`; a fatal error is returned at once.
pub(super) fn decode_list(list: &Node, issues: &mut Vec<TypeIssue>) -> Result<RuleList, Fatal> {
    let mut out = RuleList::default();
    if list.is_null() {
        return Ok(out);
    }
    let items = match &list.kind {
        Kind::Seq(items) => items,
        _ => {
            issues.push(TypeIssue {
                pos: list.pos,
                msg: cannot_unmarshal(list, "[]*relabel.Config"),
                index: None,
                context: None,
            });
            return Ok(out);
        }
    };
    out.rules.reserve(items.len());
    for (index, item) in items.iter().enumerate() {
        if item.is_null() {
            out.first_null.get_or_insert((index, item.pos));
            continue;
        }
        let before = issues.len();
        let rule = decode_rule(item, index, issues)?;
        if issues.len() == before {
            out.rules.push(rule);
        }
    }
    Ok(out)
}

/// `line N: cannot unmarshal <tag>[ `value`] into <into>` without the line (yaml.v2's `terror`).
fn cannot_unmarshal(n: &Node, into: &str) -> String {
    match &n.kind {
        Kind::Map(_) => format!("cannot unmarshal !!map into {into}"),
        Kind::Seq(_) => format!("cannot unmarshal !!seq into {into}"),
        Kind::Scalar(s) => {
            let v = &s.text;
            // yaml.v2 shortens values longer than 10 bytes to their first 7 and `...`.
            let shown = if v.len() > 10 {
                let mut end = 7;
                while !v.is_char_boundary(end) {
                    end -= 1;
                }
                format!("{}...", &v[..end])
            } else {
                v.clone()
            };
            format!(
                "cannot unmarshal {} `{shown}` into {into}",
                tree::short_tag(s)
            )
        }
    }
}

/// What yaml.v2 stores in a Go string field: the scalar's text (`None` for a YAML null, which leaves the
/// zero value), a `!!binary` scalar's decoded bytes; a collection is a type error.
fn go_string(n: &Node, into: &str) -> Result<Result<Option<String>, String>, ConfigError> {
    match &n.kind {
        Kind::Scalar(s) => {
            if n.is_null() {
                Ok(Ok(None))
            } else if n.is_binary() {
                binary_text(s).map(|t| Ok(Some(t)))
            } else {
                Ok(Ok(Some(s.text.clone())))
            }
        }
        _ => Ok(Err(cannot_unmarshal(n, into))),
    }
}

/// A `!!binary` scalar's base64 decoded (yaml.v2's error when it is not base64). Go strings may hold any
/// bytes; ours are UTF-8, so bytes that are not UTF-8 are refused.
pub(super) fn binary_text(s: &Scalar) -> Result<String, ConfigError> {
    let bytes = tree::decode_base64(&s.text).ok_or_else(|| {
        ConfigError::Decode("yaml: !!binary value contains invalid base64 data".into())
    })?;
    String::from_utf8(bytes).map_err(|_| {
        ConfigError::Decode(
            "!!binary value is not valid UTF-8 (promtext keeps strings as UTF-8)".into(),
        )
    })
}

const FIELDS: [&str; 7] = [
    "source_labels",
    "separator",
    "regex",
    "modulus",
    "target_label",
    "replacement",
    "action",
];

fn push(issues: &mut Vec<TypeIssue>, pos: Pos, msg: String, index: usize) {
    issues.push(TypeIssue {
        pos,
        msg,
        index: Some(index),
        context: None,
    });
}

/// A string field: `Some(value)`, or `None` after a type error (collected; the field keeps its default).
fn string_field(
    v: &Node,
    index: usize,
    issues: &mut Vec<TypeIssue>,
) -> Result<Option<Option<String>>, Fatal> {
    let fatal = |error| Fatal {
        index: Some(index),
        pos: v.pos,
        error,
    };
    match go_string(v, "string").map_err(fatal)? {
        Ok(s) => Ok(Some(s)),
        Err(msg) => {
            push(issues, v.pos, msg, index);
            Ok(None)
        }
    }
}

fn decode_rule(
    n: &Node,
    index: usize,
    issues: &mut Vec<TypeIssue>,
) -> Result<RelabelConfig, Fatal> {
    let mut c = RelabelConfig::default();
    let fatal = |pos: Pos, error: ConfigError| Fatal {
        index: Some(index),
        pos,
        error,
    };
    let Kind::Map(pairs) = &n.kind else {
        push(issues, n.pos, cannot_unmarshal(n, "relabel.plain"), index);
        return Ok(c);
    };
    let mut done = [false; FIELDS.len()];
    for (k, v) in pairs {
        let name = match go_string(k, "string").map_err(|e| fatal(k.pos, e))? {
            Ok(name) => name.unwrap_or_default(),
            Err(msg) => {
                push(issues, k.pos, msg, index);
                continue;
            }
        };
        let Some(field) = FIELDS.iter().position(|f| *f == name) else {
            push(
                issues,
                k.pos,
                ConfigError::UnknownField(name.to_string()).to_string(),
                index,
            );
            continue;
        };
        if std::mem::replace(&mut done[field], true) {
            push(
                issues,
                k.pos,
                format!("field {name} already set in type relabel.plain"),
                index,
            );
            continue;
        }
        match FIELDS[field] {
            "source_labels" => c.source_labels = source_labels(v, index, issues)?,
            "separator" => {
                if let Some(s) = string_field(v, index, issues)? {
                    c.separator = s.unwrap_or_default();
                }
            }
            "target_label" => {
                if let Some(s) = string_field(v, index, issues)? {
                    c.target_label = s.unwrap_or_default();
                }
            }
            "replacement" => {
                if let Some(s) = string_field(v, index, issues)? {
                    c.replacement = s.unwrap_or_default();
                }
            }
            "regex" => {
                if let Some(s) = string_field(v, index, issues)? {
                    let p = s.unwrap_or_default();
                    // `Regexp.UnmarshalYAML` compiles while unmarshalling: a bad regex is fatal.
                    crate::relabel::goregex::compile_anchored(&p)
                        .map_err(|e| fatal(v.pos, ConfigError::Regex(e)))?;
                    c.regex = RegexSpec::Pattern(p);
                }
            }
            "action" => {
                if let Some(s) = string_field(v, index, issues)? {
                    c.action = match s {
                        None => None,
                        Some(a) => Some(Action::parse(&a).map_err(|e| fatal(v.pos, e))?),
                    };
                }
            }
            _ => match modulus(v) {
                Ok(m) => c.modulus = m,
                Err(msg) => push(issues, v.pos, msg, index),
            },
        }
    }
    Ok(c)
}

/// `model.LabelNames`: a list of names, each checked by `LabelName.UnmarshalYAML` (fatal when empty); a null
/// item is the zero value (never checked).
fn source_labels(
    v: &Node,
    index: usize,
    issues: &mut Vec<TypeIssue>,
) -> Result<Option<Vec<String>>, Fatal> {
    if v.is_null() {
        return Ok(None);
    }
    let Kind::Seq(items) = &v.kind else {
        issues.push(TypeIssue {
            pos: v.pos,
            msg: cannot_unmarshal(v, "model.LabelNames"),
            index: Some(index),
            context: None,
        });
        return Ok(None);
    };
    let mut out = Vec::with_capacity(items.len());
    for it in items {
        let fatal = |error| Fatal {
            index: Some(index),
            pos: it.pos,
            error,
        };
        match go_string(it, "string").map_err(fatal)? {
            Ok(None) => out.push(String::new()),
            Ok(Some(name)) => {
                if !NameValidationScheme::Utf8.is_valid_label_name(&name) {
                    return Err(fatal(ConfigError::Decode(format!(
                        "{} is not a valid label name",
                        quote_str(&name)
                    ))));
                }
                out.push(name);
            }
            // The item is left out, as yaml.v2 does with an element that did not decode.
            Err(msg) => push(issues, it.pos, msg, index),
        }
    }
    Ok(Some(out))
}

/// `modulus`, a Go `uint64`: an integer in range, or a float in range truncated (`1.5` is 1); a null is 0.
fn modulus(v: &Node) -> Result<u64, String> {
    go_uint(v, "uint64")
}

/// A Go unsigned integer field (`into` names its type in the type error) as yaml.v2 fills it.
pub(super) fn go_uint(v: &Node, into: &str) -> Result<u64, String> {
    let err = || cannot_unmarshal(v, into);
    let Kind::Scalar(s) = &v.kind else {
        return Err(err());
    };
    if v.is_null() {
        return Ok(0);
    }
    if s.tag.is_some() || !s.plain {
        // Only an untagged plain scalar resolves to a number (a quoted `"1"` is a string).
        return match (&s.tag, tree::resolve_plain(&s.text)) {
            (Some(t), Resolved::Int(i)) if t == "tag:yaml.org,2002:int" => {
                u64::try_from(i).map_err(|_| err())
            }
            _ => Err(err()),
        };
    }
    match tree::resolve_plain(&s.text) {
        Resolved::Int(i) => u64::try_from(i).map_err(|_| err()),
        // 2^64 itself does not fit; NaN fails both comparisons.
        Resolved::Float(f) if (0.0..18_446_744_073_709_551_616.0).contains(&f) => Ok(f as u64),
        _ => Err(err()),
    }
}

/// A Go `bool` field as yaml.v2 fills it: YAML 1.1 booleans (`true`, `yes`, `on`, … in three cases); a null
/// is false.
pub(super) fn go_bool(v: &Node) -> Result<bool, String> {
    let err = || cannot_unmarshal(v, "bool");
    let Kind::Scalar(s) = &v.kind else {
        return Err(err());
    };
    if v.is_null() {
        return Ok(false);
    }
    let resolved = match &s.tag {
        None if s.plain => tree::resolve_plain(&s.text),
        Some(t) if t == "tag:yaml.org,2002:bool" => tree::resolve_plain(&s.text),
        _ => return Err(err()),
    };
    match resolved {
        Resolved::Bool(b) => Ok(b),
        _ => Err(err()),
    }
}

/// Parses a rule list (`null` items rejected with the stage's message) without validating the rules.
///
/// The list is decoded as Prometheus' strict YAML load decodes it: all type errors are reported together as
/// `yaml: unmarshal errors:` (positions are unknown here, the value carries none), a fatal error (bad regex,
/// unknown action) alone.
///
/// ```
/// use promtext::config::rules_from_value;
/// use promtext::relabel::Stage;
/// let v: yaml_serde::Value = yaml_serde::from_str("[{action: keep, regex: a}, {separator: [x]}]").unwrap();
/// let e = rules_from_value(&v, Stage::Target).unwrap_err();
/// assert_eq!(e.to_string(), "rule 1: yaml: unmarshal errors:\n  cannot unmarshal !!seq into string");
/// ```
pub fn rules_from_value(v: &Value, stage: Stage) -> Result<Vec<RelabelConfig>, ConfigError> {
    rules_from_node(&Node::from_value(v), stage)
}

pub(super) fn rules_from_node(n: &Node, stage: Stage) -> Result<Vec<RelabelConfig>, ConfigError> {
    let mut issues = Vec::new();
    let list = decode_list(n, &mut issues).map_err(Fatal::into_error)?;
    if !issues.is_empty() {
        return Err(type_error(&mut issues));
    }
    if let Some(e) = list.null_error(stage) {
        return Err(e);
    }
    Ok(list.rules)
}

/// Parses and validates a bare YAML list of rules.
///
/// ```
/// use promtext::config::rules_from_yaml;
/// let e = rules_from_yaml("- regex: a\n  regex: b\n  bogus: 1\n", Default::default()).unwrap_err();
/// assert_eq!(
///     e.to_string(),
///     "rule 0: yaml: unmarshal errors:\n  line 2: field regex already set in type relabel.plain\n  line 3: field bogus not found in type relabel.plain"
/// );
/// assert_eq!(e.position(), Some((2, 3)));
/// ```
pub fn rules_from_yaml(
    text: &str,
    scheme: NameValidationScheme,
) -> Result<Vec<RelabelConfig>, ConfigError> {
    let doc = parse_document(text).map_err(ConfigError::Decode)?;
    let rules = rules_from_node(&doc.tree, Stage::Target)?;
    validate_all(&rules, &doc.tree, scheme)?;
    Ok(rules)
}

/// Validates each rule (Prometheus' `Validate`), the error located at its rule in `list` (when known).
pub(super) fn validate_all(
    rules: &[RelabelConfig],
    list: &Node,
    scheme: NameValidationScheme,
) -> Result<(), ConfigError> {
    // The decoded rules skip null items; they are rejected before validation, so indexes agree.
    for (index, r) in rules.iter().enumerate() {
        r.validate(scheme).map_err(|e| {
            let pos = list.item(index).map(|n| n.pos).unwrap_or_default();
            Fatal {
                index: Some(index),
                pos,
                error: e,
            }
            .into_error()
        })?;
    }
    Ok(())
}
