//! `bits`: the Background Intelligent Transfer Service on the simulated
//! host.
//!
//! A [`World`] holds the `simos` host, the BITS service running on one of
//! its machines, and the [`Rules`] of an OS profile. [`World::apply`] with
//! an [`Op`] is the only way it changes; the [`Outcome`] carries the
//! HRESULT, the value, the service's events and the host's, and the ids of
//! the rules that decided it ([`rules`], [`profile::SWITCHES`], and the
//! `simos` and `winsec` tables for what happened on the host).
//!
//! Architecture invariant: this crate is pure, like `simos`. No I/O, no
//! clock (time is the host's logical clock, advanced by [`Op::Advance`]),
//! no ambient randomness; collections are ordered.

pub mod engine;
pub mod hresult;
pub mod interfaces;
pub mod job;
pub mod methods;
pub mod mutants;
pub mod profile;
pub mod properties;
pub mod rules;
pub mod service;
pub mod tokens;
pub mod world;

pub use hresult::HResult;
pub use interfaces::{InterfaceSet, Release};
pub use job::{ErrorContext, Job, JobId, JobState, JobType};
pub use methods::{FileSpec, Method};
pub use mutants::{Mutant, MUTANTS};
pub use profile::{AccessCheckAt, Profile, Rules};
pub use properties::{JobProperty, PropertyValue};
pub use world::{
    Acting, BitsEvent, Blanket, Call, Condition, Effect, Interface, Op, Outcome, PointerId,
    RemoteSeen, Resource, Value, World,
};
