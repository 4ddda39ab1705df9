//! `simos`: the simulated Windows host.
//!
//! One [`Host`] value holds machines and their local accounts and policy,
//! the Active Directory domain, logon and terminal sessions, token
//! objects, processes and threads, and a logical clock. It changes only
//! through [`Host::apply`] with an [`Op`], which returns an [`Outcome`]:
//! the Win32 result, the events caused, and the ids of the rules that
//! decided it ([`rules`]).
//!
//! Architecture invariant: this crate is pure. No I/O, no clock, no
//! ambient randomness; ids come from a counter in the host, and every
//! collection is ordered, so the same operations give the same host.

pub mod accounts;
pub mod content;
pub mod host;
pub mod ids;
pub mod lsa;
pub mod network;
pub mod objects;
pub mod op;
pub mod policy;
pub mod rules;
pub mod shared;
pub mod threads;

pub use accounts::{Delegation, Domain, Machine, PrincipalKind};
pub use content::{Comparison, Content};
pub use host::{Event, Host, HostRules, LogonType, NetworkCredentials};
pub use ids::{LogonId, ProcessId, ThreadId, TokenId};
pub use lsa::BuiltinIdentity;
pub use op::{ApiResult, Condition, Effect, Op, Outcome, ServiceAccount};
pub use threads::{Cloaking, FlowPolicy, ThreadStart, Value};
