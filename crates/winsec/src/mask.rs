//! Access masks and generic mappings.
//!
//! Owns the 32-bit `ACCESS_MASK` (standard, specific, generic and special
//! bits), the named rights a user may write (`GENERIC_READ`, `KEY_READ`,
//! ...), and the `GENERIC_MAPPING` of each object type the model knows
//! ([MS-DTYP] 2.4.3, [MS-ACESTR], [WT]).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A 32-bit access mask.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AccessMask(pub u32);

impl AccessMask {
    /// `DELETE`.
    pub const DELETE: AccessMask = AccessMask(0x0001_0000);
    /// `READ_CONTROL`.
    pub const READ_CONTROL: AccessMask = AccessMask(0x0002_0000);
    /// `WRITE_DAC`.
    pub const WRITE_DAC: AccessMask = AccessMask(0x0004_0000);
    /// `WRITE_OWNER`.
    pub const WRITE_OWNER: AccessMask = AccessMask(0x0008_0000);
    /// `SYNCHRONIZE`.
    pub const SYNCHRONIZE: AccessMask = AccessMask(0x0010_0000);
    /// `STANDARD_RIGHTS_REQUIRED` (DELETE|READ_CONTROL|WRITE_DAC|WRITE_OWNER).
    pub const STANDARD_RIGHTS_REQUIRED: AccessMask = AccessMask(0x000F_0000);
    /// `STANDARD_RIGHTS_ALL`.
    pub const STANDARD_RIGHTS_ALL: AccessMask = AccessMask(0x001F_0000);
    /// `SPECIFIC_RIGHTS_ALL`.
    pub const SPECIFIC_RIGHTS_ALL: AccessMask = AccessMask(0x0000_FFFF);
    /// `ACCESS_SYSTEM_SECURITY`: SACL access, only through SeSecurityPrivilege.
    pub const ACCESS_SYSTEM_SECURITY: AccessMask = AccessMask(0x0100_0000);
    /// `MAXIMUM_ALLOWED`: a request flag, never a right.
    pub const MAXIMUM_ALLOWED: AccessMask = AccessMask(0x0200_0000);
    /// `GENERIC_ALL`.
    pub const GENERIC_ALL: AccessMask = AccessMask(0x1000_0000);
    /// `GENERIC_EXECUTE`.
    pub const GENERIC_EXECUTE: AccessMask = AccessMask(0x2000_0000);
    /// `GENERIC_WRITE`.
    pub const GENERIC_WRITE: AccessMask = AccessMask(0x4000_0000);
    /// `GENERIC_READ`.
    pub const GENERIC_READ: AccessMask = AccessMask(0x8000_0000);
    /// All four generic bits.
    pub const GENERIC_ANY: AccessMask = AccessMask(0xF000_0000);
    /// No access.
    pub const NONE: AccessMask = AccessMask(0);

    /// The raw value.
    pub const fn bits(self) -> u32 {
        self.0
    }
    /// True when every bit of `other` is in `self`.
    pub const fn contains(self, other: AccessMask) -> bool {
        self.0 & other.0 == other.0
    }
    /// True when `self` and `other` share a bit.
    pub const fn intersects(self, other: AccessMask) -> bool {
        self.0 & other.0 != 0
    }
    /// True when no bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// `self | other`.
    pub const fn union(self, other: AccessMask) -> AccessMask {
        AccessMask(self.0 | other.0)
    }
    /// `self & other`.
    pub const fn intersection(self, other: AccessMask) -> AccessMask {
        AccessMask(self.0 & other.0)
    }
    /// `self & !other`.
    pub const fn without(self, other: AccessMask) -> AccessMask {
        AccessMask(self.0 & !other.0)
    }

    /// Parses a mask written as hex (`0x120089`), decimal, a right's name
    /// (`GENERIC_READ`, `KEY_READ`, `MAXIMUM_ALLOWED`, ...) or several of
    /// them joined with `|`.
    pub fn parse_expr(text: &str) -> Result<AccessMask, MaskParseError> {
        let mut value = 0u32;
        let mut any = false;
        for part in text.split('|') {
            let part = part.trim();
            if part.is_empty() {
                return Err(MaskParseError(text.to_string()));
            }
            any = true;
            value |= parse_one(part).ok_or_else(|| MaskParseError(part.to_string()))?;
        }
        if !any {
            return Err(MaskParseError(text.to_string()));
        }
        Ok(AccessMask(value))
    }
}

fn parse_one(part: &str) -> Option<u32> {
    if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
        return u32::from_str_radix(hex, 16).ok();
    }
    if part.bytes().all(|b| b.is_ascii_digit()) {
        return part.parse().ok();
    }
    NAMED_RIGHTS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(part))
        .map(|(_, v)| *v)
}

/// A mask expression that is neither a number nor a known right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an access mask: expected hex (0x120089), decimal, or a right such as GENERIC_READ, MAXIMUM_ALLOWED, KEY_READ")]
pub struct MaskParseError(pub String);

/// Rights by their `winnt.h` names, for `parse_expr` and for display.
pub const NAMED_RIGHTS: &[(&str, u32)] = &[
    ("GENERIC_READ", 0x8000_0000),
    ("GENERIC_WRITE", 0x4000_0000),
    ("GENERIC_EXECUTE", 0x2000_0000),
    ("GENERIC_ALL", 0x1000_0000),
    ("MAXIMUM_ALLOWED", 0x0200_0000),
    ("ACCESS_SYSTEM_SECURITY", 0x0100_0000),
    ("SYNCHRONIZE", 0x0010_0000),
    ("WRITE_OWNER", 0x0008_0000),
    ("WRITE_DAC", 0x0004_0000),
    ("READ_CONTROL", 0x0002_0000),
    ("DELETE", 0x0001_0000),
    ("STANDARD_RIGHTS_REQUIRED", 0x000F_0000),
    ("STANDARD_RIGHTS_ALL", 0x001F_0000),
    ("STANDARD_RIGHTS_READ", 0x0002_0000),
    ("STANDARD_RIGHTS_WRITE", 0x0002_0000),
    ("STANDARD_RIGHTS_EXECUTE", 0x0002_0000),
    ("SPECIFIC_RIGHTS_ALL", 0x0000_FFFF),
    ("FILE_READ_DATA", 0x0001),
    ("FILE_LIST_DIRECTORY", 0x0001),
    ("FILE_WRITE_DATA", 0x0002),
    ("FILE_ADD_FILE", 0x0002),
    ("FILE_APPEND_DATA", 0x0004),
    ("FILE_ADD_SUBDIRECTORY", 0x0004),
    ("FILE_READ_EA", 0x0008),
    ("FILE_WRITE_EA", 0x0010),
    ("FILE_EXECUTE", 0x0020),
    ("FILE_TRAVERSE", 0x0020),
    ("FILE_DELETE_CHILD", 0x0040),
    ("FILE_READ_ATTRIBUTES", 0x0080),
    ("FILE_WRITE_ATTRIBUTES", 0x0100),
    ("FILE_ALL_ACCESS", 0x001F_01FF),
    ("FILE_GENERIC_READ", 0x0012_0089),
    ("FILE_GENERIC_WRITE", 0x0012_0116),
    ("FILE_GENERIC_EXECUTE", 0x0012_00A0),
    ("KEY_QUERY_VALUE", 0x0001),
    ("KEY_SET_VALUE", 0x0002),
    ("KEY_CREATE_SUB_KEY", 0x0004),
    ("KEY_ENUMERATE_SUB_KEYS", 0x0008),
    ("KEY_NOTIFY", 0x0010),
    ("KEY_CREATE_LINK", 0x0020),
    ("KEY_READ", 0x0002_0019),
    ("KEY_WRITE", 0x0002_0006),
    ("KEY_EXECUTE", 0x0002_0019),
    ("KEY_ALL_ACCESS", 0x000F_003F),
    ("EVENT_QUERY_STATE", 0x0001),
    ("EVENT_MODIFY_STATE", 0x0002),
    ("EVENT_ALL_ACCESS", 0x001F_0003),
    ("MUTANT_QUERY_STATE", 0x0001),
    ("MUTANT_ALL_ACCESS", 0x001F_0001),
    ("PROCESS_TERMINATE", 0x0001),
    ("PROCESS_CREATE_THREAD", 0x0002),
    ("PROCESS_VM_OPERATION", 0x0008),
    ("PROCESS_VM_READ", 0x0010),
    ("PROCESS_VM_WRITE", 0x0020),
    ("PROCESS_DUP_HANDLE", 0x0040),
    ("PROCESS_CREATE_PROCESS", 0x0080),
    ("PROCESS_SET_QUOTA", 0x0100),
    ("PROCESS_SET_INFORMATION", 0x0200),
    ("PROCESS_QUERY_INFORMATION", 0x0400),
    ("PROCESS_SUSPEND_RESUME", 0x0800),
    ("PROCESS_QUERY_LIMITED_INFORMATION", 0x1000),
    ("PROCESS_ALL_ACCESS", 0x001F_FFFF),
    ("THREAD_TERMINATE", 0x0001),
    ("THREAD_SUSPEND_RESUME", 0x0002),
    ("THREAD_GET_CONTEXT", 0x0008),
    ("THREAD_SET_CONTEXT", 0x0010),
    ("THREAD_QUERY_INFORMATION", 0x0040),
    ("THREAD_SET_INFORMATION", 0x0020),
    ("THREAD_SET_THREAD_TOKEN", 0x0080),
    ("THREAD_IMPERSONATE", 0x0100),
    ("THREAD_DIRECT_IMPERSONATION", 0x0200),
    ("THREAD_QUERY_LIMITED_INFORMATION", 0x0800),
    ("THREAD_ALL_ACCESS", 0x001F_FFFF),
    ("TOKEN_ASSIGN_PRIMARY", 0x0001),
    ("TOKEN_DUPLICATE", 0x0002),
    ("TOKEN_IMPERSONATE", 0x0004),
    ("TOKEN_QUERY", 0x0008),
    ("TOKEN_QUERY_SOURCE", 0x0010),
    ("TOKEN_ADJUST_PRIVILEGES", 0x0020),
    ("TOKEN_ADJUST_GROUPS", 0x0040),
    ("TOKEN_ADJUST_DEFAULT", 0x0080),
    ("TOKEN_ADJUST_SESSIONID", 0x0100),
    ("TOKEN_ALL_ACCESS", 0x000F_01FF),
];

impl fmt::Debug for AccessMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:08x}", self.0)
    }
}

impl fmt::Display for AccessMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:08x}", self.0)
    }
}

impl std::ops::BitOr for AccessMask {
    type Output = AccessMask;
    fn bitor(self, rhs: AccessMask) -> AccessMask {
        AccessMask(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for AccessMask {
    fn bitor_assign(&mut self, rhs: AccessMask) {
        self.0 |= rhs.0;
    }
}

impl std::ops::BitAnd for AccessMask {
    type Output = AccessMask;
    fn bitand(self, rhs: AccessMask) -> AccessMask {
        AccessMask(self.0 & rhs.0)
    }
}

/// Serialized as `"0x%08x"`.
impl Serialize for AccessMask {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Accepts what [`AccessMask::parse_expr`] accepts, or a plain integer.
impl<'de> Deserialize<'de> for AccessMask {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<AccessMask, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Num(u32),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Num(n) => Ok(AccessMask(n)),
            Raw::Text(t) => AccessMask::parse_expr(&t).map_err(serde::de::Error::custom),
        }
    }
}

/// `GENERIC_MAPPING`: what each generic right means for one object type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GenericMapping {
    /// What `GENERIC_READ` maps to.
    pub generic_read: AccessMask,
    /// What `GENERIC_WRITE` maps to.
    pub generic_write: AccessMask,
    /// What `GENERIC_EXECUTE` maps to.
    pub generic_execute: AccessMask,
    /// What `GENERIC_ALL` maps to.
    pub generic_all: AccessMask,
}

impl GenericMapping {
    /// Builds a mapping from the four raw values (read, write, execute, all).
    pub const fn new(read: u32, write: u32, execute: u32, all: u32) -> GenericMapping {
        GenericMapping {
            generic_read: AccessMask(read),
            generic_write: AccessMask(write),
            generic_execute: AccessMask(execute),
            generic_all: AccessMask(all),
        }
    }

    /// Files, directories and named pipes (observed through DuplicateHandle).
    pub const FILE: GenericMapping =
        GenericMapping::new(0x0012_0089, 0x0012_0116, 0x0012_00A0, 0x001F_01FF);
    /// Registry keys (`KEY_READ`, `KEY_WRITE`, `KEY_EXECUTE`, `KEY_ALL_ACCESS`).
    pub const KEY: GenericMapping =
        GenericMapping::new(0x0002_0019, 0x0002_0006, 0x0002_0019, 0x000F_003F);
    /// Processes, Vista and later (`PROCESS_QUERY_LIMITED_INFORMATION` added to read and execute).
    pub const PROCESS: GenericMapping =
        GenericMapping::new(0x0002_1410, 0x0002_0BEA, 0x0012_1001, 0x001F_FFFF);
    /// Threads, Vista and later.
    pub const THREAD: GenericMapping =
        GenericMapping::new(0x0002_0848, 0x0002_0437, 0x0012_0800, 0x001F_FFFF);
    /// Mutants (mutexes): `GENERIC_WRITE` maps to `READ_CONTROL` only.
    pub const MUTANT: GenericMapping =
        GenericMapping::new(0x0002_0001, 0x0002_0000, 0x0012_0000, 0x001F_0001);
    /// Events.
    pub const EVENT: GenericMapping =
        GenericMapping::new(0x0002_0001, 0x0002_0002, 0x0012_0000, 0x001F_0003);
    /// Access tokens (`TOKEN_READ`, `TOKEN_WRITE`, `TOKEN_EXECUTE`, `TOKEN_ALL_ACCESS`).
    pub const TOKEN: GenericMapping =
        GenericMapping::new(0x0002_0008, 0x0002_00E0, 0x0002_0000, 0x000F_01FF);
    /// A type-less mapping onto the standard rights (`STANDARD_RIGHTS_READ`
    /// etc. for the first three, every standard and specific right for all).
    pub const GENERIC: GenericMapping =
        GenericMapping::new(0x0002_0000, 0x0002_0000, 0x0002_0000, 0x001F_FFFF);

    /// The mappings by the names the CLI accepts.
    pub const NAMED: &'static [(&'static str, GenericMapping)] = &[
        ("file", GenericMapping::FILE),
        ("key", GenericMapping::KEY),
        ("process", GenericMapping::PROCESS),
        ("thread", GenericMapping::THREAD),
        ("mutant", GenericMapping::MUTANT),
        ("event", GenericMapping::EVENT),
        ("token", GenericMapping::TOKEN),
        ("generic", GenericMapping::GENERIC),
    ];

    /// Looks a mapping up by name (`file`, `key`, ...), case-insensitive.
    pub fn by_name(name: &str) -> Option<GenericMapping> {
        GenericMapping::NAMED
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, m)| *m)
    }

    /// `MapGenericMask`: replaces each generic bit by what it maps to and
    /// clears the generic bits. Other bits (including `MAXIMUM_ALLOWED`)
    /// are kept.
    pub fn map(&self, mask: AccessMask) -> AccessMask {
        let mut out = mask.without(AccessMask::GENERIC_ANY);
        if mask.intersects(AccessMask::GENERIC_READ) {
            out |= self.generic_read;
        }
        if mask.intersects(AccessMask::GENERIC_WRITE) {
            out |= self.generic_write;
        }
        if mask.intersects(AccessMask::GENERIC_EXECUTE) {
            out |= self.generic_execute;
        }
        if mask.intersects(AccessMask::GENERIC_ALL) {
            out |= self.generic_all;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_expressions() {
        assert_eq!(AccessMask::parse_expr("0x120089"), Ok(AccessMask(0x120089)));
        assert_eq!(AccessMask::parse_expr("17"), Ok(AccessMask(17)));
        assert_eq!(
            AccessMask::parse_expr("GENERIC_READ | MAXIMUM_ALLOWED"),
            Ok(AccessMask(0x8200_0000))
        );
        assert!(AccessMask::parse_expr("GENERIC_NONSENSE").is_err());
        assert!(AccessMask::parse_expr("").is_err());
        assert!(AccessMask::parse_expr("0x1|").is_err());
    }

    #[test]
    fn map_generic_mask() {
        let m = GenericMapping::FILE;
        assert_eq!(m.map(AccessMask::GENERIC_READ), AccessMask(0x120089));
        assert_eq!(
            m.map(AccessMask(0x8200_0000)),
            AccessMask(0x0212_0089),
            "MAXIMUM_ALLOWED survives mapping"
        );
        assert_eq!(
            GenericMapping::MUTANT.map(AccessMask::GENERIC_WRITE),
            AccessMask::READ_CONTROL
        );
    }
}
