//! Choosing the format from a scrape response's `Content-Type`, the `Accept` header a scraper
//! sends, and catching bodies that mix text and protobuf.
//!
//! The rules are Prometheus 3.x's (`model/textparse/interface.go`, `extractMediaType` and
//! `New`): the header is parsed as Go's `mime.ParseMediaType` parses it, and only the media
//! type decides the parser. `text/plain` with any (or no) version is the Prometheus text
//! format, which is what Envoy sends (`text/plain; charset=UTF-8`);
//! `application/openmetrics-text` with any version is OpenMetrics;
//! `application/vnd.google.protobuf` is the protobuf exposition ([`format_for_content_type`]).
//! A blank, unparsable or unsupported content type fails the scrape unless a fallback protocol
//! is configured (Prometheus' `fallback_scrape_protocol`), in which case the fallback is used
//! and the problem is reported alongside it.

use std::fmt;

use crate::settings::Dialect;

/// The `Accept` header Prometheus 3.x sends by default (scrape protocols OpenMetricsText1.0.0,
/// OpenMetricsText0.0.1, PrometheusText1.0.0, PrometheusText0.0.4, with UTF-8 names allowed).
///
/// Built by `acceptHeader` in prometheus/prometheus `scrape/scrape.go`: each protocol's header
/// from `config.ScrapeProtocolsHeaders`, `escaping=allow-utf-8` on the 1.0.0 text formats,
/// q-values counting down from `0.(len(ScrapeProtocolsHeaders)+1)` = `0.6`, and `*/*` last.
/// The exact string is the expectation of the "default scrape protocols with no escaping" case
/// of `TestAcceptHeader` in `scrape/scrape_test.go`.
pub const DEFAULT_ACCEPT: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

/// The `Accept` header Prometheus 3.x sends when native histograms are scraped
/// (`scrape_native_histograms`): [`ScrapeProtocol::DEFAULT_PROTO_FIRST`], protobuf first.
/// The expectation of the "default proto first scrape protocols" cases of `TestAcceptHeader`,
/// with `allow-utf-8` escaping.
pub const PROTO_FIRST_ACCEPT: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";

/// The media type of the Prometheus text format.
pub const PROMETHEUS_TEXT: &str = "text/plain";
/// The media type of OpenMetrics text.
pub const OPENMETRICS_TEXT: &str = "application/openmetrics-text";
/// The media type of Prometheus' protobuf format ([`crate::protobuf`]).
pub const PROMETHEUS_PROTOBUF: &str = "application/vnd.google.protobuf";

/// A scrape protocol, as Prometheus' `scrape_protocols` and `fallback_scrape_protocol` name
/// them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScrapeProtocol {
    /// `PrometheusProto`: the delimited protobuf exposition.
    PrometheusProto,
    /// `OpenMetricsText1.0.0`.
    OpenMetricsText1_0_0,
    /// `OpenMetricsText0.0.1`.
    OpenMetricsText0_0_1,
    /// `PrometheusText1.0.0` (quoted UTF-8 names).
    PrometheusText1_0_0,
    /// `PrometheusText0.0.4`.
    PrometheusText0_0_4,
    /// `OpenMetricsText2.0.0`: OpenMetrics 2.0, experimental (Prometheus'
    /// `--enable-feature=openmetrics2`); in no default list.
    OpenMetricsText2_0_0,
}

impl ScrapeProtocol {
    /// Prometheus' default order, best first.
    pub const DEFAULT: [ScrapeProtocol; 4] = [
        ScrapeProtocol::OpenMetricsText1_0_0,
        ScrapeProtocol::OpenMetricsText0_0_1,
        ScrapeProtocol::PrometheusText1_0_0,
        ScrapeProtocol::PrometheusText0_0_4,
    ];

    /// Prometheus' order when native histograms are scraped (`DefaultProtoFirstScrapeProtocols`).
    pub const DEFAULT_PROTO_FIRST: [ScrapeProtocol; 5] = [
        ScrapeProtocol::PrometheusProto,
        ScrapeProtocol::OpenMetricsText1_0_0,
        ScrapeProtocol::OpenMetricsText0_0_1,
        ScrapeProtocol::PrometheusText1_0_0,
        ScrapeProtocol::PrometheusText0_0_4,
    ];

    /// The protocols Prometheus 3 asks for when `scrape_protocols` is not set: protobuf first
    /// when native histograms are scraped.
    ///
    /// ```
    /// use promtext::content_type::{ScrapeProtocol, accept_header, PROTO_FIRST_ACCEPT};
    /// assert_eq!(accept_header(ScrapeProtocol::defaults(true), "allow-utf-8"), PROTO_FIRST_ACCEPT);
    /// ```
    pub fn defaults(native_histograms: bool) -> &'static [ScrapeProtocol] {
        if native_histograms {
            &Self::DEFAULT_PROTO_FIRST
        } else {
            &Self::DEFAULT
        }
    }

    /// The name in Prometheus' configuration (`PrometheusProto`, `OpenMetricsText1.0.0`, …).
    pub fn name(self) -> &'static str {
        match self {
            ScrapeProtocol::PrometheusProto => "PrometheusProto",
            ScrapeProtocol::OpenMetricsText1_0_0 => "OpenMetricsText1.0.0",
            ScrapeProtocol::OpenMetricsText0_0_1 => "OpenMetricsText0.0.1",
            ScrapeProtocol::PrometheusText1_0_0 => "PrometheusText1.0.0",
            ScrapeProtocol::PrometheusText0_0_4 => "PrometheusText0.0.4",
            ScrapeProtocol::OpenMetricsText2_0_0 => "OpenMetricsText2.0.0",
        }
    }

    /// Parses a configuration name (exact, as Prometheus' `ScrapeProtocol.Validate`).
    ///
    /// ```
    /// use promtext::content_type::ScrapeProtocol;
    /// assert_eq!(ScrapeProtocol::from_name("PrometheusProto"), Some(ScrapeProtocol::PrometheusProto));
    /// assert_eq!(ScrapeProtocol::from_name("prometheusproto"), None);
    /// assert_eq!(ScrapeProtocol::from_name("OpenMetricsText2.0.0"), Some(ScrapeProtocol::OpenMetricsText2_0_0));
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        [
            ScrapeProtocol::PrometheusProto,
            ScrapeProtocol::OpenMetricsText2_0_0,
        ]
        .into_iter()
        .chain(Self::DEFAULT)
        .find(|p| p.name() == name)
    }

    /// The format that parses it.
    pub fn format(self) -> Format {
        match self {
            ScrapeProtocol::PrometheusProto => Format::Protobuf,
            _ => Format::Text(self.dialect()),
        }
    }

    /// The media type and version Prometheus sends for it (`config.ScrapeProtocolsHeaders`).
    pub fn header(self) -> &'static str {
        match self {
            ScrapeProtocol::PrometheusProto => {
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
            }
            ScrapeProtocol::OpenMetricsText1_0_0 => "application/openmetrics-text;version=1.0.0",
            ScrapeProtocol::OpenMetricsText0_0_1 => "application/openmetrics-text;version=0.0.1",
            ScrapeProtocol::PrometheusText1_0_0 => "text/plain;version=1.0.0",
            ScrapeProtocol::PrometheusText0_0_4 => "text/plain;version=0.0.4",
            ScrapeProtocol::OpenMetricsText2_0_0 => "application/openmetrics-text;version=2.0.0",
        }
    }

    /// The text dialect that parses it; [`Dialect::Prometheus`] for `PrometheusProto`, which
    /// has none (see [`ScrapeProtocol::format`]).
    pub fn dialect(self) -> Dialect {
        match self {
            ScrapeProtocol::OpenMetricsText1_0_0 | ScrapeProtocol::OpenMetricsText0_0_1 => {
                Dialect::OpenMetrics
            }
            ScrapeProtocol::OpenMetricsText2_0_0 => Dialect::OpenMetrics2,
            ScrapeProtocol::PrometheusText1_0_0
            | ScrapeProtocol::PrometheusText0_0_4
            | ScrapeProtocol::PrometheusProto => Dialect::Prometheus,
        }
    }

    /// Whether the protocol carries the `escaping` parameter (the 1.0.0 text formats).
    fn has_escaping(self) -> bool {
        matches!(
            self,
            ScrapeProtocol::OpenMetricsText1_0_0
                | ScrapeProtocol::PrometheusText1_0_0
                | ScrapeProtocol::OpenMetricsText2_0_0
        )
    }
}

/// Builds an `Accept` header the way Prometheus does for `protocols` (best first) and a name
/// escaping scheme (`allow-utf-8`, `underscores`, `dots` or `values`).
///
/// Prometheus numbers the q-values from the size of its protocol table (five protocols), so
/// the first entry gets `q=0.6` whatever the list; the protobuf entry carries no `escaping`.
///
/// ```
/// use promtext::content_type::{accept_header, ScrapeProtocol, DEFAULT_ACCEPT};
/// assert_eq!(accept_header(&ScrapeProtocol::DEFAULT, "allow-utf-8"), DEFAULT_ACCEPT);
/// assert_eq!(
///     accept_header(&[ScrapeProtocol::PrometheusText0_0_4], "underscores"),
///     "text/plain;version=0.0.4;q=0.6,*/*;q=0.5"
/// );
/// // OpenMetrics 2.0 only when asked for (it is in no default list).
/// assert_eq!(
///     accept_header(&[ScrapeProtocol::OpenMetricsText2_0_0, ScrapeProtocol::OpenMetricsText1_0_0], "allow-utf-8"),
///     "application/openmetrics-text;version=2.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,*/*;q=0.4"
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

/// An exposition format: one of the text dialects, or the protobuf exposition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// A text dialect ([`crate::Parser`] and friends).
    Text(Dialect),
    /// The delimited protobuf exposition ([`crate::protobuf`]).
    Protobuf,
}

impl Default for Format {
    /// The Prometheus text format.
    fn default() -> Self {
        Format::Text(Dialect::Prometheus)
    }
}

/// The dialect chosen for a response, with what the header said.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Negotiated {
    /// The format to parse the body with ([`format_for_content_type`]; always a text dialect
    /// from [`dialect_for_content_type`]).
    pub format: Format,
    /// The text dialect to parse the body with ([`Dialect::Prometheus`] when `format` is
    /// protobuf).
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
    /// Prometheus' protobuf format, from [`dialect_for_content_type`], which chooses among the
    /// text dialects only ([`format_for_content_type`] accepts it).
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
                "Content-Type {content_type:?} is Prometheus' protobuf format, not a text format"
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
/// // OpenMetrics 2.0 (experimental) by its version.
/// let n = dialect_for_content_type("application/openmetrics-text; version=2.0.0; charset=utf-8", None)?;
/// assert_eq!(n.dialect, Dialect::OpenMetrics2);
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
    let fallback = fallback.map(|d| match d {
        Dialect::OpenMetrics => ScrapeProtocol::OpenMetricsText1_0_0,
        Dialect::OpenMetrics2 => ScrapeProtocol::OpenMetricsText2_0_0,
        _ => ScrapeProtocol::PrometheusText0_0_4,
    });
    let n = format_for_content_type(content_type, fallback)?;
    if n.format == Format::Protobuf {
        return Err(ContentTypeError::Protobuf {
            content_type: content_type.to_string(),
        });
    }
    Ok(n)
}

/// Chooses the format for a response's `Content-Type` (`""` when the header is missing) as
/// Prometheus 3.x does, protobuf included: `Err` when the header is blank, unparsable or
/// unsupported and there is no `fallback` (Prometheus' `fallback_scrape_protocol`); with
/// one, `Ok` with the fallback's format and the reason set. Only the media type counts:
/// Prometheus checks neither `proto=` nor `encoding=`.
///
/// ```
/// use promtext::content_type::{format_for_content_type, ContentTypeError, Format, ScrapeProtocol};
///
/// let envoy_pb = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
/// assert_eq!(format_for_content_type(envoy_pb, None)?.format, Format::Protobuf);
///
/// let n = format_for_content_type("application/json", Some(ScrapeProtocol::PrometheusProto))?;
/// assert_eq!(n.format, Format::Protobuf);
/// assert!(matches!(n.fallback_reason, Some(ContentTypeError::Unsupported { .. })));
/// # Ok::<(), ContentTypeError>(())
/// ```
pub fn format_for_content_type(
    content_type: &str,
    fallback: Option<ScrapeProtocol>,
) -> Result<Negotiated, ContentTypeError> {
    let chosen = |reason: ContentTypeError| match fallback {
        Some(p) => Ok(Negotiated {
            format: p.format(),
            dialect: p.dialect(),
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
    let om2 = parsed
        .params
        .iter()
        .any(|(k, v)| k == "version" && v.starts_with("2."));
    let format = match parsed.media_type.as_str() {
        PROMETHEUS_TEXT => Format::Text(Dialect::Prometheus),
        // OpenMetrics 2.0 is told apart by its version alone (`version=2.0.0`).
        OPENMETRICS_TEXT if om2 => Format::Text(Dialect::OpenMetrics2),
        OPENMETRICS_TEXT => Format::Text(Dialect::OpenMetrics),
        PROMETHEUS_PROTOBUF => Format::Protobuf,
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
        format,
        dialect: match format {
            Format::Text(d) => d,
            Format::Protobuf => Dialect::Prometheus,
        },
        version: param("version"),
        escaping: param("escaping"),
        charset: param("charset"),
        media_type: Some(parsed.media_type),
        fallback_reason: None,
    })
}

/// Whether `b` starts like a text exposition: its first 16 bytes (or all, if fewer), up to a
/// first line feed, are at least 3 printable ASCII bytes beginning a `#` line or a metric name.
/// A protobuf family never does: its second or third byte is the name's key, `0x0a`.
///
/// ```
/// use promtext::content_type::looks_like_text;
/// assert!(looks_like_text(b"# HELP envoy_server_live"));
/// assert!(looks_like_text(b"envoy_server_live{} 1\n"));
/// assert!(!looks_like_text(b"\x1c\x0a\x05bad_h"));
/// ```
pub fn looks_like_text(b: &[u8]) -> bool {
    let head = &b[..b.len().min(16)];
    let head = match memchr::memchr(b'\n', head) {
        Some(i) => &head[..i],
        None => head,
    };
    head.len() >= 3
        && head
            .iter()
            .all(|&c| c == b'\t' || (0x20..0x7f).contains(&c))
        && (head.starts_with(b"# ")
            || head[0].is_ascii_alphabetic()
            || head[0] == b'_'
            || head[0] == b':')
}

/// Whether `b` starts with a complete, valid delimited `MetricFamily` whose name comes first
/// (as every encoder writes it).
pub fn looks_like_protobuf(b: &[u8]) -> bool {
    let mut p = 0;
    let Ok(len) = crate::protobuf::read_len(b, &mut p) else {
        return false;
    };
    len >= 3
        && b.get(p) == Some(&0x0a)
        && b.len() - p >= len
        && crate::protobuf::family_ok(&b[p..p + len])
}

/// The error for a body that mixes formats: `parsed_as` failed with `err`; if what lies at
/// the failing spot is the other format, the error says so ([`crate::ErrorKind::MixedFormat`]),
/// else `None`. For text, the spot is the start of the failing line; for protobuf, the reader
/// itself reports text where a family should start.
///
/// ```
/// use promtext::content_type::{Format, mixed_format_error};
/// use promtext::protobuf::write::{Family, Metric, encode_families};
/// let mut body = b"envoy_server_live{} 1\n".to_vec();
/// body.extend(encode_families(&[Family::gauge("envoy_server_live", "").metric(Metric::new(&[]).value(1.0))]));
/// let err = promtext::parse(&body).find_map(Result::err).unwrap();
/// let mixed = mixed_format_error(&body, &err, Format::Text(promtext::Dialect::Prometheus)).unwrap();
/// assert_eq!(mixed.kind(), promtext::ErrorKind::MixedFormat);
/// assert_eq!(mixed.offset(), 22);
/// ```
pub fn mixed_format_error(
    body: &[u8],
    err: &crate::Error,
    parsed_as: Format,
) -> Option<crate::Error> {
    if err.kind() == crate::ErrorKind::MixedFormat {
        return None;
    }
    let at = (err.offset() as usize).min(body.len());
    match parsed_as {
        Format::Text(_) => {
            let start = memchr::memrchr(b'\n', &body[..at]).map_or(0, |i| i + 1);
            looks_like_protobuf(&body[start..]).then(|| text_mixed(err, start as u64))
        }
        Format::Protobuf => None,
    }
}

fn text_mixed(err: &crate::Error, start: u64) -> crate::Error {
    crate::Error::new(
        crate::ErrorKind::MixedFormat,
        format!(
            "a protobuf MetricFamily starts at byte {start} of a text body: the body mixes text and protobuf"
        ),
        err.line(),
        1,
        start,
    )
}

/// A family prefix (a varint of at most 10 bytes) and its `0x0a` key: a line holding a family
/// start has its first line feed within this many bytes.
const FAMILY_HEAD: u64 = 11;

/// [`mixed_format_error`] for a text body that streams: the same verdict on the same body,
/// however it is cut, without keeping the body.
///
/// Feed it what the text parser is fed: [`MixedTextCheck::on_error`] with the first error and
/// the chunk whose events gave it (empty for an error of the parser's `finish`), else
/// [`MixedTextCheck::advance`] with each chunk once its events are taken. A line that starts a
/// protobuf family has its first line feed within 11 bytes, so only the last 11 bytes before a
/// chunk are kept; after an error, the bytes from the failing line's start are kept until the
/// family its prefix claims is complete ([`MixedTextCheck::more`], [`MixedTextCheck::end`]), at
/// most [`protobuf::DEFAULT_MAX_FAMILY_LEN`](crate::protobuf::DEFAULT_MAX_FAMILY_LEN) bytes (the
/// protobuf reader's own limit: a larger claim is not taken as protobuf).
///
/// ```
/// use promtext::content_type::MixedTextCheck;
/// use promtext::protobuf::write::{Family, Metric, encode_families};
/// use promtext::{ChunkParser, ErrorKind, Settings};
/// let mut body = b"envoy_server_live{} 1\n".to_vec();
/// body.extend(encode_families(&[Family::gauge("envoy_server_live", "").metric(Metric::new(&[]).value(1.0))]));
/// let (mut parser, mut check) = (ChunkParser::new(Settings::default()), MixedTextCheck::new());
/// let mut verdict = None;
/// for chunk in body.chunks(7) {
///     if check.is_pending() {
///         verdict = check.more(chunk);
///     } else if let Some(e) = parser.feed(chunk).find_map(Result::err) {
///         verdict = check.on_error(e, chunk);
///     } else {
///         check.advance(chunk);
///     }
///     if verdict.is_some() {
///         break;
///     }
/// }
/// let err = verdict.or_else(|| check.end()).unwrap();
/// assert_eq!((err.kind(), err.offset()), (ErrorKind::MixedFormat, 22));
/// ```
#[derive(Debug, Default)]
pub struct MixedTextCheck {
    /// Body bytes before the current chunk.
    seen: u64,
    /// The last bytes before the current chunk, right-aligned.
    tail: [u8; FAMILY_HEAD as usize],
    pending: Option<Pending>,
}

#[derive(Debug)]
struct Pending {
    err: crate::Error,
    start: u64,
    /// The body from `start` on, as far as it arrived.
    bytes: Vec<u8>,
}

/// What the bytes from a line start say so far: `Some(verdict)` or `None` (need more).
fn decide(b: &[u8]) -> Option<bool> {
    let mut p = 0;
    let len = match crate::protobuf::read_len(b, &mut p) {
        Ok(len) => len,
        // A truncated varint may still complete.
        Err(()) if b.len() < 10 && b.iter().all(|&c| c >= 0x80) => return None,
        Err(()) => return Some(false),
    };
    if len < 3 || b.get(p).is_some_and(|&c| c != 0x0a) {
        return Some(false);
    }
    if len > crate::protobuf::DEFAULT_MAX_FAMILY_LEN {
        return Some(false);
    }
    if b.len() - p < len {
        return None;
    }
    Some(looks_like_protobuf(&b[..p + len]))
}

impl MixedTextCheck {
    /// A check at the start of a body.
    pub fn new() -> Self {
        MixedTextCheck::default()
    }

    /// Whether a verdict waits for more of the body.
    pub fn is_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Takes a chunk whose events had no error.
    pub fn advance(&mut self, chunk: &[u8]) {
        let n = FAMILY_HEAD as usize;
        if chunk.len() >= n {
            self.tail.copy_from_slice(&chunk[chunk.len() - n..]);
        } else {
            self.tail.copy_within(chunk.len().., 0);
            self.tail[n - chunk.len()..].copy_from_slice(chunk);
        }
        self.seen += chunk.len() as u64;
    }

    /// The text parser's first error, found in `chunk`'s events: `Some` with the error to
    /// report (the [`MixedFormat`](crate::ErrorKind::MixedFormat) one, or `err` itself), or
    /// `None` until more of the body is seen.
    pub fn on_error(&mut self, err: crate::Error, chunk: &[u8]) -> Option<crate::Error> {
        // The failing line starts `column - 1` bytes before the error (columns count bytes).
        let start = err.offset().saturating_sub(err.column().saturating_sub(1));
        let end = self.seen + chunk.len() as u64;
        if start > end || start + FAMILY_HEAD < self.seen {
            // Its first line feed is more than 11 bytes on: no family starts there.
            return Some(err);
        }
        let mut bytes = Vec::new();
        if start < self.seen {
            let from_tail = (self.seen - start) as usize;
            let n = (self.seen as usize).min(FAMILY_HEAD as usize);
            if from_tail > n {
                return Some(err);
            }
            bytes.extend_from_slice(&self.tail[FAMILY_HEAD as usize - from_tail..]);
            bytes.extend_from_slice(chunk);
        } else {
            bytes.extend_from_slice(&chunk[(start - self.seen) as usize..]);
        }
        self.seen = end;
        self.pending = Some(Pending { err, start, bytes });
        self.settle()
    }

    /// The next chunk while a verdict is pending: `Some` once decided.
    pub fn more(&mut self, chunk: &[u8]) -> Option<crate::Error> {
        let p = self.pending.as_mut()?;
        // Only what the family can need is kept.
        let mut q = 0;
        let want = match crate::protobuf::read_len(&p.bytes, &mut q) {
            Ok(len) => q.saturating_add(len.min(crate::protobuf::DEFAULT_MAX_FAMILY_LEN)),
            Err(()) => 10,
        };
        let take = want.saturating_sub(p.bytes.len()).min(chunk.len());
        p.bytes.extend_from_slice(&chunk[..take]);
        self.seen += chunk.len() as u64;
        self.settle()
    }

    /// The end of the body: the verdict, if one was pending.
    pub fn end(&mut self) -> Option<crate::Error> {
        let p = self.pending.take()?;
        Some(match decide(&p.bytes) {
            Some(true) => text_mixed(&p.err, p.start),
            _ => p.err,
        })
    }

    fn settle(&mut self) -> Option<crate::Error> {
        let verdict = decide(&self.pending.as_ref()?.bytes)?;
        let p = self.pending.take()?;
        Some(if verdict {
            text_mixed(&p.err, p.start)
        } else {
            p.err
        })
    }
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
