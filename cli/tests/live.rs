//! Live scrapes against a local HTTP server started by the test (127.0.0.1, one thread per test).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::mpsc;
use std::time::Duration;

/// A canned response.
struct Reply {
    status: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    delay: Duration,
}

fn reply(content_type: &str, encoding: Option<&str>, body: Vec<u8>) -> Reply {
    let mut headers = vec![("Content-Type", content_type.to_string())];
    if let Some(e) = encoding {
        headers.push(("Content-Encoding", e.to_string()));
    }
    Reply {
        status: "200 OK",
        headers,
        body,
        delay: Duration::ZERO,
    }
}

/// Serves `replies` in order, one connection each; returns the base URL and the requests' heads (request line and
/// headers, lowercased names).
fn serve(replies: Vec<Reply>) -> (String, mpsc::Receiver<Vec<String>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for r in replies {
            let Ok((mut s, _)) = l.accept() else { return };
            let mut head = Vec::new();
            let mut rd = BufReader::new(s.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if rd.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let line = line.trim_end().to_string();
                if line.is_empty() {
                    break;
                }
                head.push(line);
            }
            let _ = tx.send(head);
            std::thread::sleep(r.delay);
            let mut resp = format!(
                "HTTP/1.1 {}\r\nContent-Length: {}\r\nConnection: close\r\n",
                r.status,
                r.body.len()
            );
            for (n, v) in &r.headers {
                resp.push_str(&format!("{n}: {v}\r\n"));
            }
            resp.push_str("\r\n");
            let _ = s.write_all(resp.as_bytes());
            let _ = s.write_all(&r.body);
        }
    });
    (url, rx)
}

fn promtext(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_promtext"))
        .args(args)
        .output()
        .unwrap()
}

fn header<'h>(head: &'h [String], name: &str) -> Option<&'h str> {
    head.iter().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

const TEXT: &str = "# TYPE envoy_cluster_upstream_rq_total counter\nenvoy_cluster_upstream_rq_total{cluster_name=\"a\"} 3\n";
const OM: &str = "# TYPE envoy_cluster_upstream_rq counter\nenvoy_cluster_upstream_rq_total{cluster_name=\"a\"} 3\n# EOF\n";

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

#[test]
fn parse_a_url_per_content_type_and_encoding() {
    let cases: Vec<(Reply, &str)> = vec![
        (
            reply(
                "text/plain; version=0.0.4; charset=utf-8",
                None,
                TEXT.into(),
            ),
            "Prometheus",
        ),
        (
            reply(
                "text/plain; version=0.0.4",
                Some("gzip"),
                gzip(TEXT.as_bytes()),
            ),
            "Prometheus",
        ),
        (
            reply(
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                None,
                OM.into(),
            ),
            "OpenMetrics",
        ),
        (
            reply(
                "application/openmetrics-text; version=1.0.0",
                Some("zstd"),
                zstd::encode_all(OM.as_bytes(), 3).unwrap(),
            ),
            "OpenMetrics",
        ),
    ];
    for (r, dialect) in cases {
        let ct = r.headers[0].1.clone();
        let (url, rx) = serve(vec![r]);
        let o = promtext(&[
            "parse",
            "--output",
            "jsonl",
            &format!("{url}/stats/prometheus"),
        ]);
        assert!(
            o.status.success(),
            "{ct}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let out = String::from_utf8(o.stdout).unwrap();
        assert!(
            out.contains(r#"{"kind":"sample","name":"envoy_cluster_upstream_rq_total","labels":{"cluster_name":"a"},"value":3.0"#),
            "{ct}: {out}"
        );
        // The OpenMetrics parse sees # EOF; the Prometheus one has no such event.
        assert_eq!(
            out.contains(r#"{"kind":"eof""#),
            dialect == "OpenMetrics",
            "{ct}: {out}"
        );
        let head = rx.recv().unwrap();
        assert_eq!(head[0], "GET /stats/prometheus HTTP/1.1");
        assert_eq!(
            header(&head, "accept"),
            Some(promtext::content_type::DEFAULT_ACCEPT)
        );
        assert_eq!(header(&head, "accept-encoding"), Some("gzip"));
        assert_eq!(
            header(&head, "x-prometheus-scrape-timeout-seconds"),
            Some("10")
        );
    }
}

#[test]
fn check_a_url_and_its_exit_codes() {
    let (url, _rx) = serve(vec![
        reply("text/plain; version=0.0.4", None, TEXT.into()),
        reply("text/plain; version=0.0.4", None, b"a 1\r\n".to_vec()),
        reply(
            "text/plain; version=0.0.4",
            None,
            b"# TYPE c counter\nc 1\n".to_vec(),
        ),
        Reply {
            status: "404 Not Found",
            headers: vec![],
            body: b"nope".to_vec(),
            delay: Duration::ZERO,
        },
    ]);
    assert_eq!(promtext(&["check", &url]).status.code(), Some(0));
    assert_eq!(promtext(&["check", &url]).status.code(), Some(1));
    assert_eq!(promtext(&["check", &url]).status.code(), Some(3));
    let o = promtext(&["check", &url]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("server returned HTTP status 404 Not Found"),
        "{err}"
    );
}

#[test]
fn headers_bearer_token_and_timeout() {
    let dir = std::env::temp_dir().join(format!("promtext-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tok = dir.join("token");
    std::fs::write(&tok, "s3cret\n").unwrap();
    let (url, rx) = serve(vec![
        reply("text/plain", None, TEXT.into()),
        Reply {
            delay: Duration::from_millis(1500),
            ..reply("text/plain", None, TEXT.into())
        },
    ]);
    let o = promtext(&[
        "parse",
        "--header",
        "X-Scope-OrgID: mesh",
        "--bearer-token-file",
        tok.to_str().unwrap(),
        "--timeout",
        "3s",
        &url,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let head = rx.recv().unwrap();
    assert_eq!(header(&head, "x-scope-orgid"), Some("mesh"));
    assert_eq!(header(&head, "authorization"), Some("Bearer s3cret"));
    assert_eq!(
        header(&head, "x-prometheus-scrape-timeout-seconds"),
        Some("3")
    );
    let o = promtext(&["parse", "--timeout", "300ms", &url]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.to_lowercase().contains("timeout") || err.to_lowercase().contains("timed out"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn scrape_a_url_and_a_target_s_own_url() {
    let (url, rx) = serve(vec![
        reply(
            "text/plain; version=0.0.4",
            Some("gzip"),
            gzip(TEXT.as_bytes()),
        ),
        reply(
            "application/openmetrics-text; version=1.0.0",
            None,
            OM.into(),
        ),
    ]);
    let o = promtext(&["scrape", "--output", "jsonl", &format!("{url}/metrics")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    let report: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(report["up"], 1);
    assert_eq!(report["content_encoding"], "gzip");
    assert_eq!(report["scrape_samples_scraped"], 1);
    rx.recv().unwrap();
    // --fetch: the job's metrics_path and params on the relabeled address, the job's scrape_timeout.
    let dir = std::env::temp_dir().join(format!("promtext-live-job-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("job.yml");
    std::fs::write(
        &cfg,
        "scrape_configs:\n- job_name: envoy-stats\n  metrics_path: /stats/prometheus\n  scrape_timeout: 5s\n  params: {usedonly: ['']}\n  scrape_protocols: [PrometheusText0.0.4, OpenMetricsText1.0.0]\n",
    )
    .unwrap();
    let addr = url.trim_start_matches("http://");
    let o = promtext(&[
        "scrape",
        "--config",
        cfg.to_str().unwrap(),
        "--target-labels",
        &format!("{{__address__=\"{addr}\"}}"),
        "--fetch",
        "--output",
        "exposition",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        format!(
            "envoy_cluster_upstream_rq_total{{cluster_name=\"a\",instance=\"{addr}\",job=\"envoy-stats\"}} 3\n"
        )
    );
    let head = rx.recv().unwrap();
    assert_eq!(head[0], "GET /stats/prometheus?usedonly= HTTP/1.1");
    assert_eq!(
        header(&head, "x-prometheus-scrape-timeout-seconds"),
        Some("5")
    );
    // Nothing listens any more: the scrape fails (up 0), exit 1.
    let o = promtext(&["scrape", &format!("{url}/metrics")]);
    assert_eq!(o.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A server that answers one scrape with 500.
fn failing_server() -> (String, mpsc::Receiver<Vec<String>>) {
    serve(vec![Reply {
        status: "500 Internal Server Error",
        headers: vec![],
        body: vec![],
        delay: Duration::ZERO,
    }])
}

/// The output and JSONL reports of a multi-target scrape in which some target failed (exit 1).
fn failed_run_reports(o: &std::process::Output) -> (String, Vec<serde_json::Value>) {
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8(o.stdout.clone()).unwrap();
    let reports = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (out, reports)
}

/// `--target-labels` with a whole `/api/v1/targets` response (from a file with `@`): every active
/// target of the job's pool is scraped live, its discovered labels relabeled again; other pools
/// are left out.
#[test]
fn scrape_the_active_targets_of_an_api_response() {
    let (good, _rx1) = serve(vec![reply("text/plain; version=0.0.4", None, TEXT.into())]);
    let (bad, _rx2) = failing_server();
    let addr = |u: &str| u.trim_start_matches("http://").to_string();
    let target = |pool: &str, address: &str, team: &str| {
        serde_json::json!({
            "scrapePool": pool,
            "discoveredLabels": {"__address__": address, "__meta_team": team},
            "labels": {"instance": address, "job": pool},
            "scrapeUrl": format!("http://{address}/metrics"),
            "health": "up",
        })
    };
    let response = serde_json::json!({
        "status": "success",
        "data": {
            "activeTargets": [
                target("app", &addr(&good), "a"),
                target("other", &addr(&good), "x"),
                target("app", &addr(&bad), "b"),
            ],
            "droppedTargets": [],
        }
    });
    let dir = std::env::temp_dir().join(format!("promtext-live-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let api = dir.join("targets.json");
    std::fs::write(&api, response.to_string()).unwrap();
    let cfg = dir.join("prometheus.yml");
    std::fs::write(
        &cfg,
        "scrape_configs:\n- job_name: app\n  relabel_configs:\n  - {source_labels: [__meta_team], target_label: team}\n",
    )
    .unwrap();
    let o = promtext(&[
        "scrape",
        "--config",
        cfg.to_str().unwrap(),
        "--target-labels",
        &format!("@{}", api.display()),
        "--output",
        "jsonl",
    ]);
    let (out, reports) = failed_run_reports(&o);
    assert_eq!(reports.len(), 2, "{out}");
    assert_eq!(reports[0]["up"], 1, "{out}");
    assert_eq!(reports[0]["target"]["team"], "a");
    assert_eq!(reports[0]["scrapeUrl"], format!("{good}/metrics"));
    assert_eq!(reports[1]["up"], 0);
    assert_eq!(reports[1]["target"]["team"], "b");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn scrape_the_targets_discovered_in_a_pod_list() {
    let (good, _rx1) = serve(vec![reply("text/plain; version=0.0.4", None, TEXT.into())]);
    let (bad, _rx2) = failing_server();
    let port = |u: &str| u.rsplit(':').next().unwrap().parse::<u16>().unwrap();
    let pods = format!(
        r#"{{"items": [{{"metadata": {{"name": "app", "namespace": "default"}},
        "spec": {{"containers": [{{"name": "c", "ports": [
          {{"name": "metrics", "containerPort": {}}},
          {{"name": "metrics", "containerPort": {}}},
          {{"name": "http", "containerPort": 1}}]}}]}},
        "status": {{"podIP": "127.0.0.1"}}}}]}}"#,
        port(&good),
        port(&bad)
    );
    let dir = std::env::temp_dir().join(format!("promtext-live-pods-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let podf = dir.join("pods.json");
    std::fs::write(&podf, pods).unwrap();
    let cfg = dir.join("prometheus.yml");
    std::fs::write(
        &cfg,
        "scrape_configs:\n- job_name: app\n  kubernetes_sd_configs: [{role: pod}]\n  relabel_configs:\n  - {source_labels: [__meta_kubernetes_pod_container_port_name], regex: metrics, action: keep}\n  - {source_labels: [__meta_kubernetes_pod_name], target_label: pod}\n",
    )
    .unwrap();
    let o = promtext(&[
        "scrape",
        "--config",
        cfg.to_str().unwrap(),
        "--pods",
        podf.to_str().unwrap(),
        "--output",
        "jsonl",
        "--concurrency",
        "2",
    ]);
    let (out, reports) = failed_run_reports(&o);
    assert_eq!(reports.len(), 2, "{out}");
    assert_eq!(reports[0]["up"], 1);
    assert_eq!(reports[0]["scrape_samples_scraped"], 1);
    assert_eq!(reports[0]["target"]["pod"], "app");
    assert_eq!(reports[0]["scrapeUrl"], format!("{good}/metrics"));
    assert_eq!(reports[1]["up"], 0);
    assert!(
        reports[1]["errors"][0]
            .as_str()
            .unwrap()
            .contains("server returned HTTP status 500 Internal Server Error"),
        "{out}"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("1 of 2 targets down"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_job_s_authorization_and_basic_auth() {
    let (url, rx) = serve(vec![
        reply("text/plain", None, TEXT.into()),
        reply("text/plain", None, TEXT.into()),
        reply("text/plain", None, TEXT.into()),
    ]);
    let addr = url.trim_start_matches("http://").to_string();
    let dir = std::env::temp_dir().join(format!("promtext-live-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Relative to the configuration's directory, as Prometheus resolves it.
    std::fs::write(dir.join("token"), "t0ken\n").unwrap();
    let cfg = dir.join("prometheus.yml");
    let scrape = |job: &str| {
        promtext(&[
            "scrape",
            "--config",
            cfg.to_str().unwrap(),
            "--job",
            job,
            "--target-labels",
            &format!("{{__address__=\"{addr}\"}}"),
            "--fetch",
            "--output",
            "jsonl",
        ])
    };
    std::fs::write(
        &cfg,
        "scrape_configs:\n- job_name: a\n  authorization: {credentials_file: token}\n- job_name: b\n  basic_auth: {username: prom, password: 'p@ss'}\n",
    )
    .unwrap();
    let o = scrape("a");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        header(&rx.recv().unwrap(), "authorization"),
        Some("Bearer t0ken")
    );
    let o = scrape("b");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // base64("prom:p@ss")
    assert_eq!(
        header(&rx.recv().unwrap(), "authorization"),
        Some("Basic cHJvbTpwQHNz")
    );
    // The command line wins over the job.
    let o = promtext(&[
        "scrape",
        "--config",
        cfg.to_str().unwrap(),
        "--job",
        "a",
        "--target-labels",
        &format!("{{__address__=\"{addr}\"}}"),
        "--fetch",
        "--header",
        "Authorization: Bearer cli",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        header(&rx.recv().unwrap(), "authorization"),
        Some("Bearer cli")
    );
    // Two kinds of authentication: Prometheus' configuration error.
    std::fs::write(
        &cfg,
        "scrape_configs:\n- job_name: a\n  authorization: {credentials: x}\n  basic_auth: {username: u}\n",
    )
    .unwrap();
    let o = scrape("a");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("at most one of basic_auth, oauth2, bearer_token & bearer_token_file, authorization must be configured"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn native_histograms_ask_for_protobuf_first_and_read_it() {
    let body = promtext(&[
        "gen",
        "--profile",
        "envoy",
        "--size",
        "20KiB",
        "--format",
        "protobuf",
        "--native-histograms",
    ]);
    assert!(body.status.success());
    let pb = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
    let (url, rx) = serve(vec![
        reply(pb, None, body.stdout.clone()),
        reply(pb, Some("gzip"), gzip(&body.stdout)),
        reply(pb, None, body.stdout.clone()),
        reply("text/plain; version=0.0.4", None, TEXT.into()),
    ]);
    // scrape with native histograms: protobuf first, the response read by the protobuf reader.
    let o = promtext(&["scrape", "--native-histograms", "--output", "jsonl", &url]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("\"kind\":\"histogram\""), "{out}");
    assert!(out.contains("\"dialect\":\"Prometheus\""), "{out}");
    let head = rx.recv().unwrap();
    assert_eq!(
        header(&head, "accept"),
        Some(promtext::content_type::PROTO_FIRST_ACCEPT)
    );
    // parse --format protobuf asks for protobuf first too (gzip on the wire).
    let o = promtext(&["parse", "--format", "protobuf", &url]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let head = rx.recv().unwrap();
    assert_eq!(
        header(&head, "accept"),
        Some(promtext::content_type::PROTO_FIRST_ACCEPT)
    );
    // parse in auto mode: the protobuf Content-Type picks the protobuf reader.
    let o = promtext(&["parse", &url]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        header(&rx.recv().unwrap(), "accept"),
        Some(promtext::content_type::DEFAULT_ACCEPT)
    );
    // Without native histograms: Prometheus' default text protocols.
    let o = promtext(&["scrape", &url]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        header(&rx.recv().unwrap(), "accept"),
        Some(promtext::content_type::DEFAULT_ACCEPT)
    );
}
