//! Live scrapes: one blocking GET of a target as Prometheus sends it (the `Accept` header of the job's scrape
//! protocols, protobuf first with native histograms, `Accept-Encoding: gzip`, the scrape timeout, extra headers, a
//! bearer token file, TLS options).

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use promtext::config::ProtocolSettings;

/// HTTP options shared by the commands that read a body from a URL.
#[derive(Args, Debug, Clone, Default)]
pub struct HttpArgs {
    /// An extra request header for a URL input (`Name: value`; repeatable).
    #[arg(long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Send `Authorization: Bearer <the file's content>` (as `authorization.credentials_file`).
    #[arg(long, value_name = "FILE")]
    pub bearer_token_file: Option<PathBuf>,
    /// Scrape timeout for a URL input (a Prometheus duration: 10s, 1m30s; default the job's scrape_timeout,
    /// else 10s).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// CA certificates (PEM) to verify an https target with, instead of the webpki roots.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Client certificate (PEM) for an https target; needs --key-file.
    #[arg(long, value_name = "FILE", requires = "key_file")]
    pub cert_file: Option<PathBuf>,
    /// Client key (PEM) for --cert-file.
    #[arg(long, value_name = "FILE", requires = "cert_file")]
    pub key_file: Option<PathBuf>,
    /// Do not verify the target's certificate (`tls_config.insecure_skip_verify`).
    #[arg(long)]
    pub insecure_skip_verify: bool,
}

/// The `Accept` header of Prometheus' default scrape protocols for a URL read without a job: protobuf first when
/// `native_histograms` (as `scrape_native_histograms: true` asks), UTF-8 names allowed.
pub fn accept(native_histograms: bool) -> String {
    let p = ProtocolSettings {
        scrape_native_histograms: native_histograms,
        ..ProtocolSettings::default()
    };
    promtext::content_type::accept_header(p.protocols(), "allow-utf-8")
}

/// Whether an input names a URL rather than a file.
pub fn is_url(s: &str) -> bool {
    let l = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

/// A response whose body is still to be read.
pub struct Response {
    /// The `Content-Type` header (empty when absent).
    pub content_type: String,
    /// The `Content-Encoding` header (empty when absent).
    pub content_encoding: String,
    /// The body, as received (still encoded).
    pub body: Box<dyn Read + Send>,
}

/// The default scrape timeout (Prometheus' global default).
pub const DEFAULT_TIMEOUT: &str = "10s";

/// Standard base64 (RFC 4648, padded), for `basic_auth`.
fn base64(input: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for c in input.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl HttpArgs {
    /// These options completed with a job's `authorization`, `basic_auth`, `bearer_token(_file)` and `tls_config`
    /// (files relative to `base`, the configuration's directory); options given on the command line win.
    pub fn for_job(
        &self,
        job: &promtext::config::ScrapeJob,
        base: &std::path::Path,
    ) -> Result<HttpArgs, String> {
        let c = &job.http_client;
        let path = |p: &str| -> Option<PathBuf> { (!p.is_empty()).then(|| base.join(p)) };
        let read = |p: &PathBuf| {
            std::fs::read_to_string(p)
                .map(|s| s.trim().to_string())
                .map_err(|e| format!("{}: {e}", p.display()))
        };
        let mut out = self.clone();
        let cli_auth = self.bearer_token_file.is_some()
            || self.headers.iter().any(|h| {
                h.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("authorization:")
            });
        if !cli_auth {
            let auth = if let Some(a) = &c.authorization {
                let kind = if a.kind.is_empty() {
                    "Bearer"
                } else {
                    a.kind.as_str()
                };
                let cred = match path(&a.credentials_file) {
                    Some(f) => read(&f)?,
                    None => a.credentials.clone(),
                };
                Some(format!("{kind} {cred}"))
            } else if let Some(b) = &c.basic_auth {
                let pass = match path(&b.password_file) {
                    Some(f) => read(&f)?,
                    None => b.password.clone(),
                };
                Some(format!(
                    "Basic {}",
                    base64(format!("{}:{pass}", b.username).as_bytes())
                ))
            } else if let Some(f) = path(&c.bearer_token_file) {
                Some(format!("Bearer {}", read(&f)?))
            } else if !c.bearer_token.is_empty() {
                Some(format!("Bearer {}", c.bearer_token))
            } else {
                None
            };
            if let Some(a) = auth {
                out.headers.push(format!("Authorization: {a}"));
            }
        }
        let t = &c.tls_config;
        out.ca_file = out.ca_file.or_else(|| path(&t.ca_file));
        if out.cert_file.is_none() && out.key_file.is_none() {
            out.cert_file = path(&t.cert_file);
            out.key_file = path(&t.key_file);
        }
        out.insecure_skip_verify |= t.insecure_skip_verify;
        Ok(out)
    }

    /// The timeout: `--timeout`, else `fallback` (a job's scrape_timeout), else 10s.
    pub fn timeout(&self, fallback: Option<&str>) -> Result<Duration, String> {
        let s = self
            .timeout
            .as_deref()
            .or(fallback)
            .unwrap_or(DEFAULT_TIMEOUT);
        match promtext::config::parse_duration(s) {
            Some(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
            _ => Err(format!("invalid timeout {s:?}")),
        }
    }

    fn tls(&self) -> Result<ureq::tls::TlsConfig, String> {
        use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};
        let read = |p: &PathBuf| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
        let mut b = TlsConfig::builder().disable_verification(self.insecure_skip_verify);
        if let Some(ca) = &self.ca_file {
            let pem = read(ca)?;
            let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
                .filter_map(|i| match i {
                    Ok(PemItem::Certificate(c)) => Some(c.to_owned()),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(format!("{}: no PEM certificate", ca.display()));
            }
            b = b.root_certs(RootCerts::new_with_certs(&certs));
        }
        if let (Some(c), Some(k)) = (&self.cert_file, &self.key_file) {
            let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&read(c)?)
                .filter_map(|i| match i {
                    Ok(PemItem::Certificate(c)) => Some(c.to_owned()),
                    _ => None,
                })
                .collect();
            let key = PrivateKey::from_pem(&read(k)?)
                .map_err(|e| format!("{}: {e}", k.display()))?
                .to_owned();
            b = b.client_cert(Some(ClientCert::new_with_certs(&certs, key)));
        }
        Ok(b.build())
    }

    /// GETs `url` as a Prometheus scrape would; a status other than 2xx is an error worded as Prometheus' (`server
    /// returned HTTP status 404 Not Found`).
    pub fn fetch(&self, url: &str, timeout: Duration, accept: &str) -> Result<Response, String> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(10)
            .tls_config(self.tls()?)
            .build()
            .into();
        let mut req = agent
            .get(url)
            .header("Accept", accept)
            .header("Accept-Encoding", "gzip")
            .header(
                "User-Agent",
                concat!("promtext/", env!("CARGO_PKG_VERSION")),
            )
            .header(
                "X-Prometheus-Scrape-Timeout-Seconds",
                format!("{}", timeout.as_secs_f64()),
            );
        if let Some(f) = &self.bearer_token_file {
            let tok = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
            req = req.header("Authorization", format!("Bearer {}", tok.trim()));
        }
        for h in &self.headers {
            let (n, v) = h
                .split_once(':')
                .ok_or_else(|| format!("--header {h:?}: expected `Name: value`"))?;
            req = req.header(n.trim(), v.trim());
        }
        let resp = req.call().map_err(|e| format!("{url}: {e}"))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(format!(
                "{url}: server returned HTTP status {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            ));
        }
        let header = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let content_type = header("content-type");
        let content_encoding = header("content-encoding");
        let (_, body) = resp.into_parts();
        Ok(Response {
            content_type,
            content_encoding,
            body: Box::new(body.into_reader()),
        })
    }
}

/// Opens a body from a file, standard input (`-` or none) or a URL, decoded per `encoding` (`auto`: a URL's
/// `Content-Encoding`, else the magic bytes); a URL is asked for with `accept`. Returns the reader and, for a URL,
/// the response's `Content-Type`.
pub fn open_any(
    input: Option<&str>,
    encoding: &str,
    http: &HttpArgs,
    timeout_fallback: Option<&str>,
    accept: &str,
) -> Result<(Box<dyn Read>, Option<String>), String> {
    match input {
        Some(url) if is_url(url) => {
            let timeout = http.timeout(timeout_fallback)?;
            let resp = http.fetch(url, timeout, accept)?;
            let enc = if encoding.eq_ignore_ascii_case("auto") && !resp.content_encoding.is_empty()
            {
                resp.content_encoding.clone()
            } else {
                encoding.to_string()
            };
            let (r, _) = crate::output::decode_body(Box::new(resp.body), &enc)
                .map_err(|e| format!("{url}: {e}"))?;
            let ct = Some(resp.content_type).filter(|c| !c.is_empty());
            Ok((r, ct))
        }
        other => crate::output::open_body(other, encoding)
            .map(|(r, _)| (r, None))
            .map_err(|e| e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_of_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(super::base64(i.as_bytes()), o);
        }
    }
}
