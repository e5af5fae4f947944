//! Decoders of the small messages inside a family: timestamps, quantiles, classic buckets,
//! exemplars.

use super::event::Exemplar;
use super::wire::{Fields, WireError};

/// A `google.protobuf.Timestamp` in milliseconds as Prometheus' `protobufparse` computes it:
/// `seconds * 1000 + nanos / 1e6`, the division truncating (not Go's `time.Unix`, which
/// would take a negative `nanos` from the second before).
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

/// A classic `Bucket` (`cumulative_count_float` when it is not 0, as Prometheus reads it).
///
/// Inline for what encoders write (`cumulative_count`, a varint of at most 9 bytes left out
/// when 0 by proto3 encoders, then `upper_bound`, nothing else: the bound is the last 8 bytes,
/// after its key), since each bucket is read twice (checked with its histogram, then as an
/// event); any other encoding goes through the field walker out of line.
#[inline(always)]
pub(super) fn bucket(b: &[u8]) -> Result<ClassicBucket<'_>, WireError> {
    if let [head @ .., 0x11, u0, u1, u2, u3, u4, u5, u6, u7] = b {
        let upper = f64::from_le_bytes([*u0, *u1, *u2, *u3, *u4, *u5, *u6, *u7]);
        if head.is_empty() {
            return Ok(ClassicBucket {
                upper,
                count: 0.0,
                exemplar: None,
            });
        }
        let varint = head.get(1..).unwrap_or_default();
        let n = varint.len();
        if head[0] == 0x08 && (1..=9).contains(&n) {
            // Every byte but the last has its continuation bit, the last not: the varint
            // ends exactly at the bound's key.
            let mut count = 0u64;
            let mut exact = true;
            for (i, &x) in varint.iter().enumerate() {
                count |= ((x & 0x7f) as u64) << (7 * i);
                exact &= (x >= 0x80) == (i + 1 < n);
            }
            if exact {
                return Ok(ClassicBucket {
                    upper,
                    count: count as f64,
                    exemplar: None,
                });
            }
        }
    }
    bucket_fields(b)
}

/// [`bucket`] for any encoding.
#[inline(never)]
fn bucket_fields(b: &[u8]) -> Result<ClassicBucket<'_>, WireError> {
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
        count: if count_f != 0.0 {
            count_f
        } else {
            count as f64
        },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::protobuf::wire::put_varint;

    fn same(b: &[u8]) {
        let fast = bucket(b).map(|c| (c.upper.to_bits(), c.count.to_bits(), c.exemplar));
        let plain = bucket_fields(b).map(|c| (c.upper.to_bits(), c.count.to_bits(), c.exemplar));
        assert_eq!(fast, plain, "{b:x?}");
    }

    /// The common-encoding fast path of `bucket` agrees with the field walker on its encoding,
    /// every truncation of it, every byte changed, and with fields after it.
    #[test]
    fn bucket_fast_path_agrees() {
        for count in [
            0u64,
            1,
            127,
            128,
            1 << 40,
            (1 << 56) - 1,
            1 << 56,
            (1 << 63) - 1,
            u64::MAX,
        ] {
            for upper in [0.5, 1.0, f64::INFINITY, -0.0, f64::NAN] {
                let mut b = vec![];
                if count != 1 << 40 {
                    // Left out when 0 by proto3 encoders; here also once when not 0.
                    b.push(0x08);
                    put_varint(&mut b, count);
                }
                b.push(0x11);
                b.extend_from_slice(&f64::to_le_bytes(upper));
                same(&b);
                for n in 0..b.len() {
                    same(&b[..n]);
                }
                for i in 0..b.len() {
                    for x in [0x00, 0x08, 0x11, 0x80, 0xff] {
                        let mut m = b.clone();
                        m[i] = x;
                        same(&m);
                    }
                }
                for tail in [
                    &[0x08, 0x05][..],
                    &[0x21, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f],
                    &[0x1a, 0],
                ] {
                    let mut m = b.clone();
                    m.extend_from_slice(tail);
                    same(&m);
                }
            }
        }
    }
}
