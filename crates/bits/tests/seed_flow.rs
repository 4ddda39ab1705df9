//! The seed flow of "Helper Tokens for BITS Transfer Jobs": a service
//! creates a job that writes into a privileged directory and presents a
//! low-rights domain identity to the HTTP server through a helper token.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

mod support;

use bits::job::token_flags;
use bits::{
    AccessCheckAt, Acting, BitsEvent, HResult, Interface, JobState, JobType, Method, Profile,
    Resource,
};
use simos::{BuiltinIdentity, LogonType};
use support::*;

/// Runs the flow; returns the world and the job pointer.
fn seed_flow(w: &mut bits::World) -> (simos::ThreadId, bits::PointerId, Result<(), HResult>) {
    let svc = service(w, BuiltinIdentity::LocalSystem);
    impersonate_blanket(w, svc);
    let job = create(w, svc, JobType::Download);
    assert_eq!(
        add_file(w, svc, job, URL, &format!("{PROTECTED}\\file.bin")),
        HResult::SOk
    );
    let options = match qi(w, svc, job, Interface::TokenOptions) {
        Ok(p) => p,
        Err(hr) => return (svc, job, Err(hr)),
    };
    let carol = logon_user(w, svc, "carol", LogonType::Interactive);
    impersonate(w, svc, carol);
    let set = method(w, svc, options, Method::SetHelperToken).hr;
    revert(w, svc);
    if set != HResult::SOk {
        return (svc, job, Err(set));
    }
    let flags = method(
        w,
        svc,
        options,
        Method::SetHelperTokenFlags {
            flags: token_flags::NETWORK,
        },
    )
    .hr;
    assert_eq!(flags, HResult::SOk);
    assert_eq!(method(w, svc, job, Method::Resume).hr, HResult::SOk);
    (svc, job, Ok(()))
}

#[test]
fn seed_flow_works_on_win7_and_later() {
    for profile in [
        Profile::Win7,
        Profile::Win10_1507,
        Profile::Win10_1607,
        Profile::Win11,
    ] {
        let mut w = world(profile);
        let carol = sid_of(&w, "carol");
        let (svc, job, result) = seed_flow(&mut w);
        assert_eq!(result, Ok(()), "{profile}");
        advance(&mut w, 10);
        assert_eq!(state(&w, job), JobState::Transferred, "{profile}");
        let accesses: Vec<_> = w
            .bits
            .log
            .iter()
            .filter_map(|e| match e {
                BitsEvent::ResourceAccess {
                    resource,
                    acting,
                    user,
                    granted,
                    ..
                } => Some((*resource, *acting, user.clone(), *granted)),
                _ => None,
            })
            .collect();
        // The server saw carol; the protected directory was written as the owner (SYSTEM).
        assert!(
            accesses.contains(&(Resource::Remote, Acting::Helper, Some(carol.clone()), true)),
            "{accesses:?}"
        );
        assert!(accesses
            .iter()
            .any(|(r, a, _, g)| *r == Resource::LocalFile && *a == Acting::Owner && *g));
        assert_eq!(method(&mut w, svc, job, Method::Complete).hr, HResult::SOk);
        assert_eq!(state(&w, job), JobState::Acknowledged);
        assert!(w
            .host
            .object("WS01", &format!("{PROTECTED}\\file.bin"))
            .is_some());
    }
}

#[test]
fn seed_flow_has_no_interface_on_vista() {
    let mut w = world(Profile::Vista);
    let (_, _, result) = seed_flow(&mut w);
    assert_eq!(result, Err(HResult::ENoInterface));
}

#[test]
fn seed_flow_fails_under_per_call_checks() {
    let mut rules = Profile::Win7.rules();
    rules.access_check = AccessCheckAt::EveryCall;
    let mut w = world_with(rules);
    let (_, _, result) = seed_flow(&mut w);
    // The call made while impersonating carol is checked as carol, who
    // neither owns the job nor is an administrator.
    assert_eq!(result, Err(HResult::EAccessDenied));
}
