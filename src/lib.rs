//! promtext: placeholder, filled in by the parser core.
pub mod floatfmt;
// `gen` is a reserved keyword in edition 2024, so the generator module is
// called `generator`; its sources live in `src/gen/`.
#[cfg(feature = "gen")]
#[path = "gen/mod.rs"]
pub mod generator;
pub mod relabel;
