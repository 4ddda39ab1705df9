//! A scenario file as `check`, `run` and `validate` see it: either loaded
//! and run (each profile's run with the time it took) or not loaded (every
//! problem, with its file, line and column). A file that does not load is
//! a result like any other, so one malformed file never hides the others:
//! it becomes an error case in JUnit, an `error` entry in JSON and a
//! `bitsim/load-error` result in SARIF.
//!
//! Owns reading, loading and running one file with a clock around each
//! run, and turning outcomes into the report models of `runner` (JUnit
//! cases, SARIF findings).

use std::path::Path;
use std::time::{Duration, Instant};

use runner::report::{Case, CaseStatus};
use runner::sarif::Finding;
use runner::Run;
use serde::Serialize;

use crate::command::scenario_files::{self, SourceFile};
use crate::CliError;

/// One problem that kept a file from loading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Problem {
    /// The file the problem is in (the scenario, or a file it imports).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong, and what was expected.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// What became of one scenario file.
pub(crate) enum Outcome {
    /// It loaded and ran under each of its profiles.
    Ran {
        /// The file.
        file: SourceFile,
        /// The line of the scenario's `name:`.
        line: usize,
        /// Each profile's run and how long it took.
        runs: Vec<(Run, Duration)>,
    },
    /// It did not load.
    NotLoaded {
        /// The file's path, as shown.
        file: String,
        /// Every problem found.
        problems: Vec<Problem>,
        /// The diagnostics, for standard error.
        error: CliError,
    },
}

/// The line of the top-level `name:` key in `text`, or 1.
pub(crate) fn name_line(text: &str) -> usize {
    text.lines()
        .position(|l| l.starts_with("name:"))
        .map_or(1, |i| i + 1)
}

/// Reads, loads and runs the scenario at `path` under each of its
/// profiles (or `only`), timing each run.
pub(crate) fn check_file(path: &Path, only: Option<bits::Profile>, world_views: bool) -> Outcome {
    match run_file(path, only, world_views) {
        Ok(outcome) => outcome,
        Err(error) => {
            let file = path.display().to_string();
            Outcome::NotLoaded {
                problems: problems(&error, &file),
                file,
                error,
            }
        }
    }
}

/// Reads and loads the scenario at `path` without running it.
pub(crate) fn load_file(path: &Path) -> Result<(), CliError> {
    let file = scenario_files::read(path)?;
    let s = scenario_files::load(&file)?;
    // Building each profile's host checks the host section against the
    // model, as a run would before its first step.
    for profile in runner::run::profiles_of(&s) {
        let options = runner::run::Options {
            only: Some(profile),
            ..runner::run::Options::default()
        };
        let mut empty = s.clone();
        empty.steps.clear();
        empty.properties.clear();
        runner::run::run_with(&empty, &file.name, &file.text, &options)
            .map_err(|e| scenario_files::invalid(&file, e))?;
    }
    Ok(())
}

fn run_file(
    path: &Path,
    only: Option<bits::Profile>,
    world_views: bool,
) -> Result<Outcome, CliError> {
    let file = scenario_files::read(path)?;
    let s = scenario_files::load(&file)?;
    let profiles = match only {
        Some(p) => vec![p],
        None => runner::run::profiles_of(&s),
    };
    let mut runs = Vec::new();
    for profile in profiles {
        let options = runner::run::Options {
            only: Some(profile),
            world_views,
            ..runner::run::Options::default()
        };
        let start = Instant::now();
        let these = runner::run::run_with(&s, &file.name, &file.text, &options)
            .map_err(|e| scenario_files::invalid(&file, e))?;
        let took = start.elapsed();
        runs.extend(these.into_iter().map(|r| (r, took)));
    }
    Ok(Outcome::Ran {
        line: name_line(&file.text),
        file,
        runs,
    })
}

/// The problems an error stands for: each load error at its file, line
/// and column; anything else (an unreadable file) at the file alone.
pub(crate) fn problems(err: &CliError, file: &str) -> Vec<Problem> {
    match err {
        CliError::Several(all) => all.iter().flat_map(|e| problems(e, file)).collect(),
        CliError::InvalidScenario { error, .. } => {
            let mut message = error.message.clone();
            if let Some(expected) = &error.expected {
                message.push_str(&format!("; expected {expected}"));
            }
            vec![Problem {
                file: error.file.clone(),
                line: Some(error.position.line),
                column: Some(error.position.column),
                message,
            }]
        }
        CliError::InvalidTokenFile {
            kind,
            path,
            line_column,
            message,
            ..
        } => vec![Problem {
            file: path.clone(),
            line: line_column.map(|(l, _)| l),
            column: line_column.map(|(_, c)| c),
            message: format!("invalid {kind}: {message}"),
        }],
        other => vec![Problem {
            file: file.to_string(),
            line: None,
            column: None,
            message: other.to_string(),
        }],
    }
}

/// The JUnit cases of the outcomes, in order: one per run, one error case
/// per file that did not load; with `times`, each run's measured time.
pub(crate) fn cases(outcomes: &[Outcome], times: bool) -> Vec<Case> {
    let mut out = Vec::new();
    for o in outcomes {
        match o {
            Outcome::Ran { line, runs, .. } => {
                for (r, took) in runs {
                    out.push(Case::of_run(r, *line, times.then_some(*took)));
                }
            }
            Outcome::NotLoaded { file, problems, .. } => {
                out.push(error_case(file, problems, times.then_some(Duration::ZERO)));
            }
        }
    }
    out
}

/// The error case of a file that did not load: at the first problem's
/// line in that file (or line 1).
pub(crate) fn error_case(file: &str, problems: &[Problem], time: Option<Duration>) -> Case {
    let line = problems
        .iter()
        .find(|p| p.file == file)
        .and_then(|p| p.line)
        .unwrap_or(1);
    Case {
        file: file.to_string(),
        line,
        name: format!("{file} (does not load)"),
        time,
        status: CaseStatus::Error {
            message: problems
                .first()
                .map(ToString::to_string)
                .unwrap_or_default(),
            details: problems
                .iter()
                .map(|p| format!("{p}\n"))
                .collect::<String>(),
        },
    }
}

/// The SARIF findings of the outcomes, in order.
pub(crate) fn findings(outcomes: &[Outcome]) -> Vec<Finding> {
    let mut out = Vec::new();
    for o in outcomes {
        match o {
            Outcome::Ran { file, runs, .. } => {
                for (r, _) in runs {
                    out.extend(runner::sarif::findings_of_run(r, &file.text));
                }
            }
            Outcome::NotLoaded { problems, .. } => {
                out.extend(problems.iter().map(|p| Finding {
                    file: p.file.clone(),
                    line: p.line.unwrap_or(1),
                    column: p.column.unwrap_or(1),
                    rule: runner::sarif::RULE_LOAD.to_string(),
                    message: p.message.clone(),
                }));
            }
        }
    }
    out
}

/// The SARIF log of the outcomes.
pub(crate) fn sarif(outcomes: &[Outcome]) -> String {
    runner::sarif::log(&findings(outcomes), env!("CARGO_PKG_VERSION"))
}
