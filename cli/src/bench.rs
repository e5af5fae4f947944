//! `promtext bench`: parse (or fully scrape) an input repeatedly and print the throughput.
//!
//! Exit codes: 0 done; 1 the input does not parse (or the scrape fails); 2 usage, configuration or I/O error.

use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use promtext::config::ConfigDocument;
use promtext::scrape::{Discard, ScrapeConfig, Scraper, Target};
use promtext::{Dialect, Settings};

use crate::output::{human_bytes, open_input};

/// Arguments of `promtext bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// The exposition (`-` for standard input). Without it: a generated 16 MiB Istio sidecar body.
    pub input: Option<String>,
    /// Also relabel: run the full scrape of this job (prometheus.yml or operator values); the first iteration is
    /// the cold-cache scrape, the rest are warm.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The job in `--config`.
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,
    /// Parse as OpenMetrics.
    #[arg(long)]
    pub openmetrics: bool,
    /// Parse on all cores (`promtext::parallel`; bodies of 1 MiB or more in the Prometheus
    /// text format; not with --config). Events are numbered within their block, as a scraper
    /// needs no sample's line (`Options::block_lines`); an error still gives the body's line.
    #[arg(long, conflicts_with = "config")]
    pub parallel: bool,
    /// The input's Content-Encoding for `--config` runs (identity, gzip, zstd, br).
    #[arg(long, value_name = "E", default_value = "identity")]
    pub content_encoding: String,
    /// Run for about this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 3.0)]
    pub duration: f64,
    /// Run exactly this many iterations (overrides --duration).
    #[arg(long, value_name = "N")]
    pub iterations: Option<u64>,
    /// Never draw the progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

fn fail(code: u8, msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(code)
}

struct Progress {
    on: bool,
    drawn: bool,
}

impl Progress {
    fn draw(&mut self, frac: f64, rate: f64) {
        if !self.on {
            return;
        }
        let width = 30;
        let done = ((frac.clamp(0.0, 1.0)) * width as f64) as usize;
        let mut e = io::stderr().lock();
        let _ = write!(
            e,
            "\r[{}{}] {:>3.0}%  {:.1} MiB/s ",
            "#".repeat(done),
            " ".repeat(width - done),
            frac * 100.0,
            rate / (1 << 20) as f64
        );
        let _ = e.flush();
        self.drawn = true;
    }
    fn clear(&mut self) {
        if self.drawn {
            let _ = write!(io::stderr().lock(), "\r{}\r", " ".repeat(60));
        }
    }
}

/// Runs `promtext bench`.
pub fn run(args: BenchArgs) -> ExitCode {
    let body = match &args.input {
        Some(p) => {
            let mut v = Vec::new();
            match open_input(Some(p)).and_then(|mut r| r.read_to_end(&mut v)) {
                Ok(_) => v,
                Err(e) => return fail(2, e),
            }
        }
        None => promtext_gen::generate(&promtext_gen::GenConfig::istio().target_bytes(16 << 20))
            .text
            .into_bytes(),
    };
    let mut scraper = match &args.config {
        None => None,
        Some(path) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => return fail(2, format!("{}: {e}", path.display())),
            };
            let job = match ConfigDocument::from_yaml(&text)
                .and_then(|d| d.select(args.job.as_deref(), None).map(|s| s.job.cloned()))
            {
                Ok(Some(j)) => j,
                Ok(None) => return fail(2, "the config holds no scrape job"),
                Err(e) => return fail(2, e),
            };
            let cfg = match ScrapeConfig::from_job(&job) {
                Ok(c) => c,
                Err(e) => return fail(2, e),
            };
            let target =
                Target::from_labels(&[("job", job.job_name.as_str()), ("instance", "bench")]);
            Some(Scraper::new(cfg, &target))
        }
    };
    let ct = if args.openmetrics {
        "application/openmetrics-text; version=1.0.0"
    } else {
        "text/plain; version=0.0.4"
    };
    let settings = Settings::default().dialect(if args.openmetrics {
        Dialect::OpenMetrics
    } else {
        Dialect::Prometheus
    });
    let budget = Duration::from_secs_f64(args.duration.max(0.0));
    let mut progress = Progress {
        on: !args.no_progress && io::stderr().is_terminal(),
        drawn: false,
    };
    let mut times: Vec<Duration> = Vec::new();
    let mut samples;
    let mut decoded = body.len() as u64;
    let mut cold = None;
    let start = Instant::now();
    loop {
        let t0 = Instant::now();
        match scraper.as_mut() {
            None if args.parallel => {
                let options = promtext::parallel::Options::default().block_lines(true);
                let counts = options.parse_blocks(&body, settings.clone(), |block| {
                    block
                        .filter(|ev| matches!(ev, Ok(e) if e.as_sample().is_some()))
                        .count() as u64
                });
                match counts {
                    Ok(counts) => samples = counts.iter().sum(),
                    Err(e) => {
                        progress.clear();
                        return fail(1, e);
                    }
                }
            }
            None => {
                let mut n = 0u64;
                for ev in promtext::parse_with(&body, settings.clone()) {
                    match ev {
                        Ok(e) => n += u64::from(e.as_sample().is_some()),
                        Err(e) => {
                            progress.clear();
                            return fail(1, e);
                        }
                    }
                }
                samples = n;
            }
            Some(s) => {
                let r = s.scrape_bytes(&body, ct, &args.content_encoding, &mut Discard::default());
                if let Some(e) = r.error {
                    progress.clear();
                    return fail(1, format!("scrape failed: {e}"));
                }
                samples = r.samples_scraped;
                decoded = r.body_bytes;
            }
        }
        let dt = t0.elapsed();
        if scraper.is_some() && cold.is_none() {
            cold = Some(dt);
        } else {
            times.push(dt);
        }
        let total = start.elapsed();
        let done = times.len() as u64 + u64::from(cold.is_some());
        let finished = match args.iterations {
            Some(n) => done >= n.max(1),
            None => total >= budget && !times.is_empty(),
        };
        let expected = match args.iterations {
            Some(n) => total.as_secs_f64() / done as f64 * n as f64,
            None => budget.as_secs_f64(),
        };
        if expected > 1.0 {
            let frac = match args.iterations {
                Some(n) => done as f64 / n as f64,
                None => total.as_secs_f64() / budget.as_secs_f64().max(1e-9),
            };
            progress.draw(frac, decoded as f64 / dt.as_secs_f64());
        }
        if finished {
            break;
        }
    }
    progress.clear();
    if times.is_empty() {
        times.extend(cold.take());
    }
    times.sort();
    let median = times[times.len() / 2];
    let min = times[0];
    let mut out = io::stdout().lock();
    let mode = if scraper.is_some() {
        "full scrape (decode, parse, honor_labels, metric relabeling, limits)".to_string()
    } else if args.parallel {
        format!("parse on {} threads", promtext::parallel::threads())
    } else {
        "parse".to_string()
    };
    let line = |out: &mut dyn Write, what: &str, d: Duration| {
        let secs = d.as_secs_f64();
        writeln!(
            out,
            "{what:<22} {:>10.3} ms  {:>9.1} MiB/s  {:>12.0} samples/s  {:>8.1} ns/sample",
            secs * 1e3,
            decoded as f64 / secs / (1 << 20) as f64,
            samples as f64 / secs,
            secs * 1e9 / samples.max(1) as f64
        )
    };
    let _ = writeln!(
        out,
        "{mode}: {} input ({} decoded), {samples} samples, {} timed iterations",
        human_bytes(body.len() as u64),
        human_bytes(decoded),
        times.len()
    );
    if let Some(c) = cold {
        let _ = line(&mut out, "first (cold cache)", c);
    }
    let _ = line(&mut out, "median", median);
    let _ = line(&mut out, "best", min);
    ExitCode::SUCCESS
}
