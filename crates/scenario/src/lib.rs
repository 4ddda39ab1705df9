//! `scenario`: YAML scenarios over the BITS world, the invariant catalog
//! checked after every step, and the trace of a run.
//!
//! [`load::load`] turns a file's text into a checked [`format::Scenario`]
//! or a [`load::LoadError`] with file, line and column; [`run::run`]
//! applies its steps with `World::apply` under each profile it names and
//! checks every expectation and every invariant of
//! [`invariants::CATALOG`] after each step; [`report`] shows the result
//! as text, JSON, Mermaid or JUnit.
//! [`spec::parse`] reads the spec matrix (`docs/spec-matrix.md`), which
//! ties the seed documents' sentences to rules and scenarios.
//!
//! Architecture invariant: pure like the crates below it. It reads no
//! files (the CLI hands it text and a file name), prints nothing, and
//! changes the world only through `World::apply`.

pub mod format;
pub mod host;
pub mod invariants;
pub mod load;
pub mod locate;
pub mod report;
pub mod run;
pub mod spec;

pub use format::Scenario;
pub use load::{load, LoadError};
pub use run::{run, Run};
