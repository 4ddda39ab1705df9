//! SARIF 2.1.0 (the OASIS Static Analysis Results Interchange Format) for
//! check results, as GitHub code scanning and other CI dashboards read it:
//! each file that did not load, each failed expectation or step, each
//! broken invariant and each property that did not hold is a result with a
//! rule id, a message and its place in the scenario's YAML (file, line,
//! column).
//!
//! This module turns runs and problems into [`Finding`]s and findings into
//! one SARIF log; it reads no files and no clock, so the same findings
//! always give the same bytes.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::report::verdict_text;
use crate::run::Run;

/// The SARIF version written.
pub const VERSION: &str = "2.1.0";

/// The public URL of the SARIF 2.1.0 JSON schema, written as `$schema`.
pub const SCHEMA_URL: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The rule of a file that did not load.
pub const RULE_LOAD: &str = "bitsim/load-error";
/// The rule of a step whose expectation did not hold.
pub const RULE_EXPECT: &str = "bitsim/expectation";
/// The rule of a step the model could not carry out.
pub const RULE_STEP: &str = "bitsim/step-error";

/// One result: what did not hold, under which rule, and where in which file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// The scenario file, as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The rule id: [`RULE_LOAD`], [`RULE_EXPECT`], [`RULE_STEP`], an
    /// invariant's `INV-…` id or a property's id.
    pub rule: String,
    /// What went wrong.
    pub message: String,
}

/// The 1-based column of the first character of `line` (1-based) of
/// `text` that is not indentation or a list item's `- `: where a step's
/// or a key's name starts.
pub fn content_column(text: &str, line: usize) -> usize {
    let Some(l) = text.lines().nth(line.saturating_sub(1)) else {
        return 1;
    };
    let mut column = 1;
    let mut chars = l.chars().peekable();
    while let Some(c) = chars.peek().copied() {
        if c == ' ' || c == '\t' {
            column += 1;
            chars.next();
        } else if c == '-' {
            chars.next();
            match chars.peek() {
                Some(' ') | Some('\t') => column += 1,
                _ => break,
            }
        } else {
            break;
        }
    }
    if column > l.chars().count() {
        1
    } else {
        column
    }
}

/// The line and column of the first `id: ID` (or `- id: ID`) in `text`,
/// where a property is declared; `(1, 1)` when it is not found.
pub fn property_position(text: &str, id: &str) -> (usize, usize) {
    for (i, l) in text.lines().enumerate() {
        let trimmed = l.trim_start().trim_start_matches("- ").trim_start();
        if let Some(rest) = trimmed.strip_prefix("id:") {
            let value = rest.trim().trim_matches(|c| c == '"' || c == '\'');
            if value == id {
                return (i + 1, content_column(text, i + 1));
            }
        }
    }
    (1, 1)
}

/// The findings of one run of a scenario whose text is `text`: the failed
/// checks, the step error, the broken invariants and properties of each
/// step, and the properties that never held (at their declaration).
pub fn findings_of_run(run: &Run, text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let at = |line: usize, rule: String, message: String| Finding {
        file: run.file.clone(),
        line,
        column: content_column(text, line),
        rule,
        message,
    };
    let who = format!("{} [{}]", run.scenario, run.profile);
    for s in &run.steps {
        if let Some(e) = &s.error {
            out.push(at(
                s.line,
                RULE_STEP.to_string(),
                format!("{who}: step {} {}: {e}", s.number, s.kind),
            ));
        }
        for c in s.checks.iter().filter(|c| !c.ok) {
            out.push(at(
                s.line,
                RULE_EXPECT.to_string(),
                format!(
                    "{who}: step {} {} {}: expected {}, got {}",
                    s.number, s.kind, c.what, c.expected, c.actual
                ),
            ));
        }
        for v in &s.violations {
            out.push(at(
                s.line,
                v.invariant.to_string(),
                format!(
                    "{who}: step {} {}: invariant {} broken: {}",
                    s.number, s.kind, v.invariant, v.message
                ),
            ));
        }
        for (id, message) in &s.property_failures {
            out.push(at(
                s.line,
                id.clone(),
                format!(
                    "{who}: step {} {}: property {id} broken: {message}",
                    s.number, s.kind
                ),
            ));
        }
    }
    let failed_at_step: Vec<&str> = run
        .steps
        .iter()
        .flat_map(|s| s.property_failures.iter().map(|(id, _)| id.as_str()))
        .collect();
    for p in run
        .properties
        .iter()
        .filter(|p| !p.passed() && !failed_at_step.contains(&p.id.as_str()))
    {
        let (line, column) = property_position(text, &p.id);
        out.push(Finding {
            file: run.file.clone(),
            line,
            column,
            rule: p.id.clone(),
            message: format!("{who}: property {} {}", p.id, verdict_text(&p.verdict)),
        });
    }
    out
}

/// What a rule checks, in one line, for the log's rule table.
fn rule_description(id: &str) -> String {
    match id {
        RULE_LOAD => "A scenario file must load: readable YAML of the scenario format (docs/scenarios.md), with every name and import resolved.".to_string(),
        RULE_EXPECT => "A step's result and state must be what its `expect` says.".to_string(),
        RULE_STEP => "A step must be one the model can carry out.".to_string(),
        _ => match oracle::CATALOG.iter().find(|i| i.id == id) {
            Some(inv) => format!("Invariant: {}", inv.statement),
            None => format!("Property {id} of the scenario must hold as its temporal operator says."),
        },
    }
}

/// A file name as a SARIF artifact URI: a relative path with `/`
/// separators (resolved against the repository root by code scanning),
/// `file://` for an absolute one, percent-encoding anything outside the
/// URI's unreserved characters.
pub fn artifact_uri(file: &str) -> String {
    let path = file.replace('\\', "/");
    let path = path.trim_start_matches("./");
    let mut uri = String::new();
    if path.starts_with('/') {
        uri.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri
}

/// The findings as one SARIF 2.1.0 log with one run of the tool `bitsim`
/// (version `version`): its rule table holds every rule a finding cites,
/// sorted by id, and every finding is an `error`-level result.
pub fn log(findings: &[Finding], version: &str) -> String {
    let mut rules: BTreeMap<&str, usize> = BTreeMap::new();
    for f in findings {
        rules.insert(&f.rule, 0);
    }
    for (i, v) in rules.values_mut().enumerate() {
        *v = i;
    }
    let rule_table: Vec<Value> = rules
        .keys()
        .map(|id| {
            json!({
                "id": id,
                "shortDescription": { "text": rule_description(id) },
                "defaultConfiguration": { "level": "error" },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            json!({
                "ruleId": f.rule,
                "ruleIndex": rules.get(f.rule.as_str()).copied().unwrap_or(0),
                "level": "error",
                "message": { "text": f.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": artifact_uri(&f.file) },
                        "region": { "startLine": f.line.max(1), "startColumn": f.column.max(1) },
                    }
                }],
            })
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA_URL,
        "version": VERSION,
        "runs": [{
            "tool": {
                "driver": {
                    "name": "bitsim",
                    "version": version,
                    "rules": rule_table,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_skip_indentation_and_the_list_dash() {
        let text = "name: x\nsteps:\n  - logon: { user: a }\n    -x\n\n";
        assert_eq!(content_column(text, 1), 1);
        assert_eq!(content_column(text, 3), 5);
        assert_eq!(content_column(text, 4), 5);
        assert_eq!(content_column(text, 5), 1);
        assert_eq!(content_column(text, 99), 1);
    }

    #[test]
    fn properties_are_found_by_their_id() {
        let text = "properties:\n  - id: P-ONE\n    about: x\n  - id: 'P-TWO'\n";
        assert_eq!(property_position(text, "P-ONE"), (2, 5));
        assert_eq!(property_position(text, "P-TWO"), (4, 5));
        assert_eq!(property_position(text, "P-NONE"), (1, 1));
    }

    #[test]
    fn uris_are_relative_with_slashes_and_encoded() {
        assert_eq!(artifact_uri("./scenarios/a b.yaml"), "scenarios/a%20b.yaml");
        assert_eq!(artifact_uri("/tmp/x.yaml"), "file:///tmp/x.yaml");
        assert_eq!(artifact_uri("dir\\x.yaml"), "dir/x.yaml");
    }
}
