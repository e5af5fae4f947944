//! Composite values: a summary's or histogram's `{count:…,sum:…,…}`, classic buckets,
//! quantiles and native buckets, checked and decoded.

use super::*;

impl Om2State {
    /// A composite value's type against its family's.
    pub(super) fn check_composite_type(
        &self,
        b: &[u8],
        t: MetricType,
        c: &Composite,
        col: usize,
    ) -> Result<(), LineError> {
        let ok = match t {
            MetricType::Unknown => true,
            MetricType::Histogram => c.kind == Kind::Histogram,
            MetricType::GaugeHistogram => c.kind == Kind::GaugeHistogram,
            MetricType::Summary => c.kind == Kind::Summary,
            _ => false,
        };
        if ok {
            return Ok(());
        }
        let what = match c.kind {
            Kind::Histogram => "histogram",
            Kind::GaugeHistogram => "gaugehistogram",
            Kind::Summary => "summary",
        };
        Err(at(
            b,
            col,
            &format!("a {what} composite value in a family of type {t}"),
        ))
    }

    /// Parses and checks the composite value `b[start..close]` (between its braces).
    pub(super) fn composite(
        &self,
        b: &[u8],
        start: usize,
        close: usize,
    ) -> Result<Composite, LineError> {
        let mut c = Composite::default();
        let mut i = start;
        let (count_key, sum_key) = if b[start..close].starts_with(b"gcount:") {
            c.kind = Kind::GaugeHistogram;
            (&b"gcount:"[..], &b"gsum:"[..])
        } else {
            (&b"count:"[..], &b"sum:"[..])
        };
        c.count = self.field_number(b, &mut i, close, count_key)?;
        expect(b, &mut i, close, b",")?;
        c.sum = self.field_number(b, &mut i, close, sum_key)?;
        expect(b, &mut i, close, b",")?;
        let summary = b[i..close].starts_with(b"quantile:[");
        if self.strict && c.kind != Kind::GaugeHistogram {
            let (count, sum) = (c.count.0, c.sum.0);
            if count.is_nan() || count < 0.0 {
                return Err(semantic(start, "count must not be NaN or negative"));
            }
            if summary && (sum.is_nan() || sum < 0.0) {
                return Err(semantic(
                    start,
                    "a summary's sum must not be NaN or negative",
                ));
            }
        }
        if summary {
            if c.kind == Kind::GaugeHistogram {
                return Err(at(b, i, "a gauge histogram has no quantiles"));
            }
            c.kind = Kind::Summary;
            i += b"quantile:[".len();
            let list_end = list_end(b, i, close)?;
            self.pairs(b, i, list_end, false, c.count.0)?;
            c.list = Some((i, list_end));
            i = list_end + 1;
        } else {
            if b[i..close].starts_with(b"schema:") {
                c.native = Some(self.native(b, &mut i, close)?);
                if i < close {
                    expect(b, &mut i, close, b",")?;
                }
            }
            if c.native.is_none() || i < close {
                if !b[i..close].starts_with(b"bucket:[") {
                    return Err(at(
                        b,
                        i,
                        "expected \"bucket:[\" or \"schema:\" in composite value",
                    ));
                }
                i += b"bucket:[".len();
                let list_end = list_end(b, i, close)?;
                self.pairs(b, i, list_end, true, c.count.0)?;
                c.list = Some((i, list_end));
                i = list_end + 1;
            }
        }
        if i != close {
            return Err(at(
                b,
                i,
                "unexpected text at the end of the composite value",
            ));
        }
        Ok(c)
    }

    /// `key` then a number up to the next `,` or the end.
    fn field_number(
        &self,
        b: &[u8],
        i: &mut usize,
        close: usize,
        key: &[u8],
    ) -> Result<(f64, Span), LineError> {
        if !b[*i..close].starts_with(key) {
            return Err(at(
                b,
                *i,
                &format!("expected {} in composite value", go_quote(key)),
            ));
        }
        let start = *i + key.len();
        let end = memchr::memchr(b',', &b[start..close]).map_or(close, |n| start + n);
        if end == start {
            return Err(at(b, start, "expected a number in composite value"));
        }
        let text = std::str::from_utf8(&b[..end]).unwrap_or_default();
        let v = self.number(text, start, end)?;
        *i = end;
        Ok((v, Span::new(start, end)))
    }

    /// Checks `threshold:value` pairs of `b[start..end]` (classic buckets or quantiles).
    fn pairs(
        &self,
        b: &[u8],
        start: usize,
        end: usize,
        buckets: bool,
        count: f64,
    ) -> Result<(), LineError> {
        let text = std::str::from_utf8(&b[..end]).unwrap_or_default();
        let mut i = start;
        let mut prev_bound = f64::NEG_INFINITY;
        let mut prev_value = f64::NEG_INFINITY;
        let mut inf = None;
        let mut first = true;
        while i < end || (first && buckets) {
            let colon = memchr::memchr(b':', &b[i..end])
                .map(|n| i + n)
                .ok_or_else(|| at(b, end, "expected \"threshold:value\" in list"))?;
            let stop = memchr::memchr(b',', &b[colon..end]).map_or(end, |n| colon + n);
            if colon == i || stop == colon + 1 {
                return Err(at(b, colon, "expected \"threshold:value\" in list"));
            }
            let bound = parse_value(&text[i..colon]).map_err(|e| value_error(e, text, i, colon))?;
            if bound.is_nan() {
                return Err(at(b, i, "a threshold must not be NaN"));
            }
            let value = self.number(text, colon + 1, stop)?;
            if buckets && bound == f64::INFINITY {
                inf = Some(value);
            }
            if self.strict {
                let form_ok = if buckets && bound.is_infinite() {
                    matches!(&b[i..colon], b"+Inf" | b"-Inf")
                } else {
                    abnf_real(&b[i..colon])
                };
                if !form_ok {
                    return Err(semantic(
                        i,
                        format!(
                            "threshold {} is not in the OpenMetrics form",
                            go_quote(&b[i..colon])
                        ),
                    ));
                }
                if bound <= prev_bound && !first {
                    return Err(semantic(i, "thresholds must be sorted in increasing order"));
                }
                if buckets {
                    if value.is_nan() || value < 0.0 {
                        return Err(semantic(
                            colon + 1,
                            "a bucket count must not be NaN or negative",
                        ));
                    }
                    if value < prev_value {
                        return Err(semantic(colon + 1, "classic buckets must be cumulative"));
                    }
                } else {
                    if !(0.0..=1.0).contains(&bound) {
                        return Err(semantic(i, "a quantile must be between 0 and 1"));
                    }
                    if value < 0.0 {
                        return Err(semantic(colon + 1, "a quantile value must not be negative"));
                    }
                }
            }
            prev_bound = bound;
            prev_value = value;
            first = false;
            i = stop + 1;
        }
        if buckets {
            let Some(inf_count) = inf else {
                return Err(at(b, end, "classic buckets need a +Inf bucket"));
            };
            if self.strict {
                if prev_bound != f64::INFINITY {
                    return Err(semantic(end, "the +Inf bucket must be the last"));
                }
                if inf_count != count {
                    return Err(semantic(end, "the +Inf bucket must equal the count"));
                }
            }
        }
        Ok(())
    }

    /// `schema:…,zero_threshold:…,zero_count:…[,negative_spans:[…],negative_buckets:[…]][,positive_spans:[…],positive_buckets:[…]]`.
    fn native(&self, b: &[u8], i: &mut usize, close: usize) -> Result<Native, LineError> {
        let mut n = Native::default();
        let (start, close) = (memchr::memrchr(b'{', &b[..*i]).map_or(*i, |k| k + 1), close);
        (n.start, n.close) = (start, close);
        *i += b"schema:".len();
        let end = memchr::memchr(b',', &b[*i..close]).map_or(close, |k| *i + k);
        let schema =
            parse_int(&b[*i..end]).ok_or_else(|| at(b, *i, "schema must be an integer"))?;
        if !(-4..=8).contains(&schema) {
            return Err(LineError::new(
                ErrorKind::InvalidHistogram,
                *i,
                format!("histogram schema {schema} is out of range (-4 to 8)"),
            ));
        }
        n.schema = schema as i32;
        *i = end;
        expect(b, i, close, b",")?;
        let (zt, zt_span) = self.field_number(b, i, close, b"zero_threshold:")?;
        if !abnf_real(&b[zt_span.start() as usize..zt_span.end() as usize]) || zt < 0.0 {
            return Err(at(
                b,
                zt_span.start() as usize,
                "zero_threshold must be a non-negative real number",
            ));
        }
        n.zero_threshold = zt;
        expect(b, i, close, b",")?;
        n.zero_count = self.field_number(b, i, close, b"zero_count:")?.0;
        if self.strict && (n.zero_count.is_nan() || n.zero_count < 0.0) {
            return Err(semantic(*i, "zero_count must not be NaN or negative"));
        }
        for (side, spans_key, buckets_key) in [
            (0, &b",negative_spans:["[..], &b",negative_buckets:["[..]),
            (1, &b",positive_spans:["[..], &b",positive_buckets:["[..]),
        ] {
            if !b[*i..close].starts_with(spans_key) {
                continue;
            }
            *i += spans_key.len();
            let s_end = list_end(b, *i, close)?;
            let spans = (*i, s_end);
            let total = spans_total(b, *i, s_end)?;
            *i = s_end + 1;
            if !b[*i..close].starts_with(buckets_key) {
                return Err(at(
                    b,
                    *i,
                    &format!("expected {} after the spans", go_quote(&buckets_key[1..])),
                ));
            }
            *i += buckets_key.len();
            let k_end = list_end(b, *i, close)?;
            let mut count = 0u64;
            let mut j = *i;
            let text = std::str::from_utf8(&b[..k_end]).unwrap_or_default();
            while j < k_end {
                let stop = memchr::memchr(b',', &b[j..k_end]).map_or(k_end, |k| j + k);
                let v = self.number(text, j, stop)?;
                if self.strict && (v.is_nan() || v < 0.0) {
                    return Err(semantic(
                        j,
                        "a native bucket count must not be NaN or negative",
                    ));
                }
                count += 1;
                j = stop + 1;
            }
            if count != total {
                return Err(LineError::new(
                    ErrorKind::InvalidHistogram,
                    *i,
                    format!("spans need {total} buckets but {count} are given"),
                ));
            }
            let buckets = (*i, k_end);
            *i = k_end + 1;
            if side == 0 {
                n.negative = Some((spans, buckets));
            } else {
                n.positive = Some((spans, buckets));
            }
        }
        Ok(n)
    }
}

fn expect(b: &[u8], i: &mut usize, close: usize, what: &[u8]) -> Result<(), LineError> {
    if !b[*i..close].starts_with(what) {
        return Err(at(
            b,
            *i,
            &format!("expected {} in composite value", go_quote(what)),
        ));
    }
    *i += what.len();
    Ok(())
}

/// The `]` closing the list that starts at `start`.
fn list_end(b: &[u8], start: usize, close: usize) -> Result<usize, LineError> {
    memchr::memchr(b']', &b[start..close])
        .map(|n| start + n)
        .ok_or_else(|| at(b, close, "list not closed with ]"))
}

/// The total length of the spans `offset:length,…` in `b[start..end]`.
fn spans_total(b: &[u8], start: usize, end: usize) -> Result<u64, LineError> {
    let mut total = 0u64;
    let mut i = start;
    let mut first = true;
    while i < end {
        let stop = memchr::memchr(b',', &b[i..end]).map_or(end, |n| i + n);
        let colon = memchr::memchr(b':', &b[i..stop])
            .map(|n| i + n)
            .ok_or_else(|| at(b, stop, "expected \"offset:length\" in spans"))?;
        let off =
            parse_int(&b[i..colon]).ok_or_else(|| at(b, i, "a span offset must be an integer"))?;
        if !first && off < 0 {
            return Err(at(b, i, "only the first span may have a negative offset"));
        }
        let len = parse_int(&b[colon + 1..stop])
            .filter(|&l| l >= 0 && b[colon + 1] != b'-')
            .ok_or_else(|| at(b, colon + 1, "a span length must be a non-negative integer"))?;
        total = total.saturating_add(len as u64);
        first = false;
        i = stop + 1;
    }
    Ok(total)
}

/// An ABNF integer: `[SIGN] 1*DIGIT`, within i32 (schema and span fields).
fn parse_int(b: &[u8]) -> Option<i64> {
    let digits = match b.first()? {
        b'+' | b'-' => &b[1..],
        _ => b,
    };
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        v = v * 10 + (d - b'0') as i64;
    }
    let v = if b[0] == b'-' { -v } else { v };
    (i32::MIN as i64..=i32::MAX as i64)
        .contains(&v)
        .then_some(v)
}

/// The ABNF `realnumber`: `[SIGN] 1*DIGIT ["." *DIGIT] ["e" [SIGN] 1*DIGIT]` or
/// `[SIGN] *DIGIT "." 1*DIGIT ["e" [SIGN] 1*DIGIT]`.
pub(crate) fn abnf_real(b: &[u8]) -> bool {
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    i += int;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac;
    }
    if int == 0 && frac == 0 {
        return false;
    }
    // ABNF strings are case-insensitive: `e` or `E`.
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp == 0 {
            return false;
        }
        i += exp;
    }
    i == b.len()
}

/// The ABNF `number`: a realnumber, `[SIGN]` inf/infinity, or nan (case-insensitive).
pub(crate) fn abnf_number(b: &[u8]) -> bool {
    if abnf_real(b) {
        return true;
    }
    let body = match b.first() {
        Some(b'+' | b'-') => &b[1..],
        _ => b,
    };
    body.eq_ignore_ascii_case(b"inf")
        || body.eq_ignore_ascii_case(b"infinity")
        || b.eq_ignore_ascii_case(b"nan")
}

/// Fills `d` from the validated composite value `b[start..close]` (native fields only).
pub(crate) fn fill_native(b: &[u8], start: usize, close: usize, d: &mut crate::protobuf::Decoded) {
    let text = std::str::from_utf8(&b[..close]).unwrap_or_default();
    let num =
        |s: usize, e: usize| parse_value(text.get(s..e).unwrap_or_default()).unwrap_or(f64::NAN);
    // Integer counts unless one of them is written otherwise.
    let mut float = false;
    let mut is_int = |s: usize, e: usize| {
        if !b[s..e]
            .iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'+' | b'-'))
        {
            float = true;
        }
    };
    // Fields: `key:value` at depth 0, values possibly `[…]` lists.
    let mut fields: [(usize, usize, usize); 12] = [(0, 0, 0); 12];
    let mut n = 0;
    let mut i = start;
    while i < close && n < fields.len() {
        let colon = memchr::memchr(b':', &b[i..close]).map_or(close, |k| i + k);
        let vend = if b.get(colon + 1) == Some(&b'[') {
            memchr::memchr(b']', &b[colon..close]).map_or(close, |k| colon + k + 1)
        } else {
            memchr::memchr(b',', &b[colon..close]).map_or(close, |k| colon + k)
        };
        fields[n] = (i, colon, vend);
        n += 1;
        i = vend + 1;
    }
    let mut pos_buckets = (0, 0);
    let mut neg_buckets = (0, 0);
    for &(k, colon, vend) in &fields[..n] {
        let (vs, ve) = (colon + 1, vend);
        match &b[k..colon] {
            b"count" | b"gcount" => {
                d.count = num(vs, ve);
                is_int(vs, ve);
            }
            b"sum" | b"gsum" => d.sum = num(vs, ve),
            b"schema" => d.schema = parse_int(&b[vs..ve]).unwrap_or(0) as i32,
            b"zero_threshold" => d.zero_threshold = num(vs, ve),
            b"zero_count" => {
                d.zero_count = num(vs, ve);
                is_int(vs, ve);
            }
            key @ (b"positive_spans" | b"negative_spans") => {
                let spans = if key == b"positive_spans" {
                    &mut d.positive_spans
                } else {
                    &mut d.negative_spans
                };
                let mut j = vs + 1;
                while j < ve - 1 {
                    let stop = memchr::memchr(b',', &b[j..ve - 1]).map_or(ve - 1, |k| j + k);
                    let c = memchr::memchr(b':', &b[j..stop]).map_or(stop, |k| j + k);
                    let off = parse_int(&b[j..c]).unwrap_or(0) as i32;
                    let len = parse_int(&b[(c + 1).min(stop)..stop]).unwrap_or(0) as u32;
                    spans.push((off, len));
                    j = stop + 1;
                }
            }
            b"positive_buckets" => pos_buckets = (vs + 1, ve - 1),
            b"negative_buckets" => neg_buckets = (vs + 1, ve - 1),
            _ => {}
        }
    }
    for &(s, e) in &[pos_buckets, neg_buckets] {
        let mut j = s;
        while j < e {
            let stop = memchr::memchr(b',', &b[j..e]).map_or(e, |k| j + k);
            is_int(j, stop);
            j = stop + 1;
        }
    }
    d.float = float;
    for (side, (s, e)) in [(0, pos_buckets), (1, neg_buckets)] {
        let mut j = s;
        let mut prev = 0i64;
        while j < e {
            let stop = memchr::memchr(b',', &b[j..e]).map_or(e, |k| j + k);
            let v = num(j, stop);
            if float {
                if side == 0 {
                    d.positive_counts.push(v);
                } else {
                    d.negative_counts.push(v);
                }
            } else {
                let v = v as i64;
                let delta = v.wrapping_sub(prev);
                prev = v;
                if side == 0 {
                    d.positive_deltas.push(delta);
                } else {
                    d.negative_deltas.push(delta);
                }
            }
            j = stop + 1;
        }
    }
}
