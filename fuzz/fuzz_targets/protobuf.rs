//! Differential: our zero-copy protobuf reader against prost's owned decode (presented as
//! Prometheus presents protobuf) on arbitrary bytes; where prost decodes and we accept, the
//! events agree; where we refuse what prost decodes, it is one of Prometheus' semantic rules
//! (or a repeated singular message, which prost merges).
#![no_main]
use libfuzzer_sys::fuzz_target;
use promtext::ErrorKind;
use promtext::protobuf::{Parser, Settings};

#[path = "../../tests/support/pb.rs"]
mod pb;
#[path = "../../tests/support/prost_model.rs"]
mod prost_model;

fuzz_target!(|input: (bool, &[u8])| {
    let (classic, data) = input;
    let mut ours = Vec::new();
    let mut err = None;
    for ev in Parser::new(data, Settings::default().classic_histograms(classic)) {
        match ev {
            Ok(e) => ours.push(pb::render(&e)),
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    let Ok(fams) = prost_model::decode_body(data) else {
        return;
    };
    let want = prost_model::render(&fams, classic);
    match err {
        None => assert_eq!(ours, want),
        Some(e) => assert!(
            matches!(
                e.kind(),
                ErrorKind::InvalidName
                    | ErrorKind::InvalidType
                    | ErrorKind::InvalidHistogram
                    | ErrorKind::MixedFormat
            ) || e.message().contains("repeated (a singular message)"),
            "prost decodes, we fail: {e}"
        ),
    }
});
