//! Rule lists: `relabel_configs` / `metric_relabel_configs` items, or a bare YAML list of rules.

use yaml_serde::Value;

use super::yaml::{decode, parse_value};
use crate::relabel::{ConfigError, NameValidationScheme, RelabelConfig, Stage};

/// Parses a rule list (`null` items rejected with the stage's message) without validating the rules.
pub fn rules_from_value(v: &Value, stage: Stage) -> Result<Vec<RelabelConfig>, ConfigError> {
    let (rules, has_null) = decode_rules(v)?;
    if has_null {
        return Err(ConfigError::NullRule(stage));
    }
    Ok(rules)
}

/// Decodes the rules of a list, skipping null items (and telling whether there were any): Prometheus
/// unmarshals the whole list first (the first rule that does not decode, in document order, is the error) and
/// only then rejects null rules (`ScrapeConfig.UnmarshalYAML`).
pub(super) fn decode_rules(v: &Value) -> Result<(Vec<RelabelConfig>, bool), ConfigError> {
    match v {
        Value::Null => Ok((Vec::new(), false)),
        Value::Sequence(items) => {
            let mut rules = Vec::with_capacity(items.len());
            for (index, it) in items.iter().enumerate() {
                if it.is_null() {
                    continue;
                }
                rules.push(
                    decode::<RelabelConfig>(it).map_err(|e| ConfigError::InRule {
                        index,
                        error: Box::new(e),
                    })?,
                );
            }
            let has_null = rules.len() < items.len();
            Ok((rules, has_null))
        }
        _ => Err(ConfigError::Decode(
            "relabel rules must be a list".to_string(),
        )),
    }
}

/// Parses and validates a bare YAML list of rules.
pub fn rules_from_yaml(
    text: &str,
    scheme: NameValidationScheme,
) -> Result<Vec<RelabelConfig>, ConfigError> {
    let v = parse_value(text).map_err(ConfigError::Decode)?;
    let rules = rules_from_value(&v, Stage::Target)?;
    validate_all(&rules, scheme)?;
    Ok(rules)
}

pub(super) fn validate_all(
    rules: &[RelabelConfig],
    scheme: NameValidationScheme,
) -> Result<(), ConfigError> {
    for (index, r) in rules.iter().enumerate() {
        r.validate(scheme).map_err(|e| ConfigError::InRule {
            index,
            error: Box::new(e),
        })?;
    }
    Ok(())
}
