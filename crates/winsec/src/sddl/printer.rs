//! The SDDL printer: `ConvertSecurityDescriptorToStringSecurityDescriptor`
//! ([WT], [SMB-W]).
//!
//! Callback ACEs print their condition as a seventh field in the canonical
//! form of [`crate::condition::Condition::to_sddl`], resource attribute
//! ACEs their attribute ([`attribute_to_sddl`]).
//!
//! Output order is `O:`, `G:`, `D:`, `S:`; absent parts print nothing, an
//! empty ACL prints as `D:`, a NULL ACL as `D:NO_ACCESS_CONTROL` (after the
//! ACL flags `P`, `AR`, `AI`, printed in that order). SIDs print as their
//! alias when they have one. Rights print as the tokens
//! `CC DC LC SW RP WP DT LO CR SD RC WD WO GA GX GW GR` in that order when
//! the mask is made only of those bits, else `FA` for exactly `0x1F01FF`,
//! else lower-case hex; mandatory label ACEs print their policy as
//! `NW NR NX`.
//!
//! Choice made where no Windows observation was found: the ACL flags of a
//! DACL or SACL that is absent are not printed (there is no `D:` to attach
//! them to).

use super::parser::NO_ACCESS_CONTROL;
use super::SecurityInformation;
use crate::ace::{label_policy, Ace, AceData, AceFlags, AceType};
use crate::claims::{Claim, ClaimValue};
use crate::descriptor::{control, AclSlot, SecurityDescriptor};
use crate::mask::AccessMask;
use crate::sid::Sid;
use crate::well_known::{self, DomainContext};

/// The rights tokens Windows prints, in the order it prints them.
const PRINT_ORDER: &[(&str, u32)] = &[
    ("CC", 0x0000_0001),
    ("DC", 0x0000_0002),
    ("LC", 0x0000_0004),
    ("SW", 0x0000_0008),
    ("RP", 0x0000_0010),
    ("WP", 0x0000_0020),
    ("DT", 0x0000_0040),
    ("LO", 0x0000_0080),
    ("CR", 0x0000_0100),
    ("SD", 0x0001_0000),
    ("RC", 0x0002_0000),
    ("WD", 0x0004_0000),
    ("WO", 0x0008_0000),
    ("GA", 0x1000_0000),
    ("GX", 0x2000_0000),
    ("GW", 0x4000_0000),
    ("GR", 0x8000_0000),
];

/// Every bit [`PRINT_ORDER`] can express.
const PRINTABLE_BITS: u32 = 0xF00F_01FF;

/// `FILE_ALL_ACCESS`, the one composite Windows prints (`FA`).
const FILE_ALL_ACCESS: u32 = 0x001F_01FF;

/// The label policy tokens, in print order.
const LABEL_ORDER: &[(&str, u32)] = &[
    ("NW", label_policy::NO_WRITE_UP),
    ("NR", label_policy::NO_READ_UP),
    ("NX", label_policy::NO_EXECUTE_UP),
];

/// Prints every part of a descriptor as Windows does
/// (`ConvertSecurityDescriptorToStringSecurityDescriptor` with owner,
/// group, DACL and SACL selected).
pub fn print(sd: &SecurityDescriptor, ctx: &DomainContext) -> String {
    print_parts(sd, ctx, SecurityInformation::ALL)
}

/// Prints the parts of a descriptor selected by `info`, in the order
/// `O:`, `G:`, `D:`, `S:`.
pub fn print_parts(
    sd: &SecurityDescriptor,
    ctx: &DomainContext,
    info: SecurityInformation,
) -> String {
    let mut out = String::new();
    if info.contains(SecurityInformation::OWNER) {
        if let Some(owner) = &sd.owner {
            out.push_str("O:");
            out.push_str(&sid_to_sddl(owner, ctx));
        }
    }
    if info.contains(SecurityInformation::GROUP) {
        if let Some(group) = &sd.group {
            out.push_str("G:");
            out.push_str(&sid_to_sddl(group, ctx));
        }
    }
    if info.contains(SecurityInformation::DACL) {
        push_acl(
            &mut out,
            "D:",
            &sd.dacl,
            sd.flags,
            [
                control::DACL_PROTECTED,
                control::DACL_AUTO_INHERIT_REQ,
                control::DACL_AUTO_INHERITED,
            ],
            ctx,
        );
    }
    if info.contains(SecurityInformation::SACL) {
        push_acl(
            &mut out,
            "S:",
            &sd.sacl,
            sd.flags,
            [
                control::SACL_PROTECTED,
                control::SACL_AUTO_INHERIT_REQ,
                control::SACL_AUTO_INHERITED,
            ],
            ctx,
        );
    }
    out
}

fn push_acl(
    out: &mut String,
    prefix: &str,
    slot: &AclSlot,
    flags: u16,
    bits: [u16; 3],
    ctx: &DomainContext,
) {
    let acl = match slot {
        AclSlot::Absent => return,
        AclSlot::Null => None,
        AclSlot::Present(acl) => Some(acl),
    };
    out.push_str(prefix);
    for (token, bit) in ["P", "AR", "AI"].iter().zip(bits) {
        if flags & bit != 0 {
            out.push_str(token);
        }
    }
    match acl {
        None => out.push_str(NO_ACCESS_CONTROL),
        Some(acl) => {
            for ace in &acl.aces {
                out.push_str(&ace_to_sddl(ace, ctx));
            }
        }
    }
}

/// A SID as SDDL prints it: its alias if it has one (domain-relative ones
/// against `ctx`), else the `S-1-...` string.
pub fn sid_to_sddl(sid: &Sid, ctx: &DomainContext) -> String {
    match well_known::alias_for_sid(sid, ctx) {
        Some(alias) => alias.to_string(),
        None => sid.to_string(),
    }
}

/// One ACE as SDDL prints it: `(type;flags;rights;object_guid;inherit_object_guid;sid)`.
///
/// GUIDs are printed (lower-case) only for object ACE types.
pub fn ace_to_sddl(ace: &Ace, ctx: &DomainContext) -> String {
    let mut out = String::from("(");
    out.push_str(ace.ace_type.sddl());
    out.push(';');
    for (token, bit) in AceFlags::SDDL {
        if ace.flags.has(*bit) {
            out.push_str(token);
        }
    }
    out.push(';');
    if ace.ace_type == AceType::SystemMandatoryLabel {
        out.push_str(&label_mask_to_sddl(ace.mask));
    } else {
        out.push_str(&mask_to_sddl(ace.mask));
    }
    out.push(';');
    if ace.ace_type.is_object() {
        if let Some(guid) = &ace.object_type {
            out.push_str(&guid.to_string());
        }
        out.push(';');
        if let Some(guid) = &ace.inherited_object_type {
            out.push_str(&guid.to_string());
        }
        out.push(';');
    } else {
        out.push_str(";;");
    }
    out.push_str(&sid_to_sddl(&ace.sid, ctx));
    match &ace.data {
        Some(AceData::Condition(c)) => {
            out.push(';');
            out.push_str(&c.to_sddl(ctx));
        }
        Some(AceData::Attribute(a)) => {
            out.push(';');
            out.push_str(&attribute_to_sddl(a, ctx));
        }
        None => {}
    }
    out.push(')');
    out
}

/// A resource attribute as SDDL prints it: `("name",TS,0x0,"a","b")`
/// (flags `0` or lower-case hex, integers in decimal, SIDs as `SID(...)`,
/// octet strings as `#hex`).
pub fn attribute_to_sddl(a: &Claim, ctx: &DomainContext) -> String {
    let mut out = format!("(\"{}\",{},", a.name, a.value_type.sddl());
    if a.flags == 0 {
        out.push('0');
    } else {
        out.push_str(&format!("{:#x}", a.flags));
    }
    for v in &a.values {
        out.push(',');
        match v {
            ClaimValue::Sid(s) => out.push_str(&format!("SID({})", sid_to_sddl(s, ctx))),
            other => out.push_str(&other.to_string()),
        }
    }
    out.push(')');
    out
}

/// An access mask as SDDL prints it: rights tokens in Windows' order when
/// they express the whole mask (`0` prints as nothing), else `FA` for
/// exactly `FILE_ALL_ACCESS`, else lower-case hex (`0x12019f`).
pub fn mask_to_sddl(mask: AccessMask) -> String {
    let bits = mask.bits();
    if bits & !PRINTABLE_BITS == 0 {
        return tokens(bits, PRINT_ORDER);
    }
    if bits == FILE_ALL_ACCESS {
        return "FA".to_string();
    }
    format!("{bits:#x}")
}

/// A mandatory label policy as SDDL prints it: `NW`, `NR`, `NX` when the
/// mask holds only policy bits, else as [`mask_to_sddl`].
pub fn label_mask_to_sddl(mask: AccessMask) -> String {
    let bits = mask.bits();
    if bits & !label_policy::VALID == 0 {
        return tokens(bits, LABEL_ORDER);
    }
    mask_to_sddl(mask)
}

fn tokens(bits: u32, table: &[(&str, u32)]) -> String {
    table
        .iter()
        .filter(|(_, bit)| bits & bit != 0)
        .map(|(token, _)| *token)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ace::Guid;
    use crate::descriptor::Acl;

    #[test]
    fn label_policy_tokens() {
        assert_eq!(label_mask_to_sddl(AccessMask(7)), "NWNRNX");
        assert_eq!(label_mask_to_sddl(AccessMask(4)), "NX");
        assert_eq!(label_mask_to_sddl(AccessMask(0)), "");
        assert_eq!(label_mask_to_sddl(AccessMask(0x10)), "RP");
    }

    #[test]
    fn object_ace_and_null_acl() {
        let ctx = DomainContext::default();
        let guid = Guid::parse("bf967aba-0de6-11d0-a285-00aa003049e2");
        let mut ace = Ace::new(
            AceType::AccessAllowedObject,
            0x0a,
            AccessMask(0x10),
            "S-1-5-32-554".parse().unwrap(),
        );
        ace.inherited_object_type = guid;
        assert_eq!(
            ace_to_sddl(&ace, &ctx),
            "(OA;CIIO;RP;;bf967aba-0de6-11d0-a285-00aa003049e2;RU)"
        );
        let sd = SecurityDescriptor {
            flags: control::DACL_PROTECTED
                | control::SACL_AUTO_INHERITED
                | control::DACL_AUTO_INHERIT_REQ,
            dacl: AclSlot::Null,
            sacl: AclSlot::Present(Acl::new(vec![ace.clone()])),
            ..SecurityDescriptor::default()
        };
        // Not a SACL ACE type, but printing does not judge.
        assert_eq!(
            print(&sd, &ctx),
            "D:PARNO_ACCESS_CONTROLS:AI(OA;CIIO;RP;;bf967aba-0de6-11d0-a285-00aa003049e2;RU)"
        );
    }
}
