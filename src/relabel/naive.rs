//! A straightforward reference implementation: a `BTreeMap` label builder, the plain regex for every match, no
//! fast paths, no cache. It mirrors Prometheus' `relabel.Process` line by line; it is the baseline of the benches
//! and the reference of the differential tests.

use std::collections::BTreeMap;

use md5::{Digest, Md5};

use super::case;
use super::goregex::{self, GoRegex};
use super::rule::{Action, ConfigError, NameValidationScheme, RelabelConfig};
use super::template::Template;

struct NaiveRule {
    cfg: RelabelConfig,
    re: GoRegex,
    scheme: NameValidationScheme,
}

/// The naive pipeline.
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

    /// Applies the rules; `None` when dropped, else the sorted result.
    pub fn apply<N: AsRef<str>, V: AsRef<str>>(
        &self,
        labels: &[(N, V)],
    ) -> Option<Vec<(String, String)>> {
        let mut lb: BTreeMap<String, String> = BTreeMap::new();
        for (n, v) in labels {
            let (n, v) = (n.as_ref(), v.as_ref());
            if v.is_empty() {
                lb.remove(n);
            } else {
                lb.insert(n.to_string(), v.to_string());
            }
        }
        for r in &self.rules {
            let c = &r.cfg;
            let vals: Vec<String> = c
                .sources()
                .iter()
                .map(|s| lb.get(s).cloned().unwrap_or_default())
                .collect();
            let joined = vals.join(&c.separator);
            let set = |lb: &mut BTreeMap<String, String>, k: String, v: String| {
                if v.is_empty() {
                    lb.remove(&k);
                } else {
                    lb.insert(k, v);
                }
            };
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
                    if lb.get(&c.target_label).map_or("", String::as_str) == joined {
                        return None;
                    }
                }
                Action::KeepEqual => {
                    if lb.get(&c.target_label).map_or("", String::as_str) != joined {
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
                    let snapshot: Vec<(String, String)> =
                        lb.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
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
                Action::LabelDrop => lb.retain(|k, _| !r.re.regex.is_match(k)),
                Action::LabelKeep => lb.retain(|k, _| r.re.regex.is_match(k)),
            }
        }
        Some(lb.into_iter().collect())
    }
}
