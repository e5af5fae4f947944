//! Owned samples and metric families, for users who want whole families rather than events.
//!
//! Not on the hot path: this layer allocates. Samples are grouped under the family a `# TYPE`
//! (or `# HELP`/`# UNIT`) line declared, by the sample names the type allows (`_bucket`,
//! `_sum`, `_count`, `_total`, `_created`, …). Families that old Envoys split into several
//! runs are merged back into one, in first-seen order.

use std::collections::HashMap;

use crate::error::Error;
use crate::event::{Event, MetricType, Sample};
use crate::lex::escape::unescape_label_value;

/// An owned exemplar.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct OwnedExemplar {
    /// Labels in order.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::labels"))]
    pub labels: Vec<(String, String)>,
    /// The exemplar value.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::value"))]
    pub value: f64,
    /// The timestamp in seconds.
    pub timestamp: Option<f64>,
}

impl OwnedExemplar {
    /// Copies a borrowed exemplar.
    pub fn from_exemplar(e: &crate::event::Exemplar<'_>) -> Self {
        OwnedExemplar {
            labels: e
                .labels()
                .map(|l| (l.name.into_owned(), l.value.into_owned()))
                .collect(),
            value: e.value(),
            timestamp: e.timestamp(),
        }
    }
}

impl PartialEq for OwnedExemplar {
    fn eq(&self, o: &Self) -> bool {
        self.labels == o.labels
            && same_f64(self.value, o.value)
            && self.timestamp.map(f64::to_bits) == o.timestamp.map(f64::to_bits)
    }
}

/// An owned sample.
///
/// With the `serde` feature it serializes in the CLI's JSON shape: labels as one object in exposition order,
/// values as numbers or `"NaN"`, `"+Inf"`, `"-Inf"`.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct OwnedSample {
    /// The metric name (unescaped).
    pub name: String,
    /// Labels in exposition order (unescaped).
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::labels"))]
    pub labels: Vec<(String, String)>,
    /// The value.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::value"))]
    pub value: f64,
    /// The value exactly as written, when it came from a parser; the writer prefers it.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub value_text: Option<String>,
    /// The timestamp in milliseconds.
    pub timestamp_ms: Option<i64>,
    /// The exemplar (OpenMetrics).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub exemplar: Option<OwnedExemplar>,
}

fn same_f64(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

impl PartialEq for OwnedSample {
    /// Values compare by bits, with every NaN equal to every NaN; `value_text` is ignored.
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name
            && self.labels == o.labels
            && same_f64(self.value, o.value)
            && self.timestamp_ms == o.timestamp_ms
            && self.exemplar == o.exemplar
    }
}

impl OwnedSample {
    /// A sample with a name, labels and value, no timestamp.
    pub fn new(name: impl Into<String>, labels: Vec<(String, String)>, value: f64) -> Self {
        OwnedSample {
            name: name.into(),
            labels,
            value,
            value_text: None,
            timestamp_ms: None,
            exemplar: None,
        }
    }

    /// Copies a borrowed sample.
    pub fn from_sample(s: &Sample<'_>) -> Self {
        OwnedSample {
            name: s.name().into_owned(),
            labels: s
                .labels()
                .map(|l| (l.name.into_owned(), l.value.into_owned()))
                .collect(),
            value: s.value(),
            value_text: Some(s.value_text().to_string()),
            timestamp_ms: s.timestamp_ms(),
            exemplar: s.exemplar().as_ref().map(OwnedExemplar::from_exemplar),
        }
    }

    /// The value of label `name`, if present.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A metric family: metadata and its samples.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MetricFamily {
    /// The family name.
    pub name: String,
    /// The declared type ([`MetricType::Unknown`] without a TYPE line).
    #[cfg_attr(
        feature = "serde",
        serde(rename = "type", serialize_with = "ser::metric_type")
    )]
    pub metric_type: MetricType,
    /// The HELP text (unescaped), if any.
    pub help: Option<String>,
    /// The UNIT (OpenMetrics), if any.
    pub unit: Option<String>,
    /// The samples in exposition order.
    pub samples: Vec<OwnedSample>,
}

impl MetricFamily {
    /// An empty family.
    pub fn new(name: impl Into<String>, metric_type: MetricType) -> Self {
        MetricFamily {
            name: name.into(),
            metric_type,
            help: None,
            unit: None,
            samples: Vec::new(),
        }
    }

    /// The family's histograms, one per label set (without `le`), in first-seen order: buckets (upper bound,
    /// cumulative count) as exposed, `_sum`/`_count` (`_gsum`/`_gcount` for a gauge histogram) and `_created`.
    /// Empty unless the family is a histogram or gauge histogram.
    ///
    /// ```
    /// use promtext::family::collect_families;
    /// let body = "# TYPE rq histogram\nrq_bucket{code=\"200\",le=\"0.5\"} 3\nrq_bucket{code=\"200\",le=\"+Inf\"} 4\n\
    ///             rq_sum{code=\"200\"} 1.25\nrq_count{code=\"200\"} 4\n";
    /// let fams = collect_families(promtext::parse_str(body))?;
    /// let h = &fams[0].histograms()[0];
    /// assert_eq!(h.labels, [("code".to_string(), "200".to_string())]);
    /// assert_eq!(h.buckets, [(0.5, 3.0), (f64::INFINITY, 4.0)]);
    /// assert_eq!((h.sum, h.count), (Some(1.25), Some(4.0)));
    /// # Ok::<(), promtext::Error>(())
    /// ```
    pub fn histograms(&self) -> Vec<Histogram> {
        let (sum, count) = match self.metric_type {
            MetricType::Histogram => ("_sum", "_count"),
            MetricType::GaugeHistogram => ("_gsum", "_gcount"),
            _ => return Vec::new(),
        };
        self.fold_series(
            "le",
            |labels| Histogram {
                labels,
                ..Histogram::default()
            },
            |h, suffix, smp| match suffix {
                "_bucket" => {
                    if let Some(le) = smp.label("le").and_then(parse_bound) {
                        h.buckets.push((le, smp.value));
                    }
                }
                s if s == sum => h.sum = Some(smp.value),
                s if s == count => h.count = Some(smp.value),
                "_created" => h.created = Some(smp.value),
                _ => {}
            },
        )
    }

    /// The family's summaries, one per label set (without `quantile`), in first-seen order: quantiles (rank,
    /// value), `_sum`, `_count` and `_created`. Empty unless the family is a summary.
    ///
    /// ```
    /// use promtext::family::collect_families;
    /// let body = "# TYPE lat summary\nlat{quantile=\"0.5\"} 0.1\nlat{quantile=\"0.99\"} 0.9\nlat_sum 12\nlat_count 40\n";
    /// let fams = collect_families(promtext::parse_str(body))?;
    /// let s = &fams[0].summaries()[0];
    /// assert!(s.labels.is_empty());
    /// assert_eq!(s.quantiles, [(0.5, 0.1), (0.99, 0.9)]);
    /// assert_eq!((s.sum, s.count), (Some(12.0), Some(40.0)));
    /// # Ok::<(), promtext::Error>(())
    /// ```
    pub fn summaries(&self) -> Vec<Summary> {
        if self.metric_type != MetricType::Summary {
            return Vec::new();
        }
        self.fold_series(
            "quantile",
            |labels| Summary {
                labels,
                ..Summary::default()
            },
            |s, suffix, smp| match suffix {
                "" => {
                    if let Some(q) = smp.label("quantile").and_then(parse_bound) {
                        s.quantiles.push((q, smp.value));
                    }
                }
                "_sum" => s.sum = Some(smp.value),
                "_count" => s.count = Some(smp.value),
                "_created" => s.created = Some(smp.value),
                _ => {}
            },
        )
    }

    /// One `T` per label set without `skip`, in first-seen order, each made by `new` from
    /// those labels and given every sample of its series by `fold` (with the sample name's
    /// suffix after the family name).
    fn fold_series<T>(
        &self,
        skip: &str,
        new: impl Fn(Vec<(String, String)>) -> T,
        mut fold: impl FnMut(&mut T, &str, &OwnedSample),
    ) -> Vec<T> {
        let mut out: Vec<T> = Vec::new();
        let mut index: HashMap<Vec<(String, String)>, usize> = HashMap::new();
        for smp in &self.samples {
            let Some(suffix) = smp.name.strip_prefix(self.name.as_str()) else {
                continue;
            };
            let i = *index
                .entry(series_key(&smp.labels, skip))
                .or_insert_with(|| {
                    out.push(new(without(&smp.labels, skip)));
                    out.len() - 1
                });
            fold(&mut out[i], suffix, smp);
        }
        out
    }
}

/// One histogram of a family (see [`MetricFamily::histograms`]).
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Histogram {
    /// The labels without `le`, in exposition order.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::labels"))]
    pub labels: Vec<(String, String)>,
    /// `(upper bound, cumulative count)` in exposition order.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::pairs"))]
    pub buckets: Vec<(f64, f64)>,
    /// `_sum` (`_gsum`).
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::opt_value"))]
    pub sum: Option<f64>,
    /// `_count` (`_gcount`).
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::opt_value"))]
    pub count: Option<f64>,
    /// `_created`.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::opt_value"))]
    pub created: Option<f64>,
}

/// One summary of a family (see [`MetricFamily::summaries`]).
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Summary {
    /// The labels without `quantile`, in exposition order.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::labels"))]
    pub labels: Vec<(String, String)>,
    /// `(quantile, value)` in exposition order.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::pairs"))]
    pub quantiles: Vec<(f64, f64)>,
    /// `_sum`.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::opt_value"))]
    pub sum: Option<f64>,
    /// `_count`.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::opt_value"))]
    pub count: Option<f64>,
    /// `_created`.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::opt_value"))]
    pub created: Option<f64>,
}

/// The labels other than `skip`, sorted: the identity of a histogram or summary series.
fn series_key(labels: &[(String, String)], skip: &str) -> Vec<(String, String)> {
    let mut k = without(labels, skip);
    k.sort();
    k
}

fn without(labels: &[(String, String)], skip: &str) -> Vec<(String, String)> {
    labels.iter().filter(|(n, _)| n != skip).cloned().collect()
}

/// An `le` or `quantile` value as Prometheus reads it (`+Inf`, `-Inf`, `NaN`, Go floats).
fn parse_bound(s: &str) -> Option<f64> {
    crate::go::parse_value(s).ok()
}

/// Serializers for the `serde` feature: the CLI's JSON shape.
#[cfg(feature = "serde")]
mod ser {
    use serde::ser::{SerializeMap, SerializeSeq, Serializer};

    use crate::MetricType;

    struct V(f64);

    impl serde::Serialize for V {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            value(&self.0, s)
        }
    }

    /// A number, or `"NaN"`, `"+Inf"`, `"-Inf"`.
    pub fn value<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_nan() {
            s.serialize_str("NaN")
        } else if *v == f64::INFINITY {
            s.serialize_str("+Inf")
        } else if *v == f64::NEG_INFINITY {
            s.serialize_str("-Inf")
        } else {
            s.serialize_f64(*v)
        }
    }

    pub fn opt_value<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => value(v, s),
            None => s.serialize_none(),
        }
    }

    /// Labels as one object, in order.
    pub fn labels<S: Serializer>(l: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(l.len()))?;
        for (n, v) in l {
            m.serialize_entry(n, v)?;
        }
        m.end()
    }

    /// `[[bound, value], …]`.
    pub fn pairs<S: Serializer>(p: &[(f64, f64)], s: S) -> Result<S::Ok, S::Error> {
        let mut q = s.serialize_seq(Some(p.len()))?;
        for (a, b) in p {
            q.serialize_element(&(V(*a), V(*b)))?;
        }
        q.end()
    }

    pub fn metric_type<S: Serializer>(t: &MetricType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(t.as_str())
    }
}

/// The sample-name suffixes a family of type `t` owns besides its bare name.
pub fn sample_suffixes(t: MetricType) -> &'static [&'static str] {
    match t {
        MetricType::Counter => &["_total", "_created"],
        MetricType::Histogram => &["_bucket", "_sum", "_count", "_created"],
        MetricType::GaugeHistogram => &["_bucket", "_gsum", "_gcount"],
        MetricType::Summary => &["_sum", "_count", "_created"],
        MetricType::Info => &["_info"],
        _ => &[],
    }
}

/// Whether a sample named `sample` belongs to family `family` of type `t`.
pub fn belongs_to(sample: &str, family: &str, t: MetricType) -> bool {
    match sample.strip_prefix(family) {
        Some("") => true,
        Some(rest) => sample_suffixes(t).contains(&rest),
        None => false,
    }
}

/// Groups events into families incrementally.
///
/// ```
/// use promtext::family::FamilyBuilder;
/// let body = "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\nup 1\n";
/// let mut fams = FamilyBuilder::new();
/// for ev in promtext::parse_str(body) {
///     fams.push(&ev?);
/// }
/// let fams = fams.finish();
/// assert_eq!(fams.len(), 2);
/// assert_eq!((fams[0].name.as_str(), fams[0].samples.len()), ("h", 4));
/// assert_eq!(fams[1].metric_type, promtext::MetricType::Unknown);
/// # Ok::<(), promtext::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct FamilyBuilder {
    families: Vec<MetricFamily>,
    index: HashMap<String, usize>,
    current: Option<usize>,
}

impl FamilyBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    fn family_for_meta(&mut self, raw_name: &str) -> usize {
        let name = unescape_label_value(raw_name);
        let i = match self.index.get(name.as_ref()) {
            Some(&i) => i,
            None => {
                self.families
                    .push(MetricFamily::new(name.as_ref(), MetricType::Unknown));
                self.index
                    .insert(name.into_owned(), self.families.len() - 1);
                self.families.len() - 1
            }
        };
        self.current = Some(i);
        i
    }

    fn family_for_sample(&mut self, name: &str) -> usize {
        if let Some(i) = self.current {
            let f = &self.families[i];
            if belongs_to(name, &f.name, f.metric_type) {
                return i;
            }
        }
        if let Some(&i) = self.index.get(name) {
            self.current = Some(i);
            return i;
        }
        for suffix in [
            "_bucket", "_sum", "_count", "_total", "_created", "_gsum", "_gcount", "_info",
        ] {
            if let Some(base) = name.strip_suffix(suffix) {
                if let Some(&i) = self.index.get(base) {
                    if belongs_to(name, base, self.families[i].metric_type) {
                        self.current = Some(i);
                        return i;
                    }
                }
            }
        }
        self.families
            .push(MetricFamily::new(name, MetricType::Unknown));
        self.index.insert(name.to_string(), self.families.len() - 1);
        self.current = Some(self.families.len() - 1);
        self.families.len() - 1
    }

    /// Adds one event.
    pub fn push(&mut self, event: &Event<'_>) {
        match event {
            Event::Type(t) => {
                let i = self.family_for_meta(t.name);
                let f = &mut self.families[i];
                if f.metric_type == MetricType::Unknown {
                    f.metric_type = t.metric_type;
                }
            }
            Event::Help(h) => {
                let i = self.family_for_meta(h.name);
                let f = &mut self.families[i];
                if f.help.is_none() {
                    f.help = Some(h.text().into_owned());
                }
            }
            Event::Unit(u) => {
                let i = self.family_for_meta(u.name);
                let f = &mut self.families[i];
                if f.unit.is_none() {
                    f.unit = Some(u.unit.to_string());
                }
            }
            Event::Sample(s) => {
                let name = s.name();
                let i = self.family_for_sample(&name);
                self.families[i].samples.push(OwnedSample::from_sample(s));
            }
            _ => {}
        }
    }

    /// The families in first-seen order.
    pub fn finish(self) -> Vec<MetricFamily> {
        self.families
    }
}

/// Collects all events of `events` into families; stops at the first error.
pub fn collect_families<'a>(
    events: impl IntoIterator<Item = Result<Event<'a>, Error>>,
) -> Result<Vec<MetricFamily>, Error> {
    let mut b = FamilyBuilder::new();
    for ev in events {
        b.push(&ev?);
    }
    Ok(b.finish())
}
