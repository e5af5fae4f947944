//! Helpers shared by the fuzz targets (included with `#[path]`; not a target itself).
#![allow(dead_code)]

use promtext::{Settings, Validation};

/// The fuzzer's cut offsets (any values) as sorted offsets into `len` bytes, ending at `len`.
pub fn cut_points(cuts: &[u16], len: usize) -> Vec<usize> {
    let mut points: Vec<usize> = cuts.iter().map(|&c| c as usize % (len + 1)).collect();
    points.sort_unstable();
    points.push(len);
    points
}

/// An OpenMetrics dialect's settings with the fuzzer's choice of level, lenience and a small
/// line limit.
pub fn om_settings(
    base: Settings,
    strict: bool,
    lenient: bool,
    small_lines: Option<usize>,
) -> Settings {
    let level = if strict {
        Validation::Strict
    } else {
        Validation::Prometheus
    };
    let settings = base.validation(level).lenient(lenient);
    match small_lines {
        Some(n) => settings.max_line_len(n),
        None => settings,
    }
}
