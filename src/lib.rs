//! promtext: a zero-copy, streaming parser for the Prometheus text exposition format.
#![deny(missing_docs)]

pub mod content_type;
mod error;
pub mod escape;
mod event;
pub mod family;
pub mod floatfmt;
// `gen` is a reserved keyword in edition 2024, so the generator module is called `generator`;
// its sources live in `src/gen/`.
#[cfg(feature = "gen")]
#[path = "gen/mod.rs"]
pub mod generator;
mod openmetrics;
mod parser;
mod prom;
pub mod relabel;
pub mod scan;
mod stream;
pub mod value;
pub mod write;

pub use error::{Error, ErrorKind};
pub use event::{
    Comment, Eof, Event, Exemplar, HelpLine, Label, Labels, MetricType, Sample, TypeLine, UnitLine,
};
pub use parser::{
    DEFAULT_MAX_LINE_LEN, Dialect, Parser, Settings, Validation, parse, parse_str, parse_with,
};
pub use stream::{ChunkParser, Events, ReadParser};
