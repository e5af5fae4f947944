//! Text against protobuf against prost, interleaved so that a loaded machine weighs on all
//! three alike: per round, each workload parses its body `reps` times; the medians over the
//! rounds give the time per scrape, the ratios are medians of the per-round ratios.
//!
//! `cargo run --release --example protobuf_ratio [rounds]`
//!
//! For instruction counts, one workload on one input: `protobuf_ratio one INPUT WORKLOAD [reps]`
//! (WORKLOAD `text`, `pb`, `pbchunk` (the chunk parser fed 64 KiB chunks) or `prost`; INPUT
//! the input's name or a substring of names), e.g. under
//! `valgrind --tool=callgrind --toggle-collect='*workloads::ours*'`.

#[path = "../common/protobuf.rs"]
mod workloads;

use std::hint::black_box;
use std::time::Instant;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// [`workloads::ours`] through the chunk parser, fed 64 KiB chunks.
#[inline(never)]
fn chunked(input: &[u8]) -> usize {
    use promtext::protobuf::{ChunkParser, Settings};
    let mut p = ChunkParser::new(Settings::default());
    let mut n = 0;
    for chunk in input.chunks(64 << 10) {
        for ev in p.feed(chunk) {
            workloads::read_event(ev.expect("valid protobuf"), &mut n);
        }
    }
    p.finish().expect("complete body");
    n
}

fn one(mut args: impl Iterator<Item = String>) {
    let input = args.next().expect("input name");
    let workload = args.next().expect("workload: text, pb or prost");
    let reps: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let f = match workload.as_str() {
        "text" => workloads::text as fn(&[u8]) -> usize,
        "pb" => workloads::ours,
        "pbchunk" => chunked,
        "prost" => workloads::prost,
        w => panic!("unknown workload {w}"),
    };
    let mut found = false;
    let inputs = workloads::inputs();
    // An exact name picks one input even when it is a prefix of another's.
    let exact = inputs.iter().any(|i| i.name == input);
    for i in inputs {
        if !(i.name == input || !exact && i.name.contains(&input)) {
            continue;
        }
        found = true;
        let body = if workload == "text" {
            &i.text
        } else {
            &i.protobuf
        };
        let mut n = 0;
        for _ in 0..reps {
            n += black_box(f(black_box(body)));
        }
        println!(
            "{} {workload} x{reps}: {} bytes, checksum {n}",
            i.name,
            body.len()
        );
    }
    assert!(found, "no input matches {input}");
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("one") {
        return one(std::env::args().skip(2));
    }
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(15);
    println!(
        "input                      text KB  pb KB  pb/text   text µs    pb µs  prost µs  text/pb  prost/pb  pb GB/s"
    );
    for input in workloads::inputs() {
        let reps = (8 << 20) / input.text.len().max(1) + 1;
        let mut t = [Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..rounds {
            for (k, f) in [
                workloads::text as fn(&[u8]) -> usize,
                workloads::ours,
                workloads::prost,
            ]
            .iter()
            .enumerate()
            {
                let body = if k == 0 { &input.text } else { &input.protobuf };
                let start = Instant::now();
                for _ in 0..reps {
                    black_box(f(black_box(body)));
                }
                t[k].push(start.elapsed().as_secs_f64() / reps as f64);
            }
        }
        // Ratios are medians of the per-round ratios: a burst of load on the shared machine
        // then weighs on one round of both sides, not on one side's median.
        let mut text_pb: Vec<f64> = t[0].iter().zip(&t[1]).map(|(a, b)| a / b).collect();
        let mut prost_pb: Vec<f64> = t[2].iter().zip(&t[1]).map(|(a, b)| a / b).collect();
        let [a, b, c] = &mut t;
        let (text, pb, prost) = (median(a), median(b), median(c));
        println!(
            "{:26} {:7.0} {:6.0} {:7.2} {:9.1} {:8.1} {:9.1} {:8.2} {:9.1} {:8.2}",
            input.name,
            input.text.len() as f64 / 1024.0,
            input.protobuf.len() as f64 / 1024.0,
            input.protobuf.len() as f64 / input.text.len() as f64,
            text * 1e6,
            pb * 1e6,
            prost * 1e6,
            median(&mut text_pb),
            median(&mut prost_pb),
            input.protobuf.len() as f64 / pb / 1e9,
        );
    }
}
