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
use winsec::token::group_attrs::{
    DEFAULT, ENABLED, ENABLED_BY_DEFAULT, MANDATORY, OWNER, RESOURCE, USE_FOR_DENY_ONLY,
};
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
fn spanish_iis_account_with_a_deny_only_group() {
    let yaml = import(
        Kind::Whoami,
        &fixture("whoami/es-bitup-iusr-all.txt"),
        &Names::new(),
    )
    .unwrap();
    let t = token(&yaml);
    assert_eq!(t.user.sid.to_string(), "S-1-5-17");
    assert_eq!(t.integrity.0, 0x3000);
    let got: Vec<(String, u32)> = t
        .groups
        .iter()
        .map(|g| (g.sid.to_string(), g.attributes))
        .collect();
    assert_eq!(
        got,
        [
            ("S-1-1-0".to_string(), DEFAULT),
            ("S-1-5-32-545".to_string(), DEFAULT),
            // Grupo usado solo para denegar.
            ("S-1-5-6".to_string(), USE_FOR_DENY_ONLY),
            ("S-1-2-1".to_string(), DEFAULT),
            ("S-1-5-11".to_string(), DEFAULT),
            ("S-1-5-15".to_string(), DEFAULT),
            ("S-1-2-0".to_string(), DEFAULT),
        ]
    );
    assert_eq!(
        privileges(&t),
        [
            (Privilege::ChangeNotify, true),
            (Privilege::Impersonate, true),
            (Privilege::CreateGlobal, true),
        ]
    );
    // SERVICE is deny-only but no UAC privileged group: not a limited token.
    assert_eq!(t.elevation_type, winsec::ElevationType::Default);
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

fn sids(t: &winsec::Token) -> Vec<String> {
    t.groups.iter().map(|g| g.sid.to_string()).collect()
}

fn privileges(t: &winsec::Token) -> Vec<(Privilege, bool)> {
    t.privileges
        .iter()
        .map(|p| (p.privilege, p.is_enabled()))
        .collect()
}

#[test]
fn chinese_whoami_all_becomes_the_captured_token() {
    let yaml = import(
        Kind::Whoami,
        &fixture("whoami/zh-bicker-all.txt"),
        &Names::new(),
    )
    .unwrap();
    let t = token(&yaml);
    assert_eq!(
        t.user.sid.to_string(),
        "S-1-5-21-298176814-2846777796-698167141-1103"
    );
    assert_eq!(
        sids(&t),
        [
            "S-1-1-0",
            "S-1-5-32-555",
            "S-1-5-32-580",
            "S-1-5-32-545",
            "S-1-5-32-554",
            "S-1-5-2",
            "S-1-5-11",
            "S-1-5-15",
            "S-1-5-21-298176814-2846777796-698167141-1101",
            "S-1-5-64-10",
        ]
    );
    // 必需的组, 启用于默认, 启用的组 on every row; 本地组 (Local Group) on DnsAdmins only.
    for g in &t.groups {
        let expected = if g.sid.to_string().ends_with("-1101") {
            DEFAULT | RESOURCE
        } else {
            DEFAULT
        };
        assert_eq!(g.attributes, expected, "{}", g.sid);
    }
    // Medium Plus Mandatory Level, read from the label row, not a group.
    assert_eq!(t.integrity.0, 0x2100);
    assert_eq!(
        privileges(&t),
        [
            (Privilege::MachineAccount, true),
            (Privilege::ChangeNotify, true),
            (Privilege::IncreaseWorkingSet, true),
        ]
    );
    assert_eq!(t.elevation_type, winsec::ElevationType::Default);
}

#[test]
fn chinese_medium_and_high_tokens_of_one_user_differ_where_the_captures_do() {
    let medium = token(
        &import(
            Kind::Whoami,
            &fixture("whoami/zh-xr0923-medium-all.txt"),
            &Names::new(),
        )
        .unwrap(),
    );
    let high = token(
        &import(
            Kind::Whoami,
            &fixture("whoami/zh-xr0923-high-all.txt"),
            &Names::new(),
        )
        .unwrap(),
    );
    assert_eq!(medium.user.sid, high.user.sid);
    assert_eq!(
        medium.user.sid.to_string(),
        "S-1-5-21-754105099-1176710061-2177073800-1001"
    );
    assert_eq!(medium.integrity.0, 0x2000);
    assert_eq!(high.integrity.0, 0x3000);
    // 已启用 / 已禁用.
    assert_eq!(
        privileges(&medium),
        [
            (Privilege::ChangeNotify, true),
            (Privilege::IncreaseWorkingSet, false),
        ]
    );
    assert_eq!(
        privileges(&high),
        [
            (Privilege::Restore, false),
            (Privilege::ChangeNotify, true),
            (Privilege::IncreaseWorkingSet, false),
        ]
    );
    // The RDP session's REMOTE INTERACTIVE LOGON is in the medium token only.
    assert!(sids(&medium).contains(&"S-1-5-14".to_string()));
    assert!(!sids(&high).contains(&"S-1-5-14".to_string()));
    assert_eq!((medium.groups.len(), high.groups.len()), (11, 10));
    assert!(sids(&medium).contains(&"S-1-5-113".to_string()));
    assert!(medium.groups.iter().all(|g| g.attributes == DEFAULT));
}

#[test]
fn a_service_account_whose_label_row_comes_first() {
    let yaml = import(
        Kind::Whoami,
        &fixture("whoami/zh-tsclient-mssql-all.txt"),
        &Names::new(),
    )
    .unwrap();
    let t = token(&yaml);
    assert_eq!(
        t.user.sid.to_string(),
        "S-1-5-80-3880718306-3832830129-1677859214-2598158968-1052248003"
    );
    assert_eq!(t.integrity.0, 0x3000);
    let groups = sids(&t);
    assert_eq!(groups.len(), 10);
    assert_eq!(groups[0], "S-1-1-0");
    assert_eq!(groups[9], "S-1-5-80-0");
    assert!(!groups.iter().any(|s| s.starts_with("S-1-16-")));
    assert_eq!(
        privileges(&t),
        [
            (Privilege::AssignPrimaryToken, false),
            (Privilege::IncreaseQuota, false),
            (Privilege::ChangeNotify, true),
            (Privilege::Impersonate, true),
            (Privilege::CreateGlobal, true),
            (Privilege::IncreaseWorkingSet, false),
        ]
    );
}

#[test]
fn chinese_deny_only_and_owner_phrases() {
    let filtered =
        import::whoami::parse(&fixture("whoami/zh-wsreset-filtered-groups.txt")).unwrap();
    let attrs = |c: &import::whoami::Capture, sid: &str| {
        c.groups
            .iter()
            .find(|g| g.sid.to_string() == sid)
            .map(|g| g.attributes)
            .unwrap()
    };
    // 只用于拒绝的组 alone: deny-only, neither mandatory nor enabled.
    assert_eq!(attrs(&filtered, "S-1-5-32-544"), USE_FOR_DENY_ONLY);
    assert_eq!(attrs(&filtered, "S-1-5-114"), USE_FOR_DENY_ONLY);
    assert_eq!(attrs(&filtered, "S-1-5-32-545"), DEFAULT);
    assert_eq!(filtered.integrity.map(|l| l.0), Some(0x2000));
    assert_eq!(filtered.groups.len(), 11);

    let elevated =
        import::whoami::parse(&fixture("whoami/zh-wsreset-elevated-groups.txt")).unwrap();
    // 组的所有者 (Group owner) on Administrators once elevated.
    assert_eq!(attrs(&elevated, "S-1-5-32-544"), DEFAULT | OWNER);
    assert_eq!(attrs(&elevated, "S-1-5-114"), DEFAULT);
    assert_eq!(elevated.integrity.map(|l| l.0), Some(0x3000));
    // Neither is a token: they have no user section.
    let err = import(
        Kind::Whoami,
        &fixture("whoami/zh-wsreset-filtered-groups.txt"),
        &Names::new(),
    )
    .unwrap_err();
    assert!(err.message.contains("no user section"), "{err}");
}

#[test]
fn french_owner_phrase_and_privilege_states() {
    let system = import::whoami::parse(&fixture("whoami/fr-krbrelay-system-groups.txt")).unwrap();
    let got: Vec<(String, u32)> = system
        .groups
        .iter()
        .map(|g| (g.sid.to_string(), g.attributes))
        .collect();
    assert_eq!(
        got,
        [
            // Activé par défaut, Groupe activé, Propriétaire du groupe: not mandatory.
            (
                "S-1-5-32-544".to_string(),
                ENABLED_BY_DEFAULT | ENABLED | OWNER
            ),
            ("S-1-1-0".to_string(), DEFAULT),
            ("S-1-5-11".to_string(), DEFAULT),
        ]
    );
    assert_eq!(system.integrity.map(|l| l.0), Some(0x4000));

    let privs = import::whoami::parse(&fixture("whoami/fr-ilearned-priv.txt")).unwrap();
    assert_eq!(
        privs.privileges,
        [
            (Privilege::Shutdown, false),
            (Privilege::ChangeNotify, true),
            (Privilege::Undock, false),
            (Privilege::IncreaseWorkingSet, false),
            (Privilege::TimeZone, false),
        ]
    );
    assert!(privs.groups.is_empty() && privs.user.is_none());
}

#[test]
fn german_icacls_names_resolve_without_a_names_file() {
    let yaml = import(Kind::Icacls, &fixture("icacls/de-tasks.txt"), &Names::new()).unwrap();
    assert!(yaml.contains("path: 'C:/Windows/System32/Tasks'"), "{yaml}");
    let sddl = only_sddl(&yaml);
    // (R,W,D,WDAC,WO) = 0x120089 | 0x100116 | 0x10000 | 0x40000 | 0x80000;
    // (W,Rc) = 0x100116 | 0x20000.
    assert_eq!(
        sddl,
        "D:(A;CI;FA;;;BA)(A;OI;0x1f019f;;;BA)(A;CI;FA;;;SY)(A;OI;0x1f019f;;;SY)(A;CI;0x120116;;;AU)(A;CI;0x120116;;;NS)(A;CI;0x120116;;;LS)(A;OICIIO;FA;;;CO)"
    );
    SecurityDescriptor::from_sddl(&sddl).unwrap();
}

#[test]
fn french_get_acl_with_an_sddl_wrapped_inside_an_ace() {
    let yaml = import(
        Kind::GetAcl,
        &fixture("get-acl/fr-ilearned-psreflect.txt"),
        &Names::new(),
    )
    .unwrap();
    assert!(
        yaml.contains("path: 'D:\\tools\\PowerShellScript\\PSReflect-Functions'"),
        "{yaml}"
    );
    // `SD` at the end of one line and `GXGWGR` at the start of the next are one ACE.
    assert_eq!(
        only_sddl(&yaml),
        "O:S-1-5-21-1739485902-3336647338-3362325240-1001G:S-1-5-21-1739485902-3336647338-3362325240-513D:(A;ID;FA;;;BA)(A;OICIIOID;GA;;;BA)(A;ID;FA;;;SY)(A;OICIIOID;GA;;;SY)(A;ID;0x1301bf;;;AU)(A;OICIIOID;SDGXGWGR;;;AU)(A;ID;0x1200a9;;;BU)(A;OICIIOID;GXGR;;;BU)"
    );
}

#[test]
fn get_acl_format_list_star_of_a_registry_key() {
    let yaml = import(
        Kind::GetAcl,
        &fixture("get-acl/en-tsclient-ifeo-key.txt"),
        &Names::new(),
    )
    .unwrap();
    // `Path`, not `PSPath` or `PSParentPath`, with the provider prefix removed.
    assert!(
        yaml.contains(
            "path: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options'"
        ),
        "{yaml}"
    );
    let sddl = only_sddl(&yaml);
    let captured = SecurityDescriptor::from_sddl(
        "O:SYG:SYD:PAI(A;CIIO;KA;;;CO)(A;CI;CCDCLCSWRPRC;;;AU)(A;CI;KA;;;SY)(A;CI;KA;;;BA)(A;CI;KR;;;BU)(A;CI;KR;;;AC)",
    )
    .unwrap();
    // The same descriptor, printed by winsec (KA and KR as their rights).
    assert_eq!(SecurityDescriptor::from_sddl(&sddl).unwrap(), captured);
    assert_eq!(sddl, captured.to_sddl());
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
