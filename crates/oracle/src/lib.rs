//! `oracle`: the invariant catalog: properties of Windows security and of the BITS
//! service that must hold on every step of a run, each with a stable id,
//! a one-line statement, its source and a check over one [`Transition`]
//! (the world before, the operation, its outcome, the world after).
//!
//! This module owns the catalog and the checks. Each check re-derives what
//! should have happened from the rule as Windows states it (the seeds and
//! the sources in docs/sources.md) and from the data the transition carries: the
//! service's events, the host's events, the value returned and the two
//! worlds. No check asks the BITS engine's own decision functions; the
//! `winsec` primitives used are queries on tokens, SIDs and masks, never
//! the access check itself. Running the checks after each step is the
//! runner's business.

mod access;
mod common;
mod helper_tokens;
mod host;
mod job_access;
mod job_rules;
mod job_states;
mod logons;

use bits::{Op, Outcome, Rules, World};

use access::*;
use helper_tokens::*;
use host::*;
use job_access::*;
use job_rules::*;
use job_states::*;
use logons::*;

/// One invariant: id, statement, source and its check.
#[derive(Debug, Clone, Copy)]
pub struct Invariant {
    /// Stable id (`INV-…`).
    pub id: &'static str,
    /// What must hold, in one line.
    pub statement: &'static str,
    /// Where the rule comes from: bibliography tags (`[HT-MSDN] ¶4`) that
    /// `docs/sources.md` resolves, or `docs/decisions.md` entries.
    pub source: &'static str,
    /// The rule ids whose behaviour this invariant re-derives and checks:
    /// a model that breaks one of them should break the invariant.
    pub guards: &'static [&'static str],
    /// The check: `Err` explains what broke, naming jobs, threads, tokens.
    pub check: fn(&Transition<'_>) -> Result<(), String>,
}

/// One step of a run as the invariants see it.
#[derive(Debug, Clone, Copy)]
pub struct Transition<'a> {
    /// The world before the operation.
    pub before: &'a World,
    /// The operation applied.
    pub op: &'a Op,
    /// What `World::apply` returned for it.
    pub outcome: &'a Outcome,
    /// The world after the operation.
    pub after: &'a World,
    /// The rules the checks judge by: the profile's. The world may run
    /// other rules (a policy mutant); the checks never read them.
    pub rules: &'a Rules,
}

/// A broken invariant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// The id of the invariant, or of the scenario property, that broke.
    pub invariant: std::borrow::Cow<'static, str>,
    /// What broke.
    pub message: String,
}

/// Checks every invariant of [`CATALOG`] in order.
pub fn check_all(t: &Transition<'_>) -> Vec<Violation> {
    CATALOG
        .iter()
        .filter_map(|inv| {
            (inv.check)(t).err().map(|message| Violation {
                invariant: inv.id.into(),
                message,
            })
        })
        .collect()
}

/// The invariant with this id.
pub fn invariant(id: &str) -> Option<&'static Invariant> {
    CATALOG.iter().find(|inv| inv.id == id)
}

/// Every invariant, in the order [`check_all`] runs them.
pub const CATALOG: &[Invariant] = &[
    Invariant {
        id: "INV-LOGOFF-DROPS-HELPER",
        statement: "once a logoff leaves a job owner without any Winlogon logon on the BITS machine, none of that owner's queued jobs still holds a helper token",
        source: "[HT-MSDN] ¶4 (When the owner … logs off, the BITS service discards any helper tokens); [HT] ¶4, [TO-SHT]; [UNC]",
        guards: &["BITS-LOGOFF-DROPS-HELPER", "BITS-LOGOFF"],
        check: logoff_drops_helper,
    },
    Invariant {
        id: "INV-TS-END-DROPS-HELPER",
        statement: "after terminal-services session S ends on the BITS machine, no queued job holds a helper token captured in S, whoever owns the job",
        source: "[HT-MSDN] ¶5 (when the owner of a terminal services session logs off … discard any helper tokens from that session); [HT]",
        guards: &["BITS-TS-END-DROPS-HELPER"],
        check: ts_end_drops_helper,
    },
    Invariant {
        id: "INV-TOKEN-REQUIRED",
        statement: "an incomplete job that loses its helper token to a logoff or a session end is in ERROR with BG_E_TOKEN_REQUIRED (a TRANSFERRED one stays TRANSFERRED), and such a job leaves ERROR only by the client's Resume, Suspend, Cancel or Complete, or by the service cancelling it",
        source: "[HT-MSDN] ¶4–5; [HT] ¶4 (refresh the token or clear the flags, then resume); [LC][J-resume]",
        guards: &["BITS-TOKEN-REQUIRED"],
        check: token_required,
    },
    Invariant {
        id: "INV-HELPER-SET-AUTHORIZED",
        statement: "a helper token or helper flags are stored only by a successful IBitsTokenOptions call on the job; unless the job's owner is an administrator, only under the 1607 rule, and then by an administrator's pointer or with (a) the owner's SID at QueryInterface and (b) no enabled Administrators SID in the helper token",
        source: "[HT] (Windows 10 1607 note, conditions a and b), [TO-SHT][TO-SHTF]",
        guards: &["BITS-TOKEN-OPTIONS", "BITS-HELPER-ADMIN", "BITS-1607-NON-ADMIN-HELPER", "BITS-1607-A", "BITS-1607-B"],
        check: helper_set_authorized,
    },
    Invariant {
        id: "INV-POINTER-GRANT",
        statement: "with the check at QueryInterface a job method is allowed or refused by the grant its pointer carries and the service does not consult the caller's current token; with per-call checks every call is decided on the identity the call presents; QueryInterface refuses exactly the callers the rules refuse",
        source: "[HT-MSDN] ¶6 (access checks on every method call before Windows 7, inside QueryInterface from Windows 7); [HT], [TO-SHT][M-getjob][SEC]",
        guards: &["BITS-ACCESS-CHECK-AT", "BITS-POINTER-CAPABILITY"],
        check: pointer_grant,
    },
    Invariant {
        id: "INV-RESOURCE-IDENTITY",
        statement: "each resource a job reaches is reached as the identity its flags select: local files as the helper under BG_TOKEN_LOCAL_FILE, remote files and proxies as the helper under BG_TOKEN_NETWORK (or with explicit credentials, or anonymously), the client certificate always as the owner, everything else as the owner (Complete's files also as its caller)",
        source: "[HT-MSDN] ¶2–3; [TO-SHTF][AUTH]; [J-complete]",
        guards: &["BITS-LOCAL-IDENTITY", "BITS-NETWORK-IDENTITY", "BITS-CLIENT-CERT"],
        check: resource_identity,
    },
    Invariant {
        id: "INV-NO-CROSS-USER",
        statement: "a caller without an enabled Administrators SID never reads or changes another user's job (GetJob, QueryInterface, job methods) and never sees another user's job in EnumJobs; BG_JOB_ENUM_ALL_USERS needs an administrator",
        source: "[M-createjob][M-getjob][M-enumjobs][SEC] (standard users cannot enumerate or modify other users' jobs)",
        guards: &["BITS-OWNER-OR-ADMIN", "BITS-ADMIN-ENABLED-SID", "BITS-ENUM"],
        check: no_cross_user,
    },
    Invariant {
        id: "INV-FINAL-STATES",
        statement: "a job in ACKNOWLEDGED or CANCELLED stays in that state",
        source: "[LC] (a job in a final state never leaves it); [W-TEST]",
        guards: &["BITS-FINAL-STATE"],
        check: final_states,
    },
    Invariant {
        id: "INV-NO-PROGRESS-WITHOUT-LOGON",
        statement: "a job's bytes transferred grow only while its owner has a Winlogon logon on the BITS machine (or is LocalSystem, LocalService or NetworkService) and the network is up",
        source: "[UNC][SVC] (BITS transfers only while the owner is logged on and a network connection exists)",
        guards: &["BITS-ELIGIBLE-LOGON", "BITS-NETWORK-LOSS"],
        check: no_progress_without_logon,
    },
    Invariant {
        id: "INV-OWNER-CHANGE",
        statement: "a job's owner changes only through a successful TakeOwnership on that job by a caller with Administrators enabled (hence elevated), who becomes the owner",
        source: "[J-takeownership]",
        guards: &["BITS-TAKE-OWNERSHIP", "BITS-TAKEOWNERSHIP-STRIPS"],
        check: owner_change,
    },
    Invariant {
        id: "INV-ACCESS-BOUNDED",
        statement: "no object access granted in a step, by a client, by a program's AccessCheck, by the BITS service or by a remote server, exceeds what the descriptor could give the token at most: the rights of its enabled privileges, the owner's READ_CONTROL|WRITE_DAC, everything for a NULL or absent DACL, and the rights of every allow ACE that applies to it (inherit-only ones aside, generic rights mapped); a grant the host logs without a mask needs that bound to be non-empty",
        source: "[MS-DACL], [MS-DTYP] 2.5.3.2; [WT] test_AccessCheck; [FSH] ch. 7; [MS-PRIV] (privileges that bypass the DACL)",
        guards: &["AC-ACE-ALLOW", "AC-ACE-GENERIC-MAP", "AC-ACE-INHERIT-ONLY", "AC-OWNER-IMPLICIT", "AC-DENY-ONLY", "AC-PRIV-BACKUP", "AC-PRIV-RESTORE", "AC-PRIV-TAKE-OWNERSHIP", "AC-PRIV-SECURITY"],
        check: access_bounded,
    },
    Invariant {
        id: "INV-ACCESS-EXACT",
        statement: "every access check a client's open, create, SetSecurity or delete runs, and every plain AccessCheck a program calls, answers what the descriptor, the token and the desired access give: the call's own refusals (primary token, Anonymous level, no owner or group, unmapped generic bits), then the integrity label, the enabled privileges, the owner's implicit rights unless an OWNER RIGHTS ACE replaces them, and the DACL walk in which the first applicable ACE decides each bit (inherit-only ACEs skipped, generic rights mapped, deny-only groups matching deny ACEs only, a NULL DACL granting everything), with a restricted token's second pass; calls with conditional or object ACEs, PRINCIPAL SELF, a write-restricted token or a privilege used below the label are not judged",
        source: "[MS-DTYP] 2.5.3.2, 2.5.3.3; [MS-AC]; [MS-DACL]; [MS-PRIV]; [MS-RESTR]; [MS-MIC]; [WT] test_AccessCheck; [FSH] ch. 7",
        guards: &["AC-TOKEN-TYPE", "AC-ANONYMOUS-LEVEL", "AC-SD-OWNER-GROUP", "AC-GENERIC-NOT-MAPPED", "AC-ZERO-DESIRED", "AC-MIC", "AC-PRIV-SECURITY", "AC-PRIV-TAKE-OWNERSHIP", "AC-PRIV-RELABEL", "AC-PRIV-BACKUP", "AC-PRIV-RESTORE", "AC-OWNER-IMPLICIT", "AC-OWNER-RIGHTS-ACE", "AC-GRANTED-EARLY", "AC-DACL-NULL", "AC-ACE-INHERIT-ONLY", "AC-ACE-GENERIC-MAP", "AC-ACE-ALLOW", "AC-ACE-DENY", "AC-DENY-ONLY", "AC-MAXIMUM-ALLOWED", "AC-IMPLICIT-DENY", "AC-RESTRICTED-PASS", "AC-GRANTED", "AC-DENIED"],
        check: access_exact,
    },
    Invariant {
        id: "INV-NO-PRIVILEGE-GAIN",
        statement: "no existing token gains a privilege, an enabled group, a higher integrity level or a higher impersonation level, no privilege is enabled except by AdjustTokenPrivileges on a token that holds it, and every thread impersonates a token the host holds",
        source: "[MS-TOK], [MS-TG], [MS-TP], [IL] (token contents are fixed once made); [ATP] (cannot add privileges)",
        guards: &["IMP-ALLOW-LIST", "IMP-DOWNGRADE", "LSA-LOGON-TOKEN-TYPE", "LSA-UAC-SPLIT"],
        check: no_privilege_gain,
    },
    Invariant {
        id: "INV-IDENTIFICATION-NEVER-OPENS",
        statement: "no access is granted to a thread acting with an impersonation token at Identification or Anonymous level",
        source: "[WCF-DI], [IL] (Identification: the server can get the identity but cannot impersonate), [WT] test_impersonation_level; [MS-AC], [WT] test_AccessCheck",
        guards: &["IMP-IDENTIFY-NO-OPEN", "AC-ANONYMOUS-LEVEL"],
        check: identification_never_opens,
    },
    Invariant {
        id: "INV-NETWORK-HOP",
        statement: "a remote server sees a user rather than ANONYMOUS LOGON only when the caller's logon session holds network credentials (password, other credentials, machine account, forwarded TGT) or Kerberos delegation the domain allows applies; a network logon never makes a session that holds the password",
        source: "[WCF-DI], [IL] (two mechanisms); [WCF-DBG], [KCD], [SFU-RBCD], [PU]",
        guards: &["LSA-LOGON-CREDENTIALS", "NET-ONE-HOP", "NET-ANONYMOUS", "NET-SESSION-CREDENTIALS", "KRB-UNCONSTRAINED", "KRB-CONSTRAINED", "KRB-RESOURCE-BASED", "NET-NTLM-NO-DELEGATION"],
        check: network_hop,
    },
    Invariant {
        id: "INV-TRANSFERRED-COMPLETE",
        statement: "a job that enters TRANSFERRED has every file complete (bytes transferred equal to a known size), and while it stays TRANSFERRED no file's progress changes",
        source: "[E-bg_job_state], [LC] (TRANSFERRED: all files done)",
        guards: &["BITS-TRANSFER"],
        check: transferred_complete,
    },
    Invariant {
        id: "INV-ERROR-RECORDED",
        statement: "a job in ERROR or TRANSIENT_ERROR has an error object with a failure code and a context, and the state change that put it there names that code",
        source: "[J-geterror] (the error object exists in ERROR and TRANSIENT_ERROR); [E-bg_error_context]",
        guards: &["BITS-ERROR-OBJECT"],
        check: error_recorded,
    },
    Invariant {
        id: "INV-HELPER-FLAGS",
        statement: "helper flags stay within BG_TOKEN_LOCAL_FILE|BG_TOKEN_NETWORK, and a stored helper token is a token the host holds, primary or at Impersonation level or above, whose SID and Administrators state the job records truly",
        source: "[HT], [TO-SHT] (SetHelperToken needs impersonate level); [TO-SHTF] (BG_TOKEN values); [HT-MSDN] ¶2",
        guards: &["BITS-HELPER-FLAGS", "BITS-HELPER-CAPTURE"],
        check: helper_flags,
    },
    Invariant {
        id: "INV-GRANT-AT-ISSUE",
        statement: "a pointer handed out by CreateJob, GetJob, QueryInterface or EnumJobs records the calling identity and, for each job it reaches, whether that identity is the owner, whether it has Administrators enabled, and the access the rules give it: owner or administrator may read, an elevated owner's job needs an elevated caller, restricted and lower-integrity callers may not change",
        source: "[HT], [TO-SHT] (condition a is about the QueryInterface caller); [M-createjob][SEC][UNC]",
        guards: &["BITS-QI-CHECK", "BITS-POINTER-CAPABILITY", "BITS-ELEVATED-JOB", "BITS-INTEGRITY", "BITS-RESTRICTED-TOKEN"],
        check: grant_at_issue,
    },
    Invariant {
        id: "INV-FINAL-HIDDEN",
        statement: "GetJob never returns and EnumJobs never lists a job in ACKNOWLEDGED or CANCELLED",
        source: "[LC] (a final job does not appear in EnumJobs); [M-getjob]",
        guards: &["BITS-FINAL-STATE", "BITS-NOT-FOUND"],
        check: final_hidden,
    },
    Invariant {
        id: "INV-STATE-LOGGED",
        statement: "every change of a job's state in a step appears in the service's events as an unbroken chain of state changes from the old state to the new one",
        source: "[LC] (each transition is an event); the trace must explain every state",
        guards: &["BITS-RESUME", "BITS-SUSPEND", "BITS-CANCEL", "BITS-COMPLETE", "BITS-SCHEDULE"],
        check: state_logged,
    },
    Invariant {
        id: "INV-CREATE-SUSPENDED",
        statement: "CreateJob makes exactly one job: SUSPENDED, without files, error or helper token, owned by the calling identity with its elevation, integrity level, administrator status and service-account status",
        source: "[LC] (CreateJob → SUSPENDED); [UNC] (the creator is the owner); [M-createjob][J4-getownerelevationstate][J4-getownerintegritylevel]",
        guards: &["BITS-CREATE"],
        check: create_suspended,
    },
    Invariant {
        id: "INV-LOGON-RIGHT",
        statement: "a LogonUser of interactive, network, batch or service type succeeds only for an account that, with the groups its token carries, holds the matching logon right in the machine's policy and not the matching deny right",
        source: "[ARC] (each logon type needs its right; the deny right overrides it); [LU]",
        guards: &["LSA-LOGON-RIGHT"],
        check: logon_right,
    },
    Invariant {
        id: "INV-IMPERSONATION-ALLOWED",
        statement: "a thread takes up a token at Impersonation or Delegation level only when its process token has SeImpersonatePrivilege enabled, or the token was made with explicit credentials in the process's logon session, or the token is of the process's own user; otherwise it gets the token at Identification",
        source: "[ILOU], [INPC], [POL-IMP]",
        guards: &["IMP-ALLOW-LIST", "IMP-DOWNGRADE"],
        check: impersonation_allowed,
    },
    Invariant {
        id: "INV-UAC-SPLIT",
        statement: "an interactive logon of a member of Administrators (other than the built-in Administrator, RID 500) on a machine with UAC returns the filtered token: Administrators not enabled, elevation type Limited, linked to an elevated token with Administrators enabled",
        source: "[MSDN-UAC]; [UAC-ATTR]",
        guards: &["LSA-UAC-SPLIT"],
        check: uac_split,
    },
    Invariant {
        id: "INV-DUPLICATE-LEVEL",
        statement: "DuplicateToken and DuplicateTokenEx never give the copy of an impersonation token a higher impersonation level than the token copied",
        source: "[WT] test_impersonation_level; [DT], [DTE]",
        guards: &["TOK-DUPLICATE-LEVEL"],
        check: duplicate_level,
    },
    Invariant {
        id: "INV-QUOTA-EXEMPT",
        statement: "CreateJob fails with BG_E_TOO_MANY_JOBS_PER_USER or BG_E_TOO_MANY_JOBS_PER_MACHINE only for a caller that is neither an administrator nor a service account, and AddFile fails with BG_E_TOO_MANY_FILES_IN_JOB only on a job whose owner is neither",
        source: "[GP] (MaxJobsPerUser, MaxJobsPerMachine, MaxFilesPerJob do not apply to administrators); [M-createjob]; [J-addfile]",
        guards: &["BITS-QUOTA", "BITS-QUOTA-EXEMPT"],
        check: quota_exempt,
    },
    Invariant {
        id: "INV-TAKE-OWNERSHIP",
        statement: "a successful TakeOwnership was called by a caller with Administrators enabled, even on a job the caller already owns, and leaves the job without credentials, a client certificate, custom headers or a notification command line",
        source: "[J-takeownership]; [J2-setcredentials]; [J2-setnotifycmdline]",
        guards: &["BITS-TAKE-OWNERSHIP", "BITS-TAKEOWNERSHIP-STRIPS"],
        check: take_ownership,
    },
    Invariant {
        id: "INV-COMPLETE-AS-CALLER",
        statement: "when a job does not use BG_TOKEN_LOCAL_FILE, the files Complete puts in place are created as the caller of Complete (who then owns them) whenever the caller has a logon on the BITS machine, not as the job's owner",
        source: "[J-complete]",
        guards: &["BITS-COMPLETE-OWNER"],
        check: complete_as_caller,
    },
];

// ---------------------------------------------------------------------------
// Reading a transition
