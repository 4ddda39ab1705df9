//! `scenario`: the YAML scenario format, and nothing else.
//!
//! [`format`] holds the serde types of a scenario file and its JSON
//! Schema; [`load::load`] turns a file's text into a checked
//! [`format::Scenario`] or a [`load::LoadError`] with file, line and
//! column; [`locate`] finds positions in the text for checks made after
//! parsing. Checks that need the model's vocabulary (mutants, results,
//! accounts) come in through [`load::Semantics`], which the runner
//! implements.
//!
//! Architecture invariant: this crate knows the format, not Windows. It
//! depends on serde, the YAML parser and the schema generator only,
//! never on `winsec`, `simos` or `bits`; it reads no files and prints
//! nothing.

pub mod format;
pub mod load;
pub mod locate;
pub mod names;

pub use format::Scenario;
pub use load::{load, load_with, LoadError, LoadErrors};
