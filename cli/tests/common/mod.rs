//! Running the `promtext` binary in the CLI's end-to-end tests.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `promtext ARGS` with `stdin` as its input.
pub fn promtext(args: &[&str], stdin: &[u8]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_promtext"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run promtext");
    // A command that fails early (usage errors) may exit before reading its input.
    let _ = c.stdin.take().unwrap().write_all(stdin);
    c.wait_with_output().unwrap()
}

/// [`promtext`]'s exit code (-1 when killed by a signal), stdout and stderr as text.
pub fn run(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let o = promtext(args, stdin);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}
