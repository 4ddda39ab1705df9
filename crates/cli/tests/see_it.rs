//! End-to-end tests of what `bitsim` draws for people: `run --format
//! html` and `check --format html` (one self-contained page), `run
//! --show-tokens` (the `whoami /all` view, read back by `bitsim import
//! whoami`'s parser, and its JSON form), and the Mermaid diagram's notes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::path::PathBuf;
use std::process::Command;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary at the repository's root.
fn bitsim(args: &[&str]) -> Out {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO_BIN_EXE_bitsim"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    Out {
        code: out.status.code().expect("exited"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

const LOGOFF: &str = "scenarios/helper-tokens/owner-logoff-drops-helper.yaml";

#[test]
fn the_html_report_is_one_deterministic_page_that_loads_nothing() {
    let a = bitsim(&["run", LOGOFF, "--format", "html"]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    let html = &a.stdout;
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("content=\"default-src &#39;none&#39;; style-src &#39;sha256-"));
    assert!(!html.contains("<script src") && !html.contains("<link"));
    assert!(!html.contains("http://") || !html.contains("src=\"http"));
    // One run per profile, each with its diagram, steps and world views.
    assert_eq!(html.matches("<svg class=\"sequence\"").count(), 3);
    assert_eq!(html.matches("<section class=\"world\"").count(), 45);
    // The diagram: host calls to Host, BITS calls to BITS, the discard
    // and the state change as notes.
    assert!(html.contains("<title>LogonUser {as: bob_token, type: interactive, user: bob}</title>"));
    assert!(html.contains("job discards its helper token (owner logoff)"));
    assert!(html.contains("job: SUSPENDED → ERROR (BG_E_TOKEN_REQUIRED)"));
    // A rule id links to its statement and source.
    assert!(html.contains("<a class=\"rule\" href=\"#rule-BITS-TOKEN-REQUIRED\">"));
    assert!(html.contains(
        "<dt id=\"rule-BITS-TOKEN-REQUIRED\">BITS-TOKEN-REQUIRED</dt><dd>an incomplete job"
    ));
    // The inspector after the logoff: the job in ERROR without a helper.
    let last = html
        .split("<section class=\"world\" id=\"r2-w15\">")
        .nth(1)
        .unwrap();
    assert!(last.contains("<td class=\"jobstate\">ERROR</td><td>CORP\\admin (elevated)</td><td class=\"helper\">none</td>"));
    // Byte-identical twice.
    assert_eq!(
        bitsim(&["run", LOGOFF, "--format", "html"]).stdout,
        a.stdout
    );
}

#[test]
fn check_writes_every_run_in_one_page_with_the_failures_marked() {
    let out = bitsim(&[
        "check",
        "crates/cli/tests/data/scenarios/good.yaml",
        "crates/cli/tests/data/scenarios/failing.yaml",
        "--format",
        "html",
    ]);
    assert_eq!(out.code, 1);
    assert!(out
        .stdout
        .contains("<title>bitsim check: 2 passed, 1 failed</title>"));
    assert!(out
        .stdout
        .contains("<span class=\"bad\">FAILED at step 4</span>"));
    assert!(
        out.stdout
            .contains("GetJob result: expected success, got E_ACCESSDENIED")
            || out
                .stdout
                .contains("FAILED: result expected success, got E_ACCESSDENIED")
    );
}

#[test]
fn show_tokens_prints_whoami_all_that_the_whoami_importer_reads_back() {
    let text = bitsim(&[
        "run",
        LOGOFF,
        "--profile",
        "win11",
        "--show-tokens",
        "--at",
        "13",
        "--token",
        "admin",
        "--token",
        "elevated",
        "--token",
        "bob_token",
    ]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    let json = bitsim(&[
        "run",
        LOGOFF,
        "--profile",
        "win11",
        "--show-tokens",
        "--at",
        "13",
        "--token",
        "admin",
        "--token",
        "elevated",
        "--token",
        "bob_token",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let tokens = v[0]["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 3);
    let blocks: Vec<&str> = text.stdout.split("\n-- ").skip(1).collect();
    assert_eq!(blocks.len(), 3);
    for (block, t) in blocks.iter().zip(tokens) {
        // whoami's three sections, read by the importer.
        let whoami = block.split("TOKEN INFORMATION").next().unwrap();
        let capture = import::whoami::parse(whoami).unwrap();
        let (user, _) = capture.user.unwrap();
        assert_eq!(user.to_string(), t["user"]["sid"]);
        let groups: Vec<(String, u64)> = t["groups"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["kind"] != "Label")
            .map(|g| {
                (
                    g["sid"].as_str().unwrap().to_string(),
                    g["value"].as_u64().unwrap(),
                )
            })
            .collect();
        // The importer reads the phrases back into the same bits (the
        // logon SID's own bits from its S-1-5-5-X-Y form).
        let read: Vec<(String, u64)> = capture
            .groups
            .iter()
            .map(|g| (g.sid.to_string(), u64::from(g.attributes)))
            .collect();
        assert_eq!(read, groups);
        let privileges: Vec<(String, bool)> = t["privileges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_string(),
                    p["state"] == "Enabled",
                )
            })
            .collect();
        let read: Vec<(String, bool)> = capture
            .privileges
            .iter()
            .map(|(p, on)| (p.name().to_string(), *on))
            .collect();
        assert_eq!(read, privileges);
        assert_eq!(
            capture.integrity.map(|l| l.sid().to_string()),
            t["integrity"]["sid"].as_str().map(str::to_string)
        );
    }
    // The model's facts: admin's shell has the filtered half of a split
    // token, the elevated process the full half; bob's is a plain token.
    let admin = &tokens[0];
    assert_eq!(admin["elevation"], "TokenElevationTypeLimited");
    assert!(admin["linked_token"].is_u64());
    let administrators = admin["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["sid"] == "S-1-5-32-544")
        .unwrap();
    assert_eq!(
        administrators["attributes"],
        serde_json::json!(["Group used for deny only"])
    );
    assert_eq!(admin["integrity"]["sid"], "S-1-16-8192");
    let elevated = &tokens[1];
    assert_eq!(elevated["elevation"], "TokenElevationTypeFull");
    assert_eq!(elevated["integrity"]["sid"], "S-1-16-12288");
    assert_eq!(tokens[2]["names"], serde_json::json!(["bob_token"]));
    assert_eq!(tokens[2]["user"]["name"], "CORP\\bob");
    assert!(text
        .stdout
        .contains("SeChangeNotifyPrivilege       Bypass traverse checking             Enabled"));
}

#[test]
fn show_tokens_says_who_uses_each_token_and_follows_the_helper_token() {
    let at = |step: &str| {
        let out = bitsim(&[
            "run",
            LOGOFF,
            "--profile",
            "win11",
            "--show-tokens",
            "--at",
            step,
            "--format",
            "json",
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        serde_json::from_str::<serde_json::Value>(&out.stdout).unwrap()
    };
    let helper = |v: &serde_json::Value| {
        v[0]["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| {
                t["used_by"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|u| u == "job job's helper token")
            })
            .map(|t| t["user"]["name"].as_str().unwrap().to_string())
    };
    assert_eq!(helper(&at("13")), Some("CORP\\bob".to_string()));
    // After admin's logoff the job holds none.
    assert_eq!(helper(&at("14")), None);
}

#[test]
fn show_tokens_refuses_a_step_or_token_that_is_not_there() {
    let out = bitsim(&["run", LOGOFF, "--show-tokens", "--at", "99"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("carried out steps 1 to 15"),
        "{}",
        out.stderr
    );
    let out = bitsim(&["run", LOGOFF, "--show-tokens", "--token", "nobody"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--token nobody"), "{}", out.stderr);
    assert!(out.stderr.contains("bob_token"), "{}", out.stderr);
    let out = bitsim(&["run", LOGOFF, "--at", "3"]);
    assert_eq!(out.code, 2, "--at needs --show-tokens");
}

#[test]
fn mermaid_notes_the_state_change_the_discard_and_the_logoff() {
    let out = bitsim(&["run", LOGOFF, "--profile", "win11", "--format", "mermaid"]);
    assert_eq!(out.code, 0);
    let m = &out.stdout;
    assert!(m.contains("    participant Host\n    participant BITS\n"));
    assert!(m.contains(
        "    elevated->>Host: LogonUser {as: bob_token, type: interactive, user: bob}\n"
    ));
    assert!(m.contains("    elevated->>BITS: SetHelperToken {job: options}\n"));
    assert!(m.contains("    Note over BITS: job captures a helper token of CORP\\bob\n"));
    assert!(m.contains("    Note over Host: CORP\\admin logs off\n"));
    assert!(m.contains("    Note over BITS: job discards its helper token (owner logoff)\n"));
    assert!(m.contains("    Note over BITS: job: SUSPENDED → ERROR (BG_E_TOKEN_REQUIRED)\n"));
}
