//! Baselines shared by the bench binaries, so that every group measures exactly the same
//! reference work and the ratios of different benches can be compared.

// Only the parallel bench and `benches/tools/parallel_ratio.rs` use it.
#[cfg(feature = "parallel")]
#[allow(dead_code)]
pub mod parallel;

/// Counts line feeds with memchr: the floor of any line-based parser.
pub fn memchr_lines(input: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', input).count()
}

/// Splits lines with memchr, skips `#` lines and parses the text after the last space as
/// `f64`: no labels, no validation. The "naive" unit the ratios are given in.
pub fn naive_split(input: &[u8]) -> f64 {
    let mut sum = 0.0;
    let mut rest = input;
    while !rest.is_empty() {
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(n) => (&rest[..n], &rest[n + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        let last = match memchr::memrchr(b' ', line) {
            Some(p) => &line[p + 1..],
            None => line,
        };
        if let Some(v) = std::str::from_utf8(last)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
        {
            sum += v;
        }
    }
    sum
}

/// A body cut after the first line feed at or after its middle: the two halves of the
/// parallel benches' `halves_scoped` ceiling (used by the parallel bench and
/// `benches/tools/parallel_ratio.rs` only).
#[allow(dead_code)]
pub fn halves(input: &[u8]) -> (&[u8], &[u8]) {
    let mid = input.len() / 2;
    let cut = memchr::memchr(b'\n', &input[mid..]).map_or(input.len(), |p| mid + p + 1);
    input.split_at(cut)
}

/// The median of some timings.
#[allow(dead_code)]
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs `a` and `b` alternately `rounds` times and returns the medians of their times in
/// seconds, and the sum of what they returned (so that neither is optimised away). Timing the
/// two in alternation makes their ratio robust on a shared machine whose speed changes within
/// minutes (the examples' `ratio` modes).
#[allow(dead_code)]
pub fn interleaved_medians(
    rounds: usize,
    mut a: impl FnMut() -> usize,
    mut b: impl FnMut() -> usize,
) -> (f64, f64, usize) {
    let (mut ta, mut tb, mut sink) = (Vec::new(), Vec::new(), 0usize);
    for _ in 0..rounds {
        let t = std::time::Instant::now();
        sink = sink.wrapping_add(a());
        ta.push(t.elapsed().as_secs_f64());
        let t = std::time::Instant::now();
        sink = sink.wrapping_add(b());
        tb.push(t.elapsed().as_secs_f64());
    }
    (median(ta), median(tb), sink)
}
