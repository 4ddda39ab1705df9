//! End-to-end tests of `bitsim diff`: the differences between Vista,
//! Windows 7 and Windows 10 1607 that the helper-token scenarios really
//! show, `--all`, the JSON shape, byte-identical output across runs, and
//! bad input (an unknown profile, fewer than two profiles) as exit 2.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::path::PathBuf;
use std::process::Command as Process;

use bitsim_cli::{render_usage_error, Cli, CliError, ErrorFormat, ExitCode};
use clap::Parser;
use serde_json::Value;

/// A non-administrator owns the job and sets a non-administrator helper
/// token: refused before 1607, accepted from 1607; Vista has no
/// IBitsTokenOptions at all.
const NON_ADMIN: &str = "scenarios/helper-tokens/non-admin-owner-helper-1507-vs-1607.yaml";

const PROFILES: &str = "vista,win7,win10-1607";

fn scenario(relative: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
        .display()
        .to_string()
}

/// Parses and runs a `bitsim` command line; its exit code and output, or
/// the error it returned.
fn bitsim(args: &[&str]) -> Result<(ExitCode, String), CliError> {
    let cli = Cli::try_parse_from(std::iter::once("bitsim").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?} does not parse: {e}"));
    let mut out = Vec::new();
    let code = cli.command.run(&mut out)?;
    Ok((code, String::from_utf8(out).expect("output is UTF-8")))
}

fn diff_text(args: &[&str]) -> String {
    let (code, out) = bitsim(args).unwrap_or_else(|e| panic!("{args:?} failed: {e}"));
    assert_eq!(code, ExitCode::Ok, "{out}");
    out
}

/// A shown step: its heading line and one line per profile.
struct Shown<'a> {
    heading: &'a str,
    lines: Vec<&'a str>,
}

impl Shown<'_> {
    /// The text after the profile label on the line for `profile`.
    fn under(&self, profile: &str) -> &str {
        self.lines
            .iter()
            .find_map(|l| {
                l.trim_start()
                    .strip_prefix(profile)
                    .filter(|rest| rest.starts_with("  "))
                    .map(str::trim_start)
            })
            .unwrap_or_else(|| panic!("no line for {profile} under `{}`", self.heading))
    }
}

/// The steps of a text diff, and its last line.
fn shown(out: &str) -> (Vec<Shown<'_>>, &str) {
    let mut steps: Vec<Shown<'_>> = Vec::new();
    let mut lines = out.lines().skip(1).collect::<Vec<_>>();
    let summary = lines.pop().expect("a summary line");
    for line in lines {
        if line.starts_with("       ") {
            steps.last_mut().expect("a step first").lines.push(line);
        } else {
            steps.push(Shown {
                heading: line,
                lines: Vec::new(),
            });
        }
    }
    (steps, summary)
}

fn step<'a, 'b>(steps: &'b [Shown<'a>], heading_start: &str) -> &'b Shown<'a> {
    steps
        .iter()
        .find(|s| s.heading.trim_start().starts_with(heading_start))
        .unwrap_or_else(|| panic!("no step shown starting `{heading_start}`"))
}

#[test]
fn shows_what_vista_win7_and_1607_really_do_differently() {
    let file = scenario(NON_ADMIN);
    let out = diff_text(&["diff", &file, "--profiles", PROFILES]);
    let (steps, summary) = shown(&out);
    assert_eq!(
        out.lines().next(),
        Some(
            format!(
                "scenario non-admin-owner-helper-1507-vs-1607 ({file}) under vista, win7, win10-1607"
            )
            .as_str()
        )
    );

    // Vista has no IBitsTokenOptions; Windows 7 and 10 1607 hand it out.
    let qi = step(&steps, "6. line 20   alice: QueryInterface");
    assert!(qi.heading.contains("interface: IBitsTokenOptions"), "{out}");
    assert_eq!(qi.under("vista"), "E_NOINTERFACE (0x80004002)");
    for profile in ["win7", "win10-1607"] {
        let line = qi.under(profile);
        assert!(line.starts_with("S_OK (0x00000000) | "), "{line}");
        assert!(
            line.ends_with("IBitsTokenOptions handed to CORP\\alice (read: yes, modify: yes, owner's SID: yes, administrator: no)"),
            "{line}"
        );
    }

    // A non-administrator owner's SetHelperToken: refused on Windows 7,
    // accepted on 10 1607; on Vista there is no pointer to call it on.
    let set = step(&steps, "11. line 25   alice: SetHelperToken");
    assert_eq!(
        set.under("vista"),
        "ERROR: `options` names no interface pointer"
    );
    let win7 = set.under("win7");
    assert!(win7.starts_with("E_ACCESSDENIED (0x80070005) | "), "{win7}");
    assert!(!win7.contains("helper token for"), "{win7}");
    let win10 = set.under("win10-1607");
    assert!(win10.starts_with("S_OK (0x00000000) | "), "{win10}");
    assert!(
        win10.ends_with(" | job job now holds a helper token for CORP\\bob"),
        "{win10}"
    );

    let flags = step(&steps, "13. line 30   alice: SetHelperTokenFlags");
    assert_eq!(flags.under("win7"), "E_ACCESSDENIED (0x80070005)");
    assert_eq!(
        flags.under("win10-1607"),
        "S_OK (0x00000000) | job job helper-token flags = BG_TOKEN_NETWORK"
    );

    // Steps that agree everywhere are not shown, and the summary counts
    // the ones that are.
    assert!(
        !steps.iter().any(|s| s.heading.contains(" logon ")),
        "{out}"
    );
    assert!(steps.iter().all(|s| s.lines.len() == 3), "{out}");
    assert_eq!(
        summary,
        format!(
            "{} of 15 steps diverge across vista, win7, win10-1607",
            steps.len()
        )
    );
}

#[test]
fn all_shows_every_step_and_one_line_where_the_profiles_agree() {
    let file = scenario(NON_ADMIN);
    let out = diff_text(&["diff", &file, "--profiles", PROFILES, "--all"]);
    let (steps, summary) = shown(&out);
    assert_eq!(steps.len(), 15, "{out}");
    let logon = step(&steps, "1. line 14   logon");
    assert_eq!(logon.lines.len(), 1, "{out}");
    assert!(
        logon.under("all").starts_with("S_OK (0x00000000) | "),
        "{out}"
    );
    let expect = step(&steps, "2. line 15   expect_thread");
    assert_eq!(
        expect.under("all"),
        "user = CORP\\alice (ok) | Administrators enabled = false (ok)"
    );
    let qi = step(&steps, "6. line 20");
    assert_eq!(qi.under("vista"), "E_NOINTERFACE (0x80004002)");
    // The same count as without --all.
    let only_diverging = diff_text(&["diff", &file, "--profiles", PROFILES]);
    let (diverging, _) = shown(&only_diverging);
    assert_eq!(
        summary,
        format!(
            "{} of 15 steps diverge across vista, win7, win10-1607",
            diverging.len()
        )
    );
}

#[test]
fn two_runs_print_identical_bytes() {
    let file = scenario(NON_ADMIN);
    for format in ["text", "json"] {
        let args = ["diff", &file, "--profiles", PROFILES, "--format", format];
        assert_eq!(diff_text(&args), diff_text(&args), "{format}");
    }
}

#[test]
fn json_has_the_diverging_steps_with_every_profile_outcome() {
    let file = scenario(NON_ADMIN);
    let out = diff_text(&["diff", &file, "--profiles", PROFILES, "--format", "json"]);
    let json: Value = serde_json::from_str(&out).expect("stdout is JSON");
    assert_eq!(json["scenario"], "non-admin-owner-helper-1507-vs-1607");
    assert_eq!(
        json["profiles"],
        serde_json::json!(["vista", "win7", "win10-1607"])
    );
    assert_eq!(json["total_steps"], 15);
    let steps = json["steps"].as_array().expect("steps");
    assert_eq!(json["diverging_steps"], steps.len());
    assert!(steps.iter().all(|s| s["diverges"] == true));
    let numbered = |n: u64| {
        steps
            .iter()
            .find(|s| s["number"] == n)
            .unwrap_or_else(|| panic!("step {n} not in {out}"))
    };
    let result = |s: &Value, i: usize| s["outcomes"][i]["result"].clone();

    let qi = numbered(6);
    assert_eq!(qi["kind"], "QueryInterface");
    assert_eq!(qi["actor"], "alice");
    assert_eq!(qi["outcomes"][0]["profile"], "vista");
    assert_eq!(
        result(qi, 0),
        serde_json::json!({"name": "E_NOINTERFACE", "hex": "0x80004002"})
    );
    assert_eq!(result(qi, 1)["name"], "S_OK");
    assert_eq!(result(qi, 2)["name"], "S_OK");

    let set = numbered(11);
    assert_eq!(set["kind"], "SetHelperToken");
    assert_eq!(set["outcomes"][0]["result"], Value::Null);
    assert_eq!(
        set["outcomes"][0]["error"],
        "`options` names no interface pointer"
    );
    assert_eq!(
        result(set, 1),
        serde_json::json!({"name": "E_ACCESSDENIED", "hex": "0x80070005"})
    );
    assert_eq!(set["outcomes"][2]["profile"], "win10-1607");
    assert_eq!(result(set, 2)["name"], "S_OK");
    assert!(set["outcomes"][2]["events"]
        .as_array()
        .expect("events")
        .contains(&Value::from(
            "job job now holds a helper token for CORP\\bob"
        )));
    assert!(steps.iter().all(|s| s["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .all(|o| o["reached"] == true)));
}

#[test]
fn an_unknown_profile_is_bad_input_naming_the_valid_ones() {
    let file = scenario(NON_ADMIN);
    let args = ["bitsim", "diff", &file, "--profiles", "win7,xp"];
    let err = Cli::try_parse_from(args).expect_err("xp is not a profile");
    let message = err.to_string();
    assert!(message.contains("unknown profile `xp`"), "{message}");
    assert!(
        message.contains("vista, win7, win10-1507, win10-1607, win11"),
        "{message}"
    );
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    assert_eq!(
        render_usage_error(&err, ErrorFormat::Human, &mut stdout, &mut stderr),
        ExitCode::BadInput
    );

    // The binary exits with 2.
    let status = Process::new(env!("CARGO_BIN_EXE_bitsim"))
        .args(&args[1..])
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
        .status;
    assert_eq!(status.code(), Some(2));
}

#[test]
fn one_profile_is_bad_input() {
    let file = scenario(NON_ADMIN);
    for profiles in ["win7", "win7,win7"] {
        let err = bitsim(&["diff", &file, "--profiles", profiles])
            .expect_err("one profile is nothing to compare");
        assert_eq!(err.exit_code(), ExitCode::BadInput);
        let message = err.to_string();
        assert!(message.contains("at least two profiles"), "{message}");
        assert!(message.contains("only win7"), "{message}");
    }
}

#[test]
fn without_profiles_the_scenarios_own_are_compared() {
    let file = scenario(NON_ADMIN);
    let out = diff_text(&["diff", &file]);
    let (steps, summary) = shown(&out);
    assert!(
        summary.ends_with(" of 15 steps diverge across win7, win10-1507, win10-1607, win11"),
        "{summary}"
    );
    let set = step(&steps, "11. line 25");
    assert!(
        set.under("win10-1507").starts_with("E_ACCESSDENIED"),
        "{out}"
    );
    assert!(set.under("win11").starts_with("S_OK"), "{out}");
}
