//! OS profiles as rule tables: `vista`, `win7`, `win10-1507`,
//! `win10-1607` and `win11` each resolve to a [`Rules`] value, a plain
//! struct of named switches. Code asks `rules.x`, never which release it
//! is; a policy mutant is a `Rules` value with one switch wrong.
//!
//! [`SWITCHES`] describes every switch with an id, a one-line statement,
//! its source and how to read it from a `Rules` value; `bitsim profiles`
//! prints it as a table (one row per switch, one column per profile).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::interfaces::{Interface, InterfaceSet, Release};
use crate::properties::JobPropertySet;

/// A Windows release with its BITS version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Profile {
    /// Windows Vista (BITS 3.0).
    #[serde(rename = "vista")]
    Vista,
    /// Windows 7 (BITS 4.0).
    #[serde(rename = "win7")]
    Win7,
    /// Windows 10 1507 (BITS 10).
    #[serde(rename = "win10-1507")]
    Win10_1507,
    /// Windows 10 1607 (BITS 10.1).
    #[serde(rename = "win10-1607")]
    Win10_1607,
    /// Windows 11.
    #[serde(rename = "win11")]
    Win11,
}

impl Profile {
    /// Every profile, oldest first.
    pub const ALL: [Profile; 5] = [
        Profile::Vista,
        Profile::Win7,
        Profile::Win10_1507,
        Profile::Win10_1607,
        Profile::Win11,
    ];

    /// The profile's name as scenarios and the CLI spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Profile::Vista => "vista",
            Profile::Win7 => "win7",
            Profile::Win10_1507 => "win10-1507",
            Profile::Win10_1607 => "win10-1607",
            Profile::Win11 => "win11",
        }
    }

    /// The Windows release the profile is, for the tables of what each
    /// release's BITS has (`win11` has everything up to BITS 10.3).
    pub const fn release(self) -> Release {
        match self {
            Profile::Vista => Release::Vista,
            Profile::Win7 => Release::Win7,
            Profile::Win10_1507 => Release::Win10_1507,
            Profile::Win10_1607 => Release::Win10_1607,
            Profile::Win11 => Release::Win10_1903,
        }
    }

    /// The rules in force on this release.
    pub const fn rules(self) -> Rules {
        let win7_or_later = !matches!(self, Profile::Vista);
        let from_1607 = matches!(self, Profile::Win10_1607 | Profile::Win11);
        Rules {
            interfaces: InterfaceSet::of_release(self.release()),
            job_properties: JobPropertySet::of_release(self.release()),
            token_options: win7_or_later,
            access_check: if win7_or_later {
                AccessCheckAt::QueryInterface
            } else {
                AccessCheckAt::EveryCall
            },
            non_admin_helper_token: from_1607,
            logoff_drops_helper: true,
            ts_end_drops_helper: true,
            elevated_jobs_need_elevation: true,
            integrity_protects_jobs: true,
            restricted_tokens_refused: true,
            quotas_exempt_admins: true,
            take_ownership_strips_credentials: true,
            complete_files_owned_by_caller: true,
            token_loss_fails_job: true,
            owner_condition: true,
            admin_condition: true,
            admin_needs_enabled_sid: true,
            network_flag_honoured: true,
            client_cert_as_owner: true,
            checks: ServiceChecks::WINDOWS,
            host: simos::host::HostChecks::WINDOWS,
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = UnknownProfile;

    fn from_str(s: &str) -> Result<Profile, UnknownProfile> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownProfile(s.to_string()))
    }
}

/// A profile name that is not one of [`Profile::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownProfile(pub String);

impl fmt::Display for UnknownProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown profile `{}`; expected one of vista, win7, win10-1507, win10-1607, win11",
            self.0
        )
    }
}

impl std::error::Error for UnknownProfile {}

/// Where BITS checks a caller's access to a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessCheckAt {
    /// On every method call, with the caller's identity at that call.
    EveryCall,
    /// Once, when the interface pointer is obtained (CreateJob, GetJob,
    /// EnumJobs, QueryInterface); later calls use what was granted then.
    QueryInterface,
}

/// The release-dependent rules of the BITS service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rules {
    /// The interfaces the service's objects answer QueryInterface for, by
    /// the interface table (IBitsTokenOptions aside: `token_options`).
    pub interfaces: InterfaceSet,
    /// The `BITS_JOB_PROPERTY_ID`s IBackgroundCopyJob5 knows.
    pub job_properties: JobPropertySet,
    /// `IBitsTokenOptions` exists (`E_NOINTERFACE` otherwise).
    pub token_options: bool,
    /// Where access to a job is checked.
    pub access_check: AccessCheckAt,
    /// A non-administrator may set a helper token under the two
    /// conditions of Windows 10 1607.
    pub non_admin_helper_token: bool,
    /// The owner's logoff discards the helper tokens of the owner's jobs.
    pub logoff_drops_helper: bool,
    /// The end of a terminal-services session discards the helper tokens
    /// captured in it.
    pub ts_end_drops_helper: bool,
    /// A job created (or taken) elevated can only be reached elevated.
    pub elevated_jobs_need_elevation: bool,
    /// A caller at a lower integrity level than the owner's cannot touch
    /// the job.
    pub integrity_protects_jobs: bool,
    /// Restricted tokens cannot create or modify jobs.
    pub restricted_tokens_refused: bool,
    /// MaxJobsPerUser and MaxFilesPerJob do not apply to administrators
    /// and service accounts.
    pub quotas_exempt_admins: bool,
    /// TakeOwnership removes credentials, the client certificate, custom
    /// headers and the notification command line.
    pub take_ownership_strips_credentials: bool,
    /// The files Complete produces belong to the caller of Complete.
    pub complete_files_owned_by_caller: bool,
    /// An incomplete job whose helper token is discarded (logoff, session
    /// end) goes to ERROR with BG_E_TOKEN_REQUIRED.
    pub token_loss_fails_job: bool,
    /// Condition (a) of the 1607 rule: the non-administrator's pointer was
    /// obtained with the owner's SID.
    pub owner_condition: bool,
    /// Condition (b) of the 1607 rule: the helper token has no enabled
    /// Administrators SID.
    pub admin_condition: bool,
    /// Only an *enabled* Administrators SID makes a caller an
    /// administrator; a deny-only one (a UAC-filtered token) does not.
    pub admin_needs_enabled_sid: bool,
    /// BG_TOKEN_NETWORK makes the engine reach the remote side as the
    /// helper token.
    pub network_flag_honoured: bool,
    /// The client certificate's private key is opened as the job owner;
    /// with BG_TOKEN_NETWORK set (and an owner other than LocalSystem) the
    /// job fails with ERROR_WINHTTP_CLIENT_CERT_NO_ACCESS_PRIVATE_KEY.
    pub client_cert_as_owner: bool,
    /// The service's own checks that no release changes, as switches
    /// (all Windows' in every profile); a policy mutant turns one off.
    #[serde(default, skip_serializing)]
    pub checks: ServiceChecks,
    /// The host's checks (access check, LSA, impersonation) the world
    /// runs under: Windows' in every profile; a policy mutant turns one
    /// off.
    #[serde(default, skip_serializing)]
    pub host: simos::host::HostChecks,
}

/// The BITS service's checks that are the same on every release, as
/// switches: [`ServiceChecks::WINDOWS`] is how the service behaves; a
/// policy mutant turns one off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ServiceChecks {
    /// Only the owner or an administrator reaches a job
    /// (`BITS-OWNER-OR-ADMIN`).
    pub owner_or_admin: bool,
    /// BG_JOB_ENUM_ALL_USERS needs an administrator (`BITS-ENUM`).
    pub enum_all_needs_admin: bool,
    /// TakeOwnership needs an administrator (`BITS-TAKE-OWNERSHIP`).
    pub take_ownership_needs_admin: bool,
    /// GetJob does not find a job in a final state (`BITS-NOT-FOUND`).
    pub final_jobs_hidden: bool,
    /// SetHelperToken needs a caller at Impersonation level or above
    /// (`BITS-HELPER-CAPTURE`).
    pub helper_needs_impersonation: bool,
    /// SetHelperTokenFlags refuses bits other than BG_TOKEN_LOCAL_FILE
    /// and BG_TOKEN_NETWORK (`BITS-HELPER-FLAGS`).
    pub helper_flags_validated: bool,
    /// A job transfers only while its owner is logged on
    /// (`BITS-ELIGIBLE-LOGON`).
    pub owner_logon_needed: bool,
}

impl ServiceChecks {
    /// The service's checks as Windows makes them.
    pub const WINDOWS: ServiceChecks = ServiceChecks {
        owner_or_admin: true,
        enum_all_needs_admin: true,
        take_ownership_needs_admin: true,
        final_jobs_hidden: true,
        helper_needs_impersonation: true,
        helper_flags_validated: true,
        owner_logon_needed: true,
    };
}

impl Default for ServiceChecks {
    /// The service's checks as Windows makes them.
    fn default() -> ServiceChecks {
        ServiceChecks::WINDOWS
    }
}

impl Default for Rules {
    /// The newest profile's rules.
    fn default() -> Rules {
        Profile::Win11.rules()
    }
}

/// One switch of [`Rules`], described for people.
///
/// A switch is either a release difference or setting of its own, with
/// its own statement and source, or the per-profile setting of one rule
/// of [`crate::rules::RULES`]: then it has that rule's id and no text of
/// its own, so each id is declared once ([`Switch::statement`] and
/// [`Switch::source`] read the rule's).
#[derive(Debug, Clone, Copy)]
pub struct Switch {
    /// Stable id.
    pub id: &'static str,
    /// What the switch decides, in one line; `None` when the switch sets
    /// the BITS rule of the same id, which states it.
    pub own_statement: Option<&'static str>,
    /// Where it comes from: bibliography tags that `docs/sources.md`
    /// resolves, or `docs/decisions.md` entries; `None` as for
    /// `own_statement`.
    pub own_source: Option<&'static str>,
    /// Its value in a `Rules`, as text.
    pub value: fn(&Rules) -> String,
}

impl Switch {
    /// The rule of [`crate::rules::RULES`] this switch sets, if it is one.
    pub fn rule(&self) -> Option<&'static simos::rules::Rule> {
        crate::rules::RULES.iter().find(|r| r.id == self.id)
    }

    /// What the switch decides: its own statement or its rule's.
    pub fn statement(&self) -> &'static str {
        self.own_statement
            .or_else(|| self.rule().map(|r| r.statement))
            .unwrap_or_default()
    }

    /// Where it comes from: its own source or its rule's.
    pub fn source(&self) -> &'static str {
        self.own_source
            .or_else(|| self.rule().map(|r| r.source))
            .unwrap_or_default()
    }
}

/// The switch with this id.
pub fn switch(id: &str) -> Option<&'static Switch> {
    SWITCHES.iter().find(|s| s.id == id)
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// The newest interface of each family the rules have, for the switch
/// table.
fn newest_interfaces(r: &Rules) -> String {
    let families: [&[Interface]; 3] = [
        &[
            Interface::Job,
            Interface::Job2,
            Interface::Job3,
            Interface::Job4,
            Interface::Job5,
        ],
        &[
            Interface::File,
            Interface::File2,
            Interface::File3,
            Interface::File4,
            Interface::File5,
            Interface::File6,
        ],
        &[
            Interface::HttpOptions,
            Interface::HttpOptions2,
            Interface::HttpOptions3,
        ],
    ];
    families
        .iter()
        .filter_map(|family| {
            family
                .iter()
                .rev()
                .find(|i| r.interfaces.contains(**i))
                .map(|i| i.name())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Switch ids as constants, for decisions that cite the switch that
/// decided them.
pub mod switch_ids {
    /// The 1607 rule for non-administrators ([`super::Rules::non_admin_helper_token`]).
    pub const NON_ADMIN_HELPER: &str = "BITS-1607-NON-ADMIN-HELPER";
    /// The owner's logoff discards helper tokens ([`super::Rules::logoff_drops_helper`]).
    pub const LOGOFF_DROPS_HELPER: &str = "BITS-LOGOFF-DROPS-HELPER";
    /// A session's end discards helper tokens ([`super::Rules::ts_end_drops_helper`]).
    pub const TS_END_DROPS_HELPER: &str = "BITS-TS-END-DROPS-HELPER";
    /// Where access to a job is checked ([`super::Rules::access_check`]).
    pub const ACCESS_CHECK_AT: &str = "BITS-ACCESS-CHECK-AT";
    /// Quotas spare administrators ([`super::Rules::quotas_exempt_admins`]).
    pub const QUOTA_EXEMPT: &str = "BITS-QUOTA-EXEMPT";
    /// TakeOwnership strips credentials
    /// ([`super::Rules::take_ownership_strips_credentials`]).
    pub const TAKEOWNERSHIP_STRIPS: &str = "BITS-TAKEOWNERSHIP-STRIPS";
}

/// Every switch of [`Rules`].
pub const SWITCHES: &[Switch] = &[
    Switch {
        id: "BITS-INTERFACES",
        own_statement: Some("the BITS interfaces the service answers QueryInterface for are those its release ships: IBackgroundCopyJob4, IBackgroundCopyFile3 and IBackgroundCopyJobHttpOptions from Vista, IBackgroundCopyFile4 from Windows 7, IBackgroundCopyJob5 and IBackgroundCopyFile5 from Windows 8, IBackgroundCopyFile6 from 1703, IBackgroundCopyJobHttpOptions2 from 1809, IBackgroundCopyJobHttpOptions3 from 1903; any other answers E_NOINTERFACE"),
        own_source: Some("[BITS-IF]; [BITS-NEW]; each interface's requirements; docs/decisions.md D-72"),
        value: newest_interfaces,
    },
    Switch {
        id: "BITS-JOB-PROPERTIES",
        own_statement: Some("the BITS_JOB_PROPERTY_ID values IBackgroundCopyJob5::GetProperty and SetProperty know: COST_FLAGS and NOTIFICATION_CLSID from Windows 8, DYNAMIC_CONTENT, HIGH_PERFORMANCE, MAX_DOWNLOAD_SIZE and USE_STORED_CREDENTIALS from Windows 10, ON_DEMAND_MODE and MINIMUM_NOTIFICATION_INTERVAL_MS from 1703; any other id gives BG_E_UNKNOWN_PROPERTY_ID"),
        own_source: Some("[E-bits_job_property_id]; [BITS-NEW] (version 10.1); docs/decisions.md D-73"),
        value: |r| {
            let ids: Vec<String> = r
                .job_properties
                .iter()
                .map(|p| p.value().to_string())
                .collect();
            if ids.is_empty() {
                "none".to_string()
            } else {
                ids.join(",")
            }
        },
    },
    Switch {
        id: crate::rules::ids::TOKEN_OPTIONS,
        own_statement: None,
        own_source: None,
        value: |r| yes_no(r.token_options),
    },
    Switch {
        id: switch_ids::ACCESS_CHECK_AT,
        own_statement: Some("where access to a job is checked: on every method call, or once inside IBackgroundCopyJob::QueryInterface"),
        own_source: Some("[HT-MSDN] ¶6 (Previous versions … every method call; Windows 7 … inside QueryInterface); [HT] (names IBackgroundCopyJob); [TO-SHT]"),
        value: |r| match r.access_check {
            AccessCheckAt::EveryCall => "every call".to_string(),
            AccessCheckAt::QueryInterface => "QueryInterface".to_string(),
        },
    },
    Switch {
        id: switch_ids::NON_ADMIN_HELPER,
        own_statement: Some("a non-administrator may set a helper token when (a) at QueryInterface its thread token's SID is the owner's and (b) the helper token has no enabled Administrators SID; before, only for a job owned by an administrator"),
        own_source: Some("[HT] (Windows 10 version 1607 note); [TO-SHT]"),
        value: |r| yes_no(r.non_admin_helper_token),
    },
    Switch {
        id: switch_ids::LOGOFF_DROPS_HELPER,
        own_statement: Some("when the job owner logs off, the helper tokens of the owner's jobs are discarded and each incomplete job that had one goes to ERROR with BG_E_TOKEN_REQUIRED"),
        own_source: Some("[HT-MSDN] ¶4; [HT]"),
        value: |r| yes_no(r.logoff_drops_helper),
    },
    Switch {
        id: switch_ids::TS_END_DROPS_HELPER,
        own_statement: Some("when a terminal-services session ends, the helper tokens captured in it are discarded, with the same effect on the jobs that held them"),
        own_source: Some("[HT-MSDN] ¶5; [HT]"),
        value: |r| yes_no(r.ts_end_drops_helper),
    },
    Switch {
        id: crate::rules::ids::ELEVATED,
        own_statement: None,
        own_source: None,
        value: |r| yes_no(r.elevated_jobs_need_elevation),
    },
    Switch {
        id: crate::rules::ids::INTEGRITY,
        own_statement: None,
        own_source: None,
        value: |r| yes_no(r.integrity_protects_jobs),
    },
    Switch {
        id: crate::rules::ids::RESTRICTED,
        own_statement: None,
        own_source: None,
        value: |r| yes_no(r.restricted_tokens_refused),
    },
    Switch {
        id: switch_ids::QUOTA_EXEMPT,
        own_statement: Some("MaxJobsPerUser and MaxFilesPerJob do not apply to administrators and service accounts"),
        own_source: Some("[GP][M-createjob][J-addfile]"),
        value: |r| yes_no(r.quotas_exempt_admins),
    },
    Switch {
        id: switch_ids::TAKEOWNERSHIP_STRIPS,
        own_statement: Some("TakeOwnership removes credentials, the client certificate, custom headers and the notification command line"),
        own_source: Some("[J-takeownership][J2-setcredentials][J2-setnotifycmdline]"),
        value: |r| yes_no(r.take_ownership_strips_credentials),
    },
    Switch {
        id: "BITS-COMPLETE-OWNER",
        own_statement: Some("the files Complete renames into place belong to the caller of Complete (an administrator completing another user's job owns them)"),
        own_source: Some("[J-complete]"),
        value: |r| yes_no(r.complete_files_owned_by_caller),
    },
    Switch {
        id: crate::rules::ids::TOKEN_REQUIRED,
        own_statement: None,
        own_source: None,
        value: |r| yes_no(r.token_loss_fails_job),
    },
    Switch {
        id: crate::rules::ids::HELPER_OWNER_AT_QI,
        own_statement: None,
        own_source: None,
        value: |r| yes_no(r.owner_condition),
    },
    Switch {
        id: crate::rules::ids::HELPER_NOT_ADMIN,
        own_statement: None,
        own_source: None,
        value: |r| yes_no(r.admin_condition),
    },
    Switch {
        id: "BITS-ADMIN-ENABLED-SID",
        own_statement: Some("a caller is an administrator for BITS only when BUILTIN\\Administrators is enabled in its token; the deny-only SID of a UAC-filtered token does not count"),
        own_source: Some("[SEC] (administrator access to other users' jobs); [MS-DACL] (a deny-only SID matches only deny ACEs); docs/decisions.md D-52"),
        value: |r| yes_no(r.admin_needs_enabled_sid),
    },
    Switch {
        id: crate::rules::ids::NETWORK_IDENTITY,
        own_statement: None,
        own_source: None,
        value: |r| yes_no(r.network_flag_honoured),
    },
    Switch {
        id: crate::rules::ids::CLIENT_CERT,
        own_statement: None,
        own_source: None,
        value: |r| yes_no(r.client_cert_as_owner),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_parse_and_print() {
        for p in Profile::ALL {
            assert_eq!(p.name().parse::<Profile>(), Ok(p));
        }
        assert!("xp".parse::<Profile>().is_err());
    }

    #[test]
    fn the_releases_differ_where_the_seeds_say() {
        assert!(!Profile::Vista.rules().token_options);
        assert_eq!(
            Profile::Vista.rules().access_check,
            AccessCheckAt::EveryCall
        );
        assert_eq!(
            Profile::Win7.rules().access_check,
            AccessCheckAt::QueryInterface
        );
        assert!(!Profile::Win10_1507.rules().non_admin_helper_token);
        assert!(Profile::Win10_1607.rules().non_admin_helper_token);
        assert!(Profile::Win11.rules().non_admin_helper_token);
    }

    #[test]
    fn every_switch_id_constant_names_a_switch() {
        for id in [
            switch_ids::NON_ADMIN_HELPER,
            switch_ids::LOGOFF_DROPS_HELPER,
            switch_ids::TS_END_DROPS_HELPER,
            switch_ids::ACCESS_CHECK_AT,
            switch_ids::QUOTA_EXEMPT,
            switch_ids::TAKEOWNERSHIP_STRIPS,
        ] {
            assert!(switch(id).is_some(), "{id}");
        }
    }

    #[test]
    fn switch_ids_are_unique() {
        let mut ids: Vec<_> = SWITCHES.iter().map(|s| s.id).collect();
        for s in SWITCHES {
            assert!(
                !s.statement().is_empty() && !s.source().is_empty(),
                "{}",
                s.id
            );
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), SWITCHES.len());
    }
}
