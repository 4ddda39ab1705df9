//! No input makes a parser panic: arbitrary text, and the published
//! captures with characters deleted, inserted or replaced at random. Large
//! and pathological inputs finish (every parser is linear in its input).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::fs;
use std::path::PathBuf;

use import::{import, Kind, Names};
use proptest::prelude::*;

fn fixture(path: &str) -> String {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    fs::read_to_string(full).unwrap()
}

const FIXTURES: &[(Kind, &str)] = &[
    (Kind::Whoami, "whoami/en-cascade-all.txt"),
    (Kind::Whoami, "whoami/es-phantom-all.txt"),
    (Kind::Whoami, "whoami/es-bitup-iusr-all.txt"),
    (Kind::Whoami, "whoami/fr-tssr-groups.txt"),
    (Kind::Whoami, "whoami/fr-krbrelay-system-groups.txt"),
    (Kind::Whoami, "whoami/fr-ilearned-priv.txt"),
    (Kind::Whoami, "whoami/zh-bicker-all.txt"),
    (Kind::Whoami, "whoami/zh-xr0923-medium-all.txt"),
    (Kind::Whoami, "whoami/zh-xr0923-high-all.txt"),
    (Kind::Whoami, "whoami/zh-tsclient-mssql-all.txt"),
    (Kind::Whoami, "whoami/zh-wsreset-filtered-groups.txt"),
    (Kind::Whoami, "whoami/zh-wsreset-elevated-groups.txt"),
    (Kind::Icacls, "icacls/en-mmc.txt"),
    (Kind::Icacls, "icacls/en-crazy-keys.txt"),
    (Kind::Icacls, "icacls/de-tasks.txt"),
    (Kind::GetAcl, "get-acl/en-k8s-ca-crt.txt"),
    (Kind::GetAcl, "get-acl/fr-ilearned-psreflect.txt"),
    (Kind::GetAcl, "get-acl/en-tsclient-ifeo-key.txt"),
    (Kind::Bitsadmin, "bitsadmin/en-learn-verbose.txt"),
    (Kind::Bitstransfer, "bitstransfer/made-learn-json.txt"),
    (Kind::Bitstransfer, "bitstransfer/made-learn-list.txt"),
];

fn names() -> Names {
    let mut n = Names::parse(&fixture("names/di.yaml")).unwrap();
    n.insert("domain\\user", "S-1-5-21-1-2-3-1001".parse().unwrap());
    n
}

/// Text made of the characters these formats are built from, so that the
/// generator reaches deep into the parsers.
fn shaped_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("=".to_string()),
            Just("====== ".to_string()),
            Just(" ".to_string()),
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just("S-1-5-32-545".to_string()),
            Just("S-1-16-8192".to_string()),
            Just("S-1-5-5-0-77".to_string()),
            Just("SeChangeNotifyPrivilege".to_string()),
            Just("Enabled".to_string()),
            Just("Mandatory group, Enabled group".to_string()),
            Just("\"".to_string()),
            Just(",".to_string()),
            Just(":".to_string()),
            Just("：".to_string()),
            Just("(OI)(CI)(F)".to_string()),
            Just("BUILTIN\\Users:(RX)".to_string()),
            Just("GUID: {482FCAF0-74BF-469B-8929-5CCD028C9499}".to_string()),
            Just("JOB FILES:".to_string()),
            Just("0 / UNKNOWN WORKING a -> b".to_string()),
            Just("Sddl   : O:BAG:SYD:(A;;FA;;;SY)".to_string()),
            Just("Path : x".to_string()),
            Just("{\"JobId\": 1}".to_string()),
            Just("用户".to_string()),
            Just("\u{1b}[31m".to_string()),
            ".{0,6}",
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}", kind in 0usize..5) {
        let _ = import(Kind::ALL[kind], &text, &names());
    }

    #[test]
    fn shaped_text_never_panics(text in shaped_text(), kind in 0usize..5) {
        let result = import(Kind::ALL[kind], &text, &names());
        if let Err(e) = result {
            // Every position lies inside the text.
            prop_assert!(e.offset <= text.len());
            prop_assert!(e.offset + e.len <= text.len());
            prop_assert!(e.line >= 1 && e.column >= 1);
        }
    }

    #[test]
    fn damaged_captures_never_panic(
        which in 0usize..FIXTURES.len(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..8),
    ) {
        let (kind, path) = FIXTURES[which];
        let mut chars: Vec<char> = fixture(path).chars().collect();
        for (at, op, c) in edits {
            if chars.is_empty() {
                break;
            }
            let i = at.index(chars.len());
            match op {
                0 => { chars.remove(i); }
                1 => chars.insert(i, c),
                _ => chars[i] = c,
            }
        }
        let text: String = chars.into_iter().collect();
        let _ = import(kind, &text, &names());
    }
}

#[test]
fn large_and_pathological_inputs_finish() {
    // A whoami table of 40,000 group rows.
    let capture = fixture("whoami/en-cascade-all.txt");
    let row = "Everyone                                    Well-known group S-1-1-0                                        Mandatory group, Enabled by default, Enabled group\n";
    let at = capture.find("BUILTIN\\Users ").unwrap();
    let big = format!("{}{}{}", &capture[..at], row.repeat(40_000), &capture[at..]);
    let yaml = import(Kind::Whoami, &big, &Names::new()).unwrap();
    assert!(yaml.contains("# 40011 groups"), "{}", &yaml[..200]);

    // The same rows each followed by a blank line (a row the console
    // wrapped into spaces): the table goes on across every one of them.
    let spaced = format!(
        "{}{}{}",
        &capture[..at],
        format!("{row}{}\n", " ".repeat(30)).repeat(40_000),
        &capture[at..]
    );
    let yaml = import(Kind::Whoami, &spaced, &Names::new()).unwrap();
    assert!(yaml.contains("# 40011 groups"), "{}", &yaml[..200]);

    // One long icacls line made of spaces and `:(`: rejected, not searched forever.
    let line = format!("C:\\x {}\n", " a:(".repeat(7_000));
    assert!(import(Kind::Icacls, &line, &Names::new()).is_err());

    // Many rows that never parse under one rule: rejected.
    let junk = format!("=== ===\n{}", "x y\n".repeat(100_000));
    assert!(import(Kind::Whoami, &junk, &Names::new()).is_err());

    // Over the size limit.
    let huge = "a".repeat(import::MAX_INPUT_BYTES + 1);
    let err = import(Kind::Bitsadmin, &huge, &Names::new()).unwrap_err();
    assert!(err.message.contains("longer than"), "{err}");
}
