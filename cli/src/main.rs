//! The promtext command-line tool.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod relabel;

/// promtext: Prometheus text exposition tools.
#[derive(Debug, Parser)]
#[command(name = "promtext", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply Prometheus relabel rules to label sets (or `relabel test FILE...`).
    Relabel(relabel::RelabelArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Relabel(args) => relabel::run(args),
    }
}
