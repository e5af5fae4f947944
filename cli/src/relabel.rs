//! `promtext relabel`: apply Prometheus relabel rules to label sets, and run rule unit tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use promtext::relabel::notation::parse_series;
use promtext::relabel::rtest::RuleTests;
use promtext::relabel::yaml::ConfigDocument;
use promtext::relabel::{Labels, NameValidationScheme, Outcome, Pipeline, Stage};

/// Relabel stage.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum StageArg {
    /// `relabel_configs` (the default for a job).
    Target,
    /// `metric_relabel_configs`.
    Metric,
}

/// Name-validation scheme.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SchemeArg {
    /// Any non-empty UTF-8 label name (Prometheus 3 default).
    Utf8,
    /// `[a-zA-Z_][a-zA-Z0-9_]*`.
    Legacy,
}

/// `promtext relabel` arguments.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RelabelArgs {
    /// `test FILE...`: run relabel unit-test files.
    #[command(subcommand)]
    pub command: Option<RelabelCommand>,
    /// A rule list, a prometheus.yml, or operator values with `additionalScrapeConfigs:`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The scrape job to use when the config has several.
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,
    /// Which rules of the job: target (`relabel_configs`) or metric (`metric_relabel_configs`).
    #[arg(long, value_enum)]
    pub stage: Option<StageArg>,
    /// Label-name validation scheme (default: the job's, else utf8).
    #[arg(long, value_enum)]
    pub scheme: Option<SchemeArg>,
    /// Print a per-rule trace (as `#` lines) before each result.
    #[arg(long)]
    pub explain: bool,
    /// Label sets, one per line, in series notation (`-` or absent: standard input).
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,
}

/// Subcommands of `promtext relabel`.
#[derive(Debug, clap::Subcommand)]
pub enum RelabelCommand {
    /// Run relabel unit-test files (YAML); exit 1 when a case fails.
    Test {
        /// Test files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

fn fail(code: u8, msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(code)
}

/// Runs `promtext relabel`.
pub fn run(args: RelabelArgs) -> ExitCode {
    if let Some(RelabelCommand::Test { files }) = args.command {
        return run_tests(&files);
    }
    let Some(config) = args.config else {
        return fail(2, "--config FILE is required");
    };
    let text = match std::fs::read_to_string(&config) {
        Ok(t) => t,
        Err(e) => return fail(2, format!("reading {}: {e}", config.display())),
    };
    let doc = match ConfigDocument::from_yaml(&text) {
        Ok(d) => d,
        Err(e) => return fail(2, e),
    };
    let stage = args.stage.map(|s| match s {
        StageArg::Target => Stage::Target,
        StageArg::Metric => Stage::Metric,
    });
    let sel = match doc.select(args.job.as_deref(), stage) {
        Ok(s) => s,
        Err(e) => return fail(2, e),
    };
    let scheme = match args.scheme {
        Some(SchemeArg::Utf8) => NameValidationScheme::Utf8,
        Some(SchemeArg::Legacy) => NameValidationScheme::Legacy,
        None => sel.scheme,
    };
    let pipeline = match Pipeline::new(sel.rules, scheme) {
        Ok(p) => p,
        Err(e) => return fail(2, e),
    };
    let reader: Box<dyn Read> = match args.input.as_deref() {
        None => Box::new(std::io::stdin()),
        Some(p) if p == Path::new("-") => Box::new(std::io::stdin()),
        Some(p) => match std::fs::File::open(p) {
            Ok(f) => Box::new(f),
            Err(e) => return fail(2, format!("reading {}: {e}", p.display())),
        },
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut relabeler = pipeline.relabeler();
    let mut bad = false;
    for (n, line) in BufReader::new(reader).lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => return fail(2, e),
        };
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let pairs = match parse_series(t) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: line {}: {e}", n + 1);
                bad = true;
                continue;
            }
        };
        if args.explain {
            for l in pipeline.explain(&pairs).to_string().lines() {
                let _ = writeln!(out, "# {l}");
            }
        }
        let res = match relabeler.apply(&pairs) {
            Outcome::Dropped => "DROPPED".to_string(),
            Outcome::Unchanged => Labels::from_pairs(pairs.iter().map(|(a, b)| (a, b))).to_string(),
            Outcome::Changed(l) => l.to_string(),
        };
        if writeln!(out, "{res}").is_err() {
            return ExitCode::from(1);
        }
    }
    let _ = out.flush();
    if bad {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn run_tests(files: &[PathBuf]) -> ExitCode {
    let (mut passed, mut failed) = (0usize, 0usize);
    for f in files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => return fail(2, format!("reading {}: {e}", f.display())),
        };
        let base = f.parent().unwrap_or(Path::new("."));
        let tests = match RuleTests::from_yaml(&text, base) {
            Ok(t) => t,
            Err(e) => return fail(2, format!("{}: {e}", f.display())),
        };
        for r in tests.run() {
            if r.passed() {
                passed += 1;
                continue;
            }
            failed += 1;
            let name = r
                .name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            println!("FAIL {}: test {}{name}", f.display(), r.index);
            println!("  input:    {}", tests.cases[r.index].input);
            println!("  expected: {}", r.expected);
            println!("  got:      {}", r.got);
            for l in r.explanation.to_string().lines() {
                println!("  | {l}");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
