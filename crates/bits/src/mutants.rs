//! Policy mutants: [`Rules`] values with one rule deliberately wrong.
//!
//! A mutant is a named function from a profile's rules to wrong rules.
//! Running the scenario library and the bounded models with a mutant's
//! rules in the world, while the invariants and expectations still judge by
//! the profile's true rules, must fail somewhere: that is how the checks
//! show they have teeth. [`MUTANTS`] is the catalog `bitsim mutants` runs;
//! [`PLANTED`] holds bugs kept for testing the explorer and the fuzzer
//! themselves.
//!
//! A mutant that changes nothing under a profile (per-call checks on a
//! profile that already checks per call) leaves that profile's rules
//! as they are.

use simos::host::HostChecks;
use winsec::AccessRules;

use crate::profile::{AccessCheckAt, Rules, ServiceChecks};

/// One deliberately wrong rule.
#[derive(Debug, Clone, Copy)]
pub struct Mutant {
    /// Stable name (`logoff-keeps-helper`).
    pub name: &'static str,
    /// What is wrong, in one line.
    pub description: &'static str,
    /// The switch or rule it breaks: an id of [`crate::profile::SWITCHES`],
    /// or of the rule tables of `winsec`, `simos` and [`crate::rules`].
    pub switch: &'static str,
    /// Turns a profile's rules into the wrong ones.
    pub mutate: fn(Rules) -> Rules,
}

impl Mutant {
    /// The mutant's rules for a profile's `rules`.
    pub fn apply(&self, rules: Rules) -> Rules {
        (self.mutate)(rules)
    }

    /// The layer whose rule it breaks: `winsec` (the access check),
    /// `simos` (LSA, impersonation, tokens) or `bits` (the service).
    pub fn layer(&self) -> &'static str {
        if self.switch.starts_with("AC-") || self.switch.starts_with("SD-") {
            "winsec"
        } else if self.switch.starts_with("BITS-") {
            "bits"
        } else {
            "simos"
        }
    }

    /// Whether the mutant changes anything under `rules`.
    pub fn changes(&self, rules: Rules) -> bool {
        self.apply(rules) != rules
    }
}

/// The mutant catalog.
pub const MUTANTS: &[Mutant] = &[
    Mutant {
        name: "logoff-keeps-helper",
        description: "the owner's logoff leaves the helper tokens of the owner's jobs in place",
        switch: "BITS-LOGOFF-DROPS-HELPER",
        mutate: |r| Rules {
            logoff_drops_helper: false,
            ..r
        },
    },
    Mutant {
        name: "token-loss-leaves-job-running",
        description: "a discarded helper token leaves the job in its state instead of ERROR with BG_E_TOKEN_REQUIRED",
        switch: "BITS-TOKEN-REQUIRED",
        mutate: |r| Rules {
            token_loss_fails_job: false,
            ..r
        },
    },
    Mutant {
        name: "session-end-keeps-helper",
        description: "the end of a terminal-services session leaves the helper tokens captured in it",
        switch: "BITS-TS-END-DROPS-HELPER",
        mutate: |r| Rules {
            ts_end_drops_helper: false,
            ..r
        },
    },
    Mutant {
        name: "per-call-checks-on-win7",
        description: "Windows 7 and later check the caller's current identity on every call instead of at QueryInterface",
        switch: "BITS-ACCESS-CHECK-AT",
        mutate: |r| {
            if r.token_options {
                Rules {
                    access_check: AccessCheckAt::EveryCall,
                    ..r
                }
            } else {
                r
            }
        },
    },
    Mutant {
        name: "check-at-qi-on-vista",
        description: "Vista checks access once at QueryInterface instead of on every call",
        switch: "BITS-ACCESS-CHECK-AT",
        mutate: |r| {
            if r.token_options {
                r
            } else {
                Rules {
                    access_check: AccessCheckAt::QueryInterface,
                    ..r
                }
            }
        },
    },
    Mutant {
        name: "1607-rule-before-1607",
        description: "releases before Windows 10 1607 already let a non-administrator owner set a helper token",
        switch: "BITS-1607-NON-ADMIN-HELPER",
        mutate: |r| Rules {
            non_admin_helper_token: r.token_options,
            ..r
        },
    },
    Mutant {
        name: "1607-without-admin-condition",
        description: "the 1607 rule without condition (b): a non-administrator may set a helper token with Administrators enabled",
        switch: "BITS-1607-B",
        mutate: |r| Rules {
            admin_condition: false,
            ..r
        },
    },
    Mutant {
        name: "deny-only-admin-is-admin",
        description: "a deny-only Administrators SID (UAC-filtered token) is treated as enabled",
        switch: "BITS-ADMIN-ENABLED-SID",
        mutate: |r| Rules {
            admin_needs_enabled_sid: false,
            ..r
        },
    },
    Mutant {
        name: "network-flag-ignored",
        description: "BG_TOKEN_NETWORK is ignored: the server always sees the owner",
        switch: "BITS-NETWORK-IDENTITY",
        mutate: |r| Rules {
            network_flag_honoured: false,
            ..r
        },
    },
    Mutant {
        name: "client-cert-as-helper",
        description: "with BG_TOKEN_NETWORK set the client certificate's private key is opened as the helper token",
        switch: "BITS-CLIENT-CERT",
        mutate: |r| Rules {
            client_cert_as_owner: false,
            ..r
        },
    },
    Mutant {
        name: "elevated-jobs-open",
        description: "a job created elevated can be reached by a non-elevated caller",
        switch: "BITS-ELEVATED-JOB",
        mutate: |r| Rules {
            elevated_jobs_need_elevation: false,
            ..r
        },
    },
    Mutant {
        name: "integrity-ignored",
        description: "a caller below the owner's integrity level may change the job",
        switch: "BITS-INTEGRITY",
        mutate: |r| Rules {
            integrity_protects_jobs: false,
            ..r
        },
    },
    Mutant {
        name: "restricted-tokens-accepted",
        description: "a restricted token may create and change jobs",
        switch: "BITS-RESTRICTED-TOKEN",
        mutate: |r| Rules {
            restricted_tokens_refused: false,
            ..r
        },
    },
    Mutant {
        name: "quotas-bind-administrators",
        description: "MaxJobsPerUser and MaxFilesPerJob also apply to administrators and service accounts",
        switch: "BITS-QUOTA-EXEMPT",
        mutate: |r| Rules {
            quotas_exempt_admins: false,
            ..r
        },
    },
    Mutant {
        name: "take-ownership-keeps-credentials",
        description: "TakeOwnership keeps the previous owner's credentials, certificate, headers and command line",
        switch: "BITS-TAKEOWNERSHIP-STRIPS",
        mutate: |r| Rules {
            take_ownership_strips_credentials: false,
            ..r
        },
    },
    Mutant {
        name: "complete-files-owned-by-owner",
        description: "the files Complete renames into place belong to the job owner, not to the caller of Complete",
        switch: "BITS-COMPLETE-OWNER",
        mutate: |r| Rules {
            complete_files_owned_by_caller: false,
            ..r
        },
    },
    Mutant {
        name: "deny-aces-ignored",
        description: "the access check skips deny ACEs, so a deny ACE never refuses what a later allow ACE grants",
        switch: "AC-ACE-DENY",
        mutate: |r| Rules {
            host: HostChecks {
                access: AccessRules {
                    deny_aces: false,
                    ..r.host.access
                },
                ..r.host
            },
            ..r
        },
    },
    Mutant {
        name: "owner-rights-ace-ignored",
        description: "the owner keeps its implicit READ_CONTROL and WRITE_DAC although the DACL has an OWNER RIGHTS ACE",
        switch: "AC-OWNER-RIGHTS-ACE",
        mutate: |r| Rules {
            host: HostChecks {
                access: AccessRules {
                    owner_rights_ace: false,
                    ..r.host.access
                },
                ..r.host
            },
            ..r
        },
    },
    Mutant {
        name: "inherit-only-aces-applied",
        description: "inherit-only ACEs take part in the access check of the object that holds them",
        switch: "AC-ACE-INHERIT-ONLY",
        mutate: |r| Rules {
            host: HostChecks {
                access: AccessRules {
                    inherit_only_skipped: false,
                    ..r.host.access
                },
                ..r.host
            },
            ..r
        },
    },
    Mutant {
        name: "restricted-pass-skipped",
        description: "a restricted token is checked with its normal SIDs only, without the second pass over its restricting SIDs",
        switch: "AC-RESTRICTED-PASS",
        mutate: |r| Rules {
            host: HostChecks {
                access: AccessRules {
                    restricted_pass: false,
                    ..r.host.access
                },
                ..r.host
            },
            ..r
        },
    },
    Mutant {
        name: "integrity-check-skipped",
        description: "the mandatory integrity check is skipped, so a low-integrity token may write up",
        switch: "AC-MIC",
        mutate: |r| Rules {
            host: HostChecks {
                access: AccessRules {
                    integrity_check: false,
                    ..r.host.access
                },
                ..r.host
            },
            ..r
        },
    },
    Mutant {
        name: "disabled-privileges-grant",
        description: "a privilege the token holds grants its rights although it is not enabled",
        switch: "AC-PRIV-TAKE-OWNERSHIP",
        mutate: |r| Rules {
            host: HostChecks {
                access: AccessRules {
                    privileges_need_enabled: false,
                    ..r.host.access
                },
                ..r.host
            },
            ..r
        },
    },
    Mutant {
        name: "generic-rights-unmapped",
        description: "generic bits in an ACE are compared unmapped, so GENERIC_READ or GENERIC_ALL ACEs grant no specific right",
        switch: "AC-ACE-GENERIC-MAP",
        mutate: |r| Rules {
            host: HostChecks {
                access: AccessRules {
                    generic_mapping: false,
                    ..r.host.access
                },
                ..r.host
            },
            ..r
        },
    },
    Mutant {
        name: "deny-only-groups-allow",
        description: "a deny-only group (a UAC-filtered Administrators SID) also matches allow ACEs",
        switch: "AC-DENY-ONLY",
        mutate: |r| Rules {
            host: HostChecks {
                access: AccessRules {
                    deny_only_excluded: false,
                    ..r.host.access
                },
                ..r.host
            },
            ..r
        },
    },
    Mutant {
        name: "null-dacl-denies",
        description: "a NULL DACL is read as an empty one and grants nothing",
        switch: "AC-DACL-NULL",
        mutate: |r| Rules {
            host: HostChecks {
                access: AccessRules {
                    null_dacl_grants_all: false,
                    ..r.host.access
                },
                ..r.host
            },
            ..r
        },
    },
    Mutant {
        name: "anonymous-level-checked",
        description: "AccessCheck accepts a token at SecurityAnonymous as if it were at Identification",
        switch: "AC-ANONYMOUS-LEVEL",
        mutate: |r| Rules {
            host: HostChecks {
                access: AccessRules {
                    anonymous_refused: false,
                    ..r.host.access
                },
                ..r.host
            },
            ..r
        },
    },
    Mutant {
        name: "logon-rights-ignored",
        description: "LogonUser logs an account on whatever logon rights the machine's policy gives or denies it",
        switch: "LSA-LOGON-RIGHT",
        mutate: |r| Rules {
            host: HostChecks {
                logon_rights: false,
                ..r.host
            },
            ..r
        },
    },
    Mutant {
        name: "impersonation-never-downgraded",
        description: "a thread impersonates any token at the level asked for, without SeImpersonatePrivilege or any other allow-list condition",
        switch: "IMP-ALLOW-LIST",
        mutate: |r| Rules {
            host: HostChecks {
                impersonation_allow_list: false,
                ..r.host
            },
            ..r
        },
    },
    Mutant {
        name: "identification-opens",
        description: "a thread impersonating at Identification level may open objects",
        switch: "IMP-IDENTIFY-NO-OPEN",
        mutate: |r| Rules {
            host: HostChecks {
                identification_opens_nothing: false,
                ..r.host
            },
            ..r
        },
    },
    Mutant {
        name: "network-logon-has-credentials",
        description: "a network logon's session holds the password, so the server can reach a second machine as the client",
        switch: "LSA-LOGON-CREDENTIALS",
        mutate: |r| Rules {
            host: HostChecks {
                network_logon_without_credentials: false,
                ..r.host
            },
            ..r
        },
    },
    Mutant {
        name: "uac-token-not-split",
        description: "an administrator's interactive logon under UAC returns the full token instead of the filtered half",
        switch: "LSA-UAC-SPLIT",
        mutate: |r| Rules {
            host: HostChecks {
                uac_split: false,
                ..r.host
            },
            ..r
        },
    },
    Mutant {
        name: "duplicate-raises-level",
        description: "DuplicateToken may raise an impersonation token's level",
        switch: "TOK-DUPLICATE-LEVEL",
        mutate: |r| Rules {
            host: HostChecks {
                duplicate_keeps_level: false,
                ..r.host
            },
            ..r
        },
    },
    Mutant {
        name: "adjust-adds-privileges",
        description: "AdjustTokenPrivileges adds and enables a privilege the token does not hold",
        switch: "TOK-ADJUST-PRIVILEGES",
        mutate: |r| Rules {
            host: HostChecks {
                adjust_needs_held: false,
                ..r.host
            },
            ..r
        },
    },
    Mutant {
        name: "non-owner-reaches-job",
        description: "the job access check lets a caller that is neither the owner nor an administrator reach the job",
        switch: "BITS-OWNER-OR-ADMIN",
        mutate: |r| Rules {
            checks: ServiceChecks {
                owner_or_admin: false,
                ..r.checks
            },
            ..r
        },
    },
    Mutant {
        name: "enum-all-users-unchecked",
        description: "EnumJobs with BG_JOB_ENUM_ALL_USERS does not ask for an administrator",
        switch: "BITS-ENUM",
        mutate: |r| Rules {
            checks: ServiceChecks {
                enum_all_needs_admin: false,
                ..r.checks
            },
            ..r
        },
    },
    Mutant {
        name: "take-ownership-without-admin",
        description: "TakeOwnership does not ask for an administrator",
        switch: "BITS-TAKE-OWNERSHIP",
        mutate: |r| Rules {
            checks: ServiceChecks {
                take_ownership_needs_admin: false,
                ..r.checks
            },
            ..r
        },
    },
    Mutant {
        name: "final-jobs-found",
        description: "GetJob still finds a job in ACKNOWLEDGED or CANCELLED",
        switch: "BITS-NOT-FOUND",
        mutate: |r| Rules {
            checks: ServiceChecks {
                final_jobs_hidden: false,
                ..r.checks
            },
            ..r
        },
    },
    Mutant {
        name: "helper-token-at-identification",
        description: "SetHelperToken accepts a caller impersonating at Identification level",
        switch: "BITS-HELPER-CAPTURE",
        mutate: |r| Rules {
            checks: ServiceChecks {
                helper_needs_impersonation: false,
                ..r.checks
            },
            ..r
        },
    },
    Mutant {
        name: "helper-flags-unchecked",
        description: "SetHelperTokenFlags stores bits other than BG_TOKEN_LOCAL_FILE and BG_TOKEN_NETWORK",
        switch: "BITS-HELPER-FLAGS",
        mutate: |r| Rules {
            checks: ServiceChecks {
                helper_flags_validated: false,
                ..r.checks
            },
            ..r
        },
    },
    Mutant {
        name: "transfer-without-owner-logon",
        description: "a job transfers while its owner has no logon on the machine",
        switch: "BITS-ELIGIBLE-LOGON",
        mutate: |r| Rules {
            checks: ServiceChecks {
                owner_logon_needed: false,
                ..r.checks
            },
            ..r
        },
    },
];

/// Bugs planted to test the explorer and the fuzzer: not part of the
/// catalog `bitsim mutants` runs.
pub const PLANTED: &[Mutant] = &[Mutant {
    name: "planted-helper-outlives-owner",
    description: "neither the owner's logoff nor the end of the session discards a helper token",
    switch: "BITS-LOGOFF-DROPS-HELPER",
    mutate: |r| Rules {
        logoff_drops_helper: false,
        ts_end_drops_helper: false,
        ..r
    },
}];

/// Mutants no run can tell from the real rules in this model, kept to
/// document why they are not in the catalog: condition (a) of the 1607
/// rule is implied by the job's own access check at QueryInterface (a
/// non-administrator gets a pointer to a job only as its owner), so
/// dropping it changes no outcome (docs/decisions.md D-52).
pub const EQUIVALENT: &[Mutant] = &[
Mutant {
        name: "1607-without-owner-condition",
        description: "the 1607 rule without condition (a): the pointer need not have been obtained with the owner's SID",
        switch: "BITS-1607-A",
        mutate: |r| Rules {
            owner_condition: false,
            ..r
        },
    },
];

/// The mutant (catalog or planted) with this name.
pub fn mutant(name: &str) -> Option<&'static Mutant> {
    MUTANTS
        .iter()
        .chain(PLANTED)
        .chain(EQUIVALENT)
        .find(|m| m.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Profile, SWITCHES};

    #[test]
    fn every_mutant_changes_some_profile_and_names_a_switch() {
        for m in MUTANTS.iter().chain(PLANTED).chain(EQUIVALENT) {
            assert!(
                Profile::ALL.iter().any(|p| m.changes(p.rules())),
                "{} changes nothing",
                m.name
            );
            assert!(
                SWITCHES.iter().any(|s| s.id == m.switch)
                    || winsec::rules::rule(m.switch).is_some()
                    || simos::rules::rule(m.switch).is_some()
                    || crate::rules::RULES.iter().any(|r| r.id == m.switch),
                "{} names no switch or rule",
                m.name
            );
        }
    }

    #[test]
    fn names_are_unique_and_found() {
        let mut names: Vec<_> = MUTANTS
            .iter()
            .chain(PLANTED)
            .chain(EQUIVALENT)
            .map(|m| m.name)
            .collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            MUTANTS.len() + PLANTED.len() + EQUIVALENT.len()
        );
        assert_eq!(
            mutant("LOGOFF-KEEPS-HELPER").map(|m| m.name),
            Some("logoff-keeps-helper")
        );
        assert!(mutant("no-such").is_none());
    }

    #[test]
    fn the_catalog_spans_the_three_layers() {
        for layer in ["winsec", "simos", "bits"] {
            assert!(
                MUTANTS.iter().filter(|m| m.layer() == layer).count() >= 7,
                "{layer}"
            );
        }
        assert!(MUTANTS.len() >= 40);
    }

    #[test]
    fn per_call_mutant_spares_vista() {
        let m = mutant("per-call-checks-on-win7").map(|m| m.apply(Profile::Vista.rules()));
        assert_eq!(m, Some(Profile::Vista.rules()));
        let w7 = mutant("per-call-checks-on-win7").map(|m| m.apply(Profile::Win7.rules()));
        assert_eq!(w7.map(|r| r.access_check), Some(AccessCheckAt::EveryCall));
    }
}
