//! Choosing the dialect from a scrape response's `Content-Type`, and the `Accept` header a
//! scraper sends.
//!
//! The rules are Prometheus 3.x's (`model/textparse/interface.go`, `extractMediaType` and
//! `New`): the header is parsed as Go's `mime.ParseMediaType` parses it, and only the media
//! type decides the parser. `text/plain` with any (or no) version is the Prometheus text
//! format, which is what Envoy sends (`text/plain; charset=UTF-8`);
//! `application/openmetrics-text` with any version is OpenMetrics. A blank, unparsable or
//! unsupported content type fails the scrape unless a fallback protocol is configured
//! (Prometheus' `fallback_scrape_protocol`), in which case the fallback is used and the
//! problem is reported alongside it.

use std::fmt;

use crate::parser::Dialect;

/// The `Accept` header Prometheus 3.x sends by default (scrape protocols OpenMetricsText1.0.0,
/// OpenMetricsText0.0.1, PrometheusText1.0.0, PrometheusText0.0.4, with UTF-8 names allowed),
/// without the protobuf format, which promtext does not parse.
///
/// Built by `acceptHeader` in prometheus/prometheus `scrape/scrape.go`: each protocol's header
/// from `config.ScrapeProtocolsHeaders`, `escaping=allow-utf-8` on the 1.0.0 text formats,
/// q-values counting down from `0.(len(ScrapeProtocolsHeaders)+1)` = `0.6`, and `*/*` last.
/// The exact string is the expectation of the "default scrape protocols with no escaping" case
/// of `TestAcceptHeader` in `scrape/scrape_test.go`.
pub const DEFAULT_ACCEPT: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

/// The media type of the Prometheus text format.
pub const PROMETHEUS_TEXT: &str = "text/plain";
/// The media type of OpenMetrics text.
pub const OPENMETRICS_TEXT: &str = "application/openmetrics-text";
/// The media type of Prometheus' protobuf format (recognised, not parsed by promtext).
pub const PROMETHEUS_PROTOBUF: &str = "application/vnd.google.protobuf";

/// A scrape protocol, as Prometheus' `scrape_protocols` and `fallback_scrape_protocol` name
/// them (the text ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScrapeProtocol {
    /// `OpenMetricsText1.0.0`.
    OpenMetricsText1_0_0,
    /// `OpenMetricsText0.0.1`.
    OpenMetricsText0_0_1,
    /// `PrometheusText1.0.0` (quoted UTF-8 names).
    PrometheusText1_0_0,
    /// `PrometheusText0.0.4`.
    PrometheusText0_0_4,
}

impl ScrapeProtocol {
    /// Prometheus' default order, best first.
    pub const DEFAULT: [ScrapeProtocol; 4] = [
        ScrapeProtocol::OpenMetricsText1_0_0,
        ScrapeProtocol::OpenMetricsText0_0_1,
        ScrapeProtocol::PrometheusText1_0_0,
        ScrapeProtocol::PrometheusText0_0_4,
    ];

    /// The media type and version Prometheus sends for it (`config.ScrapeProtocolsHeaders`).
    pub fn header(self) -> &'static str {
        match self {
            ScrapeProtocol::OpenMetricsText1_0_0 => "application/openmetrics-text;version=1.0.0",
            ScrapeProtocol::OpenMetricsText0_0_1 => "application/openmetrics-text;version=0.0.1",
            ScrapeProtocol::PrometheusText1_0_0 => "text/plain;version=1.0.0",
            ScrapeProtocol::PrometheusText0_0_4 => "text/plain;version=0.0.4",
        }
    }

    /// The dialect that parses it.
    pub fn dialect(self) -> Dialect {
        match self {
            ScrapeProtocol::OpenMetricsText1_0_0 | ScrapeProtocol::OpenMetricsText0_0_1 => {
                Dialect::OpenMetrics
            }
            ScrapeProtocol::PrometheusText1_0_0 | ScrapeProtocol::PrometheusText0_0_4 => {
                Dialect::Prometheus
            }
        }
    }

    /// Whether the protocol carries the `escaping` parameter (the 1.0.0 text formats).
    fn has_escaping(self) -> bool {
        matches!(
            self,
            ScrapeProtocol::OpenMetricsText1_0_0 | ScrapeProtocol::PrometheusText1_0_0
        )
    }
}

/// Builds an `Accept` header the way Prometheus does for `protocols` (best first) and a name
/// escaping scheme (`allow-utf-8`, `underscores`, `dots` or `values`).
///
/// Prometheus numbers the q-values from the size of its protocol table, which also holds the
/// protobuf format, so the first entry gets `q=0.6` whatever the list.
///
/// ```
/// use promtext::content_type::{accept_header, ScrapeProtocol, DEFAULT_ACCEPT};
/// assert_eq!(accept_header(&ScrapeProtocol::DEFAULT, "allow-utf-8"), DEFAULT_ACCEPT);
/// assert_eq!(
///     accept_header(&[ScrapeProtocol::PrometheusText0_0_4], "underscores"),
///     "text/plain;version=0.0.4;q=0.6,*/*;q=0.5"
/// );
/// ```
pub fn accept_header(protocols: &[ScrapeProtocol], escaping: &str) -> String {
    // len(config.ScrapeProtocolsHeaders) + 1: four text protocols, protobuf, plus one.
    let mut weight = 6usize;
    let mut out = String::new();
    for p in protocols {
        out.push_str(p.header());
        if p.has_escaping() {
            out.push_str(";escaping=");
            out.push_str(escaping);
        }
        out.push_str(&format!(";q=0.{weight},"));
        weight = weight.saturating_sub(1);
    }
    out.push_str(&format!("*/*;q=0.{weight}"));
    out
}

/// The dialect chosen for a response, with what the header said.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Negotiated {
    /// The dialect to parse the body with.
    pub dialect: Dialect,
    /// The lowercased media type that was recognised (`text/plain`, …), or `None` when the
    /// fallback was used.
    pub media_type: Option<String>,
    /// The `version` parameter, if any.
    pub version: Option<String>,
    /// The `escaping` parameter, if any (`allow-utf-8`, `underscores`, …).
    pub escaping: Option<String>,
    /// The `charset` parameter, if any.
    pub charset: Option<String>,
    /// Why the fallback was used, when it was (Prometheus logs this as a warning).
    pub fallback_reason: Option<ContentTypeError>,
}

/// Why a `Content-Type` does not select a text dialect.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentTypeError {
    /// The header is missing or blank.
    Blank,
    /// The header is not a valid media type (Go `mime.ParseMediaType` fails).
    Unparsable {
        /// The header value.
        content_type: String,
        /// The parse error, in Go's words (`mime: no media type`, …).
        reason: &'static str,
    },
    /// A valid media type Prometheus does not scrape.
    Unsupported {
        /// The header value.
        content_type: String,
    },
    /// Prometheus' protobuf format: Prometheus would parse it, promtext does not.
    Protobuf {
        /// The header value.
        content_type: String,
    },
}

impl fmt::Display for ContentTypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContentTypeError::Blank => f.write_str(
                "non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target",
            ),
            ContentTypeError::Unparsable {
                content_type,
                reason,
            } => write!(
                f,
                "cannot parse Content-Type {content_type:?} and no fallback_scrape_protocol for target: {reason}"
            ),
            ContentTypeError::Unsupported { content_type } => write!(
                f,
                "received unsupported Content-Type {content_type:?} and no fallback_scrape_protocol specified for target"
            ),
            ContentTypeError::Protobuf { content_type } => write!(
                f,
                "Content-Type {content_type:?} is Prometheus' protobuf format, which promtext does not parse"
            ),
        }
    }
}

impl std::error::Error for ContentTypeError {}

/// Chooses the dialect for a response's `Content-Type` (`""` when the header is missing), as
/// Prometheus 3.x does: `Err` when the header is blank, unparsable or unsupported and there is
/// no `fallback`; with a fallback, `Ok` with the fallback dialect and the reason set.
///
/// ```
/// use promtext::Dialect;
/// use promtext::content_type::{dialect_for_content_type, ContentTypeError};
///
/// // Envoy's /stats/prometheus.
/// let n = dialect_for_content_type("text/plain; charset=UTF-8", None)?;
/// assert_eq!(n.dialect, Dialect::Prometheus);
/// assert_eq!(n.charset.as_deref(), Some("UTF-8"));
///
/// let n = dialect_for_content_type("Application/OpenMetrics-Text; Version=1.0.0; charset=utf-8", None)?;
/// assert_eq!((n.dialect, n.version.as_deref()), (Dialect::OpenMetrics, Some("1.0.0")));
///
/// assert_eq!(dialect_for_content_type("", None), Err(ContentTypeError::Blank));
/// let n = dialect_for_content_type("", Some(Dialect::Prometheus))?;
/// assert_eq!(n.dialect, Dialect::Prometheus);
/// assert_eq!(n.fallback_reason, Some(ContentTypeError::Blank));
/// # Ok::<(), ContentTypeError>(())
/// ```
pub fn dialect_for_content_type(
    content_type: &str,
    fallback: Option<Dialect>,
) -> Result<Negotiated, ContentTypeError> {
    let chosen = |reason: ContentTypeError| match fallback {
        Some(dialect) => Ok(Negotiated {
            dialect,
            media_type: None,
            version: None,
            escaping: None,
            charset: None,
            fallback_reason: Some(reason),
        }),
        None => Err(reason),
    };
    if content_type.is_empty() {
        return chosen(ContentTypeError::Blank);
    }
    let parsed = match parse_media_type(content_type) {
        Ok(p) => p,
        Err(reason) => {
            return chosen(ContentTypeError::Unparsable {
                content_type: content_type.to_string(),
                reason,
            });
        }
    };
    let dialect = match parsed.media_type.as_str() {
        PROMETHEUS_TEXT => Dialect::Prometheus,
        OPENMETRICS_TEXT => Dialect::OpenMetrics,
        PROMETHEUS_PROTOBUF => {
            return Err(ContentTypeError::Protobuf {
                content_type: content_type.to_string(),
            });
        }
        _ => {
            return chosen(ContentTypeError::Unsupported {
                content_type: content_type.to_string(),
            });
        }
    };
    let param = |key: &str| {
        parsed
            .params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    Ok(Negotiated {
        dialect,
        version: param("version"),
        escaping: param("escaping"),
        charset: param("charset"),
        media_type: Some(parsed.media_type),
        fallback_reason: None,
    })
}

/// A media type and its parameters (keys lowercased, values as sent, quotes removed).
#[derive(Clone, Debug, PartialEq, Eq)]
struct MediaType {
    media_type: String,
    params: Vec<(String, String)>,
}

/// Go's `mime.ParseMediaType`, without the RFC 2231 continuations nobody sends here.
fn parse_media_type(v: &str) -> Result<MediaType, &'static str> {
    let base = v.split(';').next().unwrap_or("");
    let media_type = base.to_ascii_lowercase().trim().to_string();
    check_media_type(&media_type)?;
    let mut params: Vec<(String, String)> = Vec::new();
    let mut rest = &v[base.len()..];
    while !rest.is_empty() {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        match consume_param(rest) {
            Some((key, value, after)) => {
                if params.iter().any(|(k, _)| *k == key) {
                    return Err("mime: duplicate parameter name");
                }
                params.push((key, value));
                rest = after;
            }
            None if rest.trim() == ";" => break, // a trailing semicolon is fine
            None => return Err("mime: invalid media parameter"),
        }
    }
    Ok(MediaType { media_type, params })
}

fn check_media_type(s: &str) -> Result<(), &'static str> {
    let (typ, rest) = consume_token(s);
    if typ.is_empty() {
        return Err("mime: no media type");
    }
    if rest.is_empty() {
        return Ok(());
    }
    let Some(sub) = rest.strip_prefix('/') else {
        return Err("mime: expected slash after first token");
    };
    let (subtype, rest) = consume_token(sub);
    if subtype.is_empty() {
        return Err("mime: expected token after slash");
    }
    if !rest.is_empty() {
        return Err("mime: unexpected content after media subtype");
    }
    Ok(())
}

fn is_tspecial(c: char) -> bool {
    "()<>@,;:\\\"/[]?=".contains(c)
}

fn is_token_char(c: char) -> bool {
    c > ' ' && c < '\x7f' && !is_tspecial(c)
}

fn consume_token(v: &str) -> (&str, &str) {
    let end = v.find(|c| !is_token_char(c)).unwrap_or(v.len());
    v.split_at(end)
}

/// `; key=value`: the lowercased key, the value and the rest, or `None` when malformed.
fn consume_param(v: &str) -> Option<(String, String, &str)> {
    let rest = v.trim_start().strip_prefix(';')?.trim_start();
    let (key, rest) = consume_token(rest);
    if key.is_empty() {
        return None;
    }
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let (value, after) = consume_value(rest)?;
    Some((key.to_ascii_lowercase(), value, after))
}

/// A token or a quoted string (a backslash escapes the special characters).
fn consume_value(v: &str) -> Option<(String, &str)> {
    let Some(quoted) = v.strip_prefix('"') else {
        let (token, rest) = consume_token(v);
        return (!token.is_empty()).then(|| (token.to_string(), rest));
    };
    let mut out = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &quoted[i + 1..])),
            '\\' => match quoted[i + 1..].chars().next() {
                Some(n) if is_tspecial(n) => {
                    out.push(n);
                    chars.next();
                }
                _ => out.push('\\'),
            },
            '\r' | '\n' => return None,
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_type_parsing_follows_go() {
        let p = parse_media_type(r#"Text/Plain ; Version="0.0.4" ;charset=utf-8;"#).unwrap();
        assert_eq!(p.media_type, "text/plain");
        assert_eq!(
            p.params,
            [
                ("version".to_string(), "0.0.4".to_string()),
                ("charset".to_string(), "utf-8".to_string())
            ]
        );
        assert_eq!(parse_media_type(""), Err("mime: no media type"));
        assert_eq!(
            parse_media_type("text/"),
            Err("mime: expected token after slash")
        );
        assert_eq!(
            parse_media_type("text plain"),
            Err("mime: expected slash after first token")
        );
        assert_eq!(
            parse_media_type("text/plain x"),
            Err("mime: unexpected content after media subtype")
        );
        assert_eq!(
            parse_media_type("text/plain; charset"),
            Err("mime: invalid media parameter")
        );
        assert_eq!(
            parse_media_type("text/plain; a=1; A=2"),
            Err("mime: duplicate parameter name")
        );
        assert_eq!(
            parse_media_type(r#"text/plain; a="x\"y""#).unwrap().params,
            [("a".to_string(), "x\"y".to_string())]
        );
        assert_eq!(
            parse_media_type(r#"text/plain; a="x"#),
            Err("mime: invalid media parameter")
        );
    }
}
