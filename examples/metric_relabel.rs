//! Apply a job's `metric_relabel_configs` from YAML to a body, as Prometheus would before storing it.
//!
//! `cargo run --example metric_relabel`

use promtext::config::ConfigDocument;
use promtext::relabel::{Outcome, Pipeline, Stage};

const CONFIG: &str = r#"
scrape_configs:
- job_name: envoy-stats
  metric_relabel_configs:
  - {source_labels: [__name__], regex: 'istio_(request|response)_bytes_bucket', action: drop}
  - {regex: '(source|destination)_principal', action: labeldrop}
"#;

const BODY: &str = r#"istio_requests_total{source_principal="spiffe://cluster.local/ns/default/sa/productpage",response_code="200"} 10
istio_request_bytes_bucket{le="100"} 3
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The five lines: load, pick the job's metric rules, compile, apply.
    let doc = ConfigDocument::from_yaml(CONFIG)?;
    let sel = doc.select(Some("envoy-stats"), Some(Stage::Metric))?;
    let pipeline = Pipeline::new(sel.rules, sel.scheme)?;
    let mut relabeler = pipeline.relabeler();
    for ev in promtext::parse_str(BODY) {
        let ev = ev?;
        let Some(s) = ev.as_sample() else { continue };
        let name = s.name();
        let labels: Vec<(String, String)> =
            std::iter::once(("__name__".to_string(), name.to_string()))
                .chain(
                    s.labels()
                        .map(|l| (l.name.into_owned(), l.value.into_owned())),
                )
                .collect();
        match relabeler.apply(&labels) {
            Outcome::Dropped => println!("dropped   {}", s.series()),
            Outcome::Unchanged => println!("unchanged {} {}", s.series(), s.value_text()),
            Outcome::Changed(l) => println!("relabeled {l} {}", s.value_text()),
        }
    }
    Ok(())
}
