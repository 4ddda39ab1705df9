//! `IBitsTokenOptions`: SetHelperToken, SetHelperTokenFlags,
//! GetHelperTokenFlags, ClearHelperToken and GetHelperTokenSid, and who
//! may call them ([HT], [TO-SHT]; seeds 000–002).
//!
//! Authorisation is one function, [`World::helper_allowed`]: a job owned
//! by an administrator, or a pointer obtained by an administrator, admits
//! every call; from Windows 10 1607 a non-administrator is admitted under
//! condition (a) (owner's SID at QueryInterface) and, for the calls that
//! set something, condition (b) (the helper token has no enabled
//! Administrators SID).

use simos::ThreadId;
use winsec::ImpersonationLevel;

use crate::hresult::HResult;
use crate::job::{token_flags, HelperToken, JobId};
use crate::methods::Method;
use winsec::well_known::sids;

use crate::profile::switch_ids;
use crate::rules::ids;
use crate::world::{BitsEvent, CallResult, Caller, Condition, Effect, Grant, Reply, Value, World};

impl World {
    /// Whether a token-options call is allowed. `helper_admin` is condition
    /// (b)'s subject: the token being set, or the one already held
    /// (`None` when the call does not check (b), or no token is held).
    /// Each condition evaluated is recorded with what it found, so the
    /// trail names the one that decided.
    pub(crate) fn helper_allowed(
        &mut self,
        job: JobId,
        grant: &Grant,
        helper_admin: Option<bool>,
        rules: &mut Vec<&'static str>,
    ) -> Result<(), HResult> {
        let (owner, owner_admin) = self
            .bits
            .jobs
            .get(&job)
            .map(|j| (j.owner.sid.to_string(), j.owner.admin))
            .unwrap_or_default();
        let admins = sids::builtin_administrators();
        rules.push(ids::HELPER_ADMIN);
        if owner_admin {
            self.condition(
                ids::HELPER_ADMIN,
                format!("the job's owner {owner} is an administrator"),
                Effect::Admitted,
            );
            return Ok(());
        }
        self.condition(
            ids::HELPER_ADMIN,
            format!("the job's owner {owner} is not an administrator"),
            Effect::Holds,
        );
        rules.push(switch_ids::NON_ADMIN_HELPER);
        if !self.rules.non_admin_helper_token {
            self.condition(
                switch_ids::NON_ADMIN_HELPER,
                "the profile has no rule for a non-administrator's helper token".to_string(),
                Effect::Refused,
            );
            return Err(HResult::EAccessDenied);
        }
        if grant.admin {
            self.condition(
                ids::HELPER_ADMIN,
                format!("the pointer was obtained with {admins} enabled"),
                Effect::Admitted,
            );
            return Ok(());
        }
        rules.push(ids::HELPER_OWNER_AT_QI);
        if grant.owner_match {
            self.condition(
                ids::HELPER_OWNER_AT_QI,
                format!("the pointer was obtained with the owner's SID {owner}"),
                Effect::Holds,
            );
        } else if self.rules.owner_condition {
            self.condition(
                ids::HELPER_OWNER_AT_QI,
                format!("the pointer was obtained with a SID other than the owner's {owner}"),
                Effect::Refused,
            );
            return Err(HResult::EAccessDenied);
        } else {
            self.condition(
                ids::HELPER_OWNER_AT_QI,
                format!(
                    "the pointer was obtained with a SID other than the owner's {owner}, and the profile does not check it"
                ),
                Effect::Holds,
            );
        }
        if let Some(admin) = helper_admin {
            rules.push(ids::HELPER_NOT_ADMIN);
            match (admin, self.rules.admin_condition) {
                (true, true) => {
                    self.condition(
                        ids::HELPER_NOT_ADMIN,
                        format!("the helper token has {admins} enabled"),
                        Effect::Refused,
                    );
                    return Err(HResult::EAccessDenied);
                }
                (true, false) => self.condition(
                    ids::HELPER_NOT_ADMIN,
                    format!(
                        "the helper token has {admins} enabled, and the profile does not check it"
                    ),
                    Effect::Holds,
                ),
                (false, _) => self.condition(
                    ids::HELPER_NOT_ADMIN,
                    format!("the helper token does not have {admins} enabled"),
                    Effect::Holds,
                ),
            }
        }
        Ok(())
    }

    /// Records a condition a decision evaluated, for the outcome.
    pub(crate) fn condition(&mut self, rule: &'static str, finding: String, effect: Effect) {
        self.conditions.push(Condition {
            rule,
            finding,
            effect,
        });
    }

    /// One `IBitsTokenOptions` method, after the job's access check.
    pub(crate) fn token_method(
        &mut self,
        thread: ThreadId,
        id: JobId,
        grant: Grant,
        caller: Option<Caller>,
        method: &Method,
        rules: &mut Vec<&'static str>,
    ) -> CallResult {
        let held_admin = self
            .bits
            .jobs
            .get(&id)
            .and_then(|j| j.helper.as_ref())
            .map(|h| h.admin_enabled);
        match method {
            Method::SetHelperToken => {
                rules.push(ids::HELPER_CAPTURE);
                let caller = match caller {
                    Some(c) => c,
                    None => self.identify(thread, rules)?,
                };
                let level = caller.token.impersonation_level();
                if !matches!(level, Some(l) if l >= ImpersonationLevel::Impersonation)
                    && self.rules.checks.helper_needs_impersonation
                {
                    return Err(HResult::CoEFailedToImpersonate);
                }
                let admin_enabled = self.is_admin(&caller.token);
                self.helper_allowed(id, &grant, Some(admin_enabled), rules)?;
                let logon = self
                    .host
                    .token(caller.token_id)
                    .map(|t| t.logon)
                    .ok_or(HResult::EHandle)?;
                let ts_session = self
                    .host
                    .processes
                    .get(&caller.process)
                    .and_then(|p| self.host.token(p.primary_token))
                    .map_or(caller.token.session_id, |t| t.token.session_id);
                let sid = caller.token.user.sid.clone();
                if let Some(j) = self.bits.jobs.get_mut(&id) {
                    j.helper = Some(HelperToken {
                        token: caller.token_id,
                        sid: sid.clone(),
                        logon,
                        ts_session,
                        admin_enabled,
                    });
                }
                self.bits.log.push(BitsEvent::HelperTokenSet {
                    job: id,
                    sid,
                    token: caller.token_id,
                });
                Ok(Reply::ok(Value::None))
            }
            Method::SetHelperTokenFlags { flags } => {
                rules.push(ids::HELPER_FLAGS);
                if flags & !token_flags::ALL != 0 && self.rules.checks.helper_flags_validated {
                    return Err(HResult::EInvalidArg);
                }
                self.helper_allowed(id, &grant, held_admin, rules)?;
                if let Some(j) = self.bits.jobs.get_mut(&id) {
                    j.helper_flags = *flags;
                }
                self.bits.log.push(BitsEvent::HelperFlagsSet {
                    job: id,
                    flags: *flags,
                });
                Ok(Reply::ok(Value::None))
            }
            Method::GetHelperTokenFlags => {
                self.helper_allowed(id, &grant, None, rules)?;
                let flags = self.bits.jobs.get(&id).map_or(0, |j| j.helper_flags);
                Ok(Reply::ok(Value::Number {
                    number: u64::from(flags),
                }))
            }
            Method::ClearHelperToken => {
                rules.push(ids::HELPER_FLAGS);
                self.helper_allowed(id, &grant, None, rules)?;
                let had = self
                    .bits
                    .jobs
                    .get_mut(&id)
                    .and_then(|j| j.helper.take())
                    .is_some();
                if had {
                    self.bits.log.push(BitsEvent::HelperTokenDiscarded {
                        job: id,
                        reason: "ClearHelperToken".to_string(),
                    });
                }
                Ok(Reply::ok(Value::None))
            }
            Method::GetHelperTokenSid => {
                rules.push(ids::HELPER_SID);
                self.helper_allowed(id, &grant, None, rules)?;
                let sid = self
                    .bits
                    .jobs
                    .get(&id)
                    .and_then(|j| j.helper.as_ref())
                    .map(|h| h.sid.to_string());
                Ok(Reply::ok(Value::Text { text: sid }))
            }
            _ => Err(HResult::ENoInterface),
        }
    }
}
