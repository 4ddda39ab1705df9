//! `bitsim check [PATHS...]`: runs every scenario under the paths (default
//! `scenarios/`) under each of its profiles and reports which held, as
//! text, JSON, JUnit XML, SARIF 2.1.0 or one HTML page.
//!
//! Every file found is reported: a file that does not load is an error
//! case (JUnit), an entry of `load_errors` (JSON) and a
//! `bitsim/load-error` result (SARIF) while every other file still runs.
//! The exit code is 2 when a file did not load or no scenario file was
//! found at all, else 1 when a case failed, else 0. `--twice` runs
//! everything a second time and fails when any report differs.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::command::checked::{self, Outcome, Problem};
use crate::command::scenario_files;
use crate::{CliError, ExitCode};

/// Arguments of `bitsim check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario files or directories (searched recursively for .yaml and
    /// .yml; symbolic links to directories are not followed).
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// Check only shard k of n of the files (in sorted order); `bitsim
    /// merge` adds up the JSON reports.
    #[arg(long, value_parser = explore::search::Shard::parse)]
    pub shard: Option<explore::search::Shard>,
    /// Run everything twice and fail (exit 1) if any report (text, JSON,
    /// JUnit without its times, SARIF) differs byte for byte.
    #[arg(long)]
    pub twice: bool,
}

/// How `check` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// One line per scenario and profile, the counts of files and of test
    /// cases, and a verdict.
    Text,
    /// A JSON summary with every failure and every file that did not load.
    Json,
    /// JUnit XML: a test suite per file, a test case per scenario and
    /// profile (with its time, file and line), an error case per file that
    /// did not load.
    Junit,
    /// SARIF 2.1.0 for code scanning: every load error, failed
    /// expectation, broken invariant and property at its YAML line.
    Sarif,
    /// One self-contained HTML page with every run: diagrams, steps,
    /// decision trails and world views.
    Html,
}

/// The JSON report of `check`, as `bitsim merge` reads it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Summary {
    /// The shard this report covers (`k/n`), if any.
    pub shard: Option<String>,
    /// Scenario files found under the paths, before sharding.
    pub files_total: usize,
    /// Scenario files this report covers.
    pub files: usize,
    /// Test cases: runs, plus one per file that did not load (as JUnit
    /// counts them).
    pub tests: usize,
    /// Runs that held.
    pub passed: usize,
    /// Runs that failed.
    pub failed: usize,
    /// Files that did not load.
    pub errors: usize,
    /// Every run.
    pub runs: Vec<RunSummary>,
    /// Every file that did not load, with its problems.
    pub load_errors: Vec<LoadErrorSummary>,
}

/// One run in the JSON report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RunSummary {
    /// The scenario file.
    pub file: String,
    /// The line of the scenario's `name:`.
    pub line: usize,
    /// The scenario's name.
    pub scenario: String,
    /// The profile.
    pub profile: String,
    /// Whether it held.
    pub passed: bool,
    /// Why not, in one line.
    pub failure: Option<String>,
}

/// One file that did not load, in the JSON report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LoadErrorSummary {
    /// The scenario file.
    pub file: String,
    /// Every problem: file, line, column, message.
    pub problems: Vec<ProblemSummary>,
}

/// One problem of a file that did not load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ProblemSummary {
    /// The file the problem is in.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl From<&Problem> for ProblemSummary {
    fn from(p: &Problem) -> ProblemSummary {
        ProblemSummary {
            file: p.file.clone(),
            line: p.line,
            column: p.column,
            message: p.message.clone(),
        }
    }
}

impl Summary {
    /// The exit code this report ends with: 2 when a file did not load,
    /// 1 when a run failed, 0 otherwise.
    pub fn exit_code(&self) -> ExitCode {
        if self.errors > 0 {
            ExitCode::BadInput
        } else if self.failed > 0 {
            ExitCode::Failed
        } else {
            ExitCode::Ok
        }
    }

    /// The closing lines of the text report: files, test cases as JUnit
    /// counts them, and the verdict.
    pub fn closing_lines(&self) -> String {
        let files_failed = {
            let mut failed: Vec<&str> = self
                .runs
                .iter()
                .filter(|r| !r.passed)
                .map(|r| r.file.as_str())
                .collect();
            failed.dedup();
            failed.len()
        };
        let files_held = self.files.saturating_sub(files_failed + self.errors);
        let mut s = format!(
            "files: {} ({files_held} held, {files_failed} failed, {} did not load)\n",
            self.files, self.errors
        );
        s.push_str(&format!(
            "tests: {} passed, {} failed, {} error{}\n",
            self.passed,
            self.failed,
            self.errors,
            if self.errors == 1 { "" } else { "s" }
        ));
        s.push_str(&verdict_line(self.exit_code(), self.failed, self.errors));
        s
    }
}

/// `verdict: …` for a check that ended with `code`.
pub(crate) fn verdict_line(code: ExitCode, failed: usize, errors: usize) -> String {
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {many}")
        }
    };
    match code {
        ExitCode::Ok => "verdict: held (exit 0)\n".to_string(),
        ExitCode::Failed => format!(
            "verdict: FAILED (exit 1): {}\n",
            plural(failed, "test failed", "tests failed")
        ),
        _ => format!(
            "verdict: BAD INPUT (exit 2): {}{}\n",
            plural(errors, "file did not load", "files did not load"),
            if failed > 0 {
                format!(", {}", plural(failed, "test failed", "tests failed"))
            } else {
                String::new()
            }
        ),
    }
}

/// The JUnit cases of a JSON report (a merged one): a case per run and an
/// error case per file that did not load, without times (a JSON report
/// keeps none).
pub(crate) fn cases_of_summary(s: &Summary) -> Vec<runner::report::Case> {
    use runner::report::{Case, CaseStatus};
    let mut cases: Vec<Case> = s
        .runs
        .iter()
        .map(|r| Case {
            file: r.file.clone(),
            line: r.line,
            name: format!("{} [{}]", r.scenario, r.profile),
            time: None,
            status: match &r.failure {
                None if r.passed => CaseStatus::Passed,
                failure => {
                    let message = failure.clone().unwrap_or_else(|| "failed".to_string());
                    CaseStatus::Failed {
                        details: message.clone(),
                        message,
                    }
                }
            },
        })
        .collect();
    for e in &s.load_errors {
        let problems: Vec<Problem> = e
            .problems
            .iter()
            .map(|p| Problem {
                file: p.file.clone(),
                line: p.line,
                column: p.column,
                message: p.message.clone(),
            })
            .collect();
        cases.push(checked::error_case(&e.file, &problems, None));
    }
    cases
}

fn summary(outcomes: &[Outcome], shard: Option<String>, files_total: usize) -> Summary {
    let mut s = Summary {
        shard,
        files_total,
        files: outcomes.len(),
        tests: 0,
        passed: 0,
        failed: 0,
        errors: 0,
        runs: Vec::new(),
        load_errors: Vec::new(),
    };
    for o in outcomes {
        match o {
            Outcome::Ran { line, runs, .. } => {
                for (r, _) in runs {
                    let passed = r.passed();
                    if passed {
                        s.passed += 1;
                    } else {
                        s.failed += 1;
                    }
                    s.runs.push(RunSummary {
                        file: r.file.clone(),
                        line: *line,
                        scenario: r.scenario.clone(),
                        profile: r.profile.to_string(),
                        passed,
                        failure: runner::report::failure_summary(r),
                    });
                }
            }
            Outcome::NotLoaded { file, problems, .. } => {
                s.errors += 1;
                s.load_errors.push(LoadErrorSummary {
                    file: file.clone(),
                    problems: problems.iter().map(ProblemSummary::from).collect(),
                });
            }
        }
    }
    s.tests = s.passed + s.failed + s.errors;
    s
}

/// The text report: a line per run and per problem, then the closing lines.
fn text(outcomes: &[Outcome], summary: &Summary) -> String {
    let mut s = String::new();
    for o in outcomes {
        match o {
            Outcome::Ran { runs, .. } => {
                for (r, _) in runs {
                    match runner::report::failure_summary(r) {
                        None => s.push_str(&format!(
                            "ok     {} [{}] {}\n",
                            r.file, r.profile, r.scenario
                        )),
                        Some(why) => s.push_str(&format!(
                            "FAILED {} [{}] {}: {}\n",
                            r.file, r.profile, r.scenario, why
                        )),
                    }
                }
            }
            Outcome::NotLoaded { problems, .. } => {
                for p in problems {
                    s.push_str(&format!("ERROR  {p}\n"));
                }
            }
        }
    }
    s.push_str(&summary.closing_lines());
    s
}

/// Checks the files once: every outcome, in order.
fn check_all(paths: &[PathBuf], html: bool) -> Vec<Outcome> {
    paths
        .iter()
        .map(|p| checked::check_file(p, None, html))
        .collect()
}

/// The reports compared by `--twice`: every format but HTML, JUnit
/// without its times.
fn deterministic_reports(outcomes: &[Outcome], summary: &Summary) -> Vec<(&'static str, String)> {
    vec![
        ("text", text(outcomes, summary)),
        (
            "json",
            serde_json::to_string_pretty(summary).unwrap_or_default(),
        ),
        (
            "junit",
            runner::report::junit(&checked::cases(outcomes, false)),
        ),
        ("sarif", checked::sarif(outcomes)),
    ]
}

/// The names of the reports that differ between two runs' reports.
fn differing(
    first: &[(&'static str, String)],
    second: &[(&'static str, String)],
) -> Vec<&'static str> {
    first
        .iter()
        .zip(second)
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, _)| a.0)
        .collect()
}

/// Runs `bitsim check`.
pub fn run(args: &CheckArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let all = scenario_files::collect(&args.paths)?;
    if all.is_empty() {
        return Err(CliError::InvalidArgument(format!(
            "no scenario files (.yaml, .yml) found under {}: nothing was checked",
            args.paths
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let files_total = all.len();
    let paths: Vec<PathBuf> = match args.shard {
        Some(shard) => all
            .into_iter()
            .enumerate()
            .filter(|(i, _)| shard.keeps(*i))
            .map(|(_, p)| p)
            .collect(),
        None => all,
    };
    let html = args.format == CheckFormat::Html;
    let mut outcomes = check_all(&paths, html);
    let shard = args.shard.map(|s| s.to_string());
    let summary = summary(&outcomes, shard.clone(), files_total);
    let mut code = summary.exit_code();
    let mut twice_note = None;
    if args.twice {
        let again = check_all(&paths, html);
        let first = deterministic_reports(&outcomes, &summary);
        let second = deterministic_reports(&again, &self::summary(&again, shard, files_total));
        let differ = differing(&first, &second);
        twice_note = Some(if differ.is_empty() {
            "twice: the second run's text, JSON, JUnit and SARIF reports are identical\n"
                .to_string()
        } else {
            code = code.max(ExitCode::Failed);
            format!(
                "twice: NOT DETERMINISTIC: the second run's {} report{} differ{}\nverdict: FAILED (exit 1): two runs of the same files differ\n",
                differ.join(", "),
                if differ.len() == 1 { "" } else { "s" },
                if differ.len() == 1 { "s" } else { "" },
            )
        });
    }
    match args.format {
        CheckFormat::Text => {
            out.write_all(text(&outcomes, &summary).as_bytes())?;
        }
        CheckFormat::Json => crate::command::write_json(out, &summary)?,
        CheckFormat::Junit => {
            out.write_all(runner::report::junit(&checked::cases(&outcomes, true)).as_bytes())?
        }
        CheckFormat::Sarif => out.write_all(checked::sarif(&outcomes).as_bytes())?,
        CheckFormat::Html => {
            // A library's page stays small enough to open: a run that held
            // keeps the world after its last step only; a failing run
            // keeps every step's.
            let mut runs: Vec<runner::Run> = Vec::new();
            for o in &mut outcomes {
                if let Outcome::Ran { runs: these, .. } = o {
                    runs.extend(std::mem::take(these).into_iter().map(|(r, _)| r));
                }
            }
            for r in runs.iter_mut().filter(|r| r.passed()) {
                let last = r.views.len().saturating_sub(1);
                for v in &mut r.views[..last] {
                    v.world = None;
                }
            }
            let title = format!(
                "bitsim check: {} passed, {} failed{}",
                summary.passed,
                summary.failed,
                if summary.errors > 0 {
                    format!(", {} did not load", summary.errors)
                } else {
                    String::new()
                }
            );
            out.write_all(runner::html::document(&title, &runs).as_bytes())?;
        }
    }
    if let Some(note) = twice_note {
        // The text report carries the note; other formats keep their
        // document clean and say it on standard error.
        if args.format == CheckFormat::Text {
            out.write_all(note.as_bytes())?;
        } else {
            eprint!("{note}");
        }
    }
    let errors: Vec<CliError> = outcomes
        .into_iter()
        .filter_map(|o| match o {
            Outcome::NotLoaded { error, .. } => Some(error),
            Outcome::Ran { .. } => None,
        })
        .collect();
    if !errors.is_empty() {
        // The report is written; the diagnostics follow on standard error
        // and the run ends with exit 2.
        out.flush()?;
        return Err(CliError::Several(errors));
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twice_names_each_report_that_differs() {
        let a = vec![("text", "x".to_string()), ("json", "{}".to_string())];
        let same = a.clone();
        let json_differs = vec![("text", "x".to_string()), ("json", "{ }".to_string())];
        assert!(differing(&a, &same).is_empty());
        assert_eq!(differing(&a, &json_differs), vec!["json"]);
    }

    #[test]
    fn verdicts_name_the_exit_code() {
        assert_eq!(verdict_line(ExitCode::Ok, 0, 0), "verdict: held (exit 0)\n");
        assert_eq!(
            verdict_line(ExitCode::Failed, 2, 0),
            "verdict: FAILED (exit 1): 2 tests failed\n"
        );
        assert_eq!(
            verdict_line(ExitCode::BadInput, 0, 1),
            "verdict: BAD INPUT (exit 2): 1 file did not load\n"
        );
    }
}
