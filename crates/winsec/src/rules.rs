//! The rule table of the security model: every rule the access check
//! applies, with a stable id, a one-line statement and its source.
//!
//! Decision trails cite these ids; `bitsim` prints the table. Later layers
//! (the simulated host, BITS) keep their own tables in the same shape.

use serde::Serialize;

/// One rule of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable identifier, e.g. `AC-OWNER-IMPLICIT`.
    pub id: &'static str,
    /// What the rule says, in one line.
    pub statement: &'static str,
    /// Where it comes from (research note section and its sources).
    pub source: &'static str,
}

macro_rules! rules {
    ($( $(#[$doc:meta])* $konst:ident = $id:literal : $statement:literal, $source:literal; )+) => {
        /// Rule ids as constants, so code cannot cite a rule that does not exist.
        pub mod ids {
            $( $(#[$doc])* pub const $konst: &str = $id; )+
        }

        /// Every access-check rule, in the order the check applies them.
        pub const ACCESS_RULES: &[Rule] = &[
            $( Rule { id: $id, statement: $statement, source: $source } ),+
        ];
    };
}

rules! {
    /// Token must be an impersonation token.
    TOKEN_TYPE = "AC-TOKEN-TYPE":
        "AccessCheck fails with ERROR_NO_IMPERSONATION_TOKEN (1309) unless the token is an impersonation token",
        "research/winsec.md §4.1 (MS-AC; Wine test_AccessCheck)";
    /// Anonymous level is refused.
    ANONYMOUS_LEVEL = "AC-ANONYMOUS-LEVEL":
        "an impersonation token at SecurityAnonymous makes AccessCheck fail with ERROR_BAD_IMPERSONATION_LEVEL (1346); Identification is accepted",
        "research/winsec.md §4.1 (Wine test_AccessCheck, test_FileSecurity)";
    /// Owner and group are required.
    SD_OWNER_GROUP = "AC-SD-OWNER-GROUP":
        "a security descriptor without an owner or a group makes AccessCheck fail with ERROR_INVALID_SECURITY_DESCR (1338)",
        "research/winsec.md §4.1 (Wine test_AccessCheck)";
    /// Desired access must be mapped.
    GENERIC_NOT_MAPPED = "AC-GENERIC-NOT-MAPPED":
        "desired access containing GENERIC_* bits makes AccessCheck fail with ERROR_GENERIC_NOT_MAPPED (1360); MapGenericMask first",
        "research/winsec.md §4.1 (MS-AC; Wine test_AccessCheck)";
    /// Nothing requested.
    ZERO_DESIRED = "AC-ZERO-DESIRED":
        "a request for no access at all is denied",
        "research/winsec.md §4.2 step 0 (Wine test_mutex_security)";
    /// Integrity check.
    MANDATORY_INTEGRITY = "AC-MIC":
        "before the DACL, a token whose integrity level is below the object's label (unlabelled = Medium, NO_WRITE_UP) keeps only the rights the label policy allows",
        "research/winsec.md §4.7 (MS-MIC; Forshaw listings 7-11, 7-23)";
    /// SeSecurityPrivilege.
    PRIV_SECURITY = "AC-PRIV-SECURITY":
        "ACCESS_SYSTEM_SECURITY is granted only by an enabled SeSecurityPrivilege; without it the check fails with ERROR_PRIVILEGE_NOT_HELD (1314) whatever the DACL says",
        "research/winsec.md §4.2 step 2, §4.6 (Wine test_AccessCheck)";
    /// SeTakeOwnershipPrivilege.
    PRIV_TAKE_OWNERSHIP = "AC-PRIV-TAKE-OWNERSHIP":
        "WRITE_OWNER is granted by an enabled SeTakeOwnershipPrivilege before the DACL is read",
        "research/winsec.md §4.2 step 2 (Forshaw listing 7-14)";
    /// SeRelabelPrivilege.
    PRIV_RELABEL = "AC-PRIV-RELABEL":
        "WRITE_OWNER is granted by an enabled SeRelabelPrivilege when SeTakeOwnershipPrivilege did not grant it",
        "research/winsec.md §4.2 step 2 (Forshaw psm1)";
    /// SeBackupPrivilege.
    PRIV_BACKUP = "AC-PRIV-BACKUP":
        "with backup intent, an enabled SeBackupPrivilege grants READ_CONTROL, ACCESS_SYSTEM_SECURITY, the generic read rights and FILE_TRAVERSE before the DACL",
        "research/winsec.md §4.6 (MS-PRIV)";
    /// SeRestorePrivilege.
    PRIV_RESTORE = "AC-PRIV-RESTORE":
        "with backup intent, an enabled SeRestorePrivilege grants WRITE_DAC, WRITE_OWNER, ACCESS_SYSTEM_SECURITY, DELETE, the generic write rights, FILE_ADD_FILE and FILE_ADD_SUBDIRECTORY before the DACL",
        "research/winsec.md §4.6 (MS-PRIV)";
    /// Owner's implicit rights.
    OWNER_IMPLICIT = "AC-OWNER-IMPLICIT":
        "when the owner SID is an enabled SID of the token and no OWNER RIGHTS ACE applies, READ_CONTROL|WRITE_DAC are granted before the DACL and no deny ACE removes them",
        "research/winsec.md §4.2 step 3, §4.5 (Forshaw listings 7-1, 7-16)";
    /// OWNER RIGHTS ACE.
    OWNER_RIGHTS_ACE = "AC-OWNER-RIGHTS-ACE":
        "any ACE for OWNER RIGHTS (S-1-3-4) that is not inherit-only turns the implicit owner rights off; the ACE itself applies to the owner",
        "research/winsec.md §4.5 (Forshaw listing 7-16)";
    /// All requested rights granted before the DACL.
    GRANTED_EARLY = "AC-GRANTED-EARLY":
        "when privileges and owner rights already cover the whole request, access is granted without reading the DACL",
        "research/winsec.md §4.2 step 4";
    /// Absent or NULL DACL.
    DACL_NULL = "AC-DACL-NULL":
        "an absent or NULL DACL grants everything requested; MAXIMUM_ALLOWED then yields the mapping's GenericAll (never ACCESS_SYSTEM_SECURITY)",
        "research/winsec.md §4.3 (Wine test_AccessCheck)";
    /// Inherit-only ACEs.
    ACE_INHERIT_ONLY = "AC-ACE-INHERIT-ONLY":
        "inherit-only ACEs are skipped by the access check",
        "research/winsec.md §4.2 step 6 (Wine test_AccessCheck)";
    /// Generic bits in ACE masks.
    ACE_GENERIC_MAP = "AC-ACE-GENERIC-MAP":
        "generic bits in an ACE mask are mapped through the object's generic mapping when the ACE is evaluated",
        "docs/decisions.md (research/winsec.md §4.2 step 6, UNVERIFIED)";
    /// Allow ACE.
    ACE_ALLOW = "AC-ACE-ALLOW":
        "an allow ACE whose SID is the user or an enabled group grants its bits",
        "research/winsec.md §4.2 step 6 (MS-DACL)";
    /// Deny ACE.
    ACE_DENY = "AC-ACE-DENY":
        "a deny ACE whose SID is the user, an enabled group or a deny-only group denies at once if it names a bit still outstanding; bits already granted stay granted",
        "research/winsec.md §4.2 step 6 (MS-DACL; Wine ACE-order tests)";
    /// Deny-only groups.
    DENY_ONLY = "AC-DENY-ONLY":
        "a group marked SE_GROUP_USE_FOR_DENY_ONLY matches deny ACEs and never allow ACEs; a disabled group matches neither",
        "research/winsec.md §3.2 (MS-RESTR; Wine test_duplicate_handle_access)";
    /// PRINCIPAL SELF.
    PRINCIPAL_SELF = "AC-PRINCIPAL-SELF":
        "an ACE for PRINCIPAL SELF (S-1-5-10) stands for the PrincipalSelfSid given to the check and matches nobody when none is given",
        "research/winsec.md §4.9 (Forshaw listing 7-26)";
    /// MAXIMUM_ALLOWED.
    MAXIMUM_ALLOWED = "AC-MAXIMUM-ALLOWED":
        "MAXIMUM_ALLOWED walks every ACE: an allow grants its bits not already denied, a deny denies its bits not already granted; zero in the end is a denial, and explicitly requested bits must all be in the result",
        "research/winsec.md §4.4 (MS-DTYP 2.5.3.2; docs/decisions.md)";
    /// End of DACL.
    IMPLICIT_DENY = "AC-IMPLICIT-DENY":
        "bits still outstanding at the end of the DACL are denied",
        "research/winsec.md §4.2 step 6 (MS-DACL)";
    /// Restricted tokens.
    RESTRICTED_PASS = "AC-RESTRICTED-PASS":
        "a restricted token is checked twice, the second time with only its restricting SIDs; access is what both passes grant (a write-restricted token's second pass covers write access only)",
        "research/winsec.md §3.5, §4.2 step 7 (MS-RESTR; Forshaw psm1)";
    /// Success.
    GRANTED = "AC-GRANTED":
        "AccessCheck returns TRUE with AccessStatus TRUE and the granted mask",
        "research/winsec.md §4.1 step 6 (MS-AC)";
    /// Denial.
    DENIED = "AC-DENIED":
        "a denial is a successful call: AccessCheck returns TRUE, AccessStatus FALSE, GrantedAccess 0 and last error ERROR_ACCESS_DENIED (5)",
        "research/winsec.md §4.1 step 6 (MS-AC; Wine test_AccessCheck)";
}

/// Looks a rule up by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    ACCESS_RULES.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_sourced() {
        let mut seen = std::collections::BTreeSet::new();
        for r in ACCESS_RULES {
            assert!(seen.insert(r.id), "duplicate rule id {}", r.id);
            assert!(!r.source.is_empty() && !r.statement.is_empty());
        }
        assert!(rule(ids::OWNER_IMPLICIT).is_some());
    }
}
