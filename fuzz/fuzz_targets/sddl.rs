//! SDDL parse and round trip: any text either fails to parse or parses to
//! a descriptor whose canonical SDDL parses back to the same descriptor
//! and prints the same again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use winsec::SecurityDescriptor;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(sd) = SecurityDescriptor::from_sddl(text) else {
        return;
    };
    let printed = sd.to_sddl();
    let again = SecurityDescriptor::from_sddl(&printed)
        .unwrap_or_else(|e| panic!("canonical SDDL {printed:?} does not parse: {e}"));
    assert_eq!(
        again.to_sddl(),
        printed,
        "printing is not stable for {text:?}"
    );
});
