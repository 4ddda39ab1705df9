//! Turning an account name into a SID when a capture prints only the name
//! (icacls, bitsadmin's owner, Get-BitsTransfer's `OwnerAccount`).
//!
//! A name resolves, in this order: written as a SID (`S-1-5-18`, or
//! `*S-1-5-18` as icacls writes SIDs it cannot translate); through the
//! map the user gives (`--names FILE`: a YAML mapping from name to SID);
//! through the names of winsec's well-known table (`NT AUTHORITY\SYSTEM`,
//! `BUILTIN\Users`, `Everyone`, `CREATOR OWNER`, ...); through the few
//! fixed service and package SIDs listed in [`EXTRA`]. Names compare
//! without regard to case. Two-letter SDDL aliases are deliberately not
//! accepted here: an account called `LA` is a name, not an alias.

use std::collections::BTreeMap;

use winsec::well_known::WELL_KNOWN_SIDS;
use winsec::Sid;

use crate::error::ImportError;
use crate::text::quote;

/// Names Windows prints for fixed SIDs that winsec's well-known table
/// does not list: the TrustedInstaller service SID (`S-1-5-80-` followed
/// by the SHA-1 of the upper-cased service name, Microsoft Learn
/// "Service SIDs"), and the restricted application package group
/// (`S-1-15-2-2`, Microsoft Learn "Well-known SIDs",
/// `SECURITY_BUILTIN_PACKAGE_ANY_RESTRICTED_PACKAGE`).
pub const EXTRA: &[(&str, &str)] = &[
    (
        "NT SERVICE\\TrustedInstaller",
        "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464",
    ),
    (
        "APPLICATION PACKAGE AUTHORITY\\ALL RESTRICTED APPLICATION PACKAGES",
        "S-1-15-2-2",
    ),
];

/// The user's name-to-SID map, keyed by lower-cased name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    map: BTreeMap<String, Sid>,
}

impl Names {
    /// No names beyond the built-in ones.
    pub fn new() -> Names {
        Names::default()
    }

    /// Adds one name.
    pub fn insert(&mut self, name: &str, sid: Sid) {
        self.map.insert(name.to_lowercase(), sid);
    }

    /// Parses a names file: a YAML mapping from account name to SID
    /// string, such as `'CONTOSO\alice': S-1-5-21-1-2-3-1104`.
    pub fn parse(text: &str) -> Result<Names, ImportError> {
        let raw: BTreeMap<String, String> = match serde_yaml::from_str(text) {
            Ok(raw) => raw,
            Err(err) => {
                let offset = err.location().map_or(0, |l| l.index());
                return Err(ImportError::at(
                    text,
                    offset,
                    format!("not a names file: {}", strip_location(&err.to_string())),
                    "a YAML mapping from account name to SID, such as `'CONTOSO\\alice': S-1-5-21-1-2-3-1104`",
                ));
            }
        };
        let mut names = Names::new();
        for (name, sid_text) in raw {
            let sid = parse_sid(sid_text.trim()).ok_or_else(|| {
                let offset = text.find(&sid_text).unwrap_or(0);
                ImportError::span(
                    text,
                    offset,
                    sid_text.len(),
                    format!("{} is not a SID string", quote(&sid_text)),
                    "a SID string such as S-1-5-21-1-2-3-1104",
                )
            })?;
            names.insert(&name, sid);
        }
        Ok(names)
    }

    /// The SID `name` stands for, if any (see the module documentation).
    pub fn resolve(&self, name: &str) -> Option<Sid> {
        let name = name.trim();
        if let Some(sid) = parse_sid(name.strip_prefix('*').unwrap_or(name)) {
            return Some(sid);
        }
        if let Some(sid) = self.map.get(&name.to_lowercase()) {
            return Some(sid.clone());
        }
        if let Some(row) = WELL_KNOWN_SIDS
            .iter()
            .find(|w| w.name.eq_ignore_ascii_case(name))
        {
            return Some(row.sid());
        }
        EXTRA
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, sid)| parse_sid(sid))
    }
}

/// A SID string (`S-1-...`, any case), never an alias.
pub fn parse_sid(text: &str) -> Option<Sid> {
    let head = text.get(..4)?;
    if !head.eq_ignore_ascii_case("S-1-") {
        return None;
    }
    text.parse::<Sid>().ok()
}

/// serde_yaml appends "at line X column Y"; the error carries the position itself.
fn strip_location(message: &str) -> &str {
    message.find(" at line ").map_or(message, |i| &message[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_by_sid_map_table_and_extras() {
        let names = Names::parse("'CONTOSO\\Alice': S-1-5-21-1-2-3-1104\n").unwrap();
        assert_eq!(
            names.resolve("contoso\\alice").unwrap().to_string(),
            "S-1-5-21-1-2-3-1104"
        );
        assert_eq!(names.resolve("*S-1-5-18").unwrap().to_string(), "S-1-5-18");
        assert_eq!(
            names.resolve("nt authority\\system").unwrap().to_string(),
            "S-1-5-18"
        );
        assert_eq!(
            names
                .resolve("NT SERVICE\\TrustedInstaller")
                .unwrap()
                .to_string(),
            "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"
        );
        // Aliases are not names.
        assert_eq!(names.resolve("LA"), None);
        assert_eq!(names.resolve("BA"), None);
        assert_eq!(names.resolve("CONTOSO\\bob"), None);
    }

    #[test]
    fn a_bad_names_file_points_at_the_bad_sid() {
        let text = "alice: S-1-5-21-1\nbob: nope\n";
        let err = Names::parse(text).unwrap_err();
        assert_eq!((err.line, err.column), (2, 6));
        let err = Names::parse("- a\n- b\n").unwrap_err();
        assert!(err.message.contains("not a names file"), "{err}");
    }
}
