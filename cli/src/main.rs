//! The `promtext` command-line tool.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

// `gen` is reserved in edition 2024; the file keeps its name.
#[path = "gen.rs"]
mod gen_cmd;

/// Parse, generate, relabel, check and scrape Prometheus/OpenMetrics text.
#[derive(Parser)]
#[command(name = "promtext", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Write a generated Envoy/Istio exposition to stdout.
    Gen(gen_cmd::GenArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Some(Command::Gen(args)) => gen_cmd::run(args),
        None => {
            println!("promtext");
            ExitCode::SUCCESS
        }
    }
}
