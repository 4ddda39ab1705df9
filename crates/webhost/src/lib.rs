//! `webhost`: an IIS site with ASP.NET on the simulated host.
//!
//! A [`Site`] names the web server machine, the application pool
//! identity, the IIS authentication type and whether ASP.NET impersonates
//! (`<identity impersonate="true"/>`). [`start`] starts the pool's worker
//! process; [`request`] serves one request from a client and returns the
//! token IIS hands ASP.NET and the worker thread that runs the page,
//! impersonating it when the site says so. Everything happens through
//! `simos::Host::apply`: each authentication type is the logon Windows
//! performs for it ([IDM], [ASP-IMP], [LT]), so what the page can
//! then open locally and reach remotely follows from the host's own rules.
//!
//! Besides serving, the page can do what [PP-IMPDEL] describes in code:
//! log a forms-authenticated user on with `LogonUser` ([`forms_logon`])
//! or `new WindowsIdentity(upn)` ([`forms_s4u`]) and impersonate the
//! result ([`impersonate`]), drop to the process identity with
//! `WindowsIdentity.Impersonate(IntPtr.Zero)` and resume with `Undo()`
//! ([`impersonate_zero`], [`undo`]), and hand work to new threads, the
//! thread pool or an STA component under the process's aspnet.config flow
//! policy ([`spawn`]). The trusted-subsystem model is a site that does not
//! impersonate: [`reach`] then goes out as the app pool identity.
//!
//! Architecture invariant: pure, like `simos`. Every Windows decision is
//! the host's; the few rules that belong to IIS and ASP.NET themselves
//! (the integrated pipeline's refusal of `impersonate="true"`, the
//! request stages that run before impersonation) are in [`rules`] with
//! their sources.

use std::collections::BTreeSet;

use serde::Serialize;
use simos::network::{AuthScheme, NetworkOp, RemoteAccess, Server, ServerKind};
use simos::objects::ObjectOp;
use simos::{
    BuiltinIdentity, FlowPolicy, Host, LogonType, Op, ServiceAccount, ThreadId, ThreadStart,
    TokenId, Value,
};
use winsec::{AccessMask, Sid, Win32Error};

/// Rules of IIS and ASP.NET themselves (the Windows rules are the host's).
pub mod rules {
    simos::rule_table! {
        /// Integrated pipeline and impersonation.
        INTEGRATED_500_24 = "WEB-INTEGRATED-500-24":
            "in the IIS 7 integrated pipeline, <identity impersonate=\"true\"/> with validateIntegratedModeConfiguration at its default (true) fails every request with HTTP 500.24 before any page code runs",
            "[IIS-INT] (IIS 7+ integrated pipeline differences)";
        /// Early stages run as the process.
        INTEGRATED_EARLY_STAGES = "WEB-INTEGRATED-EARLY-STAGES":
            "with the validation turned off, the integrated pipeline does not impersonate in BeginRequest and AuthenticateRequest: modules there run as the app pool identity, and impersonation starts at PostAuthenticateRequest",
            "[IIS-INT]";
        /// The classic pipeline.
        CLASSIC_IMPERSONATE = "WEB-CLASSIC-IMPERSONATE":
            "in the classic pipeline (and IIS 6), <identity impersonate=\"true\"/> makes the page's thread impersonate the token IIS handed ASP.NET for the request",
            "[IDM], [ASP-IMP], [LT] (IIS authentication table); [IL]; [PP-IMPDEL] Impersonating the Original Caller";
        /// Forms authentication is not a Windows logon.
        FORMS_NO_WINDOWS_USER = "WEB-FORMS-NO-WINDOWS-USER":
            "forms authentication names a user to ASP.NET but logs nobody on to Windows: the request runs under IIS anonymous authentication, as the anonymous account when impersonating, and the page must call LogonUser (with the password) or WindowsIdentity(upn) (S4U) to act as the user",
            "[IDM], [ASP-IMP], [LT] (Forms auth over IIS Anonymous row); [WI-UPN], [LSALU], [OTT]; [LU]";
        /// Impersonate(IntPtr.Zero) and Undo.
        IMPERSONATE_ZERO = "WEB-IMPERSONATE-ZERO":
            "WindowsIdentity.Impersonate(IntPtr.Zero) removes the thread's token so the code runs as the process identity, and the returned context's Undo() puts the previous token back",
            "[PP-IMPDEL] Impersonating the Original Caller Temporarily; [IL]";
        /// The worker process flow policy.
        ASPNET_FLOW = "WEB-ASPNET-FLOW":
            "an ASP.NET worker process runs under aspnet.config, whose defaults (legacyImpersonationPolicy on, alwaysFlowImpersonationPolicy off) keep the request's impersonation from flowing to new threads and pool work",
            "[LIP], [AFIP], [RS-SC], [RS-TH]; [PP-IMPDEL] What's New in 2.0";
    }
}

/// Where the web host's operations go: straight to a [`Host`], or through
/// a driver (the scenario runner) that applies each one with
/// `World::apply`, checks the invariants and records it.
pub trait HostApi {
    /// Applies one host operation.
    fn apply_op(&mut self, op: &Op) -> simos::Outcome;
    /// The host as it is now.
    fn host(&self) -> &Host;
}

impl HostApi for Host {
    fn apply_op(&mut self, op: &Op) -> simos::Outcome {
        self.apply(op)
    }

    fn host(&self) -> &Host {
        self
    }
}

/// An account with its password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// The user name.
    pub user: String,
    /// The domain (`None`: an account of the web server itself).
    pub domain: Option<String>,
    /// The password.
    pub password: String,
}

impl Account {
    /// An account whose password is its name followed by `-pw` (the
    /// scenario convention).
    pub fn new(user: &str, domain: Option<&str>) -> Account {
        Account {
            user: user.to_string(),
            domain: domain.map(str::to_string),
            password: format!("{user}-pw"),
        }
    }

    /// `DOMAIN\user`, or the bare name for a local account.
    pub fn display(&self) -> String {
        match &self.domain {
            Some(d) => format!("{d}\\{}", self.user),
            None => self.user.clone(),
        }
    }
}

/// The application pool identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AppPool {
    /// NETWORK SERVICE (the IIS default before ApplicationPoolIdentity).
    NetworkService,
    /// LocalSystem.
    LocalSystem,
    /// A custom (domain or local) account, logged on as a service.
    Account(Account),
}

/// The IIS authentication type of the site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Authentication {
    /// Anonymous: IIS logs the anonymous account on (`logonMethod`
    /// ClearText); `None` is `username=""`, the request runs as the pool.
    Anonymous(Option<Account>),
    /// Basic: IIS calls `LogonUser(NETWORK_CLEARTEXT)` with the user's
    /// password.
    Basic,
    /// Digest: a network logon with no reusable credentials.
    Digest,
    /// Integrated Windows authentication offering NTLM only.
    IntegratedNtlm,
    /// Integrated Windows authentication with Negotiate (Kerberos).
    IntegratedKerberos,
    /// A client certificate with IIS one-to-one mapping to this account,
    /// whose password the mapping stores.
    ClientCertificateIis(Account),
    /// A client certificate with Active Directory mapping to this UPN: no
    /// password; IIS makes a protocol-transition (S4U) logon.
    ClientCertificateAd(String),
}

impl Authentication {
    /// The name IIS gives it.
    pub fn name(&self) -> &'static str {
        match self {
            Authentication::Anonymous(_) => "Anonymous",
            Authentication::Basic => "Basic",
            Authentication::Digest => "Digest",
            Authentication::IntegratedNtlm => "Integrated Windows (NTLM)",
            Authentication::IntegratedKerberos => "Integrated Windows (Kerberos)",
            Authentication::ClientCertificateIis(_) => "Client certificate (IIS mapping)",
            Authentication::ClientCertificateAd(_) => "Client certificate (AD mapping)",
        }
    }

    /// The logon it amounts to, in words ([IDM], [ASP-IMP], [LT]).
    pub fn logon(&self) -> &'static str {
        match self {
            Authentication::Anonymous(Some(_)) => {
                "LogonUser(NETWORK_CLEARTEXT) of the anonymous account"
            }
            Authentication::Anonymous(None) => "none: the request runs as the app pool",
            Authentication::Basic => "LogonUser(NETWORK_CLEARTEXT) with the user's password",
            Authentication::Digest => "Digest network logon (nothing reusable)",
            Authentication::IntegratedNtlm => "NTLM network logon",
            Authentication::IntegratedKerberos => "Kerberos network logon (service ticket)",
            Authentication::ClientCertificateIis(_) => {
                "LogonUser(NETWORK_CLEARTEXT) of the mapped account"
            }
            Authentication::ClientCertificateAd(_) => {
                "S4U logon (protocol transition) in the IIS worker"
            }
        }
    }
}

/// An IIS site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    /// The web server machine.
    pub machine: String,
    /// The name clients reach it by (an HTTP server defined on the host).
    pub server: String,
    /// Its SPN (`HTTP/web.corp.example`).
    pub spn: String,
    /// The app pool identity.
    pub pool: AppPool,
    /// The IIS authentication.
    pub authentication: Authentication,
    /// `<identity impersonate="true"/>`.
    pub impersonate: bool,
    /// The managed pipeline mode of the app pool.
    pub pipeline: Pipeline,
    /// The worker process's aspnet.config flow settings.
    pub flow: FlowPolicy,
    /// `<authentication mode="Forms"/>`: ASP.NET knows the user by name
    /// only, and the request runs under IIS's own authentication.
    pub forms: bool,
}

impl Site {
    /// A site on `machine` reached as `server` with SPN `spn`: classic
    /// pipeline, aspnet.config defaults, no impersonation.
    pub fn new(
        machine: &str,
        server: &str,
        spn: &str,
        pool: AppPool,
        authentication: Authentication,
    ) -> Site {
        Site {
            machine: machine.to_string(),
            server: server.to_string(),
            spn: spn.to_string(),
            pool,
            authentication,
            impersonate: false,
            pipeline: Pipeline::Classic,
            flow: FlowPolicy::ASPNET_DEFAULT,
            forms: false,
        }
    }
}

/// The managed pipeline mode (IIS 7+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Pipeline {
    /// Classic mode (and IIS 6): ASP.NET runs as an ISAPI extension.
    Classic,
    /// Integrated mode.
    Integrated {
        /// `<validation validateIntegratedModeConfiguration>` (default true).
        validate_configuration: bool,
    },
}

/// A browsing user on a client machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Client {
    /// The client machine.
    pub machine: String,
    /// The user.
    pub account: Account,
}

/// One served request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    /// The worker thread that runs the page.
    pub thread: ThreadId,
    /// The token IIS hands ASP.NET (`None` for anonymous with
    /// `username=""`).
    pub token: Option<TokenId>,
    /// Who ran the modules of BeginRequest and AuthenticateRequest: the
    /// page's thread before impersonation, i.e. the app pool identity.
    pub early_stage_token: Option<TokenId>,
    /// The rule ids of the host operations involved.
    pub rules: Vec<&'static str>,
}

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Failure {
    /// A host call failed with a Win32 error.
    Win32(Win32Error),
    /// IIS answered with an HTTP error (`500.24`).
    Http {
        /// The status code.
        status: u16,
        /// IIS's substatus.
        substatus: u16,
    },
}

/// Why a request could not be served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebError {
    /// The step that failed.
    pub step: &'static str,
    /// What it failed with.
    pub failure: Failure,
    /// The IIS or ASP.NET rule that refused it, when it was not a host call.
    pub rule: Option<&'static str>,
}

impl WebError {
    fn win32(step: &'static str, error: Win32Error) -> WebError {
        WebError {
            step,
            failure: Failure::Win32(error),
            rule: None,
        }
    }

    /// The Win32 error, when a host call failed.
    pub fn win32_error(&self) -> Option<Win32Error> {
        match self.failure {
            Failure::Win32(e) => Some(e),
            Failure::Http { .. } => None,
        }
    }
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.failure {
            Failure::Win32(e) => write!(f, "{} failed: {}", self.step, e.name()),
            Failure::Http { status, substatus } => {
                write!(f, "{} failed: HTTP {status}.{substatus}", self.step)
            }
        }
    }
}

impl std::error::Error for WebError {}

fn apply<H: HostApi + ?Sized>(
    host: &mut H,
    op: Op,
    step: &'static str,
    rules: &mut Vec<&'static str>,
) -> Result<Option<Value>, WebError> {
    let out = host.apply_op(&op);
    rules.extend(out.rules.iter().copied());
    match out.result.error() {
        Some(error) => Err(WebError::win32(step, error)),
        None => Ok(out.result.value().cloned()),
    }
}

fn service_account(pool: &AppPool) -> ServiceAccount {
    match pool {
        AppPool::NetworkService => ServiceAccount::Builtin(BuiltinIdentity::NetworkService),
        AppPool::LocalSystem => ServiceAccount::Builtin(BuiltinIdentity::LocalSystem),
        AppPool::Account(a) => ServiceAccount::Account {
            user: a.user.clone(),
            domain: a.domain.clone(),
            password: a.password.clone(),
        },
    }
}

fn started(value: Option<Value>, step: &'static str) -> Result<ThreadId, WebError> {
    match value {
        Some(Value::Process { thread, .. }) => Ok(thread),
        _ => Err(WebError::win32(step, Win32Error::InvalidParameter)),
    }
}

fn token(value: Option<Value>, step: &'static str) -> Result<TokenId, WebError> {
    match value {
        Some(Value::Token { token }) => Ok(token),
        _ => Err(WebError::win32(step, Win32Error::InvalidParameter)),
    }
}

/// Starts the site's app pool worker process (w3wp.exe) under the site's
/// aspnet.config flow policy and returns its thread.
pub fn start<H: HostApi + ?Sized>(host: &mut H, site: &Site) -> Result<Worker, WebError> {
    let mut rules = vec![rules::ids::ASPNET_FLOW];
    let v = apply(
        host,
        Op::StartService {
            machine: site.machine.clone(),
            image: "w3wp.exe".to_string(),
            account: service_account(&site.pool),
            flow_policy: Some(site.flow),
        },
        "start the app pool",
        &mut rules,
    )?;
    let thread = started(v, "start the app pool")?;
    Ok(Worker { thread, rules })
}

/// A started app pool worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Worker {
    /// The thread that runs the pages.
    pub thread: ThreadId,
    /// The rule ids of the start, the worker's flow policy among them.
    pub rules: Vec<&'static str>,
}

fn logon<H: HostApi + ?Sized>(
    host: &mut H,
    thread: ThreadId,
    account: &Account,
    logon_type: LogonType,
    rules: &mut Vec<&'static str>,
) -> Result<TokenId, WebError> {
    let v = apply(
        host,
        Op::LogonUser {
            thread,
            user: account.user.clone(),
            domain: account.domain.clone(),
            password: account.password.clone(),
            logon_type,
        },
        "the IIS logon",
        rules,
    )?;
    token(v, "the IIS logon")
}

/// Serves one request from `client` on the site whose worker thread is
/// `worker`: IIS authenticates the client the way the site's
/// authentication type does, and the page's thread impersonates the
/// result when the site impersonates.
pub fn request<H: HostApi + ?Sized>(
    host: &mut H,
    site: &Site,
    worker: ThreadId,
    client: &Client,
) -> Result<Request, WebError> {
    let mut rules = Vec::new();
    if let (
        true,
        Pipeline::Integrated {
            validate_configuration: true,
        },
    ) = (site.impersonate, site.pipeline)
    {
        rules.push(rules::ids::INTEGRATED_500_24);
        return Err(WebError {
            step: "IIS integrated pipeline validation",
            failure: Failure::Http {
                status: 500,
                substatus: 24,
            },
            rule: Some(rules::ids::INTEGRATED_500_24),
        });
    }
    let handed = match &site.authentication {
        Authentication::Anonymous(None) => None,
        Authentication::Anonymous(Some(account)) => Some(logon(
            host,
            worker,
            account,
            LogonType::NetworkCleartext,
            &mut rules,
        )?),
        Authentication::Basic => Some(logon(
            host,
            worker,
            &client.account,
            LogonType::NetworkCleartext,
            &mut rules,
        )?),
        Authentication::ClientCertificateIis(account) => Some(logon(
            host,
            worker,
            account,
            LogonType::NetworkCleartext,
            &mut rules,
        )?),
        Authentication::ClientCertificateAd(upn) => {
            let iis = apply(
                host,
                Op::StartService {
                    machine: site.machine.clone(),
                    image: "inetinfo.exe".to_string(),
                    account: ServiceAccount::Builtin(BuiltinIdentity::LocalSystem),
                    flow_policy: None,
                },
                "start the IIS service",
                &mut rules,
            )?;
            let iis = started(iis, "start the IIS service")?;
            let v = apply(
                host,
                Op::S4uLogon {
                    thread: iis,
                    upn: upn.clone(),
                },
                "the S4U logon",
                &mut rules,
            )?;
            Some(token(v, "the S4U logon")?)
        }
        Authentication::Digest
        | Authentication::IntegratedNtlm
        | Authentication::IntegratedKerberos => {
            let scheme = match site.authentication {
                Authentication::IntegratedNtlm => AuthScheme::Ntlm,
                Authentication::Digest => AuthScheme::Digest,
                _ => AuthScheme::Negotiate,
            };
            let schemes: BTreeSet<AuthScheme> = [scheme].into_iter().collect();
            apply(
                host,
                Op::Network(NetworkOp::DefineServer {
                    name: site.server.clone(),
                    server: Server {
                        kind: ServerKind::Http,
                        machine: site.machine.clone(),
                        spn: site.spn.clone(),
                        resource: String::new(),
                        schemes,
                        sddl: "D:(A;;GA;;;AU)".to_string(),
                        proxy: None,
                    },
                }),
                "define the site",
                &mut rules,
            )?;
            let browser = apply(
                host,
                Op::InteractiveLogon {
                    machine: client.machine.clone(),
                    user: client.account.user.clone(),
                    domain: client.account.domain.clone(),
                    password: client.account.password.clone(),
                    ts_session: 1,
                    remote: false,
                },
                "the client's logon",
                &mut rules,
            )?;
            let browser = started(browser, "the client's logon")?;
            let r = apply(
                host,
                Op::Network(NetworkOp::Access {
                    thread: browser,
                    server: site.server.clone(),
                    desired: AccessMask::GENERIC_READ,
                }),
                "the browser's request",
                &mut rules,
            )?;
            match r {
                Some(Value::Remote(r)) => match r.remote_token {
                    Some(t) => Some(t),
                    None => {
                        return Err(WebError::win32(
                            "Windows authentication",
                            Win32Error::AccessDenied,
                        ))
                    }
                },
                _ => {
                    return Err(WebError::win32(
                        "the browser's request",
                        Win32Error::InvalidParameter,
                    ))
                }
            }
        }
    };
    if site.forms {
        rules.push(rules::ids::FORMS_NO_WINDOWS_USER);
    }
    let early_stage_token = host.host().effective_token_id(worker);
    if let Pipeline::Integrated { .. } = site.pipeline {
        rules.push(rules::ids::INTEGRATED_EARLY_STAGES);
    }
    if let (true, Some(t)) = (site.impersonate, handed) {
        rules.push(rules::ids::CLASSIC_IMPERSONATE);
        apply(
            host,
            Op::ImpersonateLoggedOnUser {
                thread: worker,
                token: t,
            },
            "impersonate the caller",
            &mut rules,
        )?;
    }
    Ok(Request {
        thread: worker,
        token: handed,
        early_stage_token,
        rules,
    })
}

/// Forms authentication with `LogonUser`: the page logs the user it
/// authenticated on with the password it was given, as `logon_type`
/// ([PP-IMPDEL] shows the interactive type, whose session holds the
/// credentials). Returns the token; [`impersonate`] acts as it.
pub fn forms_logon<H: HostApi + ?Sized>(
    host: &mut H,
    request: &mut Request,
    account: &Account,
    logon_type: LogonType,
) -> Result<TokenId, WebError> {
    request.rules.push(rules::ids::FORMS_NO_WINDOWS_USER);
    logon(
        host,
        request.thread,
        account,
        logon_type,
        &mut request.rules,
    )
}

/// Forms authentication with `new WindowsIdentity(upn)`: an S4U logon
/// made by the page's process, at Identification level unless the process
/// holds SeTcbPrivilege.
pub fn forms_s4u<H: HostApi + ?Sized>(
    host: &mut H,
    request: &mut Request,
    upn: &str,
) -> Result<TokenId, WebError> {
    request.rules.push(rules::ids::FORMS_NO_WINDOWS_USER);
    let v = apply(
        host,
        Op::S4uLogon {
            thread: request.thread,
            upn: upn.to_string(),
        },
        "new WindowsIdentity(upn)",
        &mut request.rules,
    )?;
    token(v, "new WindowsIdentity(upn)")
}

/// `WindowsIdentity.Impersonate()` on the page's thread.
pub fn impersonate<H: HostApi + ?Sized>(
    host: &mut H,
    request: &mut Request,
    token: TokenId,
) -> Result<(), WebError> {
    apply(
        host,
        Op::ManagedImpersonate {
            thread: request.thread,
            token,
        },
        "WindowsIdentity.Impersonate",
        &mut request.rules,
    )
    .map(|_| ())
}

/// What `WindowsIdentity.Impersonate(IntPtr.Zero)` returns: the thread
/// token to put back on [`undo`] (`None`: the thread was not
/// impersonating).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImpersonationContext {
    /// The token the thread had.
    pub previous: Option<TokenId>,
}

/// `WindowsIdentity.Impersonate(IntPtr.Zero)`: the page's thread drops
/// its token and runs as the process identity until [`undo`].
pub fn impersonate_zero<H: HostApi + ?Sized>(
    host: &mut H,
    request: &mut Request,
) -> Result<ImpersonationContext, WebError> {
    request.rules.push(rules::ids::IMPERSONATE_ZERO);
    let previous = host
        .host()
        .thread(request.thread)
        .ok_or_else(|| WebError::win32("Impersonate(IntPtr.Zero)", Win32Error::InvalidHandle))?
        .impersonation;
    apply(
        host,
        Op::RevertToSelf {
            thread: request.thread,
        },
        "Impersonate(IntPtr.Zero)",
        &mut request.rules,
    )?;
    Ok(ImpersonationContext { previous })
}

/// `WindowsImpersonationContext.Undo()`: the thread token saved by
/// [`impersonate_zero`] goes back on the page's thread.
pub fn undo<H: HostApi + ?Sized>(
    host: &mut H,
    request: &mut Request,
    context: ImpersonationContext,
) -> Result<(), WebError> {
    request.rules.push(rules::ids::IMPERSONATE_ZERO);
    apply(
        host,
        Op::SetThreadToken {
            thread: request.thread,
            token: context.previous,
        },
        "Undo",
        &mut request.rules,
    )
    .map(|_| ())
}

/// The page hands work to another thread (`CreateThread`, `Thread.Start`,
/// the thread pool, an asynchronous delegate, an STA component): the new
/// thread impersonates only what the worker process's flow policy lets
/// through.
pub fn spawn<H: HostApi + ?Sized>(
    host: &mut H,
    request: &mut Request,
    how: ThreadStart,
) -> Result<ThreadId, WebError> {
    request.rules.push(rules::ids::ASPNET_FLOW);
    let v = apply(
        host,
        Op::CreateThread {
            thread: request.thread,
            how,
        },
        "start the work",
        &mut request.rules,
    )?;
    match v {
        Some(Value::Thread { thread }) => Ok(thread),
        _ => Err(WebError::win32(
            "start the work",
            Win32Error::InvalidParameter,
        )),
    }
}

/// `CreateFile(OPEN_EXISTING, GENERIC_READ)` by the page's thread: the
/// user the access check ran as, or the error.
pub fn open_local<H: HostApi + ?Sized>(
    host: &mut H,
    thread: ThreadId,
    path: &str,
) -> Result<Sid, Win32Error> {
    let out = host.apply_op(&Op::Object(ObjectOp::Open {
        thread,
        path: path.to_string(),
        desired: AccessMask::GENERIC_READ,
        backup_intent: false,
    }));
    match (out.result.value(), out.result.error()) {
        (Some(Value::Object(a)), _) => Ok(a.user.clone()),
        (_, Some(e)) => Err(e),
        _ => Err(Win32Error::InvalidParameter),
    }
}

/// The page's thread reaches a remote server as its effective token.
pub fn reach<H: HostApi + ?Sized>(
    host: &mut H,
    thread: ThreadId,
    server: &str,
) -> Result<RemoteAccess, Win32Error> {
    let out = host.apply_op(&Op::Network(NetworkOp::Access {
        thread,
        server: server.to_string(),
        desired: AccessMask::GENERIC_READ,
    }));
    match (out.result.value(), out.result.error()) {
        (Some(Value::Remote(r)), _) => Ok((**r).clone()),
        (_, Some(e)) => Err(e),
        _ => Err(Win32Error::InvalidParameter),
    }
}
