//! The files a scenario's `host.import` names: turning their text into
//! [`scenario::format::Imported`]. Reading them is the caller's business
//! (the command line reads files next to the scenario; tests read the
//! repository's), so this module stays free of I/O: it is handed a reader.

use scenario::format::{Imported, ObjectsFile, Scenario};

/// What went wrong with one imported file.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ImportError {
    /// What the file should have been: `token file` or `objects file`.
    pub kind: &'static str,
    /// The path as the scenario wrote it.
    pub file: String,
    /// The file's text, when it could be read.
    pub text: Option<String>,
    /// 1-based line and column in that text, when known.
    pub line_column: Option<(usize, usize)>,
    /// What was wrong.
    pub message: String,
}

/// Reads every file `scenario.host.import` names through `read` (given
/// the path as written, relative to the scenario's folder) and fills
/// `scenario.host.imported`: token files must load as token files, object
/// files as `objects: [{path, sddl, kind?, machine?}]`.
pub fn resolve(
    scenario: &mut Scenario,
    mut read: impl FnMut(&'static str, &str) -> Result<String, ImportError>,
) -> Result<(), ImportError> {
    let Some(import) = &scenario.host.import else {
        return Ok(());
    };
    let mut imported = Imported {
        read: true,
        ..Imported::default()
    };
    for (name, file) in &import.tokens {
        let text = read("token file", file)?;
        parse::<winsec::TokenSpec>("token file", file, &text)?;
        imported.tokens.insert(name.clone(), text);
    }
    for file in &import.objects {
        let text = read("objects file", file)?;
        let objects: ObjectsFile = parse("objects file", file, &text)?;
        imported.objects.extend(objects.objects);
    }
    scenario.host.imported = imported;
    Ok(())
}

fn parse<T: serde::de::DeserializeOwned>(
    kind: &'static str,
    file: &str,
    text: &str,
) -> Result<T, ImportError> {
    serde_yaml::from_str(text).map_err(|e| {
        let line_column = e.location().map(|l| (l.line(), l.column()));
        let mut message = e.to_string();
        if let Some((line, column)) = line_column {
            message = message.replacen(&format!(" at line {line} column {column}"), "", 1);
        }
        ImportError {
            kind,
            file: file.to_string(),
            text: Some(text.to_string()),
            line_column,
            message,
        }
    })
}
