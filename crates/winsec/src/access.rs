//! The access check: Win32 `AccessCheck` over a security descriptor, a
//! token, a desired mask and a generic mapping, with Windows' exact
//! contract and a decision trail.
//!
//! The order of steps follows [MS-DACL], [MS-DTYP] 2.5.3.2; each trail entry
//! cites a rule of [`crate::rules`]. This module owns the decision and
//! nothing else: it does not build tokens or descriptors.

use serde::Serialize;

use crate::ace::{label_policy, Ace, AceType, Guid};
use crate::claims::Claim;
use crate::condition::{EvalContext, EvalStep, Tri};
use crate::descriptor::{AclSlot, SecurityDescriptor};
use crate::error::Win32Error;
use crate::mask::{AccessMask, GenericMapping};
use crate::rules::ids;
use crate::sid::Sid;
use crate::token::{
    mandatory_policy, Group, ImpersonationLevel, IntegrityLevel, Privilege, Token, TokenType,
};
use crate::well_known::{sids, DomainContext};

/// The inputs of one access check.
#[derive(Debug, Clone, Copy)]
pub struct AccessRequest<'a> {
    /// The object's security descriptor.
    pub sd: &'a SecurityDescriptor,
    /// The client token.
    pub token: &'a Token,
    /// The desired access (already generic-mapped, as Win32 requires).
    pub desired: AccessMask,
    /// The object type's generic mapping.
    pub mapping: &'a GenericMapping,
    /// `AccessCheckByType`'s PrincipalSelfSid, which PRINCIPAL SELF ACEs stand for.
    pub principal_self: Option<&'a Sid>,
    /// The open carries backup intent (`FILE_FLAG_BACKUP_SEMANTICS`,
    /// `REG_OPTION_BACKUP_RESTORE`): only then do SeBackupPrivilege and
    /// SeRestorePrivilege grant rights.
    pub backup_intent: bool,
}

/// The access-check rules in force, as switches. [`AccessRules::WINDOWS`]
/// (the default) is Windows' check; a policy mutant turns one switch off
/// to show that the invariants and the scenario library notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct AccessRules {
    /// A deny ACE that applies refuses the bits it names (`AC-ACE-DENY`).
    pub deny_aces: bool,
    /// An OWNER RIGHTS ACE replaces the owner's implicit rights
    /// (`AC-OWNER-RIGHTS-ACE`).
    pub owner_rights_ace: bool,
    /// Inherit-only ACEs are skipped (`AC-ACE-INHERIT-ONLY`).
    pub inherit_only_skipped: bool,
    /// A restricted token needs a second pass over its restricting SIDs
    /// (`AC-RESTRICTED-PASS`).
    pub restricted_pass: bool,
    /// The mandatory integrity check runs before the DACL (`AC-MIC`).
    pub integrity_check: bool,
    /// A privilege grants rights only while enabled (`AC-PRIV-*`).
    pub privileges_need_enabled: bool,
    /// Generic bits in an ACE are mapped through the object type's generic
    /// mapping (`AC-ACE-GENERIC-MAP`).
    pub generic_mapping: bool,
    /// A deny-only group matches deny ACEs only (`AC-DENY-ONLY`).
    pub deny_only_excluded: bool,
    /// A NULL DACL grants everything (`AC-DACL-NULL`).
    pub null_dacl_grants_all: bool,
    /// A token at SecurityAnonymous fails the check (`AC-ANONYMOUS-LEVEL`).
    pub anonymous_refused: bool,
}

impl AccessRules {
    /// Windows' access check.
    pub const WINDOWS: AccessRules = AccessRules {
        deny_aces: true,
        owner_rights_ace: true,
        inherit_only_skipped: true,
        restricted_pass: true,
        integrity_check: true,
        privileges_need_enabled: true,
        generic_mapping: true,
        deny_only_excluded: true,
        null_dacl_grants_all: true,
        anonymous_refused: true,
    };

    /// Whether `token` may use `privilege` under these rules.
    fn privilege(&self, token: &Token, privilege: Privilege) -> bool {
        if self.privileges_need_enabled {
            token.privilege_enabled(privilege)
        } else {
            token.has_privilege(privilege)
        }
    }
}

impl Default for AccessRules {
    /// Windows' access check.
    fn default() -> AccessRules {
        AccessRules::WINDOWS
    }
}

/// One step of the decision trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrailStep {
    /// The rule applied (see [`crate::rules`]).
    pub rule: &'static str,
    /// What happened, in one sentence.
    pub note: String,
    /// For ACE steps: the ACE's index in the DACL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ace_index: Option<usize>,
    /// For ACE steps: the ACE in SDDL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ace: Option<String>,
    /// Bits this step granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted: Option<AccessMask>,
    /// Bits this step denied (or removed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denied: Option<AccessMask>,
    /// The privilege this step used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privilege: Option<Privilege>,
    /// `restricted` for steps of a restricted token's second pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pass: Option<&'static str>,
    /// For callback ACEs: the condition and the value of each sub-expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<ConditionTrail>,
    /// For steps of an object-type-list check: the list element they touch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<usize>,
}

/// A condition's evaluation, as a trail step shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionTrail {
    /// The condition in canonical SDDL.
    pub expression: String,
    /// Its value: `TRUE`, `FALSE` or `UNKNOWN`.
    pub value: Tri,
    /// Every sub-expression's value, innermost first.
    pub steps: Vec<EvalStep>,
}

/// The outcome of `AccessCheck`, shaped like its Win32 out-parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessCheckResult {
    /// The BOOL AccessCheck returns: FALSE only when the call itself failed.
    pub api_return: bool,
    /// The AccessStatus out-parameter; `None` when the call failed.
    pub access_status: Option<bool>,
    /// GrantedAccess: the granted mask, 0 on denial; `None` when the call failed.
    pub granted: Option<AccessMask>,
    /// The last error: the failure, or the reason for a denial.
    pub error: Option<Win32Error>,
    /// Privileges used to grant access (the PrivilegeSet out-parameter).
    pub privileges_used: Vec<Privilege>,
    /// Every step of the decision, in order.
    pub trail: Vec<TrailStep>,
}

impl AccessCheckResult {
    /// True when the call succeeded and access was granted.
    pub fn is_granted(&self) -> bool {
        self.access_status == Some(true)
    }
}

/// Win32 `AccessCheck(sd, token, desired, mapping)`.
pub fn access_check(
    sd: &SecurityDescriptor,
    token: &Token,
    desired: AccessMask,
    mapping: &GenericMapping,
) -> AccessCheckResult {
    AccessRequest {
        sd,
        token,
        desired,
        mapping,
        principal_self: None,
        backup_intent: false,
    }
    .check()
}

impl AccessRequest<'_> {
    /// Runs the check.
    pub fn check(&self) -> AccessCheckResult {
        self.check_under(AccessRules::WINDOWS)
    }

    /// Runs the check under `rules` (Windows' or a mutant's).
    pub fn check_under(&self, rules: AccessRules) -> AccessCheckResult {
        let mut run = Run {
            rules,
            ..Run::default()
        };
        let verdict = self.decide(&mut run);
        run.finish(verdict)
    }

    fn decide(&self, run: &mut Run) -> Verdict {
        if let Some(v) = self.preconditions(run) {
            return v;
        }
        let (request, mic_allowed) = match self.prelude(run) {
            Ok(x) => x,
            Err(v) => return v,
        };
        self.conclude(&request, mic_allowed, run)
    }

    /// The checks of the Win32 call itself, in AccessCheck's order.
    fn preconditions(&self, run: &mut Run) -> Option<Verdict> {
        let token = self.token;
        let desired = self.desired;

        // Preconditions of the Win32 call ([MS-AC], [WT] test_AccessCheck), in Windows' order.
        match token.token_type {
            TokenType::Primary => {
                run.note(
                    ids::TOKEN_TYPE,
                    "the token is a primary token; AccessCheck needs an impersonation token",
                );
                return Some(Verdict::Failed(Win32Error::NoImpersonationToken));
            }
            TokenType::Impersonation(ImpersonationLevel::Anonymous)
                if run.rules.anonymous_refused =>
            {
                run.note(
                    ids::ANONYMOUS_LEVEL,
                    "the token is at SecurityAnonymous level",
                );
                return Some(Verdict::Failed(Win32Error::BadImpersonationLevel));
            }
            TokenType::Impersonation(level) => {
                run.note(
                    ids::ANONYMOUS_LEVEL,
                    format!("the token is an impersonation token at {}", level.name()),
                );
            }
        }
        if self.sd.owner.is_none() || self.sd.group.is_none() {
            let missing = match (&self.sd.owner, &self.sd.group) {
                (None, None) => "neither an owner nor a group",
                (None, Some(_)) => "no owner",
                _ => "no group",
            };
            run.note(
                ids::SD_OWNER_GROUP,
                format!("the security descriptor has {missing}"),
            );
            return Some(Verdict::Failed(Win32Error::InvalidSecurityDescr));
        }
        if desired.intersects(AccessMask::GENERIC_ANY) {
            run.note(
                ids::GENERIC_NOT_MAPPED,
                format!("desired access {desired} contains generic bits"),
            );
            return Some(Verdict::Failed(Win32Error::GenericNotMapped));
        }
        None
    }

    /// Zero requests, the integrity check and the privileges: what is
    /// decided before the DACL is read.
    fn prelude(&self, run: &mut Run) -> Result<(Request, Option<AccessMask>), Verdict> {
        let token = self.token;
        let desired = self.desired;
        if desired.is_empty() {
            run.note(ids::ZERO_DESIRED, "no access was requested");
            return Err(Verdict::Denied(Win32Error::AccessDenied));
        }

        let max = desired.contains(AccessMask::MAXIMUM_ALLOWED);
        let wanted = desired.without(AccessMask::MAXIMUM_ALLOWED);

        // Mandatory integrity control: before everything else, only removes rights.
        let mic_allowed = self.mandatory_integrity(run);
        if let Some(allowed) = mic_allowed {
            let blocked = wanted.without(allowed);
            if !max && !blocked.is_empty() {
                run.push(TrailStep {
                    denied: Some(blocked),
                    ..step(
                        ids::MANDATORY_INTEGRITY,
                        format!("the label policy does not allow {blocked}"),
                    )
                });
                return Err(Verdict::Denied(Win32Error::AccessDenied));
            }
        }

        // Privileges grant before the DACL is read, so no deny ACE can take them back.
        let mut privileged = AccessMask::NONE;
        if self.backup_intent {
            let (backup, restore) = backup_restore_rights(self.mapping);
            // Under MAXIMUM_ALLOWED, ACCESS_SYSTEM_SECURITY only when asked for.
            let candidates = if max {
                backup
                    .union(restore)
                    .without(AccessMask::ACCESS_SYSTEM_SECURITY)
                    | wanted
            } else {
                wanted
            };
            for (privilege, rule, rights) in [
                (Privilege::Backup, ids::PRIV_BACKUP, backup),
                (Privilege::Restore, ids::PRIV_RESTORE, restore),
            ] {
                let give = (candidates & rights).without(privileged);
                if !give.is_empty() && run.rules.privilege(token, privilege) {
                    privileged |= give;
                    run.use_privilege(rule, privilege, give);
                }
            }
        }
        if wanted.contains(AccessMask::ACCESS_SYSTEM_SECURITY)
            && !privileged.contains(AccessMask::ACCESS_SYSTEM_SECURITY)
        {
            if run.rules.privilege(token, Privilege::Security) {
                privileged |= AccessMask::ACCESS_SYSTEM_SECURITY;
                run.use_privilege(
                    ids::PRIV_SECURITY,
                    Privilege::Security,
                    AccessMask::ACCESS_SYSTEM_SECURITY,
                );
            } else {
                run.note(
                    ids::PRIV_SECURITY,
                    "ACCESS_SYSTEM_SECURITY was requested and SeSecurityPrivilege is not enabled",
                );
                return Err(Verdict::Denied(Win32Error::PrivilegeNotHeld));
            }
        }
        if (max || wanted.contains(AccessMask::WRITE_OWNER))
            && !privileged.contains(AccessMask::WRITE_OWNER)
        {
            if run.rules.privilege(token, Privilege::TakeOwnership) {
                privileged |= AccessMask::WRITE_OWNER;
                run.use_privilege(
                    ids::PRIV_TAKE_OWNERSHIP,
                    Privilege::TakeOwnership,
                    AccessMask::WRITE_OWNER,
                );
            } else if run.rules.privilege(token, Privilege::Relabel) {
                privileged |= AccessMask::WRITE_OWNER;
                run.use_privilege(
                    ids::PRIV_RELABEL,
                    Privilege::Relabel,
                    AccessMask::WRITE_OWNER,
                );
            }
        }

        let request = Request {
            wanted,
            max,
            privileged,
        };
        Ok((request, mic_allowed))
    }

    /// The DACL passes and the result.
    fn conclude(
        &self,
        request: &Request,
        mic_allowed: Option<AccessMask>,
        run: &mut Run,
    ) -> Verdict {
        let token = self.token;
        let (max, wanted) = (request.max, request.wanted);
        let normal = self.evaluate_pass(Pass::Normal, request, run);
        let mut result = match normal {
            PassResult::Denied => return Verdict::Denied(Win32Error::AccessDenied),
            PassResult::Granted(mask) => mask,
        };

        if token.is_restricted() && run.rules.restricted_pass {
            let write_bits = self.mapping.generic_write;
            let write_requested = max || wanted.intersects(write_bits);
            if token.is_write_restricted() && !write_requested {
                run.note(ids::RESTRICTED_PASS, "the token is write-restricted and no write access was requested: no second pass");
            } else {
                run.note(
                    ids::RESTRICTED_PASS,
                    "the token is restricted: second pass with the restricting SIDs only",
                );
                match self.evaluate_pass(Pass::Restricted, request, run) {
                    PassResult::Denied => return Verdict::Denied(Win32Error::AccessDenied),
                    PassResult::Granted(mask) => {
                        let kept = if token.is_write_restricted() {
                            // Only write bits depend on the restricting SIDs.
                            result.without(write_bits.without(mask))
                        } else {
                            result & mask
                        };
                        if kept != result {
                            run.push(TrailStep {
                                denied: Some(result.without(kept)),
                                pass: Some("restricted"),
                                ..step(
                                    ids::RESTRICTED_PASS,
                                    "the restricted pass did not grant these bits",
                                )
                            });
                        }
                        result = kept;
                    }
                }
            }
        }

        if max {
            if let Some(allowed) = mic_allowed {
                let removed = result.without(allowed);
                if !removed.is_empty() {
                    run.push(TrailStep {
                        denied: Some(removed),
                        ..step(
                            ids::MANDATORY_INTEGRITY,
                            format!("the label policy removes {removed} from the maximum"),
                        )
                    });
                    result = result & allowed;
                }
            }
            let missing = wanted.without(result);
            if !missing.is_empty() {
                run.push(TrailStep {
                    denied: Some(missing),
                    ..step(
                        ids::MAXIMUM_ALLOWED,
                        format!(
                            "explicitly requested bits {missing} are not in the maximum {result}"
                        ),
                    )
                });
                return Verdict::Denied(Win32Error::AccessDenied);
            }
            if result.is_empty() {
                run.note(ids::MAXIMUM_ALLOWED, "the maximum allowed access is empty");
                return Verdict::Denied(Win32Error::AccessDenied);
            }
        }
        Verdict::Granted(result)
    }

    /// The rights the object's mandatory label leaves to this token, or
    /// `None` when the integrity check does not restrict it.
    fn mandatory_integrity(&self, run: &mut Run) -> Option<AccessMask> {
        let token = self.token;
        if !run.rules.integrity_check {
            return None;
        }
        if token.mandatory_policy & mandatory_policy::NO_WRITE_UP == 0 {
            run.note(
                ids::MANDATORY_INTEGRITY,
                "the token's mandatory policy is off: no integrity check",
            );
            return None;
        }
        let (object_il, policy, labelled) = match self.sd.mandatory_label() {
            Some(ace) => (
                IntegrityLevel::from_sid(&ace.sid).unwrap_or(IntegrityLevel::MEDIUM),
                ace.mask.bits() & label_policy::VALID,
                true,
            ),
            None => (IntegrityLevel::MEDIUM, label_policy::NO_WRITE_UP, false),
        };
        let label = if labelled {
            "labelled"
        } else {
            "unlabelled, so treated as Medium with NO_WRITE_UP"
        };
        if token.integrity >= object_il {
            run.note(
                ids::MANDATORY_INTEGRITY,
                format!(
                    "token integrity {} dominates the object's {} ({label})",
                    token.integrity, object_il
                ),
            );
            return None;
        }
        let m = self.mapping;
        let mut allowed = AccessMask::READ_CONTROL | AccessMask::SYNCHRONIZE;
        if policy & label_policy::NO_READ_UP == 0 {
            allowed |= m.generic_read;
        }
        if policy & label_policy::NO_WRITE_UP == 0 {
            allowed |= m.generic_write;
        }
        if policy & label_policy::NO_EXECUTE_UP == 0 {
            allowed |= m.generic_execute;
        }
        if token.privilege_enabled(Privilege::Relabel) {
            allowed |= AccessMask::WRITE_OWNER;
        }
        run.note(
            ids::MANDATORY_INTEGRITY,
            format!(
                "token integrity {} is below the object's {} ({label}, policy 0x{policy:x}): at most {allowed} can be granted",
                token.integrity, object_il
            ),
        );
        Some(allowed)
    }

    /// One pass over owner rights and the DACL, for the normal SIDs of the
    /// token or for its restricting SIDs.
    fn evaluate_pass(&self, pass: Pass, req: &Request, run: &mut Run) -> PassResult {
        let who = Matcher {
            token: self.token,
            pass,
            deny_only_excluded: run.rules.deny_only_excluded,
        };
        let tag = pass.tag();
        let mut granted = req.privileged;

        // Owner implicit rights.
        let owner = self.sd.owner.as_ref();
        let is_owner = owner.is_some_and(|o| who.allows(o));
        let owner_rights = sids::owner_rights();
        let owner_rights_ace = self.sd.dacl.acl().and_then(|acl| {
            acl.aces
                .iter()
                .position(|a| a.sid == owner_rights && !a.flags.inherit_only())
        });
        if is_owner {
            if let Some(index) = owner_rights_ace.filter(|_| run.rules.owner_rights_ace) {
                run.push(TrailStep {
                    ace_index: Some(index),
                    pass: tag,
                    ..step(ids::OWNER_RIGHTS_ACE, "the caller owns the object but the DACL has an OWNER RIGHTS ACE: no implicit owner rights")
                });
            } else {
                let implicit = AccessMask::READ_CONTROL | AccessMask::WRITE_DAC;
                let give = if req.max {
                    implicit
                } else {
                    implicit & req.wanted
                };
                granted |= give;
                run.push(TrailStep {
                    granted: Some(give),
                    pass: tag,
                    ..step(
                        ids::OWNER_IMPLICIT,
                        "the owner SID is an enabled SID of the caller: READ_CONTROL|WRITE_DAC",
                    )
                });
            }
        }

        if !req.max && req.wanted.without(granted).is_empty() {
            run.push(TrailStep {
                pass: tag,
                ..step(
                    ids::GRANTED_EARLY,
                    "privileges and owner rights cover the whole request",
                )
            });
            return PassResult::Granted(req.wanted);
        }

        let acl = match &self.sd.dacl {
            AclSlot::Absent | AclSlot::Null if !run.rules.null_dacl_grants_all => {
                run.push(TrailStep {
                    pass: tag,
                    ..step(ids::IMPLICIT_DENY, "the DACL grants nothing")
                });
                return if req.max {
                    PassResult::Granted(granted)
                } else {
                    PassResult::Denied
                };
            }
            AclSlot::Absent | AclSlot::Null => {
                let what = if self.sd.dacl == AclSlot::Null {
                    "NULL"
                } else {
                    "absent"
                };
                let all = if req.max {
                    self.mapping.generic_all | req.wanted | granted
                } else {
                    req.wanted
                };
                run.push(TrailStep {
                    granted: Some(all),
                    pass: tag,
                    ..step(
                        ids::DACL_NULL,
                        format!("the DACL is {what}: everything requested is granted"),
                    )
                });
                return PassResult::Granted(all);
            }
            AclSlot::Present(acl) => acl,
        };
        if acl.aces.is_empty() {
            run.push(TrailStep {
                pass: tag,
                ..step(ids::IMPLICIT_DENY, "the DACL is empty")
            });
        }

        let mut denied = AccessMask::NONE;
        // ACEs past the first MAX_LISTED_ACES that change nothing are
        // counted (`Run::unlisted`), not listed; their SDDL is never
        // formatted.
        for (index, ace) in acl.aces.iter().enumerate() {
            let listed = index < MAX_LISTED_ACES;
            let base = || TrailStep {
                ace_index: Some(index),
                ace: Some(ace_text(ace)),
                pass: tag,
                ..step("", "")
            };
            if ace.flags.inherit_only() && run.rules.inherit_only_skipped {
                if listed {
                    run.push(TrailStep {
                        rule: ids::ACE_INHERIT_ONLY,
                        note: "inherit-only: skipped".into(),
                        ..base()
                    });
                } else {
                    run.unlisted(tag);
                }
                continue;
            }
            if !ace.ace_type.is_discretionary() {
                if listed {
                    run.push(TrailStep {
                        rule: ids::IMPLICIT_DENY,
                        note: "not an allow or deny ACE: skipped".into(),
                        ..base()
                    });
                } else {
                    run.unlisted(tag);
                }
                continue;
            }
            if ace.object_type.is_some() {
                if listed {
                    run.push(TrailStep {
                        rule: ids::ACE_ALLOW,
                        note: "object ACE for a specific object type: AccessCheck without an object type list skips it".into(),
                        ..base()
                    });
                } else {
                    run.unlisted(tag);
                }
                continue;
            }
            let mask = if run.rules.generic_mapping {
                self.mapping.map(ace.mask)
            } else {
                ace.mask
            };
            if listed && ace.mask.intersects(AccessMask::GENERIC_ANY) {
                run.push(TrailStep {
                    rule: ids::ACE_GENERIC_MAP,
                    note: format!("generic bits of {} map to {mask}", ace.mask),
                    ..base()
                });
            }
            let sid = match self.trustee(ace, &base, run) {
                Some(sid) => sid,
                None => continue,
            };
            let applies = if ace.ace_type.is_allow() {
                who.allows(sid)
            } else {
                who.denies(sid)
            };
            if ace.ace_type.is_allow() {
                if !applies {
                    if listed {
                        let (rule, why) = who.why_not_allow(sid);
                        run.push(TrailStep {
                            rule,
                            note: format!("allow ACE does not apply: {why}"),
                            ..base()
                        });
                    } else {
                        run.unlisted(tag);
                    }
                    continue;
                }
                let condition = self.condition(ace, false);
                if let Some(c) = &condition {
                    if c.value != Tri::True {
                        run.push(TrailStep {
                            rule: ids::COND_ALLOW,
                            note: format!("callback allow ACE for {}: its condition is {}, so it grants nothing", who.describe(sid), c.value.name()),
                            condition,
                            ..base()
                        });
                        continue;
                    }
                }
                let new = if req.max {
                    mask.without(denied).without(granted)
                } else {
                    mask & req.wanted.without(granted)
                };
                if !listed && new.is_empty() && condition.is_none() {
                    run.unlisted(tag);
                    continue;
                }
                granted |= new;
                run.push(TrailStep {
                    rule: if condition.is_some() {
                        ids::COND_ALLOW
                    } else {
                        ids::ACE_ALLOW
                    },
                    note: format!("allow ACE applies to {}: grants {new}", who.describe(sid)),
                    granted: Some(new),
                    condition,
                    ..base()
                });
                if !req.max && req.wanted.without(granted).is_empty() {
                    run.push(TrailStep {
                        pass: tag,
                        ..step(
                            ids::GRANTED,
                            "every requested bit is granted; later ACEs are not examined",
                        )
                    });
                    return PassResult::Granted(req.wanted);
                }
            } else {
                if !run.rules.deny_aces {
                    continue;
                }
                if !applies {
                    if listed {
                        let (rule, why) = who.why_not_deny(sid);
                        run.push(TrailStep {
                            rule,
                            note: format!("deny ACE does not apply: {why}"),
                            ..base()
                        });
                    } else {
                        run.unlisted(tag);
                    }
                    continue;
                }
                let condition = self.condition(ace, true);
                if let Some(c) = &condition {
                    if c.value == Tri::False {
                        run.push(TrailStep {
                            rule: ids::COND_DENY,
                            note: format!("callback deny ACE for {}: its condition is FALSE, so it denies nothing", who.describe(sid)),
                            condition,
                            ..base()
                        });
                        continue;
                    }
                }
                let base = TrailStep {
                    condition,
                    ..base()
                };
                if req.max {
                    let new = mask.without(granted).without(denied);
                    if !listed && new.is_empty() && base.condition.is_none() {
                        run.unlisted(tag);
                        continue;
                    }
                    denied |= new;
                    run.push(TrailStep {
                        rule: ids::MAXIMUM_ALLOWED,
                        note: format!("deny ACE applies to {}: denies {new} (bits granted earlier stay granted)", who.describe(sid)),
                        denied: Some(new),
                        ..base
                    });
                } else {
                    let outstanding = req.wanted.without(granted);
                    let hit = mask & outstanding;
                    if hit.is_empty() && !listed && base.condition.is_none() {
                        run.unlisted(tag);
                    } else if hit.is_empty() {
                        run.push(TrailStep {
                            rule: ids::ACE_DENY,
                            note: format!(
                                "deny ACE applies to {} but names no outstanding bit",
                                who.describe(sid)
                            ),
                            ..base
                        });
                    } else {
                        run.push(TrailStep {
                            rule: if base.condition.is_some() {
                                ids::COND_DENY
                            } else {
                                ids::ACE_DENY
                            },
                            note: format!(
                                "deny ACE applies to {}: denies {hit}, access denied",
                                who.describe(sid)
                            ),
                            denied: Some(hit),
                            ..base
                        });
                        return PassResult::Denied;
                    }
                }
            }
        }
        run.flush_unlisted();

        if req.max {
            run.push(TrailStep {
                granted: Some(granted),
                pass: tag,
                ..step(
                    ids::MAXIMUM_ALLOWED,
                    format!("maximum allowed from this pass: {granted}"),
                )
            });
            return PassResult::Granted(granted);
        }
        let missing = req.wanted.without(granted);
        run.push(TrailStep {
            denied: Some(missing),
            pass: tag,
            ..step(
                ids::IMPLICIT_DENY,
                format!("end of the DACL with {missing} not granted"),
            )
        });
        PassResult::Denied
    }

    /// Evaluates a callback ACE's condition; `None` for other ACEs. A
    /// callback ACE without a condition evaluates as UNKNOWN.
    fn condition(&self, ace: &Ace, for_deny: bool) -> Option<ConditionTrail> {
        if !ace.ace_type.is_callback() {
            return None;
        }
        let ctx = DomainContext::default();
        let resource = resource_attributes(self.sd);
        Some(match ace.condition() {
            Some(c) => {
                let e = c.evaluate(&EvalContext {
                    token: self.token,
                    for_deny,
                    resource: &resource,
                    ctx: &ctx,
                });
                ConditionTrail {
                    expression: c.to_sddl(&ctx),
                    value: e.result,
                    steps: e.steps,
                }
            }
            None => ConditionTrail {
                expression: String::new(),
                value: Tri::Unknown,
                steps: Vec::new(),
            },
        })
    }

    /// The SID an ACE stands for, resolving PRINCIPAL SELF; `None` (with a
    /// trail entry) when it stands for nobody.
    fn trustee<'s>(
        &'s self,
        ace: &'s Ace,
        base: &dyn Fn() -> TrailStep,
        run: &mut Run,
    ) -> Option<&'s Sid> {
        if sids::is_principal_self(&ace.sid) {
            return match self.principal_self {
                Some(sid) => Some(sid),
                None => {
                    run.push(TrailStep {
                        rule: ids::PRINCIPAL_SELF,
                        note: "PRINCIPAL SELF ACE with no PrincipalSelfSid: matches nobody".into(),
                        ..base()
                    });
                    None
                }
            };
        }
        if sids::is_owner_rights(&ace.sid) {
            // OWNER RIGHTS stands for the owner of the object.
            return self.sd.owner.as_ref();
        }
        Some(&ace.sid)
    }
}

/// One element of an object type list (`OBJECT_TYPE_LIST`): its level in
/// the tree (0 for the object itself, up to 4) and its GUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct ObjectTypeEntry {
    /// `Level`: `ACCESS_OBJECT_GUID` (0) to `ACCESS_MAX_LEVEL` (4).
    pub level: u16,
    /// `ObjectType`.
    pub guid: Guid,
}

/// One element's outcome in `AccessCheckByTypeResultList`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ElementResult {
    /// The granted mask (0 when denied).
    pub granted: AccessMask,
    /// The element's AccessStatus.
    pub access_status: bool,
    /// The element's error (`ERROR_ACCESS_DENIED` when denied).
    pub error: Option<Win32Error>,
}

/// The outcome of `AccessCheckByType` / `AccessCheckByTypeResultList`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ByTypeResult {
    /// The call's result; for a result list, the first element's.
    #[serde(flatten)]
    pub result: AccessCheckResult,
    /// With a result list, one entry per list element, in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<Vec<ElementResult>>,
}

/// The largest `Level` of an object type list element.
pub const ACCESS_MAX_LEVEL: u16 = 4;

/// Why an object type list is refused (rule `AC-OBJECT-TYPE-LIST`).
pub fn validate_object_type_list(list: &[ObjectTypeEntry]) -> Result<(), String> {
    for (i, e) in list.iter().enumerate() {
        if e.level > ACCESS_MAX_LEVEL {
            return Err(format!(
                "element {i} has level {}, above ACCESS_MAX_LEVEL (4)",
                e.level
            ));
        }
        match i {
            0 if e.level != 0 => {
                return Err("the first element must be the object itself, at level 0".into())
            }
            0 => {}
            _ if e.level == 0 => {
                return Err(format!(
                    "element {i} is a second level-0 element; a list has one root"
                ))
            }
            _ if e.level > list[i - 1].level + 1 => {
                return Err(format!(
                "element {i} is at level {} right after level {}: a level may only go one deeper",
                e.level,
                list[i - 1].level
            ))
            }
            _ => {}
        }
    }
    Ok(())
}

impl AccessRequest<'_> {
    /// `AccessCheckByType` (`result_list` false) or
    /// `AccessCheckByTypeResultList` (true) with an object type list. An
    /// empty list is a plain `AccessCheck` after the by-type argument checks.
    pub fn check_by_type(&self, list: &[ObjectTypeEntry], result_list: bool) -> ByTypeResult {
        let mut run = Run::default();
        let verdicts = self.decide_by_type(list, &mut run);
        let (first, results) = match verdicts {
            Err(v) => (v, None),
            Ok(per) => {
                let results: Vec<ElementResult> = per
                    .iter()
                    .map(|v| match v {
                        Verdict::Granted(m) => ElementResult {
                            granted: *m,
                            access_status: true,
                            error: None,
                        },
                        Verdict::Denied(e) | Verdict::Failed(e) => ElementResult {
                            granted: AccessMask::NONE,
                            access_status: false,
                            error: Some(*e),
                        },
                    })
                    .collect();
                let first = per
                    .into_iter()
                    .next()
                    .unwrap_or(Verdict::Denied(Win32Error::AccessDenied));
                (first, Some(results))
            }
        };
        let failed = matches!(first, Verdict::Failed(_));
        if result_list && !failed {
            if let Some(results) = &results {
                run.note(
                    ids::RESULT_LIST,
                    format!(
                        "one result per element: {}; the call's own status is the first element's",
                        results
                            .iter()
                            .enumerate()
                            .map(|(i, r)| if r.access_status {
                                format!("{i} granted {}", r.granted)
                            } else {
                                format!("{i} denied")
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
        ByTypeResult {
            result: run.finish(first),
            results: if result_list && !failed {
                results
            } else {
                None
            },
        }
    }

    fn decide_by_type(
        &self,
        list: &[ObjectTypeEntry],
        run: &mut Run,
    ) -> Result<Vec<Verdict>, Verdict> {
        // Argument checks in the order NtAccessCheckByType makes them.
        if self.token.token_type == TokenType::Primary {
            run.note(
                ids::TOKEN_TYPE,
                "the token is a primary token; AccessCheckByType needs an impersonation token",
            );
            return Err(Verdict::Failed(Win32Error::NoImpersonationToken));
        }
        if self.desired.intersects(AccessMask::GENERIC_ANY) {
            run.note(ids::BY_TYPE_ARGS, format!("desired access {} contains generic bits (checked before the impersonation level)", self.desired));
            return Err(Verdict::Failed(Win32Error::GenericNotMapped));
        }
        if self.token.token_type == TokenType::Impersonation(ImpersonationLevel::Anonymous) {
            run.note(
                ids::ANONYMOUS_LEVEL,
                "the token is at SecurityAnonymous level",
            );
            return Err(Verdict::Failed(Win32Error::BadImpersonationLevel));
        }
        if let Err(why) = validate_object_type_list(list) {
            run.note(
                ids::OBJECT_TYPE_LIST,
                format!("invalid object type list: {why} (checked before the descriptor)"),
            );
            return Err(Verdict::Failed(Win32Error::InvalidParameter));
        }
        if list.is_empty() {
            run.note(
                ids::BY_TYPE_ARGS,
                "no object type list: the check is a plain AccessCheck",
            );
            return Err(self.decide(run));
        }
        if let Some(v) = self.preconditions(run) {
            return Err(v);
        }
        let (request, mic_allowed) = self.prelude(run)?;
        let mut finals = self.node_pass(Pass::Normal, &request, list, run);
        if self.token.is_restricted() {
            let write_bits = self.mapping.generic_write;
            let write_requested = request.max || request.wanted.intersects(write_bits);
            if !self.token.is_write_restricted() || write_requested {
                run.note(
                    ids::RESTRICTED_PASS,
                    "the token is restricted: second pass with the restricting SIDs only",
                );
                let second = self.node_pass(Pass::Restricted, &request, list, run);
                for (f, r) in finals.iter_mut().zip(second) {
                    *f = if self.token.is_write_restricted() {
                        f.without(write_bits.without(r))
                    } else {
                        *f & r
                    };
                }
            }
        }
        let mut out = Vec::with_capacity(list.len());
        for (i, f) in finals.into_iter().enumerate() {
            let f = mic_allowed.map_or(f, |allowed| f & allowed);
            let verdict = if request.max {
                if request.wanted.without(f).is_empty() && !f.is_empty() {
                    Verdict::Granted(f)
                } else {
                    Verdict::Denied(Win32Error::AccessDenied)
                }
            } else if request.wanted.without(f).is_empty() {
                Verdict::Granted(request.wanted)
            } else {
                Verdict::Denied(Win32Error::AccessDenied)
            };
            run.push(TrailStep {
                element: Some(i),
                granted: Some(f),
                ..step(
                    ids::OBJECT_ACE,
                    format!(
                        "element {i} ({}) ends with {f}: {}",
                        list[i].guid,
                        if matches!(verdict, Verdict::Granted(_)) {
                            "granted"
                        } else {
                            "denied"
                        }
                    ),
                )
            });
            out.push(verdict);
        }
        Ok(out)
    }

    /// One pass over owner rights and the DACL for every list element;
    /// returns each element's rights (granted to it and to everything below it).
    fn node_pass(
        &self,
        pass: Pass,
        req: &Request,
        list: &[ObjectTypeEntry],
        run: &mut Run,
    ) -> Vec<AccessMask> {
        let who = Matcher {
            token: self.token,
            pass,
            deny_only_excluded: run.rules.deny_only_excluded,
        };
        let tag = pass.tag();
        let n = list.len();
        let mut start = req.privileged;
        let owner = self.sd.owner.as_ref();
        let owner_rights_ace = self.sd.dacl.acl().is_some_and(|acl| {
            acl.aces
                .iter()
                .any(|a| sids::is_owner_rights(&a.sid) && !a.flags.inherit_only())
        });
        if owner.is_some_and(|o| who.allows(o)) && !owner_rights_ace {
            start |= AccessMask::READ_CONTROL | AccessMask::WRITE_DAC;
            run.push(TrailStep {
                granted: Some(AccessMask::READ_CONTROL | AccessMask::WRITE_DAC),
                pass: tag,
                ..step(ids::OWNER_IMPLICIT, "the owner SID is an enabled SID of the caller: READ_CONTROL|WRITE_DAC for every element")
            });
        }
        let mut granted = vec![start; n];
        let mut denied = vec![AccessMask::NONE; n];
        // The elements an ACE reaches: its element and those below it.
        let subtree = |root: usize| -> Vec<usize> {
            let mut v = vec![root];
            for (j, e) in list.iter().enumerate().skip(root + 1) {
                if e.level <= list[root].level {
                    break;
                }
                v.push(j);
            }
            v
        };
        match &self.sd.dacl {
            AclSlot::Absent | AclSlot::Null => {
                let all = self.mapping.generic_all | req.wanted | start;
                run.push(TrailStep {
                    granted: Some(all),
                    pass: tag,
                    ..step(
                        ids::DACL_NULL,
                        "the DACL is absent or NULL: every element gets everything requested",
                    )
                });
                return vec![all; n];
            }
            AclSlot::Present(acl) => {
                for (index, ace) in acl.aces.iter().enumerate() {
                    if ace.flags.inherit_only() || !ace.ace_type.is_discretionary() {
                        continue;
                    }
                    let base = || TrailStep {
                        ace_index: Some(index),
                        ace: Some(ace_text(ace)),
                        pass: tag,
                        ..step("", "")
                    };
                    let targets: Vec<usize> = match ace.object_type {
                        None => (0..n).collect(),
                        Some(g) => match list.iter().position(|e| e.guid == g) {
                            Some(at) => subtree(at),
                            None => {
                                run.push(TrailStep {
                                    rule: ids::OBJECT_ACE,
                                    note: format!(
                                        "object ACE for {g}, which is not in the list: skipped"
                                    ),
                                    ..base()
                                });
                                continue;
                            }
                        },
                    };
                    let Some(sid) = self.trustee(ace, &base, run) else {
                        continue;
                    };
                    let mask = self.mapping.map(ace.mask);
                    let allow = ace.ace_type.is_allow();
                    if (allow && !who.allows(sid)) || (!allow && !who.denies(sid)) {
                        continue;
                    }
                    let condition = self.condition(ace, !allow);
                    if let Some(c) = &condition {
                        let skip = if allow {
                            c.value != Tri::True
                        } else {
                            c.value == Tri::False
                        };
                        if skip {
                            run.push(TrailStep {
                                rule: if allow {
                                    ids::COND_ALLOW
                                } else {
                                    ids::COND_DENY
                                },
                                note: format!("condition is {}: no effect", c.value.name()),
                                condition,
                                ..base()
                            });
                            continue;
                        }
                    }
                    for &m in &targets {
                        if allow {
                            granted[m] |= mask.without(denied[m]);
                        } else {
                            denied[m] |= mask.without(granted[m]);
                        }
                    }
                    run.push(TrailStep {
                        rule: if ace.object_type.is_some() {
                            ids::OBJECT_ACE
                        } else if allow {
                            ids::ACE_ALLOW
                        } else {
                            ids::ACE_DENY
                        },
                        note: format!(
                            "{} ACE applies to {}: {} {mask} for elements {:?}",
                            if allow { "allow" } else { "deny" },
                            who.describe(sid),
                            if allow { "grants" } else { "denies" },
                            targets
                        ),
                        granted: allow.then_some(mask),
                        denied: (!allow).then_some(mask),
                        condition,
                        ..base()
                    });
                }
            }
        }
        // An element keeps only what every element below it also has.
        let mut finals = granted;
        for i in (0..n).rev() {
            let mut f = finals[i];
            for (j, e) in list.iter().enumerate().skip(i + 1) {
                if e.level <= list[i].level {
                    break;
                }
                if e.level == list[i].level + 1 {
                    f = f & finals[j];
                }
            }
            finals[i] = f;
        }
        finals
    }
}

/// The rights SeBackupPrivilege and SeRestorePrivilege grant to a
/// backup-intent open (MS-PRIV): backup reads (READ_CONTROL,
/// ACCESS_SYSTEM_SECURITY, the type's generic read, and FILE_TRAVERSE for
/// files), restore writes (WRITE_DAC, WRITE_OWNER, ACCESS_SYSTEM_SECURITY,
/// DELETE, the type's generic write, and FILE_ADD_FILE |
/// FILE_ADD_SUBDIRECTORY for files).
pub fn backup_restore_rights(mapping: &GenericMapping) -> (AccessMask, AccessMask) {
    const FILE_TRAVERSE: AccessMask = AccessMask(0x20);
    const FILE_ADD_FILE_AND_SUBDIRECTORY: AccessMask = AccessMask(0x2 | 0x4);
    let file = *mapping == GenericMapping::FILE;
    let mut backup =
        AccessMask::READ_CONTROL | AccessMask::ACCESS_SYSTEM_SECURITY | mapping.generic_read;
    let mut restore = AccessMask::WRITE_DAC
        | AccessMask::WRITE_OWNER
        | AccessMask::ACCESS_SYSTEM_SECURITY
        | AccessMask::DELETE
        | mapping.generic_write;
    if file {
        backup |= FILE_TRAVERSE;
        restore |= FILE_ADD_FILE_AND_SUBDIRECTORY;
    }
    (backup, restore)
}

/// The resource attributes of a descriptor (rule `AC-RESOURCE-ATTRIBUTE`):
/// the RA ACEs of its SACL that are not inherit-only, the first per name,
/// without those that hold a value twice.
pub fn resource_attributes(sd: &SecurityDescriptor) -> Vec<Claim> {
    let mut out: Vec<Claim> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for ace in sd.sacl.acl().map_or(&[][..], |a| &a.aces[..]) {
        if ace.ace_type != AceType::SystemResourceAttribute || ace.flags.inherit_only() {
            continue;
        }
        if let Some(c) = ace.attribute() {
            let key = c.name.to_lowercase();
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            if c.has_unique_values() {
                out.push(c.clone());
            }
        }
    }
    out
}

/// How many ACEs of one pass over a DACL the trail lists one by one. Past
/// them, ACEs that neither grant nor deny are counted in one closing step
/// (rule `AC-UNLISTED-ACES`), so a check over a DACL of thousands of ACEs
/// keeps a trail of bounded size; ACEs that grant or deny are always
/// listed.
pub const MAX_LISTED_ACES: usize = 64;

/// The SDDL form of an ACE, for trail entries.
fn ace_text(ace: &Ace) -> String {
    crate::sddl::ace_to_sddl(ace, &DomainContext::default())
}

fn step(rule: &'static str, note: impl Into<String>) -> TrailStep {
    TrailStep {
        rule,
        note: note.into(),
        ace_index: None,
        ace: None,
        granted: None,
        denied: None,
        privilege: None,
        pass: None,
        condition: None,
        element: None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    Normal,
    Restricted,
}

impl Pass {
    fn tag(self) -> Option<&'static str> {
        match self {
            Pass::Normal => None,
            Pass::Restricted => Some("restricted"),
        }
    }
}

/// Which SIDs match ACEs in a pass.
struct Matcher<'a> {
    token: &'a Token,
    pass: Pass,
    /// Deny-only groups match deny ACEs only (Windows); otherwise they
    /// match allow ACEs too.
    deny_only_excluded: bool,
}

impl Matcher<'_> {
    fn allows(&self, sid: &Sid) -> bool {
        match self.pass {
            Pass::Normal if !self.deny_only_excluded => self.token.matches_for_deny(sid),
            Pass::Normal => self.token.matches_for_allow(sid),
            Pass::Restricted => self
                .token
                .restricted_sids
                .iter()
                .any(|g| g.sid == *sid && g.is_enabled()),
        }
    }

    fn denies(&self, sid: &Sid) -> bool {
        match self.pass {
            Pass::Normal => self.token.matches_for_deny(sid),
            Pass::Restricted => self
                .token
                .restricted_sids
                .iter()
                .any(|g| g.sid == *sid && g.counts_for_deny()),
        }
    }

    fn entry(&self, sid: &Sid) -> Option<&Group> {
        match self.pass {
            Pass::Normal if self.token.user.sid == *sid => Some(&self.token.user),
            Pass::Normal => self.token.group(sid),
            Pass::Restricted => self.token.restricted_sids.iter().find(|g| g.sid == *sid),
        }
    }

    fn describe(&self, sid: &Sid) -> String {
        let what = if self.pass == Pass::Normal && self.token.user.sid == *sid {
            "the user"
        } else if self.entry(sid).is_some_and(Group::is_deny_only) {
            "deny-only group"
        } else if self.pass == Pass::Restricted {
            "restricting SID"
        } else {
            "enabled group"
        };
        format!("{sid} ({what})")
    }

    fn why_not_allow(&self, sid: &Sid) -> (&'static str, String) {
        match self.entry(sid) {
            Some(g) if g.is_deny_only() => {
                (ids::DENY_ONLY, format!("{sid} is deny-only in this token"))
            }
            Some(_) => (ids::DENY_ONLY, format!("{sid} is present but not enabled")),
            None if self.pass == Pass::Restricted => {
                (ids::ACE_ALLOW, format!("{sid} is not a restricting SID"))
            }
            None => (ids::ACE_ALLOW, format!("{sid} is not in the token")),
        }
    }

    fn why_not_deny(&self, sid: &Sid) -> (&'static str, String) {
        match self.entry(sid) {
            Some(_) => (
                ids::DENY_ONLY,
                format!("{sid} is present but neither enabled nor deny-only"),
            ),
            None if self.pass == Pass::Restricted => {
                (ids::ACE_DENY, format!("{sid} is not a restricting SID"))
            }
            None => (ids::ACE_DENY, format!("{sid} is not in the token")),
        }
    }
}

struct Request {
    wanted: AccessMask,
    max: bool,
    privileged: AccessMask,
}

enum PassResult {
    Granted(AccessMask),
    Denied,
}

enum Verdict {
    Granted(AccessMask),
    Denied(Win32Error),
    Failed(Win32Error),
}

#[derive(Default)]
struct Run {
    /// The rules the check applies.
    rules: AccessRules,
    trail: Vec<TrailStep>,
    privileges_used: Vec<Privilege>,
    /// ACEs counted but not listed since the last step, and their pass.
    unlisted: Option<(usize, Option<&'static str>)>,
}

impl Run {
    fn push(&mut self, s: TrailStep) {
        self.flush_unlisted();
        self.trail.push(s);
    }

    /// Counts an ACE that is not listed.
    fn unlisted(&mut self, pass: Option<&'static str>) {
        let count = self.unlisted.map_or(0, |(n, _)| n);
        self.unlisted = Some((count + 1, pass));
    }

    /// The step that counts the ACEs not listed since the last step, so
    /// it stands where they were in the DACL.
    fn flush_unlisted(&mut self) {
        if let Some((count, pass)) = self.unlisted.take() {
            self.trail.push(TrailStep {
                pass,
                ..step(
                    ids::UNLISTED_ACES,
                    format!(
                        "{count} more ACE{} neither granted nor denied anything; past the first {MAX_LISTED_ACES} of a pass such ACEs are counted, not listed",
                        if count == 1 { "" } else { "s" }
                    ),
                )
            });
        }
    }

    fn note(&mut self, rule: &'static str, note: impl Into<String>) {
        self.push(step(rule, note));
    }

    fn use_privilege(&mut self, rule: &'static str, privilege: Privilege, bits: AccessMask) {
        if !self.privileges_used.contains(&privilege) {
            self.privileges_used.push(privilege);
        }
        self.flush_unlisted();
        self.trail.push(TrailStep {
            granted: Some(bits),
            privilege: Some(privilege),
            ..step(
                rule,
                format!("{} is enabled: grants {bits}", privilege.name()),
            )
        });
    }

    fn finish(mut self, verdict: Verdict) -> AccessCheckResult {
        match verdict {
            Verdict::Granted(mask) => {
                self.note(ids::GRANTED, format!("access granted: {mask}"));
                AccessCheckResult {
                    api_return: true,
                    access_status: Some(true),
                    granted: Some(mask),
                    error: None,
                    privileges_used: self.privileges_used,
                    trail: self.trail,
                }
            }
            Verdict::Denied(error) => {
                self.note(ids::DENIED, format!("access denied: {}", error.name()));
                AccessCheckResult {
                    api_return: true,
                    access_status: Some(false),
                    granted: Some(AccessMask::NONE),
                    error: Some(error),
                    privileges_used: Vec::new(),
                    trail: self.trail,
                }
            }
            Verdict::Failed(error) => AccessCheckResult {
                api_return: false,
                access_status: None,
                granted: None,
                error: Some(error),
                privileges_used: Vec::new(),
                trail: self.trail,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ace::{AceFlags, AceType};
    use crate::descriptor::Acl;
    use crate::token::{group_attrs, privilege_attrs, PrivilegeEntry};

    fn user() -> Sid {
        "S-1-5-21-1-2-3-1001".parse().unwrap()
    }

    fn token() -> Token {
        let mut t = Token::new(user());
        t.groups.push(Group::enabled(sids::everyone()));
        t.groups.push(Group::enabled(sids::builtin_users()));
        t
    }

    fn sd(owner: Sid, aces: Vec<Ace>) -> SecurityDescriptor {
        SecurityDescriptor {
            owner: Some(owner),
            group: Some(sids::local_system()),
            dacl: AclSlot::Present(Acl::new(aces)),
            ..SecurityDescriptor::default()
        }
    }

    fn check(sd: &SecurityDescriptor, t: &Token, desired: u32) -> AccessCheckResult {
        access_check(sd, t, AccessMask(desired), &GenericMapping::FILE)
    }

    const MAX: u32 = 0x0200_0000;

    #[test]
    fn a_long_dacl_lists_its_first_aces_and_counts_the_rest_in_place() {
        // 100 ACEs for SIDs the token lacks, then Users gets read access,
        // then 10 more that do not apply.
        let other = |n: u32| Sid::new(5, &[21, 1, 2, 3, 5000 + n]).unwrap();
        let mut aces: Vec<Ace> = (0..100)
            .map(|n| Ace::allow(AccessMask(0x1), other(n)))
            .collect();
        aces.push(Ace::allow(AccessMask(0x3), sids::builtin_users()));
        aces.extend((100..110).map(|n| Ace::allow(AccessMask(0x1), other(n))));
        let d = sd(sids::local_system(), aces);
        // (desired, granted, counts of unlisted ACEs in trail order). The
        // Users ACE is listed when it grants; asked for 0x4 it grants
        // nothing new and is counted with the others.
        let cases: [(u32, Option<u32>, &[&str]); 3] = [
            (0x3, Some(0x3), &["36 more ACEs"]),
            (MAX, Some(0x3), &["36 more ACEs", "10 more ACEs"]),
            (0x4, None, &["47 more ACEs"]),
        ];
        for (desired, granted, counts) in cases {
            let r = check(&d, &token(), desired);
            assert_eq!(
                r.granted.map(|m| m.0).filter(|&m| m != 0),
                granted,
                "{desired:#x}"
            );
            let listed: Vec<usize> = r.trail.iter().filter_map(|s| s.ace_index).collect();
            let mut expected: Vec<usize> = (0..MAX_LISTED_ACES).collect();
            if granted.is_some() {
                expected.push(100);
            }
            assert_eq!(
                listed, expected,
                "{desired:#x}: the first 64 and the one that grants"
            );
            let seen: Vec<&str> = r
                .trail
                .iter()
                .filter(|s| s.rule == ids::UNLISTED_ACES)
                .map(|s| &s.note[..12])
                .collect();
            assert_eq!(seen, counts, "{desired:#x}");
            let first_count = r.trail.iter().position(|s| s.rule == ids::UNLISTED_ACES);
            let users = r.trail.iter().position(|s| s.ace_index == Some(100));
            if let (Some(c), Some(u)) = (first_count, users) {
                assert!(c < u, "the count stands where the unlisted ACEs were");
            }
        }
    }

    #[test]
    fn owner_rights_ace_replaces_implicit_owner_rights() {
        // Forshaw listing 7-16: O:WD ... D:(A;;0x1;;;OW) + MAXIMUM_ALLOWED -> 0x1 only.
        let d = sd(
            sids::everyone(),
            vec![Ace::allow(AccessMask(0x1), sids::owner_rights())],
        );
        let r = check(&d, &token(), MAX);
        assert_eq!(r.granted, Some(AccessMask(0x1)));
        assert!(r.trail.iter().any(|s| s.rule == ids::OWNER_RIGHTS_ACE));
        // An inherit-only OWNER RIGHTS ACE does not switch the implicit rights off.
        let io = sd(
            sids::everyone(),
            vec![Ace::new(
                AceType::AccessAllowed,
                AceFlags::INHERIT_ONLY,
                AccessMask(0x1),
                sids::owner_rights(),
            )],
        );
        assert_eq!(
            check(&io, &token(), MAX).granted,
            Some(AccessMask(0x6_0000))
        );
    }

    #[test]
    fn owner_everyone_gives_every_caller_rc_wd_and_no_more() {
        let d = sd(sids::everyone(), vec![]);
        let r = check(&d, &token(), MAX);
        assert_eq!(
            (r.access_status, r.granted),
            (Some(true), Some(AccessMask(0x6_0000)))
        );
        // Empty DACL and FILE_GENERIC_READ: RC|WD is not enough (Wine GetNamedSecurityInfo test).
        let r = check(&d, &token(), 0x12_0089);
        assert_eq!(
            (r.access_status, r.granted, r.error),
            (
                Some(false),
                Some(AccessMask::NONE),
                Some(Win32Error::AccessDenied)
            )
        );
    }

    #[test]
    fn deny_after_allow_does_not_take_back_granted_bits() {
        // Wine test_AccessCheck: allow Everyone KEY_READ, deny BA 0x2 -> KEY_READ granted.
        let mut admin = token();
        admin
            .groups
            .push(Group::enabled(sids::builtin_administrators()));
        let d = sd(
            sids::builtin_administrators(),
            vec![
                Ace::allow(AccessMask(0x2_0019), sids::everyone()),
                Ace::deny(AccessMask(0x2), sids::builtin_administrators()),
            ],
        );
        let r = access_check(&d, &admin, AccessMask(0x2_0019), &GenericMapping::KEY);
        assert_eq!(r.granted, Some(AccessMask(0x2_0019)));
        // ... but a request including the denied bit is refused at the deny ACE.
        let r = access_check(&d, &admin, AccessMask(0x2_001B), &GenericMapping::KEY);
        assert_eq!(r.access_status, Some(false));
    }

    #[test]
    fn restricted_token_needs_both_passes() {
        let t = token().restricted(&[], &[], &[sids::everyone()]);
        let only_user = sd(user(), vec![Ace::allow(AccessMask(0x1F_01FF), user())]);
        assert_eq!(check(&only_user, &t, 0x1).access_status, Some(false));
        let both = sd(
            user(),
            vec![
                Ace::allow(AccessMask(0x1F_01FF), user()),
                Ace::allow(AccessMask(0x12_0089), sids::everyone()),
            ],
        );
        assert_eq!(check(&both, &t, 0x1).access_status, Some(true));
        assert_eq!(check(&both, &t, 0x2).access_status, Some(false));
        // The owner (the user) is not a restricting SID: no RC|WD from the second pass.
        let r = check(&both, &t, MAX);
        assert_eq!(r.granted, Some(AccessMask(0x12_0089)));
    }

    #[test]
    fn integrity_label_blocks_write_up() {
        let mut low = token();
        low.integrity = IntegrityLevel::LOW;
        let mut d = sd(
            user(),
            vec![Ace::allow(AccessMask(0x1F_01FF), sids::everyone())],
        );
        d.sacl = AclSlot::Present(Acl::new(vec![Ace::new(
            AceType::SystemMandatoryLabel,
            0,
            AccessMask(label_policy::NO_WRITE_UP),
            IntegrityLevel::HIGH.sid(),
        )]));
        assert_eq!(check(&d, &low, 0x2).access_status, Some(false));
        assert_eq!(check(&d, &low, 0x1).access_status, Some(true));
        assert_eq!(check(&d, &low, MAX).granted, Some(AccessMask(0x12_00A9)));
        // Mandatory policy off: no integrity check.
        low.mandatory_policy = mandatory_policy::OFF;
        assert_eq!(check(&d, &low, 0x2).access_status, Some(true));
    }

    #[test]
    fn principal_self_needs_a_principal() {
        let d = sd(
            sids::local_system(),
            vec![Ace::allow(AccessMask(0x1), sids::principal_self())],
        );
        assert_eq!(check(&d, &token(), 0x1).access_status, Some(false));
        let u = user();
        let req = AccessRequest {
            sd: &d,
            token: &token(),
            desired: AccessMask(0x1),
            mapping: &GenericMapping::FILE,
            principal_self: Some(&u),
            backup_intent: false,
        };
        assert_eq!(req.check().access_status, Some(true));
    }

    #[test]
    fn api_failures_in_windows_order() {
        let d = sd(user(), vec![]);
        let mut primary = token();
        primary.token_type = TokenType::Primary;
        assert_eq!(
            check(&d, &primary, 0x1).error,
            Some(Win32Error::NoImpersonationToken)
        );
        let mut no_group = d.clone();
        no_group.group = None;
        let r = check(&no_group, &token(), 0x1);
        assert_eq!(
            (r.api_return, r.error),
            (false, Some(Win32Error::InvalidSecurityDescr))
        );
        let r = check(&d, &token(), 0x8000_0000);
        assert_eq!(
            (r.api_return, r.granted, r.error),
            (false, None, Some(Win32Error::GenericNotMapped))
        );
        assert_eq!(check(&d, &token(), 0).access_status, Some(false));
    }

    #[test]
    fn null_dacl_maximum_is_generic_all_without_system_security() {
        let mut d = sd(sids::local_system(), vec![]);
        d.dacl = AclSlot::Null;
        let r = access_check(&d, &token(), AccessMask(MAX), &GenericMapping::KEY);
        assert_eq!(r.granted, Some(AccessMask(0xF_003F)));
        let mut secure = token();
        secure.privileges.push(PrivilegeEntry {
            privilege: Privilege::Security,
            attributes: privilege_attrs::ENABLED,
        });
        let r = access_check(
            &d,
            &secure,
            AccessMask(MAX | 0x0100_0000),
            &GenericMapping::KEY,
        );
        assert_eq!(r.granted, Some(AccessMask(0x010F_003F)));
        assert_eq!(r.privileges_used, vec![Privilege::Security]);
        // A disabled privilege does not count.
        secure.privileges[0].attributes = 0;
        let r = access_check(&d, &secure, AccessMask(0x0100_0000), &GenericMapping::KEY);
        assert_eq!(r.error, Some(Win32Error::PrivilegeNotHeld));
        let _ = group_attrs::DEFAULT;
    }

    #[test]
    fn backup_and_restore_need_backup_intent() {
        let mut operator = token();
        for privilege in [Privilege::Backup, Privilege::Restore] {
            operator.privileges.push(PrivilegeEntry {
                privilege,
                attributes: privilege_attrs::ENABLED,
            });
        }
        let locked = sd(sids::local_system(), vec![]);
        // A plain AccessCheck ignores both privileges.
        assert_eq!(
            check(&locked, &operator, 0x12_0089).access_status,
            Some(false)
        );
        let open = |desired: u32, token: &Token| {
            AccessRequest {
                sd: &locked,
                token,
                desired: AccessMask(desired),
                mapping: &GenericMapping::FILE,
                principal_self: None,
                backup_intent: true,
            }
            .check()
        };
        let r = open(0x12_0089, &operator);
        assert_eq!(r.granted, Some(AccessMask(0x12_0089)));
        assert_eq!(r.privileges_used, vec![Privilege::Backup]);
        let r = open(0x1_0000 | 0x4_0000, &operator);
        assert_eq!(r.granted, Some(AccessMask(0x5_0000)));
        assert_eq!(r.privileges_used, vec![Privilege::Restore]);
        // ACCESS_SYSTEM_SECURITY through backup intent, without SeSecurityPrivilege.
        assert_eq!(open(0x0100_0000, &operator).access_status, Some(true));
        // FILE_EXECUTE is neither a backup nor a restore right.
        assert_eq!(
            open(0x20 | 0x1, &operator).access_status,
            Some(true),
            "traverse is a backup right"
        );
        assert_eq!(open(0x40, &operator).access_status, Some(false));
        // Disabled privileges do not count, even with backup intent.
        let mut disabled = operator.clone();
        for p in &mut disabled.privileges {
            p.attributes = 0;
        }
        assert_eq!(open(0x12_0089, &disabled).access_status, Some(false));
    }

    #[test]
    fn conditional_allow_grants_exactly_when_the_claim_matches() {
        use crate::claims::{Claim, ClaimType, ClaimValue};
        let sd = SecurityDescriptor::from_sddl("O:SYG:SYD:(XA;;CR;;;WD;(@User.dept == \"eng\"))")
            .unwrap();
        let with = |dept: Option<&str>| {
            let mut t = token();
            if let Some(d) = dept {
                t.user_claims.push(Claim {
                    name: "dept".into(),
                    value_type: ClaimType::String,
                    flags: 0,
                    values: vec![ClaimValue::String(d.into())],
                });
            }
            check(&sd, &t, 0x100)
        };
        let r = with(Some("ENG"));
        assert_eq!(r.granted, Some(AccessMask(0x100)));
        let step = r.trail.iter().find(|s| s.condition.is_some()).unwrap();
        let c = step.condition.as_ref().unwrap();
        assert_eq!(c.value, crate::condition::Tri::True);
        assert!(c
            .steps
            .iter()
            .any(|s| s.expr == "@USER.dept == \"eng\"" && s.value == "TRUE"));
        assert_eq!(with(Some("ops")).access_status, Some(false));
        assert_eq!(with(None).access_status, Some(false));
        // A callback deny with an UNKNOWN condition denies.
        let deny = SecurityDescriptor::from_sddl(
            "O:SYG:SYD:(XD;;CR;;;WD;(@User.dept == \"eng\"))(A;;CR;;;WD)",
        )
        .unwrap();
        assert_eq!(check(&deny, &token(), 0x100).access_status, Some(false));
    }

    #[test]
    fn object_type_lists_decide_per_element() {
        // ReactOS NtAccessCheckByType.c DenyAccessTests, as SDDL.
        let root = Guid::parse("12345678-1234-5678-1122-334455667788").unwrap();
        let child = Guid::parse("23456789-2345-6786-0233-445566778899").unwrap();
        let sd = SecurityDescriptor::from_sddl(&format!(
            "O:BAG:BUD:(OD;;KW;{child};;WD)(OA;;0x8;{root};;WD)"
        ))
        .unwrap();
        let list = [
            ObjectTypeEntry {
                level: 0,
                guid: root,
            },
            ObjectTypeEntry {
                level: 1,
                guid: child,
            },
        ];
        let req = |desired: u32| {
            AccessRequest {
                sd: &sd,
                token: &token(),
                desired: AccessMask(desired),
                mapping: &GenericMapping::KEY,
                principal_self: None,
                backup_intent: false,
            }
            .check_by_type(&list, true)
        };
        assert_eq!(req(0x8).result.access_status, Some(true));
        assert_eq!(req(0x20006).result.access_status, Some(false));
        let r = req(0x8);
        assert_eq!(r.results.as_ref().map(Vec::len), Some(2));
        // Bad lists: a list that does not start at level 0, ERROR_INVALID_PARAMETER.
        let bad = [ObjectTypeEntry {
            level: 1,
            guid: root,
        }];
        let r = AccessRequest {
            sd: &sd,
            token: &token(),
            desired: AccessMask(1),
            mapping: &GenericMapping::KEY,
            principal_self: None,
            backup_intent: false,
        }
        .check_by_type(&bad, false);
        assert_eq!(r.result.error, Some(Win32Error::InvalidParameter));
    }

    #[test]
    fn every_trail_step_cites_a_known_rule() {
        let d = sd(
            user(),
            vec![
                Ace::deny(AccessMask(0x2), sids::everyone()),
                Ace::allow(AccessMask(0x1), user()),
            ],
        );
        for desired in [0x1, 0x2, MAX, 0x0100_0000, 0x8000_0000] {
            for s in check(&d, &token(), desired).trail {
                assert!(
                    crate::rules::rule(s.rule).is_some(),
                    "unknown rule {}",
                    s.rule
                );
            }
        }
    }
}
