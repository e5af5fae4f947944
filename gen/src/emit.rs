//! Rendering: the family plan, the output buffer with its counters, and the
//! per-type sample writers.

use std::collections::HashSet;
use std::io;

use super::catalog;
use super::labels::{self, Universe, push_escaped};
use super::rng::{Rng, fnv, mix64};
use super::{AppBlock, Fam, FamilyCounts, GenConfig, GenMeta, Kind, Profile, Scope};
use promtext::go::{normalize_le_quantile, push_u64, write_g32, write_go_g};

/// Envoy's default histogram bounds.
const BOUNDS: [f64; 19] = [
    0.5, 1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 30000.0,
    60000.0, 300000.0, 600000.0, 1800000.0, 3600000.0,
];
/// Envoy's summary quantiles and their standard-normal scores.
const QUANTILES: [(&str, f64); 10] = [
    ("0", -3.0),
    ("0.25", -0.6745),
    ("0.5", 0.0),
    ("0.75", 0.6745),
    ("0.9", 1.2816),
    ("0.95", 1.6449),
    ("0.99", 2.3263),
    ("0.995", 2.5758),
    ("0.999", 3.0902),
    ("1", 3.5),
];
/// Buffer size at which a streaming generator hands bytes to the writer.
const FLUSH_AT: usize = 256 * 1024;

/// One family as it will be written.
#[derive(Clone)]
struct PlanFam {
    /// Name in the Prometheus text format.
    name: String,
    /// Family name in OpenMetrics (counters lose `_total`).
    om_name: String,
    kind: Kind,
    scope: Scope,
    /// Stable id (hash of the name) for value streams.
    id: u64,
    /// The catalogue name (the same in every stat scope).
    base: &'static str,
    /// Section: 0 counters, 1 gauges, 2 text readouts, 3 histograms,
    /// 4 per-endpoint stats.
    section: u8,
    /// A 64-bit hash gauge (`cds_version`, `lds_version`).
    hash_gauge: bool,
    /// Log-normal µ of a histogram (ms or bytes).
    mu: f64,
    /// Count is 0 with probability 0.5 (Envoy-internal histograms).
    may_be_empty: bool,
    text_readout: bool,
}

fn plan(cfg: &GenConfig) -> Vec<PlanFam> {
    let istio = cfg.profile.is_istio();
    let cat: &[Fam] = if istio {
        catalog::istio()
    } else {
        catalog::envoy()
    };
    let mk = |f: &Fam, section: u8| -> PlanFam {
        let kind = if f.kind == Kind::Histogram && cfg.summary_mode {
            Kind::Summary
        } else {
            f.kind
        };
        let name = f.name.to_string();
        let om_name = if kind == Kind::Counter {
            name.strip_suffix("_total").unwrap_or(&name).to_string()
        } else {
            name.clone()
        };
        PlanFam {
            id: fnv(f.name),
            base: f.name,
            section,
            hash_gauge: f.name.ends_with("cds_version") || f.name.ends_with("lds_version"),
            mu: if f.name.contains("bytes") {
                600f64.ln()
            } else {
                20f64.ln()
            },
            may_be_empty: !f.name.starts_with("istio_"),
            text_readout: false,
            name,
            om_name,
            kind,
            scope: f.scope,
        }
    };
    let section = |kind: Kind| -> Vec<&Fam> {
        let mut v: Vec<&Fam> = cat.iter().filter(|f| f.kind == kind).collect();
        v.sort_by(|a, b| segment_cmp(a.dotted, b.dotted));
        v
    };
    let mut out: Vec<PlanFam> = Vec::with_capacity(cat.len() + 16);
    // Sections: counters, gauges, text readouts, histograms.
    out.extend(section(Kind::Counter).into_iter().map(|f| mk(f, 0)));
    out.extend(section(Kind::Gauge).into_iter().map(|f| mk(f, 1)));
    if cfg.text_readouts {
        for (name, dotted) in [
            (
                "envoy_cluster_manager_cds_version_text",
                "cluster_manager.cds.version_text",
            ),
            ("envoy_control_plane_identifier", "control_plane.identifier"),
            (
                "envoy_listener_manager_lds_version_text",
                "listener_manager.lds.version_text",
            ),
        ] {
            let mut f = mk(
                &Fam {
                    kind: Kind::Gauge,
                    name,
                    dotted,
                    scope: Scope::TextReadout,
                },
                2,
            );
            f.text_readout = true;
            out.push(f);
        }
    }
    out.extend(section(Kind::Histogram).into_iter().map(|f| mk(f, 3)));
    if cfg.per_endpoint > 0 {
        for (kind, name) in [
            (Kind::Counter, "envoy_cluster_endpoint_cx_connect_fail"),
            (Kind::Counter, "envoy_cluster_endpoint_cx_total"),
            (Kind::Counter, "envoy_cluster_endpoint_rq_error"),
            (Kind::Counter, "envoy_cluster_endpoint_rq_success"),
            (Kind::Counter, "envoy_cluster_endpoint_rq_timeout"),
            (Kind::Counter, "envoy_cluster_endpoint_rq_total"),
            (Kind::Gauge, "envoy_cluster_endpoint_cx_active"),
            (Kind::Gauge, "envoy_cluster_endpoint_healthy"),
            (Kind::Gauge, "envoy_cluster_endpoint_rq_active"),
        ] {
            out.push(mk(
                &Fam {
                    kind,
                    name,
                    dotted: name,
                    scope: Scope::Endpoint,
                },
                4,
            ));
        }
    }
    if cfg.openmetrics {
        drop_om_clashes(&mut out);
    }
    out
}

/// Family `f` in stat scope `k` (scope 0 is the catalogue as is): the
/// scope's segment follows the first word, `envoy_s2_cluster_upstream_rq`.
fn scoped(f: &PlanFam, k: usize) -> PlanFam {
    let rename = |n: &str| match n.split_once('_') {
        Some((head, tail)) => format!("{head}_s{k}_{tail}"),
        None => format!("s{k}_{n}"),
    };
    let name = rename(&f.name);
    PlanFam {
        id: fnv(&name),
        om_name: rename(&f.om_name),
        name,
        base: f.base,
        section: f.section,
        kind: f.kind,
        scope: f.scope,
        hash_gauge: f.hash_gauge,
        mu: f.mu,
        may_be_empty: f.may_be_empty,
        text_readout: f.text_readout,
    }
}

/// How many series of each catalogue family the partial stat scope `k`
/// holds (0: the family is left out), so that it fits in `budget` bytes.
/// Sizes come from rendering the scope's families once, with scope 0's
/// names plus the longer names' bytes.
fn fill_selection(ctx: &Ctx<'_>, fams: &[PlanFam], k: usize, budget: usize) -> Vec<usize> {
    let mut scratch = Out::new(Vec::new(), None);
    let extra = if k == 0 { 0 } else { format!("s{k}_").len() };
    let measure = |scratch: &mut Out<'_>, write: &mut dyn FnMut(&mut Out<'_>)| {
        scratch.buf.clear();
        let lines = scratch.newlines;
        write(scratch);
        scratch.buf.len() + (scratch.newlines - lines) * extra
    };
    // Per family: TYPE line, then each series.
    let sizes: Vec<Option<(usize, Vec<usize>)>> = fams
        .iter()
        .map(|f| {
            let n = ctx.uni.get(f.scope).len();
            if matches!(f.section, 2 | 4) || n == 0 {
                return None;
            }
            let head = measure(&mut scratch, &mut |o| {
                o.type_line(&f.om_name, type_name(f.kind));
            });
            let series = (0..n)
                .map(|i| measure(&mut scratch, &mut |o| write_series(o, ctx, f, i)))
                .collect();
            Some((head, series))
        })
        .collect();
    // Every family gives the same fraction f of its series, rounded up or
    // down at random (a one-series family is in with probability f), so the
    // partial scope has the shape of a whole one.
    let mut rng = Rng::derive(ctx.cfg.seed, 0xF111, k as u64);
    let jitter: Vec<f64> = fams.iter().map(|_| rng.f64()).collect();
    let pick = |f: f64| -> (usize, Vec<usize>) {
        let mut total = 0;
        let sel = sizes
            .iter()
            .zip(&jitter)
            .map(|(sz, u)| {
                let Some((head, series)) = sz else { return 0 };
                let m = ((f * series.len() as f64 + u) as usize).min(series.len());
                if m > 0 {
                    total += head + series[..m].iter().sum::<usize>();
                }
                m
            })
            .collect();
        (total, sel)
    };
    // The largest fraction that fits: the size only grows with f.
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..40 {
        let mid = (lo + hi) / 2.0;
        if pick(mid).0 <= budget {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let (total, mut sel) = pick(lo);
    // Top up with single series where they still fit: a histogram series
    // alone can be a large step.
    let mut left = budget.saturating_sub(total);
    let mut order: Vec<usize> = (0..fams.len()).collect();
    for i in (1..order.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        order.swap(i, j);
    }
    for i in order {
        let Some((head, series)) = &sizes[i] else {
            continue;
        };
        while sel[i] < series.len() {
            let add = series[sel[i]] + if sel[i] == 0 { *head } else { 0 };
            if add > left {
                break;
            }
            left -= add;
            sel[i] += 1;
        }
    }
    sel
}

/// The seed of stat scope `k`'s label universe: each scope has its own
/// clusters and peers, so a body of many scopes averages over them.
fn scope_seed(seed: u64, k: usize) -> u64 {
    if k == 0 {
        seed
    } else {
        mix64(seed ^ (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }
}

/// Calls `visit` on every family of every stat scope in Envoy's order:
/// section by section, scope by scope within a section, with the context of
/// its scope and the number of series to write (`usize::MAX`: all). Text
/// readouts and per-endpoint stats are written once.
fn each_scoped_family(
    ctx: &Ctx<'_>,
    fams: &[PlanFam],
    visit: &mut dyn FnMut(&Ctx<'_>, &PlanFam, usize),
) {
    let cfg = ctx.cfg;
    let full = if cfg.scope_fill > 0 {
        cfg.scopes
    } else {
        cfg.scopes.max(1)
    };
    let all = full + usize::from(cfg.scope_fill > 0);
    let scope_cfg = |k: usize| {
        let mut c = cfg.clone();
        c.seed = scope_seed(cfg.seed, k);
        c
    };
    let fill = (cfg.scope_fill > 0).then(|| {
        let uni = labels::build(&scope_cfg(full), ctx.needed);
        let c = Ctx { uni: &uni, ..*ctx };
        fill_selection(&c, fams, full, cfg.scope_fill)
    });
    for sec in 0..=4u8 {
        if !fams.iter().any(|f| f.section == sec) {
            continue;
        }
        for k in 0..all {
            if k > 0 && matches!(sec, 2 | 4) {
                continue;
            }
            let uni;
            let c = if k == 0 {
                Ctx { ..*ctx }
            } else {
                uni = labels::build(&scope_cfg(k), ctx.needed);
                Ctx { uni: &uni, ..*ctx }
            };
            for (i, f) in fams.iter().enumerate() {
                if f.section != sec {
                    continue;
                }
                let limit = match &fill {
                    Some(sel) if k == full => sel[i],
                    _ => usize::MAX,
                };
                if limit == 0 {
                    continue;
                }
                if k == 0 {
                    visit(&c, f, limit);
                } else {
                    visit(&c, &scoped(f, k), limit);
                }
            }
        }
    }
}

/// Envoy's `StatNameLessThan`: compare dotted names segment by segment, so
/// `cluster.x` sorts before `cluster_manager.x`.
fn segment_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.split('.').cmp(b.split('.'))
}

/// Sample names a family reserves in OpenMetrics.
fn om_reserved(name: &str, kind: Kind) -> Vec<String> {
    match kind {
        Kind::Counter => vec![format!("{name}_total"), format!("{name}_created")],
        Kind::Gauge => vec![name.to_string()],
        Kind::Histogram => vec![
            format!("{name}_bucket"),
            format!("{name}_count"),
            format!("{name}_sum"),
            format!("{name}_created"),
        ],
        Kind::Summary => vec![
            name.to_string(),
            format!("{name}_count"),
            format!("{name}_sum"),
            format!("{name}_created"),
        ],
    }
}

/// Drops families whose OpenMetrics family or sample names clash with an
/// earlier family's (OM requires unique, non-overlapping names).
fn drop_om_clashes(fams: &mut Vec<PlanFam>) {
    let mut names: HashSet<String> = HashSet::new();
    let mut samples: HashSet<String> = HashSet::new();
    fams.retain(|f| {
        let reserved = om_reserved(&f.om_name, f.kind);
        let clash = names.contains(&f.om_name)
            || samples.contains(&f.om_name)
            || reserved
                .iter()
                .any(|s| names.contains(s) || samples.contains(s));
        if !clash {
            names.insert(f.om_name.clone());
            samples.extend(reserved);
        }
        !clash
    });
}

/// The output buffer, its optional writer and the running counts.
struct Out<'w> {
    buf: Vec<u8>,
    w: Option<&'w mut dyn io::Write>,
    err: Option<io::Error>,
    flushed: usize,
    samples: usize,
    newlines: usize,
    type_lines: usize,
    help_lines: usize,
    max_line_len: usize,
    max_labels: usize,
    families: FamilyCounts,
}

impl<'w> Out<'w> {
    fn new(buf: Vec<u8>, w: Option<&'w mut dyn io::Write>) -> Self {
        Out {
            buf,
            w,
            err: None,
            flushed: 0,
            samples: 0,
            newlines: 0,
            type_lines: 0,
            help_lines: 0,
            max_line_len: 0,
            max_labels: 0,
            families: FamilyCounts::default(),
        }
    }

    /// Ends the line that started at `start`.
    #[inline]
    fn end_line(&mut self, start: usize) {
        let len = self.buf.len() - start;
        if len > self.max_line_len {
            self.max_line_len = len;
        }
        self.buf.push(b'\n');
        self.newlines += 1;
    }

    #[inline]
    fn sample_done(&mut self, start: usize, labels: usize) {
        self.end_line(start);
        self.samples += 1;
        if labels > self.max_labels {
            self.max_labels = labels;
        }
    }

    /// Hands all but the last two bytes to the writer (the tail is kept so a
    /// missing final newline can still be trimmed).
    fn maybe_flush(&mut self) {
        if self.buf.len() < FLUSH_AT {
            return;
        }
        if let Some(w) = self.w.as_mut() {
            let n = self.buf.len() - 2;
            if self.err.is_none() {
                if let Err(e) = w.write_all(&self.buf[..n]) {
                    self.err = Some(e);
                }
            }
            self.flushed += n;
            self.buf.drain(..n);
        }
    }

    fn type_line(&mut self, name: &str, ty: &str) {
        let start = self.buf.len();
        self.buf.extend_from_slice(b"# TYPE ");
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.push(b' ');
        self.buf.extend_from_slice(ty.as_bytes());
        self.end_line(start);
        self.type_lines += 1;
    }

    fn help_line(&mut self, name: &str, help: &str) {
        let start = self.buf.len();
        self.buf.extend_from_slice(b"# HELP ");
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.push(b' ');
        self.buf.extend_from_slice(help.as_bytes());
        self.end_line(start);
        self.help_lines += 1;
    }

    fn count_family(&mut self, kind: Kind) {
        match kind {
            Kind::Counter => self.families.counters += 1,
            Kind::Gauge => self.families.gauges += 1,
            Kind::Histogram => self.families.histograms += 1,
            Kind::Summary => self.families.summaries += 1,
        }
    }
}

fn type_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Counter => "counter",
        Kind::Gauge => "gauge",
        Kind::Histogram => "histogram",
        Kind::Summary => "summary",
    }
}

/// Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7).
fn phi(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-z * z).exp();
    if x >= 0.0 {
        0.5 * (1.0 + y)
    } else {
        0.5 * (1.0 - y)
    }
}

/// Everything the sample writers need besides the buffer.
struct Ctx<'a> {
    cfg: &'a GenConfig,
    uni: &'a Universe,
    om: bool,
    /// Rendered `le` values (Envoy `%.32g`, or canonical in OM).
    bounds: &'a [Vec<u8>],
    /// Label scopes the plan uses (to build other stat scopes' universes).
    needed: &'a [Scope],
}

/// Writes `name` `{labels[,extra]}` into the buffer.
#[inline]
fn push_series(
    buf: &mut Vec<u8>,
    name: &[u8],
    suffix: &[u8],
    labels: &[u8],
    extra: &[u8],
    om: bool,
) {
    buf.extend_from_slice(name);
    buf.extend_from_slice(suffix);
    if labels.is_empty() && extra.is_empty() {
        if !om {
            buf.extend_from_slice(b"{}");
        }
    } else {
        buf.push(b'{');
        buf.extend_from_slice(labels);
        if !labels.is_empty() && !extra.is_empty() {
            buf.push(b',');
        }
        buf.extend_from_slice(extra);
        buf.push(b'}');
    }
    buf.push(b' ');
}

/// Gauges whose value is fixed by what they mean.
fn fixed_gauge(name: &str, cfg: &GenConfig) -> Option<u64> {
    Some(match name {
        "envoy_server_live" | "envoy_listener_manager_workers_started" => 1,
        "envoy_server_concurrency" => cfg.workers as u64,
        "envoy_server_state" | "envoy_server_hot_restart_epoch" => 0,
        "envoy_cluster_manager_active_clusters" => cfg.clusters as u64,
        "envoy_listener_manager_total_listeners_active" => cfg.listeners as u64,
        "istio_build" => 1,
        _ => return None,
    })
}

/// Writes every sample of series `idx` of family `f`.
fn write_series(out: &mut Out<'_>, ctx: &Ctx<'_>, f: &PlanFam, idx: usize) {
    let series = ctx.uni.get(f.scope);
    let labels = series.get(idx);
    let nl = series.n_labels;
    let cfg = ctx.cfg;
    let mut rng = Rng::derive(cfg.seed, f.id, idx as u64);
    let om = ctx.om;
    let name: &[u8] = if om {
        f.om_name.as_bytes()
    } else {
        f.name.as_bytes()
    };
    match f.kind {
        Kind::Counter | Kind::Gauge => {
            let start = out.buf.len();
            let suffix: &[u8] = if om && f.kind == Kind::Counter {
                b"_total"
            } else {
                b""
            };
            if f.text_readout {
                let v = labels::text_readout_value(cfg, f.id);
                let mut extra = Vec::with_capacity(v.len() + 16);
                extra.extend_from_slice(b"text_value=\"");
                push_escaped(&mut extra, &v);
                extra.push(b'"');
                push_series(&mut out.buf, name, suffix, labels, &extra, om);
                out.buf.push(b'0');
                out.sample_done(start, nl + 1);
                return;
            }
            push_series(&mut out.buf, name, suffix, labels, b"", om);
            let v = if f.hash_gauge {
                rng.next_u64()
            } else if let Some(v) = fixed_gauge(f.base, cfg) {
                v
            } else if rng.chance(cfg.p_zero) {
                0
            } else {
                rng.log_uniform(1e9)
            };
            push_u64(&mut out.buf, v);
            out.sample_done(start, nl);
        }
        Kind::Histogram => {
            let n = if f.may_be_empty && rng.chance(0.5) {
                0
            } else {
                rng.log_uniform(1e5)
            };
            let mu = f.mu + rng.normal() * 0.5;
            let sigma = 1.5;
            let mut extra = Vec::with_capacity(48);
            for (b, text) in BOUNDS.iter().zip(ctx.bounds) {
                let cum = (n as f64 * phi((b.ln() - mu) / sigma)).round() as u64;
                extra.clear();
                extra.extend_from_slice(b"le=\"");
                extra.extend_from_slice(text);
                extra.push(b'"');
                let start = out.buf.len();
                push_series(&mut out.buf, name, b"_bucket", labels, &extra, om);
                push_u64(&mut out.buf, cum.min(n));
                out.sample_done(start, nl + 1);
            }
            let start = out.buf.len();
            push_series(&mut out.buf, name, b"_bucket", labels, b"le=\"+Inf\"", om);
            push_u64(&mut out.buf, n);
            out.sample_done(start, nl + 1);
            write_sum_count(out, name, labels, nl, n, mu, sigma, &mut rng, om);
        }
        Kind::Summary => {
            let n = if rng.chance(cfg.p_nan) {
                0
            } else {
                rng.log_uniform(1e5)
            };
            let mu = f.mu + rng.normal() * 0.5;
            let sigma = 1.5;
            let mut extra = Vec::with_capacity(24);
            for (q, z) in QUANTILES {
                extra.clear();
                extra.extend_from_slice(b"quantile=\"");
                extra.extend_from_slice(q.as_bytes());
                extra.push(b'"');
                let start = out.buf.len();
                push_series(&mut out.buf, name, b"", labels, &extra, om);
                if n == 0 {
                    out.buf.extend_from_slice(b"nan");
                } else {
                    let v = ((mu + sigma * z).exp() * 20.0).round() * 0.05;
                    write_g32(&mut out.buf, v);
                }
                out.sample_done(start, nl + 1);
            }
            write_sum_count(out, name, labels, nl, n, mu, sigma, &mut rng, om);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn write_sum_count(
    out: &mut Out<'_>,
    name: &[u8],
    labels: &[u8],
    nl: usize,
    n: u64,
    mu: f64,
    sigma: f64,
    rng: &mut Rng,
    om: bool,
) {
    let mean = (mu + sigma * sigma / 2.0).exp();
    // Sums of values with two decimals, as Envoy's ms sums look:
    // multiples of 0.05 carry binary noise under %.32g.
    let sum = if n == 0 {
        0.0
    } else {
        (n as f64 * mean * (0.7 + 0.6 * rng.f64()) * 20.0).round() * 0.05
    };
    let start = out.buf.len();
    push_series(&mut out.buf, name, b"_sum", labels, b"", om);
    write_g32(&mut out.buf, sum);
    out.sample_done(start, nl);
    let start = out.buf.len();
    push_series(&mut out.buf, name, b"_count", labels, b"", om);
    push_u64(&mut out.buf, n);
    out.sample_done(start, nl);
}

/// Writes one family: TYPE line and all series (grouped layouts).
fn write_family(out: &mut Out<'_>, ctx: &Ctx<'_>, f: &PlanFam, limit: usize) -> bool {
    let n = ctx.uni.get(f.scope).len().min(limit);
    if n == 0 {
        return false;
    }
    out.type_line(if ctx.om { &f.om_name } else { &f.name }, type_name(f.kind));
    out.count_family(f.kind);
    for i in 0..n {
        write_series(out, ctx, f, i);
        out.maybe_flush();
    }
    true
}

/// Writes the Envoy/Istio body in the configured layout.
fn write_body(out: &mut Out<'_>, ctx: &Ctx<'_>, fams: &[PlanFam]) {
    let single = ctx.cfg.scopes <= 1 && ctx.cfg.scope_fill == 0;
    match ctx.cfg.profile {
        Profile::EnvoyUngrouped if !ctx.om => {
            if single {
                write_ungrouped(out, ctx, fams);
            } else {
                // A partial scope's families are whole here: the shuffled
                // runs need every series of a family.
                let mut all = Vec::new();
                each_scoped_family(ctx, fams, &mut |_, f, _| all.push(f.clone()));
                write_ungrouped(out, ctx, &all);
            }
        }
        Profile::EnvoyBlankline if !ctx.om => each_scoped_family(ctx, fams, &mut |c, f, limit| {
            if write_family(out, c, f, limit) {
                out.buf.push(b'\n');
                out.newlines += 1;
            }
        }),
        _ => each_scoped_family(ctx, fams, &mut |c, f, limit| {
            write_family(out, c, f, limit);
        }),
    }
}

/// The ≤ 1.14 layout: families in random order, some split into 2–3
/// non-adjacent runs; only a family's first run has a TYPE line, except
/// for the occasional duplicate.
fn write_ungrouped(out: &mut Out<'_>, ctx: &Ctx<'_>, fams: &[PlanFam]) {
    let cfg = ctx.cfg;
    let mut rng = Rng::derive(cfg.seed, 0x0DD, 0);
    // (family index, first series, end series)
    let mut runs: Vec<(usize, usize, usize)> = Vec::new();
    for (fi, f) in fams.iter().enumerate() {
        let n = ctx.uni.get(f.scope).len();
        if n == 0 {
            continue;
        }
        if n >= 2 && rng.chance(cfg.p_split) {
            let parts = if n >= 3 { 2 + rng.below(2) as usize } else { 2 };
            let mut cuts: Vec<usize> = Vec::new();
            while cuts.len() < parts - 1 {
                let c = 1 + rng.below(n as u64 - 1) as usize;
                if !cuts.contains(&c) {
                    cuts.push(c);
                }
            }
            cuts.sort_unstable();
            let mut s = 0;
            for c in cuts {
                runs.push((fi, s, c));
                s = c;
            }
            runs.push((fi, s, n));
        } else {
            runs.push((fi, 0, n));
        }
    }
    // Fisher–Yates shuffle.
    for i in (1..runs.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        runs.swap(i, j);
    }
    // Make runs of the same family non-adjacent where possible.
    for i in 1..runs.len() {
        if runs[i].0 == runs[i - 1].0 {
            if let Some(j) = (i + 1..runs.len())
                .find(|&j| runs[j].0 != runs[i].0 && (i < 2 || runs[j].0 != runs[i - 1].0))
            {
                runs.swap(i, j);
            }
        }
    }
    let mut typed = vec![false; fams.len()];
    for (fi, s, e) in runs {
        let f = &fams[fi];
        if !typed[fi] {
            typed[fi] = true;
            out.type_line(&f.name, type_name(f.kind));
            out.count_family(f.kind);
        } else if rng.chance(cfg.p_dup_type) {
            out.type_line(&f.name, type_name(f.kind));
        }
        for i in s..e {
            write_series(out, ctx, f, i);
            out.maybe_flush();
        }
    }
}

/// Go client_golang block (port 15020): HELP + TYPE, no braces, Go `%g`.
fn write_go_block(out: &mut Out<'_>, cfg: &GenConfig, om: bool) {
    let go_block = catalog::go_block();
    for gf in go_block {
        let id = fnv(gf.name);
        let fam_name = if om && gf.kind == Kind::Counter {
            gf.name.strip_suffix("_total").unwrap_or(gf.name)
        } else {
            gf.name
        };
        // In OM a gauge `x` and a counter `x_total` would clash; keep the first.
        if om
            && gf.kind == Kind::Counter
            && go_block
                .iter()
                .any(|o| o.name == fam_name && o.kind != Kind::Counter)
        {
            continue;
        }
        if om {
            out.type_line(fam_name, type_name(gf.kind));
            out.help_line(fam_name, gf.help);
        } else {
            out.help_line(gf.name, gf.help);
            out.type_line(gf.name, type_name(gf.kind));
        }
        out.count_family(gf.kind);
        let mut rng = Rng::derive(cfg.seed, id, 0);
        let n = rng.log_uniform(1e3);
        let nb = gf
            .series
            .iter()
            .filter(|(s, _)| s.contains("_bucket{") && !s.contains("+Inf"))
            .count();
        let mut bi = 0usize;
        let base = 1e-4 * (0.5 + rng.f64());
        for (qi, &(series, tmpl)) in gf.series.iter().enumerate() {
            let start = out.buf.len();
            let labels = series.bytes().filter(|&c| c == b'=').count();
            // Sample name: insert `_total` for OM counters that lack it.
            if om && gf.kind == Kind::Counter && !gf.name.ends_with("_total") {
                let cut = series.find('{').unwrap_or(series.len());
                out.buf.extend_from_slice(&series.as_bytes()[..cut]);
                out.buf.extend_from_slice(b"_total");
                out.buf.extend_from_slice(&series.as_bytes()[cut..]);
            } else {
                out.buf.extend_from_slice(series.as_bytes());
            }
            out.buf.push(b' ');
            let v: f64 = match gf.kind {
                Kind::Histogram => {
                    if series.contains("+Inf") || series.contains("_count") {
                        n as f64
                    } else if series.contains("_bucket{") {
                        bi += 1;
                        (n as f64
                            * (1.0 - 0.5f64.powi(bi as i32 * 3 / nb.max(1) as i32 + bi as i32)))
                        .round()
                    } else {
                        n as f64 * base * 37.0
                    }
                }
                Kind::Summary => {
                    if series.contains("_count") {
                        n as f64
                    } else if series.contains("_sum") {
                        n as f64 * base * 1.3
                    } else {
                        base * (1.0 + qi as f64 * 0.4)
                    }
                }
                _ => {
                    let t: f64 = tmpl.parse().unwrap_or(0.0);
                    if t == 0.0 || t == 1.0 || t > 1e18 {
                        t
                    } else if t.fract() == 0.0 {
                        (t * (0.5 + rng.f64())).round().max(1.0)
                    } else {
                        t * (0.5 + rng.f64())
                    }
                }
            };
            write_go_g(&mut out.buf, v);
            out.sample_done(start, labels);
        }
    }
}

/// The application block at the end of a 15020 body.
fn write_app_block(out: &mut Out<'_>, cfg: &GenConfig, om: bool) {
    let mut rng = Rng::derive(cfg.seed, 0xA11, 0);
    let routes = ["/", "/api/v1/items", "/api/v1/orders", "/healthz"];
    let codes = ["200", "404", "500"];
    // Counter.
    if om {
        out.type_line("http_requests", "counter");
        out.help_line("http_requests", "Total HTTP requests.");
    } else {
        out.help_line("http_requests_total", "Total HTTP requests.");
        out.type_line("http_requests_total", "counter");
    }
    out.count_family(Kind::Counter);
    for r in routes {
        for c in codes {
            let start = out.buf.len();
            out.buf.extend_from_slice(b"http_requests_total{code=\"");
            out.buf.extend_from_slice(c.as_bytes());
            out.buf.extend_from_slice(b"\",handler=\"");
            out.buf.extend_from_slice(r.as_bytes());
            out.buf.extend_from_slice(b"\"} ");
            push_u64(&mut out.buf, rng.log_uniform(1e6));
            out.sample_done(start, 2);
            if om {
                let start = out.buf.len();
                out.buf.extend_from_slice(b"http_requests_created{code=\"");
                out.buf.extend_from_slice(c.as_bytes());
                out.buf.extend_from_slice(b"\",handler=\"");
                out.buf.extend_from_slice(r.as_bytes());
                out.buf.extend_from_slice(b"\"} ");
                write_go_g(
                    &mut out.buf,
                    1.7e9 + (rng.below(10_000_000) as f64) / 1000.0,
                );
                out.sample_done(start, 2);
            }
        }
    }
    // Gauge.
    if om {
        out.type_line("http_requests_in_flight", "gauge");
        out.help_line("http_requests_in_flight", "Requests being served.");
    } else {
        out.help_line("http_requests_in_flight", "Requests being served.");
        out.type_line("http_requests_in_flight", "gauge");
    }
    out.count_family(Kind::Gauge);
    let start = out.buf.len();
    out.buf.extend_from_slice(b"http_requests_in_flight ");
    push_u64(&mut out.buf, rng.below(20));
    out.sample_done(start, 0);
    // Histogram.
    let bounds = [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];
    let hn = "http_request_duration_seconds";
    if om {
        out.type_line(hn, "histogram");
        out.help_line(hn, "Request latency.");
    } else {
        out.help_line(hn, "Request latency.");
        out.type_line(hn, "histogram");
    }
    out.count_family(Kind::Histogram);
    for r in routes {
        let n = rng.log_uniform(1e5);
        let mu = (0.05f64).ln() + rng.normal() * 0.3;
        for b in bounds.iter().map(|&b| Some(b)).chain([None]) {
            let start = out.buf.len();
            out.buf.extend_from_slice(hn.as_bytes());
            out.buf.extend_from_slice(b"_bucket{handler=\"");
            out.buf.extend_from_slice(r.as_bytes());
            out.buf.extend_from_slice(b"\",le=\"");
            let cum = match b {
                Some(b) => {
                    let mut t = Vec::new();
                    write_go_g(&mut t, b);
                    let t = String::from_utf8(t).unwrap_or_default();
                    if om {
                        out.buf
                            .extend_from_slice(normalize_le_quantile(&t).as_bytes());
                    } else {
                        out.buf.extend_from_slice(t.as_bytes());
                    }
                    (n as f64 * phi((b.ln() - mu) / 1.0)).round() as u64
                }
                None => {
                    out.buf.extend_from_slice(b"+Inf");
                    n
                }
            };
            out.buf.extend_from_slice(b"\"} ");
            push_u64(&mut out.buf, cum.min(n));
            out.sample_done(start, 2);
        }
        for (suffix, v) in [
            ("_sum", n as f64 * 0.061 * (0.8 + 0.4 * rng.f64())),
            ("_count", n as f64),
        ] {
            let start = out.buf.len();
            out.buf.extend_from_slice(hn.as_bytes());
            out.buf.extend_from_slice(suffix.as_bytes());
            out.buf.extend_from_slice(b"{handler=\"");
            out.buf.extend_from_slice(r.as_bytes());
            out.buf.extend_from_slice(b"\"} ");
            write_go_g(&mut out.buf, v);
            out.sample_done(start, 1);
        }
    }
}

fn eof(out: &mut Out<'_>) {
    let start = out.buf.len();
    out.buf.extend_from_slice(b"# EOF");
    out.end_line(start);
}

/// Runs the generator with fixed counts into `out`.
fn run(cfg: &GenConfig, out: &mut Out<'_>) {
    let om = cfg.openmetrics;
    let fams = plan(cfg);
    let mut needed: Vec<Scope> = fams.iter().map(|f| f.scope).collect();
    needed.sort_unstable_by_key(|s| *s as u8);
    needed.dedup();
    let uni = labels::build(cfg, &needed);
    let bounds: Vec<Vec<u8>> = BOUNDS
        .iter()
        .map(|&b| {
            let mut v = Vec::new();
            write_g32(&mut v, b);
            if om {
                let s = String::from_utf8(v).unwrap_or_default();
                normalize_le_quantile(&s).into_owned().into_bytes()
            } else {
                v
            }
        })
        .collect();
    let ctx = Ctx {
        cfg,
        uni: &uni,
        om,
        bounds: &bounds,
        needed: &needed,
    };
    if cfg.profile == Profile::Istio15020 {
        write_go_block(out, cfg, om);
    }
    write_body(out, &ctx, &fams);
    if cfg.profile == Profile::Istio15020 {
        match cfg.app_block {
            AppBlock::None => {}
            AppBlock::Text => write_app_block(out, cfg, om),
            AppBlock::OpenMetrics => {
                write_app_block(out, cfg, true);
                if !om {
                    eof(out);
                }
            }
        }
    }
    if om {
        eof(out);
    }
    if !cfg.final_newline {
        while out.buf.last() == Some(&b'\n') {
            out.buf.pop();
            out.newlines -= 1;
        }
    }
}

/// Generates with fixed counts and returns the metadata.
fn finish<'w>(
    cfg: &GenConfig,
    out: Out<'w>,
) -> (
    GenMeta,
    Vec<u8>,
    Option<&'w mut dyn io::Write>,
    Option<io::Error>,
) {
    let bytes = out.flushed + out.buf.len();
    let ends_open = out.buf.last().is_some_and(|&b| b != b'\n');
    let meta = GenMeta {
        config: cfg.clone(),
        families: out.families,
        type_lines: out.type_lines,
        help_lines: out.help_lines,
        samples: out.samples,
        lines: out.newlines + usize::from(ends_open),
        bytes,
        max_line_len: out.max_line_len,
        max_labels: out.max_labels,
    };
    (meta, out.buf, out.w, out.err)
}

/// Size of the output for `cfg` (no target), without keeping it.
fn measure(cfg: &GenConfig) -> usize {
    let mut sink = io::sink();
    let mut out = Out::new(Vec::with_capacity(FLUSH_AT + 8192), Some(&mut sink));
    run(cfg, &mut out);
    out.flushed + out.buf.len()
}

/// Targets above this are resolved by extrapolation from a probe of
/// [`PROBE`] bytes instead of exact measurement passes over the full size.
const EXACT_LIMIT: usize = 64 << 20;
/// Probe size for extrapolated targets: large enough that the per-unit size
/// averages over a thousand or so peers (about 2 % error).
const PROBE: usize = 48 << 20;

/// Finds the unit count `u >= lo` whose output size is closest to `target`,
/// given that size grows with `u` (every unit only adds series). Interpolation
/// search bracketed by a galloping phase; each probe is one counting pass.
fn closest_units(
    c: &mut GenConfig,
    set: &dyn Fn(&mut GenConfig, usize),
    lo: usize,
    target: usize,
) -> (usize, usize) {
    let size_of = |c: &mut GenConfig, u: usize| {
        set(c, u);
        measure(c)
    };
    let (mut a, mut sa) = (lo, size_of(c, lo));
    let s_lo = sa;
    if sa >= target {
        return (a, sa);
    }
    // Gallop until the size passes the target.
    let (mut b, mut sb);
    let mut step = 1usize;
    loop {
        let slope = if a > lo {
            ((sa - s_lo) as f64 / (a - lo) as f64).max(1.0)
        } else {
            0.0
        };
        let guess = if slope > 0.0 {
            a + ((target - sa) as f64 / slope).ceil() as usize
        } else {
            a + step
        };
        b = guess.clamp(a + 1, a + step.max(1) * 8);
        sb = size_of(c, b);
        if sb > target {
            break;
        }
        (a, sa) = (b, sb);
        step = step.saturating_mul(2);
    }
    // Interpolate between a (<= target) and b (> target).
    while b > a + 1 {
        let f = (target - sa) as f64 / (sb - sa) as f64;
        let m = (a + (f * (b - a) as f64).round() as usize).clamp(a + 1, b - 1);
        let sm = size_of(c, m);
        if sm > target {
            (b, sb) = (m, sm);
        } else {
            (a, sa) = (m, sm);
        }
    }
    if sb - target < target - sa {
        (b, sb)
    } else {
        (a, sa)
    }
}

/// Resolves a target size into counts: clusters (Envoy), or peers, then
/// clusters, then SDS-only clusters (Istio) for a close fit.
pub(super) fn resolve(cfg: &GenConfig) -> GenConfig {
    let Some(target) = cfg.target_bytes else {
        return cfg.clone();
    };
    let istio = cfg.profile.is_istio();
    let mut c = cfg.clone();
    c.target_bytes = None;
    if !cfg.many_series && matches!(cfg.profile, Profile::Envoy | Profile::Istio) {
        resolve_scopes(&mut c, target);
        return c;
    }
    let set_main = |c: &mut GenConfig, u: usize| {
        if istio {
            c.istio_peers = u;
        } else {
            c.clusters = u;
        }
    };
    // At least one cluster, and at least one traffic peer for a sidecar.
    let lo = 1;
    if target > EXACT_LIMIT {
        // Extrapolate the bytes per unit from a large probe.
        set_main(&mut c, lo);
        let s_lo = measure(&c);
        let (u_probe, s_probe) = closest_units(&mut c, &set_main, lo, PROBE);
        let slope = (s_probe.saturating_sub(s_lo) as f64 / (u_probe - lo).max(1) as f64).max(1.0);
        let u = lo + ((target.saturating_sub(s_lo)) as f64 / slope).round() as usize;
        set_main(&mut c, u);
        return c;
    }
    let (u, _) = closest_units(&mut c, &set_main, lo, target);
    // Take the largest count that stays at or below the target before
    // filling the rest with finer units.
    set_main(&mut c, u);
    if istio {
        let mut s = measure(&c);
        if s > target && u > lo {
            set_main(&mut c, u - 1);
            s = measure(&c);
        }
        if s < target {
            let base = c.clusters;
            let set_c = |c: &mut GenConfig, n: usize| {
                c.clusters = n;
                c.sds_clusters = c.sds_clusters.max(n);
            };
            let (n, s2) = closest_units(&mut c, &set_c, base, target);
            let n = if s2 > target && n > base { n - 1 } else { n };
            set_c(&mut c, n);
            let base = c.sds_clusters;
            let set_s = |c: &mut GenConfig, n: usize| c.sds_clusters = n;
            let (n, _) = closest_units(&mut c, &set_s, base, target);
            set_s(&mut c, n);
        }
    }
    c
}

/// Meets a target size with whole stat scopes plus a partial one: the size
/// grows by families, so the per-family shape stays that of one scope.
fn resolve_scopes(c: &mut GenConfig, target: usize) {
    c.scope_fill = 0;
    c.scopes = 1;
    let one = measure(c);
    if one >= target {
        // Smaller than one scope: a partial scope 0 alone.
        c.scopes = 0;
        c.scope_fill = target;
        return;
    }
    let (n, size) = whole_scopes(c, one, target.min(PROBE));
    if target > PROBE {
        // Scopes differ only in names, values and their own universes:
        // extrapolate from the probe's mean scope size.
        let avg = ((size - one) as f64 / (n - 1).max(1) as f64).max(1.0);
        let more = ((target - size) as f64 / avg).floor() as usize;
        c.scopes = n + more;
        c.scope_fill = target.saturating_sub(size + (more as f64 * avg) as usize);
        return;
    }
    c.scopes = n;
    c.scope_fill = target - size;
}

/// The most whole scopes whose output fits in `target`, and its size.
/// Scope sizes vary (each has its own universe), so the step comes from the
/// mean size measured so far.
fn whole_scopes(c: &mut GenConfig, one: usize, target: usize) -> (usize, usize) {
    let (mut n, mut size) = (1usize, one);
    let mut avg = one as f64;
    for _ in 0..16 {
        let guess = n + ((target - size) as f64 / avg).floor() as usize;
        if guess <= n {
            break;
        }
        c.scopes = guess;
        let s = measure(c);
        if s > target {
            // The scopes in (n, guess] are larger than assumed.
            avg = (s - size) as f64 / (guess - n) as f64;
        } else {
            (n, size) = (guess, s);
            avg = (size - one) as f64 / (n - 1) as f64;
        }
    }
    c.scopes = n;
    (n, size)
}

/// Generates into `buf` (cleared first) and returns the metadata.
pub(super) fn generate_into(config: &GenConfig, buf: &mut Vec<u8>) -> GenMeta {
    let cfg = resolve(config);
    buf.clear();
    let mut out = Out::new(std::mem::take(buf), None);
    run(&cfg, &mut out);
    let (meta, b, _, _) = finish(&cfg, out);
    *buf = b;
    meta
}

/// Streams an exposition into `w` (buffered internally in 256 KiB pieces)
/// and returns its metadata. Memory stays bounded by the label universe,
/// not by the output size, so this can produce gigabytes.
///
/// ```
/// use promtext_gen::{GenConfig, generate, generate_to};
/// let cfg = GenConfig::istio();
/// let mut bytes = Vec::new();
/// let meta = generate_to(&cfg, &mut bytes)?;
/// assert_eq!(meta.bytes, bytes.len());
/// assert_eq!(bytes, generate(&cfg).text.into_bytes());
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
/// Returns the first error of `w`.
pub fn generate_to<W: io::Write + ?Sized>(config: &GenConfig, w: &mut W) -> io::Result<GenMeta> {
    let cfg = resolve(config);
    let mut adapter = DynWrite(w);
    let mut out = Out::new(Vec::with_capacity(FLUSH_AT + 8192), Some(&mut adapter));
    run(&cfg, &mut out);
    let (meta, rest, w, err) = finish(&cfg, out);
    if let Some(e) = err {
        return Err(e);
    }
    if let Some(w) = w {
        w.write_all(&rest)?;
        w.flush()?;
    }
    Ok(meta)
}

/// Lets an unsized writer be used as `dyn io::Write`.
struct DynWrite<'a, W: io::Write + ?Sized>(&'a mut W);

impl<W: io::Write + ?Sized> io::Write for DynWrite<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phi_sane() {
        assert!((phi(0.0) - 0.5).abs() < 1e-7);
        assert!((phi(1.96) - 0.975).abs() < 1e-3);
        assert!(phi(-8.0) >= 0.0 && phi(8.0) <= 1.0);
    }

    #[test]
    fn om_clashes_dropped() {
        let cfg = GenConfig::istio().openmetrics(true);
        let fams = plan(&cfg);
        let names: Vec<_> = fams.iter().map(|f| f.om_name.as_str()).collect();
        let set: HashSet<_> = names.iter().collect();
        assert_eq!(set.len(), names.len());
    }
}
