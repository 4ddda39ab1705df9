//! The host every BITS test runs on, and helpers that drive the world
//! through `World::apply`.
//!
//! CORP domain (corp.example) with users alice, bob and carol (standard)
//! and admin (in WS01's Administrators); WS01 runs BITS and has UAC on.
//! Servers: `web` (HTTP, Negotiate; only carol may read `/secret`… the ACL
//! grants Domain Users unless a test redefines it) and `fs` (an SMB share).
//! Local directories on WS01: `C:\Public` (everyone may write) and
//! `C:\Program Files\App` (only SYSTEM and Administrators may write).

#![allow(dead_code, reason = "each test binary uses part of the shared support")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::collections::BTreeSet;

use bits::{Call, HResult, Method, Op, Outcome, PointerId, Profile, Rules, Value, World};
use simos::network::{AuthScheme, NetworkOp, Server, ServerKind};
use simos::objects::{ObjectKind, ObjectOp};
use simos::{
    BuiltinIdentity, Cloaking, Domain, Host, LogonType, Machine, PrincipalKind, ServiceAccount,
    ThreadId, TokenId,
};
use winsec::well_known::sids;
use winsec::{ImpersonationLevel, Sid};

pub const PUBLIC: &str = "C:\\Public";
pub const PROTECTED: &str = "C:\\Program Files\\App";
pub const URL: &str = "http://web/file.bin";
pub const UNC: &str = "\\\\fs\\share\\file.bin";

pub fn domain_sid() -> Sid {
    "S-1-5-21-10-20-30".parse().unwrap()
}

fn machine(name: &str, rid: u32) -> Machine {
    let mut m = Machine::new(name, format!("S-1-5-21-{rid}-1-1").parse().unwrap());
    m.domain_joined = true;
    m
}

/// The host described in the module header.
pub fn host() -> Host {
    let mut h = Host::new();
    let mut d = Domain::new("CORP", "corp.example", domain_sid());
    for user in ["alice", "bob", "carol", "admin"] {
        d.add_account(user, &format!("{user}-pw"), PrincipalKind::User, &[]);
    }
    d.add_account("svc-web", "svc-web-pw", PrincipalKind::Service, &[]);
    for computer in ["WS01$", "WEB$", "FS$"] {
        d.add_account(computer, "machine-pw", PrincipalKind::Computer, &[]);
    }
    d.account_mut("svc-web")
        .unwrap()
        .spns
        .insert("HTTP/web.corp.example".to_string());
    d.account_mut("fs$")
        .unwrap()
        .spns
        .insert("cifs/fs.corp.example".to_string());
    let admin = d.account("admin").unwrap().sid.clone();
    h.domain = Some(d).into();
    let mut ws = machine("WS01", 100);
    ws.uac = true;
    ws.add_alias_member(sids::builtin_administrators(), admin);
    h.add_machine(ws);
    h.add_machine(machine("WEB", 101));
    h.add_machine(machine("FS", 102));
    server(
        &mut h,
        "web",
        ServerKind::Http,
        "WEB",
        "HTTP/web.corp.example",
        "D:(A;;FA;;;DU)(A;;FA;;;DC)",
    );
    server(
        &mut h,
        "fs",
        ServerKind::SmbShare,
        "FS",
        "cifs/fs.corp.example",
        "D:(A;;FA;;;DU)(A;;FA;;;DC)",
    );
    for (path, sddl) in [
        (
            "C:\\",
            "O:BAG:SYD:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)",
        ),
        (
            PUBLIC,
            "O:BAG:SYD:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;AU)",
        ),
        (
            PROTECTED,
            "O:BAG:SYD:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)",
        ),
    ] {
        h.apply(&simos::Op::Object(ObjectOp::Define {
            machine: "WS01".to_string(),
            path: path.to_string(),
            kind: ObjectKind::Directory,
            sddl: sddl.to_string(),
        }));
    }
    h
}

/// Defines (or redefines) a server with an ACL.
pub fn server(h: &mut Host, name: &str, kind: ServerKind, machine: &str, spn: &str, sddl: &str) {
    let out = h.apply(&simos::Op::Network(NetworkOp::DefineServer {
        name: name.to_string(),
        server: Server {
            kind,
            machine: machine.to_string(),
            spn: spn.to_string(),
            resource: String::new(),
            schemes: BTreeSet::from([AuthScheme::Negotiate]),
            sddl: sddl.to_string(),
            proxy: None,
        },
    }));
    assert!(out.result.is_ok(), "{out:?}");
}

/// A world on `profile` with content published for [`URL`] and [`UNC`].
pub fn world(profile: Profile) -> World {
    world_with(profile.rules())
}

/// A world under explicit rules (a mutant or a hypothetical release).
pub fn world_with(rules: Rules) -> World {
    let mut w = World::new(host(), "WS01", rules).unwrap();
    for name in [URL, UNC] {
        ok(&w.apply(&Op::Publish {
            name: name.to_string(),
            bytes: 3000,
        }));
    }
    w.bits.policy.bytes_per_tick = 1000;
    w
}

pub fn sid_of(w: &World, name: &str) -> Sid {
    w.host
        .domain
        .as_ref()
        .unwrap()
        .account(name)
        .unwrap()
        .sid
        .clone()
}

pub fn ok(out: &Outcome) {
    assert!(
        out.hr.succeeded(),
        "expected success, got {} ({:?})",
        out.hr,
        out.rules
    );
}

/// A console logon of a domain user on WS01 in `session`: its shell thread.
pub fn console(w: &mut World, user: &str, session: u32) -> ThreadId {
    let out = w.apply(&Op::Host {
        op: simos::Op::InteractiveLogon {
            machine: "WS01".to_string(),
            user: user.to_string(),
            domain: Some("CORP".to_string()),
            password: format!("{user}-pw"),
            ts_session: session,
            remote: false,
        },
    });
    match out.host_result {
        Some(simos::ApiResult::Ok {
            value: simos::Value::Process { thread, .. },
        }) => thread,
        other => panic!("logon failed: {other:?}"),
    }
}

/// A service process on WS01 running as a built-in identity.
pub fn service(w: &mut World, who: BuiltinIdentity) -> ThreadId {
    let out = w.apply(&Op::Host {
        op: simos::Op::StartService {
            machine: "WS01".to_string(),
            image: "app-service.exe".to_string(),
            account: ServiceAccount::Builtin(who),
            flow_policy: None,
        },
    });
    match out.host_result {
        Some(simos::ApiResult::Ok {
            value: simos::Value::Process { thread, .. },
        }) => thread,
        other => panic!("service start failed: {other:?}"),
    }
}

/// The elevated twin of a thread's (UAC-filtered) token, as a new process
/// started "as administrator" in the same session.
pub fn elevated(w: &mut World, thread: ThreadId) -> ThreadId {
    let primary = w.host.process_of(thread).unwrap().primary_token;
    let linked = w.host.token(primary).unwrap().token.linked_token.unwrap();
    let out = w.apply(&Op::Host {
        op: simos::Op::CreateProcessAsUser {
            thread,
            token: TokenId(linked),
            image: "elevated.exe".to_string(),
        },
    });
    match out.host_result {
        Some(simos::ApiResult::Ok {
            value: simos::Value::Process { thread, .. },
        }) => thread,
        other => panic!("elevation failed: {other:?}"),
    }
}

/// `LogonUser` of a domain user by `thread`.
pub fn logon_user(w: &mut World, thread: ThreadId, user: &str, logon_type: LogonType) -> TokenId {
    let out = w.apply(&Op::Host {
        op: simos::Op::LogonUser {
            thread,
            user: user.to_string(),
            domain: Some("CORP".to_string()),
            password: format!("{user}-pw"),
            logon_type,
        },
    });
    out.host_result.unwrap().token().unwrap()
}

pub fn impersonate(w: &mut World, thread: ThreadId, token: TokenId) {
    let out = w.apply(&Op::Host {
        op: simos::Op::ImpersonateLoggedOnUser { thread, token },
    });
    ok(&out);
}

pub fn revert(w: &mut World, thread: ThreadId) {
    ok(&w.apply(&Op::Host {
        op: simos::Op::RevertToSelf { thread },
    }));
}

/// `CoInitializeSecurity(IMPERSONATE, EOAC_DYNAMIC_CLOAKING)`.
pub fn impersonate_blanket(w: &mut World, thread: ThreadId) {
    ok(&w.apply(&Op::SetBlanket {
        thread,
        level: ImpersonationLevel::Impersonation,
        cloaking: Cloaking::Dynamic,
    }));
}

pub fn call(w: &mut World, thread: ThreadId, call: Call) -> Outcome {
    w.apply(&Op::Bits { thread, call })
}

pub fn method(w: &mut World, thread: ThreadId, pointer: PointerId, method: Method) -> Outcome {
    call(w, thread, Call::Method { pointer, method })
}

/// CreateJob: the job's pointer.
pub fn create(w: &mut World, thread: ThreadId, job_type: bits::JobType) -> PointerId {
    let out = call(
        w,
        thread,
        Call::CreateJob {
            name: "job".to_string(),
            job_type,
        },
    );
    match out.value {
        Value::Job { pointer, .. } => pointer,
        _ => panic!("CreateJob failed: {}", out.hr),
    }
}

pub fn qi(
    w: &mut World,
    thread: ThreadId,
    pointer: PointerId,
    interface: bits::Interface,
) -> Result<PointerId, HResult> {
    let out = call(w, thread, Call::QueryInterface { pointer, interface });
    match out.value {
        Value::Pointer { pointer } => Ok(pointer),
        _ => Err(out.hr),
    }
}

pub fn add_file(
    w: &mut World,
    thread: ThreadId,
    pointer: PointerId,
    remote: &str,
    local: &str,
) -> HResult {
    method(
        w,
        thread,
        pointer,
        Method::AddFile {
            remote: remote.to_string(),
            local: local.to_string(),
        },
    )
    .hr
}

pub fn state(w: &World, pointer: PointerId) -> bits::JobState {
    w.job_of(pointer).unwrap().state
}

pub fn advance(w: &mut World, ticks: u64) {
    ok(&w.apply(&Op::Advance { ticks }));
}
