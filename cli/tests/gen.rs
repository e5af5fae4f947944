//! `promtext gen` end to end.

use std::process::Command;

fn promtext(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_promtext"))
        .args(args)
        .output()
        .expect("run promtext")
}

#[test]
fn gen_envoy_with_size_and_seed_is_deterministic() {
    let args = [
        "gen",
        "--profile",
        "envoy",
        "--size",
        "300KiB",
        "--seed",
        "42",
    ];
    let a = promtext(&args);
    assert!(a.status.success());
    let b = promtext(&args);
    assert_eq!(a.stdout, b.stdout);
    let n = a.stdout.len() as f64;
    assert!(
        n > 300.0 * 1024.0 * 0.96 && n < 300.0 * 1024.0 * 1.05,
        "{n}"
    );
    let text = String::from_utf8(a.stdout).unwrap();
    assert!(text.starts_with("# TYPE envoy_cluster_"));
    // The sidecar's three constant labels come first on every series.
    assert!(text.contains(
        "\nenvoy_server_live{local_cluster=\"mynginx\",consul_source_service=\"mynginx\",\
         consul_source_namespace=\"default\"} 1\n"
    ));
    // 300 KiB is more than one stat scope: the second has its own families.
    assert!(text.contains("\n# TYPE envoy_s1_cluster_"));
    // Without constant labels an untagged series prints `{}`.
    let c = promtext(&["gen", "--profile", "envoy", "--const-labels", "0"]);
    assert!(c.status.success());
    assert!(
        String::from_utf8(c.stdout)
            .unwrap()
            .contains("\nenvoy_server_live{} 1\n")
    );
}

#[test]
fn gen_istio_escapes_openmetrics_and_meta() {
    let dir = std::env::temp_dir().join(format!("promtext-gen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let meta = dir.join("out.meta.json");
    let out = promtext(&[
        "gen",
        "--profile",
        "istio",
        "--escapes",
        "--openmetrics",
        "--meta",
        meta.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.ends_with("# EOF\n"));
    assert!(text.contains("istio_requests_total{reporter="));
    let json = std::fs::read_to_string(&meta).unwrap();
    assert!(json.contains(&format!("\"bytes\":{}", text.len())));
    assert!(json.contains("\"openmetrics\":true"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn gen_presets_and_errors() {
    let out = promtext(&["gen", "--preset", "small-sidecar"]);
    assert!(out.status.success());
    assert!(
        (95_000..110_000).contains(&out.stdout.len()),
        "{}",
        out.stdout.len()
    );
    let out = promtext(&["gen", "--list-presets"]);
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("gateway-10k-clusters")
    );
    // The old shape, under the name that says so: few families, many series.
    let out = promtext(&["gen", "--profile", "envoy-many-series", "--size", "1MiB"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let types = text.lines().filter(|l| l.starts_with("# TYPE ")).count();
    assert!(types * 20 < text.lines().count(), "{types}");
    let out = promtext(&["gen", "--profile", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("unknown profile")
    );
    let out = promtext(&["gen", "--size", "12 parsecs"]);
    assert_eq!(out.status.code(), Some(2));
    let out = promtext(&[
        "gen",
        "--profile",
        "istio-15020",
        "--app-block",
        "openmetrics",
        "--no-final-newline",
    ]);
    assert!(out.status.success());
    assert!(out.stdout.ends_with(b"# EOF"));
}
