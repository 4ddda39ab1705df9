//! Running a scenario: each step becomes at most one `bits::Op` applied
//! with `World::apply`, its result is compared with the step's
//! expectation, every invariant is checked on the transition, and a
//! record of the step goes into the trace.
//!
//! This module owns the meaning of each step (which operation it makes,
//! which names it binds, what its checks compare) and the trace records.
//! It decides nothing about Windows: every result comes from the world.

use std::collections::BTreeMap;

use bits::mutants::Mutant;
use bits::{
    BitsEvent, Call, HResult, JobId, JobState, Method, Op, Outcome, PointerId, Profile, Rules,
    Value, World,
};
use serde::Serialize;
use simos::network::NetworkOp;
use simos::objects::ObjectOp;
use simos::{BuiltinIdentity, Cloaking, ServiceAccount, ThreadId, TokenId};
use winsec::{AccessMask, ImpersonationLevel, Privilege, Sid, Win32Error};

use crate::host::{self, default_password};
use crate::observe::{self, View};
use crate::properties::{self, Judge, PropertyOutcome};
use crate::trace::{self, Binding, Detail, NameTable, TraceEvent};
use crate::vocab;
use oracle::{Transition, Violation};
use scenario::format::{Expected, JobCall, JobSet, Scalar, Scenario, Step};
use scenario::load::{LoadError, LoadErrors, Position};
use scenario::locate::Locator;
use scenario::names::{self, ClosedSet, Named};

mod web;

/// The profiles a scenario runs under, in the order given (default win11).
pub fn profiles_of(s: &Scenario) -> Vec<Profile> {
    scenario::load::profile_names(s)
        .into_iter()
        .map(vocab::profile)
        .collect()
}

/// One check a step made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was compared.
    pub what: String,
    /// What the scenario expected.
    pub expected: String,
    /// What happened.
    pub actual: String,
    /// Whether they agree.
    pub ok: bool,
}

/// The result of an operation, by name and value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultText {
    /// The symbolic name.
    pub name: String,
    /// The HRESULT in hex.
    pub hex: String,
}

/// One step of the trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepRecord {
    /// 1-based step number.
    pub number: usize,
    /// The line of the step in the file.
    pub line: usize,
    /// The thread that made the call (none for environment events and
    /// expectations).
    pub actor: Option<String>,
    /// The step's kind (`CreateJob`, `logoff`, `expect`, ...).
    pub kind: String,
    /// Its arguments, as written.
    pub args: String,
    /// The result, for steps that apply an operation.
    pub result: Option<ResultText>,
    /// What changed, in order (rendered by the reports).
    pub events: Vec<TraceEvent>,
    /// The rule ids that decided the result.
    pub rules: Vec<&'static str>,
    /// Decision details for `--explain`: access-check trails, what
    /// servers saw.
    pub details: Vec<Detail>,
    /// The access-check rule ids of the trails behind the step.
    pub trail_rules: Vec<&'static str>,
    /// The checks the step made.
    pub checks: Vec<Check>,
    /// Invariants the step broke.
    pub violations: Vec<Violation>,
    /// The scenario's properties the step broke: (id, what was seen).
    pub property_failures: Vec<(String, String)>,
    /// Why the step could not be carried out, if it could not.
    pub error: Option<String>,
}

impl StepRecord {
    /// The step held: its checks agreed, no invariant broke, nothing failed.
    pub fn passed(&self) -> bool {
        self.error.is_none()
            && self.violations.is_empty()
            && self.property_failures.is_empty()
            && self.checks.iter().all(|c| c.ok)
    }
}

/// A scenario run under one profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    /// The scenario's name.
    pub scenario: String,
    /// The file it came from.
    pub file: String,
    /// The profile.
    pub profile: &'static str,
    /// The steps carried out (the run stops after the first failing step).
    pub steps: Vec<StepRecord>,
    /// Threads, tokens and servers named in the trace, for diagrams.
    pub participants: Vec<String>,
    /// The names the scenario gave, in the order given, and the accounts
    /// the trace shows.
    pub names: NameTable,
    /// How each of the scenario's properties fared.
    pub properties: Vec<PropertyOutcome>,
    /// Per step: whom it talks to and, with [`Options::world_views`], the
    /// world after it ([`crate::inspect`]).
    pub views: Vec<crate::inspect::StepView>,
    /// What the host's setup did before the first step that a rule
    /// governs (imported tokens), each with the rule's id.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub setup: Vec<(String, &'static str)>,
}

impl Run {
    /// Every step held, and every property.
    pub fn passed(&self) -> bool {
        self.steps.iter().all(StepRecord::passed)
            && self.properties.iter().all(PropertyOutcome::passed)
    }

    /// The `sometimes` properties that never held.
    pub fn unmet(&self) -> impl Iterator<Item = &PropertyOutcome> {
        self.properties
            .iter()
            .filter(|p| p.verdict == crate::properties::Verdict::Unmet)
    }

    /// The first failing step, if any.
    pub fn failure(&self) -> Option<&StepRecord> {
        self.steps.iter().find(|s| !s.passed())
    }
}

/// How [`run_with`] runs a scenario.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Run under this profile only (otherwise: the scenario's profiles).
    pub only: Option<Profile>,
    /// Run the world under this mutant's rules (overrides the scenario's
    /// `mutant:`); expectations and invariants still judge by the
    /// profile's rules.
    pub mutant: Option<&'static Mutant>,
    /// Carry on after a failing step (for comparing profiles) instead of
    /// stopping at the first one.
    pub keep_going: bool,
    /// Keep a view of the world after each step (within
    /// [`crate::inspect::MAX_VIEW_ROWS`]).
    pub world_views: bool,
}

/// The most decision steps (access-check trail steps and the like) a run
/// keeps for `--explain`; later decisions are summarised by a count.
pub const MAX_DETAIL_STEPS: usize = 100_000;

/// The most moments at which the BITS service acts (a state change, a
/// file finished, a time slice ending, a retry) one run may step through
/// during `advance`. Time between them passes arithmetically, so this
/// bounds the work of a run, not its virtual length.
pub const MAX_SERVICE_STEPS: u64 = 50_000;

/// Runs a loaded scenario under each of its profiles, or under `only`.
pub fn run(
    scenario: &Scenario,
    file: &str,
    text: &str,
    only: Option<Profile>,
) -> Result<Vec<Run>, LoadErrors> {
    run_with(
        scenario,
        file,
        text,
        &Options {
            only,
            ..Options::default()
        },
    )
}

/// Runs a loaded scenario as `options` say.
pub fn run_with(
    scenario: &Scenario,
    file: &str,
    text: &str,
    options: &Options,
) -> Result<Vec<Run>, LoadErrors> {
    let loc = Locator::new(text);
    let profiles = match options.only {
        Some(p) => vec![p],
        None => profiles_of(scenario),
    };
    let mutant = options
        .mutant
        .or_else(|| scenario.mutant.as_deref().and_then(bits::mutants::mutant));
    let mut runs = Vec::new();
    for profile in profiles {
        let reference = profile.rules();
        let rules = mutant.map_or(reference, |m| m.apply(reference));
        // A problem in the host section, at the word it names.
        let host_error = |e: host::HostError| {
            LoadErrors::from(LoadError {
                file: file.to_string(),
                position: host_position(text, &loc, &e.word),
                message: e.message,
                expected: e.expected,
                hint: None,
            })
        };
        let world = host::build(&scenario.host, rules).map_err(host_error)?;
        let mut runner = Runner::new(world, profile, reference, &scenario.host.sites);
        runner.bind_imports(&scenario.host).map_err(host_error)?;
        let mut steps = Vec::new();
        let mut judge = Judge::new(&scenario.properties, profile, runner.world.host.now);
        let (mut views, mut budget) = (Vec::new(), crate::inspect::MAX_VIEW_ROWS);
        for (i, step) in scenario.steps.iter().enumerate() {
            let mut record = runner.step(i, loc.step_line(i), step);
            if let Some(message) = runner.over_budget.take() {
                return Err(LoadErrors::from(LoadError {
                    file: file.to_string(),
                    position: loc.step(i),
                    message,
                    expected: Some(format!(
                        "an advance the service can finish in at most {} moments",
                        bits::engine::MAX_ADVANCE_EVENTS
                    )),
                    hint: None,
                }));
            }
            let view = runner.view();
            record.property_failures =
                judge.after_step(&scenario.properties, i, runner.world.host.now, &mut |o| {
                    properties::see(&view, o, &record.events)
                });
            let stop = !record.passed() && !options.keep_going;
            steps.push(record);
            views.push(crate::inspect::after_step(
                step,
                &runner.world,
                &runner.names,
                &runner.table,
                options.world_views,
                &mut budget,
            ));
            if stop {
                break;
            }
        }
        let properties = judge.finish(steps.len());
        runs.push(Run {
            scenario: scenario.name.clone(),
            file: file.to_string(),
            profile: profile.name(),
            steps,
            participants: runner.participants,
            names: runner.table,
            properties,
            views,
            setup: runner.setup,
        });
    }
    Ok(runs)
}

fn host_position(text: &str, loc: &Locator<'_>, word: &str) -> Position {
    if word.is_empty() {
        return loc.top_value("host", "host");
    }
    let from = text.find("\nhost:").unwrap_or(0);
    match text[from..].find(word).map(|at| at + from) {
        Some(at) => {
            let mut p = loc.at_offset(at);
            p.len = word.len();
            p
        }
        None => loc.top_value("host", "host"),
    }
}

/// What a name is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Bound {
    /// A thread (`logon`, `start_service`, `run_as_admin`, `CreateThread`).
    Thread(ThreadId),
    /// A token (`LogonUser`, `OpenThreadToken`, `DuplicateToken` …).
    Token(TokenId),
    /// An interface pointer (`CreateJob`, `GetJob`, `QueryInterface` …).
    Pointer(PointerId),
}

/// A world after a scenario's steps, with the names they bound: how a
/// scenario seeds a model for exploration.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The world after the last step.
    pub world: World,
    /// Every name the steps bound.
    pub names: BTreeMap<String, Bound>,
    /// The profile's rules (the world runs `mutant`'s when one is given).
    pub reference: Rules,
}

/// Runs every step of `scenario` under `profile` (and `mutant`) and
/// returns the world and names, or the first failing step's account.
pub fn prepare(
    scenario: &Scenario,
    text: &str,
    profile: Profile,
    mutant: Option<&Mutant>,
) -> Result<Prepared, String> {
    let loc = Locator::new(text);
    let reference = profile.rules();
    let rules = mutant.map_or(reference, |m| m.apply(reference));
    let world = host::build(&scenario.host, rules).map_err(|e| e.message)?;
    let mut runner = Runner::new(world, profile, reference, &scenario.host.sites);
    runner.bind_imports(&scenario.host).map_err(|e| e.message)?;
    for (i, step) in scenario.steps.iter().enumerate() {
        let record = runner.step(i, loc.step_line(i), step);
        if let Some(message) = runner.over_budget.take() {
            return Err(format!("step {}: {message}", i + 1));
        }
        if !record.passed() {
            let why =
                record
                    .error
                    .clone()
                    .or_else(|| {
                        record
                            .violations
                            .first()
                            .map(|v| format!("{}: {}", v.invariant, v.message))
                    })
                    .or_else(|| {
                        record.checks.iter().find(|c| !c.ok).map(|c| {
                            format!("{}: expected {}, got {}", c.what, c.expected, c.actual)
                        })
                    })
                    .unwrap_or_default();
            return Err(format!(
                "step {} ({} {}) failed under {profile}: {why}",
                i + 1,
                record.kind,
                record.args
            ));
        }
    }
    Ok(Prepared {
        world: runner.world,
        names: runner.names,
        reference,
    })
}

/// What a step wants bound from its outcome.
#[derive(Debug, Clone)]
enum Bind {
    None,
    Thread(String),
    Token(String),
    /// The token a remote server got for the caller.
    RemoteToken(String),
    Pointer(String),
    Pointers(Vec<String>),
}

/// A step turned into an operation.
struct Planned {
    op: Op,
    actor: Option<String>,
    expect: Option<Expected>,
    bind: Bind,
    returns: Option<Scalar>,
    post: Post,
}

/// Checks made on the outcome of an operation besides its result.
enum Post {
    None,
    Count(usize),
    /// How many `Next` fetched.
    Fetched(usize),
    /// `AccessCheckByTypeResultList`'s results: a granted mask, or
    /// `None` for a denied element.
    Results(Vec<Option<AccessMask>>),
    EnumCount(usize),
    Object {
        checked_as: Option<String>,
        granted: Option<AccessMask>,
    },
    /// The descriptor a `CreatePrivateObjectSecurityEx` call computed,
    /// expected as this SDDL.
    Descriptor(String),
    Saw {
        saw: Option<String>,
        via: Option<Named<names::Via>>,
        granted: Option<bool>,
        package: Option<Named<names::AuthScheme>>,
        status: Option<u16>,
    },
}

struct Runner {
    world: World,
    profile: Profile,
    reference: Rules,
    /// The names bound so far.
    names: BTreeMap<String, Bound>,
    /// Every binding in order, and the accounts the trace shows.
    table: NameTable,
    /// The step being carried out (0-based).
    step_index: usize,
    /// Decision steps still to be kept for `--explain`.
    detail_budget: usize,
    /// Service steps (moments the BITS service acted during `advance`)
    /// the run may still take.
    service_budget: u64,
    /// Why the run went past a budget, if it did.
    over_budget: Option<String>,
    /// What the setup did before the first step, with the rule for each.
    setup: Vec<(String, &'static str)>,
    access_cursor: BTreeMap<(JobId, bits::Resource), usize>,
    /// What servers saw, in order, over the run.
    seen_log: Vec<bits::RemoteSeen>,
    /// Where each `expect_server` left off, by server and job.
    server_cursor: BTreeMap<(String, Option<JobId>), usize>,
    participants: Vec<String>,
    /// The scenario's IIS sites.
    sites: Vec<scenario::format::SiteSpec>,
    /// The request each worker thread is serving.
    requests: BTreeMap<String, webhost::Request>,
    /// What `Impersonate(IntPtr.Zero)` saved, per worker thread.
    contexts: BTreeMap<String, webhost::ImpersonationContext>,
}

/// A step's own failure: why it could not be carried out.
pub type StepResult<T> = Result<T, String>;

impl Runner {
    fn new(
        world: World,
        profile: Profile,
        reference: Rules,
        sites: &[scenario::format::SiteSpec],
    ) -> Runner {
        let table = NameTable {
            service_thread: Some(world.bits.thread),
            ..NameTable::default()
        };
        Runner {
            world,
            profile,
            reference,
            names: BTreeMap::new(),
            table,
            step_index: 0,
            detail_budget: MAX_DETAIL_STEPS,
            service_budget: MAX_SERVICE_STEPS,
            over_budget: None,
            setup: Vec::new(),
            access_cursor: BTreeMap::new(),
            seen_log: Vec::new(),
            server_cursor: BTreeMap::new(),
            participants: Vec::new(),
            sites: sites.to_vec(),
            requests: BTreeMap::new(),
            contexts: BTreeMap::new(),
        }
    }

    /// Binds `name`, after the first `at` events of the current step.
    /// Puts the scenario's imported tokens on the host and binds their
    /// names, before the first step.
    fn bind_imports(&mut self, spec: &scenario::format::HostSpec) -> Result<(), host::HostError> {
        for (name, id) in host::import_tokens(&mut self.world, spec)? {
            let user = self
                .world
                .host
                .tokens
                .get(&id)
                .map(|t| t.token.user.sid.to_string())
                .unwrap_or_default();
            self.setup.push((
                format!("imported token {name} for {user}"),
                simos::rules::ids::IMPORTED_TOKEN,
            ));
            self.bind_name(&name, Bound::Token(id), 0);
        }
        Ok(())
    }

    fn bind_name(&mut self, name: &str, bound: Bound, at: usize) {
        let job = match bound {
            Bound::Pointer(p) => self.world.job_of(p).map(|j| j.id),
            _ => None,
        };
        self.names.insert(name.to_string(), bound);
        self.table.bindings.push(Binding {
            step: self.step_index,
            at,
            name: name.to_string(),
            bound,
            job,
        });
    }

    /// Records what an outcome caused on the step: its events (with the
    /// accounts they name) and, within the run's budget, its decisions.
    fn record_outcome(&mut self, outcome: &Outcome, record: &mut StepRecord) {
        let events = trace::events_of(outcome);
        for e in &events {
            for sid in trace::sids_of(e) {
                if !self.table.accounts.contains_key(sid) {
                    let name = self.account_of(sid);
                    self.table.accounts.insert(sid.clone(), name);
                }
            }
        }
        record.events.extend(events);
        self.seen_log.extend(outcome.remote.iter().cloned());
        for d in trace::details_of(outcome) {
            let weight = trace::detail_weight(&d);
            if weight <= self.detail_budget {
                self.detail_budget -= weight;
                record.details.push(d);
            } else {
                match record.details.last_mut() {
                    Some(Detail::Cut { steps }) => *steps = steps.saturating_add(weight),
                    _ => record.details.push(Detail::Cut { steps: weight }),
                }
            }
        }
        for id in trace::trail_rules(outcome) {
            if !record.trail_rules.contains(&id) {
                record.trail_rules.push(id);
            }
        }
    }

    fn step(&mut self, index: usize, line: usize, step: &Step) -> StepRecord {
        self.step_index = index;
        let (kind, args) = describe(step);
        let mut record = StepRecord {
            number: index + 1,
            line,
            actor: None,
            kind,
            args,
            result: None,
            events: Vec::new(),
            rules: Vec::new(),
            details: Vec::new(),
            trail_rules: Vec::new(),
            checks: Vec::new(),
            violations: Vec::new(),
            property_failures: Vec::new(),
            error: None,
        };
        if let Some(done) = self.web_step(step, &mut record) {
            if let Err(e) = done {
                record.error = Some(e);
            }
            return record;
        }
        match self.plan(step) {
            Ok(Some(planned)) => self.execute(planned, &mut record),
            Ok(None) => {
                if let Err(e) = self.expect(step, &mut record) {
                    record.error = Some(e);
                }
            }
            Err(e) => record.error = Some(e),
        }
        record
    }

    fn participant(&mut self, name: &str) {
        if !self.participants.iter().any(|p| p == name) {
            self.participants.push(name.to_string());
        }
    }

    /// The world and the names bound so far, for observing.
    fn view(&self) -> View<'_> {
        View {
            world: &self.world,
            names: &self.names,
        }
    }

    fn thread(&self, name: &str) -> StepResult<ThreadId> {
        self.view().thread(name)
    }

    fn token(&self, name: &str) -> StepResult<TokenId> {
        self.view().token(name)
    }

    fn pointer(&self, name: &str) -> StepResult<PointerId> {
        self.view().pointer(name)
    }

    fn job_id(&self, name: &str) -> StepResult<JobId> {
        self.view().job_id(name)
    }

    fn machine(&self) -> String {
        self.world.bits.machine.clone()
    }

    fn sid(&self, name: &str) -> StepResult<Sid> {
        self.view().sid(name)
    }

    fn sids(&self, names: &[String]) -> StepResult<Vec<Sid>> {
        self.view().sids(names)
    }

    fn name_of_job(&self, j: JobId) -> String {
        self.table
            .bindings
            .iter()
            .find(|b| b.job == Some(j))
            .map_or_else(|| format!("job#{}", j.0), |b| b.name.clone())
    }

    fn account_of(&self, sid: &Sid) -> String {
        self.view().account_of(sid)
    }

    /// A BITS call made by `thread`.
    fn bits(
        &self,
        thread: &str,
        call: Call,
        expect: Option<&Expected>,
        bind: Bind,
    ) -> StepResult<Planned> {
        Ok(Planned {
            op: Op::Bits {
                thread: self.thread(thread)?,
                call,
            },
            actor: Some(thread.to_string()),
            expect: expect.cloned(),
            bind,
            returns: None,
            post: Post::None,
        })
    }

    /// A method called by `thread` through the pointer named `job`.
    fn call_on(
        &self,
        thread: &str,
        job: &str,
        method: Method,
        expect: Option<&Expected>,
    ) -> StepResult<Planned> {
        let pointer = self.pointer(job)?;
        self.bits(thread, Call::Method { pointer, method }, expect, Bind::None)
    }

    fn method(&self, c: &JobCall, method: Method) -> StepResult<Planned> {
        let mut p = self.call_on(&c.thread, &c.job, method, c.expect.as_ref())?;
        p.bind = c.bind.clone().map_or(Bind::None, Bind::Pointer);
        p.returns = c.returns.clone();
        Ok(p)
    }

    fn set(&self, c: &JobSet, method: Method) -> StepResult<Planned> {
        self.call_on(&c.thread, &c.job, method, c.expect.as_ref())
    }

    fn host_op(
        &self,
        op: simos::Op,
        actor: Option<&str>,
        expect: Option<&Expected>,
        bind: Bind,
    ) -> Planned {
        Planned {
            op: Op::Host { op },
            actor: actor.map(str::to_string),
            expect: expect.cloned(),
            bind,
            returns: None,
            post: Post::None,
        }
    }

    /// The operation a step makes; `None` for expectations.
    #[allow(clippy::too_many_lines, reason = "one arm per step kind")]
    fn plan(&self, step: &Step) -> StepResult<Option<Planned>> {
        let machine = self.machine();
        let p = match step {
            Step::Logon(l) => {
                let (user, domain) = split_account(&self.world, &l.user);
                self.host_op(
                    simos::Op::InteractiveLogon {
                        machine: l.machine.clone().unwrap_or(machine),
                        user,
                        domain,
                        password: l
                            .password
                            .clone()
                            .unwrap_or_else(|| default_password(&l.user)),
                        ts_session: l.session.unwrap_or(1),
                        remote: l.remote,
                    },
                    None,
                    l.expect.as_ref(),
                    Bind::Thread(l.bind.clone().unwrap_or_else(|| l.user.clone())),
                )
            }
            Step::Logoff(name) => {
                let t = self.thread(name)?;
                let primary = self
                    .world
                    .host
                    .process_of(t)
                    .map(|p| p.primary_token)
                    .ok_or_else(|| format!("thread `{name}` has no process"))?;
                let logon = self
                    .world
                    .host
                    .token(primary)
                    .map(|t| t.logon)
                    .ok_or_else(|| format!("thread `{name}` has no logon session"))?;
                self.host_op(simos::Op::Logoff { logon }, None, None, Bind::None)
            }
            Step::EndSession(session) => self.host_op(
                simos::Op::EndTerminalSession {
                    machine,
                    session: *session,
                },
                None,
                None,
                Bind::None,
            ),
            Step::StartService(s) => {
                let account = match s.account.as_str() {
                    "LocalSystem" => ServiceAccount::Builtin(BuiltinIdentity::LocalSystem),
                    "LocalService" => ServiceAccount::Builtin(BuiltinIdentity::LocalService),
                    "NetworkService" => ServiceAccount::Builtin(BuiltinIdentity::NetworkService),
                    name => {
                        let (user, domain) = split_account(&self.world, name);
                        ServiceAccount::Account {
                            user,
                            domain,
                            password: s.password.clone().unwrap_or_else(|| default_password(name)),
                        }
                    }
                };
                let flow_policy = s.flow.as_ref().map(|f| vocab::flow_policy(f.get()));
                self.host_op(
                    simos::Op::StartService {
                        machine: s.machine.clone().unwrap_or(machine),
                        image: s.image.clone().unwrap_or_else(|| format!("{}.exe", s.bind)),
                        account,
                        flow_policy,
                    },
                    None,
                    s.expect.as_ref(),
                    Bind::Thread(s.bind.clone()),
                )
            }
            Step::RunAsAdmin(c) => {
                let t = self.thread(&c.thread)?;
                let linked = self
                    .world
                    .host
                    .process_of(t)
                    .and_then(|p| self.world.host.token(p.primary_token))
                    .and_then(|t| t.token.linked_token)
                    .ok_or_else(|| {
                        format!(
                            "thread `{}` has no elevated twin: its token is not a UAC-filtered administrator's",
                            c.thread
                        )
                    })?;
                self.host_op(
                    simos::Op::CreateProcessAsUser {
                        thread: t,
                        token: TokenId(linked),
                        image: "elevated.exe".to_string(),
                    },
                    Some(&c.thread),
                    c.expect.as_ref(),
                    c.bind.clone().map_or(Bind::None, Bind::Thread),
                )
            }
            Step::Network(state) => env(Op::Network {
                up: state.get() == names::NetworkState::Up,
            }),
            Step::BandwidthBlocked(blocked) => env(Op::BandwidthPolicy { blocked: *blocked }),
            Step::Publish(p) => env(match (&p.text, p.bytes) {
                (Some(text), _) => Op::PublishContent {
                    name: p.name.clone(),
                    content: simos::Content::of_text(text),
                },
                (None, bytes) => Op::Publish {
                    name: p.name.clone(),
                    bytes: bytes.unwrap_or(0),
                },
            }),
            Step::Advance(ticks) => env(Op::Advance { ticks: *ticks }),
            Step::SetAcl(a) => {
                let kind = object_kind(a.kind.as_ref());
                self.host_op(
                    simos::Op::Object(ObjectOp::Define {
                        machine: a.machine.clone().unwrap_or(machine),
                        path: a.path.clone(),
                        kind,
                        sddl: a.sddl.clone(),
                    }),
                    None,
                    None,
                    Bind::None,
                )
            }
            Step::CoInitializeSecurity(b) => {
                let mut p = env(Op::SetBlanket {
                    thread: self.thread(&b.thread)?,
                    level: vocab::level(b.level.get()),
                    cloaking: cloaking_of(b.cloaking.as_ref()),
                });
                p.actor = Some(b.thread.clone());
                p
            }
            Step::CoCreateInstance(c) => self.bits(
                &c.thread,
                Call::CoCreateInstance,
                c.expect.as_ref(),
                c.bind.clone().map_or(Bind::None, Bind::Pointer),
            )?,
            Step::CreateJob(c) => {
                let name = c
                    .name
                    .clone()
                    .or_else(|| c.bind.clone())
                    .unwrap_or_else(|| "job".to_string());
                let job_type = c
                    .job_type
                    .as_ref()
                    .map_or(bits::JobType::Download, |t| vocab::job_type(t.get()));
                let call = match &c.manager {
                    Some(m) => Call::Method {
                        pointer: self.pointer(m)?,
                        method: Method::CreateJob { name, job_type },
                    },
                    None => Call::CreateJob { name, job_type },
                };
                self.bits(
                    &c.thread,
                    call,
                    c.expect.as_ref(),
                    c.bind.clone().map_or(Bind::None, Bind::Pointer),
                )?
            }
            Step::GetJob(c) => {
                let job = self.job_id(&c.job)?;
                let call = match &c.manager {
                    Some(m) => Call::Method {
                        pointer: self.pointer(m)?,
                        method: Method::GetJob { job },
                    },
                    None => Call::GetJob { job },
                };
                self.bits(
                    &c.thread,
                    call,
                    c.expect.as_ref(),
                    c.bind.clone().map_or(Bind::None, Bind::Pointer),
                )?
            }
            Step::EnumJobs(c) => {
                let call = match &c.manager {
                    Some(m) => Call::Method {
                        pointer: self.pointer(m)?,
                        method: Method::EnumJobs {
                            all_users: c.all_users,
                        },
                    },
                    None => Call::EnumJobs {
                        all_users: c.all_users,
                    },
                };
                let mut p = self.bits(
                    &c.thread,
                    call,
                    c.expect.as_ref(),
                    c.bind.clone().map_or(Bind::None, Bind::Pointer),
                )?;
                p.post = c.count.map_or(Post::None, Post::EnumCount);
                p
            }
            Step::QueryInterface(c) => self.bits(
                &c.thread,
                Call::QueryInterface {
                    pointer: self.pointer(&c.job)?,
                    interface: vocab::interface(c.interface.get()),
                },
                c.expect.as_ref(),
                c.bind.clone().map_or(Bind::None, Bind::Pointer),
            )?,
            Step::Release(c) => {
                let mut p = self.bits(
                    &c.thread,
                    Call::Release {
                        pointer: self.pointer(&c.job)?,
                    },
                    c.expect.as_ref(),
                    Bind::None,
                )?;
                p.returns = c.returns.clone();
                p
            }
            Step::SetProperty(c) => self.call_on(
                &c.thread,
                &c.job,
                Method::SetProperty {
                    id: vocab::job_property(c.property.get()).value(),
                    value: property_value(c.property.get(), &c.value)?,
                },
                c.expect.as_ref(),
            )?,
            Step::GetProperty(c) => {
                let mut p = self.call_on(
                    &c.thread,
                    &c.job,
                    Method::GetProperty {
                        id: vocab::job_property(c.property.get()).value(),
                    },
                    c.expect.as_ref(),
                )?;
                p.returns = c.returns.clone();
                p
            }
            Step::Resume(c) => self.method(c, Method::Resume)?,
            Step::Suspend(c) => self.method(c, Method::Suspend)?,
            Step::Cancel(c) => self.method(c, Method::Cancel)?,
            Step::Complete(c) => self.method(c, Method::Complete)?,
            Step::AddFile(c) => self.call_on(
                &c.thread,
                &c.job,
                Method::AddFile {
                    remote: c.remote.clone(),
                    local: c.local.clone(),
                },
                c.expect.as_ref(),
            )?,
            Step::AddFileSet(c) => self.call_on(
                &c.thread,
                &c.job,
                Method::AddFileSet {
                    files: c
                        .files
                        .iter()
                        .map(|f| bits::FileSpec {
                            remote: f.remote.clone(),
                            local: f.local.clone(),
                        })
                        .collect(),
                },
                c.expect.as_ref(),
            )?,
            Step::GetState(c) => self.method(c, Method::GetState)?,
            Step::GetProgress(c) => self.method(c, Method::GetProgress)?,
            Step::GetError(c) => self.method(c, Method::GetError)?,
            Step::GetErrorCount(c) => self.method(c, Method::GetErrorCount)?,
            Step::GetOwner(c) => self.method(c, Method::GetOwner)?,
            Step::GetId(c) => self.method(c, Method::GetId)?,
            Step::GetType(c) => self.method(c, Method::GetType)?,
            Step::GetTimes(c) => self.method(c, Method::GetTimes)?,
            Step::GetDisplayName(c) => self.method(c, Method::GetDisplayName)?,
            Step::SetDisplayName(c) => self.set(
                c,
                Method::SetDisplayName {
                    name: text(&c.value),
                },
            )?,
            Step::GetDescription(c) => self.method(c, Method::GetDescription)?,
            Step::SetDescription(c) => self.set(
                c,
                Method::SetDescription {
                    description: text(&c.value),
                },
            )?,
            Step::SetPriority(c) => self.set(
                c,
                Method::SetPriority {
                    priority: flags(&c.value)?,
                },
            )?,
            Step::GetPriority(c) => self.method(c, Method::GetPriority)?,
            Step::SetNotifyFlags(c) => self.set(
                c,
                Method::SetNotifyFlags {
                    flags: flags(&c.value)?,
                },
            )?,
            Step::GetNotifyFlags(c) => self.method(c, Method::GetNotifyFlags)?,
            Step::SetNotifyInterface(c) => self.set(
                c,
                Method::SetNotifyInterface {
                    set: c.value.0 == "true",
                },
            )?,
            Step::GetNotifyInterface(c) => self.method(c, Method::GetNotifyInterface)?,
            Step::SetMinimumRetryDelay(c) => self.set(
                c,
                Method::SetMinimumRetryDelay {
                    seconds: u64::from(flags(&c.value)?),
                },
            )?,
            Step::GetMinimumRetryDelay(c) => self.method(c, Method::GetMinimumRetryDelay)?,
            Step::SetNoProgressTimeout(c) => self.set(
                c,
                Method::SetNoProgressTimeout {
                    seconds: u64::from(flags(&c.value)?),
                },
            )?,
            Step::GetNoProgressTimeout(c) => self.method(c, Method::GetNoProgressTimeout)?,
            Step::SetProxySettings(c) => self.call_on(
                &c.thread,
                &c.job,
                Method::SetProxySettings {
                    usage: flags(&c.usage)?,
                    list: c.list.clone(),
                    bypass: c.bypass.clone(),
                },
                c.expect.as_ref(),
            )?,
            Step::TakeOwnership(c) => self.method(c, Method::TakeOwnership)?,
            Step::EnumFiles(c) => self.method(c, Method::EnumFiles)?,
            Step::SetNotifyCmdLine(c) => self.call_on(
                &c.thread,
                &c.job,
                Method::SetNotifyCmdLine {
                    program: c.program.clone(),
                    parameters: c.parameters.clone(),
                },
                c.expect.as_ref(),
            )?,
            Step::SetCredentials(c) | Step::RemoveCredentials(c) => {
                let target = flags(&c.target)?;
                let scheme = flags(&c.scheme)?;
                let method = if matches!(step, Step::SetCredentials(_)) {
                    Method::SetCredentials {
                        target,
                        scheme,
                        user: c.user.clone(),
                        password: c.password.clone(),
                    }
                } else {
                    Method::RemoveCredentials { target, scheme }
                };
                self.call_on(&c.thread, &c.job, method, c.expect.as_ref())?
            }
            Step::GetOwnerElevationState(c) => self.method(c, Method::GetOwnerElevationState)?,
            Step::GetOwnerIntegrityLevel(c) => self.method(c, Method::GetOwnerIntegrityLevel)?,
            Step::SetClientCertificate(c) => self.set(
                c,
                Method::SetClientCertificate {
                    path: c.value.0.clone(),
                },
            )?,
            Step::RemoveClientCertificate(c) => self.method(c, Method::RemoveClientCertificate)?,
            Step::SetCustomHeaders(c) => self.set(
                c,
                Method::SetCustomHeaders {
                    headers: text(&c.value),
                },
            )?,
            Step::GetCustomHeaders(c) => self.method(c, Method::GetCustomHeaders)?,
            Step::SetSecurityFlags(c) => self.set(
                c,
                Method::SetSecurityFlags {
                    flags: flags(&c.value)?,
                },
            )?,
            Step::GetSecurityFlags(c) => self.method(c, Method::GetSecurityFlags)?,
            Step::SetHelperToken(c) => self.method(c, Method::SetHelperToken)?,
            Step::SetHelperTokenFlags(c) => self.set(
                c,
                Method::SetHelperTokenFlags {
                    flags: flags(&c.value)?,
                },
            )?,
            Step::GetHelperTokenFlags(c) => self.method(c, Method::GetHelperTokenFlags)?,
            Step::ClearHelperToken(c) => self.method(c, Method::ClearHelperToken)?,
            Step::GetHelperTokenSid(c) => self.method(c, Method::GetHelperTokenSid)?,
            Step::GetRemoteName(c) => self.method(c, Method::GetRemoteName)?,
            Step::GetLocalName(c) => self.method(c, Method::GetLocalName)?,
            Step::GetFileProgress(c) => self.method(c, Method::GetFileProgress)?,
            Step::Next(c) => {
                let mut p = self.call_on(
                    &c.thread,
                    &c.job,
                    Method::Next {
                        count: c.count,
                        fetched: c.fetched,
                    },
                    c.expect.as_ref(),
                )?;
                p.bind = Bind::Pointers(c.bind.clone());
                p.post = c.returns.map_or(Post::None, |n| Post::Fetched(n as usize));
                p
            }
            Step::Skip(c) => self.set(
                c,
                Method::Skip {
                    count: flags(&c.value)?,
                },
            )?,
            Step::Reset(c) => self.method(c, Method::Reset)?,
            Step::GetCount(c) => self.method(c, Method::GetCount)?,
            Step::LogonUser(c) => {
                let (user, domain) = split_account(&self.world, &c.user);
                self.host_op(
                    simos::Op::LogonUser {
                        thread: self.thread(&c.thread)?,
                        user,
                        domain,
                        password: c
                            .password
                            .clone()
                            .unwrap_or_else(|| default_password(&c.user)),
                        logon_type: vocab::logon_type(c.logon_type.get()),
                    },
                    Some(&c.thread),
                    c.expect.as_ref(),
                    c.bind.clone().map_or(Bind::None, Bind::Token),
                )
            }
            Step::S4uLogon(c) => self.host_op(
                simos::Op::S4uLogon {
                    thread: self.thread(&c.thread)?,
                    upn: c.upn.clone(),
                },
                Some(&c.thread),
                c.expect.as_ref(),
                c.bind.clone().map_or(Bind::None, Bind::Token),
            ),
            Step::ImpersonateLoggedOnUser(c) | Step::WindowsIdentityImpersonate(c) => {
                let thread = self.thread(&c.thread)?;
                let token = self.token(need(&c.token, "token")?)?;
                let op = if matches!(step, Step::ImpersonateLoggedOnUser(_)) {
                    simos::Op::ImpersonateLoggedOnUser { thread, token }
                } else {
                    simos::Op::ManagedImpersonate { thread, token }
                };
                self.host_op(op, Some(&c.thread), c.expect.as_ref(), Bind::None)
            }
            Step::ImpersonateNamedPipeClient(c) => self.host_op(
                simos::Op::ImpersonateNamedPipeClient {
                    thread: self.thread(&c.thread)?,
                    client: self.thread(&c.client)?,
                    client_allows: vocab::level(c.level.get()),
                },
                Some(&c.thread),
                c.expect.as_ref(),
                Bind::None,
            ),
            Step::ImpersonateSelf(c) => self.host_op(
                simos::Op::ImpersonateSelf {
                    thread: self.thread(&c.thread)?,
                    level: vocab::level(
                        c.level
                            .as_ref()
                            .ok_or_else(|| "this call needs `level`".to_string())?
                            .get(),
                    ),
                },
                Some(&c.thread),
                c.expect.as_ref(),
                Bind::None,
            ),
            Step::SetThreadToken(c) => self.host_op(
                simos::Op::SetThreadToken {
                    thread: self.thread(&c.thread)?,
                    token: match &c.token {
                        Some(t) => Some(self.token(t)?),
                        None => None,
                    },
                },
                Some(&c.thread),
                c.expect.as_ref(),
                Bind::None,
            ),
            Step::RevertToSelf(c) => self.host_op(
                simos::Op::RevertToSelf {
                    thread: self.thread(&c.thread)?,
                },
                Some(&c.thread),
                c.expect.as_ref(),
                Bind::None,
            ),
            Step::OpenThreadToken(c) => self.host_op(
                simos::Op::OpenThreadToken {
                    thread: self.thread(&c.thread)?,
                },
                Some(&c.thread),
                c.expect.as_ref(),
                c.bind.clone().map_or(Bind::None, Bind::Token),
            ),
            Step::DuplicateToken(c) => self.host_op(
                simos::Op::DuplicateToken {
                    thread: self.thread(&c.thread)?,
                    token: self.token(need(&c.token, "token")?)?,
                    level: level_or_impersonation(c.level.as_ref()),
                },
                Some(&c.thread),
                c.expect.as_ref(),
                c.bind.clone().map_or(Bind::None, Bind::Token),
            ),
            Step::DuplicateTokenEx(c) | Step::DuplicateTokenExPrimary(c) => self.host_op(
                simos::Op::DuplicateTokenEx {
                    thread: self.thread(&c.thread)?,
                    token: self.token(need(&c.token, "token")?)?,
                    level: level_or_impersonation(c.level.as_ref()),
                    primary: matches!(step, Step::DuplicateTokenExPrimary(_)),
                },
                Some(&c.thread),
                c.expect.as_ref(),
                c.bind.clone().map_or(Bind::None, Bind::Token),
            ),
            Step::CreateRestrictedToken(c) => self.host_op(
                simos::Op::CreateRestrictedToken {
                    thread: self.thread(&c.thread)?,
                    token: self.token(&c.token)?,
                    disable: self.sids(&c.disable)?,
                    delete_privileges: c
                        .delete_privileges
                        .iter()
                        .map(|p| privilege(p))
                        .collect::<StepResult<_>>()?,
                    restrict: self.sids(&c.restrict)?,
                },
                Some(&c.thread),
                c.expect.as_ref(),
                c.bind.clone().map_or(Bind::None, Bind::Token),
            ),
            Step::AdjustTokenPrivileges(c) => {
                let list = |names: &[String]| {
                    names
                        .iter()
                        .map(|p| privilege(p))
                        .collect::<StepResult<Vec<_>>>()
                };
                self.host_op(
                    simos::Op::AdjustTokenPrivileges {
                        thread: self.thread(&c.thread)?,
                        token: c.token.as_deref().map(|t| self.token(t)).transpose()?,
                        enable: list(&c.enable)?,
                        disable: list(&c.disable)?,
                    },
                    Some(&c.thread),
                    c.expect.as_ref(),
                    Bind::None,
                )
            }
            Step::ComCall(c) => self.host_op(
                simos::Op::ComCall {
                    thread: self.thread(&c.thread)?,
                    client: self.thread(&c.client)?,
                    client_level: vocab::level(c.level.get()),
                    cloaking: cloaking_of(c.cloaking.as_ref()),
                },
                Some(&c.thread),
                c.expect.as_ref(),
                Bind::None,
            ),
            Step::SuppressFlow(c) | Step::RestoreFlow(c) => self.host_op(
                simos::Op::SuppressFlow {
                    thread: self.thread(&c.thread)?,
                    suppress: matches!(step, Step::SuppressFlow(_)),
                },
                Some(&c.thread),
                c.expect.as_ref(),
                Bind::None,
            ),
            Step::CreateProcess(c) => self.host_op(
                simos::Op::CreateProcess {
                    thread: self.thread(&c.thread)?,
                    image: c.image.clone().unwrap_or_else(|| "child.exe".to_string()),
                },
                Some(&c.thread),
                c.expect.as_ref(),
                c.bind.clone().map_or(Bind::None, Bind::Thread),
            ),
            Step::CreateProcessAsUser(c) => self.host_op(
                simos::Op::CreateProcessAsUser {
                    thread: self.thread(&c.thread)?,
                    token: self.token(need(&c.token, "token")?)?,
                    image: c.image.clone().unwrap_or_else(|| "child.exe".to_string()),
                },
                Some(&c.thread),
                c.expect.as_ref(),
                c.bind.clone().map_or(Bind::None, Bind::Thread),
            ),
            Step::CreateThread(c) => self.host_op(
                simos::Op::CreateThread {
                    thread: self.thread(&c.thread)?,
                    how: vocab::thread_start(c.how.get()),
                },
                Some(&c.thread),
                c.expect.as_ref(),
                Bind::Thread(c.bind.clone()),
            ),
            Step::CreateFile(c) | Step::OpenFile(c) => {
                let thread = self.thread(&c.thread)?;
                let desired = mask(c.desired.as_deref().unwrap_or("GENERIC_READ"))?;
                let op = if matches!(step, Step::CreateFile(_)) {
                    ObjectOp::Create {
                        thread,
                        path: c.path.clone(),
                        kind: object_kind(c.kind.as_ref()),
                        sddl: c.sddl.clone(),
                        desired,
                    }
                } else {
                    ObjectOp::Open {
                        thread,
                        path: c.path.clone(),
                        desired,
                        backup_intent: c.backup_intent,
                    }
                };
                let mut p = self.host_op(
                    simos::Op::Object(op),
                    Some(&c.thread),
                    c.expect.as_ref(),
                    Bind::None,
                );
                p.post = Post::Object {
                    checked_as: c.checked_as.clone(),
                    granted: c.granted.as_deref().map(mask).transpose()?,
                };
                p
            }
            Step::AccessCheck(c) => {
                let principal_self = match &c.principal_self {
                    Some(who) => Some(self.sid(who)?),
                    None => None,
                };
                let object_types = c
                    .object_types
                    .iter()
                    .map(|t| object_type(t))
                    .collect::<StepResult<Vec<_>>>()?;
                let mut p = self.host_op(
                    simos::Op::Object(ObjectOp::AccessCheck {
                        thread: self.thread(&c.thread)?,
                        token: self.token(&c.token)?,
                        sddl: c.sddl.clone(),
                        path: c.path.clone(),
                        kind: object_kind(c.kind.as_ref()),
                        desired: mask(&c.desired)?,
                        principal_self,
                        object_types,
                        result_list: c.result_list,
                    }),
                    Some(&c.thread),
                    c.expect.as_ref(),
                    Bind::None,
                );
                p.post = Post::Object {
                    checked_as: None,
                    granted: c.granted.as_deref().map(mask).transpose()?,
                };
                if !c.results.is_empty() {
                    p.post = Post::Results(
                        c.results
                            .iter()
                            .map(|r| match r.as_str() {
                                "denied" => Ok(None),
                                m => mask(m).map(Some),
                            })
                            .collect::<StepResult<_>>()?,
                    );
                }
                p
            }
            Step::CreatePrivateObjectSecurity(c) => {
                let mut p = self.host_op(
                    simos::Op::Object(ObjectOp::PrivateSecurity {
                        thread: self.thread(&c.thread)?,
                        token: c.token.as_deref().map(|t| self.token(t)).transpose()?,
                        parent: c.parent.clone(),
                        creator: c.creator.clone(),
                        container: c.container,
                        kind: object_kind(c.kind.as_ref()),
                        auto_inherit_dacl: c
                            .auto_inherit
                            .iter()
                            .any(|p| p.value == names::AclPart::Dacl),
                        auto_inherit_sacl: c
                            .auto_inherit
                            .iter()
                            .any(|p| p.value == names::AclPart::Sacl),
                    }),
                    Some(&c.thread),
                    c.expect.as_ref(),
                    Bind::None,
                );
                if let Some(sddl) = &c.sddl {
                    p.post = Post::Descriptor(sddl.clone());
                }
                p
            }
            Step::SetFileSecurity(c) => self.host_op(
                simos::Op::Object(ObjectOp::SetSecurity {
                    thread: self.thread(&c.thread)?,
                    path: c.path.clone(),
                    sddl: need(&c.sddl, "sddl")?.to_string(),
                }),
                Some(&c.thread),
                c.expect.as_ref(),
                Bind::None,
            ),
            Step::DeleteFile(c) => self.host_op(
                simos::Op::Object(ObjectOp::Delete {
                    thread: self.thread(&c.thread)?,
                    path: c.path.clone(),
                }),
                Some(&c.thread),
                c.expect.as_ref(),
                Bind::None,
            ),
            Step::AccessServer(c) => {
                let mut p = self.host_op(
                    simos::Op::Network(NetworkOp::Access {
                        thread: self.thread(&c.thread)?,
                        server: c.server.clone(),
                        desired: mask(c.desired.as_deref().unwrap_or("GENERIC_READ"))?,
                    }),
                    Some(&c.thread),
                    c.expect.as_ref(),
                    c.bind.clone().map_or(Bind::None, Bind::RemoteToken),
                );
                p.post = Post::Saw {
                    saw: c.saw.clone(),
                    via: c.via.clone(),
                    granted: c.granted,
                    package: c.package.clone(),
                    status: c.status,
                };
                p
            }
            Step::Expect(_)
            | Step::ExpectThread(_)
            | Step::ExpectToken(_)
            | Step::ExpectAccess(_)
            | Step::ExpectServer(_)
            | Step::ExpectFile(_) => return Ok(None),
            Step::StartSite(_)
            | Step::WebRequest(_)
            | Step::ImpersonateIntPtrZero(_)
            | Step::Undo(_) => return Err("a web-host step is not a single operation".to_string()),
        };
        let mut p = p;
        if let (Post::None, Step::GetCount(c)) = (&p.post, step) {
            if let Some(r) = &c.returns {
                if let Ok(n) = r.0.parse::<usize>() {
                    p.post = Post::Count(n);
                    p.returns = None;
                }
            }
        }
        Ok(Some(p))
    }

    fn execute(&mut self, p: Planned, record: &mut StepRecord) {
        if let Some(a) = &p.actor {
            self.participant(a);
        }
        record.actor = p.actor.clone();
        let before = self.world.clone();
        let outcome = self.world.apply(&p.op);
        self.service_budget = self.service_budget.saturating_sub(outcome.service_steps);
        if outcome.budget_spent || self.service_budget == 0 {
            self.over_budget = Some(format!(
                "the service acts at more than {} moments during this advance (or {} in the run): the simulation's budget; advance less, or give the jobs less to do",
                bits::engine::MAX_ADVANCE_EVENTS,
                MAX_SERVICE_STEPS
            ));
        }
        record.result = Some(ResultText {
            name: result_name(&outcome),
            hex: format!("0x{:08X}", outcome.hr.code()),
        });
        record.rules = dedup(&outcome.rules);
        // Bind names first so the step's events show them.
        let bound = self.bind(&p.bind, &outcome);
        self.record_outcome(&outcome, record);
        let expected = p
            .expect
            .as_ref()
            .and_then(|e| e.for_profile(self.profile.name()));
        let ok = match expected {
            Some(choice) => choice.holds(|name| result_matches(name, &outcome)),
            None => outcome.hr.succeeded(),
        };
        record.checks.push(Check {
            what: "result".to_string(),
            expected: expected.map_or_else(|| "success".to_string(), ToString::to_string),
            actual: result_name(&outcome),
            ok,
        });
        if let Err(e) = bound {
            if ok && outcome.hr.succeeded() {
                record.error = Some(e);
            }
        }
        if let Some(r) = &p.returns {
            let actual = self.render_value(&outcome.value);
            let ok = self.value_matches(&r.0, &outcome.value);
            record.checks.push(Check {
                what: "returns".to_string(),
                expected: r.0.clone(),
                actual,
                ok,
            });
        }
        self.post(&p.post, &outcome, record);
        record.violations = oracle::check_all(&Transition {
            before: &before,
            op: &p.op,
            outcome: &outcome,
            after: &self.world,
            rules: &self.reference,
        });
    }

    fn bind(&mut self, bind: &Bind, outcome: &Outcome) -> StepResult<()> {
        let host_value = outcome.host_result.as_ref().and_then(|r| r.value());
        match bind {
            Bind::None => Ok(()),
            Bind::Thread(name) => match host_value {
                Some(simos::Value::Process { thread, .. } | simos::Value::Thread { thread }) => {
                    self.bind_name(name, Bound::Thread(*thread), 0);
                    self.participant(name);
                    Ok(())
                }
                _ => Err(format!("no thread to name `{name}`")),
            },
            Bind::Token(name) => match host_value {
                Some(simos::Value::Token { token }) => {
                    self.bind_name(name, Bound::Token(*token), 0);
                    Ok(())
                }
                _ => Err(format!("no token to name `{name}`")),
            },
            Bind::RemoteToken(name) => match host_value {
                Some(simos::Value::Remote(remote)) => match remote.remote_token {
                    Some(token) => {
                        self.bind_name(name, Bound::Token(token), 0);
                        Ok(())
                    }
                    None => Err(format!(
                        "the server holds no token for the caller to name `{name}`"
                    )),
                },
                _ => Err(format!("no remote access to name `{name}`")),
            },
            Bind::Pointer(name) => match &outcome.value {
                Value::Job { pointer, .. } | Value::Pointer { pointer } => {
                    self.bind_name(name, Bound::Pointer(*pointer), 0);
                    Ok(())
                }
                _ => Err(format!("no interface pointer to name `{name}`")),
            },
            Bind::Pointers(names) => {
                let pointers = match &outcome.value {
                    Value::Pointers { pointers } => pointers.clone(),
                    _ => Vec::new(),
                };
                for (name, pointer) in names.iter().zip(pointers.iter()) {
                    self.bind_name(name, Bound::Pointer(*pointer), 0);
                }
                if names.len() > pointers.len() {
                    return Err(format!(
                        "Next returned {} pointers; {} names were given",
                        pointers.len(),
                        names.len()
                    ));
                }
                Ok(())
            }
        }
    }

    fn post(&mut self, post: &Post, outcome: &Outcome, record: &mut StepRecord) {
        match post {
            Post::None => {}
            Post::Count(n) => {
                let actual = match outcome.value {
                    Value::Number { number } => number.to_string(),
                    _ => "nothing".to_string(),
                };
                record.checks.push(Check {
                    what: "count".to_string(),
                    expected: n.to_string(),
                    ok: actual == n.to_string(),
                    actual,
                });
            }
            Post::Results(want) => {
                let got: Vec<Option<AccessMask>> =
                    match outcome.host_result.as_ref().and_then(|r| r.value()) {
                        Some(simos::Value::Object(access)) => access
                            .results
                            .iter()
                            .flatten()
                            .map(|e| e.access_status.then_some(e.granted))
                            .collect(),
                        _ => Vec::new(),
                    };
                let show = |list: &[Option<AccessMask>]| {
                    format!(
                        "[{}]",
                        list.iter()
                            .map(|r| r.map_or_else(|| "denied".to_string(), |m| m.to_string()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                record.checks.push(Check {
                    what: "results".to_string(),
                    expected: show(want),
                    actual: show(&got),
                    ok: got == *want,
                });
            }
            Post::Fetched(n) => {
                let actual = outcome
                    .count
                    .map_or_else(|| "nothing".to_string(), |c| c.to_string());
                record.checks.push(Check {
                    what: "fetched".to_string(),
                    expected: n.to_string(),
                    ok: outcome.count == Some(*n as u64),
                    actual,
                });
            }
            Post::EnumCount(n) => {
                let actual = match &outcome.value {
                    Value::Pointer { pointer } => match self.world.bits.pointers.get(pointer) {
                        Some(bits::world::Pointer {
                            target: bits::world::Target::Jobs { items, .. },
                            ..
                        }) => items.len(),
                        _ => 0,
                    },
                    _ => 0,
                };
                record.checks.push(Check {
                    what: "jobs listed".to_string(),
                    expected: n.to_string(),
                    actual: actual.to_string(),
                    ok: actual == *n,
                });
            }
            Post::Descriptor(want) => {
                let ctx = self.world.host.domain_context(&self.world.bits.machine);
                // Both sides as Windows would print them, so `BA` and its
                // SID string compare equal.
                let expected = winsec::sddl::parse(want, &ctx)
                    .map_or_else(|_| want.clone(), |sd| winsec::sddl::print(&sd, &ctx));
                let actual = match outcome.host_result.as_ref().and_then(|r| r.value()) {
                    Some(simos::Value::Object(access)) => Some(access.sddl.clone()),
                    _ => None,
                };
                record.checks.push(Check {
                    what: "new descriptor".to_string(),
                    ok: actual.as_deref() == Some(expected.as_str()),
                    expected,
                    actual: actual.unwrap_or_else(|| "none".to_string()),
                });
            }
            Post::Object {
                checked_as,
                granted,
            } => {
                if let Some(who) = checked_as {
                    let user = outcome.host_events.iter().rev().find_map(|e| match e {
                        simos::Event::Access { user, .. } => Some(user.clone()),
                        _ => None,
                    });
                    let expected = self.sid(who);
                    record.checks.push(Check {
                        what: "access checked as".to_string(),
                        expected: who.clone(),
                        actual: user
                            .as_ref()
                            .map_or_else(|| "nobody".to_string(), |u| self.account_of(u)),
                        ok: matches!((&expected, &user), (Ok(e), Some(u)) if e == u),
                    });
                }
                if let Some(expected) = granted {
                    let actual = match outcome.host_result.as_ref().and_then(|r| r.value()) {
                        Some(simos::Value::Object(access)) => Some(access.granted),
                        _ => None,
                    };
                    record.checks.push(Check {
                        what: "granted access".to_string(),
                        expected: expected.to_string(),
                        actual: actual.map_or_else(|| "no handle".to_string(), |g| g.to_string()),
                        ok: actual == Some(*expected),
                    });
                }
            }
            Post::Saw {
                saw,
                via,
                granted,
                package,
                status,
            } => {
                let remote = match outcome.host_result.as_ref().and_then(|r| r.value()) {
                    Some(simos::Value::Remote(r)) => Some(r.as_ref().clone()),
                    _ => None,
                };
                // The server itself, not a proxy on the way.
                let far = outcome.remote.iter().rev().find(|r| !r.seen.proxy);
                if let Some(want) = package {
                    let actual = far.and_then(|r| r.seen.package);
                    record.checks.push(Check {
                        what: "package".to_string(),
                        expected: want.to_string(),
                        actual: actual.map_or_else(|| "none".to_string(), |p| trace::snake(&p)),
                        ok: actual == Some(vocab::auth_scheme(want.get())),
                    });
                }
                if let Some(want) = status {
                    let actual = far.and_then(|r| r.seen.http_status);
                    record.checks.push(Check {
                        what: "HTTP status".to_string(),
                        expected: want.to_string(),
                        actual: actual.map_or_else(|| "none".to_string(), |s| s.to_string()),
                        ok: actual == Some(*want),
                    });
                }
                if let Some(saw) = saw {
                    let actual = remote.as_ref().map_or_else(
                        || "no connection".to_string(),
                        |r| {
                            r.identity
                                .as_ref()
                                .map_or_else(|| "nobody".to_string(), |i| i.account.clone())
                        },
                    );
                    let ok = match (&remote, self.sid(saw)) {
                        (Some(r), Ok(sid)) => r.identity.as_ref().is_some_and(|i| i.sid == sid),
                        _ => false,
                    };
                    record.checks.push(Check {
                        what: "server saw".to_string(),
                        expected: saw.clone(),
                        actual,
                        ok,
                    });
                }
                if let Some(want) = granted {
                    let actual = remote
                        .as_ref()
                        .map(simos::network::RemoteAccess::is_granted);
                    record.checks.push(Check {
                        what: "server granted".to_string(),
                        expected: want.to_string(),
                        actual: actual
                            .map_or_else(|| "no connection".to_string(), |g| g.to_string()),
                        ok: actual == Some(*want),
                    });
                }
                if let Some(via) = via {
                    let actual = remote
                        .as_ref()
                        .map_or_else(|| "no connection".to_string(), |r| trace::snake(&r.how));
                    record.checks.push(Check {
                        what: "identity reached it by".to_string(),
                        expected: via.to_string(),
                        ok: remote
                            .as_ref()
                            .is_some_and(|r| r.how == vocab::mechanism(via.get())),
                        actual,
                    });
                }
            }
        }
    }

    fn render_value(&self, v: &Value) -> String {
        match v {
            Value::None => "nothing".to_string(),
            Value::Job { job, .. } | Value::Id { job } => self.name_of_job(*job),
            Value::Pointer { .. } => "a pointer".to_string(),
            Value::Pointers { pointers } => format!("{} pointers", pointers.len()),
            Value::State { state } => state.name().to_string(),
            Value::Progress(p) => format!(
                "{}/{} bytes, {}/{} files",
                p.bytes_transferred, p.bytes_total, p.files_transferred, p.files_total
            ),
            Value::FileProgress {
                bytes_total,
                bytes_transferred,
                completed,
            } => format!(
                "{bytes_transferred}/{bytes_total} bytes{}",
                if *completed { ", completed" } else { "" }
            ),
            Value::Error { context, code, .. } => format!("{} in {}", code.name(), context.name()),
            Value::Text { text } => text.clone().unwrap_or_else(|| "null".to_string()),
            Value::Number { number } => number.to_string(),
            Value::Bool { flag } => flag.to_string(),
            Value::Times(t) => format!(
                "created {}, modified {}, completed {}",
                t.creation, t.modification, t.transfer_completion
            ),
            Value::Type { job_type } => trace::snake(job_type),
        }
    }

    fn value_matches(&self, expected: &str, v: &Value) -> bool {
        match v {
            Value::State { state } => JobState::from_name(expected) == Some(*state),
            Value::Number { number } => {
                expected.parse::<u64>().is_ok_and(|n| n == *number)
                    || names::parse_flags(expected).is_some_and(|n| u64::from(n) == *number)
            }
            Value::Error { code, .. } => result_name_matches(expected, *code),
            Value::Text { text: Some(t) } => {
                if t == expected {
                    return true;
                }
                // A SID compared with an account name.
                match (t.parse::<Sid>(), self.sid(expected)) {
                    (Ok(a), Ok(b)) => a == b,
                    _ => false,
                }
            }
            other => self.render_value(other) == expected,
        }
    }

    /// Carries out an expectation step.
    fn expect(&mut self, step: &Step, record: &mut StepRecord) -> StepResult<()> {
        let only = match step {
            Step::Expect(e) => &e.only,
            Step::ExpectThread(e) => &e.only,
            Step::ExpectToken(e) => &e.only,
            Step::ExpectAccess(e) => &e.only,
            Step::ExpectServer(e) => &e.only,
            Step::ExpectFile(e) => &e.only,
            _ => return Ok(()),
        };
        if !only.is_empty() && !only.iter().any(|p| vocab::profile(p.get()) == self.profile) {
            record.args.push_str(" (not checked under this profile)");
            return Ok(());
        }
        match step {
            Step::Expect(e) => record.checks.extend(observe::job(&self.view(), e)?),
            Step::ExpectThread(e) => record.checks.extend(observe::thread(&self.view(), e)?),
            Step::ExpectToken(e) => record.checks.extend(observe::token(&self.view(), e)?),
            Step::ExpectServer(e) => {
                let job = e.job.as_deref().map(|j| self.job_id(j)).transpose()?;
                let saw = match e.saw.as_deref() {
                    None | Some("nobody") => None,
                    Some(name) => Some(self.sid(name)?),
                };
                let key = (e.server.to_ascii_lowercase(), job);
                let from = self.server_cursor.get(&key).copied().unwrap_or(0);
                let from = from.min(self.seen_log.len());
                let mut seen = Vec::new();
                let mut found = false;
                for r in &self.seen_log[from..] {
                    if !r.seen.server.eq_ignore_ascii_case(&e.server)
                        || (job.is_some() && r.job != job)
                    {
                        continue;
                    }
                    let who = r
                        .seen
                        .identity
                        .as_ref()
                        .map_or_else(|| "nobody".to_string(), |i| i.account.clone());
                    seen.push(format!(
                        "{who}{}{} {}",
                        r.seen
                            .package
                            .map_or_else(String::new, |p| format!(" by {}", trace::snake(&p))),
                        r.seen
                            .http_status
                            .map_or_else(String::new, |h| format!(", HTTP {h}")),
                        if r.seen.granted { "granted" } else { "denied" }
                    ));
                    let matches = match (&e.saw, &saw) {
                        (None, _) => true,
                        (Some(_), None) => r.seen.identity.is_none(),
                        (Some(_), Some(sid)) => {
                            r.seen.identity.as_ref().is_some_and(|i| i.sid == *sid)
                        }
                    } && absent_or(e.package.as_ref(), |p| {
                        r.seen.package == Some(vocab::auth_scheme(p.get()))
                    }) && absent_or(e.status, |s| r.seen.http_status == Some(s))
                        && absent_or(e.granted, |g| g == r.seen.granted);
                    found |= matches;
                }
                self.server_cursor.insert(key, self.seen_log.len());
                let mut want = Vec::new();
                if let Some(s) = &e.saw {
                    want.push(s.clone());
                }
                if let Some(p) = &e.package {
                    want.push(format!("by {p}"));
                }
                if let Some(st) = e.status {
                    want.push(format!("HTTP {st}"));
                }
                if let Some(g) = e.granted {
                    want.push(if g { "granted" } else { "denied" }.to_string());
                }
                record.checks.push(happened_check(
                    &format!("access seen by {}", e.server),
                    e.happened,
                    &want,
                    &seen,
                    found,
                ));
            }
            Step::ExpectFile(e) => {
                let machine = e.machine.clone().unwrap_or_else(|| self.machine());
                let host = &self.world.host;
                let content = host.file_content(&machine, &e.path);
                let mut check = |what: &str, expected: String, actual: String, ok: bool| {
                    record.checks.push(Check {
                        what: what.to_string(),
                        expected,
                        actual,
                        ok,
                    });
                };
                let shown = |c: &Option<simos::Content>| {
                    c.as_ref().map_or_else(
                        || "no such file".to_string(),
                        |c| format!("{} bytes", c.bytes),
                    )
                };
                if let Some(want) = e.exists {
                    check(
                        "exists",
                        want.to_string(),
                        content.is_some().to_string(),
                        content.is_some() == want,
                    );
                }
                if let Some(want) = e.bytes {
                    check(
                        "bytes",
                        want.to_string(),
                        shown(&content),
                        content.as_ref().is_some_and(|c| c.bytes == want),
                    );
                }
                if let Some(other) = &e.same_as {
                    let theirs = host.file_content(&machine, other);
                    check(
                        &format!("same content as {other}"),
                        "true".to_string(),
                        match (&content, &theirs) {
                            (Some(a), Some(b)) => (a == b).to_string(),
                            (None, _) => "no such file".to_string(),
                            (_, None) => format!("{other}: no such file"),
                        },
                        matches!((&content, &theirs), (Some(a), Some(b)) if a == b),
                    );
                }
                if let Some(name) = &e.content_of {
                    let published = self.world.bits.content.get(name);
                    check(
                        &format!("content of {name}"),
                        "true".to_string(),
                        match (&content, published) {
                            (Some(a), Some(b)) => (a == b).to_string(),
                            (None, _) => "no such file".to_string(),
                            (_, None) => format!("nothing is published as {name}"),
                        },
                        matches!((&content, published), (Some(a), Some(b)) if a == b),
                    );
                }
                if let Some(text) = &e.text {
                    let want = simos::Content::of_text(text);
                    check(
                        "text",
                        format!("{} bytes of text", want.bytes),
                        shown(&content),
                        content.as_ref() == Some(&want),
                    );
                }
            }
            Step::ExpectAccess(e) => {
                let id = self.job_id(&e.job)?;
                let log = &self.world.bits.log;
                let resource = vocab::resource(e.resource.get());
                let user = match &e.user {
                    Some(u) => Some(self.sid(u)?),
                    None => None,
                };
                let from = self
                    .access_cursor
                    .get(&(id, resource))
                    .copied()
                    .unwrap_or(0)
                    .min(log.len());
                let mut seen = Vec::new();
                let mut found = false;
                for ev in &log[from..] {
                    if let BitsEvent::ResourceAccess {
                        job,
                        resource: r,
                        acting,
                        user: u,
                        granted,
                        ..
                    } = ev
                    {
                        if *job != id || *r != resource {
                            continue;
                        }
                        let acting_enum = *acting;
                        let acting = trace::snake(acting);
                        seen.push(format!(
                            "{acting} ({}) {}",
                            u.as_ref()
                                .map_or_else(|| "no user".to_string(), |s| self.account_of(s)),
                            if *granted { "granted" } else { "denied" }
                        ));
                        let matches =
                            absent_or(e.acting.as_ref(), |a| vocab::acting(a.get()) == acting_enum)
                                && absent_or(user.as_ref(), |s| u.as_ref() == Some(s))
                                && absent_or(e.granted, |g| g == *granted);
                        found |= matches;
                    }
                }
                self.access_cursor.insert((id, resource), log.len());
                let mut want = Vec::new();
                if let Some(a) = &e.acting {
                    want.push(a.to_string());
                }
                if let Some(u) = &e.user {
                    want.push(format!("({u})"));
                }
                if let Some(g) = e.granted {
                    want.push(if g { "granted" } else { "denied" }.to_string());
                }
                record.checks.push(happened_check(
                    &format!("access to {}", e.resource),
                    e.happened,
                    &want,
                    &seen,
                    found,
                ));
            }
            _ => {}
        }
        Ok(())
    }
}

/// `Option::is_none_or`, for the older toolchains this crate supports:
/// true when `v` is absent or satisfies `f`.
fn absent_or<T>(v: Option<T>, f: impl FnOnce(T) -> bool) -> bool {
    match v {
        None => true,
        Some(v) => f(v),
    }
}

/// The check of an expectation over a log of accesses: whether any
/// access matched what is `want`ed (`happened`), or none did; `seen`
/// lists every access looked at.
fn happened_check(
    what: &str,
    happened: bool,
    want: &[String],
    seen: &[String],
    found: bool,
) -> Check {
    Check {
        what: format!("{} {what}", if happened { "an" } else { "no" }),
        expected: if want.is_empty() {
            "any".to_string()
        } else {
            want.join(" ")
        },
        actual: if seen.is_empty() {
            "none".to_string()
        } else {
            seen.join("; ")
        },
        ok: found == happened,
    }
}

fn env(op: Op) -> Planned {
    Planned {
        op,
        actor: None,
        expect: None,
        bind: Bind::None,
        returns: None,
        post: Post::None,
    }
}

fn need<'a>(v: &'a Option<String>, what: &str) -> StepResult<&'a str> {
    v.as_deref()
        .ok_or_else(|| format!("this call needs `{what}`"))
}

fn dedup(rules: &[&'static str]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for r in rules {
        if !out.contains(r) {
            out.push(r);
        }
    }
    out
}

pub(crate) fn short_state(s: JobState) -> String {
    s.name().trim_start_matches("BG_JOB_STATE_").to_string()
}

fn text(v: &Scalar) -> Option<String> {
    (v.0 != "null").then(|| v.0.clone())
}

/// `DOMAIN\user` or `user` split into user and domain, for logon calls.
fn split_account(world: &World, name: &str) -> (String, Option<String>) {
    if let Some((d, u)) = name.split_once('\\') {
        return (u.to_string(), Some(d.to_string()));
    }
    if name.contains('@') {
        return (name.to_string(), None);
    }
    match &*world.host.domain {
        Some(d) if d.account(name).is_some() => (name.to_string(), Some(d.name.clone())),
        _ => (name.to_string(), None),
    }
}

fn object_kind(kind: Option<&Named<names::ObjectKind>>) -> simos::objects::ObjectKind {
    vocab::object_kind(kind.map_or(names::ObjectKind::File, Named::get))
}

fn cloaking_of(c: Option<&Named<names::Cloaking>>) -> Cloaking {
    vocab::cloaking(c.map_or(names::Cloaking::None, Named::get))
}

fn level_or_impersonation(l: Option<&Named<names::Level>>) -> ImpersonationLevel {
    vocab::level(l.map_or(names::Level::Impersonation, Named::get))
}

/// `medium (S-1-16-8192)` → `medium`; a level without a name as its SID.
pub(crate) fn integrity_name(level: winsec::IntegrityLevel) -> String {
    winsec::IntegrityLevel::NAMES
        .iter()
        .find(|(_, l)| *l == level)
        .map_or_else(|| level.sid().to_string(), |(n, _)| (*n).to_string())
}

/// A `SetProperty` value as the property takes it.
pub(crate) fn property_value(
    property: names::JobProperty,
    v: &Scalar,
) -> StepResult<bits::properties::PropertyValue> {
    use bits::properties::{PropertyValue, ValueKind};
    let kind = vocab::job_property(property).kind();
    Ok(match kind {
        ValueKind::Dword => PropertyValue::Dword(flags(v)?),
        ValueKind::Target => PropertyValue::Target(flags(v)?),
        ValueKind::Uint64 => PropertyValue::Uint64(
            v.0.parse::<u64>()
                .map_err(|_| format!("`{}` is not a whole number for {}", v.0, property.name()))?,
        ),
        ValueKind::Enable => match v.0.as_str() {
            "true" => PropertyValue::Enable(true),
            "false" => PropertyValue::Enable(false),
            other => {
                return Err(format!(
                    "`{other}` is not true or false for {}",
                    property.name()
                ))
            }
        },
        ValueKind::ClsId => PropertyValue::ClsId(text(v)),
    })
}

/// An object type list element written `LEVEL:GUID`.
pub(crate) fn object_type(text: &str) -> StepResult<winsec::access::ObjectTypeEntry> {
    let bad = || format!("`{text}` is not an object type: expected LEVEL:GUID, level 0 to 4");
    let (level, guid) = text.split_once(':').ok_or_else(bad)?;
    let level: u16 = level.trim().parse().map_err(|_| bad())?;
    let guid = winsec::Guid::parse(guid.trim()).ok_or_else(bad)?;
    Ok(winsec::access::ObjectTypeEntry { level, guid })
}

pub(crate) fn flags(v: &Scalar) -> StepResult<u32> {
    scenario::names::parse_flags(&v.0).ok_or_else(|| {
        format!(
            "`{}` is not a number or known constant (BG_TOKEN_LOCAL_FILE, BG_JOB_PRIORITY_HIGH, ...)",
            v.0
        )
    })
}

fn mask(text: &str) -> StepResult<AccessMask> {
    AccessMask::parse_expr(text).map_err(|_| {
        format!("`{text}` is not an access mask: expected GENERIC_READ, FILE_ALL_ACCESS|WRITE_DAC, 0x120089, ...")
    })
}

/// A privilege by its Windows name (`SeShutdownPrivilege`) or the short
/// forms winsec accepts (`Shutdown`, `SeShutdown`).
pub(crate) fn privilege(text: &str) -> StepResult<Privilege> {
    Privilege::from_name(text).ok_or_else(|| {
        format!("unknown privilege `{text}`: expected a name such as SeShutdownPrivilege or SeBackupPrivilege")
    })
}

/// The result's name as the trace shows it: the Win32 error's name for a
/// failed host call, the HRESULT's otherwise.
fn result_name(o: &Outcome) -> String {
    match o.host_result.as_ref().and_then(|r| r.error()) {
        Some(e) => e.name().to_string(),
        None => o.hr.name(),
    }
}

pub(crate) fn result_name_matches(name: &str, hr: HResult) -> bool {
    if hr.name() == name {
        return true;
    }
    if let Some(hex) = name.strip_prefix("0x").or_else(|| name.strip_prefix("0X")) {
        return u32::from_str_radix(hex, 16).is_ok_and(|v| v == hr.code());
    }
    if let Some(h) = HResult::from_name(name) {
        return h == hr;
    }
    Win32Error::from_name(name).is_some_and(|e| HResult::from_win32(e) == hr)
}

fn result_matches(name: &str, o: &Outcome) -> bool {
    if let Some(e) = o.host_result.as_ref().and_then(|r| r.error()) {
        if e.name() == name {
            return true;
        }
    }
    if name == "success" {
        return o.hr.succeeded();
    }
    if name == "any" {
        return true;
    }
    result_name_matches(name, o.hr)
}

/// The step's key and its arguments in compact YAML flow style.
fn describe(step: &Step) -> (String, String) {
    let value = serde_json::to_value(step).unwrap_or(serde_json::Value::Null);
    match value {
        serde_json::Value::Object(map) => match map.into_iter().next() {
            Some((k, v)) => (k, crate::report::compact(&v)),
            None => (String::new(), String::new()),
        },
        serde_json::Value::String(s) => (s, String::new()),
        other => (other.to_string(), String::new()),
    }
}
