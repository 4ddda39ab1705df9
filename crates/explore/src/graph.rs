//! State graphs drawn from the engine: the BITS job state machine, and
//! the explored state graph of a small model, as petgraph graphs printed
//! in DOT or Mermaid.
//!
//! Both are computed by walking a model breadth-first (no edge is typed
//! in): an edge of the job state machine is a `StateChanged` event some
//! reachable transition produced, labelled with the operation that caused
//! it (and the error code that came with it). [`JobMachine`] is the model
//! that reaches every state: seeds in which a job can meet each of the
//! engine's causes (a client's method call, the clock, the network and
//! the bandwidth policy, a missing remote file, the owner's logoff with
//! and without a helper token, the end of a terminal session, the
//! inactivity timeout), and every job method that changes a state.

use std::collections::{BTreeMap, BTreeSet};

use bits::mutants::Mutant;
use bits::world::Target;
use bits::{BitsEvent, Call, Interface, JobState, Method, Op, Outcome, Profile, Rules, World};
use petgraph::graphmap::DiGraphMap;
use runner::run::Bound;
use simos::ThreadId;

use crate::model::{Model, ModelError};

/// A directed graph with string nodes and a set of labels per edge.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// Node names, in order of discovery (the index is the node id).
    pub nodes: Vec<String>,
    /// The graph over node indices; each edge carries its labels.
    pub graph: DiGraphMap<usize, ()>,
    /// Edge labels.
    pub labels: BTreeMap<(usize, usize), BTreeSet<String>>,
}

impl Graph {
    fn node(&mut self, name: &str) -> usize {
        match self.nodes.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                self.nodes.push(name.to_string());
                let i = self.nodes.len() - 1;
                self.graph.add_node(i);
                i
            }
        }
    }

    fn edge(&mut self, from: &str, to: &str, label: String) {
        let a = self.node(from);
        let b = self.node(to);
        self.graph.add_edge(a, b, ());
        self.labels.entry((a, b)).or_default().insert(label);
    }

    /// DOT (Graphviz).
    pub fn dot(&self, title: &str) -> String {
        let mut s = format!("digraph \"{title}\" {{\n  rankdir=LR;\n");
        for (i, n) in self.nodes.iter().enumerate() {
            s.push_str(&format!("  n{i} [label=\"{}\"];\n", n.replace('"', "'")));
        }
        for ((a, b), labels) in &self.labels {
            let l: Vec<&str> = labels.iter().map(String::as_str).collect();
            s.push_str(&format!("  n{a} -> n{b} [label=\"{}\"];\n", l.join("\\n")));
        }
        s.push_str("}\n");
        s
    }

    /// Mermaid `stateDiagram-v2` (nodes are numbered; names in notes).
    pub fn mermaid(&self) -> String {
        let mut s = String::from("stateDiagram-v2\n");
        for (i, n) in self.nodes.iter().enumerate() {
            s.push_str(&format!(
                "  n{i} : {}\n",
                n.replace(':', " ").replace("\\n", ", ")
            ));
        }
        for ((a, b), labels) in &self.labels {
            let l: Vec<&str> = labels.iter().map(String::as_str).collect();
            s.push_str(&format!(
                "  n{a} --> n{b} : {}\n",
                l.join(", ").replace(':', " ")
            ));
        }
        s
    }
}

/// The first word of a value's debug form (its variant name).
fn variant<T: std::fmt::Debug>(value: &T) -> String {
    let text = format!("{value:?}");
    text.split([' ', '{', '('])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// A short name for an operation's kind.
pub fn op_label(op: &Op) -> String {
    match op {
        Op::Bits {
            call: Call::Method { method, .. },
            ..
        } => variant(method),
        Op::Bits {
            call: Call::QueryInterface { interface, .. },
            ..
        } => format!("QueryInterface({})", interface.name()),
        Op::Bits { call, .. } => variant(call),
        Op::Host { op } => variant(op),
        Op::Advance { ticks } if *ticks >= INACTIVITY => "JobInactivityTimeout passes".to_string(),
        Op::Advance { .. } => "advance".to_string(),
        Op::Network { up: true } => "network up".to_string(),
        Op::Network { up: false } => "network down".to_string(),
        Op::BandwidthPolicy { blocked: true } => "bandwidth blocked".to_string(),
        Op::BandwidthPolicy { blocked: false } => "bandwidth unblocked".to_string(),
        other => variant(other),
    }
}

/// Walks the model breadth-first to `depth`, calling `edge` for every
/// transition (before, op, outcome events, after, their fingerprints).
fn walk<M: Model>(model: &M, depth: usize, mut edge: impl FnMut(&Transit<'_>)) {
    let mut seen = BTreeSet::new();
    let mut frontier: Vec<World> = Vec::new();
    for w in model.init() {
        if seen.insert(model.fingerprint(&w)) {
            frontier.push(w);
        }
    }
    for _ in 0..depth {
        let mut next = Vec::new();
        for before in &frontier {
            let from = model.fingerprint(before);
            for op in model.enabled_ops(before) {
                let mut after = before.clone();
                let out = model.apply(&mut after, &op);
                let to = model.fingerprint(&after);
                edge(&Transit {
                    from,
                    to,
                    before,
                    op: &op,
                    events: &out.events,
                    after: &after,
                });
                if seen.insert(to) {
                    next.push(after);
                }
            }
        }
        frontier = next;
    }
}

/// One transition seen by [`walk`].
struct Transit<'a> {
    from: u64,
    to: u64,
    before: &'a World,
    op: &'a Op,
    events: &'a [BitsEvent],
    after: &'a World,
}

/// A job state as a node label: `QUEUED (0)`.
pub fn state_label(s: JobState) -> String {
    format!(
        "{} ({})",
        s.name().trim_start_matches("BG_JOB_STATE_"),
        s.value()
    )
}

/// The job state machine the model exercises within `depth` operations:
/// an edge per (from, to) job-state change, labelled with the operations
/// that caused it and the error code that came with it.
pub fn job_states<M: Model>(model: &M, depth: usize) -> Graph {
    let mut g = Graph::default();
    walk(model, depth, |t| {
        for e in t.events {
            if let BitsEvent::StateChanged { from, to, code, .. } = e {
                let label = match code {
                    Some(c) => format!("{} ({})", op_label(t.op), c.name()),
                    None => op_label(t.op),
                };
                g.edge(&state_label(*from), &state_label(*to), label);
            }
        }
    });
    g
}

/// How deep [`job_states`] walks [`JobMachine`] by default: deep enough
/// for a download to reach ACKNOWLEDGED and a transient error to time
/// out into ERROR.
pub const JOB_MACHINE_DEPTH: usize = 6;

/// Seconds in `JobInactivityTimeout`'s default, 90 days: an `advance` this
/// long is labelled as the timeout passing.
const INACTIVITY: u64 = 90 * 24 * 3600;

/// The seeds of [`JobMachine`], each a setup in the scenario format: a
/// name and the text.
pub const JOB_MACHINE_SEEDS: &[(&str, &str)] = &[
    (
        "download",
        r#"name: job-machine-download
about: bob's download of a file the server has, retried after the shortest delay BITS allows (5 seconds).
steps:
  - logon: { user: bob, session: 2 }
  - CreateJob: { thread: bob, as: job }
  - AddFile: { thread: bob, job: job, remote: 'http://web/file.bin', local: 'C:\Public\bob.bin' }
  - SetMinimumRetryDelay: { thread: bob, job: job, value: 5 }
"#,
    ),
    (
        "no-progress",
        r#"name: job-machine-no-progress
about: alice's download that gives up after 5 seconds without progress, before its first retry.
steps:
  - logon: { user: alice, session: 1 }
  - CreateJob: { thread: alice, as: job }
  - AddFile: { thread: alice, job: job, remote: 'http://web/file.bin', local: 'C:\Public\alice.bin' }
  - SetMinimumRetryDelay: { thread: alice, job: job, value: 5 }
  - SetNoProgressTimeout: { thread: alice, job: job, value: 5 }
"#,
    ),
    (
        "missing",
        r#"name: job-machine-missing
about: bob's download of a file the server does not have.
steps:
  - logon: { user: bob, session: 2 }
  - CreateJob: { thread: bob, as: job }
  - AddFile: { thread: bob, job: job, remote: 'http://web/missing.bin', local: 'C:\Public\bob.bin' }
"#,
    ),
    (
        "helper",
        r#"name: job-machine-helper
about: an elevated administrator's job holding bob's helper token for the network.
steps:
  - logon: { user: admin, session: 1 }
  - run_as_admin: { thread: admin, as: elevated }
  - CoInitializeSecurity: { thread: elevated, level: impersonation, cloaking: dynamic }
  - CreateJob: { thread: elevated, as: job }
  - AddFile: { thread: elevated, job: job, remote: 'http://web/file.bin', local: 'C:\Public\admin.bin' }
  - QueryInterface: { thread: elevated, job: job, interface: IBitsTokenOptions, as: options }
  - LogonUser: { thread: elevated, user: bob, type: interactive, as: bob_token }
  - ImpersonateLoggedOnUser: { thread: elevated, token: bob_token }
  - SetHelperToken: { thread: elevated, job: options }
  - RevertToSelf: { thread: elevated }
  - SetHelperTokenFlags: { thread: elevated, job: options, value: BG_TOKEN_NETWORK }
"#,
    ),
];

/// The job methods that change a job's state, called through every job
/// pointer.
const STATE_METHODS: [Method; 4] = [
    Method::Resume,
    Method::Suspend,
    Method::Cancel,
    Method::Complete,
];

/// The model behind `bitsim graph job-states`: from each seed, the job
/// methods that change a state (Resume, Suspend, Cancel, Complete)
/// through every job pointer, and what the environment does: the clock
/// advancing, the network going down and coming back, the bandwidth
/// policy blocking and unblocking, the owner logging off, the owner's
/// terminal session ending, and `JobInactivityTimeout` passing while the
/// service has nothing else to do.
#[derive(Debug, Clone)]
pub struct JobMachine {
    profile: Profile,
    reference: Rules,
    /// The seeds' worlds, logs cleared.
    seeds: Vec<World>,
    /// The threads the seeds named: their Winlogon logons may end.
    owners: BTreeSet<ThreadId>,
}

/// The job state machine's model under `profile` (and `mutant`).
pub fn job_machine(
    profile: Profile,
    mutant: Option<&'static Mutant>,
) -> Result<JobMachine, ModelError> {
    let mut seeds = Vec::new();
    let mut owners = BTreeSet::new();
    for (name, text) in JOB_MACHINE_SEEDS {
        // IBitsTokenOptions does not exist before Windows 7.
        if *name == "helper" && !profile.rules().token_options {
            continue;
        }
        let file = format!("job-machine-{name}.yaml");
        let setup = runner::load(&file, text).map_err(|e| ModelError(e.to_string()))?;
        let prepared = runner::run::prepare(&setup, text, profile, mutant).map_err(ModelError)?;
        owners.extend(prepared.names.values().filter_map(|b| match b {
            Bound::Thread(t) => Some(*t),
            _ => None,
        }));
        let mut world = prepared.world;
        world.bits.log.clear();
        world.host.log.clear();
        seeds.push(world);
    }
    Ok(JobMachine {
        profile,
        reference: profile.rules(),
        seeds,
        owners,
    })
}

impl JobMachine {
    /// The profile.
    pub fn profile(&self) -> Profile {
        self.profile
    }
}

impl Model for JobMachine {
    fn name(&self) -> &str {
        "job-states"
    }

    fn init(&self) -> Vec<World> {
        self.seeds.clone()
    }

    fn enabled_ops(&self, world: &World) -> Vec<Op> {
        let mut ops = Vec::new();
        for p in world.bits.pointers.values() {
            if p.interface != Interface::Job || !matches!(p.target, Target::Job { .. }) {
                continue;
            }
            let Some(thread) = world
                .host
                .threads
                .values()
                .find(|t| t.process == p.process && t.impersonation.is_none())
                .map(|t| t.id)
            else {
                continue;
            };
            if !world.host.process_of(thread).is_some_and(|pr| pr.alive) {
                continue;
            }
            for method in STATE_METHODS {
                ops.push(Op::Bits {
                    thread,
                    call: Call::Method {
                        pointer: p.id,
                        method,
                    },
                });
            }
        }
        ops.push(Op::Advance { ticks: 3 });
        ops.push(Op::Network {
            up: !world.bits.network_up,
        });
        ops.push(Op::BandwidthPolicy {
            blocked: !world.bits.policy.bandwidth_blocked,
        });
        for &thread in &self.owners {
            let logon = world
                .host
                .process_of(thread)
                .and_then(|p| world.host.token(p.primary_token))
                .and_then(|t| world.host.logons.get(&t.logon));
            if let Some(l) = logon.filter(|l| l.active && l.winlogon) {
                ops.push(Op::Host {
                    op: simos::Op::Logoff { logon: l.id },
                });
                let key = (world.bits.machine.clone(), l.ts_session);
                if world
                    .host
                    .terminal_sessions
                    .get(&key)
                    .is_some_and(|s| s.active)
                {
                    ops.push(Op::Host {
                        op: simos::Op::EndTerminalSession {
                            machine: world.bits.machine.clone(),
                            session: l.ts_session,
                        },
                    });
                }
            }
        }
        // The inactivity timeout, only while no job is waiting for the
        // network or on it: the engine then jumps from deadline to
        // deadline instead of stepping a second at a time.
        let idle = world.bits.jobs.values().all(|j| {
            !matches!(
                j.state,
                JobState::Queued
                    | JobState::Connecting
                    | JobState::Transferring
                    | JobState::TransientError
            )
        });
        if idle {
            ops.push(Op::Advance {
                ticks: world.bits.policy.job_inactivity_timeout,
            });
        }
        ops
    }

    fn apply(&self, world: &mut World, op: &Op) -> Outcome {
        let out = world.apply(op);
        world.bits.log.clear();
        world.host.log.clear();
        out
    }

    fn reference(&self) -> Rules {
        self.reference
    }
}

/// The facts of a world a state label shows, one per line: each job's
/// state, helper token and flags; the network and the bandwidth policy
/// when not normal; who has logged off; which threads impersonate.
fn facts(w: &World) -> Vec<String> {
    let mut out = Vec::new();
    for j in w.bits.jobs.values() {
        let mut f = format!(
            "job {} {}",
            j.id.0,
            j.state.name().trim_start_matches("BG_JOB_STATE_")
        );
        if let Some(h) = &j.helper {
            f.push_str(&format!(" with helper {}", account(w, &h.sid)));
        }
        if j.helper_flags != 0 {
            f.push_str(&format!(" flags {}", j.helper_flags));
        }
        if let Some(e) = &j.error {
            f.push_str(&format!(" ({})", e.code.name()));
        }
        out.push(f);
    }
    if !w.bits.network_up {
        out.push("network down".to_string());
    }
    if w.bits.policy.bandwidth_blocked {
        out.push("bandwidth blocked".to_string());
    }
    for l in w.host.logons.values() {
        if l.winlogon && !l.active {
            out.push(format!("{} logged off", l.account));
        }
    }
    for t in w.host.threads.values() {
        if let Some(tok) = t.impersonation {
            if let Some(o) = w.host.token(tok) {
                out.push(format!(
                    "thread {} impersonates {}",
                    t.id.0,
                    account(w, &o.token.user.sid)
                ));
            }
        }
    }
    out
}

fn account(w: &World, sid: &winsec::Sid) -> String {
    runner::report::account_name(&w.host, &w.bits.machine, sid)
}

/// What differs between two states' facts: `- gone` and `+ new` lines.
pub fn difference(before: &[String], after: &[String]) -> Vec<String> {
    before
        .iter()
        .filter(|f| !after.contains(f))
        .map(|f| format!("- {f}"))
        .chain(
            after
                .iter()
                .filter(|f| !before.contains(f))
                .map(|f| format!("+ {f}")),
        )
        .collect()
}

/// The explored state graph within `depth` operations: a node per unique
/// state, labelled with its facts (jobs, network, logoffs,
/// impersonation), an edge per transition that changes the state,
/// labelled with the operation and what it changed. States with the same
/// facts are told apart by a `#n` suffix.
pub fn states<M: Model>(model: &M, depth: usize) -> Graph {
    let mut g = Graph::default();
    let mut names: BTreeMap<u64, String> = BTreeMap::new();
    let mut taken: BTreeMap<String, usize> = BTreeMap::new();
    let mut name = |fp: u64, w: &World| -> String {
        names
            .entry(fp)
            .or_insert_with(|| {
                let f = facts(w);
                let base = if f.is_empty() {
                    "no job".to_string()
                } else {
                    f.join("\\n")
                };
                let n = taken.entry(base.clone()).or_insert(0);
                *n += 1;
                if *n == 1 {
                    base
                } else {
                    format!("{base} #{n}")
                }
            })
            .clone()
    };
    walk(model, depth, |t| {
        if t.from == t.to {
            return;
        }
        let from = name(t.from, t.before);
        let to = name(t.to, t.after);
        let changed = difference(&facts(t.before), &facts(t.after));
        let label = if changed.is_empty() {
            op_label(t.op)
        } else {
            format!("{}: {}", op_label(t.op), changed.join("; "))
        };
        g.edge(&from, &to, label);
    });
    g
}
