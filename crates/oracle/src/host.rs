//! Invariants of the Windows host: no access beyond what a descriptor can
//! give, no privilege gained, Identification-level tokens open nothing,
//! and a remote server sees a user only when credentials can get there.

use std::collections::BTreeMap;

use bits::world::{Op, World};
use simos::host::{AuthPackage, Event as HostEvent, LogonSession, NetworkCredentials};
use simos::network::{RemoteAccess, Server};
use simos::objects::{ObjectKind, ObjectOp};
use simos::{LogonType, ThreadId, TokenId};
use winsec::well_known::sids;
use winsec::{
    AccessMask, AclSlot, GenericMapping, ImpersonationLevel, Privilege, SecurityDescriptor, Sid,
    Token, TokenType,
};

use crate::common::*;
use crate::Transition;

/// One access decision logged by the host, with the token the acting
/// thread had at that moment and, for a remote server, the token its far
/// side built.
pub(crate) struct Seen<'a> {
    pub(crate) thread: ThreadId,
    pub(crate) object: &'a str,
    pub(crate) user: &'a Sid,
    pub(crate) granted: bool,
    pub(crate) token: Option<TokenId>,
    pub(crate) far_token: Option<TokenId>,
}

/// Every `Access` event of the step, replaying the impersonation events
/// before it to know which token each thread acted with.
pub(crate) fn decisions<'a>(t: &Transition<'a>) -> Vec<Seen<'a>> {
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
pub(crate) fn server_named<'a>(w: &'a World, object: &str) -> Option<&'a Server> {
    w.host.servers.iter().find_map(|(name, s)| {
        (name.eq_ignore_ascii_case(object) || (!s.resource.is_empty() && s.resource == object))
            .then_some(s)
    })
}

/// The machine a thread runs on.
pub(crate) fn machine_of<'a>(t: &Transition<'a>, thread: ThreadId) -> Option<&'a str> {
    t.after
        .host
        .process_of(thread)
        .or_else(|| t.before.host.process_of(thread))
        .map(|p| p.machine.as_str())
}

/// An object as it was when checked: before the step, or made in it.
pub(crate) fn object_sd<'a>(
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
/// rights its enabled privileges grant ([MS-DACL], [MS-DTYP] 2.5.3.2).
pub(crate) fn upper_bound(
    sd: &SecurityDescriptor,
    token: &Token,
    mapping: &GenericMapping,
) -> AccessMask {
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
pub(crate) fn server_sd(w: &World, server: &Server) -> Option<SecurityDescriptor> {
    let mut sd = winsec::sddl::parse(&server.sddl, &w.host.domain_context(&server.machine)).ok()?;
    sd.owner.get_or_insert_with(sids::builtin_administrators);
    sd.group.get_or_insert_with(sids::local_system);
    Some(sd)
}

pub(crate) fn remote_bounded(t: &Transition<'_>, ra: &RemoteAccess, faults: &mut Faults) {
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

pub(crate) fn access_bounded(t: &Transition<'_>) -> Result<(), String> {
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
    // A program's own AccessCheck (without PRINCIPAL SELF or an object
    // type list): its granted mask is bounded by the same descriptor.
    if let (
        Op::Host {
            op:
                simos::Op::Object(ObjectOp::AccessCheck {
                    thread,
                    principal_self: None,
                    object_types,
                    ..
                }),
        },
        Some(simos::ApiResult::Ok {
            value: simos::Value::Object(access),
        }),
    ) = (t.op, &t.outcome.host_result)
    {
        let machine = machine_of(t, *thread);
        let token = t.after.host.token(access.token).map(|o| &o.token);
        if let (true, Some(machine), Some(token)) = (object_types.is_empty(), machine, token) {
            let ctx = t.after.host.domain_context(machine);
            if let Ok(sd) = winsec::sddl::parse(&access.sddl, &ctx) {
                let bound = upper_bound(&sd, token, &access.kind.mapping());
                if !access.granted.without(bound).is_empty() {
                    faults.push(format!(
                        "AccessCheck granted {} to {} on {}, but its descriptor can give at most {bound}",
                        access.granted, token.user.sid, access.path
                    ));
                }
            }
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

pub(crate) fn no_privilege_gain(t: &Transition<'_>) -> Result<(), String> {
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

pub(crate) fn identification_never_opens(t: &Transition<'_>) -> Result<(), String> {
    // A program's own AccessCheck or CreatePrivateObjectSecurityEx opens
    // nothing: it only computes from a client token, and Identification is
    // enough for that.
    if let Op::Host {
        op:
            simos::Op::Object(
                simos::objects::ObjectOp::AccessCheck { .. }
                | simos::objects::ObjectOp::PrivateSecurity { .. },
            ),
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
/// from the process of `thread` to `server` ([W2K3-DEL], [SFU-OV],
/// [KCD], [PU] in docs/sources.md).
pub(crate) fn delegation_allows(
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

pub(crate) fn network_hop(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    // A network logon proves who the client is without handing over its
    // password: the session it makes cannot authenticate afresh.
    for (id, session) in &t.after.host.logons {
        if session.logon_type == LogonType::Network
            && session.credentials == NetworkCredentials::Password
            && !t.before.host.logons.contains_key(id)
        {
            faults.push(format!(
                "network logon {id} of {} holds the password",
                session.account
            ));
        }
    }
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
