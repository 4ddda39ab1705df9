//! World views: kept only when asked for, one per step, within the run's
//! budget; what a view shows of the world; whom each step talks to.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use runner::inspect::{self, Party};
use runner::run::{run_with, Options};

const FILE: &str = "scenarios/helper-tokens/owner-logoff-drops-helper.yaml";

fn text() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(FILE),
    )
    .unwrap()
}

fn runs(world_views: bool) -> Vec<runner::Run> {
    let text = text();
    let s = runner::load(FILE, &text).unwrap();
    run_with(
        &s,
        FILE,
        &text,
        &Options {
            only: Some(bits::Profile::Win11),
            world_views,
            ..Options::default()
        },
    )
    .unwrap()
}

#[test]
fn views_are_kept_only_when_asked_for() {
    let without = &runs(false)[0];
    assert_eq!(without.views.len(), without.steps.len());
    assert!(without.views.iter().all(|v| v.world.is_none()));
    let with = &runs(true)[0];
    assert!(with.views.iter().all(|v| v.world.is_some()));
    // The trace itself does not depend on it.
    assert_eq!(with.steps, without.steps);
}

#[test]
fn each_step_talks_to_the_host_bits_the_environment_or_checks() {
    let run = &runs(false)[0];
    let party = |kind: &str| {
        let i = run.steps.iter().position(|s| s.kind == kind).unwrap();
        run.views[i].party
    };
    assert_eq!(party("logon"), Party::Environment);
    assert_eq!(party("logoff"), Party::Environment);
    assert_eq!(party("LogonUser"), Party::Host);
    assert_eq!(party("RevertToSelf"), Party::Host);
    assert_eq!(party("CreateJob"), Party::Bits);
    assert_eq!(party("SetHelperToken"), Party::Bits);
    assert_eq!(party("expect"), Party::Check);
}

#[test]
fn a_view_shows_the_job_threads_and_tokens_as_the_scenario_named_them() {
    let run = &runs(true)[0];
    let before = run.views[12].world.as_ref().unwrap(); // step 13
    let job = &before.jobs[0];
    assert_eq!(job.name, "job");
    assert_eq!(job.state, "BG_JOB_STATE_SUSPENDED");
    assert_eq!(job.helper_flag_names, "BG_TOKEN_NETWORK");
    let helper = job.helper.as_ref().unwrap();
    assert_eq!(helper.account.name, "CORP\\bob");
    assert!(
        before.token(helper.token).is_some(),
        "the helper token is shown"
    );
    assert_eq!(
        before.token_named("bob_token").unwrap().user.name,
        "CORP\\bob"
    );
    let elevated = before
        .threads
        .iter()
        .find(|t| t.name == "elevated")
        .unwrap();
    assert!(elevated.alive && elevated.impersonating.is_none());

    let after = run.views[13].world.as_ref().unwrap(); // step 14, the logoff
    let job = &after.jobs[0];
    assert_eq!(job.state, "BG_JOB_STATE_ERROR");
    assert!(job.helper.is_none());
    let error = job.error.as_ref().unwrap();
    assert_eq!(error.code, "BG_E_TOKEN_REQUIRED");
    let admin = after.threads.iter().find(|t| t.name == "admin").unwrap();
    assert!(!admin.alive, "the logoff ended admin's processes");
    assert!(after
        .logons
        .iter()
        .any(|l| l.account.name == "CORP\\admin" && l.winlogon && !l.active));
}

#[test]
fn the_budget_bounds_what_a_run_keeps() {
    let text = text();
    let s = runner::load(FILE, &text).unwrap();
    let run = &runs(true)[0];
    let rows: usize = run
        .views
        .iter()
        .filter_map(|v| v.world.as_ref())
        .map(inspect::View::rows)
        .sum();
    assert!(rows > 0 && rows <= inspect::MAX_VIEW_ROWS);
    // A budget too small for one view keeps none and is spent.
    let prepared = runner::run::prepare(&s, &text, bits::Profile::Win11, None).unwrap();
    let table = runner::trace::NameTable::default();
    let mut budget = 3;
    let v = inspect::after_step(
        &s.steps[0],
        &prepared.world,
        &prepared.names,
        &table,
        true,
        &mut budget,
    );
    assert!(v.world.is_none());
    assert_eq!(budget, 0);
    let mut budget = inspect::MAX_VIEW_ROWS;
    let v = inspect::after_step(
        &s.steps[0],
        &prepared.world,
        &prepared.names,
        &table,
        true,
        &mut budget,
    );
    let kept = v.world.unwrap().rows();
    assert_eq!(budget, inspect::MAX_VIEW_ROWS - kept);
}
