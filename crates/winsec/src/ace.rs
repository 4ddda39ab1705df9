//! Access control entries: types, flags, object GUIDs and the `Ace` value.
//!
//! Owns the ACE vocabulary of MS-DTYP 2.4.4 that the model supports and the
//! SDDL tokens for each (MS-DTYP 2.4.4.1-2.4.4.17, 2.5.1.1): the plain,
//! object, label and scoped-policy ACEs, the callback ACEs with a
//! conditional expression (`XA`, `XD`, `ZA`, `XU`) and the resource
//! attribute ACE (`RA`), whose extra data is an [`AceData`]. The compound
//! ACE and the callback types that have no SDDL token are outside the
//! model; see `docs/decisions.md`.

use std::fmt;

use serde::Serialize;

use crate::claims::Claim;
use crate::condition::Condition;
use crate::mask::AccessMask;
use crate::sid::Sid;

/// The ACE types the model supports, with their `AceType` byte values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum AceType {
    /// `ACCESS_ALLOWED_ACE_TYPE` (0), SDDL `A`.
    AccessAllowed,
    /// `ACCESS_DENIED_ACE_TYPE` (1), SDDL `D`.
    AccessDenied,
    /// `SYSTEM_AUDIT_ACE_TYPE` (2), SDDL `AU`.
    SystemAudit,
    /// `SYSTEM_ALARM_ACE_TYPE` (3), SDDL `AL`.
    SystemAlarm,
    /// `ACCESS_ALLOWED_OBJECT_ACE_TYPE` (5), SDDL `OA`.
    AccessAllowedObject,
    /// `ACCESS_DENIED_OBJECT_ACE_TYPE` (6), SDDL `OD`.
    AccessDeniedObject,
    /// `SYSTEM_AUDIT_OBJECT_ACE_TYPE` (7), SDDL `OU`.
    SystemAuditObject,
    /// `SYSTEM_ALARM_OBJECT_ACE_TYPE` (8), SDDL `OL`.
    SystemAlarmObject,
    /// `SYSTEM_MANDATORY_LABEL_ACE_TYPE` (0x11), SDDL `ML`.
    SystemMandatoryLabel,
    /// `SYSTEM_SCOPED_POLICY_ID_ACE_TYPE` (0x13), SDDL `SP`.
    SystemScopedPolicyId,
    /// `ACCESS_ALLOWED_CALLBACK_ACE_TYPE` (9), SDDL `XA`.
    AccessAllowedCallback,
    /// `ACCESS_DENIED_CALLBACK_ACE_TYPE` (0xA), SDDL `XD`.
    AccessDeniedCallback,
    /// `ACCESS_ALLOWED_CALLBACK_OBJECT_ACE_TYPE` (0xB), SDDL `ZA`.
    AccessAllowedCallbackObject,
    /// `SYSTEM_AUDIT_CALLBACK_ACE_TYPE` (0xD), SDDL `XU`.
    SystemAuditCallback,
    /// `SYSTEM_RESOURCE_ATTRIBUTE_ACE_TYPE` (0x12), SDDL `RA`.
    SystemResourceAttribute,
}

impl AceType {
    /// Every supported type.
    pub const ALL: &'static [AceType] = &[
        AceType::AccessAllowed,
        AceType::AccessDenied,
        AceType::SystemAudit,
        AceType::SystemAlarm,
        AceType::AccessAllowedObject,
        AceType::AccessDeniedObject,
        AceType::SystemAuditObject,
        AceType::SystemAlarmObject,
        AceType::SystemMandatoryLabel,
        AceType::SystemScopedPolicyId,
        AceType::AccessAllowedCallback,
        AceType::AccessDeniedCallback,
        AceType::AccessAllowedCallbackObject,
        AceType::SystemAuditCallback,
        AceType::SystemResourceAttribute,
    ];

    /// The `AceType` byte.
    pub const fn code(self) -> u8 {
        match self {
            AceType::AccessAllowed => 0x00,
            AceType::AccessDenied => 0x01,
            AceType::SystemAudit => 0x02,
            AceType::SystemAlarm => 0x03,
            AceType::AccessAllowedObject => 0x05,
            AceType::AccessDeniedObject => 0x06,
            AceType::SystemAuditObject => 0x07,
            AceType::SystemAlarmObject => 0x08,
            AceType::SystemMandatoryLabel => 0x11,
            AceType::SystemScopedPolicyId => 0x13,
            AceType::AccessAllowedCallback => 0x09,
            AceType::AccessDeniedCallback => 0x0A,
            AceType::AccessAllowedCallbackObject => 0x0B,
            AceType::SystemAuditCallback => 0x0D,
            AceType::SystemResourceAttribute => 0x12,
        }
    }

    /// The type for an `AceType` byte, if supported.
    pub fn from_code(code: u8) -> Option<AceType> {
        AceType::ALL.iter().copied().find(|t| t.code() == code)
    }

    /// The SDDL token (`A`, `D`, `AU`, ...).
    pub const fn sddl(self) -> &'static str {
        match self {
            AceType::AccessAllowed => "A",
            AceType::AccessDenied => "D",
            AceType::SystemAudit => "AU",
            AceType::SystemAlarm => "AL",
            AceType::AccessAllowedObject => "OA",
            AceType::AccessDeniedObject => "OD",
            AceType::SystemAuditObject => "OU",
            AceType::SystemAlarmObject => "OL",
            AceType::SystemMandatoryLabel => "ML",
            AceType::SystemScopedPolicyId => "SP",
            AceType::AccessAllowedCallback => "XA",
            AceType::AccessDeniedCallback => "XD",
            AceType::AccessAllowedCallbackObject => "ZA",
            AceType::SystemAuditCallback => "XU",
            AceType::SystemResourceAttribute => "RA",
        }
    }

    /// The type for an SDDL token, case-insensitive.
    pub fn from_sddl(token: &str) -> Option<AceType> {
        AceType::ALL
            .iter()
            .copied()
            .find(|t| t.sddl().eq_ignore_ascii_case(token))
    }

    /// True for the object ACE types, which carry GUIDs.
    pub const fn is_object(self) -> bool {
        matches!(
            self,
            AceType::AccessAllowedObject
                | AceType::AccessDeniedObject
                | AceType::SystemAuditObject
                | AceType::SystemAlarmObject
                | AceType::AccessAllowedCallbackObject
        )
    }

    /// True for the callback types, which carry a conditional expression.
    pub const fn is_callback(self) -> bool {
        matches!(
            self,
            AceType::AccessAllowedCallback
                | AceType::AccessDeniedCallback
                | AceType::AccessAllowedCallbackObject
                | AceType::SystemAuditCallback
        )
    }

    /// True for types that belong in a DACL (allowed and denied kinds).
    pub const fn is_discretionary(self) -> bool {
        matches!(
            self,
            AceType::AccessAllowed
                | AceType::AccessDenied
                | AceType::AccessAllowedObject
                | AceType::AccessDeniedObject
                | AceType::AccessAllowedCallback
                | AceType::AccessDeniedCallback
                | AceType::AccessAllowedCallbackObject
        )
    }

    /// True for allow types.
    pub const fn is_allow(self) -> bool {
        matches!(
            self,
            AceType::AccessAllowed
                | AceType::AccessAllowedObject
                | AceType::AccessAllowedCallback
                | AceType::AccessAllowedCallbackObject
        )
    }

    /// True for deny types.
    pub const fn is_deny(self) -> bool {
        matches!(
            self,
            AceType::AccessDenied | AceType::AccessDeniedObject | AceType::AccessDeniedCallback
        )
    }

    /// The non-object type an object type degrades to when it has no GUID
    /// (`OA` with neither GUID is stored as `A`).
    pub const fn without_object(self) -> AceType {
        match self {
            AceType::AccessAllowedObject => AceType::AccessAllowed,
            AceType::AccessDeniedObject => AceType::AccessDenied,
            AceType::SystemAuditObject => AceType::SystemAudit,
            AceType::SystemAlarmObject => AceType::SystemAlarm,
            AceType::AccessAllowedCallbackObject => AceType::AccessAllowedCallback,
            other => other,
        }
    }
}

/// ACE flags (`AceFlags` byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct AceFlags(pub u8);

impl AceFlags {
    /// `OBJECT_INHERIT_ACE` (`OI`).
    pub const OBJECT_INHERIT: u8 = 0x01;
    /// `CONTAINER_INHERIT_ACE` (`CI`).
    pub const CONTAINER_INHERIT: u8 = 0x02;
    /// `NO_PROPAGATE_INHERIT_ACE` (`NP`).
    pub const NO_PROPAGATE_INHERIT: u8 = 0x04;
    /// `INHERIT_ONLY_ACE` (`IO`): skipped by the access check.
    pub const INHERIT_ONLY: u8 = 0x08;
    /// `INHERITED_ACE` (`ID`).
    pub const INHERITED: u8 = 0x10;
    /// `SUCCESSFUL_ACCESS_ACE_FLAG` (`SA`).
    pub const SUCCESSFUL_ACCESS: u8 = 0x40;
    /// `FAILED_ACCESS_ACE_FLAG` (`FA`).
    pub const FAILED_ACCESS: u8 = 0x80;

    /// The SDDL tokens in the order Windows prints them.
    pub const SDDL: &'static [(&'static str, u8)] = &[
        ("OI", 0x01),
        ("CI", 0x02),
        ("NP", 0x04),
        ("IO", 0x08),
        ("ID", 0x10),
        ("SA", 0x40),
        ("FA", 0x80),
    ];

    /// True when the given flag bit is set.
    pub const fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }

    /// True for `INHERIT_ONLY_ACE`.
    pub const fn inherit_only(self) -> bool {
        self.has(AceFlags::INHERIT_ONLY)
    }
}

/// A GUID as used in object ACEs.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Guid {
    /// First 32 bits.
    pub data1: u32,
    /// Next 16 bits.
    pub data2: u16,
    /// Next 16 bits.
    pub data3: u16,
    /// Last 8 bytes.
    pub data4: [u8; 8],
}

impl Guid {
    /// Parses the 36-character form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`
    /// (hex digits of either case, nothing else).
    pub fn parse(text: &str) -> Option<Guid> {
        let b = text.as_bytes();
        if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
            return None;
        }
        let hex = |s: &str| -> Option<u64> {
            if s.bytes().all(|c| c.is_ascii_hexdigit()) {
                u64::from_str_radix(s, 16).ok()
            } else {
                None
            }
        };
        let data1 = u32::try_from(hex(&text[0..8])?).ok()?;
        let data2 = u16::try_from(hex(&text[9..13])?).ok()?;
        let data3 = u16::try_from(hex(&text[14..18])?).ok()?;
        let mut data4 = [0u8; 8];
        let tail = format!("{}{}", &text[19..23], &text[24..36]);
        for (i, slot) in data4.iter_mut().enumerate() {
            *slot = u8::try_from(hex(&tail[i * 2..i * 2 + 2])?).ok()?;
        }
        Some(Guid {
            data1,
            data2,
            data3,
            data4,
        })
    }

    /// The 16-byte binary form (first three fields little-endian).
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[0..4].copy_from_slice(&self.data1.to_le_bytes());
        out[4..6].copy_from_slice(&self.data2.to_le_bytes());
        out[6..8].copy_from_slice(&self.data3.to_le_bytes());
        out[8..16].copy_from_slice(&self.data4);
        out
    }

    /// Reads the 16-byte binary form.
    pub fn from_bytes(b: &[u8; 16]) -> Guid {
        let mut data4 = [0u8; 8];
        data4.copy_from_slice(&b[8..16]);
        Guid {
            data1: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            data2: u16::from_le_bytes([b[4], b[5]]),
            data3: u16::from_le_bytes([b[6], b[7]]),
            data4,
        }
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.data4;
        write!(
            f,
            "{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
            self.data1, self.data2, self.data3, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]
        )
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Guid({self})")
    }
}

impl Serialize for Guid {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Guid {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Guid, D::Error> {
        let text = String::deserialize(deserializer)?;
        Guid::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
            ))
        })
    }
}

/// One access control entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Ace {
    /// The ACE type.
    pub ace_type: AceType,
    /// Inheritance and audit flags.
    pub flags: AceFlags,
    /// The access mask (for a mandatory label: the policy bits).
    pub mask: AccessMask,
    /// The trustee.
    pub sid: Sid,
    /// Object ACEs: the object type GUID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_type: Option<Guid>,
    /// Object ACEs: the inherited object type GUID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inherited_object_type: Option<Guid>,
    /// Callback ACEs: the condition; resource attribute ACEs: the attribute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<AceData>,
}

/// The data after the SID of callback and resource attribute ACEs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AceData {
    /// A conditional expression (`artx` application data).
    Condition(Condition),
    /// A resource attribute (`CLAIM_SECURITY_ATTRIBUTE_RELATIVE_V1`).
    Attribute(Claim),
}

impl AceData {
    /// The bytes after the SID, padded to a multiple of 4 as Windows pads.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = match self {
            AceData::Condition(c) => c.to_bytes(),
            AceData::Attribute(a) => crate::claims::resource::to_relative(a),
        };
        while b.len() % 4 != 0 {
            b.push(0);
        }
        b
    }
}

impl Ace {
    /// A non-object ACE.
    pub fn new(ace_type: AceType, flags: u8, mask: AccessMask, sid: Sid) -> Ace {
        Ace {
            ace_type,
            flags: AceFlags(flags),
            mask,
            sid,
            object_type: None,
            inherited_object_type: None,
            data: None,
        }
    }

    /// The condition of a callback ACE.
    pub fn condition(&self) -> Option<&Condition> {
        match &self.data {
            Some(AceData::Condition(c)) => Some(c),
            _ => None,
        }
    }

    /// The attribute of a resource attribute ACE.
    pub fn attribute(&self) -> Option<&Claim> {
        match &self.data {
            Some(AceData::Attribute(c)) => Some(c),
            _ => None,
        }
    }

    /// `ACCESS_ALLOWED_ACE` with no flags.
    pub fn allow(mask: AccessMask, sid: Sid) -> Ace {
        Ace::new(AceType::AccessAllowed, 0, mask, sid)
    }

    /// `ACCESS_DENIED_ACE` with no flags.
    pub fn deny(mask: AccessMask, sid: Sid) -> Ace {
        Ace::new(AceType::AccessDenied, 0, mask, sid)
    }

    /// The size of the binary form (`AceSize`).
    pub fn binary_len(&self) -> usize {
        let mut len = 8 + self.sid.binary_len();
        if self.ace_type.is_object() {
            len += 4;
            len += 16 * usize::from(self.object_type.is_some());
            len += 16 * usize::from(self.inherited_object_type.is_some());
        }
        if let Some(data) = &self.data {
            len += data.to_bytes().len();
        }
        len
    }
}

/// Mandatory label policy bits (the mask of an `ML` ACE).
pub mod label_policy {
    /// `SYSTEM_MANDATORY_LABEL_NO_WRITE_UP` (`NW`).
    pub const NO_WRITE_UP: u32 = 0x1;
    /// `SYSTEM_MANDATORY_LABEL_NO_READ_UP` (`NR`).
    pub const NO_READ_UP: u32 = 0x2;
    /// `SYSTEM_MANDATORY_LABEL_NO_EXECUTE_UP` (`NX`).
    pub const NO_EXECUTE_UP: u32 = 0x4;
    /// Every valid policy bit.
    pub const VALID: u32 = 0x7;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_text_and_bytes_round_trip() {
        let g = Guid::parse("f30e3bbe-9ff0-11d1-b603-0000f80367c1").unwrap();
        assert_eq!(g.to_string(), "f30e3bbe-9ff0-11d1-b603-0000f80367c1");
        assert_eq!(Guid::from_bytes(&g.to_bytes()), g);
        assert_eq!(g.to_bytes()[0], 0xbe, "data1 is little-endian");
        assert!(Guid::parse("f30e3bbe-9ff0-11d1-b603-00potato7c1").is_none());
        assert!(Guid::parse("a").is_none());
    }

    #[test]
    fn type_codes_round_trip() {
        for t in AceType::ALL {
            assert_eq!(AceType::from_code(t.code()), Some(*t));
            assert_eq!(AceType::from_sddl(&t.sddl().to_lowercase()), Some(*t));
        }
    }
}
