//! Breadth-first exhaustive search of a [`Model`] to a bounded depth.
//!
//! This module owns the search: levels expanded in parallel over
//! contiguous chunks of the frontier and merged in frontier order (so the
//! result does not depend on the number of threads), the visited set of
//! 64-bit fingerprints, the `sometimes` bookkeeping, sharding by
//! first-level branch, and the shortest counterexample. The frontier keeps
//! each state as its path of operation indices and rebuilds the world by
//! replay, so memory is a fingerprint per visited state plus a few bytes
//! per frontier state, never a world per state.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use bits::{Op, World};
use oracle::{Transition, Violation};
use serde::{Deserialize, Serialize};

use crate::model::Model;

/// A part of a run: the `index`-th (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which part, from 1.
    pub index: usize,
    /// How many parts.
    pub count: usize,
}

impl Shard {
    /// Parses `k/n` (1 ≤ k ≤ n).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("`{text}` is not a shard: expected k/n with 1 <= k <= n, e.g. 2/4");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = k.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether item `i` (from 0) belongs to this shard.
    pub fn keeps(&self, i: usize) -> bool {
        i % self.count == self.index - 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// How to search.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// The deepest level (number of operations from an initial world).
    pub depth: usize,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Explore only this shard of the first-level branches.
    pub shard: Option<Shard>,
}

/// One finished level, for progress displays.
#[derive(Debug, Clone, Copy)]
pub struct Level {
    /// Its depth.
    pub depth: usize,
    /// Unique states so far.
    pub states: u64,
    /// Transitions so far.
    pub transitions: u64,
}

/// A shortest sequence of operations from an initial world to a broken
/// invariant.
#[derive(Debug, Clone)]
pub struct Counterexample {
    /// Which initial world (index into `Model::init`).
    pub init: usize,
    /// The operations, in order; the last one breaks the invariants.
    pub ops: Vec<Op>,
    /// What the last operation broke.
    pub violations: Vec<Violation>,
}

/// Whether and where a `sometimes` property was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reached {
    /// The property's name.
    pub name: String,
    /// What it asks for.
    pub statement: String,
    /// The shallowest depth of a transition that reached it.
    pub depth: Option<usize>,
}

/// What a search found.
#[derive(Debug, Clone)]
pub struct Report {
    /// Unique states visited (initial worlds included).
    pub states: u64,
    /// Transitions taken (every enabled operation of every state expanded).
    pub transitions: u64,
    /// The deepest level that held a new state.
    pub depth_reached: usize,
    /// New states per level, from level 0.
    pub per_level: Vec<u64>,
    /// The `sometimes` properties.
    pub sometimes: Vec<Reached>,
    /// The first counterexample, if an invariant broke (the search stops
    /// at the level where it happened).
    pub counterexample: Option<Counterexample>,
    /// Bytes the visited set held at the end.
    pub visited_bytes: u64,
    /// The most bytes a level's frontier of paths held.
    pub frontier_bytes: u64,
}

impl Report {
    /// No invariant broke and every `sometimes` property was reached.
    pub fn passed(&self) -> bool {
        self.counterexample.is_none() && self.sometimes.iter().all(|s| s.depth.is_some())
    }
}

/// Fingerprints are already uniform: the visited set uses them as they are.
#[derive(Debug, Default, Clone, Copy)]
pub struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The visited set.
pub type Visited = HashSet<u64, BuildHasherDefault<Identity>>;

/// What one chunk of a level produced.
#[derive(Default)]
struct ChunkResult {
    /// New children: fingerprint and path (operation indices from the
    /// initial world).
    children: Vec<(u64, Path)>,
    /// The first broken transition: the path to it and what broke.
    broken: Option<(Path, Vec<Violation>)>,
    /// Sometimes properties met (by index).
    met: Vec<usize>,
    /// Transitions taken.
    transitions: u64,
}

/// A state as the frontier keeps it: the initial world's index, then the
/// index of each operation among those enabled, from the initial world.
/// The world is rebuilt by replaying it, which costs a few `apply`s per
/// state and saves keeping whole worlds in memory.
pub type Path = Box<[u16]>;

/// The world at the end of `path`, and the operations it took.
fn rebuild<M: Model>(model: &M, inits: &[World], path: &[u16]) -> Option<(World, Vec<Op>)> {
    let (&first, rest) = path.split_first()?;
    let mut world = inits.get(usize::from(first))?.clone();
    let mut ops = Vec::with_capacity(rest.len());
    for &oi in rest {
        let op = model.enabled_ops(&world).into_iter().nth(usize::from(oi))?;
        model.apply(&mut world, &op);
        ops.push(op);
    }
    Some((world, ops))
}

/// The worlds along the path replayed last, so that the next path (a
/// sibling or a cousin in frontier order) replays only from the deepest
/// prefix they share: `worlds[i]` is the world after `path[..=i]`.
#[derive(Default)]
struct Replay {
    path: Vec<u16>,
    worlds: Vec<World>,
}

impl Replay {
    /// The world at the end of `path`.
    fn world<M: Model>(&mut self, model: &M, inits: &[World], path: &[u16]) -> Option<&World> {
        let shared = self
            .path
            .iter()
            .zip(path)
            .take_while(|(a, b)| a == b)
            .count();
        self.path.truncate(shared);
        self.worlds.truncate(shared);
        for (i, &step) in path.iter().enumerate().skip(shared) {
            let world = match self.worlds.last() {
                None => inits.get(usize::from(step))?.clone(),
                Some(parent) => {
                    let mut world = parent.clone();
                    let op = model
                        .enabled_ops(parent)
                        .into_iter()
                        .nth(usize::from(step))?;
                    model.apply(&mut world, &op);
                    world
                }
            };
            debug_assert_eq!(self.worlds.len(), i);
            self.path.push(step);
            self.worlds.push(world);
        }
        self.worlds.last()
    }
}

/// Expands `frontier[range]` one level.
fn expand<M: Model>(
    model: &M,
    inits: &[World],
    frontier: &[Path],
    range: std::ops::Range<usize>,
    visited: &Visited,
    shard: Option<Shard>,
    sometimes: &[crate::model::Sometimes],
) -> ChunkResult {
    let reference = model.reference();
    let mut out = ChunkResult::default();
    let mut local: Visited = Visited::default();
    let mut replay = Replay::default();
    for path in &frontier[range] {
        let Some(before) = replay.world(model, inits, path) else {
            continue;
        };
        let ops = model.enabled_ops(before);
        for (oi, op) in ops.into_iter().enumerate() {
            if let Some(s) = shard {
                if !s.keeps(oi) {
                    continue;
                }
            }
            let Ok(index) = u16::try_from(oi) else {
                break;
            };
            let mut after = before.clone();
            let outcome = model.apply(&mut after, &op);
            out.transitions += 1;
            let t = Transition {
                before,
                op: &op,
                outcome: &outcome,
                after: &after,
                rules: &reference,
            };
            for (i, s) in sometimes.iter().enumerate() {
                if !out.met.contains(&i) && (s.check)(&t) {
                    out.met.push(i);
                }
            }
            let child = || -> Path { path.iter().copied().chain([index]).collect() };
            if out.broken.is_none() {
                let v = model.violations(before, &op, &outcome, &after);
                if !v.is_empty() {
                    out.broken = Some((child(), v));
                }
            }
            let fp = model.fingerprint(&after);
            if !visited.contains(&fp) && local.insert(fp) {
                out.children.push((fp, child()));
            }
        }
    }
    out
}

/// Runs the search. `progress` is told about each finished level.
pub fn explore<M: Model>(model: &M, config: &Config, progress: &(dyn Fn(Level) + Sync)) -> Report {
    let sometimes = model.sometimes();
    let mut reached: Vec<Option<usize>> = vec![None; sometimes.len()];
    let mut visited = Visited::default();
    let inits = model.init();
    let mut frontier: Vec<Path> = Vec::new();
    for (i, w) in inits.iter().enumerate() {
        let Ok(i) = u16::try_from(i) else { break };
        if visited.insert(model.fingerprint(w)) {
            frontier.push(Box::new([i]));
        }
    }
    let mut per_level = vec![frontier.len() as u64];
    let mut transitions = 0u64;
    let mut depth_reached = 0;
    let mut broken: Option<(Path, Vec<Violation>)> = None;
    let mut frontier_bytes = 0u64;
    let threads = config.threads.max(1);
    for depth in 1..=config.depth {
        if frontier.is_empty() {
            break;
        }
        let shard = if depth == 1 { config.shard } else { None };
        let chunks = (threads * 8).min(frontier.len()).max(1);
        let size = frontier.len().div_ceil(chunks);
        let ranges: Vec<_> = (0..chunks)
            .map(|c| c * size..((c + 1) * size).min(frontier.len()))
            .filter(|r| !r.is_empty())
            .collect();
        let results: Vec<Mutex<Option<ChunkResult>>> =
            ranges.iter().map(|_| Mutex::new(None)).collect();
        let next_chunk = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..threads.min(ranges.len()) {
                scope.spawn(|| loop {
                    let c = next_chunk.fetch_add(1, Ordering::Relaxed);
                    let Some(range) = ranges.get(c) else { break };
                    let r = expand(
                        model,
                        &inits,
                        &frontier,
                        range.clone(),
                        &visited,
                        shard,
                        &sometimes,
                    );
                    if let Ok(mut slot) = results[c].lock() {
                        *slot = Some(r);
                    }
                });
            }
        });
        let mut next = Vec::new();
        for slot in results {
            let Some(r) = slot.into_inner().ok().flatten() else {
                continue;
            };
            transitions += r.transitions;
            for i in r.met {
                if reached[i].is_none() {
                    reached[i] = Some(depth);
                }
            }
            if broken.is_none() {
                broken = r.broken;
            }
            for (fp, path) in r.children {
                if visited.insert(fp) {
                    next.push(path);
                }
            }
        }
        if !next.is_empty() {
            depth_reached = depth;
        }
        per_level.push(next.len() as u64);
        frontier_bytes = frontier_bytes.max(
            (next.capacity() * std::mem::size_of::<Path>() + next.len() * (depth + 1) * 2) as u64,
        );
        progress(Level {
            depth,
            states: visited.len() as u64,
            transitions,
        });
        if broken.is_some() {
            break;
        }
        frontier = next;
    }
    let counterexample = broken.and_then(|(path, violations)| {
        let (&init, _) = path.split_first()?;
        let (_, ops) = rebuild(model, &inits, &path)?;
        Some(Counterexample {
            init: usize::from(init),
            ops,
            violations,
        })
    });
    Report {
        states: visited.len() as u64,
        transitions,
        depth_reached,
        per_level,
        sometimes: sometimes
            .iter()
            .zip(&reached)
            .map(|(s, d)| Reached {
                name: s.name.to_string(),
                statement: s.statement.to_string(),
                depth: *d,
            })
            .collect(),
        counterexample,
        visited_bytes: (visited.capacity() * (std::mem::size_of::<u64>() + 1)) as u64,
        frontier_bytes,
    }
}

/// The world after `ops` from initial world `init`.
pub fn replay<M: Model>(model: &M, init: usize, ops: &[Op]) -> Option<World> {
    let mut world = model.init().into_iter().nth(init)?;
    for op in ops {
        model.apply(&mut world, op);
    }
    Some(world)
}
