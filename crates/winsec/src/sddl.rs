//! SDDL: parsing security descriptor strings with Windows' acceptance rules
//! and printing them in Windows' canonical form (research `winsec.md`
//! §2.3-§2.4).

use crate::descriptor::SecurityDescriptor;
use crate::error::Win32Error;
use crate::well_known::DomainContext;

/// Why an SDDL string was rejected, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at byte {offset}")]
pub struct SddlError {
    /// Byte offset into the input where the problem was found.
    pub offset: usize,
    /// What was wrong and what was expected.
    pub message: String,
    /// The Win32 error `ConvertStringSecurityDescriptorToSecurityDescriptor` sets.
    pub win32: Win32Error,
}

/// Parses an SDDL string (`ConvertStringSecurityDescriptorToSecurityDescriptor`).
pub fn parse(_text: &str, _ctx: &DomainContext) -> Result<SecurityDescriptor, SddlError> {
    Err(SddlError {
        offset: 0,
        message: "not yet".into(),
        win32: Win32Error::InvalidParameter,
    })
}

/// Prints a descriptor as Windows does (`ConvertSecurityDescriptorToStringSecurityDescriptor`
/// with every part selected).
pub fn print(_sd: &SecurityDescriptor, _ctx: &DomainContext) -> String {
    String::new()
}
