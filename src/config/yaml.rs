//! The YAML reader under every loader: a depth guard before parsing, and typed access to mappings.

use yaml_serde::{Mapping, Value};

use crate::relabel::ConfigError;

/// Documents nested deeper than this are refused before they are parsed.
///
/// ```
/// use promtext::config::ConfigDocument;
/// let e = ConfigDocument::from_yaml(&"[".repeat(100_000)).unwrap_err();
/// assert_eq!(e.to_string(), "YAML nesting deeper than 100 levels at line 1");
/// ```
pub const MAX_YAML_DEPTH: usize = 100;

/// Parses YAML text into a value after [`check_depth`]: the YAML parser's cost grows with the square of the
/// nesting depth (100 000 `[` took half a minute) before its own recursion limit of 128 applies.
pub(super) fn parse_value(text: &str) -> Result<Value, String> {
    check_depth(text)?;
    yaml_serde::from_str(text).map_err(|e| e.to_string())
}

/// A linear, conservative estimate of the nesting depth: flow collections (`[`, `{`, outside quoted scalars
/// and comments) plus block levels (distinct indentations in force, and compact `- `/`? ` indicators on a
/// line). Errs when it exceeds [`MAX_YAML_DEPTH`].
fn check_depth(text: &str) -> Result<(), String> {
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
