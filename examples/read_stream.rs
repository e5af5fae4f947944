//! Stream a body from any `io::Read` — standard input, a file, a socket, a decompressor — and
//! print the metrics with the most series: what to look at first when a sidecar's scrape grows.
//!
//! ```text
//! kubectl exec POD -c istio-proxy -- curl -s localhost:15090/stats/prometheus | cargo run --example read_stream
//! cargo run --example read_stream -- dump.prom
//! ```
//!
//! `ReadParser` holds one line and a read buffer, never the whole body, so this runs in
//! constant memory on a body of any size. A `TcpStream` positioned after the response headers,
//! or a `flate2::read::GzDecoder` around one, goes in the same way.

use std::collections::HashMap;
use std::io::Read;

use promtext::{Event, ReadParser, Settings};

fn series_per_metric(body: impl Read) -> Result<HashMap<String, u64>, promtext::Error> {
    let mut parser = ReadParser::new(body, Settings::default());
    let mut counts: HashMap<String, u64> = HashMap::new();
    while let Some(event) = parser.next_event() {
        let Event::Sample(sample) = event? else {
            continue;
        };
        // The name borrows from the parser's buffer: copy it only for a new metric.
        let name = sample.name();
        match counts.get_mut(name.as_ref()) {
            Some(n) => *n += 1,
            None => {
                counts.insert(name.into_owned(), 1);
            }
        }
    }
    Ok(counts)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let counts = match std::env::args().nth(1) {
        Some(path) => series_per_metric(std::fs::File::open(path)?)?,
        None => series_per_metric(std::io::stdin().lock())?,
    };
    let mut top: Vec<(&String, &u64)> = counts.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let total: u64 = counts.values().sum();
    println!("{total} series in {} metrics; the largest:", counts.len());
    for (name, n) in top.iter().take(10) {
        println!("{n:>8}  {name}");
    }
    Ok(())
}
