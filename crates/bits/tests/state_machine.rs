//! The BITS job state machine, row by row: the transitions of [LC]
//! and the method-legality rows of the method pages ([W-TEST]), each driven
//! through `World::apply` and checked for the exact state and HRESULT.
//! Two transitions have no test because the model has no such mechanism:
//! the time slice that sends a TRANSFERRING job back to QUEUED, and the
//! MaxInternetBandwidth = 0 policy (BG_E_BLOCKED_BY_POLICY).
//!
//! The owner is alice, a standard user at the console, unless a row needs
//! an administrator. The shared world publishes
//! 3000 bytes at `support::URL` and moves 1000 bytes per tick, so after
//! Resume a download is CONNECTING at +1, TRANSFERRING at +2 and
//! TRANSFERRED at +5.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

mod support;

use bits::job::{notify_flags, Progress, Times, BG_SIZE_UNKNOWN};
use bits::{
    BitsEvent, Call, ErrorContext, FileSpec, HResult, Interface, JobState, JobType, Method, Op,
    Outcome, PointerId, Profile, Value, World,
};
use std::collections::BTreeSet;

use simos::network::{AuthScheme, NetworkOp, Server, ServerKind};
use simos::objects::{ObjectKind, ObjectOp};
use simos::ThreadId;
use support::*;

/// Where alice's downloads land (everyone may write there).
const LOCAL: &str = "C:\\Public\\file.bin";
/// A server name the host does not know: connecting fails transiently.
const NOSUCH: &str = "http://nosuch/x";
/// A URL on `web` with nothing published: the server answers 404.
const MISSING: &str = "http://web/missing.bin";
/// The upload job's source file and destination.
const UP_LOCAL: &str = "C:\\Public\\up.bin";
const UP_REMOTE: &str = "http://web/upload/up.bin";
/// Ninety days in seconds (the default JobInactivityTimeout).
const NINETY_DAYS: u64 = 90 * 24 * 3600;

const NON_FINAL: [JobState; 7] = [
    JobState::Queued,
    JobState::Connecting,
    JobState::Transferring,
    JobState::Suspended,
    JobState::Error,
    JobState::TransientError,
    JobState::Transferred,
];

const FINAL: [JobState; 2] = [JobState::Acknowledged, JobState::Cancelled];

// ---------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------

/// A Windows 11 world with alice at the console of session 1.
fn alice_world() -> (World, ThreadId) {
    let mut w = world(Profile::Win11);
    let alice = console(&mut w, "alice", 1);
    (w, alice)
}

fn hr(w: &mut World, t: ThreadId, p: PointerId, m: Method) -> HResult {
    method(w, t, p, m).hr
}

fn resume(w: &mut World, t: ThreadId, p: PointerId) {
    assert_eq!(hr(w, t, p, Method::Resume), HResult::SOk);
}

/// A download job with one file: `remote` to [`LOCAL`].
fn download_of(w: &mut World, t: ThreadId, remote: &str) -> PointerId {
    let p = create(w, t, JobType::Download);
    assert_eq!(add_file(w, t, p, remote, LOCAL), HResult::SOk);
    p
}

/// A download job of [`URL`].
fn download(w: &mut World, t: ThreadId) -> PointerId {
    download_of(w, t, URL)
}

/// A job in `target`, built by the ordinary route to that state.
fn job_in(w: &mut World, t: ThreadId, target: JobState) -> PointerId {
    let p = match target {
        JobState::Suspended => download(w, t),
        JobState::Queued => {
            let p = download(w, t);
            resume(w, t, p);
            p
        }
        JobState::Connecting => {
            let p = job_in(w, t, JobState::Queued);
            advance(w, 1);
            p
        }
        JobState::Transferring => {
            let p = job_in(w, t, JobState::Queued);
            advance(w, 2);
            p
        }
        JobState::Transferred => {
            let p = job_in(w, t, JobState::Queued);
            advance(w, 5);
            p
        }
        JobState::Error => {
            let p = download_of(w, t, MISSING);
            resume(w, t, p);
            advance(w, 2);
            p
        }
        JobState::TransientError => {
            let p = download_of(w, t, NOSUCH);
            resume(w, t, p);
            advance(w, 2);
            p
        }
        JobState::Acknowledged => {
            let p = job_in(w, t, JobState::Transferred);
            assert_eq!(hr(w, t, p, Method::Complete), HResult::SOk);
            p
        }
        JobState::Cancelled => {
            let p = download(w, t);
            assert_eq!(hr(w, t, p, Method::Cancel), HResult::SOk);
            p
        }
    };
    assert_eq!(state(w, p), target, "setting up a job in {target}");
    p
}

/// GetError's error object: (context, code, file).
fn error_of(w: &mut World, t: ThreadId, p: PointerId) -> (ErrorContext, HResult, Option<String>) {
    let out = method(w, t, p, Method::GetError);
    assert_eq!(out.hr, HResult::SOk, "GetError");
    match out.value {
        Value::Error {
            context,
            code,
            file,
        } => (context, code, file),
        other => panic!("GetError returned {other:?}"),
    }
}

fn progress(w: &mut World, t: ThreadId, p: PointerId) -> Progress {
    let out = method(w, t, p, Method::GetProgress);
    assert_eq!(out.hr, HResult::SOk, "GetProgress");
    match out.value {
        Value::Progress(progress) => progress,
        other => panic!("GetProgress returned {other:?}"),
    }
}

fn times(w: &mut World, t: ThreadId, p: PointerId) -> Times {
    let out = method(w, t, p, Method::GetTimes);
    assert_eq!(out.hr, HResult::SOk, "GetTimes");
    match out.value {
        Value::Times(times) => times,
        other => panic!("GetTimes returned {other:?}"),
    }
}

fn number(out: &Outcome) -> u64 {
    assert_eq!(out.hr, HResult::SOk);
    match out.value {
        Value::Number { number } => number,
        ref other => panic!("expected a number, got {other:?}"),
    }
}

/// The logon session of a thread's process ends (the user logs off).
fn logoff(w: &mut World, thread: ThreadId) {
    let primary = w.host.process_of(thread).unwrap().primary_token;
    let logon = w.host.token(primary).unwrap().logon;
    ok(&w.apply(&Op::Host {
        op: simos::Op::Logoff { logon },
    }));
}

/// Redefines the `web` server's ACL.
fn web_acl(w: &mut World, sddl: &str) {
    web_server(w, &[AuthScheme::Negotiate], sddl);
}

/// Redefines the `web` server: the schemes it offers and its ACL.
fn web_server(w: &mut World, schemes: &[AuthScheme], sddl: &str) {
    ok(&w.apply(&Op::Host {
        op: simos::Op::Network(NetworkOp::DefineServer {
            name: "web".to_string(),
            server: Server {
                kind: ServerKind::Http,
                machine: "WEB".to_string(),
                spn: "HTTP/web.corp.example".to_string(),
                resource: String::new(),
                schemes: schemes.iter().copied().collect::<BTreeSet<_>>(),
                sddl: sddl.to_string(),
                proxy: None,
            },
        }),
    }));
}

/// Defines a file on WS01 with `sddl`.
fn define_file(w: &mut World, path: &str, sddl: &str) {
    ok(&w.apply(&Op::Host {
        op: simos::Op::Object(ObjectOp::Define {
            machine: "WS01".to_string(),
            path: path.to_string(),
            kind: ObjectKind::File,
            sddl: sddl.to_string(),
        }),
    }));
}

/// The file at `path`, and the directory holding it, refuse DELETE to
/// everyone, SYSTEM included.
fn undeletable(w: &mut World, path: &str) {
    define_file(w, path, "O:BAG:SYD:(D;;SD;;;WD)(A;;FA;;;WD)");
    ok(&w.apply(&Op::Host {
        op: simos::Op::Object(ObjectOp::Define {
            machine: "WS01".to_string(),
            path: PUBLIC.to_string(),
            kind: ObjectKind::Directory,
            sddl: "O:BAG:SYD:(D;;0x40;;;WD)(A;OICI;FA;;;WD)".to_string(),
        }),
    }));
}

/// An upload job of [`UP_LOCAL`] (2000 bytes, readable by authenticated
/// users) to [`UP_REMOTE`].
fn upload(w: &mut World, t: ThreadId, job_type: JobType) -> PointerId {
    define_file(
        w,
        UP_LOCAL,
        "O:BAG:SYD:(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;AU)",
    );
    ok(&w.apply(&Op::Publish {
        name: UP_LOCAL.to_string(),
        bytes: 2000,
    }));
    let p = create(w, t, job_type);
    assert_eq!(add_file(w, t, p, UP_REMOTE, UP_LOCAL), HResult::SOk);
    p
}

/// The job's state changes so far, in order.
fn transitions(w: &World, p: PointerId) -> Vec<(JobState, JobState, Option<HResult>)> {
    let id = w.job_of(p).unwrap().id;
    w.bits
        .log
        .iter()
        .filter_map(|e| match e {
            BitsEvent::StateChanged {
                job,
                from,
                to,
                code,
            } if *job == id => Some((*from, *to, *code)),
            _ => None,
        })
        .collect()
}

fn long(n: usize) -> String {
    "x".repeat(n)
}

// ---------------------------------------------------------------------
// [LC] Transitions
// ---------------------------------------------------------------------

#[test]
fn create_job_starts_suspended() {
    let (mut w, alice) = alice_world();
    let out = call(
        &mut w,
        alice,
        Call::CreateJob {
            name: "job".to_string(),
            job_type: JobType::Download,
        },
    );
    assert_eq!(out.hr, HResult::SOk);
    let Value::Job { pointer, .. } = out.value else {
        panic!("CreateJob returned {:?}", out.value);
    };
    assert_eq!(state(&w, pointer), JobState::Suspended);
    let got = method(&mut w, alice, pointer, Method::GetState);
    assert_eq!(got.hr, HResult::SOk);
    assert_eq!(
        got.value,
        Value::State {
            state: JobState::Suspended
        }
    );
    // A suspended job does not move on its own.
    assert_eq!(add_file(&mut w, alice, pointer, URL, LOCAL), HResult::SOk);
    advance(&mut w, 60);
    assert_eq!(state(&w, pointer), JobState::Suspended);
}

#[test]
fn suspended_resume_with_files_goes_queued() {
    let (mut w, alice) = alice_world();
    let p = download(&mut w, alice);
    assert_eq!(hr(&mut w, alice, p, Method::Resume), HResult::SOk);
    assert_eq!(state(&w, p), JobState::Queued);
}

#[test]
fn suspended_resume_with_no_files_is_bg_e_empty_and_stays_suspended() {
    let (mut w, alice) = alice_world();
    let p = create(&mut w, alice, JobType::Download);
    assert_eq!(hr(&mut w, alice, p, Method::Resume), HResult::BgEEmpty);
    assert_eq!(state(&w, p), JobState::Suspended);
    advance(&mut w, 10);
    assert_eq!(state(&w, p), JobState::Suspended);
}

#[test]
fn queued_goes_connecting_when_owner_logged_on_and_network_up() {
    let (mut w, alice) = alice_world();
    let p = job_in(&mut w, alice, JobState::Queued);
    advance(&mut w, 1);
    assert_eq!(state(&w, p), JobState::Connecting);
    assert_eq!(
        transitions(&w, p),
        vec![
            (JobState::Suspended, JobState::Queued, None),
            (JobState::Queued, JobState::Connecting, None),
        ]
    );
}

#[test]
fn queued_waits_for_the_owner_to_log_on() {
    let (mut w, alice) = alice_world();
    let p = job_in(&mut w, alice, JobState::Queued);
    logoff(&mut w, alice);
    advance(&mut w, 3600);
    assert_eq!(state(&w, p), JobState::Queued);
    let _alice = console(&mut w, "alice", 1);
    advance(&mut w, 1);
    assert_eq!(state(&w, p), JobState::Connecting);
}

#[test]
fn connecting_connect_ok_goes_transferring() {
    let (mut w, alice) = alice_world();
    let p = job_in(&mut w, alice, JobState::Connecting);
    advance(&mut w, 1);
    assert_eq!(state(&w, p), JobState::Transferring);
    // BytesTotal became known when the server answered.
    let pr = progress(&mut w, alice, p);
    assert_eq!(pr.bytes_total, 3000);
    assert_eq!(pr.bytes_transferred, 0);
}

#[test]
fn connecting_connect_fail_goes_transient_error() {
    let (mut w, alice) = alice_world();
    let p = download_of(&mut w, alice, NOSUCH);
    resume(&mut w, alice, p);
    advance(&mut w, 1);
    assert_eq!(state(&w, p), JobState::Connecting);
    advance(&mut w, 1);
    assert_eq!(state(&w, p), JobState::TransientError);
    let (context, code, file) = error_of(&mut w, alice, p);
    assert_eq!(context, ErrorContext::RemoteFile);
    assert!(!code.succeeded(), "{code}");
    assert_eq!(file.as_deref(), Some(NOSUCH));
}

#[test]
fn transferring_all_files_transferred_goes_transferred_with_completion_time() {
    let (mut w, alice) = alice_world();
    let p = job_in(&mut w, alice, JobState::Transferring);
    assert_eq!(times(&mut w, alice, p).transfer_completion, 0);
    advance(&mut w, 2);
    assert_eq!(state(&w, p), JobState::Transferring);
    assert_eq!(progress(&mut w, alice, p).bytes_transferred, 2000);
    advance(&mut w, 1);
    assert_eq!(state(&w, p), JobState::Transferred);
    let done = w.host.now;
    assert_eq!(times(&mut w, alice, p).transfer_completion, done);
    assert_eq!(
        progress(&mut w, alice, p),
        Progress {
            bytes_total: 3000,
            bytes_transferred: 3000,
            files_total: 1,
            files_transferred: 1,
        }
    );
}

#[test]
fn action_state_fatal_error_goes_error() {
    // From CONNECTING: the server answers 404.
    let (mut w, alice) = alice_world();
    let p = download_of(&mut w, alice, MISSING);
    resume(&mut w, alice, p);
    advance(&mut w, 1);
    assert_eq!(state(&w, p), JobState::Connecting);
    advance(&mut w, 1);
    assert_eq!(state(&w, p), JobState::Error);
    // ERROR is not retried without a client call.
    advance(&mut w, 3600);
    assert_eq!(state(&w, p), JobState::Error);
    assert_eq!(
        error_of(&mut w, alice, p),
        (
            ErrorContext::RemoteFile,
            HResult::HttpError(404),
            Some(MISSING.to_string())
        )
    );
}

#[test]
fn action_state_transient_error_goes_transient_error() {
    let (mut w, alice) = alice_world();
    let p = job_in(&mut w, alice, JobState::TransientError);
    let last = transitions(&w, p).last().copied().unwrap();
    assert_eq!(last.0, JobState::Connecting);
    assert_eq!(last.1, JobState::TransientError);
    // A transient error is retried, not final: the job is not in ERROR.
    assert_ne!(state(&w, p), JobState::Error);
}

#[test]
fn transient_error_minimum_retry_delay_elapses_goes_queued() {
    let (mut w, alice) = alice_world();
    let p = download_of(&mut w, alice, NOSUCH);
    assert_eq!(
        hr(
            &mut w,
            alice,
            p,
            Method::SetMinimumRetryDelay { seconds: 60 }
        ),
        HResult::SOk
    );
    resume(&mut w, alice, p);
    advance(&mut w, 2);
    assert_eq!(state(&w, p), JobState::TransientError);
    advance(&mut w, 59);
    assert_eq!(state(&w, p), JobState::TransientError);
    advance(&mut w, 1);
    assert_eq!(state(&w, p), JobState::Queued);
    // …and it is tried again.
    advance(&mut w, 2);
    assert_eq!(state(&w, p), JobState::TransientError);
}

#[test]
fn transient_error_no_progress_for_no_progress_timeout_goes_error() {
    let (mut w, alice) = alice_world();
    let p = download_of(&mut w, alice, NOSUCH);
    assert_eq!(
        hr(
            &mut w,
            alice,
            p,
            Method::SetMinimumRetryDelay { seconds: 5 }
        ),
        HResult::SOk
    );
    assert_eq!(
        hr(
            &mut w,
            alice,
            p,
            Method::SetNoProgressTimeout { seconds: 30 }
        ),
        HResult::SOk
    );
    resume(&mut w, alice, p);
    advance(&mut w, 29);
    assert_ne!(state(&w, p), JobState::Error);
    advance(&mut w, 10);
    assert_eq!(state(&w, p), JobState::Error);
    let (context, code, file) = error_of(&mut w, alice, p);
    assert_eq!(context, ErrorContext::RemoteFile);
    assert!(!code.succeeded());
    assert_eq!(file.as_deref(), Some(NOSUCH));
    // It stays there: ERROR needs a client call.
    advance(&mut w, 3600);
    assert_eq!(state(&w, p), JobState::Error);
}

#[test]
fn no_progress_timeout_zero_makes_every_error_fatal() {
    let (mut w, alice) = alice_world();
    let p = download_of(&mut w, alice, NOSUCH);
    assert_eq!(
        hr(
            &mut w,
            alice,
            p,
            Method::SetNoProgressTimeout { seconds: 0 }
        ),
        HResult::SOk
    );
    resume(&mut w, alice, p);
    advance(&mut w, 2);
    assert_eq!(state(&w, p), JobState::Error);
}

#[test]
fn queued_network_lost_goes_transient_error_network_disconnected() {
    let (mut w, alice) = alice_world();
    let p = job_in(&mut w, alice, JobState::Queued);
    ok(&w.apply(&Op::Network { up: false }));
    assert_eq!(state(&w, p), JobState::TransientError);
    let (context, code, _) = error_of(&mut w, alice, p);
    assert_eq!(code, HResult::BgENetworkDisconnected);
    assert_eq!(context, ErrorContext::GeneralTransport);
}

#[test]
fn transferring_network_lost_goes_transient_error_network_disconnected() {
    let (mut w, alice) = alice_world();
    let p = job_in(&mut w, alice, JobState::Transferring);
    advance(&mut w, 1);
    ok(&w.apply(&Op::Network { up: false }));
    assert_eq!(state(&w, p), JobState::TransientError);
    let (_, code, _) = error_of(&mut w, alice, p);
    assert_eq!(code, HResult::BgENetworkDisconnected);
    // While the network is down nothing moves, and no retry gets through.
    advance(&mut w, 3600);
    assert_ne!(state(&w, p), JobState::Transferring);
    assert_ne!(state(&w, p), JobState::Transferred);
    assert_eq!(progress(&mut w, alice, p).bytes_transferred, 1000);
}

#[test]
fn transient_error_network_restored_goes_queued() {
    // Whatever the code: a job that failed to reach a server, and one
    // that lost the network mid-transfer, both go back to QUEUED.
    let (mut w, alice) = alice_world();
    let unreachable = job_in(&mut w, alice, JobState::TransientError);
    let moving = job_in(&mut w, alice, JobState::Transferring);
    ok(&w.apply(&Op::Network { up: false }));
    assert_eq!(state(&w, moving), JobState::TransientError);
    assert_eq!(state(&w, unreachable), JobState::TransientError);
    ok(&w.apply(&Op::Network { up: true }));
    assert_eq!(state(&w, moving), JobState::Queued);
    assert_eq!(state(&w, unreachable), JobState::Queued);
    // The interrupted job then finishes.
    advance(&mut w, 10);
    assert_eq!(state(&w, moving), JobState::Transferred);
}

#[test]
fn transferring_owner_logs_off_goes_queued() {
    let (mut w, alice) = alice_world();
    ok(&w.apply(&Op::Publish {
        name: "http://web/big.bin".to_string(),
        bytes: 10_000,
    }));
    let p = download_of(&mut w, alice, "http://web/big.bin");
    resume(&mut w, alice, p);
    advance(&mut w, 4);
    assert_eq!(state(&w, p), JobState::Transferring);
    let moved = w.job_of(p).unwrap().progress().bytes_transferred;
    assert_eq!(moved, 2000);
    logoff(&mut w, alice);
    assert_eq!(state(&w, p), JobState::Queued);
    // Nothing moves while alice is away…
    advance(&mut w, 600);
    assert_eq!(state(&w, p), JobState::Queued);
    assert_eq!(w.job_of(p).unwrap().progress().bytes_transferred, moved);
    // …and the job resumes where it was when she is back.
    let _alice = console(&mut w, "alice", 1);
    advance(&mut w, 2);
    assert_eq!(state(&w, p), JobState::Transferring);
    advance(&mut w, 8);
    assert_eq!(state(&w, p), JobState::Transferred);
}

/// alice's job whose helper token is alice's own token (1607+: a
/// non-administrator may set one on her own job), used for the network.
fn job_with_helper(w: &mut World, alice: ThreadId) -> PointerId {
    impersonate_blanket(w, alice);
    let p = download(w, alice);
    let options = qi(w, alice, p, Interface::TokenOptions).unwrap();
    assert_eq!(hr(w, alice, options, Method::SetHelperToken), HResult::SOk);
    assert_eq!(
        hr(
            w,
            alice,
            options,
            Method::SetHelperTokenFlags {
                flags: bits::job::token_flags::NETWORK
            }
        ),
        HResult::SOk
    );
    resume(w, alice, p);
    advance(w, 3);
    assert_eq!(state(w, p), JobState::Transferring);
    p
}

#[test]
fn not_complete_with_helper_token_owner_logs_off_goes_error_token_required() {
    let (mut w, alice) = alice_world();
    let p = job_with_helper(&mut w, alice);
    logoff(&mut w, alice);
    assert_eq!(state(&w, p), JobState::Error);
    let alice = console(&mut w, "alice", 1);
    let (_, code, _) = error_of(&mut w, alice, p);
    assert_eq!(code, HResult::BgETokenRequired);
    assert!(w.job_of(p).unwrap().helper.is_none());
}

#[test]
fn not_complete_with_helper_token_terminal_session_ends_goes_error_token_required() {
    let (mut w, alice) = alice_world();
    let p = job_with_helper(&mut w, alice);
    ok(&w.apply(&Op::Host {
        op: simos::Op::EndTerminalSession {
            machine: "WS01".to_string(),
            session: 1,
        },
    }));
    assert_eq!(state(&w, p), JobState::Error);
    let last = transitions(&w, p).last().copied().unwrap();
    assert_eq!(
        last,
        (
            JobState::Transferring,
            JobState::Error,
            Some(HResult::BgETokenRequired)
        )
    );
    assert!(w.bits.log.iter().any(|e| matches!(
        e,
        BitsEvent::HelperTokenDiscarded { reason, .. } if reason == "terminal session end"
    )));
}

#[test]
fn transferred_with_helper_token_owner_logs_off_stays_transferred() {
    // Only a job that is not complete needs the token.
    let (mut w, alice) = alice_world();
    let p = job_with_helper(&mut w, alice);
    advance(&mut w, 2);
    assert_eq!(state(&w, p), JobState::Transferred);
    logoff(&mut w, alice);
    assert_eq!(state(&w, p), JobState::Transferred);
    assert!(w.job_of(p).unwrap().helper.is_none());
    let alice = console(&mut w, "alice", 1);
    assert_eq!(hr(&mut w, alice, p, Method::Complete), HResult::SOk);
    assert_eq!(state(&w, p), JobState::Acknowledged);
}

#[test]
fn error_resume_goes_queued() {
    let (mut w, alice) = alice_world();
    let p = job_in(&mut w, alice, JobState::Error);
    assert_eq!(hr(&mut w, alice, p, Method::Resume), HResult::SOk);
    assert_eq!(state(&w, p), JobState::Queued);
    // Resume clears the error object.
    assert_eq!(
        hr(&mut w, alice, p, Method::GetError),
        HResult::BgEErrorInformationUnavailable
    );
}

#[test]
fn transient_error_resume_goes_queued() {
    let (mut w, alice) = alice_world();
    let p = job_in(&mut w, alice, JobState::TransientError);
    assert_eq!(hr(&mut w, alice, p, Method::Resume), HResult::SOk);
    assert_eq!(state(&w, p), JobState::Queued);
}

#[test]
fn queued_connecting_transferring_resume_is_unchanged() {
    for s in [
        JobState::Queued,
        JobState::Connecting,
        JobState::Transferring,
    ] {
        let (mut w, alice) = alice_world();
        let p = job_in(&mut w, alice, s);
        let before = transitions(&w, p).len();
        assert_eq!(hr(&mut w, alice, p, Method::Resume), HResult::SOk, "{s}");
        assert_eq!(state(&w, p), s);
        assert_eq!(transitions(&w, p).len(), before, "{s}");
    }
}

#[test]
fn any_non_final_suspend_goes_suspended() {
    for s in NON_FINAL {
        let (mut w, alice) = alice_world();
        let p = job_in(&mut w, alice, s);
        assert_eq!(hr(&mut w, alice, p, Method::Suspend), HResult::SOk, "{s}");
        assert_eq!(state(&w, p), JobState::Suspended, "from {s}");
        // A suspended job stays put.
        advance(&mut w, 3600);
        assert_eq!(state(&w, p), JobState::Suspended, "from {s}");
    }
}

#[test]
fn any_non_final_cancel_goes_cancelled() {
    for s in NON_FINAL {
        let (mut w, alice) = alice_world();
        let p = job_in(&mut w, alice, s);
        assert_eq!(hr(&mut w, alice, p, Method::Cancel), HResult::SOk, "{s}");
        assert_eq!(state(&w, p), JobState::Cancelled, "from {s}");
        advance(&mut w, 60);
        assert_eq!(state(&w, p), JobState::Cancelled, "from {s}");
    }
}

#[test]
fn cancel_mid_transfer_deletes_the_temporary_file() {
    let (mut w, alice) = alice_world();
    let p = job_in(&mut w, alice, JobState::Transferring);
    advance(&mut w, 1);
    let temp = w.job_of(p).unwrap().files[0].temp.clone().unwrap();
    assert!(w.host.object("WS01", &temp).is_some());
    assert_eq!(hr(&mut w, alice, p, Method::Cancel), HResult::SOk);
    assert_eq!(state(&w, p), JobState::Cancelled);
    assert!(w.host.object("WS01", &temp).is_none());
    assert!(w.host.object("WS01", LOCAL).is_none());
}

#[test]
fn non_final_download_complete_goes_acknowledged() {
    for s in NON_FINAL {
        let (mut w, alice) = alice_world();
        let p = job_in(&mut w, alice, s);
        let expected = if s == JobState::Transferred {
            HResult::SOk
        } else {
            HResult::BgSPartialComplete
        };
        assert_eq!(hr(&mut w, alice, p, Method::Complete), expected, "{s}");
        assert_eq!(state(&w, p), JobState::Acknowledged, "from {s}");
        // Only a fully transferred file lands in place.
        assert_eq!(
            w.host.object("WS01", LOCAL).is_some(),
            s == JobState::Transferred,
            "from {s}"
        );
    }
}

#[test]
fn upload_complete_only_in_transferred_goes_acknowledged() {
    for job_type in [JobType::Upload, JobType::UploadReply] {
        let (mut w, alice) = alice_world();
        let p = upload(&mut w, alice, job_type);
        assert_eq!(
            hr(&mut w, alice, p, Method::Complete),
            HResult::BgEInvalidState
        );
        assert_eq!(state(&w, p), JobState::Suspended);
        resume(&mut w, alice, p);
        advance(&mut w, 10);
        assert_eq!(state(&w, p), JobState::Transferred, "{job_type:?}");
        assert_eq!(hr(&mut w, alice, p, Method::Complete), HResult::SOk);
        assert_eq!(state(&w, p), JobState::Acknowledged);
    }
}

#[test]
fn transferred_add_file_and_resume_goes_queued() {
    let (mut w, alice) = alice_world();
    let p = job_in(&mut w, alice, JobState::Transferred);
    assert_eq!(
        add_file(&mut w, alice, p, UNC, "C:\\Public\\second.bin"),
        HResult::SOk
    );
    assert_eq!(state(&w, p), JobState::Transferred);
    assert_eq!(hr(&mut w, alice, p, Method::Resume), HResult::SOk);
    assert_eq!(state(&w, p), JobState::Queued);
    advance(&mut w, 10);
    assert_eq!(state(&w, p), JobState::Transferred);
    let pr = progress(&mut w, alice, p);
    assert_eq!((pr.files_total, pr.files_transferred), (2, 2));
    assert_eq!(hr(&mut w, alice, p, Method::Complete), HResult::SOk);
    assert!(w.host.object("WS01", "C:\\Public\\second.bin").is_some());
}

#[test]
fn any_non_final_no_activity_for_job_inactivity_timeout_is_cancelled() {
    // The clock runs from the client's last change or the last byte: the
    // ERROR job was resumed 2 s before it failed, and failing is not
    // activity; the TRANSFERRED job moved its last byte as it finished.
    for (s, idle) in [
        (JobState::Suspended, 0),
        (JobState::Error, 2),
        (JobState::Transferred, 0),
    ] {
        let (mut w, alice) = alice_world();
        let p = job_in(&mut w, alice, s);
        advance(&mut w, NINETY_DAYS - idle - 1);
        assert_eq!(state(&w, p), s);
        advance(&mut w, 1);
        assert_eq!(state(&w, p), JobState::Cancelled, "from {s}");
    }
}

#[test]
fn transient_retries_do_not_restart_job_inactivity_timeout() {
    // [J-setnoprogresstimeout]: a retry period beyond JobInactivityTimeout
    // ends in cancellation when the policy value is exceeded.
    let (mut w, alice) = alice_world();
    let p = download_of(&mut w, alice, NOSUCH);
    for m in [
        Method::SetNoProgressTimeout {
            seconds: 100 * 24 * 3600,
        },
        Method::SetMinimumRetryDelay {
            seconds: 7 * 24 * 3600,
        },
    ] {
        assert_eq!(hr(&mut w, alice, p, m), HResult::SOk);
    }
    let resumed = w.host.now;
    resume(&mut w, alice, p);
    advance(&mut w, NINETY_DAYS - 1);
    assert_eq!(state(&w, p), JobState::TransientError);
    // Twelve weekly retries, each a state change: ModificationTime moved
    // with them ([E-bg_job_times]) while the inactivity clock did not.
    let t = times(&mut w, alice, p);
    assert!(t.modification >= resumed + 12 * 7 * 24 * 3600, "{t:?}");
    advance(&mut w, 1);
    assert_eq!(state(&w, p), JobState::Cancelled);
}

#[test]
fn bytes_moved_set_modification_time_and_restart_job_inactivity_timeout() {
    let (mut w, alice) = alice_world();
    let p = download(&mut w, alice);
    advance(&mut w, NINETY_DAYS - 10);
    resume(&mut w, alice, p);
    advance(&mut w, 3);
    assert_eq!(state(&w, p), JobState::Transferring);
    let moved = w.host.now;
    assert_eq!(times(&mut w, alice, p).modification, moved);
    // The network goes: the job waits in TRANSIENT_ERROR; the retry period
    // (14 days) runs out first and the job goes to ERROR, a state change
    // that is no activity either.
    ok(&w.apply(&Op::Network { up: false }));
    advance(&mut w, NINETY_DAYS - 1);
    assert_eq!(state(&w, p), JobState::Error);
    advance(&mut w, 1);
    assert_eq!(state(&w, p), JobState::Cancelled);
}

#[test]
fn implicit_credentials_do_not_answer_basic() {
    // [AUTH]: implicit (logged-on) credentials serve NTLM and Kerberos
    // only; Basic needs SetCredentials with a user name and password.
    let (mut w, alice) = alice_world();
    web_server(&mut w, &[AuthScheme::Basic], "D:(A;;FA;;;DU)");
    let p = download(&mut w, alice);
    resume(&mut w, alice, p);
    advance(&mut w, 5);
    assert_eq!(state(&w, p), JobState::Error);
    let (context, code, _) = error_of(&mut w, alice, p);
    assert_eq!(
        (context, code),
        (ErrorContext::RemoteFile, HResult::HttpError(401))
    );
    // With Basic credentials for the server it gets in.
    let p2 = qi(&mut w, alice, p, Interface::Job2).unwrap();
    let basic = Method::SetCredentials {
        target: 1,
        scheme: 1,
        user: Some("CORP\\alice".to_string()),
        password: Some("alice-pw".to_string()),
    };
    assert_eq!(hr(&mut w, alice, p2, basic), HResult::SOk);
    resume(&mut w, alice, p);
    advance(&mut w, 5);
    assert_eq!(state(&w, p), JobState::Transferred);
    // A site offering Negotiate as well takes the implicit credentials.
    let (mut w, alice) = alice_world();
    web_server(
        &mut w,
        &[AuthScheme::Basic, AuthScheme::Negotiate],
        "D:(A;;FA;;;DU)",
    );
    let p = job_in(&mut w, alice, JobState::Transferred);
    assert_eq!(state(&w, p), JobState::Transferred);
}

#[test]
fn job_inactivity_timeout_deletes_temporary_files_like_cancel() {
    // [J-geterror]: the service removes the job and deletes the temporary
    // files on the client.
    for s in [JobState::Transferred, JobState::Error] {
        let (mut w, alice) = alice_world();
        let p = job_in(&mut w, alice, JobState::Queued);
        advance(&mut w, 3);
        if s == JobState::Error {
            // Half-way, the server starts refusing alice: fatal.
            web_acl(&mut w, "D:");
            ok(&w.apply(&Op::Network { up: false }));
            ok(&w.apply(&Op::Network { up: true }));
        }
        advance(&mut w, 10);
        assert_eq!(state(&w, p), s);
        let temp = w.job_of(p).unwrap().files[0].temp.clone().unwrap();
        assert!(w.host.object("WS01", &temp).is_some());
        advance(&mut w, NINETY_DAYS);
        assert_eq!(state(&w, p), JobState::Cancelled, "from {s}");
        assert!(w.host.object("WS01", &temp).is_none(), "from {s}");
        assert!(w.host.object("WS01", LOCAL).is_none(), "from {s}");
    }
}

#[test]
fn job_inactivity_timeout_restarts_on_a_property_change() {
    let (mut w, alice) = alice_world();
    let p = job_in(&mut w, alice, JobState::Suspended);
    advance(&mut w, NINETY_DAYS - 10);
    assert_eq!(
        hr(
            &mut w,
            alice,
            p,
            Method::SetDescription {
                description: Some("still wanted".to_string())
            }
        ),
        HResult::SOk
    );
    advance(&mut w, 10);
    assert_eq!(state(&w, p), JobState::Suspended);
    advance(&mut w, NINETY_DAYS - 10);
    assert_eq!(state(&w, p), JobState::Cancelled);
}

#[test]
fn queued_job_whose_owner_never_returns_is_cancelled_after_job_inactivity_timeout() {
    let (mut w, alice) = alice_world();
    let p = job_in(&mut w, alice, JobState::Queued);
    logoff(&mut w, alice);
    advance(&mut w, NINETY_DAYS - 1);
    assert_eq!(state(&w, p), JobState::Queued);
    advance(&mut w, 1);
    assert_eq!(state(&w, p), JobState::Cancelled);
}

// ---------------------------------------------------------------------
// [LC], [W-TEST] Method legality by state
// ---------------------------------------------------------------------

/// Runs `m` on a job in each final state and expects BG_E_INVALID_STATE
/// with the state unchanged.
fn refused_in_final_states(m: &Method) {
    for s in FINAL {
        let (mut w, alice) = alice_world();
        let p = job_in(&mut w, alice, s);
        let target = match m {
            Method::SetNotifyCmdLine { .. }
            | Method::SetCredentials { .. }
            | Method::RemoveCredentials { .. } => qi(&mut w, alice, p, Interface::Job2).unwrap(),
            _ => p,
        };
        let before = w.job_of(p).unwrap().clone();
        assert_eq!(
            hr(&mut w, alice, target, m.clone()),
            HResult::BgEInvalidState,
            "{m:?} in {s}"
        );
        assert_eq!(state(&w, p), s, "{m:?} in {s}");
        assert_eq!(w.job_of(p).unwrap(), &before, "{m:?} changed a job in {s}");
    }
}

#[test]
fn resume_in_final_states_is_invalid_state() {
    refused_in_final_states(&Method::Resume);
}

#[test]
fn resume_with_no_files_is_bg_e_empty() {
    let (mut w, alice) = alice_world();
    let p = create(&mut w, alice, JobType::Download);
    assert_eq!(hr(&mut w, alice, p, Method::Resume), HResult::BgEEmpty);
}

#[test]
fn suspend_in_final_states_is_invalid_state() {
    refused_in_final_states(&Method::Suspend);
}

#[test]
fn suspend_already_suspended_is_s_ok_and_stays() {
    let (mut w, alice) = alice_world();
    let p = download(&mut w, alice);
    assert_eq!(hr(&mut w, alice, p, Method::Suspend), HResult::SOk);
    assert_eq!(state(&w, p), JobState::Suspended);
}

#[test]
fn cancel_in_final_states_is_invalid_state() {
    refused_in_final_states(&Method::Cancel);
}

#[test]
fn cancel_twice_is_invalid_state() {
    let (mut w, alice) = alice_world();
    let p = create(&mut w, alice, JobType::Download);
    // An empty suspended job cancels cleanly.
    assert_eq!(hr(&mut w, alice, p, Method::Cancel), HResult::SOk);
    assert_eq!(
        hr(&mut w, alice, p, Method::Cancel),
        HResult::BgEInvalidState
    );
    assert_eq!(state(&w, p), JobState::Cancelled);
}

#[test]
fn cancel_that_cannot_delete_its_temporary_file_is_bg_s_unable_to_delete_files() {
    let (mut w, alice) = alice_world();
    let p = job_in(&mut w, alice, JobState::Transferring);
    advance(&mut w, 1);
    let temp = w.job_of(p).unwrap().files[0].temp.clone().unwrap();
    undeletable(&mut w, &temp);
    assert_eq!(
        hr(&mut w, alice, p, Method::Cancel),
        HResult::BgSUnableToDeleteFiles
    );
    assert_eq!(state(&w, p), JobState::Cancelled);
}

#[test]
fn complete_download_in_final_states_is_invalid_state() {
    refused_in_final_states(&Method::Complete);
}

#[test]
fn complete_download_twice_is_invalid_state() {
    let (mut w, alice) = alice_world();
    let p = job_in(&mut w, alice, JobState::Transferred);
    assert_eq!(hr(&mut w, alice, p, Method::Complete), HResult::SOk);
    assert_eq!(
        hr(&mut w, alice, p, Method::Complete),
        HResult::BgEInvalidState
    );
    assert_eq!(state(&w, p), JobState::Acknowledged);
    assert!(w.host.object("WS01", LOCAL).is_some());
}

#[test]
fn complete_download_with_untransferred_files_is_bg_s_partial_complete() {
    let (mut w, alice) = alice_world();
    ok(&w.apply(&Op::Publish {
        name: "http://web/big.bin".to_string(),
        bytes: 10_000,
    }));
    let p = create(&mut w, alice, JobType::Download);
    assert_eq!(add_file(&mut w, alice, p, URL, LOCAL), HResult::SOk);
    assert_eq!(
        add_file(
            &mut w,
            alice,
            p,
            "http://web/big.bin",
            "C:\\Public\\big.bin"
        ),
        HResult::SOk
    );
    resume(&mut w, alice, p);
    advance(&mut w, 7);
    assert_eq!(state(&w, p), JobState::Transferring);
    let temp = w.job_of(p).unwrap().files[1].temp.clone().unwrap();
    assert_eq!(
        hr(&mut w, alice, p, Method::Complete),
        HResult::BgSPartialComplete
    );
    assert_eq!(state(&w, p), JobState::Acknowledged);
    // The complete file is kept, the partial one deleted.
    assert!(w.host.object("WS01", LOCAL).is_some());
    assert!(w.host.object("WS01", "C:\\Public\\big.bin").is_none());
    assert!(w.host.object("WS01", &temp).is_none());
}

#[test]
fn complete_download_that_cannot_delete_a_partial_file_is_bg_s_unable_to_delete_files() {
    let (mut w, alice) = alice_world();
    let p = job_in(&mut w, alice, JobState::Transferring);
    advance(&mut w, 1);
    let temp = w.job_of(p).unwrap().files[0].temp.clone().unwrap();
    undeletable(&mut w, &temp);
    assert_eq!(
        hr(&mut w, alice, p, Method::Complete),
        HResult::BgSUnableToDeleteFiles
    );
    assert_eq!(state(&w, p), JobState::Acknowledged);
    assert!(w.host.object("WS01", LOCAL).is_none());
}

#[test]
fn complete_download_rename_failure_returns_the_error_and_stays_transferred() {
    let (mut w, alice) = alice_world();
    let p = job_in(&mut w, alice, JobState::Transferred);
    // A file alice may not replace now sits at the destination, in a
    // directory that does not let her delete children.
    ok(&w.apply(&Op::Host {
        op: simos::Op::Object(ObjectOp::Define {
            machine: "WS01".to_string(),
            path: PUBLIC.to_string(),
            kind: ObjectKind::Directory,
            sddl: "O:BAG:SYD:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1201bf;;;AU)".to_string(),
        }),
    }));
    define_file(
        &mut w,
        LOCAL,
        "O:BAG:SYD:(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;AU)",
    );
    assert_eq!(
        hr(&mut w, alice, p, Method::Complete),
        HResult::EAccessDenied
    );
    assert_eq!(state(&w, p), JobState::Transferred);
}

#[test]
fn complete_upload_in_every_state_but_transferred_is_invalid_state() {
    for s in [
        JobState::Suspended,
        JobState::Queued,
        JobState::Connecting,
        JobState::Transferring,
    ] {
        let (mut w, alice) = alice_world();
        let p = upload(&mut w, alice, JobType::Upload);
        if s != JobState::Suspended {
            resume(&mut w, alice, p);
            advance(
                &mut w,
                match s {
                    JobState::Connecting => 1,
                    JobState::Transferring => 2,
                    _ => 0,
                },
            );
        }
        assert_eq!(state(&w, p), s);
        assert_eq!(
            hr(&mut w, alice, p, Method::Complete),
            HResult::BgEInvalidState,
            "{s}"
        );
        assert_eq!(state(&w, p), s);
    }
    // ERROR (the server refuses alice) and TRANSIENT_ERROR (no network).
    let (mut w, alice) = alice_world();
    let carol = sid_of(&w, "carol");
    web_acl(&mut w, &format!("D:(A;;FA;;;{carol})"));
    let p = upload(&mut w, alice, JobType::Upload);
    resume(&mut w, alice, p);
    advance(&mut w, 2);
    assert_eq!(state(&w, p), JobState::Error);
    assert_eq!(
        hr(&mut w, alice, p, Method::Complete),
        HResult::BgEInvalidState
    );
    assert_eq!(state(&w, p), JobState::Error);
    let (mut w, alice) = alice_world();
    let p = upload(&mut w, alice, JobType::UploadReply);
    resume(&mut w, alice, p);
    ok(&w.apply(&Op::Network { up: false }));
    assert_eq!(state(&w, p), JobState::TransientError);
    assert_eq!(
        hr(&mut w, alice, p, Method::Complete),
        HResult::BgEInvalidState
    );
    // And in the final states.
    for s in FINAL {
        let (mut w, alice) = alice_world();
        let p = upload(&mut w, alice, JobType::Upload);
        if s == JobState::Cancelled {
            assert_eq!(hr(&mut w, alice, p, Method::Cancel), HResult::SOk);
        } else {
            resume(&mut w, alice, p);
            advance(&mut w, 10);
            assert_eq!(hr(&mut w, alice, p, Method::Complete), HResult::SOk);
        }
        assert_eq!(
            hr(&mut w, alice, p, Method::Complete),
            HResult::BgEInvalidState,
            "{s}"
        );
        assert_eq!(state(&w, p), s);
    }
}

#[test]
fn take_ownership_in_final_states_is_invalid_state() {
    for s in FINAL {
        let (mut w, alice) = alice_world();
        let admin = console(&mut w, "admin", 2);
        let admin = elevated(&mut w, admin);
        let p = download(&mut w, alice);
        let id = w.job_of(p).unwrap().id;
        let out = call(&mut w, admin, Call::GetJob { job: id });
        let Value::Pointer { pointer: theirs } = out.value else {
            panic!("GetJob: {}", out.hr);
        };
        if s == JobState::Cancelled {
            assert_eq!(hr(&mut w, alice, p, Method::Cancel), HResult::SOk);
        } else {
            resume(&mut w, alice, p);
            advance(&mut w, 5);
            assert_eq!(hr(&mut w, alice, p, Method::Complete), HResult::SOk);
        }
        assert_eq!(
            hr(&mut w, admin, theirs, Method::TakeOwnership),
            HResult::BgEInvalidState,
            "{s}"
        );
        assert_eq!(w.job_of(p).unwrap().owner.sid, sid_of(&w, "alice"));
    }
}

#[test]
fn take_ownership_by_a_non_administrator_is_access_denied() {
    let (mut w, alice) = alice_world();
    let p = download(&mut w, alice);
    assert_eq!(
        hr(&mut w, alice, p, Method::TakeOwnership),
        HResult::EAccessDenied
    );
    // An elevated administrator may.
    let admin = console(&mut w, "admin", 2);
    let admin = elevated(&mut w, admin);
    let id = w.job_of(p).unwrap().id;
    let out = call(&mut w, admin, Call::GetJob { job: id });
    let Value::Pointer { pointer: theirs } = out.value else {
        panic!("GetJob: {}", out.hr);
    };
    assert_eq!(
        hr(&mut w, admin, theirs, Method::TakeOwnership),
        HResult::SOk
    );
    assert_eq!(w.job_of(p).unwrap().owner.sid, sid_of(&w, "admin"));
    assert_eq!(state(&w, p), JobState::Suspended);
}

#[test]
fn set_display_name_in_final_states_is_invalid_state() {
    refused_in_final_states(&Method::SetDisplayName {
        name: Some("n".to_string()),
    });
}

#[test]
fn set_display_name_null_is_e_invalidarg_and_over_256_is_string_too_long() {
    let (mut w, alice) = alice_world();
    let p = create(&mut w, alice, JobType::Download);
    assert_eq!(
        hr(&mut w, alice, p, Method::SetDisplayName { name: None }),
        HResult::EInvalidArg
    );
    assert_eq!(
        hr(
            &mut w,
            alice,
            p,
            Method::SetDisplayName {
                name: Some(long(257))
            }
        ),
        HResult::BgEStringTooLong
    );
    assert_eq!(
        method(&mut w, alice, p, Method::GetDisplayName).value,
        Value::Text {
            text: Some("job".to_string())
        }
    );
    assert_eq!(
        hr(
            &mut w,
            alice,
            p,
            Method::SetDisplayName {
                name: Some(long(256))
            }
        ),
        HResult::SOk
    );
    assert_eq!(
        method(&mut w, alice, p, Method::GetDisplayName).value,
        Value::Text {
            text: Some(long(256))
        }
    );
}

#[test]
fn set_description_in_final_states_is_invalid_state() {
    refused_in_final_states(&Method::SetDescription {
        description: Some("d".to_string()),
    });
}

#[test]
fn set_description_null_is_e_invalidarg_and_over_1024_is_string_too_long() {
    let (mut w, alice) = alice_world();
    let p = create(&mut w, alice, JobType::Download);
    assert_eq!(
        hr(
            &mut w,
            alice,
            p,
            Method::SetDescription { description: None }
        ),
        HResult::EInvalidArg
    );
    assert_eq!(
        hr(
            &mut w,
            alice,
            p,
            Method::SetDescription {
                description: Some(long(1025))
            }
        ),
        HResult::BgEStringTooLong
    );
    assert_eq!(
        hr(
            &mut w,
            alice,
            p,
            Method::SetDescription {
                description: Some(long(1024))
            }
        ),
        HResult::SOk
    );
    assert_eq!(
        method(&mut w, alice, p, Method::GetDescription).value,
        Value::Text {
            text: Some(long(1024))
        }
    );
}

#[test]
fn set_priority_in_final_states_is_invalid_state() {
    refused_in_final_states(&Method::SetPriority { priority: 1 });
}

#[test]
fn set_priority_undefined_value_is_e_notimpl() {
    let (mut w, alice) = alice_world();
    let p = create(&mut w, alice, JobType::Download);
    assert_eq!(number(&method(&mut w, alice, p, Method::GetPriority)), 2);
    assert_eq!(
        hr(&mut w, alice, p, Method::SetPriority { priority: 4 }),
        HResult::ENotImpl
    );
    assert_eq!(number(&method(&mut w, alice, p, Method::GetPriority)), 2);
    for priority in 0..=3 {
        assert_eq!(
            hr(&mut w, alice, p, Method::SetPriority { priority }),
            HResult::SOk
        );
        assert_eq!(
            number(&method(&mut w, alice, p, Method::GetPriority)),
            u64::from(priority)
        );
    }
}

#[test]
fn set_notify_flags_in_final_states_is_invalid_state() {
    refused_in_final_states(&Method::SetNotifyFlags { flags: 1 });
}

#[test]
fn set_notify_flags_undefined_bit_is_e_notimpl() {
    let (mut w, alice) = alice_world();
    let p = create(&mut w, alice, JobType::Download);
    assert_eq!(
        number(&method(&mut w, alice, p, Method::GetNotifyFlags)),
        u64::from(notify_flags::DEFAULT)
    );
    assert_eq!(
        hr(&mut w, alice, p, Method::SetNotifyFlags { flags: 0x40 }),
        HResult::ENotImpl
    );
    assert_eq!(
        number(&method(&mut w, alice, p, Method::GetNotifyFlags)),
        0x3
    );
    assert_eq!(
        hr(&mut w, alice, p, Method::SetNotifyFlags { flags: 0x3F }),
        HResult::SOk
    );
    assert_eq!(
        number(&method(&mut w, alice, p, Method::GetNotifyFlags)),
        0x3F
    );
}

#[test]
fn set_notify_interface_in_final_states_is_invalid_state() {
    refused_in_final_states(&Method::SetNotifyInterface { set: false });
    refused_in_final_states(&Method::SetNotifyInterface { set: true });
}

#[test]
fn set_minimum_retry_delay_and_no_progress_timeout_in_final_states_are_invalid_state() {
    refused_in_final_states(&Method::SetMinimumRetryDelay { seconds: 60 });
    refused_in_final_states(&Method::SetNoProgressTimeout { seconds: 60 });
}

#[test]
fn set_minimum_retry_delay_below_five_reads_back_five() {
    let (mut w, alice) = alice_world();
    let p = create(&mut w, alice, JobType::Download);
    assert_eq!(
        number(&method(&mut w, alice, p, Method::GetMinimumRetryDelay)),
        600
    );
    assert_eq!(
        number(&method(&mut w, alice, p, Method::GetNoProgressTimeout)),
        1_209_600
    );
    assert_eq!(
        hr(
            &mut w,
            alice,
            p,
            Method::SetMinimumRetryDelay { seconds: 1 }
        ),
        HResult::SOk
    );
    assert_eq!(
        number(&method(&mut w, alice, p, Method::GetMinimumRetryDelay)),
        5
    );
    assert_eq!(
        hr(
            &mut w,
            alice,
            p,
            Method::SetNoProgressTimeout { seconds: 0 }
        ),
        HResult::SOk
    );
    assert_eq!(
        number(&method(&mut w, alice, p, Method::GetNoProgressTimeout)),
        0
    );
}

#[test]
fn set_proxy_settings_in_final_states_is_invalid_state() {
    refused_in_final_states(&Method::SetProxySettings {
        usage: 1,
        list: None,
        bypass: None,
    });
}

#[test]
fn set_proxy_settings_errors() {
    let (mut w, alice) = alice_world();
    let p = create(&mut w, alice, JobType::Download);
    let set = |w: &mut World, usage, list: Option<String>, bypass: Option<String>| {
        hr(
            w,
            alice,
            p,
            Method::SetProxySettings {
                usage,
                list,
                bypass,
            },
        )
    };
    // An undefined usage.
    assert_eq!(set(&mut w, 4, None, None), HResult::ENotImpl);
    // OVERRIDE needs a list; the others take none.
    assert_eq!(set(&mut w, 2, None, None), HResult::EInvalidArg);
    assert_eq!(
        set(&mut w, 0, Some("proxy:80".to_string()), None),
        HResult::EInvalidArg
    );
    assert_eq!(
        set(&mut w, 3, None, Some("<local>".to_string())),
        HResult::EInvalidArg
    );
    // Lists over 4000 characters.
    assert_eq!(
        set(&mut w, 2, Some(long(4001)), None),
        HResult::BgEProxyListTooLarge
    );
    assert_eq!(
        set(&mut w, 2, Some("proxy:80".to_string()), Some(long(4001))),
        HResult::BgEProxyBypassListTooLarge
    );
    // Nothing above changed the job.
    assert_eq!(w.job_of(p).unwrap().proxy, (0, None, None));
    assert_eq!(
        set(
            &mut w,
            2,
            Some("proxy:80".to_string()),
            Some("<local>".to_string())
        ),
        HResult::SOk
    );
    for usage in [0, 1, 3] {
        assert_eq!(set(&mut w, usage, None, None), HResult::SOk);
    }
}

#[test]
fn set_notify_cmd_line_in_final_states_is_invalid_state() {
    refused_in_final_states(&Method::SetNotifyCmdLine {
        program: Some("C:\\Windows\\notepad.exe".to_string()),
        parameters: None,
    });
}

#[test]
fn set_notify_cmd_line_too_long_is_string_too_long() {
    let (mut w, alice) = alice_world();
    let p = create(&mut w, alice, JobType::Download);
    let job2 = qi(&mut w, alice, p, Interface::Job2).unwrap();
    assert_eq!(
        hr(
            &mut w,
            alice,
            job2,
            Method::SetNotifyCmdLine {
                program: Some(format!("C:\\{}", long(300))),
                parameters: None,
            }
        ),
        HResult::BgEStringTooLong
    );
    assert_eq!(
        hr(
            &mut w,
            alice,
            job2,
            Method::SetNotifyCmdLine {
                program: Some("C:\\Windows\\notepad.exe".to_string()),
                parameters: Some(long(4001)),
            }
        ),
        HResult::BgEStringTooLong
    );
    assert_eq!(w.job_of(p).unwrap().notify_cmdline, None);
    assert_eq!(
        hr(
            &mut w,
            alice,
            job2,
            Method::SetNotifyCmdLine {
                program: Some("C:\\Windows\\notepad.exe".to_string()),
                parameters: Some("notepad.exe C:\\Public\\file.bin".to_string()),
            }
        ),
        HResult::SOk
    );
}

#[test]
fn add_file_in_final_states_is_invalid_state() {
    refused_in_final_states(&Method::AddFile {
        remote: URL.to_string(),
        local: "C:\\Public\\late.bin".to_string(),
    });
    refused_in_final_states(&Method::AddFileSet {
        files: vec![FileSpec {
            remote: URL.to_string(),
            local: "C:\\Public\\late.bin".to_string(),
        }],
    });
}

#[test]
fn add_file_second_file_of_upload_is_too_many_files_and_add_file_set_adds_none() {
    for job_type in [JobType::Upload, JobType::UploadReply] {
        let (mut w, alice) = alice_world();
        let p = create(&mut w, alice, job_type);
        // Two at once: refused, and neither is added.
        let two = vec![
            FileSpec {
                remote: UP_REMOTE.to_string(),
                local: UP_LOCAL.to_string(),
            },
            FileSpec {
                remote: "http://web/upload/other.bin".to_string(),
                local: "C:\\Public\\other.bin".to_string(),
            },
        ];
        assert_eq!(
            hr(&mut w, alice, p, Method::AddFileSet { files: two }),
            HResult::BgETooManyFiles,
            "{job_type:?}"
        );
        assert_eq!(progress(&mut w, alice, p).files_total, 0);
        assert_eq!(
            add_file(&mut w, alice, p, UP_REMOTE, UP_LOCAL),
            HResult::SOk
        );
        assert_eq!(
            add_file(
                &mut w,
                alice,
                p,
                "http://web/upload/other.bin",
                "C:\\Public\\other.bin"
            ),
            HResult::BgETooManyFiles
        );
        assert_eq!(progress(&mut w, alice, p).files_total, 1);
    }
}

#[test]
fn add_file_beyond_max_files_per_job_is_too_many_files_in_job() {
    let (mut w, alice) = alice_world();
    let p = create(&mut w, alice, JobType::Download);
    let files: Vec<FileSpec> = (0..200)
        .map(|i| FileSpec {
            remote: format!("http://web/f{i}.bin"),
            local: format!("C:\\Public\\f{i}.bin"),
        })
        .collect();
    assert_eq!(
        hr(&mut w, alice, p, Method::AddFileSet { files }),
        HResult::SOk
    );
    assert_eq!(
        add_file(&mut w, alice, p, URL, LOCAL),
        HResult::BgETooManyFilesInJob
    );
    assert_eq!(progress(&mut w, alice, p).files_total, 200);
}

#[test]
fn add_file_relative_local_path_is_e_invalidarg() {
    let (mut w, alice) = alice_world();
    let p = create(&mut w, alice, JobType::Download);
    assert_eq!(
        add_file(&mut w, alice, p, URL, "file.bin"),
        HResult::EInvalidArg
    );
    assert_eq!(
        add_file(&mut w, alice, p, URL, "Public\\file.bin"),
        HResult::EInvalidArg
    );
    assert_eq!(progress(&mut w, alice, p).files_total, 0);
}

#[test]
fn set_credentials_validation() {
    let (mut w, alice) = alice_world();
    let p = create(&mut w, alice, JobType::Download);
    let job2 = qi(&mut w, alice, p, Interface::Job2).unwrap();
    let mut set = |target, scheme, user: Option<String>, password: Option<String>| {
        hr(
            &mut w,
            alice,
            job2,
            Method::SetCredentials {
                target,
                scheme,
                user,
                password,
            },
        )
    };
    let user = || Some("CORP\\carol".to_string());
    let pw = || Some("carol-pw".to_string());
    assert_eq!(set(0, 1, user(), pw()), HResult::BgEInvalidAuthTarget);
    assert_eq!(set(3, 1, user(), pw()), HResult::BgEInvalidAuthTarget);
    assert_eq!(set(1, 0, user(), pw()), HResult::BgEInvalidAuthScheme);
    assert_eq!(set(1, 6, user(), pw()), HResult::BgEInvalidAuthScheme);
    assert_eq!(
        set(1, 1, Some(long(301)), pw()),
        HResult::BgEUsernameTooLarge
    );
    assert_eq!(
        set(1, 1, user(), Some(long(65_536))),
        HResult::BgEPasswordTooLarge
    );
    // Basic needs a user name and a password.
    assert_eq!(set(1, 1, None, pw()), HResult::EInvalidArg);
    assert_eq!(set(1, 1, user(), None), HResult::EInvalidArg);
    // The limits themselves are allowed.
    assert_eq!(set(1, 1, Some(long(300)), Some(long(65_535))), HResult::SOk);
    // NTLM and Negotiate take NULL/NULL: the implicit credentials.
    assert_eq!(set(1, 3, None, None), HResult::SOk);
    assert_eq!(set(2, 4, None, None), HResult::SOk);
    assert_eq!(w.job_of(p).unwrap().credentials.len(), 3);
}

#[test]
fn set_credentials_in_final_states_is_invalid_state() {
    refused_in_final_states(&Method::SetCredentials {
        target: 1,
        scheme: 1,
        user: Some("CORP\\carol".to_string()),
        password: Some("carol-pw".to_string()),
    });
}

#[test]
fn remove_credentials_is_s_false_when_none_set() {
    let (mut w, alice) = alice_world();
    let p = create(&mut w, alice, JobType::Download);
    let job2 = qi(&mut w, alice, p, Interface::Job2).unwrap();
    let remove = |w: &mut World| {
        hr(
            w,
            alice,
            job2,
            Method::RemoveCredentials {
                target: 1,
                scheme: 1,
            },
        )
    };
    assert_eq!(remove(&mut w), HResult::SFalse);
    assert_eq!(
        hr(
            &mut w,
            alice,
            job2,
            Method::SetCredentials {
                target: 1,
                scheme: 1,
                user: Some("CORP\\carol".to_string()),
                password: Some("carol-pw".to_string()),
            }
        ),
        HResult::SOk
    );
    assert_eq!(remove(&mut w), HResult::SOk);
    assert_eq!(remove(&mut w), HResult::SFalse);
    assert_eq!(
        hr(
            &mut w,
            alice,
            job2,
            Method::RemoveCredentials {
                target: 9,
                scheme: 1
            }
        ),
        HResult::BgEInvalidAuthTarget
    );
    assert_eq!(
        hr(
            &mut w,
            alice,
            job2,
            Method::RemoveCredentials {
                target: 1,
                scheme: 9
            }
        ),
        HResult::BgEInvalidAuthScheme
    );
}

#[test]
fn get_error_without_an_error_object_is_error_information_unavailable() {
    for s in [
        JobState::Suspended,
        JobState::Queued,
        JobState::Transferring,
        JobState::Transferred,
        JobState::Acknowledged,
        JobState::Cancelled,
    ] {
        let (mut w, alice) = alice_world();
        let p = job_in(&mut w, alice, s);
        assert_eq!(
            hr(&mut w, alice, p, Method::GetError),
            HResult::BgEErrorInformationUnavailable,
            "{s}"
        );
    }
}

#[test]
fn get_error_in_error_returns_context_code_and_file() {
    let (mut w, alice) = alice_world();
    let p = job_in(&mut w, alice, JobState::Error);
    assert_eq!(
        error_of(&mut w, alice, p),
        (
            ErrorContext::RemoteFile,
            HResult::HttpError(404),
            Some(MISSING.to_string())
        )
    );
    assert_eq!(number(&method(&mut w, alice, p, Method::GetErrorCount)), 1);
}

#[test]
fn getters_work_in_final_states() {
    for s in FINAL {
        let (mut w, alice) = alice_world();
        let p = job_in(&mut w, alice, s);
        let id = w.job_of(p).unwrap().id;
        let alice_sid = sid_of(&w, "alice").to_string();
        let get = |w: &mut World, m: Method| {
            let out = method(w, alice, p, m.clone());
            assert_eq!(out.hr, HResult::SOk, "{m:?} in {s}");
            out.value
        };
        assert_eq!(get(&mut w, Method::GetState), Value::State { state: s });
        assert_eq!(get(&mut w, Method::GetId), Value::Id { job: id });
        assert_eq!(
            get(&mut w, Method::GetType),
            Value::Type {
                job_type: JobType::Download
            }
        );
        assert_eq!(
            get(&mut w, Method::GetOwner),
            Value::Text {
                text: Some(alice_sid)
            }
        );
        assert_eq!(
            get(&mut w, Method::GetDisplayName),
            Value::Text {
                text: Some("job".to_string())
            }
        );
        assert!(
            matches!(get(&mut w, Method::GetProgress), Value::Progress(p) if p.files_total == 1)
        );
        assert!(matches!(get(&mut w, Method::GetTimes), Value::Times(_)));
        assert_eq!(
            get(&mut w, Method::GetPriority),
            Value::Number { number: 2 }
        );
    }
}

#[test]
fn get_progress_of_a_fresh_job_is_all_zero_and_unknown_after_add_file() {
    let (mut w, alice) = alice_world();
    let p = create(&mut w, alice, JobType::Download);
    assert_eq!(
        progress(&mut w, alice, p),
        Progress {
            bytes_total: 0,
            bytes_transferred: 0,
            files_total: 0,
            files_transferred: 0,
        }
    );
    assert_eq!(add_file(&mut w, alice, p, URL, LOCAL), HResult::SOk);
    assert_eq!(
        progress(&mut w, alice, p),
        Progress {
            bytes_total: BG_SIZE_UNKNOWN,
            bytes_transferred: 0,
            files_total: 1,
            files_transferred: 0,
        }
    );
}

#[test]
fn download_to_a_directory_the_owner_cannot_write_is_error_access_denied_local_file() {
    let (mut w, alice) = alice_world();
    let target = format!("{PROTECTED}\\file.bin");
    let p = create(&mut w, alice, JobType::Download);
    assert_eq!(add_file(&mut w, alice, p, URL, &target), HResult::SOk);
    resume(&mut w, alice, p);
    advance(&mut w, 5);
    assert_eq!(state(&w, p), JobState::Error);
    // The server was reached; creating the temporary file failed.
    assert_eq!(
        transitions(&w, p).last().copied(),
        Some((
            JobState::Transferring,
            JobState::Error,
            Some(HResult::EAccessDenied)
        ))
    );
    assert_eq!(
        error_of(&mut w, alice, p),
        (
            ErrorContext::LocalFile,
            HResult::EAccessDenied,
            Some(URL.to_string())
        )
    );
    assert!(w.host.object("WS01", &target).is_none());
}

#[test]
fn http_server_whose_acl_denies_the_user_is_error_http_401_remote_file() {
    let (mut w, alice) = alice_world();
    let carol = sid_of(&w, "carol");
    web_acl(&mut w, &format!("D:(A;;FA;;;{carol})"));
    let p = download(&mut w, alice);
    resume(&mut w, alice, p);
    advance(&mut w, 5);
    assert_eq!(state(&w, p), JobState::Error);
    assert_eq!(
        error_of(&mut w, alice, p),
        (
            ErrorContext::RemoteFile,
            HResult::HttpError(401),
            Some(URL.to_string())
        )
    );
}

#[test]
fn missing_remote_file_is_error_http_404() {
    let (mut w, alice) = alice_world();
    let p = download_of(&mut w, alice, MISSING);
    resume(&mut w, alice, p);
    advance(&mut w, 5);
    assert_eq!(state(&w, p), JobState::Error);
    let (context, code, file) = error_of(&mut w, alice, p);
    assert_eq!(code, HResult::HttpError(404));
    assert_eq!(code.code(), 0x8019_0194);
    assert_eq!(context, ErrorContext::RemoteFile);
    assert_eq!(file.as_deref(), Some(MISSING));
}

// ---------------------------------------------------------------- scheduling and bandwidth policy

/// A download of `bytes` bytes at `priority` (a fresh remote name each).
fn sized_download(w: &mut World, t: ThreadId, name: &str, bytes: u64, priority: u32) -> PointerId {
    let remote = format!("http://web/{name}");
    ok(&w.apply(&Op::Publish {
        name: remote.clone(),
        bytes,
    }));
    let p = create(w, t, JobType::Download);
    assert_eq!(
        add_file(w, t, p, &remote, &format!("C:\\Public\\{name}")),
        HResult::SOk
    );
    assert_eq!(hr(w, t, p, Method::SetPriority { priority }), HResult::SOk);
    p
}

/// [LC]: "TRANSFERRING | time slice ends (round robin within a
/// priority) | QUEUED". One background job is on the network at a time;
/// after its slice it yields to a waiting job of its priority.
#[test]
fn transferring_time_slice_ends_goes_queued_round_robin() {
    let (mut w, alice) = alice_world();
    w.bits.policy.time_slice = 5;
    let a = sized_download(&mut w, alice, "a.bin", 100_000, bits::job::priority::NORMAL);
    let b = sized_download(&mut w, alice, "b.bin", 100_000, bits::job::priority::NORMAL);
    resume(&mut w, alice, a);
    resume(&mut w, alice, b);
    advance(&mut w, 3);
    assert_eq!(state(&w, a), JobState::Transferring);
    assert_eq!(
        state(&w, b),
        JobState::Queued,
        "one background job at a time"
    );
    advance(&mut w, 3);
    assert_eq!(state(&w, a), JobState::Queued, "a's slice is over");
    assert!(transitions(&w, a).contains(&(JobState::Transferring, JobState::Queued, None)));
    advance(&mut w, 2);
    assert_eq!(state(&w, b), JobState::Transferring, "b's turn");
    assert_eq!(state(&w, a), JobState::Queued);
    // A job alone keeps the network past its slice.
    let (mut w, alice) = alice_world();
    w.bits.policy.time_slice = 2;
    let c = sized_download(&mut w, alice, "c.bin", 100_000, bits::job::priority::NORMAL);
    resume(&mut w, alice, c);
    advance(&mut w, 8);
    assert_eq!(state(&w, c), JobState::Transferring);
    assert!(!transitions(&w, c).contains(&(JobState::Transferring, JobState::Queued, None)));
}

/// [LC] / [LC]: foreground jobs run concurrently with the one
/// background job; a lower priority waits for the higher one.
#[test]
fn foreground_runs_beside_background_and_lower_priority_waits() {
    let (mut w, alice) = alice_world();
    let high = sized_download(&mut w, alice, "high.bin", 5000, bits::job::priority::HIGH);
    let low = sized_download(&mut w, alice, "low.bin", 5000, bits::job::priority::LOW);
    let fg = sized_download(
        &mut w,
        alice,
        "fg.bin",
        5000,
        bits::job::priority::FOREGROUND,
    );
    resume(&mut w, alice, low);
    resume(&mut w, alice, high);
    resume(&mut w, alice, fg);
    advance(&mut w, 3);
    assert_eq!(state(&w, high), JobState::Transferring);
    assert_eq!(state(&w, fg), JobState::Transferring);
    assert_eq!(state(&w, low), JobState::Queued);
    advance(&mut w, 6);
    assert_eq!(state(&w, high), JobState::Transferred);
    assert_eq!(state(&w, fg), JobState::Transferred);
    assert_ne!(
        state(&w, low),
        JobState::Queued,
        "low runs once high is done"
    );
    advance(&mut w, 10);
    assert_eq!(state(&w, low), JobState::Transferred);
}

/// [LC] [GP]: "background jobs | MaxInternetBandwidth = 0 |
/// TRANSIENT_ERROR, BG_E_BLOCKED_BY_POLICY; QUEUED when the interval ends".
#[test]
fn bandwidth_policy_zero_blocks_background_jobs_until_the_interval_ends() {
    let (mut w, alice) = alice_world();
    let bg = sized_download(
        &mut w,
        alice,
        "bg.bin",
        100_000,
        bits::job::priority::NORMAL,
    );
    let fg = sized_download(
        &mut w,
        alice,
        "fg.bin",
        100_000,
        bits::job::priority::FOREGROUND,
    );
    resume(&mut w, alice, bg);
    resume(&mut w, alice, fg);
    advance(&mut w, 3);
    assert_eq!(state(&w, bg), JobState::Transferring);
    ok(&w.apply(&Op::BandwidthPolicy { blocked: true }));
    assert_eq!(state(&w, bg), JobState::TransientError);
    assert_eq!(
        error_of(&mut w, alice, bg),
        (
            ErrorContext::GeneralTransport,
            HResult::BgEBlockedByPolicy,
            None
        )
    );
    assert_eq!(HResult::BgEBlockedByPolicy.code(), 0x8020_003E);
    assert_eq!(
        state(&w, fg),
        JobState::Transferring,
        "foreground is not blocked"
    );
    advance(&mut w, 30);
    assert_eq!(state(&w, bg), JobState::TransientError);
    ok(&w.apply(&Op::BandwidthPolicy { blocked: false }));
    assert_eq!(state(&w, bg), JobState::Queued);
    advance(&mut w, 3);
    assert_eq!(state(&w, bg), JobState::Transferring);
}
