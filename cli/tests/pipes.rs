//! A closed standard output or error (`promtext … | head`, a supervisor that closed stderr) ends the output
//! quietly: no panic (exit 101), the command's own exit code.
#![cfg(unix)]

use std::process::Command;

/// Runs `promtext ARGS` through `sh` with stdout (`which` = 1) or stderr (2) connected to a pipe whose reader has
/// already exited, and returns the exit code and what reached the other stream.
fn with_closed(which: u8, args: &str) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!(
        "promtext-pipes-{}-{which}-{}",
        std::process::id(),
        args.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let code = dir.join("code");
    let other = dir.join("other");
    // `true` exits at once; the sleep makes sure the reader is gone before promtext writes.
    let script = match which {
        1 => format!(
            "(sleep 0.3; \"$0\" {args} 2>'{o}'; echo $? > '{c}') | true",
            o = other.display(),
            c = code.display()
        ),
        _ => format!(
            "(sleep 0.3; \"$0\" {args} >'{o}'; echo $? > '{c}') 2>&1 | true",
            o = other.display(),
            c = code.display()
        ),
    };
    let st = Command::new("sh")
        .args(["-c", &script, env!("CARGO_BIN_EXE_promtext")])
        .status()
        .unwrap();
    assert!(st.success());
    // The subshell may still be writing its code when the pipeline's last command returns.
    let mut text = String::new();
    for _ in 0..100 {
        text = std::fs::read_to_string(&code).unwrap_or_default();
        if text.ends_with('\n') {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = std::fs::read_to_string(&other).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    (text.trim().parse().unwrap(), out)
}

#[test]
fn closed_stdout() {
    for (args, want) in [
        ("gen", 0),
        ("--help", 0),
        ("parse --output jsonl /dev/null", 0),
        ("check --help", 0),
    ] {
        let (code, err) = with_closed(1, args);
        assert_eq!(code, want, "{args}: {err}");
        assert!(!err.contains("panicked"), "{args}: {err}");
    }
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/k8s");
    let (code, err) = with_closed(
        1,
        &format!(
            "targets --config {data}/prometheus.yml --job envoy-stats --pods {data}/pods.json --output jsonl"
        ),
    );
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn closed_stderr() {
    for (args, want) in [
        ("check /nonexistent/file", 2),
        ("parse /nonexistent/file", 2),
        ("relabel", 2),
        ("targets --config /nonexistent --pods -", 2),
    ] {
        let (code, _) = with_closed(2, args);
        assert_eq!(code, want, "{args}");
    }
}
