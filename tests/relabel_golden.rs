//! Golden tests transcribed from Prometheus' upstream relabel tests (relabel.md appendix A).

use promtext::config::{ConfigDocument, rules_from_yaml};
use promtext::relabel::parse_labels;
use promtext::relabel::{
    Action, CompileOptions, ConfigError, NameValidationScheme, Outcome, Pipeline, RelabelConfig,
    naive,
};

const UTF8: NameValidationScheme = NameValidationScheme::Utf8;
const LEGACY: NameValidationScheme = NameValidationScheme::Legacy;

/// (input, rules as YAML, expected output or DROPPED)
const TEST_RELABEL: &[(&str, &str, &str)] = &[
    // 1
    (
        r#"{a="foo", b="bar", c="baz"}"#,
        r#"[{action: replace, source_labels: [a], regex: "f(.*)", target_label: d, replacement: "ch${1}-ch${1}"}]"#,
        r#"{a="foo", b="bar", c="baz", d="choo-choo"}"#,
    ),
    // 2
    (
        r#"{a="foo", b="bar", c="baz"}"#,
        r#"[{action: replace, source_labels: [a, b], regex: "f(.*);(.*)r", target_label: a, replacement: "b${1}${2}m"},
            {action: replace, source_labels: [c, a], regex: "(b).*b(.*)ba(.*)", target_label: d, replacement: "$1$2$2$3"}]"#,
        r#"{a="boobam", b="bar", c="baz", d="boooom"}"#,
    ),
    // 3
    (
        r#"{a="foo"}"#,
        r#"[{action: drop, source_labels: [a], regex: ".*o.*"},
            {action: replace, source_labels: [a], regex: "f(.*)", target_label: d, replacement: "ch$1-ch$1"}]"#,
        "DROPPED",
    ),
    // 4
    (
        r#"{a="foo", b="bar"}"#,
        r#"[{action: drop, source_labels: [a], regex: ".*o.*"}]"#,
        "DROPPED",
    ),
    // 5
    (
        r#"{a="abc"}"#,
        r#"[{action: replace, source_labels: [a], regex: ".*(b).*", target_label: d, replacement: "$1"}]"#,
        r#"{a="abc", d="b"}"#,
    ),
    // 6
    (
        r#"{a="foo"}"#,
        r#"[{action: drop, source_labels: [a], regex: "no-match"}]"#,
        r#"{a="foo"}"#,
    ),
    // 7
    (
        r#"{a="foo"}"#,
        r#"[{action: drop, source_labels: [a], regex: "f|o"}]"#,
        r#"{a="foo"}"#,
    ),
    // 8
    (
        r#"{a="foo"}"#,
        r#"[{action: keep, source_labels: [a], regex: "no-match"}]"#,
        "DROPPED",
    ),
    // 9
    (
        r#"{a="foo"}"#,
        r#"[{action: keep, source_labels: [a], regex: "f.*"}]"#,
        r#"{a="foo"}"#,
    ),
    // 10
    (
        r#"{a="boo"}"#,
        r#"[{action: replace, source_labels: [a], regex: "f", target_label: b, replacement: bar}]"#,
        r#"{a="boo"}"#,
    ),
    // 11
    (
        r#"{a="foo", f="baz"}"#,
        r#"[{action: replace, source_labels: [a], regex: "(f).*", target_label: "$1", replacement: "$2"}]"#,
        r#"{a="foo"}"#,
    ),
    // 12
    (
        r#"{a="foo", b="bar", c="baz"}"#,
        r#"[{action: hashmod, source_labels: [c], modulus: 1000, target_label: d}]"#,
        r#"{a="foo", b="bar", c="baz", d="976"}"#,
    ),
    // 13
    (
        r#"{a="foo\nbar"}"#,
        r#"[{action: hashmod, source_labels: [a], modulus: 1000, target_label: b}]"#,
        r#"{a="foo\nbar", b="734"}"#,
    ),
    // 14
    (
        r#"{a="foo", b1="bar", b2="baz"}"#,
        r#"[{action: labelmap, regex: "(b.*)", replacement: "bar_${1}"}]"#,
        r#"{a="foo", b1="bar", b2="baz", bar_b1="bar", bar_b2="baz"}"#,
    ),
    // 15
    (
        r#"{__meta_my_bar="aaa", __meta_my_baz="bbb", __meta_other="ccc", a="foo"}"#,
        r#"[{action: labelmap, regex: "__meta_(my.*)", replacement: "${1}"}]"#,
        r#"{__meta_my_bar="aaa", __meta_my_baz="bbb", __meta_other="ccc", a="foo", my_bar="aaa", my_baz="bbb"}"#,
    ),
    // 16
    (
        r#"{a="some-name-value"}"#,
        r#"[{action: replace, source_labels: [a], regex: "some-([^-]+)-([^,]+)", target_label: "${1}", replacement: "${2}"}]"#,
        r#"{a="some-name-value", name="value"}"#,
    ),
    // 17
    (
        r#"{a="some-name-value"}"#,
        r#"[{action: replace, source_labels: [a], regex: "some-([^-]+)-([^,]+)", target_label: "${1}", replacement: "${3}"}]"#,
        r#"{a="some-name-value"}"#,
    ),
    // 18
    (
        r#"{a="some-name-0"}"#,
        r#"[{action: replace, source_labels: [a], regex: "some-([^-]+)-([^,]+)", target_label: "${3}", replacement: "${1}"},
            {action: replace, source_labels: [a], regex: "some-([^-]+)-([^,]+)", target_label: "${3}", replacement: "${1}"},
            {action: replace, source_labels: [a], regex: "some-([^-]+)(-[^,]+)", target_label: "${3}", replacement: "${1}"}]"#,
        r#"{a="some-name-0"}"#,
    ),
    // 19
    (
        r#"{__meta_sd_tags="path:/secret,job:some-job,label:foo=bar"}"#,
        r#"[{action: replace, source_labels: [__meta_sd_tags], regex: "(?:.+,|^)path:(/[^,]+).*", target_label: __metrics_path__, replacement: "${1}"},
            {action: replace, source_labels: [__meta_sd_tags], regex: "(?:.+,|^)job:([^,]+).*", target_label: job, replacement: "${1}"},
            {action: replace, source_labels: [__meta_sd_tags], regex: "(?:.+,|^)label:([^=]+)=([^,]+).*", target_label: "${1}", replacement: "${2}"}]"#,
        r#"{__meta_sd_tags="path:/secret,job:some-job,label:foo=bar", __metrics_path__="/secret", foo="bar", job="some-job"}"#,
    ),
    // 20
    (
        r#"{__meta_kubernetes_pod_annotation_XXX_metrics_port="9091", __meta_kubernetes_pod_container_port_name="foo"}"#,
        r#"[{action: labeldrop, regex: "^__meta_kubernetes_pod_container_port_name$"},
            {action: replace, source_labels: [__meta_kubernetes_pod_annotation_XXX_metrics_port], regex: "(.+)", target_label: __meta_kubernetes_pod_container_port_name, replacement: metrics},
            {action: keep, source_labels: [__meta_kubernetes_pod_container_port_name], regex: "^metrics$"}]"#,
        r#"{__meta_kubernetes_pod_annotation_XXX_metrics_port="9091", __meta_kubernetes_pod_container_port_name="metrics"}"#,
    ),
    // 21
    (
        r#"{a="foo", b1="bar", b2="baz"}"#,
        r#"[{action: labelkeep, regex: "(b.*)"}]"#,
        r#"{b1="bar", b2="baz"}"#,
    ),
    // 22
    (
        r#"{a="foo", b1="bar", b2="baz"}"#,
        r#"[{action: labeldrop, regex: "(b.*)"}]"#,
        r#"{a="foo"}"#,
    ),
    // 23
    (
        r#"{foo="bAr123Foo"}"#,
        r#"[{action: uppercase, source_labels: [foo], target_label: foo_uppercase},
            {action: lowercase, source_labels: [foo], target_label: foo_lowercase}]"#,
        r#"{foo="bAr123Foo", foo_lowercase="bar123foo", foo_uppercase="BAR123FOO"}"#,
    ),
    // 24
    (
        r#"{__port1="1234", __port2="5678", __tmp_port="1234"}"#,
        r#"[{action: keepequal, source_labels: [__tmp_port], target_label: __port1}]"#,
        r#"{__port1="1234", __port2="5678", __tmp_port="1234"}"#,
    ),
    // 25
    (
        r#"{__port1="1234", __port2="5678", __tmp_port="1234"}"#,
        r#"[{action: dropequal, source_labels: [__tmp_port], target_label: __port1}]"#,
        "DROPPED",
    ),
    // 26
    (
        r#"{__port1="1234", __port2="5678", __tmp_port="1234"}"#,
        r#"[{action: dropequal, source_labels: [__tmp_port], target_label: __port2}]"#,
        r#"{__port1="1234", __port2="5678", __tmp_port="1234"}"#,
    ),
    // 27
    (
        r#"{__port1="1234", __port2="5678", __tmp_port="1234"}"#,
        r#"[{action: keepequal, source_labels: [__tmp_port], target_label: __port2}]"#,
        "DROPPED",
    ),
    // 28
    (
        r#"{a="line1\nline2", b="bar", c="baz"}"#,
        r#"[{action: replace, source_labels: [a], regex: "line1.*line2", target_label: d, replacement: "match${1}"}]"#,
        r#"{a="line1\nline2", b="bar", c="baz", d="match"}"#,
    ),
    // 29
    (
        r#"{b="bar", c="baz", "utf-8.label"="line1\nline2"}"#,
        r#"[{action: replace, source_labels: [utf-8.label], regex: "line1.*line2", target_label: d, replacement: "match${1}"}]"#,
        r#"{b="bar", c="baz", d="match", "utf-8.label"="line1\nline2"}"#,
    ),
    // 30
    (
        r#"{a="line1\nline2", b="bar", c="baz"}"#,
        r#"[{action: replace, source_labels: [a], regex: "line1.*line2", target_label: utf-8.label, replacement: "match${1}"}]"#,
        r#"{a="line1\nline2", b="bar", c="baz", "utf-8.label"="match"}"#,
    ),
    // 31
    (
        r#"{a="line1\nline2", b="bar", c="baz"}"#,
        r#"[{action: replace, source_labels: [a], regex: "line1.*line2", target_label: "utf-8.label${1}", replacement: "match${1}"}]"#,
        r#"{a="line1\nline2", b="bar", c="baz", "utf-8.label"="match"}"#,
    ),
    // 32
    (
        r#"{a="line1\nline2", b="bar", c="baz"}"#,
        r#"[{action: replace, source_labels: [a], regex: "(line1).*(?<second>line2)", target_label: "label1_${1}", replacement: "val_${second}"},
            {action: replace, source_labels: [a], regex: "(line1).*(?<second>line2)", target_label: "label2_$1", replacement: "val_$second"}]"#,
        r#"{a="line1\nline2", b="bar", c="baz", label1_line1="val_line2", label2_line1="val_line2"}"#,
    ),
    // 33
    (
        r#"{__name__="http_requests_total"}"#,
        r#"[{action: replace, source_labels: [__name__], regex: ".*_total$", target_label: __type__, replacement: counter}]"#,
        r#"{__name__="http_requests_total", __type__="counter"}"#,
    ),
    // 34
    (
        r#"{__name__="disk_usage_bytes"}"#,
        r#"[{action: replace, source_labels: [__name__], regex: ".*_bytes$", target_label: __unit__, replacement: bytes}]"#,
        r#"{__name__="disk_usage_bytes", __unit__="bytes"}"#,
    ),
];

fn run_all_engines(rules: &[RelabelConfig], input: &str) -> Vec<String> {
    let pairs = promtext::relabel::parse_series(input).unwrap();
    let input_set = parse_labels(input).unwrap();
    let mut results = Vec::new();
    for fast in [true, false] {
        let p = Pipeline::with_options(rules, UTF8, CompileOptions { fast_paths: fast }).unwrap();
        let mut r = p.relabeler();
        let s = match r.apply(&pairs) {
            Outcome::Dropped => "DROPPED".to_string(),
            Outcome::Unchanged => input_set.to_string(),
            Outcome::Changed(l) => l.to_string(),
        };
        results.push(s);
        // The copying and iterator entry points agree.
        let again = match r.apply_copied(pairs.iter().map(|(n, v)| (n.clone(), v.clone()))) {
            Outcome::Dropped => "DROPPED".to_string(),
            Outcome::Unchanged => input_set.to_string(),
            Outcome::Changed(l) => l.to_string(),
        };
        results.push(again);
    }
    let n = naive::NaivePipeline::new(rules, UTF8).unwrap();
    results.push(match n.apply(&pairs) {
        None => "DROPPED".to_string(),
        Some(l) => promtext::relabel::Labels::from_pairs(l).to_string(),
    });
    results
}

#[test]
fn test_relabel_upstream_cases() {
    assert_eq!(TEST_RELABEL.len(), 34);
    for (i, (input, yaml, want)) in TEST_RELABEL.iter().enumerate() {
        let rules = rules_from_yaml(yaml, UTF8).unwrap_or_else(|e| panic!("case {}: {e}", i + 1));
        let want = if *want == "DROPPED" {
            want.to_string()
        } else {
            parse_labels(want).unwrap().to_string()
        };
        for got in run_all_engines(&rules, input) {
            assert_eq!(got, want, "case {}", i + 1);
        }
    }
}

#[test]
fn test_relabel_validate() {
    let base = || RelabelConfig::default();
    // 1: no action.
    let c = RelabelConfig {
        action: None,
        name_validation_scheme: Some(UTF8),
        ..base()
    };
    assert_eq!(
        c.validate(UTF8).unwrap_err().to_string(),
        "relabel action cannot be empty"
    );
    // 2
    let c = RelabelConfig::new(Action::Replace);
    assert!(
        c.validate(UTF8)
            .unwrap_err()
            .to_string()
            .contains("requires 'target_label' value")
    );
    // 3
    let c = RelabelConfig::new(Action::Lowercase);
    assert!(
        c.validate(UTF8)
            .unwrap_err()
            .to_string()
            .contains("requires 'target_label' value")
    );
    // 4
    let c = RelabelConfig {
        name_validation_scheme: Some(UTF8),
        ..RelabelConfig::new(Action::Lowercase)
            .replacement("$1")
            .target_label("${3}")
    };
    assert_eq!(c.validate(UTF8), Ok(()));
    // 5
    let c = RelabelConfig {
        name_validation_scheme: Some(LEGACY),
        ..c
    };
    assert_eq!(
        c.validate(UTF8).unwrap_err().to_string(),
        r#""${3}" is invalid 'target_label' for lowercase action"#
    );
    // 6-8
    for t in ["${3}", "0${3}", "-${3}"] {
        let c = RelabelConfig::new(Action::Replace)
            .source_labels(["a"])
            .regex("some-([^-]+)-([^,]+)")
            .replacement("${1}")
            .target_label(t);
        assert_eq!(c.validate(UTF8), Ok(()), "{t}");
    }
    // 9-10
    let c = RelabelConfig::new(Action::LabelMap)
        .regex("__meta_kubernetes_pod_label_(strimzi_io_.+)")
        .replacement("$1");
    assert_eq!(c.validate(LEGACY), Ok(()));
    let c = RelabelConfig::new(Action::LabelMap)
        .regex("__meta_(.+)")
        .replacement("${1}");
    assert_eq!(c.validate(LEGACY), Ok(()));
    // A rule's own scheme wins over the one passed in.
    let c = RelabelConfig {
        name_validation_scheme: Some(UTF8),
        ..RelabelConfig::new(Action::Replace).target_label("0${3}")
    };
    assert_eq!(c.validate(LEGACY), Ok(()));
    assert!(
        RelabelConfig::new(Action::Replace)
            .target_label("0${3}")
            .validate(LEGACY)
            .is_err()
    );
    assert!(
        RelabelConfig::new(Action::Replace)
            .target_label("utf-8.label")
            .validate(LEGACY)
            .is_err()
    );
    assert!(
        RelabelConfig::new(Action::Replace)
            .target_label("utf-8.label")
            .validate(UTF8)
            .is_ok()
    );
}

#[test]
fn test_target_label_legacy_validity() {
    let cases = [
        ("-label", false),
        ("label", true),
        ("label${1}", true),
        ("${1}label", true),
        ("${1}", true),
        ("${", false),
        ("$", false),
        ("${}", false),
        ("foo${", false),
        ("$1", true),
        ("asd$2asd", true),
        ("-foo${1}bar-", false),
        ("bar.foo${1}bar", false),
        ("_${1}_", true),
        ("foo${bar}foo", true),
    ];
    for (s, want) in cases {
        assert_eq!(promtext::relabel::is_legacy_target_template(s), want, "{s}");
        // The same answer through validation of a templated replace target under legacy.
        let c = RelabelConfig::new(Action::Replace).target_label(s);
        if s.contains('$') {
            assert_eq!(c.validate(LEGACY).is_ok(), want, "{s}");
        }
    }
}

#[test]
fn hashmod_vectors() {
    let cases: [(&str, u64, &str); 7] = [
        ("baz", 1000, "976"),
        ("foo\nbar", 1000, "734"),
        ("", 1000, "958"),
        ("10.132.183.40:80", 3, "1"),
        ("foobar-random-string-here", 23, "21"),
        ("a;b", 7, "2"),
        ("localhost:9090", 2, "0"),
    ];
    for (v, m, want) in cases {
        let rules = [RelabelConfig::new(Action::HashMod)
            .source_labels(["x"])
            .modulus(m)
            .target_label("h")];
        let p = Pipeline::new(&rules, UTF8).unwrap();
        let got = match p.relabeler().apply(&[("x", v)]) {
            Outcome::Changed(l) => l.get("h").unwrap().to_string(),
            o => panic!("{o:?}"),
        };
        assert_eq!(got, want, "{v:?} % {m}");
    }
    // "a;b" as a join of two labels.
    let rules = [RelabelConfig::new(Action::HashMod)
        .source_labels(["a", "b"])
        .modulus(7)
        .target_label("h")];
    let p = Pipeline::new(&rules, UTF8).unwrap();
    let Outcome::Changed(l) = p.relabeler().apply(&[("a", "a"), ("b", "b")]) else {
        panic!()
    };
    assert_eq!(l.get("h"), Some("2"));
}

fn load_err(yaml: &str) -> String {
    let doc = format!("scrape_configs:\n- job_name: j\n  relabel_configs:\n{yaml}");
    match ConfigDocument::from_yaml(&doc) {
        Ok(_) => panic!("should fail: {yaml}"),
        // Prometheus' own wording; the wrappers add the job, list and rule index.
        Err(e) => e.root().to_string(),
    }
}

fn load_metric_err(yaml: &str) -> String {
    let doc = format!("scrape_configs:\n- job_name: j\n  metric_relabel_configs:\n{yaml}");
    ConfigDocument::from_yaml(&doc)
        .unwrap_err()
        .root()
        .to_string()
}

#[test]
fn config_errors_name_job_list_and_rule() {
    let doc = "scrape_configs:\n- job_name: envoy\n  relabel_configs:\n  - action: keep\n    regex: a\n  - action: bogus\n";
    let e = ConfigDocument::from_yaml(doc).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"job "envoy": relabel_configs[1]: unknown relabel action "bogus""#
    );
    assert_eq!(e.rule_index(), Some(1));
    assert_eq!(e.job(), Some("envoy"));
    assert_eq!(e.stage(), Some(promtext::relabel::Stage::Target));
    let doc = "scrape_configs:\n- job_name: envoy\n  metric_relabel_configs:\n  - regex: abcdef\n    action: hashmod\n";
    assert_eq!(
        ConfigDocument::from_yaml(doc).unwrap_err().to_string(),
        r#"job "envoy": metric_relabel_configs[0]: relabel configuration for hashmod requires non-zero modulus"#
    );
    let doc = "scrape_configs:\n- job_name: envoy\n  sample_limit: lots\n";
    assert!(
        ConfigDocument::from_yaml(doc)
            .unwrap_err()
            .to_string()
            .starts_with(r#"job "envoy": "#)
    );
    // A bare list: the index alone.
    let e = promtext::config::rules_from_yaml(
        "- action: keep\n  regex: a\n- action: bogus\n",
        Default::default(),
    )
    .unwrap_err();
    assert_eq!(e.to_string(), r#"rule 1: unknown relabel action "bogus""#);
}

#[test]
fn config_testdata_errors() {
    assert!(
        load_err("  - regex: abc(def\n")
            .starts_with("error parsing regexp: missing closing ): `^(?s:abc(def)$`")
    );
    assert_eq!(
        load_err("  - regex: abcdef\n    action: hashmod\n"),
        "relabel configuration for hashmod requires non-zero modulus"
    );
    for a in ["labelkeep", "labeldrop"] {
        let want = format!("{a} action requires only 'regex', and no other fields");
        for extra in [
            "source_labels: [abcdef]",
            "modulus: 8",
            "separator: ','",
            "replacement: yolo",
            "target_label: yolo",
        ] {
            assert_eq!(
                load_err(&format!(
                    "  - regex: abcdef\n    action: {a}\n    {extra}\n"
                )),
                want,
                "{a} {extra}"
            );
        }
        // Explicit defaults are fine.
        let ok = format!(
            "scrape_configs:\n- job_name: j\n  relabel_configs:\n  - {{action: {a}, regex: x, separator: ';', replacement: '$1'}}\n"
        );
        assert!(ConfigDocument::from_yaml(&ok).is_ok());
    }
    for a in ["dropequal", "keepequal"] {
        assert_eq!(
            load_err(&format!("  - source_labels: [abcdef]\n    action: {a}\n")),
            format!("relabel configuration for {a} action requires 'target_label' value")
        );
        assert_eq!(
            load_err(&format!(
                "  - source_labels: [abcdef]\n    action: {a}\n    regex: foo\n    target_label: bar\n"
            )),
            format!(
                "{a} action requires only 'source_labels' and `target_label`, and no other fields"
            )
        );
        // Even an explicit default regex is rejected (pointer comparison upstream).
        assert_eq!(
            load_err(&format!(
                "  - {{source_labels: [x], action: {a}, regex: '(.*)', target_label: bar}}\n"
            )),
            format!(
                "{a} action requires only 'source_labels' and `target_label`, and no other fields"
            )
        );
    }
    for a in ["lowercase", "uppercase"] {
        assert_eq!(
            load_err(&format!("  - source_labels: [x]\n    action: {a}\n")),
            format!("relabel configuration for {a} action requires 'target_label' value")
        );
        assert_eq!(
            load_err(&format!(
                "  - source_labels: [x]\n    action: {a}\n    target_label: y\n    replacement: bar\n"
            )),
            format!("'replacement' can not be set for {a} action")
        );
    }
    assert_eq!(
        load_err("  - regex: abcdef\n"),
        "relabel configuration for replace action requires 'target_label' value"
    );
    assert_eq!(
        load_err("  - source_labels: [x]\n    action: hashmod\n    modulus: 8\n"),
        "relabel configuration for hashmod action requires 'target_label' value"
    );
    assert_eq!(
        load_err("  - \n"),
        "empty or null target relabeling rule in scrape config"
    );
    assert_eq!(
        load_metric_err("  - \n"),
        "empty or null metric relabeling rule in scrape config"
    );
    assert_eq!(
        load_err("  - action: null\n"),
        "relabel action cannot be empty"
    );
    assert_eq!(load_err("  - action: ''\n"), r#"unknown relabel action """#);
    assert_eq!(
        load_err("  - action: nope\n"),
        r#"unknown relabel action "nope""#
    );
    assert_eq!(
        load_err("  - target_label: x\n    foo: bar\n"),
        // yaml.v2's strict decoding frames it as a type error with its line.
        "yaml: unmarshal errors:\n  line 5: field foo not found in type relabel.plain"
    );
    // labelmap.bad.yml (`!!binary` base64 error) is not reproduced: yaml_serde resolves the tag to a plain string.
    assert!(!load_err("  - action: hashmod\n    modulus: -1\n    target_label: x\n").is_empty());
}

#[test]
fn defaults_and_explicit_empty_values() {
    let rules = rules_from_yaml(
        "- {target_label: a, replacement: ''}\n- {target_label: b, separator: '', source_labels: [x, y]}\n- {target_label: c, regex: null, replacement: z}\n- {action: LabelDrop, regex: q}\n- {action: HashMod, modulus: 2, source_labels: [x], target_label: h}\n",
        UTF8,
    )
    .unwrap();
    assert_eq!(rules[0].replacement, "");
    assert_eq!(rules[1].separator, "");
    assert_eq!(
        rules[2].regex,
        promtext::relabel::RegexSpec::Pattern(String::new())
    );
    assert_eq!(rules[3].action, Some(Action::LabelDrop));
    assert_eq!(rules[4].action, Some(Action::HashMod));
    assert_eq!(rules[0].separator, ";");
    assert!(rules[0].regex.is_default());
    let p = Pipeline::new(&rules, UTF8).unwrap();
    let Outcome::Changed(l) =
        p.relabeler()
            .apply(&[("a", "1"), ("x", "p"), ("y", "q"), ("q", "gone")])
    else {
        panic!()
    };
    // a deleted by the empty replacement, b = "pq" (empty separator), c set by the empty regex on "".
    assert_eq!(l.get("a"), None);
    assert_eq!(l.get("b"), Some("pq"));
    assert_eq!(l.get("c"), Some("z"));
    assert_eq!(l.get("q"), None);
    // YAML round trip keeps explicit empty values.
    let text = yaml_serde::to_string(&rules).unwrap();
    let again = rules_from_yaml(&text, UTF8).unwrap();
    assert_eq!(again, rules);
}

#[test]
fn config_error_is_typed() {
    let e = Pipeline::new(
        &[RelabelConfig::new(Action::HashMod).target_label("x")],
        UTF8,
    )
    .unwrap_err();
    assert_eq!(e.rule_index(), Some(0));
    assert_eq!(e.root(), &ConfigError::ZeroModulus);
}

/// Config errors carry the line and column of the offending value (a regex, an action, a label name, the
/// first type error) or of the rule (validation, null rule), in block and flow style alike.
#[test]
fn config_errors_have_positions() {
    let doc = |y: &str| ConfigDocument::from_yaml(y).unwrap_err();
    let bare = |y: &str| rules_from_yaml(y, Default::default()).unwrap_err();
    let table: Vec<(promtext::relabel::ConfigError, (usize, usize))> = vec![
        // Block style.
        (
            bare("- action: keep\n  regex: a\n- action: drop\n  regex: '('\n"),
            (4, 10),
        ),
        (
            bare("- action: keep\n- action: hashmod\n  target_label: h\n"),
            (2, 3),
        ),
        (bare("- action: keep\n-\n"), (2, 2)),
        (bare("- action: keep\n  bogus: 1\n"), (2, 3)),
        // Flow style: one line, several lines, nested mappings.
        (bare("[{action: keep}, {action: nope}]\n"), (1, 27)),
        (
            doc(
                "scrape_configs:\n- job_name: j\n  relabel_configs: [{source_labels: [a], regex: \"(\"}]\n",
            ),
            (3, 49),
        ),
        (
            doc(
                "scrape_configs:\n- job_name: j\n  metric_relabel_configs: [\n    {action: keep},\n    {action: keep,\n     regex: [a]}]\n",
            ),
            (6, 13),
        ),
        (
            doc(
                "scrape_configs: [{job_name: j, relabel_configs: [{action: keep}, {action: lowercase, source_labels: [a]}]}]\n",
            ),
            (1, 66),
        ),
        (
            doc("scrape_configs: [{job_name: j, relabel_configs: [{action: keep}, ~]}]\n"),
            (1, 66),
        ),
    ];
    for (e, want) in table {
        assert_eq!(e.position(), Some(want), "{e}");
    }
    // Operator values holding the jobs as a literal block: the file's lines and columns.
    let values = "prometheus:\n  prometheusSpec:\n    additionalScrapeConfigs: |\n      - job_name: envoy\n        relabel_configs:\n        - action: keep\n\n          regex: '('\n";
    assert_eq!(doc(values).position(), Some((8, 18)));
    assert_eq!(
        promtext::config::rule_position(
            values,
            Some("envoy"),
            Some(promtext::relabel::Stage::Target),
            Some(0)
        ),
        Some((6, 11))
    );
    // A quoted string: no position.
    let quoted =
        "additionalScrapeConfigs: \"[{job_name: envoy, relabel_configs: [{regex: '('}]}]\"\n";
    assert_eq!(doc(quoted).position(), None);
    // The job and rule list are named too.
    let e = doc(
        "scrape_configs:\n- job_name: j\n  relabel_configs: [{action: keep}, {action: nope}]\n",
    );
    assert_eq!(
        (e.job(), e.stage(), e.rule_index(), e.position()),
        (
            Some("j"),
            Some(promtext::relabel::Stage::Target),
            Some(1),
            Some((3, 46))
        )
    );
}
