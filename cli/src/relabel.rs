//! `promtext relabel`: apply Prometheus relabel rules to label sets, and run rule unit tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use promtext::config::ConfigDocument;
use promtext::config::RuleTests;
use promtext::relabel::parse_series;
use promtext::relabel::{ConfigError, Labels, NameValidationScheme, Outcome, Pipeline, Stage};
use promtext::scrape::Series;
use promtext::{Event, ReadParser, Settings};

use crate::output::{
    config_error, is_broken_pipe, json_label_object, json_sample_open, json_str, open_body,
};

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
#[command(
    after_help = "Exit codes: 0 success; 1 an input line or body is invalid, or a rule test failed; \
                  2 usage, configuration or I/O error."
)]
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
    /// Output format: label sets (series notation or an exposition, as the input) or JSON objects.
    #[arg(long, value_enum, default_value_t = RelabelOutput::Text)]
    pub output: RelabelOutput,
    /// Label sets, one per line, in series notation, or an exposition body in any dialect, possibly
    /// gzip/zstd-compressed, whose samples are relabeled (dropped ones are left out) (`-` or absent: standard
    /// input).
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,
}

/// Output of `promtext relabel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RelabelOutput {
    /// Series notation (`DROPPED` for a dropped label set), or exposition lines for an exposition input.
    Text,
    /// One JSON object per label set (`kind` `labels`, with `dropped`) or per kept sample (`kind` `sample`).
    Jsonl,
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
    let Some(config) = args.config.clone() else {
        return fail(2, "--config FILE is required");
    };
    let file = config.display();
    let text = match std::fs::read_to_string(&config) {
        Ok(t) => t,
        Err(e) => return fail(2, format!("reading {file}: {e}")),
    };
    let doc = match ConfigDocument::from_yaml(&text) {
        Ok(d) => d,
        Err(e) => return fail(2, config_error(&file.to_string(), &text, &e)),
    };
    let stage = args.stage.map(|s| match s {
        StageArg::Target => Stage::Target,
        StageArg::Metric => Stage::Metric,
    });
    let sel = match doc.select(args.job.as_deref(), stage) {
        Ok(s) => s,
        Err(e) => return fail(2, format!("{file}: {e}")),
    };
    let scheme = match args.scheme {
        Some(SchemeArg::Utf8) => NameValidationScheme::Utf8,
        Some(SchemeArg::Legacy) => NameValidationScheme::Legacy,
        None => sel.scheme,
    };
    let pipeline = match Pipeline::new(sel.rules, scheme) {
        Ok(p) => p,
        Err(e) => {
            // Name the job and the rule list when the rules come from a job.
            let e = match sel.job {
                Some(j) => ConfigError::InJob {
                    job: j.job_name.clone(),
                    stage: Some(sel.stage),
                    error: Box::new(e),
                },
                None => e,
            };
            return fail(2, config_error(&file.to_string(), &text, &e));
        }
    };
    let input = match open_body(args.input.as_ref().and_then(|p| p.to_str()), "auto") {
        Ok((r, enc)) => (r, enc),
        Err(e) => return fail(2, e),
    };
    let (reader, encoding) = input;
    let mut reader = BufReader::with_capacity(64 << 10, reader);
    // An exposition (a compressed body, HELP/TYPE lines, or a first line that is not series notation) is
    // relabeled sample by sample, as metric_relabel_configs see a scrape.
    let exposition = match reader.fill_buf() {
        Ok(head) => encoding != "identity" || looks_like_exposition(head),
        Err(e) => return fail(2, e),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let res = if exposition {
        relabel_exposition(Box::new(reader), &pipeline, &args, &mut out)
    } else {
        relabel_notation(reader, &pipeline, &args, &mut out)
    };
    let res = res.and_then(|bad| out.flush().map(|()| bad).map_err(Failure::Io));
    match res {
        Ok(false) => ExitCode::SUCCESS,
        Ok(true) => ExitCode::from(1),
        Err(Failure::Io(e)) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(Failure::Io(e)) => fail(2, e),
        Err(Failure::Parse(e)) => fail(1, e),
    }
}

/// Why relabeling an input stopped.
enum Failure {
    Io(std::io::Error),
    Parse(promtext::Error),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e)
    }
}

/// Whether the head of the input is an exposition rather than label sets in series notation.
fn looks_like_exposition(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("# HELP ") || t.starts_with("# TYPE ") || t.starts_with("# EOF") {
            return true;
        }
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        return parse_series(t).is_err();
    }
    false
}

fn write_result(
    out: &mut impl Write,
    args: &RelabelArgs,
    input: &[(String, String)],
    res: &Outcome,
) -> std::io::Result<()> {
    let labels = match res {
        Outcome::Dropped => None,
        Outcome::Unchanged => Some(Labels::from_pairs(input.iter().map(|(a, b)| (a, b)))),
        Outcome::Changed(l) => Some(l.clone()),
    };
    match (args.output, labels) {
        (RelabelOutput::Text, None) => writeln!(out, "DROPPED"),
        (RelabelOutput::Text, Some(l)) => writeln!(out, "{l}"),
        (RelabelOutput::Jsonl, l) => {
            let dropped = l.is_none();
            let l = l.unwrap_or_else(|| Labels::from_pairs(input.iter().map(|(a, b)| (a, b))));
            out.write_all(b"{\"kind\":\"labels\",\"name\":")?;
            match l.get("__name__") {
                Some(n) => json_str(out, n)?,
                None => out.write_all(b"null")?,
            }
            out.write_all(b",\"labels\":")?;
            json_label_object(out, l.iter().filter(|(n, _)| *n != "__name__"))?;
            writeln!(out, ",\"dropped\":{dropped}}}")
        }
    }
}

fn relabel_notation(
    reader: impl BufRead,
    pipeline: &Pipeline,
    args: &RelabelArgs,
    out: &mut impl Write,
) -> Result<bool, Failure> {
    let mut relabeler = pipeline.relabeler();
    let mut bad = false;
    for (n, line) in reader.lines().enumerate() {
        let line = line?;
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
                writeln!(out, "# {l}")?;
            }
        }
        let res = relabeler.apply(&pairs);
        write_result(out, args, &pairs, &res)?;
    }
    Ok(bad)
}

fn relabel_exposition(
    reader: Box<dyn Read>,
    pipeline: &Pipeline,
    args: &RelabelArgs,
    out: &mut impl Write,
) -> Result<bool, Failure> {
    let (chosen, reader) = crate::parse::auto_dialect(None, reader)?;
    let crate::parse::Chosen::Text(dialect) = chosen else {
        return Err(Failure::Io(std::io::Error::other(
            "the input is a protobuf exposition; relabel reads the text formats",
        )));
    };
    let mut p = ReadParser::new(reader, Settings::default().dialect(dialect));
    let mut relabeler = pipeline.relabeler();
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut text = String::new();
    while let Some(ev) = p.next_event() {
        let ev = ev.map_err(Failure::Parse)?;
        let Event::Sample(s) = ev else { continue };
        pairs.clear();
        pairs.push(("__name__".to_string(), s.name().into_owned()));
        pairs.extend(
            s.labels()
                .map(|l| (l.name.into_owned(), l.value.into_owned())),
        );
        if args.explain {
            for l in pipeline.explain(&pairs).to_string().lines() {
                writeln!(out, "# {l}")?;
            }
        }
        let labels = match relabeler.apply(&pairs) {
            Outcome::Dropped => continue,
            Outcome::Unchanged => Labels::from_pairs(pairs.iter().map(|(a, b)| (a, b))),
            Outcome::Changed(l) => l,
        };
        match args.output {
            RelabelOutput::Text => {
                let series = Series {
                    labels: &labels,
                    value: s.value(),
                    value_text: s.value_text(),
                    timestamp_ms: s.timestamp_ms(),
                    new: false,
                };
                text.clear();
                series.write_exposition(&mut text);
                out.write_all(text.as_bytes())?;
            }
            RelabelOutput::Jsonl => {
                let name = labels.get("__name__").unwrap_or_default();
                json_sample_open(out, name, labels.iter(), s.value(), s.timestamp_ms())?;
                out.write_all(b"}\n")?;
            }
        }
    }
    Ok(false)
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
