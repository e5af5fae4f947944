//! [`ConfigDocument`]: a bare rule list, a Prometheus configuration or Prometheus-Operator values, with the
//! scrape jobs read from them.

use std::collections::BTreeMap;

use yaml_serde::{Mapping, Value};

use super::job::{HttpClientConfig, ProtocolSettings, ScrapeJob, ScrapeLimits};
use super::kubernetes::KubernetesSdConfig;
use super::rules::{decode_rules, rules_from_value, validate_all};
use super::units::parse_bytes;
use super::yaml::{decode, get, get_str, get_u64, parse_value};
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

fn limits(m: &Mapping) -> Result<ScrapeLimits, ConfigError> {
    let body = match get_str(m, "body_size_limit")? {
        None => 0,
        Some(s) => parse_bytes(&s)
            .ok_or_else(|| ConfigError::Decode(format!("invalid body_size_limit {s:?}")))?,
    };
    Ok(ScrapeLimits {
        sample_limit: get_u64(m, "sample_limit")?,
        label_limit: get_u64(m, "label_limit")?,
        label_name_length_limit: get_u64(m, "label_name_length_limit")?,
        label_value_length_limit: get_u64(m, "label_value_length_limit")?,
        target_limit: get_u64(m, "target_limit")?,
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

fn job(v: &Value, g: &Global) -> Result<ScrapeJob, ConfigError> {
    let Value::Mapping(m) = v else {
        return Err(ConfigError::Decode(
            "a scrape config must be a mapping".to_string(),
        ));
    };
    let job_name = get_str(m, "job_name")?.unwrap_or_default();
    if job_name.is_empty() {
        return Err(ConfigError::EmptyJobName);
    }
    job_body(m, g, &job_name).map_err(|(stage, e)| ConfigError::InJob {
        job: job_name.clone(),
        stage,
        error: Box::new(e),
    })
}

/// A job's keys; errors say which rule list they come from, if any.
fn job_body(
    m: &Mapping,
    g: &Global,
    job_name: &str,
) -> Result<ScrapeJob, (Option<Stage>, ConfigError)> {
    let plain = |e: ConfigError| (None, e);
    let t = |e: ConfigError| (Some(Stage::Target), e);
    let mt = |e: ConfigError| (Some(Stage::Metric), e);
    let scheme = scheme_of(m)
        .map_err(plain)?
        .or(g.scheme)
        .unwrap_or_default();
    let mut l = limits(m).map_err(plain)?;
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
        Some(v) => decode(v).map_err(plain)?,
    };
    // Prometheus decodes the job's keys in document order, then rejects null rules (target list first),
    // then validates the rules.
    let key_at = |k: &str| m.keys().position(|x| x.as_str() == Some(k));
    let target_first = key_at("relabel_configs") <= key_at("metric_relabel_configs")
        || key_at("relabel_configs").is_none();
    let list = |k: &str| decode_rules(m.get(k).unwrap_or(&Value::Null));
    let (target, metric) = if target_first {
        let tr = list("relabel_configs").map_err(t)?;
        (tr, list("metric_relabel_configs").map_err(mt)?)
    } else {
        let mr = list("metric_relabel_configs").map_err(mt)?;
        (list("relabel_configs").map_err(t)?, mr)
    };
    let ((relabel_configs, target_null), (metric_relabel_configs, metric_null)) = (target, metric);
    if target_null {
        return Err(t(ConfigError::NullRule(Stage::Target)));
    }
    if metric_null {
        return Err(mt(ConfigError::NullRule(Stage::Metric)));
    }
    validate_all(&relabel_configs, scheme).map_err(t)?;
    validate_all(&metric_relabel_configs, scheme).map_err(mt)?;
    let kubernetes_sd_configs: Vec<KubernetesSdConfig> = match get(m, "kubernetes_sd_configs") {
        None => Vec::new(),
        Some(v) => decode(v).map_err(plain)?,
    };
    for k in &kubernetes_sd_configs {
        k.validate().map_err(plain)?;
    }
    Ok(ScrapeJob {
        job_name: job_name.to_string(),
        metrics_path: get_str(m, "metrics_path")
            .map_err(plain)?
            .unwrap_or_else(|| "/metrics".to_string()),
        scheme: get_str(m, "scheme")
            .map_err(plain)?
            .unwrap_or_else(|| "http".to_string()),
        honor_labels: get(m, "honor_labels")
            .map(decode::<bool>)
            .transpose()
            .map_err(plain)?
            .unwrap_or(false),
        honor_timestamps: get(m, "honor_timestamps")
            .map(decode::<bool>)
            .transpose()
            .map_err(plain)?
            .unwrap_or(true),
        params,
        scrape_interval: get_str(m, "scrape_interval")
            .map_err(plain)?
            .or_else(|| g.interval.clone()),
        scrape_timeout: get_str(m, "scrape_timeout")
            .map_err(plain)?
            .or_else(|| g.timeout.clone()),
        limits: l,
        name_validation_scheme: scheme,
        relabel_configs,
        metric_relabel_configs,
        kubernetes_sd_configs,
        metric_name_escaping_scheme: get_str(m, "metric_name_escaping_scheme")
            .map_err(plain)?
            .unwrap_or_default(),
        http_client: http_client(m).map_err(plain)?,
        protocols: protocol_settings(m, g).map_err(plain)?,
    })
}

fn jobs(list: &Value, g: &Global) -> Result<Vec<ScrapeJob>, ConfigError> {
    let list = match list {
        // Helm values often carry the list as a YAML string.
        Value::String(s) => parse_value(s).map_err(ConfigError::Decode)?,
        v => v.clone(),
    };
    let Value::Sequence(items) = list else {
        return Err(ConfigError::Decode(
            "scrape configs must be a list".to_string(),
        ));
    };
    let mut out: Vec<ScrapeJob> = Vec::with_capacity(items.len());
    for it in &items {
        if it.is_null() {
            return Err(ConfigError::Decode(
                "empty or null scrape config section".to_string(),
            ));
        }
        let j = job(it, g)?;
        if out.iter().any(|o| o.job_name == j.job_name) {
            return Err(ConfigError::DuplicateJob(j.job_name));
        }
        out.push(j);
    }
    Ok(out)
}

fn find_additional(v: &Value, depth: usize) -> Option<&Value> {
    if depth > 8 {
        return None;
    }
    match v {
        Value::Mapping(m) => {
            if let Some(a) = m.get("additionalScrapeConfigs") {
                return Some(a);
            }
            m.values().find_map(|x| find_additional(x, depth + 1))
        }
        _ => None,
    }
}

impl ConfigDocument {
    /// Parses any of the three forms. Rules inside jobs are validated with the job's scheme; a bare list is
    /// validated later, when compiled with the caller's scheme.
    pub fn from_yaml(text: &str) -> Result<ConfigDocument, ConfigError> {
        let v = parse_value(text).map_err(ConfigError::Decode)?;
        match &v {
            Value::Sequence(_) => Ok(ConfigDocument::Rules(rules_from_value(&v, Stage::Target)?)),
            Value::Mapping(m) => {
                let mut g = Global::default();
                if let Some(Value::Mapping(gm)) = get(m, "global") {
                    g.limits = limits(gm)?;
                    g.interval = get_str(gm, "scrape_interval")?;
                    g.timeout = get_str(gm, "scrape_timeout")?;
                    g.scheme = scheme_of(gm)?;
                    g.protocols = protocol_list(gm, "scrape_protocols")?;
                }
                if let Some(sc) = m.get("scrape_configs") {
                    return Ok(ConfigDocument::Jobs(jobs(sc, &g)?));
                }
                if let Some(a) = find_additional(&v, 0) {
                    return Ok(ConfigDocument::Jobs(jobs(a, &g)?));
                }
                if m.contains_key("relabel_configs") || m.contains_key("metric_relabel_configs") {
                    // A single job written on its own.
                    let mut one = m.clone();
                    if get(&one, "job_name").is_none() {
                        one.insert(Value::from("job_name"), Value::from("job"));
                    }
                    return Ok(ConfigDocument::Jobs(vec![job(&Value::Mapping(one), &g)?]));
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
