//! `bitsim coverage [PATHS]`: which rule ids the scenario library
//! exercises (cites in a step's decision) and which it never reaches, and
//! which rows of the spec matrix (`docs/spec-matrix.md`) name a scenario
//! that passes.

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
    /// Spec rows and whether a scenario they name passed.
    pub spec_rows: Vec<(String, bool)>,
}

/// Runs `bitsim coverage`.
pub fn run(args: &CoverageArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let mut cited: BTreeMap<&'static str, usize> = BTreeMap::new();
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
            }
        }
        if runs.iter().all(runner::Run::passed) {
            passing.insert(s.name.clone());
        }
    }
    let mut report = Coverage {
        rules: BTreeMap::new(),
        unreached: Vec::new(),
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
