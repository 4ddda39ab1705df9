//! One test per row of [IDM], [ASP-IMP], [LT] (the IIS
//! authentication table). Each test asserts the row's three columns with
//! the host's primitives, driven through `Host::apply`:
//!
//! 1. the identity the request thread carries with `impersonate=true` (the
//!    token IIS hands ASP.NET, put on an app-pool thread with
//!    `ImpersonateLoggedOnUser`);
//! 2. local impersonation: opening a file on the web server whose ACL
//!    grants only that user (`ObjectOp::Open`);
//! 3. delegation: reaching a file share on another machine as that user
//!    (`NetworkOp::Access`), under the row's condition.
//!
//! Each IIS authentication is modelled by the logon it amounts to; every
//! test says which. Two further checks close the file: a RemoteInteractive
//! logon ([LU], [LT]) and a process check (a process created from a
//! NETWORK logon's primary duplicate cannot use the redirector as the user).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use simos::network::{
    rules as net_rules, AuthScheme, Failure, KerberosError, Mechanism, NtStatus, RemoteAccess,
};
use simos::objects::{ObjectKind, ObjectOp};
use simos::{BuiltinIdentity, Host, LogonType, NetworkCredentials, Op, ThreadId, TokenId, Value};
use winsec::well_known::sids;
use winsec::{AccessMask, ImpersonationLevel, Sid, TokenType, Win32Error};

mod support;
use support::*;

// ---------------------------------------------------------------- the columns

/// Column 1: the thread is impersonating, at Impersonation level, a token
/// whose user is `sid` and whose logon session is `account`'s.
fn assert_carries(h: &Host, thread: ThreadId, sid: &Sid, account: &str) {
    assert!(h.thread(thread).unwrap().impersonation.is_some());
    let id = h.effective_token_id(thread).unwrap();
    let token = &h.token(id).unwrap().token;
    assert_eq!(&token.user.sid, sid);
    assert_eq!(h.logon_of(id).unwrap().account, account);
    assert_eq!(
        token.impersonation_level(),
        Some(ImpersonationLevel::Impersonation)
    );
}

/// A file on `machine` whose ACL grants only `sid`.
fn file_for(h: &mut Host, machine: &str, path: &str, sid: &Sid) {
    let out = h.apply(&Op::Object(ObjectOp::Define {
        machine: machine.into(),
        path: path.into(),
        kind: ObjectKind::File,
        sddl: only(sid),
    }));
    assert!(out.result.is_ok(), "define {path}: {:?}", out.result);
}

/// Column 2: `CreateFile(OPEN_EXISTING, GENERIC_READ)` by the thread.
/// Returns the user the check ran as, or the error.
fn open(h: &mut Host, thread: ThreadId, path: &str) -> Result<Sid, Win32Error> {
    let out = h.apply(&Op::Object(ObjectOp::Open {
        thread,
        path: path.into(),
        desired: AccessMask::GENERIC_READ,
        backup_intent: false,
    }));
    match (out.result.value(), out.result.error()) {
        (Some(Value::Object(a)), _) => Ok(a.user.clone()),
        (_, Some(error)) => Err(error),
        other => panic!("open {path}: {other:?}"),
    }
}

/// The far side saw ANONYMOUS LOGON and refused it with `reason`.
fn assert_anonymous_refused(r: &RemoteAccess, reason: Failure) {
    assert_anonymous_denied(r);
    assert_eq!(r.reason(), Some(reason));
}

const ACCESS_DENIED: Failure = Failure::Win32 {
    error: Win32Error::AccessDenied,
};
const LOGON_FAILURE: Failure = Failure::Win32 {
    error: Win32Error::LogonFailure,
};

fn kdc_refused(status: NtStatus) -> Failure {
    Failure::Kerberos {
        error: KerberosError::BadOption,
        status,
    }
}

/// bob browses IIS from his workstation and gets the page; returns IIS's
/// side of it and the token IIS hands ASP.NET.
fn bob_browses_iis(h: &mut Host) -> (RemoteAccess, TokenId) {
    let (r, token) = bob_browses(h);
    assert_eq!(r.http_status, Some(200));
    (r, token)
}

// ---------------------------------------------------------------- [IDM], [ASP-IMP], [LT] rows

/// Anonymous. IIS 7+ logs the anonymous account on with `logonMethod`
/// ClearText: modelled as `LogonUser(NETWORK_CLEARTEXT)` of that account
/// in the app pool. Column 3 depends on the account: a domain account
/// (CORP\webanon) reaches the share, a local IUSR without a mirrored
/// account on FS does not. With `username=""` the thread is the app pool.
#[test]
fn row_anonymous() {
    let mut h = corp();
    let webanon = sid_of(&h, "webanon");
    let bob = sid_of(&h, "bob");
    share_for(&mut h, &only(&webanon));
    file_for(&mut h, "WEB", "C:\\inetpub\\webanon.txt", &webanon);
    file_for(&mut h, "WEB", "C:\\inetpub\\bob.txt", &bob);
    let pool = builtin_service(&mut h, "WEB", BuiltinIdentity::NetworkService);

    // A domain anonymous account.
    let token = logon_user(
        &mut h,
        pool,
        "webanon",
        Some("CORP"),
        "webanon-pw",
        LogonType::NetworkCleartext,
    );
    assert_eq!(
        h.logon_of(token).unwrap().credentials,
        NetworkCredentials::Password
    );
    impersonate(&mut h, pool, token);
    // NETWORK_CLEARTEXT gives a primary token; ImpersonateLoggedOnUser puts
    // an Impersonation-level copy of it on the thread.
    assert_eq!(h.tokens[&token].token.token_type, TokenType::Primary);
    assert_carries(&h, pool, &webanon, "CORP\\webanon");
    assert_eq!(open(&mut h, pool, "C:\\inetpub\\webanon.txt"), Ok(webanon));
    assert_eq!(
        open(&mut h, pool, "C:\\inetpub\\bob.txt"),
        Err(Win32Error::AccessDenied)
    );
    let r = access(&mut h, pool, "share");
    assert_granted_as(&r, "CORP\\webanon", Mechanism::Credentials);
    assert_eq!(r.scheme, Some(AuthScheme::Kerberos));

    // The local IUSR of WEB, with no such account on FS.
    let iusr = h
        .machine_mut("WEB")
        .unwrap()
        .add_user("IUSR", "iusr-pw", &[]);
    file_for(&mut h, "WEB", "C:\\inetpub\\iusr.txt", &iusr);
    share_for(&mut h, "D:(A;;FA;;;WD)");
    let token = logon_user(
        &mut h,
        pool,
        "IUSR",
        None,
        "iusr-pw",
        LogonType::NetworkCleartext,
    );
    impersonate(&mut h, pool, token);
    assert_carries(&h, pool, &iusr, "WEB\\IUSR");
    assert_eq!(open(&mut h, pool, "C:\\inetpub\\iusr.txt"), Ok(iusr));
    let (r, rules) = reach(&mut h, pool, "share");
    assert!(!r.is_granted());
    assert!(r.identity.is_none(), "FS logged on {:?}", r.identity);
    assert_eq!(r.reason(), Some(LOGON_FAILURE));
    assert!(rules.contains(&net_rules::ids::MIRRORED_ACCOUNT));

    // username="": no thread token; the request runs as the app pool
    // (NETWORK SERVICE), which goes outbound as WEB$.
    let out = h.apply(&Op::RevertToSelf { thread: pool });
    assert!(out.result.is_ok());
    assert_eq!(h.thread(pool).unwrap().impersonation, None);
    assert_eq!(
        h.effective_token(pool).unwrap().user.sid,
        sids::network_service()
    );
    assert_granted_as(
        &access(&mut h, pool, "share"),
        "CORP\\WEB$",
        Mechanism::MachineAccount,
    );
}

/// Basic. IIS 6+ logs the user on with `LogonUser(NETWORK_CLEARTEXT)`
/// (IIS 7 `logonMethod` default ClearText); the session holds bob's
/// credentials, so the page reaches FS as bob, and exactly one hop: FS's
/// session has no credentials and cannot reach SQL as bob.
#[test]
fn row_basic() {
    let mut h = corp();
    let bob = sid_of(&h, "bob");
    share_for(&mut h, &only(&bob));
    file_for(&mut h, "WEB", "C:\\inetpub\\bob.txt", &bob);
    let pool = builtin_service(&mut h, "WEB", BuiltinIdentity::NetworkService);
    let token = logon_user(
        &mut h,
        pool,
        "bob",
        Some("CORP"),
        "bob-pw",
        LogonType::NetworkCleartext,
    );
    let session = h.logon_of(token).unwrap();
    assert_eq!(session.logon_type, LogonType::NetworkCleartext);
    assert_eq!(session.credentials, NetworkCredentials::Password);
    impersonate(&mut h, pool, token);
    assert_carries(&h, pool, &bob, "CORP\\bob");
    assert!(h.effective_token(pool).unwrap().is_member(&sids::network()));
    assert_eq!(open(&mut h, pool, "C:\\inetpub\\bob.txt"), Ok(bob.clone()));

    let (second, rules) = reach(&mut h, pool, "share");
    assert_granted_as(&second, "CORP\\bob", Mechanism::Credentials);
    assert_eq!(second.identity.as_ref().unwrap().sid, bob);
    assert!(rules.contains(&net_rules::ids::CREDENTIALS));
    assert_eq!(second.remote_credentials, Some(NetworkCredentials::None));

    // The next hop, from FS with the token FS built: nothing to present.
    let agent = builtin_service(&mut h, "FS", BuiltinIdentity::NetworkService);
    impersonate(&mut h, agent, second.remote_token.unwrap());
    let third = access(&mut h, agent, "sql");
    assert_anonymous_refused(&third, kdc_refused(NtStatus::NotSupported));
}

/// Digest. A network-type logon without reusable credentials: modelled as
/// `LogonUser(NETWORK)` of an account of the web server (WEB\dave). Locally
/// the thread is dave; the share sees ANONYMOUS LOGON and refuses it.
#[test]
fn row_digest() {
    let mut h = corp();
    let dave = h
        .machine_mut("WEB")
        .unwrap()
        .add_user("dave", "dave-pw", &[]);
    share_for(&mut h, &only(&dave));
    file_for(&mut h, "WEB", "C:\\inetpub\\dave.txt", &dave);
    let pool = builtin_service(&mut h, "WEB", BuiltinIdentity::NetworkService);
    let token = logon_user(
        &mut h,
        pool,
        "dave",
        Some("WEB"),
        "dave-pw",
        LogonType::Network,
    );
    assert_eq!(
        h.logon_of(token).unwrap().credentials,
        NetworkCredentials::None
    );
    impersonate(&mut h, pool, token);
    assert_carries(&h, pool, &dave, "WEB\\dave");
    assert_eq!(
        open(&mut h, pool, "C:\\inetpub\\dave.txt"),
        Ok(dave.clone())
    );

    let (r, rules) = reach(&mut h, pool, "share");
    assert_anonymous_refused(&r, ACCESS_DENIED);
    assert_ne!(r.identity.as_ref().unwrap().sid, dave);
    assert_eq!(r.kerberos, None);
    assert!(rules.contains(&net_rules::ids::NTLM_NO_DELEGATION));
}

/// Integrated Windows over NTLM. IIS offers only NTLM; bob's browser
/// authenticates and IIS gets a Network logon with no credentials (the
/// far-side token of the hop), which the page impersonates. Locally bob;
/// the share sees ANONYMOUS LOGON.
#[test]
fn row_integrated_windows_ntlm() {
    let mut h = corp();
    let bob = sid_of(&h, "bob");
    share_for(&mut h, &only(&bob));
    web(&mut h, &[AuthScheme::Ntlm]);
    file_for(&mut h, "WEB", "C:\\inetpub\\bob.txt", &bob);
    let pool = builtin_service(&mut h, "WEB", BuiltinIdentity::NetworkService);
    let (first, token) = bob_browses_iis(&mut h);
    assert_eq!(first.scheme, Some(AuthScheme::Ntlm));
    assert_eq!(first.remote_credentials, Some(NetworkCredentials::None));
    assert_eq!(h.logon_of(token).unwrap().logon_type, LogonType::Network);
    impersonate(&mut h, pool, token);
    assert_carries(&h, pool, &bob, "CORP\\bob");
    assert_eq!(open(&mut h, pool, "C:\\inetpub\\bob.txt"), Ok(bob.clone()));

    let (r, rules) = reach(&mut h, pool, "share");
    assert_anonymous_refused(&r, ACCESS_DENIED);
    assert_eq!(r.kerberos, None);
    assert!(rules.contains(&net_rules::ids::NTLM_NO_DELEGATION));
    // Even with the app pool's computer account trusted for delegation.
    h.domain
        .as_mut()
        .unwrap()
        .account_mut("WEB$")
        .unwrap()
        .delegation
        .trusted_for_delegation = true;
    assert_anonymous_refused(&access(&mut h, pool, "share"), ACCESS_DENIED);
}

/// Integrated Windows over Kerberos. IIS (Negotiate, HTTP/web held by the
/// app-pool account svc-web) gets a Kerberos Network logon for bob.
/// Delegation follows the app-pool account: trusted for delegation, bob's
/// TGT is forwarded and the page reaches the share as bob; not trusted
/// (and no constrained delegation), the KDC refuses S4U2proxy and the share
/// sees ANONYMOUS LOGON; with cifs/fs in msDS-AllowedToDelegateTo,
/// constrained delegation reaches it as bob.
#[test]
fn row_integrated_windows_kerberos() {
    let mut h = corp();
    let bob = sid_of(&h, "bob");
    share_for(&mut h, &only(&bob));
    file_for(&mut h, "WEB", "C:\\inetpub\\bob.txt", &bob);
    let pool = svc_web_pool(&mut h);

    // Not trusted for delegation.
    let (first, token) = bob_browses_iis(&mut h);
    assert_eq!(first.scheme, Some(AuthScheme::Kerberos));
    assert_eq!(first.remote_credentials, Some(NetworkCredentials::None));
    impersonate(&mut h, pool, token);
    assert_carries(&h, pool, &bob, "CORP\\bob");
    assert_eq!(open(&mut h, pool, "C:\\inetpub\\bob.txt"), Ok(bob.clone()));
    let r = access(&mut h, pool, "share");
    assert_anonymous_refused(&r, kdc_refused(NtStatus::NotSupported));
    assert_eq!(r.kerberos, badoption(NtStatus::NotSupported));

    // Trusted for delegation (unconstrained): a fresh request forwards the TGT.
    h.domain
        .as_mut()
        .unwrap()
        .account_mut("svc-web")
        .unwrap()
        .delegation
        .trusted_for_delegation = true;
    let (first, token) = bob_browses_iis(&mut h);
    assert_eq!(first.scheme, Some(AuthScheme::Kerberos));
    assert_eq!(
        first.remote_credentials,
        Some(NetworkCredentials::ForwardedTgt)
    );
    impersonate(&mut h, pool, token);
    // The forwarded TGT makes the token Delegation-level ([W2K3-DEL], [SFU-OV]).
    assert!(h.thread(pool).unwrap().impersonation.is_some());
    let held = h.effective_token_id(pool).unwrap();
    assert_eq!(h.token(held).unwrap().token.user.sid, bob);
    assert_eq!(
        h.token(held).unwrap().token.impersonation_level(),
        Some(ImpersonationLevel::Delegation)
    );
    assert_eq!(open(&mut h, pool, "C:\\inetpub\\bob.txt"), Ok(bob.clone()));
    let (r, rules) = reach(&mut h, pool, "share");
    assert_granted_as(&r, "CORP\\bob", Mechanism::Unconstrained);
    assert_eq!(r.identity.as_ref().unwrap().sid, bob);
    assert!(rules.contains(&net_rules::ids::UNCONSTRAINED));

    // Constrained instead: cifs/fs listed for svc-web.
    let svc = h.domain.as_mut().unwrap().account_mut("svc-web").unwrap();
    svc.delegation.trusted_for_delegation = false;
    svc.delegation
        .allowed_to_delegate_to
        .insert(SHARE_SPN.into());
    let (_, token) = bob_browses_iis(&mut h);
    impersonate(&mut h, pool, token);
    let r = access(&mut h, pool, "share");
    assert_granted_as(&r, "CORP\\bob", Mechanism::Constrained);
    assert_eq!(r.kerberos, None);
    // ... and only to the listed SPN.
    let r = access(&mut h, pool, "sql");
    assert_anonymous_refused(&r, kdc_refused(NtStatus::NoMatch));
}

/// Client certificate with IIS one-to-one mapping. The mapping stores the
/// account's password and IIS calls `LogonUser` with it (`logonMethod`
/// ClearText): modelled as `LogonUser(NETWORK_CLEARTEXT)` of the mapped
/// account. One hop as that account; a local mapped account reaches the
/// share only through a mirrored account on FS.
#[test]
fn row_client_certificate_iis_mapping() {
    let mut h = corp();
    let carol = sid_of(&h, "carol");
    share_for(&mut h, &only(&carol));
    file_for(&mut h, "WEB", "C:\\inetpub\\carol.txt", &carol);
    let pool = builtin_service(&mut h, "WEB", BuiltinIdentity::NetworkService);
    let token = logon_user(
        &mut h,
        pool,
        "carol",
        Some("CORP"),
        "carol-pw",
        LogonType::NetworkCleartext,
    );
    impersonate(&mut h, pool, token);
    assert_carries(&h, pool, &carol, "CORP\\carol");
    assert_eq!(
        open(&mut h, pool, "C:\\inetpub\\carol.txt"),
        Ok(carol.clone())
    );
    let second = access(&mut h, pool, "share");
    assert_granted_as(&second, "CORP\\carol", Mechanism::Credentials);
    assert_eq!(second.remote_credentials, Some(NetworkCredentials::None));
    let agent = builtin_service(&mut h, "FS", BuiltinIdentity::NetworkService);
    impersonate(&mut h, agent, second.remote_token.unwrap());
    assert_anonymous_refused(
        &access(&mut h, agent, "sql"),
        kdc_refused(NtStatus::NotSupported),
    );

    // A local mapped account WEB\certuser: refused by FS until FS has the
    // same account with the same password.
    let web_cert = h
        .machine_mut("WEB")
        .unwrap()
        .add_user("certuser", "cert-pw", &[]);
    let token = logon_user(
        &mut h,
        pool,
        "certuser",
        None,
        "cert-pw",
        LogonType::NetworkCleartext,
    );
    impersonate(&mut h, pool, token);
    assert_carries(&h, pool, &web_cert, "WEB\\certuser");
    let r = access(&mut h, pool, "share");
    assert!(r.identity.is_none());
    assert_eq!(r.reason(), Some(LOGON_FAILURE));
    let fs_cert = h
        .machine_mut("FS")
        .unwrap()
        .add_user("certuser", "cert-pw", &[]);
    share_for(&mut h, &only(&fs_cert));
    let r = access(&mut h, pool, "share");
    assert_granted_as(&r, "FS\\certuser", Mechanism::Credentials);
    assert_eq!(r.scheme, Some(AuthScheme::Ntlm));
}

/// Client certificate with Active Directory mapping. No password is
/// available: modelled as protocol transition (`S4uLogon`) in the IIS
/// worker, which holds SeTcbPrivilege (LocalSystem) so the token is at
/// Impersonation level. Locally bob; without constrained delegation the
/// share sees ANONYMOUS LOGON. Protocol transition plus KCD is what going
/// further takes.
#[test]
fn row_client_certificate_ad_mapping() {
    let mut h = corp();
    let bob = sid_of(&h, "bob");
    share_for(&mut h, &only(&bob));
    file_for(&mut h, "WEB", "C:\\inetpub\\bob.txt", &bob);
    let iis = builtin_service(&mut h, "WEB", BuiltinIdentity::LocalSystem);
    let token = s4u(&mut h, iis, "bob@corp.example");
    let session = h.logon_of(token).unwrap();
    assert_eq!(session.logon_type, LogonType::S4u);
    assert_eq!(session.credentials, NetworkCredentials::None);
    assert!(h.tokens[&token]
        .token
        .is_member(&Sid::new(18, &[2]).unwrap()));
    impersonate(&mut h, iis, token);
    assert_carries(&h, iis, &bob, "CORP\\bob");
    assert_eq!(open(&mut h, iis, "C:\\inetpub\\bob.txt"), Ok(bob.clone()));

    let (r, rules) = reach(&mut h, iis, "share");
    assert_anonymous_refused(&r, kdc_refused(NtStatus::NotSupported));
    assert!(rules.contains(&net_rules::ids::S4U_FORWARDABLE));
    assert!(rules.contains(&net_rules::ids::KDC_FALLBACK));

    // Even a front end trusted for unconstrained delegation has no TGT of bob.
    let web = h.domain.as_mut().unwrap().account_mut("WEB$").unwrap();
    web.delegation.trusted_for_delegation = true;
    assert_anonymous_refused(
        &access(&mut h, iis, "share"),
        kdc_refused(NtStatus::NotSupported),
    );
    // KCD without "any authentication protocol": the S4U2self ticket is
    // not forwardable.
    let web = h.domain.as_mut().unwrap().account_mut("WEB$").unwrap();
    web.delegation.trusted_for_delegation = false;
    web.delegation
        .allowed_to_delegate_to
        .insert(SHARE_SPN.into());
    assert_anonymous_refused(
        &access(&mut h, iis, "share"),
        kdc_refused(NtStatus::NoMatch),
    );
    // Protocol transition plus KCD reaches the share as bob.
    let web = h.domain.as_mut().unwrap().account_mut("WEB$").unwrap();
    web.delegation.trusted_to_auth_for_delegation = true;
    let (r, rules) = reach(&mut h, iis, "share");
    assert_granted_as(&r, "CORP\\bob", Mechanism::Constrained);
    assert!(rules.contains(&net_rules::ids::SERVICE_ASSERTED));
}

/// ASP.NET Forms over IIS Anonymous. The thread carries the anonymous
/// account (the local IUSR, logged on as in the Anonymous row); the forms
/// name gives no Windows access, locally or remotely. Only when the app
/// logs the user on itself (`LogonUser` with the password from the form, or
/// S4U) does the thread become that user.
#[test]
fn row_forms_over_anonymous() {
    let mut h = corp();
    let bob = sid_of(&h, "bob");
    share_for(&mut h, &only(&bob));
    let iusr = h
        .machine_mut("WEB")
        .unwrap()
        .add_user("IUSR", "iusr-pw", &[]);
    file_for(&mut h, "WEB", "C:\\inetpub\\iusr.txt", &iusr);
    file_for(&mut h, "WEB", "C:\\inetpub\\bob.txt", &bob);
    let pool = builtin_service(&mut h, "WEB", BuiltinIdentity::LocalSystem);
    let anonymous = logon_user(
        &mut h,
        pool,
        "IUSR",
        None,
        "iusr-pw",
        LogonType::NetworkCleartext,
    );
    impersonate(&mut h, pool, anonymous);
    // Forms user "bob" signed in; the thread is still IUSR.
    assert_carries(&h, pool, &iusr, "WEB\\IUSR");
    assert_eq!(open(&mut h, pool, "C:\\inetpub\\iusr.txt"), Ok(iusr));
    assert_eq!(
        open(&mut h, pool, "C:\\inetpub\\bob.txt"),
        Err(Win32Error::AccessDenied)
    );
    let r = access(&mut h, pool, "share");
    assert!(!r.is_granted());
    assert!(r.identity.is_none());
    assert_eq!(r.reason(), Some(LOGON_FAILURE));

    // The app calls LogonUser with the password from the form: bob, one hop.
    let token = logon_user(
        &mut h,
        pool,
        "bob",
        Some("CORP"),
        "bob-pw",
        LogonType::NetworkCleartext,
    );
    impersonate(&mut h, pool, token);
    assert_carries(&h, pool, &bob, "CORP\\bob");
    assert_eq!(open(&mut h, pool, "C:\\inetpub\\bob.txt"), Ok(bob.clone()));
    assert_granted_as(
        &access(&mut h, pool, "share"),
        "CORP\\bob",
        Mechanism::Credentials,
    );

    // Or `new WindowsIdentity(upn)` (S4U): bob locally only.
    let token = s4u(&mut h, pool, "bob@corp.example");
    impersonate(&mut h, pool, token);
    assert_carries(&h, pool, &bob, "CORP\\bob");
    assert_eq!(open(&mut h, pool, "C:\\inetpub\\bob.txt"), Ok(bob));
    assert_anonymous_refused(
        &access(&mut h, pool, "share"),
        kdc_refused(NtStatus::NotSupported),
    );
}

// ---------------------------------------------------------------- [LU], [LT]

/// [LU], [LT] RemoteInteractive: a Remote Desktop logon has INTERACTIVE and
/// REMOTE INTERACTIVE LOGON (S-1-5-14) and holds the user's credentials.
#[test]
fn remote_interactive_logon_has_its_groups_and_credentials() {
    let mut h = corp();
    let bob = sid_of(&h, "bob");
    share_for(&mut h, &only(&bob));
    let out = h.apply(&Op::InteractiveLogon {
        machine: "WS01".into(),
        user: "bob".into(),
        domain: Some("CORP".into()),
        password: "bob-pw".into(),
        ts_session: 2,
        remote: true,
    });
    let shell = thread_of(&out);
    let id = h.effective_token_id(shell).unwrap();
    let token = &h.token(id).unwrap().token;
    assert_eq!(token.user.sid, bob);
    assert_eq!(token.token_type, TokenType::Primary);
    assert_eq!(token.session_id, 2);
    assert!(token.is_member(&sids::interactive()));
    assert!(token.is_member(&Sid::new(5, &[14]).unwrap()));
    assert!(!token.is_member(&sids::network()));
    let session = h.logon_of(id).unwrap();
    assert_eq!(session.logon_type, LogonType::RemoteInteractive);
    assert_eq!(session.logon_type.value(), 10);
    assert_eq!(session.credentials, NetworkCredentials::Password);
    let r = access(&mut h, shell, "share");
    assert_granted_as(&r, "CORP\\bob", Mechanism::Credentials);
}

/// A NETWORK logon's token is an impersonation
/// token, so CreateProcessAsUser refuses it; after
/// DuplicateTokenEx(TokenPrimary) the process starts as bob and opens a
/// local file ACL'd to bob, but cannot reach an access-controlled share as
/// bob.
#[test]
fn check_01_process_from_a_network_logon_cannot_use_the_redirector() {
    let mut h = corp();
    let bob = sid_of(&h, "bob");
    share_for(&mut h, &only(&bob));
    file_for(&mut h, "WEB", "C:\\data\\bob.txt", &bob);
    let svc = builtin_service(&mut h, "WEB", BuiltinIdentity::LocalSystem);
    let network = logon_user(
        &mut h,
        svc,
        "bob",
        Some("CORP"),
        "bob-pw",
        LogonType::Network,
    );
    assert_eq!(
        h.tokens[&network].token.token_type,
        TokenType::Impersonation(ImpersonationLevel::Impersonation)
    );
    let out = h.apply(&Op::CreateProcessAsUser {
        thread: svc,
        token: network,
        image: "child.exe".into(),
    });
    assert_eq!(out.result.error(), Some(Win32Error::BadTokenType));

    let out = h.apply(&Op::DuplicateTokenEx {
        thread: svc,
        token: network,
        level: ImpersonationLevel::Impersonation,
        primary: true,
    });
    let primary = out.result.token().unwrap();
    assert_eq!(h.tokens[&primary].token.token_type, TokenType::Primary);
    assert_eq!(h.tokens[&primary].logon, h.tokens[&network].logon);
    let out = h.apply(&Op::CreateProcessAsUser {
        thread: svc,
        token: primary,
        image: "child.exe".into(),
    });
    let child = thread_of(&out);
    assert_eq!(h.thread(child).unwrap().impersonation, None);
    assert_eq!(h.process_token(child).unwrap().user.sid, bob);
    assert_eq!(
        h.logon_of(h.effective_token_id(child).unwrap())
            .unwrap()
            .credentials,
        NetworkCredentials::None
    );
    assert_eq!(open(&mut h, child, "C:\\data\\bob.txt"), Ok(bob.clone()));

    let r = access(&mut h, child, "share");
    assert_anonymous_refused(&r, kdc_refused(NtStatus::NotSupported));
    assert_ne!(r.identity.as_ref().unwrap().sid, bob);
}
