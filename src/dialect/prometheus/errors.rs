//! Error messages of the Prometheus text grammar, in Prometheus' wording.

use super::*;

/// The lexer state Prometheus' text lexer (`promlex.l`) is in where an error is raised: it
/// decides which token a byte is (`=` is `EQUAL` among labels, a digit is `TIMESTAMP` after a
/// value but `INVALID` at the start of a line) and how far the lexer read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Lex {
    /// The start of a line (`INITIAL`).
    Init,
    /// After `# HELP ` / `# TYPE ` (`sMeta1`): a metric name.
    Meta1,
    /// Inside `{…}` (`sLabels`).
    Labels,
    /// After `=` (`sLValue`): a quoted value.
    LValue,
    /// After the series (`sValue`): the value or `{`.
    Value,
    /// After the value (`sTimestamp`).
    Timestamp,
}

/// The token the lexer finds at `i` in state `st` and the index where it stopped: the token's
/// end when a rule matched, the byte no rule continues with otherwise (`INVALID`). The line
/// is seen as Prometheus sees the last line of a body: followed by a line feed (index
/// `line.len()`) and the end of input.
pub(crate) fn lex_at(b: &[u8], i: usize, st: Lex) -> (&'static str, usize) {
    let at = |k: usize| match k.cmp(&b.len()) {
        std::cmp::Ordering::Less => Some(b[k]),
        std::cmp::Ordering::Equal => Some(b'\n'),
        std::cmp::Ordering::Greater => None,
    };
    let Some(c) = at(i) else {
        return ("EOF", i);
    };
    let run = |mut k: usize, f: &dyn Fn(u8) -> bool| {
        while k < b.len() && f(b[k]) {
            k += 1;
        }
        k
    };
    // `"(\\.|[^\\"])*"`: a raw line feed is part of the string; NUL ends it except in a
    // label value, where the lexer skips NULs before matching.
    let quoted = |tok: &'static str, nul_ok: bool| {
        let mut k = i + 1;
        loop {
            match at(k) {
                None => return ("INVALID", k),
                Some(b'"') => return (tok, k + 1),
                Some(b'\\') => match at(k + 1) {
                    Some(0) if nul_ok => k += 2,
                    Some(0 | b'\n') | None => return ("INVALID", k + 1),
                    Some(_) => k += 2,
                },
                Some(0) if !nul_ok => return ("INVALID", k),
                Some(_) => k += 1,
            }
        }
    };
    match st {
        // `\0` at the start of a token is the end of input there.
        Lex::Init if c == 0 => ("EOF", i + 1),
        Lex::Init => ("INVALID", i),
        Lex::Meta1 if c == b'"' => quoted("MNAME", false),
        Lex::Meta1 if is_metric_start(c) => ("MNAME", metric_name_end(b, i + 1)),
        Lex::Labels if c == b'"' => quoted("QSTRING", false),
        Lex::Labels if is_label_start(c) => ("LNAME", label_name_end(b, i + 1)),
        Lex::Labels if c == b'}' => ("BCLOSE", i + 1),
        Lex::Labels if c == b'=' => ("EQUAL", i + 1),
        Lex::Labels if c == b',' => ("COMMA", i + 1),
        Lex::LValue if c == b'"' => quoted("LVALUE", true),
        Lex::Value if c == b'{' => ("BOPEN", i + 1),
        Lex::Value if i < b.len() && !matches!(c, b' ' | b'\t' | 0) => {
            ("VALUE", run(i, &|c| !matches!(c, b'{' | b' ' | b'\t' | 0)))
        }
        Lex::Timestamp if i >= b.len() => ("LINEBREAK", i + 1),
        Lex::Timestamp if c.is_ascii_digit() => ("TIMESTAMP", run(i, &|c| c.is_ascii_digit())),
        _ => ("INVALID", i),
    }
}

/// `b[from..to]` of the line followed by its line feed (at index `b.len()`).
fn with_lf(b: &[u8], from: usize, to: usize) -> Vec<u8> {
    let mut v = b[from.min(b.len())..to.min(b.len())].to_vec();
    if to > b.len() {
        v.push(b'\n');
    }
    v
}

/// `expected <what>, got "<tok>" ("<TYPE>") while parsing: "<line up to tok>"`, as
/// Prometheus' `parseError` prints it: the token from its start to one byte past where the
/// lexer stopped, and the line up to the same byte.
#[cold]
pub(crate) fn expected(what: &str, line: &str, i: usize, st: Lex) -> LineError {
    let b = line.as_bytes();
    let (ty, stop) = lex_at(b, i, st);
    let end = (stop + 1).min(b.len() + 1);
    LineError::new(
        ErrorKind::Syntax,
        i,
        format!(
            "expected {what}, got {} (\"{ty}\") while parsing: {}",
            go_quote(&with_lf(b, i, end)),
            go_quote(&with_lf(b, 0, end))
        ),
    )
}

/// The error for a line whose first non-blank byte is not a token start. A NUL there is
/// where Prometheus' lexer reports the end of input: it stops reading the exposition without
/// an error and drops the rest. promtext rejects the line instead (a deliberate deviation).
#[cold]
pub(super) fn start_token_error(line: &str, i: usize) -> LineError {
    if line.as_bytes()[i] == 0 {
        return LineError::new(
            ErrorKind::Syntax,
            i,
            format!(
                "unexpected NUL byte at the start of a line (Prometheus ends the exposition \
                 here without an error; promtext rejects it) while parsing: {}",
                go_quote(&line.as_bytes()[..=i])
            ),
        );
    }
    expected("a valid start token", line, i, Lex::Init)
}

/// A value token `line[start..end]` that did not parse. Prometheus' value token ends at a NUL
/// byte (`[^{ \t\n]` starts at `\x01` in the generated lexer), so with a NUL inside, the
/// error is the one for the shorter token or for the NUL after it.
#[cold]
pub(super) fn value_token_error(e: ValueError, line: &str, start: usize, end: usize) -> LineError {
    let Some(nul) = memchr::memchr(0, &line.as_bytes()[start..end]).map(|n| start + n) else {
        return value_error(e, line, start, end);
    };
    if nul == start {
        return expected("value after metric", line, nul, Lex::Value);
    }
    match parse_value(&line[start..nul]) {
        Err(e) => value_error(e, line, start, nul),
        Ok(_) => expected("timestamp or new record", line, nul, Lex::Timestamp),
    }
}

/// A HELP/TYPE line whose byte after the metric name is a NUL or starts a multi-byte
/// character. Prometheus takes that one byte as the separator: after a lead byte the text
/// starts with a continuation byte (`# HELP aé`: `help text "\xa9" is not a valid utf8
/// string`, `# TYPE aé counter`: `invalid metric type "\xa9 counter"`); a NUL ends its text
/// token (empty) and is then read as the end of input (`# HELP a\0x`: `linebreak expected
/// after metadata, got "\x00x" ("EOF")`; TYPE: `invalid metric type ""`).
#[cold]
pub(super) fn meta_separator_error(line: &str, sep: usize, is_help: bool) -> LineError {
    let b = line.as_bytes();
    if b[sep] == 0 {
        if !is_help {
            return LineError::new(ErrorKind::InvalidType, sep, "invalid metric type \"\"");
        }
        let (_, stop) = lex_at(b, sep, Lex::Init);
        let end = (stop + 1).min(b.len() + 1);
        return LineError::new(
            ErrorKind::Syntax,
            sep,
            format!(
                "linebreak expected after metadata, got {} (\"EOF\") while parsing: {}",
                go_quote(&with_lf(b, sep, end)),
                go_quote(&with_lf(b, 0, end))
            ),
        );
    }
    let text = &b[sep + 1..];
    if is_help {
        LineError::new(
            ErrorKind::InvalidUtf8,
            sep + 1,
            format!("help text {} is not a valid utf8 string", go_quote(text)),
        )
    } else {
        LineError::new(
            ErrorKind::InvalidType,
            sep + 1,
            format!("invalid metric type {}", go_quote(text)),
        )
    }
}

/// A NUL where Prometheus' lexer reads the end of input inside a comment: anywhere in a
/// comment with no blank after `#` (`#x\0y`), or as the first byte after `# ` (`# \0x`).
/// Prometheus stops reading the exposition there without an error and drops the rest;
/// promtext rejects the line (a deliberate deviation).
#[cold]
pub(super) fn nul_in_comment(line: &str, nul: usize) -> LineError {
    LineError::new(
        ErrorKind::Syntax,
        nul,
        format!(
            "unexpected NUL byte in a comment (Prometheus ends the exposition here without \
             an error; promtext rejects it) while parsing: {}",
            go_quote(&line.as_bytes()[..=nul])
        ),
    )
}

/// Where `b[kw..]` spells `HELP` or `TYPE` and then a blank only once NUL bytes are skipped
/// (`# TY\0PE t counter`, `# TYPE\0 t counter`): the first NUL. Prometheus' lexer skips NULs
/// inside a comment's keyword and reads such a line as metadata.
pub(super) fn nul_keyword(b: &[u8], kw: usize) -> Option<usize> {
    let word: &[u8] = match b[kw] {
        b'H' => b"HELP",
        b'T' => b"TYPE",
        _ => return None,
    };
    // Walks the keyword, skipping NULs after its first byte: stops at the first mismatch,
    // so an ordinary comment costs a byte or two.
    let mut first_nul = None;
    let mut k = kw;
    let mut n = 0;
    while k < b.len() {
        let c = b[k];
        if c == 0 && k > kw {
            first_nul.get_or_insert(k);
        } else if n < word.len() && c == word[n] {
            n += 1;
        } else {
            break;
        }
        k += 1;
    }
    (n == word.len() && k < b.len() && is_blank(b[k]))
        .then_some(first_nul)
        .flatten()
}

/// See [`nul_keyword`]: promtext rejects the line (a deliberate deviation).
#[cold]
pub(super) fn nul_in_keyword(line: &str, nul: usize) -> LineError {
    LineError::new(
        ErrorKind::Syntax,
        nul,
        format!(
            "unexpected NUL byte in a HELP/TYPE keyword (Prometheus skips it and reads the line \
             as metadata; promtext rejects it) while parsing: {}",
            go_quote(&line.as_bytes()[..=nul])
        ),
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

/// A copy of a line that is not valid UTF-8, for the grammar: each byte that is not part of a
/// UTF-8 character becomes an ASCII control byte that `%q` writes as `\xNN` and the line does
/// not hold otherwise (one per distinct invalid byte value). Prometheus' lexers treat both
/// kinds of byte alike in every state (not a name byte, a value or quoted-string or comment
/// byte), and so does the grammar here, so the copy gets the same verdict at the same offsets;
/// [`Substituted::restore`] then names the original bytes in the message, as Go prints them.
pub(crate) struct Substituted {
    pub(crate) text: String,
    /// `(substitute, original)`.
    map: Vec<(u8, u8)>,
}

impl Substituted {
    #[cold]
    pub(crate) fn new(bytes: &[u8]) -> Self {
        let mut free = (0x01u8..=0x06)
            .chain(0x0e..=0x1f)
            .chain([0x7f])
            .filter(|c| !bytes.contains(c));
        let mut map: Vec<(u8, u8)> = Vec::new();
        let mut out = Vec::with_capacity(bytes.len());
        for chunk in bytes.utf8_chunks() {
            out.extend_from_slice(chunk.valid().as_bytes());
            for &bad in chunk.invalid() {
                let sub = match map.iter().find(|&&(_, o)| o == bad) {
                    Some(&(s, _)) => s,
                    // More distinct invalid bytes than free control bytes: the rest share the
                    // last one (the verdict is unchanged; the message may name a wrong byte).
                    None => match free.next() {
                        Some(s) => {
                            map.push((s, bad));
                            s
                        }
                        None => map.last().map_or(0x01, |&(s, _)| s),
                    },
                };
                out.push(sub);
            }
        }
        Substituted {
            text: String::from_utf8(out).unwrap_or_default(),
            map,
        }
    }

    /// The message with each quoted substitute (`\xNN`) written as the original byte.
    #[cold]
    pub(crate) fn restore(&self, mut e: LineError) -> LineError {
        let m = e.message.as_bytes();
        let mut out = String::with_capacity(m.len());
        let mut i = 0;
        while i < m.len() {
            if m[i] == b'\\' {
                if m.get(i + 1) == Some(&b'x') && i + 3 < m.len() {
                    let hex = std::str::from_utf8(&m[i + 2..i + 4]).ok();
                    let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok());
                    if let Some(&(_, orig)) = self.map.iter().find(|&&(s, _)| Some(s) == byte) {
                        out.push_str(&format!("\\x{orig:02x}"));
                        i += 4;
                        continue;
                    }
                }
                // An escaped backslash is two characters: its second is not an escape.
                let n = if m.get(i + 1) == Some(&b'\\') { 2 } else { 1 };
                out.push_str(&e.message[i..i + n]);
                i += n;
                continue;
            }
            let len = e.message[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&e.message[i..i + len]);
            i += len;
        }
        e.message = out;
        e
    }
}

/// The quoted string around `pos`, as (opening quote, index after the closing quote or the
/// line's end).
pub(crate) fn enclosing_quotes(b: &[u8], pos: usize) -> Option<(usize, usize)> {
    let mut open = None;
    let mut i = 0;
    while i < pos {
        match b[i] {
            b'\\' if open.is_some() => i += 1,
            b'"' => open = if open.is_some() { None } else { Some(i) },
            _ => {}
        }
        i += 1;
    }
    let open = open?;
    let close = scan_quoted(b, open, true).map_or(b.len(), |q| q.end + 1);
    Some((open, close))
}

/// Prometheus' error for invalid UTF-8 in the quoted string `b[open..close]`: a label value
/// fails its `utf8.Valid` check as soon as it is read. (A quoted name passes Prometheus'
/// parser and fails at the scrape's label check; promtext rejects it here.)
#[cold]
pub(crate) fn invalid_quoted(b: &[u8], open: usize, close: usize, bad: usize) -> LineError {
    let before = b[..open].iter().rposition(|&c| !matches!(c, b' ' | b'\t'));
    let what = if before.is_some_and(|k| b[k] == b'=') {
        "invalid UTF-8 label value"
    } else {
        "invalid UTF-8 in quoted name"
    };
    LineError::new(
        ErrorKind::InvalidUtf8,
        bad,
        format!("{what}: {}", go_quote(&b[open..close.min(b.len())])),
    )
}

/// The verdict for a line that is not valid UTF-8 (`bytes[bad]` is the first invalid byte).
/// Comments may hold anything; HELP text, label values and quoted names may not; elsewhere the
/// byte is a syntax error anyway, reported as Prometheus reports it.
#[cold]
pub(crate) fn invalid_utf8_line(
    bytes: &[u8],
    bad: usize,
    line_no: u64,
    offset: u64,
    cx: &mut LineCtx,
) -> Result<Option<Event<'static>>, LineError> {
    let sub = Substituted::new(bytes);
    let line = sub.text.as_str();
    let i = skip_blanks(bytes, 0);
    if bytes[i] == b'#' {
        return match comment(line, i, line_no) {
            Ok(Event::Comment(_)) => Ok(Some(Event::Comment(Comment {
                text: Cow::Owned(String::from_utf8_lossy(&bytes[i + 1..]).into_owned()),
                line: line_no,
            }))),
            Ok(Event::Help(h)) => {
                let text_start = h.raw_text.as_ptr() as usize - line.as_ptr() as usize;
                let text = &bytes[text_start.min(bytes.len())..];
                // Only the one-byte separator after the name was invalid: Prometheus takes
                // the rest as the help text; this event cannot borrow the line, so it is an
                // error here (a deliberate deviation for this one shape).
                let msg = if std::str::from_utf8(text).is_ok() {
                    "invalid UTF-8 byte as the separator after the metric name in HELP".to_string()
                } else {
                    format!("help text {} is not a valid utf8 string", go_quote(text))
                };
                Err(LineError::new(ErrorKind::InvalidUtf8, bad, msg))
            }
            // A TYPE line parses only when the invalid byte was the separator: Prometheus
            // reads the type after it; this event cannot borrow the line (deviation).
            Ok(Event::Type(_)) => Err(LineError::new(
                ErrorKind::InvalidUtf8,
                bad,
                "invalid UTF-8 byte as the separator after the metric name in TYPE",
            )),
            Ok(_) => Err(LineError::new(
                ErrorKind::InvalidUtf8,
                bad,
                "invalid UTF-8 in metric name",
            )),
            Err(e) => Err(sub.restore(e)),
        };
    }
    let quoted = enclosing_quotes(bytes, bad);
    match sample(line, i, line_no, offset, true, cx) {
        Err(e) if quoted.is_none_or(|(open, _)| e.col < open) => Err(sub.restore(e)),
        _ => match quoted {
            Some((open, close)) => Err(invalid_quoted(bytes, open, close, bad)),
            // Unreachable: a byte outside quotes is never valid in a sample line.
            None => Err(expected("a valid start token", line, bad, Lex::Init)),
        },
    }
}
