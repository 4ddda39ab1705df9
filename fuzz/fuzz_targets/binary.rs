//! Binary descriptors and their round trip: any bytes either fail to
//! decode or decode to a descriptor that encodes (when its ACLs fit) to
//! bytes that decode to the same descriptor, and whose SDDL parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use winsec::binary::try_to_self_relative;
use winsec::SecurityDescriptor;

fuzz_target!(|data: &[u8]| {
    let Ok(sd) = SecurityDescriptor::from_bytes(data) else {
        return;
    };
    let printed = sd.to_sddl();
    let _ = SecurityDescriptor::from_sddl(&printed);
    if let Ok(bytes) = try_to_self_relative(&sd) {
        let again = SecurityDescriptor::from_bytes(&bytes)
            .unwrap_or_else(|e| panic!("re-encoded bytes do not decode: {e}"));
        assert_eq!(
            again.to_sddl(),
            printed,
            "the binary round trip changed the descriptor"
        );
    }
});
