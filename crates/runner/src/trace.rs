//! The trace of a run as data: what each step caused (the host's and the
//! service's events), the decisions behind it (access-check trails, what a
//! server saw), and the table of names the scenario gave to threads,
//! tokens, pointers and jobs, recorded in the order they were bound.
//!
//! This module owns the structured records and their one-line wording.
//! Nothing is turned into text while a scenario runs: the reports render
//! a trace afterwards, and a name is shown as the scenario knew it at the
//! point of the trace where it appears ([`NameTable::cursor`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use bits::{BitsEvent, JobId, Outcome};
use serde::Serialize;
use simos::network::{AuthScheme, Mechanism};
use simos::{ThreadId, TokenId};
use winsec::Sid;

use crate::run::Bound;

/// Something a step caused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum TraceEvent {
    /// A host event (a logon, an impersonation, an object opened).
    Host(simos::Event),
    /// A BITS event (a state change, a helper token captured or dropped).
    Bits(BitsEvent),
}

/// A decision behind a step, shown by `--explain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Detail {
    /// An access check on an object or a server's resource.
    Check {
        /// What was checked.
        object: String,
        /// The check's result with its trail.
        result: winsec::AccessCheckResult,
    },
    /// Who a server saw and how the identity got there.
    Saw {
        /// The server.
        server: String,
        /// The account it saw (`None`: nobody).
        account: Option<String>,
        /// How the identity reached it.
        how: Mechanism,
        /// The scheme that authenticated.
        scheme: Option<AuthScheme>,
    },
    /// A condition a decision that is not an ACE walk evaluated (the
    /// helper-token admission and its 1607 conditions), with what it found
    /// and what that made of the call.
    Condition {
        /// The rule or switch id.
        rule: &'static str,
        /// What was found, naming the SIDs involved.
        finding: String,
        /// `admitted`, `refused` or `holds`.
        effect: bits::Effect,
    },
    /// Decisions left out because the run's budget for them was spent.
    Cut {
        /// How many trail steps were left out.
        steps: usize,
    },
}

/// The events of an outcome worth a trace line (clock ticks are not),
/// the host's first.
pub fn events_of(outcome: &Outcome) -> Vec<TraceEvent> {
    outcome
        .host_events
        .iter()
        .filter(|e| !matches!(e, simos::Event::Tick { .. }))
        .cloned()
        .map(TraceEvent::Host)
        .chain(outcome.events.iter().cloned().map(TraceEvent::Bits))
        .collect()
}

/// The decisions of an outcome: the conditions its non-ACE decisions
/// evaluated, then access checks of objects and remote resources the
/// operation itself opened.
pub fn details_of(outcome: &Outcome) -> Vec<Detail> {
    let mut out: Vec<Detail> = outcome
        .conditions
        .iter()
        .map(|c| Detail::Condition {
            rule: c.rule,
            finding: c.finding.clone(),
            effect: c.effect,
        })
        .collect();
    out.extend(outcome.host_checks.iter().map(|c| Detail::Check {
        object: c.object.clone(),
        result: c.result.clone(),
    }));
    if let Some(simos::Value::Remote(remote)) = outcome.host_result.as_ref().and_then(|r| r.value())
    {
        let mut r = Some(remote.as_ref());
        while let Some(access) = r {
            out.push(Detail::Saw {
                server: access.server.clone(),
                account: access.identity.as_ref().map(|i| i.account.clone()),
                how: access.how,
                scheme: access.scheme,
            });
            if let Some(check) = &access.access_check {
                out.push(Detail::Check {
                    object: access.server.clone(),
                    result: check.clone(),
                });
            }
            r = access.proxy.as_deref();
        }
    }
    out
}

/// How many trail steps a [`Detail`] holds, for the run's budget.
pub fn detail_weight(d: &Detail) -> usize {
    match d {
        Detail::Check { result, .. } => result.trail.len() + 1,
        Detail::Saw { .. } | Detail::Condition { .. } | Detail::Cut { .. } => 1,
    }
}

/// The SIDs an event names, so the table can record their accounts.
pub fn sids_of(e: &TraceEvent) -> Vec<&Sid> {
    match e {
        TraceEvent::Host(h) => match h {
            simos::Event::TokenCreated { user, .. }
            | simos::Event::ProcessCreated { user, .. }
            | simos::Event::Access { user, .. } => vec![user],
            _ => Vec::new(),
        },
        TraceEvent::Bits(b) => match b {
            BitsEvent::JobCreated { owner, .. } | BitsEvent::OwnerChanged { owner, .. } => {
                vec![owner]
            }
            BitsEvent::PointerIssued { caller, .. } => vec![caller],
            BitsEvent::HelperTokenSet { sid, .. } => vec![sid],
            BitsEvent::ResourceAccess { user, .. } => user.iter().collect(),
            _ => Vec::new(),
        },
    }
}

/// A name given at a point of the trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Binding {
    /// The step (0-based) that bound it.
    pub step: usize,
    /// How many of that step's events came before it.
    pub at: usize,
    /// The name.
    pub name: String,
    /// What it names.
    pub bound: Bound,
    /// For a pointer, the job it points at.
    pub job: Option<JobId>,
}

/// Every name of a run, in the order given, and the accounts of the SIDs
/// its events name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NameTable {
    /// The names, in the order they were bound.
    pub bindings: Vec<Binding>,
    /// `DOMAIN\name` of each SID the trace shows.
    pub accounts: BTreeMap<Sid, String>,
    /// The service's own thread, shown as `BITS`.
    pub service_thread: Option<ThreadId>,
}

impl NameTable {
    /// A cursor at the start of the trace.
    pub fn cursor(&self) -> Cursor<'_> {
        Cursor {
            table: self,
            next: 0,
            names: BTreeMap::new(),
            jobs: BTreeMap::new(),
        }
    }
}

/// The names as the scenario knew them at one point of the trace.
#[derive(Debug)]
pub struct Cursor<'a> {
    table: &'a NameTable,
    next: usize,
    names: BTreeMap<String, Bound>,
    jobs: BTreeMap<JobId, String>,
}

impl Cursor<'_> {
    /// Moves to event `at` of step `step` (forward only): every name
    /// bound before that point applies.
    pub fn seek(&mut self, step: usize, at: usize) {
        while let Some(b) = self.table.bindings.get(self.next) {
            if (b.step, b.at) > (step, at) {
                break;
            }
            self.names.insert(b.name.clone(), b.bound);
            if let Some(job) = b.job {
                self.jobs.entry(job).or_insert_with(|| b.name.clone());
            }
            self.next += 1;
        }
    }

    fn bound_name(&self, target: Bound) -> Option<&str> {
        self.names
            .iter()
            .find(|(_, b)| **b == target)
            .map(|(n, _)| n.as_str())
    }
}

/// How the trace names threads, tokens, jobs and accounts.
pub trait Names {
    /// A thread's scenario name.
    fn thread_name(&self, t: ThreadId) -> String;
    /// A token's scenario name.
    fn token_name(&self, t: TokenId) -> String;
    /// A job's scenario name (the first pointer name bound to it).
    fn job_name(&self, j: JobId) -> String;
    /// An account's display name.
    fn account(&self, sid: &Sid) -> String;
}

impl Names for Cursor<'_> {
    fn thread_name(&self, t: ThreadId) -> String {
        if self.table.service_thread == Some(t) {
            return "BITS".to_string();
        }
        self.bound_name(Bound::Thread(t))
            .map_or_else(|| format!("thread#{}", t.0), str::to_string)
    }

    fn token_name(&self, t: TokenId) -> String {
        self.bound_name(Bound::Token(t))
            .map_or_else(|| format!("token#{}", t.0), str::to_string)
    }

    fn job_name(&self, j: JobId) -> String {
        self.jobs
            .get(&j)
            .cloned()
            .unwrap_or_else(|| format!("job#{}", j.0))
    }

    fn account(&self, sid: &Sid) -> String {
        self.table
            .accounts
            .get(sid)
            .cloned()
            .unwrap_or_else(|| sid.to_string())
    }
}

/// A serde enum's snake-case name (`helper`, `local_file`).
pub fn snake<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// One line for an event.
pub fn event_line(n: &dyn Names, e: &TraceEvent) -> String {
    match e {
        TraceEvent::Host(h) => host_event(n, h),
        TraceEvent::Bits(b) => bits_event(n, b),
    }
}

fn host_event(n: &dyn Names, e: &simos::Event) -> String {
    use simos::Event;
    match e {
        Event::Logon {
            account,
            logon_type,
            token,
            ..
        } => format!(
            "logon of {account} ({}) gives {}",
            logon_type.name(),
            n.token_name(*token)
        ),
        Event::Logoff { account, .. } => format!("{account} logs off"),
        Event::TerminalSessionEnded { session } => {
            format!("terminal-services session {session} ends")
        }
        Event::Impersonation {
            thread,
            token,
            level,
        } => match (token, level) {
            (Some(t), Some(l)) => format!(
                "{} impersonates {} at {}",
                n.thread_name(*thread),
                n.token_name(*t),
                l.name()
            ),
            _ => format!("{} reverts to its process token", n.thread_name(*thread)),
        },
        Event::ImpersonationDowngraded {
            thread,
            requested,
            granted,
        } => format!(
            "{}: {} asked, {} granted",
            n.thread_name(*thread),
            requested.name(),
            granted.name()
        ),
        Event::TokenCreated {
            token,
            user,
            token_type,
        } => format!(
            "new token {} for {} ({})",
            n.token_name(*token),
            n.account(user),
            token_type_name(*token_type)
        ),
        Event::ProcessCreated { token, user, .. } => format!(
            "new process as {} with {}",
            n.account(user),
            n.token_name(*token)
        ),
        Event::ThreadCreated { thread, token } => match token {
            Some(t) => format!(
                "new thread {} impersonating {}",
                n.thread_name(*thread),
                n.token_name(*t)
            ),
            None => format!("new thread {} with no thread token", n.thread_name(*thread)),
        },
        Event::Access {
            thread,
            object,
            user,
            granted,
        } => format!(
            "{} opens {object} as {}: {}",
            n.thread_name(*thread),
            n.account(user),
            if *granted { "granted" } else { "denied" }
        ),
        Event::Tick { now } => format!("the clock reads {now}"),
    }
}

fn token_type_name(t: winsec::TokenType) -> String {
    match t {
        winsec::TokenType::Primary => "primary".to_string(),
        winsec::TokenType::Impersonation(l) => format!("impersonation, {}", l.name()),
    }
}

fn bits_event(n: &dyn Names, e: &BitsEvent) -> String {
    match e {
        BitsEvent::JobCreated { job, owner } => {
            format!(
                "job {} created, owner {}",
                n.job_name(*job),
                n.account(owner)
            )
        }
        BitsEvent::StateChanged {
            job,
            from,
            to,
            code,
        } => {
            let short =
                |s: bits::JobState| s.name().trim_start_matches("BG_JOB_STATE_").to_string();
            match code {
                Some(c) => format!(
                    "job {}: {} -> {} ({})",
                    n.job_name(*job),
                    short(*from),
                    short(*to),
                    c.name()
                ),
                None => format!(
                    "job {}: {} -> {}",
                    n.job_name(*job),
                    short(*from),
                    short(*to)
                ),
            }
        }
        BitsEvent::PointerIssued {
            interface,
            caller,
            grant,
            ..
        } => format!(
            "{} handed to {} (read: {}, modify: {}, owner's SID: {}, administrator: {}{})",
            interface.name(),
            n.account(caller),
            yes(grant.read),
            yes(grant.modify),
            yes(grant.owner_match),
            yes(grant.admin),
            grant
                .denied_by
                .map_or_else(String::new, |r| format!("; refused by {r}"))
        ),
        BitsEvent::HelperTokenSet { job, sid, .. } => format!(
            "job {} now holds a helper token for {}",
            n.job_name(*job),
            n.account(sid)
        ),
        BitsEvent::HelperTokenDiscarded { job, reason } => format!(
            "job {} discards its helper token ({reason})",
            n.job_name(*job)
        ),
        BitsEvent::HelperFlagsSet { job, flags } => {
            format!(
                "job {} helper-token flags = {}",
                n.job_name(*job),
                flag_names(*flags)
            )
        }
        BitsEvent::OwnerChanged { job, owner } => {
            format!("job {} now owned by {}", n.job_name(*job), n.account(owner))
        }
        BitsEvent::ResourceAccess {
            job,
            resource,
            name,
            acting,
            user,
            granted,
        } => format!(
            "BITS reaches {} {name} for job {} as {}{}: {}",
            snake(resource).replace('_', " "),
            n.job_name(*job),
            snake(acting),
            user.as_ref()
                .map_or_else(String::new, |u| format!(" ({})", n.account(u))),
            if *granted { "granted" } else { "denied" }
        ),
        BitsEvent::FileProgress { job, file, bytes } => {
            format!("job {} file {file}: {bytes} bytes", n.job_name(*job))
        }
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn flag_names(flags: u32) -> String {
    let mut parts = Vec::new();
    if flags & 1 != 0 {
        parts.push("BG_TOKEN_LOCAL_FILE".to_string());
    }
    if flags & 2 != 0 {
        parts.push("BG_TOKEN_NETWORK".to_string());
    }
    if flags & !3 != 0 {
        parts.push(format!("0x{:x}", flags & !3));
    }
    if parts.is_empty() {
        "0".to_string()
    } else {
        parts.join("|")
    }
}

/// The lines of a decision, for `--explain`.
pub fn detail_lines(d: &Detail) -> Vec<String> {
    match d {
        Detail::Check { object, result } => trail(object, result),
        Detail::Saw {
            server,
            account,
            how,
            scheme,
        } => vec![format!(
            "{server} saw {} (by {}{})",
            account.as_deref().unwrap_or("nobody"),
            snake(how),
            scheme.map_or_else(String::new, |s| format!(", {}", snake(&s)))
        )],
        Detail::Condition {
            rule,
            finding,
            effect,
        } => vec![format!("{rule}: {finding} → {}", effect.word())],
        Detail::Cut { steps } => vec![format!(
            "({steps} more decision steps left out: the run's budget for kept trails is spent)"
        )],
    }
}

fn trail(object: &str, result: &winsec::AccessCheckResult) -> Vec<String> {
    let mut out = vec![format!(
        "access check on {object}: {}",
        match (result.access_status, result.granted) {
            (Some(true), Some(g)) => format!("granted {g}"),
            _ => format!(
                "denied{}",
                result
                    .error
                    .map_or_else(String::new, |e| format!(" ({})", e.name()))
            ),
        }
    )];
    for step in &result.trail {
        let mut line = format!("  [{}] {}", step.rule, step.note);
        if let Some(ace) = &step.ace {
            let _ = write!(line, " — ACE {}", ace);
        }
        out.push(line);
        if let Some(c) = &step.condition {
            out.push(format!(
                "    condition {} is {}",
                c.expression,
                snake(&c.value)
            ));
            for e in &c.steps {
                out.push(format!("      [{}] {} => {}", e.rule, e.expr, e.value));
            }
        }
    }
    out
}

/// The access-check rule ids (`winsec`) of the trails an outcome carries:
/// object opens and the server-side checks of remote accesses.
pub fn trail_rules(outcome: &Outcome) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for d in details_of(outcome) {
        if let Detail::Check { result, .. } = d {
            for step in &result.trail {
                let inner = step
                    .condition
                    .iter()
                    .flat_map(|c| c.steps.iter().map(|e| e.rule));
                for rule in std::iter::once(step.rule).chain(inner) {
                    if !out.contains(&rule) {
                        out.push(rule);
                    }
                }
            }
        }
    }
    out
}
