//! Shape statistics of an exposition body, to compare generated bodies with
//! real captures.

/// The shape of a Prometheus text body: how much of it is metadata, how
/// many lines a family has, how long and how labelled its sample lines are.
///
/// Lines are counted without blank lines. A sample line is any other line
/// that does not start with `#`. The label block is read quote-aware, so a
/// `}` or `,` inside a value does not end it; a malformed block is counted
/// up to where it stops making sense (no panic, no error).
///
/// ```
/// use promtext_gen::Shape;
///
/// let body = concat!(
///     "# TYPE a counter\na{x=\"1\",y=\"ab\"} 1\na{x=\"2\",y=\"a\\\\b\"} 2\n",
///     "# TYPE b_seconds histogram\nb_seconds_bucket{le=\"+Inf\"} 3\n",
/// );
/// let s = Shape::of(body.as_bytes());
/// assert_eq!((s.lines, s.samples, s.type_lines), (5, 3, 2));
/// assert_eq!(s.type_share, 0.4);
/// assert_eq!(s.samples_per_family, 1.5);
/// assert_eq!(s.labels_per_sample, 5.0 / 3.0);
/// assert_eq!(s.escape_share, 1.0 / 3.0);
/// assert_eq!(s.bucket_share, 1.0 / 3.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Shape {
    /// Non-blank lines.
    pub lines: usize,
    /// Sample lines.
    pub samples: usize,
    /// `# TYPE` lines.
    pub type_lines: usize,
    /// `# HELP` lines.
    pub help_lines: usize,
    /// `# TYPE` lines per non-blank line.
    pub type_share: f64,
    /// `# HELP` lines per non-blank line.
    pub help_share: f64,
    /// Sample lines per `# TYPE` line (all sample lines when there is none):
    /// a histogram series counts each of its lines.
    pub samples_per_family: f64,
    /// Mean number of labels on a sample line, `le` and `quantile` included.
    pub labels_per_sample: f64,
    /// Mean length of a label value in bytes, as written (escaped).
    pub label_value_len: f64,
    /// Mean length of a sample line in bytes, without its LF.
    pub line_len_mean: f64,
    /// Median length of a sample line in bytes (the mean of the two middle
    /// ones for an even count).
    pub line_len_median: f64,
    /// Share of sample lines with a backslash in their label block.
    pub escape_share: f64,
    /// Share of sample lines whose name ends in `_bucket`.
    pub bucket_share: f64,
}

impl Shape {
    /// Computes the statistics of `body`.
    pub fn of(body: &[u8]) -> Shape {
        let mut s = Shape::default();
        let mut lens: Vec<usize> = Vec::new();
        let (mut labels, mut values, mut value_bytes) = (0usize, 0usize, 0usize);
        let (mut escaped, mut buckets) = (0usize, 0usize);
        for line in body.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            s.lines += 1;
            if line.starts_with(b"#") {
                if line.starts_with(b"# TYPE ") {
                    s.type_lines += 1;
                } else if line.starts_with(b"# HELP ") {
                    s.help_lines += 1;
                }
                continue;
            }
            s.samples += 1;
            lens.push(line.len());
            let name_end = line
                .iter()
                .position(|&b| b == b'{' || b == b' ' || b == b'\t')
                .unwrap_or(line.len());
            if line[..name_end].ends_with(b"_bucket") {
                buckets += 1;
            }
            if line.get(name_end) == Some(&b'{') {
                let b = LabelBlock::walk(&line[name_end + 1..]);
                labels += b.labels;
                values += b.labels;
                value_bytes += b.value_bytes;
                escaped += usize::from(b.backslash);
            }
        }
        let per = |n: usize, d: usize| if d == 0 { 0.0 } else { n as f64 / d as f64 };
        s.type_share = per(s.type_lines, s.lines);
        s.help_share = per(s.help_lines, s.lines);
        s.samples_per_family = per(s.samples, s.type_lines.max(1));
        s.labels_per_sample = per(labels, s.samples);
        s.label_value_len = per(value_bytes, values);
        s.line_len_mean = per(lens.iter().sum(), s.samples);
        lens.sort_unstable();
        s.line_len_median = match lens.len() {
            0 => 0.0,
            n if n % 2 == 1 => lens[n / 2] as f64,
            n => (lens[n / 2 - 1] + lens[n / 2]) as f64 / 2.0,
        };
        s.escape_share = per(escaped, s.samples);
        s.bucket_share = per(buckets, s.samples);
        s
    }

    /// The statistics compared between bodies, as (name, value) pairs in
    /// a fixed order.
    ///
    /// ```
    /// let s = promtext_gen::Shape::of(b"a{} 1\n");
    /// assert_eq!(s.stats()[0], ("type_share", 0.0));
    /// ```
    pub fn stats(&self) -> [(&'static str, f64); 10] {
        [
            ("type_share", self.type_share),
            ("help_share", self.help_share),
            ("samples_per_family", self.samples_per_family),
            ("labels_per_sample", self.labels_per_sample),
            ("label_value_len", self.label_value_len),
            ("line_len_mean", self.line_len_mean),
            ("line_len_median", self.line_len_median),
            ("escape_share", self.escape_share),
            ("bucket_share", self.bucket_share),
            ("samples", self.samples as f64),
        ]
    }
}

/// What one label block holds.
struct LabelBlock {
    labels: usize,
    value_bytes: usize,
    backslash: bool,
}

impl LabelBlock {
    /// Walks `rest`, the bytes after `{`, up to the closing `}`.
    fn walk(rest: &[u8]) -> LabelBlock {
        let mut b = LabelBlock {
            labels: 0,
            value_bytes: 0,
            backslash: false,
        };
        let mut i = 0;
        loop {
            // Label name up to `=`, or the end of the block.
            while i < rest.len() && !matches!(rest[i], b'=' | b'}') {
                i += 1;
            }
            if i + 1 >= rest.len() || rest[i] != b'=' || rest[i + 1] != b'"' {
                return b;
            }
            i += 2;
            let start = i;
            while i < rest.len() && rest[i] != b'"' {
                if rest[i] == b'\\' {
                    b.backslash = true;
                    i += 1;
                }
                i += 1;
            }
            if i >= rest.len() {
                return b;
            }
            b.labels += 1;
            b.value_bytes += i - start;
            i += 1;
            match rest.get(i) {
                Some(b',') => i += 1,
                _ => return b,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Shape;

    #[test]
    fn hand_written_body() {
        let body = b"# HELP a A thing.\n# TYPE a counter\na{x=\"q}\\\"\",y=\"\"} 1\n\n\
                     a 2\n# TYPE h histogram\nh_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 1\n\
                     h_sum{} 0\nh_count{} 1";
        let s = Shape::of(body);
        assert_eq!(s.lines, 9);
        assert_eq!((s.samples, s.type_lines, s.help_lines), (6, 2, 1));
        assert_eq!(s.type_share, 2.0 / 9.0);
        assert_eq!(s.help_share, 1.0 / 9.0);
        assert_eq!(s.samples_per_family, 3.0);
        // a: 2 labels, a: 0, buckets: 1 each, {}: 0.
        assert_eq!(s.labels_per_sample, 4.0 / 6.0);
        // Values as written: `q}\"` (4), `` (0), `1` (1), `+Inf` (4).
        assert_eq!(s.label_value_len, 9.0 / 4.0);
        // Lengths 18, 3, 18, 21, 9, 11: the middle two are 11 and 18.
        assert_eq!(s.line_len_median, 14.5);
        assert_eq!(s.line_len_mean, 80.0 / 6.0);
        assert_eq!(s.escape_share, 1.0 / 6.0);
        assert_eq!(s.bucket_share, 2.0 / 6.0);
    }

    #[test]
    fn empty_and_malformed() {
        assert_eq!(Shape::of(b"").samples, 0);
        assert_eq!(Shape::of(b"\n\n").lines, 0);
        let s = Shape::of(b"a{x=\"unterminated 1\nb{=\n{\n");
        assert_eq!(s.samples, 3);
        assert_eq!(s.labels_per_sample, 0.0);
    }
}
