//! Every rule id an invariant says it guards is a rule some table states.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

#[test]
fn every_guarded_rule_id_resolves() {
    let mut missing = Vec::new();
    for inv in oracle::CATALOG {
        assert!(!inv.guards.is_empty(), "{} guards nothing", inv.id);
        for id in inv.guards {
            if runner::report::rule_text(id).is_none() {
                missing.push(format!("{} guards unknown rule {id}", inv.id));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
