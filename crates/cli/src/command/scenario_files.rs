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

/// Reads one file, at most [`scenario::load::MAX_BYTES`] of it.
pub(crate) fn read(path: &Path) -> Result<SourceFile, CliError> {
    let name = path.display().to_string();
    let text = read_limited(path).map_err(|reason| CliError::ReadScenario {
        path: name.clone(),
        reason,
    })?;
    Ok(SourceFile { name, text })
}

/// A file's text as UTF-8, refused past [`scenario::load::MAX_BYTES`]
/// without reading more than one byte beyond it, so `/dev/zero` or a
/// huge file costs no more than a file at the limit.
pub(crate) fn read_limited(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let limit = scenario::load::MAX_BYTES;
    let mut bytes = Vec::new();
    fs::File::open(path)?
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the file is larger than {limit} bytes, the limit for every file bitsim reads"),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (byte {} is not part of a UTF-8 character)",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Every `.yaml`/`.yml` file under `paths` (files are taken as given,
/// directories searched recursively), sorted by path within each argument.
///
/// The walk does not follow symbolic links to directories (a link loop
/// cannot make it spin or grow), and a file reached twice (named twice,
/// or through a link to a file already found) is kept once, where it was
/// first found.
pub(crate) fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for p in paths {
        let mut found = Vec::new();
        if p.is_dir() {
            walk(p, &mut found)?;
            found.sort();
        } else {
            found.push(p.clone());
        }
        for f in found {
            // A file that cannot be resolved is kept under its own name:
            // reading it reports the problem.
            let key = fs::canonicalize(&f).unwrap_or_else(|_| f.clone());
            if seen.insert(key) {
                out.push(f);
            }
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
        // The entry's own type: a symbolic link is not followed here.
        let kind = entry.file_type().map_err(|reason| CliError::ReadScenario {
            path: path.display().to_string(),
            reason,
        })?;
        if kind.is_dir() {
            walk(&path, out)?;
        } else if kind.is_symlink() && path.is_dir() {
            // A link to a directory: skipped, so loops end.
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
    Ok(())
}

/// Loads a file's scenario, or the diagnostics for every problem in it,
/// and reads the files its host section imports.
pub(crate) fn load(file: &SourceFile) -> Result<scenario::Scenario, CliError> {
    let mut loaded =
        runner::load(&file.name, &file.text).map_err(|errors| invalid(file, errors))?;
    read_imports(Path::new(&file.name), &mut loaded)?;
    Ok(loaded)
}

/// Reads the token and object files `host.import` names, relative to the
/// scenario file's folder, into `host.imported` (each at most
/// [`scenario::load::MAX_BYTES`]); a file that cannot be read or does not
/// have its shape is an error at its `file:line:column`.
fn read_imports(scenario_path: &Path, loaded: &mut scenario::Scenario) -> Result<(), CliError> {
    let folder = scenario_path.parent().unwrap_or(Path::new(""));
    let mut failed_read = None;
    let outcome = runner::imports::resolve(loaded, |kind, file| {
        let path = folder.join(file);
        read_bounded(crate::error::FileKind::from_name(kind), &path).map_err(|e| {
            let message = e.to_string();
            failed_read = Some(e);
            runner::imports::ImportError {
                kind,
                file: file.to_string(),
                text: None,
                line_column: None,
                message,
            }
        })
    });
    match (outcome, failed_read) {
        (Ok(()), _) => Ok(()),
        (Err(_), Some(read)) => Err(read),
        (Err(e), None) => {
            let path = folder.join(&e.file).display().to_string();
            let text = e.text.unwrap_or_default();
            Err(crate::command::access::yaml_file_error(
                crate::error::FileKind::from_name(e.kind),
                &path,
                &text,
                e.message,
                e.line_column,
            ))
        }
    }
}

/// A file's text, refused past [`scenario::load::MAX_BYTES`] without reading
/// more than one byte beyond it.
fn read_bounded(kind: crate::error::FileKind, path: &Path) -> Result<String, CliError> {
    read_limited(path).map_err(|reason| CliError::ReadTokenFile {
        kind,
        path: path.display().to_string(),
        reason,
    })
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
