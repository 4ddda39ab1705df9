//! Threads and their tokens: the impersonation APIs with the
//! SeImpersonatePrivilege allow-list and its downgrade, RevertToSelf,
//! OpenThreadToken, token duplication and restriction, process creation,
//! and the flow of a thread token to new threads.
//!
//! Rules cited: `IMP-*`, `TOK-*`, `PROC-*`, `FLOW-*` in [`crate::rules`].

use serde::{Deserialize, Serialize};
use winsec::token::privilege_attrs;
use winsec::{ImpersonationLevel, Privilege, Sid, Token, TokenType, Win32Error};

use crate::host::{Event, Host, LogonType, NetworkCredentials};
use crate::ids::{ProcessId, ThreadId, TokenId};
use crate::op::{Condition, Effect};
use crate::rules::ids;

/// A COM client's cloaking capability (`EOAC_STATIC_CLOAKING`,
/// `EOAC_DYNAMIC_CLOAKING`), which decides whose token a call presents.
///
/// Static cloaking fixes the thread token when the proxy blanket is set;
/// a call is modelled at that moment, so within one call it presents the
/// same token as dynamic cloaking.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Cloaking {
    /// No cloaking (COM's default): the process token.
    #[default]
    None,
    /// `EOAC_STATIC_CLOAKING`.
    Static,
    /// `EOAC_DYNAMIC_CLOAKING`: the thread's current token on every call.
    Dynamic,
}

/// How a new thread is started, which decides whether the creator's
/// impersonation flows to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreadStart {
    /// Win32 `CreateThread`: no flow.
    Native,
    /// .NET `Thread.Start` (captures the ExecutionContext).
    ManagedThread,
    /// .NET `ThreadPool.QueueUserWorkItem` (captures unless suppressed).
    QueueUserWorkItem,
    /// .NET `ThreadPool.UnsafeQueueUserWorkItem` (never captures).
    UnsafeQueueUserWorkItem,
    /// A .NET asynchronous delegate (`BeginInvoke`), run on a pool thread
    /// with the captured ExecutionContext.
    AsyncDelegate,
    /// A call marshalled to an STA COM component (runs on the STA thread).
    StaComCall,
}

/// The .NET impersonation-flow configuration of a process (aspnet.config
/// or the app's runtime settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FlowPolicy {
    /// `<legacyImpersonationPolicy enabled="true"/>`: never flow.
    pub legacy_impersonation_policy: bool,
    /// `<alwaysFlowImpersonationPolicy enabled="true"/>`: flow however the
    /// impersonation was made.
    pub always_flow_impersonation_policy: bool,
}

impl FlowPolicy {
    /// ASP.NET's aspnet.config default: legacy on, always-flow off.
    pub const ASPNET_DEFAULT: FlowPolicy = FlowPolicy {
        legacy_impersonation_policy: true,
        always_flow_impersonation_policy: false,
    };
    /// A plain .NET 2.0+ process: neither set.
    pub const CLR_DEFAULT: FlowPolicy = FlowPolicy {
        legacy_impersonation_policy: false,
        always_flow_impersonation_policy: false,
    };
}

/// What a successful call returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Value {
    /// Nothing beyond success.
    None,
    /// A token handle.
    Token {
        /// The token.
        token: TokenId,
    },
    /// A new process and its first thread.
    Process {
        /// The process.
        process: ProcessId,
        /// Its first thread.
        thread: ThreadId,
    },
    /// A new thread.
    Thread {
        /// The thread.
        thread: ThreadId,
    },
    /// An object was opened or created (or an access decision was made on it).
    Object(Box<crate::objects::ObjectAccess>),
    /// A remote resource was reached.
    Remote(Box<crate::network::RemoteAccess>),
}

impl Host {
    fn thread_exists(&self, thread: ThreadId) -> Result<(), Win32Error> {
        match self.threads.get(&thread) {
            Some(_) => Ok(()),
            None => Err(Win32Error::InvalidHandle),
        }
    }

    /// The level `thread` may impersonate `token` at, per the allow-list
    /// (`IMP-ALLOW-LIST`), downgraded to Identification when no condition
    /// holds (`IMP-DOWNGRADE`). The conditions evaluated are recorded with
    /// what they found, for the trail.
    pub fn allowed_level(
        &mut self,
        thread: ThreadId,
        token: TokenId,
        requested: ImpersonationLevel,
        trail: &mut Vec<&'static str>,
    ) -> ImpersonationLevel {
        trail.push(ids::IMPERSONATE_ALLOW);
        if requested < ImpersonationLevel::Impersonation {
            return requested;
        }
        let Some(process) = self.process_of(thread) else {
            return ImpersonationLevel::Identification;
        };
        let Some(caller) = self.tokens.get(&process.primary_token) else {
            return ImpersonationLevel::Identification;
        };
        let Some(target) = self.tokens.get(&token) else {
            return ImpersonationLevel::Identification;
        };
        let has_privilege = caller.token.privilege_enabled(Privilege::Impersonate);
        let explicit_in_session = target.explicit_credentials_from == Some(caller.logon);
        let caller_sid = caller.token.user.sid.clone();
        let target_sid = target.token.user.sid.clone();
        let same_identity = target_sid == caller_sid;
        let finding = if has_privilege {
            format!("the caller's process token ({caller_sid}) has SeImpersonatePrivilege enabled")
        } else if explicit_in_session {
            "the token was made with explicit credentials in the caller's logon session".to_string()
        } else if same_identity {
            format!("the token's user {target_sid} is the caller's user")
        } else {
            format!(
                "the caller's process token ({caller_sid}) lacks SeImpersonatePrivilege, the token was not made with explicit credentials in its logon session, and the token's user {target_sid} is not the caller's"
            )
        };
        let skipped = !self.rules.checks.impersonation_allow_list;
        if has_privilege || explicit_in_session || same_identity || skipped {
            self.condition(ids::IMPERSONATE_ALLOW, finding, Effect::Admitted);
            requested
        } else {
            self.condition(ids::IMPERSONATE_ALLOW, finding, Effect::Refused);
            trail.push(ids::IMPERSONATE_DOWNGRADE);
            self.condition(
                ids::IMPERSONATE_DOWNGRADE,
                format!(
                    "the thread gets the token at SecurityIdentification instead of {}",
                    requested.name()
                ),
                Effect::Holds,
            );
            ImpersonationLevel::Identification
        }
    }

    /// Records a condition a decision evaluated, for the outcome.
    pub(crate) fn condition(&mut self, rule: &'static str, finding: String, effect: Effect) {
        self.conditions.push(Condition {
            rule,
            finding,
            effect,
        });
    }

    /// Logs a downgrade when the granted level is below the requested one.
    fn note_downgrade(
        &mut self,
        thread: ThreadId,
        requested: ImpersonationLevel,
        granted: ImpersonationLevel,
    ) {
        if granted != requested {
            self.log.push(Event::ImpersonationDowngraded {
                thread,
                requested,
                granted,
            });
        }
    }

    /// The client's effective token, and whether the client runs on
    /// another machine than the server thread.
    fn client_of(&self, server: ThreadId, client: ThreadId) -> Result<(TokenId, bool), Win32Error> {
        self.thread_exists(server)?;
        let token = self
            .effective_token_id(client)
            .ok_or(Win32Error::InvalidHandle)?;
        let remote = self.process_of(server).map(|p| &p.machine)
            != self.process_of(client).map(|p| &p.machine);
        Ok((token, remote))
    }

    /// Impersonates `token` on `thread` at the level the allow-list gives
    /// for `requested`, logging a downgrade.
    fn impersonate_at(
        &mut self,
        thread: ThreadId,
        token: TokenId,
        requested: ImpersonationLevel,
        managed: bool,
        trail: &mut Vec<&'static str>,
    ) -> Result<Value, Win32Error> {
        let level = self.allowed_level(thread, token, requested, trail);
        self.note_downgrade(thread, requested, level);
        let id = self.set_thread_impersonation(thread, token, level, managed);
        Ok(Value::Token { token: id })
    }

    /// Puts an impersonation copy of `token` at `level` on `thread`.
    fn set_thread_impersonation(
        &mut self,
        thread: ThreadId,
        token: TokenId,
        level: ImpersonationLevel,
        managed: bool,
    ) -> TokenId {
        let Some(source) = self.tokens.get(&token).cloned() else {
            return token;
        };
        let mut copy = (*source.token).clone();
        copy.token_type = TokenType::Impersonation(level);
        let id = self.insert_token(copy, source.logon, source.explicit_credentials_from);
        if let Some(t) = self.threads.get_mut(&thread) {
            t.impersonation = Some(id);
            t.managed_impersonation = managed;
        }
        self.log.push(Event::Impersonation {
            thread,
            token: Some(id),
            level: Some(level),
        });
        id
    }

    /// Impersonates `token` on `thread` at the level the allow-list gives
    /// for `requested` (the level of an impersonation token, or
    /// Impersonation for a primary token).
    pub fn impersonate(
        &mut self,
        thread: ThreadId,
        token: TokenId,
        managed: bool,
        trail: &mut Vec<&'static str>,
    ) -> Result<Value, Win32Error> {
        self.thread_exists(thread)?;
        let Some(obj) = self.tokens.get(&token) else {
            return Err(Win32Error::InvalidHandle);
        };
        let requested = obj
            .token
            .impersonation_level()
            .unwrap_or(ImpersonationLevel::Impersonation);
        self.impersonate_at(thread, token, requested, managed, trail)
    }

    /// `ImpersonateNamedPipeClient`: the server thread impersonates the
    /// client thread's effective identity. On a local pipe the level is at
    /// most what the client allowed (its SECURITY_SQOS); on a remote pipe
    /// the client's flags are ignored and the server account's delegation
    /// trust decides: Delegation when it is trusted for delegation, else
    /// Impersonation.
    pub fn impersonate_pipe_client(
        &mut self,
        server: ThreadId,
        client: ThreadId,
        client_allows: ImpersonationLevel,
        trail: &mut Vec<&'static str>,
    ) -> Result<Value, Win32Error> {
        let (client_token, remote) = self.client_of(server, client)?;
        if remote {
            trail.push(ids::PIPE_REMOTE_LEVEL);
            let trusted = self.trusted_for_delegation(server);
            let requested = if trusted {
                ImpersonationLevel::Delegation
            } else {
                ImpersonationLevel::Impersonation
            };
            let token = self.remote_token_for(server, client, client_token, trusted, trail)?;
            return self.impersonate_at(server, token, requested, false, trail);
        }
        trail.push(ids::PIPE_LEVEL);
        self.impersonate_at(server, client_token, client_allows, false, trail)
    }

    /// A COM call from `client` to a server object on `server`'s thread,
    /// with the client's impersonation level and cloaking: the server thread
    /// impersonates the caller. Without cloaking the server sees the
    /// client's process token; with cloaking, the client thread's effective
    /// token. Over a remote transport an Anonymous level is silently
    /// promoted to Identification.
    pub fn com_call(
        &mut self,
        server: ThreadId,
        client: ThreadId,
        client_level: ImpersonationLevel,
        cloaking: Cloaking,
        trail: &mut Vec<&'static str>,
    ) -> Result<Value, Win32Error> {
        let (effective, remote) = self.client_of(server, client)?;
        let client_token = match cloaking {
            Cloaking::Dynamic | Cloaking::Static => {
                trail.push(ids::COM_CLOAKING);
                effective
            }
            Cloaking::None => {
                trail.push(ids::COM_NO_CLOAKING);
                self.process_of(client)
                    .map(|p| p.primary_token)
                    .ok_or(Win32Error::InvalidHandle)?
            }
        };
        let requested = if remote && client_level == ImpersonationLevel::Anonymous {
            trail.push(ids::COM_ANONYMOUS_REMOTE);
            ImpersonationLevel::Identification
        } else {
            client_level
        };
        // A cloaked impersonation token travels at most at its own level:
        // a thread impersonating at Identification cannot be impersonated.
        let requested = match self.tokens.get(&client_token).map(|t| t.token.token_type) {
            Some(TokenType::Impersonation(own)) if own < requested => own,
            _ => requested,
        };
        if !remote {
            return self.impersonate_at(server, client_token, requested, false, trail);
        }
        // Across machines the presented identity must authenticate afresh:
        // a network logon with nothing to present (a server's token for its
        // own remote client, unless it got a forwarded TGT) cannot.
        let stranded = self.logon_of(client_token).is_some_and(|l| {
            matches!(l.logon_type, LogonType::Network | LogonType::S4u)
                && l.credentials == NetworkCredentials::None
        });
        if stranded {
            trail.push(ids::COM_REMOTE_NO_CREDENTIALS);
            return Err(Win32Error::AccessDenied);
        }
        let trusted =
            requested == ImpersonationLevel::Delegation && self.trusted_for_delegation(server);
        let token = self.remote_token_for(server, client, client_token, trusted, trail)?;
        // Delegation only with the client's TGT in the session (D-62).
        let holds_tgt = self
            .logon_of(token)
            .is_some_and(|l| l.credentials == NetworkCredentials::ForwardedTgt);
        let level = if requested == ImpersonationLevel::Delegation && !holds_tgt {
            trail.push(ids::COM_REMOTE_LEVEL);
            ImpersonationLevel::Impersonation
        } else {
            requested
        };
        self.impersonate_at(server, token, level, false, trail)
    }

    /// True when the account `server`'s process acts as on the network is
    /// TRUSTED_FOR_DELEGATION.
    fn trusted_for_delegation(&self, server: ThreadId) -> bool {
        crate::network::front_end_account(self, server)
            .is_some_and(|a| a.delegation.trusted_for_delegation)
    }

    /// The token the server thread's machine builds for a remote client.
    fn remote_token_for(
        &mut self,
        server: ThreadId,
        client: ThreadId,
        client_token: TokenId,
        delegate: bool,
        trail: &mut Vec<&'static str>,
    ) -> Result<TokenId, Win32Error> {
        let server_machine = self.caller(server)?;
        let client_machine = self.caller(client)?;
        self.remote_client_token(
            &server_machine,
            &client_machine,
            client_token,
            delegate,
            trail,
        )
    }

    /// `ImpersonateSelf(level)`: a copy of the process token on the thread.
    pub fn impersonate_self(
        &mut self,
        thread: ThreadId,
        level: ImpersonationLevel,
        trail: &mut Vec<&'static str>,
    ) -> Result<Value, Win32Error> {
        self.thread_exists(thread)?;
        trail.push(ids::IMPERSONATE_SELF);
        let Some(primary) = self.process_of(thread).map(|p| p.primary_token) else {
            return Err(Win32Error::InvalidHandle);
        };
        let id = self.set_thread_impersonation(thread, primary, level, false);
        Ok(Value::Token { token: id })
    }

    /// `SetThreadToken(thread, token)`: `None` reverts. The token must be an
    /// impersonation token; the allow-list applies as for every
    /// impersonate function.
    pub fn set_thread_token(
        &mut self,
        thread: ThreadId,
        token: Option<TokenId>,
        trail: &mut Vec<&'static str>,
    ) -> Result<Value, Win32Error> {
        self.thread_exists(thread)?;
        match token {
            None => self.revert_to_self(thread, trail),
            Some(token) => {
                let Some(obj) = self.tokens.get(&token) else {
                    return Err(Win32Error::InvalidHandle);
                };
                if obj.token.token_type == TokenType::Primary {
                    return Err(Win32Error::BadTokenType);
                }
                self.impersonate(thread, token, false, trail)
            }
        }
    }

    /// `RevertToSelf`.
    pub fn revert_to_self(
        &mut self,
        thread: ThreadId,
        trail: &mut Vec<&'static str>,
    ) -> Result<Value, Win32Error> {
        trail.push(ids::REVERT);
        let Some(t) = self.threads.get_mut(&thread) else {
            return Err(Win32Error::InvalidHandle);
        };
        t.impersonation = None;
        t.managed_impersonation = false;
        self.log.push(Event::Impersonation {
            thread,
            token: None,
            level: None,
        });
        Ok(Value::None)
    }

    /// `OpenThreadToken`.
    pub fn open_thread_token(
        &self,
        thread: ThreadId,
        trail: &mut Vec<&'static str>,
    ) -> Result<Value, Win32Error> {
        trail.push(ids::OPEN_THREAD_TOKEN);
        let t = self.threads.get(&thread).ok_or(Win32Error::InvalidHandle)?;
        let token = t.impersonation.ok_or(Win32Error::NoToken)?;
        let level = self
            .tokens
            .get(&token)
            .and_then(|o| o.token.impersonation_level());
        if level == Some(ImpersonationLevel::Anonymous) {
            return Err(Win32Error::CantOpenAnonymous);
        }
        Ok(Value::Token { token })
    }

    /// `DuplicateToken` (`primary == false`, always impersonation) and
    /// `DuplicateTokenEx` (`primary` chooses the type).
    pub fn duplicate_token(
        &mut self,
        token: TokenId,
        primary: bool,
        level: ImpersonationLevel,
        trail: &mut Vec<&'static str>,
    ) -> Result<Value, Win32Error> {
        trail.push(ids::DUPLICATE_TOKEN);
        let Some(source) = self.tokens.get(&token).cloned() else {
            return Err(Win32Error::InvalidHandle);
        };
        if let Some(source_level) = source.token.impersonation_level() {
            trail.push(ids::DUPLICATE_LEVEL);
            // No raising the level; no primary token from below Impersonation.
            let raised = level > source_level && self.rules.checks.duplicate_keeps_level;
            if raised || (primary && source_level < ImpersonationLevel::Impersonation) {
                return Err(Win32Error::BadImpersonationLevel);
            }
        }
        let mut copy: Token = (*source.token).clone();
        copy.token_type = if primary {
            TokenType::Primary
        } else {
            TokenType::Impersonation(level)
        };
        let id = self.insert_token(copy, source.logon, source.explicit_credentials_from);
        Ok(Value::Token { token: id })
    }

    /// `CreateRestrictedToken`: a new token object in the source's logon
    /// session, of the source's type and level, with `disable` made
    /// deny-only, `delete` removed and `restrict` as restricting SIDs
    /// (see [`Token::restricted`]).
    pub fn create_restricted_token(
        &mut self,
        token: TokenId,
        disable: &[Sid],
        delete: &[Privilege],
        restrict: &[Sid],
        trail: &mut Vec<&'static str>,
    ) -> Result<Value, Win32Error> {
        trail.push(ids::CREATE_RESTRICTED_TOKEN);
        let Some(source) = self.tokens.get(&token).cloned() else {
            return Err(Win32Error::InvalidHandle);
        };
        let copy = source.token.restricted(disable, delete, restrict);
        let id = self.insert_token(copy, source.logon, source.explicit_credentials_from);
        Ok(Value::Token { token: id })
    }

    /// `AdjustTokenPrivileges`: sets or clears SE_PRIVILEGE_ENABLED on the
    /// privileges the token holds. A privilege it lacks is never added; the
    /// others are still changed and the call leaves ERROR_NOT_ALL_ASSIGNED.
    pub fn adjust_token_privileges(
        &mut self,
        thread: ThreadId,
        token: Option<TokenId>,
        enable: &[Privilege],
        disable: &[Privilege],
        trail: &mut Vec<&'static str>,
    ) -> Result<Value, Win32Error> {
        trail.push(ids::ADJUST_PRIVILEGES);
        self.thread_exists(thread)?;
        let id = match token {
            Some(t) => t,
            None => self
                .effective_token_id(thread)
                .ok_or(Win32Error::InvalidHandle)?,
        };
        let add_missing = !self.rules.checks.adjust_needs_held;
        let object = self.tokens.get_mut(&id).ok_or(Win32Error::InvalidHandle)?;
        let mut all = true;
        for (privileges, on) in [(enable, true), (disable, false)] {
            for wanted in privileges {
                match object
                    .token
                    .privileges
                    .iter_mut()
                    .find(|p| p.privilege == *wanted)
                {
                    Some(entry) if on => entry.attributes |= privilege_attrs::ENABLED,
                    Some(entry) => entry.attributes &= !privilege_attrs::ENABLED,
                    None if on && add_missing => {
                        object
                            .token
                            .make_mut()
                            .privileges
                            .push(winsec::token::PrivilegeEntry {
                                privilege: *wanted,
                                attributes: privilege_attrs::ENABLED,
                            })
                    }
                    None => all = false,
                }
            }
        }
        if all {
            Ok(Value::Token { token: id })
        } else {
            Err(Win32Error::NotAllAssigned)
        }
    }

    /// `CreateProcess`: the child always gets the parent's primary token.
    pub fn create_process(
        &mut self,
        thread: ThreadId,
        image: &str,
        trail: &mut Vec<&'static str>,
    ) -> Result<Value, Win32Error> {
        trail.push(ids::CREATE_PROCESS);
        let parent = self
            .process_of(thread)
            .cloned()
            .ok_or(Win32Error::InvalidHandle)?;
        let source = self
            .tokens
            .get(&parent.primary_token)
            .cloned()
            .ok_or(Win32Error::InvalidHandle)?;
        Ok(self.start_process(&parent.machine, image, source))
    }

    /// Starts a process whose primary token is a new copy of `source`.
    fn start_process(
        &mut self,
        machine: &str,
        image: &str,
        source: crate::host::TokenObject,
    ) -> Value {
        let child_token = self.insert_token(
            (*source.token).clone(),
            source.logon,
            source.explicit_credentials_from,
        );
        let (process, thread) = self.spawn_process(machine, image, child_token);
        Value::Process { process, thread }
    }

    /// `CreateProcessAsUser(token)`: needs a primary token, and for another
    /// user's token SeAssignPrimaryTokenPrivilege in the caller's process token.
    pub fn create_process_as_user(
        &mut self,
        thread: ThreadId,
        token: TokenId,
        image: &str,
        trail: &mut Vec<&'static str>,
    ) -> Result<Value, Win32Error> {
        trail.push(ids::CREATE_PROCESS_AS_USER);
        let parent = self
            .process_of(thread)
            .cloned()
            .ok_or(Win32Error::InvalidHandle)?;
        let source = self
            .tokens
            .get(&token)
            .cloned()
            .ok_or(Win32Error::InvalidHandle)?;
        if source.token.token_type != TokenType::Primary {
            return Err(Win32Error::BadTokenType);
        }
        let caller = self
            .tokens
            .get(&parent.primary_token)
            .map(|t| t.token.clone())
            .ok_or(Win32Error::InvalidHandle)?;
        let own = source.token.user.sid == caller.user.sid;
        if !own && !caller.has_privilege(Privilege::AssignPrimaryToken) {
            return Err(Win32Error::PrivilegeNotHeld);
        }
        Ok(self.start_process(&parent.machine, image, source))
    }

    /// Creates a thread in `thread`'s process; whether the creator's
    /// impersonation flows depends on `how` and the process's flow policy.
    pub fn create_thread(
        &mut self,
        thread: ThreadId,
        how: ThreadStart,
        trail: &mut Vec<&'static str>,
    ) -> Result<Value, Win32Error> {
        let creator = self
            .threads
            .get(&thread)
            .cloned()
            .ok_or(Win32Error::InvalidHandle)?;
        let policy = self
            .processes
            .get(&creator.process)
            .map_or(FlowPolicy::CLR_DEFAULT, |p| p.flow_policy);
        let flows = match how {
            ThreadStart::Native => {
                trail.push(ids::FLOW_NATIVE);
                false
            }
            ThreadStart::StaComCall => {
                trail.push(ids::FLOW_STA);
                false
            }
            ThreadStart::UnsafeQueueUserWorkItem => {
                trail.push(ids::FLOW_MANAGED);
                false
            }
            ThreadStart::ManagedThread
            | ThreadStart::QueueUserWorkItem
            | ThreadStart::AsyncDelegate => {
                trail.push(ids::FLOW_MANAGED);
                !policy.legacy_impersonation_policy
                    && !creator.flow_suppressed
                    && (policy.always_flow_impersonation_policy || creator.managed_impersonation)
            }
        };
        let token = if flows { creator.impersonation } else { None };
        let new = self.spawn_thread(
            creator.process,
            token,
            flows && creator.managed_impersonation,
        );
        Ok(Value::Thread { thread: new })
    }
}
