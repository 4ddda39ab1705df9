//! The rule table of the simulated host: every rule about logons,
//! impersonation, token duplication and restriction, processes, threads
//! and thread-token flow, with a stable id, a statement and its source.
//!
//! Outcomes cite these ids; the access-check rules themselves live in
//! `winsec::rules`.

pub use winsec::rules::Rule;

/// Declares a rule table: a module `ids` of id constants and a `RULES`
/// slice. Each module with rules of its own uses it once (the BITS crate
/// too, as `simos::rule_table!`).
#[macro_export]
macro_rules! rule_table {
    ($( $(#[$doc:meta])* $konst:ident = $id:literal : $statement:literal, $source:literal; )+) => {
        /// Rule ids as constants, so code cannot cite a rule that does not exist.
        pub mod ids {
            $( $(#[$doc])* pub const $konst: &str = $id; )+
        }

        /// The rules of this module.
        pub const RULES: &[$crate::rules::Rule] = &[
            $( $crate::rules::Rule { id: $id, statement: $statement, source: $source } ),+
        ];
    };
}
pub(crate) use crate::rule_table;

rule_table! {
    /// Unknown user or wrong password.
    LOGON_FAILURE = "LSA-LOGON-FAILURE":
        "LogonUser with an unknown account or a wrong password fails with ERROR_LOGON_FAILURE (1326)",
        "[LU]";
    /// Logon rights.
    LOGON_RIGHT = "LSA-LOGON-RIGHT":
        "a logon needs the logon right matching its type (interactive, network, batch, service, remote interactive), and the matching deny right overrides any grant; otherwise ERROR_LOGON_TYPE_NOT_GRANTED (1385)",
        "[ARC]; [LU] (error 1385 UNVERIFIED, docs/decisions.md)";
    /// Token type by logon type.
    LOGON_TOKEN_TYPE = "LSA-LOGON-TOKEN-TYPE":
        "LogonUser returns a primary token for every logon type except NETWORK, which returns an impersonation token (SecurityImpersonation)",
        "[LU], [LSALU]";
    /// Groups by logon type.
    LOGON_GROUPS = "LSA-LOGON-GROUPS":
        "every logon token gets Everyone, the logon-type group (INTERACTIVE, NETWORK, BATCH, SERVICE), Authenticated Users and a fresh logon SID S-1-5-5-X-Y with attributes 0xC0000007",
        "[LSALU], [MS-WKS]; [MS-TG], [WT]";
    /// Network credentials by logon type.
    LOGON_CREDENTIALS = "LSA-LOGON-CREDENTIALS":
        "interactive, batch, service, network-cleartext, new-credentials and remote-interactive sessions hold reusable network credentials; network and S4U sessions hold none",
        "[LT]";
    /// NEW_CREDENTIALS clone.
    LOGON_NEW_CREDENTIALS = "LSA-NEW-CREDENTIALS":
        "LOGON32_LOGON_NEW_CREDENTIALS clones the caller's token (same local identity) and keeps the new credentials for outbound connections only",
        "[LU], [SLT]";
    /// UAC split token.
    LOGON_UAC = "LSA-UAC-SPLIT":
        "an administrator's interactive logon on a UAC machine returns the filtered token (Administrators deny-only, privileges stripped, Medium) linked to its elevated twin",
        "[MSDN-UAC]";
    /// S4U level.
    S4U_LEVEL = "LSA-S4U-LEVEL":
        "an S4U logon gives an impersonation token at Identification level unless the calling process holds SeTcbPrivilege (and SeImpersonatePrivilege), then Impersonation; a held but disabled SeTcbPrivilege counts, since WindowsIdentity(upn) enables it before registering as a logon process; the token carries SERVICE ASSERTED IDENTITY and no network credentials",
        "[LSALU]; [KS4U]; [POL-TCB]; [WI-UPN]; [SFU-S4U2SELF]; [WCF-DI]; [RS-WI] (WindowsIdentity enables SeTcbPrivilege before registering as a logon process)";
    /// The service logon.
    SERVICE_LOGON = "LSA-SERVICE-LOGON":
        "the service control manager starts a service configured with an account through a service logon, which needs SeServiceLogonRight on that machine (SeDenyServiceLogonRight overriding it); without it, or with a wrong password, the start fails with ERROR_SERVICE_LOGON_FAILED (1069); the built-in service identities need no right",
        "[LT] (SERVICE row); [ARC] (SeServiceLogonRight); [LU]; [SYSERR] (1069 ERROR_SERVICE_LOGON_FAILED); docs/decisions.md D-66";
    /// S4U needs a domain.
    S4U_DOMAIN = "LSA-S4U-DOMAIN":
        "S4U needs the machine to be joined to the user's domain (otherwise ERROR_NO_SUCH_DOMAIN) and a domain account: a local account or an unknown name gives ERROR_NO_SUCH_USER",
        "[WI-UPN], [LSALU]; [LU] (WindowsIdentity(String); S4U needs a domain account, LsaLogonUser); docs/decisions.md D-56";
    /// Windows 2000 LogonUser.
    LOGON_USER_TCB = "LSA-LOGONUSER-TCB":
        "where the release requires it (Windows 2000), LogonUser fails with ERROR_PRIVILEGE_NOT_HELD unless the caller's process holds SeTcbPrivilege; from XP / Server 2003 it needs no privilege",
        "[LU], [LU-2K]";
    /// TCB is checked on the primary token.
    TCB_PRIMARY = "PRIV-TCB-PRIMARY-TOKEN":
        "SeTcbPrivilege (and SE_AUDIT) are always checked in the process primary token, never in an impersonation token",
        "[IL]; [POL-TCB]";
    /// The impersonation allow-list.
    IMPERSONATE_ALLOW = "IMP-ALLOW-LIST":
        "impersonation at Impersonation or Delegation level is allowed when the caller's process holds SeImpersonatePrivilege, or the token was made with explicit credentials by a process in the caller's logon session, or the token's user is the caller's user",
        "[ILOU], [INPC], [POL-IMP]";
    /// The downgrade.
    IMPERSONATE_DOWNGRADE = "IMP-DOWNGRADE":
        "when no allow-list condition holds, the impersonate call still succeeds but the thread gets an Identification-level token",
        "[ILOU]; [WCF-DI] (delegation table); docs/decisions.md";
    /// Identification cannot open objects.
    IDENTIFICATION_NO_OPEN = "IMP-IDENTIFY-NO-OPEN":
        "a thread impersonating at Identification or Anonymous level cannot open securable objects: ERROR_BAD_IMPERSONATION_LEVEL (1346)",
        "[IL], [MS-AC], [WT] test_AccessCheck (kernel SeAccessCheck; code UNVERIFIED, docs/decisions.md)";
    /// Pipe client level.
    PIPE_LEVEL = "IMP-PIPE-CLIENT-LEVEL":
        "ImpersonateNamedPipeClient gives at most the level the client allowed (SECURITY_SQOS); the default is SecurityImpersonation",
        "[INPC], [IL]";
    /// Remote pipe level.
    PIPE_REMOTE_LEVEL = "IMP-PIPE-REMOTE-LEVEL":
        "on a remote named pipe (or RPC, DDE) the client's SECURITY_SQOS flags are ignored: the server gets Delegation when its account is trusted for delegation, else Impersonation",
        "[IL]";
    /// COM anonymous remote.
    COM_ANONYMOUS_REMOTE = "IMP-COM-ANONYMOUS-REMOTE":
        "a COM call at RPC_C_IMP_LEVEL_ANONYMOUS over a remote transport is silently promoted to Identify",
        "[COM-IL]";
    /// COM across machines: the server's level.
    COM_REMOTE_LEVEL = "IMP-COM-REMOTE-LEVEL":
        "a server on another machine gets its COM client at Delegation level only when the client asked for delegate level and the session it built for the client holds the client's forwarded TGT (its account is trusted for delegation and the user is not sensitive); otherwise at Impersonation level at most",
        "[COM-C] (RPC_C_IMP_LEVEL_IMPERSONATE passes one machine boundary, RPC_C_IMP_LEVEL_DELEGATE needs the server trusted for delegation); [PP-KD]; docs/decisions.md D-62, D-75";
    /// COM across machines with nothing to authenticate with.
    COM_REMOTE_NO_CREDENTIALS = "IMP-COM-REMOTE-NO-CREDENTIALS":
        "a COM call to another machine fails with ERROR_ACCESS_DENIED when the identity its proxy presents is a network logon holding no credentials, such as the token a server not trusted for delegation holds for its own remote client: an impersonate-level token crosses one machine boundary only, so a server cannot cloak its client on to a third machine",
        "[COM-CLK] (Cloaking and Impersonation Levels: the call from B to C fails because B cannot call C while cloaking); docs/decisions.md D-75";
    /// COM without cloaking.
    COM_NO_CLOAKING = "IMP-COM-NO-CLOAKING":
        "a COM call without cloaking presents the client's process token, whatever the calling thread impersonates",
        "[COM-CLK]";
    /// COM with cloaking.
    COM_CLOAKING = "IMP-COM-CLOAKING":
        "a COM call with static or dynamic cloaking presents the calling thread's token (its impersonation token, else the process token)",
        "[COM-CLK]; [TO-SHT] (EOAC_DYNAMIC_CLOAKING for SetHelperToken)";
    /// Revert.
    REVERT = "IMP-REVERT":
        "RevertToSelf (or SetThreadToken with no token) removes the thread token; the thread acts as its process again",
        "[RTS], [STT]";
    /// OpenThreadToken errors.
    OPEN_THREAD_TOKEN = "IMP-OPEN-THREAD-TOKEN":
        "OpenThreadToken fails with ERROR_NO_TOKEN (1008) when the thread is not impersonating and with ERROR_CANT_OPEN_ANONYMOUS (1347) for an Anonymous-level token",
        "[OTT]; [WT] test_impersonation_level";
    /// ImpersonateSelf.
    IMPERSONATE_SELF = "IMP-SELF":
        "ImpersonateSelf gives the thread a copy of its process token at the requested level",
        "[IS]";
    /// DuplicateToken.
    DUPLICATE_TOKEN = "TOK-DUPLICATE":
        "DuplicateToken makes only impersonation tokens; DuplicateTokenEx makes primary or impersonation tokens",
        "[DT], [DTE]";
    /// No raising the level.
    DUPLICATE_LEVEL = "TOK-DUPLICATE-LEVEL":
        "an impersonation token cannot be duplicated to a higher level, nor an Identification or Anonymous token into a primary token: ERROR_BAD_IMPERSONATION_LEVEL (1346)",
        "[WT] test_impersonation_level; [DT], [DTE]";
    /// CreateRestrictedToken.
    CREATE_RESTRICTED_TOKEN = "TOK-RESTRICTED":
        "CreateRestrictedToken makes a new token of the source's type and level, in its logon session and with its elevation type and linked token: the SIDs to disable (the user included) become deny-only, the privileges to delete are removed, and the SIDs to restrict become restricting SIDs, so every access check needs both passes; restricting an already restricted token keeps only the restricting SIDs both lists name (never more than the source could reach); SIDs and privileges the source lacks are ignored",
        "[MS-TP]; [IL], [WT] test_impersonation_level; [MS-RESTR]; [WT] test_CreateRestrictedToken; [CRT] (SidsToRestrict on a restricted token); docs/decisions.md D-57";
    /// AdjustTokenPrivileges.
    ADJUST_PRIVILEGES = "TOK-ADJUST-PRIVILEGES":
        "AdjustTokenPrivileges enables or disables privileges the token already holds, in the token object itself, so every handle to that token sees the change; it cannot add a privilege: one the token lacks is skipped, the rest are still changed, and the call leaves ERROR_NOT_ALL_ASSIGNED (1300)",
        "[ATP] (return value, remarks); [MS-TP] (only enabled privileges count)";
    /// CreateProcess uses the primary token.
    CREATE_PROCESS = "PROC-CREATE-PRIMARY":
        "CreateProcess always gives the child the parent's primary token, whatever the calling thread impersonates",
        "[IL]; [LU]";
    /// CreateProcessAsUser needs a primary token.
    CREATE_PROCESS_AS_USER = "PROC-CREATE-AS-USER":
        "CreateProcessAsUser needs a primary token (an impersonation token gives ERROR_BAD_TOKEN_TYPE) and, for a token that is not the caller's own, SeAssignPrimaryTokenPrivilege in the process token",
        "[CPAU]; [DT], [DTE]; docs/decisions.md";
    /// Native threads.
    FLOW_NATIVE = "FLOW-NATIVE-THREAD":
        "a thread made with CreateThread starts with no impersonation token",
        "[CT] (UNVERIFIED wording, docs/decisions.md)";
    /// Managed flow.
    FLOW_MANAGED = "FLOW-MANAGED":
        ".NET flows the impersonation to Thread.Start, QueueUserWorkItem work and asynchronous delegates (BeginInvoke) unless legacyImpersonationPolicy is on or flow is suppressed; by default only impersonation made through WindowsIdentity.Impersonate flows, with alwaysFlowImpersonationPolicy any thread token flows; UnsafeQueueUserWorkItem never flows",
        "[LIP], [AFIP], [RS-SC], [RS-TH] (legacyImpersonationPolicy, alwaysFlowImpersonationPolicy, referencesource; asynchronous delegates flow the ExecutionContext, LIP)";
    /// STA hop.
    FLOW_STA = "FLOW-STA-COM":
        "a call marshalled to an STA COM component runs on the STA thread as the process identity",
        "[KB325791]";
    /// Logoff.
    LOGOFF = "SES-LOGOFF":
        "logoff ends a logon session; processes of the session exit",
        "[LSAS]";
    /// TS session end.
    TS_SESSION_END = "SES-TS-END":
        "when a terminal-services session ends, the interactive logon sessions in it are logged off",
        "[WTS-LOGOFF]";
    /// The session's user logs off.
    TS_OWNER_LOGOFF = "SES-TS-OWNER-LOGOFF":
        "when the last Winlogon logon of a terminal-services session (its console or Remote Desktop user) logs off, the session ends with it, exactly as when the session is ended: every other logon in it is logged off too",
        "[HT-MSDN] ¶5 (when the owner of a terminal services session logs off); [WTS-LOGOFF] (logging off a Remote Desktop Services session ends it); docs/decisions.md D-69";
    /// A captured token put on the host.
    IMPORTED_TOKEN = "LSA-IMPORTED-TOKEN":
        "a token read from a capture of a real machine (whoami /all) is put on a machine exactly as captured (user, groups with their attributes, privileges with their state, integrity, session), in a logon session of its own whose type is the one its groups show (INTERACTIVE, SERVICE, BATCH, NETWORK; interactive when none) and which holds no network credentials, since a capture carries none; it is not a Winlogon logon, so services are not told of it",
        "docs/decisions.md D-137";
}

/// Every rule of the simulated host: logons, impersonation and threads
/// (this module), objects, and the network.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    RULES
        .iter()
        .chain(crate::objects::rules::RULES)
        .chain(crate::network::rules::RULES)
}

/// Looks a rule up by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    all().find(|r| r.id == id)
}
