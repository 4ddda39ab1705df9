//! HRESULTs that BITS methods return, each with its `bitsmsg.h` /
//! `winerror.h` name and value ([RV]; the property codes
//! from `bitsmsg.h` as the Windows SDK and microsoft/windows-rs's Win32
//! metadata carry them).
//!
//! This module owns the mapping between names and numbers, and the
//! conversion of a Win32 error into an HRESULT (`HRESULT_FROM_WIN32`).

use std::fmt;

use serde::{Serialize, Serializer};
use winsec::Win32Error;

macro_rules! hresults {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal => $name:literal ),+ $(,)?) => {
        /// An HRESULT a BITS call returns.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum HResult {
            $( $(#[$doc])* $variant, )+
            /// `BG_E_HTTP_ERROR_nnn` (0x80190000 + status): the server
            /// answered with this HTTP status.
            HttpError(u16),
            /// `HRESULT_FROM_WIN32(code)` (0x80070000 | code).
            Win32(Win32Error),
        }

        impl HResult {
            /// Every named HRESULT (without the HTTP and Win32 families).
            pub const NAMED: &'static [HResult] = &[$(HResult::$variant),+];

            /// The numeric value.
            pub const fn code(self) -> u32 {
                match self {
                    $(HResult::$variant => $code,)+
                    HResult::HttpError(status) => 0x8019_0000 | status as u32,
                    HResult::Win32(e) => {
                        if e.code() == 0 { 0 } else { 0x8007_0000 | (e.code() & 0xFFFF) }
                    }
                }
            }

            fn fixed_name(self) -> Option<&'static str> {
                match self {
                    $(HResult::$variant => Some($name),)+
                    HResult::HttpError(_) | HResult::Win32(_) => None,
                }
            }
        }
    };
}

hresults! {
    /// Success.
    SOk = 0x0000_0000 => "S_OK",
    /// Success, nothing to do (RemoveCredentials with nothing set; an
    /// enumerator ran past its end).
    SFalse = 0x0000_0001 => "S_FALSE",
    /// Complete: some files were incomplete and were deleted.
    BgSPartialComplete = 0x0020_0017 => "BG_S_PARTIAL_COMPLETE",
    /// Cancel/Complete succeeded but temporary files were not deleted.
    BgSUnableToDeleteFiles = 0x0020_001A => "BG_S_UNABLE_TO_DELETE_FILES",
    /// No such job.
    BgENotFound = 0x8020_0001 => "BG_E_NOT_FOUND",
    /// Not allowed in the job's current state.
    BgEInvalidState = 0x8020_0002 => "BG_E_INVALID_STATE",
    /// The job has no files.
    BgEEmpty = 0x8020_0003 => "BG_E_EMPTY",
    /// The error has no file.
    BgEFileNotAvailable = 0x8020_0004 => "BG_E_FILE_NOT_AVAILABLE",
    /// No error object.
    BgEErrorInformationUnavailable = 0x8020_000F => "BG_E_ERROR_INFORMATION_UNAVAILABLE",
    /// The network is gone.
    BgENetworkDisconnected = 0x8020_0010 => "BG_E_NETWORK_DISCONNECTED",
    /// The server did not say how large the file is.
    BgEMissingFileSize = 0x8020_0011 => "BG_E_MISSING_FILE_SIZE",
    /// TakeOwnership: the new owner's drive mapping differs.
    BgENewOwnerDiffMapping = 0x8020_0015 => "BG_E_NEW_OWNER_DIFF_MAPPING",
    /// TakeOwnership: the new owner cannot reach the temporary files.
    BgENewOwnerNoFileAccess = 0x8020_0016 => "BG_E_NEW_OWNER_NO_FILE_ACCESS",
    /// The proxy list is too long.
    BgEProxyListTooLarge = 0x8020_0018 => "BG_E_PROXY_LIST_TOO_LARGE",
    /// The proxy bypass list is too long.
    BgEProxyBypassListTooLarge = 0x8020_0019 => "BG_E_PROXY_BYPASS_LIST_TOO_LARGE",
    /// An upload job takes one file only.
    BgETooManyFiles = 0x8020_001C => "BG_E_TOO_MANY_FILES",
    /// A string exceeds its limit.
    BgEStringTooLong = 0x8020_0021 => "BG_E_STRING_TOO_LONG",
    /// SetCredentials: user name over 300 characters.
    BgEUsernameTooLarge = 0x8020_0025 => "BG_E_USERNAME_TOO_LARGE",
    /// SetCredentials: password over 65535 characters.
    BgEPasswordTooLarge = 0x8020_0026 => "BG_E_PASSWORD_TOO_LARGE",
    /// SetCredentials: no such target.
    BgEInvalidAuthTarget = 0x8020_0027 => "BG_E_INVALID_AUTH_TARGET",
    /// SetCredentials: no such scheme.
    BgEInvalidAuthScheme = 0x8020_0028 => "BG_E_INVALID_AUTH_SCHEME",
    /// MaxInternetBandwidth is 0: background transfers are blocked.
    BgEBlockedByPolicy = 0x8020_003E => "BG_E_BLOCKED_BY_POLICY",
    /// CreateJob over MaxJobsPerUser.
    BgETooManyJobsPerUser = 0x8020_0049 => "BG_E_TOO_MANY_JOBS_PER_USER",
    /// CreateJob over MaxJobsPerMachine.
    BgETooManyJobsPerMachine = 0x8020_0050 => "BG_E_TOO_MANY_JOBS_PER_MACHINE",
    /// AddFile over MaxFilesPerJob.
    BgETooManyFilesInJob = 0x8020_0051 => "BG_E_TOO_MANY_FILES_IN_JOB",
    /// The job needs a helper token it does not have.
    BgETokenRequired = 0x8020_0056 => "BG_E_TOKEN_REQUIRED",
    /// SetProperty or GetProperty with a property id the service does not know.
    BgEUnknownPropertyId = 0x8020_0057 => "BG_E_UNKNOWN_PROPERTY_ID",
    /// The property is supported for download jobs only.
    BgEPropertySupportedForDownloadJobsOnly = 0x8020_0060 => "BG_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY",
    /// The property cannot be changed after a file was added.
    BgEReadOnlyPropertyAfterAddFile = 0x8020_0061 => "BG_E_READ_ONLY_PROPERTY_AFTER_ADDFILE",
    /// The property cannot be changed after the job was resumed.
    BgEReadOnlyPropertyAfterResume = 0x8020_0062 => "BG_E_READ_ONLY_PROPERTY_AFTER_RESUME",
    /// MAX_DOWNLOAD_SIZE must be between 1 and UINT64_MAX.
    BgEMaxDownloadSizeInvalidValue = 0x8020_0063 => "BG_E_MAX_DOWNLOAD_SIZE_INVALID_VALUE",
    /// USE_STORED_CREDENTIALS takes only BG_AUTH_TARGET_PROXY.
    BgEUseStoredCredentialsNotSupported = 0x8020_0066 => "BG_E_USE_STORED_CREDENTIALS_NOT_SUPPORTED",
    /// The job's configuration is not compatible with the request.
    BgEUnsupportedJobConfiguration = 0x8020_0072 => "BG_E_UNSUPPORTED_JOB_CONFIGURATION",
    /// Access denied.
    EAccessDenied = 0x8007_0005 => "E_ACCESSDENIED",
    /// An argument is invalid.
    EInvalidArg = 0x8007_0057 => "E_INVALIDARG",
    /// Not implemented (an undefined enumeration value).
    ENotImpl = 0x8000_4001 => "E_NOTIMPL",
    /// The object does not implement the interface.
    ENoInterface = 0x8000_4002 => "E_NOINTERFACE",
    /// The call was made on a pointer that is no longer valid.
    EHandle = 0x8007_0006 => "E_HANDLE",
    /// The server could not impersonate the client at impersonate level.
    CoEFailedToImpersonate = 0x8001_0123 => "CO_E_FAILEDTOIMPERSONATE",
    /// The client certificate's private key cannot be reached.
    WinHttpClientCertNoAccessPrivateKey = 0x8007_2F9A => "ERROR_WINHTTP_CLIENT_CERT_NO_ACCESS_PRIVATE_KEY",
}

impl HResult {
    /// `SUCCEEDED(hr)`.
    pub const fn succeeded(self) -> bool {
        self.code() & 0x8000_0000 == 0
    }

    /// The symbolic name (`BG_E_HTTP_ERROR_401`, `E_ACCESSDENIED`,
    /// `HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)`).
    pub fn name(self) -> String {
        match self {
            HResult::HttpError(status) => format!("BG_E_HTTP_ERROR_{status}"),
            HResult::Win32(Win32Error::AccessDenied) => "E_ACCESSDENIED".to_string(),
            HResult::Win32(Win32Error::InvalidParameter) => "E_INVALIDARG".to_string(),
            HResult::Win32(Win32Error::Success) => "S_OK".to_string(),
            HResult::Win32(e) => format!("HRESULT_FROM_WIN32({})", e.name()),
            other => other.fixed_name().unwrap_or("?").to_string(),
        }
    }

    /// `HRESULT_FROM_WIN32`: the well-known ones fold onto their names.
    pub fn from_win32(e: Win32Error) -> HResult {
        match e {
            Win32Error::Success => HResult::SOk,
            Win32Error::AccessDenied => HResult::EAccessDenied,
            Win32Error::InvalidParameter => HResult::EInvalidArg,
            Win32Error::InvalidHandle => HResult::EHandle,
            other => HResult::Win32(other),
        }
    }

    /// The HRESULT with this name, if it is one this crate knows.
    pub fn from_name(name: &str) -> Option<HResult> {
        if let Some(status) = name.strip_prefix("BG_E_HTTP_ERROR_") {
            return status.parse().ok().map(HResult::HttpError);
        }
        if let Some(inner) = name
            .strip_prefix("HRESULT_FROM_WIN32(")
            .and_then(|s| s.strip_suffix(')'))
        {
            return Win32Error::from_name(inner).map(HResult::from_win32);
        }
        HResult::NAMED
            .iter()
            .copied()
            .find(|h| h.fixed_name() == Some(name))
    }
}

impl fmt::Display for HResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (0x{:08X})", self.name(), self.code())
    }
}

impl Serialize for HResult {
    /// As `{"name": "BG_E_TOKEN_REQUIRED", "hex": "0x80200056"}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("HResult", 2)?;
        s.serialize_field("name", &self.name())?;
        s.serialize_field("hex", &format!("0x{:08X}", self.code()))?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_bitsmsg_h() {
        // [RV] and [MGW] (docs/sources.md), cross-checked against windows-rs.
        assert_eq!(HResult::BgETokenRequired.code() as i32, -2_145_386_410);
        assert_eq!(HResult::BgEInvalidState.code() as i32, -2_145_386_494);
        assert_eq!(HResult::BgETooManyJobsPerUser.code() as i32, -2_145_386_423);
        // The IBackgroundCopyJob5 codes, as windows-rs spells them in i32.
        assert_eq!(HResult::BgEUnknownPropertyId.code() as i32, -2_145_386_409);
        assert_eq!(
            HResult::BgEUnsupportedJobConfiguration.code() as i32,
            -2_145_386_382
        );
        assert_eq!(
            HResult::CoEFailedToImpersonate.code() as i32,
            -2_147_417_821
        );
        assert_eq!(HResult::HttpError(401).code(), 0x8019_0191);
        assert_eq!(HResult::HttpError(407).code(), 0x8019_0197);
        assert_eq!(
            HResult::from_win32(Win32Error::FileNotFound).code(),
            0x8007_0002
        );
    }

    #[test]
    fn names_round_trip() {
        for h in HResult::NAMED {
            assert_eq!(HResult::from_name(&h.name()), Some(*h), "{h}");
        }
        assert_eq!(
            HResult::from_name("BG_E_HTTP_ERROR_404"),
            Some(HResult::HttpError(404))
        );
        assert_eq!(
            HResult::BgETokenRequired.to_string(),
            "BG_E_TOKEN_REQUIRED (0x80200056)"
        );
        assert!(HResult::SFalse.succeeded());
        assert!(!HResult::EAccessDenied.succeeded());
    }
}
