//! One scrape, as Prometheus does it: target relabeling, `Content-Encoding` decoding, dialect negotiation,
//! streaming parse, `honor_labels` merging, `metric_relabel_configs` through a per-series cache, limits, and the
//! `scrape_*` report.
//!
//! The body is consumed as chunks ([`Scrape::feed`]); memory is bounded by the parser's line limit, the decoder's
//! window and the per-series cache, never by the body. Series are handed to an [`Appender`], which sees
//! [`Appender::commit`] after a successful scrape and [`Appender::rollback`] after a failed one, so nothing of a
//! failed scrape needs to be kept (Prometheus rolls its appender back the same way).
//!
//! ```
//! use promtext::config::ConfigDocument;
//! use promtext::scrape::{Collect, ScrapeConfig, Scraper, Target};
//! let doc = ConfigDocument::from_yaml(r#"
//! scrape_configs:
//! - job_name: envoy-stats
//!   metrics_path: /stats/prometheus
//!   metric_relabel_configs:
//!   - source_labels: [__name__]
//!     regex: envoy_cluster_upstream_cx_.*
//!     action: drop
//! "#).unwrap();
//! let job = &doc.jobs()[0];
//! let target = Target::from_discovered(job, &[("__address__", "10.0.0.1:15090")])?;
//! let target = target.kept().unwrap();
//! let mut scraper = Scraper::new(ScrapeConfig::from_job(job).unwrap(), target);
//! let body = "envoy_cluster_upstream_rq{cluster_name=\"a\",job=\"app\"} 3\nenvoy_cluster_upstream_cx_total{cluster_name=\"a\"} 1\n";
//! let mut out = Collect::default();
//! let report = scraper.scrape_bytes(body.as_bytes(), "text/plain; version=0.0.4", "", &mut out);
//! assert!(report.up());
//! assert_eq!(report.samples_scraped, 2);
//! assert_eq!(report.dropped_by_relabel, 1);
//! assert_eq!(
//!     out.series[0].labels.to_string(),
//!     r#"{__name__="envoy_cluster_upstream_rq", cluster_name="a", exported_job="app", instance="10.0.0.1:15090", job="envoy-stats"}"#
//! );
//! # Ok::<(), promtext::scrape::TargetError>(())
//! ```

mod cache;
mod config;
mod decode;
mod error;
mod report;
mod scraper;
mod sink;
mod target;
mod validate;

pub use config::{DEFAULT_CACHE_BYTES, DEFAULT_CACHE_ENTRIES, ScrapeConfig, ScrapeOptions};
pub use decode::Encoding;
pub use error::{ScrapeError, TargetError};
pub use report::ScrapeReport;
pub use scraper::{Scrape, Scraper};
pub use sink::{
    Appender, Collect, Discard, HistogramSeries, OwnedHistogramSeries, OwnedSeries, Series,
};
pub use target::{DEFAULT_SCRAPE_INTERVAL, DEFAULT_SCRAPE_TIMEOUT, Target, TargetOutcome};
pub(crate) use validate::clip;
