//! Relabel rule configuration: Prometheus' `relabel.Config`, its defaults, its YAML/JSON shape and `Validate`.

use crate::go::{is_legacy_label_name, quote_str};
use std::fmt;
use std::sync::LazyLock;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::goregex::{self, RegexError};

/// Prometheus' default separator.
pub const DEFAULT_SEPARATOR: &str = ";";
/// Prometheus' default regex (as written by the user; it is anchored when compiled).
pub const DEFAULT_REGEX: &str = "(.*)";
/// Prometheus' default replacement.
pub const DEFAULT_REPLACEMENT: &str = "$1";

/// A relabel action. Names are matched case-insensitively when parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// Set `target_label` to the expanded `replacement` when `regex` matches.
    Replace,
    /// Drop the series unless `regex` matches.
    Keep,
    /// Drop the series if `regex` matches.
    Drop,
    /// Drop the series unless the joined source value equals the value of `target_label`.
    KeepEqual,
    /// Drop the series if the joined source value equals the value of `target_label`.
    DropEqual,
    /// Set `target_label` to `md5(joined) % modulus`.
    HashMod,
    /// Copy every label whose name matches `regex` to the name given by `replacement`.
    LabelMap,
    /// Remove every label whose name matches `regex`.
    LabelDrop,
    /// Remove every label whose name does not match `regex`.
    LabelKeep,
    /// Set `target_label` to the lower-cased joined value.
    Lowercase,
    /// Set `target_label` to the upper-cased joined value.
    Uppercase,
}

impl Action {
    /// All actions.
    pub const ALL: [Action; 11] = [
        Action::Replace,
        Action::Keep,
        Action::Drop,
        Action::KeepEqual,
        Action::DropEqual,
        Action::HashMod,
        Action::LabelMap,
        Action::LabelDrop,
        Action::LabelKeep,
        Action::Lowercase,
        Action::Uppercase,
    ];

    /// The Prometheus name (lower case), as used in error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Replace => "replace",
            Action::Keep => "keep",
            Action::Drop => "drop",
            Action::KeepEqual => "keepequal",
            Action::DropEqual => "dropequal",
            Action::HashMod => "hashmod",
            Action::LabelMap => "labelmap",
            Action::LabelDrop => "labeldrop",
            Action::LabelKeep => "labelkeep",
            Action::Lowercase => "lowercase",
            Action::Uppercase => "uppercase",
        }
    }

    /// Parses an action name case-insensitively, as Prometheus does.
    ///
    /// ```
    /// use promtext::relabel::Action;
    /// assert_eq!(Action::parse("LabelDrop"), Ok(Action::LabelDrop));
    /// assert_eq!(Action::parse("nope").unwrap_err().to_string(), r#"unknown relabel action "nope""#);
    /// ```
    pub fn parse(s: &str) -> Result<Action, ConfigError> {
        let lower = s.to_lowercase();
        Action::ALL
            .into_iter()
            .find(|a| a.as_str() == lower)
            .ok_or_else(|| ConfigError::UnknownAction(s.to_string()))
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Label-name validation scheme (`metric_name_validation_scheme`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NameValidationScheme {
    /// Any non-empty valid UTF-8 (the Prometheus 3.x default).
    #[default]
    Utf8,
    /// `[a-zA-Z_][a-zA-Z0-9_]*`.
    Legacy,
}

impl NameValidationScheme {
    /// Parses `utf8` or `legacy`.
    pub fn parse(s: &str) -> Result<Self, ConfigError> {
        match s {
            "utf8" => Ok(NameValidationScheme::Utf8),
            "legacy" => Ok(NameValidationScheme::Legacy),
            other => Err(ConfigError::InvalidScheme(other.to_string())),
        }
    }

    /// Whether `name` is a valid label name under this scheme.
    pub fn is_valid_label_name(self, name: &str) -> bool {
        match self {
            NameValidationScheme::Utf8 => !name.is_empty(),
            NameValidationScheme::Legacy => is_legacy_label_name(name),
        }
    }
}

static LEGACY_TARGET: LazyLock<regex::Regex> = LazyLock::new(|| {
    goregex::compile_anchored(r"^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$")
        .expect("static regex is valid")
        .regex
});

/// Prometheus' `relabelTargetLegacy` check for templated targets and labelmap replacements under the legacy scheme.
pub fn is_legacy_target_template(s: &str) -> bool {
    LEGACY_TARGET.is_match(s)
}

/// The `regex` of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RegexSpec {
    /// Not written: Prometheus' default regex object `(.*)`. Only this one passes the keepequal/dropequal checks.
    #[default]
    Default,
    /// Written by the user. `regex: null` is `Pattern("")`, which matches only the empty string.
    Pattern(String),
}

impl RegexSpec {
    /// The user's regex text (`(.*)` for the default).
    pub fn as_str(&self) -> &str {
        match self {
            RegexSpec::Default => DEFAULT_REGEX,
            RegexSpec::Pattern(p) => p,
        }
    }

    /// Whether this is the default regex object (not merely an equal pattern).
    pub fn is_default(&self) -> bool {
        matches!(self, RegexSpec::Default)
    }
}

/// One relabel rule, as in Prometheus' `relabel_configs` / `metric_relabel_configs`.
///
/// [`Default`] gives Prometheus' defaults: action `replace`, separator `;`, regex `(.*)`, replacement `$1`.
///
/// ```
/// use promtext::relabel::{Action, RelabelConfig};
/// let rule = RelabelConfig::new(Action::Keep).source_labels(["job"]).regex("node|envoy");
/// assert_eq!(rule.separator, ";");
/// assert!(rule.validate(Default::default()).is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelabelConfig {
    /// Labels whose values are joined with `separator`. `None` is YAML's nil (it matters for labeldrop/labelkeep).
    pub source_labels: Option<Vec<String>>,
    /// Separator between the source values.
    pub separator: String,
    /// The regex, anchored as `^(?s:…)$` when compiled.
    pub regex: RegexSpec,
    /// Modulus for hashmod.
    pub modulus: u64,
    /// Target label (a template for replace).
    pub target_label: String,
    /// Replacement template.
    pub replacement: String,
    /// The action; `None` is an explicit `action: null` (rejected by validation).
    pub action: Option<Action>,
    /// A per-rule scheme; `None` inherits the scheme passed to [`RelabelConfig::validate`]. Not part of YAML.
    pub name_validation_scheme: Option<NameValidationScheme>,
}

impl Default for RelabelConfig {
    fn default() -> Self {
        RelabelConfig {
            source_labels: None,
            separator: DEFAULT_SEPARATOR.to_string(),
            regex: RegexSpec::Default,
            modulus: 0,
            target_label: String::new(),
            replacement: DEFAULT_REPLACEMENT.to_string(),
            action: Some(Action::Replace),
            name_validation_scheme: None,
        }
    }
}

impl RelabelConfig {
    /// A rule with Prometheus' defaults and the given action.
    pub fn new(action: Action) -> Self {
        RelabelConfig {
            action: Some(action),
            ..Default::default()
        }
    }

    /// Sets `source_labels`.
    pub fn source_labels<I, S>(mut self, labels: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.source_labels = Some(labels.into_iter().map(Into::into).collect());
        self
    }

    /// Sets `separator`.
    pub fn separator(mut self, s: impl Into<String>) -> Self {
        self.separator = s.into();
        self
    }

    /// Sets `regex` (an explicit pattern, even when it equals `(.*)`).
    pub fn regex(mut self, s: impl Into<String>) -> Self {
        self.regex = RegexSpec::Pattern(s.into());
        self
    }

    /// Sets `modulus`.
    pub fn modulus(mut self, m: u64) -> Self {
        self.modulus = m;
        self
    }

    /// Sets `target_label`.
    pub fn target_label(mut self, s: impl Into<String>) -> Self {
        self.target_label = s.into();
        self
    }

    /// Sets `replacement`.
    pub fn replacement(mut self, s: impl Into<String>) -> Self {
        self.replacement = s.into();
        self
    }

    /// The source labels (empty when nil).
    pub fn sources(&self) -> &[String] {
        self.source_labels.as_deref().unwrap_or(&[])
    }

    /// Prometheus' `Validate(scheme)`, preceded by the regex compile check that Prometheus does while
    /// unmarshalling. The rule's own `name_validation_scheme` takes precedence over `scheme`.
    pub fn validate(&self, scheme: NameValidationScheme) -> Result<(), ConfigError> {
        if let RegexSpec::Pattern(p) = &self.regex {
            goregex::compile_anchored(p).map_err(ConfigError::Regex)?;
        }
        let Some(action) = self.action else {
            return Err(ConfigError::EmptyAction);
        };
        let scheme = self.name_validation_scheme.unwrap_or(scheme);
        use Action::*;
        if action == HashMod && self.modulus == 0 {
            return Err(ConfigError::ZeroModulus);
        }
        let t = &self.target_label;
        if matches!(
            action,
            Replace | HashMod | Lowercase | Uppercase | KeepEqual | DropEqual
        ) && t.is_empty()
        {
            return Err(ConfigError::MissingTarget(action));
        }
        let valid_with_vars = |s: &str| match scheme {
            NameValidationScheme::Legacy => is_legacy_target_template(s),
            NameValidationScheme::Utf8 => true,
        };
        let invalid_target = || ConfigError::InvalidTarget {
            target: t.clone(),
            action,
        };
        if action == Replace {
            let ok = if t.contains('$') {
                valid_with_vars(t)
            } else {
                scheme.is_valid_label_name(t)
            };
            if !ok {
                return Err(invalid_target());
            }
        }
        let case_or_equal = matches!(action, Lowercase | Uppercase | KeepEqual | DropEqual);
        if case_or_equal && !scheme.is_valid_label_name(t) {
            return Err(invalid_target());
        }
        if case_or_equal && self.replacement != DEFAULT_REPLACEMENT {
            return Err(ConfigError::ReplacementNotAllowed(action));
        }
        if action == LabelMap && !valid_with_vars(&self.replacement) {
            return Err(ConfigError::InvalidLabelmapReplacement(
                self.replacement.clone(),
            ));
        }
        if action == HashMod && !scheme.is_valid_label_name(t) {
            return Err(invalid_target());
        }
        if matches!(action, KeepEqual | DropEqual)
            && (!self.regex.is_default()
                || self.modulus != 0
                || self.separator != DEFAULT_SEPARATOR
                || self.replacement != DEFAULT_REPLACEMENT)
        {
            return Err(ConfigError::EqualActionExtraFields(action));
        }
        if matches!(action, LabelDrop | LabelKeep)
            && (self.source_labels.is_some()
                || !t.is_empty()
                || self.modulus != 0
                || self.separator != DEFAULT_SEPARATOR
                || self.replacement != DEFAULT_REPLACEMENT)
        {
            return Err(ConfigError::LabelKeepDropExtraFields(action));
        }
        Ok(())
    }
}

/// The relabel stage a rule list belongs to (used in null-rule messages and by the CLI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Stage {
    /// `relabel_configs`: target relabeling.
    #[default]
    Target,
    /// `metric_relabel_configs`: per-sample relabeling.
    Metric,
}

impl Stage {
    /// The scrape-config key of the stage's rules (`relabel_configs`, `metric_relabel_configs`).
    pub fn key(self) -> &'static str {
        match self {
            Stage::Target => "relabel_configs",
            Stage::Metric => "metric_relabel_configs",
        }
    }
}

/// A configuration error. `Display` gives Prometheus' message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// `relabel action cannot be empty`.
    EmptyAction,
    /// `unknown relabel action "<x>"`.
    UnknownAction(String),
    /// `field <name> not found in type relabel.plain`.
    UnknownField(String),
    /// `relabel configuration for hashmod requires non-zero modulus`.
    ZeroModulus,
    /// `relabel configuration for <action> action requires 'target_label' value`.
    MissingTarget(Action),
    /// `"<t>" is invalid 'target_label' for <action> action`.
    InvalidTarget {
        /// The target label.
        target: String,
        /// The action.
        action: Action,
    },
    /// `'replacement' can not be set for <action> action`.
    ReplacementNotAllowed(Action),
    /// `"<r>" is invalid 'replacement' for labelmap action`.
    InvalidLabelmapReplacement(String),
    /// ``<action> action requires only 'source_labels' and `target_label`, and no other fields``.
    EqualActionExtraFields(Action),
    /// `<action> action requires only 'regex', and no other fields`.
    LabelKeepDropExtraFields(Action),
    /// `error parsing regexp: …`.
    Regex(RegexError),
    /// `empty or null target relabeling rule in scrape config` (or the metric variant).
    NullRule(Stage),
    /// An unknown name-validation scheme.
    InvalidScheme(String),
    /// A YAML or type error while decoding (the decoder's message).
    Decode(String),
    /// A scrape config without `job_name`: `job_name is empty`.
    EmptyJobName,
    /// `found multiple scrape configs with job name "<x>"`.
    DuplicateJob(String),
    /// The requested job does not exist.
    JobNotFound {
        /// The requested name.
        name: String,
        /// The jobs that exist.
        available: Vec<String>,
    },
    /// Several jobs exist and none was chosen.
    AmbiguousJob(Vec<String>),
    /// The document holds no scrape jobs nor rules.
    NoRules,
    /// An error of the rule at `index` within a list (the index is reported by [`ConfigError::rule_index`]).
    InRule {
        /// Index of the rule in its list.
        index: usize,
        /// The error.
        error: Box<ConfigError>,
    },
    /// An error in the scrape config of `job` (in its `stage` rules when known).
    InJob {
        /// The job name.
        job: String,
        /// The rule list concerned, if any.
        stage: Option<Stage>,
        /// The error.
        error: Box<ConfigError>,
    },
    /// An error at a place of the YAML text: the offending value, or the rule (see [`ConfigError::position`]).
    /// `Display` shows the inner error alone.
    At {
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// The error.
        error: Box<ConfigError>,
    },
}

impl ConfigError {
    /// Wraps `error` with a position of the YAML text (unless the position is unknown, line 0).
    #[cfg(feature = "yaml")]
    pub(crate) fn at(pos: crate::config::Pos, error: ConfigError) -> ConfigError {
        if pos.line == 0 {
            return error;
        }
        ConfigError::At {
            line: pos.line,
            column: pos.column,
            error: Box::new(error),
        }
    }

    /// Where in the YAML text the error is (1-based line and column): the offending value (a regex that does
    /// not compile, an unknown action, the first of the type errors), else the rule or the job concerned.
    /// `None` for errors without a place (or rules given as a value).
    ///
    /// ```
    /// use promtext::config::ConfigDocument;
    /// let e = ConfigDocument::from_yaml("scrape_configs:\n- job_name: a\n  relabel_configs: [{source_labels: [x], regex: \"(\"}]\n").unwrap_err();
    /// assert_eq!(e.position(), Some((3, 49)));
    /// assert_eq!(e.root().to_string(), "error parsing regexp: missing closing ): `^(?s:()$`");
    /// ```
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            ConfigError::At { line, column, .. } => Some((*line, *column)),
            ConfigError::InRule { error, .. } | ConfigError::InJob { error, .. } => {
                error.position()
            }
            _ => None,
        }
    }

    /// The rule index for errors wrapped by [`ConfigError::InRule`].
    pub fn rule_index(&self) -> Option<usize> {
        match self {
            ConfigError::InRule { index, .. } => Some(*index),
            ConfigError::InJob { error, .. } | ConfigError::At { error, .. } => error.rule_index(),
            _ => None,
        }
    }

    /// The job named by a [`ConfigError::InJob`] wrapper.
    pub fn job(&self) -> Option<&str> {
        match self {
            ConfigError::InJob { job, .. } => Some(job),
            _ => None,
        }
    }

    /// The rule list named by a [`ConfigError::InJob`] wrapper.
    pub fn stage(&self) -> Option<Stage> {
        match self {
            ConfigError::InJob { stage, .. } => *stage,
            _ => None,
        }
    }

    /// The innermost error (unwrapping [`ConfigError::InRule`] and [`ConfigError::InJob`]): Prometheus' message.
    pub fn root(&self) -> &ConfigError {
        match self {
            ConfigError::InRule { error, .. }
            | ConfigError::InJob { error, .. }
            | ConfigError::At { error, .. } => error.root(),
            e => e,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::EmptyAction => f.write_str("relabel action cannot be empty"),
            ConfigError::UnknownAction(a) => write!(f, "unknown relabel action {a:?}"),
            ConfigError::UnknownField(n) => write!(f, "field {n} not found in type relabel.plain"),
            ConfigError::ZeroModulus => {
                f.write_str("relabel configuration for hashmod requires non-zero modulus")
            }
            ConfigError::MissingTarget(a) => {
                write!(
                    f,
                    "relabel configuration for {a} action requires 'target_label' value"
                )
            }
            ConfigError::InvalidTarget { target, action } => {
                write!(
                    f,
                    "{} is invalid 'target_label' for {action} action",
                    quote_str(target)
                )
            }
            ConfigError::ReplacementNotAllowed(a) => {
                write!(f, "'replacement' can not be set for {a} action")
            }
            ConfigError::InvalidLabelmapReplacement(r) => {
                write!(
                    f,
                    "{} is invalid 'replacement' for labelmap action",
                    quote_str(r)
                )
            }
            ConfigError::EqualActionExtraFields(a) => write!(
                f,
                "{a} action requires only 'source_labels' and `target_label`, and no other fields"
            ),
            ConfigError::LabelKeepDropExtraFields(a) => {
                write!(f, "{a} action requires only 'regex', and no other fields")
            }
            ConfigError::Regex(e) => e.fmt(f),
            ConfigError::NullRule(Stage::Target) => {
                f.write_str("empty or null target relabeling rule in scrape config")
            }
            ConfigError::NullRule(Stage::Metric) => {
                f.write_str("empty or null metric relabeling rule in scrape config")
            }
            ConfigError::InvalidScheme(s) => write!(
                f,
                "unknown relabel config name validation method specified, must be either '', 'legacy' or 'utf8', got {s}"
            ),
            ConfigError::Decode(m) => f.write_str(m),
            ConfigError::EmptyJobName => f.write_str("job_name is empty"),
            ConfigError::DuplicateJob(j) => {
                write!(f, "found multiple scrape configs with job name {j:?}")
            }
            ConfigError::JobNotFound { name, available } => {
                write!(
                    f,
                    "no scrape config with job name {name:?} (jobs: {})",
                    available.join(", ")
                )
            }
            ConfigError::AmbiguousJob(jobs) => {
                write!(
                    f,
                    "several scrape configs, choose one with --job: {}",
                    jobs.join(", ")
                )
            }
            ConfigError::NoRules => f.write_str("no relabel rules and no scrape configs found"),
            ConfigError::InRule { index, error } => write!(f, "rule {index}: {error}"),
            ConfigError::At { error, .. } => error.fmt(f),
            ConfigError::InJob { job, stage, error } => {
                write!(f, "job {}: ", quote_str(job))?;
                if let Some(st) = stage {
                    f.write_str(st.key())?;
                    match error.as_ref() {
                        ConfigError::InRule { index, error } => write!(f, "[{index}]: {error}"),
                        e => write!(f, ": {e}"),
                    }
                } else {
                    error.fmt(f)
                }
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// A string field that, like Go's yaml.v2, accepts any scalar (and null as "").
struct Scalar(Option<String>);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar(Some(v)))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(None))
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Scalar, D2::Error> {
                d.deserialize_any(V)
            }
        }
        d.deserialize_any(V)
    }
}

/// `modulus`, a Go `uint64` filled by yaml.v2: a null is 0, and a float in range is truncated
/// (`1.5` is 1), as Go's conversion does.
struct Modulus(u64);

impl<'de> Deserialize<'de> for Modulus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Modulus;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an unsigned integer")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Modulus, E> {
                Ok(Modulus(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Modulus, E> {
                u64::try_from(v)
                    .map(Modulus)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Modulus, E> {
                // 2^64 itself does not fit; NaN fails both comparisons.
                if (0.0..18_446_744_073_709_551_616.0).contains(&v) {
                    Ok(Modulus(v as u64))
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<Modulus, E> {
                Ok(Modulus(0))
            }
            fn visit_none<E: de::Error>(self) -> Result<Modulus, E> {
                Ok(Modulus(0))
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Modulus, D2::Error> {
                d.deserialize_any(V)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RelabelConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RelabelConfig;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a relabel rule (a mapping)")
            }
            fn visit_unit<E: de::Error>(self) -> Result<RelabelConfig, E> {
                Err(E::custom("empty or null relabeling rule"))
            }
            fn visit_none<E: de::Error>(self) -> Result<RelabelConfig, E> {
                Err(E::custom("empty or null relabeling rule"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RelabelConfig, A::Error> {
                let mut c = RelabelConfig::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "source_labels" => {
                            let v: Option<Vec<Scalar>> = map.next_value()?;
                            // Prometheus' `LabelName.UnmarshalYAML` rejects an empty name; a YAML null item
                            // never reaches it (yaml.v2 leaves the zero value).
                            if let Some(Scalar(Some(n))) = v.iter().flatten().find(|s| {
                                s.0.as_deref().is_some_and(|n| {
                                    !NameValidationScheme::Utf8.is_valid_label_name(n)
                                })
                            }) {
                                return Err(de::Error::custom(format_args!(
                                    "{} is not a valid label name",
                                    quote_str(n)
                                )));
                            }
                            c.source_labels =
                                v.map(|v| v.into_iter().map(|s| s.0.unwrap_or_default()).collect());
                        }
                        "separator" => {
                            c.separator = map.next_value::<Scalar>()?.0.unwrap_or_default()
                        }
                        "regex" => {
                            c.regex = RegexSpec::Pattern(
                                map.next_value::<Scalar>()?.0.unwrap_or_default(),
                            );
                        }
                        "modulus" => c.modulus = map.next_value::<Modulus>()?.0,
                        "target_label" => {
                            c.target_label = map.next_value::<Scalar>()?.0.unwrap_or_default()
                        }
                        "replacement" => {
                            c.replacement = map.next_value::<Scalar>()?.0.unwrap_or_default()
                        }
                        "action" => {
                            c.action = match map.next_value::<Scalar>()?.0 {
                                None => None,
                                Some(a) => Some(Action::parse(&a).map_err(de::Error::custom)?),
                            }
                        }
                        other => {
                            return Err(de::Error::custom(ConfigError::UnknownField(
                                other.to_string(),
                            )));
                        }
                    }
                }
                if let RegexSpec::Pattern(p) = &c.regex {
                    goregex::compile_anchored(p).map_err(de::Error::custom)?;
                }
                Ok(c)
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for RelabelConfig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(src) = &self.source_labels {
            m.serialize_entry("source_labels", src)?;
        }
        m.serialize_entry("separator", &self.separator)?;
        if let RegexSpec::Pattern(p) = &self.regex {
            m.serialize_entry("regex", p)?;
        }
        if self.modulus != 0 {
            m.serialize_entry("modulus", &self.modulus)?;
        }
        if !self.target_label.is_empty() {
            m.serialize_entry("target_label", &self.target_label)?;
        }
        m.serialize_entry("replacement", &self.replacement)?;
        m.serialize_entry("action", &self.action.map(Action::as_str))?;
        m.end()
    }
}
