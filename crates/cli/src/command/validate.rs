//! `bitsim validate PATH…`: loads scenario files without running them and
//! reports every problem of every file in one pass, for pre-commit hooks
//! and editors. Files and directories are found as `check` finds them;
//! each file is read, parsed, checked against the format and the model,
//! its imports read, and its host built under each profile it names.
//!
//! Standard output gets a line per file and a verdict; the diagnostics go
//! to standard error (`--error-format json` for one JSON line each). Exit
//! 0 when every file loads, 2 when one does not or none was found.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::command::{checked, scenario_files};
use crate::{CliError, ExitCode};

/// Arguments of `bitsim validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files or directories (searched recursively for .yaml and
    /// .yml).
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
}

/// Runs `bitsim validate`.
pub fn run(args: &ValidateArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let files = scenario_files::collect(&args.paths)?;
    if files.is_empty() {
        return Err(CliError::InvalidArgument(format!(
            "no scenario files (.yaml, .yml) found under {}: nothing was validated",
            args.paths
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut errors = Vec::new();
    let mut problems = 0usize;
    for f in &files {
        match checked::load_file(f) {
            Ok(()) => writeln!(out, "ok     {}", f.display())?,
            Err(e) => {
                let these = checked::problems(&e, &f.display().to_string());
                problems += these.len();
                for p in &these {
                    writeln!(out, "ERROR  {p}")?;
                }
                errors.push(e);
            }
        }
    }
    let bad = errors.len();
    writeln!(
        out,
        "files: {} ({} load, {bad} do not; {problems} problem{})",
        files.len(),
        files.len() - bad,
        if problems == 1 { "" } else { "s" }
    )?;
    if errors.is_empty() {
        writeln!(out, "verdict: valid (exit 0)")?;
        Ok(ExitCode::Ok)
    } else {
        writeln!(
            out,
            "verdict: BAD INPUT (exit 2): {bad} file{} did not load",
            if bad == 1 { "" } else { "s" }
        )?;
        out.flush()?;
        Err(CliError::Several(errors))
    }
}
