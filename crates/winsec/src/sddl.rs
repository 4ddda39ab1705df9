//! SDDL: parsing security descriptor strings with Windows' acceptance rules
//! and printing them in Windows' canonical form ([WT], [SMB-W]
//! in docs/sources.md).
//!
//! [`parse`] models `ConvertStringSecurityDescriptorToSecurityDescriptor`
//! and [`print()`] models `ConvertSecurityDescriptorToStringSecurityDescriptor`
//! with every part selected ([`print_parts`] selects parts). The
//! `convert_*` functions are the Win32-shaped facades (revision argument,
//! NULL string). The grammar details and the choices made where Windows
//! behaviour is not recorded are documented in [`parser`] and [`printer`].

pub mod parser;
pub mod printer;

use crate::descriptor::SecurityDescriptor;
use crate::error::Win32Error;
use crate::well_known::DomainContext;

pub use parser::parse;
pub use printer::{ace_to_sddl, mask_to_sddl, print, print_parts, sid_to_sddl};

/// `SDDL_REVISION_1`, the only revision the conversion functions accept.
pub const SDDL_REVISION_1: u32 = 1;

/// Why an SDDL string was rejected, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at byte {offset}")]
pub struct SddlError {
    /// Byte offset into the input where the problem was found.
    pub offset: usize,
    /// What was wrong and what was expected.
    pub message: String,
    /// The Win32 error `ConvertStringSecurityDescriptorToSecurityDescriptor` sets.
    pub win32: Win32Error,
}

impl SddlError {
    /// Builds an error.
    pub fn new(offset: usize, win32: Win32Error, message: impl Into<String>) -> SddlError {
        SddlError {
            offset,
            message: message.into(),
            win32,
        }
    }
}

/// Which parts of a descriptor to print (`SECURITY_INFORMATION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SecurityInformation(pub u32);

impl SecurityInformation {
    /// `OWNER_SECURITY_INFORMATION`.
    pub const OWNER: SecurityInformation = SecurityInformation(0x1);
    /// `GROUP_SECURITY_INFORMATION`.
    pub const GROUP: SecurityInformation = SecurityInformation(0x2);
    /// `DACL_SECURITY_INFORMATION`.
    pub const DACL: SecurityInformation = SecurityInformation(0x4);
    /// `SACL_SECURITY_INFORMATION`.
    pub const SACL: SecurityInformation = SecurityInformation(0x8);
    /// Owner, group, DACL and SACL.
    pub const ALL: SecurityInformation = SecurityInformation(0xF);

    /// True when every bit of `other` is selected.
    pub const fn contains(self, other: SecurityInformation) -> bool {
        self.0 & other.0 == other.0
    }

    /// Builds a selector from four switches.
    pub const fn from_parts(
        owner: bool,
        group: bool,
        dacl: bool,
        sacl: bool,
    ) -> SecurityInformation {
        let mut bits = 0;
        if owner {
            bits |= Self::OWNER.0;
        }
        if group {
            bits |= Self::GROUP.0;
        }
        if dacl {
            bits |= Self::DACL.0;
        }
        if sacl {
            bits |= Self::SACL.0;
        }
        SecurityInformation(bits)
    }
}

impl std::ops::BitOr for SecurityInformation {
    type Output = SecurityInformation;
    fn bitor(self, rhs: SecurityInformation) -> SecurityInformation {
        SecurityInformation(self.0 | rhs.0)
    }
}

/// `ConvertStringSecurityDescriptorToSecurityDescriptor` as a Win32 call:
/// a NULL string (`None`) gives `ERROR_INVALID_PARAMETER` (87), a revision
/// other than `SDDL_REVISION_1` gives `ERROR_UNKNOWN_REVISION` (1305), and a
/// rejected string gives the error [`parse`] reports.
pub fn convert_string_sd_to_sd(
    text: Option<&str>,
    revision: u32,
    ctx: &DomainContext,
) -> Result<SecurityDescriptor, Win32Error> {
    let text = text.ok_or(Win32Error::InvalidParameter)?;
    if revision != SDDL_REVISION_1 {
        return Err(Win32Error::UnknownRevision);
    }
    parse(text, ctx).map_err(|e| e.win32)
}

/// `ConvertSecurityDescriptorToStringSecurityDescriptor` as a Win32 call: a
/// revision other than `SDDL_REVISION_1` gives `ERROR_UNKNOWN_REVISION`
/// (1305); otherwise the selected parts are printed.
pub fn convert_sd_to_string_sd(
    sd: &SecurityDescriptor,
    revision: u32,
    info: SecurityInformation,
    ctx: &DomainContext,
) -> Result<String, Win32Error> {
    if revision != SDDL_REVISION_1 {
        return Err(Win32Error::UnknownRevision);
    }
    Ok(print_parts(sd, ctx, info))
}

impl SecurityDescriptor {
    /// Parses SDDL with the default [`DomainContext`] (see [`parse`]).
    pub fn from_sddl(text: &str) -> Result<SecurityDescriptor, SddlError> {
        parse(text, &DomainContext::default())
    }

    /// Prints every part as SDDL with the default [`DomainContext`] (see [`print()`]).
    pub fn to_sddl(&self) -> String {
        print(self, &DomainContext::default())
    }
}

#[cfg(test)]
mod tests {
    //! The conformance vectors of kinds `sddl_parse`, `sddl_reject`,
    //! `sddl_roundtrip` and `sd_to_sddl`, plus Windows observations from the
    //! same sources, checked against this module.

    use super::*;
    use crate::ace::{Ace, AceType};
    use crate::descriptor::{control, Acl, AclSlot};
    use crate::mask::AccessMask;
    use crate::sid::Sid;

    fn ctx() -> DomainContext {
        DomainContext::default()
    }

    fn p(text: &str) -> Result<SecurityDescriptor, SddlError> {
        parse(text, &ctx())
    }

    fn round(text: &str) -> String {
        match p(text) {
            Ok(sd) => print(&sd, &ctx()),
            Err(e) => format!("rejected: {e}"),
        }
    }

    fn first_ace(sd: &SecurityDescriptor) -> &Ace {
        let acl = sd.dacl.acl().or(sd.sacl.acl()).unwrap();
        &acl.aces[0]
    }

    #[test]
    fn sddl_parse_vectors() {
        // sddl-wine-002, -017, -020: first ACE mask and ACL revision.
        for (text, mask) in [
            ("D:(A;;GA;;;WD)", 0x1000_0000),
            ("D:(A;;020000000000;;;WD)", 0x8000_0000),
            ("D:(A;;RCSDWDWO;;;WD)", 0x000f_0000),
        ] {
            let sd = p(text).unwrap();
            assert_eq!(sd.dacl.acl().unwrap().revision, 2, "{text}");
            assert_eq!(first_ace(&sd).mask, AccessMask(mask), "{text}");
        }
        // sddl-wine-006 .. -035: accepted.
        for text in [
            "D: (D;;GA;;;WD)",
            "D:(D;; GA;;;WD)",
            "D:(D;;GA;;; WD)",
            "D:(A;;KAKRKWKX;;;WD)",
            "S:(AU;;0xDeAdBeEf;;;WD)",
            "S:(AU;;0xFFFFFGR;;;WD)",
            "D:P(A;;GRGW;;;BA)(A;;GRGW;;;S-1-5-21-0-0-0-1000)S:(ML;;NWNR;;;S-1-16-12288)",
        ] {
            assert!(p(text).is_ok(), "{text}: {:?}", p(text));
        }
        assert_eq!(
            first_ace(&p("S:(AU;;0xFFFFFGR;;;WD)").unwrap()).mask,
            AccessMask(0x800f_ffff)
        );
        assert_eq!(
            first_ace(&p("S:(AU;;0xDeAdBeEf;;;WD)").unwrap()).mask,
            AccessMask(0xdead_beef)
        );
        let ml = p("S:(ML;;NWNR;;;S-1-16-12288)").unwrap();
        assert_eq!(first_ace(&ml).ace_type, AceType::SystemMandatoryLabel);
        assert_eq!(first_ace(&ml).mask, AccessMask(3));
        assert_eq!(print(&ml, &ctx()), "S:(ML;;NWNR;;;HI)");
    }

    #[test]
    fn sddl_reject_vectors() {
        let rejected = [
            "Z:(A;;GA;;;SY)",
            "d:(A;;GA;;;LG)",
            "D :S:",
            "D:(A;;GA;a;;S-1-5-21-2447931902-1787058256-0x3961074038-1201)",
            "S:(OU;CISA;WP;f30e3bbe-9ff0-11d1-b603-00potato7c1;bf967aa5-0de6-11d0-a285-00aa003049e2;WD)(OU;CISA;WP;f30e3bbf-9ff0-11d1-b603-00chips7c1;bf967aa5-0de6-11d0-a285-00aa003049e2;WD)",
            "D:(A;;123456789 ;;;LG)",
            "D:(A;;0x 75bcd15;;;LG)",
            "D:(A;;GA;;;LG;)",
            "D:(A;;GA;;;S-1-3-4 )",
            "D:(A;;GA;; f30e3bbf-9ff0-11d1-b603-0000f80367c1;WD)",
            "D:(A;;GA;;0123456789abcdef;WD)",
            "D:AI(A;CI;RP LC\tLORC;;;AU)",
            "O:S-",
            "O:S-0",
            "O:S-0x1-",
            "D:(D:()D:())D:(A;;0x75bcd15;;;LG))",
            "ERROR:(D;;GA;;;WD)",
            "D:(A;;ROB;;;WD)",
        ];
        for text in rejected {
            assert!(p(text).is_err(), "{text} was accepted: {:?}", p(text));
        }
        assert_eq!(
            p("ERROR:(D;;GA;;;WD)").unwrap_err().win32,
            Win32Error::InvalidParameter
        );
        assert_eq!(
            p("D:(A;;ROB;;;WD)").unwrap_err().win32,
            Win32Error::InvalidAcl
        );
        assert_eq!(
            p("Z:(A;;GA;;;SY)").unwrap_err().win32,
            Win32Error::InvalidParameter
        );
        assert_eq!(p("O:S-").unwrap_err().win32, Win32Error::InvalidSid);
        // sddl-wine-037: NULL string; and the revision argument.
        assert_eq!(
            convert_string_sd_to_sd(None, 1, &ctx()),
            Err(Win32Error::InvalidParameter)
        );
        assert_eq!(
            convert_string_sd_to_sd(Some("D:"), 2, &ctx()),
            Err(Win32Error::UnknownRevision)
        );
        assert!(convert_string_sd_to_sd(Some("D:"), 1, &ctx()).is_ok());
    }

    #[test]
    fn sddl_roundtrip_vectors() {
        let cases = [
            ("O:S-1-5-21-1225132014-296224811-2507946102-512G:S-1-5-21-1225132014-296224811-2507946102-512D:P",
             "O:S-1-5-21-1225132014-296224811-2507946102-512G:S-1-5-21-1225132014-296224811-2507946102-512D:P"),
            ("D:(A;;GA;;;LG)", "D:(A;;GA;;;LG)"),
            ("D:PS:", "D:PS:"),
            ("S:(OU;CISA;WP;f30e3bbe-9ff0-11d1-b603-0000f80367c1;bf967aa5-0de6-11d0-a285-00aa003049e2;WD)(OU;CISA;WP;f30e3bbf-9ff0-11d1-b603-0000f80367c1;bf967aa5-0de6-11d0-a285-00aa003049e2;WD)",
             "S:(OU;CISA;WP;f30e3bbe-9ff0-11d1-b603-0000f80367c1;bf967aa5-0de6-11d0-a285-00aa003049e2;WD)(OU;CISA;WP;f30e3bbf-9ff0-11d1-b603-0000f80367c1;bf967aa5-0de6-11d0-a285-00aa003049e2;WD)"),
            ("D:(A;;GA;;;S-1-5-21-2447931902-1787058256-3961074038-1201)",
             "D:(A;;GA;;;S-1-5-21-2447931902-1787058256-3961074038-1201)"),
            ("D:P(A;;GA;;;LG)(A;;GX;;;AA)", "D:P(A;;GA;;;LG)(A;;GX;;;AA)"),
            ("D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)", "D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)"),
            ("D:(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;BO)(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;SY)(A;;RPLCLORC;;;AU)",
             "D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BO)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(A;;LCRPLORC;;;AU)"),
            ("D:(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;BO)(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;SY)(A;;RPLCLORC;;;AU)(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;CO)",
             "D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BO)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(A;;LCRPLORC;;;AU)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;CO)"),
            ("D:(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;SY)(A;;RPLCLORC;;;AU)(A;;LCRPLORC;;;ED)",
             "D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(A;;LCRPLORC;;;AU)(A;;LCRPLORC;;;ED)"),
            ("D:(A;CI;RPWPCRCCDCLCLORCWOWDSDDTSW;;;BO)(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;SY)(A;;RPLCLORC;;;AU)",
             "D:(A;CI;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BO)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(A;;LCRPLORC;;;AU)"),
            ("D:(A;;123456789;;;LG)", "D:(A;;0x75bcd15;;;LG)"),
            ("D:(A;;17;;;LG)", "D:(A;;CCRP;;;LG)"),
            ("D:(A;;0xe00f0000;;;LG)", "D:(A;;SDRCWDWOGXGWGR;;;LG)"),
            ("D:PARP(A;;GA;;;SY)", "D:PAR(A;;GA;;;SY)"),
            ("D:(A;;GA;;;S-1-5000000000-30-40)", "D:(A;;GA;;;S-1-0x12A05F200-30-40)"),
            ("D:(A;;GA;;;S-1-3-0x00000002-3-4)", "D:(A;;GA;;;S-1-3-2-3-4)"),
            ("D:(A;;GA;;;S-1-5-21-2447931902-1787058256-3961074038-0x4b1)",
             "D:(A;;GA;;;S-1-5-21-2447931902-1787058256-3961074038-1201)"),
            ("D:AI(A;CI;RP LCLORC;;;AU)", "D:AI(A;CI;LCRPLORC;;;AU)"),
            ("D:(A;; 0x75bcd15;;;LG)", "D:(A;;0x75bcd15;;;LG)"),
            ("O:LAG:BAD:(A;;0x1ff;;;WD)", "O:LAG:BAD:(A;;CCDCLCSWRPWPDTLOCR;;;WD)"),
            ("D: (A;;GA;;;LG)", "D:(A;;GA;;;LG)"),
            ("D:(A;;GA;;;lg)", "D:(A;;GA;;;LG)"),
            ("D: P(A;;GA;;;LG)", "D:P(A;;GA;;;LG)"),
            ("D:(A; ;GA;;;LG)", "D:(A;;GA;;;LG)"),
            ("D:(A;;GA;;;WD )", "D:(A;;GA;;;WD)"),
            ("D:(A;;GA; ;;S-1-3-4)", "D:(A;;GA;;;OW)"),
            (" O:AA", "O:AA"),
            ("O:S- 1- 2-3", "O:S-1-2-3"),
            ("O:S-0x1-20-0-579", "O:S-1-32-0-1401"),
            ("D:(A;;GA;;;S-1-5-21-0x1313131313131-513)", "D:(A;;GA;;;S-1-5-21-4294967295-513)"),
            ("D:(A;;-9876543210;;;LG)", "D:(A;;CC;;;LG)"),
        ];
        for (input, want) in cases {
            assert_eq!(round(input), want, "input {input}");
        }
    }

    #[test]
    fn more_windows_observations() {
        // Samba's Windows-run lists (windows_is_less_fussy, windows_is_weird,
        // non_canonical): accepted strings and what Windows printed.
        let cases = [
            ("D:(A;;GA;;; LG)", "D:(A;;GA;;;LG)"),
            ("D: AI(A;;GA;;;LG)", "D:AI(A;;GA;;;LG)"),
            ("D:(a;;GA;;;LG)", "D:(A;;GA;;;LG)"),
            ("D:(A;;ga;;;LG)", "D:(A;;GA;;;LG)"),
            ("D: S:", "D:S:"),
            ("D:P (A;;GA;;;LG)", "D:P(A;;GA;;;LG)"),
            (
                "D:P(A;;GA;;;LG) (A;;GX;;;AA)",
                "D:P(A;;GA;;;LG)(A;;GX;;;AA)",
            ),
            ("D:AI (A;;GA;;;LG)", "D:AI(A;;GA;;;LG)"),
            ("D:(A;;GA;; ;S-1-3-4)", "D:(A;;GA;;;OW)"),
            ("D:(A;;GA;;; S-1-333-4)", "D:(A;;GA;;;S-1-333-4)"),
            ("  O:AA   ", "O:AA"),
            ("  O:AA G:WD  ", "O:AAG:WD"),
            ("D:(A;;0x123456789;;;LG)", "D:(A;;0xffffffff;;;LG)"),
            ("D:(A;;CC;;;S-0x1-0-0-579)", "D:(A;;CC;;;S-1-0-0-1401)"),
            (
                "D:(A;;GA;;;S-1-3-4294967296-3-4)",
                "D:(A;;GA;;;S-1-3-4294967295-3-4)",
            ),
            ("D:(A;;-99;;;LG)", "D:(A;;0xffffff9d;;;LG)"),
            ("D:(A;;-0xffffff55;;;LG)", "D:(A;;CCDCSWWPLO;;;LG)"),
            (
                "D:(A;;100000000000000000000000;;;LG)",
                "D:(A;;0xffffffff;;;LG)",
            ),
            ("S:D:P", "D:PS:"),
            ("D:(A;;01234567;;;LG)", "D:(A;;0x53977;;;LG)"),
            ("D:(A;;16;;;LG)", "D:(A;;RP;;;LG)"),
            ("D:(A;;0xff;;;LG)", "D:(A;;CCDCLCSWRPWPDTLO;;;LG)"),
            ("D:ARPAI(A;;GA;;;SY)", "D:PARAI(A;;GA;;;SY)"),
            ("D:PPPPPPPPPPPP(A;;GA;;;SY)", "D:P(A;;GA;;;SY)"),
            ("D:(A;;GR0xFFFFFFFF;;;WD)", "D:(A;;0xffffffff;;;WD)"),
            ("D:(A;;RP LCLO  RC;;;AU)", "D:(A;;LCRPLORC;;;AU)"),
            ("D:(A;;0x1f01ff;;;WD)", "D:(A;;FA;;;WD)"),
            ("D:(A;;0x12019f;;;WD)", "D:(A;;0x12019f;;;WD)"),
            ("D:(OA;;CR;;;WD)", "D:(A;;CR;;;WD)"),
            (
                "D:(OA;;RPWP;77B5B886-944A-11d1-AEBD-0000F80367C1;;PS)",
                "D:(OA;;RPWP;77b5b886-944a-11d1-aebd-0000f80367c1;;PS)",
            ),
            (
                "D:NO_ACCESS_CONTROLS:(AU;SA;GA;;;WD)",
                "D:NO_ACCESS_CONTROLS:(AU;SA;GA;;;WD)",
            ),
            ("D:PNO_ACCESS_CONTROL", "D:PNO_ACCESS_CONTROL"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(round(input), want, "input {input:?}");
        }
        let rejected = [
            "D:(Antlers;;GA;;;SY)",
            "Q:(A;;GA;;;RU)",
            "D:((A;;GA;;;LG))",
            "D:(A;;GA;;)",
            "S:(AU;SA;CROOO;;;WD)(AU;SA;CR;;;WD)",
            "D:(A;;GA;;;S-1-0x1313131313131-513)",
            "D:P:S:",
            "D:(\u{100};;GA;;;LG)",
            "D:(A;;0x75bcd15\t;;;LG)",
            "D:(A;; 0x75bcd15;;;LG",
            "D:(A;;GA ;;;LG)",
            "D:(A;;RP ;;;LG)",
            "D:(A;;GA;f30e3bbf-9ff0-11d1-b603-0000f80367c1 ;;WD)",
            "D:(A;;GA;;{f30e3bbf-9ff0-11d1-b603-0000f80367c1};WD)",
            "D:AI(A;CI;RP LCLOR C;;;AU)",
            "O:S",
            "O:S-1",
            "O:S-1-",
            "O:",
            "O:XX",
            "D:(D ;;GA;;;WD)",
            "D:(A;;GA;;;WDANDSUCH)",
            "D:(A;;RP;;;WD)(AU;SA;CR;;;BA)(AU;SA;CR;;;DU)",
            "S:(A;;GA;;;WD)",
            "D:(ML;;NW;;;LW)",
            "O:BAO:SY",
            "D:(A;;GA;;;WD;(Member_of {SID(BA)}))",
            "S:(RA;;;;;WD)",
            "D:(XA;;GA;;;WD;(Member_of {SID(BA)})",
            "D:NO_ACCESS_CONTROL(A;;GA;;;WD)",
        ];
        for text in rejected {
            assert!(p(text).is_err(), "{text:?} was accepted: {:?}", p(text));
        }
    }

    #[test]
    fn error_codes_and_messages() {
        let e = p("D:(A;;GA;;;LG;)").unwrap_err();
        assert_eq!(e.win32, Win32Error::InvalidAcl);
        assert!(e.message.contains("only for XA, XD, XU, ZA and RA"), "{e}");
        let e = p("D:(XA;;GA;;;WD;(Member_of {SID(BA)} &&))").unwrap_err();
        assert!(e.message.contains("bad condition"), "{e}");
        assert_eq!(
            round("D:(XA;;GA;;;WD;(Member_of {SID(BA)}))"),
            "D:(XA;;GA;;;WD;(Member_of {SID(BA)}))"
        );
        assert_eq!(round("D:(ZA;;GA;;;WD)"), "D:(XA;;GA;;;WD)");
        let e = p("D:(A;;GA;;;WDANDSUCH)").unwrap_err();
        assert_eq!(e.win32, Win32Error::InvalidAcl);
        assert_eq!(e.offset, 11);
        let e = p("D:(A;;GA ;;;LG)").unwrap_err();
        assert_eq!(e.offset, 8);
        let e = p("O:XX").unwrap_err();
        assert_eq!(e.win32, Win32Error::InvalidSid);
        assert_eq!(p("d:").unwrap_err().offset, 0);
        assert_eq!(p("D :S:").unwrap_err().win32, Win32Error::InvalidParameter);
        let e = p("O:BAO:SY").unwrap_err();
        assert_eq!((e.offset, e.win32), (4, Win32Error::InvalidParameter));
    }

    #[test]
    fn parsed_values() {
        let sd = p(
            "O:LAG:DAD:PAI(OA;CIIO;RP;4c164200-20c0-11d0-a768-00aa006e0529;;RU)S:NO_ACCESS_CONTROL",
        )
        .unwrap();
        let c = ctx();
        assert_eq!(sd.owner, c.machine.with_rid(500));
        assert_eq!(sd.group, c.domain.with_rid(512));
        assert_eq!(
            sd.flags,
            control::DACL_PROTECTED | control::DACL_AUTO_INHERITED
        );
        assert_eq!(sd.sacl, AclSlot::Null);
        let acl = sd.dacl.acl().unwrap();
        assert_eq!(acl.revision, 4);
        assert_eq!(acl.aces[0].ace_type, AceType::AccessAllowedObject);
        assert_eq!(acl.aces[0].flags.0, 0x0a);
        assert!(acl.aces[0].object_type.is_some() && acl.aces[0].inherited_object_type.is_none());
        assert_eq!(p("D:").unwrap().dacl, AclSlot::Present(Acl::empty()));
        assert_eq!(p("").unwrap(), SecurityDescriptor::default());
        assert_eq!(
            p("S:ARAIP").unwrap().flags,
            control::SACL_AUTO_INHERIT_REQ | control::SACL_AUTO_INHERITED | control::SACL_PROTECTED
        );
        // Generic bits stay unmapped.
        assert_eq!(
            first_ace(&p("D:(A;;RPWPCCDCLCSWRCWDWOGA;;;S-1-0-0)").unwrap()).mask,
            AccessMask(0x100e_003f)
        );
        // Composite input tokens.
        for (tok, mask) in [
            ("FA", 0x1f01ff),
            ("FR", 0x120089),
            ("FW", 0x120116),
            ("FX", 0x1200a0),
            ("KA", 0xf003f),
            ("KR", 0x20019),
            ("KW", 0x20006),
            ("KX", 0x20019),
            ("NW", 1),
            ("NR", 2),
            ("NX", 4),
        ] {
            let sd = p(&format!("D:(A;;{tok};;;WD)")).unwrap();
            assert_eq!(first_ace(&sd).mask, AccessMask(mask), "{tok}");
        }
    }

    #[test]
    fn sd_to_sddl_vectors() {
        let c = ctx();
        // sddl-wine-out-001: empty descriptor.
        let mut sd = SecurityDescriptor::default();
        assert_eq!(print(&sd, &c), "");
        // sddl-wine-out-004: owner and group.
        sd.owner = Some("S-1-5-18".parse().unwrap());
        sd.group = Some("S-1-5-21-93476-23408-4576".parse().unwrap());
        assert_eq!(print(&sd, &c), "O:SYG:S-1-5-21-93476-23408-4576");
        // sddl-wine-out-010: empty DACL, empty SACL.
        let mut both = sd.clone();
        both.dacl = AclSlot::Present(Acl::empty());
        both.sacl = AclSlot::Present(Acl::empty());
        assert_eq!(print(&both, &c), "O:SYG:S-1-5-21-93476-23408-4576D:S:");
        // sddl-wine-out-007: NP allow ACE with all generic bits for SERVICE.
        let service: Sid = "S-1-5-6".parse().unwrap();
        sd.dacl = AclSlot::Present(Acl::new(vec![Ace::new(
            AceType::AccessAllowed,
            0x04,
            AccessMask(0xf000_0000),
            service,
        )]));
        assert_eq!(
            print(&sd, &c),
            "O:SYG:S-1-5-21-93476-23408-4576D:(A;NP;GAGXGWGR;;;SU)"
        );
        // The large Windows example, and part selection.
        let big = "O:SYG:S-1-5-21-93476-23408-4576D:(A;NP;GAGXGWGR;;;SU)(A;IOID;CCDC;;;SU)(D;OICI;0xffffffff;;;S-1-5-21-93476-23408-4576)";
        assert_eq!(round(big), big);
        let sd = p(big).unwrap();
        assert_eq!(
            print_parts(&sd, &c, SecurityInformation::GROUP),
            "G:S-1-5-21-93476-23408-4576"
        );
        assert_eq!(
            print_parts(
                &sd,
                &c,
                SecurityInformation::from_parts(true, false, false, false)
            ),
            "O:SY"
        );
        assert_eq!(
            convert_sd_to_string_sd(&sd, 2, SecurityInformation::ALL, &c),
            Err(Win32Error::UnknownRevision)
        );
        // S-1-2-0 has no alias; flags print in Windows' order.
        let sd = p("D:(A;OICINPIOIDSAFA;GA;;;S-1-2-0)").unwrap();
        assert_eq!(print(&sd, &c), "D:(A;OICINPIOIDSAFA;GA;;;S-1-2-0)");
    }

    #[test]
    fn masks_print_like_windows() {
        for (mask, want) in [
            (0xF000_0000, "GAGXGWGR"),
            (0xe00f_0000, "SDRCWDWOGXGWGR"),
            (0x1ff, "CCDCLCSWRPWPDTLOCR"),
            (17, "CCRP"),
            (0, ""),
            (0x1f_01ff, "FA"),
            (0x7_5bcd15, "0x75bcd15"),
            (0x12_019f, "0x12019f"),
            (0x201f_01ff, "0x201f01ff"),
            (0xffff_ffff, "0xffffffff"),
        ] {
            assert_eq!(mask_to_sddl(AccessMask(mask)), want, "{mask:#x}");
        }
    }

    #[test]
    fn convenience_methods_use_the_default_context() {
        let sd = SecurityDescriptor::from_sddl("O:LAD:(A;;GA;;;DA)").unwrap();
        assert_eq!(sd.to_sddl(), "O:LAD:(A;;GA;;;DA)");
    }
}
