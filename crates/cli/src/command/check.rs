//! `bitsim check [PATHS...]`: runs every scenario under the paths (default
//! `scenarios/`) under each of its profiles and reports which held, as
//! text (closing line `N passed, M failed`), JSON, JUnit XML or one HTML
//! page.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::command::scenario_files;
use crate::{CliError, ExitCode};

/// Arguments of `bitsim check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario files or directories (searched recursively for .yaml).
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// Check only shard k of n of the files (in sorted order); `bitsim
    /// merge` adds up the JSON reports.
    #[arg(long, value_parser = explore::search::Shard::parse)]
    pub shard: Option<explore::search::Shard>,
}

/// How `check` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// One line per scenario and profile, then `N passed, M failed`.
    Text,
    /// A JSON summary with every failure.
    Json,
    /// JUnit XML: a test suite per file, a test case per scenario and profile.
    Junit,
    /// One self-contained HTML page with every run: diagrams, steps,
    /// decision trails and world views.
    Html,
}

#[derive(Serialize)]
struct Summary<'a> {
    passed: usize,
    failed: usize,
    runs: Vec<RunSummary<'a>>,
}

#[derive(Serialize)]
struct RunSummary<'a> {
    file: &'a str,
    scenario: &'a str,
    profile: &'a str,
    passed: bool,
    failure: Option<String>,
}

/// Runs `bitsim check`.
pub fn run(args: &CheckArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let mut paths = scenario_files::collect(&args.paths)?;
    if let Some(shard) = args.shard {
        paths = paths
            .into_iter()
            .enumerate()
            .filter(|(i, _)| shard.keeps(*i))
            .map(|(_, p)| p)
            .collect();
    }
    let mut runs = Vec::new();
    let mut passed = 0;
    let mut failed = 0;
    for path in &paths {
        let file = scenario_files::read(path)?;
        let s = scenario_files::load(&file)?;
        let options = runner::run::Options {
            world_views: args.format == CheckFormat::Html,
            ..runner::run::Options::default()
        };
        let these = runner::run::run_with(&s, &file.name, &file.text, &options)
            .map_err(|e| scenario_files::invalid(&file, e))?;
        if these.iter().all(runner::Run::passed) {
            passed += 1;
        } else {
            failed += 1;
        }
        runs.extend(these);
    }
    match args.format {
        CheckFormat::Text => {
            for r in &runs {
                match runner::report::failure_summary(r) {
                    None => writeln!(out, "ok     {} [{}] {}", r.file, r.profile, r.scenario)?,
                    Some(why) => writeln!(
                        out,
                        "FAILED {} [{}] {}: {}",
                        r.file, r.profile, r.scenario, why
                    )?,
                }
            }
            writeln!(out, "{passed} passed, {failed} failed")?;
        }
        CheckFormat::Json => {
            let summary = Summary {
                passed,
                failed,
                runs: runs
                    .iter()
                    .map(|r| RunSummary {
                        file: &r.file,
                        scenario: &r.scenario,
                        profile: r.profile,
                        passed: r.passed(),
                        failure: runner::report::failure_summary(r),
                    })
                    .collect(),
            };
            crate::command::write_json(out, &summary)?;
        }
        CheckFormat::Junit => out.write_all(runner::report::junit(&runs).as_bytes())?,
        CheckFormat::Html => {
            // A library's page stays small enough to open: a run that held
            // keeps the world after its last step only; a failing run
            // keeps every step's.
            for r in runs.iter_mut().filter(|r| r.passed()) {
                let last = r.views.len().saturating_sub(1);
                for v in &mut r.views[..last] {
                    v.world = None;
                }
            }
            let title = format!("bitsim check: {passed} passed, {failed} failed");
            out.write_all(runner::html::document(&title, &runs).as_bytes())?;
        }
    }
    Ok(if failed == 0 {
        ExitCode::Ok
    } else {
        ExitCode::Failed
    })
}
