//! Token files: any text either is refused or builds a token, which an
//! access check then uses without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(spec) = bitsim_cli::command::access::parse_token_spec("fuzz.yaml", text) else {
        return;
    };
    let token = spec.build();
    if let Ok(sd) = winsec::SecurityDescriptor::from_sddl("O:SYG:SYD:(A;;FA;;;WD)(D;;FW;;;BA)") {
        let _ = winsec::access_check(
            &sd,
            &token,
            winsec::AccessMask(0x0012_0089),
            &winsec::GenericMapping::FILE,
        );
    }
});
