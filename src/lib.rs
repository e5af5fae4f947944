//! promtext: a zero-copy, streaming parser for the Prometheus text exposition format (as
//! Envoy and Istio serve it) and OpenMetrics 1.0, with a compiled Prometheus-compatible relabel
//! pipeline.
//!
//! The data's way through the crate, one module per stage:
//!
//! - bytes → lines: [`Parser`] (a complete body), [`ChunkParser`] (pushed chunks),
//!   [`ReadParser`] (any `io::Read`), all configured by [`Settings`]; `parallel` parses one
//!   large body on several cores (feature `parallel`);
//! - lines → events: the Prometheus text dialect and OpenMetrics ([`Dialect`]), yielding [`Event`]s that
//!   borrow the input ([`Sample`], [`Labels`], [`Exemplar`], metadata);
//! - events → owned data: [`family`] groups samples into metric families, [`mod@write`] renders
//!   them back to text;
//! - label sets → [`relabel`]: Prometheus' relabeling compiled into a shareable pipeline;
//! - protobuf bodies → events: [`protobuf`] (delimited `MetricFamily` messages, native
//!   histograms), with its writer;
//! - helpers: [`content_type`] (dialect negotiation), [`value`] and [`escape`] (Go-compatible
//!   numbers, lazy unescaping), [`floatfmt`] (`%.32g`, Go `%g`). Deterministic Envoy/Istio
//!   expositions for tests and benches come from the `promtext-gen` crate.
//!
//! ```
//! let body = "# TYPE envoy_server_live gauge\nenvoy_server_live{} 1\n";
//! let live = promtext::parse_str(body)
//!     .filter_map(|e| e.ok()?.as_sample().map(|s| s.value()))
//!     .sum::<f64>();
//! assert_eq!(live, 1.0);
//! ```
#![deny(missing_docs)]
// `unsafe` is allowed in one fenced module only (see `located`).
#![deny(unsafe_code)]

pub mod content_type;
#[cfg(feature = "kubernetes")]
pub mod discovery;
mod dup_labels;
mod error;
pub mod escape;
mod event;
pub mod family;
pub mod floatfmt;
#[allow(unsafe_code)]
mod located;
mod openmetrics;
#[cfg(feature = "parallel")]
pub mod parallel;
mod parser;
mod prom;
pub mod protobuf;
pub mod relabel;
pub mod scan;
// The scrape layer takes its job settings from the YAML loader's types.
#[cfg(feature = "yaml")]
pub mod scrape;
mod stream;
mod structural;
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

// The README's examples are compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
