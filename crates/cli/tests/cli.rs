//! End-to-end tests of the `bitsim` binary: each command's output, exit
//! codes (0 result, 2 bad input), the JSON shapes other tools read, and
//! the error reports (human and `--error-format json`). Token files live in
//! `tests/data/`; the token-file examples in `docs/token-file.md` are
//! checked to parse as well.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::path::PathBuf;
use std::process::{Command, Output};

use bitsim_cli::command::sid::{run as run_sid, SidArgs};
use bitsim_cli::ExitCode;
use serde_json::Value;

/// A descriptor that lets Everyone read (FILE_GENERIC_READ|FILE_EXECUTE)
/// and Administrators do everything.
const SD: &str = "O:BAG:SYD:(A;;FA;;;BA)(A;;0x1200a9;;;WD)";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    fn error_json(&self) -> Value {
        serde_json::from_str(&self.stderr)
            .unwrap_or_else(|e| panic!("stderr is not JSON ({e}):\n{}", self.stderr))
    }
}

fn bitsim(args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_bitsim"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    Run {
        code: status.code().expect("exited, not killed"),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

fn data(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
        .display()
        .to_string()
}

fn access(sd: &str, token: &str, desired: &str, extra: &[&str]) -> Run {
    let token = data(token);
    let mut args = vec![
        "access",
        "--sd",
        sd,
        "--token",
        &token,
        "--desired",
        desired,
    ];
    args.extend_from_slice(extra);
    bitsim(&args)
}

fn assert_bad_input(run: &Run, needles: &[&str]) {
    assert_eq!(run.code, 2, "expected exit 2; stderr:\n{}", run.stderr);
    assert!(run.stdout.is_empty(), "nothing on stdout: {}", run.stdout);
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            run.stderr
        );
    }
    assert!(
        !run.stderr.contains('\u{1b}'),
        "no colour codes:\n{}",
        run.stderr
    );
}

// ---------------------------------------------------------------- sid

#[test]
fn sid_prints_canonical_form_and_name() {
    let run = bitsim(&["sid", "s-1-5-32-544"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "S-1-5-32-544\nBUILTIN\\Administrators\n");
}

#[test]
fn sid_alias_resolves() {
    let run = bitsim(&["sid", "SY"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "S-1-5-18\nNT AUTHORITY\\SYSTEM\n");
}

#[test]
fn sid_without_a_name_prints_one_line() {
    let run = bitsim(&["sid", "S-1-5-21-1-2-3-1001"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "S-1-5-21-1-2-3-1001\n");
}

#[test]
fn sid_json() {
    let named = bitsim(&["sid", "--json", "WD"]).json();
    assert_eq!(
        named,
        serde_json::json!({"sid": "S-1-1-0", "name": "Everyone"})
    );
    let unnamed = bitsim(&["sid", "S-1-5-21-1-2-3-1001", "--json"]).json();
    assert_eq!(
        unnamed,
        serde_json::json!({"sid": "S-1-5-21-1-2-3-1001", "name": null})
    );
}

#[test]
fn sid_rejected_is_exit_2_with_a_diagnostic() {
    let run = bitsim(&["sid", "S-1-5-32-544xyz"]);
    assert_bad_input(
        &run,
        &[
            "S-1-5-32-544xyz",
            "unexpected `xyz` after the SID",
            "expected `S-1-",
            "ERROR_INVALID_SID (1337)",
        ],
    );
}

#[test]
fn sid_rejected_json_error() {
    let run = bitsim(&["--error-format", "json", "sid", "S-1-5-"]);
    assert_eq!(run.code, 2);
    let error = &run.error_json()["error"];
    assert!(error["message"].as_str().unwrap().contains("S-1-5-"));
    assert_eq!(error["offset"], 6);
    assert_eq!(
        error["win32"],
        serde_json::json!({"name": "ERROR_INVALID_SID", "code": 1337})
    );
}

#[test]
fn sid_command_can_be_called_as_a_function() {
    let mut out = Vec::new();
    let args = SidArgs {
        sid: "BA".to_string(),
        json: false,
    };
    assert_eq!(run_sid(&args, &mut out).unwrap(), ExitCode::Ok);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "S-1-5-32-544\nBUILTIN\\Administrators\n"
    );
}

// ---------------------------------------------------------------- sddl

#[test]
fn sddl_prints_what_windows_prints() {
    let run = bitsim(&["sddl", SD]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, format!("{SD}\n"));
}

#[test]
fn sddl_canonicalises_rights() {
    let run = bitsim(&["sddl", "O:BAG:SYD:(A;;0x1f01ff;;;S-1-5-32-544)"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "O:BAG:SYD:(A;;FA;;;BA)\n");
}

#[test]
fn sddl_json_is_the_parsed_structure() {
    let run = bitsim(&["sddl", "--json", SD]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let value = run.json();
    assert_eq!(value["sddl"], SD);
    assert_eq!(value["control"], "0x8004");
    assert_eq!(value["owner"], "S-1-5-32-544");
    assert_eq!(value["group"], "S-1-5-18");
    assert_eq!(value["dacl"]["state"], "present");
    assert_eq!(
        value["dacl"]["acl"]["aces"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(value["sacl"]["state"], "absent");
}

#[test]
fn sddl_hex_round_trips() {
    let hex = bitsim(&["sddl", "--hex", SD]);
    assert_eq!(hex.code, 0, "{}", hex.stderr);
    let text = hex.stdout.trim_end();
    assert!(
        text.starts_with("01000480"),
        "revision 1, Sbz1 0, control 0x8004 little-endian: {text}"
    );
    assert!(text
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    let back = bitsim(&["sddl", "--from-hex", text]);
    assert_eq!(back.code, 0, "{}", back.stderr);
    assert_eq!(back.stdout, format!("{SD}\n"));
    let json = bitsim(&["sddl", "--from-hex", text, "--json"]);
    assert_eq!(json.json()["sddl"], SD);
}

#[test]
fn sddl_rejected_is_exit_2_with_offset_and_win32() {
    let run = bitsim(&["sddl", "O:BAG:SYD:(A;;FA;;;BA"]);
    assert_bad_input(
        &run,
        &[
            "O:BAG:SYD:(A;;FA;;;BA",
            "at byte ",
            "ConvertStringSecurityDescriptorToSecurityDescriptor fails with ERROR_",
        ],
    );
    let json = bitsim(&["sddl", "O:BAG:SYD:(A;;FA;;;BA", "--error-format=json"]);
    assert_eq!(json.code, 2);
    let error = &json.error_json()["error"];
    let offset = error["offset"].as_u64().expect("an offset");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains(&format!("at byte {offset}")),
        "{error}"
    );
    assert!(error["win32"]["name"]
        .as_str()
        .unwrap()
        .starts_with("ERROR_"));
    assert!(error["win32"]["code"].is_u64());
}

#[test]
fn sddl_rejected_label_points_at_the_offset() {
    let run = bitsim(&["--error-format", "json", "sddl", "O:XXG:SY"]);
    let offset = run.error_json()["error"]["offset"].as_u64().unwrap();
    let human = bitsim(&["sddl", "O:XXG:SY"]);
    // The snippet header is `[SDDL:line:column]`, column = offset + 1.
    assert!(
        human.stderr.contains(&format!("[SDDL:1:{}]", offset + 1)),
        "{}",
        human.stderr
    );
}

#[test]
fn bad_hex_is_exit_2() {
    let run = bitsim(&["sddl", "--from-hex", "0100zz"]);
    assert_bad_input(
        &run,
        &["not hexadecimal", "`z` is not a hex digit", "0100zz"],
    );
    let json = bitsim(&["--error-format", "json", "sddl", "--from-hex", "0100zz"]);
    assert_eq!(json.error_json()["error"]["offset"], 4);
}

#[test]
fn truncated_binary_is_exit_2() {
    let run = bitsim(&["sddl", "--from-hex", "01000480"]);
    assert_bad_input(
        &run,
        &["not a self-relative security descriptor", "at byte "],
    );
}

#[test]
fn sddl_needs_a_string_or_hex() {
    assert_eq!(bitsim(&["sddl"]).code, 2);
    assert_eq!(bitsim(&["sddl", SD, "--from-hex", "00"]).code, 2);
    assert_eq!(bitsim(&["sddl", SD, "--json", "--hex"]).code, 2);
}

// ---------------------------------------------------------------- access

#[test]
fn access_granted() {
    let run = access(SD, "user.yaml", "0x1200a9", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let result = run.json();
    assert_eq!(result["api_return"], true);
    assert_eq!(result["access_status"], true);
    assert_eq!(result["granted"], "0x001200a9");
    assert_eq!(result["error"], Value::Null);
    assert!(result["trail"].as_array().is_some_and(|t| !t.is_empty()));
}

#[test]
fn access_json_has_exactly_the_access_check_fields() {
    let result = access(SD, "user.yaml", "0x1200a9", &[]).json();
    let mut keys: Vec<&str> = result
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "access_status",
            "api_return",
            "error",
            "granted",
            "privileges_used",
            "trail"
        ]
    );
    for step in result["trail"].as_array().unwrap() {
        assert!(
            step["rule"].is_string() && step["note"].is_string(),
            "{step}"
        );
    }
}

#[test]
fn access_denial_is_a_result_not_an_error() {
    // 0x2 is FILE_WRITE_DATA, which Everyone is not granted.
    let run = access(SD, "user.yaml", "0x2", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let result = run.json();
    assert_eq!(result["api_return"], true);
    assert_eq!(result["access_status"], false);
    assert_eq!(result["granted"], "0x00000000");
    assert_eq!(
        result["error"],
        serde_json::json!({"name": "ERROR_ACCESS_DENIED", "code": 5})
    );
}

#[test]
fn access_generic_desired_fails_the_call_with_exit_0() {
    let run = access(SD, "user.yaml", "GENERIC_READ", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let result = run.json();
    assert_eq!(result["api_return"], false);
    assert_eq!(result["access_status"], Value::Null);
    assert_eq!(result["granted"], Value::Null);
    assert_eq!(
        result["error"],
        serde_json::json!({"name": "ERROR_GENERIC_NOT_MAPPED", "code": 1360})
    );
}

#[test]
fn access_text_format_shows_verdict_and_trail() {
    let run = access(SD, "user.yaml", "0x2", &["--format", "text"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut lines = run.stdout.lines();
    assert_eq!(lines.next(), Some("verdict: denied"));
    assert!(
        run.stdout.contains("\nerror: ERROR_ACCESS_DENIED (5)\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("\ntrail:\n   1. AC-"), "{}", run.stdout);
}

#[test]
fn access_custom_mapping_equals_the_named_one() {
    let named = access(SD, "user.yaml", "MAXIMUM_ALLOWED", &["--mapping", "file"]);
    let custom = access(
        SD,
        "user.yaml",
        "MAXIMUM_ALLOWED",
        &["--mapping", "0x120089,0x120116,0x1200a0,0x1f01ff"],
    );
    assert_eq!(named.code, 0, "{}", named.stderr);
    assert_eq!(named.stdout, custom.stdout);
}

#[test]
fn access_elevated_admin_gets_full_control() {
    let result = access(SD, "admin.yaml", "MAXIMUM_ALLOWED", &[]).json();
    assert_eq!(result["access_status"], true);
    assert_eq!(result["granted"], "0x001f01ff");
}

#[test]
fn access_filtered_admin_is_denied_by_a_deny_ace_for_administrators() {
    let sd = "O:SYG:SYD:(D;;FA;;;BA)(A;;FA;;;WD)";
    let result = access(sd, "uac_filtered.yaml", "0x1", &[]).json();
    assert_eq!(result["access_status"], false);
}

#[test]
fn access_every_example_token_runs() {
    for token in [
        "user.yaml",
        "admin.yaml",
        "uac_filtered.yaml",
        "restricted.yaml",
        "anonymous_identification.yaml",
    ] {
        let run = access(SD, token, "MAXIMUM_ALLOWED", &[]);
        assert_eq!(run.code, 0, "{token}: {}", run.stderr);
        assert_eq!(run.json()["api_return"], true, "{token}: {}", run.stdout);
    }
}

#[test]
fn missing_token_file_is_exit_2() {
    let run = access(SD, "no_such_file.yaml", "0x1", &[]);
    assert_bad_input(&run, &["cannot read token file", "no_such_file.yaml"]);
}

#[test]
fn malformed_token_yaml_shows_file_line_and_column() {
    let run = access(SD, "bad_yaml.yaml", "0x1", &[]);
    assert_bad_input(
        &run,
        &[
            "bad_yaml.yaml:4:2",
            "did not find expected key",
            " - BUILTIN\\Users",
        ],
    );
    let json = bitsim(&[
        "--error-format",
        "json",
        "access",
        "--sd",
        SD,
        "--token",
        &data("bad_yaml.yaml"),
        "--desired",
        "1",
    ]);
    assert_eq!(json.code, 2);
    assert!(json.error_json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("bad_yaml.yaml:4:2"));
}

#[test]
fn unknown_privilege_is_exit_2() {
    let run = access(SD, "unknown_privilege.yaml", "0x1", &[]);
    assert_bad_input(
        &run,
        &[
            "unknown_privilege.yaml:6:5",
            "unknown privilege `SeMakeCoffeePrivilege`",
            "expected a name such as",
        ],
    );
}

#[test]
fn bad_sid_in_token_file_is_exit_2() {
    let run = access(SD, "bad_sid.yaml", "0x1", &[]);
    assert_bad_input(&run, &["bad_sid.yaml:4:5", "`S-1-5-x` is not a SID"]);
}

#[test]
fn unknown_token_field_is_exit_2() {
    let run = access(SD, "unknown_field.yaml", "0x1", &[]);
    assert_bad_input(
        &run,
        &[
            "unknown_field.yaml:2:1",
            "unknown field `integrity_level`",
            "expected one of",
        ],
    );
}

#[test]
fn bad_mask_is_exit_2() {
    let run = access(SD, "user.yaml", "GENERIC_READ|FOO", &[]);
    assert_bad_input(&run, &["invalid `--desired`", "`FOO`", "GENERIC_READ|FOO"]);
}

#[test]
fn bad_mapping_is_exit_2() {
    assert_bad_input(
        &access(SD, "user.yaml", "0x1", &["--mapping", "files"]),
        &["`files` is not a generic mapping"],
    );
    assert_bad_input(
        &access(SD, "user.yaml", "0x1", &["--mapping", "1,2,3"]),
        &["expected 4 (GR,GW,GX,GA)"],
    );
    assert_bad_input(
        &access(SD, "user.yaml", "0x1", &["--mapping", "1,2,NOPE,4"]),
        &["`NOPE` is not a number or a known right"],
    );
}

#[test]
fn bad_sddl_in_access_is_exit_2() {
    let run = access("O:BAG:SYD:(Q;;FA;;;BA)", "user.yaml", "0x1", &[]);
    assert_bad_input(&run, &["invalid SDDL at byte", "--sd"]);
}

// ---------------------------------------------------------------- rules

#[test]
fn rules_text_and_json() {
    let text = bitsim(&["rules"]);
    assert_eq!(text.code, 0);
    assert!(text.stdout.starts_with("AC-"), "{}", text.stdout);
    assert!(text.stdout.contains("\n    source: "), "{}", text.stdout);
    let json = bitsim(&["rules", "--json"]).json();
    let rules = json.as_array().expect("an array");
    assert!(!rules.is_empty());
    for rule in rules {
        assert!(
            rule["id"].is_string() && rule["statement"].is_string() && rule["source"].is_string()
        );
        assert!(text.stdout.contains(rule["id"].as_str().unwrap()));
    }
}

// ---------------------------------------------------------------- usage

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    assert_eq!(bitsim(&[]).code, 2);
    assert_eq!(bitsim(&["frobnicate"]).code, 2);
    assert_eq!(bitsim(&["sid"]).code, 2);
    assert_eq!(bitsim(&["access", "--sd", SD]).code, 2);
    let help = bitsim(&["access", "--help"]);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("[default: file]"), "{}", help.stdout);
    assert_eq!(bitsim(&["--version"]).code, 0);
}

#[test]
fn usage_error_as_json() {
    let run = bitsim(&["--error-format", "json", "sid"]);
    assert_eq!(run.code, 2);
    let message = run.error_json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("<STRING>"), "{message}");
}

// ---------------------------------------------------------------- robustness

#[test]
fn no_input_makes_it_panic() {
    let strange = [
        "",
        " ",
        "\n",
        "\u{1}",
        "é",
        "S",
        "S-",
        "S-1",
        "S-1-",
        "S-1-5-",
        "s-1-0x-1",
        "S-1-0xFFFFFFFFFFFFFFFFFFFF-1",
        "S-1-5-4294967296",
        "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16",
        "O:",
        "O:BAG:",
        "D:(",
        "D:(A;;;;;)",
        "D:(A;;FA;;;BA))",
        "D:P(A;;é;;;BA)",
        "S:(ML;;NW;;;HI)",
        "O:S-1-5-é",
        "(((((",
        "0",
        "01",
        "0100048014",
    ];
    for input in strange {
        for args in [
            vec!["sid", input],
            vec!["sddl", input],
            vec!["sddl", "--json", input],
            vec!["sddl", "--hex", input],
            vec!["sddl", "--from-hex", input],
            vec!["--error-format", "json", "sddl", input],
        ] {
            let run = bitsim(&args);
            assert!(
                run.code == 0 || run.code == 2,
                "{args:?} exited {}:\n{}",
                run.code,
                run.stderr
            );
            assert!(
                !run.stderr.contains("panicked"),
                "{args:?}:\n{}",
                run.stderr
            );
        }
    }
}

// ---------------------------------------------------------------- docs

#[test]
fn token_file_doc_examples_parse() {
    let doc = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/token-file.md");
    let text = std::fs::read_to_string(&doc).expect("docs/token-file.md exists");
    let mut examples = 0;
    let mut rest = text.as_str();
    while let Some(start) = rest.find("```yaml\n") {
        let body = &rest[start + "```yaml\n".len()..];
        let end = body.find("```").expect("a closed code block");
        let yaml = &body[..end];
        if let Err(err) = bitsim_cli::command::access::parse_token_spec("docs/token-file.md", yaml)
        {
            panic!("an example in docs/token-file.md does not parse: {err}\n{yaml}");
        }
        examples += 1;
        rest = &body[end..];
    }
    assert!(examples >= 4, "found {examples} yaml examples");
}

// ---------------------------------------------------------------- profiles

#[test]
fn profiles_prints_one_column_per_profile() {
    let text = bitsim(&["profiles"]);
    assert_eq!(text.code, 0);
    let header = text.stdout.lines().next().expect("a header");
    for p in ["vista", "win7", "win10-1507", "win10-1607", "win11"] {
        assert!(header.contains(p), "{header}");
    }
    let row = text
        .stdout
        .lines()
        .find(|l| l.starts_with("BITS-TOKEN-OPTIONS "))
        .expect("the token-options row");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cells[1..6], ["no", "yes", "yes", "yes", "yes"]);
    let json = bitsim(&["profiles", "--json"]).json();
    assert!(json
        .as_array()
        .expect("an array")
        .iter()
        .any(|r| r["id"] == "BITS-LOGOFF" && r["values"]["vista"] == "in force"));
}

const COND_SD: &str = "O:SYG:SYD:(XA;;CR;;;WD;(@User.dept == \"eng\"))";

#[test]
fn conditional_ace_grants_on_a_matching_claim_and_shows_the_value() {
    let run = access(COND_SD, "claims_eng.yaml", "0x100", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["granted"], "0x00000100");
    let step = json["trail"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s.get("condition").is_some())
        .expect("a step with the condition");
    assert_eq!(step["condition"]["value"], "TRUE");
    assert_eq!(
        step["condition"]["steps"][1]["expr"],
        "@USER.dept == \"eng\""
    );
    // Without the claim: UNKNOWN, so no grant.
    let run = access(COND_SD, "user.yaml", "0x100", &["--format", "text"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("verdict: denied"), "{}", run.stdout);
    assert!(run.stdout.contains("is UNKNOWN"), "{}", run.stdout);
}

#[test]
fn duplicate_claim_values_make_the_token_file_invalid() {
    let run = access(COND_SD, "claims_duplicate.yaml", "0x100", &[]);
    assert_bad_input(&run, &["claims_duplicate.yaml:4:3", "appears twice"]);
}

#[test]
fn object_type_list_with_result_list() {
    let sd = "O:BAG:BUD:(OD;;KW;23456789-2345-6786-0233-445566778899;;WD)(OA;;0xf003f;12345678-1234-5678-1122-334455667788;;WD)";
    let list = [
        "--mapping",
        "key",
        "--object-type",
        "0:12345678-1234-5678-1122-334455667788",
        "--object-type",
        "1:23456789-2345-6786-0233-445566778899",
        "--result-list",
    ];
    let run = access(sd, "claims_eng.yaml", "0x1", &list);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let results = run.json()["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["access_status"], true);
    // KEY_SET_VALUE (0x2) is denied on the child, so on the object too.
    let run = access(sd, "claims_eng.yaml", "0x2", &list);
    let results = run.json()["results"].as_array().unwrap().clone();
    assert_eq!(results[1]["access_status"], false);
    assert_eq!(results[0]["access_status"], false);
    assert_eq!(results[1]["error"]["name"], "ERROR_ACCESS_DENIED");
    // A list that does not start at level 0 is a failed call.
    let run = access(
        sd,
        "claims_eng.yaml",
        "0x1",
        &["--object-type", "1:12345678-1234-5678-1122-334455667788"],
    );
    assert_eq!(run.json()["error"]["name"], "ERROR_INVALID_PARAMETER");
    let run = access(
        sd,
        "claims_eng.yaml",
        "0x1",
        &["--object-type", "zero:nope"],
    );
    assert_bad_input(&run, &["LEVEL:GUID"]);
}

#[test]
fn sddl_hex_writes_windows_bytes_and_refuses_oversize_acls() {
    // Samba libcli/security/tests/windows/conditional_aces.txt.json (Windows bytes).
    let run = bitsim(&[
        "sddl",
        "--hex",
        "D:(XA;;0x1f;;;AA;(@Device.colour == \"blue\"))",
    ]);
    assert_eq!(
        run.stdout.trim(),
        "01000480000000000000000000000000140000000200440001000000090 03c001f0000000102000000000005200000004302000061727478fb0c00000063006f006c006f0075007200100800000062006c00750065008000"
            .replace(' ', "")
    );
    let big = format!("D:(XA;;CC;;;WD;(@User.a == \"{}\"))", "z".repeat(40_000));
    let run = bitsim(&["sddl", "--hex", &big]);
    assert_bad_input(&run, &["65535"]);
}

#[test]
fn sd_create_inherits_from_the_parent() {
    let token = data("claims_eng.yaml");
    let run = bitsim(&[
        "sd-create",
        "--parent",
        "O:BAG:SYD:(A;OICI;GA;;;BA)(A;OICIIO;GA;;;CO)",
        "--token",
        &token,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.trim(),
        "O:S-1-5-21-1-2-3-1001G:S-1-5-21-1-2-3-1001D:(A;ID;FA;;;BA)(A;ID;FA;;;S-1-5-21-1-2-3-1001)"
    );
}
