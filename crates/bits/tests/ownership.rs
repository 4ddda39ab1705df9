//! Job ownership and who may see, change and take jobs ([SEC], [UNC], [HT], [TO-SHT]).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

mod support;

use bits::{
    Acting, BitsEvent, Call, HResult, Interface, JobId, JobState, JobType, Method, Op, PointerId,
    Profile, Resource, Value, World,
};
use simos::{BuiltinIdentity, LogonType, ThreadId};
use support::*;
use winsec::well_known::sids;
use winsec::Sid;

// ---------------------------------------------------------------------
// Helpers local to this file.
// ---------------------------------------------------------------------

/// The job a pointer reaches.
fn id_of(w: &World, pointer: PointerId) -> JobId {
    w.job_of(pointer).unwrap().id
}

/// `GetJob`: the pointer, or the failing HRESULT.
fn get_job(w: &mut World, thread: ThreadId, job: JobId) -> Result<PointerId, HResult> {
    let out = call(w, thread, Call::GetJob { job });
    match out.value {
        Value::Pointer { pointer } => {
            assert_eq!(out.hr, HResult::SOk);
            Ok(pointer)
        }
        _ => Err(out.hr),
    }
}

/// `EnumJobs`: the enumerator, or the failing HRESULT.
fn enum_jobs(w: &mut World, thread: ThreadId, all_users: bool) -> Result<PointerId, HResult> {
    let out = call(w, thread, Call::EnumJobs { all_users });
    match out.value {
        Value::Pointer { pointer } => {
            assert_eq!(out.hr, HResult::SOk);
            Ok(pointer)
        }
        _ => Err(out.hr),
    }
}

/// `IEnumBackgroundCopyJobs::GetCount`.
fn get_count(w: &mut World, thread: ThreadId, enumerator: PointerId) -> u64 {
    let out = method(w, thread, enumerator, Method::GetCount);
    assert_eq!(out.hr, HResult::SOk);
    match out.value {
        Value::Number { number } => number,
        other => panic!("GetCount returned {other:?}"),
    }
}

/// `IEnumBackgroundCopyJobs::Next`: the HRESULT and the pointers handed out.
fn next(
    w: &mut World,
    thread: ThreadId,
    enumerator: PointerId,
    count: u32,
    fetched: bool,
) -> (HResult, Vec<PointerId>) {
    let out = method(w, thread, enumerator, Method::Next { count, fetched });
    let pointers = match out.value {
        Value::Pointers { pointers } => pointers,
        Value::None => Vec::new(),
        other => panic!("Next returned {other:?}"),
    };
    (out.hr, pointers)
}

/// Every job an enumerator lists, by draining it from the start.
fn listed(w: &mut World, thread: ThreadId, enumerator: PointerId) -> Vec<JobId> {
    assert_eq!(
        method(w, thread, enumerator, Method::Reset).hr,
        HResult::SOk
    );
    let (_, pointers) = next(w, thread, enumerator, 1000, true);
    let mut ids: Vec<JobId> = pointers.into_iter().map(|p| id_of(w, p)).collect();
    ids.sort();
    ids
}

/// `GetOwner` as text.
fn owner(w: &mut World, thread: ThreadId, pointer: PointerId) -> String {
    let out = method(w, thread, pointer, Method::GetOwner);
    assert_eq!(out.hr, HResult::SOk);
    match out.value {
        Value::Text { text: Some(t) } => t,
        other => panic!("GetOwner returned {other:?}"),
    }
}

/// `GetOwnerElevationState` and `GetOwnerIntegrityLevel` through an
/// `IBackgroundCopyJob4` pointer obtained with QueryInterface.
fn owner_token_facts(w: &mut World, thread: ThreadId, pointer: PointerId) -> (bool, u64) {
    let job4 = qi(w, thread, pointer, Interface::Job4).unwrap();
    let elevated = method(w, thread, job4, Method::GetOwnerElevationState);
    assert_eq!(elevated.hr, HResult::SOk);
    let integrity = method(w, thread, job4, Method::GetOwnerIntegrityLevel);
    assert_eq!(integrity.hr, HResult::SOk);
    match (elevated.value, integrity.value) {
        (Value::Bool { flag }, Value::Number { number }) => (flag, number),
        other => panic!("owner facts: {other:?}"),
    }
}

fn set_description(w: &mut World, thread: ThreadId, pointer: PointerId, text: &str) -> HResult {
    method(
        w,
        thread,
        pointer,
        Method::SetDescription {
            description: Some(text.to_string()),
        },
    )
    .hr
}

fn try_create(w: &mut World, thread: ThreadId) -> Result<PointerId, HResult> {
    let out = call(
        w,
        thread,
        Call::CreateJob {
            name: "job".to_string(),
            job_type: JobType::Download,
        },
    );
    match out.value {
        Value::Job { pointer, .. } => Ok(pointer),
        _ => Err(out.hr),
    }
}

/// Logs off the logon session of a thread's process token (both halves
/// of a split token belong to the same session).
fn logoff(w: &mut World, thread: ThreadId) {
    let primary = w.host.process_of(thread).unwrap().primary_token;
    let logon = w.host.token(primary).unwrap().logon;
    ok(&w.apply(&Op::Host {
        op: simos::Op::Logoff { logon },
    }));
}

/// How many bytes the engine moved for a job so far.
fn progress_events(w: &World, job: JobId) -> usize {
    w.bits
        .log
        .iter()
        .filter(|e| matches!(e, BitsEvent::FileProgress { job: j, .. } if *j == job))
        .count()
}

/// The local-file accesses of a job: (name, acting, user, granted).
fn local_accesses(w: &World, job: JobId) -> Vec<(String, Acting, Option<Sid>, bool)> {
    w.bits
        .log
        .iter()
        .filter_map(|e| match e {
            BitsEvent::ResourceAccess {
                job: j,
                resource: Resource::LocalFile,
                name,
                acting,
                user,
                granted,
            } if *j == job => Some((name.clone(), *acting, user.clone(), *granted)),
            _ => None,
        })
        .collect()
}

/// A download job of `thread` with one file from [`URL`] into `C:\Public`.
fn job_with_file(w: &mut World, thread: ThreadId, file: &str) -> PointerId {
    let job = create(w, thread, JobType::Download);
    assert_eq!(
        add_file(w, thread, job, URL, &format!("{PUBLIC}\\{file}")),
        HResult::SOk
    );
    job
}

/// Makes `thread` impersonate a restricted copy of its own process token.
///
/// simos has no `CreateRestrictedToken` operation, so the token is built
/// the way that API would build it: the process's token object is
/// cloned, `winsec::Token::restricted` adds a restricting SID (Everyone),
/// the result is stored with `Host::insert_token` in the same logon
/// session, and the thread impersonates it with `ImpersonateLoggedOnUser`
/// (allowed: same user). The caller's blanket must cloak for BITS to see it.
fn impersonate_restricted(w: &mut World, thread: ThreadId) {
    let primary = w.host.process_of(thread).unwrap().primary_token;
    let source = w.host.token(primary).unwrap().clone();
    let restricted = source.token.restricted(&[], &[], &[sids::everyone()]);
    assert!(restricted.is_restricted());
    let token = w.host.insert_token(restricted, source.logon, None);
    impersonate(w, thread, token);
    let effective = w.host.effective_token(thread).unwrap();
    assert!(effective.is_restricted());
}

/// alice (session 1), bob (session 2) and admin (session 3) at consoles of
/// WS01; the last thread is admin's elevated process.
struct Desk {
    alice: ThreadId,
    bob: ThreadId,
    admin: ThreadId,
    admin_up: ThreadId,
}

fn desk(w: &mut World) -> Desk {
    let alice = console(w, "alice", 1);
    let bob = console(w, "bob", 2);
    let admin = console(w, "admin", 3);
    let admin_up = elevated(w, admin);
    Desk {
        alice,
        bob,
        admin,
        admin_up,
    }
}

// ---------------------------------------------------------------------
// [UNC] Ownership: CreateJob records the owner.
// ---------------------------------------------------------------------

#[test]
fn create_job_records_the_callers_identity() {
    let mut w = world(Profile::Win11);
    let d = desk(&mut w);
    let alice_sid = sid_of(&w, "alice");
    let admin_sid = sid_of(&w, "admin");

    let a = create(&mut w, d.alice, JobType::Download);
    assert_eq!(owner(&mut w, d.alice, a), alice_sid.to_string());
    assert_eq!(owner_token_facts(&mut w, d.alice, a), (false, 0x2000));
    // The IBackgroundCopyJob4 methods are not on IBackgroundCopyJob.
    assert_eq!(
        method(&mut w, d.alice, a, Method::GetOwnerElevationState).hr,
        HResult::ENoInterface
    );

    let up = create(&mut w, d.admin_up, JobType::Download);
    assert_eq!(owner(&mut w, d.admin_up, up), admin_sid.to_string());
    assert_eq!(owner_token_facts(&mut w, d.admin_up, up), (true, 0x3000));

    // The same administrator through the UAC-filtered token: not elevated,
    // medium integrity.
    let filtered = create(&mut w, d.admin, JobType::Download);
    assert_eq!(owner(&mut w, d.admin, filtered), admin_sid.to_string());
    assert_eq!(
        owner_token_facts(&mut w, d.admin, filtered),
        (false, 0x2000)
    );

    let svc = service(&mut w, BuiltinIdentity::LocalSystem);
    let s = create(&mut w, svc, JobType::Download);
    assert_eq!(owner(&mut w, svc, s), "S-1-5-18");
    assert_eq!(owner_token_facts(&mut w, svc, s), (true, 0x4000));
    assert!(w.job(id_of(&w, s)).unwrap().owner.always_logged_on);
}

#[test]
fn a_service_impersonating_a_user_creates_the_users_job_only_with_cloaking() {
    let mut w = world(Profile::Win11);
    let carol_sid = sid_of(&w, "carol");
    let svc = service(&mut w, BuiltinIdentity::LocalSystem);
    let carol = logon_user(&mut w, svc, "carol", LogonType::Interactive);
    impersonate(&mut w, svc, carol);

    // COM's default blanket does not cloak: BITS sees the process identity.
    let uncloaked = create(&mut w, svc, JobType::Download);
    assert_eq!(owner(&mut w, svc, uncloaked), "S-1-5-18");

    // With dynamic cloaking the thread's impersonation token is the caller.
    impersonate_blanket(&mut w, svc);
    let cloaked = create(&mut w, svc, JobType::Download);
    revert(&mut w, svc);
    assert_eq!(owner(&mut w, svc, cloaked), carol_sid.to_string());
    assert_eq!(owner_token_facts(&mut w, svc, cloaked), (false, 0x2000));
    let job = w.job(id_of(&w, cloaked)).unwrap();
    assert!(!job.owner.always_logged_on);
    assert_eq!(job.owner.sid, carol_sid);
}

#[test]
fn a_job_created_under_an_impersonated_user_needs_that_user_logged_on() {
    let mut w = world(Profile::Win11);
    let svc = service(&mut w, BuiltinIdentity::LocalSystem);
    impersonate_blanket(&mut w, svc);
    let carol = logon_user(&mut w, svc, "carol", LogonType::Interactive);
    impersonate(&mut w, svc, carol);
    let job = job_with_file(&mut w, svc, "carol.bin");
    assert_eq!(method(&mut w, svc, job, Method::Resume).hr, HResult::SOk);
    revert(&mut w, svc);
    let id = id_of(&w, job);

    advance(&mut w, 20);
    assert_eq!(state(&w, job), JobState::Queued);
    assert_eq!(progress_events(&w, id), 0);

    console(&mut w, "carol", 4);
    advance(&mut w, 20);
    assert_eq!(state(&w, job), JobState::Transferred);
}

// ---------------------------------------------------------------------
// [SEC] GetJob.
// ---------------------------------------------------------------------

#[test]
fn get_job_reports_unknown_and_final_jobs_as_not_found() {
    let mut w = world(Profile::Win11);
    let d = desk(&mut w);
    assert_eq!(
        get_job(&mut w, d.alice, JobId(9999)),
        Err(HResult::BgENotFound)
    );

    let cancelled = create(&mut w, d.alice, JobType::Download);
    let acknowledged = create(&mut w, d.alice, JobType::Download);
    let (c, a) = (id_of(&w, cancelled), id_of(&w, acknowledged));
    assert_eq!(get_job(&mut w, d.alice, c).map(|_| ()), Ok(()));
    assert_eq!(
        method(&mut w, d.alice, cancelled, Method::Cancel).hr,
        HResult::SOk
    );
    assert_eq!(
        method(&mut w, d.alice, acknowledged, Method::Complete).hr,
        HResult::SOk
    );
    assert_eq!(state(&w, acknowledged), JobState::Acknowledged);
    for id in [c, a] {
        assert_eq!(get_job(&mut w, d.alice, id), Err(HResult::BgENotFound));
        // Not found, not denied, for everybody.
        assert_eq!(get_job(&mut w, d.bob, id), Err(HResult::BgENotFound));
        assert_eq!(get_job(&mut w, d.admin_up, id), Err(HResult::BgENotFound));
    }
}

#[test]
fn get_job_denies_other_standard_users() {
    for profile in [Profile::Vista, Profile::Win7, Profile::Win11] {
        let mut w = world(profile);
        let d = desk(&mut w);
        let job = create(&mut w, d.alice, JobType::Download);
        let id = id_of(&w, job);
        assert_eq!(
            get_job(&mut w, d.bob, id),
            Err(HResult::EAccessDenied),
            "{profile}"
        );
        // An administrator's UAC-filtered token is no administrator.
        assert_eq!(
            get_job(&mut w, d.admin, id),
            Err(HResult::EAccessDenied),
            "{profile}"
        );
        // The owner herself may.
        let again = get_job(&mut w, d.alice, id).unwrap();
        assert_eq!(id_of(&w, again), id);
    }
}

#[test]
fn an_elevated_administrator_changes_another_users_job_without_taking_ownership() {
    for profile in [Profile::Vista, Profile::Win7, Profile::Win11] {
        let mut w = world(profile);
        let d = desk(&mut w);
        let alice_sid = sid_of(&w, "alice");
        let job = create(&mut w, d.alice, JobType::Download);
        let id = id_of(&w, job);

        let p = get_job(&mut w, d.admin_up, id).unwrap();
        assert_eq!(
            set_description(&mut w, d.admin_up, p, "set by admin"),
            HResult::SOk,
            "{profile}"
        );
        assert_eq!(
            add_file(&mut w, d.admin_up, p, URL, &format!("{PUBLIC}\\a.bin")),
            HResult::SOk,
            "{profile}"
        );
        assert_eq!(
            method(&mut w, d.admin_up, p, Method::SetPriority { priority: 1 }).hr,
            HResult::SOk
        );
        // Still alice's job, and she sees the change.
        assert_eq!(owner(&mut w, d.admin_up, p), alice_sid.to_string());
        let out = method(&mut w, d.alice, job, Method::GetDescription);
        assert_eq!(out.hr, HResult::SOk);
        assert_eq!(
            out.value,
            Value::Text {
                text: Some("set by admin".to_string())
            }
        );
        let j = w.job(id).unwrap();
        assert_eq!(j.owner.sid, alice_sid);
        assert_eq!(j.files.len(), 1);
        assert!(!w
            .bits
            .log
            .iter()
            .any(|e| matches!(e, BitsEvent::OwnerChanged { .. })));
    }
}

// ---------------------------------------------------------------------
// [SEC] EnumJobs.
// ---------------------------------------------------------------------

#[test]
fn enum_jobs_lists_only_the_callers_jobs_and_all_users_needs_an_administrator() {
    let mut w = world(Profile::Win11);
    let d = desk(&mut w);
    let a1 = create(&mut w, d.alice, JobType::Download);
    let a2 = create(&mut w, d.alice, JobType::Upload);
    let b1 = create(&mut w, d.bob, JobType::Download);
    let (a1, a2, b1) = (id_of(&w, a1), id_of(&w, a2), id_of(&w, b1));

    let mine = enum_jobs(&mut w, d.alice, false).unwrap();
    assert_eq!(get_count(&mut w, d.alice, mine), 2);
    assert_eq!(listed(&mut w, d.alice, mine), vec![a1, a2]);
    let bobs = enum_jobs(&mut w, d.bob, false).unwrap();
    assert_eq!(listed(&mut w, d.bob, bobs), vec![b1]);
    // Nobody else's jobs for an administrator who does not ask for them.
    let admins = enum_jobs(&mut w, d.admin_up, false).unwrap();
    assert_eq!(get_count(&mut w, d.admin_up, admins), 0);

    // BG_JOB_ENUM_ALL_USERS.
    assert_eq!(enum_jobs(&mut w, d.bob, true), Err(HResult::EAccessDenied));
    assert_eq!(
        enum_jobs(&mut w, d.admin, true),
        Err(HResult::EAccessDenied),
        "a UAC-filtered administrator is refused"
    );
    let all = enum_jobs(&mut w, d.admin_up, true).unwrap();
    assert_eq!(listed(&mut w, d.admin_up, all), vec![a1, a2, b1]);
}

#[test]
fn enum_jobs_never_lists_final_jobs() {
    let mut w = world(Profile::Win11);
    let d = desk(&mut w);
    let keep = create(&mut w, d.alice, JobType::Download);
    let cancel = create(&mut w, d.alice, JobType::Download);
    let complete = create(&mut w, d.alice, JobType::Download);
    let bobs = create(&mut w, d.bob, JobType::Download);
    assert_eq!(
        method(&mut w, d.alice, cancel, Method::Cancel).hr,
        HResult::SOk
    );
    assert_eq!(
        method(&mut w, d.alice, complete, Method::Complete).hr,
        HResult::SOk
    );
    assert_eq!(method(&mut w, d.bob, bobs, Method::Cancel).hr, HResult::SOk);
    let keep = id_of(&w, keep);

    let mine = enum_jobs(&mut w, d.alice, false).unwrap();
    assert_eq!(get_count(&mut w, d.alice, mine), 1);
    assert_eq!(listed(&mut w, d.alice, mine), vec![keep]);
    let all = enum_jobs(&mut w, d.admin_up, true).unwrap();
    assert_eq!(listed(&mut w, d.admin_up, all), vec![keep]);
    let bobs_enum = enum_jobs(&mut w, d.bob, false).unwrap();
    assert_eq!(get_count(&mut w, d.bob, bobs_enum), 0);
    assert_eq!(
        next(&mut w, d.bob, bobs_enum, 1, false),
        (HResult::SFalse, vec![])
    );
}

#[test]
fn the_enumerator_is_a_snapshot() {
    let mut w = world(Profile::Win11);
    let d = desk(&mut w);
    create(&mut w, d.alice, JobType::Download);
    let e = enum_jobs(&mut w, d.alice, false).unwrap();
    assert_eq!(get_count(&mut w, d.alice, e), 1);
    let later = create(&mut w, d.alice, JobType::Download);
    assert_eq!(get_count(&mut w, d.alice, e), 1);
    let later = id_of(&w, later);
    assert!(!listed(&mut w, d.alice, e).contains(&later));
    // A fresh enumerator sees it.
    let fresh = enum_jobs(&mut w, d.alice, false).unwrap();
    assert_eq!(get_count(&mut w, d.alice, fresh), 2);
}

#[test]
fn enumerator_next_skip_reset_and_get_count() {
    let mut w = world(Profile::Win11);
    let d = desk(&mut w);
    for _ in 0..3 {
        create(&mut w, d.alice, JobType::Download);
    }
    let e = enum_jobs(&mut w, d.alice, false).unwrap();
    let t = d.alice;
    assert_eq!(get_count(&mut w, t, e), 3);

    // celt > 1 needs pceltFetched.
    assert_eq!(next(&mut w, t, e, 2, false), (HResult::EInvalidArg, vec![]));
    let (hr, one) = next(&mut w, t, e, 1, false);
    assert_eq!((hr, one.len()), (HResult::SOk, 1));
    let (hr, rest) = next(&mut w, t, e, 5, true);
    assert_eq!((hr, rest.len()), (HResult::SFalse, 2));
    assert_eq!(next(&mut w, t, e, 1, true), (HResult::SFalse, vec![]));
    // GetCount is the snapshot's size, wherever the cursor is.
    assert_eq!(get_count(&mut w, t, e), 3);
    // Each pointer Next hands out reaches one of alice's jobs.
    let alice_sid = sid_of(&w, "alice");
    for p in one.iter().chain(&rest) {
        assert_eq!(w.job_of(*p).unwrap().owner.sid, alice_sid);
        assert_eq!(owner(&mut w, t, *p), alice_sid.to_string());
    }

    assert_eq!(method(&mut w, t, e, Method::Reset).hr, HResult::SOk);
    assert_eq!(
        method(&mut w, t, e, Method::Skip { count: 2 }).hr,
        HResult::SOk
    );
    let (hr, third) = next(&mut w, t, e, 1, true);
    assert_eq!((hr, third.len()), (HResult::SOk, 1));
    assert_eq!(id_of(&w, third[0]), id_of(&w, rest[1]));
    assert_eq!(
        method(&mut w, t, e, Method::Skip { count: 1 }).hr,
        HResult::SFalse
    );
    assert_eq!(method(&mut w, t, e, Method::Reset).hr, HResult::SOk);
    assert_eq!(
        method(&mut w, t, e, Method::Skip { count: 4 }).hr,
        HResult::SFalse
    );
    assert_eq!(next(&mut w, t, e, 1, false), (HResult::SFalse, vec![]));
    assert_eq!(method(&mut w, t, e, Method::Reset).hr, HResult::SOk);
    assert_eq!(
        method(&mut w, t, e, Method::Skip { count: 3 }).hr,
        HResult::SOk
    );
    assert_eq!(next(&mut w, t, e, 1, false), (HResult::SFalse, vec![]));
}

// ---------------------------------------------------------------------
// [SEC] Elevation and integrity.
// ---------------------------------------------------------------------

#[test]
fn an_elevated_job_is_out_of_reach_of_the_same_admins_filtered_token() {
    for profile in [Profile::Vista, Profile::Win7, Profile::Win11] {
        let mut w = world(profile);
        let d = desk(&mut w);
        let job = create(&mut w, d.admin_up, JobType::Download);
        let id = id_of(&w, job);
        assert!(owner_token_facts(&mut w, d.admin_up, job).0);

        assert_eq!(
            get_job(&mut w, d.admin, id),
            Err(HResult::EAccessDenied),
            "{profile}"
        );
        // Its own (non-elevated) enumeration does not list it either.
        let e = enum_jobs(&mut w, d.admin, false).unwrap();
        assert_eq!(get_count(&mut w, d.admin, e), 0, "{profile}");
        // Elevated, it is fine.
        let p = get_job(&mut w, d.admin_up, id).unwrap();
        assert_eq!(set_description(&mut w, d.admin_up, p, "x"), HResult::SOk);
        let e = enum_jobs(&mut w, d.admin_up, false).unwrap();
        assert_eq!(get_count(&mut w, d.admin_up, e), 1, "{profile}");
    }
}

#[test]
fn an_elevated_admin_sees_but_cannot_modify_a_local_system_job() {
    for profile in [Profile::Vista, Profile::Win7, Profile::Win11] {
        let mut w = world(profile);
        let d = desk(&mut w);
        let svc = service(&mut w, BuiltinIdentity::LocalSystem);
        let job = create(&mut w, svc, JobType::Download);
        let id = id_of(&w, job);

        let p = get_job(&mut w, d.admin_up, id).unwrap();
        let out = method(&mut w, d.admin_up, p, Method::GetState);
        assert_eq!(out.hr, HResult::SOk, "{profile}");
        assert_eq!(
            out.value,
            Value::State {
                state: JobState::Suspended
            }
        );
        assert_eq!(owner(&mut w, d.admin_up, p), "S-1-5-18");
        assert_eq!(owner_token_facts(&mut w, d.admin_up, p), (true, 0x4000));

        assert_eq!(
            set_description(&mut w, d.admin_up, p, "hijack"),
            HResult::EAccessDenied,
            "{profile}"
        );
        assert_eq!(
            method(&mut w, d.admin_up, p, Method::Cancel).hr,
            HResult::EAccessDenied,
            "{profile}"
        );
        assert_eq!(
            add_file(&mut w, d.admin_up, p, URL, &format!("{PUBLIC}\\x.bin")),
            HResult::EAccessDenied,
            "{profile}"
        );
        // Taking the job over would be the way around: it is a change too.
        assert_eq!(
            method(&mut w, d.admin_up, p, Method::TakeOwnership).hr,
            HResult::EAccessDenied,
            "{profile}"
        );
        let j = w.job(id).unwrap();
        assert_eq!(j.state, JobState::Suspended);
        assert_eq!(j.description, "");
        assert!(j.files.is_empty());
        assert_eq!(j.owner.sid, sids::local_system());
        // The service itself may.
        assert_eq!(set_description(&mut w, svc, job, "mine"), HResult::SOk);
    }
}

// ---------------------------------------------------------------------
// [SEC] Restricted tokens.
// ---------------------------------------------------------------------

#[test]
fn a_restricted_token_cannot_create_a_job() {
    for profile in [Profile::Vista, Profile::Win7, Profile::Win11] {
        let mut w = world(profile);
        let alice = console(&mut w, "alice", 1);
        impersonate_blanket(&mut w, alice);
        impersonate_restricted(&mut w, alice);
        assert_eq!(try_create(&mut w, alice), Err(HResult::EAccessDenied));
        assert!(w.bits.jobs.is_empty());
        revert(&mut w, alice);
        assert!(try_create(&mut w, alice).is_ok(), "{profile}");
    }
}

#[test]
fn a_restricted_token_cannot_modify_a_job() {
    for profile in [Profile::Vista, Profile::Win7, Profile::Win11] {
        let mut w = world(profile);
        let alice = console(&mut w, "alice", 1);
        impersonate_blanket(&mut w, alice);
        let job = create(&mut w, alice, JobType::Download);
        let id = id_of(&w, job);

        impersonate_restricted(&mut w, alice);
        // Retrieving is reading; the pointer it gives cannot change the job.
        let p = get_job(&mut w, alice, id).unwrap();
        assert_eq!(method(&mut w, alice, p, Method::GetState).hr, HResult::SOk);
        assert_eq!(
            set_description(&mut w, alice, p, "x"),
            HResult::EAccessDenied,
            "{profile}"
        );
        assert_eq!(
            method(&mut w, alice, p, Method::Cancel).hr,
            HResult::EAccessDenied,
            "{profile}"
        );
        assert_eq!(
            add_file(&mut w, alice, p, URL, &format!("{PUBLIC}\\r.bin")),
            HResult::EAccessDenied,
            "{profile}"
        );
        revert(&mut w, alice);
        let j = w.job(id).unwrap();
        assert_eq!(j.state, JobState::Suspended);
        assert!(j.files.is_empty());
        assert_eq!(j.description, "");
    }
}

#[test]
fn a_restricted_administrator_token_can_neither_change_nor_take_a_job() {
    for profile in [Profile::Vista, Profile::Win7, Profile::Win11] {
        let mut w = world(profile);
        let d = desk(&mut w);
        let alice_sid = sid_of(&w, "alice");
        let job = create(&mut w, d.alice, JobType::Download);
        let id = id_of(&w, job);
        impersonate_blanket(&mut w, d.admin_up);
        impersonate_restricted(&mut w, d.admin_up);
        assert!(w
            .host
            .effective_token(d.admin_up)
            .unwrap()
            .has_enabled_administrators());
        let p = get_job(&mut w, d.admin_up, id).unwrap();
        assert_eq!(
            set_description(&mut w, d.admin_up, p, "x"),
            HResult::EAccessDenied,
            "{profile}"
        );
        assert_eq!(
            method(&mut w, d.admin_up, p, Method::TakeOwnership).hr,
            HResult::EAccessDenied,
            "{profile}"
        );
        revert(&mut w, d.admin_up);
        assert_eq!(w.job(id).unwrap().owner.sid, alice_sid);
        // The same administrator unrestricted may.
        let p = get_job(&mut w, d.admin_up, id).unwrap();
        assert_eq!(
            method(&mut w, d.admin_up, p, Method::TakeOwnership).hr,
            HResult::SOk,
            "{profile}"
        );
    }
}

// ---------------------------------------------------------------------
// [GP] Quotas.
// ---------------------------------------------------------------------

#[test]
fn max_jobs_per_user_binds_standard_users_only() {
    let mut w = world(Profile::Win11);
    w.bits.policy.max_jobs_per_user = 2;
    let d = desk(&mut w);
    let first = create(&mut w, d.alice, JobType::Download);
    create(&mut w, d.alice, JobType::Download);
    assert_eq!(
        try_create(&mut w, d.alice),
        Err(HResult::BgETooManyJobsPerUser)
    );
    // Per user: bob has his own allowance.
    assert!(try_create(&mut w, d.bob).is_ok());
    // A final job no longer counts.
    assert_eq!(
        method(&mut w, d.alice, first, Method::Cancel).hr,
        HResult::SOk
    );
    assert!(try_create(&mut w, d.alice).is_ok());
    assert_eq!(
        try_create(&mut w, d.alice),
        Err(HResult::BgETooManyJobsPerUser)
    );

    // Administrators and service accounts are exempt.
    for _ in 0..3 {
        assert!(try_create(&mut w, d.admin_up).is_ok());
    }
    let svc = service(&mut w, BuiltinIdentity::LocalSystem);
    for _ in 0..3 {
        assert!(try_create(&mut w, svc).is_ok());
    }
}

#[test]
fn max_files_per_job_binds_standard_users_only() {
    let mut w = world(Profile::Win11);
    w.bits.policy.max_files_per_job = 2;
    let d = desk(&mut w);
    let svc = service(&mut w, BuiltinIdentity::LocalSystem);

    let job = create(&mut w, d.alice, JobType::Download);
    for name in ["1.bin", "2.bin"] {
        assert_eq!(
            add_file(&mut w, d.alice, job, URL, &format!("{PUBLIC}\\{name}")),
            HResult::SOk
        );
    }
    assert_eq!(
        add_file(&mut w, d.alice, job, URL, &format!("{PUBLIC}\\3.bin")),
        HResult::BgETooManyFilesInJob
    );
    assert_eq!(w.job_of(job).unwrap().files.len(), 2);

    // AddFileSet over the limit adds nothing.
    let set = create(&mut w, d.alice, JobType::Download);
    let files = (1..=3)
        .map(|i| bits::FileSpec {
            remote: URL.to_string(),
            local: format!("{PUBLIC}\\s{i}.bin"),
        })
        .collect();
    assert_eq!(
        method(&mut w, d.alice, set, Method::AddFileSet { files }).hr,
        HResult::BgETooManyFilesInJob
    );
    assert!(w.job_of(set).unwrap().files.is_empty());

    for thread in [d.admin_up, svc] {
        let job = create(&mut w, thread, JobType::Download);
        for i in 0..3 {
            assert_eq!(
                add_file(&mut w, thread, job, URL, &format!("{PUBLIC}\\e{i}.bin")),
                HResult::SOk
            );
        }
        assert_eq!(w.job_of(job).unwrap().files.len(), 3);
    }
}

// ---------------------------------------------------------------------
// [J-takeownership] TakeOwnership.
// ---------------------------------------------------------------------

/// alice's job with credentials, a client certificate, custom headers and
/// a notification command line.
fn decorated_job(w: &mut World, alice: ThreadId) -> PointerId {
    let job = job_with_file(w, alice, "take.bin");
    let job2 = qi(w, alice, job, Interface::Job2).unwrap();
    let http = qi(w, alice, job, Interface::HttpOptions).unwrap();
    for m in [
        Method::SetCredentials {
            target: 1,
            scheme: 1,
            user: Some("CORP\\alice".to_string()),
            password: Some("alice-pw".to_string()),
        },
        Method::SetNotifyCmdLine {
            program: Some("C:\\Windows\\notify.exe".to_string()),
            parameters: Some("notify.exe done".to_string()),
        },
    ] {
        assert_eq!(method(w, alice, job2, m).hr, HResult::SOk);
    }
    for m in [
        Method::SetClientCertificate {
            path: format!("{PUBLIC}\\alice.key"),
        },
        Method::SetCustomHeaders {
            headers: Some("X-Tenant: a".to_string()),
        },
    ] {
        assert_eq!(method(w, alice, http, m).hr, HResult::SOk);
    }
    let j = w.job_of(job).unwrap();
    assert_eq!(j.credentials.len(), 1);
    assert!(j.client_certificate.is_some());
    assert!(j.custom_headers.is_some());
    assert!(j.notify_cmdline.is_some());
    job
}

#[test]
fn take_ownership_needs_an_elevated_administrator() {
    for profile in [Profile::Vista, Profile::Win7, Profile::Win11] {
        let mut w = world(profile);
        let d = desk(&mut w);
        let alice_sid = sid_of(&w, "alice");
        let job = create(&mut w, d.alice, JobType::Download);
        // The owner is no administrator.
        assert_eq!(
            method(&mut w, d.alice, job, Method::TakeOwnership).hr,
            HResult::EAccessDenied,
            "{profile}"
        );
        // Neither is an administrator's filtered token, even on its own job.
        let own = create(&mut w, d.admin, JobType::Download);
        assert_eq!(
            method(&mut w, d.admin, own, Method::TakeOwnership).hr,
            HResult::EAccessDenied,
            "{profile}"
        );
        assert_eq!(w.job_of(job).unwrap().owner.sid, alice_sid);
    }
}

#[test]
fn take_ownership_moves_the_job_and_strips_the_old_owners_secrets() {
    for profile in [Profile::Vista, Profile::Win7, Profile::Win11] {
        let mut w = world(profile);
        let d = desk(&mut w);
        let admin_sid = sid_of(&w, "admin");
        let job = decorated_job(&mut w, d.alice);
        let id = id_of(&w, job);

        let p = get_job(&mut w, d.admin_up, id).unwrap();
        let out = method(&mut w, d.admin_up, p, Method::TakeOwnership);
        assert_eq!(out.hr, HResult::SOk, "{profile}");
        assert!(out.events.contains(&BitsEvent::OwnerChanged {
            job: id,
            owner: admin_sid.clone(),
        }));
        assert_eq!(owner(&mut w, d.admin_up, p), admin_sid.to_string());
        assert_eq!(owner_token_facts(&mut w, d.admin_up, p), (true, 0x3000));

        let j = w.job(id).unwrap();
        assert!(j.credentials.is_empty(), "{profile}");
        assert_eq!(j.client_certificate, None);
        assert_eq!(j.custom_headers, None);
        assert_eq!(j.notify_cmdline, None);
        assert_eq!(j.files.len(), 1, "the files stay");
        // Observable through the interfaces too.
        let http = qi(&mut w, d.admin_up, p, Interface::HttpOptions).unwrap();
        let out = method(&mut w, d.admin_up, http, Method::GetCustomHeaders);
        assert_eq!(out.hr, HResult::SFalse);
        assert_eq!(out.value, Value::Text { text: None });
        let job2 = qi(&mut w, d.admin_up, p, Interface::Job2).unwrap();
        assert_eq!(
            method(
                &mut w,
                d.admin_up,
                job2,
                Method::RemoveCredentials {
                    target: 1,
                    scheme: 1
                }
            )
            .hr,
            HResult::SFalse
        );

        // The old owner has lost it; the job is now elevated, so the
        // administrator's filtered token cannot reach it either.
        assert_eq!(get_job(&mut w, d.alice, id), Err(HResult::EAccessDenied));
        assert_eq!(get_job(&mut w, d.admin, id), Err(HResult::EAccessDenied));
        let e = enum_jobs(&mut w, d.alice, false).unwrap();
        assert_eq!(get_count(&mut w, d.alice, e), 0);
        let e = enum_jobs(&mut w, d.admin_up, false).unwrap();
        assert_eq!(listed(&mut w, d.admin_up, e), vec![id]);
    }
}

#[test]
fn after_take_ownership_the_job_runs_only_while_the_new_owner_is_logged_on() {
    let mut w = world(Profile::Win11);
    let d = desk(&mut w);
    let admin_sid = sid_of(&w, "admin");
    let job = job_with_file(&mut w, d.alice, "taken.bin");
    let id = id_of(&w, job);
    let p = get_job(&mut w, d.admin_up, id).unwrap();
    assert_eq!(
        method(&mut w, d.admin_up, p, Method::TakeOwnership).hr,
        HResult::SOk
    );
    assert_eq!(
        method(&mut w, d.admin_up, p, Method::Resume).hr,
        HResult::SOk
    );

    // The new owner leaves; the old one is still at her console.
    logoff(&mut w, d.admin);
    assert!(w
        .host
        .logons
        .values()
        .any(|l| l.active && l.winlogon && l.user == sid_of(&w, "alice")));
    advance(&mut w, 30);
    assert_eq!(state(&w, job), JobState::Queued);
    assert_eq!(progress_events(&w, id), 0);
    assert!(local_accesses(&w, id).is_empty());

    // The new owner comes back: it runs, as the new owner.
    console(&mut w, "admin", 4);
    advance(&mut w, 30);
    assert_eq!(state(&w, job), JobState::Transferred);
    let accesses = local_accesses(&w, id);
    assert!(!accesses.is_empty());
    assert!(accesses
        .iter()
        .all(|(_, acting, user, granted)| *acting == Acting::Owner
            && user.as_ref() == Some(&admin_sid)
            && *granted));
}

#[test]
fn after_take_ownership_the_old_owner_need_not_be_logged_on() {
    let mut w = world(Profile::Win11);
    let d = desk(&mut w);
    let job = job_with_file(&mut w, d.alice, "taken.bin");
    let id = id_of(&w, job);
    let p = get_job(&mut w, d.admin_up, id).unwrap();
    assert_eq!(
        method(&mut w, d.admin_up, p, Method::TakeOwnership).hr,
        HResult::SOk
    );
    logoff(&mut w, d.alice);
    assert_eq!(
        method(&mut w, d.admin_up, p, Method::Resume).hr,
        HResult::SOk
    );
    advance(&mut w, 30);
    assert_eq!(state(&w, job), JobState::Transferred);
}

#[test]
fn take_ownership_of_a_final_job_is_an_invalid_state() {
    for profile in [Profile::Vista, Profile::Win7, Profile::Win11] {
        let mut w = world(profile);
        let d = desk(&mut w);
        let alice_sid = sid_of(&w, "alice");
        let cancelled = create(&mut w, d.alice, JobType::Download);
        let acknowledged = create(&mut w, d.alice, JobType::Download);
        let (c, a) = (id_of(&w, cancelled), id_of(&w, acknowledged));
        let pc = get_job(&mut w, d.admin_up, c).unwrap();
        let pa = get_job(&mut w, d.admin_up, a).unwrap();
        assert_eq!(
            method(&mut w, d.alice, cancelled, Method::Cancel).hr,
            HResult::SOk
        );
        assert_eq!(
            method(&mut w, d.alice, acknowledged, Method::Complete).hr,
            HResult::SOk
        );
        for p in [pc, pa] {
            assert_eq!(
                method(&mut w, d.admin_up, p, Method::TakeOwnership).hr,
                HResult::BgEInvalidState,
                "{profile}"
            );
            assert_eq!(w.job_of(p).unwrap().owner.sid, alice_sid);
        }
    }
}

// ---------------------------------------------------------------------
// [HT], [TO-SHT] / [SEC] Where the check happens: QueryInterface (Win7+) or every call (Vista).
// ---------------------------------------------------------------------

/// alice's job, then alice's thread impersonates bob and uses the pointer
/// she got as herself: (SetDescription, GetState, QueryInterface).
fn use_pointer_as_bob(profile: Profile, cloak: bool) -> (HResult, HResult, Result<(), HResult>) {
    let mut w = world(profile);
    let alice = console(&mut w, "alice", 1);
    console(&mut w, "bob", 2);
    if cloak {
        impersonate_blanket(&mut w, alice);
    }
    let job = create(&mut w, alice, JobType::Download);
    let bob = logon_user(&mut w, alice, "bob", LogonType::Interactive);
    impersonate(&mut w, alice, bob);
    assert_eq!(
        w.host.effective_token(alice).unwrap().user.sid,
        sid_of(&w, "bob")
    );
    let set = set_description(&mut w, alice, job, "as bob");
    let get = method(&mut w, alice, job, Method::GetState).hr;
    let q = qi(&mut w, alice, job, Interface::Job2).map(|_| ());
    revert(&mut w, alice);
    // As herself again, everything works on every profile.
    assert_eq!(set_description(&mut w, alice, job, "me"), HResult::SOk);
    (set, get, q)
}

#[test]
fn win7_checks_at_query_interface_so_an_owners_pointer_keeps_working() {
    for profile in [Profile::Win7, Profile::Win11] {
        let (set, get, q) = use_pointer_as_bob(profile, true);
        assert_eq!(set, HResult::SOk, "{profile}");
        assert_eq!(get, HResult::SOk, "{profile}");
        // A new QueryInterface is checked with the identity at that call.
        assert_eq!(q, Err(HResult::EAccessDenied), "{profile}");
    }
}

#[test]
fn vista_checks_every_call_with_the_current_identity() {
    let (set, get, q) = use_pointer_as_bob(Profile::Vista, true);
    assert_eq!(set, HResult::EAccessDenied);
    assert_eq!(get, HResult::EAccessDenied);
    // Vista's QueryInterface hands out the pointer; the calls are checked.
    assert_eq!(q, Ok(()));
}

#[test]
fn without_cloaking_the_impersonation_is_invisible_even_to_vista() {
    let (set, get, _) = use_pointer_as_bob(Profile::Vista, false);
    assert_eq!(set, HResult::SOk);
    assert_eq!(get, HResult::SOk);
}

// ---------------------------------------------------------------------
// [GP] Complete by an administrator.
// ---------------------------------------------------------------------

#[test]
fn complete_by_an_administrator_creates_the_files_as_the_administrator() {
    let mut w = world(Profile::Win11);
    let d = desk(&mut w);
    let alice_sid = sid_of(&w, "alice");
    let admin_sid = sid_of(&w, "admin");
    let job = job_with_file(&mut w, d.alice, "done.bin");
    let id = id_of(&w, job);
    let local = format!("{PUBLIC}\\done.bin");
    assert_eq!(
        method(&mut w, d.alice, job, Method::Resume).hr,
        HResult::SOk
    );
    advance(&mut w, 20);
    assert_eq!(state(&w, job), JobState::Transferred);
    // The temporary file was written as the owner.
    let before = local_accesses(&w, id);
    assert!(!before.is_empty());
    assert!(before.iter().all(|(name, acting, user, _)| *name != local
        && *acting == Acting::Owner
        && user.as_ref() == Some(&alice_sid)));

    let p = get_job(&mut w, d.admin_up, id).unwrap();
    assert_eq!(
        method(&mut w, d.admin_up, p, Method::Complete).hr,
        HResult::SOk
    );
    assert_eq!(state(&w, job), JobState::Acknowledged);
    let finals: Vec<_> = local_accesses(&w, id)
        .into_iter()
        .filter(|(name, ..)| *name == local)
        .collect();
    assert_eq!(
        finals,
        vec![(local.clone(), Acting::Owner, Some(admin_sid), true)]
    );
    assert!(w.host.object("WS01", &local).is_some());
    // Ownership of the job itself did not change.
    assert_eq!(w.job(id).unwrap().owner.sid, alice_sid);
}

#[test]
fn complete_by_the_owner_creates_the_files_as_the_owner() {
    let mut w = world(Profile::Win11);
    let d = desk(&mut w);
    let alice_sid = sid_of(&w, "alice");
    let job = job_with_file(&mut w, d.alice, "mine.bin");
    let id = id_of(&w, job);
    let local = format!("{PUBLIC}\\mine.bin");
    assert_eq!(
        method(&mut w, d.alice, job, Method::Resume).hr,
        HResult::SOk
    );
    advance(&mut w, 20);
    assert_eq!(
        method(&mut w, d.alice, job, Method::Complete).hr,
        HResult::SOk
    );
    let finals: Vec<_> = local_accesses(&w, id)
        .into_iter()
        .filter(|(name, ..)| *name == local)
        .collect();
    assert_eq!(finals, vec![(local, Acting::Owner, Some(alice_sid), true)]);
}

// ---------------------------------------------------------------------
// [UNC] Logons BITS recognises.
// ---------------------------------------------------------------------

#[test]
fn a_runas_logon_does_not_run_jobs_but_local_system_always_does() {
    let mut w = world(Profile::Win11);
    let svc = service(&mut w, BuiltinIdentity::LocalSystem);
    // RunAs: LogonUser and CreateProcessAsUser, no Winlogon session.
    let bob_token = logon_user(&mut w, svc, "bob", LogonType::Interactive);
    let out = w.apply(&Op::Host {
        op: simos::Op::CreateProcessAsUser {
            thread: svc,
            token: bob_token,
            image: "runas-app.exe".to_string(),
        },
    });
    let bob = match out.host_result {
        Some(simos::ApiResult::Ok {
            value: simos::Value::Process { thread, .. },
        }) => thread,
        other => panic!("CreateProcessAsUser failed: {other:?}"),
    };
    assert!(!w.host.logons.values().any(|l| l.winlogon));

    let bobs = job_with_file(&mut w, bob, "bob.bin");
    assert_eq!(owner(&mut w, bob, bobs), sid_of(&w, "bob").to_string());
    let system = job_with_file(&mut w, svc, "system.bin");
    for (t, j) in [(bob, bobs), (svc, system)] {
        assert_eq!(method(&mut w, t, j, Method::Resume).hr, HResult::SOk);
    }
    advance(&mut w, 30);
    assert_eq!(state(&w, bobs), JobState::Queued);
    assert_eq!(progress_events(&w, id_of(&w, bobs)), 0);
    assert_eq!(state(&w, system), JobState::Transferred);

    // Once bob is at a console, his job runs.
    console(&mut w, "bob", 2);
    advance(&mut w, 30);
    assert_eq!(state(&w, bobs), JobState::Transferred);
}
