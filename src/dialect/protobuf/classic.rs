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

    /// The `Histogram` message `msg` itself (validated).
    pub(crate) fn of_histogram(msg: &'a [u8]) -> Self {
        ClassicHistogram { msg }
    }

    /// The exemplar messages Prometheus keeps for the histogram presented as native: those of
    /// its `exemplars` field (16) with a timestamp, or, when that field is empty, those of its
    /// classic buckets with one.
    pub(crate) fn native_exemplars(&self) -> NativeExemplars<'a> {
        let mut f = Fields::new(self.msg);
        let own = std::iter::from_fn(|| f.next_field()?.ok()).any(|(n, ..)| n == 16);
        NativeExemplars {
            fields: Fields::new(self.msg),
            own,
        }
    }
}

/// See [`ClassicHistogram::native_exemplars`].
#[derive(Clone, Debug)]
pub(crate) struct NativeExemplars<'a> {
    fields: Fields<'a>,
    /// Whether the histogram's own exemplars are the ones taken (else its buckets').
    own: bool,
}

impl<'a> Iterator for NativeExemplars<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let (n, v, _) = self.fields.next_field()?.ok()?;
            let msg = match (self.own, n) {
                (true, 16) => v.as_bytes()?,
                (false, 3) => match bucket(v.as_bytes()?).ok()?.exemplar {
                    Some(m) => m,
                    None => continue,
                },
                _ => continue,
            };
            if exemplar_has_timestamp(msg) {
                return Some(msg);
            }
        }
    }
}

/// Whether an `Exemplar` message has a timestamp (Prometheus keeps only those for a histogram
/// it presents as native).
fn exemplar_has_timestamp(msg: &[u8]) -> bool {
    exemplar(msg).is_ok_and(|e| e.timestamp_ms().is_some())
}
