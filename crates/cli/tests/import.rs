//! `bitsim import` end to end: published captures (from
//! `crates/import/tests/fixtures/`, each with its source) in, YAML out that
//! `bitsim access --token` and `bitsim sddl` accept; bad input exits 2
//! with `file:line:column` and what was expected.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn bitsim_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bitsim"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn bitsim(args: &[&str]) -> Run {
    bitsim_with_stdin(args, None)
}

fn fixture(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../import/tests/fixtures")
        .join(path)
        .display()
        .to_string()
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("import-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn an_imported_token_is_accepted_by_access_and_decides_by_its_groups() {
    for (capture, group) in [
        (
            "whoami/en-cascade-all.txt",
            "S-1-5-21-3332504370-1206983947-1165150453-1113",
        ),
        ("whoami/es-phantom-all.txt", "S-1-5-32-580"),
        ("whoami/es-bitup-iusr-all.txt", "S-1-5-32-545"),
        (
            "whoami/zh-bicker-all.txt",
            "S-1-5-21-298176814-2846777796-698167141-1101",
        ),
        ("whoami/zh-xr0923-medium-all.txt", "S-1-5-113"),
        ("whoami/zh-xr0923-high-all.txt", "S-1-5-32-580"),
        ("whoami/zh-tsclient-mssql-all.txt", "S-1-5-80-0"),
    ] {
        let run = bitsim(&["import", "whoami", &fixture(capture)]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let token = temp_file(&capture.replace('/', "-"), &run.stdout);
        let token = token.to_str().unwrap();
        // A group the capture lists is granted read...
        let sd = format!("O:BAG:SYD:(A;;0x1200a9;;;{group})");
        let granted = bitsim(&[
            "access",
            "--token",
            token,
            "--sd",
            &sd,
            "--desired",
            "0x120089",
        ]);
        assert_eq!(granted.code, 0, "{}", granted.stderr);
        assert!(
            granted.stdout.contains("\"access_status\": true"),
            "{}",
            granted.stdout
        );
        // ...and one it does not list is not.
        let denied = bitsim(&[
            "access",
            "--token",
            token,
            "--sd",
            "O:BAG:SYD:(A;;0x1200a9;;;BA)",
            "--desired",
            "0x120089",
        ]);
        assert_eq!(denied.code, 0, "{}", denied.stderr);
        assert!(
            denied.stdout.contains("\"access_status\": false"),
            "{}",
            denied.stdout
        );
    }
}

#[test]
fn imported_sddl_is_accepted_by_the_sddl_command() {
    for (kind, capture) in [
        ("icacls", "icacls/en-mmc.txt"),
        ("get-acl", "get-acl/en-k8s-ca-crt.txt"),
        ("icacls", "icacls/de-tasks.txt"),
        ("get-acl", "get-acl/fr-ilearned-psreflect.txt"),
        ("get-acl", "get-acl/en-tsclient-ifeo-key.txt"),
    ] {
        let run = bitsim(&["import", kind, &fixture(capture)]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let doc: serde_yaml::Value = serde_yaml::from_str(&run.stdout).unwrap();
        let sddl = doc["objects"][0]["sddl"].as_str().unwrap();
        let printed = bitsim(&["sddl", sddl]);
        assert_eq!(printed.code, 0, "{}", printed.stderr);
        assert_eq!(printed.stdout.trim(), sddl);
    }
}

fn access(token: &str, sd: &str, desired: &str) -> String {
    let run = bitsim(&[
        "access",
        "--token",
        token,
        "--sd",
        sd,
        "--desired",
        desired,
        "--format",
        "text",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

#[test]
fn a_deny_only_group_of_a_capture_grants_nothing_and_still_denies() {
    // In the Spanish IIS capture NT AUTHORITY\SERVICIO (S-1-5-6) is
    // "Grupo usado solo para denegar".
    let run = bitsim(&["import", "whoami", &fixture("whoami/es-bitup-iusr-all.txt")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let token = temp_file("iusr.yaml", &run.stdout);
    let token = token.to_str().unwrap();
    let allow_service = access(token, "O:BAG:SYD:(A;;0x1200a9;;;SU)", "0x120089");
    assert!(
        allow_service.starts_with("verdict: denied"),
        "{allow_service}"
    );
    assert!(
        allow_service.contains("AC-DENY-ONLY: allow ACE does not apply: S-1-5-6 is deny-only"),
        "{allow_service}"
    );
    let allow_users = access(token, "O:BAG:SYD:(A;;0x1200a9;;;BU)", "0x120089");
    assert!(allow_users.starts_with("verdict: granted"), "{allow_users}");
    let deny_service = access(
        token,
        "O:BAG:SYD:(D;;0x1;;;SU)(A;;0x1200a9;;;BU)",
        "0x120089",
    );
    assert!(
        deny_service.starts_with("verdict: denied"),
        "{deny_service}"
    );
    assert!(
        deny_service.contains("AC-ACE-DENY: deny ACE applies to S-1-5-6 (deny-only group)"),
        "{deny_service}"
    );
}

#[test]
fn a_token_and_an_acl_captured_in_different_languages_meet() {
    // The Spanish IIS account against the German Tasks folder, whose
    // Authenticated Users entry is (CI)(W,Rc): it may add a file there but
    // not list the folder.
    let run = bitsim(&["import", "whoami", &fixture("whoami/es-bitup-iusr-all.txt")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let token = temp_file("iusr-tasks.yaml", &run.stdout);
    let token = token.to_str().unwrap();
    let acl = bitsim(&["import", "icacls", &fixture("icacls/de-tasks.txt")]);
    assert_eq!(acl.code, 0, "{}", acl.stderr);
    let doc: serde_yaml::Value = serde_yaml::from_str(&acl.stdout).unwrap();
    let dacl = doc["objects"][0]["sddl"].as_str().unwrap();
    let sd = format!("O:SYG:SY{dacl}");
    let add_file = access(token, &sd, "0x2");
    assert!(add_file.starts_with("verdict: granted"), "{add_file}");
    assert!(add_file.contains("S-1-5-11"), "{add_file}");
    let list = access(token, &sd, "0x1");
    assert!(list.starts_with("verdict: denied"), "{list}");
}

#[test]
fn standard_input_and_a_names_file() {
    let capture = std::fs::read(fixture("icacls/en-crazy-keys.txt")).unwrap();
    let run = bitsim_with_stdin(
        &[
            "import",
            "icacls",
            "--names",
            &fixture("names/di.yaml"),
            "-",
        ],
        Some(&capture),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("S-1-5-21-1111111111-2222222222-3333333333-1105"),
        "{}",
        run.stdout
    );

    let without = bitsim_with_stdin(&["import", "icacls", "-"], Some(&capture));
    assert_eq!(without.code, 2);
    assert!(
        without
            .stderr
            .contains("<stdin>:3:7: cannot resolve the account name `DI\\thogarth`"),
        "{}",
        without.stderr
    );
}

#[test]
fn a_utf16_capture_as_powershell_redirects_it() {
    let text = std::fs::read_to_string(fixture("whoami/es-phantom-all.txt")).unwrap();
    let mut bytes = vec![0xff, 0xfe];
    for unit in text.replace('\n', "\r\n").encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let from_utf16 = bitsim_with_stdin(&["import", "whoami", "-"], Some(&bytes));
    let from_utf8 = bitsim(&["import", "whoami", &fixture("whoami/es-phantom-all.txt")]);
    assert_eq!(from_utf16.code, 0, "{}", from_utf16.stderr);
    assert_eq!(from_utf16.stdout, from_utf8.stdout);
}

#[test]
fn bad_input_exits_2_with_file_line_column_and_what_was_expected() {
    let file = fixture("whoami/fr-tssr-groups.txt");
    let run = bitsim(&["import", "whoami", &file]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr
            .contains(&format!("{file}:1:1: the capture has no user section")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("expected the output of `whoami /all`"),
        "{}",
        run.stderr
    );

    let short = fixture("bitsadmin/en-learn-list-short.txt");
    let run = bitsim(&["import", "bitsadmin", &short]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!(
            "{short}:1:1: a job list without the verbose fields"
        )),
        "{}",
        run.stderr
    );

    let broken = temp_file(
        "broken-whoami.txt",
        &std::fs::read_to_string(fixture("whoami/en-cascade-all.txt"))
            .unwrap()
            .replacen("Mandatory group", "Verbindliche Gruppe", 1),
    );
    let run = bitsim(&["import", "whoami", broken.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains(":14:109: unknown group attribute `Verbindliche Gruppe`"),
        "{}",
        run.stderr
    );

    let json = bitsim(&[
        "--error-format",
        "json",
        "import",
        "get-acl",
        &fixture("icacls/en-mmc.txt"),
    ]);
    assert_eq!(json.code, 2);
    let err: serde_json::Value = serde_json::from_str(&json.stderr).unwrap();
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no `Path` and `Sddl` lines"),
        "{}",
        json.stderr
    );

    let missing = bitsim(&["import", "icacls", "/nonexistent/capture.txt"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("cannot read `/nonexistent/capture.txt`"),
        "{}",
        missing.stderr
    );

    let bad_kind = bitsim(&["import", "netstat", &file]);
    assert_eq!(bad_kind.code, 2);
}

#[test]
fn control_characters_in_the_input_are_escaped_in_messages() {
    let evil = temp_file("evil.txt", "C:\\x Evil\u{1b}[2J\u{7}Name:(F)\n");
    let run = bitsim(&["import", "icacls", evil.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
    assert!(run.stderr.contains("\\u{1b}[2J\\u{7}"), "{}", run.stderr);
}

#[test]
fn an_input_over_the_limit_is_refused() {
    let big = vec![b'a'; import::MAX_INPUT_BYTES + 1];
    let run = bitsim_with_stdin(&["import", "bitsadmin", "-"], Some(&big));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("longer than"), "{}", run.stderr);
}

#[test]
fn jobs_from_bitsadmin_carry_owner_sids() {
    let run = bitsim(&[
        "import",
        "bitsadmin",
        "--names",
        &fixture("names/learn.yaml"),
        &fixture("bitsadmin/en-learn-verbose.txt"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: serde_yaml::Value = serde_yaml::from_str(&run.stdout).unwrap();
    assert_eq!(
        doc["jobs"][0]["owner"].as_str(),
        Some("S-1-5-21-1111111111-2222222222-3333333333-1001")
    );
    assert_eq!(doc["jobs"][0]["state"].as_str(), Some("transient_error"));
}

#[test]
fn docs_walk_from_capture_to_decision() {
    // The steps of docs/import.md, "From a capture to a decision".
    let token = bitsim(&["import", "whoami", &fixture("whoami/en-cascade-all.txt")]);
    assert_eq!(token.code, 0, "{}", token.stderr);
    let token = temp_file("arksvc.yaml", &token.stdout);
    let acl = bitsim(&["import", "get-acl", &fixture("get-acl/en-k8s-ca-crt.txt")]);
    assert_eq!(acl.code, 0, "{}", acl.stderr);
    let doc: serde_yaml::Value = serde_yaml::from_str(&acl.stdout).unwrap();
    let sd = doc["objects"][0]["sddl"].as_str().unwrap();
    let docs = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/import.md"),
    )
    .unwrap();
    assert!(
        docs.contains(&format!("SD='{sd}'")),
        "docs/import.md shows another descriptor"
    );
    let read = bitsim(&[
        "access",
        "--token",
        token.to_str().unwrap(),
        "--sd",
        sd,
        "--desired",
        "0x120089",
        "--format",
        "text",
    ]);
    assert!(
        read.stdout.starts_with("verdict: granted"),
        "{}",
        read.stdout
    );
    assert!(
        read.stdout
            .contains("ace #2 (A;ID;0x1200a9;;;BU); granted 0x00120089"),
        "{}",
        read.stdout
    );
    let write = bitsim(&[
        "access",
        "--token",
        token.to_str().unwrap(),
        "--sd",
        sd,
        "--desired",
        "0x2",
        "--format",
        "text",
    ]);
    assert!(
        write.stdout.starts_with("verdict: denied"),
        "{}",
        write.stdout
    );
}

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

#[test]
fn captures_are_what_the_importer_prints() {
    for (kind, fixture_path, capture) in [
        (
            "whoami",
            "whoami/en-cascade-all.txt",
            "captures/cascade-arksvc.token.yaml",
        ),
        (
            "get-acl",
            "get-acl/en-k8s-ca-crt.txt",
            "captures/k8s-ca-crt.objects.yaml",
        ),
    ] {
        let out = bitsim(&["import", kind, &fixture(fixture_path)]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let kept = std::fs::read_to_string(repo(capture)).unwrap();
        assert_eq!(
            out.stdout, kept,
            "{capture} is not what `bitsim import {kind}` prints"
        );
    }
}

#[test]
fn a_scenario_imports_a_captured_token_and_acl_and_passes() {
    // The last step of docs/import.md: the library scenario over the
    // captures passes `bitsim check`, and breaking one expectation fails it.
    let scenario = repo("scenarios/import/captured-account-reads-captured-file.yaml");
    let ok = bitsim(&["check", scenario.to_str().unwrap()]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.contains("passed"), "{}", ok.stdout);

    // The same scenario next to copies of the captures, with the ACL
    // changed so that BUILTIN\Users may write: the expected denial fails.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("import-scenario");
    std::fs::create_dir_all(dir.join("scenarios/import")).unwrap();
    std::fs::create_dir_all(dir.join("captures")).unwrap();
    let text = std::fs::read_to_string(&scenario).unwrap();
    std::fs::write(dir.join("scenarios/import/s.yaml"), &text).unwrap();
    std::fs::copy(
        repo("captures/cascade-arksvc.token.yaml"),
        dir.join("captures/cascade-arksvc.token.yaml"),
    )
    .unwrap();
    let acl = std::fs::read_to_string(repo("captures/k8s-ca-crt.objects.yaml"))
        .unwrap()
        .replace("(A;ID;0x1200a9;;;BU)", "(A;ID;FA;;;BU)");
    std::fs::write(dir.join("captures/k8s-ca-crt.objects.yaml"), acl).unwrap();
    let bad = bitsim(&[
        "check",
        dir.join("scenarios/import/s.yaml").to_str().unwrap(),
    ]);
    assert_eq!(bad.code, 1, "{}{}", bad.stdout, bad.stderr);
}

#[test]
fn a_missing_or_malformed_imported_file_exits_2_naming_it() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("import-bad");
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = |objects: &str| {
        format!(
            "name: t\nabout: x\nhost:\n  import:\n    objects: [{objects}]\nsteps:\n  - logon: {{ user: alice }}\n"
        )
    };
    std::fs::write(dir.join("missing.yaml"), scenario("nowhere.yaml")).unwrap();
    let out = bitsim(&["run", dir.join("missing.yaml").to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("nowhere.yaml"), "{}", out.stderr);

    std::fs::write(
        dir.join("bad.objects"),
        "objects:\n  - path: 'C:\\x'\n    sdl: 'D:'\n",
    )
    .unwrap();
    std::fs::write(dir.join("malformed.yaml"), scenario("bad.objects")).unwrap();
    let out = bitsim(&["run", dir.join("malformed.yaml").to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("bad.objects:3:5") && out.stderr.contains("invalid objects file"),
        "{}",
        out.stderr
    );
    // An imported token name is bound before the first step; an unknown
    // one is still an error at load.
    std::fs::write(
        dir.join("unbound.yaml"),
        "name: t\nabout: x\nsteps:\n  - expect_token: { token: arksvc, user: alice }\n",
    )
    .unwrap();
    let out = bitsim(&["run", dir.join("unbound.yaml").to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}
