//! The format's closed sets and the model's types name the same things:
//! every member of the model's set is spelled by the format, and each
//! spelling maps back to it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use scenario::names::{self, ClosedSet};

#[test]
fn every_bits_interface_is_spelled_by_the_format() {
    assert_eq!(names::Interface::ALL.len(), bits::Interface::ALL.len());
    for i in bits::Interface::ALL {
        let spelled = names::Interface::parse(i.name()).unwrap();
        assert_eq!(runner::vocab::interface(spelled), *i, "{}", i.name());
    }
}

#[test]
fn every_job_state_and_error_context_is_spelled_by_the_format() {
    for s in bits::JobState::ALL {
        let spelled = names::JobState::parse(s.name()).unwrap();
        assert_eq!(runner::vocab::job_state(spelled), s);
    }
    for (c, _) in names::ErrorContext::ALL {
        let model = runner::vocab::error_context(*c);
        assert_eq!(names::ErrorContext::parse(model.name()), Some(*c));
    }
}
