//! `promtext gen`: write a generated exposition to stdout.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use promtext_gen::{AppBlock, GenConfig, PRESETS, Profile, generate_to};

/// Arguments of `promtext gen`.
#[derive(clap::Args, Debug)]
pub struct GenArgs {
    /// Profile: envoy, envoy-blankline, envoy-ungrouped, istio, istio-15020;
    /// envoy-many-series and istio-many-series grow by series per family
    /// instead of keeping the captures' shape.
    #[arg(long, default_value = "envoy")]
    pub profile: String,
    /// A named preset (overrides --profile): small-sidecar, busy-sidecar,
    /// legacy-ungrouped, merged-15020-openmetrics, envoy-many-series,
    /// istio-many-series, gateway-10k-clusters.
    #[arg(long)]
    pub preset: Option<String>,
    /// Target size: plain bytes or with a unit (100KiB, 1MB, 16MiB, 1GiB).
    #[arg(long)]
    pub size: Option<String>,
    /// PRNG seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Put `"`, `\` and LF (escaped) into some label values; turns on text
    /// readouts.
    #[arg(long)]
    pub escapes: bool,
    /// Render as OpenMetrics (ends with `# EOF`).
    #[arg(long)]
    pub openmetrics: bool,
    /// Histograms as Envoy summaries.
    #[arg(long)]
    pub summary: bool,
    /// Leave out the final LF.
    #[arg(long)]
    pub no_final_newline: bool,
    /// istio-15020 only: append an application block (text or openmetrics).
    #[arg(long)]
    pub app_block: Option<String>,
    /// Number of clusters (ignored with --size).
    #[arg(long)]
    pub clusters: Option<usize>,
    /// Number of Istio traffic peers (ignored with --size).
    #[arg(long)]
    pub peers: Option<usize>,
    /// Text readouts (`?text_readouts`).
    #[arg(long)]
    pub text_readouts: bool,
    /// Per-endpoint stats with this many hosts per cluster.
    #[arg(long)]
    pub per_endpoint: Option<usize>,
    /// Constant labels put first on every Envoy series (like consul's 5).
    #[arg(long)]
    pub const_labels: Option<usize>,
    /// Write the metadata JSON (seed, knobs, counts) to this file.
    #[arg(long)]
    pub meta: Option<String>,
    /// List the presets and exit.
    #[arg(long)]
    pub list_presets: bool,
    /// Output format: `text` (the profile's text exposition) or `protobuf` (the same data as a
    /// delimited protobuf body, as Envoy serves it with `Accept: application/vnd.google.protobuf`).
    #[arg(long, value_enum, default_value_t = GenFormat::Text)]
    pub format: GenFormat,
    /// With `--format protobuf`: histograms as native histograms, as Envoy's
    /// `histogram_buckets=prometheusnative` (schema ≤ 4, at most 20 buckets, zero threshold 0.5).
    #[arg(long)]
    pub native_histograms: bool,
}

/// Parses `16MiB`, `1MB`, `100KiB`, `1GiB`, `2kb`, `12345`.
/// `promtext gen --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GenFormat {
    /// The text exposition.
    Text,
    /// The delimited protobuf exposition.
    Protobuf,
}

pub fn parse_size(s: &str) -> Option<usize> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "ki" | "kib" => 1024.0,
        "mi" | "mib" => 1024.0 * 1024.0,
        "gi" | "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let v = n * mult;
    (v.is_finite() && v >= 0.0).then_some(v.round() as usize)
}

fn config(args: &GenArgs) -> Result<GenConfig, String> {
    let mut cfg = match &args.preset {
        Some(p) => GenConfig::preset(p).ok_or_else(|| format!("unknown preset {p:?}"))?,
        None => match args.profile.as_str() {
            "envoy-many-series" => GenConfig::envoy_many_series(),
            "istio-many-series" => GenConfig::istio_many_series(),
            name => GenConfig::new(
                Profile::from_name(name).ok_or_else(|| format!("unknown profile {name:?}"))?,
            ),
        },
    };
    if let Some(s) = &args.size {
        cfg.target_bytes = Some(parse_size(s).ok_or_else(|| format!("bad size {s:?}"))?);
    }
    if let Some(seed) = args.seed {
        cfg.seed = seed;
    }
    if args.escapes {
        cfg.escape_rate = 0.05;
        cfg.text_readouts = true;
    }
    if let Some(n) = args.clusters {
        cfg.clusters = n.max(1);
    }
    if let Some(n) = args.peers {
        cfg.istio_peers = n;
    }
    cfg.text_readouts |= args.text_readouts;
    if let Some(n) = args.per_endpoint {
        cfg.per_endpoint = n;
    }
    if let Some(n) = args.const_labels {
        cfg.extra_const_labels = n;
    }
    cfg.openmetrics |= args.openmetrics;
    cfg.summary_mode |= args.summary;
    if args.no_final_newline {
        cfg.final_newline = false;
    }
    if let Some(a) = &args.app_block {
        cfg.app_block = match a.as_str() {
            "none" => AppBlock::None,
            "text" => AppBlock::Text,
            "openmetrics" | "om" => AppBlock::OpenMetrics,
            _ => return Err(format!("bad --app-block {a:?} (none, text, openmetrics)")),
        };
    }
    Ok(cfg)
}

/// Runs `promtext gen`.
pub fn run(args: GenArgs) -> ExitCode {
    if args.list_presets {
        for (name, what) in PRESETS {
            println!("{name:26} {what}");
        }
        return ExitCode::SUCCESS;
    }
    let cfg = match config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if args.native_histograms && args.format != GenFormat::Protobuf {
        eprintln!(
            "error: --native-histograms needs --format protobuf (Envoy serves native histograms as protobuf only)"
        );
        return ExitCode::from(2);
    }
    let stdout = io::stdout().lock();
    let mut w = BufWriter::with_capacity(1 << 20, stdout);
    if args.format == GenFormat::Protobuf {
        let (body, text) = promtext_gen::generate_protobuf(&cfg, args.native_histograms);
        match w.write_all(&body).and_then(|()| w.flush()) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
        if let Some(path) = &args.meta {
            if let Err(e) = fs::write(path, text.meta.to_json() + "\n") {
                eprintln!("error: {path}: {e}");
                return ExitCode::FAILURE;
            }
        }
        return ExitCode::SUCCESS;
    }
    let meta = match generate_to(&cfg, &mut w).and_then(|m| w.flush().map(|()| m)) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(path) = &args.meta {
        if let Err(e) = fs::write(path, meta.to_json() + "\n") {
            eprintln!("error: {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("16MiB"), Some(16 << 20));
        assert_eq!(parse_size("1MB"), Some(1_000_000));
        assert_eq!(parse_size("100KiB"), Some(102_400));
        assert_eq!(parse_size("1GiB"), Some(1 << 30));
        assert_eq!(parse_size("12345"), Some(12345));
        assert_eq!(parse_size("1.5k"), Some(1500));
        assert_eq!(parse_size("x"), None);
        assert_eq!(parse_size("5 parsecs"), None);
    }
}
