//! A classic histogram read straight from its `Metric` message, for the conversion to custom
//! buckets (Prometheus' `convertToNHCB` reads the message, not the series it presents).

use super::messages::{bucket, exemplar};
use super::wire::Fields;

/// The `Histogram` message (field 7) of a validated `Metric` message.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClassicHistogram<'a> {
    msg: &'a [u8],
}

impl<'a> ClassicHistogram<'a> {
    pub(crate) fn of_metric(metric: &'a [u8]) -> Self {
        let mut msg: &[u8] = &[];
        let mut f = Fields::new(metric);
        while let Some(Ok((n, v, _))) = f.next_field() {
            if n == 7 {
                msg = v.as_bytes().unwrap_or_default();
            }
        }
        ClassicHistogram { msg }
    }

    /// `sample_count_float` when it is not 0, else `sample_count` (Prometheus' reading).
    pub(crate) fn count(&self) -> f64 {
        let (mut n, mut f) = (0u64, 0.0);
        let mut fs = Fields::new(self.msg);
        while let Some(Ok((k, v, _))) = fs.next_field() {
            match k {
                1 => n = v.as_varint().unwrap_or_default(),
                4 => f = v.as_f64().unwrap_or_default(),
                _ => {}
            }
        }
        if f != 0.0 { f } else { n as f64 }
    }

    /// `sample_sum`.
    pub(crate) fn sum(&self) -> f64 {
        let mut s = 0.0;
        let mut fs = Fields::new(self.msg);
        while let Some(Ok((k, v, _))) = fs.next_field() {
            if k == 2 {
                s = v.as_f64().unwrap_or_default();
            }
        }
        s
    }

    /// The classic buckets: `(upper bound, cumulative count)` (`cumulative_count_float` when it
    /// is not 0) and the bucket's exemplar message.
    pub(crate) fn buckets(&self) -> impl Iterator<Item = (f64, f64, Option<&'a [u8]>)> + 'a {
        let mut f = Fields::new(self.msg);
        std::iter::from_fn(move || {
            loop {
                let (n, v, _) = f.next_field()?.ok()?;
                if n == 3 {
                    let b = bucket(v.as_bytes()?).ok()?;
                    return Some((b.upper, b.count, b.exemplar));
                }
            }
        })
    }

    /// The messages of the `exemplars` field (16).
    pub(crate) fn exemplars(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut f = Fields::new(self.msg);
        std::iter::from_fn(move || {
            loop {
                let (n, v, _) = f.next_field()?.ok()?;
                if n == 16 {
                    return v.as_bytes();
                }
            }
        })
    }
}

/// Whether an `Exemplar` message has a timestamp (Prometheus keeps only those for a histogram
/// it presents as native).
pub(crate) fn exemplar_has_timestamp(msg: &[u8]) -> bool {
    exemplar(msg).is_ok_and(|e| e.timestamp_ms().is_some())
}
