//! Securable objects on the host: files, directories and certificate
//! private-key files (with ACE inheritance and the owner on create),
//! registry keys, and named events and mutants.
//!
//! Every object lives on one machine under a path and carries a
//! [`SecurityDescriptor`]. A thread creates, opens, re-secures and deletes
//! objects through [`ObjectOp`]; each access decision is made by
//! `winsec`'s access check ([`AccessRequest::check`]) with the thread's
//! effective token (its impersonation token while impersonating, else its
//! process's primary token), never by code of this module. What this
//! module decides is everything around the check: which object, which
//! rights are asked for (CreateFile's implied rights, generic mapping),
//! which token is handed to the check, the security descriptor of a new
//! object (explicit, inherited or from the token's default DACL), and what
//! a creator, a re-securing call or a delete needs.
//!
//! Rules cited: `OBJ-*` in [`rules`], and `IMP-IDENTIFY-NO-OPEN` in
//! [`crate::rules`].

use serde::{Deserialize, Serialize};
use winsec::descriptor::{control, Acl, AclSlot};
use winsec::inherit::{create_security_descriptor, CreateOptions};
use winsec::sddl;
use winsec::token::group_attrs;

use winsec::{
    AccessCheckResult, AccessMask, AccessRequest, Ace, AceType, GenericMapping, ImpersonationLevel,
    Privilege, SecurityDescriptor, Sid, Token, TokenType, Win32Error,
};

use crate::host::{Event, Host};
use crate::ids::{ThreadId, TokenId};
use crate::threads::Value;

/// Rules of this module.
pub mod rules {
    crate::rules::rule_table! {
        /// Environment: an object with an explicit descriptor.
        DEFINE = "OBJ-DEFINE":
            "the environment puts an object on a machine with an explicit security descriptor; the descriptor must have an owner and a group (every object on Windows has both), otherwise ERROR_INVALID_SECURITY_DESCR (1338); an SDDL string Windows would reject gives the error ConvertStringSecurityDescriptorToSecurityDescriptor sets",
            "[MS-SDDL], [WT]; [MS-AC], [WT] test_AccessCheck (owner and group); docs/decisions.md";
        /// Opening runs the access check with the effective token.
        OBJECT_OPEN = "OBJ-OPEN":
            "opening a securable object runs the access check with the calling thread's effective token: the impersonation token while the thread impersonates, the process primary token otherwise (also after RevertToSelf); a denial gives the check's error (ERROR_ACCESS_DENIED, or ERROR_PRIVILEGE_NOT_HELD for ACCESS_SYSTEM_SECURITY)",
            "[IL], [IT]; [MS-AC], [WT] test_AccessCheck";
        /// A primary token is checked as an impersonation copy.
        PRIMARY_TOKEN_CHECK = "OBJ-PRIMARY-TOKEN-CHECK":
            "the kernel open path checks whatever token the thread acts with, primary tokens included; the model hands winsec's AccessCheck (which refuses primary tokens with 1309) a copy of a primary token typed as an impersonation token at SecurityImpersonation, identical in every SID, privilege and label",
            "[MS-AC], [WT] test_AccessCheck (AccessCheck vs kernel SeAccessCheck); docs/decisions.md";
        /// CreateFile's implied rights and generic mapping.
        CREATEFILE_IMPLIED = "OBJ-CREATEFILE-IMPLIED":
            "CreateFile adds SYNCHRONIZE|FILE_READ_ATTRIBUTES (0x100080) to the desired access of files, directories and key files (GENERIC_WRITE becomes 0x120196), and generic rights are mapped through the object type's mapping before the check",
            "[WT] (test_file_security)";
        /// Backup intent.
        BACKUP_INTENT = "OBJ-BACKUP-INTENT":
            "an open with backup intent (FILE_FLAG_BACKUP_SEMANTICS, REG_OPTION_BACKUP_RESTORE) lets an enabled SeBackupPrivilege or SeRestorePrivilege grant its rights before the DACL is read",
            "[MS-PRIV]; docs/decisions.md D-19";
        /// Missing objects.
        NOT_FOUND = "OBJ-NOT-FOUND":
            "opening, re-securing or deleting a path that does not exist fails with ERROR_FILE_NOT_FOUND (2); creating under a parent that does not exist (or is not a directory, or not a key for a key) fails with ERROR_PATH_NOT_FOUND (3)",
            "[CF] (OPEN_EXISTING, CREATE_NEW), [CDIR]; docs/decisions.md";
        /// CREATE_NEW on an existing path.
        CREATE_EXISTS = "OBJ-CREATE-EXISTS":
            "when the path exists, CreateFile(CREATE_NEW) fails with ERROR_FILE_EXISTS (80) and CreateDirectory with ERROR_ALREADY_EXISTS (183), before any access check; RegCreateKeyEx, CreateEvent and CreateMutex open the existing object instead, with the access check of an open",
            "[CF] (CREATE_NEW), [CDIR], [RCKE] (REG_OPENED_EXISTING_KEY), [CEV] / [CMX] (ERROR_ALREADY_EXISTS with a handle to the existing object); docs/decisions.md D-63";
        /// The right needed on the parent.
        CREATE_PARENT_ACCESS = "OBJ-CREATE-PARENT-ACCESS":
            "creating a file (or key file) needs FILE_ADD_FILE (0x2), a directory FILE_ADD_SUBDIRECTORY (0x4), a registry key KEY_CREATE_SUB_KEY (0x4) on the parent, through the access check with the caller's effective token; named events and mutants have no parent in the model",
            "[MS-DTYP] 2.4.3, [MS-ACESTR]; [MS-PRIV] (FILE_ADD_FILE, FILE_ADD_SUBDIRECTORY); docs/decisions.md";
        /// The creator's handle.
        CREATOR_ACCESS = "OBJ-CREATOR-ACCESS":
            "the creator of a new object gets the access it asked for without a check against the new descriptor (MAXIMUM_ALLOWED gives the type's GenericAll, bits outside GenericAll are dropped); ACCESS_SYSTEM_SECURITY still needs SeSecurityPrivilege enabled, otherwise ERROR_PRIVILEGE_NOT_HELD (1314)",
            "[WT] (test_maximum_allowed); [MS-DTYP] 2.5.3.2, [FSH] ch. 7; [MS-PRIV]";
        /// An explicit descriptor at creation.
        CREATE_EXPLICIT_SD = "OBJ-CREATE-EXPLICIT-SD":
            "a descriptor passed at creation is used as given: an explicit DACL or SACL gets no inherited ACEs (an empty DACL stays empty); the parts it lacks are filled as if no descriptor had been passed",
            "[WT] test_CreateDirectoryA, test_GetNamedSecurityInfoA";
        /// Owner and group on create.
        CREATE_OWNER = "OBJ-CREATE-OWNER":
            "a new object's owner is the creator's TokenOwner (BUILTIN\\Administrators for an elevated administrator and for LocalSystem, the user for a standard user or a UAC filtered token) and its group the creator's TokenPrimaryGroup, taken from the effective token, so an impersonating thread creates objects owned by its client",
            "[WT] test_default_dacl_owner_group_sid; [MSDN-UAC], [WT] test_elevation; [IL], [IT]";
        /// A program's own CreatePrivateObjectSecurityEx call.
        PRIVATE_SECURITY_CALL = "OBJ-PRIVATE-SECURITY-CALL":
            "a program's own CreatePrivateObjectSecurityEx call hands winsec the parent and creator descriptors, the client token (the caller's effective token when none is given), the container flag, the object type's generic mapping and the auto-inherit flags as given; the call fails with ERROR_INVALID_OWNER when the creator names an owner the token may not assign (not its user, not a group marked SE_GROUP_OWNER, no SeRestorePrivilege enabled) and with ERROR_PRIVILEGE_NOT_HELD when the creator carries a SACL with other than mandatory-label ACEs and SeSecurityPrivilege is not enabled",
            "[CPOSE] (Remarks: owner and SACL checks, SEF_AVOID_OWNER_CHECK, SEF_AVOID_PRIVILEGE_CHECK); [MS-DTYP] 2.5.3.4.1";
        /// Default DACL.
        DEFAULT_DACL = "OBJ-DEFAULT-DACL":
            "with no explicit DACL and nothing inheritable from the parent (or no parent), the new object's DACL is the creator's default DACL with generic rights mapped and CREATOR OWNER replaced; a token with no default DACL gives a NULL DACL",
            "[WT] test_CreateDirectoryA; [MS-DACL], [MS-DTYP] 2.5.3.2";
        /// SetSecurity.
        SET_SECURITY = "OBJ-SET-SECURITY":
            "SetFileSecurity / SetSecurityInfo needs WRITE_DAC to set a DACL, WRITE_OWNER to change the owner or the group or to set a label-only SACL, ACCESS_SYSTEM_SECURITY for any other SACL, and stores exactly the parts it is given: no re-inheritance from the parent and no propagation to existing children; a new owner must be the caller's user or one of its groups marked SE_GROUP_OWNER, unless SeRestorePrivilege is enabled, otherwise ERROR_INVALID_OWNER (1307)",
            "[WT] test_GetNamedSecurityInfoA (NtSetSecurityObject stores what it is given); [MS-PRIV]; docs/decisions.md";
        /// The AccessCheck API.
        ACCESS_CHECK_CALL = "OBJ-ACCESS-CHECK-CALL":
            "a program's own AccessCheck call hands winsec the client token, the descriptor and the desired access exactly as given, with the object type's generic mapping and, for AccessCheckByType, the PrincipalSelfSid: no CreateFile implied rights, no mapping of the request, no typing of a primary token as an impersonation token",
            "[MS-AC]; [FSH] ch. 7";
        /// Delete.
        DELETE = "OBJ-DELETE":
            "deleting needs DELETE on the object or, for files and directories, FILE_DELETE_CHILD on the parent directory (which overrides a deny of DELETE on the object); a directory or key with children is not deleted",
            "[FSAR] (DELETE, FILE_DELETE_CHILD); [MS-DTYP] 2.4.3, [MS-ACESTR]; docs/decisions.md";
    }
}

use rules::ids;

/// File, key and object rights this module names.
pub mod rights {
    use winsec::AccessMask;

    /// `FILE_ADD_FILE` (0x2): create a file in a directory.
    pub const FILE_ADD_FILE: AccessMask = AccessMask(0x0002);
    /// `FILE_ADD_SUBDIRECTORY` (0x4): create a subdirectory.
    pub const FILE_ADD_SUBDIRECTORY: AccessMask = AccessMask(0x0004);
    /// `FILE_DELETE_CHILD` (0x40): delete anything in a directory.
    pub const FILE_DELETE_CHILD: AccessMask = AccessMask(0x0040);
    /// `FILE_READ_ATTRIBUTES` (0x80).
    pub const FILE_READ_ATTRIBUTES: AccessMask = AccessMask(0x0080);
    /// `KEY_CREATE_SUB_KEY` (0x4).
    pub const KEY_CREATE_SUB_KEY: AccessMask = AccessMask(0x0004);
    /// What Win32 `CreateFile` always adds: `SYNCHRONIZE | FILE_READ_ATTRIBUTES`.
    pub const CREATE_FILE_IMPLIED: AccessMask = AccessMask(0x0010_0080);
}

/// The kinds of securable object the host knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// An NTFS file.
    File,
    /// An NTFS directory (a container).
    Directory,
    /// A certificate's private key: a key file in a directory such as
    /// `C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys`.
    CertificatePrivateKey,
    /// A registry key (a container of subkeys).
    RegistryKey,
    /// A named event.
    Event,
    /// A named mutant (mutex).
    Mutant,
}

impl ObjectKind {
    /// The type's generic mapping ([WT]).
    pub const fn mapping(self) -> GenericMapping {
        match self {
            // A private key is a file on disk (the key container file the
            // CryptoAPI/CNG providers open with CreateFile), so it has the
            // file type's mapping.
            ObjectKind::File | ObjectKind::Directory | ObjectKind::CertificatePrivateKey => {
                GenericMapping::FILE
            }
            ObjectKind::RegistryKey => GenericMapping::KEY,
            ObjectKind::Event => GenericMapping::EVENT,
            ObjectKind::Mutant => GenericMapping::MUTANT,
        }
    }

    /// True for containers: objects that have children and pass
    /// CONTAINER_INHERIT ACEs on as containers.
    pub const fn is_container(self) -> bool {
        matches!(self, ObjectKind::Directory | ObjectKind::RegistryKey)
    }

    /// True for objects opened through Win32 `CreateFile`.
    pub const fn is_file_system(self) -> bool {
        matches!(
            self,
            ObjectKind::File | ObjectKind::Directory | ObjectKind::CertificatePrivateKey
        )
    }

    /// The kind the parent must be, for kinds created inside a parent.
    /// Named events and mutants have none in the model.
    pub const fn parent_kind(self) -> Option<ObjectKind> {
        match self {
            ObjectKind::File | ObjectKind::Directory | ObjectKind::CertificatePrivateKey => {
                Some(ObjectKind::Directory)
            }
            ObjectKind::RegistryKey => Some(ObjectKind::RegistryKey),
            ObjectKind::Event | ObjectKind::Mutant => None,
        }
    }

    /// The right creating this kind needs on its parent.
    pub const fn create_right(self) -> AccessMask {
        match self {
            ObjectKind::File | ObjectKind::CertificatePrivateKey => rights::FILE_ADD_FILE,
            ObjectKind::Directory => rights::FILE_ADD_SUBDIRECTORY,
            ObjectKind::RegistryKey => rights::KEY_CREATE_SUB_KEY,
            ObjectKind::Event | ObjectKind::Mutant => AccessMask::NONE,
        }
    }
}

/// A securable object on one machine.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SecObject {
    /// What it is.
    pub kind: ObjectKind,
    /// The machine it lives on (upper-cased, as in [`Host::machines`]).
    pub machine: String,
    /// Its path as first given (lookups ignore case).
    pub path: String,
    /// Its security descriptor.
    pub sd: SecurityDescriptor,
}

/// Operations on objects.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "object_op", rename_all = "snake_case")]
pub enum ObjectOp {
    /// Environment: puts an object on a machine with an explicit
    /// descriptor, replacing any object at that path. No parent is needed
    /// and nothing is inherited.
    Define {
        /// The machine.
        machine: String,
        /// The path (`C:\data\report.txt`, `HKLM\Software\App`, `Global\Ready`).
        path: String,
        /// What it is.
        kind: ObjectKind,
        /// The descriptor in SDDL, parsed with the machine's domain context;
        /// it must name an owner and a group.
        sddl: String,
    },
    /// `CreateFile(CREATE_NEW)` / `CreateDirectory` / `RegCreateKeyEx` /
    /// `CreateEvent` / `CreateMutex` by a thread.
    Create {
        /// The calling thread.
        thread: ThreadId,
        /// The path of the new object.
        path: String,
        /// What to create.
        kind: ObjectKind,
        /// An explicit descriptor (`SECURITY_ATTRIBUTES`), in SDDL.
        #[serde(default)]
        sddl: Option<String>,
        /// The access asked for on the new handle.
        desired: AccessMask,
    },
    /// `CreateFile(OPEN_EXISTING)` / `RegOpenKeyEx` / `OpenEvent` of an
    /// existing object by a thread.
    Open {
        /// The calling thread.
        thread: ThreadId,
        /// The path.
        path: String,
        /// The access asked for (generic rights allowed).
        desired: AccessMask,
        /// `FILE_FLAG_BACKUP_SEMANTICS` / `REG_OPTION_BACKUP_RESTORE`.
        #[serde(default)]
        backup_intent: bool,
    },
    /// `SetFileSecurity` / `SetSecurityInfo` by a thread: the parts present
    /// in the SDDL string (owner, group, DACL, SACL) are set.
    SetSecurity {
        /// The calling thread.
        thread: ThreadId,
        /// The path.
        path: String,
        /// The new parts, in SDDL.
        sddl: String,
    },
    /// `DeleteFile` / `RemoveDirectory` / `RegDeleteKey` by a thread.
    Delete {
        /// The calling thread.
        thread: ThreadId,
        /// The path.
        path: String,
    },
    /// Win32 `AccessCheck` (`AccessCheckByType` when `principal_self` is
    /// given) called by a thread, typically a server checking a client it
    /// holds a token for. Unlike an open, the call takes the desired access
    /// and the token exactly as given: generic bits are refused
    /// (ERROR_GENERIC_NOT_MAPPED), a primary token is refused
    /// (ERROR_NO_IMPERSONATION_TOKEN), a descriptor without an owner or a
    /// group is refused (ERROR_INVALID_SECURITY_DESCR). A denial is a
    /// successful call with AccessStatus FALSE; the model returns it as the
    /// error the check leaves in the last error (ERROR_ACCESS_DENIED, or
    /// ERROR_PRIVILEGE_NOT_HELD for ACCESS_SYSTEM_SECURITY).
    AccessCheck {
        /// The calling thread.
        thread: ThreadId,
        /// The client token handle.
        token: TokenId,
        /// The descriptor in SDDL, parsed with the caller's domain context
        /// (owner and group may be missing); `None`: the descriptor of the
        /// object at `path`.
        #[serde(default)]
        sddl: Option<String>,
        /// The object whose descriptor is checked when `sddl` is `None`.
        #[serde(default)]
        path: Option<String>,
        /// The object type whose generic mapping the check uses.
        kind: ObjectKind,
        /// The desired access, passed unmapped.
        desired: AccessMask,
        /// `AccessCheckByType`'s PrincipalSelfSid.
        #[serde(default)]
        principal_self: Option<Sid>,
        /// `AccessCheckByType`'s object type list (empty: plain
        /// `AccessCheck`).
        #[serde(default)]
        object_types: Vec<winsec::access::ObjectTypeEntry>,
        /// `AccessCheckByTypeResultList`: one result per list element.
        #[serde(default)]
        result_list: bool,
    },
    /// A program's `CreatePrivateObjectSecurityEx` call: the value is the
    /// new descriptor (in [`ObjectAccess::sddl`]); nothing is stored.
    PrivateSecurity {
        /// The calling thread.
        thread: ThreadId,
        /// The client token handle (`None`: the thread's effective token).
        #[serde(default)]
        token: Option<TokenId>,
        /// The parent's descriptor in SDDL.
        #[serde(default)]
        parent: Option<String>,
        /// The creator's descriptor in SDDL.
        #[serde(default)]
        creator: Option<String>,
        /// `IsDirectoryObject`.
        container: bool,
        /// The object type whose generic mapping is passed.
        kind: ObjectKind,
        /// `SEF_DACL_AUTO_INHERIT`.
        auto_inherit_dacl: bool,
        /// `SEF_SACL_AUTO_INHERIT`.
        auto_inherit_sacl: bool,
    },
}

/// One access check an operation ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectCheck {
    /// The object whose descriptor was checked (the object itself, or its
    /// parent for a create or a delete through FILE_DELETE_CHILD).
    pub object: String,
    /// The access checked, after CreateFile's implied rights and generic mapping.
    pub desired: AccessMask,
    /// winsec's result, with its decision trail.
    pub result: AccessCheckResult,
}

/// What a successful object operation returns: which identity reached
/// which object with what access, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectAccess {
    /// The object's path.
    pub path: String,
    /// What it is.
    pub kind: ObjectKind,
    /// The access the resulting handle has.
    pub granted: AccessMask,
    /// The thread's effective token.
    pub token: TokenId,
    /// The user SID of that token.
    pub user: Sid,
    /// How the thread acted: with its primary token, or impersonating at a level.
    pub acted_as: TokenType,
    /// The object's descriptor after the operation, in SDDL.
    pub sddl: String,
    /// Every access check the operation ran, in order (none for the
    /// creator's own handle to a parentless object).
    pub checks: Vec<ObjectCheck>,
    /// For `AccessCheckByTypeResultList`: each element's result, in the
    /// order of the object type list.
    pub results: Option<Vec<winsec::access::ElementResult>>,
}

/// The key an object is stored under: lower-cased path without trailing
/// backslashes (`C:\Data\` and `c:\data` are the same object). `None` for
/// an empty path.
pub fn normalize_path(path: &str) -> Option<String> {
    let trimmed = path.trim_end_matches('\\');
    if trimmed.is_empty() {
        None
    } else {
        Some(trimmed.to_ascii_lowercase())
    }
}

/// The parent of a normalized path: everything before the last `\`.
pub fn parent_path(path: &str) -> Option<&str> {
    path.rsplit_once('\\')
        .map(|(parent, _)| parent)
        .filter(|p| !p.is_empty())
}

/// The token the model hands to `winsec`'s access check for a kernel
/// object open made with `token`.
///
/// Win32 `AccessCheck` insists on an impersonation token (a primary one
/// fails with ERROR_NO_IMPERSONATION_TOKEN), but the kernel open path
/// (`SeAccessCheck` on the subject context) checks whatever token the
/// thread acts with: the process primary token when it is not
/// impersonating. Running the check against a copy of the primary token
/// typed as an impersonation token at `SecurityImpersonation` gives exactly
/// the kernel's answer, since type and level play no other part in the
/// check. Impersonation tokens are passed as they are.
pub fn token_for_open_check(token: &Token) -> Token {
    let mut copy = token.clone();
    if copy.token_type == TokenType::Primary {
        copy.token_type = TokenType::Impersonation(ImpersonationLevel::Impersonation);
    }
    copy
}

/// The access the creator of a new `kind` object gets for `desired`,
/// without any check against the new descriptor ([WT]): CreateFile's implied rights for file-system kinds, generic rights
/// mapped, MAXIMUM_ALLOWED as the type's GenericAll, bits outside
/// GenericAll dropped. ACCESS_SYSTEM_SECURITY needs SeSecurityPrivilege.
pub fn creator_access(
    kind: ObjectKind,
    desired: AccessMask,
    token: &Token,
) -> Result<AccessMask, Win32Error> {
    let mapping = kind.mapping();
    let mut wanted = desired;
    if kind.is_file_system() {
        wanted |= rights::CREATE_FILE_IMPLIED;
    }
    let mapped = mapping.map(wanted);
    let system_security = mapped.contains(AccessMask::ACCESS_SYSTEM_SECURITY);
    if system_security && !token.privilege_enabled(Privilege::Security) {
        return Err(Win32Error::PrivilegeNotHeld);
    }
    let mut granted = mapped & mapping.generic_all;
    if mapped.contains(AccessMask::MAXIMUM_ALLOWED) {
        granted |= mapping.generic_all;
    }
    if system_security {
        granted |= AccessMask::ACCESS_SYSTEM_SECURITY;
    }
    Ok(granted)
}

/// The ACEs a new `child` object inherits from its parent's ACL (DACL or
/// SACL), with `owner` and `group` standing in for CREATOR OWNER and
/// CREATOR GROUP (winsec's rules `SD-INHERIT-ACES`, `SD-INHERIT-MAP`): winsec's
/// [`winsec::inherit::inherit_aces`] for the object kind's container-ness
/// and generic mapping.
pub fn inherit_aces(parent: &Acl, child: ObjectKind, owner: &Sid, group: &Sid) -> Vec<Ace> {
    let opts = CreateOptions {
        is_container: child.is_container(),
        ..CreateOptions::default()
    };
    winsec::inherit::inherit_aces(parent, &opts, &child.mapping(), owner, group).0
}

/// The descriptor of a new `kind` object created by `token` (its
/// effective token) with an optional explicit descriptor, under a parent
/// with descriptor `parent`: winsec's
/// [`winsec::inherit::create_security_descriptor`] without auto-inherit
/// flags. Also returns the ids of the rules that shaped it: winsec's
/// creation rules (`SD-CREATE-PARTS`, `SD-INHERIT-ACES`, `SD-INHERIT-MAP`),
/// then this module's.
pub fn new_object_sd(
    explicit: Option<&SecurityDescriptor>,
    parent: Option<&SecurityDescriptor>,
    kind: ObjectKind,
    token: &Token,
) -> (SecurityDescriptor, Vec<&'static str>) {
    let opts = CreateOptions {
        is_container: kind.is_container(),
        ..CreateOptions::default()
    };
    let created = create_security_descriptor(parent, explicit, token, &kind.mapping(), &opts);
    // winsec's creation rules first (which parts came from where, what was
    // inherited and transformed), then this module's object rules.
    let mut cited = created.rules.clone();
    if explicit.is_some() {
        cited.push(ids::CREATE_EXPLICIT_SD);
    }
    if created.owner_or_group_defaulted {
        cited.push(ids::CREATE_OWNER);
    }
    if created.default_dacl {
        cited.push(ids::DEFAULT_DACL);
    }
    (created.sd, cited)
}

/// The rights `SetSecurity` needs to store `given` over `current`
/// (rule `OBJ-SET-SECURITY`): WRITE_DAC for a DACL, WRITE_OWNER for a
/// changed owner or group or a label-only SACL, ACCESS_SYSTEM_SECURITY for
/// any other SACL.
pub fn rights_to_set(current: &SecurityDescriptor, given: &SecurityDescriptor) -> AccessMask {
    let mut needed = AccessMask::NONE;
    if given.dacl.is_present() {
        needed |= AccessMask::WRITE_DAC;
    }
    let changes = |new: &Option<Sid>, old: &Option<Sid>| new.is_some() && new != old;
    if changes(&given.owner, &current.owner) || changes(&given.group, &current.group) {
        needed |= AccessMask::WRITE_OWNER;
    }
    match &given.sacl {
        AclSlot::Absent => {}
        AclSlot::Present(acl)
            if !acl.aces.is_empty()
                && acl
                    .aces
                    .iter()
                    .all(|a| a.ace_type == AceType::SystemMandatoryLabel) =>
        {
            needed |= AccessMask::WRITE_OWNER;
        }
        _ => needed |= AccessMask::ACCESS_SYSTEM_SECURITY,
    }
    needed
}

/// `current` with the parts present in `given` replaced, their control
/// bits with them. Nothing is inherited or mapped.
pub fn merge_sd(current: &SecurityDescriptor, given: &SecurityDescriptor) -> SecurityDescriptor {
    const OWNER_BITS: u16 = control::OWNER_DEFAULTED;
    const GROUP_BITS: u16 = control::GROUP_DEFAULTED;
    const DACL_BITS: u16 = control::DACL_DEFAULTED
        | control::DACL_TRUSTED
        | control::DACL_AUTO_INHERIT_REQ
        | control::DACL_AUTO_INHERITED
        | control::DACL_PROTECTED;
    const SACL_BITS: u16 = control::SACL_DEFAULTED
        | control::SACL_AUTO_INHERIT_REQ
        | control::SACL_AUTO_INHERITED
        | control::SACL_PROTECTED;
    let mut sd = current.clone();
    let mut take = |bits: u16| sd.flags = (sd.flags & !bits) | (given.flags & bits);
    if given.owner.is_some() {
        take(OWNER_BITS);
    }
    if given.group.is_some() {
        take(GROUP_BITS);
    }
    if given.dacl.is_present() {
        take(DACL_BITS);
    }
    if given.sacl.is_present() {
        take(SACL_BITS);
    }
    if let Some(owner) = &given.owner {
        sd.owner = Some(owner.clone());
    }
    if let Some(group) = &given.group {
        sd.group = Some(group.clone());
    }
    if given.dacl.is_present() {
        sd.dacl = given.dacl.clone();
    }
    if given.sacl.is_present() {
        sd.sacl = given.sacl.clone();
    }
    sd
}

/// Adds a rule id once.
fn cite(rules: &mut Vec<&'static str>, id: &'static str) {
    if !rules.contains(&id) {
        rules.push(id);
    }
}

/// Whether `token` may make `owner` an object's owner: its user, one of its
/// groups marked SE_GROUP_OWNER, or anyone with SeRestorePrivilege enabled.
fn owner_assignable(token: &Token, owner: &Sid) -> bool {
    *owner == token.user.sid
        || token
            .groups
            .iter()
            .any(|g| g.sid == *owner && g.attributes & group_attrs::OWNER != 0)
        || token.privilege_enabled(Privilege::Restore)
}

/// The calling thread as an actor on objects.
struct Actor {
    thread: ThreadId,
    machine: String,
    token_id: TokenId,
    token: Token,
}

impl Host {
    /// The object at `path` on `machine`, if any (case-insensitive).
    pub fn object(&self, machine: &str, path: &str) -> Option<&SecObject> {
        let key = (machine.to_ascii_uppercase(), normalize_path(path)?);
        self.objects.get(&key)
    }

    /// Applies an object operation.
    pub(crate) fn apply_object_op(
        &mut self,
        op: &ObjectOp,
        rules: &mut Vec<&'static str>,
        checks: &mut Vec<ObjectCheck>,
    ) -> Result<Value, Win32Error> {
        match op {
            ObjectOp::Define {
                machine,
                path,
                kind,
                sddl,
            } => self.define_object(machine, path, *kind, sddl, rules),
            ObjectOp::Create {
                thread,
                path,
                kind,
                sddl,
                desired,
            } => self.create_object(
                NewObject {
                    thread: *thread,
                    path,
                    kind: *kind,
                    sddl: sddl.as_deref(),
                    desired: *desired,
                },
                rules,
                checks,
            ),
            ObjectOp::Open {
                thread,
                path,
                desired,
                backup_intent,
            } => self.open_object(*thread, path, *desired, *backup_intent, rules, checks),
            ObjectOp::SetSecurity { thread, path, sddl } => {
                self.set_object_security(*thread, path, sddl, rules, checks)
            }
            ObjectOp::Delete { thread, path } => self.delete_object(*thread, path, rules, checks),
            ObjectOp::AccessCheck {
                thread,
                token,
                sddl,
                path,
                kind,
                desired,
                principal_self,
                object_types,
                result_list,
            } => self.access_check_call(
                AccessCheckCall {
                    thread: *thread,
                    token: *token,
                    sddl: sddl.as_deref(),
                    path: path.as_deref(),
                    kind: *kind,
                    desired: *desired,
                    principal_self: principal_self.as_ref(),
                    object_types,
                    result_list: *result_list,
                },
                rules,
                checks,
            ),
            ObjectOp::PrivateSecurity {
                thread,
                token,
                parent,
                creator,
                container,
                kind,
                auto_inherit_dacl,
                auto_inherit_sacl,
            } => self.private_security_call(
                PrivateSecurityCall {
                    thread: *thread,
                    token: *token,
                    parent: parent.as_deref(),
                    creator: creator.as_deref(),
                    opts: CreateOptions {
                        is_container: *container,
                        auto_inherit_dacl: *auto_inherit_dacl,
                        auto_inherit_sacl: *auto_inherit_sacl,
                        ..CreateOptions::default()
                    },
                    kind: *kind,
                },
                rules,
            ),
        }
    }

    fn actor(&self, thread: ThreadId) -> Result<Actor, Win32Error> {
        let machine = self
            .process_of(thread)
            .ok_or(Win32Error::InvalidHandle)?
            .machine
            .clone();
        let token_id = self
            .effective_token_id(thread)
            .ok_or(Win32Error::InvalidHandle)?;
        let token = self
            .tokens
            .get(&token_id)
            .ok_or(Win32Error::InvalidHandle)
            .map(|t| (*t.token).clone())?;
        Ok(Actor {
            thread,
            machine,
            token_id,
            token,
        })
    }

    /// The key of `path` on the actor's machine.
    fn key(machine: &str, path: &str) -> Result<(String, String), Win32Error> {
        let path = normalize_path(path).ok_or(Win32Error::InvalidParameter)?;
        Ok((machine.to_ascii_uppercase(), path))
    }

    /// The existing object at `path`, or ERROR_FILE_NOT_FOUND.
    fn existing(
        &self,
        actor: &Actor,
        path: &str,
        rules: &mut Vec<&'static str>,
    ) -> Result<SecObject, Win32Error> {
        let key = Host::key(&actor.machine, path)?;
        self.objects.get(&key).cloned().ok_or_else(|| {
            cite(rules, ids::NOT_FOUND);
            Win32Error::FileNotFound
        })
    }

    /// `IMP-IDENTIFY-NO-OPEN`: a thread acting at Identification or
    /// Anonymous level opens nothing.
    fn refuse_below_impersonation(
        &mut self,
        actor: &Actor,
        object: &str,
        rules: &mut Vec<&'static str>,
    ) -> Result<(), Win32Error> {
        let below = actor
            .token
            .impersonation_level()
            .is_some_and(|level| level < ImpersonationLevel::Impersonation);
        if !below || !self.rules.checks.identification_opens_nothing {
            return Ok(());
        }
        cite(rules, crate::rules::ids::IDENTIFICATION_NO_OPEN);
        self.log.push(Event::Access {
            thread: actor.thread,
            object: object.to_string(),
            user: actor.token.user.sid.clone(),
            granted: false,
        });
        Err(Win32Error::BadImpersonationLevel)
    }

    /// Runs winsec's access check for `actor` on `object` and logs the decision.
    fn check_object(
        &mut self,
        actor: &Actor,
        object: &SecObject,
        desired: AccessMask,
        backup_intent: bool,
        rules: &mut Vec<&'static str>,
    ) -> ObjectCheck {
        if actor.token.token_type == TokenType::Primary {
            cite(rules, ids::PRIMARY_TOKEN_CHECK);
        }
        let token = token_for_open_check(&actor.token);
        let mapping = object.kind.mapping();
        let request = AccessRequest {
            sd: &object.sd,
            token: &token,
            desired,
            mapping: &mapping,
            principal_self: None,
            backup_intent,
        };
        self.logged_check(actor.thread, object, &request)
    }

    /// Runs `request` against `object` for `thread` and logs the decision.
    fn logged_check(
        &mut self,
        thread: ThreadId,
        object: &SecObject,
        request: &AccessRequest<'_>,
    ) -> ObjectCheck {
        let result = request.check_under(self.rules.checks.access);
        self.log.push(Event::Access {
            thread,
            object: object.path.clone(),
            user: request.token.user.sid.clone(),
            granted: result.is_granted(),
        });
        ObjectCheck {
            object: object.path.clone(),
            desired: request.desired,
            result,
        }
    }

    fn access_value(
        &self,
        actor: &Actor,
        object: &SecObject,
        granted: AccessMask,
        checks: Vec<ObjectCheck>,
    ) -> Value {
        let ctx = self.domain_context(&object.machine);
        Value::Object(Box::new(ObjectAccess {
            path: object.path.clone(),
            kind: object.kind,
            granted,
            token: actor.token_id,
            user: actor.token.user.sid.clone(),
            acted_as: actor.token.token_type,
            sddl: sddl::print(&object.sd, &ctx),
            checks,
            results: None,
        }))
    }

    fn define_object(
        &mut self,
        machine: &str,
        path: &str,
        kind: ObjectKind,
        text: &str,
        rules: &mut Vec<&'static str>,
    ) -> Result<Value, Win32Error> {
        cite(rules, ids::DEFINE);
        let m = self.machine(machine).ok_or(Win32Error::InvalidParameter)?;
        let machine = m.name.to_ascii_uppercase();
        let key = Host::key(&machine, path)?;
        let sd = sddl::parse(text, &self.domain_context(&machine)).map_err(|e| e.win32)?;
        if sd.owner.is_none() || sd.group.is_none() {
            return Err(Win32Error::InvalidSecurityDescr);
        }
        self.objects.insert(
            key,
            SecObject {
                kind,
                machine,
                path: path.to_string(),
                sd,
            },
        );
        Ok(Value::None)
    }

    fn create_object(
        &mut self,
        new: NewObject<'_>,
        rules: &mut Vec<&'static str>,
        checks: &mut Vec<ObjectCheck>,
    ) -> Result<Value, Win32Error> {
        let NewObject {
            thread,
            path,
            kind,
            sddl: text,
            desired,
        } = new;
        let actor = self.actor(thread)?;
        let key = Host::key(&actor.machine, path)?;
        // The program converts its SDDL before it calls the create API.
        let explicit = match text {
            Some(text) => {
                Some(sddl::parse(text, &self.domain_context(&actor.machine)).map_err(|e| e.win32)?)
            }
            None => None,
        };
        let parent = match kind.parent_kind() {
            None => None,
            Some(parent_kind) => {
                let found = parent_path(&key.1)
                    .and_then(|p| self.objects.get(&(key.0.clone(), p.to_string())))
                    .filter(|p| p.kind == parent_kind)
                    .cloned();
                match found {
                    Some(p) => Some(p),
                    None => {
                        cite(rules, ids::NOT_FOUND);
                        return Err(Win32Error::PathNotFound);
                    }
                }
            }
        };
        if self.objects.contains_key(&key) {
            cite(rules, ids::CREATE_EXISTS);
            return match kind {
                ObjectKind::File | ObjectKind::CertificatePrivateKey => Err(Win32Error::FileExists),
                ObjectKind::Directory => Err(Win32Error::AlreadyExists),
                // RegCreateKeyEx, CreateEvent and CreateMutex open the
                // object that is already there.
                ObjectKind::RegistryKey | ObjectKind::Event | ObjectKind::Mutant => {
                    self.open_object(thread, path, desired, false, rules, checks)
                }
            };
        }
        self.refuse_below_impersonation(&actor, path, rules)?;
        if let Some(parent) = &parent {
            cite(rules, ids::CREATE_PARENT_ACCESS);
            let check = self.check_object(&actor, parent, kind.create_right(), false, rules);
            let outcome = check.result.is_granted();
            let error = check.result.error.unwrap_or(Win32Error::AccessDenied);
            checks.push(check);
            if !outcome {
                return Err(error);
            }
        }
        cite(rules, ids::CREATOR_ACCESS);
        if kind.is_file_system() {
            cite(rules, ids::CREATEFILE_IMPLIED);
        }
        let granted = creator_access(kind, desired, &actor.token)?;
        let (sd, cited) = new_object_sd(
            explicit.as_ref(),
            parent.as_ref().map(|p| &p.sd),
            kind,
            &actor.token,
        );
        for id in cited {
            cite(rules, id);
        }
        let object = SecObject {
            kind,
            machine: key.0.clone(),
            path: path.to_string(),
            sd,
        };
        self.objects.insert(key, object.clone());
        Ok(self.access_value(&actor, &object, granted, checks.clone()))
    }

    fn open_object(
        &mut self,
        thread: ThreadId,
        path: &str,
        desired: AccessMask,
        backup_intent: bool,
        rules: &mut Vec<&'static str>,
        checks: &mut Vec<ObjectCheck>,
    ) -> Result<Value, Win32Error> {
        cite(rules, ids::OBJECT_OPEN);
        let actor = self.actor(thread)?;
        let object = self.existing(&actor, path, rules)?;
        self.refuse_below_impersonation(&actor, &object.path, rules)?;
        let mut wanted = desired;
        if object.kind.is_file_system() {
            cite(rules, ids::CREATEFILE_IMPLIED);
            wanted |= rights::CREATE_FILE_IMPLIED;
        }
        let wanted = object.kind.mapping().map(wanted);
        if backup_intent {
            cite(rules, ids::BACKUP_INTENT);
        }
        let check = self.check_object(&actor, &object, wanted, backup_intent, rules);
        let verdict = check.result.clone();
        checks.push(check);
        if !verdict.is_granted() {
            return Err(verdict.error.unwrap_or(Win32Error::AccessDenied));
        }
        let granted = verdict.granted.unwrap_or(AccessMask::NONE);
        Ok(self.access_value(&actor, &object, granted, checks.clone()))
    }

    fn set_object_security(
        &mut self,
        thread: ThreadId,
        path: &str,
        text: &str,
        rules: &mut Vec<&'static str>,
        checks: &mut Vec<ObjectCheck>,
    ) -> Result<Value, Win32Error> {
        cite(rules, ids::SET_SECURITY);
        let actor = self.actor(thread)?;
        let given = sddl::parse(text, &self.domain_context(&actor.machine)).map_err(|e| e.win32)?;
        let nothing = given.owner.is_none()
            && given.group.is_none()
            && !given.dacl.is_present()
            && !given.sacl.is_present();
        if nothing {
            return Err(Win32Error::InvalidParameter);
        }
        let object = self.existing(&actor, path, rules)?;
        self.refuse_below_impersonation(&actor, &object.path, rules)?;
        let needed = rights_to_set(&object.sd, &given);
        let mut granted = AccessMask::NONE;
        if !needed.is_empty() {
            let check = self.check_object(&actor, &object, needed, false, rules);
            let verdict = check.result.clone();
            checks.push(check);
            if !verdict.is_granted() {
                return Err(verdict.error.unwrap_or(Win32Error::AccessDenied));
            }
            granted = verdict.granted.unwrap_or(AccessMask::NONE);
        }
        if let Some(owner) = &given.owner {
            if !owner_assignable(&actor.token, owner) {
                return Err(Win32Error::InvalidOwner);
            }
        }
        let updated = SecObject {
            sd: merge_sd(&object.sd, &given),
            ..object
        };
        let key = Host::key(&updated.machine, &updated.path)?;
        self.objects.insert(key, updated.clone());
        Ok(self.access_value(&actor, &updated, granted, checks.clone()))
    }

    fn delete_object(
        &mut self,
        thread: ThreadId,
        path: &str,
        rules: &mut Vec<&'static str>,
        checks: &mut Vec<ObjectCheck>,
    ) -> Result<Value, Win32Error> {
        cite(rules, ids::DELETE);
        let actor = self.actor(thread)?;
        let object = self.existing(&actor, path, rules)?;
        self.refuse_below_impersonation(&actor, &object.path, rules)?;
        let key = Host::key(&object.machine, &object.path)?;
        let own = self.check_object(&actor, &object, AccessMask::DELETE, false, rules);
        let mut allowed = own.result.is_granted();
        let error = own.result.error.unwrap_or(Win32Error::AccessDenied);
        checks.push(own);
        if !allowed && object.kind.is_file_system() {
            let parent = parent_path(&key.1)
                .and_then(|p| self.objects.get(&(key.0.clone(), p.to_string())))
                .filter(|p| p.kind == ObjectKind::Directory)
                .cloned();
            if let Some(parent) = parent {
                let child =
                    self.check_object(&actor, &parent, rights::FILE_DELETE_CHILD, false, rules);
                allowed = child.result.is_granted();
                checks.push(child);
            }
        }
        if !allowed {
            return Err(error);
        }
        let prefix = format!("{}\\", key.1);
        let has_children = self
            .objects
            .keys()
            .any(|(m, p)| *m == key.0 && p.starts_with(&prefix));
        if has_children {
            // RegDeleteKey refuses a key with subkeys with ERROR_ACCESS_DENIED;
            // RemoveDirectory refuses a non-empty directory with ERROR_DIR_NOT_EMPTY.
            return Err(match object.kind {
                ObjectKind::RegistryKey => Win32Error::AccessDenied,
                _ => Win32Error::DirNotEmpty,
            });
        }
        self.objects.remove(&key);
        Ok(self.access_value(&actor, &object, AccessMask::DELETE, checks.clone()))
    }

    fn access_check_call(
        &mut self,
        call: AccessCheckCall<'_>,
        rules: &mut Vec<&'static str>,
        checks: &mut Vec<ObjectCheck>,
    ) -> Result<Value, Win32Error> {
        cite(rules, ids::ACCESS_CHECK_CALL);
        let machine = self
            .process_of(call.thread)
            .ok_or(Win32Error::InvalidHandle)?
            .machine
            .clone();
        let token = self
            .tokens
            .get(&call.token)
            .ok_or(Win32Error::InvalidHandle)
            .map(|t| (*t.token).clone())?;
        // The check is made for the client token, on the caller's machine.
        let client = Actor {
            thread: call.thread,
            machine: machine.clone(),
            token_id: call.token,
            token,
        };
        let object = match (call.sddl, call.path) {
            (Some(text), _) => SecObject {
                kind: call.kind,
                machine: machine.to_ascii_uppercase(),
                path: call.path.unwrap_or("(security descriptor)").to_string(),
                sd: sddl::parse(text, &self.domain_context(&machine)).map_err(|e| e.win32)?,
            },
            (None, Some(path)) => self.existing(&client, path, rules)?,
            (None, None) => return Err(Win32Error::InvalidParameter),
        };
        let mapping = call.kind.mapping();
        let request = AccessRequest {
            sd: &object.sd,
            token: &client.token,
            desired: call.desired,
            mapping: &mapping,
            principal_self: call.principal_self,
            backup_intent: false,
        };
        if call.object_types.is_empty() && !call.result_list {
            let check = self.logged_check(call.thread, &object, &request);
            let verdict = check.result.clone();
            checks.push(check);
            return match (verdict.granted, verdict.error) {
                (Some(granted), None) => {
                    Ok(self.access_value(&client, &object, granted, checks.clone()))
                }
                (_, error) => Err(error.unwrap_or(Win32Error::AccessDenied)),
            };
        }
        // AccessCheckByType / AccessCheckByTypeResultList: the winsec
        // check decides every element; the call's own verdict is the
        // whole object's (the first element's for a result list).
        let by_type = request.check_by_type(call.object_types, call.result_list);
        self.log.push(Event::Access {
            thread: call.thread,
            object: object.path.clone(),
            user: request.token.user.sid.clone(),
            granted: by_type.result.is_granted(),
        });
        let verdict = by_type.result.clone();
        checks.push(ObjectCheck {
            object: object.path.clone(),
            desired: request.desired,
            result: by_type.result,
        });
        match (verdict.granted, verdict.error, by_type.results) {
            (_, Some(error), _) if verdict.access_status.is_none() => Err(error),
            (granted, _, Some(results)) => {
                let mut value = self.access_value(
                    &client,
                    &object,
                    granted.unwrap_or_default(),
                    checks.clone(),
                );
                if let Value::Object(access) = &mut value {
                    access.results = Some(results);
                }
                Ok(value)
            }
            (Some(granted), None, None) => {
                Ok(self.access_value(&client, &object, granted, checks.clone()))
            }
            (_, error, None) => Err(error.unwrap_or(Win32Error::AccessDenied)),
        }
    }
}

impl Host {
    fn private_security_call(
        &mut self,
        call: PrivateSecurityCall<'_>,
        rules: &mut Vec<&'static str>,
    ) -> Result<Value, Win32Error> {
        cite(rules, ids::PRIVATE_SECURITY_CALL);
        let machine = self
            .process_of(call.thread)
            .ok_or(Win32Error::InvalidHandle)?
            .machine
            .clone();
        let token_id = match call.token {
            Some(id) => id,
            None => self
                .effective_token_id(call.thread)
                .ok_or(Win32Error::InvalidHandle)?,
        };
        let token = self
            .tokens
            .get(&token_id)
            .ok_or(Win32Error::InvalidHandle)
            .map(|t| (*t.token).clone())?;
        let ctx = self.domain_context(&machine);
        let parse = |text: Option<&str>| {
            text.map(|t| sddl::parse(t, &ctx).map_err(|e| e.win32))
                .transpose()
        };
        let parent = parse(call.parent)?;
        let creator = parse(call.creator)?;
        if let Some(owner) = creator.as_ref().and_then(|c| c.owner.as_ref()) {
            if !owner_assignable(&token, owner) {
                return Err(Win32Error::InvalidOwner);
            }
        }
        // A SACL of mandatory labels only is not an audit SACL.
        let audit_sacl = creator.as_ref().is_some_and(|c| match &c.sacl {
            AclSlot::Present(acl) => {
                acl.aces.is_empty()
                    || acl
                        .aces
                        .iter()
                        .any(|a| a.ace_type != AceType::SystemMandatoryLabel)
            }
            AclSlot::Absent => false,
            _ => true,
        });
        if audit_sacl && !token.privilege_enabled(Privilege::Security) {
            return Err(Win32Error::PrivilegeNotHeld);
        }
        let created = create_security_descriptor(
            parent.as_ref(),
            creator.as_ref(),
            &token,
            &call.kind.mapping(),
            &call.opts,
        );
        for id in &created.rules {
            cite(rules, id);
        }
        let actor = Actor {
            thread: call.thread,
            machine: machine.clone(),
            token_id,
            token,
        };
        let object = SecObject {
            kind: call.kind,
            machine: machine.to_ascii_uppercase(),
            path: "(new private object)".to_string(),
            sd: created.sd,
        };
        Ok(self.access_value(&actor, &object, AccessMask::NONE, Vec::new()))
    }
}

/// The arguments of a `CreatePrivateObjectSecurityEx` call.
struct PrivateSecurityCall<'a> {
    thread: ThreadId,
    token: Option<TokenId>,
    parent: Option<&'a str>,
    creator: Option<&'a str>,
    opts: CreateOptions,
    kind: ObjectKind,
}

/// The arguments of a create.
struct NewObject<'a> {
    thread: ThreadId,
    path: &'a str,
    kind: ObjectKind,
    sddl: Option<&'a str>,
    desired: AccessMask,
}

/// The arguments of a Win32 `AccessCheck` call.
struct AccessCheckCall<'a> {
    thread: ThreadId,
    token: TokenId,
    sddl: Option<&'a str>,
    path: Option<&'a str>,
    kind: ObjectKind,
    desired: AccessMask,
    principal_self: Option<&'a Sid>,
    object_types: &'a [winsec::access::ObjectTypeEntry],
    result_list: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use winsec::DomainContext;

    fn ctx() -> DomainContext {
        DomainContext::default()
    }

    fn acl(text: &str) -> Acl {
        let sd = sddl::parse(text, &ctx()).unwrap();
        sd.dacl.acl().cloned().unwrap()
    }

    fn print_aces(aces: Vec<Ace>) -> String {
        let sd = SecurityDescriptor {
            dacl: AclSlot::Present(Acl::new(aces)),
            ..SecurityDescriptor::default()
        };
        sddl::print(&sd, &ctx())
    }

    fn alice() -> Sid {
        "S-1-5-21-1-2-3-1001".parse().unwrap()
    }

    fn none_group() -> Sid {
        "S-1-5-21-1-2-3-513".parse().unwrap()
    }

    fn inherited(parent: &str, kind: ObjectKind) -> String {
        print_aces(inherit_aces(&acl(parent), kind, &alice(), &none_group()))
    }

    #[test]
    fn files_inherit_oi_aces_mapped_with_flags_cleared() {
        assert_eq!(
            inherited(
                "D:(A;OICI;GA;;;BA)(A;CI;FA;;;BU)(A;OI;GR;;;WD)",
                ObjectKind::File
            ),
            "D:(A;ID;FA;;;BA)(A;ID;0x120089;;;WD)"
        );
    }

    #[test]
    fn creator_owner_and_group_are_replaced() {
        assert_eq!(
            inherited("D:(A;OICIIO;GA;;;CO)(A;OICIIO;GR;;;CG)", ObjectKind::File),
            "D:(A;ID;FA;;;S-1-5-21-1-2-3-1001)(A;ID;0x120089;;;S-1-5-21-1-2-3-513)"
        );
        assert_eq!(
            inherited("D:(A;OICIIO;GA;;;CO)", ObjectKind::Directory),
            "D:(A;ID;FA;;;S-1-5-21-1-2-3-1001)(A;OICIIOID;GA;;;CO)"
        );
    }

    #[test]
    fn containers_keep_ci_aces_split_generic_ones_and_pass_oi_only_as_inherit_only() {
        assert_eq!(
            inherited(
                "D:(A;OICI;FA;;;SY)(A;OICI;GA;;;BA)(A;OI;FR;;;WD)(A;CI;0x4;;;BU)",
                ObjectKind::Directory
            ),
            "D:(A;OICIID;FA;;;SY)(A;ID;FA;;;BA)(A;OICIIOID;GA;;;BA)(A;OIIOID;0x120089;;;WD)(A;CIID;LC;;;BU)"
        );
    }

    #[test]
    fn no_propagate_makes_an_effective_only_copy() {
        assert_eq!(
            inherited(
                "D:(A;OICINP;GA;;;BU)(A;OINP;FR;;;WD)",
                ObjectKind::Directory
            ),
            "D:(A;ID;FA;;;BU)"
        );
        assert_eq!(
            inherited("D:(A;OICINP;GA;;;BU)(A;OINP;FR;;;WD)", ObjectKind::File),
            "D:(A;ID;FA;;;BU)(A;ID;0x120089;;;WD)"
        );
    }

    #[test]
    fn protected_parent_still_passes_aces_down() {
        assert_eq!(
            inherited("D:PAI(A;OICI;FA;;;BA)", ObjectKind::File),
            "D:(A;ID;FA;;;BA)"
        );
    }

    #[test]
    fn registry_keys_use_the_key_mapping() {
        assert_eq!(
            inherited("D:(A;CI;GR;;;BU)", ObjectKind::RegistryKey),
            "D:(A;ID;CCSWRPRC;;;BU)(A;CIIOID;GR;;;BU)"
        );
    }

    #[test]
    fn new_sd_falls_back_to_the_default_dacl_mapped() {
        let mut token = Token::new(alice());
        token.primary_group = none_group();
        token.default_dacl = Some(acl("D:(A;;GA;;;S-1-5-21-1-2-3-1001)(A;;GA;;;SY)"));
        let parent = sddl::parse("O:BAG:SYD:(A;;FA;;;BA)", &ctx()).unwrap();
        let (sd, cited) = new_object_sd(None, Some(&parent), ObjectKind::File, &token);
        assert_eq!(
            sddl::print(&sd, &ctx()),
            "O:S-1-5-21-1-2-3-1001G:S-1-5-21-1-2-3-513D:(A;;FA;;;S-1-5-21-1-2-3-1001)(A;;FA;;;SY)"
        );
        assert_eq!(
            cited,
            [
                winsec::rules::ids::CREATE_PARTS,
                ids::CREATE_OWNER,
                ids::DEFAULT_DACL
            ]
        );
    }

    #[test]
    fn explicit_dacl_gets_nothing_inherited_and_missing_parts_are_filled() {
        let token = Token::new(alice());
        let parent = sddl::parse("O:BAG:SYD:(A;OICI;FA;;;BA)", &ctx()).unwrap();
        let explicit = sddl::parse("D:", &ctx()).unwrap();
        let (sd, cited) = new_object_sd(Some(&explicit), Some(&parent), ObjectKind::File, &token);
        assert_eq!(
            sddl::print(&sd, &ctx()),
            "O:S-1-5-21-1-2-3-1001G:S-1-5-21-1-2-3-1001D:"
        );
        assert_eq!(
            cited,
            [
                winsec::rules::ids::CREATE_PARTS,
                ids::CREATE_EXPLICIT_SD,
                ids::CREATE_OWNER
            ]
        );
        // An explicit owner only: the DACL is still inherited.
        let explicit = sddl::parse("O:SYG:SY", &ctx()).unwrap();
        let (sd, _) = new_object_sd(Some(&explicit), Some(&parent), ObjectKind::File, &token);
        assert_eq!(sddl::print(&sd, &ctx()), "O:SYG:SYD:(A;ID;FA;;;BA)");
    }

    #[test]
    fn inheritable_label_reaches_the_sacl() {
        let token = Token::new(alice());
        let parent = sddl::parse("O:BAG:SYD:(A;OICI;FA;;;WD)S:(ML;OICI;NW;;;LW)", &ctx()).unwrap();
        let (sd, _) = new_object_sd(None, Some(&parent), ObjectKind::File, &token);
        assert_eq!(sd.sacl.acl().map(|a| a.aces.len()), Some(1));
        assert!(sddl::print(&sd, &ctx()).ends_with("S:(ML;ID;NW;;;LW)"));
    }

    #[test]
    fn creator_access_ignores_the_descriptor_and_maps() {
        let token = Token::new(alice());
        assert_eq!(
            creator_access(ObjectKind::File, AccessMask::GENERIC_ALL, &token),
            Ok(AccessMask(0x1f01ff))
        );
        assert_eq!(
            creator_access(ObjectKind::File, AccessMask::GENERIC_WRITE, &token),
            Ok(AccessMask(0x120196))
        );
        assert_eq!(
            creator_access(ObjectKind::Event, AccessMask::MAXIMUM_ALLOWED, &token),
            Ok(AccessMask(0x1f0003))
        );
        assert_eq!(
            creator_access(ObjectKind::Event, AccessMask(0xffff), &token),
            Ok(AccessMask(0x3)),
            "invalid specific bits are ignored"
        );
        assert_eq!(
            creator_access(ObjectKind::File, AccessMask::ACCESS_SYSTEM_SECURITY, &token),
            Err(Win32Error::PrivilegeNotHeld)
        );
    }

    #[test]
    fn rights_to_set_follow_the_parts_given() {
        let current = sddl::parse("O:BAG:SYD:(A;;FA;;;BA)", &ctx()).unwrap();
        let need = |text: &str| rights_to_set(&current, &sddl::parse(text, &ctx()).unwrap());
        assert_eq!(need("D:(A;;FA;;;WD)"), AccessMask::WRITE_DAC);
        assert_eq!(need("O:BAD:(A;;FA;;;WD)"), AccessMask::WRITE_DAC);
        assert_eq!(
            need("O:SYD:(A;;FA;;;WD)"),
            AccessMask::WRITE_DAC | AccessMask::WRITE_OWNER
        );
        assert_eq!(need("G:BA"), AccessMask::WRITE_OWNER);
        assert_eq!(need("S:(ML;;NW;;;LW)"), AccessMask::WRITE_OWNER);
        assert_eq!(
            need("S:(AU;SA;FA;;;WD)"),
            AccessMask::ACCESS_SYSTEM_SECURITY
        );
    }

    #[test]
    fn merge_replaces_only_the_parts_given() {
        let current = sddl::parse("O:BAG:SYD:PAI(A;;FA;;;BA)", &ctx()).unwrap();
        let given = sddl::parse("D:(A;;FR;;;WD)", &ctx()).unwrap();
        assert_eq!(
            sddl::print(&merge_sd(&current, &given), &ctx()),
            "O:BAG:SYD:(A;;0x120089;;;WD)"
        );
    }

    #[test]
    fn paths_normalize_and_have_parents() {
        assert_eq!(normalize_path("C:\\Data\\").as_deref(), Some("c:\\data"));
        assert_eq!(normalize_path("\\"), None);
        assert_eq!(parent_path("c:\\data\\f.txt"), Some("c:\\data"));
        assert_eq!(parent_path("c:\\data"), Some("c:"));
        assert_eq!(parent_path("c:"), None);
    }

    #[test]
    fn primary_tokens_are_checked_as_impersonation_copies() {
        let mut token = Token::new(alice());
        token.token_type = TokenType::Primary;
        let copy = token_for_open_check(&token);
        assert_eq!(
            copy.token_type,
            TokenType::Impersonation(ImpersonationLevel::Impersonation)
        );
        assert_eq!(copy.user, token.user);
        token.token_type = TokenType::Impersonation(ImpersonationLevel::Identification);
        assert_eq!(token_for_open_check(&token), token);
    }

    #[test]
    fn rule_ids_are_unique_and_prefixed() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in rules::RULES {
            assert!(rule.id.starts_with("OBJ-"), "{}", rule.id);
            assert!(seen.insert(rule.id), "duplicate {}", rule.id);
            assert!(!rule.statement.is_empty() && !rule.source.is_empty());
        }
        assert!(crate::rules::rule(ids::OBJECT_OPEN).is_some());
    }
}
