//! The clock: `Op::Advance` jumps from event to event, yet gives exactly
//! what one service step per simulated second gives.
//!
//! The reference is `World::advance_second_by_second`, the engine's step
//! run once for every second. A property test drives random small worlds
//! (several jobs of every priority, files of random sizes, a random rate
//! and time slice, unreachable servers that retry, logoffs, network and
//! bandwidth changes, Suspend and Resume) through the same operations,
//! once with `Op::Advance` and once with the reference, and requires the
//! same world, the same events (progress reports aside: a quiet stretch
//! reports the bytes once, at its end) and the same rule ids. Other tests
//! check that the work follows the events, not the seconds, and what
//! `World::next_deadline` answers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

mod support;

use bits::job::priority;
use bits::{BitsEvent, JobState, JobType, Method, Op, PointerId, Profile, World};
use proptest::prelude::*;
use simos::{Event as HostEvent, ThreadId};
use support::*;

/// One job of a generated world.
#[derive(Debug, Clone)]
struct JobPlan {
    priority: u32,
    /// File sizes; 0 means a URL on a server that does not exist (the job
    /// retries transiently), 1 a URL with nothing published (HTTP 404).
    files: Vec<u64>,
    owner_bob: bool,
}

/// What happens between advances.
#[derive(Debug, Clone)]
enum Event {
    Advance(u64),
    Network(bool),
    Bandwidth(bool),
    LogoffBob,
    LogonBob,
    Suspend(usize),
    Resume(usize),
    RetryDelay(usize, u64),
    NoProgressTimeout(usize, u64),
}

#[derive(Debug, Clone)]
struct Plan {
    rate: u64,
    time_slice: u64,
    inactivity: u64,
    jobs: Vec<JobPlan>,
    events: Vec<Event>,
}

fn job_plan() -> impl Strategy<Value = JobPlan> {
    (
        0u32..4,
        prop::collection::vec(prop_oneof![Just(0u64), Just(1u64), 2u64..9000], 1..3),
        any::<bool>(),
    )
        .prop_map(|(priority, files, owner_bob)| JobPlan {
            priority,
            files,
            owner_bob,
        })
}

fn event(jobs: usize) -> impl Strategy<Value = Event> {
    prop_oneof![
        6 => (0u64..400).prop_map(Event::Advance),
        1 => (0u64..5000).prop_map(Event::Advance),
        1 => any::<bool>().prop_map(Event::Network),
        1 => any::<bool>().prop_map(Event::Bandwidth),
        1 => Just(Event::LogoffBob),
        1 => Just(Event::LogonBob),
        1 => (0..jobs).prop_map(Event::Suspend),
        2 => (0..jobs).prop_map(Event::Resume),
        1 => ((0..jobs), 0u64..200).prop_map(|(j, s)| Event::RetryDelay(j, s)),
        1 => ((0..jobs), 0u64..600).prop_map(|(j, s)| Event::NoProgressTimeout(j, s)),
    ]
}

fn plan() -> impl Strategy<Value = Plan> {
    prop::collection::vec(job_plan(), 1..4).prop_flat_map(|jobs| {
        let n = jobs.len();
        (
            prop_oneof![Just(0u64), 1u64..3000],
            0u64..90,
            prop_oneof![Just(90 * 24 * 3600), 100u64..3000],
            Just(jobs),
            prop::collection::vec(event(n), 1..14),
        )
            .prop_map(|(rate, time_slice, inactivity, jobs, events)| Plan {
                rate,
                time_slice,
                inactivity,
                jobs,
                events,
            })
    })
}

/// The actors and pointers of a built world.
struct Built {
    world: World,
    alice: ThreadId,
    bob: Option<ThreadId>,
    jobs: Vec<(ThreadId, PointerId)>,
}

fn build(plan: &Plan) -> Built {
    let mut w = world(Profile::Win11);
    w.bits.policy.bytes_per_tick = plan.rate;
    w.bits.policy.time_slice = plan.time_slice;
    w.bits.policy.job_inactivity_timeout = plan.inactivity;
    let alice = console(&mut w, "alice", 1);
    let bob = console(&mut w, "bob", 2);
    let mut jobs = Vec::new();
    for (i, j) in plan.jobs.iter().enumerate() {
        let owner = if j.owner_bob { bob } else { alice };
        let p = create(&mut w, owner, JobType::Download);
        for (k, size) in j.files.iter().enumerate() {
            let remote = match size {
                0 => format!("http://nosuch/f{i}_{k}"),
                _ => format!("http://web/f{i}_{k}.bin"),
            };
            if *size > 1 {
                ok(&w.apply(&Op::Publish {
                    name: remote.clone(),
                    bytes: *size,
                }));
            }
            let local = format!("{PUBLIC}\\f{i}_{k}.bin");
            assert_eq!(
                add_file(&mut w, owner, p, &remote, &local),
                bits::HResult::SOk
            );
        }
        method(
            &mut w,
            owner,
            p,
            Method::SetPriority {
                priority: j.priority,
            },
        );
        method(&mut w, owner, p, Method::Resume);
        jobs.push((owner, p));
    }
    Built {
        world: w,
        alice,
        bob: Some(bob),
        jobs,
    }
}

/// Everything but the logs, which the two runs fill differently.
fn without_logs(w: &World) -> World {
    let mut w = w.clone();
    w.bits.log.clear();
    w.host.log.clear();
    w
}

/// The last bytes reported for each (job, file).
type LastProgress = Vec<((bits::JobId, usize), u64)>;

/// The service's events without progress reports, and the last bytes
/// reported for each (job, file).
fn events(w: &World) -> (Vec<BitsEvent>, LastProgress) {
    let mut last = std::collections::BTreeMap::new();
    let mut other = Vec::new();
    for e in &w.bits.log {
        match e {
            BitsEvent::FileProgress { job, file, bytes } => {
                last.insert((*job, *file), *bytes);
            }
            e => other.push(e.clone()),
        }
    }
    (other, last.into_iter().collect())
}

fn host_events(w: &World) -> Vec<HostEvent> {
    w.host
        .log
        .iter()
        .filter(|e| !matches!(e, HostEvent::Tick { .. }))
        .cloned()
        .collect()
}

/// Applies a non-clock event to a built world.
fn apply_event(b: &mut Built, e: &Event) {
    let w = &mut b.world;
    match e {
        Event::Advance(n) => {
            w.apply(&Op::Advance { ticks: *n });
        }
        Event::Network(up) => {
            w.apply(&Op::Network { up: *up });
        }
        Event::Bandwidth(blocked) => {
            w.apply(&Op::BandwidthPolicy { blocked: *blocked });
        }
        Event::LogoffBob => {
            if let Some(bob) = b.bob.take() {
                let primary = w.host.process_of(bob).unwrap().primary_token;
                let logon = w.host.token(primary).unwrap().logon;
                w.apply(&Op::Host {
                    op: simos::Op::Logoff { logon },
                });
            }
        }
        Event::LogonBob => {
            if b.bob.is_none() {
                b.bob = Some(console(w, "bob", 2));
            }
        }
        Event::Suspend(j) | Event::Resume(j) => {
            let (owner, p) = b.jobs[*j];
            // A job's owner may have logged off; the call then comes from
            // alice, who is refused or not as the rules say.
            let caller = if w.host.process_of(owner).is_some_and(|p| p.alive) {
                owner
            } else {
                b.alice
            };
            let m = if matches!(e, Event::Suspend(_)) {
                Method::Suspend
            } else {
                Method::Resume
            };
            method(w, caller, p, m);
        }
        Event::RetryDelay(j, s) | Event::NoProgressTimeout(j, s) => {
            let (owner, p) = b.jobs[*j];
            let caller = if w.host.process_of(owner).is_some_and(|p| p.alive) {
                owner
            } else {
                b.alice
            };
            let m = if matches!(e, Event::RetryDelay(..)) {
                Method::SetMinimumRetryDelay { seconds: *s }
            } else {
                Method::SetNoProgressTimeout { seconds: *s }
            };
            method(w, caller, p, m);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// `Op::Advance { ticks: n }` leaves the world exactly as `n` single
    /// seconds of service steps do, with the same state changes, accesses
    /// and rule ids, and the same final progress of every file.
    #[test]
    fn advance_by_events_equals_stepping_every_second(plan in plan()) {
        let mut jump = build(&plan);
        let mut walk = Built {
            world: jump.world.clone(),
            alice: jump.alice,
            bob: jump.bob,
            jobs: jump.jobs.clone(),
        };
        for e in &plan.events {
            match e {
                Event::Advance(n) => {
                    let out = jump.world.apply(&Op::Advance { ticks: *n });
                    let rules = walk.world.advance_second_by_second(*n);
                    prop_assert_eq!(&out.rules, &rules, "rule ids after advancing {}", n);
                }
                e => {
                    apply_event(&mut jump, e);
                    apply_event(&mut walk, e);
                }
            }
            prop_assert_eq!(jump.world.host.now, walk.world.host.now);
            prop_assert!(without_logs(&jump.world) == without_logs(&walk.world),
                "worlds differ after {:?}:\n{:#?}\nvs\n{:#?}",
                e, jump.world.bits.jobs, walk.world.bits.jobs);
            prop_assert_eq!(events(&jump.world), events(&walk.world));
            prop_assert_eq!(host_events(&jump.world), host_events(&walk.world));
        }
    }

    /// Whatever the world, the next deadline is later than now, and until
    /// it comes no job changes state and no file finishes; at the deadline
    /// (when it is a job's own: a connect, a file finishing, a slice
    /// ending) something does happen. Checked along each run, deadline
    /// after deadline.
    #[test]
    fn nothing_but_bytes_moves_before_the_next_deadline(plan in plan()) {
        let mut b = build(&plan);
        for e in &plan.events {
            apply_event(&mut b, e);
            let mut w = b.world.clone();
            for _ in 0..6 {
                let Some(next) = w.next_deadline() else { break };
                prop_assert!(next > w.host.now);
                let quiet = next - w.host.now - 1;
                if quiet > 2_000 {
                    break;
                }
                let before = w.clone();
                w.bits.log.clear();
                w.advance_second_by_second(quiet);
                for (id, old) in &before.bits.jobs {
                    let new = w.job(*id).unwrap();
                    prop_assert_eq!(old.state, new.state, "job {} changed state before {}", id, next);
                    for (f0, f1) in old.files.iter().zip(&new.files) {
                        prop_assert!(f1.bytes_transferred >= f0.bytes_transferred);
                        prop_assert_eq!(f0.completed, f1.completed);
                    }
                }
                prop_assert!(w.bits.log.iter().all(|e| matches!(e, BitsEvent::FileProgress { .. })),
                    "{:?}", w.bits.log);
                // The deadline's own second.
                let quiet_world = without_logs(&w);
                w.advance_second_by_second(1);
                let mut moved_only = without_logs(&w);
                // Had the second been quiet too, only bytes and times of
                // running jobs would differ; something else must.
                for (id, job) in moved_only.bits.jobs.iter_mut() {
                    if let Some(q) = quiet_world.bits.jobs.get(id) {
                        if q.state == JobState::Transferring && job.state == JobState::Transferring {
                            for (f, qf) in job.files.iter_mut().zip(&q.files) {
                                f.bytes_transferred = qf.bytes_transferred;
                            }
                            job.last_progress = q.last_progress;
                            job.last_activity = q.last_activity;
                            job.times = q.times;
                        }
                    }
                }
                moved_only.host.now = quiet_world.host.now;
                prop_assert!(moved_only != quiet_world, "nothing happened at the deadline {}", next);
            }
        }
    }
}

/// A running job whose file would take 2^44 seconds is advanced by 2^64 - 1
/// seconds at once: the work and the trace follow the events (connect,
/// temporary file, the long quiet stretch, completion, the inactivity
/// cancel), not the seconds.
#[test]
fn advancing_the_whole_clock_costs_the_events_only() {
    let mut w = world(Profile::Win11);
    w.bits.policy.bytes_per_tick = 1 << 20;
    let alice = console(&mut w, "alice", 1);
    ok(&w.apply(&Op::Publish {
        name: "http://web/huge.iso".to_string(),
        bytes: u64::MAX / 2,
    }));
    let job = create(&mut w, alice, JobType::Download);
    add_file(
        &mut w,
        alice,
        job,
        "http://web/huge.iso",
        &format!("{PUBLIC}\\huge.iso"),
    );
    method(&mut w, alice, job, Method::Resume);
    let out = w.apply(&Op::Advance { ticks: u64::MAX });
    assert_eq!(w.host.now, u64::MAX);
    let states: Vec<JobState> = out
        .events
        .iter()
        .filter_map(|e| match e {
            BitsEvent::StateChanged { to, .. } => Some(*to),
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        [
            JobState::Connecting,
            JobState::Transferring,
            JobState::Transferred,
            JobState::Cancelled
        ]
    );
    let progress: Vec<u64> = out
        .events
        .iter()
        .filter_map(|e| match e {
            BitsEvent::FileProgress { bytes, .. } => Some(*bytes),
            _ => None,
        })
        .collect();
    // The first second, the quiet stretch, the last second.
    assert_eq!(progress.len(), 3, "{progress:?}");
    assert_eq!(progress[0], 1 << 20);
    assert_eq!(progress[2], u64::MAX / 2);
    assert!(out.events.len() < 20, "{} events", out.events.len());
    assert!(
        out.host_events.len() < 60,
        "{} host events",
        out.host_events.len()
    );
}

/// Two background jobs share the network by time slices: the next
/// deadline is the end of the running job's slice, and a foreground job
/// next to them changes nothing about that.
#[test]
fn next_deadline_is_the_end_of_the_time_slice_or_of_the_file() {
    let mut w = world(Profile::Win11);
    w.bits.policy.time_slice = 60;
    let alice = console(&mut w, "alice", 1);
    let mut jobs = Vec::new();
    for (i, size) in [(0, 100_000u64), (1, 100_000), (2, 7500)] {
        let name = format!("http://web/slice{i}.bin");
        ok(&w.apply(&Op::Publish {
            name: name.clone(),
            bytes: size,
        }));
        let p = create(&mut w, alice, JobType::Download);
        add_file(&mut w, alice, p, &name, &format!("{PUBLIC}\\slice{i}.bin"));
        jobs.push(p);
    }
    // Nothing is queued: nothing happens by itself but the inactivity
    // timeout, 90 days after creation.
    assert_eq!(w.next_deadline(), Some(w.host.now + 90 * 24 * 3600));
    method(&mut w, alice, jobs[0], Method::Resume);
    method(&mut w, alice, jobs[1], Method::Resume);
    assert_eq!(w.next_deadline(), Some(w.host.now + 1));
    advance(&mut w, 3);
    assert_eq!(state(&w, jobs[0]), JobState::Transferring);
    let started = w.host.now - 2;
    // Job 0 connected at +1, so its slice ends at +61.
    assert_eq!(w.next_deadline(), Some(started + 60));
    // A foreground job makes the next second an event (it connects) …
    method(
        &mut w,
        alice,
        jobs[2],
        Method::SetPriority {
            priority: priority::FOREGROUND,
        },
    );
    method(&mut w, alice, jobs[2], Method::Resume);
    assert_eq!(w.next_deadline(), Some(w.host.now + 1));
    advance(&mut w, 3);
    assert_eq!(state(&w, jobs[2]), JobState::Transferring);
    // … and once it runs, the 6500 bytes its 7500 have left move in six
    // quiet seconds of 1000 and a seventh of 500, before the slice ends.
    assert_eq!(w.next_deadline(), Some(w.host.now + 7));
    advance(&mut w, 6);
    assert_eq!(
        w.job_of(jobs[2]).unwrap().progress().bytes_transferred,
        7000
    );
    advance(&mut w, 1);
    assert_eq!(state(&w, jobs[2]), JobState::Transferred);
    assert_eq!(w.next_deadline(), Some(started + 60));
    let left = started + 60 - w.host.now;
    advance(&mut w, left);
    assert_eq!(state(&w, jobs[0]), JobState::Queued);
    assert_eq!(state(&w, jobs[1]), JobState::Connecting);
}

/// With a rate of 0 a transfer never finishes: nothing but the other
/// deadlines is next.
#[test]
fn a_stalled_transfer_has_no_deadline_of_its_own() {
    let mut w = world(Profile::Win11);
    w.bits.policy.bytes_per_tick = 0;
    let alice = console(&mut w, "alice", 1);
    let job = create(&mut w, alice, JobType::Download);
    add_file(&mut w, alice, job, URL, &format!("{PUBLIC}\\stalled.bin"));
    method(&mut w, alice, job, Method::Resume);
    advance(&mut w, 3);
    assert_eq!(state(&w, job), JobState::Transferring);
    assert_eq!(w.next_deadline(), None);
    let out = w.apply(&Op::Advance { ticks: 1_000_000 });
    assert_eq!(state(&w, job), JobState::Transferring);
    assert_eq!(
        out.events
            .iter()
            .filter(|e| matches!(e, BitsEvent::FileProgress { .. }))
            .count(),
        1
    );
}
