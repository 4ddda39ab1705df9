//! Random walks over a [`Model`], driven and shrunk by proptest.
//!
//! A case is a list of choices; each choice picks one of the operations
//! enabled in the current world (its index modulo their number), so every
//! case is a legal run of the model and shrinking a case (fewer choices,
//! smaller ones) still gives a legal run. Every invariant is checked after
//! every operation. The random source is proptest's ChaCha generator
//! seeded from `--seed`, so a seed always gives the same cases.

use std::cell::Cell;

use bits::Op;
use oracle::Violation;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

use crate::model::Model;
use crate::search::{Counterexample, Shard};

/// How to fuzz.
#[derive(Debug, Clone, Copy)]
pub struct FuzzConfig {
    /// The seed.
    pub seed: u64,
    /// Random cases to run.
    pub cases: u32,
    /// The most operations in one case.
    pub steps: usize,
    /// Run only this shard (a disjoint seed range of the same size).
    pub shard: Option<Shard>,
}

/// What a fuzz run found.
#[derive(Debug, Clone)]
pub struct FuzzReport {
    /// The seed the cases were drawn from (after sharding).
    pub seed: u64,
    /// Cases run up to and including the first failure (shrinking runs
    /// not counted).
    pub cases: u32,
    /// Operations applied, shrinking included.
    pub ops: u64,
    /// The shrunk failure, if a case broke an invariant.
    pub failure: Option<Counterexample>,
    /// How many operations the failing case had before shrinking.
    pub unshrunk_len: usize,
}

/// The seed a shard runs: shard k of n uses `seed * n + (k - 1)`, so the
/// shards of one seed never repeat each other's cases.
pub fn shard_seed(seed: u64, shard: Option<Shard>) -> u64 {
    match shard {
        Some(s) => seed
            .wrapping_mul(s.count as u64)
            .wrapping_add(s.index as u64 - 1),
        None => seed,
    }
}

/// Walks `choices` from the model's first initial world; returns the
/// operations applied and, if one broke invariants, what it broke.
pub fn walk<M: Model>(model: &M, choices: &[u32]) -> (Vec<Op>, Vec<Violation>) {
    let mut ops = Vec::new();
    let Some(mut world) = model.init().into_iter().next() else {
        return (ops, Vec::new());
    };
    for &c in choices {
        let enabled = model.enabled_ops(&world);
        if enabled.is_empty() {
            break;
        }
        let op = enabled[c as usize % enabled.len()].clone();
        let before = world.clone();
        let outcome = model.apply(&mut world, &op);
        let v = model.violations(&before, &op, &outcome, &world);
        ops.push(op);
        if !v.is_empty() {
            return (ops, v);
        }
    }
    (ops, Vec::new())
}

/// Runs the cases.
pub fn fuzz<M: Model>(model: &M, config: &FuzzConfig) -> FuzzReport {
    let seed = shard_seed(config.seed, config.shard);
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(b"bitsimfz");
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &key);
    let proptest_config = Config {
        cases: config.cases,
        max_shrink_iters: 4096,
        failure_persistence: None,
        source_file: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(proptest_config, rng);
    let ops_applied = Cell::new(0u64);
    let cases_run = Cell::new(0u32);
    let longest = Cell::new(0usize);
    let first: std::cell::RefCell<Vec<u32>> = std::cell::RefCell::new(Vec::new());
    let strategy = proptest::collection::vec(any::<u32>(), 1..=config.steps.max(1));
    let result = runner.run(&strategy, |choices| {
        let (ops, violations) = walk(model, &choices);
        ops_applied.set(ops_applied.get() + ops.len() as u64);
        let shrinking = longest.get() > 0;
        if !shrinking {
            cases_run.set(cases_run.get() + 1);
        }
        match violations.first() {
            None => Ok(()),
            Some(v) => {
                if !shrinking {
                    longest.set(ops.len());
                    first.replace(choices.clone());
                }
                Err(TestCaseError::fail(v.invariant.to_string()))
            }
        }
    });
    let failure = match result {
        Err(TestError::Fail(_, choices)) => {
            // Proptest's minimum has the fewest choices; the first failing
            // case may still break an invariant in fewer operations.
            let shrunk = walk(model, &choices);
            let original = walk(model, &first.borrow());
            let (ops, violations) = if !original.1.is_empty() && original.0.len() < shrunk.0.len() {
                original
            } else {
                shrunk
            };
            (!violations.is_empty()).then_some(Counterexample {
                init: 0,
                ops,
                violations,
            })
        }
        _ => None,
    };
    FuzzReport {
        seed,
        cases: cases_run.get(),
        ops: ops_applied.get(),
        failure,
        unshrunk_len: longest.get(),
    }
}

/// What a swarm found: each member's report, in member order, and which
/// member failed first.
#[derive(Debug, Clone)]
pub struct SwarmReport {
    /// Member `k` (from 1) ran shard `k/n` of the configuration.
    pub members: Vec<FuzzReport>,
}

impl SwarmReport {
    /// The lowest-numbered member that found a failure, with its shard.
    pub fn first_failure(&self) -> Option<(Shard, &FuzzReport)> {
        let count = self.members.len();
        self.members.iter().enumerate().find_map(|(i, r)| {
            r.failure.as_ref().map(|_| {
                (
                    Shard {
                        index: i + 1,
                        count,
                    },
                    r,
                )
            })
        })
    }

    /// Cases run by every member together.
    pub fn cases(&self) -> u64 {
        self.members.iter().map(|r| u64::from(r.cases)).sum()
    }

    /// Operations applied by every member together.
    pub fn ops(&self) -> u64 {
        self.members.iter().map(|r| r.ops).sum()
    }
}

/// A swarm: `members` independent fuzz runs, member `k` being shard
/// `k/members` of `config` (its own seed, so no two members repeat each
/// other's cases), run on up to `threads` threads. The reports are the
/// ones the members would give run one by one with `--shard`, so the
/// result does not depend on `threads`.
pub fn swarm<M: Model>(
    model: &M,
    config: &FuzzConfig,
    members: usize,
    threads: usize,
) -> SwarmReport {
    let members = members.max(1);
    let slots: Vec<std::sync::Mutex<Option<FuzzReport>>> =
        (0..members).map(|_| std::sync::Mutex::new(None)).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, members) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(slot) = slots.get(i) else { break };
                let member = FuzzConfig {
                    shard: Some(Shard {
                        index: i + 1,
                        count: members,
                    }),
                    ..*config
                };
                let report = fuzz(model, &member);
                if let Ok(mut s) = slot.lock() {
                    *s = Some(report);
                }
            });
        }
    });
    SwarmReport {
        members: slots
            .into_iter()
            .filter_map(|s| s.into_inner().ok().flatten())
            .collect(),
    }
}
