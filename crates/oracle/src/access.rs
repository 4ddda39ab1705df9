//! The access check re-derived: what Win32 `AccessCheck` (and the kernel's
//! check behind an open) must answer for a descriptor, a token and a
//! desired mask, written from [MS-DTYP] 2.5.3.2 (the DACL walk and
//! MAXIMUM_ALLOWED), 2.5.3.3 (the integrity check), [MS-AC] (the call's
//! own refusals), [MS-PRIV] (privileges that grant before the DACL) and
//! [MS-RESTR] (the restricted pass), and the invariant that compares every
//! check a client operation ran with it.
//!
//! This module never calls `winsec`'s access check: it reads tokens,
//! SIDs, ACEs and masks and walks the DACL itself. Where the sources leave
//! the answer to data it does not evaluate (conditional ACEs, object ACEs,
//! PRINCIPAL SELF, write-restricted tokens, an unknown integrity label, a
//! privilege used below the object's integrity level) it gives no answer,
//! and the invariant checks nothing for that call: it skips, never guesses.

use bits::world::Op;
use simos::objects::ObjectOp;
use simos::{ThreadId, TokenId};
use winsec::ace::label_policy;
use winsec::token::mandatory_policy;
use winsec::well_known::sids;
use winsec::{
    AccessCheckResult, AccessMask, AceType, AclSlot, GenericMapping, ImpersonationLevel,
    IntegrityLevel, Privilege, SecurityDescriptor, Sid, Token, TokenType, Win32Error,
};

use crate::common::*;
use crate::host::{machine_of, object_sd};
use crate::Transition;

/// What the check must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// AccessStatus TRUE with this GrantedAccess.
    Granted(AccessMask),
    /// AccessStatus FALSE with this last error.
    Denied(Win32Error),
    /// The call itself fails with this error.
    Failed(Win32Error),
}

impl Answer {
    fn of(result: &AccessCheckResult) -> Answer {
        match (result.access_status, result.granted, result.error) {
            (Some(true), Some(mask), _) => Answer::Granted(mask),
            (Some(_), _, error) => Answer::Denied(error.unwrap_or(Win32Error::AccessDenied)),
            (None, _, error) => Answer::Failed(error.unwrap_or(Win32Error::InvalidParameter)),
        }
    }

    fn describe(self) -> String {
        match self {
            Answer::Granted(mask) => format!("granted {mask}"),
            Answer::Denied(e) => format!("denied ({})", e.name()),
            Answer::Failed(e) => format!("a failed call ({})", e.name()),
        }
    }
}

/// One access check's inputs.
pub(crate) struct Query<'a> {
    pub(crate) sd: &'a SecurityDescriptor,
    pub(crate) token: &'a Token,
    pub(crate) desired: AccessMask,
    pub(crate) mapping: &'a GenericMapping,
    pub(crate) backup_intent: bool,
    /// Win32 `AccessCheck` (which refuses a primary token) rather than the
    /// check behind an open (which checks the thread's token whatever its
    /// type).
    pub(crate) api: bool,
}

/// Which SIDs of the token a pass matches ACEs with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// The user and the groups ([MS-DTYP] 2.5.3.2).
    Normal,
    /// The restricting SIDs only ([MS-RESTR]).
    Restricted,
}

impl Pass {
    fn allows(self, token: &Token, sid: &Sid) -> bool {
        match self {
            Pass::Normal => token.matches_for_allow(sid),
            Pass::Restricted => token
                .restricted_sids
                .iter()
                .any(|g| g.sid == *sid && g.is_enabled()),
        }
    }

    fn denies(self, token: &Token, sid: &Sid) -> bool {
        match self {
            Pass::Normal => token.matches_for_deny(sid),
            Pass::Restricted => token
                .restricted_sids
                .iter()
                .any(|g| g.sid == *sid && g.counts_for_deny()),
        }
    }
}

/// The rights a token below the object's integrity level keeps
/// ([MS-DTYP] 2.5.3.3, [MS-MIC]): `None` when the label restricts
/// nothing; `Err(())` when the label is not one the oracle can read.
fn integrity_allows(q: &Query<'_>) -> Result<Option<AccessMask>, ()> {
    let token = q.token;
    if token.mandatory_policy & mandatory_policy::NO_WRITE_UP == 0 {
        return Ok(None);
    }
    let label = q.sd.sacl.acl().and_then(|acl| {
        acl.aces
            .iter()
            .find(|a| a.ace_type == AceType::SystemMandatoryLabel && !a.flags.inherit_only())
    });
    // An object without a label counts as Medium with no-write-up.
    let (level, policy) = match label {
        Some(ace) => (
            IntegrityLevel::from_sid(&ace.sid).ok_or(())?,
            ace.mask.bits() & label_policy::VALID,
        ),
        None => (IntegrityLevel::MEDIUM, label_policy::NO_WRITE_UP),
    };
    if token.integrity >= level {
        return Ok(None);
    }
    let m = q.mapping;
    let mut allowed = AccessMask::READ_CONTROL | AccessMask::SYNCHRONIZE;
    for (bit, rights) in [
        (label_policy::NO_READ_UP, m.generic_read),
        (label_policy::NO_WRITE_UP, m.generic_write),
        (label_policy::NO_EXECUTE_UP, m.generic_execute),
    ] {
        if policy & bit == 0 {
            allowed |= rights;
        }
    }
    if token.privilege_enabled(Privilege::Relabel) {
        allowed |= AccessMask::WRITE_OWNER;
    }
    Ok(Some(allowed))
}

/// Whether every ACE of the DACL is one the oracle evaluates: plain
/// allow and deny ACEs, for any SID but PRINCIPAL SELF.
fn decidable_dacl(sd: &SecurityDescriptor) -> bool {
    sd.dacl.acl().is_none_or(|acl| {
        acl.aces.iter().all(|a| {
            a.flags.inherit_only()
                || (matches!(a.ace_type, AceType::AccessAllowed | AceType::AccessDenied)
                    && a.object_type.is_none()
                    && !sids::is_principal_self(&a.sid))
        })
    })
}

/// The rights granted before the DACL is read by enabled privileges
/// ([MS-PRIV]; SeBackup and SeRestore only with backup intent), or the
/// denial when ACCESS_SYSTEM_SECURITY is asked for without
/// SeSecurityPrivilege.
fn privileged(q: &Query<'_>, wanted: AccessMask, max: bool) -> Result<AccessMask, Answer> {
    let token = q.token;
    let mut out = AccessMask::NONE;
    if q.backup_intent {
        let file = *q.mapping == GenericMapping::FILE;
        let mut backup =
            AccessMask::READ_CONTROL | AccessMask::ACCESS_SYSTEM_SECURITY | q.mapping.generic_read;
        let mut restore = AccessMask::WRITE_DAC
            | AccessMask::WRITE_OWNER
            | AccessMask::ACCESS_SYSTEM_SECURITY
            | AccessMask::DELETE
            | q.mapping.generic_write;
        if file {
            // FILE_TRAVERSE; FILE_ADD_FILE | FILE_ADD_SUBDIRECTORY.
            backup |= AccessMask(0x20);
            restore |= AccessMask(0x6);
        }
        let asked = if max {
            (backup | restore).without(AccessMask::ACCESS_SYSTEM_SECURITY) | wanted
        } else {
            wanted
        };
        if token.privilege_enabled(Privilege::Backup) {
            out |= asked & backup;
        }
        if token.privilege_enabled(Privilege::Restore) {
            out |= asked & restore;
        }
    }
    if wanted.contains(AccessMask::ACCESS_SYSTEM_SECURITY)
        && !out.contains(AccessMask::ACCESS_SYSTEM_SECURITY)
    {
        if !token.privilege_enabled(Privilege::Security) {
            return Err(Answer::Denied(Win32Error::PrivilegeNotHeld));
        }
        out |= AccessMask::ACCESS_SYSTEM_SECURITY;
    }
    if (max || wanted.contains(AccessMask::WRITE_OWNER))
        && (token.privilege_enabled(Privilege::TakeOwnership)
            || token.privilege_enabled(Privilege::Relabel))
    {
        out |= AccessMask::WRITE_OWNER;
    }
    Ok(out)
}

/// One pass over the owner's implicit rights and the DACL: `Some(mask)`
/// granted (for a specific request, the whole request), `None` denied.
fn pass(
    q: &Query<'_>,
    who: Pass,
    wanted: AccessMask,
    max: bool,
    privileged: AccessMask,
) -> Option<AccessMask> {
    let token = q.token;
    let mut granted = privileged;
    let owner_rights = sids::owner_rights();
    let owner_rights_ace = q.sd.dacl.acl().is_some_and(|acl| {
        acl.aces
            .iter()
            .any(|a| a.sid == owner_rights && !a.flags.inherit_only())
    });
    let owns = q.sd.owner.as_ref().is_some_and(|o| who.allows(token, o));
    if owns && !owner_rights_ace {
        let implicit = AccessMask::READ_CONTROL | AccessMask::WRITE_DAC;
        granted |= if max { implicit } else { implicit & wanted };
    }
    if !max && wanted.without(granted).is_empty() {
        return Some(wanted);
    }
    let acl = match &q.sd.dacl {
        AclSlot::Absent | AclSlot::Null => {
            return Some(if max {
                q.mapping.generic_all | wanted | granted
            } else {
                wanted
            });
        }
        AclSlot::Present(acl) => acl,
    };
    let mut denied = AccessMask::NONE;
    for ace in acl.aces.iter().filter(|a| !a.flags.inherit_only()) {
        let mask = q.mapping.map(ace.mask);
        // OWNER RIGHTS stands for the object's owner.
        let sid = if ace.sid == owner_rights {
            match q.sd.owner.as_ref() {
                Some(o) => o,
                None => continue,
            }
        } else {
            &ace.sid
        };
        if ace.ace_type == AceType::AccessAllowed {
            if !who.allows(token, sid) {
                continue;
            }
            if max {
                granted |= mask.without(denied);
            } else {
                granted |= mask & wanted;
                if wanted.without(granted).is_empty() {
                    return Some(wanted);
                }
            }
        } else if who.denies(token, sid) {
            if max {
                denied |= mask.without(granted);
            } else if mask.intersects(wanted.without(granted)) {
                return None;
            }
        }
    }
    if max {
        Some(granted)
    } else {
        None
    }
}

/// What the access check must answer for `q`, or `None` when the oracle
/// cannot decide it.
pub(crate) fn derive(q: &Query<'_>) -> Option<Answer> {
    let token = q.token;
    // The call's own refusals, in AccessCheck's order ([MS-AC]).
    match token.token_type {
        TokenType::Primary if q.api => {
            return Some(Answer::Failed(Win32Error::NoImpersonationToken))
        }
        TokenType::Impersonation(ImpersonationLevel::Anonymous) => {
            return Some(Answer::Failed(Win32Error::BadImpersonationLevel))
        }
        _ => {}
    }
    if q.sd.owner.is_none() || q.sd.group.is_none() {
        return Some(Answer::Failed(Win32Error::InvalidSecurityDescr));
    }
    if q.desired.intersects(AccessMask::GENERIC_ANY) {
        return Some(Answer::Failed(Win32Error::GenericNotMapped));
    }
    if q.desired.is_empty() {
        return Some(Answer::Denied(Win32Error::AccessDenied));
    }
    if !decidable_dacl(q.sd) || token.is_write_restricted() {
        return None;
    }
    let max = q.desired.contains(AccessMask::MAXIMUM_ALLOWED);
    let wanted = q.desired.without(AccessMask::MAXIMUM_ALLOWED);
    let mic = integrity_allows(q).ok()?;
    if let Some(allowed) = mic {
        // Whether a privilege's grant survives the label is not settled
        // by the sources the oracle reads: skip such requests.
        let privilege_in_play = wanted
            .intersects(AccessMask::ACCESS_SYSTEM_SECURITY | AccessMask::WRITE_OWNER)
            || (max
                && (token.privilege_enabled(Privilege::TakeOwnership)
                    || token.privilege_enabled(Privilege::Relabel)))
            || (q.backup_intent
                && (token.privilege_enabled(Privilege::Backup)
                    || token.privilege_enabled(Privilege::Restore)));
        if privilege_in_play {
            return None;
        }
        if !max && !wanted.without(allowed).is_empty() {
            return Some(Answer::Denied(Win32Error::AccessDenied));
        }
    }
    let privileged = match privileged(q, wanted, max) {
        Ok(p) => p,
        Err(answer) => return Some(answer),
    };
    let Some(mut result) = pass(q, Pass::Normal, wanted, max, privileged) else {
        return Some(Answer::Denied(Win32Error::AccessDenied));
    };
    if token.is_restricted() {
        let Some(second) = pass(q, Pass::Restricted, wanted, max, privileged) else {
            return Some(Answer::Denied(Win32Error::AccessDenied));
        };
        result = result & second;
    }
    if max {
        if let Some(allowed) = mic {
            result = result & allowed;
        }
        if !wanted.without(result).is_empty() || result.is_empty() {
            return Some(Answer::Denied(Win32Error::AccessDenied));
        }
    }
    Some(Answer::Granted(result))
}

/// The thread and the token of a host object operation, with whether it
/// is Win32 `AccessCheck`, and the backup intent of an open.
fn actor(t: &Transition<'_>, op: &ObjectOp) -> Option<(ThreadId, Option<TokenId>, bool, bool)> {
    let effective = |thread: ThreadId| {
        t.before
            .host
            .thread(thread)
            .and_then(|th| th.impersonation)
            .or_else(|| t.before.host.process_of(thread).map(|p| p.primary_token))
    };
    match op {
        ObjectOp::Open {
            thread,
            backup_intent,
            ..
        } => Some((*thread, effective(*thread), false, *backup_intent)),
        ObjectOp::Create { thread, .. }
        | ObjectOp::SetSecurity { thread, .. }
        | ObjectOp::Delete { thread, .. } => Some((*thread, effective(*thread), false, false)),
        ObjectOp::AccessCheck {
            thread,
            token,
            principal_self: None,
            object_types,
            result_list: false,
            ..
        } if object_types.is_empty() => Some((*thread, Some(*token), true, false)),
        _ => None,
    }
}

/// INV-ACCESS-EXACT: every access check a client's object operation or a
/// program's `AccessCheck` ran answered what the sources give.
pub(crate) fn access_exact(t: &Transition<'_>) -> Result<(), String> {
    let Op::Host {
        op: simos::Op::Object(op),
    } = t.op
    else {
        return Ok(());
    };
    let Some((thread, Some(token_id), api, backup_intent)) = actor(t, op) else {
        return Ok(());
    };
    let Some(token) = t
        .before
        .host
        .token(token_id)
        .or_else(|| t.after.host.token(token_id))
        .map(|o| &o.token)
    else {
        return Ok(());
    };
    let Some(machine) = machine_of(t, thread) else {
        return Ok(());
    };
    // A program's descriptor given as SDDL is parsed as the call parsed it.
    let given = match op {
        ObjectOp::AccessCheck {
            sddl: Some(text),
            kind,
            ..
        } => {
            let ctx = t.after.host.domain_context(machine);
            match winsec::sddl::parse(text, &ctx) {
                Ok(sd) => Some((sd, *kind)),
                Err(_) => return Ok(()),
            }
        }
        _ => None,
    };
    let mut faults = Faults::default();
    for check in &t.outcome.host_checks {
        let (sd, mapping) = match (&given, op) {
            (Some((sd, kind)), _) => (sd, kind.mapping()),
            (None, ObjectOp::AccessCheck { kind, .. }) => {
                match object_sd(t, machine, &check.object) {
                    Some((sd, _)) => (sd, kind.mapping()),
                    None => continue,
                }
            }
            (None, _) => match object_sd(t, machine, &check.object) {
                Some((sd, kind)) => (sd, kind.mapping()),
                None => continue,
            },
        };
        let query = Query {
            sd,
            token,
            desired: check.desired,
            mapping: &mapping,
            backup_intent,
            api,
        };
        let Some(expected) = derive(&query) else {
            continue;
        };
        let got = Answer::of(&check.result);
        if got != expected {
            faults.push(format!(
                "the check of {} for {} (token {token_id}) asking {} was {}, but the descriptor, the token and the request give {}",
                check.object,
                token.user.sid,
                check.desired,
                got.describe(),
                expected.describe()
            ));
        }
    }
    faults.done()
}
