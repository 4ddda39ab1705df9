//! The scenario library end to end: every scenario's trace (steps,
//! results, events, checks) pinned as a snapshot, every run deterministic, the
//! committed schema and invariant documents current, and JUnit output
//! well-formed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every scenario file, sorted, as (path relative to the root, text).
fn library() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&root().join("scenarios"), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// Loads a library scenario (`file` relative to the root) and reads the
/// files its host section imports, as the command line does.
fn load(file: &str, text: &str) -> scenario::Scenario {
    let mut s = runner::load(file, text).unwrap_or_else(|e| panic!("{e}"));
    let folder = root().join(file).parent().unwrap().to_path_buf();
    runner::imports::resolve(&mut s, |_, path| {
        Ok(std::fs::read_to_string(folder.join(path)).unwrap())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    s
}

fn trace(file: &str, text: &str) -> (String, bool) {
    let s = load(file, text);
    let runs = runner::run(&s, file, text, None).unwrap_or_else(|e| panic!("{e}"));
    let mut out = String::new();
    for r in &runs {
        out.push_str(&runner::report::text(r, false));
    }
    (out, runs.iter().all(runner::Run::passed))
}

#[test]
fn every_scenario_holds_and_its_trace_is_pinned() {
    insta::glob!("../scenarios", "**/*.yaml", |path| {
        let rel = path
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(path).unwrap();
        let (out, passed) = trace(&rel, &text);
        assert!(passed, "{rel} does not hold:\n{out}");
        insta::assert_snapshot!(out);
    });
}

#[test]
fn the_library_is_large_enough_and_every_file_names_the_schema() {
    let files = library();
    assert!(files.len() >= 40, "only {} scenarios", files.len());
    for (file, text) in &files {
        let first = text.lines().next().unwrap_or("");
        assert!(
            first.starts_with("# yaml-language-server: $schema=")
                && first.ends_with("docs/scenario.schema.json"),
            "{file}: the first line must reference docs/scenario.schema.json"
        );
        let s = load(file, text);
        let stem = Path::new(file).file_stem().unwrap().to_string_lossy();
        assert_eq!(s.name, stem, "{file}: `name` must equal the file name");
        assert!(!s.about.trim().is_empty(), "{file}: `about` is empty");
    }
}

#[test]
fn every_run_is_byte_identical_when_repeated() {
    for (file, text) in library() {
        let s = load(&file, &text);
        let first = runner::report::json(&runner::run(&s, &file, &text, None).unwrap());
        let second = runner::report::json(&runner::run(&s, &file, &text, None).unwrap());
        assert_eq!(first, second, "{file}: two runs differ");
    }
}

#[test]
fn the_committed_schema_is_current() {
    let committed = std::fs::read_to_string(root().join("docs/scenario.schema.json")).unwrap();
    assert_eq!(
        committed,
        scenario::format::schema_json(),
        "docs/scenario.schema.json is stale: regenerate it with `bitsim schema > docs/scenario.schema.json`"
    );
}

#[test]
fn junit_output_is_well_formed_xml_with_one_case_per_run() {
    let mut runs = Vec::new();
    for (file, text) in library().into_iter().take(5) {
        let s = load(&file, &text);
        runs.extend(runner::run(&s, &file, &text, None).unwrap());
    }
    let cases: Vec<_> = runs
        .iter()
        .map(|r| runner::report::Case::of_run(r, 2, None))
        .collect();
    let xml = runner::report::junit(&cases);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(cases, runs.len());
    assert!(doc.root_element().has_tag_name("testsuites"));
}

/// Every key the schema allows (top-level, host, step kinds and their
/// arguments, expectation forms) is documented in `docs/scenarios.md`,
/// written in backticks.
#[test]
fn every_schema_field_is_documented() {
    fn collect(v: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (key, child) in map {
                    match (key.as_str(), child) {
                        // A schema's fields: each name is a key of the
                        // format, each value a schema of its own.
                        ("properties", serde_json::Value::Object(fields)) => {
                            for (name, field) in fields {
                                out.insert(name.clone());
                                collect(field, out);
                            }
                        }
                        _ => collect(child, out),
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for child in items {
                    collect(child, out);
                }
            }
            _ => {}
        }
    }
    let schema: serde_json::Value = serde_json::from_str(&scenario::format::schema_json()).unwrap();
    let mut keys = std::collections::BTreeSet::new();
    collect(&schema, &mut keys);
    assert!(keys.len() > 100, "only {} keys found", keys.len());
    let docs = std::fs::read_to_string(root().join("docs/scenarios.md")).unwrap();
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| !docs.contains(&format!("`{k}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "keys the schema allows but docs/scenarios.md does not mention: {missing:?}"
    );
}
