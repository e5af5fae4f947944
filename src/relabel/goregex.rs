//! Go `regexp/syntax` compatibility: translate a Go (RE2, Perl flags) pattern to the `regex` crate's syntax.
//!
//! Prometheus compiles `^(?s:` + user regex + `)$` with Go's regexp. This module translates that *whole* anchored
//! string (so a user regex such as `a)|(b` means what it means to Go) into an equivalent Rust pattern:
//!
//! * `\d \w \s \b` (and their negations) become their ASCII forms, as in Go;
//! * `\Q…\E`, octal escapes and punctuation escapes become plain escaped literals;
//! * `{` that does not start a valid repetition is a literal, as in Go;
//! * class contents are re-emitted canonically, so Rust's nested classes and set operators (`&&`, `--`, `~~`)
//!   never trigger;
//! * group names are removed (Go allows duplicate and digit-leading names; the names are kept in a side table);
//! * constructs Go rejects (`\u263a`, `\p{Letter}`, flags `u x R`, nested repetition, counts above 1000, ...) are
//!   rejected with Go's error text.

use std::fmt;

use regex_syntax::hir::{Hir, HirKind};

/// A regular expression that Go's parser (and so Prometheus) rejects.
///
/// Displays as Prometheus reports it: ``error parsing regexp: <reason>: `<expr>` ``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexError {
    reason: String,
    expr: String,
}

impl RegexError {
    fn new(reason: impl Into<String>, expr: impl Into<String>) -> Self {
        RegexError {
            reason: reason.into(),
            expr: expr.into(),
        }
    }

    /// The reason, e.g. `missing closing )`.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The offending expression text.
    pub fn expr(&self) -> &str {
        &self.expr
    }
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error parsing regexp: {}: `{}`", self.reason, self.expr)
    }
}

impl std::error::Error for RegexError {}

const INVALID_ESCAPE: &str = "invalid escape sequence";
const INVALID_RANGE: &str = "invalid character class range";
const MISSING_BRACKET: &str = "missing closing ]";
const MISSING_PAREN: &str = "missing closing )";
const UNEXPECTED_PAREN: &str = "unexpected )";
const MISSING_REPEAT_ARG: &str = "missing argument to repetition operator";
const INVALID_REPEAT_OP: &str = "invalid nested repetition operator";
const INVALID_REPEAT_SIZE: &str = "invalid repeat count";
const INVALID_PERL_OP: &str = "invalid or unsupported Perl syntax";
const INVALID_NAMED_CAPTURE: &str = "invalid named capture";
const TRAILING_BACKSLASH: &str = "trailing backslash at end of expression";
const NESTING_DEPTH: &str = "expression nests too deeply";

/// Go's Unicode class names (`unicode.Categories` and `unicode.Scripts` of Go 1.23, plus `Any`).
const GO_CLASS_NAMES: &[&str] = &[
    "Any",
    "C",
    "Cc",
    "Cf",
    "Co",
    "Cs",
    "L",
    "Ll",
    "Lm",
    "Lo",
    "Lt",
    "Lu",
    "M",
    "Mc",
    "Me",
    "Mn",
    "N",
    "Nd",
    "Nl",
    "No",
    "P",
    "Pc",
    "Pd",
    "Pe",
    "Pf",
    "Pi",
    "Po",
    "Ps",
    "S",
    "Sc",
    "Sk",
    "Sm",
    "So",
    "Z",
    "Zl",
    "Zp",
    "Zs",
    "Adlam",
    "Ahom",
    "Anatolian_Hieroglyphs",
    "Arabic",
    "Armenian",
    "Avestan",
    "Balinese",
    "Bamum",
    "Bassa_Vah",
    "Batak",
    "Bengali",
    "Bhaiksuki",
    "Bopomofo",
    "Brahmi",
    "Braille",
    "Buginese",
    "Buhid",
    "Canadian_Aboriginal",
    "Carian",
    "Caucasian_Albanian",
    "Chakma",
    "Cham",
    "Cherokee",
    "Chorasmian",
    "Common",
    "Coptic",
    "Cuneiform",
    "Cypriot",
    "Cypro_Minoan",
    "Cyrillic",
    "Deseret",
    "Devanagari",
    "Dives_Akuru",
    "Dogra",
    "Duployan",
    "Egyptian_Hieroglyphs",
    "Elbasan",
    "Elymaic",
    "Ethiopic",
    "Georgian",
    "Glagolitic",
    "Gothic",
    "Grantha",
    "Greek",
    "Gujarati",
    "Gunjala_Gondi",
    "Gurmukhi",
    "Han",
    "Hangul",
    "Hanifi_Rohingya",
    "Hanunoo",
    "Hatran",
    "Hebrew",
    "Hiragana",
    "Imperial_Aramaic",
    "Inherited",
    "Inscriptional_Pahlavi",
    "Inscriptional_Parthian",
    "Javanese",
    "Kaithi",
    "Kannada",
    "Katakana",
    "Kawi",
    "Kayah_Li",
    "Kharoshthi",
    "Khitan_Small_Script",
    "Khmer",
    "Khojki",
    "Khudawadi",
    "Lao",
    "Latin",
    "Lepcha",
    "Limbu",
    "Linear_A",
    "Linear_B",
    "Lisu",
    "Lycian",
    "Lydian",
    "Mahajani",
    "Makasar",
    "Malayalam",
    "Mandaic",
    "Manichaean",
    "Marchen",
    "Masaram_Gondi",
    "Medefaidrin",
    "Meetei_Mayek",
    "Mende_Kikakui",
    "Meroitic_Cursive",
    "Meroitic_Hieroglyphs",
    "Miao",
    "Modi",
    "Mongolian",
    "Mro",
    "Multani",
    "Myanmar",
    "Nabataean",
    "Nag_Mundari",
    "Nandinagari",
    "New_Tai_Lue",
    "Newa",
    "Nko",
    "Nushu",
    "Nyiakeng_Puachue_Hmong",
    "Ogham",
    "Ol_Chiki",
    "Old_Hungarian",
    "Old_Italic",
    "Old_North_Arabian",
    "Old_Permic",
    "Old_Persian",
    "Old_Sogdian",
    "Old_South_Arabian",
    "Old_Turkic",
    "Old_Uyghur",
    "Oriya",
    "Osage",
    "Osmanya",
    "Pahawh_Hmong",
    "Palmyrene",
    "Pau_Cin_Hau",
    "Phags_Pa",
    "Phoenician",
    "Psalter_Pahlavi",
    "Rejang",
    "Runic",
    "Samaritan",
    "Saurashtra",
    "Sharada",
    "Shavian",
    "Siddham",
    "SignWriting",
    "Sinhala",
    "Sogdian",
    "Sora_Sompeng",
    "Soyombo",
    "Sundanese",
    "Syloti_Nagri",
    "Syriac",
    "Tagalog",
    "Tagbanwa",
    "Tai_Le",
    "Tai_Tham",
    "Tai_Viet",
    "Takri",
    "Tamil",
    "Tangsa",
    "Tangut",
    "Telugu",
    "Thaana",
    "Thai",
    "Tibetan",
    "Tifinagh",
    "Tirhuta",
    "Toto",
    "Ugaritic",
    "Vai",
    "Vithkuqi",
    "Wancho",
    "Warang_Citi",
    "Yezidi",
    "Yi",
    "Zanabazar_Square",
];

const POSIX_NAMES: &[&str] = &[
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

/// Go's maximum nesting depth.
const MAX_DEPTH: usize = 1000;

/// Result of translating a Go pattern.
#[derive(Debug, Clone)]
pub(crate) struct Translated {
    /// The equivalent Rust pattern (no group names).
    pub(crate) rust: String,
    /// `names[i]` is the Go name of capture group `i` (group 0 is the whole match).
    pub(crate) names: Vec<Option<String>>,
}

struct Tx<'s> {
    src: &'s str,
    pos: usize,
    out: String,
    names: Vec<Option<String>>,
    /// Open groups.
    depth: usize,
    /// The previous token can take a repetition operator.
    can_repeat: bool,
    /// Start of the previous token when it was a repetition operator.
    last_repeat: Option<usize>,
}

fn push_lit(out: &mut String, c: char) {
    let mut b = [0u8; 4];
    regex_syntax::escape_into(c.encode_utf8(&mut b), out);
}

fn push_class_char(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() || !c.is_ascii() && !c.is_whitespace() {
        out.push(c);
    } else {
        out.push_str(&format!("\\x{{{:X}}}", c as u32));
    }
}

/// `s[..i]`, with `i` moved forward to a char boundary and capped at the end.
fn upto_char(s: &str, i: usize) -> &str {
    let mut j = i.min(s.len());
    while !s.is_char_boundary(j) {
        j += 1;
    }
    &s[..j]
}

/// Parses an integer as Go's `parseInt` does: no leading zeros, `-1` when too big.
fn go_parse_int(s: &str) -> Option<(i64, &str)> {
    let end = s.bytes().take_while(u8::is_ascii_digit).count();
    if end == 0 {
        return None;
    }
    if end >= 2 && s.as_bytes()[0] == b'0' {
        return None;
    }
    let digits = &s[..end];
    let n = if digits.len() >= 8 {
        -1
    } else {
        digits.parse::<i64>().unwrap_or(-1)
    };
    Some((n, &s[end..]))
}

/// Go's `parseRepeat`: `{n}`, `{n,}`, `{n,m}`. Returns (min, max, rest) with max −1 for unbounded.
fn go_parse_repeat(s: &str) -> Option<(i64, i64, &str)> {
    let s = s.strip_prefix('{')?;
    let (mut min, s) = go_parse_int(s)?;
    let (max, s) = if let Some(s) = s.strip_prefix(',') {
        if let Some(rest) = s.strip_prefix('}') {
            return Some((min, -1, rest));
        }
        let (max, s) = go_parse_int(s)?;
        if max < 0 {
            min = -1;
        }
        (max, s)
    } else {
        (min, s)
    };
    let rest = s.strip_prefix('}')?;
    Some((min, max, rest))
}

impl<'s> Tx<'s> {
    fn rest(&self) -> &'s str {
        &self.src[self.pos..]
    }

    fn err(&self, reason: &str, expr: &str) -> RegexError {
        RegexError::new(reason, expr)
    }

    fn run(mut self) -> Result<Translated, RegexError> {
        while let Some(c) = self.rest().chars().next() {
            let start = self.pos;
            let last_repeat = self.last_repeat.take();
            match c {
                '(' => {
                    self.open_group()?;
                }
                ')' => {
                    if self.depth == 0 {
                        return Err(self.err(UNEXPECTED_PAREN, self.src));
                    }
                    self.depth -= 1;
                    self.pos += 1;
                    self.out.push(')');
                    self.can_repeat = true;
                }
                '|' => {
                    self.pos += 1;
                    self.out.push('|');
                    self.can_repeat = false;
                }
                '*' | '+' | '?' => {
                    self.pos += 1;
                    let mut op = String::from(c);
                    if self.rest().starts_with('?') {
                        self.pos += 1;
                        op.push('?');
                    }
                    self.repeat(start, last_repeat, &op)?;
                }
                '{' => match go_parse_repeat(self.rest()) {
                    None => {
                        self.pos += 1;
                        self.out.push_str("\\{");
                        self.can_repeat = true;
                    }
                    Some((min, max, after)) => {
                        let op_len = self.rest().len() - after.len();
                        let op_text = &self.rest()[..op_len];
                        if !(0..=1000).contains(&min) || max > 1000 || (max >= 0 && min > max) {
                            return Err(self.err(INVALID_REPEAT_SIZE, op_text));
                        }
                        let mut op = String::from(op_text);
                        self.pos += op_len;
                        if self.rest().starts_with('?') {
                            self.pos += 1;
                            op.push('?');
                        }
                        self.repeat(start, last_repeat, &op)?;
                    }
                },
                '[' => {
                    self.class()?;
                    self.can_repeat = true;
                }
                '\\' => {
                    self.escape()?;
                }
                '^' | '$' | '.' => {
                    self.pos += 1;
                    self.out.push(c);
                    self.can_repeat = true;
                }
                _ => {
                    self.pos += c.len_utf8();
                    push_lit(&mut self.out, c);
                    self.can_repeat = true;
                }
            }
        }
        if self.depth > 0 {
            return Err(self.err(MISSING_PAREN, self.src));
        }
        Ok(Translated {
            rust: self.out,
            names: self.names,
        })
    }

    fn repeat(
        &mut self,
        start: usize,
        last_repeat: Option<usize>,
        op: &str,
    ) -> Result<(), RegexError> {
        if let Some(lr) = last_repeat {
            return Err(self.err(INVALID_REPEAT_OP, &self.src[lr..self.pos]));
        }
        if !self.can_repeat {
            return Err(self.err(MISSING_REPEAT_ARG, op));
        }
        self.out.push_str(op);
        self.last_repeat = Some(start);
        Ok(())
    }

    fn open_group(&mut self) -> Result<(), RegexError> {
        let s = self.rest();
        if self.depth >= MAX_DEPTH {
            return Err(self.err(NESTING_DEPTH, self.src));
        }
        if !s.starts_with("(?") {
            self.pos += 1;
            self.out.push('(');
            self.names.push(None);
            self.depth += 1;
            self.can_repeat = false;
            return Ok(());
        }
        // Named captures: (?P<name>re) and (?<name>re).
        let begin = if s.starts_with("(?P<") {
            Some(4)
        } else if s.starts_with("(?<") {
            Some(3)
        } else {
            None
        };
        if let Some(begin) = begin {
            let Some(end) = s.find('>') else {
                return Err(self.err(INVALID_NAMED_CAPTURE, s));
            };
            let capture = &s[..end + 1];
            let name = &s[begin..end];
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(self.err(INVALID_NAMED_CAPTURE, capture));
            }
            self.pos += end + 1;
            self.out.push('(');
            self.names.push(Some(name.to_string()));
            self.depth += 1;
            self.can_repeat = false;
            return Ok(());
        }
        // Flags: (?flags) and (?flags:re).
        let mut t = &s[2..];
        let mut sign_neg = false;
        let mut saw_flag = false;
        let mut flags = String::new();
        loop {
            let Some(c) = t.chars().next() else {
                return Err(self.err(MISSING_PAREN, self.src));
            };
            t = &t[c.len_utf8()..];
            match c {
                'i' | 'm' | 's' | 'U' => {
                    flags.push(c);
                    saw_flag = true;
                }
                '-' => {
                    if sign_neg {
                        break;
                    }
                    sign_neg = true;
                    saw_flag = false;
                    flags.push('-');
                }
                ':' | ')' => {
                    if sign_neg && !saw_flag {
                        break;
                    }
                    self.pos += s.len() - t.len();
                    if c == ':' {
                        self.out.push_str("(?");
                        self.out.push_str(&flags);
                        self.out.push(':');
                        self.depth += 1;
                        self.can_repeat = false;
                    } else if !flags.is_empty() {
                        self.out.push_str("(?");
                        self.out.push_str(&flags);
                        self.out.push(')');
                    }
                    return Ok(());
                }
                _ => break,
            }
        }
        Err(self.err(INVALID_PERL_OP, &s[..s.len() - t.len()]))
    }

    /// Parses `\p{..}`/`\pX`/`\P..` at the current position (which starts with `\p` or `\P`) and returns the
    /// Rust class text (`\p{Name}` or `\P{Name}`).
    fn unicode_class(&mut self) -> Result<String, RegexError> {
        let s = self.rest();
        let mut neg = s.as_bytes()[1] == b'P';
        let after = &s[2..];
        let (name, seq_len) = if let Some(body) = after.strip_prefix('{') {
            let Some(end) = body.find('}') else {
                return Err(self.err(INVALID_RANGE, s));
            };
            (&body[..end], 2 + 1 + end + 1)
        } else {
            let Some(c) = after.chars().next() else {
                return Err(self.err(INVALID_RANGE, s));
            };
            (&after[..c.len_utf8()], 2 + c.len_utf8())
        };
        let seq = &s[..seq_len];
        let name = match name.strip_prefix('^') {
            Some(n) => {
                neg = !neg;
                n
            }
            None => name,
        };
        if !GO_CLASS_NAMES.contains(&name) {
            return Err(self.err(INVALID_RANGE, seq));
        }
        self.pos += seq_len;
        Ok(format!("\\{}{{{}}}", if neg { 'P' } else { 'p' }, name))
    }

    /// Go's `parseEscape` for a single-character escape at the current position (which starts with `\`).
    fn char_escape(&mut self) -> Result<char, RegexError> {
        let s = self.rest();
        let Some(c) = s[1..].chars().next() else {
            return Err(self.err(TRAILING_BACKSLASH, ""));
        };
        let t = &s[1 + c.len_utf8()..];
        let bad = |this: &Self| this.err(INVALID_ESCAPE, &s[..1 + c.len_utf8()]);
        let (r, consumed) = match c {
            '1'..='7' if !t.starts_with(|d: char| ('0'..='7').contains(&d)) => {
                return Err(bad(self));
            }
            '0'..='7' => {
                let mut r = c as u32 - '0' as u32;
                let mut n = 2;
                for d in t.bytes().take(2) {
                    if !(b'0'..=b'7').contains(&d) {
                        break;
                    }
                    r = r * 8 + u32::from(d - b'0');
                    n += 1;
                }
                (char::from_u32(r).unwrap_or('\0'), n)
            }
            'x' => {
                if let Some(body) = t.strip_prefix('{') {
                    let end = body.bytes().take_while(u8::is_ascii_hexdigit).count();
                    if end == 0 || !body[end..].starts_with('}') {
                        return Err(self.err(INVALID_ESCAPE, upto_char(s, 2 + 1 + end + 1)));
                    }
                    let v = u32::from_str_radix(&body[..end], 16)
                        .ok()
                        .filter(|&v| v <= 0x10FFFF);
                    let Some(ch) = v.and_then(char::from_u32) else {
                        return Err(self.err(INVALID_ESCAPE, &s[..2 + 1 + end + 1]));
                    };
                    (ch, 2 + 1 + end + 1)
                } else {
                    let hex = t.bytes().take(2).take_while(u8::is_ascii_hexdigit).count();
                    if hex < 2 {
                        return Err(self.err(INVALID_ESCAPE, upto_char(s, 2 + hex + 1)));
                    }
                    let v = u32::from_str_radix(&t[..2], 16).unwrap_or(0);
                    (char::from_u32(v).unwrap_or('\0'), 4)
                }
            }
            'a' => ('\x07', 2),
            'f' => ('\x0C', 2),
            'n' => ('\n', 2),
            'r' => ('\r', 2),
            't' => ('\t', 2),
            'v' => ('\x0B', 2),
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => (c, 2),
            _ => return Err(bad(self)),
        };
        self.pos += consumed;
        Ok(r)
    }

    fn escape(&mut self) -> Result<(), RegexError> {
        let s = self.rest();
        let Some(c) = s[1..].chars().next() else {
            return Err(self.err(TRAILING_BACKSLASH, ""));
        };
        let ascii_class = match c {
            'd' => Some("[0-9]"),
            'D' => Some("[^0-9]"),
            'w' => Some("[0-9A-Za-z_]"),
            'W' => Some("[^0-9A-Za-z_]"),
            's' => Some("[\\t\\n\\x0C\\r ]"),
            'S' => Some("[^\\t\\n\\x0C\\r ]"),
            'b' => Some("(?-u:\\b)"),
            'B' => Some("(?-u:\\B)"),
            'A' => Some("\\A"),
            'z' => Some("\\z"),
            _ => None,
        };
        if let Some(cls) = ascii_class {
            self.pos += 2;
            self.out.push_str(cls);
            self.can_repeat = true;
            return Ok(());
        }
        match c {
            'Q' => {
                let body = &s[2..];
                let (lit, consumed) = match body.find("\\E") {
                    Some(i) => (&body[..i], 2 + i + 2),
                    None => (body, s.len()),
                };
                for ch in lit.chars() {
                    push_lit(&mut self.out, ch);
                }
                if !lit.is_empty() {
                    self.can_repeat = true;
                }
                self.pos += consumed;
                Ok(())
            }
            'p' | 'P' => {
                let cls = self.unicode_class()?;
                self.out.push_str(&cls);
                self.can_repeat = true;
                Ok(())
            }
            _ => {
                let ch = self.char_escape()?;
                push_lit(&mut self.out, ch);
                self.can_repeat = true;
                Ok(())
            }
        }
    }

    fn class(&mut self) -> Result<(), RegexError> {
        let whole = self.rest();
        let class_start = self.pos;
        self.pos += 1;
        let mut out = String::from("[");
        if self.rest().starts_with('^') {
            self.pos += 1;
            out.push('^');
        }
        let missing = |this: &Self| this.err(MISSING_BRACKET, &this.src[class_start..]);
        let mut first = true;
        loop {
            let t = self.rest();
            if t.is_empty() {
                return Err(missing(self));
            }
            if t.starts_with(']') && !first {
                self.pos += 1;
                break;
            }
            first = false;
            // POSIX classes.
            if t.len() > 2 && t.starts_with("[:") {
                if let Some(end) = t[2..].find(":]") {
                    let name = &t[2..2 + end];
                    let base = name.strip_prefix('^').unwrap_or(name);
                    if !POSIX_NAMES.contains(&base) {
                        return Err(self.err(INVALID_RANGE, &t[..2 + end + 2]));
                    }
                    out.push_str(&t[..2 + end + 2]);
                    self.pos += 2 + end + 2;
                    continue;
                }
            }
            if t.starts_with("\\p") || t.starts_with("\\P") {
                let cls = self.unicode_class()?;
                out.push_str(&cls);
                continue;
            }
            if t.len() >= 2 && t.starts_with('\\') {
                let perl = match t.as_bytes()[1] {
                    b'd' => Some("0-9"),
                    b'D' => Some("[^0-9]"),
                    b'w' => Some("0-9A-Za-z_"),
                    b'W' => Some("[^0-9A-Za-z_]"),
                    b's' => Some("\\t\\n\\x0C\\r "),
                    b'S' => Some("[^\\t\\n\\x0C\\r ]"),
                    _ => None,
                };
                if let Some(p) = perl {
                    out.push_str(p);
                    self.pos += 2;
                    continue;
                }
            }
            let rng_start = self.pos;
            let lo = self.class_char(class_start)?;
            let mut hi = lo;
            let t = self.rest();
            if t.len() >= 2 && t.starts_with('-') && !t[1..].starts_with(']') {
                self.pos += 1;
                hi = self.class_char(class_start)?;
                if hi < lo {
                    return Err(self.err(INVALID_RANGE, &self.src[rng_start..self.pos]));
                }
            }
            push_class_char(&mut out, lo);
            if hi != lo {
                out.push('-');
                push_class_char(&mut out, hi);
            }
        }
        let _ = whole;
        out.push(']');
        self.out.push_str(&out);
        Ok(())
    }

    fn class_char(&mut self, class_start: usize) -> Result<char, RegexError> {
        let t = self.rest();
        match t.chars().next() {
            None => Err(self.err(MISSING_BRACKET, &self.src[class_start..])),
            Some('\\') => self.char_escape(),
            Some(c) => {
                self.pos += c.len_utf8();
                Ok(c)
            }
        }
    }
}

/// Translates a complete Go pattern (already anchored by the caller) into Rust syntax.
pub(crate) fn translate(go: &str) -> Result<Translated, RegexError> {
    Tx {
        src: go,
        pos: 0,
        out: String::with_capacity(go.len() + 16),
        names: vec![None],
        depth: 0,
        can_repeat: false,
        last_repeat: None,
    }
    .run()
}

/// Go's `repeatIsValid(re, 1000)`: nested counted repetitions may not multiply beyond 1000.
fn repeat_is_valid(h: &Hir, mut n: u32) -> bool {
    match h.kind() {
        HirKind::Repetition(r) => {
            let m = r.max.unwrap_or(r.min);
            if m > n {
                return false;
            }
            n = n.checked_div(m).unwrap_or(n);
            repeat_is_valid(&r.sub, n)
        }
        HirKind::Capture(c) => repeat_is_valid(&c.sub, n),
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().all(|s| repeat_is_valid(s, n)),
        _ => true,
    }
}

/// A Go regex compiled the way Prometheus anchors it.
#[derive(Debug, Clone)]
pub(crate) struct GoRegex {
    pub(crate) regex: regex::Regex,
    pub(crate) hir: Hir,
    pub(crate) names: Vec<Option<String>>,
}

/// Compiles `^(?s:` + `user` + `)$` with Go semantics.
pub(crate) fn compile_anchored(user: &str) -> Result<GoRegex, RegexError> {
    let anchored = format!("^(?s:{user})$");
    let t = translate(&anchored)?;
    let rust_err = |e: &dyn fmt::Display| {
        let msg = e.to_string();
        let reason = msg
            .lines()
            .rev()
            .find(|l| l.starts_with("error:"))
            .map_or(msg.as_str(), |l| l.trim_start_matches("error:").trim())
            .to_string();
        RegexError::new(reason, anchored.clone())
    };
    let hir = regex_syntax::ParserBuilder::new()
        .nest_limit(2 * MAX_DEPTH as u32 + 16)
        .build()
        .parse(&t.rust)
        .map_err(|e| rust_err(&e))?;
    if !repeat_is_valid(&hir, 1000) {
        return Err(RegexError::new(INVALID_REPEAT_SIZE, anchored.clone()));
    }
    let regex = regex::RegexBuilder::new(&t.rust)
        .nest_limit(2 * MAX_DEPTH as u32 + 16)
        .size_limit(64 << 20)
        .build()
        .map_err(|e| rust_err(&e))?;
    Ok(GoRegex {
        regex,
        hir,
        names: t.names,
    })
}

#[cfg(test)]
mod tests;
