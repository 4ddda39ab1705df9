//! The spec matrix (`docs/spec-matrix.md`) kept true: every row parses,
//! ids are unique, every rule id exists in one of the project's rule
//! tables (BITS rules and profile switches, the host's rules, the access
//! check's rules, the invariant catalog), every row names at least one
//! scenario, and every named scenario exists, loads and holds under each
//! of its profiles. A status other than `ok` must give its reason.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use runner::spec::{self, Row, Status};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn matrix() -> Vec<Row> {
    let path = root().join("docs").join("spec-matrix.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    spec::parse(&text).unwrap_or_else(|e| panic!("docs/spec-matrix.md:{e}"))
}

/// Every id a row may cite, with the table it comes from.
fn known_rule_ids() -> BTreeMap<&'static str, &'static str> {
    let mut ids = BTreeMap::new();
    for r in bits::rules::RULES {
        ids.insert(r.id, "bits::rules::RULES");
    }
    for s in bits::profile::SWITCHES {
        ids.insert(s.id, "bits::profile::SWITCHES");
    }
    for r in simos::rules::all() {
        ids.insert(r.id, "simos::rules::all()");
    }
    for r in winsec::rules::ACCESS_RULES {
        ids.insert(r.id, "winsec::rules::ACCESS_RULES");
    }
    for i in oracle::CATALOG {
        ids.insert(i.id, "oracle::CATALOG");
    }
    for r in webhost::rules::RULES {
        ids.insert(r.id, "webhost::rules::RULES");
    }
    ids
}

fn at(row: &Row) -> String {
    format!("docs/spec-matrix.md:{} ({})", row.line, row.id)
}

#[test]
fn the_matrix_covers_every_seed() {
    let rows = matrix();
    for seed in ["000", "001", "003"] {
        assert!(
            rows.iter().any(|r| r.seed.iter().any(|s| s == seed)),
            "no row for seed {seed}"
        );
    }
    assert!(rows.len() >= 40, "only {} rows", rows.len());
}

#[test]
fn ids_are_unique() {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for row in matrix() {
        if let Some(first) = seen.insert(row.id.clone(), row.line) {
            panic!("{}: id already used on line {first}", at(&row));
        }
    }
}

#[test]
fn every_rule_id_exists() {
    let known = known_rule_ids();
    let mut unknown = Vec::new();
    for row in matrix() {
        if row.rules.is_empty() {
            unknown.push(format!("{}: names no rule", at(&row)));
        }
        for id in &row.rules {
            if !known.contains_key(id.as_str()) {
                unknown.push(format!("{}: unknown rule id `{id}`", at(&row)));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "ids must come from bits::rules::RULES, bits::profile::SWITCHES, simos::rules::all(), winsec::rules::ACCESS_RULES, webhost::rules::RULES or oracle::CATALOG:\n{}",
        unknown.join("\n")
    );
}

#[test]
fn every_status_other_than_ok_gives_its_reason() {
    for row in matrix() {
        match &row.status {
            Status::Ok => assert!(row.status.reason().is_none()),
            other => {
                let reason = other.reason().unwrap_or("");
                assert!(
                    reason.split_whitespace().count() >= 5,
                    "{}: status `{}` needs a reason saying what the model does and why, got `{reason}`",
                    at(&row),
                    other.keyword()
                );
            }
        }
    }
}

#[test]
fn every_row_names_a_scenario_that_exists_loads_and_holds() {
    let rows = matrix();
    let mut users: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in &rows {
        assert!(
            !row.scenarios.is_empty(),
            "{}: names no scenario (sentences without one go in the list below the table)",
            at(row)
        );
        for s in &row.scenarios {
            users.entry(s.clone()).or_default().push(row.id.clone());
        }
    }
    let mut failures = BTreeSet::new();
    for (name, ids) in &users {
        let rel = format!("scenarios/{name}.yaml");
        let Ok(text) = std::fs::read_to_string(root().join(&rel)) else {
            failures.insert(format!(
                "{rel} (named by {}) does not exist",
                ids.join(", ")
            ));
            continue;
        };
        let loaded = match runner::load(&rel, &text) {
            Ok(s) => s,
            Err(e) => {
                failures.insert(format!("{rel} does not load: {e}"));
                continue;
            }
        };
        let runs = match runner::run(&loaded, &rel, &text, None) {
            Ok(runs) => runs,
            Err(e) => {
                failures.insert(format!("{rel} cannot run: {e}"));
                continue;
            }
        };
        assert!(!runs.is_empty(), "{rel} ran under no profile");
        for run in runs.iter().filter(|r| !r.passed()) {
            let why = run.failure().map_or_else(String::new, |f| {
                format!("step {} (line {})", f.number, f.line)
            });
            failures.insert(format!(
                "{rel} [{}] does not hold at {why} (named by {})",
                run.profile,
                ids.join(", ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}",
        failures.into_iter().collect::<Vec<_>>().join("\n")
    );
}
