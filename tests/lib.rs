//! Shared helpers for the end-to-end tests: locating and loading fixture
//! files under `tests/`, listing the vectors a conformance file holds,
//! reading hex masks, and a failure report that collects every failing
//! vector of a file before the test fails.
//!
//! This crate owns no model logic: it never decides what Windows does. The
//! fixture schemas and the checks live in the test files that use them.

use std::collections::BTreeMap;
use std::fmt::{self, Debug, Display};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// Why a fixture file could not be read.
#[derive(thiserror::Error)]
pub enum FixtureError {
    /// The file or directory could not be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not valid YAML or does not match the schema.
    #[error("`{path}` does not match the fixture schema: {source}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The parser's error (with line and column where known).
        source: serde_yaml::Error,
    },
    /// The file parsed but breaks a structural rule of the format.
    #[error("`{path}`: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Shown like `Display`, because tests report errors through `Debug`.
impl Debug for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Display::fmt(self, f)
    }
}

/// The directory holding every conformance fixture: `tests/conformance/`.
pub fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

/// The directory of the `winsec` conformance fixtures: `tests/conformance/winsec/`.
pub fn winsec_dir() -> PathBuf {
    conformance_dir().join("winsec")
}

/// Reads and deserializes one YAML file.
pub fn load_yaml<T: DeserializeOwned>(path: &Path) -> Result<T, FixtureError> {
    let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_yaml::from_str(&text).map_err(|source| FixtureError::Yaml {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads and deserializes `tests/conformance/winsec/<file_name>`.
pub fn load_winsec<T: DeserializeOwned>(file_name: &str) -> Result<T, FixtureError> {
    load_yaml(&winsec_dir().join(file_name))
}

/// Every `*.yaml` file of a fixture directory, sorted by name.
pub fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, FixtureError> {
    let io_error = |source| FixtureError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error)? {
        let path = entry.map_err(io_error)?.path();
        if path.extension().is_some_and(|ext| ext == "yaml") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The identity of one vector entry, read without the file's schema.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct VectorHeader {
    /// The file it is in (file name only).
    pub file: String,
    /// The vector id, as in the source the vector comes from.
    pub id: String,
    /// The vector kind (`sid_parse`, `access_check`, ...).
    pub kind: String,
    /// The case within a vector that has several (`thread_A`), if any.
    pub case: Option<String>,
}

impl Display for VectorHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", vector_label(&self.id, self.case.as_deref()))
    }
}

/// Lists the `vectors:` entries of a fixture file by `id`, `kind` and `case`.
///
/// Independent of the typed schema, so that counting vectors does not depend
/// on the code that runs them.
pub fn vector_headers(path: &Path) -> Result<Vec<VectorHeader>, FixtureError> {
    let invalid = |message: String| FixtureError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let doc: serde_yaml::Value = load_yaml(path)?;
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let vectors = doc
        .get("vectors")
        .and_then(serde_yaml::Value::as_sequence)
        .ok_or_else(|| invalid("expected a top-level `vectors:` list".into()))?;
    let mut headers = Vec::with_capacity(vectors.len());
    for (index, vector) in vectors.iter().enumerate() {
        let text = |key: &str| vector.get(key).and_then(serde_yaml::Value::as_str);
        let id =
            text("id").ok_or_else(|| invalid(format!("vector #{index} has no string `id`")))?;
        let kind =
            text("kind").ok_or_else(|| invalid(format!("vector `{id}` has no string `kind`")))?;
        headers.push(VectorHeader {
            file: file.clone(),
            id: id.to_string(),
            kind: kind.to_string(),
            case: text("case").map(str::to_string),
        });
    }
    Ok(headers)
}

/// `id` or `id[case]`: how reports name a vector.
pub fn vector_label(id: &str, case: Option<&str>) -> String {
    match case {
        Some(case) => format!("{id}[{case}]"),
        None => id.to_string(),
    }
}

/// Parses a 32-bit value written as `0x` followed by hex digits.
pub fn parse_hex_u32(text: &str) -> Result<u32, String> {
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| format!("`{text}` is not hex: expected `0x` followed by hex digits"))?;
    u32::from_str_radix(digits, 16).map_err(|e| format!("`{text}` is not a 32-bit hex value: {e}"))
}

/// The problems found with one vector (or one case of a vector).
#[derive(Debug, Clone)]
pub struct VectorCheck {
    label: String,
    about: Vec<String>,
    problems: Vec<String>,
}

impl VectorCheck {
    /// Starts checking vector `id` (and `case`, for vectors with several).
    pub fn new(id: &str, case: Option<&str>) -> VectorCheck {
        VectorCheck {
            label: vector_label(id, case),
            about: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// Adds where the vector comes from (source, verification, the API it
    /// exercised, the note), shown above the problems when it fails.
    pub fn citing(
        mut self,
        source: &str,
        verification: &str,
        api: Option<&str>,
        note: Option<&str>,
    ) -> VectorCheck {
        self.about.push(format!("source: {source}"));
        self.about.push(format!("verification: {verification}"));
        if let Some(api) = api {
            self.about.push(format!("api: {api}"));
        }
        if let Some(note) = note.filter(|n| !n.is_empty()) {
            self.about.push(format!("note: {note}"));
        }
        self
    }

    /// Records a problem unless `actual == expected`. Both sides are shown
    /// with `Debug`, so strings appear quoted and masks in hex.
    pub fn expect_eq<T: PartialEq + Debug + ?Sized>(
        &mut self,
        what: &str,
        expected: &T,
        actual: &T,
    ) {
        if expected != actual {
            self.problems
                .push(format!("{what}: expected {expected:?}, got {actual:?}"));
        }
    }

    /// Records a problem.
    pub fn fail(&mut self, problem: impl Display) {
        self.problems.push(problem.to_string());
    }

    /// Records a problem from a fallible step and returns its value, if any.
    pub fn ok<T>(&mut self, what: &str, result: Result<T, impl Display>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                self.problems.push(format!("{what}: {e}"));
                None
            }
        }
    }

    /// Adds context lines to the last problem recorded, if there is one.
    pub fn explain(&mut self, context: impl Display) {
        if let Some(last) = self.problems.last_mut() {
            last.push_str(&format!("\n      {context}"));
        }
    }

    /// True when nothing has gone wrong so far.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Collects the checks of every vector of one fixture file; fails at the end
/// with all failing vectors, not at the first.
#[derive(Debug)]
pub struct Report {
    file: String,
    checked: usize,
    failed: BTreeMap<usize, VectorCheck>,
}

impl Report {
    /// A report for the fixture file `file`.
    pub fn new(file: &str) -> Report {
        Report {
            file: file.to_string(),
            checked: 0,
            failed: BTreeMap::new(),
        }
    }

    /// Adds a finished check.
    pub fn record(&mut self, check: VectorCheck) {
        if !check.passed() {
            self.failed.insert(self.checked, check);
        }
        self.checked += 1;
    }

    /// The labels of the failing vectors, in file order.
    pub fn failing(&self) -> Vec<&str> {
        self.failed.values().map(|c| c.label.as_str()).collect()
    }

    /// `Ok` when every vector passed; otherwise every failing vector with
    /// what was expected and what happened.
    pub fn finish(self) -> Result<(), ConformanceFailure> {
        if self.failed.is_empty() {
            return Ok(());
        }
        let mut text = format!(
            "{}: {} of {} vectors failed: {}\n",
            self.file,
            self.failed.len(),
            self.checked,
            self.failing().join(", ")
        );
        for check in self.failed.values() {
            text.push_str(&format!("  {}\n", check.label));
            for line in &check.about {
                text.push_str(&format!("    {line}\n"));
            }
            for problem in &check.problems {
                text.push_str(&format!("    - {problem}\n"));
            }
        }
        Err(ConformanceFailure(text))
    }
}

/// The failure of a conformance test: a multi-line report, printed as is.
pub struct ConformanceFailure(pub String);

impl Debug for ConformanceFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Display for ConformanceFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConformanceFailure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_masks() {
        assert_eq!(parse_hex_u32("0x00120089"), Ok(0x0012_0089));
        assert!(parse_hex_u32("120089").is_err());
    }

    #[test]
    fn report_lists_every_failing_vector() {
        let mut report = Report::new("f.yaml");
        let mut a = VectorCheck::new("a", None);
        a.expect_eq("x", &1, &2);
        report.record(a);
        report.record(VectorCheck::new("b", None));
        let mut c = VectorCheck::new("c", Some("one"));
        c.fail("broken");
        report.record(c);
        let text = report.finish().err().map(|e| e.0).unwrap_or_default();
        assert!(
            text.starts_with("f.yaml: 2 of 3 vectors failed: a, c[one]"),
            "{text}"
        );
        assert!(text.contains("x: expected 1, got 2"), "{text}");
    }
}
