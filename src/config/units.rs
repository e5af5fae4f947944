//! Prometheus' units: byte sizes (`units.Base2Bytes`) and durations (`model.Duration`).

use std::fmt::Write as _;

/// Parses a Prometheus `units.Base2Bytes` value (`512`, `10KB`, `10MB`, `1GiB`, ...).
pub fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mul: u64 = match unit {
        "" | "B" => 1,
        "KB" | "KiB" => 1 << 10,
        "MB" | "MiB" => 1 << 20,
        "GB" | "GiB" => 1 << 30,
        "TB" | "TiB" => 1 << 40,
        "PB" | "PiB" => 1 << 50,
        "EB" | "EiB" => 1 << 60,
        _ => return None,
    };
    n.checked_mul(mul)
}

const UNITS: [(&str, u64); 7] = [
    ("y", 1000 * 60 * 60 * 24 * 365),
    ("w", 1000 * 60 * 60 * 24 * 7),
    ("d", 1000 * 60 * 60 * 24),
    ("h", 1000 * 60 * 60),
    ("m", 1000 * 60),
    ("s", 1000),
    ("ms", 1),
];

/// Parses a Prometheus duration (`1m`, `15s`, `1h30m`, `500ms`, `0`) into milliseconds.
///
/// ```
/// use promtext::config::parse_duration;
/// assert_eq!(parse_duration("1m30s"), Some(90_000));
/// assert_eq!(parse_duration("bogus"), None);
/// ```
pub fn parse_duration(s: &str) -> Option<u64> {
    if s == "0" {
        return Some(0);
    }
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let mut i = 0;
    let mut total: u64 = 0;
    let mut last_rank = None;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        let n: u64 = s[start..i].parse().ok()?;
        let ustart = i;
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = &s[ustart..i];
        let rank = UNITS.iter().position(|(u, _)| *u == unit)?;
        if last_rank.is_some_and(|r| rank <= r) {
            return None;
        }
        last_rank = Some(rank);
        total = total.checked_add(n.checked_mul(UNITS[rank].1)?)?;
    }
    Some(total)
}

/// Formats milliseconds as Prometheus' `model.Duration.String()` does (`60000` → `1m`).
///
/// ```
/// use promtext::config::format_duration;
/// assert_eq!(format_duration(90_000), "1m30s");
/// assert_eq!(format_duration(0), "0s");
/// ```
pub fn format_duration(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut ms = ms;
    let mut r = String::new();
    for (i, (u, mult)) in UNITS.iter().enumerate() {
        let exact = i < 2;
        if exact && ms % mult != 0 {
            continue;
        }
        let v = ms / mult;
        if v > 0 {
            let _ = write!(r, "{v}{u}");
            ms -= v * mult;
        }
    }
    r
}
