//! The protobuf bench's inputs and workloads, shared by `benches/protobuf.rs` and
//! `benches/tools/protobuf_ratio.rs`: the same data as text and as protobuf, every label walked.
#![allow(dead_code)]

use promtext::protobuf::{self, Event as PbEvent};
use promtext_gen::{GenConfig, generate_protobuf};

#[path = "../../tests/support/prost_model.rs"]
mod prost_model;

/// One input: its name, the text body and the protobuf body of the same data.
pub struct Input {
    pub name: String,
    pub text: Vec<u8>,
    pub protobuf: Vec<u8>,
}

/// The real corpus (converted to protobuf) when ../shared is present, and generated Envoy and
/// Istio bodies of about 1 MB, with classic and with native histograms (the text is the
/// classic exposition of the same generator run).
pub fn inputs() -> Vec<Input> {
    let mut out = Vec::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/envoy");
    if root.is_dir() {
        for (name, file) in [
            ("corpus_envoy_frontproxy", "envoy_frontproxy_2023.prom"),
            ("corpus_envoy_consul", "envoy_consul-dataplane_2023.prom"),
            ("corpus_istio_sidecar", "istio-1.5_sidecar_15090.prom"),
        ] {
            let text = std::fs::read(root.join(file)).expect("corpus file");
            let fams =
                promtext::family::collect_families(promtext::parse(&text)).expect("corpus parses");
            let protobuf = protobuf::write::encode_families(&protobuf::write::from_text(&fams));
            out.push(Input {
                name: name.to_string(),
                text,
                protobuf,
            });
        }
    } else {
        eprintln!("note: ../shared/corpus is absent; generated inputs only");
    }
    for (name, config, native) in [
        ("gen_envoy_1mb", GenConfig::envoy(), false),
        ("gen_istio_1mb", GenConfig::istio(), false),
        ("gen_envoy_1mb_native", GenConfig::envoy(), true),
        ("gen_istio_1mb_native", GenConfig::istio(), true),
    ] {
        let (protobuf, text) = generate_protobuf(&config.target_bytes(1 << 20), native);
        out.push(Input {
            name: name.to_string(),
            text: text.text.into_bytes(),
            protobuf,
        });
    }
    out
}

/// Our text parser, every label walked.
#[inline(never)]
pub fn text(input: &[u8]) -> usize {
    let mut n = 0;
    for ev in promtext::parse(input) {
        if let promtext::Event::Sample(s) = ev.expect("valid text") {
            n += s.value().to_bits() as usize & 1;
            for l in s.labels() {
                n += l.name.len() + l.value.len();
            }
        }
    }
    n
}

/// Our protobuf reader, every label walked (native histograms: labels and buckets).
#[inline(never)]
pub fn ours(input: &[u8]) -> usize {
    let mut n = 0;
    for ev in protobuf::parse(input) {
        read_event(ev.expect("valid protobuf"), &mut n);
    }
    n
}

/// What [`ours`] reads of one event, into `n`: a sample's value and labels, a native
/// histogram's labels and buckets.
#[inline(always)]
pub fn read_event(ev: PbEvent<'_>, n: &mut usize) {
    match ev {
        PbEvent::Sample(s) => {
            *n += s.value().to_bits() as usize & 1;
            for l in s.labels() {
                *n += l.name.len() + l.value.len();
            }
        }
        PbEvent::Histogram(h) => {
            for (name, value) in h.labels() {
                *n += name.len() + value.len();
            }
            for b in h.positive_buckets().chain(h.negative_buckets()) {
                *n += b.count as usize & 1;
            }
        }
        _ => {}
    }
}

/// prost's owned decode of the same body, every label walked.
#[inline(never)]
pub fn prost(input: &[u8]) -> usize {
    let fams = prost_model::decode_body(input).expect("prost decodes");
    let mut n = 0;
    for f in &fams {
        for m in &f.metric {
            for l in &m.label {
                n += l.name.len() + l.value.len();
            }
        }
    }
    n
}
