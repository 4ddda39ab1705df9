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
    #[arg(long, default_value_t = 4)]
    pub depth: usize,
    /// Run only this mutant.
    #[arg(long, value_parser = crate::command::model_args::parse_mutant)]
    pub only: Option<&'static Mutant>,
}

/// What killed a mutant.
fn killer(
    m: &'static Mutant,
    files: &[scenario_files::SourceFile],
    depth: usize,
) -> Result<Option<String>, CliError> {
    for file in files {
        let s = scenario_files::load(file)?;
        let options = scenario::run::Options {
            mutant: Some(m),
            ..scenario::run::Options::default()
        };
        let runs = scenario::run::run_with(&s, &file.name, &file.text, &options)
            .map_err(|e| scenario_files::invalid(file, e))?;
        if let Some(r) = runs.iter().find(|r| !r.passed()) {
            let step = r.failure().map_or(0, |s| s.number);
            return Ok(Some(format!(
                "scenario {} [{}] step {step}",
                r.file, r.profile
            )));
        }
    }
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
            let model = explore::models::by_name(name, profile, Some(m), 2)
                .map_err(|e| CliError::InvalidArgument(e.0))?;
            let report = explore(&model, &config, &silent);
            if let Some(ce) = report.counterexample {
                let broken: Vec<&str> = ce.violations.iter().map(|v| v.invariant).collect();
                return Ok(Some(format!(
                    "model {name} [{profile}] depth {}: {}",
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
        match killer(m, &files, args.depth)? {
            Some(by) => writeln!(out, "killed   {:34} by {by}", m.name)?,
            None => {
                survivors += 1;
                writeln!(out, "SURVIVED {:34} {}", m.name, m.description)?;
            }
        }
    }
    writeln!(
        out,
        "{} killed, {survivors} survived",
        chosen.len() - survivors
    )?;
    Ok(if survivors == 0 {
        ExitCode::Ok
    } else {
        ExitCode::Failed
    })
}
