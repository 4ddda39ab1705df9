//! Security descriptors for new objects: `CreatePrivateObjectSecurityEx`
//! over a parent descriptor, a creator descriptor and the creator's token
//! (MS-DTYP 2.5.3.4; Microsoft Learn, CreatePrivateObjectSecurityEx).
//!
//! Owns ACE inheritance (which parent ACEs reach a container or an object,
//! with which flags), generic mapping and CREATOR OWNER / CREATOR GROUP
//! replacement in inherited and default ACEs, the owner and group
//! defaults, the token's default DACL, and the auto-inherit flags. Rules
//! cited: `SD-*` in [`crate::rules`].

use serde::Serialize;

use crate::ace::{Ace, AceFlags, AceType, Guid};
use crate::descriptor::{control, Acl, AclSlot, SecurityDescriptor};
use crate::mask::{AccessMask, GenericMapping};
use crate::rules::ids;
use crate::sid::Sid;
use crate::token::Token;
use crate::well_known::sids;

/// How the new object is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CreateOptions {
    /// The new object is a container (a directory, a key): `IsDirectoryObject`.
    pub is_container: bool,
    /// `SEF_DACL_AUTO_INHERIT`.
    pub auto_inherit_dacl: bool,
    /// `SEF_SACL_AUTO_INHERIT`.
    pub auto_inherit_sacl: bool,
    /// The new object's type GUID (`ObjectTypes[0]`), for object ACEs with
    /// an InheritedObjectType.
    pub object_type: Option<Guid>,
}

/// The new descriptor and how each part was decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Created {
    /// The descriptor.
    pub sd: SecurityDescriptor,
    /// The owner or the group came from the token.
    pub owner_or_group_defaulted: bool,
    /// Some ACE was inherited from the parent.
    pub inherited: bool,
    /// An inherited ACE had its rights mapped or a creator SID replaced.
    pub transformed: bool,
    /// The DACL is the token's default DACL (or NULL for want of one).
    pub default_dacl: bool,
    /// The rules that shaped it, in order.
    pub rules: Vec<&'static str>,
}

/// `S-1-3-1` CREATOR GROUP.
fn is_creator_group(sid: &Sid) -> bool {
    sid.authority() == 3 && sid.sub_authorities() == [1]
}

fn is_creator_sid(sid: &Sid) -> bool {
    *sid == sids::creator_owner() || is_creator_group(sid)
}

/// True when the mask holds generic rights a copy that applies must map (a
/// label's mask is a policy, never mapped).
fn has_generic(ace: &Ace) -> bool {
    ace.ace_type != AceType::SystemMandatoryLabel && ace.mask.intersects(AccessMask::GENERIC_ANY)
}

fn effective_copy(ace: &Ace, mapping: &GenericMapping, owner: &Sid, group: &Sid, flags: u8) -> Ace {
    let mut copy = ace.clone();
    copy.flags = AceFlags(flags);
    if has_generic(ace) {
        copy.mask = mapping.map(ace.mask);
    }
    if ace.sid == sids::creator_owner() {
        copy.sid = owner.clone();
    } else if is_creator_group(&ace.sid) {
        copy.sid = group.clone();
    }
    copy
}

/// The ACEs a new object inherits from its parent's ACL (rules
/// `SD-INHERIT-ACES`, `SD-INHERIT-MAP`), and whether any copy was mapped or
/// had a creator SID replaced.
pub fn inherit_aces(
    parent: &Acl,
    opts: &CreateOptions,
    mapping: &GenericMapping,
    owner: &Sid,
    group: &Sid,
) -> (Vec<Ace>, bool) {
    const OI: u8 = AceFlags::OBJECT_INHERIT;
    const CI: u8 = AceFlags::CONTAINER_INHERIT;
    const NP: u8 = AceFlags::NO_PROPAGATE_INHERIT;
    const IO: u8 = AceFlags::INHERIT_ONLY;
    const ID: u8 = AceFlags::INHERITED;
    const AUDIT: u8 = AceFlags::SUCCESSFUL_ACCESS | AceFlags::FAILED_ACCESS;
    let mut out = Vec::new();
    let mut transformed = false;
    for ace in &parent.aces {
        let f = ace.flags.0;
        let (oi, ci, np) = (f & OI != 0, f & CI != 0, f & NP != 0);
        let audit = f & AUDIT;
        // An object ACE meant for children of another type.
        let other_type = ace
            .inherited_object_type
            .is_some_and(|g| opts.object_type != Some(g));
        let needs_effective_form = has_generic(ace) || is_creator_sid(&ace.sid);
        if !opts.is_container {
            if oi && !other_type {
                transformed |= needs_effective_form;
                out.push(effective_copy(ace, mapping, owner, group, ID | audit));
            }
            continue;
        }
        if ci {
            if other_type {
                if !np {
                    let mut copy = ace.clone();
                    copy.flags = AceFlags((f & (OI | CI)) | IO | ID | audit);
                    out.push(copy);
                }
            } else if np {
                transformed |= needs_effective_form;
                out.push(effective_copy(ace, mapping, owner, group, ID | audit));
            } else if needs_effective_form {
                transformed = true;
                out.push(effective_copy(ace, mapping, owner, group, ID | audit));
                let mut propagating = ace.clone();
                propagating.flags = AceFlags((f & (OI | CI)) | IO | ID | audit);
                out.push(propagating);
            } else {
                let mut copy = ace.clone();
                copy.flags = AceFlags((f & (OI | CI)) | ID | audit);
                out.push(copy);
            }
        } else if oi && !np {
            let mut copy = ace.clone();
            copy.flags = AceFlags(OI | IO | ID | audit);
            out.push(copy);
        }
    }
    (out, transformed)
}

/// `CreatePrivateObjectSecurityEx(parent, creator, token, mapping, opts)`
/// (rules `SD-CREATE-PARTS`, `SD-CREATE-AUTO-INHERIT`, `SD-INHERIT-*`).
pub fn create_security_descriptor(
    parent: Option<&SecurityDescriptor>,
    creator: Option<&SecurityDescriptor>,
    token: &Token,
    mapping: &GenericMapping,
    opts: &CreateOptions,
) -> Created {
    let mut rules = vec![ids::CREATE_PARTS];
    let given_owner = creator.and_then(|e| e.owner.clone());
    let given_group = creator.and_then(|e| e.group.clone());
    let owner_or_group_defaulted = given_owner.is_none() || given_group.is_none();
    let owner = given_owner.unwrap_or_else(|| token.owner.clone());
    let group = given_group.unwrap_or_else(|| token.primary_group.clone());
    let mut flags = creator.map_or(0, |e| e.flags);
    let mut transformed = false;
    let mut inherited = false;
    let mut inherit_from = |acl: Option<&Acl>| -> Vec<Ace> {
        let (aces, t) = acl.map_or((Vec::new(), false), |acl| {
            inherit_aces(acl, opts, mapping, &owner, &group)
        });
        transformed |= t;
        inherited |= !aces.is_empty();
        aces
    };
    let mut default_dacl = false;

    // DACL.
    let creator_dacl = creator.map(|e| &e.dacl).filter(|d| d.is_present());
    let dacl_protected = flags & control::DACL_PROTECTED != 0;
    let dacl = match creator_dacl {
        Some(slot) if opts.auto_inherit_dacl && !dacl_protected => {
            let mut aces = slot.acl().map_or_else(Vec::new, |a| a.aces.clone());
            aces.extend(inherit_from(parent.and_then(|p| p.dacl.acl())));
            AclSlot::Present(Acl::new(aces))
        }
        Some(slot) => slot.clone(),
        None => {
            let aces = inherit_from(parent.and_then(|p| p.dacl.acl()));
            if !aces.is_empty() {
                AclSlot::Present(Acl::new(aces))
            } else {
                default_dacl = true;
                match &token.default_dacl {
                    Some(acl) => AclSlot::Present(Acl::new(
                        acl.aces
                            .iter()
                            .map(|a| effective_copy(a, mapping, &owner, &group, a.flags.0))
                            .collect(),
                    )),
                    None => AclSlot::Null,
                }
            }
        }
    };
    // SACL.
    let creator_sacl = creator.map(|e| &e.sacl).filter(|s| s.is_present());
    let sacl_protected = flags & control::SACL_PROTECTED != 0;
    let sacl = match creator_sacl {
        Some(slot) if opts.auto_inherit_sacl && !sacl_protected => {
            let mut aces = slot.acl().map_or_else(Vec::new, |a| a.aces.clone());
            aces.extend(inherit_from(parent.and_then(|p| p.sacl.acl())));
            AclSlot::Present(Acl::new(aces))
        }
        Some(slot) => slot.clone(),
        None => {
            let aces = inherit_from(parent.and_then(|p| p.sacl.acl()));
            if aces.is_empty() {
                AclSlot::Absent
            } else {
                AclSlot::Present(Acl::new(aces))
            }
        }
    };
    if opts.auto_inherit_dacl || opts.auto_inherit_sacl {
        rules.push(ids::CREATE_AUTO_INHERIT);
        if opts.auto_inherit_dacl {
            flags |= control::DACL_AUTO_INHERITED;
        }
        if opts.auto_inherit_sacl && sacl.is_present() {
            flags |= control::SACL_AUTO_INHERITED;
        }
    }
    if inherited {
        rules.push(ids::INHERIT_ACES);
        if transformed {
            rules.push(ids::INHERIT_MAP);
        }
    }
    Created {
        sd: SecurityDescriptor {
            flags,
            rm_control: creator.map_or(0, |e| e.rm_control),
            owner: Some(owner),
            group: Some(group),
            dacl,
            sacl,
        },
        owner_or_group_defaulted,
        inherited,
        transformed,
        default_dacl,
        rules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::well_known::DomainContext;

    fn acl(text: &str) -> Acl {
        SecurityDescriptor::from_sddl(text)
            .unwrap()
            .dacl
            .acl()
            .unwrap()
            .clone()
    }

    fn print(aces: Vec<Ace>) -> String {
        let sd = SecurityDescriptor {
            dacl: AclSlot::Present(Acl::new(aces)),
            ..SecurityDescriptor::default()
        };
        crate::sddl::print(&sd, &DomainContext::default())
    }

    fn alice() -> Sid {
        "S-1-5-21-1-2-3-1001".parse().unwrap()
    }

    fn inherited(parent: &str, container: bool) -> String {
        let opts = CreateOptions {
            is_container: container,
            ..CreateOptions::default()
        };
        print(
            inherit_aces(
                &acl(parent),
                &opts,
                &GenericMapping::FILE,
                &alice(),
                &sids::builtin_users(),
            )
            .0,
        )
    }

    #[test]
    fn objects_get_oi_aces_mapped_with_flags_cleared() {
        // Wine test_CreateDirectoryA: parent (A;OICI;GA;;;X) gives a file (A;ID;FA;;;X).
        assert_eq!(
            inherited("D:(A;OICI;GA;;;BA)(A;CI;GR;;;WD)", false),
            "D:(A;ID;FA;;;BA)"
        );
        assert_eq!(
            inherited("D:(A;OICIIO;GA;;;CO)", false),
            "D:(A;ID;FA;;;S-1-5-21-1-2-3-1001)"
        );
    }

    #[test]
    fn containers_split_generic_aces_and_keep_oi_only_as_inherit_only() {
        assert_eq!(
            inherited("D:(A;OICI;GA;;;BA)(A;OI;GR;;;WD)(A;CINP;FR;;;AU)", true),
            "D:(A;ID;FA;;;BA)(A;OICIIOID;GA;;;BA)(A;OIIOID;GR;;;WD)(A;ID;0x120089;;;AU)"
        );
    }

    #[test]
    fn object_aces_for_another_type_pass_down_inherit_only() {
        let user = Guid::parse("bf967aba-0de6-11d0-a285-00aa003049e2").unwrap();
        let parent = acl(&format!("D:(OA;CI;RP;;{user};AU)"));
        let as_container = |object_type| {
            print(
                inherit_aces(
                    &parent,
                    &CreateOptions {
                        is_container: true,
                        object_type,
                        ..CreateOptions::default()
                    },
                    &GenericMapping::FILE,
                    &alice(),
                    &alice(),
                )
                .0,
            )
        };
        assert_eq!(as_container(None), format!("D:(OA;CIIOID;RP;;{user};AU)"));
        assert_eq!(
            as_container(Some(user)),
            format!("D:(OA;CIID;RP;;{user};AU)")
        );
    }

    #[test]
    fn creator_dacl_and_auto_inherit() {
        let parent = SecurityDescriptor::from_sddl("O:BAG:SYD:(A;OICI;FA;;;BA)").unwrap();
        let creator = SecurityDescriptor::from_sddl("D:(A;;FR;;;WD)").unwrap();
        let token = Token::new(alice());
        let plain = create_security_descriptor(
            Some(&parent),
            Some(&creator),
            &token,
            &GenericMapping::FILE,
            &CreateOptions::default(),
        );
        assert_eq!(
            plain.sd.to_sddl(),
            "O:S-1-5-21-1-2-3-1001G:S-1-5-21-1-2-3-1001D:(A;;0x120089;;;WD)"
        );
        assert!(plain.owner_or_group_defaulted && !plain.inherited);
        let auto = create_security_descriptor(
            Some(&parent),
            Some(&creator),
            &token,
            &GenericMapping::FILE,
            &CreateOptions {
                auto_inherit_dacl: true,
                ..CreateOptions::default()
            },
        );
        assert_eq!(
            auto.sd.to_sddl(),
            "O:S-1-5-21-1-2-3-1001G:S-1-5-21-1-2-3-1001D:AI(A;;0x120089;;;WD)(A;ID;FA;;;BA)"
        );
        // A protected creator DACL gets nothing inherited.
        let protected = SecurityDescriptor::from_sddl("D:P(A;;FR;;;WD)").unwrap();
        let p = create_security_descriptor(
            Some(&parent),
            Some(&protected),
            &token,
            &GenericMapping::FILE,
            &CreateOptions {
                auto_inherit_dacl: true,
                ..CreateOptions::default()
            },
        );
        assert_eq!(
            p.sd.to_sddl(),
            "O:S-1-5-21-1-2-3-1001G:S-1-5-21-1-2-3-1001D:PAI(A;;0x120089;;;WD)"
        );
        // Nothing inheritable and no default DACL: a NULL DACL.
        let none = create_security_descriptor(
            None,
            None,
            &token,
            &GenericMapping::FILE,
            &CreateOptions::default(),
        );
        assert_eq!(none.sd.dacl, AclSlot::Null);
        assert!(none.default_dacl);
    }
}
