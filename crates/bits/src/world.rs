//! The world: the simulated host with the BITS service running on one of
//! its machines, and the one entry point [`World::apply`].
//!
//! This module owns the world's state (host, rules, service), the
//! operation and outcome types, how the service learns who is calling (a
//! COM call into the service thread through `simos`), and how host events
//! (logoff, the end of a terminal-services session) reach the service.
//! Job methods are in [`crate::methods`], IBitsTokenOptions in
//! [`crate::tokens`], the transfer engine in [`crate::engine`], the
//! interface table in [`crate::interfaces`] and IBackgroundCopyJob5's
//! properties in [`crate::properties`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use simos::shared::Shared;
use simos::{
    BuiltinIdentity, Cloaking, Event as HostEvent, Host, ProcessId, ServiceAccount, ThreadId,
    TokenId,
};
use winsec::well_known::sids;
use winsec::{ElevationType, ImpersonationLevel, Sid, Token};

use crate::hresult::HResult;
use crate::job::{ErrorContext, Job, JobId, JobState, JobType, Progress, Times};
use crate::methods::Method;
use crate::profile::Rules;

/// An interface pointer held by a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PointerId(pub u64);

pub use crate::interfaces::Interface;
pub use simos::op::{Condition, Effect};

/// What a caller was granted on a job when it obtained a pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Grant {
    /// It may read the job.
    pub read: bool,
    /// It may change the job.
    pub modify: bool,
    /// The caller's user SID was the owner's (condition (a) of 1607).
    pub owner_match: bool,
    /// The caller had BUILTIN\Administrators enabled.
    pub admin: bool,
    /// The rule that refused, when something was refused.
    pub denied_by: Option<&'static str>,
}

/// What a pointer points at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "target", rename_all = "snake_case")]
pub enum Target {
    /// The manager (`CoCreateInstance(CLSID_BackgroundCopyManager)`).
    Manager,
    /// A job (one of the job-object interfaces).
    Job {
        /// The job.
        job: JobId,
    },
    /// One file of a job.
    File {
        /// The job.
        job: JobId,
        /// The file's index.
        index: usize,
    },
    /// A snapshot of jobs.
    Jobs {
        /// The jobs, in the order taken, with what the enumerating caller
        /// was granted on each.
        items: Vec<(JobId, Grant)>,
        /// The cursor.
        position: usize,
    },
    /// A snapshot of a job's files.
    Files {
        /// The job.
        job: JobId,
        /// How many files it had.
        count: usize,
        /// The cursor.
        position: usize,
    },
}

/// An interface pointer: a capability bound to its target, the caller's
/// identity when it was obtained and what was granted then.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Pointer {
    /// Its id.
    pub id: PointerId,
    /// The interface.
    pub interface: Interface,
    /// What it reaches.
    pub target: Target,
    /// The client process holding it.
    pub process: ProcessId,
    /// The caller's user SID when it was obtained.
    pub caller: Sid,
    /// The access granted then.
    pub grant: Grant,
}

/// The COM object a pointer reaches: what `Release` counts references of.
/// All the interfaces of one object share it; every enumerator is an
/// object of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "object", rename_all = "snake_case")]
pub enum ObjectId {
    /// The manager.
    Manager,
    /// A job object.
    Job {
        /// The job.
        job: JobId,
    },
    /// A file object.
    File {
        /// The job.
        job: JobId,
        /// The file's index.
        index: usize,
    },
    /// An enumerator, known by its pointer.
    Enumerator {
        /// The enumerator's pointer.
        pointer: PointerId,
    },
}

impl Pointer {
    /// The object the pointer reaches.
    pub fn object(&self) -> ObjectId {
        match &self.target {
            Target::Manager => ObjectId::Manager,
            Target::Job { job } => ObjectId::Job { job: *job },
            Target::File { job, index } => ObjectId::File {
                job: *job,
                index: *index,
            },
            Target::Jobs { .. } | Target::Files { .. } => ObjectId::Enumerator { pointer: self.id },
        }
    }
}

/// A client process's COM security (`CoInitializeSecurity` /
/// `CoSetProxyBlanket`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Blanket {
    /// The impersonation level the service gets.
    pub level: ImpersonationLevel,
    /// The cloaking capability.
    pub cloaking: Cloaking,
}

impl Default for Blanket {
    /// COM's defaults: Identify, no cloaking.
    fn default() -> Blanket {
        Blanket {
            level: ImpersonationLevel::Identification,
            cloaking: Cloaking::None,
        }
    }
}

/// Group-policy and registry settings of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Policy {
    /// MaxJobsPerUser (60).
    pub max_jobs_per_user: usize,
    /// MaxJobsPerMachine (300).
    pub max_jobs_per_machine: usize,
    /// MaxFilesPerJob (200).
    pub max_files_per_job: usize,
    /// JobInactivityTimeout in seconds (90 days).
    pub job_inactivity_timeout: u64,
    /// `LMCompatibilityLevel` (3 on current Windows): at 2 or more BITS
    /// answers challenges with implicit credentials when SetCredentials
    /// was never called.
    pub lm_compatibility_level: u32,
    /// Bytes a job moves per second of the logical clock.
    pub bytes_per_tick: u64,
    /// How long a background job transfers before another waiting job of
    /// the same priority gets its turn (seconds).
    pub time_slice: u64,
    /// `MaxInternetBandwidth` is 0 for the current interval: background
    /// jobs are blocked.
    pub bandwidth_blocked: bool,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            max_jobs_per_user: 60,
            max_jobs_per_machine: 300,
            max_files_per_job: 200,
            job_inactivity_timeout: 90 * 24 * 3600,
            lm_compatibility_level: 3,
            bytes_per_tick: 1 << 20,
            time_slice: 60,
            bandwidth_blocked: false,
        }
    }
}

/// Which identity the transfer engine acted as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Acting {
    /// The job owner.
    Owner,
    /// The helper token.
    Helper,
    /// Explicit credentials given with SetCredentials.
    Explicit,
    /// Nobody (an unauthenticated request).
    Anonymous,
}

/// What a resource was, for the events of the transfer engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// A local file (temporary file, rename, upload source, reply file).
    LocalFile,
    /// The remote file or server (SMB, HTTP, proxy).
    Remote,
    /// The client certificate's private key.
    ClientCertificate,
}

/// Something the service did, for traces and invariants.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum BitsEvent {
    /// A job was created.
    JobCreated {
        /// The job.
        job: JobId,
        /// Its owner.
        owner: Sid,
    },
    /// A job changed state.
    StateChanged {
        /// The job.
        job: JobId,
        /// The old state.
        from: JobState,
        /// The new state.
        to: JobState,
        /// The error code that came with it, if any.
        code: Option<HResult>,
    },
    /// A pointer was handed out.
    PointerIssued {
        /// The pointer.
        pointer: PointerId,
        /// Its interface.
        interface: Interface,
        /// The caller's SID.
        caller: Sid,
        /// What was granted.
        grant: Grant,
    },
    /// A helper token was stored.
    HelperTokenSet {
        /// The job.
        job: JobId,
        /// Its SID.
        sid: Sid,
        /// The token.
        token: TokenId,
    },
    /// A helper token was discarded.
    HelperTokenDiscarded {
        /// The job.
        job: JobId,
        /// Why (`ClearHelperToken`, `owner logoff`, `terminal session end`).
        reason: String,
    },
    /// The helper-token flags changed.
    HelperFlagsSet {
        /// The job.
        job: JobId,
        /// The new flags.
        flags: u32,
    },
    /// The owner changed (TakeOwnership).
    OwnerChanged {
        /// The job.
        job: JobId,
        /// The new owner.
        owner: Sid,
    },
    /// The engine reached a resource for a job.
    ResourceAccess {
        /// The job.
        job: JobId,
        /// What it was.
        resource: Resource,
        /// Its name (a path or server).
        name: String,
        /// Whose identity was used.
        acting: Acting,
        /// The user SID of the token used (`None` for anonymous and
        /// explicit credentials).
        user: Option<Sid>,
        /// Whether it succeeded.
        granted: bool,
    },
    /// A file made progress.
    FileProgress {
        /// The job.
        job: JobId,
        /// The file's index.
        file: usize,
        /// Bytes transferred so far.
        bytes: u64,
    },
}

/// The BITS service's state.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Service {
    /// The machine it runs on.
    pub machine: String,
    /// Its process (svchost, LocalSystem).
    pub process: ProcessId,
    /// The service thread that serves calls and runs transfers.
    pub thread: ThreadId,
    /// Every job, final ones included (they stay readable through
    /// pointers that still reach them).
    pub jobs: Shared<BTreeMap<JobId, Shared<Job>>>,
    /// Live interface pointers.
    pub pointers: Shared<BTreeMap<PointerId, Pointer>>,
    /// The network is up.
    pub network_up: bool,
    /// What the remote (and local source) files hold, by lower-cased
    /// name: published, or written by an upload.
    pub content: Shared<BTreeMap<String, simos::Content>>,
    /// Settings.
    pub policy: Policy,
    /// COM security of client processes.
    pub blankets: Shared<BTreeMap<ProcessId, Blanket>>,
    /// The job counter.
    pub next_job: u64,
    /// The pointer counter.
    pub next_pointer: u64,
    /// Everything the service did, in order.
    pub log: Vec<BitsEvent>,
}

/// The whole simulated state: host, BITS service and the rules in force.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct World {
    /// The rules of the profile (or mutant) in force.
    pub rules: Rules,
    /// The simulated host; its clock is the world's clock.
    pub host: Host,
    /// The BITS service.
    pub bits: Service,
    /// The remote accesses of the operation being applied, handed to its
    /// outcome; empty between operations.
    #[serde(skip)]
    pub(crate) remote: Vec<RemoteSeen>,
    /// The operation being applied stopped advancing at the event budget;
    /// handed to its outcome, false between operations.
    #[serde(skip)]
    pub(crate) budget_spent: bool,
    /// The moments the operation being applied stepped the service
    /// through; handed to its outcome, 0 between operations.
    #[serde(skip)]
    pub(crate) service_steps: u64,
    /// The conditions the operation being applied evaluated for its
    /// decisions that are not an ACE walk; handed to its outcome, empty
    /// between operations.
    #[serde(skip)]
    pub(crate) conditions: Vec<Condition>,
}

/// Manager-level calls and calls through a pointer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum Call {
    /// `CoCreateInstance(CLSID_BackgroundCopyManager)`: an
    /// `IBackgroundCopyManager` pointer bound to the caller. The manager's
    /// methods are then [`Method::CreateJob`], [`Method::GetJob`] and
    /// [`Method::EnumJobs`] through it; the `CreateJob`, `GetJob` and
    /// `EnumJobs` calls below are the same calls through a manager the
    /// process already holds.
    CoCreateInstance,
    /// `IBackgroundCopyManager::CreateJob`.
    CreateJob {
        /// Display name.
        name: String,
        /// Job type.
        job_type: JobType,
    },
    /// `IBackgroundCopyManager::GetJob`.
    GetJob {
        /// The job id.
        job: JobId,
    },
    /// `IBackgroundCopyManager::EnumJobs`.
    EnumJobs {
        /// `BG_JOB_ENUM_ALL_USERS`.
        all_users: bool,
    },
    /// `IUnknown::QueryInterface` on a job-object pointer.
    QueryInterface {
        /// The pointer.
        pointer: PointerId,
        /// The interface wanted.
        interface: Interface,
    },
    /// `IUnknown::Release`: the pointer is gone; the value (and
    /// [`Outcome::count`]) is the references the process still holds on
    /// the same object.
    Release {
        /// The pointer.
        pointer: PointerId,
    },
    /// A method through a pointer.
    Method {
        /// The pointer.
        pointer: PointerId,
        /// The method and its arguments.
        method: Method,
    },
}

/// Everything that can happen in the world.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Op {
    /// An operation of the host (logon, logoff, impersonation, objects …).
    /// A host `Tick` advances the world's clock like [`Op::Advance`].
    Host {
        /// The host operation.
        op: simos::Op,
    },
    /// A client process sets its COM security (`CoInitializeSecurity`).
    SetBlanket {
        /// A thread of the process.
        thread: ThreadId,
        /// The impersonation level it allows.
        level: ImpersonationLevel,
        /// Its cloaking.
        cloaking: Cloaking,
    },
    /// A BITS call made by a client thread.
    Bits {
        /// The calling thread.
        thread: ThreadId,
        /// The call.
        call: Call,
    },
    /// The network goes down or comes back.
    Network {
        /// Up or down.
        up: bool,
    },
    /// Group policy sets `MaxInternetBandwidth` to 0 for the current
    /// interval (`blocked: true`), or the interval ends.
    BandwidthPolicy {
        /// Background transfers are blocked.
        blocked: bool,
    },
    /// A remote (or local source) file gets contents of this size, whose
    /// digest derives from the name and the size
    /// ([`simos::Content::derived`]).
    Publish {
        /// Its name (URL, UNC path or local path).
        name: String,
        /// Its size in bytes.
        bytes: u64,
    },
    /// A remote (or local source) file gets exactly this content (from
    /// given bytes, [`simos::Content::of_bytes`], or a given digest).
    PublishContent {
        /// Its name (URL, UNC path or local path).
        name: String,
        /// What it holds.
        content: simos::Content,
    },
    /// The clock advances and the service runs.
    Advance {
        /// Seconds.
        ticks: u64,
    },
}

/// What a BITS call returned besides its HRESULT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "value", rename_all = "snake_case")]
pub enum Value {
    /// Nothing.
    None,
    /// A new job and a pointer to it.
    Job {
        /// The job.
        job: JobId,
        /// The pointer.
        pointer: PointerId,
    },
    /// A new pointer.
    Pointer {
        /// The pointer.
        pointer: PointerId,
    },
    /// Several pointers (an enumerator's `Next`; empty when it fetched none).
    Pointers {
        /// The pointers.
        pointers: Vec<PointerId>,
    },
    /// A job state.
    State {
        /// The state.
        state: JobState,
    },
    /// A job's progress.
    Progress(Progress),
    /// A file's progress.
    FileProgress {
        /// BytesTotal.
        bytes_total: u64,
        /// BytesTransferred.
        bytes_transferred: u64,
        /// Completed.
        completed: bool,
    },
    /// The error object.
    Error {
        /// Context.
        context: ErrorContext,
        /// Code.
        code: HResult,
        /// The file's remote name, if any.
        file: Option<String>,
    },
    /// A string (absent: NULL).
    Text {
        /// The string.
        text: Option<String>,
    },
    /// A number (flags, counts, seconds, RIDs).
    Number {
        /// The number.
        number: u64,
    },
    /// A boolean.
    Bool {
        /// The boolean.
        flag: bool,
    },
    /// Job times.
    Times(Times),
    /// A job type.
    Type {
        /// The type.
        job_type: JobType,
    },
    /// A job id.
    Id {
        /// The id.
        job: JobId,
    },
}

/// What an operation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The HRESULT (for host operations: `S_OK` or the Win32 error).
    pub hr: HResult,
    /// The value returned.
    pub value: Value,
    /// For host operations: the host's own result.
    pub host_result: Option<simos::ApiResult>,
    /// What the service did.
    pub events: Vec<BitsEvent>,
    /// What happened on the host (including the service's own
    /// impersonation and object accesses).
    pub host_events: Vec<HostEvent>,
    /// The rule ids that decided it, host rules included.
    pub rules: Vec<&'static str>,
    /// For host operations: every access check an object operation ran,
    /// granted or not (a denied open carries the trail that denied it).
    pub host_checks: Vec<simos::objects::ObjectCheck>,
    /// The count the call returned, for the calls that return one: the
    /// reference count `Release` returns, the number of items `Next`
    /// fetched, `GetCount`'s count, and the number of jobs the enumerator
    /// `EnumJobs` handed out lists.
    pub count: Option<u64>,
    /// Every remote access the operation made, in order, with what the
    /// far side saw: a transfer's (with its job), an `AccessServer`'s, and
    /// each proxy on the way.
    pub remote: Vec<RemoteSeen>,
    /// An `Op::Advance` stopped at [`crate::engine::MAX_ADVANCE_EVENTS`]
    /// before its time was up: a limit of the simulation, not Windows.
    pub budget_spent: bool,
    /// How many moments an `Op::Advance` (or host tick) stepped the
    /// service through: the work it cost, for drivers' budgets.
    pub service_steps: u64,
    /// The conditions its decisions that are not an ACE walk evaluated,
    /// in order (the access checks' trails are in `host_checks`).
    pub conditions: Vec<Condition>,
}

/// One remote access an operation made: the job it was for (`None` for a
/// host operation such as `AccessServer`) and what the server saw.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct RemoteSeen {
    /// The job whose transfer made it.
    pub job: Option<JobId>,
    /// What the server (or proxy) saw and answered.
    pub seen: simos::network::Seen,
}

/// A successful call's HRESULT (S_OK, S_FALSE, BG_S_*) and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    /// The success code.
    pub hr: HResult,
    /// The value.
    pub value: Value,
    /// The count, for the calls that return one.
    pub count: Option<u64>,
}

impl Reply {
    /// `S_OK` with a value.
    pub fn ok(value: Value) -> Reply {
        Reply {
            hr: HResult::SOk,
            value,
            count: None,
        }
    }

    /// Another success code with a value.
    pub fn with(hr: HResult, value: Value) -> Reply {
        Reply {
            hr,
            value,
            count: None,
        }
    }

    /// The same reply, carrying a count.
    pub fn counting(self, count: u64) -> Reply {
        Reply {
            count: Some(count),
            ..self
        }
    }
}

/// The result of a BITS call inside the service.
pub(crate) type CallResult = Result<Reply, HResult>;

/// Who is calling, as the service sees it through COM.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The token the service thread got from the call.
    pub token_id: TokenId,
    /// That token.
    pub token: simos::shared::Shared<Token>,
    /// The client's process.
    pub process: ProcessId,
}

/// True when a token is elevated (`TokenElevation`): the full half of a
/// split token, or a token with Administrators enabled (SYSTEM, an
/// administrator without UAC).
pub(crate) fn is_elevated(token: &Token) -> bool {
    token.elevation_type == ElevationType::Full || token.has_enabled_administrators()
}

impl World {
    /// Whether BITS treats `token` as an administrator's: BUILTIN\Administrators
    /// enabled (a deny-only SID counts only under a mutant that says so).
    pub fn is_admin(&self, token: &Token) -> bool {
        if self.rules.admin_needs_enabled_sid {
            token.has_enabled_administrators()
        } else {
            token.group(&sids::builtin_administrators()).is_some()
        }
    }
}

/// The built-in identity of a service SID, if it is one BITS treats as
/// always logged on.
pub(crate) fn builtin_of(sid: &Sid) -> Option<BuiltinIdentity> {
    if *sid == sids::local_system() {
        Some(BuiltinIdentity::LocalSystem)
    } else if *sid == sids::local_service() {
        Some(BuiltinIdentity::LocalService)
    } else if *sid == sids::network_service() {
        Some(BuiltinIdentity::NetworkService)
    } else {
        None
    }
}

/// A failed world construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoSuchMachine(pub String);

impl std::fmt::Display for NoSuchMachine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the host has no machine `{}` to run BITS on", self.0)
    }
}

impl std::error::Error for NoSuchMachine {}

impl World {
    /// Starts the BITS service (svchost as LocalSystem) on `machine` of
    /// `host`, under `rules`.
    pub fn new(mut host: Host, machine: &str, rules: Rules) -> Result<World, NoSuchMachine> {
        host.rules.checks = rules.host;
        let out = host.apply(&simos::Op::StartService {
            machine: machine.to_string(),
            image: "svchost.exe -k netsvcs (BITS)".to_string(),
            account: ServiceAccount::Builtin(BuiltinIdentity::LocalSystem),
            flow_policy: None,
        });
        let Some(simos::Value::Process { process, thread }) = out.result.value().cloned() else {
            return Err(NoSuchMachine(machine.to_string()));
        };
        Ok(World {
            rules,
            host,
            bits: Service {
                machine: machine.to_ascii_uppercase(),
                process,
                thread,
                jobs: Shared::default(),
                pointers: Shared::default(),
                network_up: true,
                content: Shared::default(),
                policy: Policy::default(),
                blankets: Shared::default(),
                next_job: 0,
                next_pointer: 0,
                log: Vec::new(),
            },
            remote: Vec::new(),
            budget_spent: false,
            service_steps: 0,
            conditions: Vec::new(),
        })
    }

    /// The job by id.
    pub fn job(&self, id: JobId) -> Option<&Job> {
        self.bits.jobs.get(&id).map(|j| &**j)
    }

    /// The job a pointer reaches.
    pub fn job_of(&self, pointer: PointerId) -> Option<&Job> {
        match &self.bits.pointers.get(&pointer)?.target {
            Target::Job { job } | Target::File { job, .. } | Target::Files { job, .. } => {
                self.bits.jobs.get(job).map(|j| &**j)
            }
            Target::Jobs { .. } | Target::Manager => None,
        }
    }

    /// Applies one operation: the only way the world changes.
    pub fn apply(&mut self, op: &Op) -> Outcome {
        let events_before = self.bits.log.len();
        let host_before = self.host.log.len();
        let mut rules = Vec::new();
        let mut host_result = None;
        let mut host_checks = Vec::new();
        let result = match op {
            Op::Host { op } => {
                let r = self.apply_host(op, &mut rules);
                if let Some(simos::Value::Remote(access)) = r.result.value() {
                    self.remote.extend(
                        access
                            .seen()
                            .into_iter()
                            .map(|seen| RemoteSeen { job: None, seen }),
                    );
                }
                host_checks = r.checks;
                self.conditions.extend(r.conditions);
                let hr = match &r.result {
                    simos::ApiResult::Ok { .. } => Ok(Reply::ok(Value::None)),
                    simos::ApiResult::Err { error } => Err(HResult::from_win32(*error)),
                };
                host_result = Some(r.result);
                hr
            }
            Op::SetBlanket {
                thread,
                level,
                cloaking,
            } => match self.host.thread(*thread) {
                Some(t) => {
                    self.bits.blankets.insert(
                        t.process,
                        Blanket {
                            level: *level,
                            cloaking: *cloaking,
                        },
                    );
                    Ok(Reply::ok(Value::None))
                }
                None => Err(HResult::EHandle),
            },
            Op::Bits { thread, call } => self.call(*thread, call, &mut rules),
            Op::Network { up } => {
                self.set_network(*up, &mut rules);
                Ok(Reply::ok(Value::None))
            }
            Op::BandwidthPolicy { blocked } => {
                self.set_bandwidth_blocked(*blocked, &mut rules);
                Ok(Reply::ok(Value::None))
            }
            Op::Publish { name, bytes } => {
                self.bits.content.insert(
                    name.to_ascii_lowercase(),
                    simos::Content::derived(name, *bytes),
                );
                Ok(Reply::ok(Value::None))
            }
            Op::PublishContent { name, content } => {
                self.bits
                    .content
                    .insert(name.to_ascii_lowercase(), content.clone());
                Ok(Reply::ok(Value::None))
            }
            Op::Advance { ticks } => {
                self.advance(*ticks, &mut rules);
                Ok(Reply::ok(Value::None))
            }
        };
        let (hr, value, count) = match result {
            Ok(Reply { hr, value, count }) => (hr, value, count),
            Err(hr) => (hr, Value::None, None),
        };
        Outcome {
            hr,
            value,
            host_result,
            events: self.bits.log[events_before..].to_vec(),
            host_events: self.host.log[host_before..].to_vec(),
            rules,
            host_checks,
            count,
            remote: std::mem::take(&mut self.remote),
            budget_spent: std::mem::take(&mut self.budget_spent),
            service_steps: std::mem::take(&mut self.service_steps),
            conditions: std::mem::take(&mut self.conditions),
        }
    }
}
