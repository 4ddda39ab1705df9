//! `webhost`: an IIS site with ASP.NET on the simulated host.
//!
//! A [`Site`] names the web server machine, the application pool
//! identity, the IIS authentication type and whether ASP.NET impersonates
//! (`<identity impersonate="true"/>`). [`start`] starts the pool's worker
//! process; [`request`] serves one request from a client and returns the
//! token IIS hands ASP.NET and the worker thread that runs the page,
//! impersonating it when the site says so. Everything happens through
//! `simos::Host::apply`: each authentication type is the logon Windows
//! performs for it (research `impersonation.md` §3), so what the page can
//! then open locally and reach remotely follows from the host's own rules.
//!
//! Architecture invariant: pure, like `simos`. The crate adds no rule of
//! its own; it composes host operations and names which one an IIS
//! authentication type amounts to.

use std::collections::BTreeSet;

use serde::Serialize;
use simos::network::{AuthScheme, NetworkOp, RemoteAccess, Server, ServerKind};
use simos::objects::ObjectOp;
use simos::{BuiltinIdentity, Host, LogonType, Op, ServiceAccount, ThreadId, TokenId, Value};
use winsec::{AccessMask, Sid, Win32Error};

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

    /// The logon it amounts to, in words (research `impersonation.md` §3).
    pub fn logon(&self) -> &'static str {
        match self {
            Authentication::Anonymous(Some(_)) => {
                "LogonUser(NETWORK_CLEARTEXT) of the anonymous account"
            }
            Authentication::Anonymous(None) => "none: the request runs as the app pool",
            Authentication::Basic => "LogonUser(NETWORK_CLEARTEXT) with the user's password",
            Authentication::Digest => "a network logon without reusable credentials",
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
    /// The rule ids of the host operations involved.
    pub rules: Vec<&'static str>,
}

/// Why a request could not be served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebError {
    /// The step that failed.
    pub step: &'static str,
    /// The Win32 error.
    pub error: Win32Error,
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} failed: {}", self.step, self.error.name())
    }
}

impl std::error::Error for WebError {}

fn apply(
    host: &mut Host,
    op: Op,
    step: &'static str,
    rules: &mut Vec<&'static str>,
) -> Result<Option<Value>, WebError> {
    let out = host.apply(&op);
    rules.extend(out.rules.iter().copied());
    match out.result.error() {
        Some(error) => Err(WebError { step, error }),
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
        _ => Err(WebError {
            step,
            error: Win32Error::InvalidParameter,
        }),
    }
}

fn token(value: Option<Value>, step: &'static str) -> Result<TokenId, WebError> {
    match value {
        Some(Value::Token { token }) => Ok(token),
        _ => Err(WebError {
            step,
            error: Win32Error::InvalidParameter,
        }),
    }
}

/// Starts the site's app pool worker process (w3wp.exe) and returns its
/// thread.
pub fn start(host: &mut Host, site: &Site) -> Result<ThreadId, WebError> {
    let mut rules = Vec::new();
    let v = apply(
        host,
        Op::StartService {
            machine: site.machine.clone(),
            image: "w3wp.exe".to_string(),
            account: service_account(&site.pool),
            flow_policy: None,
        },
        "start the app pool",
        &mut rules,
    )?;
    started(v, "start the app pool")
}

fn logon(
    host: &mut Host,
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
pub fn request(
    host: &mut Host,
    site: &Site,
    worker: ThreadId,
    client: &Client,
) -> Result<Request, WebError> {
    let mut rules = Vec::new();
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
        Authentication::Digest => Some(logon(
            host,
            worker,
            &client.account,
            LogonType::Network,
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
        Authentication::IntegratedNtlm | Authentication::IntegratedKerberos => {
            let schemes: BTreeSet<AuthScheme> = match site.authentication {
                Authentication::IntegratedNtlm => [AuthScheme::Ntlm].into_iter().collect(),
                _ => [AuthScheme::Negotiate].into_iter().collect(),
            };
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
                        return Err(WebError {
                            step: "Windows authentication",
                            error: Win32Error::AccessDenied,
                        })
                    }
                },
                _ => {
                    return Err(WebError {
                        step: "the browser's request",
                        error: Win32Error::InvalidParameter,
                    })
                }
            }
        }
    };
    if let (true, Some(t)) = (site.impersonate, handed) {
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
        rules,
    })
}

/// `CreateFile(OPEN_EXISTING, GENERIC_READ)` by the page's thread: the
/// user the access check ran as, or the error.
pub fn open_local(host: &mut Host, thread: ThreadId, path: &str) -> Result<Sid, Win32Error> {
    let out = host.apply(&Op::Object(ObjectOp::Open {
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
pub fn reach(host: &mut Host, thread: ThreadId, server: &str) -> Result<RemoteAccess, Win32Error> {
    let out = host.apply(&Op::Network(NetworkOp::Access {
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
