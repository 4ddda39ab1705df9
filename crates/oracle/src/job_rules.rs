//! Invariants of what the service records about who may do what to a
//! job: the quota exemption of administrators and service accounts
//! ([GP], [M-createjob], [J-addfile]), what TakeOwnership needs and strips
//! ([J-takeownership]), and whose identity the files Complete puts in
//! place are created with ([J-complete]).
//!
//! Each check re-derives the rule from the call, the identity the caller
//! presented and the job records; none asks the service's own decisions.

use bits::{Acting, BitsEvent, Call, HResult, Method, Resource};

use bits::job::token_flags;

use crate::common::*;
use crate::Transition;

/// INV-QUOTA-EXEMPT: a quota refusal only ever meets a caller (CreateJob)
/// or a job owner (AddFile) that is neither an administrator nor a service
/// account.
pub(crate) fn quota_exempt(t: &Transition<'_>) -> Result<(), String> {
    let Some((_, call)) = service_call(t) else {
        return Ok(());
    };
    match (call.as_ref(), t.outcome.hr) {
        (
            Call::CreateJob { .. },
            hr @ (HResult::BgETooManyJobsPerUser | HResult::BgETooManyJobsPerMachine),
        ) => {
            let Some((token, tok)) = presented(t) else {
                return Ok(());
            };
            if is_admin(tok) || is_service_identity(&tok.user.sid) {
                return Err(format!(
                    "CreateJob by {} (token {token}) failed with {hr}, but administrators and service accounts are not bound by the job quotas",
                    tok.user.sid
                ));
            }
            Ok(())
        }
        (
            Call::Method {
                pointer,
                method: Method::AddFile { .. } | Method::AddFileSet { .. },
            },
            HResult::BgETooManyFilesInJob,
        ) => {
            let job = t.before.bits.pointers.get(pointer).and_then(pointer_job);
            let Some(j) = job.and_then(|id| job_record(t, id)) else {
                return Ok(());
            };
            if j.owner.admin || is_service_identity(&j.owner.sid) {
                return Err(format!(
                    "AddFile on job {} failed with BG_E_TOO_MANY_FILES_IN_JOB, but its owner {} is an administrator or a service account, whom MaxFilesPerJob does not bind",
                    j.id, j.owner.sid
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// INV-TAKE-OWNERSHIP: a successful TakeOwnership was called by an
/// administrator and left the job without the previous owner's
/// credentials, client certificate, custom headers and command line.
pub(crate) fn take_ownership(t: &Transition<'_>) -> Result<(), String> {
    let Some((_, pointer, Method::TakeOwnership)) = method_call(t) else {
        return Ok(());
    };
    if !t.outcome.hr.succeeded() {
        return Ok(());
    }
    let Some(id) = t.before.bits.pointers.get(&pointer).and_then(pointer_job) else {
        return Ok(());
    };
    let mut faults = Faults::default();
    match presented(t) {
        Some((token, tok)) if !is_admin(tok) => faults.push(format!(
            "TakeOwnership of job {id} succeeded for {} (token {token}), who has no enabled Administrators SID",
            tok.user.sid
        )),
        _ => {}
    }
    if let Some(after) = t.after.job(id) {
        let mut kept = Vec::new();
        if !after.credentials.is_empty() {
            kept.push("credentials");
        }
        if after.client_certificate.is_some() {
            kept.push("a client certificate");
        }
        if after.custom_headers.is_some() {
            kept.push("custom headers");
        }
        if after.notify_cmdline.is_some() {
            kept.push("a notification command line");
        }
        if !kept.is_empty() {
            faults.push(format!(
                "job {id} kept {} through TakeOwnership",
                kept.join(", ")
            ));
        }
    }
    faults.done()
}

/// INV-COMPLETE-AS-CALLER: without BG_TOKEN_LOCAL_FILE, the files a
/// Complete puts in place are created as the caller of Complete when the
/// caller has a logon on the BITS machine.
pub(crate) fn complete_as_caller(t: &Transition<'_>) -> Result<(), String> {
    let Some((_, pointer, Method::Complete)) = method_call(t) else {
        return Ok(());
    };
    let Some(id) = t.before.bits.pointers.get(&pointer).and_then(pointer_job) else {
        return Ok(());
    };
    let (Some(job), Some((_, caller))) = (t.before.job(id), presented(t)) else {
        return Ok(());
    };
    let sid = &caller.user.sid;
    if job.helper_flags & token_flags::LOCAL_FILE != 0 || !has_eligible_logon(t.before, sid) {
        return Ok(());
    }
    let mut faults = Faults::default();
    for e in &t.outcome.events {
        if let BitsEvent::ResourceAccess {
            job: j,
            resource: Resource::LocalFile,
            name,
            acting: Acting::Owner,
            user: Some(user),
            ..
        } = e
        {
            if *j == id && user != sid {
                faults.push(format!(
                    "Complete of job {id} by {sid} put {name} in place as {user}"
                ));
            }
        }
    }
    faults.done()
}
