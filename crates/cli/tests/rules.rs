//! `bitsim rules`: every id a trace prints can be looked up, and one id
//! shows its statement, sources, values per profile and the scenarios
//! that exercise it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bitsim_cli::Cli;
use clap::Parser;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bitsim(args: &[&str]) -> String {
    let cli = Cli::try_parse_from(std::iter::once("bitsim").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let mut out = Vec::new();
    cli.command
        .run(&mut out)
        .unwrap_or_else(|e| panic!("{args:?}: {e:?}"));
    String::from_utf8(out).unwrap()
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

fn is_id(s: &str) -> bool {
    let mut parts = s.split('-');
    let first = parts.next().unwrap_or_default();
    first.len() >= 2
        && first.chars().all(|c| c.is_ascii_uppercase())
        && s.contains('-')
        && parts.all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
}

/// The ids an `--explain` trace cites: after `why`, and in brackets on
/// trail and host lines (a `why` line's sources are not ids).
fn cited_ids(trace: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for line in trace.lines() {
        let line = line.trim_start();
        if let Some(rest) = line.strip_prefix("why ") {
            let id = rest.split([':', ' ']).next().unwrap_or_default();
            ids.insert(id.to_string());
            continue;
        }
        for piece in line.split('[').skip(1) {
            if let Some((inside, _)) = piece.split_once(']') {
                if is_id(inside) {
                    ids.insert(inside.to_string());
                }
            }
        }
    }
    ids
}

#[test]
fn every_id_an_explained_trace_prints_is_listed() {
    let listed: BTreeSet<String> =
        serde_json::from_str::<serde_json::Value>(&bitsim(&["rules", "--format", "json"]))
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect();
    let mut files = Vec::new();
    yaml_files(&root().join("scenarios"), &mut files);
    files.sort();
    assert!(files.len() > 50, "found {} scenarios", files.len());
    let mut cited = BTreeSet::new();
    let mut missing = Vec::new();
    for file in &files {
        let path = file.display().to_string();
        for id in cited_ids(&bitsim(&["run", &path, "--explain"])) {
            if !listed.contains(&id) {
                missing.push(format!("{path}: {id}"));
            }
            cited.insert(id);
        }
    }
    assert!(missing.is_empty(), "not listed:\n{}", missing.join("\n"));
    // The trace does cite ids of several tables.
    for id in ["AC-ACE-ALLOW", "BITS-CREATE", "LSA-LOGON-GROUPS"] {
        assert!(cited.contains(id), "{id} never cited");
    }
}

#[test]
fn one_id_shows_statement_sources_values_and_scenarios() {
    let scenarios = root().join("scenarios").display().to_string();
    let spec = root().join("docs/spec-matrix.md").display().to_string();
    let text = bitsim(&[
        "rules",
        "BITS-1607-NON-ADMIN-HELPER",
        "--scenarios",
        &scenarios,
        "--spec",
        &spec,
    ]);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("BITS-1607-NON-ADMIN-HELPER (switch, profile)")
    );
    assert!(
        text.contains("a non-administrator may set a helper token"),
        "{text}"
    );
    assert!(text.contains("    source: [HT]"), "{text}");
    assert!(
        text.contains("    values: vista no, win7 no, win10-1507 no, win10-1607 yes, win11 yes"),
        "{text}"
    );
    assert!(text.contains("    scenarios:\n"), "{text}");
    assert!(text.contains("helper-tokens/"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&bitsim(&[
        "rules",
        "BITS-1607-NON-ADMIN-HELPER",
        "--format",
        "json",
        "--scenarios",
        &scenarios,
        "--spec",
        &spec,
    ]))
    .unwrap();
    assert_eq!(json["values"]["win10-1607"], "yes");
    assert_eq!(json["values"]["win10-1507"], "no");
    assert!(!json["scenarios"].as_object().unwrap().is_empty());
    assert!(!json["spec_rows"].as_array().unwrap().is_empty(), "{json}");
}

#[test]
fn a_refused_helper_token_names_the_condition_and_the_sid() {
    let file = root()
        .join("scenarios/helper-tokens/condition-b-admin-helper-refused.yaml")
        .display()
        .to_string();
    let decided = "BITS-1607-B: the helper token has S-1-5-32-544 enabled → refused";
    let text = bitsim(&["run", &file, "--explain", "--profile", "win10-1607"]);
    assert!(text.contains(&format!("       {decided}\n")), "{text}");
    let json: serde_json::Value = serde_json::from_str(&bitsim(&[
        "run",
        &file,
        "--explain",
        "--format",
        "json",
        "--profile",
        "win10-1607",
    ]))
    .unwrap();
    let json = json.to_string();
    assert!(json.contains(decided), "{json}");
    // The conditions before it held, and say why.
    assert!(json
        .contains("BITS-1607-A: the pointer was obtained with the owner's SID S-1-5-20 → holds"));
}

#[test]
fn a_job_access_check_names_the_condition_that_refused() {
    let file = root()
        .join("scenarios/jobs/lower-integrity-caller-cannot-change.yaml")
        .display()
        .to_string();
    let text = bitsim(&["run", &file, "--explain"]);
    assert!(
        text.contains(
            "BITS-INTEGRITY: the caller's integrity level S-1-16-12288 is below the owner's S-1-16-16384: it may read the job, not change it → refused"
        ),
        "{text}"
    );
    assert!(
        text.contains("but has S-1-5-32-544 enabled → holds"),
        "{text}"
    );
}

#[test]
fn a_downgraded_impersonation_names_the_allow_list_conditions() {
    let file = root()
        .join("scenarios/impersonation/impersonate-without-privilege-downgraded.yaml")
        .display()
        .to_string();
    let text = bitsim(&["run", &file, "--explain"]);
    assert!(
        text.contains(
            "IMP-ALLOW-LIST: the caller's process token (S-1-5-21-10-20-30-1100) lacks SeImpersonatePrivilege, the token was not made with explicit credentials in its logon session, and the token's user S-1-5-21-10-20-30-1102 is not the caller's → refused"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "IMP-DOWNGRADE: the thread gets the token at SecurityIdentification instead of SecurityImpersonation → holds"
        ),
        "{text}"
    );
    assert!(text.contains(
        "IMP-ALLOW-LIST: the token was made with explicit credentials in the caller's logon session → admitted"
    ));
}

#[test]
fn a_refused_logon_names_the_right_that_decided() {
    let file = root()
        .join("scenarios/impersonation/logonuser-network-logon-right.yaml")
        .display()
        .to_string();
    let text = bitsim(&["run", &file, "--explain"]);
    assert!(
        text.contains(
            "LSA-LOGON-RIGHT: S-1-5-21-10-20-30-1102 holds SeDenyNetworkLogonRight on WEB → refused"
        ),
        "{text}"
    );
    assert!(text.contains(
        "LSA-LOGON-RIGHT: S-1-5-21-10-20-30-1101 holds SeNetworkLogonRight on WEB → admitted"
    ));
}
