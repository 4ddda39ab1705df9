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

/// What the scenario library shows under a mutant: the first failing
/// step of any kind, and the first step where an invariant or one of the
/// scenario's own properties broke (expectations aside).
#[derive(Debug, Default)]
struct LibraryKill {
    /// The first failing step, whatever failed.
    any: Option<String>,
    /// The first step that broke an invariant or a property.
    invariant: Option<String>,
}

/// Runs the library under the mutant, carrying on past failing steps so
/// that an invariant broken after a failed expectation is still seen.
fn scenario_killer(
    m: &'static Mutant,
    files: &[scenario_files::SourceFile],
) -> Result<LibraryKill, CliError> {
    let mut kill = LibraryKill::default();
    for file in files {
        let s = scenario_files::load(file)?;
        let options = runner::run::Options {
            mutant: Some(m),
            keep_going: true,
            ..runner::run::Options::default()
        };
        let runs = match runner::run::run_with(&s, &file.name, &file.text, &options) {
            Ok(runs) => runs,
            Err(e) => {
                // The scenario runs under the real rules (or the error is
                // the file's own): a run the mutant alone cannot finish,
                // such as one over the simulation's budget, is a kill.
                let plain = runner::run::Options {
                    keep_going: true,
                    ..runner::run::Options::default()
                };
                runner::run::run_with(&s, &file.name, &file.text, &plain)
                    .map_err(|e| scenario_files::invalid(file, e))?;
                if kill.any.is_none() {
                    let first = e.to_string();
                    let first = first.lines().next().unwrap_or_default();
                    kill.any = Some(format!("scenario {} cannot finish: {first}", file.name));
                }
                continue;
            }
        };
        for r in &runs {
            if kill.any.is_none() && !r.passed() {
                let at = r
                    .failure()
                    .map_or_else(|| "end".to_string(), |s| format!("step {}", s.number));
                kill.any = Some(format!("scenario {} [{}] {at}", r.file, r.profile));
            }
            if kill.invariant.is_none() {
                kill.invariant = invariant_failure(r);
            }
        }
        if kill.any.is_some() && kill.invariant.is_some() {
            break;
        }
    }
    Ok(kill)
}

/// The first invariant or property a run broke, described.
fn invariant_failure(r: &runner::run::Run) -> Option<String> {
    for step in &r.steps {
        let mut broken: Vec<String> = step
            .violations
            .iter()
            .map(|v| v.invariant.to_string())
            .collect();
        broken.extend(step.property_failures.iter().map(|(id, _)| id.clone()));
        if !broken.is_empty() {
            return Some(format!(
                "scenario {} [{}] step {}: {}",
                r.file,
                r.profile,
                step.number,
                broken.join(", ")
            ));
        }
    }
    r.properties
        .iter()
        .find(|p| !p.passed())
        .map(|p| format!("scenario {} [{}] property {}", r.file, r.profile, p.id))
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
                let broken: Vec<&str> = ce.violations.iter().map(|v| &*v.invariant).collect();
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
            writeln!(
                out,
                "{:34} {:6} {:26} {}",
                m.name,
                m.layer(),
                m.switch,
                m.description
            )?;
        }
        return Ok(ExitCode::Ok);
    }
    let files = scenario_files::collect(&args.paths)?
        .iter()
        .map(|p| scenario_files::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut survivors = 0;
    let mut by_invariants = 0;
    let mut expectations_only = Vec::new();
    for m in &chosen {
        let library = scenario_killer(m, &files)?;
        let by_model = model_killer(m, args.depth)?;
        // A model whose setup fails under the mutant is an expectation
        // failing, not an invariant.
        let invariant = library.invariant.clone().or_else(|| {
            by_model
                .clone()
                .filter(|k| !k.contains(" setup: ") || k.contains(": INV-"))
        });
        if library.any.is_none() && by_model.is_none() {
            survivors += 1;
            writeln!(
                out,
                "SURVIVED {:34} [{} {}] {}",
                m.name,
                m.layer(),
                m.switch,
                m.description
            )?;
            continue;
        }
        if invariant.is_some() {
            by_invariants += 1;
        } else {
            expectations_only.push(m.name);
        }
        writeln!(out, "killed   {} [{} {}]", m.name, m.layer(), m.switch)?;
        writeln!(
            out,
            "           library:    {}",
            library.any.as_deref().unwrap_or("no scenario fails")
        )?;
        writeln!(
            out,
            "           invariants: {}",
            library
                .invariant
                .as_deref()
                .unwrap_or("no invariant or property breaks in the library")
        )?;
        writeln!(
            out,
            "           models:     {}",
            by_model.as_deref().map_or_else(
                || format!("no violation within depth {}", args.depth),
                str::to_string
            )
        )?;
    }
    let total = chosen.len();
    writeln!(out, "{} killed, {survivors} survived", total - survivors)?;
    writeln!(
        out,
        "invariants and properties alone kill {by_invariants} of {total} ({}%){}",
        by_invariants * 100 / total.max(1),
        if expectations_only.is_empty() {
            String::new()
        } else {
            format!("; only expectations kill {}", expectations_only.join(", "))
        }
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
