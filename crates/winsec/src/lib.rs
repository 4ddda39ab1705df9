//! `winsec`: the Windows security primitives bitsim is built on.
//!
//! SIDs and their string and binary forms ([`sid`], [`well_known`]), access
//! masks and generic mappings ([`mask`]), ACEs, ACLs and security
//! descriptors ([`ace`], [`descriptor`]) with SDDL ([`sddl`]) and the
//! self-relative binary form ([`binary`]), access tokens ([`token`],
//! [`token_file`]), and the access check with its decision trail
//! ([`access`]), whose steps cite the rules in [`rules`].
//!
//! Architecture invariant: this crate is pure. It never reads the clock, the
//! file system, the environment or a random source; the same inputs always
//! give the same outputs, and every collection that reaches an output is
//! ordered.

pub mod access;
pub mod ace;
pub mod binary;
pub mod claims;
pub mod condition;
pub mod descriptor;
pub mod error;
pub mod inherit;
pub mod mask;
pub mod rules;
pub mod sddl;
pub mod sid;
pub mod token;
pub mod token_file;
pub mod well_known;

pub use access::{access_check, AccessCheckResult, AccessRequest, AccessRules, TrailStep};
pub use ace::{Ace, AceData, AceFlags, AceType, Guid};
pub use descriptor::{Acl, AclSlot, SecurityDescriptor};
pub use error::Win32Error;
pub use mask::{AccessMask, GenericMapping};
pub use sid::Sid;
pub use token::{
    ElevationType, Group, ImpersonationLevel, IntegrityLevel, Privilege, PrivilegeEntry, Token,
    TokenType,
};
pub use token_file::TokenSpec;
pub use well_known::DomainContext;
