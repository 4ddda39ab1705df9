//! Logon types ([LU], [LT]), the privilege rules ([POL-IMP], [POL-TCB]),
//! thread-token flow ([IL]) and the host-only checks, all driven through `Host::apply`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use simos::{
    BuiltinIdentity, FlowPolicy, Host, LogonType, Machine, NetworkCredentials, Op, ServiceAccount,
    ThreadId, ThreadStart, TokenId, Value,
};
use winsec::well_known::sids;
use winsec::{ElevationType, ImpersonationLevel, Privilege, Sid, TokenType, Win32Error};

fn machine_sid() -> Sid {
    "S-1-5-21-100-200-300".parse().unwrap()
}

/// A workstation WS1 with a standard user alice, an administrator admin and
/// a user bob.
fn host() -> Host {
    let mut h = Host::new();
    let mut m = Machine::new("WS1", machine_sid());
    m.add_user("alice", "a-pass", &[]);
    m.add_user("bob", "b-pass", &[]);
    m.add_user("admin", "adm-pass", &[sids::builtin_administrators()]);
    h.add_machine(m);
    h
}

fn logon(h: &mut Host, user: &str, password: &str, ts: u32) -> ThreadId {
    let out = h.apply(&Op::InteractiveLogon {
        machine: "WS1".into(),
        user: user.into(),
        domain: None,
        password: password.into(),
        ts_session: ts,
        remote: false,
    });
    match out.result.value() {
        Some(Value::Process { thread, .. }) => *thread,
        other => panic!("logon failed: {other:?} {:?}", out.result),
    }
}

fn service(h: &mut Host, who: BuiltinIdentity) -> ThreadId {
    let out = h.apply(&Op::StartService {
        machine: "WS1".into(),
        image: "svc.exe".into(),
        account: ServiceAccount::Builtin(who),
        flow_policy: None,
    });
    match out.result.value() {
        Some(Value::Process { thread, .. }) => *thread,
        other => panic!("service failed: {other:?}"),
    }
}

fn logon_user(
    h: &mut Host,
    thread: ThreadId,
    user: &str,
    password: &str,
    t: LogonType,
) -> Result<TokenId, Win32Error> {
    let out = h.apply(&Op::LogonUser {
        thread,
        user: user.into(),
        domain: None,
        password: password.into(),
        logon_type: t,
    });
    match out.result.error() {
        Some(e) => Err(e),
        None => Ok(out.result.token().unwrap()),
    }
}

fn token(h: &Host, id: TokenId) -> &winsec::Token {
    &h.token(id).unwrap().token
}

fn user_sid(h: &Host, name: &str) -> Sid {
    h.machine("WS1").unwrap().account(name).unwrap().sid.clone()
}

// ---------------------------------------------------------------- [LU], [LT] logon types

#[test]
fn logon_types_token_type_groups_and_credentials() {
    let mut h = host();
    let svc = service(&mut h, BuiltinIdentity::LocalSystem);
    let cases = [
        (
            LogonType::Interactive,
            TokenType::Primary,
            sids::interactive(),
            NetworkCredentials::Password,
        ),
        (
            LogonType::Network,
            TokenType::Impersonation(ImpersonationLevel::Impersonation),
            sids::network(),
            NetworkCredentials::None,
        ),
        (
            LogonType::NetworkCleartext,
            TokenType::Primary,
            sids::network(),
            NetworkCredentials::Password,
        ),
    ];
    for (t, token_type, group, credentials) in cases {
        let id = logon_user(&mut h, svc, "alice", "a-pass", t).unwrap();
        let tok = token(&h, id);
        assert_eq!(tok.token_type, token_type, "{t:?}");
        assert!(tok.is_member(&group), "{t:?} adds its logon-type group");
        assert!(tok.is_member(&sids::everyone()));
        assert!(tok.is_member(&sids::authenticated_users()));
        let logon_sid = tok
            .groups
            .iter()
            .find(|g| g.sid.sub_authorities().first() == Some(&5) && g.sid.authority() == 5);
        assert_eq!(
            logon_sid.map(|g| g.attributes),
            Some(0xC000_0007),
            "{t:?}: logon SID attributes"
        );
        assert_eq!(h.logon_of(id).unwrap().credentials, credentials, "{t:?}");
        assert_eq!(tok.user.sid, user_sid(&h, "alice"));
    }
}

#[test]
fn batch_and_service_logons_need_their_rights() {
    let mut h = host();
    let svc = service(&mut h, BuiltinIdentity::LocalSystem);
    // Users hold neither SeBatchLogonRight nor SeServiceLogonRight by default.
    assert_eq!(
        logon_user(&mut h, svc, "alice", "a-pass", LogonType::Batch),
        Err(Win32Error::LogonTypeNotGranted)
    );
    assert_eq!(
        logon_user(&mut h, svc, "alice", "a-pass", LogonType::Service),
        Err(Win32Error::LogonTypeNotGranted)
    );
    // Administrators hold the batch right.
    let id = logon_user(&mut h, svc, "admin", "adm-pass", LogonType::Batch).unwrap();
    assert!(token(&h, id).is_member(&sids::batch()));
    assert_eq!(token(&h, id).token_type, TokenType::Primary);
}

#[test]
fn deny_logon_right_overrides_the_grant() {
    let mut h = host();
    let alice = user_sid(&h, "alice");
    h.machine_mut("WS1").unwrap().policy.grant(
        simos::policy::UserRight::Logon(simos::policy::LogonRight::DenyNetwork),
        alice,
    );
    let svc = service(&mut h, BuiltinIdentity::LocalSystem);
    assert_eq!(
        logon_user(&mut h, svc, "alice", "a-pass", LogonType::Network),
        Err(Win32Error::LogonTypeNotGranted)
    );
    assert!(logon_user(&mut h, svc, "bob", "b-pass", LogonType::Network).is_ok());
}

#[test]
fn wrong_password_and_unknown_user_fail_with_logon_failure() {
    let mut h = host();
    let svc = service(&mut h, BuiltinIdentity::LocalSystem);
    assert_eq!(
        logon_user(&mut h, svc, "alice", "nope", LogonType::Interactive),
        Err(Win32Error::LogonFailure)
    );
    assert_eq!(
        logon_user(&mut h, svc, "mallory", "x", LogonType::Interactive),
        Err(Win32Error::LogonFailure)
    );
    assert_eq!(
        logon_user(&mut h, svc, "alice", "a-pass", LogonType::Unlock),
        Err(Win32Error::InvalidLogonType)
    );
}

#[test]
fn new_credentials_clones_the_caller() {
    let mut h = host();
    let alice = logon(&mut h, "alice", "a-pass", 1);
    let id = logon_user(&mut h, alice, "bob", "b-pass", LogonType::NewCredentials).unwrap();
    let tok = token(&h, id);
    assert_eq!(tok.user.sid, user_sid(&h, "alice"), "same local identity");
    match &h.logon_of(id).unwrap().credentials {
        NetworkCredentials::Other { user, .. } => assert_eq!(user, "bob"),
        other => panic!("outbound credentials should be bob's, got {other:?}"),
    }
}

#[test]
fn uac_interactive_admin_gets_filtered_token_linked_to_elevated_one() {
    let mut h = host();
    let t = logon(&mut h, "admin", "adm-pass", 1);
    let limited = h.effective_token(t).unwrap().clone();
    assert_eq!(limited.elevation_type, ElevationType::Limited);
    assert!(!limited.has_enabled_administrators());
    assert!(limited.matches_for_deny(&sids::builtin_administrators()));
    assert_eq!(limited.integrity, winsec::IntegrityLevel::MEDIUM);
    let full = token(&h, TokenId(limited.linked_token.unwrap()));
    assert_eq!(full.elevation_type, ElevationType::Full);
    assert!(full.has_enabled_administrators());
    assert_eq!(full.integrity, winsec::IntegrityLevel::HIGH);
    assert_eq!(full.owner, sids::builtin_administrators());
    // A network logon of the same admin is not filtered.
    let svc = service(&mut h, BuiltinIdentity::LocalSystem);
    let net = logon_user(&mut h, svc, "admin", "adm-pass", LogonType::Network).unwrap();
    assert!(token(&h, net).has_enabled_administrators());
}

// ------------------------------------------------------------- [POL-IMP], [POL-TCB] privileges

#[test]
fn default_privileges_follow_the_user_rights_assignment() {
    let mut h = host();
    let ns = service(&mut h, BuiltinIdentity::NetworkService);
    let ls = service(&mut h, BuiltinIdentity::LocalService);
    let sys = service(&mut h, BuiltinIdentity::LocalSystem);
    let alice = logon(&mut h, "alice", "a-pass", 1);
    for t in [ns, ls, sys] {
        assert!(h
            .effective_token(t)
            .unwrap()
            .privilege_enabled(Privilege::Impersonate));
    }
    assert!(h
        .effective_token(sys)
        .unwrap()
        .privilege_enabled(Privilege::Tcb));
    assert!(
        !h.effective_token(ns).unwrap().has_privilege(Privilege::Tcb),
        "TCB is held by nobody by default"
    );
    let a = h.effective_token(alice).unwrap();
    assert!(!a.has_privilege(Privilege::Impersonate));
    assert!(a.privilege_enabled(Privilege::ChangeNotify));
    assert!(a.has_privilege(Privilege::Shutdown) && !a.privilege_enabled(Privilege::Shutdown));
}

/// A foreign token without the privilege is downgraded and the
/// Identification token then opens nothing; a service holds the privilege;
/// and the allow-list rows.
#[test]
fn impersonation_allow_list_and_downgrade() {
    let mut h = host();
    let bob = logon(&mut h, "bob", "b-pass", 1);
    let alice = logon(&mut h, "alice", "a-pass", 2);
    let ns = service(&mut h, BuiltinIdentity::NetworkService);

    // A standard user server without SeImpersonatePrivilege: downgraded.
    let out = h.apply(&Op::ImpersonateNamedPipeClient {
        thread: alice,
        client: bob,
        client_allows: ImpersonationLevel::Impersonation,
    });
    assert!(out.result.is_ok(), "the call succeeds");
    assert!(out
        .rules
        .contains(&simos::rules::ids::IMPERSONATE_DOWNGRADE));
    assert_eq!(
        h.effective_token(alice).unwrap().impersonation_level(),
        Some(ImpersonationLevel::Identification)
    );
    assert_eq!(
        h.effective_token(alice).unwrap().user.sid,
        user_sid(&h, "bob")
    );
    let defined = h.apply(&Op::Object(simos::objects::ObjectOp::Define {
        machine: "WS1".into(),
        path: "C:\\Public\\open.txt".into(),
        kind: simos::objects::ObjectKind::File,
        sddl: "O:BAG:SYD:(A;;FA;;;WD)".into(),
    }));
    assert!(defined.result.is_ok());
    let open = h.apply(&Op::Object(simos::objects::ObjectOp::Open {
        thread: alice,
        path: "C:\\Public\\open.txt".into(),
        desired: winsec::AccessMask::GENERIC_READ,
        backup_intent: false,
    }));
    assert_eq!(open.result.error(), Some(Win32Error::BadImpersonationLevel));

    // A service (NETWORK SERVICE holds SeImpersonatePrivilege): full level.
    h.apply(&Op::ImpersonateNamedPipeClient {
        thread: ns,
        client: bob,
        client_allows: ImpersonationLevel::Impersonation,
    });
    assert_eq!(
        h.effective_token(ns).unwrap().impersonation_level(),
        Some(ImpersonationLevel::Impersonation)
    );

    // The client caps the level.
    h.apply(&Op::ImpersonateNamedPipeClient {
        thread: ns,
        client: bob,
        client_allows: ImpersonationLevel::Identification,
    });
    assert_eq!(
        h.effective_token(ns).unwrap().impersonation_level(),
        Some(ImpersonationLevel::Identification)
    );

    // Same identity: alice impersonating a token of her own is allowed.
    let own = logon_user(&mut h, alice, "alice", "a-pass", LogonType::Network).unwrap();
    h.apply(&Op::RevertToSelf { thread: alice });
    h.apply(&Op::ImpersonateLoggedOnUser {
        thread: alice,
        token: own,
    });
    assert_eq!(
        h.effective_token(alice).unwrap().impersonation_level(),
        Some(ImpersonationLevel::Impersonation)
    );

    // Explicit credentials from a process in the caller's logon session: allowed.
    let bobs = logon_user(&mut h, alice, "bob", "b-pass", LogonType::Interactive).unwrap();
    h.apply(&Op::ImpersonateLoggedOnUser {
        thread: alice,
        token: bobs,
    });
    let t = h.effective_token(alice).unwrap();
    assert_eq!(
        (t.user.sid.clone(), t.impersonation_level()),
        (user_sid(&h, "bob"), Some(ImpersonationLevel::Impersonation))
    );
}

/// An anonymous client token cannot be opened.
#[test]
fn anonymous_client_token_cannot_be_opened() {
    let mut h = host();
    let bob = logon(&mut h, "bob", "b-pass", 1);
    let ns = service(&mut h, BuiltinIdentity::NetworkService);
    h.apply(&Op::ImpersonateNamedPipeClient {
        thread: ns,
        client: bob,
        client_allows: ImpersonationLevel::Anonymous,
    });
    assert_eq!(
        h.apply(&Op::OpenThreadToken { thread: ns }).result.error(),
        Some(Win32Error::CantOpenAnonymous)
    );
}

/// CreateProcess ignores impersonation.
#[test]
fn create_process_uses_the_primary_token() {
    let mut h = host();
    let bob = logon(&mut h, "bob", "b-pass", 1);
    let ns = service(&mut h, BuiltinIdentity::NetworkService);
    h.apply(&Op::ImpersonateNamedPipeClient {
        thread: ns,
        client: bob,
        client_allows: ImpersonationLevel::Impersonation,
    });
    let out = h.apply(&Op::CreateProcess {
        thread: ns,
        image: "child.exe".into(),
    });
    let Some(Value::Process { thread, .. }) = out.result.value() else {
        panic!("{out:?}")
    };
    assert_eq!(
        h.effective_token(*thread).unwrap().user.sid,
        sids::network_service()
    );
}

/// TCB is checked on the primary token, so impersonating
/// SYSTEM does not make an S4U logon impersonation-level.
#[test]
fn tcb_is_checked_on_the_process_token() {
    let mut h = host_with_domain();
    let sys = service_on(&mut h, "WEB1", BuiltinIdentity::LocalSystem);
    let ns = service_on(&mut h, "WEB1", BuiltinIdentity::NetworkService);
    // NETWORK SERVICE impersonates a SYSTEM thread (it holds SeImpersonatePrivilege).
    h.apply(&Op::ImpersonateNamedPipeClient {
        thread: ns,
        client: sys,
        client_allows: ImpersonationLevel::Impersonation,
    });
    assert_eq!(
        h.effective_token(ns).unwrap().user.sid,
        sids::local_system()
    );
    let out = h.apply(&Op::S4uLogon {
        thread: ns,
        upn: "bob@corp.example".into(),
    });
    let t = token(&h, out.result.token().unwrap());
    assert_eq!(
        t.impersonation_level(),
        Some(ImpersonationLevel::Identification)
    );
    assert!(out.rules.contains(&simos::rules::ids::TCB_PRIMARY));
    // SYSTEM itself holds TCB and SeImpersonate: Impersonation level.
    let out = h.apply(&Op::S4uLogon {
        thread: sys,
        upn: "bob@corp.example".into(),
    });
    let t = token(&h, out.result.token().unwrap());
    assert_eq!(
        t.impersonation_level(),
        Some(ImpersonationLevel::Impersonation)
    );
    assert!(t.is_member(&sids::network()));
    assert!(
        t.is_member(&Sid::new(18, &[2]).unwrap()),
        "SERVICE ASSERTED IDENTITY"
    );
    assert_eq!(
        h.logon_of(out.result.token().unwrap()).unwrap().credentials,
        NetworkCredentials::None
    );
}

fn host_with_domain() -> Host {
    let mut h = Host::new();
    let mut d = simos::Domain::new(
        "CORP",
        "corp.example",
        "S-1-5-21-900-901-902".parse().unwrap(),
    );
    d.add_account("bob", "b-pass", simos::PrincipalKind::User, &[]);
    h.domain = Some(d).into();
    let mut m = Machine::new("WEB1", "S-1-5-21-400-401-402".parse().unwrap());
    m.domain_joined = true;
    h.add_machine(m);
    h
}

fn service_on(h: &mut Host, machine: &str, who: BuiltinIdentity) -> ThreadId {
    let out = h.apply(&Op::StartService {
        machine: machine.into(),
        image: "svc.exe".into(),
        account: ServiceAccount::Builtin(who),
        flow_policy: Some(FlowPolicy::ASPNET_DEFAULT),
    });
    match out.result.value() {
        Some(Value::Process { thread, .. }) => *thread,
        other => panic!("service failed: {other:?}"),
    }
}

#[test]
fn s4u_needs_a_joined_machine_and_a_domain_user() {
    let mut h = host_with_domain();
    let sys = service_on(&mut h, "WEB1", BuiltinIdentity::LocalSystem);
    assert_eq!(
        h.apply(&Op::S4uLogon {
            thread: sys,
            upn: "nobody@corp.example".into()
        })
        .result
        .error(),
        Some(Win32Error::NoSuchUser)
    );
    h.machine_mut("WEB1").unwrap().domain_joined = false;
    assert_eq!(
        h.apply(&Op::S4uLogon {
            thread: sys,
            upn: "bob@corp.example".into()
        })
        .result
        .error(),
        Some(Win32Error::NoSuchDomain)
    );
}

#[test]
fn computer_accounts_are_domain_computers_not_domain_users() {
    let mut d = simos::Domain::new(
        "CORP",
        "corp.example",
        "S-1-5-21-900-901-902".parse().unwrap(),
    );
    let pc = d.add_account("WEB1$", "m-pass", simos::PrincipalKind::Computer, &[]);
    let user = d.add_account("bob", "b-pass", simos::PrincipalKind::User, &[]);
    let users: Sid = "S-1-5-21-900-901-902-513".parse().unwrap();
    let computers: Sid = "S-1-5-21-900-901-902-515".parse().unwrap();
    let pc = d.accounts.values().find(|a| a.sid == pc).unwrap();
    assert!(pc.groups.contains(&computers) && !pc.groups.contains(&users));
    let user = d.accounts.values().find(|a| a.sid == user).unwrap();
    assert!(user.groups.contains(&users) && !user.groups.contains(&computers));
}

#[test]
fn s4u_refuses_a_local_account() {
    let mut h = host_with_domain();
    h.machine_mut("WEB1")
        .unwrap()
        .add_user("kiosk", "k-pass", &[]);
    let sys = service_on(&mut h, "WEB1", BuiltinIdentity::LocalSystem);
    // The local account is found by LogonUser, never by the KDC.
    let out = h.apply(&Op::S4uLogon {
        thread: sys,
        upn: "kiosk".into(),
    });
    assert_eq!(out.result.error(), Some(Win32Error::NoSuchUser));
    assert!(out.rules.contains(&simos::rules::ids::S4U_DOMAIN));
}

#[test]
fn s4u_counts_a_held_but_disabled_tcb_privilege() {
    let mut h = host_with_domain();
    let svc_sid = {
        let mut d = h.domain.as_ref().unwrap().clone();
        let sid = d.add_account("svc-app", "s-pass", simos::PrincipalKind::Service, &[]);
        h.domain = Some(d).into();
        sid
    };
    let m = h.machine_mut("WEB1").unwrap();
    m.policy.grant(
        simos::policy::UserRight::Privilege(Privilege::Tcb),
        svc_sid.clone(),
    );
    m.policy.grant(
        simos::policy::UserRight::Privilege(Privilege::Impersonate),
        svc_sid.clone(),
    );
    m.policy.grant(
        simos::policy::UserRight::Logon(simos::policy::LogonRight::Service),
        svc_sid,
    );
    let out = h.apply(&Op::StartService {
        machine: "WEB1".into(),
        image: "app.exe".into(),
        account: ServiceAccount::Account {
            user: "svc-app".into(),
            domain: Some("CORP".into()),
            password: "s-pass".into(),
        },
        flow_policy: None,
    });
    let app = match out.result.value() {
        Some(Value::Process { thread, .. }) => *thread,
        other => panic!("service failed: {other:?} {:?}", out.result),
    };
    let primary = h.effective_token(app).unwrap().clone();
    assert!(primary.has_privilege(Privilege::Tcb));
    assert!(
        !primary.privilege_enabled(Privilege::Tcb),
        "a granted TCB is present but disabled in a logon token"
    );
    let out = h.apply(&Op::S4uLogon {
        thread: app,
        upn: "bob@corp.example".into(),
    });
    let t = token(&h, out.result.token().unwrap());
    assert_eq!(
        t.impersonation_level(),
        Some(ImpersonationLevel::Impersonation),
        "WindowsIdentity(upn) enables the held privilege"
    );
}

// ------------------------------------------------------- tokens and threads

/// The token type of a logon, and the DuplicateToken seed error ([DT]).
#[test]
fn network_token_needs_duplicate_token_ex_for_a_process() {
    let mut h = host();
    let sys = service(&mut h, BuiltinIdentity::LocalSystem);
    let net = logon_user(&mut h, sys, "bob", "b-pass", LogonType::Network).unwrap();
    let cpau = |h: &mut Host, token| {
        h.apply(&Op::CreateProcessAsUser {
            thread: sys,
            token,
            image: "x.exe".into(),
        })
        .result
        .error()
    };
    assert_eq!(cpau(&mut h, net), Some(Win32Error::BadTokenType));
    let dup = h
        .apply(&Op::DuplicateToken {
            thread: sys,
            token: net,
            level: ImpersonationLevel::Impersonation,
        })
        .result
        .token()
        .unwrap();
    assert_eq!(
        token(&h, dup).token_type,
        TokenType::Impersonation(ImpersonationLevel::Impersonation),
        "DuplicateToken never makes a primary token"
    );
    assert_eq!(cpau(&mut h, dup), Some(Win32Error::BadTokenType));
    let primary = h
        .apply(&Op::DuplicateTokenEx {
            thread: sys,
            token: net,
            level: ImpersonationLevel::Impersonation,
            primary: true,
        })
        .result
        .token()
        .unwrap();
    assert_eq!(cpau(&mut h, primary), None);
}

#[test]
fn duplication_never_raises_the_level() {
    let mut h = host();
    let sys = service(&mut h, BuiltinIdentity::LocalSystem);
    h.apply(&Op::ImpersonateSelf {
        thread: sys,
        level: ImpersonationLevel::Identification,
    });
    let ident = h
        .apply(&Op::OpenThreadToken { thread: sys })
        .result
        .token()
        .unwrap();
    let up = h.apply(&Op::DuplicateToken {
        thread: sys,
        token: ident,
        level: ImpersonationLevel::Impersonation,
    });
    assert_eq!(up.result.error(), Some(Win32Error::BadImpersonationLevel));
    let primary = h.apply(&Op::DuplicateTokenEx {
        thread: sys,
        token: ident,
        level: ImpersonationLevel::Identification,
        primary: true,
    });
    assert_eq!(
        primary.result.error(),
        Some(Win32Error::BadImpersonationLevel)
    );
    assert!(h
        .apply(&Op::DuplicateToken {
            thread: sys,
            token: ident,
            level: ImpersonationLevel::Anonymous
        })
        .result
        .is_ok());
}

/// CreateProcessAsUser with another user's primary token needs
/// SeAssignPrimaryTokenPrivilege in the caller's process token.
#[test]
fn create_process_as_user_needs_assign_primary_for_another_user() {
    let mut h = host();
    let alice = logon(&mut h, "alice", "a-pass", 1);
    let bobs = logon_user(&mut h, alice, "bob", "b-pass", LogonType::Interactive).unwrap();
    let out = h.apply(&Op::CreateProcessAsUser {
        thread: alice,
        token: bobs,
        image: "x.exe".into(),
    });
    assert_eq!(out.result.error(), Some(Win32Error::PrivilegeNotHeld));
    let ns = service(&mut h, BuiltinIdentity::NetworkService);
    let bobs = logon_user(&mut h, ns, "bob", "b-pass", LogonType::Interactive).unwrap();
    let out = h.apply(&Op::CreateProcessAsUser {
        thread: ns,
        token: bobs,
        image: "x.exe".into(),
    });
    assert!(
        out.result.is_ok(),
        "NETWORK SERVICE holds SeAssignPrimaryTokenPrivilege"
    );
}

/// RevertToSelf ends impersonation.
#[test]
fn revert_to_self_restores_the_process_identity() {
    let mut h = host();
    let bob = logon(&mut h, "bob", "b-pass", 1);
    let ns = service(&mut h, BuiltinIdentity::NetworkService);
    assert_eq!(
        h.apply(&Op::OpenThreadToken { thread: ns }).result.error(),
        Some(Win32Error::NoToken)
    );
    h.apply(&Op::ImpersonateNamedPipeClient {
        thread: ns,
        client: bob,
        client_allows: ImpersonationLevel::Impersonation,
    });
    assert!(h.apply(&Op::OpenThreadToken { thread: ns }).result.is_ok());
    h.apply(&Op::RevertToSelf { thread: ns });
    assert_eq!(
        h.effective_token(ns).unwrap().user.sid,
        sids::network_service()
    );
    assert_eq!(
        h.apply(&Op::OpenThreadToken { thread: ns }).result.error(),
        Some(Win32Error::NoToken)
    );
}

/// `WindowsIdentity.Impersonate(IntPtr.Zero)` reverts, `Undo()`
/// puts the previous thread token back (SetThreadToken with it).
#[test]
fn temporary_revert_and_undo() {
    let mut h = host();
    let bob = logon(&mut h, "bob", "b-pass", 1);
    let w3wp = service(&mut h, BuiltinIdentity::NetworkService);
    h.apply(&Op::ImpersonateNamedPipeClient {
        thread: w3wp,
        client: bob,
        client_allows: ImpersonationLevel::Impersonation,
    });
    let previous = h
        .apply(&Op::OpenThreadToken { thread: w3wp })
        .result
        .token()
        .unwrap();
    h.apply(&Op::RevertToSelf { thread: w3wp });
    assert_eq!(
        h.effective_token(w3wp).unwrap().user.sid,
        sids::network_service()
    );
    h.apply(&Op::SetThreadToken {
        thread: w3wp,
        token: Some(previous),
    });
    assert_eq!(
        h.effective_token(w3wp).unwrap().user.sid,
        user_sid(&h, "bob")
    );
    assert_eq!(
        h.effective_token(w3wp).unwrap().impersonation_level(),
        Some(ImpersonationLevel::Impersonation)
    );
}

/// A fixed identity made with LogonUser is what the
/// thread acts as, not the authenticated caller.
#[test]
fn fixed_identity_wins_locally() {
    let mut h = host();
    let bob = logon(&mut h, "bob", "b-pass", 1);
    let w3wp = service(&mut h, BuiltinIdentity::NetworkService);
    h.apply(&Op::ImpersonateNamedPipeClient {
        thread: w3wp,
        client: bob,
        client_allows: ImpersonationLevel::Impersonation,
    });
    let fixed = logon_user(&mut h, w3wp, "alice", "a-pass", LogonType::Interactive).unwrap();
    h.apply(&Op::ImpersonateLoggedOnUser {
        thread: w3wp,
        token: fixed,
    });
    assert_eq!(
        h.effective_token(w3wp).unwrap().user.sid,
        user_sid(&h, "alice")
    );
}

// ------------------------------------------------------------------ [IL] flow

fn managed_host(policy: FlowPolicy) -> (Host, ThreadId, ThreadId) {
    let mut h = host();
    let bob = logon(&mut h, "bob", "b-pass", 1);
    let out = h.apply(&Op::StartService {
        machine: "WS1".into(),
        image: "w3wp.exe".into(),
        account: ServiceAccount::Builtin(BuiltinIdentity::NetworkService),
        flow_policy: Some(policy),
    });
    let Some(Value::Process { thread, .. }) = out.result.value() else {
        panic!()
    };
    (h, *thread, bob)
}

fn flows(h: &mut Host, from: ThreadId, how: ThreadStart) -> Option<Sid> {
    let out = h.apply(&Op::CreateThread { thread: from, how });
    let Some(Value::Thread { thread }) = out.result.value() else {
        panic!("{out:?}")
    };
    let t = h.thread(*thread).unwrap();
    t.impersonation.map(|tok| token(h, tok).user.sid.clone())
}

/// [IL] rows.
#[test]
fn thread_token_flow_policies() {
    let bob_sid = |h: &Host| {
        h.machine("WS1")
            .unwrap()
            .account("bob")
            .unwrap()
            .sid
            .clone()
    };

    // ASP.NET default: legacy policy, nothing flows.
    let (mut h, w, bob) = managed_host(FlowPolicy::ASPNET_DEFAULT);
    let bob_token = h.effective_token_id(bob).unwrap();
    h.apply(&Op::ManagedImpersonate {
        thread: w,
        token: bob_token,
    });
    assert_eq!(flows(&mut h, w, ThreadStart::ManagedThread), None);

    // CLR default: managed impersonation flows; P/Invoke impersonation does not (check 25).
    let (mut h, w, bob) = managed_host(FlowPolicy::CLR_DEFAULT);
    let bob_token = h.effective_token_id(bob).unwrap();
    h.apply(&Op::ManagedImpersonate {
        thread: w,
        token: bob_token,
    });
    assert_eq!(
        flows(&mut h, w, ThreadStart::ManagedThread),
        Some(bob_sid(&h))
    );
    assert_eq!(
        flows(&mut h, w, ThreadStart::QueueUserWorkItem),
        Some(bob_sid(&h))
    );
    assert_eq!(flows(&mut h, w, ThreadStart::UnsafeQueueUserWorkItem), None);
    assert_eq!(flows(&mut h, w, ThreadStart::Native), None);
    assert_eq!(
        flows(&mut h, w, ThreadStart::StaComCall),
        None,
        "check 27: STA COM runs as the process"
    );
    h.apply(&Op::SuppressFlow {
        thread: w,
        suppress: true,
    });
    assert_eq!(
        flows(&mut h, w, ThreadStart::ManagedThread),
        None,
        "SuppressFlow"
    );
    h.apply(&Op::SuppressFlow {
        thread: w,
        suppress: false,
    });
    h.apply(&Op::RevertToSelf { thread: w });
    h.apply(&Op::ImpersonateLoggedOnUser {
        thread: w,
        token: bob_token,
    });
    assert_eq!(
        flows(&mut h, w, ThreadStart::ManagedThread),
        None,
        "P/Invoke impersonation is invisible to the CLR"
    );

    // alwaysFlowImpersonationPolicy (with legacy off): any thread token flows.
    let (mut h, w, bob) = managed_host(FlowPolicy {
        legacy_impersonation_policy: false,
        always_flow_impersonation_policy: true,
    });
    let bob_token = h.effective_token_id(bob).unwrap();
    h.apply(&Op::ImpersonateLoggedOnUser {
        thread: w,
        token: bob_token,
    });
    assert_eq!(
        flows(&mut h, w, ThreadStart::ManagedThread),
        Some(bob_sid(&h))
    );
    assert_eq!(flows(&mut h, w, ThreadStart::Native), None);
}

#[test]
fn logoff_ends_the_session_and_its_processes() {
    let mut h = host();
    let alice = logon(&mut h, "alice", "a-pass", 1);
    let logon_id = h.logon_of(h.effective_token_id(alice).unwrap()).unwrap().id;
    let out = h.apply(&Op::EndTerminalSession {
        machine: "WS1".into(),
        session: 1,
    });
    assert!(out.result.is_ok());
    assert!(!h.logons[&logon_id].active);
    assert!(!h.process_of(alice).unwrap().alive);
    assert_eq!(
        h.apply(&Op::Logoff { logon: logon_id }).result.error(),
        Some(Win32Error::InvalidParameter)
    );
}

/// Seed 000 ¶5, `SES-TS-OWNER-LOGOFF`: the session's user logging off
/// ends the terminal-services session, as ending it does, once no other
/// Winlogon logon is left in it; a `LogonUser` session ending never does.
#[test]
fn the_last_winlogon_logoff_ends_its_terminal_session() {
    let mut h = host();
    let alice = logon(&mut h, "alice", "a-pass", 1);
    let bob = logon(&mut h, "bob", "b-pass", 1);
    let admin = logon(&mut h, "admin", "adm-pass", 2);
    let logon_of = |h: &Host, t: ThreadId| h.logon_of(h.effective_token_id(t).unwrap()).unwrap().id;
    let (alice_logon, bob_logon) = (logon_of(&h, alice), logon_of(&h, bob));
    // A LogonUser session made from bob's shell lives in session 1 too.
    let runas = logon_user(&mut h, bob, "alice", "a-pass", LogonType::Interactive).unwrap();
    let runas_logon = h.token(runas).unwrap().logon;
    assert_eq!(h.logons[&runas_logon].ts_session, 1);
    let ts1 = ("WS1".to_string(), 1);

    // Ending the LogonUser session leaves the terminal session alone.
    let extra = logon_user(&mut h, admin, "bob", "b-pass", LogonType::Interactive).unwrap();
    let out = h.apply(&Op::Logoff {
        logon: h.token(extra).unwrap().logon,
    });
    assert!(out.result.is_ok());
    assert!(!out.rules.contains(&simos::rules::ids::TS_OWNER_LOGOFF));
    assert!(h.terminal_sessions[&("WS1".to_string(), 2)].active);

    // alice leaves; bob is still at session 1.
    let out = h.apply(&Op::Logoff { logon: alice_logon });
    assert!(out.result.is_ok());
    assert!(h.terminal_sessions[&ts1].active);
    assert!(!out
        .events
        .iter()
        .any(|e| matches!(e, simos::Event::TerminalSessionEnded { .. })));
    assert!(h.logons[&runas_logon].active);

    // bob, the last Winlogon user, leaves: session 1 ends, and the
    // LogonUser session in it ends with it, after bob's own logoff.
    let out = h.apply(&Op::Logoff { logon: bob_logon });
    assert!(out.result.is_ok());
    assert!(out.rules.contains(&simos::rules::ids::TS_OWNER_LOGOFF));
    assert!(out.rules.contains(&simos::rules::ids::TS_SESSION_END));
    assert!(!h.terminal_sessions[&ts1].active);
    let order: Vec<String> = out
        .events
        .iter()
        .filter_map(|e| match e {
            simos::Event::Logoff { logon, .. } => Some(format!("logoff {}", logon.0)),
            simos::Event::TerminalSessionEnded { session } => Some(format!("end {session}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        order,
        [
            format!("logoff {}", bob_logon.0),
            "end 1".to_string(),
            format!("logoff {}", runas_logon.0)
        ]
    );
    assert!(!h.logons[&runas_logon].active);
    assert!(!h.process_of(bob).unwrap().alive);
    // Session 2 is untouched.
    assert!(h.terminal_sessions[&("WS1".to_string(), 2)].active);
    assert!(h.process_of(admin).unwrap().alive);
}

#[test]
fn every_rule_cited_exists() {
    let mut h = host();
    let bob = logon(&mut h, "bob", "b-pass", 1);
    let alice = logon(&mut h, "alice", "a-pass", 2);
    let out = h.apply(&Op::ImpersonateNamedPipeClient {
        thread: alice,
        client: bob,
        client_allows: ImpersonationLevel::Impersonation,
    });
    for id in out.rules {
        assert!(simos::rules::rule(id).is_some(), "unknown rule {id}");
    }
}

/// LogonUser needs TCB on Windows 2000 only; the check is on
/// the process token (an impersonated SYSTEM does not help, check 17).
#[test]
fn logon_user_tcb_is_release_dependent() {
    let mut h = host();
    let alice = logon(&mut h, "alice", "a-pass", 1);
    let sys = service(&mut h, BuiltinIdentity::LocalSystem);
    assert!(
        logon_user(&mut h, alice, "bob", "b-pass", LogonType::Interactive).is_ok(),
        "XP/2003+"
    );
    h.rules.logon_user_requires_tcb = true;
    assert_eq!(
        logon_user(&mut h, alice, "bob", "b-pass", LogonType::Interactive),
        Err(Win32Error::PrivilegeNotHeld)
    );
    assert!(
        logon_user(&mut h, sys, "bob", "b-pass", LogonType::Interactive).is_ok(),
        "SYSTEM holds TCB"
    );
    let ns = service(&mut h, BuiltinIdentity::NetworkService);
    h.apply(&Op::ImpersonateNamedPipeClient {
        thread: ns,
        client: sys,
        client_allows: ImpersonationLevel::Impersonation,
    });
    assert_eq!(
        logon_user(&mut h, ns, "bob", "b-pass", LogonType::Interactive),
        Err(Win32Error::PrivilegeNotHeld),
        "impersonating SYSTEM does not grant TCB"
    );
}

// ---------------------------------------------------------------- [COM-IL], [COM-CLK] COM cloaking

/// [COM-IL], [COM-CLK]: without cloaking a COM server sees the client's process
/// token even while the client thread impersonates; with static or dynamic
/// cloaking it sees the thread's token.
#[test]
fn com_cloaking_decides_which_token_the_server_sees() {
    let mut h = host();
    let alice = logon(&mut h, "alice", "a-pass", 1);
    let bob_token = logon_user(&mut h, alice, "bob", "b-pass", LogonType::Interactive).unwrap();
    let out = h.apply(&Op::ImpersonateLoggedOnUser {
        thread: alice,
        token: bob_token,
    });
    assert!(out.result.is_ok());
    let server = service(&mut h, BuiltinIdentity::LocalSystem);
    for (cloaking, seen, rule) in [
        (
            simos::Cloaking::None,
            "alice",
            simos::rules::ids::COM_NO_CLOAKING,
        ),
        (
            simos::Cloaking::Static,
            "bob",
            simos::rules::ids::COM_CLOAKING,
        ),
        (
            simos::Cloaking::Dynamic,
            "bob",
            simos::rules::ids::COM_CLOAKING,
        ),
    ] {
        let out = h.apply(&Op::ComCall {
            thread: server,
            client: alice,
            client_level: ImpersonationLevel::Impersonation,
            cloaking,
        });
        assert!(out.rules.contains(&rule), "{cloaking:?}: {:?}", out.rules);
        assert_eq!(
            h.effective_token(server).unwrap().user.sid,
            user_sid(&h, seen),
            "{cloaking:?}"
        );
        h.apply(&Op::RevertToSelf { thread: server });
    }
}
