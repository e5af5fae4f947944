//! Go compatibility: what Prometheus' Go code means by a float, a quoted string and a valid
//! name, in one place for the whole crate.
//!
//! - floats: [`parse_go_float`] (`strconv.ParseFloat`), [`parse_value`] (a sample value as
//!   Prometheus' text parsers take it), [`format_go_g`] (`strconv.FormatFloat(v, 'g', -1, 64)`),
//!   [`format_g32`] (C's `%.32g`, as Envoy prints bounds), [`normalize_le_quantile`];
//! - quoting: [`quote`] (`%q`, as Prometheus' messages and label-set notation print strings);
//! - names: [`is_legacy_metric_name`], [`is_legacy_label_name`].
//!
//! ```
//! use promtext::go;
//! assert_eq!(go::format_go_g(1800000.0), "1.8e+06");
//! assert_eq!(go::parse_go_float("0x1p-2"), Some(0.25));
//! assert_eq!(go::quote_str("a\tb"), r#""a\tb""#);
//! assert!(go::is_legacy_label_name("le"));
//! ```

mod float;
mod names;
mod quote;

pub use float::*;
pub use names::{is_legacy_label_name, is_legacy_metric_name};
pub use quote::{quote, quote_str};
pub(crate) use quote::{quote_bounded, write_quoted};
