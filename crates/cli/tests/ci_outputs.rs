//! End-to-end tests of what CI reads from `bitsim check` and `bitsim run`:
//! nothing found is bad input (exit 2); a file that does not load is
//! reported in every format while the other files still run; SARIF 2.1.0
//! validates against the official schema (vendored as
//! `tests/data/sarif-schema-2.1.0.json`) and points at the YAML lines;
//! JUnit cases carry time, file and line; the walk of a directory ends on
//! a symbolic-link loop and checks each file once; `--twice` compares two
//! runs' reports.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Runs the binary in `dir`.
fn bitsim_in(dir: &Path, args: &[&str]) -> Out {
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

/// A fresh empty directory for one test.
fn fresh(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bitsim-ci-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A directory with one good scenario (two profiles), one failing and
/// one malformed (an unknown key at 6:42).
fn mixed(name: &str) -> PathBuf {
    let dir = fresh(name);
    for f in ["good.yaml", "failing.yaml", "typo-key.yaml"] {
        std::fs::copy(data().join("scenarios").join(f), dir.join(f)).unwrap();
    }
    dir
}

fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(data().join("sarif-schema-2.1.0.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::draft4::new(&schema).expect("the SARIF schema compiles")
}

fn assert_valid_sarif(text: &str) -> serde_json::Value {
    let log: serde_json::Value = serde_json::from_str(text).unwrap();
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "not SARIF 2.1.0: {errors:#?}\n{text}");
    assert_eq!(log["version"], "2.1.0");
    log
}

/// The text of line `line` (1-based) of `file` in `dir`, from column
/// `column` (1-based, in characters).
fn at(dir: &Path, file: &str, line: u64, column: u64) -> String {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let l = text.lines().nth(line as usize - 1).unwrap();
    l.chars().skip(column as usize - 1).collect()
}

#[test]
fn check_on_an_empty_directory_is_bad_input() {
    let dir = fresh("empty");
    let out = bitsim_in(&dir, &["check", "."]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("no scenario files"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    // The default path missing altogether is bad input too.
    let out = bitsim_in(&dir, &["check"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
}

#[test]
fn a_malformed_file_is_reported_while_the_others_still_run_in_text() {
    let dir = mixed("text");
    let out = bitsim_in(&dir, &["check", "."]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("ok     ./good.yaml [win7] good"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("ok     ./good.yaml [win11] good"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("FAILED ./failing.yaml [win11] failing: step 4 (line 8)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("ERROR  ./typo-key.yaml:6:42: steps[1].CreateJob: unknown field `typ`"),
        "{}",
        out.stdout
    );
    // The counts are JUnit's: four test cases (two runs of good, one of
    // failing, one error case), and the files besides.
    assert!(
        out.stdout.contains(
            "files: 3 (1 held, 1 failed, 1 did not load)\ntests: 2 passed, 1 failed, 1 error\n"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .ends_with("verdict: BAD INPUT (exit 2): 1 file did not load, 1 test failed\n"),
        "{}",
        out.stdout
    );
    // The diagnostic follows on standard error, with its position.
    assert!(out.stderr.contains("typo-key.yaml:6:42"), "{}", out.stderr);
}

#[test]
fn a_malformed_file_is_an_entry_of_the_json_report() {
    let dir = mixed("json");
    let out = bitsim_in(&dir, &["check", ".", "--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["files"], 3);
    assert_eq!(v["files_total"], 3);
    assert_eq!(v["tests"], 4);
    assert_eq!(v["passed"], 2);
    assert_eq!(v["failed"], 1);
    assert_eq!(v["errors"], 1);
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    let failing = runs.iter().find(|r| r["scenario"] == "failing").unwrap();
    assert_eq!(failing["passed"], false);
    // `name: failing` is on line 2 of the file.
    assert_eq!(failing["line"], 2);
    let errors = v["load_errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["file"], "./typo-key.yaml");
    let p = &errors[0]["problems"][0];
    assert_eq!(
        (p["line"].as_u64(), p["column"].as_u64()),
        (Some(6), Some(42))
    );
    assert!(p["message"]
        .as_str()
        .unwrap()
        .contains("unknown field `typ`"));
}

#[test]
fn a_malformed_file_is_an_error_case_in_junit_and_cases_carry_time_file_and_line() {
    let dir = mixed("junit");
    let out = bitsim_in(&dir, &["check", ".", "--format", "junit"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let doc = roxmltree::Document::parse(&out.stdout).unwrap();
    let root = doc.root_element();
    assert_eq!(root.attribute("tests"), Some("4"), "{}", out.stdout);
    assert_eq!(root.attribute("failures"), Some("1"));
    assert_eq!(root.attribute("errors"), Some("1"));
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 4);
    for c in &cases {
        let file = c.attribute("file").expect("a file attribute");
        let line: usize = c.attribute("line").expect("a line").parse().unwrap();
        let time: f64 = c.attribute("time").expect("a time").parse().unwrap();
        assert!(time >= 0.0);
        assert!(line >= 1);
        assert!(dir.join(file).is_file(), "{file}");
    }
    let error = cases
        .iter()
        .find(|c| c.children().any(|n| n.has_tag_name("error")))
        .expect("an error case");
    assert_eq!(error.attribute("file"), Some("./typo-key.yaml"));
    assert_eq!(error.attribute("line"), Some("6"));
    let failure = cases
        .iter()
        .find(|c| c.children().any(|n| n.has_tag_name("failure")))
        .expect("a failure case");
    assert_eq!(failure.attribute("file"), Some("./failing.yaml"));
    // The case points at the scenario's `name:`.
    assert_eq!(failure.attribute("line"), Some("2"));
    assert!(at(&dir, "failing.yaml", 2, 1).starts_with("name: failing"));
}

#[test]
fn check_sarif_validates_and_points_at_the_yaml_lines() {
    let dir = mixed("sarif");
    let out = bitsim_in(&dir, &["check", ".", "--format", "sarif"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let log = assert_valid_sarif(&out.stdout);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{results:#?}");
    let loc = |r: &serde_json::Value| {
        let l = &r["locations"][0]["physicalLocation"];
        (
            l["artifactLocation"]["uri"].as_str().unwrap().to_string(),
            l["region"]["startLine"].as_u64().unwrap(),
            l["region"]["startColumn"].as_u64().unwrap(),
        )
    };
    let expect = results
        .iter()
        .find(|r| r["ruleId"] == "bitsim/expectation")
        .unwrap();
    let (uri, line, column) = loc(expect);
    assert_eq!(uri, "failing.yaml");
    assert_eq!((line, column), (8, 5));
    assert!(at(&dir, &uri, line, column).starts_with("GetJob:"));
    assert!(expect["message"]["text"]
        .as_str()
        .unwrap()
        .contains("expected success, got E_ACCESSDENIED"));
    let load = results
        .iter()
        .find(|r| r["ruleId"] == "bitsim/load-error")
        .unwrap();
    let (uri, line, column) = loc(load);
    assert_eq!(uri, "typo-key.yaml");
    assert_eq!((line, column), (6, 42));
    assert!(at(&dir, &uri, line, column).starts_with("typ:"));
    // Every rule a result cites is in the rule table, at its index.
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }
}

#[test]
fn sarif_of_a_broken_invariant_names_it_as_the_rule() {
    // A counterexample scenario of a planted mutant breaks an invariant.
    let dir = fresh("invariant");
    let out = bitsim_in(
        &dir,
        &[
            "explore",
            "--model",
            "helper-tokens",
            "--profile",
            "win10-1607",
            "--mutant",
            "planted-helper-outlives-owner",
            "--depth",
            "3",
            "--quiet",
            "--out",
            "ce.yaml",
        ],
    );
    assert!(
        dir.join("ce.yaml").is_file(),
        "no counterexample written: {}{}",
        out.stdout,
        out.stderr
    );
    let run = bitsim_in(&dir, &["run", "ce.yaml", "--format", "sarif"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let log = assert_valid_sarif(&run.stdout);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let inv = results
        .iter()
        .find(|r| r["ruleId"] == "INV-LOGOFF-DROPS-HELPER")
        .unwrap_or_else(|| panic!("no invariant result: {results:#?}"));
    let l = &inv["locations"][0]["physicalLocation"]["region"];
    let text = at(
        &dir,
        "ce.yaml",
        l["startLine"].as_u64().unwrap(),
        l["startColumn"].as_u64().unwrap(),
    );
    // The step that broke it: the owner's logoff.
    assert!(text.starts_with("logoff"), "{text}");
}

#[test]
fn run_sarif_of_a_malformed_file_is_a_load_error_and_exit_2() {
    let out = bitsim_in(
        &data().join("scenarios"),
        &["run", "typo-key.yaml", "--format", "sarif"],
    );
    assert_eq!(out.code, 2);
    let log = assert_valid_sarif(&out.stdout);
    assert_eq!(log["runs"][0]["results"][0]["ruleId"], "bitsim/load-error");
    let good = bitsim_in(
        &data().join("scenarios"),
        &["run", "good.yaml", "--format", "sarif"],
    );
    assert_eq!(good.code, 0);
    let log = assert_valid_sarif(&good.stdout);
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_ends_and_each_file_is_checked_once() {
    let dir = fresh("loop");
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    std::fs::copy(
        data().join("scenarios/good.yaml"),
        dir.join("a/b/good.yaml"),
    )
    .unwrap();
    // a/b/up -> a: a loop; a/also.yaml -> a/b/good.yaml: the same file.
    std::os::unix::fs::symlink(dir.join("a"), dir.join("a/b/up")).unwrap();
    std::os::unix::fs::symlink(dir.join("a/b/good.yaml"), dir.join("a/also.yaml")).unwrap();
    let out = bitsim_in(&dir, &["check", "a", "a/b/good.yaml", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["files"], 1, "{}", out.stdout);
    assert_eq!(v["runs"].as_array().unwrap().len(), 2);
}

#[test]
fn twice_compares_two_runs_and_says_so() {
    let out = bitsim_in(
        &data().join("scenarios"),
        &["check", "good.yaml", "failing.yaml", "--twice"],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("twice: the second run's text, JSON, JUnit and SARIF reports are identical"),
        "{}",
        out.stdout
    );
}

#[test]
fn validate_loads_only_and_reports_every_broken_file_in_one_pass() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let lib = bitsim_in(&root, &["validate", "scenarios/"]);
    assert_eq!(lib.code, 0, "{}{}", lib.stdout, lib.stderr);
    assert!(
        lib.stdout.ends_with("verdict: valid (exit 0)\n"),
        "{}",
        lib.stdout
    );
    let out = bitsim_in(&data().join("scenarios"), &["validate", "."]);
    assert_eq!(out.code, 2);
    // Every malformed fixture is named with its position, in one run; the
    // failing scenario loads (validate does not run it).
    for at in [
        "ERROR  ./dangling-name.yaml:9:12:",
        "ERROR  ./typo-key.yaml:6:42:",
        "ERROR  ./wrong-type.yaml:6:14:",
        "ok     ./failing.yaml",
        "ok     ./good.yaml",
    ] {
        assert!(out.stdout.contains(at), "{at}: {}", out.stdout);
    }
    assert!(
        out.stdout
            .contains("files: 5 (2 load, 3 do not; 3 problems)"),
        "{}",
        out.stdout
    );
    let empty = bitsim_in(&fresh("validate-empty"), &["validate", "."]);
    assert_eq!(empty.code, 2);
}

#[test]
fn completions_and_the_man_page_are_generated_from_the_commands() {
    let dir = fresh("completions");
    let bash = bitsim_in(&dir, &["completions", "bash"]);
    assert_eq!(bash.code, 0);
    assert!(
        bash.stdout.contains("complete -F _bitsim"),
        "{}",
        bash.stdout
    );
    for sub in ["check", "validate", "merge", "explore", "completions"] {
        assert!(bash.stdout.contains(sub), "{sub} missing");
    }
    let zsh = bitsim_in(&dir, &["completions", "zsh"]);
    assert_eq!(zsh.code, 0);
    assert!(zsh.stdout.starts_with("#compdef bitsim"), "{}", zsh.stdout);
    let man = bitsim_in(&dir, &["man"]);
    assert_eq!(man.code, 0);
    assert!(man.stdout.contains(".TH bitsim 1"), "{}", man.stdout);
    assert!(man.stdout.contains("validate"), "{}", man.stdout);
    let bad = bitsim_in(&dir, &["completions", "cmd.exe"]);
    assert_eq!(bad.code, 2);
}

#[test]
fn run_ends_with_a_verdict_that_agrees_with_its_exit_code() {
    let dir = data().join("scenarios");
    let good = bitsim_in(&dir, &["run", "good.yaml"]);
    assert_eq!(good.code, 0);
    assert!(
        good.stdout.ends_with("held\nverdict: held (exit 0)\n"),
        "{}",
        good.stdout
    );
    let bad = bitsim_in(&dir, &["run", "failing.yaml"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stdout
            .ends_with("verdict: FAILED (exit 1): 1 of 1 run failed\n"),
        "{}",
        bad.stdout
    );
}

#[test]
fn sarif_of_properties_points_at_the_step_or_the_declaration() {
    let dir = fresh("properties");
    let good = std::fs::read_to_string(data().join("scenarios/good.yaml")).unwrap();
    let text = good.replace("profiles: [win7, win11]", "profile: win11")
        + "properties:\n  - id: P-NEVER-ACKNOWLEDGED\n    about: Broken by Complete.\n    never: { job: job, state: ACKNOWLEDGED }\n  - id: P-SOMETIMES-ERROR\n    about: Never met.\n    sometimes: { job: job, state: ERROR }\n";
    std::fs::write(dir.join("props.yaml"), &text).unwrap();
    let out = bitsim_in(&dir, &["check", "props.yaml", "--format", "sarif"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let log = assert_valid_sarif(&out.stdout);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let place = |id: &str| {
        let r = results
            .iter()
            .find(|r| r["ruleId"] == id)
            .unwrap_or_else(|| panic!("no {id}: {results:#?}"));
        let region = &r["locations"][0]["physicalLocation"]["region"];
        at(
            &dir,
            "props.yaml",
            region["startLine"].as_u64().unwrap(),
            region["startColumn"].as_u64().unwrap(),
        )
    };
    // `never` breaks at the step that completes the job.
    assert!(place("P-NEVER-ACKNOWLEDGED").starts_with("Complete:"));
    // `sometimes` never held: the result points at the declaration.
    assert!(place("P-SOMETIMES-ERROR").starts_with("id: P-SOMETIMES-ERROR"));
}
