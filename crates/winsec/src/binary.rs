//! The self-relative binary form of security descriptors, ACLs and ACEs
//! (MS-DTYP 2.4.4-2.4.6), in both directions.

use crate::descriptor::SecurityDescriptor;

/// Why bytes are not a valid self-relative security descriptor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at byte {offset}")]
pub struct BinaryError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// What was wrong.
    pub message: String,
}

/// Encodes a descriptor in the layout `ConvertStringSecurityDescriptorToSecurityDescriptor`
/// produces: header, SACL, DACL, owner, group.
pub fn to_self_relative(_sd: &SecurityDescriptor) -> Vec<u8> {
    Vec::new()
}

/// Decodes a self-relative descriptor.
pub fn from_self_relative(_bytes: &[u8]) -> Result<SecurityDescriptor, BinaryError> {
    Err(BinaryError {
        offset: 0,
        message: "not yet".into(),
    })
}
