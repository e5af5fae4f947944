//! `promtext`: inspect Prometheus / OpenMetrics expositions, generate Envoy and Istio ones,
//! and test relabel rules.
//!
//! Exit codes: 0 success; 1 the input is invalid (parse error, failed rule test, lint
//! findings); 2 usage, configuration or I/O error.

// `gen` is reserved in edition 2024; the file keeps its name.
#[path = "gen.rs"]
mod gen_cmd;
mod output;
mod parse;
mod relabel;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "promtext", version, about = "Zero-copy Prometheus/OpenMetrics text parser and relabel pipeline", long_about = None)]
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
}

/// With no subcommand: parse an embedded, deterministically generated Envoy sidecar
/// exposition and print the summary.
fn default_job() -> ExitCode {
    let generated = promtext::generator::generate(
        &promtext::generator::GenConfig::envoy().target_bytes(4 << 20),
    );
    println!(
        "promtext: parsing a generated Envoy sidecar exposition ({} bytes, seed {})\n",
        generated.text.len(),
        generated.meta.seed()
    );
    let mut out = std::io::stdout().lock();
    let start = std::time::Instant::now();
    match parse::parse_reader(
        generated.text.as_bytes(),
        promtext::Settings::default(),
        parse::Output::None,
        &mut out,
    ) {
        Ok(stats) => {
            let secs = start.elapsed().as_secs_f64();
            let _ = parse::print_summary(&mut out, &stats, secs);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:?}");
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => default_job(),
        Some(Command::Parse(args)) => parse::run(args),
        Some(Command::Gen(args)) => gen_cmd::run(args),
        Some(Command::Relabel(args)) => relabel::run(args),
    }
}
