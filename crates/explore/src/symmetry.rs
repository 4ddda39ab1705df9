//! Symmetry reduction: one fingerprint for the states that differ only
//! by which of a group of interchangeable users did what.
//!
//! A universe may declare groups of users it treats alike
//! (`explore.symmetric`). Two worlds then share a fingerprint when a
//! permutation of the users of each group, applied to everything that
//! belongs to them, maps one onto the other. This module owns that
//! canonical form and the checks, made once when the model is built,
//! that the declared users really are interchangeable.
//!
//! How the canonical form is made:
//!
//! 1. The world is serialised (through its `Serialize`, which covers what
//!    its `Hash` covers but for the transient fields of an operation in
//!    flight and the stored passwords, added here by hand) into a small
//!    value tree. Typed ids (`TokenId`, `LogonId`, `ProcessId`,
//!    `ThreadId`, `JobId`, `PointerId`, and the raw ids a `Token` keeps)
//!    are recognised by their type or field name; terminal-services
//!    session numbers by their field name; the declared users' SIDs,
//!    names (also inside paths and account names) and logon SIDs by
//!    their text.
//! 2. Every id gets an owner (the declared user whose SID the thing it
//!    names carries, or nobody) and a rank among the ids of its kind and
//!    owner, so that the order in which different users' ids were
//!    allocated does not matter.
//! 3. For each permutation, users, their sessions and the owners of ids
//!    are renamed, maps are sorted again, and the tree is hashed with the
//!    crate's fixed-key hasher. The fingerprint is the least of these.
//!
//! Only the fingerprint is canonical: the search keeps the worlds it
//! reached, so counterexamples replay as they were found.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::hash::Hasher;
use std::sync::{Arc, RwLock};

use bits::World;
use serde::ser::{self, Serialize};
use simos::{LogonId, ProcessId, ThreadId, TokenId};
use siphasher::sip::SipHasher13;
use winsec::Sid;

use crate::fingerprint;

/// The kinds of ids a world holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum IdKind {
    Token,
    Logon,
    Process,
    Thread,
    Job,
    Pointer,
}

impl IdKind {
    fn of_type(name: &str) -> Option<IdKind> {
        Some(match name {
            "TokenId" => IdKind::Token,
            "LogonId" => IdKind::Logon,
            "ProcessId" => IdKind::Process,
            "ThreadId" => IdKind::Thread,
            "JobId" => IdKind::Job,
            "PointerId" => IdKind::Pointer,
            _ => return None,
        })
    }

    fn noun(self) -> &'static str {
        match self {
            IdKind::Token => "token",
            IdKind::Logon => "logon",
            IdKind::Process => "process",
            IdKind::Thread => "thread",
            IdKind::Job => "job",
            IdKind::Pointer => "pointer",
        }
    }
}

/// A declared user: (group, position in the group).
type Slot = (u8, u8);

/// A piece of a string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Seg {
    /// Text that names no declared user.
    Lit(String),
    /// A declared user's name; `mask` keeps which letters were upper case.
    Name { user: Slot, mask: u64 },
    /// A declared user's SID.
    Sid { user: Slot },
    /// A logon SID (`S-1-5-5-0-n`), which names a logon session.
    LogonSid(Id),
}

/// An id: raw as the world holds it, or canonical once relabelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Id {
    Raw(IdKind, u64),
    Canonical(IdKind, Option<Slot>, u32),
}

/// The value tree.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Node {
    Unit,
    Bool(bool),
    Int(i128),
    Float(u64),
    Char(char),
    Text(Vec<Seg>),
    Bytes(Vec<u8>),
    None,
    Some(Box<Node>),
    Seq(Vec<Node>),
    /// A set (a `BTreeSet`), sorted again after relabelling.
    Set(Vec<Node>),
    Map(Vec<(Node, Node)>),
    Struct(&'static str, Vec<(&'static str, Node)>),
    Variant(&'static str, &'static str, Box<Node>),
    Id(Id),
    /// A terminal-services session of a declared user.
    Session(Slot),
    /// A part of the host that is as the initial world has it.
    Initial(&'static str),
    /// A subtree kept from an earlier world (a token's), standing for
    /// itself.
    Cached(Arc<Node>),
    /// A subtree no renaming changes, by its hash: written once instead
    /// of once per permutation.
    Frozen(u64),
}

/// Each id of a world: its owner and rank among the ids of its kind and
/// owner.
type Table = BTreeMap<(IdKind, u64), (Option<Slot>, u32)>;

/// The most token subtrees kept.
const CACHE_LIMIT: usize = 1 << 16;

/// The shared parts of the host that stand for themselves while unchanged.
const SHARED: [&str; 4] = ["machines", "domain", "objects", "servers"];

/// One declared user.
#[derive(Debug, Clone)]
struct Member {
    name: String,
    sid: Sid,
    sid_text: String,
    session: Option<u32>,
}

/// Groups of interchangeable users and the canonical fingerprint over
/// their permutations.
#[derive(Debug, Clone)]
pub struct Symmetry {
    groups: Vec<Vec<Member>>,
    /// Every permutation: for each group, where each user goes.
    perms: Vec<Vec<Vec<u8>>>,
    by_sid: BTreeMap<Sid, Slot>,
    sessions: BTreeMap<u32, Slot>,
    /// The shared parts' fingerprints in the initial world, for those
    /// that hold no id (and so are invariant under every permutation once
    /// the initial world is).
    initial_shared: [Option<u64>; 4],
    /// Token subtrees by the token's content fingerprint: tokens rarely
    /// change, and their subtrees are most of a world's.
    tokens: Arc<RwLock<HashMap<u64, Arc<Node>>>>,
}

/// Why a declared symmetry was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymmetryError(pub String);

impl fmt::Display for SymmetryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SymmetryError {}

/// The universe's operations in terms of ids, for the check that they
/// permute into each other.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct UniverseIds {
    /// Acting threads.
    pub actors: Vec<ThreadId>,
    /// Tokens actors may impersonate.
    pub tokens: Vec<TokenId>,
    /// Threads whose logon may end.
    pub logoff: Vec<ThreadId>,
    /// Terminal sessions that may end.
    pub end_sessions: Vec<u32>,
    /// `LogonUser` accounts and types.
    pub logon_users: Vec<(String, String)>,
}

fn shared_fingerprint(world: &World, field: &str) -> u64 {
    let h = &world.host;
    match field {
        "machines" => h.machines.fingerprint(),
        "domain" => h.domain.fingerprint(),
        "objects" => h.objects.fingerprint(),
        _ => h.servers.fingerprint(),
    }
}

fn permutations(n: usize) -> Vec<Vec<u8>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for rest in permutations(n - 1) {
        for at in 0..=rest.len() {
            let mut p = rest.clone();
            p.insert(at, (n - 1) as u8);
            out.push(p);
        }
    }
    out.sort();
    out
}

impl Symmetry {
    /// Declares `groups` of users (each resolved to a SID by `resolve`)
    /// interchangeable in `initial` under the universe `universe`, after
    /// checking that they are: every permutation leaves the initial world
    /// and the universe's operations as they are. `advance` says whether
    /// the clock may run (the transfer engine then orders waiting
    /// background jobs by id, which no permutation preserves).
    pub fn new(
        groups: &[Vec<String>],
        resolve: &dyn Fn(&str) -> Option<Sid>,
        initial: &World,
        universe: &UniverseIds,
        advance: bool,
    ) -> Result<Symmetry, SymmetryError> {
        let err = |m: String| Err(SymmetryError(format!("explore.symmetric: {m}")));
        let mut members: Vec<Vec<Member>> = Vec::new();
        let mut seen = BTreeSet::new();
        for group in groups {
            if group.len() < 2 || group.len() > 6 {
                return err(format!(
                    "a group has {} users; a group holds 2 to 6 users",
                    group.len()
                ));
            }
            let mut g = Vec::new();
            for name in group {
                let bare = name.rsplit('\\').next().unwrap_or(name);
                if bare.is_empty()
                    || bare.len() > 64
                    || !bare
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    return err(format!(
                        "`{name}` is not a plain account name (letters, digits, `-`, `_`)"
                    ));
                }
                let Some(sid) = resolve(name) else {
                    return err(format!("no account is named `{name}`"));
                };
                if !seen.insert(sid.clone()) {
                    return err(format!("`{name}` is declared twice"));
                }
                let mut sessions: BTreeSet<u32> = initial
                    .host
                    .logons
                    .values()
                    .filter(|l| l.user == sid && l.winlogon && l.ts_session != 0)
                    .map(|l| l.ts_session)
                    .collect();
                if sessions.len() > 1 {
                    return err(format!(
                        "`{name}` is logged on in several terminal sessions ({}); a declared user has at most one",
                        sessions.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
                    ));
                }
                g.push(Member {
                    name: bare.to_ascii_lowercase(),
                    sid_text: sid.to_string().to_ascii_lowercase(),
                    sid,
                    session: sessions.pop_first(),
                });
            }
            members.push(g);
        }
        let mut by_sid = BTreeMap::new();
        let mut sessions = BTreeMap::new();
        for (gi, g) in members.iter().enumerate() {
            let with = g.iter().filter(|m| m.session.is_some()).count();
            if with != 0 && with != g.len() {
                let (on, off): (Vec<&Member>, Vec<&Member>) =
                    g.iter().partition(|m| m.session.is_some());
                return err(format!(
                    "{} logged on in a terminal session and {} not: the users are not interchangeable",
                    on.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", "),
                    off.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
            for (si, m) in g.iter().enumerate() {
                let slot = (gi as u8, si as u8);
                by_sid.insert(m.sid.clone(), slot);
                if let Some(s) = m.session {
                    if let Some(other) = sessions.insert(s, slot) {
                        let o = &members[usize::from(other.0)][usize::from(other.1)];
                        return err(format!(
                            "{} and {} share terminal session {s}: the users are not interchangeable",
                            o.name, m.name
                        ));
                    }
                }
            }
        }
        let mut perms: Vec<Vec<Vec<u8>>> = vec![Vec::new()];
        for g in &members {
            let mut next = Vec::new();
            for p in &perms {
                for q in permutations(g.len()) {
                    let mut p = p.clone();
                    p.push(q);
                    next.push(p);
                }
            }
            perms = next;
        }
        let mut sym = Symmetry {
            groups: members,
            perms,
            by_sid,
            sessions,
            initial_shared: [None; 4],
            tokens: Arc::default(),
        };
        if advance {
            for job in initial.bits.jobs.values() {
                if let Some(&slot) = sym.by_sid.get(&job.owner.sid) {
                    if job.priority != bits::job::priority::FOREGROUND && !job.state.is_final() {
                        return err(format!(
                            "{}'s job {} is a background job and the universe advances the clock: the transfer engine gives waiting background jobs their turn in job order, which exchanging users does not preserve; make the declared users' jobs foreground (SetPriority 0) or drop `advance` and `advance_to_deadline`",
                            sym.member(slot).name,
                            job.id.0
                        ));
                    }
                }
            }
        }
        // The initial world and the universe, with nothing left out, must
        // be the same under every permutation.
        let world = sym.abstract_tree(initial, &[false; 4]);
        let uni = sym.tree_of(universe, &[false; 4], None);
        let both = Node::Seq(vec![world.clone(), uni]);
        let table = sym.ranks(initial);
        let identity = sym.relabel(&both, &sym.perms[0], &table);
        for p in &sym.perms[1..] {
            let moved = sym.relabel(&both, p, &table);
            if moved != identity {
                let (Node::Seq(a), Node::Seq(b)) = (&identity, &moved) else {
                    continue;
                };
                let (path, x, y) = if a[0] != b[0] {
                    let (path, x, y) = first_difference(&a[0], &b[0], &sym);
                    (format!("the initial world at {path}"), x, y)
                } else {
                    let (path, x, y) = first_difference(&a[1], &b[1], &sym);
                    (format!("the universe's operations at {path}"), x, y)
                };
                return err(format!(
                    "{} are not interchangeable: {} changes {path}: `{x}` becomes `{y}`",
                    sym.all_names(),
                    sym.describe(p)
                ));
            }
        }
        for (i, field) in SHARED.iter().enumerate() {
            if let Node::Struct(_, fields) = &world {
                let host = fields.iter().find(|(k, _)| *k == "host");
                if let Some((_, Node::Struct(_, hf))) = host {
                    if let Some((_, v)) = hf.iter().find(|(k, _)| k == field) {
                        if !holds_id(v) {
                            sym.initial_shared[i] = Some(shared_fingerprint(initial, field));
                        }
                    }
                }
            }
        }
        Ok(sym)
    }

    fn member(&self, slot: Slot) -> &Member {
        &self.groups[usize::from(slot.0)][usize::from(slot.1)]
    }

    fn all_names(&self) -> String {
        self.groups
            .iter()
            .map(|g| {
                let names: Vec<&str> = g.iter().map(|m| m.name.as_str()).collect();
                match names.split_last() {
                    Some((last, rest)) if !rest.is_empty() => {
                        format!("{} and {last}", rest.join(", "))
                    }
                    _ => names.join(""),
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn describe(&self, p: &[Vec<u8>]) -> String {
        let mut moves = Vec::new();
        for (gi, q) in p.iter().enumerate() {
            for (si, &to) in q.iter().enumerate() {
                if usize::from(to) != si {
                    moves.push(format!(
                        "{}→{}",
                        self.groups[gi][si].name,
                        self.groups[gi][usize::from(to)].name
                    ));
                }
            }
        }
        format!("renaming {}", moves.join(", "))
    }

    /// The declared groups, by user name.
    pub fn groups(&self) -> Vec<Vec<String>> {
        self.groups
            .iter()
            .map(|g| g.iter().map(|m| m.name.clone()).collect())
            .collect()
    }

    /// The same reduction with every user held in place: ids still count
    /// by owner and order of creation, but no users are exchanged. What
    /// this merges beyond the plain fingerprint is the order in which
    /// ids were handed out; what the full symmetry merges beyond this is
    /// the exchange of users.
    pub fn users_fixed(&self) -> Symmetry {
        let mut s = self.clone();
        s.perms.truncate(1);
        s
    }

    /// How many permutations the fingerprint ranges over.
    pub fn permutations(&self) -> usize {
        self.perms.len()
    }

    /// The canonical fingerprint: the least, over the permutations, of
    /// the fixed-key hash of the relabelled tree.
    pub fn fingerprint(&self, world: &World) -> u64 {
        let mut unchanged = [false; 4];
        for (i, field) in SHARED.iter().enumerate() {
            unchanged[i] = self.initial_shared[i] == Some(shared_fingerprint(world, field));
        }
        let tree = self.abstract_tree(world, &unchanged);
        let table = self.ranks(world);
        // Freezing pays for itself only when the tree is written more
        // than once.
        let tree = if self.perms.len() > 1 {
            self.freeze(tree, &table).0
        } else {
            tree
        };
        self.perms
            .iter()
            .map(|p| {
                let mut h = fingerprint::hasher();
                self.feed(&tree, p, &table, &mut h);
                h.finish()
            })
            .min()
            .unwrap_or(0)
    }

    /// The world's tree, with the passwords serde leaves out.
    fn abstract_tree(&self, world: &World, unchanged: &[bool; 4]) -> Node {
        let mut tree = self.tree_of(world, unchanged, Some(world));
        let passwords: Vec<(Node, Node)> = world
            .bits
            .jobs
            .values()
            .map(|j| {
                let creds = j
                    .credentials
                    .values()
                    .map(|c| match &c.password {
                        Some(p) => Node::Some(Box::new(Node::Text(self.segments(p)))),
                        None => Node::None,
                    })
                    .collect();
                (Node::Id(Id::Raw(IdKind::Job, j.id.0)), Node::Seq(creds))
            })
            .collect();
        if let Node::Struct(_, fields) = &mut tree {
            fields.push(("passwords", Node::Map(passwords)));
        }
        tree
    }

    fn tree_of<T: Serialize + ?Sized>(
        &self,
        value: &T,
        unchanged: &[bool; 4],
        world: Option<&World>,
    ) -> Node {
        value
            .serialize(Tree {
                sym: self,
                unchanged,
                world,
            })
            .unwrap_or(Node::Unit)
    }

    /// A token's subtree, from the cache when a token with the same
    /// contents was seen before.
    fn token_node(
        &self,
        token: &simos::shared::Shared<winsec::Token>,
        tree: Tree<'_>,
    ) -> Arc<Node> {
        let key = token.fingerprint();
        if let Some(n) = self.tokens.read().ok().and_then(|c| c.get(&key).cloned()) {
            return n;
        }
        let node = Arc::new(token.serialize(tree).unwrap_or(Node::Unit));
        if let Ok(mut c) = self.tokens.write() {
            if c.len() < CACHE_LIMIT {
                c.insert(key, Arc::clone(&node));
            }
        }
        node
    }

    /// Each id the world's maps hold: its owner and rank among its kind
    /// and owner. An id no map holds keeps its raw value.
    fn ranks(&self, world: &World) -> Table {
        let h = &world.host;
        let b = &world.bits;
        let ids = h
            .tokens
            .keys()
            .map(|k| (IdKind::Token, k.0))
            .chain(h.logons.keys().map(|k| (IdKind::Logon, k.0)))
            .chain(h.processes.keys().map(|k| (IdKind::Process, k.0)))
            .chain(h.threads.keys().map(|k| (IdKind::Thread, k.0)))
            .chain(b.jobs.keys().map(|k| (IdKind::Job, k.0)))
            .chain(b.pointers.keys().map(|k| (IdKind::Pointer, k.0)));
        let owner_sid = |kind: IdKind, raw: u64| -> Option<&Sid> {
            let process = |p: ProcessId| {
                h.processes
                    .get(&p)
                    .and_then(|p| h.tokens.get(&p.primary_token))
                    .map(|t| &t.token.user.sid)
            };
            match kind {
                IdKind::Token => h.tokens.get(&TokenId(raw)).map(|t| &t.token.user.sid),
                IdKind::Logon => h.logons.get(&LogonId(raw)).map(|l| &l.user),
                IdKind::Process => process(ProcessId(raw)),
                IdKind::Thread => h
                    .threads
                    .get(&ThreadId(raw))
                    .and_then(|t| process(t.process)),
                IdKind::Job => world.bits.jobs.get(&bits::JobId(raw)).map(|j| &j.owner.sid),
                IdKind::Pointer => world
                    .bits
                    .pointers
                    .get(&bits::PointerId(raw))
                    .and_then(|p| process(p.process)),
            }
        };
        let mut next: BTreeMap<(IdKind, Option<Slot>), u32> = BTreeMap::new();
        let mut out = BTreeMap::new();
        for (kind, raw) in ids {
            let owner = owner_sid(kind, raw).and_then(|s| self.by_sid.get(s).copied());
            let n = next.entry((kind, owner)).or_insert(0);
            out.insert((kind, raw), (owner, *n));
            *n += 1;
        }
        out
    }

    /// Writes `node`, relabelled by `p`, into `h` (maps and sets in the
    /// order of their relabelled keys) without building the relabelled
    /// tree: a function of that tree, with tags and lengths so that
    /// different trees write different bytes.
    fn feed(&self, node: &Node, p: &[Vec<u8>], table: &Table, h: &mut SipHasher13) {
        let slot = |s: Slot| (s.0, p[usize::from(s.0)][usize::from(s.1)]);
        let write_slot = |h: &mut SipHasher13, s: Slot| {
            let (g, u) = slot(s);
            h.write_u8(g);
            h.write_u8(u);
        };
        let write_id = |h: &mut SipHasher13, i: &Id| match relabel_id(i, &slot, table) {
            Id::Raw(k, v) => {
                h.write_u8(0);
                h.write_u8(k as u8);
                h.write_u64(v);
            }
            Id::Canonical(k, owner, rank) => {
                h.write_u8(1);
                h.write_u8(k as u8);
                match owner {
                    Some((g, u)) => {
                        h.write_u8(g);
                        h.write_u8(u);
                    }
                    None => h.write_u16(u16::MAX),
                }
                h.write_u32(rank);
            }
        };
        match node {
            Node::Unit => h.write_u8(0),
            Node::Bool(b) => {
                h.write_u8(1);
                h.write_u8(u8::from(*b));
            }
            Node::Int(i) => {
                h.write_u8(2);
                h.write_i128(*i);
            }
            Node::Float(f) => {
                h.write_u8(3);
                h.write_u64(*f);
            }
            Node::Char(c) => {
                h.write_u8(4);
                h.write_u32(u32::from(*c));
            }
            Node::Text(segs) => {
                h.write_u8(5);
                h.write_usize(segs.len());
                for seg in segs {
                    match seg {
                        Seg::Lit(t) => {
                            h.write_u8(0);
                            h.write_usize(t.len());
                            h.write(t.as_bytes());
                        }
                        Seg::Name { user, mask } => {
                            h.write_u8(1);
                            write_slot(h, *user);
                            h.write_u64(*mask);
                        }
                        Seg::Sid { user } => {
                            h.write_u8(2);
                            write_slot(h, *user);
                        }
                        Seg::LogonSid(i) => {
                            h.write_u8(3);
                            write_id(h, i);
                        }
                    }
                }
            }
            Node::Bytes(b) => {
                h.write_u8(6);
                h.write_usize(b.len());
                h.write(b);
            }
            Node::None => h.write_u8(7),
            Node::Some(v) => {
                h.write_u8(8);
                self.feed(v, p, table, h);
            }
            Node::Seq(v) => {
                h.write_u8(9);
                h.write_usize(v.len());
                for n in v {
                    self.feed(n, p, table, h);
                }
            }
            Node::Set(v) => {
                h.write_u8(10);
                h.write_usize(v.len());
                let mut r: Vec<Node> = v.iter().map(|n| self.relabel(n, p, table)).collect();
                r.sort();
                for n in &r {
                    self.feed(n, &self.perms[0], table, h);
                }
            }
            Node::Map(e) => {
                h.write_u8(11);
                h.write_usize(e.len());
                let mut r: Vec<(Node, &Node)> = e
                    .iter()
                    .map(|(k, v)| (self.relabel(k, p, table), v))
                    .collect();
                r.sort_by(|a, b| a.0.cmp(&b.0));
                for (k, v) in &r {
                    self.feed(k, &self.perms[0], table, h);
                    self.feed(v, p, table, h);
                }
            }
            Node::Struct(_, f) => {
                h.write_u8(12);
                h.write_usize(f.len());
                for (_, v) in f {
                    self.feed(v, p, table, h);
                }
            }
            Node::Variant(e, v, inner) => {
                h.write_u8(13);
                h.write(e.as_bytes());
                h.write_u8(0xFF);
                h.write(v.as_bytes());
                h.write_u8(0xFF);
                self.feed(inner, p, table, h);
            }
            Node::Id(i) => {
                h.write_u8(14);
                write_id(h, i);
            }
            Node::Session(s) => {
                h.write_u8(15);
                write_slot(h, *s);
            }
            Node::Initial(f) => {
                h.write_u8(16);
                h.write(f.as_bytes());
                h.write_u8(0xFF);
            }
            Node::Cached(n) => self.feed(n, p, table, h),
            Node::Frozen(x) => {
                h.write_u8(17);
                h.write_u64(*x);
            }
        }
    }

    /// `node` with every subtree that no permutation changes replaced by
    /// its hash, and whether `node` itself depends on the permutation.
    fn freeze(&self, node: Node, table: &Table) -> (Node, bool) {
        let owned = |i: &Id| match i {
            Id::Raw(k, v) => table.get(&(*k, *v)).is_some_and(|(o, _)| o.is_some()),
            Id::Canonical(_, o, _) => o.is_some(),
        };
        let dependent = match node {
            Node::Text(ref segs) => segs.iter().any(|s| match s {
                Seg::Lit(_) => false,
                Seg::Name { .. } | Seg::Sid { .. } => true,
                Seg::LogonSid(i) => owned(i),
            }),
            Node::Id(ref i) => owned(i),
            Node::Session(_) => true,
            Node::Some(v) => {
                let (v, d) = self.freeze(*v, table);
                return self.frozen(Node::Some(Box::new(v)), d, table);
            }
            Node::Variant(e, name, v) => {
                let (v, d) = self.freeze(*v, table);
                return self.frozen(Node::Variant(e, name, Box::new(v)), d, table);
            }
            Node::Seq(v) => {
                let (v, d) = self.freeze_all(v, table);
                return self.frozen(Node::Seq(v), d, table);
            }
            Node::Set(v) => {
                let (v, d) = self.freeze_all(v, table);
                return self.frozen(Node::Set(v), d, table);
            }
            Node::Map(e) => {
                let mut any = false;
                let mut out = Vec::with_capacity(e.len());
                for (k, v) in e {
                    let (k, dk) = self.freeze(k, table);
                    let (v, dv) = self.freeze(v, table);
                    any |= dk || dv;
                    out.push((k, v));
                }
                return self.frozen(Node::Map(out), any, table);
            }
            Node::Struct(name, f) => {
                let mut any = false;
                let mut out = Vec::with_capacity(f.len());
                for (k, v) in f {
                    let (v, d) = self.freeze(v, table);
                    any |= d;
                    out.push((k, v));
                }
                return self.frozen(Node::Struct(name, out), any, table);
            }
            Node::Cached(n) => return self.freeze(Node::clone(&n), table),
            _ => false,
        };
        (node, dependent)
    }

    fn freeze_all(&self, v: Vec<Node>, table: &Table) -> (Vec<Node>, bool) {
        let mut any = false;
        let v = v
            .into_iter()
            .map(|n| {
                let (n, d) = self.freeze(n, table);
                any |= d;
                n
            })
            .collect();
        (v, any)
    }

    /// `node` as it is when it depends on the permutation, else its hash.
    fn frozen(&self, node: Node, dependent: bool, table: &Table) -> (Node, bool) {
        if dependent {
            return (node, true);
        }
        let mut h = fingerprint::hasher();
        self.feed(&node, &self.perms[0], table, &mut h);
        (Node::Frozen(h.finish()), false)
    }

    /// The tree relabelled by `p` (ids made canonical, users renamed,
    /// maps and sets sorted again).
    fn relabel(&self, node: &Node, p: &[Vec<u8>], table: &Table) -> Node {
        let slot = |s: Slot| (s.0, p[usize::from(s.0)][usize::from(s.1)]);
        let id = |i: &Id| relabel_id(i, &slot, table);
        match node {
            Node::Text(segs) => Node::Text(
                segs.iter()
                    .map(|s| match s {
                        Seg::Name { user, mask } => Seg::Name {
                            user: slot(*user),
                            mask: *mask,
                        },
                        Seg::Sid { user } => Seg::Sid { user: slot(*user) },
                        Seg::LogonSid(i) => Seg::LogonSid(id(i)),
                        Seg::Lit(t) => Seg::Lit(t.clone()),
                    })
                    .collect(),
            ),
            Node::Some(v) => Node::Some(Box::new(self.relabel(v, p, table))),
            Node::Seq(v) => Node::Seq(v.iter().map(|n| self.relabel(n, p, table)).collect()),
            Node::Set(v) => {
                let mut v: Vec<Node> = v.iter().map(|n| self.relabel(n, p, table)).collect();
                v.sort();
                Node::Set(v)
            }
            Node::Map(entries) => {
                let mut e: Vec<(Node, Node)> = entries
                    .iter()
                    .map(|(k, v)| (self.relabel(k, p, table), self.relabel(v, p, table)))
                    .collect();
                e.sort();
                Node::Map(e)
            }
            Node::Struct(name, fields) => Node::Struct(
                name,
                fields
                    .iter()
                    .map(|(k, v)| (*k, self.relabel(v, p, table)))
                    .collect(),
            ),
            Node::Variant(e, v, inner) => {
                Node::Variant(e, v, Box::new(self.relabel(inner, p, table)))
            }
            Node::Id(i) => Node::Id(id(i)),
            Node::Session(s) => Node::Session(slot(*s)),
            Node::Cached(n) => self.relabel(n, p, table),
            other => other.clone(),
        }
    }

    /// A string cut where it names a declared user (by name or SID) or a
    /// logon session (by logon SID).
    fn segments(&self, s: &str) -> Vec<Seg> {
        let lower = s.to_ascii_lowercase();
        let b = lower.as_bytes();
        let word = |c: u8| c.is_ascii_alphanumeric();
        let mut out = Vec::new();
        let mut lit = 0;
        let mut i = 0;
        while i < b.len() {
            let boundary = i == 0 || !word(b[i - 1]);
            let mut found: Option<(usize, Seg)> = None;
            if boundary && (i == 0 || b[i - 1] != b'-') && b[i] == b's' {
                let sid_end = |len: usize| {
                    b.get(i + len)
                        .is_none_or(|&c| !c.is_ascii_digit() && c != b'-')
                };
                for (gi, g) in self.groups.iter().enumerate() {
                    for (si, m) in g.iter().enumerate() {
                        let n = m.sid_text.len();
                        if lower[i..].starts_with(&m.sid_text) && sid_end(n) {
                            found = Some((
                                n,
                                Seg::Sid {
                                    user: (gi as u8, si as u8),
                                },
                            ));
                        }
                    }
                }
                const LOGON: &str = "s-1-5-5-0-";
                if found.is_none() && lower[i..].starts_with(LOGON) {
                    let digits = b[i + LOGON.len()..]
                        .iter()
                        .take_while(|c| c.is_ascii_digit())
                        .count();
                    let n = LOGON.len() + digits;
                    if digits > 0 && digits <= 10 && sid_end(n) {
                        if let Ok(v) = lower[i + LOGON.len()..i + n].parse::<u64>() {
                            found = Some((n, Seg::LogonSid(Id::Raw(IdKind::Logon, v))));
                        }
                    }
                }
            }
            if found.is_none() && boundary {
                for (gi, g) in self.groups.iter().enumerate() {
                    for (si, m) in g.iter().enumerate() {
                        let n = m.name.len();
                        if lower[i..].starts_with(&m.name) && b.get(i + n).is_none_or(|&c| !word(c))
                        {
                            let mask = s.as_bytes()[i..i + n]
                                .iter()
                                .enumerate()
                                .filter(|(_, c)| c.is_ascii_uppercase())
                                .fold(0u64, |acc, (k, _)| acc | (1 << k));
                            found = Some((
                                n,
                                Seg::Name {
                                    user: (gi as u8, si as u8),
                                    mask,
                                },
                            ));
                        }
                    }
                }
            }
            match found {
                Some((n, seg)) => {
                    if lit < i {
                        out.push(Seg::Lit(s[lit..i].to_string()));
                    }
                    out.push(seg);
                    i += n;
                    lit = i;
                }
                None => i += 1,
            }
        }
        if lit < s.len() || out.is_empty() {
            out.push(Seg::Lit(s[lit..].to_string()));
        }
        out
    }

    fn session(&self, n: i128) -> Node {
        match u32::try_from(n).ok().and_then(|s| self.sessions.get(&s)) {
            Some(&slot) => Node::Session(slot),
            None => Node::Int(n),
        }
    }

    /// The fields whose numbers are ids or sessions though their type
    /// does not say so.
    fn fix(&self, owner: &str, field: &str, node: Node) -> Node {
        match (owner, field, node) {
            ("Token", "token_id", Node::Int(v)) => Node::Id(Id::Raw(IdKind::Token, v as u64)),
            ("Token", "logon_session", Node::Int(v)) => Node::Id(Id::Raw(IdKind::Logon, v as u64)),
            ("Token", "linked_token", Node::Some(v)) => match *v {
                Node::Int(v) => Node::Some(Box::new(Node::Id(Id::Raw(IdKind::Token, v as u64)))),
                other => Node::Some(Box::new(other)),
            },
            ("Token", "session_id", Node::Int(v))
            | ("LogonSession" | "HelperToken", "ts_session", Node::Int(v))
            | ("TerminalSession", "id", Node::Int(v))
            | ("Event", "session", Node::Int(v)) => self.session(v),
            ("Host", "terminal_sessions", Node::Map(entries)) => Node::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| match k {
                        Node::Seq(mut key) if key.len() == 2 => {
                            if let Node::Int(s) = key[1] {
                                key[1] = self.session(s);
                            }
                            (Node::Seq(key), v)
                        }
                        k => (k, v),
                    })
                    .collect(),
            ),
            ("UniverseIds", "end_sessions", Node::Seq(v)) => Node::Map(
                v.into_iter()
                    .map(|n| match n {
                        Node::Int(s) => (self.session(s), Node::Unit),
                        n => (n, Node::Unit),
                    })
                    .collect(),
            ),
            // The sets of the account databases and server settings.
            ("LocalAccount" | "DomainAccount", "groups" | "spns", Node::Seq(v))
            | ("Delegation", _, Node::Seq(v))
            | ("Server", "schemes", Node::Seq(v)) => Node::Set(v),
            ("Machine", "alias_members", Node::Map(e)) | ("Policy", "grants", Node::Map(e)) => {
                Node::Map(
                    e.into_iter()
                        .map(|(k, v)| match v {
                            Node::Seq(v) => (k, Node::Set(v)),
                            v => (k, v),
                        })
                        .collect(),
                )
            }
            // The universe's lists are sets: their order is not an
            // operation's.
            ("UniverseIds", _, Node::Seq(v)) => {
                Node::Map(v.into_iter().map(|n| (n, Node::Unit)).collect())
            }
            (_, _, node) => node,
        }
    }
}

/// An id made canonical (its owner renamed by `slot`); an id no map of
/// the world holds keeps its raw value.
fn relabel_id(i: &Id, slot: &dyn Fn(Slot) -> Slot, table: &Table) -> Id {
    match *i {
        Id::Raw(kind, raw) => match table.get(&(kind, raw)) {
            Some(&(owner, rank)) => Id::Canonical(kind, owner.map(slot), rank),
            None => Id::Raw(kind, raw),
        },
        c => c,
    }
}

fn collect_ids(node: &Node, out: &mut BTreeSet<(IdKind, u64)>) {
    match node {
        Node::Id(Id::Raw(k, v)) => {
            out.insert((*k, *v));
        }
        Node::Text(segs) => {
            for s in segs {
                if let Seg::LogonSid(Id::Raw(k, v)) = s {
                    out.insert((*k, *v));
                }
            }
        }
        Node::Some(v) | Node::Variant(_, _, v) => collect_ids(v, out),
        Node::Cached(v) => collect_ids(v, out),
        Node::Seq(v) | Node::Set(v) => v.iter().for_each(|n| collect_ids(n, out)),
        Node::Map(e) => e.iter().for_each(|(k, v)| {
            collect_ids(k, out);
            collect_ids(v, out);
        }),
        Node::Struct(_, f) => f.iter().for_each(|(_, v)| collect_ids(v, out)),
        _ => {}
    }
}

fn holds_id(node: &Node) -> bool {
    let mut ids = BTreeSet::new();
    collect_ids(node, &mut ids);
    !ids.is_empty()
}

/// Where two trees first differ: a path and the two values, rendered.
fn first_difference(a: &Node, b: &Node, sym: &Symmetry) -> (String, String, String) {
    fn go(a: &Node, b: &Node, path: &mut Vec<String>, sym: &Symmetry) -> Option<(String, String)> {
        if a == b {
            return None;
        }
        match (a, b) {
            (Node::Struct(_, fa), Node::Struct(_, fb)) if fa.len() == fb.len() => {
                for ((k, x), (_, y)) in fa.iter().zip(fb) {
                    if x != y {
                        path.push((*k).to_string());
                        return go(x, y, path, sym);
                    }
                }
            }
            (Node::Map(ea), Node::Map(eb)) => {
                for ((ka, va), (kb, vb)) in ea.iter().zip(eb) {
                    if ka == kb && va != vb {
                        path.push(format!("[{}]", render(ka, sym)));
                        return go(va, vb, path, sym);
                    }
                    if ka != kb {
                        path.push(format!("[{}]", render(ka, sym)));
                        return Some((
                            render(va, sym),
                            format!("no such key (`{}` instead)", render(kb, sym)),
                        ));
                    }
                }
            }
            (Node::Seq(sa), Node::Seq(sb)) | (Node::Set(sa), Node::Set(sb))
                if sa.len() == sb.len() =>
            {
                for (i, (x, y)) in sa.iter().zip(sb).enumerate() {
                    if x != y {
                        path.push(format!("[{i}]"));
                        return go(x, y, path, sym);
                    }
                }
            }
            (Node::Some(x), Node::Some(y)) => return go(x, y, path, sym),
            (Node::Variant(_, va, x), Node::Variant(_, vb, y)) if va == vb => {
                return go(x, y, path, sym)
            }
            _ => {}
        }
        Some((render(a, sym), render(b, sym)))
    }
    let mut path = Vec::new();
    let (x, y) = go(a, b, &mut path, sym).unwrap_or_default();
    let mut p = String::new();
    for part in path {
        if !part.starts_with('[') && !p.is_empty() {
            p.push('.');
        }
        p.push_str(&part);
    }
    (p, x, y)
}

/// A short rendering of a node for messages.
fn render(node: &Node, sym: &Symmetry) -> String {
    let mut s = match node {
        Node::Unit => "()".to_string(),
        Node::Bool(b) => b.to_string(),
        Node::Int(i) => i.to_string(),
        Node::Float(f) => f64::from_bits(*f).to_string(),
        Node::Char(c) => c.to_string(),
        Node::Text(segs) => segs
            .iter()
            .map(|s| match s {
                Seg::Lit(t) => t.clone(),
                Seg::Name { user, .. } => sym.member(*user).name.clone(),
                Seg::Sid { user } => format!("<SID of {}>", sym.member(*user).name),
                Seg::LogonSid(i) => format!("<logon SID of {}>", render(&Node::Id(*i), sym)),
            })
            .collect(),
        Node::Bytes(b) => format!("{} bytes", b.len()),
        Node::None => "none".to_string(),
        Node::Some(v) => render(v, sym),
        Node::Seq(v) | Node::Set(v) => format!(
            "[{}]",
            v.iter()
                .map(|n| render(n, sym))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Node::Map(e) => format!(
            "{{{}}}",
            e.iter()
                .map(|(k, v)| format!("{}: {}", render(k, sym), render(v, sym)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Node::Struct(_, f) => format!(
            "{{{}}}",
            f.iter()
                .map(|(k, v)| format!("{k}: {}", render(v, sym)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Node::Variant(_, v, inner) => match **inner {
            Node::Unit => (*v).to_string(),
            _ => format!("{v} {}", render(inner, sym)),
        },
        Node::Id(Id::Raw(k, v)) => format!("{}#{v}", k.noun()),
        Node::Id(Id::Canonical(k, owner, rank)) => match owner {
            Some(o) => format!("{}'s {} #{rank}", sym.member(*o).name, k.noun()),
            None => format!("{} #{rank}", k.noun()),
        },
        Node::Session(s) => format!("{}'s session", sym.member(*s).name),
        Node::Initial(f) => format!("initial {f}"),
        Node::Cached(n) => render(n, sym),
        Node::Frozen(x) => format!("<{x:016x}>"),
    };
    if s.chars().count() > 160 {
        s = s.chars().take(157).collect::<String>() + "...";
    }
    s
}

/// An error while serialising into a tree (never produced by the world's
/// types; required by serde).
#[derive(Debug)]
struct TreeError(String);

impl fmt::Display for TreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TreeError {}

impl ser::Error for TreeError {
    fn custom<T: fmt::Display>(msg: T) -> TreeError {
        TreeError(msg.to_string())
    }
}

/// The serializer that builds the tree.
#[derive(Clone, Copy)]
struct Tree<'a> {
    sym: &'a Symmetry,
    unchanged: &'a [bool; 4],
    /// The world being serialised, for the tokens kept in the cache.
    world: Option<&'a World>,
}

/// A sequence, tuple or map being built.
struct Items<'a> {
    tree: Tree<'a>,
    items: Vec<Node>,
    keys: Vec<Node>,
    variant: Option<(&'static str, &'static str)>,
}

/// A struct being built.
struct Fields<'a> {
    tree: Tree<'a>,
    name: &'static str,
    fields: Vec<(&'static str, Node)>,
    variant: Option<(&'static str, &'static str)>,
}

impl<'a> Tree<'a> {
    fn items(self, variant: Option<(&'static str, &'static str)>) -> Items<'a> {
        Items {
            tree: self,
            items: Vec::new(),
            keys: Vec::new(),
            variant,
        }
    }
}

impl<'a> ser::Serializer for Tree<'a> {
    type Ok = Node;
    type Error = TreeError;
    type SerializeSeq = Items<'a>;
    type SerializeTuple = Items<'a>;
    type SerializeTupleStruct = Items<'a>;
    type SerializeTupleVariant = Items<'a>;
    type SerializeMap = Items<'a>;
    type SerializeStruct = Fields<'a>;
    type SerializeStructVariant = Fields<'a>;

    fn serialize_bool(self, v: bool) -> Result<Node, TreeError> {
        Ok(Node::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Node, TreeError> {
        Ok(Node::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Node, TreeError> {
        Ok(Node::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Node, TreeError> {
        Ok(Node::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Node, TreeError> {
        Ok(Node::Int(v.into()))
    }
    fn serialize_i128(self, v: i128) -> Result<Node, TreeError> {
        Ok(Node::Int(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Node, TreeError> {
        Ok(Node::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Node, TreeError> {
        Ok(Node::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Node, TreeError> {
        Ok(Node::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Node, TreeError> {
        Ok(Node::Int(v.into()))
    }
    fn serialize_u128(self, v: u128) -> Result<Node, TreeError> {
        i128::try_from(v)
            .map(Node::Int)
            .map_err(|_| TreeError("a u128 beyond i128".into()))
    }
    fn serialize_f32(self, v: f32) -> Result<Node, TreeError> {
        Ok(Node::Float(f64::from(v).to_bits()))
    }
    fn serialize_f64(self, v: f64) -> Result<Node, TreeError> {
        Ok(Node::Float(v.to_bits()))
    }
    fn serialize_char(self, v: char) -> Result<Node, TreeError> {
        Ok(Node::Char(v))
    }
    fn serialize_str(self, v: &str) -> Result<Node, TreeError> {
        Ok(Node::Text(self.sym.segments(v)))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Node, TreeError> {
        Ok(Node::Bytes(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Node, TreeError> {
        Ok(Node::None)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Node, TreeError> {
        Ok(Node::Some(Box::new(value.serialize(self)?)))
    }
    fn serialize_unit(self) -> Result<Node, TreeError> {
        Ok(Node::Unit)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Node, TreeError> {
        Ok(Node::Unit)
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Node, TreeError> {
        Ok(Node::Variant(name, variant, Box::new(Node::Unit)))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Node, TreeError> {
        let inner = value.serialize(self)?;
        Ok(match (IdKind::of_type(name), inner) {
            (Some(kind), Node::Int(v)) => Node::Id(Id::Raw(kind, v as u64)),
            (_, inner) => inner,
        })
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Node, TreeError> {
        Ok(Node::Variant(
            name,
            variant,
            Box::new(value.serialize(self)?),
        ))
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Items<'a>, TreeError> {
        Ok(self.items(None))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Items<'a>, TreeError> {
        Ok(self.items(None))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Items<'a>, TreeError> {
        Ok(self.items(None))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Items<'a>, TreeError> {
        Ok(self.items(Some((name, variant))))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Items<'a>, TreeError> {
        Ok(self.items(None))
    }
    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Fields<'a>, TreeError> {
        Ok(Fields {
            tree: self,
            name,
            fields: Vec::new(),
            variant: None,
        })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Fields<'a>, TreeError> {
        Ok(Fields {
            tree: self,
            name,
            fields: Vec::new(),
            variant: Some((name, variant)),
        })
    }
}

impl ser::SerializeSeq for Items<'_> {
    type Ok = Node;
    type Error = TreeError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), TreeError> {
        self.items.push(value.serialize(self.tree)?);
        Ok(())
    }
    fn end(self) -> Result<Node, TreeError> {
        Ok(Node::Seq(self.items))
    }
}

impl ser::SerializeTuple for Items<'_> {
    type Ok = Node;
    type Error = TreeError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), TreeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Node, TreeError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Items<'_> {
    type Ok = Node;
    type Error = TreeError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), TreeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Node, TreeError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleVariant for Items<'_> {
    type Ok = Node;
    type Error = TreeError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), TreeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Node, TreeError> {
        let (name, variant) = self.variant.unwrap_or(("", ""));
        Ok(Node::Variant(
            name,
            variant,
            Box::new(Node::Seq(self.items)),
        ))
    }
}

impl ser::SerializeMap for Items<'_> {
    type Ok = Node;
    type Error = TreeError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), TreeError> {
        self.keys.push(key.serialize(self.tree)?);
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), TreeError> {
        self.items.push(value.serialize(self.tree)?);
        Ok(())
    }
    fn end(self) -> Result<Node, TreeError> {
        Ok(Node::Map(self.keys.into_iter().zip(self.items).collect()))
    }
}

impl ser::SerializeStruct for Fields<'_> {
    type Ok = Node;
    type Error = TreeError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), TreeError> {
        if self.name == "Host" {
            if let Some(i) = SHARED.iter().position(|f| *f == key) {
                if self.tree.unchanged[i] {
                    self.fields.push((key, Node::Initial(SHARED[i])));
                    return Ok(());
                }
            }
        }
        if let (Some(world), "Host", "tokens") = (self.tree.world, self.name, key) {
            let mut entries = Vec::with_capacity(world.host.tokens.len());
            for (id, object) in &world.host.tokens {
                let simos::host::TokenObject {
                    token,
                    logon,
                    explicit_credentials_from,
                } = object;
                let fields = vec![
                    (
                        "token",
                        Node::Cached(self.tree.sym.token_node(token, self.tree)),
                    ),
                    ("logon", logon.serialize(self.tree)?),
                    (
                        "explicit_credentials_from",
                        explicit_credentials_from.serialize(self.tree)?,
                    ),
                ];
                entries.push((
                    Node::Id(Id::Raw(IdKind::Token, id.0)),
                    Node::Struct("TokenObject", fields),
                ));
            }
            self.fields.push((key, Node::Map(entries)));
            return Ok(());
        }
        let node = value.serialize(self.tree)?;
        self.fields
            .push((key, self.tree.sym.fix(self.name, key, node)));
        Ok(())
    }
    fn skip_field(&mut self, key: &'static str) -> Result<(), TreeError> {
        self.fields.push((key, Node::Unit));
        Ok(())
    }
    fn end(self) -> Result<Node, TreeError> {
        Ok(Node::Struct(self.name, self.fields))
    }
}

impl ser::SerializeStructVariant for Fields<'_> {
    type Ok = Node;
    type Error = TreeError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), TreeError> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<Node, TreeError> {
        let (name, variant) = self.variant.unwrap_or(("", ""));
        Ok(Node::Variant(
            name,
            variant,
            Box::new(Node::Struct(self.name, self.fields)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use bits::{Call, Interface, Method, Op};
    use runner::run::Bound;
    use simos::ThreadId;

    use super::*;
    use crate::model::Model;
    use crate::search::{explore, Config};
    use crate::WorldModel;

    const THREE: &str = include_str!("../../../scenarios/explore/three-users.yaml");

    fn model() -> WorldModel {
        crate::models::from_universe_file(THREE, "three-users.yaml", bits::Profile::Win11, None)
            .expect("the library universe builds")
    }

    fn thread(m: &WorldModel, name: &str) -> ThreadId {
        match m.names().get(name) {
            Some(Bound::Thread(t)) => *t,
            other => panic!("{name} is {other:?}"),
        }
    }

    /// Applies the first enabled operation of `who` that `pick` accepts.
    fn step(m: &WorldModel, w: &mut World, who: ThreadId, pick: fn(&Call) -> bool) {
        let op = m
            .enabled_ops(w)
            .into_iter()
            .find(|op| matches!(op, Op::Bits { thread, call } if *thread == who && pick(call)))
            .expect("the operation is enabled");
        m.apply(w, &op);
    }

    fn options(c: &Call) -> bool {
        matches!(
            c,
            Call::QueryInterface {
                interface: Interface::TokenOptions,
                ..
            }
        )
    }

    fn set_helper(c: &Call) -> bool {
        matches!(
            c,
            Call::Method {
                method: Method::SetHelperToken,
                ..
            }
        )
    }

    fn suspend(c: &Call) -> bool {
        matches!(
            c,
            Call::Method {
                method: Method::Suspend,
                ..
            }
        )
    }

    fn resume(c: &Call) -> bool {
        matches!(
            c,
            Call::Method {
                method: Method::Resume,
                ..
            }
        )
    }

    #[test]
    fn exchanging_users_keeps_the_fingerprint() {
        let m = model();
        let s = m.symmetry().expect("the universe declares symmetry");
        let [alice, bob, carol] = ["alice", "bob", "carol"].map(|n| thread(&m, n));
        // alice sets a helper token on her job and bob resumes his; then
        // the same with the parts played by bob and carol.
        let mut a = m.initial();
        step(&m, &mut a, alice, options);
        step(&m, &mut a, alice, set_helper);
        step(&m, &mut a, bob, resume);
        let mut b = m.initial();
        step(&m, &mut b, carol, resume);
        step(&m, &mut b, bob, options);
        step(&m, &mut b, bob, set_helper);
        assert_ne!(a, b, "the two worlds are different values");
        assert_ne!(fingerprint::of(&a), fingerprint::of(&b));
        assert_eq!(s.fingerprint(&a), s.fingerprint(&b));
        // Ids handed out in another order: alice's and bob's pointers.
        let mut c = m.initial();
        step(&m, &mut c, alice, options);
        step(&m, &mut c, bob, options);
        let mut d = m.initial();
        step(&m, &mut d, bob, options);
        step(&m, &mut d, alice, options);
        assert_ne!(c, d);
        assert_eq!(
            s.users_fixed().fingerprint(&c),
            s.users_fixed().fingerprint(&d)
        );
        assert_eq!(s.fingerprint(&c), s.fingerprint(&d));
    }

    #[test]
    fn different_states_keep_different_fingerprints() {
        let m = model();
        let s = m.symmetry().expect("declared");
        let [alice, bob] = ["alice", "bob"].map(|n| thread(&m, n));
        let initial = m.initial();
        let mut one = m.initial();
        step(&m, &mut one, alice, options);
        let mut two = m.initial();
        step(&m, &mut two, alice, options);
        step(&m, &mut two, bob, options);
        let mut helper = one.clone();
        step(&m, &mut helper, alice, set_helper);
        let mut resumed = one.clone();
        step(&m, &mut resumed, alice, resume);
        let mut suspended_again = resumed.clone();
        step(&m, &mut suspended_again, alice, suspend);
        let mut both = helper.clone();
        step(&m, &mut both, bob, resume);
        let worlds = [&initial, &one, &two, &helper, &resumed, &both];
        for (i, x) in worlds.iter().enumerate() {
            for y in &worlds[i + 1..] {
                assert_ne!(s.fingerprint(x), s.fingerprint(y));
            }
        }
        // Resume then Suspend is back to a suspended job, but the
        // modification time and the job's counters say it was resumed.
        assert_eq!(
            s.fingerprint(&suspended_again) == s.fingerprint(&one),
            suspended_again == one
        );
    }

    /// Every world reached within `depth`, one per plain fingerprint.
    fn reachable(m: &WorldModel, depth: usize) -> Vec<World> {
        let mut seen = BTreeSet::new();
        let mut all = vec![m.initial()];
        seen.insert(fingerprint::of(&all[0]));
        let mut frontier = all.clone();
        for _ in 0..depth {
            let mut next = Vec::new();
            for w in &frontier {
                for op in m.enabled_ops(w) {
                    let mut after = w.clone();
                    m.apply(&mut after, &op);
                    if seen.insert(fingerprint::of(&after)) {
                        next.push(after);
                    }
                }
            }
            all.extend(next.iter().cloned());
            frontier = next;
        }
        all
    }

    #[test]
    fn the_tree_tells_apart_every_two_different_worlds() {
        // With raw ids and no renaming, the tree's hash separates worlds
        // exactly as their equality does: serialisation (with the
        // passwords added) leaves nothing out that the world's `Hash` and
        // `Eq` look at.
        let m = model();
        let s = m.symmetry().expect("declared");
        let raw = |w: &World| {
            let tree = s.abstract_tree(w, &[false; 4]);
            let mut h = fingerprint::hasher();
            s.feed(&tree, &s.perms[0], &Table::new(), &mut h);
            h.finish()
        };
        let worlds = reachable(&m, 3);
        assert!(worlds.len() > 500, "{} worlds", worlds.len());
        let mut by_tree: HashMap<u64, &World> = HashMap::new();
        for w in &worlds {
            if let Some(other) = by_tree.insert(raw(w), w) {
                assert_eq!(other, w, "two different worlds share a tree");
            }
        }
        assert_eq!(by_tree.len(), worlds.len());
    }

    #[test]
    fn the_reduction_is_bounded_by_the_number_of_permutations() {
        // Exchanging three users can merge at most 3! = 6 states into one:
        // more would mean the canonical form merges states no renaming
        // relates.
        let config = Config {
            depth: 4,
            threads: 2,
            shard: None,
        };
        let full = explore(&model(), &config, &|_| {});
        let fixed = explore(&model().with_users_fixed(), &config, &|_| {});
        let plain = explore(&model().without_symmetry(), &config, &|_| {});
        assert!(full.passed() && fixed.passed() && plain.passed());
        assert!(full.states < fixed.states && fixed.states <= plain.states);
        assert!(full.states * 6 >= fixed.states);
        // The states a level adds can only shrink, level by level.
        for (f, p) in full.per_level.iter().zip(&plain.per_level) {
            assert!(f <= p);
        }
        // Same counts whatever the number of threads.
        let one = explore(
            &model(),
            &Config {
                threads: 1,
                ..config
            },
            &|_| {},
        );
        assert_eq!(
            (one.states, one.transitions, one.per_level.clone()),
            (full.states, full.transitions, full.per_level.clone())
        );
    }

    #[test]
    fn users_in_different_groups_are_refused() {
        let text = THREE.replacen(
            "steps:\n",
            "host:\n  users:\n    - { name: carol, groups: [Protected Users] }\nsteps:\n",
            1,
        );
        let e = crate::models::from_universe_file(&text, "x.yaml", bits::Profile::Win11, None)
            .expect_err("carol is not like the others");
        assert!(e.0.contains("not interchangeable"), "{}", e.0);
        assert!(e.0.contains("carol"), "{}", e.0);
    }

    #[test]
    fn a_universe_that_singles_a_user_out_is_refused() {
        let text = THREE.replace("logoff: [alice, bob, carol]", "logoff: [alice, bob]");
        let e = crate::models::from_universe_file(&text, "x.yaml", bits::Profile::Win11, None)
            .expect_err("only carol cannot log off");
        assert!(e.0.contains("the universe's operations"), "{}", e.0);
    }

    #[test]
    fn strings_name_users_by_whole_words() {
        let m = model();
        let s = m.symmetry().expect("declared");
        let alice = s
            .by_sid
            .iter()
            .find(|(_, v)| **v == (0, 0))
            .map(|(k, _)| k.to_string());
        let alice = alice.expect("alice is declared");
        let segs = s.segments(&format!(
            "C:\\Public\\Alice.bin;{alice};alicex;S-1-5-5-0-4123;{alice}1"
        ));
        let names = segs
            .iter()
            .filter(|x| {
                matches!(
                    x,
                    Seg::Name {
                        user: (0, 0),
                        mask: 1
                    }
                )
            })
            .count();
        let sids = segs
            .iter()
            .filter(|x| matches!(x, Seg::Sid { user: (0, 0) }))
            .count();
        let logons = segs
            .iter()
            .filter(|x| matches!(x, Seg::LogonSid(Id::Raw(IdKind::Logon, 4123))))
            .count();
        assert_eq!((names, sids, logons), (1, 1, 1), "{segs:?}");
    }
}
