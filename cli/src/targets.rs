//! `promtext targets`: the targets Prometheus' Kubernetes pod discovery would give a job, computed offline from
//! `kubectl get pods -A -o json`.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use promtext::config::{ConfigDocument, ScrapeJob};
use promtext::discovery::kubernetes::Cluster;
use promtext::discovery::{DiscoveredTarget, TargetState, targets_from_groups};
use promtext::relabel::{Labels, Pipeline};

use crate::output::{is_broken_pipe, json_label_object, json_str};

/// What `targets` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Active targets (namespace, pod, URL, labels), then dropped ones with the rule that dropped them.
    Table,
    /// One object per target with the field names of Prometheus' `/api/v1/targets`.
    Jsonl,
}

/// Arguments of `promtext targets`.
#[derive(Args, Debug)]
#[command(after_help = "Exit codes: 0 success; 2 usage, configuration or I/O error.")]
pub struct TargetsArgs {
    /// prometheus.yml, or Prometheus-Operator values with `additionalScrapeConfigs:`.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Only this job (default: every job with `kubernetes_sd_configs`).
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,
    /// The pods: `kubectl get pods -A -o json` (or `-o yaml`); `-` for standard input.
    #[arg(long, value_name = "FILE")]
    pub pods: String,
    /// The nodes, for `attach_metadata: {node: true}`: `kubectl get nodes -o json`.
    #[arg(long, value_name = "FILE")]
    pub nodes: Option<String>,
    /// The namespaces, for `attach_metadata: {namespace: true}`: `kubectl get namespaces -o json`.
    #[arg(long, value_name = "FILE")]
    pub namespaces: Option<String>,
    /// The namespace Prometheus runs in, for `namespaces: {own_namespace: true}`.
    #[arg(long, value_name = "NAME")]
    pub own_namespace: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Walk the targets of one pod (`NAMESPACE/NAME` or `NAME`) through `relabel_configs`, rule by rule.
    #[arg(long, value_name = "POD")]
    pub explain: Option<String>,
}

/// A file's bytes, or standard input's for `-`.
pub(crate) fn read_all(path: &str) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    let r = if path == "-" {
        io::stdin().lock().read_to_end(&mut buf)
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut buf))
    };
    r.map_err(|e| format!("reading {path}: {e}"))?;
    Ok(buf)
}

/// The cluster of `--pods`, `--nodes`, `--namespaces` and `--own-namespace` (shared with
/// `scrape --pods`); errors name the file.
pub(crate) fn load_cluster(
    pods: &str,
    nodes: Option<&str>,
    namespaces: Option<&str>,
    own_namespace: Option<&str>,
) -> Result<Cluster, String> {
    let mut cluster = Cluster::from_pods(&read_all(pods)?).map_err(|e| format!("{pods}: {e}"))?;
    if let Some(p) = nodes {
        cluster = cluster
            .with_nodes(&read_all(p)?)
            .map_err(|e| format!("{p}: {e}"))?;
    }
    if let Some(p) = namespaces {
        cluster = cluster
            .with_namespaces(&read_all(p)?)
            .map_err(|e| format!("{p}: {e}"))?;
    }
    if let Some(ns) = own_namespace {
        cluster = cluster.with_own_namespace(ns.to_string());
    }
    Ok(cluster)
}

/// One job's compiled rules and targets.
struct JobResult<'d> {
    job: &'d ScrapeJob,
    pipeline: Pipeline,
    targets: Vec<DiscoveredTarget>,
}

fn discover<'d>(args: &TargetsArgs, doc: &'d ConfigDocument) -> Result<Vec<JobResult<'d>>, String> {
    let cfg = args.config.display();
    let jobs: Vec<&ScrapeJob> = match &args.job {
        Some(name) => vec![
            doc.select(Some(name), None)
                .map_err(|e| format!("{cfg}: {e}"))?
                .job
                .ok_or_else(|| format!("{cfg}: a bare rule list has no jobs"))?,
        ],
        None => doc
            .jobs()
            .iter()
            .filter(|j| !j.kubernetes_sd_configs.is_empty())
            .collect(),
    };
    if jobs.is_empty() {
        return Err(format!("{cfg}: no job with kubernetes_sd_configs"));
    }
    let cluster = load_cluster(
        &args.pods,
        args.nodes.as_deref(),
        args.namespaces.as_deref(),
        args.own_namespace.as_deref(),
    )?;
    let mut out = Vec::new();
    for job in jobs {
        let name = &job.job_name;
        let mut groups = Vec::new();
        for (i, sd) in job.kubernetes_sd_configs.iter().enumerate() {
            let g = cluster.target_groups(sd).map_err(|e| {
                let hint = match e {
                    promtext::discovery::DiscoveryError::Missing(_) => {
                        " (give it with --nodes / --namespaces / --own-namespace)"
                    }
                    _ => "",
                };
                format!("{cfg}: job {name:?}: kubernetes_sd_configs[{i}]: {e}{hint}")
            })?;
            groups.extend(g);
        }
        let pipeline = Pipeline::new(&job.relabel_configs, job.name_validation_scheme)
            .map_err(|e| config_error(&cfg.to_string(), name, &e))?;
        let targets = targets_from_groups(job, &pipeline, &groups);
        out.push(JobResult {
            job,
            pipeline,
            targets,
        });
    }
    Ok(out)
}

fn config_error(file: &str, job: &str, e: &promtext::relabel::ConfigError) -> String {
    match e.rule_index() {
        Some(i) => format!("{file}: job {job:?}: relabel_configs[{i}]: {}", e.root()),
        None => format!("{file}: job {job:?}: relabel_configs: {e}"),
    }
}

fn pod_of(source: &str) -> (&str, &str) {
    let rest = source.strip_prefix("pod/").unwrap_or(source);
    rest.split_once('/').unwrap_or(("", rest))
}

/// Runs `promtext targets`.
pub fn run(args: TargetsArgs) -> ExitCode {
    let text = match std::fs::read_to_string(&args.config) {
        Ok(t) => t,
        Err(e) => {
            crate::output::error(format_args!("reading {}: {e}", args.config.display()));
            return ExitCode::from(2);
        }
    };
    let doc = match ConfigDocument::from_yaml(&text) {
        Ok(d) => d,
        Err(e) => {
            crate::output::error(crate::output::config_error(
                &args.config.display().to_string(),
                &text,
                &e,
            ));
            return ExitCode::from(2);
        }
    };
    let results = match discover(&args, &doc) {
        Ok(r) => r,
        Err(e) => {
            crate::output::error(e);
            return ExitCode::from(2);
        }
    };
    for r in &results {
        for t in &r.targets {
            if let TargetState::Failed(e) = &t.state {
                let (ns, pod) = pod_of(&t.source);
                crate::output::warn(format_args!(
                    "job {:?}: pod {ns}/{pod}: creating target failed: {e} (discovered {})",
                    r.job.job_name,
                    t.discovered.get("__address__").unwrap_or_default()
                ));
            }
        }
    }
    for r in &results {
        let limit = r.job.limits.target_limit;
        let active = r.targets.iter().filter(|t| t.active().is_some()).count() as u64;
        if limit > 0 && active > limit {
            crate::output::warn(format_args!(
                "job {:?}: target_limit exceeded (number of targets: {active}, limit: {limit}): Prometheus scrapes none of them",
                r.job.job_name
            ));
        }
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let res = match (&args.explain, args.output) {
        (Some(pod), _) => match explain(&mut out, &results, pod) {
            Ok(true) => Ok(()),
            Ok(false) => {
                crate::output::error(format_args!("no discovered target of pod {pod:?}"));
                return ExitCode::from(2);
            }
            Err(e) => Err(e),
        },
        (None, Output::Jsonl) => jsonl(&mut out, &results),
        (None, Output::Table) => table(&mut out, &results),
    };
    match res.and_then(|_| out.flush()) {
        Err(e) if !is_broken_pipe(&e) => {
            crate::output::error(e);
            ExitCode::from(2)
        }
        _ => ExitCode::SUCCESS,
    }
}

fn jsonl(out: &mut impl Write, results: &[JobResult<'_>]) -> io::Result<()> {
    for r in results {
        for t in &r.targets {
            let state = match &t.state {
                TargetState::Active(_) => "active",
                TargetState::Dropped { .. } => "dropped",
                // Prometheus scrapes a duplicate once and does not list failed targets.
                _ => continue,
            };
            write!(out, "{{\"state\":\"{state}\",\"scrapePool\":")?;
            json_str(out, &r.job.job_name)?;
            out.write_all(b",\"discoveredLabels\":")?;
            json_label_object(out, t.discovered.iter())?;
            match &t.state {
                TargetState::Active(a) => {
                    out.write_all(b",\"labels\":")?;
                    json_label_object(out, a.labels().iter())?;
                    out.write_all(b",\"scrapeUrl\":")?;
                    json_str(out, &a.url())?;
                    let all = a.all_labels();
                    out.write_all(b",\"scrapeInterval\":")?;
                    json_str(out, all.get("__scrape_interval__").unwrap_or_default())?;
                    out.write_all(b",\"scrapeTimeout\":")?;
                    json_str(out, all.get("__scrape_timeout__").unwrap_or_default())?;
                }
                TargetState::Dropped { rule: Some(i) } => write!(out, ",\"droppedByRule\":{i}")?,
                _ => {}
            }
            out.write_all(b"}\n")?;
        }
    }
    Ok(())
}

fn rule_name(p: &Pipeline, i: usize) -> String {
    match p.configs().get(i).and_then(|c| c.action) {
        Some(a) => format!("rule {i} ({a})"),
        None => format!("rule {i}"),
    }
}

fn write_table(out: &mut impl Write, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut w: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cells: &mut dyn Iterator<Item = &str>| -> io::Result<()> {
        let cells: Vec<&str> = cells.collect();
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(c);
                s.extend(std::iter::repeat_n(' ', w[i] - c.chars().count() + 2));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(out, &mut header.iter().copied())?;
    for r in rows {
        line(out, &mut r.iter().map(String::as_str))?;
    }
    Ok(())
}

fn short_labels(l: &Labels) -> String {
    // job and instance are already in the JOB and URL columns.
    let rest: Vec<(&str, &str)> = l
        .iter()
        .filter(|(n, _)| *n != "job" && *n != "instance")
        .collect();
    Labels::from_pairs(rest).to_string()
}

fn container_port(d: &Labels) -> String {
    let c = d.get("__meta_kubernetes_pod_container_name").unwrap_or("-");
    match (
        d.get("__meta_kubernetes_pod_container_port_number"),
        d.get("__meta_kubernetes_pod_container_port_name"),
    ) {
        (Some(n), Some(name)) => format!("{c}:{n} ({name})"),
        (Some(n), None) => format!("{c}:{n}"),
        _ => format!("{c} (no port)"),
    }
}

fn table(out: &mut impl Write, results: &[JobResult<'_>]) -> io::Result<()> {
    let mut active = Vec::new();
    let mut dropped = Vec::new();
    let (mut n_dup, mut n_failed) = (0, 0);
    for r in results {
        for t in &r.targets {
            let (ns, pod) = pod_of(&t.source);
            match &t.state {
                TargetState::Active(a) => active.push(vec![
                    r.job.job_name.clone(),
                    ns.to_string(),
                    pod.to_string(),
                    a.url(),
                    short_labels(a.labels()),
                ]),
                TargetState::Dropped { rule } => dropped.push(vec![
                    r.job.job_name.clone(),
                    ns.to_string(),
                    pod.to_string(),
                    container_port(&t.discovered),
                    match rule {
                        Some(i) => format!("dropped by {}", rule_name(&r.pipeline, *i)),
                        None => "dropped".into(),
                    },
                ]),
                TargetState::Duplicate => n_dup += 1,
                _ => n_failed += 1,
            }
        }
    }
    writeln!(out, "{} active targets", active.len())?;
    if !active.is_empty() {
        write_table(out, &["JOB", "NAMESPACE", "POD", "URL", "LABELS"], &active)?;
    }
    writeln!(out)?;
    writeln!(out, "{} dropped targets", dropped.len())?;
    if !dropped.is_empty() {
        write_table(
            out,
            &["JOB", "NAMESPACE", "POD", "CONTAINER:PORT", "REASON"],
            &dropped,
        )?;
    }
    if n_dup > 0 {
        writeln!(out)?;
        writeln!(
            out,
            "{n_dup} discovered targets are identical to an active one (same labels and URL) and scraped once"
        )?;
    }
    if n_failed > 0 {
        writeln!(out)?;
        writeln!(out, "{n_failed} targets failed (see the warnings)")?;
    }
    Ok(())
}

fn explain(out: &mut impl Write, results: &[JobResult<'_>], pod: &str) -> io::Result<bool> {
    let matches = |source: &str| {
        let (ns, name) = pod_of(source);
        match pod.split_once('/') {
            Some((pn, pp)) => ns == pn && name == pp,
            None => name == pod,
        }
    };
    let mut found = false;
    for r in results {
        let mine: Vec<&DiscoveredTarget> =
            r.targets.iter().filter(|t| matches(&t.source)).collect();
        for (k, t) in mine.iter().enumerate() {
            found = true;
            let (ns, name) = pod_of(&t.source);
            writeln!(
                out,
                "== job {}, pod {ns}/{name}, target {} of {}: {}",
                r.job.job_name,
                k + 1,
                mine.len(),
                container_port(&t.discovered)
            )?;
            writeln!(out, "discovered labels:")?;
            for (n, v) in t.discovered.iter() {
                writeln!(
                    out,
                    "  {}",
                    Labels::from_pairs([(n, v)])
                        .to_string()
                        .trim_matches(['{', '}'])
                )?;
            }
            let pairs: Vec<(&str, &str)> = t.discovered.iter().collect();
            let ex = r.pipeline.explain(&pairs);
            for s in &ex.steps {
                let changed = s.after.as_ref() != Some(&s.before);
                let after = match &s.after {
                    None => "target dropped".to_string(),
                    Some(a) if changed => diff(&s.before, a),
                    Some(_) => "unchanged".to_string(),
                };
                writeln!(
                    out,
                    "{}: {} -> {after}",
                    rule_name(&r.pipeline, s.index),
                    s.note
                )?;
            }
            let verdict = match &t.state {
                TargetState::Active(a) => format!("active: {} {}", a.url(), a.labels()),
                TargetState::Dropped { rule: Some(i) } => {
                    format!("dropped by {}", rule_name(&r.pipeline, *i))
                }
                TargetState::Dropped { rule: None } => "dropped".into(),
                TargetState::Duplicate => {
                    "identical to an earlier active target: scraped once".into()
                }
                TargetState::Failed(e) => format!("failed: {e}"),
                _ => "?".into(),
            };
            writeln!(out, "result: {verdict}")?;
            writeln!(out)?;
        }
    }
    Ok(found)
}

/// The labels a rule set, changed or removed.
fn diff(before: &Labels, after: &Labels) -> String {
    let mut parts = Vec::new();
    for (n, v) in after.iter() {
        match before.get(n) {
            Some(old) if old == v => {}
            Some(_) | None => parts.push(format!("{n}={v:?}")),
        }
    }
    for (n, _) in before.iter() {
        if after.get(n).is_none() {
            parts.push(format!("-{n}"));
        }
    }
    parts.join(" ")
}
