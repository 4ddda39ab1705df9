//! The checkers over the public `Model` interface: counts cross-checked by
//! an independent walk, thread-count independence, determinism, planted
//! bugs found by both the explorer and the fuzzer and replayed from the
//! written scenario, and random walks whose failures proptest keeps.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::collections::BTreeSet;

use bits::Profile;
use explore::fuzz::{fuzz, FuzzConfig};
use explore::models::{helper_tokens, impersonation, HelperTokens};
use explore::search::{explore, Config, Level, Report};
use explore::{Model, WorldModel};
use proptest::prelude::*;

fn silent(_: Level) {}

fn small() -> WorldModel {
    helper_tokens(
        Profile::Win10_1607,
        None,
        HelperTokens {
            jobs: 1,
            get_job: false,
        },
    )
    .unwrap()
}

fn run(model: &WorldModel, depth: usize, threads: usize) -> Report {
    explore(
        model,
        &Config {
            depth,
            threads,
            shard: None,
        },
        &silent,
    )
}

/// A second, naive breadth-first walk through the public trait only: the
/// set of fingerprints reachable within `depth` operations.
fn naive_count<M: Model>(model: &M, depth: usize) -> (u64, u64) {
    let mut seen = BTreeSet::new();
    let mut frontier = model.init();
    for w in &frontier {
        seen.insert(model.fingerprint(w));
    }
    let mut transitions = 0;
    for _ in 0..depth {
        let mut next = Vec::new();
        for w in &frontier {
            for op in model.enabled_ops(w) {
                let mut after = w.clone();
                model.apply(&mut after, &op);
                transitions += 1;
                if seen.insert(model.fingerprint(&after)) {
                    next.push(after);
                }
            }
        }
        frontier = next;
    }
    (seen.len() as u64, transitions)
}

#[test]
fn the_small_helper_token_model_has_a_pinned_state_count() {
    let model = small();
    let report = run(&model, 3, 1);
    assert!(report.counterexample.is_none(), "{report:?}");
    // The count is pinned so that a change to the model's reachable state
    // space is noticed; it is cross-checked against a naive walk below.
    let (naive_states, naive_transitions) = naive_count(&model, 3);
    assert_eq!(report.states, naive_states);
    assert_eq!(report.transitions, naive_transitions);
    assert_eq!(report.states, PINNED_STATES);
    assert_eq!(report.per_level.iter().sum::<u64>(), report.states);
}

/// Unique states of `helper-tokens` (1 job, win10-1607) within 3 operations.
const PINNED_STATES: u64 = 385;

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let model = small();
    let one = run(&model, 3, 1);
    let two = run(&model, 3, 2);
    let four = run(&model, 3, 4);
    for r in [&two, &four] {
        assert_eq!(r.states, one.states);
        assert_eq!(r.transitions, one.transitions);
        assert_eq!(r.per_level, one.per_level);
        assert_eq!(r.sometimes, one.sometimes);
    }
}

#[test]
fn the_default_model_reaches_every_sometimes_property_without_violation() {
    // A helper-token transfer needs five operations after the setup:
    // impersonate bob, SetHelperToken, Resume, and two clock steps.
    for (profile, depth) in [(Profile::Vista, 2), (Profile::Win7, 5)] {
        let model = helper_tokens(profile, None, HelperTokens::default()).unwrap();
        let report = run(&model, depth, 2);
        assert!(report.counterexample.is_none(), "{profile}: {report:?}");
        assert!(!report.sometimes.is_empty());
        assert!(
            report.sometimes.iter().all(|s| s.depth.is_some()),
            "{profile}: {:?}",
            report.sometimes
        );
    }
}

#[test]
fn the_impersonation_model_sees_both_a_user_and_anonymous() {
    let model = impersonation(Profile::Win11, None).unwrap();
    let report = run(&model, 3, 1);
    assert!(report.passed(), "{report:?}");
}

fn planted() -> WorldModel {
    let m = bits::mutants::mutant("planted-helper-outlives-owner").unwrap();
    helper_tokens(Profile::Win10_1607, Some(m), HelperTokens::default()).unwrap()
}

/// Runs a written counterexample through the scenario runner.
fn replay(yaml: &str) -> Vec<runner::Run> {
    let s = runner::load("counterexample.yaml", yaml).unwrap();
    runner::run(&s, "counterexample.yaml", yaml, None).unwrap()
}

#[test]
fn explore_finds_the_planted_bug_and_the_scenario_replays_it() {
    let model = planted();
    let report = run(&model, 4, 2);
    let ce = report.counterexample.expect("the planted bug is found");
    assert_eq!(ce.violations[0].invariant, "INV-LOGOFF-DROPS-HELPER");
    // Shortest: a helper token must be set (SetHelperToken through the
    // setup's token-options pointer) before a logoff can fail to drop it.
    assert_eq!(ce.ops.len(), 2);
    let yaml = explore::render::counterexample_yaml(&model, &ce, &["test".to_string()]);
    assert!(yaml.contains("mutant: planted-helper-outlives-owner"));
    let runs = replay(&yaml);
    let failure = runs[0].failure().expect("the replay fails");
    assert_eq!(failure.violations[0].invariant, "INV-LOGOFF-DROPS-HELPER");
    assert_eq!(failure.number, runs[0].steps.len());
    // Without the mutant the same steps hold.
    let fixed = yaml.replace("mutant: planted-helper-outlives-owner\n", "");
    assert!(replay(&fixed).iter().all(runner::Run::passed));
}

#[test]
fn fuzz_finds_the_planted_bug_shrinks_it_and_the_scenario_replays_it() {
    let model = planted();
    let config = FuzzConfig {
        seed: 7,
        cases: 200,
        steps: 16,
        shard: None,
    };
    let report = fuzz(&model, &config);
    let ce = report.failure.expect("the planted bug is found");
    assert!(ce.ops.len() <= report.unshrunk_len);
    let yaml = explore::render::counterexample_yaml(&model, &ce, &["seed 7".to_string()]);
    let runs = replay(&yaml);
    let failure = runs[0].failure().expect("the replay fails");
    assert!(failure
        .violations
        .iter()
        .any(|v| v.invariant == ce.violations[0].invariant));
}

#[test]
fn a_fuzz_seed_gives_the_same_run_twice() {
    let model = small();
    let config = FuzzConfig {
        seed: 42,
        cases: 30,
        steps: 12,
        shard: None,
    };
    let a = fuzz(&model, &config);
    let b = fuzz(&model, &config);
    assert_eq!((a.cases, a.ops), (b.cases, b.ops));
    assert!(a.failure.is_none());
    assert_eq!(a.cases, 30);
}

#[test]
fn explore_shards_cover_the_first_level_exactly_once() {
    let model = small();
    let whole = run(&model, 1, 1);
    let mut transitions = 0;
    for k in 1..=3 {
        let r = explore(
            &model,
            &Config {
                depth: 1,
                threads: 1,
                shard: Some(explore::Shard { index: k, count: 3 }),
            },
            &silent,
        );
        transitions += r.transitions;
    }
    assert_eq!(transitions, whole.transitions);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Random walks in the helper-token model break no invariant under any
    /// profile; a failure is kept in this file's regressions and replayed.
    #[test]
    fn random_walks_hold_every_invariant(
        profile in prop::sample::select(Profile::ALL.to_vec()),
        choices in prop::collection::vec(any::<u32>(), 1..20),
    ) {
        let model = helper_tokens(profile, None, HelperTokens::default()).unwrap();
        let (_, violations) = explore::fuzz::walk(&model, &choices);
        prop_assert!(violations.is_empty(), "{violations:?}");
    }
}
