//! The generator's bytes are its contract: benches compare runs across commits and tests pin
//! counts on its bodies, so the same configuration and seed must give the same bytes on every
//! platform and after every refactoring. The digests below were taken from the generator before
//! it became this crate (when its catalogue was Rust source); a change that alters them changes
//! the generated inputs and must say so.

use promtext_gen::{
    AppBlock, DEFAULT_SEED, GenConfig, PRESETS, Profile, generate, generate_protobuf,
};

/// FNV-1a, 64 bits: a stable digest (std's hashers may change between releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

type Ctor = fn() -> GenConfig;

/// The bodies whose bytes must not change: every profile and preset constructor, a few
/// seeds and sizes (a target size runs the size search and, for `envoy`/`istio`, adds
/// scopes), the options that change the writer, and the protobuf bodies.
fn cases() -> Vec<(String, usize, u64)> {
    let mut out = Vec::new();
    let mut add = |name: String, bytes: &[u8]| out.push((name, bytes.len(), fnv1a(bytes)));
    let ctors: [(&str, Ctor); 4] = [
        ("envoy", GenConfig::envoy),
        ("istio", GenConfig::istio),
        ("envoy-many-series", GenConfig::envoy_many_series),
        ("istio-many-series", GenConfig::istio_many_series),
    ];
    for (name, ctor) in ctors {
        for seed in [DEFAULT_SEED, 1, 7] {
            for size in [None, Some(64 << 10), Some(1 << 20)] {
                let mut c = ctor().seed(seed);
                c.target_bytes = size;
                let g = generate(&c);
                add(
                    format!("{name} seed {seed} size {size:?}"),
                    g.text.as_bytes(),
                );
                add(
                    format!("{name} seed {seed} size {size:?} meta"),
                    g.meta.to_json().as_bytes(),
                );
            }
        }
    }
    for profile in Profile::ALL {
        let c = GenConfig::new(profile).seed(3);
        add(
            format!("{} seed 3", profile.name()),
            generate(&c).text.as_bytes(),
        );
        let c = GenConfig::new(profile)
            .seed(3)
            .openmetrics(true)
            .escape_rate(0.05);
        add(
            format!("{} openmetrics escapes", profile.name()),
            generate(&c).text.as_bytes(),
        );
    }
    // Every preset but the 10,000-cluster gateway (about 150 MB).
    for (name, _) in PRESETS.iter().filter(|(n, _)| *n != "gateway-10k-clusters") {
        let c = GenConfig::preset(name).unwrap();
        add(format!("preset {name}"), generate(&c).text.as_bytes());
    }
    let mut c = GenConfig::new(Profile::Istio15020).seed(5);
    c.app_block = AppBlock::OpenMetrics;
    c.text_readouts = true;
    c.per_endpoint = 3;
    c.summary_mode = true;
    add(
        "istio-15020 app block, readouts, endpoints, summaries".into(),
        generate(&c).text.as_bytes(),
    );
    let c = GenConfig::istio().target_bytes(4 << 20);
    add("istio 4 MiB (scopes)".into(), generate(&c).text.as_bytes());
    for (name, ctor) in ctors {
        for native in [false, true] {
            let (body, text) = generate_protobuf(&ctor().seed(11).target_bytes(256 << 10), native);
            add(format!("{name} protobuf native {native}"), &body);
            add(
                format!("{name} protobuf native {native} text"),
                text.text.as_bytes(),
            );
        }
    }
    out
}

/// (case, length, FNV-1a 64 of the bytes).
#[rustfmt::skip]
const EXPECTED: &[(&str, usize, u64)] = &[
    ("envoy seed 11400714819323198485 size None", 166801, 0x67f9dfa839db613f),
    ("envoy seed 11400714819323198485 size None meta", 714, 0xc850a7d371bc792d),
    ("envoy seed 11400714819323198485 size Some(65536)", 65680, 0x69c5d42d42daea3b),
    ("envoy seed 11400714819323198485 size Some(65536) meta", 716, 0xd5ebb09e2e24bb81),
    ("envoy seed 11400714819323198485 size Some(1048576)", 1048514, 0x27eab2c5e02ba57b),
    ("envoy seed 11400714819323198485 size Some(1048576) meta", 725, 0x889cab6f9c808f61),
    ("envoy seed 1 size None", 165349, 0x341819be668fdc37),
    ("envoy seed 1 size None meta", 676, 0x6b135db343dcfdcf),
    ("envoy seed 1 size Some(65536)", 65629, 0xbc7dae0cb5677015),
    ("envoy seed 1 size Some(65536) meta", 678, 0xb9297757fb708cb6),
    ("envoy seed 1 size Some(1048576)", 1048637, 0xa9df89cda2595ab4),
    ("envoy seed 1 size Some(1048576) meta", 687, 0x9d40480a3673daed),
    ("envoy seed 7 size None", 166995, 0x03eea5f52e93c20f),
    ("envoy seed 7 size None meta", 676, 0x74af4965d378f032),
    ("envoy seed 7 size Some(65536)", 65573, 0xfd1ba2d526774426),
    ("envoy seed 7 size Some(65536) meta", 678, 0xfb6c5d58c1cd6782),
    ("envoy seed 7 size Some(1048576)", 1048680, 0x3848af1c8c4fcab1),
    ("envoy seed 7 size Some(1048576) meta", 687, 0xd2835bc0d0e5abe9),
    ("istio seed 11400714819323198485 size None", 316439, 0x2da2e8683e9ecdb4),
    ("istio seed 11400714819323198485 size None meta", 715, 0xba0a1558bc105f8f),
    ("istio seed 11400714819323198485 size Some(65536)", 65584, 0x5a2245e371f6cd16),
    ("istio seed 11400714819323198485 size Some(65536) meta", 715, 0xba7101dc5d5b5d8a),
    ("istio seed 11400714819323198485 size Some(1048576)", 1048294, 0xceddcbd827aa87bf),
    ("istio seed 11400714819323198485 size Some(1048576) meta", 725, 0xc9238a1a39181b67),
    ("istio seed 1 size None", 420415, 0x924f2d81274638f3),
    ("istio seed 1 size None meta", 678, 0xb62f763eed8f0866),
    ("istio seed 1 size Some(65536)", 65556, 0x62fc4c14a9ae355a),
    ("istio seed 1 size Some(65536) meta", 677, 0xfa5db28eba85c056),
    ("istio seed 1 size Some(1048576)", 1048509, 0xd394255f141f0faf),
    ("istio seed 1 size Some(1048576) meta", 687, 0x45113deca596afa7),
    ("istio seed 7 size None", 383331, 0x12fd91e53f6bb923),
    ("istio seed 7 size None meta", 678, 0x7b1f577917d4f6f2),
    ("istio seed 7 size Some(65536)", 65538, 0xfdb3cdc9f4dee357),
    ("istio seed 7 size Some(65536) meta", 677, 0x6ee413684fccad74),
    ("istio seed 7 size Some(1048576)", 1048281, 0xafb1294fbada301d),
    ("istio seed 7 size Some(1048576) meta", 687, 0x916df871b5243eef),
    ("envoy-many-series seed 11400714819323198485 size None", 128981, 0xeb3291164aba936f),
    ("envoy-many-series seed 11400714819323198485 size None meta", 714, 0x61f5300e6475fb65),
    ("envoy-many-series seed 11400714819323198485 size Some(65536)", 72581, 0xaaf50f064c4ba814),
    ("envoy-many-series seed 11400714819323198485 size Some(65536) meta", 711, 0xafaa9f3265443243),
    ("envoy-many-series seed 11400714819323198485 size Some(1048576)", 1046762, 0xb3eeab2505f35284),
    ("envoy-many-series seed 11400714819323198485 size Some(1048576) meta", 716, 0x4acc16645699f0d6),
    ("envoy-many-series seed 1 size None", 126203, 0x6c9d61adec6db784),
    ("envoy-many-series seed 1 size None meta", 676, 0x6ce83d6864bac382),
    ("envoy-many-series seed 1 size Some(65536)", 72918, 0x12bf51d8a7ec0840),
    ("envoy-many-series seed 1 size Some(65536) meta", 673, 0xbf8401147261be35),
    ("envoy-many-series seed 1 size Some(1048576)", 1047445, 0x6d9d24194dd51353),
    ("envoy-many-series seed 1 size Some(1048576) meta", 678, 0x30c904b29b7cb2e0),
    ("envoy-many-series seed 7 size None", 128402, 0x71112601c176e9a3),
    ("envoy-many-series seed 7 size None meta", 676, 0xa6ecc676af3d11c8),
    ("envoy-many-series seed 7 size Some(65536)", 72728, 0x8eba6bc8d025004b),
    ("envoy-many-series seed 7 size Some(65536) meta", 673, 0xd5c90c574ae4652d),
    ("envoy-many-series seed 7 size Some(1048576)", 1040005, 0x66d014500aa71bc0),
    ("envoy-many-series seed 7 size Some(1048576) meta", 678, 0xed8a6d2da8c36dd0),
    ("istio-many-series seed 11400714819323198485 size None", 410112, 0xc3b6830a20757370),
    ("istio-many-series seed 11400714819323198485 size None meta", 715, 0xaa700f498a010b4a),
    ("istio-many-series seed 11400714819323198485 size Some(65536)", 100166, 0x3a5f99ad2780d507),
    ("istio-many-series seed 11400714819323198485 size Some(65536) meta", 714, 0xa97dc324f5cb1b20),
    ("istio-many-series seed 11400714819323198485 size Some(1048576)", 1048555, 0x491d510680f4c42b),
    ("istio-many-series seed 11400714819323198485 size Some(1048576) meta", 718, 0xa9cebd40c81a53c8),
    ("istio-many-series seed 1 size None", 578191, 0xa0a124a041b36b7c),
    ("istio-many-series seed 1 size None meta", 677, 0x0c19032cd8fba4c1),
    ("istio-many-series seed 1 size Some(65536)", 98935, 0x6f3a36115c22f158),
    ("istio-many-series seed 1 size Some(65536) meta", 675, 0x69babff05445faef),
    ("istio-many-series seed 1 size Some(1048576)", 1048609, 0x173ec12be2e2deb0),
    ("istio-many-series seed 1 size Some(1048576) meta", 681, 0xdf8b382fbd6c807c),
    ("istio-many-series seed 7 size None", 551125, 0x045dddf58545c5a9),
    ("istio-many-series seed 7 size None meta", 677, 0xd46c13eeef4f2d1a),
    ("istio-many-series seed 7 size Some(65536)", 102600, 0x00e09d0ebcc2197e),
    ("istio-many-series seed 7 size Some(65536) meta", 676, 0x23c383d98acf1a58),
    ("istio-many-series seed 7 size Some(1048576)", 1048600, 0x0c19e740b4990d35),
    ("istio-many-series seed 7 size Some(1048576) meta", 681, 0xbe35402e42f7ffa0),
    ("envoy seed 3", 165556, 0x159ba85ded029194),
    ("envoy openmetrics escapes", 167960, 0x9d4c92a9c1a7ce0e),
    ("envoy-blankline seed 3", 128047, 0xba9b81110abe4ff2),
    ("envoy-blankline openmetrics escapes", 130980, 0x6d1baa4f65906bc0),
    ("envoy-ungrouped seed 3", 127732, 0xcccf767854849ce6),
    ("envoy-ungrouped openmetrics escapes", 130980, 0x6d1baa4f65906bc0),
    ("istio seed 3", 534209, 0x82dadf523e30b1db),
    ("istio openmetrics escapes", 266995, 0x6f80ea310e6b5c59),
    ("istio-15020 seed 3", 658183, 0x9db7f265d25a58f1),
    ("istio-15020 openmetrics escapes", 368210, 0x6159dfe648dcaaa4),
    ("preset small-sidecar", 100072, 0xc3f2d53200ac182a),
    ("preset busy-sidecar", 5000292, 0x4bfc4ecdadfc0ed2),
    ("preset legacy-ungrouped", 1007458, 0x45f6dee59220c611),
    ("preset merged-15020-openmetrics", 1999994, 0x51f7802368c47708),
    ("preset envoy-many-series", 128981, 0xeb3291164aba936f),
    ("preset istio-many-series", 5000049, 0x145f3cd4dfa4fec5),
    ("istio-15020 app block, readouts, endpoints, summaries", 462694, 0x557f48d49565314e),
    ("istio 4 MiB (scopes)", 4189542, 0x88e06a496ec1e80b),
    ("envoy protobuf native false", 163209, 0x1b61a50489e7d4bc),
    ("envoy protobuf native false text", 262635, 0x8b5b2159d27a767c),
    ("envoy protobuf native true", 159127, 0x7e7a85c51376cc3a),
    ("envoy protobuf native true text", 262635, 0x8b5b2159d27a767c),
    ("istio protobuf native false", 31714, 0x2c2de7fac5bcc291),
    ("istio protobuf native false text", 262231, 0x9da69839336835f8),
    ("istio protobuf native true", 28764, 0x2c4f331e4533a810),
    ("istio protobuf native true text", 262231, 0x9da69839336835f8),
    ("envoy-many-series protobuf native false", 139467, 0xf0d313bd7f62d5de),
    ("envoy-many-series protobuf native false text", 256647, 0x43c02b156c485a6b),
    ("envoy-many-series protobuf native true", 132965, 0x5abe7909a2d0143a),
    ("envoy-many-series protobuf native true text", 256647, 0x43c02b156c485a6b),
    ("istio-many-series protobuf native false", 83220, 0x45df363650a3ea0a),
    ("istio-many-series protobuf native false text", 262080, 0x4b463f4fc07bac07),
    ("istio-many-series protobuf native true", 78734, 0xd4e7c8267d3e6008),
    ("istio-many-series protobuf native true text", 262080, 0x4b463f4fc07bac07),
];

#[test]
fn generated_bytes_are_unchanged() {
    let got = cases();
    assert_eq!(got.len(), EXPECTED.len());
    let mut differ = Vec::new();
    for ((name, len, hash), &(want_name, want_len, want_hash)) in got.iter().zip(EXPECTED) {
        assert_eq!(name, want_name);
        if (*len, *hash) != (want_len, want_hash) {
            differ.push(format!(
                "{name}: {len} bytes {hash:#018x}, expected {want_len} bytes {want_hash:#018x}"
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
