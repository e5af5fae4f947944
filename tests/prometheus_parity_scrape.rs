//! Scrape-level parity with a Prometheus server (scrape/scrape.go, scrape/target.go, tsdb/head_append.go):
//! items 1-5 of the parity issue. Every expectation is Prometheus' result; each test says which behaviour
//! it encodes.
// The rules and the scrape layer come from YAML configs (feature `yaml`).
#![cfg(feature = "yaml")]

use promtext::relabel::{NameValidationScheme, Pipeline};
use promtext::scrape::{Collect, ScrapeConfig, ScrapeError, ScrapeReport, Scraper, Target};

/// One table row: metric rules, body, and the stored series or the scrape's error.
type NameCase<'a> = (&'a str, &'a str, Result<&'a [&'a str], &'a str>);
/// One table row: sample_limit, up, scraped, post-relabeling, added, stored series.
type CountCase<'a> = (u64, bool, u64, u64, u64, &'a [&'a str]);

fn config(metric_rules: &str) -> ScrapeConfig {
    let rules = if metric_rules.is_empty() {
        Vec::new()
    } else {
        promtext::config::rules_from_yaml(metric_rules, NameValidationScheme::Utf8).unwrap()
    };
    ScrapeConfig::new(Pipeline::new(&rules, NameValidationScheme::Utf8).unwrap())
}

fn scrape(cfg: ScrapeConfig, body: &[u8]) -> (ScrapeReport, Vec<String>) {
    let target = Target::from_labels(&[("job", "j")]);
    let mut s = Scraper::new(cfg, &target);
    let mut out = Collect::default();
    let r = s.scrape_bytes(body, "text/plain; version=0.0.4", "", &mut out);
    let series = out
        .series
        .iter()
        .map(|s| format!("{} {}", s.labels, s.value))
        .collect();
    (r, series)
}

/// Item 1. The text parser gives `a{__name__="b"}` both names (`PromParser.Labels`: the metric name added
/// first, the sort stable for such small sets); `sampleMutator` keeps both unless a rule sets or deletes
/// `__name__`, and the head appender's `getOrCreate` rejects the set: `label name "__name__" is not unique:
/// invalid sample`, which fails the scrape (checkAddError's default case). The check is at storage, after
/// relabeling: a rule that sets `__name__` (to any value) replaces both (`labels.Builder.Labels`), rules read
/// the first one (`Builder.Get`), and a dropped series never reaches storage.
#[test]
fn item1_name_in_braces_and_before_them() {
    let table: &[NameCase] = &[
        (
            "",
            "a{__name__=\"b\"} 1\n",
            Err("label name \"__name__\" is not unique: invalid sample"),
        ),
        (
            "",
            "a{x=\"1\",__name__=\"a\"} 1\n",
            Err("label name \"__name__\" is not unique: invalid sample"),
        ),
        // The name once: stored as is.
        (
            "",
            "a{x=\"1\"} 1\n",
            Ok(&["{__name__=\"a\", job=\"j\", x=\"1\"} 1"]),
        ),
        (
            "- target_label: __name__\n  replacement: c\n",
            "a{__name__=\"b\"} 1\n",
            Ok(&["{__name__=\"c\", job=\"j\"} 1"]),
        ),
        // Rules read the first `__name__`, the one before the braces (`Builder.Get` over the parser's stably
        // sorted labels): a drop on the braces' value does not fire, and the duplicate reaches storage.
        (
            "- source_labels: [__name__]\n  regex: a\n  action: drop\n",
            "a{__name__=\"b\"} 1\n",
            Ok(&[]),
        ),
        (
            "- source_labels: [__name__]\n  regex: b\n  action: drop\n",
            "a{__name__=\"b\"} 1\n",
            Err("label name \"__name__\" is not unique: invalid sample"),
        ),
        // A rule that sets `__name__`, whatever the value (the braces' one, the same one), replaces both:
        // `Builder.Labels` skips every base label of a name set or deleted.
        (
            "- target_label: __name__\n  replacement: b\n",
            "a{__name__=\"b\"} 1\n",
            Ok(&["{__name__=\"b\", job=\"j\"} 1"]),
        ),
        (
            "- target_label: __name__\n  replacement: a\n",
            "a{__name__=\"b\"} 1\n",
            Ok(&["{__name__=\"a\", job=\"j\"} 1"]),
        ),
        (
            "- source_labels: [__name__]\n  target_label: __name__\n",
            "a{x=\"1\",__name__=\"a\"} 1\n",
            Ok(&["{__name__=\"a\", job=\"j\", x=\"1\"} 1"]),
        ),
        // A rule that does not fire leaves both.
        (
            "- source_labels: [x]\n  regex: nope\n  target_label: __name__\n  replacement: c\n",
            "a{__name__=\"b\"} 1\n",
            Err("label name \"__name__\" is not unique: invalid sample"),
        ),
        // Deleting `__name__` deletes both.
        (
            "- action: labeldrop\n  regex: __name__\n",
            "a{__name__=\"b\"} 1\n",
            Err("missing metric name (__name__ label)"),
        ),
        // An empty value in the braces is a deletion (`Builder.Reset`): the series has no name, unless a rule
        // sets one.
        (
            "",
            "a{__name__=\"\"} 1\n",
            Err("missing metric name (__name__ label)"),
        ),
        (
            "- target_label: __name__\n  replacement: c\n",
            "a{__name__=\"\"} 1\n",
            Ok(&["{__name__=\"c\", job=\"j\"} 1"]),
        ),
    ];
    for (rules, body, want) in table {
        let (r, got) = scrape(config(rules), body.as_bytes());
        match want {
            Ok(series) => {
                assert!(r.up(), "{body}: {:?}", r.error);
                assert_eq!(got, *series, "{body}");
            }
            Err(msg) => {
                assert_eq!(
                    r.error.as_ref().map(|e| e.to_string()).as_deref(),
                    Some(*msg),
                    "{body}"
                );
                assert!(got.is_empty(), "rolled back");
            }
        }
    }
}

/// Item 2. A series repeated in one scrape without timestamps: `scrapeCache.get` reports it already
/// scraped, the loop sets `ErrDuplicateSampleForTimestamp` without calling the appender, `checkAddError`
/// counts it and goes on, and `added++` still runs. So `scrape_samples_scraped` (total) and
/// `scrape_samples_post_metric_relabeling` (added) count both, the limit appender (which counts `Append`
/// calls) does not, and the first sample is stored.
#[test]
fn item2_repeated_series_counts() {
    let body = b"a{x=\"1\"} 1\na{x=\"1\"} 2\nb 1\n";
    let table: &[CountCase] = &[
        (
            0,
            true,
            3,
            3,
            2,
            &[
                "{__name__=\"a\", job=\"j\", x=\"1\"} 1",
                "{__name__=\"b\", job=\"j\"} 1",
            ],
        ),
        (
            2,
            true,
            3,
            3,
            2,
            &[
                "{__name__=\"a\", job=\"j\", x=\"1\"} 1",
                "{__name__=\"b\", job=\"j\"} 1",
            ],
        ),
        (1, false, 3, 3, 1, &[]),
    ];
    for (limit, up, scraped, post, added, stored) in table {
        let mut cfg = config("");
        cfg.limits.sample_limit = *limit;
        let (r, got) = scrape(cfg, body);
        assert_eq!(r.up(), *up, "limit {limit}: {:?}", r.error);
        if !up {
            assert_eq!(r.error, Some(ScrapeError::SampleLimit));
        }
        assert_eq!(r.samples_scraped, *scraped, "limit {limit}");
        assert_eq!(r.samples_post_relabel, *post, "limit {limit}");
        assert_eq!(r.series_added, *added, "limit {limit}");
        assert_eq!(got, *stored, "limit {limit}");
    }
}

/// Item 4. Prometheus reads the body through `io.LimitReader` before parsing (`targetScraper.readResponse`):
/// over `body_size_limit` the scrape fails with `body size limit exceeded` and `append` runs on an empty
/// body, so samples scraped, post-relabeling and added are all 0 (and `scrape_body_size_bytes` is -1).
#[test]
fn item4_body_limit_reports_zero_samples() {
    let body: String = (0..2000).map(|i| format!("m{{i=\"{i}\"}} 1\n")).collect();
    let mut cfg = config("");
    cfg.limits.body_size_limit = 10_000;
    let (r, got) = scrape(cfg, body.as_bytes());
    assert_eq!(r.error, Some(ScrapeError::BodySizeLimit));
    assert_eq!(
        (r.samples_scraped, r.samples_post_relabel, r.series_added),
        (0, 0, 0)
    );
    assert!(got.is_empty());
    let text = r.to_exposition(&promtext::relabel::Labels::from_pairs([("job", "j")]));
    assert!(
        text.contains("scrape_samples_scraped{job=\"j\"} 0\n"),
        "{text}"
    );
    assert!(
        text.contains("scrape_body_size_bytes{job=\"j\"} -1\n"),
        "{text}"
    );
}

/// Item 5. Prometheus has no line limit in the scrape path (only `body_size_limit`): a 1.1 MiB line is
/// scraped. The parser's own default stays bounded (`promtext::DEFAULT_MAX_LINE_LEN`).
#[test]
fn item5_long_line_fits_the_body() {
    let value = "v".repeat(1_100 * 1024);
    let body = format!("a{{x=\"{value}\"}} 1\nb 2\n");
    let (r, got) = scrape(config(""), body.as_bytes());
    assert!(r.up(), "{:?}", r.error);
    assert_eq!(r.samples_scraped, 2);
    assert_eq!(got.len(), 2);
    // Within a body limit it fits, it is scraped; beyond it, the body limit fails the scrape.
    let mut cfg = config("");
    cfg.limits.body_size_limit = 2 << 20;
    assert!(scrape(cfg, body.as_bytes()).0.up());
    let mut cfg = config("");
    cfg.limits.body_size_limit = 1 << 20;
    assert_eq!(
        scrape(cfg, body.as_bytes()).0.error,
        Some(ScrapeError::BodySizeLimit)
    );
    assert_eq!(promtext::DEFAULT_MAX_LINE_LEN, 1 << 20);
}

/// Item 3. Two raw series that end with one label set (after metric relabeling, or written differently) are
/// both appended by Prometheus (both count in `added`, against `sample_limit` and in `seriesAdded`, since
/// the head appender accepts each), and its storage keeps the first sample of the series at the scrape's
/// timestamp. With distinct explicit timestamps both are stored.
#[test]
fn item3_series_made_equal_store_the_first() {
    // (rules, body, stored)
    let table: &[(&str, &str, &[&str])] = &[
        (
            "- action: labeldrop\n  regex: x\n",
            "a{x=\"1\"} 1\na{x=\"2\"} 2\n",
            &["{__name__=\"a\", job=\"j\"} 1"],
        ),
        ("", "a{x=\"\"} 1\na 2\n", &["{__name__=\"a\", job=\"j\"} 1"]),
        (
            "",
            "a{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 2\n",
            &["{__name__=\"a\", job=\"j\", x=\"1\", y=\"2\"} 1"],
        ),
        (
            "- action: labeldrop\n  regex: x\n",
            "a{x=\"1\"} 1 1000\na{x=\"2\"} 2 2000\n",
            &[
                "{__name__=\"a\", job=\"j\"} 1",
                "{__name__=\"a\", job=\"j\"} 2",
            ],
        ),
    ];
    for (rules, body, stored) in table {
        let target = Target::from_labels(&[("job", "j")]);
        let mut s = Scraper::new(config(rules), &target);
        // Twice: the first scrape builds both series, the second finds both in the cache.
        for round in 0..2 {
            let mut out = Collect::default();
            let r = s.scrape_bytes(body.as_bytes(), "text/plain; version=0.0.4", "", &mut out);
            assert!(r.up(), "{body}: {:?}", r.error);
            let got: Vec<String> = out
                .series
                .iter()
                .map(|s| format!("{} {}", s.labels, s.value))
                .collect();
            assert_eq!(got, *stored, "{body} round {round}");
            assert_eq!(r.samples_post_relabel, 2, "{body}");
        }
    }
    // Both count against sample_limit.
    let mut cfg = config("- action: labeldrop\n  regex: x\n");
    cfg.limits.sample_limit = 1;
    let (r, _) = scrape(cfg, b"a{x=\"1\"} 1\na{x=\"2\"} 2\n");
    assert_eq!(r.error, Some(ScrapeError::SampleLimit));
}

/// Item 3 across scrapes. A raw series new in the second scrape that relabels to the set of a series cached
/// since the first: Prometheus appends the older one first in that scrape (when it comes first in the body) and
/// its storage keeps that sample, whichever raw series is new; with explicit, distinct timestamps both are
/// stored. The third scrape (both cached) stores the first again.
#[test]
fn item3_new_series_colliding_with_a_cached_one() {
    let drop_x = "- action: labeldrop\n  regex: x\n";
    // (first body, next body, stored from the next body)
    let table: &[(&str, &str, &[&str])] = &[
        // The cached series comes first, the new one second.
        (
            "a{x=\"1\"} 1\n",
            "a{x=\"1\"} 1\na{x=\"2\"} 2\n",
            &["{__name__=\"a\", job=\"j\"} 1"],
        ),
        // The new series comes first.
        (
            "a{x=\"1\"} 1\n",
            "a{x=\"2\"} 2\na{x=\"1\"} 1\n",
            &["{__name__=\"a\", job=\"j\"} 2"],
        ),
        // Among other series, with a second collision after it.
        (
            "a{x=\"1\"} 1\nb{x=\"1\"} 3\nc 5\n",
            "a{x=\"1\"} 1\nb{x=\"1\"} 3\nc 5\na{x=\"2\"} 2\nb{x=\"2\"} 4\n",
            &[
                "{__name__=\"a\", job=\"j\"} 1",
                "{__name__=\"b\", job=\"j\"} 3",
                "{__name__=\"c\", job=\"j\"} 5",
            ],
        ),
        // Explicit, distinct timestamps: both stored.
        (
            "a{x=\"1\"} 1 1000\n",
            "a{x=\"1\"} 1 2000\na{x=\"2\"} 2 3000\n",
            &[
                "{__name__=\"a\", job=\"j\"} 1",
                "{__name__=\"a\", job=\"j\"} 2",
            ],
        ),
        // Explicit, equal timestamps: the first.
        (
            "a{x=\"1\"} 1 1000\n",
            "a{x=\"1\"} 1 2000\na{x=\"2\"} 2 2000\n",
            &["{__name__=\"a\", job=\"j\"} 1"],
        ),
    ];
    for (first, next, stored) in table {
        let target = Target::from_labels(&[("job", "j")]);
        let mut s = Scraper::new(config(drop_x), &target);
        let mut out = Collect::default();
        assert!(
            s.scrape_bytes(first.as_bytes(), "text/plain; version=0.0.4", "", &mut out)
                .up()
        );
        for round in 0..2 {
            let mut out = Collect::default();
            let r = s.scrape_bytes(next.as_bytes(), "text/plain; version=0.0.4", "", &mut out);
            assert!(r.up(), "{next}: {:?}", r.error);
            let got: Vec<String> = out
                .series
                .iter()
                .map(|s| format!("{} {}", s.labels, s.value))
                .collect();
            assert_eq!(got, *stored, "{next} round {round}");
        }
    }
}
