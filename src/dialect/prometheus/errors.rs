//! Error messages of the Prometheus text grammar, in Prometheus' wording.

use super::*;

/// The token at `i`, for "got …" in messages: the end of line shows as `"\n"`.
pub(super) fn token_at(line: &str, i: usize) -> (String, &'static str) {
    let b = line.as_bytes();
    if i >= b.len() {
        return (go_quote(b"\n"), "INVALID");
    }
    let c = b[i];
    if c == b',' {
        return (go_quote(b","), "COMMA");
    }
    if c.is_ascii_digit() {
        let mut j = i;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        return (go_quote(&b[i..j]), "TIMESTAMP");
    }
    let len = if c < 0x80 {
        1
    } else {
        line[i..].chars().next().map_or(1, char::len_utf8)
    };
    (go_quote(&b[i..(i + len).min(b.len())]), "INVALID")
}

/// `expected <what>, got "<tok>" ("<TYPE>") while parsing: "<line up to the token>"`.
pub(crate) fn expected(what: &str, line: &str, i: usize) -> LineError {
    let (tok, ty) = token_at(line, i);
    let b = line.as_bytes();
    let upto = if i >= b.len() {
        let mut v = b.to_vec();
        v.push(b'\n');
        go_quote(&v)
    } else {
        let len = if b[i] < 0x80 {
            1
        } else {
            line[i..].chars().next().map_or(1, char::len_utf8)
        };
        go_quote(&b[..(i + len).min(b.len())])
    };
    LineError::new(
        ErrorKind::Syntax,
        i,
        format!("expected {what}, got {tok} (\"{ty}\") while parsing: {upto}"),
    )
}

pub(crate) fn value_error(e: ValueError, line: &str, start: usize, end: usize) -> LineError {
    let text = &line.as_bytes()[start..end];
    let upto = go_quote(&line.as_bytes()[..end]);
    let msg = match e {
        ValueError::UnsupportedCharacter => {
            format!("unsupported character in float while parsing: {upto}")
        }
        ValueError::Syntax => {
            format!(
                "strconv.ParseFloat: parsing {}: invalid syntax while parsing: {upto}",
                go_quote(text)
            )
        }
        ValueError::OutOfRange => {
            format!(
                "strconv.ParseFloat: parsing {}: value out of range while parsing: {upto}",
                go_quote(text)
            )
        }
    };
    LineError::new(ErrorKind::InvalidValue, start, msg)
}

pub(super) fn unterminated(line: &str, open: usize) -> LineError {
    LineError::new(
        ErrorKind::Syntax,
        open,
        format!(
            "expected closing quote, got end of line while parsing: {} (a raw line feed inside a quoted string is not allowed)",
            go_quote(line.as_bytes())
        ),
    )
}

pub(super) fn duplicate(line: &str, start: usize, end: usize, escaped: bool) -> LineError {
    let raw = &line[start..end];
    let name = if escaped {
        crate::lex::escape::unescape_label_value(raw)
    } else {
        Cow::Borrowed(raw)
    };
    LineError::new(
        ErrorKind::DuplicateLabel,
        start,
        format!("label name {} is not unique", go_quote(name.as_bytes())),
    )
}

/// The verdict for a line that is not valid UTF-8 (`bytes[bad]` is the first invalid byte).
/// Comments may hold anything; HELP text, label values and quoted names may not; elsewhere the
/// byte is a syntax error anyway.
#[cold]
pub(crate) fn invalid_utf8_line(
    bytes: &[u8],
    bad: usize,
    line_no: u64,
    offset: u64,
    cx: &mut LineCtx,
) -> Result<Option<Event<'static>>, LineError> {
    let i = skip_blanks(bytes, 0);
    let lossy = String::from_utf8_lossy(bytes).into_owned();
    if bytes[i] == b'#' {
        // Decide the line's kind on a lossy copy; only plain comments survive.
        return match comment(&lossy, i, line_no) {
            Ok(Event::Comment(_)) => Ok(Some(Event::Comment(Comment {
                text: Cow::Owned(String::from_utf8_lossy(&bytes[i + 1..]).into_owned()),
                line: line_no,
            }))),
            Ok(Event::Help(_)) => {
                let text_start = help_text_start(bytes, i);
                Err(LineError::new(
                    ErrorKind::InvalidUtf8,
                    bad,
                    format!(
                        "help text {} is not a valid utf8 string",
                        go_quote(&bytes[text_start.min(bytes.len())..])
                    ),
                ))
            }
            Ok(_) => Err(LineError::new(
                ErrorKind::InvalidUtf8,
                bad,
                "invalid UTF-8 in metric name",
            )),
            Err(mut e) => {
                e.col = e.col.min(bad);
                Err(e)
            }
        };
    }
    if inside_quotes(bytes, bad) {
        return Err(LineError::new(
            ErrorKind::InvalidUtf8,
            bad,
            "invalid UTF-8 label value",
        ));
    }
    match sample(&lossy, i, line_no, offset, true, cx) {
        Err(mut e) => {
            e.col = e.col.min(bad);
            Err(e)
        }
        // Unreachable in practice (U+FFFD is never valid outside quotes), but stay safe.
        Ok(_) => Err(expected("a valid start token", &lossy, bad)),
    }
}

pub(super) fn help_text_start(bytes: &[u8], hash: usize) -> usize {
    // '#', blanks, "HELP", blanks, name, one separator.
    let kw = skip_blanks(bytes, hash + 1);
    let n = skip_blanks(bytes, kw + 4);
    let end = if n < bytes.len() && bytes[n] == b'"' {
        scan_quoted(bytes, n, true).map_or(bytes.len(), |q| q.end + 1)
    } else {
        metric_name_end(bytes, n)
    };
    end + 1
}

pub(super) fn inside_quotes(b: &[u8], pos: usize) -> bool {
    let mut inside = false;
    let mut i = 0;
    while i < pos {
        match b[i] {
            b'\\' if inside => i += 1,
            b'"' => inside = !inside,
            _ => {}
        }
        i += 1;
    }
    inside
}
