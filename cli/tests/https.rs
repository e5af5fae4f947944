//! Live scrapes over https: a TLS server on 127.0.0.1 with a certificate made for the test,
//! verified through `--ca-file`, refused without it, accepted with `--insecure-skip-verify`, and
//! a job's `tls_config` doing the same as the flags.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;

const BODY: &str = "# TYPE envoy_server_live gauge\nenvoy_server_live{} 1\n";

/// A certificate for 127.0.0.1 / localhost, and the server's TLS configuration with it.
fn certificate() -> (String, Arc<rustls::ServerConfig>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let cert = params.self_signed(&key).unwrap();
    let der = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
    // ring is deprecated in rustls for lacking post-quantum key exchange; it is the provider the
    // CLI's client already links, which is all a local test server needs.
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], der)
        .unwrap();
    (cert.pem(), Arc::new(config))
}

/// Serves `connections` TLS connections, each answered with [`BODY`]; returns the base URL.
/// A client that refuses the certificate ends its connection during the handshake.
fn serve(config: Arc<rustls::ServerConfig>, connections: usize) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://127.0.0.1:{}", l.local_addr().unwrap().port());
    std::thread::spawn(move || {
        for _ in 0..connections {
            let Ok((tcp, _)) = l.accept() else { return };
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut head = String::new();
            {
                let mut rd = BufReader::new(&mut tls);
                loop {
                    let mut line = String::new();
                    if rd.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
            }
            if head.is_empty() {
                continue; // the handshake failed
            }
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{BODY}",
                BODY.len()
            );
            let _ = tls.write_all(resp.as_bytes());
            let _ = tls.flush();
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    url
}

fn promtext(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_promtext"))
        .args(args)
        .output()
        .unwrap()
}

fn tmp(name: &str, content: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("promtext-https-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

#[test]
fn https_targets_are_verified_with_the_given_ca() {
    let (pem, config) = certificate();
    let ca = tmp("ca.pem", &pem);
    let url = serve(config, 5);
    let target = format!("{url}/stats/prometheus");

    // Verified against the test's CA.
    let o = promtext(&[
        "parse",
        "--output",
        "jsonl",
        "--ca-file",
        ca.to_str().unwrap(),
        &target,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("envoy_server_live"), "{out}");

    // The webpki roots do not know the certificate: a usage/I/O failure, exit 2.
    let o = promtext(&["parse", &target]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr).to_lowercase();
    assert!(err.contains("certificate"), "{err}");

    // insecure_skip_verify accepts it.
    let o = promtext(&["check", "--insecure-skip-verify", &target]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // A job's tls_config does what the flags do: scrape the URL through the job.
    let job = tmp(
        "job.yml",
        &format!(
            "scrape_configs:\n- job_name: sidecar\n  scheme: https\n  tls_config:\n    ca_file: {}\n",
            ca.display()
        ),
    );
    let o = promtext(&["scrape", "--config", job.to_str().unwrap(), &target]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("scrape: up\n"), "{out}");
    assert!(out.contains("envoy_server_live"), "{out}");
}
