//! End-to-end tests of `bitsim run`, `check`, `schema` and `invariants`:
//! exit codes (0 held, 1 failed, 2 bad input), the documented diagnostics
//! for broken scenario files (file:line:column, what was expected), and
//! the output formats. Scenario fixtures live in `tests/data/scenarios/`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::path::PathBuf;
use std::process::Command;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary inside `tests/data/scenarios`, so paths in messages
/// are the short relative ones.
fn bitsim(args: &[&str]) -> Out {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/scenarios");
    let out = Command::new(env!("CARGO_BIN_EXE_bitsim"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    Out {
        code: out.status.code().expect("exited"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn a_typo_in_a_key_is_bad_input_with_its_position_and_the_keys_allowed() {
    let out = bitsim(&["run", "typo-key.yaml"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("typo-key.yaml:6:42: steps[1].CreateJob: unknown field `typ`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("expected one of `thread`, `name`, `type`, `as`, `manager`, `expect`"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_wrong_type_is_bad_input_with_its_position() {
    let out = bitsim(&["run", "wrong-type.yaml"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("wrong-type.yaml:6:14: steps[1].advance: invalid type: string \"soon\""),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("expected a whole number"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_dangling_name_is_bad_input_pointing_at_the_name() {
    let out = bitsim(&["check", "dangling-name.yaml"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("dangling-name.yaml:9:12: no interface pointer is named `job2` at this step"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("expected one of: job"),
        "{}",
        out.stderr
    );
}

/// The diagnostic `docs/scenarios.md` shows for the dangling name, in full.
#[test]
fn the_documented_diagnostic_is_the_one_printed() {
    let out = bitsim(&["run", "dangling-name.yaml"]);
    let docs = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/scenarios.md"),
    )
    .unwrap();
    let shown: String = out
        .stderr
        .lines()
        .map(|l| format!("{}\n", l.trim_end()))
        .collect();
    assert!(
        docs.contains(shown.trim_end()),
        "docs/scenarios.md does not show the diagnostic as printed:\n{shown}"
    );
}

#[test]
fn run_exits_0_when_held_and_1_when_an_expectation_fails() {
    let good = bitsim(&["run", "good.yaml"]);
    assert_eq!(good.code, 0, "{}{}", good.stdout, good.stderr);
    assert!(good.stdout.contains("scenario good [win7]"));
    assert!(good.stdout.contains("scenario good [win11]"));
    assert_eq!(good.stdout.matches("\nheld\n").count(), 2);

    let bad = bitsim(&["run", "failing.yaml"]);
    assert_eq!(bad.code, 1, "{}{}", bad.stdout, bad.stderr);
    assert!(bad
        .stdout
        .contains("FAILED: result expected success, got E_ACCESSDENIED"));
    assert!(bad.stdout.contains("FAILED at step 4"));
}

#[test]
fn run_profile_narrows_and_explain_cites_rules_with_sources() {
    let out = bitsim(&["run", "good.yaml", "--profile", "win7", "--explain"]);
    assert_eq!(out.code, 0);
    assert!(!out.stdout.contains("[win11]"));
    assert!(out
        .stdout
        .contains("why BITS-CREATE: CreateJob makes a SUSPENDED job"));
    assert!(out.stdout.contains("(sources: [LC]"), "{}", out.stdout);
    let bad = bitsim(&["run", "good.yaml", "--profile", "win12"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("unknown profile `win12`"),
        "{}",
        bad.stderr
    );
}

#[test]
fn mermaid_is_a_sequence_diagram_with_bits_and_the_threads() {
    let out = bitsim(&[
        "run",
        "good.yaml",
        "--profile",
        "win11",
        "--format",
        "mermaid",
    ]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("sequenceDiagram\n"));
    assert!(out.stdout.contains("    participant alice\n"));
    assert!(out.stdout.contains("    participant Host\n"));
    assert!(out.stdout.contains("    participant BITS\n"));
    assert!(out.stdout.contains("alice->>BITS: CreateJob"));
    assert!(out.stdout.contains("BITS-->>alice: S_OK"));
}

#[test]
fn check_counts_scenarios_and_reports_failures() {
    let out = bitsim(&["check", "good.yaml", "failing.yaml"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.ends_with(
            "files: 2 (1 held, 1 failed, 0 did not load)\ntests: 2 passed, 1 failed, 0 errors\nverdict: FAILED (exit 1): 1 test failed\n"
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("ok     good.yaml [win7] good"));
    assert!(out
        .stdout
        .contains("FAILED failing.yaml [win11] failing: step 4 (line 8): GetJob result: expected success, got E_ACCESSDENIED"));

    let json = bitsim(&["check", "good.yaml", "--format", "json"]);
    assert_eq!(json.code, 0);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["passed"], 2);
    assert_eq!(v["files"], 1);
    assert_eq!(v["runs"].as_array().unwrap().len(), 2);
}

#[test]
fn check_junit_marks_the_failing_case() {
    let out = bitsim(&["check", "good.yaml", "failing.yaml", "--format", "junit"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.starts_with("<?xml"));
    assert!(out.stdout.contains("<testsuite name=\"failing.yaml\""));
    assert!(out
        .stdout
        .contains("<failure message=\"step 4 (line 8): GetJob result"));
    assert_eq!(out.stdout.matches("<testcase ").count(), 3);
}

#[test]
fn schema_and_invariants_print_their_tables() {
    let schema = bitsim(&["schema"]);
    assert_eq!(schema.code, 0);
    let v: serde_json::Value = serde_json::from_str(&schema.stdout).unwrap();
    assert_eq!(v["title"], "Scenario");
    let inv = bitsim(&["invariants", "--format", "json"]);
    assert_eq!(inv.code, 0);
    let rows: serde_json::Value = serde_json::from_str(&inv.stdout).unwrap();
    assert!(rows.as_array().unwrap().len() >= 15);
    let docs = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/invariants.md"),
    )
    .unwrap();
    assert_eq!(
        docs,
        bitsim(&["invariants", "--format", "markdown"]).stdout,
        "docs/invariants.md is stale: regenerate it with `bitsim invariants --format markdown`"
    );
}
