//! The model's side of loading: names and values a scenario may only use
//! when the model knows them (policy mutants, and the enumerated values
//! each step's planner parses).
//!
//! The checks call the same parsers the run uses, so what loads is what
//! runs.

use scenario::format::{Scenario, Step};
use scenario::load::{Finding, Semantics, Site};

/// The model's checks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Model;

impl Semantics for Model {
    fn check_scenario(&self, scenario: &Scenario) -> Vec<Finding> {
        let mut out = Vec::new();
        if let Some(name) = &scenario.mutant {
            if bits::mutants::mutant(name).is_none() {
                let names: Vec<&str> = bits::mutants::MUTANTS
                    .iter()
                    .chain(bits::mutants::PLANTED)
                    .map(|m| m.name)
                    .collect();
                out.push(Finding {
                    at: Site::Top("mutant"),
                    word: name.clone(),
                    message: format!("unknown mutant `{name}`"),
                    expected: Some(format!("one of {}", names.join(", "))),
                });
            }
        }
        out
    }

    fn check_step(&self, _: &Scenario, index: usize, step: &Step) -> Vec<Finding> {
        match crate::run::check_values(step) {
            Ok(()) => Vec::new(),
            Err((word, message)) => vec![Finding {
                at: Site::Step(index),
                word,
                message,
                expected: None,
            }],
        }
    }
}
