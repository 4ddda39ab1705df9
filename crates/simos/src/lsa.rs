//! The Local Security Authority: resolving accounts, logon rights,
//! building logon tokens by logon type, UAC split tokens, the built-in
//! service identities, S4U, and logon sessions.
//!
//! Rules cited: `LSA-*` and `PRIV-TCB-PRIMARY-TOKEN` in [`crate::rules`].

use std::collections::BTreeSet;

use winsec::descriptor::Acl;
use winsec::token::{group_attrs, mandatory_policy, privilege_attrs};
use winsec::well_known::sids;
use winsec::{
    AccessMask, Ace, ElevationType, Group, ImpersonationLevel, IntegrityLevel, Privilege,
    PrivilegeEntry, Sid, Token, TokenType, Win32Error,
};

use crate::accounts::PrincipalKind;
use crate::host::{AuthPackage, Event, Host, LogonSession, LogonType, NetworkCredentials};
use crate::ids::{LogonId, ThreadId, TokenId};
use crate::policy::{LogonRight, UserRight};
use crate::rules::ids;

/// Who an account is, wherever it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// User SID.
    pub sid: Sid,
    /// `DOMAIN\name`.
    pub display: String,
    /// Password.
    pub password: String,
    /// Group SIDs from the account database (domain groups or local aliases).
    pub groups: BTreeSet<Sid>,
    /// True for domain accounts.
    pub is_domain: bool,
    /// Computer, service or user (local accounts are users).
    pub kind: PrincipalKind,
}

impl Principal {
    /// The principal of a local account of machine `m`.
    pub fn local(m: &crate::accounts::Machine, a: &crate::accounts::LocalAccount) -> Principal {
        Principal {
            sid: a.sid.clone(),
            display: format!("{}\\{}", m.name, a.name),
            password: a.password.clone(),
            groups: a.groups.clone(),
            is_domain: false,
            kind: PrincipalKind::User,
        }
    }
}

/// The built-in service identities.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum BuiltinIdentity {
    /// `NT AUTHORITY\SYSTEM` (LocalSystem).
    LocalSystem,
    /// `NT AUTHORITY\LOCAL SERVICE`.
    LocalService,
    /// `NT AUTHORITY\NETWORK SERVICE`.
    NetworkService,
    /// `NT AUTHORITY\ANONYMOUS LOGON`.
    Anonymous,
}

impl BuiltinIdentity {
    /// The user SID.
    pub fn sid(self) -> Sid {
        match self {
            BuiltinIdentity::LocalSystem => sids::local_system(),
            BuiltinIdentity::LocalService => sids::local_service(),
            BuiltinIdentity::NetworkService => sids::network_service(),
            BuiltinIdentity::Anonymous => sids::anonymous(),
        }
    }

    /// The well-known logon session LUID.
    pub fn logon_luid(self) -> u64 {
        use crate::host::well_known_logons as w;
        match self {
            BuiltinIdentity::LocalSystem => w::SYSTEM,
            BuiltinIdentity::LocalService => w::LOCAL_SERVICE,
            BuiltinIdentity::NetworkService => w::NETWORK_SERVICE,
            BuiltinIdentity::Anonymous => w::ANONYMOUS,
        }
    }

    /// `NT AUTHORITY\...` name.
    pub fn display(self) -> &'static str {
        match self {
            BuiltinIdentity::LocalSystem => "NT AUTHORITY\\SYSTEM",
            BuiltinIdentity::LocalService => "NT AUTHORITY\\LOCAL SERVICE",
            BuiltinIdentity::NetworkService => "NT AUTHORITY\\NETWORK SERVICE",
            BuiltinIdentity::Anonymous => "NT AUTHORITY\\ANONYMOUS LOGON",
        }
    }
}

/// Privileges enabled by default in a logon token (the others are present
/// but disabled until AdjustTokenPrivileges).
const ENABLED_BY_DEFAULT: &[Privilege] = &[
    Privilege::ChangeNotify,
    Privilege::Impersonate,
    Privilege::CreateGlobal,
];

/// Privileges LocalSystem has enabled by default.
const SYSTEM_ENABLED: &[Privilege] = &[
    Privilege::Tcb,
    Privilege::CreatePagefile,
    Privilege::LockMemory,
    Privilege::IncreaseBasePriority,
    Privilege::CreatePermanent,
    Privilege::Audit,
    Privilege::ChangeNotify,
    Privilege::Impersonate,
    Privilege::CreateGlobal,
    Privilege::Debug,
    Privilege::CreateSymbolicLink,
    Privilege::DelegateSessionUserImpersonate,
];

impl Host {
    /// Resolves `user` (with `domain`: `None`/`"."`/the machine name for a
    /// local account, the domain's name, or a UPN in `user`) as LogonUser does.
    pub fn resolve_principal(
        &self,
        machine: &str,
        user: &str,
        domain: Option<&str>,
    ) -> Option<Principal> {
        let m = self.machine(machine)?;
        let local = |name: &str| m.account(name).map(|a| Principal::local(m, a));
        let from_domain = |name: &str| {
            let d = self.domain.as_ref()?;
            d.account(name).map(|a| Principal {
                sid: a.sid.clone(),
                display: format!("{}\\{}", d.name, a.name),
                password: a.password.clone(),
                groups: a.groups.clone(),
                is_domain: true,
                kind: a.kind,
            })
        };
        match domain {
            None if user.contains('@') => from_domain(user).filter(|_| m.domain_joined),
            None | Some(".") => local(user),
            Some(d) if d.eq_ignore_ascii_case(&m.name) => local(user),
            Some(d) => {
                let dom = self.domain.as_ref()?;
                if m.domain_joined
                    && (d.eq_ignore_ascii_case(&dom.name) || d.eq_ignore_ascii_case(&dom.dns_name))
                {
                    from_domain(user)
                } else {
                    None
                }
            }
        }
    }

    /// Every SID a principal has on `machine` before logon-type groups:
    /// the user, its groups, and the local aliases those belong to.
    pub(crate) fn principal_sids(&self, machine: &str, p: &Principal) -> BTreeSet<Sid> {
        let mut all: BTreeSet<Sid> = p.groups.clone();
        all.insert(p.sid.clone());
        if let Some(m) = self.machine(machine) {
            if p.is_domain {
                // Domain Users is a member of the local Users alias on joined machines.
                all.insert(sids::builtin_users());
            }
            let aliases = m.aliases_of(&all);
            all.extend(aliases);
        }
        all
    }

    /// Checks the logon right for `right` against the machine's policy.
    pub(crate) fn has_logon_right(
        &self,
        machine: &str,
        holder: &BTreeSet<Sid>,
        right: LogonRight,
    ) -> bool {
        let Some(m) = self.machine(machine) else {
            return false;
        };
        let mut with_everyone = holder.clone();
        with_everyone.insert(sids::everyone());
        with_everyone.insert(sids::authenticated_users());
        m.policy.holds(UserRight::Logon(right), &with_everyone)
            && !m
                .policy
                .holds(UserRight::Logon(right.deny()), &with_everyone)
    }

    /// Records what decided a logon right (`LSA-LOGON-RIGHT`): the deny
    /// right held, the right held, or the right missing.
    fn record_logon_right(
        &mut self,
        machine: &str,
        user: &Sid,
        holder: &BTreeSet<Sid>,
        right: LogonRight,
        granted: bool,
    ) {
        let mut with_everyone = holder.clone();
        with_everyone.insert(sids::everyone());
        with_everyone.insert(sids::authenticated_users());
        let denied = self.machine(machine).is_some_and(|m| {
            m.policy
                .holds(UserRight::Logon(right.deny()), &with_everyone)
        });
        let finding = if denied {
            format!("{user} holds {} on {machine}", right.deny().name())
        } else if granted {
            format!("{user} holds {} on {machine}", right.name())
        } else {
            format!("{user} does not hold {} on {machine}", right.name())
        };
        let effect = if granted {
            crate::op::Effect::Admitted
        } else {
            crate::op::Effect::Refused
        };
        self.condition(ids::LOGON_RIGHT, finding, effect);
    }

    /// Puts a captured token on `machine` (`LSA-IMPORTED-TOKEN`): a logon
    /// session of the type its groups show, with no network credentials,
    /// and the token as captured (its `TokenId` and `AuthenticationId`
    /// are the host's own). The machine must exist.
    pub fn define_token(&mut self, machine: &str, mut token: Token) -> Result<TokenId, Win32Error> {
        if self.machine(machine).is_none() {
            return Err(Win32Error::InvalidParameter);
        }
        let has = |sid: &winsec::Sid| token.groups.iter().any(|g| g.sid == *sid);
        let logon_type = if has(&sids::service()) {
            LogonType::Service
        } else if has(&sids::batch()) {
            LogonType::Batch
        } else if has(&sids::network()) {
            LogonType::Network
        } else {
            LogonType::Interactive
        };
        let logon = LogonId(self.fresh());
        token.logon_session = logon.0;
        self.new_logon_session(LogonSession {
            id: logon,
            machine: machine.to_ascii_uppercase(),
            user: token.user.sid.clone(),
            account: token.user.sid.to_string(),
            logon_type,
            package: AuthPackage::Local,
            credentials: NetworkCredentials::None,
            ts_session: token.session_id,
            active: true,
            winlogon: false,
        });
        Ok(self.insert_token(token, logon, None))
    }

    /// Creates a logon session.
    pub fn new_logon_session(&mut self, session: LogonSession) -> LogonId {
        let id = session.id;
        self.logons.insert(id, session);
        id
    }

    /// The claims a logon's token carries (`LSA-LOGON-CLAIMS`): a domain
    /// account's own claims as user claims, and, for a logon made at a
    /// domain-joined machine itself (not across the network), the claims
    /// of that machine's computer account as device claims.
    fn claims_of(
        &self,
        machine: &str,
        p: &Principal,
        logon_type: LogonType,
    ) -> (Vec<winsec::claims::Claim>, Vec<winsec::claims::Claim>) {
        let Some(domain) = &*self.domain else {
            return (Vec::new(), Vec::new());
        };
        let user = if p.is_domain {
            domain
                .accounts
                .values()
                .find(|a| a.sid == p.sid)
                .map(|a| a.claims.clone())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let at_the_device = !matches!(
            logon_type,
            LogonType::Network | LogonType::NetworkCleartext | LogonType::S4u
        );
        let joined = self.machine(machine).is_some_and(|m| m.domain_joined);
        let device = if p.is_domain && at_the_device && joined {
            domain
                .account(&format!("{machine}$"))
                .map(|a| a.claims.clone())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        (user, device)
    }

    /// Builds the token of a new logon of `p` and registers it. Returns the
    /// token the caller receives (for a UAC administrator: the filtered one).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn logon_token(
        &mut self,
        machine: &str,
        p: &Principal,
        logon_type: LogonType,
        ts_session: u32,
        credentials: NetworkCredentials,
        explicit_from: Option<LogonId>,
    ) -> (LogonId, TokenId) {
        let logon = LogonId(self.fresh());
        let base = self.principal_sids(machine, p);
        let mut groups: Vec<Group> = Vec::new();
        let push = |groups: &mut Vec<Group>, sid: Sid, attributes: u32| {
            if sid != p.sid && !groups.iter().any(|g| g.sid == sid) {
                groups.push(Group { sid, attributes });
            }
        };
        for sid in &base {
            push(&mut groups, sid.clone(), group_attrs::DEFAULT);
        }
        push(&mut groups, sids::everyone(), group_attrs::DEFAULT);
        match logon_type {
            LogonType::Interactive | LogonType::CachedInteractive | LogonType::Unlock => {
                push(&mut groups, sids::interactive(), group_attrs::DEFAULT);
                push(&mut groups, sids::local(), group_attrs::DEFAULT);
                push(
                    &mut groups,
                    Sid::new(2, &[1]).unwrap_or_else(sids::local),
                    group_attrs::DEFAULT,
                );
            }
            LogonType::RemoteInteractive => {
                push(&mut groups, sids::interactive(), group_attrs::DEFAULT);
                push(&mut groups, sids::local(), group_attrs::DEFAULT);
                push(
                    &mut groups,
                    Sid::new(5, &[14]).unwrap_or_else(sids::local),
                    group_attrs::DEFAULT,
                );
                push(
                    &mut groups,
                    Sid::new(5, &[13]).unwrap_or_else(sids::local),
                    group_attrs::DEFAULT,
                );
            }
            LogonType::Network | LogonType::NetworkCleartext | LogonType::S4u => {
                push(&mut groups, sids::network(), group_attrs::DEFAULT);
            }
            LogonType::Batch => push(&mut groups, sids::batch(), group_attrs::DEFAULT),
            LogonType::Service => push(&mut groups, sids::service(), group_attrs::DEFAULT),
            LogonType::NewCredentials => {}
        }
        push(
            &mut groups,
            sids::authenticated_users(),
            group_attrs::DEFAULT,
        );
        push(
            &mut groups,
            Sid::new(5, &[15]).unwrap_or_else(sids::local),
            group_attrs::DEFAULT,
        );
        if p.is_domain {
            let asserted = if logon_type == LogonType::S4u { 2 } else { 1 };
            push(
                &mut groups,
                Sid::new(18, &[asserted]).unwrap_or_else(sids::local),
                group_attrs::DEFAULT,
            );
        }
        let logon_sid =
            sids::logon_session(0, u32::try_from(logon.0 & 0xFFFF_FFFF).unwrap_or(u32::MAX));
        push(
            &mut groups,
            logon_sid.clone(),
            group_attrs::DEFAULT | group_attrs::LOGON_ID,
        );

        let mut holder: BTreeSet<Sid> = groups.iter().map(|g| g.sid.clone()).collect();
        holder.insert(p.sid.clone());
        let privileges = self
            .machine(machine)
            .map(|m| m.policy.privileges_for(&holder))
            .unwrap_or_default();
        let is_admin = holder.contains(&sids::builtin_administrators());

        let mut token = Token::new(p.sid.clone());
        token.groups = groups;
        token.privileges = privilege_entries(privileges, ENABLED_BY_DEFAULT);
        if is_admin {
            token.owner = sids::builtin_administrators();
            for g in &mut token.groups {
                if g.sid == sids::builtin_administrators() {
                    g.attributes |= group_attrs::OWNER;
                }
            }
        }
        token.primary_group = match (&*self.domain, p.is_domain) {
            (Some(d), true) => d.sid.with_rid(crate::accounts::primary_group_rid(p.kind)),
            _ => self.machine(machine).map(|m| m.none_group()),
        }
        .unwrap_or_else(|| p.sid.clone());
        token.default_dacl = Some(default_dacl(&p.sid, &logon_sid));
        token.integrity = if is_admin {
            IntegrityLevel::HIGH
        } else {
            IntegrityLevel::MEDIUM
        };
        token.mandatory_policy = mandatory_policy::DEFAULT;
        token.session_id = ts_session;
        token.logon_session = logon.0;
        let (user_claims, device_claims) = self.claims_of(machine, p, logon_type);
        token.user_claims = user_claims;
        token.device_claims = device_claims;
        token.token_type = if logon_type == LogonType::Network || logon_type == LogonType::S4u {
            TokenType::Impersonation(ImpersonationLevel::Impersonation)
        } else {
            TokenType::Primary
        };

        let package = if p.is_domain {
            AuthPackage::Kerberos
        } else {
            AuthPackage::Ntlm
        };
        self.new_logon_session(LogonSession {
            id: logon,
            machine: machine.to_ascii_uppercase(),
            user: p.sid.clone(),
            account: p.display.clone(),
            logon_type,
            package,
            credentials,
            ts_session,
            active: true,
            winlogon: false,
        });

        let uac = self.machine(machine).is_some_and(|m| m.uac);
        let interactive = matches!(
            logon_type,
            LogonType::Interactive | LogonType::RemoteInteractive | LogonType::CachedInteractive
        );
        let returned = if is_admin && uac && interactive && self.rules.checks.uac_split {
            // LSA-UAC-SPLIT: the caller gets the filtered half, linked to the full one.
            token.elevation_type = ElevationType::Full;
            let mut limited = token.uac_filtered();
            let full_id = self.insert_token(token, logon, explicit_from);
            limited.linked_token = Some(full_id.0);
            let limited_id = self.insert_token(limited, logon, explicit_from);
            if let Some(full) = self.tokens.get_mut(&full_id) {
                full.token.linked_token = Some(limited_id.0);
            }
            limited_id
        } else {
            self.insert_token(token, logon, explicit_from)
        };
        self.log.push(Event::Logon {
            logon,
            account: p.display.clone(),
            logon_type,
            token: returned,
        });
        (logon, returned)
    }

    /// The primary token of a built-in service identity on `machine`
    /// (creating its logon session on first use).
    pub fn builtin_token(&mut self, machine: &str, who: BuiltinIdentity) -> TokenId {
        // One session per machine and identity; tokens report the
        // well-known LUID, the host keys the session by a host-wide id.
        let machine_key = machine.to_ascii_uppercase();
        let existing = self
            .logons
            .values()
            .find(|l| {
                l.active
                    && l.machine == machine_key
                    && l.user == who.sid()
                    && l.package == AuthPackage::Local
            })
            .map(|l| l.id);
        let logon = existing.unwrap_or_else(|| LogonId(self.fresh()));
        let sid = who.sid();
        let mut groups = Vec::new();
        let mut holder: BTreeSet<Sid> = BTreeSet::new();
        holder.insert(sid.clone());
        let group_sids: Vec<Sid> = match who {
            BuiltinIdentity::LocalSystem => vec![
                sids::builtin_administrators(),
                sids::everyone(),
                sids::authenticated_users(),
            ],
            BuiltinIdentity::LocalService | BuiltinIdentity::NetworkService => vec![
                sids::everyone(),
                sids::builtin_users(),
                sids::service(),
                Sid::new(2, &[1]).unwrap_or_else(sids::local),
                sids::authenticated_users(),
                Sid::new(5, &[15]).unwrap_or_else(sids::local),
                sids::local(),
            ],
            BuiltinIdentity::Anonymous => vec![],
        };
        for s in group_sids {
            holder.insert(s.clone());
            let attributes = if s == sids::builtin_administrators() {
                group_attrs::DEFAULT | group_attrs::OWNER
            } else {
                group_attrs::DEFAULT
            };
            groups.push(Group { sid: s, attributes });
        }
        let privileges: Vec<Privilege> = match who {
            // LocalSystem holds every privilege inherently.
            BuiltinIdentity::LocalSystem => Privilege::ALL.to_vec(),
            BuiltinIdentity::Anonymous => vec![],
            _ => self
                .machine(machine)
                .map(|m| m.policy.privileges_for(&holder))
                .unwrap_or_default(),
        };
        let enabled: &[Privilege] = if who == BuiltinIdentity::LocalSystem {
            SYSTEM_ENABLED
        } else {
            ENABLED_BY_DEFAULT
        };
        let mut token = Token::new(sid.clone());
        token.groups = groups;
        token.privileges = privilege_entries(privileges, enabled);
        if who == BuiltinIdentity::LocalSystem {
            token.owner = sids::builtin_administrators();
        }
        token.primary_group = sid.clone();
        token.integrity = if who == BuiltinIdentity::Anonymous {
            IntegrityLevel::UNTRUSTED
        } else {
            IntegrityLevel::SYSTEM
        };
        token.token_type = TokenType::Primary;
        token.logon_session = who.logon_luid();
        token.default_dacl = Some(default_dacl(&sid, &sids::local_system()));
        if existing.is_none() {
            let credentials = match who {
                BuiltinIdentity::LocalSystem | BuiltinIdentity::NetworkService => {
                    NetworkCredentials::MachineAccount
                }
                _ => NetworkCredentials::None,
            };
            self.new_logon_session(LogonSession {
                id: logon,
                machine: machine.to_ascii_uppercase(),
                user: sid,
                account: who.display().to_string(),
                logon_type: LogonType::Service,
                package: AuthPackage::Local,
                credentials,
                ts_session: 0,
                active: true,
                winlogon: false,
            });
        }
        self.insert_token(token, logon, None)
    }

    /// The account NEW_CREDENTIALS names, as seen from `machine`: a domain
    /// account for the domain's name (or a UPN), else the local account of
    /// the named (or this) machine.
    fn credentials_account(
        &self,
        machine: &str,
        user: &str,
        domain: Option<&str>,
    ) -> Option<Principal> {
        if let Some(p) = self.resolve_principal(machine, user, domain) {
            return Some(p);
        }
        // A NEW_CREDENTIALS account need not be resolvable here: a local
        // account of another machine.
        let other = domain?;
        let m = self.machine(other)?;
        m.account(user).map(|a| Principal::local(m, a))
    }

    /// `LogonUser(user, domain, password, type)` called by `thread`.
    pub fn logon_user(
        &mut self,
        thread: ThreadId,
        user: &str,
        domain: Option<&str>,
        password: &str,
        logon_type: LogonType,
        trail: &mut Vec<&'static str>,
    ) -> Result<TokenId, Win32Error> {
        let process = self.process_of(thread).ok_or(Win32Error::InvalidHandle)?;
        let machine = process.machine.clone();
        let machine = machine.as_str();
        let caller_logon = self.tokens.get(&process.primary_token).map(|t| t.logon);
        let caller_primary_has_tcb = self
            .tokens
            .get(&process.primary_token)
            .is_some_and(|t| t.token.privilege_enabled(Privilege::Tcb));
        let caller_token = self.effective_token(thread).cloned();
        let caller_token = caller_token.as_ref();
        if self.rules.logon_user_requires_tcb {
            // Windows 2000: checked in the process primary token (PRIV-TCB-PRIMARY-TOKEN).
            trail.push(ids::LOGON_USER_TCB);
            trail.push(ids::TCB_PRIMARY);
            if !caller_primary_has_tcb {
                return Err(Win32Error::PrivilegeNotHeld);
            }
        }
        if matches!(
            logon_type,
            LogonType::Unlock
                | LogonType::RemoteInteractive
                | LogonType::CachedInteractive
                | LogonType::S4u
        ) {
            return Err(Win32Error::InvalidLogonType);
        }
        if logon_type == LogonType::NewCredentials {
            // LSA-NEW-CREDENTIALS: a clone of the caller with new outbound credentials.
            trail.push(ids::LOGON_NEW_CREDENTIALS);
            let Some(caller) = caller_token.cloned() else {
                return Err(Win32Error::InvalidHandle);
            };
            let logon = LogonId(self.fresh());
            let mut token = caller;
            token.logon_session = logon.0;
            token.token_type = TokenType::Primary;
            self.new_logon_session(LogonSession {
                id: logon,
                machine: machine.to_ascii_uppercase(),
                user: token.user.sid.clone(),
                account: format!("{}\\{}", domain.unwrap_or("."), user),
                logon_type,
                package: AuthPackage::Ntlm,
                credentials: NetworkCredentials::Other {
                    user: user.to_string(),
                    domain: domain.unwrap_or(".").to_string(),
                    password_matches: self
                        .credentials_account(machine, user, domain)
                        .is_some_and(|p| p.password == password),
                },
                ts_session: token.session_id,
                active: true,
                winlogon: false,
            });
            let id = self.insert_token(token, logon, caller_logon);
            return Ok(id);
        }
        let Some(p) = self.resolve_principal(machine, user, domain) else {
            trail.push(ids::LOGON_FAILURE);
            return Err(Win32Error::LogonFailure);
        };
        if p.password != password {
            trail.push(ids::LOGON_FAILURE);
            return Err(Win32Error::LogonFailure);
        }
        let right = match logon_type {
            LogonType::Interactive => LogonRight::Interactive,
            LogonType::Network | LogonType::NetworkCleartext => LogonRight::Network,
            LogonType::Batch => LogonRight::Batch,
            LogonType::Service => LogonRight::Service,
            _ => LogonRight::Interactive,
        };
        let holder = self.principal_sids(machine, &p);
        trail.push(ids::LOGON_RIGHT);
        let granted =
            self.has_logon_right(machine, &holder, right) || !self.rules.checks.logon_rights;
        self.record_logon_right(machine, &p.sid, &holder, right, granted);
        if !granted {
            return Err(Win32Error::LogonTypeNotGranted);
        }
        trail.push(ids::LOGON_TOKEN_TYPE);
        trail.push(ids::LOGON_GROUPS);
        trail.push(ids::LOGON_CREDENTIALS);
        let credentials = match logon_type {
            LogonType::Network if self.rules.checks.network_logon_without_credentials => {
                NetworkCredentials::None
            }
            _ => NetworkCredentials::Password,
        };
        let (_, token) = self.logon_token(
            machine,
            &p,
            logon_type,
            caller_token.map_or(0, |t| t.session_id),
            credentials,
            caller_logon,
        );
        if self
            .tokens
            .get(&token)
            .is_some_and(|t| t.token.elevation_type == ElevationType::Limited)
        {
            trail.push(ids::LOGON_UAC);
        }
        Ok(token)
    }

    /// `LsaLogonUser(KERB_S4U_LOGON)` / `new WindowsIdentity(upn)` called by a
    /// process whose primary token is `caller_primary`.
    pub fn s4u_logon(
        &mut self,
        machine: &str,
        caller_primary: &Token,
        upn: &str,
        trail: &mut Vec<&'static str>,
    ) -> Result<TokenId, Win32Error> {
        trail.push(ids::S4U_DOMAIN);
        let joined = self.machine(machine).is_some_and(|m| m.domain_joined);
        if !joined || self.domain.is_none() {
            return Err(Win32Error::NoSuchDomain);
        }
        // The Kerberos package looks the name up in the domain: a local
        // account (or a name no domain account has) is unknown to the KDC.
        let Some(p) = self
            .resolve_principal(machine, upn, None)
            .filter(|p| p.is_domain)
        else {
            return Err(Win32Error::NoSuchUser);
        };
        let (_, token) = self.logon_token(
            machine,
            &p,
            LogonType::S4u,
            caller_primary.session_id,
            NetworkCredentials::None,
            None,
        );
        // LSA-S4U-LEVEL, checked on the process primary token (PRIV-TCB-PRIMARY-TOKEN).
        trail.push(ids::S4U_LEVEL);
        trail.push(ids::TCB_PRIMARY);
        // `WindowsIdentity(upn)` enables SeTcbPrivilege before it registers
        // as a logon process, so holding the privilege is enough.
        let level = if caller_primary.has_privilege(Privilege::Tcb)
            && caller_primary.has_privilege(Privilege::Impersonate)
        {
            ImpersonationLevel::Impersonation
        } else {
            ImpersonationLevel::Identification
        };
        self.retype_new_token(token, TokenType::Impersonation(level));
        Ok(token)
    }
}

/// Token privilege entries: every privilege in `held`, enabled (and
/// enabled by default) when it is in `enabled`.
fn privilege_entries(held: Vec<Privilege>, enabled: &[Privilege]) -> Vec<PrivilegeEntry> {
    held.into_iter()
        .map(|privilege| PrivilegeEntry {
            privilege,
            attributes: if enabled.contains(&privilege) {
                privilege_attrs::ENABLED | privilege_attrs::ENABLED_BY_DEFAULT
            } else {
                0
            },
        })
        .collect()
}

/// The default DACL LSA gives logon tokens: GENERIC_ALL to the user and
/// SYSTEM, GENERIC_READ|GENERIC_EXECUTE to the logon SID.
fn default_dacl(user: &Sid, logon_sid: &Sid) -> Acl {
    Acl::new(vec![
        Ace::allow(AccessMask::GENERIC_ALL, user.clone()),
        Ace::allow(AccessMask::GENERIC_ALL, sids::local_system()),
        Ace::allow(
            AccessMask::GENERIC_READ | AccessMask::GENERIC_EXECUTE,
            logon_sid.clone(),
        ),
    ])
}
