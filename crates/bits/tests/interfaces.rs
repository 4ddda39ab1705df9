//! The BITS API's objects and interfaces: which interfaces each release
//! answers QueryInterface for (IBackgroundCopyJob5 from Windows 8, so
//! E_NOINTERFACE on vista and win7 and S_OK from win10-1507), the manager
//! as a pointer from CoCreateInstance, the counts calls return (Release,
//! Next, GetCount, EnumJobs), and IBackgroundCopyJob5's properties.
//!
//! Expected answers are written out from the sources (Microsoft Learn
//! "BITS interfaces", "What's New (BITS)", BITS_JOB_PROPERTY_ID,
//! bitsmsg.h, Wine's qmgr tests), not computed from the model's tables.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

mod support;

use bits::{
    Call, HResult, Interface, JobState, JobType, Method, Op, Outcome, PointerId, Profile,
    PropertyValue, Value, World,
};
use simos::ThreadId;
use support::*;
use winsec::{ImpersonationLevel, Win32Error};

fn alice_world(profile: Profile) -> (World, ThreadId) {
    let mut w = world(profile);
    let alice = console(&mut w, "alice", 1);
    (w, alice)
}

fn pointer_of(out: &Outcome) -> PointerId {
    match out.value {
        Value::Pointer { pointer } | Value::Job { pointer, .. } => pointer,
        ref other => panic!("no pointer: {} {other:?}", out.hr),
    }
}

fn release(w: &mut World, thread: ThreadId, pointer: PointerId) -> Outcome {
    call(w, thread, Call::Release { pointer })
}

// ---------------------------------------------------------------------
// QueryInterface by release
// ---------------------------------------------------------------------

/// The acceptance row of the issue: IBackgroundCopyJob5 is E_NOINTERFACE
/// on vista and win7, S_OK from win10-1507 on.
#[test]
fn job5_is_there_from_windows_10_on() {
    for (profile, expected) in [
        (Profile::Vista, HResult::ENoInterface),
        (Profile::Win7, HResult::ENoInterface),
        (Profile::Win10_1507, HResult::SOk),
        (Profile::Win10_1607, HResult::SOk),
        (Profile::Win11, HResult::SOk),
    ] {
        let (mut w, alice) = alice_world(profile);
        let job = create(&mut w, alice, JobType::Download);
        let out = call(
            &mut w,
            alice,
            Call::QueryInterface {
                pointer: job,
                interface: Interface::Job5,
            },
        );
        assert_eq!(out.hr, expected, "{profile}");
        assert!(out.rules.contains(&bits::rules::ids::INTERFACES));
    }
}

/// QueryInterface on a job pointer for each interface name, by profile:
/// `y` S_OK, `-` E_NOINTERFACE. Columns: vista, win7, 1507, 1607, win11.
#[test]
fn the_job_object_answers_for_its_interfaces_as_each_release_ships_them() {
    let table: &[(&str, &str)] = &[
        ("IBackgroundCopyJob", "yyyyy"),
        ("IBackgroundCopyJob2", "yyyyy"),
        ("IBackgroundCopyJob3", "yyyyy"),
        ("IBackgroundCopyJob4", "yyyyy"),
        ("IBackgroundCopyJob5", "--yyy"),
        ("IBackgroundCopyJobHttpOptions", "yyyyy"),
        ("IBackgroundCopyJobHttpOptions2", "----y"),
        ("IBackgroundCopyJobHttpOptions3", "----y"),
        ("IBitsTokenOptions", "-yyyy"),
        // Interfaces of other objects, or the client's own.
        ("IBackgroundCopyManager", "-----"),
        ("IBackgroundCopyFile", "-----"),
        ("IBackgroundCopyFile5", "-----"),
        ("IEnumBackgroundCopyJobs", "-----"),
        ("IBackgroundCopyError", "-----"),
        ("IBackgroundCopyCallback", "-----"),
        ("IBackgroundCopyCallback3", "-----"),
        (
            "IBackgroundCopyServerCertificateValidationCallback",
            "-----",
        ),
        ("IBitsPeerCacheAdministration", "-----"),
        ("IBitsPeer", "-----"),
    ];
    for (column, profile) in Profile::ALL.into_iter().enumerate() {
        let (mut w, alice) = alice_world(profile);
        let job = create(&mut w, alice, JobType::Download);
        for (name, row) in table {
            let interface = Interface::from_name(name).unwrap();
            let want = if row.as_bytes()[column] == b'y' {
                HResult::SOk
            } else {
                HResult::ENoInterface
            };
            assert_eq!(
                qi(&mut w, alice, job, interface)
                    .err()
                    .unwrap_or(HResult::SOk),
                want,
                "{profile} {name}"
            );
        }
    }
}

/// A file pointer answers for the file interfaces its release has:
/// IBackgroundCopyFile4 from Windows 7, 5 from Windows 8, 6 from 1703.
#[test]
fn a_file_answers_for_the_file_interfaces_of_its_release() {
    let table: &[(Interface, &str)] = &[
        (Interface::File, "yyyyy"),
        (Interface::File2, "yyyyy"),
        (Interface::File3, "yyyyy"),
        (Interface::File4, "-yyyy"),
        (Interface::File5, "--yyy"),
        (Interface::File6, "----y"),
        (Interface::Job, "-----"),
    ];
    for (column, profile) in Profile::ALL.into_iter().enumerate() {
        let (mut w, alice) = alice_world(profile);
        let job = create(&mut w, alice, JobType::Download);
        add_file(&mut w, alice, job, URL, &format!("{PUBLIC}\\f.bin"));
        let files = pointer_of(&method(&mut w, alice, job, Method::EnumFiles));
        let out = method(
            &mut w,
            alice,
            files,
            Method::Next {
                count: 1,
                fetched: true,
            },
        );
        let Value::Pointers { pointers } = out.value else {
            panic!("{profile}: {out:?}")
        };
        let file = pointers[0];
        for (interface, row) in table {
            let want = row.as_bytes()[column] == b'y';
            let got = qi(&mut w, alice, file, *interface);
            assert_eq!(got.is_ok(), want, "{profile} {interface}: {got:?}");
            if let Ok(p) = got {
                // The new pointer is a file pointer: its methods work.
                let out = method(&mut w, alice, p, Method::GetRemoteName);
                assert_eq!(out.hr, HResult::SOk);
                assert_eq!(
                    out.value,
                    Value::Text {
                        text: Some(URL.to_string())
                    }
                );
            }
        }
        // Enumerators answer for nothing else.
        assert_eq!(
            qi(&mut w, alice, files, Interface::EnumJobs),
            Err(HResult::ENoInterface)
        );
    }
}

/// A method is callable through every interface that inherits it, and
/// only there.
#[test]
fn job5_inherits_the_job_methods_and_adds_the_properties() {
    let (mut w, alice) = alice_world(Profile::Win11);
    let job = create(&mut w, alice, JobType::Download);
    let job5 = qi(&mut w, alice, job, Interface::Job5).unwrap();
    let job4 = qi(&mut w, alice, job, Interface::Job4).unwrap();
    assert_eq!(
        method(&mut w, alice, job5, Method::GetState).hr,
        HResult::SOk
    );
    assert_eq!(
        method(&mut w, alice, job5, Method::GetOwnerIntegrityLevel).hr,
        HResult::SOk
    );
    assert_eq!(
        method(&mut w, alice, job4, Method::GetProperty { id: 1 }).hr,
        HResult::ENoInterface
    );
    assert_eq!(
        method(&mut w, alice, job5, Method::GetProperty { id: 1 }).hr,
        HResult::SOk
    );
}

// ---------------------------------------------------------------------
// CoCreateInstance and the manager
// ---------------------------------------------------------------------

#[test]
fn co_create_instance_hands_out_a_manager_whose_methods_are_the_managers() {
    let (mut w, alice) = alice_world(Profile::Win11);
    let out = call(&mut w, alice, Call::CoCreateInstance);
    assert_eq!(out.hr, HResult::SOk);
    let manager = pointer_of(&out);
    let p = &w.bits.pointers[&manager];
    assert_eq!(p.interface, Interface::Manager);
    assert_eq!(p.caller, sid_of(&w, "alice"));
    // CreateJob through it makes a job owned by the caller.
    let out = method(
        &mut w,
        alice,
        manager,
        Method::CreateJob {
            name: "via manager".to_string(),
            job_type: JobType::Download,
        },
    );
    assert_eq!(out.hr, HResult::SOk);
    let Value::Job { job, pointer } = out.value else {
        panic!("{out:?}")
    };
    assert_eq!(w.job(job).unwrap().owner.sid, sid_of(&w, "alice"));
    assert_eq!(w.job(job).unwrap().state, JobState::Suspended);
    assert_eq!(w.bits.pointers[&pointer].interface, Interface::Job);
    // GetJob and EnumJobs too.
    let out = method(&mut w, alice, manager, Method::GetJob { job });
    assert_eq!(out.hr, HResult::SOk);
    let out = method(
        &mut w,
        alice,
        manager,
        Method::EnumJobs { all_users: false },
    );
    assert_eq!(out.hr, HResult::SOk);
    assert_eq!(out.count, Some(1));
    let out = method(&mut w, alice, manager, Method::EnumJobs { all_users: true });
    assert_eq!(out.hr, HResult::EAccessDenied);
    // The manager is not a job: job methods and job interfaces are not its.
    assert_eq!(
        method(&mut w, alice, manager, Method::GetState).hr,
        HResult::ENoInterface
    );
    assert_eq!(
        qi(&mut w, alice, manager, Interface::Job),
        Err(HResult::ENoInterface)
    );
    // The peer-cache administration interface is the manager's (BITS 3.0).
    assert!(qi(&mut w, alice, manager, Interface::PeerCacheAdministration).is_ok());
    // And manager methods are not callable through a job.
    assert_eq!(
        method(
            &mut w,
            alice,
            pointer,
            Method::EnumJobs { all_users: false }
        )
        .hr,
        HResult::ENoInterface
    );
}

/// The activation is a COM call into the service: an anonymous blanket is
/// refused like any other call from it (D-67).
#[test]
fn co_create_instance_with_an_anonymous_blanket_is_refused() {
    let (mut w, alice) = alice_world(Profile::Win11);
    ok(&w.apply(&Op::SetBlanket {
        thread: alice,
        level: ImpersonationLevel::Anonymous,
        cloaking: simos::Cloaking::None,
    }));
    let out = call(&mut w, alice, Call::CoCreateInstance);
    assert_eq!(out.hr, HResult::from_win32(Win32Error::CantOpenAnonymous));
    assert!(w.bits.pointers.is_empty());
}

// ---------------------------------------------------------------------
// Counts
// ---------------------------------------------------------------------

/// Wine's qmgr test (test_CreateJob), which passes on Windows: releasing
/// the pointer CreateJob gave returns 0, and the job stays queued.
#[test]
fn releasing_the_only_pointer_to_a_job_returns_zero_and_the_job_stays() {
    let (mut w, alice) = alice_world(Profile::Win7);
    let job = create(&mut w, alice, JobType::Download);
    let id = w.job_of(job).unwrap().id;
    let out = release(&mut w, alice, job);
    assert_eq!(out.hr, HResult::SOk);
    assert_eq!(out.value, Value::Number { number: 0 });
    assert_eq!(out.count, Some(0));
    assert!(out.rules.contains(&bits::rules::ids::RELEASE));
    assert_eq!(w.job(id).unwrap().state, JobState::Suspended);
    // The pointer is gone.
    assert_eq!(release(&mut w, alice, job).hr, HResult::EHandle);
    assert_eq!(
        method(&mut w, alice, job, Method::GetState).hr,
        HResult::EHandle
    );
}

/// The interfaces of one object share its count; other objects, and
/// other processes' pointers, do not count.
#[test]
fn release_counts_the_references_of_the_process_on_the_same_object() {
    let (mut w, alice) = alice_world(Profile::Win11);
    let bob = console(&mut w, "bob", 2);
    let job = create(&mut w, alice, JobType::Download);
    let other = create(&mut w, alice, JobType::Download);
    let id = w.job_of(job).unwrap().id;
    let job2 = qi(&mut w, alice, job, Interface::Job2).unwrap();
    let options = qi(&mut w, alice, job, Interface::TokenOptions).unwrap();
    // An administrator's pointer in another process is not alice's.
    let (_, admin) = {
        let shell = console(&mut w, "admin", 3);
        let up = elevated(&mut w, shell);
        (shell, up)
    };
    let out = call(&mut w, admin, Call::GetJob { job: id });
    assert_eq!(out.hr, HResult::SOk);
    // bob cannot get one at all.
    assert_eq!(
        call(&mut w, bob, Call::GetJob { job: id }).hr,
        HResult::EAccessDenied
    );
    for (pointer, left) in [(job2, 2), (job, 1), (options, 0), (other, 0)] {
        let out = release(&mut w, alice, pointer);
        assert_eq!(out.count, Some(left), "{pointer:?}");
        assert_eq!(out.value, Value::Number { number: left });
    }
}

#[test]
fn next_get_count_and_enum_jobs_report_their_counts() {
    let (mut w, alice) = alice_world(Profile::Win11);
    for _ in 0..3 {
        create(&mut w, alice, JobType::Download);
    }
    let out = call(&mut w, alice, Call::EnumJobs { all_users: false });
    assert_eq!(out.count, Some(3));
    let jobs = pointer_of(&out);
    let out = method(&mut w, alice, jobs, Method::GetCount);
    assert_eq!(out.count, Some(3));
    assert_eq!(out.value, Value::Number { number: 3 });
    let next = |w: &mut World, count| {
        method(
            w,
            alice,
            jobs,
            Method::Next {
                count,
                fetched: true,
            },
        )
    };
    let out = next(&mut w, 2);
    assert_eq!((out.hr, out.count), (HResult::SOk, Some(2)));
    let out = next(&mut w, 2);
    assert_eq!((out.hr, out.count), (HResult::SFalse, Some(1)));
    let out = next(&mut w, 2);
    assert_eq!((out.hr, out.count), (HResult::SFalse, Some(0)));
    assert_eq!(out.value, Value::Pointers { pointers: vec![] });
    // The enumerator is an object of its own; the three job pointers Next
    // handed out are three job objects.
    let out = release(&mut w, alice, jobs);
    assert_eq!(out.count, Some(0));
    // Calls that return no count carry none.
    let out = call(
        &mut w,
        alice,
        Call::CreateJob {
            name: "x".to_string(),
            job_type: JobType::Download,
        },
    );
    assert_eq!(out.count, None);
}

// ---------------------------------------------------------------------
// IBackgroundCopyJob5 properties
// ---------------------------------------------------------------------

fn job5(w: &mut World, thread: ThreadId, job_type: JobType) -> (PointerId, PointerId) {
    let job = create(w, thread, job_type);
    let job5 = qi(w, thread, job, Interface::Job5).unwrap();
    (job, job5)
}

fn get(w: &mut World, t: ThreadId, p: PointerId, id: u32) -> Result<Value, HResult> {
    let out = method(w, t, p, Method::GetProperty { id });
    if out.hr == HResult::SOk {
        Ok(out.value)
    } else {
        Err(out.hr)
    }
}

fn set(w: &mut World, t: ThreadId, p: PointerId, id: u32, value: PropertyValue) -> HResult {
    method(w, t, p, Method::SetProperty { id, value }).hr
}

#[test]
fn a_new_job_has_the_documented_property_values() {
    let (mut w, alice) = alice_world(Profile::Win11);
    let (_, p) = job5(&mut w, alice, JobType::Download);
    // COST_FLAGS: BITS_JOB_TRANSFER_POLICY_ALWAYS (D-73).
    assert_eq!(
        get(&mut w, alice, p, 1),
        Ok(Value::Number {
            number: 0x8000_00FF
        })
    );
    // NOTIFICATION_CLSID: GUID_NULL.
    assert_eq!(get(&mut w, alice, p, 2), Ok(Value::Text { text: None }));
    assert_eq!(get(&mut w, alice, p, 3), Ok(Value::Bool { flag: false }));
    assert_eq!(get(&mut w, alice, p, 4), Ok(Value::Bool { flag: false }));
    assert_eq!(
        get(&mut w, alice, p, 5),
        Ok(Value::Number { number: u64::MAX })
    );
    assert_eq!(get(&mut w, alice, p, 7), Ok(Value::Number { number: 0 }));
    // MINIMUM_NOTIFICATION_INTERVAL_MS: "The default value is 500 milliseconds".
    assert_eq!(get(&mut w, alice, p, 9), Ok(Value::Number { number: 500 }));
    assert_eq!(get(&mut w, alice, p, 10), Ok(Value::Bool { flag: false }));
    // 6 and 8 are not property ids.
    assert_eq!(get(&mut w, alice, p, 6), Err(HResult::BgEUnknownPropertyId));
    assert_eq!(get(&mut w, alice, p, 8), Err(HResult::BgEUnknownPropertyId));
}

#[test]
fn each_release_knows_its_property_ids() {
    // On/after: Windows 8 has 1-2; Windows 10 adds 3, 4, 5, 7; 1703 adds 9 and 10.
    for (profile, known) in [
        (Profile::Win10_1507, &[1u32, 2, 3, 4, 5, 7][..]),
        (Profile::Win10_1607, &[1, 2, 3, 4, 5, 7][..]),
        (Profile::Win11, &[1, 2, 3, 4, 5, 7, 9, 10][..]),
    ] {
        let (mut w, alice) = alice_world(profile);
        let (_, p) = job5(&mut w, alice, JobType::Download);
        for id in 0..12 {
            let got = get(&mut w, alice, p, id);
            assert_eq!(got.is_ok(), known.contains(&id), "{profile} {id}: {got:?}");
            if got.is_err() {
                assert_eq!(got, Err(HResult::BgEUnknownPropertyId));
                assert_eq!(
                    set(&mut w, alice, p, id, PropertyValue::Dword(1)),
                    HResult::BgEUnknownPropertyId
                );
            }
        }
    }
}

#[test]
fn set_property_follows_the_documented_rules() {
    let (mut w, alice) = alice_world(Profile::Win11);
    let (job, p) = job5(&mut w, alice, JobType::Download);
    // The value must fill the member the property uses.
    assert_eq!(
        set(&mut w, alice, p, 1, PropertyValue::Enable(true)),
        HResult::EInvalidArg
    );
    // Before any file: HIGH_PERFORMANCE can be set.
    assert_eq!(
        set(&mut w, alice, p, 4, PropertyValue::Enable(true)),
        HResult::SOk
    );
    assert_eq!(get(&mut w, alice, p, 4), Ok(Value::Bool { flag: true }));
    add_file(&mut w, alice, job, URL, &format!("{PUBLIC}\\p.bin"));
    assert_eq!(
        set(&mut w, alice, p, 4, PropertyValue::Enable(false)),
        HResult::BgEReadOnlyPropertyAfterAddFile
    );
    // Before the first Resume: DYNAMIC_CONTENT and MAX_DOWNLOAD_SIZE.
    assert_eq!(
        set(&mut w, alice, p, 5, PropertyValue::Uint64(0)),
        HResult::BgEMaxDownloadSizeInvalidValue
    );
    assert_eq!(
        set(&mut w, alice, p, 5, PropertyValue::Uint64(4096)),
        HResult::SOk
    );
    assert_eq!(
        set(&mut w, alice, p, 3, PropertyValue::Enable(true)),
        HResult::SOk
    );
    // ON_DEMAND_MODE does not go with dynamic content.
    assert_eq!(
        set(&mut w, alice, p, 10, PropertyValue::Enable(true)),
        HResult::BgEUnsupportedJobConfiguration
    );
    assert_eq!(method(&mut w, alice, job, Method::Resume).hr, HResult::SOk);
    assert_eq!(
        set(&mut w, alice, p, 3, PropertyValue::Enable(false)),
        HResult::BgEReadOnlyPropertyAfterResume
    );
    assert_eq!(
        set(&mut w, alice, p, 5, PropertyValue::Uint64(1)),
        HResult::BgEReadOnlyPropertyAfterResume
    );
    // Suspending does not undo the first Resume.
    assert_eq!(method(&mut w, alice, job, Method::Suspend).hr, HResult::SOk);
    assert_eq!(
        set(&mut w, alice, p, 3, PropertyValue::Enable(false)),
        HResult::BgEReadOnlyPropertyAfterResume
    );
    // The cost flags and the interval change at any time.
    assert_eq!(
        set(&mut w, alice, p, 1, PropertyValue::Dword(0x8000_0021)),
        HResult::SOk
    );
    assert_eq!(
        set(&mut w, alice, p, 9, PropertyValue::Dword(2000)),
        HResult::SOk
    );
    assert_eq!(get(&mut w, alice, p, 9), Ok(Value::Number { number: 2000 }));
    // Stored credentials: the proxy only.
    assert_eq!(
        set(&mut w, alice, p, 7, PropertyValue::Target(1)),
        HResult::BgEUseStoredCredentialsNotSupported
    );
    assert_eq!(
        set(&mut w, alice, p, 7, PropertyValue::Target(2)),
        HResult::SOk
    );
    // A notification CLSID, then GUID_NULL to clear it.
    let clsid = "{00000000-1111-2222-3333-444444444444}".to_string();
    assert_eq!(
        set(
            &mut w,
            alice,
            p,
            2,
            PropertyValue::ClsId(Some(clsid.clone()))
        ),
        HResult::SOk
    );
    assert_eq!(
        get(&mut w, alice, p, 2),
        Ok(Value::Text { text: Some(clsid) })
    );
    assert_eq!(
        set(&mut w, alice, p, 2, PropertyValue::ClsId(None)),
        HResult::SOk
    );
    // A final job takes no property.
    assert_eq!(method(&mut w, alice, job, Method::Cancel).hr, HResult::SOk);
    assert_eq!(
        set(&mut w, alice, p, 1, PropertyValue::Dword(0x8000_00FF)),
        HResult::BgEInvalidState
    );
}

#[test]
fn download_only_properties_are_refused_on_upload_jobs() {
    let (mut w, alice) = alice_world(Profile::Win11);
    let (_, p) = job5(&mut w, alice, JobType::Upload);
    for id in [3, 4, 10] {
        assert_eq!(
            set(&mut w, alice, p, id, PropertyValue::Enable(true)),
            HResult::BgEPropertySupportedForDownloadJobsOnly,
            "{id}"
        );
    }
    assert_eq!(
        set(&mut w, alice, p, 5, PropertyValue::Uint64(10)),
        HResult::BgEPropertySupportedForDownloadJobsOnly
    );
    assert_eq!(
        set(&mut w, alice, p, 1, PropertyValue::Dword(0x8000_007F)),
        HResult::SOk
    );
}

/// GetProperty reads and SetProperty changes the job: with the check at
/// QueryInterface, a pointer obtained by someone who may only read (a
/// caller at a lower integrity level) cannot set.
#[test]
fn set_property_needs_what_any_change_needs() {
    let mut w = world(Profile::Win11);
    let svc = service(&mut w, simos::BuiltinIdentity::LocalSystem);
    let (job, _) = job5(&mut w, svc, JobType::Download);
    let id = w.job_of(job).unwrap().id;
    let shell = console(&mut w, "admin", 2);
    let admin = elevated(&mut w, shell);
    let p = pointer_of(&call(&mut w, admin, Call::GetJob { job: id }));
    let p5 = qi(&mut w, admin, p, Interface::Job5).unwrap();
    assert!(get(&mut w, admin, p5, 1).is_ok());
    assert_eq!(
        set(&mut w, admin, p5, 1, PropertyValue::Dword(0x8000_0021)),
        HResult::EAccessDenied
    );
}
