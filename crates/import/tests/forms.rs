//! The other shapes real output takes: `/fo list` and `/fo csv`, rows a
//! console wrapped, CJK text whose characters take two cells, and
//! hand-broken variants of the published captures, each of which must be
//! rejected at the right line and column.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::fs;
use std::path::PathBuf;

use import::{import, Kind, Names};

fn fixture(path: &str) -> String {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    fs::read_to_string(full).unwrap()
}

fn whoami(text: &str) -> Result<String, import::ImportError> {
    import(Kind::Whoami, text, &Names::new())
}

/// The user, the first groups and privileges of the English capture, as
/// `/fo list` lays them out (written by hand from the table form).
const LIST: &str = "
USER INFORMATION
----------------

User Name: cascade\\arksvc
SID:       S-1-5-21-3332504370-1206983947-1165150453-1106


GROUP INFORMATION
-----------------

Group Name: Everyone
Type:       Well-known group
SID:        S-1-1-0
Attributes: Mandatory group, Enabled by default, Enabled group

Group Name: CASCADE\\Data Share
Type:       Alias
SID:        S-1-5-21-3332504370-1206983947-1165150453-1138
Attributes: Mandatory group, Enabled by default, Enabled group, Local Group

Group Name: Mandatory Label\\Medium Plus Mandatory Level
Type:       Label
SID:        S-1-16-8448
Attributes:


PRIVILEGES INFORMATION
----------------------

Privilege Name: SeMachineAccountPrivilege
Description:    Add workstations to domain
State:          Enabled

Privilege Name: SeShutdownPrivilege
Description:    Shut down the system
State:          Disabled
";

/// The same records as `/fo csv` lays them out.
const CSV: &str = "\"User Name\",\"SID\"
\"cascade\\arksvc\",\"S-1-5-21-3332504370-1206983947-1165150453-1106\"

\"Group Name\",\"Type\",\"SID\",\"Attributes\"
\"Everyone\",\"Well-known group\",\"S-1-1-0\",\"Mandatory group, Enabled by default, Enabled group\"
\"CASCADE\\Data Share\",\"Alias\",\"S-1-5-21-3332504370-1206983947-1165150453-1138\",\"Mandatory group, Enabled by default, Enabled group, Local Group\"
\"Mandatory Label\\Medium Plus Mandatory Level\",\"Label\",\"S-1-16-8448\",\"\"

\"Privilege Name\",\"Description\",\"State\"
\"SeMachineAccountPrivilege\",\"Add workstations to domain\",\"Enabled\"
\"SeShutdownPrivilege\",\"Shut down the system\",\"Disabled\"
";

/// And as the default table.
const TABLE: &str = "
USER INFORMATION
----------------

User Name      SID
============== ==============================================
cascade\\arksvc S-1-5-21-3332504370-1206983947-1165150453-1106

GROUP INFORMATION
-----------------

Group Name                                  Type             SID                                            Attributes
=========================================== ================ ============================================== ===============================================================
Everyone                                    Well-known group S-1-1-0                                        Mandatory group, Enabled by default, Enabled group
CASCADE\\Data Share                          Alias            S-1-5-21-3332504370-1206983947-1165150453-1138 Mandatory group, Enabled by default, Enabled group, Local Group
Mandatory Label\\Medium Plus Mandatory Level Label            S-1-16-8448

PRIVILEGES INFORMATION
----------------------

Privilege Name                Description                    State
============================= ============================== =======
SeMachineAccountPrivilege     Add workstations to domain     Enabled
SeShutdownPrivilege           Shut down the system           Disabled
";

#[test]
fn table_list_and_csv_forms_give_the_same_token_file() {
    let table = whoami(TABLE).unwrap();
    assert_eq!(whoami(LIST).unwrap(), table);
    assert_eq!(whoami(CSV).unwrap(), table);
    assert!(
        table.contains("- { name: SeShutdownPrivilege, enabled: false }"),
        "{table}"
    );
    assert!(table.contains("integrity: medium_plus"), "{table}");
}

#[test]
fn crlf_line_endings_and_a_byte_order_mark_change_nothing() {
    let crlf = format!("\u{feff}{}", TABLE.replace('\n', "\r\n"));
    assert_eq!(whoami(&crlf).unwrap(), whoami(TABLE).unwrap());
}

#[test]
fn a_row_the_console_wrapped_is_joined_back() {
    let text = fixture("whoami/en-cascade-all.txt");
    let mut wrapped = String::new();
    for line in text.lines() {
        if line.len() > 120 {
            wrapped.push_str(&line[..120]);
            wrapped.push('\n');
            wrapped.push_str(&line[120..]);
        } else {
            wrapped.push_str(line);
        }
        wrapped.push('\n');
    }
    assert_ne!(wrapped, text);
    assert_eq!(whoami(&wrapped).unwrap(), whoami(&text).unwrap());
}

/// A hand-made table in the layout of the Chinese whoami (titles and
/// descriptions in Chinese, column rules sized in display cells, two per
/// CJK character). Not a capture: it checks the width arithmetic.
const CJK: &str = "
用户信息
--------

用户名        SID
============= ========
nt authority\\system S-1-5-18

特权信息
--------

特权名                          描述                 状态
=============================== ==================== =======
SeChangeNotifyPrivilege         绕过遍历检查         Enabled
SeTimeZonePrivilege             更改时区             Disabled
";

#[test]
fn cjk_text_does_not_shift_the_columns() {
    let yaml = whoami(CJK).unwrap();
    assert!(yaml.contains("user: S-1-5-18"), "{yaml}");
    assert!(
        yaml.contains("- { name: SeChangeNotifyPrivilege, enabled: true }"),
        "{yaml}"
    );
    assert!(
        yaml.contains("- { name: SeTimeZonePrivilege, enabled: false }"),
        "{yaml}"
    );
}

/// `text` as a console `cells` wide shows it: whoami pads every header
/// and row of a table with spaces to the width of the table's rule row,
/// and a line wider than the console goes on on the next line (a wide
/// character that does not fit moves whole). `trim` drops the spaces at
/// the end of each piece, as copying from many terminals does.
fn console(text: &str, cells: usize, trim: bool) -> String {
    use unicode_width::UnicodeWidthStr;
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    let mut width = None;
    for (i, line) in lines.iter().enumerate() {
        let next = lines.get(i + 1).copied().unwrap_or("");
        if next.starts_with("===") {
            width = Some(next.width());
        }
        if line.trim().is_empty() {
            width = None;
        }
        let mut padded = (*line).to_string();
        if let Some(w) = width {
            if !line.starts_with("===") {
                padded.push_str(&" ".repeat(w.saturating_sub(line.width())));
            }
        }
        let mut piece = String::new();
        let mut used = 0;
        for c in padded.chars() {
            let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if used + w > cells {
                out.push_str(if trim { piece.trim_end() } else { &piece });
                out.push('\n');
                piece.clear();
                used = 0;
            }
            piece.push(c);
            used += w;
        }
        out.push_str(if trim { piece.trim_end() } else { &piece });
        out.push('\n');
    }
    out
}

#[test]
fn a_table_wider_than_the_console_reads_the_same() {
    // The published Chinese capture whose label row comes first: padded
    // to its width, the label row wraps into a line of spaces before the
    // other groups, and every other row wraps inside its SID column's
    // padding (90 cells) or between two attribute phrases (100 cells).
    let text = fixture("whoami/zh-tsclient-mssql-all.txt");
    let whole = whoami(&text).unwrap();
    assert!(whole.contains("# 10 groups, 6 privileges."), "{whole}");
    for cells in [90, 100] {
        for trim in [false, true] {
            let shown = console(&text, cells, trim);
            assert!(
                shown.lines().count() > text.lines().count() + 10,
                "{cells} {trim}: nothing wrapped"
            );
            // The label row's padding is a line of its own, blank.
            let label = shown
                .lines()
                .position(|l| l.starts_with("Mandatory Label"))
                .unwrap();
            assert_eq!(shown.lines().nth(label + 1).map(str::trim), Some(""));
            assert_eq!(
                whoami(&shown).unwrap(),
                whole,
                "{cells} cells, trimmed {trim}:\n{shown}"
            );
        }
    }
}

/// German privilege rows as a published `whoami /priv` listing shows
/// them (descriptions with ü, ö and ß), under a rule row sized to them by
/// hand: the layout is made up, the rows and states are not.
const GERMAN_PRIV: &str = "
============================= =============================================== ===========
SeShutdownPrivilege           Herunterfahren des Systems                      Deaktiviert
SeChangeNotifyPrivilege       Auslassen der durchsuchenden Überprüfung        Aktiviert
SeUndockPrivilege             Entfernen des Computers von der Docking-Station Deaktiviert
SeIncreaseWorkingSetPrivilege Arbeitssatz eines Prozesses vergrößern          Deaktiviert
SeTimeZonePrivilege           Ändern der Zeitzone                             Deaktiviert
";

#[test]
fn german_privilege_states() {
    let capture = import::whoami::parse(GERMAN_PRIV).unwrap();
    let states: Vec<bool> = capture.privileges.iter().map(|(_, on)| *on).collect();
    assert_eq!(states, [false, true, false, false, false]);
}

#[test]
fn a_cjk_phrase_is_never_matched_by_its_length_alone() {
    // 禁用的组 is as long as 启用的组 and shares two characters with it,
    // but is no phrase whoami prints: it is rejected, not guessed.
    let text = fixture("whoami/zh-bicker-all.txt").replacen("启用的组", "禁用的组", 1);
    let err = whoami(&text).unwrap_err();
    assert_eq!(err.message, "unknown group attribute `禁用的组`");
    let text = fixture("whoami/zh-xr0923-medium-all.txt").replacen("已禁用", "已停用", 1);
    let err = whoami(&text).unwrap_err();
    assert_eq!(err.message, "unknown privilege state `已停用`");
}

#[test]
fn whoami_output_is_byte_identical_run_to_run() {
    let text = fixture("whoami/es-phantom-all.txt");
    assert_eq!(whoami(&text).unwrap(), whoami(&text).unwrap());
}

// ------------------------------------------------------- hand-broken variants

fn position(err: &import::ImportError) -> (usize, usize) {
    (err.line, err.column)
}

#[test]
fn a_truncated_last_row_is_rejected_where_it_stops() {
    let text = fixture("whoami/en-cascade-all.txt");
    let cut = text.find("SeIncreaseWorkingSetPrivilege Increase").unwrap()
        + "SeIncreaseWorkingSetPrivilege Incr".len();
    let err = whoami(&text[..cut]).unwrap_err();
    assert!(
        err.message.contains("unknown privilege state `Incr`"),
        "{err}"
    );
    assert_eq!(err.line, 35);

    let cut = text.find("S-1-5-64-10").unwrap() + 3;
    let err = whoami(&text[..cut]).unwrap_err();
    assert!(err.message.contains("does not read as a row"), "{err}");
    assert_eq!(position(&err), (24, 1));
}

#[test]
fn a_broken_sid_in_the_middle_of_a_table_is_not_skipped() {
    let text = fixture("whoami/en-cascade-all.txt").replace("S-1-5-32-554", "S-1-5-3x-554");
    let err = whoami(&text).unwrap_err();
    assert!(err.message.contains("BUILTIN\\Pre-Windows 2000"), "{err}");
    assert_eq!(position(&err), (16, 1));
}

#[test]
fn an_attribute_phrase_in_an_unknown_language_is_named() {
    let text =
        fixture("whoami/en-cascade-all.txt").replacen("Mandatory group", "Verbindliche Gruppe", 1);
    let err = whoami(&text).unwrap_err();
    assert_eq!(err.message, "unknown group attribute `Verbindliche Gruppe`");
    assert_eq!(position(&err), (14, 109));
}

#[test]
fn an_unknown_privilege_is_named() {
    let text = fixture("whoami/en-cascade-all.txt")
        .replace("SeMachineAccountPrivilege ", "SeMakeCoffeePrivilege     ");
    let err = whoami(&text).unwrap_err();
    assert!(err.message.contains("`SeMakeCoffeePrivilege`"), "{err}");
    assert_eq!(position(&err), (33, 1));
}

#[test]
fn two_user_sections_are_two_tokens() {
    let text = fixture("whoami/en-cascade-all.txt");
    let twice = format!("{text}\n{text}");
    let err = whoami(&twice).unwrap_err();
    assert!(err.message.contains("second user record"), "{err}");
}

#[test]
fn foreign_input_has_no_user_section() {
    for other in [
        "icacls/en-mmc.txt",
        "get-acl/en-k8s-ca-crt.txt",
        "bitsadmin/en-learn-verbose.txt",
    ] {
        let err = whoami(&fixture(other)).unwrap_err();
        assert!(
            err.message.contains("no user section") || err.message.contains("neither"),
            "{other}: {err}"
        );
    }
    assert!(whoami("").unwrap_err().message.contains("no user section"));
}

#[test]
fn an_unclosed_csv_quote_is_rejected() {
    let err =
        whoami("\"User Name\",\"SID\"\n\"cascade\\arksvc\",\"S-1-5-21-1-2-3-1106\n").unwrap_err();
    assert!(err.message.contains("never closed"), "{err}");
    assert_eq!(position(&err), (2, 18));
}

#[test]
fn icacls_errors_point_at_the_entry() {
    let text =
        fixture("icacls/en-mmc.txt").replace("BUILTIN\\Users:(RX)", "BUILTIN\\Users:(RX,ZZ)");
    let err = import(Kind::Icacls, &text, &Names::new()).unwrap_err();
    assert_eq!(err.message, "unknown right `ZZ`");
    assert_eq!(err.line, 4);

    let err = import(Kind::Icacls, "   BUILTIN\\Users:(RX)\n", &Names::new()).unwrap_err();
    assert!(err.message.contains("no object line before it"), "{err}");

    let err = import(
        Kind::Icacls,
        "Successfully processed 0 files; Failed processing 1 files\n",
        &Names::new(),
    )
    .unwrap_err();
    assert!(err.message.contains("no object"), "{err}");

    let deny = "C:\\x Everyone:(OI)(CI)(DENY)(W)\n    BUILTIN\\Users:(RX)\n";
    let yaml = import(Kind::Icacls, deny, &Names::new()).unwrap();
    assert!(
        yaml.contains("sddl: 'D:(D;OICI;0x100116;;;WD)(A;;0x1200a9;;;BU)'"),
        "{yaml}"
    );

    // A path with spaces and a single entry: split where the name resolves.
    let yaml = import(
        Kind::Icacls,
        "C:\\My Files NT AUTHORITY\\SYSTEM:(F)\n",
        &Names::new(),
    )
    .unwrap();
    assert!(yaml.contains("path: 'C:\\My Files'"), "{yaml}");
    // A mandatory label goes to the SACL.
    let yaml = import(
        Kind::Icacls,
        "C:\\ BUILTIN\\Administrators:(OI)(CI)(F)\n    Mandatory Label\\High Mandatory Level:(OI)(NP)(IO)(NW)\n",
        &Names::new(),
    )
    .unwrap();
    assert!(yaml.contains("S:(ML;OINPIO;NW;;;HI)"), "{yaml}");
}

#[test]
fn get_acl_errors_point_into_the_sddl() {
    let text = fixture("get-acl/en-k8s-ca-crt.txt").replace("(A;ID;FA;;;BA)", "(A;ID;FA;;;QQ)");
    let err = import(Kind::GetAcl, &text, &Names::new()).unwrap_err();
    assert!(err.message.contains("not valid SDDL"), "{err}");
    assert_eq!(err.line, 9);
    assert!(err.column > 10, "{err}");

    let table = "Path Owner Access\n---- ----- ------\nx    BA    ...\n";
    let err = import(Kind::GetAcl, table, &Names::new()).unwrap_err();
    assert!(err.expected.contains("Format-List"), "{err}");
}

#[test]
fn the_lines_a_current_bitsadmin_adds_are_stepped_over() {
    // Microsoft Learn's sample predates these lines; they are added by
    // hand (no published capture shows them, so their layout is a guess
    // at bitsadmin 3.0's: labels followed by a colon).
    let names = Names::parse(&fixture("names/learn.yaml")).unwrap();
    let text = fixture("bitsadmin/en-learn-verbose.txt");
    let current = text.replace(
        "NOTIFICATION COMMAND LINE: none\n",
        "NOTIFICATION COMMAND LINE: none\nowner MIC integrity level: MEDIUM\nowner elevated ?           false\n\nPeercaching flags\n\tEnable download from peers      :false\n\tEnable serving to peers         :false\n\nCUSTOM HEADERS: NULL\n",
    );
    assert_ne!(current, text);
    assert_eq!(
        import(Kind::Bitsadmin, &current, &names).unwrap(),
        import(Kind::Bitsadmin, &text, &names).unwrap()
    );
}

#[test]
fn bits_errors() {
    let names = Names::parse(&fixture("names/learn.yaml")).unwrap();
    let text = fixture("bitsadmin/en-learn-verbose.txt");
    let no_files = text.replace(
        "JOB FILES:\n        0 / UNKNOWN WORKING https://downloadsrv/10mb.zip -> c:\\10mb.zip\n",
        "",
    );
    let err = import(Kind::Bitsadmin, &no_files, &names).unwrap_err();
    assert!(err.message.contains("no `JOB FILES:`"), "{err}");
    assert_eq!(position(&err), (1, 1));

    let bad_state = text.replace("TRANSIENT_ERROR", "SLEEPING");
    let err = import(Kind::Bitsadmin, &bad_state, &names).unwrap_err();
    assert!(err.message.contains("`SLEEPING`"), "{err}");
    assert_eq!(position(&err), (2, 23));

    let bad_file = text.replace("0 / UNKNOWN WORKING", "zero / UNKNOWN WORKING");
    let err = import(Kind::Bitsadmin, &bad_file, &names).unwrap_err();
    assert!(err.message.contains("not a job file line"), "{err}");
    assert_eq!(position(&err), (15, 9));

    let json = fixture("bitstransfer/made-learn-json.txt");
    let broken = json.replace("\"Priority\":  2,", "\"Priority\":  2");
    let err = import(Kind::Bitstransfer, &broken, &names).unwrap_err();
    assert!(err.message.contains("not valid JSON"), "{err}");
    // serde_json notices the missing comma at the next key.
    assert_eq!(err.line, 9);

    let shallow = json.replace(
        &json[json.find("\"FileList\":  [").unwrap()
            ..json
                .find("],\n        \"ErrorContextDescription\"")
                .unwrap()
                + 1],
        "\"FileList\":  [\"Microsoft.BackgroundIntelligentTransfer.Management.BitsFile\"]",
    );
    let err = import(Kind::Bitstransfer, &shallow, &names).unwrap_err();
    assert!(err.message.contains("type names"), "{err}");
    assert!(err.expected.contains("-Depth 3"), "{err}");

    let err = import(Kind::Bitsadmin, "", &names).unwrap_err();
    assert!(err.message.contains("no job"), "{err}");
    let empty = import(
        Kind::Bitsadmin,
        "BITSADMIN version 3.0\n\nListed 0 job(s).\n",
        &names,
    )
    .unwrap();
    assert!(empty.contains("jobs: []"), "{empty}");
}

#[test]
fn accents_a_code_page_mix_up_replaced_still_match() {
    // The French capture as it reads when its CP850 bytes are taken for
    // UTF-8 (each accented letter one U+FFFD) or typed back as `?`.
    let text = fixture("whoami/fr-tssr-groups.txt");
    for damaged in [text.replace('é', "\u{fffd}"), text.replace('é', "?")] {
        let capture = import::whoami::parse(&damaged).unwrap();
        assert_eq!(capture.groups.len(), 9);
        assert!(capture
            .groups
            .iter()
            .all(|g| g.attributes == winsec::token::group_attrs::DEFAULT));
    }
    // The French privilege states likewise.
    let privs = fixture("whoami/fr-ilearned-priv.txt");
    for damaged in [privs.replace('é', "\u{fffd}"), privs.replace('é', "?")] {
        let capture = import::whoami::parse(&damaged).unwrap();
        let states: Vec<bool> = capture.privileges.iter().map(|(_, on)| *on).collect();
        assert_eq!(states, [false, true, false, false, false]);
    }
    // An ASCII letter that differs is still a different phrase.
    let wrong = text.replacen("Groupe activé", "Groupe activX", 1);
    assert!(import::whoami::parse(&wrong).is_err());
}
