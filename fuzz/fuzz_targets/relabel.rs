//! Relabel fuzz target: arbitrary rule lists (through YAML text and through the types) and label sets.
//! Checks: no panic; the fast paths, the plain regex path and the naive engine agree; output names are sorted and
//! unique; explain, `apply_labels`, the label-set cache and a reused relabeler agree with apply.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use promtext::relabel::naive::NaivePipeline;
use promtext::relabel::{
    Action, Cached, CompileOptions, LabelSetCache, Labels, NameValidationScheme, Outcome, Pipeline,
    RelabelConfig,
};

const NAMES: &[&str] = &["a", "b", "__name__", "__meta_x", "t", "é", "1a", ""];

#[derive(Debug, Arbitrary)]
struct FuzzRule {
    action: u8,
    sources: Vec<u8>,
    separator: Option<String>,
    regex: Option<String>,
    target: String,
    replacement: Option<String>,
    modulus: u8,
}

#[derive(Debug, Arbitrary)]
struct Input {
    yaml: Option<String>,
    rules: Vec<FuzzRule>,
    labels: Vec<(u8, String)>,
    extra_labels: Vec<(String, String)>,
    legacy: bool,
}

fn render(o: Outcome, input: &[(String, String)]) -> Option<Labels> {
    match o {
        Outcome::Dropped => None,
        Outcome::Unchanged => Some(Labels::from_pairs(input.iter().map(|(a, b)| (a, b)))),
        Outcome::Changed(l) => Some(l),
    }
}

fn check(rules: &[RelabelConfig], scheme: NameValidationScheme, input: &[(String, String)]) {
    let Ok(fast) = Pipeline::new(rules, scheme) else {
        return;
    };
    let plain = Pipeline::with_options(rules, scheme, CompileOptions { fast_paths: false })
        .expect("plain compiles when fast does");
    let naive = NaivePipeline::new(rules, scheme).expect("naive compiles when fast does");
    let a = render(fast.relabeler().apply(input), input);
    let b = render(plain.relabeler().apply(input), input);
    let c = naive.apply(input).map(Labels::from_pairs);
    assert_eq!(a, b, "fast vs plain: {rules:?}");
    assert_eq!(a, c, "fast vs naive: {rules:?}");
    // The pre-sorted entry point agrees, and a reused relabeler (warm scratch) gives the same answer twice.
    let sorted = Labels::from_pairs(input.iter().map(|(n, v)| (n, v)));
    let mut r = fast.relabeler();
    for _ in 0..2 {
        let d = match r.apply_labels(&sorted) {
            Outcome::Dropped => None,
            Outcome::Unchanged => Some(sorted.clone()),
            Outcome::Changed(l) => Some(l),
        };
        assert_eq!(a, d, "apply_labels: {rules:?}");
        assert_eq!(
            render(r.apply(input), input),
            a,
            "reused relabeler: {rules:?}"
        );
    }
    // The label-set memo answers the miss and the hit alike.
    let mut memo = LabelSetCache::new();
    for _ in 0..2 {
        memo.begin_sync();
        let m = match memo.get_or_apply(&mut r, &sorted) {
            Cached::Dropped => None,
            Cached::Unchanged => Some(sorted.clone()),
            Cached::Changed(l) => Some(l.clone()),
        };
        memo.end_sync();
        assert_eq!(a, m, "label-set cache: {rules:?}");
    }
    let e = fast.explain(input);
    assert_eq!(render(e.outcome, input), a);
    if let Some(l) = &a {
        let names: Vec<&str> = l.iter().map(|(n, _)| n).collect();
        assert!(
            names.windows(2).all(|w| w[0] < w[1]),
            "names sorted and unique"
        );
    }
}

fuzz_target!(|inp: Input| {
    let scheme = if inp.legacy {
        NameValidationScheme::Legacy
    } else {
        NameValidationScheme::Utf8
    };
    let mut labels: Vec<(String, String)> = inp
        .labels
        .iter()
        .map(|(n, v)| (NAMES[*n as usize % NAMES.len()].to_string(), v.clone()))
        .collect();
    labels.extend(inp.extra_labels.iter().take(4).cloned());
    if let Some(y) = &inp.yaml {
        if let Ok(doc) = promtext::config::ConfigDocument::from_yaml(y) {
            if let Ok(sel) = doc.select(None, None) {
                check(sel.rules, sel.scheme, &labels);
            }
        }
    }
    let rules: Vec<RelabelConfig> = inp
        .rules
        .iter()
        .take(8)
        .map(|r| {
            let mut c = RelabelConfig::new(Action::ALL[r.action as usize % Action::ALL.len()]);
            if !r.sources.is_empty() {
                c = c.source_labels(r.sources.iter().map(|s| NAMES[*s as usize % NAMES.len()]));
            }
            if let Some(s) = &r.separator {
                c = c.separator(s.clone());
            }
            if let Some(re) = &r.regex {
                c = c.regex(re.clone());
            }
            if let Some(rep) = &r.replacement {
                c = c.replacement(rep.clone());
            }
            c.target_label(r.target.clone())
                .modulus(u64::from(r.modulus))
        })
        .filter(|c| c.validate(scheme).is_ok())
        .collect();
    check(&rules, scheme, &labels);
});
