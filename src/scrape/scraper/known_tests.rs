//! The parser offered the series the cache expects next (`Origin::Parsed`, on by default)
//! changes nothing a scrape reports or stores: sequences of bodies (repeated, reordered,
//! with duplicates, collisions, drops, timestamps, failures) scraped with and without it.

use proptest::prelude::*;

use super::*;
use crate::relabel::Pipeline;
use crate::scrape::{Collect, Target};

const TEXT: &str = "text/plain; version=0.0.4";
const OM1: &str = "application/openmetrics-text; version=1.0.0";

fn istio_line(v: usize) -> String {
    let labels: Vec<String> = (0..25)
        .map(|i| format!("label_{i}=\"value-{i}-{v}\""))
        .collect();
    format!("istio_requests_total{{{}}} {v}", labels.join(","))
}

/// Lines to assemble bodies from.
fn lines() -> Vec<String> {
    let mut v: Vec<String> = [
        "# TYPE m_total counter",
        "m_total{a=\"1\"} 1",
        "m_total{a=\"2\"} 2",
        "m_total{a=\"1\"} 3",
        "m_total 4",
        "m_total{} 5",
        "m_total{a=\"\"} 6",
        "dropme{a=\"1\"} 7",
        "drop_me_total{x=\"1\"} 8",
        "m_total{job=\"x\",a=\"3\"} 9",
        "m_total{a=\"1\"} 10 1700000000000",
        "# TYPE h histogram",
        "h_bucket{le=\"1.0\"} 1",
        "h_bucket{le=\"+Inf\"} 2",
        "h_count 2",
        "h_sum 3",
        "m_total{a=\"x\\\"y\"} 11",
        "m_total{a=\"1\",b=\"2\",c=\"3\",d=\"4\"} 12",
        "{\"m.q\",a=\"1\"} 13",
        "m_total{a=\"1\"} bad",
        "m_total{__name__=\"other\"} 14",
        "",
        "m_total{a=\"1\"}\t15",
        "m_total{a=\"1\",} 16",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend((0..4).map(istio_line));
    v
}

fn scraper(honor: bool, known: bool, sample_limit: u64) -> Scraper {
    let rules = match crate::config::ConfigDocument::from_yaml(
        "- source_labels: [__name__]\n  regex: drop_?me.*\n  action: drop\n- regex: b\n  action: labeldrop\n",
    )
    .unwrap()
    {
        crate::config::ConfigDocument::Rules(r) => r,
        _ => unreachable!(),
    };
    let mut cfg = ScrapeConfig::new(Pipeline::new(&rules, Default::default()).unwrap());
    cfg.honor_labels = honor;
    cfg.limits.sample_limit = sample_limit;
    let mut s = Scraper::new(cfg, &Target::from_labels(&[("job", "j"), ("a", "t")]));
    s.known_series = known;
    s
}

/// Everything a scrape reports but its duration, and what it stored.
fn scrape(s: &mut Scraper, body: &[u8], ct: &str) -> Vec<String> {
    let mut app = Collect::default();
    let mut r = s.scrape_bytes(body, ct, "", &mut app);
    r.duration = Default::default();
    let mut out = vec![format!("{r:?}")];
    out.extend(app.series.iter().map(|x| format!("{x:?}")));
    out
}

fn assemble(lines: &[String], picks: &[usize]) -> String {
    picks
        .iter()
        .map(|&i| format!("{}\n", lines[i % lines.len()]))
        .collect()
}

#[test]
fn a_repeated_body_is_taken_line_by_line() {
    let lines = lines();
    let body = (0..200)
        .map(|i| istio_line(i % 50) + "\n")
        .collect::<String>()
        + "m_total{a=\"1\"} 1\ndropme{a=\"1\"} 7\nm_total 4\n";
    let (mut on, mut off) = (scraper(false, true, 0), scraper(false, false, 0));
    for round in 0..3 {
        assert_eq!(
            scrape(&mut on, body.as_bytes(), TEXT),
            scrape(&mut off, body.as_bytes(), TEXT)
        );
        // From the second scrape on, every sample line is the series its position expects
        // (the repeats of the 50 Istio series too: the cache records each lookup's position).
        let want = if round == 0 { 0 } else { 203 * round as u64 };
        assert_eq!(on.known_taken, want, "round {round}");
    }
    assert_eq!(off.known_taken, 0);
    // OpenMetrics: not offered.
    let om = format!("{}# EOF\n", assemble(&lines, &[1, 2, 4]));
    let mut on = scraper(false, true, 0);
    for _ in 0..2 {
        scrape(&mut on, om.as_bytes(), OM1);
    }
    assert_eq!(on.known_taken, 0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn known_series_change_no_scrape(
        bodies in proptest::collection::vec(proptest::collection::vec(0usize..64, 0..30), 1..6),
        honor in any::<bool>(),
        sample_limit in prop_oneof![Just(0u64), 1u64..20],
        om_at in 0usize..8,
        repeats in proptest::collection::vec((0u8..4, any::<proptest::sample::Index>()), 6),
    ) {
        let lines = lines();
        let (mut on, mut off) = (scraper(honor, true, sample_limit), scraper(honor, false, sample_limit));
        // Most scrapes repeat the body before, as exporters do, whole or with two lines swapped
        // or one left out: the lines the cache expects, after lines that share their start.
        let mut bodies = bodies;
        for (i, (how, at)) in repeats.iter().enumerate().take(bodies.len()).skip(1) {
            let mut picks = bodies[i - 1].clone();
            if picks.is_empty() || *how == 0 {
                continue;
            }
            let k = at.index(picks.len());
            match how {
                2 => {
                    let next = (k + 1) % picks.len();
                    picks.swap(k, next);
                }
                3 => {
                    picks.remove(k);
                }
                _ => {}
            }
            bodies[i] = picks;
        }
        for (i, picks) in bodies.iter().enumerate() {
            // Now and then an OpenMetrics scrape in between (its keys are not offered).
            let (b, ct) = if i == om_at {
                (format!("{}# EOF\n", assemble(&lines, picks)), OM1)
            } else {
                (assemble(&lines, picks), TEXT)
            };
            let (a, z) = (scrape(&mut on, b.as_bytes(), ct), scrape(&mut off, b.as_bytes(), ct));
            prop_assert_eq!(a, z, "scrape {} of {:?}", i, bodies);
        }
    }
}
