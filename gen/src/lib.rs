//! Deterministic, realistic Envoy and Istio `/stats/prometheus` expositions.
//!
//! This is the generator of envoy.md §4: benches, tests and the `promtext gen`
//! command use it to get byte-realistic input of any size without shipping
//! captures. Family names, types and label scopes come from the real captures
//! (compiled in as tables, `data/*.tsv`; the corpus is not needed at run time), and the
//! layout follows Envoy's writer: sections (counters, gauges, text readouts,
//! histograms, per-endpoint counters and gauges), families sorted by the
//! Envoy dotted name segment by segment (so every `envoy_cluster_*` family
//! precedes `envoy_cluster_manager_*`), series sorted by their tag values,
//! `{}` on untagged series, `le`/`quantile` last, and `%.32g` bounds and sums.
//! [`seed`] holds the demo scrape job and pod that go with the bodies.
//!
//! # Determinism
//!
//! Every random choice comes from SplitMix64 seeded with [`GenConfig::seed`]
//! (default [`DEFAULT_SEED`]). Values are drawn from a generator derived from
//! (seed, family name, series index), so a series' values do not depend on
//! how many clusters or peers exist. The same configuration always yields the
//! same bytes, on every platform.
//!
//! # Example
//!
//! ```
//! use promtext_gen::{GenConfig, generate};
//!
//! let out = generate(&GenConfig::envoy().seed(7));
//! assert!(out.text.contains("\nenvoy_server_live{local_cluster=\"mynginx\","));
//! assert_eq!(out.meta.bytes, out.text.len());
//! // Same seed, same bytes.
//! assert_eq!(out.text, generate(&GenConfig::envoy().seed(7)).text);
//! ```
//!
//! A target size adds stat scopes to the `envoy` and `istio` profiles
//! (copies of the catalogue under their own family names, so a body of any
//! size keeps the real captures' shape: a `# TYPE` line every 2–5 lines, see
//! [`Shape`]). The other profiles, and [`GenConfig::envoy_many_series`] /
//! [`GenConfig::istio_many_series`], pick the number of clusters (Envoy) or
//! traffic peers (Istio) instead. Either way the target is met closely:
//!
//! ```
//! use promtext_gen::{GenConfig, Shape, generate};
//!
//! let out = generate(&GenConfig::istio().target_bytes(300_000));
//! assert!(out.meta.bytes >= 300_000 * 97 / 100);
//! assert!(out.meta.bytes <= 300_000 * 110 / 100);
//! let big = generate(&GenConfig::istio().target_bytes(4 << 20));
//! assert!(big.text.contains("\n# TYPE istio_s2_requests_total counter\n"));
//! assert!(Shape::of(big.text.as_bytes()).type_share > 0.15);
//! let many = generate(&GenConfig::istio_many_series().target_bytes(4 << 20));
//! assert!(Shape::of(many.text.as_bytes()).type_share < 0.05);
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod protobuf;
pub mod seed;
pub use protobuf::{
    ENVOY_NATIVE_MAX_BUCKETS, ENVOY_NATIVE_ZERO_THRESHOLD, families_of, generate_protobuf,
    to_native,
};
mod catalog;
mod emit;
mod labels;
mod rng;
mod shape;

use std::fmt::Write as _;

pub use emit::generate_to;
pub use shape::Shape;

/// The default seed: the first 64 bits of the SplitMix64 golden ratio,
/// `0x9E3779B97F4A7C15`.
pub const DEFAULT_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// Formatting dialect of the generated exposition (envoy.md §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Profile {
    /// Envoy ≥ 1.24 (`envoy-modern`): grouped, sorted, no blank lines,
    /// `envoy_`-prefixed tag names. The catalogue is the 2023 front proxy;
    /// [`GenConfig::envoy`] makes it a sidecar with three constant labels,
    /// shaped like the front-proxy and consul-dataplane captures.
    Envoy,
    /// Envoy 1.15–1.23: like [`Profile::Envoy`] but every family, including
    /// the last, is followed by one empty line.
    EnvoyBlankline,
    /// Envoy ≤ 1.14: families in random order, a fraction split into 2–3
    /// non-adjacent runs of which only the first has a `# TYPE` (except for
    /// an occasional duplicated TYPE line).
    EnvoyUngrouped,
    /// An Istio sidecar's port 15090: the Envoy layout with Istio tag names
    /// (no `envoy_` prefix) and the `istio_*` families with 25 labels,
    /// shaped like the Istio 1.5 sidecar capture.
    Istio,
    /// Istio's merged port 15020: a Go client_golang block (HELP and TYPE,
    /// no braces, Go `%g` floats) followed by an [`Profile::Istio`] body,
    /// optionally followed by an application block ([`AppBlock`]).
    Istio15020,
}

impl Profile {
    /// All profiles, in documentation order.
    pub const ALL: [Profile; 5] = [
        Profile::Envoy,
        Profile::EnvoyBlankline,
        Profile::EnvoyUngrouped,
        Profile::Istio,
        Profile::Istio15020,
    ];

    /// The profile's name as the CLI spells it (`envoy`, `envoy-blankline`,
    /// `envoy-ungrouped`, `istio`, `istio-15020`).
    pub fn name(self) -> &'static str {
        match self {
            Profile::Envoy => "envoy",
            Profile::EnvoyBlankline => "envoy-blankline",
            Profile::EnvoyUngrouped => "envoy-ungrouped",
            Profile::Istio => "istio",
            Profile::Istio15020 => "istio-15020",
        }
    }

    /// Looks a profile up by name; `envoy-modern`, `istio-15090` and
    /// `istio-sidecar` are accepted as aliases.
    ///
    /// ```
    /// use promtext_gen::Profile;
    /// assert_eq!(Profile::from_name("istio-15090"), Some(Profile::Istio));
    /// assert_eq!(Profile::from_name("nope"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Profile> {
        Some(match name {
            "envoy" | "envoy-modern" => Profile::Envoy,
            "envoy-blankline" => Profile::EnvoyBlankline,
            "envoy-ungrouped" => Profile::EnvoyUngrouped,
            "istio" | "istio-15090" | "istio-sidecar" => Profile::Istio,
            "istio-15020" => Profile::Istio15020,
            _ => return None,
        })
    }

    /// True for the profiles with Istio tag names and `istio_*` families.
    pub fn is_istio(self) -> bool {
        matches!(self, Profile::Istio | Profile::Istio15020)
    }
}

/// The optional application block at the end of an
/// [`Profile::Istio15020`] body (envoy.md §1.5, part 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AppBlock {
    /// No application metrics.
    None,
    /// Application metrics in the Prometheus text format.
    Text,
    /// Application metrics in OpenMetrics, ending with `# EOF`.
    OpenMetrics,
}

/// Every knob of the generator. Construct with [`GenConfig::envoy`],
/// [`GenConfig::istio`], [`GenConfig::new`] or [`GenConfig::preset`], then
/// adjust fields directly or with the chainable setters.
#[derive(Clone, Debug, PartialEq)]
pub struct GenConfig {
    /// Formatting dialect.
    pub profile: Profile,
    /// PRNG seed (default [`DEFAULT_SEED`]).
    pub seed: u64,
    /// When set, the counts are chosen so the output is close to this many
    /// bytes. The `envoy` and `istio` profiles (unless
    /// [`GenConfig::many_series`]) add stat scopes ([`GenConfig::scopes`],
    /// then [`GenConfig::scope_fill`]), so the shape per family stays that
    /// of the captures. The other profiles choose the number of clusters
    /// (Envoy profiles, 15–20 KB each), or the number of traffic peers, then
    /// clusters, then SDS-only clusters (Istio profiles), each the closest by
    /// measurement; [`GenConfig::clusters`] / [`GenConfig::istio_peers`] are
    /// then overridden. Targets up to 64 MiB (48 MiB for scopes) are met
    /// within about 1 % (often a few hundred bytes); larger ones are
    /// extrapolated from a 48 MiB probe (within a few %). The resolved counts
    /// are reported in [`GenMeta::config`].
    pub target_bytes: Option<usize>,
    /// Clusters C (default 4 for Envoy, 1 for Istio: `xds-grpc` only).
    pub clusters: usize,
    /// Listeners L (default 2).
    pub listeners: usize,
    /// HTTP connection manager prefixes H, `admin` included (default 2).
    pub hcm_prefixes: usize,
    /// Worker threads W (default 2).
    pub workers: usize,
    /// Istio traffic peers P (default 6 for `istio`, 7 for `istio-15020`).
    pub istio_peers: usize,
    /// Clusters that only report SDS secret updates (Istio; default 40).
    pub sds_clusters: usize,
    /// Share of Istio peers that talk mutual TLS and so have SPIFFE
    /// principals; the others have `unknown` principals and, as reported by
    /// the destination, a `none` security policy (default 0.1: the Istio
    /// 1.5 capture has 4 mutual-TLS series out of 473; 1.0 for
    /// `istio-15020`).
    pub mtls_share: f64,
    /// Share of Istio peers that talk TCP and get the 4 TCP counters instead
    /// of the HTTP families (default 0.15).
    pub tcp_share: f64,
    /// End the output with LF (default true; the DataDog fixtures lack it).
    pub final_newline: bool,
    /// Render histograms as Envoy summaries (`histogram_buckets=summary`).
    pub summary_mode: bool,
    /// In summary mode, the probability that a series had no samples in the
    /// interval and prints lowercase `nan` quantiles (default 0.3).
    pub p_nan: f64,
    /// Emit text readouts (`?text_readouts`): gauges with a `text_value`
    /// label and value 0 (default false).
    pub text_readouts: bool,
    /// Per-endpoint stats: E hosts per cluster, appended at the very end
    /// (default 0: off).
    pub per_endpoint: usize,
    /// Fraction of text-readout values, Istio custom values and cluster names
    /// that get a `"`, `\` or LF, written escaped as `\"`, `\\`, `\n`
    /// (default 0).
    pub escape_rate: f64,
    /// Multiplies the length of generated words (default 1.0).
    pub label_value_scale: f64,
    /// Constant labels put first on every Envoy series, like consul's 5
    /// (default 0).
    pub extra_const_labels: usize,
    /// Probability that a counter or gauge is 0 (default 0.8 Envoy, 0.45
    /// Istio).
    pub p_zero: f64,
    /// Ungrouped profile: probability that a family is split (default 0.5).
    pub p_split: f64,
    /// Ungrouped profile: probability that a later run repeats the family's
    /// `# TYPE` line (default 0.003).
    pub p_dup_type: f64,
    /// Render the Envoy/Istio body as OpenMetrics 1.0 instead of the
    /// Prometheus text format: counters as `<family>_total` under
    /// `# TYPE <family> counter`, no blank lines, no `{}`, canonical `le`
    /// values, and a final `# EOF`. Always grouped, so the blank-line and
    /// ungrouped layouts do not apply. Families whose OpenMetrics names
    /// would clash with another family's are left out.
    pub openmetrics: bool,
    /// The application block of [`Profile::Istio15020`] (default
    /// [`AppBlock::None`]).
    pub app_block: AppBlock,
    /// Stat scopes: how many times the family catalogue is written, each
    /// copy under its own family names (`envoy_s2_cluster_upstream_rq`), as
    /// Envoy does for stats whose scope its tag extractors leave in the name
    /// (default 1). Copies keep the captures' per-family shape (one family
    /// per stat, a `# TYPE` line every few lines) at any size.
    pub scopes: usize,
    /// Byte budget of one more, partial stat scope after the full ones: a
    /// seeded selection of the catalogue's families that fits in about this
    /// many bytes (default 0: none). Lets a target size be met finely.
    pub scope_fill: usize,
    /// Grow by series instead of by stat scopes: a target size raises the
    /// number of clusters or traffic peers, so each family gets many series
    /// (the shape of a large gateway, not of the captured sidecars). The
    /// `envoy` and `istio` profiles default to false; the other profiles
    /// always grow by series.
    pub many_series: bool,
}

impl GenConfig {
    /// The defaults for `profile` (envoy.md §4).
    ///
    /// ```
    /// use promtext_gen::{GenConfig, Profile};
    /// let c = GenConfig::new(Profile::EnvoyUngrouped);
    /// assert_eq!(c.clusters, 4);
    /// assert_eq!(c.p_split, 0.5);
    /// ```
    pub fn new(profile: Profile) -> Self {
        let istio = profile.is_istio();
        // The `envoy` profile's unit is a sidecar like the two modern Envoy
        // captures: two clusters and three constant labels on every series
        // (the 2023 front proxy has none, consul-dataplane five).
        let sidecar = profile == Profile::Envoy;
        GenConfig {
            profile,
            seed: DEFAULT_SEED,
            target_bytes: None,
            clusters: if istio {
                1
            } else if sidecar {
                2
            } else {
                4
            },
            listeners: 2,
            hcm_prefixes: 2,
            workers: 2,
            istio_peers: if profile == Profile::Istio { 6 } else { 7 },
            sds_clusters: 40,
            tcp_share: 0.15,
            mtls_share: if profile == Profile::Istio { 0.1 } else { 1.0 },
            final_newline: true,
            summary_mode: false,
            p_nan: 0.3,
            text_readouts: false,
            per_endpoint: 0,
            escape_rate: 0.0,
            label_value_scale: 1.0,
            extra_const_labels: if sidecar { 3 } else { 0 },
            p_zero: if istio { 0.45 } else { 0.8 },
            p_split: 0.5,
            p_dup_type: 0.003,
            openmetrics: false,
            app_block: AppBlock::None,
            scopes: 1,
            scope_fill: 0,
            many_series: false,
        }
    }

    /// The `envoy` (envoy-modern) profile with its defaults: a body shaped
    /// like the 2023 front proxy and consul-dataplane captures at any size
    /// (a target size adds stat scopes, not series).
    pub fn envoy() -> Self {
        GenConfig::new(Profile::Envoy)
    }

    /// The `istio` (port 15090) profile with its defaults: a body shaped like
    /// the Istio 1.5 sidecar capture at any size.
    pub fn istio() -> Self {
        GenConfig::new(Profile::Istio)
    }

    /// The `envoy` profile with many series per family: four clusters, no
    /// constant labels, and a target size met by adding clusters (preset
    /// `envoy-many-series`).
    ///
    /// ```
    /// use promtext_gen::{GenConfig, generate};
    /// let g = generate(&GenConfig::envoy_many_series().target_bytes(1 << 20));
    /// assert!(g.meta.samples > 20 * g.meta.type_lines);
    /// ```
    pub fn envoy_many_series() -> Self {
        let mut c = GenConfig::envoy();
        c.clusters = 4;
        c.extra_const_labels = 0;
        c.many_series = true;
        c
    }

    /// The `istio` profile with many series per family: seven peers, all on
    /// mutual TLS, and a target size met by adding traffic peers (preset
    /// `istio-many-series`).
    pub fn istio_many_series() -> Self {
        let mut c = GenConfig::istio();
        c.istio_peers = 7;
        c.mtls_share = 1.0;
        c.many_series = true;
        c
    }

    /// A named preset (envoy.md §4.7); see [`PRESETS`].
    ///
    /// ```
    /// use promtext_gen::GenConfig;
    /// let c = GenConfig::preset("small-sidecar").unwrap();
    /// assert_eq!(c.target_bytes, Some(100_000));
    /// assert!(GenConfig::preset("nope").is_none());
    /// ```
    pub fn preset(name: &str) -> Option<Self> {
        Some(match name {
            "small-sidecar" => GenConfig::istio().target_bytes(100_000),
            "busy-sidecar" => GenConfig::istio().target_bytes(5_000_000),
            "legacy-ungrouped" => GenConfig::new(Profile::EnvoyUngrouped).target_bytes(1_000_000),
            "merged-15020-openmetrics" => {
                let mut c = GenConfig::new(Profile::Istio15020).target_bytes(2_000_000);
                c.app_block = AppBlock::OpenMetrics;
                c
            }
            "envoy-many-series" => GenConfig::envoy_many_series(),
            "istio-many-series" => GenConfig::istio_many_series().target_bytes(5_000_000),
            "gateway-10k-clusters" => {
                let mut c = GenConfig::envoy_many_series();
                c.clusters = 10_000;
                c.listeners = 8;
                c.hcm_prefixes = 8;
                c.workers = 8;
                c
            }
            _ => return None,
        })
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets a target size in bytes.
    pub fn target_bytes(mut self, bytes: usize) -> Self {
        self.target_bytes = Some(bytes);
        self
    }

    /// Sets the escape rate (see [`GenConfig::escape_rate`]).
    pub fn escape_rate(mut self, rate: f64) -> Self {
        self.escape_rate = rate;
        self
    }

    /// Switches OpenMetrics rendering on or off.
    pub fn openmetrics(mut self, on: bool) -> Self {
        self.openmetrics = on;
        self
    }

    /// Sets whether the output ends with LF.
    pub fn final_newline(mut self, on: bool) -> Self {
        self.final_newline = on;
        self
    }

    /// Sets the number of clusters.
    pub fn clusters(mut self, n: usize) -> Self {
        self.clusters = n;
        self
    }

    /// Sets the number of Istio peers.
    pub fn istio_peers(mut self, n: usize) -> Self {
        self.istio_peers = n;
        self
    }

    /// The knobs as a JSON object (hand-written; used in [`GenMeta::to_json`]).
    pub fn to_json(&self) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            "{{\"profile\":\"{}\",\"seed\":{},\"target_bytes\":{},\"clusters\":{},\"listeners\":{},\
             \"hcm_prefixes\":{},\"workers\":{},\"istio_peers\":{},\"sds_clusters\":{},\"tcp_share\":{},\"mtls_share\":{},\
             \"final_newline\":{},\"summary_mode\":{},\"p_nan\":{},\"text_readouts\":{},\"per_endpoint\":{},\
             \"escape_rate\":{},\"label_value_scale\":{},\"extra_const_labels\":{},\"p_zero\":{},\
             \"p_split\":{},\"p_dup_type\":{},\"openmetrics\":{},\"app_block\":\"{}\",\"scopes\":{},\
             \"scope_fill\":{},\"many_series\":{}}}",
            self.profile.name(),
            self.seed,
            self.target_bytes
                .map_or("null".to_string(), |b| b.to_string()),
            self.clusters,
            self.listeners,
            self.hcm_prefixes,
            self.workers,
            self.istio_peers,
            self.sds_clusters,
            json_f64(self.tcp_share),
            json_f64(self.mtls_share),
            self.final_newline,
            self.summary_mode,
            json_f64(self.p_nan),
            self.text_readouts,
            self.per_endpoint,
            json_f64(self.escape_rate),
            json_f64(self.label_value_scale),
            self.extra_const_labels,
            json_f64(self.p_zero),
            json_f64(self.p_split),
            json_f64(self.p_dup_type),
            self.openmetrics,
            match self.app_block {
                AppBlock::None => "none",
                AppBlock::Text => "text",
                AppBlock::OpenMetrics => "openmetrics",
            },
            self.scopes,
            self.scope_fill,
            self.many_series
        );
        s
    }
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig::envoy()
    }
}

fn json_f64(v: f64) -> String {
    if v.is_finite() {
        format!("{v:?}")
    } else {
        "null".to_string()
    }
}

/// The named presets of envoy.md §4.7, with a one-line description each.
pub const PRESETS: &[(&str, &str)] = &[
    ("small-sidecar", "Istio 15090 sidecar, ~100 KB"),
    ("busy-sidecar", "Istio 15090 sidecar with many peers, ~5 MB"),
    (
        "legacy-ungrouped",
        "Envoy <= 1.14, split families and a duplicated TYPE, ~1 MB",
    ),
    (
        "merged-15020-openmetrics",
        "Istio 15020: Go block, Envoy/Istio body, OpenMetrics app block ending in # EOF, ~2 MB",
    ),
    (
        "envoy-many-series",
        "Envoy with few families and many series each (4 clusters; --size adds clusters), ~130 KB",
    ),
    (
        "istio-many-series",
        "Istio 15090 sidecar whose size comes from traffic peers (many series per family), ~5 MB",
    ),
    (
        "gateway-10k-clusters",
        "Envoy gateway with 10,000 clusters, 8 listeners/HCMs/workers, all stats, ~190 MB",
    ),
];

/// Family counts per type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FamilyCounts {
    /// Counter families.
    pub counters: usize,
    /// Gauge families (text readouts included).
    pub gauges: usize,
    /// Histogram families.
    pub histograms: usize,
    /// Summary families.
    pub summaries: usize,
    /// Families of type `unknown`/untyped.
    pub unknown: usize,
}

impl FamilyCounts {
    /// All families.
    pub fn total(&self) -> usize {
        self.counters + self.gauges + self.histograms + self.summaries + self.unknown
    }
}

/// What was generated: the `.meta.json` of envoy.md §4.7.
#[derive(Clone, Debug, PartialEq)]
pub struct GenMeta {
    /// The configuration, with `clusters`/`istio_peers` resolved when a target
    /// size was given.
    pub config: GenConfig,
    /// Distinct families per type.
    pub families: FamilyCounts,
    /// `# TYPE` lines (more than the families when a TYPE is duplicated).
    pub type_lines: usize,
    /// `# HELP` lines.
    pub help_lines: usize,
    /// Sample lines: every line that is neither blank nor a `#` comment.
    pub samples: usize,
    /// All lines, counting a last line without LF.
    pub lines: usize,
    /// Output size in bytes.
    pub bytes: usize,
    /// Longest line in bytes, without its LF.
    pub max_line_len: usize,
    /// Most labels on one sample line (`le`/`quantile` included).
    pub max_labels: usize,
}

impl GenMeta {
    /// The seed that produced the output.
    pub fn seed(&self) -> u64 {
        self.config.seed
    }

    /// Hand-written JSON: seed, knobs, counts.
    ///
    /// ```
    /// let out = promtext_gen::generate(&promtext_gen::GenConfig::envoy());
    /// let json = out.meta.to_json();
    /// assert!(json.starts_with("{\"seed\":"));
    /// assert!(json.contains("\"samples\":"));
    /// ```
    pub fn to_json(&self) -> String {
        let f = &self.families;
        format!(
            "{{\"seed\":{},\"knobs\":{},\"families\":{{\"counter\":{},\"gauge\":{},\"histogram\":{},\
             \"summary\":{},\"unknown\":{},\"total\":{}}},\"type_lines\":{},\"help_lines\":{},\
             \"samples\":{},\"lines\":{},\"bytes\":{},\"max_line_len\":{},\"max_labels\":{}}}",
            self.config.seed,
            self.config.to_json(),
            f.counters,
            f.gauges,
            f.histograms,
            f.summaries,
            f.unknown,
            f.total(),
            self.type_lines,
            self.help_lines,
            self.samples,
            self.lines,
            self.bytes,
            self.max_line_len,
            self.max_labels
        )
    }
}

/// A generated exposition and its metadata.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The exposition text.
    pub text: String,
    /// Counts and knobs.
    pub meta: GenMeta,
}

/// Generates an exposition in memory.
///
/// For very large outputs prefer [`generate_to`], which streams.
///
/// ```
/// use promtext_gen::{GenConfig, Profile, generate};
/// let out = generate(&GenConfig::new(Profile::Istio15020));
/// assert!(out.text.starts_with("# HELP istio_agent_"));
/// ```
pub fn generate(config: &GenConfig) -> Generated {
    let mut buf: Vec<u8> = Vec::with_capacity(config.target_bytes.unwrap_or(1 << 16) + 4096);
    let meta = emit::generate_into(config, &mut buf);
    // The generator writes ASCII and valid UTF-8 word lists only.
    let text = String::from_utf8(buf)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Generated { text, meta }
}

// ---------------------------------------------------------------------------
// Catalogue vocabulary (the rows of `catalog.rs`' tables).

/// Metric type of a catalogue family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Counter,
    Gauge,
    Histogram,
    Summary,
}

/// Label-key signature of a family: which series it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub(crate) enum Scope {
    /// No tags: `name{}`.
    Global,
    /// `cluster_name`.
    Cluster,
    /// `response_code_class, cluster_name`.
    ClusterRcc,
    /// `cluster_name` over every cluster with an SDS secret.
    SdsCluster,
    /// `http_conn_manager_prefix`.
    Hcm,
    /// `response_code_class, http_conn_manager_prefix`.
    HcmRcc,
    /// `http_conn_manager_prefix="admin"` only.
    AdminHcm,
    /// `response_code_class, http_conn_manager_prefix="admin"`.
    AdminHcmRcc,
    /// `listener_address`.
    Listener,
    /// `http_conn_manager_prefix, listener_address`.
    ListenerHcm,
    /// `response_code_class, http_conn_manager_prefix, listener_address`.
    ListenerHcmRcc,
    /// `worker_id, listener_address`.
    ListenerWorker,
    /// `worker_id`.
    Worker,
    /// `component, tag`.
    IstioBuild,
    /// The 25 Istio HTTP labels.
    IstioHttp,
    /// The 23 Istio TCP labels.
    IstioTcp,
    /// `cluster_name, endpoint_address` (per-endpoint stats).
    Endpoint,
    /// `text_value` only (text readouts).
    TextReadout,
}

/// One catalogue family.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fam {
    pub(crate) kind: Kind,
    pub(crate) name: &'static str,
    /// The tag-extracted Envoy dotted name, the sort key.
    pub(crate) dotted: &'static str,
    pub(crate) scope: Scope,
}

/// One family of the Go client_golang block at port 15020, with the series
/// and value shapes of the Istio 1.11 capture.
#[derive(Clone, Debug)]
pub(crate) struct GoFam {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) help: &'static str,
    /// (series text, value as captured).
    pub(crate) series: Vec<(&'static str, &'static str)>,
}
