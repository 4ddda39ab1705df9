//! Securable objects driven through `Host::apply`: inheritance and the
//! owner on create, the creator's access, which token an open is checked
//! with (impersonation, RevertToSelf, CreateProcess, Identification level,
//! UAC split tokens), backup intent, SetSecurity and Delete.

// The helpers below sit outside `#[test]` functions, where clippy's
// test allowances do not reach; like the tests, they fail loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

use simos::objects::{rules::ids, ObjectAccess, ObjectKind, ObjectOp};
use simos::{BuiltinIdentity, Event, Host, Machine, Op, Outcome, ServiceAccount, Value};
use simos::{ThreadId, TokenId};
use winsec::token::privilege_attrs;
use winsec::well_known::sids;
use winsec::{AccessMask, ImpersonationLevel, Privilege, Sid, TokenType, Win32Error};

const WS1: &str = "WS1";

/// The machine, its users, and `C:` and `C:\data` defined by the environment.
struct World {
    host: Host,
    alice: Sid,
    bob: Sid,
    admin: Sid,
    none_group: Sid,
}

fn world() -> World {
    let mut host = Host::new();
    let machine_sid: Sid = "S-1-5-21-10-20-30".parse().unwrap();
    let mut machine = Machine::new(WS1, machine_sid.clone());
    let alice = machine.add_user("alice", "pw-alice", &[]);
    let bob = machine.add_user("bob", "pw-bob", &[]);
    let admin = machine.add_user("admin", "pw-admin", &[sids::builtin_administrators()]);
    host.add_machine(machine);
    let mut w = World {
        host,
        alice,
        bob,
        admin,
        none_group: machine_sid.with_rid(513).unwrap(),
    };
    // The volume root: users may add files and folders and read.
    w.define(
        "C:\\",
        ObjectKind::Directory,
        "O:SYG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)(A;CI;0x6;;;BU)",
    );
    // A data folder with a CREATOR OWNER entry and generic rights.
    w.define(
        "C:\\data",
        ObjectKind::Directory,
        "O:BAG:SYD:P(A;OICI;GA;;;BA)(A;OICIIO;GA;;;CO)(A;CI;0x6;;;BU)(A;OICI;GR;;;BU)(A;OICINP;0x100;;;IU)",
    );
    w
}

impl World {
    fn apply(&mut self, op: Op) -> Outcome {
        self.host.apply(&op)
    }

    fn define(&mut self, path: &str, kind: ObjectKind, sddl: &str) {
        let out = self.apply(Op::Object(ObjectOp::Define {
            machine: WS1.into(),
            path: path.into(),
            kind,
            sddl: sddl.into(),
        }));
        assert!(out.result.is_ok(), "define {path}: {:?}", out.result);
    }

    fn logon(&mut self, user: &str, password: &str, session: u32) -> ThreadId {
        let out = self.apply(Op::InteractiveLogon {
            machine: WS1.into(),
            user: user.into(),
            domain: None,
            password: password.into(),
            ts_session: session,
            remote: false,
        });
        match out.result.value() {
            Some(Value::Process { thread, .. }) => *thread,
            other => panic!("logon {user}: {other:?}"),
        }
    }

    fn service(&mut self, who: BuiltinIdentity) -> ThreadId {
        let out = self.apply(Op::StartService {
            machine: WS1.into(),
            image: "svc.exe".into(),
            account: ServiceAccount::Builtin(who),
            flow_policy: None,
        });
        match out.result.value() {
            Some(Value::Process { thread, .. }) => *thread,
            other => panic!("service: {other:?}"),
        }
    }

    /// A thread of a new process running with the elevated (linked) token
    /// of the UAC-filtered `thread`.
    fn elevate(&mut self, thread: ThreadId) -> ThreadId {
        let filtered = self.host.effective_token(thread).unwrap();
        let full = TokenId(filtered.linked_token.unwrap());
        let out = self.apply(Op::CreateProcessAsUser {
            thread,
            token: full,
            image: "cmd.exe".into(),
        });
        match out.result.value() {
            Some(Value::Process { thread, .. }) => *thread,
            other => panic!("elevate: {other:?}"),
        }
    }

    fn create(
        &mut self,
        thread: ThreadId,
        path: &str,
        kind: ObjectKind,
        sddl: Option<&str>,
        desired: AccessMask,
    ) -> Outcome {
        self.apply(Op::Object(ObjectOp::Create {
            thread,
            path: path.into(),
            kind,
            sddl: sddl.map(str::to_string),
            desired,
        }))
    }

    fn open(&mut self, thread: ThreadId, path: &str, desired: AccessMask) -> Outcome {
        self.open_with(thread, path, desired, false)
    }

    fn open_with(
        &mut self,
        thread: ThreadId,
        path: &str,
        desired: AccessMask,
        backup_intent: bool,
    ) -> Outcome {
        self.apply(Op::Object(ObjectOp::Open {
            thread,
            path: path.into(),
            desired,
            backup_intent,
        }))
    }

    fn sd(&self, path: &str) -> String {
        let object = self.host.object(WS1, path).unwrap();
        winsec::sddl::print(&object.sd, &self.host.domain_context(WS1))
    }
}

fn access(out: &Outcome) -> &ObjectAccess {
    match out.result.value() {
        Some(Value::Object(a)) => a,
        other => panic!("expected an object, got {other:?} (rules {:?})", out.rules),
    }
}

fn err(out: &Outcome) -> Win32Error {
    out.result
        .error()
        .unwrap_or_else(|| panic!("expected an error, got {:?}", out.result))
}

const READ: AccessMask = AccessMask::GENERIC_READ;

// ---------------------------------------------------------------------------
// Creation: inheritance, owner, explicit descriptors, the creator's access.

#[test]
fn a_new_file_inherits_mapped_aces_with_creator_owner_replaced() {
    let mut w = world();
    let t = w.logon("alice", "pw-alice", 1);
    let out = w.create(t, "C:\\data\\a.txt", ObjectKind::File, None, READ);
    let a = access(&out);
    let (alice, none) = (w.alice.clone(), w.none_group.clone());
    assert_eq!(
        a.sddl,
        format!(
            "O:{alice}G:{none}D:(A;ID;FA;;;BA)(A;ID;FA;;;{alice})(A;ID;0x120089;;;BU)(A;ID;CR;;;IU)"
        )
    );
    assert_eq!(a.sddl, w.sd("c:\\DATA\\A.TXT"), "lookups ignore case");
    // GENERIC_READ plus CreateFile's SYNCHRONIZE|FILE_READ_ATTRIBUTES, mapped.
    assert_eq!(a.granted, AccessMask(0x120089));
    // The only check ran on the parent, for FILE_ADD_FILE.
    assert_eq!(a.checks.len(), 1);
    assert_eq!(a.checks[0].object, "C:\\data");
    assert_eq!(a.checks[0].desired, AccessMask(0x2));
    for id in [
        ids::CREATE_PARENT_ACCESS,
        ids::CREATOR_ACCESS,
        ids::CREATE_OWNER,
        winsec::rules::ids::INHERIT_ACES,
        winsec::rules::ids::INHERIT_MAP,
    ] {
        assert!(out.rules.contains(&id), "{id} in {:?}", out.rules);
    }
    assert!(out.events.iter().any(|e| matches!(
        e,
        Event::Access { object, granted: true, .. } if object == "C:\\data"
    )));
}

#[test]
fn a_new_directory_splits_generic_and_creator_aces_and_np_stops_at_children() {
    let mut w = world();
    let t = w.logon("alice", "pw-alice", 1);
    let out = w.create(t, "C:\\data\\sub", ObjectKind::Directory, None, READ);
    assert!(out.result.is_ok(), "{:?}", out.result);
    let (alice, none) = (w.alice.clone(), w.none_group.clone());
    assert_eq!(
        w.sd("C:\\data\\sub"),
        format!(
            "O:{alice}G:{none}D:(A;ID;FA;;;BA)(A;OICIIOID;GA;;;BA)(A;ID;FA;;;{alice})(A;OICIIOID;GA;;;CO)\
             (A;CIID;DCLC;;;BU)(A;ID;0x120089;;;BU)(A;OICIIOID;GR;;;BU)(A;ID;CR;;;IU)"
        )
    );
    // A grandchild file: the NP ACE for INTERACTIVE did not travel further,
    // the inherit-only copies did.
    let out = w.create(t, "C:\\data\\sub\\b.txt", ObjectKind::File, None, READ);
    assert!(out.result.is_ok(), "{:?}", out.result);
    assert_eq!(
        w.sd("C:\\data\\sub\\b.txt"),
        format!("O:{alice}G:{none}D:(A;ID;FA;;;BA)(A;ID;FA;;;{alice})(A;ID;0x120089;;;BU)")
    );
    // A file directly in C:\data gets the NP ACE (it is the first level).
    let out = w.create(t, "C:\\data\\c.txt", ObjectKind::File, None, READ);
    assert!(access(&out).sddl.ends_with("(A;ID;CR;;;IU)"));
}

#[test]
fn a_protected_root_still_passes_its_aces_down() {
    let mut w = world();
    let t = w.logon("alice", "pw-alice", 1);
    let out = w.create(t, "C:\\top.txt", ObjectKind::File, None, READ);
    let (alice, none) = (w.alice.clone(), w.none_group.clone());
    assert_eq!(
        access(&out).sddl,
        format!("O:{alice}G:{none}D:(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1200a9;;;BU)")
    );
}

#[test]
fn an_explicit_descriptor_is_used_as_given_and_the_creator_still_gets_access() {
    let mut w = world();
    let t = w.logon("alice", "pw-alice", 1);
    // An empty DACL: nothing inherited, yet the creator gets what it asked for.
    let out = w.create(
        t,
        "C:\\data\\locked.txt",
        ObjectKind::File,
        Some("D:"),
        AccessMask::GENERIC_ALL,
    );
    let a = access(&out);
    assert_eq!(a.granted, AccessMask(0x1f01ff));
    assert_eq!(a.sddl, format!("O:{}G:{}D:", w.alice, w.none_group));
    assert!(out.rules.contains(&ids::CREATE_EXPLICIT_SD));
    assert!(!out.rules.contains(&winsec::rules::ids::INHERIT_ACES));
    // Reopening is another matter: the owner gets READ_CONTROL|WRITE_DAC
    // only, and CreateFile always asks for SYNCHRONIZE|FILE_READ_ATTRIBUTES.
    let out = w.open(t, "C:\\data\\locked.txt", AccessMask::READ_CONTROL);
    assert_eq!(err(&out), Win32Error::AccessDenied);

    // CreateEvent with an empty DACL and MAXIMUM_ALLOWED: EVENT_ALL_ACCESS.
    let out = w.create(
        t,
        "Global\\Ready",
        ObjectKind::Event,
        Some("D:"),
        AccessMask::MAXIMUM_ALLOWED,
    );
    let a = access(&out);
    assert_eq!(a.granted, AccessMask(0x1f0003));
    assert!(a.checks.is_empty(), "no parent, no check");
}

#[test]
fn an_explicit_owner_without_a_dacl_still_inherits() {
    let mut w = world();
    let t = w.logon("alice", "pw-alice", 1);
    let out = w.create(
        t,
        "C:\\data\\owned.txt",
        ObjectKind::File,
        Some("O:BUG:BU"),
        READ,
    );
    assert_eq!(
        access(&out).sddl,
        "O:BUG:BUD:(A;ID;FA;;;BA)(A;ID;FA;;;BU)(A;ID;0x120089;;;BU)(A;ID;CR;;;IU)",
        "CREATOR OWNER stands for the new owner"
    );
}

#[test]
fn without_inheritable_aces_the_default_dacl_applies() {
    let mut w = world();
    w.define(
        "C:\\flat",
        ObjectKind::Directory,
        "O:BAG:SYD:(A;;FA;;;BA)(A;;0x6;;;BU)",
    );
    let t = w.logon("alice", "pw-alice", 1);
    let out = w.create(t, "C:\\flat\\f.txt", ObjectKind::File, None, READ);
    let sddl = &access(&out).sddl;
    // LSA's default DACL: GENERIC_ALL to the user and SYSTEM, read/execute
    // to the logon SID, mapped for a file.
    assert!(
        sddl.contains(&format!(
            "(A;;FA;;;{})(A;;FA;;;SY)(A;;0x1200a9;;;S-1-5-5-0-",
            w.alice
        )),
        "{sddl}"
    );
    assert!(out.rules.contains(&ids::DEFAULT_DACL));
}

#[test]
fn the_owner_is_the_creators_token_owner() {
    let mut w = world();
    // A standard user owns what she creates.
    let alice = w.logon("alice", "pw-alice", 1);
    let out = w.create(alice, "C:\\data\\std.txt", ObjectKind::File, None, READ);
    assert!(access(&out).sddl.starts_with(&format!("O:{}G:", w.alice)));
    // An administrator with the UAC filtered token: the user.
    let filtered = w.logon("admin", "pw-admin", 2);
    let out = w.create(filtered, "C:\\data\\lim.txt", ObjectKind::File, None, READ);
    assert!(access(&out).sddl.starts_with(&format!("O:{}G:", w.admin)));
    // The elevated administrator: BUILTIN\Administrators.
    let elevated = w.elevate(filtered);
    let out = w.create(elevated, "C:\\data\\adm.txt", ObjectKind::File, None, READ);
    let a = access(&out);
    assert!(a.sddl.starts_with("O:BAG:"), "{}", a.sddl);
    assert_eq!(a.user, w.admin);
    // CREATOR OWNER became BA as well.
    assert!(
        a.sddl.contains("(A;ID;FA;;;BA)(A;ID;FA;;;BA)"),
        "{}",
        a.sddl
    );
    // LocalSystem's objects belong to BA too.
    let system = w.service(BuiltinIdentity::LocalSystem);
    let out = w.create(system, "C:\\data\\sys.txt", ObjectKind::File, None, READ);
    assert!(access(&out).sddl.starts_with("O:BAG:SY"));
}

#[test]
fn an_impersonating_thread_creates_objects_owned_by_its_client() {
    let mut w = world();
    let svc = w.service(BuiltinIdentity::NetworkService);
    let bob = w.logon("bob", "pw-bob", 1);
    let out = w.apply(Op::ImpersonateNamedPipeClient {
        thread: svc,
        client: bob,
        client_allows: ImpersonationLevel::Impersonation,
    });
    assert!(out.result.is_ok());
    let out = w.create(svc, "C:\\data\\bob.txt", ObjectKind::File, None, READ);
    let a = access(&out);
    assert_eq!(a.user, w.bob);
    assert!(a.sddl.starts_with(&format!("O:{}G:", w.bob)));
}

#[test]
fn create_errors_come_in_windows_order() {
    let mut w = world();
    w.define(
        "C:\\ro",
        ObjectKind::Directory,
        "O:BAG:SYD:(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)",
    );
    let t = w.logon("alice", "pw-alice", 1);
    let missing = w.create(t, "C:\\nowhere\\f.txt", ObjectKind::File, None, READ);
    assert_eq!(err(&missing), Win32Error::PathNotFound);
    let out = w.create(t, "C:\\data\\f.txt", ObjectKind::File, None, READ);
    assert!(out.result.is_ok());
    let again = w.create(t, "C:\\DATA\\F.TXT", ObjectKind::File, None, READ);
    assert_eq!(err(&again), Win32Error::FileExists);
    assert!(again.rules.contains(&ids::CREATE_EXISTS));
    // A file is not a directory.
    let under_file = w.create(t, "C:\\data\\f.txt\\g", ObjectKind::File, None, READ);
    assert_eq!(err(&under_file), Win32Error::PathNotFound);
    // No FILE_ADD_FILE on the parent.
    let denied = w.create(t, "C:\\ro\\f.txt", ObjectKind::File, None, READ);
    assert_eq!(err(&denied), Win32Error::AccessDenied);
    assert!(w.host.object(WS1, "C:\\ro\\f.txt").is_none());
    // A bad SDDL string fails as the conversion would.
    let bad = w.create(
        t,
        "C:\\data\\x.txt",
        ObjectKind::File,
        Some("D:(A;;FA;;;NOPE)"),
        READ,
    );
    assert!(bad.result.error().is_some());
    // ACCESS_SYSTEM_SECURITY without SeSecurityPrivilege.
    let sacl = w.create(
        t,
        "C:\\data\\audit.txt",
        ObjectKind::File,
        None,
        AccessMask::ACCESS_SYSTEM_SECURITY,
    );
    assert_eq!(err(&sacl), Win32Error::PrivilegeNotHeld);
}

#[test]
fn registry_keys_need_create_sub_key_and_use_the_key_mapping() {
    let mut w = world();
    w.define(
        "HKLM\\Software\\App",
        ObjectKind::RegistryKey,
        "O:BAG:SYD:(A;CI;GA;;;BA)(A;CI;GR;;;BU)",
    );
    let alice = w.logon("alice", "pw-alice", 1);
    let out = w.create(
        alice,
        "HKLM\\Software\\App\\Sub",
        ObjectKind::RegistryKey,
        None,
        READ,
    );
    assert_eq!(err(&out), Win32Error::AccessDenied);
    let admin = w.logon("admin", "pw-admin", 2);
    let elevated = w.elevate(admin);
    let out = w.create(
        elevated,
        "HKLM\\Software\\App\\Sub",
        ObjectKind::RegistryKey,
        None,
        READ,
    );
    let a = access(&out);
    assert_eq!(
        a.granted,
        AccessMask(0x20019),
        "KEY_READ, no CreateFile bits"
    );
    let out = w.open(alice, "HKLM\\Software\\App\\Sub", READ);
    assert_eq!(access(&out).granted, AccessMask(0x20019));
    let out = w.open(alice, "HKLM\\Software\\App\\Sub", AccessMask::GENERIC_WRITE);
    assert_eq!(err(&out), Win32Error::AccessDenied);
}

// ---------------------------------------------------------------------------
// Opening: which token is checked.

fn personal_files(w: &mut World) {
    let bob = w.bob.clone();
    w.define(
        "C:\\data\\bob.txt",
        ObjectKind::File,
        &format!("O:SYG:SYD:(A;;FA;;;{bob})"),
    );
    w.define(
        "C:\\data\\ns.txt",
        ObjectKind::File,
        "O:SYG:SYD:(A;;FA;;;NS)",
    );
}

#[test]
fn open_uses_the_impersonation_token_then_the_process_token_after_revert() {
    let mut w = world();
    personal_files(&mut w);
    let svc = w.service(BuiltinIdentity::NetworkService);
    let bob = w.logon("bob", "pw-bob", 1);
    let out = w.apply(Op::ImpersonateNamedPipeClient {
        thread: svc,
        client: bob,
        client_allows: ImpersonationLevel::Impersonation,
    });
    assert!(out.result.is_ok());

    let out = w.open(svc, "C:\\data\\bob.txt", READ);
    let a = access(&out);
    assert_eq!(a.user, w.bob);
    assert_eq!(
        a.acted_as,
        TokenType::Impersonation(ImpersonationLevel::Impersonation)
    );
    assert_eq!(a.granted, AccessMask(0x120089));
    assert!(a.checks[0].result.is_granted());
    assert!(!out.rules.contains(&ids::PRIMARY_TOKEN_CHECK));
    assert!(out.events.iter().any(|e| matches!(
        e,
        Event::Access { user, granted: true, .. } if *user == w.bob
    )));
    let out = w.open(svc, "C:\\data\\ns.txt", READ);
    assert_eq!(err(&out), Win32Error::AccessDenied);
    assert!(out
        .events
        .iter()
        .any(|e| matches!(e, Event::Access { granted: false, .. })));

    // Check 19: after RevertToSelf the process token is checked.
    assert!(w.apply(Op::RevertToSelf { thread: svc }).result.is_ok());
    let out = w.open(svc, "C:\\data\\ns.txt", READ);
    let a = access(&out);
    assert_eq!(a.user, sids::network_service());
    assert_eq!(a.acted_as, TokenType::Primary);
    assert!(out.rules.contains(&ids::PRIMARY_TOKEN_CHECK));
    assert_eq!(
        err(&w.open(svc, "C:\\data\\bob.txt", READ)),
        Win32Error::AccessDenied
    );
}

#[test]
fn an_identification_level_thread_cannot_open_or_create() {
    let mut w = world();
    w.define(
        "C:\\data\\pub.txt",
        ObjectKind::File,
        "O:SYG:SYD:(A;;FA;;;WD)",
    );
    // Check 9: a pipe server running as a standard user, no SeImpersonatePrivilege.
    let server = w.logon("alice", "pw-alice", 1);
    let client = w.logon("bob", "pw-bob", 2);
    let out = w.apply(Op::ImpersonateNamedPipeClient {
        thread: server,
        client,
        client_allows: ImpersonationLevel::Impersonation,
    });
    assert!(out.result.is_ok(), "the impersonate call itself succeeds");
    let level = w
        .host
        .effective_token(server)
        .unwrap()
        .impersonation_level();
    assert_eq!(level, Some(ImpersonationLevel::Identification));

    let out = w.open(server, "C:\\data\\pub.txt", READ);
    assert_eq!(err(&out), Win32Error::BadImpersonationLevel);
    assert!(out
        .rules
        .contains(&simos::rules::ids::IDENTIFICATION_NO_OPEN));
    assert!(out.events.iter().any(|e| matches!(
        e,
        Event::Access { user, granted: false, .. } if *user == w.bob
    )));
    let out = w.create(server, "C:\\data\\new.txt", ObjectKind::File, None, READ);
    assert_eq!(err(&out), Win32Error::BadImpersonationLevel);
    // A missing object is reported as missing first.
    let out = w.open(server, "C:\\data\\none.txt", READ);
    assert_eq!(err(&out), Win32Error::FileNotFound);

    // After RevertToSelf the server opens as itself.
    assert!(w.apply(Op::RevertToSelf { thread: server }).result.is_ok());
    let out = w.open(server, "C:\\data\\pub.txt", READ);
    assert_eq!(access(&out).user, w.alice);

    // A client that allows only Identification: same refusal, even for a
    // server that holds SeImpersonatePrivilege.
    let svc = w.service(BuiltinIdentity::NetworkService);
    let out = w.apply(Op::ImpersonateNamedPipeClient {
        thread: svc,
        client,
        client_allows: ImpersonationLevel::Identification,
    });
    assert!(out.result.is_ok());
    let out = w.open(svc, "C:\\data\\pub.txt", READ);
    assert_eq!(err(&out), Win32Error::BadImpersonationLevel);
}

#[test]
fn create_process_ignores_impersonation() {
    let mut w = world();
    personal_files(&mut w);
    let svc = w.service(BuiltinIdentity::NetworkService);
    let bob = w.logon("bob", "pw-bob", 1);
    let out = w.apply(Op::ImpersonateNamedPipeClient {
        thread: svc,
        client: bob,
        client_allows: ImpersonationLevel::Impersonation,
    });
    assert!(out.result.is_ok());
    // Check 15: the child runs as NETWORK SERVICE.
    let out = w.apply(Op::CreateProcess {
        thread: svc,
        image: "child.exe".into(),
    });
    let child = match out.result.value() {
        Some(Value::Process { thread, .. }) => *thread,
        other => panic!("{other:?}"),
    };
    let out = w.open(child, "C:\\data\\ns.txt", READ);
    assert_eq!(access(&out).user, sids::network_service());
    assert_eq!(
        err(&w.open(child, "C:\\data\\bob.txt", READ)),
        Win32Error::AccessDenied
    );
    // The parent thread still acts as bob.
    assert_eq!(access(&w.open(svc, "C:\\data\\bob.txt", READ)).user, w.bob);
}

#[test]
fn deny_only_administrators_cannot_open_what_only_ba_may_but_the_elevated_token_can() {
    let mut w = world();
    w.define(
        "C:\\data\\admins.txt",
        ObjectKind::File,
        "O:SYG:SYD:(A;;FA;;;BA)",
    );
    let filtered = w.logon("admin", "pw-admin", 1);
    let out = w.open(filtered, "C:\\data\\admins.txt", READ);
    assert_eq!(err(&out), Win32Error::AccessDenied);

    let elevated = w.elevate(filtered);
    let out = w.open(elevated, "C:\\data\\admins.txt", READ);
    let a = access(&out);
    assert_eq!(a.user, w.admin);
    assert_eq!(a.acted_as, TokenType::Primary);
    assert_eq!(a.granted, AccessMask(0x120089));
    let trail = &a.checks[0].result.trail;
    assert!(trail
        .iter()
        .any(|s| s.granted.is_some() && s.ace_index == Some(0)));
}

#[test]
fn backup_intent_with_sebackupprivilege_enabled_reads_past_the_dacl() {
    let mut w = world();
    w.define(
        "C:\\data\\sys.txt",
        ObjectKind::File,
        "O:SYG:SYD:(A;;FA;;;SY)",
    );
    let filtered = w.logon("admin", "pw-admin", 1);
    let elevated = w.elevate(filtered);
    // Present but disabled, as LSA hands it out.
    let out = w.open_with(elevated, "C:\\data\\sys.txt", READ, true);
    assert_eq!(err(&out), Win32Error::AccessDenied);

    // There is no AdjustTokenPrivileges operation on the host yet, so the
    // test enables the privilege in the process token directly.
    let id = w.host.effective_token_id(elevated).unwrap();
    let token = &mut w.host.tokens.get_mut(&id).unwrap().token;
    let entry = token
        .privileges
        .iter_mut()
        .find(|p| p.privilege == Privilege::Backup)
        .unwrap();
    entry.attributes |= privilege_attrs::ENABLED;

    let out = w.open_with(elevated, "C:\\data\\sys.txt", READ, true);
    let a = access(&out);
    assert_eq!(a.granted, AccessMask(0x120089));
    assert_eq!(a.checks[0].result.privileges_used, vec![Privilege::Backup]);
    assert!(out.rules.contains(&ids::BACKUP_INTENT));
    // Without backup intent the privilege grants nothing.
    let out = w.open(elevated, "C:\\data\\sys.txt", READ);
    assert_eq!(err(&out), Win32Error::AccessDenied);
    // Backup grants reads only.
    let out = w.open_with(
        elevated,
        "C:\\data\\sys.txt",
        AccessMask::GENERIC_WRITE,
        true,
    );
    assert_eq!(err(&out), Win32Error::AccessDenied);
}

#[test]
fn opening_adds_createfile_rights_and_maps_generic_ones() {
    let mut w = world();
    // FILE_READ_DATA only: the implied SYNCHRONIZE|FILE_READ_ATTRIBUTES are missing.
    w.define(
        "C:\\data\\thin.txt",
        ObjectKind::File,
        "O:SYG:SYD:(A;;0x1;;;WD)",
    );
    w.define(
        "C:\\data\\full.txt",
        ObjectKind::File,
        "O:SYG:SYD:(A;;FA;;;WD)",
    );
    let t = w.logon("alice", "pw-alice", 1);
    assert_eq!(
        err(&w.open(t, "C:\\data\\thin.txt", AccessMask(0x1))),
        Win32Error::AccessDenied
    );
    let out = w.open(t, "C:\\data\\full.txt", AccessMask::NONE);
    assert_eq!(access(&out).granted, AccessMask(0x100080));
    let out = w.open(t, "C:\\data\\full.txt", AccessMask::GENERIC_WRITE);
    assert_eq!(access(&out).granted, AccessMask(0x120196));
    assert!(out.rules.contains(&ids::CREATEFILE_IMPLIED));
    let out = w.open(t, "C:\\data\\full.txt", AccessMask::MAXIMUM_ALLOWED);
    assert_eq!(access(&out).granted, AccessMask(0x1f01ff));
    let out = w.open(t, "C:\\data\\missing.txt", READ);
    assert_eq!(err(&out), Win32Error::FileNotFound);
    assert!(out.rules.contains(&ids::NOT_FOUND));
}

#[test]
fn a_certificate_private_key_is_a_file_with_the_file_mapping() {
    let mut w = world();
    w.define(
        "C:\\ProgramData\\MachineKeys",
        ObjectKind::Directory,
        "O:SYG:SYD:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;;0x2;;;WD)(A;OICIIO;GA;;;CO)",
    );
    let svc = w.service(BuiltinIdentity::NetworkService);
    let out = w.create(
        svc,
        "C:\\ProgramData\\MachineKeys\\k1",
        ObjectKind::CertificatePrivateKey,
        None,
        READ,
    );
    let a = access(&out);
    assert_eq!(
        a.sddl, "O:NSG:NSD:(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;FA;;;NS)",
        "the service owns its key and CREATOR OWNER gives it full control"
    );
    let alice = w.logon("alice", "pw-alice", 1);
    let out = w.open(alice, "C:\\ProgramData\\MachineKeys\\k1", READ);
    assert_eq!(err(&out), Win32Error::AccessDenied);
}

// ---------------------------------------------------------------------------
// SetSecurity and Delete.

#[test]
fn set_security_needs_write_dac_or_write_owner_and_stores_exactly_what_it_is_given() {
    let mut w = world();
    let alice = w.logon("alice", "pw-alice", 1);
    let out = w.create(
        alice,
        "C:\\data\\own.txt",
        ObjectKind::File,
        Some("D:"),
        READ,
    );
    assert!(out.result.is_ok());
    let a = w.alice.clone();
    // The owner may always rewrite the DACL (implicit WRITE_DAC)...
    let out = w.apply(Op::Object(ObjectOp::SetSecurity {
        thread: alice,
        path: "C:\\data\\own.txt".into(),
        sddl: format!("D:(A;;GA;;;{a})"),
    }));
    let got = access(&out);
    assert_eq!(got.granted, AccessMask::WRITE_DAC);
    // ... and the DACL is stored as given: no inherited ACEs come back, and
    // the generic right stays unmapped.
    assert_eq!(got.sddl, format!("O:{a}G:{}D:(A;;GA;;;{a})", w.none_group));
    assert!(out.rules.contains(&ids::SET_SECURITY));

    // bob has no WRITE_DAC.
    let bob = w.logon("bob", "pw-bob", 2);
    let out = w.apply(Op::Object(ObjectOp::SetSecurity {
        thread: bob,
        path: "C:\\data\\own.txt".into(),
        sddl: "D:(A;;FA;;;WD)".into(),
    }));
    assert_eq!(err(&out), Win32Error::AccessDenied);

    // A file with an empty DACL: the owner can reset the DACL but cannot
    // give the file away (WRITE_OWNER is not implicit).
    let out = w.create(
        alice,
        "C:\\data\\bare.txt",
        ObjectKind::File,
        Some("D:"),
        READ,
    );
    assert!(out.result.is_ok());
    let out = w.apply(Op::Object(ObjectOp::SetSecurity {
        thread: alice,
        path: "C:\\data\\bare.txt".into(),
        sddl: "O:BU".into(),
    }));
    assert_eq!(err(&out), Win32Error::AccessDenied);
    // Setting the same owner changes nothing and needs no right.
    let out = w.apply(Op::Object(ObjectOp::SetSecurity {
        thread: alice,
        path: "C:\\data\\bare.txt".into(),
        sddl: format!("O:{a}"),
    }));
    assert!(access(&out).checks.is_empty());
}

#[test]
fn set_security_does_not_propagate_to_existing_children() {
    let mut w = world();
    let filtered = w.logon("admin", "pw-admin", 1);
    let elevated = w.elevate(filtered);
    let out = w.create(elevated, "C:\\data\\kid.txt", ObjectKind::File, None, READ);
    assert!(out.result.is_ok());
    let before = w.sd("C:\\data\\kid.txt");
    let out = w.apply(Op::Object(ObjectOp::SetSecurity {
        thread: elevated,
        path: "C:\\data".into(),
        sddl: "D:(A;OICI;FA;;;WD)".into(),
    }));
    assert!(out.result.is_ok(), "{:?}", out.result);
    assert_eq!(w.sd("C:\\data"), "O:BAG:SYD:(A;OICI;FA;;;WD)");
    assert_eq!(w.sd("C:\\data\\kid.txt"), before);
}

#[test]
fn delete_needs_delete_or_the_parents_delete_child() {
    let mut w = world();
    let (alice, bob) = (w.alice.clone(), w.bob.clone());
    w.define(
        "C:\\drop",
        ObjectKind::Directory,
        &format!("O:SYG:SYD:(A;;FA;;;SY)(A;;0x40;;;{bob})"),
    );
    w.define(
        "C:\\drop\\a.txt",
        ObjectKind::File,
        &format!("O:SYG:SYD:(D;;SD;;;{bob})(A;;FA;;;{alice})"),
    );
    w.define(
        "C:\\drop\\b.txt",
        ObjectKind::File,
        &format!("O:SYG:SYD:(A;;FA;;;{alice})"),
    );
    let t_alice = w.logon("alice", "pw-alice", 1);
    let t_bob = w.logon("bob", "pw-bob", 2);
    // alice holds DELETE on the file.
    let out = w.apply(Op::Object(ObjectOp::Delete {
        thread: t_alice,
        path: "C:\\drop\\b.txt".into(),
    }));
    let a = access(&out);
    assert_eq!(a.granted, AccessMask::DELETE);
    assert_eq!(a.checks.len(), 1);
    assert!(w.host.object(WS1, "C:\\drop\\b.txt").is_none());
    // bob is denied DELETE on the file but FILE_DELETE_CHILD on the folder wins.
    let out = w.apply(Op::Object(ObjectOp::Delete {
        thread: t_bob,
        path: "C:\\drop\\a.txt".into(),
    }));
    let a = access(&out);
    assert_eq!(a.checks.len(), 2);
    assert!(!a.checks[0].result.is_granted());
    assert_eq!(a.checks[1].object, "C:\\drop");
    assert!(a.checks[1].result.is_granted());
    assert!(w.host.object(WS1, "C:\\drop\\a.txt").is_none());
    // Missing now.
    let out = w.apply(Op::Object(ObjectOp::Delete {
        thread: t_bob,
        path: "C:\\drop\\a.txt".into(),
    }));
    assert_eq!(err(&out), Win32Error::FileNotFound);
    // alice cannot delete a file of C:\data she has no DELETE on.
    w.define(
        "C:\\data\\keep.txt",
        ObjectKind::File,
        "O:SYG:SYD:(A;;FR;;;WD)",
    );
    let out = w.apply(Op::Object(ObjectOp::Delete {
        thread: t_alice,
        path: "C:\\data\\keep.txt".into(),
    }));
    assert_eq!(err(&out), Win32Error::AccessDenied);
}

#[test]
fn a_directory_with_children_is_not_deleted() {
    let mut w = world();
    let filtered = w.logon("admin", "pw-admin", 1);
    let elevated = w.elevate(filtered);
    let out = w.create(elevated, "C:\\data\\x.txt", ObjectKind::File, None, READ);
    assert!(out.result.is_ok());
    let out = w.apply(Op::Object(ObjectOp::Delete {
        thread: elevated,
        path: "C:\\data".into(),
    }));
    assert_eq!(out.result.error(), Some(Win32Error::DirNotEmpty));
    assert!(w.host.object(WS1, "C:\\data").is_some());
}

// ---------------------------------------------------------------------------
// Restricted tokens ([MS-RESTR]).

/// CreateRestrictedToken makes a new token object of the source's type in
/// its logon session, for the same user; opens made with it need both the
/// normal pass and the pass over the restricting SIDs.
#[test]
fn a_restricted_token_keeps_the_user_and_needs_both_passes() {
    let mut w = world();
    let t = w.logon("alice", "pw-alice", 1);
    let primary = w.host.process_of(t).unwrap().primary_token;
    let source = w.host.token(primary).unwrap().clone();
    let out = w.apply(Op::CreateRestrictedToken {
        thread: t,
        token: primary,
        disable: vec![sids::builtin_users()],
        delete_privileges: vec![Privilege::Shutdown],
        restrict: vec![sids::everyone()],
    });
    assert!(out
        .rules
        .contains(&simos::rules::ids::CREATE_RESTRICTED_TOKEN));
    let restricted = out.result.token().unwrap();
    assert_ne!(restricted, primary, "a new token object");
    assert!(matches!(
        out.events.as_slice(),
        [Event::TokenCreated { token, .. }] if *token == restricted
    ));
    let object = w.host.token(restricted).unwrap();
    let token = &object.token;
    assert!(token.is_restricted());
    assert!(!source.token.is_restricted(), "the source is unchanged");
    assert_eq!(token.user.sid, w.alice);
    assert!(token.user_enabled());
    assert_eq!(token.token_type, TokenType::Primary);
    assert_eq!(object.logon, source.logon);
    assert_eq!(token.logon_session, source.token.logon_session);
    assert!(source.token.has_privilege(Privilege::Shutdown));
    assert!(!token.has_privilege(Privilege::Shutdown));
    assert!(token.privilege_enabled(Privilege::ChangeNotify));
    assert!(!token.is_member(&sids::builtin_users()));
    assert!(token.matches_for_deny(&sids::builtin_users()));

    let alice = w.alice.clone();
    w.define(
        "C:\\data\\alice-only.txt",
        ObjectKind::File,
        &format!("O:{alice}G:SYD:P(A;;FA;;;{alice})"),
    );
    w.define(
        "C:\\data\\alice-and-everyone.txt",
        ObjectKind::File,
        &format!("O:{alice}G:SYD:P(A;;FA;;;{alice})(A;;FR;;;WD)"),
    );
    let write = AccessMask::GENERIC_WRITE;
    // Her own token opens both files for reading and writing.
    for path in [
        "C:\\data\\alice-only.txt",
        "C:\\data\\alice-and-everyone.txt",
    ] {
        assert!(w.open(t, path, READ).result.is_ok(), "{path}");
        assert!(w.open(t, path, write).result.is_ok(), "{path}");
    }
    // Impersonating the restricted copy: the restricting SID (Everyone)
    // must be granted too, so only reading the second file is allowed.
    let imp = w.apply(Op::ImpersonateLoggedOnUser {
        thread: t,
        token: restricted,
    });
    assert!(imp.result.is_ok());
    assert!(w.host.effective_token(t).unwrap().is_restricted());
    assert_eq!(
        err(&w.open(t, "C:\\data\\alice-only.txt", READ)),
        Win32Error::AccessDenied
    );
    assert!(w
        .open(t, "C:\\data\\alice-and-everyone.txt", READ)
        .result
        .is_ok());
    assert_eq!(
        err(&w.open(t, "C:\\data\\alice-and-everyone.txt", write)),
        Win32Error::AccessDenied
    );
}

#[test]
fn create_restricted_token_needs_a_token_and_a_calling_thread() {
    let mut w = world();
    let t = w.logon("alice", "pw-alice", 1);
    let primary = w.host.process_of(t).unwrap().primary_token;
    let op = |thread, token| Op::CreateRestrictedToken {
        thread,
        token,
        disable: Vec::new(),
        delete_privileges: Vec::new(),
        restrict: vec![sids::everyone()],
    };
    assert_eq!(
        err(&w.apply(op(t, TokenId(999_999)))),
        Win32Error::InvalidHandle
    );
    assert_eq!(
        err(&w.apply(op(ThreadId(999_999), primary))),
        Win32Error::InvalidHandle
    );
}

// ---------------------------------------------------------------------------
// The environment.

#[test]
fn define_checks_the_machine_and_the_descriptor() {
    let mut w = world();
    let define = |w: &mut World, machine: &str, sddl: &str| {
        w.apply(Op::Object(ObjectOp::Define {
            machine: machine.into(),
            path: "C:\\x".into(),
            kind: ObjectKind::File,
            sddl: sddl.into(),
        }))
    };
    assert_eq!(
        err(&define(&mut w, "NOPE", "O:SYG:SYD:")),
        Win32Error::InvalidParameter
    );
    assert_eq!(
        err(&define(&mut w, WS1, "D:(A;;FA;;;WD)")),
        Win32Error::InvalidSecurityDescr
    );
    assert!(define(&mut w, WS1, "O:SYG:SYD:(A;;FA;;;BOGUS)")
        .result
        .error()
        .is_some());
    let out = define(&mut w, "ws1", "O:SYG:SYD:(A;;FA;;;LA)");
    assert!(out.result.is_ok());
    assert!(out.rules.contains(&ids::DEFINE));
    // LA resolves against WS1's account domain.
    let sd = &w.host.object(WS1, "c:\\X").unwrap().sd;
    let la: Sid = "S-1-5-21-10-20-30-500".parse().unwrap();
    assert_eq!(sd.dacl.acl().unwrap().aces[0].sid, la);
}

#[test]
fn the_same_operations_give_the_same_host() {
    let run = || {
        let mut w = world();
        let t = w.logon("alice", "pw-alice", 1);
        let _ = w.create(t, "C:\\data\\d", ObjectKind::Directory, None, READ);
        let _ = w.create(t, "C:\\data\\d\\f", ObjectKind::File, None, READ);
        let _ = w.open(t, "C:\\data\\d\\f", AccessMask::MAXIMUM_ALLOWED);
        w.host
    };
    assert_eq!(run(), run());
}

// ---------------------------------------------------------------- contents

/// `simos::content`: SetContent writes what a file holds without an access
/// check; the content goes with the object when it is deleted or replaced
/// (Define), stays when only its security changes; two files compare by
/// content.
#[test]
fn a_file_keeps_what_was_written_until_it_is_deleted_or_replaced() {
    use simos::{Comparison, Content};
    let mut w = world();
    let alice = w.logon("alice", "pw-alice", 1);
    let set = |w: &mut World, path: &str, content: Option<Content>| {
        w.apply(Op::SetContent {
            machine: WS1.into(),
            path: path.into(),
            content,
        })
    };
    // Nothing there: no content to write.
    let out = set(&mut w, "C:\\data\\a.txt", Some(Content::of_text("a")));
    assert_eq!(out.result.error(), Some(Win32Error::FileNotFound));
    for name in ["a.txt", "b.txt"] {
        let path = format!("C:\\data\\{name}");
        let out = w.create(
            alice,
            &path,
            ObjectKind::File,
            None,
            AccessMask::GENERIC_WRITE,
        );
        assert!(out.result.is_ok(), "{:?}", out.result);
        // A new file holds nothing.
        assert_eq!(w.host.file_content(WS1, &path), Some(Content::empty()));
    }
    assert_eq!(
        w.host
            .compare_files(WS1, "C:\\data\\a.txt", "C:\\DATA\\B.TXT"),
        Ok(Comparison::Same)
    );
    assert!(
        set(&mut w, "C:\\data\\a.txt", Some(Content::of_text("report")))
            .result
            .is_ok()
    );
    assert_eq!(
        w.host
            .compare_files(WS1, "C:\\data\\a.txt", "C:\\data\\b.txt"),
        Ok(Comparison::Different)
    );
    assert!(
        set(&mut w, "C:\\data\\b.txt", Some(Content::of_text("report")))
            .result
            .is_ok()
    );
    assert_eq!(
        w.host
            .compare_files(WS1, "C:\\data\\a.txt", "C:\\data\\b.txt"),
        Ok(Comparison::Same)
    );
    // A new descriptor keeps the content.
    let out = w.apply(Op::Object(ObjectOp::SetSecurity {
        thread: alice,
        path: "C:\\data\\a.txt".into(),
        sddl: "D:(A;;FA;;;WD)".into(),
    }));
    assert!(out.result.is_ok(), "{:?}", out.result);
    assert_eq!(
        w.host.file_content(WS1, "C:\\data\\a.txt"),
        Some(Content::of_text("report"))
    );
    // Deleting takes it away; a new file at the path starts empty.
    let out = w.apply(Op::Object(ObjectOp::Delete {
        thread: alice,
        path: "C:\\data\\a.txt".into(),
    }));
    assert!(out.result.is_ok(), "{:?}", out.result);
    assert_eq!(w.host.file_content(WS1, "C:\\data\\a.txt"), None);
    assert_eq!(
        w.host
            .compare_files(WS1, "C:\\data\\a.txt", "C:\\data\\b.txt"),
        Err(Win32Error::FileNotFound)
    );
    w.create(
        alice,
        "C:\\data\\a.txt",
        ObjectKind::File,
        None,
        AccessMask::GENERIC_WRITE,
    );
    assert_eq!(
        w.host.file_content(WS1, "C:\\data\\a.txt"),
        Some(Content::empty())
    );
    // Replacing the object by Define does too.
    w.define(
        "C:\\data\\b.txt",
        ObjectKind::File,
        "O:BAG:SYD:(A;;FA;;;WD)",
    );
    assert_eq!(
        w.host.file_content(WS1, "C:\\data\\b.txt"),
        Some(Content::empty())
    );
    // Emptying by hand.
    assert!(set(&mut w, "C:\\data\\a.txt", Some(Content::of_text("x")))
        .result
        .is_ok());
    assert!(set(&mut w, "C:\\data\\a.txt", None).result.is_ok());
    assert_eq!(
        w.host.file_content(WS1, "C:\\data\\a.txt"),
        Some(Content::empty())
    );
}
