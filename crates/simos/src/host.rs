//! The simulated host: one value holding machines, the domain, logon and
//! terminal sessions, tokens, processes, threads, objects and the logical
//! clock. It changes only through [`Host::apply`](crate::op).
//!
//! This module owns the state and the queries over it (who is this
//! thread, which token does it act with); the rules that change it live in
//! [`crate::lsa`], [`crate::threads`] and the other operation modules.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use winsec::well_known::DomainContext;
use winsec::{ImpersonationLevel, Sid, Token, TokenType};

use crate::accounts::{Domain, Machine};
use crate::ids::{LogonId, ProcessId, ThreadId, TokenId};
use crate::shared::Shared;
use crate::threads::FlowPolicy;

/// `SECURITY_LOGON_TYPE` / `LOGON32_LOGON_*`, plus the S4U logon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogonType {
    /// `LOGON32_LOGON_INTERACTIVE` (2).
    Interactive,
    /// `LOGON32_LOGON_NETWORK` (3).
    Network,
    /// `LOGON32_LOGON_BATCH` (4).
    Batch,
    /// `LOGON32_LOGON_SERVICE` (5).
    Service,
    /// `LOGON32_LOGON_UNLOCK` (7).
    Unlock,
    /// `LOGON32_LOGON_NETWORK_CLEARTEXT` (8).
    NetworkCleartext,
    /// `LOGON32_LOGON_NEW_CREDENTIALS` (9).
    NewCredentials,
    /// `RemoteInteractive` (10): a Remote Desktop logon, made by Winlogon.
    RemoteInteractive,
    /// `CachedInteractive` (11).
    CachedInteractive,
    /// `LsaLogonUser` with `KERB_S4U_LOGON` (a network-type logon).
    S4u,
}

impl LogonType {
    /// The numeric `SECURITY_LOGON_TYPE` value (S4U is reported as Network, 3).
    pub const fn value(self) -> u32 {
        match self {
            LogonType::Interactive => 2,
            LogonType::Network | LogonType::S4u => 3,
            LogonType::Batch => 4,
            LogonType::Service => 5,
            LogonType::Unlock => 7,
            LogonType::NetworkCleartext => 8,
            LogonType::NewCredentials => 9,
            LogonType::RemoteInteractive => 10,
            LogonType::CachedInteractive => 11,
        }
    }

    /// The Windows constant name.
    pub const fn name(self) -> &'static str {
        match self {
            LogonType::Interactive => "LOGON32_LOGON_INTERACTIVE",
            LogonType::Network => "LOGON32_LOGON_NETWORK",
            LogonType::Batch => "LOGON32_LOGON_BATCH",
            LogonType::Service => "LOGON32_LOGON_SERVICE",
            LogonType::Unlock => "LOGON32_LOGON_UNLOCK",
            LogonType::NetworkCleartext => "LOGON32_LOGON_NETWORK_CLEARTEXT",
            LogonType::NewCredentials => "LOGON32_LOGON_NEW_CREDENTIALS",
            LogonType::RemoteInteractive => "RemoteInteractive",
            LogonType::CachedInteractive => "CachedInteractive",
            LogonType::S4u => "KERB_S4U_LOGON",
        }
    }
}

/// The authentication package a logon session came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthPackage {
    /// Local SAM accounts and NTLM network logons.
    Ntlm,
    /// Domain accounts (Kerberos).
    Kerberos,
    /// HTTP Digest: a network logon with nothing to delegate.
    Digest,
    /// Built-in service sessions and anonymous: no package credentials.
    Local,
}

/// What the logon session can present when it authenticates outbound to
/// another machine ([LU], [LT] "network credentials",
/// [WCF-DI], [IL] "two distinct mechanisms").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NetworkCredentials {
    /// Nothing reusable (a network logon, S4U): the far side sees
    /// ANONYMOUS LOGON unless delegation applies.
    None,
    /// The user's password (or hash / TGT obtained from it): the session can
    /// authenticate afresh as the user, exactly one hop.
    Password,
    /// A forwarded TGT from unconstrained Kerberos delegation.
    ForwardedTgt,
    /// The machine account (`NAME$`): SYSTEM and NETWORK SERVICE.
    MachineAccount,
    /// Outbound connections use other credentials (`NEW_CREDENTIALS`):
    /// the named account.
    Other {
        /// Account name.
        user: String,
        /// Domain or machine name.
        domain: String,
        /// Whether the password given matches the account's (LSA stores
        /// it unchecked; the servers it is presented to check it).
        password_matches: bool,
    },
}

/// A logon session (`AuthenticationId`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct LogonSession {
    /// The LUID.
    pub id: LogonId,
    /// The machine it lives on.
    pub machine: String,
    /// The user.
    pub user: Sid,
    /// `DOMAIN\name` of the user.
    pub account: String,
    /// How it was created.
    pub logon_type: LogonType,
    /// Which package authenticated it.
    pub package: AuthPackage,
    /// What it can present outbound.
    pub credentials: NetworkCredentials,
    /// Terminal-services session it belongs to.
    pub ts_session: u32,
    /// False once logged off.
    pub active: bool,
    /// Made by Winlogon (a console or Remote Desktop logon), as opposed to
    /// `LogonUser` called by a program (RunAs, a service): the logons
    /// services such as BITS are told about.
    pub winlogon: bool,
}

/// A terminal-services session.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct TerminalSession {
    /// Session id (0 = services).
    pub id: u32,
    /// The machine.
    pub machine: String,
    /// False once ended.
    pub active: bool,
}

/// How a token object came to be, for the impersonation allow-list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct TokenObject {
    /// The token itself (its `token_id` is this object's id).
    pub token: Shared<Token>,
    /// The logon session it references.
    pub logon: LogonId,
    /// When the token was made by `LogonUser`/`LsaLogonUser` with explicit
    /// credentials: the logon session of the calling process.
    pub explicit_credentials_from: Option<LogonId>,
}

/// A process.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Process {
    /// Its id.
    pub id: ProcessId,
    /// The machine it runs on.
    pub machine: String,
    /// Image name, for traces.
    pub image: String,
    /// The primary token.
    pub primary_token: TokenId,
    /// False once exited.
    pub alive: bool,
    /// The .NET impersonation-flow configuration of the process.
    pub flow_policy: FlowPolicy,
}

/// A thread.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Thread {
    /// Its id.
    pub id: ThreadId,
    /// The process it belongs to.
    pub process: ProcessId,
    /// The impersonation token, while impersonating.
    pub impersonation: Option<TokenId>,
    /// True when the impersonation was set through the managed
    /// `WindowsIdentity.Impersonate` (which .NET's default flow policy follows).
    pub managed_impersonation: bool,
    /// `ExecutionContext.SuppressFlow` is in effect on this thread.
    pub flow_suppressed: bool,
}

/// Something security-relevant that happened, for traces and the event log.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A logon session was created.
    Logon {
        /// The session.
        logon: LogonId,
        /// `DOMAIN\name`.
        account: String,
        /// The logon type.
        logon_type: LogonType,
        /// The token made for it.
        token: TokenId,
    },
    /// A logon session ended.
    Logoff {
        /// The session.
        logon: LogonId,
        /// `DOMAIN\name`.
        account: String,
    },
    /// A terminal-services session ended.
    TerminalSessionEnded {
        /// Session id.
        session: u32,
    },
    /// A thread started or stopped impersonating.
    Impersonation {
        /// The thread.
        thread: ThreadId,
        /// The token now on the thread (`None`: reverted to the process).
        token: Option<TokenId>,
        /// The level of that token.
        level: Option<ImpersonationLevel>,
    },
    /// An impersonation was granted at a lower level than requested.
    ImpersonationDowngraded {
        /// The thread.
        thread: ThreadId,
        /// The level asked for.
        requested: ImpersonationLevel,
        /// The level given.
        granted: ImpersonationLevel,
    },
    /// A token object was created.
    TokenCreated {
        /// The new token.
        token: TokenId,
        /// Its user.
        user: Sid,
        /// Primary or impersonation, with the level.
        token_type: TokenType,
    },
    /// A process was created.
    ProcessCreated {
        /// The new process.
        process: ProcessId,
        /// Its primary token.
        token: TokenId,
        /// Its user.
        user: Sid,
    },
    /// A thread was created.
    ThreadCreated {
        /// The new thread.
        thread: ThreadId,
        /// The impersonation token it starts with.
        token: Option<TokenId>,
    },
    /// An access decision on an object.
    Access {
        /// The thread.
        thread: ThreadId,
        /// The object.
        object: String,
        /// The user whose token was checked.
        user: Sid,
        /// Whether access was granted.
        granted: bool,
    },
    /// The logical clock advanced.
    Tick {
        /// The new time.
        now: u64,
    },
}

/// Switches for the host rules that changed between Windows releases.
/// Code asks these, never which release it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HostRules {
    /// `LogonUser` needs SeTcbPrivilege in the caller's process token
    /// (Windows 2000; not on XP / Server 2003 and later).
    pub logon_user_requires_tcb: bool,
    /// The host's checks as switches (all Windows' by default); a policy
    /// mutant turns one off.
    #[serde(default, skip_serializing)]
    pub checks: HostChecks,
}

/// The host's security checks as switches: [`HostChecks::WINDOWS`] (the
/// default) is how Windows behaves; a policy mutant turns one off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HostChecks {
    /// The access check's own rules.
    pub access: winsec::AccessRules,
    /// `LogonUser` needs the logon right of its logon type and no deny
    /// right (`LSA-LOGON-RIGHT`).
    pub logon_rights: bool,
    /// A thread impersonates above Identification only under one of the
    /// allow-list's conditions (`IMP-ALLOW-LIST`, `IMP-DOWNGRADE`).
    pub impersonation_allow_list: bool,
    /// A thread acting at Identification or Anonymous level opens
    /// nothing (`IMP-IDENTIFY-NO-OPEN`).
    pub identification_opens_nothing: bool,
    /// A network logon's session holds no network credentials
    /// (`LSA-LOGON-CREDENTIALS`).
    pub network_logon_without_credentials: bool,
    /// An administrator's interactive logon under UAC returns the
    /// filtered half of a split token (`LSA-UAC-SPLIT`).
    pub uac_split: bool,
    /// DuplicateToken cannot raise the impersonation level
    /// (`TOK-DUPLICATE-LEVEL`).
    pub duplicate_keeps_level: bool,
    /// AdjustTokenPrivileges enables only privileges the token holds
    /// (`TOK-ADJUST-PRIVILEGES`).
    pub adjust_needs_held: bool,
}

impl HostChecks {
    /// Windows' checks.
    pub const WINDOWS: HostChecks = HostChecks {
        access: winsec::AccessRules::WINDOWS,
        logon_rights: true,
        impersonation_allow_list: true,
        identification_opens_nothing: true,
        network_logon_without_credentials: true,
        uac_split: true,
        duplicate_keeps_level: true,
        adjust_needs_held: true,
    };
}

impl Default for HostChecks {
    /// Windows' checks.
    fn default() -> HostChecks {
        HostChecks::WINDOWS
    }
}

impl Default for HostRules {
    /// Windows XP / Server 2003 and later.
    fn default() -> HostRules {
        HostRules {
            logon_user_requires_tcb: false,
            checks: HostChecks::WINDOWS,
        }
    }
}

/// The whole simulated host.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Host {
    /// The release-dependent rules in force.
    pub rules: HostRules,
    /// The logical clock (ticks).
    pub now: u64,
    /// Machines by upper-cased name.
    pub machines: Shared<BTreeMap<String, Machine>>,
    /// The Active Directory domain, if any.
    pub domain: Shared<Option<Domain>>,
    /// Logon sessions.
    pub logons: Shared<BTreeMap<LogonId, LogonSession>>,
    /// Terminal-services sessions by (machine, id).
    pub terminal_sessions: Shared<BTreeMap<(String, u32), TerminalSession>>,
    /// Token objects.
    pub tokens: Shared<BTreeMap<TokenId, TokenObject>>,
    /// Processes.
    pub processes: Shared<BTreeMap<ProcessId, Process>>,
    /// Threads.
    pub threads: Shared<BTreeMap<ThreadId, Thread>>,
    /// Securable objects by (upper-cased machine name, lower-cased path);
    /// see [`crate::objects`].
    pub objects: Shared<BTreeMap<(String, String), crate::objects::SecObject>>,
    /// Remote endpoints (file shares, HTTP, SQL, proxies) by lower-cased
    /// name; see [`crate::network`].
    pub servers: Shared<BTreeMap<String, crate::network::Server>>,
    /// What files hold, by (upper-cased machine name, lower-cased path),
    /// for the files something was written to; see [`crate::content`].
    pub contents: Shared<BTreeMap<(String, String), crate::content::Content>>,
    /// Security-relevant events, in order.
    pub log: Vec<Event>,
    /// The counter every id comes from.
    pub next_id: u64,
    /// The conditions the operation being applied evaluated, handed to its
    /// outcome; empty between operations.
    #[serde(skip)]
    pub(crate) conditions: Vec<crate::op::Condition>,
}

/// The LUIDs Windows gives the built-in service logon sessions.
pub mod well_known_logons {
    /// SYSTEM (0x3E7).
    pub const SYSTEM: u64 = 0x3E7;
    /// LOCAL SERVICE (0x3E5).
    pub const LOCAL_SERVICE: u64 = 0x3E5;
    /// NETWORK SERVICE (0x3E4).
    pub const NETWORK_SERVICE: u64 = 0x3E4;
    /// ANONYMOUS LOGON (0x3E6).
    pub const ANONYMOUS: u64 = 0x3E6;
}

impl Default for Host {
    fn default() -> Host {
        Host::new()
    }
}

impl Host {
    /// An empty host: no machines, no domain, time 0.
    pub fn new() -> Host {
        Host {
            rules: HostRules::default(),
            now: 0,
            machines: Shared::default(),
            domain: Shared::default(),
            logons: Shared::default(),
            terminal_sessions: Shared::default(),
            tokens: Shared::default(),
            processes: Shared::default(),
            threads: Shared::default(),
            objects: Shared::default(),
            servers: Shared::default(),
            contents: Shared::default(),
            log: Vec::new(),
            // Keep clear of the well-known logon LUIDs.
            next_id: 0x1000,
            conditions: Vec::new(),
        }
    }

    /// A fresh id from the host's counter.
    pub fn fresh(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Adds a machine (its name is the key, case-insensitive).
    pub fn add_machine(&mut self, machine: Machine) {
        self.machines
            .insert(machine.name.to_ascii_uppercase(), machine);
    }

    /// The machine by name.
    pub fn machine(&self, name: &str) -> Option<&Machine> {
        self.machines.get(&name.to_ascii_uppercase())
    }

    /// Mutable access to a machine.
    pub fn machine_mut(&mut self, name: &str) -> Option<&mut Machine> {
        self.machines.get_mut(&name.to_ascii_uppercase())
    }

    /// The SDDL domain context of a machine: its account domain and the AD domain.
    pub fn domain_context(&self, machine: &str) -> DomainContext {
        let default = DomainContext::default();
        DomainContext {
            machine: self
                .machine(machine)
                .map_or(default.machine.clone(), |m| m.sid.clone()),
            domain: self
                .domain
                .as_ref()
                .map_or(default.domain.clone(), |d| d.sid.clone()),
        }
    }

    /// The token object by id.
    pub fn token(&self, id: TokenId) -> Option<&TokenObject> {
        self.tokens.get(&id)
    }

    /// The thread by id.
    pub fn thread(&self, id: ThreadId) -> Option<&Thread> {
        self.threads.get(&id)
    }

    /// The process a thread belongs to.
    pub fn process_of(&self, thread: ThreadId) -> Option<&Process> {
        self.threads
            .get(&thread)
            .and_then(|t| self.processes.get(&t.process))
    }

    /// The token a thread acts with: its impersonation token, or else its
    /// process's primary token.
    pub fn effective_token_id(&self, thread: ThreadId) -> Option<TokenId> {
        let t = self.threads.get(&thread)?;
        match t.impersonation {
            Some(token) => Some(token),
            None => self.processes.get(&t.process).map(|p| p.primary_token),
        }
    }

    /// The effective token of a thread.
    pub fn effective_token(&self, thread: ThreadId) -> Option<&Token> {
        self.effective_token_id(thread)
            .and_then(|id| self.tokens.get(&id))
            .map(|o| &*o.token)
    }

    /// The primary token of the thread's process.
    pub fn process_token(&self, thread: ThreadId) -> Option<&Token> {
        self.process_of(thread)
            .and_then(|p| self.tokens.get(&p.primary_token))
            .map(|o| &*o.token)
    }

    /// The logon session of a token.
    pub fn logon_of(&self, token: TokenId) -> Option<&LogonSession> {
        self.tokens
            .get(&token)
            .and_then(|t| self.logons.get(&t.logon))
    }

    /// Sets the type of a token the current operation has just made, before
    /// anything else holds it, and its creation event with it, so the log
    /// shows the token as it was handed out.
    pub(crate) fn retype_new_token(&mut self, id: TokenId, token_type: TokenType) {
        if let Some(t) = self.tokens.get_mut(&id) {
            t.token.token_type = token_type;
        }
        let created = self.log.iter_mut().rev().find_map(|e| match e {
            Event::TokenCreated {
                token,
                token_type: logged,
                ..
            } if *token == id => Some(logged),
            _ => None,
        });
        if let Some(logged) = created {
            *logged = token_type;
        }
    }

    /// Stores a token object under a new id (the token's `token_id` is set
    /// to it) and logs its creation.
    pub fn insert_token(
        &mut self,
        mut token: Token,
        logon: LogonId,
        explicit_credentials_from: Option<LogonId>,
    ) -> TokenId {
        let id = TokenId(self.fresh());
        token.token_id = id.0;
        self.log.push(Event::TokenCreated {
            token: id,
            user: token.user.sid.clone(),
            token_type: token.token_type,
        });
        self.tokens.insert(
            id,
            TokenObject {
                token: token.into(),
                logon,
                explicit_credentials_from,
            },
        );
        id
    }

    /// Creates a process with `token` as its primary token, and its first
    /// thread.
    pub fn spawn_process(
        &mut self,
        machine: &str,
        image: &str,
        token: TokenId,
    ) -> (ProcessId, ThreadId) {
        let pid = ProcessId(self.fresh());
        let user = self
            .tokens
            .get(&token)
            .map(|t| t.token.user.sid.clone())
            .unwrap_or_else(winsec::well_known::sids::anonymous);
        self.processes.insert(
            pid,
            Process {
                id: pid,
                machine: machine.to_ascii_uppercase(),
                image: image.to_string(),
                primary_token: token,
                alive: true,
                flow_policy: FlowPolicy::CLR_DEFAULT,
            },
        );
        self.log.push(Event::ProcessCreated {
            process: pid,
            token,
            user,
        });
        let tid = self.spawn_thread(pid, None, false);
        (pid, tid)
    }

    /// Adds a thread to a process, starting with `impersonation`.
    pub fn spawn_thread(
        &mut self,
        process: ProcessId,
        impersonation: Option<TokenId>,
        managed: bool,
    ) -> ThreadId {
        let tid = ThreadId(self.fresh());
        self.threads.insert(
            tid,
            Thread {
                id: tid,
                process,
                impersonation,
                managed_impersonation: managed && impersonation.is_some(),
                flow_suppressed: false,
            },
        );
        self.log.push(Event::ThreadCreated {
            thread: tid,
            token: impersonation,
        });
        tid
    }

    /// Every SID of `token` that is enabled (user and enabled groups), as a set.
    pub fn enabled_sids(token: &Token) -> BTreeSet<Sid> {
        token.enabled_sids().cloned().collect()
    }
}
