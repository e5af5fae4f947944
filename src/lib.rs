//! promtext: placeholder, filled in by the parser core.
pub mod relabel;
