//! The CORP domain host shared by the network tests (`network.rs`) and the
//! IIS authentication rows (`iis_rows.rs`), and the helpers that drive it
//! through `Host::apply`.

#![allow(dead_code, reason = "each test binary uses part of the shared support")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::collections::BTreeSet;

use simos::network::{
    AuthScheme, KerberosError, KerberosFailure, Mechanism, NetworkOp, NtStatus, RemoteAccess,
    Server, ServerKind,
};
use simos::{
    BuiltinIdentity, Domain, Host, LogonType, Machine, Op, Outcome, PrincipalKind, ServiceAccount,
    ThreadId, TokenId, Value,
};
use winsec::well_known::sids;
use winsec::{AccessMask, Sid};

pub const SHARE_SPN: &str = "cifs/fs.corp.example";
pub const WEB_SPN: &str = "HTTP/web.corp.example";
pub const SQL_SPN: &str = "MSSQLSvc/sql.corp.example:1433";
pub const ANONYMOUS_LOGON: &str = "NT AUTHORITY\\ANONYMOUS LOGON";

// ---------------------------------------------------------------- the world

pub fn domain_sid() -> Sid {
    "S-1-5-21-10-20-30".parse().unwrap()
}

pub fn machine(name: &str, rid: u32, joined: bool) -> Machine {
    let mut m = Machine::new(name, format!("S-1-5-21-{rid}-1-1").parse().unwrap());
    m.domain_joined = joined;
    m
}

/// The CORP domain (corp.example): users alice, bob, carol and webanon; the
/// app-pool account svc-web (HTTP/web), the SQL service account svc-sql
/// (MSSQLSvc/sql:1433); computers WS01, WEB, FS (cifs/fs), SQL, PROXY;
/// and WG01, a workgroup machine. Servers: `share` on FS and `sql` on SQL
/// (Negotiate, Domain Users get everything), `web` on WEB (Negotiate,
/// Domain Users).
pub fn corp() -> Host {
    let mut h = Host::new();
    let mut d = Domain::new("CORP", "corp.example", domain_sid());
    for user in ["alice", "bob", "carol", "webanon"] {
        d.add_account(user, &format!("{user}-pw"), PrincipalKind::User, &[]);
    }
    d.add_account("svc-web", "svc-web-pw", PrincipalKind::Service, &[]);
    d.add_account("svc-sql", "svc-sql-pw", PrincipalKind::Service, &[]);
    for computer in ["WS01$", "WEB$", "FS$", "SQL$", "PROXY$"] {
        d.add_account(computer, "machine-pw", PrincipalKind::Computer, &[]);
    }
    for (account, spn) in [
        ("svc-web", WEB_SPN),
        ("svc-sql", SQL_SPN),
        ("fs$", SHARE_SPN),
        ("proxy$", "HTTP/proxy.corp.example"),
    ] {
        d.account_mut(account).unwrap().spns.insert(spn.to_string());
    }
    h.domain = Some(d).into();
    for (i, name) in ["WS01", "WEB", "FS", "SQL", "PROXY"].iter().enumerate() {
        h.add_machine(machine(name, 100 + i as u32, true));
    }
    h.add_machine(machine("WG01", 200, false));
    share_for(&mut h, "D:(A;;FA;;;DU)");
    define(
        &mut h,
        "sql",
        server(
            ServerKind::Sql,
            "SQL",
            SQL_SPN,
            &[AuthScheme::Negotiate],
            "D:(A;;GA;;;DU)",
        ),
    );
    web(&mut h, &[AuthScheme::Negotiate]);
    h
}

pub fn server(
    kind: ServerKind,
    machine: &str,
    spn: &str,
    schemes: &[AuthScheme],
    sddl: &str,
) -> Server {
    Server {
        kind,
        machine: machine.into(),
        spn: spn.into(),
        resource: String::new(),
        schemes: schemes.iter().copied().collect::<BTreeSet<_>>(),
        sddl: sddl.into(),
        proxy: None,
    }
}

pub fn define(h: &mut Host, name: &str, server: Server) {
    let out = h.apply(&Op::Network(NetworkOp::DefineServer {
        name: name.into(),
        server,
    }));
    assert!(out.result.is_ok(), "define {name}: {:?}", out.result);
}

/// (Re)defines `share` on FS (Negotiate) with the given ACL.
pub fn share_for(h: &mut Host, sddl: &str) {
    define(
        h,
        "share",
        server(
            ServerKind::SmbShare,
            "FS",
            SHARE_SPN,
            &[AuthScheme::Negotiate],
            sddl,
        ),
    );
}

/// (Re)defines IIS (`web` on WEB, Domain Users) with the given schemes.
pub fn web(h: &mut Host, schemes: &[AuthScheme]) {
    define(
        h,
        "web",
        server(ServerKind::Http, "WEB", WEB_SPN, schemes, "D:(A;;GA;;;DU)"),
    );
}

pub fn sid_of(h: &Host, name: &str) -> Sid {
    h.domain
        .as_ref()
        .unwrap()
        .account(name)
        .unwrap()
        .sid
        .clone()
}

/// An SDDL granting full access to `sid` alone.
pub fn only(sid: &Sid) -> String {
    format!("O:BAG:SYD:(A;;FA;;;{sid})")
}

// ---------------------------------------------------------------- threads

pub fn thread_of(out: &Outcome) -> ThreadId {
    match out.result.value() {
        Some(Value::Process { thread, .. }) => *thread,
        other => panic!("no process: {other:?} {:?}", out.result),
    }
}

/// A domain user at the console of a machine.
pub fn console(h: &mut Host, machine: &str, user: &str) -> ThreadId {
    thread_of(&h.apply(&Op::InteractiveLogon {
        machine: machine.into(),
        user: user.into(),
        domain: Some("CORP".into()),
        password: format!("{user}-pw"),
        ts_session: 1,
        remote: false,
    }))
}

/// A service (an IIS app pool, a file-server agent) as a built-in identity.
pub fn builtin_service(h: &mut Host, machine: &str, who: BuiltinIdentity) -> ThreadId {
    thread_of(&h.apply(&Op::StartService {
        machine: machine.into(),
        image: "w3wp.exe".into(),
        account: ServiceAccount::Builtin(who),
        flow_policy: None,
    }))
}

/// An app pool running as the domain service account CORP\svc-web on WEB.
pub fn svc_web_pool(h: &mut Host) -> ThreadId {
    // The app pool account was configured as a service on WEB, which
    // grants it the service logon right.
    let svc = h
        .domain
        .as_ref()
        .and_then(|d| d.account("svc-web"))
        .map(|a| a.sid.clone())
        .unwrap();
    h.machine_mut("WEB").unwrap().policy.grant(
        simos::policy::UserRight::Logon(simos::policy::LogonRight::Service),
        svc,
    );
    thread_of(&h.apply(&Op::StartService {
        machine: "WEB".into(),
        image: "w3wp.exe".into(),
        account: ServiceAccount::Account {
            user: "svc-web".into(),
            domain: Some("CORP".into()),
            password: "svc-web-pw".into(),
        },
        flow_policy: None,
    }))
}

pub fn logon_user(
    h: &mut Host,
    thread: ThreadId,
    user: &str,
    domain: Option<&str>,
    password: &str,
    logon_type: LogonType,
) -> TokenId {
    let out = h.apply(&Op::LogonUser {
        thread,
        user: user.into(),
        domain: domain.map(Into::into),
        password: password.into(),
        logon_type,
    });
    out.result
        .token()
        .unwrap_or_else(|| panic!("LogonUser {user}: {:?}", out.result))
}

/// `ImpersonateLoggedOnUser` (IIS's `<identity impersonate="true"/>`).
pub fn impersonate(h: &mut Host, thread: ThreadId, token: TokenId) {
    let out = h.apply(&Op::ImpersonateLoggedOnUser { thread, token });
    assert!(out.result.is_ok(), "impersonate: {:?}", out.result);
}

pub fn s4u(h: &mut Host, thread: ThreadId, upn: &str) -> TokenId {
    let out = h.apply(&Op::S4uLogon {
        thread,
        upn: upn.into(),
    });
    out.result
        .token()
        .unwrap_or_else(|| panic!("S4U {upn}: {:?}", out.result))
}

// ---------------------------------------------------------------- the hop

/// `thread` reaches `server` for read; returns the result and the rules applied.
pub fn reach(h: &mut Host, thread: ThreadId, server: &str) -> (RemoteAccess, Vec<&'static str>) {
    let out = h.apply(&Op::Network(NetworkOp::Access {
        thread,
        server: server.into(),
        desired: AccessMask::GENERIC_READ,
    }));
    match out.result.value() {
        Some(Value::Remote(r)) => ((**r).clone(), out.rules),
        other => panic!("no remote result: {other:?} {:?}", out.result),
    }
}

pub fn access(h: &mut Host, thread: ThreadId, server: &str) -> RemoteAccess {
    reach(h, thread, server).0
}

/// The account the far side saw.
pub fn seen(r: &RemoteAccess) -> &str {
    r.identity
        .as_ref()
        .map_or("<nobody>", |i| i.account.as_str())
}

pub fn assert_granted_as(r: &RemoteAccess, account: &str, how: Mechanism) {
    assert!(r.is_granted(), "{} not granted: {r:#?}", r.server);
    assert_eq!(seen(r), account);
    assert_eq!(r.how, how);
}

/// The far side saw ANONYMOUS LOGON and refused it.
pub fn assert_anonymous_denied(r: &RemoteAccess) {
    assert!(!r.is_granted(), "{} granted: {r:#?}", r.server);
    assert_eq!(seen(r), ANONYMOUS_LOGON);
    assert_eq!(r.identity.as_ref().unwrap().sid, sids::anonymous());
    assert_eq!(r.how, Mechanism::Anonymous);
}

pub fn badoption(status: NtStatus) -> Option<KerberosFailure> {
    Some(KerberosFailure {
        error: KerberosError::BadOption,
        status,
    })
}

/// bob browses `web` from his workstation; returns the far side of it and
/// the token IIS got.
pub fn bob_browses(h: &mut Host) -> (RemoteAccess, TokenId) {
    let bob = console(h, "WS01", "bob");
    let r = access(h, bob, "web");
    assert_granted_as(&r, "CORP\\bob", Mechanism::Credentials);
    let token = r.remote_token.unwrap();
    (r, token)
}
