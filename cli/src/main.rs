//! `promtext`: inspect Prometheus / OpenMetrics expositions, generate Envoy and Istio ones,
//! test relabel rules, and run whole scrapes.
//!
//! With no subcommand it runs the seed scenario: a generated, gzip-compressed Istio sidecar body
//! scraped through the `envoy-stats` job for a sample pod.
//!
//! Exit codes: 0 success; 1 the input is invalid (parse error, failed rule test, failed scrape);
//! 2 usage, configuration or I/O error; 3 (`check`) lint problems in a valid input.

// The standard printing macros panic when standard output or error is a closed pipe
// (`promtext … | head`, `2>&-` under a supervisor); these write and ignore the error, so a
// closed pipe ends the output quietly. Defined before the modules, they shadow std's everywhere.
macro_rules! println {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}
macro_rules! eprintln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

// `gen` is reserved in edition 2024; the file keeps its name.
mod bench;
mod check;
#[path = "gen.rs"]
mod gen_cmd;
mod http;
mod output;
mod parse;
mod relabel;
mod scrape;
mod targets;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "promtext",
    version,
    about = "Zero-copy Prometheus/OpenMetrics text parser and relabel pipeline",
    long_about = None,
    after_help = "Exit codes: 0 success; 1 invalid input (parse error, failed rule test, failed scrape); \
                  2 usage, configuration or I/O error; 3 lint problems only (check)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse an exposition and print its events (jsonl), a summary, or nothing.
    Parse(parse::ParseArgs),
    /// Write a generated Envoy/Istio exposition to stdout.
    Gen(gen_cmd::GenArgs),
    /// Apply Prometheus relabel rules to label sets (or `relabel test FILE...`).
    Relabel(relabel::RelabelArgs),
    /// Scrape a captured body as Prometheus would: target relabeling, Content-Encoding, dialect, honor_labels,
    /// metric_relabel_configs, limits; prints the final series or a report.
    Scrape(Box<scrape::ScrapeArgs>),
    /// Lint an exposition like `promtool check metrics`, and more; exit 1 on invalid input, 3 on lint problems.
    Check(check::CheckArgs),
    /// The targets a job's Kubernetes pod discovery yields, computed offline from `kubectl get pods -A -o json`.
    Targets(targets::TargetsArgs),
    /// Parse (or, with --config, fully scrape) an input repeatedly and print the throughput.
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => scrape::run_default(),
        Some(Command::Parse(args)) => parse::run(args),
        Some(Command::Gen(args)) => gen_cmd::run(args),
        Some(Command::Relabel(args)) => relabel::run(args),
        Some(Command::Scrape(args)) => scrape::run(*args),
        Some(Command::Check(args)) => check::run(args),
        Some(Command::Bench(args)) => bench::run(args),
        Some(Command::Targets(args)) => targets::run(args),
    }
}
