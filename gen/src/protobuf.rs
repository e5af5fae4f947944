//! Protobuf bodies from the same generator: the text exposition parsed into families and
//! encoded as Envoy encodes them, with native histograms as `histogram_buckets=prometheusnative`
//! maps them (schema at most 4, lowered until at most `native_histogram_max_buckets` = 20
//! buckets remain, down to −4; zero threshold 0.5; an empty one as schema 3, zero count 0 and
//! one span `(0, 0)`).

use super::{GenConfig, Generated, generate};
use promtext::MetricType;
use promtext::protobuf::bound;
use promtext::protobuf::write::{self, Family, Native, Value};

/// Envoy's default `native_histogram_max_buckets`.
pub const ENVOY_NATIVE_MAX_BUCKETS: usize = 20;

/// Envoy's native zero threshold.
pub const ENVOY_NATIVE_ZERO_THRESHOLD: f64 = 0.5;

/// The generated exposition as a delimited protobuf body, and the text it was made from.
/// `native`: histograms as native histograms (their classic buckets dropped), as Envoy's
/// `histogram_buckets=prometheusnative`.
///
/// ```
/// use promtext_gen::{GenConfig, generate_protobuf};
/// let (body, text) = generate_protobuf(&GenConfig::envoy(), true);
/// let natives = promtext::protobuf::parse(&body)
///     .filter(|e| matches!(e, Ok(promtext::protobuf::Event::Histogram(_))))
///     .count();
/// assert!(natives > 0);
/// assert!(body.len() < text.text.len());
/// ```
pub fn generate_protobuf(config: &GenConfig, native: bool) -> (Vec<u8>, Generated) {
    let text = generate(config);
    let families = families_of(&text.text, native);
    (write::encode_families(&families), text)
}

/// The protobuf families of a text exposition (see [`generate_protobuf`]).
pub fn families_of(text: &str, native: bool) -> Vec<Family> {
    let settings = if text.trim_end().ends_with("# EOF") {
        promtext::Settings::openmetrics()
    } else {
        promtext::Settings::default()
    };
    let parsed =
        promtext::family::collect_families(promtext::parse_with(text.as_bytes(), settings))
            .unwrap_or_default();
    let mut families = write::from_text(&parsed);
    if native {
        for f in &mut families {
            if f.metric_type != MetricType::Histogram {
                continue;
            }
            for m in &mut f.metrics {
                if let Value::Histogram(count, sum, buckets, _) = &m.value {
                    let pairs: Vec<(f64, f64)> =
                        buckets.iter().map(|b| (b.upper, b.count)).collect();
                    let n = to_native(*count, *sum, &pairs, ENVOY_NATIVE_MAX_BUCKETS);
                    m.value = Value::Histogram(*count, *sum, Vec::new(), Some(n));
                }
            }
        }
    }
    families
}

/// The native bucket of `v` in `schema`: the `idx` with `bound(idx - 1) < v <= bound(idx)`.
fn index_of(v: f64, schema: i32) -> i64 {
    let mut idx = (v.log2() * 2f64.powi(schema)).ceil() as i64;
    while bound(idx - 1, schema) >= v {
        idx -= 1;
    }
    while bound(idx, schema) < v {
        idx += 1;
    }
    idx
}

/// A classic histogram (cumulative `(upper, count)` buckets) as Envoy maps it to a native one:
/// each bucket's observations at its upper bound (the +Inf bucket's at the largest finite
/// bound), those at most the zero threshold in the zero bucket.
pub fn to_native(count: f64, sum: f64, buckets: &[(f64, f64)], max_buckets: usize) -> Native {
    let mut obs: Vec<(f64, f64)> = Vec::new();
    let mut prev = 0.0;
    let mut last_finite = 1.0;
    for &(upper, cum) in buckets {
        let c = cum - prev;
        prev = cum;
        let at = if upper.is_finite() {
            upper
        } else {
            last_finite
        };
        if upper.is_finite() {
            last_finite = upper;
        }
        if c > 0.0 {
            obs.push((at, c));
        }
    }
    let mut n = Native::new(3);
    n.count = count;
    n.sum = sum;
    n.zero_threshold = ENVOY_NATIVE_ZERO_THRESHOLD;
    if obs.is_empty() {
        n.zero_threshold = 0.0;
        n.positive_spans = vec![(0, 0)];
        return n;
    }
    let mut schema = 4;
    let mut idx: Vec<(i64, f64)>;
    loop {
        idx = Vec::new();
        let mut zero = 0.0;
        for &(v, c) in &obs {
            if v <= ENVOY_NATIVE_ZERO_THRESHOLD {
                zero += c;
                continue;
            }
            let i = index_of(v, schema);
            match idx.last_mut() {
                Some((j, acc)) if *j == i => *acc += c,
                _ => idx.push((i, c)),
            }
        }
        idx.sort_by_key(|x| x.0);
        idx.dedup_by(|a, b| {
            if a.0 == b.0 {
                b.1 += a.1;
                true
            } else {
                false
            }
        });
        n.zero_count = zero;
        if idx.len() <= max_buckets || schema == -4 {
            break;
        }
        schema -= 1;
    }
    n.schema = schema;
    let mut next = 0i64;
    for (k, &(i, c)) in idx.iter().enumerate() {
        if k > 0 && i == next {
            if let Some(s) = n.positive_spans.last_mut() {
                s.1 += 1;
            }
        } else {
            n.positive_spans
                .push(((if k == 0 { i } else { i - next }) as i32, 1));
        }
        n.positive.push(c);
        next = i + 1;
    }
    // Counts above what the buckets hold (a NaN observation) keep the count consistent only
    // with a NaN sum; the generator's counts add up.
    n.count = n.positive.iter().sum::<f64>() + n.zero_count;
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envoy_native_mapping() {
        let n = to_native(0.0, 0.0, &[(1.0, 0.0), (f64::INFINITY, 0.0)], 20);
        assert_eq!(
            (n.schema, n.zero_count, n.positive_spans.clone()),
            (3, 0.0, vec![(0, 0)])
        );
        let n = to_native(
            6.0,
            9.0,
            &[(0.5, 1.0), (1.0, 3.0), (10.0, 5.0), (f64::INFINITY, 6.0)],
            20,
        );
        assert_eq!(n.schema, 4);
        assert_eq!(n.zero_count, 1.0);
        assert_eq!(n.positive, [2.0, 3.0]);
        assert_eq!(
            n.positive_spans,
            [(0, 1), (index_of(10.0, 4) as i32 - 1, 1)]
        );
        // Many buckets: the schema drops until at most 3 remain.
        let b: Vec<(f64, f64)> = (1..40).map(|i| (i as f64, i as f64)).collect();
        let n = to_native(39.0, 1.0, &b, 3);
        assert!(n.positive.len() <= 3 && n.schema < 4, "{n:?}");
        assert_eq!(n.positive.iter().sum::<f64>() + n.zero_count, 39.0);
    }
}
