//! The SDDL parser: `ConvertStringSecurityDescriptorToSecurityDescriptor`
//! with the acceptance rules observed on Windows ([MS-SDDL],
//! [WT], [SMB-W] in docs/sources.md).
//!
//! Grammar, as modelled:
//!
//! - The string is a sequence of sections `O:`, `G:`, `D:`, `S:` in any
//!   order, with spaces allowed before the first. A prefix is exactly one
//!   upper-case letter directly followed by `:`; anything else, including
//!   `d:`, `D :` and `Z:`, is `ERROR_INVALID_PARAMETER` (87). A section's
//!   content runs up to the next `X:` found outside parentheses, the way
//!   Windows splits the string, so `D:P:S:` has the prefix `P:` and fails.
//! - `O:`/`G:` hold one SID: spaces, then a two-letter alias followed only by
//!   spaces, or an `S-` string followed by nothing. Failures are
//!   `ERROR_INVALID_SID` (1337).
//! - `D:`/`S:` hold ACL flags (`P`, `AR`, `AI`, any order, repeatable,
//!   spaces between), then either `NO_ACCESS_CONTROL` (a NULL ACL) or ACEs
//!   `(type;flags;rights;object_guid;inherit_object_guid;sid)` with spaces
//!   allowed before each `(`. Failures are `ERROR_INVALID_ACL` (1336).
//! - Inside an ACE, spaces are allowed after `(` and after each `;`, but
//!   not after the type, not after the rights, not around a GUID, and not
//!   after an `S-` SID string; an alias may be followed by spaces. Only the
//!   space character counts as white space.
//!
//! Choices made where no Windows observation was found (each is listed in
//! the crate's decision log):
//!
//! - A section given twice (`O:BAO:SY`) is rejected with
//!   `ERROR_INVALID_PARAMETER` rather than letting the last one win.
//! - The ACL flags and `NO_ACCESS_CONTROL` are case-sensitive, like the
//!   section letters; nothing but spaces may follow `NO_ACCESS_CONTROL`.
//! - The rights field is read as: "while the next character is not `;`:
//!   skip spaces, then read one token or number". This explains every
//!   observation (spaces before and between tokens accepted, a space before
//!   `;` rejected) and also rejects a field of spaces only.
//! - A number starts with a digit or `-` (no `+`).
//! - GUIDs in a non-object ACE (`(A;;GA;<guid>;;WD)`) are rejected.
//! - Audit, alarm, label and scoped-policy ACEs are rejected in `D:` (seen on
//!   Windows for `AU`), and allow/deny ACEs in `S:` (the symmetric rule).
//! - Callback ACEs (`XA`, `XD`, `ZA` in `D:`, `XU` in `S:`) take an optional
//!   seventh field, the condition in parentheses (compiled by
//!   [`crate::condition::parse`]); resource attribute ACEs (`RA`, in `S:`)
//!   need one, `("name",TS,0x0,"a",...)`. Any other type with a seventh
//!   field is rejected. A `ZA` with no GUID is stored as `XA`, the way `OA`
//!   becomes `A`.

use super::SddlError;
use crate::ace::{Ace, AceData, AceFlags, AceType, Guid};
use crate::claims::{Claim, ClaimType, ClaimValue};
use crate::descriptor::{control, Acl, AclSlot, SecurityDescriptor};
use crate::error::Win32Error;
use crate::mask::AccessMask;
use crate::sid::{self, Sid};
use crate::well_known::{self, DomainContext};

/// The text Windows uses for a NULL ACL.
pub const NO_ACCESS_CONTROL: &str = "NO_ACCESS_CONTROL";

/// The two-letter rights tokens accepted on input, with their values
/// ([MS-DTYP] 2.4.3, [MS-ACESTR]; the composite `F*`/`K*` tokens and the label policy
/// tokens are input-only in canonical output, except `FA`).
pub const RIGHTS_TOKENS: &[(&str, u32)] = &[
    ("GA", 0x1000_0000),
    ("GR", 0x8000_0000),
    ("GW", 0x4000_0000),
    ("GX", 0x2000_0000),
    ("RC", 0x0002_0000),
    ("SD", 0x0001_0000),
    ("WD", 0x0004_0000),
    ("WO", 0x0008_0000),
    ("RP", 0x0000_0010),
    ("WP", 0x0000_0020),
    ("CC", 0x0000_0001),
    ("DC", 0x0000_0002),
    ("LC", 0x0000_0004),
    ("SW", 0x0000_0008),
    ("LO", 0x0000_0080),
    ("DT", 0x0000_0040),
    ("CR", 0x0000_0100),
    ("FA", 0x001F_01FF),
    ("FR", 0x0012_0089),
    ("FW", 0x0012_0116),
    ("FX", 0x0012_00A0),
    ("KA", 0x000F_003F),
    ("KR", 0x0002_0019),
    ("KW", 0x0002_0006),
    ("KX", 0x0002_0019),
    ("NR", 0x0000_0002),
    ("NW", 0x0000_0001),
    ("NX", 0x0000_0004),
];

/// Parses an SDDL string (`ConvertStringSecurityDescriptorToSecurityDescriptor`).
///
/// Domain-relative aliases (`LA`, `DA`, ...) resolve against `ctx`. The
/// result has the shape Windows produces: ACL revision 2, or 4 when an
/// object ACE is present; generic rights unmapped; object ACE types without
/// any GUID stored as their plain type.
pub fn parse(text: &str, ctx: &DomainContext) -> Result<SecurityDescriptor, SddlError> {
    Parser {
        text,
        bytes: text.as_bytes(),
        ctx,
    }
    .descriptor()
}

/// Which section a prefix letter opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Owner,
    Group,
    Dacl,
    Sacl,
}

impl Section {
    fn from_letter(letter: u8) -> Option<Section> {
        match letter {
            b'O' => Some(Section::Owner),
            b'G' => Some(Section::Group),
            b'D' => Some(Section::Dacl),
            b'S' => Some(Section::Sacl),
            _ => None,
        }
    }

    fn index(self) -> usize {
        match self {
            Section::Owner => 0,
            Section::Group => 1,
            Section::Dacl => 2,
            Section::Sacl => 3,
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    ctx: &'a DomainContext,
}

fn section_error(offset: usize, message: impl Into<String>) -> SddlError {
    SddlError::new(offset, Win32Error::InvalidParameter, message)
}

fn acl_error(offset: usize, message: impl Into<String>) -> SddlError {
    SddlError::new(offset, Win32Error::InvalidAcl, message)
}

fn sid_error(offset: usize, message: impl Into<String>) -> SddlError {
    SddlError::new(offset, Win32Error::InvalidSid, message)
}

impl<'a> Parser<'a> {
    fn byte(&self, pos: usize) -> Option<u8> {
        self.bytes.get(pos).copied()
    }

    /// The text between two byte positions (empty if they do not fall on
    /// character boundaries, which the callers avoid).
    fn slice(&self, from: usize, to: usize) -> &'a str {
        self.text.get(from..to).unwrap_or("")
    }

    /// The character at `pos`, for messages.
    fn char_at(&self, pos: usize) -> String {
        self.text
            .get(pos..)
            .and_then(|s| s.chars().next())
            .map_or_else(
                || "end of string".to_string(),
                |c| format!("`{}`", c.escape_debug()),
            )
    }

    fn skip_spaces(&self, mut pos: usize, end: usize) -> usize {
        while pos < end && self.byte(pos) == Some(b' ') {
            pos += 1;
        }
        pos
    }

    fn descriptor(&self) -> Result<SecurityDescriptor, SddlError> {
        let mut sd = SecurityDescriptor::default();
        let mut seen = [false; 4];
        let len = self.bytes.len();
        let mut pos = self.skip_spaces(0, len);
        while pos < len {
            let letter = self.byte(pos).unwrap_or(0);
            if self.byte(pos + 1) != Some(b':') {
                let message = if Section::from_letter(letter).is_some() {
                    format!(
                        "the section letter `{}` must be followed directly by `:`",
                        char::from(letter)
                    )
                } else {
                    format!(
                        "expected a section prefix `O:`, `G:`, `D:` or `S:`, found {}",
                        self.char_at(pos)
                    )
                };
                return Err(section_error(pos, message));
            }
            let section = Section::from_letter(letter).ok_or_else(|| {
                section_error(
                    pos,
                    format!(
                        "unknown section {}: expected `O:`, `G:`, `D:` or `S:` (upper-case)",
                        self.char_at(pos)
                    ),
                )
            })?;
            // Modelling choice: a repeated section is an error rather than
            // overriding the first one.
            let slot = &mut seen[section.index()];
            if *slot {
                return Err(section_error(
                    pos,
                    format!("section `{}:` appears twice", char::from(letter)),
                ));
            }
            *slot = true;
            let start = pos + 2;
            let end = self.section_end(start);
            match section {
                Section::Owner => sd.owner = Some(self.owner_or_group(start, end, "owner")?),
                Section::Group => sd.group = Some(self.owner_or_group(start, end, "group")?),
                Section::Dacl => {
                    let (slot, flags) = self.acl(start, end, true)?;
                    sd.dacl = slot;
                    sd.flags |= flags;
                }
                Section::Sacl => {
                    let (slot, flags) = self.acl(start, end, false)?;
                    sd.sacl = slot;
                    sd.flags |= flags;
                }
            }
            pos = end;
        }
        Ok(sd)
    }

    /// Where the section whose content starts at `start` ends: at the
    /// character before the next `:` outside parentheses (that character is
    /// the next prefix), or at the end of the string.
    fn section_end(&self, start: usize) -> usize {
        let mut depth: usize = 0;
        let mut i = start;
        while let Some(b) = self.byte(i) {
            match b {
                b'(' => depth += 1,
                b')' => depth = depth.saturating_sub(1),
                b':' if depth == 0 => {
                    let before = self.slice(start, i).chars().next_back();
                    return match before {
                        Some(c) => i - c.len_utf8(),
                        None => start,
                    };
                }
                _ => {}
            }
            i += 1;
        }
        self.bytes.len()
    }

    /// `O:` or `G:` content: the whole content is one SID.
    fn owner_or_group(&self, start: usize, end: usize, what: &str) -> Result<Sid, SddlError> {
        let pos = self.skip_spaces(start, end);
        self.sid_field(pos, end)
            .map_err(|(offset, message)| sid_error(offset, format!("bad {what} SID: {message}")))
    }

    /// A SID field from `pos` to `end` (leading spaces already skipped): an
    /// alias that may be followed by spaces, or an `S-` string that must
    /// end exactly at `end`.
    fn sid_field(&self, pos: usize, end: usize) -> Result<Sid, (usize, String)> {
        let field = self.slice(pos, end);
        let fb = field.as_bytes();
        if fb.is_empty() {
            return Err((
                pos,
                "expected a SID (`S-1-...` or a two-letter alias)".into(),
            ));
        }
        if fb.len() >= 2 && (fb[0] == b'S' || fb[0] == b's') && fb[1] == b'-' {
            let (sid, used) = sid::parse_sid_string_prefix(field).map_err(|e| match e {
                sid::SidError::MissingComponent(p) => (
                    pos + p,
                    "expected a number after `-` in the SID string".to_string(),
                ),
                other => (pos, other.to_string()),
            })?;
            if used != fb.len() {
                return Err((
                    pos + used,
                    format!(
                        "unexpected {} after the SID string (nothing, not even a space, may follow an `S-` SID)",
                        self.char_at(pos + used)
                    ),
                ));
            }
            return Ok(sid);
        }
        let alias = field
            .get(..2)
            .filter(|a| a.bytes().all(|b| b.is_ascii_alphabetic()));
        let sid = alias.and_then(|a| well_known::sid_for_alias(a, self.ctx));
        match sid {
            Some(sid) => {
                let after = self.skip_spaces(pos + 2, end);
                if after != end {
                    return Err((
                        pos,
                        format!(
                            "`{field}` is not a SID: expected `S-1-...` or a two-letter alias (account names are not resolved)"
                        ),
                    ));
                }
                Ok(sid)
            }
            None => Err((
                pos,
                format!(
                    "`{field}` is not a SID: expected `S-1-...` or a two-letter alias (account names are not resolved)"
                ),
            )),
        }
    }

    /// `D:` or `S:` content: flags, then `NO_ACCESS_CONTROL` or ACEs.
    fn acl(&self, start: usize, end: usize, dacl: bool) -> Result<(AclSlot, u16), SddlError> {
        let (protected, req, inherited) = if dacl {
            (
                control::DACL_PROTECTED,
                control::DACL_AUTO_INHERIT_REQ,
                control::DACL_AUTO_INHERITED,
            )
        } else {
            (
                control::SACL_PROTECTED,
                control::SACL_AUTO_INHERIT_REQ,
                control::SACL_AUTO_INHERITED,
            )
        };
        let mut flags = 0u16;
        let mut pos = start;
        loop {
            pos = self.skip_spaces(pos, end);
            if pos >= end {
                return Ok((AclSlot::Present(Acl::empty()), flags));
            }
            let rest = self.bytes.get(pos..end).unwrap_or(&[]);
            if rest.starts_with(NO_ACCESS_CONTROL.as_bytes()) {
                let after = self.skip_spaces(pos + NO_ACCESS_CONTROL.len(), end);
                if after != end {
                    return Err(acl_error(
                        after,
                        format!(
                            "unexpected {} after NO_ACCESS_CONTROL (a NULL ACL has no ACEs)",
                            self.char_at(after)
                        ),
                    ));
                }
                return Ok((AclSlot::Null, flags));
            }
            if rest.starts_with(b"AR") {
                flags |= req;
                pos += 2;
            } else if rest.starts_with(b"AI") {
                flags |= inherited;
                pos += 2;
            } else if rest.starts_with(b"P") {
                flags |= protected;
                pos += 1;
            } else if rest.starts_with(b"(") {
                break;
            } else {
                return Err(acl_error(
                    pos,
                    format!(
                        "unexpected {}: expected ACL flags `P`, `AR`, `AI`, `NO_ACCESS_CONTROL` or `(` starting an ACE",
                        self.char_at(pos)
                    ),
                ));
            }
        }
        let mut aces = Vec::new();
        loop {
            pos = self.skip_spaces(pos, end);
            if pos >= end {
                break;
            }
            if self.byte(pos) != Some(b'(') {
                return Err(acl_error(
                    pos,
                    format!(
                        "unexpected {}: expected `(` starting an ACE",
                        self.char_at(pos)
                    ),
                ));
            }
            let (ace, next) = self.ace(pos, end, dacl)?;
            aces.push(ace);
            pos = next;
        }
        Ok((AclSlot::Present(Acl::new(aces)), flags))
    }

    /// Finds the end of the ACE field starting at `from`: the position of
    /// the next `;` or `)`, and which one it is.
    fn field_end(&self, from: usize, end: usize, open: usize) -> Result<(usize, u8), SddlError> {
        let mut i = from;
        while i < end {
            match self.byte(i) {
                Some(b @ (b';' | b')')) => return Ok((i, b)),
                _ => i += 1,
            }
        }
        Err(acl_error(
            open,
            "unterminated ACE: expected `(type;flags;rights;object_guid;inherit_object_guid;sid)`",
        ))
    }

    /// The end of one of the first five fields, which must be a `;`.
    fn semicolon_field(
        &self,
        from: usize,
        end: usize,
        open: usize,
        field: &str,
    ) -> Result<usize, SddlError> {
        let (at, term) = self.field_end(from, end, open)?;
        if term != b';' {
            return Err(acl_error(
                at,
                format!(
                    "the ACE ends after its {field} field: an ACE has six fields `type;flags;rights;object_guid;inherit_object_guid;sid`"
                ),
            ));
        }
        Ok(at)
    }

    /// One ACE starting at the `(` at `open`; returns it and the position
    /// after its `)`.
    fn ace(&self, open: usize, end: usize, dacl: bool) -> Result<(Ace, usize), SddlError> {
        // Type.
        let type_start = self.skip_spaces(open + 1, end);
        let type_end = self.semicolon_field(type_start, end, open, "type")?;
        let ace_type = self.ace_type(type_start, type_end, dacl)?;
        // Flags.
        let flags_start = type_end + 1;
        let flags_end = self.semicolon_field(flags_start, end, open, "flags")?;
        let flags = self.ace_flags(flags_start, flags_end)?;
        // Rights.
        let rights_start = flags_end + 1;
        let rights_end = self.semicolon_field(rights_start, end, open, "rights")?;
        let mask = self.rights(rights_start, rights_end)?;
        // GUIDs.
        let obj_start = rights_end + 1;
        let obj_end = self.semicolon_field(obj_start, end, open, "object GUID")?;
        let object_type = self.guid(obj_start, obj_end)?;
        let inh_start = obj_end + 1;
        let inh_end = self.semicolon_field(inh_start, end, open, "inherited object GUID")?;
        let inherited_object_type = self.guid(inh_start, inh_end)?;
        // SID.
        let sid_start = inh_end + 1;
        let (sid_end, term) = self.field_end(sid_start, end, open)?;
        let wants_data = ace_type.is_callback() || ace_type == AceType::SystemResourceAttribute;
        let (data, close) = if term == b';' {
            if !wants_data {
                return Err(acl_error(
                    sid_end,
                    format!(
                        "`{}` ACEs have six fields; a seventh (condition or attribute) is only for XA, XD, XU, ZA and RA ACEs",
                        ace_type.sddl()
                    ),
                ));
            }
            let (data, close) = self.ace_data(ace_type, sid_end + 1, end, open)?;
            (Some(data), close)
        } else {
            if ace_type == AceType::SystemResourceAttribute {
                return Err(acl_error(
                    sid_end,
                    "an RA ACE needs a seventh field with the attribute: (\"name\",TS,0x0,\"value\")",
                ));
            }
            (None, sid_end)
        };
        let sid_pos = self.skip_spaces(sid_start, sid_end);
        let sid = self
            .sid_field(sid_pos, sid_end)
            .map_err(|(offset, message)| acl_error(offset, format!("bad ACE SID: {message}")))?;

        let has_guid = object_type.is_some() || inherited_object_type.is_some();
        if has_guid && !ace_type.is_object() {
            return Err(acl_error(
                obj_start,
                format!(
                    "`{}` ACEs take no GUIDs; object GUIDs need an object ACE type (OA, OD, OU, OL)",
                    ace_type.sddl()
                ),
            ));
        }
        let ace_type = if has_guid {
            ace_type
        } else {
            ace_type.without_object()
        };
        Ok((
            Ace {
                ace_type,
                flags,
                mask: AccessMask(mask),
                sid,
                object_type,
                inherited_object_type,
                data,
            },
            close + 1,
        ))
    }

    /// The position of the `)` matching the `(` at `open`, skipping
    /// string literals.
    fn matching_paren(&self, open: usize, end: usize) -> Option<usize> {
        let mut depth = 0usize;
        let mut in_string = false;
        let mut i = open;
        while i < end {
            match self.byte(i)? {
                b'"' => in_string = !in_string,
                b'(' if !in_string => depth += 1,
                b')' if !in_string => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// The seventh field of a callback or resource attribute ACE, from
    /// `start`; returns the data and the position of the ACE's closing `)`.
    fn ace_data(
        &self,
        ace_type: AceType,
        start: usize,
        end: usize,
        open: usize,
    ) -> Result<(AceData, usize), SddlError> {
        let pos = self.skip_spaces(start, end);
        if self.byte(pos) != Some(b'(') {
            return Err(acl_error(
                pos,
                format!(
                    "expected `(` starting the {}, found {}",
                    if ace_type.is_callback() {
                        "condition"
                    } else {
                        "attribute"
                    },
                    self.char_at(pos)
                ),
            ));
        }
        let close = self
            .matching_paren(pos, end)
            .ok_or_else(|| acl_error(pos, "unbalanced parentheses in the seventh ACE field"))?;
        let inner = self.slice(pos, close + 1);
        let data = if ace_type.is_callback() {
            let c = crate::condition::parse(inner, self.ctx)
                .map_err(|e| acl_error(pos + e.offset, format!("bad condition: {}", e.message)))?;
            AceData::Condition(c)
        } else {
            AceData::Attribute(
                resource_attribute(self.slice(pos + 1, close), self.ctx).map_err(|(at, m)| {
                    acl_error(pos + 1 + at, format!("bad resource attribute: {m}"))
                })?,
            )
        };
        let after = self.skip_spaces(close + 1, end);
        if self.byte(after) != Some(b')') {
            return Err(acl_error(
                after,
                format!("expected `)` ending the ACE, found {}", self.char_at(after)),
            ));
        }
        let _ = open;
        Ok((data, after))
    }

    fn ace_type(&self, start: usize, end: usize, dacl: bool) -> Result<AceType, SddlError> {
        let token = self.slice(start, end);
        let ace_type = AceType::from_sddl(token).ok_or_else(|| {
            acl_error(
                start,
                format!(
                    "unknown ACE type `{}`: expected A, D, OA, OD, XA, XD, ZA (in D:) or AU, AL, OU, OL, ML, SP, XU, RA (in S:), with no space before `;`",
                    token.escape_debug()
                ),
            )
        })?;
        if dacl && !ace_type.is_discretionary() {
            return Err(acl_error(
                start,
                format!(
                    "`{}` ACEs belong in the SACL (`S:`), not the DACL",
                    ace_type.sddl()
                ),
            ));
        }
        if !dacl && ace_type.is_discretionary() {
            return Err(acl_error(
                start,
                format!(
                    "`{}` ACEs belong in the DACL (`D:`), not the SACL",
                    ace_type.sddl()
                ),
            ));
        }
        Ok(ace_type)
    }

    fn ace_flags(&self, start: usize, end: usize) -> Result<AceFlags, SddlError> {
        let mut bits = 0u8;
        let mut pos = self.skip_spaces(start, end);
        while pos < end {
            let token = self.bytes.get(pos..pos + 2).filter(|_| pos + 2 <= end);
            let found = token.and_then(|t| {
                AceFlags::SDDL
                    .iter()
                    .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(t))
            });
            match found {
                Some((_, bit)) => bits |= bit,
                None => {
                    return Err(acl_error(
                        pos,
                        format!(
                            "unknown ACE flag at {}: expected OI, CI, NP, IO, ID, SA or FA",
                            self.char_at(pos)
                        ),
                    ))
                }
            }
            pos = self.skip_spaces(pos + 2, end);
        }
        Ok(AceFlags(bits))
    }

    /// The rights field: tokens and `strtoul`-style numbers, OR'd.
    fn rights(&self, start: usize, end: usize) -> Result<u32, SddlError> {
        let mut mask = 0u32;
        let mut pos = start;
        while pos < end {
            pos = self.skip_spaces(pos, end);
            if pos >= end {
                return Err(acl_error(
                    end.saturating_sub(1),
                    "a space may not end the rights field (spaces are only allowed before and between rights)",
                ));
            }
            match self.byte(pos) {
                Some(b'0'..=b'9' | b'-') => {
                    let (value, next) = parse_ulong(self.bytes, pos, end).ok_or_else(|| {
                        acl_error(pos, "expected digits after `-` in the rights field")
                    })?;
                    mask |= value;
                    pos = next;
                }
                _ => {
                    let token = self.bytes.get(pos..pos + 2).filter(|_| pos + 2 <= end);
                    let found = token.and_then(|t| {
                        RIGHTS_TOKENS
                            .iter()
                            .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(t))
                    });
                    match found {
                        Some((_, value)) => mask |= value,
                        None if pos > start
                            && self.byte(pos - 1) == Some(b'0')
                            && !(pos >= start + 2
                                && self.byte(pos - 2).is_some_and(|b| b.is_ascii_digit()))
                            && matches!(self.byte(pos), Some(b'x' | b'X')) =>
                        {
                            return Err(acl_error(
                                pos,
                                "`0x` must be followed directly by hex digits",
                            ))
                        }
                        None => {
                            return Err(acl_error(
                                pos,
                                format!(
                                    "unknown right at {}: expected a number or two-letter rights such as GA, GR, RP, WP, FA, KA",
                                    self.char_at(pos)
                                ),
                            ))
                        }
                    }
                    pos += 2;
                }
            }
        }
        Ok(mask)
    }

    /// A GUID field: empty (or spaces only) for none, else exactly 36
    /// characters `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
    fn guid(&self, start: usize, end: usize) -> Result<Option<Guid>, SddlError> {
        if self.skip_spaces(start, end) == end {
            return Ok(None);
        }
        let field = self.slice(start, end);
        let well_formed =
            field.len() == 36 && field.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
        let guid = if well_formed {
            Guid::parse(field)
        } else {
            None
        };
        guid.map(Some).ok_or_else(|| {
            acl_error(
                start,
                format!(
                    "`{}` is not a GUID: expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx with no spaces or braces",
                    field.escape_debug()
                ),
            )
        })
    }
}

/// The inside of an RA ACE's seventh field: `"name",TYPE,flags,value,...`
/// (MS-DTYP 2.5.1.1). Values are not checked for duplicates here: Windows
/// stores such an attribute and the access check treats it as absent.
fn resource_attribute(text: &str, ctx: &DomainContext) -> Result<Claim, (usize, String)> {
    let parts = split_top(text);
    let mut it = parts.into_iter();
    let (name_at, name) = it.next().ok_or((0, "empty attribute".to_string()))?;
    let name = name
        .trim()
        .strip_prefix('"')
        .and_then(|n| n.strip_suffix('"'))
        .filter(|n| !n.is_empty())
        .ok_or((
            name_at,
            "the attribute name must be a non-empty \"string\"".to_string(),
        ))?;
    let (ty_at, ty) = it.next().ok_or((
        text.len(),
        "expected the type TI, TU, TS, TD, TX or TB".to_string(),
    ))?;
    let value_type = ClaimType::from_sddl(ty.trim()).ok_or((
        ty_at,
        format!(
            "`{}` is not a type: expected TI, TU, TS, TD, TX or TB",
            ty.trim()
        ),
    ))?;
    let (fl_at, fl) = it
        .next()
        .ok_or((text.len(), "expected the flags".to_string()))?;
    let fl = fl.trim();
    let flags = parse_ulong(fl.as_bytes(), 0, fl.len())
        .filter(|(_, used)| *used == fl.len())
        .map(|(v, _)| v)
        .ok_or((fl_at, format!("`{fl}` is not a flags number")))?;
    let mut values = Vec::new();
    for (at, v) in it {
        let v = v.trim();
        let bad = |what: &str| (at, format!("`{v}` is not {what}"));
        values.push(match value_type {
            ClaimType::Int64 => {
                ClaimValue::Int64(parse_i64(v).ok_or_else(|| bad("a signed integer"))?)
            }
            ClaimType::Uint64 => ClaimValue::Uint64(
                parse_i64(v)
                    .and_then(|n| u64::try_from(n).ok())
                    .ok_or_else(|| bad("an unsigned integer"))?,
            ),
            ClaimType::Boolean => match parse_i64(v) {
                Some(0) => ClaimValue::Boolean(false),
                Some(1) => ClaimValue::Boolean(true),
                _ => return Err(bad("a boolean 0 or 1")),
            },
            ClaimType::String => ClaimValue::String(
                v.strip_prefix('"')
                    .and_then(|s| s.strip_suffix('"'))
                    .ok_or_else(|| bad("a \"string\""))?
                    .to_string(),
            ),
            ClaimType::Sid => {
                let inner = v
                    .get(..4)
                    .filter(|p| p.eq_ignore_ascii_case("SID("))
                    .and_then(|_| v[4..].strip_suffix(')'))
                    .ok_or_else(|| bad("SID(...)"))?;
                ClaimValue::Sid(Sid::parse_in(inner.trim(), ctx).map_err(|_| bad("a SID"))?)
            }
            ClaimType::OctetString => {
                let hex = v.strip_prefix('#').ok_or_else(|| bad("#hex"))?;
                ClaimValue::OctetString(
                    crate::binary::from_hex(&hex.replace('#', "0")).map_err(|_| bad("#hex"))?,
                )
            }
        });
    }
    Ok(Claim {
        name: name.to_string(),
        value_type,
        flags,
        values,
    })
}

/// Splits on commas outside string literals and parentheses, keeping
/// each part's offset.
fn split_top(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let (mut depth, mut in_string, mut from) = (0usize, false, 0usize);
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'"' => in_string = !in_string,
            b'(' if !in_string => depth += 1,
            b')' if !in_string => depth = depth.saturating_sub(1),
            b',' if !in_string && depth == 0 => {
                out.push((from, &text[from..i]));
                from = i + 1;
            }
            _ => {}
        }
    }
    out.push((from, &text[from..]));
    out
}

/// A signed 64-bit integer in decimal, `0x` hex or `0` octal, with an
/// optional sign.
fn parse_i64(v: &str) -> Option<i64> {
    let (neg, digits) = match v.as_bytes().first() {
        Some(b'-') => (true, &v[1..]),
        Some(b'+') => (false, &v[1..]),
        _ => (false, v),
    };
    let mag = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        u64::from_str_radix(h, 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        u64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        digits.parse::<u64>().ok()?
    };
    if neg {
        0i64.checked_sub_unsigned(mag)
    } else {
        i64::try_from(mag).ok()
    }
}

/// C `strtoul(text, &end, 0)` on a 32-bit `unsigned long`, starting at a
/// digit or `-` at `pos` and stopping at `end`: `0x`/`0X` hex, a leading `0`
/// octal, else decimal; overflow saturates to `0xFFFFFFFF`; a leading `-`
/// negates modulo 2^32 after saturation. Returns the value and the position
/// after the last digit, or `None` when no digit follows a `-`.
pub(crate) fn parse_ulong(bytes: &[u8], mut pos: usize, end: usize) -> Option<(u32, usize)> {
    let at = |i: usize| if i < end { bytes.get(i).copied() } else { None };
    let negative = at(pos) == Some(b'-');
    if negative {
        pos += 1;
    }
    let radix: u32 = if at(pos) == Some(b'0') {
        if matches!(at(pos + 1), Some(b'x' | b'X'))
            && at(pos + 2).is_some_and(|c| c.is_ascii_hexdigit())
        {
            pos += 2;
            16
        } else {
            8
        }
    } else {
        10
    };
    let digits_start = pos;
    let mut value: u64 = 0;
    while let Some(d) = at(pos).and_then(|c| char::from(c).to_digit(radix)) {
        value = (value * u64::from(radix) + u64::from(d)).min(u64::from(u32::MAX) + 1);
        pos += 1;
    }
    if pos == digits_start {
        return None;
    }
    let value = u32::try_from(value).unwrap_or(u32::MAX);
    Some((
        if negative {
            value.wrapping_neg()
        } else {
            value
        },
        pos,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ul(s: &str) -> Option<(u32, usize)> {
        parse_ulong(s.as_bytes(), 0, s.len())
    }

    #[test]
    fn strtoul_semantics() {
        assert_eq!(ul("123456789"), Some((0x75bcd15, 9)));
        assert_eq!(ul("020000000000"), Some((0x8000_0000, 12)));
        assert_eq!(ul("01234567"), Some((0x53977, 8)));
        assert_eq!(ul("0x123456789"), Some((0xffff_ffff, 11)));
        assert_eq!(ul("100000000000000000000000"), Some((0xffff_ffff, 24)));
        assert_eq!(ul("-99"), Some((0xffff_ff9d, 3)));
        assert_eq!(ul("-9876543210"), Some((1, 11)));
        assert_eq!(ul("0xFFFFFGR"), Some((0xfffff, 7)));
        assert_eq!(
            ul("0x 75"),
            Some((0, 1)),
            "`0x` without a hex digit reads as 0"
        );
        assert_eq!(ul("08"), Some((0, 1)), "octal stops at 8");
        assert_eq!(ul("-"), None);
        assert_eq!(ul("-x"), None);
    }

    #[test]
    fn section_splitting() {
        let ctx = DomainContext::default();
        let e = parse("D:P:S:", &ctx).unwrap_err();
        assert_eq!((e.offset, e.win32), (2, Win32Error::InvalidParameter));
        // A colon inside parentheses does not split.
        assert!(parse("D:(A;;GA;;;WD:)", &ctx).is_err());
        // Non-ASCII before a colon never splits inside a character.
        assert!(parse("O:AA\u{e9}:", &ctx).is_err());
        assert!(parse("D::", &ctx).is_err());
        assert!(parse("\u{e9}:", &ctx).is_err());
    }
}
