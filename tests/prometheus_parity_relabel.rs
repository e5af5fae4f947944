//! Relabel parity with Prometheus 3.x (`model/relabel`, YAML through gopkg.in/yaml.v2): items 12-15 of the
//! parity issue. Every expectation is Prometheus' result; each table says which behaviour it encodes.
// The rules and the scrape layer come from YAML configs (feature `yaml`).
#![cfg(feature = "yaml")]

use promtext::config::{ConfigDocument, rules_from_yaml};
use promtext::relabel::{NameValidationScheme, Outcome, Pipeline, RelabelConfig};

/// One table row: rules before the labelmap, input labels, the expected value of `same`.
type MapCase<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

fn rules(yaml: &str) -> Result<Vec<RelabelConfig>, String> {
    rules_from_yaml(yaml, NameValidationScheme::Utf8).map_err(|e| e.root().to_string())
}

fn run(yaml: &str, input: &[(&str, &str)]) -> Result<Vec<(String, String)>, String> {
    let rules = rules(yaml)?;
    let p = Pipeline::new(&rules, NameValidationScheme::Utf8).map_err(|e| e.root().to_string())?;
    Ok(match p.relabeler().apply(input) {
        Outcome::Dropped => vec![],
        Outcome::Unchanged => {
            let mut v: Vec<_> = input
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect();
            v.sort();
            v
        }
        Outcome::Changed(l) => l.to_vec(),
    })
}

/// Item 13. yaml.v2 stores a plain scalar's source text into a Go `string` field whatever type the scalar
/// resolves to (decode.go `scalar`: a resolved non-string value into a string kind sets `n.value`), so
/// `replacement: 1.50` is the text `1.50`. A YAML null leaves the zero value (the empty string).
#[test]
fn item13_unquoted_scalars_keep_their_source_text() {
    let table: &[(&str, &str)] = &[
        ("1.50", "1.50"),
        ("0x1F", "0x1F"),
        ("1e3", "1e3"),
        ("+1", "+1"),
        (".inf", ".inf"),
        ("-.inf", "-.inf"),
        (".nan", ".nan"),
        ("0o17", "0o17"),
        ("017", "017"),
        ("1_000", "1_000"),
        ("True", "True"),
        ("false", "false"),
        ("12345678901234567890123", "12345678901234567890123"),
        ("'1.50'", "1.50"),
        ("\"0x1F\"", "0x1F"),
        ("~", ""),
        ("null", ""),
    ];
    for (scalar, want) in table {
        let yaml = format!("- target_label: t\n  replacement: {scalar}\n");
        let out = run(&yaml, &[("a", "1")]).unwrap_or_else(|e| panic!("{scalar}: {e}"));
        let got = out.iter().find(|(n, _)| n == "t").map(|(_, v)| v.as_str());
        // An empty replacement removes the target label (Prometheus' replace with an empty result).
        let want = (!want.is_empty()).then_some(*want);
        assert_eq!(got, want, "replacement: {scalar}");
    }
    // The other string fields of the rule read the source text the same way.
    let out = run(
        "- source_labels: [1.0, 0x1F]\n  separator: 1.50\n  regex: 1.01.500x1F\n  target_label: 0x10\n  replacement: ok\n",
        &[("1.0", "1.0"), ("0x1F", "0x1F")],
    )
    .unwrap();
    assert!(out.contains(&("0x10".into(), "ok".into())), "{out:?}");
}

/// Item 13. The regex is the source text too: `regex: +1` is `^(?s:+1)$` to Go's regexp, a compile error
/// (`missing argument to repetition operator: '+'`), and `1.50` does not match `1.5`.
#[test]
fn item13_regex_is_source_text() {
    let e = rules("- source_labels: [a]\n  regex: +1\n  action: keep\n").unwrap_err();
    assert!(e.contains("missing argument to repetition operator"), "{e}");
    let keep = "- source_labels: [a]\n  regex: 1.50\n  action: keep\n";
    assert!(run(keep, &[("a", "1.5")]).unwrap().is_empty());
    assert_eq!(run(keep, &[("a", "1.50")]).unwrap().len(), 1);
}

/// Item 13. yaml.v2 decodes a `!!binary` scalar (decode.go `scalar`: `base64.StdEncoding.DecodeString`, line
/// breaks ignored) into a string field, in any form of the tag; bad base64 fails the load with
/// `yaml: !!binary value contains invalid base64 data`. The text `!!binary` inside a quoted value or a comment
/// is not a tag.
#[test]
fn item13_binary_tag_decoded() {
    let replacement = |yaml: &str| rules(yaml).map(|r| r[0].replacement.clone());
    let table: &[(&str, Result<&str, &str>)] = &[
        ("- target_label: t\n  replacement: !!binary YQ==\n", Ok("a")),
        (
            "- target_label: t\n  replacement: !<tag:yaml.org,2002:binary> YQ==\n",
            Ok("a"),
        ),
        (
            "- target_label: t\n  replacement: !!binary |\n    YWJj\n    ZGVm\n",
            Ok("abcdef"),
        ),
        (
            "- {target_label: t, replacement: !!binary 'JDE='}\n",
            Ok("$1"),
        ),
        (
            "- target_label: t # !!binary\n  replacement: 'x !!binary y'\n",
            Ok("x !!binary y"),
        ),
        (
            "- target_label: t\n  replacement: !!binary YQ\n",
            Err("yaml: !!binary value contains invalid base64 data"),
        ),
        (
            "- target_label: t\n  replacement: !!binary Y Q==\n",
            Err("yaml: !!binary value contains invalid base64 data"),
        ),
    ];
    for (yaml, want) in table {
        let got = replacement(yaml);
        assert_eq!(got.as_deref().map_err(String::as_str), *want, "{yaml}");
    }
    // Every string field of a rule: source labels, regex, target.
    let out = run(
        "- source_labels: [!!binary YQ==]\n  regex: !!binary eCs=\n  target_label: !!binary b3V0\n  replacement: hit\n",
        &[("a", "xxx")],
    )
    .unwrap();
    assert!(out.contains(&("out".into(), "hit".into())), "{out:?}");
    // And the string keys of a job.
    let doc = ConfigDocument::from_yaml(
        "scrape_configs:\n- job_name: !!binary ZW52b3k=\n  metrics_path: !!binary L3N0YXRz\n",
    )
    .unwrap();
    assert_eq!(doc.jobs()[0].job_name, "envoy");
    assert_eq!(doc.jobs()[0].metrics_path, "/stats");
    // Deviation: Go strings may hold any bytes, ours are UTF-8: bytes that are not UTF-8 are refused.
    assert_eq!(
        replacement("- target_label: t\n  replacement: !!binary /w==\n").unwrap_err(),
        "!!binary value is not valid UTF-8 (promtext keeps strings as UTF-8)"
    );
}

/// Item 13. `modulus` is a Go `uint64`: yaml.v2 converts a resolved float in range by truncation
/// (decode.go, `case float64` for unsigned kinds), so `modulus: 1.5` is 1 and accepted; a negative value or a
/// string is an error.
#[test]
fn item13_modulus_float_truncates() {
    let r = rules("- source_labels: [a]\n  target_label: h\n  modulus: 1.5\n  action: hashmod\n")
        .unwrap();
    assert_eq!(r[0].modulus, 1);
    let out = run(
        "- source_labels: [a]\n  target_label: h\n  modulus: 1.5\n  action: hashmod\n",
        &[("a", "x")],
    )
    .unwrap();
    assert!(out.contains(&("h".into(), "0".into())));
    assert!(
        rules("- source_labels: [a]\n  target_label: h\n  modulus: -1\n  action: hashmod\n")
            .is_err()
    );
    assert!(
        rules("- source_labels: [a]\n  target_label: h\n  modulus: 'x'\n  action: hashmod\n")
            .is_err()
    );
}

/// Item 13. `model.LabelName.UnmarshalYAML` rejects names that are not valid (`%q is not a valid label
/// name`): under Prometheus 3's UTF-8 scheme only the empty name.
#[test]
fn item13_empty_source_label_rejected() {
    for yaml in [
        "- source_labels: [\"\"]\n  target_label: t\n",
        "- source_labels: [a, '']\n  target_label: t\n",
    ] {
        assert_eq!(
            rules(yaml).unwrap_err(),
            r#""" is not a valid label name"#,
            "{yaml}"
        );
    }
}

/// Item 13 inside a Prometheus configuration: the job's rule lists read the same source text.
#[test]
fn item13_in_scrape_config() {
    let doc = ConfigDocument::from_yaml(
        "scrape_configs:\n- job_name: 1.50\n  metric_relabel_configs:\n  - target_label: t\n    replacement: 0x1F\n",
    )
    .unwrap();
    let j = &doc.jobs()[0];
    assert_eq!(j.job_name, "1.50");
    assert_eq!(j.metric_relabel_configs[0].replacement, "0x1F");
}

/// Item 12. `labelmap` runs `labels.Builder.Range` (labels_common.go): the input labels that no earlier rule
/// touched, in name order, then the labels set by earlier rules in the order they were first set; each
/// `Set` overwrites, so when several labels map to one name the last visited wins.
#[test]
fn item12_labelmap_visit_order() {
    let map_all = "- action: labelmap\n  regex: (.*)\n  replacement: same\n";
    let table: &[MapCase] = &[
        // The issue's case: `a` (added) is visited after the input's `z`.
        ("- target_label: a\n  replacement: x\n", &[("z", "1")], "x"),
        // Added in the order b, a: `a` is visited last.
        (
            "- target_label: b\n  replacement: x\n- target_label: a\n  replacement: y\n",
            &[("z", "1")],
            "y",
        ),
        // An input label overwritten by a rule moves behind the untouched ones.
        (
            "- target_label: a\n  replacement: x\n",
            &[("a", "1"), ("b", "2")],
            "x",
        ),
        // Nothing added: input order, the last name wins.
        ("", &[("a", "1"), ("b", "2")], "2"),
    ];
    for (before, input, want) in table {
        let yaml = format!("{before}{map_all}");
        let out = run(&yaml, input).unwrap();
        let got = out
            .iter()
            .find(|(n, _)| n == "same")
            .map(|(_, v)| v.as_str());
        assert_eq!(got, Some(*want), "{yaml}");
    }
    // The same through the `Labels` entry point and the reference pipeline.
    let rules = rules("- target_label: a\n  replacement: x\n- action: labelmap\n  regex: (.*)\n  replacement: same\n").unwrap();
    let p = Pipeline::new(&rules, NameValidationScheme::Utf8).unwrap();
    let input = promtext::relabel::Labels::from_pairs([("z", "1")]);
    match p.relabeler().apply_labels(&input) {
        Outcome::Changed(l) => assert_eq!(l.get("same"), Some("x")),
        other => panic!("{other:?}"),
    }
    let naive =
        promtext::relabel::naive::NaivePipeline::new(&rules, NameValidationScheme::Utf8).unwrap();
    let out = naive.apply(&[("z", "1")]).unwrap();
    assert!(out.contains(&("same".into(), "x".into())), "{out:?}");
}

/// Item 15. `labels.Labels.String()` (labels_common.go `stringImpl`) writes values, and names that are not
/// legacy label names, with `strconv.AppendQuote`: Go's `%q`, which escapes tabs, controls, NBSP, U+2028 and
/// the other characters `strconv.IsPrint` rejects.
#[test]
fn item15_label_set_notation_is_go_quoted() {
    let table: &[(&str, &str, &str)] = &[
        ("a", "x\ty", r#"{a="x\ty"}"#),
        ("a", "nb\u{a0}sp", r#"{a="nb\u00a0sp"}"#),
        ("a", "ls\u{2028}", r#"{a="ls\u2028"}"#),
        ("a", "bell\u{7}cr\r", r#"{a="bell\acr\r"}"#),
        ("a", "del\u{7f}", r#"{a="del\x7f"}"#),
        ("a", "q\"b\\n\n", r#"{a="q\"b\\n\n"}"#),
        ("a", "é ü 日本", r#"{a="é ü 日本"}"#),
        ("a", "bom\u{feff}", r#"{a="bom\ufeff"}"#),
        ("a b", "1", r#"{"a b"="1"}"#),
        ("tab\tname", "1", r#"{"tab\tname"="1"}"#),
        ("__name__", "up", r#"{__name__="up"}"#),
    ];
    for (n, v, want) in table {
        let l = promtext::relabel::Labels::from_pairs([(*n, *v)]);
        assert_eq!(l.to_string(), *want, "{n:?}={v:?}");
    }
}

/// Item 14. Prometheus loads configs with yaml.v2: it unmarshals the whole rule list first, a rule whose
/// `UnmarshalYAML` fails (regex, action, label name) stops it in document order, and `ScrapeConfig.UnmarshalYAML`
/// only then rejects null rules (target list first). A value of the wrong kind in a string field is a
/// `decoder.terror`: `yaml: unmarshal errors:\n  line N: cannot unmarshal !!map into string`.
#[test]
fn item14_error_precedence_and_wording() {
    let table: &[(&str, &str)] = &[
        (
            "- ~\n- regex: '('\n",
            "error parsing regexp: missing closing ): `^(?s:()$`",
        ),
        (
            "- action: nope\n- regex: '('\n",
            r#"unknown relabel action "nope""#,
        ),
        (
            "- regex: '('\n- action: nope\n",
            "error parsing regexp: missing closing ): `^(?s:()$`",
        ),
        (
            "- source_labels: ['']\n- ~\n",
            r#""" is not a valid label name"#,
        ),
        (
            "- target_label: t\n- ~\n",
            "empty or null target relabeling rule in scrape config",
        ),
        (
            "- target_label: [t]\n",
            "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into string",
        ),
        (
            "- target_label: t\n  replacement: {a: 1}\n",
            "yaml: unmarshal errors:\n  line 2: cannot unmarshal !!map into string",
        ),
        (
            "- source_labels: {a: 1}\n",
            "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!map into model.LabelNames",
        ),
        (
            "- source_labels: a\n",
            "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `a` into model.LabelNames",
        ),
    ];
    for (yaml, want) in table {
        assert_eq!(rules(yaml).unwrap_err(), *want, "{yaml}");
    }
    // In a scrape config: decode errors of both lists (document order) before null rules, null rules before
    // validation.
    let job = |body: &str| {
        ConfigDocument::from_yaml(&format!("scrape_configs:\n- job_name: j\n{body}"))
            .unwrap_err()
            .root()
            .to_string()
    };
    assert_eq!(
        job("  relabel_configs:\n  - ~\n  metric_relabel_configs:\n  - regex: '('\n"),
        "error parsing regexp: missing closing ): `^(?s:()$`"
    );
    assert_eq!(
        job("  metric_relabel_configs:\n  - action: nope\n  relabel_configs:\n  - regex: '('\n"),
        r#"unknown relabel action "nope""#
    );
    assert_eq!(
        job("  relabel_configs:\n  - action: hashmod\n  metric_relabel_configs:\n  - ~\n"),
        "empty or null metric relabeling rule in scrape config"
    );
}

/// Item 14. yaml.v2's strict decoding (`UnmarshalStrict`, decode.go `mappingStruct`/`terror`) collects every
/// type error of the document, each with its line, and reports them together as `yaml: unmarshal errors:`:
/// a field written twice (`field X already set in type relabel.plain`, the second value is not decoded), an
/// unknown field (`field X not found in type relabel.plain`), a value of the wrong kind (longer values cut to
/// 7 bytes and `...`). An error returned by an `UnmarshalYAML` (regex, action, label name, bad base64) is
/// fatal: it alone is reported, the type errors collected before it are dropped. Null rules are rejected only
/// after the whole list decoded without type errors.
#[test]
fn item14_type_errors_are_collected() {
    let table: &[(&str, &str)] = &[
        (
            "- regex: a\n  regex: b\n",
            "yaml: unmarshal errors:\n  line 2: field regex already set in type relabel.plain",
        ),
        (
            "- regex: a\n  regex: '('\n",
            "yaml: unmarshal errors:\n  line 2: field regex already set in type relabel.plain",
        ),
        (
            "- regexp: a\n",
            "yaml: unmarshal errors:\n  line 1: field regexp not found in type relabel.plain",
        ),
        (
            "- target_label: [t]\n  bogus: 1\n- replacement: {a: 1}\n  action: keep\n  action: drop\n",
            "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into string\n  line 2: field bogus not found in type relabel.plain\n  line 3: cannot unmarshal !!map into string\n  line 5: field action already set in type relabel.plain",
        ),
        (
            "- bogus: 1\n- regex: '('\n",
            "error parsing regexp: missing closing ): `^(?s:()$`",
        ),
        (
            "- bogus: 1\n- action: nope\n",
            r#"unknown relabel action "nope""#,
        ),
        (
            "- ~\n- bogus: 1\n",
            "yaml: unmarshal errors:\n  line 2: field bogus not found in type relabel.plain",
        ),
        (
            "- modulus: abcdefghijkl\n",
            "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `abcdefg...` into uint64",
        ),
        (
            "- modulus: '1'\n",
            "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `1` into uint64",
        ),
        (
            "- modulus: -1\n",
            "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!int `-1` into uint64",
        ),
        (
            "- modulus: true\n",
            "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!bool `true` into uint64",
        ),
        (
            "- source_labels: [a, {b: 1}]\n",
            "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!map into string",
        ),
        (
            "- abc\n- [a]\n",
            "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `abc` into relabel.plain\n  line 2: cannot unmarshal !!seq into relabel.plain",
        ),
    ];
    for (yaml, want) in table {
        assert_eq!(rules(yaml).unwrap_err(), *want, "{yaml}");
    }
    // Across a Prometheus configuration: the type errors of every job are listed; a fatal error anywhere
    // (including a later job's own checks, which run when that job decoded cleanly) wins.
    let load = |yaml: &str| {
        ConfigDocument::from_yaml(yaml)
            .unwrap_err()
            .root()
            .to_string()
    };
    assert_eq!(
        load(
            "scrape_configs:\n- job_name: a\n  relabel_configs:\n  - bogus: 1\n- job_name: b\n  metric_relabel_configs:\n  - regex: [x]\n"
        ),
        "yaml: unmarshal errors:\n  line 4: field bogus not found in type relabel.plain\n  line 7: cannot unmarshal !!seq into string"
    );
    assert_eq!(
        load(
            "scrape_configs:\n- job_name: a\n  relabel_configs:\n  - bogus: 1\n- job_name: b\n  metric_relabel_configs:\n  - regex: '('\n"
        ),
        "error parsing regexp: missing closing ): `^(?s:()$`"
    );
    assert_eq!(
        load(
            "scrape_configs:\n- job_name: a\n  relabel_configs:\n  - bogus: 1\n- job_name: b\n  relabel_configs:\n  - ~\n"
        ),
        "empty or null target relabeling rule in scrape config"
    );
    // A job with type errors skips its own checks (null rules, empty job name).
    assert_eq!(
        load("scrape_configs:\n- relabel_configs:\n  - ~\n  - bogus: 1\n"),
        "yaml: unmarshal errors:\n  line 4: field bogus not found in type relabel.plain"
    );
    assert_eq!(
        load("scrape_configs:\n- job_name: a\n  relabel_configs: {a: 1}\n"),
        "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!map into []*relabel.Config"
    );
    // A job's other keys decode in document order with its rule lists: the first fatal error wins (here
    // `body_size_limit`, whose `UnmarshalYAML` fails; promtext's wording), and any fatal error wins over the
    // type errors.
    assert_eq!(
        load(
            "scrape_configs:\n- job_name: a\n  body_size_limit: bogus\n  relabel_configs:\n  - regex: '('\n"
        ),
        "invalid body_size_limit \"bogus\""
    );
    assert_eq!(
        load(
            "scrape_configs:\n- job_name: a\n  relabel_configs:\n  - regex: '('\n  body_size_limit: bogus\n"
        ),
        "error parsing regexp: missing closing ): `^(?s:()$`"
    );
    assert_eq!(
        load(
            "scrape_configs:\n- job_name: a\n  relabel_configs:\n  - bogus: 1\n  body_size_limit: bogus\n"
        ),
        "invalid body_size_limit \"bogus\""
    );
    // The job's Go `uint` and `bool` fields are yaml.v2 type errors too, listed in document order with the
    // rules' ones.
    assert_eq!(
        load(
            "scrape_configs:\n- job_name: a\n  relabel_configs:\n  - bogus: 1\n  sample_limit: abc\n  honor_labels: maybe\n- job_name: b\n  label_limit: -1\n"
        ),
        "yaml: unmarshal errors:\n  line 4: field bogus not found in type relabel.plain\n  line 5: cannot unmarshal !!str `abc` into uint\n  line 6: cannot unmarshal !!str `maybe` into bool\n  line 8: cannot unmarshal !!int `-1` into uint"
    );
    // yaml.v2 reads YAML 1.1 booleans and truncates a float into an integer field.
    let doc = ConfigDocument::from_yaml(
        "scrape_configs:\n- job_name: a\n  honor_labels: yes\n  honor_timestamps: Off\n  sample_limit: 1.5\n",
    )
    .unwrap();
    let j = &doc.jobs()[0];
    assert!(j.honor_labels);
    assert!(!j.honor_timestamps);
    assert_eq!(j.limits.sample_limit, 1);
    // Duplicates anywhere inside a rule are the rule decoder's to report.
    assert_eq!(
        load(
            "scrape_configs:\n- job_name: a\n  relabel_configs:\n  - regex: {x: 1, x: 2}\n    regex: b\n"
        ),
        "yaml: unmarshal errors:\n  line 4: cannot unmarshal !!map into string\n  line 5: field regex already set in type relabel.plain"
    );
    // Rule validation (`ScrapeConfig.Validate`) comes after every job decoded.
    assert_eq!(
        load(
            "scrape_configs:\n- job_name: a\n  relabel_configs:\n  - action: hashmod\n- job_name: b\n  relabel_configs:\n  - bogus: 1\n"
        ),
        "yaml: unmarshal errors:\n  line 7: field bogus not found in type relabel.plain"
    );
}

/// Item 12 in traces. `Pipeline::explain` (and `promtext relabel --explain`) walks the rules as written, which
/// is Prometheus' order (`relabel.ProcessBuilder`), not the order the compiled engine schedules them in; where a
/// `labelmap` maps several labels to one name, its step shows Prometheus' result (the order of visits decides)
/// and the later steps go on from it, so that the trace ends with what `apply` gives.
#[test]
fn item12_explain_follows_prometheus_order() {
    let check = |yaml: &str, input: &[(&str, &str)]| {
        let rules = rules(yaml).unwrap();
        let p = Pipeline::new(&rules, NameValidationScheme::Utf8).unwrap();
        let e = p.explain(input);
        let indexes: Vec<usize> = e.steps.iter().map(|s| s.index).collect();
        let ran = if e.outcome.is_dropped() {
            indexes.len()
        } else {
            rules.len()
        };
        assert_eq!(indexes, (0..ran).collect::<Vec<_>>(), "{yaml}");
        // Each step starts from the previous one's result.
        for w in e.steps.windows(2) {
            assert_eq!(w[0].after.as_ref(), Some(&w[1].before), "{yaml}");
        }
        let applied = p.relabeler().apply(input);
        assert_eq!(e.outcome, applied, "{yaml}");
        if let (Some(last), Outcome::Changed(l)) = (e.steps.last(), &applied) {
            assert_eq!(last.after.as_ref(), Some(l), "{yaml}");
        }
        (p, e)
    };
    // A pipeline the engine reorders (the replace runs after the keep): the trace is in written order.
    let (p, _) = check(
        "- source_labels: [__meta_ns]\n  target_label: namespace\n- source_labels: [__address__]\n  target_label: __tmp_hash\n  modulus: 3\n  action: hashmod\n- source_labels: [__tmp_hash]\n  regex: '0'\n  action: keep\n",
        &[("__meta_ns", "n"), ("__address__", "x:1")],
    );
    assert_ne!(p.run_order(), [0, 1, 2]);
    // The labelmap of item 12, then a rule that reads its result.
    let (_, e) = check(
        "- target_label: a\n  replacement: x\n- action: labelmap\n  regex: (.*)\n  replacement: same\n- source_labels: [same]\n  target_label: copy\n",
        &[("z", "1")],
    );
    let after = |i: usize| e.steps[i].after.as_ref().unwrap();
    assert_eq!(after(1).get("same"), Some("x"));
    assert_eq!(after(2).get("copy"), Some("x"));
    // Two labelmaps in a row, and one whose result a later keep drops.
    check(
        "- target_label: b\n  replacement: x\n- target_label: a\n  replacement: y\n- action: labelmap\n  regex: (.*)\n  replacement: same\n- action: labelmap\n  regex: (a|z)\n  replacement: other\n",
        &[("z", "1")],
    );
    check(
        "- target_label: a\n  replacement: x\n- action: labelmap\n  regex: (.*)\n  replacement: same\n- source_labels: [same]\n  regex: x\n  action: drop\n",
        &[("z", "1")],
    );
}
