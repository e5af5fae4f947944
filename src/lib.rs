#![doc = include_str!("../docs/crate-guide.md")]
// docs.rs builds with `--cfg docsrs`: feature-gated items get their feature badge.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
// `unsafe` lives in one fenced module (`event::located`): two `unsafe fn`s whose preconditions
// the parser's one-pass paths establish at their three call sites (each with a SAFETY comment),
// and a safe wrapper of the CPU's prefetch hint.
#![deny(unsafe_code)]

// The stages of the data's way, bottom up: Go compatibility, byte lexing, the event
// vocabulary, the dialects (lines → events), the front ends (bytes → lines), then owned data,
// text output, relabeling, configuration and scraping.
mod dialect;
// Prometheus YAML configuration: scrape jobs, rule lists, units, rule tests.
#[cfg(feature = "yaml")]
pub mod config;
#[cfg(feature = "kubernetes")]
pub mod discovery;
mod error;
mod event;
pub mod family;
pub mod go;
mod lex;
mod read;
pub mod relabel;
// The scrape layer takes its job settings from the configuration's types.
#[cfg(feature = "yaml")]
pub mod scrape;
mod settings;
pub mod write;

pub use dialect::{content_type, nhcb, openmetrics2, protobuf};
pub use error::{Error, ErrorKind};
pub use event::{
    Comment, Eof, Event, Exemplar, HelpLine, Label, MetricType, Sample, SampleLabels, TypeLine,
    UnitLine,
};
#[cfg(feature = "parallel")]
pub use read::parallel;
pub use read::stream::{ChunkParser, Events, ReadParser};
pub use read::whole::{Parser, parse, parse_str, parse_with};
pub use settings::{DEFAULT_MAX_LINE_LEN, Dialect, LabelLimits, Settings, Validation};

/// Checks of internal paths for the fuzz targets (feature `fuzzing`); not an interface.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod __fuzzing {
    pub use crate::read::stream::known_check::known_series_agree;
}

// The README's examples are compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
