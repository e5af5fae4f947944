//! The OpenMetrics conformance suite (`../shared/conformance/openmetrics/`, format.md §3):
//! every case under `strict` must match its `shouldParse` (211/211), and under the default
//! `prometheus` level the verdicts must be Prometheus' own: all good cases and the 80
//! semantic cases (plus the trailing comma) accepted, the 87 syntactic bad cases rejected.
//! Each verdict is checked through the whole-buffer parser and through a chunked feed.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use promtext::{ChunkParser, Error, Settings, Validation};

/// The bad cases Prometheus' OpenMetrics parser accepts (format.md §3.2, §3.3): the 80
/// semantic cases, one of which is the trailing comma.
const PROMETHEUS_ACCEPTS: [&str; 80] = [
    // Duplicate label name in one sample.
    "bad_invalid_labels_2",
    "bad_invalid_labels_5",
    // Trailing comma in a label set.
    "bad_missing_or_extra_commas_2",
    // Repeated metadata.
    "bad_repeated_metadata_0",
    "bad_repeated_metadata_1",
    "bad_repeated_metadata_3",
    "bad_clashing_names_0",
    // Family reused or clashing with another family's sample names.
    "bad_clashing_names_1",
    "bad_clashing_names_2",
    // Metadata after the family's samples.
    "bad_metadata_in_wrong_place_0",
    "bad_metadata_in_wrong_place_1",
    "bad_metadata_in_wrong_place_2",
    // UNIT on info or stateset.
    "bad_unit_6",
    "bad_unit_7",
    // Families interleaved; metrics interleaved inside a family.
    "bad_grouping_or_ordering_3",
    "bad_grouping_or_ordering_0",
    "bad_grouping_or_ordering_2",
    // Timestamps of one metric decreasing, or present on only some samples.
    "bad_grouping_or_ordering_4",
    "bad_grouping_or_ordering_5",
    "bad_grouping_or_ordering_6",
    "bad_grouping_or_ordering_7",
    "bad_grouping_or_ordering_8",
    "bad_grouping_or_ordering_9",
    "bad_grouping_or_ordering_10",
    // Counter, histogram, gaugehistogram and summary value constraints.
    "bad_counter_values_0",
    "bad_counter_values_1",
    "bad_counter_values_2",
    "bad_counter_values_3",
    "bad_counter_values_4",
    "bad_counter_values_5",
    "bad_counter_values_6",
    "bad_counter_values_7",
    "bad_counter_values_8",
    "bad_counter_values_9",
    "bad_histograms_3",
    "bad_counter_values_10",
    "bad_counter_values_11",
    "bad_counter_values_12",
    "bad_counter_values_13",
    "bad_counter_values_14",
    "bad_histograms_7",
    "bad_counter_values_15",
    "bad_counter_values_16",
    "bad_counter_values_17",
    "bad_counter_values_18",
    "bad_counter_values_19",
    // Histogram structure: buckets, +Inf, _count/_sum pairing and consistency, order.
    "bad_histograms_0",
    "bad_histograms_6",
    "bad_histograms_12",
    "bad_histograms_1",
    "bad_histograms_2",
    "bad_histograms_8",
    "bad_histograms_14",
    "bad_histograms_11",
    "bad_histograms_13",
    "bad_histograms_9",
    "bad_histograms_10",
    // Required labels and their values.
    "bad_missing_or_invalid_labels_for_a_type_0",
    "bad_missing_or_invalid_labels_for_a_type_1",
    "bad_missing_or_invalid_labels_for_a_type_2",
    "bad_missing_or_invalid_labels_for_a_type_3",
    "bad_missing_or_invalid_labels_for_a_type_4",
    "bad_missing_or_invalid_labels_for_a_type_5",
    "bad_missing_or_invalid_labels_for_a_type_6",
    "bad_missing_or_invalid_labels_for_a_type_7",
    // Info and stateset values.
    "bad_info_and_stateset_values_0",
    "bad_info_and_stateset_values_1",
    "bad_stateset_info_values_0",
    "bad_stateset_info_values_1",
    "bad_stateset_info_values_2",
    "bad_stateset_info_values_3",
    // Exemplars where OpenMetrics allows none, or too long.
    "bad_exemplars_on_unallowed_metric_types_0",
    "bad_exemplars_on_unallowed_metric_types_1",
    "bad_exemplars_on_unallowed_metric_types_2",
    "bad_exemplars_on_unallowed_samples_0",
    "bad_exemplars_on_unallowed_samples_1",
    "bad_exemplars_on_unallowed_samples_2",
    "bad_exemplars_on_unallowed_samples_3",
    "bad_exemplars_6",
    "bad_exemplar_complex_chars",
];

struct Case {
    name: String,
    body: Vec<u8>,
    should_parse: bool,
}

fn cases(dir: &Path) -> Vec<Case> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let json = std::fs::read_to_string(path.join("test.json")).unwrap();
        let compact: String = json.chars().filter(|c| !c.is_whitespace()).collect();
        let should_parse = if compact.contains("\"shouldParse\":true") {
            true
        } else {
            assert!(compact.contains("\"shouldParse\":false"), "{name}: {json}");
            false
        };
        assert_eq!(should_parse, !name.starts_with("bad_"), "{name}");
        let body = std::fs::read(path.join("metrics")).unwrap();
        out.push(Case {
            name,
            body,
            should_parse,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The verdict of the whole-buffer parser: `Ok(events)` or the first error.
fn whole(body: &[u8], settings: &Settings) -> Result<usize, Error> {
    let mut n = 0;
    for ev in promtext::parse_with(body, settings.clone()) {
        ev?;
        n += 1;
    }
    Ok(n)
}

/// The verdict of a chunked feed in `size`-byte chunks.
fn chunked(body: &[u8], settings: &Settings, size: usize) -> Result<usize, Error> {
    let mut p = ChunkParser::new(settings.clone());
    let mut n = 0;
    for chunk in body.chunks(size) {
        for ev in p.feed(chunk) {
            ev?;
            n += 1;
        }
    }
    for ev in p.finish() {
        ev?;
        n += 1;
    }
    Ok(n)
}

fn verdict(case: &Case, settings: &Settings) -> bool {
    let w = whole(&case.body, settings);
    for size in [1, 7, 64] {
        let c = chunked(&case.body, settings, size);
        assert_eq!(
            w, c,
            "{}: whole-buffer and {size}-byte chunked verdicts differ",
            case.name
        );
    }
    w.is_ok()
}

#[test]
fn conformance_suite() {
    let Some(dir) = common::shared("conformance/openmetrics") else {
        return;
    };
    let cases = cases(&dir);
    assert_eq!(cases.len(), 211, "the suite has 211 cases");
    let accepted_bad: BTreeSet<&str> = PROMETHEUS_ACCEPTS.into_iter().collect();
    assert_eq!(accepted_bad.len(), 80);
    for name in &accepted_bad {
        assert!(
            cases.iter().any(|c| c.name == *name),
            "{name} is not in the suite"
        );
    }

    let strict = Settings::openmetrics().validation(Validation::Strict);
    let prometheus = Settings::openmetrics();
    let (mut strict_ok, mut prom_ok) = (0, 0);
    let (mut prom_good, mut prom_rejected, mut prom_accepted_bad) = (0, 0, 0);
    let mut failures = Vec::new();
    for case in &cases {
        let s = verdict(case, &strict);
        if s == case.should_parse {
            strict_ok += 1;
        } else {
            failures.push(format!(
                "strict: {} should {}parse: {:?}",
                case.name,
                if case.should_parse { "" } else { "not " },
                whole(&case.body, &strict)
            ));
        }
        let p = verdict(case, &prometheus);
        let want = case.should_parse || accepted_bad.contains(case.name.as_str());
        if p == want {
            prom_ok += 1;
            match (case.should_parse, p) {
                (true, _) => prom_good += 1,
                (false, false) => prom_rejected += 1,
                (false, true) => prom_accepted_bad += 1,
            }
        } else {
            failures.push(format!(
                "prometheus: {} should be {}: {:?}",
                case.name,
                if want { "accepted" } else { "rejected" },
                whole(&case.body, &prometheus)
            ));
        }
    }
    println!(
        "strict: {strict_ok}/{} agree with shouldParse; prometheus: {prom_ok}/{} agree with Prometheus \
         ({prom_good} good accepted, {prom_rejected} syntactic bad rejected, {prom_accepted_bad} semantic bad accepted); \
         whole-buffer and 1/7/64-byte chunked feeds identical",
        cases.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(strict_ok, 211);
    assert_eq!((prom_good, prom_rejected, prom_accepted_bad), (44, 87, 80));
}

/// Under `strict` every bad case must fail for the reason its group names, not by accident:
/// the error kind of each semantic case is a semantic one, of each syntactic case a syntax one.
#[test]
fn strict_rejections_have_the_right_kind() {
    let Some(dir) = common::shared("conformance/openmetrics") else {
        return;
    };
    let strict = Settings::openmetrics().validation(Validation::Strict);
    for case in cases(&dir) {
        if case.should_parse {
            continue;
        }
        let err = whole(&case.body, &strict).unwrap_err();
        let semantic = matches!(
            err.kind(),
            promtext::ErrorKind::Semantic
                | promtext::ErrorKind::DuplicateLabel
                | promtext::ErrorKind::InvalidExemplar
                | promtext::ErrorKind::InvalidUnit
        );
        if PROMETHEUS_ACCEPTS.contains(&case.name.as_str()) {
            let trailing_comma = case.name == "bad_missing_or_extra_commas_2";
            assert!(
                semantic || trailing_comma,
                "{}: expected a semantic error, got {err}",
                case.name
            );
        }
    }
}

/// Prometheus' own OpenMetrics benchmark inputs parse at the default level, whole and chunked.
/// `alltypes.5mfs.om.txt` has a histogram with negative buckets and a negative `_sum`, which
/// full OpenMetrics forbids: only `strict` rejects it.
#[test]
fn prometheus_benchmark_inputs() {
    let Some(dir) = common::shared("corpus/prometheus") else {
        return;
    };
    let strict = Settings::openmetrics().validation(Validation::Strict);
    for (file, strict_ok) in [("alltypes.5mfs.om.txt", false), ("1histogram.om.txt", true)] {
        let body = std::fs::read(dir.join(file)).unwrap();
        let events =
            whole(&body, &Settings::openmetrics()).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(events > 40, "{file}");
        assert_eq!(chunked(&body, &Settings::openmetrics(), 7).unwrap(), events);
        let verdict = whole(&body, &strict);
        assert_eq!(verdict.is_ok(), strict_ok, "{file}: {verdict:?}");
        if let Err(e) = verdict {
            assert!(e.message().contains("_sum"), "{file}: {e}");
        }
    }
}
