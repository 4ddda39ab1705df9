//! Invariants of helper tokens: logoff and session end drop them, losing
//! one fails the job, only authorised calls store one, flags stay in range,
//! and each resource is reached as the identity the flags select.

use bits::job::{token_flags, JobState};
use bits::world::{Acting, BitsEvent, Interface, Op, Resource};
use bits::{AccessCheckAt, HResult, Method};
use simos::host::{Event as HostEvent, LogonSession};
use winsec::{ImpersonationLevel, TokenType};

use crate::common::*;
use crate::Transition;

pub(crate) fn logoff_drops_helper(t: &Transition<'_>) -> Result<(), String> {
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

pub(crate) fn ts_end_drops_helper(t: &Transition<'_>) -> Result<(), String> {
    // A session ends when it is ended, or when its last Winlogon user
    // logs off; either way the host says so.
    let machine = match t.op {
        Op::Host {
            op: simos::Op::EndTerminalSession { machine, .. },
        } => machine.as_str(),
        Op::Host {
            op: simos::Op::Logoff { logon },
        } => match t.before.host.logons.get(logon) {
            Some(s) => s.machine.as_str(),
            None => return Ok(()),
        },
        _ => return Ok(()),
    };
    if !machine.eq_ignore_ascii_case(&t.before.bits.machine) {
        return Ok(());
    }
    let mut faults = Faults::default();
    for e in &t.outcome.host_events {
        let HostEvent::TerminalSessionEnded { session } = e else {
            continue;
        };
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
    }
    faults.done()
}

pub(crate) fn token_required(t: &Transition<'_>) -> Result<(), String> {
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

pub(crate) fn helper_set_authorized(t: &Transition<'_>) -> Result<(), String> {
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

pub(crate) fn resource_identity(t: &Transition<'_>) -> Result<(), String> {
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

pub(crate) fn helper_flags(t: &Transition<'_>) -> Result<(), String> {
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
