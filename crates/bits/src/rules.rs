//! The BITS rules that hold on every profile: job states, ownership,
//! helper-token use, logoff and the transfer engine, each with a stable
//! id, a one-line statement and its source. Outcomes cite these ids; the
//! switches that differ between releases are in [`crate::profile`].

simos::rule_table! {
    /// An anonymous caller.
    ANONYMOUS_CALLER = "BITS-ANONYMOUS-CALLER":
        "a client whose COM blanket gives the service only RPC_C_IMP_LEVEL_ANONYMOUS is anonymous to BITS: the token the service impersonates carries no identity and cannot be opened, so every call fails with HRESULT_FROM_WIN32(ERROR_CANT_OPEN_ANONYMOUS) (0x80070543) and no job is created or touched; over a remote transport COM would raise the level to Identify first",
        "[COM-C] (RPC_C_IMP_LEVEL_ANONYMOUS: the token contains no information and cannot be used); [OTT] (OpenThreadToken, ERROR_CANT_OPEN_ANONYMOUS); [COM-IL], [COM-CLK]; docs/decisions.md D-67";
    /// Creation.
    CREATE = "BITS-CREATE":
        "CreateJob makes a SUSPENDED job owned by the caller's effective identity, recording its elevation, integrity level and administrator status",
        "[LC] (CreateJob → SUSPENDED); [UNC]; [M-createjob][J4-getownerelevationstate][J4-getownerintegritylevel]";
    /// Owner or administrator.
    OWNER_OR_ADMIN = "BITS-OWNER-OR-ADMIN":
        "only the job's owner or an administrator (BUILTIN\\Administrators enabled) may retrieve or change a job; others get E_ACCESSDENIED",
        "[M-createjob][M-getjob][SEC]";
    /// Elevation.
    ELEVATED = "BITS-ELEVATED-JOB":
        "a job created or taken by an elevated owner can be retrieved or changed only by an elevated caller (E_ACCESSDENIED)",
        "[SEC][J4-getownerelevationstate]";
    /// Integrity.
    INTEGRITY = "BITS-INTEGRITY":
        "a caller below the owner's integrity level may see the job but not change it",
        "[SEC] (LocalSystem jobs cannot be modified from an elevated console)";
    /// Restricted tokens.
    RESTRICTED = "BITS-RESTRICTED-TOKEN":
        "a restricted token cannot create or change jobs: E_ACCESSDENIED",
        "[UNC]";
    /// Quotas.
    QUOTA = "BITS-QUOTA":
        "CreateJob beyond MaxJobsPerUser (60) or MaxJobsPerMachine (300), and AddFile beyond MaxFilesPerJob (200), fail for callers that are neither administrators nor service accounts",
        "[GP][M-createjob][J-addfile]";
    /// Enumeration.
    ENUM = "BITS-ENUM":
        "EnumJobs lists the caller's own jobs; BG_JOB_ENUM_ALL_USERS needs an administrator (E_ACCESSDENIED otherwise); jobs in a final state are never listed; the enumerator is a snapshot",
        "[E-bg_job_state], [LC]; [M-enumjobs]; tests/conformance/bits/vectors.yaml enumjobs.getcount-is-snapshot-delta-one";
    /// Not found.
    NOT_FOUND = "BITS-NOT-FOUND":
        "GetJob of an id the service does not hold (or holds in a final state) returns BG_E_NOT_FOUND",
        "[M-getjob]";
    /// Interface pointers.
    POINTER = "BITS-POINTER-CAPABILITY":
        "an interface pointer is bound to the job, the caller's identity when it was obtained and the access granted then",
        "[HT-MSDN] ¶6 (access is checked inside QueryInterface, so an interface pointer carries what was granted then)";
    /// QI-time check.
    QI_CHECK = "BITS-QI-CHECK":
        "with the check at QueryInterface, a call through a pointer uses the access granted when the pointer was obtained; with per-call checks, every call checks the caller's current identity",
        "[HT-MSDN] ¶6; [HT]";
    /// Which interfaces an object answers.
    INTERFACES = "BITS-INTERFACES":
        "QueryInterface answers only for an interface of the object the pointer reaches (the job object: IBackgroundCopyJob to 5, the HTTP options, IBitsTokenOptions; a file: IBackgroundCopyFile to 6; the manager: IBackgroundCopyManager and IBitsPeerCacheAdministration) that the release's BITS ships; any other interface, callbacks the client implements included, gives E_NOINTERFACE, and a call through a pointer whose interface lacks the method gives E_NOINTERFACE too",
        "[BITS-IF], [BITS-NEW]; [IU-QI] (E_NOINTERFACE); docs/decisions.md D-72";
    /// Release.
    RELEASE = "BITS-RELEASE":
        "Release removes the interface pointer and returns the references the calling process still holds on the same object (the job, whatever its interface; a file; an enumerator; the manager); the service's own hold on a job is not counted, so releasing the only pointer to a job returns 0 while the job stays queued; a released pointer can no longer be used (E_HANDLE)",
        "[IU-REL] (returns the new reference count, meant for tests); [W-QTEST] (test_CreateJob: Release of the job just created returns 0 on Windows); docs/decisions.md D-71";
    /// Helper tokens exist (the per-profile switch of the same id says where).
    TOKEN_OPTIONS = "BITS-TOKEN-OPTIONS":
        "IBitsTokenOptions exists from Windows 7: a job can hold a helper token besides its owner's; where it does not exist, QueryInterface for it fails with E_NOINTERFACE",
        "[HT-MSDN] ¶2 (In Windows 7, an additional token); [TO] (minimum client Windows 7); [W-JOB]";
    /// State legality.
    FINAL_STATE = "BITS-FINAL-STATE":
        "a job in ACKNOWLEDGED or CANCELLED accepts no state-changing or setter call: BG_E_INVALID_STATE; it never leaves that state",
        "[E-bg_job_state], [LC][W-TEST]";
    /// Resume.
    RESUME = "BITS-RESUME":
        "Resume moves SUSPENDED, ERROR and TRANSIENT_ERROR to QUEUED, clearing the error; a job without files stays put with BG_E_EMPTY; an active job is unchanged",
        "[LC]; [J-resume][W-TEST]";
    /// Suspend.
    SUSPEND = "BITS-SUSPEND":
        "Suspend moves any non-final job to SUSPENDED",
        "[LC][J-suspend]; docs/decisions.md";
    /// Cancel.
    CANCEL = "BITS-CANCEL":
        "Cancel moves any non-final job to CANCELLED and deletes its temporary files",
        "[LC][J-cancel][W-TEST]";
    /// Complete.
    COMPLETE = "BITS-COMPLETE":
        "Complete renames each completed file into place, deletes the partial ones (BG_S_PARTIAL_COMPLETE; BG_S_UNABLE_TO_DELETE_FILES when one cannot be deleted) and acknowledges the job; an upload job must be TRANSFERRED; a failed rename leaves the job as it was and returns the error",
        "[LC]; [J-complete]";
    /// Upload has one file.
    UPLOAD_ONE_FILE = "BITS-UPLOAD-ONE-FILE":
        "an upload or upload-reply job holds exactly one file: a second gives BG_E_TOO_MANY_FILES, and AddFileSet then adds none",
        "[J-addfile][J-addfileset]";
    /// AddFile names.
    ADD_FILE = "BITS-ADD-FILE":
        "AddFile needs an absolute local path and a remote name; the remote name is kept verbatim and checked only when the transfer runs; each new file's size is BG_SIZE_UNKNOWN",
        "[J-addfile]; tests/conformance/bits/vectors.yaml file.getremotename.verbatim (AddFile is lax)";
    /// Error object.
    ERROR_OBJECT = "BITS-ERROR-OBJECT":
        "GetError returns the error object in ERROR and TRANSIENT_ERROR, and BG_E_ERROR_INFORMATION_UNAVAILABLE when there is none",
        "[J-geterror][W-TEST]; docs/decisions.md";
    /// Setter validation.
    SETTERS = "BITS-SETTERS":
        "setters validate their argument: display name ≤256 and description ≤1024 characters (BG_E_STRING_TOO_LONG), undefined priority, notify flags or proxy usage (E_NOTIMPL), MinimumRetryDelay raised to at least 5 seconds; IBackgroundCopyJob5::GetProperty and SetProperty take only the property ids the release knows (BG_E_UNKNOWN_PROPERTY_ID), and SetProperty refuses DYNAMIC_CONTENT, HIGH_PERFORMANCE, MAX_DOWNLOAD_SIZE and ON_DEMAND_MODE on upload jobs (BG_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY), DYNAMIC_CONTENT and MAX_DOWNLOAD_SIZE after the first Resume (BG_E_READ_ONLY_PROPERTY_AFTER_RESUME), HIGH_PERFORMANCE after the first file (BG_E_READ_ONLY_PROPERTY_AFTER_ADDFILE), a MAX_DOWNLOAD_SIZE of 0 (BG_E_MAX_DOWNLOAD_SIZE_INVALID_VALUE), USE_STORED_CREDENTIALS for a target other than the proxy (BG_E_USE_STORED_CREDENTIALS_NOT_SUPPORTED), and ON_DEMAND_MODE together with DYNAMIC_CONTENT (BG_E_UNSUPPORTED_JOB_CONFIGURATION)",
        "[LC], [W-TEST]; [J-setdisplayname][J-setdescription][J-setpriority][J-setnotifyflags][J-setminimumretrydelay]; [E-bits_job_property_id]; [MGW] bitsmsg.h (BG_E_UNKNOWN_PROPERTY_ID to BG_E_UNSUPPORTED_JOB_CONFIGURATION); docs/decisions.md D-73";
    /// Credentials.
    CREDENTIALS = "BITS-CREDENTIALS":
        "SetCredentials validates target and scheme, limits user name (300) and password (65535), needs a user and password for Basic, Digest and Passport, and keeps one credential per (target, scheme); RemoveCredentials returns S_FALSE when none was set",
        "[RV]; [J2-setcredentials][J2-removecredentials]";
    /// TakeOwnership.
    TAKE_OWNERSHIP = "BITS-TAKE-OWNERSHIP":
        "TakeOwnership needs an elevated administrator; the caller becomes the owner (with its elevation and integrity) and the job then runs only while the new owner is logged on",
        "[J-takeownership]";
    /// SetHelperToken capture.
    HELPER_CAPTURE = "BITS-HELPER-CAPTURE":
        "SetHelperToken captures the COM client's impersonation token; below impersonate level it fails with CO_E_FAILEDTOIMPERSONATE",
        "[HT-MSDN] ¶3; [TO-SHT]";
    /// Admin path.
    HELPER_ADMIN = "BITS-HELPER-ADMIN":
        "the helper token and flags of a job owned by an administrator may be set, read and cleared; from Windows 10 1607 also by any caller whose pointer was obtained with BUILTIN\\Administrators enabled",
        "[HT], [TO-SHT]; [TO-SHT] (before 1607, E_ACCESSDENIED means the job is not owned by an administrator; from 1607, that the helper token has administrator rights and the caller does not)";
    /// 1607 condition (a).
    HELPER_OWNER_AT_QI = "BITS-1607-A":
        "condition (a): during the QueryInterface that produced the IBitsTokenOptions pointer, the SID of the caller's thread token was the job owner's SID",
        "[HT] (Windows 10 1607 note); [TO-SHT][TO-GHTF][TO-CHT][TO-GSID]";
    /// 1607 condition (b).
    HELPER_NOT_ADMIN = "BITS-1607-B":
        "condition (b): the helper token (being set, or already set for SetHelperTokenFlags) does not have BUILTIN\\Administrators enabled; a UAC-filtered administrator's token has it deny-only and passes",
        "[HT][TO-SHTF]";
    /// Flags.
    HELPER_FLAGS = "BITS-HELPER-FLAGS":
        "SetHelperTokenFlags accepts any combination of BG_TOKEN_LOCAL_FILE (0x1) and BG_TOKEN_NETWORK (0x2), including 0 which restores the owner for everything; other bits give E_INVALIDARG; ClearHelperToken keeps the flags",
        "[HT], [TO-SHT]; [TO-SHTF][TO-CHT]; docs/decisions.md";
    /// Helper token SID.
    HELPER_SID = "BITS-HELPER-SID":
        "GetHelperTokenSid returns the helper token's user SID, or S_OK with NULL when no helper token is set",
        "[TO-GSID]; docs/decisions.md";
    /// Owner logoff.
    LOGOFF = "BITS-LOGOFF":
        "when the owner's last logon BITS recognises ends, the owner's jobs stop (TRANSFERRING/CONNECTING go back to QUEUED) until the owner logs on again",
        "[LC]; [E-bg_job_state][UNC]; docs/decisions.md";
    /// Token required.
    TOKEN_REQUIRED = "BITS-TOKEN-REQUIRED":
        "an incomplete job whose helper token was discarded goes to ERROR with BG_E_TOKEN_REQUIRED; so does a job whose flags need a helper token it does not hold, when it needs it",
        "[HT-MSDN] ¶4–5; [HT] (recovery); docs/decisions.md";
    /// Eligible logons.
    ELIGIBLE_LOGON = "BITS-ELIGIBLE-LOGON":
        "a job transfers only while its owner has a logon BITS recognises (console, Remote Desktop, fast user switching; not RunAs or LogonUser) or is LocalSystem, LocalService or NetworkService, and the network is up",
        "[UNC][SVC]";
    /// Identity for local files.
    LOCAL_IDENTITY = "BITS-LOCAL-IDENTITY":
        "the download temporary file, its rename, the upload source and the reply file are opened with the helper token when BG_TOKEN_LOCAL_FILE is set, else as the owner",
        "[HT-MSDN] ¶2; [TO-SHTF]";
    /// Identity for the network.
    NETWORK_IDENTITY = "BITS-NETWORK-IDENTITY":
        "SMB remote files and server or proxy NTLM/Kerberos challenges are answered as the helper token when BG_TOKEN_NETWORK is set, else as the owner",
        "[HT-MSDN] ¶2; [TO-SHTF][AUTH]";
    /// Client certificates.
    CLIENT_CERT = "BITS-CLIENT-CERT":
        "the client certificate is always opened as the job owner; with BG_TOKEN_NETWORK set and an owner other than LocalSystem the job fails with 0x80072F9A",
        "[TO-SHTF]";
    /// Implicit credentials. Against a server that offers Basic next to
    /// Kerberos but not NTLM, a local account's implicit credentials may
    /// still fall back to Basic inside `simos` (the host's client has no
    /// "challenge/response only" request yet).
    IMPLICIT_CREDENTIALS = "BITS-IMPLICIT-CREDENTIALS":
        "a server that offers NTLM, Kerberos or Negotiate is answered with the implicit credentials of the selected identity when SetCredentials(NTLM or Negotiate, NULL, NULL) was called for it or for the proxy, or when no credentials were set and LMCompatibilityLevel is 2 or more; implicit credentials never answer a Basic (or Digest, Passport) challenge, so without explicit credentials for such a server, or otherwise, the request goes unauthenticated (HTTP 401 when the server takes no anonymous request)",
        "[AUTH] (Using implicit credentials: NTLM/Kerberos only; LMCompatibilityLevel); [RV]; [J2-setcredentials] (Basic needs a user name and password)";
    /// Explicit credentials.
    EXPLICIT_CREDENTIALS = "BITS-EXPLICIT-CREDENTIALS":
        "explicit credentials set for the server are presented instead of any token: the request authenticates as the named account",
        "[J2-setcredentials][AUTH]";
    /// Network loss.
    NETWORK_LOSS = "BITS-NETWORK-LOSS":
        "losing the network moves active jobs to TRANSIENT_ERROR with BG_E_NETWORK_DISCONNECTED; they return to QUEUED when it is back",
        "[UNC]";
    /// Bandwidth policy.
    BANDWIDTH_POLICY = "BITS-BANDWIDTH-POLICY":
        "while group policy sets MaxInternetBandwidth to 0, background jobs (all but FOREGROUND priority) go to TRANSIENT_ERROR with BG_E_BLOCKED_BY_POLICY; when the interval ends they are QUEUED again",
        "[GP]";
    /// Scheduling.
    SCHEDULE = "BITS-SCHEDULE":
        "foreground jobs transfer concurrently with one background job; the background job is the waiting one of the highest priority that waited longest; after a time slice it goes back to QUEUED when another job of its priority is waiting",
        "[LC][E-bg_job_priority] (time slice length UNVERIFIED, docs/decisions.md)";
    /// Retry.
    RETRY = "BITS-RETRY":
        "a job in TRANSIENT_ERROR is retried (QUEUED) after MinimumRetryDelay; with no progress for NoProgressTimeout it goes to ERROR",
        "[LC]; [J-setminimumretrydelay][J-setnoprogresstimeout]";
    /// Transfer steps.
    TRANSFER = "BITS-TRANSFER":
        "an eligible QUEUED job connects (CONNECTING), then moves its files in order (TRANSFERRING), and reaches TRANSFERRED when every file is complete",
        "[LC][E-bg_job_state]; [W-FILE]";
    /// What a transfer carries.
    CONTENT = "BITS-CONTENT":
        "a transfer carries the content of its source: when a download file's last byte arrives its temporary file holds what the server publishes at the remote name, Complete gives the local file exactly that content, and an upload's server then publishes the local file's content at the remote name",
        "[LC] (TRANSFERRED: the files are in their temporary form until Complete), [J-complete] (Complete renames the temporary files); docs/decisions.md D-74";
    /// Remote failures.
    REMOTE_FAILURE = "BITS-REMOTE-FAILURE":
        "a refused authentication or authorization at the server is fatal (ERROR: BG_E_HTTP_ERROR_401/407, E_ACCESSDENIED, BG_E_HTTP_ERROR_404 for a missing file); an HTTP server's or proxy's refusal is reported as its status even when the client first tried and failed to get a Kerberos ticket for the user (S4U2proxy), because the status is what the server answered; an unreachable server is transient",
        "[RV][J2-setcredentials]; [W-FILE] (an HTTP status of 400 or more becomes BG_E_HTTP_ERROR_nnn); docs/decisions.md D-70";
    /// Inactivity. No source says which clock the timeout reads;
    /// the model keeps two: ModificationTime (GetTimes) moves on every
    /// client change, every state change (the service's retries
    /// included) and every byte moved, as [E-bg_job_times] lists, while
    /// the inactivity clock (`Job::last_activity`) moves only on a
    /// successful client call that needs modify access and on bytes
    /// moved. A call that succeeds without changing anything (Resume of
    /// an active job, Suspend of a suspended one) counts, as it does for
    /// ModificationTime; IBitsTokenOptions calls count for neither.
    INACTIVITY = "BITS-INACTIVITY":
        "a non-final job that no client has changed (AddFile, any Set*, Resume, Suspend, TakeOwnership…) and whose transfer has moved no byte for JobInactivityTimeout (90 days) is cancelled by the service, exactly as by Cancel: its temporary files are deleted; the service's own retries and state changes are not activity, so a job retrying a transient error for longer than that is cancelled too, although they do set ModificationTime",
        "[LC]; [GP] (transfer progress or property changes reset the timer), [J-setnoprogresstimeout] (a retry period beyond JobInactivityTimeout ends in cancellation), [J-geterror] and GetTemporaryName (the service deletes the temporary files), [E-bg_job_times] (ModificationTime changes on state changes and bytes transferred)";
}
