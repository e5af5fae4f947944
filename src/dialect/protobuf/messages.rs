//! Decoders of the small messages inside a family: timestamps, quantiles, classic buckets,
//! exemplars.

use super::event::Exemplar;
use super::wire::{Fields, WireError};

/// A `google.protobuf.Timestamp` in milliseconds (Go's `AsTime().UnixMilli()`).
pub(crate) fn timestamp_ms(b: &[u8]) -> Result<i64, WireError> {
    let (mut secs, mut nanos) = (0i64, 0i64);
    let mut f = Fields::new(b);
    while let Some(r) = f.next_field() {
        let (n, v, at) = r?;
        let bad = WireError {
            at,
            what: "wrong wire type for a varint field",
        };
        match n {
            1 => secs = v.as_varint().ok_or(bad)? as i64,
            2 => nanos = v.as_varint().ok_or(bad)? as i32 as i64,
            _ => {}
        }
    }
    // Normalise the nanoseconds into [0, 1e9) as Go's `time.Unix` does.
    secs = secs.wrapping_add(nanos.div_euclid(1_000_000_000));
    nanos = nanos.rem_euclid(1_000_000_000);
    Ok(secs.wrapping_mul(1000).wrapping_add(nanos / 1_000_000))
}

/// A `Quantile`: `(quantile, value)`.
pub(super) fn quantile(b: &[u8]) -> Result<(f64, f64), WireError> {
    let (mut q, mut v) = (0.0, 0.0);
    let mut f = Fields::new(b);
    while let Some(r) = f.next_field() {
        let (n, val, at) = r?;
        let bad = WireError {
            at,
            what: "wrong wire type for a double field",
        };
        match n {
            1 => q = val.as_f64().ok_or(bad)?,
            2 => v = val.as_f64().ok_or(bad)?,
            _ => {}
        }
    }
    Ok((q, v))
}

pub(super) struct ClassicBucket<'a> {
    pub(super) upper: f64,
    pub(super) count: f64,
    pub(super) exemplar: Option<&'a [u8]>,
}

/// A classic `Bucket` (`cumulative_count_float` when it is > 0).
pub(super) fn bucket(b: &[u8]) -> Result<ClassicBucket<'_>, WireError> {
    let (mut count, mut count_f, mut upper) = (0u64, 0.0, 0.0);
    let mut exemplar = None;
    let mut f = Fields::new(b);
    while let Some(r) = f.next_field() {
        let (n, v, at) = r?;
        let bad = WireError {
            at,
            what: "wrong wire type for a bucket field",
        };
        match n {
            1 => count = v.as_varint().ok_or(bad)?,
            2 => upper = v.as_f64().ok_or(bad)?,
            3 => exemplar = Some(v.as_bytes().ok_or(bad)?),
            4 => count_f = v.as_f64().ok_or(bad)?,
            _ => {}
        }
    }
    Ok(ClassicBucket {
        upper,
        count: if count_f > 0.0 { count_f } else { count as f64 },
        exemplar,
    })
}

/// An `Exemplar` message (validated by the caller).
pub(crate) fn exemplar(b: &[u8]) -> Result<Exemplar<'_>, WireError> {
    let mut e = Exemplar {
        msg: b,
        value: 0.0,
        timestamp_ms: None,
    };
    let mut f = Fields::new(b);
    while let Some(r) = f.next_field() {
        let (n, v, at) = r?;
        let bad = WireError {
            at,
            what: "wrong wire type for an exemplar field",
        };
        match n {
            2 => e.value = v.as_f64().ok_or(bad)?,
            3 => e.timestamp_ms = Some(timestamp_ms(v.as_bytes().ok_or(bad)?)?),
            _ => {}
        }
    }
    Ok(e)
}
