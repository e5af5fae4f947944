//! A straightforward reference implementation: a label builder with Prometheus' `labels.Builder` semantics (the
//! sorted input, plus the labels set and deleted so far in order), the plain regex for every match, no fast
//! paths, no cache. It mirrors Prometheus' `relabel.Process` line by line; it is the baseline of the benches and
//! the reference of the differential tests (and of [`super::Relabeler`] when a `labelmap` maps two labels to
//! one name, where the order of visits decides).

use std::collections::BTreeMap;

use md5::{Digest, Md5};

use super::case;
use super::goregex::{self, GoRegex};
use super::rule::{Action, ConfigError, NameValidationScheme, RelabelConfig};
use super::template::Template;

/// Prometheus' `labels.Builder`: the base set, then `add` in the order the names were first set (since their
/// last deletion) and the deleted names. `Range` visits the untouched base labels in name order, then `add`.
struct Builder {
    base: BTreeMap<String, String>,
    add: Vec<(String, String)>,
    del: Vec<String>,
}

impl Builder {
    fn get(&self, n: &str) -> &str {
        if let Some((_, v)) = self.add.iter().find(|(k, _)| k == n) {
            return v;
        }
        if self.del.iter().any(|d| d == n) {
            return "";
        }
        self.base.get(n).map_or("", String::as_str)
    }

    fn del(&mut self, n: &str) {
        self.add.retain(|(k, _)| k != n);
        self.del.push(n.to_string());
    }

    fn set(&mut self, n: String, v: String) {
        if v.is_empty() {
            return self.del(&n);
        }
        match self.add.iter_mut().find(|(k, _)| *k == n) {
            Some(e) => e.1 = v,
            None => self.add.push((n, v)),
        }
    }

    /// The labels `Range` visits, in its order (a snapshot: the callback's writes do not change it).
    fn range(&self) -> Vec<(String, String)> {
        let untouched = self.base.iter().filter(|(k, _)| {
            !self.del.iter().any(|d| d == *k) && !self.add.iter().any(|(a, _)| a == *k)
        });
        untouched
            .map(|(k, v)| (k.clone(), v.clone()))
            .chain(self.add.iter().cloned())
            .collect()
    }

    fn labels(self) -> Vec<(String, String)> {
        let mut out: BTreeMap<String, String> = self.base;
        for d in &self.del {
            out.remove(d);
        }
        out.extend(self.add);
        out.into_iter().collect()
    }
}

#[derive(Debug)]
struct NaiveRule {
    cfg: RelabelConfig,
    re: GoRegex,
    scheme: NameValidationScheme,
}

/// The naive pipeline.
#[derive(Debug)]
pub struct NaivePipeline {
    rules: Vec<NaiveRule>,
}

fn expand(re: &GoRegex, template: &str, src: &str, locs: &regex::CaptureLocations) -> String {
    // Parsed on every call: the naive engine keeps nothing precomputed but the regex.
    let t = Template::parse(template, &re.names);
    let mut out = String::new();
    t.expand(src, |i| locs.get(i), &mut out);
    out
}

impl NaivePipeline {
    /// Validates and compiles the rules.
    pub fn new(rules: &[RelabelConfig], scheme: NameValidationScheme) -> Result<Self, ConfigError> {
        let mut out = Vec::new();
        for c in rules {
            c.validate(scheme)?;
            let re = goregex::compile_anchored(c.regex.as_str()).map_err(ConfigError::Regex)?;
            out.push(NaiveRule {
                cfg: c.clone(),
                re,
                scheme: c.name_validation_scheme.unwrap_or(scheme),
            });
        }
        Ok(NaivePipeline { rules: out })
    }

    /// The rules of a compiled pipeline, each with the scheme it was compiled with.
    // For the scrape layer (feature `yaml`).
    #[cfg_attr(not(feature = "yaml"), allow(dead_code))]
    pub(crate) fn from_pipeline(p: &super::Pipeline) -> Result<Self, ConfigError> {
        let prog = &p.program;
        let configs: Vec<RelabelConfig> = prog
            .configs
            .iter()
            .zip(&prog.rules)
            .map(|(c, r)| RelabelConfig {
                name_validation_scheme: Some(r.scheme),
                ..c.clone()
            })
            .collect();
        NaivePipeline::new(&configs, NameValidationScheme::Utf8)
    }

    /// Applies the rules; `None` when dropped, else the sorted result.
    pub fn apply<N: AsRef<str>, V: AsRef<str>>(
        &self,
        labels: &[(N, V)],
    ) -> Option<Vec<(String, String)>> {
        self.run(labels).map(Builder::labels)
    }

    /// Whether a rule sets or deletes `name` (so that `labels.Builder::Labels` drops every base label of that
    /// name); `None` when the series is dropped.
    // For the scrape layer (feature `yaml`).
    #[cfg_attr(not(feature = "yaml"), allow(dead_code))]
    pub(crate) fn writes<N: AsRef<str>, V: AsRef<str>>(
        &self,
        labels: &[(N, V)],
        name: &str,
    ) -> Option<bool> {
        let lb = self.run(labels)?;
        Some(lb.add.iter().any(|(k, _)| k == name) || lb.del.iter().any(|d| d == name))
    }

    /// The labels after the first `n` rules (`None` when one of them drops the series).
    pub(crate) fn apply_prefix<N: AsRef<str>, V: AsRef<str>>(
        &self,
        labels: &[(N, V)],
        n: usize,
    ) -> Option<Vec<(String, String)>> {
        self.run_rules(labels, &self.rules[..n.min(self.rules.len())])
            .map(Builder::labels)
    }

    fn run<N: AsRef<str>, V: AsRef<str>>(&self, labels: &[(N, V)]) -> Option<Builder> {
        self.run_rules(labels, &self.rules)
    }

    fn run_rules<N: AsRef<str>, V: AsRef<str>>(
        &self,
        labels: &[(N, V)],
        rules: &[NaiveRule],
    ) -> Option<Builder> {
        let mut base: BTreeMap<String, String> = BTreeMap::new();
        for (n, v) in labels {
            let (n, v) = (n.as_ref(), v.as_ref());
            if v.is_empty() {
                base.remove(n);
            } else {
                base.insert(n.to_string(), v.to_string());
            }
        }
        let mut lb = Builder {
            base,
            add: Vec::new(),
            del: Vec::new(),
        };
        for r in rules {
            let c = &r.cfg;
            let vals: Vec<String> = c.sources().iter().map(|s| lb.get(s).to_string()).collect();
            let joined = vals.join(&c.separator);
            let set = |lb: &mut Builder, k: String, v: String| lb.set(k, v);
            match c.action? {
                Action::Drop => {
                    if r.re.regex.is_match(&joined) {
                        return None;
                    }
                }
                Action::Keep => {
                    if !r.re.regex.is_match(&joined) {
                        return None;
                    }
                }
                Action::DropEqual => {
                    if lb.get(&c.target_label) == joined {
                        return None;
                    }
                }
                Action::KeepEqual => {
                    if lb.get(&c.target_label) != joined {
                        return None;
                    }
                }
                Action::Replace => {
                    if c.regex.is_default()
                        && joined.is_empty()
                        && !c.target_label.contains('$')
                        && !c.replacement.contains('$')
                    {
                        set(&mut lb, c.target_label.clone(), c.replacement.clone());
                        continue;
                    }
                    let mut locs = r.re.regex.capture_locations();
                    if r.re.regex.captures_read(&mut locs, &joined).is_none() {
                        continue;
                    }
                    let target = expand(&r.re, &c.target_label, &joined, &locs);
                    if !r.scheme.is_valid_label_name(&target) {
                        continue;
                    }
                    let res = expand(&r.re, &c.replacement, &joined, &locs);
                    set(&mut lb, target, res);
                }
                Action::Lowercase => {
                    let mut s = String::new();
                    case::push_lower(&joined, &mut s);
                    set(&mut lb, c.target_label.clone(), s);
                }
                Action::Uppercase => {
                    let mut s = String::new();
                    case::push_upper(&joined, &mut s);
                    set(&mut lb, c.target_label.clone(), s);
                }
                Action::HashMod => {
                    let h = Md5::digest(joined.as_bytes());
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&h[8..16]);
                    let m = u64::from_be_bytes(b) % c.modulus;
                    set(&mut lb, c.target_label.clone(), m.to_string());
                }
                Action::LabelMap => {
                    let snapshot = lb.range();
                    let t = Template::parse(&c.replacement, &r.re.names);
                    for (k, v) in snapshot {
                        if r.re.regex.is_match(&k) {
                            let mut locs = r.re.regex.capture_locations();
                            let mut name = String::new();
                            super::template::replace_all(&r.re.regex, &t, &k, &mut locs, &mut name);
                            set(&mut lb, name, v);
                        }
                    }
                }
                Action::LabelDrop | Action::LabelKeep => {
                    let drop = c.action == Some(Action::LabelDrop);
                    for (k, _) in lb.range() {
                        if r.re.regex.is_match(&k) == drop {
                            lb.del(&k);
                        }
                    }
                }
            }
        }
        Some(lb)
    }
}
