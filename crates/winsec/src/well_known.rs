//! Well-known SIDs: their names, their SDDL two-letter aliases, their
//! `WELL_KNOWN_SID_TYPE` indices, and the domain-relative aliases.
//!
//! The table is [MS-WKS] (aliases as Windows encodes them,
//! captured from Windows-produced descriptor bytes; indices from
//! `CreateWellKnownSid`). Domain-relative aliases (`LA`, `DA`, ...) resolve
//! against a [`DomainContext`], which the caller supplies.

use crate::sid::Sid;

/// One row of the well-known SID table.
#[derive(Debug, Clone, Copy)]
pub struct WellKnownSid {
    /// Identifier authority.
    pub authority: u64,
    /// Sub-authorities.
    pub sub_authorities: &'static [u32],
    /// The name Windows shows (`BUILTIN\Administrators`).
    pub name: &'static str,
    /// The SDDL alias, where Windows has one.
    pub alias: Option<&'static str>,
    /// The `WELL_KNOWN_SID_TYPE` index, where one is recorded.
    pub wks_index: Option<u32>,
}

impl WellKnownSid {
    /// The SID of this row.
    pub fn sid(&self) -> Sid {
        Sid::known(self.authority, self.sub_authorities)
    }
}

macro_rules! wk {
    ($auth:literal, [$($sub:literal),*], $name:literal, $alias:expr, $idx:expr) => {
        WellKnownSid { authority: $auth, sub_authorities: &[$($sub),*], name: $name, alias: $alias, wks_index: $idx }
    };
}

/// Every machine-independent well-known SID the model knows.
pub const WELL_KNOWN_SIDS: &[WellKnownSid] = &[
    wk!(0, [0], "NULL SID", None, Some(0)),
    wk!(1, [0], "Everyone", Some("WD"), Some(1)),
    wk!(2, [0], "LOCAL", None, Some(2)),
    wk!(2, [1], "CONSOLE LOGON", None, Some(81)),
    wk!(3, [0], "CREATOR OWNER", Some("CO"), Some(3)),
    wk!(3, [1], "CREATOR GROUP", Some("CG"), Some(4)),
    wk!(3, [2], "CREATOR OWNER SERVER", None, Some(5)),
    wk!(3, [3], "CREATOR GROUP SERVER", None, Some(6)),
    wk!(3, [4], "OWNER RIGHTS", Some("OW"), Some(71)),
    wk!(5, [1], "NT AUTHORITY\\DIALUP", None, None),
    wk!(5, [2], "NT AUTHORITY\\NETWORK", Some("NU"), Some(9)),
    wk!(5, [3], "NT AUTHORITY\\BATCH", None, Some(10)),
    wk!(5, [4], "NT AUTHORITY\\INTERACTIVE", Some("IU"), Some(11)),
    wk!(5, [6], "NT AUTHORITY\\SERVICE", Some("SU"), Some(12)),
    wk!(
        5,
        [7],
        "NT AUTHORITY\\ANONYMOUS LOGON",
        Some("AN"),
        Some(13)
    ),
    wk!(5, [8], "NT AUTHORITY\\PROXY", None, Some(14)),
    wk!(
        5,
        [9],
        "NT AUTHORITY\\ENTERPRISE DOMAIN CONTROLLERS",
        Some("ED"),
        Some(15)
    ),
    wk!(5, [10], "NT AUTHORITY\\SELF", Some("PS"), Some(16)),
    wk!(
        5,
        [11],
        "NT AUTHORITY\\Authenticated Users",
        Some("AU"),
        Some(17)
    ),
    wk!(5, [12], "NT AUTHORITY\\RESTRICTED", Some("RC"), Some(18)),
    wk!(
        5,
        [13],
        "NT AUTHORITY\\TERMINAL SERVER USER",
        None,
        Some(19)
    ),
    wk!(
        5,
        [14],
        "NT AUTHORITY\\REMOTE INTERACTIVE LOGON",
        None,
        Some(20)
    ),
    wk!(5, [15], "NT AUTHORITY\\This Organization", None, None),
    wk!(5, [17], "NT AUTHORITY\\IUSR", None, Some(63)),
    wk!(5, [18], "NT AUTHORITY\\SYSTEM", Some("SY"), Some(22)),
    wk!(5, [19], "NT AUTHORITY\\LOCAL SERVICE", Some("LS"), Some(23)),
    wk!(
        5,
        [20],
        "NT AUTHORITY\\NETWORK SERVICE",
        Some("NS"),
        Some(24)
    ),
    wk!(5, [32], "BUILTIN", None, Some(25)),
    wk!(
        5,
        [32, 544],
        "BUILTIN\\Administrators",
        Some("BA"),
        Some(26)
    ),
    wk!(5, [32, 545], "BUILTIN\\Users", Some("BU"), Some(27)),
    wk!(5, [32, 546], "BUILTIN\\Guests", Some("BG"), Some(28)),
    wk!(5, [32, 547], "BUILTIN\\Power Users", Some("PU"), Some(29)),
    wk!(
        5,
        [32, 548],
        "BUILTIN\\Account Operators",
        Some("AO"),
        Some(30)
    ),
    wk!(
        5,
        [32, 549],
        "BUILTIN\\Server Operators",
        Some("SO"),
        Some(31)
    ),
    wk!(
        5,
        [32, 550],
        "BUILTIN\\Print Operators",
        Some("PO"),
        Some(32)
    ),
    wk!(
        5,
        [32, 551],
        "BUILTIN\\Backup Operators",
        Some("BO"),
        Some(33)
    ),
    wk!(5, [32, 552], "BUILTIN\\Replicator", Some("RE"), Some(34)),
    wk!(
        5,
        [32, 554],
        "BUILTIN\\Pre-Windows 2000 Compatible Access",
        Some("RU"),
        Some(35)
    ),
    wk!(
        5,
        [32, 555],
        "BUILTIN\\Remote Desktop Users",
        Some("RD"),
        Some(36)
    ),
    wk!(
        5,
        [32, 556],
        "BUILTIN\\Network Configuration Operators",
        Some("NO"),
        Some(37)
    ),
    wk!(
        5,
        [32, 558],
        "BUILTIN\\Performance Monitor Users",
        Some("MU"),
        None
    ),
    wk!(
        5,
        [32, 559],
        "BUILTIN\\Performance Log Users",
        Some("LU"),
        None
    ),
    wk!(5, [32, 568], "BUILTIN\\IIS_IUSRS", Some("IS"), Some(62)),
    wk!(
        5,
        [32, 569],
        "BUILTIN\\Cryptographic Operators",
        Some("CY"),
        None
    ),
    wk!(5, [32, 573], "BUILTIN\\Event Log Readers", Some("ER"), None),
    wk!(
        5,
        [32, 574],
        "BUILTIN\\Certificate Service DCOM Access",
        Some("CD"),
        None
    ),
    wk!(
        5,
        [32, 575],
        "BUILTIN\\RDS Remote Access Servers",
        Some("RA"),
        None
    ),
    wk!(
        5,
        [32, 576],
        "BUILTIN\\RDS Endpoint Servers",
        Some("ES"),
        None
    ),
    wk!(
        5,
        [32, 577],
        "BUILTIN\\RDS Management Servers",
        Some("MS"),
        None
    ),
    wk!(
        5,
        [32, 578],
        "BUILTIN\\Hyper-V Administrators",
        Some("HA"),
        None
    ),
    wk!(
        5,
        [32, 579],
        "BUILTIN\\Access Control Assistance Operators",
        Some("AA"),
        None
    ),
    wk!(
        5,
        [32, 580],
        "BUILTIN\\Remote Management Users",
        Some("RM"),
        None
    ),
    wk!(
        5,
        [33],
        "NT AUTHORITY\\WRITE RESTRICTED",
        Some("WR"),
        Some(70)
    ),
    wk!(
        5,
        [84, 0, 0, 0, 0, 0],
        "NT AUTHORITY\\USER MODE DRIVERS",
        Some("UD"),
        None
    ),
    wk!(
        15,
        [2, 1],
        "APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES",
        Some("AC"),
        Some(84)
    ),
    wk!(
        16,
        [0],
        "Mandatory Label\\Untrusted Mandatory Level",
        None,
        Some(65)
    ),
    wk!(
        16,
        [4096],
        "Mandatory Label\\Low Mandatory Level",
        Some("LW"),
        Some(66)
    ),
    wk!(
        16,
        [8192],
        "Mandatory Label\\Medium Mandatory Level",
        Some("ME"),
        Some(67)
    ),
    wk!(
        16,
        [8448],
        "Mandatory Label\\Medium Plus Mandatory Level",
        Some("MP"),
        Some(79)
    ),
    wk!(
        16,
        [12288],
        "Mandatory Label\\High Mandatory Level",
        Some("HI"),
        Some(68)
    ),
    wk!(
        16,
        [16384],
        "Mandatory Label\\System Mandatory Level",
        Some("SI"),
        Some(69)
    ),
    wk!(
        16,
        [20480],
        "Mandatory Label\\Protected Process Mandatory Level",
        None,
        None
    ),
    wk!(
        18,
        [1],
        "Authentication authority asserted identity",
        Some("AS"),
        None
    ),
    wk!(18, [2], "Service asserted identity", Some("SS"), None),
];

/// Which domain a domain-relative alias is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainKind {
    /// The local machine's account domain (`LA`, `LG`).
    Machine,
    /// The Active Directory domain (`DA`, `DU`, ...), also used for the
    /// forest root's groups (`EA`, `SA`, `EK`, `RO`).
    Domain,
}

/// One domain-relative alias: the alias, its RID, the account's usual name.
#[derive(Debug, Clone, Copy)]
pub struct DomainAlias {
    /// SDDL alias.
    pub alias: &'static str,
    /// Relative identifier appended to the domain SID.
    pub rid: u32,
    /// The domain it is relative to.
    pub domain: DomainKind,
    /// The account name Windows gives it.
    pub name: &'static str,
}

/// Domain-relative SDDL aliases (MS-SIDSTR; RIDs per MS-DTYP 2.4.2.4).
pub const DOMAIN_ALIASES: &[DomainAlias] = &[
    DomainAlias {
        alias: "LA",
        rid: 500,
        domain: DomainKind::Machine,
        name: "Administrator",
    },
    DomainAlias {
        alias: "LG",
        rid: 501,
        domain: DomainKind::Machine,
        name: "Guest",
    },
    DomainAlias {
        alias: "RO",
        rid: 498,
        domain: DomainKind::Domain,
        name: "Enterprise Read-only Domain Controllers",
    },
    DomainAlias {
        alias: "DA",
        rid: 512,
        domain: DomainKind::Domain,
        name: "Domain Admins",
    },
    DomainAlias {
        alias: "DU",
        rid: 513,
        domain: DomainKind::Domain,
        name: "Domain Users",
    },
    DomainAlias {
        alias: "DG",
        rid: 514,
        domain: DomainKind::Domain,
        name: "Domain Guests",
    },
    DomainAlias {
        alias: "DC",
        rid: 515,
        domain: DomainKind::Domain,
        name: "Domain Computers",
    },
    DomainAlias {
        alias: "DD",
        rid: 516,
        domain: DomainKind::Domain,
        name: "Domain Controllers",
    },
    DomainAlias {
        alias: "CA",
        rid: 517,
        domain: DomainKind::Domain,
        name: "Cert Publishers",
    },
    DomainAlias {
        alias: "SA",
        rid: 518,
        domain: DomainKind::Domain,
        name: "Schema Admins",
    },
    DomainAlias {
        alias: "EA",
        rid: 519,
        domain: DomainKind::Domain,
        name: "Enterprise Admins",
    },
    DomainAlias {
        alias: "PA",
        rid: 520,
        domain: DomainKind::Domain,
        name: "Group Policy Creator Owners",
    },
    DomainAlias {
        alias: "CN",
        rid: 522,
        domain: DomainKind::Domain,
        name: "Cloneable Domain Controllers",
    },
    DomainAlias {
        alias: "AP",
        rid: 525,
        domain: DomainKind::Domain,
        name: "Protected Users",
    },
    DomainAlias {
        alias: "KA",
        rid: 526,
        domain: DomainKind::Domain,
        name: "Key Admins",
    },
    DomainAlias {
        alias: "EK",
        rid: 527,
        domain: DomainKind::Domain,
        name: "Enterprise Key Admins",
    },
    DomainAlias {
        alias: "RS",
        rid: 553,
        domain: DomainKind::Domain,
        name: "RAS and IAS Servers",
    },
];

/// The domains that domain-relative aliases resolve against.
///
/// A simulated host supplies its own; the default is a fixed, obviously
/// synthetic pair so that every run prints the same strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainContext {
    /// The machine's local account domain (`S-1-5-21-a-b-c`).
    pub machine: Sid,
    /// The Active Directory domain (`S-1-5-21-x-y-z`).
    pub domain: Sid,
}

impl Default for DomainContext {
    fn default() -> DomainContext {
        DomainContext {
            machine: Sid::known(5, &[21, 1_000_000_001, 1_000_000_002, 1_000_000_003]),
            domain: Sid::known(5, &[21, 2_000_000_001, 2_000_000_002, 2_000_000_003]),
        }
    }
}

impl DomainContext {
    fn base(&self, kind: DomainKind) -> &Sid {
        match kind {
            DomainKind::Machine => &self.machine,
            DomainKind::Domain => &self.domain,
        }
    }
}

/// Resolves a two-letter alias (case-insensitive) to its SID.
pub fn sid_for_alias(alias: &str, ctx: &DomainContext) -> Option<Sid> {
    if let Some(row) = WELL_KNOWN_SIDS
        .iter()
        .find(|w| w.alias.is_some_and(|a| a.eq_ignore_ascii_case(alias)))
    {
        return Some(row.sid());
    }
    DOMAIN_ALIASES
        .iter()
        .find(|d| d.alias.eq_ignore_ascii_case(alias))
        .and_then(|d| ctx.base(d.domain).with_rid(d.rid))
}

/// The alias Windows prints for `sid`, if it has one.
pub fn alias_for_sid(sid: &Sid, ctx: &DomainContext) -> Option<&'static str> {
    if let Some(row) = lookup(sid) {
        return row.alias;
    }
    DOMAIN_ALIASES
        .iter()
        .find(|d| {
            let base = ctx.base(d.domain);
            sid.is_in_domain(base) && sid.rid() == Some(d.rid)
        })
        .map(|d| d.alias)
}

/// The row of the well-known table for `sid`, if any.
pub fn lookup(sid: &Sid) -> Option<&'static WellKnownSid> {
    WELL_KNOWN_SIDS
        .iter()
        .find(|w| w.authority == sid.authority() && w.sub_authorities == sid.sub_authorities())
}

/// The name Windows shows for a well-known SID: the table's names, logon
/// session SIDs (`NT AUTHORITY\LogonSessionId_X_Y`), and the domain-relative
/// accounts of `ctx`.
pub fn name_of(sid: &Sid, ctx: &DomainContext) -> Option<String> {
    if let Some(row) = lookup(sid) {
        return Some(row.name.to_string());
    }
    if let (5, [5, x, y]) = (sid.authority(), sid.sub_authorities()) {
        return Some(format!("NT AUTHORITY\\LogonSessionId_{x}_{y}"));
    }
    DOMAIN_ALIASES
        .iter()
        .find(|d| sid.is_in_domain(ctx.base(d.domain)) && sid.rid() == Some(d.rid))
        .map(|d| match d.domain {
            DomainKind::Machine => format!("MACHINE\\{}", d.name),
            DomainKind::Domain => format!("DOMAIN\\{}", d.name),
        })
}

/// Resolves what a person may write for a SID: a SID string, an SDDL alias,
/// or a well-known name, either in full (`BUILTIN\\Administrators`,
/// `NT AUTHORITY\\SYSTEM`) or the part after the backslash
/// (`Administrators`, `SYSTEM`), case-insensitive.
pub fn resolve(text: &str, ctx: &DomainContext) -> Option<Sid> {
    if let Ok(sid) = Sid::parse_in(text, ctx) {
        return Some(sid);
    }
    let short = |name: &str| name.rsplit('\\').next().unwrap_or(name).to_string();
    WELL_KNOWN_SIDS
        .iter()
        .find(|w| w.name.eq_ignore_ascii_case(text) || short(w.name).eq_ignore_ascii_case(text))
        .map(WellKnownSid::sid)
}

/// The SID `CreateWellKnownSid` returns for a `WELL_KNOWN_SID_TYPE` index,
/// for the machine-independent types.
pub fn sid_for_wks_index(index: u32) -> Option<Sid> {
    if index == 7 {
        // WinNtAuthoritySid: `S-1-5` with no sub-authority.
        return Sid::new(5, &[]);
    }
    WELL_KNOWN_SIDS
        .iter()
        .find(|w| w.wks_index == Some(index))
        .map(WellKnownSid::sid)
}

/// Frequently used SIDs, as functions so they read like Windows names.
pub mod sids {
    use crate::sid::Sid;

    /// `S-1-0-0` NULL SID: a SID that matches nobody.
    pub fn null() -> Sid {
        Sid::known(0, &[0])
    }

    /// `S-1-1-0` Everyone (`WD`).
    pub fn everyone() -> Sid {
        Sid::known(1, &[0])
    }
    /// `S-1-2-0` LOCAL.
    pub fn local() -> Sid {
        Sid::known(2, &[0])
    }
    /// `S-1-3-0` CREATOR OWNER.
    pub fn creator_owner() -> Sid {
        Sid::known(3, &[0])
    }
    /// `S-1-3-4` OWNER RIGHTS.
    pub fn owner_rights() -> Sid {
        Sid::known(3, &[4])
    }
    /// Whether `sid` is `S-1-3-4` OWNER RIGHTS, without building one.
    pub fn is_owner_rights(sid: &Sid) -> bool {
        sid.authority() == 3 && sid.sub_authorities() == [4]
    }
    /// Whether `sid` is `S-1-5-10` PRINCIPAL SELF, without building one.
    pub fn is_principal_self(sid: &Sid) -> bool {
        sid.authority() == 5 && sid.sub_authorities() == [10]
    }
    /// `S-1-5-2` NETWORK.
    pub fn network() -> Sid {
        Sid::known(5, &[2])
    }
    /// `S-1-5-3` BATCH.
    pub fn batch() -> Sid {
        Sid::known(5, &[3])
    }
    /// `S-1-5-4` INTERACTIVE.
    pub fn interactive() -> Sid {
        Sid::known(5, &[4])
    }
    /// `S-1-5-5-x-y` the logon SID of logon session `x`,`y`.
    pub fn logon_session(x: u32, y: u32) -> Sid {
        Sid::known(5, &[5, x, y])
    }
    /// `S-1-5-6` SERVICE.
    pub fn service() -> Sid {
        Sid::known(5, &[6])
    }
    /// `S-1-5-7` ANONYMOUS LOGON.
    pub fn anonymous() -> Sid {
        Sid::known(5, &[7])
    }
    /// `S-1-5-10` PRINCIPAL SELF.
    pub fn principal_self() -> Sid {
        Sid::known(5, &[10])
    }
    /// `S-1-5-11` Authenticated Users.
    pub fn authenticated_users() -> Sid {
        Sid::known(5, &[11])
    }
    /// `S-1-5-18` LocalSystem.
    pub fn local_system() -> Sid {
        Sid::known(5, &[18])
    }
    /// `S-1-5-19` LOCAL SERVICE.
    pub fn local_service() -> Sid {
        Sid::known(5, &[19])
    }
    /// `S-1-5-20` NETWORK SERVICE.
    pub fn network_service() -> Sid {
        Sid::known(5, &[20])
    }
    /// `S-1-5-33` WRITE RESTRICTED CODE.
    pub fn write_restricted() -> Sid {
        Sid::known(5, &[33])
    }
    /// `S-1-5-32-544` BUILTIN\Administrators (`DOMAIN_ALIAS_RID_ADMINS`, `BA`).
    pub fn builtin_administrators() -> Sid {
        Sid::known(5, &[32, 544])
    }
    /// `S-1-5-32-545` BUILTIN\Users.
    pub fn builtin_users() -> Sid {
        Sid::known(5, &[32, 545])
    }
    /// `S-1-16-rid`, a mandatory integrity level.
    pub fn integrity(rid: u32) -> Sid {
        Sid::known(16, &[rid])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_unique_and_round_trip() {
        let ctx = DomainContext::default();
        let mut seen = std::collections::BTreeSet::new();
        for row in WELL_KNOWN_SIDS {
            if let Some(a) = row.alias {
                assert!(seen.insert(a), "duplicate alias {a}");
                assert_eq!(sid_for_alias(a, &ctx), Some(row.sid()));
                assert_eq!(alias_for_sid(&row.sid(), &ctx), Some(a));
            }
        }
        for d in DOMAIN_ALIASES {
            assert!(seen.insert(d.alias), "duplicate alias {}", d.alias);
            let sid = sid_for_alias(d.alias, &ctx).unwrap();
            assert_eq!(alias_for_sid(&sid, &ctx), Some(d.alias));
        }
    }

    #[test]
    fn administrators_is_dom_alias_rid_admins() {
        assert_eq!(sids::builtin_administrators().to_string(), "S-1-5-32-544");
        assert_eq!(sids::builtin_administrators().rid(), Some(0x220));
        assert_eq!(
            name_of(&sids::builtin_administrators(), &DomainContext::default()).as_deref(),
            Some("BUILTIN\\Administrators")
        );
        assert_eq!(
            name_of(&sids::logon_session(0, 999), &DomainContext::default()).as_deref(),
            Some("NT AUTHORITY\\LogonSessionId_0_999")
        );
    }
}
