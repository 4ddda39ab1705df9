//! Claims: the security attributes a token carries for its user and its
//! device (`TokenUserClaimAttributes`, `TokenDeviceClaimAttributes`) and
//! the resource attributes a security descriptor carries in `RA` ACEs.
//!
//! Owns the claim value types of MS-DTYP 2.4.10.1
//! (`CLAIM_SECURITY_ATTRIBUTE_V1`): signed and unsigned 64-bit integers,
//! strings, SIDs, booleans and octet strings; the checks Windows makes
//! before it accepts a claim (no duplicate values, booleans 0 or 1); the
//! SDDL form of a resource attribute (`("name",TS,0x0,"a","b")`, MS-DTYP
//! 2.5.1.1) and its self-relative binary form
//! (`CLAIM_SECURITY_ATTRIBUTE_RELATIVE_V1`, MS-DTYP 2.4.10.1). How claims
//! take part in an access check lives in [`crate::condition`].

use std::fmt;

use serde::Serialize;

use crate::sid::Sid;

/// `CLAIM_SECURITY_ATTRIBUTE_*` flag bits.
pub mod claim_flags {
    /// `CLAIM_SECURITY_ATTRIBUTE_NON_INHERITABLE`.
    pub const NON_INHERITABLE: u32 = 0x0001;
    /// `CLAIM_SECURITY_ATTRIBUTE_VALUE_CASE_SENSITIVE`.
    pub const CASE_SENSITIVE: u32 = 0x0002;
    /// `CLAIM_SECURITY_ATTRIBUTE_USE_FOR_DENY_ONLY`.
    pub const USE_FOR_DENY_ONLY: u32 = 0x0004;
    /// `CLAIM_SECURITY_ATTRIBUTE_DISABLED_BY_DEFAULT`.
    pub const DISABLED_BY_DEFAULT: u32 = 0x0008;
    /// `CLAIM_SECURITY_ATTRIBUTE_DISABLED`.
    pub const DISABLED: u32 = 0x0010;
    /// `CLAIM_SECURITY_ATTRIBUTE_MANDATORY`.
    pub const MANDATORY: u32 = 0x0020;
}

/// The type of a claim's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimType {
    /// `CLAIM_SECURITY_ATTRIBUTE_TYPE_INT64` (1), SDDL `TI`.
    Int64,
    /// `CLAIM_SECURITY_ATTRIBUTE_TYPE_UINT64` (2), SDDL `TU`.
    Uint64,
    /// `CLAIM_SECURITY_ATTRIBUTE_TYPE_STRING` (3), SDDL `TS`.
    String,
    /// `CLAIM_SECURITY_ATTRIBUTE_TYPE_SID` (5), SDDL `TD`.
    Sid,
    /// `CLAIM_SECURITY_ATTRIBUTE_TYPE_BOOLEAN` (6), SDDL `TB`.
    Boolean,
    /// `CLAIM_SECURITY_ATTRIBUTE_TYPE_OCTET_STRING` (16), SDDL `TX`.
    OctetString,
}

impl ClaimType {
    /// Every type, for messages.
    pub const ALL: &'static [ClaimType] = &[
        ClaimType::Int64,
        ClaimType::Uint64,
        ClaimType::String,
        ClaimType::Sid,
        ClaimType::Boolean,
        ClaimType::OctetString,
    ];

    /// The `ValueType` code of the binary form.
    pub const fn code(self) -> u16 {
        match self {
            ClaimType::Int64 => 1,
            ClaimType::Uint64 => 2,
            ClaimType::String => 3,
            ClaimType::Sid => 5,
            ClaimType::Boolean => 6,
            ClaimType::OctetString => 16,
        }
    }

    /// The type with a binary code.
    pub fn from_code(code: u16) -> Option<ClaimType> {
        ClaimType::ALL.iter().copied().find(|t| t.code() == code)
    }

    /// The SDDL token (`TI`, `TU`, `TS`, `TD`, `TB`, `TX`).
    pub const fn sddl(self) -> &'static str {
        match self {
            ClaimType::Int64 => "TI",
            ClaimType::Uint64 => "TU",
            ClaimType::String => "TS",
            ClaimType::Sid => "TD",
            ClaimType::Boolean => "TB",
            ClaimType::OctetString => "TX",
        }
    }

    /// The type for an SDDL token (case-insensitive).
    pub fn from_sddl(token: &str) -> Option<ClaimType> {
        ClaimType::ALL
            .iter()
            .copied()
            .find(|t| t.sddl().eq_ignore_ascii_case(token))
    }

    /// The name the token file uses (`int64`, `uint64`, `string`, `sid`,
    /// `boolean`, `octet_string`).
    pub const fn name(self) -> &'static str {
        match self {
            ClaimType::Int64 => "int64",
            ClaimType::Uint64 => "uint64",
            ClaimType::String => "string",
            ClaimType::Sid => "sid",
            ClaimType::Boolean => "boolean",
            ClaimType::OctetString => "octet_string",
        }
    }

    /// The type for a token-file name.
    pub fn from_name(name: &str) -> Option<ClaimType> {
        ClaimType::ALL
            .iter()
            .copied()
            .find(|t| t.name().eq_ignore_ascii_case(name))
    }
}

/// One claim value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(untagged)]
pub enum ClaimValue {
    /// A signed 64-bit integer.
    Int64(i64),
    /// An unsigned 64-bit integer.
    Uint64(u64),
    /// A string.
    String(String),
    /// A SID.
    Sid(Sid),
    /// A boolean.
    Boolean(bool),
    /// An octet string.
    #[serde(serialize_with = "serialize_octets")]
    OctetString(Vec<u8>),
}

fn serialize_octets<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("#{}", crate::binary::to_hex(bytes)))
}

impl ClaimValue {
    /// The type of this value.
    pub fn claim_type(&self) -> ClaimType {
        match self {
            ClaimValue::Int64(_) => ClaimType::Int64,
            ClaimValue::Uint64(_) => ClaimType::Uint64,
            ClaimValue::String(_) => ClaimType::String,
            ClaimValue::Sid(_) => ClaimType::Sid,
            ClaimValue::Boolean(_) => ClaimType::Boolean,
            ClaimValue::OctetString(_) => ClaimType::OctetString,
        }
    }
}

impl fmt::Display for ClaimValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClaimValue::Int64(v) => write!(f, "{v}"),
            ClaimValue::Uint64(v) => write!(f, "{v}"),
            ClaimValue::String(s) => write!(f, "\"{s}\""),
            ClaimValue::Sid(s) => write!(f, "SID({s})"),
            ClaimValue::Boolean(b) => write!(f, "{}", u8::from(*b)),
            ClaimValue::OctetString(b) => write!(f, "#{}", crate::binary::to_hex(b)),
        }
    }
}

/// A claim: a named, typed list of values with flags.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Claim {
    /// The claim's name (matched case-insensitively).
    pub name: String,
    /// The values' type.
    pub value_type: ClaimType,
    /// `CLAIM_SECURITY_ATTRIBUTE_*` flags (see [`claim_flags`]).
    pub flags: u32,
    /// The values, in order.
    pub values: Vec<ClaimValue>,
}

/// Why a claim is not one Windows would accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    /// The name is empty.
    #[error("a claim needs a non-empty name")]
    EmptyName,
    /// A value does not have the claim's type.
    #[error("claim `{name}`: value {value} is not of type {expected}")]
    WrongType {
        /// The claim.
        name: String,
        /// The value, printed.
        value: String,
        /// The claim's type name.
        expected: &'static str,
    },
    /// Two values are the same (strings compared case-insensitively unless
    /// the claim is case-sensitive).
    #[error(
        "claim `{name}`: value {value} appears twice; Windows rejects claims with duplicate values"
    )]
    Duplicate {
        /// The claim.
        name: String,
        /// The repeated value, printed.
        value: String,
    },
}

impl Claim {
    /// True when string values compare case-sensitively.
    pub fn case_sensitive(&self) -> bool {
        self.flags & claim_flags::CASE_SENSITIVE != 0
    }

    /// Checks what Windows checks before accepting a claim: a name, values
    /// of the claim's type, and no value twice.
    pub fn validate(&self) -> Result<(), ClaimError> {
        if self.name.is_empty() {
            return Err(ClaimError::EmptyName);
        }
        for v in &self.values {
            if v.claim_type() != self.value_type {
                return Err(ClaimError::WrongType {
                    name: self.name.clone(),
                    value: v.to_string(),
                    expected: self.value_type.name(),
                });
            }
        }
        for (i, a) in self.values.iter().enumerate() {
            if self.values[..i]
                .iter()
                .any(|b| values_equal(a, b, self.case_sensitive()))
            {
                return Err(ClaimError::Duplicate {
                    name: self.name.clone(),
                    value: a.to_string(),
                });
            }
        }
        Ok(())
    }

    /// True when no two values are equal (what [`Claim::validate`] checks
    /// last); a resource attribute with duplicates is treated as absent.
    pub fn has_unique_values(&self) -> bool {
        self.values.iter().enumerate().all(|(i, a)| {
            !self.values[..i]
                .iter()
                .any(|b| values_equal(a, b, self.case_sensitive()))
        })
    }
}

/// Value equality as claims compare: strings case-insensitively unless
/// `case_sensitive`, everything else exactly.
pub fn values_equal(a: &ClaimValue, b: &ClaimValue, case_sensitive: bool) -> bool {
    match (a, b) {
        (ClaimValue::String(x), ClaimValue::String(y)) => {
            if case_sensitive {
                x == y
            } else {
                crate::condition::compare_strings(x, y) == std::cmp::Ordering::Equal
            }
        }
        _ => a == b,
    }
}

/// Resource attributes (`RA` ACEs): the SDDL and binary forms.
pub mod resource {
    use super::{Claim, ClaimType, ClaimValue};
    use crate::sid::Sid;

    /// Encodes a claim as `CLAIM_SECURITY_ATTRIBUTE_RELATIVE_V1`: the
    /// 16-byte header and the value offsets, the name (UTF-16, NUL), then
    /// each value in order (integers as 8 bytes, strings as UTF-16 with a
    /// NUL, SIDs and octet strings as a 4-byte length and the bytes), with
    /// no alignment, as Windows lays it out.
    pub fn to_relative(claim: &Claim) -> Vec<u8> {
        let count = claim.values.len();
        let header = 16 + 4 * count;
        let mut tail = Vec::new();
        let name_at = header;
        push_utf16z(&mut tail, &claim.name);
        let mut offsets = Vec::with_capacity(count);
        for v in &claim.values {
            offsets.push(header + tail.len());
            match v {
                ClaimValue::Int64(n) => tail.extend_from_slice(&n.to_le_bytes()),
                ClaimValue::Uint64(n) => tail.extend_from_slice(&n.to_le_bytes()),
                ClaimValue::Boolean(b) => tail.extend_from_slice(&u64::from(*b).to_le_bytes()),
                ClaimValue::String(s) => push_utf16z(&mut tail, s),
                ClaimValue::Sid(s) => {
                    let bytes = s.to_bytes();
                    tail.extend_from_slice(&len32(bytes.len()).to_le_bytes());
                    tail.extend_from_slice(&bytes);
                }
                ClaimValue::OctetString(b) => {
                    tail.extend_from_slice(&len32(b.len()).to_le_bytes());
                    tail.extend_from_slice(b);
                }
            }
        }
        let mut out = Vec::with_capacity(header + tail.len());
        out.extend_from_slice(&len32(name_at).to_le_bytes());
        out.extend_from_slice(&claim.value_type.code().to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&claim.flags.to_le_bytes());
        out.extend_from_slice(&len32(count).to_le_bytes());
        for o in offsets {
            out.extend_from_slice(&len32(o).to_le_bytes());
        }
        out.extend_from_slice(&tail);
        out
    }

    fn len32(n: usize) -> u32 {
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    fn push_utf16z(out: &mut Vec<u8>, s: &str) {
        for unit in s.encode_utf16() {
            out.extend_from_slice(&unit.to_le_bytes());
        }
        out.extend_from_slice(&[0, 0]);
    }

    fn u32_at(b: &[u8], at: usize) -> Result<u32, String> {
        b.get(at..at + 4)
            .and_then(|s| <[u8; 4]>::try_from(s).ok())
            .map(u32::from_le_bytes)
            .ok_or_else(|| format!("a 4-byte field at {at} runs past the {} bytes", b.len()))
    }

    fn at_offset(b: &[u8], raw: u32, what: &str) -> Result<usize, String> {
        let at = usize::try_from(raw).map_err(|_| format!("{what} offset {raw} is too large"))?;
        if at >= b.len() {
            return Err(format!(
                "{what} offset {at} points past the {} bytes",
                b.len()
            ));
        }
        Ok(at)
    }

    fn utf16z_at(b: &[u8], at: usize, what: &str) -> Result<String, String> {
        let mut units = Vec::new();
        let mut i = at;
        loop {
            let pair = b
                .get(i..i + 2)
                .ok_or_else(|| format!("{what} at {at} has no terminating NUL"))?;
            let unit = u16::from_le_bytes([pair[0], pair[1]]);
            if unit == 0 {
                break;
            }
            units.push(unit);
            i += 2;
        }
        String::from_utf16(&units).map_err(|_| format!("{what} at {at} is not valid UTF-16"))
    }

    /// Decodes `CLAIM_SECURITY_ATTRIBUTE_RELATIVE_V1` from the bytes that
    /// follow an `RA` ACE's SID (the ACE's padding may follow). Returns a
    /// message for anything malformed.
    pub fn from_relative(b: &[u8]) -> Result<Claim, String> {
        let name_at = at_offset(b, u32_at(b, 0)?, "name")?;
        let code = b
            .get(4..6)
            .map(|s| u16::from_le_bytes([s[0], s[1]]))
            .ok_or("the claim header is truncated")?;
        let value_type = ClaimType::from_code(code)
            .ok_or_else(|| format!("claim value type {code} is not one of 1, 2, 3, 5, 6, 16"))?;
        let flags = u32_at(b, 8)?;
        let count = u32_at(b, 12)?;
        let count = usize::try_from(count).map_err(|_| "value count too large".to_string())?;
        if count > b.len() / 4 {
            return Err(format!(
                "value count {count} does not fit in {} bytes",
                b.len()
            ));
        }
        let name = utf16z_at(b, name_at, "the name")?;
        let mut values = Vec::with_capacity(count);
        for i in 0..count {
            let at = at_offset(b, u32_at(b, 16 + 4 * i)?, "value")?;
            let eight = || -> Result<[u8; 8], String> {
                b.get(at..at + 8)
                    .and_then(|s| <[u8; 8]>::try_from(s).ok())
                    .ok_or_else(|| format!("value {i} at {at} runs past the end"))
            };
            let counted = || -> Result<&[u8], String> {
                let len = usize::try_from(u32_at(b, at)?).unwrap_or(usize::MAX);
                b.get(at + 4..(at + 4).saturating_add(len))
                    .ok_or_else(|| format!("value {i} at {at} runs past the end"))
            };
            values.push(match value_type {
                ClaimType::Int64 => ClaimValue::Int64(i64::from_le_bytes(eight()?)),
                ClaimType::Uint64 => ClaimValue::Uint64(u64::from_le_bytes(eight()?)),
                ClaimType::Boolean => match u64::from_le_bytes(eight()?) {
                    0 => ClaimValue::Boolean(false),
                    1 => ClaimValue::Boolean(true),
                    other => return Err(format!("boolean value {i} is {other}, not 0 or 1")),
                },
                ClaimType::String => ClaimValue::String(utf16z_at(b, at, "a string value")?),
                ClaimType::Sid => {
                    let bytes = counted()?;
                    let (sid, used) =
                        Sid::from_bytes(bytes).map_err(|e| format!("SID value {i}: {e}"))?;
                    if used != bytes.len() {
                        return Err(format!(
                            "SID value {i} has {} bytes after the SID",
                            bytes.len() - used
                        ));
                    }
                    ClaimValue::Sid(sid)
                }
                ClaimType::OctetString => ClaimValue::OctetString(counted()?.to_vec()),
            });
        }
        Ok(Claim {
            name,
            value_type,
            flags,
            values,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str], flags: u32) -> Claim {
        Claim {
            name: "dept".into(),
            value_type: ClaimType::String,
            flags,
            values: values
                .iter()
                .map(|s| ClaimValue::String((*s).into()))
                .collect(),
        }
    }

    #[test]
    fn duplicates_are_rejected_case_insensitively_unless_case_sensitive() {
        assert!(strings(&["eng", "ops"], 0).validate().is_ok());
        assert!(matches!(
            strings(&["eng", "ENG"], 0).validate(),
            Err(ClaimError::Duplicate { .. })
        ));
        assert!(strings(&["eng", "ENG"], claim_flags::CASE_SENSITIVE)
            .validate()
            .is_ok());
        let mut wrong = strings(&["a"], 0);
        wrong.values.push(ClaimValue::Int64(1));
        assert!(matches!(
            wrong.validate(),
            Err(ClaimError::WrongType { .. })
        ));
    }

    #[test]
    fn relative_form_round_trips() {
        // Samba conditional_aces.txt.json (Windows bytes): ("colour",TS,0,"blue").
        let c = strings(&["blue"], 0);
        let mut c = c;
        c.name = "colour".into();
        let bytes = resource::to_relative(&c);
        assert_eq!(
            crate::binary::to_hex(&bytes),
            "1400000003000000000000000100000022000000\
             63006f006c006f007500720000006200\
             6c00750065000000"
        );
        assert_eq!(resource::from_relative(&bytes).unwrap(), c);
        let ints = Claim {
            name: "n".into(),
            value_type: ClaimType::Int64,
            flags: 0xa,
            values: vec![ClaimValue::Int64(-8), ClaimValue::Int64(7774)],
        };
        assert_eq!(
            resource::from_relative(&resource::to_relative(&ints)).unwrap(),
            ints
        );
        assert!(resource::from_relative(&[1, 2, 3]).is_err());
    }
}
