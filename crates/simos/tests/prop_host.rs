//! Random operation sequences against a host, checking after every step:
//! no thread's effective token holds a privilege or an enabled group that
//! its sources (the account database, the machine's policy and the
//! well-known logon groups) could not give it; an Identification- or
//! Anonymous-level thread never opens an object; RevertToSelf always
//! restores the process identity.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::collections::BTreeSet;

use proptest::prelude::*;
use simos::objects::{ObjectKind, ObjectOp};
use simos::{
    BuiltinIdentity, FlowPolicy, Host, LogonType, Machine, Op, ServiceAccount, ThreadStart,
};
use winsec::well_known::sids;
use winsec::{AccessMask, ImpersonationLevel, Privilege, Sid, Token, Win32Error};

const USERS: &[(&str, &str)] = &[("alice", "a"), ("bob", "b"), ("admin", "adm")];

fn host() -> Host {
    let mut h = Host::new();
    let mut m = Machine::new("WS1", "S-1-5-21-100-200-300".parse().unwrap());
    m.add_user("alice", "a", &[]);
    m.add_user("bob", "b", &[Sid::new(5, &[32, 551]).unwrap()]);
    m.add_user("admin", "adm", &[sids::builtin_administrators()]);
    h.add_machine(m);
    // A file everyone may read, so that opens are decided by the level.
    let out = h.apply(&Op::Object(ObjectOp::Define {
        machine: "WS1".into(),
        path: "C:\\data.txt".into(),
        kind: ObjectKind::File,
        sddl: "O:SYG:SYD:(A;;FA;;;WD)".into(),
    }));
    assert!(out.result.is_ok(), "{out:?}");
    h
}

/// Abstract steps; indices pick among the threads and tokens that exist.
#[derive(Debug, Clone)]
enum Step {
    Logon(usize, u32),
    Service(u8),
    LogonUser(usize, usize, u8),
    Impersonate(usize, usize),
    Pipe(usize, usize, u8),
    ImpersonateSelf(usize, u8),
    SetThreadToken(usize, Option<usize>),
    Revert(usize),
    Duplicate(usize, usize, u8, bool),
    CreateProcess(usize),
    CreateThread(usize, u8),
    Logoff(usize),
    Open(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..USERS.len(), 1u32..3).prop_map(|(u, s)| Step::Logon(u, s)),
        (0u8..3).prop_map(Step::Service),
        (any::<usize>(), 0..USERS.len(), 0u8..5).prop_map(|(t, u, k)| Step::LogonUser(t, u, k)),
        (any::<usize>(), any::<usize>()).prop_map(|(t, k)| Step::Impersonate(t, k)),
        (any::<usize>(), any::<usize>(), 0u8..4).prop_map(|(t, c, l)| Step::Pipe(t, c, l)),
        (any::<usize>(), 0u8..4).prop_map(|(t, l)| Step::ImpersonateSelf(t, l)),
        (any::<usize>(), proptest::option::of(any::<usize>()))
            .prop_map(|(t, k)| Step::SetThreadToken(t, k)),
        any::<usize>().prop_map(Step::Revert),
        (any::<usize>(), any::<usize>(), 0u8..4, any::<bool>())
            .prop_map(|(t, k, l, p)| Step::Duplicate(t, k, l, p)),
        any::<usize>().prop_map(Step::CreateProcess),
        (any::<usize>(), 0u8..5).prop_map(|(t, h)| Step::CreateThread(t, h)),
        any::<usize>().prop_map(Step::Logoff),
        any::<usize>().prop_map(Step::Open),
    ]
}

fn level(n: u8) -> ImpersonationLevel {
    [
        ImpersonationLevel::Anonymous,
        ImpersonationLevel::Identification,
        ImpersonationLevel::Impersonation,
        ImpersonationLevel::Delegation,
    ][usize::from(n % 4)]
}

fn pick<T: Copy>(items: &[T], i: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[i % items.len()])
}

/// Turns an abstract step into an operation on the current host.
fn concrete(h: &Host, s: &Step) -> Option<Op> {
    let threads: Vec<_> = h.threads.keys().copied().collect();
    let tokens: Vec<_> = h.tokens.keys().copied().collect();
    let logons: Vec<_> = h.logons.keys().copied().collect();
    Some(match s {
        Step::Logon(u, ts) => Op::InteractiveLogon {
            machine: "WS1".into(),
            user: USERS[*u].0.into(),
            domain: None,
            password: USERS[*u].1.into(),
            ts_session: *ts,
            remote: false,
        },
        Step::Service(k) => Op::StartService {
            machine: "WS1".into(),
            image: "svc.exe".into(),
            account: ServiceAccount::Builtin(
                [
                    BuiltinIdentity::LocalSystem,
                    BuiltinIdentity::LocalService,
                    BuiltinIdentity::NetworkService,
                ][usize::from(*k % 3)],
            ),
            flow_policy: Some(FlowPolicy::CLR_DEFAULT),
        },
        Step::LogonUser(t, u, k) => Op::LogonUser {
            thread: pick(&threads, *t)?,
            user: USERS[*u].0.into(),
            domain: None,
            password: USERS[*u].1.into(),
            logon_type: [
                LogonType::Interactive,
                LogonType::Network,
                LogonType::Batch,
                LogonType::NetworkCleartext,
                LogonType::NewCredentials,
            ][usize::from(*k % 5)],
        },
        Step::Impersonate(t, k) => Op::ImpersonateLoggedOnUser {
            thread: pick(&threads, *t)?,
            token: pick(&tokens, *k)?,
        },
        Step::Pipe(t, c, l) => Op::ImpersonateNamedPipeClient {
            thread: pick(&threads, *t)?,
            client: pick(&threads, *c)?,
            client_allows: level(*l),
        },
        Step::ImpersonateSelf(t, l) => Op::ImpersonateSelf {
            thread: pick(&threads, *t)?,
            level: level(*l),
        },
        Step::SetThreadToken(t, k) => Op::SetThreadToken {
            thread: pick(&threads, *t)?,
            token: match k {
                Some(k) => Some(pick(&tokens, *k)?),
                None => None,
            },
        },
        Step::Revert(t) => Op::RevertToSelf {
            thread: pick(&threads, *t)?,
        },
        Step::Duplicate(t, k, l, p) => Op::DuplicateTokenEx {
            thread: pick(&threads, *t)?,
            token: pick(&tokens, *k)?,
            level: level(*l),
            primary: *p,
        },
        Step::CreateProcess(t) => Op::CreateProcess {
            thread: pick(&threads, *t)?,
            image: "child.exe".into(),
        },
        Step::CreateThread(t, how) => Op::CreateThread {
            thread: pick(&threads, *t)?,
            how: [
                ThreadStart::Native,
                ThreadStart::ManagedThread,
                ThreadStart::QueueUserWorkItem,
                ThreadStart::UnsafeQueueUserWorkItem,
                ThreadStart::StaComCall,
            ][usize::from(*how % 5)],
        },
        Step::Logoff(l) => Op::Logoff {
            logon: pick(&logons, *l)?,
        },
        Step::Open(t) => Op::Object(ObjectOp::Open {
            thread: pick(&threads, *t)?,
            path: "C:\\data.txt".into(),
            desired: AccessMask(0x1),
            backup_intent: false,
        }),
    })
}

/// What a token of `user` could ever hold on WS1, computed from the account
/// database, the policy and the well-known groups a logon can add: the
/// reference the host's tokens are checked against.
fn sources(h: &Host, user: &Sid) -> (BTreeSet<Privilege>, BTreeSet<Sid>) {
    let m = h.machine("WS1").unwrap();
    let mut groups: BTreeSet<Sid> = [
        sids::everyone(),
        sids::interactive(),
        sids::network(),
        sids::batch(),
        sids::service(),
        sids::local(),
        sids::authenticated_users(),
        Sid::new(2, &[1]).unwrap(),
        Sid::new(5, &[13]).unwrap(),
        Sid::new(5, &[14]).unwrap(),
        Sid::new(5, &[15]).unwrap(),
    ]
    .into_iter()
    .collect();
    if *user == sids::local_system() {
        groups.insert(sids::builtin_administrators());
        return (Privilege::ALL.iter().copied().collect(), groups);
    }
    if *user == sids::local_service() || *user == sids::network_service() {
        groups.insert(sids::builtin_users());
    }
    if let Some(a) = m.accounts.values().find(|a| a.sid == *user) {
        groups.extend(a.groups.iter().cloned());
    }
    let mut holders = groups.clone();
    holders.insert(user.clone());
    (
        m.policy.privileges_for(&holders).into_iter().collect(),
        groups,
    )
}

fn within_sources(h: &Host, t: &Token) -> Result<(), String> {
    let (privileges, groups) = sources(h, &t.user.sid);
    for p in &t.privileges {
        if !privileges.contains(&p.privilege) {
            return Err(format!(
                "{} holds {} with no source",
                t.user.sid, p.privilege
            ));
        }
    }
    for g in t.groups.iter().filter(|g| g.is_enabled()) {
        let logon_sid = g.sid.authority() == 5 && g.sid.sub_authorities().first() == Some(&5);
        if !logon_sid && !groups.contains(&g.sid) {
            return Err(format!(
                "{} has enabled group {} with no source",
                t.user.sid, g.sid
            ));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_sequences_keep_the_host_invariants(steps in proptest::collection::vec(step(), 1..40)) {
        let mut h = host();
        for s in &steps {
            let Some(op) = concrete(&h, s) else { continue };
            let level_before = match &op {
                Op::Object(ObjectOp::Open { thread, .. }) => h.effective_token(*thread).and_then(|t| t.impersonation_level()),
                _ => None,
            };
            let out = h.apply(&op);
            if level_before.is_some_and(|l| l < ImpersonationLevel::Impersonation) {
                prop_assert_eq!(out.result.error(), Some(Win32Error::BadImpersonationLevel), "an Identification-level thread opened an object");
            }
            if let (Op::RevertToSelf { thread }, true) = (&op, out.result.is_ok()) {
                let primary = h.process_of(*thread).map(|p| p.primary_token);
                prop_assert_eq!(h.effective_token_id(*thread), primary, "RevertToSelf restores the process identity");
            }
            for thread in h.threads.keys() {
                let t = h.effective_token(*thread).unwrap();
                prop_assert!(within_sources(&h, t).is_ok(), "after {:?}: {:?}", op, within_sources(&h, t));
            }
        }
    }
}
