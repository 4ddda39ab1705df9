//! `bitsim table iis`: the delegation table of [PP-IMPDEL] (with
//! [LT] and [IDM]), computed by running the web host on the simulated host; its rows
//! are checked against those sources and the whole table is pinned.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use bitsim_cli::command::table::{iis_rows, Row};
use bitsim_cli::{Cli, ExitCode};
use clap::Parser;

fn find<'a>(rows: &'a [Row], auth: &str, condition: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.authentication == auth && r.condition.contains(condition))
        .unwrap_or_else(|| panic!("no row {auth} / {condition}"))
}

#[test]
fn the_rows_say_what_the_sources_say() {
    let rows = iis_rows().unwrap();
    // Basic and an IIS-mapped certificate: the logon holds a password, so
    // the page reaches one remote server as the user.
    let basic = find(&rows, "Basic", "");
    assert_eq!(basic.runs_as, "CORP\\bob");
    assert_eq!(basic.local, "yes (CORP\\bob)");
    assert_eq!(basic.remote, "CORP\\bob, granted");
    // Digest and NTLM: local impersonation only; the share sees ANONYMOUS
    // LOGON.
    for auth in ["Digest", "Integrated Windows (NTLM)"] {
        let r = find(&rows, auth, "");
        assert_eq!(r.local, "yes (CORP\\bob)", "{auth}");
        assert!(
            r.remote
                .starts_with("NT AUTHORITY\\ANONYMOUS LOGON, denied"),
            "{auth}: {}",
            r.remote
        );
    }
    // Kerberos: only with delegation allowed, and never for a sensitive
    // account.
    let k = "Integrated Windows (Kerberos)";
    assert!(find(&rows, k, "no delegation")
        .remote
        .contains("ANONYMOUS LOGON"));
    assert_eq!(find(&rows, k, "(unconstrained)").via, "Unconstrained");
    assert_eq!(find(&rows, k, "constrained to").via, "Constrained");
    assert!(find(&rows, k, "sensitive")
        .remote
        .contains("ANONYMOUS LOGON"));
    // Anonymous: the page never runs as the browsing user.
    for r in rows.iter().filter(|r| r.authentication == "Anonymous") {
        assert_ne!(r.runs_as, "CORP\\bob");
        assert!(r.local.starts_with("no"), "{r:?}");
    }
    // A certificate mapped in AD: protocol transition, and the second hop
    // only with constrained delegation that allows any protocol.
    let ad = "Client certificate (AD mapping)";
    assert!(find(&rows, ad, "no delegation")
        .remote
        .contains("ANONYMOUS LOGON"));
    assert_eq!(
        find(&rows, ad, "protocol transition").remote,
        "CORP\\bob, granted"
    );
}

#[test]
fn the_table_is_pinned() {
    let cli = Cli::try_parse_from(["bitsim", "table", "iis"]).unwrap();
    let mut out = Vec::new();
    assert_eq!(cli.command.run(&mut out).unwrap(), ExitCode::Ok);
    insta::assert_snapshot!("iis", String::from_utf8(out).unwrap());
    let cli = Cli::try_parse_from(["bitsim", "table", "iis", "--format", "json"]).unwrap();
    let mut json = Vec::new();
    cli.command.run(&mut json).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v.as_array().unwrap().len(), iis_rows().unwrap().len());
}
