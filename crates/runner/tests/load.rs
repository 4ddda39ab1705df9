//! The loader: what it accepts, and for each kind of bad input the
//! position and the message it reports.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use runner::load;
use scenario::LoadError;

fn err(text: &str) -> LoadError {
    errs(text).into_iter().next().expect("at least one error")
}

fn errs(text: &str) -> Vec<LoadError> {
    load("t.yaml", text)
        .expect_err("the text must be rejected")
        .errors
}

const HEAD: &str = "name: t\nabout: a test\n";

#[test]
fn a_minimal_scenario_loads_and_runs_under_win11() {
    let text = format!("{HEAD}steps:\n  - logon: {{ user: alice }}\n");
    let s = load("t.yaml", &text).unwrap();
    let runs = runner::run(&s, "t.yaml", &text, None).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].profile, "win11");
    assert!(runs[0].passed());
}

#[test]
fn an_unknown_profile_points_at_its_name() {
    let e = err(&format!("{HEAD}profiles: [win7, win8]\nsteps: []\n"));
    assert_eq!((e.position.line, e.position.column), (3, 18));
    assert_eq!(e.message, "profiles[1]: unknown profile `win8`");
    assert!(e.expected.unwrap().contains("win10-1607"));
    assert_eq!(e.hint.as_deref(), Some("did you mean `win7`?"));
}

#[test]
fn a_name_used_as_the_wrong_kind_is_refused() {
    let e = err(&format!(
        "{HEAD}steps:\n  - logon: {{ user: alice }}\n  - Resume: {{ thread: alice, job: alice }}\n"
    ));
    assert_eq!(e.position.line, 5);
    assert_eq!(e.message, "`alice` is a thread, not an interface pointer");
}

#[test]
fn a_per_profile_expectation_must_name_a_profile_that_runs() {
    let e = err(&format!(
        "{HEAD}profiles: [win7]\nsteps:\n  - logon: {{ user: alice }}\n  - CreateJob: {{ thread: alice, as: j, expect: {{ vista: E_ACCESSDENIED }} }}\n"
    ));
    assert_eq!(e.position.line, 6);
    assert!(e
        .message
        .contains("`vista` is not a profile this scenario runs under"));
}

#[test]
fn missing_keys_and_unknown_steps_are_located() {
    let e = err(&format!("{HEAD}steps:\n  - logon: {{ session: 1 }}\n"));
    assert_eq!(e.position.line, 4);
    assert!(e.message.contains("missing field `user`"), "{}", e.message);
    let e = err(&format!("{HEAD}steps:\n  - Logon: {{ user: alice }}\n"));
    assert_eq!(e.position.line, 4);
    assert!(
        e.message.contains("unknown variant `Logon`"),
        "{}",
        e.message
    );
}

#[test]
fn limits_are_enforced_with_a_clear_message() {
    let mut text = format!("{HEAD}steps:\n");
    for _ in 0..=scenario::load::MAX_STEPS {
        text.push_str("  - advance: 1\n");
    }
    let e = err(&text);
    assert!(e.message.contains("the limit is 2000"), "{}", e.message);
    assert_eq!(e.position.line, 4 + scenario::load::MAX_STEPS);
    let big = "#".repeat(scenario::load::MAX_BYTES + 1);
    assert!(err(&big).message.contains("scenarios are limited to"));
}

#[test]
fn a_bad_host_section_is_bad_input_before_any_step_with_its_word() {
    let text = format!(
        "{HEAD}host:\n  machines:\n    - {{ name: WS02, grant: {{ SeMagicPrivilege: [alice] }} }}\nsteps: []\n"
    );
    let e = err(&text);
    assert_eq!((e.position.line, e.position.column), (5, 30));
    assert_eq!(
        e.message,
        "`SeMagicPrivilege` is not a privilege or logon right"
    );
    // A scenario loaded by the format alone still fails when it runs.
    let s = scenario::load("t.yaml", &text).unwrap();
    let e = runner::run(&s, "t.yaml", &text, None).unwrap_err();
    assert_eq!(e.errors[0].position.line, 5);
}

#[test]
fn a_step_that_cannot_be_carried_out_fails_the_run_without_panicking() {
    // bob never logged on: `bob` names nothing at run time because the
    // logon failed (wrong password expected and given).
    let text = format!(
        "{HEAD}steps:\n  - logon: {{ user: bob, password: nope, expect: ERROR_LOGON_FAILURE }}\n  - CreateJob: {{ thread: bob, as: j }}\n"
    );
    let s = load("t.yaml", &text).unwrap();
    let runs = runner::run(&s, "t.yaml", &text, None).unwrap();
    let failure = runs[0].failure().unwrap();
    assert_eq!(failure.number, 2);
    assert!(failure
        .error
        .as_ref()
        .unwrap()
        .contains("`bob` names no thread"));
}

#[test]
fn host_groups_and_local_groups_reach_the_logon_token() {
    let text = format!(
        "{HEAD}host:\n  groups: [Payroll]\n  users:\n    - {{ name: dave, groups: [Payroll] }}\n  machines:\n    - {{ name: WS01, local_groups: {{ Auditors: [dave] }} }}\nsteps:\n  - logon: {{ user: dave }}\n  - expect_thread: {{ thread: dave, user: dave, enabled: [Payroll, 'WS01\\Auditors', Domain Users], not_enabled: [Administrators] }}\n"
    );
    let s = load("t.yaml", &text).unwrap();
    let runs = runner::run(&s, "t.yaml", &text, None).unwrap();
    let text = runner::report::text(&runs[0], false);
    assert!(runs[0].passed(), "{text}");
    assert_eq!(runs[0].steps[1].checks.len(), 5);
}

#[test]
fn a_misspelt_value_is_bad_input_before_anything_runs() {
    let e = err(&format!(
        "{HEAD}steps:\n  - logon: {{ user: alice }}\n  - LogonUser: {{ thread: alice, user: bob, type: netwrk, as: t }}\n"
    ));
    assert_eq!((e.position.line, e.position.column), (5, 50));
    assert!(
        e.message
            .starts_with("steps[1].LogonUser: unknown logon type `netwrk`"),
        "{}",
        e.message
    );
    let e = err(&format!(
        "{HEAD}steps:\n  - logon: {{ user: alice }}\n  - CreateJob: {{ thread: alice, as: j }}\n  - expect_access: {{ job: j, resource: remote, acting: helpr, happened: false }}\n"
    ));
    assert_eq!(e.position.line, 6);
    assert!(
        e.message
            .starts_with("steps[2].expect_access: unknown identity `helpr`"),
        "{}",
        e.message
    );
}

#[test]
fn a_bare_null_returns_checks_for_null_and_a_missing_one_checks_nothing() {
    let text = format!(
        "{HEAD}steps:\n  - logon: {{ user: alice }}\n  - CreateJob: {{ thread: alice, name: named, as: job }}\n  - GetDisplayName: {{ thread: alice, job: job, returns: null }}\n  - GetDisplayName: {{ thread: alice, job: job }}\n  - GetDisplayName: {{ thread: alice, job: job, returns: 'null' }}\n"
    );
    let s = load("t.yaml", &text).unwrap();
    let returns = |i: usize| match &s.steps[i] {
        scenario::format::Step::GetDisplayName(c) => c.returns.clone(),
        other => panic!("step {i} is {other:?}"),
    };
    assert_eq!(returns(2), Some(scenario::format::Scalar("null".into())));
    assert_eq!(returns(3), None);
    assert_eq!(returns(4), returns(2));
    // The name is not NULL, so the bare null is a failing check.
    let runs = runner::run(&s, "t.yaml", &text, None).unwrap();
    let failure = runs[0].failure().unwrap();
    assert_eq!(failure.number, 3);
    let check = failure.checks.iter().find(|c| c.what == "returns").unwrap();
    assert_eq!(
        (check.expected.as_str(), check.actual.as_str()),
        ("null", "named")
    );
}

#[test]
fn create_restricted_token_binds_a_token_and_checks_privilege_names() {
    let text = format!(
        "{HEAD}steps:\n  - logon: {{ user: alice }}\n  - ImpersonateSelf: {{ thread: alice, level: impersonation }}\n  - OpenThreadToken: {{ thread: alice, as: own }}\n  - CreateRestrictedToken: {{ thread: alice, token: own, disable: [Users], restrict: [alice, Everyone], delete_privileges: [Shutdown], as: restricted }}\n  - expect_token: {{ token: restricted, user: alice, not_enabled: [Users] }}\n"
    );
    let s = load("t.yaml", &text).unwrap();
    let runs = runner::run(&s, "t.yaml", &text, None).unwrap();
    assert!(runs[0].passed(), "{:?}", runs[0].failure());

    let e = err(&format!(
        "{HEAD}steps:\n  - logon: {{ user: alice }}\n  - CreateRestrictedToken: {{ thread: alice, token: nothing, as: r }}\n"
    ));
    assert_eq!(e.position.line, 5);
    assert!(
        e.message.contains("no token is named `nothing`"),
        "{}",
        e.message
    );

    let e = err(&format!(
        "{HEAD}steps:\n  - logon: {{ user: alice }}\n  - ImpersonateSelf: {{ thread: alice, level: impersonation }}\n  - OpenThreadToken: {{ thread: alice, as: own }}\n  - CreateRestrictedToken: {{ thread: alice, token: own, delete_privileges: [SeNothing] }}\n"
    ));
    assert_eq!(e.position.line, 7);
    assert!(
        e.message.contains("unknown privilege `SeNothing`"),
        "{}",
        e.message
    );
}

#[test]
fn every_error_of_a_file_is_reported_in_one_pass() {
    let errors = errs(&format!(
        "{HEAD}steps:\n  - logon: {{ user: alice }}\n  - CreateJob: {{ thread: alice, as: job }}\n  - expect: {{ job: job, owner: alcie }}\n  - Resume: {{ thread: alice, job: job, expect: E_ACCESDENIED }}\n  - QueryInterface: {{ thread: alice, job: job, interface: IBitsTokenOptions, as: opts }}\n  - SetHelperTokenFlags: {{ thread: alice, job: opts, value: BG_TOKEN_NETWRK }}\n  - Suspend: {{ thread: alice, job: jbo }}\n"
    ));
    let found: Vec<(usize, usize, &str, Option<&str>)> = errors
        .iter()
        .map(|e| {
            (
                e.position.line,
                e.position.column,
                e.message.as_str(),
                e.hint.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (
                6,
                32,
                "no account or group is named `alcie`",
                Some("did you mean `alice`?")
            ),
            (
                7,
                48,
                "unknown result `E_ACCESDENIED`",
                Some("did you mean `E_ACCESSDENIED`?")
            ),
            (
                9,
                61,
                "`BG_TOKEN_NETWRK` is not a number or a known constant",
                Some("did you mean `BG_TOKEN_NETWORK`?")
            ),
            (
                10,
                36,
                "no interface pointer is named `jbo` at this step (names are bound with `as` by an earlier step)",
                Some("did you mean `job`?")
            ),
        ]
    );
}

#[test]
fn a_step_that_cannot_be_read_does_not_hide_the_others_or_its_names() {
    // The second step is malformed, but its `as` name still counts, so the
    // third step's use of it is not reported; the fourth step's typo is.
    let errors = errs(&format!(
        "{HEAD}steps:\n  - logon: {{ user: alice }}\n  - CreateJob: {{ thread: alice, as: job, typ: upload }}\n  - Resume: {{ thread: alice, job: job }}\n  - CoInitializeSecurity: {{ thread: alice, level: impersonaton }}\n"
    ));
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].position.line, 5);
    assert!(errors[0].message.contains("unknown field `typ`"));
    assert_eq!(errors[0].hint.as_deref(), Some("did you mean `type`?"));
    assert_eq!(errors[1].position.line, 7);
    assert!(
        errors[1]
            .message
            .contains("unknown impersonation level `impersonaton`"),
        "{}",
        errors[1].message
    );
    assert_eq!(
        errors[1].hint.as_deref(),
        Some("did you mean `impersonation`?")
    );
}

#[test]
fn expectations_take_alternatives_and_negation() {
    let text = format!(
        "{HEAD}steps:\n  - logon: {{ user: alice }}\n  - CreateJob: {{ thread: alice, as: job }}\n  - AddFile: {{ thread: alice, job: job, remote: 'http://web/file.bin', local: 'C:\\Users\\alice\\f.bin' }}\n  - Resume: {{ thread: alice, job: job, expect: {{ one_of: [S_OK, S_FALSE] }} }}\n  - Complete: {{ thread: alice, job: job, expect: {{ not: S_OK }} }}\n  - expect: {{ job: job, state: {{ not: [ERROR, CANCELLED] }}, error: {{ one_of: [none, BG_E_TOKEN_REQUIRED] }} }}\n"
    );
    let s = load("t.yaml", &text).unwrap();
    let runs = runner::run(&s, "t.yaml", &text, None).unwrap();
    assert!(
        runs[0].passed(),
        "{}",
        runner::report::text(&runs[0], false)
    );
    let checks: Vec<(&str, &str)> = runs[0]
        .steps
        .iter()
        .flat_map(|s| &s.checks)
        .map(|c| (c.what.as_str(), c.expected.as_str()))
        .collect();
    assert!(checks.contains(&("result", "one of S_OK, S_FALSE")));
    assert!(checks.contains(&("result", "not S_OK")));
    assert!(checks.contains(&("state", "not ERROR, CANCELLED")));
    // The same negation fails when the value is the one excluded.
    let text = text.replace("{ not: [ERROR, CANCELLED] }", "{ not: ACKNOWLEDGED }");
    let s = load("t.yaml", &text).unwrap();
    let runs = runner::run(&s, "t.yaml", &text, None).unwrap();
    assert_eq!(runs[0].failure().map(|f| f.number), Some(6));
}

#[test]
fn anchors_and_deep_nesting_are_refused_before_parsing() {
    let e = err(&format!(
        "{HEAD}host:\n  content: &c {{ 'http://web/a': 1 }}\nsteps: []\n"
    ));
    assert_eq!(e.position.line, 4);
    assert!(e.message.contains("anchors and aliases"), "{}", e.message);
    let deep = format!("{HEAD}steps: {}{}\n", "[".repeat(40), "]".repeat(40));
    let e = err(&deep);
    assert!(e.message.contains("nested more than"), "{}", e.message);
    // Ampersands and stars inside values are text, not anchors.
    let text = format!("{HEAD}about2: x\n");
    assert!(err(&text).message.contains("unknown field `about2`"));
    let text = format!(
        "{HEAD}host:\n  content: {{ 'http://web/a?x=1&y=2': 5 }}\nsteps:\n  - publish: {{ name: 'http://web/*', bytes: 1 }}\n"
    );
    load("t.yaml", &text).unwrap();
}

#[test]
fn token_expectations_fail_when_the_token_differs() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../scenarios/impersonation/uac-split-token-attributes.yaml"),
    )
    .unwrap();
    let run = |text: &str| {
        let s = load("t.yaml", text).unwrap();
        runner::run(&s, "t.yaml", text, None).unwrap().remove(0)
    };
    assert!(run(&text).passed());
    for (from, to, what) in [
        ("integrity: medium", "integrity: high", "integrity"),
        ("elevation: limited", "elevation: full", "elevation"),
        (
            "disabled: [SeShutdownPrivilege]",
            "disabled: [SeChangeNotifyPrivilege]",
            "privilege SeChangeNotifyPrivilege",
        ),
        (
            "{ group: Administrators, deny_only: true, enabled: false }",
            "{ group: Administrators, deny_only: false }",
            "group Administrators deny_only",
        ),
        ("session: 1\n", "session: 2\n", "session"),
    ] {
        assert!(text.contains(from), "{from}");
        let changed = text.replacen(from, to, 1);
        let r = run(&changed);
        let failed: Vec<&str> = r
            .steps
            .iter()
            .flat_map(|s| &s.checks)
            .filter(|c| !c.ok)
            .map(|c| c.what.as_str())
            .collect();
        assert_eq!(failed, vec![what], "{from} -> {to}");
    }
}

#[test]
fn service_identities_are_named_in_checks_as_start_service_names_them() {
    let text = format!(
        "{HEAD}steps:\n  - start_service: {{ account: NetworkService, as: svc }}\n  - expect_thread: {{ thread: svc, user: NetworkService, impersonating: false }}\n  - expect_thread: {{ thread: svc, user: NETWORK SERVICE }}\n  - expect_thread: {{ thread: svc, user: LocalSystem }}\n"
    );
    let s = load("t.yaml", &text).unwrap();
    let run = runner::run(&s, "t.yaml", &text, None).unwrap().remove(0);
    assert_eq!(run.failure().map(|f| f.number), Some(4));
}

#[test]
fn an_advance_past_the_service_budget_is_bad_input_at_its_step() {
    let text = format!(
        "{HEAD}host:\n  content:\n    'http://web/a.bin': 18446744073709551615\n    'http://web/b.bin': 18446744073709551615\nsteps:\n  - logon: {{ user: alice }}\n  - CreateJob: {{ thread: alice, as: a }}\n  - AddFile: {{ thread: alice, job: a, remote: 'http://web/a.bin', local: 'C:\\Public\\a.bin' }}\n  - Resume: {{ thread: alice, job: a }}\n  - CreateJob: {{ thread: alice, as: b }}\n  - AddFile: {{ thread: alice, job: b, remote: 'http://web/b.bin', local: 'C:\\Public\\b.bin' }}\n  - Resume: {{ thread: alice, job: b }}\n  - advance: 18446744073709551615\n"
    );
    let s = load("t.yaml", &text).unwrap();
    let e = runner::run(&s, "t.yaml", &text, None).unwrap_err();
    assert_eq!(e.errors[0].position.line, 15, "{e}");
    assert!(e.errors[0].message.contains("simulation's budget"), "{e}");
    // One job, however long the advance, finishes well inside it: it
    // transfers, and 90 days later the inactivity timeout cancels it, as
    // nobody completed it.
    let one = text.replace("  - advance: 18446744073709551615\n", "").replace(
        "'http://web/b.bin': 18446744073709551615",
        "'http://web/b.bin': 5000",
    ) + "  - Cancel: { thread: alice, job: a }\n  - advance: 18446744073709551615\n  - expect: { job: b, state: CANCELLED, bytes_transferred: 5000 }\n";
    let s = load("t.yaml", &one).unwrap();
    let runs = runner::run(&s, "t.yaml", &one, None).unwrap();
    assert!(
        runs[0].passed(),
        "{}",
        runner::report::text(&runs[0], false)
    );
}

#[test]
fn a_logon_expected_to_succeed_must_name_an_account_and_one_expected_to_fail_may_not() {
    let e = err(&format!("{HEAD}steps:\n  - logon: {{ user: alicee }}\n"));
    assert_eq!((e.position.line, e.position.column), (4, 20), "{e}");
    assert_eq!(
        e.message,
        "no account is named `alicee`, and the logon is expected to succeed"
    );
    assert_eq!(e.hint.as_deref(), Some("did you mean `alice`?"), "{e}");
    let e = err(&format!(
        "{HEAD}steps:\n  - start_service: {{ account: NetworkService, as: svc }}\n  - LogonUser: {{ thread: svc, user: nosuch, type: network, as: t }}\n"
    ));
    assert!(e.message.starts_with("no account is named `nosuch`"), "{e}");
    // Windows answers a logon of an unknown user with ERROR_LOGON_FAILURE;
    // a scenario may check that.
    runner::load(
        "t.yaml",
        &format!(
            "{HEAD}steps:\n  - start_service: {{ account: NetworkService, as: svc }}\n  - LogonUser: {{ thread: svc, user: nosuch, type: network, expect: ERROR_LOGON_FAILURE }}\n"
        ),
    )
    .unwrap();
}

#[test]
fn an_explore_section_is_optional_and_read_with_every_field() {
    let text = format!(
        "{HEAD}steps:\n  - logon: {{ user: bob }}\n  - LogonUser: {{ thread: bob, user: admin, type: batch, as: admin_token }}\n\
explore:\n  actors: [bob]\n  impersonate: [admin_token]\n  job_methods: [Resume, Suspend, Cancel, Complete]\n  token_options: true\n  get_job: true\n  set_helper_token: true\n  helper_token_flags: [0, BG_TOKEN_NETWORK, 'BG_TOKEN_LOCAL_FILE|BG_TOKEN_NETWORK']\n  clear_helper_token: true\n  logoff: [bob]\n  end_sessions: [1]\n  network: true\n  advance: 2\n  logon_users: [{{ user: 'CORP\\alice', type: network }}]\n  impersonate_logons: true\n  servers: [fs]\n"
    );
    let s = load("t.yaml", &text).unwrap();
    let e = s.explore.clone().expect("the section is read");
    assert_eq!(e.actors, ["bob"]);
    assert_eq!(e.impersonate, ["admin_token"]);
    assert_eq!(e.job_methods.len(), 4);
    assert!(e.token_options && e.get_job && e.set_helper_token && e.clear_helper_token);
    assert_eq!(e.helper_token_flags.len(), 3);
    assert_eq!(
        e.helper_token_flags[2].0,
        "BG_TOKEN_LOCAL_FILE|BG_TOKEN_NETWORK"
    );
    assert_eq!(e.logoff, ["bob"]);
    assert_eq!(e.end_sessions, [1]);
    assert!(e.network && e.impersonate_logons);
    assert_eq!(e.advance, Some(2));
    assert_eq!(e.logon_users[0].user, "CORP\\alice");
    assert_eq!(e.logon_users[0].logon_type.text, "network");
    assert_eq!(e.servers, ["fs"]);
    // The steps still run as without the section.
    let runs = runner::run(&s, "t.yaml", &text, None).unwrap();
    assert!(runs[0].passed());
    let plain = load("t.yaml", &format!("{HEAD}steps: []\n")).unwrap();
    assert!(plain.explore.is_none());
}

#[test]
fn an_explore_section_naming_an_unbound_thread_or_token_is_located() {
    let e = err(&format!(
        "{HEAD}steps:\n  - logon: {{ user: bob }}\nexplore:\n  actors: [bob]\n  logoff: [bobb]\n"
    ));
    assert_eq!((e.position.line, e.position.column), (7, 12));
    assert_eq!(
        e.message,
        "explore.logoff: no step binds a thread named `bobb`"
    );
    assert_eq!(e.hint.as_deref(), Some("did you mean `bob`?"));
    let e = err(&format!(
        "{HEAD}steps:\n  - logon: {{ user: bob }}\nexplore:\n  impersonate: [bob]\n"
    ));
    assert_eq!(e.position.line, 6);
    assert_eq!(
        e.message,
        "explore.impersonate: `bob` is a thread, not a token"
    );
    let e = err(&format!(
        "{HEAD}steps: []\nexplore:\n  helper_token_flags: [BG_TOKEN_NETWRK]\n"
    ));
    assert_eq!(e.position.line, 5);
    assert!(e.message.contains("`BG_TOKEN_NETWRK` is not a number"));
    let e = err(&format!(
        "{HEAD}steps: []\nexplore:\n  job_methods: [Pause]\n"
    ));
    assert_eq!(e.position.line, 5);
    assert!(e.message.contains("Pause"), "{}", e.message);
}
