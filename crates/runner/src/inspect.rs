//! The world as a person inspects it after a step: the tokens the
//! scenario's threads, names and jobs reach (user, groups with their
//! attributes, privileges with their state, integrity level, elevation
//! type and linked token, logon SID, session), the logon and terminal
//! sessions, the threads and what they impersonate, and the jobs (state,
//! owner, helper token, flags, files, error).
//!
//! This module owns the small serializable [`View`] built from a
//! `bits::World`, the budget that bounds how many views a run keeps, which
//! participant a step talks to ([`Party`]), and the `whoami /all`-style
//! text of a token ([`whoami`]). It reads the world and changes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use bits::World;
use scenario::format::Step;
use serde::Serialize;
use simos::{ThreadId, TokenId};
use winsec::token::group_attrs;
use winsec::{ElevationType, Sid, TokenType};

use crate::run::Bound;
use crate::trace::{self, NameTable};

/// How much a run may keep of world views, counted in rows (a token's
/// groups and privileges, a job's files, each thread, session and job).
/// Steps after the budget is spent keep no view.
pub const MAX_VIEW_ROWS: usize = 200_000;

/// Whom a step talks to, for diagrams: an API of the host, the BITS
/// service, the web host, the environment (logons, the clock, the
/// network), or nobody (an expectation checks the world).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// A host API call (LogonUser, impersonation, files, COM security).
    Host,
    /// A call into the BITS service (the manager, a job, IBitsTokenOptions).
    Bits,
    /// IIS and ASP.NET on the host.
    Web,
    /// Something that happens to the host (a logon, a logoff, the clock).
    Environment,
    /// An expectation.
    Check,
}

/// The participant a step's call goes to.
pub fn party(step: &Step) -> Party {
    match step {
        Step::Logon(_)
        | Step::Logoff(_)
        | Step::EndSession(_)
        | Step::StartService(_)
        | Step::Network(_)
        | Step::BandwidthBlocked(_)
        | Step::Publish(_)
        | Step::Advance(_)
        | Step::SetAcl(_) => Party::Environment,
        Step::RunAsAdmin(_)
        | Step::CoInitializeSecurity(_)
        | Step::LogonUser(_)
        | Step::S4uLogon(_)
        | Step::ImpersonateLoggedOnUser(_)
        | Step::WindowsIdentityImpersonate(_)
        | Step::ImpersonateNamedPipeClient(_)
        | Step::ImpersonateSelf(_)
        | Step::SetThreadToken(_)
        | Step::RevertToSelf(_)
        | Step::OpenThreadToken(_)
        | Step::DuplicateToken(_)
        | Step::DuplicateTokenExPrimary(_)
        | Step::DuplicateTokenEx(_)
        | Step::CreateRestrictedToken(_)
        | Step::AdjustTokenPrivileges(_)
        | Step::ComCall(_)
        | Step::CreateProcess(_)
        | Step::CreateProcessAsUser(_)
        | Step::CreateThread(_)
        | Step::SuppressFlow(_)
        | Step::RestoreFlow(_)
        | Step::CreateFile(_)
        | Step::OpenFile(_)
        | Step::SetFileSecurity(_)
        | Step::DeleteFile(_)
        | Step::AccessCheck(_)
        | Step::CreatePrivateObjectSecurity(_)
        | Step::AccessServer(_) => Party::Host,
        Step::CoCreateInstance(_)
        | Step::SetProperty(_)
        | Step::GetProperty(_)
        | Step::CreateJob(_)
        | Step::GetJob(_)
        | Step::EnumJobs(_)
        | Step::QueryInterface(_)
        | Step::Release(_)
        | Step::Resume(_)
        | Step::Suspend(_)
        | Step::Cancel(_)
        | Step::Complete(_)
        | Step::AddFile(_)
        | Step::AddFileSet(_)
        | Step::GetState(_)
        | Step::GetProgress(_)
        | Step::GetError(_)
        | Step::GetErrorCount(_)
        | Step::GetOwner(_)
        | Step::GetId(_)
        | Step::GetType(_)
        | Step::GetTimes(_)
        | Step::GetDisplayName(_)
        | Step::SetDisplayName(_)
        | Step::GetDescription(_)
        | Step::SetDescription(_)
        | Step::SetPriority(_)
        | Step::GetPriority(_)
        | Step::SetNotifyFlags(_)
        | Step::GetNotifyFlags(_)
        | Step::SetNotifyInterface(_)
        | Step::GetNotifyInterface(_)
        | Step::SetMinimumRetryDelay(_)
        | Step::GetMinimumRetryDelay(_)
        | Step::SetNoProgressTimeout(_)
        | Step::GetNoProgressTimeout(_)
        | Step::SetProxySettings(_)
        | Step::TakeOwnership(_)
        | Step::EnumFiles(_)
        | Step::SetNotifyCmdLine(_)
        | Step::SetCredentials(_)
        | Step::RemoveCredentials(_)
        | Step::GetOwnerElevationState(_)
        | Step::GetOwnerIntegrityLevel(_)
        | Step::SetClientCertificate(_)
        | Step::RemoveClientCertificate(_)
        | Step::SetCustomHeaders(_)
        | Step::GetCustomHeaders(_)
        | Step::SetSecurityFlags(_)
        | Step::GetSecurityFlags(_)
        | Step::SetHelperToken(_)
        | Step::SetHelperTokenFlags(_)
        | Step::GetHelperTokenFlags(_)
        | Step::ClearHelperToken(_)
        | Step::GetHelperTokenSid(_)
        | Step::GetRemoteName(_)
        | Step::GetLocalName(_)
        | Step::GetFileProgress(_)
        | Step::Next(_)
        | Step::Skip(_)
        | Step::Reset(_)
        | Step::GetCount(_) => Party::Bits,
        Step::StartSite(_)
        | Step::WebRequest(_)
        | Step::ImpersonateIntPtrZero(_)
        | Step::Undo(_) => Party::Web,
        Step::Expect(_)
        | Step::ExpectThread(_)
        | Step::ExpectToken(_)
        | Step::ExpectAccess(_)
        | Step::ExpectServer(_)
        | Step::ExpectFile(_) => Party::Check,
    }
}

/// What a run records about one step besides its trace record: whom it
/// talks to, and the world after it when the run was asked for views.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepView {
    /// Whom the step's call goes to.
    pub party: Party,
    /// The world after the step (`None`: not asked for, or the run's
    /// budget for views is spent).
    pub world: Option<View>,
}

/// An account: its display name and SID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// `DOMAIN\name`, a well-known name, or the SID when nothing names it.
    pub name: String,
    /// The SID string.
    pub sid: String,
}

/// A group of a token, as `whoami /groups` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupView {
    /// The group's name.
    pub name: String,
    /// `Well-known group`, `Alias`, `Group` or `Label`.
    pub kind: String,
    /// The SID string.
    pub sid: String,
    /// The attribute phrases whoami prints (`Mandatory group`, ...).
    pub attributes: Vec<String>,
    /// The `SE_GROUP_*` bits.
    pub value: u32,
}

/// A privilege of a token and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrivilegeView {
    /// `SeChangeNotifyPrivilege`.
    pub name: String,
    /// The user-right name (`Bypass traverse checking`).
    pub description: String,
    /// `Enabled` or `Disabled`.
    pub state: String,
}

/// A token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenView {
    /// The token object's id (`token#N`).
    pub id: u64,
    /// The names the scenario gave it.
    pub names: Vec<String>,
    /// Its user.
    pub user: Account,
    /// `primary` or `impersonation`.
    pub token_type: String,
    /// The impersonation level of an impersonation token.
    pub level: Option<String>,
    /// Its groups, the mandatory label last.
    pub groups: Vec<GroupView>,
    /// Its privileges.
    pub privileges: Vec<PrivilegeView>,
    /// The integrity level's name and SID.
    pub integrity: Account,
    /// `TokenElevationTypeDefault`, `TokenElevationTypeFull` or
    /// `TokenElevationTypeLimited`.
    pub elevation: String,
    /// The other half of a split token.
    pub linked_token: Option<u64>,
    /// The logon SID (`S-1-5-5-X-Y`), if the token has one.
    pub logon_sid: Option<String>,
    /// The terminal-services session.
    pub session: u32,
    /// The logon session (`AuthenticationId`).
    pub logon: u64,
    /// The restricting SIDs of a restricted token.
    pub restricted_sids: Vec<GroupView>,
}

impl TokenView {
    /// How the trace names it: its first scenario name, else `token#N`.
    pub fn label(&self) -> String {
        self.names
            .first()
            .cloned()
            .unwrap_or_else(|| format!("token#{}", self.id))
    }
}

/// A logon session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogonView {
    /// The LUID.
    pub id: u64,
    /// The machine.
    pub machine: String,
    /// The user.
    pub account: Account,
    /// `LOGON32_LOGON_INTERACTIVE`, ...
    pub logon_type: String,
    /// The authentication package.
    pub package: String,
    /// What it can present to other machines.
    pub credentials: String,
    /// The terminal-services session.
    pub ts_session: u32,
    /// Made by Winlogon (the logons BITS is told about).
    pub winlogon: bool,
    /// False once logged off.
    pub active: bool,
}

/// A terminal-services session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionView {
    /// The machine.
    pub machine: String,
    /// The session id.
    pub id: u32,
    /// False once ended.
    pub active: bool,
}

/// A thread the scenario named (and the service's own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadView {
    /// The thread's id.
    pub id: u64,
    /// Its scenario name (`BITS` for the service thread).
    pub name: String,
    /// Its process's image.
    pub image: String,
    /// The process's primary token.
    pub process_token: Option<u64>,
    /// The token it impersonates, if any.
    pub impersonating: Option<u64>,
    /// False once its process exited.
    pub alive: bool,
}

/// A file of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileView {
    /// The remote name.
    pub remote: String,
    /// The local name.
    pub local: String,
    /// Bytes moved.
    pub bytes_transferred: u64,
    /// The size (`None` while unknown).
    pub bytes_total: Option<u64>,
    /// Done.
    pub completed: bool,
}

/// A job's error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorView {
    /// `BG_ERROR_CONTEXT_*`.
    pub context: String,
    /// The code's name.
    pub code: String,
    /// The code in hex.
    pub hex: String,
}

/// A job's helper token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HelperView {
    /// Its user.
    pub account: Account,
    /// The captured token.
    pub token: u64,
    /// Its logon session.
    pub logon: u64,
    /// The terminal-services session it was captured in.
    pub ts_session: u32,
}

/// A job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobView {
    /// The GUID.
    pub id: String,
    /// The scenario's name for it (the first pointer bound to it).
    pub name: String,
    /// The display name.
    pub display_name: String,
    /// `BG_JOB_TYPE_*`.
    pub job_type: String,
    /// `BG_JOB_STATE_*`.
    pub state: String,
    /// The owner.
    pub owner: Account,
    /// The owner was elevated when it created the job.
    pub owner_elevated: bool,
    /// The helper token.
    pub helper: Option<HelperView>,
    /// The `BG_TOKEN_*` flags.
    pub helper_flags: u32,
    /// The flags by name.
    pub helper_flag_names: String,
    /// The files.
    pub files: Vec<FileView>,
    /// The current error.
    pub error: Option<ErrorView>,
    /// How many errors it met.
    pub error_count: u32,
}

/// The world after a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct View {
    /// The logical clock.
    pub time: u64,
    /// The tokens the scenario's threads, names and jobs reach, by id.
    pub tokens: Vec<TokenView>,
    /// Logon sessions.
    pub logons: Vec<LogonView>,
    /// Terminal-services sessions.
    pub sessions: Vec<SessionView>,
    /// Named threads and the service's.
    pub threads: Vec<ThreadView>,
    /// Jobs.
    pub jobs: Vec<JobView>,
}

impl View {
    /// How many rows the view holds, for the run's budget.
    pub fn rows(&self) -> usize {
        let tokens: usize = self
            .tokens
            .iter()
            .map(|t| 1 + t.groups.len() + t.privileges.len() + t.restricted_sids.len())
            .sum();
        let jobs: usize = self.jobs.iter().map(|j| 1 + j.files.len()).sum();
        tokens + jobs + self.logons.len() + self.sessions.len() + self.threads.len()
    }

    /// The token with this id.
    pub fn token(&self, id: u64) -> Option<&TokenView> {
        self.tokens.iter().find(|t| t.id == id)
    }

    /// Who uses a token in this view: the threads acting with it (as
    /// their process token or by impersonating it) and the jobs holding
    /// it as their helper token.
    pub fn uses(&self, id: u64) -> Vec<String> {
        let mut out = Vec::new();
        for t in &self.threads {
            if t.impersonating == Some(id) {
                out.push(format!("thread {} impersonates it", t.name));
            } else if t.process_token == Some(id) {
                out.push(format!(
                    "thread {}'s process token{}",
                    t.name,
                    if t.impersonating.is_some() {
                        " (the thread impersonates another)"
                    } else {
                        ""
                    }
                ));
            }
        }
        for j in &self.jobs {
            if j.helper.as_ref().is_some_and(|h| h.token == id) {
                out.push(format!("job {}'s helper token", j.name));
            }
        }
        for t in &self.tokens {
            if t.linked_token == Some(id) {
                out.push(format!("linked from {}", t.label()));
            }
        }
        out
    }

    /// The token a scenario name reaches: a named token, or the token a
    /// named thread acts with (its impersonation token, else its
    /// process's).
    pub fn token_named(&self, name: &str) -> Option<&TokenView> {
        if let Some(t) = self
            .tokens
            .iter()
            .find(|t| t.names.iter().any(|n| n == name))
        {
            return Some(t);
        }
        let thread = self.threads.iter().find(|t| t.name == name)?;
        self.token(thread.impersonating.or(thread.process_token)?)
    }
}

/// The step's record of whom it talks to and, when `want` and the
/// `budget` allows, the world after it (the budget shrinks by its rows).
pub fn after_step(
    step: &Step,
    world: &World,
    names: &BTreeMap<String, Bound>,
    table: &NameTable,
    want: bool,
    budget: &mut usize,
) -> StepView {
    let world = want
        .then(|| view(world, names, table))
        .filter(|v| v.rows() <= *budget);
    if let Some(v) = &world {
        *budget -= v.rows();
    } else if want {
        *budget = 0;
    }
    StepView {
        party: party(step),
        world,
    }
}

/// The world as the scenario's names reach it.
pub fn view(world: &World, names: &BTreeMap<String, Bound>, table: &NameTable) -> View {
    let host = &world.host;
    let machine = world.bits.machine.as_str();
    let account = |sid: &Sid| Account {
        name: sid_name(world, sid),
        sid: sid.to_string(),
    };

    let mut thread_names: BTreeMap<ThreadId, String> = BTreeMap::new();
    let mut token_names: BTreeMap<TokenId, Vec<String>> = BTreeMap::new();
    for (name, bound) in names {
        match bound {
            Bound::Thread(t) => {
                thread_names.entry(*t).or_insert_with(|| name.clone());
            }
            Bound::Token(t) => token_names.entry(*t).or_default().push(name.clone()),
            Bound::Pointer(_) => {}
        }
    }
    thread_names.insert(world.bits.thread, "BITS".to_string());

    let mut wanted: BTreeSet<TokenId> = BTreeSet::new();
    let mut threads = Vec::new();
    for (&id, name) in &thread_names {
        let Some(t) = host.thread(id) else {
            continue;
        };
        let process = host.processes.get(&t.process);
        let process_token = process.map(|p| p.primary_token);
        wanted.extend(process_token);
        wanted.extend(t.impersonation);
        threads.push(ThreadView {
            id: id.0,
            name: name.clone(),
            image: process.map_or_else(String::new, |p| p.image.clone()),
            process_token: process_token.map(|t| t.0),
            impersonating: t.impersonation.map(|t| t.0),
            alive: process.is_some_and(|p| p.alive),
        });
    }
    wanted.extend(token_names.keys().copied());
    let mut jobs = Vec::new();
    for job in world.bits.jobs.values() {
        if let Some(h) = &job.helper {
            wanted.insert(h.token);
        }
        jobs.push(job_view(job, table, &account));
    }
    // The other half of a split token, one hop.
    let linked: Vec<TokenId> = wanted
        .iter()
        .filter_map(|id| host.token(*id))
        .filter_map(|o| o.token.linked_token.map(TokenId))
        .collect();
    wanted.extend(linked);

    let ctx = host.domain_context(machine);
    let tokens = wanted
        .iter()
        .filter_map(|id| {
            let object = host.token(*id)?;
            Some(token_view(
                world,
                *id,
                object,
                token_names.get(id).cloned().unwrap_or_default(),
                &ctx,
            ))
        })
        .collect();
    View {
        time: host.now,
        tokens,
        logons: host
            .logons
            .values()
            .map(|l| LogonView {
                id: l.id.0,
                machine: l.machine.clone(),
                account: Account {
                    name: l.account.clone(),
                    sid: l.user.to_string(),
                },
                logon_type: l.logon_type.name().to_string(),
                package: trace::snake(&l.package),
                credentials: credentials(&l.credentials),
                ts_session: l.ts_session,
                winlogon: l.winlogon,
                active: l.active,
            })
            .collect(),
        sessions: host
            .terminal_sessions
            .values()
            .map(|s| SessionView {
                machine: s.machine.clone(),
                id: s.id,
                active: s.active,
            })
            .collect(),
        threads,
        jobs,
    }
}

fn credentials(c: &simos::NetworkCredentials) -> String {
    use simos::NetworkCredentials as C;
    match c {
        C::None => "none".to_string(),
        C::Password => "password".to_string(),
        C::ForwardedTgt => "forwarded TGT".to_string(),
        C::MachineAccount => "machine account".to_string(),
        C::Other { user, domain, .. } => format!("other ({domain}\\{user})"),
    }
}

fn job_view(job: &bits::Job, table: &NameTable, account: &dyn Fn(&Sid) -> Account) -> JobView {
    let name = table
        .bindings
        .iter()
        .find(|b| b.job == Some(job.id))
        .map_or_else(|| format!("job#{}", job.id.0), |b| b.name.clone());
    JobView {
        id: job.id.to_string(),
        name,
        display_name: job.display_name.clone(),
        job_type: job.job_type.name().to_string(),
        state: job.state.name().to_string(),
        owner: account(&job.owner.sid),
        owner_elevated: job.owner.elevated,
        helper: job.helper.as_ref().map(|h| HelperView {
            account: account(&h.sid),
            token: h.token.0,
            logon: h.logon.0,
            ts_session: h.ts_session,
        }),
        helper_flags: job.helper_flags,
        helper_flag_names: flag_names(job.helper_flags),
        files: job
            .files
            .iter()
            .map(|f| FileView {
                remote: f.remote.clone(),
                local: f.local.clone(),
                bytes_transferred: f.bytes_transferred,
                bytes_total: (f.bytes_total != bits::job::BG_SIZE_UNKNOWN).then_some(f.bytes_total),
                completed: f.completed,
            })
            .collect(),
        error: job.error.as_ref().map(|e| ErrorView {
            context: e.context.name().to_string(),
            code: e.code.name(),
            hex: format!("0x{:08X}", e.code.code()),
        }),
        error_count: job.error_count,
    }
}

/// `BG_TOKEN_LOCAL_FILE|BG_TOKEN_NETWORK`, `0` for none.
fn flag_names(flags: u32) -> String {
    use bits::job::token_flags;
    let mut parts: Vec<String> = [
        (token_flags::LOCAL_FILE, "BG_TOKEN_LOCAL_FILE"),
        (token_flags::NETWORK, "BG_TOKEN_NETWORK"),
    ]
    .iter()
    .filter(|(bit, _)| flags & bit != 0)
    .map(|(_, n)| (*n).to_string())
    .collect();
    if flags & !token_flags::ALL != 0 {
        parts.push(format!("0x{:x}", flags & !token_flags::ALL));
    }
    if parts.is_empty() {
        "0".to_string()
    } else {
        parts.join("|")
    }
}

fn token_view(
    world: &World,
    id: TokenId,
    object: &simos::host::TokenObject,
    names: Vec<String>,
    ctx: &winsec::well_known::DomainContext,
) -> TokenView {
    let token = &object.token;
    let group = |g: &winsec::token::Group| GroupView {
        name: sid_name(world, &g.sid),
        kind: group_kind(world, &g.sid, g.attributes).to_string(),
        sid: g.sid.to_string(),
        attributes: attribute_phrases(g.attributes),
        value: g.attributes,
    };
    let mut groups: Vec<GroupView> = token.groups.iter().map(group).collect();
    let label = token.integrity.sid();
    let label_name = winsec::well_known::name_of(&label, ctx)
        .unwrap_or_else(|| format!("Mandatory Label\\{}", token.integrity));
    groups.push(GroupView {
        name: label_name.clone(),
        kind: "Label".to_string(),
        sid: label.to_string(),
        attributes: Vec::new(),
        value: group_attrs::INTEGRITY | group_attrs::INTEGRITY_ENABLED,
    });
    let (token_type, level) = match token.token_type {
        TokenType::Primary => ("primary".to_string(), None),
        TokenType::Impersonation(l) => ("impersonation".to_string(), Some(l.name().to_string())),
    };
    TokenView {
        id: id.0,
        names,
        user: Account {
            name: sid_name(world, &token.user.sid),
            sid: token.user.sid.to_string(),
        },
        token_type,
        level,
        groups,
        privileges: token
            .privileges
            .iter()
            .map(|p| PrivilegeView {
                name: p.privilege.name().to_string(),
                description: privilege_description(p.privilege).to_string(),
                state: if p.is_enabled() {
                    "Enabled"
                } else {
                    "Disabled"
                }
                .to_string(),
            })
            .collect(),
        integrity: Account {
            name: label_name,
            sid: label.to_string(),
        },
        elevation: match token.elevation_type {
            ElevationType::Default => "TokenElevationTypeDefault",
            ElevationType::Full => "TokenElevationTypeFull",
            ElevationType::Limited => "TokenElevationTypeLimited",
        }
        .to_string(),
        linked_token: token.linked_token,
        logon_sid: token
            .groups
            .iter()
            .find(|g| g.attributes & group_attrs::LOGON_ID == group_attrs::LOGON_ID)
            .map(|g| g.sid.to_string()),
        session: token.session_id,
        logon: object.logon.0,
        restricted_sids: token.restricted_sids.iter().map(group).collect(),
    }
}

/// The name whoami shows for a SID: an account or group of the domain or
/// of a machine, else a well-known name with the domain-relative ones
/// (`DOMAIN\Domain Users`) under the real domain's or machine's name.
pub fn sid_name(world: &World, sid: &Sid) -> String {
    let host = &world.host;
    let name = crate::report::account_name(host, &world.bits.machine, sid);
    if let Some(rest) = name.strip_prefix("DOMAIN\\") {
        if let Some(d) = &*host.domain {
            return format!("{}\\{rest}", d.name);
        }
    }
    if let Some(rest) = name.strip_prefix("MACHINE\\") {
        return format!("{}\\{rest}", world.bits.machine);
    }
    if name.starts_with("S-1-") {
        if let Some(d) = &*host.domain {
            if let Some((group, _)) = d.groups.iter().find(|(_, g)| *g == sid) {
                return format!("{}\\{group}", d.name);
            }
        }
        for m in host.machines.values() {
            if let Some(g) = m.groups.values().find(|g| g.sid == *sid) {
                return format!("{}\\{}", m.name, g.name);
            }
        }
    }
    name
}

/// The type column of `whoami /groups`: `Label` for a mandatory label,
/// `Alias` for BUILTIN and machine-local groups (and domain-local groups,
/// which carry `SE_GROUP_RESOURCE`), `Group` for domain groups,
/// `Well-known group` otherwise.
fn group_kind(world: &World, sid: &Sid, attributes: u32) -> &'static str {
    if sid.authority() == 16 {
        return "Label";
    }
    if let (5, [32, ..]) = (sid.authority(), sid.sub_authorities()) {
        return "Alias";
    }
    if attributes & group_attrs::RESOURCE != 0 {
        return "Alias";
    }
    let host = &world.host;
    if host
        .machines
        .values()
        .any(|m| m.groups.values().any(|g| g.sid == *sid))
    {
        return "Alias";
    }
    if let (5, [21, ..]) = (sid.authority(), sid.sub_authorities()) {
        return "Group";
    }
    "Well-known group"
}

/// The attribute phrases `whoami /groups` prints for `SE_GROUP_*` bits,
/// in its order. The logon-SID and integrity bits have no phrase.
pub fn attribute_phrases(bits: u32) -> Vec<String> {
    [
        (group_attrs::MANDATORY, "Mandatory group"),
        (group_attrs::ENABLED_BY_DEFAULT, "Enabled by default"),
        (group_attrs::ENABLED, "Enabled group"),
        (group_attrs::OWNER, "Group owner"),
        (group_attrs::USE_FOR_DENY_ONLY, "Group used for deny only"),
        (group_attrs::RESOURCE, "Local Group"),
    ]
    .iter()
    .filter(|(bit, _)| bits & bit == *bit)
    .map(|(_, phrase)| (*phrase).to_string())
    .collect()
}

/// The user-right name of a privilege, as `whoami /priv` prints it in its
/// Description column (Microsoft Learn, "Privilege Constants
/// (Authorization)", https://learn.microsoft.com/en-us/windows/win32/secauthz/privilege-constants).
pub fn privilege_description(p: winsec::Privilege) -> &'static str {
    use winsec::Privilege as P;
    match p {
        P::CreateToken => "Create a token object",
        P::AssignPrimaryToken => "Replace a process level token",
        P::LockMemory => "Lock pages in memory",
        P::IncreaseQuota => "Adjust memory quotas for a process",
        P::MachineAccount => "Add workstations to domain",
        P::Tcb => "Act as part of the operating system",
        P::Security => "Manage auditing and security log",
        P::TakeOwnership => "Take ownership of files or other objects",
        P::LoadDriver => "Load and unload device drivers",
        P::SystemProfile => "Profile system performance",
        P::Systemtime => "Change the system time",
        P::ProfileSingleProcess => "Profile single process",
        P::IncreaseBasePriority => "Increase scheduling priority",
        P::CreatePagefile => "Create a pagefile",
        P::CreatePermanent => "Create permanent shared objects",
        P::Backup => "Back up files and directories",
        P::Restore => "Restore files and directories",
        P::Shutdown => "Shut down the system",
        P::Debug => "Debug programs",
        P::Audit => "Generate security audits",
        P::SystemEnvironment => "Modify firmware environment values",
        P::ChangeNotify => "Bypass traverse checking",
        P::RemoteShutdown => "Force shutdown from a remote system",
        P::Undock => "Remove computer from docking station",
        P::SyncAgent => "Synchronize directory service data",
        P::EnableDelegation => "Enable computer and user accounts to be trusted for delegation",
        P::ManageVolume => "Perform volume maintenance tasks",
        P::Impersonate => "Impersonate a client after authentication",
        P::CreateGlobal => "Create global objects",
        P::TrustedCredManAccess => "Access Credential Manager as a trusted caller",
        P::Relabel => "Modify an object label",
        P::IncreaseWorkingSet => "Increase a process working set",
        P::TimeZone => "Change the time zone",
        P::CreateSymbolicLink => "Create symbolic links",
        P::DelegateSessionUserImpersonate => {
            "Obtain an impersonation token for another user in the same session"
        }
    }
}

/// A table as whoami draws it: a header row, a rule of `=` under each
/// column, one row per record; columns as wide as their widest cell,
/// separated by one space, the last one not padded.
fn table(out: &mut String, headers: &[&str], rows: &[Vec<String>]) {
    let width = |i: usize| {
        rows.iter()
            .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
            .chain(std::iter::once(headers[i].chars().count()))
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..headers.len()).map(width).collect();
    let line = |cells: Vec<String>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                let _ = write!(s, "{c:<w$}", w = widths[i]);
            }
        }
        s.trim_end().to_string()
    };
    out.push_str(&line(headers.iter().map(|h| (*h).to_string()).collect()));
    out.push('\n');
    out.push_str(&line(widths.iter().map(|w| "=".repeat(*w)).collect()));
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.clone()));
        out.push('\n');
    }
}

fn heading(out: &mut String, title: &str) {
    let _ = writeln!(out, "{title}\n{}\n", "-".repeat(title.len()));
}

/// A token as `whoami /all` prints it (USER INFORMATION, GROUP
/// INFORMATION with the mandatory label, PRIVILEGES INFORMATION), then
/// what whoami does not print: TOKEN INFORMATION (type and level,
/// elevation type, linked token, logon SID and session, logon session).
pub fn whoami(t: &TokenView) -> String {
    let mut out = String::new();
    heading(&mut out, "USER INFORMATION");
    table(
        &mut out,
        &["User Name", "SID"],
        &[vec![t.user.name.clone(), t.user.sid.clone()]],
    );
    out.push_str("\n\n");
    heading(&mut out, "GROUP INFORMATION");
    let groups: Vec<Vec<String>> = t
        .groups
        .iter()
        .map(|g| {
            vec![
                g.name.clone(),
                g.kind.clone(),
                g.sid.clone(),
                g.attributes.join(", "),
            ]
        })
        .collect();
    table(
        &mut out,
        &["Group Name", "Type", "SID", "Attributes"],
        &groups,
    );
    out.push_str("\n\n");
    heading(&mut out, "PRIVILEGES INFORMATION");
    let privileges: Vec<Vec<String>> = t
        .privileges
        .iter()
        .map(|p| vec![p.name.clone(), p.description.clone(), p.state.clone()])
        .collect();
    table(
        &mut out,
        &["Privilege Name", "Description", "State"],
        &privileges,
    );
    out.push_str("\n\n");
    heading(&mut out, "TOKEN INFORMATION");
    let mut facts = vec![
        ("Token", format!("token#{}", t.id)),
        (
            "Type",
            match &t.level {
                Some(l) => format!("{} ({l})", t.token_type),
                None => t.token_type.clone(),
            },
        ),
        (
            "Integrity",
            format!("{} ({})", t.integrity.name, t.integrity.sid),
        ),
        ("Elevation type", t.elevation.clone()),
        (
            "Linked token",
            t.linked_token
                .map_or_else(|| "none".to_string(), |l| format!("token#{l}")),
        ),
        (
            "Logon SID",
            t.logon_sid.clone().unwrap_or_else(|| "none".to_string()),
        ),
        ("Session", t.session.to_string()),
        ("Logon session", format!("0x{:X}", t.logon)),
    ];
    if !t.restricted_sids.is_empty() {
        facts.push((
            "Restricting SIDs",
            t.restricted_sids
                .iter()
                .map(|g| g.name.clone())
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    for (k, v) in facts {
        let _ = writeln!(out, "{:<16} {v}", format!("{k}:"));
    }
    out
}
