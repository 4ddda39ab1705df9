//! Access tokens: user, groups and their `SE_GROUP_*` attributes,
//! privileges, owner, primary group, default DACL, type and impersonation
//! level, integrity level and mandatory policy, restricting SIDs, session
//! and logon-session ids, elevation type and the linked token.
//!
//! Also owns the two derived tokens Windows builds from an existing one:
//! the UAC filtered token and `CreateRestrictedToken`'s result ([MS-TOK],
//! [MS-RESTR], [MSDN-UAC] in docs/sources.md). This module does not decide access; see
//! [`crate::access`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::claims::Claim;
use crate::descriptor::Acl;
use crate::sid::Sid;
use crate::well_known::sids;

/// `SE_GROUP_*` attribute bits.
pub mod group_attrs {
    /// `SE_GROUP_MANDATORY`.
    pub const MANDATORY: u32 = 0x0000_0001;
    /// `SE_GROUP_ENABLED_BY_DEFAULT`.
    pub const ENABLED_BY_DEFAULT: u32 = 0x0000_0002;
    /// `SE_GROUP_ENABLED`.
    pub const ENABLED: u32 = 0x0000_0004;
    /// `SE_GROUP_OWNER`.
    pub const OWNER: u32 = 0x0000_0008;
    /// `SE_GROUP_USE_FOR_DENY_ONLY`.
    pub const USE_FOR_DENY_ONLY: u32 = 0x0000_0010;
    /// `SE_GROUP_INTEGRITY`.
    pub const INTEGRITY: u32 = 0x0000_0020;
    /// `SE_GROUP_INTEGRITY_ENABLED`.
    pub const INTEGRITY_ENABLED: u32 = 0x0000_0040;
    /// `SE_GROUP_RESOURCE`.
    pub const RESOURCE: u32 = 0x2000_0000;
    /// `SE_GROUP_LOGON_ID`.
    pub const LOGON_ID: u32 = 0xC000_0000;
    /// What LSA gives ordinary groups: mandatory, enabled by default, enabled.
    pub const DEFAULT: u32 = MANDATORY | ENABLED_BY_DEFAULT | ENABLED;
    /// The names the token file uses, with their bits.
    pub const NAMES: &[(&str, u32)] = &[
        ("mandatory", MANDATORY),
        ("enabled_by_default", ENABLED_BY_DEFAULT),
        ("enabled", ENABLED),
        ("owner", OWNER),
        ("deny_only", USE_FOR_DENY_ONLY),
        ("integrity", INTEGRITY),
        ("integrity_enabled", INTEGRITY_ENABLED),
        ("resource", RESOURCE),
        ("logon_id", LOGON_ID),
    ];
}

/// `SE_PRIVILEGE_*` attribute bits.
pub mod privilege_attrs {
    /// `SE_PRIVILEGE_ENABLED_BY_DEFAULT`.
    pub const ENABLED_BY_DEFAULT: u32 = 0x0000_0001;
    /// `SE_PRIVILEGE_ENABLED`.
    pub const ENABLED: u32 = 0x0000_0002;
    /// `SE_PRIVILEGE_REMOVED`.
    pub const REMOVED: u32 = 0x0000_0004;
    /// `SE_PRIVILEGE_USED_FOR_ACCESS`.
    pub const USED_FOR_ACCESS: u32 = 0x8000_0000;
}

/// A SID with `SE_GROUP_*` attributes (`SID_AND_ATTRIBUTES`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Group {
    /// The SID.
    pub sid: Sid,
    /// `SE_GROUP_*` bits.
    pub attributes: u32,
}

impl Group {
    /// A group with the LSA default attributes (0x7).
    pub fn enabled(sid: Sid) -> Group {
        Group {
            sid,
            attributes: group_attrs::DEFAULT,
        }
    }

    /// A group present only for deny ACEs.
    pub fn deny_only(sid: Sid) -> Group {
        Group {
            sid,
            attributes: group_attrs::USE_FOR_DENY_ONLY,
        }
    }

    /// True when the group counts for allow ACEs: enabled and not deny-only.
    pub fn is_enabled(&self) -> bool {
        self.attributes & group_attrs::ENABLED != 0
            && self.attributes & group_attrs::USE_FOR_DENY_ONLY == 0
    }

    /// True when the group is marked `SE_GROUP_USE_FOR_DENY_ONLY`.
    pub fn is_deny_only(&self) -> bool {
        self.attributes & group_attrs::USE_FOR_DENY_ONLY != 0
    }

    /// True when the group counts for deny ACEs: enabled or deny-only.
    pub fn counts_for_deny(&self) -> bool {
        self.is_enabled() || self.is_deny_only()
    }
}

macro_rules! privileges {
    ($( $variant:ident = $luid:literal => $name:literal ),+ $(,)?) => {
        /// A privilege, by its LUID on Windows.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Privilege {
            $(
                #[doc = concat!("`", $name, "` (LUID ", stringify!($luid), ").")]
                $variant
            ),+
        }

        impl Privilege {
            /// Every privilege, in LUID order.
            pub const ALL: &'static [Privilege] = &[$(Privilege::$variant),+];

            /// The locally unique identifier Windows assigns.
            pub const fn luid(self) -> u32 {
                match self { $(Privilege::$variant => $luid),+ }
            }

            /// The programmatic name (`SeBackupPrivilege`).
            pub const fn name(self) -> &'static str {
                match self { $(Privilege::$variant => $name),+ }
            }
        }
    };
}

privileges! {
    CreateToken = 2 => "SeCreateTokenPrivilege",
    AssignPrimaryToken = 3 => "SeAssignPrimaryTokenPrivilege",
    LockMemory = 4 => "SeLockMemoryPrivilege",
    IncreaseQuota = 5 => "SeIncreaseQuotaPrivilege",
    MachineAccount = 6 => "SeMachineAccountPrivilege",
    Tcb = 7 => "SeTcbPrivilege",
    Security = 8 => "SeSecurityPrivilege",
    TakeOwnership = 9 => "SeTakeOwnershipPrivilege",
    LoadDriver = 10 => "SeLoadDriverPrivilege",
    SystemProfile = 11 => "SeSystemProfilePrivilege",
    Systemtime = 12 => "SeSystemtimePrivilege",
    ProfileSingleProcess = 13 => "SeProfileSingleProcessPrivilege",
    IncreaseBasePriority = 14 => "SeIncreaseBasePriorityPrivilege",
    CreatePagefile = 15 => "SeCreatePagefilePrivilege",
    CreatePermanent = 16 => "SeCreatePermanentPrivilege",
    Backup = 17 => "SeBackupPrivilege",
    Restore = 18 => "SeRestorePrivilege",
    Shutdown = 19 => "SeShutdownPrivilege",
    Debug = 20 => "SeDebugPrivilege",
    Audit = 21 => "SeAuditPrivilege",
    SystemEnvironment = 22 => "SeSystemEnvironmentPrivilege",
    ChangeNotify = 23 => "SeChangeNotifyPrivilege",
    RemoteShutdown = 24 => "SeRemoteShutdownPrivilege",
    Undock = 25 => "SeUndockPrivilege",
    SyncAgent = 26 => "SeSyncAgentPrivilege",
    EnableDelegation = 27 => "SeEnableDelegationPrivilege",
    ManageVolume = 28 => "SeManageVolumePrivilege",
    Impersonate = 29 => "SeImpersonatePrivilege",
    CreateGlobal = 30 => "SeCreateGlobalPrivilege",
    TrustedCredManAccess = 31 => "SeTrustedCredManAccessPrivilege",
    Relabel = 32 => "SeRelabelPrivilege",
    IncreaseWorkingSet = 33 => "SeIncreaseWorkingSetPrivilege",
    TimeZone = 34 => "SeTimeZonePrivilege",
    CreateSymbolicLink = 35 => "SeCreateSymbolicLinkPrivilege",
    DelegateSessionUserImpersonate = 36 => "SeDelegateSessionUserImpersonatePrivilege",
}

impl Privilege {
    /// Looks a privilege up by name; the `Se` prefix and `Privilege`
    /// suffix may be left out, and case does not matter.
    pub fn from_name(name: &str) -> Option<Privilege> {
        Privilege::ALL.iter().copied().find(|p| {
            let full = p.name();
            let short = &full[2..full.len() - "Privilege".len()];
            full.eq_ignore_ascii_case(name)
                || short.eq_ignore_ascii_case(name)
                || full[..full.len() - "Privilege".len()].eq_ignore_ascii_case(name)
        })
    }

    /// The privileges a UAC filtered token keeps (all others are removed).
    pub const FILTERED_TOKEN_KEEPS: &'static [Privilege] = &[
        Privilege::Shutdown,
        Privilege::ChangeNotify,
        Privilege::Undock,
        Privilege::IncreaseWorkingSet,
        Privilege::TimeZone,
    ];
}

impl fmt::Display for Privilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Privilege {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Privilege {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Privilege, D::Error> {
        let name = String::deserialize(deserializer)?;
        Privilege::from_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown privilege `{name}`: expected a name such as SeBackupPrivilege or SeImpersonatePrivilege"
            ))
        })
    }
}

/// A privilege with `SE_PRIVILEGE_*` attributes (`LUID_AND_ATTRIBUTES`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PrivilegeEntry {
    /// The privilege.
    pub privilege: Privilege,
    /// `SE_PRIVILEGE_*` bits.
    pub attributes: u32,
}

impl PrivilegeEntry {
    /// True when `SE_PRIVILEGE_ENABLED` is set.
    pub fn is_enabled(&self) -> bool {
        self.attributes & privilege_attrs::ENABLED != 0
    }
}

/// `SECURITY_IMPERSONATION_LEVEL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImpersonationLevel {
    /// `SecurityAnonymous` (0).
    Anonymous,
    /// `SecurityIdentification` (1): may be queried, never opens objects.
    Identification,
    /// `SecurityImpersonation` (2): acts as the client on this machine.
    Impersonation,
    /// `SecurityDelegation` (3): also on remote machines.
    Delegation,
}

impl ImpersonationLevel {
    /// The numeric value.
    pub const fn value(self) -> u32 {
        match self {
            ImpersonationLevel::Anonymous => 0,
            ImpersonationLevel::Identification => 1,
            ImpersonationLevel::Impersonation => 2,
            ImpersonationLevel::Delegation => 3,
        }
    }

    /// The Windows name (`SecurityImpersonation`).
    pub const fn name(self) -> &'static str {
        match self {
            ImpersonationLevel::Anonymous => "SecurityAnonymous",
            ImpersonationLevel::Identification => "SecurityIdentification",
            ImpersonationLevel::Impersonation => "SecurityImpersonation",
            ImpersonationLevel::Delegation => "SecurityDelegation",
        }
    }
}

/// `TOKEN_TYPE`, with the impersonation level an impersonation token has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "type", content = "level", rename_all = "snake_case")]
pub enum TokenType {
    /// `TokenPrimary` (1): a process token.
    Primary,
    /// `TokenImpersonation` (2) at a level.
    Impersonation(ImpersonationLevel),
}

impl TokenType {
    /// The impersonation level, for impersonation tokens.
    pub fn level(self) -> Option<ImpersonationLevel> {
        match self {
            TokenType::Primary => None,
            TokenType::Impersonation(level) => Some(level),
        }
    }
}

/// `TOKEN_ELEVATION_TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElevationType {
    /// `TokenElevationTypeDefault` (1): no split token.
    Default,
    /// `TokenElevationTypeFull` (2): the elevated half of a split token.
    Full,
    /// `TokenElevationTypeLimited` (3): the UAC filtered half.
    Limited,
}

/// A mandatory integrity level: the RID of an `S-1-16-x` SID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IntegrityLevel(pub u32);

impl IntegrityLevel {
    /// Untrusted (0x0000).
    pub const UNTRUSTED: IntegrityLevel = IntegrityLevel(0x0000);
    /// Low (0x1000).
    pub const LOW: IntegrityLevel = IntegrityLevel(0x1000);
    /// Medium (0x2000): standard users and unlabelled objects.
    pub const MEDIUM: IntegrityLevel = IntegrityLevel(0x2000);
    /// Medium Plus (0x2100).
    pub const MEDIUM_PLUS: IntegrityLevel = IntegrityLevel(0x2100);
    /// High (0x3000): elevated administrators.
    pub const HIGH: IntegrityLevel = IntegrityLevel(0x3000);
    /// System (0x4000): services and SYSTEM.
    pub const SYSTEM: IntegrityLevel = IntegrityLevel(0x4000);
    /// Protected process (0x5000).
    pub const PROTECTED: IntegrityLevel = IntegrityLevel(0x5000);

    /// Names the token file accepts.
    pub const NAMES: &'static [(&'static str, IntegrityLevel)] = &[
        ("untrusted", IntegrityLevel::UNTRUSTED),
        ("low", IntegrityLevel::LOW),
        ("medium", IntegrityLevel::MEDIUM),
        ("medium_plus", IntegrityLevel::MEDIUM_PLUS),
        ("high", IntegrityLevel::HIGH),
        ("system", IntegrityLevel::SYSTEM),
        ("protected", IntegrityLevel::PROTECTED),
    ];

    /// The label SID `S-1-16-rid`.
    pub fn sid(self) -> Sid {
        sids::integrity(self.0)
    }

    /// The level of an `S-1-16-rid` SID.
    pub fn from_sid(sid: &Sid) -> Option<IntegrityLevel> {
        match (sid.authority(), sid.sub_authorities()) {
            (16, [rid]) => Some(IntegrityLevel(*rid)),
            _ => None,
        }
    }

    /// Parses a name (`medium`) or an `S-1-16-x` SID / alias (`ME`).
    pub fn parse(text: &str) -> Option<IntegrityLevel> {
        if let Some((_, level)) = IntegrityLevel::NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(text))
        {
            return Some(*level);
        }
        text.parse::<Sid>()
            .ok()
            .and_then(|s| IntegrityLevel::from_sid(&s))
    }
}

impl fmt::Display for IntegrityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match IntegrityLevel::NAMES.iter().find(|(_, l)| l == self) {
            Some((name, _)) => write!(f, "{name} (S-1-16-{})", self.0),
            None => write!(f, "S-1-16-{}", self.0),
        }
    }
}

impl Serialize for IntegrityLevel {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.sid())
    }
}

/// `TOKEN_MANDATORY_POLICY` bits.
pub mod mandatory_policy {
    /// `TOKEN_MANDATORY_POLICY_OFF`.
    pub const OFF: u32 = 0;
    /// `TOKEN_MANDATORY_POLICY_NO_WRITE_UP`: the integrity check runs.
    pub const NO_WRITE_UP: u32 = 0x1;
    /// `TOKEN_MANDATORY_POLICY_NEW_PROCESS_MIN`.
    pub const NEW_PROCESS_MIN: u32 = 0x2;
    /// What Windows gives ordinary tokens.
    pub const DEFAULT: u32 = NO_WRITE_UP | NEW_PROCESS_MIN;
}

/// An access token.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Token {
    /// `TokenUser`: the user SID (its attributes may only be deny-only).
    pub user: Group,
    /// `TokenGroups`, without the integrity label (kept in `integrity`).
    pub groups: Vec<Group>,
    /// `TokenPrivileges`.
    pub privileges: Vec<PrivilegeEntry>,
    /// `TokenOwner`: default owner for new objects.
    pub owner: Sid,
    /// `TokenPrimaryGroup`.
    pub primary_group: Sid,
    /// `TokenDefaultDacl` (may be NULL).
    pub default_dacl: Option<Acl>,
    /// `TokenType` and, for impersonation tokens, the level.
    pub token_type: TokenType,
    /// `TokenIntegrityLevel`.
    pub integrity: IntegrityLevel,
    /// `TokenMandatoryPolicy`.
    pub mandatory_policy: u32,
    /// `TokenRestrictedSids`: the restricting SIDs of a restricted token.
    pub restricted_sids: Vec<Group>,
    /// `TokenSessionId`: the terminal-services session.
    pub session_id: u32,
    /// `AuthenticationId`: the logon session LUID.
    pub logon_session: u64,
    /// `TokenId`: this token object's identity.
    pub token_id: u64,
    /// `TokenElevationType`.
    pub elevation_type: ElevationType,
    /// `TokenLinkedToken`: the `token_id` of the other half of a split token.
    pub linked_token: Option<u64>,
    /// `TokenDeviceGroups`: the device's groups (compound identity), which
    /// `Device_Member_of` tests.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_groups: Vec<Group>,
    /// `TokenUserClaimAttributes`: the `@User.` attributes of conditional ACEs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub user_claims: Vec<Claim>,
    /// `TokenDeviceClaimAttributes`: the `@Device.` attributes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_claims: Vec<Claim>,
    /// Local attributes a resource manager supplies (bare names in
    /// conditions); a token from LSA has none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub local_claims: Vec<Claim>,
}

impl Token {
    /// A minimal token for `user`: no groups, no privileges, medium
    /// integrity, an impersonation token at `SecurityImpersonation`, owner
    /// and primary group the user.
    pub fn new(user: Sid) -> Token {
        Token {
            owner: user.clone(),
            primary_group: user.clone(),
            user: Group {
                sid: user,
                attributes: 0,
            },
            groups: Vec::new(),
            privileges: Vec::new(),
            default_dacl: None,
            token_type: TokenType::Impersonation(ImpersonationLevel::Impersonation),
            integrity: IntegrityLevel::MEDIUM,
            mandatory_policy: mandatory_policy::DEFAULT,
            restricted_sids: Vec::new(),
            session_id: 0,
            logon_session: 0,
            token_id: 0,
            elevation_type: ElevationType::Default,
            linked_token: None,
            device_groups: Vec::new(),
            user_claims: Vec::new(),
            device_claims: Vec::new(),
            local_claims: Vec::new(),
        }
    }

    /// True when the user SID is usable for allow ACEs (not deny-only).
    pub fn user_enabled(&self) -> bool {
        self.user.attributes & group_attrs::USE_FOR_DENY_ONLY == 0
    }

    /// Every SID that matches allow ACEs: the user unless deny-only, and
    /// every enabled group.
    pub fn enabled_sids(&self) -> impl Iterator<Item = &Sid> {
        let user = self.user_enabled().then_some(&self.user.sid);
        user.into_iter().chain(
            self.groups
                .iter()
                .filter(|g| g.is_enabled())
                .map(|g| &g.sid),
        )
    }

    /// True when `sid` matches an allow ACE for this token.
    pub fn matches_for_allow(&self, sid: &Sid) -> bool {
        self.enabled_sids().any(|s| s == sid)
    }

    /// True when `sid` matches a deny ACE: the user, enabled groups and
    /// deny-only groups.
    pub fn matches_for_deny(&self, sid: &Sid) -> bool {
        self.user.sid == *sid
            || self
                .groups
                .iter()
                .any(|g| g.sid == *sid && g.counts_for_deny())
    }

    /// `CheckTokenMembership` semantics: enabled membership only.
    pub fn is_member(&self, sid: &Sid) -> bool {
        self.matches_for_allow(sid)
    }

    /// The group entry for `sid`, if the token has one.
    pub fn group(&self, sid: &Sid) -> Option<&Group> {
        self.groups.iter().find(|g| g.sid == *sid)
    }

    /// True when BUILTIN\Administrators is present and enabled (a UAC
    /// filtered token has it deny-only, which does not count).
    pub fn has_enabled_administrators(&self) -> bool {
        self.is_member(&sids::builtin_administrators())
    }

    /// True when the privilege is present and enabled.
    pub fn privilege_enabled(&self, privilege: Privilege) -> bool {
        self.privileges
            .iter()
            .any(|p| p.privilege == privilege && p.is_enabled())
    }

    /// True when the privilege is present, enabled or not.
    pub fn has_privilege(&self, privilege: Privilege) -> bool {
        self.privileges.iter().any(|p| p.privilege == privilege)
    }

    /// True when the token carries restricting SIDs.
    pub fn is_restricted(&self) -> bool {
        !self.restricted_sids.is_empty()
    }

    /// True when the token is write-restricted (`S-1-5-33` among the
    /// restricting SIDs): the restricted pass then applies to writes only.
    pub fn is_write_restricted(&self) -> bool {
        self.restricted_sids
            .iter()
            .any(|g| g.sid == sids::write_restricted())
    }

    /// The impersonation level, for impersonation tokens.
    pub fn impersonation_level(&self) -> Option<ImpersonationLevel> {
        self.token_type.level()
    }

    /// The UAC filtered ("limited") twin of an administrator's full token
    /// (MSDN "Creating a Filtered Token"): BUILTIN\Administrators and the
    /// other privileged groups become deny-only, every privilege outside
    /// [`Privilege::FILTERED_TOKEN_KEEPS`] is removed, the integrity level
    /// drops to Medium, the owner becomes the user, and the elevation type
    /// is Limited. `linked_token` is left for the caller to set.
    pub fn uac_filtered(&self) -> Token {
        let mut t = self.clone();
        for g in &mut t.groups {
            if is_uac_privileged_group(&g.sid) {
                g.attributes = group_attrs::USE_FOR_DENY_ONLY;
            }
            g.attributes &= !group_attrs::OWNER;
        }
        t.privileges
            .retain(|p| Privilege::FILTERED_TOKEN_KEEPS.contains(&p.privilege));
        t.integrity = IntegrityLevel::MEDIUM;
        t.owner = t.user.sid.clone();
        t.elevation_type = ElevationType::Limited;
        t.linked_token = None;
        t
    }

    /// `CreateRestrictedToken`: groups (or the user) in `disable` become
    /// deny-only, privileges in `delete` are removed, `restrict` becomes
    /// the restricting SIDs. A token that is already restricted keeps only
    /// the restricting SIDs both lists name (an empty `restrict` keeps its
    /// list; nothing in common leaves only the NULL SID, so it stays
    /// restricted). SIDs and privileges the token lacks are ignored. Type
    /// and level are kept.
    pub fn restricted(&self, disable: &[Sid], delete: &[Privilege], restrict: &[Sid]) -> Token {
        let mut t = self.clone();
        if disable.contains(&t.user.sid) {
            t.user.attributes = group_attrs::USE_FOR_DENY_ONLY;
        }
        for g in &mut t.groups {
            if disable.contains(&g.sid) {
                g.attributes = (g.attributes
                    & !(group_attrs::ENABLED
                        | group_attrs::ENABLED_BY_DEFAULT
                        | group_attrs::OWNER))
                    | group_attrs::USE_FOR_DENY_ONLY;
            }
        }
        t.privileges.retain(|p| !delete.contains(&p.privilege));
        if restrict.is_empty() {
            // The existing restricting SIDs, if any, stay as they are.
        } else if t.restricted_sids.is_empty() {
            for sid in restrict {
                if !t.restricted_sids.iter().any(|g| g.sid == *sid) {
                    t.restricted_sids.push(Group::enabled(sid.clone()));
                }
            }
        } else {
            // Restricting a restricted token keeps only the SIDs both lists
            // name, so it can never reach more than the token it came from.
            t.restricted_sids.retain(|g| restrict.contains(&g.sid));
            if t.restricted_sids.is_empty() {
                // Nothing in common: the token stays restricted and its
                // restricted pass matches nobody (the NULL SID, S-1-0-0).
                t.restricted_sids.push(Group::enabled(sids::null()));
            }
        }
        t
    }
}

/// Groups UAC turns deny-only in a filtered token (MSDN-UAC: the
/// administrators and operators aliases and the domain admin groups).
pub fn is_uac_privileged_group(sid: &Sid) -> bool {
    match (sid.authority(), sid.sub_authorities()) {
        // Administrators, Power Users, Account/Server/Print/Backup Operators,
        // Network Configuration Operators... the builtin privileged aliases.
        (5, [32, rid]) => matches!(rid, 544 | 547 | 548 | 549 | 550 | 551 | 552 | 556 | 578),
        // Domain Admins, Cert Publishers, Schema Admins, Enterprise Admins,
        // Group Policy Creator Owners, Key Admins, Enterprise Key Admins.
        (5, [21, _, _, _, rid]) => matches!(rid, 512 | 517 | 518 | 519 | 520 | 526 | 527),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin() -> Token {
        let mut t = Token::new("S-1-5-21-1-2-3-1001".parse().unwrap());
        t.groups.push(Group {
            sid: sids::builtin_administrators(),
            attributes: group_attrs::DEFAULT | group_attrs::OWNER,
        });
        t.groups.push(Group::enabled(sids::everyone()));
        t.privileges = [
            Privilege::Backup,
            Privilege::ChangeNotify,
            Privilege::Impersonate,
        ]
        .iter()
        .map(|p| PrivilegeEntry {
            privilege: *p,
            attributes: privilege_attrs::ENABLED,
        })
        .collect();
        t.integrity = IntegrityLevel::HIGH;
        t.owner = sids::builtin_administrators();
        t.elevation_type = ElevationType::Full;
        t
    }

    #[test]
    fn uac_filtered_token_has_admins_deny_only() {
        let full = admin();
        assert!(full.has_enabled_administrators());
        let limited = full.uac_filtered();
        assert!(!limited.has_enabled_administrators());
        assert!(limited.matches_for_deny(&sids::builtin_administrators()));
        assert_eq!(limited.integrity, IntegrityLevel::MEDIUM);
        assert_eq!(limited.elevation_type, ElevationType::Limited);
        assert!(!limited.has_privilege(Privilege::Backup));
        assert!(!limited.has_privilege(Privilege::Impersonate));
        assert!(limited.privilege_enabled(Privilege::ChangeNotify));
        assert_eq!(limited.owner, limited.user.sid);
    }

    #[test]
    fn restricted_token_keeps_type_and_makes_deny_only() {
        let t = admin().restricted(
            &[sids::everyone()],
            &[Privilege::Backup],
            &[sids::everyone()],
        );
        assert!(!t.is_member(&sids::everyone()));
        assert!(t.matches_for_deny(&sids::everyone()));
        assert!(!t.has_privilege(Privilege::Backup));
        assert!(t.is_restricted());
        assert_eq!(t.token_type, admin().token_type);
    }

    #[test]
    fn restricting_a_restricted_token_intersects_its_restricting_sids() {
        let users = sids::builtin_users();
        let once = admin().restricted(&[], &[], &[sids::everyone(), users.clone()]);
        let sids_of = |t: &Token| {
            t.restricted_sids
                .iter()
                .map(|g| g.sid.clone())
                .collect::<Vec<_>>()
        };
        // A SID the first restriction did not name is not added back.
        let twice = once.restricted(&[], &[], &[users.clone(), sids::interactive()]);
        assert_eq!(sids_of(&twice), vec![users]);
        // No new list: the old one stays.
        assert_eq!(sids_of(&once.restricted(&[], &[], &[])), sids_of(&once));
        // Nothing in common: still restricted, matching nobody.
        let none = once.restricted(&[], &[], &[sids::interactive()]);
        assert!(none.is_restricted());
        assert_eq!(sids_of(&none), vec![sids::null()]);
    }

    #[test]
    fn privilege_names_resolve_in_short_forms() {
        assert_eq!(
            Privilege::from_name("SeBackupPrivilege"),
            Some(Privilege::Backup)
        );
        assert_eq!(Privilege::from_name("sebackup"), Some(Privilege::Backup));
        assert_eq!(Privilege::from_name("Backup"), Some(Privilege::Backup));
        assert_eq!(Privilege::from_name("SeNothing"), None);
        assert_eq!(Privilege::Impersonate.luid(), 29);
    }
}
