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
/// (A failed write keeps its kind, so a closed pipe is recognized.)
pub fn json_str(out: &mut (impl Write + ?Sized), s: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *out, s).map_err(io::Error::from)
}

/// A value as JSON: a number when finite, otherwise `"NaN"`, `"+Inf"` or `"-Inf"`.
pub fn json_value(out: &mut (impl Write + ?Sized), v: f64) -> io::Result<()> {
    if v.is_nan() {
        out.write_all(b"\"NaN\"")
    } else if v == f64::INFINITY {
        out.write_all(b"\"+Inf\"")
    } else if v == f64::NEG_INFINITY {
        out.write_all(b"\"-Inf\"")
    } else {
        serde_json::to_writer(&mut *out, &v).map_err(io::Error::from)
    }
}

/// Writes a parsed sample's labels as one JSON object in exposition order: `{"name":"value",...}`.
pub fn json_labels<'a>(
    out: &mut (impl Write + ?Sized),
    labels: impl Iterator<Item = promtext::Label<'a>>,
) -> io::Result<()> {
    out.write_all(b"{")?;
    for (i, l) in labels.enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        json_str(out, &l.name)?;
        out.write_all(b":")?;
        json_str(out, &l.value)?;
    }
    out.write_all(b"}")
}

/// Writes the fields every sample object shares, without the closing brace:
/// `{"kind":"sample","name":…,"labels":{…},"value":…,"timestamp_ms":…` (`__name__` is `name`, not a label).
pub fn json_sample_open<'a>(
    out: &mut (impl Write + ?Sized),
    name: &str,
    labels: impl Iterator<Item = (&'a str, &'a str)>,
    value: f64,
    timestamp_ms: Option<i64>,
) -> io::Result<()> {
    out.write_all(b"{\"kind\":\"sample\",\"name\":")?;
    json_str(out, name)?;
    out.write_all(b",\"labels\":")?;
    json_label_object(out, labels.filter(|(n, _)| *n != "__name__"))?;
    out.write_all(b",\"value\":")?;
    json_value(out, value)?;
    match timestamp_ms {
        Some(ts) => write!(out, ",\"timestamp_ms\":{ts}"),
        None => out.write_all(b",\"timestamp_ms\":null"),
    }
}

/// Opens a body (`-` or none = standard input) and decodes it per `encoding`: `auto` recognizes gzip and zstd by
/// their magic bytes (brotli has none: name it), `identity` reads as is. Returns the reader and the encoding used.
pub fn open_body(path: Option<&str>, encoding: &str) -> io::Result<(Box<dyn Read>, &'static str)> {
    decode_body(open_input(path)?, encoding)
}

/// Decodes `input` per `encoding` (see [`open_body`]).
pub fn decode_body(
    input: Box<dyn Read>,
    encoding: &str,
) -> io::Result<(Box<dyn Read>, &'static str)> {
    let mut r = io::BufReader::with_capacity(64 << 10, input);
    let enc = match encoding.trim().to_ascii_lowercase().as_str() {
        "auto" => {
            let head = fill_at_least(&mut r, 4)?;
            if head.starts_with(&[0x1f, 0x8b]) {
                "gzip"
            } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
                "zstd"
            } else {
                "identity"
            }
        }
        "" | "identity" => "identity",
        "gzip" | "x-gzip" => "gzip",
        "zstd" => "zstd",
        "br" => "br",
        other => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unsupported Content-Encoding {other:?} (identity, gzip, zstd, br, auto)"),
            ));
        }
    };
    let out: Box<dyn Read> = match enc {
        "gzip" => Box::new(flate2::bufread::MultiGzDecoder::new(r)),
        "zstd" => Box::new(zstd::stream::read::Decoder::with_buffer(r)?),
        "br" => Box::new(brotli::Decompressor::new(r, 64 << 10)),
        _ => Box::new(r),
    };
    Ok((out, enc))
}

/// Peeks at least `n` bytes (fewer at the end of the input) without consuming them.
fn fill_at_least(r: &mut io::BufReader<Box<dyn Read>>, n: usize) -> io::Result<Vec<u8>> {
    use io::BufRead;
    let buf = r.fill_buf()?;
    if buf.len() >= n || buf.is_empty() {
        return Ok(buf.to_vec());
    }
    // A short first read (a pipe): gather the rest of the magic by hand and put it back in front.
    let mut head = buf.to_vec();
    let k = head.len();
    r.consume(k);
    while head.len() < n {
        let b = r.fill_buf()?;
        if b.is_empty() {
            break;
        }
        let take = b.len().min(n - head.len());
        head.extend_from_slice(&b[..take]);
        r.consume(take);
    }
    let rest = std::mem::replace(r, io::BufReader::new(Box::new(io::empty())));
    *r = io::BufReader::with_capacity(
        64 << 10,
        Box::new(io::Cursor::new(head.clone()).chain(rest)),
    );
    Ok(head)
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
    out: &mut (impl Write + ?Sized),
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

/// A configuration error as `file:line:column: message`, at the offending value the error names, else at its
/// rule (or job) found in the YAML text; `file: message` when neither is known.
pub fn config_error(file: &str, text: &str, e: &promtext::relabel::ConfigError) -> String {
    let at = e
        .position()
        .or_else(|| promtext::config::rule_position(text, e.job(), e.stage(), e.rule_index()));
    match at {
        Some((line, col)) => format!("{file}:{line}:{col}: {e}"),
        None => format!("{file}: {e}"),
    }
}
