//! The scrape report: the numbers Prometheus exposes as `scrape_*` series, and a few more.

use std::fmt::Write as _;
use std::time::Duration;

use super::ScrapeError;
use crate::Dialect;
use crate::content_type::{ContentTypeError, Format};
use crate::relabel::Labels;

/// What one scrape did. Failed scrapes keep the counts reached before the failure, as Prometheus reports them.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ScrapeReport {
    /// Samples parsed (`scrape_samples_scraped`).
    pub samples_scraped: u64,
    /// Samples that survived metric relabeling (`scrape_samples_post_metric_relabeling`).
    pub samples_post_relabel: u64,
    /// Samples of series not in the cache that were appended (`scrape_series_added`).
    pub series_added: u64,
    /// Samples dropped by `metric_relabel_configs`.
    pub dropped_by_relabel: u64,
    /// Bad lines skipped (lenient policy).
    pub bad_lines_skipped: u64,
    /// Series skipped for invalid names or label limits (lenient policy).
    pub invalid_series_skipped: u64,
    /// Repeated samples of a series without timestamps, not appended (Prometheus' `duplicate sample for
    /// timestamp`, which does not fail the scrape).
    pub duplicate_samples: u64,
    /// Samples skipped beyond `sample_limit` (lenient policy).
    pub samples_over_limit: u64,
    /// Bytes received (before `Content-Encoding` decoding).
    pub wire_bytes: u64,
    /// Bytes of the decoded body (`scrape_body_size_bytes`).
    pub body_bytes: u64,
    /// Wall time from the start of the scrape to its end (`scrape_duration_seconds`).
    pub duration: Duration,
    /// Per-series cache hits in this scrape.
    pub cache_hits: u64,
    /// Per-series cache misses (relabeled and validated) in this scrape.
    pub cache_misses: u64,
    /// Series cached after the scrape.
    pub cache_series: u64,
    /// The dialect parsed (text formats).
    pub dialect: Dialect,
    /// The format parsed: a text dialect or protobuf.
    pub format: Format,
    /// Native histograms among `samples_scraped` (each counts as one sample).
    pub native_histograms: u64,
    /// Why the `Content-Type` was not used, when the fallback dialect was.
    pub content_type_fallback: Option<ContentTypeError>,
    /// The configured `sample_limit` (0 = none).
    pub sample_limit: u64,
    /// Why the scrape failed (`up` is 0).
    pub error: Option<ScrapeError>,
}

impl ScrapeReport {
    /// `up`: whether the scrape succeeded.
    pub fn up(&self) -> bool {
        self.error.is_none()
    }

    /// The report as the series Prometheus writes for a target (`up`, `scrape_duration_seconds`,
    /// `scrape_samples_scraped`, `scrape_samples_post_metric_relabeling`, `scrape_series_added`, and the extra
    /// `scrape_sample_limit` and `scrape_body_size_bytes`), with the target's labels.
    ///
    /// ```
    /// use promtext::relabel::Labels;
    /// use promtext::scrape::ScrapeReport;
    /// let text = ScrapeReport::default().to_exposition(&Labels::from_pairs([("job", "x")]));
    /// assert!(text.starts_with("up{job=\"x\"} 1\n"));
    /// ```
    pub fn to_exposition(&self, target: &Labels) -> String {
        let mut labels = String::new();
        for (i, (n, v)) in target.iter().enumerate() {
            if i > 0 {
                labels.push(',');
            }
            let _ = write!(labels, "{n}=\"");
            crate::lex::escape::escape_label_value(v, &mut labels);
            labels.push('"');
        }
        let body: i64 = if matches!(self.error, Some(ScrapeError::BodySizeLimit)) {
            -1
        } else {
            self.body_bytes as i64
        };
        let mut out = String::new();
        let mut line = |name: &str, v: String| {
            let _ = writeln!(out, "{name}{{{labels}}} {v}");
        };
        line("up", u8::from(self.up()).to_string());
        line(
            "scrape_duration_seconds",
            format!("{}", self.duration.as_secs_f64()),
        );
        line("scrape_samples_scraped", self.samples_scraped.to_string());
        line(
            "scrape_samples_post_metric_relabeling",
            self.samples_post_relabel.to_string(),
        );
        line("scrape_series_added", self.series_added.to_string());
        line("scrape_sample_limit", self.sample_limit.to_string());
        line("scrape_body_size_bytes", body.to_string());
        out
    }
}
