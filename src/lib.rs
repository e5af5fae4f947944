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
//!   numbers, lazy unescaping), `generator` (deterministic Envoy/Istio expositions, feature
//!   `gen`), [`floatfmt`] (`%.32g`, Go `%g`).
//!
//! ```
//! let body = "# TYPE envoy_server_live gauge\nenvoy_server_live{} 1\n";
//! let live = promtext::parse_str(body)
//!     .filter_map(|e| e.ok()?.as_sample().map(|s| s.value()))
//!     .sum::<f64>();
//! assert_eq!(live, 1.0);
//! ```
#![deny(missing_docs)]
// `unsafe` lives in one fenced module (`event::located`): two `unsafe fn`s whose preconditions
// the parser's one-pass paths establish at their three call sites (each with a SAFETY comment).
#![deny(unsafe_code)]

// The stages of the data's way, bottom up: Go compatibility, byte lexing, the event
// vocabulary, the dialects (lines → events), the front ends (bytes → lines), then owned data,
// text output, relabeling, configuration and scraping.
mod dialect;
#[cfg(feature = "kubernetes")]
pub mod discovery;
mod error;
mod event;
pub mod family;
// `gen` is a reserved keyword in edition 2024, so the generator module is called `generator`;
// its sources live in `src/gen/`.
#[cfg(feature = "gen")]
#[path = "gen/mod.rs"]
pub mod generator;
pub mod go;
mod lex;
mod read;
pub mod relabel;
// The scrape layer takes its job settings from the YAML loader's types.
#[cfg(feature = "yaml")]
pub mod scrape;
mod settings;
pub mod write;

pub use dialect::{content_type, protobuf};
pub use error::{Error, ErrorKind};
pub use event::{
    Comment, Eof, Event, Exemplar, HelpLine, Label, MetricType, Sample, SampleLabels, TypeLine,
    UnitLine,
};
#[cfg(feature = "parallel")]
pub use read::parallel;
pub use read::stream::{ChunkParser, Events, ReadParser};
pub use read::whole::{Parser, parse, parse_str, parse_with};
pub use settings::{DEFAULT_MAX_LINE_LEN, Dialect, Settings, Validation};

// Paths the relabel and scrape layers still use.
#[allow(unused_imports)]
pub(crate) use go as floatfmt;
#[allow(unused_imports)]
pub(crate) use lex::escape;

// The README's examples are compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
