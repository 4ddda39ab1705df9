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
    /// Where it comes from: bibliography tags (`[MS-DTYP] 2.5.3.2`) that
    /// `docs/sources.md` resolves, or `docs/decisions.md` entries.
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
        "[MS-AC]; [WT] test_AccessCheck";
    /// Anonymous level is refused.
    ANONYMOUS_LEVEL = "AC-ANONYMOUS-LEVEL":
        "an impersonation token at SecurityAnonymous makes AccessCheck fail with ERROR_BAD_IMPERSONATION_LEVEL (1346); Identification is accepted",
        "[WT] test_AccessCheck, test_FileSecurity";
    /// Owner and group are required.
    SD_OWNER_GROUP = "AC-SD-OWNER-GROUP":
        "a security descriptor without an owner or a group makes AccessCheck fail with ERROR_INVALID_SECURITY_DESCR (1338)",
        "[WT] test_AccessCheck";
    /// Desired access must be mapped.
    GENERIC_NOT_MAPPED = "AC-GENERIC-NOT-MAPPED":
        "desired access containing GENERIC_* bits makes AccessCheck fail with ERROR_GENERIC_NOT_MAPPED (1360); MapGenericMask first",
        "[MS-AC]; [WT] test_AccessCheck";
    /// Nothing requested.
    ZERO_DESIRED = "AC-ZERO-DESIRED":
        "a request for no access at all is denied",
        "[WT] test_mutex_security";
    /// Integrity check.
    MANDATORY_INTEGRITY = "AC-MIC":
        "before the DACL, a token whose integrity level is below the object's label (unlabelled = Medium, NO_WRITE_UP) keeps only the rights the label policy allows",
        "[MS-MIC]; [FSH] listing 7-11, 7-23";
    /// SeSecurityPrivilege.
    PRIV_SECURITY = "AC-PRIV-SECURITY":
        "ACCESS_SYSTEM_SECURITY is granted only by an enabled SeSecurityPrivilege; without it the check fails with ERROR_PRIVILEGE_NOT_HELD (1314) whatever the DACL says",
        "[MS-DACL], [MS-DTYP] 2.5.3.2; [WT] test_AccessCheck";
    /// SeTakeOwnershipPrivilege.
    PRIV_TAKE_OWNERSHIP = "AC-PRIV-TAKE-OWNERSHIP":
        "WRITE_OWNER is granted by an enabled SeTakeOwnershipPrivilege before the DACL is read",
        "[FSH] listing 7-14";
    /// SeRelabelPrivilege.
    PRIV_RELABEL = "AC-PRIV-RELABEL":
        "WRITE_OWNER is granted by an enabled SeRelabelPrivilege when SeTakeOwnershipPrivilege did not grant it",
        "[FSH] access-check model";
    /// SeBackupPrivilege.
    PRIV_BACKUP = "AC-PRIV-BACKUP":
        "with backup intent, an enabled SeBackupPrivilege grants READ_CONTROL, ACCESS_SYSTEM_SECURITY, the generic read rights and FILE_TRAVERSE before the DACL",
        "[MS-PRIV]";
    /// SeRestorePrivilege.
    PRIV_RESTORE = "AC-PRIV-RESTORE":
        "with backup intent, an enabled SeRestorePrivilege grants WRITE_DAC, WRITE_OWNER, ACCESS_SYSTEM_SECURITY, DELETE, the generic write rights, FILE_ADD_FILE and FILE_ADD_SUBDIRECTORY before the DACL",
        "[MS-PRIV]";
    /// Owner's implicit rights.
    OWNER_IMPLICIT = "AC-OWNER-IMPLICIT":
        "when the owner SID is an enabled SID of the token and no OWNER RIGHTS ACE applies, READ_CONTROL|WRITE_DAC are granted before the DACL and no deny ACE removes them",
        "[MS-DACL], [MS-DTYP] 2.5.3.2; [FSH] listing 7-1, 7-16";
    /// OWNER RIGHTS ACE.
    OWNER_RIGHTS_ACE = "AC-OWNER-RIGHTS-ACE":
        "any ACE for OWNER RIGHTS (S-1-3-4) that is not inherit-only turns the implicit owner rights off; the ACE itself applies to the owner",
        "[FSH] listing 7-16";
    /// All requested rights granted before the DACL.
    GRANTED_EARLY = "AC-GRANTED-EARLY":
        "when privileges and owner rights already cover the whole request, access is granted without reading the DACL",
        "[MS-DACL], [MS-DTYP] 2.5.3.2";
    /// Absent or NULL DACL.
    DACL_NULL = "AC-DACL-NULL":
        "an absent or NULL DACL grants everything requested; MAXIMUM_ALLOWED then yields the mapping's GenericAll (never ACCESS_SYSTEM_SECURITY)",
        "[WT] test_AccessCheck";
    /// Inherit-only ACEs.
    ACE_INHERIT_ONLY = "AC-ACE-INHERIT-ONLY":
        "inherit-only ACEs are skipped by the access check",
        "[WT] test_AccessCheck";
    /// Generic bits in ACE masks.
    ACE_GENERIC_MAP = "AC-ACE-GENERIC-MAP":
        "generic bits in an ACE mask are mapped through the object's generic mapping when the ACE is evaluated",
        "docs/decisions.md ([MS-DACL], [MS-DTYP] 2.5.3.2, UNVERIFIED)";
    /// Allow ACE.
    ACE_ALLOW = "AC-ACE-ALLOW":
        "an allow ACE whose SID is the user or an enabled group grants its bits",
        "[MS-DACL]";
    /// Deny ACE.
    ACE_DENY = "AC-ACE-DENY":
        "a deny ACE whose SID is the user, an enabled group or a deny-only group denies at once if it names a bit still outstanding; bits already granted stay granted",
        "[MS-DACL]; [WT] ACE-order test";
    /// Deny-only groups.
    DENY_ONLY = "AC-DENY-ONLY":
        "a group marked SE_GROUP_USE_FOR_DENY_ONLY matches deny ACEs and never allow ACEs; a disabled group matches neither",
        "[MS-RESTR]; [WT] test_duplicate_handle_access";
    /// PRINCIPAL SELF.
    PRINCIPAL_SELF = "AC-PRINCIPAL-SELF":
        "an ACE for PRINCIPAL SELF (S-1-5-10) stands for the PrincipalSelfSid given to the check and matches nobody when none is given",
        "[FSH] listing 7-26";
    /// MAXIMUM_ALLOWED.
    MAXIMUM_ALLOWED = "AC-MAXIMUM-ALLOWED":
        "MAXIMUM_ALLOWED walks every ACE: an allow grants its bits not already denied, a deny denies its bits not already granted; zero in the end is a denial, and explicitly requested bits must all be in the result",
        "[MS-DTYP] 2.5.3.2; docs/decisions.md";
    /// End of DACL.
    IMPLICIT_DENY = "AC-IMPLICIT-DENY":
        "bits still outstanding at the end of the DACL are denied",
        "[MS-DACL]";
    /// Restricted tokens.
    RESTRICTED_PASS = "AC-RESTRICTED-PASS":
        "a restricted token is checked twice, the second time with only its restricting SIDs; access is what both passes grant (a write-restricted token's second pass covers write access only)",
        "[MS-RESTR]; [FSH] access-check model";
    /// Success.
    GRANTED = "AC-GRANTED":
        "AccessCheck returns TRUE with AccessStatus TRUE and the granted mask",
        "[MS-AC]";
    /// ACEs past the trail's budget.
    UNLISTED_ACES = "AC-UNLISTED-ACES":
        "a pass over a DACL lists its first 64 ACEs one by one; later ACEs that neither grant nor deny are counted, each run of them in one step where they stand, not listed (a bound on the explanation, not on the check)",
        "docs/decisions.md D-138";
    /// Denial.
    DENIED = "AC-DENIED":
        "a denial is a successful call: AccessCheck returns TRUE, AccessStatus FALSE, GrantedAccess 0 and last error ERROR_ACCESS_DENIED (5)",
        "[MS-AC]; [WT] test_AccessCheck";
    /// Callback allow ACEs.
    COND_ALLOW = "AC-COND-ALLOW":
        "a callback allow ACE (XA, ZA) whose SID applies grants its bits only when its condition evaluates to TRUE; FALSE and UNKNOWN skip it",
        "[MS-DTYP] 2.5.3.2 (AccessCheck, conditional ACEs); [SMB-CAT] (XA policies run on Windows)";
    /// Callback deny ACEs.
    COND_DENY = "AC-COND-DENY":
        "a callback deny ACE (XD) whose SID applies denies its bits unless its condition evaluates to FALSE: UNKNOWN denies",
        "[MS-DTYP] 2.5.3.2; [SMB-CAT] (XD policies run on Windows)";
    /// Three-valued logic.
    COND_EVAL = "AC-COND-EVAL":
        "a condition is evaluated in three-valued logic: && is FALSE when either side is FALSE and TRUE when both are TRUE, || is TRUE when either side is TRUE and FALSE when both are FALSE, ! swaps TRUE and FALSE, anything else is UNKNOWN; an attribute used as a truth value is TRUE when a value is non-zero or non-empty; an invalid operation makes the whole condition UNKNOWN",
        "[MS-DTYP] 2.4.4.17.7-2.4.4.17.8; [SMB-CAT] pac_claim_cases (Windows)";
    /// The `!` observation.
    COND_NOT_QUIRK = "AC-COND-NOT-QUIRK":
        "as Windows behaves (not as documented), ! applied directly to an attribute makes a bare attribute operand directly before it UNKNOWN: a && !(b) and a || !(a) are UNKNOWN while !(a) || a is TRUE",
        "[SMB-CAT] pac_claim_cases (run on Windows); docs/decisions.md D-92";
    /// Attribute look-up.
    COND_ATTRIBUTE = "AC-COND-ATTRIBUTE":
        "@User. and @Device. attributes are the token's user and device claims, @Resource. attributes the descriptor's resource attribute ACEs, bare names the token's local attributes (none for an LSA token); names match case-insensitively; a missing attribute or one without values is null and makes comparisons UNKNOWN",
        "[MS-DTYP] 2.4.4.17.8, 2.5.3.2; [SMB-CAT] claim_against_claim_cases (Windows)";
    /// Comparisons.
    COND_COMPARE = "AC-COND-COMPARE":
        "comparisons need operands of one kind (integers of either sign, strings, SIDs, octets, booleans) or are UNKNOWN; strings compare case-insensitively by upper-cased UTF-16 units unless a claim is case-sensitive; == on sets needs the same number of elements, each found on the other side; < <= > >= on sets are UNKNOWN; Contains and Any_of test inclusion and overlap, Contains {} is FALSE and Any_of a non-composite literal is UNKNOWN",
        "[MS-DTYP] 2.4.4.17.6; [SMB-CAT] claim_against_claim_cases, claim_against_literal_cases (Windows)";
    /// Membership.
    COND_MEMBER = "AC-COND-MEMBER":
        "Member_of holds when every listed SID is an enabled SID of the token (Member_of_Any: any of them), the Device_ forms test the token's device groups, the Not_ forms negate; deny-only SIDs count only for deny ACEs",
        "[MS-DTYP] 2.4.4.17.6, 2.5.3.4.1; [SMB-CAC]";
    /// Resource attributes.
    RESOURCE_ATTRIBUTE = "AC-RESOURCE-ATTRIBUTE":
        "resource attribute ACEs (RA) of the SACL that are not inherit-only supply @Resource. attributes, the first per name; one with a duplicate value is treated as absent",
        "[MS-DTYP] 2.4.4.15, 2.5.3.2; [SMB-CA] (Windows treats RA ACEs with duplicate values as absent)";
    /// Object type lists.
    OBJECT_TYPE_LIST = "AC-OBJECT-TYPE-LIST":
        "AccessCheckByType's object type list must start with the one level-0 element, each level at most one deeper than the one before and at most 4; otherwise ERROR_INVALID_PARAMETER (87), checked after the token and the generic bits and before the descriptor",
        "[OTL], [ACBT]; [ROS-ACBT] ParamsValidationTests";
    /// Object ACEs.
    OBJECT_ACE = "AC-OBJECT-ACE":
        "with an object type list, an object ACE with an ObjectType applies to the element with that GUID and the elements below it (none when no element has it); an object ACE without ObjectType, and every plain ACE, applies to the whole list; a list element is granted only when it and every element below it are",
        "[MS-DTYP] 2.5.3.2 (object type tree); [ROS-ACBT] AccessGrantedMultipleObjectsTests, DenyAccessTests";
    /// The argument order of AccessCheckByType.
    BY_TYPE_ARGS = "AC-BY-TYPE-ARGS":
        "AccessCheckByType reports a primary token first, then generic bits in the desired access (ERROR_GENERIC_NOT_MAPPED), then a token at SecurityAnonymous, then a bad object type list, then a descriptor without owner or group",
        "[ROS-ACBT] ParamsValidationTests (GENERIC_WRITE with an anonymous-level token gives STATUS_GENERIC_NOT_MAPPED; a bad list with an ownerless descriptor gives STATUS_INVALID_PARAMETER)";
    /// Result lists.
    RESULT_LIST = "AC-RESULT-LIST":
        "AccessCheckByTypeResultList decides every element of the list on its own: each gets its granted mask and status, a denial of one element does not deny the others",
        "[ACBTRL]; [MS-DTYP] 2.5.3.2";
    /// Inheritance: which ACEs.
    INHERIT_ACES = "SD-INHERIT-ACES":
        "a new object inherits from its parent's DACL and SACL: a non-container the OBJECT_INHERIT ACEs with every inheritance flag cleared, a container the CONTAINER_INHERIT ACEs (OI/CI kept, INHERIT_ONLY cleared, NO_PROPAGATE_INHERIT giving an effective-only copy) and the OI-only ACEs as inherit-only; every copy is marked INHERITED_ACE; an object ACE whose InheritedObjectType names another object type is passed down as inherit-only to a container and not at all to an object",
        "[CPOSE], ACE inheritance rules; [MS-DTYP] 2.5.3.4 (ComputeACL); [WT] test_CreateDirectoryA";
    /// Inheritance: mapping and creator SIDs.
    INHERIT_MAP = "SD-INHERIT-MAP":
        "an inherited ACE that applies to the new object has generic rights mapped through the object's generic mapping and CREATOR OWNER / CREATOR GROUP replaced by the new owner and group; on a container one that still propagates is split into that effective copy and an inherit-only copy of the original",
        "[MS-DTYP] 2.5.3.4.2 (ContainsInheritableACEs, ComputeInheritedACLFromParent); [WT] test_CreateDirectoryA";
    /// Inheritance: explicit and default parts.
    CREATE_PARTS = "SD-CREATE-PARTS":
        "the owner and group come from the creator descriptor, else the token's owner and primary group; a creator DACL (SACL) is used as given unless auto-inheritance asks for the parent's ACEs to be appended; with none the inherited ACEs are used, and with nothing inheritable the token's default DACL (generic rights mapped, CREATOR OWNER replaced) or no DACL at all",
        "[CPOSE]; [MS-DTYP] 2.5.3.4.1 (CreateSecurityDescriptor)";
    /// Inheritance: auto-inherit flags.
    CREATE_AUTO_INHERIT = "SD-CREATE-AUTO-INHERIT":
        "with SEF_DACL_AUTO_INHERIT (SEF_SACL_AUTO_INHERIT) the new DACL (SACL) is marked SE_DACL_AUTO_INHERITED and the parent's inheritable ACEs are appended after the creator's explicit ones unless the creator's ACL is protected; a protected creator ACL is marked protected and gets nothing inherited",
        "[CPOSE] (SEF_DACL_AUTO_INHERIT, SEF_SACL_AUTO_INHERIT); [MS-DTYP] 2.5.3.4.1";
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
