//! Owned samples and metric families, for users who want whole families rather than events.
//!
//! Not on the hot path: this layer allocates. Samples are grouped under the family a `# TYPE`
//! (or `# HELP`/`# UNIT`) line declared, by the sample names the type allows (`_bucket`,
//! `_sum`, `_count`, `_total`, `_created`, …). Families that old Envoys split into several
//! runs are merged back into one, in first-seen order.

use std::collections::HashMap;

use crate::error::Error;
use crate::escape::unescape_label_value;
use crate::event::{Event, MetricType, Sample};

/// An owned exemplar.
#[derive(Clone, Debug)]
pub struct OwnedExemplar {
    /// Labels in order.
    pub labels: Vec<(String, String)>,
    /// The exemplar value.
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
#[derive(Clone, Debug)]
pub struct OwnedSample {
    /// The metric name (unescaped).
    pub name: String,
    /// Labels in exposition order (unescaped).
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
    /// The value exactly as written, when it came from a parser; the writer prefers it.
    pub value_text: Option<String>,
    /// The timestamp in milliseconds.
    pub timestamp_ms: Option<i64>,
    /// The exemplar (OpenMetrics).
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
pub struct MetricFamily {
    /// The family name.
    pub name: String,
    /// The declared type ([`MetricType::Unknown`] without a TYPE line).
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
