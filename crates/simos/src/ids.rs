//! Identifiers of the things a host holds: tokens, logon sessions,
//! processes and threads. Every id comes from a counter inside the host,
//! so ids (and everything printed with them) are the same on every run.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

id_type!(
    /// A token object (`TokenId`); a handle to it names the token.
    TokenId, "token#"
);
id_type!(
    /// A logon session (`AuthenticationId` LUID).
    LogonId, "logon#"
);
id_type!(
    /// A process.
    ProcessId, "process#"
);
id_type!(
    /// A thread.
    ThreadId, "thread#"
);
