//! Operations on the host and their outcomes: `Op` is everything that can
//! happen (environment events and API calls made by a thread), and
//! [`Host::apply`] is the only way the host changes.

use serde::{Deserialize, Serialize};
use winsec::{ImpersonationLevel, Privilege, Sid, Win32Error};

use crate::host::{Event, Host, LogonType};
use crate::ids::{LogonId, ThreadId, TokenId};
use crate::lsa::BuiltinIdentity;
use crate::rules::ids;
use crate::threads::{Cloaking, FlowPolicy, ThreadStart, Value};

/// Who a service runs as.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceAccount {
    /// A built-in identity.
    Builtin(BuiltinIdentity),
    /// An account logged on with a service logon.
    Account {
        /// User name (or UPN).
        user: String,
        /// Domain, or `None` for a local account.
        domain: Option<String>,
        /// Password.
        password: String,
    },
}

/// Every operation the host knows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// The logical clock advances.
    Tick {
        /// How many ticks.
        ticks: u64,
    },
    /// A user logs on at the console (or by Remote Desktop) of a machine;
    /// a shell process with one thread starts in that session.
    InteractiveLogon {
        /// The machine.
        machine: String,
        /// User name or UPN.
        user: String,
        /// Domain, or `None` for a local account.
        domain: Option<String>,
        /// Password.
        password: String,
        /// Terminal-services session id.
        ts_session: u32,
        /// A Remote Desktop logon (RemoteInteractive) instead of the console.
        remote: bool,
    },
    /// A service process starts under an account, in session 0.
    StartService {
        /// The machine.
        machine: String,
        /// Service image name.
        image: String,
        /// Who it runs as.
        account: ServiceAccount,
        /// Its .NET flow configuration.
        flow_policy: Option<FlowPolicy>,
    },
    /// A logon session ends.
    Logoff {
        /// The session.
        logon: LogonId,
    },
    /// A terminal-services session ends (its interactive logons log off).
    EndTerminalSession {
        /// The machine.
        machine: String,
        /// The session id.
        session: u32,
    },
    /// `LogonUser` called by a thread.
    LogonUser {
        /// The calling thread.
        thread: ThreadId,
        /// User name or UPN.
        user: String,
        /// Domain (`None` or `.` for local).
        domain: Option<String>,
        /// Password.
        password: String,
        /// Logon type.
        logon_type: LogonType,
    },
    /// `LsaLogonUser(KERB_S4U_LOGON)` / `new WindowsIdentity(upn)`.
    S4uLogon {
        /// The calling thread.
        thread: ThreadId,
        /// The user's UPN.
        upn: String,
    },
    /// `ImpersonateLoggedOnUser(token)`.
    ImpersonateLoggedOnUser {
        /// The calling thread.
        thread: ThreadId,
        /// The token to impersonate.
        token: TokenId,
    },
    /// `WindowsIdentity.Impersonate()` (managed; visible to .NET flow).
    ManagedImpersonate {
        /// The calling thread.
        thread: ThreadId,
        /// The identity's token.
        token: TokenId,
    },
    /// `ImpersonateNamedPipeClient` on a pipe whose client is `client`.
    ImpersonateNamedPipeClient {
        /// The server thread.
        thread: ThreadId,
        /// The client thread at the other end of the pipe.
        client: ThreadId,
        /// The level the client allowed (SECURITY_SQOS); Windows' default is Impersonation.
        client_allows: ImpersonationLevel,
    },
    /// A COM call from `client` served on `thread`, with the client's
    /// impersonation level (`CoSetProxyBlanket`); the server impersonates
    /// the caller (`CoImpersonateClient`).
    ComCall {
        /// The server thread.
        thread: ThreadId,
        /// The calling client thread.
        client: ThreadId,
        /// The level the client set.
        client_level: ImpersonationLevel,
        /// The client's cloaking (`EOAC_*_CLOAKING`); COM's default is none.
        #[serde(default)]
        cloaking: Cloaking,
    },
    /// `ImpersonateSelf(level)`.
    ImpersonateSelf {
        /// The calling thread.
        thread: ThreadId,
        /// The level.
        level: ImpersonationLevel,
    },
    /// `SetThreadToken(thread, token)`; `None` stops impersonating.
    SetThreadToken {
        /// The thread.
        thread: ThreadId,
        /// The impersonation token, or `None`.
        token: Option<TokenId>,
    },
    /// `RevertToSelf` (also `WindowsIdentity.Impersonate(IntPtr.Zero)`).
    RevertToSelf {
        /// The thread.
        thread: ThreadId,
    },
    /// `OpenThreadToken`.
    OpenThreadToken {
        /// The thread.
        thread: ThreadId,
    },
    /// `DuplicateToken(token, level)`: always an impersonation token.
    DuplicateToken {
        /// The calling thread.
        thread: ThreadId,
        /// The source token.
        token: TokenId,
        /// The level of the copy.
        level: ImpersonationLevel,
    },
    /// `DuplicateTokenEx(token, level, type)`.
    DuplicateTokenEx {
        /// The calling thread.
        thread: ThreadId,
        /// The source token.
        token: TokenId,
        /// The level (for impersonation copies; ignored for primary ones).
        level: ImpersonationLevel,
        /// `TokenPrimary` when true.
        primary: bool,
    },
    /// `CreateRestrictedToken(token, 0, disable, delete, restrict)`: a new
    /// token object, a restricted copy of `token`.
    CreateRestrictedToken {
        /// The calling thread.
        thread: ThreadId,
        /// The source token.
        token: TokenId,
        /// SIDs (the user or groups) that become deny-only
        /// (`SidsToDisable`).
        disable: Vec<Sid>,
        /// Privileges removed from the copy (`PrivilegesToDelete`).
        delete_privileges: Vec<Privilege>,
        /// The restricting SIDs (`SidsToRestrict`).
        restrict: Vec<Sid>,
    },
    /// `AdjustTokenPrivileges`: enables or disables privileges a token
    /// holds, in the token object itself.
    AdjustTokenPrivileges {
        /// The calling thread.
        thread: ThreadId,
        /// The token (`None`: the thread's effective token, as code that
        /// opens its thread token or else its process token gets).
        #[serde(default)]
        token: Option<TokenId>,
        /// Privileges to enable.
        #[serde(default)]
        enable: Vec<Privilege>,
        /// Privileges to disable.
        #[serde(default)]
        disable: Vec<Privilege>,
    },
    /// `CreateProcess`.
    CreateProcess {
        /// The calling thread.
        thread: ThreadId,
        /// Image name.
        image: String,
    },
    /// `CreateProcessAsUser(token)`.
    CreateProcessAsUser {
        /// The calling thread.
        thread: ThreadId,
        /// The primary token.
        token: TokenId,
        /// Image name.
        image: String,
    },
    /// A new thread (native, managed, thread pool, STA COM call).
    CreateThread {
        /// The creating thread.
        thread: ThreadId,
        /// How it is started.
        how: ThreadStart,
    },
    /// An operation on a securable object (files, certificate stores).
    Object(crate::objects::ObjectOp),
    /// Environment: the data of an existing file changes, written by a
    /// process that already holds a handle to it (no access check), or is
    /// emptied (`None`). See [`crate::content`].
    SetContent {
        /// The machine.
        machine: String,
        /// The file.
        path: String,
        /// What it now holds.
        content: Option<crate::content::Content>,
    },
    /// An operation that crosses the network.
    Network(crate::network::NetworkOp),
    /// `ExecutionContext.SuppressFlow` (`suppress: true`) or `RestoreFlow`.
    SuppressFlow {
        /// The thread.
        thread: ThreadId,
        /// Suppress or restore.
        suppress: bool,
    },
}

/// The result of an operation: success with a value, or the Win32 error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ApiResult {
    /// The call succeeded.
    Ok {
        /// What it returned.
        value: Value,
    },
    /// The call failed.
    Err {
        /// The error.
        error: Win32Error,
    },
}

impl ApiResult {
    /// True on success.
    pub fn is_ok(&self) -> bool {
        matches!(self, ApiResult::Ok { .. })
    }

    /// The error, if the call failed.
    pub fn error(&self) -> Option<Win32Error> {
        match self {
            ApiResult::Err { error } => Some(*error),
            ApiResult::Ok { .. } => None,
        }
    }

    /// The value, if the call succeeded.
    pub fn value(&self) -> Option<&Value> {
        match self {
            ApiResult::Ok { value } => Some(value),
            ApiResult::Err { .. } => None,
        }
    }

    /// The token a successful call returned.
    pub fn token(&self) -> Option<TokenId> {
        match self.value() {
            Some(Value::Token { token }) => Some(*token),
            _ => None,
        }
    }
}

/// What a condition's value made of the decision it is part of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The condition admitted the call; nothing further was checked.
    Admitted,
    /// The condition refused the call.
    Refused,
    /// The condition held (or did not apply) and the next one decides.
    Holds,
}

impl Effect {
    /// The effect in words, as the trail shows it.
    pub const fn word(self) -> &'static str {
        match self {
            Effect::Admitted => "admitted",
            Effect::Refused => "refused",
            Effect::Holds => "holds",
        }
    }
}

/// One condition a decision that is not an ACE walk evaluated (the
/// impersonation allow-list, BITS helper-token admission and its two 1607
/// conditions, a job's access check): the rule or switch it belongs to,
/// what was found, naming the SIDs involved, and what that made of the call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Condition {
    /// The rule or switch id.
    pub rule: &'static str,
    /// What was found: `the helper token has S-1-5-32-544 enabled`.
    pub finding: String,
    /// What it made of the call.
    pub effect: Effect,
}

impl std::fmt::Display for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} → {}",
            self.rule,
            self.finding,
            self.effect.word()
        )
    }
}

/// What an operation did: its result, the events it caused, and the rules
/// that decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Success or the Win32 error.
    pub result: ApiResult,
    /// Events logged by this operation, in order.
    pub events: Vec<Event>,
    /// Ids of the rules applied, in order (see [`crate::rules`]).
    pub rules: Vec<&'static str>,
    /// Every access check an object operation ran, in order, granted or
    /// not: a denied open carries the trail that denied it.
    pub checks: Vec<crate::objects::ObjectCheck>,
    /// The conditions its decisions that are not an ACE walk evaluated
    /// (the impersonation allow-list), in order.
    pub conditions: Vec<Condition>,
}

impl Host {
    /// Applies one operation. The only way the host changes.
    pub fn apply(&mut self, op: &Op) -> Outcome {
        let before = self.log.len();
        let mut rules = Vec::new();
        let mut checks = Vec::new();
        let result = match self.dispatch(op, &mut rules, &mut checks) {
            Ok(value) => ApiResult::Ok { value },
            Err(error) => ApiResult::Err { error },
        };
        Outcome {
            result,
            events: self.log[before..].to_vec(),
            conditions: std::mem::take(&mut self.conditions),
            rules,
            checks,
        }
    }

    /// The machine of a calling thread's process.
    pub(crate) fn caller(&self, thread: ThreadId) -> Result<String, Win32Error> {
        let process = self.process_of(thread).ok_or(Win32Error::InvalidHandle)?;
        Ok(process.machine.clone())
    }

    fn dispatch(
        &mut self,
        op: &Op,
        rules: &mut Vec<&'static str>,
        checks: &mut Vec<crate::objects::ObjectCheck>,
    ) -> Result<Value, Win32Error> {
        match op {
            Op::Tick { ticks } => {
                self.now = self.now.saturating_add(*ticks);
                self.log.push(Event::Tick { now: self.now });
                Ok(Value::None)
            }
            Op::InteractiveLogon {
                machine,
                user,
                domain,
                password,
                ts_session,
                remote,
            } => {
                let logon_type = if *remote {
                    LogonType::RemoteInteractive
                } else {
                    LogonType::Interactive
                };
                let p = self
                    .resolve_principal(machine, user, domain.as_deref())
                    .filter(|p| p.password == *password)
                    .ok_or_else(|| {
                        rules.push(ids::LOGON_FAILURE);
                        Win32Error::LogonFailure
                    })?;
                rules.extend([ids::LOGON_GROUPS, ids::LOGON_CREDENTIALS]);
                self.terminal_sessions
                    .entry((machine.to_ascii_uppercase(), *ts_session))
                    .or_insert(crate::host::TerminalSession {
                        id: *ts_session,
                        machine: machine.to_ascii_uppercase(),
                        active: true,
                    });
                let (logon, token) = self.logon_token(
                    machine,
                    &p,
                    logon_type,
                    *ts_session,
                    crate::host::NetworkCredentials::Password,
                    None,
                );
                if let Some(session) = self.logons.get_mut(&logon) {
                    session.winlogon = true;
                }
                let (process, thread) = self.spawn_process(machine, "explorer.exe", token);
                Ok(Value::Process { process, thread })
            }
            Op::StartService {
                machine,
                image,
                account,
                flow_policy,
            } => {
                if self.machine(machine).is_none() {
                    return Err(Win32Error::InvalidParameter);
                }
                let token = match account {
                    ServiceAccount::Builtin(who) => self.builtin_token(machine, *who),
                    ServiceAccount::Account {
                        user,
                        domain,
                        password,
                    } => {
                        // LSA-SERVICE-LOGON: the SCM's service logon.
                        rules.push(ids::SERVICE_LOGON);
                        let p = self
                            .resolve_principal(machine, user, domain.as_deref())
                            .filter(|p| p.password == *password)
                            .ok_or(Win32Error::ServiceLogonFailed)?;
                        let holder = self.principal_sids(machine, &p);
                        if !self.has_logon_right(
                            machine,
                            &holder,
                            crate::policy::LogonRight::Service,
                        ) {
                            return Err(Win32Error::ServiceLogonFailed);
                        }
                        let (_, token) = self.logon_token(
                            machine,
                            &p,
                            LogonType::Service,
                            0,
                            crate::host::NetworkCredentials::Password,
                            None,
                        );
                        token
                    }
                };
                let (process, thread) = self.spawn_process(machine, image, token);
                if let (Some(policy), Some(p)) = (flow_policy, self.processes.get_mut(&process)) {
                    p.flow_policy = *policy;
                }
                Ok(Value::Process { process, thread })
            }
            Op::Logoff { logon } => {
                rules.push(ids::LOGOFF);
                let ended = self
                    .logons
                    .get(logon)
                    .map(|l| (l.machine.clone(), l.ts_session, l.winlogon && l.active));
                let value = self.logoff(*logon)?;
                if let Some((machine, session, true)) = ended {
                    let key = (machine, session);
                    let session_active =
                        self.terminal_sessions.get(&key).is_some_and(|ts| ts.active);
                    let winlogon_left = self.logons.values().any(|l| {
                        l.active && l.winlogon && l.machine == key.0 && l.ts_session == key.1
                    });
                    if session_active && !winlogon_left {
                        rules.extend([ids::TS_OWNER_LOGOFF, ids::TS_SESSION_END]);
                        self.end_terminal_session(&key.0, key.1)?;
                    }
                }
                Ok(value)
            }
            Op::EndTerminalSession { machine, session } => {
                rules.push(ids::TS_SESSION_END);
                self.end_terminal_session(machine, *session)
            }
            Op::LogonUser {
                thread,
                user,
                domain,
                password,
                logon_type,
            } => {
                let token = self.logon_user(
                    *thread,
                    user,
                    domain.as_deref(),
                    password,
                    *logon_type,
                    rules,
                )?;
                Ok(Value::Token { token })
            }
            Op::S4uLogon { thread, upn } => {
                let machine = self.caller(*thread)?;
                let primary = self
                    .process_token(*thread)
                    .cloned()
                    .ok_or(Win32Error::InvalidHandle)?;
                let token = self.s4u_logon(&machine, &primary, upn, rules)?;
                Ok(Value::Token { token })
            }
            Op::ImpersonateLoggedOnUser { thread, token } => {
                self.impersonate(*thread, *token, false, rules)
            }
            Op::ManagedImpersonate { thread, token } => {
                self.impersonate(*thread, *token, true, rules)
            }
            Op::ImpersonateNamedPipeClient {
                thread,
                client,
                client_allows,
            } => self.impersonate_pipe_client(*thread, *client, *client_allows, rules),
            Op::ComCall {
                thread,
                client,
                client_level,
                cloaking,
            } => self.com_call(*thread, *client, *client_level, *cloaking, rules),
            Op::ImpersonateSelf { thread, level } => self.impersonate_self(*thread, *level, rules),
            Op::SetThreadToken { thread, token } => self.set_thread_token(*thread, *token, rules),
            Op::RevertToSelf { thread } => self.revert_to_self(*thread, rules),
            Op::OpenThreadToken { thread } => self.open_thread_token(*thread, rules),
            Op::DuplicateToken {
                thread,
                token,
                level,
            } => {
                self.caller(*thread)?;
                self.duplicate_token(*token, false, *level, rules)
            }
            Op::DuplicateTokenEx {
                thread,
                token,
                level,
                primary,
            } => {
                self.caller(*thread)?;
                self.duplicate_token(*token, *primary, *level, rules)
            }
            Op::CreateRestrictedToken {
                thread,
                token,
                disable,
                delete_privileges,
                restrict,
            } => {
                self.caller(*thread)?;
                self.create_restricted_token(*token, disable, delete_privileges, restrict, rules)
            }
            Op::AdjustTokenPrivileges {
                thread,
                token,
                enable,
                disable,
            } => self.adjust_token_privileges(*thread, *token, enable, disable, rules),
            Op::CreateProcess { thread, image } => self.create_process(*thread, image, rules),
            Op::CreateProcessAsUser {
                thread,
                token,
                image,
            } => self.create_process_as_user(*thread, *token, image, rules),
            Op::CreateThread { thread, how } => self.create_thread(*thread, *how, rules),
            Op::Object(o) => {
                let value = self.apply_object_op(o, rules, checks)?;
                // A deleted or replaced object takes its content with it.
                match o {
                    crate::objects::ObjectOp::Delete { thread, path } => {
                        let machine = self.caller(*thread)?;
                        self.forget_content(&machine, path);
                    }
                    crate::objects::ObjectOp::Define { machine, path, .. } => {
                        self.forget_content(machine, path);
                    }
                    _ => {}
                }
                Ok(value)
            }
            Op::SetContent {
                machine,
                path,
                content,
            } => {
                self.set_content(machine, path, content.as_ref())?;
                Ok(Value::None)
            }
            Op::Network(n) => self.apply_network_op(n, rules),
            Op::SuppressFlow { thread, suppress } => {
                let t = self
                    .threads
                    .get_mut(thread)
                    .ok_or(Win32Error::InvalidHandle)?;
                t.flow_suppressed = *suppress;
                Ok(Value::None)
            }
        }
    }

    /// Ends a terminal-services session: it is marked ended, and every
    /// logon session still active in it is logged off.
    fn end_terminal_session(&mut self, machine: &str, session: u32) -> Result<Value, Win32Error> {
        let key = (machine.to_ascii_uppercase(), session);
        let ts = self
            .terminal_sessions
            .get_mut(&key)
            .ok_or(Win32Error::InvalidParameter)?;
        ts.active = false;
        self.log.push(Event::TerminalSessionEnded { session });
        let inside: Vec<LogonId> = self
            .logons
            .values()
            .filter(|l| l.active && l.machine == key.0 && l.ts_session == key.1)
            .map(|l| l.id)
            .collect();
        for logon in inside {
            self.logoff(logon)?;
        }
        Ok(Value::None)
    }

    /// Ends a logon session; the processes whose primary token belongs to
    /// it exit, and threads impersonating one of its tokens revert.
    pub fn logoff(&mut self, logon: LogonId) -> Result<Value, Win32Error> {
        let session = self
            .logons
            .get_mut(&logon)
            .ok_or(Win32Error::InvalidParameter)?;
        if !session.active {
            return Err(Win32Error::InvalidParameter);
        }
        session.active = false;
        let account = session.account.clone();
        self.log.push(Event::Logoff { logon, account });
        let dead: Vec<_> = self
            .processes
            .values()
            .filter(|p| {
                p.alive
                    && self
                        .tokens
                        .get(&p.primary_token)
                        .is_some_and(|t| t.logon == logon)
            })
            .map(|p| p.id)
            .collect();
        for pid in dead {
            if let Some(p) = self.processes.get_mut(&pid) {
                p.alive = false;
            }
        }
        Ok(Value::None)
    }
}
