//! Invariants of access to jobs through COM: pointers carry their grant,
//! no user reaches another's job, grants are fixed when a pointer is
//! handed out, final jobs are hidden, ownership changes only by
//! TakeOwnership, and CreateJob makes exactly one suspended job.

use bits::job::{Job, JobState, Owner};
use bits::world::{BitsEvent, Call, Grant, Target, Value};
use bits::{AccessCheckAt, HResult, JobId, Method};
use winsec::Sid;

use crate::common::*;
use crate::Transition;

pub(crate) fn pointer_grant(t: &Transition<'_>) -> Result<(), String> {
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

pub(crate) fn no_cross_user(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    let Some((thread, call)) = service_call(t) else {
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
    match call.as_ref() {
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

pub(crate) fn grant_at_issue(t: &Transition<'_>) -> Result<(), String> {
    let Some((thread, call)) = service_call(t) else {
        return Ok(());
    };
    let what = match call.as_ref() {
        Call::CoCreateInstance => "CoCreateInstance",
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

pub(crate) fn final_hidden(t: &Transition<'_>) -> Result<(), String> {
    let Some((thread, call)) = service_call(t) else {
        return Ok(());
    };
    if !t.outcome.hr.succeeded() {
        return Ok(());
    }
    let mut faults = Faults::default();
    let is_final = |job: JobId| job_record(t, job).is_some_and(|j| j.state.is_final());
    match call.as_ref() {
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

pub(crate) fn owner_change(t: &Transition<'_>) -> Result<(), String> {
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

pub(crate) fn create_suspended(t: &Transition<'_>) -> Result<(), String> {
    let Some((thread, call)) = service_call(t) else {
        return Ok(());
    };
    if !matches!(call.as_ref(), Call::CreateJob { .. }) {
        return Ok(());
    }
    let new: Vec<&Job> = t
        .after
        .bits
        .jobs
        .values()
        .filter(|j| t.before.job(j.id).is_none())
        .map(|j| &**j)
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
