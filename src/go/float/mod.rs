//! Float formatting the way Envoy and Go print numbers.
//!
//! Three number dialects meet in an Envoy/Istio scrape:
//!
//! * Envoy prints histogram bounds, `_sum` values and summary quantiles with
//!   C++ `fmt::format("{:.32g}")`, which is C `printf("%.32g")`:
//!   [`format_g32`] / [`write_g32`].
//! * Go's client_golang (Istio's port 15020 agent block) prints floats with
//!   `strconv.FormatFloat(v, 'g', -1, 64)`: [`format_go_g`] / [`write_go_g`].
//! * Prometheus 3.x re-renders `le` and `quantile` label values through Go's
//!   `ParseFloat` and shortest `%g` (format.md §1.11):
//!   [`normalize_le_quantile`].
//!
//! Everything here is built on Rust's own float formatting, which is exact
//! when a precision is given (`{:.31e}` yields the exact decimal expansion
//! rounded half-to-even to 32 significant digits, as glibc does) and shortest
//! round-trip otherwise (`{:e}`).
//!
//! ```
//! use promtext::go::{format_g32, format_go_g, normalize_le_quantile};
//!
//! assert_eq!(format_g32(0.1), "0.10000000000000000555111512312578");
//! assert_eq!(format_g32(3600000.0), "3600000");
//! assert_eq!(format_go_g(1800000.0), "1.8e+06");
//! assert_eq!(normalize_le_quantile("1800000"), "1.8e+06");
//! assert_eq!(normalize_le_quantile("1"), "1.0");
//! ```

//!
//! Parsing: Sample values and timestamps, with Go `strconv` acceptance rules.  Prometheus parses values with `strconv.ParseFloat` after rejecting `p`, `P` and `_`. Rust's `f64::from_str` differs in two ways that are corrected here: it accepts signed NaN and it returns infinity on overflow where Go reports "value out of range".

mod format;
mod parse;
#[cfg(test)]
mod tests;

pub use format::*;
pub use parse::*;
