//! The importers on the published captures in `tests/fixtures/` (each with
//! a `.source.md` naming where it was published), and on hand-broken
//! variants of them for the error paths.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::fs;
use std::path::PathBuf;

use import::{import, Kind, Names};
use winsec::token::group_attrs::{DEFAULT, ENABLED, ENABLED_BY_DEFAULT, MANDATORY, RESOURCE};
use winsec::{Privilege, SecurityDescriptor, TokenSpec};

fn fixture(path: &str) -> String {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn names(path: &str) -> Names {
    Names::parse(&fixture(path)).unwrap()
}

/// The token file must load through winsec's own reader, as `bitsim access --token` does.
fn token(yaml: &str) -> winsec::Token {
    let spec: TokenSpec = serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    spec.build()
}

#[test]
fn english_whoami_all_becomes_the_captured_token() {
    let yaml = import(
        Kind::Whoami,
        &fixture("whoami/en-cascade-all.txt"),
        &Names::new(),
    )
    .unwrap();
    let t = token(&yaml);
    assert_eq!(
        t.user.sid.to_string(),
        "S-1-5-21-3332504370-1206983947-1165150453-1106"
    );
    // 11 groups; the label row became the integrity level, not a group.
    let sids: Vec<String> = t.groups.iter().map(|g| g.sid.to_string()).collect();
    assert_eq!(
        sids,
        [
            "S-1-1-0",
            "S-1-5-32-545",
            "S-1-5-32-554",
            "S-1-5-2",
            "S-1-5-11",
            "S-1-5-15",
            "S-1-5-21-3332504370-1206983947-1165150453-1138",
            "S-1-5-21-3332504370-1206983947-1165150453-1113",
            "S-1-5-21-3332504370-1206983947-1165150453-1119",
            "S-1-5-21-3332504370-1206983947-1165150453-1126",
            "S-1-5-64-10",
        ]
    );
    assert_eq!(t.groups[0].attributes, DEFAULT);
    // "Local Group" is SE_GROUP_RESOURCE.
    assert_eq!(
        t.groups[6].attributes,
        MANDATORY | ENABLED_BY_DEFAULT | ENABLED | RESOURCE
    );
    assert_eq!(t.integrity.0, 0x2100);
    let privs: Vec<(Privilege, bool)> = t
        .privileges
        .iter()
        .map(|p| (p.privilege, p.is_enabled()))
        .collect();
    assert_eq!(
        privs,
        [
            (Privilege::MachineAccount, true),
            (Privilege::ChangeNotify, true),
            (Privilege::IncreaseWorkingSet, true),
        ]
    );
    assert_eq!(t.elevation_type, winsec::ElevationType::Default);
}

#[test]
fn spanish_whoami_all_reads_the_same_way() {
    let yaml = import(
        Kind::Whoami,
        &fixture("whoami/es-phantom-all.txt"),
        &Names::new(),
    )
    .unwrap();
    let t = token(&yaml);
    assert_eq!(
        t.user.sid.to_string(),
        "S-1-5-21-3580157585-956322742-780763674-1113"
    );
    let sids: Vec<String> = t.groups.iter().map(|g| g.sid.to_string()).collect();
    assert_eq!(
        sids,
        [
            "S-1-1-0",
            "S-1-5-32-580",
            "S-1-5-32-545",
            "S-1-5-32-554",
            "S-1-5-32-574"
        ]
    );
    assert!(t.groups.iter().all(|g| g.attributes == DEFAULT));
    assert_eq!(t.privileges.len(), 3);
    assert!(t.privileges.iter().all(|p| p.is_enabled()));
    // No label row in this capture: the token file leaves integrity unset.
    assert!(!yaml.contains("integrity:"), "{yaml}");
}

#[test]
fn french_whoami_groups_reads_groups_and_label_but_is_no_token() {
    let text = fixture("whoami/fr-tssr-groups.txt");
    let capture = import::whoami::parse(&text).unwrap();
    assert_eq!(capture.groups.len(), 9);
    assert!(capture.groups.iter().all(|g| g.attributes == DEFAULT));
    assert_eq!(
        capture.groups[7].sid.to_string(),
        "S-1-5-21-3751794092-3013587998-2465217153-1113"
    );
    assert_eq!(capture.integrity.map(|l| l.0), Some(0x2000));
    let err = import(Kind::Whoami, &text, &Names::new()).unwrap_err();
    assert!(err.message.contains("no user section"), "{err}");
}

#[test]
fn icacls_listing_becomes_a_dacl_that_grants_what_it_says() {
    let yaml = import(Kind::Icacls, &fixture("icacls/en-mmc.txt"), &Names::new()).unwrap();
    assert!(
        yaml.contains("path: 'C:\\WINDOWS\\system32\\mmc.exe'"),
        "{yaml}"
    );
    let sddl = only_sddl(&yaml);
    assert_eq!(
        sddl,
        "D:(A;;FA;;;S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464)(A;;0x1200a9;;;BA)(A;;0x1200a9;;;SY)(A;;0x1200a9;;;BU)(A;;0x1200a9;;;AC)(A;;0x1200a9;;;S-1-15-2-2)"
    );
    SecurityDescriptor::from_sddl(&sddl).unwrap();
}

#[test]
fn icacls_inherited_entries_and_names_from_a_map() {
    let text = fixture("icacls/en-crazy-keys.txt");
    let err = import(Kind::Icacls, &text, &Names::new()).unwrap_err();
    assert!(err.message.contains("`DI\\thogarth`"), "{err}");
    assert_eq!((err.line, err.column), (3, 7));
    let yaml = import(Kind::Icacls, &text, &names("names/di.yaml")).unwrap();
    let objects: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
    let list = objects["objects"].as_sequence().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["path"].as_str(), Some("crazy"));
    assert_eq!(
        list[0]["sddl"].as_str(),
        Some("D:(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIID;FA;;;S-1-5-21-1111111111-2222222222-3333333333-1105)")
    );
    assert_eq!(list[1]["path"].as_str(), Some("keys.txt"));
    assert_eq!(
        list[1]["sddl"].as_str(),
        Some("D:(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;FA;;;S-1-5-21-1111111111-2222222222-3333333333-1105)")
    );
}

#[test]
fn get_acl_keeps_the_whole_descriptor() {
    let yaml = import(
        Kind::GetAcl,
        &fixture("get-acl/en-k8s-ca-crt.txt"),
        &Names::new(),
    )
    .unwrap();
    assert!(yaml.contains(
        "path: 'C:\\var\\run\\secrets\\kubernetes.io\\serviceaccount\\..2021_08_31_22_22_18.318230061\\ca.crt'"
    ), "{yaml}");
    assert_eq!(
        only_sddl(&yaml),
        "O:BAG:SYD:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1200a9;;;BU)"
    );
}

#[test]
fn get_acl_reads_an_sddl_the_console_wrapped() {
    let text = "Path   : Microsoft.PowerShell.Core\\FileSystem::C:\\x\nOwner  : BUILTIN\\Administrators\nSddl   : O:BAG:SYD:AI(A;ID;FA;;;SY)(A;ID;F\n         A;;;BA)(A;ID;0x1200a9;;;BU)\n";
    let yaml = import(Kind::GetAcl, text, &Names::new()).unwrap();
    assert_eq!(
        only_sddl(&yaml),
        "O:BAG:SYD:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1200a9;;;BU)"
    );
}

fn only_sddl(yaml: &str) -> String {
    let v: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap();
    let list = v["objects"].as_sequence().unwrap();
    assert_eq!(list.len(), 1, "{yaml}");
    list[0]["sddl"].as_str().unwrap().to_string()
}

#[test]
fn bitsadmin_verbose_record_becomes_a_job() {
    let text = fixture("bitsadmin/en-learn-verbose.txt");
    let err = import(Kind::Bitsadmin, &text, &Names::new()).unwrap_err();
    assert!(err.message.contains("`domain\\user`"), "{err}");
    assert_eq!((err.line, err.column), (2, 46));
    let yaml = import(Kind::Bitsadmin, &text, &names("names/learn.yaml")).unwrap();
    let v: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
    let job = &v["jobs"][0];
    assert_eq!(
        job["id"].as_str(),
        Some("{482FCAF0-74BF-469B-8929-5CCD028C9499}")
    );
    assert_eq!(job["name"].as_str(), Some("myDownloadJob"));
    assert_eq!(job["type"].as_str(), Some("download"));
    assert_eq!(job["state"].as_str(), Some("transient_error"));
    assert_eq!(
        job["owner"].as_str(),
        Some("S-1-5-21-1111111111-2222222222-3333333333-1001")
    );
    assert_eq!(job["priority"].as_str(), Some("normal"));
    assert_eq!(
        job["files"][0]["remote"].as_str(),
        Some("https://downloadsrv/10mb.zip")
    );
    assert_eq!(job["files"][0]["local"].as_str(), Some("c:\\10mb.zip"));
    assert_eq!(job["files"][0]["bytes_transferred"].as_u64(), Some(0));
    assert!(job["files"][0]["bytes_total"].is_null());
    assert_eq!(job["error"]["code"].as_str(), Some("0x80072ee7"));
    assert_eq!(
        job["error"]["context"].as_str(),
        Some("0x00000005 - The error occurred while the remote file was being processed.")
    );
    assert_eq!(job["notify_command_line"].as_str(), Some("none"));
}

#[test]
fn bitsadmin_short_list_is_a_near_miss() {
    let err = import(
        Kind::Bitsadmin,
        &fixture("bitsadmin/en-learn-list-short.txt"),
        &Names::new(),
    )
    .unwrap_err();
    assert!(err.message.contains("without the verbose fields"), "{err}");
    assert!(err.expected.contains("/verbose"), "{err}");
    assert_eq!((err.line, err.column), (1, 1));
}

#[test]
fn bitstransfer_json_and_list_agree_with_bitsadmin_on_the_same_job() {
    let learn = names("names/learn.yaml");
    let from_bitsadmin =
        import::bits::parse_bitsadmin(&fixture("bitsadmin/en-learn-verbose.txt"), &learn).unwrap();
    let from_json =
        import::bits::parse_bitstransfer(&fixture("bitstransfer/made-learn-json.txt"), &learn)
            .unwrap();
    let from_list =
        import::bits::parse_bitstransfer(&fixture("bitstransfer/made-learn-list.txt"), &learn)
            .unwrap();
    for jobs in [&from_json, &from_list] {
        assert_eq!(jobs.len(), 1);
        let (a, b) = (&from_bitsadmin[0], &jobs[0]);
        assert_eq!(
            (&a.id, &a.name, a.job_type, a.state, &a.owner, a.priority),
            (&b.id, &b.name, b.job_type, b.state, &b.owner, b.priority)
        );
    }
    assert_eq!(from_json[0].files, from_bitsadmin[0].files);
    assert_eq!(
        from_json[0].error.as_ref().map(|e| e.code.as_str()),
        Some("0x80072ee7")
    );
    // Format-List shows the file list only as text: not known.
    assert_eq!(from_list[0].files, None);
}
