//! Win32 error codes that the security APIs return, by name and number.
//!
//! This module owns the mapping between the symbolic names Windows uses
//! (`ERROR_ACCESS_DENIED`) and their numeric codes, and nothing else.

use serde::Serialize;

macro_rules! win32_errors {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal => $name:literal ),+ $(,)?) => {
        /// A Win32 error code as returned by `GetLastError()`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Win32Error {
            $( $(#[$doc])* $variant ),+
        }

        impl Win32Error {
            /// Every error this crate knows.
            pub const ALL: &'static [Win32Error] = &[$(Win32Error::$variant),+];

            /// The numeric code (`GetLastError()` value).
            pub const fn code(self) -> u32 {
                match self { $(Win32Error::$variant => $code),+ }
            }

            /// The symbolic name, as in `winerror.h`.
            pub const fn name(self) -> &'static str {
                match self { $(Win32Error::$variant => $name),+ }
            }
        }
    };
}

win32_errors! {
    /// The operation completed successfully.
    Success = 0 => "ERROR_SUCCESS",
    /// The system cannot find the file specified.
    FileNotFound = 2 => "ERROR_FILE_NOT_FOUND",
    /// The system cannot find the path specified.
    PathNotFound = 3 => "ERROR_PATH_NOT_FOUND",
    /// Access is denied.
    AccessDenied = 5 => "ERROR_ACCESS_DENIED",
    /// The handle is invalid.
    InvalidHandle = 6 => "ERROR_INVALID_HANDLE",
    /// The request is not supported.
    NotSupported = 50 => "ERROR_NOT_SUPPORTED",
    /// The network path was not found.
    BadNetPath = 53 => "ERROR_BAD_NETPATH",
    /// The file exists.
    FileExists = 80 => "ERROR_FILE_EXISTS",
    /// The directory is not empty.
    DirNotEmpty = 145 => "ERROR_DIR_NOT_EMPTY",
    /// Cannot create a file when that file already exists.
    AlreadyExists = 183 => "ERROR_ALREADY_EXISTS",
    /// The parameter is incorrect.
    InvalidParameter = 87 => "ERROR_INVALID_PARAMETER",
    /// The data area passed to a system call is too small.
    InsufficientBuffer = 122 => "ERROR_INSUFFICIENT_BUFFER",
    /// Invalid access to memory location.
    NoAccess = 998 => "ERROR_NOACCESS",
    /// An attempt was made to reference a token that does not exist.
    NoToken = 1008 => "ERROR_NO_TOKEN",
    /// Not all privileges or groups referenced are assigned to the caller.
    NotAllAssigned = 1300 => "ERROR_NOT_ALL_ASSIGNED",
    /// The revision level is unknown.
    UnknownRevision = 1305 => "ERROR_UNKNOWN_REVISION",
    /// This security ID may not be assigned as the owner of this object.
    InvalidOwner = 1307 => "ERROR_INVALID_OWNER",
    /// An attempt has been made to operate on an impersonation token by a thread that is not currently impersonating a client.
    NoImpersonationToken = 1309 => "ERROR_NO_IMPERSONATION_TOKEN",
    /// A specified privilege does not exist.
    NoSuchPrivilege = 1313 => "ERROR_NO_SUCH_PRIVILEGE",
    /// A required privilege is not held by the client.
    PrivilegeNotHeld = 1314 => "ERROR_PRIVILEGE_NOT_HELD",
    /// The specified account does not exist (e.g. no such user for S4U).
    NoSuchUser = 1317 => "ERROR_NO_SUCH_USER",
    /// The service did not start due to a logon failure.
    ServiceLogonFailed = 1069 => "ERROR_SERVICE_LOGON_FAILED",
    /// The user name or password is incorrect.
    LogonFailure = 1326 => "ERROR_LOGON_FAILURE",
    /// The specified domain either does not exist or could not be contacted.
    NoSuchDomain = 1355 => "ERROR_NO_SUCH_DOMAIN",
    /// A logon request contained an invalid logon type value.
    InvalidLogonType = 1367 => "ERROR_INVALID_LOGON_TYPE",
    /// The user has not been granted the requested logon type at this computer.
    LogonTypeNotGranted = 1385 => "ERROR_LOGON_TYPE_NOT_GRANTED",
    /// The access control list (ACL) structure is invalid.
    InvalidAcl = 1336 => "ERROR_INVALID_ACL",
    /// The security ID structure is invalid.
    InvalidSid = 1337 => "ERROR_INVALID_SID",
    /// The security descriptor structure is invalid.
    InvalidSecurityDescr = 1338 => "ERROR_INVALID_SECURITY_DESCR",
    /// Either a required impersonation level was not provided, or the provided impersonation level is invalid.
    BadImpersonationLevel = 1346 => "ERROR_BAD_IMPERSONATION_LEVEL",
    /// Cannot open an anonymous level security token.
    CantOpenAnonymous = 1347 => "ERROR_CANT_OPEN_ANONYMOUS",
    /// The type of the token is inappropriate for its attempted use.
    BadTokenType = 1349 => "ERROR_BAD_TOKEN_TYPE",
    /// Generic access types were contained in an access mask which should already be mapped to nongeneric types.
    GenericNotMapped = 1360 => "ERROR_GENERIC_NOT_MAPPED",
}

impl Win32Error {
    /// Looks an error up by its symbolic name (`ERROR_ACCESS_DENIED`).
    pub fn from_name(name: &str) -> Option<Win32Error> {
        Win32Error::ALL.iter().copied().find(|e| e.name() == name)
    }

    /// Looks an error up by its numeric code.
    pub fn from_code(code: u32) -> Option<Win32Error> {
        Win32Error::ALL.iter().copied().find(|e| e.code() == code)
    }
}

impl std::fmt::Display for Win32Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name(), self.code())
    }
}

/// Serialized as `{"name": "ERROR_...", "code": n}`, the shape the CLI prints.
impl Serialize for Win32Error {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Win32Error", 2)?;
        s.serialize_field("name", self.name())?;
        s.serialize_field("code", &self.code())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_are_unique_and_resolve_back() {
        for e in Win32Error::ALL {
            assert_eq!(Win32Error::from_name(e.name()), Some(*e));
            assert_eq!(Win32Error::from_code(e.code()), Some(*e));
        }
        assert_eq!(Win32Error::GenericNotMapped.code(), 1360);
        assert_eq!(Win32Error::InvalidSecurityDescr.code(), 1338);
    }
}
