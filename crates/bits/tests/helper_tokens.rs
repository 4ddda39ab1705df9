//! IBitsTokenOptions end to end (seeds 000-002, [HT], [TO], [SEC], [UNC]):
//! who may call each method on each profile (the Windows 10 1607 conditions),
//! the two logoff triggers, the two recoveries, and the identity each resource
//! of a transfer is reached with under each flag combination.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

mod support;

use bits::job::token_flags;
use bits::{
    AccessCheckAt, Acting, BitsEvent, Call, ErrorContext, HResult, Interface, JobId, JobState,
    JobType, Method, Op, PointerId, Profile, Resource, Value, World,
};
use simos::objects::{ObjectKind, ObjectOp};
use simos::{BuiltinIdentity, Cloaking, LogonId, LogonType, ThreadId, TokenId};
use support::*;
use winsec::well_known::sids;
use winsec::{ImpersonationLevel, Sid};

/// The profiles with IBitsTokenOptions.
const WIN7_ON: [Profile; 4] = [
    Profile::Win7,
    Profile::Win10_1507,
    Profile::Win10_1607,
    Profile::Win11,
];

/// The profiles that admit a non-administrator under conditions (a) and (b).
const FROM_1607: [Profile; 2] = [Profile::Win10_1607, Profile::Win11];

/// True where a non-administrator may use IBitsTokenOptions (seeds 001/002 note).
fn admits_non_admin(profile: Profile) -> bool {
    matches!(profile, Profile::Win10_1607 | Profile::Win11)
}

// ---------------------------------------------------------------------------
// Small drivers

fn job_id(w: &World, pointer: PointerId) -> JobId {
    w.job_of(pointer).unwrap().id
}

fn options(w: &mut World, thread: ThreadId, job: PointerId) -> PointerId {
    qi(w, thread, job, Interface::TokenOptions)
        .unwrap_or_else(|hr| panic!("QueryInterface(IBitsTokenOptions) failed: {hr}"))
}

fn get_job(w: &mut World, thread: ThreadId, job: JobId) -> PointerId {
    let out = call(w, thread, Call::GetJob { job });
    match out.value {
        Value::Pointer { pointer } => pointer,
        _ => panic!("GetJob failed: {}", out.hr),
    }
}

/// `thread` impersonates a fresh interactive LogonUser token of `user`,
/// calls SetHelperToken and reverts.
fn set_helper_as(w: &mut World, thread: ThreadId, opts: PointerId, user: &str) -> HResult {
    let token = logon_user(w, thread, user, LogonType::Interactive);
    set_helper_impersonating(w, thread, opts, token)
}

/// `thread` impersonates `token`, calls SetHelperToken and reverts.
fn set_helper_impersonating(
    w: &mut World,
    thread: ThreadId,
    opts: PointerId,
    token: TokenId,
) -> HResult {
    impersonate(w, thread, token);
    let hr = method(w, thread, opts, Method::SetHelperToken).hr;
    revert(w, thread);
    hr
}

fn set_flags(w: &mut World, thread: ThreadId, opts: PointerId, flags: u32) -> HResult {
    method(w, thread, opts, Method::SetHelperTokenFlags { flags }).hr
}

fn get_flags(w: &mut World, thread: ThreadId, opts: PointerId) -> Result<u32, HResult> {
    let out = method(w, thread, opts, Method::GetHelperTokenFlags);
    match (out.hr, out.value) {
        (HResult::SOk, Value::Number { number }) => Ok(u32::try_from(number).unwrap()),
        (hr, _) => Err(hr),
    }
}

fn helper_sid(w: &mut World, thread: ThreadId, opts: PointerId) -> Result<Option<String>, HResult> {
    let out = method(w, thread, opts, Method::GetHelperTokenSid);
    match (out.hr, out.value) {
        (HResult::SOk, Value::Text { text }) => Ok(text),
        (hr, _) => Err(hr),
    }
}

fn clear(w: &mut World, thread: ThreadId, opts: PointerId) -> HResult {
    method(w, thread, opts, Method::ClearHelperToken).hr
}

fn resume(w: &mut World, thread: ThreadId, job: PointerId) {
    assert_eq!(method(w, thread, job, Method::Resume).hr, HResult::SOk);
}

/// GetError: the context and code, or the HRESULT GetError failed with.
fn error_of(
    w: &mut World,
    thread: ThreadId,
    job: PointerId,
) -> Result<(ErrorContext, HResult), HResult> {
    let out = method(w, thread, job, Method::GetError);
    match out.value {
        Value::Error { context, code, .. } => Ok((context, code)),
        _ => Err(out.hr),
    }
}

/// Every method of IBitsTokenOptions once, in order: SetHelperToken (as
/// carol), SetHelperTokenFlags(LOCAL_FILE), GetHelperTokenFlags,
/// GetHelperTokenSid, ClearHelperToken.
fn all_five(w: &mut World, thread: ThreadId, opts: PointerId) -> [HResult; 5] {
    [
        set_helper_as(w, thread, opts, "carol"),
        set_flags(w, thread, opts, token_flags::LOCAL_FILE),
        get_flags(w, thread, opts).err().unwrap_or(HResult::SOk),
        helper_sid(w, thread, opts).err().unwrap_or(HResult::SOk),
        clear(w, thread, opts),
    ]
}

/// One engine access, as the service logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Access {
    resource: Resource,
    name: String,
    acting: Acting,
    user: Option<Sid>,
    granted: bool,
}

fn accesses(w: &World, job: JobId) -> Vec<Access> {
    w.bits
        .log
        .iter()
        .filter_map(|e| match e {
            BitsEvent::ResourceAccess {
                job: j,
                resource,
                name,
                acting,
                user,
                granted,
            } if *j == job => Some(Access {
                resource: *resource,
                name: name.clone(),
                acting: *acting,
                user: user.clone(),
                granted: *granted,
            }),
            _ => None,
        })
        .collect()
}

fn discards(w: &World, job: JobId) -> Vec<String> {
    w.bits
        .log
        .iter()
        .filter_map(|e| match e {
            BitsEvent::HelperTokenDiscarded { job: j, reason } if *j == job => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

/// The Winlogon logon of `user` in terminal session `session` on WS01.
fn console_logon(w: &World, user: &Sid, session: u32) -> LogonId {
    w.host
        .logons
        .values()
        .find(|l| l.active && l.winlogon && &l.user == user && l.ts_session == session)
        .map(|l| l.id)
        .expect("no such logon")
}

fn logoff(w: &mut World, logon: LogonId) {
    ok(&w.apply(&Op::Host {
        op: simos::Op::Logoff { logon },
    }));
}

fn end_session(w: &mut World, session: u32) {
    ok(&w.apply(&Op::Host {
        op: simos::Op::EndTerminalSession {
            machine: "WS01".to_string(),
            session,
        },
    }));
}

/// `admin` at the console of `session`: the UAC-filtered shell and its
/// elevated twin, both with an impersonate-level, dynamically cloaking
/// blanket.
fn admin_console(w: &mut World, session: u32) -> (ThreadId, ThreadId) {
    let shell = console(w, "admin", session);
    impersonate_blanket(w, shell);
    let elevated = elevated(w, shell);
    impersonate_blanket(w, elevated);
    (shell, elevated)
}

/// A standard user at the console (or by Remote Desktop) of `session`,
/// with an impersonate-level, dynamically cloaking blanket.
fn user_shell(w: &mut World, user: &str, session: u32, remote: bool) -> ThreadId {
    let out = w.apply(&Op::Host {
        op: simos::Op::InteractiveLogon {
            machine: "WS01".to_string(),
            user: user.to_string(),
            domain: Some("CORP".to_string()),
            password: format!("{user}-pw"),
            ts_session: session,
            remote,
        },
    });
    let thread = match out.host_result {
        Some(simos::ApiResult::Ok {
            value: simos::Value::Process { thread, .. },
        }) => thread,
        other => panic!("logon failed: {other:?}"),
    };
    impersonate_blanket(w, thread);
    thread
}

/// A download job from `remote` to `local`: its pointer.
fn download(w: &mut World, thread: ThreadId, remote: &str, local: &str) -> PointerId {
    let job = create(w, thread, JobType::Download);
    assert_eq!(add_file(w, thread, job, remote, local), HResult::SOk);
    job
}

fn primary_token(w: &World, thread: ThreadId) -> TokenId {
    w.host.process_of(thread).unwrap().primary_token
}

// ---------------------------------------------------------------------------
// 1. Who may call each method

#[test]
fn query_interface_for_token_options_needs_windows_7() {
    for profile in Profile::ALL {
        let mut w = world(profile);
        let (_, elevated) = admin_console(&mut w, 1);
        let job = download(&mut w, elevated, URL, &format!("{PUBLIC}\\a.bin"));
        let got = qi(&mut w, elevated, job, Interface::TokenOptions);
        if profile == Profile::Vista {
            assert_eq!(got, Err(HResult::ENoInterface), "{profile}");
            // The job pointer itself has none of the methods either.
            for m in [
                Method::SetHelperToken,
                Method::SetHelperTokenFlags { flags: 0 },
                Method::GetHelperTokenFlags,
                Method::ClearHelperToken,
                Method::GetHelperTokenSid,
            ] {
                assert_eq!(
                    method(&mut w, elevated, job, m.clone()).hr,
                    HResult::ENoInterface,
                    "{profile} {m:?}"
                );
            }
        } else {
            assert!(got.is_ok(), "{profile}: {got:?}");
        }
    }
}

#[test]
fn an_administrator_owned_job_admits_every_method_on_every_profile() {
    for profile in WIN7_ON {
        let mut w = world(profile);
        let carol = sid_of(&w, "carol").to_string();
        let (_, elevated) = admin_console(&mut w, 1);
        let job = download(&mut w, elevated, URL, &format!("{PUBLIC}\\a.bin"));
        let opts = options(&mut w, elevated, job);

        assert_eq!(helper_sid(&mut w, elevated, opts), Ok(None), "{profile}");
        assert_eq!(get_flags(&mut w, elevated, opts), Ok(0), "{profile}");
        assert_eq!(set_helper_as(&mut w, elevated, opts, "carol"), HResult::SOk);
        assert_eq!(
            helper_sid(&mut w, elevated, opts),
            Ok(Some(carol.clone())),
            "{profile}"
        );
        assert_eq!(set_flags(&mut w, elevated, opts, 3), HResult::SOk);
        assert_eq!(get_flags(&mut w, elevated, opts), Ok(3), "{profile}");
        // ClearHelperToken drops the token and keeps the flags.
        assert_eq!(clear(&mut w, elevated, opts), HResult::SOk);
        assert_eq!(helper_sid(&mut w, elevated, opts), Ok(None), "{profile}");
        assert_eq!(get_flags(&mut w, elevated, opts), Ok(3), "{profile}");
        assert!(w.job_of(job).unwrap().helper.is_none());
        // An administrator-owned job may even get an administrator helper:
        // the elevated caller's own token.
        assert_eq!(
            method(&mut w, elevated, opts, Method::SetHelperToken).hr,
            HResult::SOk,
            "{profile}"
        );
        assert_eq!(
            helper_sid(&mut w, elevated, opts),
            Ok(Some(sid_of(&w, "admin").to_string())),
            "{profile}"
        );
    }
}

#[test]
fn set_helper_token_flags_accepts_0_to_3_and_refuses_other_bits() {
    for profile in WIN7_ON {
        let mut w = world(profile);
        let svc = service(&mut w, BuiltinIdentity::LocalSystem);
        impersonate_blanket(&mut w, svc);
        let job = download(&mut w, svc, URL, &format!("{PUBLIC}\\a.bin"));
        let opts = options(&mut w, svc, job);
        for flags in [0, token_flags::LOCAL_FILE, token_flags::NETWORK, 3, 0] {
            assert_eq!(set_flags(&mut w, svc, opts, flags), HResult::SOk, "{flags}");
            assert_eq!(get_flags(&mut w, svc, opts), Ok(flags), "{profile}");
        }
        assert_eq!(set_flags(&mut w, svc, opts, 3), HResult::SOk);
        for bad in [4, 5, 7, 0x10, 0x8000_0000, u32::MAX] {
            assert_eq!(
                set_flags(&mut w, svc, opts, bad),
                HResult::EInvalidArg,
                "{profile} {bad:#x}"
            );
            assert_eq!(get_flags(&mut w, svc, opts), Ok(3), "{profile} {bad:#x}");
        }
    }
}

#[test]
fn a_standard_owner_may_use_every_method_from_1607_on() {
    for profile in WIN7_ON {
        let mut w = world(profile);
        let carol = sid_of(&w, "carol").to_string();
        let alice = user_shell(&mut w, "alice", 1, false);
        let job = download(&mut w, alice, URL, &format!("{PUBLIC}\\a.bin"));
        // The QueryInterface itself is an ordinary access check: the owner passes.
        let opts = options(&mut w, alice, job);
        let got = all_five(&mut w, alice, opts);
        if admits_non_admin(profile) {
            assert_eq!(got, [HResult::SOk; 5], "{profile}");
            assert_eq!(set_helper_as(&mut w, alice, opts, "carol"), HResult::SOk);
            assert_eq!(helper_sid(&mut w, alice, opts), Ok(Some(carol)));
            assert_eq!(get_flags(&mut w, alice, opts), Ok(token_flags::LOCAL_FILE));
        } else {
            assert_eq!(got, [HResult::EAccessDenied; 5], "{profile}");
            let j = w.job_of(job).unwrap();
            assert!(j.helper.is_none() && j.helper_flags == 0, "{profile}");
        }
    }
}

#[test]
fn a_pointer_an_administrator_obtained_carries_the_administrator() {
    for profile in WIN7_ON {
        let mut w = world(profile);
        let alice = user_shell(&mut w, "alice", 1, false);
        let job = download(&mut w, alice, URL, &format!("{PUBLIC}\\a.bin"));
        let id = job_id(&w, job);
        let (_, elevated) = admin_console(&mut w, 2);
        // An elevated administrator retrieves the job and asks for the
        // interface. Before 1607 the reference refuses any caller on a job
        // not owned by an administrator; from 1607 E_ACCESSDENIED is only
        // for a non-administrator caller with an administrator helper, so
        // the administrator's pointer is admitted (BITS-HELPER-ADMIN).
        let admin_job = get_job(&mut w, elevated, id);
        let admin_opts = options(&mut w, elevated, admin_job);
        let expected = if admits_non_admin(profile) {
            HResult::SOk
        } else {
            HResult::EAccessDenied
        };
        assert_eq!(
            all_five(&mut w, elevated, admin_opts),
            [expected; 5],
            "{profile}"
        );
        // With the check at QueryInterface the grant travels with the
        // pointer: the owner calling through it gets the same answer.
        assert_eq!(
            all_five(&mut w, alice, admin_opts),
            [expected; 5],
            "{profile}"
        );
        // The owner's own pointer: admitted only from 1607.
        let own = options(&mut w, alice, job);
        let expected = if admits_non_admin(profile) {
            HResult::SOk
        } else {
            HResult::EAccessDenied
        };
        assert_eq!(all_five(&mut w, alice, own), [expected; 5], "{profile}");
    }
}

#[test]
fn condition_a_fails_under_per_call_checks_for_a_pointer_the_owner_did_not_obtain() {
    // A hypothetical release with the 1607 rule but the old per-call check:
    // the call is checked as the current caller, and (a) still looks at the
    // QueryInterface.
    let mut rules = Profile::Win11.rules();
    rules.access_check = AccessCheckAt::EveryCall;
    let mut w = world_with(rules);
    let alice = user_shell(&mut w, "alice", 1, false);
    let job = download(&mut w, alice, URL, &format!("{PUBLIC}\\a.bin"));
    let id = job_id(&w, job);
    let (_, elevated) = admin_console(&mut w, 2);
    let admin_job = get_job(&mut w, elevated, id);
    let admin_opts = options(&mut w, elevated, admin_job);
    // The owner passes the per-call job check but is no administrator, and
    // the QueryInterface was made with another SID: (a) fails.
    let out = method(&mut w, alice, admin_opts, Method::GetHelperTokenFlags);
    assert_eq!(out.hr, HResult::EAccessDenied);
    assert!(out.rules.contains(&bits::rules::ids::HELPER_OWNER_AT_QI));
    // The trail names the condition that decided and the owner's SID.
    let owner = w
        .bits
        .jobs
        .get(&id)
        .map(|j| j.owner.sid.to_string())
        .unwrap();
    let decided = out.conditions.last().expect("a condition decided");
    assert_eq!(decided.rule, bits::rules::ids::HELPER_OWNER_AT_QI);
    assert_eq!(decided.effect, bits::Effect::Refused);
    assert_eq!(
        decided.to_string(),
        format!("BITS-1607-A: the pointer was obtained with a SID other than the owner's {owner} → refused")
    );
    // Her own pointer satisfies (a); but SetHelperToken, made while she
    // impersonates the helper (carol), is checked as carol, who may not
    // touch the job: the reason the check moved to QueryInterface.
    let own = options(&mut w, alice, job);
    let mut expected = [HResult::SOk; 5];
    expected[0] = HResult::EAccessDenied;
    assert_eq!(all_five(&mut w, alice, own), expected);
}

#[test]
fn the_owner_querying_while_impersonating_an_administrator_gets_an_administrator_pointer() {
    for profile in FROM_1607 {
        let mut w = world(profile);
        let alice = user_shell(&mut w, "alice", 1, false);
        let job = download(&mut w, alice, URL, &format!("{PUBLIC}\\a.bin"));
        // With dynamic cloaking, the QueryInterface is made as the
        // administrator alice impersonates (a network logon: not filtered).
        let admin = logon_user(&mut w, alice, "admin", LogonType::Network);
        impersonate(&mut w, alice, admin);
        let opts = qi(&mut w, alice, job, Interface::TokenOptions);
        revert(&mut w, alice);
        let opts = opts.expect("an administrator passes the access check");
        let p = w.bits.pointers.get(&opts).unwrap();
        assert!(!p.grant.owner_match && p.grant.admin, "{profile}");
        assert_eq!(
            all_five(&mut w, alice, opts),
            [HResult::SOk; 5],
            "{profile}"
        );
    }
}

#[test]
fn condition_b_refuses_a_helper_with_administrators_enabled() {
    for profile in WIN7_ON {
        let mut w = world(profile);
        let admin = sid_of(&w, "admin").to_string();
        let carol = sid_of(&w, "carol").to_string();
        // The UAC-filtered administrator owns the job: not an administrator-owned job.
        let (shell, elevated) = admin_console(&mut w, 1);
        let job = download(&mut w, shell, URL, &format!("{PUBLIC}\\a.bin"));
        assert!(!w.job_of(job).unwrap().owner.admin);
        let opts = options(&mut w, shell, job);
        // Its own token has Administrators deny-only: (b) holds.
        let own = method(&mut w, shell, opts, Method::SetHelperToken).hr;
        if !admits_non_admin(profile) {
            assert_eq!(own, HResult::EAccessDenied, "{profile}");
            continue;
        }
        assert_eq!(own, HResult::SOk, "{profile}");
        assert_eq!(helper_sid(&mut w, shell, opts), Ok(Some(admin.clone())));
        assert_eq!(set_helper_as(&mut w, shell, opts, "carol"), HResult::SOk);
        // The elevated twin's token has Administrators enabled: (b) fails,
        // and the token held before stays.
        let full = primary_token(&w, elevated);
        assert!(w
            .host
            .token(full)
            .unwrap()
            .token
            .has_enabled_administrators());
        assert_eq!(
            set_helper_impersonating(&mut w, shell, opts, full),
            HResult::EAccessDenied,
            "{profile}"
        );
        assert_eq!(helper_sid(&mut w, shell, opts), Ok(Some(carol.clone())));
        // So does a non-interactive logon of the administrator (never filtered).
        let network = logon_user(&mut w, shell, "admin", LogonType::Network);
        assert_eq!(
            set_helper_impersonating(&mut w, shell, opts, network),
            HResult::EAccessDenied,
            "{profile}"
        );
        // An interactive LogonUser of the administrator is filtered: it passes.
        assert_eq!(set_helper_as(&mut w, shell, opts, "admin"), HResult::SOk);
        assert_eq!(helper_sid(&mut w, shell, opts), Ok(Some(admin.clone())));
    }
}

#[test]
fn set_helper_token_flags_checks_b_against_the_token_already_held() {
    for profile in FROM_1607 {
        let mut w = world(profile);
        let admin = sid_of(&w, "admin");
        let (shell, elevated) = admin_console(&mut w, 1);
        let job = download(&mut w, shell, URL, &format!("{PUBLIC}\\a.bin"));
        let opts = options(&mut w, shell, job);
        assert_eq!(set_helper_as(&mut w, shell, opts, "carol"), HResult::SOk);
        assert_eq!(
            set_flags(&mut w, shell, opts, token_flags::NETWORK),
            HResult::SOk
        );
        // The elevated twin (an administrator) reaches the job and sets its
        // own full token as the helper: allowed through an administrator's
        // pointer, and now the job holds a token with Administrators enabled.
        let id = job_id(&w, job);
        let admin_job = get_job(&mut w, elevated, id);
        let admin_opts = options(&mut w, elevated, admin_job);
        assert_eq!(
            method(&mut w, elevated, admin_opts, Method::SetHelperToken).hr,
            HResult::SOk,
            "{profile}"
        );
        assert!(
            w.job_of(job)
                .unwrap()
                .helper
                .as_ref()
                .unwrap()
                .admin_enabled
        );
        assert_eq!(
            set_flags(&mut w, shell, opts, token_flags::LOCAL_FILE),
            HResult::EAccessDenied,
            "{profile}"
        );
        assert_eq!(
            set_flags(&mut w, shell, opts, 0),
            HResult::EAccessDenied,
            "{profile}"
        );
        // The readers and ClearHelperToken need (a) only.
        assert_eq!(get_flags(&mut w, shell, opts), Ok(token_flags::NETWORK));
        assert_eq!(helper_sid(&mut w, shell, opts), Ok(Some(admin.to_string())));
        assert_eq!(clear(&mut w, shell, opts), HResult::SOk);
        // With no token held, (b) has no subject.
        assert_eq!(
            set_flags(&mut w, shell, opts, token_flags::LOCAL_FILE),
            HResult::SOk,
            "{profile}"
        );
        assert_eq!(get_flags(&mut w, shell, opts), Ok(token_flags::LOCAL_FILE));
    }
}

#[test]
fn set_helper_token_needs_an_impersonate_level_client() {
    for profile in WIN7_ON {
        let mut w = world(profile);
        let svc = service(&mut w, BuiltinIdentity::LocalSystem);
        // COM's default blanket: Identify, no cloaking.
        let job = download(&mut w, svc, URL, &format!("{PUBLIC}\\a.bin"));
        let opts = options(&mut w, svc, job);
        assert_eq!(
            set_helper_as(&mut w, svc, opts, "carol"),
            HResult::CoEFailedToImpersonate,
            "{profile}"
        );
        assert_eq!(
            method(&mut w, svc, opts, Method::SetHelperToken).hr,
            HResult::CoEFailedToImpersonate,
            "{profile}"
        );
        // The other methods do not impersonate the client.
        assert_eq!(get_flags(&mut w, svc, opts), Ok(0), "{profile}");
        assert_eq!(helper_sid(&mut w, svc, opts), Ok(None), "{profile}");
        assert_eq!(set_flags(&mut w, svc, opts, 3), HResult::SOk);
        assert_eq!(clear(&mut w, svc, opts), HResult::SOk);

        // Identify with cloaking is no better.
        ok(&w.apply(&Op::SetBlanket {
            thread: svc,
            level: ImpersonationLevel::Identification,
            cloaking: Cloaking::Dynamic,
        }));
        assert_eq!(
            set_helper_as(&mut w, svc, opts, "carol"),
            HResult::CoEFailedToImpersonate,
            "{profile}"
        );

        // An impersonate-level blanket, but the thread impersonates an
        // identification-level copy of carol's token.
        impersonate_blanket(&mut w, svc);
        let carol = logon_user(&mut w, svc, "carol", LogonType::Interactive);
        let out = w.apply(&Op::Host {
            op: simos::Op::DuplicateToken {
                thread: svc,
                token: carol,
                level: ImpersonationLevel::Identification,
            },
        });
        let ident = out.host_result.unwrap().token().unwrap();
        ok(&w.apply(&Op::Host {
            op: simos::Op::SetThreadToken {
                thread: svc,
                token: Some(ident),
            },
        }));
        let hr = method(&mut w, svc, opts, Method::SetHelperToken).hr;
        revert(&mut w, svc);
        assert_eq!(hr, HResult::CoEFailedToImpersonate, "{profile}");
        assert!(w.job_of(job).unwrap().helper.is_none(), "{profile}");

        // The same token at impersonate level is captured.
        assert_eq!(
            set_helper_impersonating(&mut w, svc, opts, carol),
            HResult::SOk
        );
        assert_eq!(
            helper_sid(&mut w, svc, opts),
            Ok(Some(sid_of(&w, "carol").to_string()))
        );
    }
}

#[test]
fn a_standard_owner_with_the_default_blanket_fails_to_impersonate() {
    for profile in FROM_1607 {
        let mut w = world(profile);
        let alice = console(&mut w, "alice", 1);
        let job = download(&mut w, alice, URL, &format!("{PUBLIC}\\a.bin"));
        let opts = options(&mut w, alice, job);
        assert_eq!(
            set_helper_as(&mut w, alice, opts, "carol"),
            HResult::CoEFailedToImpersonate,
            "{profile}"
        );
        assert!(w.job_of(job).unwrap().helper.is_none());
    }
}

// ---------------------------------------------------------------------------
// 2. Logoff triggers and 3. recoveries

/// An elevated administrator at the console of session 1 with two jobs
/// using carol as helper for the network: `active` is mid-transfer,
/// `done` is TRANSFERRED.
struct LoggedOn {
    w: World,
    active: JobId,
    done: JobId,
}

fn two_jobs_with_helpers(profile: Profile) -> LoggedOn {
    let mut w = world(profile);
    let (_, elevated) = admin_console(&mut w, 1);
    let done = download(&mut w, elevated, URL, &format!("{PUBLIC}\\done.bin"));
    let opts = options(&mut w, elevated, done);
    assert_eq!(set_helper_as(&mut w, elevated, opts, "carol"), HResult::SOk);
    assert_eq!(
        set_flags(&mut w, elevated, opts, token_flags::NETWORK),
        HResult::SOk
    );
    resume(&mut w, elevated, done);
    advance(&mut w, 10);
    assert_eq!(state(&w, done), JobState::Transferred, "{profile}");

    let active = download(&mut w, elevated, URL, &format!("{PUBLIC}\\active.bin"));
    let opts = options(&mut w, elevated, active);
    assert_eq!(set_helper_as(&mut w, elevated, opts, "carol"), HResult::SOk);
    assert_eq!(
        set_flags(&mut w, elevated, opts, token_flags::NETWORK),
        HResult::SOk
    );
    resume(&mut w, elevated, active);
    advance(&mut w, 3);
    assert_eq!(state(&w, active), JobState::Transferring, "{profile}");
    let (active, done) = (job_id(&w, active), job_id(&w, done));
    LoggedOn { w, active, done }
}

/// The owner logs off; then logs on again. Returns the new elevated thread.
fn owner_logs_off_and_back(w: &mut World) -> ThreadId {
    let admin = sid_of(w, "admin");
    let logon = console_logon(w, &admin, 1);
    logoff(w, logon);
    let (_, elevated) = admin_console(w, 1);
    elevated
}

#[test]
fn owner_logoff_discards_helpers_and_fails_incomplete_jobs() {
    for profile in WIN7_ON {
        let LoggedOn {
            mut w,
            active,
            done,
        } = two_jobs_with_helpers(profile);
        let admin = sid_of(&w, "admin");
        let logon = console_logon(&w, &admin, 1);
        logoff(&mut w, logon);

        let a = w.job(active).unwrap();
        assert_eq!(a.state, JobState::Error, "{profile}");
        assert!(a.helper.is_none(), "{profile}");
        assert_eq!(a.helper_flags, token_flags::NETWORK, "flags are kept");
        let d = w.job(done).unwrap();
        assert_eq!(d.state, JobState::Transferred, "{profile}");
        assert!(d.helper.is_none(), "{profile}: the helper goes anyway");
        assert!(d.error.is_none(), "{profile}");
        assert_eq!(discards(&w, active), ["owner logoff"], "{profile}");
        assert_eq!(discards(&w, done), ["owner logoff"], "{profile}");

        // Seen through the API once the owner is back.
        let (_, elevated) = admin_console(&mut w, 1);
        let a = get_job(&mut w, elevated, active);
        assert_eq!(
            error_of(&mut w, elevated, a),
            Ok((ErrorContext::GeneralQueueManager, HResult::BgETokenRequired)),
            "{profile}"
        );
        let d = get_job(&mut w, elevated, done);
        assert_eq!(
            error_of(&mut w, elevated, d),
            Err(HResult::BgEErrorInformationUnavailable)
        );
        assert_eq!(
            method(&mut w, elevated, d, Method::Complete).hr,
            HResult::SOk
        );
        // Without a recovery the failed job stays put.
        advance(&mut w, 30);
        assert_eq!(state(&w, a), JobState::Error, "{profile}");
    }
}

#[test]
fn owner_logoff_leaves_other_users_jobs_alone() {
    for profile in WIN7_ON {
        let LoggedOn { mut w, active, .. } = two_jobs_with_helpers(profile);
        let svc = service(&mut w, BuiltinIdentity::LocalSystem);
        impersonate_blanket(&mut w, svc);
        let other = download(&mut w, svc, URL, &format!("{PUBLIC}\\svc.bin"));
        let opts = options(&mut w, svc, other);
        // The helper is the administrator itself, yet the job is not its.
        let admin_token = logon_user(&mut w, svc, "admin", LogonType::Interactive);
        assert_eq!(
            set_helper_impersonating(&mut w, svc, opts, admin_token),
            HResult::SOk
        );
        let admin = sid_of(&w, "admin");
        let logon = console_logon(&w, &admin, 1);
        logoff(&mut w, logon);
        assert_eq!(w.job(active).unwrap().state, JobState::Error, "{profile}");
        let o = w.job_of(other).unwrap();
        assert!(o.helper.is_some(), "{profile}");
        assert_eq!(o.state, JobState::Suspended, "{profile}");
    }
}

#[test]
fn recovery_by_setting_a_new_helper_token_and_resuming() {
    for profile in WIN7_ON {
        let LoggedOn { mut w, active, .. } = two_jobs_with_helpers(profile);
        let carol = sid_of(&w, "carol");
        let elevated = owner_logs_off_and_back(&mut w);
        let job = get_job(&mut w, elevated, active);
        assert_eq!(state(&w, job), JobState::Error, "{profile}");
        let before = accesses(&w, active).len();
        let opts = options(&mut w, elevated, job);
        assert_eq!(set_helper_as(&mut w, elevated, opts, "carol"), HResult::SOk);
        resume(&mut w, elevated, job);
        advance(&mut w, 10);
        assert_eq!(state(&w, job), JobState::Transferred, "{profile}");
        let after = &accesses(&w, active)[before..];
        let remote: Vec<_> = after
            .iter()
            .filter(|a| a.resource == Resource::Remote)
            .collect();
        assert!(!remote.is_empty(), "{profile}");
        assert!(
            remote
                .iter()
                .all(|a| a.acting == Acting::Helper && a.user.as_ref() == Some(&carol)),
            "{profile}: {remote:?}"
        );
    }
}

#[test]
fn recovery_by_clearing_the_flags_and_resuming_as_the_owner() {
    for profile in WIN7_ON {
        let LoggedOn { mut w, active, .. } = two_jobs_with_helpers(profile);
        let admin = sid_of(&w, "admin");
        let elevated = owner_logs_off_and_back(&mut w);
        let job = get_job(&mut w, elevated, active);
        let opts = options(&mut w, elevated, job);
        // Resuming without a helper and with the flags still set fails again.
        resume(&mut w, elevated, job);
        advance(&mut w, 5);
        assert_eq!(state(&w, job), JobState::Error, "{profile}");
        assert_eq!(
            error_of(&mut w, elevated, job).map(|(_, code)| code),
            Ok(HResult::BgETokenRequired),
            "{profile}"
        );
        let before = accesses(&w, active).len();
        assert_eq!(set_flags(&mut w, elevated, opts, 0), HResult::SOk);
        assert_eq!(helper_sid(&mut w, elevated, opts), Ok(None));
        resume(&mut w, elevated, job);
        advance(&mut w, 10);
        assert_eq!(state(&w, job), JobState::Transferred, "{profile}");
        let after = &accesses(&w, active)[before..];
        assert!(
            after.iter().any(|a| a.resource == Resource::Remote),
            "{profile}"
        );
        assert!(
            after
                .iter()
                .all(|a| a.acting == Acting::Owner && a.user.as_ref() == Some(&admin) && a.granted),
            "{profile}: {after:?}"
        );
    }
}

#[test]
fn flags_without_a_helper_token_fail_with_token_required_when_needed() {
    for profile in WIN7_ON {
        let mut w = world(profile);
        let admin = sid_of(&w, "admin");
        let (_, elevated) = admin_console(&mut w, 1);
        for (flags, context) in [
            (token_flags::NETWORK, ErrorContext::RemoteFile),
            (token_flags::LOCAL_FILE, ErrorContext::LocalFile),
        ] {
            let job = download(&mut w, elevated, URL, &format!("{PUBLIC}\\f{flags}.bin"));
            let opts = options(&mut w, elevated, job);
            assert_eq!(set_helper_as(&mut w, elevated, opts, "carol"), HResult::SOk);
            assert_eq!(set_flags(&mut w, elevated, opts, flags), HResult::SOk);
            assert_eq!(clear(&mut w, elevated, opts), HResult::SOk);
            assert_eq!(get_flags(&mut w, elevated, opts), Ok(flags));
            resume(&mut w, elevated, job);
            advance(&mut w, 10);
            assert_eq!(state(&w, job), JobState::Error, "{profile} {flags}");
            assert_eq!(
                error_of(&mut w, elevated, job),
                Ok((context, HResult::BgETokenRequired)),
                "{profile} {flags}"
            );
            // What did not need the token was reached as the owner.
            let id = job_id(&w, job);
            let seen = accesses(&w, id);
            assert!(
                seen.iter()
                    .all(|a| a.acting == Acting::Owner && a.user.as_ref() == Some(&admin)),
                "{profile} {flags}: {seen:?}"
            );
            if flags == token_flags::LOCAL_FILE {
                assert!(
                    seen.iter()
                        .any(|a| a.resource == Resource::Remote && a.granted),
                    "{profile}: the remote side was reached before the token was needed"
                );
            }
        }
    }
}

#[test]
fn terminal_session_end_discards_helpers_captured_in_it_on_service_jobs() {
    for profile in WIN7_ON {
        let mut w = world(profile);
        let bob_sid = sid_of(&w, "bob");
        let svc = service(&mut w, BuiltinIdentity::LocalSystem);
        impersonate_blanket(&mut w, svc);
        let bob = user_shell(&mut w, "bob", 2, true);

        // The service hands its pointer to a client in session 2, which
        // sets itself as the helper.
        let from_2 = download(&mut w, svc, URL, &format!("{PUBLIC}\\s2.bin"));
        let opts_2 = options(&mut w, svc, from_2);
        assert_eq!(
            method(&mut w, bob, opts_2, Method::SetHelperToken).hr,
            HResult::SOk,
            "{profile}"
        );
        assert_eq!(
            helper_sid(&mut w, svc, opts_2),
            Ok(Some(bob_sid.to_string()))
        );
        // A job whose helper the service captured itself (session 0).
        let from_0 = download(&mut w, svc, URL, &format!("{PUBLIC}\\s0.bin"));
        let opts_0 = options(&mut w, svc, from_0);
        assert_eq!(set_helper_as(&mut w, svc, opts_0, "carol"), HResult::SOk);
        for opts in [opts_2, opts_0] {
            assert_eq!(
                set_flags(&mut w, svc, opts, token_flags::NETWORK),
                HResult::SOk
            );
        }
        resume(&mut w, svc, from_2);
        resume(&mut w, svc, from_0);
        advance(&mut w, 3);
        assert_eq!(state(&w, from_2), JobState::Transferring, "{profile}");

        end_session(&mut w, 2);
        assert_eq!(state(&w, from_2), JobState::Error, "{profile}");
        assert!(w.job_of(from_2).unwrap().helper.is_none());
        assert_eq!(
            error_of(&mut w, svc, from_2),
            Ok((ErrorContext::GeneralQueueManager, HResult::BgETokenRequired)),
            "{profile}"
        );
        assert_eq!(
            discards(&w, job_id(&w, from_2)),
            ["terminal session end"],
            "{profile}"
        );
        assert!(w.job_of(from_0).unwrap().helper.is_some(), "{profile}");
        assert!(discards(&w, job_id(&w, from_0)).is_empty(), "{profile}");
        advance(&mut w, 10);
        assert_eq!(state(&w, from_0), JobState::Transferred, "{profile}");
        assert_eq!(state(&w, from_2), JobState::Error, "{profile}");

        // Recovery: a new helper token, then Resume.
        assert_eq!(set_helper_as(&mut w, svc, opts_2, "carol"), HResult::SOk);
        resume(&mut w, svc, from_2);
        advance(&mut w, 10);
        assert_eq!(state(&w, from_2), JobState::Transferred, "{profile}");
    }
}

/// Seed 000 ¶5: the user of a terminal-services session logging off is
/// enough for BITS to drop the helper tokens captured in that session,
/// on jobs the user does not own (here LocalSystem's); the session's
/// end comes from the logoff itself (`SES-TS-OWNER-LOGOFF`).
#[test]
fn session_user_logoff_discards_helpers_captured_in_it_on_service_jobs() {
    for profile in WIN7_ON {
        let mut w = world(profile);
        let bob_sid = sid_of(&w, "bob");
        let svc = service(&mut w, BuiltinIdentity::LocalSystem);
        impersonate_blanket(&mut w, svc);
        let bob = user_shell(&mut w, "bob", 2, true);
        let from_2 = download(&mut w, svc, URL, &format!("{PUBLIC}\\s2.bin"));
        let opts_2 = options(&mut w, svc, from_2);
        assert_eq!(
            method(&mut w, bob, opts_2, Method::SetHelperToken).hr,
            HResult::SOk,
            "{profile}"
        );
        assert_eq!(
            set_flags(&mut w, svc, opts_2, token_flags::NETWORK),
            HResult::SOk
        );
        resume(&mut w, svc, from_2);
        advance(&mut w, 3);
        assert_eq!(state(&w, from_2), JobState::Transferring, "{profile}");

        let bob_logon = console_logon(&w, &bob_sid, 2);
        let out = w.apply(&Op::Host {
            op: simos::Op::Logoff { logon: bob_logon },
        });
        ok(&out);
        assert!(out.rules.contains(&simos::rules::ids::TS_OWNER_LOGOFF));
        assert!(!w.host.terminal_sessions[&("WS01".to_string(), 2)].active);
        assert_eq!(state(&w, from_2), JobState::Error, "{profile}");
        assert!(w.job_of(from_2).unwrap().helper.is_none());
        assert_eq!(
            error_of(&mut w, svc, from_2),
            Ok((ErrorContext::GeneralQueueManager, HResult::BgETokenRequired)),
            "{profile}"
        );
        assert_eq!(
            discards(&w, job_id(&w, from_2)),
            ["terminal session end"],
            "{profile}"
        );
    }
}

/// While another Winlogon user is still in the session, one user's logoff
/// does not end it, and a helper token that user did not set stays.
#[test]
fn a_logoff_that_leaves_the_session_in_use_keeps_its_helpers() {
    for profile in WIN7_ON {
        let mut w = world(profile);
        let (alice_sid, bob_sid) = (sid_of(&w, "alice"), sid_of(&w, "bob"));
        let svc = service(&mut w, BuiltinIdentity::LocalSystem);
        impersonate_blanket(&mut w, svc);
        let bob = user_shell(&mut w, "bob", 2, true);
        user_shell(&mut w, "alice", 2, true);
        let job = download(&mut w, svc, URL, &format!("{PUBLIC}\\s2.bin"));
        let opts = options(&mut w, svc, job);
        assert_eq!(
            method(&mut w, bob, opts, Method::SetHelperToken).hr,
            HResult::SOk
        );
        let alice_logon = console_logon(&w, &alice_sid, 2);
        logoff(&mut w, alice_logon);
        assert!(w.host.terminal_sessions[&("WS01".to_string(), 2)].active);
        assert_eq!(
            helper_sid(&mut w, svc, opts),
            Ok(Some(bob_sid.to_string())),
            "{profile}"
        );
        assert_eq!(state(&w, job), JobState::Suspended, "{profile}");
    }
}

#[test]
fn terminal_session_end_reaches_a_job_whose_owner_stays_logged_on() {
    for profile in FROM_1607 {
        let mut w = world(profile);
        let carol = sid_of(&w, "carol");
        let alice = user_shell(&mut w, "alice", 1, false);
        let bob = user_shell(&mut w, "bob", 2, true);
        let from_2 = download(&mut w, alice, URL, &format!("{PUBLIC}\\u2.bin"));
        let from_1 = download(&mut w, alice, URL, &format!("{PUBLIC}\\u1.bin"));
        let opts_2 = options(&mut w, alice, from_2);
        let opts_1 = options(&mut w, alice, from_1);
        // A process in session 2 sets the helper through alice's pointer:
        // (a) was met at alice's QueryInterface, bob is no administrator.
        assert_eq!(
            method(&mut w, bob, opts_2, Method::SetHelperToken).hr,
            HResult::SOk
        );
        assert_eq!(set_helper_as(&mut w, alice, opts_1, "carol"), HResult::SOk);
        for opts in [opts_2, opts_1] {
            assert_eq!(
                set_flags(&mut w, alice, opts, token_flags::NETWORK),
                HResult::SOk
            );
        }
        resume(&mut w, alice, from_2);
        resume(&mut w, alice, from_1);
        advance(&mut w, 3);

        end_session(&mut w, 2);
        assert_eq!(state(&w, from_2), JobState::Error, "{profile}");
        assert_eq!(
            error_of(&mut w, alice, from_2),
            Ok((ErrorContext::GeneralQueueManager, HResult::BgETokenRequired))
        );
        // from_1 waited its turn behind from_2 (one background job at a
        // time) and is untouched by the session's end.
        assert_eq!(state(&w, from_1), JobState::Queued, "{profile}");
        assert_eq!(
            helper_sid(&mut w, alice, opts_1),
            Ok(Some(carol.to_string()))
        );
        advance(&mut w, 10);
        assert_eq!(state(&w, from_1), JobState::Transferred, "{profile}");

        // Recovery without a helper: clear the flags, resume as alice.
        assert_eq!(set_flags(&mut w, alice, opts_2, 0), HResult::SOk);
        resume(&mut w, alice, from_2);
        advance(&mut w, 10);
        assert_eq!(state(&w, from_2), JobState::Transferred, "{profile}");
        let alice_sid = sid_of(&w, "alice");
        let last = accesses(&w, job_id(&w, from_2))
            .into_iter()
            .rev()
            .find(|a| a.resource == Resource::Remote)
            .unwrap();
        assert_eq!(
            (last.acting, last.user),
            (Acting::Owner, Some(alice_sid)),
            "{profile}"
        );
    }
}

// ---------------------------------------------------------------------------
// 4. The identity used for each resource

#[derive(Debug, Clone, Copy)]
enum Kind {
    Smb,
    Http,
    Upload,
}

const UPLOAD_URL: &str = "http://web/upload";

/// Defines an upload source readable by every authenticated user and
/// publishes its size.
fn upload_source(w: &mut World, path: &str) {
    ok(&w.apply(&Op::Host {
        op: simos::Op::Object(ObjectOp::Define {
            machine: "WS01".to_string(),
            path: path.to_string(),
            kind: ObjectKind::File,
            sddl: "O:BAG:SYD:(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;AU)".to_string(),
        }),
    }));
    ok(&w.apply(&Op::Publish {
        name: path.to_string(),
        bytes: 2500,
    }));
}

#[test]
fn each_flag_combination_selects_the_identity_for_each_resource() {
    for profile in WIN7_ON {
        let mut w = world(profile);
        let admin = sid_of(&w, "admin");
        let carol = sid_of(&w, "carol");
        let (_, elevated) = admin_console(&mut w, 1);
        let mut jobs = Vec::new();
        for flags in [0, token_flags::LOCAL_FILE, token_flags::NETWORK, 3] {
            for kind in [Kind::Smb, Kind::Http, Kind::Upload] {
                let job = match kind {
                    Kind::Smb => {
                        download(&mut w, elevated, UNC, &format!("{PUBLIC}\\smb{flags}.bin"))
                    }
                    Kind::Http => {
                        download(&mut w, elevated, URL, &format!("{PUBLIC}\\http{flags}.bin"))
                    }
                    Kind::Upload => {
                        let source = format!("{PUBLIC}\\up{flags}.bin");
                        upload_source(&mut w, &source);
                        let job = create(&mut w, elevated, JobType::Upload);
                        let remote = format!("{UPLOAD_URL}/up{flags}.bin");
                        assert_eq!(
                            add_file(&mut w, elevated, job, &remote, &source),
                            HResult::SOk
                        );
                        job
                    }
                };
                let opts = options(&mut w, elevated, job);
                assert_eq!(set_helper_as(&mut w, elevated, opts, "carol"), HResult::SOk);
                assert_eq!(set_flags(&mut w, elevated, opts, flags), HResult::SOk);
                resume(&mut w, elevated, job);
                jobs.push((job, flags, kind));
            }
        }
        // One background job transfers at a time (BITS-SCHEDULE).
        advance(&mut w, 120);
        for &(job, flags, kind) in &jobs {
            let what = format!("{profile} flags={flags} {kind:?}");
            assert_eq!(state(&w, job), JobState::Transferred, "{what}");
            if !matches!(kind, Kind::Upload) {
                assert_eq!(
                    method(&mut w, elevated, job, Method::Complete).hr,
                    HResult::SOk,
                    "{what}"
                );
            }
            let expect = |flag: u32| {
                if flags & flag != 0 {
                    (Acting::Helper, Some(carol.clone()))
                } else {
                    (Acting::Owner, Some(admin.clone()))
                }
            };
            let seen = accesses(&w, job_id(&w, job));
            for (resource, flag) in [
                (Resource::Remote, token_flags::NETWORK),
                (Resource::LocalFile, token_flags::LOCAL_FILE),
            ] {
                let of: Vec<_> = seen.iter().filter(|a| a.resource == resource).collect();
                assert!(!of.is_empty(), "{what}: no {resource:?} access in {seen:?}");
                for a in of {
                    assert_eq!((a.acting, a.user.clone()), expect(flag), "{what}: {a:?}");
                    assert!(a.granted, "{what}: {a:?}");
                }
            }
            // Downloads: the temporary file and the final rename; uploads: the source.
            let locals: Vec<_> = seen
                .iter()
                .filter(|a| a.resource == Resource::LocalFile)
                .map(|a| a.name.to_ascii_lowercase())
                .collect();
            match kind {
                Kind::Upload => assert!(
                    locals.contains(&format!("{PUBLIC}\\up{flags}.bin").to_ascii_lowercase()),
                    "{what}: {locals:?}"
                ),
                Kind::Smb | Kind::Http => {
                    assert!(
                        locals.iter().any(|n| n.ends_with(".tmp")),
                        "{what}: {locals:?}"
                    );
                    let name = if matches!(kind, Kind::Smb) {
                        "smb"
                    } else {
                        "http"
                    };
                    let local = format!("{PUBLIC}\\{name}{flags}.bin");
                    assert!(
                        locals.contains(&local.to_ascii_lowercase()),
                        "{what}: {locals:?}"
                    );
                    assert!(w.host.object("WS01", &local).is_some(), "{what}");
                }
            }
        }
    }
}

#[test]
fn the_selected_identity_is_the_one_access_is_checked_for() {
    for profile in WIN7_ON {
        let mut w = world(profile);
        let carol = sid_of(&w, "carol");
        // Only carol may read the share.
        support::server(
            &mut w.host,
            "fs",
            simos::network::ServerKind::SmbShare,
            "FS",
            "cifs/fs.corp.example",
            &format!("D:(A;;FA;;;{carol})"),
        );
        let (_, elevated) = admin_console(&mut w, 1);
        let run = |w: &mut World, local: &str, flags: u32| -> PointerId {
            let job = download(w, elevated, UNC, local);
            let opts = options(w, elevated, job);
            assert_eq!(set_helper_as(w, elevated, opts, "carol"), HResult::SOk);
            assert_eq!(set_flags(w, elevated, opts, flags), HResult::SOk);
            resume(w, elevated, job);
            advance(w, 10);
            job
        };
        // As the owner, the share refuses.
        let owner = run(&mut w, &format!("{PUBLIC}\\o.bin"), 0);
        assert_eq!(state(&w, owner), JobState::Error, "{profile}");
        assert_eq!(
            error_of(&mut w, elevated, owner),
            Ok((ErrorContext::RemoteFile, HResult::EAccessDenied)),
            "{profile}"
        );
        // As the helper it grants.
        let helper = run(&mut w, &format!("{PUBLIC}\\h.bin"), token_flags::NETWORK);
        assert_eq!(state(&w, helper), JobState::Transferred, "{profile}");
        // Carol cannot create the temporary file in the protected directory.
        let local = run(
            &mut w,
            &format!("{PROTECTED}\\l.bin"),
            token_flags::NETWORK | token_flags::LOCAL_FILE,
        );
        assert_eq!(state(&w, local), JobState::Error, "{profile}");
        assert_eq!(
            error_of(&mut w, elevated, local),
            Ok((ErrorContext::LocalFile, HResult::EAccessDenied)),
            "{profile}"
        );
        let denied = accesses(&w, job_id(&w, local))
            .into_iter()
            .find(|a| !a.granted)
            .unwrap();
        assert_eq!(
            (denied.resource, denied.acting, denied.user),
            (Resource::LocalFile, Acting::Helper, Some(carol.clone())),
            "{profile}"
        );
        // The owner (elevated) may write there.
        let owner_local = run(&mut w, &format!("{PROTECTED}\\m.bin"), token_flags::NETWORK);
        assert_eq!(state(&w, owner_local), JobState::Transferred, "{profile}");
    }
}

/// Defines a client certificate's private key that only SYSTEM and the
/// administrator may open; returns its path.
fn client_key(w: &mut World) -> String {
    let admin = sid_of(w, "admin");
    let path = "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys\\client".to_string();
    ok(&w.apply(&Op::Host {
        op: simos::Op::Object(ObjectOp::Define {
            machine: "WS01".to_string(),
            path: path.clone(),
            kind: ObjectKind::CertificatePrivateKey,
            sddl: format!("O:SYG:SYD:(A;;FA;;;SY)(A;;FA;;;{admin})"),
        }),
    }));
    path
}

fn with_certificate(
    w: &mut World,
    thread: ThreadId,
    local: &str,
    key: &str,
    flags: u32,
) -> PointerId {
    let job = download(w, thread, URL, local);
    let http = qi(w, thread, job, Interface::HttpOptions).unwrap();
    assert_eq!(
        method(
            w,
            thread,
            http,
            Method::SetClientCertificate {
                path: key.to_string()
            }
        )
        .hr,
        HResult::SOk
    );
    let opts = options(w, thread, job);
    assert_eq!(set_helper_as(w, thread, opts, "carol"), HResult::SOk);
    assert_eq!(set_flags(w, thread, opts, flags), HResult::SOk);
    resume(w, thread, job);
    job
}

#[test]
fn the_client_certificate_is_always_opened_as_the_owner() {
    for profile in WIN7_ON {
        let mut w = world(profile);
        let admin = sid_of(&w, "admin");
        let carol = sid_of(&w, "carol");
        let key = client_key(&mut w);
        let (_, elevated) = admin_console(&mut w, 1);
        let svc = service(&mut w, BuiltinIdentity::LocalSystem);
        impersonate_blanket(&mut w, svc);

        let plain = with_certificate(&mut w, elevated, &format!("{PUBLIC}\\c0.bin"), &key, 0);
        let local = with_certificate(
            &mut w,
            elevated,
            &format!("{PUBLIC}\\c1.bin"),
            &key,
            token_flags::LOCAL_FILE,
        );
        let network = with_certificate(
            &mut w,
            elevated,
            &format!("{PUBLIC}\\c2.bin"),
            &key,
            token_flags::NETWORK,
        );
        let both = with_certificate(&mut w, elevated, &format!("{PUBLIC}\\c3.bin"), &key, 3);
        let system = with_certificate(
            &mut w,
            svc,
            &format!("{PUBLIC}\\c4.bin"),
            &key,
            token_flags::NETWORK,
        );
        advance(&mut w, 20);

        for (job, owner) in [
            (plain, &admin),
            (local, &admin),
            (system, &sids::local_system()),
        ] {
            assert_eq!(state(&w, job), JobState::Transferred, "{profile}");
            let certs: Vec<_> = accesses(&w, job_id(&w, job))
                .into_iter()
                .filter(|a| a.resource == Resource::ClientCertificate)
                .collect();
            assert!(!certs.is_empty(), "{profile}");
            for a in certs {
                assert_eq!(
                    (a.acting, a.user.as_ref(), a.granted),
                    (Acting::Owner, Some(owner), true),
                    "{profile}"
                );
            }
        }
        // LocalSystem with BG_TOKEN_NETWORK: the server still sees the helper.
        assert!(accesses(&w, job_id(&w, system)).iter().any(|a| {
            a.resource == Resource::Remote
                && a.acting == Acting::Helper
                && a.user.as_ref() == Some(&carol)
        }));
        // Any other owner with BG_TOKEN_NETWORK fails with 0x80072F9A.
        for job in [network, both] {
            assert_eq!(state(&w, job), JobState::Error, "{profile}");
            let (_, code) = error_of(&mut w, elevated, job).unwrap();
            assert_eq!(code, HResult::WinHttpClientCertNoAccessPrivateKey);
            assert_eq!(code.code(), 0x8007_2F9A);
            assert!(
                !accesses(&w, job_id(&w, job)).iter().any(|a| a.resource
                    == Resource::ClientCertificate
                    && a.acting == Acting::Helper),
                "{profile}"
            );
        }
    }
}

#[test]
fn a_network_service_owner_with_network_flag_and_certificate_fails() {
    for profile in FROM_1607 {
        let mut w = world(profile);
        let key = client_key(&mut w);
        let svc = service(&mut w, BuiltinIdentity::NetworkService);
        impersonate_blanket(&mut w, svc);
        let job = with_certificate(
            &mut w,
            svc,
            &format!("{PUBLIC}\\ns.bin"),
            &key,
            token_flags::NETWORK,
        );
        advance(&mut w, 10);
        assert_eq!(state(&w, job), JobState::Error, "{profile}");
        assert_eq!(
            error_of(&mut w, svc, job).map(|(_, code)| code),
            Ok(HResult::WinHttpClientCertNoAccessPrivateKey),
            "{profile}"
        );
    }
}

#[test]
fn complete_renames_with_the_helper_under_local_file_and_fails_where_it_cannot_write() {
    for profile in WIN7_ON {
        let mut w = world(profile);
        let carol = sid_of(&w, "carol");
        let (_, elevated) = admin_console(&mut w, 1);
        let local = format!("{PROTECTED}\\file.bin");
        let job = download(&mut w, elevated, URL, &local);
        let opts = options(&mut w, elevated, job);
        assert_eq!(set_helper_as(&mut w, elevated, opts, "carol"), HResult::SOk);
        resume(&mut w, elevated, job);
        advance(&mut w, 10);
        // The temporary file was written as the owner (no flags).
        assert_eq!(state(&w, job), JobState::Transferred, "{profile}");

        assert_eq!(
            set_flags(&mut w, elevated, opts, token_flags::LOCAL_FILE),
            HResult::SOk
        );
        assert_eq!(
            method(&mut w, elevated, job, Method::Complete).hr,
            HResult::EAccessDenied,
            "{profile}"
        );
        assert_eq!(state(&w, job), JobState::Transferred, "{profile}");
        assert!(w.host.object("WS01", &local).is_none(), "{profile}");
        let last = accesses(&w, job_id(&w, job)).pop().unwrap();
        assert_eq!(
            (last.resource, last.acting, last.user, last.granted),
            (
                Resource::LocalFile,
                Acting::Helper,
                Some(carol.clone()),
                false
            ),
            "{profile}"
        );
        assert!(last.name.eq_ignore_ascii_case(&local));

        // Back to the owner's identity, the rename succeeds.
        assert_eq!(set_flags(&mut w, elevated, opts, 0), HResult::SOk);
        assert_eq!(
            method(&mut w, elevated, job, Method::Complete).hr,
            HResult::SOk,
            "{profile}"
        );
        assert_eq!(state(&w, job), JobState::Acknowledged, "{profile}");
        assert!(w.host.object("WS01", &local).is_some(), "{profile}");
    }
}

/// A helper token from a NETWORK logon holds no credentials: with
/// BG_TOKEN_NETWORK the service's Kerberos attempt for the user is
/// refused and the request goes out anonymously. An HTTP server that
/// takes no anonymous request answers 401, and the job records that
/// answer (BG_E_HTTP_ERROR_401), not the refused ticket; a share that
/// admits the anonymous session but not ANONYMOUS LOGON on its ACL fails
/// the open with E_ACCESSDENIED.
#[test]
fn a_network_logon_helper_gets_the_answer_of_the_server() {
    for profile in WIN7_ON {
        let mut w = world(profile);
        let (_, elevated) = admin_console(&mut w, 1);
        for (remote, code) in [
            (URL, HResult::HttpError(401)),
            (UNC, HResult::EAccessDenied),
        ] {
            let job = download(&mut w, elevated, remote, &format!("{PUBLIC}\\net.bin"));
            let opts = options(&mut w, elevated, job);
            let bob = logon_user(&mut w, elevated, "bob", LogonType::Network);
            assert_eq!(
                set_helper_impersonating(&mut w, elevated, opts, bob),
                HResult::SOk
            );
            assert_eq!(
                set_flags(&mut w, elevated, opts, token_flags::NETWORK),
                HResult::SOk
            );
            resume(&mut w, elevated, job);
            advance(&mut w, 2);
            assert_eq!(state(&w, job), JobState::Error, "{profile} {remote}");
            assert_eq!(
                error_of(&mut w, elevated, job),
                Ok((ErrorContext::RemoteFile, code)),
                "{profile} {remote}"
            );
            let last = accesses(&w, job_id(&w, job)).pop().unwrap();
            assert_eq!(last.acting, Acting::Helper);
            assert!(!last.granted);
        }
    }
}

/// What the far side saw, per remote access of an operation: the job it
/// was for, the identity the server authenticated, the scheme and
/// package, and the status it answered. A helper token with credentials
/// reaches the site as the helper by Kerberos through Negotiate; one from
/// a NETWORK logon shows the site nobody (the anonymous request it
/// refused) and gets 401; a host's own AccessServer belongs to no job.
#[test]
fn outcomes_carry_what_each_server_saw() {
    use simos::network::AuthScheme;
    for logon_type in [LogonType::Interactive, LogonType::Network] {
        let mut w = world(Profile::Win11);
        let bob_sid = sid_of(&w, "bob");
        let (_, elevated) = admin_console(&mut w, 1);
        let job = download(&mut w, elevated, URL, &format!("{PUBLIC}\\seen.bin"));
        let opts = options(&mut w, elevated, job);
        let bob = logon_user(&mut w, elevated, "bob", logon_type);
        assert_eq!(
            set_helper_impersonating(&mut w, elevated, opts, bob),
            HResult::SOk
        );
        assert_eq!(
            set_flags(&mut w, elevated, opts, token_flags::NETWORK),
            HResult::SOk
        );
        resume(&mut w, elevated, job);
        let out = w.apply(&Op::Advance { ticks: 2 });
        ok(&out);
        let id = job_id(&w, job);
        let mine: Vec<_> = out.remote.iter().filter(|r| r.job == Some(id)).collect();
        assert_eq!(mine.len(), 1, "{logon_type:?}: {:?}", out.remote);
        let seen = &mine[0].seen;
        assert_eq!(seen.server, "web");
        match logon_type {
            LogonType::Interactive => {
                assert_eq!(seen.identity.as_ref().map(|i| &i.sid), Some(&bob_sid));
                assert_eq!(seen.scheme, Some(AuthScheme::Negotiate));
                assert_eq!(seen.package, Some(AuthScheme::Kerberos));
                assert_eq!((seen.http_status, seen.granted), (Some(200), true));
            }
            _ => {
                assert_eq!(seen.identity, None);
                assert_eq!((seen.http_status, seen.granted), (Some(401), false));
            }
        }
        // Nothing is left over for the next operation.
        let out = w.apply(&Op::Advance { ticks: 1 });
        assert!(out.remote.is_empty(), "{:?}", out.remote);
    }
    // A host operation's access belongs to no job.
    let mut w = world(Profile::Win11);
    let (_, elevated) = admin_console(&mut w, 1);
    let out = w.apply(&Op::Host {
        op: simos::Op::Network(simos::network::NetworkOp::Access {
            thread: elevated,
            server: "fs".to_string(),
            desired: winsec::AccessMask::GENERIC_READ,
        }),
    });
    assert_eq!(out.remote.len(), 1);
    assert_eq!(out.remote[0].job, None);
    assert_eq!(out.remote[0].seen.server, "fs");
    assert_eq!(out.remote[0].seen.http_status, None);
    assert!(out.remote[0].seen.granted);
}
