//! The same data as text and as protobuf, in one group per input: our text parser, our
//! protobuf reader and prost's owned decode, every label walked (native histograms: their
//! buckets too). `benches/tools/protobuf_ratio.rs` measures the ratios interleaved.

#[path = "common/protobuf.rs"]
mod workloads;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

fn protobuf(c: &mut Criterion) {
    for input in workloads::inputs() {
        let mut g = c.benchmark_group(format!("protobuf_{}", input.name));
        g.bench_function("text", |b| {
            b.iter(|| workloads::text(black_box(&input.text)))
        });
        g.bench_function("protobuf", |b| {
            b.iter(|| workloads::ours(black_box(&input.protobuf)))
        });
        g.bench_function("prost_owned", |b| {
            b.iter(|| workloads::prost(black_box(&input.protobuf)))
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = protobuf
}
criterion_main!(benches);
