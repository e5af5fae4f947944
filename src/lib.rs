//! promtext: a zero-copy, streaming parser for the Prometheus text exposition format.
#![deny(missing_docs)]

pub mod content_type;
mod error;
pub mod escape;
mod event;
mod openmetrics;
mod parser;
mod prom;
pub mod relabel;
pub mod scan;
mod stream;
pub mod value;

pub use error::{Error, ErrorKind};
pub use event::{
    Comment, Eof, Event, Exemplar, HelpLine, Label, Labels, MetricType, Sample, TypeLine, UnitLine,
};
pub use parser::{
    DEFAULT_MAX_LINE_LEN, Dialect, Parser, Settings, Validation, parse, parse_str, parse_with,
};
pub use stream::{ChunkParser, Events, ReadParser};
