//! Go's `%q` (`strconv.Quote`): how Prometheus prints tokens, label values and names in its
//! messages and in its label-set notation.

use std::fmt::Write as _;

/// Tokens longer than this are quoted by their ends (see [`quote_bounded`]).
pub(crate) const QUOTE_MAX: usize = 100;
/// How much of each end of a longer token is quoted.
const QUOTE_END: usize = 48;

/// Whether Go's `strconv.IsPrint` calls `c` printable: graphic characters and the ASCII
/// space. Go's tables come from Unicode; here the classes that occur in practice are
/// non-printable: controls (Cc), the other space separators (Zs, Zl, Zp), the common format
/// characters (Cf) and private use (Co).
fn is_go_printable(c: char) -> bool {
    if c.is_ascii() {
        return c == ' ' || c.is_ascii_graphic();
    }
    !(c.is_control()
        || matches!(c,
            '\u{a0}' | '\u{ad}' | '\u{1680}' | '\u{2000}'..='\u{200f}' | '\u{2028}'..='\u{202f}'
            | '\u{205f}'..='\u{2064}' | '\u{2066}'..='\u{206f}' | '\u{3000}' | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}' | '\u{e000}'..='\u{f8ff}' | '\u{f0000}'..='\u{10ffff}'
            | '\u{61c}' | '\u{180e}' | '\u{110bd}' | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0001}' | '\u{e0020}'..='\u{e007f}'))
}

/// Go's `%q` of bytes: `"` and `\` escaped, `\a \b \f \n \r \t \v`, other non-printable
/// ASCII as `\xNN`, non-printable characters as `\uNNNN` / `\UNNNNNNNN`, and each byte that
/// is not UTF-8 as `\xNN`.
///
/// ```
/// use promtext::go::quote;
/// assert_eq!(quote(b"a\"b\\\n\x07\xff"), r#""a\"b\\\n\a\xff""#);
/// assert_eq!(quote("tab\t nbsp\u{a0} é".as_bytes()), r#""tab\t nbsp\u00a0 é""#);
/// ```
pub fn quote(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_quoted_char(&mut out, c);
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
    out
}

/// [`quote`] of a string.
///
/// ```
/// assert_eq!(promtext::go::quote_str("le"), "\"le\"");
/// ```
pub fn quote_str(s: &str) -> String {
    quote(s.as_bytes())
}

fn push_quoted_char(out: &mut String, c: char) {
    let _ = write_quoted_char(out, c);
}

fn write_quoted_char(out: &mut impl std::fmt::Write, c: char) -> std::fmt::Result {
    match c {
        '"' => out.write_str("\\\""),
        '\\' => out.write_str("\\\\"),
        '\u{7}' => out.write_str("\\a"),
        '\u{8}' => out.write_str("\\b"),
        '\u{c}' => out.write_str("\\f"),
        '\n' => out.write_str("\\n"),
        '\r' => out.write_str("\\r"),
        '\t' => out.write_str("\\t"),
        '\u{b}' => out.write_str("\\v"),
        c if is_go_printable(c) => out.write_char(c),
        c if (c as u32) < 0x80 => write!(out, "\\x{:02x}", c as u32),
        c if (c as u32) <= 0xffff => write!(out, "\\u{:04x}", c as u32),
        c => write!(out, "\\U{:08x}", c as u32),
    }
}

/// [`quote_str`] into a writer, without allocating: runs of characters that need no escape are written as
/// they are.
pub(crate) fn write_quoted(out: &mut impl std::fmt::Write, s: &str) -> std::fmt::Result {
    out.write_char('"')?;
    let mut last = 0;
    for (i, c) in s.char_indices() {
        if c != '"' && c != '\\' && is_go_printable(c) {
            continue;
        }
        out.write_str(&s[last..i])?;
        write_quoted_char(out, c)?;
        last = i + c.len_utf8();
    }
    out.write_str(&s[last..])?;
    out.write_char('"')
}

/// [`quote`] for error messages: a token longer than [`QUOTE_MAX`] bytes is quoted by its
/// ends with its length, e.g. `"m{a=\"xxx"…"xxx\"} 1" (1048600 bytes)`, so that a hostile
/// 1 MiB line does not make a 2 MiB message.
pub(crate) fn quote_bounded(bytes: &[u8]) -> String {
    if bytes.len() <= QUOTE_MAX {
        return quote(bytes);
    }
    // Cut at UTF-8 boundaries where the bytes are UTF-8, so a character is not split into escapes.
    let mut head = QUOTE_END;
    while head > QUOTE_END - 4 && bytes[head] & 0xc0 == 0x80 {
        head -= 1;
    }
    let mut tail = bytes.len() - QUOTE_END;
    while tail < bytes.len() - QUOTE_END + 4 && bytes[tail] & 0xc0 == 0x80 {
        tail += 1;
    }
    format!(
        "{}…{} ({} bytes)",
        quote(&bytes[..head]),
        quote(&bytes[tail..]),
        bytes.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_matches_go() {
        // Expectations are Go's `fmt.Sprintf("%q", s)`.
        let cases: &[(&[u8], &str)] = &[
            (b"a{b=\"1\",,c", r#""a{b=\"1\",,c""#),
            (b"1\r", r#""1\r""#),
            (b"\xff", r#""\xff""#),
            ("é".as_bytes(), "\"é\""),
            (b"a \n", r#""a \n""#),
            (b"\x00\x01\x7f", r#""\x00\x01\x7f""#),
            (b"\x07\x08\x0b\x0c", r#""\a\b\v\f""#),
            ("\u{85}".as_bytes(), r#""\u0085""#),
            (
                "\u{a0}\u{2028}\u{feff}".as_bytes(),
                r#""\u00a0\u2028\ufeff""#,
            ),
            ("\u{e000}".as_bytes(), r#""\ue000""#),
            ("\u{10fffd}".as_bytes(), r#""\U0010fffd""#),
            ("日本\u{1f600}".as_bytes(), "\"日本\u{1f600}\""),
            (b"a\xe2\x82", r#""a\xe2\x82""#),
        ];
        for (input, want) in cases {
            assert_eq!(quote(input), *want, "{input:?}");
        }
    }

    #[test]
    fn long_tokens_are_quoted_by_their_ends() {
        let exact = "x".repeat(QUOTE_MAX);
        assert_eq!(quote_bounded(exact.as_bytes()), format!("\"{exact}\""));
        let long = format!("m{{a=\"{}\"}} 1", "é".repeat(1 << 19));
        let q = quote_bounded(long.as_bytes());
        assert!(q.len() < 2 * QUOTE_MAX + 40, "{q}");
        assert!(q.starts_with("\"m{a=\\\"ééé"), "{q}");
        assert!(q.ends_with("éé\\\"} 1\" (1048585 bytes)"), "{q}");
        assert!(!q.contains("\\x"), "a character was split: {q}");
    }
}
