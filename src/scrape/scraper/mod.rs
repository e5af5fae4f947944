//! The scrape loop: [`Scraper`] (per target, across scrapes) and [`Scrape`] (one body in progress): decoding,
//! parsing, `honor_labels` merging, metric relabeling through the per-series cache, validation and limits.

use std::borrow::Cow;
use std::io::Read;
use std::time::Instant;

use super::cache::{Cached, Collisions, Hit, ScrapeCache};
use super::config::{ScrapeConfig, ScrapeOptions};
use super::sink::{Appender, Series};
use super::validate::{over_limit, validate};
use super::{Encoding, ScrapeError, ScrapeReport, Target, decode};
use crate::config::{ProtocolSettings, ScrapeLimits};
use crate::content_type::{Format, MixedTextCheck, ScrapeProtocol, format_for_content_type};
use crate::event::{Event, Label, MetricType, Sample};
use crate::go::normalize_le_quantile;
use crate::nhcb::Converter;
use crate::relabel::naive::NaivePipeline;
use crate::relabel::{Labels, NameValidationScheme, Outcome, Relabeler};
use crate::{ChunkParser, Dialect, Settings};
use crate::{openmetrics2, protobuf};

mod formats;
#[cfg(test)]
mod known_tests;
#[cfg(test)]
mod limits_tests;

/// A scrape loop for one target: its relabeler and per-series cache persist across scrapes.
#[derive(Debug)]
pub struct Scraper {
    honor_labels: bool,
    honor_timestamps: bool,
    limits: ScrapeLimits,
    scheme: NameValidationScheme,
    options: ScrapeOptions,
    relabeler: Relabeler,
    cache: ScrapeCache,
    collisions: Collisions,
    target: Labels,
    protocols: ProtocolSettings,
    /// The reference engine, built for the rare series with `__name__` in braces too (see `build`).
    naive: Option<NaivePipeline>,
    /// The classic-histogram converter, kept between scrapes with its buffers.
    nhcb: Option<Converter>,
    /// OpenMetrics 2.0 native histograms are decoded into this (kept between scrapes).
    om2_native: openmetrics2::NativeScratch,
    /// Whether the parser checks the label limits while it reads (see `parser_limits`). Off:
    /// the scrape must report what Prometheus reports for the whole series (its final number
    /// of labels, a syntax error later in the line), so a series the parser stops is read again
    /// and nothing is saved, while the checks cost every series that passes them (a second
    /// look at each label of the lines the one-pass path takes). Kept, and tested against the
    /// scrape without it, for a scrape that may one day stop at the parser's verdict.
    early_limits: bool,
    /// Whether the parser is offered the series the cache expects next (see `Origin::Parsed`);
    /// off only in tests, which compare the scrapes with and without it.
    known_series: bool,
    /// Lines the parser took as the series the cache expected (tests only).
    #[cfg(test)]
    known_taken: u64,
}

impl Scraper {
    /// A scrape loop for `target`.
    pub fn new(config: ScrapeConfig, target: &Target) -> Scraper {
        Scraper {
            honor_labels: config.honor_labels,
            honor_timestamps: config.honor_timestamps,
            limits: config.limits,
            scheme: config.scheme,
            cache: ScrapeCache::new(
                config.options.cache_max_entries,
                config.options.cache_max_bytes,
            ),
            collisions: Collisions::new(),
            options: config.options,
            relabeler: config.metric_relabel.relabeler(),
            target: target.labels().clone(),
            // Relabeling may have changed the job's histogram settings for this target.
            protocols: ProtocolSettings {
                scrape_native_histograms: target
                    .scrape_native_histograms(config.protocols.scrape_native_histograms),
                always_scrape_classic_histograms: target.always_scrape_classic_histograms(
                    config.protocols.always_scrape_classic_histograms,
                ),
                convert_classic_histograms_to_nhcb: target.convert_classic_histograms_to_nhcb(
                    config.protocols.convert_classic_histograms_to_nhcb,
                ),
                ..config.protocols
            },
            naive: None,
            nhcb: None,
            om2_native: openmetrics2::NativeScratch::default(),
            early_limits: false,
            known_series: true,
            #[cfg(test)]
            known_taken: 0,
        }
    }

    /// The label limits the parser checks while it reads, if any. Prometheus checks them after
    /// metric relabeling, which may shrink a series; with no rules every scraped label with a
    /// value reaches that check (under its own name or a longer `exported_` one, its value
    /// unchanged but for `le` and `quantile`, which the parser leaves alone), so a series over a
    /// parser limit is over Prometheus' too. The parser reads such a line (or protobuf metric)
    /// again without the limits, so the scrape's verdict, message and report are those of the
    /// whole series, as without them.
    fn parser_limits(&self) -> Option<crate::LabelLimits> {
        if !self.early_limits || !self.relabeler.pipeline().is_empty() {
            return None;
        }
        let n = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        let limits = crate::LabelLimits {
            labels: n(self.limits.label_limit),
            name_len: n(self.limits.label_name_length_limit),
            value_len: n(self.limits.label_value_length_limit),
        };
        limits.is_set().then_some(limits)
    }

    /// The labels attached to every sample.
    pub fn target_labels(&self) -> &Labels {
        &self.target
    }

    /// Series currently cached.
    pub fn cached_series(&self) -> usize {
        self.cache.len()
    }

    /// Bytes the per-series cache counts against [`ScrapeOptions::cache_max_bytes`].
    ///
    /// ```
    /// use promtext::relabel::Pipeline;
    /// use promtext::scrape::{Discard, ScrapeConfig, Scraper, Target};
    /// let mut cfg = ScrapeConfig::new(Pipeline::new(&[], Default::default()).unwrap());
    /// cfg.options.cache_max_bytes = 4096;
    /// let mut s = Scraper::new(cfg, &Target::from_labels(&[("job", "j")]));
    /// let body: String = (0..100).map(|i| format!("m{{i=\"{i}\"}} 1\n")).collect();
    /// let report = s.scrape_bytes(body.as_bytes(), "text/plain", "", &mut Discard::default());
    /// assert!(report.up());
    /// // Series beyond the budget are scraped, but not cached.
    /// assert!(s.cached_series() < 100);
    /// assert!(s.cached_bytes() <= 4096);
    /// ```
    pub fn cached_bytes(&self) -> usize {
        self.cache.bytes()
    }

    /// Starts a scrape of a response with these `Content-Type` and `Content-Encoding` header values (blank when
    /// absent). Header problems surface as the scrape's error at the first [`Scrape::feed`] or at
    /// [`Scrape::finish`].
    pub fn begin(&mut self, content_type: &str, content_encoding: &str) -> Scrape<'_> {
        let start = Instant::now();
        self.cache.begin_scrape();
        self.collisions.begin_scrape();
        let mut report = ScrapeReport {
            sample_limit: self.limits.sample_limit,
            ..ScrapeReport::default()
        };
        let mut failed = None;
        let fallback = self.protocols.fallback_scrape_protocol.or(self
            .options
            .fallback_dialect
            .map(|d| match d {
                Dialect::OpenMetrics => ScrapeProtocol::OpenMetricsText1_0_0,
                _ => ScrapeProtocol::PrometheusText0_0_4,
            }));
        match format_for_content_type(content_type, fallback) {
            Ok(n) => {
                report.dialect = n.dialect;
                report.format = n.format;
                report.content_type_fallback = n.fallback_reason;
            }
            Err(e) => failed = Some(ScrapeError::ContentType(e)),
        }
        let body_limit = self.limits.body_size_limit;
        let decoder = match Encoding::parse(content_encoding)
            .and_then(|e| decode::Decoder::new(e, body_limit))
        {
            Ok(d) => d,
            Err(e) => {
                failed.get_or_insert(e);
                decode::Decoder::identity()
            }
        };
        let settings = Settings::default()
            .dialect(report.dialect)
            .lenient(self.options.lenient)
            .max_line_len(self.options.max_line_len)
            .allow_duplicate_labels(false);
        let limits = self.parser_limits();
        let settings = match limits {
            Some(l) => settings.scrape_label_limits(l),
            None => settings,
        };
        let nhcb = self.protocols.convert_classic_histograms_to_nhcb;
        let parser = match report.format {
            Format::Protobuf => {
                let mut pb = protobuf::Settings::default()
                    // The converter needs the classic series; it drops those not kept.
                    .classic_histograms(self.protocols.always_scrape_classic_histograms || nhcb)
                    .native_histograms(self.protocols.scrape_native_histograms);
                if let Some(l) = limits {
                    pb.label_limits = crate::dialect::limits::LimitCheck::new(l, true);
                }
                BodyParser::Protobuf(protobuf::ChunkParser::new(pb))
            }
            _ => BodyParser::Text(ChunkParser::new(settings)),
        };
        let keep = self.protocols.always_scrape_classic_histograms;
        let converter = nhcb.then(|| {
            self.nhcb
                .take()
                .unwrap_or_else(|| Converter::new(keep))
                .reset(keep)
        });
        let known_series = self.known_series
            && report.format != Format::Protobuf
            && report.dialect == Dialect::Prometheus
            && !self.options.lenient
            && converter.is_none();
        Scrape {
            parser,
            decoder,
            st: State {
                s: self,
                report,
                failed,
                sample_limit_hit: false,
                mtype: MetricType::Unknown,
                key: Vec::new(),
                positive: Vec::new(),
                negative: Vec::new(),
                mixed: MixedTextCheck::new(),
                known_series,
                nhcb: converter,
                known: None,
            },
            start,
        }
    }

    /// Scrapes a whole body held in memory.
    pub fn scrape_bytes<A: Appender>(
        &mut self,
        body: &[u8],
        content_type: &str,
        content_encoding: &str,
        app: &mut A,
    ) -> ScrapeReport {
        let mut s = self.begin(content_type, content_encoding);
        for chunk in body.chunks(64 << 10) {
            if s.feed(chunk, app).is_err() {
                break;
            }
        }
        s.finish(app)
    }

    /// Scrapes a body read from `reader` in 64 KiB chunks. A read error fails the scrape as a decode error of the
    /// identity encoding.
    pub fn scrape_reader<R: Read, A: Appender>(
        &mut self,
        mut reader: R,
        content_type: &str,
        content_encoding: &str,
        app: &mut A,
    ) -> ScrapeReport {
        let mut buf = vec![0u8; 64 << 10];
        let mut s = self.begin(content_type, content_encoding);
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if s.feed(&buf[..n], app).is_err() {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    s.fail(
                        ScrapeError::Decode {
                            encoding: "identity",
                            message: format!("reading the body: {e}"),
                        },
                        app,
                    );
                    break;
                }
            }
        }
        s.finish(app)
    }
}

/// The parser of a scrape's body, by its format (one per scrape, so the size difference of the
/// variants does not matter).
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
enum BodyParser {
    Text(ChunkParser),
    Protobuf(protobuf::ChunkParser),
}

/// One scrape in progress. Feed the body's chunks, then [`Scrape::finish`].
#[derive(Debug)]
pub struct Scrape<'s> {
    parser: BodyParser,
    decoder: decode::Decoder,
    st: State<'s>,
    start: Instant,
}

#[derive(Debug)]
struct State<'s> {
    s: &'s mut Scraper,
    report: ScrapeReport,
    failed: Option<ScrapeError>,
    sample_limit_hit: bool,
    mtype: MetricType,
    /// The cache key of a protobuf series (reused).
    key: Vec<u8>,
    /// A native histogram's buckets (reused).
    positive: Vec<(i32, f64)>,
    negative: Vec<(i32, f64)>,
    /// Whether a text body that fails has a protobuf family glued on where it fails.
    mixed: MixedTextCheck,
    /// `convert_classic_histograms_to_nhcb`: the converter (the scraper's, lent per scrape).
    nhcb: Option<Converter>,
    /// The text parser reads the strict Prometheus dialect: its samples' series are stored
    /// marked as such in the cache, which offers them back to it (see `Origin::Parsed`).
    known_series: bool,
    /// The cache slot whose series the parser found on the current event's line.
    known: Option<u32>,
}

/// Where a series' cache key comes from.
#[derive(Debug, Clone, Copy)]
enum Origin {
    /// A protobuf, OpenMetrics or converted series: looked up by its bytes.
    Other,
    /// The series of a sample the text parser accepted in the strict Prometheus dialect; with
    /// the cache slot whose series the parser found on the line (then no lookup is needed).
    /// Such keys are offered to the parser of the next scrape: a line that starts with the
    /// series expected at its position is taken without its labels read again, Prometheus'
    /// order (its scrape loop looks the series up before it parses the labels).
    Parsed(Option<u32>),
}

impl Scrape<'_> {
    /// Feeds the next chunk of the (possibly compressed) body. After the scrape has failed, returns the error and
    /// ignores the chunk.
    pub fn feed<A: Appender>(&mut self, chunk: &[u8], app: &mut A) -> Result<(), ScrapeError> {
        if let Some(e) = &self.st.failed {
            return Err(e.clone());
        }
        self.st.report.wire_bytes += chunk.len() as u64;
        let Scrape {
            parser,
            decoder,
            st,
            ..
        } = self;
        let r = decoder.feed(chunk, |bytes| st.body(parser, bytes, app));
        if let Err(e) = r {
            st.fail(e, app);
        }
        match &self.st.failed {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    fn fail<A: Appender>(&mut self, e: ScrapeError, app: &mut A) {
        self.st.fail(e, app);
    }

    /// Ends the scrape: flushes the decoder and the parser's last line, commits or rolls back the appender, updates
    /// the cache and returns the report.
    pub fn finish<A: Appender>(mut self, app: &mut A) -> ScrapeReport {
        if self.st.failed.is_none() {
            if let Err(e) = self.decoder.finish() {
                self.st.fail(e, app);
            }
        }
        if self.st.failed.is_none() {
            let Scrape { parser, st, .. } = &mut self;
            match parser {
                BodyParser::Text(parser) => {
                    if st.mixed.is_pending() {
                        if let Some(e) = st.mixed.end() {
                            st.fail(ScrapeError::Parse(e), app);
                        }
                    } else {
                        st.known = None;
                        for ev in parser.finish() {
                            let ev = match ev {
                                Err(e) if !st.s.options.lenient => {
                                    match st.mixed.on_error(e, &[]) {
                                        Some(e) => Err(e),
                                        None => match st.mixed.end() {
                                            Some(e) => Err(e),
                                            None => continue,
                                        },
                                    }
                                }
                                ev => ev,
                            };
                            if !st.event(&ev, app) {
                                break;
                            }
                        }
                        if st.failed.is_none() {
                            st.nhcb_end(false, app);
                        }
                    }
                }
                BodyParser::Protobuf(parser) => {
                    if let Err(e) = parser.finish() {
                        st.fail(ScrapeError::Parse(e), app);
                    } else {
                        st.nhcb_end(true, app);
                    }
                }
            }
        }
        if self.st.failed.is_none() && self.st.sample_limit_hit {
            self.st.fail(ScrapeError::SampleLimit, app);
        }
        let mut st = self.st;
        if let BodyParser::Text(p) = &self.parser {
            st.report.bad_lines_skipped = p.skipped_lines();
        }
        if matches!(
            st.failed,
            Some(ScrapeError::BodySizeLimit | ScrapeError::Decode { .. })
        ) {
            // Prometheus reads the whole body before parsing it: a body over the limit (or one that does not
            // decode) is never parsed, so the scrape reports 0 samples scraped, post-relabeling and added.
            st.report.samples_scraped = 0;
            st.report.samples_post_relabel = 0;
            st.report.series_added = 0;
        }
        let success = st.failed.is_none();
        if success {
            app.commit();
        }
        if let Some(c) = st.nhcb.take() {
            st.s.nhcb = Some(c);
        }
        st.s.cache.end_scrape(success);
        st.s.collisions.end_scrape(&st.s.cache);
        st.report.cache_series = st.s.cache.len() as u64;
        st.report.error = st.failed.take();
        st.report.duration = self.start.elapsed();
        st.report
    }
}

impl State<'_> {
    fn fail<A: Appender>(&mut self, e: ScrapeError, app: &mut A) {
        if self.failed.is_none() {
            self.failed = Some(e);
            app.rollback();
        }
    }

    /// Decoded body bytes: the size limit, then the parser. Returns `false` to stop decoding.
    fn body<A: Appender>(&mut self, parser: &mut BodyParser, bytes: &[u8], app: &mut A) -> bool {
        if self.failed.is_some() {
            return false;
        }
        self.report.body_bytes += bytes.len() as u64;
        let limit = self.s.limits.body_size_limit;
        if limit > 0 && self.report.body_bytes >= limit {
            self.fail(ScrapeError::BodySizeLimit, app);
            return false;
        }
        match parser {
            BodyParser::Text(parser) => {
                if self.mixed.is_pending() {
                    // The parse failed; the bytes only tell whether a protobuf family starts there.
                    if let Some(e) = self.mixed.more(bytes) {
                        self.fail(ScrapeError::Parse(e), app);
                        return false;
                    }
                    return true;
                }
                let mut events = parser.feed(bytes);
                loop {
                    let next = match self.known_series {
                        true => self.s.cache.next_parsed(),
                        false => None,
                    };
                    let mut taken = false;
                    // Borrowed where the parser left it: moved out, the event was copied.
                    let item = events.next_known(
                        next.map(|(_, key, shape, shared)| (key, shape, shared)),
                        &mut taken,
                    );
                    let Some(ev) = &item else {
                        break;
                    };
                    self.known = next.filter(|_| taken).map(|(slot, ..)| slot);
                    #[cfg(test)]
                    {
                        self.s.known_taken += taken as u64;
                    }
                    if let (Err(e), false) = (ev, self.s.options.lenient) {
                        match self.mixed.on_error(e.clone(), bytes) {
                            Some(e) => {
                                self.fail(ScrapeError::Parse(e), app);
                                return false;
                            }
                            None => return true,
                        }
                    }
                    if !self.event(ev, app) {
                        return false;
                    }
                }
                self.mixed.advance(bytes);
            }
            BodyParser::Protobuf(parser) => {
                for ev in parser.feed(bytes) {
                    if !self.pb_event(ev, app) {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// The end of the body: the converter's last histogram.
    fn nhcb_end<A: Appender>(&mut self, protobuf: bool, app: &mut A) {
        let Some(mut conv) = self.nhcb.take() else {
            return;
        };
        let r = if protobuf {
            conv.finish_protobuf().map_err(ScrapeError::Parse)
        } else {
            Ok(conv.finish())
        };
        let r = r.and_then(|ready| match conv.histogram() {
            Some(h) if ready => self.pb_histogram(&h, app),
            _ => Ok(()),
        });
        self.nhcb = Some(conv);
        if let Err(e) = r {
            self.fail(e, app);
        }
    }

    /// A float series under the cache key `key` (handed back to `self.key` for reuse); `build`
    /// makes its labels on a cache miss.
    fn keyed_series<A: Appender>(
        &mut self,
        key: Vec<u8>,
        ts: Option<i64>,
        (value, value_text): (f64, &str),
        app: &mut A,
        build: impl FnOnce(&mut Self) -> Result<Option<Labels>, ScrapeError>,
    ) -> Result<(), ScrapeError> {
        let r = self.float_series(&key, Origin::Other, ts, (value, value_text), app, build);
        self.key = key;
        r
    }

    /// A float series through the cache under the key `raw`.
    fn float_series<A: Appender>(
        &mut self,
        raw: &[u8],
        origin: Origin,
        ts: Option<i64>,
        (value, value_text): (f64, &str),
        app: &mut A,
        build: impl FnOnce(&mut Self) -> Result<Option<Labels>, ScrapeError>,
    ) -> Result<(), ScrapeError> {
        self.series(
            raw,
            origin,
            ts,
            build,
            |labels, new, app: &mut A| {
                app.append(&Series {
                    labels,
                    value,
                    value_text,
                    timestamp_ms: ts,
                    new,
                })
            },
            app,
        )
    }

    /// One parser event; `false` when the scrape failed.
    // By reference: a moved event (with its error) is copied through memory, which a
    // scrape of short Envoy lines felt.
    fn event<A: Appender>(&mut self, ev: &Result<Event<'_>, crate::Error>, app: &mut A) -> bool {
        // Tested before it is taken: taking moves the whole (large) option.
        if self.nhcb.is_some() {
            if let Some(done) = self.nhcb_event(ev, app) {
                return done;
            }
        }
        match ev {
            Ok(Event::Sample(s)) => {
                if let Err(e) = self.sample(s, app) {
                    self.fail(e, app);
                    return false;
                }
            }
            Ok(Event::Type(t)) => self.mtype = t.metric_type,
            Ok(Event::Series(s)) => {
                if let Err(e) = self.om2_sample(s, app) {
                    self.fail(e, app);
                    return false;
                }
            }
            Ok(Event::Histogram(h)) => {
                if let Err(e) = self.om2_histogram(h, app) {
                    self.fail(e, app);
                    return false;
                }
            }
            Ok(_) => {}
            Err(e) => {
                // Lenient parsers report skipped lines as errors and go on; they are counted by the parser.
                if !self.s.options.lenient {
                    self.fail(ScrapeError::Parse(e.clone()), app);
                    return false;
                }
            }
        }
        true
    }

    /// An event through the classic-histogram converter: `Some(verdict)` when that is all of
    /// it (the converter took the event, or the scrape failed), `None` when the event goes on.
    #[inline(never)]
    fn nhcb_event<A: Appender>(
        &mut self,
        ev: &Result<Event<'_>, crate::Error>,
        app: &mut A,
    ) -> Option<bool> {
        // (A lenient scrape's skipped line keeps the converter.)
        let Ok(e) = ev else {
            return None;
        };
        let mut conv = self.nhcb.take()?;
        let a = conv.push(e);
        let r = match conv.histogram() {
            Some(h) if a.histogram => self.pb_histogram(&h, app),
            _ => Ok(()),
        };
        self.nhcb = Some(conv);
        if let Err(e) = r {
            self.fail(e, app);
            return Some(false);
        }
        (!a.event).then_some(true)
    }

    fn sample<A: Appender>(&mut self, s: &Sample<'_>, app: &mut A) -> Result<(), ScrapeError> {
        self.report.samples_scraped += 1;
        let ts = if self.s.honor_timestamps {
            s.timestamp_ms()
        } else {
            None
        };
        let value = (s.value(), s.value_text());
        let origin = match self.known_series {
            true => Origin::Parsed(self.known.take()),
            false => Origin::Other,
        };
        self.float_series(s.series().as_bytes(), origin, ts, value, app, |st| {
            st.build(s.name(), s.labels())
        })
    }

    /// A sample (or native histogram) through the cache: `raw` is its cache key, `build` makes its labels on a
    /// miss, `emit` appends it.
    fn series<A: Appender>(
        &mut self,
        raw: &[u8],
        origin: Origin,
        ts: Option<i64>,
        build: impl FnOnce(&mut Self) -> Result<Option<Labels>, ScrapeError>,
        emit: impl FnOnce(&Labels, bool, &mut A),
        app: &mut A,
    ) -> Result<(), ScrapeError> {
        let lenient = self.s.options.lenient;
        let sample_limit = self.s.limits.sample_limit;
        let found = match origin {
            Origin::Parsed(Some(slot)) => Some(self.s.cache.get_slot(slot, ts)),
            _ => self.s.cache.get(raw, ts),
        };
        let parsed = matches!(origin, Origin::Parsed(_));
        match found {
            Some((Hit::Dropped, _)) => {
                self.report.cache_hits += 1;
                self.report.dropped_by_relabel += 1;
                return Ok(());
            }
            Some((Hit::Series(cached), again)) => {
                self.report.cache_hits += 1;
                self.report.samples_post_relabel += 1;
                if again && ts.is_none() {
                    // The same series twice without timestamps: Prometheus' scrape cache finds it already scraped
                    // (`scrapeCache.get`) and rejects the repeat as `duplicate sample for timestamp` without
                    // appending it, so it counts in `scrape_samples_post_metric_relabeling` (`added++`) but not
                    // against `sample_limit` (the limit appender never sees it); the first sample is stored.
                    self.report.duplicate_samples += 1;
                    return Ok(());
                }
                if over_limit(
                    &mut self.report,
                    &mut self.sample_limit_hit,
                    sample_limit,
                    lenient,
                ) {
                    return Ok(());
                }
                if !self.s.collisions.is_repeat(cached.hash, ts) {
                    emit(&cached.labels, false, app);
                }
                return Ok(());
            }
            None => {}
        }
        self.report.cache_misses += 1;
        let labels = match build(self) {
            Ok(Some(l)) => l,
            Ok(None) => {
                self.report.dropped_by_relabel += 1;
                self.s.cache.insert(raw, None, parsed);
                return Ok(());
            }
            Err(e) if lenient => {
                let _ = e;
                self.report.invalid_series_skipped += 1;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let hash = self.s.collisions.hash(&labels);
        let new_hash = self.s.collisions.built(hash, ts, &self.s.cache);
        self.report.samples_post_relabel += 1;
        if over_limit(
            &mut self.report,
            &mut self.sample_limit_hit,
            sample_limit,
            lenient,
        ) {
            self.s.collisions.not_cached(new_hash);
            return Ok(());
        }
        // A second raw series with the same labels is appended in Prometheus (and counted as added) but its
        // storage keeps the first sample.
        if !self.s.collisions.is_repeat(hash, ts) {
            emit(&labels, true, app);
        }
        self.report.series_added += 1;
        if !self
            .s
            .cache
            .insert(raw, Some(Cached::new(labels, hash, ts)), parsed)
        {
            self.s.collisions.not_cached(new_hash);
        }
        Ok(())
    }

    /// The miss path: scraped labels, `honor_labels` merge, metric relabeling, validation, label limits.
    fn build<'l>(
        &mut self,
        name: Cow<'l, str>,
        labels: impl Iterator<Item = Label<'l>>,
    ) -> Result<Option<Labels>, ScrapeError> {
        let mut pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = Vec::with_capacity(32);
        let mut empty: Vec<Cow<'_, str>> = Vec::new();
        let has_name = !name.is_empty();
        pairs.push((Cow::Borrowed("__name__"), name));
        // `a{__name__="b"}`: Prometheus' parser gives both names, the one before the braces first; rules read
        // that one (`Builder.Get` returns the first), and unless a rule sets or deletes `__name__` (which replaces
        // both) the series reaches storage with the name twice and the TSDB fails the scrape. An empty value in
        // the braces is a deletion (`Builder.Reset`): both go.
        let mut brace_name: Option<Cow<'_, str>> = None;
        for l in labels {
            if has_name && l.name == "__name__" {
                if l.value.is_empty() {
                    pairs.retain(|(n, _)| n != "__name__");
                    empty.push(l.name);
                } else {
                    brace_name = Some(l.value);
                }
                continue;
            }
            let mut v = l.value;
            let normalize = (self.mtype == MetricType::Histogram && l.name == "le")
                || (self.mtype == MetricType::Summary && l.name == "quantile");
            if normalize {
                let changed = match normalize_le_quantile(&v) {
                    Cow::Owned(o) => Some(o),
                    Cow::Borrowed(_) => None,
                };
                if let Some(o) = changed {
                    v = Cow::Owned(o);
                }
            }
            if v.is_empty() {
                empty.push(l.name);
            } else {
                pairs.push((l.name, v));
            }
        }
        merge_target(&mut pairs, &empty, &self.s.target, self.s.honor_labels);
        let labels = match self.s.relabeler.apply(&pairs) {
            Outcome::Dropped => return Ok(None),
            Outcome::Unchanged => sorted_labels(&pairs),
            Outcome::Changed(l) => l,
        };
        if labels.is_empty() {
            return Ok(None);
        }
        validate(&labels, self.s.scheme, &self.s.limits)?;
        if brace_name.is_some() {
            // Whether a rule set or deleted `__name__` (a set to the same value counts): the reference engine
            // keeps Prometheus' builder state. Built once, for such series only.
            if self.s.naive.is_none() {
                self.s.naive = NaivePipeline::from_pipeline(self.s.relabeler.pipeline()).ok();
            }
            let written = self
                .s
                .naive
                .as_ref()
                .and_then(|n| n.writes(&pairs, "__name__"))
                .unwrap_or(false);
            if !written {
                return Err(ScrapeError::DuplicateLabelName("__name__".to_string()));
            }
        }
        Ok(Some(labels))
    }
}

/// The label set of `pairs`: sorted by name, the last of a repeated name wins, empty values dropped (as
/// [`Labels::from_pairs`], without copying every pair first).
fn sorted_labels(pairs: &[(Cow<'_, str>, Cow<'_, str>)]) -> Labels {
    let mut refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(n, v)| (n.as_ref(), v.as_ref()))
        .collect();
    refs.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = Labels::new();
    let size: usize = refs.iter().map(|(n, v)| n.len() + v.len()).sum();
    out.buf.reserve_exact(size);
    out.spans.reserve_exact(refs.len());
    for (i, (n, v)) in refs.iter().enumerate() {
        let last_of_name = refs.get(i + 1).is_none_or(|next| next.0 != *n);
        if last_of_name && !v.is_empty() {
            out.push_unchecked(n, v);
        }
    }
    out
}

/// Prometheus' `mutateSampleLabels` before the relabel rules.
fn merge_target<'a>(
    pairs: &mut Vec<(Cow<'a, str>, Cow<'a, str>)>,
    empty: &[Cow<'a, str>],
    target: &Labels,
    honor_labels: bool,
) {
    if honor_labels {
        for (n, v) in target.iter() {
            let present = pairs.iter().any(|(k, _)| k == n) || empty.iter().any(|k| k == n);
            if !present {
                pairs.push((Cow::Owned(n.to_string()), Cow::Owned(v.to_string())));
            }
        }
        return;
    }
    let mut conflicts: Vec<(String, Cow<'a, str>)> = Vec::new();
    for (n, v) in target.iter() {
        match pairs.iter_mut().find(|(k, _)| k == n) {
            Some(p) => {
                let old = std::mem::replace(&mut p.1, Cow::Owned(v.to_string()));
                conflicts.push((n.to_string(), old));
            }
            None => pairs.push((Cow::Owned(n.to_string()), Cow::Owned(v.to_string()))),
        }
    }
    // resolveConflictingExposedLabels: shortest names first (stable), `exported_` prepended until the name is free.
    conflicts.sort_by_key(|(n, _)| n.len());
    for (n, v) in conflicts {
        let mut name = n;
        loop {
            name.insert_str(0, "exported_");
            let taken = pairs.iter().any(|(k, val)| *k == name && !val.is_empty());
            if !taken {
                match pairs.iter_mut().find(|(k, _)| *k == name) {
                    Some(p) => p.1 = v,
                    None => pairs.push((Cow::Owned(name), v)),
                }
                break;
            }
        }
    }
}
