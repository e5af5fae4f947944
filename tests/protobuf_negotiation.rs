//! Negotiation with protobuf, as Prometheus 3 does it: the Accept header from
//! `scrape_protocols` byte for byte, Content-Type dispatch with `fallback_scrape_protocol`, and
//! bodies that mix text and protobuf caught, not misread.

#[path = "support/pb.rs"]
mod pb;

use promtext::content_type::{
    ContentTypeError, DEFAULT_ACCEPT, Format, PROTO_FIRST_ACCEPT, ScrapeProtocol, accept_header,
    format_for_content_type, mixed_format_error,
};
use promtext::protobuf::write::{Family, Metric, encode_families};
use promtext::protobuf::{ChunkParser, Parser, ReadParser, Settings};
use promtext::{Dialect, ErrorKind};

use ScrapeProtocol::*;

#[test]
fn accept_headers_are_prometheus_bytes() {
    // The expectations of Prometheus' TestAcceptHeader (scrape/scrape_test.go).
    let cases: &[(&[ScrapeProtocol], &str, &str)] = &[
        (&ScrapeProtocol::DEFAULT, "allow-utf-8", DEFAULT_ACCEPT),
        (
            &ScrapeProtocol::DEFAULT,
            "underscores",
            "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=underscores;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
        ),
        (
            &ScrapeProtocol::DEFAULT_PROTO_FIRST,
            "dots",
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=dots;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=dots;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
        ),
        (
            &ScrapeProtocol::DEFAULT_PROTO_FIRST,
            "allow-utf-8",
            PROTO_FIRST_ACCEPT,
        ),
        (
            &[PrometheusProto],
            "allow-utf-8",
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,*/*;q=0.5",
        ),
        (
            &[PrometheusText0_0_4, PrometheusProto],
            "underscores",
            "text/plain;version=0.0.4;q=0.6,application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5,*/*;q=0.4",
        ),
    ];
    for (protocols, escaping, want) in cases {
        assert_eq!(
            accept_header(protocols, escaping),
            *want,
            "{protocols:?} {escaping}"
        );
    }
    assert_eq!(ScrapeProtocol::defaults(false), ScrapeProtocol::DEFAULT);
    assert_eq!(
        ScrapeProtocol::defaults(true),
        ScrapeProtocol::DEFAULT_PROTO_FIRST
    );
    for p in ScrapeProtocol::DEFAULT_PROTO_FIRST {
        assert_eq!(ScrapeProtocol::from_name(p.name()), Some(p));
    }
    assert_eq!(ScrapeProtocol::from_name("PrometheusProto "), None);
}

#[test]
fn content_type_dispatch() {
    let pb = Some(PrometheusProto);
    let cases: &[(&str, Option<ScrapeProtocol>, Result<Format, &str>)] = &[
        (
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited",
            None,
            Ok(Format::Protobuf),
        ),
        // Only the media type counts, as in Prometheus.
        (
            "Application/Vnd.Google.Protobuf",
            None,
            Ok(Format::Protobuf),
        ),
        (
            "application/vnd.google.protobuf; proto=other.Message; encoding=text",
            None,
            Ok(Format::Protobuf),
        ),
        (
            "text/plain; charset=UTF-8",
            pb,
            Ok(Format::Text(Dialect::Prometheus)),
        ),
        (
            "application/openmetrics-text; version=1.0.0",
            pb,
            Ok(Format::Text(Dialect::OpenMetrics)),
        ),
        (
            "",
            None,
            Err(
                "non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target",
            ),
        ),
        ("", pb, Ok(Format::Protobuf)),
        (
            "application/json",
            None,
            Err(
                "received unsupported Content-Type \"application/json\" and no fallback_scrape_protocol specified for target",
            ),
        ),
        ("application/json", pb, Ok(Format::Protobuf)),
        (
            "application/json",
            Some(OpenMetricsText1_0_0),
            Ok(Format::Text(Dialect::OpenMetrics)),
        ),
        (
            "text/",
            None,
            Err(
                "cannot parse Content-Type \"text/\" and no fallback_scrape_protocol for target: mime: expected token after slash",
            ),
        ),
        ("text/", pb, Ok(Format::Protobuf)),
    ];
    for (ct, fallback, want) in cases {
        let got = format_for_content_type(ct, *fallback)
            .map(|n| n.format)
            .map_err(|e| e.to_string());
        assert_eq!(got, (*want).map_err(str::to_string), "{ct:?} {fallback:?}");
        if let (Ok(n), Some(_)) = (format_for_content_type(ct, *fallback), fallback) {
            // A fallback is reported only when it was used.
            let used = ct.is_empty() || ct.starts_with("application/json") || ct == &"text/";
            assert_eq!(n.fallback_reason.is_some(), used, "{ct:?}");
        }
    }
    assert!(matches!(
        promtext::content_type::dialect_for_content_type("application/vnd.google.protobuf", None),
        Err(ContentTypeError::Protobuf { .. })
    ));
}

fn pb_body(name: &str) -> Vec<u8> {
    encode_families(&[Family::gauge(name, "Live.").metric(Metric::new(&[("a", "b")]).value(1.0))])
}

/// The first error of every protobuf front end.
fn pb_errors(body: &[u8]) -> Vec<(ErrorKind, String, u64)> {
    let key = |e: promtext::Error| (e.kind(), e.message().to_string(), e.offset());
    let whole = Parser::new(body, Settings::default())
        .find_map(Result::err)
        .map(key)
        .unwrap();
    let mut c = ChunkParser::new(Settings::default());
    let mut chunked = None;
    for chunk in body.chunks(5) {
        if chunked.is_none() {
            chunked = c.feed(chunk).find_map(Result::err).map(key);
        }
    }
    let chunked = chunked.or_else(|| c.finish().err().map(key)).unwrap();
    let mut r = ReadParser::new(body, Settings::default());
    let read = loop {
        match r.next_event() {
            Some(Err(e)) => break key(e),
            Some(Ok(_)) => {}
            None => panic!("no error"),
        }
    };
    vec![whole, chunked, read]
}

#[test]
fn mixed_bodies_are_caught() {
    let text =
        b"# HELP envoy_server_live Live.\n# TYPE envoy_server_live gauge\nenvoy_server_live{} 1\n"
            .to_vec();

    // Text served as protobuf.
    for e in pb_errors(&text) {
        assert_eq!(
            e,
            (
                ErrorKind::MixedFormat,
                "the body is a text exposition, not protobuf".to_string(),
                0
            )
        );
    }
    for short in [
        &b"up 1\n"[..],
        b"envoy_cluster_upstream_rq{cluster_name=\"a\"} 12\n",
    ] {
        for e in pb_errors(short) {
            assert_eq!(e.0, ErrorKind::MixedFormat, "{short:?}");
        }
    }

    // Protobuf, then text glued on (Istio 1.30.0).
    let mut body = pb_body("envoy_server_live");
    let at = body.len() as u64;
    body.extend_from_slice(&text);
    for e in pb_errors(&body) {
        assert_eq!(
            e,
            (
                ErrorKind::MixedFormat,
                format!(
                    "a text exposition starts at byte {at} of a protobuf body: the body mixes text and protobuf"
                ),
                at
            )
        );
    }

    // Text, then protobuf glued on, parsed as text.
    let mut body = text.clone();
    body.extend(pb_body("envoy_server_live"));
    let err = promtext::parse(&body)
        .find_map(Result::err)
        .expect("text parser fails on protobuf");
    let mixed =
        mixed_format_error(&body, &err, Format::Text(Dialect::Prometheus)).expect("detected");
    assert_eq!(mixed.kind(), ErrorKind::MixedFormat);
    assert_eq!(mixed.offset(), text.len() as u64);
    assert!(
        mixed
            .to_string()
            .contains("the body mixes text and protobuf"),
        "{mixed}"
    );

    // A plain text error stays what it is.
    let bad = b"a{,} 1\n";
    let err = promtext::parse(bad).find_map(Result::err).unwrap();
    assert!(mixed_format_error(bad, &err, Format::Text(Dialect::Prometheus)).is_none());
    // Protobuf that is merely broken is not called text.
    let broken = &pb_body("x")[..6];
    for e in pb_errors(broken) {
        assert_eq!(e.0, ErrorKind::Protobuf);
    }
}
