//! ACLs and security descriptors as values.
//!
//! Owns `Acl`, the three states a DACL or SACL slot can be in (absent, NULL,
//! present), the control word, and the `SecurityDescriptor` value. Text and
//! binary encodings live in [`crate::sddl`] and [`crate::binary`].

use serde::Serialize;

use crate::ace::{Ace, AceType};
use crate::sid::Sid;

/// `ACL_REVISION`.
pub const ACL_REVISION: u8 = 2;
/// `ACL_REVISION_DS`: needed when the ACL holds object ACEs.
pub const ACL_REVISION_DS: u8 = 4;

/// An access control list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Acl {
    /// `AclRevision`: 2, or 4 when object ACEs are present.
    pub revision: u8,
    /// The entries, in stored order (the access check walks them in order).
    pub aces: Vec<Ace>,
}

impl Acl {
    /// An ACL with the revision Windows chooses for these ACEs.
    pub fn new(aces: Vec<Ace>) -> Acl {
        let revision = if aces.iter().any(|a| a.ace_type.is_object()) {
            ACL_REVISION_DS
        } else {
            ACL_REVISION
        };
        Acl { revision, aces }
    }

    /// An ACL with no entries.
    pub fn empty() -> Acl {
        Acl::new(Vec::new())
    }

    /// The size of the binary form (`AclSize`).
    pub fn binary_len(&self) -> usize {
        8 + self.aces.iter().map(Ace::binary_len).sum::<usize>()
    }
}

/// The state of a DACL or SACL slot.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "state", content = "acl", rename_all = "snake_case")]
pub enum AclSlot {
    /// `*_PRESENT` clear: no ACL at all. An absent DACL grants everything.
    Absent,
    /// `*_PRESENT` set with no ACL (SDDL `NO_ACCESS_CONTROL`). A NULL DACL
    /// grants everything.
    Null,
    /// `*_PRESENT` set with an ACL (possibly empty: an empty DACL denies all).
    Present(Acl),
}

impl AclSlot {
    /// The ACL, when one is present.
    pub fn acl(&self) -> Option<&Acl> {
        match self {
            AclSlot::Present(acl) => Some(acl),
            _ => None,
        }
    }

    /// True unless absent.
    pub fn is_present(&self) -> bool {
        !matches!(self, AclSlot::Absent)
    }
}

/// Security descriptor control bits (`SECURITY_DESCRIPTOR_CONTROL`).
pub mod control {
    /// `SE_OWNER_DEFAULTED`.
    pub const OWNER_DEFAULTED: u16 = 0x0001;
    /// `SE_GROUP_DEFAULTED`.
    pub const GROUP_DEFAULTED: u16 = 0x0002;
    /// `SE_DACL_PRESENT`.
    pub const DACL_PRESENT: u16 = 0x0004;
    /// `SE_DACL_DEFAULTED`.
    pub const DACL_DEFAULTED: u16 = 0x0008;
    /// `SE_SACL_PRESENT`.
    pub const SACL_PRESENT: u16 = 0x0010;
    /// `SE_SACL_DEFAULTED`.
    pub const SACL_DEFAULTED: u16 = 0x0020;
    /// `SE_DACL_TRUSTED`.
    pub const DACL_TRUSTED: u16 = 0x0040;
    /// `SE_SERVER_SECURITY`.
    pub const SERVER_SECURITY: u16 = 0x0080;
    /// `SE_DACL_AUTO_INHERIT_REQ` (SDDL `AR` on `D:`).
    pub const DACL_AUTO_INHERIT_REQ: u16 = 0x0100;
    /// `SE_SACL_AUTO_INHERIT_REQ` (SDDL `AR` on `S:`).
    pub const SACL_AUTO_INHERIT_REQ: u16 = 0x0200;
    /// `SE_DACL_AUTO_INHERITED` (SDDL `AI` on `D:`).
    pub const DACL_AUTO_INHERITED: u16 = 0x0400;
    /// `SE_SACL_AUTO_INHERITED` (SDDL `AI` on `S:`).
    pub const SACL_AUTO_INHERITED: u16 = 0x0800;
    /// `SE_DACL_PROTECTED` (SDDL `P` on `D:`).
    pub const DACL_PROTECTED: u16 = 0x1000;
    /// `SE_SACL_PROTECTED` (SDDL `P` on `S:`).
    pub const SACL_PROTECTED: u16 = 0x2000;
    /// `SE_RM_CONTROL_VALID`.
    pub const RM_CONTROL_VALID: u16 = 0x4000;
    /// `SE_SELF_RELATIVE`.
    pub const SELF_RELATIVE: u16 = 0x8000;
    /// The bits derived from the value rather than stored.
    pub const DERIVED: u16 = DACL_PRESENT | SACL_PRESENT | SELF_RELATIVE;
}

/// A security descriptor.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SecurityDescriptor {
    /// Control bits other than `DACL_PRESENT`, `SACL_PRESENT` and
    /// `SELF_RELATIVE`, which [`SecurityDescriptor::control`] derives.
    pub flags: u16,
    /// `Sbz1`, the resource-manager control byte (kept for binary fidelity).
    pub rm_control: u8,
    /// The owner SID, if set.
    pub owner: Option<Sid>,
    /// The primary group SID, if set.
    pub group: Option<Sid>,
    /// The discretionary ACL.
    pub dacl: AclSlot,
    /// The system ACL (audit entries and the mandatory label).
    pub sacl: AclSlot,
}

impl Default for SecurityDescriptor {
    fn default() -> SecurityDescriptor {
        SecurityDescriptor {
            flags: 0,
            rm_control: 0,
            owner: None,
            group: None,
            dacl: AclSlot::Absent,
            sacl: AclSlot::Absent,
        }
    }
}

impl SecurityDescriptor {
    /// The control word of the self-relative form.
    pub fn control(&self) -> u16 {
        let mut c = (self.flags & !control::DERIVED) | control::SELF_RELATIVE;
        if self.dacl.is_present() {
            c |= control::DACL_PRESENT;
        }
        if self.sacl.is_present() {
            c |= control::SACL_PRESENT;
        }
        c
    }

    /// True when a control flag is set.
    pub fn has_flag(&self, bit: u16) -> bool {
        self.control() & bit != 0
    }

    /// The first mandatory label ACE of the SACL that is not inherit-only:
    /// the object's integrity label.
    pub fn mandatory_label(&self) -> Option<&Ace> {
        self.sacl.acl().and_then(|acl| {
            acl.aces
                .iter()
                .find(|a| a.ace_type == AceType::SystemMandatoryLabel && !a.flags.inherit_only())
        })
    }
}
