//! Remote machines reached over the network: file shares, HTTP servers,
//! SQL servers and proxies, and what identity they see (credentials, Kerberos
//! delegation, or ANONYMOUS LOGON).

use serde::{Deserialize, Serialize};
use winsec::Win32Error;

use crate::host::Host;
use crate::threads::Value;

/// Rules of this module.
pub mod rules {
    crate::rules::rule_table! {
        /// Placeholder until the module's rules are written.
        NETWORK_HOP = "NET-HOP":
            "a network hop as a user needs credentials in the logon session or Kerberos delegation; otherwise the far side sees ANONYMOUS LOGON",
            "research/impersonation.md §6";
    }
}

/// Operations over the network.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "network_op", rename_all = "snake_case")]
pub enum NetworkOp {}

/// What a successful network operation returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteAccess {}

impl Host {
    /// Applies a network operation.
    pub(crate) fn apply_network_op(
        &mut self,
        op: &NetworkOp,
        _rules: &mut Vec<&'static str>,
    ) -> Result<Value, Win32Error> {
        match *op {}
    }
}
