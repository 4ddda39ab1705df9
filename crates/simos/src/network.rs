//! Remote machines reached over the network: file shares, HTTP servers,
//! SQL servers and proxies, and what identity they see (credentials, Kerberos
//! delegation, or ANONYMOUS LOGON).
//!
//! A [`Server`] is an endpoint on one machine of the host, with its SPN,
//! the authentication schemes it accepts and a resource ACL (SDDL). When a
//! thread reaches it ([`NetworkOp::Access`]), three steps run:
//!
//! 1. [`outbound_identity`] (pure) decides what the calling thread can
//!    present, from its effective token and that token's logon session
//!    ([WCF-DI]): a secret of an account (a password
//!    held by the session, other credentials, the machine account, a
//!    forwarded TGT), a Kerberos ticket obtained by constrained or
//!    resource-based delegation, or nothing (ANONYMOUS LOGON).
//! 2. [`admit`] (pure) decides what the server accepts: the scheme
//!    (Kerberos, NTLM, Basic, anonymous), the account it resolves the
//!    identity to on its machine (including mirrored local accounts), and
//!    what the new logon session on the far side can present in turn.
//! 3. The host builds the far side's Network logon through the LSA code
//!    path (so the far-side token is an ordinary token of the host that a
//!    service there can impersonate for a further hop) and runs the
//!    resource ACL through `winsec`'s access check with it.
//!
//! Failures keep their names. Local refusals (no such thread or server, an
//! Identification- or Anonymous-level token) are Win32 errors of the call.
//! Everything decided by the far side or the KDC returns
//! `Ok(Value::Remote(..))` whose [`RemoteAccess::outcome`] is
//! [`RemoteOutcome::Denied`] with a [`Failure`]: a Win32 error, a Kerberos
//! error with its NTSTATUS, or an HTTP status. The KDC's answer, when there
//! is one, is also kept in [`RemoteAccess::kerberos`] even when the
//! request then succeeds as ANONYMOUS LOGON.
//!
//! Rules cited: `NET-*` and `KRB-*` in [`rules`].

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use winsec::token::group_attrs;
use winsec::well_known::sids;
use winsec::{
    AccessCheckResult, AccessMask, AccessRequest, GenericMapping, Group, ImpersonationLevel,
    SecurityDescriptor, Sid, TokenType, Win32Error,
};

use crate::accounts::{DomainAccount, PrincipalKind};
use crate::host::{AuthPackage, Event, Host, LogonType, NetworkCredentials};
use crate::ids::{LogonId, ThreadId, TokenId};
use crate::lsa::{BuiltinIdentity, Principal};
use crate::policy::{LogonRight, UserRight};
use crate::threads::Value;

/// Rules of this module.
pub mod rules {
    crate::rules::rule_table! {
        /// Identification and Anonymous tokens cannot go outbound.
        LEVEL = "NET-IMPERSONATION-LEVEL":
            "a thread whose effective token is at Identification or Anonymous level cannot authenticate to another machine: the call fails with ERROR_BAD_IMPERSONATION_LEVEL (1346) before anything is sent",
            "[WCF-DI], [IL] (level semantics); docs/decisions.md (the error code)";
        /// Credentials held by the session.
        CREDENTIALS = "NET-SESSION-CREDENTIALS":
            "a thread whose logon session holds the user's credentials (interactive, batch, service, network-cleartext, remote-interactive) authenticates afresh as the user; this is not delegation, and Active Directory delegation controls do not apply",
            "[WCF-DI] (two mechanisms); [LU], [LT]";
        /// NEW_CREDENTIALS.
        NEW_CREDENTIALS = "NET-NEW-CREDENTIALS":
            "a NEW_CREDENTIALS session keeps the caller's local identity and authenticates outbound as the account named at logon",
            "[LU], [SLT]";
        /// The machine account.
        MACHINE_ACCOUNT = "NET-MACHINE-ACCOUNT":
            "SYSTEM and NETWORK SERVICE authenticate outbound as the computer account MACHINE$ when the machine is joined to the domain, and as ANONYMOUS LOGON otherwise; LOCAL SERVICE presents no credentials",
            "[WCF-DBG]; [PP-KD]; [PP-IMPDEL], [ASP-IMP]";
        /// Choosing the protocol.
        SCHEME = "NET-SCHEME":
            "the client uses Kerberos when it presents a domain account and the server accepts Kerberos (or Negotiate) for an SPN registered in the domain, otherwise NTLM, otherwise HTTP Basic; a client with nothing to present is anonymous",
            "[WCF-DBG]; [IDM], [ASP-IMP], [LT] (Integrated Windows rows)";
        /// One more hop only.
        ONE_HOP = "NET-ONE-HOP":
            "the far side of a Kerberos or NTLM authentication gets a Network logon with no credentials, so it cannot go a further hop unless Kerberos delegation is configured there",
            "[IDM], [ASP-IMP], [LT] (Basic row); [WCF-DI], [IL] (hop counting)";
        /// HTTP Basic.
        BASIC_CLEARTEXT = "NET-BASIC-CLEARTEXT":
            "HTTP Basic sends the password; the server logs the user on with NETWORK_CLEARTEXT, whose session holds credentials: exactly one more hop",
            "[IDM] (Basic row); [IIS-BASIC] (logonMethod ClearText)";
        /// NTLM does not delegate.
        NTLM_NO_DELEGATION = "NET-NTLM-NO-DELEGATION":
            "NTLM cannot delegate: a session authenticated by NTLM without credentials reaches another machine only as ANONYMOUS LOGON",
            "[CR], [ISC-NTLM]; [IDM], [ASP-IMP], [LT] (IWA NTLM row)";
        /// HTTP Digest.
        DIGEST = "NET-DIGEST":
            "HTTP Digest proves the password without sending it; the server logs the user on with a network logon through the Digest package, which holds nothing reusable and never delegates: the caller can be impersonated locally, and the next machine sees ANONYMOUS LOGON",
            "[IDM], [ASP-IMP], [LT] (Digest row: local yes, delegation no; logon type UNVERIFIED, docs/decisions.md D-59); [PP-IMPDEL] Table 1";
        /// Mirrored local accounts.
        MIRRORED_ACCOUNT = "NET-MIRRORED-ACCOUNT":
            "NTLM or Basic with a local account (or with a domain account at a server not joined to the domain) succeeds only when the server has a local account of the same name and the same password, and the server then sees its own local account",
            "[PP-IMPDEL], [WCF-DBG]; [IDM], [ASP-IMP], [LT] (Anonymous and certificate rows) (UNVERIFIED, docs/decisions.md)";
        /// Logon failure at the server.
        LOGON_FAILURE = "NET-LOGON-FAILURE":
            "when the server cannot validate the identity presented, or shares no scheme with the client, the logon fails: ERROR_LOGON_FAILURE (1326), HTTP 401",
            "[WCF-DBG]: the logon fails if the credentials are not valid on the service's computer";
        /// Network logon right at the server.
        LOGON_RIGHT = "NET-LOGON-RIGHT":
            "the far side's network logon needs SeNetworkLogonRight on the server's machine, and SeDenyNetworkLogonRight overrides it: ERROR_LOGON_TYPE_NOT_GRANTED (1385)",
            "[PP-IMPDEL]; [ARC]";
        /// ANONYMOUS LOGON.
        ANONYMOUS = "NET-ANONYMOUS":
            "with neither credentials nor delegation the far side sees NT AUTHORITY\\ANONYMOUS LOGON (S-1-5-7), whose token holds only that SID (Everyone is left out, as with EveryoneIncludesAnonymous off), and the resource ACL decides; a server that takes no anonymous session (an HTTP server without anonymous authentication, a share or SQL server without NTLM) refuses it: HTTP 401 or ERROR_ACCESS_DENIED",
            "[CSS-SQL]; docs/decisions.md (token contents)";
        /// The server's ACL.
        SERVER_ACL = "NET-SERVER-ACL":
            "the server checks its resource ACL with the Network-logon token it built for the incoming identity; a denial is ERROR_ACCESS_DENIED for a share or SQL server and HTTP 401 for a web server",
            "[WCF-DI]; [CSS-SQL]; the access-check rules AC-*";
        /// HTTP statuses.
        HTTP_STATUS = "NET-HTTP-STATUS":
            "an HTTP server refuses a request it cannot authenticate or authorize with 401 Unauthorized; a proxy refuses with 407 Proxy Authentication Required and the request never reaches the server behind it",
            "[RFC7235] §3.1, [IDM], [ASP-IMP], [LT]; docs/decisions.md";
        /// Unconstrained delegation, using the TGT.
        UNCONSTRAINED = "KRB-UNCONSTRAINED":
            "a Kerberos network logon whose session holds the user's forwarded TGT (the front end's account, or the computer account for SYSTEM and NETWORK SERVICE, is TRUSTED_FOR_DELEGATION) reaches any service as the user",
            "[UAC-ATTR], [W2K3-DEL], [SFU-OV], [PP-KD]";
        /// Unconstrained delegation, forwarding the TGT.
        TGT_FORWARDED = "KRB-TGT-FORWARDED":
            "when a client holding a TGT authenticates by Kerberos to a service whose account is TRUSTED_FOR_DELEGATION, the user's TGT is forwarded into the new logon session, unless the user is sensitive; the server's token for that session is at Delegation level",
            "[KILE] OK-AS-DELEGATE, [W2K3-DEL], [PP-KD]; [LT]: network logon holds tickets when delegation is enabled";
        /// The server's token for a remote client.
        REMOTE_CLIENT_LOGON = "NET-REMOTE-CLIENT-LOGON":
            "a server impersonating a remote client (named pipe over SMB, RPC, DCOM) gets a network logon of the client's account on its own machine, never the client's session: no credentials unless the server's account is trusted for delegation and Kerberos forwarded the TGT of a user who is not sensitive; a client with no credentials arrives as ANONYMOUS LOGON, SYSTEM and NETWORK SERVICE as the computer account",
            "[LU], [LT] (network logon: no credentials); [IL]; [WCF-DI]; [W2K3-DEL], [SFU-OV]";
        /// Sensitive users.
        SENSITIVE = "KRB-SENSITIVE":
            "a user with NOT_DELEGATED, or in Protected Users at domain functional level 2012 R2 or higher, gets no FORWARDABLE tickets: no TGT is forwarded and S4U2proxy has no forwardable evidence",
            "[UAC-ATTR], [KILE], [PU]";
        /// Protected Users and NTLM.
        PROTECTED_NO_NTLM = "KRB-PROTECTED-NO-NTLM":
            "a member of Protected Users cannot authenticate with NTLM",
            "[PU]";
        /// S4U2self forwardability.
        S4U_FORWARDABLE = "KRB-S4U-FORWARDABLE":
            "the S4U2self ticket of a protocol-transition session is FORWARDABLE only when the front end's account has TRUSTED_TO_AUTH_FOR_DELEGATION; without it classic constrained delegation fails",
            "[SFU-S4U2SELF]";
        /// Classic constrained delegation.
        CONSTRAINED = "KRB-CONSTRAINED":
            "S4U2proxy succeeds as the user when the target SPN is in the front end's msDS-AllowedToDelegateTo and the evidence ticket is forwardable; otherwise (and when resource-based delegation does not apply) KRB-ERR-BADOPTION with STATUS_NOT_SUPPORTED if the list is empty, else STATUS_NO_MATCH",
            "[A2D2], [SFU-A2D2]";
        /// Resource-based constrained delegation.
        RESOURCE_BASED = "KRB-RESOURCE-BASED":
            "when classic delegation does not apply and the back end's msDS-AllowedToActOnBehalfOfOtherIdentity is not empty, S4U2proxy succeeds when it lists the front end, whatever TRUSTED_TO_AUTH_FOR_DELEGATION says; a front end not listed gets KRB-ERR-BADOPTION / STATUS_NOT_FOUND, a sensitive user KRB-ERR-BADOPTION / STATUS_ACCOUNT_RESTRICTION",
            "[KCD], [SFU-RBCD]; STATUS_ACCOUNT_RESTRICTION partially verified, docs/decisions.md";
        /// Service-asserted identity.
        SERVICE_ASSERTED = "KRB-SERVICE-ASSERTED":
            "a ticket obtained by protocol transition carries SERVICE ASSERTED IDENTITY (S-1-18-2) instead of AUTHENTICATION AUTHORITY ASSERTED IDENTITY (S-1-18-1) into the far side's token",
            "[SFU-S4U2SELF], [KCD]";
        /// The KDC refused: fall back.
        KDC_FALLBACK = "KRB-KDC-FALLBACK":
            "when the KDC refuses S4U2proxy the client has no ticket for the user and falls back to an anonymous connection; the KDC's error is kept with the result",
            "[KCD], [SFU-A2D2]; [CSS-SQL] (the second hop shows as ANONYMOUS LOGON); docs/decisions.md (the fallback)";
    }
}

use rules::ids;

/// What a server is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerKind {
    /// An SMB file share (`\\fs\share\f`).
    SmbShare,
    /// An HTTP server (a GET on a page).
    Http,
    /// A SQL server (a connection with integrated security).
    Sql,
    /// An HTTP proxy, which challenges with 407.
    Proxy,
}

impl ServerKind {
    /// True for the kinds that answer in HTTP statuses.
    pub const fn is_http(self) -> bool {
        matches!(self, ServerKind::Http | ServerKind::Proxy)
    }
}

/// An authentication scheme a server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthScheme {
    /// No authentication: the request runs as ANONYMOUS LOGON.
    Anonymous,
    /// HTTP Basic: the password travels to the server.
    Basic,
    /// NTLM only.
    Ntlm,
    /// Kerberos only.
    Kerberos,
    /// Negotiate: Kerberos when possible, else NTLM.
    Negotiate,
    /// HTTP Digest: a challenge-response over the password hash.
    Digest,
}

/// A remote endpoint on a machine of the host.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Server {
    /// File share, HTTP, SQL or proxy.
    pub kind: ServerKind,
    /// The machine it runs on (a machine of the host).
    pub machine: String,
    /// Its service principal name (`cifs/fs.corp.example`,
    /// `HTTP/web.corp.example`, `MSSQLSvc/sql.corp.example:1433`). The
    /// domain account that holds it is the back end for Kerberos.
    pub spn: String,
    /// What a request reaches, for traces (`\\fs\share\f`, `GET /`).
    #[serde(default)]
    pub resource: String,
    /// The authentication schemes it accepts.
    pub schemes: BTreeSet<AuthScheme>,
    /// The resource ACL as SDDL, resolved in the machine's domain context
    /// and checked with the file generic mapping. Without `O:` and `G:` the
    /// owner is BUILTIN\Administrators and the group SYSTEM.
    pub sddl: String,
    /// The proxy (the name of a [`ServerKind::Proxy`] server) a request
    /// must pass first, if any: the caller must be granted `GENERIC_READ`
    /// on the proxy's ACL, or the request stops there with 407.
    #[serde(default)]
    pub proxy: Option<String>,
}

impl Server {
    /// True when the server accepts Kerberos (alone or through Negotiate).
    pub fn accepts_kerberos(&self) -> bool {
        self.schemes.contains(&AuthScheme::Kerberos)
            || self.schemes.contains(&AuthScheme::Negotiate)
    }

    /// True when the server accepts NTLM (alone or through Negotiate).
    pub fn accepts_ntlm(&self) -> bool {
        self.schemes.contains(&AuthScheme::Ntlm) || self.schemes.contains(&AuthScheme::Negotiate)
    }

    /// True when an unauthenticated client gets a session at all: the
    /// anonymous scheme, or (for shares and SQL) an anonymous NTLM session.
    pub fn accepts_anonymous(&self) -> bool {
        self.schemes.contains(&AuthScheme::Anonymous)
            || (!self.kind.is_http() && self.accepts_ntlm())
    }

    /// The text a trace names the resource by.
    pub fn display(&self, name: &str) -> String {
        if self.resource.is_empty() {
            name.to_string()
        } else {
            self.resource.clone()
        }
    }
}

/// Operations over the network.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "network_op", rename_all = "snake_case")]
pub enum NetworkOp {
    /// Environment: a server appears (or is redefined).
    DefineServer {
        /// Its name (case-insensitive key).
        name: String,
        /// The endpoint.
        server: Server,
    },
    /// A thread opens a remote resource: a file on a share, an HTTP GET, a
    /// SQL connection with integrated security.
    Access {
        /// The calling thread.
        thread: ThreadId,
        /// The server's name.
        server: String,
        /// The access wanted (generic bits are mapped with the file mapping).
        desired: AccessMask,
    },
}

/// A Kerberos error the KDC returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum KerberosError {
    /// `KDC_ERR_BADOPTION` (13).
    #[serde(rename = "KRB-ERR-BADOPTION")]
    BadOption,
}

impl KerberosError {
    /// The name the specifications use.
    pub const fn name(self) -> &'static str {
        match self {
            KerberosError::BadOption => "KRB-ERR-BADOPTION",
        }
    }

    /// The protocol error code.
    pub const fn code(self) -> u32 {
        match self {
            KerberosError::BadOption => 13,
        }
    }
}

/// The NTSTATUS that comes with a Kerberos error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum NtStatus {
    /// `STATUS_NO_MATCH`: the SPN is not in the list, or the evidence is not forwardable.
    #[serde(rename = "STATUS_NO_MATCH")]
    NoMatch,
    /// `STATUS_NOT_SUPPORTED`: the front end's list is empty.
    #[serde(rename = "STATUS_NOT_SUPPORTED")]
    NotSupported,
    /// `STATUS_NOT_FOUND`: the back end's resource-based list refuses the front end.
    #[serde(rename = "STATUS_NOT_FOUND")]
    NotFound,
    /// `STATUS_ACCOUNT_RESTRICTION`: resource-based delegation of a sensitive user.
    #[serde(rename = "STATUS_ACCOUNT_RESTRICTION")]
    AccountRestriction,
}

impl NtStatus {
    /// The symbolic name.
    pub const fn name(self) -> &'static str {
        match self {
            NtStatus::NoMatch => "STATUS_NO_MATCH",
            NtStatus::NotSupported => "STATUS_NOT_SUPPORTED",
            NtStatus::NotFound => "STATUS_NOT_FOUND",
            NtStatus::AccountRestriction => "STATUS_ACCOUNT_RESTRICTION",
        }
    }

    /// The numeric value.
    pub const fn code(self) -> u32 {
        match self {
            NtStatus::NoMatch => 0xC000_0272,
            NtStatus::NotSupported => 0xC000_00BB,
            NtStatus::NotFound => 0xC000_0225,
            NtStatus::AccountRestriction => 0xC000_006E,
        }
    }
}

/// A refusal by the KDC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct KerberosFailure {
    /// The Kerberos error.
    pub error: KerberosError,
    /// The NTSTATUS in its extended error data.
    pub status: NtStatus,
}

impl KerberosFailure {
    const fn bad_option(status: NtStatus) -> KerberosFailure {
        KerberosFailure {
            error: KerberosError::BadOption,
            status,
        }
    }
}

/// Why a remote request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Failure {
    /// A Win32 error, as the client API (CreateFile on a UNC path, a SQL
    /// connection) reports it.
    Win32 {
        /// The error.
        error: Win32Error,
    },
    /// The KDC refused the ticket the request needed.
    Kerberos {
        /// The Kerberos error.
        error: KerberosError,
        /// Its NTSTATUS.
        status: NtStatus,
    },
    /// An HTTP status (401, 407).
    Http {
        /// The status code.
        status: u16,
    },
}

/// Granted or denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RemoteOutcome {
    /// The server granted the access.
    Granted,
    /// The server, the KDC or the proxy refused.
    Denied {
        /// The root cause: the KDC's error when there was one, else the
        /// HTTP status for web servers and proxies, else the Win32 error.
        reason: Failure,
    },
}

/// How the caller's identity reached the far side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mechanism {
    /// Credentials held in the logon session (a password): a fresh authentication.
    Credentials,
    /// The other account of a NEW_CREDENTIALS session.
    NewCredentials,
    /// The computer account (SYSTEM, NETWORK SERVICE).
    MachineAccount,
    /// A forwarded TGT (unconstrained delegation).
    Unconstrained,
    /// S4U2proxy through msDS-AllowedToDelegateTo.
    Constrained,
    /// S4U2proxy through msDS-AllowedToActOnBehalfOfOtherIdentity.
    ResourceBased,
    /// Nothing: ANONYMOUS LOGON (or nobody, when the server refuses anonymous).
    Anonymous,
}

/// The identity a server saw.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RemoteIdentity {
    /// Its SID.
    pub sid: Sid,
    /// `DOMAIN\name` (`NT AUTHORITY\ANONYMOUS LOGON`).
    pub account: String,
}

/// What a network access did (returned in [`Value::Remote`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteAccess {
    /// The server's name.
    pub server: String,
    /// What the server is.
    pub kind: ServerKind,
    /// Its machine.
    pub machine: String,
    /// Its SPN.
    pub spn: String,
    /// How the caller's identity reached it.
    pub how: Mechanism,
    /// The scheme that authenticated (`None`: no session was set up).
    pub scheme: Option<AuthScheme>,
    /// The identity the server saw (`None`: nobody, the logon failed).
    pub identity: Option<RemoteIdentity>,
    /// The far side's logon session.
    pub remote_logon: Option<LogonId>,
    /// The token the server built (a service on that machine can
    /// impersonate it for a further hop).
    pub remote_token: Option<TokenId>,
    /// What that session can present in turn.
    pub remote_credentials: Option<NetworkCredentials>,
    /// The KDC's refusal, if S4U2proxy was refused.
    pub kerberos: Option<KerberosFailure>,
    /// The HTTP status, for web servers and proxies.
    pub http_status: Option<u16>,
    /// The access asked for.
    pub desired: AccessMask,
    /// The access granted (0 when denied).
    pub granted: AccessMask,
    /// The server-side access check, when one ran.
    pub access_check: Option<AccessCheckResult>,
    /// Granted or denied, with the reason.
    pub outcome: RemoteOutcome,
    /// The proxy hop the request passed (or was stopped at).
    pub proxy: Option<Box<RemoteAccess>>,
    /// The request reached this server (false when a proxy in front of
    /// it refused it: the fields then describe the refusal, and the server
    /// saw nothing).
    pub reached: bool,
    /// The client authenticated through SPNEGO: the server offers
    /// Negotiate and the package that authenticated (Kerberos or NTLM) is
    /// not one it offers on its own.
    pub negotiate: bool,
}

/// What one server or proxy saw of a request and what it answered (see
/// [`RemoteAccess::seen`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Seen {
    /// The server's name, as the request named it.
    pub server: String,
    /// What it is.
    pub kind: ServerKind,
    /// Its machine.
    pub machine: String,
    /// It is a proxy the request passed on its way to the server.
    pub proxy: bool,
    /// The identity it authenticated (`NT AUTHORITY\ANONYMOUS LOGON` for
    /// an anonymous session); `None` when it logged nobody on (it refused
    /// before a session existed).
    pub identity: Option<RemoteIdentity>,
    /// The scheme the request authenticated with as the server offers it:
    /// `Negotiate` when Kerberos or NTLM came through SPNEGO.
    pub scheme: Option<AuthScheme>,
    /// The package that authenticated: Kerberos, NTLM, Digest, Basic or
    /// anonymous (`None`: no session was set up).
    pub package: Option<AuthScheme>,
    /// The HTTP status it answered (HTTP servers and proxies only).
    pub http_status: Option<u16>,
    /// It granted the request.
    pub granted: bool,
}

impl RemoteAccess {
    /// True when access was granted.
    pub fn is_granted(&self) -> bool {
        self.outcome == RemoteOutcome::Granted
    }

    /// What each server on the way saw, in the order the request met
    /// them: the proxy first, if any, then the server if the request got
    /// there.
    pub fn seen(&self) -> Vec<Seen> {
        let mut out = Vec::new();
        if let Some(proxy) = &self.proxy {
            let mut hop = proxy.seen();
            for s in &mut hop {
                s.proxy = true;
            }
            out.extend(hop);
        }
        if self.reached {
            out.push(Seen {
                server: self.server.clone(),
                kind: self.kind,
                machine: self.machine.clone(),
                proxy: false,
                identity: self.identity.clone(),
                scheme: if self.negotiate {
                    Some(AuthScheme::Negotiate)
                } else {
                    self.scheme
                },
                package: self.scheme,
                http_status: self.http_status,
                granted: self.is_granted(),
            });
        }
        out
    }

    /// The denial reason, if denied.
    pub fn reason(&self) -> Option<Failure> {
        match self.outcome {
            RemoteOutcome::Granted => None,
            RemoteOutcome::Denied { reason } => Some(reason),
        }
    }
}

/// An account the client holds a secret of.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AccountRef {
    /// A domain account by sAMAccountName.
    Domain {
        /// sAMAccountName.
        name: String,
    },
    /// A local account of one machine.
    Local {
        /// The machine.
        machine: String,
        /// The account name.
        name: String,
    },
}

/// What the client holds for the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Secret {
    /// The password (or what derives from it): Kerberos, NTLM or Basic.
    Password,
    /// The user's TGT (forwarded): Kerberos only, and forwardable again.
    Tgt,
    /// A password that is not the account's: every server refuses it.
    WrongPassword,
    /// A service ticket for this server obtained by S4U2proxy: Kerberos only.
    ServiceTicket {
        /// The evidence came from protocol transition (S4U2self).
        protocol_transition: bool,
    },
}

/// What the calling thread presents.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "presented", rename_all = "snake_case")]
pub enum Presented {
    /// A secret of an account.
    Account {
        /// The account.
        account: AccountRef,
        /// What is held.
        secret: Secret,
    },
    /// Nothing.
    Anonymous,
}

/// The outbound identity decision ([`outbound_identity`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outbound {
    /// The mechanism.
    pub how: Mechanism,
    /// What is presented.
    pub presented: Presented,
    /// The KDC's refusal, when S4U2proxy was tried and refused.
    pub kerberos: Option<KerberosFailure>,
}

impl Outbound {
    fn anonymous(kerberos: Option<KerberosFailure>) -> Outbound {
        Outbound {
            how: Mechanism::Anonymous,
            presented: Presented::Anonymous,
            kerberos,
        }
    }
}

/// Who the far side logs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FarPrincipal {
    /// An account of the server's machine or of the domain.
    Account {
        /// The account as the server's LSA resolves it.
        principal: Principal,
        /// Network, or NetworkCleartext for Basic.
        logon_type: LogonType,
        /// What the new session can present in turn.
        credentials: NetworkCredentials,
        /// The package that authenticated it.
        package: AuthPackage,
        /// The ticket came from protocol transition (S-1-18-2).
        service_asserted: bool,
    },
    /// ANONYMOUS LOGON.
    Anonymous,
}

/// The server's decision on what the client presented ([`admit`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    /// The scheme used (`None` when no session was set up).
    pub scheme: Option<AuthScheme>,
    /// Who is logged on, or the failure.
    pub principal: Result<FarPrincipal, Win32Error>,
}

/// The domain account whose SID is `sid`.
fn domain_account_by_sid<'h>(host: &'h Host, sid: &Sid) -> Option<&'h DomainAccount> {
    host.domain
        .as_ref()
        .and_then(|d| d.accounts.values().find(|a| &a.sid == sid))
}

/// The computer account (`NAME$`) of a domain-joined machine.
fn computer_account<'h>(host: &'h Host, machine: &str) -> Option<&'h DomainAccount> {
    let m = host.machine(machine)?;
    if !m.domain_joined {
        return None;
    }
    host.domain
        .as_ref()?
        .account(&format!("{}$", m.name))
        .filter(|a| a.kind == PrincipalKind::Computer)
}

/// True when the user's tickets are never forwardable (`KRB-SENSITIVE`).
fn is_sensitive(host: &Host, user: &DomainAccount) -> bool {
    user.delegation.not_delegated
        || host
            .domain
            .as_ref()
            .is_some_and(|d| d.is_protected_user(user))
}

/// The account a process acts as on the network: its own domain account,
/// or the computer account for SYSTEM and NETWORK SERVICE. This is the
/// front end of delegation.
pub fn front_end_account(host: &Host, thread: ThreadId) -> Option<&DomainAccount> {
    let process = host.process_of(thread)?;
    let session = host.logon_of(process.primary_token)?;
    if session.user == sids::local_system() || session.user == sids::network_service() {
        computer_account(host, &process.machine)
    } else {
        domain_account_by_sid(host, &session.user)
    }
}

/// The account a session's user is, as something to present.
fn account_of_user(host: &Host, machine: &str, sid: &Sid) -> Option<AccountRef> {
    if let Some(a) = domain_account_by_sid(host, sid) {
        return Some(AccountRef::Domain {
            name: a.name.clone(),
        });
    }
    let m = host.machine(machine)?;
    m.accounts
        .values()
        .find(|a| &a.sid == sid)
        .map(|a| AccountRef::Local {
            machine: m.name.clone(),
            name: a.name.clone(),
        })
}

/// The account named by NEW_CREDENTIALS (`user`, `domain`) seen from `machine`.
fn account_named(host: &Host, machine: &str, user: &str, domain: &str) -> AccountRef {
    let in_domain = host.domain.as_ref().is_some_and(|d| {
        domain.eq_ignore_ascii_case(&d.name) || domain.eq_ignore_ascii_case(&d.dns_name)
    });
    if let (Some((name, suffix)), Some(d)) = (user.split_once('@'), host.domain.as_ref()) {
        if suffix.eq_ignore_ascii_case(&d.dns_name) {
            return AccountRef::Domain {
                name: name.to_string(),
            };
        }
    }
    if in_domain {
        AccountRef::Domain {
            name: user.to_string(),
        }
    } else if domain.is_empty() || domain == "." {
        AccountRef::Local {
            machine: machine.to_ascii_uppercase(),
            name: user.to_string(),
        }
    } else {
        AccountRef::Local {
            machine: domain.to_ascii_uppercase(),
            name: user.to_string(),
        }
    }
}

/// The outbound identity decision ([WCF-DI]): what
/// the calling thread presents to `server`, from its effective token and
/// that token's logon session. Pure; the ids of the rules applied are
/// pushed onto `trail`.
///
/// Errors: `ERROR_INVALID_HANDLE` for an unknown thread or token,
/// `ERROR_BAD_IMPERSONATION_LEVEL` for an Identification- or
/// Anonymous-level token (`NET-IMPERSONATION-LEVEL`).
pub fn outbound_identity(
    host: &Host,
    thread: ThreadId,
    server: &Server,
    trail: &mut Vec<&'static str>,
) -> Result<Outbound, Win32Error> {
    let process = host.process_of(thread).ok_or(Win32Error::InvalidHandle)?;
    let machine = process.machine.clone();
    let token_id = host
        .effective_token_id(thread)
        .ok_or(Win32Error::InvalidHandle)?;
    let token = host.token(token_id).ok_or(Win32Error::InvalidHandle)?;
    if let TokenType::Impersonation(level) = token.token.token_type {
        if level < ImpersonationLevel::Impersonation {
            trail.push(ids::LEVEL);
            return Err(Win32Error::BadImpersonationLevel);
        }
    }
    let session = host.logon_of(token_id).ok_or(Win32Error::InvalidHandle)?;
    let outbound = match &session.credentials {
        NetworkCredentials::Password => {
            trail.push(ids::CREDENTIALS);
            match account_of_user(host, &machine, &session.user) {
                Some(account) => Outbound {
                    how: Mechanism::Credentials,
                    presented: Presented::Account {
                        account,
                        secret: Secret::Password,
                    },
                    kerberos: None,
                },
                None => {
                    trail.push(ids::ANONYMOUS);
                    Outbound::anonymous(None)
                }
            }
        }
        NetworkCredentials::Other {
            user,
            domain,
            password_matches,
        } => {
            trail.push(ids::NEW_CREDENTIALS);
            Outbound {
                how: Mechanism::NewCredentials,
                presented: Presented::Account {
                    account: account_named(host, &machine, user, domain),
                    secret: if *password_matches {
                        Secret::Password
                    } else {
                        Secret::WrongPassword
                    },
                },
                kerberos: None,
            }
        }
        NetworkCredentials::MachineAccount => {
            trail.push(ids::MACHINE_ACCOUNT);
            match computer_account(host, &machine) {
                Some(computer) => Outbound {
                    how: Mechanism::MachineAccount,
                    presented: Presented::Account {
                        account: AccountRef::Domain {
                            name: computer.name.clone(),
                        },
                        secret: Secret::Password,
                    },
                    kerberos: None,
                },
                None => {
                    trail.push(ids::ANONYMOUS);
                    Outbound::anonymous(None)
                }
            }
        }
        NetworkCredentials::ForwardedTgt => {
            trail.push(ids::UNCONSTRAINED);
            match domain_account_by_sid(host, &session.user) {
                Some(user) => Outbound {
                    how: Mechanism::Unconstrained,
                    presented: Presented::Account {
                        account: AccountRef::Domain {
                            name: user.name.clone(),
                        },
                        secret: Secret::Tgt,
                    },
                    kerberos: None,
                },
                None => {
                    trail.push(ids::ANONYMOUS);
                    Outbound::anonymous(None)
                }
            }
        }
        NetworkCredentials::None => delegate(
            host,
            thread,
            &session.user,
            session.package,
            session.logon_type,
            server,
            trail,
        ),
    };
    Ok(outbound)
}

/// A session without credentials: Kerberos delegation or nothing.
fn delegate(
    host: &Host,
    thread: ThreadId,
    user_sid: &Sid,
    package: AuthPackage,
    logon_type: LogonType,
    server: &Server,
    trail: &mut Vec<&'static str>,
) -> Outbound {
    if package != AuthPackage::Kerberos {
        if package == AuthPackage::Ntlm {
            trail.push(ids::NTLM_NO_DELEGATION);
        }
        if package == AuthPackage::Digest {
            trail.push(ids::DIGEST);
        }
        trail.push(ids::ANONYMOUS);
        return Outbound::anonymous(None);
    }
    let (Some(user), Some(front)) = (
        domain_account_by_sid(host, user_sid),
        front_end_account(host, thread),
    ) else {
        trail.push(ids::ANONYMOUS);
        return Outbound::anonymous(None);
    };
    let sensitive = is_sensitive(host, user);
    let s4u = logon_type == LogonType::S4u;
    let as_user = |how, secret| Outbound {
        how,
        presented: Presented::Account {
            account: AccountRef::Domain {
                name: user.name.clone(),
            },
            secret,
        },
        kerberos: None,
    };

    // Unconstrained: the client forwarded its TGT to a trusted front end.
    if !s4u && front.delegation.trusted_for_delegation {
        trail.push(ids::UNCONSTRAINED);
        if !sensitive {
            return as_user(Mechanism::Unconstrained, Secret::Tgt);
        }
        trail.push(ids::SENSITIVE);
    }

    // S4U2proxy needs Kerberos to a registered SPN.
    let back = host
        .domain
        .as_ref()
        .and_then(|d| d.account_for_spn(&server.spn));
    let Some(back) = back.filter(|_| server.accepts_kerberos()) else {
        trail.push(ids::ANONYMOUS);
        return Outbound::anonymous(None);
    };
    if sensitive && !trail.contains(&ids::SENSITIVE) {
        trail.push(ids::SENSITIVE);
    }
    if s4u {
        trail.push(ids::S4U_FORWARDABLE);
    }
    let forwardable = !sensitive && (!s4u || front.delegation.trusted_to_auth_for_delegation);
    trail.push(ids::CONSTRAINED);
    let listed = front
        .delegation
        .allowed_to_delegate_to
        .iter()
        .any(|spn| spn.eq_ignore_ascii_case(&server.spn));
    let ticket = Secret::ServiceTicket {
        protocol_transition: s4u,
    };
    if listed && forwardable {
        if s4u {
            trail.push(ids::SERVICE_ASSERTED);
        }
        return as_user(Mechanism::Constrained, ticket);
    }
    let rbcd = &back.delegation.allowed_to_act_on_behalf;
    let failure = if rbcd.is_empty() {
        if front.delegation.allowed_to_delegate_to.is_empty() {
            NtStatus::NotSupported
        } else {
            NtStatus::NoMatch
        }
    } else {
        trail.push(ids::RESOURCE_BASED);
        let allowed = rbcd.iter().any(|n| n.eq_ignore_ascii_case(&front.name));
        if !allowed {
            NtStatus::NotFound
        } else if sensitive {
            NtStatus::AccountRestriction
        } else {
            if s4u {
                trail.push(ids::SERVICE_ASSERTED);
            }
            return as_user(Mechanism::ResourceBased, ticket);
        }
    };
    trail.push(ids::KDC_FALLBACK);
    trail.push(ids::ANONYMOUS);
    Outbound::anonymous(Some(KerberosFailure::bad_option(failure)))
}

/// The secret (password) of an account the client presents, and the
/// domain account when it is one.
fn resolve_presented<'h>(
    host: &'h Host,
    account: &AccountRef,
) -> (Option<String>, Option<&'h DomainAccount>) {
    match account {
        AccountRef::Domain { name } => {
            let a = host.domain.as_ref().and_then(|d| d.account(name));
            (a.map(|a| a.password.clone()), a)
        }
        AccountRef::Local { machine, name } => (
            host.machine(machine)
                .and_then(|m| m.account(name))
                .map(|a| a.password.clone()),
            None,
        ),
    }
}

/// A domain account as the LSA's principal.
fn domain_principal(host: &Host, a: &DomainAccount) -> Principal {
    let domain = host.domain.as_ref().map_or("", |d| d.name.as_str());
    Principal {
        sid: a.sid.clone(),
        display: format!("{}\\{}", domain, a.name),
        password: a.password.clone(),
        groups: a.groups.clone(),
        is_domain: true,
        kind: a.kind,
    }
}

/// Resolves what NTLM or Basic presents (`account` with `password`) at the
/// server's machine: a domain account at a joined machine, the machine's
/// own local account, or a mirrored local account (same name, same
/// password).
fn resolve_at_server(
    host: &Host,
    server_machine: &str,
    account: &AccountRef,
    password: &str,
    trail: &mut Vec<&'static str>,
) -> Option<Principal> {
    let m = host.machine(server_machine)?;
    let local = |name: &str| {
        m.account(name)
            .filter(|a| a.password == password)
            .map(|a| Principal::local(m, a))
    };
    match account {
        AccountRef::Domain { name } if m.domain_joined => host
            .domain
            .as_ref()
            .and_then(|d| d.account(name))
            .map(|a| domain_principal(host, a)),
        AccountRef::Local { machine, name } if machine.eq_ignore_ascii_case(&m.name) => local(name),
        AccountRef::Domain { name } | AccountRef::Local { name, .. } => {
            trail.push(ids::MIRRORED_ACCOUNT);
            local(name)
        }
    }
}

/// Every SID the far-side principal has on `machine` for the logon-right
/// check: the user, its groups, the local aliases they belong to, Everyone
/// and Authenticated Users.
fn holder_sids(host: &Host, machine: &str, p: &Principal) -> BTreeSet<Sid> {
    let mut all = p.groups.clone();
    all.insert(p.sid.clone());
    if p.is_domain {
        all.insert(sids::builtin_users());
    }
    if let Some(m) = host.machine(machine) {
        let aliases = m.aliases_of(&all);
        all.extend(aliases);
    }
    all.insert(sids::everyone());
    all.insert(sids::authenticated_users());
    all
}

/// The server's side of the authentication: the scheme, the account it
/// logs on and what that session can present in turn. Pure; rule ids go to
/// `trail`.
pub fn admit(
    host: &Host,
    outbound: &Outbound,
    server: &Server,
    trail: &mut Vec<&'static str>,
) -> Admission {
    let anonymous = |trail: &mut Vec<&'static str>| {
        if server.accepts_anonymous() {
            Admission {
                scheme: Some(AuthScheme::Anonymous),
                principal: Ok(FarPrincipal::Anonymous),
            }
        } else {
            trail.push(ids::ANONYMOUS);
            Admission {
                scheme: None,
                principal: Err(Win32Error::AccessDenied),
            }
        }
    };
    let Presented::Account { account, secret } = &outbound.presented else {
        return anonymous(trail);
    };
    trail.push(ids::SCHEME);
    if *secret == Secret::WrongPassword {
        trail.push(ids::LOGON_FAILURE);
        return Admission {
            scheme: None,
            principal: Err(Win32Error::LogonFailure),
        };
    }
    let (password, domain_account) = resolve_presented(host, account);
    let spn_known = host
        .domain
        .as_ref()
        .and_then(|d| d.account_for_spn(&server.spn));
    let server_joined = host
        .machine(&server.machine)
        .is_some_and(|m| m.domain_joined);

    // Kerberos: a domain account, a registered SPN, a server that takes it.
    if let (Some(user), Some(back)) = (domain_account, spn_known) {
        if server.accepts_kerberos() && server_joined {
            let sensitive = is_sensitive(host, user);
            let holds_tgt = matches!(secret, Secret::Password | Secret::Tgt);
            let credentials = if holds_tgt && back.delegation.trusted_for_delegation {
                trail.push(ids::TGT_FORWARDED);
                if sensitive {
                    trail.push(ids::SENSITIVE);
                    NetworkCredentials::None
                } else {
                    NetworkCredentials::ForwardedTgt
                }
            } else {
                NetworkCredentials::None
            };
            if credentials == NetworkCredentials::None {
                trail.push(ids::ONE_HOP);
            }
            let principal = domain_principal(host, user);
            return logon_right(
                host,
                server,
                AuthScheme::Kerberos,
                FarPrincipal::Account {
                    principal,
                    logon_type: LogonType::Network,
                    credentials,
                    package: AuthPackage::Kerberos,
                    service_asserted: matches!(
                        secret,
                        Secret::ServiceTicket {
                            protocol_transition: true
                        }
                    ),
                },
                trail,
            );
        }
    }
    // A ticket or a TGT is good for Kerberos only.
    if *secret != Secret::Password {
        trail.push(ids::ANONYMOUS);
        return anonymous(trail);
    }
    // An account that does not exist cannot be logged on anywhere.
    let Some(password) = password else {
        trail.push(ids::LOGON_FAILURE);
        return Admission {
            scheme: None,
            principal: Err(Win32Error::LogonFailure),
        };
    };
    let protected = domain_account
        .is_some_and(|a| host.domain.as_ref().is_some_and(|d| d.is_protected_user(a)));
    let ntlm = server.accepts_ntlm() && !protected;
    if server.accepts_ntlm() && protected {
        trail.push(ids::PROTECTED_NO_NTLM);
    }
    let (scheme, logon_type, credentials) = if ntlm {
        trail.push(ids::ONE_HOP);
        (
            AuthScheme::Ntlm,
            LogonType::Network,
            NetworkCredentials::None,
        )
    // A browser takes the strongest scheme offered: Digest before Basic.
    } else if server.schemes.contains(&AuthScheme::Digest) {
        trail.push(ids::DIGEST);
        (
            AuthScheme::Digest,
            LogonType::Network,
            NetworkCredentials::None,
        )
    } else if server.schemes.contains(&AuthScheme::Basic) {
        trail.push(ids::BASIC_CLEARTEXT);
        (
            AuthScheme::Basic,
            LogonType::NetworkCleartext,
            NetworkCredentials::Password,
        )
    } else if server.schemes.contains(&AuthScheme::Anonymous) {
        return anonymous(trail);
    } else {
        trail.push(ids::LOGON_FAILURE);
        return Admission {
            scheme: None,
            principal: Err(Win32Error::LogonFailure),
        };
    };
    let Some(principal) = resolve_at_server(host, &server.machine, account, &password, trail)
    else {
        trail.push(ids::LOGON_FAILURE);
        return Admission {
            scheme: Some(scheme),
            principal: Err(Win32Error::LogonFailure),
        };
    };
    let package = if scheme == AuthScheme::Digest {
        AuthPackage::Digest
    } else if scheme == AuthScheme::Ntlm || !principal.is_domain {
        AuthPackage::Ntlm
    } else {
        AuthPackage::Kerberos
    };
    logon_right(
        host,
        server,
        scheme,
        FarPrincipal::Account {
            principal,
            logon_type,
            credentials,
            package,
            service_asserted: false,
        },
        trail,
    )
}

/// Checks SeNetworkLogonRight for an account logon at the server.
fn logon_right(
    host: &Host,
    server: &Server,
    scheme: AuthScheme,
    far: FarPrincipal,
    trail: &mut Vec<&'static str>,
) -> Admission {
    if let FarPrincipal::Account { principal, .. } = &far {
        trail.push(ids::LOGON_RIGHT);
        let holder = holder_sids(host, &server.machine, principal);
        let granted = host.machine(&server.machine).is_some_and(|m| {
            m.policy
                .holds(UserRight::Logon(LogonRight::Network), &holder)
                && !m
                    .policy
                    .holds(UserRight::Logon(LogonRight::DenyNetwork), &holder)
        });
        if !granted {
            return Admission {
                scheme: Some(scheme),
                principal: Err(Win32Error::LogonTypeNotGranted),
            };
        }
    }
    Admission {
        scheme: Some(scheme),
        principal: Ok(far),
    }
}

/// What a server answers when it refuses.
fn refusal(kind: ServerKind, kerberos: Option<KerberosFailure>, win32: Win32Error) -> Failure {
    match (kerberos, kind) {
        (Some(k), _) => Failure::Kerberos {
            error: k.error,
            status: k.status,
        },
        (None, ServerKind::Http) => Failure::Http { status: 401 },
        (None, ServerKind::Proxy) => Failure::Http { status: 407 },
        (None, _) => Failure::Win32 { error: win32 },
    }
}

/// The HTTP status of a web server or proxy's answer.
fn http_status(kind: ServerKind, granted: bool) -> Option<u16> {
    match (kind, granted) {
        (ServerKind::Http | ServerKind::Proxy, true) => Some(200),
        (ServerKind::Http, false) => Some(401),
        (ServerKind::Proxy, false) => Some(407),
        _ => None,
    }
}

impl Host {
    /// Applies a network operation.
    pub(crate) fn apply_network_op(
        &mut self,
        op: &NetworkOp,
        rules: &mut Vec<&'static str>,
    ) -> Result<Value, Win32Error> {
        match op {
            NetworkOp::DefineServer { name, server } => {
                self.define_server(name, server)?;
                Ok(Value::None)
            }
            NetworkOp::Access {
                thread,
                server,
                desired,
            } => {
                let access = self.access_remote(*thread, server, *desired, rules)?;
                Ok(Value::Remote(Box::new(access)))
            }
        }
    }

    /// Adds (or replaces) a server. Its machine must exist, its SDDL must
    /// parse, and its proxy, if any, must be a defined proxy.
    fn define_server(&mut self, name: &str, server: &Server) -> Result<(), Win32Error> {
        if name.is_empty() || self.machine(&server.machine).is_none() {
            return Err(Win32Error::InvalidParameter);
        }
        winsec::sddl::parse(&server.sddl, &self.domain_context(&server.machine))
            .map_err(|e| e.win32)?;
        if let Some(proxy) = &server.proxy {
            let is_proxy = self
                .servers
                .get(&proxy.to_ascii_lowercase())
                .is_some_and(|p| p.kind == ServerKind::Proxy && p.proxy.is_none());
            if server.kind == ServerKind::Proxy || !is_proxy {
                return Err(Win32Error::InvalidParameter);
            }
        }
        self.servers
            .insert(name.to_ascii_lowercase(), server.clone());
        Ok(())
    }

    /// `thread` reaches the server `name` for `desired`, through its proxy first.
    fn access_remote(
        &mut self,
        thread: ThreadId,
        name: &str,
        desired: AccessMask,
        rules: &mut Vec<&'static str>,
    ) -> Result<RemoteAccess, Win32Error> {
        let server = self
            .servers
            .get(&name.to_ascii_lowercase())
            .cloned()
            .ok_or(Win32Error::BadNetPath)?;
        if !self.process_of(thread).is_some_and(|p| p.alive) {
            return Err(Win32Error::InvalidHandle);
        }
        let mut via = None;
        if let Some(proxy_name) = &server.proxy {
            let proxy = self
                .servers
                .get(&proxy_name.to_ascii_lowercase())
                .cloned()
                .ok_or(Win32Error::BadNetPath)?;
            let outbound = outbound_identity(self, thread, &proxy, rules)?;
            let hop = self.reach(
                thread,
                proxy_name,
                &proxy,
                &outbound,
                AccessMask::GENERIC_READ,
                rules,
            );
            if !hop.is_granted() {
                rules.push(ids::HTTP_STATUS);
                let reason = hop.reason().unwrap_or(Failure::Http { status: 407 });
                return Ok(RemoteAccess {
                    server: name.to_string(),
                    kind: server.kind,
                    machine: server.machine.to_ascii_uppercase(),
                    spn: server.spn.clone(),
                    how: hop.how,
                    scheme: None,
                    identity: None,
                    remote_logon: None,
                    remote_token: None,
                    remote_credentials: None,
                    kerberos: hop.kerberos,
                    http_status: Some(407),
                    desired,
                    granted: AccessMask::NONE,
                    access_check: None,
                    outcome: RemoteOutcome::Denied { reason },
                    proxy: Some(Box::new(hop)),
                    reached: false,
                    negotiate: false,
                });
            }
            via = Some(Box::new(hop));
        }
        let outbound = outbound_identity(self, thread, &server, rules)?;
        let mut access = self.reach(thread, name, &server, &outbound, desired, rules);
        access.proxy = via;
        Ok(access)
    }

    /// One hop: the server admits what the client presents, the far-side
    /// logon is made, and the resource ACL is checked.
    fn reach(
        &mut self,
        thread: ThreadId,
        name: &str,
        server: &Server,
        outbound: &Outbound,
        desired: AccessMask,
        rules: &mut Vec<&'static str>,
    ) -> RemoteAccess {
        let admission = admit(self, outbound, server, rules);
        let mut access = RemoteAccess {
            server: name.to_string(),
            kind: server.kind,
            machine: server.machine.to_ascii_uppercase(),
            spn: server.spn.clone(),
            how: outbound.how,
            scheme: admission.scheme,
            identity: None,
            remote_logon: None,
            remote_token: None,
            remote_credentials: None,
            kerberos: outbound.kerberos,
            http_status: None,
            desired,
            granted: AccessMask::NONE,
            access_check: None,
            outcome: RemoteOutcome::Granted,
            proxy: None,
            reached: true,
            negotiate: matches!(
                admission.scheme,
                Some(AuthScheme::Kerberos | AuthScheme::Ntlm)
            ) && server.schemes.contains(&AuthScheme::Negotiate)
                && admission
                    .scheme
                    .is_some_and(|scheme| !server.schemes.contains(&scheme)),
        };
        if server.kind.is_http() {
            rules.push(ids::HTTP_STATUS);
        }
        let far = match admission.principal {
            Ok(far) => far,
            Err(error) => {
                access.http_status = http_status(server.kind, false);
                access.outcome = RemoteOutcome::Denied {
                    reason: refusal(server.kind, outbound.kerberos, error),
                };
                return access;
            }
        };
        let (logon, token, identity, credentials) = self.far_logon(&server.machine, &far);
        if matches!(far, FarPrincipal::Anonymous) {
            access.how = Mechanism::Anonymous;
        }
        access.remote_logon = Some(logon);
        access.remote_token = Some(token);
        access.remote_credentials = Some(credentials);

        rules.push(ids::SERVER_ACL);
        let check = match self.server_check(server, token, desired) {
            Ok(check) => check,
            Err(error) => {
                access.identity = Some(identity);
                access.http_status = http_status(server.kind, false);
                access.outcome = RemoteOutcome::Denied {
                    reason: refusal(server.kind, outbound.kerberos, error),
                };
                return access;
            }
        };
        let granted = check.is_granted();
        self.log.push(Event::Access {
            thread,
            object: server.display(name),
            user: identity.sid.clone(),
            granted,
        });
        access.identity = Some(identity);
        access.granted = if granted {
            check.granted.unwrap_or(AccessMask::NONE)
        } else {
            AccessMask::NONE
        };
        access.http_status = http_status(server.kind, granted);
        if !granted {
            let error = check.error.unwrap_or(Win32Error::AccessDenied);
            access.outcome = RemoteOutcome::Denied {
                reason: refusal(server.kind, outbound.kerberos, error),
            };
        }
        access.access_check = Some(check);
        access
    }

    /// The token a server on `server_machine` gets for a remote client
    /// (a named pipe over SMB, RPC, DCOM) whose identity is `client_token`
    /// on `client_machine`: a network logon of the client's account on the
    /// server's machine, not the client's own session. The session holds
    /// the client's forwarded TGT when `delegate` (the server's account is
    /// trusted for delegation) and the user is a domain account that is not
    /// sensitive; otherwise nothing reusable. A client whose session holds
    /// no credentials arrives as ANONYMOUS LOGON; SYSTEM and NETWORK
    /// SERVICE arrive as the computer account.
    pub(crate) fn remote_client_token(
        &mut self,
        server_machine: &str,
        client_machine: &str,
        client_token: TokenId,
        delegate: bool,
        trail: &mut Vec<&'static str>,
    ) -> Result<TokenId, Win32Error> {
        trail.push(ids::REMOTE_CLIENT_LOGON);
        let session = self
            .logon_of(client_token)
            .ok_or(Win32Error::InvalidHandle)?;
        let machine_identity =
            session.user == sids::local_system() || session.user == sids::network_service();
        let account = if machine_identity {
            computer_account(self, client_machine).map(|a| AccountRef::Domain {
                name: a.name.clone(),
            })
        } else if session.credentials == NetworkCredentials::None {
            None
        } else {
            account_of_user(self, client_machine, &session.user)
        };
        let far = match account {
            None => FarPrincipal::Anonymous,
            Some(account) => {
                let (password, domain_account) = resolve_presented(self, &account);
                let sensitive = domain_account.is_some_and(|a| is_sensitive(self, a));
                let kerberos = domain_account.is_some()
                    && self
                        .machine(server_machine)
                        .is_some_and(|m| m.domain_joined);
                let principal = resolve_at_server(
                    self,
                    server_machine,
                    &account,
                    password.as_deref().unwrap_or_default(),
                    trail,
                )
                .ok_or(Win32Error::LogonFailure)?;
                let credentials = if delegate && kerberos && !sensitive {
                    NetworkCredentials::ForwardedTgt
                } else {
                    NetworkCredentials::None
                };
                FarPrincipal::Account {
                    principal,
                    logon_type: LogonType::Network,
                    credentials,
                    package: if kerberos {
                        AuthPackage::Kerberos
                    } else {
                        AuthPackage::Ntlm
                    },
                    service_asserted: false,
                }
            }
        };
        let (_, token, _, _) = self.far_logon(server_machine, &far);
        Ok(token)
    }

    /// Makes the far side's logon session and token on `machine`.
    fn far_logon(
        &mut self,
        machine: &str,
        far: &FarPrincipal,
    ) -> (LogonId, TokenId, RemoteIdentity, NetworkCredentials) {
        match far {
            FarPrincipal::Anonymous => {
                let who = BuiltinIdentity::Anonymous;
                let token = self.builtin_token(machine, who);
                if let Some(t) = self.tokens.get_mut(&token) {
                    // The server impersonates its anonymous client.
                    t.token.token_type =
                        TokenType::Impersonation(ImpersonationLevel::Impersonation);
                }
                let logon = self
                    .tokens
                    .get(&token)
                    .map_or(LogonId(who.logon_luid()), |t| t.logon);
                self.log.push(Event::Logon {
                    logon,
                    account: who.display().to_string(),
                    logon_type: LogonType::Network,
                    token,
                });
                let identity = RemoteIdentity {
                    sid: who.sid(),
                    account: who.display().to_string(),
                };
                (logon, token, identity, NetworkCredentials::None)
            }
            FarPrincipal::Account {
                principal,
                logon_type,
                credentials,
                package,
                service_asserted,
            } => {
                let (logon, token) = self.logon_token(
                    machine,
                    principal,
                    *logon_type,
                    0,
                    credentials.clone(),
                    None,
                );
                if let Some(session) = self.logons.get_mut(&logon) {
                    session.package = *package;
                }
                if *credentials == NetworkCredentials::ForwardedTgt {
                    // A session holding the client's forwarded TGT gives the
                    // server a Delegation-level token.
                    self.retype_new_token(
                        token,
                        TokenType::Impersonation(ImpersonationLevel::Delegation),
                    );
                }
                if *service_asserted {
                    let authority_asserted = Sid::new(18, &[1]);
                    let service_asserted = Sid::new(18, &[2]);
                    if let (Some(t), Some(from), Some(to)) = (
                        self.tokens.get_mut(&token),
                        authority_asserted,
                        service_asserted,
                    ) {
                        t.token.groups.retain(|g| g.sid != from);
                        t.token.groups.push(Group {
                            sid: to,
                            attributes: group_attrs::DEFAULT,
                        });
                    }
                }
                let identity = RemoteIdentity {
                    sid: principal.sid.clone(),
                    account: principal.display.clone(),
                };
                (logon, token, identity, credentials.clone())
            }
        }
    }

    /// The server's access check on its resource ACL with the far-side
    /// token (an SDDL that no longer parses gives its error).
    fn server_check(
        &self,
        server: &Server,
        token: TokenId,
        desired: AccessMask,
    ) -> Result<AccessCheckResult, Win32Error> {
        let mapping = GenericMapping::FILE;
        let mut client = self
            .tokens
            .get(&token)
            .map(|t| t.token.clone())
            .unwrap_or_else(|| winsec::Token::new(sids::anonymous()).into());
        if client.token_type == TokenType::Primary {
            // A NETWORK_CLEARTEXT logon is primary; the server impersonates it.
            client.token_type = TokenType::Impersonation(ImpersonationLevel::Impersonation);
        }
        let mut sd: SecurityDescriptor =
            winsec::sddl::parse(&server.sddl, &self.domain_context(&server.machine))
                .map_err(|e| e.win32)?;
        // A resource on a server always has an owner and a group.
        sd.owner.get_or_insert_with(sids::builtin_administrators);
        sd.group.get_or_insert_with(sids::local_system);
        Ok(AccessRequest {
            sd: &sd,
            token: &client,
            desired: mapping.map(desired),
            mapping: &mapping,
            principal_self: None,
            backup_intent: false,
        }
        .check_under(self.rules.checks.access))
    }
}
