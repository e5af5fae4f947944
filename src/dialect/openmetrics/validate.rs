//! Strict OpenMetrics 1.0: the per-family rules a line parser cannot see.
//!
//! The validator sees the events in order and keeps only what the rules need: the current
//! family (name, type, which metadata it had, the previous sample's metric and timestamp, the
//! open histogram point) and, for the whole exposition, every family name and sample name
//! already used. Names are hashed and compared against one growing arena; metrics (label
//! sets without `le`/`quantile`/the state label) are identified by an order-independent
//! 64-bit hash. All buffers are reused, so the steady state allocates nothing per sample.
//!
//! The rules follow the OpenMetrics 1.0 specification and its reference parser (the Python
//! client's `openmetrics/parser.py`), which the conformance suite was written against; see
//! format.md §2.2 and §3.3.

use crate::dialect::prometheus::duplicates::PassThroughHasher;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;

use crate::error::{ErrorKind, LineError};
use crate::event::{Event, Exemplar, MetricType, Sample};
use crate::go::parse_value;
use crate::go::quote_bounded as go_quote;
use crate::lex::escape::for_each_unescaped;
use crate::lex::scan::{label_name_end, scan_quoted};

/// The most code points an exemplar's label names and values may have together.
pub(crate) const MAX_EXEMPLAR_CODE_POINTS: usize = 128;

/// The part of a sample name after the family name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Suffix {
    Bare,
    Total,
    Created,
    Count,
    Sum,
    Bucket,
    GCount,
    GSum,
    Info,
}

impl Suffix {
    fn text(self) -> &'static str {
        match self {
            Suffix::Bare => "",
            Suffix::Total => "_total",
            Suffix::Created => "_created",
            Suffix::Count => "_count",
            Suffix::Sum => "_sum",
            Suffix::Bucket => "_bucket",
            Suffix::GCount => "_gcount",
            Suffix::GSum => "_gsum",
            Suffix::Info => "_info",
        }
    }
}

/// The sample names a family of type `t` may have (no TYPE means unknown).
fn suffixes(t: Option<MetricType>) -> &'static [Suffix] {
    use Suffix::*;
    match t {
        Some(MetricType::Counter) => &[Total, Created],
        Some(MetricType::Summary) => &[Bare, Count, Sum, Created],
        Some(MetricType::Histogram) => &[Count, Sum, Bucket, Created],
        Some(MetricType::GaugeHistogram) => &[GCount, GSum, Bucket],
        Some(MetricType::Info) => &[Info],
        _ => &[Bare],
    }
}

fn is_histogram(t: Option<MetricType>) -> bool {
    matches!(t, Some(MetricType::Histogram | MetricType::GaugeHistogram))
}

type IdBuild = BuildHasherDefault<PassThroughHasher>;

const NONE: usize = usize::MAX;

#[derive(Debug)]
struct NameEntry {
    start: usize,
    len: usize,
    next: usize,
    /// A family name (rather than one of its sample names).
    base: bool,
}

/// Every name used so far: family names and the sample names their types imply.
#[derive(Debug)]
struct NameSet {
    arena: String,
    entries: Vec<NameEntry>,
    heads: HashMap<u64, usize, IdBuild>,
}

impl NameSet {
    fn new() -> Self {
        let mut heads = HashMap::with_hasher(IdBuild::default());
        heads.reserve(1024);
        NameSet {
            arena: String::with_capacity(32 * 1024),
            entries: Vec::with_capacity(1024),
            heads,
        }
    }

    /// Records `name`; `Err(base)` when it was recorded before (`base`: as a family name).
    fn insert(&mut self, hash: u64, name: &str, base: bool) -> Result<(), bool> {
        let head = self.heads.get(&hash).copied().unwrap_or(NONE);
        let mut k = head;
        while let Some(e) = self.entries.get(k) {
            if self.arena.get(e.start..e.start + e.len) == Some(name) {
                return Err(e.base);
            }
            k = e.next;
        }
        let start = self.arena.len();
        self.arena.push_str(name);
        self.entries.push(NameEntry {
            start,
            len: name.len(),
            next: head,
            base,
        });
        self.heads.insert(hash, self.entries.len() - 1);
        Ok(())
    }
}

/// The bucket/count/sum state of one histogram point (a metric at one timestamp).
#[derive(Debug, Default)]
struct HistPoint {
    active: bool,
    group: u64,
    ts: Option<u64>,
    last_le: Option<f64>,
    /// The value of the last bucket (cumulative).
    value: f64,
    count: Option<f64>,
    has_sum: bool,
    has_gsum: bool,
    negative_bucket: bool,
    negative_gsum: bool,
}

/// The family being read.
#[derive(Debug, Default)]
struct Family {
    active: bool,
    name: String,
    mtype: Option<MetricType>,
    has_help: bool,
    has_unit: bool,
    unit_set: bool,
    has_samples: bool,
    registered: bool,
    /// The metric (group hash) and timestamp of the previous sample.
    last: Option<(u64, Option<f64>)>,
    hist: HistPoint,
}

impl Family {
    fn suffix_of(&self, sample: &str) -> Option<Suffix> {
        if !self.active {
            return None;
        }
        let rest = sample.strip_prefix(self.name.as_str())?;
        suffixes(self.mtype)
            .iter()
            .copied()
            .find(|s| s.text() == rest)
    }

    fn type_name(&self) -> &'static str {
        self.mtype.map_or("unknown", MetricType::as_str)
    }
}

/// What one sample's labels say, gathered in a single pass.
#[derive(Debug, Default)]
struct LabelFacts<'a> {
    group: u64,
    le: Option<(&'a str, bool)>,
    quantile: Option<(&'a str, bool)>,
    has_state: bool,
    stray: Option<&'static str>,
}

/// The per-family validator of [`Validation::Strict`](crate::Validation::Strict).
#[derive(Debug)]
pub(crate) struct Validator {
    hasher: ahash::RandomState,
    names: NameSet,
    name_buf: String,
    fam: Family,
    groups: HashSet<u64, IdBuild>,
    unescaped_name: Vec<u8>,
    unescaped_value: Vec<u8>,
}

fn semantic(message: String) -> LineError {
    LineError::new(ErrorKind::Semantic, 0, message)
}

fn quote(s: &str) -> String {
    go_quote(s.as_bytes())
}

impl Validator {
    pub(crate) fn new() -> Self {
        let mut groups = HashSet::with_hasher(IdBuild::default());
        groups.reserve(256);
        Validator {
            hasher: ahash::RandomState::with_seeds(
                0x243f_6a88_85a3_08d3,
                0x1319_8a2e_0370_7344,
                0xa409_3822_299f_31d0,
                0x082e_fa98_ec4e_6c89,
            ),
            names: NameSet::new(),
            name_buf: String::with_capacity(256),
            fam: Family {
                name: String::with_capacity(256),
                ..Family::default()
            },
            groups,
            unescaped_name: Vec::with_capacity(256),
            unescaped_value: Vec::with_capacity(256),
        }
    }

    /// Checks one event against the rules, given everything seen before it.
    pub(crate) fn event(&mut self, ev: &Event<'_>) -> Result<(), LineError> {
        match ev {
            Event::Type(t) => self.meta(t.name, Meta::Type(t.metric_type)),
            Event::Help(h) => self.meta(h.name, Meta::Help),
            Event::Unit(u) => self.meta(u.name, Meta::Unit(!u.unit.is_empty())),
            Event::Sample(s) => self.sample(s),
            Event::Eof(_) => self.end_family(),
            _ => Ok(()),
        }
    }

    fn start_family(&mut self, name: &str) {
        let f = &mut self.fam;
        f.active = true;
        f.name.clear();
        f.name.push_str(name);
        f.mtype = None;
        f.has_help = false;
        f.has_unit = false;
        f.unit_set = false;
        f.has_samples = false;
        f.registered = false;
        f.last = None;
        f.hist = HistPoint::default();
        self.groups.clear();
    }

    /// Closes the current family: registers its names and checks its last histogram point.
    fn end_family(&mut self) -> Result<(), LineError> {
        if !self.fam.active {
            return Ok(());
        }
        self.fam.active = false;
        if !self.fam.registered {
            self.register()?;
        }
        if self.fam.hist.active {
            self.end_point()?;
        }
        Ok(())
    }

    /// Records the family's name and the sample names its type implies; none may have been
    /// used by an earlier family.
    fn register(&mut self) -> Result<(), LineError> {
        self.fam.registered = true;
        let all = std::iter::once(Suffix::Bare).chain(
            suffixes(self.fam.mtype)
                .iter()
                .copied()
                .filter(|&s| s != Suffix::Bare),
        );
        for suffix in all {
            self.name_buf.clear();
            self.name_buf.push_str(&self.fam.name);
            self.name_buf.push_str(suffix.text());
            let hash = self.hasher.hash_one(self.name_buf.as_bytes());
            let base = suffix == Suffix::Bare;
            if let Err(was_base) = self.names.insert(hash, &self.name_buf, base) {
                return Err(semantic(if base && was_base {
                    format!(
                        "metric family {} appears again after other families: a family's metadata and samples must not be interleaved with others",
                        quote(&self.fam.name)
                    )
                } else {
                    format!(
                        "name {} of {} family {} clashes with an earlier metric family",
                        quote(&self.name_buf),
                        self.fam.type_name(),
                        quote(&self.fam.name)
                    )
                }));
            }
        }
        Ok(())
    }

    fn meta(&mut self, name: &str, meta: Meta) -> Result<(), LineError> {
        if self.fam.active && self.fam.name == name {
            if self.fam.has_samples {
                return Err(semantic(format!(
                    "{} line for metric family {} after its samples: metadata must come first",
                    meta.keyword(),
                    quote(name)
                )));
            }
        } else {
            self.end_family()?;
            self.start_family(name);
        }
        let f = &mut self.fam;
        let repeated = match meta {
            Meta::Help => std::mem::replace(&mut f.has_help, true),
            Meta::Type(t) => f.mtype.replace(t).is_some(),
            Meta::Unit(set) => {
                f.unit_set = set;
                std::mem::replace(&mut f.has_unit, true)
            }
        };
        if repeated {
            return Err(semantic(format!(
                "more than one {} line for metric family {}",
                meta.keyword(),
                quote(name)
            )));
        }
        if f.unit_set && matches!(f.mtype, Some(MetricType::Info | MetricType::StateSet)) {
            return Err(LineError::new(
                ErrorKind::InvalidUnit,
                0,
                format!(
                    "{} family {} cannot have a unit",
                    f.type_name(),
                    quote(name)
                ),
            ));
        }
        Ok(())
    }

    fn sample(&mut self, s: &Sample<'_>) -> Result<(), LineError> {
        let raw = s.raw_name();
        let suffix = match self.fam.suffix_of(raw) {
            Some(suffix) => suffix,
            None => {
                // Not a sample name of the current family: a new family of unknown type.
                self.end_family()?;
                self.start_family(raw);
                Suffix::Bare
            }
        };
        if !self.fam.registered {
            self.register()?;
        }
        self.fam.has_samples = true;
        let t = self.fam.mtype;
        let facts = self.label_facts(s.raw_labels(), s.labels_escaped(), t, suffix)?;
        let name = &self.fam.name;
        let v = s.value();

        // Required labels.
        let mut le = 0.0;
        if is_histogram(t) && suffix == Suffix::Bucket {
            le = match facts.le {
                None => {
                    return Err(semantic(format!(
                        "{} bucket {} has no \"le\" label",
                        self.fam.type_name(),
                        quote(raw)
                    )));
                }
                Some((text, escaped)) => bound(text, escaped).ok_or_else(|| {
                    semantic(format!(
                        "invalid \"le\" label value {} in {} (a number, +Inf spelled exactly so, not NaN)",
                        quote(text),
                        quote(raw)
                    ))
                })?,
            };
        }
        match t {
            Some(MetricType::Summary) if suffix == Suffix::Bare => {
                let Some((text, escaped)) = facts.quantile else {
                    return Err(semantic(format!(
                        "summary sample {} has no \"quantile\" label",
                        quote(raw)
                    )));
                };
                match bound(text, escaped) {
                    Some(q) if (0.0..=1.0).contains(&q) => {}
                    _ => {
                        return Err(semantic(format!(
                            "invalid \"quantile\" label value {} in {} (a number from 0 to 1)",
                            quote(text),
                            quote(raw)
                        )));
                    }
                }
                if v < 0.0 {
                    return Err(semantic(format!(
                        "summary quantile {} is negative ({})",
                        quote(raw),
                        s.value_text()
                    )));
                }
            }
            Some(MetricType::StateSet) => {
                if !facts.has_state {
                    return Err(semantic(format!(
                        "stateset sample {} has no label named after the family ({})",
                        quote(raw),
                        quote(name)
                    )));
                }
                if v != 0.0 && v != 1.0 {
                    return Err(semantic(format!(
                        "stateset sample {} must be 0 or 1, not {}",
                        quote(raw),
                        s.value_text()
                    )));
                }
            }
            Some(MetricType::Info) if v != 1.0 => {
                return Err(semantic(format!(
                    "info sample {} must be 1, not {}",
                    quote(raw),
                    s.value_text()
                )));
            }
            _ => {}
        }
        if let Some(label) = facts.stray {
            return Err(semantic(format!(
                "{} sample {} may not have a {:?} label",
                self.fam.type_name(),
                quote(raw),
                label
            )));
        }

        // Value constraints of counter-like samples.
        let (no_nan, no_negative, integral) = match suffix {
            Suffix::Total | Suffix::Sum => (true, true, false),
            Suffix::Bucket | Suffix::Count | Suffix::GCount => (true, true, true),
            Suffix::GSum => (true, false, false),
            _ => (false, false, false),
        };
        if no_nan && v.is_nan() {
            return Err(semantic(format!(
                "{} sample {} cannot be NaN",
                self.fam.type_name(),
                quote(raw)
            )));
        }
        if no_negative && v < 0.0 {
            return Err(semantic(format!(
                "{} sample {} cannot be negative ({})",
                self.fam.type_name(),
                quote(raw),
                s.value_text()
            )));
        }
        if integral && !(v.is_finite() && v.fract() == 0.0) {
            return Err(semantic(format!(
                "{} sample {} must be an integer, not {}",
                self.fam.type_name(),
                quote(raw),
                s.value_text()
            )));
        }

        // Exemplars.
        if let Some(e) = s.exemplar() {
            let allowed = (is_histogram(t) && suffix == Suffix::Bucket)
                || (t == Some(MetricType::Counter) && suffix == Suffix::Total);
            if !allowed {
                return Err(LineError::new(
                    ErrorKind::InvalidExemplar,
                    0,
                    format!(
                        "exemplar on {} sample {}: only counter _total and histogram _bucket samples may have one",
                        self.fam.type_name(),
                        quote(raw)
                    ),
                ));
            }
            let n = exemplar_code_points(&e);
            if n > MAX_EXEMPLAR_CODE_POINTS {
                return Err(LineError::new(
                    ErrorKind::InvalidExemplar,
                    0,
                    format!(
                        "exemplar labels of {} have {n} code points, more than {MAX_EXEMPLAR_CODE_POINTS}",
                        quote(raw)
                    ),
                ));
            }
        }

        // Metric grouping and timestamps.
        let ts = s.timestamp_text().and_then(|t| parse_value(t).ok());
        let group = facts.group;
        match self.fam.last {
            Some((last, last_ts)) if last == group => {
                if last_ts.is_some() != ts.is_some() {
                    return Err(semantic(format!(
                        "sample {} {} while the previous sample of its metric {}",
                        quote(s.series()),
                        if ts.is_some() {
                            "has a timestamp"
                        } else {
                            "has no timestamp"
                        },
                        if ts.is_some() { "had none" } else { "had one" }
                    )));
                }
                if let (Some(prev), Some(cur)) = (last_ts, ts) {
                    if cur < prev && t != Some(MetricType::Info) {
                        return Err(semantic(format!(
                            "timestamp of {} goes backwards ({} after {prev})",
                            quote(s.series()),
                            s.timestamp_text().unwrap_or_default()
                        )));
                    }
                }
            }
            _ => {
                if !self.groups.insert(group) {
                    return Err(semantic(format!(
                        "metric {} of family {} is interleaved with another metric of the family",
                        quote(s.series()),
                        quote(&self.fam.name)
                    )));
                }
            }
        }
        self.fam.last = Some((group, ts));

        // Histogram points.
        if is_histogram(t) {
            let ts_bits = ts.map(f64::to_bits);
            let hp = &self.fam.hist;
            if hp.active && (hp.group != group || hp.ts != ts_bits) {
                self.end_point()?;
            }
            let hp = &mut self.fam.hist;
            if !hp.active {
                *hp = HistPoint {
                    active: true,
                    group,
                    ts: ts_bits,
                    ..HistPoint::default()
                };
            }
            match suffix {
                Suffix::Bucket => {
                    if le < 0.0 {
                        hp.negative_bucket = true;
                    }
                    if let Some(prev) = hp.last_le {
                        if le <= prev {
                            return Err(semantic(format!(
                                "buckets of histogram {} are not in increasing \"le\" order ({} after {prev})",
                                quote(&self.fam.name),
                                facts.le.map_or("", |l| l.0)
                            )));
                        }
                    }
                    if v < hp.value {
                        return Err(semantic(format!(
                            "bucket values of histogram {} decrease ({} after {}): buckets are cumulative",
                            quote(&self.fam.name),
                            s.value_text(),
                            hp.value
                        )));
                    }
                    hp.last_le = Some(le);
                    hp.value = v;
                }
                Suffix::Count | Suffix::GCount => hp.count = Some(v),
                Suffix::Sum => hp.has_sum = true,
                Suffix::GSum => {
                    hp.has_gsum = true;
                    if v < 0.0 {
                        hp.negative_gsum = true;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The checks on a finished histogram point.
    fn end_point(&mut self) -> Result<(), LineError> {
        let hp = std::mem::take(&mut self.fam.hist);
        let gauge = self.fam.mtype == Some(MetricType::GaugeHistogram);
        let (count, sum) = if gauge {
            ("_gcount", "_gsum")
        } else {
            ("_count", "_sum")
        };
        let fail = |what: String| {
            Err(semantic(format!(
                "{} {}: {what}",
                self.fam.type_name(),
                quote(&self.fam.name)
            )))
        };
        match hp.last_le {
            None => return fail("no buckets; a +Inf bucket is required".into()),
            Some(le) if le != f64::INFINITY => {
                return fail("no +Inf bucket (le=\"+Inf\") as its last bucket".into());
            }
            _ => {}
        }
        if let Some(c) = hp.count {
            if c != hp.value {
                return fail(format!(
                    "{count} ({c}) does not match the +Inf bucket ({})",
                    hp.value
                ));
            }
        }
        let has_sum = hp.has_sum || hp.has_gsum;
        if has_sum && hp.count.is_none() {
            return fail(format!("{sum} without {count}"));
        }
        if !has_sum && hp.count.is_some() {
            return fail(format!("{count} without {sum}"));
        }
        if hp.negative_bucket && hp.has_sum {
            return fail(format!("{sum} with negative bucket thresholds"));
        }
        if !hp.negative_bucket && hp.negative_gsum {
            return fail(format!("negative {sum} without negative bucket thresholds"));
        }
        Ok(())
    }

    /// Walks the labels once: the metric's group hash and the labels the type cares about.
    fn label_facts<'a>(
        &mut self,
        block: &'a str,
        escaped: bool,
        t: Option<MetricType>,
        suffix: Suffix,
    ) -> Result<LabelFacts<'a>, LineError> {
        let mut facts = LabelFacts::default();
        let Validator {
            hasher,
            fam,
            unescaped_name,
            unescaped_value,
            ..
        } = self;
        let hist = is_histogram(t);
        let is_bucket = hist && suffix == Suffix::Bucket;
        let is_quantile = t == Some(MetricType::Summary) && suffix == Suffix::Bare;
        let stateset = t == Some(MetricType::StateSet);
        // Info families have one metric per family in the reference parser's grouping.
        let grouped = t != Some(MetricType::Info);
        for_each_label(block, escaped, |name, name_esc, value, value_esc| {
            let mut in_group = true;
            if name == "le" {
                if is_bucket {
                    facts.le = Some((value, value_esc));
                    in_group = false;
                } else if hist {
                    facts.stray = Some("le");
                }
            } else if name == "quantile" && t == Some(MetricType::Summary) {
                if is_quantile {
                    facts.quantile = Some((value, value_esc));
                    in_group = false;
                } else {
                    facts.stray = Some("quantile");
                }
            }
            if stateset && name == fam.name {
                facts.has_state = true;
                in_group = false;
            }
            if in_group && grouped {
                let h = if name_esc || value_esc {
                    unescaped_name.clear();
                    for_each_unescaped(name.as_bytes(), |c| unescaped_name.push(c));
                    unescaped_value.clear();
                    for_each_unescaped(value.as_bytes(), |c| unescaped_value.push(c));
                    hasher.hash_one((&unescaped_name[..], &unescaped_value[..]))
                } else {
                    hasher.hash_one((name.as_bytes(), value.as_bytes()))
                };
                // A sum, so the label order does not matter.
                facts.group = facts.group.wrapping_add(h);
            }
        });
        Ok(facts)
    }
}

#[derive(Clone, Copy, Debug)]
enum Meta {
    Help,
    Type(MetricType),
    Unit(bool),
}

impl Meta {
    fn keyword(self) -> &'static str {
        match self {
            Meta::Help => "HELP",
            Meta::Type(_) => "TYPE",
            Meta::Unit(_) => "UNIT",
        }
    }
}

/// An `le` or `quantile` value: a number, not NaN, infinities spelled `+Inf`/`-Inf`.
fn bound(text: &str, escaped: bool) -> Option<f64> {
    if escaped {
        return None;
    }
    let v = parse_value(text).ok()?;
    if v.is_nan() || (v.is_infinite() && text != "+Inf" && text != "-Inf") {
        return None;
    }
    Some(v)
}

/// Calls `f(name, name_escaped, value, value_escaped)` (raw texts) for each label of a label
/// set the parser has validated; the quoted metric name of the brace form is skipped.
pub(crate) fn for_each_label<'a>(
    block: &'a str,
    escaped: bool,
    mut f: impl FnMut(&'a str, bool, &'a str, bool),
) {
    let b = block.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b',' || b[i] == b' ' || b[i] == b'\t' {
            i += 1;
            continue;
        }
        let (name, name_esc, after) = if b[i] == b'"' {
            let Some(q) = scan_quoted(b, i, escaped) else {
                return;
            };
            (&block[q.start..q.end], q.escaped, q.end + 1)
        } else {
            let end = label_name_end(b, i);
            if end == i {
                // Not a name (never in a parsed label set): step over it.
                i += 1;
                continue;
            }
            (&block[i..end], false, end)
        };
        if b.get(after) != Some(&b'=') {
            i = after;
            continue;
        }
        if b.get(after + 1) != Some(&b'"') {
            return;
        }
        let Some(q) = scan_quoted(b, after + 1, escaped) else {
            return;
        };
        f(name, name_esc, &block[q.start..q.end], q.escaped);
        i = q.end + 1;
    }
}

/// The code points of an exemplar's label names and values, after unescaping.
pub(crate) fn exemplar_code_points(e: &Exemplar<'_>) -> usize {
    let mut n = 0;
    for_each_label(e.raw_labels(), e.labels_escaped, |name, ne, value, ve| {
        n += code_points(name, ne) + code_points(value, ve);
    });
    n
}

fn code_points(raw: &str, escaped: bool) -> usize {
    let b = raw.as_bytes();
    // Every byte that does not continue a UTF-8 sequence starts a code point.
    let mut n = b.iter().filter(|&&c| (c as i8) >= -0x40).count();
    if escaped {
        let mut i = 0;
        while i + 1 < b.len() {
            if b[i] == b'\\' && matches!(b[i + 1], b'\\' | b'"' | b'n') {
                n -= 1;
                i += 2;
            } else {
                i += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_points_count_unescaped_characters() {
        assert_eq!(code_points("abc", false), 3);
        assert_eq!(code_points("☃é", false), 2);
        assert_eq!(code_points(r#"a\"b\\c\nd\z"#, true), 9);
    }

    #[test]
    fn label_walk_skips_the_quoted_metric_name() {
        let mut seen = Vec::new();
        for_each_label(r#""my.metric",a="1","b.c"="x\"y""#, true, |n, _, v, _| {
            seen.push((n, v))
        });
        assert_eq!(seen, [("a", "1"), ("b.c", r#"x\"y"#)]);
    }

    #[test]
    fn label_walk_never_panics_on_junk() {
        for junk in [
            "é,=\"x",
            "\"",
            "a=",
            "a=\"",
            "=é=\"\\",
            "ü\"é\"=\"ö\"",
            ",,,",
        ] {
            let mut n = 0;
            for_each_label(junk, true, |_, _, _, _| n += 1);
            for_each_label(junk, false, |_, _, _, _| n += 1);
            assert!(n <= 2, "{junk}");
        }
    }

    #[test]
    fn names_are_compared_not_only_hashed() {
        let mut set = NameSet::new();
        assert_eq!(set.insert(7, "a", true), Ok(()));
        assert_eq!(set.insert(7, "b", false), Ok(()));
        assert_eq!(set.insert(7, "a", false), Err(true));
        assert_eq!(set.insert(7, "b", true), Err(false));
        assert_eq!(set.insert(8, "c", true), Ok(()));
    }
}
