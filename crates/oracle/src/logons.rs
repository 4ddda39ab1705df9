//! Invariants of logons and token handling re-derived from the machine's
//! state: the logon right a LogonUser needed ([ARC]), the allow-list that
//! decides the level a thread impersonates at ([ILOU], [POL-IMP]), the UAC
//! split of an administrator's interactive logon ([MSDN-UAC]) and the
//! level DuplicateToken may give a copy ([DT], [DTE], [WT]
//! test_impersonation_level).
//!
//! Each check reads the operation, the events and the two worlds (the
//! policy, the tokens, the logon sessions); none asks the host's own
//! decision functions.

use std::collections::BTreeSet;

use bits::world::Op;
use simos::host::Event as HostEvent;
use simos::policy::{LogonRight, UserRight};
use simos::LogonType;
use winsec::well_known::sids;
use winsec::{ElevationType, ImpersonationLevel, Privilege, Sid};

use crate::common::*;
use crate::Transition;

/// The logon right a logon type needs ([ARC]); `None` for the types this
/// invariant does not judge.
fn right_for(logon_type: LogonType) -> Option<LogonRight> {
    match logon_type {
        LogonType::Interactive => Some(LogonRight::Interactive),
        LogonType::Network | LogonType::NetworkCleartext => Some(LogonRight::Network),
        LogonType::Batch => Some(LogonRight::Batch),
        LogonType::Service => Some(LogonRight::Service),
        _ => None,
    }
}

/// INV-LOGON-RIGHT: a LogonUser that succeeds was allowed by the machine's
/// policy for its logon type.
pub(crate) fn logon_right(t: &Transition<'_>) -> Result<(), String> {
    let Op::Host {
        op: simos::Op::LogonUser {
            thread, logon_type, ..
        },
    } = t.op
    else {
        return Ok(());
    };
    let Some(simos::ApiResult::Ok {
        value: simos::Value::Token { token },
    }) = &t.outcome.host_result
    else {
        return Ok(());
    };
    let Some(right) = right_for(*logon_type) else {
        return Ok(());
    };
    let (Some(made), Some(process)) = (
        t.after.host.token(*token),
        t.before.host.process_of(*thread),
    ) else {
        return Ok(());
    };
    let Some(machine) = t.before.host.machine(&process.machine) else {
        return Ok(());
    };
    // The account and every group its token carries, with Everyone and
    // Authenticated Users, which every logged-on account holds.
    let tok = &made.token;
    let mut holder: BTreeSet<Sid> = tok.groups.iter().map(|g| g.sid.clone()).collect();
    holder.insert(tok.user.sid.clone());
    holder.insert(sids::everyone());
    holder.insert(sids::authenticated_users());
    let policy = &machine.policy;
    let denied = policy.holds(UserRight::Logon(right.deny()), &holder);
    let held = policy.holds(UserRight::Logon(right), &holder);
    if denied || !held {
        let why = if denied {
            format!("holds {}", right.deny().name())
        } else {
            format!("does not hold {}", right.name())
        };
        return Err(format!(
            "LogonUser ({}) logged {} on to {} although the account {why} there",
            logon_type.name(),
            tok.user.sid,
            machine.name
        ));
    }
    Ok(())
}

/// INV-IMPERSONATION-ALLOWED: a thread takes up a token at Impersonation
/// level or above only under one of the allow-list's conditions.
pub(crate) fn impersonation_allowed(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    for e in &t.outcome.host_events {
        let HostEvent::Impersonation {
            thread,
            token: Some(id),
            level: Some(level),
        } = e
        else {
            continue;
        };
        if *level < ImpersonationLevel::Impersonation {
            continue;
        }
        let host = &t.after.host;
        let Some(process) = host
            .process_of(*thread)
            .or_else(|| t.before.host.process_of(*thread))
        else {
            continue;
        };
        let (Some(caller), Some(target)) = (host.token(process.primary_token), host.token(*id))
        else {
            continue;
        };
        let privileged = caller.token.privilege_enabled(Privilege::Impersonate);
        let explicit_here = target.explicit_credentials_from == Some(caller.logon);
        let same_user = target.token.user.sid == caller.token.user.sid;
        if !(privileged || explicit_here || same_user) {
            faults.push(format!(
                "{thread} impersonates {} (token {id}) at {} although its process token ({}) lacks SeImpersonatePrivilege, the token was not made with explicit credentials in its logon session and is another user's",
                target.token.user.sid,
                level.name(),
                caller.token.user.sid
            ));
        }
    }
    faults.done()
}

/// INV-UAC-SPLIT: an administrator's interactive logon on a UAC machine
/// hands out the filtered token, linked to the elevated one.
pub(crate) fn uac_split(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    let admins = sids::builtin_administrators();
    for e in &t.outcome.host_events {
        let HostEvent::Logon {
            logon,
            account,
            logon_type,
            token,
        } = e
        else {
            continue;
        };
        if !matches!(
            logon_type,
            LogonType::Interactive | LogonType::RemoteInteractive | LogonType::CachedInteractive
        ) {
            continue;
        }
        let host = &t.after.host;
        let uac = host
            .logons
            .get(logon)
            .and_then(|s| host.machine(&s.machine))
            .is_some_and(|m| m.uac);
        let Some(object) = host.token(*token) else {
            continue;
        };
        let tok = &object.token;
        // The built-in Administrator (RID 500) is not filtered by default.
        let builtin_administrator = tok.user.sid.rid() == Some(500);
        let member = tok.group(&admins).is_some();
        if !uac || !member || builtin_administrator {
            continue;
        }
        let linked_full = tok
            .linked_token
            .and_then(|id| host.tokens.values().find(|o| o.token.token_id == id))
            .is_some_and(|o| o.token.has_enabled_administrators());
        if tok.has_enabled_administrators()
            || tok.elevation_type != ElevationType::Limited
            || !linked_full
        {
            faults.push(format!(
                "the {} logon of administrator {account} on a UAC machine returned token {token} with Administrators {}, elevation {:?} and {} linked elevated token",
                logon_type.name(),
                if tok.has_enabled_administrators() { "enabled" } else { "not enabled" },
                tok.elevation_type,
                if linked_full { "a" } else { "no" }
            ));
        }
    }
    faults.done()
}

/// INV-DUPLICATE-LEVEL: DuplicateToken(Ex) never gives a copy of an
/// impersonation token a higher level than its source.
pub(crate) fn duplicate_level(t: &Transition<'_>) -> Result<(), String> {
    let source = match t.op {
        Op::Host {
            op: simos::Op::DuplicateToken { token, .. } | simos::Op::DuplicateTokenEx { token, .. },
        } => *token,
        _ => return Ok(()),
    };
    let Some(simos::ApiResult::Ok {
        value: simos::Value::Token { token: copy },
    }) = &t.outcome.host_result
    else {
        return Ok(());
    };
    let from = t
        .before
        .host
        .token(source)
        .and_then(|o| o.token.impersonation_level());
    let to = t
        .after
        .host
        .token(*copy)
        .and_then(|o| o.token.impersonation_level());
    match (from, to) {
        (Some(from), Some(to)) if to > from => Err(format!(
            "DuplicateToken made token {copy} at {} from token {source} at {}",
            to.name(),
            from.name()
        )),
        _ => Ok(()),
    }
}
