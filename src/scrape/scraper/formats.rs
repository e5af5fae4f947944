//! The scrape loop's readers of the protobuf exposition and of OpenMetrics 2.0: their series
//! keys, samples and native histograms, on top of the text path's cache and label building.

use std::borrow::Cow;

use super::{Origin, State};
use crate::event::Label;
use crate::scrape::ScrapeError;
use crate::scrape::sink::{Appender, HistogramSeries};
use crate::scrape::validate::reduce_resolution;
use crate::{openmetrics2, protobuf};

impl State<'_> {
    /// One protobuf event; `false` when the scrape failed (a protobuf error always fails it).
    pub(super) fn pb_event<A: Appender>(
        &mut self,
        ev: Result<protobuf::Event<'_>, crate::Error>,
        app: &mut A,
    ) -> bool {
        // Tested before it is taken: taking moves the whole (large) option.
        if let (true, Ok(e)) = (self.nhcb.is_some(), &ev) {
            let mut conv = self.nhcb.take().expect("tested");
            let r = conv
                .push_protobuf(e)
                .map_err(ScrapeError::Parse)
                .and_then(|a| {
                    if a.histogram {
                        if let Some(h) = conv.histogram() {
                            self.pb_histogram(&h, app)?;
                        }
                    }
                    Ok(a.event)
                });
            self.nhcb = Some(conv);
            match r {
                Ok(true) => {}
                Ok(false) => return true,
                Err(e) => {
                    self.fail(e, app);
                    return false;
                }
            }
        }
        let r = match ev {
            Ok(protobuf::Event::Sample(s)) => self.pb_sample(&s, app),
            Ok(protobuf::Event::Histogram(h)) => self.pb_histogram(&h, app),
            Ok(protobuf::Event::Type(t)) => {
                self.mtype = t.metric_type;
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) => Err(ScrapeError::Parse(e)),
        };
        match r {
            Ok(()) => true,
            Err(e) => {
                self.fail(e, app);
                false
            }
        }
    }

    /// A cache key's start, in the reused key buffer: the marker of its kind, then the name.
    fn key_head(&mut self, marker: u8, name: protobuf::Name<'_>) -> Vec<u8> {
        let mut key = std::mem::take(&mut self.key);
        key.clear();
        key.push(marker);
        key.extend_from_slice(name.family.as_bytes());
        key.extend_from_slice(name.suffix.as_bytes());
        key
    }

    /// The cache key of a protobuf series: name, labels, separators no UTF-8 text holds.
    fn pb_key<'x>(
        &mut self,
        marker: u8,
        name: protobuf::Name<'_>,
        labels: impl Iterator<Item = Label<'x>>,
    ) -> Vec<u8> {
        let mut key = self.key_head(marker, name);
        for l in labels {
            key.push(0xfe);
            key.extend_from_slice(l.name.as_bytes());
            key.push(0xfd);
            key.extend_from_slice(l.value.as_bytes());
        }
        key
    }

    /// The cache key of a protobuf series whose labels are all in its metric's leading pairs
    /// (`run`, what encoders write): their bytes copied at once, which determine the labels
    /// exactly, instead of a walk over them; `extra`, a bucket's `le` (0xfd) or a quantile
    /// (0xfc). Its marker and separators are bytes that neither UTF-8 nor the pairs' framing
    /// holds, so the key is never another series' key.
    fn pb_run_key(
        &mut self,
        marker: u8,
        name: protobuf::Name<'_>,
        run: &[u8],
        extra: Option<(u8, &str)>,
    ) -> Vec<u8> {
        let mut key = self.key_head(marker, name);
        key.push(0xfe);
        key.extend_from_slice(run);
        if let Some((sep, value)) = extra {
            key.push(sep);
            key.extend_from_slice(value.as_bytes());
        }
        key
    }

    fn pb_sample<A: Appender>(
        &mut self,
        s: &protobuf::Sample<'_>,
        app: &mut A,
    ) -> Result<(), ScrapeError> {
        self.report.samples_scraped += 1;
        let key = match s.more {
            false => {
                let sep = match s.series() {
                    protobuf::Series::Bucket => 0xfd,
                    _ => 0xfc,
                };
                let extra = s.bound_label().map(|v| (sep, v));
                self.pb_run_key(0xfa, s.name(), s.run.as_bytes(), extra)
            }
            true => self.pb_key(0xff, s.name(), s.labels()),
        };
        let ts = if self.s.honor_timestamps {
            s.timestamp_ms()
        } else {
            None
        };
        self.keyed_series(key, ts, (s.value(), ""), app, |st| {
            st.build(Cow::Owned(s.name().to_string()), s.labels())
        })
    }

    pub(super) fn pb_histogram<A: Appender>(
        &mut self,
        h: &protobuf::NativeHistogram<'_>,
        app: &mut A,
    ) -> Result<(), ScrapeError> {
        self.report.samples_scraped += 1;
        self.report.native_histograms += 1;
        let name = protobuf::Name {
            family: h.name(),
            suffix: "",
        };
        let labels = || {
            h.labels().map(|(n, v)| Label {
                name: Cow::Borrowed(n),
                value: Cow::Borrowed(v),
            })
        };
        let key = match h.rest.is_empty() {
            true => self.pb_run_key(0xf9, name, h.run.as_bytes(), None),
            false => self.pb_key(0xfc, name, labels()),
        };
        let ts = if self.s.honor_timestamps {
            h.timestamp_ms()
        } else {
            None
        };
        let mut pos = std::mem::take(&mut self.positive);
        let mut neg = std::mem::take(&mut self.negative);
        pos.clear();
        neg.clear();
        pos.extend(h.positive_buckets().map(|b| (b.index, b.count)));
        neg.extend(h.negative_buckets().map(|b| (b.index, b.count)));
        let mut schema = h.schema();
        let r =
            reduce_resolution(&mut schema, &mut pos, &mut neg, &self.s.protocols).and_then(|()| {
                let (pos, neg) = (&pos, &neg);
                self.series(
                    &key,
                    Origin::Other,
                    ts,
                    |st| st.build(Cow::Borrowed(h.name()), labels()),
                    |labels, new, app: &mut A| {
                        app.append_histogram(&HistogramSeries {
                            labels,
                            schema,
                            zero_threshold: h.zero_threshold(),
                            zero_count: h.zero_count(),
                            count: h.count(),
                            sum: h.sum(),
                            positive: pos,
                            negative: neg,
                            custom_values: h.custom_values(),
                            float: h.is_float(),
                            timestamp_ms: ts,
                            start_timestamp_ms: h.start_timestamp_ms(),
                            new,
                        })
                    },
                    app,
                )
            });
        self.key = key;
        self.positive = pos;
        self.negative = neg;
        r
    }

    /// The cache key of an OpenMetrics 2.0 series: like [`State::pb_key`], from its name parts.
    fn om2_key<'x>(
        &mut self,
        family: &str,
        suffix: &'static str,
        labels: impl Iterator<Item = Label<'x>>,
    ) -> Vec<u8> {
        self.pb_key(0xfb, protobuf::Name { family, suffix }, labels)
    }

    /// One series of an OpenMetrics 2.0 line (a number, or one series of a composite
    /// summary or classic histogram), as a text sample.
    pub(super) fn om2_sample<A: Appender>(
        &mut self,
        s: &openmetrics2::Sample<'_>,
        app: &mut A,
    ) -> Result<(), ScrapeError> {
        self.report.samples_scraped += 1;
        let name = s.name();
        let key = self.om2_key(name.family, name.suffix, s.labels());
        let ts = if self.s.honor_timestamps {
            s.timestamp_ms()
        } else {
            None
        };
        self.keyed_series(key, ts, (s.value(), s.value_text()), app, |st| {
            let full = format!("{}{}", s.family_name(), name.suffix);
            st.build(Cow::Owned(full), s.labels())
        })
    }

    /// An OpenMetrics 2.0 native histogram: the protobuf reader's event when native histograms
    /// are ingested; otherwise, as the protobuf reader does, its `_count`, `_sum` and
    /// `_bucket{le="+Inf"}` series.
    pub(super) fn om2_histogram<A: Appender>(
        &mut self,
        h: &openmetrics2::Histogram<'_>,
        app: &mut A,
    ) -> Result<(), ScrapeError> {
        let mut scratch = std::mem::take(&mut self.s.om2_native);
        let r = if self.s.protocols.scrape_native_histograms {
            let native = h.native(&mut scratch);
            self.pb_histogram(&native, app)
        } else {
            self.om2_classic_parts(h, app)
        };
        self.s.om2_native = scratch;
        r
    }

    fn om2_classic_parts<A: Appender>(
        &mut self,
        h: &openmetrics2::Histogram<'_>,
        app: &mut A,
    ) -> Result<(), ScrapeError> {
        let ts = if self.s.honor_timestamps {
            h.timestamp_ms()
        } else {
            None
        };
        let inf = || {
            std::iter::once(Label {
                name: Cow::Borrowed("le"),
                value: Cow::Borrowed("+Inf"),
            })
        };
        for (suffix, value, bucket) in [
            ("_count", h.count(), false),
            ("_sum", h.sum(), false),
            ("_bucket", h.count(), true),
        ] {
            self.report.samples_scraped += 1;
            let extra = bucket.then(inf).into_iter().flatten();
            let key = self.om2_key(h.name(), suffix, h.labels().chain(extra.clone()));
            self.keyed_series(key, ts, (value, ""), app, |st| {
                let full = format!("{}{suffix}", h.family_name());
                st.build(Cow::Owned(full), h.labels().chain(extra))
            })?;
        }
        Ok(())
    }
}
