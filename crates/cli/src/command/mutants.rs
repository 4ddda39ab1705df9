//! `bitsim mutants`: runs the scenario library and the bounded models
//! against every policy mutant (a `Rules` value with one rule wrong) and
//! prints which were killed, and by what. A survivor means a missing
//! invariant or scenario; the command fails while one survives.

use std::io::Write;
use std::path::PathBuf;

use bits::mutants::{Mutant, MUTANTS};
use bits::Profile;
use clap::Args;
use explore::search::{explore, Config};

use crate::command::scenario_files;
use crate::{CliError, ExitCode};

/// Arguments of `bitsim mutants`.
#[derive(Debug, Args)]
pub struct MutantsArgs {
    /// Scenario files or directories (searched recursively for .yaml).
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// Only list the mutants.
    #[arg(long)]
    pub list: bool,
    /// Depth of the bounded models' exploration for each mutant.
    #[arg(long, default_value_t = 5)]
    pub depth: usize,
    /// Run only this mutant.
    #[arg(long, value_parser = crate::command::model_args::parse_mutant)]
    pub only: Option<&'static Mutant>,
}

/// The first scenario run the mutant makes fail.
fn scenario_killer(
    m: &'static Mutant,
    files: &[scenario_files::SourceFile],
) -> Result<Option<String>, CliError> {
    for file in files {
        let s = scenario_files::load(file)?;
        let options = runner::run::Options {
            mutant: Some(m),
            ..runner::run::Options::default()
        };
        let runs = runner::run::run_with(&s, &file.name, &file.text, &options)
            .map_err(|e| scenario_files::invalid(file, e))?;
        if let Some(r) = runs.iter().find(|r| !r.passed()) {
            let step = r.failure().map_or(0, |s| s.number);
            return Ok(Some(format!(
                "scenario {} [{}] step {step}",
                r.file, r.profile
            )));
        }
    }
    Ok(None)
}

/// The first bounded model (in profile order) whose exploration to
/// `depth` breaks an invariant under the mutant.
fn model_killer(m: &'static Mutant, depth: usize) -> Result<Option<String>, CliError> {
    let config = Config {
        depth,
        threads: 1,
        shard: None,
    };
    let silent = |_: explore::search::Level| {};
    for profile in Profile::ALL {
        if !m.changes(profile.rules()) {
            continue;
        }
        for name in explore::models::NAMES {
            let model = match explore::models::by_name(name, profile, Some(m), 2) {
                Ok(model) => model,
                Err(e) => {
                    // The model's own setup fails under the mutant but not
                    // under the real rules: that is a kill.
                    explore::models::by_name(name, profile, None, 2)
                        .map_err(|e| CliError::InvalidArgument(e.0))?;
                    let first = e.0.lines().next().unwrap_or_default().to_string();
                    return Ok(Some(format!("model {name} [{profile}] setup: {first}")));
                }
            };
            let report = explore(&model, &config, &silent);
            if let Some(ce) = report.counterexample {
                let broken: Vec<&str> = ce.violations.iter().map(|v| v.invariant).collect();
                return Ok(Some(format!(
                    "model {name} [{profile}] after {} ops: {}",
                    ce.ops.len(),
                    broken.join(", ")
                )));
            }
        }
    }
    Ok(None)
}

/// Runs `bitsim mutants`.
pub fn run(args: &MutantsArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let chosen: Vec<&'static Mutant> = match args.only {
        Some(m) => vec![m],
        None => MUTANTS.iter().collect(),
    };
    if args.list {
        for m in &chosen {
            writeln!(out, "{:34} {:28} {}", m.name, m.switch, m.description)?;
        }
        return Ok(ExitCode::Ok);
    }
    let files = scenario_files::collect(&args.paths)?
        .iter()
        .map(|p| scenario_files::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut survivors = 0;
    for m in &chosen {
        let by_scenario = scenario_killer(m, &files)?;
        let by_model = model_killer(m, args.depth)?;
        if by_scenario.is_none() && by_model.is_none() {
            survivors += 1;
            writeln!(out, "SURVIVED {:34} {}", m.name, m.description)?;
            continue;
        }
        writeln!(out, "killed   {}", m.name)?;
        writeln!(
            out,
            "           library: {}",
            by_scenario.as_deref().unwrap_or("no scenario fails")
        )?;
        writeln!(
            out,
            "           models:  {}",
            by_model.as_deref().map_or_else(
                || format!("no violation within depth {}", args.depth),
                str::to_string
            )
        )?;
    }
    writeln!(
        out,
        "{} killed, {survivors} survived",
        chosen.len() - survivors
    )?;
    if survivors == 0 {
        writeln!(out, "verdict: held (exit 0): every mutant was killed")?;
        Ok(ExitCode::Ok)
    } else {
        writeln!(
            out,
            "verdict: FAILED (exit 1): {survivors} mutant{} survived",
            if survivors == 1 { "" } else { "s" }
        )?;
        Ok(ExitCode::Failed)
    }
}
