//! `bitsim run FILE`: runs one scenario and prints its trace as text
//! (with `--explain`, the rules and access checks behind every step), as
//! JSON, or as a Mermaid sequence diagram.

use std::io::Write;
use std::path::PathBuf;

use bits::Profile;
use clap::{Args, ValueEnum};

use crate::command::scenario_files;
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
    let file = scenario_files::read(&args.file)?;
    let s = scenario_files::load(&file)?;
    let runs = runner::run(&s, &file.name, &file.text, args.profile)
        .map_err(|e| scenario_files::invalid(&file, e))?;
    match args.format {
        RunFormat::Text => {
            for (i, r) in runs.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                out.write_all(runner::report::text(r, args.explain).as_bytes())?;
            }
        }
        RunFormat::Json => out.write_all(runner::report::json(&runs).as_bytes())?,
        RunFormat::Mermaid => {
            for r in &runs {
                writeln!(out, "%% {} [{}]", r.scenario, r.profile)?;
                out.write_all(runner::report::mermaid(r).as_bytes())?;
            }
        }
    }
    Ok(if runs.iter().all(runner::Run::passed) {
        ExitCode::Ok
    } else {
        ExitCode::Failed
    })
}
