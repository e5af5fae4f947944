//! promtext: a zero-copy, streaming parser for the Prometheus text exposition format (as
//! Envoy and Istio serve it), OpenMetrics 1.0 and the protobuf exposition, with a compiled
//! Prometheus-compatible relabel pipeline.
//!
//! The root holds what a scraper needs: [`parse`] / [`parse_str`] / [`parse_with`] and
//! [`Parser`] (a complete body), [`ChunkParser`] (pushed chunks), [`ReadParser`] (any
//! `io::Read`), configured by [`Settings`] ([`Dialect`], [`Validation`]); they yield [`Event`]s
//! that borrow the input ([`Sample`], its [`SampleLabels`] of [`Label`]s, [`Exemplar`], the
//! metadata lines) or an [`Error`]. The modules, in the order of the data's way:
//!
//! - [`content_type`]: which dialect a response is (and the `Accept` header to ask with);
//!   [`protobuf`]: the delimited protobuf exposition and native histograms;
//!   `parallel`: one large body on several cores (feature `parallel`);
//! - [`family`]: samples grouped into owned metric families; [`mod@write`]: events and families
//!   back to text;
//! - [`relabel`]: Prometheus' relabeling compiled into a shareable pipeline;
//! - `config` (feature `yaml`): Prometheus YAML — relabel rules, scrape jobs, rule tests;
//!   `scrape` (feature `yaml`): a scrape of one target with its limits and report;
//!   `discovery` (feature `kubernetes`): offline pod discovery;
//! - [`go`]: what Prometheus' Go code means by a float, a quoted string and a valid name.
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
