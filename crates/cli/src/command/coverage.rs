//! `bitsim coverage [PATHS]`: which rule ids the scenario library
//! exercises (cites in a step's decision) and which it never reaches, which
//! way each decided (`outcomes`: how often a decision citing it allowed and
//! how often it refused), and which rows of the spec matrix
//! (`docs/spec-matrix.md`) name a scenario that passes.
//!
//! A decision allows or refuses: a step's rules by the step's result (a
//! success code or not), an access-check trail's rules by whether the check
//! granted, a condition's rule by whether it refused the call.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::command::{scenario_files, write_json};
use crate::{CliError, ExitCode};

/// Arguments of `bitsim coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Scenario files or directories (searched recursively for .yaml).
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// The spec matrix to check rows of.
    #[arg(long, default_value = "docs/spec-matrix.md")]
    pub spec: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The coverage report.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// Rule ids by table: (id, how many steps cited it).
    pub rules: BTreeMap<&'static str, Vec<(&'static str, usize)>>,
    /// Rule ids no step cited.
    pub unreached: Vec<&'static str>,
    /// For each cited id, how many decisions citing it allowed and how many
    /// refused.
    pub outcomes: BTreeMap<&'static str, Ways>,
    /// Cited rule ids the library sees deciding only one way.
    pub one_way: Vec<&'static str>,
    /// Spec rows and whether a scenario they name passed.
    pub spec_rows: Vec<(String, bool)>,
}

/// How often decisions citing a rule went each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Ways {
    /// Decisions that allowed (a success, a granted check, a condition
    /// that held or admitted).
    pub allowed: usize,
    /// Decisions that refused.
    pub refused: usize,
}

/// Whether a step's result is a success code (an HRESULT without the
/// severity bit); a step without a result allowed.
fn succeeded(step: &runner::run::StepRecord) -> bool {
    step.result.as_ref().is_none_or(|r| {
        let hex = r.hex.trim_start_matches("0x");
        u32::from_str_radix(hex, 16).map_or(true, |code| code & 0x8000_0000 == 0)
    })
}

fn record(outcomes: &mut BTreeMap<&'static str, Ways>, id: &'static str, allowed: bool) {
    let w = outcomes.entry(id).or_default();
    if allowed {
        w.allowed += 1;
    } else {
        w.refused += 1;
    }
}

/// Runs `bitsim coverage`.
pub fn run(args: &CoverageArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let mut cited: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut outcomes: BTreeMap<&'static str, Ways> = BTreeMap::new();
    let mut passing: BTreeSet<String> = BTreeSet::new();
    for path in scenario_files::collect(&args.paths)? {
        let file = scenario_files::read(&path)?;
        let s = scenario_files::load(&file)?;
        let runs = runner::run(&s, &file.name, &file.text, None)
            .map_err(|e| scenario_files::invalid(&file, e))?;
        for r in &runs {
            for (_, id) in &r.setup {
                *cited.entry(id).or_default() += 1;
            }
            for step in &r.steps {
                for id in step.rules.iter().chain(&step.trail_rules) {
                    *cited.entry(id).or_default() += 1;
                }
                let ok = succeeded(step);
                for id in &step.rules {
                    record(&mut outcomes, id, ok);
                }
                for d in &step.details {
                    match d {
                        runner::trace::Detail::Check { result, .. } => {
                            for t in &result.trail {
                                record(&mut outcomes, t.rule, result.is_granted());
                            }
                        }
                        runner::trace::Detail::Condition { rule, effect, .. } => {
                            record(&mut outcomes, rule, *effect != bits::Effect::Refused);
                        }
                        runner::trace::Detail::Saw { .. } | runner::trace::Detail::Cut { .. } => {}
                    }
                }
            }
        }
        if runs.iter().all(runner::Run::passed) {
            passing.insert(s.name.clone());
        }
    }
    let one_way = outcomes
        .iter()
        .filter(|(_, w)| w.allowed == 0 || w.refused == 0)
        .map(|(id, _)| *id)
        .collect();
    let mut report = Coverage {
        rules: BTreeMap::new(),
        unreached: Vec::new(),
        outcomes,
        one_way,
        spec_rows: Vec::new(),
    };
    for (id, table) in runner::report::all_rule_ids() {
        let n = cited.get(id).copied().unwrap_or(0);
        report.rules.entry(table).or_default().push((id, n));
        if n == 0 {
            report.unreached.push(id);
        }
    }
    if let Ok(text) = std::fs::read_to_string(&args.spec) {
        let rows = runner::spec::parse(&text)
            .map_err(|e| CliError::InvalidArgument(format!("{}: {e}", args.spec.display())))?;
        for row in rows {
            let ok = row.scenarios.iter().any(|name| {
                let bare = name.rsplit('/').next().unwrap_or(name);
                passing.contains(bare)
            });
            report.spec_rows.push((row.id.clone(), ok));
        }
    }
    if args.json {
        write_json(out, &report)?;
    } else {
        for (table, ids) in &report.rules {
            let reached = ids.iter().filter(|(_, n)| *n > 0).count();
            writeln!(out, "{table}: {reached} of {} rules exercised", ids.len())?;
        }
        for id in &report.unreached {
            writeln!(out, "  never reached: {id}")?;
        }
        let both = report.outcomes.len() - report.one_way.len();
        writeln!(
            out,
            "outcomes: {both} of {} cited ids seen both allowing and refusing",
            report.outcomes.len()
        )?;
        for id in &report.one_way {
            let w = report.outcomes[id];
            let only = if w.refused == 0 {
                "allowing"
            } else {
                "refusing"
            };
            writeln!(out, "  only {only}: {id}")?;
        }
        if !report.spec_rows.is_empty() {
            let ok = report.spec_rows.iter().filter(|(_, ok)| *ok).count();
            writeln!(
                out,
                "spec matrix: {ok} of {} rows checked by a passing scenario",
                report.spec_rows.len()
            )?;
            for (id, ok) in &report.spec_rows {
                if !ok {
                    writeln!(out, "  no passing scenario: {id}")?;
                }
            }
        }
    }
    let complete = report.unreached.is_empty() && report.spec_rows.iter().all(|(_, ok)| *ok);
    Ok(if complete {
        ExitCode::Ok
    } else {
        ExitCode::Failed
    })
}
