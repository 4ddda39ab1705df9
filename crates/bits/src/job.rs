//! The BITS job record and its enumerations: `BG_JOB_STATE`,
//! `BG_JOB_TYPE`, `BG_JOB_PRIORITY`, `BG_ERROR_CONTEXT`, files with their
//! progress, the error object, the owner and the helper token ([E-bg_job_state],
//! [LC], [E-bg_job_times] in docs/sources.md).
//!
//! This module owns the data and the pure questions about it (is the
//! state final, what does GetProgress report); the methods that change a
//! job live in [`crate::methods`] and [`crate::engine`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use simos::{LogonId, TokenId};
use winsec::Sid;

use crate::hresult::HResult;

/// A job's GUID. The service numbers jobs from a counter, so ids are
/// deterministic; they print as GUIDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct JobId(pub u64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{B175{:04X}-0000-4000-8000-{:012X}}}",
            self.0 & 0xFFFF,
            self.0
        )
    }
}

/// `BG_JOB_STATE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    /// 0: waiting to run (or for the owner to log on).
    Queued,
    /// 1: connecting to the server.
    Connecting,
    /// 2: data is moving.
    Transferring,
    /// 3: the initial state, and after Suspend.
    Suspended,
    /// 4: a non-recoverable error; needs Resume.
    Error,
    /// 5: a recoverable error; BITS retries.
    TransientError,
    /// 6: every file transferred; needs Complete.
    Transferred,
    /// 7: final, after Complete.
    Acknowledged,
    /// 8: final, after Cancel.
    Cancelled,
}

impl JobState {
    /// Every state, by value.
    pub const ALL: [JobState; 9] = [
        JobState::Queued,
        JobState::Connecting,
        JobState::Transferring,
        JobState::Suspended,
        JobState::Error,
        JobState::TransientError,
        JobState::Transferred,
        JobState::Acknowledged,
        JobState::Cancelled,
    ];

    /// The numeric `BG_JOB_STATE` value.
    pub const fn value(self) -> u32 {
        self as u32
    }

    /// The Windows name (`BG_JOB_STATE_QUEUED`).
    pub const fn name(self) -> &'static str {
        match self {
            JobState::Queued => "BG_JOB_STATE_QUEUED",
            JobState::Connecting => "BG_JOB_STATE_CONNECTING",
            JobState::Transferring => "BG_JOB_STATE_TRANSFERRING",
            JobState::Suspended => "BG_JOB_STATE_SUSPENDED",
            JobState::Error => "BG_JOB_STATE_ERROR",
            JobState::TransientError => "BG_JOB_STATE_TRANSIENT_ERROR",
            JobState::Transferred => "BG_JOB_STATE_TRANSFERRED",
            JobState::Acknowledged => "BG_JOB_STATE_ACKNOWLEDGED",
            JobState::Cancelled => "BG_JOB_STATE_CANCELLED",
        }
    }

    /// ACKNOWLEDGED or CANCELLED: never left, never listed.
    pub const fn is_final(self) -> bool {
        matches!(self, JobState::Acknowledged | JobState::Cancelled)
    }

    /// QUEUED, CONNECTING or TRANSFERRING.
    pub const fn is_active(self) -> bool {
        matches!(
            self,
            JobState::Queued | JobState::Connecting | JobState::Transferring
        )
    }

    /// The state from its name, with or without the `BG_JOB_STATE_` prefix.
    pub fn from_name(name: &str) -> Option<JobState> {
        let short = name.strip_prefix("BG_JOB_STATE_").unwrap_or(name);
        JobState::ALL
            .into_iter()
            .find(|s| s.name()["BG_JOB_STATE_".len()..].eq_ignore_ascii_case(short))
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `BG_JOB_TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobType {
    /// 0.
    Download,
    /// 1: one file, sent to the server.
    Upload,
    /// 2: one file up, the server's reply down.
    UploadReply,
}

impl JobType {
    /// The Windows name.
    pub const fn name(self) -> &'static str {
        match self {
            JobType::Download => "BG_JOB_TYPE_DOWNLOAD",
            JobType::Upload => "BG_JOB_TYPE_UPLOAD",
            JobType::UploadReply => "BG_JOB_TYPE_UPLOAD_REPLY",
        }
    }
}

/// `BG_JOB_PRIORITY` (FOREGROUND 0 … LOW 3).
pub mod priority {
    /// Foreground.
    pub const FOREGROUND: u32 = 0;
    /// High.
    pub const HIGH: u32 = 1;
    /// Normal (the default).
    pub const NORMAL: u32 = 2;
    /// Low.
    pub const LOW: u32 = 3;
}

/// `BG_ERROR_CONTEXT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorContext {
    /// 0.
    None,
    /// 1.
    Unknown,
    /// 2: the queue manager itself.
    GeneralQueueManager,
    /// 3: the notification callback.
    QueueManagerNotification,
    /// 4: the local file.
    LocalFile,
    /// 5: the remote file.
    RemoteFile,
    /// 6: the transport (network, proxy, certificates).
    GeneralTransport,
    /// 7: the server application (upload-reply).
    RemoteApplication,
}

impl ErrorContext {
    /// The numeric value.
    pub const fn value(self) -> u32 {
        self as u32
    }

    /// The Windows name.
    pub const fn name(self) -> &'static str {
        match self {
            ErrorContext::None => "BG_ERROR_CONTEXT_NONE",
            ErrorContext::Unknown => "BG_ERROR_CONTEXT_UNKNOWN",
            ErrorContext::GeneralQueueManager => "BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER",
            ErrorContext::QueueManagerNotification => "BG_ERROR_CONTEXT_QUEUE_MANAGER_NOTIFICATION",
            ErrorContext::LocalFile => "BG_ERROR_CONTEXT_LOCAL_FILE",
            ErrorContext::RemoteFile => "BG_ERROR_CONTEXT_REMOTE_FILE",
            ErrorContext::GeneralTransport => "BG_ERROR_CONTEXT_GENERAL_TRANSPORT",
            ErrorContext::RemoteApplication => "BG_ERROR_CONTEXT_REMOTE_APPLICATION",
        }
    }
}

/// `BG_TOKEN_*` flags of `SetHelperTokenFlags`.
pub mod token_flags {
    /// The helper token opens local files (download temp files, the upload
    /// source, the reply file).
    pub const LOCAL_FILE: u32 = 0x1;
    /// The helper token opens SMB remote files and answers server and proxy
    /// challenges.
    pub const NETWORK: u32 = 0x2;
    /// Every defined bit.
    pub const ALL: u32 = LOCAL_FILE | NETWORK;
}

/// `BG_NOTIFY_*` flags.
pub mod notify_flags {
    /// JOB_TRANSFERRED.
    pub const JOB_TRANSFERRED: u32 = 0x1;
    /// JOB_ERROR.
    pub const JOB_ERROR: u32 = 0x2;
    /// DISABLE.
    pub const DISABLE: u32 = 0x4;
    /// JOB_MODIFICATION.
    pub const JOB_MODIFICATION: u32 = 0x8;
    /// FILE_TRANSFERRED.
    pub const FILE_TRANSFERRED: u32 = 0x10;
    /// FILE_RANGES_TRANSFERRED.
    pub const FILE_RANGES_TRANSFERRED: u32 = 0x20;
    /// Every defined bit.
    pub const ALL: u32 = 0x3F;
    /// The default on a new job.
    pub const DEFAULT: u32 = JOB_TRANSFERRED | JOB_ERROR;
}

/// `BG_SIZE_UNKNOWN`.
pub const BG_SIZE_UNKNOWN: u64 = u64::MAX;

/// One file of a job.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct JobFile {
    /// The remote name exactly as given.
    pub remote: String,
    /// The local name exactly as given.
    pub local: String,
    /// `BytesTotal`; [`BG_SIZE_UNKNOWN`] until known.
    pub bytes_total: u64,
    /// `BytesTransferred`.
    pub bytes_transferred: u64,
    /// `Completed`.
    pub completed: bool,
    /// The temporary file BITS writes (downloads) once created.
    pub temp: Option<String>,
    /// The remote side has been reached (size known, access granted).
    pub remote_opened: bool,
}

/// The error object of a job (`IBackgroundCopyError`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct JobError {
    /// Where it happened.
    pub context: ErrorContext,
    /// The error code.
    pub code: HResult,
    /// The index of the file it concerns, if any.
    pub file: Option<usize>,
}

/// Who owns a job, as recorded at CreateJob or TakeOwnership.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Owner {
    /// The owner's user SID (`GetOwner`).
    pub sid: Sid,
    /// `DOMAIN\name`, for traces.
    pub account: String,
    /// The owner token was elevated (`GetOwnerElevationState`).
    pub elevated: bool,
    /// The owner token's integrity RID (`GetOwnerIntegrityLevel`).
    pub integrity: u32,
    /// The owner token had BUILTIN\Administrators enabled.
    pub admin: bool,
    /// The owner is a service identity that is always logged on
    /// (LocalSystem, LocalService, NetworkService).
    pub always_logged_on: bool,
    /// For an always-logged-on owner: the service token BITS acts with.
    pub service_token: Option<TokenId>,
}

/// The helper token a job holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct HelperToken {
    /// The captured impersonation token.
    pub token: TokenId,
    /// Its user SID (`GetHelperTokenSid`).
    pub sid: Sid,
    /// The logon session it belongs to.
    pub logon: LogonId,
    /// The terminal-services session it was captured in.
    pub ts_session: u32,
    /// BUILTIN\Administrators is enabled in it.
    pub admin_enabled: bool,
}

/// Credentials given with SetCredentials for one (target, scheme).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Credentials {
    /// The user name; `None` means the implicit credentials of the
    /// identity the flags select (NTLM / Negotiate only).
    pub user: Option<String>,
    /// The password (never printed; kept for the logon).
    #[serde(skip)]
    pub password: Option<String>,
}

/// `BG_AUTH_TARGET`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthTarget {
    /// 1.
    Server,
    /// 2.
    Proxy,
}

impl AuthTarget {
    /// From the numeric value.
    pub const fn from_value(v: u32) -> Option<AuthTarget> {
        match v {
            1 => Some(AuthTarget::Server),
            2 => Some(AuthTarget::Proxy),
            _ => None,
        }
    }
}

/// `BG_AUTH_SCHEME`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthSchemeId {
    /// 1.
    Basic,
    /// 2.
    Digest,
    /// 3.
    Ntlm,
    /// 4.
    Negotiate,
    /// 5.
    Passport,
}

impl AuthSchemeId {
    /// From the numeric value.
    pub const fn from_value(v: u32) -> Option<AuthSchemeId> {
        match v {
            1 => Some(AuthSchemeId::Basic),
            2 => Some(AuthSchemeId::Digest),
            3 => Some(AuthSchemeId::Ntlm),
            4 => Some(AuthSchemeId::Negotiate),
            5 => Some(AuthSchemeId::Passport),
            _ => None,
        }
    }

    /// Schemes that can carry the implicit (logged-on) credentials.
    pub const fn implicit_allowed(self) -> bool {
        matches!(self, AuthSchemeId::Ntlm | AuthSchemeId::Negotiate)
    }
}

/// `BG_JOB_PROGRESS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Progress {
    /// Sum of the files' sizes, [`BG_SIZE_UNKNOWN`] while any is unknown;
    /// 0 for a job without files.
    pub bytes_total: u64,
    /// Bytes moved so far.
    pub bytes_transferred: u64,
    /// Number of files.
    pub files_total: u32,
    /// Files completed.
    pub files_transferred: u32,
}

/// `BG_JOB_TIMES`, on the logical clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Times {
    /// CreationTime.
    pub creation: u64,
    /// ModificationTime.
    pub modification: u64,
    /// TransferCompletionTime (0 until TRANSFERRED).
    pub transfer_completion: u64,
}

/// A BITS job.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Job {
    /// Its GUID.
    pub id: JobId,
    /// The display name.
    pub display_name: String,
    /// The description.
    pub description: String,
    /// Download, upload or upload-reply.
    pub job_type: JobType,
    /// The state.
    pub state: JobState,
    /// The owner.
    pub owner: Owner,
    /// The helper token, if one is set.
    pub helper: Option<HelperToken>,
    /// `BG_TOKEN_*` flags.
    pub helper_flags: u32,
    /// The files, in the order added.
    pub files: Vec<JobFile>,
    /// The upload-reply job's reply file name, if set.
    pub reply_file: Option<String>,
    /// `BG_JOB_PRIORITY`.
    pub priority: u32,
    /// MinimumRetryDelay in seconds (ticks).
    pub minimum_retry_delay: u64,
    /// NoProgressTimeout in seconds (ticks).
    pub no_progress_timeout: u64,
    /// The current error object.
    pub error: Option<JobError>,
    /// How many errors the job has met.
    pub error_count: u32,
    /// Times.
    pub times: Times,
    /// The clock when the job last made progress (or entered the queue).
    pub last_progress: u64,
    /// The clock when a client last changed the job or its transfer last
    /// moved bytes: what JobInactivityTimeout is measured from
    /// (`BITS-INACTIVITY`). Unlike `times.modification`, the service's own
    /// state changes (retries, errors, scheduling) leave it alone.
    pub last_activity: u64,
    /// When it entered TRANSIENT_ERROR.
    pub transient_since: Option<u64>,
    /// When its current (or last) turn on the network began.
    pub turn_started: Option<u64>,
    /// `BG_NOTIFY_*` flags.
    pub notify_flags: u32,
    /// A notification interface is registered.
    pub notify_interface: bool,
    /// The notification command line (program, parameters) and who set it.
    pub notify_cmdline: Option<(String, String)>,
    /// Credentials by (target, scheme).
    pub credentials: BTreeMap<(AuthTarget, AuthSchemeId), Credentials>,
    /// The client certificate (the path of its private-key object).
    pub client_certificate: Option<String>,
    /// Custom HTTP headers.
    pub custom_headers: Option<String>,
    /// `IBackgroundCopyJobHttpOptions` security flags.
    pub security_flags: u32,
    /// Proxy usage (`BG_JOB_PROXY_USAGE`), list and bypass list.
    pub proxy: (u32, Option<String>, Option<String>),
    /// `IBackgroundCopyJob5` properties.
    pub properties: crate::properties::JobProperties,
    /// Resume has been called on it at least once (some properties can
    /// only be set before).
    pub resumed: bool,
}

impl Job {
    /// `GetProgress`.
    pub fn progress(&self) -> Progress {
        let bytes_total = if self.files.is_empty() {
            0
        } else if self.files.iter().any(|f| f.bytes_total == BG_SIZE_UNKNOWN) {
            BG_SIZE_UNKNOWN
        } else {
            self.files.iter().map(|f| f.bytes_total).sum()
        };
        Progress {
            bytes_total,
            bytes_transferred: self.files.iter().map(|f| f.bytes_transferred).sum(),
            files_total: u32::try_from(self.files.len()).unwrap_or(u32::MAX),
            files_transferred: u32::try_from(self.files.iter().filter(|f| f.completed).count())
                .unwrap_or(u32::MAX),
        }
    }

    /// Every file is complete.
    pub fn all_files_done(&self) -> bool {
        self.files.iter().all(|f| f.completed)
    }
}
