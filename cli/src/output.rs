//! Output helpers shared by the subcommands: JSON lines, input opening, exit codes.

use std::io::{self, Read, Write};

/// Opens `path` (`-` or none = standard input) as a buffered reader.
pub fn open_input(path: Option<&str>) -> io::Result<Box<dyn Read>> {
    match path {
        None | Some("-") => Ok(Box::new(io::stdin().lock())),
        Some(p) => {
            Ok(Box::new(std::fs::File::open(p).map_err(|e| {
                io::Error::new(e.kind(), format!("{p}: {e}"))
            })?))
        }
    }
}

/// Writes `s` as a JSON string.
pub fn json_str(out: &mut impl Write, s: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *out, s).map_err(io::Error::other)
}

/// A value as JSON: a number when finite, otherwise `"NaN"`, `"+Inf"` or `"-Inf"`.
pub fn json_value(out: &mut impl Write, v: f64) -> io::Result<()> {
    if v.is_nan() {
        out.write_all(b"\"NaN\"")
    } else if v == f64::INFINITY {
        out.write_all(b"\"+Inf\"")
    } else if v == f64::NEG_INFINITY {
        out.write_all(b"\"-Inf\"")
    } else {
        serde_json::to_writer(&mut *out, &v).map_err(io::Error::other)
    }
}

/// Writes `[[name, value], ...]`.
pub fn json_labels<'a>(
    out: &mut impl Write,
    labels: impl Iterator<Item = promtext::Label<'a>>,
) -> io::Result<()> {
    out.write_all(b"[")?;
    for (i, l) in labels.enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(b"[")?;
        json_str(out, &l.name)?;
        out.write_all(b",")?;
        json_str(out, &l.value)?;
        out.write_all(b"]")?;
    }
    out.write_all(b"]")
}

/// Whether an I/O error is a closed pipe (`promtext … | head`), which is not a failure.
pub fn is_broken_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

/// Human-readable byte count.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.2} {}", UNITS[u])
    }
}

/// Writes labels as one JSON object in the given (sorted) order: `{"name":"value",...}`.
pub fn json_label_object<'a>(
    out: &mut impl Write,
    labels: impl Iterator<Item = (&'a str, &'a str)>,
) -> io::Result<()> {
    out.write_all(b"{")?;
    for (i, (n, v)) in labels.enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        json_str(out, n)?;
        out.write_all(b":")?;
        json_str(out, v)?;
    }
    out.write_all(b"}")
}

/// Prints `error: …` on standard error; a closed standard error is ignored (no panic, unlike `eprintln!`).
pub fn error(msg: impl std::fmt::Display) {
    let _ = writeln!(io::stderr(), "error: {msg}");
}

/// Prints `warning: …` on standard error, ignoring a closed standard error.
pub fn warn(msg: impl std::fmt::Display) {
    let _ = writeln!(io::stderr(), "warning: {msg}");
}
