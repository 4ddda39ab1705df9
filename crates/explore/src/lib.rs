//! `explore`: checkers over the one model of the world.
//!
//! [`model::Model`] is the interface (initial worlds, the operations
//! enabled in a world, `apply` through `World::apply`, the invariants of
//! `oracle`, `sometimes` properties); [`models`] holds the
//! built-in bounded models and scenario-seeded ones. [`search`] explores a
//! model breadth-first to a depth with a visited set of fixed-key 64-bit
//! fingerprints ([`fingerprint`]); [`fuzz`] runs proptest-driven random
//! walks and shrinks a failure; [`render`] writes a counterexample as a
//! scenario `bitsim run` replays; [`graph`] draws the job state machine
//! and small state graphs; [`symmetry`] makes the fingerprint canonical
//! over permutations of the users a universe declares interchangeable.
//!
//! Architecture invariant: pure like the crates below. No files, no clock
//! (the CLI times runs), no ambient randomness (fuzzing is seeded); the
//! search's results do not depend on the number of threads.

pub mod fingerprint;
pub mod fuzz;
pub mod graph;
pub mod model;
pub mod models;
pub mod render;
pub mod search;
pub mod symmetry;

pub use model::{Model, Sometimes, Universe, WorldModel};
pub use search::{explore, Config, Report, Shard};
