//! `bitsim diff FILE --profiles a,b,...`: runs one scenario under several
//! OS profiles and shows, step by step, where the outcomes diverge (for
//! specification review: what changed in 1607).
//!
//! This module owns what counts as a step's outcome when profiles are
//! compared (its result, its events, the values its checks saw, broken
//! invariants, the error of a step that could not be carried out) and the
//! text and JSON views of the comparison. Every outcome comes from
//! `runner::run::run_with`; nothing here decides anything about Windows.

use std::io::Write;
use std::path::PathBuf;

use bits::Profile;
use clap::{Args, ValueEnum};
use runner::run::{Check, Options, ResultText, StepRecord};
use runner::Run;
use serde::Serialize;

use crate::command::run::parse_profile;
use crate::command::{scenario_files, write_json};
use crate::{CliError, ExitCode};

/// Arguments of `bitsim diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// The profiles to compare, comma-separated (vista, win7, win10-1507,
    /// win10-1607, win11); at least two. Default: the scenario's own.
    #[arg(long, value_delimiter = ',', value_parser = parse_profile)]
    pub profiles: Vec<Profile>,
    /// Print every step, not only the diverging ones.
    #[arg(long)]
    pub all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
}

/// How `diff` prints the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// One block per step: the step, then one line per profile.
    Text,
    /// The comparison as JSON: the steps, each with its outcome under
    /// every profile.
    Json,
}

/// The comparison of one scenario across profiles, as `--format json`
/// prints it.
#[derive(Debug, Serialize)]
pub struct Diff {
    /// The scenario's name.
    pub scenario: String,
    /// The file it came from.
    pub file: String,
    /// The profiles compared, in the order given.
    pub profiles: Vec<&'static str>,
    /// How many steps the longest run has.
    pub total_steps: usize,
    /// How many of them diverge.
    pub diverging_steps: usize,
    /// The steps shown: the diverging ones, or every step with `--all`.
    pub steps: Vec<StepDiff>,
}

/// One step compared across profiles.
#[derive(Debug, Serialize)]
pub struct StepDiff {
    /// 1-based step number.
    pub number: usize,
    /// The line of the step in the file.
    pub line: usize,
    /// The thread that made the call, under the first profile that knew it.
    pub actor: Option<String>,
    /// The step's kind (`CreateJob`, `expect`, ...).
    pub kind: String,
    /// Its arguments, as written.
    pub args: String,
    /// Whether the outcome differs between two of the profiles.
    pub diverges: bool,
    /// The outcome under each profile, in the order of `profiles`.
    pub outcomes: Vec<ProfileOutcome>,
}

/// What a step did under one profile.
#[derive(Debug, Serialize)]
pub struct ProfileOutcome {
    /// The profile.
    pub profile: &'static str,
    /// False when the run under this profile stopped before the step.
    pub reached: bool,
    /// The result, for a step that applied an operation.
    pub result: Option<ResultText>,
    /// What changed, one line per event.
    pub events: Vec<String>,
    /// Each check the step made, with the actual value (for a call, all
    /// but the one comparing its result, which `result` shows).
    pub checks: Vec<Check>,
    /// The invariants the step broke, as `id: message`.
    pub violations: Vec<String>,
    /// Why the step could not be carried out, if it could not.
    pub error: Option<String>,
}

impl ProfileOutcome {
    fn of(
        profile: &'static str,
        step: Option<&StepRecord>,
        lines: Option<&runner::report::Lines>,
    ) -> ProfileOutcome {
        let Some(s) = step else {
            return ProfileOutcome {
                profile,
                reached: false,
                result: None,
                events: Vec::new(),
                checks: Vec::new(),
                violations: Vec::new(),
                error: None,
            };
        };
        // The check of a call's result against the scenario's expectation
        // is left out: the result itself is shown and compared. Its other
        // checks (`returns`, `count`, what a server saw) carry values the
        // call produced; an expectation's checks are its whole outcome.
        let checks = s
            .checks
            .iter()
            .filter(|c| s.result.is_none() || c.what != "result")
            .cloned()
            .collect();
        ProfileOutcome {
            profile,
            reached: true,
            result: s.result.clone(),
            events: lines.map(|l| l.events.clone()).unwrap_or_default(),
            checks,
            violations: s
                .violations
                .iter()
                .map(|v| format!("{}: {}", v.invariant, v.message))
                .collect(),
            error: s.error.clone(),
        }
    }

    /// What is compared across profiles. The world numbers unnamed tokens,
    /// threads and jobs (`token#4106`) in the order it makes them, so one
    /// extra token under one profile would renumber every later one: the
    /// numbers are left out of the comparison (they are still shown).
    fn key(&self) -> OutcomeKey {
        OutcomeKey {
            reached: self.reached,
            result: self
                .result
                .as_ref()
                .map(|r| (r.name.clone(), r.hex.clone())),
            events: self.events.iter().map(|e| unnumbered(e)).collect(),
            checks: self
                .checks
                .iter()
                .map(|c| (c.what.clone(), unnumbered(&c.actual), c.ok))
                .collect(),
            violations: self.violations.iter().map(|v| unnumbered(v)).collect(),
            error: self.error.as_deref().map(unnumbered),
        }
    }

    /// The outcome on one line: result, events, checks, broken invariants
    /// and error, separated by ` | `.
    fn line(&self) -> String {
        if !self.reached {
            return "not reached".to_string();
        }
        let mut parts = Vec::new();
        if let Some(r) = &self.result {
            parts.push(format!("{} ({})", r.name, r.hex));
        }
        parts.extend(self.events.iter().cloned());
        parts.extend(self.checks.iter().map(|c| {
            if c.ok {
                format!("{} = {} (ok)", c.what, c.actual)
            } else {
                format!(
                    "{} = {} (FAILED: expected {})",
                    c.what, c.actual, c.expected
                )
            }
        }));
        parts.extend(self.violations.iter().map(|v| format!("INVARIANT {v}")));
        if let Some(e) = &self.error {
            parts.push(format!("ERROR: {e}"));
        }
        if parts.is_empty() {
            "no effect".to_string()
        } else {
            parts.join(" | ")
        }
    }
}

/// The parts of an outcome that are compared.
#[derive(Debug, PartialEq, Eq)]
struct OutcomeKey {
    reached: bool,
    result: Option<(String, String)>,
    events: Vec<String>,
    checks: Vec<(String, String, bool)>,
    violations: Vec<String>,
    error: Option<String>,
}

/// `text` with the digits after each `#` dropped (`token#4106` -> `token#`).
fn unnumbered(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut after_hash = false;
    for c in text.chars() {
        if after_hash && c.is_ascii_digit() {
            continue;
        }
        after_hash = c == '#';
        out.push(c);
    }
    out
}

/// Compares `runs` (one per profile, in the order of `profiles`) step by
/// step; keeps every step with `all`, otherwise only the diverging ones.
pub fn compare(runs: &[Run], all: bool) -> Diff {
    let total_steps = runs.iter().map(|r| r.steps.len()).max().unwrap_or(0);
    let lines: Vec<Vec<runner::report::Lines>> = runs.iter().map(runner::report::lines).collect();
    let mut steps = Vec::new();
    let mut diverging_steps = 0;
    for index in 0..total_steps {
        let records: Vec<Option<&StepRecord>> = runs.iter().map(|r| r.steps.get(index)).collect();
        let outcomes: Vec<ProfileOutcome> = runs
            .iter()
            .zip(&records)
            .zip(&lines)
            .map(|((r, s), l)| ProfileOutcome::of(r.profile, *s, l.get(index)))
            .collect();
        let keys: Vec<OutcomeKey> = outcomes.iter().map(ProfileOutcome::key).collect();
        let diverges = keys.windows(2).any(|w| w[0] != w[1]);
        if diverges {
            diverging_steps += 1;
        }
        if !(diverges || all) {
            continue;
        }
        let Some(first) = records.iter().flatten().next() else {
            continue;
        };
        steps.push(StepDiff {
            number: first.number,
            line: first.line,
            actor: records.iter().flatten().find_map(|s| s.actor.clone()),
            kind: first.kind.clone(),
            args: first.args.clone(),
            diverges,
            outcomes,
        });
    }
    Diff {
        scenario: runs
            .first()
            .map_or_else(String::new, |r| r.scenario.clone()),
        file: runs.first().map_or_else(String::new, |r| r.file.clone()),
        profiles: runs.iter().map(|r| r.profile).collect(),
        total_steps,
        diverging_steps,
        steps,
    }
}

/// The comparison as text: a heading, each step shown with one line per
/// profile (one `all` line for a step that does not diverge), and the
/// summary line.
pub fn text(diff: &Diff) -> String {
    let profiles = diff.profiles.join(", ");
    let width = diff
        .profiles
        .iter()
        .map(|p| p.len())
        .max()
        .unwrap_or(0)
        .max("all".len());
    let mut out = format!(
        "scenario {} ({}) under {profiles}\n",
        diff.scenario, diff.file
    );
    for s in &diff.steps {
        let actor = s
            .actor
            .as_ref()
            .map_or_else(String::new, |a| format!("{a}: "));
        out.push_str(&format!(
            "{:>3}. line {:<4} {actor}{} {}\n",
            s.number, s.line, s.kind, s.args
        ));
        match s.outcomes.first() {
            Some(first) if !s.diverges => {
                out.push_str(&format!("       {:<width$}  {}\n", "all", first.line()));
            }
            _ => {
                for o in &s.outcomes {
                    out.push_str(&format!("       {:<width$}  {}\n", o.profile, o.line()));
                }
            }
        }
    }
    out.push_str(&format!(
        "{} of {} steps diverge across {profiles}\n",
        diff.diverging_steps, diff.total_steps
    ));
    out
}

/// The profiles to compare: the ones given (duplicates dropped, order
/// kept) or the scenario's own; at least two.
fn chosen_profiles(given: &[Profile], s: &scenario::Scenario) -> Result<Vec<Profile>, CliError> {
    let mut profiles: Vec<Profile> = Vec::new();
    let source = if given.is_empty() {
        runner::run::profiles_of(s)
    } else {
        given.to_vec()
    };
    for p in source {
        if !profiles.contains(&p) {
            profiles.push(p);
        }
    }
    if profiles.len() < 2 {
        let named = profiles
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(", ");
        let whose = if given.is_empty() {
            "the scenario runs under"
        } else {
            "--profiles names"
        };
        return Err(CliError::InvalidArgument(format!(
            "diff needs at least two profiles to compare, but {whose} only {named}; pass --profiles with two or more of {}",
            Profile::ALL.map(Profile::name).join(", ")
        )));
    }
    Ok(profiles)
}

/// Runs `bitsim diff`.
pub fn run(args: &DiffArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let file = scenario_files::read(&args.file)?;
    let s = scenario_files::load(&file)?;
    let profiles = chosen_profiles(&args.profiles, &s)?;
    let mut runs = Vec::new();
    for profile in profiles {
        let options = Options {
            only: Some(profile),
            mutant: None,
            keep_going: true,
            ..Options::default()
        };
        let mut one = runner::run::run_with(&s, &file.name, &file.text, &options)
            .map_err(|e| scenario_files::invalid(&file, e))?;
        runs.append(&mut one);
    }
    let diff = compare(&runs, args.all);
    match args.format {
        DiffFormat::Text => out.write_all(text(&diff).as_bytes())?,
        DiffFormat::Json => write_json(out, &diff)?,
    }
    Ok(ExitCode::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unnumbered_drops_only_the_digits_after_a_hash() {
        assert_eq!(
            unnumbered("new token token#4106 for CORP\\alice"),
            "new token token# for CORP\\alice"
        );
        assert_eq!(unnumbered("job#12: #x 0x80004002"), "job#: #x 0x80004002");
        assert_eq!(unnumbered("##7"), "##");
    }
}
