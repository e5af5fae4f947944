//! Scrape and target errors, with Prometheus' wording.

use std::fmt;

use crate::content_type::ContentTypeError;

/// Why a scrape failed. `Display` gives Prometheus' message where Prometheus has one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScrapeError {
    /// The decompressed body reached `body_size_limit` (`body size limit exceeded`).
    BodySizeLimit,
    /// More samples than `sample_limit` survived metric relabeling (`sample limit exceeded`).
    SampleLimit,
    /// `label_limit`, `label_name_length_limit` or `label_value_length_limit` was exceeded; the message is
    /// Prometheus' (`label_limit exceeded (metric: …, number of labels: …, limit: …)` and so on).
    LabelLimit(String),
    /// A series lost its `__name__` in relabeling (`missing metric name (__name__ label)`).
    MissingMetricName,
    /// A series has an invalid metric or label name under the active scheme
    /// (`invalid metric name or label names: {…}`); holds the formatted label set.
    InvalidNames(String),
    /// A label name twice in a series that reached storage (`a{__name__="b"} 1`): Prometheus' TSDB rejects it,
    /// `label name "__name__" is not unique: invalid sample`.
    DuplicateLabelName(String),
    /// The body does not parse.
    Parse(crate::Error),
    /// A native histogram has more buckets than `native_histogram_bucket_limit` even at the
    /// lowest resolution (`histogram bucket limit exceeded`).
    BucketLimit,
    /// The `Content-Type` cannot be scraped (blank, unparsable or unsupported, no fallback).
    ContentType(ContentTypeError),
    /// The `Content-Encoding` is not supported (or its feature is off).
    UnsupportedEncoding(String),
    /// The compressed stream is corrupt or truncated.
    Decode {
        /// The encoding (`gzip`, `zstd`, `br`).
        encoding: &'static str,
        /// The decoder's message.
        message: String,
    },
}

impl fmt::Display for ScrapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScrapeError::BodySizeLimit => f.write_str("body size limit exceeded"),
            ScrapeError::SampleLimit => f.write_str("sample limit exceeded"),
            ScrapeError::LabelLimit(m) => f.write_str(m),
            ScrapeError::MissingMetricName => f.write_str("missing metric name (__name__ label)"),
            ScrapeError::InvalidNames(l) => write!(f, "invalid metric name or label names: {l}"),
            ScrapeError::DuplicateLabelName(n) => {
                write!(f, "label name \"{n}\" is not unique: invalid sample")
            }
            ScrapeError::Parse(e) => write!(f, "parse error: {e}"),
            ScrapeError::BucketLimit => f.write_str("histogram bucket limit exceeded"),
            ScrapeError::ContentType(e) => write!(f, "{e}"),
            ScrapeError::UnsupportedEncoding(e) => {
                write!(f, "unsupported Content-Encoding {e:?}")
            }
            ScrapeError::Decode { encoding, message } => {
                write!(f, "invalid {encoding} body: {message}")
            }
        }
    }
}

impl std::error::Error for ScrapeError {}

/// Why a discovered target could not be turned into a scrape target (Prometheus' `PopulateLabels` errors).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TargetError {
    /// `__address__` is missing or empty after relabeling (`no address`).
    NoAddress,
    /// `__address__` holds a `/` (`"<addr>" is not a valid hostname`).
    InvalidAddress(String),
    /// `__scrape_interval__` / `__scrape_timeout__` do not parse or are inconsistent; Prometheus' message.
    Interval(String),
    /// A label value is not valid UTF-8 (cannot happen with Rust strings; kept for completeness).
    InvalidLabelValue(String),
    /// `__scrape_native_histograms__`, `__always_scrape_classic_histograms__` or
    /// `__convert_classic_histograms_to_nhcb__` is not a Go boolean after relabeling; Prometheus'
    /// message (`error parsing scrape native histograms: strconv.ParseBool: parsing "x": invalid syntax`).
    HistogramSetting(String),
    /// The job's `relabel_configs` do not compile.
    Config(String),
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::NoAddress => f.write_str("no address"),
            TargetError::InvalidAddress(a) => write!(f, "{a:?} is not a valid hostname"),
            TargetError::Interval(m)
            | TargetError::InvalidLabelValue(m)
            | TargetError::HistogramSetting(m) => f.write_str(m),
            TargetError::Config(m) => write!(f, "invalid relabel_configs: {m}"),
        }
    }
}

impl std::error::Error for TargetError {}
