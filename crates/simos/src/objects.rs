//! Securable objects on the host: files and folders (with ACE inheritance
//! and the owner on create) and certificate stores / private keys. Opening
//! one goes through `winsec::access_check` with the calling thread's
//! effective token.

use serde::{Deserialize, Serialize};
use winsec::Win32Error;

use crate::host::Host;
use crate::threads::Value;

/// Rules of this module.
pub mod rules {
    crate::rules::rule_table! {
        /// Placeholder until the module's rules are written.
        OBJECT_OPEN = "OBJ-OPEN":
            "opening a securable object runs the access check with the calling thread's effective token",
            "research/winsec.md §4, research/impersonation.md §5.1";
    }
}

/// Operations on objects.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "object_op", rename_all = "snake_case")]
pub enum ObjectOp {}

/// What a successful object operation returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectAccess {}

impl Host {
    /// Applies an object operation.
    pub(crate) fn apply_object_op(
        &mut self,
        op: &ObjectOp,
        _rules: &mut Vec<&'static str>,
    ) -> Result<Value, Win32Error> {
        match *op {}
    }
}
