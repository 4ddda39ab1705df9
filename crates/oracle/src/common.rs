//! Queries the invariants share: what a transition did (the BITS call,
//! the method, the token presented), who is an administrator, what a
//! method needs and what a grant covers.

use bits::job::{Job, Owner};
use bits::world::{Call, Op, Pointer, PointerId, Target, World};
use bits::{JobId, Method};
use simos::host::Event as HostEvent;
use simos::{ThreadId, TokenId};
use winsec::well_known::sids;
use winsec::{ElevationType, Sid, Token};

use std::borrow::Cow;

use crate::Transition;

/// Collects messages and turns them into the check's result.
#[derive(Default)]
pub(crate) struct Faults(pub(crate) Vec<String>);

impl Faults {
    pub(crate) fn push(&mut self, message: String) {
        self.0.push(message);
    }

    pub(crate) fn done(self) -> Result<(), String> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0.join("; "))
        }
    }
}

pub(crate) fn pointer_name(p: PointerId) -> String {
    format!("pointer#{}", p.0)
}

/// The BITS call of the operation, with the calling thread.
pub(crate) fn bits_call<'a>(t: &Transition<'a>) -> Option<(ThreadId, &'a Call)> {
    match t.op {
        Op::Bits { thread, call } => Some((*thread, call)),
        _ => None,
    }
}

/// The BITS call a transition made, with the manager's methods through a
/// manager pointer (`Method::CreateJob`, `GetJob`, `EnumJobs`) seen as
/// the manager calls they are.
pub(crate) fn service_call<'a>(t: &Transition<'a>) -> Option<(ThreadId, Cow<'a, Call>)> {
    let (thread, call) = bits_call(t)?;
    let normalized = match call {
        Call::Method {
            method: Method::CreateJob { name, job_type },
            ..
        } => Call::CreateJob {
            name: name.clone(),
            job_type: *job_type,
        },
        Call::Method {
            method: Method::GetJob { job },
            ..
        } => Call::GetJob { job: *job },
        Call::Method {
            method: Method::EnumJobs { all_users },
            ..
        } => Call::EnumJobs {
            all_users: *all_users,
        },
        other => return Some((thread, Cow::Borrowed(other))),
    };
    Some((thread, Cow::Owned(normalized)))
}

/// A method call through a pointer: thread, pointer and method.
pub(crate) fn method_call<'a>(t: &Transition<'a>) -> Option<(ThreadId, PointerId, &'a Method)> {
    match bits_call(t)? {
        (thread, Call::Method { pointer, method }) => Some((thread, *pointer, method)),
        _ => None,
    }
}

/// The job a pointer reaches through the job object.
pub(crate) fn pointer_job(p: &Pointer) -> Option<JobId> {
    match p.target {
        Target::Job { job } => Some(job),
        _ => None,
    }
}

/// The job record before the step, or after it for a job made in it.
pub(crate) fn job_record<'a>(t: &Transition<'a>, id: JobId) -> Option<&'a Job> {
    t.before.job(id).or_else(|| t.after.job(id))
}

/// The identity the calling thread presented to the service in this call:
/// the first token the service thread impersonated during the operation
/// (COM's answer to the call into the service).
pub(crate) fn presented<'a>(t: &Transition<'a>) -> Option<(TokenId, &'a Token)> {
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
pub(crate) fn service_impersonated(t: &Transition<'_>) -> bool {
    let service = t.before.bits.thread;
    t.outcome.host_events.iter().any(|e| {
        matches!(e, HostEvent::Impersonation { thread, token: Some(_), .. } if *thread == service)
    })
}

pub(crate) fn is_admin(token: &Token) -> bool {
    token.has_enabled_administrators()
}

/// `TokenElevation`: the full half of a split token, or a token with
/// Administrators enabled (SYSTEM, an administrator without UAC).
pub(crate) fn is_elevated(token: &Token) -> bool {
    token.elevation_type == ElevationType::Full || is_admin(token)
}

/// LocalSystem, LocalService and NetworkService: always logged on for BITS.
pub(crate) fn is_service_identity(sid: &Sid) -> bool {
    *sid == sids::local_system() || *sid == sids::local_service() || *sid == sids::network_service()
}

/// Whether `sid` has a Winlogon logon (console, Remote Desktop, fast user
/// switching) active on the BITS machine of `w`.
pub(crate) fn has_eligible_logon(w: &World, sid: &Sid) -> bool {
    w.host.logons.values().any(|l| {
        l.active && l.winlogon && l.machine.eq_ignore_ascii_case(&w.bits.machine) && &l.user == sid
    })
}

/// What a method needs from the access check: getters read the job,
/// everything else on the job object changes it; file and enumerator
/// methods work on what the pointer already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    Nothing,
    Read,
    Modify,
}

/// Whether a method reads or changes the job: the method table's own
/// classification (a fact about the API, not a decision the invariants
/// check).
pub(crate) fn need(method: &Method) -> Need {
    match method.needs() {
        bits::methods::Needs::Nothing => Need::Nothing,
        bits::methods::Needs::Read => Need::Read,
        bits::methods::Needs::Modify => Need::Modify,
    }
}

/// The IBitsTokenOptions methods, which carry their own authorisation
/// (administrator, or the 1607 conditions) besides the job's access.
pub(crate) fn is_token_options(method: &Method) -> bool {
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
pub(crate) fn reads_caller(method: &Method) -> bool {
    matches!(
        method,
        Method::Complete | Method::TakeOwnership | Method::SetHelperToken
    )
}

/// The access the rules of [SEC] give `token` on a job
/// owned by `owner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Access {
    pub(crate) read: bool,
    pub(crate) modify: bool,
}

pub(crate) fn rule_access(token: &Token, owner: &Owner) -> Access {
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

pub(crate) fn grant_covers(read: bool, modify: bool, need: Need) -> bool {
    match need {
        Need::Nothing => true,
        Need::Read => read,
        Need::Modify => modify,
    }
}

// ---------------------------------------------------------------------------
// 1–3. Helper tokens and logoff
