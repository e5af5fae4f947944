//! Structure-aware: arbitrary families → write → parse → equal families.
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use promtext::MetricType;
use promtext::family::{MetricFamily, OwnedSample, collect_families, sample_suffixes};
use promtext::write::{Format, write_families};

#[derive(Arbitrary, Debug)]
struct Fam {
    name: String,
    kind: u8,
    help: Option<String>,
    samples: Vec<(u8, Vec<(String, String)>, f64, Option<u32>)>,
}

fuzz_target!(|fams: Vec<Fam>| {
    let mut taken: Vec<String> = Vec::new();
    let mut out_fams = Vec::new();
    for f in fams {
        if f.name.is_empty() {
            continue;
        }
        let t = [
            MetricType::Counter,
            MetricType::Gauge,
            MetricType::Histogram,
            MetricType::Summary,
            MetricType::Unknown,
        ][f.kind as usize % 5];
        let mut suffixes = vec![String::new()];
        suffixes.extend(sample_suffixes(t).iter().map(|s| s.to_string()));
        let mut fam = MetricFamily::new(f.name.clone(), t);
        fam.help = f.help;
        for (k, labels, v, ts) in f.samples {
            let mut seen = std::collections::HashSet::new();
            let labels: Vec<_> = labels
                .into_iter()
                .filter(|(n, _)| seen.insert(n.clone()))
                .collect();
            let mut s = OwnedSample::new(
                format!("{}{}", f.name, suffixes[k as usize % suffixes.len()]),
                labels,
                v,
            );
            s.timestamp_ms = ts.map(i64::from);
            fam.samples.push(s);
        }
        let own: Vec<String> = std::iter::once(fam.name.clone())
            .chain(fam.samples.iter().map(|s| s.name.clone()))
            .collect();
        if own.iter().any(|n| {
            taken
                .iter()
                .any(|t| n.starts_with(t.as_str()) || t.starts_with(n.as_str()))
        }) {
            continue;
        }
        taken.extend(own);
        out_fams.push(fam);
    }
    let mut text = String::new();
    write_families(&mut text, Format::Prometheus, &out_fams);
    let back =
        collect_families(promtext::parse_str(&text)).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back, out_fams, "{text}");
});
