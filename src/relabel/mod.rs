//! Relabeling.
pub(crate) mod case;
pub mod goregex;
pub(crate) mod template;
pub mod config;
pub mod labels;
pub(crate) mod matcher;
pub mod pipeline;
pub use config::{Action, ConfigError, NameValidationScheme, RegexSpec, RelabelConfig, Stage};
pub use goregex::RegexError;
pub use labels::Labels;
pub use pipeline::{CompileOptions, Explanation, Outcome, Pipeline, Relabeler, Step};
pub mod notation;
#[cfg(feature = "yaml")]
pub mod yaml;
pub mod naive;
pub mod cache;
#[cfg(feature = "yaml")]
pub mod rtest;
pub(crate) mod strcmp;
