use super::*;

fn ok(p: &str) -> regex::Regex {
    compile_anchored(p)
        .unwrap_or_else(|e| panic!("{p}: {e}"))
        .regex
}
fn err(p: &str) -> String {
    match compile_anchored(p) {
        Ok(_) => panic!("{p} should fail"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn ascii_perl_classes() {
    assert!(!ok(r"\d+").is_match("١٢٣"));
    assert!(ok(r"\d+").is_match("123"));
    assert!(!ok(r"\w").is_match("é"));
    assert!(!ok(r"\s").is_match("\u{a0}"));
    assert!(!ok(r"\s").is_match("\x0B"));
    assert!(ok(r"\s").is_match("\x0C"));
    assert!(ok(r"(?i)\w").is_match("\u{212A}"));
    assert!(ok(r".*\bfoo\b.*").is_match("a foo b"));
    assert!(ok(r".*\bfoo\b.*").is_match("éfoo"));
    assert!(ok(r"[\d-z]+").is_match("1-z"));
    assert!(ok(r"[^\D]").is_match("5"));
    assert!(!ok(r"[^\D]").is_match("a"));
}

#[test]
fn go_only_constructs_translate() {
    assert!(ok(r"\Qa.b\E").is_match("a.b"));
    assert!(!ok(r"\Qa.b\E").is_match("axb"));
    assert!(ok(r"\101").is_match("A"));
    assert!(ok(r"\0").is_match("\0"));
    assert!(ok(r"a{,2}").is_match("a{,2}"));
    assert!(ok(r"[a&&b]").is_match("&"));
    // Go reads `a--` as the (invalid) range a..'-'; a valid range ending in '-' stays a range.
    assert!(ok(r"[!--]").is_match(","));
    assert!(ok(r"[a-]").is_match("-"));
    assert!(ok(r"[a~~b]").is_match("~"));
    assert!(ok(r"\<").is_match("<"));
    assert!(ok(r"\b{start}").is_match("{start}") || !ok(r"\b{start}").is_match("{start}"));
    assert!(ok(r"\p{^L}").is_match("1"));
    assert!(ok(r"\pL").is_match("é"));
    assert!(ok(r"\p{Greek}").is_match("α"));
    assert!(ok(r"(?P<1x>a)(?<n>b)").is_match("ab"));
    assert!(ok(r"(?P<n>a)|(?P<n>b)").is_match("b"));
    assert!(ok(r"[a[b]+").is_match("[ab"));
    assert!(ok(r"[]a]").is_match("]"));
    assert!(ok(r"(?)a").is_match("a"));
    assert!(ok(r"x*").is_match("xx"));
}

#[test]
fn anchoring_is_textual() {
    // `a)|(b` becomes `^(?s:a)|(b)$`, which Go accepts.
    let r = ok("a)|(b");
    assert!(r.is_match("a"));
    assert!(r.is_match("xxb"));
    assert!(r.is_match("axx"));
}

proptest::proptest! {
    #[test]
    fn never_panics(p in "(\\\\|[(){}\\[\\]?*+|.^$:<>PQExpd0-9a-z,-]|\\PC){0,12}") {
        let _ = compile_anchored(&p);
    }
}

#[test]
fn multibyte_after_escapes() {
    for p in [
        r"\xé",
        r"\x{é",
        r"\x{1é",
        r"\pé",
        r"\p{é",
        r"[\xé]",
        r"(?P<é>a)",
        r"(?é)",
        "\\é",
    ] {
        assert!(compile_anchored(p).is_err(), "{p}");
    }
}

#[test]
fn go_errors() {
    assert_eq!(
        err("abc(def"),
        "error parsing regexp: missing closing ): `^(?s:abc(def)$`"
    );
    assert_eq!(
        err("a**"),
        "error parsing regexp: invalid nested repetition operator: `**`"
    );
    assert_eq!(
        err("a++"),
        "error parsing regexp: invalid nested repetition operator: `++`"
    );
    assert_eq!(
        err("a*+"),
        "error parsing regexp: invalid nested repetition operator: `*+`"
    );
    assert_eq!(
        err("a{1,2}{3}"),
        "error parsing regexp: invalid nested repetition operator: `{1,2}{3}`"
    );
    assert_eq!(
        err("x{1001}"),
        "error parsing regexp: invalid repeat count: `{1001}`"
    );
    assert_eq!(
        err(r"\u263a"),
        "error parsing regexp: invalid escape sequence: `\\u`"
    );
    assert_eq!(
        err(r"\p{Letter}"),
        "error parsing regexp: invalid character class range: `\\p{Letter}`"
    );
    assert_eq!(
        err("(?x)a"),
        "error parsing regexp: invalid or unsupported Perl syntax: `(?x`"
    );
    assert_eq!(
        err("(?u)a"),
        "error parsing regexp: invalid or unsupported Perl syntax: `(?u`"
    );
    assert_eq!(
        err("*a"),
        "error parsing regexp: missing argument to repetition operator: `*`"
    );
    assert_eq!(
        err(r"\8"),
        "error parsing regexp: invalid escape sequence: `\\8`"
    );
    assert_eq!(
        err(r"\1"),
        "error parsing regexp: invalid escape sequence: `\\1`"
    );
    assert_eq!(
        err("[a--b]"),
        "error parsing regexp: invalid character class range: `a--`"
    );
    assert_eq!(
        err("[z-a]"),
        "error parsing regexp: invalid character class range: `z-a`"
    );
    assert_eq!(
        err("(?=a)"),
        "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"
    );
    assert_eq!(
        err("(?P<a-b>x)"),
        "error parsing regexp: invalid named capture: `(?P<a-b>`"
    );
    assert_eq!(err("a)"), "error parsing regexp: unexpected ): `^(?s:a))$`");
    assert_eq!(
        err("[abc"),
        "error parsing regexp: missing closing ]: `[abc)$`"
    );
    assert!(err(r"a\").starts_with("error parsing regexp: "));
    assert!(err("(x{500}){3}").starts_with("error parsing regexp: invalid repeat count"));
    assert!(err(r"\Z").starts_with("error parsing regexp: invalid escape sequence"));
    assert!(err(r"\C").starts_with("error parsing regexp: invalid escape sequence"));
}
