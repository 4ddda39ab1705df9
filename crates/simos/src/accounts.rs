//! Machines, their local accounts and groups, and the Active Directory
//! domain with its users, computers, service accounts and their delegation
//! settings.
//!
//! This module owns who exists and what they are configured to be; it
//! decides nothing about logons or access (see [`crate::lsa`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use winsec::well_known::sids;
use winsec::Sid;

use crate::policy::Policy;

/// A local account on one machine.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct LocalAccount {
    /// Account name.
    pub name: String,
    /// `<machine SID>-<rid>`.
    pub sid: Sid,
    /// The password (plain text: the model needs nothing stronger).
    pub password: String,
    /// Local groups and builtin aliases it belongs to (SIDs).
    pub groups: BTreeSet<Sid>,
}

/// A local group (alias) on one machine.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct LocalGroup {
    /// Group name.
    pub name: String,
    /// `<machine SID>-<rid>` or a builtin alias SID.
    pub sid: Sid,
}

/// One Windows machine.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Machine {
    /// NetBIOS name (`WEB01`).
    pub name: String,
    /// The machine's account-domain SID (`S-1-5-21-a-b-c`).
    pub sid: Sid,
    /// Local accounts by lower-cased name.
    pub accounts: BTreeMap<String, LocalAccount>,
    /// Local groups by lower-cased name.
    pub groups: BTreeMap<String, LocalGroup>,
    /// Local security policy: privileges and logon rights.
    pub policy: Policy,
    /// True when joined to the host's domain.
    pub domain_joined: bool,
    /// User Account Control: administrators' interactive logons get a
    /// filtered token linked to an elevated one.
    pub uac: bool,
    /// Domain principals added to local groups and builtin aliases
    /// (alias SID -> member SIDs), e.g. a domain user in local Administrators.
    pub alias_members: BTreeMap<Sid, BTreeSet<Sid>>,
    /// Next RID for a new local account or group.
    pub next_rid: u32,
}

impl Machine {
    /// A machine with the builtin Administrator (500) and Guest (501)
    /// accounts' RIDs reserved, default policy, UAC on.
    pub fn new(name: &str, sid: Sid) -> Machine {
        Machine {
            name: name.to_string(),
            sid,
            accounts: BTreeMap::new(),
            groups: BTreeMap::new(),
            policy: Policy::windows_default(),
            domain_joined: false,
            uac: true,
            alias_members: BTreeMap::new(),
            next_rid: 1001,
        }
    }

    /// Adds a local user; `groups` are SIDs of builtin aliases or local
    /// groups. BUILTIN\Users is always added, as Windows does.
    pub fn add_user(&mut self, name: &str, password: &str, groups: &[Sid]) -> Sid {
        let rid = self.next_rid;
        self.next_rid += 1;
        let sid = self.sid.with_rid(rid).unwrap_or_else(|| self.sid.clone());
        let mut set: BTreeSet<Sid> = groups.iter().cloned().collect();
        set.insert(sids::builtin_users());
        self.accounts.insert(
            name.to_ascii_lowercase(),
            LocalAccount {
                name: name.to_string(),
                sid: sid.clone(),
                password: password.to_string(),
                groups: set,
            },
        );
        sid
    }

    /// Adds a local group and returns its SID.
    pub fn add_group(&mut self, name: &str) -> Sid {
        let rid = self.next_rid;
        self.next_rid += 1;
        let sid = self.sid.with_rid(rid).unwrap_or_else(|| self.sid.clone());
        self.groups.insert(
            name.to_ascii_lowercase(),
            LocalGroup {
                name: name.to_string(),
                sid: sid.clone(),
            },
        );
        sid
    }

    /// Adds a (domain) principal to a local group or builtin alias.
    pub fn add_alias_member(&mut self, alias: Sid, member: Sid) {
        self.alias_members.entry(alias).or_default().insert(member);
    }

    /// The local groups and aliases a set of SIDs belongs to through
    /// `alias_members`.
    pub fn aliases_of(&self, members: &BTreeSet<Sid>) -> BTreeSet<Sid> {
        self.alias_members
            .iter()
            .filter(|(_, m)| m.iter().any(|s| members.contains(s)))
            .map(|(alias, _)| alias.clone())
            .collect()
    }

    /// The machine's "None" group (RID 513), the primary group of local users.
    pub fn none_group(&self) -> Sid {
        self.sid.with_rid(513).unwrap_or_else(|| self.sid.clone())
    }

    /// The local account by name, case-insensitive.
    pub fn account(&self, name: &str) -> Option<&LocalAccount> {
        self.accounts.get(&name.to_ascii_lowercase())
    }
}

/// What kind of domain principal an account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A person's account.
    User,
    /// A computer account (`NAME$`), the network identity of the machine's
    /// SYSTEM and NETWORK SERVICE.
    Computer,
    /// A service account (an app pool or SQL service identity).
    Service,
}

/// Kerberos delegation settings of a domain account (userAccountControl
/// bits and the constrained-delegation attributes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Delegation {
    /// `TRUSTED_FOR_DELEGATION` (0x80000): unconstrained delegation.
    pub trusted_for_delegation: bool,
    /// `TRUSTED_TO_AUTH_FOR_DELEGATION` (0x1000000): protocol transition
    /// ("use any authentication protocol").
    pub trusted_to_auth_for_delegation: bool,
    /// `msDS-AllowedToDelegateTo`: SPNs for constrained delegation.
    pub allowed_to_delegate_to: BTreeSet<String>,
    /// `msDS-AllowedToActOnBehalfOfOtherIdentity`: the accounts (by name)
    /// allowed to delegate to this one (resource-based).
    pub allowed_to_act_on_behalf: BTreeSet<String>,
    /// `NOT_DELEGATED` (0x100000): "account is sensitive and cannot be delegated".
    pub not_delegated: bool,
}

/// An account in the Active Directory domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct DomainAccount {
    /// sAMAccountName (`alice`, `WEB01$`, `svc-web`).
    pub name: String,
    /// `<domain SID>-<rid>`.
    pub sid: Sid,
    /// Password.
    pub password: String,
    /// User, computer or service.
    pub kind: PrincipalKind,
    /// Service principal names registered on the account.
    pub spns: BTreeSet<String>,
    /// Domain groups (SIDs).
    pub groups: BTreeSet<Sid>,
    /// Delegation settings.
    pub delegation: Delegation,
    /// The claims its Kerberos tickets carry (Dynamic Access Control):
    /// a user's become the token's `@User.` attributes, a computer's the
    /// `@Device.` attributes of logons at that computer.
    pub claims: Vec<winsec::claims::Claim>,
}

/// The Active Directory domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Domain {
    /// NetBIOS name (`CORP`).
    pub name: String,
    /// DNS name (`corp.example`), the UPN suffix.
    pub dns_name: String,
    /// Domain SID.
    pub sid: Sid,
    /// Accounts by lower-cased sAMAccountName.
    pub accounts: BTreeMap<String, DomainAccount>,
    /// Domain groups by lower-cased name.
    pub groups: BTreeMap<String, Sid>,
    /// Domain functional level 2012 R2 or higher (Protected Users enforced).
    pub level_2012r2: bool,
    /// Next RID.
    pub next_rid: u32,
}

/// `Protected Users` is RID 525 of the domain.
pub const PROTECTED_USERS_RID: u32 = 525;
/// `Domain Users` is RID 513 of the domain.
pub const DOMAIN_USERS_RID: u32 = 513;
/// RID of Domain Computers, the primary group of computer accounts.
pub const DOMAIN_COMPUTERS_RID: u32 = 515;
/// `Domain Admins` is RID 512 of the domain.
pub const DOMAIN_ADMINS_RID: u32 = 512;

/// The RID of the primary group AD gives a new account of `kind`.
pub const fn primary_group_rid(kind: PrincipalKind) -> u32 {
    match kind {
        PrincipalKind::Computer => DOMAIN_COMPUTERS_RID,
        PrincipalKind::User | PrincipalKind::Service => DOMAIN_USERS_RID,
    }
}

impl Domain {
    /// A domain with Domain Users, Domain Computers, Domain Admins and
    /// Protected Users.
    pub fn new(name: &str, dns_name: &str, sid: Sid) -> Domain {
        let mut groups = BTreeMap::new();
        for (group, rid) in [
            ("domain users", DOMAIN_USERS_RID),
            ("domain computers", DOMAIN_COMPUTERS_RID),
            ("domain admins", DOMAIN_ADMINS_RID),
            ("protected users", PROTECTED_USERS_RID),
        ] {
            if let Some(s) = sid.with_rid(rid) {
                groups.insert(group.to_string(), s);
            }
        }
        Domain {
            name: name.to_string(),
            dns_name: dns_name.to_string(),
            sid,
            accounts: BTreeMap::new(),
            groups,
            level_2012r2: true,
            next_rid: 1100,
        }
    }

    /// Adds an account; its primary group is always among its groups:
    /// Domain Computers for a computer account, Domain Users otherwise.
    pub fn add_account(
        &mut self,
        name: &str,
        password: &str,
        kind: PrincipalKind,
        groups: &[Sid],
    ) -> Sid {
        let rid = self.next_rid;
        self.next_rid += 1;
        let sid = self.sid.with_rid(rid).unwrap_or_else(|| self.sid.clone());
        let mut set: BTreeSet<Sid> = groups.iter().cloned().collect();
        if let Some(primary) = self.sid.with_rid(primary_group_rid(kind)) {
            set.insert(primary);
        }
        self.accounts.insert(
            name.to_ascii_lowercase(),
            DomainAccount {
                name: name.to_string(),
                sid: sid.clone(),
                password: password.to_string(),
                kind,
                spns: BTreeSet::new(),
                groups: set,
                delegation: Delegation::default(),
                claims: Vec::new(),
            },
        );
        sid
    }

    /// The account by sAMAccountName or UPN (`name@dns`), case-insensitive.
    pub fn account(&self, name: &str) -> Option<&DomainAccount> {
        let lower = name.to_ascii_lowercase();
        let sam = match lower.split_once('@') {
            Some((user, suffix)) if suffix == self.dns_name.to_ascii_lowercase() => {
                user.to_string()
            }
            Some(_) => return None,
            None => lower,
        };
        self.accounts.get(&sam)
    }

    /// Mutable access to an account.
    pub fn account_mut(&mut self, name: &str) -> Option<&mut DomainAccount> {
        self.accounts.get_mut(&name.to_ascii_lowercase())
    }

    /// The account holding `spn`, if any.
    pub fn account_for_spn(&self, spn: &str) -> Option<&DomainAccount> {
        self.accounts
            .values()
            .find(|a| a.spns.iter().any(|s| s.eq_ignore_ascii_case(spn)))
    }

    /// True when the account is in Protected Users and the functional level enforces it.
    pub fn is_protected_user(&self, account: &DomainAccount) -> bool {
        self.level_2012r2
            && self
                .sid
                .with_rid(PROTECTED_USERS_RID)
                .is_some_and(|pu| account.groups.contains(&pu))
    }
}
