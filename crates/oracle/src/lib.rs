//! `oracle`: the invariant catalog: properties of Windows security and of the BITS
//! service that must hold on every step of a run, each with a stable id,
//! a one-line statement, its source and a check over one [`Transition`]
//! (the world before, the operation, its outcome, the world after).
//!
//! This module owns the catalog and the checks. Each check re-derives what
//! should have happened from the rule as Windows states it (the seeds and
//! the research notes) and from the data the transition carries: the
//! service's events, the host's events, the value returned and the two
//! worlds. No check asks the BITS engine's own decision functions; the
//! `winsec` primitives used are queries on tokens, SIDs and masks, never
//! the access check itself. Running the checks after each step is the
//! runner's business.

use std::collections::BTreeMap;

use bits::job::{token_flags, ErrorContext, Job, JobState, Owner, BG_SIZE_UNKNOWN};
use bits::world::{
    Acting, BitsEvent, Call, Grant, Interface, Op, Outcome, Pointer, PointerId, Resource, Target,
    Value, World,
};
use bits::{AccessCheckAt, HResult, JobId, Method, Rules};
use simos::host::{AuthPackage, Event as HostEvent, LogonSession, NetworkCredentials};
use simos::network::{RemoteAccess, Server};
use simos::objects::{ObjectKind, ObjectOp};
use simos::{LogonType, ThreadId, TokenId};
use winsec::well_known::sids;
use winsec::{
    AccessMask, AclSlot, ElevationType, GenericMapping, ImpersonationLevel, Privilege,
    SecurityDescriptor, Sid, Token, TokenType,
};

/// One invariant: id, statement, source and its check.
#[derive(Debug, Clone, Copy)]
pub struct Invariant {
    /// Stable id (`INV-…`).
    pub id: &'static str,
    /// What must hold, in one line.
    pub statement: &'static str,
    /// Where the rule comes from: a seed file and paragraph, or
    /// `research/<file>.md §x`.
    pub source: &'static str,
    /// The check: `Err` explains what broke, naming jobs, threads, tokens.
    pub check: fn(&Transition<'_>) -> Result<(), String>,
}

/// One step of a run as the invariants see it.
#[derive(Debug, Clone, Copy)]
pub struct Transition<'a> {
    /// The world before the operation.
    pub before: &'a World,
    /// The operation applied.
    pub op: &'a Op,
    /// What `World::apply` returned for it.
    pub outcome: &'a Outcome,
    /// The world after the operation.
    pub after: &'a World,
    /// The rules the checks judge by: the profile's. The world may run
    /// other rules (a policy mutant); the checks never read them.
    pub rules: &'a Rules,
}

/// A broken invariant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// The invariant's id.
    pub invariant: &'static str,
    /// What broke.
    pub message: String,
}

/// Checks every invariant of [`CATALOG`] in order.
pub fn check_all(t: &Transition<'_>) -> Vec<Violation> {
    CATALOG
        .iter()
        .filter_map(|inv| {
            (inv.check)(t).err().map(|message| Violation {
                invariant: inv.id,
                message,
            })
        })
        .collect()
}

/// The invariant with this id.
pub fn invariant(id: &str) -> Option<&'static Invariant> {
    CATALOG.iter().find(|inv| inv.id == id)
}

/// Every invariant, in the order [`check_all`] runs them.
pub const CATALOG: &[Invariant] = &[
    Invariant {
        id: "INV-LOGOFF-DROPS-HELPER",
        statement: "once a logoff leaves a job owner without any Winlogon logon on the BITS machine, none of that owner's queued jobs still holds a helper token",
        source: "seed 000 ¶4 (When the owner … logs off, the BITS service discards any helper tokens); seeds 001/002 ¶4; research/bits.md §1.2, §1.5 [HT][TO-SHT], §4.1 [UNC]",
        check: logoff_drops_helper,
    },
    Invariant {
        id: "INV-TS-END-DROPS-HELPER",
        statement: "after terminal-services session S ends on the BITS machine, no queued job holds a helper token captured in S, whoever owns the job",
        source: "seed 000 ¶5 (when the owner of a terminal services session logs off … discard any helper tokens from that session); research/bits.md §1.5 [HT]",
        check: ts_end_drops_helper,
    },
    Invariant {
        id: "INV-TOKEN-REQUIRED",
        statement: "an incomplete job that loses its helper token to a logoff or a session end is in ERROR with BG_E_TOKEN_REQUIRED (a TRANSFERRED one stays TRANSFERRED), and such a job leaves ERROR only by the client's Resume, Suspend, Cancel or Complete, or by the service cancelling it",
        source: "seed 000 ¶4–5; seeds 001/002 ¶4 (refresh the token or clear the flags, then resume); research/bits.md §1.5, §3.2, §3.3 [HT][LC][J-resume]",
        check: token_required,
    },
    Invariant {
        id: "INV-HELPER-SET-AUTHORIZED",
        statement: "a helper token or helper flags are stored only by a successful IBitsTokenOptions call on the job; unless the job's owner is an administrator, only under the 1607 rule, and then by an administrator's pointer or with (a) the owner's SID at QueryInterface and (b) no enabled Administrators SID in the helper token",
        source: "seeds 001/002 (Windows 10 1607 note, conditions a and b); research/bits.md §1.2, §1.4 [HT][TO-SHT][TO-SHTF]",
        check: helper_set_authorized,
    },
    Invariant {
        id: "INV-POINTER-GRANT",
        statement: "with the check at QueryInterface a job method is allowed or refused by the grant its pointer carries and the service does not consult the caller's current token; with per-call checks every call is decided on the identity the call presents; QueryInterface refuses exactly the callers the rules refuse",
        source: "seed 000 ¶6 (access checks on every method call before Windows 7, inside QueryInterface from Windows 7); research/bits.md §1.4, §4.2 [HT][M-getjob][SEC]",
        check: pointer_grant,
    },
    Invariant {
        id: "INV-RESOURCE-IDENTITY",
        statement: "each resource a job reaches is reached as the identity its flags select: local files as the helper under BG_TOKEN_LOCAL_FILE, remote files and proxies as the helper under BG_TOKEN_NETWORK (or with explicit credentials, or anonymously), the client certificate always as the owner, everything else as the owner (Complete's files also as its caller)",
        source: "seed 000 ¶2–3; research/bits.md §1.3 [TO-SHTF][AUTH], §4.4 [J-complete]",
        check: resource_identity,
    },
    Invariant {
        id: "INV-NO-CROSS-USER",
        statement: "a caller without an enabled Administrators SID never reads or changes another user's job (GetJob, QueryInterface, job methods) and never sees another user's job in EnumJobs; BG_JOB_ENUM_ALL_USERS needs an administrator",
        source: "research/bits.md §4.2 [M-createjob][M-getjob][M-enumjobs][SEC] (standard users cannot enumerate or modify other users' jobs)",
        check: no_cross_user,
    },
    Invariant {
        id: "INV-FINAL-STATES",
        statement: "a job in ACKNOWLEDGED or CANCELLED stays in that state",
        source: "research/bits.md §3.1 [LC] (a job in a final state never leaves it), §3.3",
        check: final_states,
    },
    Invariant {
        id: "INV-NO-PROGRESS-WITHOUT-LOGON",
        statement: "a job's bytes transferred grow only while its owner has a Winlogon logon on the BITS machine (or is LocalSystem, LocalService or NetworkService) and the network is up",
        source: "research/bits.md §4.1 [UNC][SVC] (BITS transfers only while the owner is logged on and a network connection exists)",
        check: no_progress_without_logon,
    },
    Invariant {
        id: "INV-OWNER-CHANGE",
        statement: "a job's owner changes only through a successful TakeOwnership on that job by a caller with Administrators enabled (hence elevated), who becomes the owner",
        source: "research/bits.md §4.3 [J-takeownership]",
        check: owner_change,
    },
    Invariant {
        id: "INV-ACCESS-BOUNDED",
        statement: "no object access granted in a step, by a client or by the BITS service, exceeds what the descriptor could give the token: allow ACEs for its enabled SIDs (generic rights mapped), owner READ_CONTROL|WRITE_DAC, and the rights of its enabled privileges",
        source: "research/winsec.md §4.2, §4.3, §4.5, §4.6 (MS-DTYP access check; privileges that bypass the DACL)",
        check: access_bounded,
    },
    Invariant {
        id: "INV-NO-PRIVILEGE-GAIN",
        statement: "no existing token gains a privilege, an enabled group, a higher integrity level or a higher impersonation level, no privilege is enabled except by AdjustTokenPrivileges on a token that holds it, and every thread impersonates a token the host holds",
        source: "research/winsec.md §3.1–§3.4 (token contents are fixed once made); research/impersonation.md §5.1; Microsoft AdjustTokenPrivileges (cannot add privileges)",
        check: no_privilege_gain,
    },
    Invariant {
        id: "INV-IDENTIFICATION-NEVER-OPENS",
        statement: "no access is granted to a thread acting with an impersonation token at Identification or Anonymous level",
        source: "research/impersonation.md §6.1 (Identification: the server can get the identity but cannot impersonate), §7; research/winsec.md §3.4, §4.1",
        check: identification_never_opens,
    },
    Invariant {
        id: "INV-NETWORK-HOP",
        statement: "a remote server sees a user rather than ANONYMOUS LOGON only when the caller's logon session holds network credentials (password, other credentials, machine account, forwarded TGT) or Kerberos delegation the domain allows applies",
        source: "research/impersonation.md §6.1 (two mechanisms), §6.2–§6.7",
        check: network_hop,
    },
    Invariant {
        id: "INV-TRANSFERRED-COMPLETE",
        statement: "a job that enters TRANSFERRED has every file complete (bytes transferred equal to a known size), and while it stays TRANSFERRED no file's progress changes",
        source: "research/bits.md §3.1 (TRANSFERRED: all files done), §3.2 [LC][E-bg_job_state]",
        check: transferred_complete,
    },
    Invariant {
        id: "INV-ERROR-RECORDED",
        statement: "a job in ERROR or TRANSIENT_ERROR has an error object with a failure code and a context, and the state change that put it there names that code",
        source: "research/bits.md §3.3 [J-geterror] (the error object exists in ERROR and TRANSIENT_ERROR), §5.2 (error {context, code, file})",
        check: error_recorded,
    },
    Invariant {
        id: "INV-HELPER-FLAGS",
        statement: "helper flags stay within BG_TOKEN_LOCAL_FILE|BG_TOKEN_NETWORK, and a stored helper token is a token the host holds, primary or at Impersonation level or above, whose SID and Administrators state the job records truly",
        source: "research/bits.md §1.2 (SetHelperToken needs impersonate level), §1.3 (BG_TOKEN values); seed 000 ¶2",
        check: helper_flags,
    },
    Invariant {
        id: "INV-GRANT-AT-ISSUE",
        statement: "a pointer handed out by CreateJob, GetJob, QueryInterface or EnumJobs records the calling identity and, for each job it reaches, whether that identity is the owner, whether it has Administrators enabled, and the access the rules give it: owner or administrator may read, an elevated owner's job needs an elevated caller, restricted and lower-integrity callers may not change",
        source: "research/bits.md §1.4 (condition a is about the QueryInterface caller), §4.2 [M-createjob][SEC][UNC]",
        check: grant_at_issue,
    },
    Invariant {
        id: "INV-FINAL-HIDDEN",
        statement: "GetJob never returns and EnumJobs never lists a job in ACKNOWLEDGED or CANCELLED",
        source: "research/bits.md §3.1 [LC] (a final job does not appear in EnumJobs), §2 [M-getjob]",
        check: final_hidden,
    },
    Invariant {
        id: "INV-STATE-LOGGED",
        statement: "every change of a job's state in a step appears in the service's events as an unbroken chain of state changes from the old state to the new one",
        source: "research/bits.md §3.2 (each transition is an event); the trace must explain every state",
        check: state_logged,
    },
    Invariant {
        id: "INV-CREATE-SUSPENDED",
        statement: "CreateJob makes exactly one job: SUSPENDED, without files, error or helper token, owned by the calling identity with its elevation, integrity level, administrator status and service-account status",
        source: "research/bits.md §3.2 (CreateJob → SUSPENDED), §4.1 (the creator is the owner), §5.2 [M-createjob][J4-*]",
        check: create_suspended,
    },
];

// ---------------------------------------------------------------------------
// Reading a transition

/// Collects messages and turns them into the check's result.
#[derive(Default)]
struct Faults(Vec<String>);

impl Faults {
    fn push(&mut self, message: String) {
        self.0.push(message);
    }

    fn done(self) -> Result<(), String> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0.join("; "))
        }
    }
}

fn pointer_name(p: PointerId) -> String {
    format!("pointer#{}", p.0)
}

/// The BITS call of the operation, with the calling thread.
fn bits_call<'a>(t: &Transition<'a>) -> Option<(ThreadId, &'a Call)> {
    match t.op {
        Op::Bits { thread, call } => Some((*thread, call)),
        _ => None,
    }
}

/// A method call through a pointer: thread, pointer and method.
fn method_call<'a>(t: &Transition<'a>) -> Option<(ThreadId, PointerId, &'a Method)> {
    match bits_call(t)? {
        (thread, Call::Method { pointer, method }) => Some((thread, *pointer, method)),
        _ => None,
    }
}

/// The job a pointer reaches through the job object.
fn pointer_job(p: &Pointer) -> Option<JobId> {
    match p.target {
        Target::Job { job } => Some(job),
        _ => None,
    }
}

/// The job record before the step, or after it for a job made in it.
fn job_record<'a>(t: &Transition<'a>, id: JobId) -> Option<&'a Job> {
    t.before.job(id).or_else(|| t.after.job(id))
}

/// The identity the calling thread presented to the service in this call:
/// the first token the service thread impersonated during the operation
/// (COM's answer to the call into the service).
fn presented<'a>(t: &Transition<'a>) -> Option<(TokenId, &'a Token)> {
    let service = t.before.bits.thread;
    t.outcome
        .host_events
        .iter()
        .find_map(|e| match e {
            HostEvent::Impersonation {
                thread,
                token: Some(id),
                ..
            } if *thread == service => Some(*id),
            _ => None,
        })
        .and_then(|id| t.after.host.token(id).map(|o| (id, &*o.token)))
}

/// Whether the service thread impersonated anyone during the operation.
fn service_impersonated(t: &Transition<'_>) -> bool {
    let service = t.before.bits.thread;
    t.outcome.host_events.iter().any(|e| {
        matches!(e, HostEvent::Impersonation { thread, token: Some(_), .. } if *thread == service)
    })
}

fn is_admin(token: &Token) -> bool {
    token.has_enabled_administrators()
}

/// `TokenElevation`: the full half of a split token, or a token with
/// Administrators enabled (SYSTEM, an administrator without UAC).
fn is_elevated(token: &Token) -> bool {
    token.elevation_type == ElevationType::Full || is_admin(token)
}

/// LocalSystem, LocalService and NetworkService: always logged on for BITS.
fn is_service_identity(sid: &Sid) -> bool {
    *sid == sids::local_system() || *sid == sids::local_service() || *sid == sids::network_service()
}

/// Whether `sid` has a Winlogon logon (console, Remote Desktop, fast user
/// switching) active on the BITS machine of `w`.
fn has_eligible_logon(w: &World, sid: &Sid) -> bool {
    w.host.logons.values().any(|l| {
        l.active && l.winlogon && l.machine.eq_ignore_ascii_case(&w.bits.machine) && &l.user == sid
    })
}

/// What a method needs from the access check: getters read the job,
/// everything else on the job object changes it; file and enumerator
/// methods work on what the pointer already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    Nothing,
    Read,
    Modify,
}

/// Whether a method reads or changes the job: the method table's own
/// classification (a fact about the API, not a decision the invariants
/// check).
fn need(method: &Method) -> Need {
    match method.needs() {
        bits::methods::Needs::Nothing => Need::Nothing,
        bits::methods::Needs::Read => Need::Read,
        bits::methods::Needs::Modify => Need::Modify,
    }
}

/// The IBitsTokenOptions methods, which carry their own authorisation
/// (administrator, or the 1607 conditions) besides the job's access.
fn is_token_options(method: &Method) -> bool {
    matches!(
        method,
        Method::SetHelperToken
            | Method::SetHelperTokenFlags { .. }
            | Method::GetHelperTokenFlags
            | Method::ClearHelperToken
            | Method::GetHelperTokenSid
    )
}

/// Methods that legitimately look at the caller's identity whatever the
/// access-check switch: Complete (who owns the files), TakeOwnership (who
/// becomes the owner), SetHelperToken (whose token is captured).
fn reads_caller(method: &Method) -> bool {
    matches!(
        method,
        Method::Complete | Method::TakeOwnership | Method::SetHelperToken
    )
}

/// The access the rules of research `bits.md` §4.2 give `token` on a job
/// owned by `owner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Access {
    read: bool,
    modify: bool,
}

fn rule_access(token: &Token, owner: &Owner) -> Access {
    let none = Access {
        read: false,
        modify: false,
    };
    let owner_match = token.user.sid == owner.sid;
    if !owner_match && !is_admin(token) {
        return none;
    }
    if owner.elevated && !is_elevated(token) {
        return none;
    }
    Access {
        read: true,
        modify: !token.is_restricted() && token.integrity.0 >= owner.integrity,
    }
}

fn grant_covers(read: bool, modify: bool, need: Need) -> bool {
    match need {
        Need::Nothing => true,
        Need::Read => read,
        Need::Modify => modify,
    }
}

// ---------------------------------------------------------------------------
// 1–3. Helper tokens and logoff

fn logoff_drops_helper(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    let machine = &t.before.bits.machine;
    let mut ended: Vec<(&LogonSession, simos::LogonId)> = Vec::new();
    for e in &t.outcome.host_events {
        if let HostEvent::Logoff { logon, .. } = e {
            if let Some(s) = t.before.host.logons.get(logon) {
                if s.winlogon && s.machine.eq_ignore_ascii_case(machine) {
                    ended.push((s, *logon));
                }
            }
        }
    }
    for (session, logon) in ended {
        if has_eligible_logon(t.after, &session.user) {
            continue;
        }
        for job in t.after.bits.jobs.values() {
            if job.owner.sid == session.user && !job.state.is_final() {
                if let Some(h) = &job.helper {
                    faults.push(format!(
                        "{} logged off ({logon}) and has no other Winlogon logon on {machine}, yet job {} ({}) still holds helper token {} of {}",
                        session.account, job.id, job.state, h.token, h.sid
                    ));
                }
            }
        }
    }
    faults.done()
}

fn ts_end_drops_helper(t: &Transition<'_>) -> Result<(), String> {
    let Op::Host {
        op: simos::Op::EndTerminalSession { machine, session },
    } = t.op
    else {
        return Ok(());
    };
    if !machine.eq_ignore_ascii_case(&t.before.bits.machine) {
        return Ok(());
    }
    let ended = t
        .outcome
        .host_events
        .iter()
        .any(|e| matches!(e, HostEvent::TerminalSessionEnded { session: s } if s == session));
    if !ended {
        return Ok(());
    }
    let mut faults = Faults::default();
    for job in t.after.bits.jobs.values() {
        if job.state.is_final() {
            continue;
        }
        if let Some(h) = job.helper.as_ref().filter(|h| h.ts_session == *session) {
            faults.push(format!(
                "terminal session {session} on {machine} ended, yet job {} still holds helper token {} captured in it",
                job.id, h.token
            ));
        }
    }
    faults.done()
}

fn token_required(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    let host_end = matches!(
        t.op,
        Op::Host {
            op: simos::Op::Logoff { .. } | simos::Op::EndTerminalSession { .. }
        }
    );
    if host_end {
        for (id, before) in &t.before.bits.jobs {
            if before.helper.is_none() || before.state.is_final() {
                continue;
            }
            let Some(after) = t.after.job(*id) else {
                continue;
            };
            if after.helper.is_some() {
                continue;
            }
            if before.state == JobState::Transferred {
                if after.state != JobState::Transferred {
                    faults.push(format!(
                        "job {id} was TRANSFERRED when its helper token was discarded but is now {}",
                        after.state
                    ));
                }
                continue;
            }
            let code = after.error.as_ref().map(|e| e.code);
            if after.state != JobState::Error || code != Some(HResult::BgETokenRequired) {
                faults.push(format!(
                    "job {id} ({}) lost its helper token to a logoff or session end but is {} with error {}",
                    before.state,
                    after.state,
                    code.map_or_else(|| "none".to_string(), |c| c.to_string())
                ));
            }
        }
    }
    // Leaving ERROR(BG_E_TOKEN_REQUIRED).
    for (id, before) in &t.before.bits.jobs {
        let required = before.state == JobState::Error
            && before.error.as_ref().map(|e| e.code) == Some(HResult::BgETokenRequired);
        if !required {
            continue;
        }
        let Some(after) = t.after.job(*id) else {
            continue;
        };
        if after.state == JobState::Error {
            continue;
        }
        let by_client = method_call(t).is_some_and(|(_, pointer, method)| {
            let on_job = t
                .before
                .bits
                .pointers
                .get(&pointer)
                .and_then(pointer_job)
                .is_some_and(|j| j == *id);
            let expected = match method {
                Method::Resume => Some(JobState::Queued),
                Method::Suspend => Some(JobState::Suspended),
                Method::Cancel => Some(JobState::Cancelled),
                Method::Complete => Some(JobState::Acknowledged),
                _ => None,
            };
            on_job && t.outcome.hr.succeeded() && expected == Some(after.state)
        });
        let by_service = matches!(
            t.op,
            Op::Advance { .. }
                | Op::Host {
                    op: simos::Op::Tick { .. }
                }
        ) && after.state == JobState::Cancelled;
        if !by_client && !by_service {
            faults.push(format!(
                "job {id} left ERROR with BG_E_TOKEN_REQUIRED for {} without a Resume, Suspend, Cancel or Complete on it",
                after.state
            ));
        }
    }
    faults.done()
}

fn helper_set_authorized(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    for event in &t.outcome.events {
        let (job, what) = match event {
            BitsEvent::HelperTokenSet { job, .. } => (*job, "helper token"),
            BitsEvent::HelperFlagsSet { job, .. } => (*job, "helper flags"),
            _ => continue,
        };
        let call = method_call(t).filter(|(_, _, m)| match event {
            BitsEvent::HelperTokenSet { .. } => matches!(m, Method::SetHelperToken),
            _ => matches!(m, Method::SetHelperTokenFlags { .. }),
        });
        let Some((_, pointer, _)) = call.filter(|_| t.outcome.hr.succeeded()) else {
            faults.push(format!(
                "the {what} of job {job} changed outside a successful IBitsTokenOptions call"
            ));
            continue;
        };
        let Some(p) = t.before.bits.pointers.get(&pointer) else {
            faults.push(format!(
                "the {what} of job {job} was set through {} that did not exist",
                pointer_name(pointer)
            ));
            continue;
        };
        if p.interface != Interface::TokenOptions || pointer_job(p) != Some(job) {
            faults.push(format!(
                "the {what} of job {job} was set through {} ({}) that is not an IBitsTokenOptions pointer to it",
                pointer_name(pointer),
                p.interface.name()
            ));
            continue;
        }
        let Some(record) = t.before.job(job) else {
            continue;
        };
        // Before 1607 only a job owned by an administrator admits these
        // calls; from 1607 also a caller that was an administrator (when
        // it obtained the pointer, or at this call under per-call checks).
        if record.owner.admin {
            continue;
        }
        if !t.rules.non_admin_helper_token {
            faults.push(format!(
                "the {what} of job {job}, owned by {} who is not an administrator, was set through {} on a release without the 1607 rule",
                record.owner.sid,
                pointer_name(pointer)
            ));
            continue;
        }
        let per_call_admin = t.rules.access_check == AccessCheckAt::EveryCall
            && presented(t).is_some_and(|(_, tok)| is_admin(tok));
        if p.grant.admin || per_call_admin {
            continue;
        }
        if !p.grant.owner_match {
            faults.push(format!(
                "a non-administrator set the {what} of job {job} through {}, obtained by {} who was not the owner {} at QueryInterface (condition a)",
                pointer_name(pointer),
                p.caller,
                record.owner.sid
            ));
        }
        // Condition (b): the token being set, or the one already held.
        let subject = match event {
            BitsEvent::HelperTokenSet { token, .. } => Some(*token),
            _ => record.helper.as_ref().map(|h| h.token),
        };
        if let Some(token) = subject {
            match t.after.host.token(token) {
                Some(o) if is_admin(&o.token) => faults.push(format!(
                    "a non-administrator set the {what} of job {job} while helper token {token} ({}) has Administrators enabled (condition b)",
                    o.token.user.sid
                )),
                Some(_) => {}
                None => faults.push(format!(
                    "the {what} of job {job} refers to token {token}, which the host does not hold"
                )),
            }
        }
    }
    faults.done()
}

// ---------------------------------------------------------------------------
// 5, 7, 18, 19. Access to jobs

fn pointer_grant(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    let hr = t.outcome.hr;
    let mode = t.rules.access_check;
    match bits_call(t) {
        Some((_, Call::Method { pointer, method })) => {
            let Some(p) = t.before.bits.pointers.get(pointer) else {
                return Ok(());
            };
            let Some(job_id) = pointer_job(p) else {
                return Ok(());
            };
            let Some(job) = t.before.job(job_id) else {
                return Ok(());
            };
            let need = need(method);
            if need == Need::Nothing || matches!(hr, HResult::ENoInterface | HResult::EHandle) {
                return Ok(());
            }
            // A refusal that is not the job's access check: the method's
            // own authorisation, or a file the engine could not reach.
            let refused_elsewhere = is_token_options(method)
                || matches!(method, Method::TakeOwnership)
                || t.outcome.events.iter().any(|e| {
                    matches!(e, BitsEvent::ResourceAccess { job, granted: false, .. } if *job == job_id)
                });
            let who = pointer_name(*pointer);
            let (allowed, basis) = match mode {
                AccessCheckAt::QueryInterface => {
                    if !reads_caller(method) && service_impersonated(t) {
                        faults.push(format!(
                            "{method:?} on job {job_id} through {who}: the service looked at the caller's token although access is decided at QueryInterface"
                        ));
                    }
                    (
                        grant_covers(p.grant.read, p.grant.modify, need),
                        format!("the grant of {who}"),
                    )
                }
                AccessCheckAt::EveryCall => match presented(t) {
                    Some((token, tok)) => {
                        let a = rule_access(tok, &job.owner);
                        (
                            grant_covers(a.read, a.modify, need),
                            format!("the caller's token {token} ({})", tok.user.sid),
                        )
                    }
                    None => {
                        if hr.succeeded() || hr == HResult::EAccessDenied {
                            faults.push(format!(
                                "{method:?} on job {job_id} through {who} was decided without a per-call access check (no caller identity was taken)"
                            ));
                        }
                        return faults.done();
                    }
                },
            };
            if hr.succeeded() && !allowed {
                faults.push(format!(
                    "{method:?} on job {job_id} through {who} succeeded although {basis} does not allow it ({need:?})"
                ));
            }
            if hr == HResult::EAccessDenied && allowed && !refused_elsewhere {
                faults.push(format!(
                    "{method:?} on job {job_id} through {who} was refused with E_ACCESSDENIED although {basis} allows it"
                ));
            }
        }
        Some((thread, Call::QueryInterface { pointer, interface })) => {
            let Some(p) = t.before.bits.pointers.get(pointer) else {
                return Ok(());
            };
            let Some(job) = pointer_job(p).and_then(|j| t.before.job(j)) else {
                return Ok(());
            };
            if !(hr.succeeded() || hr == HResult::EAccessDenied) {
                return Ok(());
            }
            match (mode, presented(t)) {
                (AccessCheckAt::EveryCall, _) if hr == HResult::EAccessDenied => {
                    faults.push(format!(
                        "QueryInterface({}) by {thread} on job {} was refused although access is checked on every call, not at QueryInterface",
                        interface.name(),
                        job.id
                    ));
                }
                (AccessCheckAt::EveryCall, _) => {}
                (AccessCheckAt::QueryInterface, None) => faults.push(format!(
                    "QueryInterface({}) by {thread} on job {} was decided without taking the caller's identity",
                    interface.name(),
                    job.id
                )),
                (AccessCheckAt::QueryInterface, Some((token, tok))) => {
                    let read = rule_access(tok, &job.owner).read;
                    if read != hr.succeeded() {
                        faults.push(format!(
                            "QueryInterface({}) by {thread} (token {token}, {}) on job {} owned by {} returned {hr} although the rules {} it",
                            interface.name(),
                            tok.user.sid,
                            job.id,
                            job.owner.sid,
                            if read { "allow" } else { "refuse" }
                        ));
                    }
                }
            }
        }
        _ => {}
    }
    faults.done()
}

fn no_cross_user(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    let Some((thread, call)) = bits_call(t) else {
        return Ok(());
    };
    if !t.outcome.hr.succeeded() {
        return Ok(());
    }
    let caller = presented(t);
    let stranger = |owner: &Sid| -> Option<String> {
        match caller {
            Some((_, tok)) if !is_admin(tok) && tok.user.sid != *owner => {
                Some(tok.user.sid.to_string())
            }
            _ => None,
        }
    };
    match call {
        Call::GetJob { job } => {
            if let Some(j) = t.before.job(*job) {
                if let Some(who) = stranger(&j.owner.sid) {
                    faults.push(format!(
                        "GetJob by {thread} ({who}, not an administrator) returned job {job} owned by {}",
                        j.owner.sid
                    ));
                }
            }
        }
        Call::QueryInterface { pointer, interface }
            if t.rules.access_check == AccessCheckAt::QueryInterface =>
        {
            let job = t
                .before
                .bits
                .pointers
                .get(pointer)
                .and_then(pointer_job)
                .and_then(|j| t.before.job(j));
            if let Some(j) = job {
                if let Some(who) = stranger(&j.owner.sid) {
                    faults.push(format!(
                        "QueryInterface({}) by {thread} ({who}, not an administrator) succeeded on job {} owned by {}",
                        interface.name(),
                        j.id,
                        j.owner.sid
                    ));
                }
            }
        }
        Call::EnumJobs { all_users } => {
            if let Some((_, tok)) = caller {
                if *all_users && !is_admin(tok) {
                    faults.push(format!(
                        "EnumJobs(BG_JOB_ENUM_ALL_USERS) by {thread} ({}) succeeded without Administrators enabled",
                        tok.user.sid
                    ));
                }
            }
            if let Value::Pointer { pointer } = &t.outcome.value {
                if let Some(Target::Jobs { items, .. }) =
                    t.after.bits.pointers.get(pointer).map(|p| &p.target)
                {
                    for (job, _) in items {
                        let Some(j) = job_record(t, *job) else {
                            continue;
                        };
                        if let Some(who) = stranger(&j.owner.sid) {
                            faults.push(format!(
                                "EnumJobs by {thread} ({who}, not an administrator) listed job {job} owned by {}",
                                j.owner.sid
                            ));
                        }
                    }
                }
            }
        }
        Call::Method { pointer, method } => {
            if need(method) == Need::Nothing {
                return Ok(());
            }
            let Some(p) = t.before.bits.pointers.get(pointer) else {
                return Ok(());
            };
            let Some(j) = pointer_job(p).and_then(|j| t.before.job(j)) else {
                return Ok(());
            };
            match t.rules.access_check {
                AccessCheckAt::QueryInterface => {
                    if !p.grant.admin && !p.grant.owner_match {
                        faults.push(format!(
                            "{method:?} on job {} succeeded through {} obtained by {}, who was neither the owner nor an administrator",
                            j.id,
                            pointer_name(*pointer),
                            p.caller
                        ));
                    }
                }
                AccessCheckAt::EveryCall => {
                    if let Some(who) = stranger(&j.owner.sid) {
                        faults.push(format!(
                            "{method:?} by {thread} ({who}, not an administrator) succeeded on job {} owned by {}",
                            j.id, j.owner.sid
                        ));
                    }
                }
            }
        }
        _ => {}
    }
    faults.done()
}

fn grant_at_issue(t: &Transition<'_>) -> Result<(), String> {
    let Some((thread, call)) = bits_call(t) else {
        return Ok(());
    };
    let what = match call {
        Call::CreateJob { .. } => "CreateJob",
        Call::GetJob { .. } => "GetJob",
        Call::QueryInterface { .. } => "QueryInterface",
        Call::EnumJobs { .. } => "EnumJobs",
        _ => return Ok(()),
    };
    if !t.outcome.hr.succeeded() {
        return Ok(());
    }
    let mut faults = Faults::default();
    let Some((token, tok)) = presented(t) else {
        return Err(format!(
            "{what} by {thread} handed out a pointer without taking the caller's identity"
        ));
    };
    // What the rules give the caller on a job.
    let expected = |owner: &Owner| {
        let access = rule_access(tok, owner);
        (
            access.read,
            access.modify,
            tok.user.sid == owner.sid,
            is_admin(tok),
        )
    };
    let given = |g: &Grant| (g.read, g.modify, g.owner_match, g.admin);
    let process = t.before.host.thread(thread).map(|th| th.process);
    for event in &t.outcome.events {
        let BitsEvent::PointerIssued {
            pointer,
            caller,
            grant,
            ..
        } = event
        else {
            continue;
        };
        let who = pointer_name(*pointer);
        let Some(p) = t.after.bits.pointers.get(pointer) else {
            faults.push(format!(
                "{what} issued {who}, which the service does not hold"
            ));
            continue;
        };
        if p.grant != *grant || p.caller != *caller {
            faults.push(format!(
                "{who} holds a grant or caller different from what {what} reported"
            ));
        }
        if Some(p.process) != process {
            faults.push(format!(
                "{who} belongs to {} but {what} was called by {thread}",
                p.process
            ));
        }
        if *caller != tok.user.sid {
            faults.push(format!(
                "{who} records caller {caller} but the call presented token {token} of {}",
                tok.user.sid
            ));
        }
        // The job a pointer reaches, or every job of an enumerator's
        // snapshot, each with the grant recorded for it.
        let recorded: Vec<(JobId, Grant)> = match &p.target {
            Target::Job { job } => vec![(*job, *grant)],
            Target::Jobs { items, .. } => items.clone(),
            _ => Vec::new(),
        };
        for (job, g) in recorded {
            let Some(record) = t.after.job(job) else {
                continue;
            };
            let want = expected(&record.owner);
            if given(&g) != want {
                faults.push(format!(
                    "{who} records for job {job} of {} (read, modify, owner_match, admin) = {:?} for {} (token {token}), the rules give {want:?}",
                    record.owner.sid,
                    given(&g),
                    tok.user.sid
                ));
            }
        }
    }
    faults.done()
}

fn final_hidden(t: &Transition<'_>) -> Result<(), String> {
    let Some((thread, call)) = bits_call(t) else {
        return Ok(());
    };
    if !t.outcome.hr.succeeded() {
        return Ok(());
    }
    let mut faults = Faults::default();
    let is_final = |job: JobId| job_record(t, job).is_some_and(|j| j.state.is_final());
    match call {
        Call::GetJob { job } if is_final(*job) => faults.push(format!(
            "GetJob by {thread} returned job {job}, which is in a final state"
        )),
        Call::EnumJobs { .. } => {
            if let Value::Pointer { pointer } = &t.outcome.value {
                if let Some(Target::Jobs { items, .. }) =
                    t.after.bits.pointers.get(pointer).map(|p| &p.target)
                {
                    for (job, _) in items.iter().filter(|(j, _)| is_final(*j)) {
                        faults.push(format!(
                            "EnumJobs by {thread} listed job {job}, which is in a final state"
                        ));
                    }
                }
            }
        }
        _ => {}
    }
    faults.done()
}

// ---------------------------------------------------------------------------
// 6. The identity a transfer uses

fn resource_identity(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    let complete_caller = match method_call(t) {
        Some((_, _, Method::Complete)) => presented(t).map(|(_, tok)| tok.user.sid.clone()),
        _ => None,
    };
    for event in &t.outcome.events {
        let BitsEvent::ResourceAccess {
            job,
            resource,
            name,
            acting,
            user,
            ..
        } = event
        else {
            continue;
        };
        let Some(j) = job_record(t, *job) else {
            faults.push(format!(
                "job {job} reached {name}, but the service holds no such job"
            ));
            continue;
        };
        let owner = Some(&j.owner.sid);
        let helper = j.helper.as_ref().map(|h| &h.sid);
        let flag = match resource {
            Resource::LocalFile => token_flags::LOCAL_FILE,
            Resource::Remote => token_flags::NETWORK,
            Resource::ClientCertificate => 0,
        };
        let user = user.as_ref();
        let ok = match (resource, acting) {
            (Resource::Remote, Acting::Explicit) => {
                user.is_none() && j.credentials.values().any(|c| c.user.is_some())
            }
            (Resource::Remote, Acting::Anonymous) => user.is_none(),
            (_, Acting::Helper) => {
                flag != 0 && j.helper_flags & flag != 0 && helper.is_some() && user == helper
            }
            (_, Acting::Owner) => {
                j.helper_flags & flag == 0
                    && (user == owner
                        || (*resource == Resource::LocalFile
                            && complete_caller.is_some()
                            && user == complete_caller.as_ref()))
            }
            _ => false,
        };
        if !ok {
            faults.push(format!(
                "job {job} reached {name} ({resource:?}) as {acting:?} ({}) with flags {:#x}, helper {} and owner {}",
                user.map_or_else(|| "no token".to_string(), ToString::to_string),
                j.helper_flags,
                helper.map_or_else(|| "none".to_string(), ToString::to_string),
                j.owner.sid
            ));
        }
    }
    faults.done()
}

// ---------------------------------------------------------------------------
// 8–10, 15–17, 20–21. Job records

fn final_states(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    for (id, before) in &t.before.bits.jobs {
        if !before.state.is_final() {
            continue;
        }
        match t.after.job(*id) {
            Some(after) if after.state == before.state => {}
            Some(after) => faults.push(format!(
                "job {id} left {} for {}",
                before.state, after.state
            )),
            None => faults.push(format!("job {id} ({}) disappeared", before.state)),
        }
    }
    for e in &t.outcome.events {
        if let BitsEvent::StateChanged { job, from, to, .. } = e {
            if from.is_final() {
                faults.push(format!("job {job} changed from {from} to {to}"));
            }
        }
    }
    faults.done()
}

fn no_progress_without_logon(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    for (id, after) in &t.after.bits.jobs {
        let Some(before) = t.before.job(*id) else {
            continue;
        };
        let (from, to) = (
            before.progress().bytes_transferred,
            after.progress().bytes_transferred,
        );
        if to <= from {
            continue;
        }
        let owner = &before.owner;
        let logged_on = owner.always_logged_on
            || (has_eligible_logon(t.before, &owner.sid)
                && has_eligible_logon(t.after, &owner.sid));
        if !logged_on {
            faults.push(format!(
                "job {id} moved from {from} to {to} bytes while its owner {} ({}) had no Winlogon logon on {}",
                owner.account, owner.sid, t.after.bits.machine
            ));
        }
        if !t.before.bits.network_up || !t.after.bits.network_up {
            faults.push(format!(
                "job {id} moved from {from} to {to} bytes while the network was down"
            ));
        }
    }
    faults.done()
}

fn owner_change(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    let take = method_call(t).and_then(|(_, pointer, method)| {
        matches!(method, Method::TakeOwnership)
            .then(|| t.before.bits.pointers.get(&pointer).and_then(pointer_job))
            .flatten()
    });
    for (id, before) in &t.before.bits.jobs {
        let Some(after) = t.after.job(*id) else {
            continue;
        };
        if after.owner == before.owner {
            continue;
        }
        if take != Some(*id) || !t.outcome.hr.succeeded() {
            faults.push(format!(
                "the owner of job {id} changed from {} to {} outside a successful TakeOwnership on it",
                before.owner.sid, after.owner.sid
            ));
            continue;
        }
        match presented(t) {
            Some((token, tok)) => {
                if !is_admin(tok) || !is_elevated(tok) {
                    faults.push(format!(
                        "TakeOwnership of job {id} succeeded for {} (token {token}) without Administrators enabled",
                        tok.user.sid
                    ));
                }
                if after.owner.sid != tok.user.sid {
                    faults.push(format!(
                        "TakeOwnership of job {id} by {} made {} the owner",
                        tok.user.sid, after.owner.sid
                    ));
                }
            }
            None => faults.push(format!(
                "TakeOwnership of job {id} changed the owner without taking the caller's identity"
            )),
        }
        let logged = t.outcome.events.iter().any(|e| {
            matches!(e, BitsEvent::OwnerChanged { job, owner } if job == id && *owner == after.owner.sid)
        });
        if !logged {
            faults.push(format!("the owner change of job {id} was not logged"));
        }
    }
    faults.done()
}

fn transferred_complete(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    for (id, after) in &t.after.bits.jobs {
        if after.state != JobState::Transferred {
            continue;
        }
        let before = t.before.job(*id);
        if before.is_some_and(|b| b.state == JobState::Transferred) {
            let Some(b) = before else { continue };
            for (index, (old, new)) in b.files.iter().zip(&after.files).enumerate() {
                if old.bytes_transferred != new.bytes_transferred || old.completed != new.completed
                {
                    faults.push(format!(
                        "file {index} of job {id} changed from {} to {} bytes while the job stayed TRANSFERRED",
                        old.bytes_transferred, new.bytes_transferred
                    ));
                }
            }
            continue;
        }
        for (index, f) in after.files.iter().enumerate() {
            if !f.completed
                || f.bytes_total == BG_SIZE_UNKNOWN
                || f.bytes_transferred != f.bytes_total
            {
                faults.push(format!(
                    "job {id} entered TRANSFERRED with file {index} ({}) at {} of {} bytes, completed={}",
                    f.remote,
                    f.bytes_transferred,
                    if f.bytes_total == BG_SIZE_UNKNOWN {
                        "unknown".to_string()
                    } else {
                        f.bytes_total.to_string()
                    },
                    f.completed
                ));
            }
        }
    }
    faults.done()
}

fn error_recorded(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    for (id, job) in &t.after.bits.jobs {
        if !matches!(job.state, JobState::Error | JobState::TransientError) {
            continue;
        }
        let Some(error) = &job.error else {
            faults.push(format!(
                "job {id} is in {} without an error object",
                job.state
            ));
            continue;
        };
        if error.code.succeeded() || error.context == ErrorContext::None {
            faults.push(format!(
                "job {id} is in {} with error {} in context {}",
                job.state,
                error.code,
                error.context.name()
            ));
        }
        let last = t.outcome.events.iter().rev().find_map(|e| match e {
            BitsEvent::StateChanged { job, to, code, .. } if job == id => Some((*to, *code)),
            _ => None,
        });
        if let Some((to, code)) = last {
            if to == job.state && code != Some(error.code) {
                faults.push(format!(
                    "job {id} went to {to} with {} but its error object says {}",
                    code.map_or_else(|| "no code".to_string(), |c| c.to_string()),
                    error.code
                ));
            }
        }
    }
    faults.done()
}

fn helper_flags(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    for (id, job) in &t.after.bits.jobs {
        if job.helper_flags & !token_flags::ALL != 0 {
            faults.push(format!(
                "job {id} has helper flags {:#x}, outside BG_TOKEN_LOCAL_FILE|BG_TOKEN_NETWORK",
                job.helper_flags
            ));
        }
        let Some(h) = &job.helper else {
            continue;
        };
        let Some(o) = t.after.host.token(h.token) else {
            faults.push(format!(
                "job {id} holds helper token {}, which the host does not hold",
                h.token
            ));
            continue;
        };
        if let TokenType::Impersonation(level) = o.token.token_type {
            if level < ImpersonationLevel::Impersonation {
                faults.push(format!(
                    "job {id} holds helper token {} at {}",
                    h.token,
                    level.name()
                ));
            }
        }
        if o.token.user.sid != h.sid {
            faults.push(format!(
                "job {id} records helper SID {} but token {} is {}",
                h.sid, h.token, o.token.user.sid
            ));
        }
        if is_admin(&o.token) != h.admin_enabled {
            faults.push(format!(
                "job {id} records Administrators {} in helper token {}, which says otherwise",
                if h.admin_enabled {
                    "enabled"
                } else {
                    "not enabled"
                },
                h.token
            ));
        }
    }
    faults.done()
}

fn state_logged(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    let mut chains: BTreeMap<JobId, Vec<(JobState, JobState)>> = BTreeMap::new();
    for e in &t.outcome.events {
        if let BitsEvent::StateChanged { job, from, to, .. } = e {
            chains.entry(*job).or_default().push((*from, *to));
        }
    }
    for (id, after) in &t.after.bits.jobs {
        let start = match t.before.job(*id) {
            Some(b) => b.state,
            None => {
                let created = t
                    .outcome
                    .events
                    .iter()
                    .any(|e| matches!(e, BitsEvent::JobCreated { job, .. } if job == id));
                if !created {
                    faults.push(format!("job {id} appeared without a JobCreated event"));
                }
                JobState::Suspended
            }
        };
        let mut current = start;
        for (from, to) in chains.remove(id).unwrap_or_default() {
            if from != current || from == to {
                faults.push(format!(
                    "job {id} logged a change from {from} to {to} while it was {current}"
                ));
            }
            current = to;
        }
        if current != after.state {
            faults.push(format!(
                "job {id} is {} but its logged changes end at {current} (it was {start})",
                after.state
            ));
        }
    }
    for id in chains.keys() {
        faults.push(format!(
            "state changes were logged for job {id}, which does not exist"
        ));
    }
    faults.done()
}

fn create_suspended(t: &Transition<'_>) -> Result<(), String> {
    let Some((thread, Call::CreateJob { .. })) = bits_call(t) else {
        return Ok(());
    };
    let new: Vec<&Job> = t
        .after
        .bits
        .jobs
        .values()
        .filter(|j| t.before.job(j.id).is_none())
        .collect();
    if !t.outcome.hr.succeeded() {
        return match new.first() {
            Some(j) => Err(format!(
                "CreateJob by {thread} failed with {} yet job {} appeared",
                t.outcome.hr, j.id
            )),
            None => Ok(()),
        };
    }
    let mut faults = Faults::default();
    let [job] = new.as_slice() else {
        return Err(format!(
            "CreateJob by {thread} made {} jobs instead of one",
            new.len()
        ));
    };
    if !matches!(&t.outcome.value, Value::Job { job: j, .. } if *j == job.id) {
        faults.push(format!(
            "CreateJob by {thread} made job {} but returned {:?}",
            job.id, t.outcome.value
        ));
    }
    let progress = job.progress();
    if job.state != JobState::Suspended
        || !job.files.is_empty()
        || job.error.is_some()
        || job.helper.is_some()
        || job.helper_flags != 0
        || progress.bytes_transferred != 0
    {
        faults.push(format!(
            "new job {} is {} with {} files, error {:?}, helper {:?}, flags {:#x}",
            job.id,
            job.state,
            job.files.len(),
            job.error.as_ref().map(|e| e.code),
            job.helper.as_ref().map(|h| h.token),
            job.helper_flags
        ));
    }
    match presented(t) {
        None => faults.push(format!(
            "CreateJob by {thread} made job {} without taking the caller's identity",
            job.id
        )),
        Some((token, tok)) => {
            let o = &job.owner;
            let expected = (
                tok.user.sid.clone(),
                is_elevated(tok),
                tok.integrity.0,
                is_admin(tok),
                is_service_identity(&tok.user.sid),
            );
            let got = (
                o.sid.clone(),
                o.elevated,
                o.integrity,
                o.admin,
                o.always_logged_on,
            );
            if got != expected {
                faults.push(format!(
                    "job {} records owner (sid, elevated, integrity, admin, service) = {got:?}, but the caller presented token {token} giving {expected:?}",
                    job.id
                ));
            }
        }
    }
    faults.done()
}

// ---------------------------------------------------------------------------
// 11–14. Host-level security

/// One access decision logged by the host, with the token the acting
/// thread had at that moment and, for a remote server, the token its far
/// side built.
struct Seen<'a> {
    thread: ThreadId,
    object: &'a str,
    user: &'a Sid,
    granted: bool,
    token: Option<TokenId>,
    far_token: Option<TokenId>,
}

/// Every `Access` event of the step, replaying the impersonation events
/// before it to know which token each thread acted with.
fn decisions<'a>(t: &Transition<'a>) -> Vec<Seen<'a>> {
    let mut current: BTreeMap<ThreadId, Option<TokenId>> = BTreeMap::new();
    let mut last_logon = None;
    let mut out = Vec::new();
    for e in &t.outcome.host_events {
        match e {
            HostEvent::Impersonation { thread, token, .. } => {
                current.insert(*thread, *token);
            }
            HostEvent::ThreadCreated { thread, token } => {
                current.insert(*thread, *token);
            }
            HostEvent::Logon { token, .. } => last_logon = Some(*token),
            HostEvent::Access {
                thread,
                object,
                user,
                granted,
            } => {
                let imp = match current.get(thread) {
                    Some(tok) => *tok,
                    None => t
                        .before
                        .host
                        .thread(*thread)
                        .and_then(|th| th.impersonation),
                };
                let token =
                    imp.or_else(|| t.after.host.process_of(*thread).map(|p| p.primary_token));
                out.push(Seen {
                    thread: *thread,
                    object,
                    user,
                    granted: *granted,
                    token,
                    far_token: last_logon,
                });
            }
            _ => {}
        }
    }
    out
}

/// The server an access event names (its key or its resource text).
fn server_named<'a>(w: &'a World, object: &str) -> Option<&'a Server> {
    w.host.servers.iter().find_map(|(name, s)| {
        (name.eq_ignore_ascii_case(object) || (!s.resource.is_empty() && s.resource == object))
            .then_some(s)
    })
}

/// The machine a thread runs on.
fn machine_of<'a>(t: &Transition<'a>, thread: ThreadId) -> Option<&'a str> {
    t.after
        .host
        .process_of(thread)
        .or_else(|| t.before.host.process_of(thread))
        .map(|p| p.machine.as_str())
}

/// An object as it was when checked: before the step, or made in it.
fn object_sd<'a>(
    t: &Transition<'a>,
    machine: &str,
    path: &str,
) -> Option<(&'a SecurityDescriptor, ObjectKind)> {
    t.before
        .host
        .object(machine, path)
        .or_else(|| t.after.host.object(machine, path))
        .map(|o| (&o.sd, o.kind))
}

/// The most a token could be granted on a descriptor: the allow ACEs that
/// apply to its enabled SIDs (generic rights mapped), owner
/// READ_CONTROL|WRITE_DAC, everything for a NULL or absent DACL, and the
/// rights its enabled privileges grant (research `winsec.md` §4.2–§4.6).
fn upper_bound(sd: &SecurityDescriptor, token: &Token, mapping: &GenericMapping) -> AccessMask {
    let mut bound = AccessMask::NONE;
    if token.privilege_enabled(Privilege::Security) {
        bound |= AccessMask::ACCESS_SYSTEM_SECURITY;
    }
    if token.privilege_enabled(Privilege::TakeOwnership)
        || token.privilege_enabled(Privilege::Relabel)
    {
        bound |= AccessMask::WRITE_OWNER;
    }
    let file = *mapping == GenericMapping::FILE;
    if token.privilege_enabled(Privilege::Backup) {
        bound |=
            AccessMask::READ_CONTROL | AccessMask::ACCESS_SYSTEM_SECURITY | mapping.generic_read;
        if file {
            bound |= AccessMask(0x20);
        }
    }
    if token.privilege_enabled(Privilege::Restore) {
        bound |= AccessMask::WRITE_DAC
            | AccessMask::WRITE_OWNER
            | AccessMask::ACCESS_SYSTEM_SECURITY
            | AccessMask::DELETE
            | mapping.generic_write;
        if file {
            bound |= AccessMask(0x6);
        }
    }
    let owns = sd
        .owner
        .as_ref()
        .is_some_and(|o| token.matches_for_allow(o));
    if owns {
        bound |= AccessMask::READ_CONTROL | AccessMask::WRITE_DAC;
    }
    match &sd.dacl {
        AclSlot::Absent | AclSlot::Null => {
            bound |= AccessMask::STANDARD_RIGHTS_ALL
                | AccessMask::SPECIFIC_RIGHTS_ALL
                | mapping.generic_all;
        }
        AclSlot::Present(acl) => {
            for ace in &acl.aces {
                if ace.flags.inherit_only() || !ace.ace_type.is_allow() {
                    continue;
                }
                let applies = if ace.sid == sids::owner_rights() {
                    owns
                } else {
                    token.matches_for_allow(&ace.sid)
                };
                if applies {
                    bound |= mapping.map(ace.mask);
                }
            }
        }
    }
    bound
}

/// A server's resource descriptor as the far side checks it.
fn server_sd(w: &World, server: &Server) -> Option<SecurityDescriptor> {
    let mut sd = winsec::sddl::parse(&server.sddl, &w.host.domain_context(&server.machine)).ok()?;
    sd.owner.get_or_insert_with(sids::builtin_administrators);
    sd.group.get_or_insert_with(sids::local_system);
    Some(sd)
}

fn remote_bounded(t: &Transition<'_>, ra: &RemoteAccess, faults: &mut Faults) {
    if let Some(hop) = &ra.proxy {
        remote_bounded(t, hop, faults);
    }
    if !ra.is_granted() || ra.granted.is_empty() {
        return;
    }
    let server = t.after.host.servers.get(&ra.server.to_ascii_lowercase());
    let token = ra.remote_token.and_then(|id| t.after.host.token(id));
    let (Some(server), Some(token)) = (server, token) else {
        faults.push(format!(
            "{} granted {} to a far side the host cannot show",
            ra.server, ra.granted
        ));
        return;
    };
    let Some(sd) = server_sd(t.after, server) else {
        return;
    };
    let bound = upper_bound(&sd, &token.token, &GenericMapping::FILE);
    let excess = ra.granted.without(bound);
    if !excess.is_empty() {
        faults.push(format!(
            "{} granted {} to {}, but its ACL can give at most {bound}",
            ra.server, ra.granted, token.token.user.sid
        ));
    }
}

fn access_bounded(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    // A client's own object or network operation: the masks are known.
    if let (Op::Host { op }, Some(simos::ApiResult::Ok { value })) = (t.op, &t.outcome.host_result)
    {
        match value {
            simos::Value::Object(access) => {
                let thread = match op {
                    simos::Op::Object(
                        ObjectOp::Create { thread, .. }
                        | ObjectOp::Open { thread, .. }
                        | ObjectOp::SetSecurity { thread, .. }
                        | ObjectOp::Delete { thread, .. },
                    ) => Some(*thread),
                    _ => None,
                };
                let machine = thread.and_then(|th| machine_of(t, th));
                let token = t.after.host.token(access.token).map(|o| &o.token);
                if let (Some(machine), Some(token)) = (machine, token) {
                    let mut decided: Vec<(&str, AccessMask)> = access
                        .checks
                        .iter()
                        .filter(|c| c.result.is_granted())
                        .map(|c| {
                            (
                                c.object.as_str(),
                                c.result.granted.unwrap_or(AccessMask::NONE),
                            )
                        })
                        .collect();
                    if matches!(op, simos::Op::Object(ObjectOp::Open { .. })) {
                        decided.push((access.path.as_str(), access.granted));
                    }
                    for (path, granted) in decided {
                        let Some((sd, kind)) = object_sd(t, machine, path) else {
                            continue;
                        };
                        let bound = upper_bound(sd, token, &kind.mapping());
                        if !granted.without(bound).is_empty() {
                            faults.push(format!(
                                "{} (token {}) was granted {granted} on {path}, but its descriptor can give at most {bound}",
                                token.user.sid, access.token
                            ));
                        }
                    }
                }
            }
            simos::Value::Remote(ra) => remote_bounded(t, ra, &mut faults),
            _ => {}
        }
    }
    // Every granted decision in the host's events, the service's included:
    // the events carry no mask, so the bound must at least not be empty.
    for seen in decisions(t).iter().filter(|s| s.granted) {
        if let Some(server) = server_named(t.after, seen.object) {
            let token = seen.far_token.and_then(|id| t.after.host.token(id));
            if let (Some(sd), Some(token)) = (server_sd(t.after, server), token) {
                if upper_bound(&sd, &token.token, &GenericMapping::FILE).is_empty() {
                    faults.push(format!(
                        "{} granted {} access although its ACL gives that identity nothing",
                        seen.object, seen.user
                    ));
                }
            }
            continue;
        }
        let Some(machine) = machine_of(t, seen.thread) else {
            continue;
        };
        let (Some((sd, kind)), Some(token)) = (
            object_sd(t, machine, seen.object),
            seen.token.and_then(|id| t.after.host.token(id)),
        ) else {
            continue;
        };
        if upper_bound(sd, &token.token, &kind.mapping()).is_empty() {
            faults.push(format!(
                "{} ({}) was granted access to {} although its descriptor gives that token nothing",
                seen.thread, seen.user, seen.object
            ));
        }
    }
    faults.done()
}

fn no_privilege_gain(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    // The one legitimate way to enable a privilege: AdjustTokenPrivileges
    // on a token that already holds it.
    let adjusted: &[winsec::Privilege] = match t.op {
        Op::Host {
            op: simos::Op::AdjustTokenPrivileges { enable, .. },
        } => enable,
        _ => &[],
    };
    for (id, before) in &t.before.host.tokens {
        let Some(after) = t.after.host.tokens.get(id) else {
            continue;
        };
        if simos::shared::Shared::ptr_eq(&before.token, &after.token) {
            // Untouched since the world was cloned.
            continue;
        }
        let (b, a) = (&before.token, &after.token);
        for p in &a.privileges {
            if !b.has_privilege(p.privilege) {
                faults.push(format!(
                    "token {id} ({}) gained privilege {}",
                    a.user.sid,
                    p.privilege.name()
                ));
            }
        }
        for p in a.privileges.iter().filter(|p| p.is_enabled()) {
            if !b.privilege_enabled(p.privilege) && !adjusted.contains(&p.privilege) {
                faults.push(format!(
                    "token {id} ({}) gained enabled privilege {}",
                    a.user.sid,
                    p.privilege.name()
                ));
            }
        }
        for g in a.groups.iter().filter(|g| g.is_enabled()) {
            if !b
                .groups
                .iter()
                .any(|old| old.sid == g.sid && old.is_enabled())
            {
                faults.push(format!(
                    "token {id} ({}) gained enabled group {}",
                    a.user.sid, g.sid
                ));
            }
        }
        if a.user_enabled() && !b.user_enabled() {
            faults.push(format!("token {id} had its user SID enabled for access"));
        }
        if a.integrity > b.integrity {
            faults.push(format!(
                "token {id} ({}) rose from integrity {} to {}",
                a.user.sid, b.integrity, a.integrity
            ));
        }
        if let (Some(old), Some(new)) = (b.impersonation_level(), a.impersonation_level()) {
            if new > old {
                faults.push(format!(
                    "token {id} ({}) rose from {} to {}",
                    a.user.sid,
                    old.name(),
                    new.name()
                ));
            }
        }
    }
    for thread in t.after.host.threads.values() {
        if let Some(token) = thread.impersonation {
            if t.after.host.token(token).is_none() {
                faults.push(format!(
                    "{} impersonates {token}, which the host does not hold",
                    thread.id
                ));
            }
        }
    }
    faults.done()
}

fn identification_never_opens(t: &Transition<'_>) -> Result<(), String> {
    // A program's own AccessCheck opens nothing: it only asks what a
    // client token would get, and Identification is enough for that.
    if let Op::Host {
        op: simos::Op::Object(simos::objects::ObjectOp::AccessCheck { .. }),
    } = t.op
    {
        return Ok(());
    }
    let mut faults = Faults::default();
    let below = |tt: TokenType| match tt {
        TokenType::Impersonation(level) if level < ImpersonationLevel::Impersonation => {
            Some(level.name())
        }
        _ => None,
    };
    if let Some(simos::ApiResult::Ok {
        value: simos::Value::Object(access),
    }) = &t.outcome.host_result
    {
        if let Some(level) = below(access.acted_as) {
            faults.push(format!(
                "{} reached {} with token {} at {level}",
                access.user, access.path, access.token
            ));
        }
    }
    for seen in decisions(t).iter().filter(|s| s.granted) {
        let Some(token) = seen.token else {
            continue;
        };
        if let Some(level) = t
            .after
            .host
            .token(token)
            .and_then(|o| below(o.token.token_type))
        {
            faults.push(format!(
                "{} was granted access to {} while acting with {token} at {level}",
                seen.thread, seen.object
            ));
        }
    }
    faults.done()
}

/// Whether Kerberos delegation the domain allows carries `session`'s user
/// from the process of `thread` to `server` (research `impersonation.md`
/// §6.3–§6.7).
fn delegation_allows(
    t: &Transition<'_>,
    thread: ThreadId,
    session: &LogonSession,
    server: &Server,
) -> bool {
    let host = &t.after.host;
    let Some(domain) = host.domain.as_ref() else {
        return false;
    };
    if session.package != AuthPackage::Kerberos {
        return false;
    }
    let Some(user) = domain.accounts.values().find(|a| a.sid == session.user) else {
        return false;
    };
    if user.delegation.not_delegated || domain.is_protected_user(user) {
        return false;
    }
    // The front end: the account the serving process acts as on the network.
    let Some(process) = host.process_of(thread) else {
        return false;
    };
    let Some(front_session) = host.logon_of(process.primary_token) else {
        return false;
    };
    let front = if front_session.user == sids::local_system()
        || front_session.user == sids::network_service()
    {
        host.machine(&process.machine)
            .filter(|m| m.domain_joined)
            .and_then(|m| domain.account(&format!("{}$", m.name)))
    } else {
        domain
            .accounts
            .values()
            .find(|a| a.sid == front_session.user)
    };
    let Some(front) = front else {
        return false;
    };
    let s4u = session.logon_type == LogonType::S4u;
    let unconstrained = front.delegation.trusted_for_delegation && !s4u;
    let constrained = front
        .delegation
        .allowed_to_delegate_to
        .iter()
        .any(|spn| spn.eq_ignore_ascii_case(&server.spn))
        && (!s4u || front.delegation.trusted_to_auth_for_delegation);
    let resource_based = domain.account_for_spn(&server.spn).is_some_and(|back| {
        back.delegation
            .allowed_to_act_on_behalf
            .iter()
            .any(|n| n.eq_ignore_ascii_case(&front.name))
    });
    unconstrained || constrained || resource_based
}

fn network_hop(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    let anonymous = sids::anonymous();
    for seen in decisions(t) {
        let Some(server) = server_named(t.after, seen.object) else {
            continue;
        };
        if *seen.user == anonymous {
            continue;
        }
        let session = seen
            .token
            .and_then(|id| t.after.host.token(id))
            .and_then(|o| t.after.host.logons.get(&o.logon));
        let Some(session) = session else {
            faults.push(format!(
                "{} saw {} from {}, whose logon session the host cannot show",
                seen.object, seen.user, seen.thread
            ));
            continue;
        };
        let held = !matches!(session.credentials, NetworkCredentials::None);
        let delegated =
            *seen.user == session.user && delegation_allows(t, seen.thread, session, server);
        if !held && !delegated {
            faults.push(format!(
                "{} saw {} from {} acting in logon {} of {} ({}), which holds no network credentials and no delegation allows",
                seen.object,
                seen.user,
                seen.thread,
                session.id,
                session.account,
                session.logon_type.name()
            ));
        }
    }
    faults.done()
}
