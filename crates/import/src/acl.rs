//! `icacls PATH` and `Get-Acl PATH | Format-List` read into
//! `objects: [{path, sddl}]`.
//!
//! icacls prints each object as its path, a space and its first entry,
//! then one entry per line indented to line up under the first; an entry
//! is `NAME:` followed by parenthesized groups: inheritance flags
//! (`(OI)(CI)(IO)(NP)(I)`), `(DENY)`, and rights, either one simple right
//! (`F`, `M`, `RX`, `R`, `W`, `D`, `N`) or a comma list of specific ones
//! (`(RD,WD,AD,X)`), as the Microsoft Learn page "icacls" lists them.
//! Names carry no SID; they resolve through [`Names`]. A name under
//! `Mandatory Label\` with `NW`/`NR`/`NX` is the object's mandatory label
//! and goes to the SACL. The closing summary line and any other text
//! without `NAME:(` is not part of an object, whatever its language.
//!
//! Get-Acl's `Format-List` view has one `Key : value` line per property
//! (PowerShell property names, never translated) with long values
//! continued on indented lines; only `Path` and `Sddl` are read, and the
//! `Sddl` value is the whole descriptor.
//!
//! Every SDDL written goes through winsec's parser and printer, so it is
//! exactly what `bitsim sddl` accepts and prints.

use std::fmt::Write;

use winsec::{IntegrityLevel, SecurityDescriptor};

use crate::error::ImportError;
use crate::names::Names;
use crate::text::{byte_at_cell, lines, offset_in, quote, Line};
use crate::yaml;

/// One object and its security descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// The path as the capture shows it (Get-Acl's provider prefix removed).
    pub path: String,
    /// The descriptor, as winsec prints it.
    pub sddl: String,
}

/// icacls's simple rights and specific rights, with their file access
/// masks (winnt.h `FILE_*`, `STANDARD_RIGHTS_*`, `GENERIC_*`).
pub const RIGHTS: &[(&str, u32)] = &[
    ("F", 0x001f_01ff),
    ("M", 0x0013_01bf),
    ("RX", 0x0012_00a9),
    ("R", 0x0012_0089),
    ("W", 0x0010_0116),
    ("N", 0),
    ("D", 0x0001_0000),
    ("RC", 0x0002_0000),
    ("WDAC", 0x0004_0000),
    ("WO", 0x0008_0000),
    ("S", 0x0010_0000),
    ("AS", 0x0100_0000),
    ("MA", 0x0200_0000),
    ("GR", 0x8000_0000),
    ("GW", 0x4000_0000),
    ("GE", 0x2000_0000),
    ("GA", 0x1000_0000),
    ("RD", 0x0000_0001),
    ("WD", 0x0000_0002),
    ("AD", 0x0000_0004),
    ("REA", 0x0000_0008),
    ("WEA", 0x0000_0010),
    ("X", 0x0000_0020),
    ("DC", 0x0000_0040),
    ("RA", 0x0000_0080),
    ("WA", 0x0000_0100),
];

/// The longest icacls line read, in bytes.
const MAX_LINE: usize = 32 * 1024;

/// Mandatory-label policy letters (`SYSTEM_MANDATORY_LABEL_NO_*_UP`).
const LABEL_POLICY: &[(&str, u32)] = &[("NW", 0x1), ("NR", 0x2), ("NX", 0x4)];

/// An entry of an icacls listing.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    sid: winsec::Sid,
    deny: bool,
    flags: Vec<&'static str>,
    mask: u32,
    label: bool,
}

/// Reads an icacls listing.
pub fn parse_icacls(text: &str, names: &Names) -> Result<Vec<Object>, ImportError> {
    let all = lines(text);
    let mut objects = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let line = all[i];
        if line.text.len() > MAX_LINE {
            return Err(ImportError::at(
                text,
                line.start + MAX_LINE,
                format!("a line longer than {MAX_LINE} bytes"),
                "icacls output, whose lines are one path or one entry each",
            ));
        }
        let starts_object = !line.text.starts_with([' ', '\t']) && line.text.contains(":(");
        if !starts_object {
            if line.text.starts_with([' ', '\t']) && line.text.contains(":(") {
                return Err(ImportError::span(
                    text,
                    line.start,
                    line.text.len(),
                    "an indented entry with no object line before it",
                    "an object line first: the path, a space, then its first entry",
                ));
            }
            i += 1;
            continue;
        }
        let mut continuation = Vec::new();
        let mut j = i + 1;
        while j < all.len() && all[j].text.starts_with([' ', '\t']) && !all[j].is_blank() {
            continuation.push(all[j]);
            j += 1;
        }
        objects.push(read_object(text, line, &continuation, names)?);
        i = j;
    }
    if objects.is_empty() {
        return Err(ImportError::at(
            text,
            0,
            "no object: no line of the form `PATH NAME:(rights)`",
            "the output of `icacls PATH`",
        ));
    }
    Ok(objects)
}

fn read_object(
    text: &str,
    header: Line<'_>,
    continuation: &[Line<'_>],
    names: &Names,
) -> Result<Object, ImportError> {
    let (path, first) = split_header(text, header, continuation, names)?;
    let mut entries = vec![first];
    for line in continuation {
        let body = line.text.trim();
        let at = line.start + offset_in(line.text, body);
        entries.push(parse_entry(text, body, at, names)?);
    }
    let mut dacl = String::new();
    let mut sacl = String::new();
    for e in &entries {
        let flags: String = e.flags.concat();
        if e.label {
            let _ = write!(sacl, "(ML;{flags};0x{:x};;;{})", e.mask, e.sid);
        } else {
            let kind = if e.deny { "D" } else { "A" };
            let _ = write!(dacl, "({kind};{flags};0x{:08x};;;{})", e.mask, e.sid);
        }
    }
    if dacl.is_empty() {
        return Err(ImportError::span(
            text,
            header.start,
            header.text.len(),
            "an object with no access entry, only a mandatory label",
            "at least one `NAME:(rights)` entry that is not a mandatory label",
        ));
    }
    let mut sddl = format!("D:{dacl}");
    if !sacl.is_empty() {
        sddl.push_str("S:");
        sddl.push_str(&sacl);
    }
    let sd = SecurityDescriptor::from_sddl(&sddl).map_err(|e| {
        ImportError::span(
            text,
            header.start,
            header.text.len(),
            format!(
                "the entries make a descriptor winsec rejects: {}",
                e.message
            ),
            "entries Windows could hold in one ACL",
        )
    })?;
    Ok(Object {
        path,
        sddl: sd.to_sddl(),
    })
}

/// Splits an object line into its path and first entry. The continuation
/// lines' indentation says where the path ends (counted in characters, or
/// failing that in display cells); a lone object line is split at the
/// first space after which the entry's name resolves.
fn split_header(
    text: &str,
    header: Line<'_>,
    continuation: &[Line<'_>],
    names: &Names,
) -> Result<(String, Entry), ImportError> {
    let h = header.text;
    let try_at = |byte: usize| -> Option<Result<(String, Entry), ImportError>> {
        if byte == 0 || byte > h.len() || !h.is_char_boundary(byte) || !h[..byte].ends_with(' ') {
            return None;
        }
        let path = h[..byte - 1].trim_end();
        let rest = &h[byte..];
        if path.is_empty() || rest.trim().is_empty() {
            return None;
        }
        Some(
            parse_entry(text, rest.trim_end(), header.start + byte, names)
                .map(|e| (path.to_string(), e)),
        )
    };
    if let Some(first) = continuation.first() {
        let indent_chars = first.text.chars().take_while(|c| *c == ' ').count();
        let by_chars = h
            .char_indices()
            .nth(indent_chars)
            .map_or(h.len(), |(b, _)| b);
        let by_cells = byte_at_cell(h, indent_chars);
        for byte in [by_chars, by_cells] {
            if let Some(result) = try_at(byte) {
                return result;
            }
        }
    }
    // No usable indentation: the first split whose entry resolves.
    let mut first_error = None;
    for (tries, (byte, _)) in h.match_indices(' ').enumerate() {
        if tries >= 16 {
            break;
        }
        match try_at(byte + 1) {
            Some(Ok(found)) => return Ok(found),
            Some(Err(e)) => {
                first_error.get_or_insert(e);
            }
            None => {}
        }
    }
    Err(first_error.unwrap_or_else(|| {
        ImportError::span(
            text,
            header.start,
            h.len(),
            format!("{} is not a path followed by an entry", quote(h)),
            "`PATH NAME:(rights)`, as icacls prints the first entry of an object",
        )
    }))
}

/// Parses `NAME:(group)(group)...`; `at` is the byte offset of `body`.
fn parse_entry(text: &str, body: &str, at: usize, names: &Names) -> Result<Entry, ImportError> {
    // The name ends at the `:` before the longest run of groups that
    // ends the entry, found by peeling groups off the right in one pass.
    let Some(i) = groups_start(body)
        .filter(|g| body[..*g].ends_with(':'))
        .map(|g| g - 1)
    else {
        return Err(ImportError::span(
            text,
            at,
            body.len(),
            format!("{} is not an icacls entry", quote(body)),
            "`NAME:(flags)(rights)`, such as `BUILTIN\\Users:(OI)(CI)(RX)`",
        ));
    };
    let name = body[..i].trim();
    let Some(sid) = names.resolve(name) else {
        return Err(ImportError::span(
            text,
            at,
            i,
            format!("cannot resolve the account name {} to a SID", quote(name)),
            "a well-known name, a SID, or a name given in `--names FILE` (a YAML mapping from name to SID)",
        ));
    };
    let label = IntegrityLevel::from_sid(&sid).is_some();
    let mut entry = Entry {
        sid,
        deny: false,
        flags: Vec::new(),
        mask: 0,
        label,
    };
    let group_list = groups(&body[i + 1..]).unwrap_or_default();
    for (g_off, group) in group_list {
        let g_at = at + i + 1 + g_off;
        let tokens: Vec<&str> = group.split(',').map(str::trim).collect();
        if let [single] = tokens.as_slice() {
            let flag = match single.to_ascii_uppercase().as_str() {
                "OI" => Some("OI"),
                "CI" => Some("CI"),
                "IO" => Some("IO"),
                "NP" => Some("NP"),
                "I" => Some("ID"),
                _ => None,
            };
            if let Some(flag) = flag {
                if !entry.flags.contains(&flag) {
                    entry.flags.push(flag);
                }
                continue;
            }
            if single.eq_ignore_ascii_case("DENY") {
                entry.deny = true;
                continue;
            }
        }
        for token in tokens {
            let table: &[(&str, u32)] = if entry.label { LABEL_POLICY } else { RIGHTS };
            let bits = table
                .iter()
                .find(|(t, _)| t.eq_ignore_ascii_case(token))
                .map(|(_, b)| *b)
                .ok_or_else(|| {
                    ImportError::span(
                        text,
                        g_at,
                        group.len() + 2,
                        format!("unknown right {}", quote(token)),
                        if entry.label {
                            "NW, NR or NX on a mandatory label"
                        } else {
                            "F, M, RX, R, W, D, N, or specific rights such as RD, WD, AD, X, RC, WDAC, WO, S, GR, GE"
                        },
                    )
                })?;
            entry.mask |= bits;
        }
    }
    // icacls lists flags in a fixed order; SDDL wants OI CI NP IO ID.
    let order = ["OI", "CI", "NP", "IO", "ID"];
    entry
        .flags
        .sort_by_key(|f| order.iter().position(|o| o == f));
    if entry.label && entry.deny {
        return Err(ImportError::span(
            text,
            at,
            body.len(),
            "a mandatory label marked (DENY)",
            "a label with NW, NR or NX only",
        ));
    }
    Ok(entry)
}

/// Where the run of `(...)` groups that ends `s` starts, if `s` ends with one.
fn groups_start(s: &str) -> Option<usize> {
    let mut end = s.len();
    let mut start = None;
    while s[..end].ends_with(')') {
        let open = s[..end].rfind('(')?;
        let inner = &s[open + 1..end - 1];
        if inner.is_empty() || inner.contains(')') {
            break;
        }
        start = Some(open);
        end = open;
    }
    start
}

/// `(a)(b,c)...` as the groups' contents with their byte offsets (of the
/// opening parenthesis), or `None` when the text is not only groups.
fn groups(s: &str) -> Option<Vec<(usize, &str)>> {
    let mut out = Vec::new();
    let mut i = 0;
    let b = s.as_bytes();
    while i < b.len() {
        if b[i] != b'(' {
            return None;
        }
        let close = s[i..].find(')')? + i;
        let inner = &s[i + 1..close];
        if inner.is_empty() || inner.contains('(') {
            return None;
        }
        out.push((i, inner));
        i = close + 1;
    }
    (!out.is_empty()).then_some(out)
}

/// Reads `Get-Acl | Format-List` output.
pub fn parse_get_acl(text: &str) -> Result<Vec<Object>, ImportError> {
    let all = lines(text);
    let mut objects = Vec::new();
    let mut path: Option<(String, usize)> = None;
    let mut i = 0;
    while i < all.len() {
        let line = all[i];
        let Some((key, value, value_at)) = property(line) else {
            if line.is_blank() {
                path = None;
            }
            i += 1;
            continue;
        };
        // The value and its indented continuation lines.
        let mut full = value.trim().to_string();
        let mut j = i + 1;
        while j < all.len() && all[j].text.starts_with([' ', '\t']) && !all[j].is_blank() {
            full.push_str(all[j].text.trim());
            j += 1;
        }
        if key.eq_ignore_ascii_case("Path") {
            let p = full.find("::").map_or(full.as_str(), |k| &full[k + 2..]);
            path = Some((p.to_string(), value_at));
        } else if key.eq_ignore_ascii_case("Sddl") {
            let Some((p, _)) = path.take() else {
                return Err(ImportError::at(
                    text,
                    line.start,
                    "an `Sddl` line with no `Path` line before it in the same record",
                    "`Get-Acl PATH | Format-List` records, which start with `Path :`",
                ));
            };
            let sd = SecurityDescriptor::from_sddl(&full).map_err(|e| {
                let within = if e.offset <= value.trim_end().len() { e.offset } else { 0 };
                ImportError::at(
                    text,
                    value_at + within,
                    format!("the Sddl value is not valid SDDL: {}", e.message),
                    "the `Sddl` property as Get-Acl prints it, such as `O:BAG:SYD:AI(A;ID;FA;;;SY)`",
                )
            })?;
            objects.push(Object {
                path: p,
                sddl: sd.to_sddl(),
            });
        }
        i = j;
    }
    if objects.is_empty() {
        return Err(ImportError::at(
            text,
            0,
            "no `Path` and `Sddl` lines",
            "the output of `Get-Acl PATH | Format-List` (the default table view has no Sddl column)",
        ));
    }
    Ok(objects)
}

/// A `Key : value` line at column 0: key, value, byte offset of the value.
fn property<'a>(line: Line<'a>) -> Option<(&'a str, &'a str, usize)> {
    let t = line.text;
    if t.starts_with([' ', '\t']) {
        return None;
    }
    let colon = t.find(':')?;
    let key = t[..colon].trim_end();
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return None;
    }
    let value = t[colon + 1..].trim_start();
    Some((key, value, line.start + offset_in(t, value)))
}

/// The objects as YAML.
pub fn objects_yaml(objects: &[Object]) -> String {
    let mut out =
        String::from("# Security descriptors read by `bitsim import`, one per object.\nobjects:\n");
    for o in objects {
        let _ = writeln!(out, "  - path: {}", yaml::string(&o.path));
        let _ = writeln!(out, "    sddl: {}", yaml::string(&o.sddl));
    }
    out
}
