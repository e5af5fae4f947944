//! [`ConfigDocument`]: a bare rule list, a Prometheus configuration or Prometheus-Operator values, with the
//! scrape jobs read from them.

use std::collections::BTreeMap;

use yaml_serde::{Mapping, Value};

use super::job::{HttpClientConfig, ProtocolSettings, ScrapeJob, ScrapeLimits};
use super::kubernetes::KubernetesSdConfig;
use super::rules::{
    Fatal, RuleList, TypeIssue, binary_text, decode_list, go_bool, go_uint, rules_from_node,
    type_error, validate_all,
};
use super::tree::{Kind, Node, Pos};
use super::units::parse_bytes;
use super::yaml::{check_depth, decode, get, get_str, get_u64, parse_document};
use crate::content_type::ScrapeProtocol;
use crate::relabel::{ConfigError, NameValidationScheme, RelabelConfig, Stage};

/// A loaded configuration document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigDocument {
    /// A bare list of rules.
    Rules(Vec<RelabelConfig>),
    /// Scrape jobs (from `scrape_configs:` or `additionalScrapeConfigs:`).
    Jobs(Vec<ScrapeJob>),
}

/// Rules picked from a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection<'d> {
    /// The job, when the document has jobs.
    pub job: Option<&'d ScrapeJob>,
    /// The stage the rules come from.
    pub stage: Stage,
    /// The rules.
    pub rules: &'d [RelabelConfig],
    /// The scheme to compile them with.
    pub scheme: NameValidationScheme,
}

fn protocol_list(m: &Mapping, key: &str) -> Result<Option<Vec<ScrapeProtocol>>, ConfigError> {
    let Some(v) = get(m, key) else {
        return Ok(None);
    };
    let names: Vec<String> = decode(v)?;
    let mut out: Vec<ScrapeProtocol> = Vec::new();
    for n in names {
        let p = protocol(&n)?;
        if out.contains(&p) {
            return Err(ConfigError::Decode(format!(
                "duplicated protocol in scrape_protocols, got {}",
                out.iter()
                    .chain([&p])
                    .map(|p| p.name())
                    .collect::<Vec<_>>()
                    .join(" ")
            )));
        }
        out.push(p);
    }
    Ok(Some(out))
}

fn protocol(name: &str) -> Result<ScrapeProtocol, ConfigError> {
    ScrapeProtocol::from_name(name).ok_or_else(|| {
        ConfigError::Decode(format!(
            "unknown scrape protocol {name}, supported: [OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto PrometheusText0.0.4 PrometheusText1.0.0]"
        ))
    })
}

fn protocol_settings(m: &Mapping, g: &Global) -> Result<ProtocolSettings, ConfigError> {
    let flag = |key: &str| -> Result<bool, ConfigError> {
        Ok(get(m, key)
            .map(decode::<bool>)
            .transpose()?
            .unwrap_or(false))
    };
    let p = ProtocolSettings {
        scrape_protocols: protocol_list(m, "scrape_protocols")?.or_else(|| g.protocols.clone()),
        scrape_native_histograms: flag("scrape_native_histograms")?,
        always_scrape_classic_histograms: flag("always_scrape_classic_histograms")?,
        convert_classic_histograms_to_nhcb: flag("convert_classic_histograms_to_nhcb")?,
        native_histogram_bucket_limit: get_u64(m, "native_histogram_bucket_limit")?,
        native_histogram_min_bucket_factor: get(m, "native_histogram_min_bucket_factor")
            .map(decode::<f64>)
            .transpose()?
            .unwrap_or(0.0),
        fallback_scrape_protocol: get_str(m, "fallback_scrape_protocol")?
            .filter(|s| !s.is_empty())
            .map(|s| protocol(&s))
            .transpose()?,
    };
    Ok(p)
}

#[derive(Default)]
struct Global {
    limits: ScrapeLimits,
    interval: Option<String>,
    timeout: Option<String>,
    scheme: Option<NameValidationScheme>,
    protocols: Option<Vec<ScrapeProtocol>>,
}

fn body_size_limit(m: &Mapping) -> Result<u64, (&'static str, ConfigError)> {
    Ok(
        match get_str(m, "body_size_limit").map_err(|e| ("body_size_limit", e))? {
            None => 0,
            Some(s) => parse_bytes(&s).ok_or_else(|| {
                (
                    "body_size_limit",
                    ConfigError::Decode(format!("invalid body_size_limit {s:?}")),
                )
            })?,
        },
    )
}

/// The limits of `global`; an error names its key.
fn limits(m: &Mapping) -> Result<ScrapeLimits, (&'static str, ConfigError)> {
    let body = body_size_limit(m)?;
    let n = |k: &'static str| get_u64(m, k).map_err(|e| (k, e));
    Ok(ScrapeLimits {
        sample_limit: n("sample_limit")?,
        label_limit: n("label_limit")?,
        label_name_length_limit: n("label_name_length_limit")?,
        label_value_length_limit: n("label_value_length_limit")?,
        target_limit: n("target_limit")?,
        body_size_limit: body,
    })
}

fn scheme_of(m: &Mapping) -> Result<Option<NameValidationScheme>, ConfigError> {
    match get_str(m, "metric_name_validation_scheme")? {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) => NameValidationScheme::parse(&s).map(Some),
    }
}

fn http_client(m: &Mapping) -> Result<HttpClientConfig, ConfigError> {
    let mut sub = Mapping::new();
    for k in [
        "authorization",
        "basic_auth",
        "bearer_token",
        "bearer_token_file",
        "tls_config",
    ] {
        if let Some(v) = get(m, k) {
            sub.insert(Value::from(k), v.clone());
        }
    }
    let c: HttpClientConfig = decode(&Value::Mapping(sub))?;
    let auths = [
        c.authorization.is_some(),
        c.basic_auth.is_some(),
        !c.bearer_token.is_empty() || !c.bearer_token_file.is_empty(),
    ];
    if auths.iter().filter(|a| **a).count() > 1 {
        return Err(ConfigError::Decode(
            "at most one of basic_auth, oauth2, bearer_token & bearer_token_file, authorization must be configured"
                .into(),
        ));
    }
    Ok(c)
}

/// A string key of a job, with its source text from the tree (yaml.v2 gives a string field the scalar as
/// written, a `!!binary` scalar decoded).
fn job_str(m: &Mapping, node: &Node, key: &str) -> Result<Option<String>, ConfigError> {
    if let Some(n) = node.get(key) {
        if let Kind::Scalar(sc) = &n.kind {
            if n.is_null() {
                return Ok(None);
            }
            if n.is_binary() {
                return binary_text(sc).map(Some);
            }
            return Ok(Some(sc.text.clone()));
        }
    }
    get_str(m, key)
}

/// A job after Prometheus' unmarshalling step (`ScrapeConfig.UnmarshalYAML`): its keys decoded, its rule lists
/// decoded but not validated.
struct Unmarshalled<'a> {
    job: ScrapeJob,
    m: &'a Mapping,
    node: &'a Node,
}

fn in_job(job: &str, stage: Option<Stage>, e: ConfigError) -> ConfigError {
    ConfigError::InJob {
        job: job.to_string(),
        stage,
        error: Box::new(e),
    }
}

/// Prometheus' unmarshalling of one job: its keys in document order; type errors in its rule lists are added
/// to `issues` (the job then skips its own checks), a fatal error (the first in document order) is returned.
fn unmarshal_job<'a>(
    v: &'a Value,
    node: &'a Node,
    g: &Global,
    issues: &mut Vec<TypeIssue>,
) -> Result<Option<Unmarshalled<'a>>, ConfigError> {
    let Value::Mapping(m) = v else {
        return Err(ConfigError::at(
            node.pos,
            ConfigError::Decode("a scrape config must be a mapping".to_string()),
        ));
    };
    let job_name = job_str(m, node, "job_name")?.unwrap_or_default();
    let key_at = |k: &str| m.keys().position(|x| x.as_str() == Some(k));
    let before = issues.len();
    // Rule lists, each with its fatal error (if any) and the position of its key.
    let mut lists: Vec<(Stage, Result<RuleList, Fatal>)> = Vec::new();
    for stage in [Stage::Target, Stage::Metric] {
        let at = issues.len();
        let list = match node.get(stage.key()) {
            Some(n) => decode_list(n, issues),
            None => Ok(RuleList::default()),
        };
        for i in &mut issues[at..] {
            i.context = Some((job_name.clone(), Some(stage)));
        }
        lists.push((stage, list));
    }
    let at = issues.len();
    let other = job_keys(m, node, g, &job_name, issues);
    for i in &mut issues[at..] {
        i.context = Some((job_name.clone(), None));
    }
    // The first fatal error in document order wins.
    let mut fatal: Option<(Option<usize>, ConfigError)> = None;
    let mut consider = |pos: Option<usize>, e: ConfigError| {
        if fatal.as_ref().is_none_or(|(p, _)| pos < *p) {
            fatal = Some((pos, e));
        }
    };
    let mut decoded = Vec::new();
    for (stage, list) in lists {
        match list {
            Ok(l) => decoded.push(l),
            Err(f) => consider(
                key_at(stage.key()),
                in_job(&job_name, Some(stage), f.into_error()),
            ),
        }
    }
    let job = match other {
        Ok(j) => Some(j),
        Err((key, e)) => {
            let pos = node.get(key).map(|n| n.pos).unwrap_or(node.pos);
            consider(
                key_at(key),
                in_job(&job_name, None, ConfigError::at(pos, e)),
            );
            None
        }
    };
    if let Some((_, e)) = fatal {
        return Err(e);
    }
    if issues.len() > before {
        return Ok(None);
    }
    // `ScrapeConfig.UnmarshalYAML`'s own checks.
    if job_name.is_empty() {
        return Err(ConfigError::at(node.pos, ConfigError::EmptyJobName));
    }
    let [target, metric] = <[RuleList; 2]>::try_from(decoded).expect("two lists decoded");
    for (stage, list) in [(Stage::Target, &target), (Stage::Metric, &metric)] {
        if let Some(e) = list.null_error(stage) {
            return Err(in_job(&job_name, Some(stage), e));
        }
    }
    let mut job = job.expect("no fatal error");
    job.relabel_configs = target.rules;
    job.metric_relabel_configs = metric.rules;
    Ok(Some(Unmarshalled { job, m, node }))
}

/// Prometheus' `ScrapeConfig.Validate` for a job: protocols, then each rule's `Validate`.
fn validate_job(u: Unmarshalled<'_>, g: &Global) -> Result<ScrapeJob, ConfigError> {
    let Unmarshalled { mut job, m, node } = u;
    let name = job.job_name.clone();
    job.protocols = protocol_settings(m, g).map_err(|e| in_job(&name, None, e))?;
    for stage in [Stage::Target, Stage::Metric] {
        let empty = Node::from_value(&Value::Null);
        let list = node.get(stage.key()).unwrap_or(&empty);
        validate_all(job.rules(stage), list, job.name_validation_scheme)
            .map_err(|e| in_job(&name, Some(stage), e))?;
    }
    Ok(job)
}

/// A job's keys other than the rule lists; an error names its key.
fn job_keys(
    m: &Mapping,
    node: &Node,
    g: &Global,
    job_name: &str,
    issues: &mut Vec<TypeIssue>,
) -> Result<ScrapeJob, (&'static str, ConfigError)> {
    let scheme = scheme_of(m)
        .map_err(|e| ("metric_name_validation_scheme", e))?
        .or(g.scheme)
        .unwrap_or_default();
    let mut l = ScrapeLimits {
        body_size_limit: body_size_limit(m)?,
        ..ScrapeLimits::default()
    };
    // Go `uint` and `bool` fields, as yaml.v2 fills them: a value of the wrong kind is a type error, collected.
    let mut uint = |k: &str, v: &mut u64| {
        if let Some(n) = node.get(k) {
            match go_uint(n, "uint") {
                Ok(u) => *v = u,
                Err(msg) => issues.push(TypeIssue {
                    pos: n.pos,
                    msg,
                    index: None,
                    context: None,
                }),
            }
        }
    };
    uint("sample_limit", &mut l.sample_limit);
    uint("label_limit", &mut l.label_limit);
    uint("label_name_length_limit", &mut l.label_name_length_limit);
    uint("label_value_length_limit", &mut l.label_value_length_limit);
    uint("target_limit", &mut l.target_limit);
    let mut flag = |k: &str, default: bool| match node.get(k) {
        None => default,
        Some(n) => go_bool(n).unwrap_or_else(|msg| {
            issues.push(TypeIssue {
                pos: n.pos,
                msg,
                index: None,
                context: None,
            });
            default
        }),
    };
    let honor_labels = flag("honor_labels", false);
    let honor_timestamps = flag("honor_timestamps", true);
    let fallback = |v: &mut u64, gv: u64| {
        if *v == 0 {
            *v = gv;
        }
    };
    fallback(&mut l.sample_limit, g.limits.sample_limit);
    fallback(&mut l.label_limit, g.limits.label_limit);
    fallback(
        &mut l.label_name_length_limit,
        g.limits.label_name_length_limit,
    );
    fallback(
        &mut l.label_value_length_limit,
        g.limits.label_value_length_limit,
    );
    fallback(&mut l.target_limit, g.limits.target_limit);
    fallback(&mut l.body_size_limit, g.limits.body_size_limit);
    let params = match get(m, "params") {
        None => BTreeMap::new(),
        Some(v) => decode(v).map_err(|e| ("params", e))?,
    };
    let kubernetes_sd_configs: Vec<KubernetesSdConfig> = match get(m, "kubernetes_sd_configs") {
        None => Vec::new(),
        Some(v) => decode(v).map_err(|e| ("kubernetes_sd_configs", e))?,
    };
    for k in &kubernetes_sd_configs {
        k.validate().map_err(|e| ("kubernetes_sd_configs", e))?;
    }
    let s = |k: &'static str| job_str(m, node, k).map_err(|e| (k, e));
    Ok(ScrapeJob {
        job_name: job_name.to_string(),
        metrics_path: s("metrics_path")?.unwrap_or_else(|| "/metrics".to_string()),
        scheme: s("scheme")?.unwrap_or_else(|| "http".to_string()),
        honor_labels,
        honor_timestamps,
        params,
        scrape_interval: s("scrape_interval")?.or_else(|| g.interval.clone()),
        scrape_timeout: s("scrape_timeout")?.or_else(|| g.timeout.clone()),
        limits: l,
        name_validation_scheme: scheme,
        relabel_configs: Vec::new(),
        metric_relabel_configs: Vec::new(),
        kubernetes_sd_configs,
        metric_name_escaping_scheme: s("metric_name_escaping_scheme")?.unwrap_or_default(),
        http_client: http_client(m).map_err(|e| ("authorization", e))?,
        protocols: ProtocolSettings::default(),
    })
}

/// Loads the jobs of a list as Prometheus does: every job unmarshalled first (all type errors of the list
/// reported together, unless a fatal error comes first), then each job validated, then duplicate names.
fn jobs(list: &Value, tree: &Node, g: &Global, text: &str) -> Result<Vec<ScrapeJob>, ConfigError> {
    let inner;
    let (list, tree) = match list {
        // Helm values often carry the list as a YAML string: a literal block (`|`) keeps the file's lines, moved
        // by the block's first line and indentation; in other forms positions are unknown.
        Value::String(s) => {
            let by = match &tree.kind {
                Kind::Scalar(sc) if sc.literal && tree.pos.known() => block_offset(text, tree.pos),
                _ => None,
            };
            inner = parse_document(s)
                .map(|mut d| {
                    d.tree.shift_positions(by);
                    d
                })
                .map_err(ConfigError::Decode)?;
            (&inner.value, &inner.tree)
        }
        v => (v, tree),
    };
    let Value::Sequence(items) = list else {
        return Err(ConfigError::at(
            tree.pos,
            ConfigError::Decode("scrape configs must be a list".to_string()),
        ));
    };
    let fallback: Vec<Node>;
    let nodes: Vec<&Node> = match &tree.kind {
        Kind::Seq(n) if n.len() == items.len() => n.iter().collect(),
        _ => {
            fallback = items.iter().map(Node::from_value).collect();
            fallback.iter().collect()
        }
    };
    let mut issues = Vec::new();
    let mut unmarshalled = Vec::with_capacity(items.len());
    for (it, node) in items.iter().zip(&nodes) {
        unmarshalled.push(if it.is_null() {
            Err(node.pos)
        } else {
            Ok(unmarshal_job(it, node, g, &mut issues)?)
        });
    }
    if !issues.is_empty() {
        return Err(type_error(&mut issues));
    }
    let mut out: Vec<ScrapeJob> = Vec::with_capacity(items.len());
    for u in unmarshalled {
        let u = match u {
            Err(pos) => {
                return Err(ConfigError::at(
                    pos,
                    ConfigError::Decode("empty or null scrape config section".to_string()),
                ));
            }
            Ok(u) => u.expect("no type errors"),
        };
        let pos = u.node.pos;
        let j = validate_job(u, g)?;
        if out.iter().any(|o| o.job_name == j.job_name) {
            return Err(ConfigError::at(pos, ConfigError::DuplicateJob(j.job_name)));
        }
        out.push(j);
    }
    Ok(out)
}

/// How far the lines and columns of a literal block scalar's content are from the file's: the parser places
/// the scalar at its first line with content (after the indentation), and the content's first line follows
/// the indicator's line (the last line with text before it).
fn block_offset(text: &str, scalar: Pos) -> Option<(usize, usize)> {
    let indicator = text
        .lines()
        .take(scalar.line.checked_sub(1)?)
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .last()?
        .0
        + 1;
    Some((indicator, scalar.column.checked_sub(1)?))
}

/// The `additionalScrapeConfigs` value and its path of keys (innermost first).
fn find_additional(v: &Value, depth: usize) -> Option<(&Value, Vec<&str>)> {
    if depth > 8 {
        return None;
    }
    match v {
        Value::Mapping(m) => {
            if let Some(a) = m.get("additionalScrapeConfigs") {
                return Some((a, vec!["additionalScrapeConfigs"]));
            }
            m.iter().find_map(|(k, x)| {
                let (a, mut path) = find_additional(x, depth + 1)?;
                path.push(k.as_str()?);
                Some((a, path))
            })
        }
        _ => None,
    }
}

impl ConfigDocument {
    /// Parses any of the three forms. Rules inside jobs are validated with the job's scheme; a bare list is
    /// validated later, when compiled with the caller's scheme.
    pub fn from_yaml(text: &str) -> Result<ConfigDocument, ConfigError> {
        let doc = parse_document(text).map_err(ConfigError::Decode)?;
        let (v, tree) = (&doc.value, &doc.tree);
        match v {
            Value::Sequence(_) => Ok(ConfigDocument::Rules(rules_from_node(tree, Stage::Target)?)),
            Value::Mapping(m) => {
                let mut g = Global::default();
                if let Some(Value::Mapping(gm)) = get(m, "global") {
                    g.limits = limits(gm).map_err(|(_, e)| e)?;
                    g.interval = get_str(gm, "scrape_interval")?;
                    g.timeout = get_str(gm, "scrape_timeout")?;
                    g.scheme = scheme_of(gm)?;
                    g.protocols = protocol_list(gm, "scrape_protocols")?;
                }
                let empty = Node::from_value(&Value::Null);
                if let Some(sc) = m.get("scrape_configs") {
                    let n = tree.get("scrape_configs").unwrap_or(&empty);
                    return Ok(ConfigDocument::Jobs(jobs(sc, n, &g, text)?));
                }
                if let Some((a, path)) = find_additional(v, 0) {
                    let n = path
                        .iter()
                        .rev()
                        .try_fold(tree, |n, k| n.get(k))
                        .unwrap_or(&empty);
                    return Ok(ConfigDocument::Jobs(jobs(a, n, &g, text)?));
                }
                if m.contains_key("relabel_configs") || m.contains_key("metric_relabel_configs") {
                    // A single job written on its own.
                    let mut one = m.clone();
                    let mut node = tree.clone();
                    if get(&one, "job_name").is_none() {
                        one.insert(Value::from("job_name"), Value::from("job"));
                        if let Kind::Map(pairs) = &mut node.kind {
                            pairs.retain(|(k, _)| !matches!(&k.kind, Kind::Scalar(s) if s.text == "job_name"));
                        }
                    }
                    let list = Value::Sequence(vec![Value::Mapping(one)]);
                    let list_node = Node {
                        pos: tree.pos,
                        kind: Kind::Seq(vec![node]),
                    };
                    return Ok(ConfigDocument::Jobs(jobs(&list, &list_node, &g, text)?));
                }
                Err(ConfigError::NoRules)
            }
            Value::Null => Ok(ConfigDocument::Rules(Vec::new())),
            _ => Err(ConfigError::NoRules),
        }
    }

    /// Picks rules: a bare list as is; otherwise the named job (required when there are several) and the stage
    /// (`Target` by default).
    pub fn select(
        &self,
        job: Option<&str>,
        stage: Option<Stage>,
    ) -> Result<Selection<'_>, ConfigError> {
        match self {
            ConfigDocument::Rules(r) => Ok(Selection {
                job: None,
                stage: stage.unwrap_or_default(),
                rules: r,
                scheme: NameValidationScheme::default(),
            }),
            ConfigDocument::Jobs(jobs) => {
                let names = || jobs.iter().map(|j| j.job_name.clone()).collect::<Vec<_>>();
                let j = match job {
                    Some(name) => jobs.iter().find(|j| j.job_name == name).ok_or_else(|| {
                        ConfigError::JobNotFound {
                            name: name.to_string(),
                            available: names(),
                        }
                    })?,
                    None => match jobs.as_slice() {
                        [one] => one,
                        [] => return Err(ConfigError::NoRules),
                        _ => return Err(ConfigError::AmbiguousJob(names())),
                    },
                };
                let stage = stage.unwrap_or_default();
                Ok(Selection {
                    job: Some(j),
                    stage,
                    rules: j.rules(stage),
                    scheme: j.name_validation_scheme,
                })
            }
        }
    }

    /// The jobs (empty for a bare list).
    pub fn jobs(&self) -> &[ScrapeJob] {
        match self {
            ConfigDocument::Jobs(j) => j,
            ConfigDocument::Rules(_) => &[],
        }
    }
}

/// Where rule `index` of the `stage` list of `job` is in a configuration's YAML text (1-based line and column),
/// or the job itself without an index; a bare rule list without a job. For errors that carry no position of
/// their own (rules compiled later, with another scheme).
///
/// ```
/// use promtext::config::rule_position;
/// use promtext::relabel::Stage;
/// let text = "scrape_configs:\n- job_name: a\n  relabel_configs: [{action: keep}, {action: drop}]\n";
/// assert_eq!(rule_position(text, Some("a"), Some(Stage::Target), Some(1)), Some((3, 37)));
/// assert_eq!(rule_position(text, Some("a"), None, None), Some((2, 3)));
/// assert_eq!(rule_position("- {action: keep}\n- action: drop\n", None, None, Some(1)), Some((2, 3)));
/// ```
pub fn rule_position(
    text: &str,
    job: Option<&str>,
    stage: Option<Stage>,
    index: Option<usize>,
) -> Option<(usize, usize)> {
    check_depth(text).ok()?;
    let root = Node::parse(text)?;
    let inner;
    let list = match job {
        None => &root,
        Some(job) => {
            let jobs = match root.get("scrape_configs") {
                Some(j) => j,
                None => find_additional_node(&root, 0).unwrap_or(&root),
            };
            // Operator values may carry the list as a literal block: its lines are the file's.
            let jobs = match &jobs.kind {
                Kind::Scalar(sc) if sc.literal => {
                    check_depth(&sc.text).ok()?;
                    let mut n = Node::parse(&sc.text)?;
                    n.shift_positions(Some(block_offset(text, jobs.pos)?));
                    inner = n;
                    &inner
                }
                _ => jobs,
            };
            let is_job = |n: &Node| matches!(n.get("job_name").map(|n| &n.kind), Some(Kind::Scalar(s)) if s.text == job);
            let node = match &jobs.kind {
                Kind::Seq(items) => items.iter().find(|n| is_job(n))?,
                // A single job written on its own.
                Kind::Map(_) => jobs,
                Kind::Scalar(_) => return None,
            };
            match (stage, index) {
                (Some(stage), Some(_)) => node.get(stage.key())?,
                _ => return Some((node.pos.line, node.pos.column)),
            }
        }
    };
    let pos = list.item(index?)?.pos;
    Some((pos.line, pos.column))
}

fn find_additional_node(n: &Node, depth: usize) -> Option<&Node> {
    if depth > 8 {
        return None;
    }
    match &n.kind {
        Kind::Map(pairs) => pairs.iter().find_map(|(k, v)| match &k.kind {
            Kind::Scalar(s) if s.text == "additionalScrapeConfigs" => Some(v),
            _ => find_additional_node(v, depth + 1),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_located_in_block_and_flow_style() {
        let text = "global:\n  scrape_interval: 30s\nscrape_configs:\n- job_name: a\n  relabel_configs:\n  - action: keep\n    regex: x\n- job_name: 'envoy'\n  relabel_configs:\n  - source_labels: [a]\n    action: keep\n\n  # comment\n  - action: drop\n    regex: y\n  metric_relabel_configs:\n    - {action: keep, regex: a}\n    - {action: bogus}\n";
        let at = |job, stage, index| rule_position(text, job, stage, index);
        let t = Some(Stage::Target);
        assert_eq!(at(Some("envoy"), t, Some(0)), Some((10, 5)));
        assert_eq!(at(Some("envoy"), t, Some(1)), Some((14, 5)));
        assert_eq!(
            at(Some("envoy"), Some(Stage::Metric), Some(1)),
            Some((18, 7))
        );
        assert_eq!(at(Some("envoy"), None, None), Some((8, 3)));
        assert_eq!(at(Some("a"), t, Some(0)), Some((6, 5)));
        assert_eq!(at(Some("nope"), None, None), None);
        let bare = "# rules\n- action: keep\n  regex: a\n- action: bogus\n";
        assert_eq!(rule_position(bare, None, None, Some(1)), Some((4, 3)));
        // Operator values: the list nested under additionalScrapeConfigs.
        let values = "prometheus:\n  prometheusSpec:\n    additionalScrapeConfigs:\n      - job_name: envoy-stats\n        relabel_configs:\n          - action: keep\n            regex: a\n          - action: bogus\n";
        assert_eq!(
            rule_position(values, Some("envoy-stats"), t, Some(1)),
            Some((8, 13))
        );
        // Flow style over several lines.
        let flow = "scrape_configs: [{job_name: a, relabel_configs: [\n    {action: keep, regex: a},\n    {action: drop,\n     regex: b}]}]\n";
        assert_eq!(rule_position(flow, Some("a"), t, Some(1)), Some((3, 5)));
    }
}
