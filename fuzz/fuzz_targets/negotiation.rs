//! Negotiation on arbitrary input: Content-Type dispatch never panics and agrees between the
//! text-only and the full chooser; Accept headers from any protocol list keep Prometheus' shape;
//! the mixed-body checks never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use promtext::content_type::{
    Format, ScrapeProtocol, accept_header, dialect_for_content_type, format_for_content_type,
    looks_like_protobuf, looks_like_text, mixed_format_error,
};

const ALL: [ScrapeProtocol; 5] = ScrapeProtocol::DEFAULT_PROTO_FIRST;

fuzz_target!(|input: (&str, Vec<u8>, u8, &[u8])| {
    let (ct, picks, fb, body) = input;
    let fallback = (fb as usize % 6).checked_sub(1).map(|i| ALL[i]);
    let full = format_for_content_type(ct, fallback);
    let text = dialect_for_content_type(ct, None);
    match (&full, format_for_content_type(ct, None)) {
        (_, Ok(n)) if n.format == Format::Protobuf => assert!(text.is_err()),
        (_, Ok(n)) => assert_eq!(text.as_ref().map(|t| t.dialect).ok(), Some(n.dialect)),
        (Ok(n), Err(_)) => {
            assert!(n.fallback_reason.is_some());
            assert_eq!(Some(n.format), fallback.map(|p| p.format()));
        }
        (Err(_), Err(_)) => assert!(fallback.is_none()),
    }
    // Distinct protocols in any order: q-values count down from 0.6, `*/*` last.
    let mut list: Vec<ScrapeProtocol> = Vec::new();
    for p in picks.iter().map(|&b| ALL[b as usize % 5]) {
        if !list.contains(&p) {
            list.push(p);
        }
    }
    let escaping = ["allow-utf-8", "underscores", "dots", "values"][fb as usize % 4];
    let h = accept_header(&list, escaping);
    let parts: Vec<&str> = h.split(',').collect();
    assert_eq!(parts.len(), list.len() + 1);
    for (i, (part, p)) in parts.iter().zip(&list).enumerate() {
        assert!(part.starts_with(p.header()));
        assert!(part.ends_with(&format!(";q=0.{}", 6 - i)));
    }
    assert_eq!(parts[list.len()], format!("*/*;q=0.{}", 6 - list.len()));
    let _ = (looks_like_text(body), looks_like_protobuf(body));
    if let Some(e) = promtext::parse(body).find_map(Result::err) {
        let _ = mixed_format_error(body, &e, Format::Text(promtext::Dialect::Prometheus));
    }
});
