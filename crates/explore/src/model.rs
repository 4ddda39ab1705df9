//! The model interface every checker drives, and [`WorldModel`], the
//! bounded model of a world seeded by a scenario.
//!
//! This module owns the [`Model`] trait (initial worlds, the operations
//! enabled in a world, `apply`, the invariants and the `sometimes`
//! properties), the [`Universe`] that bounds which operations exist, and
//! the translation of a universe into `bits::Op`s for one world. A model
//! never decides anything about Windows: every transition is
//! `World::apply`, every invariant is the scenario crate's catalog.

use std::collections::BTreeMap;
use std::sync::Arc;

use bits::mutants::Mutant;
use bits::world::Target;
use bits::{Call, Interface, JobId, Method, Op, Outcome, PointerId, Profile, Rules, World};
use oracle::{self, Transition, Violation};
use runner::observe::View;
use runner::properties::Seen;
use runner::run::{Bound, Prepared};
use scenario::format::{ExploreJobMethod, Observation, Temporal};
use scenario::names::ClosedSet;
use scenario::Scenario;
use simos::network::NetworkOp;
use simos::{LogonType, ThreadId, TokenId};
use winsec::AccessMask;

use crate::fingerprint;
use crate::symmetry::{Symmetry, UniverseIds};

/// Whether a transition reaches what a `sometimes` property asks for.
pub type ReachCheck = Arc<dyn Fn(&Transition<'_>) -> bool + Send + Sync>;

/// A property that must hold *sometimes*: some reachable transition
/// satisfies it. A search that never meets it fails, so that no invariant
/// passes on a model that never reaches the situation it is about.
#[derive(Clone)]
pub struct Sometimes {
    /// Stable name (a built-in model's, or a scenario property's id).
    pub name: String,
    /// What must be reached, in one line.
    pub statement: String,
    /// Whether a transition reaches it.
    pub check: ReachCheck,
}

impl Sometimes {
    /// A property checked by `check`.
    pub fn new(
        name: impl Into<String>,
        statement: impl Into<String>,
        check: impl Fn(&Transition<'_>) -> bool + Send + Sync + 'static,
    ) -> Sometimes {
        Sometimes {
            name: name.into(),
            statement: statement.into(),
            check: Arc::new(check),
        }
    }
}

impl std::fmt::Debug for Sometimes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sometimes")
            .field("name", &self.name)
            .field("statement", &self.statement)
            .finish_non_exhaustive()
    }
}

/// A bounded model over `World`: what a checker (the explorer, the
/// fuzzer, or a third party's) needs to walk the state space.
///
/// States are `bits::World` values and actions are `bits::Op`s; a
/// transition is `apply`, which must go through `World::apply`.
pub trait Model: Sync {
    /// The model's name.
    fn name(&self) -> &str;

    /// The initial worlds.
    fn init(&self) -> Vec<World>;

    /// The operations enabled in `world`, in a fixed order.
    fn enabled_ops(&self, world: &World) -> Vec<Op>;

    /// Applies `op` to `world` (through `World::apply`) and returns the
    /// outcome. The default also clears the event logs, which the outcome
    /// already carries, so that equal states are equal values.
    fn apply(&self, world: &mut World, op: &Op) -> Outcome {
        let out = world.apply(op);
        world.bits.log.clear();
        world.host.log.clear();
        out
    }

    /// The rules the invariants judge by (the profile's, even when the
    /// world runs a mutant's).
    fn reference(&self) -> Rules;

    /// The invariants broken by one transition (default: the whole
    /// catalog of `oracle`).
    fn violations(
        &self,
        before: &World,
        op: &Op,
        outcome: &Outcome,
        after: &World,
    ) -> Vec<Violation> {
        oracle::check_all(&Transition {
            before,
            op,
            outcome,
            after,
            rules: &self.reference(),
        })
    }

    /// The `sometimes` properties the search must reach.
    fn sometimes(&self) -> Vec<Sometimes> {
        Vec::new()
    }

    /// The state's 64-bit fingerprint (default: the fixed-key hash of
    /// [`fingerprint::of`]).
    fn fingerprint(&self, world: &World) -> u64 {
        fingerprint::of(world)
    }
}

/// The job methods a universe may call through a job pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobAction {
    /// `Resume`.
    Resume,
    /// `Suspend`.
    Suspend,
    /// `Cancel`.
    Cancel,
    /// `Complete`.
    Complete,
}

impl JobAction {
    fn method(self) -> Method {
        match self {
            JobAction::Resume => Method::Resume,
            JobAction::Suspend => Method::Suspend,
            JobAction::Cancel => Method::Cancel,
            JobAction::Complete => Method::Complete,
        }
    }
}

/// What operations exist in a model, by the names its setup bound.
#[derive(Debug, Clone, Default)]
pub struct Universe {
    /// The threads that make calls.
    pub actors: Vec<String>,
    /// The tokens an actor may impersonate (ImpersonateLoggedOnUser;
    /// RevertToSelf when impersonating).
    pub tokens: Vec<String>,
    /// Job methods through every job pointer an actor's process holds.
    pub job_actions: Vec<JobAction>,
    /// QueryInterface for IBitsTokenOptions, once per process and job.
    pub token_options: bool,
    /// GetJob of jobs an actor's process holds no pointer to.
    pub get_job: bool,
    /// SetHelperToken through a token-options pointer.
    pub set_helper: bool,
    /// The values SetHelperTokenFlags may set.
    pub helper_flags: Vec<u32>,
    /// ClearHelperToken.
    pub clear_helper: bool,
    /// Threads whose logon session may end (`logoff`).
    pub logoff: Vec<String>,
    /// Terminal-services sessions of the BITS machine that may end.
    pub end_sessions: Vec<u32>,
    /// `advance` by this many seconds.
    pub advance: Option<u64>,
    /// `advance` to the next deadline any timer has
    /// ([`World::next_deadline`]), so that every timer fires within a
    /// depth however far away it is.
    pub advance_to_deadline: bool,
    /// LogonUser calls the actors may make: (account, logon type as
    /// scenarios write it), each while no logon of that account and type
    /// exists.
    pub logon_users: Vec<(String, String)>,
    /// Servers an actor may reach as its effective token.
    pub servers: Vec<String>,
    /// Actors may also impersonate the token each of the `logon_users`
    /// logons returned.
    pub impersonate_logons: bool,
    /// The network may go down, and come back while it is down.
    pub network: bool,
    /// Groups of interchangeable users (account names): the model's
    /// fingerprint is then canonical over their permutations
    /// ([`crate::symmetry`]).
    pub symmetric: Vec<Vec<String>>,
}

impl Universe {
    /// The universe a scenario's `explore` section declares (its names
    /// and flags values were checked when the scenario loaded).
    pub fn from_spec(spec: &scenario::format::ExploreSpec) -> Result<Universe, ModelError> {
        let helper_flags = spec
            .helper_token_flags
            .iter()
            .map(|v| {
                scenario::names::parse_flags(&v.0).ok_or_else(|| {
                    ModelError(format!(
                        "explore.helper_token_flags: `{}` is not a number or a known constant",
                        v.0
                    ))
                })
            })
            .collect::<Result<Vec<u32>, ModelError>>()?;
        Ok(Universe {
            actors: spec.actors.clone(),
            tokens: spec.impersonate.clone(),
            job_actions: spec
                .job_methods
                .iter()
                .map(|m| match m {
                    ExploreJobMethod::Resume => JobAction::Resume,
                    ExploreJobMethod::Suspend => JobAction::Suspend,
                    ExploreJobMethod::Cancel => JobAction::Cancel,
                    ExploreJobMethod::Complete => JobAction::Complete,
                })
                .collect(),
            token_options: spec.token_options,
            get_job: spec.get_job,
            set_helper: spec.set_helper_token,
            helper_flags,
            clear_helper: spec.clear_helper_token,
            logoff: spec.logoff.clone(),
            end_sessions: spec.end_sessions.clone(),
            advance: spec.advance,
            advance_to_deadline: spec.advance_to_deadline,
            logon_users: spec
                .logon_users
                .iter()
                .map(|l| (l.user.clone(), l.logon_type.text.clone()))
                .collect(),
            servers: spec.servers.clone(),
            impersonate_logons: spec.impersonate_logons,
            network: spec.network,
            symmetric: spec.symmetric.clone(),
        })
    }
}

/// The universe resolved to the ids of the prepared world.
#[derive(Debug, Clone, Default)]
struct Resolved {
    actors: Vec<ThreadId>,
    tokens: Vec<TokenId>,
    logoff: Vec<ThreadId>,
    logon_users: Vec<(String, Option<String>, String, LogonType)>,
}

/// A bounded model: a world prepared by a scenario's steps, and a
/// universe of operations over the names those steps bound.
#[derive(Debug, Clone)]
pub struct WorldModel {
    name: String,
    profile: Profile,
    mutant: Option<&'static Mutant>,
    setup: Scenario,
    prepared: Prepared,
    universe: Universe,
    resolved: Resolved,
    sometimes: Vec<Sometimes>,
    properties: UserProperties,
    symmetry: Option<Symmetry>,
}

/// A scenario's own properties as a search checks them: `always` and
/// `never` after every transition (like the invariants), `sometimes` as
/// properties some transition must reach. `eventually` needs the path
/// that led to a state, which a search that merges states does not keep:
/// `run`, `check` and `fuzz --out` replays judge it.
#[derive(Debug, Clone, Default)]
struct UserProperties {
    /// `always` (true) or `never` (false) properties: id and observation.
    invariant: Vec<(String, bool, Observation)>,
    /// The ids of the `eventually` properties, which a search leaves out.
    unchecked: Vec<String>,
    /// The ids of the `sometimes` properties (checked as [`Sometimes`]).
    sometimes: Vec<String>,
}

impl UserProperties {
    /// Sorts `properties` (those that apply under `profile`) by how a
    /// search checks them; the `sometimes` ones become [`Sometimes`]
    /// that observe the world through `names`.
    fn new(
        properties: &[scenario::format::Property],
        profile: Profile,
        names: &Arc<BTreeMap<String, Bound>>,
        sometimes: &mut Vec<Sometimes>,
    ) -> UserProperties {
        let mut out = UserProperties::default();
        for p in properties {
            let Some((temporal, observation)) = p.body() else {
                continue;
            };
            if !runner::properties::applies_under(observation, profile) {
                continue;
            }
            match temporal {
                Temporal::Always => out
                    .invariant
                    .push((p.id.clone(), true, observation.clone())),
                Temporal::Never => out
                    .invariant
                    .push((p.id.clone(), false, observation.clone())),
                Temporal::Sometimes => {
                    out.sometimes.push(p.id.clone());
                    let names = Arc::clone(names);
                    let observation = observation.clone();
                    sometimes.push(Sometimes::new(p.id.clone(), p.about.clone(), move |t| {
                        let view = View {
                            world: t.after,
                            names: &names,
                        };
                        let events = runner::trace::events_of(t.outcome);
                        matches!(
                            runner::properties::see(&view, &observation, &events),
                            Seen::Holds(_)
                        )
                    }));
                }
                Temporal::Eventually => out.unchecked.push(p.id.clone()),
            }
        }
        out
    }
}

/// A model that cannot be built: its setup fails, or its universe names
/// something the setup did not bind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError(pub String);

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ModelError {}

impl WorldModel {
    /// Builds a model from a loaded setup scenario (its host and steps)
    /// run under `profile` and `mutant`, with `universe`.
    pub fn new(
        name: &str,
        setup: Scenario,
        setup_text: &str,
        profile: Profile,
        mutant: Option<&'static Mutant>,
        universe: Universe,
        sometimes: Vec<Sometimes>,
    ) -> Result<WorldModel, ModelError> {
        let prepared =
            runner::run::prepare(&setup, setup_text, profile, mutant).map_err(ModelError)?;
        let thread = |n: &String| match prepared.names.get(n) {
            Some(Bound::Thread(t)) => Ok(*t),
            _ => Err(ModelError(format!("the setup binds no thread `{n}`"))),
        };
        let token = |n: &String| match prepared.names.get(n) {
            Some(Bound::Token(t)) => Ok(*t),
            _ => Err(ModelError(format!("the setup binds no token `{n}`"))),
        };
        let mut logon_users = Vec::new();
        for (account, ty) in &universe.logon_users {
            let logon_type = scenario::names::LogonType::parse(ty)
                .map(runner::vocab::logon_type)
                .ok_or_else(|| {
                    ModelError(scenario::names::unknown_message::<scenario::names::LogonType>(ty))
                })?;
            let (user, domain) = match account.split_once('\\') {
                Some((d, u)) => (u.to_string(), Some(d.to_string())),
                None => (account.clone(), None),
            };
            logon_users.push((
                user,
                domain,
                runner::host::default_password(account),
                logon_type,
            ));
        }
        for server in &universe.servers {
            if !prepared
                .world
                .host
                .servers
                .keys()
                .any(|k| k.eq_ignore_ascii_case(server))
            {
                return Err(ModelError(format!(
                    "explore.servers: the host declares no server `{server}`; it declares {}",
                    prepared
                        .world
                        .host
                        .servers
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        let resolved = Resolved {
            actors: universe
                .actors
                .iter()
                .map(thread)
                .collect::<Result<_, _>>()?,
            tokens: universe
                .tokens
                .iter()
                .map(token)
                .collect::<Result<_, _>>()?,
            logoff: universe
                .logoff
                .iter()
                .map(thread)
                .collect::<Result<_, _>>()?,
            logon_users,
        };
        let mut sometimes = sometimes;
        let names = Arc::new(prepared.names.clone());
        let properties = UserProperties::new(&setup.properties, profile, &names, &mut sometimes);
        let symmetry = if universe.symmetric.is_empty() {
            None
        } else {
            // The world the search starts from: the setup's end, logs
            // cleared (as `initial`).
            let mut start = prepared.world.clone();
            start.bits.log.clear();
            start.host.log.clear();
            let world = &start;
            let ids = UniverseIds {
                actors: resolved.actors.clone(),
                tokens: resolved.tokens.clone(),
                logoff: resolved.logoff.clone(),
                end_sessions: universe.end_sessions.clone(),
                logon_users: universe.logon_users.clone(),
            };
            let resolve = |n: &str| runner::host::resolve(&world.host, &world.bits.machine, n);
            Some(
                Symmetry::new(
                    &universe.symmetric,
                    &resolve,
                    world,
                    &ids,
                    universe.advance.is_some() || universe.advance_to_deadline,
                )
                .map_err(|e| ModelError(e.0))?,
            )
        };
        Ok(WorldModel {
            name: name.to_string(),
            profile,
            mutant,
            setup,
            prepared,
            universe,
            resolved,
            sometimes,
            properties,
            symmetry,
        })
    }

    /// The same model without symmetry reduction: every state counts,
    /// as if the universe declared no interchangeable users.
    pub fn without_symmetry(mut self) -> WorldModel {
        self.symmetry = None;
        self
    }

    /// The same model with the universe's users held in place: ids count
    /// by owner and order of creation, no users are exchanged (see
    /// [`Symmetry::users_fixed`]).
    pub fn with_users_fixed(mut self) -> WorldModel {
        self.symmetry = self.symmetry.map(|s| s.users_fixed());
        self
    }

    /// The symmetry the fingerprint is canonical over, if the universe
    /// declares one.
    pub fn symmetry(&self) -> Option<&Symmetry> {
        self.symmetry.as_ref()
    }

    /// The profile.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The mutant the world runs, if any.
    pub fn mutant(&self) -> Option<&'static Mutant> {
        self.mutant
    }

    /// The setup scenario.
    pub fn setup(&self) -> &Scenario {
        &self.setup
    }

    /// The names the setup bound.
    pub fn names(&self) -> &BTreeMap<String, Bound> {
        &self.prepared.names
    }

    /// The universe.
    pub fn universe(&self) -> &Universe {
        &self.universe
    }

    /// The ids of the setup's properties a search checks (`always`,
    /// `never`, `sometimes`).
    pub fn searched_properties(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .properties
            .invariant
            .iter()
            .map(|(id, _, _)| id.as_str())
            .collect();
        out.extend(self.properties.sometimes.iter().map(String::as_str));
        out
    }

    /// The ids of the setup's `eventually` properties, which a search does
    /// not check (it merges states reached by different paths).
    pub fn unchecked_properties(&self) -> &[String] {
        &self.properties.unchecked
    }

    /// The initial world (the setup's end, logs cleared).
    pub fn initial(&self) -> World {
        let mut w = self.prepared.world.clone();
        w.bits.log.clear();
        w.host.log.clear();
        w
    }

    /// The first token of each active LogonUser logon of the universe's
    /// accounts, in logon order.
    fn logon_tokens(&self, world: &World) -> Vec<TokenId> {
        let mut out = Vec::new();
        for l in world.host.logons.values() {
            if l.winlogon || !l.active {
                continue;
            }
            let ours = self.resolved.logon_users.iter().any(|(user, _, _, ty)| {
                *ty == l.logon_type
                    && l.account
                        .rsplit('\\')
                        .next()
                        .is_some_and(|a| a.eq_ignore_ascii_case(user))
            });
            if !ours {
                continue;
            }
            if let Some((id, _)) = world.host.tokens.iter().find(|(_, t)| t.logon == l.id) {
                out.push(*id);
            }
        }
        out
    }

    fn thread_alive(world: &World, t: ThreadId) -> bool {
        world.host.process_of(t).is_some_and(|p| p.alive)
    }

    fn job_ops(
        &self,
        world: &World,
        thread: ThreadId,
        process: simos::ProcessId,
        ops: &mut Vec<Op>,
    ) {
        let u = &self.universe;
        let call = |call: Call| Op::Bits { thread, call };
        let mine: Vec<(PointerId, Interface, JobId)> = world
            .bits
            .pointers
            .values()
            .filter(|p| p.process == process)
            .filter_map(|p| match p.target {
                Target::Job { job } => Some((p.id, p.interface, job)),
                _ => None,
            })
            .collect();
        for &(pointer, interface, job) in &mine {
            match interface {
                Interface::Job => {
                    for a in &u.job_actions {
                        ops.push(call(Call::Method {
                            pointer,
                            method: a.method(),
                        }));
                    }
                    let has_options = mine
                        .iter()
                        .any(|(_, i, j)| *i == Interface::TokenOptions && *j == job);
                    if u.token_options && !has_options {
                        ops.push(call(Call::QueryInterface {
                            pointer,
                            interface: Interface::TokenOptions,
                        }));
                    }
                }
                Interface::TokenOptions => {
                    if u.set_helper {
                        ops.push(call(Call::Method {
                            pointer,
                            method: Method::SetHelperToken,
                        }));
                    }
                    for &flags in &u.helper_flags {
                        ops.push(call(Call::Method {
                            pointer,
                            method: Method::SetHelperTokenFlags { flags },
                        }));
                    }
                    if u.clear_helper {
                        ops.push(call(Call::Method {
                            pointer,
                            method: Method::ClearHelperToken,
                        }));
                    }
                }
                _ => {}
            }
        }
        if u.get_job {
            for (id, job) in &world.bits.jobs {
                if job.state.is_final() || mine.iter().any(|(_, _, j)| j == id) {
                    continue;
                }
                ops.push(call(Call::GetJob { job: *id }));
            }
        }
    }
}

impl Model for WorldModel {
    fn name(&self) -> &str {
        &self.name
    }

    fn init(&self) -> Vec<World> {
        vec![self.initial()]
    }

    fn enabled_ops(&self, world: &World) -> Vec<Op> {
        let mut ops = Vec::new();
        let r = &self.resolved;
        for &thread in &r.actors {
            let Some(t) = world.host.thread(thread) else {
                continue;
            };
            if !Self::thread_alive(world, thread) {
                continue;
            }
            let process = t.process;
            if t.impersonation.is_some() {
                ops.push(Op::Host {
                    op: simos::Op::RevertToSelf { thread },
                });
            } else {
                for &token in &r.tokens {
                    if world.host.token(token).is_some() {
                        ops.push(Op::Host {
                            op: simos::Op::ImpersonateLoggedOnUser { thread, token },
                        });
                    }
                }
                if self.universe.impersonate_logons {
                    for token in self.logon_tokens(world) {
                        ops.push(Op::Host {
                            op: simos::Op::ImpersonateLoggedOnUser { thread, token },
                        });
                    }
                }
            }
            for (user, domain, password, logon_type) in &r.logon_users {
                let done = world.host.logons.values().any(|l| {
                    !l.winlogon
                        && l.logon_type == *logon_type
                        && l.account
                            .rsplit('\\')
                            .next()
                            .is_some_and(|a| a.eq_ignore_ascii_case(user))
                });
                if !done {
                    ops.push(Op::Host {
                        op: simos::Op::LogonUser {
                            thread,
                            user: user.clone(),
                            domain: domain.clone(),
                            password: password.clone(),
                            logon_type: *logon_type,
                        },
                    });
                }
            }
            for server in &self.universe.servers {
                ops.push(Op::Host {
                    op: simos::Op::Network(NetworkOp::Access {
                        thread,
                        server: server.clone(),
                        desired: AccessMask::GENERIC_READ,
                    }),
                });
            }
            self.job_ops(world, thread, process, &mut ops);
        }
        for &thread in &r.logoff {
            let logon = world
                .host
                .process_of(thread)
                .and_then(|p| world.host.token(p.primary_token))
                .map(|t| t.logon);
            if let Some(logon) = logon {
                if world.host.logons.get(&logon).is_some_and(|l| l.active) {
                    ops.push(Op::Host {
                        op: simos::Op::Logoff { logon },
                    });
                }
            }
        }
        for &session in &self.universe.end_sessions {
            let key = (world.bits.machine.clone(), session);
            if world
                .host
                .terminal_sessions
                .get(&key)
                .is_some_and(|s| s.active)
            {
                ops.push(Op::Host {
                    op: simos::Op::EndTerminalSession {
                        machine: world.bits.machine.clone(),
                        session,
                    },
                });
            }
        }
        if self.universe.network {
            ops.push(Op::Network {
                up: !world.bits.network_up,
            });
        }
        if let Some(ticks) = self.universe.advance {
            ops.push(Op::Advance { ticks });
        }
        if self.universe.advance_to_deadline {
            if let Some(ticks) = world
                .next_deadline()
                .and_then(|at| at.checked_sub(world.host.now))
                .filter(|&t| t > 0 && Some(t) != self.universe.advance)
            {
                ops.push(Op::Advance { ticks });
            }
        }
        ops
    }

    fn reference(&self) -> Rules {
        self.prepared.reference
    }

    fn sometimes(&self) -> Vec<Sometimes> {
        self.sometimes.clone()
    }

    /// The invariants of the catalog, then the setup's `always` and
    /// `never` properties, observed in the world after the transition.
    fn violations(
        &self,
        before: &World,
        op: &Op,
        outcome: &Outcome,
        after: &World,
    ) -> Vec<Violation> {
        let reference = self.reference();
        let mut out = oracle::check_all(&Transition {
            before,
            op,
            outcome,
            after,
            rules: &reference,
        });
        if self.properties.invariant.is_empty() {
            return out;
        }
        let view = View {
            world: after,
            names: &self.prepared.names,
        };
        let events = runner::trace::events_of(outcome);
        for (id, always, observation) in &self.properties.invariant {
            let message = match (runner::properties::see(&view, observation, &events), always) {
                (Seen::Differs(what), true) => what,
                (Seen::Holds(what), false) => format!("it holds: {what}"),
                _ => continue,
            };
            out.push(Violation {
                invariant: id.clone().into(),
                message,
            });
        }
        out
    }

    fn fingerprint(&self, world: &World) -> u64 {
        match &self.symmetry {
            Some(s) => s.fingerprint(world),
            None => fingerprint::of(world),
        }
    }
}
