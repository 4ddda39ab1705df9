//! `bitsim coverage`: the rule ids the scenario library cites, by table,
//! and the spec-matrix rows a passing scenario checks.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::path::PathBuf;

use bitsim_cli::Cli;
use clap::Parser;

fn root(relative: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
        .display()
        .to_string()
}

#[test]
fn coverage_counts_rules_per_table_and_every_spec_row() {
    let lib = root("scenarios");
    let spec = root("docs/spec-matrix.md");
    let cli = Cli::try_parse_from(["bitsim", "coverage", &lib, "--spec", &spec, "--json"]).unwrap();
    let mut out = Vec::new();
    cli.command.run(&mut out).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let tables = v["rules"].as_object().unwrap();
    assert_eq!(
        tables.keys().cloned().collect::<Vec<_>>(),
        ["bits", "simos", "webhost", "winsec"]
    );
    // Rules the library certainly cites: the helper-token rules and the
    // access check's allow ACE.
    let cited = |table: &str, id: &str| {
        tables[table]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e[0] == id)
            .and_then(|e| e[1].as_u64())
            .unwrap_or_else(|| panic!("{id} is not in {table}"))
    };
    assert!(cited("bits", "BITS-HELPER-CAPTURE") > 0);
    assert!(cited("bits", "BITS-LOGOFF") > 0);
    assert!(cited("winsec", "AC-ACE-ALLOW") > 0);
    // Unreached ids are exactly those with a zero count.
    let mut zero: Vec<&str> = tables
        .values()
        .flat_map(|t| t.as_array().unwrap())
        .filter(|e| e[1] == 0)
        .map(|e| e[0].as_str().unwrap())
        .collect();
    let mut unreached: Vec<&str> = v["unreached"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    zero.sort_unstable();
    unreached.sort_unstable();
    assert_eq!(zero, unreached);
    // The library exercises every rule of every table: a new rule needs a
    // scenario that reaches it.
    assert!(unreached.is_empty(), "never reached: {unreached:?}");
    // Outcomes: condition (b) is seen refusing (an administrator's helper
    // token) and holding; an allow ACE in checks that granted and refused.
    for id in ["BITS-1607-B", "BITS-1607-A", "AC-ACE-ALLOW"] {
        let w = &v["outcomes"][id];
        assert!(w["allowed"].as_u64().unwrap() > 0, "{id}: {w}");
        assert!(w["refused"].as_u64().unwrap() > 0, "{id}: {w}");
    }
    // The one-way list is exactly the ids with a zero on one side.
    let outcomes = v["outcomes"].as_object().unwrap();
    let one_way: Vec<&str> = v["one_way"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    for (id, w) in outcomes {
        let single = w["allowed"] == 0 || w["refused"] == 0;
        assert_eq!(single, one_way.contains(&id.as_str()), "{id}: {w}");
    }
    // Every row of the spec matrix names a passing scenario.
    let rows = v["spec_rows"].as_array().unwrap();
    assert!(rows.len() >= 60);
    assert!(rows.iter().all(|r| r[1] == true), "{rows:?}");
}
