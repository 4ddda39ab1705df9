//! Scenario load and run: any text either fails to load with located
//! errors or loads and runs under each of its profiles within the
//! documented budgets.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match runner::load("fuzz.yaml", text) {
        Ok(loaded) => {
            let _ = runner::run(&loaded, "fuzz.yaml", text, None);
        }
        Err(errors) => {
            assert!(!errors.errors.is_empty(), "a refused scenario says why");
        }
    }
});
