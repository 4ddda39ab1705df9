//! The ASP.NET side of the web host: the integrated pipeline
//! ([IIS-INT]), forms authentication with LogonUser and
//! S4U, `Impersonate(IntPtr.Zero)` / `Undo()`, flow to new threads under
//! aspnet.config, and the trusted subsystem, each checked against what the
//! page's thread can then open and reach.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use simos::network::Mechanism;
use simos::{FlowPolicy, Host, LogonType, ThreadStart, TokenId};
use webhost::{
    forms_logon, forms_s4u, impersonate, impersonate_zero, open_local, reach, request, spawn,
    start, undo, Account, AppPool, Authentication, Client, Failure, Pipeline, Request, Site,
};
use winsec::Win32Error;

/// The `corp` base with a share on FS any authenticated user may read,
/// and on WEB a file only bob may read and one only the pool may read.
const HOST: &str = r#"
machines:
  - { name: WEB, local_users: [ { name: IUSR } ] }
servers:
  - { name: share, kind: smb_share, machine: FS, spn: cifs/fs.corp.example, sddl: 'D:(A;;FA;;;AU)' }
files:
  - { machine: WEB, path: 'C:\inetpub\bob.txt', sddl: 'O:BAG:SYD:(A;;FA;;;SY)(A;;FR;;;S-1-5-21-10-20-30-1101)' }
  - { machine: WEB, path: 'C:\inetpub\pool.txt', sddl: 'O:BAG:SYD:(A;;FA;;;SY)(A;;FR;;;NS)' }
"#;

fn host() -> Host {
    let spec: scenario::format::HostSpec = serde_yaml::from_str(HOST).unwrap();
    runner::host::build(&spec, bits::profile::Profile::Win11.rules())
        .unwrap()
        .host
}

fn site(authentication: Authentication, pool: AppPool) -> Site {
    Site::new("WEB", "site", "HTTP/web.corp.example", pool, authentication)
}

fn bob() -> Client {
    Client {
        machine: "WS01".into(),
        account: Account::new("bob", Some("CORP")),
    }
}

fn serve(h: &mut Host, site: &Site) -> Request {
    let worker = start(h, site).unwrap().thread;
    request(h, site, worker, &bob()).unwrap()
}

fn account(h: &Host, token: Option<TokenId>) -> String {
    token
        .and_then(|t| h.logon_of(t))
        .map(|l| l.account.clone())
        .unwrap_or_default()
}

fn runs_as(h: &Host, r: &Request) -> String {
    account(h, h.effective_token_id(r.thread))
}

#[test]
fn check_43_integrated_pipeline_refuses_impersonation_with_500_24() {
    let mut h = host();
    let mut s = site(Authentication::IntegratedKerberos, AppPool::NetworkService);
    s.impersonate = true;
    s.pipeline = Pipeline::Integrated {
        validate_configuration: true,
    };
    let worker = start(&mut h, &s).unwrap().thread;
    let e = request(&mut h, &s, worker, &bob()).unwrap_err();
    assert_eq!(
        e.failure,
        Failure::Http {
            status: 500,
            substatus: 24
        }
    );
    assert_eq!(
        e.to_string(),
        "IIS integrated pipeline validation failed: HTTP 500.24"
    );

    // Validation off: served, but the early stages ran as the pool.
    s.pipeline = Pipeline::Integrated {
        validate_configuration: false,
    };
    let r = request(&mut h, &s, worker, &bob()).unwrap();
    assert_eq!(
        account(&h, r.early_stage_token),
        "NT AUTHORITY\\NETWORK SERVICE"
    );
    assert_eq!(runs_as(&h, &r), "CORP\\bob");
    assert!(r
        .rules
        .contains(&webhost::rules::ids::INTEGRATED_EARLY_STAGES));

    // Classic mode never refuses.
    s.pipeline = Pipeline::Classic;
    let r = request(&mut h, &s, worker, &bob()).unwrap();
    assert_eq!(runs_as(&h, &r), "CORP\\bob");
    // Integrated mode without impersonation is fine too.
    s.impersonate = false;
    s.pipeline = Pipeline::Integrated {
        validate_configuration: true,
    };
    assert!(request(&mut h, &s, worker, &bob()).is_ok());
}

#[test]
fn forms_with_logon_user_acts_as_the_user_with_credentials() {
    let mut h = host();
    // Forms over IIS Anonymous: the request itself is IUSR's.
    let mut s = site(
        Authentication::Anonymous(Some(Account::new("IUSR", None))),
        AppPool::NetworkService,
    );
    s.impersonate = true;
    let mut r = serve(&mut h, &s);
    assert_eq!(runs_as(&h, &r), "WEB\\IUSR");
    assert_eq!(
        open_local(&mut h, r.thread, "C:\\inetpub\\bob.txt"),
        Err(Win32Error::AccessDenied)
    );
    let token = forms_logon(
        &mut h,
        &mut r,
        &Account::new("bob", Some("CORP")),
        LogonType::Interactive,
    )
    .unwrap();
    impersonate(&mut h, &mut r, token).unwrap();
    assert_eq!(runs_as(&h, &r), "CORP\\bob");
    assert!(open_local(&mut h, r.thread, "C:\\inetpub\\bob.txt").is_ok());
    // The interactive session holds bob's credentials: one hop as bob.
    let remote = reach(&mut h, r.thread, "share").unwrap();
    assert_eq!(remote.identity.unwrap().account, "CORP\\bob");
    assert_eq!(remote.how, Mechanism::Credentials);
    // A wrong password is the LogonUser error.
    let mut wrong = Account::new("bob", Some("CORP"));
    wrong.password = "nope".into();
    let e = forms_logon(&mut h, &mut r, &wrong, LogonType::Interactive).unwrap_err();
    assert_eq!(e.win32_error(), Some(Win32Error::LogonFailure));
}

#[test]
fn forms_with_s4u_depends_on_the_pool_holding_tcb() {
    // NETWORK SERVICE lacks SeTcbPrivilege: an Identification token that
    // names bob and opens nothing.
    let mut h = host();
    let s = site(
        Authentication::Anonymous(Some(Account::new("IUSR", None))),
        AppPool::NetworkService,
    );
    let mut r = serve(&mut h, &s);
    let token = forms_s4u(&mut h, &mut r, "bob@corp.example").unwrap();
    impersonate(&mut h, &mut r, token).unwrap();
    assert_eq!(runs_as(&h, &r), "CORP\\bob");
    assert_eq!(
        open_local(&mut h, r.thread, "C:\\inetpub\\bob.txt"),
        Err(Win32Error::BadImpersonationLevel)
    );
    // A LocalSystem pool holds it: the token opens bob's file, but the
    // S4U session has nothing to present, so the share sees nobody as bob.
    let mut h = host();
    let s = site(
        Authentication::Anonymous(Some(Account::new("IUSR", None))),
        AppPool::LocalSystem,
    );
    let mut r = serve(&mut h, &s);
    let token = forms_s4u(&mut h, &mut r, "bob@corp.example").unwrap();
    impersonate(&mut h, &mut r, token).unwrap();
    assert!(open_local(&mut h, r.thread, "C:\\inetpub\\bob.txt").is_ok());
    let remote = reach(&mut h, r.thread, "share").unwrap();
    assert_ne!(
        remote.identity.map(|i| i.account),
        Some("CORP\\bob".to_string())
    );
}

#[test]
fn impersonate_zero_runs_as_the_pool_until_undo() {
    let mut h = host();
    let mut s = site(Authentication::IntegratedKerberos, AppPool::NetworkService);
    s.impersonate = true;
    let mut r = serve(&mut h, &s);
    assert_eq!(runs_as(&h, &r), "CORP\\bob");
    assert_eq!(
        open_local(&mut h, r.thread, "C:\\inetpub\\pool.txt"),
        Err(Win32Error::AccessDenied)
    );
    let context = impersonate_zero(&mut h, &mut r).unwrap();
    assert_eq!(runs_as(&h, &r), "NT AUTHORITY\\NETWORK SERVICE");
    assert!(open_local(&mut h, r.thread, "C:\\inetpub\\pool.txt").is_ok());
    undo(&mut h, &mut r, context).unwrap();
    assert_eq!(runs_as(&h, &r), "CORP\\bob");
    assert!(open_local(&mut h, r.thread, "C:\\inetpub\\bob.txt").is_ok());
}

#[test]
fn new_threads_follow_the_worker_flow_policy() {
    let mut h = host();
    let mut s = site(Authentication::IntegratedKerberos, AppPool::NetworkService);
    s.impersonate = true;
    let mut r = serve(&mut h, &s);
    // aspnet.config defaults: no flow anywhere.
    for how in [
        ThreadStart::Native,
        ThreadStart::ManagedThread,
        ThreadStart::QueueUserWorkItem,
        ThreadStart::AsyncDelegate,
        ThreadStart::StaComCall,
    ] {
        let t = spawn(&mut h, &mut r, how).unwrap();
        assert_eq!(
            account(&h, h.effective_token_id(t)),
            "NT AUTHORITY\\NETWORK SERVICE",
            "{how:?}"
        );
    }
    // legacy off, always-flow on: managed starts carry bob, native ones not.
    let mut h = host();
    s.flow = FlowPolicy {
        legacy_impersonation_policy: false,
        always_flow_impersonation_policy: true,
    };
    let mut r = serve(&mut h, &s);
    let flows = |h: &mut Host, r: &mut Request, how| {
        let t = spawn(h, r, how).unwrap();
        account(h, h.effective_token_id(t))
    };
    assert_eq!(
        flows(&mut h, &mut r, ThreadStart::QueueUserWorkItem),
        "CORP\\bob"
    );
    assert_eq!(
        flows(&mut h, &mut r, ThreadStart::AsyncDelegate),
        "CORP\\bob"
    );
    assert_eq!(
        flows(&mut h, &mut r, ThreadStart::Native),
        "NT AUTHORITY\\NETWORK SERVICE"
    );
    assert_eq!(
        flows(&mut h, &mut r, ThreadStart::UnsafeQueueUserWorkItem),
        "NT AUTHORITY\\NETWORK SERVICE"
    );
}

#[test]
fn trusted_subsystem_reaches_the_back_end_as_the_pool() {
    let mut h = host();
    let s = site(
        Authentication::IntegratedKerberos,
        AppPool::Account(Account::new("svc-web", Some("CORP"))),
    );
    let r = serve(&mut h, &s);
    // The caller was authenticated, but the page does not impersonate.
    assert!(r.token.is_some());
    assert_eq!(runs_as(&h, &r), "CORP\\svc-web");
    let remote = reach(&mut h, r.thread, "share").unwrap();
    assert_eq!(remote.identity.as_ref().unwrap().account, "CORP\\svc-web");
    assert!(remote.is_granted());
}
