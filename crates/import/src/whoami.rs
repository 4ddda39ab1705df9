//! `whoami /all` (and any of `/user`, `/groups`, `/priv` together) in its
//! three forms, table, `/fo list` and `/fo csv`, read into a token file.
//!
//! Windows prints the section titles, column headers, group types,
//! attribute phrases and privilege states in the user's language, so the
//! parser never looks at titles or headers. Tables are found by their
//! `====` rule rows and records by their shape:
//!
//! * a user record has two cells, the second a SID;
//! * a group record has four cells, the third a SID (the fourth, the
//!   attributes, may be empty, as on the mandatory label row);
//! * a privilege record has three cells, the first a privilege's
//!   programmatic name (`SeChangeNotifyPrivilege`, never translated).
//!
//! In table form the group SID is found as a whole word rather than by
//! column offset, so names that are wider or narrower on the console than
//! their character count (CJK characters take two cells) cannot shift it;
//! the privilege state is cut at its column's display cell, falling back
//! to the last word. A row that a console wrapped onto the next line is
//! joined back, and a table whose rows the console wrapped into blank
//! lines (a row padded with spaces to the table's width, wider than the
//! console) goes on past them. Attribute phrases and privilege states are
//! matched against the phrases published captures show
//! ([`GROUP_ATTRIBUTE_PHRASES`], [`PRIVILEGE_STATES`]); any other phrase
//! is rejected by name rather than guessed.
//!
//! What the token file gets, and from where, is in `docs/import.md`.

use winsec::token::{group_attrs, is_uac_privileged_group};
use winsec::{IntegrityLevel, Privilege, Sid};

use crate::error::ImportError;
use crate::names::parse_sid;
use crate::text::{byte_at_cell, lines, offset_in, quote, rule_columns, Line};

/// Attribute phrases `whoami /groups` prints, lower-cased, with the
/// `SE_GROUP_*` bits each stands for, each from a published capture in
/// `crates/import/tests/fixtures/whoami/` (its `.source.md` says where it
/// was published): English from `en-cascade-all.txt` and the public issue
/// threads it cites; French from `fr-tssr-groups.txt` and
/// `fr-krbrelay-system-groups.txt`; Spanish from `es-phantom-all.txt` and
/// `es-bitup-iusr-all.txt` (grupo usado solo para denegar);
/// Chinese (Simplified) from `zh-bicker-all.txt` (本地组),
/// `zh-wsreset-filtered-groups.txt` (只用于拒绝的组) and
/// `zh-wsreset-elevated-groups.txt` (组的所有者).
pub const GROUP_ATTRIBUTE_PHRASES: &[(&str, u32)] = &[
    ("mandatory group", group_attrs::MANDATORY),
    ("enabled by default", group_attrs::ENABLED_BY_DEFAULT),
    ("enabled group", group_attrs::ENABLED),
    ("group owner", group_attrs::OWNER),
    ("group used for deny only", group_attrs::USE_FOR_DENY_ONLY),
    ("local group", group_attrs::RESOURCE),
    ("groupe obligatoire", group_attrs::MANDATORY),
    ("activé par défaut", group_attrs::ENABLED_BY_DEFAULT),
    ("groupe activé", group_attrs::ENABLED),
    ("propriétaire du groupe", group_attrs::OWNER),
    ("grupo obligatorio", group_attrs::MANDATORY),
    (
        "habilitado de manera predeterminada",
        group_attrs::ENABLED_BY_DEFAULT,
    ),
    ("grupo habilitado", group_attrs::ENABLED),
    (
        "grupo usado solo para denegar",
        group_attrs::USE_FOR_DENY_ONLY,
    ),
    ("必需的组", group_attrs::MANDATORY),
    ("启用于默认", group_attrs::ENABLED_BY_DEFAULT),
    ("启用的组", group_attrs::ENABLED),
    ("组的所有者", group_attrs::OWNER),
    ("只用于拒绝的组", group_attrs::USE_FOR_DENY_ONLY),
    ("本地组", group_attrs::RESOURCE),
];

/// Privilege states `whoami /priv` prints, lower-cased: `true` for
/// enabled. English from `en-cascade-all.txt`; Spanish from
/// `es-phantom-all.txt`; French from `fr-ilearned-priv.txt`; Chinese
/// (Simplified) from `zh-xr0923-medium-all.txt`; German from published
/// `whoami /priv` listings that are not fixtures (`docs/import.md` names
/// them), whose group phrases are not known yet.
pub const PRIVILEGE_STATES: &[(&str, bool)] = &[
    ("enabled", true),
    ("disabled", false),
    ("habilitada", true),
    ("activé", true),
    ("désactivé", false),
    ("已启用", true),
    ("已禁用", false),
    ("aktiviert", true),
    ("deaktiviert", false),
];

/// The value of the phrase `text` stands for in `table` (lower-cased
/// phrases). A phrase whose accented letters a code-page mix-up replaced
/// (each by one `?` or U+FFFD, or by another non-ASCII letter) still
/// matches, since the ASCII letters around them must all agree; only a
/// phrase whose ASCII letters outnumber its other characters is matched
/// so, because in a phrase of CJK characters nothing would be left to
/// agree on.
pub fn find_phrase<T: Copy>(table: &[(&str, T)], text: &str) -> Option<T> {
    let lower = text.trim().to_lowercase();
    if let Some((_, v)) = table.iter().find(|(p, _)| *p == lower) {
        return Some(*v);
    }
    table
        .iter()
        .find(|(p, _)| {
            let ascii_letters = p.chars().filter(char::is_ascii_alphabetic).count();
            let other = p.chars().filter(|c| !c.is_ascii()).count();
            other > 0
                && ascii_letters > other
                && p.chars().count() == lower.chars().count()
                && p.chars()
                    .zip(lower.chars())
                    .all(|(a, b)| a == b || (!a.is_ascii() && (!b.is_ascii() || b == '?')))
        })
        .map(|(_, v)| *v)
}

/// One group of the capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The group SID.
    pub sid: Sid,
    /// `SE_GROUP_*` bits.
    pub attributes: u32,
}

/// Everything a `whoami` capture says about the token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capture {
    /// The user SID and the byte offset of its record, when the capture has a user section.
    pub user: Option<(Sid, usize)>,
    /// The groups, without the mandatory label, in capture order.
    pub groups: Vec<Group>,
    /// The privileges and whether each is enabled, in capture order.
    pub privileges: Vec<(Privilege, bool)>,
    /// The integrity level, from the mandatory label group (`S-1-16-x`).
    pub integrity: Option<IntegrityLevel>,
}

/// A token file built from a capture (the shape of `winsec::TokenSpec`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFile {
    /// The user SID.
    pub user: Sid,
    /// Groups with their attributes.
    pub groups: Vec<Group>,
    /// Privileges and whether each is enabled.
    pub privileges: Vec<(Privilege, bool)>,
    /// The integrity level, when the capture shows the label.
    pub integrity: Option<IntegrityLevel>,
    /// The logon-session LUID, from the logon SID `S-1-5-5-X-Y`.
    pub logon_session: Option<u64>,
    /// `limited` when a UAC privileged group is deny-only.
    pub limited: bool,
}

/// One cell of a record: its text and byte offset in the whole input.
#[derive(Debug, Clone, Copy)]
struct Cell<'a> {
    text: &'a str,
    offset: usize,
}

/// Reads a `whoami` capture.
pub fn parse(text: &str) -> Result<Capture, ImportError> {
    let all = lines(text);
    let mut capture = Capture::default();
    if all.iter().any(|l| rule_columns(l.text).is_some()) {
        parse_tables(text, &all, &mut capture)?;
    } else if all.iter().any(|l| l.text.trim_start().starts_with('"')) {
        parse_csv(text, &all, &mut capture)?;
    } else {
        parse_list(text, &all, &mut capture)?;
    }
    Ok(capture)
}

impl Capture {
    /// The token file: needs the user section.
    pub fn to_token(&self, text: &str) -> Result<TokenFile, ImportError> {
        let Some((user, _)) = &self.user else {
            return Err(ImportError::at(
                text,
                0,
                "the capture has no user section (a record of a name and a SID)",
                "the output of `whoami /all`, or of `whoami /user /groups /priv`",
            ));
        };
        let logon_session =
            self.groups
                .iter()
                .find_map(|g| match (g.sid.authority(), g.sid.sub_authorities()) {
                    (5, [5, high, low]) => Some((u64::from(*high) << 32) | u64::from(*low)),
                    _ => None,
                });
        let limited = self.groups.iter().any(|g| {
            is_uac_privileged_group(&g.sid) && g.attributes & group_attrs::USE_FOR_DENY_ONLY != 0
        });
        Ok(TokenFile {
            user: user.clone(),
            groups: self.groups.clone(),
            privileges: self.privileges.clone(),
            integrity: self.integrity,
            logon_session,
            limited,
        })
    }
}

impl TokenFile {
    /// The token file as YAML (`docs/token-file.md`).
    pub fn to_yaml(&self) -> String {
        let mut out = format!(
            "# A token file read from `whoami /all` by `bitsim import whoami`:\n# {} groups, {} privileges.\nuser: {}\n",
            self.groups.len(),
            self.privileges.len(),
            self.user
        );
        if self.groups.is_empty() {
            out.push_str("groups: []\n");
        } else {
            out.push_str("groups:\n");
            for g in &self.groups {
                let attrs: Vec<&str> = group_attrs::NAMES
                    .iter()
                    .filter(|(_, bits)| g.attributes & bits == *bits)
                    .map(|(name, _)| *name)
                    .collect();
                out.push_str(&format!(
                    "  - {{ sid: {}, attrs: [{}] }}\n",
                    g.sid,
                    attrs.join(", ")
                ));
            }
        }
        if self.privileges.is_empty() {
            out.push_str("privileges: []\n");
        } else {
            out.push_str("privileges:\n");
            for (p, enabled) in &self.privileges {
                out.push_str(&format!(
                    "  - {{ name: {}, enabled: {enabled} }}\n",
                    p.name()
                ));
            }
        }
        if let Some(level) = self.integrity {
            let name = IntegrityLevel::NAMES
                .iter()
                .find(|(_, l)| *l == level)
                .map_or_else(|| format!("S-1-16-{}", level.0), |(n, _)| (*n).to_string());
            out.push_str(&format!("integrity: {name}\n"));
        }
        if let Some(luid) = self.logon_session {
            out.push_str(&format!("logon_session: {luid}\n"));
        }
        if self.limited {
            out.push_str("elevation: limited\n");
        }
        out
    }
}

/// A group record's attributes: a cell still to read, or bits already
/// read from a row joined from several lines.
enum Attrs<'a> {
    Cell(Option<Cell<'a>>),
    Bits(u32),
}

/// The kind of a record, decided by its shape.
enum Record<'a> {
    User(Sid, Cell<'a>),
    Group(Sid, Cell<'a>, Attrs<'a>),
    Privilege(Privilege, Cell<'a>),
}

fn sid_cell(cell: &Cell<'_>) -> Option<Sid> {
    parse_sid(cell.text.trim())
}

/// A privilege's programmatic name as whoami prints it: `Se...Privilege`
/// (never translated), which winsec must know.
fn privilege_name(text: &str) -> Option<Privilege> {
    let t = text.trim();
    (t.starts_with("Se") && t.ends_with("Privilege"))
        .then(|| Privilege::from_name(t))
        .flatten()
}

/// Classifies a list or CSV record by its cells.
fn classify<'a>(text: &str, cells: &[Cell<'a>]) -> Result<Option<Record<'a>>, ImportError> {
    match cells {
        [_, sid] => Ok(sid_cell(sid).map(|s| Record::User(s, *sid))),
        [_, _, sid, attrs] => {
            Ok(sid_cell(sid).map(|s| Record::Group(s, *sid, Attrs::Cell(Some(*attrs)))))
        }
        [name, _, state] => {
            let t = name.text.trim();
            if t.starts_with("Se") && t.ends_with("Privilege") {
                match privilege_name(t) {
                    Some(p) => Ok(Some(Record::Privilege(p, *state))),
                    None => Err(unknown_privilege(text, name)),
                }
            } else {
                Ok(None)
            }
        }
        _ => Ok(None),
    }
}

fn unknown_privilege(text: &str, cell: &Cell<'_>) -> ImportError {
    ImportError::span(
        text,
        cell.offset,
        cell.text.len(),
        format!("unknown privilege {}", quote(cell.text.trim())),
        "a privilege name such as SeChangeNotifyPrivilege (winsec knows SeCreateTokenPrivilege to SeDelegateSessionUserImpersonatePrivilege)",
    )
}

fn add(text: &str, capture: &mut Capture, record: Record<'_>) -> Result<(), ImportError> {
    match record {
        Record::User(sid, cell) => {
            if capture.user.is_some() {
                return Err(ImportError::span(
                    text,
                    cell.offset,
                    cell.text.len(),
                    "a second user record",
                    "one capture of one token: a single user section",
                ));
            }
            capture.user = Some((sid, cell.offset));
        }
        Record::Group(sid, sid_at, attrs) => {
            let attributes = match attrs {
                Attrs::Cell(Some(cell)) => group_attributes(text, cell)?,
                Attrs::Cell(None) => 0,
                Attrs::Bits(bits) => bits,
            };
            if let Some(level) = IntegrityLevel::from_sid(&sid) {
                if capture.integrity.is_some() {
                    return Err(ImportError::span(
                        text,
                        sid_at.offset,
                        sid_at.text.len(),
                        "a second mandatory label (S-1-16-x) group",
                        "one mandatory label per token",
                    ));
                }
                capture.integrity = Some(level);
                return Ok(());
            }
            let logon = matches!((sid.authority(), sid.sub_authorities()), (5, [5, _, _]));
            let attributes = if logon {
                attributes | group_attrs::LOGON_ID
            } else {
                attributes
            };
            capture.groups.push(Group { sid, attributes });
        }
        Record::Privilege(p, state) => {
            let word = state.text.trim();
            let enabled = find_phrase(PRIVILEGE_STATES, word).ok_or_else(|| {
                    ImportError::span(
                        text,
                        state.offset,
                        state.text.len(),
                        format!("unknown privilege state {}", quote(word)),
                        "Enabled or Disabled, as whoami prints them in English (docs/import.md lists the other languages read)",
                    )
                })?;
            capture.privileges.push((p, enabled));
        }
    }
    Ok(())
}

/// The `SE_GROUP_*` bits of an attributes cell (comma-separated phrases).
fn group_attributes(text: &str, cell: Cell<'_>) -> Result<u32, ImportError> {
    let mut bits = 0;
    for phrase in cell.text.split([',', '，', '、']) {
        let trimmed = phrase.trim();
        if trimmed.is_empty() {
            continue;
        }
        match find_phrase(GROUP_ATTRIBUTE_PHRASES, trimmed) {
            Some(b) => bits |= b,
            None => {
                return Err(ImportError::span(
                    text,
                    offset_in(text, trimmed),
                    trimmed.len(),
                    format!("unknown group attribute {}", quote(trimmed)),
                    "attribute phrases as whoami prints them in English, French, Spanish or Chinese, such as `Mandatory group, Enabled by default, Enabled group` (docs/import.md lists them)",
                ));
            }
        }
    }
    Ok(bits)
}

// ---------------------------------------------------------------- tables

fn parse_tables(text: &str, all: &[Line<'_>], capture: &mut Capture) -> Result<(), ImportError> {
    let mut i = 0;
    while i < all.len() {
        if rule_columns(all[i].text).is_none() {
            i += 1;
            continue;
        }
        // A rule row the console wrapped continues on the next lines, which
        // start inside a run of `=` or with the space between two runs.
        let mut rule = all[i].text.to_string();
        i += 1;
        while i < all.len()
            && (all[i].text.starts_with('=') || all[i].text.starts_with(" ="))
            && rule_columns(all[i].text).is_some()
        {
            rule.push_str(all[i].text);
            i += 1;
        }
        let Some(columns) = rule_columns(&rule) else {
            continue;
        };
        let start = i;
        loop {
            while i < all.len() && !all[i].is_blank() && rule_columns(all[i].text).is_none() {
                i += 1;
            }
            // A row padded to the table's width and wider than the console
            // wraps into a line of spaces: the table goes on after blank
            // lines when the next line still reads as one of its rows.
            let mut next = i;
            while next < all.len() && all[next].is_blank() {
                next += 1;
            }
            let goes_on = next > i
                && next < all.len()
                && rule_columns(all[next].text).is_none()
                && matches!(
                    table_row(text, all[next], all[next].text, true, &columns),
                    Ok(Some(_))
                );
            if !goes_on {
                break;
            }
            i = next;
        }
        read_table(text, &all[start..i], &columns, i >= all.len(), capture)?;
    }
    Ok(())
}

/// Reads the data rows under one rule row. `at_end`: the rows run to the
/// end of the input (a row that does not parse there is a truncation).
fn read_table(
    text: &str,
    rows: &[Line<'_>],
    columns: &[(usize, usize)],
    at_end: bool,
    capture: &mut Capture,
) -> Result<(), ImportError> {
    let mut r = 0;
    while r < rows.len() {
        if rows[r].is_blank() {
            r += 1;
            continue;
        }
        // A row the console wrapped: join up to three lines back together,
        // but never swallow a line that reads as a row by itself.
        let mut parsed = None;
        let mut first_error = None;
        for span in 1..=3.min(rows.len() - r) {
            if span > 1 {
                let next = rows[r + span - 1];
                if matches!(table_row(text, next, next.text, true, columns), Ok(Some(_))) {
                    break;
                }
            }
            let joined: String = rows[r..r + span].iter().map(|l| l.text).collect();
            let row = if span == 1 {
                rows[r].text
            } else {
                joined.as_str()
            };
            match table_row(text, rows[r], row, span == 1, columns) {
                Ok(Some(record)) => {
                    parsed = Some((record, span));
                    break;
                }
                Ok(None) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if parsed.is_none() {
            if let Some(e) = first_error {
                return Err(e);
            }
        }
        // A group row that reads by itself, followed by a line that is no
        // row by itself: the console wrapped the row between two attribute
        // phrases or right after the SID, and the rest is on that line.
        if let Some((Record::Group(..), 1)) = parsed {
            if let Some(joined) = attributes_on_next_line(text, rows, r, columns) {
                parsed = Some((joined, 2));
            }
        }
        match parsed {
            Some((record, span)) => {
                add(text, capture, record)?;
                r += span;
            }
            None => {
                // Text after a table that is not followed by a blank line
                // (a shell prompt) ends it; but not when a later line still
                // reads as a row of this table, nor at the end of the input.
                let later_row = rows[r + 1..].iter().any(|l| {
                    table_row(text, *l, l.text, true, columns)
                        .ok()
                        .flatten()
                        .is_some()
                });
                if r == 0 || later_row || (at_end && r + 1 == rows.len()) {
                    return Err(bad_row(text, rows[r], columns.len()));
                }
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The group row at `rows[r]` joined with `rows[r + 1]`, when that line is
/// not blank, is no row by itself, and the two read as one group row with
/// attributes: joined as they are (the console cut the row at its width)
/// or, when a copy trimmed the spaces at the cut, with one space.
fn attributes_on_next_line<'a>(
    text: &str,
    rows: &[Line<'a>],
    r: usize,
    columns: &[(usize, usize)],
) -> Option<Record<'a>> {
    let next = rows.get(r + 1)?;
    if next.is_blank() || !matches!(table_row(text, *next, next.text, true, columns), Ok(None)) {
        return None;
    }
    let exact = format!("{}{}", rows[r].text, next.text);
    let spaced = format!("{} {}", rows[r].text.trim_end(), next.text.trim_start());
    [exact, spaced].iter().find_map(|joined| {
        match table_row(text, rows[r], joined, false, columns) {
            Ok(Some(record @ Record::Group(_, _, Attrs::Bits(_)))) => Some(record),
            _ => None,
        }
    })
}

fn bad_row(text: &str, line: Line<'_>, columns: usize) -> ImportError {
    let expected = match columns {
        2 => "a user row: the account name, then its SID",
        3 => "a privilege row: its name (SeXxxPrivilege), description and state",
        4 => "a group row: name, type, SID (S-1-...) and attributes",
        _ => "a row of a whoami table",
    };
    ImportError::span(
        text,
        line.start,
        line.text.len(),
        format!("{} does not read as a row of this table", quote(line.text)),
        expected,
    )
}

/// Reads one table row. `row` is the line's text, or several lines joined
/// (then offsets inside it are approximate: they point at the first line).
fn table_row<'a>(
    text: &str,
    line: Line<'a>,
    row: &str,
    exact: bool,
    columns: &[(usize, usize)],
) -> Result<Option<Record<'a>>, ImportError> {
    // Offsets are exact only for a single line; joined rows point at the line start.
    let cell_at = |part: &str| -> Cell<'a> {
        if exact {
            let off = offset_in(line.text, part);
            Cell {
                text: &line.text[off..off + part.len()],
                offset: line.start + off,
            }
        } else {
            Cell {
                text: line.text,
                offset: line.start,
            }
        }
    };
    let words: Vec<&str> = row.split_whitespace().collect();
    match columns.len() {
        2 => {
            let Some(last) = words.last() else {
                return Ok(None);
            };
            if words.len() < 2 {
                return Ok(None);
            }
            Ok(parse_sid(last).map(|sid| Record::User(sid, cell_at(last))))
        }
        4 => {
            // The first whole word that is a SID, after at least one word.
            for w in words.iter().skip(1) {
                if let Some(sid) = parse_sid(w) {
                    let after = &row[offset_in(row, w) + w.len()..];
                    let attrs = after.trim();
                    let attrs = if attrs.is_empty() {
                        Attrs::Cell(None)
                    } else if exact {
                        // Read the phrases now, so that a row the console cut
                        // in the middle of a phrase is retried joined.
                        Attrs::Bits(group_attributes(text, cell_at(attrs))?)
                    } else {
                        Attrs::Bits(group_attributes_owned(text, line, attrs)?)
                    };
                    return Ok(Some(Record::Group(sid, cell_at(w), attrs)));
                }
            }
            Ok(None)
        }
        3 => {
            let Some(first) = words.first() else {
                return Ok(None);
            };
            let t = first.trim();
            if !(t.starts_with("Se") && t.ends_with("Privilege")) || words.len() < 2 {
                return Ok(None);
            }
            let Some(p) = privilege_name(t) else {
                return Err(unknown_privilege(text, &cell_at(first)));
            };
            let state = state_cell(row, columns[2].0);
            Ok(Some(Record::Privilege(p, cell_at(state))))
        }
        _ => Ok(None),
    }
}

/// The state cell of a privilege row: the text from the state column's
/// display cell when that cut falls between words, else the last word.
fn state_cell(row: &str, cell: usize) -> &str {
    let at = byte_at_cell(row, cell);
    let cut_clean = at > 0 && row[..at].ends_with(' ');
    let from_column = row[at..].trim();
    if cut_clean && !from_column.is_empty() {
        return from_column;
    }
    row.split_whitespace().last().unwrap_or("")
}

/// Attribute bits of a joined row's attribute text (not a slice of the input).
fn group_attributes_owned(text: &str, line: Line<'_>, attrs: &str) -> Result<u32, ImportError> {
    let mut bits = 0;
    for phrase in attrs.split([',', '，', '、']) {
        let lower = phrase.trim().to_lowercase();
        if lower.is_empty() {
            continue;
        }
        match find_phrase(GROUP_ATTRIBUTE_PHRASES, &lower) {
            Some(b) => bits |= b,
            None => {
                return Err(ImportError::span(
                    text,
                    line.start,
                    line.text.len(),
                    format!("unknown group attribute {}", quote(phrase.trim())),
                    "attribute phrases as whoami prints them in English, French, Spanish or Chinese (docs/import.md lists them)",
                ))
            }
        }
    }
    Ok(bits)
}

// ------------------------------------------------------------------ list

fn parse_list(text: &str, all: &[Line<'_>], capture: &mut Capture) -> Result<(), ImportError> {
    let mut cells: Vec<Cell<'_>> = Vec::new();
    for line in all.iter().chain(std::iter::once(&Line {
        start: text.len(),
        text: "",
    })) {
        match key_value(line) {
            Some(value) => cells.push(value),
            None => {
                flush_list_record(text, &cells, capture)?;
                cells.clear();
            }
        }
    }
    Ok(())
}

fn flush_list_record(
    text: &str,
    cells: &[Cell<'_>],
    capture: &mut Capture,
) -> Result<(), ImportError> {
    if cells.len() < 2 {
        return Ok(());
    }
    match classify(text, cells)? {
        Some(record) => add(text, capture, record),
        None => {
            let first = cells[0];
            Err(ImportError::at(
                text,
                first.offset,
                format!("a record of {} fields that is neither a user, a group nor a privilege", cells.len()),
                "`whoami /all /fo list` records: name and SID; name, type, SID and attributes; or name, description and state",
            ))
        }
    }
}

/// The value cell of a `Key: value` line (ASCII or full-width colon).
fn key_value<'a>(line: &Line<'a>) -> Option<Cell<'a>> {
    let t = line.text;
    if t.trim().is_empty() || t.starts_with(' ') {
        return None;
    }
    let (i, c) = t.char_indices().find(|(_, c)| *c == ':' || *c == '：')?;
    if t[..i].trim().is_empty() {
        return None;
    }
    let rest = &t[i + c.len_utf8()..];
    let value = rest.trim();
    let off = offset_in(t, value);
    Some(Cell {
        text: &t[off..off + value.len()],
        offset: line.start + off,
    })
}

// ------------------------------------------------------------------- csv

fn parse_csv(text: &str, all: &[Line<'_>], capture: &mut Capture) -> Result<(), ImportError> {
    let mut first_in_block = true;
    for line in all {
        if line.is_blank() {
            first_in_block = true;
            continue;
        }
        if !line.text.trim_start().starts_with('"') {
            first_in_block = true;
            continue;
        }
        let cells = csv_cells(text, line)?;
        match classify(text, &cells)? {
            Some(record) => add(text, capture, record)?,
            // The header row of a block (localized titles).
            None if first_in_block => {}
            None => {
                return Err(ImportError::span(
                    text,
                    line.start,
                    line.text.len(),
                    format!("{} is neither a user, a group nor a privilege row", quote(line.text)),
                    "`whoami /fo csv` rows: \"name\",\"SID\"; \"name\",\"type\",\"SID\",\"attributes\"; or \"name\",\"description\",\"state\"",
                ))
            }
        }
        first_in_block = false;
    }
    Ok(())
}

/// The fields of one CSV line; each cell points at its text between the quotes.
fn csv_cells<'a>(text: &str, line: &Line<'a>) -> Result<Vec<Cell<'a>>, ImportError> {
    let t = line.text;
    let bytes = t.as_bytes();
    let mut cells = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            loop {
                if j >= bytes.len() {
                    return Err(ImportError::at(
                        text,
                        line.start + i,
                        "a quoted CSV field that is never closed",
                        "a closing `\"` before the end of the line",
                    ));
                }
                if bytes[j] == b'"' {
                    if j + 1 < bytes.len() && bytes[j + 1] == b'"' {
                        j += 2;
                        continue;
                    }
                    break;
                }
                j += 1;
            }
            cells.push(Cell {
                text: &t[start..j],
                offset: line.start + start,
            });
            i = j + 1;
        } else {
            let start = i;
            while i < bytes.len() && bytes[i] != b',' {
                i += 1;
            }
            cells.push(Cell {
                text: &t[start..i],
                offset: line.start + start,
            });
        }
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        if bytes[i] != b',' {
            return Err(ImportError::at(
                text,
                line.start + i,
                "text after a quoted CSV field",
                "`,` between fields",
            ));
        }
        i += 1;
    }
    Ok(cells)
}
