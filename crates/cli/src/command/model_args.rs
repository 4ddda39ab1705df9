//! The arguments that pick a model for `explore`, `fuzz` and `graph`
//! (`--model`, `--from`, `--profile`, `--mutant`, `--jobs`) and building
//! it; plus reporting and writing a counterexample found in it.

use std::path::PathBuf;

use bits::mutants::Mutant;
use bits::Profile;
use clap::Args;
use explore::{Model, WorldModel};

use crate::command::run::parse_profile;
use crate::command::scenario_files;
use crate::CliError;

/// Which model to check.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// A scenario file with an `explore` section: its steps are the setup,
    /// the section the universe (docs/scenarios.md, "Exploration
    /// universes").
    #[arg(value_name = "FILE", conflicts_with_all = ["from", "model", "jobs"])]
    pub file: Option<PathBuf>,
    /// A built-in model: `helper-tokens` or `impersonation`.
    #[arg(long, default_value = "helper-tokens", conflicts_with = "from")]
    pub model: String,
    /// Seed the model from a scenario file instead: its host and steps are
    /// the setup; the threads, tokens and job pointers it binds act.
    #[arg(long)]
    pub from: Option<PathBuf>,
    /// The OS profile.
    #[arg(long, value_parser = parse_profile, default_value = "win11")]
    pub profile: Profile,
    /// Run the world under a policy mutant (`bitsim mutants --list`).
    #[arg(long, value_parser = parse_mutant)]
    pub mutant: Option<&'static Mutant>,
    /// Jobs in the `helper-tokens` model (1: bob's; 2: bob's and the
    /// administrator's).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub jobs: u8,
}

/// Parses a mutant name for clap.
pub(crate) fn parse_mutant(text: &str) -> Result<&'static Mutant, String> {
    bits::mutants::mutant(text).ok_or_else(|| {
        let names: Vec<&str> = bits::MUTANTS
            .iter()
            .chain(bits::mutants::PLANTED)
            .map(|m| m.name)
            .collect();
        format!(
            "unknown mutant `{text}`: expected one of {}",
            names.join(", ")
        )
    })
}

impl ModelArgs {
    /// Builds the model.
    pub fn build(&self) -> Result<WorldModel, CliError> {
        if let Some(path) = &self.file {
            let file = scenario_files::read(path)?;
            scenario_files::load(&file)?;
            return explore::models::from_universe_file(
                &file.text,
                &file.name,
                self.profile,
                self.mutant,
            )
            .map_err(|e| CliError::InvalidArgument(e.0));
        }
        match &self.from {
            Some(path) => {
                let file = scenario_files::read(path)?;
                scenario_files::load(&file)?;
                explore::models::from_scenario(&file.text, &file.name, self.profile, self.mutant)
                    .map_err(|e| CliError::InvalidArgument(e.0))
            }
            None => explore::models::by_name(
                &self.model,
                self.profile,
                self.mutant,
                usize::from(self.jobs),
            )
            .map_err(|e| CliError::InvalidArgument(e.0)),
        }
    }
}

impl ModelArgs {
    /// The part of a command line that picks this model again: the file,
    /// `--from FILE` or `--model NAME`.
    pub(crate) fn source(&self, model: &WorldModel) -> String {
        if let Some(path) = &self.file {
            path.display().to_string()
        } else if let Some(path) = &self.from {
            format!("--from {}", path.display())
        } else {
            format!("--model {}", model.name())
        }
    }
}

/// The `--mutant NAME` part of a command line that reproduces a run.
pub(crate) fn mutant_flag(model: &WorldModel) -> String {
    model
        .mutant()
        .map(|m| format!(" --mutant {}", m.name))
        .unwrap_or_default()
}

/// Renders a counterexample as a scenario (with `header` and the broken
/// invariants as comments), prints its steps under `title` when `text`,
/// and writes it to `out_file` when given.
pub(crate) fn report_counterexample(
    out: &mut dyn std::io::Write,
    model: &WorldModel,
    ce: &explore::search::Counterexample,
    mut header: Vec<String>,
    title: &str,
    text: bool,
    out_file: Option<&PathBuf>,
) -> Result<(), CliError> {
    header.push(format!(
        "Broken: {}",
        ce.violations
            .iter()
            .map(|v| format!("{}: {}", v.invariant, v.message))
            .collect::<Vec<_>>()
            .join("; ")
    ));
    let yaml = explore::render::counterexample_yaml(model, ce, &header);
    if text {
        writeln!(
            out,
            "\n{title} ({} operations after the setup):",
            ce.ops.len()
        )?;
        for l in yaml
            .lines()
            .skip_while(|l| !l.contains("--- the counterexample ---"))
            .skip(1)
        {
            writeln!(out, "{l}")?;
        }
        for v in &ce.violations {
            writeln!(out, "  {}: {}", v.invariant, v.message)?;
        }
    }
    if let Some(path) = out_file {
        std::fs::write(path, &yaml).map_err(|e| {
            CliError::InvalidArgument(format!("cannot write {}: {e}", path.display()))
        })?;
    }
    Ok(())
}
