//! End-to-end tests of the checkers' commands: `explore` and `fuzz` print
//! the same bytes twice and write counterexamples that `run` replays to
//! the same broken invariant (exit 1); `mutants --list`, `graph`, `check
//! --shard` and `merge` of shard reports.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::path::PathBuf;

use bitsim_cli::{Cli, CliError, ExitCode};
use clap::Parser;

fn bitsim(args: &[&str]) -> Result<(ExitCode, String), CliError> {
    let cli = Cli::try_parse_from(std::iter::once("bitsim").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?} does not parse: {e}"));
    let mut out = Vec::new();
    let code = cli.command.run(&mut out)?;
    Ok((code, String::from_utf8(out).expect("output is UTF-8")))
}

fn ok(args: &[&str]) -> (ExitCode, String) {
    bitsim(args).unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bitsim-cli-explore-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn library() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios")
        .display()
        .to_string()
}

#[test]
fn explore_prints_the_same_report_twice_and_passes() {
    let args = [
        "explore",
        "--jobs",
        "1",
        "--depth",
        "3",
        "--profile",
        "win10-1607",
        "--quiet",
    ];
    let (code, a) = ok(&args);
    let (_, b) = ok(&args);
    assert_eq!(a, b);
    assert!(a.contains("unique states   385"), "{a}");
    assert!(a.contains("violations      0"), "{a}");
    // helper-transfer needs more than three operations with one job: the
    // run says so and ends with exit 3 (unreached) rather than passing
    // vacuously or claiming a broken invariant.
    assert!(
        a.contains("sometimes helper-transfer: NEVER REACHED"),
        "{a}"
    );
    assert!(
        a.ends_with("verdict: UNREACHED (exit 3): no invariant broke, but sometimes helper-transfer never reached within the bound\n"),
        "{a}"
    );
    assert_eq!(code, ExitCode::Unreached);
}

#[test]
fn explore_writes_a_counterexample_that_run_replays() {
    let out = temp("explore-ce.yaml");
    let path = out.display().to_string();
    let (code, text) = ok(&[
        "explore",
        "--depth",
        "3",
        "--profile",
        "win10-1607",
        "--mutant",
        "planted-helper-outlives-owner",
        "--out",
        &path,
        "--quiet",
    ]);
    assert_eq!(code, ExitCode::Failed);
    assert!(
        // The owner was the session's only user, so its end breaks the
        // session rule too.
        text.contains(
            "VIOLATION       INV-LOGOFF-DROPS-HELPER, INV-TS-END-DROPS-HELPER after 2 operation(s)"
        ),
        "{text}"
    );
    let (code, trace) = ok(&["run", &path]);
    assert_eq!(code, ExitCode::Failed);
    assert!(
        trace.contains("INVARIANT INV-LOGOFF-DROPS-HELPER broken"),
        "{trace}"
    );
}

#[test]
fn fuzz_with_a_seed_prints_the_same_report_twice_and_its_failure_replays() {
    let out = temp("fuzz-ce.yaml");
    let path = out.display().to_string();
    let args = [
        "fuzz",
        "--profile",
        "win7",
        "--mutant",
        "planted-helper-outlives-owner",
        "--seed",
        "3",
        "--cases",
        "100",
        "--out",
        &path,
        "--quiet",
    ];
    let (code, a) = ok(&args);
    let (_, b) = ok(&args);
    assert_eq!(a, b);
    assert_eq!(code, ExitCode::Failed);
    let yaml = std::fs::read_to_string(&out).unwrap();
    assert!(yaml.contains("--seed 3"), "{yaml}");
    let (code, trace) = ok(&["run", &path]);
    assert_eq!(code, ExitCode::Failed, "{trace}");
    let (code, clean) = ok(&[
        "fuzz",
        "--profile",
        "win7",
        "--seed",
        "3",
        "--cases",
        "20",
        "--quiet",
    ]);
    assert_eq!(code, ExitCode::Ok, "{clean}");
}

#[test]
fn mutants_lists_the_catalog() {
    let (code, text) = ok(&["mutants", "--list"]);
    assert_eq!(code, ExitCode::Ok);
    for m in bits::MUTANTS {
        assert!(text.contains(m.name), "{text}");
    }
    assert!(!text.contains("planted-"));
}

#[test]
fn graph_draws_the_engines_whole_job_state_machine() {
    let (_, dot) = ok(&["graph", "job-states", "--profile", "win11"]);
    assert!(dot.starts_with("digraph"));
    let id = |state: bits::JobState| {
        let label = format!(
            "label=\"{} ({})\"",
            state.name().trim_start_matches("BG_JOB_STATE_"),
            state.value()
        );
        dot.lines()
            .find(|l| l.contains(&label))
            .and_then(|l| l.split_whitespace().next())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no node {label} in {dot}"))
    };
    // Every one of the nine states is reached by some transition.
    for s in bits::JobState::ALL {
        let node = id(s);
        if s != bits::JobState::Suspended {
            assert!(
                dot.contains(&format!(" -> {node} [")),
                "nothing leads to {s}: {dot}"
            );
        }
    }
    use bits::JobState as S;
    let edge = |from: S, to: S, label: &str| {
        let prefix = format!("  {} -> {} [label=\"", id(from), id(to));
        let line = dot
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no edge {from} -> {to} in {dot}"));
        assert!(line.contains(label), "{from} -> {to} lacks {label}: {line}");
    };
    // Calls, and what only the environment does.
    edge(S::Suspended, S::Queued, "Resume");
    edge(S::Transferred, S::Acknowledged, "Complete");
    edge(S::Queued, S::Cancelled, "Cancel");
    edge(
        S::Transferring,
        S::TransientError,
        "network down (BG_E_NETWORK_DISCONNECTED)",
    );
    edge(S::TransientError, S::Queued, "network up");
    edge(
        S::TransientError,
        S::Error,
        "advance (BG_E_NETWORK_DISCONNECTED)",
    );
    edge(S::Connecting, S::Error, "advance (BG_E_HTTP_ERROR_404)");
    edge(S::Transferring, S::Error, "Logoff (BG_E_TOKEN_REQUIRED)");
    edge(S::Transferring, S::Queued, "Logoff");
    edge(S::Suspended, S::Cancelled, "JobInactivityTimeout passes");

    // Vista has no helper tokens: a logoff never asks for one there.
    let (_, vista) = ok(&["graph", "job-states", "--profile", "vista"]);
    assert!(vista.contains("Logoff"), "{vista}");
    assert!(!vista.contains("BG_E_TOKEN_REQUIRED"), "{vista}");

    let (_, mermaid) = ok(&["graph", "--format", "mermaid", "--depth", "3"]);
    assert!(mermaid.starts_with("stateDiagram-v2"));
}

#[test]
fn graph_states_labels_each_state_by_its_facts_and_each_edge_by_what_changed() {
    let (_, m) = ok(&[
        "graph",
        "states",
        "--profile",
        "win7",
        "--depth",
        "1",
        "--format",
        "mermaid",
    ]);
    // A node says the jobs' states (the helper-tokens model's two jobs).
    assert!(m.contains("job 1 SUSPENDED"), "{m}");
    // An edge names the operation and the fact it changed.
    assert!(
        m.lines()
            .any(|l| l.contains("Resume") && l.contains("+ job") && l.contains("QUEUED")),
        "{m}"
    );
}

#[test]
fn check_shards_add_up_to_the_whole_library_through_merge() {
    let lib = library();
    let (_, whole) = ok(&["check", &lib, "--format", "json"]);
    let whole: serde_json::Value = serde_json::from_str(&whole).unwrap();
    let mut files = Vec::new();
    for k in ["1/2", "2/2"] {
        let (_, part) = ok(&["check", &lib, "--format", "json", "--shard", k]);
        let f = temp(&format!("check-{}.json", k.replace('/', "-")));
        std::fs::write(&f, part).unwrap();
        files.push(f.display().to_string());
    }
    let mut args = vec!["merge"];
    args.extend(files.iter().map(String::as_str));
    let (code, merged) = ok(&args);
    assert_eq!(code, ExitCode::Ok, "{merged}");
    let passed = whole["passed"].as_u64().unwrap();
    assert!(
        merged.contains(&format!("tests: {passed} passed, 0 failed, 0 errors")),
        "{merged}"
    );
    // As JSON, the merged report is the whole one but for the shard.
    let (_, json) = ok(&[&["merge", "--format", "json"][..], &args[1..]].concat());
    let mut merged: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut whole = whole;
    for v in [&mut merged, &mut whole] {
        v["runs"]
            .as_array_mut()
            .unwrap()
            .sort_by_key(|r| r["file"].as_str().unwrap().to_string());
    }
    assert_eq!(merged, whole);
    // As JUnit, one case per run.
    let (_, xml) = ok(&[&["merge", "--format", "junit"][..], &args[1..]].concat());
    assert_eq!(
        xml.matches("<testcase ").count() as u64,
        whole["tests"].as_u64().unwrap()
    );
    // A shard twice, or one missing, is refused.
    let dup = bitsim(&["merge", &files[0], &files[0]]).unwrap_err();
    assert!(
        dup.to_string().contains("shard 1/2 is given twice"),
        "{dup}"
    );
    let gap = bitsim(&["merge", &files[1]]).unwrap_err();
    assert!(gap.to_string().contains("shard 1/2 missing"), "{gap}");
}

#[test]
fn explore_shards_merge_into_one_report() {
    let mut files = Vec::new();
    for k in ["1/2", "2/2"] {
        let (_, part) = ok(&[
            "explore",
            "--jobs",
            "1",
            "--depth",
            "2",
            "--profile",
            "win10-1607",
            "--shard",
            k,
            "--format",
            "json",
            "--quiet",
        ]);
        let f = temp(&format!("explore-{}.json", k.replace('/', "-")));
        std::fs::write(&f, part).unwrap();
        files.push(f.display().to_string());
    }
    let (_, whole) = ok(&[
        "explore",
        "--jobs",
        "1",
        "--depth",
        "2",
        "--profile",
        "win10-1607",
        "--format",
        "json",
        "--quiet",
    ]);
    let whole: serde_json::Value = serde_json::from_str(&whole).unwrap();
    let mut args = vec!["merge"];
    args.extend(files.iter().map(String::as_str));
    let (_, merged) = ok(&args);
    // The first-level branches are split exactly; deeper transitions are
    // taken from each shard's states, so the total is at least the whole.
    let transitions: u64 = merged
        .lines()
        .find(|l| l.trim_start().starts_with("transitions"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(
        transitions >= whole["transitions"].as_u64().unwrap(),
        "{merged}"
    );
    assert!(merged.contains("violations      0"), "{merged}");
}

#[test]
fn bad_model_arguments_are_rejected() {
    let e = bitsim(&["explore", "--model", "no-such"]).unwrap_err();
    assert!(e.to_string().contains("unknown model"), "{e}");
    assert!(Cli::try_parse_from(["bitsim", "explore", "--mutant", "nope"]).is_err());
    assert!(Cli::try_parse_from(["bitsim", "explore", "--shard", "3/2"]).is_err());
}

#[test]
fn a_scenario_seeds_a_model() {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios/helper-tokens/helper-token-life-cycle.yaml")
        .display()
        .to_string();
    let (code, text) = ok(&[
        "explore",
        "--from",
        &file,
        "--profile",
        "win10-1607",
        "--depth",
        "2",
        "--quiet",
    ]);
    assert_eq!(code, ExitCode::Ok, "{text}");
    assert!(text.contains("explore from "), "{text}");
    assert!(text.contains("violations      0"), "{text}");
    let states: u64 = text
        .lines()
        .find(|l| l.contains("unique states"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(states > 1, "{text}");
}

fn universe(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios/explore")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn a_helper_token_from_another_session_exposes_session_end_keeps_helper() {
    // The administrator's helper token sits on bob's job; session 1 ends
    // (its only user logs off) while bob stays: only the session rule
    // drops the token, so the mutant is seen.
    let file = universe("helper-tokens.yaml");
    let out = temp("universe-explore-ce.yaml");
    let path = out.display().to_string();
    let (code, text) = ok(&[
        "explore",
        &file,
        "--mutant",
        "session-end-keeps-helper",
        "--depth",
        "3",
        "--out",
        &path,
        "--quiet",
    ]);
    assert_eq!(code, ExitCode::Failed, "{text}");
    assert!(
        text.contains("VIOLATION       INV-TS-END-DROPS-HELPER after 2 operation(s)"),
        "{text}"
    );
    let yaml = std::fs::read_to_string(&out).unwrap();
    assert!(
        yaml.contains("bitsim explore ") && yaml.contains("helper-tokens.yaml --profile win11"),
        "{yaml}"
    );
    let (code, trace) = ok(&["run", &path]);
    assert_eq!(code, ExitCode::Failed, "{trace}");
    assert!(
        trace.contains("INVARIANT INV-TS-END-DROPS-HELPER broken"),
        "{trace}"
    );

    let out = temp("universe-fuzz-ce.yaml");
    let path = out.display().to_string();
    let (code, text) = ok(&[
        "fuzz",
        &file,
        "--mutant",
        "session-end-keeps-helper",
        "--cases",
        "64",
        "--out",
        &path,
        "--quiet",
    ]);
    assert_eq!(code, ExitCode::Failed, "{text}");
    assert!(
        text.contains("VIOLATION       INV-TS-END-DROPS-HELPER"),
        "{text}"
    );
    let (code, trace) = ok(&["run", &path]);
    assert_eq!(code, ExitCode::Failed, "{trace}");
    assert!(
        trace.contains("INVARIANT INV-TS-END-DROPS-HELPER broken"),
        "{trace}"
    );

    // Without the mutant the same universe holds to the same depth.
    let (code, text) = ok(&["explore", &file, "--depth", "3", "--quiet"]);
    assert_eq!(code, ExitCode::Ok, "{text}");
    assert!(text.contains("violations      0"), "{text}");
}

#[test]
fn a_file_without_an_explore_section_is_bad_input() {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios/helper-tokens/helper-token-life-cycle.yaml")
        .display()
        .to_string();
    let e = bitsim(&["explore", &file, "--depth", "1", "--quiet"]).unwrap_err();
    assert!(e.to_string().contains("no `explore` section"), "{e}");
    assert!(
        Cli::try_parse_from(["bitsim", "explore", "a.yaml", "--model", "impersonation"]).is_err()
    );
}

#[test]
fn the_impersonation_model_is_its_library_file() {
    let (_, by_name) = ok(&[
        "explore",
        "--model",
        "impersonation",
        "--depth",
        "3",
        "--quiet",
    ]);
    let (code, by_file) = ok(&[
        "explore",
        &universe("impersonation.yaml"),
        "--depth",
        "3",
        "--quiet",
    ]);
    assert_eq!(code, ExitCode::Ok, "{by_file}");
    let counts = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.contains("unique states") || l.contains("transitions"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(counts(&by_name), counts(&by_file));
    assert_eq!(counts(&by_name).len(), 2);
}

/// The library's helper-token universe with `properties` appended.
fn universe_with(properties: &str, name: &str) -> String {
    let text = std::fs::read_to_string(universe("helper-tokens.yaml")).unwrap();
    let text = text.replace("$schema=../../docs/", "$schema=");
    let path = temp(name);
    std::fs::write(&path, format!("{text}properties:\n{properties}")).unwrap();
    path.display().to_string()
}

#[test]
fn a_universe_checks_its_own_properties() {
    // `never` is broken by the first Cancel: explore names the property,
    // and the counterexample carries it, so the replay fails on it too.
    let file = universe_with(
        "  - id: P-NEVER-CANCELLED\n    about: Broken by a Cancel.\n    never: { job: bob_job, state: CANCELLED }\n  - id: P-OWNER-STAYS\n    about: Nobody takes ownership in this universe.\n    always: { job: bob_job, owner: bob }\n",
        "never-cancelled.yaml",
    );
    let out = temp("never-cancelled-ce.yaml");
    let path = out.display().to_string();
    let (code, text) = ok(&["explore", &file, "--depth", "2", "--out", &path, "--quiet"]);
    assert_eq!(code, ExitCode::Failed, "{text}");
    assert!(
        text.contains("VIOLATION       P-NEVER-CANCELLED after 1 operation(s)"),
        "{text}"
    );
    assert!(
        text.ends_with("verdict: FAILED (exit 1): invariant P-NEVER-CANCELLED broken\n"),
        "{text}"
    );
    let (code, trace) = ok(&["run", &path]);
    assert_eq!(code, ExitCode::Failed, "{trace}");
    assert!(
        trace.contains("property P-NEVER-CANCELLED (never): violated"),
        "{trace}"
    );
    assert!(
        trace.contains("property P-OWNER-STAYS (always): held"),
        "{trace}"
    );
    // Fuzzing the same universe finds it too, shrunk to the one Cancel.
    let (code, text) = ok(&["fuzz", &file, "--cases", "32", "--quiet"]);
    assert_eq!(code, ExitCode::Failed, "{text}");
    assert!(
        text.contains("VIOLATION       P-NEVER-CANCELLED after 1 operation(s)"),
        "{text}"
    );

    // A `sometimes` the universe reaches passes; `eventually` is listed
    // as not checked by the search.
    let file = universe_with(
        "  - id: P-QUEUED\n    about: Resume queues bob's job.\n    sometimes: { job: bob_job, state: QUEUED }\n  - id: P-LATER\n    about: Needs one path.\n    eventually: { job: bob_job, state: QUEUED }\n    within: 3\n",
        "sometimes-queued.yaml",
    );
    let (code, text) = ok(&["explore", &file, "--depth", "2", "--quiet"]);
    assert_eq!(code, ExitCode::Ok, "{text}");
    assert!(
        text.contains("sometimes P-QUEUED: reached at depth 1"),
        "{text}"
    );
    assert!(text.contains("not checked     P-LATER"), "{text}");

    // One it cannot reach is exit 3, named.
    let file = universe_with(
        "  - id: P-ADMIN-OWNS-BOBS-JOB\n    about: Nothing in this universe calls TakeOwnership.\n    sometimes: { job: bob_job, owner: admin }\n",
        "sometimes-unmet.yaml",
    );
    let (code, text) = ok(&["explore", &file, "--depth", "2", "--quiet"]);
    assert_eq!(code, ExitCode::Unreached, "{text}");
    assert!(
        text.contains("sometimes P-ADMIN-OWNS-BOBS-JOB: NEVER REACHED"),
        "{text}"
    );
}

#[test]
fn time_jumps_to_the_next_deadline_so_timers_fire_within_a_depth() {
    // The library's timers universe, asked whether the no-progress
    // timeout (150 s, after retries every 60 s) is reachable: jumping
    // from deadline to deadline it is, ten operations away; with fixed
    // two-second ticks it is not, at the same depth.
    let text = std::fs::read_to_string(universe("timers.yaml")).unwrap();
    let text = text.replace("$schema=../../docs/", "$schema=");
    let asked = text.replace(
        "explore:\n",
        "  - id: P-GIVES-UP\n    about: The no-progress timeout puts the job in ERROR.\n    sometimes: { job: job, state: ERROR }\nexplore:\n",
    );
    assert_ne!(asked, text);
    let jumps = temp("timers-deadline.yaml");
    std::fs::write(&jumps, &asked).unwrap();
    let ticks = temp("timers-ticks.yaml");
    std::fs::write(
        &ticks,
        asked.replace("advance_to_deadline: true", "advance: 2"),
    )
    .unwrap();
    let depth = ["--depth", "10", "--quiet"];
    let jumps = jumps.display().to_string();
    let (code, text) = ok(&[&["explore", jumps.as_str()][..], &depth[..]].concat());
    assert_eq!(code, ExitCode::Ok, "{text}");
    assert!(
        text.contains("sometimes P-GIVES-UP: reached at depth 10"),
        "{text}"
    );
    let ticks = ticks.display().to_string();
    let (code, text) = ok(&[&["explore", ticks.as_str()][..], &depth[..]].concat());
    assert_eq!(code, ExitCode::Unreached, "{text}");
    assert!(
        text.contains("sometimes P-GIVES-UP: NEVER REACHED"),
        "{text}"
    );
}

#[test]
fn a_counterexample_is_also_a_json_trace_of_every_state() {
    let file = universe_with(
        "  - id: P-NEVER-CANCELLED\n    about: Broken by a Cancel.\n    never: { job: bob_job, state: CANCELLED }\n",
        "never-cancelled-json.yaml",
    );
    let (code, text) = ok(&[
        "explore", &file, "--depth", "2", "--format", "json", "--quiet",
    ]);
    assert_eq!(code, ExitCode::Failed, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let ce = &v["counterexample"];
    // The setup's end: both jobs suspended, nothing impersonated.
    let jobs = ce["setup_end"]["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 2, "{ce}");
    assert!(jobs.iter().all(|j| j["state"] == "SUSPENDED"), "{ce}");
    // One step, the Cancel, after which bob's job is CANCELLED and the
    // property is what broke.
    let steps = ce["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{ce}");
    assert_eq!(
        steps[0]["step"],
        "Cancel: {job: bob_job_by_admin, thread: elevated}"
    );
    assert_eq!(steps[0]["result"], "S_OK");
    let bob = steps[0]["state"]["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["owner"] == "CORP\\bob")
        .unwrap();
    assert_eq!(bob["state"], "CANCELLED", "{ce}");
    assert_eq!(steps[0]["broken"][0]["invariant"], "P-NEVER-CANCELLED");
    // A run that holds has none.
    let (_, text) = ok(&[
        "explore", &file, "--depth", "0", "--format", "json", "--quiet",
    ]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(v.get("counterexample").is_none(), "{v}");
}

fn three_users() -> String {
    format!("{}/explore/three-users.yaml", library())
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn symmetry_over_three_users_drops_the_states_fivefold() {
    let file = three_users();
    let (code, text) = ok(&[
        "explore",
        &file,
        "--depth",
        "3",
        "--compare-symmetry",
        "--format",
        "json",
        "--quiet",
    ]);
    assert_eq!(code, ExitCode::Ok, "{text}");
    let v = json(&text);
    assert_eq!(v["symmetry"], "alice, bob, carol");
    assert!(v["violations"].as_array().unwrap().is_empty(), "{text}");
    let reduced = v["states"].as_u64().unwrap();
    let fixed = v["states_users_fixed"].as_u64().unwrap();
    let plain = v["states_without_symmetry"].as_u64().unwrap();
    // The figures reported for the runs without symmetry are those of
    // separate runs of the same universe.
    let (code, text) = ok(&[
        "explore",
        &file,
        "--depth",
        "3",
        "--no-symmetry",
        "--format",
        "json",
        "--quiet",
    ]);
    assert_eq!(code, ExitCode::Ok, "{text}");
    let alone = json(&text);
    assert_eq!(alone["states"].as_u64(), Some(plain));
    assert!(alone.get("symmetry").is_none(), "{text}");
    assert!(
        plain >= 5 * reduced,
        "{plain} states without symmetry, {reduced} with: less than fivefold"
    );
    // Exchanging three users merges at most six states into one.
    assert!(reduced < fixed && fixed <= plain && fixed <= 6 * reduced);
    // The text report states both counts.
    let (_, text) = ok(&[
        "explore",
        &file,
        "--depth",
        "2",
        "--compare-symmetry",
        "--quiet",
    ]);
    assert!(
        text.contains("  symmetric users alice, bob, carol\n"),
        "{text}"
    );
    assert!(text.contains("  without symmetry "), "{text}");
}

#[test]
fn symmetry_still_finds_counterexamples_that_replay() {
    let file = three_users();
    let out = temp("three-users-ce.yaml");
    let path = out.display().to_string();
    let (code, text) = ok(&[
        "explore",
        &file,
        "--mutant",
        "token-loss-leaves-job-running",
        "--depth",
        "3",
        "--out",
        &path,
        "--quiet",
    ]);
    assert_eq!(code, ExitCode::Failed, "{text}");
    assert!(
        text.contains("VIOLATION       INV-TOKEN-REQUIRED after 3 operation(s)"),
        "{text}"
    );
    let (code, trace) = ok(&["run", &path]);
    assert_eq!(code, ExitCode::Failed, "{trace}");
    assert!(
        trace.contains("INVARIANT INV-TOKEN-REQUIRED broken"),
        "{trace}"
    );
}

#[test]
fn a_wrong_symmetry_is_refused_with_its_place() {
    let text = std::fs::read_to_string(three_users()).unwrap();
    // carol joins Protected Users: no longer like alice and bob.
    let wrong = text.replacen(
        "steps:\n",
        "host:\n  users:\n    - { name: carol, groups: [Protected Users] }\nsteps:\n",
        1,
    );
    let file = temp("three-users-wrong.yaml");
    std::fs::write(&file, &wrong).unwrap();
    let path = file.display().to_string();
    let e = bitsim(&["explore", &path, "--depth", "1", "--quiet"]).unwrap_err();
    assert_eq!(e.exit_code(), ExitCode::BadInput);
    let message = e.to_string();
    let line = wrong
        .lines()
        .position(|l| l.trim_start().starts_with("symmetric:"))
        .unwrap()
        + 1;
    assert!(
        message.contains(&format!("three-users-wrong.yaml:{line}:")),
        "{message}"
    );
    assert!(message.contains("not interchangeable"), "{message}");
    assert!(message.contains("carol"), "{message}");

    // A name that is no user account is a load error.
    let unknown = text.replace(
        "symmetric: [[alice, bob, carol]]",
        "symmetric: [[alice, bob, caroll]]",
    );
    std::fs::write(&file, &unknown).unwrap();
    let e = bitsim(&["explore", &path, "--depth", "1", "--quiet"]).unwrap_err();
    assert_eq!(e.exit_code(), ExitCode::BadInput);
    let message = format!("{e:?}");
    assert!(
        message.contains("no user account is named `caroll`"),
        "{message}"
    );
    let (line, column) = unknown
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find("caroll").map(|c| (i + 1, c + 1)))
        .unwrap();
    assert!(
        message.contains(&format!("line: {line}, column: {column}")),
        "{message}"
    );
}

#[test]
fn properties_and_symmetry_are_not_combined() {
    // A property names one user's job; merging the states where another
    // user's job is in its place could hide the violation, so the search
    // refuses the pair and runs the property without the symmetry.
    let text = std::fs::read_to_string(three_users()).unwrap();
    let text = text.replace("$schema=../../docs/", "$schema=");
    let path = temp("three-users-property.yaml");
    std::fs::write(
        &path,
        format!("{text}properties:\n  - id: P-ALICE-NOT-CANCELLED\n    about: Broken by alice's Cancel.\n    never: {{ job: alice_job, state: CANCELLED }}\n"),
    )
    .unwrap();
    let file = path.display().to_string();
    let e = bitsim(&["explore", &file, "--depth", "2", "--quiet"]).unwrap_err();
    assert!(
        e.to_string()
            .contains("property P-ALICE-NOT-CANCELLED names particular users' objects"),
        "{e}"
    );
    let (code, text) = ok(&["explore", &file, "--depth", "2", "--no-symmetry", "--quiet"]);
    assert_eq!(code, ExitCode::Failed, "{text}");
    assert!(
        text.contains("VIOLATION       P-ALICE-NOT-CANCELLED"),
        "{text}"
    );
}

#[test]
fn a_fuzz_swarm_is_its_shards_reported_together() {
    let file = universe("helper-tokens.yaml");
    let json = |args: &[&str]| -> serde_json::Value {
        let (_, text) = ok(args);
        serde_json::from_str(&text).unwrap()
    };
    let swarm = |threads: &str| {
        json(&[
            "fuzz",
            &file,
            "--swarm",
            "3",
            "--cases",
            "20",
            "--threads",
            threads,
            "--format",
            "json",
            "--quiet",
        ])
    };
    let one = swarm("1");
    assert_eq!(one, swarm("2"), "the report depends on the threads");
    assert_eq!(one["swarm"], 3);
    // The members are the three shards of the same seed.
    let (mut cases, mut ops) = (0, 0);
    for k in ["1/3", "2/3", "3/3"] {
        let s = json(&[
            "fuzz", &file, "--shard", k, "--cases", "20", "--format", "json", "--quiet",
        ]);
        cases += s["states"].as_u64().unwrap();
        ops += s["transitions"].as_u64().unwrap();
    }
    assert_eq!(one["states"].as_u64(), Some(cases));
    assert_eq!(one["transitions"].as_u64(), Some(ops));
    assert_eq!(cases, 60);

    // A failure names the member's shard, which replays it alone.
    let out = temp("swarm-ce.yaml");
    let path = out.display().to_string();
    let (code, text) = ok(&[
        "fuzz",
        &file,
        "--swarm",
        "3",
        "--cases",
        "64",
        "--mutant",
        "session-end-keeps-helper",
        "--out",
        &path,
        "--quiet",
    ]);
    assert_eq!(code, ExitCode::Failed, "{text}");
    let yaml = std::fs::read_to_string(&out).unwrap();
    let found = yaml.lines().next().unwrap();
    let shard = found.rsplit("--shard ").next().unwrap();
    let (code, alone) = ok(&[
        "fuzz",
        &file,
        "--shard",
        shard,
        "--cases",
        "64",
        "--mutant",
        "session-end-keeps-helper",
        "--quiet",
    ]);
    assert_eq!(code, ExitCode::Failed, "{alone}");
    let violation = |t: &str| {
        t.lines()
            .find(|l| l.contains("VIOLATION"))
            .map(str::to_string)
    };
    assert_eq!(violation(&alone), violation(&text));
    let (code, trace) = ok(&["run", &path]);
    assert_eq!(code, ExitCode::Failed, "{trace}");
}
