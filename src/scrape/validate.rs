//! The checks and limits a scrape applies to each series: names, label limits, `sample_limit`, native
//! histogram resolution; and the message helpers they share.

use super::{ScrapeError, ScrapeReport};
use crate::config::{ProtocolSettings, ScrapeLimits};
use crate::go::{is_legacy_metric_name, quote_str};
use crate::relabel::{Labels, NameValidationScheme};

/// Counts a sample against `sample_limit`; `true` when it must not be appended.
pub(super) fn over_limit(
    report: &mut ScrapeReport,
    hit: &mut bool,
    limit: u64,
    lenient: bool,
) -> bool {
    // Prometheus' limit appender counts the samples it is asked to append: in-scrape repeats of a series
    // (`duplicate_samples`) never reach it.
    if limit == 0 || report.samples_post_relabel - report.duplicate_samples <= limit {
        return *hit;
    }
    if lenient {
        report.samples_over_limit += 1;
    } else {
        *hit = true;
    }
    true
}

/// Prometheus' `bucketLimitAppender` and `maxSchemaAppender`: lowers the schema to the job's maximum (from
/// `native_histogram_min_bucket_factor`), then until the buckets fit `native_histogram_bucket_limit`; merged
/// buckets add up.
pub(super) fn reduce_resolution(
    schema: &mut i32,
    pos: &mut Vec<(i32, f64)>,
    neg: &mut Vec<(i32, f64)>,
    p: &ProtocolSettings,
) -> Result<(), ScrapeError> {
    let exponential = (-4..=8).contains(schema);
    let max = p.max_schema();
    if exponential && *schema > max {
        merge_buckets(pos, *schema - max);
        merge_buckets(neg, *schema - max);
        *schema = max;
    }
    let limit = p.native_histogram_bucket_limit;
    if limit == 0 {
        return Ok(());
    }
    while (pos.len() + neg.len()) as u64 > limit {
        if !exponential || *schema <= -4 {
            return Err(ScrapeError::BucketLimit);
        }
        merge_buckets(pos, 1);
        merge_buckets(neg, 1);
        *schema -= 1;
    }
    Ok(())
}

/// Buckets `(index, count)` in index order at a schema `delta` lower: index `i` goes to `((i - 1) >> delta) + 1`
/// (Prometheus' `targetIdx`).
fn merge_buckets(b: &mut Vec<(i32, f64)>, delta: i32) {
    let mut n = 0;
    for i in 0..b.len() {
        let (idx, c) = b[i];
        let t = ((idx - 1) >> delta) + 1;
        if n > 0 && b[n - 1].0 == t {
            b[n - 1].1 += c;
        } else {
            b[n] = (t, c);
            n += 1;
        }
    }
    b.truncate(n);
}

/// The scrape loop's checks on a new series: `__name__`, name validity, `verifyLabelLimits`.
pub(super) fn validate(
    labels: &Labels,
    scheme: NameValidationScheme,
    limits: &ScrapeLimits,
) -> Result<(), ScrapeError> {
    let Some(name) = labels.get("__name__") else {
        return Err(ScrapeError::MissingMetricName);
    };
    let valid = labels.iter().all(|(n, v)| {
        let name_ok = n != "__name__"
            || match scheme {
                NameValidationScheme::Utf8 => !v.is_empty(),
                NameValidationScheme::Legacy => is_legacy_metric_name(v),
            };
        name_ok && scheme.is_valid_label_name(n)
    });
    if !valid {
        return Err(ScrapeError::InvalidNames(clip(labels.to_string())));
    }
    let met = trunc(name, 50);
    if limits.label_limit > 0 && labels.len() as u64 > limits.label_limit {
        return Err(ScrapeError::LabelLimit(format!(
            "label_limit exceeded (metric: {met}, number of labels: {}, limit: {})",
            labels.len(),
            limits.label_limit
        )));
    }
    for (n, v) in labels.iter() {
        let nl = limits.label_name_length_limit;
        if nl > 0 && n.len() as u64 > nl {
            return Err(ScrapeError::LabelLimit(format!(
                "label_name_length_limit exceeded (metric: {met}, label name: {}, length: {}, limit: {nl})",
                trunc(n, 50),
                n.len()
            )));
        }
        let vl = limits.label_value_length_limit;
        if vl > 0 && v.len() as u64 > vl {
            return Err(ScrapeError::LabelLimit(format!(
                "label_value_length_limit exceeded (metric: {met}, label name: {}, value: {}, length: {}, limit: {vl})",
                trunc(n, 50),
                quote_str(trunc(v, 50)),
                v.len()
            )));
        }
    }
    Ok(())
}

/// A string from the body, for a message: longer ones keep their first 100 characters, then `… (N bytes)`.
pub(crate) fn clip(s: String) -> String {
    const KEEP: usize = 100;
    if s.len() <= KEEP + 20 {
        return s;
    }
    format!("{}… ({} bytes)", trunc(&s, KEEP), s.len())
}

/// Go's `%.Ns`: the first `n` characters.
fn trunc(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_truncation() {
        assert_eq!(trunc("héllo", 2), "hé");
        assert!(is_legacy_metric_name("a:b_c1"));
        assert!(!is_legacy_metric_name("1a"));
        assert_eq!(clip("short".to_string()), "short");
        let long = "é".repeat(1000);
        assert_eq!(
            clip(long.clone()),
            format!("{}… (2000 bytes)", "é".repeat(100))
        );
    }
}
