//! Local security policy: which SIDs hold which privilege and which logon
//! right, with Windows' defaults.
//!
//! Defaults follow Microsoft's "User Rights Assignment" reference
//! ([POL-IMP], [POL-TCB]: SeImpersonatePrivilege for
//! Administrators, LOCAL SERVICE, NETWORK SERVICE and SERVICE; SeTcbPrivilege
//! for nobody but LocalSystem, which holds every privilege inherently).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use winsec::well_known::sids;
use winsec::{Privilege, Sid};

/// A logon right (`SE_*_LOGON_NAME`) or its deny counterpart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum LogonRight {
    /// `SeInteractiveLogonRight`.
    Interactive,
    /// `SeNetworkLogonRight`.
    Network,
    /// `SeBatchLogonRight`.
    Batch,
    /// `SeServiceLogonRight`.
    Service,
    /// `SeRemoteInteractiveLogonRight`.
    RemoteInteractive,
    /// `SeDenyInteractiveLogonRight`.
    DenyInteractive,
    /// `SeDenyNetworkLogonRight`.
    DenyNetwork,
    /// `SeDenyBatchLogonRight`.
    DenyBatch,
    /// `SeDenyServiceLogonRight`.
    DenyService,
    /// `SeDenyRemoteInteractiveLogonRight`.
    DenyRemoteInteractive,
}

impl LogonRight {
    /// Every logon right.
    pub const ALL: &'static [LogonRight] = &[
        LogonRight::Interactive,
        LogonRight::Network,
        LogonRight::Batch,
        LogonRight::Service,
        LogonRight::RemoteInteractive,
        LogonRight::DenyInteractive,
        LogonRight::DenyNetwork,
        LogonRight::DenyBatch,
        LogonRight::DenyService,
        LogonRight::DenyRemoteInteractive,
    ];

    /// The Windows name (`SeNetworkLogonRight`).
    pub const fn name(self) -> &'static str {
        match self {
            LogonRight::Interactive => "SeInteractiveLogonRight",
            LogonRight::Network => "SeNetworkLogonRight",
            LogonRight::Batch => "SeBatchLogonRight",
            LogonRight::Service => "SeServiceLogonRight",
            LogonRight::RemoteInteractive => "SeRemoteInteractiveLogonRight",
            LogonRight::DenyInteractive => "SeDenyInteractiveLogonRight",
            LogonRight::DenyNetwork => "SeDenyNetworkLogonRight",
            LogonRight::DenyBatch => "SeDenyBatchLogonRight",
            LogonRight::DenyService => "SeDenyServiceLogonRight",
            LogonRight::DenyRemoteInteractive => "SeDenyRemoteInteractiveLogonRight",
        }
    }

    /// Looks a right up by its Windows name, case-insensitive.
    pub fn from_name(name: &str) -> Option<LogonRight> {
        LogonRight::ALL
            .iter()
            .copied()
            .find(|r| r.name().eq_ignore_ascii_case(name))
    }

    /// The deny right that overrides this one.
    pub const fn deny(self) -> LogonRight {
        match self {
            LogonRight::Interactive | LogonRight::DenyInteractive => LogonRight::DenyInteractive,
            LogonRight::Network | LogonRight::DenyNetwork => LogonRight::DenyNetwork,
            LogonRight::Batch | LogonRight::DenyBatch => LogonRight::DenyBatch,
            LogonRight::Service | LogonRight::DenyService => LogonRight::DenyService,
            LogonRight::RemoteInteractive | LogonRight::DenyRemoteInteractive => {
                LogonRight::DenyRemoteInteractive
            }
        }
    }
}

/// A user right: a privilege or a logon right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum UserRight {
    /// A privilege that goes into tokens.
    Privilege(Privilege),
    /// A logon right, checked at logon and never put in tokens.
    Logon(LogonRight),
}

/// The user-rights assignment of one machine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Policy {
    /// Which SIDs each right is assigned to.
    pub grants: BTreeMap<UserRight, BTreeSet<Sid>>,
}

impl Policy {
    /// Windows' default assignment for a member server or workstation.
    pub fn windows_default() -> Policy {
        let admins = sids::builtin_administrators();
        let users = sids::builtin_users();
        let backup_ops = sid(&[32, 551]);
        let everyone = sids::everyone();
        let service = sids::service();
        let local_service = sids::local_service();
        let network_service = sids::network_service();
        let remote_desktop = sid(&[32, 555]);
        let mut p = Policy::default();
        let mut give = |right: UserRight, who: &[&Sid]| {
            p.grants
                .entry(right)
                .or_default()
                .extend(who.iter().map(|s| (*s).clone()));
        };
        use Privilege as P;
        let priv_ = UserRight::Privilege;
        give(
            priv_(P::Impersonate),
            &[&admins, &local_service, &network_service, &service],
        );
        give(
            priv_(P::CreateGlobal),
            &[&admins, &local_service, &network_service, &service],
        );
        give(
            priv_(P::ChangeNotify),
            &[
                &everyone,
                &users,
                &admins,
                &backup_ops,
                &local_service,
                &network_service,
            ],
        );
        give(
            priv_(P::AssignPrimaryToken),
            &[&local_service, &network_service],
        );
        give(
            priv_(P::IncreaseQuota),
            &[&admins, &local_service, &network_service],
        );
        give(priv_(P::Audit), &[&local_service, &network_service]);
        give(priv_(P::Backup), &[&admins, &backup_ops]);
        give(priv_(P::Restore), &[&admins, &backup_ops]);
        give(priv_(P::Shutdown), &[&admins, &users, &backup_ops]);
        give(priv_(P::Undock), &[&admins, &users]);
        give(
            priv_(P::IncreaseWorkingSet),
            &[&users, &admins, &local_service],
        );
        give(priv_(P::TimeZone), &[&users, &admins, &local_service]);
        for admin_only in [
            P::Security,
            P::TakeOwnership,
            P::LoadDriver,
            P::SystemProfile,
            P::Systemtime,
            P::ProfileSingleProcess,
            P::IncreaseBasePriority,
            P::CreatePagefile,
            P::Debug,
            P::SystemEnvironment,
            P::RemoteShutdown,
            P::ManageVolume,
            P::CreateSymbolicLink,
            P::DelegateSessionUserImpersonate,
        ] {
            give(priv_(admin_only), &[&admins]);
        }
        let logon = UserRight::Logon;
        give(
            logon(LogonRight::Interactive),
            &[&admins, &users, &backup_ops],
        );
        give(
            logon(LogonRight::Network),
            &[&everyone, &admins, &users, &backup_ops],
        );
        give(
            logon(LogonRight::Batch),
            &[&admins, &backup_ops, &sid(&[32, 559])],
        );
        give(
            logon(LogonRight::Service),
            &[&local_service, &network_service, &sids::local_system()],
        );
        give(
            logon(LogonRight::RemoteInteractive),
            &[&admins, &remote_desktop],
        );
        p
    }

    /// True when any of `holder_sids` is assigned `right`.
    pub fn holds(&self, right: UserRight, holder_sids: &BTreeSet<Sid>) -> bool {
        self.grants
            .get(&right)
            .is_some_and(|who| who.iter().any(|s| holder_sids.contains(s)))
    }

    /// The privileges assigned to any of `holder_sids`, in LUID order.
    pub fn privileges_for(&self, holder_sids: &BTreeSet<Sid>) -> Vec<Privilege> {
        Privilege::ALL
            .iter()
            .copied()
            .filter(|p| self.holds(UserRight::Privilege(*p), holder_sids))
            .collect()
    }

    /// Assigns `right` to `sid`.
    pub fn grant(&mut self, right: UserRight, sid: Sid) {
        self.grants.entry(right).or_default().insert(sid);
    }

    /// Removes `right` from `sid`.
    pub fn revoke(&mut self, right: UserRight, sid: &Sid) {
        if let Some(who) = self.grants.get_mut(&right) {
            who.remove(sid);
        }
    }
}

fn sid(subs: &[u32]) -> Sid {
    Sid::new(5, subs).unwrap_or_else(sids::everyone)
}
