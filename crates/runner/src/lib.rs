//! `runner`: scenarios run on the model.
//!
//! [`load`] loads a scenario with every check, the format's and the
//! model's ([`semantics`]); [`run::run`] builds the world from the host
//! section ([`host`]), applies each step with `World::apply` under each
//! profile the scenario names, compares the results with the step's
//! expectations and checks every invariant of `oracle` after each step;
//! [`report`] shows the result as text, JSON, Mermaid or JUnit, [`sarif`]
//! as SARIF 2.1.0 for code scanning, and
//! [`html`] as one self-contained HTML page with a world inspector built
//! from the views of [`inspect`].
//! [`spec::parse`] reads the spec matrix (`docs/spec-matrix.md`), which
//! ties the seed documents' sentences to rules and scenarios.
//!
//! Architecture invariant: pure like the crates below it. It reads no
//! files (the CLI hands it text and a file name), prints nothing, and
//! changes the world only through `World::apply`.

pub mod host;
pub mod html;
pub mod imports;
pub mod inspect;
pub mod observe;
pub mod properties;
pub mod registry;
pub mod report;
pub mod run;
pub mod sarif;
pub mod semantics;
pub mod spec;
pub mod trace;
pub mod vocab;

pub use run::{run, Run};
pub use scenario::load::LoadErrors;
pub use scenario::{LoadError, Scenario};

/// Loads a scenario with the format's checks and the model's
/// ([`semantics::Model`]): everything is checked before any step runs.
pub fn load(file: &str, text: &str) -> Result<Scenario, LoadErrors> {
    scenario::load_with(file, text, &semantics::Model)
}
