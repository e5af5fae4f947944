//! What a parser accepts: dialect, validation level, limits.

/// The text dialect to parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Dialect {
    /// The Prometheus text format (`text/plain; version=0.0.4`, plus 3.x quoted names).
    #[default]
    Prometheus,
    /// OpenMetrics 1.0 text (`application/openmetrics-text; version=1.0.0`), with the quoted
    /// UTF-8 names Prometheus accepts in it.
    OpenMetrics,
    /// OpenMetrics 2.0 (rc0) text (`application/openmetrics-text; version=2.0.0`),
    /// experimental as in Prometheus: composite values, start timestamps, several exemplars
    /// (see [`openmetrics2`](crate::openmetrics2)).
    OpenMetrics2,
}

/// How much an OpenMetrics exposition is checked beyond its syntax.
///
/// ```
/// use promtext::{Settings, Validation, parse_with};
/// // A counter may not go negative: Prometheus takes it, full OpenMetrics does not.
/// let body = b"# TYPE a counter\na_total -1\n# EOF\n";
/// assert!(parse_with(body, Settings::openmetrics()).all(|e| e.is_ok()));
/// let strict = Settings::openmetrics().validation(Validation::Strict);
/// let err = parse_with(body, strict).find_map(Result::err).unwrap();
/// assert_eq!(err.kind(), promtext::ErrorKind::Semantic);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Validation {
    /// Exactly the Prometheus server's verdicts: the syntax is enforced, the semantic rules
    /// Prometheus does not check (family grouping, histogram consistency, value constraints,
    /// a trailing comma in a label set, …) are not. The default, for scraping.
    #[default]
    Prometheus,
    /// Full OpenMetrics 1.0: the syntax without Prometheus' leniencies, plus the per-family
    /// semantic checks. Applies to the OpenMetrics dialects (for OpenMetrics 2.0, the spec's
    /// MUSTs beyond the grammar, see [`openmetrics2`](crate::openmetrics2)); the Prometheus
    /// text format has no such rules and is parsed as with [`Validation::Prometheus`].
    Strict,
}

/// Parser settings. The default is Prometheus-compatible and stops at the first error.
///
/// ```
/// use promtext::{Settings, parse_with};
/// let body = b"a 1 -5\r\nbad line here\r\nb 2\r\n";
/// let mut p = parse_with(body, Settings::default().lenient(true));
/// let events: Vec<_> = p.by_ref().collect();
/// assert_eq!(events.len(), 3); // a, the error for the bad line, b
/// assert!(events[1].is_err());
/// assert_eq!(p.skipped_lines(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub(crate) dialect: Dialect,
    pub(crate) lenient: bool,
    pub(crate) max_line_len: usize,
    pub(crate) allow_duplicate_labels: bool,
    pub(crate) validation: Validation,
    pub(crate) label_limits: LabelLimits,
    /// The scrape's use of the limits (crate-internal, see `LimitCheck::scrape`): a line they
    /// stop is read again without them.
    pub(crate) limits_recheck: bool,
}

/// Limits on one series' labels (see [`Settings::label_limits`]); 0 is no limit, the default.
///
/// What counts is what Prometheus checks after it has built the series: a label with an empty
/// value is no label to Prometheus (it drops it), so it counts toward none of the limits; the
/// metric name is not a label here (Prometheus counts it as `__name__`: a scraper that wants
/// Prometheus' number allows one label less). Lengths are in bytes of the unescaped name or
/// value (Go's `len`). Exemplar labels are not series labels and are not checked.
///
/// The message follows Prometheus' `verifyLabelLimits` as far as it is known when the parser
/// stops: `number of labels` is the limit plus one (the label that passed it), and the metric
/// name is empty while a name inside the braces is still to come.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LabelLimits {
    /// The most labels a series may have (`label_limit`).
    pub labels: usize,
    /// The longest label name in bytes (`label_name_length_limit`).
    pub name_len: usize,
    /// The longest label value in bytes (`label_value_length_limit`).
    pub value_len: usize,
}

impl LabelLimits {
    /// Whether any limit is set.
    pub fn is_set(&self) -> bool {
        self.labels > 0 || self.name_len > 0 || self.value_len > 0
    }
}

/// The default maximum line length: 1 MiB.
pub const DEFAULT_MAX_LINE_LEN: usize = 1 << 20;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            dialect: Dialect::Prometheus,
            lenient: false,
            max_line_len: DEFAULT_MAX_LINE_LEN,
            allow_duplicate_labels: false,
            validation: Validation::Prometheus,
            label_limits: LabelLimits::default(),
            limits_recheck: false,
        }
    }
}

impl Settings {
    /// Prometheus text format, Prometheus-compatible verdicts, fail at the first error.
    pub fn prometheus() -> Self {
        Settings::default()
    }

    /// OpenMetrics 1.0 with Prometheus' verdicts ([`Validation::Prometheus`]): what a scraper
    /// should use for an `application/openmetrics-text` response. Like Prometheus' OpenMetrics
    /// parser it accepts duplicate label names (its storage then rejects the series); turn
    /// [`Settings::allow_duplicate_labels`] off, or use [`Validation::Strict`], to reject them.
    ///
    /// ```
    /// use promtext::{Event, Settings, parse_with};
    /// let body = b"# TYPE rq counter\nrq_total{code=\"200\"} 7 1520879607.789 # {trace_id=\"ab\"} 1\n# EOF\n";
    /// let events: Vec<_> = parse_with(body, Settings::openmetrics()).collect::<Result<_, _>>()?;
    /// let s = events[1].as_sample().unwrap();
    /// assert_eq!(s.timestamp_ms(), Some(1520879607789));
    /// assert_eq!(s.exemplar().unwrap().value(), 1.0);
    /// assert!(matches!(events[2], Event::Eof(_)));
    /// # Ok::<(), promtext::Error>(())
    /// ```
    pub fn openmetrics() -> Self {
        Settings {
            dialect: Dialect::OpenMetrics,
            allow_duplicate_labels: true,
            ..Settings::default()
        }
    }

    /// OpenMetrics 2.0 (experimental) with Prometheus' verdicts; like
    /// [`Settings::openmetrics`] it accepts duplicate label names.
    ///
    /// ```
    /// use promtext::{Event, Settings, parse_with};
    /// let body = b"# TYPE rq_total counter\nrq_total 7 st@1700000000 # {id=\"a\"} 1 1700000001 # {id=\"b\"} 2 1700000002\n# EOF\n";
    /// let events: Vec<_> = parse_with(body, Settings::openmetrics2()).collect::<Result<_, _>>()?;
    /// let Event::Series(s) = &events[1] else { unreachable!() };
    /// assert_eq!(s.start_timestamp_ms(), Some(1700000000000));
    /// assert_eq!(s.exemplars().count(), 2);
    /// # Ok::<(), promtext::Error>(())
    /// ```
    pub fn openmetrics2() -> Self {
        Settings {
            dialect: Dialect::OpenMetrics2,
            allow_duplicate_labels: true,
            ..Settings::default()
        }
    }

    /// The validation level (OpenMetrics; see [`Validation`]).
    pub fn validation(mut self, level: Validation) -> Self {
        self.validation = level;
        self
    }

    /// The dialect in use.
    pub fn get_dialect(&self) -> Dialect {
        self.dialect
    }

    /// The validation level in use.
    pub fn get_validation(&self) -> Validation {
        self.validation
    }

    /// The dialect.
    pub fn dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = dialect;
        self
    }

    /// `lenient`: accept CRLF line endings and signed timestamps, and skip bad lines (each is
    /// reported as an `Err` item and counted) instead of stopping at the first one.
    pub fn lenient(mut self, on: bool) -> Self {
        self.lenient = on;
        self
    }

    /// The maximum length of one line in bytes, without its line feed (default 1 MiB). Longer
    /// lines are an [`ErrorKind::LineTooLong`](crate::ErrorKind::LineTooLong) error; streaming parsers never buffer more.
    pub fn max_line_len(mut self, bytes: usize) -> Self {
        self.max_line_len = bytes.max(1);
        self
    }

    /// Accept duplicate label names in one series (Prometheus' parser does; its storage then
    /// fails the scrape). Off by default: `label name "b" is not unique` is an error.
    pub fn allow_duplicate_labels(mut self, on: bool) -> Self {
        self.allow_duplicate_labels = on;
        self
    }

    /// Limits on each series' labels, checked while the labels are read (default: none), as
    /// Prometheus' `label_limit`, `label_name_length_limit` and `label_value_length_limit`: a
    /// series that passes one fails with an [`ErrorKind::LabelLimit`](crate::ErrorKind::LabelLimit)
    /// error as soon as its first label over a limit is read, without reading the rest of its
    /// labels (a lenient parser skips the line). See [`LabelLimits`] for what counts.
    ///
    /// ```
    /// use promtext::{ErrorKind, LabelLimits, Settings, parse_with};
    /// let limits = LabelLimits { labels: 2, ..LabelLimits::default() };
    /// let body = b"a{x=\"1\",y=\"2\",z=\"3\",w=\"4\"} 1\n";
    /// let err = parse_with(body, Settings::default().label_limits(limits))
    ///     .find_map(Result::err)
    ///     .unwrap();
    /// assert_eq!(err.kind(), ErrorKind::LabelLimit);
    /// assert_eq!(err.column(), 15); // the third label: the first one over the limit
    /// assert_eq!(
    ///     err.message(),
    ///     "label_limit exceeded (metric: a, number of labels: 3, limit: 2)"
    /// );
    /// ```
    pub fn label_limits(mut self, limits: LabelLimits) -> Self {
        self.label_limits = limits;
        self
    }

    /// The label limits in use.
    pub fn get_label_limits(&self) -> LabelLimits {
        self.label_limits
    }

    /// The scrape's limits (see `Scraper::parser_limits`).
    #[cfg(feature = "yaml")]
    pub(crate) fn scrape_label_limits(mut self, limits: LabelLimits) -> Self {
        self.label_limits = limits;
        self.limits_recheck = true;
        self
    }

    /// Whether the lenient setting is on.
    pub fn is_lenient(&self) -> bool {
        self.lenient
    }

    /// The maximum line length.
    pub fn get_max_line_len(&self) -> usize {
        self.max_line_len
    }

    /// Whether duplicate label names are accepted.
    pub fn get_allow_duplicate_labels(&self) -> bool {
        self.allow_duplicate_labels
    }
}
