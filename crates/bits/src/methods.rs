//! The methods of the job object (`IBackgroundCopyJob` 1–4,
//! `IBackgroundCopyJobHttpOptions`), of files and of enumerators, with
//! their legality by state and argument checks ([LC], [W-TEST]).
//!
//! Which interface offers which method, and whether it reads or changes
//! the job, is data here ([`Method::callable_on`], [`Method::needs`]); the
//! access check itself is [`World::grant`].

use serde::{Deserialize, Serialize};
use simos::ThreadId;

use crate::hresult::HResult;
use crate::job::{
    notify_flags, AuthSchemeId, AuthTarget, Credentials, JobFile, JobId, JobState, JobType,
    BG_SIZE_UNKNOWN,
};
use crate::properties::{JobFacts, JobProperty, PropertyValue};
use crate::rules::ids;
use crate::world::{
    BitsEvent, CallResult, Caller, Grant, Interface, Pointer, Reply, Target, Value, World,
};

/// A remote and local name pair (`BG_FILE_INFO`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileSpec {
    /// The remote name (URL or UNC path).
    pub remote: String,
    /// The local name (absolute path).
    pub local: String,
}

/// A method called through an interface pointer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "method")]
pub enum Method {
    /// `Resume`.
    Resume,
    /// `Suspend`.
    Suspend,
    /// `Cancel`.
    Cancel,
    /// `Complete`.
    Complete,
    /// `AddFile`.
    AddFile {
        /// Remote name.
        remote: String,
        /// Local name.
        local: String,
    },
    /// `AddFileSet`.
    AddFileSet {
        /// The files.
        files: Vec<FileSpec>,
    },
    /// `GetState`.
    GetState,
    /// `GetProgress`.
    GetProgress,
    /// `GetError`.
    GetError,
    /// `GetErrorCount`.
    GetErrorCount,
    /// `GetOwner`.
    GetOwner,
    /// `GetId`.
    GetId,
    /// `GetType`.
    GetType,
    /// `GetTimes`.
    GetTimes,
    /// `GetDisplayName`.
    GetDisplayName,
    /// `SetDisplayName` (`None`: NULL).
    SetDisplayName {
        /// The name.
        name: Option<String>,
    },
    /// `GetDescription`.
    GetDescription,
    /// `SetDescription` (`None`: NULL).
    SetDescription {
        /// The description.
        description: Option<String>,
    },
    /// `SetPriority`.
    SetPriority {
        /// `BG_JOB_PRIORITY` value.
        priority: u32,
    },
    /// `GetPriority`.
    GetPriority,
    /// `SetNotifyFlags`.
    SetNotifyFlags {
        /// `BG_NOTIFY_*` bits.
        flags: u32,
    },
    /// `GetNotifyFlags`.
    GetNotifyFlags,
    /// `SetNotifyInterface` (`set: false`: NULL).
    SetNotifyInterface {
        /// A callback object is passed.
        set: bool,
    },
    /// `GetNotifyInterface`.
    GetNotifyInterface,
    /// `SetMinimumRetryDelay`.
    SetMinimumRetryDelay {
        /// Seconds.
        seconds: u64,
    },
    /// `GetMinimumRetryDelay`.
    GetMinimumRetryDelay,
    /// `SetNoProgressTimeout`.
    SetNoProgressTimeout {
        /// Seconds.
        seconds: u64,
    },
    /// `GetNoProgressTimeout`.
    GetNoProgressTimeout,
    /// `SetProxySettings`.
    SetProxySettings {
        /// `BG_JOB_PROXY_USAGE`.
        usage: u32,
        /// Proxy list.
        list: Option<String>,
        /// Bypass list.
        bypass: Option<String>,
    },
    /// `TakeOwnership`.
    TakeOwnership,
    /// `EnumFiles`.
    EnumFiles,
    /// `IBackgroundCopyJob2::SetNotifyCmdLine` (`None`: no command line).
    SetNotifyCmdLine {
        /// Program.
        program: Option<String>,
        /// Parameters.
        parameters: Option<String>,
    },
    /// `IBackgroundCopyJob2::SetCredentials`.
    SetCredentials {
        /// `BG_AUTH_TARGET` value.
        target: u32,
        /// `BG_AUTH_SCHEME` value.
        scheme: u32,
        /// User name (`None`: NULL, the implicit credentials).
        user: Option<String>,
        /// Password (`None`: NULL).
        password: Option<String>,
    },
    /// `IBackgroundCopyJob2::RemoveCredentials`.
    RemoveCredentials {
        /// `BG_AUTH_TARGET` value.
        target: u32,
        /// `BG_AUTH_SCHEME` value.
        scheme: u32,
    },
    /// `IBackgroundCopyJob4::GetOwnerElevationState`.
    GetOwnerElevationState,
    /// `IBackgroundCopyJob4::GetOwnerIntegrityLevel`.
    GetOwnerIntegrityLevel,
    /// `IBackgroundCopyJobHttpOptions::SetClientCertificateByName`: the
    /// certificate's private key is the object at `path`.
    SetClientCertificate {
        /// The private-key object.
        path: String,
    },
    /// `IBackgroundCopyJobHttpOptions::RemoveClientCertificate`.
    RemoveClientCertificate,
    /// `IBackgroundCopyJobHttpOptions::SetCustomHeaders` (`None`: NULL).
    SetCustomHeaders {
        /// The headers.
        headers: Option<String>,
    },
    /// `IBackgroundCopyJobHttpOptions::GetCustomHeaders`.
    GetCustomHeaders,
    /// `IBackgroundCopyJobHttpOptions::SetSecurityFlags`.
    SetSecurityFlags {
        /// Flags.
        flags: u32,
    },
    /// `IBackgroundCopyJobHttpOptions::GetSecurityFlags`.
    GetSecurityFlags,
    /// `IBitsTokenOptions::SetHelperToken`.
    SetHelperToken,
    /// `IBitsTokenOptions::SetHelperTokenFlags`.
    SetHelperTokenFlags {
        /// `BG_TOKEN_*` bits.
        flags: u32,
    },
    /// `IBitsTokenOptions::GetHelperTokenFlags`.
    GetHelperTokenFlags,
    /// `IBitsTokenOptions::ClearHelperToken`.
    ClearHelperToken,
    /// `IBitsTokenOptions::GetHelperTokenSid`.
    GetHelperTokenSid,
    /// `IBackgroundCopyFile::GetRemoteName`.
    GetRemoteName,
    /// `IBackgroundCopyFile::GetLocalName`.
    GetLocalName,
    /// `IBackgroundCopyFile::GetProgress`.
    GetFileProgress,
    /// `IEnum*::Next`.
    Next {
        /// How many (`celt`).
        count: u32,
        /// A `pceltFetched` pointer is passed.
        fetched: bool,
    },
    /// `IEnum*::Skip`.
    Skip {
        /// How many.
        count: u32,
    },
    /// `IEnum*::Reset`.
    Reset,
    /// `IEnum*::GetCount`.
    GetCount,
    /// `IBackgroundCopyJob5::GetProperty`.
    GetProperty {
        /// The `BITS_JOB_PROPERTY_ID` value.
        id: u32,
    },
    /// `IBackgroundCopyJob5::SetProperty`.
    SetProperty {
        /// The `BITS_JOB_PROPERTY_ID` value.
        id: u32,
        /// The value, in the union member the caller fills.
        value: PropertyValue,
    },
    /// `IBackgroundCopyManager::CreateJob` through a manager pointer.
    CreateJob {
        /// Display name.
        name: String,
        /// Job type.
        job_type: JobType,
    },
    /// `IBackgroundCopyManager::GetJob` through a manager pointer.
    GetJob {
        /// The job id.
        job: JobId,
    },
    /// `IBackgroundCopyManager::EnumJobs` through a manager pointer.
    EnumJobs {
        /// `BG_JOB_ENUM_ALL_USERS`.
        all_users: bool,
    },
}

/// What a method needs from the access check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Nothing beyond holding the pointer.
    Nothing,
    /// Reading the job.
    Read,
    /// Changing the job.
    Modify,
}

impl Method {
    /// Whether the method is on the vtable of `interface`.
    /// Each interface of a family inherits the methods of the ones before
    /// it (IBackgroundCopyJob5 has every IBackgroundCopyJob4 method, and so on).
    pub fn callable_on(&self, interface: Interface) -> bool {
        use Interface as I;
        use Method as M;
        let job_family = matches!(interface, I::Job | I::Job2 | I::Job3 | I::Job4 | I::Job5);
        match self {
            M::SetNotifyCmdLine { .. } | M::SetCredentials { .. } | M::RemoveCredentials { .. } => {
                matches!(interface, I::Job2 | I::Job3 | I::Job4 | I::Job5)
            }
            M::GetOwnerElevationState | M::GetOwnerIntegrityLevel => {
                matches!(interface, I::Job4 | I::Job5)
            }
            M::GetProperty { .. } | M::SetProperty { .. } => interface == I::Job5,
            M::SetClientCertificate { .. }
            | M::RemoveClientCertificate
            | M::SetCustomHeaders { .. }
            | M::GetCustomHeaders
            | M::SetSecurityFlags { .. }
            | M::GetSecurityFlags => {
                matches!(
                    interface,
                    I::HttpOptions | I::HttpOptions2 | I::HttpOptions3
                )
            }
            M::SetHelperToken
            | M::SetHelperTokenFlags { .. }
            | M::GetHelperTokenFlags
            | M::ClearHelperToken
            | M::GetHelperTokenSid => interface == I::TokenOptions,
            M::GetRemoteName | M::GetLocalName | M::GetFileProgress => matches!(
                interface,
                I::File | I::File2 | I::File3 | I::File4 | I::File5 | I::File6
            ),
            M::Next { .. } | M::Skip { .. } | M::Reset | M::GetCount => {
                matches!(interface, I::EnumJobs | I::EnumFiles)
            }
            M::CreateJob { .. } | M::GetJob { .. } | M::EnumJobs { .. } => interface == I::Manager,
            _ => job_family,
        }
    }

    /// Whether the method reads or changes the job.
    pub fn needs(&self) -> Needs {
        use Method as M;
        match self {
            M::GetState
            | M::GetProgress
            | M::GetError
            | M::GetErrorCount
            | M::GetOwner
            | M::GetId
            | M::GetType
            | M::GetTimes
            | M::GetDisplayName
            | M::GetDescription
            | M::GetPriority
            | M::GetNotifyFlags
            | M::GetNotifyInterface
            | M::GetMinimumRetryDelay
            | M::GetNoProgressTimeout
            | M::EnumFiles
            | M::GetOwnerElevationState
            | M::GetOwnerIntegrityLevel
            | M::GetCustomHeaders
            | M::GetSecurityFlags
            | M::GetHelperTokenFlags
            | M::GetHelperTokenSid
            | M::GetProperty { .. } => Needs::Read,
            // The manager's calls check what they need themselves.
            M::CreateJob { .. } | M::GetJob { .. } | M::EnumJobs { .. } => Needs::Nothing,
            M::GetRemoteName
            | M::GetLocalName
            | M::GetFileProgress
            | M::Next { .. }
            | M::Skip { .. }
            | M::Reset
            | M::GetCount => Needs::Nothing,
            // TakeOwnership changes the job (restricted tokens and lower
            // integrity levels are refused) and also checks for an
            // administrator itself.
            _ => Needs::Modify,
        }
    }

    /// True for the calls a final state refuses with BG_E_INVALID_STATE.
    fn refused_when_final(&self) -> bool {
        self.needs() == Needs::Modify
            && !matches!(
                self,
                Method::SetHelperToken
                    | Method::SetHelperTokenFlags { .. }
                    | Method::ClearHelperToken
            )
    }
}

fn text(s: impl Into<String>) -> Value {
    Value::Text {
        text: Some(s.into()),
    }
}

fn number(n: impl Into<u64>) -> Value {
    Value::Number { number: n.into() }
}

fn none() -> CallResult {
    Ok(Reply::ok(Value::None))
}

/// True for an absolute local path (`C:\…` or `\\server\share\…`).
fn is_absolute_local(path: &str) -> bool {
    let b = path.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/'))
        || path.starts_with("\\\\")
}

impl World {
    /// A method on a job pointer, after the access check.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn job_method(
        &mut self,
        thread: ThreadId,
        pointer: &Pointer,
        id: JobId,
        grant: Grant,
        caller: Option<Caller>,
        method: &Method,
        rules: &mut Vec<&'static str>,
    ) -> CallResult {
        let state = self.bits.jobs.get(&id).ok_or(HResult::EHandle)?.state;
        if state.is_final() && method.refused_when_final() {
            rules.push(ids::FINAL_STATE);
            return Err(HResult::BgEInvalidState);
        }
        let now = self.host.now;
        let result = match method {
            Method::SetHelperToken
            | Method::SetHelperTokenFlags { .. }
            | Method::GetHelperTokenFlags
            | Method::ClearHelperToken
            | Method::GetHelperTokenSid => {
                return self.token_method(thread, id, grant, caller, method, rules);
            }
            Method::Resume => self.resume(id, rules),
            Method::Suspend => {
                rules.push(ids::SUSPEND);
                self.set_state(id, JobState::Suspended, None);
                none()
            }
            Method::Cancel => self.cancel(id, rules),
            Method::Complete => self.complete(thread, id, caller, rules),
            Method::AddFile { remote, local } => self.add_files(
                id,
                &[FileSpec {
                    remote: remote.clone(),
                    local: local.clone(),
                }],
                rules,
            ),
            Method::AddFileSet { files } => self.add_files(id, files, rules),
            Method::TakeOwnership => self.take_ownership(thread, id, rules),
            Method::EnumFiles => {
                let count = self.bits.jobs.get(&id).map_or(0, |j| j.files.len());
                let p = self.issue(
                    Interface::EnumFiles,
                    Target::Files {
                        job: id,
                        count,
                        position: 0,
                    },
                    pointer.process,
                    &pointer.caller,
                    pointer.grant,
                    rules,
                );
                return Ok(Reply::ok(Value::Pointer { pointer: p }));
            }
            _ => self.simple_method(id, method, rules),
        };
        // A client call that changes the job is activity: it sets
        // ModificationTime and restarts the JobInactivityTimeout clock
        // (`BITS-INACTIVITY`).
        if result.is_ok() && method.needs() == Needs::Modify {
            if let Some(j) = self.bits.jobs.get_mut(&id) {
                j.times.modification = now;
                j.last_activity = now;
            }
        }
        result
    }

    /// Getters and setters that touch only the job record.
    fn simple_method(
        &mut self,
        id: JobId,
        method: &Method,
        rules: &mut Vec<&'static str>,
    ) -> CallResult {
        let known = self.rules.job_properties;
        let job = self.bits.jobs.get_mut(&id).ok_or(HResult::EHandle)?;
        let setter_rule = |rules: &mut Vec<&'static str>| rules.push(ids::SETTERS);
        let v = match method {
            Method::GetState => Value::State { state: job.state },
            Method::GetProgress => Value::Progress(job.progress()),
            Method::GetError => {
                rules.push(ids::ERROR_OBJECT);
                match (&job.error, job.state) {
                    (Some(e), JobState::Error | JobState::TransientError) => Value::Error {
                        context: e.context,
                        code: e.code,
                        file: e
                            .file
                            .and_then(|i| job.files.get(i))
                            .map(|f| f.remote.clone()),
                    },
                    _ => return Err(HResult::BgEErrorInformationUnavailable),
                }
            }
            Method::GetErrorCount => number(job.error_count),
            Method::GetOwner => text(job.owner.sid.to_string()),
            Method::GetId => Value::Id { job: job.id },
            Method::GetType => Value::Type {
                job_type: job.job_type,
            },
            Method::GetTimes => Value::Times(job.times),
            Method::GetDisplayName => text(job.display_name.clone()),
            Method::GetDescription => text(job.description.clone()),
            Method::GetPriority => number(job.priority),
            Method::GetNotifyFlags => number(job.notify_flags),
            Method::GetNotifyInterface => Value::Bool {
                flag: job.notify_interface,
            },
            Method::GetMinimumRetryDelay => number(job.minimum_retry_delay),
            Method::GetNoProgressTimeout => number(job.no_progress_timeout),
            Method::GetOwnerElevationState => Value::Bool {
                flag: job.owner.elevated,
            },
            Method::GetOwnerIntegrityLevel => number(job.owner.integrity),
            Method::GetCustomHeaders => {
                return match &job.custom_headers {
                    Some(h) => Ok(Reply::ok(text(h.clone()))),
                    None => Ok(Reply::with(HResult::SFalse, Value::Text { text: None })),
                }
            }
            Method::GetSecurityFlags => number(job.security_flags),
            Method::SetDisplayName { name } => {
                setter_rule(rules);
                let name = name.as_ref().ok_or(HResult::EInvalidArg)?;
                if name.chars().count() > 256 {
                    return Err(HResult::BgEStringTooLong);
                }
                job.display_name = name.clone();
                Value::None
            }
            Method::SetDescription { description } => {
                setter_rule(rules);
                let d = description.as_ref().ok_or(HResult::EInvalidArg)?;
                if d.chars().count() > 1024 {
                    return Err(HResult::BgEStringTooLong);
                }
                job.description = d.clone();
                Value::None
            }
            Method::SetPriority { priority } => {
                setter_rule(rules);
                if *priority > crate::job::priority::LOW {
                    return Err(HResult::ENotImpl);
                }
                job.priority = *priority;
                Value::None
            }
            Method::SetNotifyFlags { flags } => {
                setter_rule(rules);
                if flags & !notify_flags::ALL != 0 {
                    return Err(HResult::ENotImpl);
                }
                job.notify_flags = *flags;
                Value::None
            }
            Method::SetNotifyInterface { set } => {
                job.notify_interface = *set;
                Value::None
            }
            Method::SetMinimumRetryDelay { seconds } => {
                setter_rule(rules);
                job.minimum_retry_delay = (*seconds).max(5);
                Value::None
            }
            Method::SetNoProgressTimeout { seconds } => {
                job.no_progress_timeout = *seconds;
                Value::None
            }
            Method::SetProxySettings {
                usage,
                list,
                bypass,
            } => {
                setter_rule(rules);
                if *usage > 3 {
                    return Err(HResult::ENotImpl);
                }
                let given = list.is_some() || bypass.is_some();
                if (*usage == 2 && list.is_none()) || (*usage != 2 && given) {
                    return Err(HResult::EInvalidArg);
                }
                if list.as_ref().is_some_and(|l| l.chars().count() > 4000) {
                    return Err(HResult::BgEProxyListTooLarge);
                }
                if bypass.as_ref().is_some_and(|l| l.chars().count() > 4000) {
                    return Err(HResult::BgEProxyBypassListTooLarge);
                }
                job.proxy = (*usage, list.clone(), bypass.clone());
                Value::None
            }
            Method::SetNotifyCmdLine {
                program,
                parameters,
            } => {
                setter_rule(rules);
                if program.as_ref().is_some_and(|p| p.chars().count() > 260)
                    || parameters
                        .as_ref()
                        .is_some_and(|p| p.chars().count() > 4000)
                {
                    return Err(HResult::BgEStringTooLong);
                }
                job.notify_cmdline = program
                    .clone()
                    .map(|p| (p, parameters.clone().unwrap_or_default()));
                Value::None
            }
            Method::SetCredentials {
                target,
                scheme,
                user,
                password,
            } => {
                rules.push(ids::CREDENTIALS);
                let target =
                    AuthTarget::from_value(*target).ok_or(HResult::BgEInvalidAuthTarget)?;
                let scheme =
                    AuthSchemeId::from_value(*scheme).ok_or(HResult::BgEInvalidAuthScheme)?;
                if user.as_ref().is_some_and(|u| u.chars().count() > 300) {
                    return Err(HResult::BgEUsernameTooLarge);
                }
                if password.as_ref().is_some_and(|p| p.chars().count() > 65535) {
                    return Err(HResult::BgEPasswordTooLarge);
                }
                if !scheme.implicit_allowed() && (user.is_none() || password.is_none()) {
                    return Err(HResult::EInvalidArg);
                }
                job.credentials.insert(
                    (target, scheme),
                    Credentials {
                        user: user.clone(),
                        password: password.clone(),
                    },
                );
                Value::None
            }
            Method::RemoveCredentials { target, scheme } => {
                rules.push(ids::CREDENTIALS);
                let target =
                    AuthTarget::from_value(*target).ok_or(HResult::BgEInvalidAuthTarget)?;
                let scheme =
                    AuthSchemeId::from_value(*scheme).ok_or(HResult::BgEInvalidAuthScheme)?;
                if job.credentials.remove(&(target, scheme)).is_none() {
                    return Ok(Reply::with(HResult::SFalse, Value::None));
                }
                Value::None
            }
            Method::SetClientCertificate { path } => {
                job.client_certificate = Some(path.clone());
                Value::None
            }
            Method::RemoveClientCertificate => {
                job.client_certificate = None;
                Value::None
            }
            Method::SetCustomHeaders { headers } => {
                job.custom_headers = headers.clone();
                Value::None
            }
            Method::SetSecurityFlags { flags } => {
                job.security_flags = *flags;
                Value::None
            }
            Method::GetProperty { id } => {
                rules.push(ids::SETTERS);
                let property = JobProperty::from_value(*id)
                    .filter(|p| known.contains(*p))
                    .ok_or(HResult::BgEUnknownPropertyId)?;
                match job.properties.get(property) {
                    PropertyValue::Dword(n) | PropertyValue::Target(n) => number(n),
                    PropertyValue::Uint64(n) => number(n),
                    PropertyValue::Enable(flag) => Value::Bool { flag },
                    PropertyValue::ClsId(text) => Value::Text { text },
                }
            }
            Method::SetProperty { id, value } => {
                rules.push(ids::SETTERS);
                let property = JobProperty::from_value(*id)
                    .filter(|p| known.contains(*p))
                    .ok_or(HResult::BgEUnknownPropertyId)?;
                let facts = JobFacts {
                    job_type: job.job_type,
                    has_files: !job.files.is_empty(),
                    resumed: job.resumed,
                };
                job.properties.set(property, value, facts)?;
                Value::None
            }
            _ => return Err(HResult::ENoInterface),
        };
        Ok(Reply::ok(v))
    }

    fn resume(&mut self, id: JobId, rules: &mut Vec<&'static str>) -> CallResult {
        rules.push(ids::RESUME);
        let job = self.bits.jobs.get(&id).ok_or(HResult::EHandle)?;
        if job.files.is_empty() {
            return Err(HResult::BgEEmpty);
        }
        let state = job.state;
        let all_done = job.all_files_done();
        if let Some(j) = self.bits.jobs.get_mut(&id) {
            j.resumed = true;
        }
        match state {
            JobState::Suspended | JobState::Error | JobState::TransientError => {
                let now = self.host.now;
                if let Some(j) = self.bits.jobs.get_mut(&id) {
                    j.error = None;
                    j.transient_since = None;
                    j.last_progress = now;
                }
                self.set_state(id, JobState::Queued, None);
            }
            JobState::Transferred if !all_done => {
                self.set_state(id, JobState::Queued, None);
            }
            _ => {}
        }
        none()
    }

    fn cancel(&mut self, id: JobId, rules: &mut Vec<&'static str>) -> CallResult {
        rules.push(ids::CANCEL);
        if self.cancel_job(id) {
            none()
        } else {
            Ok(Reply::with(HResult::BgSUnableToDeleteFiles, Value::None))
        }
    }

    /// Cancels a job: deletes its temporary files and moves it to
    /// CANCELLED. Shared by Cancel (`BITS-CANCEL`) and the service's
    /// inactivity timeout (`BITS-INACTIVITY`). False when a temporary
    /// file could not be deleted.
    pub(crate) fn cancel_job(&mut self, id: JobId) -> bool {
        let temps: Vec<String> = self
            .bits
            .jobs
            .get(&id)
            .map(|j| j.files.iter().filter_map(|f| f.temp.clone()).collect())
            .unwrap_or_default();
        let mut deleted = true;
        for temp in temps {
            deleted &= self.delete_as_service(&temp);
        }
        if let Some(j) = self.bits.jobs.get_mut(&id) {
            for f in &mut j.files {
                f.temp = None;
            }
        }
        self.set_state(id, JobState::Cancelled, None);
        deleted
    }

    fn complete(
        &mut self,
        thread: ThreadId,
        id: JobId,
        caller: Option<Caller>,
        rules: &mut Vec<&'static str>,
    ) -> CallResult {
        rules.push(ids::COMPLETE);
        let job = self.bits.jobs.get(&id).ok_or(HResult::EHandle)?.clone();
        if job.job_type != JobType::Download {
            if job.state != JobState::Transferred {
                return Err(HResult::BgEInvalidState);
            }
            self.set_state(id, JobState::Acknowledged, None);
            return none();
        }
        let caller = match caller {
            Some(c) => c,
            None => self.identify(thread, rules)?,
        };
        let mut partial = false;
        let mut undeleted = false;
        for f in &job.files {
            match (&f.temp, f.completed) {
                (Some(temp), true) => {
                    self.rename_into_place(id, temp, &f.local, &caller, rules)?;
                }
                (temp, _) => {
                    partial = partial || !f.completed;
                    if let Some(temp) = temp {
                        undeleted |= !self.delete_as_service(temp);
                    }
                }
            }
        }
        if let Some(j) = self.bits.jobs.get_mut(&id) {
            for f in &mut j.files {
                f.temp = None;
            }
        }
        self.set_state(id, JobState::Acknowledged, None);
        // A partial file that could not be deleted is reported like
        // Cancel reports it ([J-complete], docs/sources.md).
        if undeleted {
            Ok(Reply::with(HResult::BgSUnableToDeleteFiles, Value::None))
        } else if partial {
            Ok(Reply::with(HResult::BgSPartialComplete, Value::None))
        } else {
            none()
        }
    }

    fn add_files(
        &mut self,
        id: JobId,
        files: &[FileSpec],
        rules: &mut Vec<&'static str>,
    ) -> CallResult {
        rules.push(ids::ADD_FILE);
        let max = self.bits.policy.max_files_per_job;
        let exempt_rule = self.rules.quotas_exempt_admins;
        let job = self.bits.jobs.get_mut(&id).ok_or(HResult::EHandle)?;
        if files
            .iter()
            .any(|f| f.remote.is_empty() || !is_absolute_local(&f.local))
        {
            return Err(HResult::EInvalidArg);
        }
        if job.job_type != JobType::Download && job.files.len() + files.len() > 1 {
            rules.push(ids::UPLOAD_ONE_FILE);
            return Err(HResult::BgETooManyFiles);
        }
        let over = job.files.len() + files.len() > max;
        let privileged = job.owner.admin || job.owner.always_logged_on;
        if over && privileged {
            rules.push(crate::profile::switch_ids::QUOTA_EXEMPT);
        }
        let exempt = exempt_rule && privileged;
        if !exempt && over {
            rules.push(ids::QUOTA);
            return Err(HResult::BgETooManyFilesInJob);
        }
        for f in files {
            job.files.push(JobFile {
                remote: f.remote.clone(),
                local: f.local.clone(),
                bytes_total: BG_SIZE_UNKNOWN,
                bytes_transferred: 0,
                completed: false,
                temp: None,
                remote_opened: false,
            });
        }
        none()
    }

    fn take_ownership(
        &mut self,
        thread: ThreadId,
        id: JobId,
        rules: &mut Vec<&'static str>,
    ) -> CallResult {
        rules.push(ids::TAKE_OWNERSHIP);
        let caller = self.identify(thread, rules)?;
        if !self.is_admin(&caller.token) && self.rules.checks.take_ownership_needs_admin {
            return Err(HResult::EAccessDenied);
        }
        let owner = self.owner_from(&caller);
        rules.push(crate::profile::switch_ids::TAKEOWNERSHIP_STRIPS);
        let strip = self.rules.take_ownership_strips_credentials;
        let sid = owner.sid.clone();
        if let Some(j) = self.bits.jobs.get_mut(&id) {
            j.owner = owner;
            if strip {
                j.credentials.clear();
                j.client_certificate = None;
                j.custom_headers = None;
                j.notify_cmdline = None;
            }
        }
        self.bits.log.push(BitsEvent::OwnerChanged {
            job: id,
            owner: sid,
        });
        none()
    }

    /// Methods of a file pointer.
    pub(crate) fn file_method(&mut self, job: JobId, index: usize, method: &Method) -> CallResult {
        let f = self
            .bits
            .jobs
            .get(&job)
            .and_then(|j| j.files.get(index))
            .ok_or(HResult::EHandle)?;
        let v = match method {
            Method::GetRemoteName => text(f.remote.clone()),
            Method::GetLocalName => text(f.local.clone()),
            Method::GetFileProgress => Value::FileProgress {
                bytes_total: f.bytes_total,
                bytes_transferred: f.bytes_transferred,
                completed: f.completed,
            },
            _ => return Err(HResult::ENoInterface),
        };
        Ok(Reply::ok(v))
    }

    /// Methods of a jobs enumerator: `Next` hands out job pointers bound
    /// to the identity that enumerated and what it was granted then.
    pub(crate) fn enum_jobs_method(
        &mut self,
        p: &Pointer,
        items: Vec<(JobId, Grant)>,
        position: usize,
        method: &Method,
        rules: &mut Vec<&'static str>,
    ) -> CallResult {
        let (reply, new_position, taken) = enum_step(items.len(), position, method)?;
        let mut pointers = Vec::new();
        for (job, grant) in items.iter().skip(position).take(taken) {
            pointers.push(self.issue(
                Interface::Job,
                Target::Job { job: *job },
                p.process,
                &p.caller,
                *grant,
                rules,
            ));
        }
        if let Some(ptr) = self.bits.pointers.get_mut(&p.id) {
            ptr.target = Target::Jobs {
                items,
                position: new_position,
            };
        }
        Ok(with_pointers(reply, method, pointers))
    }

    /// Methods of a files enumerator.
    pub(crate) fn enum_files_method(
        &mut self,
        p: &Pointer,
        job: JobId,
        count: usize,
        position: usize,
        method: &Method,
        rules: &mut Vec<&'static str>,
    ) -> CallResult {
        let (reply, new_position, taken) = enum_step(count, position, method)?;
        let mut pointers = Vec::new();
        for index in position..position + taken {
            pointers.push(self.issue(
                Interface::File,
                Target::File { job, index },
                p.process,
                &p.caller,
                p.grant,
                rules,
            ));
        }
        if let Some(ptr) = self.bits.pointers.get_mut(&p.id) {
            ptr.target = Target::Files {
                job,
                count,
                position: new_position,
            };
        }
        Ok(with_pointers(reply, method, pointers))
    }

    /// Sets a job's state, logging the change.
    pub(crate) fn set_state(&mut self, id: JobId, to: JobState, code: Option<HResult>) {
        let now = self.host.now;
        if let Some(j) = self.bits.jobs.get_mut(&id) {
            let from = j.state;
            if from == to || from.is_final() {
                return;
            }
            j.state = to;
            // ModificationTime moves on every state change, the service's
            // own ones included ([E-bg_job_times]); the inactivity clock
            // (`last_activity`) does not (`BITS-INACTIVITY`).
            j.times.modification = now;
            self.bits.log.push(BitsEvent::StateChanged {
                job: id,
                from,
                to,
                code,
            });
        }
    }
}

/// The enumerator arithmetic shared by both enumerators: the reply, the
/// new cursor and how many items `Next` hands out.
fn enum_step(
    len: usize,
    position: usize,
    method: &Method,
) -> Result<(Reply, usize, usize), HResult> {
    let left = len.saturating_sub(position);
    match method {
        Method::Next { count, fetched } => {
            let count = *count as usize;
            if count != 1 && !fetched {
                return Err(HResult::EInvalidArg);
            }
            let taken = count.min(left);
            let hr = if taken == count {
                HResult::SOk
            } else {
                HResult::SFalse
            };
            Ok((Reply::with(hr, Value::None), position + taken, taken))
        }
        Method::Skip { count } => {
            let count = *count as usize;
            let moved = count.min(left);
            let hr = if moved == count {
                HResult::SOk
            } else {
                HResult::SFalse
            };
            Ok((Reply::with(hr, Value::None), position + moved, 0))
        }
        Method::Reset => Ok((Reply::ok(Value::None), 0, 0)),
        Method::GetCount => Ok((
            Reply::ok(Value::Number { number: len as u64 }).counting(len as u64),
            position,
            0,
        )),
        _ => Err(HResult::ENoInterface),
    }
}

/// `Next`'s reply: the pointers it fetched (none, when the enumerator is
/// at its end) and their number.
fn with_pointers(reply: Reply, method: &Method, pointers: Vec<crate::world::PointerId>) -> Reply {
    if matches!(method, Method::Next { .. }) {
        let fetched = pointers.len() as u64;
        Reply::with(reply.hr, Value::Pointers { pointers }).counting(fetched)
    } else {
        reply
    }
}
