//! `bitsim run FILE`: runs one scenario and prints its trace as text
//! (with `--explain`, the rules and access checks behind every step), as
//! JSON, as a Mermaid sequence diagram or as an HTML report; with
//! `--show-tokens`, the tokens of the world after a step instead.

use std::io::Write;
use std::path::PathBuf;

use bits::Profile;
use clap::{Args, ValueEnum};

use crate::command::{checked, scenario_files};
use crate::{CliError, ExitCode};

/// Arguments of `bitsim run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// Run under this profile only (vista, win7, win10-1507, win10-1607,
    /// win11) instead of the scenario's own.
    #[arg(long, value_parser = parse_profile)]
    pub profile: Option<Profile>,
    /// Show why: each rule that decided a step, with its statement and
    /// source, and each access check's trail.
    #[arg(long)]
    pub explain: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RunFormat::Text)]
    pub format: RunFormat,
    /// Print the tokens instead of the trace: each token the scenario's
    /// threads, names and jobs reach, as `whoami /all` shows it (text) or
    /// as JSON (`--format json`).
    #[arg(long)]
    pub show_tokens: bool,
    /// With `--show-tokens`: the world after this step (default: the last
    /// step carried out).
    #[arg(long, requires = "show_tokens")]
    pub at: Option<usize>,
    /// With `--show-tokens`: only these tokens (a token's or a thread's
    /// name in the scenario; a thread shows the token it acts with).
    #[arg(long = "token", requires = "show_tokens")]
    pub tokens: Vec<String>,
}

/// How `run` prints the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunFormat {
    /// The trace, one step per line with its events and checks.
    Text,
    /// Every run as JSON.
    Json,
    /// A Mermaid sequence diagram per run.
    Mermaid,
    /// One self-contained HTML page: the sequence diagram, the steps with
    /// their decision trails, and a world inspector for every step.
    Html,
    /// SARIF 2.1.0 for code scanning: the load errors, or each failed
    /// expectation, broken invariant and property at its YAML line.
    Sarif,
}

/// Parses a profile name for clap.
pub(crate) fn parse_profile(text: &str) -> Result<Profile, String> {
    text.parse::<Profile>().map_err(|_| {
        format!(
            "unknown profile `{text}`: expected one of {}",
            Profile::ALL.map(Profile::name).join(", ")
        )
    })
}

/// Runs `bitsim run`.
pub fn run(args: &RunArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    if args.format == RunFormat::Sarif && !args.show_tokens {
        return sarif(args, out);
    }
    let file = scenario_files::read(&args.file)?;
    let s = scenario_files::load(&file)?;
    let options = runner::run::Options {
        only: args.profile,
        world_views: args.show_tokens || args.format == RunFormat::Html,
        ..runner::run::Options::default()
    };
    let runs = runner::run::run_with(&s, &file.name, &file.text, &options)
        .map_err(|e| scenario_files::invalid(&file, e))?;
    let code = if runs.iter().all(runner::Run::passed) {
        ExitCode::Ok
    } else {
        ExitCode::Failed
    };
    if args.show_tokens {
        crate::command::tokens::show(out, &runs, args.at, &args.tokens, args.format)?;
        return Ok(code);
    }
    match args.format {
        RunFormat::Text => {
            for (i, r) in runs.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                out.write_all(runner::report::text(r, args.explain).as_bytes())?;
            }
            let failed = runs.iter().filter(|r| !r.passed()).count();
            if failed == 0 {
                writeln!(out, "verdict: held (exit 0)")?;
            } else {
                writeln!(
                    out,
                    "verdict: FAILED (exit 1): {failed} of {} run{} failed",
                    runs.len(),
                    if runs.len() == 1 { "" } else { "s" }
                )?;
            }
        }
        RunFormat::Json => out.write_all(runner::report::json(&runs).as_bytes())?,
        RunFormat::Mermaid => {
            for r in &runs {
                writeln!(out, "%% {} [{}]", r.scenario, r.profile)?;
                out.write_all(runner::report::mermaid(r).as_bytes())?;
            }
        }
        RunFormat::Html => {
            let title = format!("bitsim run {}", file.name);
            out.write_all(runner::html::document(&title, &runs).as_bytes())?;
        }
        RunFormat::Sarif => {
            let findings: Vec<_> = runs
                .iter()
                .flat_map(|r| runner::sarif::findings_of_run(r, &file.text))
                .collect();
            out.write_all(runner::sarif::log(&findings, env!("CARGO_PKG_VERSION")).as_bytes())?;
        }
    }
    Ok(code)
}

/// `run --format sarif`: the log is written whether the file loads or
/// not; a file that does not load still ends with exit 2 and its
/// diagnostics.
fn sarif(args: &RunArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let mut outcomes = vec![checked::check_file(&args.file, args.profile, false)];
    out.write_all(checked::sarif(&outcomes).as_bytes())?;
    match outcomes.pop() {
        Some(checked::Outcome::NotLoaded { error, .. }) => {
            out.flush()?;
            Err(error)
        }
        Some(checked::Outcome::Ran { runs, .. }) if runs.iter().all(|(r, _)| r.passed()) => {
            Ok(ExitCode::Ok)
        }
        _ => Ok(ExitCode::Failed),
    }
}
