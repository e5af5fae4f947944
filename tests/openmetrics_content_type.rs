//! Choosing the dialect from `Content-Type` (Prometheus 3.x rules) and the `Accept` header.

use promtext::Dialect;
use promtext::content_type::{
    ContentTypeError, DEFAULT_ACCEPT, ScrapeProtocol, accept_header, dialect_for_content_type,
};

const PROM: Option<Dialect> = Some(Dialect::Prometheus);
const OM: Option<Dialect> = Some(Dialect::OpenMetrics);

/// Header, dialect without a fallback (`None`: an error), version, escaping, charset.
type Row = (
    &'static str,
    Option<Dialect>,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

#[test]
fn content_type_table() {
    let table: &[Row] = &[
        ("text/plain; version=0.0.4", PROM, Some("0.0.4"), None, None),
        (
            "text/plain; version=0.0.4; charset=utf-8",
            PROM,
            Some("0.0.4"),
            None,
            Some("utf-8"),
        ),
        ("text/plain;version=0.0.4", PROM, Some("0.0.4"), None, None),
        (
            "text/plain; version=1.0.0; escaping=allow-utf-8",
            PROM,
            Some("1.0.0"),
            Some("allow-utf-8"),
            None,
        ),
        // Envoy: no version at all.
        ("text/plain; charset=UTF-8", PROM, None, None, Some("UTF-8")),
        ("text/plain", PROM, None, None, None),
        // Case-insensitive media type and parameter names, values kept as sent.
        (
            "TEXT/PLAIN; VERSION=0.0.4; Charset=UTF-8",
            PROM,
            Some("0.0.4"),
            None,
            Some("UTF-8"),
        ),
        // Unknown versions and parameters do not matter: the media type decides.
        (
            "text/plain; version=9.9.9; foo=bar",
            PROM,
            Some("9.9.9"),
            None,
            None,
        ),
        (
            "  text/plain  ;  version = \"0.0.4\" ; ",
            PROM,
            Some("0.0.4"),
            None,
            None,
        ),
        (
            "application/openmetrics-text; version=1.0.0",
            OM,
            Some("1.0.0"),
            None,
            None,
        ),
        (
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            OM,
            Some("1.0.0"),
            None,
            Some("utf-8"),
        ),
        (
            "application/openmetrics-text; version=0.0.1; charset=utf-8",
            OM,
            Some("0.0.1"),
            None,
            Some("utf-8"),
        ),
        (
            "Application/OpenMetrics-Text;Version=\"1.0.0\";escaping=allow-utf-8",
            OM,
            Some("1.0.0"),
            Some("allow-utf-8"),
            None,
        ),
        ("application/openmetrics-text", OM, None, None, None),
        // OpenMetrics 2.0 (experimental, as Prometheus' `openmetrics2` feature) by its version.
        (
            "application/openmetrics-text; version=2.0.0",
            Some(Dialect::OpenMetrics2),
            Some("2.0.0"),
            None,
            None,
        ),
    ];
    for &(header, dialect, version, escaping, charset) in table {
        let n =
            dialect_for_content_type(header, None).unwrap_or_else(|e| panic!("{header:?}: {e}"));
        assert_eq!(Some(n.dialect), dialect, "{header:?}");
        assert_eq!(n.version.as_deref(), version, "{header:?}");
        assert_eq!(n.escaping.as_deref(), escaping, "{header:?}");
        assert_eq!(n.charset.as_deref(), charset, "{header:?}");
        assert_eq!(n.fallback_reason, None, "{header:?}");
        // A fallback changes nothing for a supported type.
        assert_eq!(dialect_for_content_type(header, OM).unwrap(), n);
    }
}

#[test]
fn invalid_or_missing_content_types_need_a_fallback() {
    let unparsable = [
        ("/plain", "mime: no media type"),
        ("   ", "mime: no media type"),
        (";version=0.0.4", "mime: no media type"),
        ("text", ""),
        ("text/", "mime: expected token after slash"),
        ("text plain", "mime: expected slash after first token"),
        (
            "text/plain x",
            "mime: unexpected content after media subtype",
        ),
        ("text/plain; version", "mime: invalid media parameter"),
        ("text/plain; version=", "mime: invalid media parameter"),
        (
            "text/plain; version=\"0.0.4",
            "mime: invalid media parameter",
        ),
        (
            "text/plain; version=0.0.4; version=1.0.0",
            "mime: duplicate parameter name",
        ),
    ];
    for (header, reason) in unparsable {
        let err = dialect_for_content_type(header, None).unwrap_err();
        if header == "text" {
            // A bare token is a valid media type, just not a supported one.
            assert!(
                matches!(err, ContentTypeError::Unsupported { .. }),
                "{header:?}"
            );
        } else {
            assert_eq!(
                err,
                ContentTypeError::Unparsable {
                    content_type: header.to_string(),
                    reason
                },
                "{header:?}"
            );
        }
        for fallback in [Dialect::Prometheus, Dialect::OpenMetrics] {
            let n = dialect_for_content_type(header, Some(fallback)).unwrap();
            assert_eq!(n.dialect, fallback);
            assert_eq!(n.fallback_reason.as_ref(), Some(&err));
            assert_eq!(n.media_type, None);
        }
    }
    for header in ["application/json", "text/html; charset=utf-8", "*/*"] {
        let err = dialect_for_content_type(header, None).unwrap_err();
        assert_eq!(
            err,
            ContentTypeError::Unsupported {
                content_type: header.to_string()
            }
        );
        assert!(
            err.to_string()
                .starts_with("received unsupported Content-Type")
        );
        assert_eq!(
            dialect_for_content_type(header, PROM).unwrap().dialect,
            Dialect::Prometheus
        );
    }
    let err = dialect_for_content_type("", None).unwrap_err();
    assert_eq!(err, ContentTypeError::Blank);
    assert_eq!(
        err.to_string(),
        "non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target"
    );
    let n = dialect_for_content_type("", OM).unwrap();
    assert_eq!(
        (n.dialect, n.fallback_reason),
        (Dialect::OpenMetrics, Some(ContentTypeError::Blank))
    );
    // Protobuf is a format Prometheus knows, so no fallback applies; the text-only chooser refuses
    // it (`format_for_content_type` dispatches it).
    let proto = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
    assert!(matches!(
        dialect_for_content_type(proto, PROM),
        Err(ContentTypeError::Protobuf { .. })
    ));
}

#[test]
fn accept_header_is_prometheus_default() {
    assert_eq!(
        DEFAULT_ACCEPT,
        "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,\
         application/openmetrics-text;version=0.0.1;q=0.5,\
         text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,\
         text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
    );
    assert_eq!(
        accept_header(&ScrapeProtocol::DEFAULT, "allow-utf-8"),
        DEFAULT_ACCEPT
    );
    assert_eq!(
        accept_header(&ScrapeProtocol::DEFAULT, "underscores"),
        "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,\
         application/openmetrics-text;version=0.0.1;q=0.5,\
         text/plain;version=1.0.0;escaping=underscores;q=0.4,\
         text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
    );
    assert_eq!(accept_header(&[], "allow-utf-8"), "*/*;q=0.6");
    // Every entry of the default header selects the dialect of its protocol.
    for p in ScrapeProtocol::DEFAULT {
        assert_eq!(
            dialect_for_content_type(p.header(), None).unwrap().dialect,
            p.dialect()
        );
    }
    for part in DEFAULT_ACCEPT.split(',').filter(|p| !p.starts_with("*/*")) {
        assert!(dialect_for_content_type(part, None).is_ok(), "{part}");
    }
}
