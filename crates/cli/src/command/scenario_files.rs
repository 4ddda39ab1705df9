//! Reading scenario files for `run` and `check`: the one place the CLI
//! turns paths into (name, text) pairs and load errors into diagnostics.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::Input;
use crate::CliError;

/// A scenario file's path as given and its text.
pub(crate) struct SourceFile {
    /// The path, as it is shown in messages.
    pub name: String,
    /// The contents.
    pub text: String,
}

/// Reads one file.
pub(crate) fn read(path: &Path) -> Result<SourceFile, CliError> {
    let name = path.display().to_string();
    let text = fs::read_to_string(path).map_err(|reason| CliError::ReadScenario {
        path: name.clone(),
        reason,
    })?;
    Ok(SourceFile { name, text })
}

/// Every `.yaml`/`.yml` file under `paths` (files are taken as given,
/// directories searched recursively), sorted by path within each argument.
pub(crate) fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CliError> {
    let entries = fs::read_dir(dir).map_err(|reason| CliError::ReadScenario {
        path: dir.display().to_string(),
        reason,
    })?;
    for entry in entries {
        let entry = entry.map_err(|reason| CliError::ReadScenario {
            path: dir.display().to_string(),
            reason,
        })?;
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
    Ok(())
}

/// Loads a file's scenario, or the diagnostics for every problem in it.
pub(crate) fn load(file: &SourceFile) -> Result<scenario::Scenario, CliError> {
    runner::load(&file.name, &file.text).map_err(|errors| invalid(file, errors))
}

/// The diagnostics for the load errors of `file`: one, or several.
pub(crate) fn invalid(file: &SourceFile, errors: scenario::LoadErrors) -> CliError {
    let mut all: Vec<CliError> = errors
        .errors
        .into_iter()
        .map(|error| CliError::InvalidScenario {
            input: Input::new(&file.name, file.text.clone()),
            error: Box::new(error),
        })
        .collect();
    if all.len() == 1 {
        if let Some(one) = all.pop() {
            return one;
        }
    }
    CliError::Several(all)
}
