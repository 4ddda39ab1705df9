//! The network hop ([WCF-DI]): what a remote share,
//! web server, SQL server or proxy sees when a thread reaches it, and the
//! the checks that cross the network, plus unconstrained delegation and Protected
//! Users. Everything is driven through `Host::apply`.
//!
//! IIS is modelled by its pieces: an HTTP [`Server`] on the web machine
//! (whose far-side token is what IIS hands ASP.NET), an app-pool process
//! started with `Op::StartService`, and `ImpersonateLoggedOnUser` with the
//! far-side token for `<identity impersonate="true"/>`. Where a check needs
//! an IIS logon (Basic, the anonymous user), the equivalent `LogonUser`
//! call is used and the test says so.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::collections::BTreeSet;

use simos::accounts::DomainAccount;
use simos::network::{
    rules as net_rules, AuthScheme, Failure, KerberosError, Mechanism, NetworkOp, NtStatus, Server,
    ServerKind,
};
use simos::{BuiltinIdentity, Host, LogonType, NetworkCredentials, Op, ThreadId};
use winsec::well_known::sids;
use winsec::{AccessMask, GenericMapping, ImpersonationLevel, Sid, Win32Error};

mod support;
use support::*;

const FILE_READ: AccessMask = AccessMask(0x0012_0089);

fn account_mut<'h>(h: &'h mut Host, name: &str) -> &'h mut DomainAccount {
    h.domain.as_mut().unwrap().account_mut(name).unwrap()
}

fn access_error(h: &mut Host, thread: ThreadId, server: &str) -> Option<Win32Error> {
    h.apply(&Op::Network(NetworkOp::Access {
        thread,
        server: server.into(),
        desired: AccessMask::GENERIC_READ,
    }))
    .result
    .error()
}

/// A local access check as the thread's effective token (the object layer
/// is not needed to show who the thread is locally).
fn local_read(h: &Host, thread: ThreadId, sddl: &str) -> bool {
    let sd = winsec::sddl::parse(sddl, &h.domain_context("WEB")).unwrap();
    let mut token = h.effective_token(thread).unwrap().clone();
    token.token_type = winsec::TokenType::Impersonation(ImpersonationLevel::Impersonation);
    winsec::access_check(&sd, &token, FILE_READ, &GenericMapping::FILE).is_granted()
}

// ---------------------------------------------------------------- basics

#[test]
fn a_domain_user_with_a_password_reaches_the_share_by_kerberos() {
    let mut h = corp();
    let bob = console(&mut h, "WS01", "bob");
    let (r, rules) = reach(&mut h, bob, "share");
    assert_granted_as(&r, "CORP\\bob", Mechanism::Credentials);
    assert_eq!(r.scheme, Some(AuthScheme::Kerberos));
    assert_eq!(r.identity.as_ref().unwrap().sid, sid_of(&h, "bob"));
    assert_eq!(r.granted, FILE_READ);
    assert!(r.access_check.as_ref().unwrap().is_granted());
    assert_eq!(r.http_status, None);
    // The far side is an ordinary Network logon on FS, with no credentials.
    let logon = &h.logons[&r.remote_logon.unwrap()];
    assert_eq!(logon.machine, "FS");
    assert_eq!(logon.logon_type, LogonType::Network);
    assert_eq!(logon.credentials, NetworkCredentials::None);
    let token = &h.tokens[&r.remote_token.unwrap()].token;
    assert!(token.is_member(&sids::network()));
    assert_eq!(
        token.impersonation_level(),
        Some(ImpersonationLevel::Impersonation)
    );
    for id in [
        net_rules::ids::CREDENTIALS,
        net_rules::ids::SCHEME,
        net_rules::ids::ONE_HOP,
        net_rules::ids::LOGON_RIGHT,
        net_rules::ids::SERVER_ACL,
    ] {
        assert!(rules.contains(&id), "{id} missing from {rules:?}");
    }
    // The access is in the event log, as bob.
    assert!(h.log.iter().any(|e| matches!(
        e,
        simos::Event::Access { user, granted: true, .. } if *user == sid_of(&h, "bob")
    )));
}

#[test]
fn the_resource_acl_decides_for_an_authenticated_user() {
    let mut h = corp();
    let alice_sid = sid_of(&h, "alice");
    define(
        &mut h,
        "share",
        server(
            ServerKind::SmbShare,
            "FS",
            SHARE_SPN,
            &[AuthScheme::Negotiate],
            &only(&alice_sid),
        ),
    );
    let bob = console(&mut h, "WS01", "bob");
    let r = access(&mut h, bob, "share");
    assert_eq!(seen(&r), "CORP\\bob");
    assert_eq!(
        r.reason(),
        Some(Failure::Win32 {
            error: Win32Error::AccessDenied
        })
    );
    assert_eq!(r.granted, AccessMask::NONE);
}

#[test]
fn identification_level_tokens_cannot_go_outbound() {
    // An app pool without SeTcbPrivilege gets an Identification-level S4U
    // token; using it for a network call fails before anything is sent.
    let mut h = corp();
    let pool = svc_web_pool(&mut h);
    let token = s4u(&mut h, pool, "bob@corp.example");
    assert_eq!(
        h.tokens[&token].token.impersonation_level(),
        Some(ImpersonationLevel::Identification)
    );
    impersonate(&mut h, pool, token);
    let out = h.apply(&Op::Network(NetworkOp::Access {
        thread: pool,
        server: "share".into(),
        desired: AccessMask::GENERIC_READ,
    }));
    assert_eq!(out.result.error(), Some(Win32Error::BadImpersonationLevel));
    assert_eq!(out.rules, vec![net_rules::ids::LEVEL]);
}

#[test]
fn the_machine_account_is_the_network_identity_of_network_service() {
    let mut h = corp();
    let web_sid = sid_of(&h, "WEB$");
    define(
        &mut h,
        "share",
        server(
            ServerKind::SmbShare,
            "FS",
            SHARE_SPN,
            &[AuthScheme::Negotiate],
            &only(&web_sid),
        ),
    );
    let pool = builtin_service(&mut h, "WEB", BuiltinIdentity::NetworkService);
    assert_granted_as(
        &access(&mut h, pool, "share"),
        "CORP\\WEB$",
        Mechanism::MachineAccount,
    );
    let system = builtin_service(&mut h, "WEB", BuiltinIdentity::LocalSystem);
    assert_granted_as(
        &access(&mut h, system, "share"),
        "CORP\\WEB$",
        Mechanism::MachineAccount,
    );
    // LOCAL SERVICE presents nothing.
    let local = builtin_service(&mut h, "WEB", BuiltinIdentity::LocalService);
    assert_anonymous_denied(&access(&mut h, local, "share"));
}

#[test]
fn network_service_on_a_workgroup_machine_is_anonymous() {
    let mut h = corp();
    define(
        &mut h,
        "open",
        server(
            ServerKind::SmbShare,
            "FS",
            SHARE_SPN,
            &[AuthScheme::Negotiate],
            "D:(A;;FR;;;AN)",
        ),
    );
    let svc = builtin_service(&mut h, "WG01", BuiltinIdentity::NetworkService);
    let (r, rules) = reach(&mut h, svc, "open");
    // Anonymous is granted here, because the ACL names ANONYMOUS LOGON.
    assert!(r.is_granted());
    assert_eq!(seen(&r), "NT AUTHORITY\\ANONYMOUS LOGON");
    assert!(rules.contains(&net_rules::ids::MACHINE_ACCOUNT));
    assert!(rules.contains(&net_rules::ids::ANONYMOUS));
    // The anonymous token holds only S-1-5-7: Everyone does not match it.
    let token = &h.tokens[&r.remote_token.unwrap()].token;
    assert!(token.groups.is_empty());
    assert!(!access(&mut h, svc, "share").is_granted());
}

// ----------------------------------------------------------------

/// A NETWORK logon stops at the machine boundary. (Check 2's
/// setup, a process of alice calling LogonUser for bob, is kept; with an
/// INTERACTIVE logon the same call reaches the share as bob.)
#[test]
fn check_03_network_logon_stops_at_the_machine_boundary() {
    let mut h = corp();
    let bob_sid = sid_of(&h, "bob");
    let alice = console(&mut h, "WEB", "alice");

    let interactive = logon_user(
        &mut h,
        alice,
        "bob",
        Some("CORP"),
        "bob-pw",
        LogonType::Interactive,
    );
    impersonate(&mut h, alice, interactive);
    assert_granted_as(
        &access(&mut h, alice, "share"),
        "CORP\\bob",
        Mechanism::Credentials,
    );

    let network = logon_user(
        &mut h,
        alice,
        "bob",
        Some("CORP"),
        "bob-pw",
        LogonType::Network,
    );
    impersonate(&mut h, alice, network);
    // Locally the thread is bob: a file ACL'd to bob opens.
    assert!(local_read(&h, alice, &only(&bob_sid)));
    // Remotely there is nothing to present for bob.
    let r = access(&mut h, alice, "share");
    assert_anonymous_denied(&r);
    assert_ne!(r.identity.as_ref().unwrap().sid, bob_sid);
}

// ----------------------------------------------------------------

/// NEW_CREDENTIALS keeps the local identity and goes outbound as
/// the new account.
#[test]
fn check_05_new_credentials_split_local_and_remote_identity() {
    let mut h = corp();
    let alice_sid = sid_of(&h, "alice");
    let bob_sid = sid_of(&h, "bob");
    define(
        &mut h,
        "share",
        server(
            ServerKind::SmbShare,
            "FS",
            SHARE_SPN,
            &[AuthScheme::Negotiate],
            &only(&bob_sid),
        ),
    );
    let alice = console(&mut h, "WEB", "alice");
    // As herself alice is refused by the bob-only share.
    let r = access(&mut h, alice, "share");
    assert_eq!(seen(&r), "CORP\\alice");
    assert!(!r.is_granted());

    let token = logon_user(
        &mut h,
        alice,
        "bob",
        Some("CORP"),
        "bob-pw",
        LogonType::NewCredentials,
    );
    impersonate(&mut h, alice, token);
    // Local checks still see alice.
    assert_eq!(h.effective_token(alice).unwrap().user.sid, alice_sid);
    assert!(local_read(&h, alice, &only(&alice_sid)));
    assert!(!local_read(&h, alice, &only(&bob_sid)));
    // Outbound is bob.
    let (r, rules) = reach(&mut h, alice, "share");
    assert_granted_as(&r, "CORP\\bob", Mechanism::NewCredentials);
    assert!(rules.contains(&net_rules::ids::NEW_CREDENTIALS));
}

#[test]
fn new_credentials_naming_a_local_account_of_the_server() {
    // `net use \\fs /user:FS\backup`: a local account of the server itself.
    let mut h = corp();
    let backup_sid = h
        .machine_mut("FS")
        .unwrap()
        .add_user("backup", "bk-pw", &[]);
    define(
        &mut h,
        "share",
        server(
            ServerKind::SmbShare,
            "FS",
            SHARE_SPN,
            &[AuthScheme::Negotiate],
            &only(&backup_sid),
        ),
    );
    let alice = console(&mut h, "WEB", "alice");
    let token = logon_user(
        &mut h,
        alice,
        "backup",
        Some("FS"),
        "bk-pw",
        LogonType::NewCredentials,
    );
    impersonate(&mut h, alice, token);
    let r = access(&mut h, alice, "share");
    assert_granted_as(&r, "FS\\backup", Mechanism::NewCredentials);
    assert_eq!(r.scheme, Some(AuthScheme::Ntlm));
    // An account that exists nowhere fails at the server.
    let ghost = logon_user(
        &mut h,
        alice,
        "ghost",
        Some("CORP"),
        "x",
        LogonType::NewCredentials,
    );
    impersonate(&mut h, alice, ghost);
    let r = access(&mut h, alice, "share");
    assert_eq!(
        r.reason(),
        Some(Failure::Win32 {
            error: Win32Error::LogonFailure
        })
    );
    assert!(r.identity.is_none());
}

// ----------------------------------------------------------------

/// S4U with TCB gives an Impersonation-level token; local access
/// as bob works, the network does not without constrained delegation with
/// protocol transition.
#[test]
fn check_29_s4u_with_tcb_is_local_only_without_kcd() {
    let mut h = corp();
    let bob_sid = sid_of(&h, "bob");
    let app = builtin_service(&mut h, "WEB", BuiltinIdentity::LocalSystem);
    let token = s4u(&mut h, app, "bob@corp.example");
    assert_eq!(
        h.tokens[&token].token.impersonation_level(),
        Some(ImpersonationLevel::Impersonation)
    );
    impersonate(&mut h, app, token);
    assert!(local_read(&h, app, &only(&bob_sid)));
    let (r, rules) = reach(&mut h, app, "share");
    assert_anonymous_denied(&r);
    // WEB$ has no msDS-AllowedToDelegateTo: the KDC says STATUS_NOT_SUPPORTED.
    assert_eq!(r.kerberos, badoption(NtStatus::NotSupported));
    assert!(rules.contains(&net_rules::ids::KDC_FALLBACK));

    // With KCD and protocol transition (scenario 34's setup) bob gets through.
    let web = account_mut(&mut h, "WEB$");
    web.delegation
        .allowed_to_delegate_to
        .insert(SHARE_SPN.into());
    web.delegation.trusted_to_auth_for_delegation = true;
    let r = access(&mut h, app, "share");
    assert_granted_as(&r, "CORP\\bob", Mechanism::Constrained);
    assert_eq!(r.kerberos, None);
}

// ----------------------------------------------------------------

/// IWA over NTLM is a double-hop failure. IIS (an HTTP server that
/// offers only NTLM) hands the app pool bob's NTLM network token; the page
/// impersonates it.
#[test]
fn check_31_ntlm_double_hop_is_anonymous() {
    let mut h = corp();
    let bob_sid = sid_of(&h, "bob");
    define(
        &mut h,
        "web",
        server(
            ServerKind::Http,
            "WEB",
            WEB_SPN,
            &[AuthScheme::Ntlm],
            "D:(A;;GA;;;DU)",
        ),
    );
    let pool = builtin_service(&mut h, "WEB", BuiltinIdentity::NetworkService);
    let (first, token) = bob_browses(&mut h);
    assert_eq!(first.scheme, Some(AuthScheme::Ntlm));
    assert_eq!(first.http_status, Some(200));
    assert_eq!(first.remote_credentials, Some(NetworkCredentials::None));
    impersonate(&mut h, pool, token);
    // The local file ACL'd to bob opens.
    assert!(local_read(&h, pool, &only(&bob_sid)));
    // The share and the SQL server see ANONYMOUS LOGON.
    let (share, rules) = reach(&mut h, pool, "share");
    assert_anonymous_denied(&share);
    assert_eq!(share.kerberos, None);
    assert_eq!(
        share.reason(),
        Some(Failure::Win32 {
            error: Win32Error::AccessDenied
        })
    );
    assert!(rules.contains(&net_rules::ids::NTLM_NO_DELEGATION));
    assert_anonymous_denied(&access(&mut h, pool, "sql"));
}

// ---------------------------------------------------------------- unconstrained

/// Unconstrained delegation: the app pool's account is TRUSTED_FOR_DELEGATION,
/// bob arrives by Kerberos, his TGT is forwarded, and the page reaches the
/// share as bob.
#[test]
fn unconstrained_delegation_forwards_the_tgt() {
    let mut h = corp();
    account_mut(&mut h, "svc-web")
        .delegation
        .trusted_for_delegation = true;
    let pool = svc_web_pool(&mut h);
    let (first, token) = bob_browses(&mut h);
    assert_eq!(first.scheme, Some(AuthScheme::Kerberos));
    assert_eq!(
        first.remote_credentials,
        Some(NetworkCredentials::ForwardedTgt)
    );
    impersonate(&mut h, pool, token);
    let (r, rules) = reach(&mut h, pool, "share");
    assert_granted_as(&r, "CORP\\bob", Mechanism::Unconstrained);
    assert!(rules.contains(&net_rules::ids::UNCONSTRAINED));
    // The TGT goes to any service: the SQL server too.
    assert_granted_as(
        &access(&mut h, pool, "sql"),
        "CORP\\bob",
        Mechanism::Unconstrained,
    );
    // FS is not trusted for delegation: its session has no credentials.
    assert_eq!(r.remote_credentials, Some(NetworkCredentials::None));
}

/// The same, with the IIS Kerberos logon modelled by `LogonUser(NETWORK)` in
/// the trusted app pool, and with NETWORK SERVICE on a trusted computer.
#[test]
fn unconstrained_delegation_from_a_kerberos_network_logon() {
    let mut h = corp();
    account_mut(&mut h, "svc-web")
        .delegation
        .trusted_for_delegation = true;
    let pool = svc_web_pool(&mut h);
    let token = logon_user(
        &mut h,
        pool,
        "bob",
        Some("CORP"),
        "bob-pw",
        LogonType::Network,
    );
    impersonate(&mut h, pool, token);
    assert_granted_as(
        &access(&mut h, pool, "share"),
        "CORP\\bob",
        Mechanism::Unconstrained,
    );

    account_mut(&mut h, "WEB$")
        .delegation
        .trusted_for_delegation = true;
    let ns = builtin_service(&mut h, "WEB", BuiltinIdentity::NetworkService);
    let token = logon_user(
        &mut h,
        ns,
        "bob",
        Some("CORP"),
        "bob-pw",
        LogonType::Network,
    );
    impersonate(&mut h, ns, token);
    assert_granted_as(
        &access(&mut h, ns, "share"),
        "CORP\\bob",
        Mechanism::Unconstrained,
    );
}

// ----------------------------------------------------------------

/// A sensitive user blocks delegation; local impersonation still works.
#[test]
fn check_33_sensitive_user_blocks_delegation() {
    let mut h = corp();
    let bob_sid = sid_of(&h, "bob");
    account_mut(&mut h, "svc-web")
        .delegation
        .trusted_for_delegation = true;
    account_mut(&mut h, "bob").delegation.not_delegated = true;
    let pool = svc_web_pool(&mut h);
    let (first, token) = bob_browses(&mut h);
    // No TGT was forwarded into IIS's session.
    assert_eq!(first.remote_credentials, Some(NetworkCredentials::None));
    impersonate(&mut h, pool, token);
    assert!(local_read(&h, pool, &only(&bob_sid)));
    let (r, rules) = reach(&mut h, pool, "share");
    assert_anonymous_denied(&r);
    assert!(rules.contains(&net_rules::ids::SENSITIVE));
}

#[test]
fn protected_users_block_delegation_and_ntlm() {
    let mut h = corp();
    account_mut(&mut h, "svc-web")
        .delegation
        .trusted_for_delegation = true;
    let pu = h.domain.as_ref().unwrap().groups["protected users"].clone();
    account_mut(&mut h, "bob").groups.insert(pu);
    let pool = svc_web_pool(&mut h);
    let (first, token) = bob_browses(&mut h);
    assert_eq!(first.remote_credentials, Some(NetworkCredentials::None));
    impersonate(&mut h, pool, token);
    assert_anonymous_denied(&access(&mut h, pool, "share"));

    // Constrained delegation is refused too: the evidence is not forwardable.
    let svc = account_mut(&mut h, "svc-web");
    svc.delegation.trusted_for_delegation = false;
    svc.delegation
        .allowed_to_delegate_to
        .insert(SHARE_SPN.into());
    let r = access(&mut h, pool, "share");
    assert_anonymous_denied(&r);
    assert_eq!(r.kerberos, badoption(NtStatus::NoMatch));

    // Protected Users cannot use NTLM at all.
    define(
        &mut h,
        "legacy",
        server(
            ServerKind::SmbShare,
            "FS",
            SHARE_SPN,
            &[AuthScheme::Ntlm],
            "D:(A;;FA;;;DU)",
        ),
    );
    let bob = console(&mut h, "WS01", "bob");
    let (r, rules) = reach(&mut h, bob, "legacy");
    assert_eq!(
        r.reason(),
        Some(Failure::Win32 {
            error: Win32Error::LogonFailure
        })
    );
    assert!(rules.contains(&net_rules::ids::PROTECTED_NO_NTLM));
    // Below functional level 2012 R2 the group has no effect.
    h.domain.as_mut().unwrap().level_2012r2 = false;
    assert!(access(&mut h, bob, "legacy").is_granted());
}

// ----------------------------------------------------------------

/// KCD to the listed SPN only ("Kerberos only": no protocol transition).
#[test]
fn check_35_kcd_allows_only_the_listed_spn() {
    let mut h = corp();
    account_mut(&mut h, "svc-web")
        .delegation
        .allowed_to_delegate_to
        .insert(SQL_SPN.into());
    let pool = svc_web_pool(&mut h);
    let (_, token) = bob_browses(&mut h);
    impersonate(&mut h, pool, token);
    let (sql, rules) = reach(&mut h, pool, "sql");
    assert_granted_as(&sql, "CORP\\bob", Mechanism::Constrained);
    assert!(rules.contains(&net_rules::ids::CONSTRAINED));
    // The S4U2proxy ticket carries bob's normal identity (no protocol transition).
    let token = &h.tokens[&sql.remote_token.unwrap()].token;
    assert!(token.is_member(&Sid::new(18, &[1]).unwrap()));

    let share = access(&mut h, pool, "share");
    assert_anonymous_denied(&share);
    assert_eq!(share.kerberos, badoption(NtStatus::NoMatch));
    assert_eq!(
        share.reason(),
        Some(Failure::Kerberos {
            error: KerberosError::BadOption,
            status: NtStatus::NoMatch
        })
    );
    assert_eq!(NtStatus::NoMatch.name(), "STATUS_NO_MATCH");
    assert_eq!(KerberosError::BadOption.name(), "KRB-ERR-BADOPTION");
}

// ----------------------------------------------------------------

/// Protocol transition (a Forms-auth app using
/// `WindowsIdentity(upn)` in a LocalSystem process, so with TCB) needs
/// TRUSTED_TO_AUTH_FOR_DELEGATION for classic KCD.
#[test]
fn check_37_protocol_transition_needs_t2a4d() {
    let mut h = corp();
    account_mut(&mut h, "WEB$")
        .delegation
        .allowed_to_delegate_to
        .insert(SHARE_SPN.into());
    let app = builtin_service(&mut h, "WEB", BuiltinIdentity::LocalSystem);
    let token = s4u(&mut h, app, "bob@corp.example");
    impersonate(&mut h, app, token);
    let (r, rules) = reach(&mut h, app, "share");
    assert_anonymous_denied(&r);
    assert_eq!(r.kerberos, badoption(NtStatus::NoMatch));
    assert!(rules.contains(&net_rules::ids::S4U_FORWARDABLE));

    account_mut(&mut h, "WEB$")
        .delegation
        .trusted_to_auth_for_delegation = true;
    let (r, rules) = reach(&mut h, app, "share");
    assert_granted_as(&r, "CORP\\bob", Mechanism::Constrained);
    assert!(rules.contains(&net_rules::ids::SERVICE_ASSERTED));
    // The far side's token says the identity was asserted by a service.
    let far = &h.tokens[&r.remote_token.unwrap()].token;
    assert!(far.is_member(&Sid::new(18, &[2]).unwrap()));
    assert!(!far.is_member(&Sid::new(18, &[1]).unwrap()));
}

/// Resource-based delegation: the back end lists the front end; protocol
/// transition works without the T2A4D bit.
#[test]
fn resource_based_delegation_ignores_t2a4d() {
    let mut h = corp();
    account_mut(&mut h, "FS$")
        .delegation
        .allowed_to_act_on_behalf
        .insert("WEB$".into());
    let app = builtin_service(&mut h, "WEB", BuiltinIdentity::LocalSystem);
    let token = s4u(&mut h, app, "bob@corp.example");
    impersonate(&mut h, app, token);
    let (r, rules) = reach(&mut h, app, "share");
    assert_granted_as(&r, "CORP\\bob", Mechanism::ResourceBased);
    assert!(rules.contains(&net_rules::ids::RESOURCE_BASED));

    // A back end that lists someone else: STATUS_NOT_FOUND.
    let fs = account_mut(&mut h, "FS$");
    fs.delegation.allowed_to_act_on_behalf.clear();
    fs.delegation
        .allowed_to_act_on_behalf
        .insert("svc-web".into());
    let r = access(&mut h, app, "share");
    assert_anonymous_denied(&r);
    assert_eq!(r.kerberos, badoption(NtStatus::NotFound));

    // A sensitive user: STATUS_ACCOUNT_RESTRICTION.
    account_mut(&mut h, "FS$")
        .delegation
        .allowed_to_act_on_behalf
        .insert("web$".into());
    account_mut(&mut h, "bob").delegation.not_delegated = true;
    let r = access(&mut h, app, "share");
    assert_anonymous_denied(&r);
    assert_eq!(r.kerberos, badoption(NtStatus::AccountRestriction));
}

// ----------------------------------------------------------------

/// Basic gives exactly one more hop. IIS Basic is the `web`
/// server offering Basic: it logs bob on with NETWORK_CLEARTEXT, whose
/// session holds his credentials. The page reaches FS as bob; an agent on
/// FS acting with the token FS built cannot reach SQL as bob.
#[test]
fn check_39_basic_gives_exactly_one_more_hop() {
    let mut h = corp();
    define(
        &mut h,
        "web",
        server(
            ServerKind::Http,
            "WEB",
            WEB_SPN,
            &[AuthScheme::Basic],
            "D:(A;;GA;;;DU)",
        ),
    );
    let pool = builtin_service(&mut h, "WEB", BuiltinIdentity::NetworkService);
    let (first, token) = bob_browses(&mut h);
    assert_eq!(first.scheme, Some(AuthScheme::Basic));
    assert_eq!(
        h.logons[&first.remote_logon.unwrap()].logon_type,
        LogonType::NetworkCleartext
    );
    assert_eq!(first.remote_credentials, Some(NetworkCredentials::Password));
    impersonate(&mut h, pool, token);
    let second = access(&mut h, pool, "share");
    assert_granted_as(&second, "CORP\\bob", Mechanism::Credentials);
    assert_eq!(second.remote_credentials, Some(NetworkCredentials::None));

    let agent = builtin_service(&mut h, "FS", BuiltinIdentity::NetworkService);
    impersonate(&mut h, agent, second.remote_token.unwrap());
    assert_anonymous_denied(&access(&mut h, agent, "sql"));

    // Unless Kerberos delegation is configured there: FS trusted for
    // delegation gets bob's TGT on the second hop, and the third works.
    account_mut(&mut h, "FS$").delegation.trusted_for_delegation = true;
    let second = access(&mut h, pool, "share");
    assert_eq!(
        second.remote_credentials,
        Some(NetworkCredentials::ForwardedTgt)
    );
    impersonate(&mut h, agent, second.remote_token.unwrap());
    assert_granted_as(
        &access(&mut h, agent, "sql"),
        "CORP\\bob",
        Mechanism::Unconstrained,
    );
}

/// The same first hop modelled as IIS does it internally:
/// `LogonUser(NETWORK_CLEARTEXT)` in the app pool.
#[test]
fn check_39_with_logon_user_network_cleartext() {
    let mut h = corp();
    let pool = builtin_service(&mut h, "WEB", BuiltinIdentity::NetworkService);
    let token = logon_user(
        &mut h,
        pool,
        "bob",
        Some("CORP"),
        "bob-pw",
        LogonType::NetworkCleartext,
    );
    impersonate(&mut h, pool, token);
    let second = access(&mut h, pool, "share");
    assert_granted_as(&second, "CORP\\bob", Mechanism::Credentials);
    let agent = builtin_service(&mut h, "FS", BuiltinIdentity::NetworkService);
    impersonate(&mut h, agent, second.remote_token.unwrap());
    assert_anonymous_denied(&access(&mut h, agent, "sql"));
}

// ----------------------------------------------------------------

/// IIS Anonymous with a domain anonymous account (logonMethod
/// ClearText, modelled by `LogonUser(NETWORK_CLEARTEXT)`) reaches the share;
/// a local IUSR does not, unless FS has a mirrored IUSR (same name, same
/// password; UNVERIFIED rule).
#[test]
fn check_41_anonymous_account_domain_vs_local() {
    let mut h = corp();
    let webanon = sid_of(&h, "webanon");
    define(
        &mut h,
        "share",
        server(
            ServerKind::SmbShare,
            "FS",
            SHARE_SPN,
            &[AuthScheme::Negotiate],
            &only(&webanon),
        ),
    );
    let pool = builtin_service(&mut h, "WEB", BuiltinIdentity::NetworkService);
    let token = logon_user(
        &mut h,
        pool,
        "webanon",
        Some("CORP"),
        "webanon-pw",
        LogonType::NetworkCleartext,
    );
    impersonate(&mut h, pool, token);
    assert_granted_as(
        &access(&mut h, pool, "share"),
        "CORP\\webanon",
        Mechanism::Credentials,
    );

    // A local IUSR on WEB, and no such account on FS.
    h.machine_mut("WEB")
        .unwrap()
        .add_user("IUSR", "iusr-pw", &[]);
    let token = logon_user(
        &mut h,
        pool,
        "IUSR",
        None,
        "iusr-pw",
        LogonType::NetworkCleartext,
    );
    impersonate(&mut h, pool, token);
    let (r, rules) = reach(&mut h, pool, "share");
    assert!(!r.is_granted());
    assert!(r.identity.is_none());
    assert_eq!(
        r.reason(),
        Some(Failure::Win32 {
            error: Win32Error::LogonFailure
        })
    );
    assert!(rules.contains(&net_rules::ids::MIRRORED_ACCOUNT));

    // Same name, different password: still refused.
    h.machine_mut("FS")
        .unwrap()
        .add_user("IUSR", "other-pw", &[]);
    assert!(access(&mut h, pool, "share").identity.is_none());

    // A mirrored IUSR (same password) that the share grants: FS\IUSR.
    let fs = h.machine_mut("FS").unwrap();
    let iusr = fs.accounts.get_mut("iusr").unwrap();
    iusr.password = "iusr-pw".into();
    let fs_iusr = iusr.sid.clone();
    define(
        &mut h,
        "share",
        server(
            ServerKind::SmbShare,
            "FS",
            SHARE_SPN,
            &[AuthScheme::Negotiate],
            &only(&fs_iusr),
        ),
    );
    let r = access(&mut h, pool, "share");
    assert_granted_as(&r, "FS\\IUSR", Mechanism::Credentials);
    assert_eq!(r.scheme, Some(AuthScheme::Ntlm));
}

// ---------------------------------------------------------------- HTTP and proxies

#[test]
fn web_servers_answer_401_and_proxies_407() {
    let mut h = corp();
    define(
        &mut h,
        "proxy",
        server(
            ServerKind::Proxy,
            "PROXY",
            "HTTP/proxy.corp.example",
            &[AuthScheme::Negotiate],
            "D:(A;;GR;;;DU)",
        ),
    );
    let mut internet = server(
        ServerKind::Http,
        "WEB",
        "HTTP/www.example",
        &[AuthScheme::Anonymous],
        "D:(A;;GR;;;AN)",
    );
    internet.proxy = Some("proxy".into());
    define(&mut h, "internet", internet);

    // bob passes the proxy as himself and reaches the anonymous site.
    let bob = console(&mut h, "WS01", "bob");
    let r = access(&mut h, bob, "internet");
    assert!(r.is_granted());
    assert_eq!(r.http_status, Some(200));
    assert_eq!(seen(&r), "NT AUTHORITY\\ANONYMOUS LOGON");
    let hop = r.proxy.as_ref().unwrap();
    assert_eq!(seen(hop), "CORP\\bob");
    assert_eq!(hop.http_status, Some(200));

    // LOCAL SERVICE has nothing to show the proxy: 407, the site is never reached.
    let local = builtin_service(&mut h, "WEB", BuiltinIdentity::LocalService);
    let (r, rules) = reach(&mut h, local, "internet");
    assert_eq!(r.http_status, Some(407));
    assert_eq!(r.reason(), Some(Failure::Http { status: 407 }));
    assert!(r.identity.is_none());
    assert!(r.proxy.as_ref().unwrap().identity.is_none());
    assert!(rules.contains(&net_rules::ids::HTTP_STATUS));

    // A web server that wants Negotiate gives LOCAL SERVICE a 401.
    let r = access(&mut h, local, "web");
    assert_eq!(r.http_status, Some(401));
    assert_eq!(r.reason(), Some(Failure::Http { status: 401 }));
    // And an authenticated user refused by the ACL also gets 401.
    define(
        &mut h,
        "web",
        server(
            ServerKind::Http,
            "WEB",
            WEB_SPN,
            &[AuthScheme::Negotiate],
            "D:(A;;GA;;;BA)",
        ),
    );
    let r = access(&mut h, bob, "web");
    assert_eq!(seen(&r), "CORP\\bob");
    assert_eq!(r.reason(), Some(Failure::Http { status: 401 }));
}

#[test]
fn the_network_logon_right_is_checked_at_the_server() {
    let mut h = corp();
    let bob_sid = sid_of(&h, "bob");
    h.machine_mut("FS").unwrap().policy.grant(
        simos::policy::UserRight::Logon(simos::policy::LogonRight::DenyNetwork),
        bob_sid,
    );
    let bob = console(&mut h, "WS01", "bob");
    let (r, rules) = reach(&mut h, bob, "share");
    assert_eq!(
        r.reason(),
        Some(Failure::Win32 {
            error: Win32Error::LogonTypeNotGranted
        })
    );
    assert!(rules.contains(&net_rules::ids::LOGON_RIGHT));
}

// ---------------------------------------------------------------- definitions

#[test]
fn server_definitions_are_checked() {
    let mut h = corp();
    let bad = |h: &mut Host, name: &str, s: Server| {
        h.apply(&Op::Network(NetworkOp::DefineServer {
            name: name.into(),
            server: s,
        }))
        .result
        .error()
    };
    let ok = server(
        ServerKind::SmbShare,
        "FS",
        SHARE_SPN,
        &[AuthScheme::Negotiate],
        "D:(A;;FA;;;DU)",
    );
    let mut no_machine = ok.clone();
    no_machine.machine = "NOWHERE".into();
    assert_eq!(
        bad(&mut h, "x", no_machine),
        Some(Win32Error::InvalidParameter)
    );
    let mut bad_sddl = ok.clone();
    bad_sddl.sddl = "D:(A;;FA;;;".into();
    assert!(bad(&mut h, "x", bad_sddl).is_some());
    let mut bad_proxy = ok.clone();
    bad_proxy.proxy = Some("share".into());
    assert_eq!(
        bad(&mut h, "x", bad_proxy),
        Some(Win32Error::InvalidParameter)
    );
    assert_eq!(bad(&mut h, "", ok), Some(Win32Error::InvalidParameter));

    let bob = console(&mut h, "WS01", "bob");
    assert_eq!(
        access_error(&mut h, bob, "nowhere"),
        Some(Win32Error::BadNetPath)
    );
    assert_eq!(
        access_error(&mut h, ThreadId(424242), "share"),
        Some(Win32Error::InvalidHandle)
    );
    // Names are case-insensitive.
    assert!(access(&mut h, bob, "SHARE").is_granted());
}

#[test]
fn the_rule_table_is_complete() {
    let mut seen_ids = BTreeSet::new();
    for rule in net_rules::RULES {
        assert!(
            rule.id.starts_with("NET-") || rule.id.starts_with("KRB-"),
            "{}",
            rule.id
        );
        assert!(seen_ids.insert(rule.id), "duplicate {}", rule.id);
        assert!(!rule.statement.is_empty() && !rule.source.is_empty());
        assert_eq!(simos::rules::rule(rule.id).map(|r| r.id), Some(rule.id));
    }
    // Every rule cited by a full run exists.
    let mut h = corp();
    account_mut(&mut h, "svc-web")
        .delegation
        .trusted_for_delegation = true;
    let pool = svc_web_pool(&mut h);
    let (_, token) = bob_browses(&mut h);
    impersonate(&mut h, pool, token);
    let (_, rules) = reach(&mut h, pool, "share");
    for id in rules {
        assert!(simos::rules::rule(id).is_some(), "{id} is not in the table");
    }
}

#[test]
fn the_same_operations_give_the_same_host() {
    let run = || {
        let mut h = corp();
        account_mut(&mut h, "svc-web")
            .delegation
            .allowed_to_delegate_to
            .insert(SQL_SPN.into());
        let pool = svc_web_pool(&mut h);
        let (_, token) = bob_browses(&mut h);
        impersonate(&mut h, pool, token);
        let a = access(&mut h, pool, "sql");
        let b = access(&mut h, pool, "share");
        (h, a, b)
    };
    assert_eq!(run(), run());
}

#[test]
fn anonymous_needs_a_server_that_takes_anonymous_sessions() {
    let mut h = corp();
    define(
        &mut h,
        "krb-only",
        server(
            ServerKind::SmbShare,
            "FS",
            SHARE_SPN,
            &[AuthScheme::Kerberos],
            "D:(A;;FR;;;AN)",
        ),
    );
    let local = builtin_service(&mut h, "WEB", BuiltinIdentity::LocalService);
    let r = access(&mut h, local, "krb-only");
    assert!(r.identity.is_none());
    assert_eq!(
        r.reason(),
        Some(Failure::Win32 {
            error: Win32Error::AccessDenied
        })
    );
    // A joined machine whose computer account is missing presents nothing.
    h.domain.as_mut().unwrap().accounts.remove("web$");
    let ns = builtin_service(&mut h, "WEB", BuiltinIdentity::NetworkService);
    assert_anonymous_denied(&access(&mut h, ns, "share"));
}

/// [IL]: on a remote named pipe the client's SQOS is ignored and
/// the server account's delegation trust decides the level.
#[test]
fn remote_pipe_level_comes_from_the_server_account() {
    let mut h = corp();
    let bob = console(&mut h, "WS01", "bob");
    let ns = builtin_service(&mut h, "WEB", BuiltinIdentity::NetworkService);
    let pipe = |h: &mut Host, allows| {
        h.apply(&Op::ImpersonateNamedPipeClient {
            thread: ns,
            client: bob,
            client_allows: allows,
        })
    };
    let out = pipe(&mut h, ImpersonationLevel::Identification);
    assert!(out.rules.contains(&simos::rules::ids::PIPE_REMOTE_LEVEL));
    assert_eq!(
        h.effective_token(ns).unwrap().impersonation_level(),
        Some(ImpersonationLevel::Impersonation)
    );
    h.domain
        .as_mut()
        .unwrap()
        .account_mut("WEB$")
        .unwrap()
        .delegation
        .trusted_for_delegation = true;
    pipe(&mut h, ImpersonationLevel::Identification);
    assert_eq!(
        h.effective_token(ns).unwrap().impersonation_level(),
        Some(ImpersonationLevel::Delegation)
    );
    // A local client still caps the level.
    let local = console(&mut h, "WEB", "alice");
    h.apply(&Op::ImpersonateNamedPipeClient {
        thread: ns,
        client: local,
        client_allows: ImpersonationLevel::Identification,
    });
    assert_eq!(
        h.effective_token(ns).unwrap().impersonation_level(),
        Some(ImpersonationLevel::Identification)
    );
}

/// A COM client at RPC_C_IMP_LEVEL_ANONYMOUS over a
/// remote transport is promoted to Identify; locally it stays Anonymous.
#[test]
fn check_45_com_anonymous_remote_is_promoted_to_identify() {
    let mut h = corp();
    let bob = console(&mut h, "WS01", "bob");
    let ns = builtin_service(&mut h, "WEB", BuiltinIdentity::NetworkService);
    let out = h.apply(&Op::ComCall {
        thread: ns,
        client: bob,
        client_level: ImpersonationLevel::Anonymous,
        cloaking: simos::Cloaking::None,
    });
    assert!(out.rules.contains(&simos::rules::ids::COM_ANONYMOUS_REMOTE));
    assert_eq!(
        h.effective_token(ns).unwrap().impersonation_level(),
        Some(ImpersonationLevel::Identification)
    );
    let local = console(&mut h, "WEB", "alice");
    h.apply(&Op::ComCall {
        thread: ns,
        client: local,
        client_level: ImpersonationLevel::Anonymous,
        cloaking: simos::Cloaking::None,
    });
    assert_eq!(
        h.effective_token(ns).unwrap().impersonation_level(),
        Some(ImpersonationLevel::Anonymous)
    );
    assert_eq!(
        h.apply(&Op::OpenThreadToken { thread: ns }).result.error(),
        Some(Win32Error::CantOpenAnonymous)
    );
}

// ---------------------------------------------------------------- what the far side saw

/// `RemoteAccess::seen`: per server on the way, the identity it
/// authenticated, the scheme as it offers it, the package behind it and
/// its HTTP status; a proxy that stops the request is the only one that
/// saw it.
#[test]
fn seen_lists_what_each_server_on_the_way_saw() {
    use simos::network::Seen;
    let mut h = corp();
    let bob = console(&mut h, "WS01", "bob");
    let bob_sid = sid_of(&h, "bob");

    // Negotiate: Kerberos through SPNEGO, 200.
    web(&mut h, &[AuthScheme::Negotiate]);
    let seen = access(&mut h, bob, "web").seen();
    assert_eq!(seen.len(), 1);
    let s: &Seen = &seen[0];
    assert_eq!(s.identity.as_ref().map(|i| &i.sid), Some(&bob_sid));
    assert_eq!(s.scheme, Some(AuthScheme::Negotiate));
    assert_eq!(s.package, Some(AuthScheme::Kerberos));
    assert_eq!(
        (s.http_status, s.granted, s.proxy),
        (Some(200), true, false)
    );

    // Kerberos offered on its own: no SPNEGO.
    web(&mut h, &[AuthScheme::Kerberos]);
    let s = &access(&mut h, bob, "web").seen()[0];
    assert_eq!(
        (s.scheme, s.package),
        (Some(AuthScheme::Kerberos), Some(AuthScheme::Kerberos))
    );

    // No SPN registered for it: Kerberos cannot be used, so Negotiate
    // falls to NTLM.
    define(
        &mut h,
        "nospn",
        server(
            ServerKind::Http,
            "WEB",
            "HTTP/nospn.corp.example",
            &[AuthScheme::Negotiate],
            "D:(A;;GA;;;DU)",
        ),
    );
    let s = &access(&mut h, bob, "nospn").seen()[0];
    assert_eq!(
        (s.scheme, s.package),
        (Some(AuthScheme::Negotiate), Some(AuthScheme::Ntlm))
    );
    assert_eq!(s.identity.as_ref().map(|i| &i.sid), Some(&bob_sid));

    web(&mut h, &[AuthScheme::Negotiate]);
    let local = builtin_service(&mut h, "WEB", BuiltinIdentity::LocalService);
    let s = &access(&mut h, local, "web").seen()[0];
    // LOCAL SERVICE presents nothing: nobody is logged on, 401.
    assert_eq!(s.identity, None);
    assert_eq!((s.scheme, s.package), (None, None));
    assert_eq!((s.http_status, s.granted), (Some(401), false));

    // Basic: the package is Basic, the status 200.
    web(&mut h, &[AuthScheme::Basic]);
    let s = &access(&mut h, bob, "web").seen()[0];
    assert_eq!(
        (s.scheme, s.package),
        (Some(AuthScheme::Basic), Some(AuthScheme::Basic))
    );

    // An anonymous site: ANONYMOUS LOGON through the anonymous scheme.
    define(
        &mut h,
        "public",
        server(
            ServerKind::Http,
            "WEB",
            WEB_SPN,
            &[AuthScheme::Anonymous],
            "D:(A;;GR;;;AN)",
        ),
    );
    let s = &access(&mut h, local, "public").seen()[0];
    assert_eq!(
        s.identity.as_ref().map(|i| &i.sid),
        Some(&sids::anonymous())
    );
    assert_eq!(s.package, Some(AuthScheme::Anonymous));
    assert_eq!(s.http_status, Some(200));

    // Through a proxy: the proxy first, then the site.
    define(
        &mut h,
        "proxy",
        server(
            ServerKind::Proxy,
            "PROXY",
            "HTTP/proxy.corp.example",
            &[AuthScheme::Negotiate],
            "D:(A;;GR;;;DU)",
        ),
    );
    let mut internet = server(
        ServerKind::Http,
        "WEB",
        "HTTP/www.example",
        &[AuthScheme::Anonymous],
        "D:(A;;GR;;;AN)",
    );
    internet.proxy = Some("proxy".into());
    define(&mut h, "internet", internet);
    let seen = access(&mut h, bob, "internet").seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[0].proxy && seen[0].server == "proxy");
    assert_eq!(seen[0].identity.as_ref().map(|i| &i.sid), Some(&bob_sid));
    assert!(!seen[1].proxy && seen[1].server == "internet");
    assert_eq!(
        seen[1].identity.as_ref().map(|i| &i.sid),
        Some(&sids::anonymous())
    );
    // Stopped at the proxy: only the proxy saw it, and answered 407.
    let seen = access(&mut h, local, "internet").seen();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].proxy);
    assert_eq!((seen[0].http_status, seen[0].granted), (Some(407), false));
}

// ---------------------------------------------------------------- COM across machines

/// Microsoft's COM Cloaking page: an impersonate-level token crosses one
/// machine boundary; a server not trusted for delegation cannot cloak its
/// client on to a third machine (the call fails), and its token for the
/// client is never at Delegation level, whatever the client asked (D-62).
/// A trusted server holds the client's TGT at Delegation level and its
/// cloaked call reaches the third machine as the client. A process whose
/// own session has nothing to present (LOCAL SERVICE) still arrives as
/// ANONYMOUS LOGON.
#[test]
fn a_cloaked_com_call_crosses_a_second_machine_only_with_delegation() {
    let mut h = corp();
    let alice = console(&mut h, "WS01", "alice");
    let web = builtin_service(&mut h, "WEB", BuiltinIdentity::NetworkService);
    let fs = builtin_service(&mut h, "FS", BuiltinIdentity::NetworkService);
    let com = |h: &mut Host, thread, client, level, cloaking| {
        h.apply(&Op::ComCall {
            thread,
            client,
            client_level: level,
            cloaking,
        })
    };
    let out = com(
        &mut h,
        web,
        alice,
        ImpersonationLevel::Delegation,
        simos::Cloaking::Dynamic,
    );
    assert!(out.result.is_ok(), "{:?}", out.result);
    assert!(out.rules.contains(&simos::rules::ids::COM_REMOTE_LEVEL));
    let held = h.effective_token(web).unwrap();
    assert_eq!(held.user.sid, sid_of(&h, "alice"));
    assert_eq!(
        held.impersonation_level(),
        Some(ImpersonationLevel::Impersonation)
    );
    let out = com(
        &mut h,
        fs,
        web,
        ImpersonationLevel::Impersonation,
        simos::Cloaking::Dynamic,
    );
    assert_eq!(out.result.error(), Some(Win32Error::AccessDenied));
    assert!(out
        .rules
        .contains(&simos::rules::ids::COM_REMOTE_NO_CREDENTIALS));
    assert!(h.thread(fs).unwrap().impersonation.is_none());
    // Static cloaking is the same identity.
    let out = com(
        &mut h,
        fs,
        web,
        ImpersonationLevel::Impersonation,
        simos::Cloaking::Static,
    );
    assert_eq!(out.result.error(), Some(Win32Error::AccessDenied));

    // WEB$ trusted for delegation: Delegation level with alice's TGT, and
    // the cloaked hop to FS arrives as alice.
    h.domain
        .as_mut()
        .unwrap()
        .account_mut("WEB$")
        .unwrap()
        .delegation
        .trusted_for_delegation = true;
    h.apply(&Op::RevertToSelf { thread: web });
    let out = com(
        &mut h,
        web,
        alice,
        ImpersonationLevel::Delegation,
        simos::Cloaking::Dynamic,
    );
    assert!(!out.rules.contains(&simos::rules::ids::COM_REMOTE_LEVEL));
    assert_eq!(
        h.effective_token(web).unwrap().impersonation_level(),
        Some(ImpersonationLevel::Delegation)
    );
    let out = com(
        &mut h,
        fs,
        web,
        ImpersonationLevel::Impersonation,
        simos::Cloaking::Dynamic,
    );
    assert!(out.result.is_ok(), "{:?}", out.result);
    assert_eq!(h.effective_token(fs).unwrap().user.sid, sid_of(&h, "alice"));
    // Asking only for impersonate level of a trusted server: Impersonation.
    h.apply(&Op::RevertToSelf { thread: web });
    com(
        &mut h,
        web,
        alice,
        ImpersonationLevel::Impersonation,
        simos::Cloaking::Dynamic,
    );
    assert_eq!(
        h.effective_token(web).unwrap().impersonation_level(),
        Some(ImpersonationLevel::Impersonation)
    );

    // LOCAL SERVICE presents anonymous credentials: its call arrives.
    let local = builtin_service(&mut h, "WEB", BuiltinIdentity::LocalService);
    h.apply(&Op::RevertToSelf { thread: fs });
    let out = com(
        &mut h,
        fs,
        local,
        ImpersonationLevel::Impersonation,
        simos::Cloaking::None,
    );
    assert!(out.result.is_ok(), "{:?}", out.result);
    assert_eq!(h.effective_token(fs).unwrap().user.sid, sids::anonymous());
}
