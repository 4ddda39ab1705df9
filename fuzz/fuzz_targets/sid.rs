//! SID parse: any text either fails or parses to a SID whose canonical
//! string parses back to the same SID.
#![no_main]

use libfuzzer_sys::fuzz_target;
use winsec::Sid;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(sid) = text.parse::<Sid>() else {
        return;
    };
    let printed = sid.to_string();
    let again: Sid = printed
        .parse()
        .unwrap_or_else(|e| panic!("canonical SID {printed:?} does not parse: {e}"));
    assert_eq!(
        again, sid,
        "{text:?} does not round-trip through {printed:?}"
    );
});
