//! The invariant catalog on real runs of the BITS world: each invariant holds where its situation occurs, breaks once the transition is tampered with, and a realistic sequence runs clean on every profile.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::collections::BTreeSet;

use bits::job::token_flags;
use bits::world::Target;
use bits::{
    Acting, BitsEvent, Call, HResult, Interface, JobId, JobState, JobType, Method, Op, Outcome,
    PointerId, Profile, Resource, Value, World,
};
use oracle::{check_all, invariant, Transition, Violation, CATALOG};
use simos::network::{AuthScheme, NetworkOp, Server, ServerKind};
use simos::objects::{ObjectKind, ObjectOp};
use simos::{
    BuiltinIdentity, Cloaking, Domain, Host, LogonId, LogonType, Machine, NetworkCredentials,
    PrincipalKind, ServiceAccount, ThreadId, TokenId,
};
use winsec::token::{group_attrs, privilege_attrs};
use winsec::well_known::sids;
use winsec::{AccessMask, Group, ImpersonationLevel, Sid, TokenType};

const URL: &str = "http://web/file.bin";
const PUBLIC: &str = "C:\\Public";
const DOC: &str = "C:\\Public\\doc.txt";

// ---------------------------------------------------------------------------
// A small CORP domain: alice, bob, carol (standard users) and admin (in
// WS01's Administrators); BITS runs on WS01 (UAC on); `web` is an HTTP
// server on WEB that Domain Users may read; C:\Public is writable by every
// authenticated user and holds doc.txt, which they may only read.

fn host() -> Host {
    let mut h = Host::new();
    let mut d = Domain::new("CORP", "corp.example", "S-1-5-21-7-8-9".parse().unwrap());
    for user in ["alice", "bob", "carol", "admin"] {
        d.add_account(user, &format!("{user}-pw"), PrincipalKind::User, &[]);
    }
    d.add_account("svc-web", "svc-web-pw", PrincipalKind::Service, &[]);
    for computer in ["WS01$", "WEB$"] {
        d.add_account(computer, "machine-pw", PrincipalKind::Computer, &[]);
    }
    d.account_mut("svc-web")
        .unwrap()
        .spns
        .insert("HTTP/web.corp.example".to_string());
    let admin = d.account("admin").unwrap().sid.clone();
    h.domain = Some(d).into();
    let mut ws = Machine::new("WS01", "S-1-5-21-500-1-1".parse().unwrap());
    ws.domain_joined = true;
    ws.uac = true;
    ws.add_alias_member(sids::builtin_administrators(), admin);
    h.add_machine(ws);
    let mut web = Machine::new("WEB", "S-1-5-21-501-1-1".parse().unwrap());
    web.domain_joined = true;
    h.add_machine(web);
    let out = h.apply(&simos::Op::Network(NetworkOp::DefineServer {
        name: "web".to_string(),
        server: Server {
            kind: ServerKind::Http,
            machine: "WEB".to_string(),
            spn: "HTTP/web.corp.example".to_string(),
            resource: String::new(),
            schemes: BTreeSet::from([AuthScheme::Negotiate]),
            sddl: "D:(A;;FA;;;DU)".to_string(),
            proxy: None,
        },
    }));
    assert!(out.result.is_ok(), "{out:?}");
    for (path, kind, sddl) in [
        (
            "C:\\",
            ObjectKind::Directory,
            "O:BAG:SYD:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)",
        ),
        (
            PUBLIC,
            ObjectKind::Directory,
            "O:BAG:SYD:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;AU)",
        ),
        (DOC, ObjectKind::File, "O:BAG:SYD:(A;;FR;;;AU)"),
    ] {
        let out = h.apply(&simos::Op::Object(ObjectOp::Define {
            machine: "WS01".to_string(),
            path: path.to_string(),
            kind,
            sddl: sddl.to_string(),
        }));
        assert!(out.result.is_ok(), "{path}: {out:?}");
    }
    h
}

/// One recorded transition.
#[derive(Debug, Clone)]
struct Step {
    before: World,
    op: Op,
    out: Outcome,
    after: World,
}

impl Step {
    fn t(&self) -> Transition<'_> {
        Transition {
            before: &self.before,
            op: &self.op,
            outcome: &self.out,
            after: &self.after,
            rules: &self.before.rules,
        }
    }

    fn check(&self, id: &str) -> Result<(), String> {
        let inv = invariant(id).unwrap_or_else(|| panic!("no invariant {id}"));
        (inv.check)(&self.t())
    }

    /// The invariant holds here.
    fn holds(&self, id: &str) {
        if let Err(e) = self.check(id) {
            panic!("{id} broke on {:?}: {e}", self.op);
        }
    }

    /// The invariant reports a violation whose message contains `needle`,
    /// and `check_all` reports it under its id.
    fn breaks(&self, id: &str, needle: &str) {
        match self.check(id) {
            Ok(()) => panic!("{id} did not notice the tampering on {:?}", self.op),
            Err(e) => assert!(e.contains(needle), "{id}: {e:?} lacks {needle:?}"),
        }
        let all = check_all(&self.t());
        assert!(
            all.iter()
                .any(|v| v.invariant == id && v.message.contains(needle)),
            "{all:?}"
        );
    }

    /// A copy with the world after the step edited.
    fn after_edit(&self, edit: impl FnOnce(&mut World)) -> Step {
        let mut s = self.clone();
        edit(&mut s.after);
        s
    }

    /// A copy with the world before the step edited.
    fn before_edit(&self, edit: impl FnOnce(&mut World)) -> Step {
        let mut s = self.clone();
        edit(&mut s.before);
        s
    }

    /// A copy with the outcome edited.
    fn outcome_edit(&self, edit: impl FnOnce(&mut Outcome)) -> Step {
        let mut s = self.clone();
        edit(&mut s.out);
        s
    }

    fn job_before(&self, id: JobId) -> &bits::Job {
        self.before.job(id).unwrap()
    }

    fn job_after(&self, id: JobId) -> &bits::Job {
        self.after.job(id).unwrap()
    }
}

/// A world driven through `World::apply`, checking every invariant on
/// every step.
struct Run {
    w: World,
    /// `None`: every step must keep every invariant. `Some`: the
    /// violations seen so far (a world under deliberately wrong rules).
    seen: Option<Vec<Violation>>,
}

impl Run {
    fn new(profile: Profile) -> Run {
        Run::under(profile.rules(), false)
    }

    /// A world under `rules`; `lenient` collects violations instead of
    /// failing on them.
    fn under(rules: bits::Rules, lenient: bool) -> Run {
        let mut w = World::new(host(), "WS01", rules).unwrap();
        w.bits.policy.bytes_per_tick = 1000;
        let mut run = Run {
            w,
            seen: lenient.then(Vec::new),
        };
        run.step(Op::Publish {
            name: URL.to_string(),
            bytes: 3000,
        });
        run
    }

    fn step(&mut self, op: Op) -> Step {
        let before = self.w.clone();
        let out = self.w.apply(&op);
        let step = Step {
            before,
            op,
            out,
            after: self.w.clone(),
        };
        let broken = check_all(&step.t());
        match &mut self.seen {
            Some(seen) => seen.extend(broken),
            None => assert!(
                broken.is_empty(),
                "{:?} -> {}: {broken:#?}",
                step.op,
                step.out.hr
            ),
        }
        step
    }

    /// The ids of the invariants broken so far (lenient runs).
    fn broken(&self) -> BTreeSet<String> {
        self.seen
            .iter()
            .flatten()
            .map(|v| v.invariant.to_string())
            .collect()
    }

    fn host_op(&mut self, op: simos::Op) -> Step {
        self.step(Op::Host { op })
    }

    fn sid(&self, user: &str) -> Sid {
        self.w
            .host
            .domain
            .as_ref()
            .unwrap()
            .account(user)
            .unwrap()
            .sid
            .clone()
    }

    /// A Winlogon logon of a domain user on WS01: its shell thread, with
    /// an impersonate-level, dynamically cloaking COM blanket.
    fn shell(&mut self, user: &str, session: u32, remote: bool) -> ThreadId {
        let s = self.host_op(simos::Op::InteractiveLogon {
            machine: "WS01".to_string(),
            user: user.to_string(),
            domain: Some("CORP".to_string()),
            password: format!("{user}-pw"),
            ts_session: session,
            remote,
        });
        let thread = match s.out.host_result {
            Some(simos::ApiResult::Ok {
                value: simos::Value::Process { thread, .. },
            }) => thread,
            other => panic!("logon failed: {other:?}"),
        };
        self.blanket(thread);
        thread
    }

    fn blanket(&mut self, thread: ThreadId) {
        let s = self.step(Op::SetBlanket {
            thread,
            level: ImpersonationLevel::Impersonation,
            cloaking: Cloaking::Dynamic,
        });
        assert!(s.out.hr.succeeded());
    }

    /// The elevated twin of an administrator's shell, with a blanket.
    fn elevated(&mut self, shell: ThreadId) -> ThreadId {
        let primary = self.w.host.process_of(shell).unwrap().primary_token;
        let linked = self
            .w
            .host
            .token(primary)
            .unwrap()
            .token
            .linked_token
            .unwrap();
        let s = self.host_op(simos::Op::CreateProcessAsUser {
            thread: shell,
            token: TokenId(linked),
            image: "elevated.exe".to_string(),
        });
        let thread = match s.out.host_result {
            Some(simos::ApiResult::Ok {
                value: simos::Value::Process { thread, .. },
            }) => thread,
            other => panic!("elevation failed: {other:?}"),
        };
        self.blanket(thread);
        thread
    }

    /// A service process on WS01 as a built-in identity, with a blanket.
    fn service(&mut self, who: BuiltinIdentity) -> ThreadId {
        let s = self.host_op(simos::Op::StartService {
            machine: "WS01".to_string(),
            image: "app.exe".to_string(),
            account: ServiceAccount::Builtin(who),
            flow_policy: None,
        });
        let thread = match s.out.host_result {
            Some(simos::ApiResult::Ok {
                value: simos::Value::Process { thread, .. },
            }) => thread,
            other => panic!("service start failed: {other:?}"),
        };
        self.blanket(thread);
        thread
    }

    fn call(&mut self, thread: ThreadId, call: Call) -> Step {
        self.step(Op::Bits { thread, call })
    }

    fn method(&mut self, thread: ThreadId, pointer: PointerId, method: Method) -> Step {
        self.call(thread, Call::Method { pointer, method })
    }

    fn create(&mut self, thread: ThreadId) -> (Step, PointerId, JobId) {
        let s = self.call(
            thread,
            Call::CreateJob {
                name: "job".to_string(),
                job_type: JobType::Download,
            },
        );
        match s.out.value {
            Value::Job { job, pointer } => (s, pointer, job),
            _ => panic!("CreateJob failed: {}", s.out.hr),
        }
    }

    /// A download job of [`URL`] into `C:\Public\<name>`.
    fn download(&mut self, thread: ThreadId, name: &str) -> (PointerId, JobId) {
        let (_, pointer, job) = self.create(thread);
        let s = self.method(
            thread,
            pointer,
            Method::AddFile {
                remote: URL.to_string(),
                local: format!("{PUBLIC}\\{name}"),
            },
        );
        assert_eq!(s.out.hr, HResult::SOk);
        (pointer, job)
    }

    fn qi(&mut self, thread: ThreadId, pointer: PointerId, interface: Interface) -> Step {
        self.call(thread, Call::QueryInterface { pointer, interface })
    }

    fn pointer(step: &Step) -> PointerId {
        match step.out.value {
            Value::Pointer { pointer } => pointer,
            _ => panic!("no pointer: {} ({:?})", step.out.hr, step.op),
        }
    }

    fn logon_user(&mut self, thread: ThreadId, user: &str, logon_type: LogonType) -> TokenId {
        let s = self.host_op(simos::Op::LogonUser {
            thread,
            user: user.to_string(),
            domain: Some("CORP".to_string()),
            password: format!("{user}-pw"),
            logon_type,
        });
        s.out.host_result.unwrap().token().unwrap()
    }

    fn impersonate(&mut self, thread: ThreadId, token: TokenId) {
        let s = self.host_op(simos::Op::ImpersonateLoggedOnUser { thread, token });
        assert!(s.out.hr.succeeded());
    }

    fn revert(&mut self, thread: ThreadId) {
        self.host_op(simos::Op::RevertToSelf { thread });
    }

    /// `thread` impersonates a fresh interactive logon of `user`, calls
    /// SetHelperToken through `opts` and reverts: the SetHelperToken step.
    fn set_helper_as(&mut self, thread: ThreadId, opts: PointerId, user: &str) -> Step {
        let token = self.logon_user(thread, user, LogonType::Interactive);
        self.impersonate(thread, token);
        let s = self.method(thread, opts, Method::SetHelperToken);
        self.revert(thread);
        s
    }

    fn advance(&mut self, ticks: u64) -> Step {
        self.step(Op::Advance { ticks })
    }

    /// The active Winlogon logon of `user` in terminal session `session`.
    fn winlogon(&self, user: &str, session: u32) -> LogonId {
        let sid = self.sid(user);
        self.w
            .host
            .logons
            .values()
            .find(|l| l.active && l.winlogon && l.user == sid && l.ts_session == session)
            .map(|l| l.id)
            .unwrap()
    }

    fn logoff(&mut self, logon: LogonId) -> Step {
        self.host_op(simos::Op::Logoff { logon })
    }

    fn state(&self, job: JobId) -> JobState {
        self.w.job(job).unwrap().state
    }
}

/// True when `sid` has a Winlogon logon active on WS01.
fn logged_on(w: &World, sid: &Sid) -> bool {
    w.host
        .logons
        .values()
        .any(|l| l.active && l.winlogon && l.machine == "WS01" && &l.user == sid)
}

fn has_event(out: &Outcome, pred: impl Fn(&BitsEvent) -> bool) -> bool {
    out.events.iter().any(pred)
}

/// An elevated administrator at the console of session 1 whose download
/// job uses carol as helper for the network, mid-transfer.
struct AdminJob {
    run: Run,
    elevated: ThreadId,
    job: JobId,
    set: Step,
    flags: Step,
    progress: Step,
}

fn admin_job(profile: Profile) -> AdminJob {
    admin_job_in(Run::new(profile))
}

fn admin_job_in(mut run: Run) -> AdminJob {
    let shell = run.shell("admin", 1, false);
    let elevated = run.elevated(shell);
    let (pointer, job) = run.download(elevated, "a.bin");
    let opts = Run::pointer(&run.qi(elevated, pointer, Interface::TokenOptions));
    let set = run.set_helper_as(elevated, opts, "carol");
    assert_eq!(set.out.hr, HResult::SOk);
    let flags = run.method(
        elevated,
        opts,
        Method::SetHelperTokenFlags {
            flags: token_flags::NETWORK,
        },
    );
    assert_eq!(flags.out.hr, HResult::SOk);
    assert_eq!(
        run.method(elevated, pointer, Method::Resume).out.hr,
        HResult::SOk
    );
    run.advance(1);
    let progress = run.advance(2);
    assert_eq!(run.state(job), JobState::Transferring);
    AdminJob {
        run,
        elevated,
        job,
        set,
        flags,
        progress,
    }
}

/// The admin job, then the owner's logoff: the logoff step.
fn admin_logs_off(profile: Profile) -> (AdminJob, Step) {
    let mut a = admin_job(profile);
    let logon = a.run.winlogon("admin", 1);
    let step = a.run.logoff(logon);
    (a, step)
}

/// A standard user at the console of session 1 with a download job, its
/// IBitsTokenOptions pointer and carol's token set as helper.
struct UserJob {
    run: Run,
    alice: ThreadId,
    pointer: PointerId,
    opts: PointerId,
    job: JobId,
    set: Step,
}

fn user_job(profile: Profile) -> UserJob {
    let mut run = Run::new(profile);
    let alice = run.shell("alice", 1, false);
    let (pointer, job) = run.download(alice, "u.bin");
    let opts = Run::pointer(&run.qi(alice, pointer, Interface::TokenOptions));
    let set = run.set_helper_as(alice, opts, "carol");
    UserJob {
        run,
        alice,
        pointer,
        opts,
        job,
        set,
    }
}

// ---------------------------------------------------------------------------
// The catalog itself

#[test]
fn catalog_ids_are_unique_and_every_entry_is_described() {
    assert!(CATALOG.len() >= 15, "{} invariants", CATALOG.len());
    let mut ids = BTreeSet::new();
    for inv in CATALOG {
        assert!(ids.insert(inv.id), "duplicate id {}", inv.id);
        assert!(inv.id.starts_with("INV-"), "{}", inv.id);
        assert!(
            !inv.statement.trim().is_empty(),
            "{} has no statement",
            inv.id
        );
        assert!(!inv.source.trim().is_empty(), "{} has no source", inv.id);
        assert!(!inv.statement.contains('\n'), "{} spans lines", inv.id);
        assert_eq!(invariant(inv.id).unwrap().statement, inv.statement);
    }
    assert!(invariant("INV-NO-SUCH-THING").is_none());
}

#[test]
fn violations_serialize_with_their_id() {
    let (_, logoff) = admin_logs_off(Profile::Win11);
    let bad = logoff.after_edit(|w| {
        for j in w.bits.jobs.values_mut() {
            j.helper_flags = 0x10;
        }
    });
    let all = check_all(&bad.t());
    let v = all
        .iter()
        .find(|v| v.invariant == "INV-HELPER-FLAGS")
        .unwrap();
    let json = serde_json::to_value(v).unwrap();
    assert_eq!(json["invariant"], "INV-HELPER-FLAGS");
    assert!(json["message"].as_str().unwrap().contains("0x10"));
}

// ---------------------------------------------------------------------------
// 1–3. Helper tokens and logoff

#[test]
fn logoff_drops_helper() {
    let (a, step) = admin_logs_off(Profile::Win11);
    let admin = a.run.sid("admin");
    assert!(step.job_before(a.job).helper.is_some());
    assert!(logged_on(&step.before, &admin));
    assert!(!logged_on(&step.after, &admin));
    step.holds("INV-LOGOFF-DROPS-HELPER");

    let helper = step.job_before(a.job).helper.clone();
    let job = a.job;
    step.after_edit(|w| w.bits.jobs.get_mut(&job).unwrap().helper = helper)
        .breaks("INV-LOGOFF-DROPS-HELPER", "still holds helper token");
}

#[test]
fn ts_end_drops_helper() {
    let mut run = Run::new(Profile::Win7);
    let svc = run.service(BuiltinIdentity::LocalSystem);
    let bob = run.shell("bob", 2, true);
    let (pointer, job) = run.download(svc, "s2.bin");
    let opts = Run::pointer(&run.qi(svc, pointer, Interface::TokenOptions));
    // A client in session 2 sets itself as the helper through the
    // service's pointer.
    assert_eq!(
        run.method(bob, opts, Method::SetHelperToken).out.hr,
        HResult::SOk
    );
    run.method(
        svc,
        opts,
        Method::SetHelperTokenFlags {
            flags: token_flags::NETWORK,
        },
    );
    run.method(svc, pointer, Method::Resume);
    run.advance(3);
    let step = run.host_op(simos::Op::EndTerminalSession {
        machine: "WS01".to_string(),
        session: 2,
    });
    assert_eq!(step.job_before(job).helper.as_ref().unwrap().ts_session, 2);
    assert!(step.job_after(job).helper.is_none());
    step.holds("INV-TS-END-DROPS-HELPER");

    let helper = step.job_before(job).helper.clone();
    step.after_edit(|w| w.bits.jobs.get_mut(&job).unwrap().helper = helper)
        .breaks("INV-TS-END-DROPS-HELPER", "captured in it");
}

#[test]
fn token_required_after_logoff_and_until_the_client_acts() {
    let (mut a, step) = admin_logs_off(Profile::Win10_1607);
    let job = a.job;
    assert_eq!(step.job_before(job).state, JobState::Transferring);
    assert_eq!(step.job_after(job).state, JobState::Error);
    step.holds("INV-TOKEN-REQUIRED");
    step.after_edit(|w| {
        let j = w.bits.jobs.get_mut(&job).unwrap();
        j.state = JobState::Queued;
        j.error = None;
    })
    .breaks("INV-TOKEN-REQUIRED", "lost its helper token");

    // Nothing moves it while the owner is away.
    let idle = a.run.advance(30);
    assert_eq!(idle.job_before(job).state, JobState::Error);
    idle.holds("INV-TOKEN-REQUIRED");
    idle.after_edit(|w| w.bits.jobs.get_mut(&job).unwrap().state = JobState::Queued)
        .breaks("INV-TOKEN-REQUIRED", "left ERROR with BG_E_TOKEN_REQUIRED");

    // Recovery: the owner is back, refreshes the token and resumes.
    let shell = a.run.shell("admin", 1, false);
    let elevated = a.run.elevated(shell);
    let pointer = Run::pointer(&a.run.call(elevated, Call::GetJob { job }));
    let opts = Run::pointer(&a.run.qi(elevated, pointer, Interface::TokenOptions));
    assert_eq!(
        a.run.set_helper_as(elevated, opts, "carol").out.hr,
        HResult::SOk
    );
    let resume = a.run.method(elevated, pointer, Method::Resume);
    assert_eq!(resume.job_before(job).state, JobState::Error);
    assert_eq!(resume.job_after(job).state, JobState::Queued);
    resume.holds("INV-TOKEN-REQUIRED");
    // The same change claimed by a getter is not a recovery.
    let mut getter = resume.clone();
    getter.op = Op::Bits {
        thread: elevated,
        call: Call::Method {
            pointer,
            method: Method::GetState,
        },
    };
    getter.breaks("INV-TOKEN-REQUIRED", "without a Resume");
    a.run.advance(10);
    assert_eq!(a.run.state(job), JobState::Transferred);
}

#[test]
fn helper_set_authorized_on_the_1607_path() {
    let u = user_job(Profile::Win10_1607);
    let step = &u.set;
    assert_eq!(step.out.hr, HResult::SOk);
    let p = &step.before.bits.pointers[&u.opts];
    assert!(!p.grant.admin && p.grant.owner_match);
    assert!(!step.job_before(u.job).owner.admin);
    assert!(has_event(&step.out, |e| matches!(
        e,
        BitsEvent::HelperTokenSet { .. }
    )));
    step.holds("INV-HELPER-SET-AUTHORIZED");

    let opts = u.opts;
    step.before_edit(|w| {
        w.bits.pointers.get_mut(&opts).unwrap().grant.owner_match = false;
    })
    .breaks("INV-HELPER-SET-AUTHORIZED", "condition a");
    step.before_edit(|w| w.rules.non_admin_helper_token = false)
        .breaks("INV-HELPER-SET-AUTHORIZED", "without the 1607 rule");
    let token = step.job_after(u.job).helper.as_ref().unwrap().token;
    step.after_edit(|w| {
        w.host
            .tokens
            .get_mut(&token)
            .unwrap()
            .token
            .groups
            .push(Group {
                sid: sids::builtin_administrators(),
                attributes: group_attrs::DEFAULT,
            });
    })
    .breaks("INV-HELPER-SET-AUTHORIZED", "condition b");
    // A helper token appearing on any other call.
    let mut u = u;
    let getter = u.run.method(u.alice, u.pointer, Method::GetState);
    let job = u.job;
    getter
        .outcome_edit(|o| {
            o.events.push(BitsEvent::HelperTokenSet {
                job,
                sid: sids::anonymous(),
                token,
            });
        })
        .breaks("INV-HELPER-SET-AUTHORIZED", "outside a successful");
}

#[test]
fn helper_set_refused_before_1607_keeps_the_invariant() {
    let u = user_job(Profile::Win10_1507);
    assert_eq!(u.set.out.hr, HResult::EAccessDenied);
    assert!(u.set.job_after(u.job).helper.is_none());
    u.set.holds("INV-HELPER-SET-AUTHORIZED");
    // Claiming the token was stored anyway breaks it.
    let job = u.job;
    u.set
        .outcome_edit(|o| {
            o.hr = HResult::SOk;
            o.events.push(BitsEvent::HelperTokenSet {
                job,
                sid: sids::anonymous(),
                token: TokenId(1),
            });
        })
        .breaks("INV-HELPER-SET-AUTHORIZED", "without the 1607 rule");
}

#[test]
fn an_administrators_pointer_counts_only_from_1607() {
    for profile in [Profile::Win10_1507, Profile::Win11] {
        let mut run = Run::new(profile);
        let alice = run.shell("alice", 1, false);
        let (_, job) = run.download(alice, "p.bin");
        let shell = run.shell("admin", 2, false);
        let elevated = run.elevated(shell);
        let theirs = Run::pointer(&run.call(elevated, Call::GetJob { job }));
        let opts = Run::pointer(&run.qi(elevated, theirs, Interface::TokenOptions));
        let step = run.set_helper_as(elevated, opts, "carol");
        let grant = step.before.bits.pointers[&opts].grant;
        assert!(grant.admin && !grant.owner_match);
        assert!(!step.job_before(job).owner.admin);
        step.holds("INV-HELPER-SET-AUTHORIZED");
        if profile == Profile::Win10_1507 {
            assert_eq!(step.out.hr, HResult::EAccessDenied);
            let sid = run.sid("carol");
            step.outcome_edit(|o| {
                o.hr = HResult::SOk;
                o.events.push(BitsEvent::HelperTokenSet {
                    job,
                    sid,
                    token: TokenId(1),
                });
            })
            .breaks("INV-HELPER-SET-AUTHORIZED", "without the 1607 rule");
        } else {
            assert_eq!(step.out.hr, HResult::SOk);
            step.before_edit(|w| w.bits.pointers.get_mut(&opts).unwrap().grant.admin = false)
                .breaks("INV-HELPER-SET-AUTHORIZED", "condition a");
        }
    }
}

// ---------------------------------------------------------------------------
// 5, 7, 18, 19. Access to jobs

#[test]
fn pointer_grant_at_query_interface() {
    let mut run = Run::new(Profile::Win7);
    let alice = run.shell("alice", 1, false);
    let (pointer, job) = run.download(alice, "q.bin");
    let job2 = Run::pointer(&run.qi(alice, pointer, Interface::Job2));
    // alice's thread now impersonates carol: the grant still decides.
    let carol = run.logon_user(alice, "carol", LogonType::Interactive);
    run.impersonate(alice, carol);
    let step = run.method(alice, job2, Method::GetState);
    assert_eq!(step.out.hr, HResult::SOk);
    let effective = step.before.host.effective_token(alice).unwrap();
    assert_eq!(effective.user.sid, run.sid("carol"));
    assert_ne!(step.job_before(job).owner.sid, effective.user.sid);
    step.holds("INV-POINTER-GRANT");

    step.before_edit(|w| {
        let g = &mut w.bits.pointers.get_mut(&job2).unwrap().grant;
        g.read = false;
        g.modify = false;
    })
    .breaks("INV-POINTER-GRANT", "succeeded although the grant");
    step.outcome_edit(|o| o.hr = HResult::EAccessDenied)
        .breaks("INV-POINTER-GRANT", "refused with E_ACCESSDENIED");
    let service = step.before.bits.thread;
    step.outcome_edit(|o| {
        o.host_events.push(simos::Event::Impersonation {
            thread: service,
            token: Some(carol),
            level: Some(ImpersonationLevel::Impersonation),
        });
    })
    .breaks("INV-POINTER-GRANT", "looked at the caller's token");
    run.revert(alice);

    // bob holds alice's pointer: QueryInterface checks bob and refuses.
    let bob = run.shell("bob", 2, false);
    let refused = run.qi(bob, pointer, Interface::Job2);
    assert_eq!(refused.out.hr, HResult::EAccessDenied);
    refused.holds("INV-POINTER-GRANT");
    refused
        .outcome_edit(|o| o.hr = HResult::SOk)
        .breaks("INV-POINTER-GRANT", "although the rules refuse it");
}

#[test]
fn pointer_grant_on_every_call() {
    let mut run = Run::new(Profile::Vista);
    let alice = run.shell("alice", 1, false);
    let (pointer, job) = run.download(alice, "v.bin");
    let own = run.method(alice, pointer, Method::GetState);
    assert_eq!(own.out.hr, HResult::SOk);
    own.holds("INV-POINTER-GRANT");
    let service = own.before.bits.thread;
    own.outcome_edit(|o| {
        o.host_events.retain(
            |e| !matches!(e, simos::Event::Impersonation { thread, .. } if *thread == service),
        );
    })
    .breaks("INV-POINTER-GRANT", "without a per-call access check");

    let carol = run.logon_user(alice, "carol", LogonType::Interactive);
    run.impersonate(alice, carol);
    let step = run.method(alice, pointer, Method::GetState);
    assert_eq!(step.out.hr, HResult::EAccessDenied);
    assert!(step.before.bits.pointers[&pointer].grant.read);
    assert_ne!(step.job_before(job).owner.sid, run.sid("carol"));
    step.holds("INV-POINTER-GRANT");
    step.outcome_edit(|o| o.hr = HResult::SOk)
        .breaks("INV-POINTER-GRANT", "succeeded although the caller's token");
}

#[test]
fn no_cross_user() {
    let mut run = Run::new(Profile::Win11);
    let shell = run.shell("admin", 1, false);
    let elevated = run.elevated(shell);
    let (_, theirs) = run.download(elevated, "theirs.bin");
    let alice = run.shell("alice", 2, false);
    let (_, mine) = run.download(alice, "mine.bin");

    let get = run.call(alice, Call::GetJob { job: theirs });
    assert_eq!(get.out.hr, HResult::EAccessDenied);
    get.holds("INV-NO-CROSS-USER");
    get.outcome_edit(|o| o.hr = HResult::SOk)
        .breaks("INV-NO-CROSS-USER", "not an administrator) returned job");

    let list = run.call(alice, Call::EnumJobs { all_users: false });
    let enumerator = Run::pointer(&list);
    match &list.after.bits.pointers[&enumerator].target {
        Target::Jobs { items, .. } => {
            assert_eq!(items.iter().map(|(j, _)| *j).collect::<Vec<_>>(), [mine]);
        }
        other => panic!("{other:?}"),
    }
    list.holds("INV-NO-CROSS-USER");
    let grant = list.after.bits.pointers[&enumerator].grant;
    list.after_edit(|w| {
        if let Target::Jobs { items, .. } =
            &mut w.bits.pointers.get_mut(&enumerator).unwrap().target
        {
            items.push((theirs, grant));
        }
    })
    .breaks("INV-NO-CROSS-USER", "listed job");

    let all = run.call(alice, Call::EnumJobs { all_users: true });
    assert_eq!(all.out.hr, HResult::EAccessDenied);
    all.holds("INV-NO-CROSS-USER");
    all.outcome_edit(|o| o.hr = HResult::SOk)
        .breaks("INV-NO-CROSS-USER", "BG_JOB_ENUM_ALL_USERS");

    // The administrator reaches alice's job: allowed.
    let admin_get = run.call(elevated, Call::GetJob { job: mine });
    assert_eq!(admin_get.out.hr, HResult::SOk);
    admin_get.holds("INV-NO-CROSS-USER");
}

#[test]
fn grant_at_issue() {
    let mut run = Run::new(Profile::Win7);
    let alice = run.shell("alice", 1, false);
    let (pointer, job) = run.download(alice, "g.bin");
    let qi = run.qi(alice, pointer, Interface::Job4);
    assert_eq!(qi.out.hr, HResult::SOk);
    qi.holds("INV-GRANT-AT-ISSUE");
    let issued = Run::pointer(&qi);
    let tamper = |s: &Step, edit: fn(&mut bits::world::Grant)| {
        let mut s = s.clone();
        edit(&mut s.after.bits.pointers.get_mut(&issued).unwrap().grant);
        for e in &mut s.out.events {
            if let BitsEvent::PointerIssued { grant, .. } = e {
                edit(grant);
            }
        }
        s
    };
    tamper(&qi, |g| g.admin = true).breaks("INV-GRANT-AT-ISSUE", "the rules give");
    tamper(&qi, |g| g.modify = false).breaks("INV-GRANT-AT-ISSUE", "the rules give");
    let mut foreign = qi.clone();
    for e in &mut foreign.out.events {
        if let BitsEvent::PointerIssued { caller, .. } = e {
            *caller = sids::local_system();
        }
    }
    foreign.after.bits.pointers.get_mut(&issued).unwrap().caller = sids::local_system();
    foreign.breaks("INV-GRANT-AT-ISSUE", "records caller");

    // The grants an enumerator records become those of the pointers Next hands out.
    let list = run.call(alice, Call::EnumJobs { all_users: false });
    let enumerator = Run::pointer(&list);
    list.holds("INV-GRANT-AT-ISSUE");
    list.after_edit(|w| {
        if let Target::Jobs { items, .. } =
            &mut w.bits.pointers.get_mut(&enumerator).unwrap().target
        {
            assert_eq!(items.len(), 1);
            items[0].1.admin = true;
        }
    })
    .breaks("INV-GRANT-AT-ISSUE", "records for job");

    // An administrator's pointer to alice's job.
    let shell = run.shell("admin", 2, false);
    let elevated = run.elevated(shell);
    let get = run.call(elevated, Call::GetJob { job });
    let p = Run::pointer(&get);
    let g = get.after.bits.pointers[&p].grant;
    assert!(g.admin && !g.owner_match && g.read && g.modify);
    get.holds("INV-GRANT-AT-ISSUE");
}

#[test]
fn final_states_and_final_hidden() {
    let mut run = Run::new(Profile::Win11);
    let alice = run.shell("alice", 1, false);
    let (pointer, job) = run.download(alice, "f.bin");
    run.method(alice, pointer, Method::Resume);
    run.advance(10);
    assert_eq!(run.state(job), JobState::Transferred);
    let complete = run.method(alice, pointer, Method::Complete);
    assert_eq!(complete.out.hr, HResult::SOk);
    assert_eq!(run.state(job), JobState::Acknowledged);

    let later = run.method(alice, pointer, Method::Resume);
    assert_eq!(later.out.hr, HResult::BgEInvalidState);
    assert_eq!(later.job_before(job).state, JobState::Acknowledged);
    later.holds("INV-FINAL-STATES");
    later
        .after_edit(|w| w.bits.jobs.get_mut(&job).unwrap().state = JobState::Queued)
        .breaks("INV-FINAL-STATES", "left BG_JOB_STATE_ACKNOWLEDGED");
    later
        .outcome_edit(|o| {
            o.events.push(BitsEvent::StateChanged {
                job,
                from: JobState::Acknowledged,
                to: JobState::Queued,
                code: None,
            });
        })
        .breaks("INV-FINAL-STATES", "changed from");

    let get = run.call(alice, Call::GetJob { job });
    assert_eq!(get.out.hr, HResult::BgENotFound);
    get.holds("INV-FINAL-HIDDEN");
    let (_, other) = run.download(alice, "g.bin");
    let list = run.call(alice, Call::EnumJobs { all_users: false });
    let enumerator = Run::pointer(&list);
    list.holds("INV-FINAL-HIDDEN");
    let grant = list.after.bits.pointers[&enumerator].grant;
    list.after_edit(|w| {
        if let Target::Jobs { items, .. } =
            &mut w.bits.pointers.get_mut(&enumerator).unwrap().target
        {
            assert_eq!(items.iter().map(|(j, _)| *j).collect::<Vec<_>>(), [other]);
            items.push((job, grant));
        }
    })
    .breaks("INV-FINAL-HIDDEN", "final state");
    let mut get_other = get.clone();
    get_other.out.hr = HResult::SOk;
    get_other.breaks("INV-FINAL-HIDDEN", "GetJob");
}

// ---------------------------------------------------------------------------
// 6. The identity a transfer uses

#[test]
fn resource_identity() {
    let a = admin_job(Profile::Win11);
    let carol = a.run.sid("carol");
    let admin = a.run.sid("admin");
    let job = a.job;
    // In these two seconds the job reached the server as carol (the helper,
    // under BG_TOKEN_NETWORK) and created its temporary file as the owner.
    let step = &a.progress;
    let reached = |resource: Resource, acting: Acting, who: &Sid| {
        has_event(&step.out, |e| {
            matches!(e, BitsEvent::ResourceAccess { job: j, resource: r, acting: a, user, granted: true, .. }
                if *j == job && *r == resource && *a == acting && user.as_ref() == Some(who))
        })
    };
    assert!(reached(Resource::Remote, Acting::Helper, &carol));
    assert!(reached(Resource::LocalFile, Acting::Owner, &admin));
    step.holds("INV-RESOURCE-IDENTITY");

    let retag = |acting: Acting, who: &Sid| {
        step.outcome_edit(|o| {
            for e in &mut o.events {
                if let BitsEvent::ResourceAccess {
                    resource: Resource::Remote,
                    acting: a,
                    user,
                    ..
                } = e
                {
                    *a = acting;
                    *user = Some(who.clone());
                }
            }
        })
    };
    retag(Acting::Owner, &admin).breaks("INV-RESOURCE-IDENTITY", "as Owner");
    retag(Acting::Helper, &admin).breaks("INV-RESOURCE-IDENTITY", "as Helper");
    retag(Acting::Explicit, &admin).breaks("INV-RESOURCE-IDENTITY", "as Explicit");
    // The temporary file taken as the helper although only the network flag is set.
    step.outcome_edit(|o| {
        for e in &mut o.events {
            if let BitsEvent::ResourceAccess {
                resource: Resource::LocalFile,
                acting,
                user,
                ..
            } = e
            {
                *acting = Acting::Helper;
                *user = Some(carol.clone());
            }
        }
    })
    .breaks("INV-RESOURCE-IDENTITY", "LocalFile");
    // Without a helper token the flag allows no access at all.
    step.before_edit(|w| w.bits.jobs.get_mut(&job).unwrap().helper = None)
        .breaks("INV-RESOURCE-IDENTITY", "helper none");

    // Cleared flags: everything as the owner, and the check agrees.
    let mut run = a.run;
    let (pointer, plain) = run.download(a.elevated, "plain.bin");
    run.method(a.elevated, pointer, Method::Resume);
    let mut owner_only = false;
    for _ in 0..10 {
        let s = run.advance(1);
        owner_only |= has_event(
            &s.out,
            |e| matches!(e, BitsEvent::ResourceAccess { job: j, resource: Resource::Remote, acting: Acting::Owner, .. } if *j == plain),
        );
    }
    assert!(owner_only);
}

// ---------------------------------------------------------------------------
// 8–10, 15–17, 20–21. Job records

#[test]
fn no_progress_without_logon() {
    let (a, logoff) = admin_logs_off(Profile::Win11);
    let job = a.job;
    let p = &a.progress;
    assert!(
        p.job_after(job).progress().bytes_transferred
            > p.job_before(job).progress().bytes_transferred
    );
    p.holds("INV-NO-PROGRESS-WITHOUT-LOGON");
    logoff.holds("INV-NO-PROGRESS-WITHOUT-LOGON");
    logoff
        .after_edit(|w| {
            let f = &mut w.bits.jobs.get_mut(&job).unwrap().files[0];
            f.bytes_transferred += 500;
        })
        .breaks("INV-NO-PROGRESS-WITHOUT-LOGON", "had no Winlogon logon");
    p.after_edit(|w| w.bits.network_up = false)
        .breaks("INV-NO-PROGRESS-WITHOUT-LOGON", "network was down");
}

#[test]
fn owner_change() {
    let mut run = Run::new(Profile::Win11);
    let alice = run.shell("alice", 1, false);
    let (pointer, job) = run.download(alice, "o.bin");
    let shell = run.shell("admin", 2, false);
    let elevated = run.elevated(shell);
    let theirs = Run::pointer(&run.call(elevated, Call::GetJob { job }));
    let take = run.method(elevated, theirs, Method::TakeOwnership);
    assert_eq!(take.out.hr, HResult::SOk);
    assert_eq!(take.job_before(job).owner.sid, run.sid("alice"));
    assert_eq!(take.job_after(job).owner.sid, run.sid("admin"));
    take.holds("INV-OWNER-CHANGE");
    let bob = run.sid("bob");
    take.after_edit(|w| w.bits.jobs.get_mut(&job).unwrap().owner.sid = bob.clone())
        .breaks("INV-OWNER-CHANGE", "made");

    // The filtered (non-elevated) shell cannot take it back.
    let refused = run.method(shell, theirs, Method::TakeOwnership);
    assert_eq!(refused.out.hr, HResult::EAccessDenied);
    refused.holds("INV-OWNER-CHANGE");

    let getter = run.method(alice, pointer, Method::GetState);
    getter.holds("INV-OWNER-CHANGE");
    getter
        .after_edit(|w| w.bits.jobs.get_mut(&job).unwrap().owner.sid = bob.clone())
        .breaks("INV-OWNER-CHANGE", "outside a successful TakeOwnership");
}

#[test]
fn transferred_complete() {
    let mut run = Run::new(Profile::Win11);
    let alice = run.shell("alice", 1, false);
    let (pointer, job) = run.download(alice, "t.bin");
    run.method(alice, pointer, Method::Resume);
    let mut entered = None;
    for _ in 0..10 {
        let s = run.advance(1);
        if s.job_after(job).state == JobState::Transferred {
            entered = Some(s);
            break;
        }
    }
    let step = entered.unwrap();
    assert_ne!(step.job_before(job).state, JobState::Transferred);
    step.holds("INV-TRANSFERRED-COMPLETE");
    step.after_edit(|w| w.bits.jobs.get_mut(&job).unwrap().files[0].bytes_transferred -= 1)
        .breaks("INV-TRANSFERRED-COMPLETE", "entered TRANSFERRED");

    // A file added to a TRANSFERRED job waits for Resume: allowed.
    let add = run.method(
        alice,
        pointer,
        Method::AddFile {
            remote: URL.to_string(),
            local: format!("{PUBLIC}\\t2.bin"),
        },
    );
    assert_eq!(add.out.hr, HResult::SOk);
    assert_eq!(add.job_after(job).state, JobState::Transferred);
    add.holds("INV-TRANSFERRED-COMPLETE");
    let idle = run.advance(1);
    idle.holds("INV-TRANSFERRED-COMPLETE");
    idle.after_edit(|w| w.bits.jobs.get_mut(&job).unwrap().files[0].bytes_transferred = 7)
        .breaks("INV-TRANSFERRED-COMPLETE", "stayed TRANSFERRED");
}

#[test]
fn error_recorded() {
    let (a, step) = admin_logs_off(Profile::Win11);
    let job = a.job;
    assert_eq!(step.job_after(job).state, JobState::Error);
    step.holds("INV-ERROR-RECORDED");
    step.after_edit(|w| w.bits.jobs.get_mut(&job).unwrap().error = None)
        .breaks("INV-ERROR-RECORDED", "without an error object");
    step.after_edit(|w| {
        w.bits
            .jobs
            .get_mut(&job)
            .unwrap()
            .error
            .as_mut()
            .unwrap()
            .code = HResult::SOk;
    })
    .breaks("INV-ERROR-RECORDED", "S_OK");
    step.after_edit(|w| {
        w.bits
            .jobs
            .get_mut(&job)
            .unwrap()
            .error
            .as_mut()
            .unwrap()
            .code = HResult::BgENetworkDisconnected;
    })
    .breaks("INV-ERROR-RECORDED", "but its error object says");
}

#[test]
fn helper_flags() {
    let a = admin_job(Profile::Win7);
    let job = a.job;
    let set = &a.set;
    assert!(set.job_after(job).helper.is_some());
    set.holds("INV-HELPER-FLAGS");
    a.flags.holds("INV-HELPER-FLAGS");
    a.flags
        .after_edit(|w| w.bits.jobs.get_mut(&job).unwrap().helper_flags = 4)
        .breaks("INV-HELPER-FLAGS", "outside BG_TOKEN_LOCAL_FILE");
    let token = set.job_after(job).helper.as_ref().unwrap().token;
    set.after_edit(|w| {
        w.host.tokens.get_mut(&token).unwrap().token.token_type =
            TokenType::Impersonation(ImpersonationLevel::Identification);
    })
    .breaks("INV-HELPER-FLAGS", "SecurityIdentification");
    set.after_edit(|w| {
        w.bits
            .jobs
            .get_mut(&job)
            .unwrap()
            .helper
            .as_mut()
            .unwrap()
            .sid = sids::local_system();
    })
    .breaks("INV-HELPER-FLAGS", "records helper SID");
    set.after_edit(|w| {
        w.bits
            .jobs
            .get_mut(&job)
            .unwrap()
            .helper
            .as_mut()
            .unwrap()
            .token = TokenId(u64::MAX);
    })
    .breaks("INV-HELPER-FLAGS", "which the host does not hold");
}

#[test]
fn state_logged() {
    let a = admin_job(Profile::Win11);
    let step = &a.progress;
    let job = a.job;
    let mut run = a.run;
    let done = run.advance(10);
    assert!(has_event(&done.out, |e| matches!(
        e,
        BitsEvent::StateChanged {
            to: JobState::Transferred,
            ..
        }
    )));
    done.holds("INV-STATE-LOGGED");
    step.holds("INV-STATE-LOGGED");
    done.outcome_edit(|o| {
        o.events
            .retain(|e| !matches!(e, BitsEvent::StateChanged { .. }))
    })
    .breaks("INV-STATE-LOGGED", "logged changes end at");
    done.after_edit(|w| w.bits.jobs.get_mut(&job).unwrap().state = JobState::Suspended)
        .breaks("INV-STATE-LOGGED", "logged changes end at");
}

#[test]
fn create_suspended() {
    let mut run = Run::new(Profile::Win11);
    let alice = run.shell("alice", 1, false);
    let (step, _, job) = run.create(alice);
    let owner = &step.job_after(job).owner;
    assert_eq!(owner.sid, run.sid("alice"));
    assert!(!owner.admin && !owner.elevated && !owner.always_logged_on);
    step.holds("INV-CREATE-SUSPENDED");
    step.after_edit(|w| w.bits.jobs.get_mut(&job).unwrap().state = JobState::Queued)
        .breaks("INV-CREATE-SUSPENDED", "new job");
    step.after_edit(|w| w.bits.jobs.get_mut(&job).unwrap().owner.admin = true)
        .breaks("INV-CREATE-SUSPENDED", "records owner");

    // A service identity owns its job and counts as always logged on.
    let svc = run.service(BuiltinIdentity::NetworkService);
    let (step, _, job) = run.create(svc);
    let owner = &step.job_after(job).owner;
    assert!(owner.always_logged_on);
    assert_eq!(owner.sid, sids::network_service());
    step.holds("INV-CREATE-SUSPENDED");
    step.after_edit(|w| w.bits.jobs.get_mut(&job).unwrap().owner.always_logged_on = false)
        .breaks("INV-CREATE-SUSPENDED", "records owner");
}

// ---------------------------------------------------------------------------
// 11–14. Host-level security

/// `thread` opens [`DOC`] for `desired`: the step.
fn open_doc(run: &mut Run, thread: ThreadId, desired: AccessMask) -> Step {
    run.host_op(simos::Op::Object(ObjectOp::Open {
        thread,
        path: DOC.to_string(),
        desired,
        backup_intent: false,
    }))
}

#[test]
fn access_bounded_for_a_client_open() {
    let mut run = Run::new(Profile::Win11);
    let alice = run.shell("alice", 1, false);
    let step = open_doc(&mut run, alice, AccessMask::GENERIC_READ);
    let Some(simos::ApiResult::Ok {
        value: simos::Value::Object(access),
    }) = &step.out.host_result
    else {
        panic!("open failed: {:?}", step.out.host_result);
    };
    assert!(!access.granted.is_empty());
    step.holds("INV-ACCESS-BOUNDED");
    let widened = step.outcome_edit(|o| {
        if let Some(simos::ApiResult::Ok {
            value: simos::Value::Object(access),
        }) = &mut o.host_result
        {
            access.granted |= AccessMask::WRITE_OWNER;
        }
    });
    widened.breaks("INV-ACCESS-BOUNDED", "was granted");
    let widened_check = step.outcome_edit(|o| {
        if let Some(simos::ApiResult::Ok {
            value: simos::Value::Object(access),
        }) = &mut o.host_result
        {
            let granted = access.checks[0].result.granted.as_mut().unwrap();
            *granted |= AccessMask(0x2);
        }
    });
    widened_check.breaks("INV-ACCESS-BOUNDED", "was granted");

    // A write is refused: nothing to bound, and the check agrees.
    let refused = open_doc(&mut run, alice, AccessMask::GENERIC_WRITE);
    assert!(refused.out.host_result.as_ref().unwrap().error().is_some());
    refused.holds("INV-ACCESS-BOUNDED");
}

#[test]
fn access_bounded_for_the_service() {
    let a = admin_job(Profile::Win11);
    // The steps in which the service created its temporary file in C:\Public.
    let mut run = a.run;
    let mut creating = None;
    let (pointer, job) = run.download(a.elevated, "c.bin");
    run.method(a.elevated, pointer, Method::Resume);
    for _ in 0..15 {
        let s = run.advance(1);
        let service = s.before.bits.thread;
        let made = s.out.host_events.iter().any(|e| {
            matches!(e, simos::Event::Access { thread, object, granted: true, .. } if *thread == service && object.eq_ignore_ascii_case(PUBLIC))
        });
        if made && s.job_after(job).files[0].temp.is_some() {
            creating = Some(s);
            break;
        }
    }
    let step = creating.expect("no temporary file was created");
    step.holds("INV-ACCESS-BOUNDED");
    let locked = |w: &mut World| {
        let key = ("WS01".to_string(), PUBLIC.to_ascii_lowercase());
        let ctx = w.host.domain_context("WS01");
        w.host.objects.get_mut(&key).unwrap().sd = winsec::sddl::parse("O:SYG:SYD:", &ctx).unwrap();
    };
    step.before_edit(locked)
        .after_edit(locked)
        .breaks("INV-ACCESS-BOUNDED", "gives that token nothing");
}

#[test]
fn access_bounded_for_a_remote_server() {
    let mut run = Run::new(Profile::Win11);
    let alice = run.shell("alice", 1, false);
    let step = run.host_op(simos::Op::Network(NetworkOp::Access {
        thread: alice,
        server: "web".to_string(),
        desired: AccessMask::GENERIC_READ,
    }));
    let Some(simos::ApiResult::Ok {
        value: simos::Value::Remote(ra),
    }) = &step.out.host_result
    else {
        panic!("{:?}", step.out.host_result);
    };
    assert!(ra.is_granted());
    step.holds("INV-ACCESS-BOUNDED");
    step.holds("INV-NETWORK-HOP");
    let restricted = |w: &mut World| {
        w.host.servers.get_mut("web").unwrap().sddl = "D:(A;;FR;;;WD)".to_string();
    };
    step.after_edit(restricted)
        .outcome_edit(|o| {
            if let Some(simos::ApiResult::Ok {
                value: simos::Value::Remote(ra),
            }) = &mut o.host_result
            {
                ra.granted |= AccessMask::WRITE_DAC;
            }
        })
        .breaks("INV-ACCESS-BOUNDED", "its ACL can give at most");
    step.after_edit(|w| w.host.servers.get_mut("web").unwrap().sddl = "D:".to_string())
        .breaks("INV-ACCESS-BOUNDED", "its ACL gives that identity nothing");
}

#[test]
fn no_privilege_gain() {
    let a = admin_job(Profile::Win11);
    let step = &a.set;
    assert!(!step.before.host.tokens.is_empty());
    step.holds("INV-NO-PRIVILEGE-GAIN");
    // The elevated administrator's primary token holds disabled privileges.
    let primary = step
        .before
        .host
        .process_of(a.elevated)
        .unwrap()
        .primary_token;
    let disabled = step.before.host.tokens[&primary]
        .token
        .privileges
        .iter()
        .position(|p| !p.is_enabled())
        .expect("a disabled privilege");
    step.after_edit(|w| {
        w.host.tokens.get_mut(&primary).unwrap().token.privileges[disabled].attributes |=
            privilege_attrs::ENABLED;
    })
    .breaks("INV-NO-PRIVILEGE-GAIN", "gained enabled privilege");
    step.after_edit(|w| {
        w.host
            .tokens
            .get_mut(&primary)
            .unwrap()
            .token
            .groups
            .push(Group {
                sid: sids::local_system(),
                attributes: group_attrs::DEFAULT,
            });
    })
    .breaks("INV-NO-PRIVILEGE-GAIN", "gained enabled group");
    let elevated = a.elevated;
    step.after_edit(|w| {
        w.host.threads.get_mut(&elevated).unwrap().impersonation = Some(TokenId(u64::MAX));
    })
    .breaks("INV-NO-PRIVILEGE-GAIN", "which the host does not hold");
}

#[test]
fn identification_never_opens() {
    let mut run = Run::new(Profile::Win11);
    let alice = run.shell("alice", 1, false);
    let primary = run.w.host.process_of(alice).unwrap().primary_token;
    let dup = run.host_op(simos::Op::DuplicateToken {
        thread: alice,
        token: primary,
        level: ImpersonationLevel::Identification,
    });
    let ident = dup.out.host_result.unwrap().token().unwrap();
    run.host_op(simos::Op::SetThreadToken {
        thread: alice,
        token: Some(ident),
    });
    let step = open_doc(&mut run, alice, AccessMask::GENERIC_READ);
    assert!(step.out.host_result.as_ref().unwrap().error().is_some());
    assert!(step
        .out
        .host_events
        .iter()
        .any(|e| matches!(e, simos::Event::Access { granted: false, .. })));
    step.holds("INV-IDENTIFICATION-NEVER-OPENS");
    step.outcome_edit(|o| {
        for e in &mut o.host_events {
            if let simos::Event::Access { granted, .. } = e {
                *granted = true;
            }
        }
    })
    .breaks("INV-IDENTIFICATION-NEVER-OPENS", "SecurityIdentification");

    // At Impersonation level the same open succeeds and the check agrees.
    run.revert(alice);
    let fine = open_doc(&mut run, alice, AccessMask::GENERIC_READ);
    assert!(fine.out.host_result.as_ref().unwrap().is_ok());
    fine.holds("INV-IDENTIFICATION-NEVER-OPENS");
}

#[test]
fn network_hop() {
    let a = admin_job(Profile::Win11);
    let carol = a.run.sid("carol");
    let mut run = a.run;
    let (pointer, job) = run.download(a.elevated, "n.bin");
    let opts = Run::pointer(&run.qi(a.elevated, pointer, Interface::TokenOptions));
    run.set_helper_as(a.elevated, opts, "carol");
    run.method(
        a.elevated,
        opts,
        Method::SetHelperTokenFlags {
            flags: token_flags::NETWORK,
        },
    );
    run.method(a.elevated, pointer, Method::Resume);
    let mut hop = None;
    for _ in 0..15 {
        let s = run.advance(1);
        let seen = s.out.host_events.iter().any(|e| {
            matches!(e, simos::Event::Access { object, user, .. } if object == "web" && *user == carol)
        });
        if seen {
            hop = Some(s);
            break;
        }
    }
    let step = hop.expect("the server never saw carol");
    let helper_logon = step.job_before(job).helper.as_ref().unwrap().logon;
    assert_eq!(
        step.before.host.logons[&helper_logon].credentials,
        NetworkCredentials::Password
    );
    step.holds("INV-NETWORK-HOP");
    let strip = |w: &mut World| {
        w.host.logons.get_mut(&helper_logon).unwrap().credentials = NetworkCredentials::None;
    };
    step.before_edit(strip)
        .after_edit(strip)
        .breaks("INV-NETWORK-HOP", "holds no network credentials");
}

#[test]
fn network_hop_allows_configured_delegation_only() {
    // alice reaches `web` from a service holding her network logon (no
    // credentials): anonymous unless the front end is trusted.
    let mut run = Run::new(Profile::Win11);
    let alice = run.shell("alice", 1, false);
    let step = run.host_op(simos::Op::Network(NetworkOp::Access {
        thread: alice,
        server: "web".to_string(),
        desired: AccessMask::GENERIC_READ,
    }));
    step.holds("INV-NETWORK-HOP");
    // Pretend alice's session came over the network without credentials
    // (a Kerberos network logon): the hop is justified only by delegation.
    let token = step.before.host.process_of(alice).unwrap().primary_token;
    let logon = step.before.host.tokens[&token].logon;
    let as_network = |w: &mut World| {
        let l = w.host.logons.get_mut(&logon).unwrap();
        l.credentials = NetworkCredentials::None;
        l.logon_type = LogonType::Network;
        l.package = simos::host::AuthPackage::Kerberos;
    };
    let stripped = step.before_edit(as_network).after_edit(as_network);
    stripped.breaks("INV-NETWORK-HOP", "no delegation allows");
    // alice's own account trusted for delegation makes her the front end.
    let trusted = |w: &mut World| {
        w.host
            .domain
            .as_mut()
            .unwrap()
            .account_mut("alice")
            .unwrap()
            .delegation
            .trusted_for_delegation = true;
    };
    stripped
        .before_edit(trusted)
        .after_edit(trusted)
        .holds("INV-NETWORK-HOP");
    // A sensitive account is never delegated.
    let sensitive = |w: &mut World| {
        w.host
            .domain
            .as_mut()
            .unwrap()
            .account_mut("alice")
            .unwrap()
            .delegation
            .not_delegated = true;
    };
    stripped
        .before_edit(trusted)
        .after_edit(trusted)
        .after_edit(sensitive)
        .breaks("INV-NETWORK-HOP", "no delegation allows");
}

// ---------------------------------------------------------------------------
// A realistic sequence under every profile

#[test]
fn a_realistic_sequence_breaks_nothing_on_any_profile() {
    for profile in Profile::ALL {
        let mut run = Run::new(profile);
        let rules = profile.rules();
        // An administrator's job with carol as network helper.
        let shell = run.shell("admin", 1, false);
        let elevated = run.elevated(shell);
        let (pointer, job) = run.download(elevated, "seq.bin");
        let qi = run.qi(elevated, pointer, Interface::TokenOptions);
        let with_helper = qi.out.hr.succeeded();
        assert_eq!(with_helper, rules.token_options, "{profile}");
        if with_helper {
            let opts = Run::pointer(&qi);
            assert_eq!(
                run.set_helper_as(elevated, opts, "carol").out.hr,
                HResult::SOk,
                "{profile}"
            );
            run.method(
                elevated,
                opts,
                Method::SetHelperTokenFlags {
                    flags: token_flags::NETWORK,
                },
            );
            run.method(elevated, opts, Method::GetHelperTokenSid);
        }
        run.method(elevated, pointer, Method::Resume);
        for _ in 0..10 {
            run.advance(1);
        }
        assert_eq!(run.state(job), JobState::Transferred, "{profile}");

        // A standard user's job, with a helper where the 1607 rule allows it.
        let alice = run.shell("alice", 2, true);
        let (mine, alice_job) = run.download(alice, "alice.bin");
        let opts = run.qi(alice, mine, Interface::TokenOptions);
        if opts.out.hr.succeeded() {
            let opts = Run::pointer(&opts);
            let set = run.set_helper_as(alice, opts, "carol");
            assert_eq!(
                set.out.hr.succeeded(),
                rules.non_admin_helper_token,
                "{profile}"
            );
            run.method(
                alice,
                opts,
                Method::SetHelperTokenFlags {
                    flags: token_flags::LOCAL_FILE,
                },
            );
        }
        run.call(alice, Call::GetJob { job });
        run.call(alice, Call::EnumJobs { all_users: false });
        run.call(alice, Call::EnumJobs { all_users: true });
        run.call(elevated, Call::EnumJobs { all_users: true });
        run.method(alice, mine, Method::Resume);
        run.step(Op::Network { up: false });
        run.advance(5);
        run.step(Op::Network { up: true });
        for _ in 0..8 {
            run.advance(1);
        }

        // The administrator logs off: the helper goes, the TRANSFERRED job stays.
        let logon = run.winlogon("admin", 1);
        let off = run.logoff(logon);
        assert!(off.job_after(job).helper.is_none(), "{profile}");
        assert_eq!(off.job_after(job).state, JobState::Transferred);
        run.advance(20);

        // alice's Remote Desktop session ends.
        run.host_op(simos::Op::EndTerminalSession {
            machine: "WS01".to_string(),
            session: 2,
        });
        run.advance(20);

        // The administrator is back, takes alice's job, completes its own.
        let shell = run.shell("admin", 3, false);
        let elevated = run.elevated(shell);
        let own = Run::pointer(&run.call(elevated, Call::GetJob { job }));
        assert_eq!(
            run.method(elevated, own, Method::Complete).out.hr,
            HResult::SOk,
            "{profile}"
        );
        if let Value::Pointer { pointer } = run
            .call(elevated, Call::GetJob { job: alice_job })
            .out
            .value
        {
            run.method(elevated, pointer, Method::TakeOwnership);
            run.method(elevated, pointer, Method::Resume);
            run.advance(10);
            run.method(elevated, pointer, Method::Cancel);
        }
        run.advance(30);
        run.call(elevated, Call::EnumJobs { all_users: true });
        assert_eq!(run.state(job), JobState::Acknowledged, "{profile}");
    }
}

// ---------------------------------------------------------------------------
// Worlds under rules that contradict Windows are caught

#[test]
fn policy_mutants_are_caught() {
    // The owner's logoff keeps the helper token.
    let mut rules = Profile::Win11.rules();
    rules.logoff_drops_helper = false;
    let mut a = admin_job_in(Run::under(rules, true));
    // A second user keeps session 1 alive, so only the logoff rule (not
    // the session's end) is in play.
    a.run.shell("bob", 1, false);
    let logon = a.run.winlogon("admin", 1);
    a.run.logoff(logon);
    assert!(a.run.w.job(a.job).unwrap().helper.is_some());
    assert!(
        a.run.broken().contains("INV-LOGOFF-DROPS-HELPER"),
        "{:?}",
        a.run.broken()
    );

    // The end of a terminal session keeps the helper captured in it.
    let mut rules = Profile::Win7.rules();
    rules.ts_end_drops_helper = false;
    let mut run = Run::under(rules, true);
    let svc = run.service(BuiltinIdentity::LocalSystem);
    let bob = run.shell("bob", 2, true);
    let (pointer, _) = run.download(svc, "m.bin");
    let opts = Run::pointer(&run.qi(svc, pointer, Interface::TokenOptions));
    run.method(bob, opts, Method::SetHelperToken);
    run.host_op(simos::Op::EndTerminalSession {
        machine: "WS01".to_string(),
        session: 2,
    });
    assert!(
        run.broken().contains("INV-TS-END-DROPS-HELPER"),
        "{:?}",
        run.broken()
    );

    // The same, when the session ends because its only user logs off.
    let mut rules = Profile::Win7.rules();
    rules.ts_end_drops_helper = false;
    let mut run = Run::under(rules, true);
    let svc = run.service(BuiltinIdentity::LocalSystem);
    let bob = run.shell("bob", 2, true);
    let (pointer, _) = run.download(svc, "m.bin");
    let opts = Run::pointer(&run.qi(svc, pointer, Interface::TokenOptions));
    run.method(bob, opts, Method::SetHelperToken);
    let logon = run.winlogon("bob", 2);
    run.logoff(logon);
    assert!(
        run.broken().contains("INV-TS-END-DROPS-HELPER"),
        "{:?}",
        run.broken()
    );

    // An elevated administrator's job reached from the filtered token.
    let mut rules = Profile::Win11.rules();
    rules.elevated_jobs_need_elevation = false;
    let mut run = Run::under(rules, true);
    let shell = run.shell("admin", 1, false);
    let elevated = run.elevated(shell);
    let (_, job) = run.download(elevated, "e.bin");
    assert!(run.broken().is_empty(), "{:?}", run.broken());
    let get = run.call(shell, Call::GetJob { job });
    assert_eq!(get.out.hr, HResult::SOk);
    assert!(
        run.broken().contains("INV-GRANT-AT-ISSUE"),
        "{:?}",
        run.broken()
    );

    // The same step under the real rules is refused and breaks nothing.
    let mut run = Run::new(Profile::Win11);
    let shell = run.shell("admin", 1, false);
    let elevated = run.elevated(shell);
    let (_, job) = run.download(elevated, "e.bin");
    let get = run.call(shell, Call::GetJob { job });
    assert_eq!(get.out.hr, HResult::EAccessDenied);
}

#[test]
fn access_exact_for_opens() {
    let mut run = Run::new(Profile::Win11);
    let alice = run.shell("alice", 1, false);
    let read = open_doc(&mut run, alice, AccessMask::GENERIC_READ);
    read.holds("INV-ACCESS-EXACT");
    // A check that grants less than the DACL gives is caught too.
    read.outcome_edit(|o| {
        let granted = o.host_checks[0].result.granted.as_mut().unwrap();
        *granted = granted.without(AccessMask(0x1));
    })
    .breaks("INV-ACCESS-EXACT", "the request give granted");
    // doc.txt lets authenticated users read only: a write is refused.
    let refused = open_doc(&mut run, alice, AccessMask::GENERIC_WRITE);
    refused.holds("INV-ACCESS-EXACT");
    refused
        .outcome_edit(|o| {
            let r = &mut o.host_checks[0].result;
            r.access_status = Some(true);
            r.granted = Some(AccessMask(0x0012_0196));
            r.error = None;
        })
        .breaks("INV-ACCESS-EXACT", "give denied");
}

#[test]
fn access_exact_for_a_programs_access_check() {
    let mut run = Run::new(Profile::Win11);
    let alice = run.shell("alice", 1, false);
    let primary = run.w.host.process_of(alice).unwrap().primary_token;
    let check = |token, desired| {
        simos::Op::Object(ObjectOp::AccessCheck {
            thread: alice,
            token,
            sddl: Some("O:BAG:SYD:(D;;FW;;;AU)(A;;FA;;;WD)".to_string()),
            path: None,
            kind: ObjectKind::File,
            desired,
            principal_self: None,
            object_types: Vec::new(),
            result_list: false,
        })
    };
    // A primary token: the call fails before any ACE is read.
    let step = run.host_op(check(primary, AccessMask(0x0012_0089)));
    assert_eq!(
        step.out.host_result.as_ref().unwrap().error(),
        Some(winsec::Win32Error::NoImpersonationToken)
    );
    step.holds("INV-ACCESS-EXACT");
    step.outcome_edit(|o| {
        let r = &mut o.host_checks[0].result;
        r.access_status = Some(true);
        r.granted = Some(AccessMask(0x0012_0089));
        r.error = None;
    })
    .breaks("INV-ACCESS-EXACT", "a failed call");
}

#[test]
fn access_exact_catches_a_wrong_access_check() {
    let define = |run: &mut Run, path: &str, sddl: &str| {
        run.host_op(simos::Op::Object(ObjectOp::Define {
            machine: "WS01".to_string(),
            path: path.to_string(),
            kind: ObjectKind::File,
            sddl: sddl.to_string(),
        }));
    };
    let open = |run: &mut Run, thread, path: &str| {
        run.host_op(simos::Op::Object(ObjectOp::Open {
            thread,
            path: path.to_string(),
            desired: AccessMask::GENERIC_WRITE,
            backup_intent: false,
        }))
    };
    // A deny ACE for authenticated users before an allow ACE for everyone.
    let denied = "O:BAG:SYD:(D;;FW;;;AU)(A;;FA;;;WD)";
    for (deny_aces, grants) in [(true, false), (false, true)] {
        let mut rules = Profile::Win11.rules();
        rules.host.access.deny_aces = deny_aces;
        let mut run = Run::under(rules, true);
        let alice = run.shell("alice", 1, false);
        define(&mut run, "C:\\Public\\locked.txt", denied);
        let step = open(&mut run, alice, "C:\\Public\\locked.txt");
        assert_eq!(step.out.host_result.as_ref().unwrap().is_ok(), grants);
        assert_eq!(
            run.broken().contains("INV-ACCESS-EXACT"),
            !deny_aces,
            "{:?}",
            run.broken()
        );
    }
    // A NULL DACL read as an empty one refuses what Windows grants.
    let mut rules = Profile::Win11.rules();
    rules.host.access.null_dacl_grants_all = false;
    let mut run = Run::under(rules, true);
    let alice = run.shell("alice", 1, false);
    define(
        &mut run,
        "C:\\Public\\open.txt",
        "O:BAG:SYD:NO_ACCESS_CONTROL",
    );
    let step = open(&mut run, alice, "C:\\Public\\open.txt");
    assert!(step.out.host_result.as_ref().unwrap().error().is_some());
    assert!(
        run.broken().contains("INV-ACCESS-EXACT"),
        "{:?}",
        run.broken()
    );
}

/// A lenient run under Windows 11's rules changed by `change`.
fn mutated(change: impl FnOnce(&mut bits::Rules)) -> Run {
    let mut rules = Profile::Win11.rules();
    change(&mut rules);
    Run::under(rules, true)
}

#[test]
fn logons_and_tokens_are_rederived() {
    // UAC: an administrator's console logon gets the filtered token.
    let mut run = Run::new(Profile::Win11);
    run.shell("admin", 1, false);
    let mut run = mutated(|r| r.host.uac_split = false);
    run.shell("admin", 1, false);
    assert!(run.broken().contains("INV-UAC-SPLIT"), "{:?}", run.broken());

    // A batch logon needs SeBatchLogonRight, which standard users lack.
    let batch = |run: &mut Run, thread| {
        run.host_op(simos::Op::LogonUser {
            thread,
            user: "bob".to_string(),
            domain: Some("CORP".to_string()),
            password: "bob-pw".to_string(),
            logon_type: LogonType::Batch,
        })
    };
    let mut run = Run::new(Profile::Win11);
    let alice = run.shell("alice", 1, false);
    let refused = batch(&mut run, alice);
    assert_eq!(
        refused.out.host_result.as_ref().unwrap().error(),
        Some(winsec::Win32Error::LogonTypeNotGranted)
    );
    let mut run = mutated(|r| r.host.logon_rights = false);
    let alice = run.shell("alice", 1, false);
    assert!(batch(&mut run, alice).out.hr.succeeded());
    assert!(
        run.broken().contains("INV-LOGON-RIGHT"),
        "{:?}",
        run.broken()
    );

    // alice holds no SeImpersonatePrivilege: bob's pipe token is hers
    // only at Identification.
    let pipe = |run: &mut Run| {
        let alice = run.shell("alice", 1, false);
        let bob = run.shell("bob", 2, false);
        run.host_op(simos::Op::ImpersonateNamedPipeClient {
            thread: alice,
            client: bob,
            client_allows: ImpersonationLevel::Impersonation,
        });
        run.w.host.thread(alice).unwrap().impersonation.unwrap()
    };
    let mut run = Run::new(Profile::Win11);
    let token = pipe(&mut run);
    assert_eq!(
        run.w.host.token(token).unwrap().token.impersonation_level(),
        Some(ImpersonationLevel::Identification)
    );
    let mut run = mutated(|r| r.host.impersonation_allow_list = false);
    pipe(&mut run);
    assert!(
        run.broken().contains("INV-IMPERSONATION-ALLOWED"),
        "{:?}",
        run.broken()
    );

    // An Identification copy cannot be raised to Impersonation.
    let raise = |run: &mut Run| {
        let alice = run.shell("alice", 1, false);
        let primary = run.w.host.process_of(alice).unwrap().primary_token;
        let dup = |run: &mut Run, token, level| {
            run.host_op(simos::Op::DuplicateToken {
                thread: alice,
                token,
                level,
            })
        };
        let identify = dup(run, primary, ImpersonationLevel::Identification)
            .out
            .host_result
            .unwrap()
            .token()
            .unwrap();
        dup(run, identify, ImpersonationLevel::Impersonation)
    };
    let mut run = Run::new(Profile::Win11);
    let refused = raise(&mut run);
    assert_eq!(
        refused.out.host_result.as_ref().unwrap().error(),
        Some(winsec::Win32Error::BadImpersonationLevel)
    );
    let mut run = mutated(|r| r.host.duplicate_keeps_level = false);
    assert!(raise(&mut run).out.hr.succeeded());
    assert!(
        run.broken().contains("INV-DUPLICATE-LEVEL"),
        "{:?}",
        run.broken()
    );
}

#[test]
fn take_ownership_quotas_and_complete_are_rederived() {
    // TakeOwnership of her own job by a standard user.
    let take = |run: &mut Run| {
        let alice = run.shell("alice", 1, false);
        let (pointer, _) = run.download(alice, "t.bin");
        run.method(alice, pointer, Method::TakeOwnership)
    };
    let mut run = Run::new(Profile::Win11);
    assert_eq!(take(&mut run).out.hr, HResult::EAccessDenied);
    let mut run = mutated(|r| r.checks.take_ownership_needs_admin = false);
    assert!(take(&mut run).out.hr.succeeded());
    assert!(
        run.broken().contains("INV-TAKE-OWNERSHIP"),
        "{:?}",
        run.broken()
    );

    // An elevated administrator is not bound by MaxJobsPerUser.
    let second_job = |run: &mut Run| {
        run.w.bits.policy.max_jobs_per_user = 1;
        let shell = run.shell("admin", 1, false);
        let elevated = run.elevated(shell);
        run.create(elevated);
        run.call(
            elevated,
            Call::CreateJob {
                name: "second".to_string(),
                job_type: bits::JobType::Download,
            },
        )
    };
    let mut run = Run::new(Profile::Win11);
    assert!(second_job(&mut run).out.hr.succeeded());
    let mut run = mutated(|r| r.quotas_exempt_admins = false);
    assert_eq!(second_job(&mut run).out.hr, HResult::BgETooManyJobsPerUser);
    assert!(
        run.broken().contains("INV-QUOTA-EXEMPT"),
        "{:?}",
        run.broken()
    );

    // An administrator completes alice's finished job: the file is the
    // administrator's.
    let complete = |run: &mut Run| {
        let alice = run.shell("alice", 1, false);
        let (pointer, job) = run.download(alice, "c.bin");
        run.method(alice, pointer, Method::Resume);
        for _ in 0..10 {
            if run.state(job) == JobState::Transferred {
                break;
            }
            run.advance(1);
        }
        assert_eq!(run.state(job), JobState::Transferred);
        let shell = run.shell("admin", 2, false);
        let elevated = run.elevated(shell);
        let got = run.call(elevated, Call::GetJob { job });
        run.method(elevated, Run::pointer(&got), Method::Complete)
    };
    let mut run = Run::new(Profile::Win11);
    assert!(complete(&mut run).out.hr.succeeded());
    let mut run = mutated(|r| r.complete_files_owned_by_caller = false);
    assert!(complete(&mut run).out.hr.succeeded());
    assert!(
        run.broken().contains("INV-COMPLETE-AS-CALLER"),
        "{:?}",
        run.broken()
    );
}
