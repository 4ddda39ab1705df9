//! State graphs drawn from a [`Model`]: the BITS job state machine as the
//! model's transitions exercise it, and the explored state graph of a
//! small model, as petgraph graphs printed in DOT or Mermaid.
//!
//! Both are computed by walking the model breadth-first (no edge is typed
//! in): an edge of the job state machine is a `StateChanged` event some
//! reachable transition produced, labelled with the operations that
//! caused it.

use std::collections::{BTreeMap, BTreeSet};

use bits::{BitsEvent, Call, Op, World};
use petgraph::graphmap::DiGraphMap;

use crate::model::Model;

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
            s.push_str(&format!("  n{i} : {}\n", n.replace(':', " ")));
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
        Op::Advance { .. } => "advance".to_string(),
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

/// The job state machine the model exercises within `depth` operations:
/// an edge per (from, to) job-state change, labelled with the operations
/// that caused it.
pub fn job_states<M: Model>(model: &M, depth: usize) -> Graph {
    let mut g = Graph::default();
    walk(model, depth, |t| {
        for e in t.events {
            if let BitsEvent::StateChanged { from, to, .. } = e {
                g.edge(from.name(), to.name(), op_label(t.op));
            }
        }
    });
    g
}

/// A world summarised for a node label: each job's state and whether it
/// holds a helper token.
fn summary(w: &World) -> String {
    let jobs: Vec<String> = w
        .bits
        .jobs
        .values()
        .map(|j| {
            let state = j
                .state
                .name()
                .trim_start_matches("BG_JOB_STATE_")
                .to_string();
            if j.helper.is_some() {
                format!("{state}+helper")
            } else {
                state
            }
        })
        .collect();
    jobs.join(" ")
}

/// The explored state graph within `depth` operations: a node per unique
/// state (its fingerprint and a summary), an edge per transition that
/// changes the state.
pub fn states<M: Model>(model: &M, depth: usize) -> Graph {
    let mut g = Graph::default();
    let mut names: BTreeMap<u64, String> = BTreeMap::new();
    walk(model, depth, |t| {
        if t.from == t.to {
            return;
        }
        let from = names
            .entry(t.from)
            .or_insert_with(|| format!("{:016x} {}", t.from, summary(t.before)))
            .clone();
        let to = names
            .entry(t.to)
            .or_insert_with(|| format!("{:016x} {}", t.to, summary(t.after)))
            .clone();
        g.edge(&from, &to, op_label(t.op));
    });
    g
}
