//! Rule lists: `relabel_configs` / `metric_relabel_configs` items, or a bare YAML list of rules.

use yaml_serde::Value;

use super::yaml::{decode, parse_value};
use crate::relabel::{ConfigError, NameValidationScheme, RelabelConfig, Stage};

/// Parses a rule list (`null` items rejected with the stage's message) without validating the rules.
pub fn rules_from_value(v: &Value, stage: Stage) -> Result<Vec<RelabelConfig>, ConfigError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .map(|(index, it)| {
                if it.is_null() {
                    return Err(ConfigError::NullRule(stage));
                }
                decode::<RelabelConfig>(it).map_err(|e| ConfigError::InRule {
                    index,
                    error: Box::new(e),
                })
            })
            .collect(),
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
