//! What an expectation observes: the checks of a job, a thread's
//! identity or a token against the world, with the names a scenario
//! bound. Expectation steps and properties both observe through here,
//! and so can any driver that holds a world and its names.

use std::collections::BTreeMap;

use bits::{JobId, PointerId, World};
use scenario::format::{ExpectJob, ExpectThread, ExpectToken, TokenFacts};
use scenario::names::{self, Named};
use simos::{ThreadId, TokenId};
use winsec::token::group_attrs;
use winsec::{Sid, TokenType};

use crate::host::resolve;
use crate::run::{
    flags, integrity_name, privilege, result_name_matches, short_state, Bound, Check, StepResult,
};
use crate::{trace, vocab};

/// A world and the names bound in it, read-only.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// The world.
    pub world: &'a World,
    /// The names bound so far.
    pub names: &'a BTreeMap<String, Bound>,
}

impl View<'_> {
    /// The thread a name is bound to.
    pub fn thread(&self, name: &str) -> StepResult<ThreadId> {
        match self.names.get(name) {
            Some(Bound::Thread(t)) => Ok(*t),
            _ => Err(format!(
                "`{name}` names no thread (the step that should have bound it failed?)"
            )),
        }
    }

    /// The token a name is bound to.
    pub fn token(&self, name: &str) -> StepResult<TokenId> {
        match self.names.get(name) {
            Some(Bound::Token(t)) => Ok(*t),
            _ => Err(format!("`{name}` names no token")),
        }
    }

    /// The interface pointer a name is bound to.
    pub fn pointer(&self, name: &str) -> StepResult<PointerId> {
        match self.names.get(name) {
            Some(Bound::Pointer(p)) => Ok(*p),
            _ => Err(format!("`{name}` names no interface pointer")),
        }
    }

    /// The job a pointer name points at.
    pub fn job_id(&self, name: &str) -> StepResult<JobId> {
        let p = self.pointer(name)?;
        self.world
            .job_of(p)
            .map(|j| j.id)
            .ok_or_else(|| format!("`{name}` does not point at a job"))
    }

    /// The machine BITS runs on, where account names resolve.
    pub fn machine(&self) -> String {
        self.world.bits.machine.clone()
    }

    /// The SID of an account or group name.
    pub fn sid(&self, name: &str) -> StepResult<Sid> {
        resolve(&self.world.host, &self.machine(), name)
            .ok_or_else(|| format!("no account or group is named `{name}`"))
    }

    /// The SIDs of several names.
    pub fn sids(&self, names: &[String]) -> StepResult<Vec<Sid>> {
        names.iter().map(|n| self.sid(n)).collect()
    }

    /// `DOMAIN\name` of a SID.
    pub fn account_of(&self, sid: &Sid) -> String {
        crate::report::account_name(&self.world.host, &self.machine(), sid)
    }
}

/// The checks of an `expect` on a job.
pub fn job(view: &View<'_>, e: &ExpectJob) -> StepResult<Vec<Check>> {
    let id = view.job_id(&e.job)?;
    let job = view
        .world
        .job(id)
        .ok_or_else(|| format!("job of `{}` is gone", e.job))?
        .clone();
    let mut out = Vec::new();
    let mut check = |what: &str, expected: String, actual: String, ok: bool| {
        out.push(Check {
            what: what.to_string(),
            expected,
            actual,
            ok,
        });
    };
    if let Some(s) = &e.state {
        check(
            "state",
            s.to_string(),
            short_state(job.state),
            s.holds(|want| vocab::job_state(want.get()) == job.state),
        );
    }
    if let Some(err) = &e.error {
        let actual = job
            .error
            .as_ref()
            .map_or_else(|| "none".to_string(), |x| x.code.name());
        let ok = err.holds(|name| match (&job.error, name.as_str()) {
            (None, "none") => true,
            (Some(x), name) => result_name_matches(name, x.code),
            (None, _) => false,
        });
        check("error", err.to_string(), actual, ok);
    }
    if let Some(ctx) = &e.context {
        let actual = job
            .error
            .as_ref()
            .map_or_else(|| "none".to_string(), |x| x.context.name().to_string());
        let ok = job
            .error
            .as_ref()
            .is_some_and(|x| x.context == vocab::error_context(ctx.get()));
        check("error context", ctx.to_string(), actual, ok);
    }
    if let Some(h) = &e.helper_token {
        let actual = job
            .helper
            .as_ref()
            .map_or_else(|| "none".to_string(), |x| view.account_of(&x.sid));
        let ok = match (&job.helper, h.as_str()) {
            (None, "none") => true,
            (Some(x), name) => view.sid(name).is_ok_and(|s| s == x.sid),
            (None, _) => false,
        };
        check("helper token", h.clone(), actual, ok);
    }
    if let Some(f) = &e.helper_flags {
        let want = flags(f)?;
        check(
            "helper flags",
            f.0.clone(),
            job.helper_flags.to_string(),
            job.helper_flags == want,
        );
    }
    if let Some(o) = &e.owner {
        let want = view.sid(o)?;
        let actual = view.account_of(&job.owner.sid);
        check("owner", o.clone(), actual, job.owner.sid == want);
    }
    if let Some(b) = e.bytes_transferred {
        let actual: u64 = job.files.iter().map(|f| f.bytes_transferred).sum();
        check(
            "bytes transferred",
            b.to_string(),
            actual.to_string(),
            actual == b,
        );
    }
    if let Some(n) = e.files_transferred {
        let actual = job.files.iter().filter(|f| f.completed).count();
        check(
            "files transferred",
            n.to_string(),
            actual.to_string(),
            actual == n,
        );
    }
    Ok(out)
}

/// The checks of an `expect_thread` on a thread's effective token.
pub fn thread(view: &View<'_>, e: &ExpectThread) -> StepResult<Vec<Check>> {
    let t = view.thread(&e.thread)?;
    let host = &view.world.host;
    let thread = host
        .thread(t)
        .ok_or_else(|| format!("thread `{}` is gone", e.thread))?;
    let token_id = host
        .effective_token_id(t)
        .ok_or_else(|| format!("thread `{}` has no token", e.thread))?;
    let impersonating = thread.impersonation.is_some();
    let mut out = token_checks(
        view,
        token_id,
        e.level.as_ref().map(|l| (l, "level")),
        &e.facts(),
    )?;
    if let Some(want) = e.impersonating {
        out.push(Check {
            what: "impersonating".to_string(),
            expected: want.to_string(),
            actual: impersonating.to_string(),
            ok: want == impersonating,
        });
    }
    Ok(out)
}

/// The checks of an `expect_token` on a named token.
pub fn token(view: &View<'_>, e: &ExpectToken) -> StepResult<Vec<Check>> {
    let t = view.token(&e.token)?;
    token_checks(
        view,
        t,
        e.token_type.as_ref().map(|l| (l, "type")),
        &e.facts(),
    )
}

/// The checks of `expect_thread` and `expect_token` on one token.
fn token_checks(
    view: &View<'_>,
    token_id: TokenId,
    kind: Option<(&Named<names::TokenKind>, &str)>,
    facts: &TokenFacts<'_>,
) -> StepResult<Vec<Check>> {
    let mut out = Vec::new();
    let host = &view.world.host;
    let object = host
        .token(token_id)
        .ok_or_else(|| "the token is gone".to_string())?;
    let token = &object.token;
    let mut check = |what: String, expected: String, actual: String, ok: bool| {
        out.push(Check {
            what,
            expected,
            actual,
            ok,
        });
    };
    if let Some(u) = facts.user {
        let want = view.sid(u)?;
        check(
            "user".to_string(),
            u.to_string(),
            view.account_of(&token.user.sid),
            token.user.sid == want,
        );
    }
    if let Some((k, what)) = kind {
        let actual = match token.token_type {
            TokenType::Primary => "primary".to_string(),
            TokenType::Impersonation(l) => trace::snake(&l),
        };
        check(
            what.to_string(),
            k.to_string(),
            actual,
            token.token_type == vocab::token_type(k.get()),
        );
    }
    if let Some(want) = facts.network_credentials {
        let actual = host
            .logon_of(token_id)
            .is_some_and(|l| l.credentials != simos::NetworkCredentials::None);
        check(
            "network credentials".to_string(),
            want.to_string(),
            actual.to_string(),
            actual == want,
        );
    }
    for (list, want) in [(facts.enabled, true), (facts.not_enabled, false)] {
        for g in list {
            let sid = view.sid(g)?;
            let actual = token.enabled_sids().any(|s| *s == sid);
            check(
                format!("{g} enabled"),
                want.to_string(),
                actual.to_string(),
                actual == want,
            );
        }
    }
    if let Some(level) = facts.integrity {
        let want = vocab::integrity(level.get());
        check(
            "integrity".to_string(),
            level.to_string(),
            integrity_name(token.integrity),
            token.integrity == want,
        );
    }
    if let Some(p) = facts.privileges {
        let states: [(&[String], &str); 4] = [
            (&p.held, "held"),
            (&p.enabled, "enabled"),
            (&p.disabled, "disabled"),
            (&p.absent, "absent"),
        ];
        for (names, state) in states {
            for name in names {
                let privilege = privilege(name)?;
                let entry = token.privileges.iter().find(|e| e.privilege == privilege);
                let actual = match entry {
                    None => "absent",
                    Some(e) if e.is_enabled() => "enabled",
                    Some(_) => "disabled",
                };
                let ok = match state {
                    "held" => entry.is_some(),
                    other => actual == other,
                };
                check(
                    format!("privilege {}", privilege.name()),
                    state.to_string(),
                    actual.to_string(),
                    ok,
                );
            }
        }
    }
    for g in facts.groups {
        let sid = view.sid(&g.group)?;
        let found = token.groups.iter().find(|x| x.sid == sid);
        let want_present = g.present.unwrap_or(true);
        check(
            format!("group {}", g.group),
            if want_present { "present" } else { "absent" }.to_string(),
            if found.is_some() { "present" } else { "absent" }.to_string(),
            found.is_some() == want_present,
        );
        let Some(found) = found else {
            continue;
        };
        for (want, bit, name) in [
            (g.mandatory, group_attrs::MANDATORY, "mandatory"),
            (
                g.enabled_by_default,
                group_attrs::ENABLED_BY_DEFAULT,
                "enabled_by_default",
            ),
            (g.enabled, group_attrs::ENABLED, "enabled"),
            (g.owner, group_attrs::OWNER, "owner"),
            (g.deny_only, group_attrs::USE_FOR_DENY_ONLY, "deny_only"),
            (g.logon_id, group_attrs::LOGON_ID, "logon_id"),
            (g.resource, group_attrs::RESOURCE, "resource"),
        ] {
            if let Some(want) = want {
                let actual = found.attributes & bit == bit;
                check(
                    format!("group {} {name}", g.group),
                    want.to_string(),
                    actual.to_string(),
                    actual == want,
                );
            }
        }
    }
    if let Some(e) = facts.elevation {
        let actual = token.elevation_type;
        check(
            "elevation".to_string(),
            e.to_string(),
            trace::snake(&actual),
            actual == vocab::elevation(e.get()),
        );
    }
    if let Some(want) = facts.linked_token {
        let actual = token.linked_token.is_some();
        check(
            "linked token".to_string(),
            want.to_string(),
            actual.to_string(),
            actual == want,
        );
    }
    if let Some(want) = facts.logon_sid {
        let actual = token
            .groups
            .iter()
            .any(|g| g.attributes & group_attrs::LOGON_ID == group_attrs::LOGON_ID);
        check(
            "logon SID".to_string(),
            want.to_string(),
            actual.to_string(),
            actual == want,
        );
    }
    if let Some(want) = facts.session {
        check(
            "session".to_string(),
            want.to_string(),
            token.session_id.to_string(),
            token.session_id == want,
        );
    }
    Ok(out)
}
